"""Segments and actions: which customers matter and what to do about each.

* :func:`rfm_segments` - RFM scores 1-5 and named segments from a visible,
  overridable rule table (:data:`DEFAULT_SEGMENT_RULES`); :func:`segment_summary`.
* :func:`value_tiers` - top 1% / next 4% / next 15% / rest by CLV or historical value,
  with each tier's share of customers, revenue, margin and future value;
  :func:`customer_tiers` for the per-customer assignment.
* :func:`customer_profitability` - margin minus cost to serve;
  :func:`action_matrix` / :func:`assign_actions` - keep / grow / fix cost / stop
  investing by value x profitability (or value x P(alive)).
* :func:`value_seasonality`, :func:`seasonal_peaks` - when each group spends;
  :func:`cross_view` - segment x NPS group, tier x channel, tier x region.
* :func:`customer_card` - the one-customer 360 view; :func:`scored_customers` and
  :func:`write_scored` - the CRM import table as CSV (UTF-8 with BOM) and Parquet;
  :func:`write_crm_import` - the same scores as a Salesforce, Dynamics 365 or
  SuiteCRM import file.

Every function accepts model outputs (``customer_value`` from
:func:`clvkit.models.customer_value`, ``churn_risk`` from a churn model) as optional
inputs indexed by customer_id, and otherwise falls back to historical value; the
``value_basis`` column / attribute says which was used.

They return codes (segment, tier, action, levels, NPS groups) and numbers; the names
a client reads, in English or Chinese, come from :mod:`clvkit.report`
(:func:`~clvkit.report.labelled`, :func:`~clvkit.report.labelled_view`,
:func:`~clvkit.report.peak_names`, :func:`~clvkit.report.card_summary`).
"""

from __future__ import annotations

from ._base import customer_history
from .actions import DEFAULT_ACTIONS, action_matrix, assign_actions
from .card import CustomerCard, customer_card
from .crm import write_crm_import
from .export import REQUIRED_SCORED_COLUMNS, SCORED_COLUMNS, scored_customers, write_scored
from .profit import customer_profitability, margin_share
from .rfm import (
    DEFAULT_SEGMENT_RULES,
    quantile_scores,
    rfm_scores,
    rfm_segments,
    segment_rules,
    segment_summary,
)
from .tiers import DEFAULT_TIER_CUTS, customer_tiers, tier_codes, value_tiers
from .views import (
    NPS_GROUPS,
    cross_view,
    customer_attributes,
    nps_groups,
    seasonal_peaks,
    value_seasonality,
)

__all__ = [
    "DEFAULT_ACTIONS",
    "DEFAULT_SEGMENT_RULES",
    "DEFAULT_TIER_CUTS",
    "NPS_GROUPS",
    "REQUIRED_SCORED_COLUMNS",
    "SCORED_COLUMNS",
    "CustomerCard",
    "action_matrix",
    "assign_actions",
    "cross_view",
    "customer_attributes",
    "customer_card",
    "customer_history",
    "customer_profitability",
    "customer_tiers",
    "margin_share",
    "nps_groups",
    "quantile_scores",
    "rfm_scores",
    "rfm_segments",
    "scored_customers",
    "seasonal_peaks",
    "segment_rules",
    "segment_summary",
    "tier_codes",
    "value_seasonality",
    "value_tiers",
    "write_crm_import",
    "write_scored",
]
