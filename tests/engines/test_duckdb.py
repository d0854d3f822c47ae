"""pandas = DuckDB for the summaries, on CDNOW and a generated log; files; auto; errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit import engines
from clvkit.datasets import load_cdnow

FREQS = [("W7", 1), ("D", 1), ("W", 1), ("M", 1), ("D", 7)]


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return load_cdnow()


@pytest.mark.parametrize(("freq", "mult"), FREQS)
def test_rfm_duckdb_equals_pandas_on_cdnow(cdnow, freq, mult, assert_same):
    ours = ck.rfm_summary(cdnow, freq=freq, freq_multiplier=mult, engine="duckdb")
    assert len(ours) == 23_570
    assert_same(ours, ck.rfm_summary(cdnow, freq=freq, freq_multiplier=mult, engine="pandas"))


@pytest.mark.parametrize(("freq", "mult"), FREQS)
def test_split_duckdb_equals_pandas_on_cdnow(cdnow, freq, mult, assert_same):
    args = (cdnow, "1997-09-30", "1998-06-30", freq)
    ours = ck.calibration_holdout_split(*args, freq_multiplier=mult, engine="duckdb")
    assert_same(ours, ck.calibration_holdout_split(*args, freq_multiplier=mult))


@pytest.mark.parametrize(("freq", "mult"), FREQS)
def test_duckdb_equals_pandas_on_generated_log(log, freq, mult, assert_same):
    end = "2023-12-31"  # the log runs into 2024: later rows are excluded with a warning
    with pytest.warns(UserWarning, match="excluded .* transactions dated after"):
        ours = ck.rfm_summary(log, end, freq, freq_multiplier=mult, engine="duckdb")
    with pytest.warns(UserWarning, match="excluded .* transactions dated after"):
        theirs = ck.rfm_summary(log, end, freq, freq_multiplier=mult)
    assert_same(ours, theirs)
    # the shapes the log is made of are all there
    assert (ours["frequency"] == 0).sum() > 50 and ours["frequency"].max() > 20
    split = ("2022-12-31", "2023-12-31", freq)
    with pytest.warns(UserWarning):
        a = ck.calibration_holdout_split(log, *split, freq_multiplier=mult, engine="duckdb")
    with pytest.warns(UserWarning):
        b = ck.calibration_holdout_split(log, *split, freq_multiplier=mult)
    assert_same(a, b)
    assert a.attrs["n_excluded_new"] > 0


def test_same_day_repeats_are_one_purchase_on_every_engine():
    tx = pd.DataFrame({"customer_id": ["a", "a", "a", "b"],
                       "timestamp": pd.to_datetime(["2024-01-01 08:00", "2024-01-01 20:00",
                                                    "2024-01-08 09:00", "2024-01-03 12:00"]),
                       "amount": [10.0, 5.0, 20.0, 7.0]})
    for engine in ("pandas", "duckdb"):
        got = ck.rfm_summary(tx, "2024-01-15", engine=engine)
        assert got.loc["a"].tolist() == [1, 1.0, 2.0, 20.0]  # Jan 1 (15) then Jan 8 (20)
        assert got.loc["b", "frequency"] == 0 and got.loc["b", "monetary_value"] == 0.0


@pytest.mark.parametrize("freq", ["W", "M", "Q", "Y"])
def test_cohorts_duckdb_equals_pandas(log, freq):
    pd.testing.assert_frame_equal(ck.cohort_table(log, freq, engine="duckdb"),
                                  ck.cohort_table(log, freq))


def test_files_parquet_and_csv(log, tmp_path, assert_same):
    parquet, csv = tmp_path / "tx.parquet", tmp_path / "tx.csv"
    log.to_parquet(parquet)
    log.to_csv(csv, index=False)
    expected = ck.rfm_summary(log, "2024-12-31", engine="pandas")
    for path in (parquet, csv, str(parquet)):
        for engine in ("duckdb", "pandas", "auto"):
            assert_same(ck.rfm_summary(path, "2024-12-31", engine=engine), expected)
    folder = tmp_path / "parts"
    folder.mkdir()
    log.iloc[:1000].to_parquet(folder / "a.parquet")
    log.iloc[1000:].to_parquet(folder / "b.parquet")
    assert_same(ck.rfm_summary(folder, "2024-12-31", engine="duckdb"), expected)


def test_auto_picks_by_input_and_size(log, tmp_path, monkeypatch):
    path = tmp_path / "tx.parquet"
    log.to_parquet(path)
    assert engines.choose_engine(log) == "pandas"
    assert engines.choose_engine(path) == "pandas"  # small file
    monkeypatch.setenv("CLVKIT_DUCKDB_MIN_BYTES", "1000")
    assert engines.choose_engine(path) == "duckdb"
    assert engines.choose_engine(path, "spark") == "spark"  # only when asked
    assert engines.source_bytes(tmp_path) == path.stat().st_size


def test_duckdb_memory_limit_and_spill_folder(log):
    from clvkit.engines._duckdb import DuckDBEngine

    with DuckDBEngine(log, engines.Columns("customer_id", "timestamp", "amount"),
                      memory_limit="256MB", threads=1) as eng:
        limit = eng.con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
        temp = eng.con.execute("SELECT current_setting('temp_directory')").fetchone()[0]
        assert limit.replace(" ", "") in ("256.0MiB", "244.1MiB", "256MB")
        assert "clvkit-duckdb-" in temp
    import os

    assert not os.path.exists(temp)  # the spill folder is removed on close


def test_time_zone_aware_frames_use_wall_clock_on_duckdb(log, assert_same):
    aware = log.assign(timestamp=log["timestamp"].dt.tz_localize("Asia/Shanghai"))
    assert_same(ck.rfm_summary(aware, "2024-12-31", engine="duckdb"),
                ck.rfm_summary(log, "2024-12-31"))


# --- errors ---------------------------------------------------------------------------------


def test_unknown_engine():
    with pytest.raises(ck.ParameterError, match=r"engine must be one of 'auto', 'pandas', "
                                                r"'duckdb', 'spark'; got 'polars'"):
        ck.rfm_summary(pd.DataFrame(), engine="polars")


def test_missing_file(tmp_path):
    with pytest.raises(ck.DataValidationError, match=r"transactions file not found: .*nope"
                                                     r"\.parquet\. Check the path"):
        ck.rfm_summary(tmp_path / "nope.parquet", engine="duckdb")


def test_sql_engine_errors_match_the_pandas_ones(log, tmp_path):
    with pytest.raises(ck.DataValidationError, match=r"needs a column 'amount', which the "
                                                     r"transactions table does not have\. "
                                                     r"Columns present: 'customer_id', "
                                                     r"'timestamp'"):
        ck.rfm_summary(log.drop(columns="amount"), engine="duckdb")
    with pytest.raises(ck.DataValidationError, match=r"Column 'timestamp' has type VARCHAR, "
                                                     r"expected a timestamp or date"):
        ck.rfm_summary(log.assign(timestamp=log["timestamp"].astype(str)), engine="duckdb")
    with pytest.raises(ck.DataValidationError, match=r"Column 'amount' has type VARCHAR, "
                                                     r"expected numbers"):
        ck.rfm_summary(log.assign(amount=log["amount"].astype(str)), engine="duckdb")
    with pytest.raises(ck.DataValidationError, match=r"empty transactions table \(0 rows\)"):
        ck.rfm_summary(log.iloc[:0], engine="duckdb")
    bad = log.copy()
    bad.loc[[3, 8], "amount"] = np.nan
    with pytest.raises(ck.DataValidationError, match=r"2 of [\d,]+ rows have a missing "
                                                     r"'amount' \(e\.g\. customer_id c\d+"):
        ck.rfm_summary(bad, engine="duckdb")
    bad = log.astype({"customer_id": object})
    bad.loc[5, "customer_id"] = None
    with pytest.raises(ck.DataValidationError, match=r"1 of [\d,]+ rows have a missing "
                                                     r"'customer_id'\. Drop or fix them"):
        ck.rfm_summary(bad, engine="duckdb")
    with pytest.raises(ck.DataValidationError, match=r"All [\d,]+ transactions are after "
                                                     r"observation_end=2020-01-01"):
        ck.rfm_summary(log, "2020-01-01", engine="duckdb")


def test_split_errors_on_duckdb(log):
    with pytest.raises(ck.ParameterError, match=r"calibration_end \(2024-12-31\) must be "
                                                r"before observation_end"):
        ck.calibration_holdout_split(log, "2024-12-31", "2024-12-31", engine="duckdb")
    with pytest.raises(ck.DataValidationError, match="No transaction falls in the "
                                                     "calibration period"):
        ck.calibration_holdout_split(log, "2020-06-30", "2024-12-31", engine="duckdb")
    with pytest.raises(ck.DataValidationError, match="No transaction falls in the "
                                                     "holdout period"):
        ck.calibration_holdout_split(log, "2024-12-30", "2024-12-31", engine="duckdb")


def test_non_path_input():
    with pytest.raises(ck.DataValidationError, match="must be a pandas DataFrame, a Spark "
                                                     "DataFrame or the path of a Parquet/CSV "
                                                     "file; got int"):
        ck.rfm_summary(42, engine="duckdb")


def test_parquet_footers_replace_the_checking_scan(log, tmp_path):
    """Row counts and first/last day from Parquet statistics equal the scan's; a file
    with a missing value (or an earlier observation end) falls back to the scan."""
    from clvkit.engines._duckdb import DuckDBEngine
    from clvkit.engines._sql import DUCKDB, stats_sql

    path = tmp_path / "tx.parquet"
    log.to_parquet(path, row_group_size=500)
    cols = engines.Columns("customer_id", "timestamp", "amount")
    with DuckDBEngine(path, cols) as eng:
        quick = eng.file_stats(None)
        scanned = eng.df(stats_sql(DUCKDB, eng.source, cols, None)).iloc[0].to_dict()
        assert quick == {k: int(v) for k, v in scanned.items()}
        assert eng.file_stats(quick["last_day"]) == quick
        assert eng.file_stats(quick["last_day"] - 1) is None
    holed = log.assign(amount=log["amount"].where(log.index != 3))
    holed.to_parquet(path, row_group_size=500)
    with DuckDBEngine(path, cols) as eng:
        assert eng.file_stats(None) is None
    with pytest.raises(ck.DataValidationError, match=r"1 of [\d,]+ rows have a missing 'amount'"):
        ck.rfm_summary(path, engine="duckdb")


def test_default_memory_limit_is_6gb_or_half_the_memory(monkeypatch):
    from clvkit.engines import _duckdb

    assert _duckdb.DEFAULT_MEMORY_LIMIT == "6GB"
    pages = {"SC_PAGE_SIZE": 1000, "SC_PHYS_PAGES": 8 * 1000**2}  # an 8 GB machine
    monkeypatch.setattr(_duckdb.os, "sysconf", lambda name: pages[name])
    assert _duckdb.default_memory_limit() == "4000MB"
    pages["SC_PHYS_PAGES"] = 32 * 1000**2
    assert _duckdb.default_memory_limit() == "6GB"
