"""Charts of large bases draw a stated, seeded sample; numbers and tables never do."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit import i18n
from clvkit.exceptions import ParameterError
from clvkit.plots.sampling import (
    CHART_MAX_POINTS,
    INTERACTIVE_MAX_POINTS,
    chart_sample,
    thin_curve,
)


@pytest.fixture(autouse=True)
def _english():
    i18n.set_language("en")
    yield
    i18n.set_language("en")


def _customers(n: int) -> pd.DataFrame:
    return pd.DataFrame({"customer_id": [f"C{i:07d}" for i in range(n)],
                         "clv": np.linspace(0.0, 1.0, n)})


def test_small_tables_are_drawn_whole_without_a_note():
    frame = _customers(1_000)
    s = chart_sample(frame, max_points=1_000)
    assert s.data is frame and (s.shown, s.total, s.sampled) == (1_000, 1_000, False)
    assert s.note() == s.note("zh") == ""
    assert INTERACTIVE_MAX_POINTS < CHART_MAX_POINTS == 50_000


def test_sample_is_seeded_uniform_in_order_and_without_repeats():
    frame = _customers(120_000)
    first, again = chart_sample(frame), chart_sample(frame)
    assert first.shown == CHART_MAX_POINTS and first.total == 120_000 and first.sampled
    pd.testing.assert_frame_equal(first.data, again.data)  # same data, same points
    assert first.data.index.is_unique and first.data.index.is_monotonic_increasing
    pd.testing.assert_frame_equal(first.data, frame.loc[first.data.index])  # rows untouched
    other = chart_sample(frame, random_state=1)
    assert not first.data.index.equals(other.data.index)
    # uniform: every tenth of the table holds about a tenth of the sample
    counts = np.bincount(first.data.index.to_numpy() * 10 // len(frame), minlength=10)
    assert counts.min() > 0.09 * first.shown and counts.max() < 0.11 * first.shown


def test_the_note_says_how_many_of_how_many_in_both_languages():
    s = chart_sample(pd.DataFrame({"x": np.arange(1_234_567)}), max_points=50_000)
    assert s.note() == ("Chart shows a random sample of 50,000 of 1,234,567 customers; "
                        "tables and totals use all of them.")
    assert s.note("zh") == ("图中为随机抽取的 50,000 位客户（共 1,234,567 位）；"
                            "表格和合计均基于全部客户。")


@pytest.mark.parametrize("bad", [0, -5, 2.5, True, "10"])
def test_limit_must_be_a_positive_whole_number(bad):
    with pytest.raises(ParameterError, match="max_points must be a whole number >= 1; got"):
        chart_sample(_customers(10), max_points=bad)


def test_thin_curve_keeps_exact_vertices_and_both_ends():
    x = np.arange(1_000_001) / 1_000_000
    y = np.sqrt(x)
    tx, ty = thin_curve(x, y, max_points=2_000)
    assert len(tx) <= 2_000 and tx[0] == 0.0 and tx[-1] == 1.0 and ty[-1] == 1.0
    assert np.array_equal(ty, np.sqrt(tx)) and np.all(np.diff(tx) > 0)
    short = np.arange(5.0)
    assert thin_curve(short, short)[0] is short


def test_thin_curve_errors():
    with pytest.raises(ParameterError, match="max_points must be at least 2"):
        thin_curve(np.arange(5.0), np.arange(5.0), max_points=1)
    with pytest.raises(ParameterError, match="x has 5 vertices but y has 4"):
        thin_curve(np.arange(5.0), np.arange(4.0))


@pytest.fixture(scope="module")
def summary():
    ds = ck.load_data("demo", demo_customers=300, seed=42)
    return ck.report.executive_summary(ck.score(ds, churn_classifier=False), lang="en")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_risk_map_samples_its_points_and_says_so_while_numbers_use_everyone(summary, lang):
    ctx = ck.report.setup(audience="client", salt="k", lang=lang)
    fig = ck.report.value_risk_figure(ctx, summary, max_points=120)
    points = [p for trace in fig.data for p in trace.customdata]
    assert len(points) == 120
    expected = chart_sample(summary.scored, max_points=120).note(lang)
    assert expected and expected in fig.layout.title.text
    again = ck.report.value_risk_figure(ctx, summary, max_points=120)
    assert [list(t.x) for t in again.data] == [list(t.x) for t in fig.data]  # seeded
    # the numbers of the page are the whole table's, whatever the chart draws
    assert summary.customers == len(summary.scored) == 300
    assert summary.clv_total == pytest.approx(summary.scored["clv"].sum())


def test_risk_map_of_a_small_base_draws_everyone_without_a_note(summary):
    fig = ck.report.value_risk_figure(ck.report.setup(salt="k"), summary)
    assert sum(len(t.x) for t in fig.data) == summary.customers
    assert "<sup>" not in fig.layout.title.text
