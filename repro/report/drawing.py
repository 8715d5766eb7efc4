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
from .export import jsonable
from .text import num, with_unit
from .style import is_png
from ..claim import Figure as ClaimFigure
from ..protocol.cache import atomic_write
from ..protocol.results import ClaimResult, RunResult
from ..protocol import tuning as _tuning
from ..protocol.tuning import Tuning

FIGURE_CACHE_FORMAT = 2  # bump when a cached figure's PNG would change for reasons the key misses
                         # 2: palette-quantised PNG at 110 dpi, Okabe-Ito colours and markers
DRAWING_MODULES = ("figures.py", "style.py", "forest.py", "panels.py", "drawing.py", "../metrics.py", "../claim.py")


def _content_key(*parts, sort_keys: bool = False) -> str:
    """Hash of what a cached figure's pixels depend on: `parts`, the cache format, matplotlib's
    version and the drawing code."""
    blob = json.dumps([FIGURE_CACHE_FORMAT, matplotlib.__version__, *parts, _drawing_code()], sort_keys=sort_keys)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def _valid(path: Path, data: bytes) -> bool:
    """Whether a cached file holds what its suffix says: a whole PNG, or JSON."""
    if path.suffix == ".png":
        return is_png(data)
    try:
        json.loads(data)
    except ValueError:
        return False
    return True


def _cached_bytes(path: Path | None, draw: Callable[[], tuple[bytes, str | None]]) -> tuple[bytes, str | None]:
    """A figure's bytes (PNG, or the opening figure's JSON) from `path` when an identical one was drawn
    before and the file is whole; otherwise draw() -> (bytes, error), kept at `path` only when drawn
    without error (a corrupted cached file is drawn again and replaced, never served)."""
    if path is not None and path.exists():
        data = path.read_bytes()
        if _valid(path, data):
            return data, None
    png, err = draw()
    if path is not None and err is None:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, png)
    return png, err


def claim_level(cr: ClaimResult) -> float:
    """The interval level of a claim's figures: that of its first test with a t-interval (its parts
    come first), so that a figure's bands match the test they illustrate."""
    for t in cr.tests:
        if t.ci_method == "t" and 0.0 < t.ci_level < 1.0:
            return float(t.ci_level)
    return figures.DEFAULT_LEVEL


def declared_figure(cr: ClaimResult, index: int) -> ClaimFigure:
    """The claim's figure `index` as drawn: its options, with the claim's interval level unless it sets one."""
    f = cr.claim.figures[index]
    if "level" in f.options:
        return f
    return dataclasses.replace(f, options={**f.options, "level": claim_level(cr)})


def figure_key(cr: ClaimResult, index: int) -> str | None:
    """Content hash of a figure's PNG: the claim module's text, the figure's position and interval
    level, its conditions' colours, markers and records (their cache keys), and the drawing code.
    None when a record has no cache key (nothing to key a cached image on)."""
    names = cr.claim.figures[index].conditions or tuple(cr.claim.conditions)
    keys = [cr.cache_keys.get(n) for n in cr.claim.conditions]
    if not cr.claim.source or not all(keys):
        return None
    return _content_key(cr.claim.source, index, claim_level(cr), keys,
                        [(figures.color(n), figures.marker(n)) for n in names])


def figure_png(cr: ClaimResult, index: int, cache_dir: Path | None) -> tuple[bytes, str | None]:
    """A claim's figure as PNG bytes (and its drawing error, if any), reused from `cache_dir`."""
    key = figure_key(cr, index) if cache_dir is not None else None

    def draw():
        mpl, err = figures.draw(declared_figure(cr, index), cr.records)
        return figures.to_png(mpl), err

    return _cached_bytes(cache_dir / f"{key}.png" if key else None, draw)


def _seeds_text(cr: ClaimResult, names) -> str:
    """The seed count of a figure's conditions ("24", or "12-24" when they differ)."""
    counts = sorted({cr.records[n].n_seeds for n in names if n in cr.records})
    if not counts:
        return "0"
    return str(counts[0]) if len(counts) == 1 else f"{counts[0]}-{counts[-1]}"


def _claim_name(cr: ClaimResult) -> str:
    c = cr.claim
    return f"Claim {c.number} ({c.title})" if c.number else f"Claim {c.id} ({c.title})"


def caption(cr: ClaimResult, index: int) -> str:
    """A declared figure's caption: the claim's number, the claim file's caption, and what the figure
    shows of the seeds (their number, what a band or bar is, at the test's level)."""
    f = declared_figure(cr, index)
    names = f.conditions or tuple(cr.claim.conditions)
    head = f"Claim {cr.claim.number}." if cr.claim.number else f"Claim {cr.claim.id}."
    text = " ".join(p for p in (head, f.caption.strip(), figures.statistics_text(f, _seeds_text(cr, names))) if p)
    return text


def alt_text(cr: ClaimResult, title: str, names) -> str:
    """A figure's alt text: its claim, what it shows, and for which conditions."""
    shown = ", ".join(names)
    return f"{_claim_name(cr)}, figure: {title.rstrip('.')}" + (f"; conditions: {shown}." if shown else ".")


def claim_figures(cr: ClaimResult, figure_cache: Path | None) -> list[dict]:
    """Every figure of a claim's section, declared then protocol figures: {"title", "caption", "alt",
    "src" (data URI), "error"}. A claim in error has none (its traceback is its evidence)."""
    if cr.verdict == "error":
        return []
    out = []
    for i, f in enumerate(cr.claim.figures):
        png, err = figure_png(cr, i, figure_cache)
        out.append({"title": f.title, "caption": caption(cr, i), "src": figures.png_data_uri(png), "error": err,
                    "alt": alt_text(cr, f.title, f.conditions or tuple(cr.claim.conditions))})
    return out + protocol_figures(cr, figure_cache)


def figure_errors(cr: ClaimResult, figure_cache: Path | None = None) -> list[str]:
    """Draw (or reuse from `figure_cache`) every figure of a claim; the errors of those that cannot
    be drawn, one line each naming the figure. Empty for a claim already in error."""
    if cr.verdict == "error":
        return []
    errors = []
    for i, f in enumerate(cr.claim.figures):
        _, err = figure_png(cr, i, figure_cache)
        if err:
            errors.append(f"figure {i + 1} ({f.kind}, {f.title!r}) cannot be drawn: {err}")
    errors += [f"figure {d['title']!r} cannot be drawn: {d['error']}" for d in protocol_figures(cr, figure_cache)
               if d["error"]]
    return errors


def mark_figure_errors(run: RunResult, figure_cache: Path | None = None) -> list[str]:
    """Make every claim with a figure that cannot be drawn an error of the run (verdict "error", the
    figures' errors as its error text); returns the ids of the claims it marked."""
    figures.reset_colors([list(cr.claim.conditions) for cr in run.claims])  # as render_html: the same cache keys
    marked = []
    for cr in run.claims:
        errors = figure_errors(cr, figure_cache)
        if errors:
            cr.verdict, cr.error = "error", "\n".join(errors)
            marked.append(cr.claim.id)
    return marked


def _tuning_png(tuned: dict) -> tuple[bytes, str | None]:
    """The tuning-curve figure, or a placeholder and the error."""
    try:
        return figures.to_png(figures.tuning_curves(tuned)), None
    except Exception as e:  # the claim fails with this error
        figures.plt.close("all")
        return figures.to_png(figures.placeholder("tuning curves", e)), f"{type(e).__name__}: {e}"


def _convergence_text(tuned: dict) -> str:
    """How the protocol checks that the budget trained the arms to convergence (at twice the budget,
    drawn as triangles in the tuning figure)."""
    if any(getattr(t, "doubled", None) is not None for t in tuned.values()):
        return (" Convergence is checked by training the tuning seeds at twice the step budget at the selected rate "
                "(the tuning figure's triangles).")
    return ""


def protocol_figures(cr: ClaimResult, figure_cache: Path | None) -> list[dict]:
    """The protocol's evidence for a claim with tuned conditions: tuning curves (validation
    accuracy against learning rate) and validation learning curves at the selected rates."""
    tuned = {n: t for n, t in cr.tunings.items() if isinstance(t, Tuning)}
    if cr.verdict == "error" or not tuned:
        return []
    out = []
    key = _content_key("tuning", {n: t.curve for n, t in tuned.items()},
                       [(figures.color(n), figures.marker(n)) for n in tuned])
    png, err = _cached_bytes(figure_cache / f"{key}.png" if figure_cache else None, lambda: _tuning_png(tuned))
    title = "Tuning curves: validation accuracy against learning rate"
    out.append({"title": title, "src": figures.png_data_uri(png), "error": err, "alt": alt_text(cr, title, tuned),
                "caption": f"Claim {cr.claim.number}. Successive halving on tuning seeds disjoint from the "
                           "confirmatory ones (each point: the mean validation accuracy of those seeds); the ringed "
                           "rate was used for the confirmatory runs."})
    level = claim_level(cr)
    fig = ClaimFigure("curves", "Validation accuracy over training at the selected rates",
                      conditions=tuple(n for n in tuned if n in cr.records),
                      options={"value": "val_acc", "ylabel": "validation accuracy", "level": level})
    keys = [cr.cache_keys.get(n) for n in fig.conditions]
    key = _content_key("learning", keys, level, [(figures.color(n), figures.marker(n)) for n in fig.conditions])

    def draw():
        mpl, err = figures.draw(fig, cr.records)
        return figures.to_png(mpl), err

    png, err = _cached_bytes(figure_cache / f"{key}.png" if figure_cache else None, draw)
    out.append({"title": fig.title, "src": figures.png_data_uri(png), "error": err,
                "alt": alt_text(cr, fig.title, fig.conditions),
                "caption": f"Claim {cr.claim.number}. {figures.statistics_text(fig, _seeds_text(cr, fig.conditions))}"
                           + _convergence_text(tuned)})
    return out


@functools.lru_cache(maxsize=1)
def _drawing_code() -> str:
    """The source of the modules a figure's pixels depend on (read once per process)."""
    return "".join((Path(__file__).parent / f).read_text() for f in DRAWING_MODULES)


def claim_parts(cr: ClaimResult) -> list:
    """A claim's co-primary parts (ClaimResult.parts), or its primary test where parts are not known."""
    parts = list(getattr(cr, "parts", None) or [])
    return parts or list(cr.tests[:1])


def forest_rows(run: RunResult) -> list[dict]:
    """One forest row per claim under its numbered title, with one entry per part: its name, verdict,
    result (None for an identity test: a rounding gap has no d_z) and its value in native units.
    "result" is the first part's; "note" says what the plot shows where there is no point."""
    rows = []
    for cr in run.claims:
        parts = [] if cr.verdict == "error" else claim_parts(cr)
        single = len(parts) == 1
        entries = [{"name": t.name, "verdict": cr.verdict if single else _part_verdict(t, cr),
                    "result": t if t.kind != "identity" else None, "text": part_text(t)} for t in parts]
        label = f"{cr.claim.number}. {cr.claim.title}" if cr.claim.number else cr.claim.title
        rows.append({"label": label, "verdict": cr.verdict, "parts": entries,
                     "result": entries[0]["result"] if entries else None, "note": forest_note(cr)})
    return rows


def _part_verdict(t, cr: ClaimResult) -> str:
    """A part's own verdict (the claim's while the test carries none)."""
    v = getattr(t, "verdict", None)
    return v if v in figures.VERDICT_COLORS and v != "pending" else cr.verdict


def part_text(t) -> str:
    """A test's value in native units for the forest plot's text column, in one short line:
    "estimate [interval] unit" and the boundary that decides it."""
    lo, hi = t.ci
    interval = f"{num(t.estimate)} [{num(lo)}, {num(hi)}]" + (f" {t.unit}" if t.unit else "")
    if t.kind == "identity":
        return f"largest |difference| {with_unit(t.estimate, t.unit)}; tolerance {num(t.margin)}"
    if t.kind == "threshold":
        what = "geometric mean " if t.details.get("scale") == "log10" else ""
        side = {"below": "<", "above": ">"}.get(t.details.get("direction"), "vs")
        return f"{what}{interval}; claim {side} \u03c4 = {num(t.tau)}"
    bound = {"equivalence": "\u00b1", "noninferiority": "\u2212", "superiority": "+", "trend": "+"}.get(t.kind, "")
    return interval + (f"; margin {bound}{num(t.margin)}" if t.margin else "")


def forest_note(cr: ClaimResult) -> str:
    """What the forest plot says of a claim where it has no point: an error, or an identity test."""
    if not cr.tests or cr.verdict == "error":
        return "no result: the experiment failed"
    t = claim_parts(cr)[0]
    if t.kind == "identity":
        lead = "identical to rounding" if cr.verdict == "supported" else "exact identity test"
        return f"{lead}: {part_text(t)}"
    return part_text(t)


def forest_figure(run: RunResult, figure_cache: Path | None = None) -> str:
    """The forest plot of every claim's parts, reused from `figure_cache` when the same rows were drawn."""
    rows = forest_rows(run)
    path = None
    if figure_cache is not None:
        drawn = [[r["label"], r["verdict"], r["note"],
                  [[p["name"], p["verdict"], p["text"],
                    jsonable(dataclasses.replace(p["result"], details={})) if p["result"] else None]
                   for p in r["parts"]]] for r in rows]
        path = figure_cache / f"forest-{_content_key(drawn, sort_keys=True)}.png"
    png, _ = _cached_bytes(path, lambda: (figures.to_png(figures.forest(rows)), None))
    return figures.png_data_uri(png)


def forest_alt(run: RunResult) -> str:
    """The forest plot's alt text: every claim's verdict and its parts' values in native units."""
    lines = []
    for r in forest_rows(run):
        parts = "; ".join(f"{p['name']}: {p['verdict']}, {p['text']}" for p in r["parts"]) or r["note"]
        lines.append(f"{r['label']}: {r['verdict']} ({parts})")
    return "Forest plot of every claim's effect. " + " ".join(lines)


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
