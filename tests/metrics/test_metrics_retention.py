"""Cohort retention matrices and Kaplan-Meier survival curves."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clvkit import Dataset
from clvkit.exceptions import DataValidationError, ParameterError
from clvkit.metrics import cohort_counts, cohort_retention, survival_curves
from clvkit.schema import DAYS_PER_MONTH


@pytest.fixture
def tx() -> pd.DataFrame:
    rows = [("a", "2024-01-05"), ("a", "2024-02-03"), ("a", "2024-03-10"),
            ("b", "2024-01-20"), ("b", "2024-03-02"),
            ("c", "2024-02-10"), ("d", "2024-02-15"), ("d", "2024-02-20")]
    return pd.DataFrame({"customer_id": [r[0] for r in rows],
                         "timestamp": pd.to_datetime([r[1] for r in rows]), "amount": 1.0})


def _rows(frame: pd.DataFrame) -> list[list[float]]:
    return [[None if pd.isna(v) else float(v) for v in row] for row in frame.to_numpy()]


def test_activity_retention_hand_computed(tx):
    res = cohort_retention(tx, observation_end="2024-03-31")
    assert [str(p) for p in res.index] == ["2024-01", "2024-02"]
    assert _rows(res) == [[1.0, 0.5, 1.0], [1.0, 0.0, None]]
    counts = cohort_counts(tx, observation_end="2024-03-31")
    assert counts.loc[pd.Period("2024-01", "M"), 1] == 1
    assert counts.attrs["cohort_size"] == {"2024-01": 2, "2024-02": 2}
    assert res.columns.name == "periods_since_acquisition" and res.index.name == "cohort"


def test_partial_last_period_is_not_counted(tx):
    res = cohort_retention(tx, observation_end="2024-03-15")
    assert _rows(res) == [[1.0, 0.5], [1.0, None]]


def test_inactivity_retention_hand_computed(tx):
    # window 40 days: b lost 2024-02-29, c 2024-03-21, d 2024-03-31; a still active
    res = cohort_retention(tx, definition="inactivity", inactivity_days=40,
                           observation_end="2024-03-31")
    assert _rows(res) == [[1.0, 0.5, 0.5], [1.0, 0.0, None]]


def test_contractual_quarterly():
    customers = pd.DataFrame({
        "customer_id": ["x", "y", "z", "w"],
        "signup_date": pd.to_datetime(["2024-01-10", "2024-02-01", "2024-03-05", "2024-04-02"]),
        "churn_date": pd.to_datetime(["2024-05-01", None, "2024-03-20", None]),
    })
    res = cohort_retention(customers, definition="contractual", freq="Q",
                           observation_end="2024-09-30")
    # 2024Q1: x lost in Q2, y stays, z lost in Q1 -> [2/3, 1/3, 1/3]; 2024Q2: w -> [1, 1, NaN]
    np.testing.assert_allclose(res.to_numpy(), [[2 / 3, 1 / 3, 1 / 3], [1.0, 1.0, np.nan]])


def test_dataset_input_and_yearly(tx):
    data = Dataset(transactions=tx, observation_end=pd.Timestamp("2024-12-31"))
    res = cohort_retention(data, freq="Y")
    assert _rows(res) == [[1.0]]


def test_errors(tx):
    with pytest.raises(ParameterError, match="freq must be one of 'M', 'Q', 'Y'; got 'W'"):
        cohort_retention(tx, freq="W")
    with pytest.raises(ParameterError, match="definition must be one of 'activity'"):
        cohort_retention(tx, definition="alive")
    with pytest.raises(DataValidationError, match="No complete Q cohort"):
        cohort_retention(tx, freq="Q", observation_end="2024-03-15")
    with pytest.raises(DataValidationError, match="has no column\\(s\\) 'customer_id'"):
        cohort_retention(tx.drop(columns="customer_id"))


@st.composite
def histories(draw):
    n = draw(st.integers(1, 12))
    rows = []
    for i in range(n):
        days = draw(st.lists(st.integers(0, 700), min_size=1, max_size=6))
        rows += [(f"c{i}", pd.Timestamp("2023-01-01") + pd.Timedelta(days=d)) for d in days]
    return pd.DataFrame({"customer_id": [r[0] for r in rows], "timestamp": [r[1] for r in rows]})


@settings(max_examples=40, deadline=None)
@given(histories(), st.integers(10, 200))
def test_shares_in_unit_interval_and_closed_cohorts_non_increasing(tx, window):
    end = "2024-12-31"
    activity = cohort_retention(tx, observation_end=end).to_numpy()
    assert np.all((activity[~np.isnan(activity)] >= 0) & (activity[~np.isnan(activity)] <= 1))
    assert np.all(activity[:, 0] == 1)
    closed = cohort_retention(tx, definition="inactivity", inactivity_days=window,
                              observation_end=end).to_numpy()
    valid = closed[~np.isnan(closed)]
    assert np.all((valid >= 0) & (valid <= 1))
    steps = np.diff(closed, axis=1)
    assert np.all(steps[~np.isnan(steps)] <= 1e-12)


def test_survival_contractual_matches_hand_kaplan_meier():
    customers = pd.DataFrame({
        "customer_id": ["a", "b", "c", "d"],
        "signup_date": pd.to_datetime(["2024-01-01"] * 4),
        "churn_date": pd.to_datetime(["2024-03-01", None, "2024-06-29", None]),
    })
    # durations (days): a 60 event, c 180 event, b and d censored at the end (200 days)
    data = Dataset(transactions=pd.DataFrame(), customers=customers,
                   observation_end=pd.Timestamp("2024-07-19"))
    res = survival_curves(data, definition="contractual")
    # S = 3/4 after 60 days, 3/4 * 2/3 = 1/2 after 180 days
    at = res.set_index("time_months")["survival"]
    assert at.loc[60 / DAYS_PER_MONTH] == pytest.approx(0.75)
    assert at.loc[180 / DAYS_PER_MONTH] == pytest.approx(0.5)
    assert res["median_months"].iloc[0] == pytest.approx(180 / DAYS_PER_MONTH)
    assert (res["ci_low"] <= res["survival"]).all() and (res["survival"] <= res["ci_high"]).all()
    assert set(res["segment"]) == {"all"} and res["customers"].iloc[0] == 4


def test_survival_inactivity_censoring_and_segments():
    tx = pd.DataFrame({
        "customer_id": ["a", "a", "b", "c", "d"],
        "timestamp": pd.to_datetime(["2024-01-01", "2024-01-31", "2024-01-10", "2024-02-01",
                                     "2024-05-20"]),
    })
    customers = pd.DataFrame({"customer_id": ["a", "b", "c", "d"],
                              "channel": ["web", "web", "shop", "shop"]})
    data = Dataset(transactions=tx, customers=customers,
                   observation_end=pd.Timestamp("2024-06-30"))
    res = survival_curves(data, inactivity_days=60)
    # d (acquired after 2024-05-01) cannot show a loss yet and is left out; a lost after
    # 30 days, b lost at 0 days (one-time buyer); c lost at 0 days
    assert res["customers"].iloc[0] == 3
    assert res.loc[res["time_months"] == 0, "survival"].iloc[0] == pytest.approx(1 / 3)
    by = survival_curves(data, inactivity_days=60, by="channel")
    assert set(by["segment"]) == {"web", "shop"}
    channel = customers.set_index("customer_id")["channel"]
    by2 = survival_curves(data, inactivity_days=60, by=channel)
    pd.testing.assert_frame_equal(by, by2)


def test_survival_errors(tx):
    with pytest.raises(ParameterError, match="confidence must be in \\(0, 1\\)"):
        survival_curves(tx, confidence=1.5)
    data = Dataset(transactions=tx, customers=pd.DataFrame({"customer_id": ["a"]}))
    with pytest.raises(DataValidationError, match="segment column 'region' is not in"):
        survival_curves(data, by="region", inactivity_days=10)
    with pytest.warns(UserWarning, match="3 of 4 customers have no segment"):
        survival_curves(tx, by=pd.Series({"a": "x"}), inactivity_days=10,
                        observation_end="2024-06-30")


def test_survival_curves_without_a_measurable_lifetime_says_so():
    tx = pd.DataFrame({"customer_id": ["Z1"] * 3,
                       "timestamp": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-05-01"]),
                       "amount": [10.0, 20.0, 15.0]})
    with pytest.raises(DataValidationError, match="found no customer whose lifetime"):
        survival_curves(tx, inactivity_days=365)


# Freireich et al. (1963), 6-MP arm: weeks in remission, False = censored (still in remission).
_6MP_WEEKS = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
_6MP_EVENT = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]


def _weeks_as_contracts(weeks, events) -> Dataset:
    """Contracts whose lifetimes are the given weeks: losses churn, the rest are censored
    at the observation end (signed up ``weeks`` before it)."""
    end = pd.Timestamp("2024-12-31")
    signup = [end - pd.Timedelta(days=400 if e else 7 * w)
              for w, e in zip(weeks, events, strict=True)]
    churn = [s + pd.Timedelta(days=7 * w) if e else pd.NaT
             for s, w, e in zip(signup, weeks, events, strict=True)]
    customers = pd.DataFrame({"customer_id": [f"c{i}" for i in range(len(weeks))],
                              "signup_date": signup, "churn_date": churn})
    return Dataset(transactions=pd.DataFrame(), customers=customers, observation_end=end)


def test_survival_reproduces_published_kaplan_meier_and_log_log_band():
    """The 6-MP leukaemia arm (Freireich et al. 1963; Kleinbaum & Klein, Survival
    Analysis, ch. 2): Kaplan-Meier estimates and 95% log(-log) bands as tabulated by
    Stata's ``sts list`` (the exponential Greenwood band)."""
    res = survival_curves(_weeks_as_contracts(_6MP_WEEKS, _6MP_EVENT),
                          definition="contractual")
    weeks = (res["time_months"] * DAYS_PER_MONTH / 7).round(6)
    table = res.assign(weeks=weeks).set_index("weeks")
    published = {  # weeks: survival, lower, upper, at risk
        6: (0.8571, 0.6197, 0.9516, 21), 7: (0.8067, 0.5631, 0.9228, 17),
        10: (0.7529, 0.5032, 0.8894, 15), 13: (0.6902, 0.4316, 0.8491, 12),
        16: (0.6275, 0.3675, 0.8049, 11), 22: (0.5378, 0.2678, 0.7468, 7),
        23: (0.4482, 0.1881, 0.6801, 6),
    }
    for week, (s, low, high, at_risk) in published.items():
        row = table.loc[float(week)]
        assert row[["survival", "ci_low", "ci_high"]].to_numpy(float) == pytest.approx(
            [s, low, high], abs=5e-5)
        assert row["at_risk"] == at_risk
    # one row at time 0 and one per distinct time (events and censorings), as lifelines
    assert list(weeks) == [0.0, *sorted(set(_6MP_WEEKS))]
    assert table.loc[0.0, ["survival", "ci_low", "ci_high", "at_risk"]].tolist() == [1, 1, 1, 21]
    assert res["median_months"].iloc[0] == pytest.approx(23 * 7 / DAYS_PER_MONTH)
    assert res.attrs == {"confidence": 0.95, "definition": "contractual"}


def test_survival_band_formula_and_edges():
    """The band is S**exp(+-z sigma) with Greenwood's variance on the log(-log) scale;
    [1, 1] while nobody is lost and [0, 0] once everybody is (no warning either way)."""
    res = survival_curves(_weeks_as_contracts(_6MP_WEEKS, _6MP_EVENT),
                          definition="contractual", confidence=0.9)
    weeks = np.array(_6MP_WEEKS, float)
    lost = np.array(_6MP_EVENT, bool)
    times = np.unique(weeks[lost])
    n = np.array([(weeks >= t).sum() for t in times])
    d = np.array([(weeks[lost] == t).sum() for t in times])
    s = np.cumprod(1 - d / n)
    sigma = np.sqrt(np.cumsum(d / (n * (n - d)))) / np.abs(np.log(s))
    z = 1.6448536269514722  # 90%
    rows = res.set_index((res["time_months"] * DAYS_PER_MONTH / 7).round(6)).loc[times]
    assert rows["survival"].to_numpy() == pytest.approx(s)
    assert rows["ci_low"].to_numpy() == pytest.approx(s ** np.exp(z * sigma))
    assert rows["ci_high"].to_numpy() == pytest.approx(s ** np.exp(-z * sigma))

    everyone = survival_curves(_weeks_as_contracts([1, 2, 3], [1, 1, 1]),
                               definition="contractual")
    assert everyone[["survival", "ci_low", "ci_high"]].iloc[-1].tolist() == [0, 0, 0]
    assert everyone["median_months"].iloc[0] == pytest.approx(14 / DAYS_PER_MONTH)
    nobody = survival_curves(_weeks_as_contracts([1, 2, 3], [0, 0, 0]),
                             definition="contractual")
    assert (nobody[["survival", "ci_low", "ci_high"]].to_numpy() == 1).all()
    assert nobody["median_months"].iloc[0] == np.inf
    assert nobody["at_risk"].tolist() == [3, 3, 2, 1]
