"""Check tidy tables row by row and set aside, never silently drop, what cannot be used.

Each validator returns a :class:`ValidatedTable`: the clean, typed rows, the rows set
aside with the reason, and per-reason counts with examples. Every row read gets exactly
one outcome (the FIRST reason below that applies, else "ok"), so the counts add up:
``n_read == n_kept + len(set_aside)``.

Transactions, in this order:

1. ``missing_customer_id``: customer id empty or missing.
2. ``unparseable_date``: timestamp missing or not a date (see :func:`parse_dates`).
3. ``non_numeric_amount``: amount missing or not a number.
4. ``non_numeric_value``: an optional numeric column (quantity, gross_margin, cost) holds
   text that is not a number (an empty cell is fine).
5. ``date_after_observation_end``: purchase on a day after ``observation_end``.
6. ``negative_amount``: a refund or return; also kept in :attr:`ValidatedTable.refunds`
   so that :func:`net_amounts` can net it against the customer's purchases.
7. ``zero_amount``: free or cancelled order; kept and reported instead with
   ``keep_zero_amounts=True`` (BTYD analyses of CDNOW count its 80 zero-value purchases).
8. ``duplicate_order_id``: the order id was already used by an earlier kept row (the
   first row of each order id is kept). The table must hold one row per order: sum
   order lines to orders first.
9. ``exact_duplicate``: a row without order id identical in every column to an earlier
   kept row. Counted and reported but KEPT (two identical purchases on one day happen;
   CDNOW has 255), unless ``drop_exact_duplicates=True``.
10. ``unknown_customer`` (kept, reported): customer id absent from ``known_customers``.

Customers: missing_customer_id, unparseable_date (signup_date or churn_date present but
not a date), non_numeric_value (acquisition_cost, cost_to_serve), duplicate_customer_id.
Surveys: missing_customer_id, unparseable_date, score_out_of_range (nps not an integer
0-10, ces not an integer 1-7, csat not a number), date_after_observation_end,
unknown_customer (kept, reported).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import schema as s
from ._messages import require_columns
from ._parse import as_date, parse_dates, parse_numbers
from ._parse import as_ids as _ids
from ._parse import as_text as _as_text
from ._quality import DataQuality, ValidatedTable, build_table
from ._refunds import net_amounts
from .exceptions import ParameterError

__all__ = [
    "REASONS",
    "DataQuality",
    "ValidatedTable",
    "net_amounts",
    "parse_dates",
    "parse_numbers",
    "validate_customers",
    "validate_surveys",
    "validate_tables",
    "validate_transactions",
]

#: Reason codes per table, in the order they are checked (the first that applies wins).
REASONS: dict[str, tuple[str, ...]] = {
    "transactions": (
        "missing_customer_id", "unparseable_date", "non_numeric_amount",
        "non_numeric_value", "date_after_observation_end", "negative_amount",
        "zero_amount", "duplicate_order_id", "exact_duplicate", "unknown_customer",
    ),
    "customers": (
        "missing_customer_id", "unparseable_date", "non_numeric_value",
        "duplicate_customer_id",
    ),
    "surveys": (
        "missing_customer_id", "unparseable_date", "score_out_of_range",
        "date_after_observation_end", "unknown_customer",
    ),
}
_INT_COLUMNS = (s.QUANTITY,)


def _require(df: pd.DataFrame, table: str) -> None:
    if not isinstance(df, pd.DataFrame):
        msg = f"validate_{table}() needs a pandas DataFrame; got {type(df).__name__}"
        raise ParameterError(msg)
    require_columns(df, s.TABLES[table]["required"], table, f"validate_{table}()",
                    todo="Rename them, or load the table with "
                         "clvkit.load_table(..., columns={...}).")


@dataclass
class _Checks:
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


def _later_duplicates(keys: pd.Series, among: pd.Series) -> pd.Series:
    """True for rows whose key repeats an earlier row's key (rows in ``among`` only)."""
    sub = keys[among & keys.notna()]
    return sub.duplicated(keep="first").reindex(keys.index, fill_value=False)


def _exact_duplicates(raw: pd.DataFrame, among: pd.Series) -> pd.Series:
    sub = raw[among]
    if sub.empty:
        return pd.Series(False, index=raw.index)
    return sub.duplicated(keep="first").reindex(raw.index, fill_value=False)


def _unknown(ids: pd.Series, known_customers: object) -> pd.Series:
    if known_customers is None:
        return pd.Series(False, index=ids.index)
    known = set(_ids(pd.Series(list(known_customers), dtype=object)).dropna())
    return ids.notna() & ~ids.isin(known)


def validate_transactions(
    df: pd.DataFrame,
    *,
    observation_end: object = None,
    drop_exact_duplicates: bool = False,
    keep_zero_amounts: bool = False,
    date_format: str | None = None,
    known_customers: object = None,
) -> ValidatedTable:
    """Check a transaction log and set aside the rows that cannot be used.

    Parameters
    ----------
    df : pandas.DataFrame
        Transactions with at least customer_id, timestamp, amount (raw strings are
        fine: they are parsed here). Not modified.
    observation_end : date-like, optional
        Last day of the observation window; purchases on later days are set aside.
        Default None: no such check.
    drop_exact_duplicates : bool, default False
        Set aside rows without order id that repeat an earlier row exactly, instead
        of keeping and reporting them.
    keep_zero_amounts : bool, default False
        Keep zero-amount rows (reported as ``zero_amount``, action "kept") instead of
        setting them aside.
    date_format : str, optional
        Explicit ``strptime`` format of the timestamp (see :func:`parse_dates`).
    known_customers : iterable of str, optional
        Customer ids of the customer table; purchases of other ids are reported
        (kept) as ``unknown_customer``.

    Returns
    -------
    ValidatedTable
        ``.clean`` (customer_id str, timestamp datetime64[ns], amount float, optional
        columns typed; sorted by timestamp), ``.set_aside``, ``.refunds``, ``.counts``.
        Reasons and their order are listed in the module docstring.

    Raises
    ------
    DataValidationError
        If a required column is missing.
    ParameterError
        If ``observation_end`` is not a date.
    """
    _require(df, "transactions")
    end = as_date(observation_end, optional=True)
    raw = df.reset_index(drop=True)
    typed = raw.copy()
    typed[s.CUSTOMER_ID] = _ids(raw[s.CUSTOMER_ID])
    typed[s.TIMESTAMP] = parse_dates(raw[s.TIMESTAMP], date_format)
    typed[s.AMOUNT] = parse_numbers(raw[s.AMOUNT])
    checks = _Checks(raw.index)
    checks.set_aside("missing_customer_id", typed[s.CUSTOMER_ID].isna())
    checks.set_aside("unparseable_date", typed[s.TIMESTAMP].isna())
    checks.set_aside("non_numeric_amount", typed[s.AMOUNT].isna())
    _check_optional_numbers(raw, typed, checks, (s.QUANTITY, s.GROSS_MARGIN, s.COST))
    if end is not None:
        checks.set_aside("date_after_observation_end", typed[s.TIMESTAMP].dt.normalize() > end)
    checks.set_aside("negative_amount", typed[s.AMOUNT] < 0)
    kept_codes = ["unknown_customer"]
    if keep_zero_amounts:
        kept_codes.append("zero_amount")
        checks.keep("zero_amount", typed[s.AMOUNT] == 0)
    else:
        checks.set_aside("zero_amount", typed[s.AMOUNT] == 0)
    no_order = pd.Series(True, index=raw.index)
    if s.ORDER_ID in raw:
        typed[s.ORDER_ID] = _ids(raw[s.ORDER_ID])
        no_order = typed[s.ORDER_ID].isna()
        checks.set_aside(
            "duplicate_order_id", _later_duplicates(typed[s.ORDER_ID], checks.ok)
        )
    exact = _exact_duplicates(raw, checks.ok & no_order)
    if drop_exact_duplicates:
        checks.set_aside("exact_duplicate", exact)
    else:
        kept_codes.append("exact_duplicate")
        checks.keep("exact_duplicate", exact)
    checks.keep("unknown_customer", _unknown(typed[s.CUSTOMER_ID], known_customers))
    refunds = typed[checks.reason == "negative_amount"].sort_values(s.TIMESTAMP, kind="stable")
    return build_table(
        "transactions", raw, typed, checks.reason, checks.note,
        reasons=REASONS["transactions"], observation_end=end,
        kept_codes=kept_codes, sort_by=s.TIMESTAMP,
        refunds=refunds.reset_index(drop=True), int_columns=_whole_columns(typed),
    )


def _check_optional_numbers(
    raw: pd.DataFrame, typed: pd.DataFrame, checks: _Checks, columns: tuple[str, ...]
) -> None:
    for col in columns:
        if col not in raw:
            continue
        typed[col] = parse_numbers(raw[col])
        checks.set_aside("non_numeric_value", typed[col].isna() & _as_text(raw[col]).notna())


def _whole_columns(typed: pd.DataFrame) -> tuple[str, ...]:
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


def validate_customers(df: pd.DataFrame, *, date_format: str | None = None) -> ValidatedTable:
    """Check a customer table: one row per customer id, dates and costs parseable.

    Parameters
    ----------
    df : pandas.DataFrame
        Customers with at least customer_id. Not modified.
    date_format : str, optional
        Explicit ``strptime`` format of signup_date and churn_date.

    Returns
    -------
    ValidatedTable
        ``.clean`` indexed 0..n-1 with customer_id str, signup_date/churn_date
        datetime64[ns] (NaT where empty), acquisition_cost/cost_to_serve float.

    Raises
    ------
    DataValidationError
        If customer_id is missing.
    """
    _require(df, "customers")
    raw = df.reset_index(drop=True)
    typed = raw.copy()
    typed[s.CUSTOMER_ID] = _ids(raw[s.CUSTOMER_ID])
    checks = _Checks(raw.index)
    checks.set_aside("missing_customer_id", typed[s.CUSTOMER_ID].isna())
    for col in (s.SIGNUP_DATE, s.CHURN_DATE):
        if col in raw:
            typed[col] = parse_dates(raw[col], date_format)
            bad = typed[col].isna() & _as_text(raw[col]).notna()
            checks.set_aside("unparseable_date", bad)
    _check_optional_numbers(raw, typed, checks, (s.ACQUISITION_COST, s.COST_TO_SERVE))
    checks.set_aside(
        "duplicate_customer_id", _later_duplicates(typed[s.CUSTOMER_ID], checks.ok)
    )
    return build_table(
        "customers", raw, typed, checks.reason, checks.note,
        reasons=REASONS["customers"], observation_end=None,
    )


def _score_ok(num: pd.Series, raw: pd.Series, low: int, high: int, required: bool) -> pd.Series:
    """True where the parsed score ``num`` is an integer in [low, high] (or optional and empty)."""
    good = num.between(low, high) & (num == np.floor(num))
    return good | (_as_text(raw).isna() & (not required))


def validate_surveys(
    df: pd.DataFrame,
    *,
    observation_end: object = None,
    date_format: str | None = None,
    known_customers: object = None,
) -> ValidatedTable:
    """Check survey responses: ids, dates and NPS (0-10) / CES (1-7) scores.

    Parameters
    ----------
    df : pandas.DataFrame
        Responses with at least customer_id, date, nps. Not modified.
    observation_end : date-like, optional
        Responses on later days are set aside.
    date_format : str, optional
        Explicit ``strptime`` format of the date column.
    known_customers : iterable of str, optional
        Customer ids of the customer table; responses of other ids are reported
        (kept) as ``unknown_customer``.

    Returns
    -------
    ValidatedTable
        ``.clean`` with date datetime64[ns], nps int64, ces int64 (``Int64`` when some
        responses have no CES), csat float.

    Raises
    ------
    DataValidationError
        If a required column is missing.
    """
    _require(df, "surveys")
    end = as_date(observation_end, optional=True)
    raw = df.reset_index(drop=True)
    typed = raw.copy()
    typed[s.CUSTOMER_ID] = _ids(raw[s.CUSTOMER_ID])
    typed[s.DATE] = parse_dates(raw[s.DATE], date_format)
    checks = _Checks(raw.index)
    checks.set_aside("missing_customer_id", typed[s.CUSTOMER_ID].isna())
    checks.set_aside("unparseable_date", typed[s.DATE].isna())
    typed[s.NPS] = parse_numbers(raw[s.NPS])
    scores_ok = _score_ok(typed[s.NPS], raw[s.NPS], 0, 10, required=True)
    if s.CES in raw:
        typed[s.CES] = parse_numbers(raw[s.CES])
        scores_ok &= _score_ok(typed[s.CES], raw[s.CES], 1, 7, required=False)
    if s.CSAT in raw:
        typed[s.CSAT] = parse_numbers(raw[s.CSAT])
        scores_ok &= typed[s.CSAT].notna() | _as_text(raw[s.CSAT]).isna()
    checks.set_aside("score_out_of_range", ~scores_ok)
    if end is not None:
        checks.set_aside("date_after_observation_end", typed[s.DATE].dt.normalize() > end)
    checks.keep("unknown_customer", _unknown(typed[s.CUSTOMER_ID], known_customers))
    return build_table(
        "surveys", raw, typed, checks.reason, checks.note,
        reasons=REASONS["surveys"], observation_end=end, sort_by=s.DATE,
        kept_codes=("unknown_customer",),
        int_columns=(s.NPS, s.CES),
    )


def validate_tables(
    transactions: pd.DataFrame,
    customers: pd.DataFrame | None = None,
    surveys: pd.DataFrame | None = None,
    *,
    observation_end: object = None,
    drop_exact_duplicates: bool = False,
    keep_zero_amounts: bool = False,
    date_formats: dict[str, str | None] | None = None,
) -> DataQuality:
    """Validate the tables of one data set together and return the quality report.

    Customer ids of the customer table (when given) are the known customers for the
    ``unknown_customer`` notes on transactions and surveys.

    Returns
    -------
    DataQuality
        One :class:`ValidatedTable` per table given.
    """
    fmt = date_formats or {}
    tables: dict[str, ValidatedTable] = {}
    known = None
    if customers is not None:
        tables["customers"] = validate_customers(customers, date_format=fmt.get("customers"))
        known = tables["customers"].clean[s.CUSTOMER_ID]
    tables["transactions"] = validate_transactions(
        transactions, observation_end=observation_end, known_customers=known,
        drop_exact_duplicates=drop_exact_duplicates, keep_zero_amounts=keep_zero_amounts,
        date_format=fmt.get("transactions"),
    )
    if surveys is not None:
        tables["surveys"] = validate_surveys(
            surveys, observation_end=observation_end, known_customers=known,
            date_format=fmt.get("surveys"),
        )
    order = [t for t in ("transactions", "customers", "surveys") if t in tables]
    return DataQuality({t: tables[t] for t in order},
                       observation_end=as_date(observation_end, optional=True))
