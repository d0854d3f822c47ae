"""Voice of the customer: response rate, comment themes and the detractor call-back list.

Comment themes follow the usual text-mining recipe (Manning, Raghavan & Schütze,
*Introduction to Information Retrieval*, 2008, ch. 6 for TF-IDF; Lee & Seung, "Learning
the parts of objects by non-negative matrix factorization", *Nature* 401, 1999, for
NMF): each comment's language is detected from its characters; English comments are
turned into TF-IDF vectors of word 1-2-grams (English stop words removed), Chinese
comments into TF-IDF vectors of character bigrams (Chinese has no spaces between
words, and most words are two characters long; pairs with a particle are left out);
NMF factorises each language's matrix into a handful of themes and a comment
belongs to the theme with the largest weight. A theme is named by its top terms. A
user-supplied dictionary ``{theme: [keywords]}`` replaces the learned themes: a
comment then belongs to every theme whose keyword it contains (case-insensitive), or
to ``"other"``.

E-mail addresses and phone numbers in comments are masked before anything is
learned from them (so they never become theme terms) and in the analyst export.

The closed loop (Reichheld, *The Ultimate Question 2.0*, 2011: call detractors back)
ranks recent detractors by value at stake = value x churn risk, both per customer and
passed in (the scored CLV and churn risk), so the calls worth most come first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .. import schema as s
from .._ids import by_text_id
from .._messages import require_columns
from .._parse import as_date, parse_dates
from ..exceptions import DataValidationError, ParameterError
from ._common import require_rows
from ._text import chinese_terms, comment_language, mask_contacts, once_per_text, per_text

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer

__all__ = [
    "OTHER",
    "CommentThemes",
    "ResponseRate",
    "comment_language",
    "comment_themes",
    "detractor_follow_up",
    "mask_contacts",
    "response_rate",
    "write_detractors_follow_up",
]

#: Theme code of comments that fit no theme.
OTHER = "other"
#: Name of the analyst export written by :func:`write_detractors_follow_up`.
FOLLOW_UP_FILE = "detractors_follow_up.csv"
@dataclass(frozen=True)
class ResponseRate:
    """Surveyed customers / customers.

    Attributes
    ----------
    surveyed : int
        Customers (of the population) with at least one survey response.
    customers : int
        Customers in the population.
    rate : float
        surveyed / customers, in [0, 1]; NaN for an empty population.
    """

    surveyed: int
    customers: int
    rate: float


def response_rate(surveys: pd.DataFrame, customers: pd.DataFrame | Iterable[str]) -> ResponseRate:
    """Compute the survey response rate: customers who answered / all customers.

    Parameters
    ----------
    surveys : pandas.DataFrame
        Survey responses with customer_id (one row per response).
    customers : pandas.DataFrame or iterable of str
        The population: a customers table (customer_id) or the ids themselves (e.g.
        the scored table's customer_id). Responses of other ids are not counted.

    Returns
    -------
    ResponseRate
        surveyed, customers and rate.

    Raises
    ------
    DataValidationError
        If a table has no customer_id column.
    """
    require_columns(surveys, (s.CUSTOMER_ID,), "surveys", "response_rate()")
    if isinstance(customers, pd.DataFrame):
        require_columns(customers, (s.CUSTOMER_ID,), "customers", "response_rate()")
        customers = customers[s.CUSTOMER_ID]
    population = set(map(str, customers))
    surveyed = len(population.intersection(surveys[s.CUSTOMER_ID].dropna().astype(str)))
    rate = surveyed / len(population) if population else float("nan")
    return ResponseRate(surveyed=surveyed, customers=len(population), rate=rate)


@dataclass(frozen=True)
class CommentThemes:
    """Themes of survey comments and the theme of each comment.

    Attributes
    ----------
    themes : pandas.DataFrame
        One row per theme (most comments first): theme (code: the dictionary key,
        or ``"<lang>-<n>"`` for a learned theme, or :data:`OTHER`), language ("en",
        "zh" or "any" for dictionary themes), terms (top terms, or the theme's
        keywords, " / "-joined), comments, customers, nps_mean, ces_mean (NaN without ces),
        detractor_share (share of comments with nps <= 6), value_total and
        value_mean (value of the distinct customers who raised it; customers
        without a value are left out of both; NaN without value). nps_mean and
        detractor_share are over comments with a score.
    comments : pandas.DataFrame
        One row per (comment, theme): the survey row's index as ``row``,
        customer_id, date, nps, ces, language, theme.
    method : str
        ``"nmf"`` (learned) or ``"dictionary"``.
    """

    themes: pd.DataFrame
    comments: pd.DataFrame
    method: str


def _comments(surveys: pd.DataFrame) -> pd.DataFrame:
    require_columns(surveys, (s.CUSTOMER_ID, s.NPS, s.COMMENT), "surveys", "comment_themes()",
                    todo="Map your comment column to the role 'comment' in the config.")
    text = surveys[s.COMMENT].astype("string").str.strip()
    keep = text.notna() & (text != "")
    cols = [c for c in (s.CUSTOMER_ID, s.DATE, s.NPS, s.CES) if c in surveys]
    out = surveys.loc[keep, cols].copy()
    out["text"] = per_text(text[keep], mask_contacts).astype(str)
    out["language"] = per_text(out["text"], comment_language)
    out.index.name = "row"
    return out


def _vectoriser(lang: str, n_docs: int) -> TfidfVectorizer:
    """TF-IDF of one language's comments; each distinct text is split into terms once."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    min_df = 2 if n_docs >= 20 else 1
    if lang == "zh":
        analyse = chinese_terms
    else:
        analyse = TfidfVectorizer(
            analyzer="word", ngram_range=(1, 2), stop_words="english",
            token_pattern=r"(?u)\b[a-z]{2,}\b").build_analyzer()
    return TfidfVectorizer(analyzer=once_per_text(analyse), min_df=min_df, sublinear_tf=True)


def _learn(texts: pd.Series, lang: str, n_themes: int, top_terms: int,
           random_state: int) -> tuple[pd.Series, dict[str, str]]:
    """NMF themes of one language: (theme code per comment, terms per theme code)."""
    from sklearn.decomposition import NMF

    vec = _vectoriser(lang, len(texts))
    try:
        matrix = vec.fit_transform(texts)
    except ValueError:  # nothing but stop words / punctuation
        return pd.Series(OTHER, index=texts.index), {}
    terms = vec.get_feature_names_out()
    k = max(1, min(n_themes, len(texts) // 2, len(terms)))
    nmf = NMF(n_components=k, init="nndsvda", max_iter=1000, random_state=random_state)
    weights = nmf.fit_transform(matrix)
    names = {}
    for i, row in enumerate(nmf.components_):
        top: list[str] = []
        for j in np.argsort(row)[::-1]:
            if len(top) == top_terms or row[j] <= 0:
                break
            if not any(terms[j] in t or t in terms[j] for t in top):  # no "delivery late"
                top.append(terms[j])                                   # after "delivery"
        names[f"{lang}-{i + 1}"] = " / ".join(top)
    best = weights.argmax(axis=1)
    labels = np.array([f"{lang}-{b + 1}" for b in range(k)])
    codes = np.where(weights.max(axis=1) > 0, labels[best], OTHER)
    return pd.Series(codes, index=texts.index), names


def _dictionary(comments: pd.DataFrame, themes: Mapping[str, Iterable[str]]) -> pd.DataFrame:
    bad = [k for k, v in themes.items() if isinstance(v, str) or not list(v)]
    if bad or not themes:
        msg = ("themes must map each theme to a non-empty list of keywords, e.g. "
               "{'delivery': ['delivery', 'shipping', '快递']}; check "
               f"{', '.join(map(repr, bad)) or 'the empty mapping'}")
        raise ParameterError(msg)
    lowered = comments["text"].str.lower()
    hits = []
    for theme, words in themes.items():
        pattern = "|".join(re.escape(str(w).lower()) for w in words)
        hit = lowered.str.contains(pattern, regex=True)
        hits.append(comments[hit].assign(theme=theme))
    matched = pd.concat(hits) if hits else comments.iloc[0:0]
    rest = comments[~comments.index.isin(matched.index)].assign(theme=OTHER)
    return pd.concat([matched, rest])


def comment_themes(
    surveys: pd.DataFrame,
    *,
    value: pd.Series | None = None,
    themes: Mapping[str, Iterable[str]] | None = None,
    n_themes: int = 5,
    top_terms: int = 3,
    random_state: int = 0,
) -> CommentThemes:
    """Group survey comments (English and Chinese) into themes with their NPS, CES and value.

    Parameters
    ----------
    surveys : pandas.DataFrame
        Responses with customer_id, nps, comment (optional date, ces). Rows with an
        empty comment are not themed.
    value : pandas.Series, optional
        Value per customer (e.g. the scored CLV, currency), indexed by customer_id.
    themes : mapping of str to list of str, optional
        ``{theme: [keywords]}``; replaces the learned themes (see module docstring).
    n_themes : int, default 5
        Most themes learned per language (fewer when there are few comments: at
        most one per two comments).
    top_terms : int, default 3
        Terms naming a learned theme.
    random_state : int, default 0
        Seed of NMF (its "nndsvda" start is deterministic; the seed is kept for
        reproducibility across scikit-learn versions).

    Returns
    -------
    CommentThemes
        ``.themes`` (one row per theme) and ``.comments`` (theme of each comment).

    Raises
    ------
    DataValidationError
        If the table lacks customer_id, nps or comment, or no comment is filled in.
    ParameterError
        If ``themes`` is not a mapping of theme to keywords, or ``n_themes`` /
        ``top_terms`` is not a positive whole number.
    """
    for name, number in (("n_themes", n_themes), ("top_terms", top_terms)):
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            msg = f"{name} must be a positive whole number; got {number!r}"
            raise ParameterError(msg)
    comments = _comments(surveys)
    require_rows(comments, "surveys (rows with a comment)", "comment_themes()")
    if themes is not None:
        tagged = _dictionary(comments, themes)
        lowered = {t: [str(w) for w in ws] for t, ws in themes.items()}
        names = {t: " / ".join(ws) for t, ws in lowered.items()}
        method = "dictionary"
    else:
        parts, names = [], {}
        for lang, group in comments.groupby("language", sort=True):
            codes, found = _learn(group["text"], str(lang), n_themes, top_terms, random_state)
            parts.append(group.assign(theme=codes))
            names.update(found)
        tagged = pd.concat(parts)
        method = "nmf"
    tagged = tagged.sort_index(kind="stable")
    return CommentThemes(themes=_summarise(tagged, names, value, method),
                         comments=tagged.drop(columns="text").reset_index(), method=method)


def _summarise(tagged: pd.DataFrame, names: Mapping[str, str], value: pd.Series | None,
               method: str) -> pd.DataFrame:
    if value is not None:
        if not isinstance(value, pd.Series):
            msg = f"value must be a Series indexed by customer_id; got {type(value).__name__}"
            raise ParameterError(msg)
        value = by_text_id(value)
    records = []
    for theme, rows in tagged.groupby("theme", sort=False):
        ids = rows[s.CUSTOMER_ID].astype(str).unique()
        nps = pd.to_numeric(rows[s.NPS], errors="coerce")
        ces = pd.to_numeric(rows[s.CES], errors="coerce") if s.CES in rows else None
        worth = value.reindex(ids) if value is not None else None
        langs = rows["language"].unique()
        records.append({
            "theme": theme,
            "language": "any" if method == "dictionary" or len(langs) > 1 else langs[0],
            "terms": names.get(str(theme), ""),
            "comments": len(rows),
            "customers": len(ids),
            "nps_mean": float(nps.mean()),
            "ces_mean": float(ces.mean()) if ces is not None else np.nan,
            "detractor_share": float((nps[nps.notna()] < s.PASSIVE_MIN).mean()),
            "value_total": float(worth.sum(min_count=1)) if worth is not None else np.nan,
            "value_mean": float(worth.mean()) if worth is not None else np.nan,
        })
    out = pd.DataFrame.from_records(records)
    out["_other"] = out["theme"] == OTHER
    out = out.sort_values(["_other", "comments", "theme"], ascending=[True, False, True],
                          kind="stable")
    return out.drop(columns="_other").reset_index(drop=True)


def detractor_follow_up(
    surveys: pd.DataFrame,
    value: pd.Series,
    churn_risk: pd.Series,
    *,
    days: int = 90,
    as_of: object = None,
) -> pd.DataFrame:
    """List recent detractors to call back, ranked by value at stake = value x churn risk.

    A customer is listed when their latest response within the last ``days`` days
    (up to ``as_of``) is a detractor score (NPS 0-6); a later better score takes
    them off the list.

    Parameters
    ----------
    surveys : pandas.DataFrame
        Responses with customer_id, date, nps (optional ces, comment).
    value : pandas.Series
        Value per customer (currency; the scored CLV), indexed by customer_id.
    churn_risk : pandas.Series
        Churn probability per customer in [0, 1], indexed by customer_id.
    days : int, default 90
        How far back a response counts as recent, in days.
    as_of : date-like, optional
        End of the window; default the latest survey date.

    Returns
    -------
    pandas.DataFrame
        One row per detractor, highest value at stake first (customers without a
        value or churn risk last, never dropped): rank, customer_id (raw: pseudonymise
        for clients), date, nps, ces, comment (as given), value, churn_risk,
        value_at_stake.

    Raises
    ------
    DataValidationError
        If columns are missing or the table is empty.
    ParameterError
        If ``days`` is not a positive whole number or a Series is not a Series.
    """
    what = "detractor_follow_up()"
    require_columns(surveys, (s.CUSTOMER_ID, s.DATE, s.NPS), "surveys", what)
    require_rows(surveys, "surveys", what)
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        msg = f"days must be a positive whole number of days; got {days!r}"
        raise ParameterError(msg)
    for name, series in (("value", value), ("churn_risk", churn_risk)):
        if not isinstance(series, pd.Series):
            msg = (f"{what}: {name} must be a Series indexed by customer_id; "
                   f"got {type(series).__name__}")
            raise ParameterError(msg)
    dates = parse_dates(surveys[s.DATE])
    if dates.isna().all():
        msg = f"{what}: no survey row has a readable date in 'date'; parse the dates first"
        raise DataValidationError(msg, column=s.DATE, n_failed=len(surveys))
    end = as_date(as_of, "as_of", optional=True) or dates.max().normalize()
    # the window is the `days` whole days ending with the day `end` (its times included)
    day = pd.Timedelta(days=1)
    recent = surveys[(dates >= end + day - pd.Timedelta(days=days)) & (dates < end + day)]
    recent = recent.assign(**{s.DATE: dates}).sort_values(s.DATE, kind="stable")
    latest = recent.groupby(recent[s.CUSTOMER_ID].astype(str), sort=False).tail(1)
    out = latest[pd.to_numeric(latest[s.NPS], errors="coerce") < s.PASSIVE_MIN].copy()
    out[s.CUSTOMER_ID] = out[s.CUSTOMER_ID].astype(str)
    for col in (s.CES, s.COMMENT):
        if col not in out:
            out[col] = np.nan
    values = {n: by_text_id(v) for n, v in (("value", value), ("churn_risk", churn_risk))}
    out["value"] = out[s.CUSTOMER_ID].map(values["value"]).astype(float)
    out["churn_risk"] = out[s.CUSTOMER_ID].map(values["churn_risk"]).astype(float)
    out["value_at_stake"] = out["value"] * out["churn_risk"]
    out = out.sort_values(["value_at_stake", s.DATE], ascending=[False, False],
                          na_position="last", kind="stable").reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out[["rank", s.CUSTOMER_ID, s.DATE, s.NPS, s.CES, s.COMMENT, "value", "churn_risk",
                "value_at_stake"]]


def write_detractors_follow_up(frame: pd.DataFrame, folder: str | Path) -> Path:
    """Write the follow-up list as ``detractors_follow_up.csv`` for analysts.

    Customer ids stay raw (the analyst calls them back); e-mail addresses and phone
    numbers inside comments are masked (``[email]``, ``[phone]``): the CRM, not a
    CSV on a laptop, is where contact details belong. UTF-8 with BOM, so Excel opens
    Chinese comments correctly.

    Parameters
    ----------
    frame : pandas.DataFrame
        Output of :func:`detractor_follow_up`.
    folder : str or pathlib.Path
        Folder to write into (created when absent).

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    DataValidationError
        If ``frame`` lacks customer_id or value_at_stake.
    """
    require_columns(frame, (s.CUSTOMER_ID, "value_at_stake"), "follow-up",
                    "write_detractors_follow_up()",
                    todo="Pass the output of clvkit.metrics.detractor_follow_up().")
    out = frame.copy()
    if s.COMMENT in out:
        out[s.COMMENT] = out[s.COMMENT].map(mask_contacts)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / FOLLOW_UP_FILE
    out.to_csv(path, index=False, encoding="utf-8-sig", date_format="%Y-%m-%d")
    return path
