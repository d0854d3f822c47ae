"""Analytic Hessians of the BG/NBD and Gamma-Gamma likelihoods against differences of
their analytic gradients, and the fits that use them against the difference-based fit."""

from __future__ import annotations

from importlib import resources
from unittest import mock

import numpy as np
import pandas as pd
import pytest

from clvkit.models import _fit, _hessians
from clvkit.models import _likelihood as lik


def _central(grad, theta: np.ndarray, rel: float = 1e-6) -> np.ndarray:
    out = np.empty((theta.size, theta.size))
    for i in range(theta.size):
        step = np.zeros(theta.size)
        step[i] = rel * theta[i]
        out[:, i] = (grad(theta + step) - grad(theta - step)) / (2 * step[i])
    return out


@pytest.fixture(scope="module")
def purchases() -> lik.PurchaseData:
    rng = np.random.default_rng(0)
    x = rng.poisson(2, 4000).astype(float)
    age = rng.integers(1, 60, 4000).astype(float)
    tx = np.where(x > 0, np.floor(rng.uniform(0, 1, 4000) * age), 0.0)
    return lik.PurchaseData(x, tx, age, rng.integers(1, 5, 4000))


@pytest.mark.parametrize("theta", [[0.4, 23.0, 0.4, 2.2], [1.5, 3.0, 2.0, 0.7],
                                   [0.05, 0.5, 8.0, 30.0]])
def test_bgnbd_hessian_equals_differences_of_the_gradient(purchases, theta):
    theta = np.array(theta)
    fd = _central(lambda t: lik.bgnbd(t, purchases)[1], theta)
    np.testing.assert_allclose(_hessians.bgnbd_hessian(theta, purchases), fd, rtol=1e-5,
                               atol=1e-6 * np.abs(fd).max())


def test_gamma_gamma_hessian_equals_differences_of_the_gradient():
    rng = np.random.default_rng(1)
    data = lik.SpendData(rng.integers(1, 30, 3000).astype(float), rng.gamma(3, 20, 3000),
                         rng.integers(1, 4, 3000))
    theta = np.array([4.7, 3.9, 213.0])
    fd = _central(lambda t: lik.gamma_gamma(t, data)[1], theta)
    np.testing.assert_allclose(_hessians.gamma_gamma_hessian(theta, data), fd, rtol=1e-6)


@pytest.fixture(scope="module")
def cdnow() -> lik.PurchaseData:
    """The CDNOW 1/10 sample's (x, t_x, T), one tuple per customer."""
    folder = resources.files("lifetimes") / "datasets"
    with resources.as_file(folder / "cdnow_customers_summary_with_transactions.csv") as p:
        raw = pd.read_csv(p)
    return lik.PurchaseData(raw["x"], raw["t_x"], raw["T"], np.ones(len(raw)))


@pytest.mark.parametrize("penalizer", [0.0, 0.1])
def test_fit_with_the_analytic_hessian_equals_the_difference_fit(cdnow, penalizer):
    """Same optimum and standard errors as with central differences (the old path)."""
    scaled = cdnow.scaled(1 / cdnow.T.max())
    ours = _fit.fit("bgnbd", scaled, penalizer_coef=penalizer)
    with mock.patch.dict(_fit.HESSIANS, clear=True):
        ref = _fit.fit("bgnbd", scaled, penalizer_coef=penalizer)
    np.testing.assert_allclose(ours.theta, ref.theta, rtol=1e-9)
    np.testing.assert_allclose(ours.se, ref.se, rtol=1e-5)
    np.testing.assert_allclose(ours.cov, ref.cov, rtol=1e-5)


def test_objective_remembers_its_last_point(purchases):
    calls = []

    def counting(theta, data):
        calls.append(1)
        return lik.bgnbd(theta, data)

    with mock.patch.dict(_fit.LIKELIHOODS, {"bgnbd": counting}):
        f = _fit._objective("bgnbd", purchases, 0.0)
        phi = np.log([0.4, 23.0, 0.4, 2.2])
        first = f(phi)
        first[1][:] = 0.0  # the caller's copy: the remembered gradient is not touched
        second = f(phi)
    assert len(calls) == 1
    assert np.all(second[1] != 0.0)
