"""The input check every plot function starts with (private)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from ..exceptions import DataValidationError

__all__ = ["require_table"]


def require_table(data: Any, columns: Sequence[str], producer: str, *,
                  rows: bool = False) -> None:
    """Raise a DataValidationError unless ``data`` is a DataFrame with ``columns``.

    Parameters
    ----------
    data : Any
        What the plot function was given.
    columns : sequence of str
        Columns the plot reads.
    producer : str
        The clvkit call whose output the plot expects, named in the message
        (e.g. ``"clvkit.metrics.nps_trend()"``).
    rows : bool, default False
        Also require at least one row.
    """
    if not isinstance(data, pd.DataFrame):
        msg = f"expected a DataFrame: the output of {producer}; got {type(data).__name__}."
        raise DataValidationError(msg)
    missing = [c for c in columns if c not in data.columns]
    if missing:
        have = ", ".join(map(repr, data.columns)) or "no columns"
        msg = (f"the table is missing column(s) {', '.join(map(repr, missing))}; it has "
               f"{have}. Pass the output of {producer}.")
        raise DataValidationError(msg, column=missing[0])
    if rows and data.empty:
        msg = f"the table has no rows: nothing to draw. Pass the output of {producer}."
        raise DataValidationError(msg)
