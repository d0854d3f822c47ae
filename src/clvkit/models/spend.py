r"""Gamma-Gamma model of average spend per transaction (Fader & Hardie 2013)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from ..schema import FREQUENCY, MONETARY_VALUE
from . import _lifetimes as lt
from . import _predict
from ._base import BTYDModel, check_repeaters
from ._checks import check_summary
from ._diagnostics import warning

__all__ = ["GammaGammaModel", "fit_gamma_gamma", "gamma_gamma_independence"]


class GammaGammaModel(BTYDModel):
    r"""Gamma-Gamma model of average spend per transaction (Fader & Hardie 2013).

    Each transaction's value is :math:`\mathrm{Gamma}(p, \nu)` with
    :math:`\nu \sim \mathrm{Gamma}(q, \gamma)` across customers (``v`` is lifetimes'
    name for :math:`\gamma`). The expected average spend of a customer with
    :math:`x` repeat purchases of mean value :math:`m_x` (eq. 5 of note 025) is a
    weighted mean of the population mean and their own mean:

    .. math::
        E(M \mid p,q,\gamma,m_x,x) = \frac{q-1}{px+q-1}\frac{p\gamma}{q-1}
        + \frac{px}{px+q-1} m_x

    Only repeat customers (frequency > 0) with positive spend are used for the fit:
    their ``monetary_value`` is the mean of repeat purchases. Repeat customers whose
    repeat orders were all free (``monetary_value == 0``, e.g. CDNOW's zero-value
    orders) have no Gamma likelihood; they are left out of the fit with a warning, and
    predicted with the formula above at :math:`m_x = 0`, which shrinks them below the
    population mean. One-time buyers get the population mean :math:`p\gamma/(q-1)`.

    .. warning::
       The model assumes spend per transaction is independent of purchase
       frequency. ``independence_`` holds the Pearson correlation between
       frequency and monetary_value among repeat customers; values beyond
       about +-0.3 mean the assumption is doubtful.

    Parameters
    ----------
    penalizer_coef : float, default 0.0
        L2 penalty on the parameters.
    compress : bool, default True
        Fit and predict on unique (frequency, monetary_value) pairs.
    backend : {"clvkit", "lifetimes"}, default "clvkit"
        clvkit's vectorised likelihood with analytic gradient, or lifetimes'.

    Attributes
    ----------
    params_ : dict
        ``p``, ``q``, ``v`` (``v`` in currency units).
    independence_ : dict
        ``correlation`` (Pearson), ``n_repeaters`` and ``independent`` (bool,
        abs(correlation) < 0.3).
    mean_spend_ : float
        Population mean spend per transaction :math:`p\gamma/(q-1)` (NaN if q <= 1).
    diagnostics_ : dict
        Convergence, edge and warning codes (:mod:`clvkit.models._diagnostics`).
    """

    _kind = "gamma_gamma"
    _label = "Gamma-Gamma"
    _columns = (FREQUENCY, MONETARY_VALUE)

    def fit(self, summary: pd.DataFrame, y: None = None) -> GammaGammaModel:
        """Estimate p, q and v from the repeat customers of a summary.

        Parameters
        ----------
        summary : pandas.DataFrame
            One row per customer with ``frequency`` and ``monetary_value`` (mean
            spend of repeat purchases, currency units).
        y : None
            Unused.

        Returns
        -------
        self

        Raises
        ------
        DataValidationError
            No repeat customers with positive spend, or a repeat customer with
            monetary_value < 0.
        ConvergenceError
            The optimiser did not converge.
        """
        v = check_summary(summary, self._columns, label=f"{self._label} fit")
        free = (v[FREQUENCY] > 0) & (v[MONETARY_VALUE] == 0)
        if free.any():
            _warn_zero_spend(summary.index, free)
        freq = np.where(free, 0, v[FREQUENCY])
        rep = freq > 0
        n_rep = check_repeaters(summary.index, freq, self._label)
        x, m = v[FREQUENCY][rep], v[MONETARY_VALUE][rep]
        hint = (
            f"The data have {n_rep:,} repeat customers; monetary_value ranges from "
            f"{m.min():,.2f} to {m.max():,.2f}."
        )
        self._fit_arrays((x, m), hint)
        p, q, gam = (self.params_[k] for k in ("p", "q", "v"))
        self.mean_spend_ = p * gam / (q - 1) if q > 1 else float("nan")
        if q <= 1:
            msg = (
                f"Gamma-Gamma estimate q={q:.3f} <= 1: the population mean spend "
                f"p*v/(q-1) is undefined and predictions for one-time buyers are "
                f"meaningless. Spend is extremely heavy-tailed; cap outliers or use "
                f"penalizer_coef=0.01."
            )
            warnings.warn(msg, UserWarning, stacklevel=2)
        self.independence_ = gamma_gamma_independence(summary)
        self.n_customers_ = int(v[FREQUENCY].size)
        self.n_repeaters_ = n_rep
        self._finish_diagnostics(self.n_customers_, n_rep)
        if q <= 1:
            self.diagnostics_["warnings"].append(
                warning("undefined_mean_spend", model=self._label, q=float(q)))
        return self

    def expected_spend(self, summary: pd.DataFrame) -> pd.Series:
        """Return each customer's expected average spend per future transaction.

        Parameters
        ----------
        summary : pandas.DataFrame
            Columns ``frequency`` and ``monetary_value``; one-time buyers
            (frequency 0) get the population mean.

        Returns
        -------
        pandas.Series
            Currency units per transaction, indexed like ``summary``.
        """
        return self._per_row(summary, self._columns, self._expected_spend)

    def _expected_spend(self, x: np.ndarray, m: np.ndarray) -> np.ndarray:
        if getattr(self, "backend", "clvkit") == "lifetimes":
            return lt.predict(self._kind, self.params_, "conditional_expected_average_profit",
                              x, m)
        return _predict.expected_spend(tuple(self.params_[k] for k in ("p", "q", "v")), x, m)


def _warn_zero_spend(index: pd.Index, free: np.ndarray) -> None:
    examples = ", ".join(map(str, index[free][:5]))
    msg = (
        f"{int(free.sum()):,} repeat customers have monetary_value 0 (only zero-value "
        f"repeat orders; e.g. customer_id {examples}) and are left out of the "
        f"Gamma-Gamma fit; their expected spend is shrunk towards 0. Set zero-value "
        f"orders aside before rfm_summary() if they are not real purchases."
    )
    warnings.warn(msg, UserWarning, stacklevel=3)


def gamma_gamma_independence(summary: pd.DataFrame) -> dict[str, Any]:
    """Measure the correlation of frequency and spend that Gamma-Gamma assumes away.

    Parameters
    ----------
    summary : pandas.DataFrame
        Columns ``frequency`` and ``monetary_value``.

    Returns
    -------
    dict
        ``correlation`` (Pearson, among repeat customers; NaN with fewer than 3),
        ``n_repeaters`` and ``independent`` (abs(correlation) < 0.3).
    """
    x = summary[FREQUENCY].to_numpy(dtype=float)
    rep = x > 0  # the two columns of the repeaters only, not a copy of their rows
    x, m = x[rep], summary[MONETARY_VALUE].to_numpy(dtype=float)[rep]
    if x.size < 3 or x.std() == 0 or m.std() == 0:
        corr = float("nan")
    else:
        corr = float(np.corrcoef(x, m)[0, 1])
    return {"correlation": corr, "n_repeaters": int(x.size),
            "independent": bool(abs(corr) < 0.3)}


def fit_gamma_gamma(summary: pd.DataFrame, **kwargs: Any) -> GammaGammaModel:
    """Fit a :class:`GammaGammaModel` to the repeat customers of a summary."""
    return GammaGammaModel(**kwargs).fit(summary)
