"""Data sets beyond the fixed MNIST-1D draw: per-seed draws (spec.resample_data) and scikit-learn's digits."""
import numpy as np
import pytest

from repro.engine import data as data_module
from repro.engine.data import draw_seed, load
from repro.engine.spec import ExperimentSpec, SpecError
from repro.engine.train import train, train_rates

SMALL = ExperimentSpec(depth=2, width=16, steps=30, eval_every=10, batch_size=32,
                       probes=("activations", "gradients", "units"), probe_steps=(0, 30))


def test_each_seed_draws_its_own_mnist1d_and_the_same_draw_twice():
    fixed, one, again, two = load("mnist1d"), load("mnist1d", draw=1), load("mnist1d", draw=1), load("mnist1d", draw=2)
    assert one is again or np.array_equal(one.x_train, again.x_train)
    for other in (fixed, two):
        assert not np.array_equal(one.x_train, other.x_train)
        assert not np.array_equal(one.x_test, other.x_test)
    assert one.x_train.shape == fixed.x_train.shape and one.x_test.shape == fixed.x_test.shape
    assert len({draw_seed(i) for i in range(100)}) == 100


def test_digits_is_split_and_standardized_on_its_training_split():
    d = load("digits")
    assert (d.x_train.shape, d.x_val.shape, d.x_test.shape) == ((1180, 64), (168, 64), (449, 64))
    assert np.isfinite(d.x_train).all() and np.isfinite(d.x_test).all()
    std = d.x_train.std(axis=0)
    assert np.allclose(std[std > 0], 1) and np.allclose(d.x_train.mean(axis=0), 0)
    assert sorted(set(d.y_test)) == list(range(10))


@pytest.mark.parametrize("bad, message", [(dict(data="gaussian", resample_data=True), "per-seed draws"),
                                          (dict(resample_data=1), "True or False")])
def test_resample_data_is_validated(bad, message):
    with pytest.raises(SpecError, match=message):
        ExperimentSpec(**bad)


def test_load_rejects_a_draw_of_a_fixed_data_set():
    with pytest.raises(ValueError, match="no per-seed draws"):
        load("digits", draw=0)
    with pytest.raises(ValueError, match="seed index"):
        load("mnist1d", draw=-1)


def test_per_seed_draws_do_not_depend_on_which_seeds_train_together():
    spec = SMALL.replace(resample_data=True)
    both, alone = train(spec, (0, 3)), train(spec, (3,))
    for name, v in both.values.items():
        assert np.array_equal(v[1:], alone.values[name], equal_nan=True), name
    rates = train_rates([spec.replace(lr=0.05), spec.replace(lr=0.2)], (0, 3))
    assert np.array_equal(rates[1]["test_acc"], train(spec.replace(lr=0.2), (0, 3))["test_acc"])


def test_the_per_seed_path_computes_what_the_shared_path_does_on_the_same_data(monkeypatch):
    """With every draw replaced by the fixed data set, the (K, N, D) path must give the shared path's numbers."""
    monkeypatch.setattr(data_module, "_load_draw", lambda name, draw: data_module._load_cached(name))
    shared = train(SMALL.replace(geometry=("ics",), geometry_steps=(0, 20)), (0, 1))
    per_seed = train(SMALL.replace(resample_data=True, geometry=("ics",), geometry_steps=(0, 20)), (0, 1))
    assert shared.values.keys() == per_seed.values.keys()
    for name, v in shared.values.items():
        assert np.array_equal(v, per_seed.values[name], equal_nan=True), name


def test_a_draw_changes_the_numbers_and_digits_trains():
    assert not np.array_equal(train(SMALL, (0,))["test_acc"], train(SMALL.replace(resample_data=True), (0,))["test_acc"])
    digits = train(SMALL.replace(data="digits", steps=200, eval_every=100, probe_steps=(0,)), (0,))
    assert digits["test_acc"][0, -1] > 0.5
