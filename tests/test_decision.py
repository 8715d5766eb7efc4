"""Claims with parts (intersection-union), the procedure's simulated error rate, the one declared design."""
import dataclasses

import numpy as np
import pytest

from repro.claim import DESIGN_LOOKS, ClaimError, Superiority, Threshold, load_claims
from repro.protocol import decision, tuning


def test_intersection_union_rule():
    assert decision.combine(["supported", "supported"]) == "supported"
    assert decision.combine(["refuted", "refuted"]) == "refuted"
    assert decision.combine(["supported", "refuted"]) == "mixed"
    assert decision.combine(["supported", "refuted", "inconclusive"]) == "mixed"
    assert decision.combine(["supported", "inconclusive"]) == "inconclusive"  # never "supported" with a part open
    assert decision.combine(["refuted", "inconclusive"]) == "inconclusive"
    assert decision.combine(["supported"]) == "supported"
    with pytest.raises(ValueError, match="at least one"):
        decision.combine([])
    with pytest.raises(ValueError, match="mixed"):
        decision.combine(["mixed"])


def test_claim_p_is_the_largest_part_p_and_parts_adjust_in_the_claims_place():
    assert decision.claim_p([0.01, 0.03, float("nan")]) == 0.03
    assert np.isnan(decision.claim_p([float("nan")]))
    family = [0.03, 0.001, 0.2]           # claim 0's p is its largest part's (0.03)
    adjusted = decision.part_adjusted_p(family, 0, 0.004)
    assert adjusted == pytest.approx(0.008)   # ranked first after 0.001: 0.004 * 2, above 0.001 * 3
    assert decision.part_adjusted_p(family, 0, 0.03) == pytest.approx(0.06)   # = the claim's own Holm p
    assert np.isnan(decision.part_adjusted_p(family, 0, float("nan")))


def test_procedure_false_supported_rate_is_at_most_alpha():
    """The whole procedure as declared (looks, parts, Holm), every effect at its margin."""
    claims = load_claims()
    rate = decision.false_supported_rate([len(c.parts) for c in claims], DESIGN_LOOKS, n_paths=2000)
    se = np.sqrt(0.05 * 0.95 / rate.n_paths)
    assert rate.rate <= 0.05 + 2 * se, rate.note()
    assert "simulated runs" in rate.note()
    # a single claim with one part at one look is the plain one-sided t test: its rate is alpha
    single = decision.false_supported_rate([1], (12,), n_paths=20000)
    assert abs(single.rate - 0.05) < 4 * np.sqrt(0.05 * 0.95 / 20000)
    # the rule that made claims "supported" when any part was (the v2 pooled reading) would not hold alpha;
    # here: two independent parts each at alpha, read as "either" -> about 2 alpha. The IUT keeps it below alpha.
    two = decision.false_supported_rate([2], (12,), n_paths=20000)
    assert two.rate < 0.05 * 0.2
    with pytest.raises(ValueError, match="parts_per_claim"):
        decision.false_supported_rate([0], (12,))


def test_widening_rule_and_convergence_fields():
    grid = tuning.LR_GRID
    assert tuning.beyond_edge(grid, grid[0]) == pytest.approx(grid[0] / 10 ** 0.5, rel=1e-2)
    assert tuning.beyond_edge(grid, grid[-1]) == pytest.approx(grid[-1] * 10 ** 0.5, rel=1e-2)
    assert tuning.beyond_edge(grid, grid[3]) is None
    assert tuning.stage1_at_chance({lr: 10.5 for lr in grid})
    assert not tuning.stage1_at_chance({**{lr: 10.5 for lr in grid}, 0.1: 30.0})
    t = tuning.select(grid, {lr: 11.0 for lr in grid}, {3.0: 40.0, 9.49: 45.0}, ("beyond edge",))
    assert t.selected == 9.49 and t.on_edge and t.widened == ("beyond edge",)
    assert t.doubling_gain is None
    assert dataclasses.replace(t, doubled=46.5).doubling_gain == pytest.approx(1.5)
    assert [lr for lr, *_ in t.curve][-1] == 9.49   # the curve shows the rate tried beyond the grid


def test_every_shipped_claim_uses_the_one_declared_design():
    for claim in load_claims():
        if all(t.kind == "identity" for t in claim.parts):
            continue  # exact identities are decided per seed by tolerance, not sequentially
        assert claim.looks == DESIGN_LOOKS, claim.id


def test_declarations_fail_when_loaded():
    from repro.metrics import final_accuracy
    acc = final_accuracy()
    with pytest.raises(ClaimError, match="margin=-1"):
        Superiority("s", metric=acc, a="x", b="y", margin=-1)
    with pytest.raises(ClaimError, match="margin=nan"):
        Superiority("s", metric=acc, a="x", b="y", margin=float("nan"))
    with pytest.raises(ClaimError, match="direction"):
        Threshold("t", metric=acc, a="x", tau=1.0, direction="sideways")
    with pytest.raises(ClaimError, match="tau > 0"):
        Threshold("t", metric=acc, a="x", tau=-1.0, log=True)


def test_a_metric_that_is_nan_for_every_seed_is_an_error_not_a_verdict():
    from types import SimpleNamespace

    from repro.claim import Metric
    record = SimpleNamespace(n_seeds=3, seeds=(0, 1, 2), spec=None)
    for rule in ({}, {"nonfinite": "drop"}, {"nonfinite": "worst", "worst": 0.0}):
        with pytest.raises(ValueError, match="NaN for every seed"):
            Metric("broken", lambda r: np.full(3, np.nan), **rule)(record)


def test_a_non_finite_seed_is_an_outcome_counted_as_the_metric_declares():
    from types import SimpleNamespace

    from repro.claim import Metric
    record = SimpleNamespace(n_seeds=3, seeds=(0, 1, 2), spec=None)
    values = lambda r: np.array([60.0, np.nan, np.inf])  # noqa: E731
    with pytest.raises(ValueError, match=r"not finite for seed\(s\) \[1, 2\].*nonfinite='worst'"):
        Metric("acc", values)(record)
    np.testing.assert_array_equal(Metric("acc", values, nonfinite="worst", worst=10.0)(record), [60.0, 10.0, 10.0])
    kept = Metric("acc", values, nonfinite="drop")(record)
    assert kept[0] == 60.0 and not np.isfinite(kept[1:]).any()  # the test leaves them out and counts them
    with pytest.raises(ClaimError, match="worst=<value> together with nonfinite='worst'"):
        Metric("acc", values, nonfinite="worst")
    with pytest.raises(ClaimError, match="nonfinite='maybe' must be one of error, worst, drop"):
        Metric("acc", values, nonfinite="maybe")
