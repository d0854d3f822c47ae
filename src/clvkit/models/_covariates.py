"""Time-invariant covariates: from customer attributes to a numeric design matrix.

Used by :mod:`clvkit.models.covariates`. Rules, stated once:

* **Where the columns come from**: the covariate names are looked up in ``covariates=``
  (a customer-indexed frame, or one with a ``customer_id`` column) when it is given,
  otherwise in the per-customer summary itself. Rows are matched by customer id.
* **Categorical** columns (text, category, boolean) are one-hot encoded against a
  *reference level*: the most frequent level in the fitting data (ties: the first in
  sorted order); at most :data:`MAX_LEVELS` levels. Each other level gets one term,
  named ``"column=level"``; its coefficient is the effect of being in that level instead
  of the reference.
* **Numeric** columns are used as given (one term, named as the column, coefficient
  per unit of the column). For the optimiser only they are divided by their standard
  deviation; the reported coefficients are converted back to the column's own units.
  A 0/1 integer column is numeric; cast it to ``category`` for level labels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._messages import examples
from ..exceptions import DataValidationError, ParameterError
from ..schema import CUSTOMER_ID, FREQUENCY, RECENCY, T

__all__ = ["Design", "covariate_frame", "names_list"]

_RESERVED = (FREQUENCY, RECENCY, T)
#: Most levels a categorical covariate may have (one coefficient per level and process).
MAX_LEVELS = 30


def names_list(value: str | Sequence[str] | None, argument: str) -> list[str]:
    """Normalise a covariate argument (None, one name or a list of names)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    out = list(value)
    bad = [v for v in out if not isinstance(v, str)]
    if bad:
        msg = (f"{argument} must be a list of column names; got {len(bad)} non-text "
               f"item(s) ({examples(map(repr, bad))}). Example: {argument}=['channel'].")
        raise ParameterError(msg)
    dup = sorted({v for v in out if out.count(v) > 1})
    if dup:
        msg = f"{argument} names {', '.join(map(repr, dup))} more than once; list each once."
        raise ParameterError(msg)
    reserved = [v for v in out if v in _RESERVED]
    if reserved:
        msg = (f"{argument} cannot use the model's own columns "
               f"({', '.join(map(repr, reserved))}): frequency, recency and T are what the "
               f"model explains. Name customer attributes such as 'channel' or 'region'.")
        raise ParameterError(msg)
    return out


def covariate_frame(summary: pd.DataFrame, covariates: pd.DataFrame | None,
                    names: Sequence[str], label: str) -> pd.DataFrame:
    """The covariate columns ``names``, one row per row of ``summary`` (same index).

    Raises
    ------
    DataValidationError
        A named column is missing, ``covariates`` has duplicate or missing customers,
        or a covariate has missing values.
    """
    if covariates is None:
        source, where = summary, "the summary"
    else:
        if not isinstance(covariates, pd.DataFrame):
            msg = (f"{label}: covariates= must be a DataFrame of customer attributes; got "
                   f"{type(covariates).__name__}.")
            raise DataValidationError(msg)
        source, where = covariates, "covariates="
        if CUSTOMER_ID in source.columns and source.index.name != CUSTOMER_ID:
            source = source.set_index(CUSTOMER_ID)
    missing = [c for c in names if c not in source.columns]
    if missing:
        have = ", ".join(map(repr, map(str, source.columns))) or "no columns"
        msg = (f"{label}: {where} has no covariate column(s) {', '.join(map(repr, missing))}; "
               f"it has {have}. Pass column names of {where} (or give the customer "
               f"attributes as covariates=customers).")
        raise DataValidationError(msg, column=missing[0])
    frame = source[list(names)]
    if covariates is not None:
        if not frame.index.is_unique:
            dup = frame.index[frame.index.duplicated()].unique()
            msg = (f"{label}: covariates= has {len(dup):,} customer id(s) on more than one row "
                   f"(e.g. {examples(dup)}); give one row per customer.")
            raise DataValidationError(msg, column=CUSTOMER_ID, n_failed=len(dup))
        absent = ~summary.index.isin(frame.index)
        if absent.any():
            msg = (f"{label}: covariates= has no row for {int(absent.sum()):,} of "
                   f"{len(summary):,} customers (e.g. customer_id "
                   f"{examples(summary.index[absent])}). Give every customer of the summary "
                   f"a row, or filter the summary to the customers you have attributes for.")
            if absent.all():
                msg += (f" No id matches at all: the summary's ids are "
                        f"{summary.index.dtype}, covariates= has {frame.index.dtype} ids "
                        f"(e.g. {examples(frame.index, 3)}); make them the same type.")
            raise DataValidationError(msg, column=CUSTOMER_ID, n_failed=int(absent.sum()))
        frame = frame.loc[summary.index]
        frame.index = summary.index
    for name in names:
        na = frame[name].isna().to_numpy()
        if na.any():
            msg = (f"{label}: covariate {name!r} has {int(na.sum()):,} missing value(s) among "
                   f"{len(frame):,} customers ({na.mean():.1%}; e.g. customer_id "
                   f"{examples(frame.index[na])}). Fill them (e.g. with an 'unknown' level: "
                   f"summary[{name!r}].fillna('unknown')) or leave those customers out.")
            raise DataValidationError(msg, column=name, n_failed=int(na.sum()))
    return frame


def _is_numeric(values: pd.Series) -> bool:
    return (pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values))


@dataclass
class Design:
    """The encoding learned on the fitting data: per column, its kind and levels.

    ``spec`` is a list of ``{"column", "kind", "levels", "reference", "scale"}`` dicts
    (plain JSON; numeric columns also keep their ``mean``); ``terms`` lists one
    ``{"term", "column", "level"}`` per matrix column.
    """

    spec: list[dict[str, Any]]

    @classmethod
    def learn(cls, frame: pd.DataFrame, label: str) -> Design:
        """Learn kinds, levels and reference levels from the fitting data."""
        spec = []
        for name in frame.columns:
            values = frame[name]
            if _is_numeric(values):
                arr = values.to_numpy(dtype=float)
                bad = ~np.isfinite(arr)
                if bad.any():
                    msg = (f"{label}: covariate {name!r} has {int(bad.sum()):,} infinite "
                           f"value(s) (e.g. customer_id {examples(frame.index[bad])}). "
                           f"Replace them with finite numbers.")
                    raise DataValidationError(msg, column=name, n_failed=int(bad.sum()))
                sd = float(arr.std())
                if not sd > 0:
                    msg = (f"{label}: covariate {name!r} has the same value ({arr[0]:g}) for "
                           f"all {arr.size:,} customers, so it cannot explain any difference "
                           f"between them. Leave it out of the covariates.")
                    raise DataValidationError(msg, column=name)
                spec.append({"column": str(name), "kind": "numeric", "levels": [],
                             "reference": None, "scale": sd, "mean": float(arr.mean())})
                continue
            counts = values.astype(str).value_counts(sort=False)
            if len(counts) < 2:
                msg = (f"{label}: covariate {name!r} has a single level "
                       f"({counts.index[0]!r}) among all {len(values):,} customers, so it "
                       f"cannot explain any difference between them. Leave it out of the "
                       f"covariates (or use data where it varies).")
                raise DataValidationError(msg, column=name)
            if len(counts) > MAX_LEVELS:
                top = counts.sort_values(ascending=False)
                msg = (f"{label}: covariate {name!r} has {len(counts):,} levels (e.g. "
                       f"{examples(map(repr, top.index))}); at most {MAX_LEVELS} are supported, "
                       f"each with enough customers to estimate its effect. Keep the largest "
                       f"levels and group the rest (e.g. as 'other'), or leave it out (an id "
                       f"column is not a covariate).")
                raise DataValidationError(msg, column=name)
            levels = sorted(counts.index)
            reference = max(levels, key=lambda lv: (counts[lv], -levels.index(lv)))
            spec.append({"column": str(name), "kind": "categorical",
                         "levels": [lv for lv in levels if lv != reference],
                         "reference": reference, "scale": 1.0})
        return cls(spec)

    @property
    def terms(self) -> list[dict[str, Any]]:
        out = []
        for s in self.spec:
            if s["kind"] == "numeric":
                out.append({"term": s["column"], "column": s["column"], "level": None})
            else:
                out.extend({"term": f"{s['column']}={lv}", "column": s["column"], "level": lv}
                           for lv in s["levels"])
        return out

    @property
    def scales(self) -> np.ndarray:
        """Per term, the factor the optimiser divides the column by (1 for levels)."""
        out: list[float] = []
        for s in self.spec:
            out.extend([s["scale"]] if s["kind"] == "numeric" else [1.0] * len(s["levels"]))
        return np.asarray(out, dtype=float)

    def matrix(self, frame: pd.DataFrame, label: str) -> np.ndarray:
        """The design matrix of ``frame`` (columns as in :attr:`terms`, own units).

        Raises
        ------
        DataValidationError
            A categorical column has a level not seen in the fitting data, or a
            numeric column has non-numeric or infinite values.
        """
        blocks = [np.zeros((len(frame), 0))]
        for s in self.spec:
            values = frame[s["column"]]
            if s["kind"] == "numeric":
                arr = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
                bad = ~np.isfinite(arr)
                if bad.any():
                    msg = (f"{label}: numeric covariate {s['column']!r} has {int(bad.sum()):,} "
                           f"value(s) that are not finite numbers (e.g. customer_id "
                           f"{examples(frame.index[bad])}). Fix or fill them.")
                    raise DataValidationError(msg, column=s["column"], n_failed=int(bad.sum()))
                blocks.append(arr[:, None])
                continue
            text = values.astype(str).to_numpy()
            known = {s["reference"], *s["levels"]}
            unseen = ~np.isin(text, list(known))
            if unseen.any():
                new = pd.unique(text[unseen])
                msg = (f"{label}: covariate {s['column']!r} has {int(unseen.sum()):,} "
                       f"customer(s) in level(s) {examples(map(repr, new))}, which the "
                       f"model was not fitted on (e.g. customer_id "
                       f"{examples(frame.index[unseen])}). Known levels: "
                       f"{', '.join(map(repr, sorted(known)))}. Refit with these customers, "
                       f"or map the new levels to a known one.")
                raise DataValidationError(msg, column=s["column"], n_failed=int(unseen.sum()))
            blocks.append(np.column_stack([text == lv for lv in s["levels"]]).astype(float))
        return np.hstack(blocks)
