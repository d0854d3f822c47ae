"""Fit diagnostics of the BTYD models: codes and numbers, never sentences.

Every fitted model has ``diagnostics_``, a JSON-ready dict::

    {"converged": bool, "at_edge": [parameter names], "log_likelihood": float,
     "n_customers": int, "n_repeaters": int, "penalizer_coef": float,
     "warnings": [{"code": str, "values": {...}}, ...], ...}

The sentences for each code, in English and Chinese, are in
``clvkit/locales/models.toml`` under ``btyd.diagnostic.<code>``; the placeholders of
each sentence are the keys of ``values``. Codes:

``edge_no_dropout``
    The optimum is at the edge of the parameter space in the direction of "nobody
    drops out" (BG/NBD/MBG/NBD: ``a`` -> 0 or ``b`` -> infinity; Pareto/NBD: ``s`` -> 0
    or ``beta`` -> infinity). A valid fit: the period shows no measurable dropout.
``extreme_params``
    Another parameter at the edge of its range, or a shape parameter (r, a, b, s, p,
    q) beyond 1e-6..1e6.
``not_converged``
    The optimiser stopped with a gradient still above tolerance.
``auto_penalizer``
    The unpenalised fit did not converge; the model was refitted with a small penalty.
``few_repeaters``
    Fewer than ``MIN_REPEATERS`` customers with repeat purchases.
``undefined_mean_spend``
    Gamma-Gamma q <= 1: the population mean spend does not exist.
``nan_predictions``
    Some predictions were not finite (returned by the prediction functions, in the
    ``attrs["warnings"]`` of their result).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["DIAGNOSTIC_CODES", "edge_warnings", "warning"]

DIAGNOSTIC_CODES = (
    "edge_no_dropout",
    "extreme_params",
    "not_converged",
    "auto_penalizer",
    "few_repeaters",
    "undefined_mean_spend",
    "nan_predictions",
)

_SCALES = ("alpha", "beta", "v")

# model kind -> {parameter: direction meaning "nobody drops out"}
_NO_DROPOUT = {
    "bgnbd": {"a": "low", "b": "high"},
    "mbgnbd": {"a": "low", "b": "high"},
    "paretonbd": {"s": "low", "beta": "high"},
}


def warning(code: str, **values: Any) -> dict[str, Any]:
    """One diagnostic entry ``{"code": code, "values": values}`` (plain Python numbers)."""
    clean = {k: (float(v) if isinstance(v, float) else v) for k, v in values.items()}
    return {"code": code, "values": clean}


def edge_warnings(kind: str, label: str, params: dict[str, float], at_edge: Sequence[str],
                  ) -> list[dict[str, Any]]:
    """Warnings for parameters at the edge of the space or with extreme values."""
    out = []
    no_dropout = _NO_DROPOUT.get(kind, {})
    shown = [k for k in at_edge if k in no_dropout]
    if shown:
        name = shown[0]
        out.append(warning("edge_no_dropout", model=label, parameter=name,
                           value=float(params[name])))
    # alpha, beta (time) and v (currency) scale with the data's units: only the edge
    # test applies to them; the shape parameters are extreme outside 1e-6..1e6.
    extreme = [k for k, v in params.items() if k not in shown and (
        k in at_edge or (k not in _SCALES and not 1e-6 < v < 1e6))]
    if extreme:
        out.append(warning("extreme_params", model=label, parameters=", ".join(extreme)))
    return out
