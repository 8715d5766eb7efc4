"""float64 central finite-difference checks of model.loss_and_grads over every architecture option."""
import itertools

import numpy as np
import pytest

from repro.engine.model import init_params, init_state, loss_and_grads, param_names
from repro.engine.spec import ExperimentSpec

K, B, D, C = 2, 6, 4, 3
ACTS = ("relu", "leaky_relu", "tanh", "sigmoid", "identity")
NORMS = ("none", "batch", "units", "mean_only", "scale_only", "noisy_batch")


def _spec(**kw) -> ExperimentSpec:
    base = dict(depth=2, width=5, dtype="float64", init="xavier", leaky_slope=0.1, steps=0)
    base.update(kw)
    return ExperimentSpec(**base)


def _perturb(params, rng):
    """Move gamma/beta/biases off their init values so their gradients are generic."""
    out = {}
    for name, p in params.items():
        if name.startswith(("gamma", "beta", "b")):
            p = p + 0.5 * rng.standard_normal(p.shape)
        out[name] = p
    return out


def check_grads(spec, *, train=True, seed=0, eps=1e-6, tol=1e-6):
    rng = np.random.default_rng(seed)
    params = _perturb(init_params(spec, (3, 8), D, C), rng)
    x = rng.standard_normal((K, B, D))
    y = rng.integers(0, C, (K, B))
    noise = rng.standard_normal((K, B, C)) if spec.loss == "noise" else None
    norm_noise = None
    if spec.norm == "noisy_batch":  # a fixed draw of the per-unit scale and shift, as in one training step
        shape = (K, spec.depth, spec.width)
        norm_noise = (rng.uniform(0.5, 1.5, shape), rng.uniform(-0.5, 0.5, shape))
    state = None
    if not train and spec.batch_stats:
        state = init_state(spec, K)
        for name in state:
            state[name] = state[name] + 0.3 * np.abs(rng.standard_normal(state[name].shape))
    before = {n: p.copy() for n, p in params.items()}
    loss, grads, _ = loss_and_grads(spec, params, x, y, state=state, train=train, noise=noise, norm_noise=norm_noise)
    assert loss.shape == (K,)
    assert set(grads) == set(params)
    for name in params:
        assert np.array_equal(params[name], before[name]), "loss_and_grads mutated params"
        p = params[name]
        num = np.zeros_like(p)
        # seeds are independent: perturb one entry in every seed at once, read each seed's loss
        for idx in np.ndindex(p.shape[1:]):
            at = (slice(None), *idx)
            old = p[at].copy()
            p[at] = old + eps
            lp = loss_and_grads(spec, params, x, y, state=state, train=train, noise=noise, norm_noise=norm_noise)[0]
            p[at] = old - eps
            lm = loss_and_grads(spec, params, x, y, state=state, train=train, noise=noise, norm_noise=norm_noise)[0]
            p[at] = old
            num[at] = (lp - lm) / (2 * eps)
        g = grads[name]
        assert g.shape == p.shape and g.dtype == np.float64
        # floor: a gradient that is zero by construction (bias before BN) has FD noise ~1e-10
        denom = max(np.abs(num).max(), np.abs(g).max(), 1e-3)
        rel = np.abs(num - g).max() / denom
        assert rel < tol, f"{name}: relative error {rel:.2e}"


COMBOS = [(act, place, bias, affine, norm)
          for act, place, bias, affine, norm in itertools.product(ACTS, ("before", "after"), (True, False),
                                                                   (True, False), NORMS)
          if not (norm == "none" and (not affine or place == "after"))]


@pytest.mark.parametrize("act,placement,bias,affine,norm", COMBOS)
def test_gradients_train_mode(act, placement, bias, affine, norm):
    # without a norm, placement is irrelevant: one combination covers it
    check_grads(_spec(activation=act, placement=placement, bias=bias, affine=affine, norm=norm))


@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("placement", ("before", "after"))
@pytest.mark.parametrize("norm", ("batch", "units", "mean_only", "scale_only", "noisy_batch"))
def test_gradients_eval_mode(act, placement, norm):
    check_grads(_spec(activation=act, placement=placement, norm=norm), train=False)


@pytest.mark.parametrize("loss", ("mse", "noise"))
@pytest.mark.parametrize("norm", ("none", "batch"))
def test_gradients_other_losses(loss, norm):
    check_grads(_spec(loss=loss, norm=norm, activation="tanh"))


def test_param_keys():
    spec = _spec(depth=3, bias=False)
    params = init_params(spec, (0,), D, C)
    assert list(params) == param_names(spec)
    assert set(params) == {"W0", "W1", "W2", "W3", "b3", "gamma0", "beta0", "gamma1", "beta1", "gamma2", "beta2"}
    assert params["W0"].shape == (1, D, 5) and params["W3"].shape == (1, 5, C) and params["gamma2"].shape == (1, 5)
    no_affine = init_params(_spec(affine=False), (0, 1), D, C)
    assert set(no_affine) == {"W0", "b0", "W1", "b1", "W2", "b2"}


def test_bias_before_bn_has_zero_gradient():
    """Claim 5's mechanism: the mean subtraction cancels a bias placed before BN."""
    spec = _spec(norm="batch", placement="before", bias=True, activation="relu", depth=3, width=8)
    rng = np.random.default_rng(1)
    params = _perturb(init_params(spec, (0, 1), D, C), rng)
    x, y = rng.standard_normal((K, 16, D)), rng.integers(0, C, (K, 16))
    _, grads, _ = loss_and_grads(spec, params, x, y)
    w_scale = np.abs(grads["W1"]).max()
    for i in range(3):
        assert np.abs(grads[f"b{i}"]).max() < 1e-12 * max(1.0, w_scale)
    # after the activation the bias is not cancelled
    _, grads_after, _ = loss_and_grads(spec.replace(placement="after"), params, x, y)
    assert np.abs(grads_after["b0"]).max() > 1e-6
