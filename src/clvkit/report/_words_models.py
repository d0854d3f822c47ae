"""Words for the models: the facts of the generated sentences of the CLV and churn pages.

The models (:mod:`clvkit.models`) return fitted parameters, predictions and tidy
tables of codes and numbers; this module formats them in the report language. Each
``*_facts`` function returns the ``{placeholder: text}`` values of one catalogue
sentence (``btyd.*`` in ``locales/models.toml``), so a notebook writes
``ctx.say("btyd.sentence.value", **ck.report.value_facts(cv, currency=ctx.currency))``;
each ``describe_*`` function returns ``(catalogue key, values)`` pairs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..i18n import format_int, format_money, format_number, format_pct, t

__all__ = [
    "churn_metrics_table",
    "comparison_facts",
    "describe_at_risk",
    "describe_churn_evaluation",
    "describe_sbg",
    "holdout_facts",
    "independence_facts",
    "parameter_facts",
    "value_facts",
]

Sentence = tuple[str, dict[str, str]]


def parameter_facts(model: Any, *, freq: str | None = None,
                    lang: str | None = None) -> dict[str, str]:
    r"""Facts for ``btyd.sentence.params`` from a fitted BG/NBD (or MBG/NBD) model.

    The mean purchase rate while active is :math:`r/\alpha` per period and the mean
    dropout probability after a purchase :math:`a/(a+b)`. The period is the unit the
    model was fitted in (``model.time_unit_``), else ``freq``, else weeks.
    """
    unit = getattr(model, "time_unit_", None)
    if freq is None and unit:
        # name the period by its length: weeks of 7 days ("W7", the BTYD convention) or
        # calendar weeks are both weeks
        freq = {1.0: "D", 7.0: "W"}.get(float(unit.get("days", 0)))
        if freq is None and unit.get("freq") == "M" and unit.get("freq_multiplier", 1) == 1:
            freq = "M"
    freq = freq or "W"
    p = model.params
    return {
        "n": format_int(model.n_customers_),
        "repeaters": format_int(model.n_repeaters_),
        "rate": format_number(p["r"] / p["alpha"], 2),
        "unit": t(f"btyd.unit.{freq}", lang),
        "dropout": format_pct(p["a"] / (p["a"] + p["b"])),
    }


def holdout_facts(metrics: pd.Series) -> dict[str, str]:
    """Facts for ``btyd.sentence.holdout`` from :func:`clvkit.models.holdout_metrics`."""
    err = metrics["total_error_pct"]
    return {
        "predicted": format_int(metrics["total_predicted"]),
        "actual": format_int(metrics["total_actual"]),
        "error": ("+" if err > 0 else "") + format_pct(err),
        "mae": format_number(metrics["mae"], 2),
        "corr": format_number(metrics["correlation"], 2),
    }


def comparison_facts(table: pd.DataFrame, *, lang: str | None = None) -> dict[str, str]:
    """Facts for ``btyd.sentence.best`` from :func:`clvkit.models.compare_models`."""
    best, metric = table.attrs["best"], table.attrs["metric"]
    value = float(table.loc[best, metric])
    shown = format_pct(value) if metric == "total_error_pct" else format_number(value, 3)
    return {"best": best, "metric": t(metric, lang), "value": shown}


def independence_facts(check: dict[str, Any], *, lang: str | None = None) -> dict[str, str]:
    """Facts for ``btyd.sentence.independence`` from ``GammaGammaModel.independence_``."""
    return {
        "n": format_int(check["n_repeaters"]),
        "corr": format_number(check["correlation"], 2),
        "verdict": t("btyd.independent" if check["independent"] else "btyd.dependent", lang),
    }


def value_facts(cv: pd.DataFrame, *, currency: str = "¥",
                lang: str | None = None) -> dict[str, str]:
    """Facts for ``btyd.sentence.value`` from :func:`clvkit.models.customer_value`."""
    clv = np.sort(cv["clv"].to_numpy(dtype=float))[::-1]
    total = float(clv.sum())
    top = clv[: max(1, round(0.2 * clv.size))].sum()
    margin = cv.attrs.get("margin", 1.0)
    basis = (t("btyd.basis.revenue", lang) if margin == 1.0
             else t("btyd.basis.margin", lang, margin=format_pct(margin)))
    return {
        "months": format_int(cv.attrs.get("horizon_months", 12)),
        "n": format_int(clv.size),
        "total": format_money(total, currency),
        "basis": basis,
        "rate": format_pct(cv.attrs.get("discount_rate_annual", 0.0)),
        "mean": format_money(total / clv.size, currency),
        "top_share": format_pct(top / total) if total > 0 else "n/a",
        "alive_share": format_pct(float((cv["p_alive"] > 0.5).mean())),
    }



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
    from ..models.churn_scores import BASELINE

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
    """Return the sentence about the ``top`` customers of
    :func:`clvkit.models.at_risk_customers`.

    Returns
    -------
    list of (str, dict)
        One ``("churnmodel.sentence_at_risk", values)`` pair: customers scored, how many
        are listed, their value at stake and its share of the total at stake.
    """
    total = risk["value_at_stake"].sum()
    stake = risk["value_at_stake"].head(top).sum()
    values = {"n": format_int(len(risk)), "top": format_int(min(top, len(risk))),
              "stake": format_money(stake, currency),
              "share": format_pct(stake / total) if total > 0 else "n/a"}
    return [("churnmodel.sentence_at_risk", values)]


def churn_metrics_table(evaluation: Any, split: str = "test",
                        lang: str | None = None) -> pd.DataFrame:
    """One split's churn metrics for a report: one row per metric, one column per model,
    with names in ``lang`` (the table of :meth:`clvkit.models.ChurnEvaluation.metrics_table`).

    Raises
    ------
    ParameterError
        ``split`` is not "train" or "test".
    """
    table = evaluation.metrics_table(split)
    table.index = [t(f"churnmodel.metric.{k}", lang) for k in table.index]
    table.index.name = t("churnmodel.metric", lang)
    table.columns = [t(f"churnmodel.model.{k}", lang) for k in table.columns]
    return table
