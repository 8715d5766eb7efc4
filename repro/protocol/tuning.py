"""Protocol v3: how a trained condition gets its learning rate, and whether training has converged.

Learning-rate selection (declared before any confirmatory run):
- every trained condition of a claim (unless the claim names it in `fixed_rate`) takes its rate
  from LR_GRID, chosen on the validation split (carved from the training data, repro.engine.data);
- tuning seeds are TUNING_SEED_BASE + i, disjoint from the confirmatory seeds 0, 1, 2, ...;
- successive halving: stage 1 trains every grid rate on `stage1_seeds` seeds for a quarter of the
  step budget (its own cosine schedule); stage 2 trains the `keep` best of them on `stage2_seeds`
  seeds for the whole budget; the rate with the best mean validation accuracy in stage 2 wins;
  runs of one condition at different rates train as one batched computation (train_rates);
- tuning runs carry no probes or geometry and evaluate on the validation split only, so conditions
  that differ only in what they measure share their tuning runs (and the cache shares them across
  claims like any result);
- the search widens where it would otherwise fail silently (WIDEN_RULE, declared before the v3 run):
  when every stage-1 rate scores within CHANCE_MARGIN of chance, stage 2 trains every grid rate at
  the full budget (a net that leaves chance late is not ranked by its first quarter); when the
  winner sits on the grid's edge, one more half-decade beyond that edge is trained at the full
  budget and joins the choice (once: a winner on the new edge stays flagged);
- two tuning seeds see an arm that stalls in a tenth of its seeds with probability 1 - 0.9^2 = 19%:
  the confirmatory seeds, not the search, are what catch such stalls (claim 12 tests them directly).

Convergence (CONVERGENCE_RULE): the window criterion of v2 could not fail under a cosine schedule
(its last evaluations barely move whatever the state of training). Instead the tuning seeds of every
trained condition also train at twice the step budget at the selected rate; the validation gain
over the budget run is reported, and a condition is flagged when it exceeds CONVERGENCE_SHARE of the
smallest accuracy margin of the tests that use it (CONVERGENCE_POINTS when none is on accuracy).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..engine.data import N_CLASSES
from ..engine.record import Record
from ..engine.spec import ExperimentSpec

PROTOCOL_VERSION = 4
LR_GRID: tuple[float, ...] = (0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
TUNING_SEED_BASE = 1_000_000
LAST_EVALS = 3
CHANCE_MARGIN = 2.0  # points of validation accuracy: a rate whose score is within this of chance trains nothing
EDGE_STEP = 10 ** 0.5  # one half-decade beyond the grid's edge
CONVERGENCE_SHARE = 0.5   # of the smallest accuracy margin of the tests using a condition
CONVERGENCE_POINTS = 1.0  # validation-accuracy points, where no test on accuracy uses the condition
WIDEN_RULE = ("stage 1 all within CHANCE_MARGIN=2 points of chance -> stage 2 trains every grid rate at the full "
              "budget; winner on the grid's edge -> one half-decade beyond it at the full budget joins the choice")
CONVERGENCE_RULE = ("tuning seeds at the selected rate trained at twice the budget; flag a gain over 0.5 x the "
                    "smallest accuracy margin of the tests using the condition (1 point when none is on accuracy)")


@dataclass(frozen=True)
class TuningPlan:
    """Successive halving over LR_GRID (see the module docstring)."""

    stage1_seeds: int = 2
    stage1_fraction: int = 4   # stage 1 trains steps // stage1_fraction steps
    keep: int = 3
    stage2_seeds: int = 2
    grid: tuple[float, ...] = LR_GRID

    def seeds(self, stage: int) -> tuple[int, ...]:
        n = self.stage1_seeds if stage == 1 else self.stage2_seeds
        return tuple(TUNING_SEED_BASE + i for i in range(n))


DEFAULT_PLAN = TuningPlan()
#: The smoke profile (--quick) searches every other grid rate, a decade apart: it checks the pipeline,
#: its verdicts are not confirmatory.
QUICK_PLAN = TuningPlan(stage1_seeds=1, stage1_fraction=1, keep=2, stage2_seeds=1, grid=LR_GRID[1::2])


def tuning_base(spec: ExperimentSpec) -> ExperimentSpec:
    """The spec a condition is tuned on: the same training run without probes or geometry, evaluated
    on the validation split only."""
    return spec.replace(probes=(), probe_steps=(), geometry=(), geometry_steps=(), eval_splits=("val",))


def stage_spec(spec: ExperimentSpec, lr: float, stage: int, plan: TuningPlan) -> ExperimentSpec:
    """The tuning run of `spec` at rate `lr` in stage 1 (shortened), stage 2 (full budget) or
    stage 3 (the convergence check: twice the budget, its own cosine schedule)."""
    base = tuning_base(spec).replace(lr=float(lr))
    if stage == 1 and plan.stage1_fraction > 1:
        steps = max(10, spec.steps // plan.stage1_fraction)
        base = base.replace(steps=steps, eval_every=max(1, min(steps, spec.eval_every)))
    elif stage == 3:
        base = base.replace(steps=2 * spec.steps)
    return base


def beyond_edge(grid: tuple[float, ...], selected: float) -> float | None:
    """The half-decade beyond the grid's edge that the widening rule adds, or None off the edge."""
    if selected == grid[0]:
        return float(f"{grid[0] / EDGE_STEP:.3g}")
    if selected == grid[-1]:
        return float(f"{grid[-1] * EDGE_STEP:.3g}")
    return None


def stage1_at_chance(stage1: dict, chance: float = 100.0 / N_CLASSES) -> bool:
    return max(stage1.values()) <= chance + CHANCE_MARGIN


def validation_score(record: Record) -> float:
    """Mean validation accuracy (%) over the last evaluations and the seeds: what tuning maximizes.
    A diverged seed keeps its frozen parameters and scores about chance, so it counts against its rate."""
    return float(100.0 * np.nanmean(record["val_acc"][:, -LAST_EVALS:]))


@dataclass(frozen=True)
class Tuning:
    """The outcome of one condition's rate search: what was tried, what won, and whether the
    winner sits on the grid's edge (then the grid may not contain the optimum)."""

    grid: tuple[float, ...]
    stage1: dict            # rate -> mean validation accuracy (%), quarter-length runs
    stage2: dict            # rate -> mean validation accuracy (%), full-length runs of the kept rates
    selected: float
    widened: tuple[str, ...] = ()       # which widening rules fired: "full grid", "beyond edge"
    doubled: float | None = None        # validation score of the tuning seeds at twice the budget

    @property
    def on_edge(self) -> bool:
        """Whether the winner sits on the edge of the rates tried (the grid, widened beyond its edge)."""
        tried = sorted(set(self.grid) | set(self.stage2))
        return self.selected in (tried[0], tried[-1])

    @property
    def doubling_gain(self) -> float | None:
        """Validation-accuracy points gained at twice the step budget (None: not measured)."""
        return None if self.doubled is None else float(self.doubled - self.stage2[self.selected])

    def at_chance(self, chance: float = 100.0 / N_CLASSES) -> bool:
        """Whether every rate tried, in both stages, scored within CHANCE_MARGIN points of `chance` (%):
        the search found no rate that trains the condition, so the selected rate is arbitrary (and a
        rate that stage 1 dropped might still train it at the full budget)."""
        return max(*self.stage1.values(), *self.stage2.values()) <= chance + CHANCE_MARGIN

    @property
    def curve(self) -> list[tuple[float, float, float | None]]:
        """(rate, stage-1 score, stage-2 score or None) for every grid rate: the tuning curve."""
        rates = sorted(set(self.grid) | set(self.stage2))
        return [(lr, self.stage1.get(lr), self.stage2.get(lr)) for lr in rates]


def kept_rates(stage1: dict, plan: TuningPlan) -> tuple[float, ...]:
    """The `keep` best rates of stage 1 (ties: the smaller rate first), in grid order."""
    ranked = sorted(stage1, key=lambda lr: (-stage1[lr], lr))[:plan.keep]
    return tuple(sorted(ranked))


def select(grid: tuple[float, ...], stage1: dict, stage2: dict, widened: tuple[str, ...] = ()) -> Tuning:
    """The winning rate: best stage-2 score (ties: the smaller rate)."""
    best = min(stage2, key=lambda lr: (-stage2[lr], lr))
    return Tuning(tuple(grid), dict(stage1), dict(stage2), best, tuple(widened))
