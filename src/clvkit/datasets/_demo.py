"""The synthetic retail demo data set (see :func:`make_demo` for its generating process)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from clvkit import schema as s
from clvkit.datasets._messy import add_quality_issues
from clvkit.exceptions import ParameterError
from clvkit.tables import Dataset

__all__ = ["DEMO_OBSERVATION_END", "make_demo", "write_demo"]

DEMO_START = pd.Timestamp("2023-01-01")
DEMO_OBSERVATION_END = pd.Timestamp("2025-06-30")
_T_END = float((DEMO_OBSERVATION_END - DEMO_START).days)  # observation end, days since start
_LAST_ACQUISITION_DAY = 850.0  # 2025-04-30: the youngest cohort still has two months
# Seasonal peaks (day of year, width in days, height): Double 11, Double 12 + Christmas, 618.
_PEAKS = ((315.0, 10.0, 1.2), (349.0, 12.0, 0.5), (169.0, 8.0, 0.7))
_CATEGORIES = ("apparel", "beauty", "electronics", "home", "grocery")
_CATEGORY_P = (0.30, 0.20, 0.12, 0.18, 0.20)
_CATEGORY_SPEND = np.array([1.0, 0.8, 2.2, 1.2, 0.5])  # spend multiplier per category
_MARGIN_RATE = np.array([0.45, 0.55, 0.15, 0.35, 0.22])  # gross margin / amount
_ACQ_CHANNELS = ("search", "social", "referral", "store")
_ACQ_COST = np.array([80.0, 60.0, 30.0, 20.0])  # mean acquisition cost, yuan
_REGIONS = ("North", "South", "East", "West")
_ORDER_CHANNELS = ("online", "store", "app")
_PLAN_FEES = np.array([19.0, 39.0, 69.0])  # monthly membership fee, yuan
_HOUR_WEIGHTS = np.array(
    [1, 1, 0.5, 0.3, 0.3, 0.5, 1, 2, 3, 4, 5, 6, 7, 6, 5, 5, 5, 6, 7, 8, 9, 9, 7, 3]
)
_SURNAMES = (("Wang", "王"), ("Li", "李"), ("Zhang", "张"), ("Liu", "刘"), ("Chen", "陈"),
             ("Yang", "杨"), ("Huang", "黄"), ("Zhao", "赵"), ("Wu", "吴"), ("Zhou", "周"))
_GIVEN = (("Wei", "伟"), ("Fang", "芳"), ("Na", "娜"), ("Min", "敏"), ("Jing", "静"),
          ("Lei", "磊"), ("Qiang", "强"), ("Yang", "洋"), ("Yan", "艳"), ("Jie", "杰"),
          ("Tao", "涛"), ("Hui", "慧"))
_COMMENTS = {
    "detractor": ("Delivery took far too long.", "Returning an item was a hassle.",
                  "Customer service never answered my email.", "客服回复太慢了。",
                  "退货流程太复杂。", "质量和描述不符。"),
    "passive": ("Fine, nothing special.", "Prices are OK but shipping is slow.",
                "还可以，价格有点贵。", "商品不错，物流一般。"),
    "promoter": ("Great quality and fast delivery!", "Love the membership perks.",
                 "I recommend it to all my friends.", "非常满意，会再次购买！",
                 "服务很好，推荐给朋友。"),
}


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _logit(p: np.ndarray) -> np.ndarray:
    return np.log(p) - np.log1p(-p)


def _season(day: np.ndarray) -> np.ndarray:
    """Seasonal purchase intensity (1 = baseline) at ``day`` days after 2023-01-01."""
    doy = np.mod(day, 365.25)
    out = np.ones_like(doy, dtype=float)
    for centre, width, height in _PEAKS:
        dist = np.abs(doy - centre)
        dist = np.minimum(dist, 365.25 - dist)
        out += height * np.exp(-0.5 * (dist / width) ** 2)
    return out


_SEASON_MAX = float(_season(np.arange(0.0, 366.0, 0.25)).max())


def _customer_traits(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Draw every latent and observed per-customer trait (one row per customer)."""
    acq = rng.choice(len(_ACQ_CHANNELS), size=n, p=[0.35, 0.30, 0.15, 0.20])
    sat = rng.normal(size=n) + np.where(acq == 2, 0.3, 0.0)  # referrals are happier
    effort = -0.5 * sat + np.sqrt(0.75) * rng.normal(size=n)
    region = rng.choice(len(_REGIONS), size=n, p=[0.25, 0.20, 0.35, 0.20])
    # BG/NBD: purchase rate (per day) ~ Gamma(r, 1/alpha); dropout p ~ Beta(a, b), both
    # shifted by satisfaction and effort on the log / logit scale.
    lam = rng.gamma(0.75, 1.0 / 45.0, size=n) * np.exp(0.15 * sat)
    p_drop = _expit(_logit(rng.beta(1.0, 3.0, size=n)) - 0.8 * sat + 0.5 * effort)
    # Gamma-Gamma: per-customer scale nu ~ Gamma(q, 1/gamma); satisfied customers spend more.
    nu = rng.gamma(2.5, 1.0 / 94.0, size=n) * np.exp(-0.15 * sat)
    nu *= np.where(region == 2, 1 / 1.1, 1.0) * np.where(acq == 1, 1.15, 1.0)
    # Contractual subset: shifted-beta-geometric monthly churn theta ~ Beta(gamma, delta).
    sub = rng.random(n) < 0.25
    theta = _expit(_logit(rng.beta(1.0, 18.0, size=n)) - 0.6 * sat + 0.4 * effort)
    return pd.DataFrame({
        "acq": acq, "region": region, "sat": sat, "effort": effort, "lam": lam,
        "p_drop": p_drop, "nu": nu, "sub": sub, "theta": theta,
        "fee": rng.choice(_PLAN_FEES, size=n, p=[0.4, 0.4, 0.2]),
        "t0": _LAST_ACQUISITION_DAY * rng.power(1.4, size=n),  # a growing business
        "lead_days": np.where(rng.random(n) < 0.7, 0, rng.integers(1, 31, size=n)),
        "contact_rate": np.exp(0.3 + 0.5 * effort),  # support contacts per year
    })


def _repeat_purchases(rng: np.random.Generator, c: pd.DataFrame, t_end: float) -> tuple:
    """Repeat-purchase days of a seasonal BG/NBD process, as (customer index, day)."""
    length = t_end - c["t0"].to_numpy()
    m = rng.poisson(c["lam"].to_numpy() * _SEASON_MAX * length)
    cust = np.repeat(np.arange(len(c)), m)
    day = c["t0"].to_numpy()[cust] + rng.random(cust.size) * length[cust]
    keep = rng.random(day.size) < _season(day) / _SEASON_MAX  # thinning -> seasonality
    cust, day = cust[keep], day[keep]
    order = np.lexsort((day, cust))
    cust, day = cust[order], day[order]
    rank = np.arange(cust.size) - np.searchsorted(cust, cust, side="left")
    n_alive = rng.geometric(c["p_drop"].to_numpy())  # dies after this many repeat purchases
    keep = rank < n_alive[cust]
    return cust[keep], day[keep]


def _product_orders(rng: np.random.Generator, c: pd.DataFrame, t_end: float) -> pd.DataFrame:
    """First and repeat product orders with amount, category, channel and quantity."""
    rep_cust, rep_day = _repeat_purchases(rng, c, t_end)
    cust = np.concatenate([np.arange(len(c)), rep_cust])
    day = np.floor(np.concatenate([c["t0"].to_numpy(), rep_day]))
    cat = rng.choice(len(_CATEGORIES), size=cust.size, p=_CATEGORY_P)
    season = _season(day)
    amount = (rng.gamma(4.0, 1.0 / c["nu"].to_numpy()[cust]) * _CATEGORY_SPEND[cat]
              * np.sqrt(season))  # big-ticket orders cluster in the peaks
    amount = np.maximum(np.round(amount, 2), 1.0)
    in_store = c["acq"].to_numpy()[cust] == 3
    u = rng.random(cust.size)
    channel = np.where(in_store, np.where(u < 0.7, 1, np.where(u < 0.85, 0, 2)),
                       np.where(u < 0.45, 0, np.where(u < 0.85, 2, 1)))
    return pd.DataFrame({
        "cust": cust, "day": day, "amount": amount,
        "quantity": 1 + rng.poisson(0.3 + amount / 400.0),
        "gross_margin": np.round(amount * _MARGIN_RATE[cat], 2),
        "channel": np.asarray(_ORDER_CHANNELS, dtype=object)[channel],
        "category": np.asarray(_CATEGORIES, dtype=object)[cat],
    })


def _membership(rng: np.random.Generator, c: pd.DataFrame, t_end: float) -> tuple:
    """Monthly renewals of subscribers (sBG churn): (renewal orders, churn day or NaN)."""
    paid = rng.geometric(c["theta"].to_numpy())  # months paid before cancelling
    start = np.floor(c["t0"].to_numpy()) - c["lead_days"].to_numpy()
    churn_day = start + np.round(paid * s.DAYS_PER_MONTH)
    churn_day = np.where(c["sub"].to_numpy() & (churn_day < t_end), churn_day, np.nan)
    months = np.where(c["sub"].to_numpy(), paid, 0)
    cust = np.repeat(np.arange(len(c)), months)
    k = np.arange(cust.size) - np.searchsorted(cust, cust, side="left")
    day = start[cust] + np.round(k * s.DAYS_PER_MONTH)
    ok = (day < t_end) & (day >= 0)
    cust, day = cust[ok], day[ok]
    fee = c["fee"].to_numpy()[cust]
    renewals = pd.DataFrame({
        "cust": cust, "day": day, "amount": fee, "quantity": 1,
        "gross_margin": np.round(0.8 * fee, 2), "channel": "app", "category": "membership",
    })
    return renewals, churn_day


def _timestamps(rng: np.random.Generator, day: np.ndarray) -> pd.Series:
    """Turn whole days since 2023-01-01 into timestamps with a realistic time of day."""
    hour = rng.choice(24, size=day.size, p=_HOUR_WEIGHTS / _HOUR_WEIGHTS.sum())
    seconds = day * 86_400 + hour * 3_600 + rng.integers(0, 3_600, size=day.size)
    return DEMO_START + pd.to_timedelta(seconds.astype("int64"), unit="s")


def _dates(day: np.ndarray) -> np.ndarray:
    """Whole days since 2023-01-01 (NaN = no date) as datetime64[ns] dates (NaT)."""
    missing = np.isnan(day)
    whole = np.where(missing, 0, day).astype("int64").astype("timedelta64[D]")
    out = (DEMO_START.to_datetime64() + whole).astype("datetime64[ns]")
    out[missing] = np.datetime64("NaT")
    return out


def _ids(n: int) -> np.ndarray:
    width = max(5, len(str(n)))
    return np.array([f"C{i:0{width}d}" for i in range(1, n + 1)], dtype=object)


def _transactions(rng: np.random.Generator, c: pd.DataFrame, ids: np.ndarray) -> tuple:
    renewals, churn_day = _membership(rng, c, _T_END)
    tx = pd.concat([_product_orders(rng, c, _T_END), renewals], ignore_index=True)
    tx["timestamp"] = _timestamps(rng, tx["day"].to_numpy()).astype("datetime64[ns]")
    tx = tx.sort_values(["timestamp", "cust"], kind="stable", ignore_index=True)
    out = pd.DataFrame({
        s.CUSTOMER_ID: ids[tx["cust"].to_numpy()],
        s.ORDER_ID: [f"O{i:07d}" for i in range(1, len(tx) + 1)],
        s.TIMESTAMP: tx["timestamp"],
        s.AMOUNT: tx["amount"].astype("float64"),
        s.QUANTITY: tx["quantity"].astype("int64"),
        s.GROSS_MARGIN: tx["gross_margin"].astype("float64"),
        s.CHANNEL: tx["channel"].astype(object),
        s.CATEGORY: tx["category"].astype(object),
    })
    return out, tx["cust"].to_numpy(), churn_day


def _cost_to_serve(rng: np.random.Generator, c: pd.DataFrame, tx: pd.DataFrame,
                   cust: np.ndarray) -> np.ndarray:
    """Yearly cost to serve: base + support contacts + returns handling (yuan per year)."""
    n = len(c)
    revenue = np.bincount(cust, weights=tx[s.AMOUNT].to_numpy(), minlength=n)
    tenure_years = np.maximum((_T_END - c["t0"].to_numpy()) / s.DAYS_PER_YEAR, 0.5)
    big_basket = (1 / c["nu"]).rank(pct=True).to_numpy() > 2 / 3
    serial = rng.random(n) < np.where(big_basket, 0.08, 0.02)  # serial returners
    # plant at least a couple among the big spenders, so that even a small demo has
    # high-revenue customers who lose money
    n_planted = min(int(big_basket.sum()), max(2, n // 200))
    serial[rng.choice(np.flatnonzero(big_basket), size=n_planted, replace=False)] = True
    return_rate = np.where(serial, rng.beta(6.0, 3.0, size=n), rng.beta(1.0, 12.0, size=n))
    contacts = rng.poisson(c["contact_rate"].to_numpy() * np.minimum(tenure_years, 1.0))
    cost = 25.0 + 15.0 * contacts + 0.6 * return_rate * revenue / tenure_years
    return np.round(cost, 2)


def _customers(rng: np.random.Generator, c: pd.DataFrame, ids: np.ndarray,
               churn_day: np.ndarray, cost: np.ndarray) -> pd.DataFrame:
    n = len(c)
    first_day = np.floor(c["t0"].to_numpy()) - c["lead_days"].to_numpy()
    sur = rng.integers(0, len(_SURNAMES), size=n)
    giv = rng.integers(0, len(_GIVEN), size=n)
    digits = rng.integers(0, 10, size=(n, 9))
    acq_cost = _ACQ_COST[c["acq"].to_numpy()] * rng.lognormal(0.0, 0.35, size=n)
    return pd.DataFrame({
        s.CUSTOMER_ID: ids,
        s.SIGNUP_DATE: _dates(first_day),
        s.CHANNEL: np.asarray(_ACQ_CHANNELS, dtype=object)[c["acq"].to_numpy()],
        s.REGION: np.asarray(_REGIONS, dtype=object)[c["region"].to_numpy()],
        s.ACQUISITION_COST: np.round(acq_cost, 2),
        s.COST_TO_SERVE: cost,
        s.CONTRACT: np.where(c["sub"].to_numpy(), "subscription", "none").astype(object),
        s.CHURN_DATE: _dates(churn_day),
        s.NAME: [_SURNAMES[a][1] + _GIVEN[b][1] for a, b in zip(sur, giv, strict=True)],
        s.EMAIL: [f"{_GIVEN[b][0].lower()}.{_SURNAMES[a][0].lower()}{i}@example.com"
                  for i, (a, b) in enumerate(zip(sur, giv, strict=True), start=1)],
        s.PHONE: ["+86 1" + "".join(map(str, d[:2])) + " " + "".join(map(str, d[2:6]))
                  + " " + "".join(map(str, d[6:])) + "0" for d in digits],
    })


def _surveys(rng: np.random.Generator, c: pd.DataFrame, ids: np.ndarray,
             tx: pd.DataFrame, cust: np.ndarray) -> pd.DataFrame:
    """NPS / CES answers of ~40% of customers (a quarter of them answered twice)."""
    n = len(c)
    answered = np.flatnonzero(rng.random(n) < 0.4)
    twice = answered[rng.random(answered.size) < 0.25]
    who = np.sort(np.concatenate([answered, twice]), kind="stable")
    day_num = (tx[s.TIMESTAMP] - DEMO_START).dt.days.to_numpy()
    last_day = np.zeros(n)
    np.maximum.at(last_day, cust, day_num)
    lo = np.floor(c["t0"].to_numpy()[who])
    hi = np.minimum(np.maximum(last_day[who] + 60.0, lo + 1.0), _T_END - 1.0)
    day = np.floor(lo + rng.random(who.size) * np.maximum(hi - lo, 0.0))
    nps = 7.4 + 2.2 * c["sat"].to_numpy()[who] - 0.6 * c["effort"].to_numpy()[who]
    nps = np.clip(np.round(nps + rng.normal(size=who.size)), 0, 10).astype("int64")
    ces = 3.2 + 1.4 * c["effort"].to_numpy()[who] + rng.normal(0.0, 0.8, size=who.size)
    ces = np.clip(np.round(ces), 1, 7).astype("int64")
    group = np.where(nps >= s.PROMOTER_MIN, "promoter",
                     np.where(nps >= s.PASSIVE_MIN, "passive", "detractor"))
    pick = rng.random(who.size)
    has_comment = rng.random(who.size) < 0.45
    comment = [_COMMENTS[g][int(u * len(_COMMENTS[g]))] if k else None
               for g, u, k in zip(group, pick, has_comment, strict=True)]
    out = pd.DataFrame({
        s.CUSTOMER_ID: ids[who],
        s.DATE: _dates(day),
        s.NPS: nps, s.CES: ces, s.COMMENT: pd.Series(comment, dtype=object),
    })
    return out.sort_values([s.DATE, s.CUSTOMER_ID], kind="stable", ignore_index=True)


def make_demo(n_customers: int = 2000, seed: int = 42) -> Dataset:
    r"""Generate a deterministic synthetic retail data set that exercises the workbook.

    The data span acquisition cohorts from January 2023 to April 2025 and purchases up to
    the observation end, 2025-06-30 (:data:`DEMO_OBSERVATION_END`; no timestamp is later).
    Amounts are in yuan (¥). The same ``(n_customers, seed)`` always gives identical
    frames: every draw comes from one ``numpy.random.default_rng(seed)``.

    Generating process, per customer:

    1. **Latent traits.** Satisfaction :math:`z \sim N(0, 1)` (+0.3 for referrals) and
       effort :math:`e = -0.5 z + \sqrt{0.75}\,\varepsilon`. They drive the survey answers
       and shift every behaviour below.
    2. **Acquisition.** First purchase day drawn on 2023-01-01..2025-04-30 with a rising
       density (a growing business); ``signup_date`` is that day, or 1-30 days earlier for
       30% of customers. Acquisition channel search/social/referral/store (35/30/15/20%)
       sets ``acquisition_cost`` (mean ¥80/60/30/20, log-normal noise) and where orders
       are placed (store customers mostly order in store).
    3. **Purchases (BG/NBD).** Purchase rate per day
       :math:`\lambda \sim \mathrm{Gamma}(0.75, 1/45)\,e^{0.15 z}`; after each repeat
       purchase the customer drops out with probability
       :math:`p = \mathrm{expit}(\mathrm{logit}(p_0) - 0.8 z + 0.5 e)`,
       :math:`p_0 \sim \mathrm{Beta}(1, 3)`, so detractors and high-effort customers drop
       out sooner. Purchases follow a Poisson process thinned by a seasonal intensity with
       peaks at Double 11 (Nov 11), Double 12/Christmas and 618 (Jun 18).
    4. **Spend (Gamma-Gamma).** Order value :math:`\sim \mathrm{Gamma}(4, \nu)` with
       :math:`\nu \sim \mathrm{Gamma}(2.5, 94)\,e^{-0.15 z}` (heavy tail: roughly the top
       20% of customers bring 60-80% of revenue; satisfied customers spend more), times a
       category factor (apparel, beauty, electronics, home, grocery) and
       :math:`\sqrt{\text{season}}` (big-ticket orders cluster in the peaks).
       ``gross_margin`` = amount x the category's margin rate (15-55%).
    5. **Subscriptions (sBG).** 25% of customers hold a monthly membership (¥19/39/69)
       from ``signup_date``; each month they cancel with probability
       :math:`\theta = \mathrm{expit}(\mathrm{logit}(\theta_0) - 0.6 z + 0.4 e)`,
       :math:`\theta_0 \sim \mathrm{Beta}(1, 18)` (shifted-beta-geometric). Each paid month
       is a transaction with category ``"membership"`` (filter it out for a purely
       non-contractual analysis); ``churn_date`` = signup + months paid x 30.4375 days, or
       NaT while still subscribed (and always NaT for ``contract == "none"``).
    6. **Cost to serve** (yuan per year): ¥25 + ¥15 per support contact (more for
       high-effort customers) + 60% of returned revenue. A few "serial returners"
       (more often big spenders) return most of what they buy, so some high-revenue
       customers have a negative margin after cost to serve.
    7. **Surveys.** About 40% of customers answered, a quarter of them twice, at a date
       between their first purchase and 60 days after their last one.
       ``nps`` (0-10) rises with satisfaction; ``ces`` (1-7) is the customer effort score
       where **higher means more effort** (1 = very easy, 7 = very difficult). About 45%
       left a comment (English or Chinese, matching their NPS group).

    PII columns (``name``, ``email`` at example.com, ``phone``) are fake and exist so that
    reports can prove they never show them.

    Parameters
    ----------
    n_customers : int, default 2000
        Number of customers (>= 1). 2,000 gives about 20,000 transactions.
    seed : int, default 42
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    clvkit.Dataset
        ``transactions`` (customer_id, order_id, timestamp, amount, quantity,
        gross_margin, channel, category; sorted by timestamp), ``customers`` (customer_id,
        signup_date, channel, region, acquisition_cost, cost_to_serve, contract,
        churn_date, name, email, phone), ``surveys`` (customer_id, date, nps, ces,
        comment), ``name`` such as ``"demo (2,000 customers, seed 42)"`` and
        ``observation_end`` = 2025-06-30.

    Raises
    ------
    ParameterError
        If ``n_customers`` is not a positive integer or ``seed`` is not an integer.

    Examples
    --------
    >>> ds = make_demo(300, seed=1)
    >>> len(ds.customers)
    300
    >>> bool(ds.transactions["timestamp"].max() <= ds.observation_end)
    True
    """
    if isinstance(n_customers, bool) or not isinstance(n_customers, (int, np.integer)) \
            or n_customers < 1:
        msg = f"n_customers must be a positive integer; got {n_customers!r}."
        raise ParameterError(msg)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        msg = f"seed must be an integer; got {seed!r}."
        raise ParameterError(msg)
    n = int(n_customers)
    rng = np.random.default_rng(seed)
    traits = _customer_traits(rng, n)
    ids = _ids(n)
    tx, cust, churn_day = _transactions(rng, traits, ids)
    cost = _cost_to_serve(rng, traits, tx, cust)
    customers = _customers(rng, traits, ids, churn_day, cost)
    surveys = _surveys(rng, traits, ids, tx, cust)
    return Dataset(
        transactions=tx, customers=customers, surveys=surveys,
        name=f"demo ({n:,} customers, seed {seed})", observation_end=DEMO_OBSERVATION_END,
        extra={"source": "demo", "n_customers": n, "seed": int(seed), "currency": "¥"},
    )


def write_demo(out_dir: str | Path, n_customers: int = 2000, seed: int = 42,
               formats: Sequence[str] = ("csv", "parquet"), *,
               quality_issues: bool = False) -> list[Path]:
    """Write the demo data set as transactions/customers/surveys files.

    Parameters
    ----------
    out_dir : str or pathlib.Path
        Folder to write into (created if missing); existing files are overwritten.
    n_customers : int, default 2000
        Number of customers, passed to :func:`make_demo`.
    seed : int, default 42
        Random seed, passed to :func:`make_demo`.
    formats : sequence of {"csv", "parquet"}, default ("csv", "parquet")
        File formats. CSV is UTF-8 without BOM, dates in ISO 8601, no index.
    quality_issues : bool, default False
        Add the realistic bad rows of :func:`~clvkit.datasets.add_quality_issues`
        (refunds, zero amounts, double exports, ...), for trying ``clvkit validate``.

    Returns
    -------
    list of pathlib.Path
        The files written, e.g. ``transactions.csv``, ``customers.parquet``.

    Raises
    ------
    ParameterError
        If a format is not "csv" or "parquet", or ``formats`` is empty.
    """
    if isinstance(formats, str):
        formats = (formats,)
    bad = [f for f in formats if f not in ("csv", "parquet")]
    if bad or not formats:
        msg = f"formats must be a non-empty list of 'csv', 'parquet'; got {list(formats)!r}."
        raise ParameterError(msg)
    ds = make_demo(n_customers, seed)
    if quality_issues:
        ds = add_quality_issues(ds, seed=seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    tables = {"transactions": ds.transactions, "customers": ds.customers,
              "surveys": ds.surveys}
    for table, frame in tables.items():
        for fmt in dict.fromkeys(formats):
            path = out / f"{table}.{fmt}"
            if fmt == "csv":
                frame.to_csv(path, index=False, encoding="utf-8")
            else:
                frame.to_parquet(path, index=False)
            written.append(path)
    return written
