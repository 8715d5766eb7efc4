"""Optimization-geometry measures of claims 8 and 9, taken on one minibatch during training.

`measure(spec, params, state, x, y, lr)` computes the families listed in `spec.geometry`, all
in train mode (BN normalizes with the statistics of this batch), for every seed at once.
`repro.engine.train.train` calls it at `spec.geometry_steps` on the minibatch of the next update and
stacks each value into `values["geometry/<name>"]` (K, G, ...). L = spec.depth; the L+1
"layers" are the L hidden blocks and the read-out; layer i's parameters are W{i}, b{i},
gamma{i}, beta{i} (those that exist and are trainable). g is the gradient of the minibatch
loss with respect to all trainable parameters; a "plain SGD step" of a set of layers is
theta_j - lr * g_j for their parameters, whatever optimizer the run itself uses.

"ics" - internal covariate shift, Santurkar, Tsipras, Ilyas & Madry (2018), "How does batch
normalization help optimization?", sec. 2.2 / Definition 2.1. For each Linear layer i:
G = dLoss/dW_i at the current parameters; G' = the same gradient on the same batch after every
EARLIER layer j < i (all its parameters) took its SGD step. Layer 0 has no earlier layers, so
G' = G there.
    ics_dist (K, L+1) = ||G - G'||_2 (Frobenius), ics_cos (K, L+1) = cos(G, G'),
    ics_rel  (K, L+1) = ||G - G'|| / ||G||,
    ics_step_rel (K, L+1) = ||delta_<i|| / ||theta_<i||, the relative size of the step the earlier
                 layers took (all their trainable parameters; NaN at layer 0, which has none). BN's
                 scale-invariant weights grow, so the same rate is a smaller relative step: ICS per
                 unit of relative step, ics_rel / ics_step_rel, compares arms without that confound.
The same at the update training actually applies (optimizer "sgd" or "momentum"): the earlier
layers move by lr_j * (mu * v_j + g_j), v_j their momentum buffer before this update (0 for sgd
and at step 0), lr_j the rate with spec.hidden_lr_scale; with momentum 0.9 that step is up to
about 10x the plain one:
    ics_applied_dist (K, L+1), ics_applied_rel (K, L+1), ics_applied_step_rel (K, L+1).

"smoothness" - gradient predictiveness and effective beta-smoothness along the gradient,
Santurkar et al. (2018) sec. 3.1 (figs. 4 and 9). For eta in lr * (0.5, 1, 2, 3, 4):
L(theta - eta g) and grad(theta - eta g), over all trainable parameters:
    loss_range (K,)  = max - min of the loss at those five points,
    grad_pred (K,)   = max_eta ||grad(theta - eta g) - g||,
    beta_smooth (K,) = max_eta ||grad(theta - eta g) - g|| / ||eta g||.
For a quadratic loss with Hessian H, beta_smooth = ||H g|| / ||g|| for every eta.

"interaction" - Goodfellow, Bengio & Courville (2016), Deep Learning, sec. 8.7.1: updating all
layers at once has second- and higher-order effects that a per-layer view misses.
dL_joint = L(theta - lr g) - L(theta); dL_i = L(theta with only layer i stepped) - L(theta).
    delta_joint (K,) = dL_joint, delta_sum (K,) = sum_i dL_i,
    interaction (K,) = dL_joint - sum_i dL_i,
    interaction_rel (K,) = (dL_joint - sum_i dL_i) / sum_i |dL_i|.
To second order, interaction = lr^2 / 2 * sum_{i != j} g_i^T H_ij g_j: only the cross-layer
blocks of the Hessian contribute, so it is 0 for layers that do not interact.

Numerics: the measures are computed in float64 whatever spec.dtype (the interaction is a
difference of loss differences of order lr^2, below float32 resolution). With loss="noise"
(no objective: the blog's setup) they are taken on softmax cross-entropy. Neither params nor
state are modified.
"""
from __future__ import annotations

import numpy as np

from .model import forward, heldout_loss, loss_and_grads, trainable
from .spec import ExperimentSpec

#: Step sizes of the smoothness path, in units of the learning rate (Santurkar et al.: [0.5, 4]).
ETAS = (0.5, 1.0, 2.0, 3.0, 4.0)


def measure(spec: ExperimentSpec, params: dict[str, np.ndarray], state: dict | None, x: np.ndarray,
            y: np.ndarray, lr: float, velocity: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """The geometry measures of spec.geometry on minibatch (x (K, B, D), y (K, B)) at step size lr.

    `velocity`: the momentum buffers before this update (the optimizer's; None = zero).
    Returns {name: float64 array with a leading seed axis K}; see the module docstring.
    `state` (BN running statistics) is not used: every measure is taken in train mode.
    """
    if not lr > 0:
        raise ValueError(f"lr={lr!r} must be > 0")
    if spec.loss == "noise":
        spec = spec.replace(loss="xent")
    p64 = {n: np.asarray(v, dtype=np.float64) for n, v in params.items()}
    x64 = np.asarray(x, dtype=np.float64)
    blocks = layer_blocks(spec, p64)
    names = [n for block in blocks for n in block]
    out: dict[str, np.ndarray] = {}
    with np.errstate(all="ignore"):  # diverged seeds give NaN measures, not warnings
        loss0, g, _ = loss_and_grads(spec, p64, x64, y, train=True)
        g = {n: g[n] for n in names}
        if "ics" in spec.geometry:
            plain = {n: lr * g[n] for n in names}
            out.update(_ics(spec, p64, x64, y, g, blocks, plain))
            if spec.optimizer in ("sgd", "momentum"):
                applied = {n: applied_rate(spec, n, lr) * _momentum_step(spec, g, velocity, n) for n in names}
                same = all(np.array_equal(applied[n], plain[n]) for n in names)  # plain SGD, or no velocity yet
                ics_applied = {k: out[k] for k in out if k.startswith("ics_")} if same else \
                    _ics(spec, p64, x64, y, g, blocks, applied)
                out.update({f"ics_applied_{k[4:]}": v for k, v in ics_applied.items() if k != "ics_cos"})
        path_losses = None
        if "smoothness" in spec.geometry:
            smooth, path_losses = _smoothness(spec, p64, x64, y, g, names, lr)
            out.update(smooth)
        if "interaction" in spec.geometry:
            joint = path_losses[ETAS.index(1.0)] if path_losses is not None else None
            out.update(_interaction(spec, p64, x64, y, g, blocks, lr, loss0, joint))
    return out


def layer_blocks(spec: ExperimentSpec, params: dict) -> list[list[str]]:
    """Trainable parameter names of each of the L+1 layers (hidden blocks, then the read-out)."""
    blocks = []
    for i in range(spec.depth + 1):
        block = [f"{p}{i}" for p in ("W", "b", "gamma", "beta")]
        blocks.append([n for n in block if n in params and trainable(spec, n)])
    return blocks


def applied_rate(spec: ExperimentSpec, name: str, lr: float) -> float:
    """The rate training applies to parameter `name`: lr, times hidden_lr_scale for hidden weights."""
    hidden = name.startswith("W") and int(name[1:]) < spec.depth
    return lr * (spec.hidden_lr_scale if hidden else 1.0)


def _momentum_step(spec: ExperimentSpec, g: dict, velocity: dict | None, name: str) -> np.ndarray:
    """mu * v + g for momentum (v = 0 without a buffer), g for plain SGD."""
    if spec.optimizer != "momentum" or velocity is None:
        return g[name]
    return spec.momentum * np.asarray(velocity[name], dtype=np.float64) + g[name]


def _stepped(params: dict, g: dict, names, eta: float) -> dict:
    """A copy-on-write view of params with `names` moved to theta - eta * g."""
    new = dict(params)
    for n in names:
        new[n] = params[n] - eta * g[n]
    return new


def _sq_norm(t: dict, names) -> np.ndarray:
    """Per-seed squared Euclidean norm over the parameters `names` (K,)."""
    return sum(np.sum(t[n].reshape(t[n].shape[0], -1) ** 2, axis=1) for n in names)


def _loss(spec: ExperimentSpec, params: dict, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Train-mode minibatch loss (K,) without the backward pass."""
    return heldout_loss(spec, forward(spec, params, x, train=True), y)


def _ics(spec, params, x, y, g, blocks, delta) -> dict[str, np.ndarray]:
    """ICS with the earlier layers moved by theta_j - delta_j."""
    L = spec.depth
    k = params["W0"].shape[0]
    dist, cos, rel = (np.zeros((k, L + 1)) for _ in range(3))
    step_rel = np.full((k, L + 1), np.nan)
    step_sq, theta_sq = np.zeros(k), np.zeros(k)
    moved = params
    for i in range(L + 1):
        G = g[f"W{i}"].reshape(k, -1)
        if i == 0:
            G2 = G  # no earlier layers: nothing moved
        else:
            moved = _stepped(moved, delta, blocks[i - 1], 1.0)  # layers 0..i-1 have now stepped
            G2 = loss_and_grads(spec, moved, x, y, train=True)[1][f"W{i}"].reshape(k, -1)
            step_sq += _sq_norm(delta, blocks[i - 1])
            theta_sq += _sq_norm(params, blocks[i - 1])
            step_rel[:, i] = np.sqrt(step_sq / theta_sq)
        n1, n2 = np.linalg.norm(G, axis=1), np.linalg.norm(G2, axis=1)
        dist[:, i] = np.linalg.norm(G - G2, axis=1)
        cos[:, i] = np.sum(G * G2, axis=1) / (n1 * n2)
        rel[:, i] = dist[:, i] / n1
    return {"ics_dist": dist, "ics_cos": cos, "ics_rel": rel, "ics_step_rel": step_rel}


def _smoothness(spec, params, x, y, g, names, lr):
    g_norm = np.sqrt(_sq_norm(g, names))
    losses, pred, beta = [], [], []
    for eta in ETAS:
        e = lr * eta
        loss, g2, _ = loss_and_grads(spec, _stepped(params, g, names, e), x, y, train=True)
        diff = np.sqrt(_sq_norm({n: g2[n] - g[n] for n in names}, names))
        losses.append(loss)
        pred.append(diff)
        beta.append(diff / (e * g_norm))
    losses_arr = np.stack(losses, axis=1)
    result = {"loss_range": losses_arr.max(axis=1) - losses_arr.min(axis=1),
              "grad_pred": np.stack(pred, axis=1).max(axis=1),
              "beta_smooth": np.stack(beta, axis=1).max(axis=1)}
    return result, losses


def _interaction(spec, params, x, y, g, blocks, lr, loss0, joint=None) -> dict[str, np.ndarray]:
    names = [n for block in blocks for n in block]
    if joint is None:
        joint = _loss(spec, _stepped(params, g, names, lr), x, y)
    d_joint = joint - loss0
    d_layers = np.stack([_loss(spec, _stepped(params, g, block, lr), x, y) - loss0 for block in blocks], axis=1)
    d_sum = d_layers.sum(axis=1)
    inter = d_joint - d_sum
    return {"interaction": inter, "interaction_rel": inter / np.abs(d_layers).sum(axis=1),
            "delta_joint": d_joint, "delta_sum": d_sum}
