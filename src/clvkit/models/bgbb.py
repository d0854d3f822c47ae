r"""BG/BB: the beta-geometric/beta-Bernoulli model for discrete-time data.

Some businesses give customers a fixed number of transaction opportunities: annual
donation drives, yearly events, a weekly newsletter's issues. Fader, Hardie & Shang
(2010) model them like BG/NBD does continuous time:

* while active, a customer transacts at each opportunity with probability
  :math:`p \sim \mathrm{Beta}(\alpha, \beta)` (beta-Bernoulli);
* at the start of each opportunity an active customer becomes inactive for good with
  probability :math:`\theta \sim \mathrm{Beta}(\gamma, \delta)` (beta-geometric).

Data per customer (paper -> clvkit): :math:`x` = ``frequency`` (repeat transactions
after the first opportunity), :math:`t_x` = ``recency`` (opportunity of the last
transaction, 0 when :math:`x = 0`), :math:`n` = ``n_periods`` (opportunities observed).
Customers sharing :math:`(x, t_x, n)` are indistinguishable, so the model is fitted on
the unique tuples weighted by their counts (``sample_weight``), as the paper does.

References
----------
.. [1] Fader, P. S., Hardie, B. G. S. and Shang, J. (2010), "Customer-base analysis in a
   discrete-time noncontractual setting", Marketing Science 29(6), 1086-1108.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, special
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from ..exceptions import ConvergenceError, DataValidationError, ParameterError
from ..schema import FREQUENCY
from . import _estimator as est
from ._bgbb_data import N_PERIODS, bgbb_summary, check_bgbb, weights_of
from ._bgbb_math import NAMES as _NAMES
from ._bgbb_math import alive_sum, hyp_series, log_likelihood
from ._checks import check_positive
from ._compress import compress as _compress
from ._pmf import check_counts

__all__ = ["N_PERIODS", "BGBBModel", "bgbb_summary", "fit_bgbb", "log_likelihood"]


class BGBBModel(est.FittedParameters, BaseEstimator):
    r"""Beta-geometric/beta-Bernoulli model of discrete-time repeat transactions.

    Likelihood ([1]_, eq. 5) in :func:`log_likelihood`; predictions:

    * P(alive at opportunity :math:`n+1`) ([1]_, eq. 11):
      :math:`\frac{B(\alpha+x, \beta+n-x)}{B(\alpha,\beta)}\frac{B(\gamma,\delta+n+1)}
      {B(\gamma,\delta)} / L`;
    * expected transactions in the next :math:`n^*` opportunities ([1]_, eq. 13):
      :math:`\frac{1}{L}\frac{B(\alpha+x+1, \beta+n-x)}{B(\alpha,\beta)}
      \sum_{t=n+1}^{n+n^*}\frac{B(\gamma,\delta+t)}{B(\gamma,\delta)}`;
    * a new customer's :math:`E[X(n)] = \frac{\alpha}{\alpha+\beta}\sum_{t=1}^{n}
      \frac{B(\gamma,\delta+t)}{B(\gamma,\delta)}` ([1]_, eq. 9) and
      :math:`P(X(n) = x)` ([1]_, eq. 7);
    * P(no transaction in the next :math:`m` opportunities), see
      :meth:`probability_no_purchase`;
    * DERT, discounted expected residual transactions ([1]_, eq. 14).

    Parameters
    ----------
    penalizer_coef : float, default 0.0
        L2 penalty on the parameters (as lifetimes), in log-likelihood units per
        customer; 0.001-0.1 helps when the fit runs to extreme values.
    compress : bool, default True
        Fit and predict on the unique (frequency, recency, n_periods) tuples.
    max_iter : int, default 1000
        Iteration limit of the optimiser (BFGS on the log-parameters).

    Attributes
    ----------
    params_ : dict
        ``alpha``, ``beta`` (transaction), ``gamma``, ``delta`` (dropout).
    standard_errors_ : dict
        Asymptotic standard errors (numerical Hessian, delta method).
    log_likelihood_ : float
        Maximised log-likelihood (donations data: -33,225.6 in [1]_).
    n_customers_, n_repeaters_, n_unique_ : int
        Customers (sum of weights), those with frequency > 0, distinct tuples.

    Examples
    --------
    >>> from lifetimes.datasets import load_donations  # doctest: +SKIP
    >>> d = load_donations().rename(columns={"periods": "n_periods"})  # doctest: +SKIP
    >>> fit_bgbb(d, sample_weight="weights").params  # doctest: +SKIP
    {'alpha': 1.204, 'beta': 0.750, 'gamma': 0.657, 'delta': 2.783}
    """

    _kind = "bgbb"
    _label = "BG/BB"

    def __init__(self, *, penalizer_coef: float = 0.0, compress: bool = True,
                 max_iter: int = 1000) -> None:
        self.penalizer_coef = penalizer_coef
        self.compress = compress
        self.max_iter = max_iter

    @classmethod
    def from_params(cls, **params: float) -> BGBBModel:
        """Build the model from known ``alpha, beta, gamma, delta`` (predicts unfitted)."""
        return est.from_params(cls, _NAMES, params)

    # --- fit ----------------------------------------------------------------------------
    def fit(self, summary: pd.DataFrame, y: None = None,
            sample_weight: str | np.ndarray | pd.Series | None = None) -> BGBBModel:
        """Estimate alpha, beta, gamma, delta by maximum likelihood.

        Parameters
        ----------
        summary : pandas.DataFrame
            One row per customer, or per (frequency, recency, n_periods) tuple with
            ``sample_weight`` giving how many customers share it.
        y : None
            Unused; present for scikit-learn compatibility.
        sample_weight : str or array-like, optional
            Customers per row (whole numbers >= 0), or the name of a column of
            ``summary`` holding them (e.g. ``"weights"`` in lifetimes' donations data).

        Returns
        -------
        self

        Raises
        ------
        DataValidationError
            Missing columns, impossible histories, bad weights, no repeat transaction.
        ConvergenceError
            The optimiser did not converge.
        """
        check_positive("penalizer_coef", self.penalizer_coef, allow_zero=True)
        x, tx, n = check_bgbb(summary, "BGBBModel.fit()")
        w = weights_of(summary, sample_weight)
        if self.compress:
            packed = _compress(x, tx, n)
            x, tx, n = packed.columns
            w = np.bincount(packed.inverse, weights=w, minlength=packed.n_unique)
        keep = w > 0
        x, tx, n, w = x[keep], tx[keep], n[keep], w[keep]
        n_rep = float(w[x > 0].sum())
        if n_rep == 0:
            msg = (f"BG/BB needs repeat transactions, but all {w.sum():,.0f} customers have "
                   f"frequency 0. Use more transaction opportunities (a longer history).")
            raise DataValidationError(msg, column=FREQUENCY, n_failed=int(w.sum()))
        total = w.sum()

        def nll(theta: np.ndarray) -> float:
            p = dict(zip(_NAMES, np.exp(theta), strict=True))
            value = -(w @ log_likelihood(p, x, tx, n)) / total
            return float(value + self.penalizer_coef * np.sum(np.exp(theta) ** 2))

        res = optimize.minimize(nll, np.zeros(4), method="BFGS",
                                options={"maxiter": self.max_iter, "gtol": 1e-7})
        if not np.isfinite(res.fun) or (not res.success and res.nit >= self.max_iter):
            msg = (f"BG/BB fit did not converge after {res.nit:,} iterations ({res.message})."
                   f" Try penalizer_coef=0.001 (currently {self.penalizer_coef}) or a larger"
                   f" max_iter (currently {self.max_iter:,}); the data have {total:,.0f} "
                   f"customers, at most {int(n.max()):,} opportunities.")
            raise ConvergenceError(msg)
        theta = np.exp(res.x)
        self.params_ = {k: float(v) for k, v in zip(_NAMES, theta, strict=True)}

        def total_nll(values: np.ndarray) -> float:
            return -float(w @ log_likelihood(dict(zip(_NAMES, values, strict=True)), x, tx, n))

        se = est.numerical_se(total_nll, theta)
        self.standard_errors_ = {k: float(v) for k, v in zip(_NAMES, se, strict=True)}
        self.log_likelihood_ = -total_nll(theta)
        self.n_customers_ = int(np.rint(total))
        self.n_repeaters_ = int(np.rint(n_rep))
        self.n_unique_ = int(x.size)
        return self

    # --- predictions ----------------------------------------------------------------------
    def _per_row(self, summary: pd.DataFrame, fn: Any, what: str) -> pd.Series:
        check_is_fitted(self, "params_")
        x, tx, n = check_bgbb(summary, f"BGBBModel.{what}()")
        if self.compress:
            packed = _compress(x, tx, n)
            values = packed.expand(fn(*packed.columns))
        else:
            values = fn(x, tx, n)
        return pd.Series(values, index=summary.index.copy(), dtype=float)

    def _log_ab(self, x: np.ndarray, n: np.ndarray, extra: float) -> np.ndarray:
        a, b = self.params_["alpha"], self.params_["beta"]
        return special.betaln(a + x + extra, b + n - x) - special.betaln(a, b)

    def p_alive(self, summary: pd.DataFrame) -> pd.Series:
        """Return each customer's probability of being active at opportunity n + 1."""
        def fn(x, tx, n):
            g, d = self.params_["gamma"], self.params_["delta"]
            log_alive = (self._log_ab(x, n, 0.0) + special.betaln(g, d + n + 1)
                         - special.betaln(g, d))
            return np.exp(log_alive - log_likelihood(self.params_, x, tx, n))

        return self._per_row(summary, fn, "p_alive")

    def predict_purchases(self, summary: pd.DataFrame, n_periods: int) -> pd.Series:
        """Return each customer's expected transactions in the next ``n_periods``
        opportunities, :math:`E[X(n, n+n^*) \\mid x, t_x, n]`."""
        m = float(check_counts(n_periods, "n_periods"))

        def fn(x, tx, n):
            g, d = self.params_["gamma"], self.params_["delta"]
            log_front = self._log_ab(x, n, 1.0) - log_likelihood(self.params_, x, tx, n)
            return np.exp(log_front) * alive_sum(g, d, n, np.full_like(n, m))

        return self._per_row(summary, fn, "predict_purchases")

    def expected_purchases(self, n_periods: int | np.ndarray) -> np.ndarray:
        """Return a new customer's expected transactions in the first ``n_periods``
        opportunities, :math:`E[X(n)]`."""
        check_is_fitted(self, "params_")
        n = np.atleast_1d(check_counts(n_periods, "n_periods"))
        p = self.params_
        share = p["alpha"] / (p["alpha"] + p["beta"])
        return share * alive_sum(p["gamma"], p["delta"], np.zeros_like(n), n)

    def probability_of_purchases(self, n_periods: int | np.ndarray,
                                 x: int | np.ndarray) -> np.ndarray:
        r"""Return :math:`P(X(n) = x)` for a new customer ([1]_, eq. 7); broadcasts:

        .. math:: \binom{n}{x}\frac{B(\alpha+x, \beta+n-x)}{B(\alpha,\beta)}
           \frac{B(\gamma,\delta+n)}{B(\gamma,\delta)} + \sum_{i=x}^{n-1}\binom{i}{x}
           \frac{B(\alpha+x, \beta+i-x)}{B(\alpha,\beta)}\frac{B(\gamma+1,\delta+i)}
           {B(\gamma,\delta)}
        """
        check_is_fitted(self, "params_")
        n, k = np.broadcast_arrays(np.atleast_1d(check_counts(n_periods, "n_periods")),
                                   np.atleast_1d(check_counts(x, "x")))
        a, b, g, d = (self.params_[name] for name in _NAMES)
        base = special.betaln(a, b) + special.betaln(g, d)
        ok = k <= n
        kk = np.where(ok, k, 0.0)
        out = np.exp(np.log(special.comb(n, kk)) + special.betaln(a + kk, b + n - kk)
                     + special.betaln(g, d + n) - base)
        for i in range(int(n.max(initial=0))):
            m = (i >= kk) & (i < n)
            if m.any():
                out[m] += np.exp(np.log(special.comb(i, kk[m]))
                                 + special.betaln(a + kk[m], b + i - kk[m])
                                 + special.betaln(g + 1, d + i) - base)
        return np.where(ok, out, 0.0)

    def probability_no_purchase(self, summary: pd.DataFrame, n_periods: int) -> pd.Series:
        r"""Return each customer's probability of no transaction in the next ``n_periods``
        opportunities.

        With :math:`A = P(\text{active through } n \mid x, t_x, n)` (the first term of
        the likelihood over :math:`L`), under which :math:`p \sim B(\alpha+x,
        \beta+n-x)` and :math:`\theta \sim B(\gamma, \delta+n)`, a customer buys nothing
        in :math:`m` opportunities if she drops out at opportunity :math:`k \le m` having
        bought nothing before, or stays and never buys:

        .. math:: P_0 = 1 - A + A \Bigl(\sum_{k=1}^{m} E[\theta(1-\theta)^{k-1}]
           E[(1-p)^{k-1}] + E[(1-\theta)^m] E[(1-p)^m]\Bigr)
        """
        m = int(check_counts(n_periods, "n_periods"))

        def fn(x, tx, n):
            a, b, g, d = (self.params_[k] for k in _NAMES)
            ab, gd = special.betaln(a + x, b + n - x), special.betaln(g, d + n)
            active = np.exp(self._log_ab(x, n, 0.0) + gd - special.betaln(g, d)
                            - log_likelihood(self.params_, x, tx, n))
            stay = np.exp(special.betaln(g, d + n + m) - gd
                          + special.betaln(a + x, b + n - x + m) - ab)
            for k in range(1, m + 1):
                stay += np.exp(special.betaln(g + 1, d + n + k - 1) - gd
                               + special.betaln(a + x, b + n - x + k - 1) - ab)
            return np.clip(1.0 - active + active * stay, 0.0, 1.0)

        return self._per_row(summary, fn, "probability_no_purchase")

    def dert(self, summary: pd.DataFrame, discount_rate: float) -> pd.Series:
        r"""Return each customer's discounted expected residual transactions ([1]_, eq. 14).

        .. math::
            DERT = \frac{1}{L}\frac{B(\alpha+x+1, \beta+n-x)}{B(\alpha,\beta)}
            \frac{B(\gamma,\delta+n+1)}{B(\gamma,\delta)(1+d)}\,
            {}_2F_1\Bigl(1, \delta+n+1; \gamma+\delta+n+1; \frac{1}{1+d}\Bigr)

        i.e. the expected transactions at opportunities :math:`n+1, n+2, \dots`, the
        :math:`k`-th discounted by :math:`(1+d)^{-k}`. Multiply by the value of one
        transaction for the residual value of the customer.

        Parameters
        ----------
        discount_rate : float
            Discount rate per opportunity (> 0), e.g. 0.10 for yearly opportunities.
        """
        if isinstance(discount_rate, bool) or not isinstance(
            discount_rate, (int, float, np.integer, np.floating)
        ) or not np.isfinite(discount_rate) or discount_rate <= 0:
            msg = (f"discount_rate must be a number > 0 per transaction opportunity (e.g. "
                   f"0.10); got {discount_rate!r}. Undiscounted, the residual "
                   f"transactions are infinite when gamma < 1: use predict_purchases().")
            raise ParameterError(msg)
        z = 1.0 / (1.0 + discount_rate)

        def fn(x, tx, n):
            g, d = self.params_["gamma"], self.params_["delta"]
            log_front = (self._log_ab(x, n, 1.0) + special.betaln(g, d + n + 1)
                         - special.betaln(g, d) - log_likelihood(self.params_, x, tx, n))
            series = np.array(special.hyp2f1(1.0, d + n + 1, g + d + n + 1, z), dtype=float,
                              ndmin=1)
            bad = ~np.isfinite(series)
            if bad.any():
                series[bad] = [hyp_series(d + k + 1, g + d + k + 1, z) for k in n[bad]]
            return np.exp(log_front) * z * series

        return self._per_row(summary, fn, "dert")

    # --- persistence --------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Describe the fitted model as JSON-ready data (settings, parameters, version)."""
        check_is_fitted(self, "params_")
        return est.to_dict(self)

    def save(self, path: Any) -> None:
        """Write the fitted model as JSON; read it back with :func:`load_model`."""
        est.save(self, path)


def fit_bgbb(summary: pd.DataFrame, *, sample_weight: Any = None, **kwargs: Any) -> BGBBModel:
    """Fit a :class:`BGBBModel` to (frequency, recency, n_periods) rows in one call.

    ``sample_weight`` (array or column name) counts the customers per row; other
    keywords go to the model. Example: ``fit_bgbb(donations, sample_weight="weights")``.
    """
    return BGBBModel(**kwargs).fit(summary, sample_weight=sample_weight)
