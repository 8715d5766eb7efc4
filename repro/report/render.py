"""The report: report.html (self-contained), report.pdf (printed from the same HTML),
results.json, results.csv and per_seed.csv, all written atomically.

    write_report(run, out_dir) -> {"html": ..., "pdf": ..., "json": ..., "csv": ..., "per_seed_csv": ...}

Numbers are formatted here (view model); the Jinja templates in templates/ only lay them out,
with autoescaping on, so text from claim files can never inject markup.
"""
from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
import re
import warnings
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import jinja2
import numpy as np

from .. import stats
from . import figures
from .drawing import (FIGURE_CACHE_FORMAT, _cached_bytes, _content_key, _drawing_code, _post_view, figure_key,
                      figure_png, forest_figure, forest_note, forest_rows, post_figure, protocol_figures)
from ..protocol.cache import atomic_write
from ..claim import shipped_dir
from ..claim import Interaction
from ..protocol.tuning import CHANCE_MARGIN, PLATEAU_GAIN, PROTOCOL_VERSION
from ..protocol.results import VERDICTS_WITH_ERROR, ClaimResult, RunResult
from ..protocol.settings import DEFAULT, randomized
from ..stats import TestResult

SCHEMA_VERSION = 3       # results.json: 2 = protocol v2 (conditions, sequential looks, recorded results);
                         # 3 = "randomized" per claim, "robustness" (the thorough profile's matrix)

TEMPLATES_DIR = shipped_dir("templates")
TEST_FIELDS = [f.name for f in dataclasses.fields(TestResult) if f.name != "details"]
CSV_FIELDS = ["claim_id", "claim_title", "claim_verdict", "recorded_verdict", "test_index", "test_key", "primary"] + \
    [f for f in TEST_FIELDS if f != "ci"] + ["ci_lo", "ci_hi"]
NO_VERDICT = "The experiment failed to run; no verdict. The traceback is below."


class PdfWarning(UserWarning):
    """The PDF could not be produced (the HTML was written); the message says how to get it."""


# ---------------------------------------------------------------- machine-readable output

def jsonable(x: Any) -> Any:
    """Plain JSON types; NaN and inf become None (strict JSON), numpy arrays become lists."""
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return jsonable(x.tolist())
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return float(x) if math.isfinite(x) else None
    if x is None or isinstance(x, str):
        return x
    if isinstance(x, Path):
        return str(x)
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return jsonable(dataclasses.asdict(x))
    return str(x)


def test_dict(t: TestResult, with_details: bool = True) -> dict:
    d = {f: getattr(t, f) for f in TEST_FIELDS}
    if with_details:
        d["details"] = t.details
    return jsonable(d)


def results_json(run: RunResult) -> dict:
    """The results.json contract of DESIGN.md (plus every TestResult field, each test's stable
    `key`, and `about`: the software versions, root seed and sources of the run)."""
    return jsonable({
        "schema_version": SCHEMA_VERSION, "protocol_version": PROTOCOL_VERSION, "profile": run.profile,
        "about": about(),
        "claims": [{"id": cr.claim.id, "title": cr.claim.title, "quote": cr.claim.quote, "speaker": cr.claim.speaker,
                    "hypothesis": cr.claim.hypothesis, "verdict": cr.verdict, "recorded": cr.claim.recorded,
                    "matches_recorded": cr.matches_recorded, "conditions": cr.condition_rows(),
                    "randomized": randomized(cr.specs.values() or cr.claim.conditions.values()),
                    "tests": [{"key": test_key(cr.claim.id, i, t.name), **test_dict(t)} for i, t in enumerate(cr.tests)],
                    "runtime_s": cr.runtime_s,
                    "cache_keys": cr.cache_keys, "error": cr.error} for cr in run.claims],
        "provenance": run.provenance,
        "robustness": robustness_json(run),
    })


def setting_results(run: RunResult) -> list[ClaimResult]:
    """The ClaimResults of the thorough profile's settings (each the primary test of a claim moved
    to a setting, its id '<claim id>-in-<setting>'), in matrix order."""
    return [cr for column in run.robustness for cr in column.claims.values()]


def robustness_json(run: RunResult) -> dict | None:
    """The robustness matrix (None outside the thorough profile): every setting, and per claim and
    setting the primary test as run there, its conditions (selected rates, accuracy) and cache keys;
    the default setting's cells are the claims' own primary tests."""
    if not run.robustness:
        return None
    cells = []
    for cr in run.claims:
        for setting, sub in matrix_row(run, cr):
            cell = {"claim": cr.claim.id, "setting": setting.name, "applies": sub is not None}
            if sub is not None:
                cell.update({"id": sub.claim.id, "verdict": sub.verdict,
                             "primary": {"key": test_key(sub.claim.id, 0, sub.tests[0].name), **test_dict(sub.tests[0])}
                             if sub.tests else None,
                             "randomized": randomized(sub.specs.values() or sub.claim.conditions.values()),
                             "conditions": primary_condition_rows(sub),
                             "cache_keys": {c: k for c, k in sub.cache_keys.items() if c in sub.claim.primary.conditions()},
                             "error": sub.error})
            cells.append(cell)
    return {"settings": [{"name": s.name, "label": s.label, "description": s.description} for s in matrix_settings(run)],
            "cells": cells, "generalization": {cr.claim.id: generalization(run, cr) for cr in run.claims}}


def primary_condition_rows(cr: ClaimResult) -> list[dict]:
    """The condition rows (results.json's) of the claim's primary test: a robustness cell's arms."""
    primary = cr.claim.primary.conditions()
    return [row for row in cr.condition_rows() if row["name"] in primary]


def matrix_settings(run: RunResult) -> list:
    """The robustness matrix's columns: the default setting, then the thorough profile's."""
    return [DEFAULT] + [column.setting for column in run.robustness]


def matrix_row(run: RunResult, cr: ClaimResult) -> list[tuple]:
    """(setting, ClaimResult or None where the setting changes nothing of the claim) for each
    column; the default setting's result is the claim's own."""
    return [(DEFAULT, cr)] + [(column.setting, column.claims.get(cr.claim.id)) for column in run.robustness]


def generalization(run: RunResult, cr: ClaimResult) -> dict:
    """Whether a claim's primary verdict held in the other settings: 'holds' (the same verdict in
    every setting that applies), 'reverses' (supported in one, refuted in another), 'varies'
    (otherwise), or 'untested' (no other setting applies or ran); the text names the settings."""
    others = [(c.setting.label, c.claims[cr.claim.id].verdict) for c in run.robustness if cr.claim.id in c.claims]
    if cr.verdict == "error" or not others:
        return {"class": "untested", "text": "no other setting applies" if cr.verdict != "error" else "no result"}
    differ = [(label, v) for label, v in others if v != cr.verdict]
    if not differ:
        where = "the one other setting that applies" if len(others) == 1 else f"all {len(others)} other settings"
        return {"class": "holds", "text": f"the same verdict in {where}"}
    verdicts = {cr.verdict} | {v for _, v in others}
    kind = "reverses" if {"supported", "refuted"} <= verdicts else "varies"
    by_verdict: dict[str, list[str]] = {}
    for label, v in differ:
        by_verdict.setdefault(v, []).append(label)
    text = "; ".join(f"{v} in {' and '.join(labels)}" for v, labels in by_verdict.items())
    return {"class": kind, "text": f"{text}; {len(others) - len(differ)} of {len(others)} others agree"}


THREAD_FILE = Path(__file__).parent / "hn-thread.txt"


def about() -> dict:
    """What results.json readers need to place a run: the repro and mnist1d versions, the root
    seed every per-seed stream derives from, and the sources, as named in repro/report/hn-thread.txt
    (no URL is made up: the thread's URL is null unless that file gives one)."""
    from .. import __version__
    from ..engine.init import ROOT_SEED
    return {"repro_version": __version__, "mnist1d_version": package_version("mnist1d"), "root_seed": ROOT_SEED,
            "sources": sources(THREAD_FILE.read_text() if THREAD_FILE.exists() else "")}


def package_version(name: str) -> str | None:
    """An installed package's version, None when it is not installed."""
    import importlib.metadata
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def sources(thread_text: str) -> dict:
    """The post and the thread as the thread file's header names them: the post's title, author,
    date and code repository, the thread's site and item number, and any URL the text gives."""
    head = thread_text[:1000]
    post = re.search(r'"([^"]+)" \(([^,]+), (\d{4}-\d{2}-\d{2}); code: ([\w./-]+)\)', head)
    item = re.search(r"Hacker News discussion \(item (\d+)", head)
    url = re.search(r"https?://news\.ycombinator\.com/item\?id=\d+", head)
    return {
        "post": {"title": post.group(1), "author": post.group(2), "date": post.group(3),
                 "code": "https://" + post.group(4)} if post else None,
        "thread": {"site": "Hacker News", "item": item.group(1) if item else None,
                   "url": url.group(0) if url else None,
                   "text": "repro/report/hn-thread.txt"},
    }


def results_csv(run: RunResult) -> str:
    """One row per claim x test, then (thorough profile) one per claim x setting for the primary test
    run there (claim_id '<id>-in-<setting>'); a claim without tests (an error) gets one row with
    empty test fields."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_FIELDS, lineterminator="\n")
    w.writeheader()
    for cr in run.claims + setting_results(run):
        head = {"claim_id": cr.claim.id, "claim_title": cr.claim.title, "claim_verdict": cr.verdict,
                "recorded_verdict": cr.claim.recorded.verdict if cr.claim.recorded else ""}
        if not cr.tests:
            w.writerow(head)
        for i, t in enumerate(cr.tests):
            d = test_dict(t, with_details=False)
            lo, hi = d.pop("ci") or (None, None)
            w.writerow({**head, "test_index": i, "test_key": test_key(cr.claim.id, i, t.name), "primary": i == 0, **d,
                        "ci_lo": lo, "ci_hi": hi})
    return buf.getvalue()


def per_seed_csv(run: RunResult) -> str:
    """Per-seed values from TestResult.details: every 1-D numeric series with one value per seed
    of the test (any length if the claim has no records), one row per value; each row names
    its test by a stable key and its series by the condition(s) it was measured on. The thorough
    profile's settings follow, each named '<claim id>-in-<setting>'."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["claim_id", "test_key", "test", "series", "condition", "seed_position", "seed", "value"])
    for cr in run.claims + setting_results(run):
        for i, t in enumerate(cr.tests):
            key = test_key(cr.claim.id, i, t.name)
            names = series_conditions(cr.claim.tests[i] if i < len(cr.claim.tests) else None)
            # a secondary test pairs the seeds its arms share: the first n_seeds of the claim's (claim.common_seeds)
            seeds = cr.seeds[:t.n_seeds] if t.n_seeds else cr.seeds
            for series, values in _series(t.details, kind=t.kind, n=len(seeds) or None):
                for j, v in enumerate(values):
                    seed = seeds[j] if seeds else ""
                    w.writerow([cr.claim.id, key, t.name, series, names.get(series, ""), j, seed,
                                "" if not math.isfinite(v) else repr(float(v))])
    return buf.getvalue()


def slug(text: str, limit: int = 48) -> str:
    """Lower-case words joined by '-', for keys: 'BN drifts less (He init)' -> 'bn-drifts-less-he-init'."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    out = "-".join(words)
    return out[:limit].rstrip("-") or "test"


def condition_list(conditions) -> str:
    """Condition names exactly as declared (for machine-readable files); a pooled arm, whose per-seed
    value is the mean over its conditions, as 'mean of (A + B)'."""
    if isinstance(conditions, str) or len(conditions) == 1:
        return conditions if isinstance(conditions, str) else conditions[0]
    return "mean of (" + " + ".join(conditions) + ")"


def test_key(claim_id: str, index: int, name: str) -> str:
    """A test's stable key: claim id, position in the claim (0 = primary) and a slug of its name."""
    return f"{claim_id}/{index}-{slug(name)}"


def series_conditions(declared) -> dict[str, str]:
    """Series code of TestResult.details -> the condition names it was measured on, from the
    declared test (a, b: the arms; d: their paired difference; x: the thresholded arm; slopes:
    per-seed slopes across the trend's conditions; identity: per-seed largest |a - b|)."""
    if declared is None:
        return {}
    a = condition_list(getattr(declared, "a", ()) or ())
    if getattr(declared, "pool", "mean") == "worst" and a.startswith("mean of ("):
        a = "worst of (" + a[len("mean of ("):]
    b_raw = getattr(declared, "b", None)
    b = condition_list(b_raw) if b_raw else ""
    levels = getattr(declared, "levels", None)
    if levels:
        return {"slopes": "slope over " + ", ".join(f"{x:g}: {c}" for x, c in levels.items())}
    if getattr(declared, "quantity", None) is not None:  # identity
        pair = f"|{a} − {b}|" if b else f"|{a}|"
        return {"max_abs_diff": pair, "scale": f"max(|{a}|, |{b}|)" if b else f"|{a}|",
                "allowed": f"tolerance × max(1, scale)", "within": pair, "beyond": pair}
    if isinstance(declared, Interaction):
        ea, eb = f"{declared.a[0]} − {declared.a[1]}", f"{declared.b[0]} − {declared.b[1]}"
        return {"a": ea, "b": eb, "d": f"({ea}) − ({eb})"}
    out = {"a": a, "x": a}
    if b:
        out.update(b=b, d=f"{a} − {b}")
    return out


NOT_PER_SEED = {("trend", "x"), ("trend", "mean_y")}  # per-level, not per-seed


def _series(details: dict, prefix: str = "", kind: str = "", n: int | None = None):
    """1-D numeric series in details (recursing into dicts); of length n when n is known."""
    for k, v in details.items():
        name = f"{prefix}{k}"
        if (kind, name) in NOT_PER_SEED:
            continue
        if isinstance(v, dict):
            yield from _series(v, name + ".", kind, n)
            continue
        try:
            arr = np.asarray(v, dtype=float)
        except (TypeError, ValueError):
            continue
        if arr.ndim == 1 and arr.size > 1 and (n is None or arr.size == n):
            yield name, arr


# ---------------------------------------------------------------- number formatting

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
    """A threshold test's measured value and its interval on the metric's own scale (details["mean"]
    and ["ci_mean"], taken back from log10 when the test ran on log10: a geometric mean); None for
    other tests, or when the details do not hold them."""
    m, ci = t.details.get("mean"), t.details.get("ci_mean")
    if t.kind != "threshold" or m is None or ci is None or None in tuple(ci):
        return None
    lo, hi = ci
    if t.details.get("scale") == "log10":
        return 10.0 ** m, (10.0 ** lo, 10.0 ** hi)
    return float(m), (float(lo), float(hi))


def measured_name(t: TestResult) -> str:
    """What a threshold test's measured value is: the mean over seeds, geometric on a log10 test."""
    return "geometric mean over seeds" if t.details.get("scale") == "log10" else "mean over seeds"


def threshold_distance(t: TestResult) -> str:
    """A threshold test's estimate, labelled as what it is: the distance of the mean beyond tau on
    the tested scale (decades when the test ran on log10), or short of it."""
    log = t.details.get("scale") == "log10"
    size = with_unit(abs(t.estimate), "decades" if log else t.unit)
    claimed = t.details.get("direction", "below")
    side = claimed if t.estimate >= 0 else ("above" if claimed == "below" else "below")
    return f"distance {side} τ = {num(t.tau)}: {size}"


def test_view(t: TestResult) -> dict:
    """A TestResult formatted for the statistics table (five columns; secondary numbers stacked)."""
    lo, hi = t.ci
    ruled = t.kind == "identity" or not (t.p is not None and math.isfinite(t.p))  # no p: no Holm p either
    estimate, estimate_rel, effects = with_unit(t.estimate, t.unit), pct(t.estimate_rel), effect_lines(t)
    value = measured(t)
    if value is not None:  # a threshold: the measured value and its interval; the distance to tau labelled as such
        estimate, (lo, hi) = with_unit(value[0], t.unit), value[1]
        estimate_rel, effects = measured_name(t), [threshold_distance(t)] + effects
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
    if t.power is not None:
        lines.append(f"power {100 * t.power:.0f}%")
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


def detail_notes(t: TestResult) -> list[str]:
    """The scalar entries of TestResult.details (robustness checks, test names, notes) as short texts."""
    notes = []
    if t.details.get("skewed"):
        notes.append(f"skewed per-seed values (skewness {num(t.details.get('skewness'))}, beyond "
                     f"{stats.SKEW_LIMIT:g}): the t test's error rates may be off; read the Wilcoxon p as well")
    for k, v in t.details.items():
        if isinstance(v, bool) or v is None or (k == "n_dropped" and v == 0):
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


def finding(cr: ClaimResult) -> str:
    """What was found, in one plain sentence from the primary result: direction, size in the
    metric's unit, the interval, and what the verdict means."""
    if cr.verdict == "error" or not cr.tests:
        return "The experiment failed to run, so there is no verdict; the traceback is in the claim's section."
    t, declared = cr.tests[0], cr.claim.tests[0]
    finder = _found_interaction if isinstance(declared, Interaction) else FINDERS.get(t.kind, _found_generic)
    what = finder(t, declared)
    if t.kind != "identity" and measured(t) is None:  # a threshold names its measured value's interval itself
        what += f" ({interval_text(t)})"
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
    value = measured(t)
    if value is None:
        side = "beyond" if t.estimate >= 0 else "short of"
        return f"{t.metric} of {arms} lies {_size(t)} {side} the threshold (claimed: {where})"
    v, (lo, hi) = value
    return (f"{t.metric} of {arms} is {with_unit(v, t.unit)} ({measured_name(t)}; {ci_label(t)} "
            f"{num(lo)} to {with_unit(hi, t.unit)}), claimed {where}; {threshold_distance(t)}")


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


def sentence(cr: ClaimResult) -> str:
    """The verdict box: what was found, then the primary test's numbers (p, sequential and Holm p,
    margin), the sequential look it stopped at, and for an inconclusive claim the power it had."""
    if cr.verdict == "error" or not cr.tests:
        return NO_VERDICT
    t = cr.tests[0]
    numbers = [f"Primary test \u201c{t.name}\u201d ({t.kind})"]
    if t.kind == "identity":
        numbers.append("decided by the tolerance rule, not a p-value")
    else:
        ps = [p_text(t.p), f"sequential {p_text(t.p_sequential)}" if p_text(t.p_sequential) else "",
              f"Holm-adjusted {p_text(t.p_adjusted)}" if p_text(t.p_adjusted) else ""]
        numbers.append(", ".join(x for x in ps if x) or "no p-value")
    looks = (f" It stopped at {t.stopped_at} seeds (looks at {'/'.join(map(str, t.looks))} seeds), so its interval "
             f"is the repeated confidence interval of that look." if is_repeated_ci(t) else "")
    text = f"{finding(cr)} {': '.join(numbers)}.{looks}"
    if cr.verdict == "inconclusive" and t.power is not None:
        text += f" Achieved power at the margin was {100 * t.power:.0f}%"
        text += f" (minimum detectable effect {with_unit(t.mde, t.unit)})." if t.mde is not None else "."
    return text


def claim_view(cr: ClaimResult, figure_cache: Path | None = None) -> dict:
    c = cr.claim
    figs, tests = [], [test_view(x) for x in cr.tests]
    if cr.verdict != "error":
        for i, f in enumerate(c.figures):
            png, err = figure_png(cr, i, figure_cache)
            if err and len(err) > 200:
                err = err[:197] + "…"
            figs.append({"title": f.title, "caption": f.caption, "src": figures.png_data_uri(png), "error": err})
    figs += protocol_figures(cr, figure_cache)
    return {
        "id": c.id, "number": c.number, "title": c.title, "quote": c.quote, "speaker": c.speaker,
        "hypothesis": c.hypothesis, "method": c.method, "literature": c.literature, "caveats": c.caveats,
        "settle": c.settle, "verdict": cr.verdict, "recorded": recorded_view(cr),
        "seeds": len(cr.seeds) or c.max_seeds, "runtime": f"{cr.runtime_s:.1f} s", "error": cr.error,
        "conditions": [condition_view(row) for row in cr.condition_rows()],
        "figures": figs, "tests": tests, "sentence": sentence(cr), "finding": finding(cr),
        "primary": tests[0] if tests else None,
        "randomized": randomized_text(cr.specs.values() or c.conditions.values()),
    }


def randomized_text(specs) -> str:
    """Which sources of variance the seeds sample, and which stay fixed, as a phrase."""
    specs = list(specs)
    drawn = randomized(specs)
    fixed = [] if "data draw" in drawn or not any(s.steps > 0 for s in specs) else ["the data set (one draw for every seed)"]
    return f"each seed draws {', '.join(drawn)}" + (f"; fixed: {', '.join(fixed)}" if fixed else "")


def recorded_view(cr: ClaimResult) -> dict | None:
    """The claim's recorded result and whether this run matches it (a regression check, not a prediction)."""
    rec = cr.claim.recorded
    if rec is None:
        return None
    what = "distance beyond τ" if cr.claim.primary.kind == "threshold" else "estimate"
    return {"verdict": rec.verdict, "text": f"{rec.verdict}, {what} {num(rec.estimate)}, interval "
            f"[{num(rec.ci[0])}, {num(rec.ci[1])}] at {rec.n_seeds} seeds (protocol {rec.protocol}, {rec.date})",
            "matches": cr.matches_recorded}


def condition_view(row: dict) -> dict:
    """A condition line of the method section: spec in words, rate and how it was chosen, accuracy, plateau."""
    from ..engine.spec import ExperimentSpec
    spec = ExperimentSpec.from_dict(row["spec"])
    notes = []
    if row["selected_on"] == "validation":
        notes.append(f"lr {row['learning_rate']:g} selected on validation"
                     + (" (on the grid's edge: the optimum may lie beyond it)" if row["lr_on_grid_edge"] else ""))
        if row["lr_search_at_chance"]:
            notes.append(f"every rate tried scored within {CHANCE_MARGIN:g} points of chance: the search found "
                         "no rate that trains it, so the selected rate is arbitrary")
    elif row["selected_on"] == "fixed":
        notes.append(f"lr {row['learning_rate']:g} fixed")
    if row["test_accuracy"] is not None:
        notes.append(f"mean test accuracy {100 * row['test_accuracy']:.1f}% over {row['n_seeds']} seeds")
    if row["plateau_gain"] is not None:
        ok = row["plateau_gain"] < PLATEAU_GAIN
        notes.append(f"validation gain at the end of training {row['plateau_gain']:+.2f} points"
                     + ("" if ok else f" — not plateaued (criterion < {PLATEAU_GAIN:g})"))
    return {"name": row["name"], "color": figures.color(row["name"]), "describe": spec.describe(),
            "notes": " · ".join(notes), "warn": bool(row["lr_on_grid_edge"] or row["lr_search_at_chance"]) or (
                row["plateau_gain"] is not None and row["plateau_gain"] >= PLATEAU_GAIN)}


LISTED_ELSEWHERE = ("cache_keys", "claim_runtime_s")  # the experiments and claims tables show them once


def provenance_rows(provenance: Any) -> Any:
    """The provenance for the key-value table, without what the experiments and claims tables list;
    per-claim seed counts on one line, and feasibility only for the claims that are not feasible."""
    if not isinstance(provenance, dict):
        return provenance_view(provenance)
    shown = {k: v for k, v in provenance.items() if k not in LISTED_ELSEWHERE}
    seeds = shown.get("seeds")
    if isinstance(seeds, dict) and all(not isinstance(v, (dict, list)) for v in seeds.values()):
        shown["seeds"] = "; ".join(f"{claim} {n}" for claim, n in seeds.items())
    feasibility = shown.get("feasibility")
    if isinstance(feasibility, dict):
        infeasible = {c: f.get("note", "") for c, f in feasibility.items() if isinstance(f, dict) and not f.get("feasible", True)}
        shown["feasibility"] = infeasible or "every claim's primary test can decide with its seeds"
    return provenance_view(shown)


def about_rows() -> list[tuple[str, str]]:
    """Versions, root seed and sources for the provenance section (URLs as text: the HTML makes no requests)."""
    info = about()
    post, thread = info["sources"]["post"], info["sources"]["thread"]
    rows = [("repro", str(info["repro_version"])), ("mnist1d", str(info["mnist1d_version"] or "not installed")),
            ("root seed", str(info["root_seed"]))]
    if post:
        rows.append(("blog post", f"{post['title']} ({post['author']}, {post['date']}); code: {post['code']}"))
    if thread["item"]:
        rows.append(("thread", f"{thread['site']} item {thread['item']}"
                               + (f": {thread['url']}" if thread["url"] else "") + f"; text in {thread['text']}"))
    return rows


def experiments_view(run: RunResult) -> list[dict]:
    """Each cache key once, with the claim conditions that used it (in report order)."""
    uses: dict[str, list[str]] = {}
    for cr in run.claims:
        for condition, keys in cr.cache_keys.items():
            for key in ([keys] if isinstance(keys, str) else keys):
                uses.setdefault(key, []).append(f"{cr.claim.id}: {condition}")
    return [{"key": k, "uses": v} for k, v in uses.items()]


def provenance_view(value: Any) -> Any:
    """Nested provenance as (key, value) rows; scalars formatted, lists joined."""
    if isinstance(value, dict):
        return [(str(k).replace("_", " "), provenance_view(v)) for k, v in value.items()]
    if isinstance(value, (list, tuple)):
        if not value:
            return "none"
        if all(not isinstance(v, (dict, list, tuple)) for v in value):
            return ", ".join(str(provenance_view(v)) for v in value)
        return [(str(i), provenance_view(v)) for i, v in enumerate(value)]
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return num(value, 4)
    return "—" if value is None else str(value)


def robustness_view(run: RunResult) -> dict | None:
    """The robustness matrix for the template: one row per claim, one cell per setting (None where
    the setting changes nothing of the claim), and whether the verdict generalized."""
    if not run.robustness:
        return None
    def cell(sub: ClaimResult | None) -> dict | None:
        if sub is None:
            return None
        if sub.verdict == "error" or not sub.tests:
            return {"verdict": "error", "estimate": "", "ci": "", "seeds": "", "id": sub.claim.id, "edge": "", "chance": ""}
        t = test_view(sub.tests[0])
        arms = primary_condition_rows(sub)
        edge = [f"{a['name']} ({a['learning_rate']:g})" for a in arms if a["lr_on_grid_edge"]]
        chance = [a["name"] for a in arms if a["lr_search_at_chance"]]
        return {"verdict": sub.verdict, "estimate": t["estimate"], "ci": t["ci"], "seeds": t["n_seeds"],
                "id": sub.claim.id, "edge": "; ".join(edge), "chance": "; ".join(chance)}

    rows = []
    for cr in run.claims:
        rows.append({"number": cr.claim.number, "id": cr.claim.id, "title": cr.claim.title,
                     "cells": [cell(sub) for _, sub in matrix_row(run, cr)], "generalization": generalization(run, cr)})
    counts = {k: sum(r["generalization"]["class"] == k for r in rows) for k in ("holds", "reverses", "varies", "untested")}
    return {"settings": matrix_settings(run), "rows": rows, "counts": counts, "chance_margin": f"{CHANCE_MARGIN:g}"}


def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
                             autoescape=True,  # every template: claim text is data, never markup
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return env


def render_html(run: RunResult, figure_cache: Path | None = None, generated: datetime | None = None) -> str:
    """The whole report as one self-contained HTML string (figures reused from `figure_cache`),
    stamped with `generated` (default: now)."""
    figures.reset_colors([list(cr.claim.conditions) for cr in run.claims])
    claims = [claim_view(cr, figure_cache) for cr in run.claims]
    counts = {v: sum(cr.verdict == v for cr in run.claims) for v in VERDICTS_WITH_ERROR}
    env = environment()
    css = (TEMPLATES_DIR / "report.css").read_text()
    return env.get_template("report.html.j2").render(
        profile=run.profile, claims=claims, counts=counts, css=css, units=units_legend(run),
        forest=forest_figure(run, figure_cache), post=post_figure(figure_cache), provenance=provenance_rows(run.provenance),
        robustness=robustness_view(run),
        about=about_rows(), experiments=experiments_view(run),
        generated=(generated or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M UTC"),
        n_match=sum(bool(cr.matches_recorded) for cr in run.claims), n_claims=len(run.claims),
        n_recorded=sum(cr.claim.recorded is not None for cr in run.claims))


def write_pdf(html: str, path: Path, base_url: Path) -> Path | None:
    """Print the HTML with WeasyPrint; None (and a PdfWarning saying how to get one) if it can't."""
    try:
        import weasyprint  # imports pango via cffi: fails with OSError when pango is missing
    except (ImportError, OSError) as e:
        warnings.warn(f"report.pdf not written ({type(e).__name__}: {e}). Install WeasyPrint and its system "
                      f"libraries (pip install weasyprint; apt install libpango-1.0-0 libpangoft2-1.0-0), "
                      f"or open {path.with_suffix('.html')} in a browser and print it to PDF.", PdfWarning)
        return None
    return atomic_write(path, weasyprint.HTML(string=html, base_url=str(base_url)).write_pdf())


def write_report(run: RunResult, out_dir: Path, *, pdf: bool = True,
                 figure_cache: Path | None = None) -> dict[str, Path]:
    """Write report.html, report.pdf (if `pdf` and WeasyPrint works), results.json, results.csv
    and per_seed.csv into out_dir; returns {"html", "pdf", "json", "csv", "per_seed_csv"} -> path
    ("pdf" is missing when no PDF was written; a PdfWarning says why and how to get one).
    `figure_cache`: a directory of claim figures already drawn from the same records and code."""
    if not isinstance(run, RunResult):
        raise TypeError(f"run must be a RunResult, got {type(run).__name__}")
    if run.profile not in ("default", "quick", "thorough"):
        raise ValueError(f"run.profile={run.profile!r} is not allowed; choose 'default', 'quick' or 'thorough'")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": atomic_write(out_dir / "results.json",
                             json.dumps(results_json(run), indent=2, allow_nan=False) + "\n"),
        "csv": atomic_write(out_dir / "results.csv", results_csv(run)),
        "per_seed_csv": atomic_write(out_dir / "per_seed.csv", per_seed_csv(run)),
    }
    html = render_html(run, figure_cache)
    paths["html"] = atomic_write(out_dir / "report.html", html)
    if pdf:
        made = write_pdf(html, out_dir / "report.pdf", out_dir)
        if made is not None:
            paths["pdf"] = made
    return paths
