"""Figures: a figure that cannot be drawn fails its claim, claim text stays literal, a corrupted cached
figure is redrawn, figures are light palette PNGs in a colour-blind safe palette, captions carry their
statistics, and the forest plot shows parts, native units and each test's boundary without overprinting."""
from __future__ import annotations

import dataclasses
import io
import itertools
import sys
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from PIL import Image

sys.path.insert(0, str(Path(__file__).parent))
from synthetic import ACC, make_record, make_run  # noqa: E402

from repro.claim import Figure  # noqa: E402
from repro.report import drawing, figures, forest, style  # noqa: E402
from repro.stats import TestResult as Result  # noqa: E402

OKABE_ITO = {"#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"}


def claim(run, claim_id: str):
    """A synthetic claim's result, its claim given a source text (a figure is cached only then)."""
    cr = next(cr for cr in run.claims if cr.claim.id == claim_id)
    cr.claim = dataclasses.replace(cr.claim, source=f"claim module of {claim_id}")
    return cr


def texts(mpl_fig) -> list[str]:
    return [t.get_text() for t in mpl_fig.findobj(matplotlib.text.Text) if t.get_text()]


# ------------------------------------------------------------------ every figure drawn, or its claim fails

def test_figure_errors_name_the_figure_and_mark_only_its_claim():
    run = make_run()
    healthy = claim(run, "bn-keeps-deep-nets-healthy")
    errors = drawing.figure_errors(healthy)
    assert len(errors) == 1 and "'A broken figure'" in errors[0] and "no_such_value" in errors[0]
    assert drawing.figure_errors(claim(run, "bn-after-activation-better")) == []
    assert drawing.mark_figure_errors(run) == ["bn-keeps-deep-nets-healthy"]
    assert healthy.verdict == "error" and "no_such_value" in healthy.error
    assert claim(run, "bn-after-activation-better").verdict == "inconclusive"
    assert drawing.claim_figures(healthy, None) == []  # a claim in error shows its error, not figures


def test_geometry_draws_the_conditions_that_record_it_and_fails_when_none_does():
    run = make_run()
    cr = claim(run, "bn-after-activation-better")
    records = dict(cr.records)
    no_geometry = records["no_bn"]
    records["no_bn"] = dataclasses.replace(no_geometry, values={k: v for k, v in no_geometry.values.items()
                                                                if not k.startswith("geometry/")})
    fig = Figure("geometry", "ICS", options={"value": "geometry/ics", "level": 0.9})
    mpl, err = figures.draw(fig, records)
    assert err is None and any("not measured" in t and "no_bn" in t for t in texts(mpl))
    figures.plt.close(mpl)
    mpl, err = figures.draw(dataclasses.replace(fig, conditions=("no_bn",)), records)
    figures.plt.close(mpl)
    assert err is not None and "no condition of this figure records 'geometry/ics'" in err


def test_a_claim_whose_figure_cannot_be_drawn_fails_its_pytest_item(tmp_path):
    import subprocess
    import os
    root = Path(__file__).resolve().parent.parent
    claims = tmp_path / "claims"
    claims.mkdir()
    (claims / "_tiny.py").write_text((Path(__file__).parent / "claims_fixture" / "_tiny.py").read_text())
    template = '''import sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from _tiny import ACC, TINY
from repro import Claim, Figure, Superiority
CLAIM = Claim(id="{id}", number={n}, title="t", quote="q", speaker="s", hypothesis="h",
              conditions={{"bn": TINY, "plain": TINY.replace(norm="none")}},
              tests=(Superiority("bn better", metric=ACC, a="bn", b="plain", margin=1.0),), seeds=4,
              figures=(Figure("curves", "Test accuracy"), {extra}))
'''
    (claims / "good.py").write_text(template.format(id="draws", n=1, extra=""))
    (claims / "bad.py").write_text(template.format(
        id="cannot-draw", n=2, extra='Figure("geometry", "ICS", options={"value": "geometry/ics_rel"})'))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-m", "pytest", str(claims), "--repro-quick", "--repro-jobs", "1",
                           "--repro-out", str(tmp_path / "out"), "-p", "repro.pytest_plugin", "-p", "no:cacheprovider",
                           "-q", "--rootdir", str(tmp_path)], env=env, capture_output=True, text=True, timeout=600)
    out = done.stdout + done.stderr
    assert done.returncode == 1 and "1 failed, 1 passed" in out, out
    assert "cannot-draw" in out and "figure 2 (geometry, 'ICS') cannot be drawn" in out, out
    assert "no condition of this figure records 'geometry/ics_rel'" in out, out


# ------------------------------------------------------------------ text is text

@pytest.mark.parametrize("name", [r"no bias $\frac{$", "costs $5 and $10"])
def test_claim_labels_reach_matplotlib_as_literal_text(name):
    run = make_run()
    cr = claim(run, "bn-keeps-deep-nets-healthy")
    records = {name: cr.records["bn"], "plain": cr.records["no_bn"]}
    fig = Figure("curves", f"Accuracy: {name}", options={"ylabel": f"acc {name}", "level": 0.9})
    mpl, err = figures.draw(fig, records)
    assert err is None
    dollars = [t for t in mpl.findobj(matplotlib.text.Text) if "$" in t.get_text()]
    assert dollars and all(t._preprocess_math(t.get_text()) == (t.get_text(), False) for t in dollars)
    assert name in texts(mpl)  # the legend entry, verbatim
    assert style.is_png(figures.to_png(mpl))  # mathtext would fail on an unbalanced "$\frac{$" here


def test_log_axes_are_labelled_in_plain_text_not_mathtext():
    run = make_run()
    cr = claim(run, "bn-keeps-deep-nets-healthy")
    mpl, err = figures.draw(cr.claim.figures[6], cr.records)  # |difference| on a log axis, down to 1e-9
    assert err is None
    style.plain_tick_labels(mpl)
    mpl.canvas.draw()
    labels = [t.get_text() for t in mpl.axes[0].get_yticklabels() if t.get_text()]
    assert labels and not any("$" in t or "mathdefault" in t for t in labels)
    assert "10\u207b\u2078" in labels or "10\u207b\u2076" in labels  # 10⁻⁸ or 10⁻⁶, as unicode superscripts
    figures.plt.close(mpl)
    assert style.PlainLogFormatter()._num_to_string(2e-5, 0, 1) == "2\u00d710\u207b\u2075"
    assert style.PlainLogFormatter()._num_to_string(0.1, 0, 1) == "0.1"


# ------------------------------------------------------------------ the figure cache

def test_a_corrupted_cached_figure_is_redrawn_not_served(tmp_path):
    run = make_run()
    cr = claim(run, "bn-after-activation-better")
    png, err = drawing.figure_png(cr, 0, tmp_path)
    assert err is None and style.is_png(png)
    (cached,) = tmp_path.glob("*.png")
    assert cached.read_bytes() == png
    for garbage in (np.random.default_rng(1).bytes(len(png)), png[: len(png) // 2], b""):
        cached.write_bytes(garbage)
        again, err = drawing.figure_png(cr, 0, tmp_path)
        assert err is None and again == png and cached.read_bytes() == png


def test_half_a_png_is_refused_even_after_weasyprint_made_pillow_lenient():
    """WeasyPrint sets Pillow's global LOAD_TRUNCATED_IMAGES on import; the cache check must not follow it."""
    from PIL import ImageFile
    png, _ = drawing.figure_png(claim(make_run(), "bn-after-activation-better"), 0, None)
    lenient = ImageFile.LOAD_TRUNCATED_IMAGES
    try:
        ImageFile.LOAD_TRUNCATED_IMAGES = True
        assert style.is_png(png) and not style.is_png(png[: len(png) // 2]) and not style.is_png(png[:-1])
        assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # the check leaves the global as it found it
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = lenient


def test_cached_json_that_does_not_parse_is_recomputed(tmp_path):
    path = tmp_path / "post-x.json"
    path.write_bytes(b"{not json")
    data, err = drawing._cached_bytes(path, lambda: (b'{"ok": 1}', None))
    assert data == b'{"ok": 1}' and path.read_bytes() == data


# ------------------------------------------------------------------ light and accessible

def test_figures_are_palette_pngs_at_the_report_dpi():
    run = make_run()
    png, _ = drawing.figure_png(claim(run, "bn-after-activation-better"), 0, None)
    with Image.open(io.BytesIO(png)) as img:
        assert img.mode == "P" and round(img.info["dpi"][0]) == style.DPI
        assert img.size[0] == pytest.approx(style.WIDTH_IN * style.DPI, abs=2)
    assert len(png) < 40_000


def test_palette_is_okabe_ito_then_markers_when_colours_run_out():
    assert set(style.PALETTE) == OKABE_ITO
    names = [f"arm {i}" for i in range(18)]  # claim 1 has 18 conditions
    figures.reset_colors([names, ["x", "arm 3"]])
    looks = [(figures.color(n), figures.marker(n)) for n in names]
    assert len(set(looks)) == len(names)  # no two arms of one claim look alike
    assert all(m == "" for _, m in looks[:8]) and all(m for _, m in looks[8:])
    assert figures.color("x") != figures.color("arm 3") and figures.color("arm 3") == looks[3][0]


def test_alt_text_names_the_claim_and_what_the_figure_shows():
    run = make_run()
    cr = claim(run, "bn-keeps-deep-nets-healthy")
    views = drawing.claim_figures(dataclasses.replace(cr, claim=dataclasses.replace(
        cr.claim, figures=cr.claim.figures[:2])), None)
    assert views[1]["alt"] == ("Claim 11 (BN keeps deep nets healthy), figure: Activation spread per layer; "
                               "conditions: bn, no_bn.")
    assert len({v["alt"] for v in views}) == len(views)


# ------------------------------------------------------------------ figures carry their statistics

def test_caption_names_claim_seeds_and_the_band_at_the_tests_level():
    run = make_run()
    cr = claim(run, "bn-after-activation-better")  # its equivalence test has a 90% interval
    assert cr.tests[0].ci_level == 0.9
    assert drawing.caption(cr, 0) == "Claim 3. Points: the mean over 8 seeds; bars: its 90% t-interval."
    assert drawing.declared_figure(cr, 2).options["level"] == 0.9
    cr.tests[0] = dataclasses.replace(cr.tests[0], ci_level=0.9998)
    assert "99.98% t-interval" in drawing.caption(cr, 2)
    assert drawing.figure_key(cr, 2) != drawing.figure_key(claim(make_run(), "bn-after-activation-better"), 2)


def test_band_is_the_t_interval_at_the_figures_level():
    from scipy import stats as sps
    run = make_run()
    r = claim(run, "bn-after-activation-better").records["before"]
    fig = Figure("curves", "acc", conditions=("before",), options={"level": 0.9})
    mpl, err = figures.draw(fig, {"before": r})
    band = mpl.axes[0].collections[0].get_paths()[0].vertices[:, 1]
    v = 100 * r["test_acc"][:, -1]
    half = sps.t.ppf(0.95, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v))
    assert np.isclose(band, v.mean() + half).any() and np.isclose(band, v.mean() - half).any()
    figures.plt.close(mpl)


def test_accuracy_axes_are_in_percent_not_points():
    run = make_run()
    records = claim(run, "bn-keeps-deep-nets-healthy").records
    metric = dataclasses.replace(ACC, unit="% points")  # the unit of a difference of accuracies
    mpl, err = figures.draw(Figure("paired_seeds", "acc", options={"metric": metric, "level": 0.9}), records)
    assert err is None
    assert mpl.axes[0].get_ylabel().replace("\n", " ") == "final test accuracy (%)"
    assert "90% t-interval" in mpl.axes[0].get_xlabel()
    figures.plt.close(mpl)


def _as_fraction(record, stalled: int = 0):
    """The synthetic record with accuracies as fractions (as the engine records them), its first
    `stalled` seeds at chance."""
    acc = record["test_acc"] / 100
    acc[:stalled] = 0.102
    return dataclasses.replace(record, values={**record.values, "test_acc": acc})


def test_seed_outcomes_mark_chance_and_count_the_stalls():
    run = make_run()
    records = claim(run, "bn-keeps-deep-nets-healthy").records
    records = {"bn": _as_fraction(records["bn"]), "no_bn": _as_fraction(records["no_bn"], stalled=3)}
    mpl, err = figures.draw(Figure("seed_outcomes", "Final accuracy per seed"), records)
    assert err is None
    ticks = [t.get_text() for t in mpl.axes[0].get_xticklabels()]
    assert ticks == ["bn\n0 of 8 stalled", "no_bn\n3 of 8 stalled"]
    assert "chance (10%)" in texts(mpl) and "stalled: within 5 points of chance" in texts(mpl)
    assert mpl.axes[0].get_ylabel().endswith("(%)")
    figures.plt.close(mpl)
    # with a FewerFailures test's level, the figure rings the seeds that test counts as failed (< 20%)
    records["bn"].values["test_acc"][:2] = 0.1999
    mpl, err = figures.draw(Figure("seed_outcomes", "t", options={"fail_below": 20.0}), records)
    assert err is None and "stalled: below 20%" in texts(mpl)
    assert [t.get_text() for t in mpl.axes[0].get_xticklabels()] == ["bn\n2 of 8 stalled", "no_bn\n3 of 8 stalled"]
    figures.plt.close(mpl)
    # the caption names the same rule as the legend
    assert "counted as stalled (below 20%)" in figures.statistics_text(Figure("seed_outcomes", "t", options={"fail_below": 20.0}), 8)
    assert "(within 5 points of chance)" in figures.statistics_text(Figure("seed_outcomes", "t"), 8)


# ------------------------------------------------------------------ the forest plot

def _result(kind: str, est: float, ci, es: float | None, margin: float | None = None, **kw) -> Result:
    return Result(name=kw.pop("name", kind), kind=kind, metric="m", unit=kw.pop("unit", "% points"),
                      estimate=est, estimate_rel=None, ci=ci, ci_level=0.9, ci_method="t", p=0.01, effect_size=es,
                      effect_size_name="d_z", n_seeds=12, n_diverged=0, margin=margin, **kw)


def _part(t: Result, verdict: str, text: str = "") -> dict:
    return {"name": t.name, "verdict": verdict, "result": t, "text": text or drawing.part_text(t)}


def _row(label: str, verdict: str, *parts: dict) -> dict:
    return {"label": label, "verdict": verdict, "parts": list(parts), "result": parts[0]["result"], "note": ""}


def _boundaries(ax) -> set[float]:
    """x of the short vertical ticks the forest draws as boundaries."""
    return {round(float(line.get_xdata()[0]), 6) for line in ax.lines
            if len(line.get_xdata()) == 2 and line.get_xdata()[0] == line.get_xdata()[1]}


def test_each_kind_shows_the_boundary_that_decides_it():
    sup = _result("superiority", 2.0, (1.0, 3.0), 2.0, margin=1.0)     # SD 1: margin at d_z 1
    noninf = _result("noninferiority", 0.5, (-0.5, 1.5), 0.5, margin=2.0)
    equiv = _result("equivalence", 0.2, (-0.3, 0.7), 0.2, margin=0.5)
    for t, ticks, bands in ((sup, {1.0}, 0), (noninf, {-2.0}, 0), (equiv, set(), 1)):
        mpl = forest.forest([_row("1. a claim", "supported", _part(t, "supported"))])
        ax = mpl.axes[0]
        assert _boundaries(ax) - {0.0} == ticks, t.kind  # 0: the reference line every row shares
        assert sum(1 for c in ax.collections if len(c.get_paths())) == bands, t.kind
        figures.plt.close(mpl)


def test_threshold_is_placed_by_its_distance_to_tau_and_far_ones_are_off_scale():
    near = _result("threshold", 0.05, (0.04, 0.06), 2.0, tau=0.07, distance_to_tau=0.02, unit="doublings",
                   details={"direction": "below", "scale": "linear", "distance_ci": (0.01, 0.03)})
    s = forest.standardize(near)
    assert s["x"] == pytest.approx(2.0) and s["lo"] == pytest.approx(1.0) and s["beyond_tau"]
    far = dataclasses.replace(near, effect_size=1577.0, distance_to_tau=0.0677,
                              details={**near.details, "distance_ci": (0.067, 0.068)})
    mpl = forest.forest([_row("7. far below tau", "supported", _part(far, "supported")),
                         _row("1. ordinary", "supported", _part(_result("superiority", 2.0, (1.0, 3.0), 2.0,
                                                                        margin=1.0), "supported"))])
    ax = mpl.axes[0]
    assert ax.get_xlim()[1] < 100  # the axis is not stretched to d_z 1577
    assert "off scale" in texts(mpl) and any("0.0500 [0.0400, 0.0600] doublings; claim < τ = 0.0700" in t.replace("\n", " ")
                                                  for t in texts(mpl))
    figures.plt.close(mpl)


def test_parts_are_sub_rows_and_mixed_has_its_own_colour():
    a = _part(_result("superiority", 2.0, (1.0, 3.0), 2.0, margin=1.0, name="He beats Xavier"), "supported")
    b = _part(_result("superiority", -2.0, (-3.0, -1.0), -2.0, margin=1.0, name="Xavier beats uniform"), "refuted")
    rows = [_row("12. He init", "mixed", a, b), _row("1. one part", "supported", a)]
    slots = forest.forest_layout(rows)
    assert [k for k, _ in slots] == ["group", "row", "group", "row", "part", "part"]
    assert [v for k, v in slots if k == "group"] == ["supported", "mixed"]
    mixed = style.VERDICT_COLORS["mixed"]
    assert mixed not in (style.VERDICT_COLORS["supported"], style.VERDICT_COLORS["inconclusive"])
    mpl = forest.forest(rows)
    labels = [t.get_text() for t in mpl.axes[0].get_yticklabels()]
    assert "\u2013 He beats Xavier" in labels and "\u2013 Xavier beats uniform" in labels
    figures.plt.close(mpl)


def test_forest_labels_and_values_never_overlap():
    rows = []
    for i in range(14):
        t = _result("superiority", 1.0 + i, (0.5 + i, 1.5 + i), 0.3 * (i + 1), margin=1.0, name=f"part {i}")
        parts = [_part(t, "supported")] + ([_part(dataclasses.replace(t, name="second part"), "refuted")] if i % 3 == 0
                                          else [])
        rows.append(_row(f"{i + 1}. a claim title long enough to wrap over two lines of the label column",
                         "mixed" if len(parts) > 1 else "supported", *parts))
    mpl = forest.forest(rows)
    mpl.canvas.draw()
    renderer = mpl.canvas.get_renderer()
    for ax in mpl.axes:
        boxes = [t.get_window_extent(renderer) for t in ax.texts + ax.get_yticklabels() if t.get_text()]
        for b1, b2 in itertools.combinations(boxes, 2):
            assert not b1.overlaps(b2), (b1, b2)
    figures.plt.close(mpl)


def test_native_text_is_estimate_interval_unit_and_boundary():
    t = _result("noninferiority", -0.25, (-0.9, 0.4), -0.1, margin=2.0)
    assert drawing.part_text(t) == "\u22120.250 [\u22120.900, 0.400] % points; margin \u22122"
