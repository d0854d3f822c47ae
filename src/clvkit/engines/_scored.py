"""The scored table of ``clvkit score`` on DuckDB: join, rank, write.

The tuple scores (table ``clvkit_tuple_scores``, from
:func:`clvkit.engines.score.score_tuples`) are joined to the customers in DuckDB, the
segment and tier ranks taken in numpy (:func:`clvkit.engines.score.segment_codes`)
and the table written by DuckDB's Parquet writer from Arrow.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from clvkit import schema as s

from ._sql import DUCKDB
from .score import joined_sql, segment_codes

__all__ = ["write_scored"]


def _arrow(con: Any, sql: str) -> Any:
    """A query's result as a pyarrow Table (DuckDB 2 and 1.x spellings)."""
    relation = con.sql(sql)
    fetch = getattr(relation, "to_arrow_table", None) or relation.arrow
    return fetch()


def write_scored(con: Any, summary: str, end_day: int, gamma_gamma: Any, margin: float,
                 path: Path) -> None:
    """Join tuple scores to the customers in DuckDB, rank in numpy, write the Parquet file.

    Numeric ids break rank ties as numbers; text ids are fetched in id order and break
    them by position (one sort instead of one per ranking key).
    """
    import pyarrow as pa

    kind = con.execute(f"SELECT typeof(c) FROM {summary} LIMIT 1").fetchall()[0][0].upper()
    numeric = kind in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT",
                       "UINTEGER", "UBIGINT", "FLOAT", "DOUBLE")
    table = _arrow(con, joined_sql(DUCKDB, summary, "clvkit_tuple_scores",
                                   end_day, gamma_gamma, margin, order_by_id=not numeric))
    table = table.combine_chunks()  # one chunk per column: numpy views, one Parquet write
    col = {name: table.column(name) for name in table.column_names}
    ids = (col[s.CUSTOMER_ID].to_numpy() if numeric else np.arange(table.num_rows))
    num = {k: col[k].to_numpy() for k in ("clv", "recency_days", "n_rows", "revenue")}
    # (n_rows is cast to BIGINT in the SQL: DuckDB's SUM of BIGINT is a HUGEINT, which
    # Arrow carries as decimals and numpy as Python objects)
    segment, tier = segment_codes(num["recency_days"], num["n_rows"], num["revenue"],
                                  num["clv"], ids)
    scored = pa.table({
        s.CUSTOMER_ID: col[s.CUSTOMER_ID], "clv": col["clv"], "p_alive": col["p_alive"],
        "churn_risk": col["churn_risk"], "expected_purchases": col["expected_purchases"],
        "segment": segment, "tier": tier})
    del table, col, num
    con.register("clvkit_scored", scored)
    try:
        con.execute(f"COPY clvkit_scored TO '{path.as_posix()}' (FORMAT parquet)")
    finally:
        con.unregister("clvkit_scored")
