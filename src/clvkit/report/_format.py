"""Report parameters in plain words, and the data dictionary of the exported files.

Numbers themselves are formatted by :mod:`clvkit.i18n` (``format_money``,
``format_pct``, ``format_interval``, ...) and axis ticks by
:mod:`clvkit.plots.style`; column kinds and export shaping live in
:mod:`clvkit._export`. This module turns those into what a reader of the report
folder sees: parameter names and values without code, and ``data_dictionary.md``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .. import i18n
from .._export import column_kind

__all__ = ["DICTIONARY", "data_dictionary", "inline_rows", "param_label", "param_value",
           "shown_rows"]

#: File name of the data dictionary written into the report folder.
DICTIONARY = "data_dictionary.md"


def param_label(name: str, lang: str | None = None) -> str:
    """Return a report parameter's name in plain words ("Yearly discount rate")."""
    text = i18n.t(f"param.{name}", lang)
    return name if text == f"param.{name}" else text


def param_value(value: Any, lang: str | None = None) -> str:
    """Return a parameter value as plain text: booleans as Yes/No (是/否), an empty
    string as "–", numbers with separators, never a Python literal (no quotes)."""
    if isinstance(value, bool):
        return i18n.format_yes_no(value, lang)
    if value is None or value == "":
        return "–"
    if isinstance(value, str):
        word = i18n.t(f"param.value.{value}", lang)
        if word != f"param.value.{value}":
            return word
    if isinstance(value, int):
        return i18n.format_int(value)
    if isinstance(value, float):
        return f"{value:,.10g}" if abs(value) >= 1000 else f"{value:.10g}"
    return str(value)


#: Parameters the runner sets for its own plumbing (folders of the run); never shown.
RUN_INTERNAL: tuple[str, ...] = ("salt", "output_dir", "scores_dir", "history")


def shown_rows(parameters: Mapping[str, Any], lang: str | None = None,
               skip: Iterable[str] = RUN_INTERNAL) -> list[tuple[str, str]]:
    """Return ``(label, value)`` rows of parameters, in plain words, sorted by label."""
    rows = [(param_label(k, lang), param_value(v, lang)) for k, v in parameters.items()
            if k not in set(skip)]
    return sorted(rows, key=lambda r: r[0].lower())


def inline_rows(rows: Iterable[tuple[str, str]], lang: str | None = None) -> str:
    """Join ``(label, value)`` rows into one line: "Language: zh; Currency: ¥" in
    English, full-width "语言：zh；货币：¥" in Chinese."""
    zh = (lang or i18n.get_language()) == "zh"
    colon, sep = ("：", "；") if zh else (": ", "; ")
    return sep.join(f"{label}{colon}{value}" for label, value in rows)


def _csv_columns(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return next(csv.reader(fh), [])


def _describe(column: str, currency: str, code: str, lang: str) -> tuple[str, str]:
    base = column
    if code and column.endswith(f"_{code}") and column_kind(column[: -len(code) - 1]) == "money":
        base = column[: -len(code) - 1]
    text = i18n.t(f"dict.{base}", lang)
    meaning = i18n.t("dict.unknown", lang) if text == f"dict.{base}" else text
    kind = column_kind(base) or "none"
    return meaning, i18n.t(f"dict.unit.{kind}", lang, currency=currency)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def data_dictionary(folder: str | Path, *, lang: str = "en", currency: str = "¥") -> str:
    """Return the Markdown data dictionary of every CSV in ``folder``.

    One table per file: each column, what it holds and its unit (amounts in
    ``currency``, shares 0-1, counts, days, dates). Columns of raw rows set aside
    by validation are described as "as given in the source data" when clvkit has
    no description of them.
    """
    from .._export import currency_code

    folder = Path(folder)
    code = currency_code(currency)
    lines = [f"# {i18n.t('dict.title', lang)}", "",
             i18n.t("dict.intro", lang, currency=currency), ""]
    for path in sorted(folder.glob("*.csv")):
        lines += [f"## {path.name}", "",
                  f"| {i18n.t('dict.column', lang)} | {i18n.t('dict.meaning', lang)} | "
                  f"{i18n.t('dict.unit', lang)} |", "| --- | --- | --- |"]
        for column in _csv_columns(path):
            meaning, unit = _describe(column, currency, code, lang)
            lines.append(f"| `{_cell(column)}` | {_cell(meaning)} | {_cell(unit)} |")
        lines.append("")
    return "\n".join(lines)
