"""Error-message pieces and the column check shared by every module (private)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

import pandas as pd

from .exceptions import DataValidationError

__all__ = ["examples", "require_columns"]

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
