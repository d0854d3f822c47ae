"""Display-ready tables: formatted, translated, escaped and free of raw ids."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import i18n
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
        return (f'<table class="clv-table"><thead><tr>{head}</tr></thead>'
                f"<tbody>{''.join(rows)}</tbody></table>")

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
    if not isinstance(label, str):
        return label
    return i18n.t(label)


def _formatter(kind: str, currency: str, decimals: int | None) -> Callable[[object], str]:
    def fmt(value: object) -> str:
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return "–"
        if kind == "money":
            return i18n.format_money(float(value), currency, decimals or 0)
        if kind == "pct":
            return i18n.format_pct(float(value), 1 if decimals is None else decimals)
        return str(value)

    return fmt


def _format_cell(value: object, float_decimals: int) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "–"
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return i18n.format_int(int(value))
    if isinstance(value, float | np.floating):
        return i18n.format_number(float(value), float_decimals)
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d") if value == value.normalize() else str(value)
    return str(value)


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
        if col in money or col in pct:
            kind = "money" if col in money else "pct"
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
