"""rfm_summary's chunked pass over a log in (customer, time) order equals the general path."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit import _sorted_summary, summary
from clvkit.datasets import make_demo


def _general(tx: pd.DataFrame, **kwargs) -> pd.DataFrame:
    """rfm_summary through the sort-based path only."""
    with mock.patch.object(summary, "_sorted_aggregates", lambda *a: None):
        return ck.rfm_summary(tx, **kwargs)


@pytest.fixture(scope="module")
def ordered() -> pd.DataFrame:
    tx = make_demo(400, seed=5).transactions
    tx = tx.sort_values(["customer_id", "timestamp"], kind="mergesort")
    return tx.assign(customer_id=pd.factorize(tx["customer_id"], sort=True)[0])


@pytest.mark.parametrize("chunk", [2, 7, 64, 1 << 18])
@pytest.mark.parametrize("freq", ["W7", "D", "W", "M"])
def test_chunked_pass_equals_the_sort_path(ordered, freq, chunk):
    """Chunks of 2 and 7 rows cut customers and same-day runs at every boundary."""
    with mock.patch.object(_sorted_summary, "CHUNK", chunk):
        got = ck.rfm_summary(ordered, observation_end="2025-06-30", freq=freq)
    pd.testing.assert_frame_equal(got, _general(ordered, observation_end="2025-06-30",
                                                freq=freq), check_exact=False, rtol=1e-12)


def test_chunked_pass_without_amounts(ordered):
    with mock.patch.object(_sorted_summary, "CHUNK", 5):
        got = ck.rfm_summary(ordered, observation_end="2025-06-30", monetary_col=None)
    pd.testing.assert_frame_equal(got, _general(ordered, observation_end="2025-06-30",
                                                monetary_col=None))
    assert "monetary_value" not in got


def test_same_day_repeats_count_once_and_their_spend_adds():
    tx = pd.DataFrame({"customer_id": [1, 1, 1, 1, 2, 3, 3],
                       "timestamp": pd.to_datetime(["2024-01-01 09:00", "2024-01-01 18:00",
                                                    "2024-01-05 08:00", "2024-01-05 12:00",
                                                    "2024-01-02 11:00", "2024-01-03 09:00",
                                                    "2024-01-03 10:00"]),
                       "amount": [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0]})
    with mock.patch.object(_sorted_summary, "CHUNK", 3):
        out = ck.rfm_summary(tx, observation_end="2024-01-10", freq="D")
    assert out["frequency"].tolist() == [1, 0, 0]
    assert out["recency"].tolist() == [4.0, 0.0, 0.0]
    assert out["T"].tolist() == [9.0, 8.0, 7.0]
    assert out["monetary_value"].tolist() == [12.0, 0.0, 0.0]


@pytest.mark.parametrize("where", ["id", "time"])
def test_a_row_out_of_order_falls_back_to_the_sort(ordered, where):
    """One swapped pair late in the log: the chunked pass gives up, the result is exact."""
    tx = ordered.copy()
    col = "customer_id" if where == "id" else "timestamp"
    # two rows of different customers (id) or of one customer on different days (time)
    same = tx["customer_id"].to_numpy()
    pairs = np.flatnonzero((same[1:] != same[:-1]) if where == "id" else (
        (same[1:] == same[:-1]) & (tx["timestamp"].dt.normalize().to_numpy()[1:]
                                   != tx["timestamp"].dt.normalize().to_numpy()[:-1])))
    i = int(pairs[-1])
    values = tx[col].to_numpy().copy()
    values[[i, i + 1]] = values[[i + 1, i]]
    tx[col] = values
    with mock.patch.object(_sorted_summary, "CHUNK", 16):
        ids = tx["customer_id"].to_numpy()
        assert _sorted_summary.sorted_aggregates(
            ids, lambda lo, hi, out: summary._period(tx["timestamp"].to_numpy()[lo:hi], "D"),
            None) is None
        got = ck.rfm_summary(tx, observation_end="2025-06-30", freq="D")
    pd.testing.assert_frame_equal(got, _general(tx, observation_end="2025-06-30", freq="D"))


def test_text_ids_take_the_sort_path(ordered):
    text = ordered.assign(customer_id="c" + ordered["customer_id"].astype(str).str.zfill(4))
    assert summary._sorted_aggregates(
        summary._prepare(text, "customer_id", "timestamp", "amount", "t"), "D") is None
    np.testing.assert_allclose(
        ck.rfm_summary(text, observation_end="2025-06-30").to_numpy(),
        ck.rfm_summary(ordered, observation_end="2025-06-30").to_numpy(), rtol=1e-12)

