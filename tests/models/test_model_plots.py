"""Figures and report sentences of the BTYD models (plots/models.py, report/_words_models.py)."""

from __future__ import annotations

from importlib import resources

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import clvkit.plots as plots
from clvkit import i18n
from clvkit.exceptions import DataValidationError, ParameterError
from clvkit.models import customer_value, fit_bgnbd, fit_gamma_gamma
from clvkit.report import (
    comparison_facts,
    holdout_facts,
    independence_facts,
    parameter_facts,
    value_facts,
)


def _title(ax) -> str:
    """The axes' title wherever the active style puts it (the report style sets
    ``axes.titlelocation = left``; a test that ran before may have left it on)."""
    return ax.get_title("center") or ax.get_title("left")


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    folder = resources.files("lifetimes") / "datasets"
    with resources.as_file(folder / "cdnow_customers_summary_with_transactions.csv") as p:
        raw = pd.read_csv(p, index_col=0)
    return raw.rename(columns={"x": "frequency", "t_x": "recency", "zbar": "monetary_value"})


@pytest.fixture(scope="module")
def fitted(cdnow):
    bg, gg = fit_bgnbd(cdnow), fit_gamma_gamma(cdnow)
    return bg, gg, customer_value(cdnow, bgnbd=bg, gamma_gamma=gg, margin=0.3)


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_tracking_curve_plot() -> None:
    curve = pd.DataFrame({"actual": [0.0, 2, 5, 7], "predicted": [0.0, 2.5, 4.5, 7.5],
                          "holdout": [False, False, True, True]},
                         index=pd.date_range("2024-01-07", periods=4, freq="W"))
    ax = plots.plot_tracking_curve(curve)
    assert [ln.get_label() for ln in ax.get_lines()] == ["Actual", "Model", "End of calibration"]
    assert ax.get_lines()[0].get_ydata().tolist() == [0, 2, 5, 7]
    assert ax.get_ylabel() == "Cumulative repeat purchases"
    with pytest.raises(DataValidationError, match=r"has no column\(s\) 'holdout'"):
        plots.plot_tracking_curve(curve.drop(columns="holdout"))


def test_conditional_expectation_plot() -> None:
    table = pd.DataFrame({"actual": [0.2, 0.7, 3.0], "predicted": [0.25, 0.6, 2.8]},
                         index=["0", "1", "2+"])
    ax = plots.plot_conditional_expectation(table)
    assert [tick.get_text() for tick in ax.get_xticklabels()] == ["0", "1", "2+"]
    assert ax.get_lines()[1].get_ydata().tolist() == [0.25, 0.6, 2.8]


def test_p_alive_and_clv_plots(fitted) -> None:
    _, _, cv = fitted
    ax = plots.plot_p_alive(cv)
    assert sum(patch.get_height() for patch in ax.patches) == len(cv)
    ax = plots.plot_clv_distribution(cv, currency="$")
    assert _title(ax) == "Customer lifetime value over 12 months"
    assert r"(\$)" in ax.get_xlabel()  # escaped for mathtext: drawn as "($)"
    shown = sum(patch.get_height() for patch in ax.patches)
    assert shown == (cv["clv"] <= cv["clv"].quantile(0.99)).sum()
    assert ax.get_lines()[0].get_xdata()[0] == pytest.approx(cv["clv"].mean())
    i18n.set_language("zh")
    try:
        assert _title(plots.plot_p_alive(cv["p_alive"])) == "客户仍然活跃的可能性"
    finally:
        i18n.set_language("en")


def test_frequency_recency_matrix(fitted) -> None:
    bg, _, _ = fitted
    ax = plots.plot_frequency_recency(bg, T=39.0, max_frequency=10)
    values = ax.collections[0].get_array().reshape(10, 60)
    assert values.min() >= 0 and values.max() <= 1
    # P(alive) rises with recency for a given frequency, falls with frequency at low recency
    assert (np.diff(values[5]) >= -1e-12).all()
    assert values[9, 0] < values[0, 0]
    ax = plots.plot_frequency_recency(bg, T=39.0, kind="expected_purchases", t_ahead=10)
    assert "next 10 periods" in _title(ax)
    with pytest.raises(ParameterError, match=r"kind must be one of 'p_alive', "
                                             r"'expected_purchases'; got 'clv'"):
        plots.plot_frequency_recency(bg, T=39.0, kind="clv")


def test_report_sentences(fitted, cdnow) -> None:
    bg, gg, cv = fitted
    facts = parameter_facts(bg)
    assert facts["rate"] == f"{bg.params['r'] / bg.params['alpha']:.2f}"
    assert facts["n"] == "2,357" and facts["unit"] == "week"
    assert independence_facts(gg.independence_)["verdict"].startswith("low enough")
    value = value_facts(cv, currency="$")
    assert value["n"] == "2,357"
    assert value["basis"] == "margin at 30.0% of revenue"
    assert value["total"] == i18n.format_money(cv["clv"].sum(), "$")
    metrics = pd.Series({"total_predicted": 1610.3, "total_actual": 1788.0,
                         "total_error_pct": -0.0994, "mae": 0.7623, "correlation": 0.634})
    assert holdout_facts(metrics) == {"predicted": "1,610", "actual": "1,788", "error": "-9.9%",
                                      "mae": "0.76", "corr": "0.63"}
    table = pd.DataFrame({"rmse": [1.44, 1.45]}, index=["BG/NBD", "Pareto/NBD"])
    table.attrs.update(best="BG/NBD", metric="rmse")
    assert comparison_facts(table) == {"best": "BG/NBD", "metric": "Root mean squared error",
                                       "value": "1.440"}
    text = i18n.t("btyd.sentence.value", **value)
    assert "{" not in text
