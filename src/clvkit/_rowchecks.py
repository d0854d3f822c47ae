"""Per-row check bookkeeping shared by the validators of :mod:`clvkit.validation` (private)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import schema as s
from ._orders import id_codes
from ._parse import as_ids as _ids
from ._parse import is_blank, parse_numbers

__all__ = [
    "Checks",
    "check_optional_numbers",
    "exact_duplicates",
    "isin_text",
    "later_duplicates",
    "unknown",
    "whole_columns",
]

_INT_COLUMNS = (s.QUANTITY,)


@dataclass
class Checks:
    """Collects the first reason per row (set aside) and the first note (kept).

    Which rows are still OK and still without a note is kept as boolean arrays, so
    that each check costs a few array operations instead of a scan of the text codes.
    """

    index: pd.Index
    reason: pd.Series = field(init=False)
    note: pd.Series = field(init=False)

    def __post_init__(self) -> None:
        self.reason = pd.Series(None, index=self.index, dtype=object)
        self.note = pd.Series(None, index=self.index, dtype=object)
        self._ok = np.ones(len(self.index), dtype=bool)  # reason.isna()
        self._no_note = np.ones(len(self.index), dtype=bool)  # note.isna()

    @property
    def ok(self) -> pd.Series:
        return pd.Series(self._ok.copy(), index=self.index)

    def set_aside(self, code: str, mask: pd.Series) -> None:
        hit = self._ok & self._flags(mask)
        self.reason = self._marked(self.reason, self._ok, hit, code)
        self._ok &= ~hit

    def keep(self, code: str, mask: pd.Series) -> None:
        hit = self._ok & self._no_note & self._flags(mask)
        self.note = self._marked(self.note, self._no_note, hit, code)
        self._no_note &= ~hit

    def _flags(self, mask: pd.Series) -> np.ndarray:
        flags = mask.fillna(False).astype(bool)
        if not flags.index.equals(self.index):  # align by label, as ``&`` of Series does
            flags = flags.reindex(self.index, fill_value=False)
        return flags.to_numpy(dtype=bool)

    def _marked(self, codes: pd.Series, empty: np.ndarray, hit: np.ndarray,
                code: str) -> pd.Series:
        """``codes.mask(hit, code)``: ``code`` where hit, NaN for every empty cell."""
        out = codes.to_numpy(dtype=object, copy=True)
        out[empty] = np.nan
        out[hit] = code
        return pd.Series(out, index=self.index, dtype=object)

def later_duplicates(keys: pd.Series, among: pd.Series) -> pd.Series:
    """True for rows whose key repeats an earlier row's key (rows in ``among`` only)."""
    sub = keys[among & keys.notna()]
    return sub.duplicated(keep="first").reindex(keys.index, fill_value=False)


def exact_duplicates(raw: pd.DataFrame, among: pd.Series,
                     order_codes: np.ndarray | None = None) -> pd.Series:
    """True for rows (in ``among``) identical in every column to an earlier such row.

    Identical rows share their order id: only rows whose order id repeats are compared
    in full. ``order_codes`` (:func:`clvkit._orders.id_codes` of the typed order ids,
    -1 where missing) finds them without hashing the id strings again; rows typed
    alike include every pair of identical raw ids, so the answer is the same.
    """
    if not among.any():
        return pd.Series(False, index=raw.index)
    if order_codes is not None and s.ORDER_ID in raw:
        rows = among.to_numpy(dtype=bool)
        codes = order_codes[rows]
        counts = np.bincount(codes[codes >= 0]) if (codes >= 0).any() else np.zeros(0, int)
        again = (codes < 0) | (counts[np.maximum(codes, 0)] > 1) if counts.size else codes < 0
        pick = np.zeros(len(raw), dtype=bool)
        pick[np.flatnonzero(rows)[again]] = True
        sub = raw[pick]
        return sub.duplicated(keep="first").reindex(raw.index, fill_value=False)
    sub = raw[among]
    if s.ORDER_ID in sub:  # identical rows share their order id: compare only those
        sub = sub[sub[s.ORDER_ID].duplicated(keep=False)]
    return sub.duplicated(keep="first").reindex(raw.index, fill_value=False)


def unknown(ids: pd.Series, known_customers: object,
            codes: tuple[np.ndarray, pd.Index] | None = None) -> pd.Series:
    """True where an id is present and not among ``known_customers``.

    Each distinct id is looked up once (``codes``: :func:`clvkit._orders.id_codes` of
    ``ids``, computed here when not given), not each of millions of rows.
    """
    if known_customers is None:
        return pd.Series(False, index=ids.index)
    known = _ids(pd.Series(list(known_customers), dtype=object)).dropna()
    row_codes, uniques = id_codes(ids) if codes is None else codes
    found = np.append(isin_text(uniques, known), True)  # code -1 (missing): not unknown
    return pd.Series(~found[row_codes], index=ids.index)


def isin_text(values: pd.Index, among: pd.Series) -> np.ndarray:
    """``values.isin(among)`` for strings, hashed by Arrow (a million ids in well under 1 s)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if values.dtype == object and among.dtype == object and len(values):
        try:
            left = pa.array(values.to_numpy(), type=pa.large_string())
            right = pa.array(among.to_numpy(), type=pa.large_string())
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # not all strings
            pass
        else:
            return pc.is_in(left, value_set=right).to_numpy(zero_copy_only=False)
    return np.asarray(values.isin(among), dtype=bool)


def check_optional_numbers(
    raw: pd.DataFrame, typed: pd.DataFrame, checks: Checks, columns: tuple[str, ...]
) -> None:
    for col in columns:
        if col not in raw:
            continue
        typed[col] = parse_numbers(raw[col])
        bad = typed[col].isna() & ~is_blank(raw[col])
        checks.set_aside("non_numeric_value", bad | np.isinf(typed[col]))


def whole_columns(typed: pd.DataFrame) -> tuple[str, ...]:
    """The count columns (quantity) whose numbers are all whole: kept as integers.

    Decided on the parsed values, so a row set aside for a non-numeric quantity
    does not turn the kept column into floats; blanks make it nullable (Int64).
    """
    out = []
    for col in _INT_COLUMNS:
        if col in typed:
            values = typed[col].dropna()
            if bool((values == np.floor(values)).all()):
                out.append(col)
    return tuple(out)
