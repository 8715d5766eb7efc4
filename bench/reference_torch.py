"""The benchmark's training as a PyTorch eager loop: one nn.Sequential per seed, like a user would.

Same initial parameters, minibatches, learning rate and float32 as repro's engine; used only
for timing and cross-checking (torch is not a dependency of repro).
"""
from __future__ import annotations

import numpy as np

LABEL = "PyTorch eager, per-seed loop"
INSTALL = "pip install torch (CPU) to compare"


def available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def build(spec, params: dict, k: int):
    """One nn.Sequential per seed: [Linear, BatchNorm1d, ReLU] x depth, Linear; weights from params[.][k]."""
    import torch
    from torch import nn

    mods = []
    for i in range(spec.depth + 1):
        w = params[f"W{i}"][k]
        lin = nn.Linear(w.shape[0], w.shape[1])
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(np.ascontiguousarray(w.T)))
            lin.bias.copy_(torch.from_numpy(params[f"b{i}"][k]))
        mods.append(lin)
        if i < spec.depth:
            bn = nn.BatchNorm1d(w.shape[1], eps=spec.bn_eps, momentum=spec.bn_momentum)
            with torch.no_grad():
                bn.weight.copy_(torch.from_numpy(params[f"gamma{i}"][k]))
                bn.bias.copy_(torch.from_numpy(params[f"beta{i}"][k]))
            mods += [bn, nn.ReLU()]
    return nn.Sequential(*mods)


def train(spec, params: dict, x: np.ndarray, y: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Train every seed for idx.shape[0] steps; returns the last minibatch loss per seed (K,)."""
    import torch
    import torch.nn.functional as F

    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    steps, k, _ = idx.shape
    last = np.empty(k)
    for s in range(k):
        model = build(spec, params, s)
        opt = torch.optim.SGD(model.parameters(), lr=spec.lr)
        batches = torch.from_numpy(idx[:, s])
        for t in range(steps):
            b = batches[t]
            loss = F.cross_entropy(model(xt[b]), yt[b])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        last[s] = loss.item()
    return last


def run(spec, params: dict, x: np.ndarray, y: np.ndarray, idx: np.ndarray, repeat: int = 3) -> dict:
    """Best-of-repeat timing (after a short warm-up) and the final losses."""
    import os

    import torch

    from bench.bench_train import best_of

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", os.cpu_count() or 1)))
    train(spec, params, x, y, idx[:3])  # warm-up: allocator, kernels
    out = {}
    timing = best_of(lambda: out.__setitem__("loss", train(spec, params, x, y, idx)), repeat, warmup=0)
    return {"timing": timing, "final_loss": out["loss"]}
