"""Per-row check bookkeeping shared by the validators of :mod:`clvkit.validation` (private)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import schema as s
from ._parse import as_ids as _ids
from ._parse import is_blank, parse_numbers

__all__ = ["Checks", "check_optional_numbers", "exact_duplicates", "later_duplicates",
           "unknown", "whole_columns"]

_INT_COLUMNS = (s.QUANTITY,)


@dataclass
class Checks:
    """Collects the first reason per row (set aside) and the first note (kept)."""

    index: pd.Index
    reason: pd.Series = field(init=False)
    note: pd.Series = field(init=False)

    def __post_init__(self) -> None:
        self.reason = pd.Series(None, index=self.index, dtype=object)
        self.note = pd.Series(None, index=self.index, dtype=object)

    @property
    def ok(self) -> pd.Series:
        return self.reason.isna()

    def set_aside(self, code: str, mask: pd.Series) -> None:
        self.reason = self.reason.mask(self.ok & mask.fillna(False).astype(bool), code)

    def keep(self, code: str, mask: pd.Series) -> None:
        hit = self.ok & self.note.isna() & mask.fillna(False).astype(bool)
        self.note = self.note.mask(hit, code)


def later_duplicates(keys: pd.Series, among: pd.Series) -> pd.Series:
    """True for rows whose key repeats an earlier row's key (rows in ``among`` only)."""
    sub = keys[among & keys.notna()]
    return sub.duplicated(keep="first").reindex(keys.index, fill_value=False)


def exact_duplicates(raw: pd.DataFrame, among: pd.Series) -> pd.Series:
    sub = raw[among]
    if sub.empty:
        return pd.Series(False, index=raw.index)
    return sub.duplicated(keep="first").reindex(raw.index, fill_value=False)


def unknown(ids: pd.Series, known_customers: object) -> pd.Series:
    if known_customers is None:
        return pd.Series(False, index=ids.index)
    known = set(_ids(pd.Series(list(known_customers), dtype=object)).dropna())
    return ids.notna() & ~ids.isin(known)


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
