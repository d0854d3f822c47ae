"""Readers behind :func:`clvkit.io.load_table`: text files, Parquet, Excel, databases.

Private module. Every failure becomes one :class:`~clvkit.exceptions.SourceError`
saying what could not be read and what to do.
"""

from __future__ import annotations

import io as _stdio
import re
from pathlib import Path
from typing import Any

import pandas as pd

from .exceptions import ParameterError, SourceError

__all__ = ["BUNDLED", "db_kind", "db_tables", "is_url", "masked", "read_source"]

#: Names of the bundled data sets accepted by :func:`clvkit.io.load_data`.
BUNDLED = ("demo", "cdnow", "cdnow-sample")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_SEPARATORS = {".csv": ",", ".tsv": "\t", ".txt": None}  # None: sniff
_DB_SUFFIXES = (".duckdb", ".ddb", ".db", ".sqlite", ".sqlite3")
_ENCODINGS = ("utf-8-sig", "gb18030")


def is_url(source: object) -> bool:
    return isinstance(source, str) and bool(_URL.match(source))


def masked(url: str) -> str:
    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", url)


def _is_query(sql: str) -> bool:
    return bool(re.search(r"\s", sql.strip()))


def db_kind(path: Path) -> str | None:
    """Return "sqlite" or "duckdb" for database files, None for other files."""
    if path.suffix.lower() not in _DB_SUFFIXES or not path.is_file():
        return None
    with path.open("rb") as fh:
        head = fh.read(16)
    if head.startswith(b"SQLite format 3\x00"):
        return "sqlite"
    if head[8:12] == b"DUCK" or path.suffix.lower() in (".duckdb", ".ddb"):
        return "duckdb"
    msg = f"{path.name} is neither a SQLite nor a DuckDB database file"
    raise SourceError(msg)


def _decode(raw: bytes, name: str, encoding: str | None) -> str:
    tried = []
    for enc in (encoding,) if encoding else _ENCODINGS:
        try:
            return raw.decode(enc)
        except LookupError:
            msg = f"unknown encoding {enc!r}; use a Python codec name such as 'gb18030'"
            raise ParameterError(msg) from None
        except UnicodeDecodeError as err:
            line = raw.count(b"\n", 0, err.start) + 1
            tried.append(
                f"{enc} (byte 0x{raw[err.start]:02x} at byte offset {err.start:,}, line {line:,})"
            )
    msg = (
        f"cannot decode {name}: tried {'; '.join(tried)}. Pass encoding= "
        "(or encoding in the config) with the file's encoding, e.g. 'big5', "
        "'shift_jis' or 'latin-1'."
    )
    raise SourceError(msg)


def _read_csv(path: Path, encoding: str | None, kwargs: dict[str, Any]) -> pd.DataFrame:
    raw = path.read_bytes()
    if not raw.strip(b" \t\r\n\xef\xbb\xbf"):
        msg = f"{path.name} is empty (0 data rows); expected a header line and rows"
        raise SourceError(msg)
    # only empty cells are missing: an id "NA", "None" or "null" stays an id
    options: dict[str, Any] = {"sep": _SEPARATORS.get(path.suffix.lower(), ","), "dtype": str,
                               "keep_default_na": False, "na_values": [""]}
    options.update(kwargs)
    if options["sep"] is None:
        options["engine"] = "python"
    try:
        return pd.read_csv(_stdio.StringIO(_decode(raw, path.name, encoding)), **options)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        msg = f"cannot read {path.name} as a delimited text file: {err}"
        raise SourceError(msg) from None


def _read_excel(path: Path, sheet: str | int | None, kwargs: dict[str, Any]) -> pd.DataFrame:
    try:
        book = pd.ExcelFile(path, engine="openpyxl")
    except Exception as err:  # zipfile/openpyxl raise many types for a bad file
        msg = f"cannot open {path.name} as an .xlsx workbook: {err}"
        raise SourceError(msg) from None
    with book:
        names = book.sheet_names
        if isinstance(sheet, str) and sheet not in names:
            msg = f"{path.name} has no sheet {sheet!r}; its sheets: {', '.join(map(repr, names))}"
            raise SourceError(msg)
        # dtype=object keeps text cells such as "001" as text (types are set later)
        # only empty cells are missing: an id "NA", "None" or "null" stays an id
        return book.parse(sheet if sheet is not None else 0,
                          **{"dtype": object, "keep_default_na": False, "na_values": [""],
                             **kwargs})


def _read_sqlalchemy(url: str, sql: str, kwargs: dict[str, Any]) -> pd.DataFrame:
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(url)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as err:
        msg = f"cannot use the database URL {masked(url)}: {err}"
        raise SourceError(msg) from None
    db = engine.url.database
    if engine.url.get_backend_name() == "sqlite" and db not in (None, "", ":memory:"):
        if not Path(db).is_file():
            msg = f"SQLite database file not found: {db} (from {masked(url)})"
            raise SourceError(msg)
    try:
        with engine.connect() as con:
            if _is_query(sql):
                return pd.read_sql_query(sa.text(sql), con, **kwargs)
            _check_table(sql, _sa_tables(con), masked(url))
            return pd.read_sql_table(sql, con, **kwargs)
    except sa.exc.SQLAlchemyError as err:
        msg = f"database query failed on {masked(url)}: {getattr(err, 'orig', None) or err}"
        raise SourceError(msg) from None
    finally:
        engine.dispose()


def _read_duckdb(path: Path, sql: str) -> pd.DataFrame:
    import duckdb

    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as err:
        msg = f"cannot open DuckDB file {path.name}: {err}"
        raise SourceError(msg) from None
    try:
        if _is_query(sql):
            return con.execute(sql).df()
        _check_table(sql, _duckdb_tables(con), path.name)
        return con.execute('SELECT * FROM "{}"'.format(sql.replace('"', '""'))).df()
    except duckdb.Error as err:
        msg = f"DuckDB query failed on {path.name}: {err}"
        raise SourceError(msg) from None
    finally:
        con.close()


def _sa_tables(bind: Any) -> list[str]:
    import sqlalchemy as sa

    inspector = sa.inspect(bind)
    return [*inspector.get_table_names(), *inspector.get_view_names()]


def _duckdb_tables(con: Any) -> list[str]:
    rows = con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    return [r[0] for r in rows]


def _check_table(name: str, tables: list[str], where: str) -> None:
    if name not in tables:
        listed = ", ".join(map(repr, sorted(tables))) or "none"
        msg = (
            f"{where} has no table {name!r}; its tables: {listed}. Pass the table "
            "name or a SELECT query (sql=..., or table/query in the config)."
        )
        raise SourceError(msg)


def read_source(source: str | Path, sql: str, encoding: str | None, sheet: str | int | None,
                kwargs: dict[str, Any]) -> tuple[pd.DataFrame, str]:
    """Read any supported source; return the frame and a short name for messages."""
    if is_url(source):
        return _read_sqlalchemy(str(source), sql, kwargs), masked(str(source))
    path = Path(source).expanduser()
    if not path.exists():
        msg = f"no such file: {path}"
        if isinstance(source, str) and "/" not in source and "." not in source:
            msg += f" (bundled data sets: {', '.join(BUNDLED)})"
        raise SourceError(msg)
    if path.is_dir():
        msg = f"{path} is a folder; load_table() reads one file (load_data() reads folders)"
        raise SourceError(msg)
    kind, suffix = db_kind(path), path.suffix.lower()
    if kind == "sqlite":
        return _read_sqlalchemy(f"sqlite:///{path}", sql, kwargs), path.name
    if kind == "duckdb":
        return _read_duckdb(path, sql), path.name
    if suffix in _SEPARATORS:
        return _read_csv(path, encoding, kwargs), path.name
    if suffix == ".parquet":
        try:
            return pd.read_parquet(path, **kwargs), path.name
        except Exception as err:  # pyarrow raises ArrowInvalid, OSError, ...
            msg = f"cannot read {path.name} as Parquet: {err}"
            raise SourceError(msg) from None
    if suffix in (".xlsx", ".xlsm"):
        return _read_excel(path, sheet, kwargs), path.name
    msg = (
        f"cannot read {path.name}: unknown file type {suffix or '(none)'!r}. Supported: "
        ".csv, .tsv, .txt, .parquet, .xlsx, .duckdb/.db/.sqlite, or a database URL "
        "(save .xls workbooks as .xlsx)"
    )
    raise SourceError(msg)


def db_tables(location: str | Path) -> list[str]:
    """Names of the tables and views of a database URL or SQLite/DuckDB file."""
    import sqlalchemy as sa

    if not is_url(location) and db_kind(Path(location)) == "duckdb":
        import duckdb

        with duckdb.connect(str(location), read_only=True) as con:
            return _duckdb_tables(con)
    url = str(location) if is_url(location) else f"sqlite:///{location}"
    engine = sa.create_engine(url)
    try:
        return _sa_tables(engine)
    except sa.exc.SQLAlchemyError as err:
        msg = f"cannot list the tables of {masked(url)}: {getattr(err, 'orig', None) or err}"
        raise SourceError(msg) from None
    finally:
        engine.dispose()
