"""Holdout validation of the BTYD models: metrics, tracking curve, conditional expectations.

(Named test_holdout.py rather than test_validation.py so it does not collide with
tests/test_validation.py, the data-validation tests, under pytest's default import mode.)
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from clvkit.datasets import load_cdnow
from clvkit.exceptions import DataValidationError, ParameterError
from clvkit.models import (
    calibration_summary,
    compare_models,
    conditional_expectation_table,
    fit_bgnbd,
    holdout_metrics,
    holdout_predictions,
    tracking_curve,
    validation_split,
)

CAL_END, OBS_END = "1997-09-30", "1998-06-30"


@pytest.fixture(scope="module")
def transactions() -> pd.DataFrame:
    return load_cdnow(sample=True)


@pytest.fixture(scope="module")
def split(transactions: pd.DataFrame) -> pd.DataFrame:
    """39 + 39 weeks of the CDNOW sample, as in Fader, Hardie & Lee (2005)."""
    try:
        from clvkit.summary import calibration_holdout_split
    except ImportError:  # the summary module is written by another helper; until it lands
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from lifetimes.utils import calibration_and_holdout_data
            return calibration_and_holdout_data(
                transactions, "customer_id", "timestamp", calibration_period_end=CAL_END,
                observation_period_end=OBS_END, freq="W", monetary_value_col="amount")
    return calibration_holdout_split(transactions, CAL_END, OBS_END, freq="W")


@pytest.fixture(scope="module")
def model(split: pd.DataFrame):
    return fit_bgnbd(calibration_summary(split))


def test_holdout_metrics_on_a_hand_made_case() -> None:
    preds = pd.DataFrame({"actual": [0, 1, 2, 3], "predicted": [0.5, 1.0, 2.0, 5.0]})
    m = holdout_metrics(preds)
    # errors 0.5, 0, 0, 2
    assert m["n_customers"] == 4
    assert m["mae"] == pytest.approx(2.5 / 4)
    assert m["rmse"] == pytest.approx(np.sqrt(4.25 / 4))
    # deviations (-1.5,-0.5,0.5,1.5) and (-1.625,-1.125,-0.125,2.875):
    # 7.25 / sqrt(5 * 12.1875)
    assert m["correlation"] == pytest.approx(7.25 / np.sqrt(5 * 12.1875))
    assert (m["total_actual"], m["total_predicted"]) == (6.0, 8.5)
    assert m["total_error_pct"] == pytest.approx(2.5 / 6)


def test_holdout_metrics_edge_cases() -> None:
    flat = holdout_metrics(pd.DataFrame({"actual": [0, 0], "predicted": [0.1, 0.3]}))
    assert np.isnan(flat["correlation"]) and np.isnan(flat["total_error_pct"])
    with pytest.raises(DataValidationError, match=r"holdout_metrics\(\): the predictions table "
                                                  r"has no column\(s\) 'predicted'"):
        holdout_metrics(pd.DataFrame({"actual": [1]}))
    with pytest.raises(DataValidationError, match=r"no customers"):
        holdout_metrics(pd.DataFrame({"actual": [], "predicted": []}))


def test_conditional_expectation_table_by_hand() -> None:
    preds = pd.DataFrame({
        "frequency_cal": [0, 0, 1, 3, 5],
        "actual": [0.0, 1.0, 2.0, 4.0, 6.0],
        "predicted": [0.2, 0.4, 1.0, 3.0, 7.0],
    })
    table = conditional_expectation_table(preds, max_frequency=3)
    assert table.index.tolist() == ["0", "1", "3+"]
    assert table["n_customers"].tolist() == [2, 1, 2]
    assert table["actual"].tolist() == [0.5, 2.0, 5.0]
    assert table["predicted"].tolist() == pytest.approx([0.3, 1.0, 5.0])
    with pytest.raises(ParameterError, match=r"max_frequency must be a whole number >= 1; got 0"):
        conditional_expectation_table(preds, max_frequency=0)


def test_holdout_on_cdnow(model, split) -> None:
    preds = holdout_predictions(model, split)
    assert preds.index.equals(split.index)
    assert list(preds.columns) == ["frequency_cal", "actual", "predicted", "error"]
    assert (preds["predicted"] >= 0).all()
    m = holdout_metrics(preds)
    assert m["n_customers"] == 2357
    assert m["total_actual"] == split["frequency_holdout"].sum()
    # BG/NBD tracks the CDNOW holdout closely in aggregate (FHL 2005, Figure 3)
    assert abs(m["total_error_pct"]) < 0.15
    assert m["correlation"] > 0.5
    table = conditional_expectation_table(preds)
    assert table.index.tolist() == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert table["n_customers"].sum() == 2357
    weighted = (table["actual"] * table["n_customers"]).sum()
    assert weighted == pytest.approx(m["total_actual"])
    # the more customers bought before, the more they buy later, in data and model alike
    assert table["predicted"].is_monotonic_increasing


def test_tracking_curve_by_hand(model) -> None:
    # Weeks (W-SUN): A buys twice in week 0 (counts once) and again in week 2; B first
    # buys in week 1 and again in week 1 (same week: not a repeat); C starts after the
    # calibration end and is left out.
    tx = pd.DataFrame({
        "customer_id": ["A", "A", "A", "B", "B", "C", "C"],
        "timestamp": pd.to_datetime(["2024-01-01", "2024-01-03", "2024-01-17", "2024-01-08",
                                     "2024-01-09", "2024-01-22", "2024-01-29"]),
    })
    curve = tracking_curve(model, tx, calibration_end="2024-01-14", observation_end="2024-02-04")
    assert curve.index.strftime("%Y-%m-%d").tolist() == [
        "2024-01-07", "2024-01-14", "2024-01-21", "2024-01-28", "2024-02-04"]
    assert curve["actual"].tolist() == [0, 0, 1, 1, 1]
    assert curve["holdout"].tolist() == [False, False, True, True, True]
    ex = model.expected_purchases(np.arange(5.0))
    expected = [0.0, ex[1], ex[2] + ex[1], ex[3] + ex[2], ex[4] + ex[3]]
    np.testing.assert_allclose(curve["predicted"], expected)


def test_tracking_curve_counts_the_whole_last_day(model) -> None:
    # observation_end is a day: a repeat purchase that afternoon is in the data
    tx = pd.DataFrame({
        "customer_id": ["A", "A", "A"],
        "timestamp": pd.to_datetime(["2024-01-01 00:00", "2024-01-17 00:00", "2024-02-04 14:30"]),
    })
    curve = tracking_curve(model, tx, calibration_end="2024-01-14", observation_end="2024-02-04")
    assert curve["actual"].tolist() == [0, 0, 1, 1, 2]


def test_tracking_curve_on_cdnow(model, transactions, split) -> None:
    curve = tracking_curve(model, transactions, calibration_end=CAL_END, observation_end=OBS_END)
    assert curve["actual"].is_monotonic_increasing and curve["predicted"].is_monotonic_increasing
    holdout = curve[curve["holdout"]]
    gained = holdout["actual"].iloc[-1] - curve.loc[~curve["holdout"], "actual"].iloc[-1]
    assert gained <= split["frequency_holdout"].sum() + 1e-9  # week-boundary overlap only
    assert curve["predicted"].iloc[-1] == pytest.approx(curve["actual"].iloc[-1], rel=0.1)


def test_tracking_curve_errors(model) -> None:
    tx = pd.DataFrame({"customer_id": [1], "when": pd.to_datetime(["2024-01-01"])})
    with pytest.raises(DataValidationError,
                       match=r"tracking_curve\(\): the transactions table has no column\(s\) "
                             r"'timestamp'; it has 'customer_id', 'when'"):
        tracking_curve(model, tx, calibration_end="2024-02-01")
    tx = tx.rename(columns={"when": "timestamp"})
    with pytest.raises(DataValidationError, match=r"No customer made a first purchase on or "
                                                  r"before calibration_end=2023-12-01"):
        tracking_curve(model, tx, calibration_end="2023-12-01")


def test_compare_models_names_the_best(split) -> None:
    table = compare_models(split)
    assert table.index.tolist() == ["BG/NBD", "Pareto/NBD", "MBG/NBD"]
    best = table["rmse"].astype(float).idxmin()
    assert table.attrs == {"best": best, "metric": "rmse"}
    assert table["best"].tolist() == [name == best for name in table.index]
    assert (table["log_likelihood"] < 0).all()
    by_total = compare_models(split, ["bgnbd", "mbgnbd"], metric="total_error_pct")
    assert by_total.attrs["best"] == by_total["total_error_pct"].abs().idxmin()


def test_compare_models_errors(split) -> None:
    with pytest.raises(ParameterError, match=r"Unknown model 'bg'; choose from 'bgnbd', "
                                             r"'paretonbd', 'mbgnbd'"):
        compare_models(split, ["bg"])
    with pytest.raises(ParameterError, match=r"metric must be one of 'rmse', 'mae', "
                                             r"'total_error_pct'; got 'r2'"):
        compare_models(split, metric="r2")
    with pytest.raises(DataValidationError,
                       match=r"calibration/holdout table has no column\(s\) 'T_cal'"):
        calibration_summary(split.drop(columns="T_cal"))


def test_validation_split_defaults_to_a_holdout_before_the_end(transactions, split) -> None:
    auto = validation_split(transactions, observation_end=OBS_END, holdout_weeks=39)
    assert auto.attrs["calibration_end"] == pd.Timestamp(OBS_END) - pd.Timedelta(weeks=39)
    explicit = validation_split(transactions, calibration_end=CAL_END, observation_end=OBS_END,
                                freq="W")
    pd.testing.assert_frame_equal(explicit, split, check_dtype=False)
    # the default resolution is rfm_summary's (days counted in weeks of 7 days), the
    # one the scoring run fits its models on
    from clvkit.summary import calibration_holdout_split

    default = validation_split(transactions, calibration_end=CAL_END, observation_end=OBS_END)
    pd.testing.assert_frame_equal(
        default, calibration_holdout_split(transactions, CAL_END, OBS_END, freq="W7"),
        check_dtype=False, check_like=True)
    assert (default["frequency_cal"] >= split["frequency_cal"]).all()
    with pytest.raises(ParameterError, match=r"holdout_weeks must be a whole number of weeks "
                                             r">= 1; got 0"):
        validation_split(transactions, holdout_weeks=0)
