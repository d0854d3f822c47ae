"""Business metrics over the tidy tables: churn, retention, satisfaction and value.

Plain functions (no learned state) returning DataFrames, Series, floats or small
frozen result objects that carry the period, population and definition used. They
return numbers and codes only: :func:`clvkit.report.sentence` puts a result into
words in English or Chinese.

=====================  ==========================================================
theme                  functions
=====================  ==========================================================
churn                  churn_rate, churn_series, periods_to_keep_revenue
retention              cohort_counts, cohort_retention, survival_curves
satisfaction           nps, nps_groups, nps_trend, nps_by_segment
effort                 ces_summary, effort_groups
money link             satisfaction_value_link, customer_satisfaction_table
value                  simple_clv, expected_lifetime, margin_clv, customer_roi
economics              value_concentration, retention_scenarios,
                       margin_per_active_customer
channel economics      channel_economics (LTV:CAC, payback, grow/keep/cut)
voice of the customer  response_rate, comment_themes, detractor_follow_up,
                       write_detractors_follow_up
=====================  ==========================================================
"""

from __future__ import annotations

from .channel import channel_economics
from .churn import ChurnResult, churn_rate, churn_series, periods_to_keep_revenue
from .economics import (
    ConcentrationResult,
    margin_per_active_customer,
    retention_scenarios,
    value_concentration,
)
from .effort import CESResult, ces_summary, effort_groups
from .retention import cohort_counts, cohort_retention, survival_curves
from .satisfaction import NPSResult, nps, nps_by_segment, nps_groups, nps_trend
from .value import customer_roi, expected_lifetime, margin_clv, simple_clv
from .value_link import ValueLinkResult, customer_satisfaction_table, satisfaction_value_link
from .voice import (
    CommentThemes,
    ResponseRate,
    comment_themes,
    detractor_follow_up,
    response_rate,
    write_detractors_follow_up,
)

__all__ = [
    "CESResult",
    "ChurnResult",
    "CommentThemes",
    "ConcentrationResult",
    "NPSResult",
    "ResponseRate",
    "ValueLinkResult",
    "ces_summary",
    "channel_economics",
    "churn_rate",
    "churn_series",
    "cohort_counts",
    "cohort_retention",
    "comment_themes",
    "customer_roi",
    "customer_satisfaction_table",
    "detractor_follow_up",
    "effort_groups",
    "expected_lifetime",
    "margin_clv",
    "margin_per_active_customer",
    "nps",
    "nps_by_segment",
    "nps_groups",
    "nps_trend",
    "periods_to_keep_revenue",
    "response_rate",
    "retention_scenarios",
    "satisfaction_value_link",
    "simple_clv",
    "survival_curves",
    "value_concentration",
    "write_detractors_follow_up",
]
