"""Fast look-up of customer ids (private): where each transaction's customer sits in an index.

pandas hashes text ids as Python strings, one pointer chase per row: at 7 million
transactions that takes seconds of CPU per look-up. Arrow hashes the ids' bytes
instead, about three times faster; it is used when both sides are plain text, and
pandas' own look-up otherwise (numbers, mixed types, text Arrow cannot encode).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["by_text_id", "positions", "take_by_id"]


def _all_text(values: pd.Index | pd.Series, *, missing: bool) -> bool:
    return values.dtype == object and pd.api.types.infer_dtype(values, skipna=missing) == "string"


def positions(index: pd.Index, ids: pd.Series) -> np.ndarray:
    """``index.get_indexer(ids)``: the position of each id in ``index``, -1 when absent.

    Raises what ``get_indexer`` raises (a non-unique ``index``).
    """
    if index.is_unique and _all_text(index, missing=False) and _all_text(ids, missing=True):
        import pyarrow as pa
        import pyarrow.compute as pc

        try:
            found = pc.index_in(pa.array(ids.to_numpy(), type=pa.string(), from_pandas=True),
                                value_set=pa.array(index.to_numpy(), type=pa.string()))
        except (pa.ArrowException, TypeError, ValueError):
            pass  # text Arrow cannot encode (lone surrogates): the plain look-up below
        else:
            return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    return index.get_indexer(ids)


def take_by_id(ids: pd.Series, values: pd.Series) -> pd.Series:
    """``ids.map(values)`` for a ``values`` Series indexed by id (unique): the value of
    each row's id, missing when the id has none; categories and dtypes as ``map`` keeps them."""
    found = values.array.take(positions(values.index, ids), allow_fill=True)
    return pd.Series(found, index=ids.index, name=ids.name)


def by_text_id(values: pd.Series) -> pd.Series:
    """``values`` indexed by the ids as text, the first non-missing value of each id (a
    group-by only when ids repeat, as text: a million unique ids need no sorting)."""
    ids = values.index.astype(str)
    if ids.is_unique:
        return values.set_axis(ids)
    return values.groupby(ids).first()
