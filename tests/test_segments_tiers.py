"""Value tiers (clvkit.segments.tiers) on hand-made tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import clvkit as ck
from clvkit.report import labelled, tier_label
from clvkit.segments import customer_tiers, tier_codes, value_tiers

END = pd.Timestamp("2024-06-30")


def ladder(n: int = 200) -> pd.DataFrame:
    """Customer K001 spends 1, K002 spends 2, ... K{n} spends n (one order each)."""
    return pd.DataFrame(
        {
            "customer_id": [f"K{i:03d}" for i in range(1, n + 1)],
            "timestamp": pd.Timestamp("2024-01-15 09:00"),
            "amount": np.arange(1, n + 1, dtype=float),
            "gross_margin": 0.5 * np.arange(1, n + 1, dtype=float),
        }
    )


def test_tier_codes_follow_the_cut_points():
    assert tier_codes() == ["top_1pct", "top_1_5pct", "top_5_20pct", "bottom_80pct"]
    assert tier_codes((0.1, 0.5)) == ["top_10pct", "top_10_50pct", "bottom_50pct"]


def test_customer_tiers_on_a_ladder():
    tiers = customer_tiers(ladder(), observation_end=END)
    # 200 customers: top 1% = ranks 1-2, next 4% = 3-10, next 15% = 11-40, rest 41-200.
    assert tiers.attrs["value_basis"] == "historical_margin"
    assert sorted(tiers.index[tiers["tier"] == "top_1pct"]) == ["K199", "K200"]
    assert (tiers["tier"] == "top_1_5pct").sum() == 8
    assert (tiers["tier"] == "top_5_20pct").sum() == 30
    assert tiers.loc["K161", "tier"] == "top_5_20pct"
    assert tiers.loc["K160", "tier"] == "bottom_80pct"
    assert tiers.loc["K200", "value_rank"] == 1
    named = labelled(tiers, "en")
    assert named.loc["K200", "tier_label"] == "Top 1%"
    assert named.loc["K195", "tier_label"] == "Next 4% (top 1-5%)"


def test_value_tiers_shares_and_multiple_hand_computed():
    summary = value_tiers(ladder(), observation_end=END)
    total = 200 * 201 / 2
    assert summary["customers"].tolist() == [2, 8, 30, 160]
    assert summary.loc["top_1pct", "share_revenue"] == pytest.approx((200 + 199) / total)
    assert summary.loc["top_1pct", "share_margin"] == pytest.approx((200 + 199) / total)
    assert summary.loc["bottom_80pct", "share_customers"] == pytest.approx(0.8)
    # median margin = 0.5 * 100.5; top tier mean margin = 0.5 * 199.5
    assert summary.attrs["median_value"] == pytest.approx(50.25)
    assert summary.attrs["top_multiple_over_median"] == pytest.approx(199.5 / 100.5)
    assert summary["future_value"].isna().all()
    for col in ("share_customers", "share_revenue", "share_margin", "share_value"):
        assert summary[col].sum() == pytest.approx(1.0)


def test_value_tiers_use_clv_when_given():
    tx = ladder()
    clv = pd.Series(np.arange(200, 0, -1, dtype=float), index=tx["customer_id"], name="clv")
    model = pd.DataFrame({"clv": clv, "p_alive": 0.5})
    summary = value_tiers(tx, observation_end=END, customer_value=model)
    tiers = customer_tiers(tx, observation_end=END, customer_value=clv)
    assert summary.attrs["value_basis"] == "clv"
    assert sorted(tiers.index[tiers["tier"] == "top_1pct"]) == ["K001", "K002"]
    assert summary.loc["top_1pct", "share_future_value"] == pytest.approx(399 / 20100)
    assert summary.loc["top_1pct", "share_revenue"] == pytest.approx(3 / 20100)
    assert summary["share_future_value"].sum() == pytest.approx(1.0)


def test_revenue_basis_without_margin_and_forced_basis():
    tx = ladder().drop(columns="gross_margin")
    assert customer_tiers(tx).attrs["value_basis"] == "historical_revenue"
    forced = customer_tiers(ladder(), value_basis="historical_revenue")
    assert forced["value"].max() == 200.0
    with pytest.raises(ck.ParameterError, match="value_basis='clv' needs customer_value"):
        customer_tiers(ladder(), value_basis="clv")
    with pytest.raises(ck.ParameterError, match="needs a gross_margin column"):
        customer_tiers(tx, value_basis="historical_margin")
    with pytest.raises(ck.ParameterError, match="value_basis must be one of 'auto'"):
        customer_tiers(tx, value_basis="profit")


def test_equal_values_are_split_by_customer_id():
    tx = ladder(10).assign(amount=5.0, gross_margin=1.0)
    tiers = customer_tiers(tx, cuts=(0.3,))
    assert sorted(tiers.index[tiers["tier"] == "top_30pct"]) == ["K001", "K002", "K003"]


def test_small_base_keeps_a_non_empty_top_tier():
    summary = value_tiers(ladder(7))
    assert summary["customers"].tolist() == [1, 0, 1, 5]  # ceil(.07)=1, ceil(.35)=1, ceil(1.4)=2
    assert labelled(summary, "en").loc["top_1_5pct", "tier_label"] == "Next 4% (top 1-5%)"
    assert summary["share_customers"].sum() == pytest.approx(1.0)


def test_chinese_tier_labels():
    summary = labelled(value_tiers(ladder()), "zh")
    assert summary["tier_label"].tolist() == ["前1%", "其次4%（前1-5%）", "其次15%（前5-20%）",
                                              "其余（80%）"]


def test_tier_names_come_from_the_codes_of_any_cuts():
    cuts = (0.001, 0.1, 0.3)
    codes = tier_codes(cuts)
    assert codes == ["top_0.1pct", "top_0.1_10pct", "top_10_30pct", "bottom_70pct"]
    assert [tier_label(c, "en") for c in codes] == [
        "Top 0.1%", "Next 9.9% (top 0.1-10%)", "Next 20% (top 10-30%)", "Rest (70%)"]
    assert tier_label("my_tier", "zh") == "my_tier"  # unknown codes are shown as they are


def test_model_output_must_cover_every_customer():
    tx = ladder(10)
    clv = pd.Series(1.0, index=[f"K{i:03d}" for i in range(1, 9)], name="clv")
    with pytest.raises(ck.DataValidationError,
                       match=r"customer_value covers 8 of 10 customers; 2 have no value "
                             r"\(e\.g\. customer_id K009, K010\)"):
        value_tiers(tx, customer_value=clv)
    no_clv = pd.DataFrame({"p_alive": 0.5}, index=tx["customer_id"])
    with pytest.raises(ck.DataValidationError, match="customer_value has no 'clv' column"):
        value_tiers(tx, customer_value=no_clv)


def test_invalid_cuts():
    with pytest.raises(ck.ParameterError, match=r"strictly increasing inside \(0, 1\)"):
        value_tiers(ladder(), cuts=(0.2, 0.1))
    with pytest.raises(ck.ParameterError, match=r"got \(0\.5, 1\.0\)"):
        value_tiers(ladder(), cuts=(0.5, 1.0))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(-50, 1e5, allow_nan=False), min_size=1, max_size=80),
    st.sampled_from([(0.01, 0.05, 0.2), (0.1, 0.5), (0.3,)]),
)
def test_tier_shares_add_up_to_one(amounts, cuts):
    tx = pd.DataFrame(
        {
            "customer_id": [f"Q{i:03d}" for i in range(len(amounts))],
            "timestamp": pd.Timestamp("2024-03-01"),
            "amount": np.abs(amounts) + 0.01,
            "gross_margin": amounts,
        }
    )
    summary = value_tiers(tx, cuts=cuts)
    assert summary["customers"].sum() == len(amounts)
    assert summary["share_customers"].sum() == pytest.approx(1.0)
    assert summary["share_revenue"].sum() == pytest.approx(1.0)
    if abs(summary["margin"].sum()) > 1e-6:
        assert summary["share_margin"].sum() == pytest.approx(1.0)
    assert summary.loc[summary.index[0], "customers"] >= 1


def test_fast_ranks_equal_rank_desc_with_ties_and_missing_values():
    from clvkit.segments._base import rank_desc
    from clvkit.segments.tiers import _ranks

    values = pd.Series([3.0, 5.0, np.nan, 5.0, 1.0, 3.0, np.nan, -0.0, 0.0],
                       index=[f"C{i}" for i in range(9)])
    pd.testing.assert_series_equal(_ranks(values), rank_desc(values))
    shuffled = values.iloc[[4, 0, 8, 2, 6, 1, 3, 7, 5]]  # ids out of order: plain path
    pd.testing.assert_series_equal(_ranks(shuffled), rank_desc(shuffled))


def test_customer_tiers_equal_the_full_customer_history():
    from clvkit.segments._base import customer_history, cut_levels, rank_desc

    ds = ck.datasets.make_demo(500, seed=4)
    value = ds.transactions.groupby("customer_id")["amount"].mean().round(-1)  # many ties
    tiers = customer_tiers(ds, customer_value=value)
    hist = customer_history(ds.transactions, ds.observation_end)
    pd.testing.assert_frame_equal(tiers[["revenue", "margin"]], hist[["revenue", "margin"]])
    assert tiers.attrs["observation_end"] == hist.attrs["observation_end"]
    pd.testing.assert_series_equal(tiers["value_rank"], rank_desc(tiers["value"]),
                                   check_names=False)
    levels = cut_levels(tiers["value"], (0.01, 0.05, 0.2), "cuts")
    assert (tiers["tier"].cat.codes.to_numpy() == levels.to_numpy()).all()


def test_sorted_id_codes_equal_pandas_factorize():
    from clvkit._codes import factorize_ids

    ids = pd.Series(["b", "a", None, "中文", "Z", "a", "é", "b", np.nan], dtype=object)
    codes, uniques = factorize_ids(ids, sort=True)
    want_codes, want_uniques = pd.factorize(ids, sort=True)
    np.testing.assert_array_equal(codes, want_codes)
    np.testing.assert_array_equal(uniques, np.asarray(want_uniques, dtype=object))
    np.testing.assert_array_equal(factorize_ids(pd.Series([3, 1]), sort=True)[0], [1, 0])


def test_tiers_with_missing_customer_ids_equal_the_full_history():
    from clvkit.segments._base import customer_history

    tx = ladder(50)
    tx.loc[[3, 7], "customer_id"] = None
    tiers = customer_tiers(tx, observation_end=END)
    hist = customer_history(tx, END)
    pd.testing.assert_frame_equal(tiers[["revenue", "margin"]], hist[["revenue", "margin"]])


def test_customer_value_in_another_order_or_with_duplicates():
    tx = ladder(30)
    value = pd.Series(np.arange(30, dtype=float)[::-1], index=tx["customer_id"][::-1].to_numpy())
    shuffled = value.sample(frac=1.0, random_state=2)
    pd.testing.assert_frame_equal(customer_tiers(tx, observation_end=END, customer_value=shuffled),
                                  customer_tiers(tx, observation_end=END, customer_value=value))
    doubled = pd.concat([value, value.iloc[:2]])
    with pytest.raises(ck.DataValidationError, match="customer_value has 2 duplicated"):
        customer_tiers(tx, observation_end=END, customer_value=doubled)


def test_value_tiers_of_a_scored_table_equal_the_tiers_from_the_data():
    ds = ck.datasets.make_demo(800, seed=6)
    value = ds.transactions.groupby("customer_id")["amount"].mean()
    scored = ck.segments.scored_customers(ds, customer_value=value)
    want = value_tiers(ds, customer_value=value)
    got = value_tiers(labelled(scored, "en"))
    pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-12)
    assert got.attrs.keys() == want.attrs.keys()
    for key, expected in want.attrs.items():  # floats to the last bits (pandas 3 sums)
        assert got.attrs[key] == (pytest.approx(expected, rel=1e-12)
                                  if isinstance(expected, float) else expected)
    with pytest.raises(ck.ParameterError, match="cannot change them"):
        value_tiers(scored, customer_value=value)
    with pytest.raises(ck.ParameterError, match="pass the cuts the table was made with"):
        value_tiers(scored, cuts=(0.1, 0.5))
