"""The executive summary: the handful of numbers a client needs, and their sentences.

:func:`executive_summary` reads the run's one scoring result (:func:`clvkit.score`),
so every number on the summary is the one the detailed sections show, and every
total equals the sum of the scored customer table.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from .. import schema
from ._words_segments import labelled

if TYPE_CHECKING:
    from ..scoring import Scores
    from ._notebook import ReportContext

__all__ = ["Cards", "ExecutiveSummary", "action_table", "at_risk_facts", "at_risk_table",
           "churn_evaluation", "churn_result", "describe_actions", "describe_summary",
           "executive_summary", "summary_cards", "value_risk_figure"]

#: Number of actions listed on the summary page.
TOP_ACTIONS = 3


@dataclass
class ExecutiveSummary:
    """Headline results of one scoring run (see :func:`executive_summary`).

    Attributes
    ----------
    customers, orders : int
        Customers with at least one kept purchase, and kept purchases.
    revenue : float
        Total amount of the kept purchases (currency).
    start, end : pandas.Timestamp
        First purchase and observation end.
    churn : clvkit.metrics ChurnResult or None
        The headline churn rate (None when the history is too short).
    nps : dict or None
        The NPS KPI: value, ci_low, ci_high, n, promoters, detractors.
    value : pandas.DataFrame
        clv and p_alive per customer, from the scored table.
    concentration : clvkit.metrics ConcentrationResult
        Concentration of the customers' CLV (top-20% share, Lorenz curve).
    scored : pandas.DataFrame
        The scored customer table with labels in the report language.
    at_risk : pandas.DataFrame
        The run's at-risk customers (still active, ``churn_risk >= at_risk_threshold``),
        highest risk first.
    matrix : pandas.DataFrame
        Action matrix cells with labels.
    actions : pandas.DataFrame
        Per action: action_label, customers, value_at_stake, share_value,
        recommendation; largest value at stake first.
    horizon_months, at_risk_threshold, churn_months
        The settings of the run.
    clv_low, clv_high, interval_level
        The confidence interval of ``clv_total`` at ``interval_level`` (parameter
        uncertainty only; NaN and 0 when the run has none).
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
    value_basis: str = "margin"
    inactivity_days: int = 365
    clv_low: float = float("nan")
    clv_high: float = float("nan")
    interval_level: float = 0.0

    @property
    def active_customers(self) -> int:
        """Customers not yet lost: a purchase within ``inactivity_days`` of the end."""
        from ..scoring._kpis import active_mask

        return int(active_mask(self.scored, self.inactivity_days).sum())

    @property
    def has_value(self) -> bool:
        """Whether the run could compute customer value (else rankings use history)."""
        return bool(self.value["clv"].notna().any())

    @property
    def clv_total(self) -> float:
        """Expected value of all customers over the horizon (currency): the table's sum;
        NaN when no customer value could be computed."""
        return float(self.value["clv"].sum()) if self.has_value else float("nan")

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


def action_table(sc: Scores, lang: str | None = None) -> pd.DataFrame:
    """The run's action matrix cells with labels and recommendations in ``lang``."""
    cells = labelled(sc.tables["action_matrix"], lang, recommendations=True,
                     codes=("value_level", "second_level", "action"))
    for column in ("value_level_label", "second_level_label", "action_label"):
        cells[column] = cells[column].astype(str)  # one label per cell: plain text
    return cells.set_index(["value_level", "second_level"])


def at_risk_table(sc: Scores, lang: str | None = None) -> pd.DataFrame:
    """Customers at risk, highest churn risk first, with labels and the value at stake
    (CLV x churn risk): the one at-risk list of the run."""
    risky = labelled(sc.at_risk, lang)
    risky.insert(0, "rank", range(1, len(risky) + 1))
    risky["value_at_stake"] = risky["clv"] * risky["churn_risk"]
    return risky


def at_risk_facts(ctx: ReportContext, sc: Scores, *, top: int) -> dict[str, str]:
    """Values of the ``scoring.at_risk`` sentence: how many at risk, their expected value
    and the value at stake, and how many are listed."""
    risky = sc.at_risk
    days = sc.settings.inactivity_days
    from ..scoring._kpis import active_mask

    active = int(active_mask(sc.customers, days).sum())
    return {"n": ctx.num(len(risky)), "customers": ctx.num(len(sc.customers)),
            "active": ctx.num(active), "days": ctx.num(days),
            "threshold": ctx.pct(sc.settings.at_risk_threshold, 0),
            "value": ctx.money(float(risky["clv"].sum())),
            "stake": ctx.money(float((risky["clv"] * risky["churn_risk"]).sum())),
            "months": str(sc.settings.horizon_months), "top": ctx.num(min(top, len(risky)))}


def churn_evaluation(sc: Scores) -> Any:
    """The run's churn classifier evaluation (tables only; None when it did not run)."""
    from ..models.churn import ChurnEvaluation

    if "churn_metrics" not in sc.tables:
        return None
    return ChurnEvaluation(
        metrics=sc.tables["churn_metrics"], calibration=sc.tables["churn_calibration"],
        importance=sc.tables["churn_importance"], scores=sc.tables["churn_test_scores"],
        pipeline=None, train_cutoff=pd.Timestamp(sc.facts["train_cutoff"]),
        test_cutoff=pd.Timestamp(sc.facts["test_cutoff"]))


def _actions(matrix: pd.DataFrame) -> pd.DataFrame:
    grouped = matrix.groupby("action", observed=True, sort=False).agg(
        action_label=("action_label", "first"), customers=("customers", "sum"),
        value_at_stake=("value_at_stake", "sum"), share_value=("share_value", "sum"),
        recommendation=("recommendation", "first"))
    return grouped.sort_values("value_at_stake", ascending=False, kind="stable")


def churn_result(sc: Scores) -> Any:
    """The run's headline churn rate as a ChurnResult (None when it was not computable)."""
    from ..metrics.churn import ChurnResult

    table = sc.tables.get("churn")
    if table is None or table.empty:
        return None
    row = table.iloc[0].to_dict()
    fields = ChurnResult.__dataclass_fields__
    return ChurnResult(**{k: v for k, v in row.items() if k in fields})


def executive_summary(sc: Scores, *, lang: str | None = None) -> ExecutiveSummary:
    """Collect the headline numbers of a scoring run for the executive summary.

    Parameters
    ----------
    sc : clvkit.scoring.Scores
        The run's scores (:func:`clvkit.score`, or ``ck.report.scores(ctx, ds)``).
    lang : {"en", "zh"}, optional
        Language of the labels in ``scored`` and ``actions``.

    Returns
    -------
    ExecutiveSummary
    """
    from ..metrics.economics import value_concentration

    scored = labelled(sc.customers, lang)
    nps = sc.kpis["nps"]
    basis = "clv" if scored["clv"].notna().any() else "revenue"
    ranked = scored[basis].clip(lower=0).fillna(0.0).set_axis(scored[schema.CUSTOMER_ID])
    matrix = action_table(sc, lang)
    value = scored.set_index(schema.CUSTOMER_ID)[["clv", "p_alive"]]
    risky = sc.at_risk
    return ExecutiveSummary(
        customers=int(sc.kpi("customers")), orders=int(sc.kpi("orders")),
        revenue=float(sc.kpi("revenue")),
        start=pd.Timestamp(sc.kpis["revenue"]["values"]["start"]),
        end=pd.Timestamp(sc.facts["observation_end"]),
        churn=churn_result(sc),
        nps=({"score": nps["value"], **nps["values"]} if nps["value"] is not None else None),
        value=value,
        concentration=value_concentration(ranked),
        scored=scored, at_risk=scored.loc[risky.index], matrix=matrix,
        actions=_actions(matrix), horizon_months=sc.settings.horizon_months,
        at_risk_threshold=sc.settings.at_risk_threshold,
        churn_months=sc.settings.period_months,
        value_basis=str(sc.assumptions["value_basis"]["value"]),
        inactivity_days=sc.settings.inactivity_days,
        **_total_interval(sc),
    )


def _total_interval(sc: Scores) -> dict[str, float]:
    """low, high and level of the clv_total KPI (NaN, NaN, 0 when there are none)."""
    values = sc.kpis.get("clv_total", {}).get("values", {})
    low, high = values.get("low"), values.get("high")
    if low is None or high is None or not values.get("level"):
        return {}
    return {"clv_low": float(low), "clv_high": float(high),
            "interval_level": float(values["level"])}


def _interval_words(ctx: ReportContext, s: ExecutiveSummary, key: str, **values: Any) -> str:
    """The total's interval in words ("90% interval ¥A–¥B"), "" when there is none."""
    if not (s.interval_level and s.has_value and pd.notna(s.clv_low) and pd.notna(s.clv_high)):
        return ""
    return ctx.t(key, level=ctx.pct(s.interval_level, 0), low=ctx.money(s.clv_low),
                 high=ctx.money(s.clv_high), **values)


@dataclass(frozen=True)
class Cards:
    """Headline numbers shown as cards: (label, value, note) triples, HTML-escaped.

    ``kpis`` names the KPI behind each card (``data-kpi`` in the HTML), so the page can
    be checked against the run's KPIs whatever the language."""

    items: tuple[tuple[str, str, str], ...]
    kpis: tuple[str, ...] = ()

    def _repr_html_(self) -> str:
        keys = self.kpis if len(self.kpis) == len(self.items) else ("",) * len(self.items)
        attrs = [f' data-kpi="{html.escape(key)}"' if key else "" for key in keys]
        cards = "".join(
            f'<div class="clv-card"{attr}>'
            f'<div class="clv-card-value">{html.escape(value)}</div>'
            f'<div class="clv-card-label">{html.escape(label)}</div>'
            + (f'<div class="clv-card-note">{html.escape(note)}</div>' if note else "")
            + "</div>"
            for (label, value, note), attr in zip(self.items, attrs, strict=True)
        )
        return f'<div class="clv-cards">{cards}</div>'

    def __repr__(self) -> str:
        return "\n".join(f"{label}: {value}" + (f" ({note})" if note else "")
                         for label, value, note in self.items)


def summary_cards(ctx: ReportContext, s: ExecutiveSummary) -> Cards:
    """Return the headline numbers of ``s`` as cards in the report language."""
    t = ctx.t
    churn = ctx.pct(s.churn.rate) if s.churn is not None else "–"
    items = [
        (t("exec_card_customers"), ctx.num(s.customers),
         t("exec_card_orders", orders=ctx.num(s.orders))),
        (t("exec_card_revenue"), ctx.money(s.revenue),
         f"{s.start:%Y-%m-%d} – {s.end:%Y-%m-%d}"),
        (t("exec_card_churn"), churn, t("exec_card_churn_note", months=s.churn_months)),
        (t("exec_card_nps"), f"{s.nps['score']:+.0f}" if s.nps is not None else "–",
         t("exec_card_nps_note", n=ctx.num(s.nps["n"])) if s.nps is not None
         else t("exec_no_surveys_short")),
        (t("exec_card_clv", months=s.horizon_months),
         ctx.money(s.clv_total) if s.has_value else "–",
         "".join(f"{x} · " for x in [_interval_words(ctx, s, "exec_card_interval")] if x)
         + t("exec_card_top20", share=ctx.pct(s.top20_share))
         + " · " + t(f"scoring.v.{s.value_basis}") if s.has_value
         else t("scoring.v.unavailable")),
        (t("exec_card_at_risk"), ctx.num(len(s.at_risk)),
         t("exec_card_at_risk_note", revenue=ctx.money(s.at_risk_revenue))),
    ]
    return Cards(tuple(items), ("customers", "revenue", "churn_rate", "nps", "clv_total",
                                "at_risk_customers"))


def describe_summary(ctx: ReportContext, s: ExecutiveSummary):
    """Return the generated sentences of the summary page as Markdown."""
    from IPython.display import Markdown

    lines = [
        ctx.say("exec_intro", customers=s.customers, orders=s.orders,
                revenue=ctx.money(s.revenue), start=f"{s.start:%Y-%m-%d}",
                end=f"{s.end:%Y-%m-%d}").data,
    ]
    if s.churn is not None:
        lines.append(ctx.say("exec_churn", rate=ctx.pct(s.churn.rate),
                             kept=ctx.pct(s.churn.kept_share), lost=s.churn.lost,
                             months=s.churn_months, days=s.churn.inactivity_days).data)
        if s.churn.rate > 1:
            # lost / average customers exceeds 100% when the base shrinks fast or was
            # acquired at once (a single cohort, as CDNOW): say so instead of "retention < 0"
            lines.append(ctx.t("exec_churn_over_100"))
    if s.nps is not None:
        lines.append(ctx.say("exec_nps", score=f"{s.nps['score']:+.0f}", n=s.nps["n"],
                             promoters=ctx.pct(s.nps["promoters"]),
                             detractors=ctx.pct(s.nps["detractors"])).data)
    else:
        lines.append(ctx.t("exec_no_surveys"))
    if s.has_value:
        total = (_interval_words(ctx, s, "exec_value_interval", total=ctx.money(s.clv_total))
                 or ctx.money(s.clv_total))
        lines.append(ctx.say("exec_value", months=s.horizon_months, total=total,
                             top20=ctx.pct(s.top20_share)).data)
    else:
        lines.append(ctx.t("scoring.note.clv_unavailable"))
    active = s.active_customers
    share = len(s.at_risk) / active if active else 0.0
    lines.append(ctx.say("exec_risk", n=len(s.at_risk), active=ctx.num(active),
                         share=ctx.pct(share),
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


def value_risk_figure(ctx: ReportContext, s: ExecutiveSummary,
                      max_points: int | None = None):
    """Return an interactive plotly scatter of past revenue against churn risk.

    One point per customer, coloured by recommended action; hovering shows the
    customer id as the report may show it (pseudonymised for clients), the segment and
    the action. The dashed line marks the at-risk threshold. Above ``max_points``
    customers (default :data:`clvkit.plots.sampling.INTERACTIVE_MAX_POINTS`) the chart
    draws a seeded random sample and says so under its title
    (:func:`clvkit.plots.sampling.chart_sample`); the page's numbers use everyone.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    import plotly.graph_objects as go

    from ..plots.sampling import INTERACTIVE_MAX_POINTS, chart_sample
    from ..plots.style import PALETTE

    sample = chart_sample(s.scored, max_points=max_points or INTERACTIVE_MAX_POINTS)
    data, note = sample.data, sample.note(ctx.lang)
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
        title={"text": ctx.t("exec_risk_map_title")
               + (f"<br><sup>{html.escape(note)}</sup>" if note else ""), "x": 0},
        xaxis={"title": ctx.t("exec_axis_risk"), "tickformat": ".0%", "range": [-0.02, 1.02]},
        yaxis={"title": ctx.t("exec_axis_revenue", currency=ctx.currency), "type": "log",
               "dtick": 1, "tickprefix": ctx.currency, "tickformat": ",.0f"},
        legend={"title": {"text": ctx.t("exec_axis_action")}},
        template="plotly_white", height=480,
        margin={"l": 60, "r": 20, "t": 75 if note else 50, "b": 50},
    )
    return fig

