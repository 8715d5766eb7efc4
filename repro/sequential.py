"""Group-sequential looks at increasing seed counts (Lan-DeMets alpha spending), split from repro.stats.

The boundaries, the stage-wise sequential p-value and the per-look decision every part of a claim
runs under (docs/statistics.md, "Seeds by design"). repro.stats re-exports these names.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
from scipy import special, stats

from .checks import check_alpha
from .stats import TestResult, _check_choice, _t_core
from .verdicts import decision_interval, rule

# ----------------------------------------------------------------------------- group-sequential

SPENDINGS = ("obrien-fleming", "pocock")
SEQ_SIMS = 400_000           # null paths behind the boundaries and the sequential p (fixed seed)
SEQ_SEED = 20240601
_SEQ_CHUNK = 50_000


def _spent(spending: str, alpha: float, frac: float) -> float:
    """Lan-DeMets alpha spent by information fraction `frac` (exactly alpha at frac = 1)."""
    if frac >= 1:
        return alpha
    if spending == "obrien-fleming":
        return float(2 * special.ndtr(-stats.norm.ppf(1 - alpha / 2) / math.sqrt(frac)))
    return float(alpha * math.log(1 + (math.e - 1) * frac))


@lru_cache(maxsize=8)
def _null_p_paths(looks: tuple[int, ...]) -> np.ndarray:
    """(SEQ_SIMS, K) one-sided p of the one-sample t test at each look, along nested normal samples
    under H0 (seeds 0..n_k - 1 are the first n_k of the same path). Read-only."""
    rng = np.random.default_rng(SEQ_SEED)
    out = np.empty((SEQ_SIMS, len(looks)))
    for start in range(0, SEQ_SIMS, _SEQ_CHUNK):
        z = rng.standard_normal((min(_SEQ_CHUNK, SEQ_SIMS - start), looks[-1]))
        for k, n in enumerate(looks):
            out[start:start + z.shape[0], k] = _t_core(z[:, :n])[4]
    out.setflags(write=False)
    return out


@dataclass(frozen=True)
class _NullTables:
    boundaries: tuple[float, ...]
    spent: tuple[float, ...]             # cumulative alpha spent by look k
    first: tuple[np.ndarray, ...]        # sorted p at look k of the null paths that first cross there
    never: tuple[np.ndarray, ...]        # sorted p at look k of the null paths that never cross


@lru_cache(maxsize=32)
def _null_tables(looks: tuple[int, ...], alpha: float, spending: str) -> _NullTables:
    """Boundaries a_k such that the simulated null paths first cross (p_k < a_k) at look k with
    probability spent(k) - spent(k-1), and the sorted p-values sequential_p reads."""
    spent = tuple(_spent(spending, alpha, n / looks[-1]) for n in looks)
    if len(looks) == 1:
        return _NullTables((alpha,), spent, (), ())
    p = _null_p_paths(looks)
    crossed = np.zeros(p.shape[0], dtype=bool)
    first_at = np.full(p.shape[0], -1)
    bounds = []
    for k, target in enumerate(spent):
        if k == 0:
            a = spent[0]                      # p at the first look is exactly uniform under H0
        else:                                 # paths to cross here, so that the total reaches spent(k)
            m = round(target * p.shape[0]) - int(crossed.sum())
            free = np.sort(p[~crossed, k])
            a = float(free[0] / 2) if m <= 0 else float((free[m - 1] + free[m]) / 2)
        hit = ~crossed & (p[:, k] < a)
        first_at[hit] = k
        crossed |= hit
        bounds.append(float(a))
    first = tuple(np.sort(p[first_at == k, k]) for k in range(len(looks)))
    never = tuple(np.sort(p[~crossed, k]) for k in range(len(looks)))
    return _NullTables(tuple(bounds), spent, first, never)


@dataclass(frozen=True)
class SequentialDesign:
    """Group-sequential looks at increasing seed counts with Lan-DeMets alpha spending.

    The boundaries are nominal one-sided p thresholds a_k for a one-sample t test with n_k - 1
    degrees of freedom (paired differences, slopes, distances to tau), set by a fixed-seed null
    simulation of nested samples so that P_H0(first crossing at look k) = spent(k) - spent(k-1).
    For TOST (p = max of two one-sided p) they are conservative; for Welch, approximate.
    At look k the caller evaluates the test with alpha = nominal_alpha(k), so the reported
    1 - 2 a_k interval is the repeated confidence interval that "refuted" reads, then calls
    `decide`; once it stops, `sequential_p` is the p-value to adjust (Holm) and pass to the
    module's `decide`. A single look is exactly the fixed-sample test.
    """
    looks: tuple[int, ...] = (12, 24, 48)
    alpha: float = 0.05
    spending: str = "obrien-fleming"

    def __post_init__(self):
        looks = self.looks
        if not (isinstance(looks, (tuple, list)) and looks and all(isinstance(n, (int, np.integer)) and not
                isinstance(n, bool) for n in looks)):
            raise ValueError(f"looks={looks!r} must be a non-empty tuple of int seed counts, e.g. (12, 24, 48)")
        if looks[0] < 2 or any(b <= a for a, b in zip(looks, looks[1:])):
            raise ValueError(f"looks={looks!r} must be strictly increasing seed counts >= 2")
        object.__setattr__(self, "looks", tuple(int(n) for n in looks))
        object.__setattr__(self, "alpha", check_alpha(self.alpha))
        _check_choice(self.spending, "spending", SPENDINGS)

    @property
    def _tables(self) -> _NullTables:
        return _null_tables(self.looks, self.alpha, self.spending)

    @property
    def boundaries(self) -> tuple[float, ...]:
        """Nominal one-sided p thresholds a_1..a_K ("supported" at look k iff p < a_k)."""
        return self._tables.boundaries

    @property
    def spent(self) -> tuple[float, ...]:
        """Cumulative alpha spent by each look (the last is alpha)."""
        return self._tables.spent

    def _look(self, k) -> int:
        if not (isinstance(k, (int, np.integer)) and 0 <= k < len(self.looks)):
            raise ValueError(f"k={k!r} must be a look index in 0..{len(self.looks) - 1} for looks={self.looks}")
        return int(k)

    def nominal_alpha(self, k: int) -> float:
        """The alpha to evaluate the test with at look k (its interval is then the RCI)."""
        return self.boundaries[self._look(k)]

    def sequential_p(self, k: int, p_observed: float) -> float:
        """Stage-wise ordering p-value of a trial that stopped at look k with one-sided p p_observed.

        Crossing at k (p < a_k): spent(k-1) + P_H0(no crossing before k, p_k <= p_observed), which
        is < spent(k) <= alpha. Stopping at k without crossing (the last look, or an early
        "refuted"): alpha + P_H0(never crossing, p_k <= p_observed), which is >= alpha. Every
        crossing outcome is ordered before every non-crossing one, so an early "refuted" stop can
        never come out as significant; with a single look this is p_observed.
        """
        k = self._look(k)
        if not (isinstance(p_observed, (int, float, np.floating, np.integer)) and
                (math.isnan(p_observed) or 0 <= p_observed <= 1)):
            raise ValueError(f"p_observed={p_observed!r} must be a p-value in [0, 1] (NaN passes through)")
        return float(self._sequential_p(np.asarray(k), np.asarray(p_observed, dtype=float)))

    def _sequential_p(self, k: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Vectorized sequential_p over arrays of look indices and p-values (for the calibration)."""
        k, p = np.broadcast_arrays(np.asarray(k, dtype=int), np.asarray(p, dtype=float))
        if len(self.looks) == 1:
            return p.astype(float).copy()
        tab = self._tables
        bounds, spent = np.asarray(tab.boundaries), np.asarray((0.0,) + tab.spent)
        out = np.full(p.shape, np.nan)
        for j in range(len(self.looks)):
            at = (k == j) & ~np.isnan(p)
            cross = at & (p < bounds[j])
            inc = spent[j + 1] - spent[j]
            if j == 0:
                out[cross] = p[cross]                     # exact: p at the first look is uniform
            else:                                         # (n + 1): strictly below spent(j)
                f = tab.first[j]
                out[cross] = spent[j] + inc * np.searchsorted(f, p[cross], side="right") / (f.size + 1)
            rest = at & ~cross
            nv = tab.never[j]
            out[rest] = self.alpha + (1 - self.alpha) * np.searchsorted(nv, p[rest], side="right") / nv.size
        return out

    def decide(self, result: TestResult, k: int) -> str:
        """'supported' | 'refuted' | 'continue' | 'inconclusive' for `result`, the test evaluated on
        the first looks[k] seeds with alpha = nominal_alpha(k). Supported if p < a_k; refuted by
        the kind's rule on result.ci (the repeated confidence interval); else continue, or
        inconclusive at the last look. Identity results are not sequential: their rule verdict."""
        k = self._look(k)
        if result.kind == "identity":
            return result.details["rule_verdict"]
        a = self.boundaries[k]
        if not math.isclose(result.ci_level, 1 - 2 * a, rel_tol=1e-9, abs_tol=1e-12):
            raise ValueError(f"result was evaluated with alpha = {(1 - result.ci_level) / 2:.6g}, but look {k} "
                             f"needs alpha=design.nominal_alpha({k}) = {a:.6g} (its interval is the RCI)")
        verdict = str(rule(result.kind, result.p, *decision_interval(result), result.margin, a))
        if verdict == "inconclusive":
            return "continue" if k < len(self.looks) - 1 else "inconclusive"
        return verdict

    def stamp(self, result: TestResult, k: int) -> TestResult:
        """`result` with the design's looks, the seed count it stopped at and its sequential p."""
        k = self._look(k)
        p_seq = float("nan") if result.kind == "identity" else self.sequential_p(k, result.p)
        return replace(result, looks=self.looks, stopped_at=self.looks[k], p_sequential=p_seq)
