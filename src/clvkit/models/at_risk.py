"""The at-risk list: customers ranked by the value at stake (CLV x churn probability).

Its sentence is worded in :mod:`clvkit.report` (``describe_at_risk``).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .. import schema
from ..exceptions import DataValidationError

__all__ = ["at_risk_customers"]


def at_risk_customers(
    churn_probability: pd.Series,
    value: pd.Series,
    *,
    top: int | None = None,
) -> pd.DataFrame:
    """Rank customers by value at stake: CLV x churn probability.

    Parameters
    ----------
    churn_probability : pandas.Series
        Probability of churning, indexed by customer_id (e.g. :func:`predict_churn`).
    value : pandas.Series
        Customer value (e.g. ``customer_value(...)["clv"]``), indexed by customer_id, in
        currency units.
    top : int, optional
        Keep the ``top`` customers with most value at stake; default all.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer_id, sorted by value_at_stake (descending), with columns rank,
        churn_probability, customer_value, value_at_stake. Customers without a value are left out
        with a warning.

    Raises
    ------
    DataValidationError
        No customer has both a churn probability and a value.
    """
    value = value.rename("customer_value")
    frame = churn_probability.rename("churn_probability").to_frame().join(value, how="left")
    missing = frame["customer_value"].isna()
    if missing.all():
        msg = (
            f"None of the {len(frame):,} scored customers has a value (e.g. customer_id "
            f"{', '.join(map(str, frame.index[:5]))}); pass values indexed by customer_id."
        )
        raise DataValidationError(msg, column="customer_value", n_failed=int(missing.sum()))
    if missing.any():
        msg = (f"{int(missing.sum()):,} of {len(frame):,} scored customers have no value and are "
               f"left out (e.g. customer_id {', '.join(map(str, frame.index[missing][:5]))}).")
        warnings.warn(msg, UserWarning, stacklevel=2)
        frame = frame[~missing]
    frame["value_at_stake"] = frame["churn_probability"] * frame["customer_value"]
    frame = frame.sort_values(["value_at_stake", "churn_probability"], ascending=False,
                              kind="stable")
    frame.insert(0, "rank", np.arange(1, len(frame) + 1))
    frame.index.name = schema.CUSTOMER_ID
    return frame if top is None else frame.head(top)
