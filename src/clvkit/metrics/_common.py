"""Input checks and small helpers shared by the metric modules (private)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from .._messages import require_columns
from .._parse import as_date
from ..exceptions import DataValidationError, ParameterError
from ..schema import CUSTOMER_ID, TIMESTAMP
from ..tables import Dataset


def require_rows(frame: pd.DataFrame, table: str, what: str) -> None:
    """Raise a DataValidationError when a table has no rows."""
    if len(frame) == 0:
        msg = f"{what} got an empty {table} table (0 rows); it needs at least one row."
        raise DataValidationError(msg, n_failed=0)


def check_choice(name: str, value: object, choices: Iterable[object]) -> None:
    """Raise a ParameterError listing the valid values of an option."""
    choices = tuple(choices)
    if value not in choices:
        msg = f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}"
        raise ParameterError(msg)


def check_confidence(confidence: float) -> None:
    """Raise a ParameterError unless ``confidence`` (an interval's level) is in (0, 1)."""
    if not 0 < confidence < 1:
        msg = (f"confidence must be in (0, 1), e.g. 0.95 for a 95% interval; "
               f"got {confidence!r}")
        raise ParameterError(msg)


def transactions_of(data: Dataset | pd.DataFrame, what: str) -> pd.DataFrame:
    """Return the transactions table of a Dataset, or the frame itself, checked."""
    frame = data.transactions if isinstance(data, Dataset) else data
    if not isinstance(frame, pd.DataFrame):
        got = type(data).__name__
        msg = f"{what} needs a clvkit Dataset or a transactions DataFrame; got {got}"
        raise ParameterError(msg)
    require_columns(frame, (CUSTOMER_ID, TIMESTAMP), "transactions", what)
    require_rows(frame, "transactions", what)
    if not pd.api.types.is_datetime64_any_dtype(frame[TIMESTAMP]):
        msg = (
            f"{what} needs datetime values in 'timestamp'; got dtype {frame[TIMESTAMP].dtype}. "
            "Parse it first, e.g. pd.to_datetime(df['timestamp'])."
        )
        raise DataValidationError(msg, column=TIMESTAMP)
    return frame


def customers_of(data: Dataset | pd.DataFrame, what: str) -> pd.DataFrame:
    """Return the customers table of a Dataset, or the frame itself, checked."""
    if isinstance(data, Dataset):
        if data.customers is None:
            msg = f"{what} needs a customers table, but Dataset {data.name!r} has none."
            raise DataValidationError(msg)
        frame = data.customers
    else:
        frame = data
    require_columns(frame, (CUSTOMER_ID,), "customers", what)
    require_rows(frame, "customers", what)
    return frame


def surveys_of(data: Dataset | pd.DataFrame | None, what: str) -> pd.DataFrame:
    """Return the surveys table of a Dataset, or the frame itself, checked."""
    frame = data.surveys if isinstance(data, Dataset) else data
    if frame is None:
        name = data.name if isinstance(data, Dataset) else ""
        msg = (
            f"{what} needs survey responses, but data set {name!r} has no surveys table. "
            "Load one (table role 'surveys': customer_id, date, nps) or skip this analysis."
        )
        raise DataValidationError(msg)
    require_columns(frame, (CUSTOMER_ID,), "surveys", what)
    require_rows(frame, "surveys", what)
    return frame


def observation_end_of(
    data: Dataset | pd.DataFrame, observation_end: object, fallback: pd.Series
) -> pd.Timestamp:
    """Resolve the observation end: argument, then Dataset attribute, then last date seen."""
    given = as_date(observation_end, optional=True)
    if given is not None:
        return given
    if isinstance(data, Dataset) and data.observation_end is not None:
        return as_date(data.observation_end)
    return pd.Timestamp(fallback.max()).normalize()


def bootstrap_rng(random_state: int | np.random.Generator | None) -> np.random.Generator:
    """Turn ``random_state`` into a numpy Generator."""
    return np.random.default_rng(random_state)


def quantile_interval(draws: np.ndarray, confidence: float) -> tuple[float, float]:
    """Percentile interval of bootstrap draws (NaNs ignored)."""
    draws = draws[np.isfinite(draws)]
    if draws.size == 0:
        return (float("nan"), float("nan"))
    alpha = (1 - confidence) / 2
    lo, hi = np.quantile(draws, [alpha, 1 - alpha])
    return (float(lo), float(hi))


def check_whole(name: str, value: object, unit: str) -> int:
    """Return ``value`` as an int, or raise a ParameterError unless it is a whole number >= 1."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        msg = f"{name} must be a positive whole number of {unit}; got {value!r}"
        raise ParameterError(msg)
    return int(value)
