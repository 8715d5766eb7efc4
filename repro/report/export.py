"""The machine-readable outputs: results.json, results.csv and per_seed.csv (as strings; the
report writer in render.py writes them), and the helpers they share with the report (test keys,
the robustness matrix's rows, the run's sources).
"""
from __future__ import annotations

import csv
import dataclasses
import io
import math
import re
from pathlib import Path
from typing import Any

import numpy as np

from ..claim import Interaction
from ..protocol.results import ClaimResult, RunResult
from ..protocol.settings import DEFAULT, randomized
from ..protocol.tuning import PROTOCOL_VERSION
from ..stats import TestResult

SCHEMA_VERSION = 4       # results.json: 2 = protocol v2 (conditions, sequential looks, recorded results);
                         # 3 = "randomized" per claim, "robustness" (the thorough profile's matrix);
                         # 4 = protocol v3: per claim "parts" (the co-primary tests) and "registration", each
                         # test's "role"; a threshold's estimate/ci are the measured value (+ "distance_to_tau");
                         # top-level "registration" and "design" (the sequential design's false-supported rate)

TEST_FIELDS = [f.name for f in dataclasses.fields(TestResult) if f.name != "details"]
# "primary": the test is a part of the claim (role "part"), one of the co-primary tests that decide the verdict
CSV_FIELDS = ["claim_id", "claim_title", "claim_verdict", "recorded_verdict", "test_index", "test_key", "primary"] + \
    [f for f in TEST_FIELDS if f != "ci"] + ["ci_lo", "ci_hi"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")   # a spreadsheet reads a cell starting so as a formula
PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?(inf|nan)", re.IGNORECASE)


def csv_cell(value: Any) -> Any:
    """A CSV cell as text, never as a formula: a string starting with =, +, -, @, tab or CR gets a
    leading single quote, unless it is a plain number ('-0.5', '1e-3'); other values pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_row(values: dict | list) -> dict | list:
    """Every cell of a row through csv_cell."""
    if isinstance(values, dict):
        return {k: csv_cell(v) for k, v in values.items()}
    return [csv_cell(v) for v in values]


def declared_tests(claim) -> tuple:
    """The claim's declared tests in ClaimResult.tests order: the parts, then the secondary tests
    (a claim object without parts: its tests, the first being the primary)."""
    return tuple(getattr(claim, "all_tests", None) or claim.tests)


def is_part(cr: ClaimResult, index: int) -> bool:
    """Whether cr.tests[index] is a part of the claim (co-primary); without roles, the first test is."""
    role = getattr(cr.tests[index], "role", None)
    parts = getattr(cr, "parts", None)
    if parts is not None and role is not None and any(getattr(t, "role", None) == "part" for t in cr.tests):
        return role == "part"
    return index == 0


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
    `key`, and `about`: the software versions, root seed and sources of the run), schema 4."""
    return jsonable({
        "schema_version": SCHEMA_VERSION, "protocol_version": PROTOCOL_VERSION, "profile": run.profile,
        "about": about(),
        "registration": getattr(run, "registration", None) or None,
        "design": getattr(run, "design", None) or None,
        "claims": [claim_json(run, cr) for cr in run.claims],
        "provenance": run.provenance,
        "robustness": robustness_json(run),
    })


def claim_json(run: RunResult, cr: ClaimResult) -> dict:
    """One claim of results.json: its text, verdict, parts, every test, conditions and registration."""
    c = cr.claim
    return {"id": c.id, "title": c.title, "quote": c.quote, "speaker": c.speaker,
            "hypothesis": c.hypothesis, "verdict": cr.verdict, "recorded": c.recorded,
            "matches_recorded": cr.matches_recorded, "parts": parts_json(cr),
            "registration": claim_registration(run, c.id),
            "conditions": cr.condition_rows(),
            "randomized": randomized(cr.specs.values() or c.conditions.values()),
            "tests": [{"key": test_key(c.id, i, t.name), **test_dict(t)} for i, t in enumerate(cr.tests)],
            "runtime_s": cr.runtime_s, "cache_keys": cr.cache_keys, "error": cr.error}


def parts_json(cr: ClaimResult) -> list[dict]:
    """The claim's parts (co-primary tests) in short: name, verdict, estimate, ci and the test's key."""
    return [{"name": t.name, "verdict": t.verdict, "estimate": t.estimate, "ci": t.ci,
             "test": test_key(cr.claim.id, i, t.name)} for i, t in enumerate(cr.tests) if is_part(cr, i)]


def claim_registration(run: RunResult, claim_id: str) -> dict | None:
    """The registration check of one claim (status, changed fields, hash) from RunResult.registration;
    None when the run carries no registration."""
    registration = getattr(run, "registration", None)
    if not isinstance(registration, dict):
        return None
    return (registration.get("claims") or {}).get(claim_id)


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
            w.writerow(csv_row(head))
        for i, t in enumerate(cr.tests):
            d = test_dict(t, with_details=False)
            lo, hi = d.pop("ci") or (None, None)
            w.writerow(csv_row({**head, "test_index": i, "test_key": test_key(cr.claim.id, i, t.name),
                                "primary": is_part(cr, i), **d, "ci_lo": lo, "ci_hi": hi}))
    return buf.getvalue()


PER_SEED_FIELDS = ["claim_id", "test_key", "test", "series", "condition", "seed_position", "seed", "value"]


def per_seed_csv(run: RunResult) -> str:
    """Per-seed values from TestResult.details: every 1-D numeric series with one value per seed
    of the test (any length if the claim has no records), one row per value; each row names
    its test by a stable key and its series by the condition(s) it was measured on. The thorough
    profile's settings follow, each named '<claim id>-in-<setting>'."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(PER_SEED_FIELDS)
    for cr in run.claims + setting_results(run):
        for i, t in enumerate(cr.tests):
            key = test_key(cr.claim.id, i, t.name)
            declared = declared_tests(cr.claim)
            names = series_conditions(declared[i] if i < len(declared) else None)
            # a secondary test pairs the seeds its arms share: the first n_seeds of the claim's (claim.common_seeds)
            seeds = cr.seeds[:t.n_seeds] if t.n_seeds else cr.seeds
            for series, values in _series(t.details, kind=t.kind, n=len(seeds) or None):
                for j, v in enumerate(values):
                    seed = seeds[j] if seeds else ""
                    w.writerow(csv_row([cr.claim.id, key, t.name, series, names.get(series, ""), j, seed,
                                    "" if not math.isfinite(v) else repr(float(v))]))
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
                "allowed": "tolerance × max(1, scale)", "within": pair, "beyond": pair}
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
