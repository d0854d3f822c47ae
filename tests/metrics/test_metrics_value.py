"""Simple CLV, margin CLV, ROI, expected lifetime, value concentration and scenarios."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clvkit.exceptions import DataValidationError, ParameterError
from clvkit.metrics import (
    customer_roi,
    expected_lifetime,
    margin_clv,
    retention_scenarios,
    simple_clv,
    value_concentration,
)
from clvkit.report import sentence


def test_simple_clv_textbook_example():
    assert simple_clv(1_000, 10, 1_000) == 9_000.0
    assert isinstance(simple_clv(1_000, 10, 1_000), float)
    assert simple_clv(1_000, expected_lifetime(0.1), 1_000) == pytest.approx(9_000)


def test_simple_clv_vectorised():
    rev = pd.Series([1_000.0, 500.0], index=pd.Index(["a", "b"], name="customer_id"))
    out = simple_clv(rev, 10, pd.Series([1_000.0, 0.0], index=rev.index))
    assert out.tolist() == [9_000.0, 5_000.0] and out.index.name == "customer_id"
    np.testing.assert_array_equal(simple_clv(np.array([1.0, 2.0]), np.array([3.0, 4.0])), [3, 8])
    with pytest.raises(ParameterError, match="years must be >= 0; 1 value\\(s\\) are not"):
        simple_clv(100, np.array([1, -2]))
    with pytest.raises(ParameterError, match="yearly_revenue has 1 missing value"):
        simple_clv(np.array([np.nan]), 1)


def test_expected_lifetime():
    assert expected_lifetime(0.2) == 5.0
    assert expected_lifetime(pd.Series([0.5], index=["x"])).loc["x"] == 2.0
    with pytest.raises(ParameterError, match="churn_rate must be a share in \\(0, 1\\]"):
        expected_lifetime(0.0)


def test_margin_clv_closed_form_and_finite_sum():
    assert margin_clv(100, 0.8, 0.1) == pytest.approx(100 * 1.1 / 0.3)
    assert margin_clv(100, 0.8, 0.1, years=3) == pytest.approx(100 * (1 + 0.8 / 1.1 + 0.64 / 1.21))
    assert margin_clv(100, 0.8, 0.1, years=500) == pytest.approx(margin_clv(100, 0.8, 0.1))
    assert margin_clv(100, 1.0, 0.0, years=3) == pytest.approx(300)  # q = 1 limit
    assert margin_clv(100, 0.8, 0.1, years=1, acquisition_cost=30) == pytest.approx(70)
    out = margin_clv(pd.Series([100.0, 50.0], index=["a", "b"]), pd.Series([0.5, 0.5],
                     index=["a", "b"]), 0.0, years=2)
    assert out.tolist() == [150.0, 75.0]
    with pytest.raises(ParameterError, match="retention / \\(1 \\+ discount_rate\\) must be < 1"):
        margin_clv(100, 1.0, 0.0)
    with pytest.raises(ParameterError, match="retention must be a share in \\[0, 1\\]"):
        margin_clv(100, 1.2, 0.1)
    with pytest.raises(ParameterError, match="discount_rate must be >= 0"):
        margin_clv(100, 0.5, -0.1)
    with pytest.raises(ParameterError, match="years must be a whole number >= 1 or None"):
        margin_clv(100, 0.5, 0.1, years=0)


def test_customer_roi():
    assert customer_roi(300, 100, 50) == 1.0
    out = customer_roi(pd.Series([300.0, 10.0]), pd.Series([100.0, 0.0]), 0.0)
    assert out.iloc[0] == 2.0 and np.isnan(out.iloc[1])
    with pytest.raises(ParameterError, match="cost_to_serve must be >= 0"):
        customer_roi(1, 1, -1)


def test_value_concentration_hand_computed():
    res = value_concentration([0, 0, 0, 10], shares=(0.25, 0.5))
    assert res.share_of_top(0.25) == 1.0 and res.gini == pytest.approx(0.75)
    assert res.lorenz["share_of_value"].tolist() == [0, 0, 0, 0, 1]
    res = value_concentration(pd.Series(np.arange(1.0, 11.0)))
    # top 20% of 10 customers = 2 (10 + 9 of 55); top 1% and 5% = 1 customer (10 of 55)
    assert res.top["customers"].tolist() == [1, 1, 1, 2]
    assert res.share_of_top(0.2) == pytest.approx(19 / 55)
    assert res.share_of_top(0.01) == pytest.approx(10 / 55)
    # G = 2 * sum(i * i) / (n * sum) - (n + 1) / n = 2 * 385 / 550 - 1.1 = 0.3
    assert res.gini == pytest.approx(0.3)
    assert value_concentration([5.0] * 4).gini == pytest.approx(0.0)
    assert "top 20% of customers (2) hold 34.5%" in sentence(res)
    with pytest.raises(KeyError, match=r"share 0\.3 was not computed"):
        res.share_of_top(0.3)


def test_value_concentration_negative_and_errors():
    with pytest.warns(UserWarning, match="1 of 3 values are negative"):
        res = value_concentration([10.0, 5.0, -5.0], shares=(0.34,))
    # top 34% = ceil(1.02) = 2 customers holding 15 of a total of 10
    assert res.share_of_top(0.34) == 1.5 and np.isnan(res.gini) and res.n_negative == 1
    with pytest.raises(DataValidationError, match="got no values"):
        value_concentration([])
    with pytest.raises(DataValidationError, match="1 of 2 values are missing"):
        value_concentration([1.0, np.nan])
    with pytest.raises(DataValidationError, match=r"add up to 0\.00"):
        value_concentration([0.0, 0.0])
    with pytest.raises(ParameterError, match="every share must be in \\(0, 1\\]"):
        value_concentration([1.0], shares=(0.0,))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=50).filter(lambda v: sum(v) > 0))
def test_lorenz_properties(values):
    res = value_concentration(values)
    lorenz = res.lorenz["share_of_value"].to_numpy()
    assert lorenz[0] == 0 and lorenz[-1] == pytest.approx(1)
    assert np.all(np.diff(lorenz) >= -1e-12)
    assert -1e-9 <= res.gini < 1
    assert np.all(np.diff(res.top["share_of_value"]) >= -1e-12)


def test_retention_scenarios_hand_computed():
    table = retention_scenarios(customers=100, margin_per_year=100, retention=0.5, uplifts=(0.1,),
                                discount_rate=0.0, years=3, acquisition_cost=50, cost_ratio=5)
    base, up = table.iloc[0], table.iloc[1]
    assert base["clv_per_customer"] == pytest.approx(175)  # 100 * (1 + .5 + .25)
    assert up["clv_per_customer"] == pytest.approx(196)  # 100 * (1 + .6 + .36)
    assert up["uplift_points"] == pytest.approx(10)
    assert up["value_change"] == pytest.approx(2_100)
    assert up["value_change_pct"] == pytest.approx(0.12)
    assert up["extra_customer_years"] == pytest.approx(21)
    assert up["retention_cost"] == pytest.approx(210)  # 21 customer-years at 50 / 5
    assert up["net_value_change"] == pytest.approx(1_890)
    assert up["equivalent_new_customers"] == pytest.approx(12)
    assert up["equivalent_acquisition_cost"] == pytest.approx(600)
    assert base["value_change"] == 0


def test_retention_scenarios_errors():
    with pytest.raises(ParameterError, match="each uplift must be > 0 and keep retention <= 1"):
        retention_scenarios(customers=10, margin_per_year=1, retention=0.95, uplifts=(0.1,))
    with pytest.raises(ParameterError, match="customers must be a whole number >= 1; got 0; "
                                             "retention must be a share"):
        retention_scenarios(customers=0, margin_per_year=1, retention=1.0)


def test_margin_per_active_customer():
    from clvkit.metrics import margin_per_active_customer

    tx = pd.DataFrame({
        "customer_id": ["a", "a", "b", "c"],
        "timestamp": pd.to_datetime(["2024-03-01", "2024-09-01", "2024-12-31", "2023-06-01"]),
        "amount": [100.0, 100.0, 50.0, 1_000.0],
        "gross_margin": [30.0, 30.0, 10.0, 300.0],
    })
    # c bought before the window (2023-12-31, 2024-12-31]: (30 + 30 + 10) / 2 customers
    assert margin_per_active_customer(tx) == pytest.approx(35.0)
    assert margin_per_active_customer(tx, margin_share=0.5) == pytest.approx(35.0)
    revenue_only = tx.drop(columns="gross_margin")
    assert margin_per_active_customer(revenue_only, margin_share=0.5) == pytest.approx(62.5)
    # six months: only b (2024-12-31) and a's 2024-09-01 order, scaled to a year
    assert margin_per_active_customer(tx, months=6) == pytest.approx((30 + 10) / 2 * 2)
    with pytest.raises(DataValidationError, match="needs a 'gross_margin' column or margin_sh"):
        margin_per_active_customer(tx.drop(columns="gross_margin"))
    with pytest.raises(ParameterError, match=r"margin_share must be a share in \[0, 1\]"):
        margin_per_active_customer(tx, margin_share=30)
    with pytest.raises(DataValidationError, match="No purchase between 2025-01-31"):
        margin_per_active_customer(tx, observation_end="2026-01-31")
