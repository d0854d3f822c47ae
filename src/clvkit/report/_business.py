"""Sentences for the business sections: channel verdicts and the voice of the customer.

The metrics (:mod:`clvkit.metrics.channel`, :mod:`clvkit.metrics.voice`) return
numbers and codes; this module turns them into the sentences a client reads, in
English or Chinese (``locales/business.toml``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from ..i18n import format_money, format_number, format_pct, t
from ..metrics.voice import ResponseRate

__all__ = ["channel_sentences", "response_sentence"]


def _group(row: pd.Series, by: Sequence[str]) -> str:
    return " / ".join(str(row[c]) for c in by)


def channel_sentences(
    economics: pd.DataFrame,
    *,
    by: str | Sequence[str] = "channel",
    currency: str = "¥",
    grow_at: float = 3.0,
    cut_below: float = 1.0,
    horizon_months: float = 12.0,
    lang: str | None = None,
) -> list[str]:
    """Say, per channel, whether to grow, keep or cut it, and why.

    Parameters
    ----------
    economics : pandas.DataFrame
        Output of :func:`clvkit.metrics.channel_economics` (pass the same ``by``,
        thresholds and horizon).
    currency : str, default "¥"
        Currency symbol of the amounts.
    lang : {"en", "zh"}, optional
        Language; default the current one.

    Returns
    -------
    list of str
        The rule of thumb first, then one sentence per group with a verdict (in the
        table's order), followed by a caution when the CLV interval crosses a
        threshold.
    """
    by = [by] if isinstance(by, str) else list(by)
    unit = format_money(1, currency)
    out = [t("channel.rule", lang, grow_at=format_number(grow_at, 1),
             cut_below=format_number(cut_below, 1))]
    for _, row in economics.iterrows():
        verdict = row.get("verdict")
        if verdict is None or (isinstance(verdict, float) and math.isnan(verdict)):
            continue
        text = t(f"channel.sentence.{verdict}", lang, group=_group(row, by), unit=unit,
                 ratio=format_money(row["ltv_cac"], currency, 2),
                 months=format_number(row["payback_months"], 1),
                 grow_at=format_money(grow_at, currency, 2),
                 horizon=format_number(horizon_months, 0))
        confident = row.get("verdict_confident")
        if confident is not None and confident is not pd.NA and not bool(confident):
            text += " " + t("channel.sentence.uncertain", lang,
                            low=format_money(row["ltv_cac_low"], currency, 2),
                            high=format_money(row["ltv_cac_high"], currency, 2))
        out.append(text)
    return out


def response_sentence(rate: ResponseRate, lang: str | None = None) -> str:
    """Say how many customers answered a survey ("412 of 2,000 customers ... (20.6%).")."""
    return t("voice.response_rate", lang, surveyed=f"{rate.surveyed:,}",
             customers=f"{rate.customers:,}", rate=format_pct(rate.rate))
