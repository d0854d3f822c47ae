r"""BG/NBD and Pareto/NBD with time-invariant covariates (acquisition channel, region, ...).

Which customers buy more often, and which drop out sooner? Following Fader & Hardie
(2007) [1]_, covariates enter through the models' heterogeneity parameters; a customer
with purchase covariates :math:`x_i` and dropout covariates :math:`z_i` has

* BG/NBD: :math:`\alpha_i = \alpha_0 e^{-\gamma_1' x_i}`,
  :math:`a_i = a_0 e^{\gamma_2' z_i}`, :math:`b_i = b_0 e^{\gamma_3' z_i}`;
* Pareto/NBD: :math:`\alpha_i = \alpha_0 e^{-\gamma_1' x_i}`,
  :math:`\beta_i = \beta_0 e^{-\gamma_2' z_i}`.

A positive purchase coefficient :math:`\gamma_1` multiplies the mean purchase rate
:math:`r/\alpha_i` by :math:`e^{\gamma_1}` (per unit of a numeric covariate; for a level,
in that level instead of the reference level). BG/NBD: the odds of dropping out after a
purchase, :math:`a_i/b_i`, are multiplied by :math:`e^{\gamma_2-\gamma_3}`; Pareto/NBD: a
positive :math:`\gamma_2` multiplies the mean dropout rate :math:`s/\beta_i` by
:math:`e^{\gamma_2}`. Without covariates each is the plain model
(:class:`~clvkit.models.BGNBDModel`, :class:`~clvkit.models.ParetoNBDModel`), which is
fitted too, as the null model of a likelihood-ratio test and the starting point.

Covariate columns: categorical ones (text, category, boolean) are one-hot encoded against
the **most frequent level** as reference; numeric ones are used as given, coefficients per
unit of the column (see :mod:`clvkit.models._covariates`). Estimation: maximum likelihood
on unique (frequency, recency, T, covariate pattern) tuples (:mod:`._covfit`), standard
errors from the Hessian.

References
----------
.. [1] Fader, P. S. and Hardie, B. G. S. (2007), "Incorporating time-invariant
   covariates into the Pareto/NBD and BG/NBD models", http://brucehardie.com/notes/019/.
.. [2] Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005), "Counting your customers
   the easy way", Marketing Science 24(2), 275-284 (BG/NBD, eq. 6 and 10; note 021).
.. [3] Fader, P. S., Hardie, B. G. S. and Shang, J. (2005), note 008 (Pareto/NBD
   likelihood, eq. 19) and Hardie note 009 (its predictions).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..exceptions import ParameterError
from ._covbase import CovariateModel

__all__ = ["BGNBDCovariateModel", "ParetoNBDCovariateModel"]


#: The Attributes section both covariate models share (numpydoc), written once and put
#: into each class docstring by :func:`_with_attributes`.
_ATTRIBUTES = r"""Attributes
    ----------
    params_ : dict
        Base parameters (paper notation, time parameters in the summary's unit) of a
        customer at the reference level of every categorical covariate and 0 of every
        numeric one.
    standard_errors_ : dict
        Their standard errors (delta method).
    coefficients_ : pandas.DataFrame
        One row per coefficient: ``process``, ``term`` (``"channel=social"`` or a numeric
        column), ``column``, ``level`` (missing for a numeric column), ``reference``,
        ``estimate``, ``std_error``, ``z``, ``p_value`` (Wald).
    covariance_ : pandas.DataFrame
        Asymptotic covariance of the log base parameters and the coefficients (inverse
        Hessian of the log-likelihood).
    lr_test_ : dict
        Likelihood-ratio test against the model without covariates: ``statistic``
        :math:`2(\ell_1-\ell_0)`, ``df`` (number of coefficients), ``p_value``
        (chi-square), ``log_likelihood``, ``log_likelihood_null``.
    null_params_ : dict
        The plain model's parameters on the same customers.
    design_ : dict
        The encoding: ``purchase`` and ``dropout``, per column its kind, reference level,
        other levels and customers per level (numeric: scale and mean).
    log_likelihood_, n_customers_, n_repeaters_, n_unique_, time_unit_, diagnostics_
        As on the plain models; ``n_unique_`` counts (frequency, recency, T, covariate
        pattern) tuples."""


def _with_attributes(cls: type) -> type:
    """Put the shared Attributes section where ``cls``'s docstring says ``%(attributes)s``
    (docstrings are None under ``python -OO``)."""
    if cls.__doc__:
        cls.__doc__ = cls.__doc__.replace("%(attributes)s", _ATTRIBUTES)
    return cls


@_with_attributes
class BGNBDCovariateModel(CovariateModel):
    r"""BG/NBD with covariates on the purchase rate and on dropout (Fader & Hardie 2007).

    .. math::
        \alpha_i = \alpha_0 e^{-\gamma_1' x_i}, \quad a_i = a_0 e^{\gamma_2' z_i},
        \quad b_i = b_0 e^{\gamma_3' z_i}

    in the BG/NBD likelihood (eq. 6 of Fader, Hardie & Lee 2005). Coefficient
    ``process`` names: ``purchase`` (:math:`\gamma_1`), ``dropout_a`` (:math:`\gamma_2`),
    ``dropout_b`` (:math:`\gamma_3`). Predictions (P(alive), conditional expected
    purchases) use each customer's own :math:`(r, \alpha_i, a_i, b_i)`.

    Parameters
    ----------
    purchase_covariates, dropout_covariates : list of str, optional
        Columns of the summary (or of ``covariates=`` in ``fit``) that shift the
        purchase rate and dropout; at least one.
    penalizer_coef : float, default 0.0
        L2 penalty on :math:`r, \alpha_0, a_0, b_0` as in :class:`BGNBDModel` (also for
        the null model); the coefficients are not penalised. Keep 0 for a valid
        likelihood-ratio test.

    %(attributes)s

    ``level_effects(level)`` returns, per level (the reference included) and per numeric
    column: ``rate_ratio`` :math:`e^{\gamma_1}` with ``rate_low``/``rate_high``;
    ``dropout_probability`` (mean chance of dropping out after a purchase,
    :math:`a_i/(a_i+b_i)`, other categorical covariates at their reference and numeric
    ones at their mean; NaN on a numeric row) with ``dropout_low``/``dropout_high``; and
    ``dropout_odds_ratio`` :math:`e^{\gamma_2-\gamma_3}` with ``dropout_odds_low``/
    ``dropout_odds_high``: Wald intervals on the log / logit scale.

    Examples
    --------
    >>> import clvkit as ck  # doctest: +SKIP
    >>> m = ck.models.fit_bgnbd(summary, purchase_covariates=["channel"],
    ...                         dropout_covariates=["channel"])  # doctest: +SKIP
    >>> m.coefficients_, m.lr_test_["p_value"], m.level_effects()  # doctest: +SKIP
    """

    _kind = "bgnbd"
    _label = "BG/NBD with covariates"
    _base = ("r", "alpha", "a", "b")
    _processes = ("purchase", "dropout_a", "dropout_b")
    _plain = "BGNBDModel"


@_with_attributes
class ParetoNBDCovariateModel(CovariateModel):
    r"""Pareto/NBD with covariates on the purchase rate and on dropout (Fader & Hardie 2007).

    .. math::
        \alpha_i = \alpha_0 e^{-\gamma_1' x_i}, \quad \beta_i = \beta_0 e^{-\gamma_2' z_i}

    in the Pareto/NBD likelihood (eq. 19 of note 008, in log space as in
    :class:`ParetoNBDModel`). Coefficient ``process`` names: ``purchase``
    (:math:`\gamma_1`) and ``dropout`` (:math:`\gamma_2`; positive: customers drop out
    sooner). Predictions use each customer's own :math:`(r, \alpha_i, s, \beta_i)`.

    Parameters
    ----------
    purchase_covariates, dropout_covariates : list of str, optional
        As for :class:`BGNBDCovariateModel`.
    penalizer_coef : float, default 0.0
        L2 penalty on :math:`r, \alpha_0, s, \beta_0`.

    %(attributes)s

    ``level_effects(level)`` returns ``rate_ratio`` :math:`e^{\gamma_1}` and
    ``dropout_rate_ratio`` :math:`e^{\gamma_2}` (mean dropout rate relative to the
    reference, or per unit), each with ``_low``/``_high`` Wald intervals.

    Examples
    --------
    >>> import clvkit as ck  # doctest: +SKIP
    >>> m = ck.models.fit_paretonbd(summary, dropout_covariates=["region"])  # doctest: +SKIP
    """

    _kind = "paretonbd"
    _label = "Pareto/NBD with covariates"
    _base = ("r", "alpha", "s", "beta")
    _processes = ("purchase", "dropout")
    _plain = "ParetoNBDModel"


_CLASSES = {c.__name__: c for c in (BGNBDCovariateModel, ParetoNBDCovariateModel)}


def fit_model(name: str, summary: pd.DataFrame, purchase: Any, dropout: Any,
              covariates: Any, kwargs: dict[str, Any]) -> Any:
    """Fit the covariate model ``name`` with ``fit_bgnbd`` / ``fit_paretonbd`` keywords."""
    if kwargs.pop("backend", "clvkit") != "clvkit":
        msg = ("Covariates need backend='clvkit' (lifetimes has no covariate models); "
               "leave backend out.")
        raise ParameterError(msg)
    kwargs.pop("compress", None)  # always compressed: the same estimates, faster
    model = _CLASSES[name](purchase_covariates=purchase, dropout_covariates=dropout, **kwargs)
    return model.fit(summary, covariates=covariates)
