"""Churn rate, rolling churn and the 1/(1-c) arithmetic on hand-made histories."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clvkit import Dataset
from clvkit.exceptions import DataValidationError, ParameterError
from clvkit.metrics import churn_rate, churn_series, periods_to_keep_revenue
from clvkit.report import sentence

END = "2024-12-31"


def _tx(rows: dict[str, list[str]]) -> pd.DataFrame:
    pairs = [(c, d) for c, days in rows.items() for d in days]
    return pd.DataFrame({"customer_id": [c for c, _ in pairs],
                         "timestamp": pd.to_datetime([d for _, d in pairs]), "amount": 10.0})


@pytest.fixture
def history() -> pd.DataFrame:
    # period (2023-12-31, 2024-12-31], inactivity window 100 days
    return _tx({
        "A": ["2023-12-01", "2024-02-01"],  # active at start, lost 2024-05-11
        "B": ["2023-11-15"],  # active at start, lost 2024-02-23
        "C": ["2023-10-01", "2024-11-01"],  # lost 2024-01-09, back 2024-11-01
        "D": ["2024-06-01", "2024-12-15"],  # gained, lost 2024-09-09, gained again
        "E": ["2023-12-30", "2024-03-15", "2024-06-01", "2024-09-01", "2024-12-01"],
        "F": ["2023-01-01"],  # lost before the period
        "G": ["2023-12-01", "2024-03-01", "2024-06-01", "2024-09-01", "2024-12-01"],
    })


@pytest.fixture
def contracts() -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": ["c1", "c2", "c3", "c4", "c5", "c6", "c7"],
        "signup_date": pd.to_datetime(["2023-06-01", "2023-01-01", "2024-02-01", "2024-05-01",
                                       "2022-01-01", "2023-01-01", "2023-03-01"]),
        "churn_date": pd.to_datetime(["2024-03-15", None, "2024-08-01", None, "2023-05-01",
                                      None, None]),
        "contract": ["subscription"] * 5 + ["none", "subscription"],
    })


def test_inactivity_churn_hand_computed(history):
    res = churn_rate(history, inactivity_days=100, observation_end=END)
    # active at start A B C E G = 5; at end C D E G = 4; lost A B C D = 4; gained C D D = 3
    assert (res.active_start, res.active_end, res.lost, res.gained) == (5, 4, 4, 3)
    assert res.avg_customers == 4.5
    assert res.rate == pytest.approx(4 / 4.5)
    assert res.retention == pytest.approx(1 - 4 / 4.5)
    assert res.period_start == pd.Timestamp("2023-12-31")
    assert res.definition_label == "inactivity 100 days"
    # of A B C E G only E and G stayed active throughout (C came back after a loss)
    assert (res.retained, res.kept_share) == (2, 0.4)


def test_contractual_churn_hand_computed(contracts):
    res = churn_rate(contracts, definition="contractual", observation_end=END)
    # c6 has no contract; c5 left before the period; start c1 c2 c7, end c2 c4 c7, lost c1 c3
    assert (res.active_start, res.active_end, res.lost, res.gained) == (3, 3, 2, 2)
    assert res.rate == pytest.approx(2 / 3)
    assert res.population == "contract"
    assert res.kept_share == pytest.approx(2 / 3)  # c2 and c7 of c1 c2 c7
    assert res.definition_label == "contractual"


def test_contractual_monthly_average(contracts):
    res = churn_rate(contracts, definition="contractual", observation_end=END, average="monthly")
    # month-end counts over 13 points: c1 3, c2 13, c3 6, c4 8, c7 13 -> 43 / 13
    assert res.avg_customers == pytest.approx(43 / 13)
    assert res.rate == pytest.approx(26 / 43)


def test_dataset_and_sentence(history, contracts):
    data = Dataset(transactions=history, customers=contracts,
                   observation_end=pd.Timestamp(END))
    res = churn_rate(data, inactivity_days=100)
    assert res.rate == pytest.approx(4 / 4.5)
    text = sentence(res)
    assert "88.9%" in text and "no purchase for 100 days" in text and "2023-12-31" in text
    assert "连续100天无购买" in sentence(res, lang="zh")
    frame = res.to_frame()
    assert frame.loc[0, "lost"] == 4 and frame.loc[0, "definition_label"] == "inactivity 100 days"


def test_shorter_period_end(history):
    res = churn_rate(history, inactivity_days=100, observation_end=END,
                     period_end="2024-06-30", period_months=6)
    # (2023-12-31, 2024-06-30]: start A B C E G, end E G, lost A B C, gained D
    assert (res.active_start, res.active_end, res.lost, res.gained) == (5, 3, 3, 1)
    assert res.rate == pytest.approx(3 / 4)


def test_series_matches_point_and_balances(history):
    series = churn_series(history, inactivity_days=100, observation_end=END, period_months=1)
    last = churn_rate(history, inactivity_days=100, observation_end=END, period_months=1)
    assert series.index[-1] == pd.Timestamp(END)
    assert series["churn_rate"].iloc[-1] == pytest.approx(last.rate)
    balance = series["active_start"] + series["gained"] - series["lost"]
    assert (balance == series["active_end"]).all()
    # first period starts once 100 days of history exist after 2023-01-01
    assert series["period_start"].min() >= pd.Timestamp("2023-04-11")
    assert series.attrs["definition"] == "inactivity"


def test_rolling_annual_series_month_ends(history):
    series = churn_series(history, inactivity_days=100, observation_end=END)
    assert all(ts.is_month_end for ts in series.index)
    assert series.index.is_monotonic_increasing


def test_transactions_after_observation_end_warn(history):
    with pytest.warns(UserWarning, match="3 of 18 transactions are after observation_end"):
        res = churn_rate(history, inactivity_days=100, observation_end="2024-11-30",
                         period_months=6)
    assert res.period_end == pd.Timestamp("2024-11-30")


def test_short_history_warns(history):
    with pytest.warns(UserWarning, match="less than 365 days before"):
        churn_rate(history, observation_end=END)


def test_errors(history, contracts):
    with pytest.raises(ParameterError, match="definition must be one of 'inactivity'"):
        churn_rate(history, definition="cancel")
    with pytest.raises(ParameterError, match="inactivity_days must be a positive whole"):
        churn_rate(history, inactivity_days=0)
    with pytest.raises(ParameterError, match="period_months must be a positive whole"):
        churn_rate(history, period_months=1.5)
    with pytest.raises(ParameterError, match="period_end 2025-01-31 is after the observation"):
        churn_rate(history, inactivity_days=100, period_end="2025-01-31")
    with pytest.raises(DataValidationError, match="has no column\\(s\\) 'timestamp'"):
        churn_rate(history.drop(columns="timestamp"))
    with pytest.raises(DataValidationError, match="empty transactions table"):
        churn_rate(history.iloc[:0])
    with pytest.raises(DataValidationError, match="needs datetime values in 'timestamp'"):
        churn_rate(history.assign(timestamp=history["timestamp"].astype(str)))
    msg = "No active customers between 2021-12-31 and 2022-12-31"
    with pytest.raises(DataValidationError, match=msg):
        churn_rate(history, inactivity_days=100, observation_end=END, period_end="2022-12-31")
    with pytest.raises(DataValidationError, match="'signup_date', 'churn_date'"):
        churn_rate(contracts[["customer_id"]], definition="contractual")
    bad = contracts.assign(churn_date=contracts["churn_date"].fillna(pd.Timestamp("2020-01-01")))
    with pytest.raises(DataValidationError, match="churn_date before their signup_date"):
        churn_rate(bad, definition="contractual")
    with pytest.raises(DataValidationError, match="found no contractual customers"):
        churn_rate(contracts.assign(contract="none"), definition="contractual")
    with pytest.raises(DataValidationError, match="has none"):
        churn_rate(Dataset(transactions=history), definition="contractual")


def test_series_too_short(history):
    with pytest.raises(DataValidationError, match="too short for a 12-month churn period"):
        churn_series(history, observation_end=END)


def test_inputs_unchanged(history):
    before = history.copy()
    churn_series(history, inactivity_days=100, observation_end=END)
    pd.testing.assert_frame_equal(history, before)


def test_periods_to_keep_revenue():
    assert periods_to_keep_revenue(0.2) == pytest.approx(1.25)  # 5 quarters for 4
    assert 4 * periods_to_keep_revenue(0.2) == pytest.approx(5)
    assert periods_to_keep_revenue(0.0) == 1.0
    s = periods_to_keep_revenue(pd.Series([0.5, 0.75], index=["a", "b"]))
    assert list(s.index) == ["a", "b"] and s.tolist() == [2.0, 4.0]
    np.testing.assert_allclose(periods_to_keep_revenue(np.array([0.1, 0.2])), [1 / 0.9, 1.25])
    with pytest.raises(ParameterError, match="churn must be a share in \\[0, 1\\); 2 value"):
        periods_to_keep_revenue(np.array([1.0, -0.1, 0.5]))
