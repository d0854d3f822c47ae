"""The executive summary: the handful of numbers a client needs, and their sentences.

:func:`executive_summary` calls the metrics, models and segments functions the
detailed sections use (same settings give the same numbers as sections 02-06);
:func:`summary_cards` and :func:`describe_summary` turn the result into the page.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from .. import schema

if TYPE_CHECKING:
    from ._notebook import ReportContext

__all__ = ["Cards", "ExecutiveSummary", "describe_actions", "describe_summary",
           "executive_summary", "summary_cards", "value_risk_figure"]

#: Number of actions listed on the summary page.
TOP_ACTIONS = 3


@dataclass
class ExecutiveSummary:
    """Headline results of one data set (see :func:`executive_summary`).

    Attributes
    ----------
    customers, orders : int
        Customers with at least one kept purchase, and kept purchases.
    revenue : float
        Total amount of the kept purchases (currency).
    start, end : pandas.Timestamp
        First purchase and observation end.
    churn : clvkit.metrics ChurnResult
        Churn over the last ``period_months`` (inactivity definition).
    nps : clvkit.metrics NPS result or None
        None when there are no surveys.
    value : pandas.DataFrame
        :func:`clvkit.models.customer_value` per customer (p_alive, clv ...).
    concentration : clvkit.metrics ConcentrationResult
        Concentration of ``value["clv"]`` (top-20% share, Lorenz curve).
    scored : pandas.DataFrame
        :func:`clvkit.segments.scored_customers` (segment, tier, churn_risk, action).
    at_risk : pandas.DataFrame
        Rows of ``scored`` with ``churn_risk >= at_risk_threshold``.
    matrix : pandas.DataFrame
        :func:`clvkit.segments.action_matrix` cells.
    actions : pandas.DataFrame
        Per action: action_label, customers, value_at_stake, share_value,
        recommendation; largest value at stake first.
    horizon_months, at_risk_threshold, churn_months
        The settings used.
    """

    customers: int
    orders: int
    revenue: float
    start: pd.Timestamp
    end: pd.Timestamp
    churn: Any
    nps: Any
    value: pd.DataFrame
    concentration: Any
    scored: pd.DataFrame
    at_risk: pd.DataFrame
    matrix: pd.DataFrame
    actions: pd.DataFrame
    horizon_months: int
    at_risk_threshold: float
    churn_months: int

    @property
    def clv_total(self) -> float:
        """Expected value of all customers over the horizon (currency)."""
        return float(self.value["clv"].sum())

    @property
    def top20_share(self) -> float:
        """Share of expected value held by the top 20% of customers."""
        return float(self.concentration.share_of_top(0.2))

    @property
    def at_risk_revenue(self) -> float:
        """Past revenue of the customers now at risk (currency)."""
        return float(self.at_risk["revenue"].sum())

    @property
    def at_risk_revenue_share(self) -> float:
        """Share of all past revenue held by the customers now at risk (0 if none)."""
        total = float(self.scored["revenue"].sum())
        return self.at_risk_revenue / total if total > 0 else 0.0


def _actions(matrix: pd.DataFrame) -> pd.DataFrame:
    grouped = matrix.groupby("action", observed=True, sort=False).agg(
        action_label=("action_label", "first"), customers=("customers", "sum"),
        value_at_stake=("value_at_stake", "sum"), share_value=("share_value", "sum"),
        recommendation=("recommendation", "first"))
    return grouped.sort_values("value_at_stake", ascending=False, kind="stable")


def executive_summary(
    ds: Any,
    *,
    horizon_months: int = 12,
    discount_rate_annual: float = 0.10,
    margin_rate: float = 0.3,
    period_months: int = 12,
    inactivity_days: int = 365,
    at_risk_threshold: float = 0.5,
    lang: str | None = None,
) -> ExecutiveSummary:
    """Compute the headline numbers of a data set for the executive summary.

    Parameters
    ----------
    ds : clvkit.Dataset
        From :func:`clvkit.load_data`.
    horizon_months : int, default 12
        CLV horizon, months (BG/NBD + Gamma-Gamma, :func:`clvkit.models.customer_value`).
    discount_rate_annual : float, default 0.10
        Yearly discount rate of the CLV.
    margin_rate : float, default 0.3
        Margin share of revenue when the data have no ``gross_margin``
        (:func:`clvkit.segments.margin_share`); CLV is expected margin.
    period_months, inactivity_days : int, default 12 and 365
        Churn period, and days without a purchase after which a customer is lost.
    at_risk_threshold : float, default 0.5
        ``churn_risk`` (1 - P(alive)) from which a customer counts as at risk.
    lang : {"en", "zh"}, optional
        Language of the labels in ``scored`` and ``actions``.

    Returns
    -------
    ExecutiveSummary
    """
    from .. import metrics, models, segments
    from ..summary import rfm_summary

    tx = ds.transactions
    end = ds.observation_end or tx[schema.TIMESTAMP].max().normalize()
    summary = rfm_summary(tx, observation_end=end)
    margin = segments.margin_share(tx, margin_rate)
    value = models.customer_value(summary, horizon_months=horizon_months, margin=margin,
                                  discount_rate_annual=discount_rate_annual)
    scored = segments.scored_customers(ds, customer_value=value, margin_rate=margin_rate,
                                       lang=lang)
    matrix = segments.action_matrix(ds, customer_value=value, margin_rate=margin_rate, lang=lang)
    has_nps = ds.surveys is not None and len(ds.surveys) > 0 and schema.NPS in ds.surveys
    return ExecutiveSummary(
        customers=int(tx[schema.CUSTOMER_ID].nunique()),
        orders=len(tx),
        revenue=float(tx[schema.AMOUNT].sum()),
        start=tx[schema.TIMESTAMP].min(),
        end=pd.Timestamp(end),
        churn=metrics.churn_rate(ds, period_months=period_months,
                                 inactivity_days=inactivity_days),
        nps=metrics.nps(ds.surveys[schema.NPS]) if has_nps else None,
        value=value,
        concentration=metrics.value_concentration(value["clv"]),
        scored=scored,
        at_risk=scored[scored["churn_risk"].ge(at_risk_threshold)],
        matrix=matrix,
        actions=_actions(matrix),
        horizon_months=horizon_months,
        at_risk_threshold=at_risk_threshold,
        churn_months=period_months,
    )


@dataclass(frozen=True)
class Cards:
    """Headline numbers shown as cards: (label, value, note) triples, HTML-escaped."""

    items: tuple[tuple[str, str, str], ...]

    def _repr_html_(self) -> str:
        cards = "".join(
            '<div class="clv-card">'
            f'<div class="clv-card-value">{html.escape(value)}</div>'
            f'<div class="clv-card-label">{html.escape(label)}</div>'
            + (f'<div class="clv-card-note">{html.escape(note)}</div>' if note else "")
            + "</div>"
            for label, value, note in self.items
        )
        return f'<div class="clv-cards">{cards}</div>'

    def __repr__(self) -> str:
        return "\n".join(f"{label}: {value}" + (f" ({note})" if note else "")
                         for label, value, note in self.items)


def summary_cards(ctx: ReportContext, s: ExecutiveSummary) -> Cards:
    """Return the headline numbers of ``s`` as cards in the report language."""
    t = ctx.t
    items = [
        (t("exec_card_customers"), ctx.num(s.customers),
         t("exec_card_orders", orders=ctx.num(s.orders))),
        (t("exec_card_revenue"), ctx.money(s.revenue),
         f"{s.start:%Y-%m-%d} – {s.end:%Y-%m-%d}"),
        (t("exec_card_churn"), ctx.pct(s.churn.rate),
         t("exec_card_churn_note", months=s.churn_months)),
        (t("exec_card_nps"), f"{s.nps.score:+.0f}" if s.nps is not None else "–",
         t("exec_card_nps_note", n=ctx.num(s.nps.n)) if s.nps is not None
         else t("exec_no_surveys_short")),
        (t("exec_card_clv", months=s.horizon_months), ctx.money(s.clv_total),
         t("exec_card_top20", share=ctx.pct(s.top20_share))),
        (t("exec_card_at_risk"), ctx.num(len(s.at_risk)),
         t("exec_card_at_risk_note", revenue=ctx.money(s.at_risk_revenue))),
    ]
    return Cards(tuple(items))


def describe_summary(ctx: ReportContext, s: ExecutiveSummary):
    """Return the generated sentences of the summary page as Markdown."""
    from IPython.display import Markdown

    lines = [
        ctx.say("exec_intro", customers=s.customers, orders=s.orders,
                revenue=ctx.money(s.revenue), start=f"{s.start:%Y-%m-%d}",
                end=f"{s.end:%Y-%m-%d}").data,
        ctx.say("exec_churn", rate=ctx.pct(s.churn.rate), kept=ctx.pct(s.churn.kept_share),
                lost=s.churn.lost, months=s.churn_months, days=s.churn.inactivity_days).data,
    ]
    if s.churn.rate > 1:
        # lost / average customers exceeds 100% when the base shrinks fast or was
        # acquired at once (a single cohort, as CDNOW): say so instead of "retention < 0"
        lines.append(ctx.t("exec_churn_over_100"))
    if s.nps is not None:
        lines.append(ctx.say("exec_nps", score=f"{s.nps.score:+.0f}", n=s.nps.n,
                             promoters=ctx.pct(s.nps.share_promoters),
                             detractors=ctx.pct(s.nps.share_detractors)).data)
    else:
        lines.append(ctx.t("exec_no_surveys"))
    lines.append(ctx.say("exec_value", months=s.horizon_months, total=ctx.money(s.clv_total),
                         top20=ctx.pct(s.top20_share)).data)
    share = len(s.at_risk) / len(s.scored) if len(s.scored) else 0.0
    lines.append(ctx.say("exec_risk", n=len(s.at_risk), share=ctx.pct(share),
                         threshold=ctx.pct(s.at_risk_threshold, 0),
                         revenue=ctx.money(s.at_risk_revenue),
                         revenue_share=ctx.pct(s.at_risk_revenue_share)).data)
    return Markdown("\n\n".join(lines))


def describe_actions(ctx: ReportContext, s: ExecutiveSummary, top: int = TOP_ACTIONS):
    """Return the top actions (largest value at stake) as a Markdown list."""
    from IPython.display import Markdown

    items = [
        "- " + ctx.say("exec_action", action=row.action_label, customers=int(row.customers),
                       value=ctx.money(row.value_at_stake), share=ctx.pct(row.share_value),
                       recommendation=row.recommendation).data
        for row in s.actions.head(top).itertuples()
    ]
    return Markdown("\n".join(items))


def value_risk_figure(ctx: ReportContext, s: ExecutiveSummary, max_points: int = 2000):
    """Return an interactive plotly scatter of past revenue against churn risk.

    One point per customer (the ``max_points`` with most revenue), coloured by
    recommended action; hovering shows the customer id as the report may show it
    (pseudonymised for clients), the segment and the action. The dashed line marks
    the at-risk threshold.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    import plotly.graph_objects as go

    from ..plots.style import PALETTE

    data = s.scored.nlargest(max_points, "revenue")
    shown_ids = ctx.ids(data[schema.CUSTOMER_ID]).to_numpy()
    fig = go.Figure()
    for i, (label, group) in enumerate(data.groupby("action_label", observed=True, sort=True)):
        mask = (data["action_label"] == label).to_numpy()
        fig.add_trace(go.Scatter(
            x=group["churn_risk"], y=group["revenue"], mode="markers", name=str(label),
            marker={"size": 7, "opacity": 0.7, "color": PALETTE[i % len(PALETTE)]},
            customdata=list(zip(shown_ids[mask], group["segment_label"].astype(str),
                                strict=True)),
            hovertemplate=(f"%{{customdata[0]}}<br>{ctx.t('exec_axis_risk')}: %{{x:.0%}}<br>"
                           f"{ctx.t('revenue')}: {ctx.currency}%{{y:,.0f}}<br>"
                           "%{customdata[1]}<extra>%{fullData.name}</extra>"),
        ))
    fig.add_vline(x=s.at_risk_threshold, line_dash="dash", line_color="#616e7c")
    fig.update_layout(
        title={"text": ctx.t("exec_risk_map_title"), "x": 0},
        xaxis={"title": ctx.t("exec_axis_risk"), "tickformat": ".0%", "range": [-0.02, 1.02]},
        yaxis={"title": ctx.t("exec_axis_revenue", currency=ctx.currency), "type": "log",
               "dtick": 1, "tickprefix": ctx.currency, "tickformat": ",.0f"},
        legend={"title": {"text": ctx.t("exec_axis_action")}},
        template="plotly_white", height=480, margin={"l": 60, "r": 20, "t": 50, "b": 50},
    )
    return fig
