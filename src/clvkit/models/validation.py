r"""Holdout validation of the buy-till-you-die models.

A CLV number nobody has checked is a guess. These functions take a
calibration/holdout split (:func:`clvkit.calibration_holdout_split`: one row per
customer with ``frequency_cal``, ``recency_cal``, ``T_cal``, ``monetary_value_cal``,
``frequency_holdout``, ``duration_holdout``), fit on the calibration period and
compare predictions with what customers really did in the holdout period, the way
Fader, Hardie & Lee (2005, section 4) validate BG/NBD on CDNOW: per-customer
errors, the cumulative repeat-transactions tracking curve and the
conditional-expectation table (holdout purchases by calibration frequency).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from .._codes import factorize_ids, period_ordinals, plain_dates, sorted_unique
from .._messages import require_columns
from ..exceptions import DataValidationError, ParameterError
from ..schema import CUSTOMER_ID, FREQUENCY, MONETARY_VALUE, RECENCY, TIMESTAMP, T
from ._checks import check_summary
from ._compress import compress
from .btyd import BGNBDModel, MBGNBDModel, ParetoNBDModel, _PurchaseModel

__all__ = [
    "calibration_summary",
    "compare_models",
    "conditional_expectation_table",
    "holdout_metrics",
    "holdout_predictions",
    "tracking_curve",
    "validation_split",
]

_CAL = {"frequency_cal": FREQUENCY, "recency_cal": RECENCY, "T_cal": T,
        "monetary_value_cal": MONETARY_VALUE}
_HOLDOUT = ("frequency_holdout", "duration_holdout")
_BUILD_SPLIT = ("Build it with clvkit.calibration_holdout_split(transactions, "
                "calibration_end).")
MODEL_CLASSES: dict[str, type[_PurchaseModel]] = {
    "BG/NBD": BGNBDModel, "Pareto/NBD": ParetoNBDModel, "MBG/NBD": MBGNBDModel,
}
_KEYS = {"bgnbd": "BG/NBD", "paretonbd": "Pareto/NBD", "mbgnbd": "MBG/NBD"}
METRICS = ("mae", "rmse", "correlation", "total_error_pct")


def calibration_summary(split: pd.DataFrame) -> pd.DataFrame:
    """Return the calibration part of a split under the model column names.

    Parameters
    ----------
    split : pandas.DataFrame
        Output of :func:`clvkit.calibration_holdout_split`.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``split`` with ``frequency``, ``recency``, ``T`` (and
        ``monetary_value`` when present), ready for ``fit_bgnbd`` and friends.
    """
    require_columns(split, ("frequency_cal", "recency_cal", "T_cal"), "calibration/holdout",
                    "calibration_summary()", todo=_BUILD_SPLIT)
    cols = [c for c in _CAL if c in split.columns]
    return split[cols].rename(columns=_CAL)


def validation_split(
    transactions: pd.DataFrame,
    *,
    calibration_end: str | pd.Timestamp | None = None,
    observation_end: str | pd.Timestamp | None = None,
    holdout_weeks: int = 26,
    freq: str = "W7",
) -> pd.DataFrame:
    """Split a transaction log into calibration and holdout periods for model checks.

    A thin front to :func:`clvkit.calibration_holdout_split` that picks the
    calibration end when none is given: ``holdout_weeks`` weeks before the
    observation end.

    Parameters
    ----------
    transactions : pandas.DataFrame
        The transaction log (``customer_id``, ``timestamp``, ``amount``).
    calibration_end : str or Timestamp, optional
        Last day of the calibration period; default ``observation_end`` minus
        ``holdout_weeks`` weeks.
    observation_end : str or Timestamp, optional
        Last day of data; default the last transaction's day.
    holdout_weeks : int, default 26
        Holdout length used when ``calibration_end`` is not given.
    freq : {"W7", "D", "W", "M"}, default "W7"
        Period length of the summaries; the default is :func:`clvkit.rfm_summary`'s
        (daily purchases counted in weeks of 7 days), so a model checked on the split
        has the resolution of the model fitted on the whole history.

    Returns
    -------
    pandas.DataFrame
        The split (see :func:`clvkit.calibration_holdout_split`); ``attrs`` also hold
        ``calibration_end`` and ``observation_end`` as Timestamps.

    Raises
    ------
    ParameterError
        ``holdout_weeks`` is not a positive whole number.
    """
    from ..summary import calibration_holdout_split

    if isinstance(holdout_weeks, bool) or not isinstance(holdout_weeks, (int, np.integer)) or (
        holdout_weeks < 1
    ):
        msg = f"holdout_weeks must be a whole number of weeks >= 1; got {holdout_weeks!r}."
        raise ParameterError(msg)
    end = (pd.Timestamp(observation_end) if observation_end is not None
           else pd.to_datetime(transactions[TIMESTAMP]).max()).normalize()
    cal_end = (pd.Timestamp(calibration_end) if calibration_end is not None
               else end - pd.Timedelta(weeks=int(holdout_weeks)))
    split = calibration_holdout_split(transactions, cal_end, end, freq=freq)
    split.attrs.update(calibration_end=cal_end, observation_end=end)
    return split


def holdout_predictions(model: _PurchaseModel, split: pd.DataFrame) -> pd.DataFrame:
    """Predict each customer's holdout purchases from their calibration history.

    Parameters
    ----------
    model : BGNBDModel, ParetoNBDModel or MBGNBDModel
        Fitted on ``calibration_summary(split)``.
    split : pandas.DataFrame
        Calibration/holdout split (``duration_holdout`` in the model's time unit).

    Returns
    -------
    pandas.DataFrame
        Indexed by customer_id with ``frequency_cal``, ``actual`` (holdout repeat
        purchases), ``predicted`` (:math:`E[Y(\\text{duration}) \\mid x, t_x, T]`)
        and ``error`` (predicted - actual).
    """
    check_is_fitted(model, "params_")
    cal = calibration_summary(split)
    require_columns(split, _HOLDOUT, "calibration/holdout", "holdout_predictions()",
                    todo=_BUILD_SPLIT)
    v = check_summary(cal, (FREQUENCY, RECENCY, T), label="holdout_predictions")
    duration = split["duration_holdout"].to_numpy(dtype=float)
    packed = compress(v[FREQUENCY], v[RECENCY], v[T], duration)
    predicted = packed.expand(model._conditional(packed.columns[3], *packed.columns[:3]))
    actual = split["frequency_holdout"].to_numpy(dtype=float)
    return pd.DataFrame(
        {"frequency_cal": v[FREQUENCY].astype(int), "actual": actual,
         "predicted": predicted, "error": predicted - actual},
        index=split.index.copy(),
    )


def holdout_metrics(predictions: pd.DataFrame) -> pd.Series:
    r"""Summarise per-customer and aggregate holdout error.

    Parameters
    ----------
    predictions : pandas.DataFrame
        Columns ``actual`` and ``predicted`` (one row per customer), e.g. from
        :func:`holdout_predictions`.

    Returns
    -------
    pandas.Series
        ``n_customers``; ``mae`` :math:`\frac1n\sum|\hat y_i-y_i|`; ``rmse``
        :math:`\sqrt{\frac1n\sum(\hat y_i-y_i)^2}`; ``correlation`` (Pearson, NaN if
        either side is constant); ``total_actual``, ``total_predicted`` and
        ``total_error_pct`` (:math:`(\sum\hat y-\sum y)/\sum y`, a share).
    """
    require_columns(predictions, ("actual", "predicted"), "predictions", "holdout_metrics()",
                    todo="Pass the output of clvkit.models.holdout_predictions().")
    y = predictions["actual"].to_numpy(dtype=float)
    yhat = predictions["predicted"].to_numpy(dtype=float)
    if y.size == 0:
        msg = "holdout_metrics got no customers (empty predictions)."
        raise DataValidationError(msg)
    err = yhat - y
    corr = float(np.corrcoef(y, yhat)[0, 1]) if y.std() > 0 and yhat.std() > 0 else np.nan
    total = float(y.sum())
    return pd.Series({
        "n_customers": float(y.size),
        "mae": float(np.abs(err).mean()),
        "rmse": float(np.sqrt((err**2).mean())),
        "correlation": corr,
        "total_actual": total,
        "total_predicted": float(yhat.sum()),
        "total_error_pct": float(err.sum() / total) if total > 0 else np.nan,
    }, name="value")


def conditional_expectation_table(
    predictions: pd.DataFrame, max_frequency: int = 7
) -> pd.DataFrame:
    """Tabulate mean actual and predicted holdout purchases by calibration frequency.

    This is Figure 5 of Fader, Hardie & Lee (2005): customers grouped by the number
    of repeat purchases in the calibration period (the last group is
    ``max_frequency`` or more).

    Parameters
    ----------
    predictions : pandas.DataFrame
        From :func:`holdout_predictions` (``frequency_cal``, ``actual``, ``predicted``).
    max_frequency : int, default 7
        Frequencies at or above this share the last row, labelled e.g. ``"7+"``.

    Returns
    -------
    pandas.DataFrame
        Index ``frequency_cal`` (labels "0", "1", ..., "7+"), columns
        ``n_customers``, ``actual`` and ``predicted`` (means per customer).
    """
    if isinstance(max_frequency, bool) or not isinstance(max_frequency, (int, np.integer)) or (
        max_frequency < 1
    ):
        msg = f"max_frequency must be a whole number >= 1; got {max_frequency!r}."
        raise ParameterError(msg)
    freq = predictions["frequency_cal"].clip(upper=max_frequency).astype(int)
    table = predictions.groupby(freq).agg(
        n_customers=("actual", "size"), actual=("actual", "mean"), predicted=("predicted", "mean")
    )
    table.index = [f"{i}+" if i == max_frequency else str(i) for i in table.index]
    table.index.name = "frequency_cal"
    return table


def tracking_curve(
    model: _PurchaseModel,
    transactions: pd.DataFrame,
    *,
    calibration_end: str | pd.Timestamp,
    observation_end: str | pd.Timestamp | None = None,
    freq: str = "W",
    customer_col: str = CUSTOMER_ID,
    datetime_col: str = TIMESTAMP,
) -> pd.DataFrame:
    r"""Compare cumulative repeat transactions with the model's expectation, period by period.

    Customers whose first purchase falls on or before ``calibration_end`` form the
    cohort (the customers the model was fitted on). Purchases in the same period
    count once, as in :func:`clvkit.rfm_summary`. The expected cumulative repeat
    transactions at the end of period :math:`k` are
    :math:`\sum_f n_f\,E[X(k-f)]`, with :math:`n_f` customers making their first
    purchase in period :math:`f` and :math:`E[X(t)]` the model's unconditional
    expectation (BG/NBD: eq. 7 of Fader, Hardie & Lee 2005; their Figure 3).

    Parameters
    ----------
    model : BGNBDModel, ParetoNBDModel or MBGNBDModel
        Fitted on the calibration summary built with the same ``freq``.
    transactions : pandas.DataFrame
        The transaction log (``customer_id``, ``timestamp``).
    calibration_end : str or Timestamp
        Last day of the calibration period.
    observation_end : str or Timestamp, optional
        Last day of data; default the last transaction.
    freq : {"D", "W", "M"}, default "W"
        Period length (must match the summary the model was fitted on).
    customer_col, datetime_col : str
        Column names in ``transactions``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``period_end`` (the last day of each period) with ``actual`` and
        ``predicted`` cumulative repeat transactions and ``holdout`` (True after
        ``calibration_end``).
    """
    check_is_fitted(model, "params_")
    first, repeat_counts, periods = _repeat_periods(
        transactions, calibration_end, observation_end, freq, customer_col, datetime_col)
    start = periods[0]
    cohort = np.bincount(first - start, minlength=len(periods)).astype(float)
    ex = model.expected_purchases(np.arange(len(periods), dtype=float))
    predicted = np.convolve(cohort, ex)[: len(periods)]
    actual = np.cumsum(repeat_counts)
    period_index = pd.PeriodIndex.from_ordinals(periods, freq=freq)
    cal_ordinal = pd.Period(pd.Timestamp(calibration_end), freq=freq).ordinal
    return pd.DataFrame(
        {"actual": actual.astype(float), "predicted": predicted, "holdout": periods > cal_ordinal},
        index=pd.DatetimeIndex(period_index.end_time.normalize(), name="period_end"),
    )


def _repeat_periods(
    transactions: pd.DataFrame, calibration_end: Any, observation_end: Any, freq: str,
    customer_col: str, datetime_col: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """First-purchase period per cohort customer, repeat periods per period, period range."""
    require_columns(transactions, (customer_col, datetime_col), "transactions",
                    "tracking_curve()",
                    todo="Rename them, or name yours with customer_col= and datetime_col=.")
    ts = pd.to_datetime(transactions[datetime_col])
    end = (pd.Timestamp(observation_end) if observation_end is not None else ts.max()).normalize()
    keep = (ts < end + pd.Timedelta(days=1)).to_numpy()  # the whole last day, as rfm_summary
    ordinals = period_ordinals(ts.to_numpy()[keep], freq) if plain_dates(ts) else None
    if ordinals is None:  # time zones, missing dates or another freq: pandas Periods
        ordinals = pd.PeriodIndex(ts[keep], freq=freq).asi8
    ids = factorize_ids(transactions[customer_col].to_numpy()[keep])[0]
    low = ordinals.min() if ordinals.size else 0
    span = int(ordinals.max() - low + 1) if ordinals.size else 1
    key = sorted_unique(ids.astype(np.int64) * span + (ordinals - low))  # one per customer-period
    pairs = np.column_stack([key // span, key % span + low])
    first_by_id = np.full(ids.max() + 1 if ids.size else 0, np.iinfo(np.int64).max)
    np.minimum.at(first_by_id, pairs[:, 0], pairs[:, 1])
    cal = pd.Period(pd.Timestamp(calibration_end), freq=freq).ordinal
    in_cohort = first_by_id <= cal
    if not in_cohort.any():
        msg = f"No customer made a first purchase on or before calibration_end={calibration_end}."
        raise DataValidationError(msg, column=datetime_col)
    first = first_by_id[in_cohort]
    periods = np.arange(first.min(), pd.Period(end, freq=freq).ordinal + 1)
    pair_first = first_by_id[pairs[:, 0]]
    repeats = pairs[(pairs[:, 1] > pair_first) & (pair_first <= cal), 1]
    counts = np.bincount(repeats - periods[0], minlength=len(periods))[: len(periods)]
    return first, counts, periods


def compare_models(
    split: pd.DataFrame,
    models: Sequence[str] | Mapping[str, _PurchaseModel] = ("bgnbd", "paretonbd", "mbgnbd"),
    *,
    metric: str = "rmse",
    penalizer_coef: float = 0.0,
) -> pd.DataFrame:
    """Fit several purchase models on the calibration period and rank them on the holdout.

    Parameters
    ----------
    split : pandas.DataFrame
        Calibration/holdout split.
    models : sequence of {"bgnbd", "paretonbd", "mbgnbd"} or mapping name -> fitted model
        Models to compare; names are fitted on ``calibration_summary(split)``.
    metric : {"rmse", "mae", "total_error_pct"}, default "rmse"
        Holdout criterion for the best model (lowest value; absolute value for
        ``total_error_pct``).
    penalizer_coef : float, default 0.0
        Passed to models fitted here.

    Returns
    -------
    pandas.DataFrame
        One row per model (index ``model``) with ``log_likelihood`` (calibration),
        the :func:`holdout_metrics` columns and ``best`` (True for the winner);
        ``attrs["best"]`` names it and ``attrs["metric"]`` the criterion.
    """
    if metric not in ("rmse", "mae", "total_error_pct"):
        msg = f"metric must be one of 'rmse', 'mae', 'total_error_pct'; got {metric!r}."
        raise ParameterError(msg)
    fitted = _fit_all(split, models, penalizer_coef)
    rows = {}
    for name, model in fitted.items():
        row = holdout_metrics(holdout_predictions(model, split))
        row["log_likelihood"] = model.log_likelihood_
        rows[name] = row
    table = pd.DataFrame(rows).T
    table.index.name = "model"
    table = table[["log_likelihood", "n_customers", *METRICS, "total_actual", "total_predicted"]]
    score = table[metric].abs() if metric == "total_error_pct" else table[metric]
    best = str(score.astype(float).idxmin())
    table["best"] = table.index == best
    table.attrs.update(best=best, metric=metric)
    return table


def _fit_all(
    split: pd.DataFrame, models: Sequence[str] | Mapping[str, _PurchaseModel], penalizer: float
) -> dict[str, _PurchaseModel]:
    if isinstance(models, Mapping):
        return dict(models)
    cal = calibration_summary(split)
    fitted = {}
    for key in models:
        if key not in _KEYS:
            msg = f"Unknown model {key!r}; choose from {', '.join(map(repr, _KEYS))}."
            raise ParameterError(msg)
        fitted[_KEYS[key]] = MODEL_CLASSES[_KEYS[key]](penalizer_coef=penalizer).fit(cal)
    if not fitted:
        msg = "compare_models needs at least one model."
        raise ParameterError(msg)
    return fitted
