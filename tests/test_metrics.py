"""Metrics of protocol 4: what they read from a record, checked on hand-made records."""
import numpy as np
from numpy.testing import assert_allclose

from repro.engine.record import Record
from repro.engine.spec import ExperimentSpec
from repro.metrics import FLOAT32_DECADES, first_to_last_gradient_in_training, ics_per_relative_step


def test_gradient_ratio_in_training_reads_inside_the_run_and_floors_at_float32():
    g = np.ones((2, 4, 3))                      # seeds, probe steps (0, 10, 20, 30), layers
    g[0, 1, 0], g[0, 2, 0] = 1e-2, 0.0          # seed 0: 2 decades down, then flushed to zero
    g[:, 0, 0] = 1e-9                           # at init: not read
    g[:, 3, 0] = 1e-9                           # at the last step: not read
    r = Record(spec=ExperimentSpec(steps=30), seeds=(0, 1), values={"probe/grad_w_norm": g},
               axes={"probe_step": np.array([0, 10, 20, 30])})
    m = first_to_last_gradient_in_training(depth=3)(r)
    assert_allclose(m, [(-2 + FLOAT32_DECADES) / 2, 0.0])
    g[1, 1, 0] = np.nan                          # seed 1 diverged: counted as the floor, never dropped
    assert_allclose(first_to_last_gradient_in_training(depth=3)(r), [(-2 + FLOAT32_DECADES) / 2, FLOAT32_DECADES])


def test_ics_per_relative_step_divides_by_the_step_and_skips_layer_0():
    rel = np.array([[[0.0, 0.2, 0.4]]])          # seed, geometry step, layer
    step = np.array([[[np.nan, 0.1, 0.4]]])
    r = Record(spec=None, seeds=(0,), values={"geometry/ics_applied_rel": rel, "geometry/ics_applied_step_rel": step})
    assert_allclose(ics_per_relative_step()(r), [np.mean(np.log10([2.0, 1.0]))])
