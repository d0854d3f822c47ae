"""The ``clvkit report`` subcommand (registered by :func:`clvkit.cli._add_report`)."""

from __future__ import annotations

import argparse
import sys
import time

__all__ = ["add_report_parser"]


def _progress(start: float):
    def say(message: str) -> None:
        print(f"{time.perf_counter() - start:6.1f} s  {message}", file=sys.stderr, flush=True)

    return say


def _report(args: argparse.Namespace) -> int:
    from ._runner import run_report

    params = dict(args.param or [])
    if args.data is not None:
        params["data"] = args.data
    if args.config is not None:
        params["config"] = args.config
    if args.refunds is not None:  # notebooks pass it to load_data(refunds=...)
        params["refunds"] = args.refunds
    start = time.perf_counter()
    result = run_report(
        args.out, params=params, notebooks=args.notebooks, select=args.notebook,
        lang=args.lang, audience=args.audience, cell_timeout=args.timeout, jobs=args.jobs,
        progress=_progress(start), free_text=args.include_comments,
        alert_thresholds=dict(args.alert) if args.alert else None,
    )
    print(f"report written to {result.index}")
    print("time per notebook:")
    print(result.timings())
    if result.alerts and args.fail_on_alert:
        return ALERT_EXIT
    return 0


#: Exit code of a successful run whose KPIs moved beyond a threshold, with --fail-on-alert.
ALERT_EXIT = 3


def _alert(text: str) -> tuple[str, float]:
    name, sep, limit = text.partition("=")
    try:
        if not sep:
            raise ValueError
        value = float(limit)
    except ValueError:
        msg = f"--alert takes KPI=LIMIT, e.g. churn_rate=0.05; got {text!r}"
        raise argparse.ArgumentTypeError(msg) from None
    return name.strip(), value


def add_report_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add ``clvkit report`` to the command line's subcommands."""
    p = subparsers.add_parser(
        "report",
        help="run the report notebooks and write the HTML report",
        description=(
            "Run every report notebook (notebooks/NN_*.ipynb) with papermill, render "
            "them to HTML with an index page, and write the scored customer table "
            "(CSV + Parquet) and the customers newly at risk since the previous run. "
            "The report replaces OUT only when every notebook succeeded; on failure "
            "OUT is left as it was, the executed notebooks go to OUT.failed/ and the "
            "exit code is 2. OUT must be missing, empty or a previous clvkit report; "
            "anything else is refused before any work. The data are checked first: a "
            "missing required column stops the run in seconds. SIGTERM/Ctrl-C stop "
            "every notebook and leave OUT unchanged (exit 143/130)."
        ),
        epilog="example: clvkit report --data orders.csv --config clvkit.toml "
               "--out reports/latest --lang zh -p horizon_months 12",
    )
    p.add_argument("notebook", nargs="*", metavar="NOTEBOOK",
                   help="run only notebooks whose name starts with this (e.g. 01 04_clv)")
    p.add_argument("--data", metavar="NAME|PATH",
                   help="demo, cdnow, cdnow-sample, a file, a folder or a database URL "
                        "(default: the notebooks' default, demo)")
    p.add_argument("--config", metavar="FILE", help="column-mapping TOML config")
    p.add_argument("--refunds", choices=("net", "set_aside", "ignore"), default=None,
                   help="refunds and cancellations: net against the purchases they reverse "
                        "(default, or the config's), set_aside, or ignore")
    p.add_argument("--out", metavar="DIR", default="reports/latest",
                   help="report folder (default reports/latest)")
    p.add_argument("--lang", choices=("en", "zh"), default="en", help="report language")
    p.add_argument("--audience", choices=("client", "analyst"), default="client",
                   help="client: code hidden, customer ids pseudonymised (default); "
                        "analyst: code and raw ids shown")
    p.add_argument("-p", "--param", nargs=2, action="append", metavar=("NAME", "VALUE"),
                   help="notebook parameter, e.g. -p demo_customers 500 (repeatable)")
    p.add_argument("--notebooks", metavar="DIR", default=None,
                   help="folder of the report notebooks (default: the ones that come with "
                        "clvkit; a checkout's notebooks/ folder for an editable install)")
    p.add_argument("--timeout", type=int, default=600, metavar="S",
                   help="seconds a single notebook cell may run (default 600)")
    p.add_argument("--jobs", type=int, default=2, metavar="N",
                   help="notebooks run at the same time, each in its own kernel (default 2)")
    p.add_argument("--include-comments", action="store_true",
                   help="keep survey free-text comments in a client report's set-aside "
                        "files (e-mail addresses and phone numbers masked); by default "
                        "only an analyst report keeps them")
    p.add_argument("--alert", type=_alert, action="append", metavar="KPI=LIMIT",
                   help="alert when a KPI moved at least LIMIT (its own unit) since the "
                        "previous run, e.g. churn_rate=0.05 or clv_total=10000 (repeatable; "
                        "default churn_rate=0.05 and nps=10)")
    p.add_argument("--fail-on-alert", action="store_true",
                   help=f"exit {ALERT_EXIT} (instead of 0) when an alert was raised, for "
                        "schedulers that act on it")
    p.set_defaults(func=_report)
