"""Input checks shared by the buy-till-you-die models (messages in clvkit's words)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._messages import examples as format_examples
from .._messages import require_columns
from ..exceptions import DataValidationError, ParameterError
from ..schema import FREQUENCY, MONETARY_VALUE, RECENCY, T

__all__ = ["check_summary", "examples", "fix_summary_hint"]

fix_summary_hint = (
    "Build the summary with clvkit.rfm_summary(transactions) (or "
    "clvkit.calibration_holdout_split for a holdout check)."
)


def examples(index: pd.Index, mask: np.ndarray, n: int = 5) -> str:
    """Up to ``n`` example ids where ``mask`` is true, for error messages."""
    return format_examples(index[np.asarray(mask)], n)


def _fail(
    summary: pd.DataFrame, column: str, mask: np.ndarray, what: str, todo: str
) -> DataValidationError:
    n_bad, n = int(mask.sum()), len(summary)
    msg = (
        f"{n_bad:,} of {n:,} customers have {what} (e.g. customer_id "
        f"{examples(summary.index, mask)}). {todo}"
    )
    return DataValidationError(
        msg, column=column, n_failed=n_bad, failure_cases=summary.loc[mask].head(5)
    )


def check_summary(
    summary: pd.DataFrame, columns: Sequence[str], *, label: str
) -> dict[str, np.ndarray]:
    """Validate a per-customer summary and return its columns as float arrays.

    Checks: a DataFrame with the needed columns, at least one row, one row per
    customer, numeric finite values, integer non-negative frequency, and the
    ordering 0 <= recency <= T with recency 0 for one-time buyers.

    Raises
    ------
    DataValidationError
        With the column, the count of offending customers and up to five ids.
    """
    if not isinstance(summary, pd.DataFrame):
        msg = f"{label} expects a per-customer summary DataFrame; got {type(summary).__name__}."
        raise DataValidationError(msg)
    require_columns(summary, columns, "per-customer summary", label, todo=fix_summary_hint)
    if summary.empty:
        msg = f"{label} got an empty summary (0 customers). {fix_summary_hint}"
        raise DataValidationError(msg)
    dup = summary.index.duplicated(keep=False)
    if dup.any():
        raise _fail(summary, summary.index.name or "index", dup, "more than one row",
                    "The summary must have one row per customer.")
    out: dict[str, np.ndarray] = {}
    for col in columns:
        if not pd.api.types.is_numeric_dtype(summary[col]) or pd.api.types.is_bool_dtype(
            summary[col]
        ):
            msg = f"{label}: column {col!r} must be numeric; got dtype {summary[col].dtype}."
            raise DataValidationError(msg, column=col)
        values = summary[col].to_numpy(dtype=float, na_value=np.nan)
        bad = ~np.isfinite(values)
        if bad.any():
            raise _fail(summary, col, bad, f"a missing or infinite {col!r}",
                        "Drop or fill these rows first.")
        out[col] = values
    _check_ordering(summary, out)
    return out


def _check_ordering(summary: pd.DataFrame, v: dict[str, np.ndarray]) -> None:
    if FREQUENCY in v:
        x = v[FREQUENCY]
        bad = (x < 0) | (x != np.round(x))
        if bad.any():
            raise _fail(summary, FREQUENCY, bad, "a negative or non-integer frequency",
                        "frequency counts repeat purchase periods (0, 1, 2, ...).")
    if RECENCY in v and T in v:
        bad = v[RECENCY] < 0
        if bad.any():
            raise _fail(summary, RECENCY, bad, "a negative recency",
                        "recency is the time from first to last purchase.")
        bad = v[RECENCY] > v[T]
        if bad.any():
            raise _fail(summary, RECENCY, bad, "recency larger than T (age)",
                        "Check observation_end: it must not be before the last purchase.")
        if FREQUENCY in v:
            bad = (v[FREQUENCY] == 0) & (v[RECENCY] != 0)
            if bad.any():
                raise _fail(summary, RECENCY, bad, "frequency 0 but a non-zero recency",
                            "One-time buyers have recency 0 by definition.")
    if MONETARY_VALUE in v and FREQUENCY in v:
        bad = (v[FREQUENCY] > 0) & (v[MONETARY_VALUE] < 0)
        if bad.any():
            raise _fail(
                summary, MONETARY_VALUE, bad, "repeat purchases but monetary_value < 0",
                "Gamma-Gamma models positive spend: net refunds against their orders "
                "(clvkit.io.net_amounts) before rfm_summary(), or remove these customers.",
            )


def check_positive(name: str, value: float, *, allow_zero: bool = False) -> float:
    """Check a numeric argument is finite and positive (or non-negative)."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and np.isfinite(value)
    ok = ok and (value >= 0 if allow_zero else value > 0)
    if not ok:
        bound = ">= 0" if allow_zero else "> 0"
        msg = f"{name} must be a finite number {bound}; got {value!r}."
        raise ParameterError(msg)
    return float(value)
