"""Check tidy tables row by row and set aside, never silently drop, what cannot be used.

Each validator returns a :class:`ValidatedTable`: the clean, typed rows, the rows set
aside with the reason, and per-reason counts with examples. Every row read gets exactly
one outcome (the FIRST reason below that applies, else "ok"), so the counts add up:
``n_read == n_kept + len(set_aside)``.

Transactions, in this order:

1. ``missing_customer_id``: customer id empty or missing (``NA``, ``None``, ``null``
   are ids: files are read without turning them into missing values).
2. ``unparseable_date``: timestamp missing or not a date (see :func:`parse_dates`).
3. ``non_finite_amount``: amount ``inf``, ``-inf`` or ``nan``.
4. ``non_numeric_amount``: amount missing or not a number.
5. ``non_numeric_value``: an optional numeric column (quantity, gross_margin, cost) holds
   text that is not a number, or an infinite value (an empty cell is fine).
6. ``date_after_observation_end``: purchase on a day after ``observation_end``.
7. ``future_date``: a day after the run date (plus one day for time zones).
8. ``date_far_from_bulk``: more than max(2 x the 5%-95% date range, 5 years) outside
   the 5%-95% quantiles of the dates (a 1900 or 2099 typo); needs 20 dates.
9. ``negative_amount`` (``refunds="set_aside"`` or ``"ignore"``): a refund or return,
   also kept in :attr:`ValidatedTable.refunds`.
10. ``cancelled_order``: status among the cancelled/refunded values (positive amount:
    the order itself, cancelled); with ``refunds="set_aside"`` also rows whose order id
    starts with ``cancel_prefix``. Not read with ``refunds="ignore"``.
11. ``zero_amount``: free or cancelled order; kept and reported instead with
    ``keep_zero_amounts=True`` (BTYD analyses of CDNOW count its 80 zero-value purchases).
12. ``duplicate_order_id``: a row with an order id identical in every column to an
    earlier kept row (an order exported twice). Rows that share an order id but differ
    are the lines of one order: they are summed to one row per order (``clean`` then
    has one row per order; :attr:`ValidatedTable.shape`).
13. ``exact_duplicate``: a row without order id identical in every column to an earlier
    kept row. Counted and reported but KEPT (two identical purchases on one day happen;
    CDNOW has 255), unless ``drop_exact_duplicates=True``.
14. ``refund_netted`` / ``refund_unmatched`` (``refunds="net"``, the default): a
    refund (negative amount, or order id starting with ``cancel_prefix``) netted
    against the purchase it reverses, or without an earlier purchase to net against
    (rules in :mod:`clvkit._refunds`); ``order_reversed``: a purchase reversed in full.
15. ``unknown_customer`` (kept, reported): customer id absent from ``known_customers``.

Customers: missing_customer_id, unparseable_date (signup_date or churn_date present but
not a date), non_numeric_value (acquisition_cost, cost_to_serve), duplicate_customer_id.
Surveys: missing_customer_id, unparseable_date, score_out_of_range (nps not an integer
0-10, ces not an integer 1-7, csat not a number), date_after_observation_end,
unknown_customer (kept, reported).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from . import schema as s
from ._messages import require_columns
from ._orders import id_codes
from ._parse import as_date, is_blank, parse_dates, parse_numbers
from ._parse import as_ids as _ids
from ._quality import DataQuality, ValidatedTable, build_table
from ._refunds import CANCELLED_VALUES, REFUND_MODES, REFUNDED_VALUES, net_amounts
from ._rowchecks import (
    Checks,
    check_optional_numbers,
    exact_duplicates,
    later_duplicates,
    unknown,
    whole_columns,
)
from ._transactions import (
    far_from_bulk,
    future_dates,
    non_finite,
    orders_and_reversals,
    reversal_masks,
    typed_transactions,
)
from .exceptions import ParameterError

__all__ = [
    "CANCELLED_VALUES",
    "REASONS",
    "REFUNDED_VALUES",
    "REFUND_MODES",
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
        "missing_customer_id", "unparseable_date", "non_finite_amount",
        "non_numeric_amount", "non_numeric_value", "date_after_observation_end",
        "future_date", "date_far_from_bulk", "negative_amount", "cancelled_order",
        "zero_amount", "duplicate_order_id", "exact_duplicate", "refund_netted",
        "refund_unmatched", "order_reversed", "unknown_customer",
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


def _require(df: pd.DataFrame, table: str) -> None:
    if not isinstance(df, pd.DataFrame):
        msg = f"validate_{table}() needs a pandas DataFrame; got {type(df).__name__}"
        raise ParameterError(msg)
    require_columns(df, s.TABLES[table]["required"], table, f"validate_{table}()",
                    todo="Rename them, or load the table with "
                         "clvkit.load_table(..., columns={...}).")


def _renumbered(df: pd.DataFrame) -> pd.DataFrame:
    """``df.reset_index(drop=True)``, without copying the data when it already is 0..n-1."""
    index = df.index
    if isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1:
        return df.copy(deep=False)
    return df.reset_index(drop=True)


def validate_transactions(
    df: pd.DataFrame,
    *,
    observation_end: object = None,
    drop_exact_duplicates: bool = False,
    keep_zero_amounts: bool = False,
    date_format: str | None = None,
    known_customers: object = None,
    refunds: str = "net",
    cancel_prefix: str | None = None,
    cancelled_values: Sequence[str] = CANCELLED_VALUES,
    refunded_values: Sequence[str] = REFUNDED_VALUES,
    run_date: object = None,
) -> ValidatedTable:
    """Check a transaction log, sum order lines to orders, net refunds, set aside the rest.

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
    refunds : {"net", "set_aside", "ignore"}, default "net"
        "net": refunds and cancellations reduce or remove the purchases they reverse
        (:mod:`clvkit._refunds`). "set_aside": they are set aside and the purchases
        kept as bought. "ignore": negative amounts are set aside, cancellation
        prefixes and status values are not read.
    cancel_prefix : str, optional
        An order id starting with it marks a cancellation ("C" in the UK retailer's
        "C536379"). Default None: only negative amounts and status values mark them.
    cancelled_values, refunded_values : sequence of str
        Values of the ``status`` column that mark a cancelled or refunded order
        (compared ignoring case); default :data:`CANCELLED_VALUES`,
        :data:`REFUNDED_VALUES`.
    run_date : date-like, optional
        Dates more than a day after it are set aside as ``future_date``; default today.

    Returns
    -------
    ValidatedTable
        ``.clean`` (customer_id str, timestamp datetime64[ns], amount float, optional
        columns typed; one row per order, net of refunds; sorted by timestamp),
        ``.set_aside``, ``.refunds``, ``.counts``, ``.reversals``, ``.shape``. Reasons
        and their order are listed in the module docstring.

    Raises
    ------
    DataValidationError
        If a required column is missing.
    ParameterError
        If ``observation_end`` or ``run_date`` is not a date, or ``refunds`` is not
        one of the modes.
    """
    _require(df, "transactions")
    if refunds not in REFUND_MODES:
        msg = f"refunds must be one of {', '.join(map(repr, REFUND_MODES))}; got {refunds!r}"
        raise ParameterError(msg)
    end = as_date(observation_end, optional=True)
    today = as_date(run_date, "run_date", optional=True) or pd.Timestamp.now().normalize()
    raw = _renumbered(df)
    typed = typed_transactions(raw, date_format)
    # ids as integers, hashed once: order lines, duplicates, refunds and unknown ids use them
    customer = id_codes(typed[s.CUSTOMER_ID])
    checks = Checks(raw.index)
    checks.set_aside("missing_customer_id", pd.Series(customer[0] < 0, index=raw.index))
    checks.set_aside("unparseable_date", typed[s.TIMESTAMP].isna())
    checks.set_aside("non_finite_amount", non_finite(raw[s.AMOUNT], typed[s.AMOUNT]))
    checks.set_aside("non_numeric_amount", typed[s.AMOUNT].isna())
    check_optional_numbers(raw, typed, checks, (s.QUANTITY, s.GROSS_MARGIN, s.COST))
    if end is not None:
        checks.set_aside("date_after_observation_end", typed[s.TIMESTAMP].dt.normalize() > end)
    checks.set_aside("future_date", future_dates(typed[s.TIMESTAMP], today))
    checks.set_aside("date_far_from_bulk", far_from_bulk(typed[s.TIMESTAMP], checks.ok))
    reversal, cancelled = reversal_masks(typed, refunds, cancel_prefix,
                                     (*cancelled_values, *refunded_values))
    if refunds != "net":
        checks.set_aside("negative_amount", typed[s.AMOUNT] < 0)
    checks.set_aside("cancelled_order", cancelled | (reversal & (refunds == "set_aside")))
    cancelled &= checks.reason == "cancelled_order"
    kept_codes = ["unknown_customer"]
    if keep_zero_amounts:
        kept_codes.append("zero_amount")
        checks.keep("zero_amount", typed[s.AMOUNT] == 0)
    else:
        checks.set_aside("zero_amount", typed[s.AMOUNT] == 0)
    order = (id_codes(typed[s.ORDER_ID])[0] if s.ORDER_ID in typed
             else np.full(len(typed), -1, dtype=np.int64))
    has_order = pd.Series(order >= 0, index=raw.index)
    checks.set_aside("duplicate_order_id",
                     exact_duplicates(raw, checks.ok & has_order, order))
    exact = exact_duplicates(raw, checks.ok & ~has_order, order)
    if drop_exact_duplicates:
        checks.set_aside("exact_duplicate", exact)
    else:
        kept_codes.append("exact_duplicate")
        checks.keep("exact_duplicate", exact)
    if refunds != "net":  # reversals are set aside: hand on those, to be counted
        reversal = checks.reason.isin(["negative_amount", "cancelled_order"])
    step = orders_and_reversals(typed, checks.ok, reversal, cancelled,
                                mode=refunds, cancel_prefix=cancel_prefix,
                                codes=(customer[0], order))
    for code in ("refund_netted", "refund_unmatched", "order_reversed"):
        checks.set_aside(code, step.reasons == code)
    checks.keep("unknown_customer", unknown(typed[s.CUSTOMER_ID], known_customers, customer))
    return build_table(
        "transactions", raw, typed, checks.reason, checks.note,
        reasons=REASONS["transactions"], observation_end=end,
        kept_codes=kept_codes, sort_by=s.TIMESTAMP, refunds=step.refunds,
        int_columns=whole_columns(typed), clean=step.clean,
        reversals=step.reversals, shape=step.shape,
    )


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
    raw = _renumbered(df)
    typed = raw.copy(deep=False)  # typed columns replace the raw ones, never written into
    typed[s.CUSTOMER_ID] = _ids(raw[s.CUSTOMER_ID])
    checks = Checks(raw.index)
    checks.set_aside("missing_customer_id", typed[s.CUSTOMER_ID].isna())
    for col in (s.SIGNUP_DATE, s.CHURN_DATE):
        if col in raw:
            typed[col] = parse_dates(raw[col], date_format)
            bad = typed[col].isna() & ~is_blank(raw[col])
            checks.set_aside("unparseable_date", bad)
    check_optional_numbers(raw, typed, checks, (s.ACQUISITION_COST, s.COST_TO_SERVE))
    checks.set_aside(
        "duplicate_customer_id", later_duplicates(typed[s.CUSTOMER_ID], checks.ok)
    )
    return build_table(
        "customers", raw, typed, checks.reason, checks.note,
        reasons=REASONS["customers"], observation_end=None,
    )


def _score_ok(num: pd.Series, raw: pd.Series, low: int, high: int, required: bool) -> pd.Series:
    """True where the parsed score ``num`` is an integer in [low, high] (or optional and empty)."""
    good = num.between(low, high) & (num == np.floor(num))
    return good | (is_blank(raw) & (not required))


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
    raw = _renumbered(df)
    typed = raw.copy(deep=False)  # typed columns replace the raw ones, never written into
    typed[s.CUSTOMER_ID] = _ids(raw[s.CUSTOMER_ID])
    typed[s.DATE] = parse_dates(raw[s.DATE], date_format)
    checks = Checks(raw.index)
    checks.set_aside("missing_customer_id", typed[s.CUSTOMER_ID].isna())
    checks.set_aside("unparseable_date", typed[s.DATE].isna())
    typed[s.NPS] = parse_numbers(raw[s.NPS])
    scores_ok = _score_ok(typed[s.NPS], raw[s.NPS], 0, 10, required=True)
    if s.CES in raw:
        typed[s.CES] = parse_numbers(raw[s.CES])
        scores_ok &= _score_ok(typed[s.CES], raw[s.CES], 1, 7, required=False)
    if s.CSAT in raw:
        typed[s.CSAT] = parse_numbers(raw[s.CSAT])
        scores_ok &= typed[s.CSAT].notna() | is_blank(raw[s.CSAT])
    checks.set_aside("score_out_of_range", ~scores_ok)
    if end is not None:
        checks.set_aside("date_after_observation_end", typed[s.DATE].dt.normalize() > end)
    checks.keep("unknown_customer", unknown(typed[s.CUSTOMER_ID], known_customers))
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
    **transaction_options: object,
) -> DataQuality:
    """Validate the tables of one data set together and return the quality report.

    Customer ids of the customer table (when given) are the known customers for the
    ``unknown_customer`` notes on transactions and surveys. ``transaction_options``
    (refunds, cancel_prefix, cancelled_values, refunded_values, run_date) go to
    :func:`validate_transactions`.

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
        date_format=fmt.get("transactions"), **transaction_options,
    )
    if surveys is not None:
        tables["surveys"] = validate_surveys(
            surveys, observation_end=observation_end, known_customers=known,
            date_format=fmt.get("surveys"),
        )
    order = [t for t in ("transactions", "customers", "surveys") if t in tables]
    return DataQuality({t: tables[t] for t in order},
                       observation_end=as_date(observation_end, optional=True))
