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

__all__ = ["BUNDLED", "db_kind", "db_tables", "is_url", "mask_text", "masked", "read_parquet",
           "read_source", "url_secrets"]

#: Names of the bundled data sets accepted by :func:`clvkit.io.load_data`.
BUNDLED = ("demo", "cdnow", "cdnow-sample")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_SEPARATORS = {".csv": ",", ".tsv": "\t", ".txt": None}  # None: sniff
_DB_SUFFIXES = (".duckdb", ".ddb", ".db", ".sqlite", ".sqlite3")
_ENCODINGS = ("utf-8-sig", "gb18030")


def is_url(source: object) -> bool:
    return isinstance(source, str) and bool(_URL.match(source))


_SECRET_QUERY = re.compile(
    r"([?&;](?:password|passwd|pwd|pass|secret|token|api_key|apikey|access_token)=)[^&;#\s]*",
    re.IGNORECASE,
)
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://[^:/@?#\s]*:)(.*)@([^@]*)$", re.DOTALL)
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S+")


def masked(url: str) -> str:
    """Return a database URL with its password shown as ``***``.

    The password in the user part is hidden with SQLAlchemy's own
    ``make_url(url).render_as_string(hide_password=True)``, and query parameters
    such as ``?password=`` / ``token=`` are masked too. A password holding a raw
    ``@`` or ``/`` (not percent-encoded) makes the URL ambiguous to SQLAlchemy's
    parser, which would then show part of it as the host; such URLs are masked up to
    the last ``@`` instead. Anything that is not a URL is returned unchanged.
    """
    if not isinstance(url, str) or "://" not in url:
        return url
    out = _SECRET_QUERY.sub(r"\1***", url)
    match = _USERINFO.match(out)
    if match is None:  # no password in the user part
        return out
    password = match.group(2)
    if "@" not in password and "/" not in password:
        try:
            from sqlalchemy.engine import make_url

            rendered = make_url(url).render_as_string(hide_password=True)
        except Exception:  # not a URL SQLAlchemy parses: fall back to the pattern
            rendered = None
        if rendered is not None and (not password or password not in rendered):
            return _SECRET_QUERY.sub(r"\1***", rendered)
    return f"{match.group(1)}***@{match.group(3)}"


def mask_text(text: str) -> str:
    """Return ``text`` with every URL in it :func:`masked` (for messages and logs)."""
    if not isinstance(text, str) or "://" not in text:
        return text
    return _URL_IN_TEXT.sub(lambda m: masked(m.group(0)), text)


def url_secrets(url: str) -> list[str]:
    """The secret strings of a URL (user password, ``?password=`` values), raw and decoded.

    The report runner removes them from every file of a report, wherever a library
    may have quoted them (a traceback, a log line).
    """
    from urllib.parse import unquote

    if not isinstance(url, str) or "://" not in url:
        return []
    found = [m.group(0).split("=", 1)[1] for m in _SECRET_QUERY.finditer(url)]
    match = _USERINFO.match(_SECRET_QUERY.sub(r"\1***", url))
    if match is not None:
        found.append(match.group(2))
    out = set()
    for value in found:
        for whole in (value, unquote(value)):
            # a raw "@" or "/" makes parsers split the password: hide the pieces too
            cuts = [i for i, ch in enumerate(whole) if ch in "@/:"]
            pieces = {whole, *(whole[:i] for i in cuts), *(whole[i + 1:] for i in cuts)}
            out.update(p for p in pieces if len(p) >= 3 and p != "***")
    return sorted(out, key=len, reverse=True)


def _scrubbed(err: object, url: str) -> str:
    """A driver's error text with URLs masked and the URL's secrets removed."""
    text = mask_text(str(err))
    for secret in url_secrets(url):
        text = text.replace(secret, "***")
    return text


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
        return pd.read_excel(book, sheet if sheet is not None else 0,
                             **{"dtype": object, "keep_default_na": False, "na_values": [""],
                                **kwargs})


def _read_sqlalchemy(url: str, sql: str, kwargs: dict[str, Any]) -> pd.DataFrame:
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(url)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as err:
        msg = f"cannot use the database URL {masked(url)}: {_scrubbed(err, url)}"
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
    except (sa.exc.SQLAlchemyError, pd.errors.DatabaseError) as err:
        # pandas 3 wraps the driver's error in its DatabaseError (the cause)
        cause = err.__cause__ if isinstance(err, pd.errors.DatabaseError) else err
        reason = _scrubbed(getattr(cause, "orig", None) or cause or err, url)
        msg = f"database query failed on {masked(url)}: {reason}"
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
            return read_parquet(path, kwargs), path.name
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


#: Rows looked at to tell a column of repeated strings (channel, customer id) from a
#: column of distinct ones (order id).
_SAMPLE_ROWS = 100_000


def read_parquet(path: Path, kwargs: dict[str, Any]) -> pd.DataFrame:
    """``pandas.read_parquet(path, **kwargs)``, the same frame, faster on repeated strings.

    pandas 2 makes one Python object per distinct string of a column (pyarrow's
    ``deduplicate_objects``), hashing Python objects row by row: 24 s for a 7 million
    row log. Here the columns whose strings repeat (channel, category, customer id:
    at most 90% distinct in the first 100,000 rows) are dictionary-encoded by Arrow and
    each distinct string made once; the others are converted row by row without the
    hashing. Missing strings are None, as pandas gives them. With ``kwargs`` or the
    string dtype of pandas 3 (no Python objects at all) pandas reads the file itself.
    """
    from ._parse import text_dtype

    if kwargs or str(text_dtype()) != "object":
        return pd.read_parquet(path, **kwargs)
    import json

    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pq.read_table(path, use_pandas_metadata=True)
    meta = table.schema.pandas_metadata or {}
    index = {c for c in meta.get("index_columns", []) if isinstance(c, str)}
    # the frame's columns are the fields that do not become the index, in schema order
    position = {i: k for k, i in enumerate(
        i for i, field in enumerate(table.schema) if field.name not in index)}
    repeated = []
    for i, field in enumerate(table.schema):
        if i not in position:
            continue  # an index column: pandas builds the index from it as it would itself
        if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
            head = table.column(i).slice(0, _SAMPLE_ROWS)
            if len(head) and pc.count_distinct(head).as_py() <= 0.9 * len(head):
                table = table.set_column(i, field.name, table.column(i).dictionary_encode())
                repeated.append(i)
    df = table.to_pandas(deduplicate_objects=False)
    if df.shape[1] != len(position):  # a layout this reader does not know: pandas reads it
        return pd.read_parquet(path)
    for i in repeated:
        cat = df.iloc[:, position[i]].array
        codes = np.asarray(cat.codes)
        values = cat.categories.to_numpy(dtype=object)
        out = values.take(codes) if len(values) else np.full(len(codes), None, dtype=object)
        out[codes < 0] = None
        df.isetitem(position[i], out)
    if table.schema.metadata and b"PANDAS_ATTRS" in table.schema.metadata:
        df.attrs = json.loads(table.schema.metadata[b"PANDAS_ATTRS"])
    return df


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
    except (sa.exc.SQLAlchemyError, pd.errors.DatabaseError) as err:
        # pandas 3 wraps the driver's error in its DatabaseError (the cause)
        cause = err.__cause__ if isinstance(err, pd.errors.DatabaseError) else err
        reason = _scrubbed(getattr(cause, "orig", None) or cause or err, url)
        msg = f"cannot list the tables of {masked(url)}: {reason}"
        raise SourceError(msg) from None
    finally:
        engine.dispose()
