"""Results of validation: one :class:`ValidatedTable` per table, gathered in :class:`DataQuality`.

Private module; the public names are re-exported by :mod:`clvkit.validation`.

The summary, the plain-text report and the set-aside files are user-facing messages
in the user's language; their words come through :mod:`clvkit._messages` (the
catalogue ``locales/quality.toml``), never from :mod:`clvkit.i18n` directly.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import _messages as msg
from . import schema as s

__all__ = ["OK", "DataQuality", "ValidatedTable", "build_table", "order_sentences"]

OK = "ok"
KEPT, SET_ASIDE = "kept", "set aside"
REASON, ROW = "reason", "source_row"
_N_EXAMPLES = 3
_DATE_COLUMNS = (s.TIMESTAMP, s.DATE, s.SIGNUP_DATE, s.CHURN_DATE)
# Columns shown as examples for each reason (those present in the table).
_EXAMPLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "missing_customer_id": (),
    "unparseable_date": _DATE_COLUMNS,
    "non_numeric_amount": (s.AMOUNT,),
    "non_finite_amount": (s.CUSTOMER_ID, s.AMOUNT),
    "future_date": (s.CUSTOMER_ID, s.TIMESTAMP),
    "date_far_from_bulk": (s.CUSTOMER_ID, s.TIMESTAMP),
    "cancelled_order": (s.CUSTOMER_ID, s.ORDER_ID, s.AMOUNT, s.STATUS),
    "refund_netted": (s.CUSTOMER_ID, s.ORDER_ID, s.AMOUNT),
    "refund_unmatched": (s.CUSTOMER_ID, s.ORDER_ID, s.AMOUNT),
    "order_reversed": (s.CUSTOMER_ID, s.ORDER_ID, s.AMOUNT),
    "non_numeric_value": (s.QUANTITY, s.GROSS_MARGIN, s.COST, s.ACQUISITION_COST,
                          s.COST_TO_SERVE),
    "date_after_observation_end": (s.CUSTOMER_ID, s.TIMESTAMP, s.DATE),
    "negative_amount": (s.CUSTOMER_ID, s.AMOUNT),
    "zero_amount": (s.CUSTOMER_ID, s.TIMESTAMP),
    "duplicate_order_id": (s.ORDER_ID,),
    "exact_duplicate": (s.CUSTOMER_ID, s.TIMESTAMP, s.AMOUNT),
    "duplicate_customer_id": (s.CUSTOMER_ID,),
    "score_out_of_range": (s.NPS, s.CES, s.CSAT),
    "unknown_customer": (s.CUSTOMER_ID,),
}


def label(code: str, lang: str | None = None) -> str:
    """Return the human label of a reason code ("negative amount (refund/return)")."""
    return msg.say(f"quality.{code}", lang)


@dataclass
class ValidatedTable:
    """One validated table: clean rows, rows set aside and per-reason counts.

    Attributes
    ----------
    table : str
        "transactions", "customers" or "surveys".
    clean : pandas.DataFrame
        Kept rows, typed, with a fresh 0..n-1 index.
    set_aside : pandas.DataFrame
        Rows set aside, as read, with ``reason`` (code) and ``source_row`` (1-based
        position in the table read, header excluded) in front.
    refunds : pandas.DataFrame
        Transactions only (empty otherwise). With ``refunds="net"``: one row per
        refund or cancellation (its lines summed; ``amount`` negative) with ``match``
        ("order_id", "earlier_purchase", "customer" or "unmatched"),
        ``matched_order_id``, ``netted`` and ``unmatched`` amounts. Otherwise the
        typed negative-amount rows.
    flagged : pandas.DataFrame
        Kept rows that carry a note (``exact_duplicate``, ``unknown_customer``), as
        read, with ``reason`` and ``source_row``.
    counts : pandas.DataFrame
        One row per outcome: reason, label, action ("kept" / "set aside"), rows,
        share (of rows read), examples. ``rows`` adds up to ``n_read``.
    n_read, n_kept : int
        Rows read and rows kept. ``clean`` has ``n_kept`` rows, except for a
        line-level transaction log, whose kept lines are summed to one row per order
        (``shape``).
    observation_end : pandas.Timestamp or None
        The observation end the table was checked against.
    reversals : dict
        Transactions only: the refund rule (``mode``: "net", "set_aside" or
        "ignore") and its counts. For "net": n_reversals, n_matched_by_order_id,
        n_matched_earlier_purchase, n_netted_customer_level, n_unmatched,
        amount_unmatched, n_cancelled_by_status, n_orders_reversed_fully,
        n_orders_reversed_partly, revenue_reversed (in the data's currency).
    shape : dict
        Transactions only: ``shape`` ("lines": several rows per order, summed;
        "orders": one row per order), n_lines (purchase rows kept), n_orders (rows
        of ``clean`` before netting) and n_shared_order_ids (order ids used by more
        than one customer, kept as separate orders).
    """

    table: str
    clean: pd.DataFrame
    set_aside: pd.DataFrame
    refunds: pd.DataFrame
    flagged: pd.DataFrame
    counts: pd.DataFrame
    n_read: int
    n_kept: int
    observation_end: pd.Timestamp | None = None
    reversals: dict = field(default_factory=dict)
    shape: dict = field(default_factory=dict)

    @property
    def n_set_aside(self) -> int:
        """Number of rows set aside."""
        return self.n_read - self.n_kept

    def __repr__(self) -> str:
        return (
            f"ValidatedTable({self.table!r}, n_read={self.n_read:,}, "
            f"n_kept={self.n_kept:,}, n_set_aside={self.n_set_aside:,})"
        )


def _pad(text: str, width: int) -> str:
    """Left-align ``text`` in ``width`` columns, counting CJK characters as two."""
    wide = sum(unicodedata.east_asian_width(ch) in "WF" for ch in text)
    return text + " " * max(width - len(text) - wide, 0)


def _cell(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "(empty)"
    if isinstance(value, pd.Timestamp) and value == value.normalize():
        return str(value.date())
    return str(value)


def _examples(rows: pd.DataFrame, code: str) -> str:
    columns = [c for c in _EXAMPLE_COLUMNS.get(code, ()) if c in rows]
    parts = []
    for _, row in rows.head(_N_EXAMPLES).iterrows():
        shown = " ".join(repr(_cell(row[c])) for c in columns)
        parts.append(f"row {row[ROW]}" + (f": {shown}" if shown else ""))
    return "; ".join(parts)


def _with_reason(raw: pd.DataFrame, codes: pd.Series, mask: pd.Series) -> pd.DataFrame:
    out = raw[mask].copy()
    out.insert(0, ROW, out.index + 1)
    out.insert(0, REASON, codes[mask])
    return out.reset_index(drop=True)


def _counts(
    raw_rows: pd.DataFrame, reasons: Sequence[str], n_read: int, kept_codes: Sequence[str],
    n_ok: int,
) -> pd.DataFrame:
    """One row per outcome; ``raw_rows``: the annotated rows whose outcome is not OK."""
    records = []
    for code in (OK, *reasons):
        rows = raw_rows[raw_rows[REASON] == code]
        n = n_ok if code == OK else len(rows)
        kept = code == OK or code in kept_codes
        records.append({
            "reason": code,
            "label": label(code),
            "action": KEPT if kept else SET_ASIDE,
            "rows": n,
            "share": n / n_read if n_read else 0.0,
            "examples": "" if code == OK else _examples(rows, code),
        })
    return pd.DataFrame.from_records(records)


def _as_int(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    for col in columns:
        if col in frame:
            frame[col] = frame[col].astype("int64" if frame[col].notna().all() else "Int64")
    return frame


def build_table(
    table: str,
    raw: pd.DataFrame,
    typed: pd.DataFrame,
    reason: pd.Series,
    note: pd.Series,
    *,
    reasons: Sequence[str],
    observation_end: pd.Timestamp | None,
    kept_codes: Sequence[str] = (),
    sort_by: str | None = None,
    refunds: pd.DataFrame | None = None,
    int_columns: Sequence[str] = (),
    clean: pd.DataFrame | None = None,
    reversals: dict | None = None,
    shape: dict | None = None,
) -> ValidatedTable:
    """Assemble a :class:`ValidatedTable` from per-row reasons (set aside) and notes (kept).

    ``kept_codes`` are the codes used as notes on kept rows (their action is "kept").
    ``clean`` replaces the kept typed rows (orders summed from order lines).
    """
    kept = reason.isna()
    clean = typed[kept] if clean is None else clean
    if sort_by is not None and not clean[sort_by].is_monotonic_increasing:
        clean = clean.sort_values(sort_by, kind="stable", ignore_index=True)
    else:  # already in order (or not sorted): renumber without copying the rows again
        clean = clean.copy(deep=False)
        clean.index = pd.RangeIndex(len(clean))
    clean = _as_int(clean, int_columns)
    outcome = np.where(kept, np.where(note.notna(), note, OK), reason)
    # only the rows not OK are annotated and searched per reason (OK rows are counted)
    other = outcome != OK
    annotated = raw[other].assign(**{REASON: outcome[other], ROW: raw.index[other] + 1})
    return ValidatedTable(
        table=table,
        clean=clean,
        set_aside=_with_reason(raw, reason, ~kept),
        refunds=refunds if refunds is not None else typed.iloc[0:0].reset_index(drop=True),
        flagged=_with_reason(raw, note, kept & note.notna()),
        counts=_counts(annotated, reasons, len(raw), kept_codes, int((~other).sum())),
        n_read=len(raw),
        n_kept=int(kept.sum()),
        observation_end=observation_end,
        reversals=dict(reversals or {}),
        shape=dict(shape or {}),
    )


def order_sentences(v: ValidatedTable, lang: str | None = None) -> list[str]:
    """Plain-text sentences on the shape read (lines or orders) and the refund rule."""
    out = []
    if v.shape:
        key = "quality.shape_lines" if v.shape["shape"] == "lines" else "quality.shape_orders"
        out.append(msg.say(key, lang, lines=msg.count(v.shape["n_lines"]),
                           orders=msg.count(v.shape["n_orders"])))
    r = v.reversals
    if r.get("mode") == "net" and r["n_reversals"] + r["n_cancelled_by_status"]:
        out.append(msg.say(
            "quality.reversals_net", lang, n=msg.count(r["n_reversals"]),
            status=msg.count(r["n_cancelled_by_status"]),
            full=msg.count(r["n_orders_reversed_fully"]),
            partly=msg.count(r["n_orders_reversed_partly"]),
            revenue=msg.number(r["revenue_reversed"], 2),
            customer=msg.count(r["n_netted_customer_level"]),
            unmatched=msg.count(r["n_unmatched"]),
            amount_unmatched=msg.number(r["amount_unmatched"], 2),
        ))
    elif r.get("mode") in ("set_aside", "ignore") and r["n_reversals"]:
        out.append(msg.say(f"quality.reversals_{r['mode']}", lang, n=msg.count(r["n_reversals"])))
    return out


@dataclass
class DataQuality:
    """What validation kept and set aside, for every table of a data set.

    Attributes
    ----------
    tables : dict of str to ValidatedTable
        In the order transactions, customers, surveys (those present).
    observation_end : pandas.Timestamp or None
        The observation end used for the date checks.
    """

    tables: dict[str, ValidatedTable] = field(default_factory=dict)
    observation_end: pd.Timestamp | None = None

    def __getitem__(self, table: str) -> ValidatedTable:
        return self.tables[table]

    def __contains__(self, table: object) -> bool:
        return table in self.tables

    def __iter__(self) -> Iterator[str]:
        return iter(self.tables)

    @property
    def is_clean(self) -> bool:
        """True when no row of any table was set aside (kept notes do not count)."""
        return all(v.n_set_aside == 0 for v in self.tables.values())

    def summary(self, lang: str | None = None) -> pd.DataFrame:
        """Return one row per table and outcome; per table, ``rows`` adds up to rows read.

        Parameters
        ----------
        lang : {"en", "zh"}, optional
            Language of ``label``; default the current report language.

        Returns
        -------
        pandas.DataFrame
            Columns table, reason (stable code), label, action ("kept" or
            "set aside"), rows, share (of the table's rows read), examples.
        """
        frames = [
            v.counts.assign(table=name, label=[label(c, lang) for c in v.counts["reason"]])
            for name, v in self.tables.items()
        ]
        if not frames:
            columns = ["table", "reason", "label", "action", "rows", "share", "examples"]
            return pd.DataFrame(columns=columns)
        out = pd.concat(frames, ignore_index=True)
        return out[["table", "reason", "label", "action", "rows", "share", "examples"]]

    def to_text(self, lang: str | None = None) -> str:
        """Return the summary as plain text: per table, rows read/kept/set aside by reason."""
        head = msg.say("quality.title", lang)
        if self.observation_end is not None:
            head += msg.say("quality.until", lang, end=str(self.observation_end.date()))
        lines = [head]
        for name, v in self.tables.items():
            share = v.n_set_aside / v.n_read if v.n_read else 0.0
            lines.append(msg.say(
                "quality.table_line", lang, table=msg.say(f"quality.table.{name}", lang),
                read=msg.count(v.n_read), kept=msg.count(v.n_kept),
                aside=msg.count(v.n_set_aside), share=msg.share(share),
            ))
            for row in v.counts[(v.counts["rows"] > 0) & (v.counts["reason"] != OK)].itertuples():
                action = msg.say("quality.action." + row.action.replace(" ", "_"), lang)
                lines.append(
                    f"  {_pad(action, 10)} {_pad(label(row.reason, lang), 40)}"
                    f" {msg.count(row.rows):>9} {msg.share(row.share):>7}  {row.examples}"
                )
            lines.extend("  " + text for text in order_sentences(v, lang))
        lines.append(msg.say("quality.all_clean" if self.is_clean else "quality.see_files", lang))
        return "\n".join(lines)

    def write_set_aside(self, directory: str | Path, lang: str | None = None) -> list[Path]:
        """Write ``<table>_set_aside.csv`` (UTF-8 with BOM, opens in Excel) per table.

        Every table validated gets a file, with only its header when nothing was set
        aside (so no stale file from an earlier run survives). Columns: reason,
        reason_label, source_row, then the columns as read.

        Returns
        -------
        list of pathlib.Path
            The files written.
        """
        folder = Path(directory)
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for name, v in self.tables.items():
            out = v.set_aside.copy()
            out.insert(1, "reason_label", [label(c, lang) for c in out[REASON]])
            path = folder / f"{name}_set_aside.csv"
            out.to_csv(path, index=False, encoding="utf-8-sig")
            written.append(path)
        return written

    def __repr__(self) -> str:
        parts = ", ".join(
            f"{k}: {v.n_read:,} read / {v.n_set_aside:,} set aside"
            for k, v in self.tables.items()
        )
        return f"DataQuality({parts})"
