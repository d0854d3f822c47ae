"""Segment figures (clvkit.plots.segments): inspect the returned Axes and Figure."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit import plots
from clvkit import segments as seg
from clvkit.report import labelled

END = pd.Timestamp("2024-12-31")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def dataset() -> ck.Dataset:
    rng = np.random.default_rng(7)
    n = 400
    tx = pd.DataFrame(
        {
            "customer_id": [f"C{i:03d}" for i in rng.integers(0, 60, n)],
            "order_id": [f"O{i}" for i in range(n)],
            "timestamp": END - pd.to_timedelta(rng.integers(0, 700, n), unit="D"),
            "amount": rng.gamma(2.0, 50.0, n).round(2),
        }
    )
    tx["gross_margin"] = 0.3 * tx["amount"]
    ids = sorted(tx["customer_id"].unique())
    customers = pd.DataFrame({"customer_id": ids, "cost_to_serve": rng.uniform(0, 60, len(ids))})
    return ck.Dataset(transactions=tx, customers=customers, observation_end=END)


def test_plot_segment_sizes_bar_lengths_are_the_shares():
    ds = dataset()
    summary = labelled(seg.segment_summary(seg.rfm_segments(ds.transactions, END)), "en")
    ax = plots.plot_segment_sizes(summary)
    widths = [p.get_width() for p in ax.patches]
    n = len(summary)
    np.testing.assert_allclose(widths[:n], summary["share_customers"])
    np.testing.assert_allclose(widths[n:], summary["share_value"])
    assert ax.get_xlabel() == "Share (%)"
    ticks = dict(zip(ax.get_yticks(), [t.get_text() for t in ax.get_yticklabels()],
                     strict=True))
    assert ticks[max(ticks)] == summary["segment_label"].iloc[0]  # first segment on top
    assert ax.get_legend().get_texts()[1].get_text() == "Value (historical revenue)"


def test_plot_tier_shares_leaves_out_missing_future_value():
    tiers = labelled(seg.value_tiers(dataset()), "en")
    ax = plots.plot_tier_shares(tiers)
    assert len(ax.patches) == 3 * len(tiers)  # customers, revenue, margin
    np.testing.assert_allclose([p.get_height() for p in ax.patches[:4]],
                               tiers["share_customers"])
    shown = [t.get_text() for t in ax.get_xticklabels()]
    assert [s.replace("\n", " ") for s in shown] == tiers["tier_label"].astype(str).tolist()
    assert shown[1] == "Next 4%\n(top 1-5%)"  # the range on its own line: names never overlap
    assert ax.get_ylabel() == "Share (%)"


def test_plot_action_matrix_cells():
    matrix = labelled(seg.action_matrix(dataset()), "en")
    ax = plots.plot_action_matrix(matrix, currency="$")
    texts = [t.get_text() for t in ax.texts]
    assert len(texts) == 6
    keep = matrix.loc[("high", "profitable")]
    assert texts[0] == f"Keep\nn = {keep['customers']}\n\\${keep['value_at_stake']:,.0f}"
    assert ax.images[0].get_array().shape == (3, 2)
    assert ax.get_ylabel() == "Value (historical margin)"
    assert ax.get_xlabel() == "Profitability"


def test_plot_seasonality_heatmap_and_labels():
    ds = dataset()
    tiers = labelled(seg.customer_tiers(ds), "en")
    season = seg.value_seasonality(ds.transactions, tiers["tier"], observation_end=END)
    labels = dict(zip(tiers["tier"].astype(str), tiers["tier_label"], strict=True))
    ax = plots.plot_seasonality(season, row_labels=labels)
    assert ax.images[0].get_array().shape == season.shape
    assert [t.get_text() for t in ax.get_xticklabels()][:2] == ["Jan", "Feb"]
    assert ax.get_yticklabels()[0].get_text() == "Top 1%"
    assert ax.figure.axes[-1].get_ylabel() == "Share of value (%)"
    with pytest.raises(ck.DataValidationError, match="seasonality is empty"):
        plots.plot_seasonality(season.iloc[:0])


def test_plot_customer_card_has_three_panels():
    ds = dataset()
    card = seg.customer_card("C001", ds)
    fig = card.plot(lang="en", currency="$")
    timeline, surveys, facts = fig.axes
    # the report style puts titles on the left (axes.titlelocation), so look at all three
    assert "Purchases" in {timeline.get_title(loc) for loc in ("left", "center", "right")}
    assert len(timeline.lines[0].get_xdata()) == len(card.timeline)
    assert surveys.texts[0].get_text() == "No survey answers"
    assert "Recommended action" in facts.texts[0].get_text()
    assert fig._suptitle.get_text() == "Customer C001"


def test_plots_check_their_input():
    with pytest.raises(ck.DataValidationError, match=r"has no column\(s\) 'segment_label'.*"
                       r"Pass the output of clvkit\.report\.labelled\(clvkit\.segments"):
        plots.plot_segment_sizes(pd.DataFrame({"x": [1]}))
    codes = seg.segment_summary(seg.rfm_segments(dataset().transactions, END))
    with pytest.raises(ck.DataValidationError, match=r"no column\(s\) 'segment_label'"):
        plots.plot_segment_sizes(codes)  # codes only: name them with clvkit.report.labelled
