"""Probe measurements, named and shaped exactly as documented in repro/engine/record.py.

Probes look at a fixed 512-example probe batch (the same for every seed: the first 512 of a
fixed permutation of the training set) in train mode (the batch's own statistics), without
touching the running statistics; "units_eval" looks at it in evaluation mode (the running
statistics), where a norm cannot centre the probe batch by construction. `measure` returns one step's values (K, ...); the trainer
stacks them over the probe steps into (K, P, ...).
"""
from __future__ import annotations

import numpy as np

from .init import DATA, PROBE_NOISE, SHARED, stream
from .model import eval_activations, loss_and_grads
from .spec import ExperimentSpec

PROBE_BATCH = 512
TRAIN_SUBSET = 1000
N_SAMPLES = 256
PERCENTILES = (5, 15, 50, 85, 95)
UNIT_PERCENTILES = (15, 50, 85)
N_UNITS = 3


def fixed_indices(n_train: int) -> tuple[np.ndarray, np.ndarray]:
    """(train-subset indices (<= 1000), probe-batch indices (<= 512)) from one fixed permutation."""
    perm = stream(SHARED, DATA).permutation(n_train)
    return perm[:TRAIN_SUBSET], perm[:PROBE_BATCH]


def sample_positions(n_examples: int, width: int) -> np.ndarray:
    """N_SAMPLES fixed flat positions into an (examples x units) array, for histograms."""
    return np.sort(stream(SHARED, PROBE_NOISE).choice(n_examples * width, size=min(N_SAMPLES, n_examples * width),
                                                     replace=False))


def probe_noise(spec: ExperimentSpec, seeds, n_examples: int, n_classes: int) -> np.ndarray | None:
    """Fixed per-seed logit-gradient noise for loss='noise' probes (None for other losses)."""
    if spec.loss != "noise":
        return None
    return np.stack([stream(s, PROBE_NOISE).standard_normal((n_examples, n_classes)) for s in seeds]
                    ).astype(spec.dtype)


def percentile(a: np.ndarray, q, axis: int) -> np.ndarray:
    """np.percentile(a, q, axis=axis), bit for bit, about 2x faster on probe-sized arrays.

    numpy's (SIMD) sort first; percentile's selection is then cheap on the sorted copy.
    """
    return np.percentile(np.sort(a, axis=axis), q, axis=axis, overwrite_input=True)


def _norm64(x: np.ndarray, axis) -> np.ndarray:
    """Euclidean norm accumulated in float64 (float32 squares of tiny values underflow to 0)."""
    return np.sqrt(np.sum(np.square(x, dtype=np.float64), axis=axis))


def within_unit_share(act: np.ndarray) -> np.ndarray:
    """Page's measure (2019), per seed: the share of a layer's activation variance that lies within
    units (across examples) rather than between the units' means. act (K, B, D) -> (K,).

    Law of total variance over the (example, unit) cells: total = mean_d var_b + var_d mean_b. A layer
    near 0 computes a near-constant function of its input. A layer that is exactly constant has no
    variance to share: 0 (it varies with nothing). float64, as underflowing nets need.
    """
    a = act.astype(np.float64)
    within = a.var(axis=1).mean(axis=1)
    between = a.mean(axis=1).var(axis=1)
    total = within + between
    return np.divide(within, total, out=np.zeros_like(total), where=total > 0)


def _unit_fractions(pre: list[np.ndarray], act: list[np.ndarray], suffix: str = "") -> dict[str, np.ndarray]:
    """Dead (input <= 0 on every example) and always-active unit fractions and Page's within-unit share."""
    return {f"probe/dead_frac{suffix}": np.stack([np.all(p <= 0, axis=1).mean(axis=1) for p in pre], axis=1),
            f"probe/linear_frac{suffix}": np.stack([np.all(p > 0, axis=1).mean(axis=1) for p in pre], axis=1),
            f"probe/within_share{suffix}": np.stack([within_unit_share(a) for a in act], axis=1)}


def measure(spec: ExperimentSpec, params: dict, x: np.ndarray, y: np.ndarray,
            noise: np.ndarray | None = None, state: dict | None = None) -> dict[str, np.ndarray]:
    """The requested probes (spec.probes) at the current parameters; arrays (K, ...) per value.

    x (B, D) probe batch shared by all seeds, y (B,) labels, or one per seed: x (K, B, D), y (K, B).
    `state`: the running statistics, for "units_eval". Empty dict when no probes.
    """
    probes = set(spec.probes) - {"final_params"}
    if not probes:
        return {}
    L = spec.depth
    _, grads, aux = loss_and_grads(spec, params, x, y, train=True, noise=noise, keep=True)
    k, n, width = aux["pre0"].shape
    pos = sample_positions(n, width)
    out: dict[str, np.ndarray] = {}
    if "activations" in probes:
        sites = ("linear", "norm", "act") if spec.has_norm else ("linear", "act")
        for site in sites:
            flat = np.stack([aux[f"{site}{i}"].reshape(k, -1) for i in range(L)], axis=1)  # (K, L, n*width)
            # float64 statistics: in a collapsing net, float32 squares of ~1e-23 values underflow to 0
            out[f"probe/{site}_mean"] = flat.mean(axis=2, dtype=np.float64)
            out[f"probe/{site}_std"] = flat.std(axis=2, dtype=np.float64)
            out[f"probe/{site}_pct"] = np.moveaxis(percentile(flat, PERCENTILES, axis=2), 0, -1)
            out[f"probe/{site}_sample"] = flat[:, :, pos]
    if "gradients" in probes:
        names = [f"W{i}" for i in range(L + 1)]
        out["probe/grad_w_norm"] = np.stack([_norm64(grads[n_], axis=(1, 2)) for n_ in names], axis=1)
        out["probe/weight_norm"] = np.stack([_norm64(params[n_], axis=(1, 2)) for n_ in names], axis=1)
        dout = np.stack([aux[f"dout{i}"].reshape(k, -1) for i in range(L)], axis=1)  # (K, L, n*width)
        out["probe/grad_act_norm"] = _norm64(dout, axis=2)
        out["probe/grad_act_sample"] = dout[:, :, pos]
    if "units" in probes:
        out.update(_unit_fractions([aux[f"pre{i}"] for i in range(L)], [aux[f"act{i}"] for i in range(L)]))
    if "units_eval" in probes:
        ev = eval_activations(spec, params, x, state)
        out.update(_unit_fractions([ev[f"pre{i}"] for i in range(L)], [ev[f"act{i}"] for i in range(L)], "_eval"))
    if "bn_params" in probes and spec.has_norm:  # no norm layers, nothing to record
        if spec.affine:
            out["probe/gamma"] = np.stack([params[f"gamma{i}"] for i in range(L)], axis=1)
            out["probe/beta"] = np.stack([params[f"beta{i}"] for i in range(L)], axis=1)
        else:  # without affine the norm's effective scale and shift are 1 and 0
            out["probe/gamma"] = np.ones((k, L, width), spec.dtype)
            out["probe/beta"] = np.zeros((k, L, width), spec.dtype)
    if "unit_percentiles" in probes:
        u = min(N_UNITS, width)
        pct = [percentile(aux[f"pre{i}"][:, :, :u], UNIT_PERCENTILES, axis=1) for i in range(L)]  # (3, K, u)
        out["probe/unit_pct"] = np.stack([np.moveaxis(p, 0, -1) for p in pct], axis=1)  # (K, L, u, 3)
    return out
