"""The scoring run's shortcuts (shared customer codes, one action placement) give the
numbers of the plain paths."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit._codes import distinct_per_code, shared_codes
from clvkit.metrics.churn import churn_rate, churn_series
from clvkit.scoring import ScoreSettings
from clvkit.scoring._kpis import _coded, active_mask, at_risk_mask
from clvkit.segments._base import customer_history, rank_desc
from clvkit.segments.actions import action_matrix, assign_actions, matrix_of
from clvkit.segments.export import scored_customers, scored_with_actions
from clvkit.summary import calibration_holdout_split


@pytest.fixture(scope="module")
def demo():
    return ck.load_data("demo", demo_customers=800, seed=3)


def test_holdout_split_is_the_same_with_shared_codes(demo):
    tx = demo.transactions
    end = tx["timestamp"].max().normalize()
    cal_end = end - pd.Timedelta(weeks=26)
    plain = calibration_holdout_split(tx, cal_end, end)
    with shared_codes(tx):
        shared = calibration_holdout_split(tx, cal_end, end)
    pd.testing.assert_frame_equal(plain, shared, check_exact=True)
    assert plain.attrs == shared.attrs
    # and equal to the split computed from the id strings (a copy is not shared)
    by_ids = calibration_holdout_split(tx.assign(customer_id=tx["customer_id"].astype(object)),
                                       cal_end, end)
    pd.testing.assert_frame_equal(plain, by_ids, check_exact=True)


def test_customer_history_is_the_same_with_shared_codes(demo):
    tx = demo.transactions
    plain = customer_history(tx)
    with shared_codes(tx):
        shared = customer_history(tx)
    pd.testing.assert_frame_equal(plain, shared, check_exact=True)
    grouped = tx.groupby("customer_id", sort=True)
    pd.testing.assert_series_equal(plain["orders"], grouped["order_id"].nunique().astype(
        "int64"), check_names=False)
    assert plain.index.equals(grouped.size().index)


def test_distinct_orders_equal_nunique_with_missing_and_repeated_orders():
    ids = pd.Series(["b", "a", "b", "c", "a", "b", "c"])
    orders = pd.Series(["o1", "o2", "o1", None, "o3", "o4", "o5"])
    codes, uniques = pd.factorize(ids, sort=True)
    got = distinct_per_code(codes.astype(np.int64), len(uniques), orders)
    want = orders.groupby(ids).nunique()
    np.testing.assert_array_equal(got, want.to_numpy())


@pytest.mark.parametrize("values", [
    [3.0, 1.0, 3.0, np.nan, -np.inf, 0.0, -0.0, 1.0],
    [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
])
def test_rank_desc_fast_path_equals_the_id_sort(values):
    ids = [f"C{i:03d}" for i in range(len(values))]
    sorted_ids = pd.Series(values, index=pd.Index(ids, name="customer_id"))
    shuffled = sorted_ids.iloc[[4, 0, 7, 2, 5, 1, 6, 3]]  # not ascending: general path
    fast = rank_desc(sorted_ids)
    general = rank_desc(shuffled).reindex(sorted_ids.index)
    pd.testing.assert_series_equal(fast, general, check_names=False)


def test_churn_rates_on_coded_ids_are_the_same(demo):
    tx = demo.transactions
    end = tx["timestamp"].max().normalize()
    coded = _coded(tx)
    assert coded["customer_id"].dtype.kind == "i"
    a = churn_rate(demo, period_months=12, inactivity_days=365, observation_end=end)
    b = churn_rate(coded, period_months=12, inactivity_days=365, observation_end=end)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame(), check_exact=True)
    pd.testing.assert_frame_equal(
        churn_series(demo, period_months=1, inactivity_days=365, observation_end=end),
        churn_series(coded, period_months=1, inactivity_days=365, observation_end=end),
        check_exact=True)
    no_ids = tx.drop(columns="customer_id")
    assert _coded(no_ids) is no_ids  # left to churn_rate to say what is missing


@pytest.mark.parametrize("matrix", ["value_profit", "value_alive"])
def test_matrix_from_the_scored_placement_equals_action_matrix(demo, matrix):
    tx = demo.transactions
    end = tx["timestamp"].max().normalize()
    value = ck.score(demo, churn_classifier=False).value_frame()
    kw = {"observation_end": end, "customer_value": value, "matrix": matrix,
          "margin_rate": 0.4}
    scored, assigned = scored_with_actions(demo, **kw)
    pd.testing.assert_frame_equal(scored, scored_customers(demo, **kw), check_exact=True)
    pd.testing.assert_frame_equal(assigned, assign_actions(demo, **kw), check_exact=True)
    pd.testing.assert_frame_equal(matrix_of(assigned), action_matrix(demo, **kw),
                                  check_exact=True)


def test_active_mask_is_the_rule_behind_at_risk():
    customers = pd.DataFrame({"recency_days": [0, 30, 31, 400],
                              "churn_risk": [0.9, 0.9, 0.9, 0.9]})
    s = ScoreSettings(inactivity_days=30, at_risk_threshold=0.5)
    np.testing.assert_array_equal(active_mask(customers, 30), [True, True, False, False])
    np.testing.assert_array_equal(at_risk_mask(customers, s), active_mask(customers, 30))


def test_values_by_position_equal_mapping_by_text_id():
    from clvkit.scoring._intervals import by_position, id_positions

    scored = pd.DataFrame({"customer_id": ["3", "1", "9", "2"]})
    values = pd.Series([0.5, np.nan, 2.0], index=pd.Index([1, 2, 3], name="customer_id"))
    want = scored["customer_id"].map(values.set_axis(values.index.astype(str))).astype(float)
    got = by_position(values, id_positions(scored, values.index))
    np.testing.assert_array_equal(got, want.to_numpy())
    empty = pd.Series([], dtype=float, index=pd.Index([], name="customer_id"))
    assert np.isnan(by_position(empty, id_positions(scored, empty.index))).all()


@pytest.mark.parametrize("keys", [[], [7], [3, 1, 3, -2, 1, 9, 9], list(range(50, 0, -3))])
def test_sorted_unique_equals_numpy_unique(keys):
    from clvkit._codes import sorted_unique

    keys = np.asarray(keys, dtype=np.int64)
    np.testing.assert_array_equal(sorted_unique(keys), np.unique(keys))


@pytest.mark.parametrize("ids", [
    ["b", "a", None, "é", "e", "z", "ü", "a", np.nan, "", "😀", "ÿ", "Z", "a"],
    ["C2", "C10", "C1", "C2"],
    [],
])
def test_text_ids_sorted_codes_equal_pandas_factorize(ids):
    from clvkit._codes import factorize_ids

    series = pd.Series(ids, dtype=object)
    codes, uniques = factorize_ids(series, sort=True)
    want_codes, want_uniques = pd.factorize(series, sort=True)
    np.testing.assert_array_equal(codes, want_codes)
    assert list(uniques) == list(np.asarray(want_uniques))


@pytest.mark.parametrize("ids", [[1, 2, 1], [1, "a"], [b"a", "b"]])
def test_ids_that_are_not_all_text_get_the_codes_of_pandas(ids):
    from clvkit._codes import customer_codes

    frame = pd.DataFrame({"customer_id": pd.Series(ids, dtype=object)})
    codes, _ = customer_codes(frame)
    np.testing.assert_array_equal(codes, pd.factorize(frame["customer_id"], sort=True)[0])
