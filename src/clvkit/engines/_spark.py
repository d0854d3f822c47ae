"""Spark engine: the same summary SQL on Spark SQL (local mode or a cluster).

The session is the active one when there is one (e.g. on Databricks or under
``spark-submit``); otherwise clvkit starts one with ``spark.master`` from the
environment variable ``CLVKIT_SPARK_MASTER`` (default ``local[2]``), the session time
zone UTC (timestamps are read as wall-clock times, as the pandas engine does) and
Arrow transfers. Nothing here distributes work by hand: Spark does.
"""

from __future__ import annotations

import itertools
import os
import sys
from typing import Any

import pandas as pd

from ._sql import SPARK, Columns

__all__ = ["DEFAULT_MASTER", "SparkEngine", "spark_session"]

DEFAULT_MASTER = "local[2]"
_view_ids = itertools.count()


def spark_session(master: str | None = None) -> Any:
    """Return the active SparkSession, or start one (``master`` > env > ``local[2]``)."""
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None and master is None:
        return active
    master = master or os.environ.get("CLVKIT_SPARK_MASTER") or DEFAULT_MASTER
    if master.startswith("local") and "PYSPARK_PYTHON" not in os.environ:
        # local workers run this interpreter (with pandas and clvkit), not `python3` on PATH
        os.environ["PYSPARK_PYTHON"] = sys.executable
    return (SparkSession.builder.master(master).appName("clvkit")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .config("spark.sql.shuffle.partitions", os.environ.get(
                "CLVKIT_SPARK_SHUFFLE_PARTITIONS", "8"))
            .config("spark.ui.enabled", "false")
            .getOrCreate())


def is_spark_frame(data: Any) -> bool:
    """True for a pyspark DataFrame (classic or Spark Connect), without importing pyspark."""
    module = type(data).__module__
    return module.startswith("pyspark.") and hasattr(data, "createOrReplaceTempView")


def _read_parquet(spark: Any, path: str) -> Any:
    from clvkit.exceptions import DataValidationError

    try:
        return spark.read.parquet(path)
    except Exception as err:
        if "TIMESTAMP(NANOS" not in str(err):
            raise
        msg = (f"Spark cannot read {path}: its timestamps are stored in nanoseconds, which "
               f"Spark does not support. Rewrite the file with microsecond timestamps "
               f"(pandas: df.to_parquet(path, coerce_timestamps='us', "
               f"allow_truncated_timestamps=True); DuckDB writes microseconds), or use "
               f"engine='duckdb'.")
        raise DataValidationError(msg) from None


class SparkEngine:
    """Run the relational summaries on Spark SQL.

    Parameters
    ----------
    data : pandas.DataFrame, pyspark DataFrame or path
        A pandas frame (sent to Spark through Arrow), a Spark frame, or a Parquet/CSV
        file or folder Spark can read (local path, ``hdfs://``, ``s3a://``, ...).
    cols : Columns
        Source column names of customer, timestamp and amount.
    master : str, optional
        ``spark.master`` when no session is active; default ``CLVKIT_SPARK_MASTER`` or
        ``local[2]``.
    """

    dialect = SPARK

    def __init__(self, data: Any, cols: Columns, *, master: str | None = None) -> None:
        self.spark = spark_session(master)
        self.cols = cols
        if is_spark_frame(data):
            frame = data
        elif isinstance(data, pd.DataFrame):
            needed = [c for c in (cols.customer, cols.timestamp, cols.amount)
                      if c is not None and c in data.columns]
            local = data[needed] if needed else data
            ts = local.get(cols.timestamp)
            if ts is not None and pd.api.types.is_datetime64_any_dtype(ts):
                # Spark keeps microseconds: drop the nanoseconds (days are unchanged)
                local = local.assign(**{cols.timestamp: ts.dt.floor("us")})
            frame = self.spark.createDataFrame(local)
        else:
            path = str(data)
            if path.lower().endswith((".csv", ".csv.gz", ".txt")):
                frame = self.spark.read.csv(path, header=True, inferSchema=True)
            else:
                frame = _read_parquet(self.spark, path)
        self.frame = frame
        self.source = f"clvkit_transactions_{next(_view_ids)}"
        frame.createOrReplaceTempView(self.source)

    def types(self) -> dict[str, str]:
        """Column name -> kind ("datetime", "numeric" or Spark's type name)."""
        from pyspark.sql import types as T

        out = {}
        for field in self.frame.schema.fields:
            t = field.dataType
            if isinstance(t, (T.TimestampType, T.DateType)) or "TimestampNTZ" in type(t).__name__:
                out[field.name] = "datetime"
            elif isinstance(t, T.NumericType):
                out[field.name] = "numeric"
            else:
                out[field.name] = t.simpleString()
        return out

    def df(self, sql: str) -> pd.DataFrame:
        """Run ``sql`` and return the result as a pandas frame (on the driver)."""
        return self.spark.sql(sql).toPandas()

    def sql(self, sql: str) -> Any:
        """Run ``sql`` and return the Spark DataFrame (stays distributed)."""
        return self.spark.sql(sql)

    def close(self) -> None:
        self.spark.catalog.dropTempView(self.source)

    def __enter__(self) -> SparkEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
