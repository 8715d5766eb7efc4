"""What a run produces: one ClaimResult per claim, gathered in a RunResult.

These objects feed the report (HTML/PDF), results.json/results.csv and the pytest plugin.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..claim import VERDICTS, Claim
from .settings import Setting
from .tuning import CONVERGENCE_POINTS, CONVERGENCE_SHARE, LAST_EVALS, Tuning
from ..engine.record import Record
from ..engine.spec import ExperimentSpec
from ..stats import TestResult

VERDICTS_WITH_ERROR = VERDICTS + ("error",)


@dataclass
class ClaimResult:
    claim: Claim
    verdict: str                                  # one of VERDICTS_WITH_ERROR
    tests: list[TestResult] = field(default_factory=list)   # the parts (role "part") first, then the secondaries
    records: dict[str, Record] = field(default_factory=dict)  # condition name -> record
    cache_keys: dict[str, list[str]] = field(default_factory=dict)  # condition -> cache key of each look's seeds
    runtime_s: float = 0.0                        # training time of its experiments (shared ones counted in each)
    error: str | None = None                      # traceback text when verdict == "error"
    specs: dict[str, ExperimentSpec] = field(default_factory=dict)  # condition -> spec as trained (selected lr)
    tunings: dict[str, Tuning | str] = field(default_factory=dict)  # tuned condition -> Tuning (or its error)
    fixed_checks: dict[str, object] = field(default_factory=dict)  # fixed-rate condition -> FixedRateCheck (or error)

    @property
    def parts(self) -> list[TestResult]:
        """The co-primary parts whose verdicts decide the claim's (intersection-union)."""
        return [t for t in self.tests if t.role == "part"]

    @property
    def secondary(self) -> list[TestResult]:
        return [t for t in self.tests if t.role != "part"]

    @property
    def matches_recorded(self) -> bool | None:
        """Whether the verdict is the one the claim recorded (None: nothing recorded yet)."""
        return None if self.claim.recorded is None else self.verdict == self.claim.recorded.verdict

    @property
    def seeds(self) -> tuple[int, ...]:
        """The seeds of the primary test's conditions (the most any condition ran); () when nothing ran."""
        return max((r.seeds for r in self.records.values()), key=len, default=())

    def condition_rows(self) -> list[dict]:
        """Per condition: its spec as trained, how its rate was chosen, its seeds, mean test accuracy
        (a fraction) and the convergence check; the `conditions` list of results.json."""
        rows = []
        for name, spec in (self.specs or self.claim.conditions).items():
            tuning, record = self.tunings.get(name), self.records.get(name)
            trained = spec.steps > 0
            row = {"name": name, "spec": spec.to_dict(), "learning_rate": spec.lr if trained else None,
                   "lr_grid": list(tuning.grid) if isinstance(tuning, Tuning) else None,
                   "selected_on": ("validation" if isinstance(tuning, Tuning) else "fixed") if trained else None,
                   "lr_on_grid_edge": tuning.on_edge if isinstance(tuning, Tuning) else None,
                   "lr_search_at_chance": tuning.at_chance() if isinstance(tuning, Tuning) else None,
                   "tuning_curve": tuning.curve if isinstance(tuning, Tuning) else None,
                   "lr_search_widened": list(tuning.widened) if isinstance(tuning, Tuning) else None,
                   "n_seeds": record.n_seeds if record is not None else 0, "test_accuracy": None,
                   "doubling_gain": None, "doubling_limit": None, "doubling_flag": None,
                   "doubling_exploratory": False}   # true only for protocol 3, whose run preceded the fixed-rate check
            if record is not None and trained and "test_acc" in record.values:
                row["test_accuracy"] = float(np.nanmean(record["test_acc"][:, -LAST_EVALS:]))
            fixed = self.fixed_checks.get(name)
            gain = (tuning.doubling_gain if isinstance(tuning, Tuning)
                    else getattr(fixed, "doubling_gain", None))
            if gain is not None:
                limit = self.convergence_limit(name)
                row.update(doubling_gain=gain, doubling_limit=limit, doubling_flag=bool(gain > limit))
            rows.append(row)
        return rows

    def convergence_limit(self, condition: str) -> float:
        """Validation points of gain at twice the budget above which `condition` is flagged as unfinished:
        CONVERGENCE_SHARE of the smallest accuracy margin among the tests that use it (else CONVERGENCE_POINTS)."""
        margins = [t.margin for t in self.claim.all_tests if condition in t.conditions()
                   and "accuracy" in getattr(getattr(t, "metric", None), "name", "") and getattr(t, "margin", 0) > 0]
        return CONVERGENCE_SHARE * min(margins) if margins else CONVERGENCE_POINTS


@dataclass
class SettingResult:
    """One column of the robustness matrix: each claim's primary test run again in `setting`."""

    setting: Setting
    claims: dict[str, ClaimResult]                # the declared claim's id -> its primary test in this setting
    not_applicable: tuple[str, ...] = ()          # claims the setting changes nothing of


@dataclass
class RunResult:
    profile: str                                  # "default" | "quick" | "thorough"
    claims: list[ClaimResult]
    provenance: dict = field(default_factory=dict)
    robustness: list[SettingResult] = field(default_factory=list)  # the thorough profile's settings
    registration: dict = field(default_factory=dict)  # the claims' declarations against their registration
    design: dict = field(default_factory=dict)        # the sequential design and the procedure's simulated error rate
