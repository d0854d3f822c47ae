"""The one-customer 360 card: history, scores, model outputs, satisfaction and action.

The card holds facts (codes and numbers); :func:`clvkit.report.card_summary` and
:func:`clvkit.report.card_html` put them into words, and
:func:`clvkit.plots.segments.plot_customer_card` draws them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from .._messages import examples
from ..exceptions import DataValidationError
from ..schema import CES, CUSTOMER_ID, DATE, NPS, TIMESTAMP
from ..tables import Dataset
from ._base import as_tables
from .export import scored_customers

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["CustomerCard", "customer_card"]

# Transaction columns shown on the card (never personal data).
_TIMELINE_COLUMNS = ("timestamp", "order_id", "amount", "gross_margin", "quantity", "channel",
                     "category")


@dataclass
class CustomerCard:
    """Everything known about one customer: purchases, answers and scores.

    Attributes
    ----------
    customer_id : str
        The customer.
    timeline : pandas.DataFrame
        The customer's purchases (timestamp, amount and other non-personal
        transaction columns), oldest first.
    surveys : pandas.DataFrame
        The customer's survey answers (date, nps, ces), oldest first; may be empty.
    facts : pandas.Series
        The customer's row of :func:`clvkit.segments.scored_customers` (segment,
        tier, RFM scores, revenue, profit, clv, p_alive, expected_purchases,
        churn_risk, action ...), codes and numbers.
    display_id : str or None
        Id shown in titles instead of customer_id (e.g. the report's pseudonym for
        a client audience); the data are still looked up by customer_id.
    """

    customer_id: str
    timeline: pd.DataFrame
    surveys: pd.DataFrame
    facts: pd.Series
    display_id: str | None = None

    @property
    def shown_id(self) -> str:
        """The id shown on the card (a pseudonym when ``display_id`` is set)."""
        return self.display_id or self.customer_id

    def __repr__(self) -> str:
        # What a notebook shows for the card: the displayed id only, never the raw
        # one or the purchase rows (words for a report: clvkit.report.card_summary).
        f = self.facts
        return (f"CustomerCard({self.shown_id!r}, segment={str(f.get('segment'))!r}, "
                f"tier={str(f.get('tier'))!r}, orders={len(self.timeline)})")

    def __getattr__(self, name: str) -> Any:
        # card.clv, card.segment, card.p_alive ... read from facts.
        facts = self.__dict__.get("facts")
        if facts is not None and name in facts.index:
            return facts[name]
        msg = f"'CustomerCard' object has no attribute {name!r}"
        raise AttributeError(msg)

    def plot(self, **kwargs: Any) -> Figure:
        """Draw the card (see :func:`clvkit.plots.segments.plot_customer_card`; pass
        ``lang=`` and ``currency=`` there)."""
        from ..plots.segments import plot_customer_card

        return plot_customer_card(self, **kwargs)


def customer_card(
    customer_id: str,
    data: Dataset | pd.DataFrame,
    *,
    customers: pd.DataFrame | None = None,
    surveys: pd.DataFrame | None = None,
    scored: pd.DataFrame | None = None,
    display_id: str | None = None,
    **kwargs: Any,
) -> CustomerCard:
    """Build the 360 card of one customer.

    RFM scores, tiers and actions are relative to the whole customer base, so the
    card scores everyone with :func:`clvkit.segments.scored_customers` unless a
    scored table is passed (reuse it when drawing many cards).

    Parameters
    ----------
    customer_id : str
        The customer to show.
    data : Dataset or pandas.DataFrame
        A Dataset or its transactions table.
    customers, surveys : pandas.DataFrame, optional
        Default: the Dataset's.
    scored : pandas.DataFrame, optional
        Output of :func:`clvkit.segments.scored_customers` for the same data (with
        the original, not pseudonymised, ids).
    display_id : str, optional
        Id to show instead of customer_id, e.g. ``ctx.ids([cid]).iloc[0]`` (the
        pseudonym) in a client report.
    **kwargs
        Passed to :func:`clvkit.segments.scored_customers` (customer_value,
        churn_risk, observation_end, margin_rate ...) when ``scored`` is None.

    Returns
    -------
    CustomerCard
        Read ``card.clv``, ``card.segment`` ...; show it with
        :func:`clvkit.report.card_summary` or ``card.plot()``.

    Raises
    ------
    DataValidationError
        When the customer is not in the data.
    """
    tables = as_tables(data, customers, surveys, kwargs.pop("observation_end", None))
    if scored is None:
        scored = scored_customers(
            tables.transactions, customers=tables.customers, surveys=tables.surveys,
            observation_end=tables.observation_end, **kwargs,
        )
    row = scored.loc[scored[CUSTOMER_ID] == str(customer_id)]
    if row.empty:
        msg = (
            f"customer_id {customer_id!r} is not among the {len(scored):,} scored customers "
            f"(e.g. {examples(scored[CUSTOMER_ID])}). Check the id (ids are text) and that "
            "the table was scored without id_transform."
        )
        raise DataValidationError(msg, column=CUSTOMER_ID)
    tx = tables.transactions
    own = tx.loc[tx[CUSTOMER_ID].astype(str) == str(customer_id)]
    end = scored.attrs.get("observation_end")
    if end is not None:
        own = own.loc[own[TIMESTAMP] < pd.Timestamp(end) + pd.Timedelta(days=1)]
    timeline = own[[c for c in _TIMELINE_COLUMNS if c in own.columns]]
    timeline = timeline.sort_values(TIMESTAMP, kind="mergesort").reset_index(drop=True)
    answers = pd.DataFrame(columns=[DATE, NPS, CES])
    if tables.surveys is not None:
        sv = tables.surveys
        answers = sv.loc[sv[CUSTOMER_ID].astype(str) == str(customer_id)]
        answers = answers[[c for c in (DATE, NPS, CES) if c in sv.columns]]
        answers = answers.sort_values(DATE, kind="mergesort").reset_index(drop=True)
    facts = row.iloc[0]
    return CustomerCard(
        customer_id=str(customer_id), timeline=timeline, surveys=answers, facts=facts,
        display_id=display_id,
    )
