"""Per-layer forward/backward checks, normalization properties and initialisation statistics."""
import numpy as np
import pytest

from repro.engine import layers
from repro.engine.init import init_std, init_weight
from repro.engine.model import init_params, loss_and_grads
from repro.engine.spec import ExperimentSpec

K, B, D, H = 2, 7, 4, 5


def num_grad(f, x, eps=1e-6):
    """Central finite differences of the scalar f() with respect to array x (perturbed in place)."""
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + eps
        fp = f()
        x[idx] = old - eps
        fm = f()
        x[idx] = old
        g[idx] = (fp - fm) / (2 * eps)
    return g


def assert_close(a, b, tol=1e-7):
    err = np.abs(a - b).max() / max(np.abs(a).max(), np.abs(b).max(), 1e-3)
    assert err < tol, f"relative error {err:.2e}"


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.mark.parametrize("bias", (True, False))
@pytest.mark.parametrize("shared_x", (True, False))
def test_linear(rng, bias, shared_x):
    x = rng.standard_normal((B, D) if shared_x else (K, B, D))
    w, b = rng.standard_normal((K, D, H)), rng.standard_normal((K, H)) if bias else None
    dout = rng.standard_normal((K, B, H))
    out, cache = layers.linear_forward(x, w, b)
    expect = np.stack([(x if shared_x else x[k]) @ w[k] + (b[k] if bias else 0) for k in range(K)])
    assert np.allclose(out, expect)
    dx, dw, db = layers.linear_backward(dout, cache)
    f = lambda: np.sum(layers.linear_forward(x, w, b)[0] * dout)
    assert_close(dw, num_grad(f, w))
    if bias:
        assert_close(db, num_grad(f, b))
    else:
        assert db is None
    if not shared_x:
        assert_close(dx, num_grad(f, x))
    assert layers.linear_backward(dout, cache, need_dx=False)[0] is None


@pytest.mark.parametrize("affine", (True, False))
def test_batchnorm_train(rng, affine):
    x = 3.0 + 2.0 * rng.standard_normal((K, B, H))
    gamma, beta = (rng.standard_normal((K, H)), rng.standard_normal((K, H))) if affine else (None, None)
    out, cache, mean, var = layers.batchnorm_forward(x, None, None, eps=1e-12)
    assert np.allclose(out.mean(axis=1), 0, atol=1e-12) and np.allclose(out.var(axis=1), 1, atol=1e-9)
    assert np.allclose(mean, x.mean(axis=1)) and np.allclose(var, x.var(axis=1))
    dout = rng.standard_normal((K, B, H))
    out, cache, _, _ = layers.batchnorm_forward(x, gamma, beta)
    dx, dgamma, dbeta = layers.batchnorm_backward(dout, cache)
    f = lambda: np.sum(layers.batchnorm_forward(x, gamma, beta)[0] * dout)
    assert_close(dx, num_grad(f, x))
    if affine:
        assert_close(dgamma, num_grad(f, gamma))
        assert_close(dbeta, num_grad(f, beta))
    else:
        assert dgamma is None and dbeta is None


def test_batchnorm_eval_uses_running_stats(rng):
    x = rng.standard_normal((K, B, H))
    rm, rv = rng.standard_normal((K, H)), 1 + rng.random((K, H))
    gamma, beta = rng.standard_normal((K, H)), rng.standard_normal((K, H))
    out, cache, _, _ = layers.batchnorm_forward(x, gamma, beta, train=False, running_mean=rm, running_var=rv, eps=1e-5)
    assert np.allclose(out, (x - rm[:, None]) / np.sqrt(rv[:, None] + 1e-5) * gamma[:, None] + beta[:, None])
    dout = rng.standard_normal((K, B, H))
    dx, dgamma, _ = layers.batchnorm_backward(dout, cache)
    f = lambda: np.sum(layers.batchnorm_forward(x, gamma, beta, train=False, running_mean=rm,
                                                running_var=rv)[0] * dout)
    assert_close(dx, num_grad(f, x))
    assert_close(dgamma, num_grad(f, gamma))
    with pytest.raises(ValueError, match="running_mean"):
        layers.batchnorm_forward(x, gamma, beta, train=False)


def test_unitnorm_normalizes_across_units(rng):
    x = 5.0 + 3.0 * rng.standard_normal((K, B, H))
    out, _ = layers.unitnorm_forward(x, None, None, eps=1e-12)
    assert np.allclose(out.mean(axis=2), 0, atol=1e-12) and np.allclose(out.var(axis=2), 1, atol=1e-9)
    assert not np.allclose(out.mean(axis=1), 0, atol=1e-3)  # not the batch axis
    gamma, beta = rng.standard_normal((K, H)), rng.standard_normal((K, H))
    dout = rng.standard_normal((K, B, H))
    _, cache = layers.unitnorm_forward(x, gamma, beta)
    dx, dgamma, dbeta = layers.unitnorm_backward(dout, cache)
    f = lambda: np.sum(layers.unitnorm_forward(x, gamma, beta)[0] * dout)
    assert_close(dx, num_grad(f, x))
    assert_close(dgamma, num_grad(f, gamma))
    assert_close(dbeta, num_grad(f, beta))


@pytest.mark.parametrize("kind", layers.ACTIVATIONS)
def test_activation(rng, kind):
    x = rng.standard_normal((K, B, H))
    x[np.abs(x) < 1e-3] = 0.5  # keep away from the ReLU kink
    out, cache = layers.activation_forward(x, kind, 0.2)
    expect = {"relu": np.maximum(x, 0), "leaky_relu": np.where(x > 0, x, 0.2 * x), "tanh": np.tanh(x),
              "sigmoid": 1 / (1 + np.exp(-x)), "identity": x}[kind]
    assert np.allclose(out, expect)
    dout = rng.standard_normal((K, B, H))
    f = lambda: np.sum(layers.activation_forward(x, kind, 0.2)[0] * dout)
    assert_close(layers.activation_backward(dout, cache), num_grad(f, x))
    with pytest.raises(ValueError, match="activation='gelu'"):
        layers.activation_forward(x, "gelu")


def test_activations_keep_float32():
    x = np.linspace(-3, 3, 12, dtype=np.float32).reshape(1, 3, 4)
    for kind in layers.ACTIVATIONS:
        out, cache = layers.activation_forward(x, kind, 0.1)
        assert out.dtype == np.float32 and layers.activation_backward(out, cache).dtype == np.float32


def test_losses(rng):
    logits = rng.standard_normal((K, B, 3))
    y = rng.integers(0, 3, (K, B))
    loss, d = layers.softmax_xent(logits, y)
    p = np.exp(logits) / np.exp(logits).sum(axis=2, keepdims=True)
    expect = -np.log(np.take_along_axis(p, y[:, :, None], 2)[:, :, 0]).mean(axis=1)
    assert np.allclose(loss, expect)
    assert_close(d, num_grad(lambda: layers.softmax_xent(logits, y)[0].sum(), logits))
    loss, d = layers.mse(logits, y)
    assert np.allclose(loss, ((logits - np.eye(3)[y]) ** 2).mean(axis=(1, 2)))
    assert_close(d, num_grad(lambda: layers.mse(logits, y)[0].sum(), logits))
    noise = rng.standard_normal(logits.shape)
    loss, d = layers.noise_loss(logits, noise)
    assert np.allclose(d, noise / B)
    assert_close(d, num_grad(lambda: layers.noise_loss(logits, noise)[0].sum(), logits))
    with pytest.raises(ValueError, match="noise"):
        layers.noise_loss(logits, None)
    # shared labels broadcast over seeds; extreme logits do not overflow
    big = 1000.0 * logits
    assert np.all(np.isfinite(layers.softmax_xent(big, y[0])[0]))


def test_bn_scale_invariance():
    """Ioffe & Szegedy 3.3: BN(aWu) = BN(Wu), and dL/dW scales by 1/a."""
    spec = ExperimentSpec(depth=3, width=6, norm="batch", dtype="float64", steps=0, bn_eps=1e-14)  # eps breaks exactness
    rng = np.random.default_rng(2)
    params = init_params(spec, (0, 1), D, 3)
    x, y = rng.standard_normal((2, 16, D)), rng.integers(0, 3, (2, 16))
    a = 7.5
    scaled = dict(params, W1=a * params["W1"])
    loss, grads, aux = loss_and_grads(spec, params, x, y)
    loss_s, grads_s, aux_s = loss_and_grads(spec, scaled, x, y)
    assert np.allclose(aux["logits"], aux_s["logits"], rtol=1e-9, atol=1e-12)
    assert np.allclose(loss, loss_s, rtol=1e-12)
    assert np.allclose(grads_s["W1"], grads["W1"] / a, rtol=1e-7, atol=1e-14)
    assert np.allclose(grads_s["W0"], grads["W0"], rtol=1e-7, atol=1e-14)
    # without BN the scale matters
    plain = spec.replace(norm="none")
    drop = lambda p: {n: v for n, v in p.items() if not n.startswith(("gamma", "beta"))}
    assert not np.allclose(loss_and_grads(plain, drop(params), x, y)[0], loss_and_grads(plain, drop(scaled), x, y)[0])


def _linear_variances(init, activation, slope=0.0, depth=20, width=256, seeds=(0, 1, 2)):
    spec = ExperimentSpec(data="gaussian", depth=depth, width=width, activation=activation, leaky_slope=slope or 0.01,
                          norm="none", bias=False, init=init, dtype="float64", steps=0)
    params = init_params(spec, seeds, width, 10)
    x = np.random.default_rng(5).standard_normal((512, width))
    _, _, aux = loss_and_grads(spec, params, x, np.zeros(512, dtype=int), keep=True)
    return np.array([[aux[f"linear{i}"][k].var() for i in range(depth)] for k in range(len(seeds))])


@pytest.mark.parametrize("activation,slope", (("relu", 0.0), ("leaky_relu", 0.3)))
def test_he_init_preserves_variance(activation, slope):
    """He et al. 2015: n Var[w] (1+a^2)/2 = 1 keeps the pre-activation variance through depth."""
    v = _linear_variances("he", activation, slope)
    ratio = v[:, -1] / v[:, 0]
    assert np.all((ratio > 0.4) & (ratio < 2.5)), ratio
    # Xavier (n Var[w] ~ 1 for square layers) halves it per ReLU layer: ~2^-19 after 20 layers
    if activation == "relu":
        vx = _linear_variances("xavier", "relu")
        assert np.all(vx[:, -1] / vx[:, 0] < 1e-4)


def test_init_scales_and_pairing():
    fan_in, fan_out = 300, 200
    z = init_weight("normal", (4,), 1, fan_in, fan_out, scale=1.0, dtype=np.float64)
    for init in ("normal", "uniform", "xavier", "xavier_uniform", "he", "he_uniform"):
        w = init_weight(init, (4,), 1, fan_in, fan_out, scale=0.5, leaky_slope=0.2, dtype=np.float64)
        std = init_std(init, fan_in, fan_out, scale=0.5, leaky_slope=0.2)
        assert w.shape == (1, fan_in, fan_out)
        assert abs(w.std() / std - 1) < 0.02, init
        assert np.array_equal(np.sign(w), np.sign(z))  # the same draws: paired conditions
        if init.endswith("uniform"):
            assert np.abs(w).max() <= np.sqrt(3) * std
    assert init_std("he", 100, 7, leaky_slope=0.0) == pytest.approx(np.sqrt(2 / 100))
    assert init_std("xavier", 100, 300) == pytest.approx(np.sqrt(2 / 400))
    assert init_std("he_uniform", 100, 7, leaky_slope=0.5) == pytest.approx(np.sqrt(2 / (1.25 * 100)))
    with pytest.raises(ValueError, match="init='lecun'"):
        init_std("lecun", 1, 1)


def test_init_independent_of_other_seeds():
    spec = ExperimentSpec(depth=2, width=8, steps=0)
    alone = init_params(spec, (5,), D, 3)
    together = init_params(spec, (0, 5, 9), D, 3)
    for name in alone:
        assert np.array_equal(alone[name][0], together[name][1])
    assert not np.array_equal(together["W0"][0], together["W0"][1])
    # same seed, same shape, different condition (here: no BN): identical weights
    other = init_params(spec.replace(norm="none"), (5,), D, 3)
    assert np.array_equal(other["W1"], alone["W1"])
    assert alone["W0"].dtype == np.float32 and np.all(alone["gamma0"] == 1) and np.all(alone["b2"] == 0)


@pytest.mark.parametrize("kind", layers.ACTIVATIONS)
def test_inplace_activation_and_batchnorm_match(rng, kind):
    """inplace=True (used by loss_and_grads when nothing else holds the array) changes no number."""
    x = rng.standard_normal((K, B, H)).astype(np.float32)
    dout = rng.standard_normal((K, B, H)).astype(np.float32)
    out, cache = layers.activation_forward(x, kind, 0.1)
    dx = layers.activation_backward(dout, cache)
    x2, dout2 = x.copy(), dout.copy()
    out2, cache2 = layers.activation_forward(x2, kind, 0.1, inplace=True)
    assert np.array_equal(out2, out) and (kind == "identity" or np.shares_memory(out2, x2))
    assert np.array_equal(layers.activation_backward(dout2, cache2, inplace=True), dx)
    gamma, beta = rng.standard_normal((K, H)).astype(np.float32), rng.standard_normal((K, H)).astype(np.float32)
    _, cache, _, _ = layers.batchnorm_forward(x, gamma, beta)
    expect = layers.batchnorm_backward(dout, cache)
    got = layers.batchnorm_backward(dout.copy(), cache, inplace=True)
    for a, b in zip(got, expect):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("x0", [-17.0, -20.0, -60.0, 17.0, 30.0])
def test_sigmoid_float32_keeps_relative_accuracy_in_the_tails(x0):
    """float32 sigmoid and its gradient stay within a few ulps of the exact values far from 0
    (0.5 * (tanh(x/2) + 1) gave 5.96e-08 at x = -17 instead of 4.14e-08, and 0 at x = -20)."""
    x = np.full((1, 1, 2), x0, dtype=np.float32)
    out, cache = layers.activation_forward(x, "sigmoid")
    exact = 1.0 / (1.0 + np.exp(-x0))  # float64: exact to ~1e-16 relative at these x
    assert out.dtype == np.float32 and np.allclose(out, exact, rtol=1e-6, atol=0)
    grad = layers.activation_backward(np.ones_like(x), cache)
    x64 = np.float64(x0)
    h = 1e-6 * max(1.0, abs(x64))
    # float64 central difference of s (x < 0) or of s - 1 = -1 / (1 + e^x) (x > 0): both without cancellation
    f = (lambda t: 1 / (1 + np.exp(-t))) if x0 < 0 else (lambda t: -1 / (1 + np.exp(t)))
    fd = (f(x64 + h) - f(x64 - h)) / (2 * h)
    assert grad.dtype == np.float32 and np.allclose(grad, fd, rtol=1e-5, atol=0)
