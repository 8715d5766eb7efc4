"""Tests of repro.stats: the machinery is calibrated by simulation (vectorized over thousands of
simulated experiments through the same cores the public functions use), and the public
functions are checked against scipy and hand-computed cases."""
import math

import numpy as np
import pytest
from scipy import stats as sps

from repro import effects, power
from repro import sequential as seq
from repro import stats as S
from repro import verdicts as V

ALPHA = 0.05
SIMS = 4000
MC_SLACK = 4 * math.sqrt(ALPHA * (1 - ALPHA) / SIMS)   # 4 Monte Carlo standard errors: ~0.064 at alpha 0.05


def rng(seed=0):
    return np.random.default_rng(seed)


def sim_verdicts(kind, d, margin, level=1 - 2 * ALPHA, null=0.0):
    """Verdicts of `kind` on (SIMS, K) per-seed differences (or slopes / distances); `level` is
    the reported interval's (1 - 2 alpha, dual to the one-sided tests)."""
    if kind == "equivalence":
        mean, se, df, p = S._tost_core(d, margin)
    else:  # superiority/trend test theta <= margin: supported means beyond the margin
        mean, se, df, _, p = S._t_core(d, margin if kind in ("superiority", "trend") else null)
    lo, hi = S._t_interval(mean, se, df, level)
    return V.rule(kind, p, lo, hi, margin, ALPHA)


# ----------------------------------------------------------------------------- calibration

def test_superiority_false_positive_rate_under_null_is_alpha():
    r = rng(1)
    a = r.normal(0.7, 0.02, (SIMS, 10))
    b = 0.8 * a + 0.2 * 0.7 + r.normal(0, 0.012, (SIMS, 10))    # correlated arms, equal means
    verdicts = sim_verdicts("superiority", a - b, 0.0)
    rate = np.mean(verdicts == "supported")
    assert 0.035 <= rate <= ALPHA + MC_SLACK


def test_public_superiority_matches_the_vectorized_core():
    r = rng(2)
    a, b = r.normal(0, 1, (60, 8)), r.normal(0.3, 1, (60, 8))
    core = sim_verdicts("superiority", a - b, 0.2)
    for i in range(60):
        res = S.superiority(a[i], b[i], margin=0.2, alpha=ALPHA, name="t", metric="m")
        assert V.decide(res, res.p).verdict == core[i]
        assert res.p == pytest.approx(sps.ttest_1samp(a[i] - b[i], 0.2, alternative="greater").pvalue, rel=1e-10)
    assert {"supported", "refuted", "inconclusive"} >= set(core) and len(set(core)) >= 2


def test_t_interval_covers_at_least_94_percent_at_10_seeds():
    r = rng(3)
    d = r.standard_t(5, (SIMS, 10)) * 0.3 + 0.1      # heavy-ish tails, true mean 0.1
    mean, se, df, _, _ = S._t_core(d)
    lo, hi = S._t_interval(mean, se, df, 0.95)
    coverage = np.mean((lo <= 0.1) & (0.1 <= hi))
    assert coverage >= 0.94


def test_tost_rarely_claims_equivalence_when_true_difference_is_the_margin():
    r = rng(4)
    for true in (0.05, -0.05):
        d = r.normal(true, 0.04, (SIMS, 15))
        rate = np.mean(sim_verdicts("equivalence", d, 0.05) == "supported")
        assert rate <= ALPHA + MC_SLACK


def test_noninferiority_false_positive_rate_at_minus_margin():
    d = rng(5).normal(-0.02, 0.03, (SIMS, 10))
    rate = np.mean(sim_verdicts("noninferiority", d, 0.02, null=-0.02) == "supported")
    assert 0.03 <= rate <= ALPHA + MC_SLACK


def test_trend_false_positive_rate_with_flat_truth():
    r = rng(6)
    x = np.log2([2, 4, 8, 16, 32])
    y = 1.0 + r.normal(0, 0.2, (SIMS, 10, 5))
    xc = x - x.mean()
    slopes = (y - y.mean(-1, keepdims=True)) @ xc / (xc @ xc)
    rate = np.mean(sim_verdicts("trend", slopes, 0.0) == "supported")
    assert rate <= ALPHA + MC_SLACK


def test_threshold_false_positive_rate_on_log_scale_at_tau():
    tau = 1e-3
    x = 10 ** rng(7).normal(np.log10(tau), 0.4, (SIMS, 10))   # geometric mean exactly tau
    v = -(np.log10(x) - np.log10(tau))                           # direction 'below'
    rate = np.mean(sim_verdicts("threshold", v, 0.0) == "supported")
    assert rate <= ALPHA + MC_SLACK


def test_public_threshold_and_trend_agree_with_core_on_a_few_cases():
    r = rng(8)
    x = np.log2([1, 2, 4, 8])
    for i in range(20):
        xs = 10 ** r.normal(-2, 0.5, 10)
        res = S.threshold(xs, tau=1e-2, direction="below", log=True, alpha=ALPHA, name="t", metric="m")
        want = sps.ttest_1samp(np.log10(xs), -2.0, alternative="less").pvalue
        assert res.p == pytest.approx(want, rel=1e-10)
        y = r.normal(0, 1, (10, 4)) - 0.2 * x
        res = S.trend(x, y, direction="decreasing", margin=0.0, alpha=ALPHA, name="t", metric="m")
        slopes = np.array([np.polyfit(x, row, 1)[0] for row in y])
        assert res.p == pytest.approx(sps.ttest_1samp(-slopes, 0.0, alternative="greater").pvalue, rel=1e-8)
        assert res.estimate == pytest.approx(-slopes.mean())


def test_reported_power_matches_simulated_power():
    """power of superiority at true effect = margin, of TOST at true difference 0."""
    sigma, n, margin = 1.0, 12, 0.6
    se, df = sigma / math.sqrt(n), n - 1
    r = rng(9)
    d = r.normal(margin, sigma, (SIMS, n))
    sim = np.mean(sim_verdicts("superiority", d, 0.0) == "supported")
    assert power.power_one_sided(margin, se, df, ALPHA) == pytest.approx(sim, abs=0.03)
    d = r.normal(0.0, sigma, (SIMS, n))
    sim = np.mean(sim_verdicts("equivalence", d, margin) == "supported")
    assert power.power_tost(margin, se, df, ALPHA) == pytest.approx(sim, abs=0.03)
    mde = power.mde_one_sided(se, df, ALPHA)
    assert power.power_one_sided(mde, se, df, ALPHA) == pytest.approx(0.8, abs=1e-6)
    assert power.power_tost(power.mde_tost(se, df, ALPHA), se, df, ALPHA) == pytest.approx(0.8, abs=1e-4)


def test_reported_interval_is_dual_to_the_one_sided_test():
    """Exact, not statistical: p < alpha if and only if the 1 - 2 alpha interval clears the null."""
    r = rng(17)
    d = r.normal(0.25, 1.0, (20000, 12))
    mean, se, df, _, p = S._t_core(d)
    lo, hi = S._t_interval(mean, se, df, 1 - 2 * ALPHA)
    assert np.array_equal(p < ALPHA, lo > 0) and 0.1 < np.mean(p < ALPHA) < 0.9
    _, _, _, p_tost = S._tost_core(d - 0.25, 0.6)
    lo, hi = S._t_interval(mean - 0.25, se, df, 1 - 2 * ALPHA)
    assert np.array_equal(p_tost < ALPHA, (lo > -0.6) & (hi < 0.6))
    x = np.log2([1, 2, 4])
    for i in range(40):                                   # the public functions, every t kind
        a, b = d[i], d[i + 40]
        res = [S.superiority(a, b, margin=0.1, alpha=ALPHA, name="t", metric="m"),
               S.superiority(a, b[:9], margin=0.1, alpha=ALPHA, name="t", metric="m", paired=False),
               S.noninferiority(a, b, margin=0.3, alpha=ALPHA, name="t", metric="m"),
               S.threshold(np.exp(a), tau=1.0, direction="above", log=True, alpha=ALPHA, name="t", metric="m"),
               S.trend(x, np.outer(a, x) + b[:, None] * 0.1, direction="increasing", margin=0.0, alpha=ALPHA,
                       name="t", metric="m")]
        for t, null in zip(res, (0.0, 0.0, -0.3, 0.0, 0.0)):
            assert t.ci_level == pytest.approx(0.90) and t.ci_sides == 2
            assert (t.p < ALPHA) == (V.decision_interval(t)[0] > null), t
        threshold_result = res[3]                         # its ci is the measured geometric mean's: beyond tau = 1
        assert (threshold_result.p < ALPHA) == (threshold_result.ci[0] > 1.0)
        eq = S.equivalence(a - 0.25, b - 0.25, margin=0.8, alpha=ALPHA, name="t", metric="m")
        assert (eq.p < ALPHA) == (-0.8 < eq.ci[0] and eq.ci[1] < 0.8)


@pytest.mark.parametrize("dist", ["normal", "t3"])
def test_reported_interval_covers_90_percent_at_24_and_40_seeds(dist):
    r = rng(21)
    for n in (24, 40):
        noise = r.standard_normal((20000, n)) if dist == "normal" else r.standard_t(3, (20000, n))
        mean, se, df, _, _ = S._t_core(noise + 0.3)
        lo, hi = S._t_interval(mean, se, df, 1 - 2 * ALPHA)
        assert np.mean((lo <= 0.3) & (0.3 <= hi)) == pytest.approx(0.90, abs=0.015)


def test_skewed_differences_fool_the_t_test_and_are_flagged():
    """Lognormal(0, 1) differences centred at 0, long tail against the claim (population skewness
    -6.2). Measured (20000 sets): coverage of the 90% interval 79.3% / 82.9%, false "supported"
    20.1% / 16.2%, flag fires on 74.6% / 91.1% at N = 12 / 24."""
    r = rng(22)
    for n, cov, fp, flag in ((12, 0.793, 0.201, 0.746), (24, 0.829, 0.162, 0.911)):
        d = -(np.exp(r.standard_normal((20000, n))) - math.exp(0.5))
        mean, se, df, _, p = S._t_core(d)
        lo, hi = S._t_interval(mean, se, df, 1 - 2 * ALPHA)
        assert np.mean((lo <= 0) & (0 <= hi)) == pytest.approx(cov, abs=0.015)
        assert np.mean(p < ALPHA) == pytest.approx(fp, abs=0.015)
        assert np.mean(np.abs(effects.skewness(d)) > effects.SKEW_LIMIT) == pytest.approx(flag, abs=0.015)
    normal = r.standard_normal((20000, 24))
    assert np.mean(np.abs(effects.skewness(normal)) > effects.SKEW_LIMIT) < 0.06   # ~4% false flags at N = 24
    np.testing.assert_allclose(effects.skewness(normal[:50]), sps.skew(normal[:50], axis=1, bias=False), rtol=1e-10)
    res = S.superiority(d[0] + 1.0, np.ones(24), margin=0.0, alpha=ALPHA, name="t", metric="m")
    assert res.details["skewness"] == pytest.approx(sps.skew(d[0], bias=False))
    assert res.details["skewed"] == (abs(res.details["skewness"]) > effects.SKEW_LIMIT)


# ----------------------------------------------------------------------------- public functions

def paired(seed=10, n=10, shift=0.01):
    r = rng(seed)
    b = r.normal(0.70, 0.02, n)
    return b + shift + r.normal(0, 0.01, n), b


def test_superiority_fills_every_field():
    a, b = paired()
    res = S.superiority(a, b, margin=0.005, alpha=ALPHA, name="t", metric="acc", unit="", n_diverged=2)
    d = a - b
    assert res.estimate == pytest.approx(d.mean())
    assert res.estimate_rel == pytest.approx(100 * d.mean() / b.mean())
    assert res.ci_method == "t" and res.ci_level == pytest.approx(0.90) and res.ci_sides == 2
    q = sps.t.ppf(0.95, 9) * d.std(ddof=1) / math.sqrt(10)
    np.testing.assert_allclose(res.ci, (d.mean() - q, d.mean() + q), rtol=1e-12)
    assert res.details["skewness"] == pytest.approx(sps.skew(d, bias=False)) and not res.details["skewed"]
    assert res.looks == () and res.stopped_at is None and res.p_sequential is None
    assert res.effect_size == pytest.approx(d.mean() / d.std(ddof=1)) and res.effect_size_name == "d_z"
    assert res.prob_superiority == pytest.approx(np.mean(d > 0))
    assert res.correlation == pytest.approx(np.corrcoef(a, b)[0, 1])
    assert res.n_seeds == 10 and res.n_diverged == 2 and res.margin == 0.005
    assert res.power is None and res.mde > res.margin    # no power against a chosen alternative; the MDE

    assert res.details["wilcoxon_p"] == pytest.approx(sps.wilcoxon(d - 0.005, alternative="greater").pvalue)
    assert res.p == pytest.approx(sps.ttest_1samp(d, 0.005, alternative="greater").pvalue, rel=1e-10)
    assert len(res.details["d"]) == 10 and res.feasible


def test_superiority_verdicts():
    a, b = paired(shift=0.02)
    res = S.superiority(a, b, margin=0.005, alpha=ALPHA, name="t", metric="m")
    assert V.decide(res, res.p).verdict == "supported"
    assert V.decide(res, 0.2).verdict == "inconclusive"          # the adjusted p decides
    res = S.superiority(b, a, margin=0.005, alpha=ALPHA, name="t", metric="m")
    assert V.decide(res, res.p).verdict == "refuted"              # CI entirely below 0
    r = rng(11)
    b = r.normal(0.7, 0.02, 30)
    small = S.superiority(b + 0.004 + r.normal(0, 0.001, 30), b, margin=0.01, alpha=ALPHA, name="t", metric="m")
    assert small.ci[0] > 0 and small.ci[1] < 0.01                # a real effect, shown to fall short of the margin
    assert small.p > 0.5 and V.decide(small, small.p).verdict == "refuted"
    assert V.decide(small, 0.5).p_adjusted == 0.5


def test_ties_count_half_and_constant_arms_have_no_correlation():
    res = S.superiority([1.0, 2.0, 3.0, 4.0], [1.0, 1.0, 1.0, 5.0], margin=0, alpha=ALPHA, name="t", metric="m")
    assert res.prob_superiority == pytest.approx((0.5 + 1 + 1 + 0) / 4)
    assert res.correlation == pytest.approx(np.corrcoef([1, 2, 3, 4], [1, 1, 1, 5])[0, 1])
    res = S.superiority([1.0, 2.0, 3.0], [0.0, 0.0, 0.0], margin=0, alpha=ALPHA, name="t", metric="m")
    assert res.estimate_rel is None                                # reference mean is 0
    assert res.correlation is None                                 # constant arm


def test_welch_variant_matches_scipy():
    r = rng(12)
    a, b = r.normal(1.0, 1.0, 12), r.normal(0.2, 2.0, 9)
    res = S.superiority(a, b, margin=0.5, alpha=ALPHA, name="t", metric="m", paired=False)
    want = sps.ttest_ind(a - 0.5, b, equal_var=False, alternative="greater")  # H0: theta <= margin
    assert res.p == pytest.approx(want.pvalue, rel=1e-10)
    assert res.effect_size_name == "hedges_g" and res.effect_size > 0
    assert res.prob_superiority == pytest.approx(np.mean(a[:, None] > b[None, :]))
    assert res.correlation is None and res.details["mannwhitney_p"] is not None


def test_equivalence_tost():
    a, b = paired(shift=0.0, n=20)
    res = S.equivalence(a, b, margin=0.02, alpha=ALPHA, name="e", metric="m")
    d = a - b
    p1 = sps.ttest_1samp(d, -0.02, alternative="greater").pvalue
    p2 = sps.ttest_1samp(d, 0.02, alternative="less").pvalue
    assert res.p == pytest.approx(max(p1, p2), rel=1e-10)
    assert res.ci_level == pytest.approx(0.90) and res.ci_method == "t" and "ci_t" not in res.details
    lo, hi = res.ci                                      # unadjusted: p < alpha <=> the 90% t-CI inside margin
    assert (res.p < ALPHA) == (-0.02 < lo and hi < 0.02)
    assert V.decide(res, res.p).verdict == "supported"
    far = S.equivalence(a + 0.1, b, margin=0.02, alpha=ALPHA, name="e", metric="m")
    assert V.decide(far, far.p).verdict == "refuted"
    wide = S.equivalence(a[:4] + rng(1).normal(0, 0.05, 4), b[:4], margin=0.02, alpha=ALPHA, name="e", metric="m")
    assert V.decide(wide, wide.p).verdict == "inconclusive"
    with pytest.raises(ValueError, match="margin"):
        S.equivalence(a, b, margin=0.0, alpha=ALPHA, name="e", metric="m")


def test_noninferiority():
    a, b = paired(shift=-0.002)
    res = S.noninferiority(a, b, margin=0.02, alpha=ALPHA, name="n", metric="m")
    assert res.p == pytest.approx(sps.ttest_1samp(a - b, -0.02, alternative="greater").pvalue, rel=1e-10)
    assert V.decide(res, res.p).verdict == "supported"
    worse = S.noninferiority(a - 0.1, b, margin=0.02, alpha=ALPHA, name="n", metric="m")
    assert V.decide(worse, worse.p).verdict == "refuted"


def test_threshold_directions_log_and_errors():
    x = 10 ** rng(13).normal(-3, 0.2, 10)
    below = S.threshold(x, tau=1e-2, direction="below", log=True, alpha=ALPHA, name="t", metric="m")
    assert below.distance_to_tau == pytest.approx(-2 - np.log10(x).mean()) and below.distance_to_tau > 0
    assert below.estimate == pytest.approx(10 ** np.log10(x).mean())      # the measured geometric mean
    assert below.details["statistic"] == "geometric mean" and below.ci[0] < below.estimate < below.ci[1] < 1e-2
    assert below.estimate_rel == pytest.approx(100 * (1 - 10 ** np.log10(x).mean() / 1e-2))
    assert V.decide(below, below.p).verdict == "supported"
    above = S.threshold(x, tau=1e-2, direction="above", log=True, alpha=ALPHA, name="t", metric="m")
    assert V.decide(above, above.p).verdict == "refuted"
    assert above.details["binom_p"] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="x <= 0"):
        S.threshold(np.r_[x, 0.0], tau=1e-2, direction="below", log=True, alpha=ALPHA, name="t", metric="m")
    with pytest.raises(ValueError, match="direction"):
        S.threshold(x, tau=1e-2, direction="less", log=True, alpha=ALPHA, name="t", metric="m")


def test_trend_refutes_wrong_direction_and_reports_page():
    x = np.log2([2, 4, 8, 16])
    y = -0.3 * x + rng(14).normal(0, 0.1, (10, 4))
    up = S.trend(x, y, direction="increasing", margin=0.05, alpha=ALPHA, name="t", metric="m")
    assert V.decide(up, up.p).verdict == "refuted"
    down = S.trend(x, y, direction="decreasing", margin=0.05, alpha=ALPHA, name="t", metric="m")
    assert V.decide(down, down.p).verdict == "supported"
    assert down.details["page_p"] < 0.01 and up.details["page_p"] > 0.5
    with pytest.raises(ValueError, match="shape"):
        S.trend(x, y[:, :3], direction="decreasing", margin=0.0, alpha=ALPHA, name="t", metric="m")


def test_identity_tolerance_rule():
    tol = 1e-10
    ok = S.identity(np.array([0.0, 3e-17, 1e-11]), tol=tol, scale=np.ones(3), name="i", metric="q")
    assert V.decide(ok, 0.01).verdict == "supported" and math.isnan(ok.p)
    assert math.isnan(V.decide(ok, 0.01).p_adjusted)
    grey = S.identity(np.array([0.0, 1e-9]), tol=tol, scale=np.ones(2), name="i", metric="q")
    assert V.decide(grey, 0.0).verdict == "inconclusive"         # 10 x tol: neither clean nor a real gap
    gap = S.identity(np.array([0.0, 1e-4]), tol=tol, scale=np.ones(2), name="i", metric="q")
    assert V.decide(gap, float("nan")).verdict == "refuted"
    big = S.identity(np.array([5e-8]), tol=tol, scale=np.array([1e3]), name="i", metric="q")
    assert V.decide(big, None).verdict == "supported"             # relative for large values: allowance 1e-7
    small = S.identity(np.array([5e-8]), tol=tol, scale=np.array([1.0]), name="i", metric="q")
    assert V.decide(small, None).verdict == "inconclusive"        # 500 x tol: the grey zone
    nan = S.identity(np.array([0.0, np.nan]), tol=tol, scale=1.0, name="i", metric="q", n_diverged=1)
    assert nan.n_seeds == 1 and nan.details["n_dropped"] == 1 and V.decide(nan, None).verdict == "supported"


def test_nan_seeds_are_dropped_pairwise_and_too_few_is_inconclusive():
    a, b = paired()
    a[[1, 4]] = np.nan
    b[7] = np.inf
    res = S.superiority(a, b, margin=0.0, alpha=ALPHA, name="t", metric="m", n_diverged=3)
    keep = np.isfinite(a) & np.isfinite(b)
    assert res.n_seeds == 7 and res.details["n_dropped"] == 3
    assert res.estimate == pytest.approx((a[keep] - b[keep]).mean())
    assert res.details["d"][1] is None
    for fn in (S.superiority, S.equivalence, S.noninferiority):
        few = fn([1.0, np.nan], [0.0, 0.0], margin=0.1, alpha=ALPHA, name="t", metric="m")
        assert few.n_seeds == 1 and V.decide(few, V.holm([few.p])[0]).verdict == "inconclusive"
    few = S.threshold([np.nan, 1.0], tau=0.5, direction="above", log=False, alpha=ALPHA, name="t", metric="m")
    assert V.decide(few, few.p).verdict == "inconclusive"
    few = S.trend([0, 1, 2], [[0, 1, np.nan], [0, 1, 2]], direction="increasing", margin=0, alpha=ALPHA,
                  name="t", metric="m")
    assert few.n_seeds == 1 and V.decide(few, few.p).verdict == "inconclusive"


def test_verdicts_are_deterministic_and_t_intervals_at_every_n():
    a, b = paired(n=25)
    r1 = S.superiority(a, b, margin=0.005, alpha=ALPHA, name="t", metric="m")
    r2 = S.superiority(a.copy(), b.copy(), margin=0.005, alpha=ALPHA, name="t", metric="m")
    assert r1.ci_method == "t" and r1 == r2                 # no bootstrap from 20 seeds on any more


def test_degenerate_data_gives_a_point_interval():
    res = S.superiority(np.ones(25), np.zeros(25), margin=0.1, alpha=ALPHA, name="t", metric="m")
    assert res.ci_method == "t" and res.ci == (1.0, 1.0) and res.p == 0.0
    assert res.details["skewness"] is None and res.details["skewed"] is False
    assert V.decide(res, res.p).verdict == "supported"


# ----------------------------------------------------------------------------- families

def test_holm_against_hand_computed_example():
    p = [0.01, 0.04, 0.03, float("nan"), 0.005]
    # sorted finite: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 = 0.04 -> max-accumulated 0.06
    np.testing.assert_allclose(V.holm(p), [0.03, 0.06, 0.06, np.nan, 0.02])
    assert V.holm([0.3])[0] == 0.3 and V.holm([0.6, 0.7])[1] == 1.0 and V.holm([]).size == 0
    q = rng(15).uniform(0, 0.2, 30)
    adj = V.holm(q)
    assert np.all(adj >= q) and np.all(np.diff(adj[np.argsort(q)]) >= 0)
    with pytest.raises(ValueError, match="p_values"):
        V.holm([1.5])


def test_feasibility():
    ok, note = power.feasibility("wilcoxon", 5, 0.05, 11)          # 1/2^5 = 0.031 > 0.05/11
    assert not ok and "N >= 8" in note
    assert power.feasibility("wilcoxon", 8, 0.05, 11)[0]
    assert not power.feasibility("wilcoxon-two-sided", 8, 0.05, 11)[0]
    assert power.feasibility("superiority", 5, 0.05, 11)[0] and not power.feasibility("trend", 1, 0.05, 1)[0]
    res = V.decide(S.superiority(*paired(), margin=0, alpha=ALPHA, name="t", metric="m"), 0.01, n_tests=11)
    assert res.feasible and "0.00455" in res.feasibility_note
    with pytest.raises(ValueError, match="kind"):
        power.feasibility("anova", 5)


def test_argument_validation_names_the_parameter():
    a, b = paired()
    with pytest.raises(ValueError, match="margin"):
        S.superiority(a, b, margin=-1, alpha=ALPHA, name="t", metric="m")
    with pytest.raises(ValueError, match="alpha"):
        S.superiority(a, b, margin=0, alpha=1.5, name="t", metric="m")
    with pytest.raises(ValueError, match="a and b"):
        S.superiority(a, b[:5], margin=0, alpha=ALPHA, name="t", metric="m")


# ----------------------------------------------------------------------------- group-sequential

SEQ_TRIALS = 20000
SEQ_SLACK = 4 * math.sqrt(ALPHA * (1 - ALPHA) / SEQ_TRIALS)    # ~0.006
DESIGNS = [seq.SequentialDesign(), seq.SequentialDesign(spending="pocock"), seq.SequentialDesign(looks=(24,)),
           seq.SequentialDesign(looks=(12, 24, 48, 96))]   # the last: claim 6's design


def sim_sequential(design, kind, d, margin, null=0.0):
    """The whole procedure on (trials, looks[-1]) data, as the runner does it for one claim: at look
    k the test at alpha = a_k, design.decide's rule, stop when decisive or at the last look; then
    the final verdict from the sequential p (a one-claim family: Holm changes nothing) and the RCI.
    Returns (final verdicts, stop look index, sequential p, one-sided p at the stop)."""
    stop = np.full(d.shape[0], -1)
    p_stop, lo_stop, hi_stop = (np.full(d.shape[0], np.nan) for _ in range(3))
    for k, n in enumerate(design.looks):
        a = design.nominal_alpha(k)
        if kind == "equivalence":
            mean, se, df, p = S._tost_core(d[:, :n], margin)
        else:
            mean, se, df, _, p = S._t_core(d[:, :n], null)
        lo, hi = S._t_interval(mean, se, df, 1 - 2 * a)
        now = (stop < 0) & ((V.rule(kind, p, lo, hi, margin, a) != "inconclusive") | (k == len(design.looks) - 1))
        stop[now], p_stop[now], lo_stop[now], hi_stop[now] = k, p[now], lo[now], hi[now]
    p_seq = design._sequential_p(stop, p_stop)
    return V.rule(kind, p_seq, lo_stop, hi_stop, margin, design.alpha), stop, p_seq, p_stop


@pytest.mark.parametrize("design", DESIGNS, ids=lambda d: f"{d.spending}-{len(d.looks)}looks")
def test_sequential_false_supported_rate_is_at_most_alpha(design):
    r = rng(30)
    shape = (SEQ_TRIALS, design.looks[-1])
    cases = [("superiority", r.normal(0.0, 1.0, shape), 0.2, 0.0),
             ("noninferiority", r.normal(-0.3, 1.0, shape), 0.3, -0.3),
             ("equivalence", r.normal(0.5, 1.0, shape), 0.5, 0.0),
             ("equivalence", r.normal(-0.5, 1.0, shape), 0.5, 0.0)]
    for kind, d, margin, null in cases:
        final, stop, _, _ = sim_sequential(design, kind, d, margin, null)
        rate = np.mean(final == "supported")
        assert rate <= ALPHA + SEQ_SLACK, (kind, rate)
        if kind != "equivalence":                       # one-sided t: the whole alpha is spent
            assert rate >= ALPHA - SEQ_SLACK, (kind, rate)


def test_naive_retesting_inflates_but_the_design_does_not():
    d = rng(31).normal(0.0, 1.0, (SEQ_TRIALS, 48))
    naive = np.zeros(SEQ_TRIALS, dtype=bool)
    for n in (12, 24, 48):
        naive |= S._t_core(d[:, :n])[4] < ALPHA
    assert np.mean(naive) > 0.09                          # ~0.10 with three looks
    final, stop, _, _ = sim_sequential(seq.SequentialDesign(), "superiority", d, 0.0)
    assert np.mean(final == "supported") <= ALPHA + SEQ_SLACK


@pytest.mark.parametrize("design", DESIGNS, ids=lambda d: f"{d.spending}-{len(d.looks)}looks")
def test_sequential_false_refuted_rate_at_the_edge_is_at_most_alpha(design):
    r = rng(32)
    shape = (SEQ_TRIALS, design.looks[-1])
    cases = [("superiority", r.normal(0.0, 1.0, shape), 0.0, 0.0),     # refuted: hi < 0
             ("superiority", r.normal(0.3, 1.0, shape), 0.3, 0.0),     # refuted: hi < margin
             ("noninferiority", r.normal(-0.3, 1.0, shape), 0.3, -0.3),  # refuted: hi < -margin
             ("threshold", r.normal(0.0, 1.0, shape), 0.0, 0.0)]       # refuted: hi < 0
    for kind, d, margin, null in cases:
        final, _, _, _ = sim_sequential(design, kind, d, margin, null)
        assert np.mean(final == "refuted") <= ALPHA + SEQ_SLACK, kind


@pytest.mark.parametrize("design", DESIGNS[:2], ids=lambda d: d.spending)
def test_sequential_p_is_a_valid_p_value(design):
    """Whole trials under H0 with efficacy stopping only: p_seq is uniform; with the refuted
    stops of the full procedure it stays super-uniform up to alpha; and it agrees with the design:
    p_seq < alpha exactly when the trial crossed a boundary."""
    d = rng(33).normal(0.0, 1.0, (SEQ_TRIALS, design.looks[-1]))
    p = np.stack([S._t_core(d[:, :n])[4] for n in design.looks], axis=1)
    crossed = p < np.asarray(design.boundaries)
    stop = np.where(crossed.any(axis=1), crossed.argmax(axis=1), len(design.looks) - 1)
    p_seq = design._sequential_p(stop, p[np.arange(SEQ_TRIALS), stop])
    assert np.array_equal(p_seq < ALPHA, crossed.any(axis=1))
    for u in (0.01, 0.05, 0.2, 0.5, 0.8):
        assert np.mean(p_seq <= u) == pytest.approx(u, abs=4 * math.sqrt(u * (1 - u) / SEQ_TRIALS)), u
    _, stop, p_seq, _ = sim_sequential(design, "superiority", d, 0.2)   # with refuted (inside-margin) stops
    for u in (0.01, 0.05):
        assert np.mean(p_seq <= u) <= u + 4 * math.sqrt(u * (1 - u) / SEQ_TRIALS)
    assert all(math.isclose(design.sequential_p(int(k), float(q)), s) for k, q, s in
               zip(stop[:20], p[np.arange(20), stop[:20]], design._sequential_p(stop[:20], p[np.arange(20), stop[:20]])))


def test_boundaries():
    assert seq.SequentialDesign(looks=(24,)).boundaries == (0.05,)
    assert seq.SequentialDesign(looks=(10,), alpha=0.01, spending="pocock").boundaries == (0.01,)
    obf = seq.SequentialDesign().boundaries                     # measured: 0.0000886 / 0.00557 / 0.0477
    assert obf[0] == pytest.approx(2 * sps.norm.sf(sps.norm.ppf(0.975) / 0.5), rel=1e-12)   # spent(1/4), exact
    assert obf[0] < obf[1] < obf[2] and obf[2] > 100 * obf[0]
    assert obf[1] == pytest.approx(0.0056, abs=0.0004) and obf[2] == pytest.approx(0.0477, abs=0.001)
    poc = seq.SequentialDesign(spending="pocock").boundaries    # measured: 0.0179 / 0.0182 / 0.0273
    assert poc[0] == pytest.approx(0.05 * math.log(1 + (math.e - 1) / 4)) and max(poc) < 0.03
    assert seq.SequentialDesign().spent[-1] == 0.05
    assert seq.SequentialDesign((12, 24, 48)).boundaries is obf     # cached, no hidden state
    design = seq.SequentialDesign()
    assert design.nominal_alpha(1) == obf[1] and design.sequential_p(2, 1.0) == pytest.approx(1.0)
    assert seq.SequentialDesign(looks=(24,)).sequential_p(0, 0.037) == 0.037   # one look: the fixed-sample p


def test_sequential_design_validates_its_fields():
    assert seq.SequentialDesign(looks=[12, 24]).looks == (12, 24)   # a list is taken as the tuple
    for looks in ((12, 12), (24, 12), (1, 5), (), (12.0, 24), 12):
        with pytest.raises(ValueError, match="looks"):
            seq.SequentialDesign(looks=looks)
    with pytest.raises(ValueError, match="spending.*obrien-fleming.*pocock"):
        seq.SequentialDesign(spending="haybittle")
    with pytest.raises(ValueError, match="alpha"):
        seq.SequentialDesign(alpha=0.5)
    with pytest.raises(ValueError, match="k="):
        seq.SequentialDesign().nominal_alpha(3)
    with pytest.raises(ValueError, match="p_observed"):
        seq.SequentialDesign().sequential_p(0, 1.5)
    assert math.isnan(seq.SequentialDesign().sequential_p(1, float("nan")))
    with pytest.raises(Exception):
        seq.SequentialDesign().alpha = 0.1                          # frozen


def test_sequential_decide_with_public_results_and_the_final_verdict():
    """The runner's path: test at alpha = a_k on the first n_k seeds, design.decide, stamp, Holm, decide."""
    design = seq.SequentialDesign()
    r = rng(34)
    b = r.normal(0.7, 0.02, 48)
    strong, null = b + 0.02 + r.normal(0, 0.01, 48), b + r.normal(0, 0.01, 48)

    def at(k, a):
        n = design.looks[k]
        return S.superiority(a[:n], b[:n], margin=0.001, alpha=design.nominal_alpha(k), name="s", metric="m")

    res = at(0, strong)
    assert res.ci_level == pytest.approx(1 - 2 * design.boundaries[0]) and res.ci[0] > 0
    assert design.decide(res, 0) == "supported"
    assert design.decide(at(0, null), 0) == "continue" and design.decide(at(2, null), 2) == "inconclusive"
    with pytest.raises(ValueError, match="nominal_alpha"):
        design.decide(S.superiority(strong[:12], b[:12], margin=0.0, alpha=ALPHA, name="s", metric="m"), 0)
    worse = S.superiority(b[:12] - 0.05, b[:12], margin=0.0, alpha=design.nominal_alpha(0), name="s", metric="m")
    assert design.decide(worse, 0) == "refuted"
    stamped = [design.stamp(res, 0), design.stamp(at(2, null), 2)]
    assert stamped[0].looks == (12, 24, 48) and stamped[0].stopped_at == 12 and stamped[1].stopped_at == 48
    assert stamped[0].p_sequential == design.sequential_p(0, res.p) < ALPHA <= stamped[1].p_sequential
    adjusted = V.holm([t.p_sequential for t in stamped])
    final = [V.decide(t, q, alpha=ALPHA) for t, q in zip(stamped, adjusted)]
    assert final[0].verdict == "supported" and final[0].p_adjusted == adjusted[0]
    assert V.decide(stamped[0], None).p_adjusted == stamped[0].p_sequential    # None -> the sequential p
    ident = S.identity(np.zeros(3), tol=1e-10, scale=1.0, name="i", metric="q")
    assert design.decide(ident, 0) == "supported" and math.isnan(design.stamp(ident, 0).p_sequential)
