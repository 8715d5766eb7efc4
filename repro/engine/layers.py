"""Layers as forward/backward pairs with explicit caches (CS231n layers.py style).

Every array has a leading seed axis K: activations are (K, B, D), weights (K, D_in, D_out),
per-unit vectors (K, D). Inputs may also be shared across seeds as (B, D): np.matmul
broadcasts them. A `*_forward` returns (out, cache); its `*_backward(dout, cache)` returns
the gradients with respect to its inputs and parameters.
"""
from __future__ import annotations

import numpy as np
from scipy.special import expit

from .spec import CHOICES

ACTIVATIONS = CHOICES["activation"]


# ----------------------------------------------------------------------------- linear

def batch_sum(x: np.ndarray) -> np.ndarray:
    """Sum over the batch axis, (K, B, D) -> (K, D).

    A matmul with a ones vector: about 4x faster than x.sum(axis=1) on (20, 64, 100) float32,
    and still one BLAS call per seed slice (seeds never mix).
    """
    return np.matmul(np.ones(x.shape[1], x.dtype), x)


def linear_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None):
    """out = x @ w + b. x (K, B, D_in) or (B, D_in), w (K, D_in, D_out), b (K, D_out) or None."""
    out = np.matmul(x, w)
    if b is not None:
        out += b[:, None, :]
    return out, (x, w, b is not None)


def linear_backward(dout: np.ndarray, cache, need_dx: bool = True):
    """Returns (dx, dw, db); dx is None when need_dx=False (the first layer), db None without bias."""
    x, w, has_bias = cache
    dw = np.matmul(np.swapaxes(x, -1, -2), dout)  # transposed views go to BLAS as-is, no copies
    db = batch_sum(dout) if has_bias else None
    dx = np.matmul(dout, np.swapaxes(w, -1, -2)) if need_dx else None
    return dx, dw, db


# ----------------------------------------------------------------------------- normalization

def batchnorm_forward(x: np.ndarray, gamma: np.ndarray | None, beta: np.ndarray | None, *,
                      eps: float = 1e-5, train: bool = True,
                      running_mean: np.ndarray | None = None, running_var: np.ndarray | None = None):
    """Batch normalization over the batch axis (axis 1), per unit and per seed.

    Train mode normalizes with the batch's own mean and (biased) variance and returns them
    as (out, cache, mean (K, D), var (K, D)) so the caller can update running statistics.
    Eval mode uses running_mean/running_var (K, D). gamma/beta (K, D) or None (no affine).
    Computed as out = (x - mean) * scale + beta with the per-unit scale = gamma / std.
    """
    if train:
        n = x.shape[1]
        mean = batch_sum(x) / n
        xc = x - mean[:, None, :]
        out = np.square(xc)  # scratch until the output is written into it
        var = batch_sum(out) / n
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batchnorm_forward(train=False) needs running_mean and running_var")
        mean, var = running_mean, running_var
        xc = x - mean[:, None, :]
        out = np.empty_like(xc)
    inv_std = 1.0 / np.sqrt(var + eps)
    scale = inv_std if gamma is None else gamma * inv_std
    np.multiply(xc, scale[:, None, :], out=out)
    if beta is not None:
        out += beta[:, None, :]
    return out, (xc, inv_std, scale, gamma is not None, train), mean, var


def batchnorm_backward(dout: np.ndarray, cache, *, inplace: bool = False):
    """Returns (dx, dgamma, dbeta); dgamma/dbeta are None without affine. inplace=True writes dx into dout.

    With xhat = (x - mean) * inv_std, the usual
    dx = scale * (dout - mean_b(dout) - xhat * mean_b(dout * xhat))
    is evaluated as dout * scale - (x - mean) * u - v with per-unit u, v from the two batch sums.
    """
    xc, inv_std, scale, affine, batch_stats = cache
    tmp = dout * xc
    sum_dout = batch_sum(dout)
    sum_dout_xhat = batch_sum(tmp) * inv_std
    dx = np.multiply(dout, scale[:, None, :], out=dout if inplace else None)  # dout's last use
    if batch_stats:
        n = dout.shape[1]
        u = scale * inv_std * sum_dout_xhat / n
        dx -= np.multiply(xc, u[:, None, :], out=tmp)
        dx -= (scale * sum_dout / n)[:, None, :]
    if not affine:
        return dx, None, None
    return dx, sum_dout_xhat, sum_dout


def unitnorm_forward(x: np.ndarray, gamma: np.ndarray | None, beta: np.ndarray | None, *,
                     eps: float = 1e-5):
    """The blog post's "batch norm": normalize each example across its units (axis 2).

    That is layer norm; with affine, gamma/beta (K, D) still scale and shift each unit.
    It has no running statistics: train and eval mode are the same.
    """
    mean = x.mean(axis=2, keepdims=True)
    xc = x - mean
    inv_std = 1.0 / np.sqrt(np.mean(np.square(xc), axis=2, keepdims=True) + eps)
    out = xc * inv_std  # xhat; not cached itself: the caller may overwrite out
    if gamma is not None:
        out *= gamma[:, None, :]
        out += beta[:, None, :]
    return out, (xc, inv_std, gamma)


def unitnorm_backward(dout: np.ndarray, cache):
    """Returns (dx, dgamma, dbeta); dgamma/dbeta are None without affine."""
    xc, inv_std, gamma = cache
    xhat = xc * inv_std
    if gamma is None:
        dgamma = dbeta = None
        dxhat = dout
    else:
        dgamma = batch_sum(dout * xhat)
        dbeta = batch_sum(dout)
        dxhat = dout * gamma[:, None, :]
    mean_dxhat = dxhat.mean(axis=2, keepdims=True)
    mean_dxhat_xhat = np.mean(dxhat * xhat, axis=2, keepdims=True)
    dx = (dxhat - mean_dxhat - xhat * mean_dxhat_xhat) * inv_std
    return dx, dgamma, dbeta


def meanonly_forward(x: np.ndarray, gamma: np.ndarray | None, beta: np.ndarray | None, *,
                     train: bool = True, running_mean: np.ndarray | None = None):
    """Mean-only batch normalization (Salimans & Kingma 2016): subtract the batch mean, do not divide.

    out = (x - mean) * gamma + beta. Returns (out, cache, mean (K, D)); eval mode uses running_mean.
    """
    if train:
        mean = batch_sum(x) / x.shape[1]
    elif running_mean is None:
        raise ValueError("meanonly_forward(train=False) needs running_mean")
    else:
        mean = running_mean
    xc = x - mean[:, None, :]
    out = xc if gamma is None else xc * gamma[:, None, :]
    if beta is not None:
        out = out + beta[:, None, :]
    return out, (xc, gamma, train), mean


def meanonly_backward(dout: np.ndarray, cache):
    """Returns (dx, dgamma, dbeta): dx = gamma * (dout - mean_b(dout)) with batch statistics."""
    xc, gamma, batch_stats = cache
    dxc = dout if gamma is None else dout * gamma[:, None, :]
    dx = dxc - (batch_sum(dxc) / dout.shape[1])[:, None, :] if batch_stats else dxc
    if gamma is None:
        return dx, None, None
    return dx, batch_sum(dout * xc), batch_sum(dout)


def scaleonly_forward(x: np.ndarray, gamma: np.ndarray | None, beta: np.ndarray | None, *,
                      eps: float = 1e-5, train: bool = True, running_var: np.ndarray | None = None):
    """Scale-only batch normalization: divide by the batch standard deviation, do not centre.

    out = x * gamma / sqrt(var + eps) + beta, var the (biased) batch variance around the batch mean,
    so each unit keeps its mean-to-std ratio. Returns (out, cache, var (K, D)); eval mode uses running_var.
    """
    if train:
        n = x.shape[1]
        mean = batch_sum(x) / n
        var = batch_sum(np.square(x - mean[:, None, :])) / n
    elif running_var is None:
        raise ValueError("scaleonly_forward(train=False) needs running_var")
    else:
        mean, var = None, running_var
    inv_std = 1.0 / np.sqrt(var + eps)
    scale = inv_std if gamma is None else gamma * inv_std
    out = x * scale[:, None, :]
    if beta is not None:
        out += beta[:, None, :]
    return out, (x, mean, inv_std, scale, gamma is not None, train), var


def scaleonly_backward(dout: np.ndarray, cache):
    """Returns (dx, dgamma, dbeta). With s = 1/sqrt(var + eps) and batch statistics,
    dx = scale * dout - scale * s^2 * (x - mean) * mean_b(dout * x)."""
    x, mean, inv_std, scale, affine, batch_stats = cache
    sum_dout_x = batch_sum(dout * x)
    dx = dout * scale[:, None, :]
    if batch_stats:
        n = dout.shape[1]
        dx -= (x - mean[:, None, :]) * (scale * np.square(inv_std) * sum_dout_x / n)[:, None, :]
    if not affine:
        return dx, None, None
    return dx, sum_dout_x * inv_std, batch_sum(dout)


def unit_noise_forward(x: np.ndarray, scale: np.ndarray, shift: np.ndarray):
    """out = x * scale + shift with per-unit (K, D) factors: the perturbation of noisy BN."""
    return x * scale[:, None, :] + shift[:, None, :], scale


def unit_noise_backward(dout: np.ndarray, cache) -> np.ndarray:
    """dx = dout * scale (the noise is not a parameter: no other gradient)."""
    return dout * cache[:, None, :]


# ----------------------------------------------------------------------------- activations

def activation_forward(x: np.ndarray, kind: str, slope: float = 0.01, *, inplace: bool = False):
    """Elementwise activation; kind in ACTIVATIONS, slope (0 <= slope < 1) only for leaky_relu.

    inplace=True writes the result into x (for callers that no longer need x). The cache holds
    the output: out > 0 exactly where x > 0 for (leaky) ReLU.
    """
    out = x if inplace else None
    if kind == "relu":
        # against an array of zeros: numpy's array-array maximum is SIMD, array-scalar is ~2x slower
        out = np.maximum(x, np.zeros(x.shape[-1], x.dtype), out=out)
    elif kind == "leaky_relu":
        out = np.maximum(x, x * x.dtype.type(slope), out=out)  # x if x > 0 else slope * x
    elif kind == "tanh":
        out = np.tanh(x, out=out)
    elif kind == "sigmoid":
        # expit keeps full relative accuracy for very negative x, where 0.5 * (tanh(x / 2) + 1) rounds
        # to a multiple of eps/2 (or 0). The gradient s * (1 - s) uses 1 - s = expit(-x), computed here
        # before x may be overwritten: 1 - s itself cancels to 0 for large positive x.
        complement = expit(-x)
        out = expit(x, out=out)
        return out, (kind, out, complement)
    elif kind == "identity":
        return x, (kind, None, None)
    else:
        raise ValueError(f"activation={kind!r} is not allowed; choose one of {', '.join(map(repr, ACTIVATIONS))}")
    return out, (kind, out, slope)


def activation_backward(dout: np.ndarray, cache, *, inplace: bool = False) -> np.ndarray:
    """Gradient with respect to the activation's input; inplace=True writes it into dout."""
    kind, saved, slope = cache
    out = dout if inplace else None
    if kind == "relu":
        return np.multiply(dout, saved > 0, out=out)
    if kind == "leaky_relu":  # dout * (1 if x > 0 else slope)
        return np.multiply(dout, np.maximum(saved > 0, dout.dtype.type(slope)), out=out)
    if kind == "tanh":
        return np.multiply(dout, 1 - saved * saved, out=out)
    if kind == "sigmoid":  # slope holds expit(-x) = 1 - s, accurate where 1 - s would cancel
        return np.multiply(dout, saved * slope, out=out)
    return dout


# ----------------------------------------------------------------------------- losses

def _labels(y: np.ndarray, k: int) -> np.ndarray:
    """Integer labels as (K, B) (shared (B,) labels are broadcast)."""
    return np.broadcast_to(y, (k, y.shape[-1]))


def softmax_xent(logits: np.ndarray, y: np.ndarray):
    """Mean softmax cross-entropy per seed. logits (K, B, C), y (K, B) or (B,) int.

    Returns (loss (K,), dlogits (K, B, C)).
    """
    k, b, _ = logits.shape
    shifted = logits - logits.max(axis=2, keepdims=True)
    exp = np.exp(shifted)
    sum_exp = exp.sum(axis=2, keepdims=True)
    yk = _labels(y, k)
    picked = np.take_along_axis(shifted, yk[:, :, None], axis=2)[:, :, 0]
    loss = (np.log(sum_exp[:, :, 0]) - picked).mean(axis=1)
    dlogits = exp / sum_exp
    np.put_along_axis(dlogits, yk[:, :, None], np.take_along_axis(dlogits, yk[:, :, None], axis=2) - 1, axis=2)
    dlogits /= b
    return loss, dlogits


def mse(logits: np.ndarray, y: np.ndarray):
    """Mean squared error against one-hot targets, averaged over examples and classes.

    Returns (loss (K,), dlogits).
    """
    k, b, c = logits.shape
    diff = logits.copy()
    yk = _labels(y, k)
    np.put_along_axis(diff, yk[:, :, None], np.take_along_axis(diff, yk[:, :, None], axis=2) - 1, axis=2)
    loss = np.mean(diff * diff, axis=(1, 2))
    return loss, diff * diff.dtype.type(2.0 / (b * c))


def noise_loss(logits: np.ndarray, noise: np.ndarray):
    """The blog post's setup: the gradient entering the logits is the given noise / B.

    Its "loss" sum(logits * noise) / B makes that gradient exact (finite-difference checkable).
    noise (K, B, C). Returns (loss (K,), dlogits).
    """
    if noise is None or noise.shape != logits.shape:
        raise ValueError(f"loss='noise' needs noise of shape {logits.shape}, got "
                         f"{None if noise is None else noise.shape}")
    b = logits.shape[1]
    loss = np.sum(logits * noise, axis=(1, 2)) / b
    return loss, noise / logits.dtype.type(b)
