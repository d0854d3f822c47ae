"""``score``: the one scoring run a report is built from."""

from __future__ import annotations

import dataclasses
import time
import warnings
from typing import Any

import numpy as np
import pandas as pd

from .._codes import customer_codes, shared_codes
from .._parse import as_date
from ..exceptions import DataValidationError, ParameterError
from ..schema import AMOUNT, CUSTOMER_ID, GROSS_MARGIN, TIMESTAMP
from ..tables import Dataset
from ._intervals import (
    METHOD,
    add_bounds,
    by_position,
    customer_value_with_intervals,
    id_positions,
    total_interval,
)
from ._kpis import at_risk_mask, headline_kpis
from ._models import LABELS, choose_purchase_model, churn_risk, fit_purchase, fit_spend
from ._notes import Notes
from ._result import Scores
from ._settings import ScoreSettings

__all__ = ["score"]

#: Currency of the bundled data sets (matched on the start of Dataset.name).
_BUNDLED_CURRENCY = {"demo": "¥", "CDNOW": "$"}


def _value_basis(tx: pd.DataFrame, s: ScoreSettings) -> tuple[str, float, str]:
    """(basis, margin share, source): margin from the data, an assumed margin, or revenue."""
    if GROSS_MARGIN in tx.columns:
        from ..segments.profit import margin_share

        return "margin", margin_share(tx), "data"
    if s.margin_rate > 0:
        return "margin", float(s.margin_rate), "assumed"
    return "revenue", 1.0, "none"


def _currency(ds: Dataset, s: ScoreSettings) -> tuple[str, str]:
    if s.currency:
        return s.currency, "set"
    own = getattr(ds, "currency", None) or ds.extra.get("currency")
    if own:
        return str(own), "data"
    for prefix, symbol in _BUNDLED_CURRENCY.items():
        if ds.name.startswith(prefix):
            return symbol, "data"
    return "", "none"


def _source(s: ScoreSettings, name: str) -> str:
    default = next(f.default for f in dataclasses.fields(ScoreSettings) if f.name == name)
    return "default" if getattr(s, name) == default else "set"


def _assumptions(ds: Dataset, s: ScoreSettings, end: pd.Timestamp, basis: tuple[str, float, str],
                 choice: Any, spend: Any, risk_source: str) -> dict[str, dict[str, Any]]:
    currency, currency_source = _currency(ds, s)
    a: dict[str, dict[str, Any]] = {
        "currency": {"value": currency, "source": currency_source},
        "value_basis": {"value": basis[0], "source": basis[2]},
        "margin_rate": {"value": basis[1] if basis[0] == "margin" else None,
                        "source": basis[2]},
        "observation_end": {"value": end.date().isoformat(),
                            "source": "window" if ds.observation_end is not None
                            else "last_purchase"},
    }
    for name in ("horizon_months", "discount_rate_annual", "inactivity_days", "period_months",
                 "at_risk_threshold", "penalizer_coef"):
        a[name] = {"value": getattr(s, name), "source": _source(s, name)}
    split = choice.split
    a["calibration_end"] = {
        "value": (split.attrs["calibration_end"].date().isoformat() if split is not None
                  else None), "source": "holdout_weeks"}
    a["holdout_weeks"] = {"value": s.holdout_weeks, "source": _source(s, "holdout_weeks")}
    a["purchase_model"] = {"value": choice.key, "source": choice.reason}
    a["spend_model"] = {"value": "gamma_gamma" if spend is not None else None,
                        "source": "fitted" if spend is not None else "unavailable"}
    a["churn_risk_source"] = {"value": risk_source, "source": "holdout"}
    a["churn_window_days"] = {"value": s.churn_window_days,
                              "source": _source(s, "churn_window_days")}
    a["interval_level"] = {"value": s.interval_level or None,
                           "source": _source(s, "interval_level")}
    a["interval_method"] = {"value": METHOD if s.interval_level else None,
                            "source": "default"}
    return a


def _summary(tx: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    """``rfm_summary(tx, observation_end=end)``, summarised by the run's customer codes
    (sorted like the ids, so the same rows in the same order) and indexed by the ids."""
    from ..summary import rfm_summary

    codes, ids = customer_codes(tx)
    if (codes < 0).any() or AMOUNT not in tx.columns:  # let rfm_summary say what is wrong
        return rfm_summary(tx, observation_end=end)
    coded = pd.DataFrame({CUSTOMER_ID: codes, TIMESTAMP: tx[TIMESTAMP].array,
                          AMOUNT: tx[AMOUNT].array})
    summary = rfm_summary(coded, observation_end=end)
    summary.index = pd.Index(ids[summary.index.to_numpy()], name=CUSTOMER_ID)
    return summary


def score(data: Dataset, settings: ScoreSettings | None = None, /, **overrides: Any) -> Scores:
    """Fit the models once and score every customer: the one result a report reads.

    Steps: the per-customer summary (``rfm_summary``, weeks); BG/NBD, Pareto/NBD and
    MBG/NBD fitted on a calibration period and compared on the holdout (the chosen
    one is refitted on the whole history; see :func:`choose_purchase_model` for the
    rule); Gamma-Gamma for spend; CLV over ``horizon_months``, discounted, on the
    value basis (gross margin from the data, else an assumed ``margin_rate``, else
    revenue); one churn risk, the probability of no purchase in the next
    ``churn_window_days`` (from the classifier when it beats the purchase model on the
    holdout, else from the purchase model); RFM segment, value tier and action; the headline
    KPIs; the assumptions and warnings.

    Parameters
    ----------
    data : clvkit.Dataset
        From :func:`clvkit.load_data`.
    settings : ScoreSettings, optional
        Default ``ScoreSettings()``; keyword ``overrides`` replace single settings
        (``score(ds, horizon_months=24)``).

    Returns
    -------
    Scores
        Save it with ``.save(folder)``; every page of a report reads it.

    Raises
    ------
    DataValidationError
        No transactions.
    ParameterError
        Invalid settings.
    """
    if not isinstance(data, Dataset):
        msg = f"score() needs a clvkit Dataset (clvkit.load_data(...)); got {type(data).__name__}"
        raise ParameterError(msg)
    s = settings or ScoreSettings()
    if overrides:
        s = dataclasses.replace(s, **overrides)
    tx = data.transactions
    if tx is None or len(tx) == 0:
        msg = "score() got no transactions: nothing to score. Check the data source."
        raise DataValidationError(msg, column=CUSTOMER_ID)
    end = as_date(data.observation_end, optional=True) or tx[TIMESTAMP].max().normalize()
    start = time.perf_counter()  # the coding below counts in the first step's time
    with shared_codes(tx):  # the customer ids factorised once for every step below
        return _run(data, s, tx, end, start)


def _run(data: Dataset, s: ScoreSettings, tx: pd.DataFrame, end: pd.Timestamp,
         start: float) -> Scores:
    """The steps of :func:`score` on checked inputs (``start``: perf_counter at the start)."""
    from ..segments.actions import matrix_of
    from ..segments.export import scored_with_actions

    notes, tables, timings, models = Notes(), {}, {}, {}
    clock = start

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(now - clock, 3)
        clock = now

    summary = _summary(tx, end)
    basis = _value_basis(tx, s)
    lap("summary")
    choice = choose_purchase_model(tx, end, s, notes)
    for key, model in choice.calibrated.items():
        models[f"calibrated_{key}"] = model
    if choice.comparison is not None:
        tables["model_comparison"] = choice.comparison
    if choice.holdout is not None:
        tables["holdout"] = choice.holdout
    lap("holdout")
    purchase = fit_purchase(summary, choice.key, s, notes)
    spend = fit_spend(summary, s, notes) if purchase is not None else None
    value = valued = None
    if purchase is not None and spend is not None:
        valued = customer_value_with_intervals(summary, purchase, spend, s, basis[1], notes,
                                               LABELS[choice.key])
        value = valued.value
    elif purchase is not None:
        notes.add("clv_unavailable", "00")
    models.update(purchase=purchase, spend=spend)
    lap("models")
    risk = churn_risk(data, end, purchase, summary, s, notes)
    if risk.evaluation is not None:
        ev = risk.evaluation
        tables.update(churn_metrics=ev.metrics, churn_calibration=ev.calibration,
                      churn_importance=ev.importance, churn_test_scores=ev.scores)
    lap("churn")
    axes, matrix_margin = s.action_axes, basis[1] if basis[0] == "margin" else None
    if matrix_margin is None and axes == "value_profit":
        # profit needs a margin: rank by value and activity instead, or say profit = revenue
        if value is not None and value["p_alive"].notna().all():
            axes = "value_alive"
            notes.add("actions_by_activity", "06")
        else:
            matrix_margin = 1.0
            notes.add("actions_profit_is_revenue", "06")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scored, assigned = scored_with_actions(
            data, observation_end=end, customer_value=value, churn_risk=risk.values,
            matrix=axes, margin_rate=matrix_margin)
    for w in caught:
        if issubclass(w.category, UserWarning):
            notes.add("segments_message", "06", message=str(w.message))
    # the matrix of the very placement behind the table's actions (no second pass)
    tables["action_matrix"] = matrix_of(assigned).reset_index()
    scored["churn_risk_basis"] = risk.source
    scored["at_risk"] = at_risk_mask(scored, s)
    spend_by_id = (value["expected_spend"] if value is not None
                   else pd.Series(np.nan, index=pd.Index([], name=CUSTOMER_ID)))
    positions = (spend_by_id.index, id_positions(scored, spend_by_id.index))
    scored["expected_spend"] = by_position(spend_by_id, positions[1])
    # NaN bounds when intervals are off or impossible
    add_bounds(scored, valued, tables, positions)
    lap("segments")
    assumptions = _assumptions(data, s, end, basis, choice, spend, risk.source)
    kpis = headline_kpis(data, end, scored, s, notes, tables, basis[0])
    total_interval(kpis["clv_total"], valued, s)  # low, high: None without an interval
    kpis["revenue"]["values"]["currency"] = assumptions["currency"]["value"]
    facts = {"purchase_model": choice.key, "purchase_model_label": LABELS[choice.key],
             "purchase_reason": choice.reason, "churn_risk_source": risk.source,
             "value_basis": basis[0], "observation_end": end.date().isoformat(),
             "data_name": data.name, "revenue_total": float(tx[AMOUNT].sum()),
             "median_T": float(summary["T"].median()) if len(summary) else None,
             "action_axes": axes}
    if risk.evaluation is not None:
        facts["train_cutoff"] = risk.evaluation.train_cutoff.date().isoformat()
        facts["test_cutoff"] = risk.evaluation.test_cutoff.date().isoformat()
    if spend is not None:
        from ..models.spend import gamma_gamma_independence

        try:
            facts["independence"] = gamma_gamma_independence(summary)
        except Exception:  # a statistic for the page, never a reason to fail the run
            facts["independence"] = None
    lap("kpis")
    timings["total"] = round(sum(timings.values()), 3)
    return Scores(customers=scored, kpis=kpis, assumptions=assumptions, notes=list(notes),
                  settings=s, facts=facts, tables=tables, timings=timings, models=models)
