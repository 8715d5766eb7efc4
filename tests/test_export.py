"""The machine-readable outputs: one number per quantity (every test's estimate is the statistic of
its per-seed values), schema 4's parts/registration/design, and CSV cells that are text, not formulas."""
from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import numpy as np
import pytest

from repro.cli import main
from repro.report import export

FIXTURE = Path(__file__).parent / "claims_fixture"


def per_seed_statistic(kind: str, statistic: str | None, series: dict[str, list[float]]) -> float:
    """What a test's estimate must be, from its per-seed rows: the mean of the paired differences
    (d), of the slopes (trend), of x for a threshold (geometric on the log scale), the largest
    |difference| for identity, and mean(a) - mean(b) for an unpaired comparison."""
    finite = {k: np.array([v for v in vs if math.isfinite(v)]) for k, vs in series.items()}
    if kind == "threshold":
        x = finite["x"]
        return float(10 ** np.log10(x).mean()) if statistic == "geometric mean" else float(x.mean())
    if kind == "trend":
        return float(finite["slopes"].mean())
    if kind == "identity":
        return float(finite["max_abs_diff"].max())
    if "d" in finite:
        return float(finite["d"].mean())
    return float(finite["a"].mean() - finite["b"].mean())


def check_estimates(out: Path) -> int:
    """Assert that results.csv, results.json and per_seed.csv of a report set agree: every test's
    estimate equals its per-seed statistic; returns the number of tests checked."""
    rows = list(csv.DictReader(io.StringIO((out / "results.csv").read_text())))
    seeds: dict[str, dict[str, list[float]]] = {}
    for r in csv.DictReader(io.StringIO((out / "per_seed.csv").read_text())):
        seeds.setdefault(r["test_key"], {}).setdefault(r["series"], []).append(
            float(r["value"]) if r["value"] else math.nan)
    tests = {t["key"]: t for c in json.loads((out / "results.json").read_text())["claims"] for t in c["tests"]}
    checked = 0
    for row in rows:
        if not row["test_key"] or not row["estimate"]:
            continue
        t = tests[row["test_key"]]
        estimate = float(row["estimate"])
        assert estimate == pytest.approx(t["estimate"], rel=1e-12), row["test_key"]
        expected = per_seed_statistic(t["kind"], t["details"].get("statistic"), seeds[row["test_key"]])
        assert estimate == pytest.approx(expected, rel=1e-9, abs=1e-12), (row["test_key"], estimate, expected)
        if t["kind"] == "threshold":
            assert row["tau"] and row["distance_to_tau"], row["test_key"]
            lo, hi = float(row["ci_lo"]), float(row["ci_hi"])
            assert lo <= estimate <= hi  # the measured value's interval, in the metric's unit
        checked += 1
    return checked


@pytest.fixture(scope="module")
def quick_out(tmp_path_factory) -> Path:
    """A quick run of the fixture claim with a superiority and a threshold test (seconds)."""
    out = tmp_path_factory.mktemp("quick")
    code = main(["run", "fixture-bn-helps", "--quick", "--jobs", "1", "--no-pdf", "--out", str(out),
                 "--claims-dir", str(FIXTURE)])
    assert code == 0
    return out / "subset" / "fixture-bn-helps"


def test_every_estimate_is_the_statistic_of_its_per_seed_values(quick_out):
    assert check_estimates(quick_out) >= 3


def test_results_json_is_schema_4_with_parts_registration_and_design(quick_out):
    data = json.loads((quick_out / "results.json").read_text())
    assert data["schema_version"] == 4 and {"registration", "design"} <= set(data)
    for claim in data["claims"]:
        assert claim["parts"] and "registration" in claim
        keys = {t["key"]: t for t in claim["tests"]}
        for part in claim["parts"]:
            assert set(part) == {"name", "verdict", "estimate", "ci", "test"}
            test = keys[part["test"]]
            assert (test["name"], test["estimate"], test["verdict"]) == (part["name"], part["estimate"], part["verdict"])


@pytest.mark.parametrize("cell, written", [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+1+2", "'+1+2"), ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("-0.5", "-0.5"), ("+1e-3", "+1e-3"), ("-inf", "-inf"), ("BN helps", "BN helps"), (-0.5, -0.5), (None, None)])
def test_formula_looking_cells_are_neutralised_but_numbers_are_not(cell, written):
    assert export.csv_cell(cell) == written


def test_csv_files_never_start_a_cell_with_a_formula():
    import dataclasses
    import sys
    sys.path.insert(0, str(Path(__file__).parent))
    from synthetic import make_run
    run = make_run()
    cr = run.claims[0]
    evil = dataclasses.replace(cr.claim, title="=cmd|' /C calc'!A0")
    run.claims[0] = dataclasses.replace(cr, claim=evil)
    run.claims[0].tests[0] = dataclasses.replace(cr.tests[0], name="@evil test")
    for text in (export.results_csv(run), export.per_seed_csv(run)):
        cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
        assert not [c for c in cells if c and c[0] in "=+-@\t\r" and not export.PLAIN_NUMBER.fullmatch(c)]
    assert "'=cmd|' /C calc'!A0" in export.results_csv(run)
    assert "'@evil test" in export.per_seed_csv(run)
