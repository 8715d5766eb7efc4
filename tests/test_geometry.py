"""Tests of repro.engine.geometry: hand-derived values, Taylor expansions and exact special cases (float64)."""
import numpy as np
import pytest

from repro.engine.geometry import ETAS, layer_blocks, measure
from repro.engine.model import init_params, loss_and_grads
from repro.engine.spec import ExperimentSpec

K, B, D, C = 3, 16, 5, 4
ALL = ("ics", "smoothness", "interaction")


def make(seed=0, **kw):
    base = dict(depth=2, width=6, dtype="float64", steps=10, geometry=ALL, geometry_steps=(0,))
    spec = ExperimentSpec(**{**base, **kw})
    rng = np.random.default_rng(seed)
    params = init_params(spec, tuple(range(K)), D, C)
    for n in params:  # move gamma/beta and biases off their init so that every term is generic
        if not n.startswith("W"):
            params[n] = params[n] + 0.3 * rng.standard_normal(params[n].shape)
    x = rng.standard_normal((K, B, D))
    y = rng.integers(0, C, (K, B))
    return spec, params, x, y


def grads_of(spec, params, x, y):
    return loss_and_grads(spec, params, x, y, train=True)[1]


def hvp(spec, params, x, y, v, eps=1e-5):
    """Hessian-vector product by central differences of the exact gradients."""
    plus = grads_of(spec, {n: params[n] + eps * v.get(n, 0) for n in params}, x, y)
    minus = grads_of(spec, {n: params[n] - eps * v.get(n, 0) for n in params}, x, y)
    return {n: (plus[n] - minus[n]) / (2 * eps) for n in params}


def dot(a, b, names):
    return sum(np.sum((a[n] * b[n]).reshape(K, -1), axis=1) for n in names)


def test_shapes_families_and_no_mutation():
    spec, params, x, y = make(norm="batch", activation="relu")
    before = {n: p.copy() for n, p in params.items()}
    out = measure(spec, params, None, x, y, 0.1)
    L1 = spec.depth + 1
    expected = {"ics_dist": (K, L1), "ics_cos": (K, L1), "ics_rel": (K, L1), "ics_applied_dist": (K, L1),
                "ics_applied_rel": (K, L1), "ics_step_rel": (K, L1), "ics_applied_step_rel": (K, L1), "loss_range": (K,),
                "grad_pred": (K,), "beta_smooth": (K,), "interaction": (K,), "interaction_rel": (K,),
                "delta_joint": (K,), "delta_sum": (K,)}
    assert {n: v.shape for n, v in out.items()} == expected
    assert all(v.dtype == np.float64 and np.isfinite(v[:, 1:] if k.endswith("step_rel") else v).all()
               for k, v in out.items())   # the step of the layers before layer 0 does not exist: NaN
    for n in params:
        np.testing.assert_array_equal(params[n], before[n])
    only = measure(spec.replace(geometry=("interaction",)), params, None, x, y, 0.1)
    assert set(only) == {"interaction", "interaction_rel", "delta_joint", "delta_sum"}
    np.testing.assert_allclose(only["interaction"], out["interaction"], rtol=1e-12)


def test_ics_is_zero_for_the_first_layer_only():
    spec, params, x, y = make(norm="batch", activation="tanh", depth=3)
    out = measure(spec.replace(geometry=("ics",)), params, None, x, y, 0.1)
    assert (out["ics_dist"][:, 0] == 0).all() and (out["ics_rel"][:, 0] == 0).all()
    np.testing.assert_allclose(out["ics_cos"][:, 0], 1.0, rtol=1e-12)
    assert (out["ics_dist"][:, 1:] > 1e-4).all()  # every later layer sees its inputs move
    assert (out["ics_cos"][:, 1:] < 1).all()
    for i in range(spec.depth + 1):
        G = grads_of(spec, params, x, y)[f"W{i}"].reshape(K, -1)
        np.testing.assert_allclose(out["ics_rel"][:, i], out["ics_dist"][:, i] / np.linalg.norm(G, axis=1))


def test_ics_matches_hand_derivation_for_one_hidden_linear_layer():
    """h = x W0 + b0, out = h W1 + b1, mse against one-hot: G1 and G1' written out by hand."""
    spec, params, x, y = make(depth=1, activation="identity", norm="none", loss="mse")
    lr = 0.3
    W0, b0, W1, b1 = (params[n] for n in ("W0", "b0", "W1", "b1"))
    onehot = np.eye(C)[y]

    def dlogits(h):
        return 2 * (h @ W1 + b1[:, None] - onehot) / (B * C)

    h = x @ W0 + b0[:, None]
    d = dlogits(h)
    G1 = np.swapaxes(h, 1, 2) @ d
    dh = d @ np.swapaxes(W1, 1, 2)
    W0s, b0s = W0 - lr * np.swapaxes(x, 1, 2) @ dh, b0 - lr * dh.sum(axis=1)
    h2 = x @ W0s + b0s[:, None]
    G1s = np.swapaxes(h2, 1, 2) @ dlogits(h2)
    want = np.linalg.norm((G1 - G1s).reshape(K, -1), axis=1)
    cos = np.sum(G1 * G1s, axis=(1, 2)) / np.linalg.norm(G1.reshape(K, -1), axis=1) / np.linalg.norm(
        G1s.reshape(K, -1), axis=1)

    out = measure(spec.replace(geometry=("ics",)), params, None, x, y, lr)
    np.testing.assert_allclose(out["ics_dist"][:, 1], want, rtol=1e-10)
    np.testing.assert_allclose(out["ics_cos"][:, 1], cos, rtol=1e-10)
    assert (want > 1e-3).all()


def test_interaction_is_exactly_zero_when_a_single_block_moves():
    """x = 0 and no hidden bias: only the read-out bias has a gradient, so joint == sum exactly."""
    spec, params, x, y = make(depth=2, activation="tanh", norm="none", bias=False)
    x = np.zeros_like(x)
    out = measure(spec.replace(geometry=("interaction",)), params, None, x, y, 0.5)
    assert (out["delta_joint"] < -1e-3).all()
    np.testing.assert_array_equal(out["interaction"], 0.0)
    np.testing.assert_array_equal(out["delta_sum"], out["delta_joint"])


@pytest.mark.parametrize("norm", ["none", "batch"])
def test_interaction_matches_second_order_taylor(norm):
    """interaction = lr^2/2 * sum_{i != j} g_i^T H_ij g_j + O(lr^3): only cross-layer Hessian blocks."""
    spec, params, x, y = make(depth=2, activation="tanh", norm=norm)
    blocks = layer_blocks(spec, params)
    names = [n for b in blocks for n in b]
    g = grads_of(spec, params, x, y)
    g = {n: g[n] for n in names}
    gHg = dot(g, hvp(spec, params, x, y, g), names)
    own = sum(dot(g, hvp(spec, params, x, y, {n: g[n] for n in b}), b) for b in blocks)
    cross = gHg - own
    assert (np.abs(cross) > 1e-3 * np.abs(gHg)).all()  # the layers really interact
    errors = []
    for lr in (2e-3, 1e-3, 5e-4):
        out = measure(spec.replace(geometry=("interaction",)), params, None, x, y, lr)
        np.testing.assert_allclose(out["interaction"], lr ** 2 / 2 * cross, rtol=0.05)
        errors.append(np.abs(out["interaction"] / (lr ** 2 / 2 * cross) - 1))
        # first order: every dL is -lr * |g_block|^2
        np.testing.assert_allclose(out["delta_sum"], -lr * dot(g, g, names), rtol=0.02)
    assert (errors[2] < 0.7 * errors[1]).all() and (errors[1] < 0.7 * errors[0]).all()  # O(lr) convergence


def test_smoothness_small_step_matches_hessian():
    """For small lr: beta_smooth -> ||Hg||/||g||, grad_pred -> 4 lr ||Hg||, loss_range -> 3.5 lr ||g||^2."""
    spec, params, x, y = make(depth=2, activation="tanh", norm="batch")
    names = [n for b in layer_blocks(spec, params) for n in b]
    g = grads_of(spec, params, x, y)
    g = {n: g[n] for n in names}
    Hg = hvp(spec, params, x, y, g)
    hg_norm, g_sq = np.sqrt(dot(Hg, Hg, names)), dot(g, g, names)
    lr = 1e-5
    out = measure(spec.replace(geometry=("smoothness",)), params, None, x, y, lr)
    np.testing.assert_allclose(out["beta_smooth"], hg_norm / np.sqrt(g_sq), rtol=1e-3)
    np.testing.assert_allclose(out["grad_pred"], max(ETAS) * lr * hg_norm, rtol=1e-3)
    np.testing.assert_allclose(out["loss_range"], (max(ETAS) - min(ETAS)) * lr * g_sq, rtol=1e-3)


def test_smoothness_of_an_exact_quadratic():
    """x = 0, no hidden bias, mse: the loss is quadratic in the read-out bias with H = 2/C I."""
    spec, params, x, y = make(depth=1, activation="identity", norm="none", bias=False, loss="mse")
    x = np.zeros_like(x)
    lr = 0.7
    g = grads_of(spec, params, x, y)["b1"]
    g_sq = np.sum(g * g, axis=1)
    out = measure(spec.replace(geometry=("smoothness",)), params, None, x, y, lr)
    np.testing.assert_allclose(out["beta_smooth"], 2 / C, rtol=1e-10)
    np.testing.assert_allclose(out["grad_pred"], max(ETAS) * lr * 2 / C * np.sqrt(g_sq), rtol=1e-10)
    path = [-e * lr * g_sq + (e * lr) ** 2 / C * g_sq for e in ETAS]  # L(theta - eta g) - L(theta)
    np.testing.assert_allclose(out["loss_range"], np.max(path, axis=0) - np.min(path, axis=0), rtol=1e-10)


def test_frozen_parameters_do_not_move():
    """With gamma frozen, gamma is not part of any block, so the steps (and the measures) change."""
    spec, params, x, y = make(norm="batch", activation="tanh", train_gamma=False)
    blocks = layer_blocks(spec, params)
    assert all(not n.startswith("gamma") for b in blocks for n in b)
    assert any(n.startswith("beta") for b in blocks for n in b)
    frozen = measure(spec, params, None, x, y, 0.1)
    free = measure(spec.replace(train_gamma=True), params, None, x, y, 0.1)
    assert not np.allclose(frozen["delta_joint"], free["delta_joint"])
    np.testing.assert_allclose(frozen["ics_dist"][:, 0], 0)


def test_float32_params_noise_loss_and_bad_lr():
    spec, params, x, y = make(norm="batch", activation="relu")
    ref = measure(spec, params, None, x, y, 0.05)
    spec32 = spec.replace(dtype="float32")
    p32 = {n: v.astype(np.float32) for n, v in params.items()}
    out = measure(spec32, p32, None, x.astype(np.float32), y, 0.05)
    assert all(v.dtype == np.float64 for v in out.values())
    np.testing.assert_allclose(out["ics_dist"], ref["ics_dist"], rtol=1e-4, atol=1e-7)
    noise = measure(spec.replace(loss="noise"), params, None, x, y, 0.05)  # measured on cross-entropy
    np.testing.assert_allclose(noise["interaction"], ref["interaction"], rtol=1e-12)
    with pytest.raises(ValueError, match="lr"):
        measure(spec, params, None, x, y, 0.0)


def test_diverged_seed_gives_nan_without_raising():
    spec, params, x, y = make(norm="none", activation="relu")
    params["W1"][1] = np.nan
    out = measure(spec, params, None, x, y, 0.1)
    assert np.isnan(out["interaction"][1]) and np.isfinite(out["interaction"][[0, 2]]).all()


def test_train_records_geometry_per_step():
    from repro.engine.train import train

    spec = ExperimentSpec(data="gaussian", depth=2, width=8, steps=4, eval_every=4, batch_size=16,
                          geometry=ALL, geometry_steps=(0, 2, 4))
    rec = train(spec, (0, 1))
    assert rec["geometry/ics_dist"].shape == (2, 3, 3)
    assert rec["geometry/beta_smooth"].shape == (2, 3)
    assert np.isfinite(rec["geometry/interaction_rel"]).all()
    np.testing.assert_array_equal(rec.axes["geometry_step"], [0, 2, 4])


def test_ics_at_the_applied_momentum_update():
    """With momentum buffer v = c * g the applied step is lr (mu c + 1) g: the plain ICS at that rate.
    Without a buffer (or with plain SGD) the applied step is the plain one."""
    spec, params, x, y = make(norm="batch", activation="relu", optimizer="momentum", momentum=0.9)
    g = grads_of(spec, params, x, y)
    c, lr = 2.0, 0.05
    applied = measure(spec, params, None, x, y, lr, velocity={n: c * g[n] for n in g})
    plain_at = measure(spec, params, None, x, y, lr * (0.9 * c + 1))
    for k in ("dist", "rel"):
        np.testing.assert_allclose(applied[f"ics_applied_{k}"], plain_at[f"ics_{k}"], rtol=1e-10)
    no_buffer = measure(spec, params, None, x, y, lr)
    np.testing.assert_array_equal(no_buffer["ics_applied_rel"], no_buffer["ics_rel"])
    sgd = measure(spec.replace(optimizer="sgd"), params, None, x, y, lr, velocity={n: c * g[n] for n in g})
    np.testing.assert_array_equal(sgd["ics_applied_rel"], sgd["ics_rel"])
    scaled = measure(spec.replace(hidden_lr_scale=3.0), params, None, x, y, lr)
    assert np.all(scaled["ics_applied_rel"][:, 1:] > no_buffer["ics_applied_rel"][:, 1:])
    assert "ics_applied_rel" not in measure(spec.replace(optimizer="adam"), params, None, x, y, lr)


def test_ics_step_rel_is_the_earlier_layers_relative_step():
    """ics_step_rel[i] = ||lr g_<i|| / ||theta_<i|| over every trainable parameter of layers 0..i-1 (NaN at
    layer 0), so ICS per unit of relative step compares arms whose weights have different scales."""
    spec, params, x, y = make(geometry=("ics",))
    lr = 0.1
    out = measure(spec, params, None, x, y, lr)
    g = grads_of(spec, params, x, y)
    blocks = layer_blocks(spec, params)
    assert np.all(np.isnan(out["ics_step_rel"][:, 0]))
    for i in range(1, spec.depth + 1):
        names = [n for b in blocks[:i] for n in b]
        step = np.sqrt(sum(np.sum((lr * g[n]).reshape(K, -1) ** 2, axis=1) for n in names))
        size = np.sqrt(sum(np.sum(params[n].reshape(K, -1) ** 2, axis=1) for n in names))
        np.testing.assert_allclose(out["ics_step_rel"][:, i], step / size, rtol=1e-12)
    np.testing.assert_array_equal(out["ics_applied_step_rel"], out["ics_step_rel"])   # plain SGD: the same step
