"""From a test's result to its verdict: the rules that read p and the interval, the interval they
read, and Holm's adjustment across a family (the rules themselves are listed in repro.stats)."""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from .checks import check_alpha
from .power import feasibility
from .stats import KINDS, TestResult


def rule(kind: str, p_adjusted, lo, hi, margin, alpha: float):
    """The verdict rule, vectorized: 'supported' | 'refuted' | 'inconclusive' per element."""
    p_adjusted, lo, hi = (np.asarray(v, dtype=float) for v in (p_adjusted, lo, hi))
    m = 0.0 if margin is None else float(margin)
    supported = p_adjusted < alpha
    if kind in ("superiority", "trend"):
        refuted = hi < m  # the effect is shown to fall short of the margin (or to go the other way)
    elif kind == "equivalence":
        refuted = (lo >= m) | (hi <= -m)
    elif kind == "noninferiority":
        refuted = hi < -m
    elif kind == "threshold":
        refuted = hi < 0
    else:
        raise ValueError(f"kind={kind!r} must be one of {', '.join(KINDS[:-1])} (identity uses its tolerance rule)")
    return np.where(supported, "supported", np.where(refuted, "refuted", "inconclusive"))


def decision_interval(result: TestResult) -> tuple[float, float]:
    """The interval the verdict rules read, oriented so that positive = the claim's direction: the
    test's `ci` for differences and slopes; for a threshold test, the distance beyond tau on the tested
    scale (its `ci` is the measured value's interval in the metric's unit)."""
    if result.kind != "threshold":
        return result.ci
    if "distance_ci" in result.details:
        return tuple(result.details["distance_ci"])
    lo, hi = result.ci   # a result without details (e.g. rebuilt from results.json): derive it
    log = result.details.get("scale") == "log10"
    scale = (lambda z: math.log10(z) if z > 0 else -math.inf) if log else float
    t_tau = scale(result.tau)
    if result.details.get("direction", "below") == "above":
        return scale(lo) - t_tau, scale(hi) - t_tau
    return t_tau - scale(hi), t_tau - scale(lo)


def holm(p_values) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (monotone, capped at 1). NaN p-values (identity tests)
    pass through as NaN and do not count in the family size."""
    p = np.asarray(p_values, dtype=float)
    if p.ndim != 1:
        raise ValueError(f"p_values must be 1-D, got shape {p.shape}")
    ok = ~np.isnan(p)
    if np.any((p[ok] < 0) | (p[ok] > 1)):
        raise ValueError("p_values must lie in [0, 1] (or be NaN)")
    q = p[ok]
    order = np.argsort(q, kind="stable")
    adjusted = np.minimum(1.0, np.maximum.accumulate((q.size - np.arange(q.size)) * q[order]))
    out = np.full(p.shape, np.nan)
    out[np.flatnonzero(ok)[order]] = adjusted
    return out


def decide(result: TestResult, p_adjusted: float | None, alpha: float = 0.05, n_tests: int | None = None) -> TestResult:
    """The verdict of one result given its (Holm-)adjusted p (None -> result.p_sequential if the
    result is stamped by a SequentialDesign, else the raw p). "refuted" reads result.ci, whatever
    its level: the 1 - 2 alpha interval of a fixed-sample test, the RCI of a sequential one.

    With `n_tests`, also records whether the test could reach alpha / n_tests at all.
    """
    alpha = check_alpha(alpha)
    extra = {}
    if n_tests is not None:
        # an exact test names the kind and N its smallest p depends on (e.g. the discordant seeds)
        kind = result.details.get("feasibility_kind", result.kind)
        ok, note = feasibility(kind, result.details.get("feasibility_n", result.n_seeds), alpha, n_tests)
        extra = {"feasible": ok, "feasibility_note": note}
    if result.kind == "identity":
        return replace(result, p_adjusted=float("nan"), verdict=result.details["rule_verdict"], **extra)
    unadjusted = result.p if result.p_sequential is None else result.p_sequential
    p_adj = unadjusted if p_adjusted is None else float(p_adjusted)
    lo, hi = decision_interval(result)
    m = result.margin or 0.0
    verdict = str(rule(result.kind, p_adj, lo, hi, m, alpha))
    return replace(result, p_adjusted=p_adj, verdict=verdict, **extra)
