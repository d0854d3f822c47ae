"""conditional_purchases_many and discounted_purchases share one per-(x, T) bracket helper."""

from __future__ import annotations

import numpy as np
import pytest

from clvkit.models import _predict


@pytest.mark.parametrize("kind,theta", [("bgnbd", (0.24, 4.4, 0.79, 2.43)),
                                        ("mbgnbd", (0.53, 6.2, 0.89, 1.61))])
def test_many_horizons_equal_one_horizon_at_a_time(kind, theta):
    rng = np.random.default_rng(3)
    x = rng.poisson(1.5, 500).astype(float)
    age = rng.integers(1, 40, 500).astype(float)
    tx = np.where(x > 0, np.floor(rng.uniform(0, 1, 500) * age), 0.0)
    ts = [0.0, 4.0, 8.5, 13.0]
    many = _predict.conditional_purchases_many(kind, theta, ts, x, tx, age)
    for j, t in enumerate(ts):
        np.testing.assert_allclose(many[:, j],
                                   _predict.conditional_purchases(kind, theta, t, x, tx, age),
                                   rtol=1e-13, atol=0)
    weights = np.array([0.99, 0.98, 0.97])
    discounted, total, alive = _predict.discounted_purchases(kind, theta, ts, weights, x, tx,
                                                             age)
    np.testing.assert_allclose(discounted, np.diff(many, axis=1) @ weights, rtol=1e-12)
    np.testing.assert_array_equal(total, many[:, -1])
    np.testing.assert_array_equal(alive, _predict.p_alive(kind, theta, x, tx, age))
    assert np.all(many[:, 0] == 0.0)
