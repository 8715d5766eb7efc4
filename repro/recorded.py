"""What a claim's confirmatory run found (`recorded=Recorded(...)` in the claim file, written by
`repro record`) and the comparison of a new run with it: a regression reference, not a prediction."""
from __future__ import annotations

from dataclasses import dataclass

from .checks import ClaimError

VERDICTS = ("supported", "refuted", "mixed", "inconclusive")


@dataclass(frozen=True)
class RecordedPart:
    """What the confirmatory run found for one part of a claim with several."""

    name: str
    verdict: str
    estimate: float
    ci: tuple[float, float]
    n_seeds: int

    def __post_init__(self) -> None:
        if self.verdict not in ("supported", "refuted", "inconclusive"):
            raise ClaimError(f"recorded part {self.name!r}: verdict={self.verdict!r} must be supported, refuted or "
                             "inconclusive")


@dataclass(frozen=True)
class Recorded:
    """What a claim's confirmatory run found: the verdict, the first part's estimate and interval,
    the seed count at which it stopped, the protocol version and the date; `parts` holds every part
    of a claim with several. The claim's pytest item checks that a new run reproduces it
    (compare_recorded)."""

    verdict: str
    estimate: float
    ci: tuple[float, float]
    n_seeds: int
    protocol: int
    date: str
    parts: tuple[RecordedPart, ...] = ()

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ClaimError(f"recorded verdict={self.verdict!r} must be one of {', '.join(VERDICTS)}")


def compare_recorded(recorded: Recorded, result) -> list[str]:
    """What differs between a claim's recorded result and a new one (empty if it reproduces).

    `result` is a ClaimResult (the claim's verdict and every part) or, for a single part, a
    TestResult. The verdicts must be the same, and no estimate may move by more than its recorded
    interval's half-width (its own uncertainty; identity tests compare the verdict only)."""
    problems = []
    if hasattr(result, "parts"):
        if result.verdict != recorded.verdict:
            problems.append(f"verdict {result.verdict!r}, recorded {recorded.verdict!r}")
        found = {t.name: t for t in result.parts}
        wanted = recorded.parts or (RecordedPart(result.parts[0].name if result.parts else "", recorded.verdict
                                                 if recorded.verdict != "mixed" else "inconclusive",
                                                 recorded.estimate, recorded.ci, recorded.n_seeds),)
        for part in wanted:
            t = found.get(part.name) if recorded.parts else (result.parts[0] if result.parts else None)
            if t is None:
                problems.append(f"part {part.name!r} was recorded but not found")
                continue
            label = f"part {part.name!r}: " if recorded.parts else ""
            if recorded.parts and t.verdict != part.verdict:
                problems.append(f"{label}verdict {t.verdict!r}, recorded {part.verdict!r}")
            problems += [label + p for p in _moved(part.estimate, part.ci, t)]
        return problems
    if result.verdict != recorded.verdict:
        problems.append(f"verdict {result.verdict!r}, recorded {recorded.verdict!r}")
    return problems + _moved(recorded.estimate, recorded.ci, result)


def _moved(estimate: float, ci: tuple[float, float], result) -> list[str]:
    if result.kind == "identity":
        return []
    half = (ci[1] - ci[0]) / 2
    moved = abs(result.estimate - estimate)
    if not moved <= half:
        return [f"estimate {result.estimate:.4g} moved {moved:.3g} from the recorded {estimate:.4g} "
                f"(allowed: the recorded half-width {half:.3g})"]
    return []
