"""What each run-time lever would save, and what it would change, replayed from a default run's cache.

Every tuning and confirmatory run of `repro all` is in the cache with its run time and its per-seed
validation curves, so a change to the rate search or a rule that stops hopeless runs can be replayed
exactly, without training: which selected rates would move (then the confirmatory runs would differ),
and how many core-minutes it would save. A lever that moves no rate and no metric saves time for free;
one that moves them is a protocol change and needs a new confirmatory run on both kernel sets.

    python -m repro all                       # fills output/cache (51 min cold on 2 cores)
    python bench/budget_levers.py             # or --cache DIR

The levers (repro.protocol.tuning's plan is stage 1: 9 rates x 2 seeds x 500 steps; stage 2: the best
3 rates x 2 seeds x 2000 steps):
  keep 2     stage 2 trains the best 2 rates of stage 1, not 3 (exact replay);
  stage-1 x1 stage 1 on one tuning seed (saving estimated as half of stage 1);
  stage-2 x1 stage 2 on one tuning seed (saving estimated as half of stage 2);
  chance@T   a run stops at step T if every seed's validation accuracy stayed within 2 points of
             chance (10%) through T (exact replay of which runs stop; saving prorated by steps).
Then what cutting would save (not levers: they cut tests or seeds that the issues ask for).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from repro.claim import load_claims
from repro.protocol import runner, tuning as protocol
from repro.protocol.cache import Cache

CHANCE, TOL = 0.10, 0.02


def _first_seed_score(record) -> float:
    """The validation score a search on one tuning seed would have seen (protocol.validation_score)."""
    return float(100 * np.nanmean(record["val_acc"][:1, -protocol.LAST_EVALS:]))


def replay(cache_dir: Path) -> None:
    claims = load_claims()
    training = runner.cached_training(Cache(cache_dir))
    try:
        tunings = runner.tune(claims, training, quick=False)
        runner.run_looks(claims, tunings, training, seeds=None, quick=False, alpha=runner.ALPHA)
    except runner.MissingCacheError as e:
        sys.exit(f"budget_levers: the cache does not hold a full default run: {e}\n"
                 f"Run `python -m repro all --cache {cache_dir}` first.")
    runs = list(training.seen.values())
    total = sum(e.record.runtime_s for e in runs)
    print(f"default run: {len(runs)} experiments, {total / 60:.1f} core-min of training "
          f"(about {total / 120:.0f} min on 2 cores)\n")

    plan = protocol.DEFAULT_PLAN
    searches: dict = {}   # tuning base -> (the first condition tuned on it, its Tuning)
    for c in claims:
        for cond, spec in c.conditions.items():
            if c.is_tuned(cond):
                searches.setdefault(protocol.tuning_base(spec), (f"{c.id}: {cond}", tunings[(c.id, cond)]))

    def records(base, rates, stage):
        return {lr: training.seen[protocol.stage_spec(base, lr, stage, plan).key(plan.seeds(stage))].record
                for lr in rates}

    stage1 = {b: records(b, t.grid, 1) for b, (_, t) in searches.items()}
    stage2 = {b: records(b, t.stage2, 2) for b, (_, t) in searches.items()}
    t1 = sum(r.runtime_s for d in stage1.values() for r in d.values())
    t2 = sum(r.runtime_s for d in stage2.values() for r in d.values())

    def moved(stage2_scores: dict) -> list[str]:
        """The searches whose selected rate these stage-2 scores (tuning base -> rate -> score) would move."""
        out = []
        for b, scores in stage2_scores.items():
            label, t = searches[b]
            new = protocol.select(t.grid, t.stage1, scores).selected
            if new != t.selected:
                out.append(f"{label} {t.selected:g} -> {new:g}")
        return out

    rows = []   # (lever, core-seconds saved, what changes, the runs or conditions it changes)
    keep2 = {b: protocol.kept_rates(t.stage1, protocol.TuningPlan(keep=2)) for b, (_, t) in searches.items()}
    changes = moved({b: {lr: searches[b][1].stage2[lr] for lr in keep2[b]} for b in searches})
    rows.append(("keep 2", sum(stage2[b][lr].runtime_s for b in searches for lr in stage2[b] if lr not in keep2[b]),
                 f"{len(changes)} selected rates move", changes))
    changes = [label for b, (label, t) in searches.items()
               if set(protocol.kept_rates({lr: _first_seed_score(r) for lr, r in stage1[b].items()}, plan))
               - set(t.stage2)]
    rows.append(("stage-1 x1", t1 / 2, f"{len(changes)} conditions keep other rates (new stage-2 runs)", changes))
    changes = moved({b: {lr: _first_seed_score(r) for lr, r in stage2[b].items()} for b in searches})
    rows.append(("stage-2 x1", t2 / 2, f"{len(changes)} selected rates move", changes))
    for stop in (300, 500, 1000):
        saved, n, late = 0.0, 0, []
        for e in runs:
            r = e.record
            if e.spec.steps <= stop or "val_acc" not in r.values:
                continue
            steps, acc = np.asarray(r.axes["eval_step"]), np.asarray(r["val_acc"])
            if np.all(acc[:, steps <= stop] <= CHANCE + TOL):
                n += 1
                saved += r.runtime_s * (1 - stop / e.spec.steps)
                if np.any(np.nanmax(acc[:, steps > stop], axis=1) > CHANCE + TOL):
                    late.append(e.label)
        rows.append((f"chance@{stop}", saved, f"{n} runs stop; {len(late)} of them would have left chance later",
                     late))

    print("| lever | saves (core-min) | what it changes |\n|---|---|---|")
    for lever, saved, what, changes in rows:
        listed = "; ".join(changes[:3]) + (f"; ... ({len(changes)} in all)" if len(changes) > 3 else "")
        print(f"| {lever} | {saved / 60:.1f} | {what}{': ' + listed if changes else ''} |")

    print("\nWhat cutting would save (tests or seeds the issues ask for):")
    depth50 = sum(e.record.runtime_s for e in runs if e.spec.depth == 50)
    print(f"  every depth-50 run (claim 14's secondary tests, claim 10 at init): {depth50 / 60:.1f} core-min")
    doubled = [e for e in runs if 48 <= e.seeds[0] < protocol.TUNING_SEED_BASE]  # the fourth look (doubled caps)
    print(f"  the fourth look (seeds 48-95 of {', '.join(sorted({u[0] for e in doubled for u in e.users}))}): "
          f"{sum(e.record.runtime_s for e in doubled) / 60:.1f} core-min")

def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path("output/cache"),
                        help="the cache of a full default run (default: output/cache)")
    args = parser.parse_args(argv)
    if not args.cache.is_dir():
        parser.error(f"--cache {args.cache}: no such directory; run `python -m repro all` first")
    replay(args.cache)


if __name__ == "__main__":
    main()
