"""Time ``clvkit score`` on large Parquet logs against a plain DuckDB GROUP BY (the floor).

Run::

    .venv/bin/python benchmarks/bench_engines.py --rows 10M 30M [100M] [--dir DIR]

For each size the script writes (once, with DuckDB, kept in ``--dir``) a realistic log:
customers acquired uniformly over three years and observed for four, a heavy-tailed
purchase propensity (log-normal mean, so a few customers buy hundreds of times and
~20% buy once), exponential lifetimes, daily timestamps with a time of day, 8% of
repeat rows on the day of the first purchase (same-day repeats) and log-normal
amounts around a per-customer mean; about 10 rows per customer.

Then, each in a fresh child process (peak RSS from ``os.wait4``):

* **floor**: DuckDB ``SELECT customer_id, COUNT(*), MIN(timestamp), MAX(timestamp),
  SUM(amount) FROM file GROUP BY customer_id`` into a table (the least any per-customer
  summary of the file can cost);
* **score**: ``clvkit score --data FILE --engine duckdb --out DIR`` (summary, BG/NBD and
  Gamma-Gamma fits on the unique tuples, scores per unique tuple joined back to the
  customers, segments and tiers, Parquet), with clvkit's default DuckDB memory limit
  unless ``--memory-limit`` is given.

and prints the wall times, the ratios to the floor and the peak RSS of each child,
plus the step times from run.json. Targets (issue 13): 100 M rows scored in <= 2 min and
<= 8 GB; score within 3x of the floor at 30 M rows.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DAYS_OBSERVED = 4 * 365
DAYS_ACQUIRING = 3 * 365

GENERATE = """
COPY (
  WITH cust AS (
    SELECT i AS customer_id,
           CAST(floor(random() * {acq}) AS INTEGER) AS first_day,
           exp(1.477 + 1.2 * sqrt(-2 * ln(greatest(random(), 1e-12)))
               * cos(2 * pi() * random())) AS propensity,
           exp(ln(30) + 0.5 * sqrt(-2 * ln(greatest(random(), 1e-12)))
               * cos(2 * pi() * random())) AS spend,
           -ln(greatest(random(), 1e-12)) * 500 AS life_days
    FROM range({customers}) t(i)
  ),
  k AS (
    SELECT *, CAST(floor(-ln(greatest(random(), 1e-12)) * propensity) AS INTEGER) AS n_repeat
    FROM cust
  ),
  r AS (SELECT customer_id, first_day, spend, life_days, unnest(range(n_repeat + 1)) AS j
        FROM k)
  SELECT customer_id,
         TIMESTAMP '2021-01-01' + to_days(day) + to_seconds(CAST(random() * 86399 AS BIGINT))
           AS timestamp,
         round(spend * exp(0.3 * sqrt(-2 * ln(greatest(random(), 1e-12)))
               * cos(2 * pi() * random())), 2) AS amount
  FROM (SELECT *, CASE WHEN j = 0 OR random() < 0.08 THEN first_day
                       ELSE first_day + CAST(floor(random() * least(life_days,
                            {obs} - first_day)) AS INTEGER) END AS day FROM r)
) TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)
"""

FLOOR = """
import time, duckdb
t = time.perf_counter()
con = duckdb.connect()
con.execute("SET memory_limit = '4GB'")
con.execute("SET enable_progress_bar = false")
con.execute("CREATE TABLE g AS SELECT customer_id, COUNT(*) AS n, MIN(timestamp) AS first, "
            "MAX(timestamp) AS last, SUM(amount) AS revenue FROM read_parquet('{path}') "
            "GROUP BY customer_id")
print(con.execute("SELECT COUNT(*) FROM g").fetchone()[0], time.perf_counter() - t)
"""


def _size(text: str) -> int:
    text = text.upper().replace("_", "")
    factor = {"K": 10**3, "M": 10**6}.get(text[-1], 1)
    return int(float(text.rstrip("KM")) * factor)


def generate(rows: int, path: Path) -> tuple[int, float]:
    """Write a log of about ``rows`` rows (10 per customer); return rows and seconds."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    if not path.exists():
        t0 = time.perf_counter()
        con.execute("SELECT setseed(0.42)")
        con.execute(GENERATE.format(acq=DAYS_ACQUIRING, obs=DAYS_OBSERVED,
                                    customers=rows // 10, path=path.as_posix()))
        seconds = time.perf_counter() - t0
    else:
        seconds = 0.0
    n = con.execute(f"SELECT COUNT(*) FROM read_parquet('{path.as_posix()}')").fetchone()[0]
    return int(n), seconds


def run_child(args: list[str]) -> tuple[float, float, str, float]:
    """Run a child process; return wall seconds, its peak RSS (GB), its stdout and its
    CPU seconds (user + system, all its threads)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(args, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            raise RuntimeError(f"{args[:4]} failed:\n{err.read()[-3000:]}")
        return (wall, usage.ru_maxrss / 1024**2, out.read(),
                usage.ru_utime + usage.ru_stime)


def main() -> None:
    """Generate, time and print one line per size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", nargs="+", default=["10M", "30M"])
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "clvkit-bench")
    parser.add_argument("--memory-limit", default=None,
                        help="DuckDB memory limit of clvkit score (default: clvkit's)")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    py = sys.executable
    print("rows | customers | gen s | floor s (query) | score s | ratio | summary s | fit s | "
          "scoring s | segments s | floor RSS GB | score RSS GB | floor CPU s | score CPU s | "
          "CPU ratio | load before-after")
    for label in args.rows:
        path = args.dir / f"log_{label}.parquet"
        n_rows, gen = generate(_size(label), path)
        load = os.getloadavg()[0]
        floor_wall, floor_rss, out, floor_cpu = run_child(
            [py, "-c", FLOOR.format(path=path.as_posix())])
        n_customers, floor_query = out.split()
        out_dir = args.dir / f"scored_{label}"
        limit = ["--memory-limit", args.memory_limit] if args.memory_limit else []
        score_wall, score_rss, _, score_cpu = run_child(
            [py, "-m", "clvkit.cli", "score", "--data", str(path), "--engine", "duckdb",
             "--out", str(out_dir), "--quiet", *limit])
        run = json.loads((out_dir / "run.json").read_text(encoding="utf-8"))
        sec = run["seconds"]
        print(f"{n_rows:,} | {int(n_customers):,} | {gen:.1f} | {floor_wall:.1f} "
              f"({float(floor_query):.1f}) | "
              f"{score_wall:.1f} | {score_wall / floor_wall:.1f}x | {sec['summary']:.1f} | "
              f"{sec['fit']:.1f} | {sec['score']:.1f} | {sec['segments']:.1f} | "
              f"{floor_rss:.2f} | {score_rss:.2f} | {floor_cpu:.1f} | {score_cpu:.1f} | "
              f"{score_cpu / floor_cpu:.1f}x | {load:.1f}-{os.getloadavg()[0]:.1f}   "
              f"(unique tuples {run['n_unique_tuples']:,})", flush=True)


if __name__ == "__main__":
    main()
