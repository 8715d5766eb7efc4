"""Figures of the report: one small function per `Figure.kind`, all in one matplotlib style.

`FIGURES[kind](fig, records) -> matplotlib.figure.Figure` reads the record names documented in
repro.engine.record. Add a kind by adding a function to FIGURES. `draw` wraps a call so that a figure
that cannot be drawn becomes a placeholder that shows the error instead of killing the report.
Colours are per condition *name* (`color`), so a name has the same colour in every figure.
"""
from __future__ import annotations

import base64
import io
import math
import textwrap
from typing import Callable, Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure as MplFigure  # noqa: E402
from scipy import stats as sps  # noqa: E402

from ..claim import Figure, Metric  # noqa: E402
from ..metrics import layer_drift  # noqa: E402
from ..engine.record import Record  # noqa: E402

WIDTH_IN = 6.8  # fits the A4 text width of the print CSS at 100%
STYLE = {
    "figure.dpi": 100, "savefig.dpi": 160, "font.size": 8.5, "axes.titlesize": 9, "axes.labelsize": 8.5,
    "legend.fontsize": 7.5, "xtick.labelsize": 7.5, "ytick.labelsize": 7.5, "axes.spines.top": False,
    "axes.spines.right": False, "axes.grid": True, "grid.color": "#e6e6e6", "grid.linewidth": 0.6,
    "axes.edgecolor": "#555555", "axes.titleweight": "bold", "lines.linewidth": 1.6,
    "legend.frameon": False, "font.family": "DejaVu Sans", "figure.constrained_layout.use": True,
}
# Okabe-Ito (colour-blind safe; its yellow is unreadable on white) then tab10 extras: reused in order of first appearance.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
           "#8c564b", "#7f7f7f", "#bcbd22", "#17becf", "#9467bd", "#d62728",
           "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2")
N_STRONG = 13  # the first colours of PALETTE; the rest are pale
_colors: dict[str, str] = {}
VERDICT_COLORS = {"supported": "#1a7f37", "refuted": "#cf222e", "inconclusive": "#b58100",
                  "error": "#6e7781", "pending": "#6e7781"}


#: Axis labels for the record values figures plot (record.py documents them).
VALUE_LABELS = {
    "probe/act_std": "std after the activation", "probe/norm_std": "std after the normalization",
    "probe/linear_std": "std of the Linear output", "probe/linear_mean": "mean of the Linear output",
    "probe/grad_w_norm": "weight-gradient norm |dL/dW|", "probe/grad_act_norm": "activation-gradient norm",
    "probe/dead_frac": "fraction of dead units", "probe/linear_frac": "fraction of always-active units",
    "probe/within_share": "within-unit share of variance",
    "probe/weight_norm": "weight norm |W|",
    "geometry/ics_dist": "ICS |G - G'| (mean over layers)", "geometry/ics_cos": "cos(G, G') (mean over layers)",
    "geometry/ics_rel": "relative ICS |G - G'| / |G|", "geometry/beta_smooth": "effective beta-smoothness",
    "geometry/ics_applied_rel": "relative ICS |G - G'| / |G| (applied update)",
    "geometry/interaction_rel": "relative interaction",
    "test_acc": "test accuracy", "val_acc": "validation accuracy", "train_acc": "training accuracy",
}


def reset_colors(groups: Sequence[Sequence[str]] = ()) -> None:
    """Forget colour assignments, then colour each group's names (a claim's conditions): a name
    keeps one colour for the whole report, and names of the same group get different colours
    (as long as the palette lasts), the least used colour first."""
    _colors.clear()
    for group in groups:
        taken = {_colors[n] for n in group if n in _colors}
        for n in group:
            if n not in _colors:
                _colors[n] = _least_used(avoid=taken)
                taken.add(_colors[n])


def _least_used(avoid: set[str] = frozenset()) -> str:
    """The least used strong colour not in `avoid`; a pale one only when every strong one is."""
    uses = {c: 0 for c in PALETTE}
    for c in _colors.values():
        uses[c] += 1
    for pool in (PALETTE[:N_STRONG], PALETTE):
        free = [c for c in pool if c not in avoid]
        if free:
            return min(free, key=lambda c: uses[c])  # min is stable: palette order breaks ties
    return min(PALETTE, key=lambda c: uses[c])


def color(name: str) -> str:
    """The colour of a condition (or group) name: fixed at its first use for the whole report."""
    if name not in _colors:
        _colors[name] = _least_used()
    return _colors[name]


def mean_ci(values: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and t-interval over the leading (seed) axis, ignoring NaN (diverged) seeds."""
    v = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        n = np.sum(np.isfinite(v), axis=0)
        masked = np.where(np.isfinite(v), v, np.nan)
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            m = np.nanmean(masked, axis=0)
            sd = np.nanstd(masked, axis=0, ddof=1)
        half = sps.t.ppf(0.5 + level / 2, np.maximum(n - 1, 1)) * sd / np.sqrt(np.maximum(n, 1))
    half = np.where(n > 1, half, 0.0)
    return m, m - half, m + half


def _new(nrows: int = 1, ncols: int = 1, height: float = 2.5, **kw):
    fig = plt.figure(figsize=(WIDTH_IN, height))
    axes = fig.subplots(nrows, ncols, squeeze=False, **kw)
    return fig, axes


def _conditions(fig: Figure, records: Mapping[str, Record]) -> list[str]:
    names = list(fig.conditions) or list(records)
    missing = [n for n in names if n not in records]
    if missing:
        raise KeyError(f"no record for condition(s) {missing}; have {list(records)}")
    return names


#: Line styles by a condition's position in its figure: lines that coincide (e.g. several arms
#: stuck at chance) stay distinguishable, the dashes of a later line letting the earlier show through.
LINESTYLES = ("-", (0, (5, 2)), (0, (1.5, 1.5)), (0, (6, 2, 1.5, 2)))


def linestyle(position: int):
    """The line style of the condition at `position` in a figure."""
    return LINESTYLES[position % len(LINESTYLES)]


def _band(ax, x, values, name: str, label: str | None = None, position: int = 0) -> None:
    m, lo, hi = mean_ci(values)
    c = color(name)
    ax.plot(x, m, color=c, label=label or name, linestyle=linestyle(position))
    ax.fill_between(x, lo, hi, color=c, alpha=0.18, linewidth=0)


def legend_outside(ax, **kw) -> None:
    """The legend to the right of the axes, where it can never cover data."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, **kw)


def _reduce(v: np.ndarray, ndim: int, how) -> np.ndarray:
    """Reduce trailing axes beyond `ndim`: "mean" | "max" | "min" | "median" | an index."""
    while v.ndim > ndim:
        if isinstance(how, int):
            v = v[..., how]
        else:
            fn = {"mean": np.mean, "max": np.max, "min": np.min, "median": np.median}.get(how)
            if fn is None:
                raise ValueError(f"reduce={how!r} is not allowed; choose 'mean', 'max', 'min', 'median' or an int index")
            v = fn(v, axis=-1)
    return v


def _finish(ax, fig: Figure, xlabel: str, ylabel: str, legend: bool = True) -> None:
    ax.set_xlabel(xlabel)
    ax.set_ylabel("\n".join(textwrap.wrap(ylabel, 30)))  # long metric names stay inside the figure
    if fig.options.get("logy"):
        ax.set_yscale("log")
    if fig.options.get("logx"):
        ax.set_xscale("log", base=2)
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    if legend and "legend" in fig.options:  # a claim may still pin it inside
        ax.legend(loc=fig.options["legend"])
    elif legend:
        legend_outside(ax)


def curves(fig: Figure, records: Mapping[str, Record]) -> MplFigure:
    """A value over axes["eval_step"] per condition: mean and 95% t-CI band across seeds."""
    value = fig.options.get("value", "test_acc")
    percent = value.endswith("_acc")  # accuracies in %, like the accuracy metrics of the tests
    out, axes = _new()
    ax = axes[0, 0]
    for i, name in enumerate(_conditions(fig, records)):
        r = records[name]
        v = np.asarray(r[value], dtype=float) * (100.0 if percent else 1.0)
        steps = np.asarray(r.axes.get("eval_step", ()))
        x = steps if v.shape[1] == len(steps) else np.arange(1, v.shape[1] + 1)  # e.g. batch_loss: every step
        _band(ax, x, v, name, position=i)
    ylabel = fig.options.get("ylabel", VALUE_LABELS.get(value, value))
    _finish(ax, fig, "training step", f"{ylabel} (%)" if percent else ylabel)
    return out


def layer_profile(fig: Figure, records: Mapping[str, Record]) -> MplFigure:
    """A per-layer probe statistic vs layer index, at one probe step, mean + CI band."""
    value = fig.options.get("value", "probe/act_std")
    step = fig.options.get("step", -1)
    out, axes = _new()
    ax = axes[0, 0]
    steps = set()
    for i, name in enumerate(_conditions(fig, records)):
        r = records[name]
        v = _reduce(np.asarray(r[value])[:, step], 2, fig.options.get("reduce", "mean"))  # (K, L)
        _band(ax, np.arange(1, v.shape[1] + 1), v, name, position=i)
        if "probe_step" in r.axes:
            steps.add(int(np.asarray(r.axes["probe_step"])[step]))
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    when = f" (step {', '.join(map(str, sorted(steps)))})" if steps else ""
    _finish(ax, fig, "layer", fig.options.get("ylabel", VALUE_LABELS.get(value, value)) + when)
    return out


def layer_histograms(fig: Figure, records: Mapping[str, Record]) -> MplFigure:
    """The blog post's figure: histograms of sampled values per layer, one row per condition and
    site (options: site="act" or sites=("norm", "act"), layers, step), pooled over seeds."""
    sites = tuple(fig.options.get("sites", (fig.options.get("site", "act"),)))
    step = fig.options.get("step", -1)
    names = _conditions(fig, records)
    rows = [(n, site) for n in names for site in sites]
    n_layers = np.asarray(records[names[0]][f"probe/{sites[0]}_sample"]).shape[2]
    layers = list(fig.options.get("layers", np.unique(np.linspace(0, n_layers - 1, min(5, n_layers)).round().astype(int))))
    out, axes = _new(len(rows), len(layers), height=1.2 * len(rows) + 0.6, sharey="row")
    for i, (name, site) in enumerate(rows):
        v = np.asarray(records[name][f"probe/{site}_sample"])[:, step]  # (K, L, S)
        for j, layer in enumerate(layers):
            ax = axes[i, j]
            x = v[:, layer].ravel()
            x = x[np.isfinite(x)]
            ax.hist(x, bins=40, color=color(name), alpha=0.85, density=True)
            ax.grid(False)
            ax.set_yticks([])
            ax.text(0.97, 0.93, f"sd {x.std():.2g}" if x.size else "no data", transform=ax.transAxes,
                    ha="right", va="top", fontsize=6.5, color="#444")
            ax.tick_params(axis="x", labelsize=6.5)
            if i == 0:
                ax.set_title(f"layer {layer + 1}", fontsize=8)
            if j == 0:
                label = name if len(sites) == 1 else f"{name}\nafter {SITE_LABELS.get(site, site)}"
                ax.set_ylabel(label, fontsize=7.5, rotation=0, ha="right", va="center")
    out.supxlabel(fig.options.get("xlabel", "value (pooled over seeds; sd = standard deviation)"), fontsize=8)
    return out


SITE_LABELS = {"linear": "Linear", "norm": "norm", "act": "activation"}


def unit_percentiles(fig: Figure, records: Mapping[str, Record]) -> MplFigure:
    """Ioffe & Szegedy fig. 1: 15/50/85th percentile of one unit's activation input over training,
    for one seed (a unit of one network, as in the paper; units of different seeds are unrelated)."""
    layer = fig.options.get("layer", -1)
    unit = fig.options.get("unit", 0)
    seed = fig.options.get("seed", 0)
    names = _conditions(fig, records)
    out, axes = _new(1, len(names), sharey=fig.options.get("sharey", False))
    where = "last hidden layer" if layer == -1 else f"layer {layer + 1 if layer >= 0 else layer}"
    for j, name in enumerate(names):
        ax = axes[0, j]
        r = records[name]
        v = np.asarray(r["probe/unit_pct"])[seed, :, layer, unit, :]  # (P, 3)
        x = r.axes["probe_step"]
        c = color(name)
        for q, (pct, style) in enumerate(zip((15, 50, 85), (":", "-", "--"))):
            ax.plot(x, v[:, q], style, color=c, label=f"{pct}th percentile")
        ax.set_title(f"{name} (seed {r.seeds[seed]})")
        ax.set_xlabel("training step")
        if j == 0:
            ax.set_ylabel(f"input to the activation\n({where}, unit {unit})")
    legend_outside(axes[0, -1])
    return out


def paired_seeds(fig: Figure, records: Mapping[str, Record]) -> MplFigure:
    """Per-seed metric values of two or more conditions, lines joining the same seed."""
    metric: Metric = fig.options["metric"]
    names = _conditions(fig, records)
    vals = np.stack([metric(records[n]) for n in names], axis=1)  # (K, C)
    out, axes = _new(height=2.6)
    ax = axes[0, 0]
    x = np.arange(len(names))
    ax.plot(x, vals.T, color="#999999", alpha=0.5, linewidth=0.8, zorder=1)
    for j, n in enumerate(names):
        ax.scatter(np.full(len(vals), j), vals[:, j], color=color(n), s=14, zorder=2)
        m, lo, hi = mean_ci(vals[:, j])
        ax.errorbar(j + 0.12, m, yerr=[[m - lo], [hi - m]], fmt="D", color="black", markersize=4, capsize=3, zorder=3)
    ax.set_xticks(x, names)
    ax.set_xlim(-0.5, len(names) - 0.5)
    ax.grid(axis="x", visible=False)
    _finish(ax, fig, "condition (black: mean and 95% CI)", _metric_label(metric), legend=False)
    return out


def _metric_label(metric: Metric) -> str:
    return f"{metric.name} ({metric.unit})" if metric.unit else metric.name


def metric_vs_x(fig: Figure, records: Mapping[str, Record]) -> MplFigure:
    """A Metric vs a swept variable, one line per group, mean and 95% CI."""
    metric: Metric = fig.options["metric"]
    groups: Mapping[str, Mapping[float, str]] = fig.options["groups"]
    all_x: set = set()
    out, axes = _new()
    ax = axes[0, 0]
    for i, (label, levels) in enumerate(groups.items()):
        xs = sorted(levels)
        stats = [mean_ci(metric(records[levels[x]])) for x in xs]
        m = np.array([s[0] for s in stats])
        lo = np.array([s[1] for s in stats])
        hi = np.array([s[2] for s in stats])
        c = color(levels[xs[0]])  # a group wears its first condition's colour: no new name to colour
        ax.errorbar(xs, m, yerr=[m - lo, hi - m], fmt="o", linestyle=linestyle(i), color=c, label=label, capsize=3,
                    markersize=4)
        all_x.update(xs)
    _finish(ax, fig, fig.options.get("xlabel", "x"), _metric_label(metric))
    ax.set_xticks(sorted(all_x))  # after _finish: setting a log scale resets the ticks
    return out


def distribution(fig: Figure, records: Mapping[str, Record]) -> MplFigure:
    """Distribution of a per-unit quantity at a probe step (e.g. trained beta), pooled over
    seeds and layers (or one `layer`), one violin per condition."""
    value = fig.options.get("value", "probe/beta")
    step = fig.options.get("step", -1)
    layer = fig.options.get("layer")
    names = _conditions(fig, records)
    data = []
    for n in names:
        v = np.asarray(records[n][value])[:, step]  # (K, L, width)
        if layer is not None:
            v = v[:, layer]
        v = v.ravel()
        data.append(v[np.isfinite(v)])
    out, axes = _new(height=2.6)
    ax = axes[0, 0]
    parts = ax.violinplot(data, showmedians=True, showextrema=False)
    for body, n in zip(parts["bodies"], names):
        body.set_facecolor(color(n))
        body.set_edgecolor(color(n))
        body.set_alpha(0.55)
    parts["cmedians"].set_color("black")
    ax.set_xticks(np.arange(1, len(names) + 1), names)
    ax.grid(axis="x", visible=False)
    where = "all layers" if layer is None else f"layer {layer + 1 if layer >= 0 else layer}"
    _finish(ax, fig, f"condition ({where}, all seeds; line: median)", fig.options.get("ylabel", value), legend=False)
    return out


def geometry(fig: Figure, records: Mapping[str, Record]) -> MplFigure:
    """A geometry value over axes["geometry_step"] per condition, mean + CI band (options: value,
    layer = reduction of trailing axes, absolute = plot |value|, logy)."""
    value = fig.options["value"]
    out, axes = _new()
    ax = axes[0, 0]
    for i, name in enumerate(_conditions(fig, records)):
        r = records[name]
        v = np.asarray(r[value], dtype=float)
        if fig.options.get("absolute"):
            v = np.abs(v)
        v = _reduce(v, 2, fig.options.get("layer", "mean"))  # (K, G)
        _band(ax, r.axes["geometry_step"], v, name, position=i)
    _finish(ax, fig, "training step", fig.options.get("ylabel", VALUE_LABELS.get(value, value)))
    return out


def drift(fig: Figure, records: Mapping[str, Record]) -> MplFigure:
    """How far a per-layer probe value has moved from its value at init, at each probe step: mean over
    layers of |log2(value_t / value_0)|, mean + CI band per condition (options: value)."""
    value = fig.options["value"]
    out, axes = _new()
    ax = axes[0, 0]
    for i, name in enumerate(_conditions(fig, records)):
        r = records[name]
        _band(ax, r.axes["probe_step"], layer_drift(r, value), name, position=i)
    _finish(ax, fig, "training step", fig.options.get("ylabel", f"|log2 drift| of {VALUE_LABELS.get(value, value)}"))
    return out


def scatter(fig: Figure, records: Mapping[str, Record]) -> MplFigure:
    """Per-seed scatter of two metrics, one colour per condition."""
    mx: Metric = fig.options["x"]
    my: Metric = fig.options["y"]
    out, axes = _new(height=2.6)
    ax = axes[0, 0]
    for name in _conditions(fig, records):
        ax.scatter(mx(records[name]), my(records[name]), color=color(name), label=name, s=18, alpha=0.85)
    _finish(ax, fig, _metric_label(mx), _metric_label(my))
    return out


def difference(fig: Figure, records: Mapping[str, Record]) -> MplFigure:
    """|A - B| of a value at every step between two conditions (paired seeds), on a log axis:
    each seed thin, the largest over seeds bold. Exact zeros cannot sit on a log axis: they are
    drawn at the axis floor and counted in the legend. options: value, ylabel, tol (a dashed line)."""
    value = fig.options.get("value", "batch_loss")
    a, b = _two_conditions(fig, records)
    diff = np.abs(np.asarray(records[a][value], dtype=float) - np.asarray(records[b][value], dtype=float))
    diff = diff.reshape(len(diff), diff.shape[1], -1).max(axis=2)  # (K, steps): largest over trailing axes
    steps = np.asarray(records[a].axes.get("eval_step", ()))
    x = steps if diff.shape[1] == len(steps) else np.arange(1, diff.shape[1] + 1)
    positive = diff[np.isfinite(diff) & (diff > 0)]
    floor = positive.min() / 4 if positive.size else np.finfo(float).eps
    shown = np.where(diff > 0, diff, floor)
    out, axes = _new()
    ax = axes[0, 0]
    c = color(a)
    lines = ax.plot(x, shown.T, color=c, alpha=0.25, linewidth=0.6)
    lines[0].set_label("each seed")
    ax.plot(x, np.nanmax(shown, axis=0), color=c, linewidth=1.6, label=f"largest of {len(diff)} seeds")
    zeros = int(np.sum(diff == 0))
    if zeros:
        ax.plot([], [], " ", label=f"{zeros} exact zeros\ndrawn at the floor")
    bottom = floor / 2
    if "tol" in fig.options:
        ax.axhline(fig.options["tol"], color="#444444", linestyle="--", linewidth=1.0, label=f"tolerance {fig.options['tol']:g}")
        bottom = min(bottom, fig.options["tol"] / 3)
    ax.set_yscale("log")
    ax.set_ylim(bottom=bottom)
    _finish(ax, fig, "training step", fig.options.get("ylabel", f"|{value}: {a} − {b}|"))
    return out


def _two_conditions(fig: Figure, records: Mapping[str, Record]) -> tuple[str, str]:
    names = _conditions(fig, records)
    if len(names) != 2:
        raise ValueError(f"a difference figure takes exactly two conditions, got {names}")
    return names[0], names[1]


FIGURES: dict[str, Callable[[Figure, Mapping[str, Record]], MplFigure]] = {
    "curves": curves,
    "layer_profile": layer_profile,
    "layer_histograms": layer_histograms,
    "unit_percentiles": unit_percentiles,
    "paired_seeds": paired_seeds,
    "metric_vs_x": metric_vs_x,
    "distribution": distribution,
    "geometry": geometry,
    "scatter": scatter,
    "difference": difference,
    "drift": drift,
}


def placeholder(title: str, error: BaseException | str) -> MplFigure:
    """A figure that says it could not be drawn, and why."""
    msg = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    fig = plt.figure(figsize=(WIDTH_IN, 1.4))
    fig.patch.set_facecolor("#fff8f0")
    body = "\n".join(textwrap.wrap(msg, 110)[:4])
    fig.text(0.5, 0.62, f"Figure not drawn: {title}", ha="center", va="center", fontsize=9, weight="bold", color="#9a3412")
    fig.text(0.5, 0.3, body, ha="center", va="center", fontsize=7.5, color="#333333", family="DejaVu Sans Mono")
    return fig


def draw(fig: Figure, records: Mapping[str, Record]) -> tuple[MplFigure, str | None]:
    """Draw a declared figure in the report style; on failure a placeholder and the error text."""
    with plt.rc_context(STYLE):
        try:
            if fig.kind not in FIGURES:
                raise KeyError(f"unknown figure kind {fig.kind!r}; known: {', '.join(FIGURES)}")
            return FIGURES[fig.kind](fig, records), None
        except Exception as e:  # a broken figure must not kill the report
            plt.close("all")
            return placeholder(fig.title, e), f"{type(e).__name__}: {e}"


def to_png(mpl_fig: MplFigure) -> bytes:
    """A figure as PNG bytes, and close it."""
    buf = io.BytesIO()
    with plt.rc_context(STYLE):
        mpl_fig.savefig(buf, format="png", facecolor=mpl_fig.get_facecolor())
    plt.close(mpl_fig)
    return buf.getvalue()


def png_data_uri(png: bytes) -> str:
    """PNG bytes as a data: URI (the HTML must be self-contained)."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def tuning_curves(tunings: Mapping[str, object]) -> MplFigure:
    """Validation accuracy against learning rate per tuned condition (repro.protocol.tuning.Tuning):
    stage 1 (quarter-length runs, every rate) dashed, stage 2 (full runs, the kept rates) solid,
    the selected rate ringed; a grid edge is shaded, since an optimum there may lie beyond it."""
    with plt.rc_context(STYLE):
        out, axes = _new(height=2.9)
        ax = axes[0, 0]
        grid = None
        for name, t in tunings.items():
            c = color(name)
            grid = t.grid
            ax.plot(t.grid, [t.stage1[lr] for lr in t.grid], "--", color=c, linewidth=1.0, alpha=0.7)
            kept = sorted(t.stage2)
            ax.plot(kept, [t.stage2[lr] for lr in kept], "-o", color=c, markersize=3.5, label=name)
            ax.plot([t.selected], [t.stage2[t.selected]], "o", markersize=9, markerfacecolor="none",
                    markeredgecolor=c, markeredgewidth=1.4)
        if grid:
            ax.set_xscale("log")
            ax.axvspan(grid[0] / 1.6, grid[0] * 1.25, color="#eeeeee", zorder=0)
            ax.axvspan(grid[-1] / 1.25, grid[-1] * 1.6, color="#eeeeee", zorder=0)
            ax.set_xlim(grid[0] / 1.6, grid[-1] * 1.6)
        ax.set_xlabel("learning rate (dashed: quarter-length runs; solid: full runs; ring: selected; "
                      "grey: grid edge)", fontsize=7)
        ax.set_ylabel("validation accuracy (%)")
        legend_outside(ax, fontsize=6.5)
        return out


POST_COLORS = {"published": "#D55E00", "correct": "#0072B2"}  # vermillion: the post's formula


def post_gradients(study: Mapping) -> MplFigure:
    """The report's opening figure, from repro.report.blogpost.study(): left, histograms of dL/dW for the
    layers of the post's two batch-norm gradient panels, with the post's backward ("as published")
    and the correct one; right, var(dL/dW) per layer over the seeds, with the values the post printed."""
    from .blogpost import POST_PANELS, post_title
    with plt.rc_context(STYLE):
        out = plt.figure(figsize=(WIDTH_IN, 3.9))
        grid = out.add_gridspec(2, 3, width_ratios=(1, 1, 1.35))
        heads = {"published": "as published (the post's formula)", "correct": "correct backward"}
        for row, layer in enumerate(sorted(POST_PANELS, reverse=True)):
            panels = {f: study["panels"][f][layer].ravel() for f in heads}
            lim = max(np.abs(v).max() for v in panels.values())
            bins = np.linspace(-lim, lim, 51)
            top = max(np.histogram(v, bins=bins, density=True)[0].max() for v in panels.values())
            share = None
            for col, (f, values) in enumerate(panels.items()):
                ax = out.add_subplot(grid[row, col], sharey=share)
                share = ax
                ax.set_axisbelow(True)
                ax.hist(values, bins=bins, density=True, color=POST_COLORS[f], alpha=0.75)
                ax.set_ylim(0, 1.4 * top)  # room for the note above the bars
                ax.set_title(f"{heads[f]}\nlayer {layer} (post: “layer {post_title(layer)}”)" if row == 0
                             else f"layer {layer} (post: “layer {post_title(layer)}”)", fontsize=7.5)
                note = f"var {np.var(values):.1f}"
                if f == "published":
                    note += f"\npost printed {POST_PANELS[layer]:.2f}"
                ax.text(0.03, 0.95, note, transform=ax.transAxes, va="top", fontsize=6.5)
                ax.tick_params(labelsize=6.5)
                if col:
                    ax.tick_params(labelleft=False)
                else:
                    ax.set_ylabel("density", fontsize=7)
                if row == 1:
                    ax.set_xlabel("dL/dW", fontsize=7)
        ax = out.add_subplot(grid[:, 2])
        layers = np.array(study["layers"])
        for f in heads:
            v = study["var"][f]
            ax.fill_between(layers, v.min(axis=0), v.max(axis=0), color=POST_COLORS[f], alpha=0.25, linewidth=0)
            ax.plot(layers, np.median(v, axis=0), color=POST_COLORS[f], linewidth=1.3,
                    label=f"{'as published' if f == 'published' else 'correct'}: "
                          f"dL/dh grows {np.mean(study['growth'][f]):.2f}x per layer")
        ax.plot(list(POST_PANELS), list(POST_PANELS.values()), "kx", markersize=6, label="the post's two panels")
        ax.set_yscale("log")
        ax.set_xlim(layers.max() + 0.5, layers.min() - 0.5)  # going down the network, left to right
        ax.set_xticks([19, 15, 10, 5, 1])
        ax.set_xlabel("layer (the gradient enters at 19)", fontsize=7)
        ax.set_ylabel(f"var(dL/dW): median, range of {len(study['seeds'])} seeds", fontsize=7)
        ax.tick_params(labelsize=6.5)
        ax.legend(loc="upper left", fontsize=6.3)
        return out


def standardize(result) -> dict | None:
    """A TestResult on the forest plot's common scale: d_z-like units (estimate / per-seed SD,
    the SD recovered as estimate / effect_size). Falls back to units of the margin (or tau) when
    no effect size is available. Returns None when the result cannot be placed. A threshold test's
    estimate is the mean's distance beyond tau, so its point is that distance standardized
    ("beyond_tau"), and its label says so."""
    est, (lo, hi) = result.estimate, result.ci
    es = result.effect_size
    bound = result.margin if result.margin else None
    if all(_finite(v) for v in (est, lo, hi, es)) and es != 0 and est != 0:
        s = abs(est / es)
        scale = "d"
    elif all(_finite(v) for v in (est, lo, hi)) and bound:
        s = abs(bound)
        scale = "margin"
    else:
        return None
    return {"x": est / s, "lo": lo / s, "hi": hi / s, "margin": (abs(bound) / s) if bound else None, "scale": scale,
            "beyond_tau": getattr(result, "kind", "") == "threshold"}


def _finite(v) -> bool:
    return v is not None and isinstance(v, (int, float, np.floating, np.integer)) and math.isfinite(v)


VERDICT_ORDER = ("supported", "refuted", "inconclusive", "error")
FOREST_LABEL_CHARS = 44   # a claim title wraps at this width; it is never cut
FOREST_SLOT_IN = 0.38     # inches per row: three lines of a wrapped title fit in one slot


def forest_layout(rows: Sequence[dict]) -> list[tuple[str, object]]:
    """Top-to-bottom slots of the forest plot: ("group", verdict) headings, then ("row", row) for
    each claim of that verdict, in the order given. Verdicts follow VERDICT_ORDER."""
    slots: list[tuple[str, object]] = []
    for verdict in VERDICT_ORDER + tuple(sorted({r["verdict"] for r in rows} - set(VERDICT_ORDER))):
        group = [r for r in rows if r["verdict"] == verdict]
        if group:
            slots.append(("group", verdict))
            slots += [("row", r) for r in group]
    return slots


def forest_height(n_slots: int) -> float:
    """Figure height in inches for `n_slots` rows and headings (plus the axis and its label)."""
    return 1.25 + FOREST_SLOT_IN * n_slots


def _symlog_limit(placed: Sequence[dict]) -> float:
    """Half-width of the symmetric-log axis: every interval end and margin, with room for the marker."""
    ends = [abs(v) for s in placed for v in (s["lo"], s["hi"], s["x"], s["margin"] or 0.0)]
    return max(3.0, 1.6 * max(ends, default=1.0))


def _symlog_ticks(lim: float) -> list[float]:
    """0, +-1, +-3, +-10, +-30, ... up to `lim` (only powers of ten on a wide axis): readable symlog ticks."""
    steps = [m * 10 ** e for e in range(0, 7) for m in ((1, 3) if lim < 100 else (1,))]
    pos = [v for v in steps if v <= lim]
    return sorted([-v for v in pos] + [0.0] + pos)


def forest(rows: Sequence[dict]) -> MplFigure:
    """The overview: one row per claim (its primary test), grouped and coloured by verdict, on a
    symmetric-log d_z axis so that no point leaves the plot. rows: {"label", "verdict", "result":
    TestResult | None, "note": text shown when the result cannot be standardized}."""
    slots = forest_layout(rows)
    with plt.rc_context(STYLE):
        if not slots:
            return placeholder("forest plot", "no claim to show")
        fig = plt.figure(figsize=(WIDTH_IN, forest_height(len(slots))))
        ax = fig.subplots()
        placed = {id(r): standardize(r["result"]) if r["result"] is not None else None
                  for kind, r in slots if kind == "row"}
        lim = _symlog_limit([s for s in placed.values() if s is not None])
        ax.set_xscale("symlog", linthresh=1.0, linscale=0.8)
        ax.set_xlim(-lim, lim)
        ys = np.arange(len(slots))[::-1].astype(float)
        labels = []
        for y, (kind, item) in zip(ys, slots):
            if kind == "group":
                labels.append(_forest_heading(ax, y, item, sum(1 for k, r in slots if k == "row" and r["verdict"] == item)))
            else:
                labels.append("\n".join(textwrap.wrap(item["label"], FOREST_LABEL_CHARS)))
                _forest_row(ax, y, item, placed[id(item)], lim)
        ax.set_yticks(ys, labels, fontsize=7.3)
        for tick, (kind, item) in zip(ax.get_yticklabels(), slots):
            if kind == "group":
                tick.set_fontweight("bold")
                tick.set_color(VERDICT_COLORS.get(item, "#6e7781"))
        ax.tick_params(axis="y", length=0)
        ax.set_ylim(-0.6, len(slots) - 0.4)
        ax.grid(axis="y", visible=False)
        ax.axvline(0, color="#333333", linewidth=0.8)
        ax.set_xticks(_symlog_ticks(lim))
        ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}".replace("-", "\u2212")))
        ax.set_xlabel("standardized effect $d_z$ of the primary test (estimate / per-seed SD; symmetric-log axis:\n"
                      "linear within \u00b11), positive = the claim's direction; bars: the test's interval; "
                      "ticks: its margin", fontsize=7.3)
        return fig


def _forest_heading(ax, y: float, verdict: str, n: int) -> str:
    """A verdict group's heading row: a faint band of the verdict's colour; returns the tick label."""
    ax.axhspan(y - 0.45, y + 0.45, color=VERDICT_COLORS.get(verdict, "#6e7781"), alpha=0.07, linewidth=0)
    return f"{verdict.upper()} ({n})"


def _forest_row(ax, y: float, row: dict, s: dict | None, lim: float) -> None:
    """One claim's interval, estimate and margin ticks, or a note where it has no place on the scale."""
    c = VERDICT_COLORS.get(row["verdict"], "#6e7781")
    if s is None:
        ax.text(0, y, row.get("note") or "no estimate on this scale", ha="center", va="center", fontsize=6.8,
                color=c, style="italic", bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.0})
        return
    ax.plot([s["lo"], s["hi"]], [y, y], color=c, linewidth=2.2, solid_capstyle="butt")
    ax.plot(s["x"], y, "D", color=c, markersize=5.5, markerfacecolor=c if s["scale"] == "d" else "white")
    if s["margin"]:
        for m in (-s["margin"], s["margin"]):
            ax.plot([m, m], [y - 0.3, y + 0.3], color="#444444", linewidth=1.1)
    ax.annotate(_dz_text(s), (s["x"], y), xytext=(0, 4.5), textcoords="offset points", ha="center",
                va="bottom", fontsize=6.3, color="#444444")


def _dz_text(s: dict) -> str:
    """The point's value as printed beside its interval (d_z, or units of the margin)."""
    v = f"{s['x']:.2g}" if abs(s["x"]) < 100 else f"{s['x']:.0f}"
    text = f"{v}" if s["scale"] == "d" else f"{v} margins"
    if s.get("beyond_tau"):  # a threshold test's estimate is the mean's distance beyond tau, not the value
        text += " (distance beyond \u03c4)"
    return text.replace("-", "\u2212")
