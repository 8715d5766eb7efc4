"""Training mechanics: (spec, seeds) requests filled from the cache or by training.

Every training request is a (spec, seeds) pair; identical pairs across claims and phases share
one cache key and are trained once. A key's seeds are split into chunks of <= CHUNK_SEEDS (per-seed numbers
do not depend on the chunking: the engine derives every random stream from the seed index), so
workers balance. Each finished chunk is cached at once (a killed run resumes from it); when all
chunks of a key are in, the parent merges them, caches the whole record under the key and drops
the chunk entries. Workers only return Records, so remote (Dask) workers need no shared disk.

This module knows nothing of claims, tuning or tests: repro.protocol.runner drives it.
"""
from __future__ import annotations

import concurrent.futures as cf
import time
import traceback
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from .cache import Cache
from .cluster import ClusterError
from .progress import Progress
from .workers import Inline, Pool, stop_on_interrupt
from ..engine.record import Record
from ..engine.spec import ExperimentSpec

CHUNK_SEEDS = 12  # a first look of 12 seeds trains as one batched task


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


EVAL_EXAMPLES, PROBE_EXAMPLES = 1000, 512   # about the examples one evaluation split / one probe passes


def task_cost(spec: ExperimentSpec, n_seeds: float) -> float:
    """A task's relative cost, for the progress line's ETA: matmul work, in example passes x layers x
    width^2 x seeds. A training step passes its batch forward and backward (about 3 forward passes), an
    evaluation each of its splits forward, a probe its batch both ways; so a run measured only at init
    weighs what its evaluations and probes cost, and finishing first does not make the ETA absurd."""
    evaluations = (spec.steps // spec.eval_every + 1) * len(spec.eval_splits) * EVAL_EXAMPLES
    probes = len(spec.probe_steps) * 3 * PROBE_EXAMPLES if spec.probes else 0
    passes = 3 * spec.steps * spec.batch_size + evaluations + probes
    return float(passes) * (spec.depth + 1) * spec.width ** 2 * n_seeds


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


LazyPool = Pool  # the run's own local workers (repro.protocol.workers): die with the run, stop at once
_Inline = Inline  # jobs=1: each task runs at submit time in this process


def format_error(e: BaseException) -> str:
    return "".join(traceback.format_exception(type(e), e, e.__traceback__))


def train_missing(experiments: dict[str, Experiment], cache: Cache, *, executor: cf.Executor,
                  progress: Progress, cache_only: bool = False, chunk_seeds: int = CHUNK_SEEDS) -> int:
    """Fill every experiment's record from the cache or by training; failures go to .error.
    Returns how many experiments this call trained (wholly or their missing chunks)."""
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
        return 0  # everything was in the cache: nothing to report on progress
    progress.begin({experiments[k].label: len(p[0]) for k, p in pending.items()},
                   cached=len(experiments) - len(pending),
                   resumed=sum(s is not None for _, slots in pending.values() for s in slots),
                   costs={experiments[k].label: task_cost(experiments[k].spec, len(experiments[k].seeds) / len(p[0]))
                          for k, p in pending.items()})
    for key, (parts, slots) in pending.items():
        for _ in (s for s in slots if s is not None):
            progress.advance(experiments[key].label, resumed=True)

    def collect(future: cf.Future, targets) -> None:
        try:
            records = future.result()
        except ClusterError:  # the cluster, not this experiment, failed: stop the run (finished chunks are cached)
            raise
        except Exception as e:  # noqa: BLE001 - an experiment's failure is its claims' error verdict
            for key, _ in targets:
                exp = experiments[key]
                exp.error = exp.error or format_error(e)
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
        _submit_and_collect(experiments, pending, executor, collect)
    except KeyboardInterrupt:
        stop_on_interrupt(executor)  # workers killed now; finished chunks are cached; a 2nd Ctrl-C exits at once
        raise
    finally:
        progress.end()
    return len(pending)


def _submit_and_collect(experiments: dict[str, Experiment], pending: dict[str, list], executor: cf.Executor,
                        collect) -> None:
    """Submit every task, collecting each result as it completes."""
    futures = {}
    for specs, part, targets in _tasks(experiments, pending):
        future = executor.submit(train_group, specs, part)
        if future.done():  # an inline executor (jobs=1) has run it already: count it now, not at the end
            collect(future, targets)
        else:
            futures[future] = targets
    for future in cf.as_completed(futures):
        collect(future, futures[future])


def _store_merged(exp: Experiment, parts: list, slots: list, cache: Cache) -> None:
    """Merge the chunk records into the experiment's record, cache it, then drop the chunk entries."""
    exp.record = merge(slots)
    cache.put(exp.record)
    if len(parts) > 1:
        for part, slot in zip(parts, slots):
            cache.forget(exp.spec.key(part), slot.kernels)


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
            trained = train_missing(new, self.cache, executor=self.executor, progress=self.progress,
                                    cache_only=self.cache_only, chunk_seeds=self.chunk_seeds)
            self.seen.update(new)
            self.phases.append({"phase": phase, "experiments": len(new), "trained": trained,
                                "wall_s": round(time.perf_counter() - t0, 1),
                                "seed_steps": int(sum(e.spec.steps * len(e.seeds) for e in new.values())),
                                "training_s": round(sum(e.record.runtime_s for e in new.values()
                                                        if e.record is not None), 1)})
        return {k: self.seen[k] for k in experiments}

    def entry_hashes(self) -> dict[str, str]:
        """key -> sha256 of the cache entry's arrays, for every entry this run read or wrote (its
        experiments and whatever else it read from the cache, e.g. the Holm family's other claims):
        two reports can be compared entry by entry."""
        return dict(sorted(self.cache.hashes.items()))


def cached_training(cache: Cache) -> Training:
    """The training of a replay: every experiment from the cache, none trained (MissingCacheError
    names the missing ones), no workers, no progress lines."""
    return Training(cache, _Inline(), Progress(enabled=False), cache_only=True)
