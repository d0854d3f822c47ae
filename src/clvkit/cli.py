"""The ``clvkit`` command line.

Every subcommand is registered by one small ``_add_<command>(subparsers)`` function
listed in :data:`_COMMANDS`; each sets ``func`` to a handler taking the parsed
arguments and returning an exit code. Errors clvkit raises on purpose
(:class:`~clvkit.exceptions.ClvkitError`) and any other failure are printed as one
``error: <message>`` line on stderr with exit code 2, without a traceback (``--debug``
shows it); a run stopped by SIGTERM/SIGINT exits with 128 + the signal number.

Examples
--------
::

    clvkit validate data/sample/transactions_messy.csv --set-aside-dir out/
    clvkit validate data/sample/orders_zh.csv --config data/sample/clvkit.toml --lang zh
    clvkit demo-data --out data/demo --customers 500 --format both
    clvkit score --data orders.parquet --engine duckdb --out scores/
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from . import __version__
from .exceptions import ClvkitError, ParameterError, RunInterrupted

__all__ = ["main"]

EXIT_ERROR = 2


def _validate(args: argparse.Namespace) -> int:
    from .io import load_data

    if args.source is None and args.config is None:
        msg = "give a SOURCE (file, folder, database or demo/cdnow) or a --config naming the files"
        raise ParameterError(msg)
    config = args.config
    if args.preset:  # the preset goes under the config file's settings
        from .presets import config_with_preset

        config = config_with_preset(args.preset, args.config)
    ds = load_data(
        args.source, config=config, observation_end=args.observation_end,
        encoding=args.encoding, drop_exact_duplicates=args.drop_exact_duplicates,
        keep_zero_amounts=True if args.keep_zero_amounts else None,
        demo_customers=args.customers, seed=args.seed, refunds=args.refunds,
    )
    print(f"{ds.name}\n{ds.quality.to_text(lang=args.lang)}")
    for path in ds.quality.write_set_aside(args.set_aside_dir, lang=args.lang):
        print(f"wrote {path}")
    return 0


def _add_validate(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "validate",
        help="load a data set, print the data-quality summary, write set-aside rows",
        description=(
            "Load SOURCE, check every row and print, per table, the rows read, kept "
            "and set aside by reason (the counts add up to the rows read). Exit 0 "
            "when the data loaded, even with rows set aside; 2 when it could not."
        ),
    )
    p.add_argument("source", metavar="SOURCE", nargs="?", default=None,
                   help="demo, cdnow, cdnow-sample, a file, a folder of transactions.* / "
                        "customers.* / surveys.*, a SQLite/DuckDB file or a database URL; "
                        "may be left out when the config names the files")
    p.add_argument("--config", metavar="FILE", help="TOML config: paths, column mapping, "
                   "encodings, date formats (see data/README.md)")
    p.add_argument("--preset", metavar="NAME",
                   help="read a CRM or shop export: salesforce, salesforce_orders, dynamics, "
                        "dynamics_invoices, suitecrm, suitecrm_opportunities, shopify, "
                        "woocommerce (see docs/crm.md)")
    p.add_argument("--encoding", metavar="E",
                   help="encoding of CSV files (default: try utf-8-sig, then gb18030)")
    p.add_argument("--observation-end", metavar="D",
                   help="last day of data, YYYY-MM-DD; later rows are set aside")
    p.add_argument("--set-aside-dir", metavar="DIR", default="set_aside",
                   help="folder for the <table>_set_aside.csv files (UTF-8 with BOM); "
                        "default ./set_aside")
    p.add_argument("--drop-exact-duplicates", action="store_true",
                   help="set aside identical rows without order id (default: keep, report)")
    p.add_argument("--keep-zero-amounts", action="store_true",
                   help="keep and report zero-amount purchases instead of setting them aside "
                        "(default: kept for cdnow, set aside otherwise)")
    p.add_argument("--refunds", choices=("net", "set_aside", "ignore"), default=None,
                   help="net: refunds and cancellations reduce or remove the purchases they "
                        "reverse (default, or the config's); set_aside: set them aside, "
                        "purchases kept; ignore: negative amounts set aside, no netting")
    p.add_argument("--lang", choices=("en", "zh"), default="en", help="language of the summary")
    p.add_argument("--customers", type=int, default=2000, metavar="N",
                   help="customers of the demo data set (SOURCE=demo; default 2000)")
    p.add_argument("--seed", type=int, default=42, help="seed of the demo data set")
    p.set_defaults(func=_validate)


def _demo_data(args: argparse.Namespace) -> int:
    from .datasets import write_demo

    formats = ("csv", "parquet") if args.format == "both" else (args.format,)
    for path in write_demo(args.out, n_customers=args.customers, seed=args.seed,
                           formats=formats, quality_issues=args.with_quality_issues):
        print(f"wrote {path}")
    return 0


def _add_demo_data(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "demo-data",
        help="write the synthetic demo data set as CSV and/or Parquet files",
        description="Write transactions, customers and surveys of the deterministic "
                    "demo data set into DIR (same seed, same files).",
    )
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write into")
    p.add_argument("--customers", type=int, default=2000, metavar="N",
                   help="number of customers (default 2000)")
    p.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    p.add_argument("--format", choices=("csv", "parquet", "both"), default="csv",
                   help="file format (default csv)")
    p.add_argument("--with-quality-issues", action="store_true",
                   help="add realistic bad rows (refunds, zero amounts, double exports, "
                        "missing ids, late test orders) to try `clvkit validate` on")
    p.set_defaults(func=_demo_data)


def _report_with_preset(report: Callable[[argparse.Namespace], int]
                        ) -> Callable[[argparse.Namespace], int]:
    """Run ``clvkit report`` with ``--preset NAME`` as a one-line config ``preset = NAME``."""
    def run(args: argparse.Namespace) -> int:
        if not args.preset:
            return report(args)
        from .presets import apply_preset

        apply_preset(args.preset)  # unknown name: error before any notebook runs
        if args.config is not None:
            msg = (f"--preset and --config together: add the line preset = "
                   f"\"{args.preset}\" to {args.config} instead of passing --preset")
            raise ParameterError(msg)
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory(prefix="clvkit-preset-") as folder:
            config = Path(folder) / "clvkit.toml"
            config.write_text(f'preset = "{args.preset}"\n', encoding="utf-8")
            args.config = str(config)
            return report(args)

    return run


def _add_report(subparsers: argparse._SubParsersAction) -> None:
    if _OTHER_COMMAND[0]:
        # another subcommand runs: a placeholder keeps the name (importing the report
        # package pulls in SciPy's statistics and the metrics, half a second or more)
        subparsers.add_parser("report", help=_REPORT_HELP)
        return
    from .report._cli import add_report_parser

    add_report_parser(subparsers)
    p = subparsers.choices["report"]
    p.add_argument("--preset", metavar="NAME",
                   help="read a CRM or shop export with this preset (see clvkit validate "
                        "--help); or put preset = NAME in the --config file")
    p.set_defaults(func=_report_with_preset(p.get_default("func")))


def _add_score(subparsers: argparse._SubParsersAction) -> None:
    from .engines._cli import add_score_parser

    add_score_parser(subparsers)


#: Registration functions, one per subcommand, in --help order.
_COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    _add_validate,
    _add_demo_data,
    _add_report,
    _add_score,
]


_REPORT_HELP = "run the report notebooks and write the HTML report"
#: Set by :func:`_parser`: True when the command line names a subcommand other than
#: report, whose parser is then not built.
_OTHER_COMMAND = [False]


def _command(argv: Sequence[str] | None) -> str | None:
    """The subcommand named on the command line (the first word that is one)."""
    names = {"validate", "demo-data", "report", "score"}
    words = sys.argv[1:] if argv is None else list(argv)
    return next((w for w in words if w in names), None)


def _parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="clvkit",
        description="Customer-value analytics workbook: load and validate customer "
                    "data, build churn, NPS, CLV and segment reports.",
    )
    parser.add_argument("--version", action="version", version=f"clvkit {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="on an error, show the full traceback instead of one line")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    command = _command(argv)
    _OTHER_COMMAND[0] = command is not None and command != "report"
    for add in _COMMANDS:
        add(subparsers)
    for sub in subparsers.choices.values():  # --debug before or after the command
        sub.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                         help="on an error, show the full traceback")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``clvkit`` command line and return its exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        0 on success, 2 on any error (one line on stderr; ``--debug`` raises
        instead), 128 + the signal number when a report run was stopped by
        SIGTERM/SIGINT. argparse exits with 2 itself on invalid arguments, and with
        0 after ``--help``.
    """
    args = _parser(argv).parse_args(argv)
    from ._readers import mask_text

    try:
        return int(args.func(args))
    except ClvkitError as err:
        if args.debug:
            raise
        print(f"error: {mask_text(str(err))}", file=sys.stderr)
        return int(getattr(err, "exit_code", EXIT_ERROR))
    except KeyboardInterrupt:
        if args.debug:
            raise
        print("error: stopped by Ctrl-C", file=sys.stderr)
        return 130
    except RunInterrupted as err:  # a report run stopped by SIGTERM/SIGINT
        if args.debug:
            raise
        print(f"error: {mask_text(str(err))}", file=sys.stderr)
        return int(err.exit_code)
    except Exception as err:  # a bug or an unanticipated failure: still one line
        if args.debug:
            raise
        text = str(err).strip().splitlines()[0] if str(err).strip() else ""
        print(f"error: unexpected {type(err).__name__}: {mask_text(text)} "
              "(run again with --debug for the details)", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
