"""Descriptive numbers reported beside each test (repro.stats): skewness and its flag, relative
effect, correlation, P(A > B), d_z and the Wilcoxon signed-rank p. None of them decides a verdict."""
from __future__ import annotations

import math
import warnings

import numpy as np
from scipy import stats

# |bias-adjusted sample skewness| above which a result is flagged "skewed". Simulated (40000 data
# sets each, d = -(lognormal(0, s) - mean), i.e. mean 0 with the long tail against the claim):
#   s (population skewness)    0.25 (0.8)  0.5 (1.8)  0.8 (3.7)  1.0 (6.2) | normal
#   false "supported", N=12      7.7%       10.7%      15.7%      19.5%    |  5%
#   flag fires, N=12 / N=24      22% / 20%  43% / 55%  65% / 82%  75% / 91% | 11.5% / 3.9%
# The t test passes 1.5 alpha (7.5%) at N = 12 from population skewness ~0.8, but the sample
# skewness of 12 seeds is shrunk and noisy (median |G1| 0.55 there), so no limit separates that
# from normal data; 1.0 flags most of the distributions that double the error rate while
# flagging about 1 normal sample in 9 at N = 12 (1 in 25 at N = 24). The flag says the metric's
# distribution is skewed, not that this sample fooled the test: the samples that fool it are
# the ones that missed the tail (their own |G1| is small).
SKEW_LIMIT = 1.0


def skewness(v: np.ndarray) -> np.ndarray:
    """Bias-adjusted sample skewness G1 along the last axis (NaN below 3 values or with no spread)."""
    v = np.asarray(v, dtype=float)
    n = v.shape[-1]
    if n < 3:
        return np.full(v.shape[:-1], np.nan)
    c = v - v.mean(axis=-1, keepdims=True)
    m2, m3 = (c ** 2).mean(axis=-1), (c ** 3).mean(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        g1 = np.where(m2 > 0, m3 / np.where(m2 > 0, m2, 1.0) ** 1.5, np.nan)
    return g1 * math.sqrt(n * (n - 1)) / (n - 2)


def skew_details(v: np.ndarray) -> dict:
    """details["skewness"] (None if undefined) and details["skewed"] (|G1| > SKEW_LIMIT)."""
    g = float(skewness(v))
    return {"skewness": g if math.isfinite(g) else None, "skewed": bool(math.isfinite(g) and abs(g) > SKEW_LIMIT)}


def relative(estimate: float, reference: float) -> float | None:
    if not math.isfinite(reference) or abs(reference) < 1e-12:
        return None
    return float(100.0 * estimate / abs(reference))


def correlation(a: np.ndarray, b: np.ndarray) -> float | None:
    if a.size < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return None
    return float(np.corrcoef(a, b)[0, 1])


def prob_positive(d: np.ndarray) -> float | None:
    """P(d > 0) over seeds, ties counted 1/2: P(A > B) for paired differences."""
    return float(np.mean((d > 0) + 0.5 * (d == 0))) if d.size else None


def d_z(d: np.ndarray) -> float | None:
    sd = float(np.std(d, ddof=1)) if d.size > 1 else 0.0
    return float(np.mean(d) / sd) if sd > 0 else None


def wilcoxon_greater(d: np.ndarray) -> float | None:
    if d.size < 2 or np.all(d == 0):
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            # exact null distribution when it exists; with ties or zeros, the normal approximation
            # (scipy's default there is a permutation test: seconds per call, for a robustness check)
            exact = np.unique(np.abs(d)).size == d.size and np.all(d != 0) and d.size <= 50
            return float(stats.wilcoxon(d, alternative="greater", method="exact" if exact else "approx").pvalue)
        except ValueError:
            return None
