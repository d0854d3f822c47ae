"""The money link's fast paths give the numbers of the plain computations, bit for bit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit._ids import positions
from clvkit.metrics import _resample as rs
from clvkit.metrics import _spells, customer_satisfaction_table, satisfaction_value_link
from clvkit.metrics import value_link as vl
from clvkit.metrics.churn import shift_months
from clvkit.metrics.effort import effort_groups
from clvkit.metrics.satisfaction import nps_groups


def _plain_table(ds, *, observation_end=None, period_months=12, inactivity_days=365):
    """The table as grouping every transaction by customer builds it (the reference)."""
    tx, sv = ds.transactions, ds.surveys
    end = pd.Timestamp(observation_end or ds.observation_end or tx["timestamp"].max().normalize())
    tx = tx.loc[tx["timestamp"] < end + pd.Timedelta(days=1)]
    sv = sv.loc[sv["date"] < end + pd.Timedelta(days=1)].sort_values("date", kind="stable")
    latest = sv.groupby("customer_id").last()[["nps", "ces"]]
    latest["nps_group"] = nps_groups(latest["nps"])
    latest["effort_group"] = effort_groups(latest["ces"])
    grouped = tx.groupby("customer_id")
    first = grouped["timestamp"].min().dt.normalize()
    years = ((end - first).dt.days / 365.25).clip(lower=1)
    money = pd.DataFrame({"spend": grouped["amount"].sum(), "tenure_years": years})
    money["spend_per_year"] = money["spend"] / money["tenure_years"]
    spells = _spells.inactivity_spells(tx, inactivity_days, end)
    parts = _spells.customer_parts(spells, shift_months(end, period_months), end)
    return latest.join(money.join(parts), how="inner")


@pytest.fixture(scope="module")
def demo():
    return ck.datasets.make_demo(600, seed=5)


@pytest.mark.parametrize(("inactivity_days", "period_months", "observation_end"),
                         [(365, 12, None), (30, 3, None), (90, 12, "2024-06-30"), (1, 1, None)])
def test_table_equals_grouping_every_transaction(demo, inactivity_days, period_months,
                                                 observation_end):
    got = customer_satisfaction_table(demo, observation_end=observation_end,
                                      inactivity_days=inactivity_days,
                                      period_months=period_months)
    want = _plain_table(demo, observation_end=observation_end,
                        inactivity_days=inactivity_days, period_months=period_months)
    assert got["lost"].sum() > 0  # the churn pieces are exercised
    pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_table_with_whole_number_ids_unsurveyed_buyers_and_same_day_repeats(demo):
    to_int = lambda frame: frame.assign(  # noqa: E731
        customer_id=frame["customer_id"].str[1:].astype("int64"))
    tx = to_int(demo.transactions)
    tx = pd.concat([tx, tx.iloc[::7]], ignore_index=True)  # same-day repeat purchases
    ds = ck.Dataset(transactions=tx, surveys=to_int(demo.surveys),
                    observation_end=demo.observation_end)
    got = customer_satisfaction_table(ds)
    assert len(got) < tx["customer_id"].nunique()  # buyers without an answer are left out
    pd.testing.assert_frame_equal(got, _plain_table(ds), check_exact=True)


def _plain_bootstrap(arrays, stat, n_boot, rng):
    n = arrays[0].size
    chunk = max(1, rs._MAX_CELLS // n)
    out = []
    for start in range(0, n_boot, chunk):
        idx = rng.integers(0, n, size=(min(chunk, n_boot - start), n))
        out.append(stat(*(a[idx] for a in arrays)))
    return np.concatenate(out)


@pytest.mark.parametrize("n", [1, 2, 7, 1000, 65_537, 300_001])
def test_bootstrap_draws_equal_plain_resampling(n, monkeypatch):
    monkeypatch.setattr(rs, "_MAX_CELLS", 600_000)  # several chunks and blocks per call
    monkeypatch.setattr(rs, "_CACHE_CELLS", 70_000)
    gen = np.random.default_rng(n)
    x = gen.gamma(2.0, 50.0, n)
    got = rs.bootstrap([x], rs.mean, 23, np.random.default_rng(1))
    want = _plain_bootstrap([x], rs.mean, 23, np.random.default_rng(1))
    np.testing.assert_array_equal(got, want)
    lost, a, b = (gen.integers(0, 2, n).astype(float) for _ in range(3))
    packed, stat = rs.pack_churn([lost, a, b])
    assert stat is rs._churn_packed and len(packed) == 1
    got = rs.bootstrap(packed, stat, 23, np.random.default_rng(2))
    want = _plain_bootstrap([lost, a, b], rs.churn, 23, np.random.default_rng(2))
    np.testing.assert_array_equal(got, want)
    assert stat(*packed) == rs.churn(lost, a, b) or n == 1


def test_churn_pieces_that_do_not_pack_keep_the_plain_statistic():
    lost, a, b = np.array([0.5, 1.0]), np.array([1.0, 0.0]), np.array([1.0, 1.0])
    arrays, stat = rs.pack_churn([lost, a, b])
    assert stat is rs.churn and arrays == [lost, a, b]


def test_link_equals_plain_bootstrap(demo, monkeypatch):
    value = demo.transactions.groupby("customer_id")["amount"].mean()
    fast = satisfaction_value_link(demo, by="ces", value=value, n_boot=300, random_state=4)
    monkeypatch.setattr(vl, "bootstrap", _plain_bootstrap)
    monkeypatch.setattr(vl, "pack_churn", lambda arrays: (arrays, rs.churn))
    plain = satisfaction_value_link(demo, by="ces", value=value, n_boot=300, random_state=4)
    pd.testing.assert_frame_equal(fast.table, plain.table, check_exact=True)


@pytest.mark.parametrize("ids", [
    ["b", "a", None, "zz", "a", np.nan, "中文", "c"],
    [3, 1, 2, 9],
    ["a", 1, "b", b"a"],  # mixed: the plain look-up
])
def test_positions_equal_get_indexer(ids):
    index = pd.Index(["a", "b", "c", "中文"]) if isinstance(ids[0], str) else pd.Index([1, 2, 3])
    series = pd.Series(ids, dtype=object)
    got = positions(index, series)
    np.testing.assert_array_equal(got, index.get_indexer(series))
    assert got.dtype == np.int64
