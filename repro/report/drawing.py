"""Drawing a report's figures: every claim's declared figures, the protocol's figures (tuning and
learning curves), the forest plot and the opening figure, as PNG bytes reused from a content-keyed
figure cache.

Moved out of render.py (which formats numbers and lays out the report) so that the figures have one
owner; render.py imports these names.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from pathlib import Path
from typing import Callable

import matplotlib
import numpy as np

from . import blogpost, figures
from ..claim import Figure as ClaimFigure
from ..protocol.cache import atomic_write
from ..protocol.results import ClaimResult, RunResult
from ..protocol.tuning import PLATEAU_AT, PLATEAU_GAIN, Tuning

FIGURE_CACHE_FORMAT = 1  # bump when a cached figure's PNG would change for reasons the key misses


def _content_key(*parts, sort_keys: bool = False) -> str:
    """Hash of what a cached figure's pixels depend on: `parts`, the cache format, matplotlib's
    version and the drawing code."""
    blob = json.dumps([FIGURE_CACHE_FORMAT, matplotlib.__version__, *parts, _drawing_code()], sort_keys=sort_keys)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def _cached_bytes(path: Path | None, draw: Callable[[], tuple[bytes, str | None]]) -> tuple[bytes, str | None]:
    """A figure's bytes (PNG, or the opening figure's JSON) from `path` when an identical one was drawn
    before; otherwise draw() -> (bytes, error), kept at `path` only when drawn without error."""
    if path is not None and path.exists():
        return path.read_bytes(), None
    png, err = draw()
    if path is not None and err is None:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, png)
    return png, err


def figure_key(cr: ClaimResult, index: int) -> str | None:
    """Content hash of a figure's PNG: the claim module's text, the figure's position, its
    conditions' colours and records (their cache keys), and the drawing code. None when a record
    has no cache key (nothing to key a cached image on)."""
    names = cr.claim.figures[index].conditions or tuple(cr.claim.conditions)
    keys = [cr.cache_keys.get(n) for n in cr.claim.conditions]
    if not cr.claim.source or not all(keys):
        return None
    return _content_key(cr.claim.source, index, keys, [figures.color(n) for n in names])


def figure_png(cr: ClaimResult, index: int, cache_dir: Path | None) -> tuple[bytes, str | None]:
    """A claim's figure as PNG bytes (and its drawing error, if any), reused from `cache_dir`."""
    key = figure_key(cr, index) if cache_dir is not None else None

    def draw():
        mpl, err = figures.draw(cr.claim.figures[index], cr.records)
        return figures.to_png(mpl), err

    return _cached_bytes(cache_dir / f"{key}.png" if key else None, draw)


def protocol_figures(cr: ClaimResult, figure_cache: Path | None) -> list[dict]:
    """The protocol's evidence for a claim with tuned conditions: tuning curves (validation
    accuracy against learning rate) and validation learning curves at the selected rates."""
    tuned = {n: t for n, t in cr.tunings.items() if isinstance(t, Tuning)}
    if cr.verdict == "error" or not tuned:
        return []
    out = []
    key = _content_key("tuning", {n: t.curve for n, t in tuned.items()}, [figures.color(n) for n in tuned])
    png, err = _cached_bytes(figure_cache / f"{key}.png" if figure_cache else None,
                           lambda: (figures.to_png(figures.tuning_curves(tuned)), None))
    out.append({"title": "Tuning curves: validation accuracy against learning rate", "src": figures.png_data_uri(png),
                "caption": "Successive halving on tuning seeds disjoint from the confirmatory ones; the ringed rate "
                           "was used for the confirmatory runs.", "error": err})
    fig = ClaimFigure("curves", "Validation accuracy over training at the selected rates (plateau check)",
                      conditions=tuple(n for n in tuned if n in cr.records),
                      options={"value": "val_acc", "ylabel": "validation accuracy"})
    keys = [cr.cache_keys.get(n) for n in fig.conditions]
    key = _content_key("learning", keys, [figures.color(n) for n in fig.conditions])

    def draw():
        mpl, err = figures.draw(fig, cr.records)
        return figures.to_png(mpl), err

    png, err = _cached_bytes(figure_cache / f"{key}.png" if figure_cache else None, draw)
    out.append({"title": fig.title, "src": figures.png_data_uri(png), "error": err,
                "caption": f"Mean and 95% band over the confirmatory seeds. Plateau criterion: the validation "
                           f"accuracy of the last three evaluations is less than {PLATEAU_GAIN:g} point above the "
                           f"three ending at {100 * PLATEAU_AT:.0f}% of the budget."})
    return out


@functools.lru_cache(maxsize=1)
def _drawing_code() -> str:
    """The source of the modules a figure's pixels depend on (read once per process)."""
    return "".join((Path(__file__).parent / f).read_text() for f in ("figures.py", "../metrics.py", "../claim.py"))


def forest_rows(run: RunResult) -> list[dict]:
    """One forest row per claim: its primary test under its numbered title; claims whose primary
    cannot be standardized (identity, error) carry a note in native units instead of a point."""
    rows = []
    for cr in run.claims:
        t = cr.tests[0] if cr.tests and cr.tests[0].kind != "identity" else None  # a rounding gap has no d_z
        label = f"{cr.claim.number}. {cr.claim.title}" if cr.claim.number else cr.claim.title
        rows.append({"label": label, "verdict": cr.verdict, "result": t, "note": forest_note(cr)})
    return rows


def forest_note(cr: ClaimResult) -> str:
    """What the forest plot says in place of a point that has no d_z."""
    from .render import measured, measured_name, num, with_unit
    if not cr.tests:
        return "no result: the experiment failed"
    t = cr.tests[0]
    if t.kind == "identity":
        lead = "identical to rounding" if cr.verdict == "supported" else "exact identity test"
        return f"{lead}: largest |difference| {with_unit(t.estimate, t.unit)} (tolerance {num(t.margin)})"
    value = measured(t)
    if value is not None:
        return (f"threshold: {measured_name(t)} {with_unit(value[0], t.unit)} "
                f"[{num(value[1][0])}, {num(value[1][1])}], τ {num(t.tau)}; no effect size")
    return f"{t.kind}: estimate {with_unit(t.estimate, t.unit)}, no effect size"


def forest_figure(run: RunResult, figure_cache: Path | None = None) -> str:
    """The forest plot of every claim's primary test, reused from `figure_cache` when the same
    rows were drawn."""
    from .render import jsonable
    rows = forest_rows(run)
    path = None
    if figure_cache is not None:
        drawn = [[r["label"], r["verdict"], r["note"],
                  jsonable(dataclasses.replace(r["result"], details={})) if r["result"] else None] for r in rows]
        path = figure_cache / f"forest-{_content_key(drawn, sort_keys=True)}.png"
    png, _ = _cached_bytes(path, lambda: (figures.to_png(figures.forest(rows)), None))
    return figures.png_data_uri(png)


def post_figure(figure_cache: Path | None = None) -> dict:
    """The opening figure: the post's batch-norm gradient histograms with its own backward ("as
    published") and the correct one, from repro.report.blogpost (fixed seeds, no training), with the numbers
    its caption quotes; reused from `figure_cache` while blogpost's and the drawing code are unchanged."""
    path = None
    if figure_cache is not None:
        path = figure_cache / f"post-{_content_key('post', (Path(__file__).parent / 'blogpost.py').read_text())}.json"

    def draw() -> tuple[bytes, str | None]:
        view = _post_view()
        return json.dumps(view).encode(), view["error"]

    return json.loads(_cached_bytes(path, draw)[0])


@functools.lru_cache(maxsize=1)
def _post_view() -> dict:
    """post_figure's content, computed (a few seconds)."""
    try:
        st = blogpost.study()
        png, err = figures.to_png(figures.post_gradients(st)), None
    except Exception as e:  # a broken figure must not kill the report
        plt_fig = figures.placeholder("the post's gradients, as published and corrected", e)
        return {"src": figures.png_data_uri(figures.to_png(plt_fig)), "error": f"{type(e).__name__}: {e}"}
    i = st["layers"].index(18)
    span = {f: f"{v[:, i].min():.1f}–{v[:, i].max():.1f}" for f, v in st["var"].items()}
    growth = {f: f"{g.mean():.2f}" for f, g in st["growth"].items()}
    at_input = np.exp(np.mean(np.log(st["growth"]["published"] / st["growth"]["correct"]) * (len(st["layers"]))))
    return {"src": figures.png_data_uri(png), "error": err, "n_seeds": len(st["seeds"]),
            "post_layer3": f"{blogpost.POST_PANELS[18]:.2f}", "span": span, "growth": growth,
            "at_input": f"{at_input:,.0f}",
            "fd_published": f"{100 * st['fd_error']['published']:.0f}%", "fd_correct": f"{st['fd_error']['correct']:.0e}"}
