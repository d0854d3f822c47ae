"""Engines for the heavy relational steps: pandas, DuckDB and Spark.

The per-customer RFM summary, the calibration/holdout split and the cohort table are
defined once (:mod:`clvkit.summary` in pandas, :mod:`clvkit.engines._sql` in SQL that
DuckDB and Spark SQL both run) and give the same numbers on every engine (tested to
1e-9 on CDNOW and a generated log). Pick one with ``engine=``:

``"pandas"``
    in memory; the default for pandas frames and small files.
``"duckdb"``
    embedded and out of core: reads Parquet/CSV files directly with a memory limit
    (``CLVKIT_DUCKDB_MEMORY_LIMIT``, default 6GB) and spills to a temporary folder;
    the ``"auto"`` choice for files of at least :data:`AUTO_DUCKDB_BYTES` bytes.
``"spark"``
    PySpark, only when asked or when given a Spark DataFrame; ``spark.master`` from
    ``CLVKIT_SPARK_MASTER`` (default ``local[2]``) unless a session is active.

Examples
--------
>>> import clvkit as ck                                              # doctest: +SKIP
>>> ck.rfm_summary("orders.parquet", engine="duckdb")                # doctest: +SKIP
>>> ck.rfm_summary(spark.table("sales.orders"), engine="spark")      # doctest: +SKIP
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

from clvkit.exceptions import DataValidationError, ParameterError

from ._spark import is_spark_frame
from ._sql import Columns

__all__ = ["AUTO_DUCKDB_BYTES", "ENGINES", "Columns", "choose_engine", "open_engine",
           "read_frame", "source_bytes"]

ENGINES = ("auto", "pandas", "duckdb", "spark")
#: Files at least this large (bytes, summed over a folder) go to DuckDB under "auto";
#: override with the environment variable CLVKIT_DUCKDB_MIN_BYTES.
AUTO_DUCKDB_BYTES = 64 * 1024**2


def source_bytes(path: str | os.PathLike[str]) -> int:
    """Size of a file, or the summed size of the files in a folder."""
    p = Path(path)
    if p.is_dir():
        return sum(f.stat().st_size for f in p.rglob("*") if f.is_file())
    return p.stat().st_size


def _check_path(data: Any) -> Path:
    if not isinstance(data, (str, os.PathLike)):
        msg = (f"transactions must be a pandas DataFrame, a Spark DataFrame or the path of a "
               f"Parquet/CSV file; got {type(data).__name__}.")
        raise DataValidationError(msg)
    p = Path(data)
    if not p.exists() and not any(ch in str(p) for ch in "*?["):
        msg = f"transactions file not found: {p}. Check the path (or --data)."
        raise DataValidationError(msg)
    return p


def choose_engine(data: Any, engine: str = "auto") -> str:
    """Resolve ``engine="auto"``: Spark frames -> spark, frames -> pandas, files by size."""
    if engine not in ENGINES:
        msg = f"engine must be one of {', '.join(map(repr, ENGINES))}; got {engine!r}."
        raise ParameterError(msg)
    if is_spark_frame(data):
        if engine not in ("auto", "spark"):
            msg = (f"engine={engine!r} cannot read a Spark DataFrame; use engine='spark' or "
                   f"convert it with .toPandas() first.")
            raise ParameterError(msg)
        return "spark"
    if engine != "auto":
        return engine
    if isinstance(data, pd.DataFrame):
        return "pandas"
    p = _check_path(data)
    limit = int(os.environ.get("CLVKIT_DUCKDB_MIN_BYTES", AUTO_DUCKDB_BYTES))
    return "duckdb" if not p.exists() or source_bytes(p) >= limit else "pandas"


def read_frame(data: Any, cols: Columns) -> pd.DataFrame:
    """The pandas engine's input: the frame itself, or the needed columns of a file."""
    if isinstance(data, pd.DataFrame):
        return data
    p = _check_path(data)
    if str(p).lower().endswith((".csv", ".csv.gz", ".txt")):
        frame = pd.read_csv(p)
        if cols.timestamp in frame.columns:
            frame[cols.timestamp] = pd.to_datetime(frame[cols.timestamp])
        return frame
    import pyarrow.parquet as pq

    names = pq.read_schema(next(p.rglob("*.parquet")) if p.is_dir() else p).names
    wanted = [c for c in (cols.customer, cols.timestamp, cols.amount) if c in names]
    return pd.read_parquet(p, columns=wanted or None)


def _wall_clock(data: Any, cols: Columns) -> Any:
    """A frame whose time-zone-aware timestamps are made naive wall-clock times (no copy
    of the other columns), as the pandas engine reads them."""
    if not isinstance(data, pd.DataFrame) or cols.timestamp not in data.columns:
        return data
    ts = data[cols.timestamp]
    if not isinstance(ts.dtype, pd.DatetimeTZDtype):
        return data
    return data.assign(**{cols.timestamp: ts.dt.tz_localize(None)})


def open_engine(data: Any, cols: Columns, engine: str, **options: Any) -> Any:
    """Open a SQL engine ("duckdb" or "spark") on ``data``; close it after use."""
    data = _wall_clock(data, cols)
    if engine == "duckdb":
        from ._duckdb import DuckDBEngine

        if not isinstance(data, pd.DataFrame):
            _check_path(data)
        return DuckDBEngine(data, cols, **options)
    if engine == "spark":
        from ._spark import SparkEngine

        if not isinstance(data, pd.DataFrame) and not is_spark_frame(data):
            _check_path(data)
        return SparkEngine(data, cols, **options)
    msg = f"open_engine() runs 'duckdb' or 'spark'; got {engine!r}."
    raise ParameterError(msg)
