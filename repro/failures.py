"""A declared test of reliability: does arm A fail less often than arm B?

A mean difference can be made of a few failed runs (claim 12: Xavier stalls at chance in some seeds,
He in none). `FewerFailures` tests the failure rate itself, exactly, beside the mean.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from . import stats
from .checks import ClaimError
from .claim import Metric, Test, _n_diverged
from .engine.record import Record


@dataclass(frozen=True)
class FewerFailures(Test):
    """A fails less often than B (paired seeds): a seed fails when its metric is below `fail_below`
    (e.g. a run that ends at chance). A non-finite value counts as the metric declares; one that reaches
    this test (nonfinite="drop") counts as a failure here, never as a dropped seed.
    Decided by the exact McNemar test on the seeds where one arm fails (repro.stats.fewer_failures)."""

    metric: Metric = None
    a: str = ""
    b: str = ""
    fail_below: float = 0.0
    sequential: ClassVar[bool] = False

    def __post_init__(self) -> None:
        if not isinstance(self.metric, Metric) or not self.metric.higher_is_better:
            raise ClaimError(f"test {self.name!r}: metric={self.metric!r} must be a Metric where higher is better "
                             "(a seed fails below fail_below)")
        fb = self.fail_below
        if not (isinstance(fb, (int, float)) and not isinstance(fb, bool) and math.isfinite(fb)):
            raise ClaimError(f"test {self.name!r}: fail_below={fb!r} must be a finite number (in the metric's unit)")
        for side in ("a", "b"):
            if not (isinstance(getattr(self, side), str) and getattr(self, side)):
                raise ClaimError(f"test {self.name!r}: {side}={getattr(self, side)!r} must be one condition name")

    @property
    def kind(self) -> str:
        return "superiority"

    def conditions(self):
        return (self.a, self.b)

    def failed(self, record: Record) -> np.ndarray:
        """Per seed: True where the run failed (below fail_below, or not finite)."""
        x = np.asarray(self.metric(record), dtype=float)
        return ~(np.isfinite(x) & (x >= self.fail_below))

    def evaluate(self, records, alpha):
        return stats.fewer_failures(self.failed(records[self.a]), self.failed(records[self.b]), alpha=alpha,
                                    name=self.name, unit="points",
                                    metric=f"seeds with {self.metric.name} >= {self.fail_below:g} (%)",
                                    n_diverged=_n_diverged(records, self.a, self.b))
