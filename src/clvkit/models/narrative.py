"""Formatted facts for the generated sentences of the CLV report (catalogue ``btyd.*``).

Each function returns the ``{placeholder: text}`` values of one catalogue sentence,
already formatted in the report language, so a notebook only writes
``ctx.say("btyd.sentence.value", **ck.models.value_facts(cv, currency=ctx.currency))``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..i18n import format_int, format_money, format_number, format_pct, t

__all__ = [
    "comparison_facts",
    "holdout_facts",
    "independence_facts",
    "parameter_facts",
    "value_facts",
]


def parameter_facts(model: Any, *, freq: str | None = None) -> dict[str, str]:
    r"""Facts for ``btyd.sentence.params`` from a fitted BG/NBD (or MBG/NBD) model.

    The mean purchase rate while active is :math:`r/\alpha` per period and the mean
    dropout probability after a purchase :math:`a/(a+b)`. The period is the unit the
    model was fitted in (``model.time_unit_``), else ``freq``, else weeks.
    """
    unit = getattr(model, "time_unit_", None)
    freq = freq or (unit["freq"] if unit and unit.get("freq_multiplier", 1) == 1 else None)
    if freq is None and unit and unit.get("days") == 7:
        freq = "W"  # the BTYD convention: days / 7
    freq = freq or "W"
    p = model.params
    return {
        "n": format_int(model.n_customers_),
        "repeaters": format_int(model.n_repeaters_),
        "rate": format_number(p["r"] / p["alpha"], 2),
        "unit": t(f"btyd.unit.{freq}"),
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


def comparison_facts(table: pd.DataFrame) -> dict[str, str]:
    """Facts for ``btyd.sentence.best`` from :func:`clvkit.models.compare_models`."""
    best, metric = table.attrs["best"], table.attrs["metric"]
    value = float(table.loc[best, metric])
    shown = format_pct(value) if metric == "total_error_pct" else format_number(value, 3)
    return {"best": best, "metric": t(metric), "value": shown}


def independence_facts(check: dict[str, Any]) -> dict[str, str]:
    """Facts for ``btyd.sentence.independence`` from ``GammaGammaModel.independence_``."""
    return {
        "n": format_int(check["n_repeaters"]),
        "corr": format_number(check["correlation"], 2),
        "verdict": t("btyd.independent" if check["independent"] else "btyd.dependent"),
    }


def value_facts(cv: pd.DataFrame, *, currency: str = "¥") -> dict[str, str]:
    """Facts for ``btyd.sentence.value`` from :func:`clvkit.models.customer_value`."""
    clv = np.sort(cv["clv"].to_numpy(dtype=float))[::-1]
    total = float(clv.sum())
    top = clv[: max(1, round(0.2 * clv.size))].sum()
    margin = cv.attrs.get("margin", 1.0)
    basis = (t("btyd.basis.revenue") if margin == 1.0
             else t("btyd.basis.margin", margin=format_pct(margin)))
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
