"""repro.protocol.tuning: the rate search's specs and choices, on hand-made records."""
import math

import numpy as np
import pytest

from repro.protocol import tuning as protocol
from repro.protocol.tuning import (DEFAULT_PLAN, LR_GRID, QUICK_PLAN, TUNING_SEED_BASE, kept_rates,
                            select, stage_spec, tuning_base, validation_score)
from repro.engine.record import Record
from repro.engine.spec import ExperimentSpec

SPEC = ExperimentSpec(depth=2, width=8, steps=2000, eval_every=100, probes=("activations",), probe_steps=(0, 2000),
                      geometry=("ics",), geometry_steps=(0,))


def record_with_val(curve, spec=SPEC):
    """A record whose validation accuracy (K seeds x E evaluations, in [0, 1]) is `curve`."""
    curve = np.asarray(curve, dtype=float)
    steps = np.linspace(0, spec.steps, curve.shape[1]).astype(np.int64)
    return Record(spec, tuple(range(len(curve))), {"val_acc": curve}, {"eval_step": steps})


def test_the_grid_is_log_spaced_in_half_decades_and_quick_takes_every_other_rate():
    steps = np.diff(np.log10(LR_GRID))  # 1, 3, 10, ...: alternately log10(3) and log10(10/3)
    assert np.allclose(steps, 0.5, atol=0.025) and np.allclose(steps[::2] + steps[1::2], 1.0)
    assert DEFAULT_PLAN.grid == LR_GRID
    assert QUICK_PLAN.grid == (0.001, 0.01, 0.1, 1.0) and set(QUICK_PLAN.grid) < set(LR_GRID)


def test_tuning_runs_measure_nothing_but_validation_and_use_their_own_seeds():
    base = tuning_base(SPEC)
    assert base.probes == () and base.geometry == () and base.eval_splits == ("val",)
    assert base.replace(probes=SPEC.probes, probe_steps=SPEC.probe_steps, geometry=SPEC.geometry,
                        geometry_steps=SPEC.geometry_steps, eval_splits=SPEC.eval_splits) == SPEC
    one, two = stage_spec(SPEC, 0.3, 1, DEFAULT_PLAN), stage_spec(SPEC, 0.3, 2, DEFAULT_PLAN)
    assert one.steps == 500 and one.lr == 0.3 and two.steps == 2000 and two == base.replace(lr=0.3)
    assert stage_spec(SPEC, 0.3, 1, QUICK_PLAN).steps == SPEC.steps  # the quick plan has one length
    assert DEFAULT_PLAN.seeds(1) == (TUNING_SEED_BASE, TUNING_SEED_BASE + 1) and min(DEFAULT_PLAN.seeds(2)) >= 10**6


def test_validation_score_averages_the_last_three_evaluations_and_counts_nan_seeds_out():
    r = record_with_val([[0.1, 0.5, 0.6, 0.7, 0.8], [0.1, 0.3, 0.4, 0.5, np.nan]])
    assert validation_score(r) == pytest.approx(100 * np.mean([0.6, 0.7, 0.8, 0.4, 0.5]))


def test_kept_rates_are_the_best_with_ties_to_the_smaller_rate_in_grid_order():
    stage1 = {0.01: 50.0, 0.03: 60.0, 0.1: 60.0, 0.3: 55.0, 1.0: 10.0}
    assert kept_rates(stage1, DEFAULT_PLAN) == (0.03, 0.1, 0.3)
    assert kept_rates(stage1, QUICK_PLAN) == (0.03, 0.1)


def test_select_takes_the_best_stage_two_rate_and_flags_the_grid_edge():
    grid = (0.01, 0.1, 1.0)
    stage1 = {0.01: 40.0, 0.1: 60.0, 1.0: 59.0}
    t = select(grid, stage1, {0.1: 61.0, 1.0: 63.0})
    assert t.selected == 1.0 and t.on_edge
    assert t.curve == [(0.01, 40.0, None), (0.1, 60.0, 61.0), (1.0, 59.0, 63.0)]
    tie = select(grid, stage1, {0.1: 62.0, 1.0: 62.0})
    assert tie.selected == 0.1 and not tie.on_edge


def test_a_search_where_every_rate_stays_at_chance_is_flagged():
    from repro.report.render import condition_view
    grid = (0.01, 0.1, 1.0)
    stuck = select(grid, {0.01: 9.7, 0.1: 10.4, 1.0: 11.9}, {0.1: 8.2, 1.0: 10.1})
    assert stuck.at_chance() and not stuck.at_chance(chance=5.0)
    learns_late = select(grid, {0.01: 9.7, 0.1: 10.4, 1.0: 11.9}, {0.1: 8.2, 1.0: 17.5})
    assert not learns_late.at_chance()                      # stage 2 found a rate that trains it
    row = {"name": "no BN", "spec": ExperimentSpec(steps=10).to_dict(), "selected_on": "validation",
           "learning_rate": 1.0, "lr_on_grid_edge": False, "lr_search_at_chance": True,
           "test_accuracy": 0.093, "n_seeds": 12}
    view = condition_view(row)
    assert view["warn"] and "the selected rate is arbitrary" in view["notes"]
    assert not condition_view({**row, "lr_search_at_chance": False})["warn"]


