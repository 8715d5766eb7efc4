"""Run claims: plan their experiments, train the cache misses in parallel, test, decide.

Flow: every claim condition becomes (spec, seeds); identical pairs across claims share one cache
key and are trained once. A key's seeds are split into chunks of <= CHUNK_SEEDS (per-seed numbers
do not depend on the chunking: the engine derives every random stream from the seed index), so
workers balance. Each finished chunk is cached at once (a killed run resumes from it); when all
chunks of a key are in, the parent merges them, caches the whole record under the key and drops
the chunk entries. Workers only return Records, so remote (Dask) workers need no shared disk.

Then each claim's declared tests are evaluated; Holm runs across the primary tests of all claims
in the run and, separately, within each claim across its other tests; `stats.decide` gives the
verdicts. A claim whose experiments or evaluation raise gets verdict "error" with the traceback.
"""
from __future__ import annotations

import concurrent.futures as cf
import datetime
import os
import time
import traceback
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from . import stats
from .cache import Cache
from .claim import Claim
from .cluster import ClusterError
from .progress import Progress
from .provenance import collect as collect_provenance
from .record import Record
from .results import ClaimResult, RunResult
from .spec import QUICK_MAX_SEEDS, ExperimentSpec, quick as quick_spec

CHUNK_SEEDS = 10
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


def claim_seeds(claim: Claim, seeds: int | None, quick: bool) -> tuple[int, ...]:
    """Seed indices of a claim: --seeds if given, else the claim's own (capped in the quick profile)."""
    n = seeds if seeds is not None else (min(claim.seeds, QUICK_MAX_SEEDS) if quick else claim.seeds)
    return tuple(range(n))


def condition_specs(claim: Claim, seeds: int | None, quick: bool) -> dict[str, tuple[ExperimentSpec, tuple[int, ...]]]:
    """Each condition's (spec, seeds) as this run trains it (quick-profile specs with quick)."""
    s = claim_seeds(claim, seeds, quick)
    return {cond: (quick_spec(spec) if quick else spec, s) for cond, spec in claim.conditions.items()}


def plan(claims: Sequence[Claim], *, seeds: int | None = None, quick: bool = False) -> dict[str, Experiment]:
    """The unique experiments of a run, by cache key, in first-use order."""
    experiments: dict[str, Experiment] = {}
    for claim in claims:
        for cond, (spec, s) in condition_specs(claim, seeds, quick).items():
            key = spec.key(s)
            exp = experiments.setdefault(key, Experiment(key, spec, s))
            exp.users.append((claim.id, cond))
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
    """The unit of work sent to a worker (module level, so it pickles by reference).

    Every BLAS library runs one thread for the task, wherever it runs: a matmul's rounding
    depends on how BLAS splits it over threads, so the numbers would otherwise depend on --jobs
    and the executor; and concurrent tasks with unpinned OpenBLAS threads oversubscribe the cores
    (10-30x slower on a 2-core machine). The engine's small batched matmuls gain little from threads.
    """
    from threadpoolctl import threadpool_limits

    from .train import train  # imported first: BLAS libraries it loads get capped too
    with threadpool_limits(limits=1):
        return train(spec, seeds)


class _Inline(cf.Executor):
    """Runs each task at submit time in this process (jobs=1: no pickling, no extra process)."""

    def submit(self, fn, /, *args, **kwargs):
        future: cf.Future = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as e:  # noqa: BLE001 - delivered through the future, like a pool would
            future.set_exception(e)
        return future


def _format_error(e: BaseException) -> str:
    return "".join(traceback.format_exception(type(e), e, e.__traceback__))


def train_missing(experiments: dict[str, Experiment], cache: Cache, *, jobs: int, executor: cf.Executor | None,
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
    progress.begin({experiments[k].label: len(p[0]) for k, p in pending.items()},
                   cached=len(experiments) - len(pending),
                   resumed=sum(s is not None for _, slots in pending.values() for s in slots))
    for key, (parts, slots) in pending.items():
        for _ in (s for s in slots if s is not None):
            progress.advance(experiments[key].label)
    own = None
    if executor is None and pending:  # every pending experiment has a chunk left to train
        own = executor = _Inline() if jobs == 1 else cf.ProcessPoolExecutor(max_workers=jobs)
    try:
        futures = {}
        for key, (parts, slots) in pending.items():
            for i, (part, slot) in enumerate(zip(parts, slots)):
                if slot is None:
                    futures[executor.submit(train_chunk, experiments[key].spec, part)] = (key, i)
        for future in cf.as_completed(futures):
            key, i = futures[future]
            exp = experiments[key]
            parts, slots = pending[key]
            try:
                slots[i] = future.result()
            except ClusterError:  # the cluster, not this experiment, failed: stop the run (finished chunks are cached)
                raise
            except Exception as e:  # noqa: BLE001 - an experiment's failure is its claims' error verdict
                exp.error = exp.error or _format_error(e)
                progress.advance(exp.label, failed=True)
                continue
            if len(parts) > 1:
                cache.put(slots[i])
            progress.advance(exp.label)
            if exp.error is None and all(s is not None for s in slots):
                _store_merged(exp, parts, slots, cache)
    finally:
        if own is not None:
            own.shutdown(wait=True, cancel_futures=True)
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


def evaluate_claims(claims: Sequence[Claim], experiments: dict[str, Experiment], *, seeds: int | None,
                    quick: bool, alpha: float = ALPHA) -> list[ClaimResult]:
    """Tests, Holm (across primaries; within each claim for the rest) and verdicts."""
    results: list[ClaimResult] = []
    for claim in claims:
        keys = {cond: spec.key(s) for cond, (spec, s) in condition_specs(claim, seeds, quick).items()}
        cr = ClaimResult(claim, "error", cache_keys=keys)
        errors = [f"experiment {cond!r} ({keys[cond]}) failed:\n{experiments[k].error}"
                  for cond, k in keys.items() if experiments[k].error]
        if errors:
            cr.error = "\n".join(errors)
        else:
            cr.records = {cond: experiments[k].record for cond, k in keys.items()}
            cr.runtime_s = float(sum(r.runtime_s for r in cr.records.values()))
            try:
                cr.tests = [test.evaluate(cr.records, alpha) for test in claim.tests]
            except Exception as e:  # noqa: BLE001 - a broken claim must not stop the others
                cr.tests, cr.error = [], _format_error(e)
        results.append(cr)

    ok = [cr for cr in results if cr.error is None]
    primary_adj = stats.holm([cr.tests[0].p for cr in ok]) if ok else []
    n_primary = max(1, int(sum(np.isfinite(cr.tests[0].p) for cr in ok)))
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


def feasibility_notes(claims: Sequence[Claim], *, seeds: int | None, quick: bool, alpha: float = ALPHA) -> dict:
    """Before training: can each claim's primary test reach its Holm threshold at all?"""
    n_tests = max(1, sum(c.primary.kind != "identity" for c in claims))
    notes = {}
    for claim in claims:
        try:
            ok, note = stats.feasibility(claim.primary.kind, len(claim_seeds(claim, seeds, quick)), alpha, n_tests)
        except ValueError as e:
            ok, note = False, str(e)
        notes[claim.id] = {"feasible": ok, "note": note}
    return notes


def run(claims: Sequence[Claim], *, seeds: int | None = None, quick: bool = False, jobs: int | None = None,
        executor: cf.Executor | None = None, cache: Cache, progress: Progress | None = None,
        alpha: float = ALPHA, cache_only: bool = False, chunk_seeds: int = CHUNK_SEEDS,
        scheduler: str | None = None) -> RunResult:
    """Run claims end to end and return their results (the report is written by the caller).

    seeds: per-claim seed count override (None: each claim's own; capped at QUICK_MAX_SEEDS with
    quick). jobs: local worker processes (default os.cpu_count()), ignored when an `executor`
    (e.g. a Dask client's get_executor()) is given. cache_only: raise MissingCacheError instead
    of training (for re-rendering a report).
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
    feasibility = feasibility_notes(claims, seeds=seeds, quick=quick, alpha=alpha)
    for cid, f in feasibility.items():
        if not f["feasible"]:
            progress.log(f"warning: {cid}: {f['note']}")
    experiments = plan(claims, seeds=seeds, quick=quick)
    train_missing(experiments, cache, jobs=jobs, executor=executor, progress=progress, cache_only=cache_only,
                  chunk_seeds=chunk_seeds)
    results = evaluate_claims(claims, experiments, seeds=seeds, quick=quick, alpha=alpha)
    profile = "quick" if quick else "default"
    where = f"dask scheduler {scheduler}" if scheduler else ("executor " + type(executor).__name__ if executor
                                                             else f"{jobs} local process(es)")
    provenance = collect_provenance(
        profile=profile, seeds={cr.claim.id: len(claim_seeds(cr.claim, seeds, quick)) for cr in results},
        runtimes={cr.claim.id: round(cr.runtime_s, 3) for cr in results},
        cache_keys={cr.claim.id: cr.cache_keys for cr in results}, started=started,
        wall_time_s=time.perf_counter() - t0, workers=where, alpha=alpha, feasibility=feasibility,
        training_kernels=training_kernels(experiments))
    return RunResult(profile=profile, claims=results, provenance=provenance)
