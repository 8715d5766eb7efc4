"""Numbers into words: the report's number formats (num, pval, with_unit, ...), each test's row of
the statistics table (test_view), and the sentences that say what was found (finding, sentence).
"""
from __future__ import annotations

import math

import numpy as np

from .. import effects
from ..claim import Interaction
from ..protocol.results import ClaimResult, RunResult
from ..stats import TestResult
from .export import declared_tests

NO_VERDICT = "The experiment failed to run; no verdict. The traceback is below."
#: the kinds whose power (stats: at a true difference of 0) means something beside their margin
POWER_AT_ZERO = ("equivalence", "noninferiority")


def num(x, digits: int = 3) -> str:
    """Short human number: 3 significant digits, no scientific notation in ordinary ranges."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "—" if x is None else ("NaN" if math.isnan(x) else ("∞" if x > 0 else "−∞"))
    if isinstance(x, (bool, np.bool_)):
        return "yes" if x else "no"
    x = float(x)
    if x == 0:
        return "0"
    if x.is_integer() and abs(x) < 1e5:
        return str(int(x)).replace("-", "−")
    if 1e-3 <= abs(x) < 1e5:
        decimals = max(0, digits - 1 - int(math.floor(math.log10(abs(x)))))
        return f"{x:.{decimals}f}".replace("-", "−")
    return f"{x:.{digits - 1}e}".replace("-", "−")


def pval(p) -> str:
    if p is None or not math.isfinite(p):
        return "—"
    if p < 1e-4:
        return "<\u00a00.0001"
    return f"{p:.4f}" if p < 0.01 else f"{p:.3f}"


def pct(x) -> str:
    return "" if x is None or not math.isfinite(x) else f"{'+' if x > 0 else ''}{num(x, 2)}%"


def with_unit(x, unit: str) -> str:
    """The number and its unit, kept on one line when the unit is short ("% points"); with a long unit
    ("fraction of variance") the line may break at any space, so a narrow cell never splits a word."""
    s = num(x)
    if not unit or s == "—":
        return s
    return f"{s}\u00a0{unit.replace(' ', chr(160))}" if len(unit) <= 12 else f"{s} {unit}"


def measured(t: TestResult) -> tuple[float, tuple[float, float]] | None:
    """A threshold test's measured value and its interval in the metric's unit: since protocol v3 these
    are the test's own `estimate` and `ci` (one number per quantity); None for other tests."""
    if t.kind != "threshold" or t.estimate is None or t.ci is None:
        return None
    return float(t.estimate), (float(t.ci[0]), float(t.ci[1]))


def measured_name(t: TestResult) -> str:
    """What a threshold test's measured value is: the mean over seeds, geometric on a log10 test
    (as stats names it in details["statistic"])."""
    statistic = t.details.get("statistic") or ("geometric mean" if t.details.get("scale") == "log10" else "mean")
    return f"{statistic} over seeds"


def threshold_distance(t: TestResult) -> str:
    """A threshold test's distance beyond tau (stats' `distance_to_tau`, on the tested scale: decades
    when the test ran on log10), labelled with its side; '' when the result has none."""
    distance = getattr(t, "distance_to_tau", None)
    if distance is None or not math.isfinite(distance):
        return ""
    log = t.details.get("scale") == "log10"
    size = with_unit(abs(distance), "decades" if log else t.unit)
    claimed = t.details.get("direction", "below")
    side = claimed if distance >= 0 else ("above" if claimed == "below" else "below")
    return f"distance {side} τ = {num(t.tau)}: {size}"


def test_view(t: TestResult) -> dict:
    """A TestResult formatted for the statistics table (five columns; secondary numbers stacked)."""
    lo, hi = t.ci
    ruled = t.kind == "identity" or not (t.p is not None and math.isfinite(t.p))  # no p: no Holm p either
    estimate, estimate_rel, effects = with_unit(t.estimate, t.unit), pct(t.estimate_rel), effect_lines(t)
    if t.kind == "threshold":  # the measured value and its interval; the distance to tau labelled as such
        estimate_rel, effects = measured_name(t), [x for x in [threshold_distance(t)] if x] + effects
    return {
        "name": t.name, "kind": t.kind, "metric": t.metric, "unit": t.unit, "verdict": t.verdict,
        "estimate": estimate, "estimate_rel": estimate_rel,
        "ci": f"[{num(lo)}, {num(hi)}]", "ci_label": ci_label(t),
        "looks": "/".join(map(str, t.looks)) if len(t.looks) > 1 else "",
        "p": "tolerance rule" if t.kind == "identity" else pval(t.p),
        "p_adjusted": "" if ruled or t.p_adjusted is None else pval(t.p_adjusted),
        "effects": effects,
        "n_seeds": t.n_seeds, "n_diverged": t.n_diverged,
        "design": design_lines(t),
        "feasible": t.feasible, "feasibility_note": "" if t.feasible else t.feasibility_note,
        "extra": [n for n in detail_notes(t) if not (ruled and n.startswith("identity is decided"))],
    }


def effect_lines(t: TestResult) -> list[str]:
    """Effect size, P(A>B) and r, one short line each (only those the test has)."""
    lines = []
    if t.effect_size is not None and math.isfinite(t.effect_size) and t.kind != "identity":
        lines.append(f"{t.effect_size_name} {num(t.effect_size, 2)}")
    if t.prob_superiority is not None:
        lines.append(f"beyond τ in {100 * t.prob_superiority:.0f}% of seeds" if t.kind == "threshold"
                     else f"P(A>B) {num(t.prob_superiority, 2)}")
    if t.correlation is not None:
        lines.append(f"r {num(t.correlation, 2)}")
    return lines


def design_lines(t: TestResult) -> list[str]:
    """What the test was designed to detect: margin or tau (or tolerance), power and MDE."""
    lines = []
    if t.kind == "identity":
        lines.append(f"tolerance {num(t.margin)}")
    elif t.margin:
        sign = "±" if t.kind == "equivalence" else ("−" if t.kind == "noninferiority" else "")
        lines.append(f"margin {sign}{with_unit(t.margin, t.unit)}")
    if t.tau is not None:
        lines.append(f"τ {num(t.tau)}")
    if t.power is not None and t.kind in POWER_AT_ZERO:  # never a power against 0 beside a margin test
        lines.append(f"power {100 * t.power:.0f}% at a true difference of 0")
    if t.mde is not None and math.isfinite(t.mde):
        lines.append(f"MDE {with_unit(t.mde, t.unit)}")
    return lines


UNIT_MEANINGS = {
    "% points": "difference of two accuracies in percentage points (70% vs 60% is +10 points)",
    "doublings": "log2 of a ratio: +1 doubling = twice as large, −1 = half",
    "decades": "log10 of a ratio: +1 decade = ten times as large",
    "fraction of units": "share of hidden units, between 0 and 1",
    "nats": "units of the cross-entropy loss (natural log); a difference near 1e−16 is float64 rounding",
}


def units_legend(run: RunResult) -> list[tuple[str, str]]:
    """The units and interval words of the report, each explained once (those that appear, then
    the words every report uses)."""
    units = {t.unit for cr in run.claims for t in cr.tests}
    rows = [(u, m) for u, m in UNIT_MEANINGS.items() if u in units]
    rows += [("+26%, −25%", "relative change: the estimate as a share of the comparison arm's mean"),
             ("d_z", "standardized effect: mean paired difference / standard deviation of the paired differences"),
             ("90% CI", "two-sided 90% t-interval, dual to the one-sided 5% test: its lower end is the test's bound"),
             ("repeated CI", "a primary test that stopped at a sequential look shows that look's repeated "
                             "confidence interval, at a higher level (wider)"),
             ("min–max over seeds", "an identity test's range of per-seed largest differences (no p-value)")]
    return rows


#: details the statistics table already says another way (the interval's label, the estimate's orientation and
#: statistic, the test's kind); results.json keeps them
SAID_ELSEWHERE = ("null", "direction", "scale", "statistic", "feasibility_kind", "feasibility_n")


def detail_notes(t: TestResult) -> list[str]:
    """The scalar entries of TestResult.details (robustness checks, test names, notes) as short texts."""
    notes = []
    if t.details.get("skewed"):
        notes.append(f"skewed per-seed values (skewness {num(t.details.get('skewness'))}, beyond "
                     f"{effects.SKEW_LIMIT:g}): the t test's error rates may be off; read the Wilcoxon p as well")
    for k, v in t.details.items():
        if isinstance(v, bool) or v is None or (k == "n_dropped" and v == 0) or k in SAID_ELSEWHERE:
            continue
        if isinstance(v, str):
            notes.append(v if k in ("note", "p_note") else f"{k.replace('_', ' ')}: {v}")
        elif isinstance(v, (int, float, np.integer, np.floating)):
            if k == "mean" and t.details.get("scale") == "log10":
                k = "mean_of_log10"  # a threshold on log10: the tested scale, not the metric's
            notes.append(f"{k[:-2].replace('_', ' ')} {p_text(v)}" if k.endswith("_p") else f"{k.replace('_', ' ')} = {num(v)}")
    return notes


def level_text(level: float) -> str:
    """A confidence level as a percentage with as many decimals as it needs: 0.9 -> '90%',
    0.9998 -> '99.98%' (never '100%' for a level below 1: rounded within 5% of what it leaves out)."""
    value = 100 * float(level)
    if value >= 100:
        return "100%"
    for decimals in range(0, 7):
        shown = round(value, decimals)
        if shown < 100 and abs(shown - value) <= 0.05 * (100 - value):
            return f"{shown:.{decimals}f}%"
    return f"{value:.6f}%"


def is_repeated_ci(t: TestResult) -> bool:
    """A primary test of a group-sequential design shows the repeated confidence interval of its look."""
    return len(t.looks) > 1 and t.stopped_at is not None


def ci_label(t: TestResult) -> str:
    """What the interval is: '90% CI', '99.98% repeated CI' (a sequential look) or 'min–max over seeds'."""
    if t.kind == "identity" or t.ci_method == "range":
        return "min–max over seeds"
    kind = "repeated CI" if is_repeated_ci(t) else "CI"
    method = "" if t.ci_method == "t" else f" ({t.ci_method})"
    return f"{level_text(t.ci_level)} {kind}{method}"


def p_text(p) -> str:
    """'p = 0.031' or 'p < 0.0001' (never 'p = < 0.0001'); '' when there is no p."""
    text = pval(p)
    if text == "—":
        return ""
    return f"p {text}" if text.startswith("<") else f"p = {text}"


def interval_text(t: TestResult) -> str:
    """'90% CI 12.1 to 17.9' in the metric's unit: the interval as a phrase."""
    lo, hi = t.ci
    if t.kind == "identity":
        return f"{num(lo)} to {num(hi)} over seeds"
    return f"{ci_label(t)} {num(lo)} to {with_unit(hi, t.unit)}"


# ---------------------------------------------------------------- the finding, in one sentence

VERDICT_GLOSS = {
    "supported": "the claim holds at the declared standard",
    "refuted": "the data contradict the claim",
    "mixed": "some parts hold and others are contradicted, so the claim as stated does not hold",
    "inconclusive": "too uncertain to decide either way",
}


def arm_names(conditions) -> str:
    """A declared arm as text: one condition by name; several pooled ones by their shared prefix
    and what differs ('after (depth 2 / depth 6 / depth 10)')."""
    names = (conditions,) if isinstance(conditions, str) else tuple(conditions)
    if len(names) == 1:
        return names[0]
    heads = {n.split(", ", 1)[0] for n in names}
    if len(heads) == 1 and all(", " in n for n in names):
        return f"{heads.pop()} ({' / '.join(n.split(', ', 1)[1] for n in names)})"
    return " / ".join(names) + " (pooled)"


def claim_parts(cr: ClaimResult) -> list[tuple[int, TestResult]]:
    """(position in cr.tests, result) of the claim's parts: the tests with role "part", or the first
    test where results carry no roles."""
    found = [(i, t) for i, t in enumerate(cr.tests) if getattr(t, "role", None) == "part"]
    return found or ([(0, cr.tests[0])] if cr.tests else [])


def found_text(cr: ClaimResult, index: int) -> str:
    """What test `index` of the claim found, as a clause: direction, size in the metric's unit, interval."""
    t, declared = cr.tests[index], declared_tests(cr.claim)
    d = declared[index] if index < len(declared) else None
    finder = _found_interaction if isinstance(d, Interaction) else FINDERS.get(t.kind, _found_generic)
    what = finder(t, d) if d is not None else _found_generic(t, d)
    if t.kind not in ("identity", "threshold"):  # a threshold names its measured value's interval itself
        what += f" ({interval_text(t)})"
    return what


def finding(cr: ClaimResult) -> str:
    """What was found, in plain words from the parts' results: direction, size in the metric's unit,
    the interval, and what the verdict means (each part named when a claim has several)."""
    if cr.verdict == "error" or not cr.tests:
        return "The experiment failed to run, so there is no verdict; the traceback is in the claim's section."
    parts = claim_parts(cr)
    if len(parts) == 1:
        what = found_text(cr, parts[0][0])
    else:
        what = "; ".join(f"part \u201c{t.name}\u201d ({t.verdict}): {found_text(cr, i)}" for i, t in parts)
    return f"{what}: {VERDICT_GLOSS.get(cr.verdict, cr.verdict)}."  # names stay as declared, even lower-case


def _size(t: TestResult, x: float | None = None) -> str:
    return with_unit(abs(t.estimate if x is None else x), t.unit)


def _found_superiority(t: TestResult, d) -> str:
    a, b = arm_names(d.a), arm_names(d.b)
    side = "ahead of" if t.estimate >= 0 else "behind"
    margin = f", against a margin of {with_unit(t.margin, t.unit)} that matters" if t.margin else ""
    return f"{a} is {side} {b} by {_size(t)} on {t.metric}{margin}"


def _found_noninferiority(t: TestResult, d) -> str:
    a, b = arm_names(d.a), arm_names(d.b)
    side = "ahead of" if t.estimate >= 0 else "behind"
    return (f"{a} is {side} {b} by {_size(t)} on {t.metric}; the claim allows it to be at most "
            f"{with_unit(t.margin, t.unit)} behind")


def _found_equivalence(t: TestResult, d) -> str:
    a, b = arm_names(d.a), arm_names(d.b)
    return (f"{a} and {b} differ by {_size(t)} on {t.metric}, to be compared with the equivalence margin "
            f"±{with_unit(t.margin, t.unit)}")


def _found_threshold(t: TestResult, d) -> str:
    where = f"{'below' if getattr(d, 'direction', 'below') == 'below' else 'above'} {num(t.tau)}"
    arms = arm_names(d.a)
    if getattr(d, "pool", "mean") == "worst" and not isinstance(d.a, str) and len(d.a) > 1:
        arms = f"the worst of {arm_names(d.a).removesuffix(' (pooled)')}"
    lo, hi = t.ci
    distance = threshold_distance(t)
    return (f"{t.metric} of {arms} is {with_unit(t.estimate, t.unit)} ({measured_name(t)}; {ci_label(t)} "
            f"{num(lo)} to {with_unit(hi, t.unit)}), claimed {where}" + (f"; {distance}" if distance else ""))


def _found_trend(t: TestResult, d) -> str:
    per = "per doubling of the swept value" if getattr(d, "log2_x", False) else "per unit of the swept value"
    side = "in the claimed direction" if t.estimate >= 0 else "against the claimed direction"
    return f"{t.metric} changes by {_size(t)} {per}, {side}"


def _found_interaction(t: TestResult, d) -> str:
    first, second = f"{d.a[0]} over {d.a[1]}", f"{d.b[0]} over {d.b[1]}"
    side = "larger" if t.estimate >= 0 else "smaller"
    bound = (f"the effects add up if it lies within ±{with_unit(t.margin, t.unit)}" if t.kind == "equivalence"
             else f"the claim needs more than {with_unit(t.margin, t.unit)}")
    return (f"On {d.metric.name}, the gain of {first} is {side} than the gain of {second} by {_size(t)} "
            f"(the interaction; {bound})")


def _found_identity(t: TestResult, d) -> str:
    other = f"{d.a} and {d.b}" if getattr(d, "b", None) else f"{d.a} and zero"
    lo, hi = t.ci
    return (f"{other} differ in {t.metric} by at most {with_unit(t.estimate, t.unit)} in absolute value "
            f"(per-seed largest differences {num(lo)} to {num(hi)}, tolerance {num(t.margin)})")


def _found_generic(t: TestResult, d) -> str:
    return f"{t.name}: estimate {with_unit(t.estimate, t.unit)} on {t.metric}"


FINDERS = {"superiority": _found_superiority, "noninferiority": _found_noninferiority,
           "equivalence": _found_equivalence, "threshold": _found_threshold, "trend": _found_trend,
           "identity": _found_identity}


def part_numbers(t: TestResult, label: str) -> str:
    """One part's numbers: its test, p, sequential and Holm p, and the look it stopped at."""
    numbers = [f"{label} \u201c{t.name}\u201d ({t.kind})"]
    if t.kind == "identity":
        numbers.append("decided by the tolerance rule, not a p-value")
    else:
        ps = [p_text(t.p), f"sequential {p_text(t.p_sequential)}" if p_text(t.p_sequential) else "",
              f"Holm-adjusted {p_text(t.p_adjusted)}" if p_text(t.p_adjusted) else ""]
        numbers.append(", ".join(x for x in ps if x) or "no p-value")
    looks = (f" It stopped at {t.stopped_at} seeds (looks at {'/'.join(map(str, t.looks))} seeds), so its interval "
             f"is the repeated confidence interval of that look." if is_repeated_ci(t) else "")
    return f"{': '.join(numbers)}.{looks}"


def power_text(t: TestResult) -> str:
    """For an undecided part: its power where it is meaningful (at a true difference of 0, equivalence
    and non-inferiority only) and the smallest true effect it detects with 80% power."""
    text = ""
    if t.power is not None and t.kind in POWER_AT_ZERO:
        text += f" Its power at a true difference of 0 was {100 * t.power:.0f}%."
    if t.mde is not None and math.isfinite(t.mde):
        text += (f" The smallest true effect it detects with 80% power is {with_unit(t.mde, t.unit)}"
                 f"{' (margin included)' if t.margin and t.kind != 'threshold' else ''}.")
    return text


def sentence(cr: ClaimResult) -> str:
    """The verdict box: what was found, then each part's numbers (p, sequential and Holm p), the
    sequential look it stopped at, and for an undecided part the MDE (and power where meaningful)."""
    if cr.verdict == "error" or not cr.tests:
        return NO_VERDICT
    parts = claim_parts(cr)
    label = "Primary test" if len(parts) == 1 else "Part"
    text = finding(cr)
    for _, t in parts:
        text += " " + part_numbers(t, label)
        if t.verdict == "inconclusive" or (cr.verdict == "inconclusive" and len(parts) == 1):
            text += power_text(t)
    return text


