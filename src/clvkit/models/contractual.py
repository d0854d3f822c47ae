"""Contractual retention: the shifted-beta-geometric (sBG) model.

In a contractual business (subscriptions, memberships) every customer renews or cancels
at the end of each period, and we see when they cancel. The sBG model of Fader & Hardie
(2007) assumes that, while active, a customer cancels at the end of each period with a
constant probability :math:`\\theta` (so her lifetime is shifted-geometric), and that
:math:`\\theta` varies across customers as a Beta(:math:`\\alpha`, :math:`\\beta`). The
mixture explains why aggregate retention rates rise with tenure even though nobody's own
churn probability changes: the high-churn customers leave first.

Notation (paper -> code): :math:`T` lifetime in periods (``t``), :math:`S(t)` survivor
function (``survival``), :math:`r_t` retention rate (``retention_rate``), :math:`n_t`
customers lost in period *t* (``lost``), :math:`d` discount rate per period.

References
----------
.. [1] Fader, P. S. & Hardie, B. G. S. (2007). How to project customer retention.
   *Journal of Interactive Marketing*, 21(1), 76-90.
.. [2] Fader, P. S. & Hardie, B. G. S. (2010). Customer-base valuation in a contractual
   setting: the perils of ignoring heterogeneity. *Marketing Science*, 29(1), 85-93.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import optimize, special
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from ..exceptions import ConvergenceError, ParameterError
from . import _estimator as est
from ._sbg_data import cohort_active_counts, observed_table, subscriber_count, survival_data
from ._sbg_math import _derl_series, _log_pmf, _log_survival, _neg_log_likelihood, _periods

__all__ = ["SBGModel", "cohort_active_counts", "fit_sbg", "subscriber_count"]


class SBGModel(BaseEstimator):
    """Shifted-beta-geometric model of contractual retention (Fader & Hardie 2007).

    Each customer cancels at the end of a period with probability :math:`\\theta`,
    :math:`\\theta \\sim \\mathrm{Beta}(\\alpha, \\beta)`. Then

    .. math::

        P(T = t) = \\frac{B(\\alpha + 1, \\beta + t - 1)}{B(\\alpha, \\beta)}, \\qquad
        S(t) = \\frac{B(\\alpha, \\beta + t)}{B(\\alpha, \\beta)}, \\qquad
        r_t = \\frac{S(t)}{S(t-1)} = \\frac{\\beta + t - 1}{\\alpha + \\beta + t - 1},

    and the parameters are estimated by maximum likelihood from the number lost in each
    period plus the right-censored survivors ([1], Appendix B, eq. B3):

    .. math::

        LL(\\alpha, \\beta) = \\sum_{t=1}^{m} n_t \\ln P(T = t)
            + \\Bigl(n - \\sum_{t=1}^{m} n_t\\Bigr) \\ln S(m).

    Several cohorts observed for different numbers of periods are fitted jointly (each
    contributes its own losses and its own censored survivors).

    Parameters
    ----------
    max_iter : int, default 1000
        Iteration limit of the BFGS optimiser.

    Attributes
    ----------
    params_ : dict
        ``{"alpha": ..., "beta": ...}``.
    standard_errors_ : dict
        Asymptotic standard errors from the observed information matrix.
    log_likelihood_ : float
        Maximised log-likelihood.
    n_customers_ : int
        Customers in the fitted cohort(s).
    n_periods_ : int
        Longest observed history, in periods.
    observed_ : pandas.DataFrame
        Indexed by period ``t`` (0..n_periods_) with columns at_risk, lost, censored and
        observed_survival (Kaplan-Meier, equal to active[t] / active[0] for one cohort).

    References
    ----------
    Fader & Hardie (2007), *J. Interactive Marketing* 21(1); Fader & Hardie (2010),
    *Marketing Science* 29(1).
    """

    def __init__(self, max_iter: int = 1000) -> None:
        self.max_iter = max_iter

    @classmethod
    def from_params(cls, **params: float) -> SBGModel:
        """Build the model from known ``alpha=`` and ``beta=`` (e.g. a paper's): it predicts
        without ``fit``; ``standard_errors_`` are NaN and there are no observed counts,
        so :meth:`project` needs ``cohort_size``.

        Raises
        ------
        ParameterError
            A missing, unknown or non-positive parameter.
        """
        model = est.from_params(cls, ("alpha", "beta"), params)
        model.observed_ = None
        return model

    def to_dict(self) -> dict:
        """Describe the fitted model as JSON-ready data (settings, parameters, counts)."""
        check_is_fitted(self)
        return est.to_dict(self)

    def save(self, path) -> None:
        """Write the fitted model as JSON (no pickle); read it back with ``load_model``."""
        est.save(self, path)

    @property
    def params(self) -> dict[str, float]:
        """Fitted parameters ``{"alpha", "beta"}`` (same as ``params_``)."""
        check_is_fitted(self)
        return dict(self.params_)

    def fit(self, active: Sequence[int] | np.ndarray | pd.DataFrame, y: None = None
            ) -> SBGModel:
        """Estimate alpha and beta by maximum likelihood.

        Parameters
        ----------
        active : sequence of int or pandas.DataFrame
            Customers still active at the start and at the end of each period, cohort
            size first (e.g. ``[1000, 631, 468, 382]``). A DataFrame holds one cohort per
            row, periods 0, 1, ... as columns, missing values after each cohort's last
            observed period (as returned by :func:`cohort_active_counts`).
        y : None
            Unused; present for scikit-learn compatibility.

        Returns
        -------
        SBGModel
            The fitted model (``self``).

        Raises
        ------
        DataValidationError
            Counts that are negative, not whole numbers, increasing over time, shorter
            than two periods, or without a single cancellation.
        ConvergenceError
            The optimiser did not converge.
        """
        lost, censored = survival_data(active)
        objective = lambda x: _neg_log_likelihood(x, lost, censored)  # noqa: E731
        res = optimize.minimize(
            objective, np.zeros(2), jac=True, method="BFGS",
            options={"maxiter": self.max_iter, "gtol": 1e-8},
        )
        if not res.success and np.max(np.abs(res.jac)) > 1e-3:
            msg = (
                f"sBG fit did not converge after {res.nit:,} iterations ({res.message}); "
                f"gradient {res.jac}. Check the counts or pass a larger max_iter "
                f"(currently {self.max_iter:,})."
            )
            raise ConvergenceError(msg)
        alpha, beta = (float(v) for v in np.exp(res.x))
        self.params_ = {"alpha": alpha, "beta": beta}
        self.log_likelihood_ = float(-res.fun)
        self.standard_errors_ = self._standard_errors(alpha, beta, lost, censored)
        self.n_customers_ = int(lost.sum() + censored.sum())
        self.n_periods_ = int(lost.size)
        self.observed_ = observed_table(lost, censored)
        return self

    @staticmethod
    def _standard_errors(alpha, beta, lost, censored) -> dict[str, float]:
        nll = lambda p: _neg_log_likelihood(np.log(p), lost, censored)[0]  # noqa: E731
        se = est.numerical_se(nll, np.array([alpha, beta]))
        return {"alpha": float(se[0]), "beta": float(se[1])}

    def summary(self) -> pd.DataFrame:
        """Return the parameter table (index alpha, beta; columns estimate, std_error,
        lower_95, upper_95). The 95 % interval is computed on the log scale,
        :math:`\\exp(\\log\\theta \\pm 1.96\\,se/\\theta)`, so it stays positive."""
        check_is_fitted(self)
        return est.parameter_table(self.params_, self.standard_errors_)

    # --- model quantities -----------------------------------------------------------
    def churn_probability(self, t: int | np.ndarray) -> np.ndarray:
        """Return P(T = t): the probability of cancelling in period ``t`` (t >= 1)."""
        check_is_fitted(self)
        t = _periods(t, minimum=1)
        return np.exp(_log_pmf(self.params_["alpha"], self.params_["beta"], t))

    def survival(self, t: int | np.ndarray) -> np.ndarray:
        """Return S(t): the share of a new cohort still active after ``t`` periods."""
        check_is_fitted(self)
        t = _periods(t, minimum=0)
        return np.exp(_log_survival(self.params_["alpha"], self.params_["beta"], t))

    def retention_rate(self, t: int | np.ndarray) -> np.ndarray:
        """Return r_t = (beta + t - 1) / (alpha + beta + t - 1), the period-t retention."""
        check_is_fitted(self)
        t = _periods(t, minimum=1)
        a, b = self.params_["alpha"], self.params_["beta"]
        return (b + t - 1) / (a + b + t - 1)

    def project(self, n_periods: int, *, cohort_size: float | None = None) -> pd.DataFrame:
        """Project survival and retention for periods 0..``n_periods``.

        Parameters
        ----------
        n_periods : int
            Last period to project (>= 1).
        cohort_size : float, optional
            Size of the cohort for ``expected_active``; default the fitted cohort size
            (one cohort) or the number of customers in all fitted cohorts. Required for
            a model built with :meth:`from_params`.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``period`` with columns survival, retention_rate (NaN at 0),
            churn_probability (NaN at 0), expected_active, observed_survival (NaN beyond
            the data) and observed (True where the period was in the fitted data).
        """
        check_is_fitted(self)
        if isinstance(n_periods, bool) or not isinstance(n_periods, (int, np.integer)) or (
            n_periods < 1
        ):
            msg = f"n_periods must be a whole number >= 1; got {n_periods!r}"
            raise ParameterError(msg)
        observed = getattr(self, "observed_", None)
        if cohort_size is None and observed is None:
            msg = ("project() needs cohort_size for a model built with from_params() (there "
                   "is no fitted cohort to take the size from); e.g. project(12, "
                   "cohort_size=1000).")
            raise ParameterError(msg)
        t = np.arange(n_periods + 1)
        size = self.n_customers_ if cohort_size is None else cohort_size
        out = pd.DataFrame({"survival": self.survival(t)}, index=pd.Index(t, name="period"))
        out["retention_rate"] = np.r_[np.nan, self.retention_rate(t[1:])]
        out["churn_probability"] = np.r_[np.nan, self.churn_probability(t[1:])]
        out["expected_active"] = size * out["survival"]
        if observed is None:
            out["observed_survival"] = np.nan
            out["observed"] = False
        else:
            out["observed_survival"] = observed["observed_survival"].reindex(t)
            out["observed"] = out.index <= self.n_periods_
        return out

    def expected_lifetime(self, horizon: int | None = None) -> float:
        """Return the expected lifetime in periods, E[T] or E[min(T, horizon)].

        For the shifted-geometric mixture :math:`E[T] = (\\alpha + \\beta - 1) /
        (\\alpha - 1)`, finite only when :math:`\\alpha > 1`. Otherwise the mean is
        infinite (a few near-loyal customers never leave): this returns ``inf`` with a
        warning; pass ``horizon`` for :math:`E[\\min(T, H)] = \\sum_{t=0}^{H-1} S(t)`,
        use :meth:`median_lifetime`, or value customers with :meth:`derl`.

        Raises
        ------
        ParameterError
            ``horizon`` is not a whole number >= 1.
        """
        check_is_fitted(self)
        a, b = self.params_["alpha"], self.params_["beta"]
        if horizon is not None:
            if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) or (
                horizon < 1
            ):
                msg = f"horizon must be a whole number of periods >= 1; got {horizon!r}"
                raise ParameterError(msg)
            return float(self.survival(np.arange(horizon)).sum())
        if a <= 1:
            msg = (
                f"The expected sBG lifetime is infinite because alpha = {a:.3f} <= 1. "
                "Use expected_lifetime(horizon=...), median_lifetime() or derl() instead."
            )
            warnings.warn(msg, UserWarning, stacklevel=2)
            return math.inf
        return (a + b - 1) / (a - 1)

    def lifetime_summary(self, horizon: int = 24) -> pd.Series:
        """Return mean (``inf`` when alpha <= 1, without a warning), median and
        horizon-truncated mean lifetime, in periods, as a Series (mean, median,
        mean_within_horizon, horizon)."""
        check_is_fitted(self)
        a, b = self.params_["alpha"], self.params_["beta"]
        return pd.Series({
            "mean": (a + b - 1) / (a - 1) if a > 1 else math.inf,
            "median": float(self.median_lifetime()),
            "mean_within_horizon": self.expected_lifetime(horizon=horizon),
            "horizon": float(horizon),
        })

    def median_lifetime(self) -> int:
        """Return the first period ``t`` after which at most half a cohort is active."""
        check_is_fitted(self)
        t, step = 0, 64
        while self.survival(t + step)[0] > 0.5:  # S(t) -> 0, so this ends
            t, step = t + step, step * 2
        grid = np.arange(t, t + step + 1)
        return int(grid[np.argmax(self.survival(grid) <= 0.5)])

    def derl(self, discount_rate: float, renewals: int = 0) -> float:
        """Return the discounted expected residual lifetime (Fader & Hardie 2010, eq. 6).

        For a customer who has made ``renewals`` = n - 1 renewals and is about to decide on
        the next one, the expected discounted number of future payments (one per period,
        the next one undiscounted) is

        .. math::

            DERL(d \\mid \\alpha, \\beta, n - 1) =
            \\frac{\\beta + n - 1}{\\alpha + \\beta + n - 1}\\;
            {}_2F_1\\Bigl(1, \\beta + n; \\alpha + \\beta + n; \\frac{1}{1 + d}\\Bigr)
            = \\sum_{k \\ge 0} \\frac{S(n + k)}{S(n - 1)} (1 + d)^{-k}.

        Multiply by the margin per period to get the residual value of such a customer.

        Parameters
        ----------
        discount_rate : float
            Discount rate per model period d (> 0), e.g. 0.10 for 10 % a year with yearly
            periods or ``(1.10) ** (1 / 12) - 1`` with monthly ones.
        renewals : int, default 0
            Renewals already made (n - 1 >= 0); 0 is a customer at the end of her first
            period.

        Raises
        ------
        ParameterError
            ``discount_rate`` <= 0 or ``renewals`` not a whole number >= 0.
        """
        check_is_fitted(self)
        if not np.isfinite(discount_rate) or discount_rate <= 0:
            msg = (
                f"discount_rate must be > 0 (per model period); got {discount_rate!r}. "
                "For the undiscounted mean use expected_lifetime()."
            )
            raise ParameterError(msg)
        n = int(_periods(renewals, minimum=0, name="renewals")[0]) + 1
        a, b = self.params_["alpha"], self.params_["beta"]
        z = 1.0 / (1.0 + discount_rate)
        value = (b + n - 1) / (a + b + n - 1) * special.hyp2f1(1, b + n, a + b + n, z)
        if not np.isfinite(value):  # scipy's 2F1 fails for large alpha, beta (~ > 100)
            value = _derl_series(a, b, n, z)
        return float(value)


def fit_sbg(active: Sequence[int] | np.ndarray | pd.DataFrame, **kwargs) -> SBGModel:
    """Fit the shifted-beta-geometric retention model in one call.

    Parameters
    ----------
    active : sequence of int or pandas.DataFrame
        Customers still active at the start and end of each period, cohort size first,
        e.g. Fader & Hardie's (2007) "regular" segment
        ``[1000, 631, 468, 382, 326, 289, 262, 241]``; or one cohort per row (see
        :func:`cohort_active_counts`).
    **kwargs
        Passed to :class:`SBGModel`.

    Returns
    -------
    SBGModel
        Fitted model; ``.params`` is ``{"alpha": ..., "beta": ...}``.

    Raises
    ------
    DataValidationError, ConvergenceError
        See :meth:`SBGModel.fit`.

    Examples
    --------
    >>> m = fit_sbg([1000, 631, 468, 382, 326, 289, 262, 241])
    >>> {k: round(v, 3) for k, v in m.params.items()}
    {'alpha': 0.704, 'beta': 1.182}
    """
    return SBGModel(**kwargs).fit(active)

