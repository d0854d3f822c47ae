"""Customer activity spells and cohort activity: the shared core of churn rates, retention
and survival (private).

A *spell* is a stretch during which a customer counts as active: it starts at
``start`` and the customer is lost on ``end`` (``NaT`` = not lost). With the
contractual definition a spell runs from ``signup_date`` to ``churn_date``; with the
inactivity definition a spell starts at a purchase that follows no purchase in the
previous ``inactivity_days`` days and ends ``inactivity_days`` after the last purchase
of the run (a customer who comes back later starts a new spell).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._codes import date_ordinals, factorize_ids, period_ordinals, plain_dates, sorted_unique
from .._messages import examples
from ..exceptions import DataValidationError
from ..schema import CHURN_DATE, CONTRACT, CUSTOMER_ID, SIGNUP_DATE, TIMESTAMP
from ._common import require_columns

SPELL_COLUMNS = (CUSTOMER_ID, "start", "last", "end")


@dataclass
class SpellArrays:
    """Inactivity spells as arrays, ordered by customer (first appearance in the log),
    then start. ``customer`` indexes ``ids``; ``start`` and ``last`` are days since
    1970-01-01; ``dtype`` is the log's datetime dtype (for frames)."""

    customer: np.ndarray
    ids: np.ndarray
    start: np.ndarray
    last: np.ndarray
    window: int
    dtype: np.dtype

    def dates(self, days: np.ndarray) -> np.ndarray:
        """Days since 1970-01-01 as dates in the log's datetime dtype."""
        return days.astype("datetime64[D]").astype(self.dtype)

    def frame(self, rows: np.ndarray | None = None) -> pd.DataFrame:
        """The spells (or the spells at ``rows``) as a frame of :data:`SPELL_COLUMNS`."""
        pick = slice(None) if rows is None else rows
        last = self.last[pick]
        return pd.DataFrame({CUSTOMER_ID: self.ids[self.customer[pick]],
                             "start": self.dates(self.start[pick]), "last": self.dates(last),
                             "end": self.dates(last + self.window)})

    def first_rows(self) -> np.ndarray:
        """Row of each customer's first spell."""
        customer = self.customer
        return np.flatnonzero(np.r_[True, customer[1:] != customer[:-1]])


def _late_warning(n_late: int, n: int, observation_end: pd.Timestamp) -> None:
    if n_late:
        msg = (
            f"{n_late:,} of {n:,} transactions are after observation_end "
            f"{observation_end.date()} and were left out of the churn calculation."
        )
        warnings.warn(msg, UserWarning, stacklevel=6)


def spell_arrays(
    transactions: pd.DataFrame, inactivity_days: int, observation_end: pd.Timestamp
) -> SpellArrays | None:
    """The inactivity spells of :func:`inactivity_spells` as arrays, computed on
    integer customer codes and day numbers (one sort of the distinct customer-days).

    Returns None when the log needs the general path (time-zone-aware or missing
    timestamps, missing customer ids).
    """
    stamps = transactions[TIMESTAMP]
    if not plain_dates(stamps):
        return None
    codes, ids = factorize_ids(transactions[CUSTOMER_ID])
    if codes.size and codes.min() < 0:
        return None
    day = stamps.to_numpy().astype("datetime64[D]").astype(np.int64)
    end = pd.Timestamp(observation_end).to_datetime64().astype("datetime64[D]").astype(np.int64)
    late = day > end
    _late_warning(int(late.sum()), len(day), observation_end)
    if late.any():
        keep = ~late
        codes, day = codes[keep], day[keep]
    window = int(inactivity_days)
    customer, start, last = coded_spells(codes, day, window)
    return SpellArrays(customer=customer.astype(np.intp), ids=ids, start=start, last=last,
                       window=window, dtype=stamps.dtype)


def coded_spells(codes: np.ndarray, day: np.ndarray, window: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Activity spells of rows given as integer customer codes (>= 0) and day numbers:
    per spell its customer code, first and last purchase day, ordered by customer then
    start. A new spell starts after a gap of ``window`` days or more; one sort of the
    distinct (customer, day) keys."""
    low = int(day.min()) if day.size else 0
    span = int(day.max()) - low + 1 if day.size else 1
    key = sorted_unique(codes.astype(np.int64) * span + (day - low))  # one per customer-day
    customer, day = key // span, key % span + low
    new = np.ones(key.size, dtype=bool)
    new[1:] = (customer[1:] != customer[:-1]) | (day[1:] - day[:-1] >= window)
    starts = np.flatnonzero(new)
    ends = np.r_[starts[1:] - 1, key.size - 1] if starts.size else starts
    return customer[starts], day[starts], day[ends]


def inactivity_spells(
    transactions: pd.DataFrame, inactivity_days: int, observation_end: pd.Timestamp
) -> pd.DataFrame:
    """Split each customer's purchase days into activity spells.

    Returns a frame with customer_id, start (first purchase day of the spell), last
    (last purchase day) and end (= last + inactivity_days, the day the customer is
    lost), ordered by customer and start (customers in the order of their first row
    in the log when the timestamps are plain datetimes, else by id). Transactions after
    ``observation_end`` are dropped with a warning.
    """
    arrays = spell_arrays(transactions, inactivity_days, observation_end)
    if arrays is not None:
        return arrays.frame()
    return _inactivity_spells_general(transactions, inactivity_days, observation_end)


def first_spells(
    transactions: pd.DataFrame, inactivity_days: int, observation_end: pd.Timestamp
) -> pd.DataFrame:
    """Each customer's first inactivity spell (the columns of :func:`inactivity_spells`)."""
    arrays = spell_arrays(transactions, inactivity_days, observation_end)
    if arrays is not None:
        return arrays.frame(arrays.first_rows())
    spells = _inactivity_spells_general(transactions, inactivity_days, observation_end)
    return spells.sort_values([CUSTOMER_ID, "start"]).drop_duplicates(CUSTOMER_ID)


def _inactivity_spells_general(
    transactions: pd.DataFrame, inactivity_days: int, observation_end: pd.Timestamp
) -> pd.DataFrame:
    """:func:`inactivity_spells` for any timestamps and ids, by pandas group-bys."""
    days = transactions[TIMESTAMP].dt.normalize()
    late = days > observation_end
    _late_warning(int(late.sum()), len(days), observation_end)
    frame = pd.DataFrame({CUSTOMER_ID: transactions[CUSTOMER_ID].to_numpy(), "day": days})
    frame = frame.loc[~late.to_numpy()].drop_duplicates().sort_values([CUSTOMER_ID, "day"])
    window = pd.Timedelta(days=inactivity_days)
    previous = frame.groupby(CUSTOMER_ID, sort=False)["day"].shift(1)
    new_spell = previous.isna() | (frame["day"] - previous >= window)
    spell_id = new_spell.cumsum().to_numpy()
    spells = frame.groupby(spell_id, sort=True).agg(
        **{CUSTOMER_ID: (CUSTOMER_ID, "first"), "start": ("day", "min"), "last": ("day", "max")}
    )
    spells["end"] = spells["last"] + window
    return spells.reset_index(drop=True)


def contractual_spells(customers: pd.DataFrame, what: str) -> tuple[pd.DataFrame, str]:
    """Build one spell per contractual customer from signup_date and churn_date.

    Customers whose ``contract`` is ``"none"`` or missing are left out when the column
    exists. Returns the spells and a description of the population used.
    """
    require_columns(customers, (SIGNUP_DATE, CHURN_DATE), "customers", what)
    frame = customers
    population = "all"
    if CONTRACT in frame.columns:
        keep = frame[CONTRACT].notna() & (frame[CONTRACT].astype(str) != "none")
        frame = frame.loc[keep]
        population = "contract"
        if frame.empty:
            msg = (
                f"{what} with the contractual definition found no contractual customers: "
                f"every one of {len(customers):,} rows has contract 'none' or missing. "
                "Use definition='inactivity' for non-contractual data."
            )
            raise DataValidationError(msg, column=CONTRACT, n_failed=len(customers))
    start = pd.to_datetime(frame[SIGNUP_DATE]).dt.normalize()
    end = pd.to_datetime(frame[CHURN_DATE]).dt.normalize()
    _check_contract_dates(frame, start, end, what)
    spells = pd.DataFrame(
        {CUSTOMER_ID: frame[CUSTOMER_ID].to_numpy(), "start": start.to_numpy(),
         "last": end.to_numpy(), "end": end.to_numpy()}
    )
    return spells, population


def _check_contract_dates(
    frame: pd.DataFrame, start: pd.Series, end: pd.Series, what: str
) -> None:
    for bad, text, column in (
        (start.isna(), "have no signup_date", SIGNUP_DATE),
        (end < start, "have a churn_date before their signup_date", CHURN_DATE),
    ):
        if bad.any():
            ids = examples(frame.loc[bad.to_numpy(), CUSTOMER_ID])
            msg = (
                f"{int(bad.sum()):,} of {len(frame):,} contractual customers {text} "
                f"(e.g. customer_id {ids}); {what} needs both dates in order. "
                "Fix or drop these rows first."
            )
            raise DataValidationError(msg, column=column, n_failed=int(bad.sum()))


def counts_at(spells: pd.DataFrame, dates: pd.DatetimeIndex) -> dict[str, np.ndarray]:
    """Active customers at each date and cumulative starts/losses up to it.

    ``active[i]`` counts spells with ``start <= dates[i] < end``; ``started[i]`` and
    ``lost[i]`` count spells started / ended on or before ``dates[i]``.
    """
    starts = np.sort(spells["start"].to_numpy(dtype="datetime64[ns]"))
    ends = spells["end"].dropna().to_numpy(dtype="datetime64[ns]")
    ends = np.sort(ends)
    points = dates.to_numpy(dtype="datetime64[ns]")
    started = np.searchsorted(starts, points, side="right")
    lost = np.searchsorted(ends, points, side="right")
    return {"active": started - lost, "started": started, "lost": lost}


def customer_parts(spells: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Per-customer pieces of a churn rate over (start, end].

    Returns a frame indexed by customer_id with active_start, active_end (0/1) and
    lost (spells ending in the period), so group churn rates are ratios of sums.
    """
    s, e = spells["start"], spells["end"]
    alive = lambda t: (s <= t) & (e.isna() | (e > t))  # noqa: E731
    parts = pd.DataFrame(
        {
            CUSTOMER_ID: spells[CUSTOMER_ID].to_numpy(),
            "active_start": alive(start).to_numpy(dtype=int),
            "active_end": alive(end).to_numpy(dtype=int),
            "lost": ((e > start) & (e <= end)).to_numpy(dtype=int),
        }
    )
    return parts.groupby(CUSTOMER_ID).sum()


def activity_counts(tx: pd.DataFrame, end: pd.Timestamp,
                     freq: str) -> tuple[pd.DataFrame, pd.Series]:
    """Customers active k periods after their cohort (rows: cohort ordinals, columns
    k) and cohort sizes, "activity" definition: integer customer codes and period
    ordinals, one sort of the distinct customer-periods."""
    stamps = tx[TIMESTAMP]
    codes = None
    if plain_dates(stamps):
        codes, _ = factorize_ids(tx[CUSTOMER_ID])
    if codes is None or (codes.size and codes.min() < 0):
        return _activity_counts_general(tx, end, freq)
    keep = (stamps <= end + pd.Timedelta(days=1) - pd.Timedelta(1, "ns")).to_numpy()
    period = period_ordinals(stamps.to_numpy()[keep], freq)
    if period.size == 0:
        return pd.DataFrame(index=pd.Index([], dtype=np.int64)), pd.Series([], dtype=np.int64)
    low = int(period.min())
    span = int(period.max()) - low + 1
    key = sorted_unique(codes[keep].astype(np.int64) * span + (period - low))  # customer-periods
    customer, period = key // span, key % span
    first = np.flatnonzero(np.r_[True, customer[1:] != customer[:-1]])
    cohort_of = period[first]  # each customer's first period
    seen = np.bincount(cohort_of, minlength=span) > 0
    cohorts = np.flatnonzero(seen)
    per_customer = (np.cumsum(seen) - 1)[cohort_of]  # row of each customer's cohort
    row = np.repeat(per_customer, np.diff(np.r_[first, key.size]))
    k = period - np.repeat(cohort_of, np.diff(np.r_[first, key.size]))
    width = int(k.max()) + 1
    table = np.bincount(row * width + k, minlength=cohorts.size * width)
    index = pd.Index(cohorts + low, name="cohort")
    counts = pd.DataFrame(table.reshape(cohorts.size, width), index=index,
                          columns=pd.Index(range(width), name="k"))
    return counts, pd.Series(np.bincount(per_customer), index=index)


def _activity_counts_general(tx: pd.DataFrame, end: pd.Timestamp,
                             freq: str) -> tuple[pd.DataFrame, pd.Series]:
    """:func:`activity_counts` for any timestamps and ids, by pandas group-bys."""
    tx = tx.loc[tx[TIMESTAMP] <= end + pd.Timedelta(days=1) - pd.Timedelta(1, "ns")]
    frame = pd.DataFrame({CUSTOMER_ID: tx[CUSTOMER_ID].to_numpy(),
                          "p": date_ordinals(tx[TIMESTAMP], freq)})
    frame["cohort"] = frame.groupby(CUSTOMER_ID)["p"].transform("min")
    frame["k"] = frame["p"] - frame["cohort"]
    pairs = frame.drop_duplicates([CUSTOMER_ID, "k"])
    sizes = pairs.groupby("cohort")[CUSTOMER_ID].nunique()
    return pairs.groupby(["cohort", "k"]).size().unstack(fill_value=0), sizes
