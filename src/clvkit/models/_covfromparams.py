"""Covariate models from known parameters (``from_params`` of the covariate models)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import ParameterError
from ._covariates import Design
from ._estimator import check_params

__all__ = ["build"]


def _column(label: str, block: str, column: str, value: Any) -> dict[str, Any]:
    """One column's spec and coefficients from ``{column: number}`` or ``{column: {...}}``."""
    if isinstance(value, Mapping):
        ref = value.get("reference")
        if ref is None:
            msg = (f"{label}.from_params(): {block}[{column!r}] needs its reference level, e.g. "
                   f"{{'reference': 'search', 'social': 0.7}}; got {dict(value)!r}.")
            raise ParameterError(msg)
        coefs = {str(k): float(v) for k, v in value.items() if k != "reference"}
        return {"kind": "categorical", "reference": str(ref), "coefs": coefs}
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return {"kind": "numeric", "reference": None, "coefs": {None: float(value)}}
    msg = (f"{label}.from_params(): {block}[{column!r}] must be a number (numeric column) or "
           f"a mapping with a 'reference' level (categorical column); got {value!r}.")
    raise ParameterError(msg)


def _design(label: str, blocks: dict[str, Mapping[str, Any]]) -> tuple[Design, dict]:
    """The shared design of ``blocks`` (same columns) and each block's coefficients."""
    columns: dict[str, dict[str, Any]] = {}
    coefs: dict[str, dict[tuple[str, Any], float]] = {b: {} for b in blocks}
    for block, mapping in blocks.items():
        for column, value in mapping.items():
            spec = _column(label, block, str(column), value)
            seen = columns.setdefault(str(column), {**spec, "levels": set()})
            if (seen["kind"], seen["reference"]) != (spec["kind"], spec["reference"]):
                msg = (f"{label}.from_params(): column {column!r} is given two ways "
                       f"({seen['kind']}, reference {seen['reference']!r} and {spec['kind']}, "
                       f"reference {spec['reference']!r}); use one.")
                raise ParameterError(msg)
            seen["levels"].update(k for k in spec["coefs"] if k is not None)
            coefs[block].update({(str(column), k): v for k, v in spec["coefs"].items()})
    spec_list = [{"column": c, "kind": v["kind"], "reference": v["reference"],
                  "levels": sorted(v["levels"] - {v["reference"]}), "scale": 1.0, "mean": 0.0}
                 for c, v in columns.items()]
    return Design(spec_list), coefs


def build(cls: Any, params: dict[str, Any]) -> Any:
    """See ``from_params`` of :class:`clvkit.models._covbase.CovariateModel`."""
    from ._covfit import BLOCKS

    label = cls.__name__
    blocks = {k: params.pop(k) for k in list(params) if k in cls._processes}
    base = check_params(label, cls._base, params)
    bad = [b for b, v in blocks.items() if not isinstance(v, Mapping)]
    if bad:
        msg = (f"{label}.from_params(): {', '.join(bad)} must be a mapping of column to "
               f"coefficient(s); blocks are {', '.join(cls._processes)}.")
        raise ParameterError(msg)
    kinds = dict(zip(cls._processes, BLOCKS[cls._kind], strict=True))
    pdes, pcoef = _design(label, {b: blocks.get(b, {}) for b in kinds if kinds[b] == "X"})
    ddes, dcoef = _design(label, {b: blocks.get(b, {}) for b in kinds if kinds[b] == "Z"})
    model = cls(purchase_covariates=[s["column"] for s in pdes.spec] or None,
                dropout_covariates=[s["column"] for s in ddes.spec] or None)
    model.design_ = {"purchase": pdes.spec, "dropout": ddes.spec}
    rows = []
    for process, term in model._term_list(pdes, ddes):
        table = pcoef if kinds[process] == "X" else dcoef
        est = table[process].get((term["column"], term["level"]), 0.0)
        rows.append({"process": process, **term, "estimate": est, "std_error": math.nan,
                     "z": math.nan, "p_value": math.nan})
    model.params_ = base
    model.standard_errors_ = dict.fromkeys(cls._base, math.nan)
    model.coefficients_ = pd.DataFrame(rows, columns=[
        "process", "term", "column", "level", "reference", "estimate", "std_error", "z",
        "p_value"])
    names = model._param_names()
    model.covariance_ = pd.DataFrame(np.nan, index=names, columns=names)
    model.lr_test_ = {"statistic": math.nan, "df": len(rows), "p_value": math.nan,
                      "log_likelihood": math.nan, "log_likelihood_null": math.nan}
    return model
