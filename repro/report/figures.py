"""Figures of the report: one small function per `Figure.kind`, all in one matplotlib style.

`FIGURES[kind](fig, records) -> matplotlib.figure.Figure` reads the record names documented in
repro.engine.record. Add a kind by adding a function to FIGURES (and its statistics sentence to
STATISTICS). `draw` wraps a call so that a figure that cannot be drawn returns its error, which
repro.report.drawing makes an error of its claim. Bands and bars are t-intervals of the mean at
`fig.options["level"]` (repro.report.drawing passes the level of the claim's tests). Colours and
markers are per condition *name* (repro.report.style), so a name looks the same in every figure.
"""
from __future__ import annotations

import textwrap
import warnings
from typing import Callable, Mapping

import matplotlib
import numpy as np
from matplotlib.figure import Figure as MplFigure
from scipy import stats as sps

from ..claim import Figure, Metric, common_seeds
from ..engine.record import Record
from ..metrics import final_accuracy, layer_drift
from .style import (DPI, MARKERS, PALETTE, STYLE, VERDICT_COLORS, WIDTH_IN, color, is_png, legend_outside,  # noqa: F401
                    marker, new_figure, placeholder, plt, png_data_uri, reset_colors, to_png)
from .forest import (VERDICT_ORDER, _dz_text, _symlog_limit, _symlog_ticks, forest, forest_layout,  # noqa: F401
                     standardize)
from .panels import post_gradients, tuning_curves  # noqa: F401 - the report's names

DEFAULT_LEVEL = 0.90  # the interval level of every t test at alpha 0.05 (1 - 2 alpha)
CHANCE = 10.0         # MNIST-1D: ten balanced classes, in % accuracy


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
    "geometry/interaction_rel": "relative interaction", "geometry/loss_range": "loss range along the gradient",
    "test_acc": "test accuracy", "val_acc": "validation accuracy", "train_acc": "training accuracy",
}


def mean_ci(values: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and `level` t-interval over the leading (seed) axis, ignoring NaN (diverged) seeds."""
    v = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        n = np.sum(np.isfinite(v), axis=0)
        masked = np.where(np.isfinite(v), v, np.nan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            m = np.nanmean(masked, axis=0)
            sd = np.nanstd(masked, axis=0, ddof=1)
        half = sps.t.ppf(0.5 + level / 2, np.maximum(n - 1, 1)) * sd / np.sqrt(np.maximum(n, 1))
    half = np.where(n > 1, half, 0.0)
    return m, m - half, m + half


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


def level(fig: Figure) -> float:
    """The interval level of a figure's bands and bars: options["level"], else DEFAULT_LEVEL."""
    value = float(fig.options.get("level", DEFAULT_LEVEL))
    if not 0.0 < value < 1.0:
        raise ValueError(f"options['level']={value!r} must be a probability strictly between 0 and 1, e.g. 0.9")
    return value


def _band(ax, x, values, name: str, fig: Figure, label: str | None = None, position: int = 0) -> None:
    """The mean over seeds as a line in the name's colour (and marker), its t-interval as a band."""
    m, lo, hi = mean_ci(values, level(fig))
    c = color(name)
    ax.plot(x, m, color=c, label=label or name, linestyle=linestyle(position), marker=marker(name) or None,
            markersize=3.5, markevery=max(1, len(np.atleast_1d(x)) // 8))
    ax.fill_between(x, lo, hi, color=c, alpha=0.18, linewidth=0)


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
    """A value over axes["eval_step"] per condition: mean and t-interval band across seeds."""
    value = fig.options.get("value", "test_acc")
    percent = value.endswith("_acc")  # accuracies in %, like the accuracy metrics of the tests
    out, axes = new_figure()
    ax = axes[0, 0]
    for i, name in enumerate(_conditions(fig, records)):
        r = records[name]
        v = np.asarray(r[value], dtype=float) * (100.0 if percent else 1.0)
        steps = np.asarray(r.axes.get("eval_step", ()))
        x = steps if v.shape[1] == len(steps) else np.arange(1, v.shape[1] + 1)  # e.g. batch_loss: every step
        _band(ax, x, v, name, fig, position=i)
    ylabel = fig.options.get("ylabel", VALUE_LABELS.get(value, value))
    _finish(ax, fig, "training step", f"{ylabel} (%)" if percent else ylabel)
    return out


def layer_profile(fig: Figure, records: Mapping[str, Record]) -> MplFigure:
    """A per-layer probe statistic vs layer index, at one probe step, mean + CI band."""
    value = fig.options.get("value", "probe/act_std")
    step = fig.options.get("step", -1)
    out, axes = new_figure()
    ax = axes[0, 0]
    steps = set()
    for i, name in enumerate(_conditions(fig, records)):
        r = records[name]
        v = _reduce(np.asarray(r[value])[:, step], 2, fig.options.get("reduce", "mean"))  # (K, L)
        _band(ax, np.arange(1, v.shape[1] + 1), v, name, fig, position=i)
        if "probe_step" in r.axes:
            steps.add(int(np.asarray(r.axes["probe_step"])[step]))
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    when = f" (step\u00a0{', '.join(map(str, sorted(steps)))})" if steps else ""  # never split from its number
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
    out, axes = new_figure(len(rows), len(layers), height=1.2 * len(rows) + 0.6, sharey="row")
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
    out, axes = new_figure(1, len(names), sharey=fig.options.get("sharey", False))
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
    out, axes = new_figure(height=2.6)
    ax = axes[0, 0]
    x = np.arange(len(names))
    ax.plot(x, vals.T, color="#999999", alpha=0.5, linewidth=0.8, zorder=1)
    for j, n in enumerate(names):
        ax.scatter(np.full(len(vals), j), vals[:, j], color=color(n), s=14, zorder=2)
        m, lo, hi = mean_ci(vals[:, j], level(fig))
        ax.errorbar(j + 0.12, m, yerr=[[m - lo], [hi - m]], fmt="D", color="black", markersize=4, capsize=3, zorder=3)
    ax.set_xticks(x, names)
    ax.set_xlim(-0.5, len(names) - 0.5)
    ax.grid(axis="x", visible=False)
    _finish(ax, fig, f"condition (black: mean and {_pct(level(fig))} t-interval)", _metric_label(metric), legend=False)
    return out


def _metric_label(metric: Metric) -> str:
    """A metric's axis label in the quantity's unit: a figure plots each condition's level, so an
    accuracy's "% points" (the unit of a difference) reads "%"."""
    unit = "%" if metric.unit == "% points" else metric.unit
    return f"{metric.name} ({unit})" if unit else metric.name


def _pct(level: float) -> str:
    """An interval level as a percentage: 0.9 -> "90%", 0.9998 -> "99.98%"."""
    return f"{100 * level:.4g}%"


def metric_vs_x(fig: Figure, records: Mapping[str, Record]) -> MplFigure:
    """A Metric vs a swept variable, one line per group, mean and t-interval."""
    metric: Metric = fig.options["metric"]
    groups: Mapping[str, Mapping[float, str]] = fig.options["groups"]
    all_x: set = set()
    out, axes = new_figure()
    ax = axes[0, 0]
    for i, (label, levels) in enumerate(groups.items()):
        xs = sorted(levels)
        stats = [mean_ci(metric(records[levels[x]]), level(fig)) for x in xs]
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
    out, axes = new_figure(height=2.6)
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
    """A geometry value over axes["geometry_step"] per condition, mean + t-interval band (options: value,
    layer = reduction of trailing axes, absolute = plot |value|, logy). Conditions that record no
    geometry (e.g. a noise-injected arm) are left out and named under the legend; none: an error."""
    value = fig.options["value"]
    names = _conditions(fig, records)
    drawn = [n for n in names if value in records[n].values]
    if not drawn:
        raise KeyError(f"no condition of this figure records {value!r} (conditions: {', '.join(names)})")
    out, axes = new_figure()
    ax = axes[0, 0]
    for i, name in enumerate(drawn):
        r = records[name]
        v = np.asarray(r[value], dtype=float)
        if fig.options.get("absolute"):
            v = np.abs(v)
        v = _reduce(v, 2, fig.options.get("layer", "mean"))  # (K, G)
        _band(ax, r.axes["geometry_step"], v, name, fig, position=i)
    left_out = [n for n in names if n not in drawn]
    if left_out:
        ax.plot([], [], " ", label="not measured:\n" + "\n".join(left_out))
    _finish(ax, fig, "training step", fig.options.get("ylabel", VALUE_LABELS.get(value, value)))
    return out


def drift(fig: Figure, records: Mapping[str, Record]) -> MplFigure:
    """How far a per-layer probe value has moved from its value at init, at each probe step: mean over
    layers of |log2(value_t / value_0)|, mean + CI band per condition (options: value)."""
    value = fig.options["value"]
    out, axes = new_figure()
    ax = axes[0, 0]
    for i, name in enumerate(_conditions(fig, records)):
        r = records[name]
        _band(ax, r.axes["probe_step"], layer_drift(r, value), name, fig, position=i)
    _finish(ax, fig, "training step", fig.options.get("ylabel", f"|log2 drift| of {VALUE_LABELS.get(value, value)}"))
    return out


def scatter(fig: Figure, records: Mapping[str, Record]) -> MplFigure:
    """Per-seed scatter of two metrics, one colour per condition."""
    mx: Metric = fig.options["x"]
    my: Metric = fig.options["y"]
    out, axes = new_figure(height=2.6)
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
    out, axes = new_figure()
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


def _stall_level(fig: Figure) -> tuple[float | None, float]:
    """(fail_below, stall) of a seed_outcomes figure: a declared failure level, else points above chance."""
    fail_below = fig.options.get("fail_below")
    return (None if fail_below is None else float(fail_below)), float(fig.options.get("stall", 5.0))


def stall_rule(fig: Figure) -> str:
    """When a seed_outcomes figure counts a seed as stalled, in words (its legend and caption say the same)."""
    fail_below, stall = _stall_level(fig)
    return f"below {fail_below:g}%" if fail_below is not None else f"within {stall:g} points of chance"


def stalled_seeds(fig: Figure, values: np.ndarray, chance: float) -> np.ndarray:
    """Which seeds a seed_outcomes figure counts as stalled (a NaN outcome is stalled under fail_below)."""
    fail_below, stall = _stall_level(fig)
    return ~(values >= fail_below) if fail_below is not None else values <= chance + stall


def seed_outcomes(fig: Figure, records: Mapping[str, Record]) -> MplFigure:
    """Every seed's outcome per condition (default: final test accuracy), lines joining the same
    seed, chance marked and the seeds that stalled near it counted per condition, so that a mean
    made of a few stalled seeds shows as such (options: metric, chance, and either stall = points above
    chance or fail_below = the level a FewerFailures test declares, so figure and test count the same seeds)."""
    metric: Metric = fig.options.get("metric") or final_accuracy()
    chance = float(fig.options.get("chance", CHANCE))
    names = _conditions(fig, records)
    vals = np.stack([metric(records[n]) for n in names], axis=1)  # (K, C)
    out, axes = new_figure(height=2.8)
    ax = axes[0, 0]
    x = np.arange(len(names))
    jitter = np.random.default_rng(0).uniform(-0.12, 0.12, size=vals.shape)
    ax.plot((x + jitter).T, vals.T, color="#aaaaaa", alpha=0.45, linewidth=0.6, zorder=1)
    labels = []
    for j, n in enumerate(names):
        stalled = stalled_seeds(fig, vals[:, j], chance)
        ax.scatter(x[j] + jitter[:, j], vals[:, j], s=13, zorder=2, color=color(n),
                   marker=marker(n) or "o", edgecolors="none")
        ax.scatter(x[j] + jitter[stalled, j], vals[stalled, j], s=40, zorder=2, facecolors="none",
                   edgecolors="black", linewidths=0.8)
        labels.append(f"{textwrap.fill(n, 18)}\n{int(stalled.sum())} of {len(vals)} stalled")
    ax.axhline(chance, color="#444444", linestyle="--", linewidth=1.0, label=f"chance ({chance:g}%)")
    ax.scatter([], [], s=40, facecolors="none", edgecolors="black", linewidths=0.8, label=f"stalled: {stall_rule(fig)}")
    ax.set_xticks(x, labels)
    ax.set_xlim(-0.5, len(names) - 0.5)
    ax.grid(axis="x", visible=False)
    _finish(ax, fig, "condition (one dot per seed; grey lines join the same seed)", _metric_label(metric))
    return out


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
    "seed_outcomes": seed_outcomes,
}

#: What a figure of each kind shows of the seeds, for its caption ({n}: seeds, {level}: interval level).
STATISTICS = {
    "curves": "Lines: the mean over {n} seeds; bands: its {level} t-interval.",
    "layer_profile": "Lines: the mean over {n} seeds; bands: its {level} t-interval.",
    "geometry": "Lines: the mean over {n} seeds; bands: its {level} t-interval.",
    "drift": "Lines: the mean over {n} seeds; bands: its {level} t-interval.",
    "metric_vs_x": "Points: the mean over {n} seeds; bars: its {level} t-interval.",
    "paired_seeds": "Dots: the {n} seeds, grey lines joining the same seed; black: the mean and its {level} "
                    "t-interval.",
    "seed_outcomes": "Dots: the {n} seeds, grey lines joining the same seed; ringed: the seeds counted as stalled "
                     "({stalled}); dashed: chance.",
    "distribution": "Violins: every unit's value pooled over {n} seeds; line: the median.",
    "layer_histograms": "Histograms pooled over {n} seeds; sd: their standard deviation.",
    "unit_percentiles": "One unit of one seed (units of different seeds are unrelated).",
    "scatter": "One dot per seed ({n} seeds).",
    "difference": "Thin: each of {n} seeds; bold: the largest over seeds.",
}


def statistics_text(fig: Figure, n: int) -> str:
    """The caption's sentence saying what the figure shows of the seeds and what its bands are."""
    stalled = stall_rule(fig) if fig.kind == "seed_outcomes" else ""
    return STATISTICS.get(fig.kind, "{n} seeds.").format(n=n, level=_pct(level(fig)), stalled=stalled)


PAIRED_KINDS = ("paired_seeds", "seed_outcomes", "scatter", "difference")  # figures that join seed i across arms


def draw(fig: Figure, records: Mapping[str, Record]) -> tuple[MplFigure, str | None]:
    """Draw a declared figure in the report style: (figure, None), or (a placeholder, the error text)
    when it cannot be drawn; repro.report.drawing makes that error an error of the figure's claim."""
    with plt.rc_context(STYLE):
        try:
            if fig.kind not in FIGURES:
                raise KeyError(f"unknown figure kind {fig.kind!r}; known: {', '.join(FIGURES)}")
            if fig.kind in PAIRED_KINDS:  # seeds join across arms: the seeds every drawn arm has
                names = [c for c in (fig.conditions or records) if c in records]
                records = {**records, **common_seeds(records, names)} if names else records
            return FIGURES[fig.kind](fig, records), None
        except Exception as e:  # the claim fails with this error; the report must still be written
            plt.close("all")
            return placeholder(fig.title, e), f"{type(e).__name__}: {e}"
