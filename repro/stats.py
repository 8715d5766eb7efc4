"""Verdicts a statistician would sign (see STATISTICS.md). Pure functions over per-seed arrays.

Orientation: every estimate theta is oriented so that positive = the claim's direction.
Each test function returns a TestResult with `verdict="pending"`; `holm` adjusts p-values
across a family and `decide` turns a result plus its adjusted p into the verdict.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np


@dataclass(frozen=True)
class TestResult:
    name: str
    kind: str                       # superiority | equivalence | noninferiority | threshold | trend | identity
    metric: str
    unit: str
    estimate: float                 # theta in metric units (positive = claim direction)
    estimate_rel: float | None      # theta as % of the reference arm's mean (None if undefined)
    ci: tuple[float, float]
    ci_level: float                 # e.g. 0.95 (0.90 for TOST)
    ci_method: str                  # "t" | "bca" | "percentile" | "exact"
    p: float
    effect_size: float | None
    effect_size_name: str           # "d_z" | "hedges_g" | ...
    n_seeds: int
    n_diverged: int
    margin: float | None = None
    tau: float | None = None
    prob_superiority: float | None = None   # P(A > B) over paired seeds
    correlation: float | None = None        # Pearson r between paired arms
    power: float | None = None              # achieved power at the declared margin
    mde: float | None = None                # minimum detectable effect at 80% power
    feasible: bool = True
    feasibility_note: str = ""
    p_adjusted: float | None = None
    verdict: str = "pending"
    details: dict = field(default_factory=dict)  # per-seed values, robustness checks


def superiority(a, b, *, margin, alpha, name, metric, unit="", n_diverged=0) -> TestResult:
    raise NotImplementedError


def equivalence(a, b, *, margin, alpha, name, metric, unit="", n_diverged=0) -> TestResult:
    raise NotImplementedError


def noninferiority(a, b, *, margin, alpha, name, metric, unit="", n_diverged=0) -> TestResult:
    raise NotImplementedError


def threshold(x, *, tau, direction, log, alpha, name, metric, unit="", n_diverged=0) -> TestResult:
    raise NotImplementedError


def trend(x, y, *, direction, margin, alpha, name, metric, unit="", n_diverged=0) -> TestResult:
    raise NotImplementedError


def identity(max_abs_diff, *, tol, scale, name, metric, n_diverged=0) -> TestResult:
    raise NotImplementedError


def holm(p_values) -> np.ndarray:
    raise NotImplementedError


def decide(result: TestResult, p_adjusted: float, alpha: float = 0.05) -> TestResult:
    raise NotImplementedError
