"""Profitability and the action matrix (clvkit.segments.actions) on crafted customers."""

from __future__ import annotations

import pandas as pd
import pytest

import clvkit as ck
from clvkit.report import labelled
from clvkit.segments import (
    DEFAULT_ACTIONS,
    action_matrix,
    assign_actions,
    customer_profitability,
)

END = pd.Timestamp("2024-12-31")
# customer -> (gross margin of its one order, cost to serve over the window)
CRAFTED = {
    "H1": (1000.0, 100.0),  # high value, profitable          -> keep
    "H2": (900.0, 1500.0),  # big but unprofitable             -> fix_cost
    "M1": (500.0, 50.0),  # medium, profitable                -> grow
    "M2": (400.0, 450.0),  # medium, unprofitable             -> fix_cost
    "M3": (300.0, 0.0),  # medium, profitable                 -> grow
    "L1": (100.0, 10.0),  # low, profitable                   -> maintain
    "L2": (90.0, 10.0),
    "L3": (80.0, 10.0),
    "L4": (70.0, 200.0),  # low, unprofitable                 -> stop_investing
    "L5": (60.0, 60.0),  # profit exactly 0 counts as unprofitable
}
EXPECTED = {"H1": "keep", "H2": "fix_cost", "M1": "grow", "M2": "fix_cost", "M3": "grow",
            "L1": "maintain", "L2": "maintain", "L3": "maintain", "L4": "stop_investing",
            "L5": "stop_investing"}


def crafted() -> tuple[pd.DataFrame, pd.DataFrame]:
    ids = list(CRAFTED)
    tx = pd.DataFrame(
        {
            "customer_id": ids,
            "order_id": [f"o{i}" for i in range(len(ids))],
            "timestamp": END - pd.Timedelta(days=730),
            "amount": [2 * m for m, _ in CRAFTED.values()],
            "gross_margin": [m for m, _ in CRAFTED.values()],
        }
    )
    customers = pd.DataFrame(
        {"customer_id": ids, "cost_to_serve": [c for _, c in CRAFTED.values()],
         "support_contacts": [0, 3, 0, 0, 0, 0, 0, 0, 1, 0]}
    )
    return tx, customers


def test_crafted_customers_land_in_expected_cells():
    tx, customers = crafted()
    out = assign_actions(tx, customers=customers, observation_end=END,
                         cost_to_serve_period="total")
    assert out["action"].to_dict() == EXPECTED
    assert out.loc["H2", "value_level"] == "high"
    assert out.loc["H2", "second_level"] == "unprofitable"
    assert out.loc["M3", "value_level"] == "medium"
    assert out.loc["L1", "value_level"] == "low"
    assert out.loc["H2", "profit"] == pytest.approx(-600.0)
    assert out.attrs["value_basis"] == "historical_margin"


def test_action_matrix_counts_value_at_stake_and_recommendations():
    tx, customers = crafted()
    m = labelled(action_matrix(tx, customers=customers, observation_end=END,
                               cost_to_serve_period="total"), "en", recommendations=True)
    assert list(m.index) == list(DEFAULT_ACTIONS["value_profit"])
    assert m.loc[("high", "profitable"), "customers"] == 1
    assert m.loc[("medium", "profitable"), "customers"] == 2
    assert m.loc[("low", "unprofitable"), "customers"] == 2
    assert m.loc[("medium", "profitable"), "value_at_stake"] == pytest.approx(800.0)
    assert m.loc[("medium", "profitable"), "profit"] == pytest.approx(750.0)
    assert m["customers"].sum() == 10
    assert m["share_value"].sum() == pytest.approx(1.0)
    assert m.loc[("high", "unprofitable"), "action_label"] == "Fix cost to serve"
    assert "cost to serve" in m.loc[("high", "unprofitable"), "recommendation"]
    zh = labelled(action_matrix(tx, customers=customers, observation_end=END,
                                cost_to_serve_period="total"), "zh")
    assert zh.loc[("low", "unprofitable"), "action_label"] == "停止投入"


def test_user_overrides_cells_and_recommendations():
    tx, customers = crafted()
    m = action_matrix(
        tx, customers=customers, observation_end=END, cost_to_serve_period="total",
        actions={("low", "unprofitable"): "reprice"},
    )
    m = labelled(m, "en",
                 recommendations={"reprice": "Raise the delivery fee for small baskets."})
    cell = m.loc[("low", "unprofitable")]
    assert cell["action"] == "reprice"
    assert cell["action_label"] == "reprice"
    assert cell["recommendation"] == "Raise the delivery fee for small baskets."
    with pytest.raises(ck.ParameterError, match=r"unknown cell \('top', 'profitable'\)"):
        assign_actions(tx, customers=customers, actions={("top", "profitable"): "x"})


def test_yearly_cost_to_serve_scales_with_tenure_and_cost_model():
    tx, customers = crafted()
    prof = customer_profitability(
        tx, customers=customers, observation_end=END, cost_per_order=5.0,
        cost_per_contact=20.0, contacts="support_contacts",
    )
    years = 730 / 365.25
    assert prof.loc["H1", "serve_cost"] == pytest.approx(100.0 * years)
    assert prof.loc["H2", "contact_cost"] == pytest.approx(60.0)
    assert prof.loc["H2", "order_cost"] == pytest.approx(5.0)
    assert prof.loc["H2", "profit"] == pytest.approx(900.0 - 1500.0 * years - 5.0 - 60.0)
    contacts = pd.Series({"L4": 2})
    prof2 = customer_profitability(tx, customers=customers, observation_end=END,
                                   cost_per_contact=10.0, contacts=contacts)
    assert prof2.loc["L4", "contact_cost"] == 20.0
    assert prof2.loc["L3", "contact_cost"] == 0.0


def test_margin_rate_used_when_gross_margin_missing():
    tx, customers = crafted()
    tx = tx.drop(columns="gross_margin")
    prof = customer_profitability(tx, customers=customers, observation_end=END,
                                  margin_rate=0.25, cost_to_serve_period="total")
    assert prof.loc["H1", "margin"] == pytest.approx(500.0)
    assert prof.loc["H1", "profit"] == pytest.approx(400.0)
    with pytest.raises(ck.DataValidationError, match=r"no 'gross_margin' column.*margin_rate"):
        customer_profitability(tx, customers=customers)
    with pytest.raises(ck.ParameterError, match="margin_rate must be a share between 0 and 1"):
        customer_profitability(tx, margin_rate=30)


def test_without_customer_table_cost_is_zero():
    tx, _ = crafted()
    prof = customer_profitability(tx, observation_end=END)
    assert (prof["total_cost"] == 0).all()
    assert (prof["profit"] == prof["margin"]).all()


def test_customers_missing_cost_warn_and_count_zero():
    tx, customers = crafted()
    with pytest.warns(UserWarning, match=r"1 of 10 customers have no 'cost_to_serve' "
                                         r"\(e\.g\. customer_id L5\); counted as 0"):
        prof = customer_profitability(tx, customers=customers.iloc[:-1], observation_end=END)
    assert prof.loc["L5", "serve_cost"] == 0.0


def test_cost_errors():
    tx, customers = crafted()
    neg = customers.assign(cost_to_serve=customers["cost_to_serve"] * -1)
    with pytest.raises(ck.DataValidationError,
                       match=r"9 customers have a negative 'cost_to_serve'"):
        customer_profitability(tx, customers=neg)
    with pytest.raises(ck.ParameterError, match="cost_per_order must be a non-negative"):
        customer_profitability(tx, cost_per_order=-1)
    with pytest.raises(ck.ParameterError, match="cost_per_contact > 0 needs contacts"):
        customer_profitability(tx, cost_per_contact=3.0)
    with pytest.raises(ck.DataValidationError, match="contacts='calls' names no column"):
        customer_profitability(tx, customers=customers, cost_per_contact=3.0, contacts="calls")
    with pytest.raises(ck.ParameterError, match="cost_to_serve_period must be one of"):
        customer_profitability(tx, cost_to_serve_period="month")


def test_value_alive_matrix_with_model_output():
    tx, customers = crafted()
    ids = list(CRAFTED)
    model = pd.DataFrame(
        {"clv": [900, 800, 700, 600, 500, 400, 300, 200, 100, 50],
         "p_alive": [0.9, 0.2, 0.8, 0.1, 0.5, 0.6, 0.4, 0.7, 0.3, 0.05]},
        index=ids,
    )
    out = assign_actions(tx, customers=customers, customer_value=model, matrix="value_alive")
    assert out.attrs["value_basis"] == "clv"
    assert out["action"].to_dict() == {
        "H1": "keep", "H2": "win_back", "M1": "grow", "M2": "reactivate", "M3": "grow",
        "L1": "maintain", "L2": "stop_investing", "L3": "maintain", "L4": "stop_investing",
        "L5": "stop_investing",
    }
    m = action_matrix(tx, customer_value=model, matrix="value_alive")
    assert m.loc[("high", "inactive"), "value_at_stake"] == pytest.approx(800.0)
    assert m.attrs["matrix"] == "value_alive"


def test_value_alive_needs_p_alive_and_valid_settings():
    tx, customers = crafted()
    with pytest.raises(ck.ParameterError, match="matrix='value_alive' needs P\\(alive\\)"):
        assign_actions(tx, matrix="value_alive")
    with pytest.raises(ck.ParameterError, match="matrix must be one of"):
        assign_actions(tx, matrix="value_loyalty")
    with pytest.raises(ck.ParameterError, match=r"value_cuts must be two cumulative shares"):
        assign_actions(tx, customers=customers, value_cuts=(0.2,))
    bad = pd.DataFrame({"clv": 1.0, "p_alive": 1.5}, index=list(CRAFTED))
    with pytest.raises(ck.DataValidationError,
                       match=r"10 values of 'p_alive' are outside \[0, 1\]"):
        assign_actions(tx, customer_value=bad, matrix="value_alive")


def test_margin_share_observed_or_fallback():
    tx, _ = crafted()
    assert ck.segments.margin_share(tx) == pytest.approx(0.5)
    assert ck.segments.margin_share(tx.drop(columns="gross_margin"), 0.3) == 0.3
    with pytest.raises(ck.DataValidationError, match="no 'gross_margin' column; pass margin_rate"):
        ck.segments.margin_share(tx.drop(columns="gross_margin"))


def test_action_matrix_level_labels():
    tx, customers = crafted()
    m = labelled(action_matrix(tx, customers=customers), "zh")
    assert m.loc[("high", "unprofitable"), "value_level_label"] == "高价值"
    assert m.loc[("high", "unprofitable"), "second_level_label"] == "不盈利"
