"""Words for the segments: labels of segment, tier and action codes, the 360 card in text.

:mod:`clvkit.segments` returns codes (segment ``champions``, tier ``top_1pct``, action
``keep``, levels ``high`` / ``profitable``, NPS group ``promoter``) and numbers; this
module turns them into the names a client reads, in English or Chinese
(``locales/segments.toml``). Labels are derived from the codes alone, so any table
that carries the codes (the scored table, a segment summary, the action matrix, a
cross-view) can be labelled, whatever tier cuts were used.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..exceptions import ParameterError
from ..i18n import format_int, format_money, format_number, format_pct, t

if TYPE_CHECKING:
    from ..segments import CustomerCard

__all__ = [
    "action_label",
    "card_html",
    "card_summary",
    "labelled",
    "labelled_view",
    "level_label",
    "nps_group_label",
    "peak_names",
    "recommendation",
    "segment_label",
    "tier_label",
]

_TOP = re.compile(r"top_(?P<pct>\d+(?:\.\d+)?)pct")
_NEXT = re.compile(r"top_(?P<lo>\d+(?:\.\d+)?)_(?P<hi>\d+(?:\.\d+)?)pct")
_REST = re.compile(r"bottom_(?P<pct>\d+(?:\.\d+)?)pct")


def _translated(key: str, fallback: str, lang: str | None) -> str:
    text = t(key, lang)
    return fallback if text == key else text


def segment_label(code: str, lang: str | None = None) -> str:
    """Name of an RFM segment code; unknown (user-defined) codes are shown as they are."""
    return _translated(f"segments.segment.{code}", str(code), lang)


def tier_label(code: str, lang: str | None = None) -> str:
    """Name of a value tier code of :func:`clvkit.segments.tier_codes`.

    ``top_1pct`` -> "Top 1%", ``top_1_5pct`` -> "Next 4% (top 1-5%)",
    ``bottom_80pct`` -> "Rest (80%)"; other codes are returned as they are.
    """
    code = str(code)
    if match := _TOP.fullmatch(code):
        return t("segments.tier.top", lang, pct=match["pct"])
    if match := _NEXT.fullmatch(code):
        width = f"{float(match['hi']) - float(match['lo']):g}"
        return t("segments.tier.next", lang, width=width, lo=match["lo"], hi=match["hi"])
    if match := _REST.fullmatch(code):
        return t("segments.tier.rest", lang, pct=match["pct"])
    return code


def action_label(code: str, lang: str | None = None) -> str:
    """Short label of an action code (the code itself if unknown)."""
    return _translated(f"segments.action.{code}", str(code), lang)


def recommendation(code: str, lang: str | None = None) -> str:
    """Plain-language recommendation of an action code ("" if unknown)."""
    return _translated(f"segments.recommend.{code}", "", lang)


def level_label(code: str, lang: str | None = None) -> str:
    """Name of an action-matrix level: high / medium / low, profitable, active ..."""
    return _translated(f"segments.level.{code}", str(code), lang)


def nps_group_label(code: str, lang: str | None = None) -> str:
    """Name of an NPS group: promoter, passive, detractor, no_answer."""
    return _translated(f"segments.nps.{code}", str(code), lang)


#: Code column -> function naming one code.
_LABELLERS: dict[str, Callable[[str, str | None], str]] = {
    "segment": segment_label,
    "tier": tier_label,
    "action": action_label,
    "value_level": level_label,
    "second_level": level_label,
    "nps_group": nps_group_label,
}


def _codes(frame: pd.DataFrame, name: str) -> pd.Series | None:
    """The codes of ``name``: a column, else an index level of that name, else None."""
    if name in frame.columns:
        return frame[name]
    if name in (frame.index.names or []):
        values = frame.index.get_level_values(name)
        return pd.Series(values, index=frame.index, name=name)
    return None


def _label_column(codes: pd.Series, make: Callable[[str, str | None], str],
                  lang: str | None) -> pd.Categorical:
    order = (list(codes.cat.categories) if isinstance(codes.dtype, pd.CategoricalDtype)
             else list(dict.fromkeys(codes.dropna())))
    labels = {c: make(str(c), lang) for c in order}
    categories = list(dict.fromkeys(labels.values()))
    if isinstance(codes.dtype, pd.CategoricalDtype) and "nan" not in categories:
        # the same categorical, from the codes' integer codes (no text per customer)
        where = {label: i for i, label in enumerate(categories)}
        recode = np.array([where[labels[c]] for c in order] + [-1], dtype=np.int64)
        return pd.Categorical.from_codes(recode[codes.cat.codes.to_numpy()],
                                         categories=categories)
    return pd.Categorical(codes.map(labels).astype(str).to_numpy(), categories=categories)


#: Codes named by default wherever they are; the others only when they index the table.
_MAIN_CODES = ("segment", "tier", "action")


def labelled(frame: pd.DataFrame, lang: str | None = None, *,
             codes: Sequence[str] | None = None,
             recommendations: bool | Mapping[str, str] = False) -> pd.DataFrame:
    """Add the names of the codes of a segments table, in ``lang``.

    For each code column (or index level) a ``<name>_label`` column is added:
    categorical, in the order of the codes (segments in rule order, tiers best
    first), so tables and charts keep a meaningful order. By default these are
    ``segment``, ``tier`` and ``action``, plus ``value_level``, ``second_level`` and
    ``nps_group`` when they index the table (the action matrix). Works on
    the scored table (:func:`clvkit.segments.scored_customers`, ``Scores.customers``),
    :func:`~clvkit.segments.segment_summary`, :func:`~clvkit.segments.value_tiers`,
    :func:`~clvkit.segments.assign_actions` and :func:`~clvkit.segments.action_matrix`.

    Parameters
    ----------
    frame : pandas.DataFrame
        A table with codes; it is not changed.
    lang : {"en", "zh"}, optional
        Language; default the current one.
    codes : sequence of str, optional
        Name exactly these code columns or index levels (any of segment, tier,
        action, value_level, second_level, nps_group) instead of the default.
    recommendations : bool or mapping, default False
        Also add a ``recommendation`` column (plain-language advice of each action);
        a mapping action code -> your own text overrides the catalogue's.

    Returns
    -------
    pandas.DataFrame
        A copy with the label columns added at the end (``attrs`` kept).

    Raises
    ------
    ParameterError
        ``codes`` names a column this function cannot name.
    """
    out = frame.copy()
    levels = [n for n in (frame.index.names or []) if n is not None]
    wanted = list(codes) if codes is not None else [
        n for n in _LABELLERS if n in _MAIN_CODES or n in levels]
    unknown = [n for n in wanted if n not in _LABELLERS]
    if unknown:
        msg = (f"labelled() cannot name {', '.join(map(repr, unknown))}; codes it names: "
               f"{', '.join(_LABELLERS)}.")
        raise ParameterError(msg)
    for name in wanted:
        found = _codes(out, name)
        if found is not None:
            out[f"{name}_label"] = _label_column(found, _LABELLERS[name], lang)
    if recommendations is not False and "action" in out.columns:
        own = dict(recommendations) if isinstance(recommendations, Mapping) else {}
        out["recommendation"] = [own.get(str(c)) or recommendation(str(c), lang)
                                 for c in out["action"]]
    return out


def labelled_view(view: pd.DataFrame, lang: str | None = None) -> pd.DataFrame:
    """Show the names instead of the codes of a :func:`clvkit.segments.cross_view`.

    Rows and the category level of the columns are renamed when they are segment,
    tier, action, level or NPS-group codes; "total" becomes the translated word.
    Other groups (channels, regions) are shown as they are.
    """
    def names(column: str | None) -> Callable[[Any], Any]:
        make = _LABELLERS.get(str(column))
        total = t("segments.total", lang)

        def rename(code: Any) -> Any:
            if code == "total":
                return total
            return make(str(code), lang) if make else code
        return rename

    out = view.rename(index=names(view.index.name))
    cols = view.columns.names[1] if view.columns.nlevels > 1 else view.columns.name
    level = 1 if view.columns.nlevels > 1 else None
    return out.rename(columns=names(cols), level=level)


def peak_names(peaks: pd.DataFrame, lang: str | None = None) -> pd.DataFrame:
    """Add a ``peaks`` column ("Nov, Dec") to :func:`clvkit.segments.seasonal_peaks`."""
    by = peaks.attrs.get("by", "month")
    prefix = "segments.month_abbr." if by == "month" else "segments.weekday_abbr."
    columns = [c for c in peaks.columns if re.fullmatch(r"peak_\d+", str(c))]
    sep = t("segments.list_sep", lang)
    out = peaks.copy()
    text = [sep.join(t(f"{prefix}{int(p)}", lang) for p in row)
            for row in peaks[columns].itertuples(index=False)]
    position = out.columns.get_loc("peak_share") if "peak_share" in out else len(out.columns)
    out.insert(position, "peaks", text)
    return out


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def card_summary(card: CustomerCard, *, lang: str | None = None,
                 currency: str = "¥") -> pd.Series:
    """The key facts of a :class:`clvkit.segments.CustomerCard` as label -> formatted text.

    The series is named with the card's title ("Customer C-0001", with the card's
    display id).
    """
    f = card.facts

    def model(value: Any, fmt: Callable[[Any], str]) -> str:
        return t("segments.card.not_modelled", lang) if _missing(value) else fmt(value)

    rows = {
        "segment": segment_label(str(f["segment"]), lang),
        "rfm": f"{f['r_score']}-{f['f_score']}-{f['m_score']}",
        "tier": tier_label(str(f["tier"]), lang),
        "orders": format_int(f["orders"]),
        "revenue": format_money(f["revenue"], currency),
        "profit": format_money(f["profit"], currency),
        "recency_days": format_int(f["recency_days"]),
        "p_alive": model(f["p_alive"], format_pct),
        "expected_purchases": model(f["expected_purchases"], lambda x: format_number(x, 2)),
        "clv": model(f["clv"], lambda x: format_money(x, currency)),
        "churn_risk": model(f["churn_risk"], format_pct),
        "value_basis": t(f"segments.basis.{f['value_basis']}", lang),
        "action": action_label(str(f["action"]), lang),
    }
    return pd.Series({t(f"segments.card.{k}", lang): v for k, v in rows.items()},
                     name=t("segments.card.title", lang, customer_id=card.shown_id))


def card_html(card: CustomerCard, *, lang: str | None = None, currency: str = "¥") -> str:
    """The card as a small HTML table with the recommended action underneath."""
    summary = card_summary(card, lang=lang, currency=currency)
    rows = "".join(
        f"<tr><th style='text-align:left'>{html.escape(str(k))}</th>"
        f"<td>{html.escape(str(v))}</td></tr>"
        for k, v in summary.items()
    )
    title = html.escape(str(summary.name))
    advice = html.escape(recommendation(str(card.facts["action"]), lang))
    return f"<div><strong>{title}</strong><table>{rows}</table><p>{advice}</p></div>"
