"""How a claim's verdict follows from its parts, and what the whole procedure's error rate is.

A hypothesis that names several arms, settings or quantities is tested in each: co-primary parts,
each a group-sequential test at alpha (no split of alpha within a claim). The intersection-union
rule (Berger 1982) decides the claim: it is `supported` only if every part is, `refuted` if every
part is, `mixed` if some parts are supported and some refuted, else `inconclusive`. The claim's
p-value in the Holm family across claims is the largest of its parts' sequential p-values; a
part's adjusted p is the Holm-adjusted p its claim would have with the part's own p, so the claim
is supported exactly when every part's adjusted p is below alpha.

`false_supported_rate` simulates the procedure as run (the declared looks and boundaries, the parts,
Holm across every claim) under the global null with every effect exactly at its margin, which is
where a one-sided test is most likely to say "supported" wrongly.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

import numpy as np

from .. import sequential, stats, verdicts
from ..checks import check_int

SUPPORTED, REFUTED, MIXED, INCONCLUSIVE = "supported", "refuted", "mixed", "inconclusive"


def combine(verdicts: Sequence[str]) -> str:
    """The claim's verdict from its parts' verdicts by the intersection-union rule."""
    if not verdicts:
        raise ValueError("verdicts must name at least one part's verdict")
    unknown = set(verdicts) - {SUPPORTED, REFUTED, INCONCLUSIVE}
    if unknown:
        raise ValueError(f"part verdicts must be supported, refuted or inconclusive, got {sorted(unknown)}")
    if all(v == SUPPORTED for v in verdicts):
        return SUPPORTED
    if all(v == REFUTED for v in verdicts):
        return REFUTED
    if SUPPORTED in verdicts and REFUTED in verdicts:
        return MIXED
    return INCONCLUSIVE


def claim_p(part_ps: Sequence[float]) -> float:
    """The claim's p-value for Holm across claims: the largest of its parts' (NaN parts, e.g.
    identity tests decided by tolerance, do not count; all NaN gives NaN)."""
    finite = [float(p) for p in part_ps if not np.isnan(p)]
    return max(finite) if finite else float("nan")


def part_adjusted_p(family: Sequence[float], index: int, part_p: float) -> float:
    """Holm-adjusted p of one part: its claim's adjusted p with the part's own p in the claim's place."""
    if np.isnan(part_p):
        return float("nan")
    ps = np.array(family, dtype=float)
    ps[index] = part_p
    return float(verdicts.holm(ps)[index])


@dataclass(frozen=True)
class ProcedureRate:
    """The simulated false-"supported" rate of the whole procedure and what it was simulated on."""

    rate: float              # share of simulated runs in which at least one claim reads "supported"
    per_claim: float         # share of simulated claims that read "supported"
    n_paths: int
    looks: tuple[int, ...]
    parts: tuple[int, ...]   # parts per claim, as declared
    alpha: float

    def note(self) -> str:
        return (f"{self.n_paths:,} simulated runs of the declared procedure ({len(self.parts)} claims with "
                f"{sum(self.parts)} parts in all, looks at {', '.join(map(str, self.looks))} seeds, O'Brien-Fleming "
                f"boundaries, intersection-union within a claim, Holm across claims), every effect exactly at its "
                f"margin: at least one claim wrongly 'supported' in {100 * self.rate:.2f}% of runs "
                f"({100 * self.per_claim:.2f}% of claims); alpha is {100 * self.alpha:.0f}%.")


def false_supported_rate(parts_per_claim: Sequence[int], looks: Sequence[int], *, alpha: float = 0.05,
                         n_paths: int = 4000, seed: int = 20261202) -> ProcedureRate:
    """Simulate the procedure as run (see _simulate); the same declaration is simulated once per process."""
    return _simulate(tuple(int(k) for k in parts_per_claim), tuple(looks), alpha, n_paths, seed)


@lru_cache(maxsize=8)
def _simulate(parts_per_claim: tuple[int, ...], looks: tuple[int, ...], alpha: float, n_paths: int,
              seed: int) -> ProcedureRate:
    """Simulate the procedure as run under the global null (every part's true effect at its margin).

    Each part is a one-sample one-sided t test on nested normal samples (seeds 0..n_k - 1 are the
    first n_k of the same path) that stops at the first look whose boundary it crosses; a part's
    p is its stage-wise sequential p. Parts are independent here (correlated parts make the
    intersection-union rule less conservative, never more), and an early "refuted" stop is ignored
    (the path goes on and may still cross), which can only overstate the rate. Then Holm across claims.
    """
    parts = tuple(int(k) for k in parts_per_claim)
    if not parts or any(k < 1 for k in parts):
        raise ValueError(f"parts_per_claim={parts_per_claim!r} must list one count >= 1 per claim")
    check_int("n_paths", n_paths, 100)
    design = sequential.SequentialDesign(looks=tuple(looks), alpha=alpha)
    rng = np.random.default_rng(seed)
    n_parts = sum(parts)
    z = rng.standard_normal((n_paths, n_parts, design.looks[-1]))
    p_looks = np.stack([stats._t_core(z[..., :n])[4] for n in design.looks], axis=-1)   # (paths, parts, looks)
    crossed = p_looks < np.asarray(design.boundaries)
    stop = np.where(crossed.any(axis=-1), crossed.argmax(axis=-1), len(design.looks) - 1)
    p_stop = np.take_along_axis(p_looks, stop[..., None], axis=-1)[..., 0]
    p_seq = design._sequential_p(stop, p_stop)                                          # (paths, parts)
    bounds = np.cumsum((0,) + parts)
    per_claim_p = np.stack([p_seq[:, a:b].max(axis=1) for a, b in zip(bounds[:-1], bounds[1:])], axis=1)
    adjusted = np.stack([verdicts.holm(row) for row in per_claim_p])
    supported = adjusted < alpha
    return ProcedureRate(float(supported.any(axis=1).mean()), float(supported.mean()), n_paths,
                         design.looks, parts, alpha)
