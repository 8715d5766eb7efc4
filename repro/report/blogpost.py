"""The blog post's batch-norm demo in float64: its network, its batch-norm backward as published,
and the correct one. Used for the report's opening figure; nothing here is trained or cached.

What the post's code (github.com/rohan-varma/nn-init-demo, batchnorm-demo.py) does, in this
module's layout (rows are examples, columns are units):

- input: 1000 examples of 100 N(0, 1) features (the post draws a 100 x 1000 array and multiplies
  the weights from the left, so its columns are the examples);
- 20 layers of 100 units, no bias, weights 0.01 * N(0, 1): h_k = norm(relu(h_{k-1} W_k^T));
- its "batch norm" comes after the ReLU and normalizes each example across its 100 units (layer
  norm without affine: gamma = 1, beta = 0, no eps);
- nothing is trained: a 0.01 * N(0, 1) gradient enters the output of layer 19 (`ENTRY_LAYER`), so
  layer 20 is never back-propagated; the post plots dL/dW of layers 19..1 and titles layer k's
  histogram "layer 21 - k" (`post_title`): its "layer 2" and "layer 3" panels are layers 19 and 18.

`sample(seed)` draws in the post's order and shapes, so it gives the arrays the post's script gets
after `np.random.seed(seed)`.
"""
from __future__ import annotations

from typing import Callable, Iterable

import numpy as np
from threadpoolctl import threadpool_limits

N_LAYERS, WIDTH, BATCH, INIT_SCALE = 20, 100, 1000, 0.01
ENTRY_LAYER = 19  # the post's random gradient enters this layer's output
POST_PANELS = {19: 16.399844595731803, 18: 27.35124220522352}  # layer -> var the post printed


def sample(seed: int) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
    """(x (BATCH, WIDTH), weights [(WIDTH, WIDTH)] * N_LAYERS as (out, in), upstream gradient (BATCH, WIDTH))."""
    rs = np.random.RandomState(seed)
    x = rs.standard_normal((WIDTH, BATCH)).T
    ws = [rs.normal(size=(WIDTH, WIDTH)) * INIT_SCALE for _ in range(N_LAYERS)]
    upstream = INIT_SCALE * rs.standard_normal((WIDTH, BATCH)).T
    return x, ws, upstream


def post_title(layer: int) -> int:
    """The layer number the post's histogram title gives layer `layer` (it counts from the top)."""
    return N_LAYERS + 1 - layer


# ----------------------------------------------------------------------------- layers

def linear_forward(h: np.ndarray, w: np.ndarray):
    """z = h W^T, w (out, in)."""
    return h @ w.T, (h, w)


def linear_backward(dz: np.ndarray, cache) -> tuple[np.ndarray, np.ndarray]:
    """(dh, dW)."""
    h, w = cache
    return dz @ w, dz.T @ h


def relu_forward(z: np.ndarray):
    return np.maximum(z, 0.0), z > 0


def relu_backward(dout: np.ndarray, cache) -> np.ndarray:
    return dout * cache


def norm_forward(x: np.ndarray):
    """The post's normalization: each row (example) to mean 0, variance 1 across its units, no eps."""
    xc = x - x.mean(axis=1, keepdims=True)
    std = np.sqrt(np.mean(xc * xc, axis=1, keepdims=True))
    return xc / std, (xc, std)


def bn_backward(dy: np.ndarray, cache) -> np.ndarray:
    """dL/dx of `norm_forward`: (dy - mean(dy) - xhat * mean(dy * xhat)) / std, means over the units.

    The projection removes the two directions the normalization cannot move (a constant and xhat).
    """
    xc, std = cache
    xhat = xc / std
    return (dy - dy.mean(axis=1, keepdims=True) - xhat * np.mean(dy * xhat, axis=1, keepdims=True)) / std


def bn_backward_as_published(dy: np.ndarray, cache) -> np.ndarray:
    """The post's dL/dx, transcribed term by term. WRONG; for the opening figure only.

    Ioffe & Szegedy's chain rule (N = units normalized over, var = std^2):
        dvar = sum(dy * xc) * -1/2 * var^-3/2
        dmu  = sum(-dy / std) + dvar * sum(-2 xc) / N          (the second term is 0)
        dx   = dy / std + dvar * 2 xc / N + dmu / N
    The post writes `-2 xc / N` in dx (a sign error) and adds `dvar * -2 xc / N` to dmu without
    summing it, so dmu is a per-element array. Together: dx = (dy - mean(dy) + (1 + 1/N) xhat
    mean(dy * xhat)) / std. The xhat component that the normalization removes is added back,
    (2 + 1/N) times too large: about 2/sqrt(N) = 20% of |dx| for a random dy at N = 100.
    """
    xc, std = cache
    n = xc.shape[1]
    var = std * std
    dvar = np.sum(dy * xc, axis=1, keepdims=True) * -0.5 * var ** -1.5
    dmu = np.sum(-dy / std, axis=1, keepdims=True) + dvar * -2 * xc / n  # not summed over the units
    return dy / std + dvar * -2 * xc / n + dmu / n  # -2 where +2 is right


# ----------------------------------------------------------------------------- the network

def forward(x: np.ndarray, ws: list[np.ndarray], norm: bool = True):
    """hs[k] is layer k's output (hs[0] = x); caches[k - 1] holds layer k's three caches.
    norm=False drops the normalization (the post's init-demo.py: the same net without it)."""
    hs, caches = [x], []
    for w in ws:
        z, lin = linear_forward(hs[-1], w)
        a, act = relu_forward(z)
        h, nrm = norm_forward(a) if norm else (a, None)
        hs.append(h)
        caches.append((lin, act, nrm))
    return hs, caches


def backward(caches, upstream: np.ndarray, bn_back: Callable = bn_backward, entry: int = ENTRY_LAYER):
    """Back-propagate `upstream` = dL/dh_entry down to the input, as the post does.

    Returns (dhs, dws): dhs[k] = dL/dh_k for k = entry..0, dws[k] = dL/dW_k for k = entry..1.
    """
    dhs, dws = {entry: upstream}, {}
    for k in range(entry, 0, -1):
        lin, act, nrm = caches[k - 1]
        da = bn_back(dhs[k], nrm) if nrm is not None else dhs[k]
        dhs[k - 1], dws[k] = linear_backward(relu_backward(da, act), lin)
    return dhs, dws


FORMULAS = {"published": bn_backward_as_published, "correct": bn_backward}


def gradients(seed: int, published: bool = False):
    """(dhs, dws) of the post's network for `seed`, with the post's backward if `published`."""
    x, ws, upstream = sample(seed)
    _, caches = forward(x, ws)
    return backward(caches, upstream, FORMULAS["published" if published else "correct"])


def numerical_dx(a: np.ndarray, dy: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central differences of L = sum(norm_forward(a) * dy) with respect to a. Rows are normalized
    independently, so one column is perturbed in every row at once and each row's loss differenced."""
    def row_loss(a_):
        return np.sum(norm_forward(a_)[0] * dy, axis=1)
    num = np.empty_like(a)
    for j in range(a.shape[1]):
        step = np.zeros_like(a)
        step[:, j] = h
        num[:, j] = (row_loss(a + step) - row_loss(a - step)) / (2 * h)
    return num


def fd_error(bn_back: Callable, seed: int = 0) -> float:
    """|dx - numerical dx| / |numerical dx| of `bn_back` at the post's first normalization (layer
    1's ReLU output) for a N(0, 1) upstream gradient."""
    x, ws, _ = sample(seed)
    a = relu_forward(linear_forward(x, ws[0])[0])[0]
    dy = np.random.default_rng(seed).standard_normal(a.shape)
    num = numerical_dx(a, dy)
    return float(np.linalg.norm(bn_back(dy, norm_forward(a)[1]) - num) / np.linalg.norm(num))


def rms(a: np.ndarray) -> float:
    return float(np.sqrt(np.mean(a * a)))


def growth_per_layer(dhs: dict[int, np.ndarray]) -> float:
    """Geometric-mean factor by which the RMS of dL/dh grows per layer going down (entry -> input)."""
    top, bottom = max(dhs), min(dhs)
    return (rms(dhs[bottom]) / rms(dhs[top])) ** (1.0 / (top - bottom))


def study(seeds: Iterable[int] = range(12), panel_seed: int = 0) -> dict:
    """What the report's opening figure shows, for both backward formulas (`FORMULAS`): `var[f]`
    (seeds, 19) the variance of dL/dW for layers 19..1 (`layers`), `growth[f]` (seeds,) per-layer
    RMS growth of dL/dh, `panels[f][k]` dL/dW of `panel_seed` for the post's panels, and
    `fd_error[f]` against finite differences. A few seconds on one core."""
    seeds = list(seeds)
    out = {"layers": list(range(ENTRY_LAYER, 0, -1)), "seeds": seeds, "panel_seed": panel_seed,
           "var": {f: [] for f in FORMULAS}, "growth": {f: [] for f in FORMULAS}, "panels": {}, "fd_error": {}}
    with threadpool_limits(limits=1, user_api="blas"):  # (1000, 100) matmuls: more threads only contend
        for s in dict.fromkeys(seeds + [panel_seed]):
            x, ws, upstream = sample(s)
            caches = forward(x, ws)[1]
            for f, back in FORMULAS.items():
                dhs, dws = backward(caches, upstream, back)
                if s == panel_seed:
                    out["panels"][f] = {k: dws[k] for k in POST_PANELS}
                if s in seeds:
                    out["var"][f].append([np.var(dws[k]) for k in out["layers"]])
                    out["growth"][f].append(growth_per_layer(dhs))
        for f, back in FORMULAS.items():
            out["var"][f], out["growth"][f] = np.array(out["var"][f]), np.array(out["growth"][f])
            out["fd_error"][f] = fd_error(back, panel_seed)
    return out
