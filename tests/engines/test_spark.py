"""pandas = Spark (local mode, real PySpark) for the summaries and ``clvkit score``."""

from __future__ import annotations

import pandas as pd
import pytest

import clvkit as ck
from clvkit.datasets import load_cdnow

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return load_cdnow()


@pytest.mark.parametrize("freq", ["W7", "W", "M"])
def test_rfm_spark_equals_pandas_on_cdnow(spark, cdnow, freq, assert_same):
    assert_same(ck.rfm_summary(cdnow, freq=freq, engine="spark"),
                ck.rfm_summary(cdnow, freq=freq))


def test_split_and_cohorts_spark_equal_pandas_on_cdnow(spark, cdnow, assert_same):
    args = (cdnow, "1997-09-30", "1998-06-30")
    assert_same(ck.calibration_holdout_split(*args, engine="spark"),
                ck.calibration_holdout_split(*args))
    pd.testing.assert_frame_equal(ck.cohort_table(cdnow, "Q", engine="spark"),
                                  ck.cohort_table(cdnow, "Q"))


@pytest.mark.parametrize(("freq", "mult"), [("W7", 1), ("D", 7), ("W", 1)])
def test_spark_equals_pandas_on_generated_log(spark, log, freq, mult, assert_same):
    with pytest.warns(UserWarning, match="excluded .* transactions dated after"):
        ours = ck.rfm_summary(log, "2023-12-31", freq, freq_multiplier=mult, engine="spark")
    with pytest.warns(UserWarning, match="excluded .* transactions dated after"):
        theirs = ck.rfm_summary(log, "2023-12-31", freq, freq_multiplier=mult)
    assert_same(ours, theirs)
    split = ("2022-12-31", "2023-12-31", freq)
    with pytest.warns(UserWarning):
        a = ck.calibration_holdout_split(log, *split, freq_multiplier=mult, engine="spark")
    with pytest.warns(UserWarning):
        b = ck.calibration_holdout_split(log, *split, freq_multiplier=mult)
    assert_same(a, b)


def test_spark_reads_frames_and_files(spark, log, tmp_path, assert_same):
    expected = ck.rfm_summary(log, "2024-12-31")
    frame = spark.createDataFrame(log.assign(timestamp=log["timestamp"].dt.floor("us")))
    assert_same(ck.rfm_summary(frame, "2024-12-31"), expected)  # auto: Spark frame -> spark
    path = tmp_path / "tx.parquet"
    log.to_parquet(path, coerce_timestamps="us", allow_truncated_timestamps=True)
    assert_same(ck.rfm_summary(path, "2024-12-31", engine="spark"), expected)
    with pytest.raises(ck.ParameterError, match=r"engine='duckdb' cannot read a Spark "
                                                r"DataFrame; use engine='spark'"):
        ck.rfm_summary(frame, engine="duckdb")


def test_spark_explains_nanosecond_parquet(spark, log, tmp_path):
    path = tmp_path / "ns.parquet"
    log.to_parquet(path)  # pandas keeps nanoseconds
    with pytest.raises(ck.DataValidationError, match=r"timestamps are stored in nanoseconds, "
                                                     r"which Spark does not support"):
        ck.rfm_summary(path, engine="spark")


def test_spark_errors_match_the_pandas_ones(spark, log):
    with pytest.raises(ck.DataValidationError, match=r"Column 'amount' has type string, "
                                                     r"expected numbers"):
        ck.rfm_summary(log.assign(amount=log["amount"].astype(str)), engine="spark")
