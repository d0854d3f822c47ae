"""Read transaction logs, customer and survey tables into clvkit's tidy tables.

:func:`load_table` reads one table from a CSV/TSV file (UTF-8, UTF-8 with BOM or
GBK/GB18030 as Chinese Excel exports produce), Parquet, Excel .xlsx, any SQLAlchemy
database URL, a SQLite file or a DuckDB file, and renames the user's columns to the
roles of :data:`clvkit.schema.TABLES`. :func:`load_data` is the one entry point of the
notebooks and the command line: it reads every table of a data set (bundled, a file,
a folder or a database), validates it (:mod:`clvkit.validation`) and returns a
:class:`clvkit.tables.Dataset`. The TOML configuration format is described in
:func:`clvkit.io.read_config` and ``data/README.md``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from . import schema as s
from ._config import read_config
from ._parse import as_ids, as_text, is_blank, parse_dates, parse_numbers
from ._readers import BUNDLED, db_kind, db_tables, is_url, masked, read_source
from .exceptions import ConfigError, DataValidationError, ParameterError, SourceError
from .presets import split_status, with_status_set_aside
from .tables import Dataset
from .validation import validate_tables

__all__ = ["BUNDLED", "existing_path", "load_data", "load_table", "project_root", "read_config"]

#: Files that mark a project's root folder (searched upwards from the working folder).
PROJECT_MARKERS = ("pyproject.toml", "clvkit.toml")
_FILE_SUFFIXES = (".parquet", ".csv", ".tsv", ".txt", ".xlsx")  # folder lookup order
_ID_ROLES = (s.CUSTOMER_ID, s.ORDER_ID)
_DATE_ROLES = (s.TIMESTAMP, s.DATE, s.SIGNUP_DATE, s.CHURN_DATE)
_NUMBER_ROLES = (s.AMOUNT, s.QUANTITY, s.GROSS_MARGIN, s.COST, s.ACQUISITION_COST,
                 s.COST_TO_SERVE, s.NPS, s.CES, s.CSAT)


def _norm(name: object) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).strip().lower())


def _map_columns(df: pd.DataFrame, table: str, columns: Mapping[str, str] | None,
                 where: str) -> pd.DataFrame:
    """Rename user columns to roles; one error listing every problem."""
    roles = s.TABLES[table]
    valid = (*roles["required"], *roles["optional"])
    mapping = dict(columns or {})
    unknown = [r for r in mapping if r not in valid]
    if unknown:
        msg = (
            f"unknown role(s) {', '.join(map(repr, unknown))} in the column mapping of "
            f"the {table} table; valid roles: {', '.join(valid)}"
        )
        raise ConfigError(msg)
    _check_one_role_per_column(mapping, table)
    df = _renamed(df, [str(c).strip().lstrip("\ufeff") for c in df.columns])
    present = list(df.columns)
    absent = {role: col for role, col in mapping.items() if col not in present}
    rename = {col: role for role, col in mapping.items() if col in present}
    for role in valid:  # unmapped roles: accept "Customer ID" for customer_id
        if role not in mapping and role not in present:
            match = [c for c in present if _norm(c) == role and c not in rename]
            if len(match) == 1:
                rename[match[0]] = role
    clash = [r for c, r in rename.items() if r in present and r != c and r not in rename]
    missing = [r for r in roles["required"] if r not in rename.values() and r not in present
               and r not in absent]
    if absent or missing or clash:
        problems = []
        if absent:
            pairs = ", ".join(f"{r} -> {c!r}" for r, c in absent.items())
            problems.append(f"the column mapping names column(s) that do not exist: {pairs}")
        if missing:
            problems.append(f"required column(s) missing: {', '.join(missing)}")
        if clash:
            problems.append(f"column(s) {', '.join(map(repr, clash))} exist and are also "
                            "mapped from another column")
        msg = (
            f"{table} from {where}: {'; '.join(problems)}. Columns in {where}: "
            f"{', '.join(map(repr, present)) or 'none'}. Map roles to these columns with "
            f"columns={{'role': 'your column'}} or the [{table}.columns] section of the config."
        )
        if absent or clash:
            raise ConfigError(msg)
        raise SourceError(msg, column=missing[0])
    return _renamed(df, [rename.get(c, c) for c in df.columns])


def _renamed(df: pd.DataFrame, columns: list[Any]) -> pd.DataFrame:
    """``df`` with new column names, its data not copied (frames of millions of rows)."""
    out = df.copy(deep=False)
    out.columns = columns
    return out


def _check_one_role_per_column(mapping: Mapping[str, str], table: str) -> None:
    """Raise ConfigError when one column is mapped to two roles (names the clash)."""
    roles_of: dict[str, list[str]] = {}
    for role, col in mapping.items():
        roles_of.setdefault(str(col).strip(), []).append(role)
    clashes = {c: r for c, r in roles_of.items() if len(r) > 1}
    if clashes:
        listed = "; ".join(f"column {c!r} is mapped to {' and '.join(r)}"
                           for c, r in clashes.items())
        msg = (f"the column mapping of the {table} table maps one column to several roles: "
               f"{listed}. Map each role to its own column (copy the column in the file "
               f"first if both roles really hold the same values).")
        raise ConfigError(msg)


#: Cell texts that pandas would read as missing. Files are read keeping them as text
#: (so that an id "NA" or "None" stays an id); the date and number roles other than
#: amount treat them as missing here, as pandas would have.
_NA_TEXTS = frozenset({"#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan",
                       "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None",
                       "n/a", "nan", "null"})


def _na_texts_missing(values: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
        return values
    text = as_text(values)
    return values.mask(text.isin(_NA_TEXTS).fillna(False).astype(bool))


def _convert(df: pd.DataFrame, table: str, date_format: str | None) -> pd.DataFrame:
    """Type the role columns where that loses nothing; leave the rest for validation."""
    roles = set(s.TABLES[table]["required"]) | set(s.TABLES[table]["optional"])
    out = df.copy(deep=False)  # columns are replaced below, never written into
    for col in roles.intersection((*_DATE_ROLES, *_NUMBER_ROLES)).intersection(out.columns):
        if col != s.AMOUNT:  # "nan" / "inf" amounts are reported by validation
            out[col] = _na_texts_missing(out[col])
    for col in roles.intersection(_ID_ROLES).intersection(out.columns):
        out[col] = as_ids(out[col])
    for cols, parse in ((_DATE_ROLES, lambda v: parse_dates(v, date_format)),
                        (_NUMBER_ROLES, parse_numbers)):
        for col in roles.intersection(cols).intersection(out.columns):
            parsed = parse(out[col])
            if (parsed.notna() | is_blank(out[col])).all():
                out[col] = parsed
    return out


def load_table(
    source: str | Path | pd.DataFrame,
    *,
    table: str = "transactions",
    columns: Mapping[str, str] | None = None,
    encoding: str | None = None,
    date_format: str | None = None,
    sheet: str | int | None = None,
    sql: str | None = None,
    **read_kwargs: Any,
) -> pd.DataFrame:
    """Read one table and rename its columns to clvkit's tidy names.

    Parameters
    ----------
    source : str, pathlib.Path or pandas.DataFrame
        A file (.csv, .tsv, .txt, .parquet, .xlsx), a SQLite or DuckDB database file
        (.db, .sqlite, .duckdb: told apart by their header), a SQLAlchemy URL
        ("postgresql://user@host/db", "sqlite:///shop.db"), or a DataFrame.
    table : {"transactions", "customers", "surveys"}, default "transactions"
        Role of the table: decides the required columns (:data:`clvkit.schema.TABLES`).
    columns : mapping of str to str, optional
        ``{role: your_column}``, e.g. ``{"customer_id": "客户编号"}``. Unmapped roles
        are found by name, ignoring case, spaces and hyphens ("Customer ID").
    encoding : str, optional
        Text encoding of CSV files. Default: try "utf-8-sig" (UTF-8 with or without
        BOM), then "gb18030" (superset of GBK, Chinese Excel exports).
    date_format : str, optional
        ``strptime`` format of the date columns; default see
        :func:`clvkit.validation.parse_dates`.
    sheet : str or int, optional
        Excel sheet name or 0-based position; default the first sheet.
    sql : str, optional
        For databases: a table name, or a query (any text with a space, e.g.
        ``"SELECT * FROM orders WHERE shop = 'A'"``). Default: the role name.
    **read_kwargs
        Passed to the pandas reader (``sep=";"``, ``skiprows=2`` ...).

    Returns
    -------
    pandas.DataFrame
        The rows as read, role columns renamed to tidy names and other columns kept.
        Id columns are strings; a date or number column is typed only when every
        non-empty value parses, otherwise it keeps the raw text, so that
        :func:`clvkit.validation.validate_transactions` can set the bad rows aside
        and show their values.

    Raises
    ------
    SourceError
        Missing or empty file, unknown format, undecodable text (names the
        encodings tried and the byte offset), missing table or sheet, missing
        required columns (lists the columns that exist).
    ConfigError
        Unknown role, or a mapping to a column that does not exist.
    ParameterError
        Unknown table role or encoding.
    """
    if table not in s.TABLES:
        msg = f"table must be one of {', '.join(map(repr, s.TABLES))}; got {table!r}"
        raise ParameterError(msg)
    if isinstance(source, pd.DataFrame):
        df, where = source, "the DataFrame"
    else:
        df, where = read_source(source, sql or table, encoding, sheet, read_kwargs)
    if len(df) == 0:
        msg = (f"{where} has no data rows (columns: "
               f"{', '.join(map(repr, map(str, df.columns))) or 'none'})")
        raise SourceError(msg)
    return _convert(_map_columns(df, table, columns, where), table, date_format)


def project_root(start: str | Path | None = None) -> Path | None:
    """Return the nearest folder at or above ``start`` holding pyproject.toml or clvkit.toml.

    ``start`` defaults to the working folder; None when no folder up to the file
    system's root has either file.
    """
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if any((folder / marker).is_file() for marker in PROJECT_MARKERS):
            return folder
    return None


def existing_path(value: Any, start: str | Path | None = None) -> Path | None:
    """Return the existing file or folder a relative or absolute path names, else None.

    A relative path is looked up in ``start`` (default: the working folder) first,
    then in :func:`project_root` of ``start``. JupyterLab runs a notebook with the
    notebook's folder (``notebooks/``) as working folder, so ``data/raw/orders.csv``
    typed in a notebook means the project's ``data/raw/orders.csv``. Bundled names
    ("demo"), database URLs and non-path values give None.
    """
    if not isinstance(value, str | os.PathLike) or not str(value) or str(value) in BUNDLED:
        return None
    if is_url(str(value)):
        return None
    path = Path(value).expanduser()
    base = Path(start or Path.cwd())
    if path.is_absolute():
        return path.resolve() if path.exists() else None
    if (base / path).exists():
        return (base / path).resolve()
    root = project_root(base)
    if root is not None and (root / path).exists():
        return (root / path).resolve()
    return None


def _find_in_folder(folder: Path, role: str) -> Path | None:
    for suffix in _FILE_SUFFIXES:
        candidate = folder / f"{role}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def _locate(role: str, source: str | None, opts: Mapping[str, Any]) -> tuple[Any, str]:
    """Return (location, sql) of a role's table, or (None, "") when there is none."""
    sql = opts.get("query") or opts.get("table") or role
    if opts.get("path"):
        return opts["path"], sql
    if source is None:
        return None, ""
    path = Path(source).expanduser()
    if is_url(source) or db_kind(path):
        explicit = opts.get("query") or opts.get("table")
        if role == "transactions" or explicit or role in db_tables(source):
            return source, sql
        return None, ""
    if path.is_dir():
        return _find_in_folder(path, role), sql
    return (source, sql) if role == "transactions" else (None, "")


def _read_files(source: str | None, cfg: dict[str, Any], encoding: str | None
                ) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    tables, by_status = {}, {}
    for role in s.TABLES:
        opts = cfg[role]
        location, sql = _locate(role, source, opts)
        if location is None:
            if role == "transactions":
                where = f"folder {source}" if source else "the config"
                names = ", ".join(_FILE_SUFFIXES[:-1]) + " or " + _FILE_SUFFIXES[-1]
                msg = (f"no transactions table in {where}: expected transactions{names}, "
                       "or [transactions] path = ... in the config")
                raise SourceError(msg)
            continue
        tables[role], by_status[role] = split_status(load_table(
            location, table=role, columns=opts.get("columns"), sql=sql,
            encoding=opts.get("encoding") or encoding, sheet=opts.get("sheet"),
            date_format=opts.get("date_format"),
        ), opts.get("status_filter"))
    return tables, by_status


def _bundled(source: str, demo_customers: int, seed: int) -> Dataset:
    from . import datasets

    if source == "demo":
        # The demo arrives with a few realistic bad rows; validation sets each aside, so
        # the clean tables equal make_demo()'s and the quality report has content.
        clean = datasets.make_demo(n_customers=demo_customers, seed=seed)
        return datasets.add_quality_issues(clean, seed=seed)
    return datasets.load_cdnow_dataset(sample=source == "cdnow-sample")


def _gather(source: Any, cfg: dict[str, Any], demo_customers: int, seed: int,
            encoding: str | None) -> Dataset:
    """Read the raw tables of a source into an unvalidated Dataset."""
    if isinstance(source, Dataset):
        return source
    if isinstance(source, pd.DataFrame):
        mapping = cfg["transactions"].get("columns")
        frame = load_table(source, columns=mapping) if mapping else source
        return Dataset(transactions=frame, name="DataFrame")
    configured = bool(cfg["transactions"].get("path"))
    if source in BUNDLED and not configured:
        return _bundled(source, demo_customers, seed)
    if source in BUNDLED or source in (None, ""):
        source = None
    tables, by_status = _read_files(None if source is None else str(source), cfg, encoding)
    if source is None:
        name = Path(str(cfg["transactions"]["path"])).name
    else:
        name = masked(str(source)) if is_url(source) else Path(source).name
    return Dataset(tables["transactions"], tables.get("customers"), tables.get("surveys"),
                   name=name, extra={"status_set_aside": {  # presets' status filters
                       r: (a, tables[r].index.to_numpy()) for r, a in by_status.items()
                       if len(a)}})


def load_data(
    source: Any = "demo",
    *,
    config: str | Path | Mapping[str, Any] | None = None,
    observation_end: Any = None,
    demo_customers: int = 2000,
    seed: int = 42,
    drop_exact_duplicates: bool = False,
    keep_zero_amounts: bool | None = None,
    refunds: str | None = None,
    net_refunds: bool | None = None,
    encoding: str | None = None,
) -> Dataset:
    """Load and validate a whole data set: the entry point of notebooks and the CLI.

    Parameters
    ----------
    source : str, pathlib.Path, pandas.DataFrame or Dataset, default "demo"
        "demo" (:func:`clvkit.datasets.make_demo`), "cdnow" or "cdnow-sample"
        (:func:`clvkit.datasets.load_cdnow`); a transactions file; a folder holding
        transactions.* and optionally customers.* and surveys.* (.parquet, .csv, .tsv,
        .txt or .xlsx, looked up in that order); a SQLAlchemy URL or a SQLite/DuckDB
        file (tables "transactions", "customers", "surveys" unless the config names
        others); None or "" to take every path from the config. A transactions path
        in the config takes precedence over a bundled name.
    config : str, pathlib.Path or mapping, optional
        TOML file or dict in the format of :func:`read_config`: paths, column
        mappings, encodings, date formats and validation options.
    observation_end : date-like, optional
        Last day of the observation window; later rows are set aside. Default: the
        config's, else the bundled data set's, else the day of the last purchase or
        refund kept (dates set aside, e.g. in 2099, never stretch it).
    demo_customers : int, default 2000
        Number of customers of the demo data set.
    seed : int, default 42
        Seed of the demo data set.
    drop_exact_duplicates : bool, default False
        Set aside identical rows without order id instead of keeping and reporting them.
    keep_zero_amounts : bool, optional
        Keep (and report) zero-amount purchases instead of setting them aside. Default:
        the config's; else True for the bundled CDNOW data (the BTYD papers count its
        80 zero-value purchases: 2,357 customers in the sample, 23,570 in all) and
        False otherwise.
    refunds : {"net", "set_aside", "ignore"}, optional
        How refunds and cancellations are treated (see
        :func:`clvkit.validation.validate_transactions`). Default: the config's
        ``[transactions] refunds``, else "net": each refund or cancellation reduces or
        removes the purchase it reverses. The config's ``cancel_prefix``,
        ``cancelled_values`` and ``refunded_values`` (status role) apply.
    net_refunds : bool, optional
        Older spelling: True is ``refunds="net"``, False ``refunds="set_aside"``.
    encoding : str, optional
        Encoding of every CSV file whose config does not name one.

    Returns
    -------
    Dataset
        Clean transactions, customers and surveys (None when absent), name,
        observation_end (a Timestamp), quality (:class:`clvkit.validation.DataQuality`)
        ``extra["config"]`` and currency (the config's ``currency``, else None).

    Raises
    ------
    SourceError, ConfigError
        As :func:`load_table` and :func:`read_config`.
    DataValidationError
        If no transaction row is usable.
    """
    # relative paths: from the working folder, else from the project root (JupyterLab)
    source = str(existing_path(source) or source) if isinstance(source, str | Path) else source
    if isinstance(config, str | Path):
        config = existing_path(config) or config
    cfg = read_config(config if config is not None else {})
    raw = _gather(source, cfg, demo_customers, seed, encoding)
    end = observation_end or cfg["validation"]["observation_end"] or raw.observation_end
    if keep_zero_amounts is None:
        keep_zero_amounts = cfg["validation"]["keep_zero_amounts"]
    if keep_zero_amounts is None:
        keep_zero_amounts = raw.extra.get("source") in ("cdnow", "cdnow-sample")
    quality = validate_tables(
        raw.transactions, raw.customers, raw.surveys, observation_end=end,
        drop_exact_duplicates=drop_exact_duplicates or cfg["validation"]["drop_exact_duplicates"],
        keep_zero_amounts=keep_zero_amounts,
        date_formats={role: cfg[role].get("date_format") for role in s.TABLES},
        **_refund_options(cfg["transactions"], refunds, net_refunds),
    )
    for role, (aside, kept) in raw.extra.pop("status_set_aside", {}).items():
        quality.tables[role] = with_status_set_aside(quality[role], aside, kept)
    tx = quality["transactions"]
    if tx.n_kept == 0 or tx.clean.empty:
        msg = (f"no usable transactions in {raw.name}: all {tx.n_read:,} rows were set aside.\n"
               f"{quality.to_text()}")
        raise DataValidationError(msg, n_failed=tx.n_read, failure_cases=quality.summary())
    if end is None:  # the last day of data: a purchase, or a refund that netted one
        end = pd.concat([tx.clean[s.TIMESTAMP], tx.refunds[s.TIMESTAMP]]).max().normalize()
    return Dataset(
        transactions=tx.clean,
        customers=quality["customers"].clean if "customers" in quality else None,
        surveys=quality["surveys"].clean if "surveys" in quality else None,
        name=raw.name, observation_end=pd.Timestamp(end).normalize(), quality=quality,
        extra={**raw.extra, "config": cfg}, currency=cfg["currency"],
    )


def _refund_options(opts: Mapping[str, Any], refunds: str | None,
                    net_refunds: bool | None) -> dict[str, Any]:
    """validate_transactions() keywords from the arguments and the [transactions] config."""
    if refunds is None and net_refunds is not None:
        refunds = "net" if net_refunds else "set_aside"
    out: dict[str, Any] = {"refunds": refunds or opts.get("refunds", "net"),
                           "cancel_prefix": opts.get("cancel_prefix") or None}
    for key in ("cancelled_values", "refunded_values"):
        if key in opts:
            out[key] = tuple(opts[key])
    return out
