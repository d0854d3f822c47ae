"""Per-customer scoring: models in, columns out.

Plain functions the scoring command (:mod:`clvkit.engines.pipeline`) runs:

* :func:`fit_models` fits BG/NBD and Gamma-Gamma on the *unique* (frequency, recency,
  T) and (frequency, monetary_value) tuples with their counts, which is all the
  likelihoods need (a few hundred thousand rows for tens of millions of customers);
* :func:`score_tuples` computes the purchase-model columns once per unique tuple and
  :func:`joined_sql` joins them back to every customer with CLV (DuckDB, pandas);
  :func:`score_chunk` does the same per chunk with
  :func:`clvkit.models.customer_value` (Spark ``mapInPandas``): one definition of CLV;
* :func:`segment_codes` (numpy, linear time) and :func:`segment_sql` (SQL windows that
  DuckDB and Spark SQL both run) rank every customer once for the RFM segment and the
  value tier (global ranks cannot be computed chunk by chunk).

Column definitions of the scored table:

``clv``
    discounted expected revenue (times ``margin``) over ``horizon_months`` months,
    BG/NBD x Gamma-Gamma (Fader, Hardie & Lee 2005; Fader & Hardie 2013), currency.
``p_alive``
    BG/NBD probability that the customer is still active at the observation end.
``churn_risk``
    probability of no purchase in the next ``churn_window_days`` (source: the BG/NBD
    model, :meth:`~clvkit.models.BGNBDModel.probability_no_purchase`), the question
    :func:`clvkit.score` answers.
``expected_purchases``
    expected repeat purchases over the horizon.
``segment``
    RFM segment code of :data:`clvkit.segments.rfm.DEFAULT_SEGMENT_RULES` from quintile
    scores of recency (days since the last purchase), transactions (rows) and revenue
    over the window, ties broken by customer_id as in :func:`clvkit.segments.rfm_scores`.
``tier``
    value tier code of :func:`clvkit.segments.tier_codes` by CLV rank (top 1 %, 1-5 %,
    5-20 %, bottom 80 %), as :func:`clvkit.segments.customer_tiers` cuts them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from clvkit import schema as s

from ._sql import Dialect

__all__ = ["SCORED_COLUMNS", "fit_models", "joined_sql", "score_chunk", "score_tuples",
           "segment_codes", "segment_sql"]

SCORED_COLUMNS = ("customer_id", "clv", "p_alive", "churn_risk", "expected_purchases",
                  "segment", "tier")


def _expand(tuples: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """One row per customer again (the likelihood only needs the values)."""
    counts = tuples["n"].to_numpy(dtype=np.int64)
    return pd.DataFrame({c: np.repeat(tuples[c].to_numpy(), counts) for c in columns})


def fit_models(tuples: pd.DataFrame, spend: pd.DataFrame | None = None, settings: Any = None,
               notes: Any = None) -> tuple[Any, Any]:
    """Fit the purchase model and Gamma-Gamma on unique tuples with counts.

    The fits are the scoring stage's (:mod:`clvkit.scoring`): the purchase model of
    ``settings.purchase_model`` ("auto" means BG/NBD here: the holdout comparison that
    chooses among the models needs the transactions in memory), ``settings.penalizer_coef``,
    and every fit diagnostic added to ``notes`` as a code; a model that cannot be
    fitted is ``None`` with a note, as in :func:`clvkit.score`.

    Parameters
    ----------
    tuples : pandas.DataFrame
        Columns ``frequency``, ``recency``, ``T`` and ``n`` (customers with that
        tuple), e.g. ``SELECT frequency, recency, T, COUNT(*) AS n ... GROUP BY ALL``.
    spend : pandas.DataFrame, optional
        The repeat customers: ``customer_id`` (column or index), ``frequency`` and
        ``monetary_value`` (spend is continuous, so tuples would barely compress; the
        ids name customers in the fit's warnings). Without it no spend model is fitted.

    settings : clvkit.scoring.ScoreSettings, optional
        Default ``ScoreSettings()``.
    notes : clvkit.scoring._notes.Notes, optional
        Collects the warnings (codes with values) of the fits.

    Returns
    -------
    (purchase model or None, GammaGammaModel or None)
        The same fits as on the full summary (the likelihoods are sums over customers,
        so tuples with counts give identical parameters).
    """
    from clvkit.scoring import ScoreSettings
    from clvkit.scoring._models import fit_purchase, fit_spend
    from clvkit.scoring._notes import Notes

    settings = settings or ScoreSettings()
    notes = Notes() if notes is None else notes
    key = "bgnbd" if settings.purchase_model == "auto" else settings.purchase_model
    purchase = fit_purchase(_expand(tuples, (s.FREQUENCY, s.RECENCY, s.T)), key, settings,
                            notes)
    gamma_gamma = None
    if spend is not None and purchase is not None:
        if s.CUSTOMER_ID in spend.columns:
            spend = spend.set_index(s.CUSTOMER_ID)
        gamma_gamma = fit_spend(spend[[s.FREQUENCY, s.MONETARY_VALUE]], settings, notes)
    return purchase, gamma_gamma


def score_chunk(chunk: pd.DataFrame, bgnbd: Any, gamma_gamma: Any, *, time_unit: str | None,
                periods_per_month: float, horizon_months: int = 12,
                discount_rate_annual: float = 0.10, margin: float = 1.0,
                churn_window: float = 365 / 7) -> pd.DataFrame:
    """Score one chunk of an RFM summary.

    Parameters
    ----------
    chunk : pandas.DataFrame
        Columns ``customer_id`` (or the index), ``frequency``, ``recency``, ``T``,
        ``monetary_value``, in the time unit the models were fitted in.
    bgnbd, gamma_gamma : fitted models
        From :func:`fit_models` (or :mod:`clvkit.models`); any purchase model works.
        Without a spend model (``None``) ``clv`` is NaN, as in :func:`clvkit.score`.
    time_unit : {"D", "W", "M"} or None
        The summary's ``attrs["time_unit"]`` (None: ``periods_per_month`` alone defines it).
    periods_per_month : float
        The summary's ``attrs["periods_per_month"]`` (4.348 for weeks).
    horizon_months, discount_rate_annual, margin
        As in :func:`clvkit.models.customer_value`.
    churn_window : float
        The churn risk's window in the summary's time unit (``churn_window_days`` /
        days per period).

    Returns
    -------
    pandas.DataFrame
        Columns ``customer_id``, ``clv``, ``p_alive``, ``churn_risk`` (probability of no
        purchase in the window),
        ``expected_purchases``, one row per chunk row, in chunk order.
    """
    from clvkit.models import customer_value

    frame = chunk.set_index(s.CUSTOMER_ID) if s.CUSTOMER_ID in chunk.columns else chunk
    risk = bgnbd.probability_no_purchase(frame[[s.FREQUENCY, s.RECENCY, s.T]],
                                         churn_window).to_numpy(dtype="float64")
    if gamma_gamma is None:  # no spend model (as clvkit.score): activity only, clv NaN
        p_alive = bgnbd.p_alive(frame).to_numpy(dtype="float64")
        purchases = bgnbd.predict_purchases(frame, horizon_months * periods_per_month)
        return pd.DataFrame({s.CUSTOMER_ID: frame.index.to_numpy(),
                             "clv": np.full(len(frame), np.nan), "p_alive": p_alive,
                             "churn_risk": risk,
                             "expected_purchases": purchases.to_numpy(dtype="float64")})
    cv = customer_value(frame[[s.FREQUENCY, s.RECENCY, s.T, s.MONETARY_VALUE]],
                        bgnbd=bgnbd, gamma_gamma=gamma_gamma, horizon_months=horizon_months,
                        discount_rate_annual=discount_rate_annual, margin=margin,
                        freq=time_unit or "D", periods_per_month=periods_per_month)
    return pd.DataFrame({
        s.CUSTOMER_ID: frame.index.to_numpy(),
        "clv": cv["clv"].to_numpy(dtype="float64"),
        "p_alive": cv["p_alive"].to_numpy(dtype="float64"),
        "churn_risk": risk,
        "expected_purchases": cv["expected_purchases"].to_numpy(dtype="float64"),
    })


def score_tuples(tuples: pd.DataFrame, bgnbd: Any, *, periods_per_month: float,
                 horizon_months: int = 12, discount_rate_annual: float = 0.10,
                 churn_window: float = 365 / 7) -> pd.DataFrame:
    """The purchase-model columns once per unique (frequency, recency, T) tuple.

    Everything :func:`clvkit.models.customer_value` computes from the purchase model
    depends on a customer only through the tuple, so the scale-out command scores the
    unique tuples (a few hundred thousand to a few million) and joins them back to the
    customers in SQL (:func:`scored_sql`), where the per-customer spend is one formula.

    Returns
    -------
    pandas.DataFrame
        The tuple columns plus ``p_alive``, ``churn_risk`` (probability of no purchase
        in the next ``churn_window`` periods), ``expected_purchases`` (over the
        horizon) and ``discounted`` (the discounted sum of monthly expected purchases
        that ``customer_value`` multiplies by margin and expected spend).
    """
    from clvkit.models.clv import month_grid, monthly_discount_rate, purchases_per_tuple

    x, tx, age = (tuples[c].to_numpy(dtype="float64") for c in (s.FREQUENCY, s.RECENCY, s.T))
    ts, discount = month_grid(horizon_months, monthly_discount_rate(discount_rate_annual),
                              periods_per_month)
    discounted, purchases, p_alive = purchases_per_tuple(bgnbd, ts, discount, x, tx, age)
    frame = pd.DataFrame({s.FREQUENCY: tuples[s.FREQUENCY].to_numpy(), s.RECENCY: tx, s.T: age})
    risk = bgnbd.probability_no_purchase(frame, churn_window).to_numpy(dtype="float64")
    return frame.assign(p_alive=p_alive, churn_risk=risk, expected_purchases=purchases,
                        discounted=discounted)


def _spend_sql(gamma_gamma: Any) -> str:
    """Gamma-Gamma expected spend (eq. 5 of note 025) of a joined row, as
    :func:`clvkit.models._predict.expected_spend` evaluates it."""
    p, q, v = (float(gamma_gamma.params[k]) for k in ("p", "q", "v"))
    x, m = f"CAST(su.{s.FREQUENCY} AS DOUBLE)", f"su.{s.MONETARY_VALUE}"
    return f"{p!r} * ({v!r} + {x} * {m}) / ({p!r} * {x} + {q!r} - 1)"


def joined_sql(d: Dialect, summary: str, tuple_scores: str, end_day: int, gamma_gamma: Any,
               margin: float, *, order_by_id: bool = False) -> str:
    """Every customer with the scores of its tuple, CLV and the ranking keys.

    ``summary`` has the extras of :func:`clvkit.engines._sql.rfm_sql` (``c``,
    ``n_rows``, ``revenue``, ``last_day``); ``tuple_scores`` is :func:`score_tuples`'s
    output. ``clv`` is ``margin * expected spend * discounted`` in the order
    :func:`clvkit.models.customer_value` multiplies them (NaN without a spend model);
    ``recency_days``, ``n_rows`` and ``revenue`` are the keys of the RFM quintiles.
    """
    clv = ("CAST('NaN' AS DOUBLE)" if gamma_gamma is None
           else f"CAST({float(margin)!r} AS DOUBLE) * ({_spend_sql(gamma_gamma)}) * ts.discounted")
    return (
        f"SELECT su.c AS {d.ident(s.CUSTOMER_ID)}, {clv} AS clv, ts.p_alive, "
        f"ts.churn_risk, ts.expected_purchases, "
        f"{int(end_day)} - su.last_day AS recency_days, su.n_rows, su.revenue "
        f"FROM {summary} su JOIN {tuple_scores} ts ON su.{s.FREQUENCY} = ts.{s.FREQUENCY} "
        f"AND su.{s.RECENCY} = ts.{s.RECENCY} AND su.{d.ident(s.T)} = ts.{d.ident(s.T)}"
        + (" ORDER BY su.c" if order_by_id else ""))


def segment_codes(recency_days: np.ndarray, n_rows: np.ndarray, revenue: np.ndarray,
                  clv: np.ndarray, ids: np.ndarray,
                  cuts: Sequence[float] | None = None) -> tuple[Any, Any]:
    """``segment`` and ``tier`` codes of every customer, as :func:`segment_sql` ranks them.

    Quintile scores of recency (days since the last purchase, most recent best),
    transactions and revenue, ties by ``ids`` ascending (numbers, or positions in id
    order); the segment of (r_score, fm_score = floor((f + m + 1) / 2)); the tier of
    the rank by CLV, highest first (NaN last, as the SQL ranks a missing value).
    Linear time (:mod:`clvkit.engines._ranks`); returns two Arrow dictionary arrays of
    strings.
    """
    import pyarrow as pa

    from clvkit.segments.rfm import _match, segment_rules
    from clvkit.segments.tiers import DEFAULT_TIER_CUTS, tier_codes

    from ._ranks import quintile_scores, tier_index

    cuts = DEFAULT_TIER_CUTS if cuts is None else cuts
    r = quintile_scores(-np.asarray(recency_days, dtype=np.int64), ids)
    f = quintile_scores(np.asarray(n_rows, dtype=np.int64), ids)
    m = quintile_scores(np.asarray(revenue, dtype=np.float64), ids)
    fm = (f.astype(np.int8) + m + 1) // 2
    table = segment_rules()
    names = [f"{_match(table, a, b)}" if a and b else "" for a in range(6) for b in range(6)]
    value = -np.asarray(clv, dtype=np.float64)
    value[np.isnan(value)] = np.inf  # a missing value ranks last (SQL NULLS LAST)
    tiers = tier_index(value, ids, cuts)

    def strings(index: np.ndarray, labels: list[str]) -> Any:
        """Dictionary-encoded strings (Parquet writes them as plain string columns)."""
        codes = pa.array(index.astype(np.int32), type=pa.int32())
        return pa.DictionaryArray.from_arrays(codes, pa.array(labels, type=pa.string()))

    return strings(r.astype(np.int32) * 6 + fm, names), strings(tiers, tier_codes(cuts))


def _segment_cases() -> str:
    from clvkit.segments.rfm import _match, segment_rules

    table = segment_rules()
    cases = [f"WHEN r_score = {r} AND fm_score = {fm} THEN '{_match(table, r, fm)}'"
             for r in range(1, 6) for fm in range(1, 6)]
    return "CASE " + " ".join(cases) + " END"


def _tier_cases(cuts: Sequence[float]) -> str:
    from clvkit.segments.tiers import tier_codes

    codes = tier_codes(cuts)
    whens = [f"WHEN value_rank <= CEIL(CAST({float(c)!r} AS DOUBLE) * n) THEN '{code}'"
             for c, code in zip(cuts, codes[:-1], strict=True)]
    return "CASE " + " ".join(whens) + f" ELSE '{codes[-1]}' END"


def segment_sql(d: Dialect, summary: str, scores: str, end_day: int,
                cuts: Sequence[float] | None = None) -> str:
    """Join summary extras to chunk scores and add ``segment`` and ``tier`` (global ranks).

    ``summary`` must have ``c``, ``n_rows``, ``revenue``, ``last_day`` (the extras of
    :func:`clvkit.engines._sql.rfm_sql`); ``scores`` the output of :func:`score_chunk`.
    """
    cid = d.ident(s.CUSTOMER_ID)
    joined = (f"(SELECT sc.{cid}, sc.clv, sc.p_alive, sc.churn_risk, sc.expected_purchases, "
              f"su.last_day, su.n_rows, su.revenue FROM {summary} su JOIN {scores} sc "
              f"ON su.c = sc.{cid})")
    return _ranked(d, joined, end_day, cuts)


def _ranked(d: Dialect, joined: str, end_day: int, cuts: Sequence[float] | None) -> str:
    """Quintile scores and CLV rank over all customers of ``joined``; segment and tier."""
    from clvkit.segments.tiers import DEFAULT_TIER_CUTS

    cuts = DEFAULT_TIER_CUTS if cuts is None else cuts
    cid = d.ident(s.CUSTOMER_ID)
    quintile = "CAST(CEIL(CAST(5 AS DOUBLE) * ROW_NUMBER() OVER (ORDER BY {key}) / n) AS INT)"
    return (
        f"WITH j AS (SELECT {cid} AS customer_id, clv, p_alive, churn_risk, "
        f"expected_purchases, {int(end_day)} - last_day AS recency_days, n_rows, revenue "
        f"FROM {joined} jt), "
        f"k AS (SELECT COUNT(*) AS n FROM j), "
        f"r AS (SELECT j.*, k.n, "
        f"{quintile.format(key='recency_days DESC, customer_id')} AS r_score, "
        f"{quintile.format(key='n_rows, customer_id')} AS f_score, "
        f"{quintile.format(key='revenue, customer_id')} AS m_score, "
        f"ROW_NUMBER() OVER (ORDER BY clv DESC, customer_id) AS value_rank "
        f"FROM j CROSS JOIN k), "
        f"f AS (SELECT r.*, CAST(FLOOR((f_score + m_score + 1) / 2.0) AS INT) AS fm_score "
        f"FROM r) "
        f"SELECT customer_id, clv, p_alive, churn_risk, expected_purchases, "
        f"{_segment_cases()} AS segment, {_tier_cases(cuts)} AS tier FROM f"
    )
