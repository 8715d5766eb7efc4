"""Optimizers (sgd, momentum, adam) and learning-rate schedules, vectorized over the seed axis.

An optimizer updates params in place: `opt.step(params, grads, lr, active)`. It skips
parameters the spec freezes (model.trainable) and seeds whose `active` flag is False (diverged
seeds stay frozen). It may overwrite `grads` (they are scratch space after the step).
"""
from __future__ import annotations

import math

import numpy as np

from .model import trainable
from .spec import CHOICES, ExperimentSpec

OPTIMIZERS = CHOICES["optimizer"]
SCHEDULES = CHOICES["schedule"]


def learning_rate(spec: ExperimentSpec, step: int, base=None):
    """Learning rate of update number `step` (0-based): constant, or cosine decay to 0 at spec.steps.

    `base` replaces spec.lr: a (K,) array gives every seed row its own rate (tuning runs stack
    several rates in one batched computation; repro.engine.train.train_rates)."""
    lr = spec.lr if base is None else base
    if spec.schedule == "constant" or spec.steps == 0:
        return lr
    if spec.schedule == "cosine":
        return lr * (0.5 * (1.0 + math.cos(math.pi * step / spec.steps)))
    raise ValueError(f"schedule={spec.schedule!r} is not allowed; choose one of {', '.join(map(repr, SCHEDULES))}")


class Optimizer:
    """SGD, heavy-ball momentum (v = mu v + g; p -= lr v) or Adam (betas 0.9/0.999, eps 1e-8); with
    spec.weight_decay, g += weight_decay * W for the Linear weights first (L2, as torch.optim.SGD)."""

    def __init__(self, spec: ExperimentSpec, params: dict[str, np.ndarray]):
        if spec.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer={spec.optimizer!r} is not allowed; choose one of "
                             f"{', '.join(map(repr, OPTIMIZERS))}")
        self.kind = spec.optimizer
        self.mu = spec.momentum
        self.names = [n for n in params if trainable(spec, n)]
        hidden = {f"W{i}" for i in range(spec.depth)}
        self.lr_scale = {n: spec.hidden_lr_scale if n in hidden else 1.0 for n in self.names}
        self.decay = {n: spec.weight_decay for n in self.names if n.startswith("W") and spec.weight_decay}
        self.t = 0
        self.b1, self.b2, self.eps = 0.9, 0.999, 1e-8
        self.m = {n: np.zeros_like(params[n]) for n in self.names} if self.kind != "sgd" else {}
        self.v = {n: np.zeros_like(params[n]) for n in self.names} if self.kind == "adam" else {}

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray], lr,
             active: np.ndarray | None = None) -> None:
        """One update in place. lr: a float, or a (K,) array of per-row rates. active (K,) bool:
        seeds to update (None = all)."""
        self.t += 1
        frozen = None if active is None or active.all() else ~active
        for n in self.names:
            p, g, lr_n = params[n], grads[n], _per_row(lr * self.lr_scale[n], params[n])
            if n in self.decay:
                g += np.asarray(self.decay[n], dtype=p.dtype) * p
            if frozen is not None:
                g[frozen] = 0  # diverged seeds: keep the optimizer state finite
            if self.kind == "sgd":
                upd = np.multiply(g, lr_n, out=g)
            elif self.kind == "momentum":
                m = self.m[n]
                m *= self.mu
                m += g
                upd = np.multiply(m, lr_n, out=g)
            else:
                m, v = self.m[n], self.v[n]
                tmp = np.square(g)
                v *= self.b2
                v += np.multiply(tmp, 1 - self.b2, out=tmp)
                m *= self.b1
                m += np.multiply(g, 1 - self.b1, out=g)
                denom = np.multiply(v, 1.0 / (1 - self.b2 ** self.t), out=tmp)
                np.sqrt(denom, out=denom)
                denom += self.eps
                upd = np.divide(m, denom, out=denom)
                upd *= _per_row(lr * self.lr_scale[n] / (1 - self.b1 ** self.t), p)
            if frozen is not None:
                upd[frozen] = 0  # momentum would otherwise keep moving a frozen seed
            p -= upd


def _per_row(lr, p: np.ndarray):
    """A scalar rate as is; per-row rates (K,) shaped to broadcast over p and cast to its dtype,
    as numpy casts a Python float scalar: each row then rounds exactly as a run at that rate alone."""
    if np.ndim(lr) == 0:
        return lr
    return np.asarray(lr, dtype=np.float64).astype(p.dtype).reshape((-1,) + (1,) * (p.ndim - 1))
