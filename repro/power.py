"""Power, minimum detectable effects and feasibility of the tests in repro.stats: what a design of
N seeds can detect, and whether a test can reach a Holm threshold at all."""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy import optimize, special, stats

from .checks import check_alpha

TARGET_POWER = 0.8


def power_one_sided(effect: float, se: float, df: float, alpha: float) -> float:
    """Power of the one-sided t test at level alpha when the true effect is `effect` (noncentral t)."""
    if not (se > 0):
        return 1.0 if effect > 0 else 0.0
    return float(stats.nct.sf(stats.t.ppf(1 - alpha, df), df, effect / se))


def mde_one_sided(se: float, df: float, alpha: float, power: float = TARGET_POWER) -> float:
    """Smallest true effect the one-sided t test detects with the given power."""
    if not (se > 0):
        return 0.0
    crit = stats.t.ppf(1 - alpha, df)
    ncp = optimize.brentq(lambda k: stats.nct.sf(crit, df, k) - power, 0.0, 1e3)
    return float(ncp * se)


@lru_cache(maxsize=64)
def _chi_nodes(df: float, m: int = 4000) -> np.ndarray:
    """se_hat / se at m equally likely quantiles of its law sqrt(chi2_df / df)."""
    return np.sqrt(stats.chi2.ppf((np.arange(m) + 0.5) / m, df) / df)


def power_tost(margin: float, se: float, df: float, alpha: float) -> float:
    """TOST power at a true difference of 0, averaged over the law of the estimated se:
    given se_hat, both one-sided tests reject iff |mean| < margin - crit * se_hat."""
    if not (se > 0):
        return 1.0 if margin > 0 else 0.0
    crit = stats.t.ppf(1 - alpha, df)
    inner = 2 * special.ndtr(margin / se - crit * _chi_nodes(float(df))) - 1
    return float(np.clip(inner, 0.0, None).mean())


def mde_tost(se: float, df: float, alpha: float, power: float = TARGET_POWER) -> float:
    """Smallest margin that TOST demonstrates with the given power when the truth is 0."""
    if not (se > 0):
        return 0.0
    return float(optimize.brentq(lambda m: power_tost(m, se, df, alpha) - power, 0.0, 1e3 * se))


_T_KINDS = ("superiority", "equivalence", "noninferiority", "threshold", "trend", "welch", "t")
_RANK_KINDS = {"wilcoxon": 1.0, "sign": 1.0, "binomtest": 1.0, "wilcoxon-two-sided": 2.0, "sign-two-sided": 2.0}


def feasibility(kind: str, n_seeds: int, alpha: float = 0.05, n_tests: int = 1) -> tuple[bool, str]:
    """Can a test with n_seeds reach the strictest Holm threshold alpha / n_tests at all?

    t tests (every kind here): yes from 2 seeds (t is unbounded), so power decides - see
    power/mde. Exact rank/sign tests: the smallest p is 1/2^N one-sided (2/2^N two-sided).
    """
    alpha = check_alpha(alpha)
    if not (isinstance(n_tests, (int, np.integer)) and n_tests >= 1):
        raise ValueError(f"n_tests={n_tests!r} must be an integer >= 1")
    level = alpha / n_tests
    if kind == "identity":
        return n_seeds >= 1, "decided by the tolerance rule, not a p-value; needs >= 1 seed"
    if kind in _T_KINDS:
        ok = n_seeds >= 2
        return ok, (f"t test: can reach p < {level:.3g} from N = 2 seeds (have {n_seeds}); power decides"
                    if ok else f"t test needs N >= 2 seeds, have {n_seeds}")
    if kind in _RANK_KINDS:
        k = _RANK_KINDS[kind]
        p_min = k / 2.0 ** n_seeds
        n_min = math.ceil(math.log2(k / level) - 1e-12)
        if k / 2.0 ** n_min >= level:
            n_min += 1
        ok = p_min < level
        counted = "seeds where exactly one arm fails" if kind == "binomtest" else "seeds"
        return ok, (f"exact {kind} test: smallest p with N = {n_seeds} {counted} is {p_min:.3g} "
                    f"{'<' if ok else '>='} {level:.3g} (alpha / {n_tests}); needs N >= {n_min}")
    raise ValueError(f"kind={kind!r} must be one of {', '.join(('identity',) + _T_KINDS + tuple(_RANK_KINDS))}")
