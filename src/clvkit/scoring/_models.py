"""The model steps of a scoring run: purchase model (chosen on the holdout), spend
model, and the one churn risk with its source."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import ClvkitError
from ._notes import Notes
from ._settings import ScoreSettings

__all__ = ["ChurnRisk", "PurchaseChoice", "choose_by_rmse", "choose_purchase_model", "churn_risk",
           "fit_spend"]

#: Model key -> label used in tables and sentences.
LABELS = {"bgnbd": "BG/NBD", "paretonbd": "Pareto/NBD", "mbgnbd": "MBG/NBD"}
#: A model other than BG/NBD is chosen only when its holdout RMSE is at least this
#: share lower than every other model's; otherwise the fits are "no clearly better".
CLEAR_WIN = 0.02
#: A chosen model whose total holdout purchases miss the actual by more than this
#: share gets a visible warning.
HOLDOUT_MISS = 0.20
#: The classifier replaces the purchase model's churn risk when its test ROC AUC is at
#: least this much higher than the baseline's.
AUC_MARGIN = 0.01
#: The churn classifier is trained on a seeded random sample of this many customers when
#: the train snapshot has more (see ``evaluate_churn_model(max_train_customers=)``); the
#: page says so. Below it (the demo up to about 110,000 customers) every customer is used.
CLASSIFIER_MAX_TRAIN = 100_000


def _classes() -> dict[str, Any]:
    from ..models.btyd import BGNBDModel, MBGNBDModel, ParetoNBDModel

    return {"bgnbd": BGNBDModel, "paretonbd": ParetoNBDModel, "mbgnbd": MBGNBDModel}


def _model_notes(model: Any, notes: Notes, section: str, label: str) -> None:
    """Carry a fitted model's own diagnostics (codes) into the run's notes."""
    diagnostics = getattr(model, "diagnostics_", None) or {}
    for item in diagnostics.get("warnings", []):
        notes.add(f"model.{item['code']}", section, **{"model": label, **item.get("values", {})})


def _fit(cls: Any, data: pd.DataFrame, penalizer: float) -> tuple[Any, list[str]]:
    """Fit quietly; return the model and the messages of the warnings it raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = cls(penalizer_coef=penalizer).fit(data)
    return model, [str(w.message) for w in caught if issubclass(w.category, UserWarning)]


@dataclass
class PurchaseChoice:
    """The purchase model of the run and why it was chosen.

    ``key`` is the chosen model; ``reason`` one of ``lowest_holdout_error``,
    ``no_clear_winner`` (BG/NBD kept), ``only_valid``, ``user_choice`` or
    ``no_holdout``; ``comparison`` one row per model (holdout errors, status);
    ``calibrated`` the calibration-period fits; ``holdout`` the chosen model's
    per-customer holdout predictions; ``split`` the calibration/holdout split.
    """

    key: str
    reason: str
    comparison: pd.DataFrame | None = None
    calibrated: dict[str, Any] = field(default_factory=dict)
    holdout: pd.DataFrame | None = None
    split: pd.DataFrame | None = None


def choose_purchase_model(
    tx: pd.DataFrame, end: pd.Timestamp, s: ScoreSettings, notes: Notes
) -> PurchaseChoice:
    """Fit BG/NBD, Pareto/NBD and MBG/NBD on the calibration period, score each on the
    holdout, and choose one.

    Rule (stated on page 04, see :func:`choose_by_rmse`): BG/NBD, the standard model,
    unless another model's per-customer holdout RMSE is at least 2% lower; then the
    lowest. A model whose fit fails or whose predictions are not finite is left out
    with a warning, never silently.
    """
    from ..models.validation import (
        calibration_summary,
        holdout_metrics,
        holdout_predictions,
        validation_split,
    )

    default = "bgnbd" if s.purchase_model == "auto" else s.purchase_model
    try:
        split = validation_split(tx, observation_end=end, holdout_weeks=s.holdout_weeks)
        cal = calibration_summary(split)
    except ClvkitError as err:
        notes.add("holdout_unavailable", "04", weeks=s.holdout_weeks, error=str(err))
        return PurchaseChoice(default, "no_holdout")
    rows, calibrated, predictions = {}, {}, {}
    for key, cls in _classes().items():
        row: dict[str, Any] = {"model": LABELS[key]}
        try:
            model, _ = _fit(cls, cal, s.penalizer_coef)
            pred = holdout_predictions(model, split)
        except ClvkitError as err:
            row.update(status="failed", detail=str(err).splitlines()[0])
            notes.add("comparison_failed", "04", model=LABELS[key], error=row["detail"])
            rows[key] = row
            continue
        finite = np.isfinite(pred["predicted"].to_numpy(dtype=float))
        if not finite.all():
            row.update(status="not_finite", detail=f"{int((~finite).sum())} customers")
            notes.add("comparison_not_finite", "04", model=LABELS[key],
                      customers=int((~finite).sum()))
        else:
            row.update(status="ok", detail="")
            predictions[key] = pred
        row.update(holdout_metrics(pred[finite]).to_dict())
        row["log_likelihood"] = float(getattr(model, "log_likelihood_", np.nan))
        calibrated[key] = model
        rows[key] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "key"
    valid = [k for k in predictions]
    if s.purchase_model != "auto":
        key, reason = s.purchase_model, "user_choice"
    elif not valid:
        key, reason = "bgnbd", "no_valid_model"
        notes.add("no_valid_model", "04")
    elif len(valid) == 1:
        key, reason = valid[0], "only_valid"
    else:
        key, reason = choose_by_rmse(table.loc[valid, "rmse"].astype(float))
    table["chosen"] = table.index == key
    choice = PurchaseChoice(key, reason, table, calibrated, predictions.get(key), split)
    miss = (table.loc[key, "total_error_pct"]
            if key in table.index and "total_error_pct" in table else np.nan)
    if pd.notna(miss) and abs(float(miss)) > HOLDOUT_MISS:
        notes.add("holdout_miss", "04", model=LABELS[key], error=float(miss),
                  threshold=HOLDOUT_MISS)
    return choice


def choose_by_rmse(rmse: pd.Series) -> tuple[str, str]:
    """Choose a purchase model from the holdout RMSE of the valid ones (index: keys).

    BG/NBD is kept unless another model's error per customer is at least
    ``CLEAR_WIN`` (2%) below BG/NBD's; then the model with the lowest error is used
    (reason ``lowest_holdout_error``; also when BG/NBD itself is lowest). Without a
    valid BG/NBD the lowest error wins. ``no_clear_winner``: another model was lower,
    but by less than 2%, so the standard model is kept.
    """
    best = str(rmse.idxmin())
    if "bgnbd" not in rmse.index or best == "bgnbd":
        return best, "lowest_holdout_error"
    if rmse[best] <= rmse["bgnbd"] * (1 - CLEAR_WIN):
        return best, "lowest_holdout_error"
    return "bgnbd", "no_clear_winner"


def fit_purchase(summary: pd.DataFrame, key: str, s: ScoreSettings, notes: Notes) -> Any:
    """Fit the chosen purchase model on the whole history; None when it cannot be fitted."""
    try:
        model, messages = _fit(_classes()[key], summary, s.penalizer_coef)
    except ClvkitError as err:
        notes.add("purchase_model_failed", "04", model=LABELS[key],
                  error=str(err).splitlines()[0])
        return None
    _model_notes(model, notes, "04", LABELS[key])
    if not getattr(model, "diagnostics_", None):  # a model without coded diagnostics
        for message in messages:
            notes.add("model_message", "04", model=LABELS[key], message=message)
    return model


def fit_spend(summary: pd.DataFrame, s: ScoreSettings, notes: Notes) -> Any:
    """Fit Gamma-Gamma on the repeat customers; None (with a warning) when impossible."""
    from ..models.spend import GammaGammaModel

    try:
        model, messages = _fit(GammaGammaModel, summary, s.penalizer_coef)
        if model.params["q"] <= 1:
            notes.add("spend_q_below_one", "04", q=model.params["q"])
            return None
    except ClvkitError as err:
        notes.add("spend_model_failed", "04", error=str(err).splitlines()[0])
        return None
    _model_notes(model, notes, "04", "Gamma-Gamma")
    if not getattr(model, "diagnostics_", None):
        for message in messages:
            notes.add("model_message", "04", model="Gamma-Gamma", message=message)
    return model


@dataclass
class ChurnRisk:
    """The run's one churn risk: ``values`` per customer, ``source`` (``classifier``,
    ``purchase_model`` or ``unavailable``) and the classifier's evaluation when it ran."""

    values: pd.Series | None
    source: str
    evaluation: Any = None


def churn_risk(
    ds: Any, end: pd.Timestamp, purchase: Any, summary: pd.DataFrame, s: ScoreSettings,
    notes: Notes,
) -> ChurnRisk:
    """Decide once where the churn risk comes from; either way it answers one question,
    the probability that the customer makes no purchase in the next
    ``churn_window_days``.

    The calibrated classifier when its test ROC AUC beats the BG/NBD baseline (the
    model's own probability of no purchase in the window, on the same split) by at
    least 0.01; else the chosen purchase model's probability of no purchase in the
    window (:meth:`probability_no_purchase`: 1 - P(alive) + P(alive) x P(no purchase
    | alive)). The classifier that is used is the one that was evaluated (no second
    fit): it scores today's features.
    """
    from ..models._units import summary_unit
    from ..models.churn import evaluate_churn_model
    from ..models.churn_features import churn_feature_table
    from ..models.churn_scores import BASELINE

    baseline = None
    if purchase is not None:
        days = (summary_unit(summary) or {"days": 7.0})["days"]
        with np.errstate(all="ignore"):
            baseline = purchase.probability_no_purchase(summary, s.churn_window_days / days)
        baseline = baseline.where(np.isfinite(baseline)).rename("churn_risk")
    fallback = "purchase_model" if baseline is not None else "unavailable"
    if not s.churn_classifier:
        return ChurnRisk(baseline, fallback)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            ev = evaluate_churn_model(ds, churn_window_days=s.churn_window_days,
                                      observation_end=end, random_state=s.seed,
                                      max_train_customers=CLASSIFIER_MAX_TRAIN)
    except ClvkitError as err:
        code = "classifier_unavailable" if baseline is not None else "no_churn_risk"
        notes.add(code, "05", error=str(err).splitlines()[0])
        return ChurnRisk(baseline, fallback)
    if ev.train_customers is not None:
        notes.add("classifier_train_sample", "05", sample=CLASSIFIER_MAX_TRAIN,
                  customers=ev.train_customers)
    auc = ev.metric("roc_auc")
    auc_base = ev.metric("roc_auc", model=BASELINE) if BASELINE in set(ev.metrics["model"]) \
        else float("nan")
    if baseline is not None and not (auc >= auc_base + AUC_MARGIN):
        notes.add("classifier_not_better", "05", auc=auc, baseline=auc_base)
        return ChurnRisk(baseline, "purchase_model", ev)
    now = churn_feature_table(ds.transactions, cutoff=end, customers=ds.customers,
                              surveys=ds.surveys)
    model = ev.classifier if ev.classifier is not None else ev.pipeline
    proba = model.predict_proba(now[list(ev.pipeline.feature_names_in_)])[:, 1]
    return ChurnRisk(pd.Series(proba, index=now.index, name="churn_risk"), "classifier", ev)
