"""Error-message pieces and the column check shared by every module (private).

Also the one door through which validation words its user-facing messages (the
data-quality summary, reason labels, the set-aside files): :func:`say`, :func:`count`,
:func:`share` and :func:`number`. They reach the catalogues of :mod:`clvkit.i18n`
only when called, so the computation modules that import this module for
:func:`examples` and :func:`require_columns` (metrics, models, segments) never load
the translation layer.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

import pandas as pd

from .exceptions import DataValidationError

__all__ = ["count", "examples", "number", "require_columns", "say", "share"]

_RENAME = ("Rename them to clvkit's names (clvkit.schema) or map them in a config file "
           "(clvkit.load_data).")


def examples(values: Iterable[Any], n: int = 5) -> str:
    """Format up to ``n`` example values as ``"a, b, c"``, with ``", ..."`` when there are more.

    ``values`` may be any iterable (a list, an Index, a generator); at most ``n + 1``
    items are read, so it is cheap on millions of ids.
    """
    head = [str(v) for v in itertools.islice(values, n + 1)]
    return ", ".join(head[:n]) + (", ..." if len(head) > n else "")


def require_columns(frame: pd.DataFrame, columns: Iterable[str], table: str,
                    what: str = "", todo: str = "") -> None:
    """Raise a DataValidationError naming the missing columns and the ones that exist.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table as given.
    columns : iterable of str
        Columns (clvkit's names, see :mod:`clvkit.schema`) the caller reads.
    table : str
        Which table it is ("transactions", "customers", "surveys").
    what : str, default ""
        The function asking, e.g. ``"nps_trend()"``, put in front of the message.
    todo : str, default ""
        What to do; default: rename or map the columns to clvkit's names.
    """
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        have = ", ".join(map(repr, map(str, frame.columns))) or "no columns"
        msg = (f"{what + ': ' if what else ''}the {table} table has no column(s) "
               f"{', '.join(map(repr, missing))}; it has {have}. "
               f"{todo or _RENAME}")
        raise DataValidationError(msg, column=missing[0])


def say(key: str, lang: str | None = None, **values: Any) -> str:
    """Word the user-facing message ``key`` in ``lang`` (default: the current language)."""
    from .i18n import t

    return t(key, lang, **values)


def count(n: float) -> str:
    """A count with thousands separators ("12,345"); NaN gives "n/a"."""
    from .i18n import format_int

    return format_int(n)


def share(x: float, decimals: int = 1) -> str:
    """A share in [0, 1] as a percentage ("12.3%")."""
    from .i18n import format_pct

    return format_pct(x, decimals)


def number(x: float, decimals: int = 0) -> str:
    """A number with thousands separators ("1,234.5")."""
    from .i18n import format_number

    return format_number(x, decimals)
