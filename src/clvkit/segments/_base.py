"""Shared inputs of the segment functions: tables, per-customer history, model outputs.

Everything here is private to :mod:`clvkit.segments` except :func:`customer_history`,
which the package re-exports because analysts often want the plain per-customer
numbers behind the segments.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._codes import customer_codes, distinct_per_code
from .._messages import examples, require_columns
from .._parse import as_date
from ..exceptions import DataValidationError, ParameterError
from ..schema import (
    AMOUNT,
    CHURN_DATE,
    CUSTOMER_ID,
    DAYS_PER_YEAR,
    GROSS_MARGIN,
    ORDER_ID,
    TIMESTAMP,
)
from ..tables import Dataset

__all__ = ["customer_history"]

# value_basis values written into outputs
BASIS_CLV = "clv"
BASIS_MARGIN = "historical_margin"
BASIS_REVENUE = "historical_revenue"
# churn_risk_basis values
RISK_MODEL = "churn_model"
RISK_PALIVE = "1 - p_alive"
RISK_NONE = "unavailable"


@dataclass
class Tables:
    """The tables one call works on, after unpacking a :class:`~clvkit.tables.Dataset`."""

    transactions: pd.DataFrame
    customers: pd.DataFrame | None
    surveys: pd.DataFrame | None
    observation_end: pd.Timestamp | None


def as_tables(
    data: Dataset | pd.DataFrame,
    customers: pd.DataFrame | None = None,
    surveys: pd.DataFrame | None = None,
    observation_end: Any = None,
) -> Tables:
    """Unpack ``data`` (a Dataset or a transactions frame); explicit arguments win."""
    if isinstance(data, Dataset):
        return Tables(
            data.transactions,
            data.customers if customers is None else customers,
            data.surveys if surveys is None else surveys,
            as_date(data.observation_end if observation_end is None else observation_end,
                    optional=True),
        )
    if not isinstance(data, pd.DataFrame):
        msg = (
            "data must be a clvkit Dataset or a transactions DataFrame; "
            f"got {type(data).__name__}"
        )
        raise ParameterError(msg)
    return Tables(data, customers, surveys, as_date(observation_end, optional=True))


def clean_transactions(
    transactions: pd.DataFrame, observation_end: pd.Timestamp | None
) -> tuple[pd.DataFrame, pd.Timestamp]:
    """Check the transactions and drop rows after ``observation_end`` (with a warning).

    Returns the kept rows (a copy is never modified in place) and the observation end
    (the last transaction's date when none was given).
    """
    require_columns(transactions, [CUSTOMER_ID, TIMESTAMP, AMOUNT], "transactions")
    if transactions.empty:
        msg = "The transactions table is empty: segments need at least one purchase."
        raise DataValidationError(msg)
    if not pd.api.types.is_datetime64_any_dtype(transactions[TIMESTAMP]):
        msg = (
            f"Column 'timestamp' must hold datetimes; got dtype {transactions[TIMESTAMP].dtype}. "
            "Convert it with pandas.to_datetime() or load the data with clvkit.load_data()."
        )
        raise DataValidationError(msg, column=TIMESTAMP)
    if observation_end is None:
        return transactions, transactions[TIMESTAMP].max().normalize()
    end = observation_end.normalize()
    late = transactions[TIMESTAMP] >= end + pd.Timedelta(days=1)
    if late.any():
        ids = transactions.loc[late, CUSTOMER_ID].unique()
        msg = (
            f"{int(late.sum()):,} of {len(transactions):,} transactions are after "
            f"observation_end {end.date()} (e.g. customer_id {examples(ids)}); they are "
            "left out of the segments."
        )
        warnings.warn(msg, UserWarning, stacklevel=3)
        transactions = transactions.loc[~late]
    return transactions, end


def customer_history(
    transactions: pd.DataFrame, observation_end: Any = None
) -> pd.DataFrame:
    """Summarise each customer's observed purchases (the historical value).

    Parameters
    ----------
    transactions : pandas.DataFrame
        One row per purchase with customer_id, timestamp (datetime) and amount
        (currency units); gross_margin and order_id are used when present.
    observation_end : date-like, optional
        Last day of the observation window. Default: the date of the last transaction.
        Later transactions are left out with a ``UserWarning``.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer_id (sorted) with columns ``first_purchase``,
        ``last_purchase`` (datetime), ``orders`` (int: distinct order_id when that
        column exists, else rows), ``revenue`` (sum of amount), ``margin`` (sum of
        gross_margin; NaN when the column is absent), ``recency_days`` (int: whole days
        from the last purchase's date to observation_end) and ``tenure_years`` (float:
        days from the first purchase to observation_end / 365.25).
        ``attrs["observation_end"]`` holds the window end used as an ISO date
        string (attrs stay JSON-serialisable, so Parquet can store them).

    Raises
    ------
    DataValidationError
        When a required column is missing, the table is empty or timestamp is not a
        datetime column.
    """
    shared, end = _SHARED_HISTORY.get(), as_date(observation_end, optional=True)
    if shared is not None and shared[0] is transactions and end == shared[1]:
        return shared[2].copy()
    tx, end = clean_transactions(transactions, end)
    # grouped by customer code (sorted like the ids; shared within a scoring run, see
    # clvkit._codes): the same groups in the same order without hashing the ids again
    codes, ids = customer_codes(tx)
    coded = not (codes < 0).any()  # a missing id: group by the column (drops it)
    grouped = tx.groupby(codes if coded else tx[CUSTOMER_ID], sort=True)
    out = pd.DataFrame(
        {
            "first_purchase": grouped[TIMESTAMP].min(),
            "last_purchase": grouped[TIMESTAMP].max(),
            "orders": (distinct_per_code(codes, len(ids), tx[ORDER_ID]) if coded and ORDER_ID in tx
                       else grouped[ORDER_ID].nunique() if ORDER_ID in tx
                       else grouped.size()),
            "revenue": grouped[AMOUNT].sum().astype("float64"),
        }
    )
    if GROSS_MARGIN in tx:
        out["margin"] = grouped[GROSS_MARGIN].sum().astype("float64")
    else:
        out["margin"] = np.nan
    out["orders"] = out["orders"].astype("int64")
    out["recency_days"] = (end - out["last_purchase"].dt.normalize()).dt.days.astype("int64")
    tenure = (end - out["first_purchase"].dt.normalize()).dt.days
    out["tenure_years"] = tenure.astype("float64") / DAYS_PER_YEAR
    if coded:
        out.index = pd.Index(ids[out.index.to_numpy()])
    out.index.name = CUSTOMER_ID
    out.attrs["observation_end"] = end.date().isoformat()
    return out


#: (transactions, observation_end, history) of the enclosing :func:`shared_history`.
_SHARED_HISTORY: ContextVar[tuple[pd.DataFrame, pd.Timestamp, pd.DataFrame] | None] = \
    ContextVar("clvkit_shared_history", default=None)


@contextmanager
def shared_history(
    transactions: pd.DataFrame, observation_end: pd.Timestamp, history: pd.DataFrame
) -> Iterator[None]:
    """Let :func:`customer_history` reuse ``history`` inside the ``with`` block.

    scored_customers ranks, tiers and prices the same customers in several steps,
    each of which summarises the transactions again; with the summary shared,
    that work is done once (half the time of scoring 100k customers). Only a call on
    this very frame (``is``) and observation end gets it, as a copy.
    """
    token = _SHARED_HISTORY.set((transactions, observation_end, history))
    try:
        yield
    finally:
        _SHARED_HISTORY.reset(token)


def churned_customers(customers: pd.DataFrame | None, end: pd.Timestamp) -> pd.Index:
    """Customers whose churn_date (contract cancelled) is on or before ``end``."""
    if customers is None or CHURN_DATE not in customers.columns:
        return pd.Index([])
    dates = pd.to_datetime(customers[CHURN_DATE])
    return pd.Index(customers.loc[dates <= end, CUSTOMER_ID].unique())


def model_frame(
    index: pd.Index,
    customer_value: pd.DataFrame | pd.Series | None,
    churn_risk: pd.Series | pd.DataFrame | None,
    churned: pd.Index | None = None,
) -> pd.DataFrame:
    """Align optional model outputs with ``index``.

    Returns a frame indexed like ``index`` with columns clv, p_alive,
    expected_purchases, churn_risk (NaN where no model supplied them) and
    churn_risk_basis (str). customer_value must cover every customer. A churn
    model usually scores only current customers: customers it left out get
    churn_risk 1 when they are in ``churned`` (already cancelled), else NaN with a
    warning.
    """
    out = pd.DataFrame(index=index)
    for col in ("clv", "p_alive", "expected_purchases"):
        out[col] = np.nan
    if customer_value is not None:
        cv = _as_frame(customer_value, "clv", "customer_value")
        for col in ("clv", "p_alive", "expected_purchases"):
            if col in cv:
                out[col] = _aligned(cv[col], index, "customer_value")
        if "clv" not in cv:
            msg = (
                "customer_value has no 'clv' column; it has "
                f"{', '.join(map(repr, cv.columns))}. Pass the output of "
                "clvkit.models.customer_value() or a Series of CLV indexed by customer_id."
            )
            raise DataValidationError(msg, column="clv")
    out["churn_risk"] = np.nan
    out["churn_risk_basis"] = RISK_NONE
    if churn_risk is not None:
        risk = _as_frame(churn_risk, "churn_risk", "churn_risk")
        column = next(
            (c for c in ("churn_risk", "churn_probability", "probability") if c in risk),
            risk.columns[0] if risk.shape[1] == 1 else None,
        )
        if column is None:
            msg = (
                "churn_risk must be a Series or a one-column DataFrame of probabilities "
                f"indexed by customer_id; got columns {', '.join(map(repr, risk.columns))}."
            )
            raise DataValidationError(msg)
        out["churn_risk"] = _risk_aligned(risk[column], index, churned)
        out["churn_risk_basis"] = RISK_MODEL
    elif out["p_alive"].notna().all():
        out["churn_risk"] = 1.0 - out["p_alive"]
        out["churn_risk_basis"] = RISK_PALIVE
    _check_probabilities(out, ["p_alive", "churn_risk"])
    return out


def _as_frame(obj: pd.DataFrame | pd.Series, name: str, what: str) -> pd.DataFrame:
    if isinstance(obj, pd.Series):
        return obj.rename(name).to_frame()
    if isinstance(obj, pd.DataFrame):
        return obj
    msg = (
        f"{what} must be a pandas Series or DataFrame indexed by customer_id; "
        f"got {type(obj).__name__}"
    )
    raise ParameterError(msg)


def _aligned(values: pd.Series, index: pd.Index, what: str) -> pd.Series:
    """Reindex model output to the customers; every customer must be covered."""
    if values.index.equals(index):  # the usual case: no hashing of the ids
        return pd.Series(values.astype("float64").to_numpy(), index=index, name=values.name)
    if values.index.has_duplicates:
        dup = values.index[values.index.duplicated()].unique()
        msg = (
            f"{what} has {len(dup):,} duplicated customer_id (e.g. {examples(dup)}); "
            "it must have one row per customer."
        )
        raise DataValidationError(msg)
    missing = index.difference(values.index)
    if len(missing):
        msg = (
            f"{what} covers {len(index) - len(missing):,} of {len(index):,} customers; "
            f"{len(missing):,} have no value (e.g. customer_id {examples(missing)}). "
            "Fit the model on the same transactions (and observation_end) as the segments."
        )
        raise DataValidationError(msg, n_failed=len(missing))
    return values.reindex(index).astype("float64")


def _risk_aligned(values: pd.Series, index: pd.Index, churned: pd.Index | None) -> pd.Series:
    if values.index.has_duplicates:
        return _aligned(values, index, "churn_risk")  # raises the duplicate message
    out = values.reindex(index).astype("float64")
    lost = index.difference(values.index).intersection(churned if churned is not None else [])
    out[lost] = 1.0
    missing = out.isna()
    if missing.any():
        msg = (
            f"churn_risk has no probability for {int(missing.sum()):,} of {len(index):,} "
            f"customers (e.g. customer_id {examples(index[missing])}); their churn_risk is "
            "left empty (NaN)."
        )
        warnings.warn(msg, UserWarning, stacklevel=4)
    return out


def _check_probabilities(frame: pd.DataFrame, columns: list[str]) -> None:
    for col in columns:
        bad = frame[col].notna() & ~frame[col].between(0.0, 1.0)
        if bad.any():
            msg = (
                f"{int(bad.sum()):,} values of {col!r} are outside [0, 1] "
                f"(e.g. customer_id {examples(frame.index[bad])}); expected probabilities."
            )
            raise DataValidationError(msg, column=col, n_failed=int(bad.sum()))


def resolve_value(
    history: pd.DataFrame, models: pd.DataFrame, basis: str = "auto"
) -> tuple[pd.Series, str]:
    """Choose the value that ranks customers: CLV, else historical margin, else revenue.

    ``basis`` is "auto" (that order of preference) or one of "clv",
    "historical_margin", "historical_revenue" to force a basis.
    """
    choices = (BASIS_CLV, BASIS_MARGIN, BASIS_REVENUE)
    if basis not in ("auto", *choices):
        msg = f"value_basis must be one of 'auto', {', '.join(map(repr, choices))}; got {basis!r}"
        raise ParameterError(msg)
    has_clv = models["clv"].notna().all()
    has_margin = history["margin"].notna().all()
    if basis == "auto":
        basis = BASIS_CLV if has_clv else BASIS_MARGIN if has_margin else BASIS_REVENUE
    if basis == BASIS_CLV and not has_clv:
        msg = (
            "value_basis='clv' needs customer_value "
            "(the output of clvkit.models.customer_value())."
        )
        raise ParameterError(msg)
    if basis == BASIS_MARGIN and not has_margin:
        msg = "value_basis='historical_margin' needs a gross_margin column in the transactions."
        raise ParameterError(msg)
    column = {BASIS_CLV: models["clv"], BASIS_MARGIN: history["margin"]}
    value = column.get(basis, history["revenue"]).rename("value")
    return value, basis


def per_pair(first: Any, second: Any, table: Mapping[tuple, Any]) -> list:
    """``[table[(a, b)] for a, b in zip(first, second)]``, looked up once per distinct pair.

    A million customers fall into a few dozen (level, level) cells: factorizing the pairs
    and looking each cell up once gives the same list without a million dict lookups.
    """
    pairs = pd.MultiIndex.from_arrays([pd.Index(first), pd.Index(second)])
    codes, cells = pairs.factorize()
    if (codes < 0).any():  # a missing level: keep the plain lookup (and its KeyError)
        return [table[key] for key in zip(first, second, strict=True)]
    found = np.empty(len(cells), dtype=object)
    found[:] = [table[key] for key in cells]
    return found[codes].tolist()


def per_value(values: Any, make: Any) -> list:
    """``[make(v) for v in values]``, calling ``make`` once per distinct value."""
    made = {v: make(v) for v in dict.fromkeys(values)}
    return [made[v] for v in values]


def rank_desc(values: pd.Series) -> pd.Series:
    """Rank 1 = highest value; ties broken by customer_id (ascending), deterministically."""
    ids = values.index.to_numpy()
    if _increasing(ids) and values.dtype.kind == "f":
        # ids already ascending and unique: ties by id are ties by position, which a
        # stable sort of the values alone keeps (descending, NaN last, as below)
        order = np.argsort(-values.to_numpy(), kind="stable")
        ranks = np.empty(len(order), dtype="int64")
        ranks[order] = np.arange(1, len(order) + 1)
        return pd.Series(ranks, index=values.index)
    order = pd.DataFrame({"v": values.to_numpy(), "id": ids})
    order = order.sort_values(["v", "id"], ascending=[False, True], kind="mergesort")
    ranks = pd.Series(np.arange(1, len(order) + 1), index=order["id"].to_numpy())
    return ranks.reindex(values.index).astype("int64")


def _increasing(ids: np.ndarray) -> bool:
    """Whether ``ids`` are strictly increasing (hence unique), compared as a sort would."""
    if len(ids) < 2:
        return True
    try:
        return bool(np.all(ids[1:] > ids[:-1]))
    except TypeError:  # ids of mixed types: leave it to the general sort
        return False


def cut_levels(values: pd.Series, cuts: Sequence[float], what: str) -> pd.Series:
    """Give each customer the index of its value band (0 = top) from cumulative shares.

    A customer of rank r (1 = highest value) among n is in band k when
    ``ceil(cuts[k-1] * n) < r <= ceil(cuts[k] * n)``; the last band takes the rest.
    """
    cuts = check_cuts(cuts, what)
    n = len(values)
    bounds = np.ceil(np.asarray(cuts) * n)
    ranks = rank_desc(values).to_numpy()
    return pd.Series(np.searchsorted(bounds, ranks, side="left"), index=values.index)


def check_cuts(cuts: Sequence[float], what: str) -> list[float]:
    """Cumulative shares strictly increasing inside (0, 1)."""
    cuts = [float(c) for c in cuts]
    ok = len(cuts) > 0 and all(0 < c < 1 for c in cuts)
    ok = ok and all(a < b for a, b in itertools.pairwise(cuts))
    if not ok:
        msg = (
            f"{what} must be cumulative shares strictly increasing inside (0, 1), "
            f"e.g. (0.01, 0.05, 0.2); got {tuple(cuts)}"
        )
        raise ParameterError(msg)
    return cuts
