"""Report tests on a hand-built RunResult (tests/synthetic.py): no training."""
from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import re
import sys
import warnings
from datetime import datetime, timezone
from pathlib import Path

import markupsafe
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from synthetic import XSS, make_run  # noqa: E402

from repro.report import drawing, export, figures, render as report, text as txt  # noqa: E402
from repro.claim import Figure  # noqa: E402


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    run = make_run()
    with warnings.catch_warnings():
        warnings.simplefilter("error", report.PdfWarning)  # WeasyPrint is installed here: a PDF must come out
        paths = report.write_report(run, out)
    return run, out, paths


@pytest.fixture(scope="module")
def html(written):
    return written[2]["html"].read_text()


def test_returns_all_paths(written):
    run, out, paths = written
    assert set(paths) == {"html", "pdf", "json", "csv", "per_seed_csv"}
    assert all(p.parent == out and p.stat().st_size > 0 for p in paths.values())


def test_every_claim_id_verdict_and_anchor(written, html):
    run = written[0]
    for cr in run.claims:
        assert f'id="{cr.claim.id}"' in html
        assert f'href="#{cr.claim.id}"' in html
        section = html.split(f'id="{cr.claim.id}"', 1)[1].split("</section>", 1)[0]
        assert f'class="badge {cr.verdict}"' in section


def test_claim_text_is_escaped(html):
    assert XSS not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "HN commenter &lt;b&gt;" in html
    assert "<script" not in html.lower()


def test_error_claim_shows_traceback(html):
    section = html.split('id="bias-redundant-before-bn"', 1)[1].split("</section>", 1)[0]
    assert "Traceback (most recent call last)" in section and "engine exploded" in section
    assert "<figure" not in section


def test_quick_banner_only_for_quick_profile(html, tmp_path):
    assert "not confirmatory" in html
    run = make_run()
    run.profile = "default"
    run.claims = run.claims[:2]  # keep it fast
    paths = report.write_report(run, tmp_path, pdf=False)
    assert "not confirmatory" not in paths["html"].read_text()
    assert "pdf" not in paths


def test_html_is_self_contained(html):
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html)
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", html)
    assert "@import" not in html
    assert html.count('src="data:image/png;base64,') >= 10  # forest plot + every claim figure


def test_stats_table_shows_every_field(html):
    section = html.split('id="bn-keeps-deep-nets-healthy"', 1)[1].split("</section>", 1)[0]
    for text in ("14.8", "+26%", "[12.1, 17.9]", "95% CI", "0.0080", "d_z 4.1", "r 0.12",
                 "margin 1\u00a0%", "τ 1<", "Holm 0.0080"):  # superiority: beyond the margin, one-sided
        assert text in section, text
    assert "power 99%" not in section  # never a power against 0 beside a margin test (issue 24 item 6)
    assert "one-sided t on log10 scale" not in section  # a feasible test's feasibility sentence is not repeated
    incon = html.split('id="bn-after-activation-better"', 1)[1].split("</section>", 1)[0]
    assert "90% CI" in incon and "1 diverged" in incon
    assert "What would settle it" in incon and "About 40 paired seeds" in incon


def test_broken_figure_is_a_placeholder_not_a_crash(html):
    assert "Not drawn: KeyError" in html and "no_such_value" in html


def test_provenance_rendered(html):
    section = html.split('id="provenance"', 1)[1]
    for text in ("9662358abc", "dirty", "yes", "3.11.2", "20.2 s"):
        assert text in section, text


def test_results_json_contract(written):
    run, out, _ = written
    text = (out / "results.json").read_text()
    assert "NaN" not in text and "Infinity" not in text
    data = json.loads(text)
    assert data["profile"] == "quick" and set(data) >= {"profile", "claims", "provenance"}
    assert [c["id"] for c in data["claims"]] == [cr.claim.id for cr in run.claims]
    for c, cr in zip(data["claims"], run.claims):
        assert c["verdict"] == cr.verdict and c["recorded"] is None and c["matches_recorded"] is None and c["quote"] == cr.claim.quote
        assert c["runtime_s"] == cr.runtime_s and len(c["tests"]) == len(cr.tests)
        for t in c["tests"]:
            for key in ("name", "kind", "metric", "estimate", "ci", "p", "p_adjusted", "effect_size",
                        "n_seeds", "n_diverged", "power"):
                assert key in t, key
            assert len(t["ci"]) == 2
    threshold = data["claims"][2]["tests"][1]
    assert threshold["effect_size"] is None  # NaN in the TestResult -> null
    assert data["claims"][1]["error"].startswith("Traceback")
    assert data["provenance"]["git"]["dirty"] is True


def test_results_csv_rows(written):
    run, out, _ = written
    rows = list(csv.DictReader(io.StringIO((out / "results.csv").read_text())))
    expected = [(cr.claim.id, t.name) for cr in run.claims for t in cr.tests]
    expected += [(cr.claim.id, "") for cr in run.claims if not cr.tests]
    assert sorted((r["claim_id"], r["name"]) for r in rows) == sorted(expected)
    acc = next(r for r in rows if r["claim_id"] == "bn-keeps-deep-nets-healthy" and r["name"] == "accuracy")
    assert acc["primary"] == "True" and float(acc["ci_lo"]) == 12.1 and float(acc["ci_hi"]) == 17.9
    assert float(acc["p_adjusted"]) == 6e-6 and acc["verdict"] == "supported"
    err = next(r for r in rows if r["claim_id"] == "bias-redundant-before-bn")
    assert err["claim_verdict"] == "error" and err["estimate"] == ""


def test_per_seed_csv(written):
    run, out, _ = written
    rows = list(csv.DictReader(io.StringIO((out / "per_seed.csv").read_text())))
    cr = next(c for c in run.claims if c.claim.id == "bn-keeps-deep-nets-healthy")
    mine = [r for r in rows if r["claim_id"] == cr.claim.id and r["test"] == "accuracy" and r["series"] == "a"]
    np.testing.assert_allclose([float(r["value"]) for r in mine], cr.tests[0].details["a"])
    assert [int(r["seed"]) for r in mine] == list(cr.records["bn"].seeds)
    assert {r["test_key"] for r in mine} == {"bn-keeps-deep-nets-healthy/0-accuracy"}
    named = {r["series"]: r["condition"] for r in rows if r["test_key"] == "bn-keeps-deep-nets-healthy/0-accuracy"}
    assert named == {"a": "bn", "b": "no_bn"}


def test_per_seed_csv_keeps_secondary_tests_at_fewer_seeds(written):
    # later looks add seeds to the primary test's conditions only: a secondary test runs at fewer
    import dataclasses
    run, _, _ = written
    cr = next(c for c in run.claims if c.claim.id == "bn-keeps-deep-nets-healthy")
    n = len(cr.seeds) - 3
    short = dataclasses.replace(cr.tests[0], name="secondary", n_seeds=n,
                                details={k: np.asarray(v)[:n] if np.ndim(v) == 1 else v
                                         for k, v in cr.tests[0].details.items()})
    cr2 = dataclasses.replace(cr, tests=[cr.tests[0], short])
    rows = list(csv.DictReader(io.StringIO(export.per_seed_csv(dataclasses.replace(run, claims=[cr2])))))
    mine = [r for r in rows if r["test"] == "secondary" and r["series"] == "a"]
    assert [int(r["seed"]) for r in mine] == list(cr.seeds[:n])
    np.testing.assert_allclose([float(r["value"]) for r in mine], cr.tests[0].details["a"][:n])


def test_series_codes_name_their_conditions():
    from repro.claim import Identity, Superiority, Threshold, Trend
    from synthetic import ACC
    assert export.series_conditions(Superiority("s", metric=ACC, a=("x1", "x2"), b="y")) == {
        "a": "mean of (x1 + x2)", "x": "mean of (x1 + x2)", "b": "y", "d": "mean of (x1 + x2) − y"}
    assert export.series_conditions(Threshold("t", metric=ACC, a="bn", tau=1.0))["x"] == "bn"
    assert export.series_conditions(Threshold("t", metric=ACC, a=("x1", "x2"), tau=1.0, pool="worst"))["x"] == \
        "worst of (x1 + x2)"
    assert export.series_conditions(Trend("tr", metric=ACC, levels={0.0: "relu", 0.1: "leaky"})) == {
        "slopes": "slope over 0: relu, 0.1: leaky"}
    ident = export.series_conditions(Identity("i", quantity=lambda r: r, a="bias", b="nobias"))
    assert ident["max_abs_diff"] == "|bias − nobias|"


def test_test_keys_are_stable_slugs(written):
    run, out, _ = written
    data = json.loads((out / "results.json").read_text())
    keys = [t["key"] for c in data["claims"] for t in c["tests"]]
    assert "bn-after-activation-better/0-accuracy-pooled" in keys and len(set(keys)) == len(keys)
    rows = list(csv.DictReader(io.StringIO((out / "results.csv").read_text())))
    assert {r["test_key"] for r in rows if r["test_key"]} == set(keys)
    assert export.slug("BN drifts less (He init)") == "bn-drifts-less-he-init"


def test_results_json_says_versions_seed_and_sources(written):
    from repro import __version__
    from repro.engine.init import ROOT_SEED
    about = json.loads((written[1] / "results.json").read_text())["about"]
    assert about["repro_version"] == __version__ and about["root_seed"] == ROOT_SEED and "mnist1d_version" in about
    assert about["sources"]["post"]["code"] == "https://github.com/rohan-varma/nn-init-demo"
    thread = about["sources"]["thread"]
    assert thread["item"] == "16440103" and thread["url"] is None  # the thread file names no URL: none is made up
    given = export.sources('Source: a Hacker News discussion (item 7, x) https://news.ycombinator.com/item?id=7')
    assert given["thread"]["url"] == "https://news.ycombinator.com/item?id=7" and given["post"] is None


def test_cache_keys_stay_in_results_json_not_in_the_report(written, html):
    data = written[2]["json"].read_text()
    for key in ("a1b2c3", "d4e5f6", "abcdef0123", "0f0f0f"):
        assert key in data and key not in html, key


def test_pdf_contains_claim_titles(written):
    from pypdf import PdfReader
    run, out, _ = written
    text = "\n".join(page.extract_text() for page in PdfReader(out / "report.pdf").pages)
    flat = "".join(text.split())  # line breaks may fall anywhere in a long title
    for cr in run.claims:
        assert "".join(cr.claim.title.split()) in flat, cr.claim.title
    assert "notconfirmatory" in flat and "Provenance" in flat


def test_no_temp_files_left(written):
    out = written[1]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["report.html", "report.pdf", "results.json", "results.csv", "per_seed.csv"])
    from repro.protocol.cache import FILE_MODE
    assert {p.stat().st_mode & 0o777 for p in out.iterdir()} == {FILE_MODE}  # not mkstemp's 0600


def test_atomic_write_keeps_old_file_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "results.json"
    report.atomic_write(target, "old")

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        report.atomic_write(target, "new")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["results.json"]


def test_no_pdf_engine_writes_html_and_says_how(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import fails like a missing pango would
    run = make_run()
    run.claims = run.claims[1:2]
    with pytest.warns(report.PdfWarning, match="print it to PDF"):
        paths = report.write_report(run, tmp_path)
    assert "pdf" not in paths and paths["html"].exists() and not (tmp_path / "report.pdf").exists()


def test_write_report_validates_arguments(tmp_path):
    with pytest.raises(TypeError, match="RunResult"):
        report.write_report({"claims": []}, tmp_path)
    run = make_run()
    run.profile = "fast"
    with pytest.raises(ValueError, match="profile"):
        report.write_report(run, tmp_path)


def test_every_figure_kind_draws_from_documented_names():
    run = make_run()
    drawn = set()
    for cr in run.claims:
        for f in cr.claim.figures:
            mpl, err = figures.draw(f, cr.records)
            if f.options.get("value") == "no_such_value":
                assert err and "no_such_value" in err
            else:
                assert err is None, (f.kind, err)
                drawn.add(f.kind)
            figures.plt.close(mpl)
    assert drawn == set(figures.FIGURES)


def test_unknown_kind_is_a_placeholder():
    mpl, err = figures.draw(Figure("nope", "x"), {})
    assert "unknown figure kind 'nope'" in err
    figures.plt.close(mpl)


def test_colors_are_stable_per_name():
    figures.reset_colors([["a", "b"]])
    assert figures.color("b") == figures.PALETTE[1] and figures.color("a") == figures.PALETTE[0]
    assert figures.color("c") == figures.PALETTE[2] and figures.color("a") == figures.PALETTE[0]
    many = [f"x{i}" for i in range(len(figures.PALETTE) - 1)]
    figures.reset_colors([["a", "b"], many + ["a"]])  # "a" keeps its colour; the others avoid it
    assert figures.color("a") == figures.PALETTE[0]
    assert len({figures.color(n) for n in many + ["a"]}) == len(figures.PALETTE)


def test_mean_ci_matches_t_interval_and_ignores_nan():
    from scipy import stats as sps
    x = np.array([[1.0, 2.0], [2.0, np.nan], [4.0, 3.0], [5.0, 5.0]])
    m, lo, hi = figures.mean_ci(x)
    ref = sps.t.interval(0.95, 3, loc=3.0, scale=sps.sem([1, 2, 4, 5]))
    assert m[0] == 3.0 and np.allclose([lo[0], hi[0]], ref)
    assert m[1] == pytest.approx(10 / 3)


def test_standardize_uses_dz_then_margin():
    t = make_run().claims[2].tests[0]  # estimate ~15, effect size 4.1, margin 1
    s = figures.standardize(t)
    assert s["scale"] == "d" and s["x"] == pytest.approx(4.1) and s["margin"] == pytest.approx(4.1 / t.estimate)
    import dataclasses
    s2 = figures.standardize(dataclasses.replace(t, effect_size=None))
    assert s2["scale"] == "margin" and s2["x"] == pytest.approx(t.estimate) and s2["margin"] == 1.0
    assert figures.standardize(dataclasses.replace(t, effect_size=None, margin=None)) is None


def test_number_formatting():
    assert txt.num(0.0123456) == "0.0123" and txt.num(1234.5) == "1234"  # 3 significant digits
    assert txt.num(None) == "—" and txt.num(float("nan")) == "NaN" and txt.num(-2.5) == "−2.50"
    assert txt.num(7.0) == "7" and txt.num(-3.0) == "−3"
    assert txt.pval(0.00001) == "<\u00a00.0001" and txt.pval(0.0312) == "0.031" and txt.pval(0.004) == "0.0040"


def test_figure_cache_reuses_identical_figures_only(tmp_path):
    run = make_run()
    cr = next(c for c in run.claims if c.verdict != "error" and c.claim.figures)
    cr.claim = dataclasses.replace(cr.claim, source="# claim module text")
    cache = tmp_path / "figures"
    when = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)  # two renders must not straddle a minute
    first = report.render_html(run, figure_cache=cache, generated=when)
    def claim_pngs():
        return {p.name for p in cache.iterdir() if not p.name.startswith(("forest-", "post-"))}
    assert len(claim_pngs()) == len(cr.claim.figures)
    assert report.render_html(run, figure_cache=cache, generated=when) == first  # the cached PNGs are the drawn ones
    before = claim_pngs()
    cr.cache_keys = {n: k + "0" for n, k in cr.cache_keys.items()}  # other records: other figures
    report.render_html(run, figure_cache=cache)
    assert len(claim_pngs() - before) == len(cr.claim.figures)
    cr.claim = dataclasses.replace(cr.claim, source="")  # unknown provenance: never cached
    assert drawing.figure_key(cr, 0) is None


def test_forest_plot_is_cached_by_the_rows_it_shows(tmp_path):
    run = make_run()
    first = drawing.forest_figure(run, tmp_path)
    assert [p.name[:7] for p in tmp_path.iterdir()] == ["forest-"]
    assert drawing.forest_figure(run, tmp_path) == first == drawing.forest_figure(run)  # cached = drawn
    cr = next(c for c in run.claims if c.tests)
    cr.tests[0] = dataclasses.replace(cr.tests[0], estimate=cr.tests[0].estimate + 1.0)
    drawing.forest_figure(run, tmp_path)
    assert len(list(tmp_path.iterdir())) == 2  # another estimate, another picture


def _png_size_in(uri: str) -> tuple[float, float]:
    """Width and height in inches of a data-URI PNG drawn at figures.STYLE's savefig dpi."""
    import base64
    import struct
    png = base64.b64decode(uri.split(",", 1)[1])
    w, h = struct.unpack(">II", png[16:24])
    dpi = figures.STYLE["savefig.dpi"]
    return w / dpi, h / dpi


def eleven_claims():
    """A run of 11 claims (the real report's count) built from the synthetic ones, ids made unique."""
    run = make_run()
    base = run.claims
    claims = []
    for i in range(11):
        cr = dataclasses.replace(base[i % len(base)])
        cr.claim = dataclasses.replace(cr.claim, id=f"{cr.claim.id}-{i}", number=i + 1,
                                       title=f"{cr.claim.title} with a long title that has to wrap over lines {i}")
        claims.append(cr)
    run.claims = claims
    return run


def test_forest_has_one_row_per_claim_grouped_by_verdict():
    run = eleven_claims()
    rows = drawing.forest_rows(run)
    assert [r["label"].split(".")[0] for r in rows] == [str(i) for i in range(1, 12)]
    assert all(r["label"].endswith(cr.claim.title) for r, cr in zip(rows, run.claims))  # the whole title
    slots = figures.forest_layout(rows)
    groups = [v for kind, v in slots if kind == "group"]
    assert groups == ["supported", "inconclusive", "error"]
    seen = [r["verdict"] for kind, r in slots if kind == "row"]
    assert seen == sorted(seen, key=figures.VERDICT_ORDER.index) and len(seen) == 11
    error = next(r for r in rows if r["verdict"] == "error")
    assert error["result"] is None and "failed" in error["note"]


def test_forest_fits_one_a4_page_with_its_caption():
    width, height = _png_size_in(drawing.forest_figure(eleven_claims()))
    assert width == pytest.approx(figures.WIDTH_IN, abs=0.05)
    assert height <= 8.0  # A4 text block is ~10.2 in tall: room for the caption below


def test_forest_keeps_huge_effects_on_the_axis():
    t = make_run().claims[2].tests[0]
    huge = dataclasses.replace(t, estimate=221.0, ci=(200.0, 240.0), effect_size=221.0)
    s = figures.standardize(huge)
    lim = figures._symlog_limit([s])
    assert lim > s["hi"] and figures._symlog_ticks(lim)[-1] <= lim


def test_forest_names_identity_with_its_unit_instead_of_a_point():
    run = make_run()
    cr = next(c for c in run.claims if c.verdict != "error")
    cr.tests[0] = dataclasses.replace(cr.tests[0], kind="identity", estimate=8.88e-16, unit="nats", margin=1e-9)
    row = next(r for r in drawing.forest_rows(run) if r["label"].endswith(cr.claim.title))
    assert row["result"] is None and "8.88e−16\u00a0nats" in row["note"]


def test_stats_table_has_five_columns_with_stacked_details(html):
    section = html.split('id="bn-keeps-deep-nets-healthy"', 1)[1].split("</section>", 1)[0]
    table = section.split('<table class="stats">', 1)[1].split("</table>", 1)[0]
    assert table.count("<col ") == 5 and table.split("</thead>")[0].count("<th ") + table.split("</thead>")[0].count("<th>") == 5
    first_row = table.split("<tbody>", 1)[1].split("</tr>", 1)[0]
    assert first_row.count("<td") == 5 and 'class="badge supported"' in first_row  # the verdict sits under the name


def test_summary_rows_are_titles_with_one_answer_each(written, html):
    run = written[0]
    summary = html.split('id="summary"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<tr class="answer (\w+)">(.*?)</tr>', summary, re.S)
    assert [v for v, _ in rows] == [cr.verdict for cr in run.claims]
    for cr in run.claims:
        assert f'<bdi>{markupsafe.escape(cr.claim.title)}</bdi></a>' in summary
    healthy = next(r for v, r in rows if "healthy" in r)
    assert "14.8" in healthy and "[12.1, 17.9]" in healthy
    section = html.split('id="bn-keeps-deep-nets-healthy"', 1)[1].split("</section>", 1)[0]
    assert "bn is ahead of no_bn" in section and "95% CI 12.1 to 17.9" in section and "the claim holds" in section
    assert "p = &lt;" not in html and "p = <" not in html and "100% CI" not in html


def test_units_are_explained_once(html):
    legend = html.split('<dl class="units">', 1)[1].split("</dl>", 1)[0]
    for term in ("d_z", "90% CI", "repeated CI", "min–max over seeds", "+26%, −25%"):
        assert f"<dt>{term}</dt>" in legend, term
    assert html.count('<dl class="units">') == 1


def test_interval_wording():
    assert [txt.level_text(x) for x in (0.9, 0.95, 0.9998, 0.999847, 1.0)] == ["90%", "95%", "99.98%", "99.985%", "100%"]
    t = make_run().claims[2].tests[0]
    assert txt.ci_label(dataclasses.replace(t, ci_level=0.9)) == "90% CI"
    seq = dataclasses.replace(t, ci_level=0.9998, looks=(12, 24, 48), stopped_at=24)
    assert txt.ci_label(seq) == "99.98% repeated CI" and "repeated confidence interval" in txt.sentence(
        dataclasses.replace(make_run().claims[2], tests=[seq]))
    ident = dataclasses.replace(t, kind="identity", ci_level=1.0, ci_method="range", p=float("nan"), p_adjusted=None,
                                estimate=8.88e-16, ci=(4.44e-16, 8.88e-16), unit="nats", margin=1e-9)
    assert txt.ci_label(ident) == "min–max over seeds"
    view = txt.test_view(ident)
    assert view["p"] == "tolerance rule" and view["p_adjusted"] == "" and view["estimate"] == "8.88e−16\u00a0nats"
    assert txt.p_text(0.00001) == "p <\u00a00.0001" and txt.p_text(0.031) == "p = 0.031"


def test_pooled_arms_read_as_one_name():
    assert txt.arm_names(("after, depth 2", "after, depth 6")) == "after (depth 2 / depth 6)"
    assert txt.arm_names("bn") == "bn" and txt.arm_names(("a", "b")) == "a / b (pooled)"


def test_provenance_is_compact():
    rows = dict(report.provenance_rows({"seeds": {"c1": 12, "c2": 24}, "cache_keys": {"c1": {"x": ["k"]}},
                                        "feasibility": {"c1": {"feasible": True, "note": "t test: fine"},
                                                        "c2": {"feasible": False, "note": "needs 40 seeds"}}}))
    assert rows["seeds"] == "c1 12; c2 24" and "cache keys" not in rows
    assert rows["feasibility"] == [("c2", "needs 40 seeds")]
    family = dict(report.provenance_view({"from_cache": {}, "missing": []}))
    assert family == {"from cache": "none", "missing": "none"}  # an empty mapping reads "none", not a blank cell


def test_identity_carries_its_unit_to_the_report():
    from repro import stats
    t = stats.identity(np.array([4.44e-16, 8.88e-16]), tol=1e-9, scale=np.ones(2), name="trajectory identical",
                       metric="minibatch loss at every step", unit="nats")
    assert t.unit == "nats" and txt.test_view(t)["estimate"] == "8.88e−16\u00a0nats"


def _threshold(log: bool):
    from repro import stats
    from repro.claim import Threshold
    from synthetic import RATIO
    x = np.array([0.040, 0.042, 0.044, 0.041, 0.043, 0.042])
    t = stats.threshold(x, tau=0.07, direction="below", log=log, alpha=0.05, name="after BN",
                        metric="worst |log2 std|", unit="doublings")
    return t, Threshold("after BN", metric=RATIO, a="bn", tau=0.07), x


def test_threshold_shows_the_measured_value_not_the_distance():
    t, declared, x = _threshold(log=False)
    assert t.estimate == pytest.approx(x.mean())  # one number per quantity: the estimate is the measured value
    assert t.distance_to_tau == pytest.approx(0.07 - x.mean())
    view = txt.test_view(t)
    assert view["estimate"] == "0.0420\u00a0doublings" and view["estimate_rel"] == "mean over seeds"
    lo, hi = t.ci
    assert view["ci"] == f"[{txt.num(lo)}, {txt.num(hi)}]" and lo < x.mean() < hi
    assert view["effects"][0] == "distance below τ = 0.0700: 0.0280\u00a0doublings"
    cr = dataclasses.replace(make_run().claims[2], tests=[t])
    cr.claim = dataclasses.replace(cr.claim, tests=(declared,))
    text = txt.finding(cr)
    assert "is 0.0420\u00a0doublings (mean over seeds; 90% CI" in text and "claimed below 0.0700" in text
    assert "distance below τ = 0.0700: 0.0280" in text and text.count("CI") == 1  # one interval: the value's
    assert "0.0420" in drawing.forest_note(cr)


def test_threshold_on_log_scale_is_shown_back_on_the_metric_scale():
    t, _, x = _threshold(log=True)
    geo = 10 ** np.log10(x).mean()
    view = txt.test_view(t)
    assert view["estimate"] == f"{txt.num(geo)}\u00a0doublings" and view["estimate_rel"] == "geometric mean over seeds"
    lo, hi = (float(v) for v in view["ci"].strip("[]").split(", "))
    assert lo < geo < hi
    assert view["effects"][0].startswith("distance below τ = 0.0700: ") and "decades" in view["effects"][0]
    assert "(distance beyond τ)" in figures._dz_text(figures.standardize(t))


def test_threshold_short_of_tau_says_so():
    from repro import stats
    t = stats.threshold(np.array([0.09, 0.1, 0.11]), tau=0.07, direction="below", log=False, alpha=0.05,
                        name="n", metric="m", unit="doublings")
    assert txt.test_view(t)["effects"][0].startswith("distance above τ = 0.0700: 0.0300")


def test_opening_figure_shows_the_posts_gradients_as_published_and_corrected(html):
    """The post's gradient histograms (repro.report.blogpost), between the opening and the summary, with
    a caption that says which the post showed and why it is wrong."""
    figure = html[html.index('id="post-gradients"'):]
    figure = figure[:figure.index("</figure>")]
    assert html.index('id="summary"') < html.index('id="practice"') < html.index('id="post-gradients"') \
        < html.index('id="contents"')  # the answers first, then the blog-bug figure
    assert 'src="data:image/png;base64,' in figure and "broken" not in figure
    text = " ".join(re.sub(r"<[^>]+>", " ", figure).split())
    assert "The post showed the as-published gradients, and they are wrong." in text
    for phrase in ("27.35", "layer 19", "layers 19 and 18", "never summed", "(−2)(x − μ)/N", "never back-propagated"):
        assert phrase in text, phrase
    assert re.search(r"grows 1\.8\d× per layer instead of 1\.2\d×", text)


def test_post_figure_pdf_page(written):
    from pypdf import PdfReader
    _, out, _ = written
    first = "".join(PdfReader(out / "report.pdf").pages[0].extract_text().split()) + \
        "".join(PdfReader(out / "report.pdf").pages[1].extract_text().split())
    assert "Thepostshowedtheas-publishedgradients" in first


def test_interaction_finding_names_both_effects_and_the_rule():
    from repro import stats
    from repro.claim import Interaction
    from synthetic import ACC
    t = stats.equivalence(np.full(6, 50.0) + np.arange(6), np.full(6, 2.0), margin=2.0, alpha=0.05, name="i",
                          metric="interaction on acc", unit="% points")
    d = Interaction("i", metric=ACC, a=("bad, BN", "bad, none"), b=("good, BN", "good, none"), margin=2.0)
    text = txt._found_interaction(t, d)
    assert text.startswith("On final test accuracy, the gain of bad, BN over bad, none is larger than the gain of "
                           "good, BN over good, none by 50.5")
    assert "the effects add up if it lies within ±2\u00a0%\u00a0points" in text


def test_pdf_is_tagged_with_a_printed_contents(written):
    """A tagged PDF (headings for screen readers) whose contents give page numbers."""
    from pypdf import PdfReader
    _, out, _ = written
    reader = PdfReader(out / "report.pdf")
    assert bool(reader.trailer["/Root"].get("/MarkInfo", {}).get("/Marked"))
    text = "\n".join(page.extract_text() for page in reader.pages[:4])
    assert re.search(r"References\s*\.+\s*\d+", text) and re.search(r"Provenance\s*\.+\s*\d+", text)
