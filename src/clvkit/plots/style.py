"""The workbook's figure style: one theme, CJK-capable fonts, number axes, literal text.

:func:`apply_style` is called by ``ck.report.setup``; for Chinese it first makes sure
an installed font draws Chinese (:func:`ensure_cjk_font`, which rescans the system
fonts when matplotlib's font cache predates them and otherwise stops with the install
command). Plot functions label axes with :func:`money_formatter` (one unit per axis:
``¥1,750``; ``¥20k`` / ``¥2万``), :func:`percent_formatter` (distinct, exact
percentages), :func:`count_axis` and :func:`date_axis`, pass every data string
through :func:`plain` (no mathtext), and colour with :data:`PALETTE`.
"""

from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING

from matplotlib.ticker import Formatter

from ..exceptions import ClvkitError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "CJK_FONTS",
    "PALETTE",
    "CountTicks",
    "MissingFontError",
    "MoneyTicks",
    "PercentTicks",
    "apply_style",
    "available_fonts",
    "count_axis",
    "date_axis",
    "ensure_cjk_font",
    "has_cjk_font",
    "money_formatter",
    "percent_formatter",
    "plain",
    "refresh_font_cache",
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
    Chinese label would be drawn as empty boxes: for ``lang="zh"``
    :func:`ensure_cjk_font` first checks that an installed font covers Chinese,
    rescans the system fonts when matplotlib's cache predates them, and raises
    :class:`MissingFontError` with the install command when there is none.

    Raises
    ------
    MissingFontError
        ``lang="zh"`` and no installed font draws Chinese.
    """
    import matplotlib as mpl
    import seaborn as sns

    if lang == "zh":
        ensure_cjk_font()  # refreshes a stale font cache; fails clearly without a font
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
    """Whether a font able to draw Chinese is in matplotlib's font list."""
    return any(f in available_fonts() for f in CJK_FONTS)


class MissingFontError(ClvkitError, RuntimeError):
    """No installed font can draw the report language's characters."""


#: Install commands named when no CJK font exists (Debian/Ubuntu, macOS, conda).
_FONT_INSTALL = ("apt-get install fonts-noto-cjk (Debian/Ubuntu), "
                 "brew install --cask font-noto-sans-cjk-sc (macOS), "
                 "or conda install -c conda-forge noto-cjk")


def _font_cache_file():
    from pathlib import Path

    import matplotlib as mpl
    from matplotlib import font_manager

    return Path(mpl.get_cachedir(), f"fontlist-v{font_manager.FontManager.__version__}.json")


def refresh_font_cache() -> int:
    """Add fonts installed after matplotlib's font cache was written; return how many.

    matplotlib lists the system fonts once and keeps the list in
    ``<cachedir>/fontlist-v*.json``; fonts installed later (``fonts-noto-cjk`` after
    a first run) stay invisible and Chinese text is drawn as empty boxes. This adds
    every font file on the system that the list lacks to the running
    ``fontManager`` and writes the list back, so later kernels read it directly.
    """
    from matplotlib import font_manager

    manager = font_manager.fontManager
    known = {f.fname for f in manager.ttflist}
    added = 0
    for path in font_manager.findSystemFonts():
        if path in known:
            continue
        try:
            manager.addfont(path)
        except (OSError, RuntimeError, ValueError):  # unreadable or not a font
            continue
        added += 1
    if added:
        available_fonts.cache_clear()
        try:
            font_manager.json_dump(manager, _font_cache_file())
        except OSError:  # read-only cache folder: the refreshed list lives in memory
            pass
    return added


def _covers(family: str, text: str) -> bool:
    from matplotlib import font_manager, ft2font

    props = font_manager.FontProperties(family=family)
    try:
        path = font_manager.fontManager.findfont(props, fallback_to_default=False)
    except ValueError:
        return False
    charmap = ft2font.FT2Font(path).get_charmap()
    return all(ord(c) in charmap for c in text if not c.isspace())


#: Characters a Chinese report certainly draws (titles, axes, numbers' units).
CJK_SAMPLE = "客户价值流失率留存满意度金额月份季度万亿是否"


def ensure_cjk_font(sample: str = CJK_SAMPLE, fonts: tuple[str, ...] = CJK_FONTS) -> str:
    """Return the installed font that draws Chinese, refreshing a stale font cache first.

    The first family of ``fonts`` in matplotlib's font list whose character map
    covers every character of ``sample`` wins. When none is listed, the system's
    font folders are scanned once (:func:`refresh_font_cache`), since the usual
    cause is a font installed after matplotlib cached its list.

    Raises
    ------
    MissingFontError
        When no installed font covers ``sample``: a Chinese chart would show empty
        boxes, so the report stops and names the install command instead.
    """
    def pick() -> str | None:
        installed = available_fonts()
        return next((f for f in fonts if f in installed and _covers(f, sample)), None)

    found = pick()
    if found is None and refresh_font_cache():
        found = pick()
    if found is None:
        msg = (f"no installed font can draw Chinese (tried {', '.join(fonts[:3])}, ...), so "
               f"Chinese charts would show empty boxes; install one: {_FONT_INSTALL}, then "
               "run the report again.")
        raise MissingFontError(msg)
    return found


def plain(text: object) -> str:
    """Return ``text`` as a string matplotlib draws literally (no mathtext).

    matplotlib reads text between two ``$`` as a formula: a channel called ``$x$``
    would be drawn in italics, and ``$\\x$`` stops the figure with a parse error.
    Every data string (segment, channel, group names, the currency) goes through
    this before it reaches a title, label, legend or annotation.
    """
    return str(text).replace("$", r"\$")


def _distinct_decimals(values: list[float], most: int = 4) -> int:
    """Fewest decimals (0..``most``) that print every value exactly and differently.

    Exactly: a tick at 2.5 gets one decimal ("2.5%", not "2%" or "3%"), so 0.5%
    steps never read "1%, 1%, 2%"; the same decimals are then used on every tick.
    """
    finite = sorted({v for v in values if math.isfinite(v)})
    for decimals in range(most + 1):
        rounded = [round(v, decimals) for v in finite]
        exact = all(abs(r - v) <= 1e-9 * max(1.0, abs(v)) for r, v in zip(rounded, finite,
                                                                         strict=True))
        if exact and len(set(rounded)) == len(rounded):
            return decimals
    return most


class _AxisTicks(Formatter):
    """Label every tick of an axis with one unit and the same, sufficient decimals."""

    def __init__(self) -> None:
        self.decimals = 0

    def scaled(self, x: float) -> float:
        return x

    def set_locs(self, locs) -> None:
        super().set_locs(locs)
        lo, hi = self.axis.get_view_interval() if self.axis is not None else (-math.inf, math.inf)
        lo, hi = min(lo, hi), max(lo, hi)
        pad = 1e-9 * max(1.0, abs(hi - lo))
        shown = [self.scaled(x) for x in locs if lo - pad <= x <= hi + pad] or \
            [self.scaled(x) for x in locs]
        self.decimals = _distinct_decimals(shown)


class PercentTicks(_AxisTicks):
    """Axis labels for shares in [0, 1]: ``0%, 0.5%, 1.0%`` (never ``1%, 1%``)."""

    def __init__(self, decimals: int | None = None) -> None:
        super().__init__()
        self.fixed = decimals

    def scaled(self, x: float) -> float:
        return 100 * x

    def set_locs(self, locs) -> None:
        super().set_locs(locs)
        if self.fixed is not None:
            self.decimals = self.fixed

    def __call__(self, x: float, pos: int | None = None) -> str:
        if not math.isfinite(x):
            return ""
        return f"{100 * x:.{self.decimals}f}%"


class MoneyTicks(_AxisTicks):
    """Axis labels for amounts in one unit per axis: ``¥0, ¥500, ¥1,000`` up to
    10,000, then ``¥20k`` / ``¥2万``, ``¥1.5M`` / ``¥1.5亿`` (units of the language)."""

    def __init__(self, currency: str = "¥", lang: str | None = None) -> None:
        super().__init__()
        self.currency = currency
        self.lang = lang
        self.size, self.suffix = 1.0, ""

    def set_locs(self, locs) -> None:
        from ..i18n import compact_unit

        lo, hi = self.axis.get_view_interval() if self.axis is not None else (0, 0)
        visible = [abs(x) for x in locs if min(lo, hi) <= x <= max(lo, hi)] or \
            [abs(x) for x in locs] or [0.0]
        self.size, self.suffix = compact_unit(max(visible), self.lang)
        super().set_locs(locs)

    def scaled(self, x: float) -> float:
        return x / self.size

    def __call__(self, x: float, pos: int | None = None) -> str:
        if not math.isfinite(x):
            return ""
        if round(abs(x) / self.size, self.decimals) == 0:
            return f"{plain(self.currency)}0"  # "¥0", not "¥0.0万"
        sign = "-" if x < 0 else ""
        return f"{sign}{plain(self.currency)}{abs(x) / self.size:,.{self.decimals}f}{self.suffix}"


class CountTicks(_AxisTicks):
    """Axis labels for counts: whole numbers with thousands separators."""

    def __call__(self, x: float, pos: int | None = None) -> str:
        return f"{x:,.0f}" if math.isfinite(x) else ""


def money_formatter(currency: str = "¥", lang: str | None = None) -> MoneyTicks:
    """Return an axis formatter for amounts (see :class:`MoneyTicks`)."""
    return MoneyTicks(currency, lang)


def percent_formatter(decimals: int | None = None) -> PercentTicks:
    """Return an axis formatter showing shares in [0, 1] as distinct percentages."""
    return PercentTicks(decimals)


def count_axis(axis) -> None:
    """Put whole-number ticks with thousands separators on ``axis`` (an Axis)."""
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(nbins="auto", integer=True, min_n_ticks=3))
    axis.set_major_formatter(CountTicks())


def date_axis(axis, *, maxticks: int = 7) -> None:
    """Concise, non-overlapping date ticks on ``axis``: at most ``maxticks`` labels,
    each written once ("2024" under "Jan", not "2024-01" on every tick)."""
    import matplotlib.dates as mdates

    from ..i18n import get_language

    locator = mdates.AutoDateLocator(minticks=3, maxticks=maxticks)
    axis.set_major_locator(locator)
    formats = {}
    if get_language() == "zh":  # numeric months in Chinese ("3月"), years as "2024年"
        formats = {"formats": ["%Y年", "%-m月", "%-d日", "%H:%M", "%H:%M", "%S.%f"],
                   "zero_formats": ["", "%Y年", "%-m月", "%-m月%-d日", "%H:%M", "%H:%M"]}
    axis.set_major_formatter(mdates.ConciseDateFormatter(locator, **formats))
