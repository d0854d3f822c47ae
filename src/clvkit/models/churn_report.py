"""The at-risk list and the generated sentences of the churn and retention report."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .. import schema
from ..exceptions import DataValidationError

__all__ = ["at_risk_customers", "describe_at_risk", "describe_churn_evaluation", "describe_sbg"]


def at_risk_customers(
    churn_probability: pd.Series,
    value: pd.Series,
    *,
    top: int | None = None,
) -> pd.DataFrame:
    """Rank customers by value at stake: CLV x churn probability.

    Parameters
    ----------
    churn_probability : pandas.Series
        Probability of churning, indexed by customer_id (e.g. :func:`predict_churn`).
    value : pandas.Series
        Customer value (e.g. ``customer_value(...)["clv"]``), indexed by customer_id, in
        currency units.
    top : int, optional
        Keep the ``top`` customers with most value at stake; default all.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer_id, sorted by value_at_stake (descending), with columns rank,
        churn_probability, customer_value, value_at_stake. Customers without a value are left out
        with a warning.

    Raises
    ------
    DataValidationError
        No customer has both a churn probability and a value.
    """
    value = value.rename("customer_value")
    frame = churn_probability.rename("churn_probability").to_frame().join(value, how="left")
    missing = frame["customer_value"].isna()
    if missing.all():
        msg = (
            f"None of the {len(frame):,} scored customers has a value (e.g. customer_id "
            f"{', '.join(map(str, frame.index[:5]))}); pass values indexed by customer_id."
        )
        raise DataValidationError(msg, column="customer_value", n_failed=int(missing.sum()))
    if missing.any():
        msg = (f"{int(missing.sum()):,} of {len(frame):,} scored customers have no value and are "
               f"left out (e.g. customer_id {', '.join(map(str, frame.index[missing][:5]))}).")
        warnings.warn(msg, UserWarning, stacklevel=2)
        frame = frame[~missing]
    frame["value_at_stake"] = frame["churn_probability"] * frame["customer_value"]
    frame = frame.sort_values(["value_at_stake", "churn_probability"], ascending=False,
                              kind="stable")
    frame.insert(0, "rank", np.arange(1, len(frame) + 1))
    frame.index.name = schema.CUSTOMER_ID
    return frame if top is None else frame.head(top)


Sentence = tuple[str, dict[str, str]]


def describe_sbg(model, *, discount_rate_annual: float = 0.10, horizon: int = 24
                 ) -> list[Sentence]:
    """Return the report's sentences about a fitted sBG model of monthly renewals.

    Parameters
    ----------
    model : clvkit.models.SBGModel
        Fitted on monthly periods (e.g. :func:`~clvkit.models.cohort_active_counts`).
    discount_rate_annual : float, default 0.10
        Yearly discount rate for DERL, converted to monthly :math:`(1 + d)^{1/12} - 1`.
    horizon : int, default 24
        Months for the truncated mean lifetime.

    Returns
    -------
    list of (str, dict)
        ``(catalogue key, values)`` pairs for ``ctx.say(key, **values)``: the fit
        ("sbg.sentence"), the lifetime ("sbg.lifetime_finite" or "sbg.lifetime_infinite",
        depending on alpha > 1) and DERL ("sbg.derl"). Values are formatted strings.
    """
    from ..i18n import format_int, format_number, format_pct

    a, b = model.params["alpha"], model.params["beta"]
    r1, r12 = model.retention_rate(np.array([1, 13]))
    s12, s24 = model.survival(np.array([12, 24]))
    life = model.lifetime_summary(horizon=horizon)
    d_monthly = (1 + discount_rate_annual) ** (1 / 12) - 1
    fit = {"n": format_int(model.n_customers_), "alpha": format_number(a, 3),
           "beta": format_number(b, 3), "r1": format_pct(r1), "r12": format_pct(r12),
           "s12": format_pct(s12), "s24": format_pct(s24)}
    lifetime = {"mean": format_number(life["mean"], 1), "median": format_int(life["median"]),
                "horizon": format_int(horizon),
                "within": format_number(life["mean_within_horizon"], 1)}
    derl = {"derl0": format_number(model.derl(d_monthly, renewals=0), 1),
            "derl12": format_number(model.derl(d_monthly, renewals=12), 1),
            "rate": format_pct(discount_rate_annual)}
    key = "sbg.lifetime_finite" if np.isfinite(life["mean"]) else "sbg.lifetime_infinite"
    return [("sbg.sentence", fit), (key, lifetime), ("sbg.derl", derl)]


def describe_churn_evaluation(evaluation, lang: str | None = None) -> list[Sentence]:
    """Return the report's sentences about a :class:`~clvkit.models.ChurnEvaluation`.

    Returns
    -------
    list of (str, dict)
        ``(catalogue key, values)`` pairs: the churn definition, the time split, the
        test result against the BG/NBD baseline ("n/a" without it) and the strongest
        feature (translated into ``lang``).
    """
    from ..i18n import format_int, format_number, format_pct, t
    from .churn_scores import BASELINE

    ev = evaluation
    days = (ev.test_cutoff - ev.train_cutoff).days
    has_base = (ev.metrics["model"] == BASELINE).any()
    split = {"n_train": format_int(ev.metric("n_customers", split="train")),
             "n_test": format_int(ev.metric("n_customers")), "days": format_int(days),
             "train_cutoff": f"{ev.train_cutoff:%Y-%m-%d}",
             "test_cutoff": f"{ev.test_cutoff:%Y-%m-%d}"}
    result = {"auc": format_number(ev.metric("roc_auc"), 3),
              "base_auc": format_number(ev.metric("roc_auc", model=BASELINE), 3)
              if has_base else "n/a",
              "lift": format_number(ev.metric("top_decile_lift"), 1),
              "rate": format_pct(ev.metric("churn_rate"))}
    top = ev.importance["feature"].iloc[0]
    driver = {"feature": t(f"churnmodel.feature.{top}", lang)}
    return [("churnmodel.definition", {"days": format_int(days)}),
            ("churnmodel.sentence_split", split), ("churnmodel.sentence_result", result),
            ("churnmodel.sentence_driver", driver)]


def describe_at_risk(risk: pd.DataFrame, *, top: int, currency: str = "¥") -> list[Sentence]:
    """Return the sentence about the ``top`` customers of :func:`at_risk_customers`.

    Returns
    -------
    list of (str, dict)
        One ``("churnmodel.sentence_at_risk", values)`` pair: customers scored, how many
        are listed, their value at stake and its share of the total at stake.
    """
    from ..i18n import format_int, format_money, format_pct

    total = risk["value_at_stake"].sum()
    stake = risk["value_at_stake"].head(top).sum()
    values = {"n": format_int(len(risk)), "top": format_int(min(top, len(risk))),
              "stake": format_money(stake, currency),
              "share": format_pct(stake / total) if total > 0 else "n/a"}
    return [("churnmodel.sentence_at_risk", values)]
