"""The fully connected model: parameters and THE loss-and-gradients function.

`depth` = L hidden blocks of `width` units, each Linear -> [norm] -> activation
(placement "before") or Linear -> activation -> [norm] (placement "after"), then the read-out
Linear W{L}, b{L}: width -> n_classes. Every array has a leading seed axis K.

`loss_and_grads` is the single source of truth that training, gradient checks, probes,
geometry measures and the benchmark call.
"""
from __future__ import annotations

import numpy as np

from . import layers
from .init import init_weight
from .spec import ExperimentSpec


def param_names(spec: ExperimentSpec) -> list[str]:
    """Parameter names in a fixed order: per block W, [b], [gamma, beta]; then W{L}, b{L}."""
    names = []
    for i in range(spec.depth):
        names.append(f"W{i}")
        if spec.bias:
            names.append(f"b{i}")
        if spec.has_norm and spec.affine:
            names += [f"gamma{i}", f"beta{i}"]
    return names + [f"W{spec.depth}", f"b{spec.depth}"]


def init_params(spec: ExperimentSpec, seeds, n_in: int, n_out: int) -> dict[str, np.ndarray]:
    """Initial parameters for the given seed indices (biases 0, gamma 1, beta 0), in spec.dtype.

    Every hidden Linear uses spec.init; the read-out too unless spec.readout_init names its own
    (then at scale 1). The leaky gain applies only with activation == "leaky_relu".
    """
    dtype = np.dtype(spec.dtype)
    k, L = len(seeds), spec.depth
    slope = spec.leaky_slope if spec.activation == "leaky_relu" else 0.0
    params = {}
    for i in range(L + 1):
        fan_in = n_in if i == 0 else spec.width
        fan_out = n_out if i == L else spec.width
        init, scale = spec.init, spec.init_scale
        if i == L and spec.readout_init:
            init, scale = spec.readout_init, 1.0
        params[f"W{i}"] = init_weight(init, seeds, i, fan_in, fan_out, scale=scale, leaky_slope=slope, dtype=dtype)
        if i == L or spec.bias:
            params[f"b{i}"] = np.zeros((k, fan_out), dtype)
        if i < L and spec.has_norm and spec.affine:
            params[f"gamma{i}"] = np.ones((k, fan_out), dtype)
            params[f"beta{i}"] = np.zeros((k, fan_out), dtype)
    return {name: params[name] for name in param_names(spec)}


def init_state(spec: ExperimentSpec, k: int) -> dict[str, np.ndarray]:
    """Initial running statistics {"mean{i}": 0, "var{i}": 1} (empty unless the norm uses batch statistics)."""
    if not spec.batch_stats:
        return {}
    dtype = np.dtype(spec.dtype)
    state = {}
    for i in range(spec.depth):
        state[f"mean{i}"] = np.zeros((k, spec.width), dtype)
        state[f"var{i}"] = np.ones((k, spec.width), dtype)
    return state


def update_state(spec: ExperimentSpec, state: dict, aux: dict, batch_size: int, active=None) -> None:
    """Update running statistics in place from a train-mode aux (momentum spec.bn_momentum).

    Uses the unbiased batch variance (like PyTorch). Seeds with active[k] False keep theirs.
    """
    m = spec.bn_momentum
    unbias = batch_size / max(batch_size - 1, 1)
    for i in range(spec.depth):
        for name, batch in ((f"mean{i}", aux.get(f"mean{i}")), (f"var{i}", aux.get(f"var{i}"))):
            if batch is None:
                continue  # mean-only BN has no variance, scale-only no mean: theirs stay at 0 and 1
            if name.startswith("var"):
                batch = batch * unbias
            new = (1 - m) * state[name] + m * batch
            if active is None:
                state[name][...] = new
            else:
                state[name][active] = new[active]


def trainable(spec: ExperimentSpec, name: str) -> bool:
    """Whether the optimizer updates parameter `name` (frozen gamma/beta/weights are not)."""
    if name.startswith("gamma"):
        return spec.train_gamma
    if name.startswith("beta"):
        return spec.train_beta
    return spec.train_weights


def _forward(spec: ExperimentSpec, params: dict, x: np.ndarray, state, train: bool, keep: bool,
             norm_noise=None):
    """Forward pass to the logits. Returns (logits, caches, aux)."""
    L = spec.depth
    affine = spec.has_norm and spec.affine
    caches, aux = [], {}
    h = x
    for i in range(L):
        b = params.get(f"b{i}") if spec.bias else None
        gamma = params[f"gamma{i}"] if affine else None
        beta = params[f"beta{i}"] if affine else None
        lin, c_lin = layers.linear_forward(h, params[f"W{i}"], b)
        if keep:
            aux[f"linear{i}"] = lin
        c_norm = None
        if spec.placement == "before" or not spec.has_norm:
            pre = lin
            if spec.has_norm:
                pre, c_norm = _norm(spec, pre, gamma, beta, state, train, i, aux, norm_noise)
                if keep:
                    aux[f"norm{i}"] = pre
            h, c_act = layers.activation_forward(pre, spec.activation, spec.leaky_slope, inplace=not keep)
            if keep:
                aux[f"pre{i}"], aux[f"act{i}"] = pre, h
        else:  # Linear -> activation -> norm
            a, c_act = layers.activation_forward(lin, spec.activation, spec.leaky_slope, inplace=not keep)
            h, c_norm = _norm(spec, a, gamma, beta, state, train, i, aux, norm_noise)
            if keep:
                aux[f"pre{i}"], aux[f"act{i}"], aux[f"norm{i}"] = lin, a, h
        caches.append((c_lin, c_norm, c_act))
    logits, c_out = layers.linear_forward(h, params[f"W{L}"], params[f"b{L}"])
    caches.append(c_out)
    aux["logits"] = logits
    return logits, caches, aux


def _norm(spec, x, gamma, beta, state, train, i, aux, norm_noise):
    if spec.norm == "units":
        return layers.unitnorm_forward(x, gamma, beta, eps=spec.bn_eps)
    if not train and state is None:
        raise ValueError(f"loss_and_grads(train=False) with norm={spec.norm!r} needs state (running statistics)")
    if spec.norm == "mean_only":
        out, cache, mean = layers.meanonly_forward(x, gamma, beta, train=train,
                                                   running_mean=None if train else state[f"mean{i}"])
        if train:
            aux[f"mean{i}"] = mean
        return out, cache
    if spec.norm == "scale_only":
        out, cache, var = layers.scaleonly_forward(x, gamma, beta, eps=spec.bn_eps, train=train,
                                                   running_var=None if train else state[f"var{i}"])
        if train:
            aux[f"var{i}"] = var
        return out, cache
    if train:
        out, cache, mean, var = layers.batchnorm_forward(x, gamma, beta, eps=spec.bn_eps)
        aux[f"mean{i}"], aux[f"var{i}"] = mean, var
    else:
        out, cache, _, _ = layers.batchnorm_forward(x, gamma, beta, eps=spec.bn_eps, train=False,
                                                    running_mean=state[f"mean{i}"], running_var=state[f"var{i}"])
    if spec.norm == "noisy_batch":
        noise_cache = None
        if train and norm_noise is not None:
            scale, shift = norm_noise
            out, noise_cache = layers.unit_noise_forward(out, scale[:, i], shift[:, i])
        return out, (cache, noise_cache)
    return out, cache


def _loss(spec: ExperimentSpec, logits, y, noise):
    if spec.loss == "xent":
        return layers.softmax_xent(logits, y)
    if spec.loss == "mse":
        return layers.mse(logits, y)
    return layers.noise_loss(logits, noise)


def _norm_backward(spec, dout, cache, inplace):
    if spec.norm == "units":
        return layers.unitnorm_backward(dout, cache)
    if spec.norm == "mean_only":
        return layers.meanonly_backward(dout, cache)
    if spec.norm == "scale_only":
        return layers.scaleonly_backward(dout, cache)
    if spec.norm == "noisy_batch":
        cache, noise_cache = cache
        if noise_cache is not None:
            dout = layers.unit_noise_backward(dout, noise_cache)
            inplace = True  # dout is now this function's own temporary
    return layers.batchnorm_backward(dout, cache, inplace=inplace)


def heldout_loss(spec: ExperimentSpec, logits: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-seed loss (K,) of logits against labels, for evaluation and geometry: mse for loss="mse",
    cross-entropy otherwise (the noise loss has no labels to score, so cross-entropy stands in)."""
    return (layers.mse if spec.loss == "mse" else layers.softmax_xent)(logits, y)[0]


def forward(spec: ExperimentSpec, params: dict, x: np.ndarray, *, state=None, train: bool = False) -> np.ndarray:
    """Logits (K, B, n_classes) only, no gradients (evaluation). Eval mode by default."""
    return _forward(spec, params, x, state, train, keep=False)[0]


def eval_activations(spec: ExperimentSpec, params: dict, x: np.ndarray, state: dict | None) -> dict:
    """Per block i, "linear{i}", "norm{i}" (with a norm), "pre{i}" and "act{i}" of an evaluation-mode
    forward pass: a batch-statistics norm uses the running statistics in `state`, as predictions do."""
    return _forward(spec, params, x, state, False, True)[2]


def loss_and_grads(spec: ExperimentSpec, params: dict, x: np.ndarray, y: np.ndarray, *,
                   state: dict | None = None, train: bool = True, noise: np.ndarray | None = None,
                   norm_noise: tuple[np.ndarray, np.ndarray] | None = None, keep: bool = False):
    """Loss per seed and its gradients with respect to every parameter.

    x (K, B, D) or (B, D) shared by all seeds; y (K, B) or (B,) integer labels; noise (K, B, C)
    for loss="noise"; norm_noise (scale, shift), each (K, depth, width), the per-unit perturbation
    of norm="noisy_batch" in this step (None: the plain BN net). train=True normalizes with batch statistics (aux["mean{i}"],
    aux["var{i}"] (K, width) are returned for running statistics); train=False uses `state`.
    Returns (loss (K,), grads {name: array like params[name]}, aux). aux["logits"] always;
    with keep=True also, per block i, "linear{i}" (Linear output), "norm{i}" (norm output,
    with a norm), "pre{i}" (activation input), "act{i}" (activation output) and "dout{i}"
    (gradient of the loss with respect to the block's output). Mutates neither params nor state.
    """
    L = spec.depth
    logits, caches, aux = _forward(spec, params, x, state, train, keep, norm_noise)
    loss, d = _loss(spec, logits, y, noise)
    grads = {}
    d, grads[f"W{L}"], grads[f"b{L}"] = layers.linear_backward(d, caches[L])
    for i in range(L - 1, -1, -1):
        if keep:
            aux[f"dout{i}"] = d
        c_lin, c_norm, c_act = caches[i]
        inplace = not keep  # d is then a temporary of this loop (nobody else holds it)
        if spec.placement == "before" or not spec.has_norm:
            d = layers.activation_backward(d, c_act, inplace=inplace)
            if c_norm is not None:
                d, dgamma, dbeta = _norm_backward(spec, d, c_norm, inplace)
        else:
            d, dgamma, dbeta = _norm_backward(spec, d, c_norm, inplace)
            d = layers.activation_backward(d, c_act, inplace=inplace)
        if spec.has_norm and spec.affine:
            grads[f"gamma{i}"], grads[f"beta{i}"] = dgamma, dbeta
        d, grads[f"W{i}"], db = layers.linear_backward(d, c_lin, need_dx=i > 0)
        if spec.bias:
            grads[f"b{i}"] = db
    return loss, {name: grads[name] for name in params}, aux
