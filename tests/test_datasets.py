"""Tests of the bundled data sets: the synthetic demo and CDNOW."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit.datasets import (
    DEMO_OBSERVATION_END,
    load_cdnow,
    load_cdnow_dataset,
    make_demo,
    write_demo,
)
from clvkit.datasets._cdnow import read_lifetimes_csv


@pytest.fixture(scope="module")
def demo() -> ck.Dataset:
    return make_demo(2000, seed=42)


@pytest.fixture(scope="module")
def small() -> ck.Dataset:
    return make_demo(300, seed=7)


# --- make_demo: determinism and schema ---------------------------------------------


def test_same_seed_gives_identical_frames(small):
    again = make_demo(300, seed=7)
    pd.testing.assert_frame_equal(small.transactions, again.transactions)
    pd.testing.assert_frame_equal(small.customers, again.customers)
    pd.testing.assert_frame_equal(small.surveys, again.surveys)


def test_other_seed_gives_other_data(small):
    other = make_demo(300, seed=8)
    assert not small.transactions[["timestamp", "amount"]].equals(
        other.transactions[["timestamp", "amount"]])
    assert not small.surveys["nps"].equals(other.surveys["nps"])


def test_name_and_observation_end(small, demo):
    assert small.name == "demo (300 customers, seed 7)"
    assert demo.name == "demo (2,000 customers, seed 42)"
    assert small.observation_end == pd.Timestamp("2025-06-30") == DEMO_OBSERVATION_END


def test_transactions_schema(small):
    tx = small.transactions
    assert list(tx.columns) == ["customer_id", "order_id", "timestamp", "amount", "quantity",
                                "gross_margin", "channel", "category"]
    assert tx["timestamp"].dtype == "datetime64[ns]"
    assert tx["amount"].dtype == "float64" and tx["gross_margin"].dtype == "float64"
    assert tx["quantity"].dtype == "int64"
    assert tx["order_id"].is_unique
    assert tx["timestamp"].is_monotonic_increasing
    assert set(tx["channel"]) == {"online", "store", "app"}
    assert {"membership", "apparel", "electronics"} <= set(tx["category"])
    # time of day is present, not only midnight
    assert (tx["timestamp"].dt.hour > 0).mean() > 0.9


def test_customers_schema(small):
    cu = small.customers
    assert list(cu.columns) == ["customer_id", "signup_date", "channel", "region",
                                "acquisition_cost", "cost_to_serve", "contract",
                                "churn_date", "name", "email", "phone"]
    assert cu["customer_id"].tolist()[:2] == ["C00001", "C00002"]
    assert cu["customer_id"].is_unique and len(cu) == 300
    assert cu["signup_date"].dtype == "datetime64[ns]"
    assert cu["churn_date"].dtype == "datetime64[ns]"
    assert set(cu["channel"]) == {"search", "social", "referral", "store"}
    assert set(cu["region"]) == {"North", "South", "East", "West"}
    assert set(cu["contract"]) == {"subscription", "none"}
    assert cu["email"].str.endswith("@example.com").all()
    assert cu["phone"].str.fullmatch(r"\+86 1\d\d \d{4} \d{4}").all()


def test_surveys_schema(small):
    sv = small.surveys
    assert list(sv.columns) == ["customer_id", "date", "nps", "ces", "comment"]
    assert sv["date"].dtype == "datetime64[ns]"
    assert sv["nps"].dtype == "int64" and sv["ces"].dtype == "int64"
    assert (sv["date"] == sv["date"].dt.normalize()).all()


# --- make_demo: value ranges and integrity --------------------------------------------


def test_value_ranges(demo):
    tx, cu, sv = demo.transactions, demo.customers, demo.surveys
    assert (tx["amount"] > 0).all()
    assert (tx["quantity"] >= 1).all()
    assert ((tx["gross_margin"] > 0) & (tx["gross_margin"] < tx["amount"])).all()
    assert sv["nps"].between(0, 10).all() and sv["ces"].between(1, 7).all()
    assert set(sv["nps"]) == set(range(11)) and set(sv["ces"]) == set(range(1, 8))
    assert (cu["acquisition_cost"] > 0).all() and (cu["cost_to_serve"] > 0).all()


def test_nothing_after_observation_end(demo):
    end = demo.observation_end
    assert demo.transactions["timestamp"].max() <= end
    assert demo.surveys["date"].max() <= end
    assert demo.customers["churn_date"].max() <= end
    assert demo.transactions["timestamp"].min() >= pd.Timestamp("2023-01-01")


def test_every_row_belongs_to_a_known_customer(demo):
    known = set(demo.customers["customer_id"])
    assert set(demo.transactions["customer_id"]) == known  # everyone bought at least once
    assert set(demo.surveys["customer_id"]) <= known


def test_signup_precedes_first_purchase_and_churn(demo):
    cu = demo.customers.set_index("customer_id")
    first = demo.transactions.groupby("customer_id")["timestamp"].min()
    lag = (first.dt.normalize() - cu["signup_date"]).dt.days
    assert lag.between(0, 30).all()
    assert (lag == 0).mean() > 0.5
    churned = cu["churn_date"].notna()
    assert (cu.loc[churned, "churn_date"] > cu.loc[churned, "signup_date"]).all()


def test_contractual_subset(demo):
    cu, tx = demo.customers, demo.transactions
    subs = cu["contract"] == "subscription"
    assert 0.20 < subs.mean() < 0.30
    assert cu.loc[~subs, "churn_date"].isna().all()
    assert 0.3 < cu.loc[subs, "churn_date"].notna().mean() < 0.9
    members = set(tx.loc[tx["category"] == "membership", "customer_id"])
    assert members <= set(cu.loc[subs, "customer_id"])
    # months paid = (churn_date - signup_date) / 30.4375 days, one renewal per month paid
    c = cu[subs & cu["churn_date"].notna()].set_index("customer_id")
    months = np.round((c["churn_date"] - c["signup_date"]).dt.days / 30.4375).astype(int)
    renewals = tx[tx["category"] == "membership"].groupby("customer_id").size()
    inside = c["signup_date"] >= pd.Timestamp("2023-01-01")
    assert (renewals.reindex(c.index[inside]) == months[inside]).all()


def test_survey_coverage(demo):
    sv = demo.surveys
    share = sv["customer_id"].nunique() / len(demo.customers)
    assert 0.35 < share < 0.45
    assert (sv["customer_id"].value_counts() == 2).sum() > 50
    comments = sv["comment"].dropna()
    assert 0.3 < len(comments) / len(sv) < 0.6
    assert comments.str.contains(r"[\u4e00-\u9fff]").any()
    assert sv["comment"].isna().any()


def test_seasonality_peaks_in_november(demo):
    tx = demo.transactions[demo.transactions["category"] != "membership"]
    year = tx[tx["timestamp"].dt.year == 2024]
    by_month = year.groupby(year["timestamp"].dt.month)["amount"]
    assert by_month.size().idxmax() == 11
    assert by_month.mean()[11] > by_month.mean()[[3, 4, 8, 9]].mean()


# --- make_demo: built-in relationships -------------------------------------------------


def _customer_view(ds: ck.Dataset) -> pd.DataFrame:
    tx, end = ds.transactions, ds.observation_end
    products = tx[tx["category"] != "membership"]
    last = ds.surveys.sort_values("date").groupby("customer_id").last()
    view = ds.customers.set_index("customer_id").join(last[["nps", "ces"]])
    view["group"] = pd.cut(view["nps"], [-1, 6, 8, 10],
                           labels=["detractor", "passive", "promoter"])
    view["first"] = tx.groupby("customer_id")["timestamp"].min()
    view["inactive"] = (end - products.groupby("customer_id")["timestamp"].max()).dt.days > 180
    view["order_value"] = products.groupby("customer_id")["amount"].mean()
    view["churned"] = view["churn_date"].notna()
    return view


def test_detractors_churn_and_lapse_more_than_promoters(demo):
    v = _customer_view(demo)
    old = v[v["first"] < demo.observation_end - pd.Timedelta(days=365)]
    lapse = old.groupby("group", observed=True)["inactive"].mean()
    assert lapse["detractor"] > lapse["promoter"] + 0.05
    subs = v[v["contract"] == "subscription"]
    churn = subs.groupby("group", observed=True)["churned"].mean()
    assert churn["detractor"] > churn["promoter"] + 0.1


def test_detractors_spend_less(demo):
    v = _customer_view(demo)
    value = v.groupby("group", observed=True)["order_value"].mean()
    assert value["detractor"] < value["passive"] < value["promoter"]


def test_high_effort_customers_churn_more(demo):
    v = _customer_view(demo)
    high = v["ces"] >= 5
    low = v["ces"] <= 2
    subs = v["contract"] == "subscription"
    assert v.loc[high & subs, "churned"].mean() > v.loc[low & subs, "churned"].mean() + 0.1
    assert v.loc[high, "inactive"].mean() > v.loc[low, "inactive"].mean()


def test_top_fifth_of_customers_brings_most_revenue(demo):
    revenue = demo.transactions.groupby("customer_id")["amount"].sum()
    top = revenue.nlargest(len(revenue) // 5)
    assert 0.60 < top.sum() / revenue.sum() < 0.80


def test_some_big_spenders_are_unprofitable(demo):
    tx, cu = demo.transactions, demo.customers.set_index("customer_id")
    revenue = tx.groupby("customer_id")["amount"].sum()
    first = tx.groupby("customer_id")["timestamp"].min()
    years = ((demo.observation_end - first).dt.days / 365.25).clip(lower=0.5)
    net = tx.groupby("customer_id")["gross_margin"].sum() / years - cu["cost_to_serve"]
    top = revenue.nlargest(len(revenue) // 5).index
    assert 3 <= (net[top] < 0).sum() <= 0.15 * len(top)


def test_small_demo_still_has_every_group(small):
    v = _customer_view(small)
    assert set(v["group"].dropna()) == {"detractor", "passive", "promoter"}
    assert v["churned"].sum() >= 5
    assert (small.transactions["category"] == "membership").any()


def test_make_demo_rejects_bad_arguments():
    with pytest.raises(ck.ParameterError, match="n_customers must be a positive integer; got 0"):
        make_demo(0)
    with pytest.raises(ck.ParameterError, match=r"n_customers must be .* got 2\.5"):
        make_demo(2.5)
    with pytest.raises(ck.ParameterError, match="seed must be an integer; got '1'"):
        make_demo(10, seed="1")


# --- write_demo ---------------------------------------------------------------------


def test_write_demo_round_trips(tmp_path):
    paths = write_demo(tmp_path / "out", n_customers=50, seed=3)
    assert sorted(p.name for p in paths) == sorted(
        f"{t}.{f}" for t in ("transactions", "customers", "surveys") for f in ("csv", "parquet"))
    ds = make_demo(50, seed=3)
    back = pd.read_parquet(tmp_path / "out" / "customers.parquet")
    pd.testing.assert_frame_equal(back, ds.customers)
    csv = pd.read_csv(tmp_path / "out" / "transactions.csv", encoding="utf-8",
                      parse_dates=["timestamp"])
    pd.testing.assert_series_equal(csv["amount"], ds.transactions["amount"])
    assert (csv["timestamp"] == ds.transactions["timestamp"]).all()
    text = (tmp_path / "out" / "customers.csv").read_text(encoding="utf-8")
    assert text.startswith("customer_id,signup_date")


def test_write_demo_csv_only_and_bad_format(tmp_path):
    paths = write_demo(tmp_path, n_customers=20, formats="csv")
    assert [p.suffix for p in paths] == [".csv"] * 3
    with pytest.raises(ck.ParameterError, match=r"'csv', 'parquet'; got \['xlsx'\]"):
        write_demo(tmp_path, n_customers=20, formats=("xlsx",))


# --- CDNOW ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return load_cdnow()


@pytest.fixture(scope="module")
def cdnow_sample() -> pd.DataFrame:
    return load_cdnow(sample=True)


def test_cdnow_full_counts_and_schema(cdnow):
    assert list(cdnow.columns) == ["customer_id", "timestamp", "amount", "quantity"]
    assert dict(cdnow.dtypes.astype(str)) == {"customer_id": "int64",
                                              "timestamp": "datetime64[ns]",
                                              "amount": "float64", "quantity": "int64"}
    assert len(cdnow) == 69_659
    assert cdnow["customer_id"].nunique() == 23_570
    assert cdnow["customer_id"].min() == 1 and cdnow["customer_id"].max() == 23_570
    assert cdnow["timestamp"].min() == pd.Timestamp("1997-01-01")
    assert cdnow["timestamp"].max() == pd.Timestamp("1998-06-30")
    # the issue's facts about the raw file: kept as they are
    assert cdnow.duplicated().sum() == 255
    assert (cdnow["amount"] == 0).sum() == 80


def test_cdnow_first_rows_match_raw_file(cdnow):
    # raw file: " 00001 19970101  1   11.77" / " 00002 19970112  1   12.00"
    first = cdnow.iloc[0]
    assert (first["customer_id"], first["timestamp"], first["quantity"], first["amount"]) == (
        1, pd.Timestamp("1997-01-01"), 1, 11.77)
    assert cdnow.iloc[1]["amount"] == 12.0 and cdnow.iloc[1]["quantity"] == 1
    assert cdnow["quantity"].min() >= 1
    # totals computed from the raw file with awk: sum of column 4 and of column 3
    assert round(cdnow["amount"].sum(), 2) == 2_500_315.63
    assert cdnow["quantity"].sum() == 167_881


def test_cdnow_sample_counts_and_ids(cdnow, cdnow_sample):
    assert list(cdnow_sample.columns) == ["customer_id", "timestamp", "amount", "quantity",
                                          "master_id"]
    assert len(cdnow_sample) == 6_919
    assert cdnow_sample["customer_id"].nunique() == 2_357
    assert set(cdnow_sample["customer_id"]) == set(range(1, 2_358))
    # one master id per sample id, and the rows are exactly the master file's rows
    assert cdnow_sample.groupby("customer_id")["master_id"].nunique().eq(1).all()
    cols = ["customer_id", "timestamp", "amount", "quantity"]
    from_master = cdnow[cdnow["customer_id"].isin(cdnow_sample["master_id"])][cols]
    mine = cdnow_sample.assign(customer_id=cdnow_sample["master_id"])[cols]
    key = ["customer_id", "timestamp", "amount", "quantity"]
    pd.testing.assert_frame_equal(from_master.sort_values(key, ignore_index=True),
                                  mine.sort_values(key, ignore_index=True))
    # sample customers are numbered in order of first purchase
    assert cdnow_sample.groupby("customer_id")["timestamp"].min().is_monotonic_increasing


def test_cdnow_sample_reproduces_lifetimes_summary_file(cdnow_sample):
    """lifetimes' cdnow_customers_summary.csv is the 39-week calibration summary of the
    sample in exact weeks (days / 7, rounded to 2 decimals): lifetimes' own
    summary_data_from_transaction_data with freq="D", freq_multiplier=7 reproduces it."""
    from lifetimes.utils import summary_data_from_transaction_data

    cal = cdnow_sample[cdnow_sample["timestamp"] <= "1997-09-30"]
    got = summary_data_from_transaction_data(
        cal, "customer_id", "timestamp", monetary_value_col="amount",
        observation_period_end="1997-09-30", freq="D", freq_multiplier=7)
    ref = read_lifetimes_csv(  # as lifetimes' load_cdnow_summary_data_with_monetary_value
        "cdnow_customers_summary_with_transactions.csv", header=0, index_col="customer_id",
        names=["customer_id", "frequency", "recency", "T", "monetary_value"])
    assert len(got) == len(ref) == 2_357
    np.testing.assert_array_equal(got["frequency"].to_numpy(), ref["frequency"].to_numpy())
    for col in ("recency", "T"):
        np.testing.assert_allclose(got[col].round(2).to_numpy(), ref[col].to_numpy())
    np.testing.assert_allclose(got["monetary_value"], ref["monetary_value"], atol=0.0051)


def test_cdnow_dataset_wrapper():
    ds = load_cdnow_dataset(sample=True)
    assert ds.observation_end == pd.Timestamp("1998-06-30")
    assert ds.name == "CDNOW 1/10 sample (2,357 customers, 1997-01-01 to 1998-06-30)"
    assert ds.customers is None and ds.surveys is None
    assert ds.extra["source"] == "cdnow-sample" and len(ds.transactions) == 6_919


# --- add_quality_issues -------------------------------------------------------------


def test_add_quality_issues_appends_known_bad_rows_without_touching_input():
    clean = make_demo(200, seed=5)
    before = clean.transactions.copy()
    messy = ck.datasets.add_quality_issues(clean, seed=5)
    pd.testing.assert_frame_equal(clean.transactions, before)
    injected = messy.extra["injected"]
    n_tx = sum(v for k, v in injected.items() if k != "survey_score_out_of_range")
    assert len(messy.transactions) == len(before) + n_tx
    pd.testing.assert_frame_equal(messy.transactions.iloc[: len(before)], before)
    added = messy.transactions.iloc[len(before):]
    assert (added["amount"] < 0).sum() == injected["refund"]
    assert added["customer_id"].isna().sum() == injected["missing_customer_id"]
    assert (added["timestamp"] > clean.observation_end).sum() == injected["after_observation_end"]
    assert not messy.surveys["nps"].between(0, 10).all()
    again = ck.datasets.add_quality_issues(clean, seed=5)
    pd.testing.assert_frame_equal(again.transactions, messy.transactions)


def test_add_quality_issues_needs_observation_end():
    ds = ck.Dataset(transactions=make_demo(50, seed=1).transactions)
    with pytest.raises(ck.ParameterError, match="needs a data set with an observation_end"):
        ck.datasets.add_quality_issues(ds)
