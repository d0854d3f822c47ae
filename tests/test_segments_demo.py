"""Segments on the bundled demo data with the real models (integration)."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import clvkit as ck
from clvkit import segments as seg


@pytest.fixture(scope="module")
def demo() -> ck.Dataset:
    return ck.datasets.make_demo(300, seed=1)


@pytest.fixture(scope="module")
def model(demo) -> pd.DataFrame:
    summary = ck.rfm_summary(demo.transactions, demo.observation_end)
    return ck.models.customer_value(summary, margin=0.35)


def test_scored_demo_with_bgnbd_clv(demo, model):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scored = seg.scored_customers(demo, customer_value=model)
    n = demo.transactions["customer_id"].nunique()
    assert len(scored) == n and scored["customer_id"].is_unique
    assert (scored["value_basis"] == "clv").all()
    assert scored["clv"].notna().all() and (scored["clv"] >= 0).all()
    assert scored["p_alive"].between(0, 1).all()
    assert scored["churn_risk"].equals(1 - scored["p_alive"])
    rules = seg.segment_rules()
    assert set(scored["segment"].astype(str)) <= set(rules["segment"])
    assert not {"name", "email", "phone"} & set(scored.columns)
    tiers = seg.value_tiers(demo, customer_value=model)
    assert tiers["share_future_value"].sum() == pytest.approx(1.0)
    # the demo's value is concentrated: the top 20% hold most of the expected value
    assert tiers["share_future_value"].iloc[:3].sum() > 0.5
    assert tiers.attrs["top_multiple_over_median"] > 5


def test_big_but_unprofitable_demo_customers_are_flagged(demo):
    assigned = seg.assign_actions(demo, value_basis="historical_revenue")
    profit = seg.customer_profitability(demo)
    big_losers = profit.index[(assigned["value_level"] == "high") & (profit["profit"] < 0)]
    assert len(big_losers) >= 1  # make_demo plants a few
    assert (assigned.loc[big_losers, "action"] == "fix_cost").all()


def test_churn_model_probabilities_cover_cancelled_subscribers(demo, model):
    risk = ck.models.predict_churn(demo.transactions, observation_end=demo.observation_end,
                                   customers=demo.customers, surveys=demo.surveys,
                                   random_state=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scored = seg.scored_customers(demo, customer_value=model, churn_risk=risk)
    scored = scored.set_index("customer_id")
    assert scored["churn_risk"].notna().all()
    cancelled = demo.customers.loc[demo.customers["churn_date"].notna(), "customer_id"]
    cancelled = cancelled[cancelled.isin(scored.index) & ~cancelled.isin(risk.index)]
    assert (scored.loc[cancelled, "churn_risk"] == 1.0).all()
    assert (scored["churn_risk_basis"] == "churn_model").all()


def test_demo_cross_views_and_seasonality(demo):
    scored = seg.scored_customers(demo)
    n = len(scored)
    by_nps = seg.cross_view(scored, "segment", "nps_group")
    assert by_nps.loc["total", ("customers", "total")] == n
    by_channel = seg.cross_view(scored, "tier", "acquisition_channel")
    assert {"search", "social", "referral", "store"} <= set(
        by_channel["customers"].columns)
    assert by_channel.loc["total", ("value", "total")] == pytest.approx(scored["value"].sum())
    season = seg.value_seasonality(demo.transactions, observation_end=demo.observation_end)
    peaks = seg.seasonal_peaks(season, n=2)
    assert {11, 12} & set(peaks.loc["all", ["peak_1", "peak_2"]])  # the demo's Nov/Dec peak


def test_card_for_a_demo_customer(demo, model):
    scored = seg.scored_customers(demo, customer_value=model)
    answered = demo.surveys["customer_id"].iloc[0]
    card = seg.customer_card(answered, demo, scored=scored)
    assert len(card.surveys) >= 1
    assert card.clv == pytest.approx(model.loc[answered, "clv"])
    assert card.timeline["timestamp"].is_monotonic_increasing
