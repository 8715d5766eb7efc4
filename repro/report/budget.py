"""Could the training budget flip a part? An exploratory reading of the convergence check.

The convergence check (repro.protocol.tuning) trains each tuned arm's two tuning seeds at twice the
declared budget and records the validation-accuracy gain. For a part that compares two arms on
accuracy, the difference of their gains is a rough estimate of how the effect would move with twice
the steps. Shifting the part's decision interval by that difference and reading it with the
interval rules says whether the budget could change the part's reading. It is exploratory: two
tuning seeds, validation not test accuracy, a rule added after the v3 confirmatory run; it never
changes a verdict.
"""
from __future__ import annotations

from ..claim import Equivalence, NonInferiority, Superiority, Test, _as_tuple
from ..protocol.results import ClaimResult
from ..stats import TestResult
from ..verdicts import decision_interval


def interval_reading(kind: str, lo: float, hi: float, margin: float) -> str:
    """The verdict an interval alone gives (the dual of the test): supported, refuted or inconclusive."""
    if kind == "superiority":
        return "supported" if lo > margin else "refuted" if hi < margin else "inconclusive"
    if kind == "noninferiority":
        return "supported" if lo > -margin else "refuted" if hi < -margin else "inconclusive"
    inside, outside = -margin < lo and hi < margin, lo >= margin or hi <= -margin
    return "supported" if inside else "refuted" if outside else "inconclusive"


def _gain(gains: dict[str, float | None], conditions) -> float | None:
    values = [gains.get(c) for c in _as_tuple(conditions)]
    return None if not values or any(v is None for v in values) else sum(values) / len(values)


def budget_note(cr: ClaimResult, part: Test, result: TestResult) -> str | None:
    """One sentence on how twice the budget could move a part that compares two arms on accuracy
    (None for other parts, or when an arm has no convergence check)."""
    if not isinstance(part, (Superiority, NonInferiority, Equivalence)) or "accuracy" not in part.metric.name:
        return None
    gains = {row["name"]: row["doubling_gain"] for row in cr.condition_rows()}
    a, b = _gain(gains, part.a), _gain(gains, part.b)
    if a is None or b is None or result.ci is None:
        return None
    shift = (a - b) if part.metric.higher_is_better or part.kind == "equivalence" else (b - a)
    lo, hi = decision_interval(result)
    before = interval_reading(part.kind, lo, hi, part.margin)
    after = interval_reading(part.kind, lo + shift, hi + shift, part.margin)
    reading = (f"would still read {after}" if after == before else
               f"would read {after} instead of {before}: the budget could flip this part")
    return (f"{part.name}: at twice the steps the arms gain {a:+.1f} and {b:+.1f} validation points (2 tuning "
            f"seeds); moved by the difference ({shift:+.1f}), its interval {reading}.")


def budget_notes(cr: ClaimResult) -> list[str]:
    """The budget note of every part of a claim that has one (exploratory, see the module docstring)."""
    by_name = {t.name: t for t in cr.parts}
    notes = [budget_note(cr, part, by_name[part.name]) for part in cr.claim.parts if part.name in by_name]
    return [n for n in notes if n]
