"""The churn classifier as a scikit-learn estimator, and how it is saved.

:class:`ChurnClassifier` wraps the pipeline of :func:`make_churn_pipeline` (one-hot
encoding + calibrated gradient boosting) on the same contract as clvkit's other models:
``__init__`` stores settings, ``fit(X, y)`` returns ``self`` and sets attributes ending
in ``_`` (``pipeline_``, ``classes_``, ``n_features_in_``, ``feature_names_in_``), and
``predict_proba`` checks the features against those seen in ``fit``.

Saving: the BTYD and sBG models are a few parameters and are saved as JSON; a fitted
classifier is hundreds of trees, which only pickle-based formats hold. clvkit uses joblib
(scikit-learn's documented way, no extra dependency) behind a one-line JSON header with
the clvkit and scikit-learn versions; :meth:`ChurnClassifier.load` reads the header
*before* unpickling and refuses a file from another scikit-learn version (a pickled
estimator is only guaranteed to work with the version that wrote it). Like any pickle,
load only files you or your pipeline wrote: unpickling can run code. skops would avoid
that, at the cost of a dependency and an explicit list of trusted types; a churn model is
retrained on every scoring run, so files are short-lived and local.
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from ..exceptions import DataValidationError, ParameterError

__all__ = ["SINGLE_THREAD_ROWS", "ChurnClassifier", "make_churn_pipeline"]

#: Below this many customers the classifier runs on one OpenMP thread: on small data,
#: thread start-up and contention on a busy machine cost far more than they save
#: (measured on 280 customers on a loaded 2-core machine: 9.7 s vs 1.3 s per fit).
SINGLE_THREAD_ROWS = 20_000
_FORMAT = "clvkit-churn-classifier"


# Small predictions run on one OpenMP thread. Scoring is cheap per call but permutation
# importance makes thousands of calls (it runs inside ``_threads(0)``), and OpenMP's
# spinning worker threads then fight any other process for the cores: on a loaded
# 2-core machine the 100,000 customer evaluation took 104 s with two threads and 28-36 s
# with one. One call on SINGLE_THREAD_ROWS rows or more (the test split, today's
# customers) is long enough to use the cores, like a fit.


def _threads(n_rows: int):
    """Limit OpenMP threads for small fits (see :data:`SINGLE_THREAD_ROWS`)."""
    # threadpoolctl only limits libraries already loaded: load sklearn's OpenMP first
    import sklearn.ensemble  # noqa: F401
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
        on ``X, y`` from :func:`~clvkit.models.make_churn_features`, or use
        :class:`ChurnClassifier`, which also limits threads and checks features.

    Notes
    -----
    The boosting settings (100 trees of at most 8 leaves, learning rate 0.05, at least 20
    customers per leaf, L2 penalty 1) were chosen on the demo data (1,000 and 2,000
    customers, out-of-time test): smaller trees generalised better than 15 leaves
    (test ROC AUC 0.852 vs 0.845) and fit faster.

    On a few thousand customers, fitting inside
    ``threadpoolctl.threadpool_limits(1, user_api="openmp")`` is several times faster on
    a busy machine; :class:`ChurnClassifier` does this.
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
        learning_rate=0.05, max_iter=100, max_leaf_nodes=8, min_samples_leaf=20,
        l2_regularization=1.0, early_stopping=False, random_state=random_state,
    )
    classifier = CalibratedClassifierCV(boosting, method="sigmoid", cv=calibration_folds)
    return Pipeline([("preprocess", preprocess), ("classifier", classifier)])


class ChurnClassifier(ClassifierMixin, BaseEstimator):
    """Churn classifier on scikit-learn's estimator contract (see the module docstring).

    Parameters
    ----------
    random_state : int, optional
        Seed of the gradient boosting (same seed and data, same predictions).
    calibration_folds : int, default 3
        Folds of the sigmoid calibration (whole number >= 2).

    Attributes
    ----------
    pipeline_ : sklearn.pipeline.Pipeline
        The fitted :func:`make_churn_pipeline`.
    classes_ : numpy.ndarray
        Class labels (``[0, 1]`` for churn labels: 1 = churned).
    n_features_in_ : int
    feature_names_in_ : numpy.ndarray
        Feature columns seen in ``fit`` (only when ``X`` was a DataFrame).

    Examples
    --------
    >>> X, y = make_churn_features(transactions, cutoff="2025-03-31")  # doctest: +SKIP
    >>> model = ChurnClassifier(random_state=0).fit(X, y)  # doctest: +SKIP
    >>> model.predict_proba(X_now)[:, 1]  # churn probability  # doctest: +SKIP
    """

    def __init__(self, *, random_state: int | None = None, calibration_folds: int = 3) -> None:
        self.random_state = random_state
        self.calibration_folds = calibration_folds

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # gradient boosting handles missing values
        return tags

    def _frame(self, X: Any, *, reset: bool) -> pd.DataFrame:
        """Check features (names and count against fit); return them as a DataFrame."""
        if isinstance(X, pd.DataFrame):
            validate_data(self, X, reset=reset, skip_check_array=True)
            return X
        arr = validate_data(self, X, reset=reset, ensure_all_finite="allow-nan",
                            dtype="numeric")
        return pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])

    def fit(self, X: Any, y: Any) -> ChurnClassifier:
        """Fit the pipeline on features ``X`` (one row per customer) and labels ``y``.

        Raises
        ------
        ParameterError
            ``calibration_folds`` is not a whole number >= 2.
        DataValidationError
            ``y`` has a single class, or a class with fewer customers than folds.
        """
        folds = self.calibration_folds
        if isinstance(folds, bool) or not isinstance(folds, (int, np.integer)) or folds < 2:
            msg = f"calibration_folds must be a whole number >= 2; got {folds!r}."
            raise ParameterError(msg)
        frame = self._frame(X, reset=True)
        y = column_or_1d(np.asarray(y), warn=True)
        if y.dtype.kind in "fc" and not np.isfinite(y).all():
            bad = ~np.isfinite(y)
            msg = (f"ChurnClassifier.fit(): {int(bad.sum()):,} of {y.size:,} labels in y are "
                   f"missing or infinite (rows {', '.join(map(str, np.flatnonzero(bad)[:5]))})"
                   f". Label every customer 1 (churned) or 0, or drop unlabelled rows.")
            raise DataValidationError(msg, n_failed=int(bad.sum()))
        check_classification_targets(y)
        if y.shape[0] != frame.shape[0]:
            msg = (f"ChurnClassifier.fit(): X has {frame.shape[0]:,} rows but y has "
                   f"{y.shape[0]:,} labels; pass one label per customer.")
            raise DataValidationError(msg)
        classes, counts = np.unique(y, return_counts=True)
        if classes.size < 2:
            only = classes[0].item() if classes.size else None
            msg = (f"ChurnClassifier.fit() needs churned and retained customers, but y has "
                   f"1 class ({only!r}) in {y.size:,} rows. "
                   f"Use a longer churn window or an earlier cutoff.")
            raise DataValidationError(msg)
        if counts.min() < folds:
            msg = (f"ChurnClassifier.fit(): class {classes[np.argmin(counts)].item()!r} has only "
                   f"{counts.min():,} customers, fewer than calibration_folds={folds}. Use "
                   f"more customers or a longer churn window.")
            raise DataValidationError(msg)
        pipeline = make_churn_pipeline(random_state=self.random_state,
                                       calibration_folds=folds)
        with _threads(frame.shape[0]):
            self.pipeline_ = pipeline.fit(frame, y)
        self.classes_ = self.pipeline_.classes_
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Return class probabilities, one row per customer (column 1: churn)."""
        check_is_fitted(self)
        frame = self._frame(X, reset=False)
        # one thread for small predictions (see above _threads); a large table (scoring
        # every customer) uses the cores, as a fit does: each row's trees are the same
        with _threads(frame.shape[0]):
            return self.pipeline_.predict_proba(frame)

    def predict(self, X: Any) -> np.ndarray:
        """Return the most likely class per customer (probability > 0.5 for churn)."""
        proba = self.predict_proba(X)  # checks fitted first
        return self.classes_[np.argmax(proba, axis=1)]

    # --- persistence ------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the fitted classifier: a JSON header line, then joblib (see module)."""
        import joblib
        import sklearn

        from .. import __version__

        check_is_fitted(self)
        header = {"format": _FORMAT, "clvkit_version": __version__,
                  "sklearn_version": sklearn.__version__}
        with open(path, "wb") as fh:
            fh.write(json.dumps(header).encode("utf-8") + b"\n")
            joblib.dump(self, fh)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> ChurnClassifier:
        """Read a classifier written by :meth:`save` (only files you trust: see module).

        Raises
        ------
        ParameterError
            The file is not a saved ChurnClassifier, or was written with another
            scikit-learn version (refit, or install that version).
        """
        import joblib
        import sklearn

        with open(path, "rb") as fh:
            line = fh.readline(4096)
            try:
                header = json.loads(line)
            except ValueError:
                header = None
            if not isinstance(header, dict) or header.get("format") != _FORMAT:
                msg = (f"{os.fspath(path)!r} is not a ChurnClassifier saved by clvkit (no "
                       f"{_FORMAT!r} header); it was not unpickled. JSON models are read "
                       f"with clvkit.models.load_model(path).")
                raise ParameterError(msg)
            saved = header.get("sklearn_version")
            if saved != sklearn.__version__:
                msg = (f"{os.fspath(path)!r} was saved with scikit-learn {saved}, this is "
                       f"{sklearn.__version__}: a pickled model is only reliable with the "
                       f"version that wrote it. Refit the classifier (ChurnClassifier().fit) "
                       f"or install scikit-learn=={saved}.")
                raise ParameterError(msg)
            model = joblib.load(fh)
        if not isinstance(model, cls):
            msg = f"{os.fspath(path)!r} holds a {type(model).__name__}, not a ChurnClassifier."
            raise ParameterError(msg)
        return model
