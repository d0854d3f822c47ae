"""The input check every plot function starts with (private)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from .._messages import require_columns
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
    require_columns(data, columns, "given", todo=f"Pass the output of {producer}.")
    if rows and data.empty:
        msg = f"the table has no rows: nothing to draw. Pass the output of {producer}."
        raise DataValidationError(msg)
