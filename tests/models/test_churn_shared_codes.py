"""Shared customer codes and the memoised permutation importance give the old numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.inspection import permutation_importance

import clvkit as ck
from clvkit._codes import customer_codes, shared_codes, subset_codes
from clvkit.models.churn import evaluate_churn_model
from clvkit.models.churn_classifier import ChurnClassifier, _threads
from clvkit.models.churn_features import churn_labels, make_churn_features
from clvkit.models.churn_scores import _memo_trees, _permutation_importance


@pytest.fixture(scope="module")
def demo():
    return ck.load_data("demo", demo_customers=600, seed=5)


def test_codes_are_the_sorted_factorisation_and_shared_only_for_that_frame(demo):
    tx = demo.transactions
    want_codes, want_ids = pd.factorize(tx["customer_id"], sort=True)
    with shared_codes(tx):
        codes, ids = customer_codes(tx)
        again, _ = customer_codes(tx)
        assert again is codes  # one factorisation for the run
        other, _ = customer_codes(tx.copy())
        assert other is not codes
    np.testing.assert_array_equal(codes, want_codes)
    np.testing.assert_array_equal(ids, np.asarray(want_ids))


def test_subset_codes_equal_factorising_the_subset(demo):
    tx = demo.transactions
    codes, ids = customer_codes(tx)
    rows = (tx["timestamp"] < tx["timestamp"].median()).to_numpy()
    sub, sub_ids, sub_full = subset_codes(codes[rows], ids)
    want_codes, want_ids = pd.factorize(tx.loc[rows, "customer_id"], sort=True)
    np.testing.assert_array_equal(sub, want_codes)
    np.testing.assert_array_equal(sub_ids, np.asarray(want_ids))
    np.testing.assert_array_equal(ids[sub_full], sub_ids)


def test_features_and_labels_equal_inside_and_outside_a_shared_coding(demo):
    tx = demo.transactions
    cutoff = tx["timestamp"].max().normalize() - pd.Timedelta(days=120)
    kw = {"cutoff": cutoff, "churn_window_days": 90, "customers": demo.customers,
          "surveys": demo.surveys}
    X, y = make_churn_features(tx, **kw)
    with shared_codes(tx):
        X2, y2 = make_churn_features(tx, **kw)
    pd.testing.assert_frame_equal(X, X2, check_exact=True)
    pd.testing.assert_series_equal(y, y2, check_exact=True)
    # the public labels (by id) agree with the coded ones
    by_id = churn_labels(tx, X.index, cutoff=cutoff, churn_window_days=90,
                         customers=demo.customers)
    pd.testing.assert_series_equal(y, by_id, check_exact=True)


def test_memoised_trees_give_sklearns_permutation_importance_to_the_bit(demo):
    tx = demo.transactions
    cutoff = tx["timestamp"].max().normalize() - pd.Timedelta(days=200)
    X, y = make_churn_features(tx, cutoff=cutoff, customers=demo.customers,
                               surveys=demo.surveys)
    model = ChurnClassifier(random_state=0).fit(X, y)
    pipe = model.pipeline_
    with _threads(0):
        want = permutation_importance(pipe, X, y, scoring="roc_auc", n_repeats=3,
                                      random_state=1, max_samples=0.5)
        with _memo_trees(pipe):
            got = permutation_importance(pipe, X, y, scoring="roc_auc", n_repeats=3,
                                         random_state=1, max_samples=0.5)
        table = _permutation_importance(pipe, X, y, random_state=1, n_repeats=3,
                                        proba=model.predict_proba(X)[:, 1])
    np.testing.assert_array_equal(got.importances, want.importances)
    # the trees are put back
    boosted = pipe.named_steps["classifier"].calibrated_classifiers_[0].estimator
    assert type(boosted._predictors[0][0]).__name__ == "TreePredictor"
    # the importance table from the known test probabilities equals sklearn's own
    plain = _permutation_importance(pipe, X, y, random_state=1, n_repeats=3)
    pd.testing.assert_frame_equal(table, plain, check_exact=True)


def test_evaluation_is_unchanged_by_an_enclosing_shared_coding(demo):
    a = evaluate_churn_model(demo, churn_window_days=90, n_repeats=2)
    with shared_codes(demo.transactions):
        b = evaluate_churn_model(demo, churn_window_days=90, n_repeats=2)
    for name in ("metrics", "calibration", "importance", "scores"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)


def test_purchase_days_by_integer_keys_equal_the_frame_path(demo):
    from clvkit.models.churn_features import _purchase_days

    tx = demo.transactions
    codes, _ = customer_codes(tx)
    n_days, gaps = _purchase_days(codes, tx["timestamp"])
    # a time-zone-aware column takes the frame path (drop_duplicates, sort, diff)
    n_tz, gaps_tz = _purchase_days(codes, tx["timestamp"].dt.tz_localize("UTC"))
    pd.testing.assert_series_equal(n_days, n_tz, check_exact=True, check_index_type=False,
                                   check_names=False)
    for how in ("mean", "std", "size"):
        a, b = getattr(gaps, how)(), getattr(gaps_tz, how)()
        pd.testing.assert_series_equal(a, b, check_exact=True, check_names=False,
                                       check_index_type=False)
