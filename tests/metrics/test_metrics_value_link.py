"""The money link (spend, churn, value by NPS/effort group) and demo-data sign checks."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit import Dataset
from clvkit.exceptions import DataValidationError, ParameterError
from clvkit.metrics import (
    churn_rate,
    cohort_retention,
    customer_satisfaction_table,
    nps,
    satisfaction_value_link,
    survival_curves,
    value_concentration,
)
from clvkit.report import sentence

END = pd.Timestamp("2024-12-31")


@pytest.fixture
def data() -> Dataset:
    rows = [
        ("p1", "2023-12-01", 300), ("p1", "2024-03-01", 300), ("p1", "2024-06-01", 300),
        ("p1", "2024-09-01", 300), ("p1", "2024-12-01", 300),
        ("p2", "2023-12-10", 200), ("p2", "2024-12-20", 200),
        ("d1", "2023-12-05", 100),
        ("d2", "2023-12-20", 50), ("d2", "2024-02-01", 50),
    ]
    tx = pd.DataFrame({"customer_id": [r[0] for r in rows],
                       "timestamp": pd.to_datetime([r[1] for r in rows]),
                       "amount": [float(r[2]) for r in rows]})
    surveys = pd.DataFrame({
        "customer_id": ["p1", "p2", "d1", "d2", "d2", "x9"],
        "date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-01", "2023-12-30",
                                "2024-03-01", "2024-03-01"]),
        "nps": [9, 10, 3, 10, 5, 0],  # d2's latest answer is 5; x9 never bought
        "ces": [2, 1, 6, 7, 6, 7],
    })
    return Dataset(transactions=tx, surveys=surveys, observation_end=END)


def _per_year(total: float, first: str) -> float:
    return total / max((END - pd.Timestamp(first)).days / 365.25, 1.0)


def test_customer_table(data):
    table = customer_satisfaction_table(data, inactivity_days=100)
    assert sorted(table.index) == ["d1", "d2", "p1", "p2"]  # x9 has no purchase
    assert table.loc["d2", "nps"] == 5 and table.loc["d2", "nps_group"] == "detractor"
    assert table.loc["p1", "spend_per_year"] == pytest.approx(_per_year(1500, "2023-12-01"))
    assert table.loc[["p1", "p2", "d1", "d2"], "lost"].tolist() == [0, 1, 1, 1]
    assert table.loc[["p1", "p2", "d1", "d2"], "active_end"].tolist() == [1, 1, 0, 0]
    assert table.loc["d1", "effort_group"] == "high_effort"


def test_customer_table_takes_the_latest_answer_to_each_question(data):
    later = pd.DataFrame({"customer_id": ["p1"], "date": pd.to_datetime(["2024-06-01"]),
                          "nps": [6], "ces": [np.nan]})  # an NPS-only survey
    table = customer_satisfaction_table(data, pd.concat([data.surveys, later]),
                                        inactivity_days=100)
    assert table.loc["p1", ["nps", "ces"]].tolist() == [6, 2]  # the CES answer stays
    assert table.loc["p1", "nps_group"] == "detractor"


def test_link_by_nps_hand_computed(data):
    value = pd.Series({"p1": 10.0, "p2": 20.0, "d1": 5.0, "d2": 1.0})
    res = satisfaction_value_link(data, by="nps", inactivity_days=100, value=value, n_boot=200,
                                  random_state=3)
    spend_p = (_per_year(1500, "2023-12-01") + _per_year(400, "2023-12-10")) / 2
    spend_d = (_per_year(100, "2023-12-05") + _per_year(100, "2023-12-20")) / 2
    row = res.row("promoter", "spend_per_year")
    assert row["estimate"] == pytest.approx(spend_p)
    assert row["diff"] == pytest.approx(spend_p - spend_d)
    assert row["rel_diff"] == pytest.approx(spend_p / spend_d - 1)
    # promoters: 1 lost over (2 + 2) / 2 active; detractors: 2 lost over (2 + 0) / 2
    assert res.row("promoter", "churn_rate")["estimate"] == pytest.approx(0.5)
    assert res.row("detractor", "churn_rate")["estimate"] == pytest.approx(2.0)
    assert res.row("promoter", "churn_rate")["diff"] == pytest.approx(-1.5)
    assert res.row("promoter", "value")["diff"] == pytest.approx(12.0)
    ref = res.row("detractor", "value")
    assert ref["diff"] == 0 and np.isnan(ref["diff_low"])
    assert set(res.table["group"]) == {"promoter", "detractor"}  # no passive answered
    assert (res.reference, res.focus) == ("detractor", "promoter")
    assert (res.period_start, res.period_end) == (pd.Timestamp("2023-12-31"), END)
    text = sentence(res, currency="$")
    assert text.startswith("Promoters spend") and "more per year than detractors" in text
    assert "150.0 points lower" in text
    assert "推荐者每年的消费比贬损者高" in sentence(res, lang="zh")


def test_link_sentence_says_no_clear_difference_when_the_interval_spans_zero(data):
    res = satisfaction_value_link(data, by="nps", inactivity_days=100, n_boot=200,
                                  random_state=3)
    table = res.table.copy()
    focus = table["group"] == res.focus
    table.loc[focus, "diff_low"] = -abs(table.loc[focus, "diff"]) - 1.0
    table.loc[focus, "diff_high"] = abs(table.loc[focus, "diff"]) + 1.0
    unclear = sentence(dataclasses.replace(res, table=table), currency="$")
    assert "no clear difference in spend per year" in unclear
    assert "no clear difference in their churn rate" in unclear
    assert "points lower" not in unclear and "more per year" not in unclear
    zh = sentence(dataclasses.replace(res, table=table), lang="zh")
    assert "没有明显差异" in zh


def test_link_bootstrap_is_seeded(data):
    a = satisfaction_value_link(data, inactivity_days=100, n_boot=100, random_state=7).table
    b = satisfaction_value_link(data, inactivity_days=100, n_boot=100, random_state=7).table
    pd.testing.assert_frame_equal(a, b)


def test_link_by_effort(data):
    res = satisfaction_value_link(data, by="ces", inactivity_days=100, n_boot=50)
    assert (res.reference, res.focus) == ("high_effort", "low_effort")
    assert res.row("low_effort", "churn_rate")["estimate"] == pytest.approx(0.5)


def test_link_errors(data):
    with pytest.raises(ParameterError, match="by must be one of 'nps', 'ces'; got 'csat'"):
        satisfaction_value_link(data, by="csat")
    with pytest.raises(ParameterError, match="n_boot must be >= 1"):
        satisfaction_value_link(data, n_boot=0)
    with pytest.raises(ParameterError, match=r"confidence must be in \(0, 1\), e\.g\. 0\.95"):
        satisfaction_value_link(data, confidence=95)
    no_ref = data.surveys.assign(nps=9)
    with pytest.raises(DataValidationError, match="reference group 'detractor'"):
        satisfaction_value_link(data, no_ref)
    with pytest.raises(DataValidationError, match="needs a 'ces' column"):
        satisfaction_value_link(data, data.surveys.drop(columns="ces"), by="ces")
    with pytest.raises(DataValidationError, match="none of the 1 surveyed customers"):
        satisfaction_value_link(data, data.surveys[data.surveys["customer_id"] == "x9"])
    with pytest.raises(DataValidationError, match="has no surveys table"):
        satisfaction_value_link(Dataset(transactions=data.transactions, name="cdnow"))


# --- the demo data's built-in relationships come out with the right sign ------------------


@pytest.fixture(scope="module")
def demo() -> Dataset:
    # the default size: about 280 high-effort vs 630 low-effort respondents, enough for
    # the effort-churn gap to show through the noise (at 800 customers it sometimes does not)
    return ck.datasets.make_demo(2000, seed=42)


def test_demo_money_link_signs(demo):
    by_nps = satisfaction_value_link(demo, n_boot=200)
    assert by_nps.row("promoter", "spend_per_year")["diff"] > 0
    assert by_nps.row("promoter", "churn_rate")["diff"] < 0
    by_ces = satisfaction_value_link(demo, by="ces", n_boot=200)
    assert by_ces.row("low_effort", "churn_rate")["diff"] < 0
    assert by_ces.row("low_effort", "spend_per_year")["diff"] > 0


def test_demo_metric_ranges(demo):
    res = churn_rate(demo)
    assert 0 < res.rate < 1 and res.lost > 0
    assert 0 < churn_rate(demo, definition="contractual", period_months=1).rate < 1
    assert -100 < nps(demo.surveys["nps"]).score < 100
    revenue = demo.transactions.groupby("customer_id")["amount"].sum()
    assert 0.55 <= value_concentration(revenue).share_of_top(0.2) <= 0.9
    closed = cohort_retention(demo, definition="contractual", freq="Q").to_numpy()
    steps = np.diff(closed, axis=1)
    assert np.all(steps[~np.isnan(steps)] <= 1e-12)
    curves = survival_curves(demo, by="contract")
    assert set(curves["segment"]) == {"subscription", "none"}
    assert curves["survival"].between(0, 1).all()
