"""Run claims: tune their learning rates, train the cache misses in parallel, test at sequential
looks, decide.

Flow (protocol v2, repro.protocol.tuning and STATISTICS.md):
1. tuning: every tuned condition's rate is chosen on the validation split by successive halving
   over the grid, on tuning seeds disjoint from the confirmatory ones;
2. looks: each claim's conditions train at their selected rates on seeds 0..n_1-1; the primary
   test is evaluated at the first look's group-sequential boundary and stops if decisive; an
   undecided claim trains only the new seeds n_1..n_2-1 of its primary test's conditions (seed i
   is the same experiment at every look), and so on up to the cap;
3. decision: each primary test's stage-wise sequential p-value is Holm-adjusted across every
   claim of the run; secondary tests run at the seeds their arms share, Holm within each claim;
4. the thorough profile (repro.protocol.settings): each claim's primary test, moved to each setting,
   is one more claim in steps 1-2 (trained in the same phases), decided with Holm across its setting.

Every training request is a (spec, seeds) pair; identical pairs across claims and phases share
one cache key and are trained once. A key's seeds are split into chunks of <= CHUNK_SEEDS (per-seed numbers
do not depend on the chunking: the engine derives every random stream from the seed index), so
workers balance. Each finished chunk is cached at once (a killed run resumes from it); when all
chunks of a key are in, the parent merges them, caches the whole record under the key and drops
the chunk entries. Workers only return Records, so remote (Dask) workers need no shared disk.

A claim whose experiments or evaluation raise gets verdict "error" with the traceback.
"""
from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import datetime
import os
import time
import traceback
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from .. import stats
from . import tuning as protocol
from .cache import Cache
from ..claim import Claim, common_seeds
from .cluster import ClusterError
from .progress import Progress
from .provenance import collect as collect_provenance
from ..engine.record import Record
from .results import ClaimResult, RunResult, SettingResult
from .settings import Setting, in_setting
from ..engine.spec import QUICK_MAX_SEEDS, ExperimentSpec, quick as quick_spec

CHUNK_SEEDS = 12  # a first look of 12 seeds trains as one batched task
ALPHA = 0.05


class MissingCacheError(LookupError):
    """`cache_only` was asked for but some experiment is not in the cache."""


@dataclass
class Experiment:
    """One unique (spec, seeds) of the run and the claims' conditions that use it."""

    key: str
    spec: ExperimentSpec
    seeds: tuple[int, ...]
    users: list[tuple[str, str]] = field(default_factory=list)   # (claim id, condition name)
    record: Record | None = None
    error: str | None = None

    @property
    def label(self) -> str:
        claim, cond = self.users[0]
        more = f" +{len(self.users) - 1}" if len(self.users) > 1 else ""
        return f"{claim}: {cond}{more}"


def claim_looks(claim: Claim, seeds: int | None, quick: bool) -> tuple[int, ...]:
    """Seed counts of a claim's looks: one look of --seeds if given, else the claim's own design
    (one look of at most QUICK_MAX_SEEDS in the quick profile)."""
    if seeds is not None:
        return (seeds,)
    return (min(claim.looks[0], QUICK_MAX_SEEDS),) if quick else claim.looks


def profiled(spec: ExperimentSpec, quick: bool) -> ExperimentSpec:
    return quick_spec(spec) if quick else spec


def plan(requests) -> dict[str, Experiment]:
    """The unique experiments of (claim id, condition label, spec, seeds) requests, by cache key,
    in first-use order."""
    experiments: dict[str, Experiment] = {}
    for claim_id, label, spec, seeds in requests:
        key = spec.key(seeds)
        exp = experiments.setdefault(key, Experiment(key, spec, seeds))
        exp.users.append((claim_id, label))
    return experiments


def chunks(seeds: tuple[int, ...], size: int = CHUNK_SEEDS) -> list[tuple[int, ...]]:
    """Split seeds into near-equal consecutive chunks of at most `size` seeds."""
    n = max(1, -(-len(seeds) // size))
    return [tuple(int(s) for s in part) for part in np.array_split(np.asarray(seeds), n) if len(part)]


def merge(parts: Sequence[Record]) -> Record:
    """Concatenate chunk records of one spec along the seed axis (in chunk order)."""
    first = parts[0]
    values = {name: np.concatenate([p.values[name] for p in parts], axis=0) for name in first.values}
    seeds = tuple(s for p in parts for s in p.seeds)
    kernels = ", ".join(sorted({p.kernels for p in parts}))  # more than one name shows a mixed record
    return Record(first.spec, seeds, values, dict(first.axes), runtime_s=float(sum(p.runtime_s for p in parts)),
                  kernels=kernels)


def train_chunk(spec: ExperimentSpec, seeds: tuple[int, ...]) -> Record:
    """One spec trained on one thread (module level, so it pickles by reference; the bench uses it).

    Every BLAS library runs one thread for the task, wherever it runs: a matmul's rounding
    depends on how BLAS splits it over threads, so the numbers would otherwise depend on --jobs
    and the executor; and concurrent tasks with unpinned OpenBLAS threads oversubscribe the cores
    (10-30x slower on a 2-core machine). The engine's small batched matmuls gain little from threads.
    """
    return train_group([spec], seeds)[0]


def train_group(specs: list[ExperimentSpec], seeds: tuple[int, ...]) -> list[Record]:
    """The unit of work sent to a worker: specs that differ only in lr, trained as one batched
    computation (train_rates), with BLAS pinned to one thread (see train_chunk)."""
    from threadpoolctl import threadpool_limits

    from ..engine.train import train, train_rates  # imported first: BLAS libraries it loads get capped too
    with threadpool_limits(limits=1):
        return [train(specs[0], seeds)] if len(specs) == 1 else train_rates(list(specs), seeds)


MAX_GROUP_ROWS = 32  # rows (rates x seeds) of one stacked task: past ~16 the engine gains nothing more


def _tasks(experiments: dict[str, Experiment], pending: dict[str, list]):
    """The run's tasks as (specs, seeds, [(key, chunk index)]): chunks still to train, with
    single-chunk experiments that differ only in their learning rate stacked into one task (the
    rate search's runs: few seeds each, the same seeds). Stacking changes no number."""
    groups: dict[tuple, list] = {}
    for key, (parts, slots) in pending.items():
        spec = experiments[key].spec
        for i, (part, slot) in enumerate(zip(parts, slots)):
            if slot is not None:
                continue
            stackable = len(parts) == 1 and not spec.geometry
            group = (spec.replace(lr=1.0), part) if stackable else (key, i)
            groups.setdefault(group, []).append((spec, part, (key, i)))
    for members in groups.values():
        per_task = max(1, MAX_GROUP_ROWS // len(members[0][1]))
        for start in range(0, len(members), per_task):
            batch = members[start:start + per_task]
            yield [m[0] for m in batch], batch[0][1], [m[2] for m in batch]


class _Inline(cf.Executor):
    """Runs each task at submit time in this process (jobs=1: no pickling, no extra process)."""

    def submit(self, fn, /, *args, **kwargs):
        future: cf.Future = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as e:  # noqa: BLE001 - delivered through the future, like a pool would
            future.set_exception(e)
        return future


class _LazyPool(cf.Executor):
    """The run's own workers, started at the first task (a fully cached run starts none) and
    kept for every phase of the run (tuning stages, looks)."""

    def __init__(self, jobs: int):
        self.jobs, self.pool = jobs, None

    def submit(self, fn, /, *args, **kwargs):
        if self.pool is None:
            self.pool = _Inline() if self.jobs == 1 else cf.ProcessPoolExecutor(max_workers=self.jobs)
        return self.pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=wait, cancel_futures=cancel_futures)


def _format_error(e: BaseException) -> str:
    return "".join(traceback.format_exception(type(e), e, e.__traceback__))


def train_missing(experiments: dict[str, Experiment], cache: Cache, *, executor: cf.Executor,
                  progress: Progress, cache_only: bool = False, chunk_seeds: int = CHUNK_SEEDS) -> None:
    """Fill every experiment's record from the cache or by training; failures go to .error."""
    pending: dict[str, list] = {}   # key -> per-chunk slot: Record, or None while training
    for exp in experiments.values():
        exp.record = cache.get(exp.spec, exp.seeds)
        if exp.record is not None:
            continue
        parts = chunks(exp.seeds, chunk_seeds)
        slots = [cache.get(exp.spec, c) if len(parts) > 1 else None for c in parts]
        if all(s is not None for s in slots):  # killed after its last chunk, before the merge
            _store_merged(exp, parts, slots, cache)
            continue
        pending[exp.key] = [parts, slots]
    if cache_only and pending:
        missing = [experiments[k].label for k in pending]
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        raise MissingCacheError(f"{len(missing)} experiment(s) are not in the cache {cache.root} "
                                f"({'; '.join(missing[:3])}{more})")
    if cache_only:
        return  # everything was in the cache: nothing to report on progress
    progress.begin({experiments[k].label: len(p[0]) for k, p in pending.items()},
                   cached=len(experiments) - len(pending),
                   resumed=sum(s is not None for _, slots in pending.values() for s in slots))
    for key, (parts, slots) in pending.items():
        for _ in (s for s in slots if s is not None):
            progress.advance(experiments[key].label)

    def collect(future: cf.Future, targets) -> None:
        try:
            records = future.result()
        except ClusterError:  # the cluster, not this experiment, failed: stop the run (finished chunks are cached)
            raise
        except Exception as e:  # noqa: BLE001 - an experiment's failure is its claims' error verdict
            for key, _ in targets:
                exp = experiments[key]
                exp.error = exp.error or _format_error(e)
                progress.advance(exp.label, failed=True)
            return
        for (key, i), record in zip(targets, records):
            exp = experiments[key]
            parts, slots = pending[key]
            slots[i] = record
            if len(parts) > 1:
                cache.put(record)
            progress.advance(exp.label)
            if exp.error is None and all(s is not None for s in slots):
                _store_merged(exp, parts, slots, cache)

    try:
        futures = {}
        for specs, part, targets in _tasks(experiments, pending):
            future = executor.submit(train_group, specs, part)
            if future.done():  # an inline executor (jobs=1) has run it already: count it now, not at the end
                collect(future, targets)
            else:
                futures[future] = targets
        for future in cf.as_completed(futures):
            collect(future, futures[future])
    finally:
        progress.end()


def _store_merged(exp: Experiment, parts: list, slots: list, cache: Cache) -> None:
    """Merge the chunk records into the experiment's record, cache it, then drop the chunk entries."""
    exp.record = merge(slots)
    cache.put(exp.record)
    if len(parts) > 1:
        for part in parts:
            for path in cache.paths(exp.spec.key(part))[::-1]:  # json first: entry gone at once
                path.unlink(missing_ok=True)


def training_kernels(experiments: dict[str, Experiment]) -> dict[str, int]:
    """How many of the run's experiments each BLAS kernel set trained (from the records, cached ones included)."""
    counts: dict[str, int] = {}
    for exp in experiments.values():
        if exp.record is not None:
            name = exp.record.kernels or "not recorded (cached by an older repro, or no OpenBLAS)"
            counts[name] = counts.get(name, 0) + 1
    return dict(sorted(counts.items()))


@dataclass
class Training:
    """Fills training requests from the cache or by training, phase after phase, and keeps every
    experiment it saw (for the provenance)."""

    cache: Cache
    executor: cf.Executor
    progress: Progress
    cache_only: bool = False
    chunk_seeds: int = CHUNK_SEEDS
    seen: dict[str, Experiment] = field(default_factory=dict)
    phases: list[dict] = field(default_factory=list)   # where the wall time went, phase by phase

    def fill(self, requests, phase: str) -> dict[str, Experiment]:
        """Experiments of (claim id, label, spec, seeds) requests, each with .record or .error."""
        experiments = plan(requests)
        new = {k: e for k, e in experiments.items() if k not in self.seen}
        if new:
            if not self.cache_only:
                self.progress.log(f"[repro] {phase}")
            t0 = time.perf_counter()
            train_missing(new, self.cache, executor=self.executor, progress=self.progress,
                          cache_only=self.cache_only, chunk_seeds=self.chunk_seeds)
            self.seen.update(new)
            self.phases.append({"phase": phase, "experiments": len(new), "wall_s": round(time.perf_counter() - t0, 1),
                                "seed_steps": int(sum(e.spec.steps * len(e.seeds) for e in new.values())),
                                "training_s": round(sum(e.record.runtime_s for e in new.values()
                                                        if e.record is not None), 1)})
        return {k: self.seen[k] for k in experiments}


def tune(claims: Sequence[Claim], training: Training, *, quick: bool) -> dict[tuple[str, str], protocol.Tuning | str]:
    """(claim id, condition) -> its Tuning, or the error text of a failed tuning run, for every
    tuned condition (successive halving on the validation split, repro.protocol.tuning)."""
    plan_ = protocol.QUICK_PLAN if quick else protocol.DEFAULT_PLAN
    grid = plan_.grid
    bases: dict[ExperimentSpec, list[tuple[str, str]]] = {}
    for claim in claims:
        for cond, spec in claim.conditions.items():
            if claim.is_tuned(cond):
                bases.setdefault(protocol.tuning_base(profiled(spec, quick)), []).append((claim.id, cond))

    def stage(stage_no: int, rates_of: dict) -> dict:
        requests, index = [], {}
        for base, rates in rates_of.items():
            users = bases[base]
            for lr in rates:
                spec = protocol.stage_spec(base, lr, stage_no, plan_)
                requests.append((users[0][0], f"{users[0][1]} @ lr {lr:g} (tuning {stage_no})", spec,
                                 plan_.seeds(stage_no)))
                index[(base, lr)] = spec.key(plan_.seeds(stage_no))
        done = training.fill(requests, f"tuning stage {stage_no}: {len(requests)} runs")
        return {k: done[key] for k, key in index.items()}

    first = stage(1, {b: grid for b in bases})
    errors = {b: e.error for (b, _), e in first.items() if e.error}
    scores1 = {b: {lr: protocol.validation_score(first[(b, lr)].record) for lr in grid} for b in bases if b not in errors}
    kept = {b: protocol.kept_rates(scores1[b], plan_) for b in scores1}
    second = stage(2, kept)
    errors.update({b: e.error for (b, _), e in second.items() if e.error and b not in errors})
    out: dict = {}
    for base, users in bases.items():
        if base in errors:
            result = f"tuning failed:\n{errors[base]}"
        else:
            result = protocol.select(grid, scores1[base], {lr: protocol.validation_score(second[(base, lr)].record)
                                                           for lr in kept[base]})
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
    """One claim's progress through its looks."""

    claim: Claim
    specs: dict[str, ExperimentSpec]
    design: stats.SequentialDesign
    parts: dict[str, list[Record]] = field(default_factory=dict)   # condition -> records of each look's seeds
    keys: dict[str, list[str]] = field(default_factory=dict)
    look: int = -1
    primary: stats.TestResult | None = None                         # at the stopping look
    error: str | None = None

    @property
    def stopped(self) -> bool:
        return self.error is not None or self.primary is not None

    def records(self) -> dict[str, Record]:
        return {c: merge(p) if len(p) > 1 else p[0] for c, p in self.parts.items()}

    def requests(self, look: int):
        """Training requests of this look: every condition at the first look, then only the
        primary test's conditions, on the seeds this look adds."""
        start = self.design.looks[look - 1] if look else 0
        seeds = tuple(range(start, self.design.looks[look]))
        conds = self.claim.conditions if look == 0 else self.claim.primary.conditions()
        return [(self.claim.id, c, self.specs[c], seeds) for c in conds]


def run_looks(claims: Sequence[Claim], tunings: dict, training: Training, *, seeds: int | None, quick: bool,
              alpha: float) -> list[_Sequential]:
    """Train and test every claim's primary test look by look until it stops (repro.stats.SequentialDesign)."""
    states = []
    for claim in claims:
        failed = [f"condition {c!r}: {t}" for (cid, c), t in tunings.items() if cid == claim.id and isinstance(t, str)]
        state = _Sequential(claim, final_specs(claim, tunings, quick),
                            stats.SequentialDesign(looks=claim_looks(claim, seeds, quick), alpha=alpha))
        state.error = "\n".join(failed) or None
        states.append(state)
    look = 0
    while active := [s for s in states if not s.stopped and look < len(s.design.looks)]:
        requests = [r for s in active for r in s.requests(look)]
        n = sorted({s.design.looks[look] for s in active})
        done = training.fill(requests, f"look {look + 1}: {len(active)} claim(s) at {', '.join(map(str, n))} seeds")
        for s in active:
            s.look = look
            for _, cond, spec, seeds_ in s.requests(look):
                exp = done[spec.key(seeds_)]
                s.keys.setdefault(cond, []).append(exp.key)
                if exp.error:
                    s.error = (s.error or "") + f"experiment {cond!r} ({exp.key}) failed:\n{exp.error}\n"
                else:
                    s.parts.setdefault(cond, []).append(exp.record)
            if s.error:
                continue
            try:
                primary = s.claim.primary
                result = primary.evaluate(common_seeds(s.records(), primary.conditions()),
                                          s.design.nominal_alpha(look))
                if s.design.decide(result, look) != "continue":
                    s.primary = result
            except Exception as e:  # noqa: BLE001 - a broken claim must not stop the others
                s.error = _format_error(e)
        look += 1
    return states


def evaluate_claims(states: Sequence[_Sequential], tunings: dict, *, alpha: float = ALPHA,
                    others_p: Sequence[float] = ()) -> list[ClaimResult]:
    """Verdicts: Holm across the primaries' sequential p-values (and `others_p`, the primary p-values of
    declared claims outside this run, taken from the cache), Holm within each claim for the rest."""
    results: list[ClaimResult] = []
    for s in states:
        cr = ClaimResult(s.claim, "error", cache_keys=s.keys, specs=s.specs,
                         tunings={c: t for (cid, c), t in tunings.items() if cid == s.claim.id})
        if s.error is None:
            cr.records = s.records()
            cr.runtime_s = float(sum(r.runtime_s for r in cr.records.values()))
            try:
                primary = s.design.stamp(s.primary, s.look)
                rest = [t.evaluate(common_seeds(cr.records, t.conditions()), alpha) for t in s.claim.tests[1:]]
                cr.tests = [primary] + rest
            except Exception as e:  # noqa: BLE001 - a broken claim must not stop the others
                cr.error = _format_error(e)
        else:
            cr.error = s.error
        results.append(cr)

    ok = [cr for cr in results if cr.error is None]
    family = [cr.tests[0].p_sequential for cr in ok] + [float(p) for p in others_p]
    primary_adj = stats.holm(family)[:len(ok)] if ok else []
    n_primary = max(1, int(sum(np.isfinite(family))))
    for cr, p_adj in zip(ok, primary_adj):
        try:
            rest = cr.tests[1:]
            rest_adj = stats.holm([t.p for t in rest]) if rest else []
            n_rest = max(1, int(sum(np.isfinite(t.p) for t in rest)))
            cr.tests = ([stats.decide(cr.tests[0], _p(p_adj), alpha, n_tests=n_primary)] +
                        [stats.decide(t, _p(q), alpha, n_tests=n_rest) for t, q in zip(rest, rest_adj)])
            cr.verdict = cr.tests[0].verdict
        except Exception as e:  # noqa: BLE001
            cr.tests, cr.verdict, cr.error = [], "error", _format_error(e)
    return results


def _p(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def feasibility_notes(claims: Sequence[Claim], *, seeds: int | None, quick: bool, alpha: float = ALPHA,
                      family: Sequence[Claim] | None = None) -> dict:
    """Before training: can each claim's primary test reach its Holm threshold at all (at its cap),
    with Holm over `family` (default: the claims themselves)?"""
    n_tests = max(1, sum(c.primary.kind != "identity" for c in (claims if family is None else family)))
    notes = {}
    for claim in claims:
        try:
            ok, note = stats.feasibility(claim.primary.kind, claim_looks(claim, seeds, quick)[-1], alpha, n_tests)
        except ValueError as e:
            ok, note = False, str(e)
        notes[claim.id] = {"feasible": ok, "note": note}
    return notes


NOT_CACHED, ERRORED = "not in the cache", "errored"


def cached_training(cache: Cache) -> Training:
    """The training of a replay: every experiment from the cache, none trained (MissingCacheError
    names the missing ones), no workers, no progress lines."""
    return Training(cache, _Inline(), Progress(enabled=False), cache_only=True)


def cached_primary_p(claim: Claim, cache: Cache, *, seeds: int | None, quick: bool,
                     alpha: float = ALPHA) -> float | str:
    """The sequential p-value of a claim's primary test replayed from the cache alone (tuning and
    looks exactly as a run would take them), or why there is none: NOT_CACHED or ERRORED."""
    training = cached_training(cache)
    try:
        tunings = tune([claim], training, quick=quick)
        state, = run_looks([claim], tunings, training, seeds=seeds, quick=quick, alpha=alpha)
        if state.error is not None or state.primary is None:
            return ERRORED
        return float(state.design.stamp(state.primary, state.look).p_sequential)
    except MissingCacheError:
        return NOT_CACHED
    except Exception:  # noqa: BLE001 - a claim that fails to evaluate has no result to count
        return ERRORED


@dataclass(frozen=True)
class HolmFamily:
    """How the Holm family of the primaries was formed: every declared claim, with the results of
    claims outside the run taken from the cache."""

    declared: tuple[str, ...]                 # every declared claim id
    from_cache: dict[str, float]              # claim id outside the run -> its cached primary p
    missing: tuple[str, ...]                  # claims outside the run with no cached result
    errored: tuple[str, ...] = ()             # claims that errored, in the run or the cache (no p)

    @property
    def size(self) -> int:
        return len(self.declared) - len(self.missing) - len(self.errored)

    def note(self) -> str:
        parts = []
        if self.from_cache:
            parts.append(f"{len(self.from_cache)} from the cache")
        if self.missing:
            parts.append(f"{len(self.missing)} not in the cache ({', '.join(self.missing)})")
        if self.errored:
            parts.append(f"{len(self.errored)} errored ({', '.join(self.errored)})")
        return f"Holm over {self.size} of {len(self.declared)} claims" + (f": {'; '.join(parts)}" if parts else "")

    def provenance(self) -> dict:
        return {"note": self.note(), "size": self.size, "declared": list(self.declared),
                "from_cache": {k: round(v, 6) for k, v in self.from_cache.items()}, "missing": list(self.missing),
                "errored": list(self.errored)}


def family_from_cache(claims: Sequence[Claim], family: Sequence[Claim], cache: Cache, *, seeds: int | None,
                      quick: bool, alpha: float = ALPHA) -> HolmFamily:
    """The primary p-values of the declared claims that are not in `claims`, from the cache."""
    ids = {c.id for c in claims}
    others = [c for c in family if c.id not in ids]
    found = {c.id: cached_primary_p(c, cache, seeds=seeds, quick=quick, alpha=alpha) for c in others}
    declared = tuple(dict.fromkeys([c.id for c in family] + [c.id for c in claims]))
    return HolmFamily(declared, {k: p for k, p in found.items() if not isinstance(p, str)},
                      tuple(k for k, p in found.items() if p == NOT_CACHED),
                      tuple(k for k, p in found.items() if p == ERRORED))


def run(claims: Sequence[Claim], *, seeds: int | None = None, quick: bool = False, jobs: int | None = None,
        executor: cf.Executor | None = None, cache: Cache, progress: Progress | None = None,
        alpha: float = ALPHA, cache_only: bool = False, chunk_seeds: int = CHUNK_SEEDS,
        scheduler: str | None = None, family: Sequence[Claim] | None = None,
        settings: Sequence[Setting] = ()) -> RunResult:
    """Run claims end to end and return their results (the report is written by the caller).

    seeds: one look of this many seeds per claim instead of each claim's sequential design (capped
    at QUICK_MAX_SEEDS with quick). jobs: local worker processes (default os.cpu_count()), ignored
    when an `executor` (e.g. a Dask client's get_executor()) is given. cache_only: raise
    MissingCacheError instead of training (for re-rendering a report). family: every declared claim
    (default: `claims`); the Holm family of the primaries is all of them, the results of those not
    in `claims` taken from the cache (provenance["holm_family"] says how the family was formed).
    settings: the thorough profile's settings (repro.protocol.settings); each claim's primary test
    runs again in each, tuned and sequential as declared, and RunResult.robustness holds the results
    (Holm across the claims of each setting).
    """
    if seeds is not None and (not isinstance(seeds, int) or isinstance(seeds, bool) or seeds < 2):
        raise ValueError(f"seeds={seeds!r} must be an integer >= 2 (paired tests need at least 2 seeds), or None")
    jobs = (os.cpu_count() or 1) if jobs is None else jobs
    if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
        raise ValueError(f"jobs={jobs!r} must be a positive integer")
    if not isinstance(chunk_seeds, int) or chunk_seeds < 1:
        raise ValueError(f"chunk_seeds={chunk_seeds!r} must be a positive integer")
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
    own = _LazyPool(jobs) if executor is None else None
    training = Training(cache, executor or own, progress, cache_only=cache_only, chunk_seeds=chunk_seeds)
    try:
        tunings = tune(everything, training, quick=quick)
        states = run_looks(everything, tunings, training, seeds=seeds, quick=quick, alpha=alpha)
    finally:
        if own is not None:
            own.shutdown(wait=True, cancel_futures=True)
    holm = family_from_cache(claims, family, cache, seeds=seeds, quick=quick, alpha=alpha)
    state_of = {s.claim.id: s for s in states}
    results = evaluate_claims([state_of[c.id] for c in claims], tunings, alpha=alpha,
                              others_p=list(holm.from_cache.values()))
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
        holm_family=holm.provenance(), settings=[s.name for s in settings])
    return RunResult(profile=profile, claims=results, provenance=provenance, robustness=robustness)
