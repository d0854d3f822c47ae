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
    "format_int",
    "format_money",
    "format_number",
    "format_pct",
    "get_language",
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
    return text.format(**values) if values else text


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


def format_money(x: float, currency: str = "¥", decimals: int = 0) -> str:
    """Format an amount with its currency symbol in front ("¥1,234"; "-¥50")."""
    if _missing(x):
        return "n/a"
    sign = "-" if x < 0 else ""
    return f"{sign}{currency}{format_number(abs(x), decimals)}"


def format_pct(share: float, decimals: int = 1) -> str:
    """Format a share in [0, 1] as a percentage ("12.3%")."""
    if _missing(share):
        return "n/a"
    return f"{100 * share:.{decimals}f}%"
