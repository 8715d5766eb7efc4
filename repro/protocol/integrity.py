"""Checks of a cached Record against its spec and seeds, beyond the file checksum.

A checksum only says the files are the ones the cache wrote (or that someone recomputed it).
These checks say the arrays fit the experiment: every value has one row per seed, the step
axes are the ones the spec implies, and each seed's row is the one stored for that seed
(per-seed digests, so a reversed or permuted seed order is caught). Any failure raises
EntryMismatch with the reason; the cache then treats the entry as damaged and recomputes it.
"""
from __future__ import annotations

import hashlib
from typing import Mapping

import numpy as np

from ..engine.spec import ExperimentSpec


class EntryMismatch(ValueError):
    """A cached record does not fit its spec and seeds; the message says which array and why."""


def seed_digests(values: Mapping[str, np.ndarray], n_seeds: int) -> list[str]:
    """One sha256 per seed position over that seed's slice of every value (names, dtypes, shapes, bytes)."""
    digests = []
    for i in range(n_seeds):
        h = hashlib.sha256()
        for name in sorted(values):
            row = np.ascontiguousarray(np.asarray(values[name])[i])
            h.update(f"{name}\0{row.dtype.str}\0{row.shape}\0".encode())
            h.update(row.tobytes())
        digests.append(h.hexdigest()[:16])
    return digests


def expected_axes(spec: ExperimentSpec, names: set[str]) -> dict[str, np.ndarray]:
    """The step axes the spec implies, for the axes present in a record."""
    from ..engine.train import eval_steps  # the engine's own definition of the evaluation steps
    want = {"eval_step": eval_steps(spec), "probe_step": np.array(spec.probe_steps),
            "geometry_step": np.array(spec.geometry_steps)}
    return {n: want[n] for n in names if n in want}


def check(spec: ExperimentSpec, seeds: tuple[int, ...], values: Mapping[str, np.ndarray],
          axes: Mapping[str, np.ndarray], digests: list[str] | None) -> None:
    """Raise EntryMismatch unless the arrays fit (spec, seeds) and match the per-seed digests."""
    k = len(seeds)
    for name, want in expected_axes(spec, set(axes)).items():
        if not np.array_equal(np.asarray(axes[name]), want):
            raise EntryMismatch(f"axis {name!r} is {np.asarray(axes[name]).tolist()}, the spec implies {want.tolist()}")
    if "eval_step" not in axes:
        raise EntryMismatch("axis 'eval_step' is missing")
    step_axis = {"probe/": ("probe_step", len(spec.probe_steps)), "geometry/": ("geometry_step", len(spec.geometry_steps))}
    for name, v in values.items():
        shape = np.shape(v)
        if not shape or shape[0] != k:
            raise EntryMismatch(f"value {name!r} has shape {shape}: its leading (seed) axis must be {k}, one row per seed")
        if name.startswith(("train_", "val_", "test_")) and shape != (k, len(axes["eval_step"])):
            raise EntryMismatch(f"value {name!r} has shape {shape}, expected ({k}, {len(axes['eval_step'])}) evaluations")
        if name == "batch_loss" and shape != (k, spec.steps):
            raise EntryMismatch(f"value 'batch_loss' has shape {shape}, expected ({k}, steps={spec.steps})")
        for prefix, (axis, n) in step_axis.items():
            if name.startswith(prefix) and (len(shape) < 2 or shape[1] != n):
                raise EntryMismatch(f"value {name!r} has shape {shape}: its second axis must be the {n} {axis}s")
    if digests is None:
        raise EntryMismatch("no per-seed digests (written by an older repro)")
    got = seed_digests(values, k)
    if got != list(digests):
        if sorted(got) == sorted(digests):
            raise EntryMismatch("the seed rows are in another order than the one stored (permuted seed axis)")
        bad = [seeds[i] for i, (a, b) in enumerate(zip(got, digests)) if a != b]
        raise EntryMismatch(f"the rows of seed(s) {bad} differ from their stored digests")
