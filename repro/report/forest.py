"""The forest plot: every claim's parts on one standardized axis, beside their values in native units.

Each claim is a row (its title); a claim with several co-primary parts gets one sub-row per part.
The axis is d_z (the estimate over the per-seed SD, positive = the claim's direction; for a
threshold test, the distance beyond tau over the SD), on a symmetric-log scale. Each kind of test
shows the boundary that decides it: one tick at +margin for a one-sided superiority or trend test,
at -margin for non-inferiority, a shaded band for equivalence, tau (at 0) for a threshold. Points
whose d_z is too large to mean anything (a threshold far from tau on a tiny spread) are drawn off
scale at the axis edge; their native-unit text says what they are.
"""
from __future__ import annotations

import math
import textwrap
from typing import Sequence

import matplotlib
import numpy as np
from matplotlib.figure import Figure as MplFigure

from .style import STYLE, VERDICT_COLORS, WIDTH_IN, placeholder, plt

VERDICT_ORDER = ("supported", "mixed", "refuted", "inconclusive", "error")
FOREST_LABEL_CHARS = 40   # a single-part claim's title wraps at this width (two lines); it is never cut
HEAD_CHARS = 44           # a multi-part claim's title: one line above its parts (the summary has it whole)
PART_CHARS = 40           # a part's name: one line
TEXT_CHARS = 50           # the native-unit column wraps here (a wrapped entry gets a taller slot)
OFF_SCALE = 50.0          # |d_z| beyond this is drawn at the axis edge as "off scale"
SLOT_IN = {"group": 0.2, "row": 0.3, "head": 0.2, "part": 0.19, "part2": 0.27}  # inches per slot


def _finite(v) -> bool:
    return v is not None and isinstance(v, (int, float, np.floating, np.integer)) and math.isfinite(v)


def oriented(result) -> tuple[float, float, float] | None:
    """A test's point and interval on its tested scale, positive = the claim's direction: the estimate
    and ci, or for a threshold test the distance beyond tau and its interval."""
    if getattr(result, "kind", "") == "threshold" and _finite(getattr(result, "distance_to_tau", None)):
        from ..verdicts import decision_interval
        lo, hi = decision_interval(result)
        return float(result.distance_to_tau), float(lo), float(hi)
    lo, hi = result.ci
    return result.estimate, lo, hi


def standardize(result) -> dict | None:
    """A TestResult on the forest plot's common scale: d_z-like units (the oriented point over the
    per-seed SD, the SD recovered as point / effect_size). Falls back to units of the margin when no
    effect size is available. None when the result cannot be placed. A threshold test's point is the
    mean's distance beyond tau ("beyond_tau"), tau at 0."""
    values = oriented(result)
    if values is None:
        return None
    est, lo, hi = values
    es = result.effect_size
    bound = result.margin if result.margin else None
    if all(_finite(v) for v in (est, lo, hi, es)) and es != 0 and est != 0:
        s, scale = abs(est / es), "d"
    elif all(_finite(v) for v in (est, lo, hi)) and bound:
        s, scale = abs(bound), "margin"
    else:
        return None
    return {"x": est / s, "lo": lo / s, "hi": hi / s, "margin": (abs(bound) / s) if bound else None, "scale": scale,
            "beyond_tau": getattr(result, "kind", "") == "threshold", "kind": getattr(result, "kind", "")}


def forest_layout(rows: Sequence[dict]) -> list[tuple[str, object]]:
    """Top-to-bottom slots of the forest plot: ("group", verdict) headings, then ("row", row) for
    each claim of that verdict in the order given, followed by ("part", (row, part)) for each of
    its parts when it has more than one. Verdicts follow VERDICT_ORDER."""
    slots: list[tuple[str, object]] = []
    for verdict in VERDICT_ORDER + tuple(sorted({r["verdict"] for r in rows} - set(VERDICT_ORDER))):
        group = [r for r in rows if r["verdict"] == verdict]
        if group:
            slots.append(("group", verdict))
            for r in group:
                slots.append(("row", r))
                parts = r.get("parts") or []
                if len(parts) > 1:
                    slots += [("part", (r, p)) for p in parts]
    return slots


def forest_height(slots: Sequence[tuple[str, object]]) -> float:
    """Figure height in inches for the slots (plus the axis and its two-line label)."""
    return 1.05 + sum(_height(slot) for slot in slots)


def _height(slot: tuple[str, object]) -> float:
    """A slot's height: a claim with several parts has a one-line title ("head") above them."""
    kind, item = slot
    if kind == "row" and len(item.get("parts") or []) > 1:
        return SLOT_IN["head"]
    if kind == "part" and len(_wrapped(item[1].get("text") or "")) > 1:
        return SLOT_IN["part2"]
    return SLOT_IN[kind]


def _wrapped(text: str) -> list[str]:
    return textwrap.wrap(text, TEXT_CHARS)[:3]


def _symlog_limit(placed: Sequence[dict]) -> float:
    """Half-width of the symmetric-log axis: every interval end and margin, with room for the marker."""
    ends = [abs(v) for s in placed for v in (s["lo"], s["hi"], s["x"], s["margin"] or 0.0)]
    return max(3.0, 1.6 * max(ends, default=1.0))


def _symlog_ticks(lim: float) -> list[float]:
    """0, +-1, +-3, +-10, ... up to `lim` (only powers of ten beyond 20): symlog ticks that do not collide."""
    steps = [m * 10 ** e for e in range(0, 7) for m in ((1, 3) if lim < 20 else (1,))]
    pos = [v for v in steps if v <= lim]
    return sorted([-v for v in pos] + [0.0] + pos)


def _dz_text(s: dict) -> str:
    """A point's value as printed (d_z, or units of the margin)."""
    v = f"{s['x']:.2g}" if abs(s["x"]) < 100 else f"{s['x']:.0f}"
    text = f"d_z {v}" if s["scale"] == "d" else f"{v} margins"
    if s.get("beyond_tau"):
        text += " (distance beyond \u03c4)"
    return text.replace("-", "\u2212")


def _on_scale(s: dict | None) -> bool:
    return s is not None and all(abs(s[k]) <= OFF_SCALE for k in ("x", "lo", "hi"))


def _part_of(slot: tuple[str, object]) -> dict | None:
    """The part a slot draws: a part row's part, a single-part claim's only part, else None."""
    kind, item = slot
    if kind == "part":
        return item[1]
    if kind == "row":
        parts = item.get("parts") or []
        if len(parts) == 1:
            return parts[0]
        if not parts and item.get("result") is not None:
            return {"name": "", "verdict": item["verdict"], "result": item["result"], "text": item.get("note", "")}
    return None


def forest(rows: Sequence[dict]) -> MplFigure:
    """The overview: claims grouped and coloured by verdict, their parts as sub-rows, each point on a
    symmetric-log d_z axis with the boundary that decides its test, and an "estimate [CI] unit" column.
    rows: {"label", "verdict", "parts": [{"name", "verdict", "result": TestResult | None, "text"}],
    "note": shown where there is no point}."""
    slots = forest_layout(rows)
    if not slots:
        return placeholder("forest plot", "no claim to show")
    with plt.rc_context(STYLE):
        fig = plt.figure(figsize=(WIDTH_IN, forest_height(slots)))
        ax, tx = fig.subplots(1, 2, gridspec_kw={"width_ratios": (1.0, 1.05), "wspace": 0.02})
        placed = [(slot, _part_of(slot)) for slot in slots]
        points = {id(p): standardize(p["result"]) for _, p in placed if p is not None and p.get("result") is not None}
        lim = _symlog_limit([s for s in points.values() if _on_scale(s)])
        heights = [_height(slot) for slot in slots]
        ys = np.cumsum(heights[::-1])[::-1] - np.array(heights) / 2  # slot centres, top slot highest
        top = float(sum(heights))
        labels = []
        for y, h, (slot, part) in zip(ys, heights, placed):
            kind, item = slot
            labels.append(_label(slot, rows))
            if kind == "group":
                ax.axhspan(y - h / 2, y + h / 2, color=VERDICT_COLORS.get(item, "#6e7781"), alpha=0.07, linewidth=0)
                tx.axhspan(y - h / 2, y + h / 2, color=VERDICT_COLORS.get(item, "#6e7781"), alpha=0.07, linewidth=0)
                continue
            if part is None:
                if kind == "row" and not item.get("parts") and item.get("result") is None:
                    _text_cell(tx, y, item.get("note") or "no estimate", VERDICT_COLORS.get(item["verdict"]), italic=True)
                continue
            s = points.get(id(part))
            _point(ax, y, h, part, s, lim)
            _text_cell(tx, y, part.get("text") or "", VERDICT_COLORS.get(part["verdict"], "#6e7781"),
                       italic=s is None or not _on_scale(s))
        _axes(ax, tx, ys, labels, slots, lim, top)
        return fig


def _label(slot: tuple[str, object], rows: Sequence[dict]) -> str:
    """A slot's y tick label: a heading with its count, a wrapped claim title, or an indented part name."""
    kind, item = slot
    if kind == "group":
        return f"{item.upper()} ({sum(1 for r in rows if r['verdict'] == item)})"
    if kind == "row" and len(item.get("parts") or []) > 1:
        return textwrap.shorten(item["label"], HEAD_CHARS, placeholder="\u2026")
    if kind == "row":
        return "\n".join(textwrap.wrap(item["label"], FOREST_LABEL_CHARS))
    return "\u2013 " + textwrap.shorten(item[1]["name"], PART_CHARS, placeholder="\u2026")


def _point(ax, y: float, h: float, part: dict, s: dict | None, lim: float) -> None:
    """A part's boundary, interval and estimate; off scale: a triangle at the axis edge."""
    c = VERDICT_COLORS.get(part["verdict"], "#6e7781")
    if s is None:
        return
    if not _on_scale(s):
        edge = math.copysign(lim * 0.97, s["x"])
        ax.plot(edge, y, ">" if s["x"] > 0 else "<", color=c, markersize=6)
        ax.text(edge, y + h * 0.28, "off scale", ha="right" if s["x"] > 0 else "left",
                va="bottom", fontsize=5.8, color="#444444")
        return
    _boundary(ax, y, h, s)
    ax.plot([s["lo"], s["hi"]], [y, y], color=c, linewidth=2.0, solid_capstyle="butt", zorder=3)
    ax.plot(s["x"], y, "D", color=c, markersize=5, markerfacecolor=c if s["scale"] == "d" else "white", zorder=4)


def _boundary(ax, y: float, h: float, s: dict) -> None:
    """The boundary that decides the test: +margin (one-sided superiority, trend), -margin
    (non-inferiority), the band +-margin (equivalence), tau at 0 (threshold)."""
    m, kind, half = s["margin"], s.get("kind", ""), h * 0.38
    if kind == "equivalence" and m:
        ax.fill_between([-m, m], y - half, y + half, color="#bbbbbb", alpha=0.45, linewidth=0, zorder=1)
    elif kind == "noninferiority" and m:
        ax.plot([-m, -m], [y - half, y + half], color="#333333", linewidth=1.2, zorder=2)
    elif kind in ("superiority", "trend") and m:
        ax.plot([m, m], [y - half, y + half], color="#333333", linewidth=1.2, zorder=2)
    elif kind == "threshold":
        ax.plot([0, 0], [y - half, y + half], color="#333333", linewidth=1.2, zorder=2)


def _text_cell(tx, y: float, text: str, color: str | None, italic: bool = False) -> None:
    """The native-unit column: "estimate [CI] unit" (wrapped to the column)."""
    tx.text(0.02, y, "\n".join(_wrapped(text)), ha="left", va="center", fontsize=6,
            color=color or "#333333", style="italic" if italic else "normal")


def _axes(ax, tx, ys, labels, slots, lim: float, top: float) -> None:
    """Ticks, limits and labels of the plot and of the text column."""
    ax.set_xscale("symlog", linthresh=1.0, linscale=0.8)
    ax.set_xlim(-lim, lim)
    ax.set_yticks(ys, labels, fontsize=6.8)
    for tick, (kind, item) in zip(ax.get_yticklabels(), slots):
        if kind == "group":
            tick.set_fontweight("bold")
            tick.set_color(VERDICT_COLORS.get(item, "#6e7781"))
        elif kind == "part":
            tick.set_fontsize(6.2)
            tick.set_color("#444444")
    ax.tick_params(axis="y", length=0)
    for a in (ax, tx):
        a.set_ylim(0, top)
    ax.grid(axis="y", visible=False)
    ax.axvline(0, color="#888888", linewidth=0.7, zorder=0)
    ax.set_xticks(_symlog_ticks(lim))
    ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}".replace("-", "\u2212")))
    ax.set_xlabel("standardized effect d_z (estimate / per-seed SD; symmetric-log axis, linear within \u00b11);\n"
                  "positive = the claim's direction. Bar: the test's interval; |: the margin a one-sided test\n"
                  "must clear (threshold: \u03c4); grey band: an equivalence margin; \u25b8: off scale", fontsize=6.5)
    tx.set_xlim(0, 1)
    tx.axis("off")
    tx.text(0.02, top, "estimate [interval] in the metric's unit", ha="left", va="bottom", fontsize=6.5,
            weight="bold", color="#333333")
