"""What a run produces: one ClaimResult per claim, gathered in a RunResult.

These objects feed the report (HTML/PDF), results.json/results.csv and the pytest plugin.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .claim import VERDICTS, Claim
from .record import Record
from .stats import TestResult

VERDICTS_WITH_ERROR = VERDICTS + ("error",)


@dataclass
class ClaimResult:
    claim: Claim
    verdict: str                                  # one of VERDICTS_WITH_ERROR
    tests: list[TestResult] = field(default_factory=list)   # tests[0] is the primary test
    records: dict[str, Record] = field(default_factory=dict)  # condition name -> record
    cache_keys: dict[str, str] = field(default_factory=dict)  # condition name -> cache key
    runtime_s: float = 0.0                        # training time of its experiments (shared ones counted in each)
    error: str | None = None                      # traceback text when verdict == "error"

    @property
    def matches_expected(self) -> bool:
        return self.verdict == self.claim.expected

    @property
    def seeds(self) -> tuple[int, ...]:
        """The seeds actually run (all conditions share them); () when nothing was trained."""
        return next(iter(self.records.values())).seeds if self.records else ()


@dataclass
class RunResult:
    profile: str                                  # "default" | "quick"
    claims: list[ClaimResult]
    provenance: dict = field(default_factory=dict)
