"""Figures of the churn, satisfaction and value themes: inspect the returned Axes."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit import i18n, metrics
from clvkit.exceptions import DataValidationError


@pytest.fixture(scope="module")
def demo():
    return ck.datasets.make_demo(400, seed=5)


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")
    i18n.set_language("en")


def test_churn_series_plot(demo):
    series = metrics.churn_series(demo)
    ax = ck.plots.plot_churn_series(series, show_retention=True)
    assert len(ax.get_lines()) == 2
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), series["churn_rate"])
    days = series.attrs["inactivity_days"]
    assert ax.get_title() == (f"Churn rate per 12-month period, by period end; lost = no purchase "
                              f"for {days:,} days")
    assert ax.get_ylabel() == "Churn rate"
    with pytest.raises(DataValidationError, match="has no column\\(s\\) 'churn_rate'"):
        ck.plots.plot_churn_series(series.drop(columns="churn_rate"))


def test_cohort_heatmap(demo):
    retention = metrics.cohort_retention(demo, freq="Q")
    ax = ck.plots.plot_cohort_retention(retention)
    labels = [tick.get_text() for tick in ax.get_yticklabels()]
    first = str(retention.index[0])
    assert labels[0] == f"{first} (n={retention.attrs['cohort_size'][first]:,})"
    cells = [text.get_text() for text in ax.texts]
    assert cells[0] == "100" and len(cells) == int(retention.notna().to_numpy().sum())
    assert ax.get_xlabel() == "Periods since acquisition"


def test_survival_plot(demo):
    curves = metrics.survival_curves(demo, by="contract")
    ax = ck.plots.plot_survival(curves)
    assert len(ax.get_lines()) == 2
    assert {t.get_text().split(" (")[0] for t in ax.get_legend().get_texts()} == {
        "none", "subscription"}
    assert all(line.get_ydata()[0] == 1.0 for line in ax.get_lines())
    assert "95% band" in ax.get_title()


def test_nps_plots(demo):
    ax = ck.plots.plot_nps_distribution(demo.surveys["nps"])
    heights = sorted(p.get_height() for p in ax.patches)
    counts = demo.surveys["nps"].value_counts().reindex(range(11), fill_value=0)
    assert heights == sorted(counts.tolist())
    assert ax.get_xlabel() == "Likelihood to recommend (0-10)"
    trend = metrics.nps_trend(demo, freq="Q")
    ax = ck.plots.plot_nps_trend(trend)
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), trend["score"])
    table = metrics.nps_by_segment(demo, "region")
    ax = ck.plots.plot_nps_by_segment(table)
    assert [p.get_width() for p in ax.patches] == pytest.approx(table["score"].tolist())
    with pytest.raises(DataValidationError, match=r"output of clvkit\.metrics\.nps_trend"):
        ck.plots.plot_nps_trend(trend.iloc[:0])


def test_value_link_plot_in_chinese(demo):
    result = metrics.satisfaction_value_link(demo, n_boot=50)
    i18n.set_language("zh")
    ax = ck.plots.plot_value_link(result, currency="$")
    spend = result.table[result.table["metric"] == "spend_per_year"]
    assert [p.get_height() for p in ax.patches] == pytest.approx(spend["estimate"].tolist())
    assert ax.get_ylabel() == r"每位客户每年消费（\$）"  # "$" escaped: drawn literally
    assert ax.get_xticklabels()[0].get_text().startswith("推荐者")
    # every bar carries its own value; the others add their gap to the reference group
    labels = [a.get_text() for a in ax.texts]
    assert len(labels) == len(spend)
    for label, (_, row) in zip(labels, spend.iterrows(), strict=True):
        assert label.startswith(i18n.format_money(row["estimate"], r"\$"))
        assert ("\n" in label) == (row["group"] != result.reference)
        if row["group"] != result.reference and row["diff_low"] <= 0 <= row["diff_high"]:
            assert "无明显差异" in label
    assert ax.get_title() == "每位客户每年消费（按净推荐值分组）"
    churn = ck.plots.plot_value_link(result, metric="churn_rate")
    assert churn.get_title() == "流失率（按净推荐值分组）" != ax.get_title()
    with pytest.raises(DataValidationError, match="metric 'value' is not in this result"):
        ck.plots.plot_value_link(result, metric="value")


def test_lorenz_plot():
    res = metrics.value_concentration(pd.Series(np.arange(1.0, 11.0)))
    ax = ck.plots.plot_lorenz(res, label="revenue")
    lines = ax.get_lines()
    assert len(lines) == 2  # equality line and the curve
    np.testing.assert_allclose(lines[1].get_ydata(), res.lorenz["share_of_value"])
    assert "revenue (Gini 0.30)" in [t.get_text() for t in ax.get_legend().get_texts()]
    note = ax.texts[1]
    assert note.get_text().replace("\n", " ") == "Top 20% of customers hold 34.5% of value"
    # the label sits beside the bracket at x = 80% spanning the top 20%'s share (up to 100%)
    top = res.top.set_index("top_share").loc[0.2, "share_of_value"]
    assert note.xy == pytest.approx((0.8, 1 - top / 2))
    assert ax.texts[0].xy == pytest.approx((0.8, 1.0))
