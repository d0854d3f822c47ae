"""Per-customer summaries of a transaction log: RFM, calibration/holdout, cohorts.

:func:`rfm_summary` and :func:`calibration_holdout_split` compute exactly what
``lifetimes.utils.summary_data_from_transaction_data`` and
``lifetimes.utils.calibration_and_holdout_data`` compute (tested on CDNOW), with
vectorised numpy/pandas code that scales to millions of rows, clvkit's error messages,
and calendar months (``freq="M"``), which lifetimes cannot do. This module is the pandas
engine; ``engine="duckdb"`` / ``"spark"`` run the same definitions as SQL
(:mod:`clvkit.engines`) on files larger than memory or on a cluster.

Time units
----------
The default ``freq="W7"`` is the BTYD convention of the literature: purchases are
resolved to the **day** and recency and T are counted in weeks of seven days
(days / 7), as in the CDNOW numbers of Fader, Hardie & Lee (2005) (r = 0.243,
alpha = 4.414, a = 0.793, b = 2.426 for BG/NBD, which ``rfm_summary`` of the CDNOW
sample with the default reproduces). ``freq="W"`` counts calendar weeks (Monday to
Sunday) as ``lifetimes`` does with ``freq="W"``; it merges purchases made in the same
week into one, so heavy buyers lose repeat purchases, and recency and T move in whole
weeks with the weekday of the observation end.

Every summary records its unit in ``attrs``: ``freq`` and ``freq_multiplier`` (as
given), ``time_unit`` ("D", "W" or "M": the unit of recency and T, or ``None`` for an
unusual multiplier), ``unit_days`` (days per unit: 1, 7 or 30.4375, times the
multiplier), ``resolution`` (the period that counts as one purchase: "D", "W" or "M")
and ``periods_per_month`` (30.4375 / ``unit_days``). Prediction code reads
``time_unit`` / ``unit_days`` rather than ``freq``.
"""

from __future__ import annotations

import warnings
from typing import Any, Literal

import numpy as np
import pandas as pd

from clvkit import schema as s
from clvkit._codes import factorize_ids
from clvkit._messages import examples
from clvkit._parse import as_date
from clvkit._sorted_summary import Aggregates, sorted_aggregates
from clvkit.exceptions import DataValidationError, ParameterError

__all__ = ["calibration_holdout_split", "cohort_table", "rfm_summary"]

Freq = Literal["W7", "D", "W", "M"]
_FREQS = ("W7", "D", "W", "M")
_RESOLUTION = {"W7": "D", "D": "D", "W": "W", "M": "M"}
_COHORT_FREQS = ("W", "M", "Q", "Y")


# --- input checks ---------------------------------------------------------------------


def _check_freq(freq: str, allowed: tuple[str, ...] = _FREQS) -> None:
    if freq not in allowed:
        valid = ", ".join(repr(f) for f in allowed)
        msg = f"freq must be one of {valid}; got {freq!r}."
        raise ParameterError(msg)


def _check_periods(freq: str, freq_multiplier: float) -> None:
    _check_freq(freq)
    if not freq_multiplier > 0:
        msg = f"freq_multiplier must be a positive number; got {freq_multiplier!r}."
        raise ParameterError(msg)


def _examples(ids: pd.Series) -> str:
    shown = examples(pd.unique(ids))
    return f" (e.g. customer_id {shown})" if shown else ""


def _prepare(transactions: pd.DataFrame, customer_col: str, datetime_col: str,
             monetary_col: str | None, func: str) -> pd.DataFrame:
    """Check a transaction table and return its needed columns under canonical names."""
    if not isinstance(transactions, pd.DataFrame):
        msg = f"{func}() needs a pandas DataFrame of transactions; got {type(transactions)}."
        raise DataValidationError(msg)
    needed = [customer_col, datetime_col] + ([monetary_col] if monetary_col else [])
    present = ", ".join(repr(str(c)) for c in transactions.columns)
    for col in needed:
        if col not in transactions.columns:
            msg = (f"{func}() needs a column {col!r}, which the transactions table does not "
                   f"have. Columns present: {present or 'none'}. Rename the column or pass "
                   f"its name (customer_col=, datetime_col=, monetary_col=).")
            raise DataValidationError(msg, column=col)
    if len(transactions) == 0:
        msg = f"{func}() got an empty transactions table (0 rows); nothing to summarise."
        raise DataValidationError(msg, n_failed=0)
    ts = transactions[datetime_col]
    if not pd.api.types.is_datetime64_any_dtype(ts):
        msg = (f"Column {datetime_col!r} has dtype {ts.dtype}, expected datetime64. Parse it "
               f"first, e.g. pd.to_datetime(df[{datetime_col!r}], format='%Y-%m-%d'), or load "
               f"the data with clvkit.load_data().")
        raise DataValidationError(msg, column=datetime_col)
    if isinstance(ts.dtype, pd.DatetimeTZDtype):
        ts = ts.dt.tz_localize(None)  # wall-clock time in the data's own time zone
    columns = {s.CUSTOMER_ID: transactions[customer_col].to_numpy(),
               s.TIMESTAMP: ts.to_numpy(dtype="datetime64[ns]")}
    if monetary_col:
        amount = transactions[monetary_col]
        if not pd.api.types.is_numeric_dtype(amount) or pd.api.types.is_bool_dtype(amount):
            msg = (f"Column {monetary_col!r} has dtype {amount.dtype}, expected numbers. "
                   f"Convert it with pd.to_numeric() or validate the data with "
                   f"clvkit.validate_transactions().")
            raise DataValidationError(msg, column=monetary_col)
        columns[s.AMOUNT] = amount.to_numpy(dtype="float64", na_value=np.nan)
    # views of the caller's columns (never written to): setting a column would copy it
    out = pd.DataFrame(columns, copy=False)
    for col, label in ((s.CUSTOMER_ID, customer_col), (s.TIMESTAMP, datetime_col),
                       (s.AMOUNT, monetary_col)):
        if col in out and out[col].isna().any():
            bad = out[col].isna()
            msg = (f"{bad.sum():,} of {len(out):,} rows have a missing {label!r}"
                   f"{_examples(out.loc[bad, s.CUSTOMER_ID].dropna())}. Drop or fix them first "
                   f"(clvkit.validate_transactions() sets such rows aside).")
            raise DataValidationError(msg, column=label, n_failed=int(bad.sum()),
                                      failure_cases=transactions[bad.to_numpy()].head(5))
    return out


def _drop_after(tx: pd.DataFrame, end: pd.Timestamp, name: str, func: str) -> pd.DataFrame:
    """Exclude rows after the day ``end`` (inclusive of that whole day), with a warning."""
    after = tx[s.TIMESTAMP].to_numpy() >= (end.normalize() + pd.Timedelta(days=1)).to_datetime64()
    n_after = int(after.sum())
    if n_after == len(tx):
        msg = (f"All {len(tx):,} transactions are after {name}={end.date()} (first one on "
               f"{tx[s.TIMESTAMP].min().date()}); nothing is left to summarise. Pass a later "
               f"{name}.")
        raise DataValidationError(msg, column=s.TIMESTAMP, n_failed=n_after)
    if n_after:
        msg = (f"{func}(): excluded {n_after:,} of {len(tx):,} transactions dated after "
               f"{name}={end.date()}{_examples(tx.loc[after, s.CUSTOMER_ID])}.")
        warnings.warn(msg, UserWarning, stacklevel=4)  # _drop_after < _until < public function
        return tx.loc[~after]
    return tx


def _until(tx: pd.DataFrame, observation_end: Any, func: str) -> tuple[pd.DataFrame, pd.Timestamp]:
    """Return the rows on or before ``observation_end`` and that day (default: the last row's)."""
    if observation_end is None:
        return tx, tx[s.TIMESTAMP].max().normalize()
    end = as_date(observation_end, "observation_end").normalize()
    return _drop_after(tx, end, "observation_end", func), end


def time_unit_attrs(freq: str, freq_multiplier: float) -> dict[str, Any]:
    """The ``attrs`` keys describing the time unit of a summary (see the module doc)."""
    unit_days = float(freq_multiplier) * (s.DAYS_PER_WEEK if freq == "W7"
                                          else s.FREQ_DAYS[freq])
    unit = next((u for u, days in s.FREQ_DAYS.items() if np.isclose(days, unit_days)), None)
    if freq == "M" and freq_multiplier != 1:
        unit = None
    return {"time_unit": unit, "unit_days": unit_days, "resolution": _RESOLUTION[freq],
            "periods_per_month": s.DAYS_PER_MONTH / unit_days}


def _divisor(freq: str, freq_multiplier: float) -> float:
    """Periods per unit of recency and T: 7 days a week for "W7" (times the multiplier)."""
    return float(freq_multiplier) * (7.0 if freq == "W7" else 1.0)


def period_of(ts: pd.Timestamp, freq: str) -> int:
    """Integer index of the period of one timestamp (as the engines number periods)."""
    return int(_period(ts, freq))


def _period(ts: np.ndarray | pd.Timestamp, freq: str) -> np.ndarray:
    """Integer index of the period containing each timestamp (weeks start on Monday).

    Days are counted from 1970-01-01 ("D" and "W7"), weeks as (day + 3) // 7, months
    as calendar months since January 1970; :mod:`clvkit.engines._sql` numbers them
    the same way.
    """
    v = ts.to_datetime64() if isinstance(ts, pd.Timestamp) else np.asarray(ts)
    v = np.asarray(v, dtype="datetime64[ns]")
    if freq == "M":
        return v.astype("datetime64[M]").astype(np.int64)
    days = v.view(np.int64) // _NS_PER_DAY  # floor division: days before 1970 too
    return (days + 3) // 7 if freq == "W" else days  # 1970-01-01 is a Thursday


# --- RFM -------------------------------------------------------------------------------

_NS_PER_DAY = 86_400_000_000_000


def _customer_codes(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's customer code (0..n-1 in sorted id order) and the sorted unique ids.

    A log already sorted by a numeric customer id (a common export order) is coded by
    one comparison of neighbours; any other log by :func:`clvkit._codes.factorize_ids`.
    """
    if ids.dtype.kind in "iuf" and ids.size and bool(np.all(ids[1:] >= ids[:-1])):
        change = np.empty(ids.size, dtype=bool)
        change[0] = True
        np.not_equal(ids[1:], ids[:-1], out=change[1:])
        codes = np.cumsum(change)
        codes -= 1
        return codes, ids[change]
    codes, customers = factorize_ids(ids, sort=True)
    return codes.astype(np.int64, copy=False), customers


def _customer_periods(tx: pd.DataFrame, freq: str) -> tuple:
    """Distinct (customer, period) pairs of prepared rows, sorted by customer then period.

    Returns each row's customer code, the sorted customers, each pair's customer code,
    period and (with an amount column) summed amount, and the position of each
    customer's first pair. The rows are put in (customer, period) order by a stable
    sort of one integer key, skipped when they already are (logs are often exported
    sorted by customer and time); amounts of a pair are summed in row order.
    """
    codes, customers = _customer_codes(tx[s.CUSTOMER_ID].to_numpy())
    period = _period(tx[s.TIMESTAMP].to_numpy(), freq)
    p0 = period.min()
    span = int(period.max() - p0 + 1)
    key = codes * span  # in place from here: fewer fresh pages for a big log
    key += period
    key -= p0
    amount = tx[s.AMOUNT].to_numpy() if s.AMOUNT in tx else None
    if key.size > 1 and not bool(np.all(key[1:] >= key[:-1])):
        order = np.argsort(key, kind="stable")
        key = key[order]
        amount = amount[order] if amount is not None else None
    new = np.empty(key.size, dtype=bool)
    new[0] = True
    np.not_equal(key[1:], key[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    cust, per = np.divmod(key[starts], span)
    per += p0
    spend = None
    if amount is not None:  # summed in row order, one bin per pair
        pair = np.cumsum(new)
        pair -= 1
        spend = np.bincount(pair, weights=amount, minlength=starts.size)
        del pair
    new_cust = np.empty(cust.size, dtype=bool)
    new_cust[0] = True
    np.not_equal(cust[1:], cust[:-1], out=new_cust[1:])
    return codes, customers, cust, per, spend, np.flatnonzero(new_cust)


def _summarise(tx: pd.DataFrame, end_period: int, freq: str,
               freq_multiplier: float) -> pd.DataFrame:
    """frequency, recency, T (+ monetary_value) from prepared rows, all on or before the end.

    A log in (customer, time) order is aggregated in one chunked pass
    (:mod:`clvkit._sorted_summary`); any other through the distinct (customer, period)
    pairs of :func:`_customer_periods`. Both give the same numbers.
    """
    agg = _sorted_aggregates(tx, freq)
    if agg is None:
        _, customers, cust, per, spend, first = _customer_periods(tx, freq)
        count = np.diff(np.append(first, cust.size))  # periods with a purchase
        agg = Aggregates(customers, per[first], per[first + count - 1], count, None)
        if spend is not None:
            agg.repeat_spend = np.add.reduceat(spend, first) - spend[first]
    div = _divisor(freq, freq_multiplier)
    count = agg.n_periods
    columns = {
        s.FREQUENCY: count - 1,
        s.RECENCY: (agg.last_period - agg.first_period) / div,
        s.T: (end_period - agg.first_period) / div,
    }
    if agg.repeat_spend is not None:
        with np.errstate(invalid="ignore", divide="ignore"):
            columns[s.MONETARY_VALUE] = np.where(count > 1, agg.repeat_spend / (count - 1), 0.0)
    # one block per column: no copy into a consolidated block
    return pd.DataFrame(columns, index=pd.Index(agg.customers, name=s.CUSTOMER_ID), copy=False)


def _sorted_aggregates(tx: pd.DataFrame, freq: str) -> Aggregates | None:
    """:func:`clvkit._sorted_summary.sorted_aggregates` of prepared rows (None: not sorted)."""
    ts = tx[s.TIMESTAMP].to_numpy().view(np.int64)

    def periods(lo: int, hi: int, out: np.ndarray) -> np.ndarray:
        if freq == "M":
            out[:] = ts[lo:hi].view("datetime64[ns]").astype("datetime64[M]").astype(np.int64)
            return out
        np.floor_divide(ts[lo:hi], _NS_PER_DAY, out=out)
        if freq == "W":  # weeks start on Monday; 1970-01-01 is a Thursday
            out += 3
            np.floor_divide(out, 7, out=out)
        return out

    amount = tx[s.AMOUNT].to_numpy() if s.AMOUNT in tx else None
    return sorted_aggregates(tx[s.CUSTOMER_ID].to_numpy(), periods, amount)


def _on_engine(transactions: Any, engine: str, cols: tuple, run: Any,
               pandas_run: Any) -> pd.DataFrame:
    """Run ``run(engine_obj)`` on DuckDB/Spark, or ``pandas_run(frame)`` in pandas."""
    from clvkit import engines as eng

    columns = eng.Columns(*cols)
    name = eng.choose_engine(transactions, engine)
    if name == "pandas":
        return pandas_run(eng.read_frame(transactions, columns))
    with eng.open_engine(transactions, columns, name) as sql_engine:
        return run(sql_engine)


def rfm_summary(
    transactions: pd.DataFrame | Any,
    observation_end: Any = None,
    freq: Freq = "W7",
    *,
    customer_col: str = s.CUSTOMER_ID,
    datetime_col: str = s.TIMESTAMP,
    monetary_col: str | None = s.AMOUNT,
    freq_multiplier: float = 1,
    engine: str = "auto",
) -> pd.DataFrame:
    r"""Summarise a transaction log per customer: frequency, recency, T and monetary value.

    Time is cut into periods (days for the default ``freq="W7"``); all purchases of a
    customer in one period count as one purchase whose value is their sum. With
    :math:`t_1` the customer's first period, :math:`t_x` the last, :math:`t_{end}` the
    period of the observation end and :math:`u` periods per time unit (7 days per week
    for "W7", else 1; times ``freq_multiplier``):

    .. math::

        \text{frequency} = (\#\text{periods with a purchase}) - 1, \quad
        \text{recency} = (t_x - t_1) / u, \quad T = (t_{end} - t_1) / u,

    and ``monetary_value`` is the mean spend of the repeat periods (0 when
    frequency is 0). These are the inputs of the BG/NBD, Pareto/NBD and Gamma-Gamma
    models (Fader, Hardie & Lee 2005), and equal
    ``lifetimes.utils.summary_data_from_transaction_data(..., monetary_value_col=...)``
    value for value (tested on CDNOW: "W7" is lifetimes' ``freq="D",
    freq_multiplier=7``; "D", "W" are lifetimes' same ``freq``).

    Parameters
    ----------
    transactions : pandas.DataFrame, path or Spark DataFrame
        One row per purchase with a customer id, a timestamp and (unless
        ``monetary_col=None``) a numeric amount. A path names a Parquet or CSV file (or
        a folder of Parquet files), read by the engine. Not modified.
    observation_end : str, datetime or pandas.Timestamp, optional
        Last day of the observation window, inclusive (time of day is ignored). Default:
        the last transaction's day. Rows after that day are excluded with a
        ``UserWarning`` giving their count; lifetimes instead keeps rows that fall in the
        same period as ``observation_end`` (e.g. later the same week), the only difference.
    freq : {"W7", "D", "W", "M"}, default "W7"
        Periods and unit of recency and T: "W7" daily purchases, weeks of 7 days (the
        BTYD convention: the published CDNOW numbers use it, and same-week repeat
        purchases count); "D" days; "W" calendar weeks, Monday to Sunday (lifetimes'
        ``freq="W"``); "M" calendar months (not supported by lifetimes).
    customer_col, datetime_col : str, default "customer_id", "timestamp"
        Names of the customer id and timestamp columns.
    monetary_col : str or None, default "amount"
        Name of the spend column (currency units); ``None`` leaves out ``monetary_value``.
    freq_multiplier : float, default 1
        Divide recency and T by this as well (``freq="D", freq_multiplier=7`` equals "W7").
    engine : {"auto", "pandas", "duckdb", "spark"}, default "auto"
        Where the aggregation runs (see :mod:`clvkit.engines`); every engine returns the
        same frame. "auto": pandas for frames and small files, DuckDB for files of at
        least ``clvkit.engines.AUTO_DUCKDB_BYTES``, Spark for Spark DataFrames.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id`` (sorted), one row per customer with at least one
        transaction on or before ``observation_end``; columns ``frequency`` (int64),
        ``recency``, ``T`` (float64, time units) and ``monetary_value`` (float64,
        currency). ``attrs`` holds ``observation_end``, ``freq``, ``freq_multiplier``
        and the time unit: ``time_unit``, ``unit_days``, ``resolution``,
        ``periods_per_month`` (see the module documentation).

    Raises
    ------
    DataValidationError
        If a column is missing (the message lists the columns present), the table is
        empty, the timestamp is not a datetime, the amount is not numeric, a value is
        missing, every transaction is after ``observation_end``, or a path does not exist.
    ParameterError
        If ``freq`` is not "W7", "D", "W" or "M", ``freq_multiplier`` is not positive,
        ``observation_end`` is not a date or ``engine`` is unknown.

    Examples
    --------
    >>> import pandas as pd
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "a", "b"],
    ...                    "timestamp": pd.to_datetime(["2024-01-01", "2024-01-03",
    ...                                                 "2024-01-15", "2024-01-08"]),
    ...                    "amount": [10.0, 5.0, 20.0, 7.0]})
    >>> rfm_summary(tx, observation_end="2024-01-21").round(3)  # doctest: +NORMALIZE_WHITESPACE
                 frequency  recency      T  monetary_value
    customer_id
    a                    2      2.0  2.857            12.5
    b                    0      0.0  1.857             0.0
    >>> rfm_summary(tx, observation_end="2024-01-21", freq="W")  # doctest: +NORMALIZE_WHITESPACE
                 frequency  recency    T  monetary_value
    customer_id
    a                    1      2.0  2.0            20.0
    b                    0      0.0  1.0             0.0
    """
    _check_periods(freq, freq_multiplier)

    def pandas_run(frame: pd.DataFrame) -> pd.DataFrame:
        tx = _prepare(frame, customer_col, datetime_col, monetary_col, "rfm_summary")
        tx, end = _until(tx, observation_end, "rfm_summary")
        out = _summarise(tx, int(_period(end, freq)), freq, freq_multiplier)
        out.attrs.update(observation_end=end, freq=freq, freq_multiplier=freq_multiplier,
                         **time_unit_attrs(freq, freq_multiplier))
        return out

    def sql_run(sql_engine: Any) -> pd.DataFrame:
        from clvkit.engines._relational import rfm

        return rfm(sql_engine, observation_end, freq, freq_multiplier)

    return _on_engine(transactions, engine, (customer_col, datetime_col, monetary_col),
                      sql_run, pandas_run)


# --- calibration / holdout ------------------------------------------------------------------


def _holdout(tx: pd.DataFrame, freq: str) -> pd.DataFrame:
    """frequency_holdout (distinct periods) and monetary_value_holdout (mean of rows)."""
    codes, customers, cust, _, _, _ = _customer_periods(tx, freq)
    out = pd.DataFrame({"frequency_holdout": np.bincount(cust, minlength=len(customers))},
                       index=pd.Index(customers, name=s.CUSTOMER_ID))
    if s.AMOUNT in tx:
        rows = np.bincount(codes, minlength=len(customers))
        out["monetary_value_holdout"] = np.bincount(codes, weights=tx[s.AMOUNT].to_numpy(),
                                                    minlength=len(customers)) / rows
    return out


def calibration_holdout_split(
    transactions: pd.DataFrame | Any,
    calibration_end: Any,
    observation_end: Any = None,
    freq: Freq = "W7",
    *,
    customer_col: str = s.CUSTOMER_ID,
    datetime_col: str = s.TIMESTAMP,
    monetary_col: str | None = s.AMOUNT,
    freq_multiplier: float = 1,
    engine: str = "auto",
) -> pd.DataFrame:
    """Summarise a calibration period per customer and count their holdout purchases.

    The calibration columns are :func:`rfm_summary` of the transactions up to
    ``calibration_end`` (inclusive); the holdout columns describe the transactions after
    it, up to ``observation_end``. The result equals
    ``lifetimes.utils.calibration_and_holdout_data(..., monetary_value_col=...)`` value
    for value (tested on CDNOW). Use it to check a model's holdout predictions.

    .. warning::
       Customers whose first purchase is after ``calibration_end`` are **not** in the
       result (as in lifetimes): models cannot predict customers they have not seen.
       Their number is in ``result.attrs["n_excluded_new"]``.

    Like lifetimes, ``frequency_holdout`` counts distinct holdout periods with a purchase
    while ``monetary_value_holdout`` is the mean amount of the holdout *rows* (not of the
    period sums that ``monetary_value_cal`` averages).

    Parameters
    ----------
    transactions : pandas.DataFrame, path or Spark DataFrame
        One row per purchase (see :func:`rfm_summary`). Not modified.
    calibration_end : str, datetime or pandas.Timestamp
        Last day of the calibration period, inclusive.
    observation_end : str, datetime or pandas.Timestamp, optional
        Last day of the holdout period, inclusive; default the last transaction's day.
        Later rows are excluded with a ``UserWarning``.
    freq : {"W7", "D", "W", "M"}, default "W7"
        Periods and unit of recency, T and duration (see :func:`rfm_summary`).
    customer_col, datetime_col, monetary_col, freq_multiplier, engine
        As in :func:`rfm_summary`.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id``, one row per customer with a purchase on or before
        ``calibration_end``; columns ``frequency_cal``, ``recency_cal``, ``T_cal``,
        ``monetary_value_cal``, ``frequency_holdout`` (0 when no holdout purchase),
        ``monetary_value_holdout`` (0 when none) and ``duration_holdout`` (periods from
        ``calibration_end`` to ``observation_end``, the same for everyone). The monetary
        columns are left out when ``monetary_col=None``. ``attrs``: ``calibration_end``,
        ``observation_end``, ``freq``, ``n_excluded_new``, ``freq_multiplier`` and the
        time-unit keys of :func:`rfm_summary`.

    Raises
    ------
    DataValidationError
        As :func:`rfm_summary`; also when no transaction falls in the calibration period
        or none in the holdout period.
    ParameterError
        If ``calibration_end`` is not before ``observation_end``, or as
        :func:`rfm_summary`.
    """
    _check_periods(freq, freq_multiplier)

    def sql_run(sql_engine: Any) -> pd.DataFrame:
        from clvkit.engines._relational import holdout

        return holdout(sql_engine, calibration_end, observation_end, freq, freq_multiplier)

    def pandas_run(frame: pd.DataFrame) -> pd.DataFrame:
        return _split(frame, calibration_end, observation_end, freq, customer_col,
                      datetime_col, monetary_col, freq_multiplier)

    return _on_engine(transactions, engine, (customer_col, datetime_col, monetary_col),
                      sql_run, pandas_run)


def _split(transactions: pd.DataFrame, calibration_end: Any, observation_end: Any, freq: str,
           customer_col: str, datetime_col: str, monetary_col: str | None,
           freq_multiplier: float) -> pd.DataFrame:
    """calibration_holdout_split in pandas."""
    from ._codes import customer_codes

    func = "calibration_holdout_split"
    tx = _prepare(transactions, customer_col, datetime_col, monetary_col, func)
    cal_end = as_date(calibration_end, "calibration_end").normalize()
    tx, obs_end = _until(tx, observation_end, func)
    if cal_end >= obs_end:
        msg = (f"calibration_end ({cal_end.date()}) must be before observation_end "
               f"({obs_end.date()}), so that a holdout period exists.")
        raise ParameterError(msg)
    in_cal = tx[s.TIMESTAMP].to_numpy() < (cal_end + pd.Timedelta(days=1)).to_datetime64()
    for part, rows in (("calibration", in_cal), ("holdout", ~in_cal)):
        if not rows.any():
            msg = (f"No transaction falls in the {part} period (data from "
                   f"{tx[s.TIMESTAMP].min().date()} to {tx[s.TIMESTAMP].max().date()}; "
                   f"calibration_end={cal_end.date()}, observation_end={obs_end.date()}). "
                   f"Choose dates inside the data.")
            raise DataValidationError(msg, column=s.TIMESTAMP, n_failed=0)
    # customers as integer codes in id order (shared within a scoring run): the two
    # summaries and their join then never hash the id strings; ids are put back at the end
    codes, ids = customer_codes(transactions, customer_col)
    if len(codes) != len(tx):  # rows after observation_end were left out
        codes = codes[tx.index.to_numpy()]
    coded = tx.assign(**{s.CUSTOMER_ID: codes})
    cal = _summarise(coded[in_cal], int(_period(cal_end, freq)), freq, freq_multiplier)
    hold = _holdout(coded[~in_cal], freq)
    out = cal.add_suffix("_cal").join(hold, how="left").fillna(0)
    out.index = pd.Index(ids[out.index.to_numpy()], name=s.CUSTOMER_ID)
    out["frequency_holdout"] = out["frequency_holdout"].astype("int64")
    end_gap = int(_period(obs_end, freq)) - int(_period(cal_end, freq))
    out["duration_holdout"] = end_gap / _divisor(freq, freq_multiplier)
    out.attrs.update(calibration_end=cal_end, observation_end=obs_end, freq=freq,
                     n_excluded_new=int((~hold.index.isin(cal.index)).sum()),
                     freq_multiplier=freq_multiplier, **time_unit_attrs(freq, freq_multiplier))
    return out


# --- acquisition cohorts ----------------------------------------------------------------


def cohort_table(
    transactions: pd.DataFrame | Any,
    freq: Literal["W", "M", "Q", "Y"] = "M",
    *,
    customer_col: str = s.CUSTOMER_ID,
    datetime_col: str = s.TIMESTAMP,
    engine: str = "auto",
) -> pd.DataFrame:
    """Assign every customer to the acquisition cohort of their first purchase.

    Parameters
    ----------
    transactions : pandas.DataFrame, path or Spark DataFrame
        One row per purchase with a customer id and a timestamp. Not modified.
    freq : {"M", "Q", "W", "Y"}, default "M"
        Cohort length: calendar month, quarter, week (Monday to Sunday) or year.
    customer_col, datetime_col : str, default "customer_id", "timestamp"
        Names of the customer id and timestamp columns.
    engine : {"auto", "pandas", "duckdb", "spark"}, default "auto"
        Where the aggregation runs (see :func:`rfm_summary`).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id`` (sorted), one row per customer, columns
        ``first_purchase`` and ``last_purchase`` (datetime64[ns]), ``cohort``
        (``pandas.Period`` of ``freq``, the period of the first purchase) and
        ``n_transactions`` (int64, rows). Cohort sizes are
        ``cohort_table(tx)["cohort"].value_counts().sort_index()``; a retention matrix
        joins this table to the transactions on ``customer_id``.

    Raises
    ------
    DataValidationError
        If a column is missing, the table is empty, the timestamp is not datetime64 or
        a customer id or timestamp is missing.
    ParameterError
        If ``freq`` is not one of "W", "M", "Q", "Y".

    Examples
    --------
    >>> import pandas as pd
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "b"],
    ...                    "timestamp": pd.to_datetime(["2024-01-31", "2024-03-02",
    ...                                                 "2024-02-01"])})
    >>> cohort_table(tx)["cohort"].astype(str).tolist()
    ['2024-01', '2024-02']
    """
    _check_freq(freq, _COHORT_FREQS)

    def sql_run(sql_engine: Any) -> pd.DataFrame:
        from clvkit.engines._relational import cohorts

        return cohorts(sql_engine, freq)

    return _on_engine(transactions, engine, (customer_col, datetime_col, None), sql_run,
                      lambda frame: _cohorts(frame, freq, customer_col, datetime_col))


def _cohorts(transactions: pd.DataFrame, freq: str, customer_col: str,
             datetime_col: str) -> pd.DataFrame:
    """cohort_table in pandas."""
    tx = _prepare(transactions, customer_col, datetime_col, None, "cohort_table")
    grouped = tx.groupby(s.CUSTOMER_ID, sort=True)[s.TIMESTAMP]
    out = pd.DataFrame({"first_purchase": grouped.min(), "last_purchase": grouped.max(),
                        "n_transactions": grouped.size().astype("int64")})
    out.insert(2, "cohort", out["first_purchase"].dt.to_period(freq))
    out.index.name = s.CUSTOMER_ID
    return out
