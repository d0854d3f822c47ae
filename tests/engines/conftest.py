"""Fixtures of the engine tests: a generated transaction log and one SparkSession."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def make_log(n_customers: int = 400, seed: int = 7) -> pd.DataFrame:
    """A small log with the awkward shapes of real data.

    Acquisition over three years, timestamps with a time of day, one-purchase customers
    (~30%), heavy buyers (~5% with 40-120 rows), same-day repeats (~10% of repeat rows
    copy the previous row's day), string ids; rows are shuffled.
    """
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2021-01-01")
    first = rng.integers(0, 3 * 365, n_customers)
    kind = rng.random(n_customers)
    n_tx = np.where(kind < 0.3, 1, np.where(kind < 0.95, rng.integers(2, 12, n_customers),
                                            rng.integers(40, 120, n_customers)))
    rows = []
    for i in range(n_customers):
        days = [first[i]]
        for _ in range(n_tx[i] - 1):
            same_day = rng.random() < 0.1
            days.append(days[-1] if same_day else days[-1] + int(rng.integers(1, 40)))
        spend = rng.lognormal(3.0, 0.5)
        for d in days:
            rows.append((f"c{i:05d}", start + pd.Timedelta(days=int(d), hours=float(
                rng.uniform(0, 24))), round(spend * rng.lognormal(0, 0.3), 2)))
    log = pd.DataFrame(rows, columns=["customer_id", "timestamp", "amount"])
    log = log[log["timestamp"] < start + pd.Timedelta(days=4 * 365)]
    return log.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def _assert_same(ours: pd.DataFrame, theirs: pd.DataFrame) -> None:
    """Same index, columns, dtypes and attrs; values to 1e-9."""
    pd.testing.assert_frame_equal(ours, theirs, check_exact=False, rtol=1e-9, atol=1e-9)
    assert ours.attrs == theirs.attrs


@pytest.fixture(scope="session")
def assert_same():
    """The engine-equality check: same frame to 1e-9 and the same attrs."""
    return _assert_same


@pytest.fixture(scope="session")
def log() -> pd.DataFrame:
    return make_log()


#: PySpark 4.3 (the newest release) does not support pandas 3 yet: it says so with a
#: FutureWarning and passes pandas 3's deprecated ``copy=`` keyword inside toPandas.
#: Every test that uses Spark compares its results with the pandas engine, so these two
#: warnings (not ours to fix) are ignored in those tests only; the rest stay errors.
SPARK_WARNINGS = ("ignore:PySpark does not yet fully support pandas:FutureWarning",
                  "ignore:The copy keyword is deprecated:DeprecationWarning")


def pytest_collection_modifyitems(items):
    for item in items:
        if "spark" in getattr(item, "fixturenames", ()):
            for spec in SPARK_WARNINGS:
                item.add_marker(pytest.mark.filterwarnings(spec))


@pytest.fixture(scope="session")
def spark():
    """One local SparkSession for the whole test session (Java 17 required)."""
    pytest.importorskip("pyspark")
    from clvkit.engines._spark import spark_session

    session = spark_session("local[2]")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
