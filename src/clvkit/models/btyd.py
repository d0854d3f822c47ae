r"""Buy-till-you-die models: BG/NBD, Pareto/NBD, MBG/NBD and Gamma-Gamma.

Each model is a scikit-learn style estimator fitted on a per-customer summary (one
row per customer, indexed by customer_id, columns ``frequency``, ``recency``, ``T``
and, for Gamma-Gamma, ``monetary_value``; see :func:`clvkit.rfm_summary`). By default
(``backend="clvkit"``) the estimation uses clvkit's vectorised log-likelihoods with
analytic gradients (:mod:`clvkit.models._likelihood`, :mod:`clvkit.models._fit`) and
the predictions its closed forms (:mod:`clvkit.models._predict`);
``backend="lifetimes"`` runs lifetimes instead (through
:mod:`clvkit.models._lifetimes`) to reproduce its numbers. Both work on the unique
(frequency, recency, T) tuples weighted by how many customers share them, which gives
the same maximum-likelihood estimates as fitting every customer.

Notation (paper -> clvkit): :math:`x` = ``frequency`` (repeat purchase periods),
:math:`t_x` = ``recency`` (time of the last purchase, from the first),
:math:`T` = ``T`` (age: time from the first purchase to the end of observation),
:math:`\bar z` / :math:`m_x` = ``monetary_value`` (mean spend of repeat purchases).
Times are in the summary's unit (``freq`` of :func:`clvkit.rfm_summary`, weeks by
default), so ``alpha`` and ``beta`` are in that unit too.

References
----------
.. [1] Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005), "Counting your customers
   the easy way: an alternative to the Pareto/NBD model", Marketing Science 24(2),
   275-284.
.. [2] Schmittlein, D. C., Morrison, D. G. and Colombo, R. (1987), "Counting your
   customers: who are they and what will they do next?", Management Science 33(1).
.. [3] Batislam, E. P., Denizel, M. and Filiztekin, A. (2007), "Empirical validation
   and comparison of models for customer base analysis", IJRM 24(3), 201-209 (MBG/NBD).
.. [4] Fader, P. S. and Hardie, B. G. S. (2013), "The Gamma-Gamma model of monetary
   value", http://brucehardie.com/notes/025/.
.. [5] Hardie, B. G. S. notes 004 (BG/NBD derivations), 008/009 (Pareto/NBD),
   021 (P(alive) for BG/NBD), http://brucehardie.com/notes/.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from ..exceptions import ParameterError
from ..schema import FREQUENCY, RECENCY, T
from . import _lifetimes as lt
from . import _pmf, _predict, _units
from ._base import BTYDModel, check_repeaters
from ._checks import check_positive, check_summary
from .spend import GammaGammaModel, fit_gamma_gamma, gamma_gamma_independence

if TYPE_CHECKING:
    from .covariates import BGNBDCovariateModel, ParetoNBDCovariateModel

__all__ = [
    "BGNBDModel",
    "GammaGammaModel",
    "MBGNBDModel",
    "ParetoNBDModel",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "fit_mbgnbd",
    "fit_paretonbd",
    "gamma_gamma_independence",
    "load_model",
]


class _PurchaseModel(BTYDModel):
    """A model of purchase counts and dropout fitted on (frequency, recency, T)."""

    _columns = (FREQUENCY, RECENCY, T)

    def fit(self, summary: pd.DataFrame, y: None = None) -> _PurchaseModel:
        """Estimate the model by maximum likelihood from a per-customer summary.

        Parameters
        ----------
        summary : pandas.DataFrame
            One row per customer with ``frequency`` (repeat purchase periods),
            ``recency`` and ``T`` (in the summary's time unit). Other columns are
            ignored.
        y : None
            Unused; present for scikit-learn compatibility.

        Returns
        -------
        self
            With ``params_``, ``standard_errors_``, ``log_likelihood_`` (in the
            summary's time unit), ``n_customers_``, ``n_repeaters_``, ``n_unique_``
            (distinct (frequency, recency, T) tuples), ``time_unit_`` (the unit
            recorded in ``summary.attrs``, or None) and ``diagnostics_`` (see
            :mod:`clvkit.models._diagnostics`). An optimum at the edge of the
            parameter space is a valid fit, listed in ``diagnostics_["at_edge"]``
            with a UserWarning.

        Raises
        ------
        DataValidationError
            Missing columns, invalid values, or no repeat customers at all.
        ParameterError
            ``backend`` is not "clvkit" or "lifetimes".
        ConvergenceError
            Only with ``backend="lifetimes"``: lifetimes' optimiser did not converge.
        """
        v = check_summary(summary, self._columns, label=f"{self._label} fit")
        x = v[FREQUENCY]
        n_rep = check_repeaters(summary.index, x, self._label)
        hint = (
            f"The data have {x.size:,} customers, {n_rep:,} with repeat purchases; the "
            f"largest frequency is {int(x.max()):,}."
        )
        self._fit_arrays((x, v[RECENCY], v[T]), hint)
        self.n_customers_ = int(x.size)
        self.n_repeaters_ = n_rep
        self.time_unit_ = _units.summary_unit(summary)
        self._finish_diagnostics(x.size, n_rep)
        return self

    def p_alive(self, summary: pd.DataFrame) -> pd.Series:
        """Return each customer's probability of still being active at ``T``.

        Parameters
        ----------
        summary : pandas.DataFrame
            Columns ``frequency``, ``recency``, ``T`` (same time unit as the fit).

        Returns
        -------
        pandas.Series
            P(alive) in [0, 1], indexed like ``summary``.
        """
        return self._per_row(summary, self._columns, self._p_alive)

    def _p_alive(self, x: np.ndarray, tx: np.ndarray, age: np.ndarray) -> np.ndarray:
        if getattr(self, "backend", "clvkit") == "lifetimes":
            return lt.predict(self._kind, self.params_, "conditional_probability_alive",
                              x, tx, age)
        return _predict.p_alive(self._kind, self._theta(), x, tx, age)

    def _theta(self) -> tuple[float, ...]:
        return tuple(float(self.params_[k]) for k in lt.PARAM_NAMES[self._kind])

    def predict_purchases(self, summary: pd.DataFrame, t: float) -> pd.Series:
        """Return each customer's expected number of purchases in the next ``t`` periods.

        Parameters
        ----------
        summary : pandas.DataFrame
            Columns ``frequency``, ``recency``, ``T``.
        t : float
            Horizon in the summary's time unit (weeks for ``freq="W"``).

        Returns
        -------
        pandas.Series
            :math:`E[Y(t) \\mid x, t_x, T]`, indexed like ``summary``.
        """
        t = check_positive("t", t, allow_zero=True)
        return self._per_row(summary, self._columns, lambda x, tx, age: self._conditional(
            t, x, tx, age))

    def expected_purchases(self, t: float | np.ndarray) -> np.ndarray:
        """Return the expected repeat purchases of a new customer within ``t`` periods.

        This is the unconditional :math:`E[X(t)]` (BG/NBD: eq. 7 of [1]_), used for
        the cumulative tracking curve.
        """
        check_is_fitted(self, "params_")
        t_arr = np.atleast_1d(np.asarray(t, dtype=float))
        out = np.zeros_like(t_arr)
        pos = t_arr > 0
        if not pos.any():
            return out
        if getattr(self, "backend", "clvkit") == "lifetimes":
            out[pos] = lt.predict(self._kind, self.params_,
                                  "expected_number_of_purchases_up_to_time", t_arr[pos])
        else:
            out[pos] = _predict.expected_purchases(self._kind, self._theta(), t_arr[pos])
        return out

    def probability_of_purchases(self, t: float | np.ndarray, n: int | np.ndarray) -> np.ndarray:
        """Return P(X(t) = n): a new customer makes ``n`` repeat purchases in ``(0, t]``.

        ``t`` (summary's time unit) and ``n`` broadcast; formulas and papers in
        :mod:`clvkit.models._pmf` (BG/NBD: eq. 8 of [1]_).
        """
        check_is_fitted(self, "params_")
        return _pmf.pmf(self._kind, self.params_, t, n)

    def conditional_probability_of_purchases(
        self, summary: pd.DataFrame, t: float, n: int
    ) -> pd.Series:
        """Return each customer's P(X(T, T+t) = n | frequency, recency, T), indexed like
        ``summary`` (see :mod:`clvkit.models._pmf`)."""
        check_is_fitted(self, "params_")
        return _pmf.conditional_probability(self, summary, t, n)

    def probability_no_purchase(self, summary: pd.DataFrame, t: float) -> pd.Series:
        """Return each customer's probability of no purchase in the next ``t`` periods."""
        return self.conditional_probability_of_purchases(summary, t, 0)

    def _conditional_many(self, ts: list[float], x: np.ndarray, tx: np.ndarray,
                          age: np.ndarray) -> np.ndarray:
        """E[Y(t) | x, t_x, T] for several scalar horizons: shape (rows, len(ts))."""
        if getattr(self, "backend", "clvkit") != "lifetimes":
            return _predict.conditional_purchases_many(self._kind, self._theta(), ts, x, tx, age)
        return np.column_stack([self._conditional(t, x, tx, age) for t in ts])

    def _conditional(
        self, t: float | np.ndarray, x: np.ndarray, tx: np.ndarray, age: np.ndarray
    ) -> np.ndarray:
        """E[Y(t) | x, t_x, T] per row; ``t`` is a scalar or one horizon per row."""
        t_arr = np.broadcast_to(np.asarray(t, dtype=float), np.shape(x))
        if getattr(self, "backend", "clvkit") != "lifetimes":
            return _predict.conditional_purchases(self._kind, self._theta(), t_arr, x, tx, age)
        out = np.zeros(np.shape(x), dtype=float)
        pos = t_arr > 0  # lifetimes takes log(0) at t = 0; the answer there is 0
        if pos.any():
            out[pos] = lt.predict(self._kind, self.params_,
                                  "conditional_expected_number_of_purchases_up_to_time",
                                  t_arr[pos], x[pos], tx[pos], age[pos])
        return out


class BGNBDModel(_PurchaseModel):
    r"""Beta-geometric/NBD model of repeat purchasing (Fader, Hardie & Lee 2005).

    While active, a customer buys as a Poisson process with rate
    :math:`\lambda \sim \mathrm{Gamma}(r, \alpha)`; after each purchase they drop
    out with probability :math:`p \sim \mathrm{Beta}(a, b)`. The likelihood of one
    customer (eq. 6 of [1]_) is

    .. math::
        L(r,\alpha,a,b \mid x,t_x,T) =
        \frac{B(a, b+x)}{B(a,b)} \frac{\Gamma(r+x)\alpha^r}{\Gamma(r)(\alpha+T)^{r+x}}
        + \delta_{x>0} \frac{B(a+1, b+x-1)}{B(a,b)}
          \frac{\Gamma(r+x)\alpha^r}{\Gamma(r)(\alpha+t_x)^{r+x}}

    Predictions: conditional expected purchases (eq. 10 of [1]_) and P(alive)
    (Hardie note 021): :math:`1 / (1 + \delta_{x>0}\frac{a}{b+x-1}
    (\frac{\alpha+T}{\alpha+t_x})^{r+x})`.

    Parameters
    ----------
    penalizer_coef : float, default 0.0
        L2 penalty on the parameters (lifetimes' ``penalizer_coef``); 0.001-0.1
        helps when the fit does not converge.
    compress : bool, default True
        Fit and predict on unique (frequency, recency, T) tuples (same estimates,
        much faster on large bases).
    backend : {"clvkit", "lifetimes"}, default "clvkit"
        clvkit's vectorised likelihood and predictions, or lifetimes' (to reproduce
        its numbers; the estimates agree to about 1e-6 relative).

    Attributes
    ----------
    params_ : dict
        ``r``, ``alpha`` (in the summary's time unit), ``a``, ``b``.
    standard_errors_ : dict
        Asymptotic standard errors of the same parameters.
    log_likelihood_ : float
        Maximised log-likelihood (CDNOW sample, weeks: -9,582.4).
    diagnostics_ : dict
        ``converged``, ``at_edge`` (parameter names), ``log_likelihood``,
        ``n_customers``, ``n_repeaters``, ``penalizer_coef`` and ``warnings``
        (``{"code", "values"}`` entries; see :mod:`clvkit.models._diagnostics`).
    time_unit_ : dict or None
        The unit recorded in the summary's ``attrs`` (``freq``, ``freq_multiplier``,
        ``days``); predictions refuse a summary in another unit.

    References
    ----------
    Fader, Hardie & Lee (2005), Marketing Science 24(2), 275-284; Hardie notes
    004 and 021.

    Examples
    --------
    >>> import clvkit as ck
    >>> summary = ck.rfm_summary(ck.datasets.make_demo(300).transactions)  # doctest: +SKIP
    >>> ck.models.fit_bgnbd(summary).params  # doctest: +SKIP
    {'r': ..., 'alpha': ..., 'a': ..., 'b': ...}
    """

    _kind = "bgnbd"
    _label = "BG/NBD"


class ParetoNBDModel(_PurchaseModel):
    r"""Pareto/NBD model (Schmittlein, Morrison & Colombo 1987).

    Purchases follow a Poisson process with rate :math:`\lambda \sim
    \mathrm{Gamma}(r, \alpha)` while the customer is alive; the unobserved lifetime
    is exponential with rate :math:`\mu \sim \mathrm{Gamma}(s, \beta)`, so dropout can
    happen at any time, not only after a purchase. Likelihood: eq. (18)-(20) of
    Hardie note 009; conditional expectation eq. (41), P(alive) eq. (36)-(37).
    On the CDNOW sample (weeks): r=0.553, alpha=10.58, s=0.606, beta=11.67.

    Parameters
    ----------
    penalizer_coef : float, default 0.0
        L2 penalty on the parameters.
    compress : bool, default True
        Fit and predict on unique (frequency, recency, T) tuples.
    backend : {"clvkit", "lifetimes"}, default "clvkit"
        clvkit's vectorised likelihood (log-space 2F1, finite for heavy buyers) or
        lifetimes'.

    Notes
    -----
    The likelihood is evaluated in log space after Fader, Hardie & Shang (2005,
    note 008): the two hypergeometric terms of :math:`A_0` are taken in logs after
    Euler's transformation, so heavy buyers (x of 40-66 and more) and multi-year
    daily histories give a finite likelihood and finite predictions, where
    lifetimes returns NaN. With ``backend="lifetimes"`` the fit is lifetimes'
    Nelder-Mead from a fixed start point at a tight tolerance. Standard errors come
    from a numerical Hessian. lifetimes divides its penalty by the number of rows, so
    with ``penalizer_coef > 0`` the two backends differ for this model.
    """

    _kind = "paretonbd"
    _label = "Pareto/NBD"


class MBGNBDModel(_PurchaseModel):
    r"""Modified BG/NBD model (Batislam, Denizel & Filiztekin 2007).

    Like BG/NBD, but a customer may also drop out right after the first purchase,
    so one-time buyers are not assumed alive:
    :math:`P(\text{alive}) = 1 / (1 + \frac{a}{b+x}(\frac{\alpha+T}{\alpha+t_x})^{r+x})`
    (Appendix A, eq. 5 of the paper).

    Parameters
    ----------
    penalizer_coef : float, default 0.0
        L2 penalty on the parameters.
    compress : bool, default True
        Fit and predict on unique (frequency, recency, T) tuples.
    backend : {"clvkit", "lifetimes"}, default "clvkit"
        clvkit's vectorised likelihood (log-space 2F1, finite for heavy buyers) or
        lifetimes'.
    """

    _kind = "mbgnbd"
    _label = "MBG/NBD"


_MODELS: dict[str, type[BTYDModel]] = {
    cls.__name__: cls for cls in (BGNBDModel, ParetoNBDModel, MBGNBDModel, GammaGammaModel)
}


def load_model(path: str | os.PathLike[str]) -> BTYDModel:
    """Load a model written by ``model.save(path)``.

    Raises
    ------
    ParameterError
        The file does not describe a clvkit BTYD model.
    """
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    name = data.get("model") if isinstance(data, dict) else None
    if name not in _MODELS:
        msg = (
            f"{os.fspath(path)!r} is not a saved clvkit model (model={name!r}); expected one "
            f"of {', '.join(sorted(_MODELS))}."
        )
        raise ParameterError(msg)
    model = _MODELS[name](**data["settings"])
    for key, value in data["learned"].items():
        setattr(model, key, value)
    return model


def fit_bgnbd(summary: pd.DataFrame, *, purchase_covariates: list[str] | None = None,
              dropout_covariates: list[str] | None = None,
              covariates: pd.DataFrame | None = None,
              **kwargs: Any) -> BGNBDModel | BGNBDCovariateModel:
    """Fit a :class:`BGNBDModel` to a per-customer summary (keywords go to the model).

    With ``purchase_covariates`` and/or ``dropout_covariates`` (columns of ``summary``,
    or of ``covariates``, a customer attributes table) it fits and returns a
    :class:`clvkit.models.BGNBDCovariateModel` (Fader & Hardie 2007) instead.
    """
    if purchase_covariates is None and dropout_covariates is None and covariates is None:
        return BGNBDModel(**kwargs).fit(summary)
    from .covariates import fit_model

    return fit_model("BGNBDCovariateModel", summary, purchase_covariates, dropout_covariates,
                     covariates, kwargs)


def fit_paretonbd(summary: pd.DataFrame, *, purchase_covariates: list[str] | None = None,
                  dropout_covariates: list[str] | None = None,
                  covariates: pd.DataFrame | None = None,
                  **kwargs: Any) -> ParetoNBDModel | ParetoNBDCovariateModel:
    """Fit a :class:`ParetoNBDModel` to a per-customer summary; with covariates, a
    :class:`clvkit.models.ParetoNBDCovariateModel` (as :func:`fit_bgnbd`)."""
    if purchase_covariates is None and dropout_covariates is None and covariates is None:
        return ParetoNBDModel(**kwargs).fit(summary)
    from .covariates import fit_model

    return fit_model("ParetoNBDCovariateModel", summary, purchase_covariates, dropout_covariates,
                     covariates, kwargs)


def fit_mbgnbd(summary: pd.DataFrame, **kwargs: Any) -> MBGNBDModel:
    """Fit a :class:`MBGNBDModel` to a per-customer summary."""
    return MBGNBDModel(**kwargs).fit(summary)
