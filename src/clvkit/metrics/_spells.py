"""Customer activity spells: the shared core of churn rates, retention and survival (private).

A *spell* is a stretch during which a customer counts as active: it starts at
``start`` and the customer is lost on ``end`` (``NaT`` = not lost). With the
contractual definition a spell runs from ``signup_date`` to ``churn_date``; with the
inactivity definition a spell starts at a purchase that follows no purchase in the
previous ``inactivity_days`` days and ends ``inactivity_days`` after the last purchase
of the run (a customer who comes back later starts a new spell).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .._messages import examples
from ..exceptions import DataValidationError
from ..schema import CHURN_DATE, CONTRACT, CUSTOMER_ID, SIGNUP_DATE, TIMESTAMP
from ._common import require_columns

SPELL_COLUMNS = (CUSTOMER_ID, "start", "last", "end")


def inactivity_spells(
    transactions: pd.DataFrame, inactivity_days: int, observation_end: pd.Timestamp
) -> pd.DataFrame:
    """Split each customer's purchase days into activity spells.

    Returns a frame with customer_id, start (first purchase day of the spell), last
    (last purchase day) and end (= last + inactivity_days, the day the customer is
    lost). Transactions after ``observation_end`` are dropped with a warning.
    """
    days = transactions[TIMESTAMP].dt.normalize()
    late = days > observation_end
    if late.any():
        msg = (
            f"{int(late.sum()):,} of {len(days):,} transactions are after observation_end "
            f"{observation_end.date()} and were left out of the churn calculation."
        )
        warnings.warn(msg, UserWarning, stacklevel=4)
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
