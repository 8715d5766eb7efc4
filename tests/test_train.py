"""train(): the record contract, batching over seeds, determinism, divergence, optimizers, probes."""
import sys
import types

import numpy as np
import pytest

from repro.engine import model
from repro.engine.optim import Optimizer, learning_rate
from repro.engine.record import Record
from repro.engine.spec import ExperimentSpec, SpecError
from repro.engine.train import BatchStream, eval_steps, train

ALL_PROBES = ("activations", "gradients", "units", "bn_params", "unit_percentiles", "final_params")


def small(**kw) -> ExperimentSpec:
    base = dict(data="teacher", depth=2, width=16, steps=25, eval_every=10, lr=0.05, batch_size=32)
    base.update(kw)
    return ExperimentSpec(**base)


def test_record_contract():
    spec = small(probes=ALL_PROBES, probe_steps=(0, 10, 25))
    r = train(spec, (0, 1, 2))
    assert isinstance(r, Record) and r.seeds == (0, 1, 2) and r.runtime_s > 0
    K, L, P, W, S = 3, 2, 3, 16, 256
    assert list(r.axes["eval_step"]) == [0, 10, 20, 25]
    assert list(r.axes["probe_step"]) == [0, 10, 25]
    shapes = {"train_loss": (K, 4), "train_acc": (K, 4), "test_loss": (K, 4), "test_acc": (K, 4),
              "batch_loss": (K, 25), "diverged": (K,), "diverged_step": (K,),
              "probe/grad_w_norm": (K, P, L + 1), "probe/weight_norm": (K, P, L + 1),
              "probe/grad_act_norm": (K, P, L), "probe/grad_act_sample": (K, P, L, S),
              "probe/dead_frac": (K, P, L), "probe/linear_frac": (K, P, L), "probe/within_share": (K, P, L),
              "probe/gamma": (K, P, L, W), "probe/beta": (K, P, L, W), "probe/unit_pct": (K, P, L, 3, 3),
              "final/W0": (K, 40, W), "final/W2": (K, W, 10), "final/b2": (K, 10), "final/gamma1": (K, W)}
    for site in ("linear", "norm", "act"):
        shapes.update({f"probe/{site}_mean": (K, P, L), f"probe/{site}_std": (K, P, L),
                       f"probe/{site}_pct": (K, P, L, 5), f"probe/{site}_sample": (K, P, L, S)})
    for name, shape in shapes.items():
        assert r[name].shape == shape, name
    assert not r["diverged"].any() and np.all(r["diverged_step"] == -1)
    assert np.all(np.isfinite(r["batch_loss"])) and np.all((r["test_acc"] >= 0) & (r["test_acc"] <= 1))
    # post-BN values are normalized on the probe batch at init (gamma 1, beta 0): claim 7's point
    assert np.allclose(r["probe/norm_mean"][:, 0], 0, atol=1e-5)
    assert np.allclose(r["probe/norm_std"][:, 0], 1, atol=1e-3)
    pct = r["probe/act_pct"]
    assert np.all(np.diff(pct, axis=-1) >= 0)
    assert np.all((r["probe/dead_frac"] >= 0) & (r["probe/dead_frac"] + r["probe/linear_frac"] <= 1))
    assert np.all(r["probe/gamma"][:, 0] == 1) and not np.all(r["probe/gamma"][:, -1] == 1)
    # it learns: the teacher task is well above chance after a few steps
    assert r["batch_loss"][:, -5:].mean() < r["batch_loss"][:, :5].mean()


def test_no_norm_has_no_norm_site_and_no_bn_params():
    r = train(small(norm="none", probes=("activations", "bn_params"), steps=3, eval_every=3), (0,))
    assert "probe/linear_mean" in r.values and "probe/act_sample" in r.values
    assert not any(k.startswith(("probe/norm", "probe/gamma", "probe/beta")) for k in r.values)


def test_seeds_batched_equal_seeds_alone_and_runs_repeat():
    spec = small(probes=("activations", "final_params"), probe_steps=(0, 25))
    together = train(spec, (4, 7, 9))
    alone = train(spec, (7,))
    again = train(spec, (4, 7, 9))
    for name, v in together.values.items():
        assert np.array_equal(v, again.values[name], equal_nan=True), name
        # np.matmul runs one gemm per seed slice and reductions never cross seeds: bit-identical
        assert np.array_equal(v[1:2], alone.values[name], equal_nan=True), name
    assert not np.array_equal(together["final/W0"][0], together["final/W0"][1])


def test_training_in_float64_is_exact_across_batching():
    spec = small(dtype="float64", probes=("final_params",), steps=10)
    together, alone = train(spec, (1, 2)), train(spec, (2,))
    for name in ("batch_loss", "test_loss", "final/W1", "final/gamma0"):
        np.testing.assert_allclose(together[name][1:], alone[name], rtol=1e-12, atol=1e-14, err_msg=name)
    assert together["final/W1"].dtype == np.float64


def test_bias_before_bn_does_not_change_the_trajectory():
    """Claim 5 as an exact identity: with and without the pre-BN bias, same training (float64)."""
    spec = small(dtype="float64", probes=("final_params",), steps=20, optimizer="momentum")
    with_bias, without = train(spec, (0, 1)), train(spec.replace(bias=False), (0, 1))
    for i in range(3):
        np.testing.assert_allclose(with_bias[f"final/W{i}"], without[f"final/W{i}"], rtol=0, atol=1e-12)
    assert np.abs(with_bias["final/b0"]).max() < 1e-12
    after = train(spec.replace(placement="after"), (0, 1))
    assert np.abs(after["final/b0"]).max() > 1e-4  # after the activation the bias does learn


def test_divergence_is_recorded_not_raised():
    # a linear net on mse at an absurd learning rate: the loss grows geometrically to inf/NaN
    spec = small(norm="none", activation="identity", loss="mse", lr=50.0, steps=30,
                 probes=("final_params", "gradients"), probe_steps=(30,))
    r = train(spec, (0, 1))
    assert r["diverged"].all()
    for k in range(2):
        s = r["diverged_step"][k]
        assert 0 <= s < 30
        assert np.all(np.isfinite(r["batch_loss"][k, :s])) and np.all(np.isnan(r["batch_loss"][k, s:]))
    assert np.all(np.isnan(r["test_loss"][:, -1])) and np.all(np.isfinite(r["test_acc"]))
    # the same seeds at a sane learning rate do not diverge; mixing them in changes nothing for them
    ok = train(spec.replace(lr=0.05), (0, 1))
    assert not ok["diverged"].any()


def test_diverged_seed_is_frozen():
    spec = small(norm="none", activation="identity", loss="mse", lr=50.0, steps=30, optimizer="momentum",
                 probes=("final_params",))
    long, short = train(spec, (3,)), train(spec.replace(steps=20), (3,))
    s = long["diverged_step"][0]
    assert 0 <= s < 20 and short["diverged_step"][0] == s
    np.testing.assert_array_equal(long["final/W1"], short["final/W1"])  # nothing moved after s


def test_frozen_gamma_and_beta():
    spec = small(train_gamma=False, probes=("final_params",), steps=10)
    r = train(spec, (0,))
    assert np.all(r["final/gamma0"] == 1) and not np.all(r["final/beta0"] == 0)
    assert not model.trainable(spec, "gamma1") and model.trainable(spec, "beta1")
    assert model.trainable(spec, "W0") and model.trainable(spec, "b2")
    r = train(spec.replace(train_gamma=True, train_beta=False), (0,))
    assert np.all(r["final/beta1"] == 0) and not np.all(r["final/gamma1"] == 1)


@pytest.mark.parametrize("optimizer,lr", (("sgd", 0.2), ("momentum", 0.02), ("adam", 0.003)))
@pytest.mark.parametrize("norm", ("none", "batch", "units", "mean_only", "scale_only", "noisy_batch"))
def test_optimizers_learn(optimizer, lr, norm):
    r = train(small(optimizer=optimizer, lr=lr, norm=norm, steps=60, eval_every=60, width=32), (0,))
    assert r["train_loss"][0, -1] < 0.9 * r["train_loss"][0, 0]
    assert r["train_acc"][0, -1] > 0.15  # chance is 0.10 (+-0.01 on 1000 examples)


def test_optimizer_updates_by_hand():
    spec = small(dtype="float64")
    rng = np.random.default_rng(0)
    p0 = {"W0": rng.standard_normal((2, 3, 4)), "gamma0": np.ones((2, 4))}
    g1, g2 = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 3, 4))
    for kind in ("sgd", "momentum", "adam"):
        p = {n: v.copy() for n, v in p0.items()}
        opt = Optimizer(spec.replace(optimizer=kind, momentum=0.5), p)
        opt.step(p, {"W0": g1.copy(), "gamma0": np.ones((2, 4))}, 0.1)
        opt.step(p, {"W0": g2.copy(), "gamma0": np.ones((2, 4))}, 0.1, active=np.array([True, False]))
        if kind == "sgd":
            expect = p0["W0"][0] - 0.1 * g1[0] - 0.1 * g2[0]
        elif kind == "momentum":
            expect = p0["W0"][0] - 0.1 * g1[0] - 0.1 * (0.5 * g1[0] + g2[0])
        else:
            m1, v1 = 0.1 * g1[0], 0.001 * g1[0] ** 2
            m2, v2 = 0.9 * m1 + 0.1 * g2[0], 0.999 * v1 + 0.001 * g2[0] ** 2
            step1 = 0.1 * (m1 / 0.1) / (np.sqrt(v1 / 0.001) + 1e-8)
            step2 = 0.1 * (m2 / (1 - 0.81)) / (np.sqrt(v2 / (1 - 0.999 ** 2)) + 1e-8)
            expect = p0["W0"][0] - step1 - step2
        np.testing.assert_allclose(p["W0"][0], expect, rtol=1e-10, err_msg=kind)
        # seed 1 was inactive in the second step: only the first update moved it
        first = p0["W0"][1] - (0.1 * g1[1] if kind != "adam" else 0.1 * np.sign(g1[1]) * np.abs(g1[1]) /
                                                                    (np.abs(g1[1]) + 1e-8))
        np.testing.assert_allclose(p["W0"][1], first, rtol=1e-7, err_msg=kind)
        assert not np.all(p["gamma0"] == 1)
    frozen = spec.replace(train_gamma=False)
    p = {n: v.copy() for n, v in p0.items()}
    Optimizer(frozen, p).step(p, {"W0": g1.copy(), "gamma0": np.ones((2, 4))}, 0.1)
    assert np.all(p["gamma0"] == 1)
    with pytest.raises(ValueError, match="optimizer="):
        Optimizer(type("S", (), {"optimizer": "rmsprop"})(), p)


def test_cosine_schedule_and_eval_steps():
    spec = small(schedule="cosine", lr=0.2, steps=100)
    assert learning_rate(spec, 0) == pytest.approx(0.2)
    assert learning_rate(spec, 50) == pytest.approx(0.1)
    assert learning_rate(spec.replace(schedule="constant"), 70) == 0.2
    assert list(eval_steps(small(steps=30, eval_every=10))) == [0, 10, 20, 30]
    assert list(eval_steps(small(steps=0, eval_every=10, probe_steps=(0,)))) == [0]


def test_batch_stream_is_per_seed_and_without_replacement():
    a, b = BatchStream((3, 5), 100, 30), BatchStream((5,), 100, 30)
    epoch = np.concatenate([a.next() for _ in range(3)], axis=1)
    alone = np.concatenate([b.next() for _ in range(3)], axis=1)
    assert np.array_equal(epoch[1], alone[0])
    assert len(set(epoch[0])) == 90  # no repeats within an epoch
    assert not np.array_equal(epoch[0], epoch[1])
    with pytest.raises(ValueError, match="batch_size"):
        BatchStream((0,), 10, 11)


def test_blog_setting_with_noise_loss_at_init():
    spec = ExperimentSpec(data="gaussian", depth=5, width=20, bias=False, init="normal", init_scale=0.01,
                          norm="units", placement="after", loss="noise", steps=0,
                          probes=("activations", "gradients"), probe_steps=(0,))
    r = train(spec, (0, 1))
    assert r["probe/grad_w_norm"].shape == (2, 1, 6) and np.all(r["probe/grad_w_norm"] > 0)
    assert r["batch_loss"].shape == (2, 0) and r["test_acc"].shape == (2, 1)
    # post-norm values across units are normalized for every example, whatever the 0.01 init does
    # (slightly below 1: with 0.01 init the per-example variance is not large against bn_eps)
    assert np.allclose(r["probe/norm_std"], 1, atol=3e-2)
    trained = train(spec.replace(steps=5, eval_every=5, norm="batch"), (0,))
    assert np.all(np.isfinite(trained["batch_loss"]))


def test_geometry_is_called_and_stacked(monkeypatch):
    calls = []

    def measure(spec, params, state, x, y, lr, velocity=None):
        calls.append((x.shape, lr, None if velocity is None else {n: v.copy() for n, v in velocity.items()}))
        k = params["W0"].shape[0]
        return {"ics": np.full((k, spec.depth), float(len(calls))), "smoothness": np.zeros(k)}

    monkeypatch.setitem(sys.modules, "repro.engine.geometry", types.SimpleNamespace(measure=measure))
    spec = small(geometry=("ics",), geometry_steps=(0, 10, 25))
    r = train(spec, (0, 1))
    assert [c[0] for c in calls] == [(2, 32, 40)] * 3 and all(c[1] == spec.lr for c in calls)
    assert list(r.axes["geometry_step"]) == [0, 10, 25]
    assert r["geometry/ics"].shape == (2, 3, 2) and list(r["geometry/ics"][0, :, 0]) == [1, 2, 3]
    assert r["geometry/smoothness"].shape == (2, 3)
    assert all(c[2] is None for c in calls)  # plain SGD has no momentum buffer
    calls.clear()
    train(spec.replace(optimizer="momentum", momentum=0.9), (0, 1))
    assert not np.any(calls[0][2]["W0"]) and np.all(np.abs(calls[1][2]["W0"]).sum(axis=(1, 2)) > 0)
    # measuring geometry does not change training
    plain = train(small(), (0, 1))
    np.testing.assert_array_equal(plain["batch_loss"], r["batch_loss"])


def test_hidden_lr_scale_moves_only_hidden_weights_faster():
    """One SGD step with hidden_lr_scale=s: hidden W move s times as far, everything else the same."""
    from repro.engine.data import load
    from repro.engine.model import init_params, loss_and_grads
    from repro.engine.optim import Optimizer
    spec = small(optimizer="sgd", norm="batch", dtype="float64")
    d = load(spec.data)
    x, y = d.x_train[:32], d.y_train[:32]
    start = init_params(spec, (0, 1), x.shape[1], d.n_classes)
    moved = {}
    for scale in (1.0, 8.0):
        s = spec.replace(hidden_lr_scale=scale)
        p = {n: v.copy() for n, v in start.items()}
        _, grads, _ = loss_and_grads(s, p, x, y)
        Optimizer(s, p).step(p, grads, s.lr)
        moved[scale] = {n: p[n] - start[n] for n in p}
    for n in start:
        factor = 8.0 if n.startswith("W") and int(n[1:]) < spec.depth else 1.0
        np.testing.assert_allclose(moved[8.0][n], factor * moved[1.0][n], rtol=1e-9, atol=1e-15, err_msg=n)
    assert np.abs(moved[1.0]["W0"]).max() > 0
    with pytest.raises(SpecError, match="hidden_lr_scale"):
        spec.replace(hidden_lr_scale=0.0)


def test_probe_percentile_is_numpy_percentile_bit_for_bit():
    from repro.engine.probes import percentile
    rng = np.random.default_rng(3)
    for dtype in (np.float32, np.float64):
        a = np.maximum(rng.standard_normal((3, 4, 1001)), 0).astype(dtype)  # ties at 0, like ReLU outputs
        a[1, 2, 7] = np.nan
        a[2, 0, :5] = np.inf
        for axis in (1, 2):
            with np.errstate(invalid="ignore"):  # inf - inf while interpolating, in both
                expect = np.percentile(a, (5, 15, 50, 85, 95), axis=axis)
                got = percentile(a, (5, 15, 50, 85, 95), axis=axis)
            assert got.dtype == expect.dtype and np.array_equal(got, expect, equal_nan=True)


def test_only_gamma_and_beta_train():
    """train_weights=False (Frankle et al.): every Linear stays at its init, gamma and beta move."""
    spec = small(train_weights=False, probes=("final_params",), steps=10)
    start = model.init_params(spec, (0,), 40, 10)
    r = train(spec, (0,))
    for name, p in start.items():
        moved = not np.array_equal(r[f"final/{name}"], p)
        assert moved == name.startswith(("gamma", "beta")), name
    with pytest.raises(SpecError, match="train_weights=False"):
        small(train_weights=False, norm="none")
    with pytest.raises(SpecError, match="train_weights=False"):
        small(train_weights=False, train_beta=False)


def test_readout_init_changes_only_the_readout():
    base = small(init="normal", init_scale=1.0)
    plain = model.init_params(base, (0, 1), 40, 10)
    he_out = model.init_params(base.replace(readout_init="he"), (0, 1), 40, 10)
    L = base.depth
    for name in plain:
        same = np.array_equal(plain[name], he_out[name])
        assert same == (name != f"W{L}"), name
    # the same standard-normal draws, scaled to He's std sqrt(2 / fan_in) instead of 1
    np.testing.assert_allclose(he_out[f"W{L}"], plain[f"W{L}"] * np.sqrt(2 / base.width), rtol=1e-6)
    assert "read-out: He" in base.replace(readout_init="he").describe()
    with pytest.raises(SpecError, match="readout_init"):
        small(readout_init="kaiming")


def test_eval_splits_and_chunked_evaluation():
    """Tuning runs evaluate only the validation split; the numbers of a split do not depend on
    which other splits are evaluated, and chunked evaluation equals one whole-set pass."""
    from repro.engine import train as train_module
    from repro.engine.data import load
    spec = small(steps=12, eval_every=6)
    full, val_only = train(spec, (0, 1)), train(spec.replace(eval_splits=("val",)), (0, 1))
    assert {n for n in val_only.values if n.endswith(("_acc", "_loss")) and n != "batch_loss"} == {"val_acc", "val_loss"}
    np.testing.assert_array_equal(full["val_acc"], val_only["val_acc"])
    np.testing.assert_array_equal(full["val_loss"], val_only["val_loss"])
    for bad in ((), ("test", "val"), ("holdout",)):
        with pytest.raises(SpecError, match="eval_splits"):
            spec.replace(eval_splits=bad)
    d = load(spec.data)
    f64 = spec.replace(dtype="float64")
    params = model.init_params(f64, (0, 1), d.x_test.shape[1], d.n_classes)
    chunked = train_module.evaluate(f64, params, model.init_state(f64, 2), d.x_test, d.y_test)
    logits = model.forward(f64, params, d.x_test, state=model.init_state(f64, 2))
    whole = model.heldout_loss(f64, logits, d.y_test), (logits.argmax(axis=2) == d.y_test).mean(axis=1)
    assert len(d.x_test) > train_module.EVAL_CHUNK
    np.testing.assert_allclose(chunked[0], whole[0], rtol=1e-12)
    np.testing.assert_array_equal(chunked[1], whole[1])


@pytest.mark.parametrize("norm", ("mean_only", "scale_only", "noisy_batch"))
def test_new_norms_batch_alone_equal_batched_and_keep_running_statistics(norm):
    spec = small(norm=norm, probes=("final_params",), steps=20)
    together, alone = train(spec, (3, 5)), train(spec, (5,))
    for name, v in together.values.items():  # the noise comes from each seed's own stream
        assert np.array_equal(v[1:2], alone.values[name], equal_nan=True), name
    state = model.init_state(spec, 1)
    assert set(state) == {f"{s}{i}" for s in ("mean", "var") for i in range(spec.depth)}
    _, _, aux = model.loss_and_grads(spec, model.init_params(spec, (0,), 40, 10),
                                     np.random.default_rng(0).standard_normal((32, 40)).astype(np.float32),
                                     np.zeros(32, dtype=np.int64), train=True)
    model.update_state(spec, state, aux, 32)
    moved = {n: not np.array_equal(v, model.init_state(spec, 1)[n]) for n, v in state.items()}
    # mean-only BN keeps no variance, scale-only no mean: only the statistic each one uses moves
    assert moved["mean0"] == (norm != "scale_only") and moved["var0"] == (norm != "mean_only")


def test_noisy_bn_perturbs_training_only():
    plain = small(norm="batch", probes=("units", "final_params"), probe_steps=(0,), steps=15)
    noisy = plain.replace(norm="noisy_batch")
    a, b = train(plain, (0,)), train(noisy, (0,))
    # the same init and data; the probes and evaluation at step 0 see the plain BN net
    assert np.array_equal(a["probe/within_share"], b["probe/within_share"])
    assert np.array_equal(a["test_loss"][:, 0], b["test_loss"][:, 0])
    assert not np.array_equal(a["final/W0"], b["final/W0"])  # the noise changed the training
    quiet = train(noisy.replace(noise_shift=0.0, noise_scale=0.0), (0,))
    np.testing.assert_allclose(quiet["final/W0"], a["final/W0"], rtol=0, atol=1e-6)  # no noise: BN again
    with pytest.raises(SpecError, match="noise_scale"):
        noisy.replace(noise_scale=1.0)


def test_within_unit_share_is_pages_decomposition():
    from repro.engine.probes import within_unit_share
    rng = np.random.default_rng(0)
    act = rng.standard_normal((3, 512, 20)) + rng.standard_normal((3, 1, 20)) * 2.0  # unit means spread
    share = within_unit_share(act)
    within = act.var(axis=1).mean(axis=1)
    np.testing.assert_allclose(share * act.reshape(3, -1).var(axis=1), within, rtol=1e-12)  # total variance law
    assert np.all((share > 0.1) & (share < 0.5))
    constant_units = np.broadcast_to(rng.standard_normal((1, 1, 20)), (1, 512, 20))
    assert within_unit_share(constant_units)[0] < 1e-20
    assert within_unit_share(np.zeros((1, 512, 20)))[0] == 0.0  # a dead layer varies with nothing
    assert within_unit_share(act - act.mean(axis=1, keepdims=True))[0] == pytest.approx(1.0)


def test_training_flushes_subnormals_and_restores_the_environment():
    from repro.engine.blas import flush_subnormals
    tiny = np.float32(1e-40)  # a float32 subnormal
    with flush_subnormals() as flushed:
        inside = tiny * np.float32(1.0)
    assert tiny * np.float32(1.0) == tiny  # restored
    if not flushed:
        pytest.skip("flushing subnormals needs x86-64 Linux with glibc")
    assert inside == 0.0
    with pytest.raises(RuntimeError):
        with flush_subnormals():
            raise RuntimeError("boom")
    assert tiny * np.float32(1.0) == tiny  # restored after an exception too
    # the post's init without BN at depth 30: activations far below float32's smallest normal (1e-38)
    deep = small(depth=30, width=32, norm="none", init="normal", init_scale=0.01, steps=1,
                 probes=("activations",), probe_steps=(0,))
    r = train(deep, (0,))
    assert r["probe/act_std"][0, 0, -1] == 0.0  # flushed, not subnormal


def test_weight_decay_adds_wd_times_w_to_the_weights_gradient_only():
    """One SGD and one momentum step by hand: g += wd * W for the Linear weights (read-out included);
    biases, gamma and beta are not decayed; weight_decay=0 is the undecayed step exactly."""
    spec = small(dtype="float64", norm="batch")
    rng = np.random.default_rng(1)
    p0 = {"W0": rng.standard_normal((2, 3, 4)), "b0": rng.standard_normal((2, 4)), "gamma0": np.ones((2, 4)),
          "W2": rng.standard_normal((2, 4, 3))}
    g = {n: rng.standard_normal(v.shape) for n, v in p0.items()}
    for kind in ("sgd", "momentum"):
        for wd in (0.0, 0.01):
            p = {n: v.copy() for n, v in p0.items()}
            Optimizer(spec.replace(optimizer=kind, weight_decay=wd), p).step(p, {n: v.copy() for n, v in g.items()}, 0.1)
            for n in p0:
                decay = wd if n.startswith("W") else 0.0
                np.testing.assert_array_equal(p[n], p0[n] - 0.1 * (g[n] + decay * p0[n]) if decay else
                                              p0[n] - 0.1 * g[n], err_msg=f"{kind} {n} wd={wd}")
    with pytest.raises(SpecError, match="weight_decay"):
        spec.replace(weight_decay=-0.1)


def test_weight_decay_keeps_bn_hidden_weights_from_growing():
    """Under BN the hidden weights are scale-invariant: without decay their norm grows with training,
    with decay it shrinks (the effective rate ~ lr / |W|^2 no longer falls)."""
    spec = small(norm="batch", steps=200, lr=0.5, probes=("gradients",), probe_steps=(0, 200), momentum=0.0)
    grown = train(spec, (0, 1))["probe/weight_norm"][:, :, 0]
    decayed = train(spec.replace(weight_decay=0.01), (0, 1))["probe/weight_norm"][:, :, 0]
    assert np.all(grown[:, 1] > grown[:, 0]) and np.all(decayed[:, 1] < grown[:, 1])


def test_units_eval_probes_the_norm_in_evaluation_mode():
    """At init the running statistics are mean 0, variance 1 and gamma 1, beta 0: BN in evaluation mode
    is (almost) the identity, so a unit is dead exactly when its Linear output is <= 0 on every probe
    example; in train mode BN centres the batch and no unit can be. Without a norm both modes agree."""
    spec = small(norm="batch", steps=0, probes=("activations", "units", "units_eval"), probe_steps=(0,))
    r = train(spec, (0, 1))
    linear = r["probe/linear_sample"]   # a sample only; check the exact rule through the model instead
    assert linear.shape[:2] == (2, 1)
    from repro.engine.data import load
    from repro.engine.probes import fixed_indices
    d = load(spec.data)
    _, probe = fixed_indices(len(d.x_train))
    params = model.init_params(spec, (0, 1), d.x_train.shape[1], d.n_classes)
    aux = model.eval_activations(spec, params, d.x_train[probe].astype(spec.dtype), model.init_state(spec, 2))
    dead0 = np.all(aux["linear0"] <= 0, axis=1).mean(axis=1)
    np.testing.assert_array_equal(r["probe/dead_frac_eval"][:, 0, 0], dead0)
    assert np.all(r["probe/dead_frac"][:, 0, :] == 0)   # train mode: centred by construction
    plain = small(norm="none", steps=0, probes=("units", "units_eval"), probe_steps=(0,))
    rp = train(plain, (0, 1))
    for v in ("dead_frac", "linear_frac", "within_share"):
        np.testing.assert_array_equal(rp[f"probe/{v}_eval"], rp[f"probe/{v}"])
