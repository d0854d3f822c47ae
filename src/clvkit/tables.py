"""The bundle of tidy tables that every stage of the workbook passes along."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Dataset"]


@dataclass
class Dataset:
    """Tidy tables of one data set, plus how they were obtained.

    Attributes
    ----------
    transactions : pandas.DataFrame
        One row per purchase: customer_id, timestamp, amount (+ optional columns of
        :data:`clvkit.schema.TABLES`).
    customers : pandas.DataFrame or None
        One row per customer, when a customer table exists.
    surveys : pandas.DataFrame or None
        One row per survey response (customer_id, date, nps, ...), when surveys exist.
    name : str
        Human-readable description of the source ("demo (2,000 customers, seed 42)").
    observation_end : pandas.Timestamp or None
        Last day of the observation window; ``None`` means the last transaction date.
    quality : clvkit.validation.DataQuality or None
        What validation kept and set aside, when the data went through validation.
    extra : dict
        Anything else a loader wants to hand on (e.g. the config used).
    currency : str or None
        Currency symbol or code of the amounts, from the config (``currency = "£"``);
        None when the data set does not say.
    """

    transactions: pd.DataFrame
    customers: pd.DataFrame | None = None
    surveys: pd.DataFrame | None = None
    name: str = ""
    observation_end: pd.Timestamp | None = None
    quality: Any = None
    extra: dict[str, Any] = field(default_factory=dict)
    currency: str | None = None
