"""Churn prediction with scikit-learn: pipeline, time-split evaluation, at-risk list.

The classifier is a :class:`~sklearn.ensemble.HistGradientBoostingClassifier` (it
handles the missing values of customers without surveys or repeat purchases natively)
behind a :class:`~sklearn.compose.ColumnTransformer` that one-hot encodes the text
columns, wrapped in :class:`~sklearn.calibration.CalibratedClassifierCV` so that a
predicted 0.3 means about 30 % of such customers churn. Preprocessing lives inside the
pipeline, so it is learned on training rows only.

Evaluation is on a time split: the model is trained on customers described at
``cutoff - churn_window_days`` (labels from the window that ends at ``cutoff``) and
tested on customers described at ``cutoff`` (labels from the window after it). The
baseline to beat is the BG/NBD model's 1 - P(alive) computed from the same history.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import schema
from ..exceptions import DataValidationError, ParameterError
from .churn_features import churn_feature_table, make_churn_features

__all__ = [
    "ChurnEvaluation",
    "at_risk_customers",
    "churn_calibration_table",
    "churn_metrics",
    "evaluate_churn_model",
    "make_churn_pipeline",
    "predict_churn",
]

MODEL = "gradient_boosting"
BASELINE = "bgnbd_1_minus_p_alive"
#: Below this many customers the classifier runs on one OpenMP thread: on small data,
#: thread start-up and contention on a busy machine cost far more than they save
#: (measured on 280 customers on a loaded 2-core machine: 9.7 s vs 1.3 s per fit).
SINGLE_THREAD_ROWS = 20_000


def _threads(n_rows: int):
    """Limit OpenMP threads for small fits (see :data:`SINGLE_THREAD_ROWS`)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1 if n_rows < SINGLE_THREAD_ROWS else None,
                             user_api="openmp")


def make_churn_pipeline(*, random_state: int | None = None, calibration_folds: int = 3):
    """Make the churn classifier: one-hot encoding + calibrated gradient boosting.

    Parameters
    ----------
    random_state : int, optional
        Seed for the gradient-boosting classifier (results are deterministic for a
        given seed and data).
    calibration_folds : int, default 3
        Folds of :class:`~sklearn.calibration.CalibratedClassifierCV` (sigmoid method).

    Returns
    -------
    sklearn.pipeline.Pipeline
        Steps ``preprocess`` (numeric columns passed through, object/string/category
        columns one-hot encoded, unknown categories ignored) and ``classifier``. Fit it
        on ``X, y`` from :func:`~clvkit.models.make_churn_features`.

    Notes
    -----
    On a few thousand customers, fitting inside
    ``threadpoolctl.threadpool_limits(1, user_api="openmp")`` is several times faster on
    a busy machine; :func:`evaluate_churn_model` and :func:`predict_churn` do this.
    """
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.compose import ColumnTransformer, make_column_selector
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    preprocess = ColumnTransformer(
        [
            ("numeric", "passthrough", make_column_selector(dtype_include="number")),
            ("categorical", OneHotEncoder(handle_unknown="ignore", sparse_output=False),
             make_column_selector(dtype_include=["object", "string", "category"])),
        ],
        verbose_feature_names_out=False,
    )
    boosting = HistGradientBoostingClassifier(
        learning_rate=0.05, max_iter=150, max_leaf_nodes=15, min_samples_leaf=20,
        l2_regularization=1.0, early_stopping=False, random_state=random_state,
    )
    classifier = CalibratedClassifierCV(boosting, method="sigmoid", cv=calibration_folds)
    return Pipeline([("preprocess", preprocess), ("classifier", classifier)])


def _top_decile_lift(y: np.ndarray, score: np.ndarray, share: float = 0.1) -> float:
    """Churn rate among the top ``share`` of scores divided by the overall churn rate."""
    n_top = max(1, int(np.ceil(share * y.size)))
    order = np.argsort(-score, kind="stable")
    base = y.mean()
    return float(y[order[:n_top]].mean() / base) if base > 0 else float("nan")


def churn_metrics(y_true, score, *, model: str = MODEL, split: str = "test") -> pd.DataFrame:
    """Score churn predictions: ROC AUC, PR AUC, top-decile lift and Brier score.

    Parameters
    ----------
    y_true : array-like of {0, 1}
        1 = churned.
    score : array-like of float
        Predicted churn probability (or any score in [0, 1]; the Brier score assumes a
        probability).
    model, split : str
        Labels for the ``model`` and ``split`` columns.

    Returns
    -------
    pandas.DataFrame
        Tidy rows (model, metric, value, split) for metrics roc_auc, pr_auc,
        top_decile_lift (churn rate in the 10 % highest scores / overall churn rate),
        brier, churn_rate and n_customers.

    Raises
    ------
    DataValidationError
        Lengths differ, or only one class is present (AUCs are undefined).
    """
    from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

    y, s = np.asarray(y_true, dtype=int), np.asarray(score, dtype=float)
    if y.shape != s.shape:
        msg = f"y_true has {y.size:,} values but score has {s.size:,}; pass one per customer."
        raise DataValidationError(msg)
    if np.unique(y).size < 2:
        msg = (
            f"All {y.size:,} customers in the {split} split have churned = {int(y[0])}; ROC "
            "and PR AUC need churners and non-churners. Use a longer history or another cutoff."
        )
        raise DataValidationError(msg, column="churned")
    values = {
        "roc_auc": roc_auc_score(y, s), "pr_auc": average_precision_score(y, s),
        "top_decile_lift": _top_decile_lift(y, s), "brier": brier_score_loss(y, s),
        "churn_rate": y.mean(), "n_customers": float(y.size),
    }
    return pd.DataFrame({"model": model, "metric": list(values),
                         "value": [float(v) for v in values.values()], "split": split})


def churn_calibration_table(y_true, probability, *, n_bins: int = 10) -> pd.DataFrame:
    """Compare predicted and observed churn in bins of equal size by predicted probability.

    Returns
    -------
    pandas.DataFrame
        One row per bin (``bin`` 1 = lowest predictions) with n_customers,
        mean_predicted, observed_rate and gap (observed - predicted).
    """
    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
        msg = f"n_bins must be a whole number >= 1; got {n_bins!r}"
        raise ParameterError(msg)
    p = np.asarray(probability, dtype=float)
    frame = pd.DataFrame({"y": np.asarray(y_true, dtype=float), "p": p})
    order = np.argsort(p, kind="stable")
    frame["bin"] = 0
    frame.iloc[order, frame.columns.get_loc("bin")] = np.arange(p.size) * n_bins // p.size + 1
    table = frame.groupby("bin").agg(n_customers=("y", "size"), mean_predicted=("p", "mean"),
                                     observed_rate=("y", "mean"))
    table["gap"] = table["observed_rate"] - table["mean_predicted"]
    return table.reset_index()


def _permutation_importance(pipeline, X, y, *, random_state, n_repeats: int) -> pd.DataFrame:
    from sklearn.inspection import permutation_importance

    result = permutation_importance(pipeline, X, y, scoring="roc_auc", n_repeats=n_repeats,
                                    random_state=random_state)
    table = pd.DataFrame({"feature": X.columns, "importance_mean": result.importances_mean,
                          "importance_std": result.importances_std})
    return table.sort_values(["importance_mean", "feature"], ascending=[False, True],
                             ignore_index=True)


def _bgnbd_churn_score(transactions: pd.DataFrame, index: pd.Index, cutoff) -> pd.Series:
    """1 - P(alive) from a BG/NBD model fitted on the history up to the cutoff day."""
    from ..summary import rfm_summary
    from .btyd import fit_bgnbd
    from .churn_features import _boundary

    boundary = _boundary(cutoff)
    ts = pd.to_datetime(transactions[schema.TIMESTAMP])
    summary = rfm_summary(transactions[(ts < boundary).to_numpy()],
                          observation_end=boundary - pd.Timedelta(days=1), freq="W")
    summary = summary.loc[summary.index.isin(index)]
    model = fit_bgnbd(summary)
    return (1 - model.p_alive(summary)).reindex(index).rename(BASELINE)


@dataclass
class ChurnEvaluation:
    """Results of :func:`evaluate_churn_model`.

    Attributes
    ----------
    metrics : pandas.DataFrame
        Tidy (model, metric, value, split): :func:`churn_metrics` of the classifier and
        of the BG/NBD baseline on the train and test splits.
    calibration : pandas.DataFrame
        :func:`churn_calibration_table` of each model on the test split, with a
        ``model`` column.
    importance : pandas.DataFrame
        Permutation importance (drop in test ROC AUC when a feature is shuffled):
        feature, importance_mean, importance_std, most important first.
    scores : pandas.DataFrame
        Test customers (index customer_id): churned, churn_probability, and the
        baseline score bgnbd_1_minus_p_alive.
    pipeline : sklearn.pipeline.Pipeline
        The classifier fitted on the train split.
    train_cutoff, test_cutoff : pandas.Timestamp
        The two feature cutoffs.
    """

    metrics: pd.DataFrame
    calibration: pd.DataFrame
    importance: pd.DataFrame
    scores: pd.DataFrame
    pipeline: object
    train_cutoff: pd.Timestamp
    test_cutoff: pd.Timestamp

    def metric(self, name: str, model: str = MODEL, split: str = "test") -> float:
        """Return one metric value, e.g. ``ev.metric("roc_auc")``."""
        m = self.metrics
        hit = m[(m["metric"] == name) & (m["model"] == model) & (m["split"] == split)]
        if hit.empty:
            msg = (f"No metric {name!r} for model {model!r}, split {split!r}; metrics: "
                   f"{sorted(m['metric'].unique())}, models: {sorted(m['model'].unique())}.")
            raise ParameterError(msg)
        return float(hit["value"].iloc[0])


    def metrics_table(self, split: str = "test") -> pd.DataFrame:
        """Return one split's metrics as a table for reports: one row per metric, one
        column per model, labels translated with :func:`clvkit.i18n.t`."""
        from ..i18n import t

        m = self.metrics[self.metrics["split"] == split]
        if m.empty:
            msg = f"split must be 'train' or 'test'; got {split!r}"
            raise ParameterError(msg)
        table = m.pivot(index="metric", columns="model", values="value")
        table = table.reindex(index=list(dict.fromkeys(m["metric"])),
                              columns=list(dict.fromkeys(m["model"])))
        table.index = [t(f"churnmodel.metric.{k}") for k in table.index]
        table.index.name = t("churnmodel.metric")
        table.columns = [t(f"churnmodel.model.{k}") for k in table.columns]
        return table


def evaluate_churn_model(
    transactions: pd.DataFrame,
    *,
    cutoff: str | pd.Timestamp,
    churn_window_days: int = 90,
    customers: pd.DataFrame | None = None,
    surveys: pd.DataFrame | None = None,
    observation_end: str | pd.Timestamp | None = None,
    baseline: bool = True,
    n_repeats: int = 5,
    random_state: int | None = 0,
) -> ChurnEvaluation:
    """Train on an earlier snapshot, test on a later one, and compare with BG/NBD.

    The train snapshot describes customers at ``cutoff - churn_window_days`` and labels
    them from the window ending at ``cutoff``; the test snapshot describes customers at
    ``cutoff`` and labels them from the ``churn_window_days`` after it. No test label
    is seen while training.

    Parameters
    ----------
    transactions, customers, surveys : pandas.DataFrame
        Tidy tables (see :func:`~clvkit.models.make_churn_features`).
    cutoff : str or pandas.Timestamp
        Last day of the test snapshot's history; its label window must fit in the data.
    churn_window_days : int, default 90
        Label window, days.
    observation_end : str or pandas.Timestamp, optional
        Last day of data (default: last transaction).
    baseline : bool, default True
        Also score BG/NBD 1 - P(alive) (:func:`clvkit.models.fit_bgnbd`).
    n_repeats : int, default 5
        Shuffles per feature for permutation importance.
    random_state : int, optional, default 0
        Seed for the classifier and the permutation importance.

    Returns
    -------
    ChurnEvaluation

    Raises
    ------
    ParameterError, DataValidationError
        Bad window or cutoff (see :func:`~clvkit.models.make_churn_features`), or a split
        with a single class.
    """
    test_cutoff = pd.Timestamp(cutoff).normalize()
    train_cutoff = test_cutoff - pd.Timedelta(days=churn_window_days)
    kw = {"churn_window_days": churn_window_days, "customers": customers, "surveys": surveys,
          "observation_end": observation_end}
    X_train, y_train = make_churn_features(transactions, cutoff=train_cutoff, **kw)
    X_test, y_test = make_churn_features(transactions, cutoff=test_cutoff, **kw)
    X_test = X_test[X_train.columns]
    with _threads(len(X_train) + len(X_test)):
        pipeline = make_churn_pipeline(random_state=random_state).fit(X_train, y_train)
        p_train = pipeline.predict_proba(X_train)[:, 1]
        scores = pd.DataFrame({"churned": y_test,
                               "churn_probability": pipeline.predict_proba(X_test)[:, 1]})
        importance = _permutation_importance(pipeline, X_test, y_test,
                                             random_state=random_state, n_repeats=n_repeats)
    metrics = [churn_metrics(y_train, p_train, split="train"),
               churn_metrics(y_test, scores["churn_probability"], split="test")]
    calibration = [churn_calibration_table(y_test, scores["churn_probability"]).assign(
        model=MODEL)]
    if baseline:
        base_train = _bgnbd_churn_score(transactions, X_train.index, train_cutoff)
        scores[BASELINE] = _bgnbd_churn_score(transactions, X_test.index, test_cutoff)
        metrics += [churn_metrics(y_train, base_train, model=BASELINE, split="train"),
                    churn_metrics(y_test, scores[BASELINE], model=BASELINE, split="test")]
        calibration.append(churn_calibration_table(y_test, scores[BASELINE]).assign(
            model=BASELINE))
    return ChurnEvaluation(
        metrics=pd.concat(metrics, ignore_index=True),
        calibration=pd.concat(calibration, ignore_index=True),
        importance=importance, scores=scores, pipeline=pipeline,
        train_cutoff=train_cutoff, test_cutoff=test_cutoff,
    )


def predict_churn(
    transactions: pd.DataFrame,
    *,
    observation_end: str | pd.Timestamp | None = None,
    churn_window_days: int = 90,
    customers: pd.DataFrame | None = None,
    surveys: pd.DataFrame | None = None,
    random_state: int | None = 0,
) -> pd.Series:
    """Score today's customers: the probability each churns in the next window.

    The classifier is trained on the latest snapshot whose window is fully observed
    (features at ``observation_end - churn_window_days``), then applied to features at
    ``observation_end``.

    Returns
    -------
    pandas.Series
        ``churn_probability`` indexed by customer_id (customers with a purchase and, for
        subscribers, not yet cancelled by ``observation_end``).
    """
    ts = pd.to_datetime(transactions[schema.TIMESTAMP])
    end = (pd.Timestamp(observation_end) if observation_end is not None else ts.max()).normalize()
    X, y = make_churn_features(
        transactions, cutoff=end - pd.Timedelta(days=churn_window_days),
        churn_window_days=churn_window_days, customers=customers, surveys=surveys,
        observation_end=end)
    now = churn_feature_table(transactions, cutoff=end, customers=customers, surveys=surveys)
    with _threads(len(X) + len(now)):
        pipeline = make_churn_pipeline(random_state=random_state).fit(X, y)
        proba = pipeline.predict_proba(now[X.columns])[:, 1]
    return pd.Series(proba, index=now.index, name="churn_probability")


def at_risk_customers(
    churn_probability: pd.Series,
    value: pd.Series,
    *,
    top: int | None = None,
) -> pd.DataFrame:
    """Rank customers by value at stake: CLV x churn probability.

    Parameters
    ----------
    churn_probability : pandas.Series
        Probability of churning, indexed by customer_id (e.g. :func:`predict_churn`).
    value : pandas.Series
        Customer value (e.g. ``customer_value(...)["clv"]``), indexed by customer_id, in
        currency units.
    top : int, optional
        Keep the ``top`` customers with most value at stake; default all.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer_id, sorted by value_at_stake (descending), with columns rank,
        churn_probability, value, value_at_stake. Customers without a value are left out
        with a warning.

    Raises
    ------
    DataValidationError
        No customer has both a churn probability and a value.
    """
    value = value.rename("value")
    frame = churn_probability.rename("churn_probability").to_frame().join(value, how="left")
    missing = frame["value"].isna()
    if missing.all():
        msg = (
            f"None of the {len(frame):,} scored customers has a value (e.g. customer_id "
            f"{', '.join(map(str, frame.index[:5]))}); pass values indexed by customer_id."
        )
        raise DataValidationError(msg, column="value", n_failed=int(missing.sum()))
    if missing.any():
        msg = (f"{int(missing.sum()):,} of {len(frame):,} scored customers have no value and are "
               f"left out (e.g. customer_id {', '.join(map(str, frame.index[missing][:5]))}).")
        warnings.warn(msg, UserWarning, stacklevel=2)
        frame = frame[~missing]
    frame["value_at_stake"] = frame["churn_probability"] * frame["value"]
    frame = frame.sort_values(["value_at_stake", "churn_probability"], ascending=False,
                              kind="stable")
    frame.insert(0, "rank", np.arange(1, len(frame) + 1))
    frame.index.name = schema.CUSTOMER_ID
    return frame if top is None else frame.head(top)
