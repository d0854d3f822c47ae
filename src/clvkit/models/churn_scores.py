"""Scores for churn predictions: ROC/PR AUC, lift, Brier, calibration, importance."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import DataValidationError, ParameterError

__all__ = ["churn_calibration_table", "churn_metrics"]

#: Model names used in the ``model`` column of evaluation tables.
MODEL = "gradient_boosting"
BASELINE = "bgnbd_no_purchase"


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


#: Test rows drawn (per repeat) for permutation importance on large bases. On 100,000
#: demo customers all rows took 41 of the evaluation's 50 s; the ranking of the top
#: features is stable at this size and importance_std shows what noise remains.
IMPORTANCE_ROWS = 20_000


def _known_proba(pipeline, X, proba):
    """``pipeline`` for scikit-learn's scorers, answering ``predict_proba(X)`` for this
    very ``X`` (``is``) from ``proba`` (its churn column) instead of predicting again."""
    from sklearn.base import BaseEstimator, ClassifierMixin

    class KnownProba(ClassifierMixin, BaseEstimator):
        classes_ = pipeline.classes_

        def fit(self, X, y):  # the scorer's contract; never called
            raise NotImplementedError

        def predict_proba(self, data):
            if data is X:
                return np.column_stack([1.0 - proba, proba])
            return pipeline.predict_proba(data)

    return KnownProba()


class _Changes:
    """Which columns of a gradient-boosting model's input changed since its last call.

    Shared by the trees of one model: the first tree that sees a new input compares it
    with the previous input column by column (NaN equal to NaN); a different row count
    counts as every column changed."""

    def __init__(self) -> None:
        self.seen: np.ndarray | None = None
        self.last: np.ndarray | None = None
        self.changed: np.ndarray | None = None

    def of(self, X: np.ndarray) -> np.ndarray | None:
        if X is not self.seen:
            if self.last is None or self.last.shape != X.shape:
                self.changed = None
            else:
                same = (X == self.last) | (np.isnan(X) & np.isnan(self.last))
                self.changed = ~same.all(axis=0)
            self.seen, self.last = X, np.array(X, copy=True)
        return self.changed


class _MemoTree:
    """A fitted tree that keeps its output for the last input and returns it again
    when none of the columns it splits on changed: a tree's output for a row depends
    on that row's values in those columns only, so the output is the same array."""

    def __init__(self, tree: Any, changes: _Changes) -> None:
        self.tree, self.changes, self.out = tree, changes, None
        nodes = tree.nodes
        self.used = np.unique(nodes["feature_idx"][nodes["is_leaf"] == 0])

    def predict(self, X: np.ndarray, *args: Any, **kwargs: Any) -> np.ndarray:
        changed = self.changes.of(X)
        if self.out is None or changed is None or changed[self.used].any():
            self.out = self.tree.predict(X, *args, **kwargs)
        return self.out


@contextmanager
def _memo_trees(pipeline: Any) -> Iterator[None]:
    """Inside the block, the gradient-boosting trees of the calibrated ``pipeline``
    reuse their last output when the columns they split on did not change (see
    :class:`_MemoTree`): permutation importance shuffles one feature at a time, so
    most trees' outputs are those of the previous call. The predictions are the same
    numbers (each tree's output is added in the same order); the trees are put back
    afterwards. A pipeline of another shape is left as it is."""
    try:
        boosted = [c.estimator for c in pipeline.named_steps["classifier"]
                   .calibrated_classifiers_]
        saved = [list(map(list, b._predictors)) for b in boosted]
        for b in boosted:
            b._predictors[0][0].nodes  # noqa: B018 (the tree layout this relies on)
    except (AttributeError, KeyError, IndexError, TypeError):
        yield
        return
    try:
        for b in boosted:
            changes = _Changes()
            b._predictors = [[_MemoTree(t, changes) for t in trees] for trees in b._predictors]
        yield
    finally:
        for b, trees in zip(boosted, saved, strict=True):
            b._predictors = trees


def _permutation_importance(pipeline, X, y, *, random_state, n_repeats: int,
                            proba=None) -> pd.DataFrame:
    """:func:`sklearn.inspection.permutation_importance` (ROC AUC) on at most
    :data:`IMPORTANCE_ROWS` test rows per repeat; its baseline score on all of ``X``
    uses ``proba`` (the pipeline's churn probabilities of ``X``) when given, so the
    test rows are not predicted a second time (the same numbers)."""
    from sklearn.inspection import permutation_importance

    share = min(1.0, IMPORTANCE_ROWS / max(len(X), 1))
    model = pipeline if proba is None else _known_proba(pipeline, X,
                                                        np.asarray(proba, dtype=float))
    with _memo_trees(pipeline):
        result = permutation_importance(model, X, y, scoring="roc_auc",
                                        n_repeats=n_repeats, random_state=random_state,
                                        max_samples=share)
    table = pd.DataFrame({"feature": X.columns, "importance_mean": result.importances_mean,
                          "importance_std": result.importances_std})
    return table.sort_values(["importance_mean", "feature"], ascending=[False, True],
                             ignore_index=True)
