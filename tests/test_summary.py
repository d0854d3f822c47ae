"""Tests of the per-customer summaries: rfm_summary, calibration_holdout_split, cohorts."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import clvkit as ck
from clvkit.datasets import load_cdnow, make_demo
from clvkit.datasets._cdnow import read_lifetimes_csv

lifetimes_utils = pytest.importorskip("lifetimes.utils")


def _lifetimes_rfm(tx, **kw):
    with warnings.catch_warnings():  # lifetimes' own pandas deprecations, not ours
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        return lifetimes_utils.summary_data_from_transaction_data(
            tx, "customer_id", "timestamp", monetary_value_col="amount", **kw)


def _lifetimes_cal(tx, cal_end, obs_end, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        if hasattr(pd.errors, "SettingWithCopyWarning"):  # pandas 2 only (removed in 3)
            warnings.simplefilter("ignore", pd.errors.SettingWithCopyWarning)
        return lifetimes_utils.calibration_and_holdout_data(
            tx, "customer_id", "timestamp", cal_end, obs_end, monetary_value_col="amount",
            **kw)


def _assert_same_values(ours: pd.DataFrame, theirs: pd.DataFrame) -> None:
    """Same index, columns and values; dtypes may differ (lifetimes returns all floats)."""
    assert list(ours.columns) == list(theirs.columns)
    pd.testing.assert_index_equal(ours.index, theirs.index, check_names=False)
    pd.testing.assert_frame_equal(ours.astype("float64"), theirs, check_names=False,
                                  check_exact=False, rtol=1e-12, atol=1e-9)


@pytest.fixture
def hand() -> pd.DataFrame:
    """Nine purchases of three customers; expected summaries are worked out by hand."""
    return pd.DataFrame({
        "customer_id": ["A", "A", "A", "A", "A", "A", "B", "C", "C"],
        "timestamp": pd.to_datetime([
            "2024-01-01 09:00", "2024-01-01 15:00",  # A: Monday of week 1, twice that day
            "2024-01-03 10:00", "2024-01-20 11:00",  # A: Wednesday; Saturday of week 3
            "2024-02-05 10:00", "2024-02-05 18:00",  # A: Monday of week 6, twice that day
            "2024-01-10 12:00",  # B: Wednesday of week 2
            "2024-01-31 08:00", "2024-02-01 20:00",  # C: Wed + Thu of week 5
        ]),
        "amount": [10.0, 5.0, 20.0, 30.0, 40.0, 20.0, 100.0, 8.0, 12.0],
    })


END = "2024-02-11"  # a Sunday: the end of week 6


# --- rfm_summary: hand-computed values -------------------------------------------------


def test_rfm_daily_by_hand(hand):
    got = ck.rfm_summary(hand, END, freq="D")
    # A: days Jan 1 (15), Jan 3 (20), Jan 20 (30), Feb 5 (60) -> 3 repeat days, mean 110/3
    expected = pd.DataFrame(
        {"frequency": [3, 0, 1], "recency": [35.0, 0.0, 1.0], "T": [41.0, 32.0, 11.0],
         "monetary_value": [110 / 3, 0.0, 12.0]},
        index=pd.Index(["A", "B", "C"], name="customer_id"))
    pd.testing.assert_frame_equal(got, expected)


def test_rfm_weekly_by_hand(hand):
    got = ck.rfm_summary(hand, END, freq="W")
    # A: weeks 1 (35), 3 (30), 6 (60); B: week 2; C: both in week 5 -> one purchase
    assert got.to_dict("index") == {
        "A": {"frequency": 2, "recency": 5.0, "T": 5.0, "monetary_value": 45.0},
        "B": {"frequency": 0, "recency": 0.0, "T": 4.0, "monetary_value": 0.0},
        "C": {"frequency": 0, "recency": 0.0, "T": 1.0, "monetary_value": 0.0},
    }


def test_rfm_default_is_daily_resolution_in_weeks_of_seven_days(hand):
    got = ck.rfm_summary(hand, END)
    daily = ck.rfm_summary(hand, END, freq="D")
    # A's four purchase days (Jan 1, 3, 20; Feb 5) and C's two (Jan 31, Feb 1) all count
    assert got["frequency"].tolist() == daily["frequency"].tolist() == [3, 0, 1]
    np.testing.assert_allclose(got[["recency", "T"]], daily[["recency", "T"]] / 7)
    np.testing.assert_allclose(got["monetary_value"], daily["monetary_value"])
    assert got.attrs["freq"] == "W7" and got.attrs["freq_multiplier"] == 1
    assert got.attrs["time_unit"] == "W" and got.attrs["unit_days"] == 7.0
    assert got.attrs["resolution"] == "D"
    assert got.attrs["periods_per_month"] == pytest.approx(30.4375 / 7)


@pytest.mark.parametrize(("freq", "mult", "unit", "days", "resolution"), [
    ("D", 1, "D", 1.0, "D"), ("W", 1, "W", 7.0, "W"), ("M", 1, "M", 30.4375, "M"),
    ("D", 7, "W", 7.0, "D"), ("D", 2, None, 2.0, "D"), ("M", 3, None, 91.3125, "M")])
def test_rfm_records_its_time_unit(hand, freq, mult, unit, days, resolution):
    attrs = ck.rfm_summary(hand, END, freq=freq, freq_multiplier=mult).attrs
    assert attrs["time_unit"] == unit and attrs["resolution"] == resolution
    assert attrs["unit_days"] == pytest.approx(days)
    assert attrs["periods_per_month"] == pytest.approx(30.4375 / days)
    split = ck.calibration_holdout_split(hand, "2024-01-21", END, freq=freq,
                                         freq_multiplier=mult)
    assert split.attrs["time_unit"] == unit and split.attrs["freq_multiplier"] == mult


def test_rfm_monthly_by_hand(hand):
    got = ck.rfm_summary(hand, END, freq="M")
    # calendar months: A Jan (65), Feb (60); C Jan (8), Feb (12)
    assert got.to_dict("index") == {
        "A": {"frequency": 1, "recency": 1.0, "T": 1.0, "monetary_value": 60.0},
        "B": {"frequency": 0, "recency": 0.0, "T": 1.0, "monetary_value": 0.0},
        "C": {"frequency": 1, "recency": 1.0, "T": 1.0, "monetary_value": 12.0},
    }


def test_rfm_freq_multiplier_and_default_end(hand):
    got = ck.rfm_summary(hand, freq="D", freq_multiplier=7)  # end = last day, Feb 5
    assert got.loc["A", "recency"] == 5.0 and got.loc["A", "T"] == 5.0
    assert got.loc["B", "T"] == pytest.approx(26 / 7)
    assert got.attrs["observation_end"] == pd.Timestamp("2024-02-05")
    assert got.attrs["freq"] == "D" and got.attrs["freq_multiplier"] == 7


def test_rfm_without_monetary_and_custom_columns(hand):
    renamed = hand.rename(columns={"customer_id": "客户", "timestamp": "when"})
    got = ck.rfm_summary(renamed, END, "W", customer_col="客户", datetime_col="when",
                         monetary_col=None)
    assert list(got.columns) == ["frequency", "recency", "T"]
    assert got.index.name == "customer_id"
    assert got["frequency"].tolist() == [2, 0, 0]


def test_rfm_does_not_mutate_input(hand):
    before = hand.copy()
    ck.rfm_summary(hand, END)
    ck.calibration_holdout_split(hand, "2024-01-21", END)
    ck.cohort_table(hand)
    pd.testing.assert_frame_equal(hand, before)


def test_rfm_time_zone_aware_timestamps_use_wall_clock(hand):
    aware = hand.assign(timestamp=hand["timestamp"].dt.tz_localize("Asia/Shanghai"))
    pd.testing.assert_frame_equal(ck.rfm_summary(aware, END), ck.rfm_summary(hand, END))


def test_rfm_excludes_rows_after_observation_end_with_a_warning(hand):
    # after Jan 31: A's two rows on Feb 5 and C's on Feb 1
    with pytest.warns(UserWarning, match=r"excluded 3 of 9 transactions dated after "
                                         r"observation_end=2024-01-31 \(e\.g\. "
                                         r"customer_id A, C\)"):
        got = ck.rfm_summary(hand, "2024-01-31", freq="D")
    # C's first purchase (Jan 31 08:00) is on the end day itself: kept
    assert got.loc["C", "frequency"] == 0 and got.loc["C", "T"] == 0.0
    assert got.loc["A", "frequency"] == 2


def test_rfm_differs_from_lifetimes_only_on_rows_later_in_the_end_period(hand):
    # observation_end on Wednesday Jan 31: lifetimes keeps C's Thursday purchase because
    # it falls in the same week; clvkit drops it (after the end day) and warns.
    theirs = _lifetimes_rfm(hand, observation_period_end="2024-01-31", freq="W")
    with pytest.warns(UserWarning, match="excluded 3 of 9"):
        ours = ck.rfm_summary(hand, "2024-01-31", freq="W")
    _assert_same_values(ours, theirs)  # same values: C's two rows share one week anyway
    assert theirs.loc["C", "monetary_value"] == ours.loc["C", "monetary_value"] == 0.0


# --- rfm_summary: equality with lifetimes ----------------------------------------------


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return load_cdnow()


@pytest.mark.parametrize(("freq", "mult"), [("W", 1), ("D", 1), ("D", 7)])
def test_rfm_equals_lifetimes_on_full_cdnow(cdnow, freq, mult):
    theirs = _lifetimes_rfm(cdnow, freq=freq, freq_multiplier=mult)
    ours = ck.rfm_summary(cdnow, freq=freq, freq_multiplier=mult)
    assert len(ours) == 23_570
    _assert_same_values(ours, theirs)


def test_rfm_equals_lifetimes_on_demo_with_time_of_day():
    tx = make_demo(400, seed=5).transactions
    theirs = _lifetimes_rfm(tx, observation_period_end="2025-06-30", freq="W")
    _assert_same_values(ck.rfm_summary(tx, "2025-06-30", freq="W"), theirs)


def test_rfm_reproduces_the_btyd_cdnow_sample_summary():
    """lifetimes' cdnow_customers_summary_with_transactions.csv (Fader & Hardie's 39-week
    calibration summary in exact weeks, 2 decimals) from the 1/10 sample."""
    ref = read_lifetimes_csv(  # as lifetimes' load_cdnow_summary_data_with_monetary_value
        "cdnow_customers_summary_with_transactions.csv", header=0, index_col="customer_id",
        names=["customer_id", "frequency", "recency", "T", "monetary_value"])
    sample = load_cdnow(sample=True)
    # 1,959 rows after 1997-09-30 (counted in the raw file with awk)
    with pytest.warns(UserWarning, match="excluded 1,959 of 6,919"):
        ours = ck.rfm_summary(sample, "1997-09-30", freq="D", freq_multiplier=7)
    with pytest.warns(UserWarning, match="excluded 1,959 of 6,919"):
        default = ck.rfm_summary(sample, "1997-09-30")  # "W7": the same convention
    pd.testing.assert_frame_equal(default, ours, check_like=False, check_exact=False,
                                  rtol=1e-15)
    assert len(ours) == 2_357
    np.testing.assert_array_equal(ours["frequency"], ref["frequency"])
    np.testing.assert_allclose(ours["recency"].round(2), ref["recency"])
    np.testing.assert_allclose(ours["T"].round(2), ref["T"])
    np.testing.assert_allclose(ours["monetary_value"], ref["monetary_value"], atol=0.0051)


@pytest.mark.parametrize("freq", ["W7", "D", "W", "M"])
def test_rfm_is_the_same_whatever_the_row_order(freq):
    """A log sorted by customer and time takes the no-sort path; shuffled, reversed and
    text-id logs the sorted one: all give the same summary and holdout split."""
    tx = make_demo(300, seed=2).transactions
    ordered = tx.sort_values(["customer_id", "timestamp"], kind="mergesort")
    numeric = ordered.assign(customer_id=pd.factorize(ordered["customer_id"], sort=True)[0])
    expected = ck.rfm_summary(numeric, "2025-06-30", freq=freq)
    split = ck.calibration_holdout_split(numeric, "2025-01-31", "2025-06-30", freq=freq)
    for variant in (numeric.sample(frac=1.0, random_state=3), numeric.iloc[::-1],
                    numeric.assign(customer_id=numeric["customer_id"].astype(float))):
        got = ck.rfm_summary(variant, "2025-06-30", freq=freq)
        pd.testing.assert_frame_equal(got.set_axis(got.index.astype("int64")), expected,
                                      check_exact=False, rtol=1e-12)
        got = ck.calibration_holdout_split(variant, "2025-01-31", "2025-06-30", freq=freq)
        pd.testing.assert_frame_equal(got.set_axis(got.index.astype("int64")), split,
                                      check_exact=False, rtol=1e-12)
    text = ck.rfm_summary(ordered, "2025-06-30", freq=freq)
    np.testing.assert_allclose(text.to_numpy(), expected.to_numpy(), rtol=1e-12)
    assert text.index.tolist() == sorted(ordered["customer_id"].unique())


def test_rfm_counts_days_before_1970():
    tx = pd.DataFrame({"customer_id": [1, 1, 1],
                       "timestamp": pd.to_datetime(["1969-12-30 23:00", "1969-12-31 01:00",
                                                    "1970-01-01 00:30"]),
                       "amount": [1.0, 2.0, 4.0]})
    out = ck.rfm_summary(tx, "1970-01-02", freq="D")
    assert out.loc[1].tolist() == [2.0, 2.0, 3.0, 3.0]


_day = st.integers(min_value=0, max_value=120)


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(st.tuples(st.integers(0, 6), _day, st.integers(0, 23),
                               st.floats(0.5, 500.0)), min_size=1, max_size=40),
       freq=st.sampled_from(["D", "W"]))
def test_rfm_equals_lifetimes_on_random_logs(rows, freq):
    tx = pd.DataFrame({
        "customer_id": [r[0] for r in rows],
        "timestamp": pd.Timestamp("2024-03-01") + pd.to_timedelta(
            [r[1] * 24 + r[2] for r in rows], unit="h"),
        "amount": [r[3] for r in rows],
    })
    _assert_same_values(ck.rfm_summary(tx, "2024-07-01", freq=freq),
                        _lifetimes_rfm(tx, observation_period_end="2024-07-01", freq=freq))


# --- rfm_summary: errors -------------------------------------------------------------------


def test_rfm_missing_column_names_it_and_lists_the_others(hand):
    with pytest.raises(ck.DataValidationError,
                       match=r"needs a column 'amount', which the transactions table does not "
                             r"have\. Columns present: 'customer_id', 'timestamp'\.") as err:
        ck.rfm_summary(hand.drop(columns="amount"))
    assert err.value.column == "amount"


def test_rfm_empty_table(hand):
    with pytest.raises(ck.DataValidationError, match=r"empty transactions table \(0 rows\)"):
        ck.rfm_summary(hand.iloc[:0])


def test_rfm_rejects_text_timestamps(hand):
    text = hand.assign(timestamp=hand["timestamp"].dt.strftime("%Y-%m-%d"))
    with pytest.raises(ck.DataValidationError,
                       match=r"'timestamp' has dtype (object|str), expected datetime64"):
        ck.rfm_summary(text)


def test_rfm_rejects_text_amounts(hand):
    with pytest.raises(ck.DataValidationError,
                       match=r"'amount' has dtype (object|str), expected numbers"):
        ck.rfm_summary(hand.assign(amount=hand["amount"].astype(str)))


def test_rfm_rejects_missing_values(hand):
    bad = hand.copy()
    bad.loc[[0, 7], "amount"] = np.nan
    with pytest.raises(ck.DataValidationError, match=r"2 of 9 rows have a missing 'amount' "
                                                     r"\(e\.g\. customer_id A, C\)") as err:
        ck.rfm_summary(bad)
    assert err.value.n_failed == 2 and len(err.value.failure_cases) == 2
    bad = hand.assign(timestamp=hand["timestamp"].where(hand.index != 6))
    with pytest.raises(ck.DataValidationError, match="1 of 9 rows have a missing 'timestamp'"):
        ck.rfm_summary(bad)


def test_rfm_all_rows_after_observation_end(hand):
    with pytest.raises(ck.DataValidationError,
                       match=r"All 9 transactions are after observation_end=2023-12-31 \(first "
                             r"one on 2024-01-01\)"):
        ck.rfm_summary(hand, "2023-12-31")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"freq": "d"}, r"freq must be one of 'W7', 'D', 'W', 'M'; got 'd'\."),
    ({"freq_multiplier": 0}, r"freq_multiplier must be a positive number; got 0\."),
    ({"observation_end": "end of june"}, r"observation_end must be a date such as "
                                         r"'2025-06-30'; got 'end of june'\."),
])
def test_rfm_bad_parameters(hand, kwargs, message):
    with pytest.raises(ck.ParameterError, match=message):
        ck.rfm_summary(hand, **kwargs)


def test_rfm_rejects_non_dataframe():
    with pytest.raises(ck.DataValidationError,
                       match="must be a pandas DataFrame, a Spark DataFrame or the path"):
        ck.rfm_summary([1, 2, 3])


# --- calibration_holdout_split ------------------------------------------------------------


CAL_COLUMNS = ["frequency_cal", "recency_cal", "T_cal", "monetary_value_cal",
               "frequency_holdout", "monetary_value_holdout", "duration_holdout"]


def test_calibration_holdout_by_hand_daily(hand):
    got = ck.calibration_holdout_split(hand, "2024-01-21", END, freq="D")
    assert list(got.columns) == CAL_COLUMNS
    # C first bought on Jan 31, after calibration_end: excluded
    assert got.index.tolist() == ["A", "B"] and got.attrs["n_excluded_new"] == 1
    assert got.loc["A"].to_dict() == {
        "frequency_cal": 2, "recency_cal": 19.0, "T_cal": 20.0, "monetary_value_cal": 25.0,
        "frequency_holdout": 1, "monetary_value_holdout": 30.0,  # mean of the 2 rows
        "duration_holdout": 21.0}
    assert got.loc["B"].to_dict() == {
        "frequency_cal": 0, "recency_cal": 0.0, "T_cal": 11.0, "monetary_value_cal": 0.0,
        "frequency_holdout": 0, "monetary_value_holdout": 0.0, "duration_holdout": 21.0}


def test_calibration_holdout_by_hand_weekly(hand):
    got = ck.calibration_holdout_split(hand, "2024-01-21", END, freq="W")
    assert got.loc["A", ["frequency_cal", "recency_cal", "T_cal", "monetary_value_cal"]
                   ].tolist() == [1, 2.0, 2.0, 30.0]
    assert got.loc["A", "frequency_holdout"] == 1
    assert (got["duration_holdout"] == 3.0).all()
    assert got["frequency_cal"].dtype == "int64" and got["frequency_holdout"].dtype == "int64"


@pytest.mark.parametrize(("freq", "mult"), [("W", 1), ("D", 1)])
def test_calibration_holdout_equals_lifetimes_on_cdnow(cdnow, freq, mult):
    theirs = _lifetimes_cal(cdnow, "1997-09-30", "1998-06-30", freq=freq,
                            freq_multiplier=mult)
    ours = ck.calibration_holdout_split(cdnow, "1997-09-30", "1998-06-30", freq=freq,
                                        freq_multiplier=mult)
    assert len(ours) == 23_570 and ours.attrs["n_excluded_new"] == 0
    _assert_same_values(ours, theirs)


def test_calibration_holdout_equals_lifetimes_on_demo_with_whole_end_days():
    # lifetimes compares raw timestamps with midnight of calibration_end; clvkit includes
    # the whole day. With the end of day passed to lifetimes they agree.
    tx = make_demo(400, seed=5).transactions
    theirs = _lifetimes_cal(tx, "2024-12-31 23:59:59.999999999",
                            "2025-06-30 23:59:59.999999999", freq="W")
    ours = ck.calibration_holdout_split(tx, "2024-12-31", "2025-06-30", freq="W")
    _assert_same_values(ours, theirs)
    assert ours.attrs["n_excluded_new"] == tx["customer_id"].nunique() - len(ours) > 0


def test_calibration_holdout_without_monetary(hand):
    got = ck.calibration_holdout_split(hand, "2024-01-21", END, monetary_col=None)
    assert list(got.columns) == ["frequency_cal", "recency_cal", "T_cal",
                                 "frequency_holdout", "duration_holdout"]


def test_calibration_holdout_errors(hand):
    with pytest.raises(ck.ParameterError, match=r"calibration_end \(2024-02-11\) must be "
                                                r"before observation_end \(2024-02-11\)"):
        ck.calibration_holdout_split(hand, END, END)
    with pytest.raises(ck.DataValidationError, match=r"No transaction falls in the holdout "
                                                     r"period \(data from 2024-01-01 to "
                                                     r"2024-01-20"):
        ck.calibration_holdout_split(hand[hand["timestamp"] < "2024-01-21"], "2024-01-20",
                                     "2024-01-31")
    with pytest.raises(ck.DataValidationError, match="No transaction falls in the calibration"):
        ck.calibration_holdout_split(hand, "2023-06-30", END)
    with pytest.raises(ck.ParameterError, match="calibration_end must be a date"):
        ck.calibration_holdout_split(hand, None, END)
    with pytest.warns(UserWarning, match="excluded 2 of 9 transactions dated after "
                                         "observation_end=2024-02-04"):
        ck.calibration_holdout_split(hand, "2024-01-21", "2024-02-04")


# --- cohort_table -------------------------------------------------------------------------


def test_cohort_table_by_hand(hand):
    got = ck.cohort_table(hand)
    assert list(got.columns) == ["first_purchase", "last_purchase", "cohort", "n_transactions"]
    assert got.index.name == "customer_id" and got.index.tolist() == ["A", "B", "C"]
    assert got["cohort"].astype(str).tolist() == ["2024-01", "2024-01", "2024-01"]
    assert got["n_transactions"].tolist() == [6, 1, 2]
    assert got.loc["A", "first_purchase"] == pd.Timestamp("2024-01-01 09:00")
    assert got.loc["A", "last_purchase"] == pd.Timestamp("2024-02-05 18:00")
    weekly = ck.cohort_table(hand, freq="W")["cohort"]
    assert weekly.dt.start_time.dt.strftime("%m-%d").tolist() == ["01-01", "01-08", "01-29"]
    assert ck.cohort_table(hand, freq="Q")["cohort"].astype(str).unique().tolist() == ["2024Q1"]


def test_cohort_sizes_on_demo_match_first_purchases():
    tx = make_demo(300, seed=2).transactions
    sizes = ck.cohort_table(tx)["cohort"].value_counts().sort_index()
    assert sizes.sum() == 300
    first = tx.groupby("customer_id")["timestamp"].min().dt.to_period("M")
    assert sizes.equals(first.value_counts().sort_index())
    assert sizes.index.min() < pd.Period("2023-04", "M")


def test_cohort_table_errors(hand):
    with pytest.raises(ck.ParameterError, match=r"freq must be one of 'W', 'M', 'Q', 'Y'; "
                                                r"got 'D'"):
        ck.cohort_table(hand, freq="D")
    with pytest.raises(ck.DataValidationError, match="cohort_table\\(\\) needs a column "
                                                     "'timestamp'"):
        ck.cohort_table(hand.drop(columns="timestamp"))


def test_default_summary_reproduces_the_published_cdnow_parameters():
    """Fader, Hardie & Lee (2005): BG/NBD r=0.243, alpha=4.414, a=0.793, b=2.426; Fader &
    Hardie (2013) Gamma-Gamma p=6.25, q=3.74, v=15.44 - from rfm_summary's defaults."""
    with pytest.warns(UserWarning, match="excluded 1,959 of 6,919"):
        summary = ck.rfm_summary(load_cdnow(sample=True), "1997-09-30")
    bgnbd = ck.models.fit_bgnbd(summary).params
    assert {k: round(float(v), 3) for k, v in dict(bgnbd).items()} == {
        "r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    gg = ck.models.fit_gamma_gamma(summary).params
    assert {k: round(float(v), 2) for k, v in dict(gg).items()} == {
        "p": 6.25, "q": 3.74, "v": 15.44}
