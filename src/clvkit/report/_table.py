"""Display-ready tables: formatted, translated, escaped and free of raw ids."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import i18n
from .._export import column_kind
from ._privacy import drop_pii, pseudonymise_frame

__all__ = ["Table", "make_table"]

#: Rows shown by default; the rest are summarised in a note under the table.
DEFAULT_MAX_ROWS = 25


@dataclass(frozen=True)
class Table:
    """A table ready to show in a report.

    ``data`` holds the display strings (already formatted, ids pseudonymised when the
    audience is a client); the HTML representation escapes every cell and header, so
    text coming from the data (segment names, comments) cannot inject markup.

    Attributes
    ----------
    data : pandas.DataFrame
        Formatted cells (strings), translated headers.
    n_rows : int
        Rows in the table before truncation to ``max_rows``.
    caption : str
        Optional caption shown above the table.
    """

    data: pd.DataFrame
    n_rows: int
    caption: str = ""
    empty_note: str = ""
    show_index: bool = True

    numeric: tuple[str, ...] = ()
    #: The data column behind each shown column (``data-col`` on its header), so a
    #: reader or a test can tell which number a column shows whatever its label.
    sources: tuple[str, ...] = ()

    #: Tables with more columns than this get the compact "clv-wide" layout.
    WIDE = 7

    def _html_table(self) -> str:
        """Escape every header and cell; right-align numeric columns (class "num")."""
        cols = list(self.data.columns)
        align = [' class="num"' if c in self.numeric else "" for c in cols]
        sources = list(self.sources) if len(self.sources) == len(cols) else [""] * len(cols)
        marks = [f' data-col="{html.escape(src)}"' if src else "" for src in sources]
        head = "".join(f"<th{a}{m}>{html.escape(str(c))}</th>"
                       for c, a, m in zip(cols, align, marks, strict=True))
        if self.show_index:
            head = "<th></th>" + head
        rows = []
        for label, values in zip(self.data.index, self.data.itertuples(index=False),
                                 strict=True):
            cells = "".join(f"<td{a}>{html.escape(str(v))}</td>" for v, a in zip(values, align,
                                                                              strict=True))
            if self.show_index:
                cells = f"<th>{html.escape(str(label))}</th>" + cells
            rows.append(f"<tr>{cells}</tr>")
        wide = " clv-wide" if len(cols) + self.show_index > self.WIDE else ""
        return (f'<div class="clv-table-wrap"><table class="clv-table{wide}">'
                f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>")

    def _repr_html_(self) -> str:
        if self.data.empty:
            return f'<p class="clv-empty">{html.escape(self.empty_note)}</p>'
        parts = [self._html_table()]
        if self.caption:
            parts.insert(0, f'<p class="clv-caption">{html.escape(self.caption)}</p>')
        if self.n_rows > len(self.data):
            note = i18n.t("report_rows_shown", shown=len(self.data), total=f"{self.n_rows:,}")
            parts.append(f'<p class="clv-note">{html.escape(note)}</p>')
        return "\n".join(parts)

    def __repr__(self) -> str:
        if self.data.empty:
            return self.empty_note
        return self.data.to_string(index=self.show_index)


def _translate(label: object) -> object:
    return i18n.column_label(label)


#: Amount columns formatted with the currency even when the notebook does not list
#: them (names that hold nothing but money); other money columns need ``money=``.
_AUTO_MONEY = frozenset({
    "clv", "clv_per_customer", "base_value", "value_change", "retention_cost",
    "net_value_change", "equivalent_acquisition_cost", "value_at_stake", "customer_value",
    "expected_spend", "revenue", "profit", "mean_value"})


def _missing(value: object) -> bool:
    return value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value))


def _formatter(kind: str, currency: str, decimals: int | None) -> Callable[[object], str]:
    def fmt(value: object) -> str:
        if _missing(value):
            return "–"
        if kind == "money":
            return i18n.format_money(float(value), currency, decimals or 0)
        if kind == "pct":
            return i18n.format_pct(float(value), 1 if decimals is None else decimals)
        if kind == "count":
            return i18n.format_int(float(value))
        return str(value)

    return fmt


def _format_cell(value: object, float_decimals: int) -> str:
    if _missing(value):
        return "–"
    if isinstance(value, bool | np.bool_):
        return i18n.format_yes_no(bool(value))
    if isinstance(value, int | np.integer):
        return i18n.format_int(int(value))
    if isinstance(value, float | np.floating):
        if float(value).is_integer() and abs(value) >= 10:  # 868.000 is a count: 868
            return i18n.format_int(float(value))
        return i18n.format_number(float(value), float_decimals)
    if isinstance(value, pd.Timestamp):
        return i18n.format_date(value) if value == value.normalize() else str(value)
    return str(value)


def _kind(col: object, series: pd.Series, money: set, pct: set) -> str:
    """How a column is shown: listed by the caller, else from its name and values."""
    if col in money:
        return "money"
    if col in pct:
        return "pct"
    if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
        return ""
    kind = column_kind(col)
    if kind == "share":
        return "pct"
    if kind in ("count", "days"):
        return "count"
    if kind == "money" and col in _AUTO_MONEY:
        return "money"
    values = series.dropna()
    if pd.api.types.is_float_dtype(series) and len(values) and bool(
            np.all(np.mod(values.to_numpy(dtype=float), 1) == 0)):
        return "count"  # a float column of whole numbers (counts after a join or sum)
    return ""


def make_table(
    frame: pd.DataFrame | pd.Series,
    *,
    audience: str,
    salt: str,
    currency: str,
    money: Iterable[str] = (),
    pct: Iterable[str] = (),
    decimals: int = 2,
    max_rows: int | None = DEFAULT_MAX_ROWS,
    caption: str = "",
    translate: bool = True,
) -> Table:
    """Build a :class:`Table` from a DataFrame without changing the DataFrame.

    PII columns are always removed; ``customer_id`` values (column or index level) are
    pseudonymised unless ``audience == "analyst"``. Columns listed in ``money`` are
    formatted as amounts with ``currency``, ``pct`` as percentages of shares in
    [0, 1]; other numbers get thousands separators (floats ``decimals`` places).
    Headers with a translation key are translated into the current language.
    """
    df = frame.to_frame() if isinstance(frame, pd.Series) else frame
    n_rows = len(df)
    if max_rows is not None:
        df = df.head(max_rows)
    df = pseudonymise_frame(df, salt) if audience != "analyst" else drop_pii(df)
    if any(name is not None for name in df.index.names):
        df = df.reset_index()  # named index levels become ordinary, translated columns
    money, pct = set(money), set(pct)
    numeric = [c for c in df.columns if c in money or c in pct
               or (pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]))]
    sources = tuple(str(c) for c in df.columns)
    out = pd.DataFrame(index=df.index)
    for col in df.columns:
        kind = _kind(col, df[col], money, pct)
        if kind:
            out[col] = df[col].map(_formatter(kind, currency, None))
        else:
            out[col] = df[col].map(lambda v: _format_cell(v, decimals))
    if translate:
        numeric = [_translate(c) for c in numeric]
        out.columns = [_translate(c) for c in out.columns]
    # An unnamed integer index is row positions (often left over from filtering): hide it.
    show_index = not (df.index.name is None and pd.api.types.is_integer_dtype(df.index))
    return Table(out, n_rows, caption, i18n.t("report_no_rows"), show_index, tuple(numeric),
                 sources)
