"""The convergence check of conditions trained at a declared fixed rate.

The convergence rule (tuning.CONVERGENCE_RULE) trains the tuning seeds of every tuned condition at
twice the budget at its selected rate. A condition that keeps its declared rate (claim 1's fixed-rate
and scaled-rate arms, claim 5's float64 arms) gets this check instead: the same tuning seeds at the
declared rate, at the budget and at twice it, and the validation gain beside the tuned conditions'.
Like theirs, it flags and decides no verdict. It came after the protocol 3 run, where it was
exploratory (`doubling_exploratory` in that run's results.json); protocol 4 was registered with it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from ..claim import Claim
from ..engine.spec import quick as quick_spec
from .training import Training
from .tuning import DEFAULT_PLAN, QUICK_PLAN, stage_spec, validation_score

PHASE = "convergence check at declared fixed rates"


@dataclass(frozen=True)
class FixedRateCheck:
    """Validation accuracy (%) of the tuning seeds at a condition's declared rate, at the budget and at twice it."""

    lr: float
    at_budget: float
    doubled: float

    @property
    def doubling_gain(self) -> float:
        return float(self.doubled - self.at_budget)


def fixed_rate_checks(claims: Sequence[Claim], training: Training, *,
                      quick: bool) -> dict[tuple[str, str], FixedRateCheck | str]:
    """(claim id, condition) -> its FixedRateCheck, or the error text of a failed run, for every
    condition that trains (steps > 0) at a declared rate."""
    plan = QUICK_PLAN if quick else DEFAULT_PLAN
    seeds = plan.seeds(2)
    requests, keys = [], {}
    for claim in claims:
        for cond, spec in claim.conditions.items():
            spec = quick_spec(spec) if quick else spec
            if spec.steps == 0 or claim.is_tuned(cond):
                continue
            for stage, budget in ((2, "the budget"), (3, "twice the budget")):
                run = stage_spec(spec, spec.lr, stage, plan)
                requests.append((claim.id, f"{cond} @ fixed lr {spec.lr:g} ({budget})", run, seeds))
                keys[(claim.id, cond, stage)] = run.key(seeds)
    if not requests:
        return {}
    done = training.fill(requests, f"{PHASE}: {len(requests)} runs")
    out: dict[tuple[str, str], FixedRateCheck | str] = {}
    for cid, cond in {(cid, cond) for cid, cond, _ in keys}:
        at, twice = done[keys[(cid, cond, 2)]], done[keys[(cid, cond, 3)]]
        error = at.error or twice.error
        out[(cid, cond)] = (f"convergence check failed:\n{error}" if error else
                            FixedRateCheck(at.spec.lr, validation_score(at.record), validation_score(twice.record)))
    return out
