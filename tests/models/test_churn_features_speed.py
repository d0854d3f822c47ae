"""The churn features grouped by integer codes equal the features grouped by the ids."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit.models.churn_features import churn_feature_table


def _by_id(tx: pd.DataFrame, boundary: pd.Timestamp) -> pd.DataFrame:
    """The features grouped by the customer id strings (the path before the codes)."""
    g = tx.groupby("customer_id", sort=True)
    out = pd.DataFrame({
        "recency_days": (boundary - g["timestamp"].max()).dt.total_seconds() / 86400,
        "n_orders": g.size().astype(float), "total_spend": g["amount"].sum(),
        "margin_rate": g["gross_margin"].sum() / g["amount"].sum(),
    })
    days = tx.assign(_day=tx["timestamp"].dt.normalize()).drop_duplicates(
        ["customer_id", "_day"])
    gaps = days.sort_values(["customer_id", "_day"]).groupby("customer_id")["_day"]
    gaps = gaps.diff().dt.days.dropna().groupby(days["customer_id"])
    out["n_purchase_days"] = days.groupby("customer_id").size().astype(float)
    out["ipt_mean_days"], out["ipt_std_days"] = gaps.mean(), gaps.std()
    recent = tx[tx["timestamp"] >= boundary - pd.Timedelta(days=90)]
    out["spend_last_90d"] = recent.groupby("customer_id")["amount"].sum().reindex(
        out.index, fill_value=0.0)
    mode = tx.groupby(["customer_id", "channel"]).size().rename("n").reset_index()
    mode = mode.sort_values(["customer_id", "n", "channel"], ascending=[True, False, True])
    out["purchase_channel"] = mode.drop_duplicates("customer_id").set_index(
        "customer_id")["channel"].astype(str)
    return out


@pytest.mark.parametrize("days_before_end", [0, 200])
def test_features_equal_the_id_grouped_path_to_the_last_bit(days_before_end):
    ds = ck.load_data("demo", demo_customers=1500, seed=7)
    end = ds.transactions["timestamp"].max().normalize() - pd.Timedelta(days=days_before_end)
    got = churn_feature_table(ds.transactions, cutoff=end)
    boundary = end + pd.Timedelta(days=1)
    tx = ds.transactions[ds.transactions["timestamp"] < boundary]
    want = _by_id(tx, boundary)
    assert got.index.name == "customer_id" and got.index.dtype == want.index.dtype
    assert got.index.equals(want.index) and got.index.is_monotonic_increasing
    pd.testing.assert_frame_equal(got[list(want.columns)], want, check_exact=True,
                                  check_names=False)
    assert np.isfinite(got["recency_days"]).all()
