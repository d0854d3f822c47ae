"""Summaries on a SQL engine (DuckDB or Spark): checks, the SQL of :mod:`._sql`, output.

The results equal :mod:`clvkit.summary`'s pandas ones (index, columns, dtypes and
``attrs``), so callers cannot tell which engine ran; tests check it to 1e-9.
"""

from __future__ import annotations

import warnings
from typing import Any

import pandas as pd

from clvkit import schema as s
from clvkit._messages import examples
from clvkit._parse import as_date
from clvkit.exceptions import DataValidationError, ParameterError

from ._sql import Columns, cohort_sql, holdout_sql, period_divisor, rfm_sql, stats_sql

__all__ = ["check_source", "cohorts", "day_number", "end_of", "holdout", "rfm", "unit_attrs"]

_EPOCH = pd.Timestamp("1970-01-01")


def day_number(ts: pd.Timestamp) -> int:
    """Days from 1970-01-01 to the calendar day of ``ts``."""
    return int((ts.normalize() - _EPOCH).days)


def unit_attrs(freq: str, freq_multiplier: float) -> dict[str, Any]:
    """The time-unit keys every summary records in ``attrs`` (see rfm_summary)."""
    from clvkit.summary import time_unit_attrs

    return time_unit_attrs(freq, freq_multiplier)


def check_source(engine: Any, func: str) -> None:
    """Columns present, timestamp a date/datetime, amount numeric (engine types)."""
    cols: Columns = engine.cols
    types = engine.types()
    present = ", ".join(repr(str(c)) for c in types)
    for col in (cols.customer, cols.timestamp, cols.amount):
        if col is not None and col not in types:
            msg = (f"{func}() needs a column {col!r}, which the transactions table does not "
                   f"have. Columns present: {present or 'none'}. Rename the column or pass "
                   f"its name (customer_col=, datetime_col=, monetary_col=).")
            raise DataValidationError(msg, column=col)
    if types[cols.timestamp] != "datetime":
        msg = (f"Column {cols.timestamp!r} has type {types[cols.timestamp]}, expected a "
               f"timestamp or date. Store it as a timestamp in the file (e.g. DuckDB "
               f"CAST(... AS TIMESTAMP) or pandas pd.to_datetime before writing).")
        raise DataValidationError(msg, column=cols.timestamp)
    if cols.amount is not None and types[cols.amount] != "numeric":
        msg = (f"Column {cols.amount!r} has type {types[cols.amount]}, expected numbers. "
               f"Convert it to a numeric type, or validate the data with "
               f"clvkit.validate_transactions().")
        raise DataValidationError(msg, column=cols.amount)


def _missing_examples(engine: Any, column: str) -> str:
    d, cols = engine.dialect, engine.cols
    ids = engine.df(f"SELECT {d.ident(cols.customer)} AS c FROM {engine.source} "
                    f"WHERE {d.ident(column)} IS NULL AND {d.ident(cols.customer)} IS NOT NULL "
                    f"LIMIT 6")["c"]
    shown = examples(ids)
    return f" (e.g. customer_id {shown})" if shown else ""


def end_of(engine: Any, observation_end: Any, func: str, name: str = "observation_end",
           stacklevel: int = 4) -> tuple[pd.Timestamp, dict[str, int]]:
    """Check the rows in one pass; return the observation end day and the row counts."""
    cols: Columns = engine.cols
    end = None if observation_end is None else as_date(observation_end, name).normalize()
    end_day = None if end is None else day_number(end)
    quick = getattr(engine, "file_stats", None)
    known = quick(end_day) if quick is not None else None
    st = (pd.Series(known) if known is not None else
          engine.df(stats_sql(engine.dialect, engine.source, cols, end_day)).iloc[0])
    n = int(st["n_rows"])
    if n == 0:
        msg = f"{func}() got an empty transactions table (0 rows); nothing to summarise."
        raise DataValidationError(msg, n_failed=0)
    for key, label in (("missing_customer", cols.customer), ("missing_timestamp", cols.timestamp),
                       ("missing_amount", cols.amount)):
        bad = int(st[key]) if not pd.isna(st[key]) else 0
        if bad:
            where = "" if key == "missing_customer" else _missing_examples(engine, label)
            msg = (f"{bad:,} of {n:,} rows have a missing {label!r}{where}. Drop or fix them "
                   f"first (clvkit.validate_transactions() sets such rows aside).")
            raise DataValidationError(msg, column=label, n_failed=bad)
    first = _EPOCH + pd.Timedelta(days=int(st["first_day"]))
    if end is None:
        end = _EPOCH + pd.Timedelta(days=int(st["last_day"]))
    n_after = int(st["n_after"])
    if n_after == n:
        msg = (f"All {n:,} transactions are after {name}={end.date()} (first one on "
               f"{first.date()}); nothing is left to summarise. Pass a later {name}.")
        raise DataValidationError(msg, column=s.TIMESTAMP, n_failed=n_after)
    if n_after:
        msg = (f"{func}(): excluded {n_after:,} of {n:,} transactions dated after "
               f"{name}={end.date()}.")
        warnings.warn(msg, UserWarning, stacklevel=stacklevel)
    return end, {"n_rows": n, "n_after": n_after, "first_day": int(st["first_day"]),
                 "last_day": int(st["last_day"])}


def _index(values: pd.Series) -> pd.Index:
    return pd.Index(values.to_numpy(), name=s.CUSTOMER_ID)


def _frame(raw: pd.DataFrame, suffix: str = "") -> pd.DataFrame:
    """Engine output (c, frequency, recency, T, ...) -> clvkit's summary frame, sorted."""
    out = raw.set_axis(_index(raw[f"c{suffix}"]), axis=0).drop(columns=f"c{suffix}")
    out = out.sort_index(kind="mergesort")
    out[f"{s.FREQUENCY}{suffix}"] = out[f"{s.FREQUENCY}{suffix}"].astype("int64")
    for col in out.columns:
        if col != f"{s.FREQUENCY}{suffix}" and col in {f"{k}{suffix}" for k in (
                s.RECENCY, s.T, s.MONETARY_VALUE)}:
            out[col] = out[col].astype("float64")
    return out


def rfm(engine: Any, observation_end: Any, freq: str, freq_multiplier: float,
        func: str = "rfm_summary") -> pd.DataFrame:
    """:func:`clvkit.summary.rfm_summary` on a SQL engine (same frame, same attrs)."""
    from clvkit.summary import period_of

    check_source(engine, func)
    end, _ = end_of(engine, observation_end, func, stacklevel=5)
    sql = rfm_sql(engine.dialect, engine.source, engine.cols, freq, freq_multiplier,
                  day_number(end), period_of(end, freq))
    out = _frame(engine.df(sql))
    out.attrs.update(observation_end=end, freq=freq, freq_multiplier=freq_multiplier,
                     **unit_attrs(freq, freq_multiplier))
    return out


def holdout(engine: Any, calibration_end: Any, observation_end: Any, freq: str,
            freq_multiplier: float) -> pd.DataFrame:
    """:func:`clvkit.summary.calibration_holdout_split` on a SQL engine."""
    from clvkit.summary import period_of

    func = "calibration_holdout_split"
    check_source(engine, func)
    cal_end = as_date(calibration_end, "calibration_end").normalize()
    obs_end, st = end_of(engine, observation_end, func, stacklevel=5)
    if cal_end >= obs_end:
        msg = (f"calibration_end ({cal_end.date()}) must be before observation_end "
               f"({obs_end.date()}), so that a holdout period exists.")
        raise ParameterError(msg)
    sql = holdout_sql(engine.dialect, engine.source, engine.cols, freq, freq_multiplier,
                      day_number(cal_end), period_of(cal_end, freq), day_number(obs_end))
    raw = engine.df(sql)
    in_cal, in_hold = raw["c_cal"].notna(), raw["c_hold"].notna()
    for part, rows in (("calibration", in_cal), ("holdout", in_hold)):
        if not rows.any():
            first = _EPOCH + pd.Timedelta(days=st["first_day"])
            last = _EPOCH + pd.Timedelta(days=st["last_day"])
            msg = (f"No transaction falls in the {part} period (data from {first.date()} to "
                   f"{last.date()}; calibration_end={cal_end.date()}, "
                   f"observation_end={obs_end.date()}). Choose dates inside the data.")
            raise DataValidationError(msg, column=s.TIMESTAMP, n_failed=0)
    n_new = int((~in_cal).sum())
    out = _frame(raw[in_cal.to_numpy()].drop(columns="c_hold"), "_cal")
    out["frequency_holdout"] = out["frequency_holdout"].fillna(0).astype("int64")
    if "monetary_value_holdout" in out:
        out["monetary_value_holdout"] = out["monetary_value_holdout"].astype("float64").fillna(0.0)
    div = period_divisor(freq, freq_multiplier)
    out["duration_holdout"] = (period_of(obs_end, freq) - period_of(cal_end, freq)) / div
    out.attrs.update(calibration_end=cal_end, observation_end=obs_end, freq=freq,
                     n_excluded_new=n_new, freq_multiplier=freq_multiplier,
                     **unit_attrs(freq, freq_multiplier))
    return out


def cohorts(engine: Any, freq: str) -> pd.DataFrame:
    """:func:`clvkit.summary.cohort_table` on a SQL engine."""
    check_source(engine, "cohort_table")
    end_of(engine, None, "cohort_table")
    raw = engine.df(cohort_sql(engine.dialect, engine.source, engine.cols))
    out = raw.set_axis(_index(raw["c"]), axis=0).drop(columns="c").sort_index(kind="mergesort")
    for col in ("first_purchase", "last_purchase"):
        ts = pd.to_datetime(out[col])
        if isinstance(ts.dtype, pd.DatetimeTZDtype):
            ts = ts.dt.tz_localize(None)
        out[col] = ts.to_numpy(dtype="datetime64[ns]")
    out["n_transactions"] = out["n_transactions"].astype("int64")
    out.insert(2, "cohort", out["first_purchase"].dt.to_period(freq))
    return out
