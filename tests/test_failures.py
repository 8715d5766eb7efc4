"""FewerFailures: the exact McNemar test of a failure rate, and how a claim declares it."""
import dataclasses

import numpy as np
import pytest
from scipy import stats as sps

from repro import stats
from repro.checks import ClaimError
from repro.claim import load_claims
from repro.engine.record import Record
from repro.failures import FewerFailures
from repro.metrics import final_accuracy
from repro.verdicts import decide

ACC = final_accuracy()


def _fails(n, idx):
    x = np.zeros(n, bool)
    x[list(idx)] = True
    return x


def test_exact_test_counts_only_the_seeds_where_one_arm_fails():
    a, b = _fails(96, [50, 51, 52, 90]), _fails(96, list(range(10)) + [90])   # seed 90 fails in both
    r = stats.fewer_failures(a, b, alpha=0.05, name="x", metric="m")
    assert (r.details["failed_in_a_only"], r.details["failed_in_b_only"]) == (3, 10)
    assert r.p == pytest.approx(sps.binomtest(10, 13, 0.5, alternative="greater").pvalue)
    assert r.estimate == pytest.approx(100 * 7 / 96)
    assert r.kind == "superiority" and r.ci_method == "exact" and r.margin == 0.0
    # one quantity, one number: the estimate is the mean of the per-seed values the CSV exports
    assert np.mean(r.details["d"]) == pytest.approx(r.estimate)
    assert np.mean(r.details["a"]) - np.mean(r.details["b"]) == pytest.approx(r.estimate)


@pytest.mark.parametrize("only_b", range(0, 14))
def test_interval_is_dual_to_the_exact_test(only_b):
    """p < alpha exactly when the interval's lower end is above 0, so 'supported' never sits beside an
    interval reaching 0 (the superiority rule reads both)."""
    m, n = 13, 40
    b = _fails(n, range(only_b))
    a = _fails(n, range(20, 20 + m - only_b))
    r = stats.fewer_failures(a, b, alpha=0.05, name="x", metric="m")
    assert (r.p < 0.05) == (r.ci[0] > 0)
    assert r.ci[0] <= r.estimate <= r.ci[1]
    verdict = decide(r, None).verdict
    assert verdict == ("supported" if r.p < 0.05 else "refuted" if r.ci[1] < 0 else "inconclusive")


def test_no_discordant_seed_is_inconclusive_and_bad_input_is_named():
    none = np.zeros(12, bool)
    r = stats.fewer_failures(none, none, alpha=0.05, name="x", metric="m")
    assert (r.p, r.estimate, r.ci) == (1.0, 0.0, (0.0, 0.0))
    assert decide(r, None).verdict == "inconclusive"
    with pytest.raises(ValueError, match="boolean"):
        stats.fewer_failures(np.zeros(3), np.zeros(3), alpha=0.05, name="x", metric="m")


def test_feasibility_is_judged_on_the_discordant_seeds():
    b = _fails(96, range(4))
    r = decide(stats.fewer_failures(np.zeros(96, bool), b, alpha=0.05, name="x", metric="m"), None, n_tests=1)
    assert not r.feasible and "N = 4 seeds where exactly one arm fails" in r.feasibility_note   # 0.5 ** 4 >= 0.05


def _record(acc_pct):
    acc = np.asarray(acc_pct, float)[:, None].repeat(3, axis=1) / 100.0
    return Record(spec=None, seeds=tuple(range(len(acc))), values={"test_acc": acc, "diverged": np.zeros(len(acc), bool)})


def test_a_seed_the_metric_would_drop_fails_here():
    t = FewerFailures("He stalls less", metric=dataclasses.replace(ACC, nonfinite="drop"), a="He", b="Xavier",
                      fail_below=20.0)
    he, xavier = _record([60, 61, 62, 63]), _record([10.0, np.nan, 59, 19.99])
    assert t.failed(xavier).tolist() == [True, True, False, True]
    r = t.evaluate({"He": he, "Xavier": xavier}, alpha=0.05)
    assert r.n_seeds == 4 and r.details["failed_in_b_only"] == 3 and r.p == pytest.approx(0.125)


def test_declarations_are_checked_when_loaded():
    with pytest.raises(ClaimError, match="higher is better"):
        FewerFailures("x", metric=final_accuracy().__class__("loss", lambda r: r, higher_is_better=False),
                      a="a", b="b", fail_below=1.0)
    with pytest.raises(ClaimError, match="fail_below"):
        FewerFailures("x", metric=ACC, a="a", b="b", fail_below=float("nan"))
    with pytest.raises(ClaimError, match="b=''"):
        FewerFailures("x", metric=ACC, a="a", fail_below=1.0)
    claim = load_claims()[0]
    stall = FewerFailures("stalls", metric=ACC, a=next(iter(claim.conditions)), b=next(iter(claim.conditions)),
                          fail_below=20.0)
    with pytest.raises(ClaimError, match="cannot be a part"):
        dataclasses.replace(claim, parts=(stall,))
