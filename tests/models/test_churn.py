"""Tests for churn features, the scikit-learn pipeline and its evaluation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from threadpoolctl import threadpool_limits

from clvkit.exceptions import DataValidationError, ParameterError
from clvkit.models import (
    at_risk_customers,
    churn_calibration_table,
    churn_feature_table,
    churn_metrics,
    evaluate_churn_model,
    make_churn_features,
    make_churn_pipeline,
    predict_churn,
)

ts = pd.Timestamp
CUTOFF = "2024-03-31"  # features: up to 2024-03-31 23:59:59; label window from 2024-04-01


@pytest.fixture(scope="module")
def demo_small():
    from clvkit.datasets import make_demo

    return make_demo(n_customers=400, seed=7)


@pytest.fixture(scope="module")
def demo_eval(demo_small):
    ds = demo_small
    return evaluate_churn_model(ds.transactions, cutoff="2025-03-31", churn_window_days=90,
                                customers=ds.customers, surveys=ds.surveys, random_state=0,
                                n_repeats=2)


def _hand_tables():
    transactions = pd.DataFrame({
        "customer_id": ["A", "A", "A", "B", "B", "B", "C", "D"],
        "timestamp": [ts("2024-01-01 12:00"), ts("2024-01-11 12:00"), ts("2024-01-31 12:00"),
                      ts("2024-03-31 09:00"), ts("2024-03-31 18:00"), ts("2024-04-05 10:00"),
                      ts("2024-04-02 08:00"), ts("2024-02-01 10:00")],
        "amount": [100.0, 50.0, 30.0, 20.0, 30.0, 999.0, 40.0, 10.0],
        "gross_margin": [30.0, 10.0, 5.0, 4.0, 6.0, 1.0, 8.0, 1.0],
        "channel": ["app", "store", "app", "online", "online", "store", "app", "app"],
    })
    customers = pd.DataFrame({
        "customer_id": ["A", "B", "C", "D"],
        "signup_date": [ts("2023-12-01"), ts("2024-03-31"), ts("2024-04-02"), ts("2024-01-15")],
        "channel": ["search", "social", "store", "search"],
        "region": ["North", "South", "East", None],
        "contract": ["none", "subscription", "none", "subscription"],
        "churn_date": [pd.NaT, ts("2024-04-20"), pd.NaT, ts("2024-03-15")],
    })
    surveys = pd.DataFrame({
        "customer_id": ["A", "A", "C"],
        "date": [ts("2024-02-01"), ts("2024-04-10"), ts("2024-04-03")],
        "nps": [9, 3, 0],
        "ces": [2, 6, 7],
    })
    return transactions, customers, surveys


def test_features_by_hand():
    tx, cust, surv = _hand_tables()
    X, y = make_churn_features(tx, cutoff=CUTOFF, churn_window_days=30, customers=cust,
                               surveys=surv, observation_end="2024-05-15")
    # C buys only after the cutoff; D cancelled before it: neither is described.
    assert list(X.index) == ["A", "B"] and X.index.name == "customer_id"
    a, b = X.loc["A"], X.loc["B"]
    assert a["recency_days"] == 60.5  # 2024-01-31 12:00 -> 2024-04-01 00:00
    assert (a["n_orders"], a["total_spend"], a["avg_order_value"]) == (3, 180, 60)
    assert (a["n_purchase_days"], a["ipt_mean_days"]) == (3, 15)  # gaps of 10 and 20 days
    assert a["ipt_std_days"] == pytest.approx(math.sqrt(50))
    assert a["recency_over_ipt"] == pytest.approx(60.5 / 15)
    # last 90 days = from 2024-01-02: 50 + 30; the 90 days before: 100
    assert (a["spend_last_90d"], a["orders_last_90d"]) == (80, 2)
    assert a["spend_trend"] == pytest.approx(math.log(81 / 101))
    assert a["margin_rate"] == pytest.approx(45 / 180)
    assert a["tenure_days"] == 122  # from signup 2023-12-01, before the first purchase
    assert (a["purchase_channel"], a["acquisition_channel"], a["region"]) == (
        "app", "search", "North")
    assert (a["last_nps"], a["last_ces"], a["n_surveys"]) == (9, 2, 1)  # April answer ignored
    assert b["recency_days"] == 0.25 and b["n_orders"] == 2 and b["n_purchase_days"] == 1
    assert math.isnan(b["ipt_mean_days"]) and math.isnan(b["last_nps"])
    assert b["n_surveys"] == 0 and b["contract"] == "subscription"
    assert b["tenure_days"] == 1.0  # signup 2024-03-31 (midnight), before the 09:00 order
    # A never buys again (non-contractual churn); B buys on 2024-04-05 but, as a subscriber,
    # churns by contract on 2024-04-20.
    assert y.name == "churned" and y.to_dict() == {"A": 1, "B": 1}


def test_labels_without_customers_use_purchases():
    tx, _, _ = _hand_tables()
    X, y = make_churn_features(tx, cutoff=CUTOFF, churn_window_days=30,
                               observation_end="2024-05-15")
    assert list(X.index) == ["A", "B", "D"]
    assert y.to_dict() == {"A": 1, "B": 0, "D": 1}
    assert {"tenure_days", "purchase_channel"} <= set(X.columns)
    assert not {"region", "contract", "last_nps"} & set(X.columns)


def test_cutoff_day_is_inclusive():
    tx = pd.DataFrame({"customer_id": ["A", "A", "B"], "amount": [1.0, 2.0, 3.0],
                       "timestamp": [ts("2024-03-31 23:59:59"), ts("2024-04-01 00:00"),
                                     ts("2024-03-01")]})
    X, y = make_churn_features(tx, cutoff="2024-03-31", churn_window_days=1)
    assert X.loc["A", "total_spend"] == 1.0 and y["A"] == 0
    X, y = make_churn_features(tx, cutoff=ts("2024-03-31 15:00"), churn_window_days=1)
    assert X.loc["A", "total_spend"] == 1.0  # a time of day on the cutoff is ignored


def test_no_holdout_data_reaches_the_features(demo_small):
    ds = demo_small
    before = ds.transactions.copy()
    cutoff = ts("2025-01-31")
    kw = {"cutoff": cutoff, "churn_window_days": 90}
    X, y = make_churn_features(ds.transactions, customers=ds.customers, surveys=ds.surveys,
                               **kw)
    pd.testing.assert_frame_equal(ds.transactions, before)  # input untouched
    tx, cust, surv = ds.transactions.copy(), ds.customers.copy(), ds.surveys.copy()
    after = tx["timestamp"] >= cutoff + pd.Timedelta(days=1)
    tx.loc[after, "amount"] *= 10
    tx.loc[after, "channel"] = "store"
    # everyone present before the cutoff buys again in the window, plus unseen customers
    extra = pd.DataFrame({"customer_id": [*X.index[:50], "NEW1"], "order_id": "X",
                          "timestamp": cutoff + pd.Timedelta(days=3), "amount": 5.0,
                          "quantity": 1, "gross_margin": 1.0, "channel": "app",
                          "category": "home"})
    tx = pd.concat([tx, extra], ignore_index=True)
    surv.loc[surv["date"] > cutoff, "nps"] = 0
    late = cust["churn_date"] > cutoff
    cust.loc[late, "churn_date"] = cust.loc[late, "churn_date"] + pd.Timedelta(days=400)
    X2, y2 = make_churn_features(tx, customers=cust, surveys=surv, **kw)
    pd.testing.assert_frame_equal(X, X2)
    assert not y.equals(y2)  # the holdout changes did reach the labels


def test_feature_errors():
    tx, _, _ = _hand_tables()
    with pytest.raises(DataValidationError, match=r"transactions table has no column\(s\) 'amo"):
        churn_feature_table(tx.drop(columns="amount"), cutoff=CUTOFF)
    with pytest.raises(DataValidationError, match=r"No transaction on or before the cutoff 2023"):
        churn_feature_table(tx, cutoff="2023-06-30")
    with pytest.raises(ParameterError, match="cutoff must be a date"):
        churn_feature_table(tx, cutoff="end of March")
    with pytest.raises(ParameterError, match="observation_end must be a date"):
        make_churn_features(tx, cutoff=CUTOFF, observation_end="soon")
    with pytest.raises(ParameterError, match="churn_window_days must be a whole number"):
        make_churn_features(tx, cutoff=CUTOFF, churn_window_days=0)
    with pytest.raises(ParameterError, match=(
            r"90-day churn window after cutoff 2024-03-31 ends 2024-06-29, after the end of the "
            r"data 2024-04-05; use a cutoff on or before 2024-01-06")):
        make_churn_features(tx, cutoff=CUTOFF, churn_window_days=90)
    with pytest.raises(DataValidationError, match=r"surveys table has no column\(s\) 'nps'"):
        churn_feature_table(tx, cutoff=CUTOFF, surveys=pd.DataFrame(
            {"customer_id": ["A"], "date": [ts("2024-01-01")]}))


# --- metrics ------------------------------------------------------------------------

def test_churn_metrics_by_hand():
    y, s = [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]
    m = churn_metrics(y, s, model="m", split="test").set_index("metric")["value"]
    assert m["roc_auc"] == 0.75  # 3 of 4 churner/non-churner pairs ordered correctly
    assert m["pr_auc"] == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)
    assert m["top_decile_lift"] == 2.0  # top 1 of 4 is a churner; base rate 0.5
    assert m["brier"] == pytest.approx((0.01 + 0.16 + 0.4225 + 0.04) / 4)
    assert (m["churn_rate"], m["n_customers"]) == (0.5, 4)
    frame = churn_metrics(y, s, model="m", split="test")
    assert list(frame.columns) == ["model", "metric", "value", "split"]
    with pytest.raises(DataValidationError, match="All 3 customers in the test split have"):
        churn_metrics([1, 1, 1], [0.2, 0.3, 0.4])
    with pytest.raises(DataValidationError, match="y_true has 2 values but score has 3"):
        churn_metrics([1, 0], [0.2, 0.3, 0.4])


def test_calibration_table_by_hand():
    table = churn_calibration_table([0, 1, 0, 1], [0.4, 0.3, 0.1, 0.2], n_bins=2)
    assert table["bin"].tolist() == [1, 2]
    assert table["n_customers"].tolist() == [2, 2]
    np.testing.assert_allclose(table["mean_predicted"], [0.15, 0.35])
    np.testing.assert_allclose(table["observed_rate"], [0.5, 0.5])
    np.testing.assert_allclose(table["gap"], [0.35, 0.15])
    with pytest.raises(ParameterError, match="n_bins must be a whole number >= 1; got 0"):
        churn_calibration_table([0, 1], [0.1, 0.2], n_bins=0)


def test_at_risk_customers_by_hand():
    proba = pd.Series({"A": 0.9, "B": 0.2, "C": 0.5, "D": 0.4})
    value = pd.Series({"A": 100.0, "B": 1000.0, "C": 400.0, "E": 5.0})
    with pytest.warns(UserWarning, match=r"1 of 4 scored customers have no value.*D\)"):
        risk = at_risk_customers(proba, value)
    assert list(risk.index) == ["C", "B", "A"]
    assert risk["value_at_stake"].tolist() == [200.0, 200.0, 90.0]  # tie -> higher risk first
    assert risk["rank"].tolist() == [1, 2, 3]
    assert list(risk.columns) == ["rank", "churn_probability", "customer_value",
                            "value_at_stake"]
    assert len(at_risk_customers(proba.drop("D"), value, top=2)) == 2
    with pytest.raises(DataValidationError, match="None of the 4 scored customers has a value"):
        at_risk_customers(proba, pd.Series({"Z": 1.0}))


# --- pipeline and evaluation on the demo data -------------------------------------------

def test_pipeline_is_deterministic_and_handles_unseen_categories(demo_small):
    ds = demo_small
    X, y = make_churn_features(ds.transactions, cutoff="2024-12-31", customers=ds.customers,
                               surveys=ds.surveys)
    with threadpool_limits(1, user_api="openmp"):  # small data: one thread is faster
        p1 = make_churn_pipeline(random_state=3).fit(X, y).predict_proba(X)[:, 1]
        pipe = clone(make_churn_pipeline(random_state=3)).fit(X, y)
    np.testing.assert_array_equal(p1, pipe.predict_proba(X)[:, 1])
    assert ((p1 > 0) & (p1 < 1)).all()
    odd = X.head(3).assign(region="Mars", purchase_channel="fax")
    assert pipe.predict_proba(odd).shape == (3, 2)


def test_evaluate_churn_model_on_demo(demo_small, demo_eval):
    ds, ev = demo_small, demo_eval
    assert ev.train_cutoff == ts("2024-12-31") and ev.test_cutoff == ts("2025-03-31")
    m = ev.metrics
    assert set(m["model"]) == {"gradient_boosting", "bgnbd_no_purchase"}
    assert set(m["split"]) == {"train", "test"}
    assert m.groupby(["model", "split"]).size().eq(6).all()
    # the demo's churners are predictable from history: far better than chance, and the
    # classifier is at least as good as BG/NBD's 1 - P(alive) out of time
    assert ev.metric("roc_auc") > 0.75
    assert ev.metric("roc_auc") >= ev.metric("roc_auc", model="bgnbd_no_purchase") - 0.02
    assert ev.metric("top_decile_lift") > 1
    assert 0 <= ev.metric("brier") <= 0.25
    assert ev.scores["churned"].isin([0, 1]).all()
    assert ev.scores["churn_probability"].between(0, 1).all()
    assert ev.scores["bgnbd_no_purchase"].between(0, 1).all()
    assert ev.calibration.groupby("model")["n_customers"].sum().eq(len(ev.scores)).all()
    assert ev.importance.iloc[0]["feature"] in {"recency_days", "recency_over_ipt"}
    again = evaluate_churn_model(ds.transactions, cutoff="2025-03-31", customers=ds.customers,
                                 surveys=ds.surveys, random_state=0, n_repeats=2,
                                 baseline=False)
    np.testing.assert_array_equal(again.scores["churn_probability"],
                                  ev.scores["churn_probability"])
    with pytest.raises(ParameterError, match="No metric 'auc' for model"):
        ev.metric("auc")


def test_predict_churn_scores_todays_customers(demo_small):
    ds = demo_small
    proba = predict_churn(ds.transactions, observation_end=ds.observation_end,
                          customers=ds.customers, surveys=ds.surveys, random_state=0)
    assert proba.name == "churn_probability" and proba.index.is_unique
    assert proba.between(0, 1).all()
    churned = ds.customers.loc[ds.customers["churn_date"].notna(), "customer_id"]
    assert not proba.index.isin(churned).any()  # cancelled subscribers are not scored
    # recently active customers are less likely to churn than long-silent ones
    X = churn_feature_table(ds.transactions, cutoff=ds.observation_end,
                            customers=ds.customers)
    recent = X["recency_days"] < 30
    assert proba[recent].mean() < proba[X["recency_days"] > 180].mean()


def test_entry_points_accept_a_dataset(demo_small):
    ds = demo_small
    tables = {"customers": ds.customers, "surveys": ds.surveys,
              "observation_end": ds.observation_end}
    pd.testing.assert_series_equal(predict_churn(ds, random_state=0),
                                   predict_churn(ds.transactions, **tables, random_state=0))
    X_ds, y_ds = make_churn_features(ds, cutoff="2025-03-31")
    X, y = make_churn_features(ds.transactions, cutoff="2025-03-31", **tables)
    pd.testing.assert_frame_equal(X_ds, X)
    pd.testing.assert_series_equal(y_ds, y)
    evaluation = evaluate_churn_model(ds, cutoff="2025-03-31", baseline=False, n_repeats=1)
    reference = evaluate_churn_model(ds.transactions, cutoff="2025-03-31", baseline=False,
                                     n_repeats=1, **tables)
    pd.testing.assert_frame_equal(evaluation.scores, reference.scores)
    with pytest.raises(ParameterError, match="Dataset or a transactions DataFrame; got list"):
        predict_churn([1, 2])


def test_permutation_importance_samples_large_test_sets(demo_small, monkeypatch):
    from clvkit.models import churn_scores, make_churn_pipeline

    X, y = make_churn_features(demo_small, cutoff="2025-03-31")
    pipeline = make_churn_pipeline(random_state=0).fit(X, y)
    full = churn_scores._permutation_importance(pipeline, X, y, random_state=0, n_repeats=2)
    monkeypatch.setattr(churn_scores, "IMPORTANCE_ROWS", 100)  # fewer rows than X has
    sampled = churn_scores._permutation_importance(pipeline, X, y, random_state=0, n_repeats=2)
    assert sorted(sampled["feature"]) == sorted(full["feature"])
    assert np.isfinite(sampled["importance_mean"]).all()
    merged = full.merge(sampled, on="feature")
    assert not np.allclose(merged["importance_mean_x"], merged["importance_mean_y"])


def test_metrics_table_and_churn_plots(demo_eval):
    import matplotlib.pyplot as plt

    from clvkit.plots import plot_churn_calibration, plot_churn_gains, plot_churn_importance

    ev = demo_eval
    table = ev.metrics_table("test")
    assert list(table.columns) == ["Gradient boosting (calibrated)",
                                   "BG/NBD: P(no purchase in the window)"]
    assert table.loc["ROC AUC"].iloc[0] == ev.metric("roc_auc")
    with pytest.raises(ParameterError, match="split must be 'train' or 'test'; got 'x'"):
        ev.metrics_table("x")
    ax = plot_churn_gains(ev.scores)
    model_line, base_line, random_line = ax.get_lines()
    for line in (model_line, base_line):
        assert line.get_ydata()[0] == 0 and line.get_ydata()[-1] == 1
        assert np.all(np.diff(line.get_ydata()) >= 0)
    # contacting the top n customers reaches lift x n / N of all churners
    n_top = int(np.ceil(0.1 * len(ev.scores)))
    reached = model_line.get_ydata()[n_top]
    assert reached == pytest.approx(ev.metric("top_decile_lift") * n_top / len(ev.scores))
    assert list(random_line.get_ydata()) == [0, 1]
    ax = plot_churn_calibration(ev.calibration)
    assert len(ax.get_lines()) == 3
    ax = plot_churn_importance(ev.importance, top=5)
    labels = [tick.get_text() for tick in ax.get_yticklabels()]
    assert len(labels) == 5 and labels[0] != ev.importance["feature"].iloc[0]  # translated
    with pytest.raises(ParameterError, match="top must be a whole number >= 1; got 0"):
        plot_churn_importance(ev.importance, top=0)
    with pytest.raises(DataValidationError, match="needs at least one score column"):
        plot_churn_gains(ev.scores[["churned"]])
    plt.close("all")


def test_describe_churn_evaluation_and_at_risk(demo_eval):
    from clvkit.models import describe_at_risk, describe_churn_evaluation

    ev = demo_eval
    pairs = dict(describe_churn_evaluation(ev, lang="zh"))
    assert pairs["churnmodel.definition"] == {"days": "90"}
    assert pairs["churnmodel.sentence_split"]["test_cutoff"] == "2025-03-31"
    assert pairs["churnmodel.sentence_split"]["n_test"] == f"{len(ev.scores):,}"
    assert pairs["churnmodel.sentence_result"]["auc"] == f"{ev.metric('roc_auc'):.3f}"
    assert pairs["churnmodel.sentence_driver"]["feature"] in {"距上次购买天数",
                                                            "距上次购买天数 / 平常间隔"}
    risk = at_risk_customers(pd.Series({"A": 0.5, "B": 0.1, "C": 1.0}),
                             pd.Series({"A": 100.0, "B": 1000.0, "C": 20.0}))
    [(key, values)] = describe_at_risk(risk, top=2, currency="$")
    assert key == "churnmodel.sentence_at_risk"
    assert values == {"n": "3", "top": "2", "stake": "$150", "share": "88.2%"}  # 150 / 170


# --- ChurnClassifier: the estimator behind the functions --------------------------------

def _features(rng, n=300):
    recency = rng.exponential(60, n)
    X = pd.DataFrame({"recency_days": recency, "n_orders": rng.poisson(3, n).astype(float),
                      "region": rng.choice(["North", "South"], n)},
                     index=pd.Index([f"C{i}" for i in range(n)], name="customer_id"))
    X.loc[X.index[:10], "n_orders"] = np.nan  # missing values are allowed
    y = pd.Series((rng.random(n) < 1 / (1 + np.exp(-(recency - 60) / 20))).astype(int),
                  index=X.index, name="churned")
    return X, y


def test_churn_classifier_contract_and_predictions(rng):
    from sklearn.exceptions import NotFittedError

    from clvkit.models import ChurnClassifier

    X, y = _features(rng)
    model = ChurnClassifier(random_state=1, calibration_folds=4)
    assert clone(model).get_params() == {"random_state": 1, "calibration_folds": 4}
    with pytest.raises(NotFittedError):
        model.predict_proba(X)
    with threadpool_limits(1, user_api="openmp"):
        assert model.fit(X, y) is model
        proba = model.predict_proba(X)
        pipe = make_churn_pipeline(random_state=1, calibration_folds=4).fit(X, y)
        np.testing.assert_array_equal(proba, pipe.predict_proba(X))  # same pipeline
    assert list(model.classes_) == [0, 1] and model.n_features_in_ == 3
    assert list(model.feature_names_in_) == ["recency_days", "n_orders", "region"]
    np.testing.assert_array_equal(model.predict(X), (proba[:, 1] > 0.5).astype(int))
    # long-silent customers are riskier than recent ones
    assert proba[X["recency_days"] > 120, 1].mean() > proba[X["recency_days"] < 20, 1].mean()
    with pytest.raises(ValueError, match="feature names"):
        model.predict_proba(X[["n_orders", "recency_days", "region"]])


def test_churn_classifier_save_and_load(rng, tmp_path, monkeypatch):
    import json

    import sklearn

    from clvkit.models import ChurnClassifier

    X, y = _features(rng)
    with threadpool_limits(1, user_api="openmp"):
        model = ChurnClassifier(random_state=0).fit(X, y)
        path = tmp_path / "churn.joblib"
        model.save(path)
        header = json.loads(path.read_bytes().split(b"\n", 1)[0])
        assert header["format"] == "clvkit-churn-classifier"
        assert header["sklearn_version"] == sklearn.__version__
        loaded = ChurnClassifier.load(path)
        np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert loaded.get_params() == model.get_params()
    json_file = tmp_path / "model.json"
    json_file.write_text('{"model": "BGNBDModel"}', encoding="utf-8")
    with pytest.raises(ParameterError, match="is not a ChurnClassifier saved by clvkit"):
        ChurnClassifier.load(json_file)
    monkeypatch.setattr(sklearn, "__version__", "0.1.0")
    with pytest.raises(ParameterError, match=r"saved with scikit-learn .*, this is 0\.1\.0: "
                       r"a pickled model.*Refit"):
        ChurnClassifier.load(path)


def test_churn_classifier_load_rejects_another_object(tmp_path):
    import json

    import joblib
    import sklearn

    from clvkit.models import ChurnClassifier

    path = tmp_path / "other.joblib"
    header = {"format": "clvkit-churn-classifier", "sklearn_version": sklearn.__version__}
    with open(path, "wb") as fh:
        fh.write(json.dumps(header).encode() + b"\n")
        joblib.dump({"not": "a model"}, fh)
    with pytest.raises(ParameterError, match="holds a dict, not a ChurnClassifier"):
        ChurnClassifier.load(path)


def test_churn_classifier_bad_input_raises(rng):
    from clvkit.models import ChurnClassifier

    X, y = _features(rng, n=60)
    with pytest.raises(ParameterError, match="calibration_folds must be a whole number >= 2"):
        ChurnClassifier(calibration_folds=1).fit(X, y)
    with pytest.raises(DataValidationError, match=r"needs churned and retained customers, but "
                       r"y has 1 class \(0\) in 60 rows"):
        ChurnClassifier().fit(X, np.zeros(60, dtype=int))
    few = np.zeros(60, dtype=int)
    few[:2] = 1
    with pytest.raises(DataValidationError, match=r"class 1 has only 2 customers, fewer than "
                       r"calibration_folds=3"):
        ChurnClassifier().fit(X, few)
    with pytest.raises(DataValidationError, match=r"X has 60 rows but y has 59 labels"):
        ChurnClassifier().fit(X, y.iloc[:59])
    with pytest.raises(DataValidationError, match=r"1 of 60 labels in y are missing or "
                       r"infinite \(rows 3\)"):
        ChurnClassifier().fit(X, np.where(np.arange(60) == 3, np.nan, y.to_numpy(float)))


def test_evaluation_keeps_its_classifier(demo_eval):
    from clvkit.models import ChurnClassifier

    assert isinstance(demo_eval.classifier, ChurnClassifier)
    assert demo_eval.pipeline is demo_eval.classifier.pipeline_
    assert demo_eval.classifier.get_params()["random_state"] == 0
