"""The last check on a report folder before it is published: personal data and secrets.

Notebooks write tables with ``ctx.save_table``; the runner then passes the whole
staging folder through :func:`sanitise_folder`, fail-closed:

* ``<table>_set_aside.csv`` of a **client** report keeps only the bookkeeping
  columns (``reason``, ``reason_label``, ``source_row``) and the columns mapped to
  a known role of that table (:data:`clvkit.schema.TABLES`), without the personal
  roles (name, email, phone). Columns the user's file had beyond those
  (``Full Name``, ``Mobile``, ``contact_email``, anything else) never reach it.
* Free text (survey ``comment``) is left out of a client report unless asked
  for (``free_text=True``); when it is kept (analyst audience or asked), e-mail
  addresses and phone numbers in it are masked.
* Every other CSV/Parquet loses columns whose names look like personal data, for
  both audiences.
* Secrets (a database password, the pseudonym key) are replaced by ``***`` in
  every text file of the folder, kept notebooks and HTML included.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from .. import schema
from ._privacy import is_pii_column, mask_contacts

__all__ = ["FREE_TEXT_COLUMNS", "sanitise_folder", "scrub_secrets"]

#: Columns holding free text typed by customers or staff.
FREE_TEXT_COLUMNS = frozenset({schema.COMMENT})
_BOOKKEEPING = ("reason", "reason_label", "source_row", "customer_ref")
_TEXT_SUFFIXES = (".html", ".ipynb", ".json", ".csv", ".txt", ".md", ".log")


def _allowed(table: str) -> set[str]:
    roles = schema.TABLES.get(table, {})
    names = set(roles.get("required", ())) | set(roles.get("optional", ()))
    return (names - set(schema.PII_COLUMNS)) | set(_BOOKKEEPING)


def _clean(frame: pd.DataFrame, *, table: str | None, client: bool,
           free_text: bool) -> pd.DataFrame:
    keep = []
    for column in frame.columns:
        if column in FREE_TEXT_COLUMNS:
            if client and not free_text:
                continue
        elif is_pii_column(column) or column in schema.PII_COLUMNS:
            continue
        elif client and table is not None and column not in _allowed(table):
            continue
        keep.append(column)
    out = frame[keep].copy()
    for column in keep:
        if column in FREE_TEXT_COLUMNS:
            out[column] = out[column].map(mask_contacts)
    return out


def sanitise_folder(folder: Path, *, client: bool, free_text: bool = False) -> list[str]:
    """Rewrite the tables of a report folder so no personal data leaves with it.

    Parameters
    ----------
    folder : pathlib.Path
        The run's staging folder (top-level ``*.csv`` and ``*.parquet``).
    client : bool
        A client report: set-aside files keep only role columns; free text is
        dropped unless ``free_text``.
    free_text : bool, default False
        Keep free-text columns (masked) in a client report.

    Returns
    -------
    list of str
        ``"<file>: <column>"`` for every column removed.
    """
    removed: list[str] = []
    for path in sorted([*folder.glob("*.csv"), *folder.glob("*.parquet")]):
        table = (path.name.removesuffix("_set_aside.csv")
                 if path.name.endswith("_set_aside.csv") else None)
        if path.suffix == ".csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        else:
            frame = pd.read_parquet(path)
        out = _clean(frame, table=table, client=client, free_text=free_text)
        gone = [c for c in frame.columns if c not in out.columns]
        masked = any(not out[c].equals(frame[c]) for c in out.columns
                     if c in FREE_TEXT_COLUMNS)
        if not gone and not masked:
            continue
        removed += [f"{path.name}: {c}" for c in gone]
        if path.suffix == ".csv":
            out.to_csv(path, index=False, encoding="utf-8-sig")
        else:
            out.to_parquet(path, index=False)
    return removed


#: Shortest secret that :func:`scrub_secrets` replaces in the output files.
MIN_SCRUBBED = 6


def scrub_secrets(folder: Path, secrets: Iterable[str]) -> None:
    """Replace every secret by ``***`` in the text files under ``folder``.

    Secrets shorter than :data:`MIN_SCRUBBED` characters are left alone: replacing
    a one-letter salt everywhere would corrupt every file (``run.json`` included)
    while protecting nothing; such a key is shown nowhere by clvkit anyway.
    """
    secrets = sorted({s for s in secrets if len(s) >= MIN_SCRUBBED}, key=len, reverse=True)
    if not secrets or not folder.is_dir():
        return
    for path in folder.rglob("*"):
        if not path.is_file() or path.suffix.lower() not in _TEXT_SUFFIXES:
            continue
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        new = text
        for secret in secrets:
            new = new.replace(secret, "***")
        if new != text:
            path.write_text(new, encoding="utf-8", errors="surrogateescape")
