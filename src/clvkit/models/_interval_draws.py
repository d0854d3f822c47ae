"""The ``method="draws"`` intervals of :func:`clvkit.models.clv_intervals`.

Parameter vectors drawn from the asymptotic normal of the log-parameters are each
evaluated with the closed forms of :mod:`clvkit.models._predict` on the unique
(x, t_x, T) tuples and (x, m_x) pairs; a customer's bounds are quantiles of their
values over the draws, a total's bounds the quantiles of the draw-wise sums.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from . import _lifetimes as lt
from . import _predict
from ._compress import compress

__all__ = ["draws_bounds", "draws_total"]

_CHUNK = 20_000  # unique rows per block of draws (draws x chunk floats at a time)


def _theta(model: Any) -> np.ndarray:
    return np.array([model.params_[k] for k in lt.PARAM_NAMES[model._kind]], dtype=float)


def _purchase(kind: str, theta: np.ndarray, ts: list[float], discount: np.ndarray,
              cols: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    """(discounted purchase sum, P(alive), expected purchases) per unique tuple."""
    disc, purchases, alive = _predict.discounted_purchases(kind, tuple(theta), ts, discount,
                                                           *cols)
    return disc, alive, purchases


def draws_total(parts: dict[str, Any], codes: np.ndarray, ok: np.ndarray, size: int,
                level: float) -> tuple[np.ndarray, np.ndarray]:
    """Quantiles over the draws of each group's draw-wise sum of CLV."""
    lo, hi = 0.5 - level / 2, 0.5 + level / 2
    packed = compress(codes[ok], parts["inverse"][ok], parts["spend_inverse"][ok])
    g, k, j = packed.columns
    w = packed.weights * parts["margin"]
    sums = np.stack([np.bincount(g, weights=w * s[j] * d[k], minlength=size)
                     for d, s in zip(parts["disc_draws"], parts["spend_draws"], strict=True)])
    q = np.quantile(sums, [lo, hi], axis=0)
    return q[0], q[1]


def _quantile_rows(values: Any, n: int, lo: float, hi: float) -> tuple[np.ndarray, ...]:
    """Quantiles over draws (axis 0) of ``values(start, stop)``, block by block."""
    low, high = np.empty(n), np.empty(n)
    for start in range(0, n, _CHUNK):
        stop = min(start + _CHUNK, n)
        q = np.quantile(values(start, stop), [lo, hi], axis=0)
        low[start:stop], high[start:stop] = q[0], q[1]
    return low, high


def draws_bounds(out: pd.DataFrame, purchase: Any, spend: Any, p_cov: np.ndarray,
           s_cov: np.ndarray, packed: Any, xm: tuple[np.ndarray, np.ndarray],
           setting: dict[str, Any], level: float, opts: dict[str, Any]) -> dict[str, Any]:
    """Fill the bounds from parameter draws into ``out``; keep the draws for totals."""
    rng = np.random.default_rng(opts["seed"])
    n_draws, lo, hi = opts["draws"], 0.5 - level / 2, 0.5 + level / 2
    p_theta = np.exp(rng.multivariate_normal(np.log(_theta(purchase)), p_cov, n_draws))
    s_theta = np.exp(rng.multivariate_normal(np.log(_theta(spend)), s_cov, n_draws))
    kind = purchase._kind
    values = [_purchase(kind, th, setting["ts"], setting["discount"], packed.columns)
              for th in p_theta]
    disc, alive, purchases = (np.stack([v[i] for v in values]) for i in range(3))
    pairs = compress(*xm)
    spend_draws = np.stack([_predict.expected_spend(tuple(th), *pairs.columns)
                            for th in s_theta])
    # a draw with p*x + q <= 1 has no mean spend (it would come out <= 0 or infinite):
    # NaN, so the bounds it touches are NaN rather than invented
    spend_draws[~(np.isfinite(spend_draws) & (spend_draws > 0))] = np.nan
    k, j, margin = packed.inverse, pairs.inverse, setting["margin"]
    for name, arr in (("p_alive", alive), ("expected_purchases", purchases)):
        low, high = _quantile_rows(lambda a, b, arr=arr: arr[:, a:b], arr.shape[1], lo, hi)
        out[f"{name}_low"], out[f"{name}_high"] = low[k], high[k]
    low, high = _quantile_rows(lambda a, b: spend_draws[:, a:b], pairs.n_unique, lo, hi)
    out["expected_spend_low"], out["expected_spend_high"] = low[j], high[j]
    joint = compress(k, j)
    jk, jj = joint.columns
    low, high = _quantile_rows(
        lambda a, b: margin * disc[:, jk[a:b]] * spend_draws[:, jj[a:b]], joint.n_unique, lo,
        hi)
    out["clv_low"], out["clv_high"] = low[joint.inverse], high[joint.inverse]
    return {"inverse": k, "spend_inverse": j, "disc_draws": disc, "spend_draws": spend_draws,
            "margin": margin}
