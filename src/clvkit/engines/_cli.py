"""The ``clvkit score`` subcommand (registered by :func:`clvkit.cli._add_score`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["add_score_parser"]


def _score(args: argparse.Namespace) -> int:
    from clvkit import schema as s
    from clvkit.exceptions import ParameterError

    from . import Columns
    from .pipeline import RunSettings, score_data

    data, names, end = args.data, {}, args.observation_end
    if args.config is not None:
        from clvkit._config import read_config

        cfg = read_config(args.config)
        tx = cfg["transactions"]
        names = dict(tx.get("columns", {}))
        data = data or tx.get("path")
        if end is None and cfg["validation"]["observation_end"] is not None:
            end = cfg["validation"]["observation_end"]
    if data is None:
        msg = ("give --data FILE (Parquet or CSV of transactions) or a --config whose "
               "[transactions] path names it")
        raise ParameterError(msg)
    cols = Columns(names.get(s.CUSTOMER_ID, s.CUSTOMER_ID), names.get(s.TIMESTAMP, s.TIMESTAMP),
                   names.get(s.AMOUNT, s.AMOUNT))
    from clvkit.scoring import ScoreSettings

    model_settings = ScoreSettings(horizon_months=args.horizon_months,
                                   discount_rate_annual=args.discount_rate,
                                   margin_rate=args.margin_rate,
                                   penalizer_coef=args.penalizer,
                                   purchase_model=args.purchase_model)
    settings = RunSettings(observation_end=end, freq=args.freq, chunk_rows=args.chunk_rows,
                           scoring=model_settings)
    run = score_data(data, args.out, engine=args.engine, columns=cols, settings=settings,
                     memory_limit=args.memory_limit, spark_master=args.spark_master,
                     progress=not args.quiet and sys.stderr.isatty())
    out = Path(args.out)
    print(f"scored {run['n_customers']:,} customers from {run['n_rows']:,} transactions "
          f"({run['engine']}) in {sum(run['seconds'].values()):.1f} s")
    for name, seconds in run["seconds"].items():
        print(f"  {name:<9}{seconds:8.1f} s")
    for message in run["warnings"]:
        print(f"warning: {message}", file=sys.stderr)
    print(f"wrote {out / run['outputs']['scored_customers']}\nwrote {out / 'run.json'}")
    return 0


def add_score_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add ``clvkit score`` to the command line's subcommands."""
    from .pipeline import RunSettings

    d = RunSettings()
    p = subparsers.add_parser(
        "score",
        help="score every customer of a (large) transaction file into Parquet, no HTML",
        description=(
            "Summarise the transactions per customer on an engine (pandas, DuckDB out of "
            "core, or Spark), fit BG/NBD and Gamma-Gamma on the unique tuples, score every "
            "customer in chunks and write OUT/scored_customers.parquet (customer_id, clv, "
            "p_alive, churn_risk, expected_purchases, segment, tier) and OUT/run.json."
        ),
    )
    p.add_argument("--data", metavar="PATH",
                   help="Parquet or CSV file (or folder of Parquet files) of transactions")
    p.add_argument("--config", metavar="FILE",
                   help="TOML config: [transactions] path and column mapping, "
                        "[validation] observation_end (see data/README.md)")
    p.add_argument("--engine", choices=("auto", "pandas", "duckdb", "spark"), default="auto",
                   help="auto (default): pandas for small files, DuckDB for large ones; "
                        "spark only when asked (spark.master from CLVKIT_SPARK_MASTER)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write into")
    p.add_argument("--observation-end", metavar="D",
                   help="last day of data, YYYY-MM-DD (default: the last transaction's day)")
    p.add_argument("--freq", choices=("W7", "D", "W", "M"), default=d.freq,
                   help="time unit of the models (default W7: daily purchases, weeks = days/7)")
    # the scoring stage's settings (clvkit.scoring.ScoreSettings), same defaults
    p.add_argument("--horizon-months", type=int, default=12, metavar="N",
                   help="CLV horizon in months (default 12)")
    p.add_argument("--discount-rate", type=float, default=0.10, metavar="R",
                   help="yearly discount rate (default 0.10)")
    p.add_argument("--margin-rate", type=float, default=0.0, metavar="M",
                   help="gross margin as a share of revenue (default 0: CLV in revenue)")
    p.add_argument("--purchase-model", choices=("auto", "bgnbd", "paretonbd", "mbgnbd"),
                   default="auto", help="purchase model (auto = BG/NBD at scale: the "
                                        "holdout comparison needs the data in memory)")
    p.add_argument("--penalizer", type=float, default=0.0, metavar="C",
                   help="L2 penalty of the model fits (try 0.001 on awkward data)")
    p.add_argument("--chunk-rows", type=int, default=d.chunk_rows, metavar="N",
                   help="no longer used: scores are computed once per unique (frequency, "
                        "recency, T) tuple; accepted so existing scripts keep working")
    p.add_argument("--memory-limit", metavar="SIZE",
                   help="DuckDB memory limit, e.g. 4GB (default CLVKIT_DUCKDB_MEMORY_LIMIT "
                        "or 6GB, half the memory on smaller machines)")
    p.add_argument("--spark-master", metavar="URL",
                   help="spark.master (default CLVKIT_SPARK_MASTER or local[2])")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_score)
