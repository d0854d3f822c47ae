"""DuckDB engine: the summary SQL over a pandas frame or Parquet/CSV files, out of core.

The connection is an in-memory database with a memory limit and a spill folder, so a
file larger than memory is aggregated in bounded memory: ``memory_limit`` defaults to
the environment variable ``CLVKIT_DUCKDB_MEMORY_LIMIT`` or 6 GB (half the memory on a
machine with less than 12 GB), the spill folder
to a fresh temporary folder removed on :meth:`DuckDBEngine.close`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from ._sql import DUCKDB, Columns

__all__ = ["DEFAULT_MEMORY_LIMIT", "DuckDBEngine", "default_memory_limit"]

DEFAULT_MEMORY_LIMIT = "6GB"


def default_memory_limit() -> str:
    """:data:`DEFAULT_MEMORY_LIMIT`, or half the physical memory when that is less.

    6 GB keeps the per-(customer, day) aggregation of 100 million rows in memory (with
    4 GB it spills and takes twice as long); the scoring command's peak stays near
    5 GB, inside the 8 GB budget of issue 13.
    """
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return DEFAULT_MEMORY_LIMIT
    if ram >= 12 * 1000**3:
        return DEFAULT_MEMORY_LIMIT
    return f"{max(ram // 2 // 1000**2, 256)}MB"
_DATETIME = ("TIMESTAMP", "DATE")
_NUMERIC = ("DOUBLE", "FLOAT", "REAL", "DECIMAL", "TINYINT", "SMALLINT", "INTEGER", "BIGINT",
            "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def record_batches(relation: Any, rows: int) -> Any:
    """A streaming Arrow reader over a relation (DuckDB 2 and 1.x spellings)."""
    reader = getattr(relation, "to_arrow_reader", None) or relation.record_batch
    return reader(rows)


def file_source(path: str | os.PathLike[str]) -> str:
    """A DuckDB table function reading a Parquet or CSV file (or folder/glob of Parquet)."""
    p = Path(path)
    text = str(p)
    if p.is_dir():
        return f"read_parquet({_literal(str(p / '**' / '*.parquet'))})"
    if p.suffix.lower() in (".csv", ".txt", ".gz") or text.lower().endswith(".csv.gz"):
        return f"read_csv({_literal(text)}, header = true)"
    return f"read_parquet({_literal(text)})"


class DuckDBEngine:
    """Run the relational summaries on DuckDB.

    Parameters
    ----------
    data : pandas.DataFrame or path
        The transactions: a frame (queried in place, no copy) or a Parquet/CSV file,
        a folder of Parquet files or a glob.
    cols : Columns
        Source column names of customer, timestamp and amount.
    memory_limit : str, optional
        DuckDB ``memory_limit`` (e.g. "2GB"); default ``CLVKIT_DUCKDB_MEMORY_LIMIT`` or
        :func:`default_memory_limit` (6GB).
    threads : int, optional
        DuckDB threads; default all cores.
    """

    dialect = DUCKDB

    def __init__(self, data: Any, cols: Columns, *, memory_limit: str | None = None,
                 threads: int | None = None) -> None:
        import duckdb

        self._tmp = tempfile.mkdtemp(prefix="clvkit-duckdb-")
        self.con = duckdb.connect()
        limit = (memory_limit or os.environ.get("CLVKIT_DUCKDB_MEMORY_LIMIT")
                 or default_memory_limit())
        self.con.execute(f"SET memory_limit = {_literal(limit)}")
        self.con.execute(f"SET temp_directory = {_literal(self._tmp)}")
        self.con.execute("SET preserve_insertion_order = false")
        self.con.execute("SET enable_progress_bar = false")  # library code prints nothing
        self.con.execute("SET TimeZone = 'UTC'")
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        self.cols = cols
        self._parquet: str | None = None
        if isinstance(data, pd.DataFrame):
            self.con.register("clvkit_transactions", data)
            self.source = "clvkit_transactions"
        else:
            self.source = file_source(data)
            if self.source.startswith("read_parquet("):
                self._parquet = self.source[len("read_parquet("):-1]

    def file_stats(self, end_day: int | None) -> dict[str, int] | None:
        """The checking pass's counts from Parquet footers, without reading the data.

        Row counts, null counts and the first/last day come from the row-group
        statistics (null counts of every column, exact min/max of the timestamp) when
        every row group has them and no value is missing; rows after ``end_day`` are
        then known only when ``end_day`` is not before the last day. Otherwise (CSV,
        frames, files without statistics, missing values, an earlier end) None: the
        caller scans the data.
        """
        cols = self.cols
        names = [c for c in (cols.customer, cols.timestamp, cols.amount) if c is not None]
        if self._parquet is None or any("." in c for c in names):
            return None
        ts_type = self.con.execute(f"SELECT column_type FROM (DESCRIBE SELECT * FROM "
                                   f"{self.source}) WHERE column_name = ?",
                                   [cols.timestamp]).fetchone()
        if ts_type is None:
            return None
        day = (f"CAST(date_diff('day', DATE '1970-01-01', CAST(CAST({{v}} AS {ts_type[0]}) "
               f"AS DATE)) AS BIGINT)")
        listed = ", ".join(_literal(c) for c in names)
        sql = (f"SELECT path_in_schema AS name, SUM(num_values) AS n, "
               f"SUM(stats_null_count) AS nulls, COUNT(*) AS groups, "
               f"COUNT(stats_null_count) AS with_nulls, "
               f"COUNT(stats_min_value) AS with_min, COUNT(stats_max_value) AS with_max, "
               f"bool_and(coalesce(min_is_exact, true) AND coalesce(max_is_exact, true)) "
               f"AS exact, MIN(CASE WHEN path_in_schema = {_literal(cols.timestamp)} THEN "
               f"{day.format(v='stats_min_value')} END) AS first_day, "
               f"MAX(CASE WHEN path_in_schema = {_literal(cols.timestamp)} THEN "
               f"{day.format(v='stats_max_value')} END) AS last_day "
               f"FROM parquet_metadata({self._parquet}) WHERE path_in_schema IN ({listed}) "
               f"GROUP BY path_in_schema")
        try:
            rows = {r[0]: r[1:] for r in self.con.execute(sql).fetchall()}
        except Exception:  # unusual metadata: scan the data instead
            return None
        if set(rows) != set(names):
            return None
        counts = {r[0] for r in rows.values()}
        ts = rows[cols.timestamp]
        complete = all(r[2] == r[3] and r[1] == 0 for r in rows.values()) and (
            ts[2] == ts[4] == ts[5] and ts[6])
        first, last = ts[7], ts[8]
        if len(counts) != 1 or not complete or first is None or last is None:
            return None
        if end_day is not None and end_day < last:
            return None
        return {"n_rows": int(counts.pop()), "missing_customer": 0, "missing_timestamp": 0,
                "missing_amount": 0, "first_day": int(first), "last_day": int(last),
                "n_after": 0}

    def types(self) -> dict[str, str]:
        """Column name -> kind ("datetime", "numeric" or the engine's type name)."""
        rows = self.con.execute(f"DESCRIBE SELECT * FROM {self.source}").fetchall()
        out = {}
        for name, dtype, *_ in rows:
            t = str(dtype).upper()
            out[name] = ("datetime" if t.startswith(_DATETIME)
                         else "numeric" if t.startswith(_NUMERIC) else t)
        return out

    def df(self, sql: str) -> pd.DataFrame:
        """Run ``sql`` and return the result as a pandas frame."""
        return self.con.execute(sql).df()

    def batches(self, sql: str, rows: int) -> Iterator[pd.DataFrame]:
        """Run ``sql`` on a second cursor; yield the result in pandas chunks of ``rows``."""
        cur = self.con.cursor()
        try:
            for batch in record_batches(cur.sql(sql), rows):
                yield batch.to_pandas()
        finally:
            cur.close()

    def close(self) -> None:
        self.con.close()
        shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> DuckDBEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
