"""Survival counts for the sBG model: checking them and building them from a customer table."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .. import schema
from .._messages import examples, require_columns
from .._parse import as_date
from ..exceptions import DataValidationError

__all__ = ["cohort_active_counts", "observed_table", "subscriber_count", "survival_data"]


#: A cancellation dated up to this many days after the k-th monthly renewal date counts as
#: not renewing at that date: renewal dates follow calendar months (28-31 days), which
#: drift up to about 2 days from k x 30.4375 days.
RENEWAL_GRACE_DAYS = 3


def _check_cohort(values: np.ndarray, where: str) -> np.ndarray:
    """Validate one cohort's active counts (cohort size first); return them as floats."""
    if values.size < 2:
        msg = (
            f"{where}needs at least two counts, the cohort size and the number still active "
            f"after period 1; got {values.size}."
        )
        raise DataValidationError(msg)
    if np.any(values < 0) or np.any(values != np.round(values)):
        bad = np.flatnonzero((values < 0) | (values != np.round(values)))
        msg = (
            f"{where}active counts must be whole numbers >= 0; {bad.size:,} are not "
            f"(periods {examples(bad)}: {examples(values[bad])})."
        )
        raise DataValidationError(msg, n_failed=int(bad.size))
    rises = np.flatnonzero(np.diff(values) > 0) + 1
    if rises.size:
        msg = (
            f"{where}active counts must not increase over time (customers who cancelled do "
            f"not come back), but they rise in {rises.size:,} period(s): {examples(rises)}. "
            "Pass one cohort's survivors, cohort size first, not new sign-ups."
        )
        raise DataValidationError(msg, n_failed=int(rises.size))
    return values.astype(float)


def _rows(active) -> list[tuple[str, np.ndarray]]:
    """Split the input into (label, counts) cohorts, dropping each row's trailing NaN."""
    if isinstance(active, pd.DataFrame):
        rows = []
        for label, row in active.iterrows():
            vals = pd.to_numeric(row, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            seen = ~np.isnan(vals)
            n = int(np.argmin(seen)) if not seen.all() else vals.size
            if seen[n:].any():
                msg = (
                    f"Cohort {label}: active counts have a gap (missing period {n} but later "
                    "periods present). Missing values may only follow the last observed period."
                )
                raise DataValidationError(msg)
            if n >= 2 and vals[0] > 0:  # too-recent or empty cohorts carry no information
                rows.append((f"Cohort {label}: ", vals[:n]))
        return rows
    vals = np.asarray(active, dtype=float)
    if vals.ndim != 1:
        msg = (
            f"active must be one cohort's counts (1-D) or a DataFrame with one cohort per row; "
            f"got an array with shape {vals.shape}."
        )
        raise DataValidationError(msg)
    if np.isnan(vals).any():
        msg = f"active contains {int(np.isnan(vals).sum()):,} missing value(s); pass counts only."
        raise DataValidationError(msg)
    return [("", vals)]


def survival_data(active: Sequence[int] | np.ndarray | pd.DataFrame) -> tuple[np.ndarray, ...]:
    """Turn active counts into sBG sufficient statistics (lost per period, censored).

    Parameters
    ----------
    active : sequence of int or pandas.DataFrame
        One cohort's active counts (cohort size first), or one cohort per row.

    Returns
    -------
    lost : numpy.ndarray
        ``lost[t - 1]`` = customers who cancelled in period t = 1..m.
    censored : numpy.ndarray
        ``censored[t]`` = customers still active after their last observed period t = 0..m.

    Raises
    ------
    DataValidationError
        Invalid counts (see :func:`_check_cohort`), or no cancellation at all.
    """
    cohorts = [(where, _check_cohort(vals, where)) for where, vals in _rows(active)]
    if not cohorts:
        msg = (
            "No cohort has been observed for a full period (each needs a size > 0 and the count "
            "after period 1). Use a later observation_end or older cohorts."
        )
        raise DataValidationError(msg)
    m = max(vals.size for _, vals in cohorts) - 1
    lost, censored = np.zeros(m), np.zeros(m + 1)
    for _, vals in cohorts:
        lost[: vals.size - 1] += -np.diff(vals)
        censored[vals.size - 1] += vals[-1]
    if lost.sum() == 0:
        msg = (
            f"No customer cancelled in the data ({int(censored.sum()):,} customers, "
            f"{m:,} period(s)), so the churn distribution cannot be estimated. "
            "Wait for more periods or check the churn dates."
        )
        raise DataValidationError(msg)
    return lost, censored


def subscriber_count(customers: pd.DataFrame | None, contract: str = "subscription") -> int:
    """Return how many customers have ``contract == "subscription"`` (0 without a
    customer table or a contract column), to decide whether an sBG analysis applies."""
    if customers is None or schema.CONTRACT not in customers.columns:
        return 0
    return int((customers[schema.CONTRACT] == contract).sum())


def cohort_active_counts(
    customers: pd.DataFrame,
    *,
    observation_end: str | pd.Timestamp | None = None,
    contract: str | None = "subscription",
) -> pd.DataFrame:
    """Count the subscribers of each monthly sign-up cohort still active after each month.

    A subscriber who signed up on day :math:`s` and cancelled on day :math:`c` is lost in
    period :math:`\\lceil (c - s - 3) / 30.4375 \\rceil` (at least 1): periods are average
    months (``clvkit.schema.DAYS_PER_MONTH`` days), and a cancellation up to 3 days
    (:data:`RENEWAL_GRACE_DAYS`) after a renewal date counts as not renewing at that date,
    because calendar months drift from the average. A cohort (calendar month of sign-up)
    is observed for period *t* only when every member's *t*-th month has ended by
    ``observation_end``; later cells are missing. Cancellations after
    ``observation_end`` are not yet known and count as active.

    Parameters
    ----------
    customers : pandas.DataFrame
        One row per customer with columns customer_id, signup_date, churn_date (NaT while
        active) and, when ``contract`` is given, contract.
    observation_end : str or pandas.Timestamp, optional
        Last day of data; default the latest signup or churn date.
    contract : str or None, default "subscription"
        Keep customers whose ``contract`` column equals this; None keeps everyone.

    Returns
    -------
    pandas.DataFrame
        Index ``cohort`` ("YYYY-MM"), columns 0, 1, 2, ... (months since sign-up), nullable
        integer counts: column 0 is the cohort size. Feed it to :func:`fit_sbg`.

    Raises
    ------
    DataValidationError
        A required column is missing, no customer has the contract type, or churn dates
        precede sign-up dates.
    """
    cols = [schema.SIGNUP_DATE, schema.CHURN_DATE] + ([schema.CONTRACT] if contract else [])
    require_columns(customers, cols, "customers", "cohort_active_counts()")
    subs = customers if contract is None else customers[customers[schema.CONTRACT] == contract]
    subs = subs.dropna(subset=[schema.SIGNUP_DATE])
    if subs.empty:
        kinds = customers.get(schema.CONTRACT, pd.Series(dtype=object)).dropna().unique()
        present = sorted(map(str, kinds))
        msg = (
            f"No customer with contract == {contract!r} and a signup_date among "
            f"{len(customers):,} customers; contract values present: {present}."
        )
        raise DataValidationError(msg, column=schema.CONTRACT)
    signup = pd.to_datetime(subs[schema.SIGNUP_DATE]).dt.normalize()
    churn = pd.to_datetime(subs[schema.CHURN_DATE]).dt.normalize()
    end = _observation_end(observation_end, signup, churn)
    churn = churn.where(churn <= end)
    early = churn < signup
    if early.any():
        ids = subs[schema.CUSTOMER_ID] if schema.CUSTOMER_ID in subs else subs.index.to_series()
        ids = ids[early.to_numpy()]
        msg = (
            f"{int(early.sum()):,} of {len(subs):,} subscribers have a churn_date before their "
            f"signup_date (e.g. customer_id {examples(ids)}). Fix or drop these rows."
        )
        raise DataValidationError(msg, column=schema.CHURN_DATE, n_failed=int(early.sum()))
    days = (churn - signup).dt.days - RENEWAL_GRACE_DAYS
    period = np.ceil(days / schema.DAYS_PER_MONTH).clip(lower=1)
    frame = pd.DataFrame({"cohort": signup.dt.to_period("M").astype(str), "signup": signup,
                          "period": period})
    return _count_by_cohort(frame, end)


def _observation_end(observation_end, signup: pd.Series, churn: pd.Series) -> pd.Timestamp:
    if observation_end is None:
        return max(signup.max(), churn.max() if churn.notna().any() else signup.max())
    return as_date(observation_end)


def _count_by_cohort(frame: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    counts = {}
    for cohort, grp in frame.groupby("cohort", sort=True):
        n_obs = int((end - grp["signup"].max()).days // schema.DAYS_PER_MONTH)
        t = np.arange(max(n_obs, 0) + 1)
        life = grp["period"].fillna(np.inf).to_numpy()
        counts[cohort] = pd.Series((life[None, :] > t[:, None]).sum(axis=1), index=t)
    out = pd.DataFrame(counts).T.astype("Int64")
    out.index.name = "cohort"
    out.columns.name = "period"
    return out


def observed_table(lost: np.ndarray, censored: np.ndarray) -> pd.DataFrame:
    """Discrete Kaplan-Meier table of the fitted counts, indexed by period 0..m."""
    m = lost.size
    lost_t = np.r_[0.0, lost]  # lost_t[t]: cancelled in period t (none in period 0)
    cens_t = censored[: m + 1]  # cens_t[t]: still active, observed for exactly t periods
    # at risk in period t: not lost in periods 1..t-1 and observed for at least t periods
    at_risk = lost.sum() + censored.sum() - np.cumsum(lost_t) + lost_t - np.r_[
        0.0, np.cumsum(cens_t)[:-1]
    ]
    hazard = np.divide(lost_t, at_risk, out=np.zeros_like(lost_t), where=at_risk > 0)
    return pd.DataFrame(
        {"at_risk": at_risk, "lost": lost_t, "censored": cens_t,
         "observed_survival": np.cumprod(1 - hazard)},
        index=pd.Index(np.arange(m + 1), name="period"),
    )
