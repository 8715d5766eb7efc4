"""The report's figure style: matplotlib settings, the colour-blind safe palette, per-name colours
and markers, verdict colours, and figures to light PNG bytes.

Colours: Okabe-Ito's eight (Okabe & Ito 2008), safe for the common colour-vision deficiencies. A
name keeps one colour (and one marker) for the whole report; when a claim has more names than the
palette has colours, the colours come round again with another marker, so that no two names of one
claim look alike. Text is text: labels from claim files reach matplotlib with mathtext off
(`text.parse_math`), so `$5 and $10` keeps its dollars; the few labels of our own that use
mathtext ask for it explicitly.
"""
from __future__ import annotations

import base64
import io
import math
import textwrap
from typing import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
from matplotlib.figure import Figure as MplFigure  # noqa: E402

WIDTH_IN = 6.8   # fits the A4 text width of the print CSS at 100%
DPI = 110        # sharp at the HTML's column width; with the palette quantisation, about 10-25 kB a figure
PNG_COLORS = 96  # palette size of a figure's PNG: anti-aliased text and bands stay smooth
STYLE = {
    "figure.dpi": 100, "savefig.dpi": DPI, "font.size": 8.5, "axes.titlesize": 9, "axes.labelsize": 8.5,
    "legend.fontsize": 7.5, "xtick.labelsize": 7.5, "ytick.labelsize": 7.5, "axes.spines.top": False,
    "axes.spines.right": False, "axes.grid": True, "grid.color": "#e6e6e6", "grid.linewidth": 0.6,
    "axes.edgecolor": "#555555", "axes.titleweight": "bold", "lines.linewidth": 1.6,
    "legend.frameon": False, "font.family": "DejaVu Sans", "figure.constrained_layout.use": True,
    "text.parse_math": False,  # claim text is literal: "$" is a dollar, never mathtext
}
# Okabe-Ito, in the order names receive them; its yellow is last (weakest on white).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
# Markers for the second, third... round of the palette (the first round has none; a figure that marks
# every point, such as the tuning curves, draws the first round with "o", which no later round uses).
MARKERS = ("", "s", "^", "D", "v", "P")
_colors: dict[str, str] = {}
_markers: dict[str, str] = {}
VERDICT_COLORS = {"supported": "#1a7f37", "refuted": "#cf222e", "mixed": "#7B3294", "inconclusive": "#b58100",
                  "error": "#6e7781", "pending": "#6e7781"}


def reset_colors(groups: Sequence[Sequence[str]] = ()) -> None:
    """Forget colour assignments, then style each group's names (a claim's conditions): a name keeps
    one colour and marker for the whole report, and names of the same group get different
    (colour, marker) pairs, a colour not yet used in the group first, the least used colour first."""
    _colors.clear()
    _markers.clear()
    for group in groups:
        taken = {(_colors[n], _markers[n]) for n in group if n in _colors}
        for n in group:
            if n not in _colors:
                _assign(n, taken)
                taken.add((_colors[n], _markers[n]))


def _assign(name: str, taken: set[tuple[str, str]] = frozenset()) -> None:
    """Give `name` the least used colour whose first free marker is earliest, avoiding `taken` pairs."""
    uses = {c: 0 for c in PALETTE}
    for c in _colors.values():
        uses[c] += 1
    best = None
    for marker in MARKERS:
        for pool in (PALETTE[:-1], PALETTE[-1:]):  # yellow, weak on white, only when the others are taken
            free = [c for c in pool if (c, marker) not in taken]
            if free:
                best = (min(free, key=lambda c: uses[c]), marker)  # min is stable: palette order breaks ties
                break
        if best:
            break
    if best is None:  # more names in one group than pairs: share the least used pair
        best = (min(PALETTE, key=lambda c: uses[c]), MARKERS[0])
    _colors[name], _markers[name] = best


def color(name: str) -> str:
    """The colour of a condition (or group) name: fixed at its first use for the whole report."""
    if name not in _colors:
        _assign(name)
    return _colors[name]


def marker(name: str) -> str:
    """The marker of a condition name ("" for the palette's first round): tells apart names that share a colour."""
    color(name)
    return _markers[name]


def new_figure(nrows: int = 1, ncols: int = 1, height: float = 2.5, **kw):
    """A report-width figure and its grid of axes (always 2-D)."""
    fig = plt.figure(figsize=(WIDTH_IN, height))
    axes = fig.subplots(nrows, ncols, squeeze=False, **kw)
    return fig, axes


def legend_outside(ax, **kw) -> None:
    """The legend to the right of the axes, where it can never cover data."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, **kw)


def placeholder(title: str, error: BaseException | str) -> MplFigure:
    """A figure that says it could not be drawn, and why (shown only for a claim already in error)."""
    msg = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    with plt.rc_context(STYLE):
        fig = plt.figure(figsize=(WIDTH_IN, 1.4))
        fig.patch.set_facecolor("#fff8f0")
        body = "\n".join(textwrap.wrap(msg, 110)[:4])
        fig.text(0.5, 0.62, f"Figure not drawn: {title}", ha="center", va="center", fontsize=9, weight="bold",
                 color="#9a3412")
        fig.text(0.5, 0.3, body, ha="center", va="center", fontsize=7.5, color="#333333", family="DejaVu Sans Mono")
    return fig


SUPERSCRIPT = str.maketrans("-0123456789", "\u207b\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079")


class PlainLogFormatter(matplotlib.ticker.LogFormatter):
    """Log-axis tick labels as plain text ("0.1", "10", "2×10⁻⁵"): matplotlib's default writes
    mathtext, which the report's literal-text style would print as "$\\mathdefault{10^{0}}$"."""

    def _num_to_string(self, x, vmin, vmax):
        if x == 0 or 1e-3 <= abs(x) < 1e4:
            return f"{x:g}"
        exponent = math.floor(math.log10(abs(x)))
        mantissa = round(x / 10.0 ** exponent, 2)
        return ("10" if mantissa == 1 else f"{mantissa:g}\u00d710") + str(exponent).translate(SUPERSCRIPT)


def plain_tick_labels(mpl_fig: MplFigure) -> None:
    """Replace every mathtext log formatter of the figure's axes by PlainLogFormatter (same ticks labelled)."""
    for ax in mpl_fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for get, put in ((axis.get_major_formatter, axis.set_major_formatter),
                             (axis.get_minor_formatter, axis.set_minor_formatter)):
                old = get()
                if isinstance(old, matplotlib.ticker.LogFormatterMathtext):
                    put(PlainLogFormatter(base=old._base, labelOnlyBase=old.labelOnlyBase,
                                          minor_thresholds=old.minor_thresholds, linthresh=old._linthresh))


def to_png(mpl_fig: MplFigure) -> bytes:
    """A figure as palette-quantised PNG bytes (a quarter of the RGBA size), and close it."""
    from PIL import Image
    buf = io.BytesIO()
    plain_tick_labels(mpl_fig)
    with plt.rc_context(STYLE):
        mpl_fig.savefig(buf, format="png", facecolor=mpl_fig.get_facecolor())
    plt.close(mpl_fig)
    buf.seek(0)
    with Image.open(buf) as img:
        rgb = img.convert("RGB")
    out = io.BytesIO()
    rgb.quantize(colors=PNG_COLORS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        out, format="PNG", optimize=True, dpi=(DPI, DPI))
    return out.getvalue()


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"  # the IEND chunk: length 0, type, CRC


def is_png(data: bytes) -> bool:
    """Whether `data` is a whole PNG: the signature, the closing IEND chunk, and Pillow reads every pixel
    with truncated images refused (WeasyPrint turns Pillow's global LOAD_TRUNCATED_IMAGES on when it is
    imported, which would let half a PNG pass)."""
    if not data.startswith(PNG_SIGNATURE) or not data.endswith(PNG_END):
        return False
    from PIL import Image, ImageFile
    lenient, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
    except Exception:  # truncated or corrupted: any decoder error means "not a PNG we can serve"
        return False
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = lenient
    return True


def png_data_uri(png: bytes) -> str:
    """PNG bytes as a data: URI (the HTML must be self-contained)."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
