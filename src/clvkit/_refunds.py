"""Net refunds against the purchases they return (re-exported by clvkit.validation)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from . import schema as s

if TYPE_CHECKING:
    from ._quality import ValidatedTable

__all__ = ["net_amounts"]


def net_amounts(validated: ValidatedTable) -> pd.DataFrame:
    """Net refunds against the purchases they return and drop fully refunded purchases.

    A refund (negative amount, set aside by :func:`validate_transactions`) is matched
    to the kept purchase with the same order id when there is one, otherwise to the
    same customer's latest purchase on or before the refund's timestamp. Its amount is
    subtracted from that purchase; purchases whose net amount is zero or less are
    removed (a fully returned order is not a purchase). Refunds that match no purchase
    are left out and counted.

    Parameters
    ----------
    validated : ValidatedTable
        Result of :func:`validate_transactions`.

    Returns
    -------
    pandas.DataFrame
        ``validated.clean`` with ``amount`` net of refunds and a ``refunded`` column
        (positive amount returned). ``attrs`` holds ``n_refunds_matched``,
        ``n_refunds_unmatched`` and ``n_purchases_fully_refunded``.
    """
    clean = validated.clean.reset_index(drop=True)
    refunds = validated.refunds
    target = pd.Series(np.nan, index=refunds.index)
    if s.ORDER_ID in clean and s.ORDER_ID in refunds:
        position = pd.Series(clean.index, index=clean[s.ORDER_ID].to_numpy())
        position = position[position.index.notna()]
        target = refunds[s.ORDER_ID].map(position).astype(float)
    rest = refunds[target.isna()]
    if not rest.empty and not clean.empty:
        left = rest[[s.CUSTOMER_ID, s.TIMESTAMP]].assign(_r=rest.index)
        right = clean[[s.CUSTOMER_ID, s.TIMESTAMP]].assign(_p=clean.index)
        matched = pd.merge_asof(
            left.sort_values(s.TIMESTAMP), right.sort_values(s.TIMESTAMP),
            on=s.TIMESTAMP, by=s.CUSTOMER_ID, direction="backward",
        )
        target.loc[matched["_r"].to_numpy()] = matched["_p"].to_numpy(dtype=float)
    refunded = (-refunds[s.AMOUNT]).groupby(target).sum()
    out = clean.assign(refunded=0.0)
    out.loc[refunded.index.astype(int), "refunded"] = refunded.to_numpy()
    out[s.AMOUNT] = out[s.AMOUNT] - out["refunded"]
    gone = out[s.AMOUNT] <= 0
    out = out[~gone].reset_index(drop=True)
    out.attrs.update(
        n_refunds_matched=int(target.notna().sum()),
        n_refunds_unmatched=int(target.isna().sum()),
        n_purchases_fully_refunded=int(gone.sum()),
    )
    return out
