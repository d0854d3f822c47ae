"""DuckDB engine: the summary SQL over a pandas frame or Parquet/CSV files, out of core.

The connection is an in-memory database with a memory limit and a spill folder, so a
file larger than memory is aggregated in bounded memory: ``memory_limit`` defaults to
the environment variable ``CLVKIT_DUCKDB_MEMORY_LIMIT`` or ``"4GB"``, the spill folder
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

__all__ = ["DEFAULT_MEMORY_LIMIT", "DuckDBEngine"]

DEFAULT_MEMORY_LIMIT = "4GB"
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
        DuckDB ``memory_limit`` (e.g. "2GB"); default ``CLVKIT_DUCKDB_MEMORY_LIMIT`` or 4GB.
    threads : int, optional
        DuckDB threads; default all cores.
    """

    dialect = DUCKDB

    def __init__(self, data: Any, cols: Columns, *, memory_limit: str | None = None,
                 threads: int | None = None) -> None:
        import duckdb

        self._tmp = tempfile.mkdtemp(prefix="clvkit-duckdb-")
        self.con = duckdb.connect()
        limit = memory_limit or os.environ.get("CLVKIT_DUCKDB_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT)
        self.con.execute(f"SET memory_limit = {_literal(limit)}")
        self.con.execute(f"SET temp_directory = {_literal(self._tmp)}")
        self.con.execute("SET preserve_insertion_order = false")
        self.con.execute("SET enable_progress_bar = false")  # library code prints nothing
        self.con.execute("SET TimeZone = 'UTC'")
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        self.cols = cols
        if isinstance(data, pd.DataFrame):
            self.con.register("clvkit_transactions", data)
            self.source = "clvkit_transactions"
        else:
            self.source = file_source(data)

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
