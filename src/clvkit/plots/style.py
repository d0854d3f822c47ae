"""The workbook's figure style: one theme, CJK-capable fonts, money and percent axes.

:func:`apply_style` is called by ``ck.report.setup``; plot functions use
:func:`money_formatter`, :func:`percent_formatter` and :data:`PALETTE` so every chart
looks the same and labels its units.
"""

from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.ticker import FuncFormatter

__all__ = [
    "CJK_FONTS",
    "PALETTE",
    "apply_style",
    "available_fonts",
    "has_cjk_font",
    "money_formatter",
    "percent_formatter",
]

#: Colours in order of use (colour-blind friendly, from seaborn's "colorblind").
PALETTE: tuple[str, ...] = (
    "#0173B2", "#DE8F05", "#029E73", "#D55E00", "#CC78BC",
    "#CA9161", "#FBAFE4", "#949494", "#ECE133", "#56B4E9",
)
#: Fonts tried for Chinese glyphs, in order: Debian fonts-noto-cjk, fonts-wqy-microhei,
#: then what macOS / Windows ship. Latin text keeps DejaVu Sans.
CJK_FONTS: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "PingFang SC",
    "Microsoft YaHei",
    "SimHei",
    "Arial Unicode MS",
)
_LATIN_FONTS: tuple[str, ...] = ("DejaVu Sans", "Arial", "Liberation Sans")


@functools.cache
def available_fonts() -> frozenset[str]:
    """Return the font family names matplotlib can use on this machine."""
    from matplotlib import font_manager

    return frozenset(f.name for f in font_manager.fontManager.ttflist)


def _font_list() -> list[str]:
    """Installed fonts from the Latin then CJK lists (missing ones are left out, so
    matplotlib does not log "font not found" into the report)."""
    installed = available_fonts()
    fonts = [f for f in (*_LATIN_FONTS, *CJK_FONTS) if f in installed]
    return fonts or ["sans-serif"]


def apply_style(lang: str = "en") -> None:
    """Set the seaborn theme, the palette and a font list that draws Chinese.

    seaborn's ``set_theme`` resets ``font.family``, so the font fallback list is set
    after it: Latin glyphs come from DejaVu Sans, Chinese ones from the first
    installed CJK font (matplotlib falls back glyph by glyph). Without any CJK font a
    Chinese label would be drawn as empty boxes; ``lang`` is accepted so a missing
    font can be detected by :func:`has_cjk_font` before a zh report is built
    (the same font list serves both languages).
    """
    import matplotlib as mpl
    import seaborn as sns

    sns.set_theme(context="notebook", style="whitegrid", palette=list(PALETTE))
    mpl.rcParams.update(
        {
            # A list of families (not "sans-serif") so matplotlib falls back glyph
            # by glyph from DejaVu Sans to the CJK font.
            "font.family": _font_list(),
            "font.sans-serif": [*_font_list(), "sans-serif"],
            "axes.unicode_minus": False,
            "axes.titlesize": 13,
            "axes.titleweight": "bold",
            "axes.titlelocation": "left",
            "axes.labelsize": 11,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "figure.figsize": (8.0, 4.5),
            "figure.dpi": 100,
            "savefig.dpi": 150,
            "legend.frameon": False,
            "svg.fonttype": "none",
        }
    )


def axes_or_new(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    """Return ``ax``, or the Axes of a new figure of ``figsize`` inches when it is None.

    The shared start of every ``plot_*(data, *, ax=None)`` function in the themed
    plot modules.
    """
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=figsize)[1]


def has_cjk_font() -> bool:
    """Whether a font able to draw Chinese is installed for matplotlib."""
    return any(f in available_fonts() for f in CJK_FONTS)


def _compact(x: float) -> tuple[float, str]:
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= size:
            return x / size, suffix
    return x, ""


def money_formatter(currency: str = "¥") -> FuncFormatter:
    """Return an axis formatter for amounts: ``¥950``, ``¥12k``, ``¥1.5M``."""
    from matplotlib.ticker import FuncFormatter

    def fmt(x: float, _pos: int | None = None) -> str:
        if not math.isfinite(x):
            return ""
        value, suffix = _compact(abs(x))
        digits = 0 if value >= 10 or value == int(value) else 1
        sign = "-" if x < 0 else ""
        return f"{sign}{currency}{value:.{digits}f}{suffix}"

    return FuncFormatter(fmt)


def percent_formatter(decimals: int = 0) -> FuncFormatter:
    """Return an axis formatter showing shares in [0, 1] as percentages (``25%``)."""
    from matplotlib.ticker import FuncFormatter

    def fmt(x: float, _pos: int | None = None) -> str:
        return f"{100 * x:.{decimals}f}%" if math.isfinite(x) else ""

    return FuncFormatter(fmt)
