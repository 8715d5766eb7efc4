"""Run claims: tune their learning rates, train the cache misses in parallel, test at sequential
looks, decide.

Flow (protocol v3, repro.protocol.tuning and docs/statistics.md):
1. tuning: every tuned condition's rate is chosen on the validation split by successive halving
   over the grid, on tuning seeds disjoint from the confirmatory ones, widened where it would fail
   silently; then its tuning seeds train at twice the budget (the convergence check);
2. looks: each claim's conditions train at their selected rates on seeds 0..n_1-1; each part (the
   co-primary tests) is evaluated at the look's group-sequential boundary and stops if decisive;
   while a part is undecided its conditions train the new seeds n_1..n_2-1 (seed i is the same
   experiment at every look), and so on up to the cap;
3. decision: each claim's p (the largest of its parts' stage-wise sequential p) is Holm-adjusted
   across every declared claim, its parts decided at their adjusted p and the claim by the
   intersection-union rule (repro.protocol.decision); secondary tests run at the seeds their arms
   share, Holm within each claim;
4. the thorough profile (repro.protocol.settings): each claim's parts, moved to each setting,
   is one more claim in steps 1-2 (trained in the same phases), decided with Holm across its setting.

The training itself (requests, chunks, executors, the cache) is repro.protocol.training.

A claim whose experiments or evaluation raise gets verdict "error" with the traceback.
"""
from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import datetime
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from .. import power, sequential, stats, verdicts
from ..checks import check_int
from . import decision, registration, tuning as protocol
from .cache import Cache
from ..claim import DESIGN_LOOKS, Claim, common_seeds
from .progress import Progress
from .provenance import collect as collect_provenance
from ..engine.record import Record
from .verify import last_verification
from .training import (CHUNK_SEEDS, LazyPool, MissingCacheError, Training, cached_training, format_error,
                       merge, training_kernels)
from .fixedrate import fixed_rate_checks
from .results import ClaimResult, RunResult, SettingResult
from .settings import Setting, in_setting
from ..engine.spec import QUICK_MAX_SEEDS, ExperimentSpec, quick as quick_spec

ALPHA = 0.05


def claim_looks(claim: Claim, seeds: int | None, quick: bool) -> tuple[int, ...]:
    """Seed counts of a claim's looks: one look of --seeds if given, else the claim's own design
    (one look of at most QUICK_MAX_SEEDS in the quick profile)."""
    if seeds is not None:
        return (seeds,)
    return (min(claim.looks[0], QUICK_MAX_SEEDS),) if quick else claim.looks


def profiled(spec: ExperimentSpec, quick: bool) -> ExperimentSpec:
    return quick_spec(spec) if quick else spec


def tune(claims: Sequence[Claim], training: Training, *, quick: bool) -> dict[tuple[str, str], protocol.Tuning | str]:
    """(claim id, condition) -> its Tuning, or the error text of a failed tuning run, for every
    tuned condition: successive halving on the validation split, widened where it would fail
    silently, then the convergence check at twice the budget (repro.protocol.tuning)."""
    plan_ = protocol.QUICK_PLAN if quick else protocol.DEFAULT_PLAN
    grid = plan_.grid
    bases: dict[ExperimentSpec, list[tuple[str, str]]] = {}
    for claim in claims:
        for cond, spec in claim.conditions.items():
            if claim.is_tuned(cond):
                bases.setdefault(protocol.tuning_base(profiled(spec, quick)), []).append((claim.id, cond))
    errors: dict[ExperimentSpec, str] = {}

    def stage(stage_no: int, rates_of: dict, phase: str) -> dict:
        requests, index = [], {}
        seeds = plan_.seeds(1 if stage_no == 1 else 2)
        for base, rates in rates_of.items():
            users = bases[base]
            for lr in rates:
                spec = protocol.stage_spec(base, lr, stage_no, plan_)
                requests.append((users[0][0], f"{users[0][1]} @ lr {lr:g} ({phase})", spec, seeds))
                index[(base, lr)] = spec.key(seeds)
        done = training.fill(requests, f"{phase}: {len(requests)} runs")
        found = {k: done[key] for k, key in index.items()}
        for (b, _), e in found.items():
            if e.error and b not in errors:
                errors[b] = e.error
        return {k: protocol.validation_score(e.record) for k, e in found.items() if not e.error}

    first = stage(1, {b: grid for b in bases}, "tuning stage 1")
    scores1 = {b: {lr: first[(b, lr)] for lr in grid} for b in bases if b not in errors}
    full_grid = {b for b in scores1 if protocol.stage1_at_chance(scores1[b])}
    kept = {b: grid if b in full_grid else protocol.kept_rates(scores1[b], plan_) for b in scores1}
    second = stage(2, kept, "tuning stage 2")
    scores2 = {b: {lr: second[(b, lr)] for lr in kept[b]} for b in kept if b not in errors}
    edge = {b: r for b in scores2 if (r := protocol.beyond_edge(grid, protocol.select(grid, scores1[b], scores2[b])
                                                                   .selected)) is not None}
    beyond = stage(2, {b: (r,) for b, r in edge.items()}, "tuning beyond the grid's edge")
    selections = {}
    for b in scores2:
        if b in errors:
            continue
        extra = {edge[b]: beyond[(b, edge[b])]} if b in edge else {}
        widened = (("full grid",) if b in full_grid else ()) + (("beyond edge",) if extra else ())
        selections[b] = protocol.select(grid, scores1[b], {**scores2[b], **extra}, widened)
    doubled = stage(3, {b: (t.selected,) for b, t in selections.items()}, "convergence check (twice the budget)")
    out: dict = {}
    for base, users in bases.items():
        if base in errors:
            result = f"tuning failed:\n{errors[base]}"
        else:
            t = selections[base]
            result = dataclasses.replace(t, doubled=doubled.get((base, t.selected)))
        out.update({user: result for user in users})
    return out


def final_specs(claim: Claim, tunings: dict, quick: bool) -> dict[str, ExperimentSpec]:
    """Each condition's spec as the confirmatory run trains it: profiled, at its selected rate."""
    specs = {}
    for cond, spec in claim.conditions.items():
        spec = profiled(spec, quick)
        tuning = tunings.get((claim.id, cond))
        specs[cond] = spec.replace(lr=tuning.selected) if isinstance(tuning, protocol.Tuning) else spec
    return specs


@dataclass
class _Sequential:
    """One claim's progress through its looks: each part stops at the first look where it is decisive."""

    claim: Claim
    specs: dict[str, ExperimentSpec]
    design: sequential.SequentialDesign
    chunks: dict[str, list[Record]] = field(default_factory=dict)   # condition -> records of each look's seeds
    keys: dict[str, list[str]] = field(default_factory=dict)
    stopped_parts: dict[int, tuple[int, stats.TestResult]] = field(default_factory=dict)  # part -> (look, result)
    error: str | None = None

    @property
    def open_parts(self) -> list[int]:
        return [i for i in range(len(self.claim.parts)) if i not in self.stopped_parts]

    @property
    def stopped(self) -> bool:
        return self.error is not None or not self.open_parts

    def records(self) -> dict[str, Record]:
        return {c: merge(p) if len(p) > 1 else p[0] for c, p in self.chunks.items()}

    def requests(self, look: int):
        """Training requests of this look: every condition at the first look, then only the conditions
        of the parts still undecided, on the seeds this look adds."""
        start = self.design.looks[look - 1] if look else 0
        seeds = tuple(range(start, self.design.looks[look]))
        open_parts = [self.claim.parts[i] for i in self.open_parts]
        conds = self.claim.conditions if look == 0 else self.claim.part_conditions(open_parts)
        return [(self.claim.id, c, self.specs[c], seeds) for c in conds]

    def test_parts(self, look: int) -> None:
        """Evaluate the undecided parts at this look's boundary; a decisive one stops, stamped."""
        records = self.records()
        for i in self.open_parts:
            part = self.claim.parts[i]
            result = part.evaluate(common_seeds(records, part.conditions()), self.design.nominal_alpha(look))
            if self.design.decide(result, look) != "continue":
                self.stopped_parts[i] = (look, self.design.stamp(result, look))

    def part_results(self) -> list[stats.TestResult]:
        return [dataclasses.replace(self.stopped_parts[i][1], role="part") for i in range(len(self.claim.parts))]


def run_looks(claims: Sequence[Claim], tunings: dict, training: Training, *, seeds: int | None, quick: bool,
              alpha: float) -> list[_Sequential]:
    """Train and test every claim's parts look by look until each stops (repro.sequential.SequentialDesign)."""
    states = []
    for claim in claims:
        failed = [f"condition {c!r}: {t}" for (cid, c), t in tunings.items() if cid == claim.id and isinstance(t, str)]
        state = _Sequential(claim, final_specs(claim, tunings, quick),
                            sequential.SequentialDesign(looks=claim_looks(claim, seeds, quick), alpha=alpha))
        state.error = "\n".join(failed) or None
        states.append(state)
    look = 0
    while active := [s for s in states if not s.stopped and look < len(s.design.looks)]:
        requests = [r for s in active for r in s.requests(look)]
        n = sorted({s.design.looks[look] for s in active})
        done = training.fill(requests, f"look {look + 1}: {len(active)} claim(s) at {', '.join(map(str, n))} seeds")
        for s in active:
            for _, cond, spec, seeds_ in s.requests(look):
                exp = done[spec.key(seeds_)]
                s.keys.setdefault(cond, []).append(exp.key)
                if exp.error:
                    s.error = (s.error or "") + f"experiment {cond!r} ({exp.key}) failed:\n{exp.error}\n"
                else:
                    s.chunks.setdefault(cond, []).append(exp.record)
            if s.error:
                continue
            try:
                s.test_parts(look)
            except Exception as e:  # noqa: BLE001 - a broken claim must not stop the others
                s.error = format_error(e)
        look += 1
    return states


def evaluate_claims(states: Sequence[_Sequential], tunings: dict, *, alpha: float = ALPHA,
                    others_p: Sequence[float] = (), fixed_checks: dict | None = None) -> list[ClaimResult]:
    """Verdicts: each claim's p (the largest of its parts' sequential p) is Holm-adjusted across every
    declared claim (`others_p`: those outside this run, from the cache, or 1 where none is known); each
    part is decided at its own Holm-adjusted p and the claim by the intersection-union rule
    (repro.protocol.decision); secondary tests run at the seeds their arms share, Holm within each claim."""
    results: list[ClaimResult] = []
    for s in states:
        cr = ClaimResult(s.claim, "error", cache_keys=s.keys, specs=s.specs,
                         tunings={c: t for (cid, c), t in tunings.items() if cid == s.claim.id},
                         fixed_checks={c: f for (cid, c), f in (fixed_checks or {}).items() if cid == s.claim.id})
        if s.error is None:
            cr.records = s.records()
            cr.runtime_s = float(sum(r.runtime_s for r in cr.records.values()))
            try:
                rest = [t.evaluate(common_seeds(cr.records, t.conditions()), alpha) for t in s.claim.tests]
                cr.tests = s.part_results() + rest
            except Exception as e:  # noqa: BLE001 - a broken claim must not stop the others
                cr.error = format_error(e)
        else:
            cr.error = s.error
        results.append(cr)

    ok = [cr for cr in results if cr.error is None]
    n_errored = len(results) - len(ok)   # claims of this run without a result count as p = 1 (conservative)
    family = ([decision.claim_p([t.p_sequential for t in cr.parts]) for cr in ok] + [float(p) for p in others_p]
              + [1.0] * n_errored)
    n_family = max(1, int(sum(np.isfinite(family))))
    for i, cr in enumerate(ok):
        try:
            parts, rest = cr.parts, cr.tests[len(cr.parts):]
            parts = [verdicts.decide(t, _p(decision.part_adjusted_p(family, i, t.p_sequential)), alpha, n_tests=n_family)
                     for t in parts]
            rest_adj = verdicts.holm([t.p for t in rest]) if rest else []
            n_rest = max(1, int(sum(np.isfinite(t.p) for t in rest)))
            cr.tests = parts + [verdicts.decide(t, _p(q), alpha, n_tests=n_rest) for t, q in zip(rest, rest_adj)]
            cr.verdict = decision.combine([t.verdict for t in parts])
        except Exception as e:  # noqa: BLE001
            cr.tests, cr.verdict, cr.error = [], "error", format_error(e)
    return results


def _p(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def feasibility_notes(claims: Sequence[Claim], *, seeds: int | None, quick: bool, alpha: float = ALPHA,
                      family: Sequence[Claim] | None = None) -> dict:
    """Before training: can each claim's parts reach their Holm threshold at all (at the cap),
    with Holm over `family` (default: the claims themselves)?"""
    family = claims if family is None else family
    n_tests = max(1, sum(any(t.kind != "identity" for t in c.parts) for c in family))
    notes = {}
    for claim in claims:
        checks = []
        for part in claim.parts:
            try:
                checks.append(power.feasibility(part.kind, claim_looks(claim, seeds, quick)[-1], alpha, n_tests))
            except ValueError as e:
                checks.append((False, str(e)))
        bad = [note for ok, note in checks if not ok]
        notes[claim.id] = {"feasible": not bad, "note": "; ".join(bad) if bad else checks[0][1]}
    return notes


NOT_CACHED, ERRORED = "not in the cache", "errored"


def cached_claim_p(claim: Claim, cache: Cache, *, seeds: int | None, quick: bool,
                   alpha: float = ALPHA) -> float | str:
    """A claim's p for Holm (the largest of its parts' sequential p) replayed from the cache alone
    (tuning and looks exactly as a run would take them), or why there is none: NOT_CACHED or ERRORED."""
    training = cached_training(cache)
    try:
        tunings = tune([claim], training, quick=quick)
        state, = run_looks([claim], tunings, training, seeds=seeds, quick=quick, alpha=alpha)
        if state.error is not None or not state.stopped:
            return ERRORED
        return decision.claim_p([t.p_sequential for t in state.part_results()])
    except MissingCacheError:
        return NOT_CACHED
    except Exception:  # noqa: BLE001 - a claim that fails to evaluate has no result to count
        return ERRORED


@dataclass(frozen=True)
class HolmFamily:
    """How the Holm family of the claims was formed: every declared claim, always. The results of
    claims outside the run come from the cache; a claim with no result (not in the cache, or errored)
    enters conservatively as p = 1, and the run's verdicts are then provisional."""

    declared: tuple[str, ...]                 # every declared claim id
    from_cache: dict[str, float]              # claim id outside the run -> its cached claim p
    missing: tuple[str, ...]                  # claims outside the run with no cached result (p = 1)
    errored: tuple[str, ...] = ()             # claims that errored, in the run or the cache (p = 1)

    @property
    def size(self) -> int:
        return len(self.declared)

    @property
    def provisional(self) -> bool:
        """Whether some claim entered the family as p = 1 for want of a result."""
        return bool(self.missing or self.errored)

    def note(self) -> str:
        parts = []
        if self.from_cache:
            parts.append(f"{len(self.from_cache)} from the cache")
        if self.missing:
            parts.append(f"{len(self.missing)} not in the cache, counted as p = 1 ({', '.join(self.missing)})")
        if self.errored:
            parts.append(f"{len(self.errored)} errored, counted as p = 1 ({', '.join(self.errored)})")
        text = f"Holm over all {self.size} declared claims" + (f": {'; '.join(parts)}" if parts else "")
        return text + (". The verdicts are provisional until every claim has a result." if self.provisional else "")

    def provenance(self) -> dict:
        return {"note": self.note(), "size": self.size, "provisional": self.provisional, "declared": list(self.declared),
                "from_cache": {k: round(v, 6) for k, v in self.from_cache.items()}, "missing": list(self.missing),
                "errored": list(self.errored)}


def family_from_cache(claims: Sequence[Claim], family: Sequence[Claim], cache: Cache, *, seeds: int | None,
                      quick: bool, alpha: float = ALPHA) -> HolmFamily:
    """The primary p-values of the declared claims that are not in `claims`, from the cache."""
    ids = {c.id for c in claims}
    others = [c for c in family if c.id not in ids]
    found = {c.id: cached_claim_p(c, cache, seeds=seeds, quick=quick, alpha=alpha) for c in others}
    declared = tuple(dict.fromkeys([c.id for c in family] + [c.id for c in claims]))
    return HolmFamily(declared, {k: p for k, p in found.items() if not isinstance(p, str)},
                      tuple(k for k, p in found.items() if p == NOT_CACHED),
                      tuple(k for k, p in found.items() if p == ERRORED))


def run(claims: Sequence[Claim], *, seeds: int | None = None, quick: bool = False, jobs: int | None = None,
        executor: cf.Executor | None = None, cache: Cache, progress: Progress | None = None,
        alpha: float = ALPHA, cache_only: bool = False, chunk_seeds: int = CHUNK_SEEDS,
        scheduler: str | None = None, family: Sequence[Claim] | None = None,
        settings: Sequence[Setting] = (), registration_file: Path | None = None) -> RunResult:
    """Run claims end to end and return their results (the report is written by the caller).

    seeds: one look of this many seeds per claim instead of each claim's sequential design (capped
    at QUICK_MAX_SEEDS with quick). jobs: local worker processes (default os.cpu_count()), ignored
    when an `executor` (e.g. a Dask client's get_executor()) is given. cache_only: raise
    MissingCacheError instead of training (for re-rendering a report). family: every declared claim
    (default: `claims`); the Holm family of the primaries is all of them, the results of those not
    in `claims` taken from the cache (provenance["holm_family"] says how the family was formed).
    settings: the thorough profile's settings (repro.protocol.settings); each claim's primary test
    runs again in each, tuned and sequential as declared, and RunResult.robustness holds the results
    (Holm across the claims of each setting). registration_file: the claims' registration (default
    claims/registration.json beside the shipped claims); RunResult.registration compares them with it.
    """
    if seeds is not None:
        seeds = check_int("seeds", seeds, 2, why="paired tests need at least 2 seeds; None: each claim's own design")
    jobs = check_int("jobs", (os.cpu_count() or 1) if jobs is None else jobs, 1)
    chunk_seeds = check_int("chunk_seeds", chunk_seeds, 1)
    progress = progress or Progress(enabled=False)
    started = datetime.datetime.now(datetime.timezone.utc)
    t0 = time.perf_counter()
    family = list(claims) if family is None else list(family)
    feasibility = feasibility_notes(claims, seeds=seeds, quick=quick, alpha=alpha, family=family)
    for cid, f in feasibility.items():
        if not f["feasible"]:
            progress.log(f"warning: {cid}: {f['note']}")
    moved = {s.name: {c.id: d for c in claims if (d := in_setting(c, s)) is not None} for s in settings}
    everything = list(claims) + [d for column in moved.values() for d in column.values()]
    own = LazyPool(jobs) if executor is None else None
    training = Training(cache, executor or own, progress, cache_only=cache_only, chunk_seeds=chunk_seeds)
    try:
        tunings = tune(everything, training, quick=quick)
        states = run_looks(everything, tunings, training, seeds=seeds, quick=quick, alpha=alpha)
        fixed = fixed_rate_checks(claims, training, quick=quick)
    finally:
        if own is not None:
            own.shutdown(wait=True, cancel_futures=True)
    holm = family_from_cache(claims, family, cache, seeds=seeds, quick=quick, alpha=alpha)
    state_of = {s.claim.id: s for s in states}
    results = evaluate_claims([state_of[c.id] for c in claims], tunings, alpha=alpha, fixed_checks=fixed,
                              others_p=list(holm.from_cache.values()) + [1.0] * (len(holm.missing) + len(holm.errored)))
    robustness = []
    for setting in settings:
        column = moved[setting.name]
        found = evaluate_claims([state_of[d.id] for d in column.values()], tunings, alpha=alpha)
        robustness.append(SettingResult(setting, dict(zip(column, found)),
                                        tuple(c.id for c in claims if c.id not in column)))
    holm = dataclasses.replace(holm, errored=holm.errored + tuple(cr.claim.id for cr in results
                                                                  if cr.verdict == "error"))
    profile = "quick" if quick else ("thorough" if settings else "default")
    where = f"dask scheduler {scheduler}" if scheduler else ("executor " + type(executor).__name__ if executor
                                                             else f"{jobs} local process(es)")
    provenance = collect_provenance(
        profile=profile, protocol_version=protocol.PROTOCOL_VERSION,
        seeds={cr.claim.id: len(cr.seeds) for cr in results},
        runtimes={cr.claim.id: round(cr.runtime_s, 3) for cr in results},
        cache_keys={cr.claim.id: cr.cache_keys for cr in results}, started=started,
        wall_time_s=time.perf_counter() - t0, workers=where, alpha=alpha, feasibility=feasibility,
        training_kernels=training_kernels(training.seen), n_experiments=len(training.seen), phases=training.phases,
        training_s=round(sum(e.record.runtime_s for e in training.seen.values() if e.record is not None), 1),
        holm_family=holm.provenance(), settings=[s.name for s in settings],
        entry_hashes=training.entry_hashes(), cache_verification=last_verification(cache.root),
        cache_kernels=cache.kernels)
    return RunResult(profile=profile, claims=results, provenance=provenance, robustness=robustness,
                     registration=registration.check(family, registration_file, alpha=alpha),
                     design=design_block(family, alpha=alpha, simulate=not quick and seeds is None))


DESIGN_SIM_PATHS = 10_000


def design_block(family: Sequence[Claim], *, alpha: float = ALPHA, simulate: bool = True) -> dict:
    """The declared sequential design and, for a confirmatory run, the simulated false-"supported" rate
    of the whole procedure over the declared claims (repro.protocol.decision)."""
    design = sequential.SequentialDesign(looks=DESIGN_LOOKS, alpha=alpha)
    block = {"looks": list(DESIGN_LOOKS), "spending": design.spending, "boundaries": list(design.boundaries),
             "parts": {c.id: len(c.parts) for c in family}, "false_supported_rate": None, "per_claim_rate": None,
             "n_paths": 0, "note": "Not simulated for a run outside the declared design (--quick or --seeds)."}
    if simulate:
        rate = decision.false_supported_rate([len(c.parts) for c in family], DESIGN_LOOKS, alpha=alpha,
                                             n_paths=DESIGN_SIM_PATHS)
        block.update(false_supported_rate=rate.rate, per_claim_rate=rate.per_claim, n_paths=rate.n_paths,
                     note=rate.note())
    return block


def entries_of(claims: Sequence[Claim], cache: Cache, *, seeds: int | None, quick: bool) -> list[str]:
    """Every cache entry the claims use (tuning runs included), found by replaying them from the cache;
    MissingCacheError when some are not there."""
    replay = Cache(cache.root, cache.kernels)
    run(claims, seeds=seeds, quick=quick, jobs=1, cache=replay, progress=Progress(enabled=False), cache_only=True,
        family=claims)
    return sorted(replay.hashes)
