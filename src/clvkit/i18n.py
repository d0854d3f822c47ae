"""Report labels and number formatting in English and Chinese.

Strings live in TOML catalogues under ``clvkit/locales/`` (one file per theme, each
with an ``[en]`` and a ``[zh]`` table), loaded on first use. The language is chosen
per call (``lang=``) or for a whole notebook with :func:`set_language`; the default
is English.

Examples
--------
>>> from clvkit import i18n
>>> i18n.format_money(1234567.8, currency="¥")
'¥1,234,568'
>>> i18n.format_pct(0.1234)
'12.3%'
"""

from __future__ import annotations

import contextvars
import functools
import math
import re
import sys
from importlib import resources
from typing import Literal

from .exceptions import ParameterError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = [
    "LANGUAGES",
    "column_label",
    "compact_unit",
    "format_date",
    "format_int",
    "format_interval",
    "format_money",
    "format_number",
    "format_pct",
    "format_period",
    "format_yes_no",
    "get_language",
    "join_list",
    "period_kind",
    "punctuate",
    "set_language",
    "t",
]

Lang = Literal["en", "zh"]
LANGUAGES: tuple[str, ...] = ("en", "zh")
_current: contextvars.ContextVar[str] = contextvars.ContextVar("clvkit_lang", default="en")


def _check(lang: str) -> str:
    if lang not in LANGUAGES:
        msg = f"lang must be one of {', '.join(map(repr, LANGUAGES))}; got {lang!r}"
        raise ParameterError(msg)
    return lang


def set_language(lang: str) -> None:
    """Set the language used when a call does not pass ``lang=``."""
    _current.set(_check(lang))


def get_language() -> str:
    """Return the language in force ("en" or "zh")."""
    return _current.get()


@functools.cache
def _catalogue() -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {lang: {} for lang in LANGUAGES}
    folder = resources.files("clvkit") / "locales"
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if not entry.name.endswith(".toml"):
            continue
        data = tomllib.loads(entry.read_text(encoding="utf-8"))
        for lang in LANGUAGES:
            merged[lang].update(data.get(lang, {}))
    return merged


def t(key: str, lang: str | None = None, **values: object) -> str:
    """Translate ``key`` and fill ``{placeholders}`` from ``values``.

    A key missing from the requested language falls back to English; a key missing
    everywhere is returned as is, so a forgotten label shows up visibly in a report
    instead of failing the run (``tests/test_i18n.py`` checks every key has both).
    """
    lang = _check(lang) if lang else get_language()
    cat = _catalogue()
    text = cat[lang].get(key) or cat["en"].get(key) or key
    if lang == "zh" and key in cat["zh"]:
        text = punctuate(text, "zh")
    return text.format(**values) if values else text


# ASCII punctuation that Chinese sentences write full width. Only the catalogue text is
# converted, never a value filled in later (a segment name, "1,234", "12:30").
_ZH_PUNCT = {",": "，", ":": "：", ";": "；", "?": "？", "!": "！"}
_FIELD_OR_CODE = re.compile(r"(\{[^{}]*\}|`[^`]*`|https?://\S+)")
_ASCII_PUNCT = re.compile(r" *([,:;?!]) *")


def _full_width(match: re.Match[str]) -> str:
    text, start, end = match.string, match.start(1), match.end(1)
    if 0 < start and end < len(text) and text[start - 1].isdigit() and text[end].isdigit():
        return match.group(0)  # 1,234 or 12:30
    return _ZH_PUNCT[match.group(1)]


def punctuate(text: str, lang: str = "zh") -> str:
    """Return ``text`` with Chinese full-width punctuation when ``lang`` is "zh".

    ASCII ``, : ; ? !`` (and the spaces around them) become ``， ： ； ？ ！``,
    except between two digits ("1,234", "12:30"), inside ``{placeholders}``,
    Markdown code spans and URLs. English text is returned unchanged.

    Examples
    --------
    >>> punctuate("流失率: {rate}, 共 {n} 位客户; 见下表")
    '流失率：{rate}，共 {n} 位客户；见下表'
    """
    if lang != "zh" or not any(c in text for c in _ZH_PUNCT):
        return text
    parts = _FIELD_OR_CODE.split(text)
    for i in range(0, len(parts), 2):  # even items are plain text
        parts[i] = _ASCII_PUNCT.sub(_full_width, parts[i])
    return "".join(parts)


def join_list(items, lang: str | None = None) -> str:
    """Join words into a list: "a, b, c" in English, "a、b、c" (enumeration comma) in Chinese."""
    lang = _check(lang) if lang else get_language()
    return ("、" if lang == "zh" else ", ").join(str(i) for i in items)


def column_label(name: object, lang: str | None = None) -> object:
    """Return the human header of a table column in ``lang`` (``name`` itself if unknown).

    Column labels live in ``locales/columns.toml`` as ``col.<name>``; a plain
    catalogue key of the same name is used next (``customers``, ``rate``).
    Non-string labels (numbers, periods) are returned unchanged.
    """
    if not isinstance(name, str):
        return name
    cat = _catalogue()
    for key in (f"col.{name}", name):
        if key in cat["en"]:
            return t(key, lang)
    return name


def _missing(x: float | None) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def format_number(x: float, decimals: int = 0) -> str:
    """Format with thousands separators ("1,234.5"); NaN becomes "n/a"."""
    if _missing(x):
        return "n/a"
    return f"{x:,.{decimals}f}"


def format_int(x: float) -> str:
    """Format a count with thousands separators ("12,345"); NaN becomes "n/a"."""
    return "n/a" if _missing(x) else format_number(round(x), 0)


def format_pct(share: float, decimals: int = 1) -> str:
    """Format a share in [0, 1] as a percentage ("12.3%")."""
    if _missing(share):
        return "n/a"
    return f"{100 * share:.{decimals}f}%"


#: Units of compact amounts: Chinese groups digits by four (万 = 10^4, 亿 = 10^8) and
#: writes amounts under 1万 in full; English uses k / M / B from 10,000.
_UNITS: dict[str, tuple[tuple[float, str], ...]] = {
    "en": ((1e9, "B"), (1e6, "M"), (1e4, "k")),
    "zh": ((1e8, "亿"), (1e4, "万")),
}


def compact_unit(magnitude: float, lang: str | None = None) -> tuple[float, str]:
    """Return ``(divisor, suffix)`` for amounts of this size: (1e4, "万"), (1e3, "k"), (1, "").

    English switches to "k" from 10,000 (so 1,750 stays "1,750", never "1.8k").
    """
    lang = _check(lang) if lang else get_language()
    for size, suffix in _UNITS[lang]:
        if abs(magnitude) >= size:
            return (1e3 if suffix == "k" else size), suffix
    return 1.0, ""


def format_money(x: float, currency: str = "¥", decimals: int = 0, *,
                 compact: bool = False, lang: str | None = None) -> str:
    """Format an amount with its currency symbol in front ("¥1,234"; "-¥50").

    With ``compact=True`` large amounts are shortened with three significant
    digits in the units of the language: "¥12.3k" / "¥1.23万", "¥4.56M" / "¥456万",
    "¥1.20亿"; amounts under 10,000 are written in full ("¥1,750").
    """
    if _missing(x):
        return "n/a"
    sign = "-" if x < 0 else ""
    if compact:
        size, suffix = compact_unit(abs(x), lang)
        if suffix:
            value = abs(x) / size
            digits = max(0, 2 - math.floor(math.log10(value)))
            return f"{sign}{currency}{format_number(value, digits)}{suffix}"
    return f"{sign}{currency}{format_number(abs(x), decimals)}"


def format_yes_no(value: object, lang: str | None = None) -> str:
    """Format a boolean as "Yes"/"No" (是/否); missing values become "–"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return t("fmt.yes" if bool(value) else "fmt.no", lang)


def format_interval(low: float, high: float, fmt=None, *, lang: str | None = None) -> str:
    """Describe an interval of a difference in words.

    "between +¥120 and +¥480" when the whole interval lies on one side of zero;
    "no clear difference (-¥30 to +¥410)" when it spans zero. ``fmt`` formats one
    end (default: one decimal with a sign).
    """
    if _missing(low) or _missing(high):
        return "n/a"
    fmt = fmt or (lambda v: f"{v:+,.1f}")
    key = "fmt.interval_spans_zero" if low <= 0 <= high else "fmt.interval"
    return t(key, lang, low=fmt(low), high=fmt(high))


def format_date(value: object, lang: str | None = None) -> str:
    """Format a date the one way reports show it: ISO ``2024-03-31`` in English,
    ``2024年3月31日`` in Chinese; a time of day is dropped. Missing gives "–"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    import pandas as pd

    stamp = pd.Timestamp(value)
    if stamp is pd.NaT:
        return "–"
    lang = _check(lang) if lang else get_language()
    if lang == "zh":
        return f"{stamp.year}年{stamp.month}月{stamp.day}日"
    return stamp.strftime("%Y-%m-%d")


def format_period(value: object, freq: str = "M", lang: str | None = None) -> str:
    """Format a month ("Mar 2024" / "2024年3月"), quarter ("2024 Q1" / "2024年第1季度")
    or year; ``value`` is a date or a pandas Period (whose own frequency wins)."""
    import pandas as pd

    if isinstance(value, pd.Period):
        freq = value.freqstr
        value = value.start_time
    stamp = pd.Timestamp(value)
    lang = _check(lang) if lang else get_language()
    kind = freq[:1].upper()
    if kind == "Q":
        q = (stamp.month - 1) // 3 + 1
        return f"{stamp.year}年第{q}季度" if lang == "zh" else f"{stamp.year} Q{q}"
    if kind in ("Y", "A"):
        return f"{stamp.year}年" if lang == "zh" else str(stamp.year)
    if kind in ("W", "D"):
        return format_date(stamp, lang)
    if lang == "zh":
        return f"{stamp.year}年{stamp.month}月"
    return stamp.strftime("%b %Y")


def period_kind(index: object) -> str:
    """Return "month", "quarter", "year", "week" or "day": the step of a Period or date index."""
    import pandas as pd

    if isinstance(index, pd.PeriodIndex):
        code = index.freqstr[:1].upper()
    else:
        code = (pd.infer_freq(pd.DatetimeIndex(index)) or "M")[:1].upper() if len(index) > 2 \
            else "M"
    return {"Q": "quarter", "Y": "year", "A": "year", "W": "week", "D": "day"}.get(code, "month")
