"""One sentence about a metric result, in English or Chinese.

The result objects of :mod:`clvkit.metrics` (:class:`~clvkit.metrics.ChurnResult`,
:class:`~clvkit.metrics.NPSResult`, ...) hold numbers and codes only. :func:`sentence`
puts one of them into words with the catalogue (``locales/metrics.toml``); it is a
:func:`functools.singledispatch` function, so one call serves every result type and a
new result type registers its own wording here, next to the others, without the
metric knowing about languages (as scikit-learn keeps ``metrics/_plot/*Display`` apart
from the metric functions).
"""

from __future__ import annotations

import functools
import math

import pandas as pd

from ..i18n import format_int, format_money, format_pct, t
from ..metrics.churn import ChurnResult
from ..metrics.economics import ConcentrationResult
from ..metrics.effort import CESResult
from ..metrics.satisfaction import NPSResult
from ..metrics.value_link import ValueLinkResult
from ..metrics.voice import ResponseRate

__all__ = ["churn_definition", "sentence"]


@functools.singledispatch
def sentence(result: object, lang: str | None = None, currency: str = "¥") -> str:
    """Describe a metric result in one sentence in ``lang``.

    Parameters
    ----------
    result : ChurnResult, NPSResult, CESResult, ConcentrationResult, ValueLinkResult, ResponseRate
        The result of :func:`~clvkit.metrics.churn_rate`, :func:`~clvkit.metrics.nps`,
        :func:`~clvkit.metrics.ces_summary`, :func:`~clvkit.metrics.value_concentration`,
        :func:`~clvkit.metrics.satisfaction_value_link` or
        :func:`~clvkit.metrics.response_rate`.
    lang : {"en", "zh"}, optional
        Language; default the current one.
    currency : str, default "¥"
        Currency symbol of amounts (results without amounts ignore it).

    Returns
    -------
    str

    Raises
    ------
    TypeError
        For an object that has no sentence.

    Examples
    --------
    >>> import clvkit as ck
    >>> ck.report.sentence(ck.metrics.nps([10, 9, 8, 3, 10]))  # doctest: +SKIP
    'The NPS is +40 (95% CI ...) from 5 responses: 60.0% promoters and 20.0% detractors.'
    """
    msg = (f"sentence() does not know how to describe a {type(result).__name__}; it takes the "
           "results of clvkit.metrics (ChurnResult, NPSResult, CESResult, ConcentrationResult, "
           "ValueLinkResult, ResponseRate).")
    raise TypeError(msg)


def churn_definition(definition: str, inactivity_days: int | None,
                     lang: str | None = None) -> str:
    """What "lost" means: "a cancelled contract" or "no purchase for 365 days"."""
    if definition == "contractual":
        return t("churn.def_contractual", lang)
    return t("churn.def_inactivity", lang, days=inactivity_days)


@sentence.register
def _(result: ChurnResult, lang: str | None = None, currency: str = "¥") -> str:
    return t(
        "churn.sentence", lang,
        start=result.period_start.date().isoformat(), end=result.period_end.date().isoformat(),
        lost=format_int(result.lost), avg=format_int(result.avg_customers),
        rate=format_pct(result.rate), retention=format_pct(result.retention),
        definition=churn_definition(result.definition, result.inactivity_days, lang),
        population=t(f"churn.population_{result.population}", lang),
    )


@sentence.register
def _(result: NPSResult, lang: str | None = None, currency: str = "¥") -> str:
    return t(
        "nps.sentence", lang, score=f"{result.score:+.0f}", low=f"{result.ci_low:+.0f}",
        high=f"{result.ci_high:+.0f}", level=format_pct(result.confidence, 0),
        n=format_int(result.n), promoters=format_pct(result.share_promoters),
        detractors=format_pct(result.share_detractors),
        method=t(f"nps.method_{result.method}", lang),
    )


@sentence.register
def _(result: CESResult, lang: str | None = None, currency: str = "¥") -> str:
    return t(
        "ces.sentence", lang, mean=f"{result.mean:.2f}", low=f"{result.ci_low:.2f}",
        high=f"{result.ci_high:.2f}", n=format_int(result.n),
        level=format_pct(result.confidence, 0),
        share=format_pct(result.share_high_effort), threshold=result.high_effort_min,
    )


@sentence.register
def _(result: ConcentrationResult, lang: str | None = None, currency: str = "¥") -> str:
    # the top 20% (or the listed share nearest to it)
    row = result.top.iloc[(result.top["top_share"] - 0.2).abs().argmin()]
    return t(
        "concentration.sentence", lang, top=format_pct(row["top_share"], 0),
        customers=format_int(row["customers"]), share=format_pct(row["share_of_value"]),
        total=format_money(result.total, currency),
        gini="n/a" if math.isnan(result.gini) else f"{result.gini:.2f}",
    )


def _spans_zero(row: pd.Series) -> bool:
    """Whether a difference's interval includes zero (or is unknown)."""
    low, high = row["diff_low"], row["diff_high"]
    return bool(pd.isna(low) or pd.isna(high) or low <= 0 <= high)


@sentence.register
def _(result: ValueLinkResult, lang: str | None = None, currency: str = "¥") -> str:
    # A difference whose interval spans zero is worded as "no clear difference" (with
    # the interval), never as "more" or "points lower".
    spend = result.row(result.focus, "spend_per_year")
    churn = result.row(result.focus, "churn_rate")

    def money(x: float) -> str:
        return format_money(x, currency)

    common = {"group": t(f"group.{result.focus}", lang),
              "reference": t(f"group.{result.reference}", lang),
              "level": format_pct(result.confidence, 0)}
    spend_part = t(
        "link.spend_unclear" if _spans_zero(spend) else "link.spend_clear", lang,
        pct=format_pct(abs(spend["rel_diff"])),
        direction=t("link.more" if spend["diff"] >= 0 else "link.less", lang),
        diff=money(spend["diff"]), low=money(spend["diff_low"]),
        high=money(spend["diff_high"]), **common)
    churn_part = t(
        "link.churn_unclear" if _spans_zero(churn) else "link.churn_clear", lang,
        points=f"{abs(100 * churn['diff']):.1f}",
        cdirection=t("link.lower" if churn["diff"] <= 0 else "link.higher", lang),
        clow=f"{100 * churn['diff_low']:+.1f}", chigh=f"{100 * churn['diff_high']:+.1f}",
        **common)
    text = t("link.sentence_parts", lang, spend=spend_part, churn=churn_part)
    return text[:1].upper() + text[1:]


@sentence.register
def _(result: ResponseRate, lang: str | None = None, currency: str = "¥") -> str:
    from ._business import response_sentence

    return response_sentence(result, lang)
