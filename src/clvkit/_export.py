"""Tables written for people and CRMs: what each known column holds, rounding, units in
the names, and CSV-injection-safe text cells (private; used by ``segments.export`` and
``report``).

One registry (:data:`COLUMN_KINDS`) says what a column holds (an amount, a share, a
count, ...), so a table in a report page and the same column in a CSV are formatted
from the same rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

__all__ = [
    "COLUMN_KINDS",
    "PROTECTED",
    "column_kind",
    "currency_code",
    "for_export",
    "neutralise_formulas",
]

#: Columns whose names a CRM import or a check relies on: never renamed.
PROTECTED: frozenset[str] = frozenset(
    {"customer_id", "customer_ref", "clv", "clv_low", "clv_high", "p_alive", "churn_risk",
     "segment", "tier", "action"})

#: What a column holds: money (report currency), share (0-1), count, days, score, date.
COLUMN_KINDS: dict[str, str] = {
    "clv": "money", "clv_low": "money", "clv_high": "money", "value": "money",
    "profit": "money", "revenue": "money", "margin": "money", "customer_value": "money",
    "value_at_stake": "money",
    "expected_spend": "money", "mean_value": "money", "clv_per_customer": "money",
    "base_value": "money", "value_change": "money", "retention_cost": "money",
    "net_value_change": "money", "equivalent_acquisition_cost": "money",
    "monetary": "money",
    "avg_order_value": "money", "spend_per_year": "money",
    "p_alive": "share", "churn_risk": "share", "previous_churn_risk": "share",
    "churn_probability": "share", "rate": "share", "retention": "share",
    "value_change_pct": "share", "rel_diff": "share", "total_error_pct": "share",
    "peak_share": "share", "dq_share": "share",
    "customers": "count", "orders": "count", "n": "count", "rank": "count",
    "n_promoters": "count", "n_passives": "count", "n_detractors": "count",
    "active_start": "count", "active_end": "count", "lost": "count", "gained": "count",
    "frequency": "count", "rows": "count", "equivalent_new_customers": "count",
    "recency_days": "days",
    "first_purchase": "date", "last_purchase": "date",
}
_SHARE = re.compile(r"^(share_.+|.+_share|p_.+)$")
_COUNT = re.compile(r"^(n_.+|.+_count|.+_customers)$")
_CURRENCIES = {"¥": "cny", "￥": "cny", "元": "cny", "$": "usd", "US$": "usd", "€": "eur",
               "£": "gbp", "₩": "krw", "₹": "inr", "HK$": "hkd", "NT$": "twd"}
#: First characters that make Excel / LibreOffice read a text cell as a formula (OWASP).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FIRST = frozenset(_FORMULA_START)
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def column_kind(name: object) -> str:
    """Return what column ``name`` holds: "money", "share", "count", "days", "date" or "".

    Known names come from :data:`COLUMN_KINDS`; otherwise ``share_*``, ``*_share``
    and ``p_*`` are shares, ``n_*``, ``*_count`` and ``*_customers`` counts.
    """
    if not isinstance(name, str):
        return ""
    if name in COLUMN_KINDS:
        return COLUMN_KINDS[name]
    if _SHARE.match(name):
        return "share"
    if _COUNT.match(name):
        return "count"
    return ""


def currency_code(currency: str) -> str:
    """Return the lower-case code used in column names for a currency symbol
    ("¥" -> "cny", "$" -> "usd"; a code such as "EUR" -> "eur"; else "amount")."""
    symbol = currency.strip()
    if symbol in _CURRENCIES:
        return _CURRENCIES[symbol]
    return symbol.lower() if re.fullmatch(r"[A-Za-z]{3}", symbol) else "amount"


def _formula_safe(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.match(
            value.strip()):
        return "'" + value
    return value


def _starts_like_formula(values: np.ndarray) -> bool:
    """Whether any text cell of ``values`` starts with a formula character: one pass in
    Arrow for a column of text (and missing values), else cell by cell."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        text = pa.array(values, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # numbers or other objects among the text
        return any(isinstance(v, str) and v[:1] in _FIRST for v in values)
    first = pc.utf8_slice_codeunits(text, 0, 1)
    return bool(pc.any(pc.is_in(first, value_set=pa.array(sorted(_FIRST)))).as_py())


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy whose text cells cannot run as spreadsheet formulas.

    A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
    gets a leading apostrophe (OWASP "CSV injection"): Excel and LibreOffice then
    show it as text instead of evaluating ``=HYPERLINK(...)``. Numeric columns,
    and text cells that are plain numbers (``-148.25`` in raw set-aside rows), are
    left untouched. Column names are treated the same way.
    """
    out = frame.copy()
    for col in out.columns:
        series = out[col]
        if pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series):
            if _starts_like_formula(series.to_numpy(dtype=object)):  # else nothing to guard
                out[col] = series.map(_formula_safe)
        elif isinstance(series.dtype, pd.CategoricalDtype):
            out[col] = series.cat.rename_categories(
                [_formula_safe(c) for c in series.cat.categories])
    out.columns = [_formula_safe(c) for c in out.columns]
    return out


def for_export(frame: pd.DataFrame, currency: str | None = None,
               keep: Iterable[str] = ()) -> pd.DataFrame:
    """Return ``frame`` shaped for people and CRMs (the frame itself is not changed).

    Amounts are rounded to cents, shares to 4 decimals; with ``currency`` each
    amount column except :data:`PROTECTED` ones (and ``keep``) gets the currency
    code in its name (``revenue`` -> ``revenue_cny``). Columns are otherwise kept
    in order, with their values.
    """
    out = frame.copy()
    renames = {}
    fixed = PROTECTED | set(keep)
    for col in out.columns:
        kind = column_kind(col)
        if kind not in ("money", "share") or not pd.api.types.is_numeric_dtype(out[col]) \
                or pd.api.types.is_bool_dtype(out[col]):
            continue
        out[col] = np.round(out[col].astype(float), 2 if kind == "money" else 4)
        if kind == "money" and currency and col not in fixed:
            renames[col] = f"{col}_{currency_code(currency)}"
    return out.rename(columns=renames)
