"""The report's figures that are not declared by a claim: the protocol's tuning curves (validation
accuracy against learning rate) and the opening figure of the blog post's batch-norm gradients."""
from __future__ import annotations

from typing import Mapping

import numpy as np

from matplotlib.figure import Figure as MplFigure

from .style import STYLE, WIDTH_IN, color, legend_outside, marker, new_figure, plt


def tuning_curves(tunings: Mapping[str, object]) -> MplFigure:
    """Validation accuracy against learning rate per tuned condition (repro.protocol.tuning.Tuning):
    stage 1 (quarter-length runs, every rate) dashed, stage 2 (full runs, the kept rates) solid,
    the selected rate ringed, its score at twice the budget a triangle; the grid's edges are shaded,
    since an optimum there may lie beyond them (rates tried beyond an edge are on the axis too)."""
    with plt.rc_context(STYLE):
        out, axes = new_figure(height=2.9)
        ax = axes[0, 0]
        grid = None
        for name, t in tunings.items():
            c = color(name)
            grid = t.grid
            ax.plot(t.grid, [t.stage1[lr] for lr in t.grid], "--", color=c, linewidth=1.0, alpha=0.7)
            kept = sorted(t.stage2)
            ax.plot(kept, [t.stage2[lr] for lr in kept], "-", marker=marker(name) or "o", color=c, markersize=3.5,
                    label=name)
            ax.plot([t.selected], [t.stage2[t.selected]], "o", markersize=9, markerfacecolor="none",
                    markeredgecolor=c, markeredgewidth=1.4)
            if getattr(t, "doubled", None) is not None:  # the convergence check: twice the step budget
                ax.plot([t.selected], [t.doubled], "^", color=c, markersize=5, markeredgecolor="white",
                        markeredgewidth=0.5)
        if grid:  # every rate tried, the grid widened beyond its edge included, stays on the axis
            tried = sorted({lr for t in tunings.values() for lr in (*t.grid, *t.stage2)})
            ax.set_xscale("log")
            ax.axvspan(grid[0] / 1.6, grid[0] * 1.25, color="#eeeeee", zorder=0)
            ax.axvspan(grid[-1] / 1.25, grid[-1] * 1.6, color="#eeeeee", zorder=0)
            ax.set_xlim(min(tried) / 1.6, max(tried) * 1.6)
        doubled = any(getattr(t, "doubled", None) is not None for t in tunings.values())
        ax.set_xlabel("learning rate\n(dashed: quarter-length runs; solid: full runs; ring: selected; "
                      + ("triangle: twice the budget; " if doubled else "") + "grey: grid edge)", fontsize=7)
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
