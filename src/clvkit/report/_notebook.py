"""Notebook set-up: language, figure style, formatting helpers and provenance.

Every report notebook starts with::

    import clvkit as ck
    ctx = ck.report.setup(globals())

right after its ``parameters`` cell, and ends with ``ck.report.provenance(ctx, ds)``.
See ``notebooks/README.md`` for the full conventions.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from .. import i18n, schema
from .._export import for_export, neutralise_formulas
from ..exceptions import ParameterError
from ._privacy import drop_pii, pseudonymise_ids
from ._table import DEFAULT_MAX_ROWS, Table, make_table

__all__ = ["AUDIENCES", "SKIP_MIMETYPE", "ReportContext", "setup"]

AUDIENCES: tuple[str, ...] = ("client", "analyst")
#: Parameter values a notebook namespace may hold that count as report parameters.
_LITERAL_TYPES = (str, int, float, bool)
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]#|])")
#: Output mimetype of a skipped-section record (:meth:`ReportContext.skip`); the runner
#: collects these into ``run.json["skipped_sections"]``.
SKIP_MIMETYPE = "application/vnd.clvkit.skipped+json"


def _literal_params(namespace: Mapping[str, Any]) -> dict[str, Any]:
    """Keep the public names bound to plain literals (the notebook's parameters)."""
    return {
        k: v
        for k, v in namespace.items()
        if not k.startswith("_") and isinstance(v, _LITERAL_TYPES) and k not in {"In", "Out"}
    }


def _escape_value(value: object) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        value = i18n.format_int(value)
    elif isinstance(value, float):
        value = i18n.format_number(value, 1)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(str(value), quote=False))


@dataclass
class ReportContext:
    """Settings of one notebook run and the helpers that format its output.

    Create it with :func:`setup`. Attributes are read-only by convention.

    Attributes
    ----------
    params : dict
        The notebook's parameters (plain literals), as passed to :func:`setup`.
    lang, currency, audience, salt : str
        Report language ("en"/"zh"), currency symbol, audience ("client"/"analyst")
        and the salt used to pseudonymise customer ids.
    output_dir : pathlib.Path or None
        Folder where :meth:`save_table` writes; ``None`` in interactive runs (nothing
        is written).
    started : float
        ``time.perf_counter()`` at set-up, for the run time in the provenance.
    """

    params: dict[str, Any]
    lang: str = "en"
    currency: str = "¥"
    audience: str = "client"
    salt: str = "clvkit-demo"
    output_dir: Path | None = None
    started: float = field(default_factory=time.perf_counter)
    started_at: str = field(
        default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds")
    )
    skipped: list[dict[str, Any]] = field(default_factory=list)

    @property
    def client(self) -> bool:
        """Whether output is meant for a client (ids pseudonymised)."""
        return self.audience == "client"

    # --- numbers and words -----------------------------------------------------------
    def money(self, x: float, decimals: int = 0, *, compact: bool = False) -> str:
        """Format an amount with the report currency ("¥1,234"); ``compact=True``
        shortens large amounts in the report language ("¥12.3k" / "¥1.23万")."""
        return i18n.format_money(x, self.currency, decimals, compact=compact, lang=self.lang)

    def interval(self, low: float, high: float, kind: str = "number") -> str:
        """Describe the interval of a difference in words: "between +¥120 and +¥480",
        or "no clear difference (-¥30 to +¥410)" when it spans zero.

        ``kind`` formats the ends: "money" (report currency), "pct" (shares, as
        percentage points) or "number" (one decimal).
        """
        def signed(v: float) -> str:
            if kind == "money":
                text = self.money(v)
            elif kind == "pct":
                text = f"{100 * v:,.1f}"
            else:
                text = f"{v:,.1f}"
            return f"+{text}" if v > 0 else text

        return i18n.format_interval(low, high, signed, lang=self.lang)

    def date(self, value: object) -> str:
        """Format a date the one way reports show it ("2024-03-31" / "2024年3月31日")."""
        return i18n.format_date(value, self.lang)

    def yes_no(self, value: object) -> str:
        """Format a boolean as "Yes"/"No" (是/否)."""
        return i18n.format_yes_no(value, self.lang)

    def pct(self, share: float, decimals: int = 1) -> str:
        """Format a share in [0, 1] as a percentage ("12.3%")."""
        return i18n.format_pct(share, decimals)

    def num(self, x: float, decimals: int = 0) -> str:
        """Format a number with thousands separators ("12,345")."""
        return i18n.format_number(x, decimals)

    def t(self, key: str, **values: object) -> str:
        """Translate a catalogue key into the report language."""
        return i18n.t(key, self.lang, **values)

    def say(self, key: str, **values: object):
        """Return a generated sentence as Markdown, for display in the report.

        The sentence is the catalogue entry ``key`` in the report language with its
        ``{placeholders}`` filled from ``values``. Values are HTML- and
        Markdown-escaped (they may come from the data); ints get thousands
        separators and floats one decimal, so pass amounts and shares already
        formatted with :meth:`money` and :meth:`pct`.
        """
        from IPython.display import Markdown

        escaped = {k: _escape_value(v) for k, v in values.items()}
        return Markdown(i18n.t(key, self.lang, **escaped))

    def skip(self, section: str, reason: str, **values: object) -> None:
        """Show that a section was not produced and why, and record it for ``run.json``.

        Use it where the data cannot support an analysis (no survey table, too few
        repeat buyers, a model that cannot be fitted) instead of letting the
        notebook fail: the page shows one sentence, the rest of the report is
        built, and ``clvkit report`` lists the section under ``skipped_sections``.

        Parameters
        ----------
        section : str
            Catalogue key of the section's title (a plain label is shown as is).
        reason : str
            Catalogue key of the explanation, e.g. ``"preflight_no_surveys"``; its
            ``{placeholders}`` are filled from ``values`` (escaped as in :meth:`say`).
        **values
            Placeholder values.
        """
        from IPython.display import display

        escaped = {k: _escape_value(v) for k, v in values.items()}
        message = i18n.t("report_skipped", self.lang, section=_escape_value(self.t(section)),
                         reason=i18n.t(reason, self.lang, **escaped))
        record = {"section": section, "reason": reason,
                  "values": {k: str(v) for k, v in values.items()}, "message": message}
        self.skipped.append(record)
        display({"text/markdown": message, "text/plain": message, SKIP_MIMETYPE: record},
                raw=True)

    def attempt(self, section: str, func: Any, /, *args: Any, **kwargs: Any) -> Any:
        """Call ``func(*args, **kwargs)``; when the data cannot support it, skip the section.

        A :class:`~clvkit.exceptions.ClvkitError` (too little history, too few customers,
        a model that cannot be fitted: the library's own, explained errors) becomes
        :meth:`skip` with its message, and None is returned; any other exception is a
        bug and still fails the notebook. A client page (and its ``run.json`` entry)
        says only that the data cannot support the section: the library's messages
        name example rows and customer ids, which stay in the analyst report.
        """
        from ..exceptions import ClvkitError

        try:
            return func(*args, **kwargs)
        except ClvkitError as err:
            if self.client:
                self.skip(section, "report_skipped_client")
            else:
                self.skip(section, "report_skipped_because",
                          error=str(err).strip().splitlines()[0])
            return None

    # --- customers and tables --------------------------------------------------------
    def ids(self, ids: pd.Series | pd.Index | Iterable[object]) -> pd.Series:
        """Return customer ids as they may be shown: pseudonyms unless audience is analyst."""
        if self.client:
            return pseudonymise_ids(ids, self.salt)
        return ids.copy() if isinstance(ids, pd.Series) else pd.Series(list(ids), dtype=object)

    def table(
        self,
        frame: pd.DataFrame | pd.Series,
        *,
        money: Iterable[str] = (),
        pct: Iterable[str] = (),
        decimals: int = 2,
        max_rows: int | None = DEFAULT_MAX_ROWS,
        caption: str = "",
        private: Iterable[str] = (),
    ) -> Table:
        """Return a display-ready copy of ``frame`` (the frame itself is not changed).

        Parameters
        ----------
        frame : pandas.DataFrame or pandas.Series
            Any table; a ``customer_id`` index level or column is pseudonymised for
            clients; ``name``/``email``/``phone`` columns are always removed.
        money, pct : iterable of str, default ()
            Columns to format as amounts in the report currency, or as percentages
            (values are shares in [0, 1]).
        decimals : int, default 2
            Decimal places of other float columns.
        max_rows : int or None, default 25
            Rows shown; a note under the table gives the total. ``None`` shows all.
        caption : str, default ""
            Text shown above the table.
        private : iterable of str, default ()
            Columns left out for a client audience, e.g. free text that may quote raw
            customer ids (validation ``examples``).

        Returns
        -------
        Table
            Displays as an escaped HTML table (or a "no rows" note when empty);
            ``.data`` holds the formatted strings.
        """
        if self.client and isinstance(frame, pd.DataFrame):
            hidden = [c for c in private if c in frame.columns]
            frame = frame.drop(columns=hidden) if hidden else frame
        return make_table(
            frame, audience=self.audience, salt=self.salt, currency=self.currency,
            money=money, pct=pct, decimals=decimals, max_rows=max_rows, caption=caption,
        )

    def show(self, obj: Any) -> None:
        """Display a figure, Axes, plotly figure or table, then release it.

        Use it for every chart: an Axes returned by a ``ck.plots.plot_*`` function
        would otherwise also print its text representation in the report.
        """
        from IPython.display import display

        from ._figures import show_figure

        if isinstance(obj, pd.DataFrame | pd.Series):
            display(self.table(obj))
        else:
            show_figure(obj)

    def save_table(
        self, frame: pd.DataFrame, name: str, *, formats: Iterable[str] = ("csv", "parquet")
    ) -> list[Path]:
        """Write ``frame`` as ``<output_dir>/<name>.csv`` and/or ``.parquet``.

        Exports are data for the client's own systems (CRM import), so customer ids
        stay raw; PII columns (name, email, phone) are always removed, and for a client
        audience a ``customer_ref`` column holds the pseudonym shown in the report.
        The CSV is UTF-8 with a byte-order mark so Excel opens Chinese text correctly.
        The CSV is shaped for people and CRMs (:func:`clvkit._export.for_export`):
        amounts rounded to cents and named with the currency (``revenue_cny``;
        ``clv``, ``p_alive``, ``churn_risk`` and the other key columns keep their
        names), shares to 4 decimals, and text cells that a spreadsheet would run
        as a formula (leading ``= + - @``) start with an apostrophe. The Parquet
        file keeps exact values and the frame's own names, for programs.
        In an interactive session (no ``output_dir``) nothing is written. Use
        ``formats=("csv",)`` for raw rows of mixed types that Parquet cannot store.

        Returns
        -------
        list of pathlib.Path
            The files written (empty when there is no ``output_dir``).

        Raises
        ------
        ParameterError
            If ``name`` is not a plain file name (letters, digits, ``_.-``) or a
            format is not "csv" or "parquet".
        """
        if not _SAFE_NAME.match(name):
            msg = f"table name must be a plain file name (letters, digits, _ . -); got {name!r}"
            raise ParameterError(msg)
        formats = tuple(formats)
        unknown = [f for f in formats if f not in ("csv", "parquet")]
        if unknown:
            msg = f"formats must be 'csv' and/or 'parquet'; got {', '.join(map(repr, unknown))}"
            raise ParameterError(msg)
        if self.output_dir is None:
            return []
        out = drop_pii(frame)
        if out.index.name is not None or isinstance(out.index, pd.MultiIndex):
            out = out.reset_index()
        else:
            out = out.reset_index(drop=True)
        if self.client and schema.CUSTOMER_ID in out.columns:
            refs = pseudonymise_ids(out[schema.CUSTOMER_ID], self.salt)
            out.insert(out.columns.get_loc(schema.CUSTOMER_ID) + 1, "customer_ref", refs)
        self.output_dir.mkdir(parents=True, exist_ok=True)
        written = []
        for fmt in formats:
            path = self.output_dir / f"{name}.{fmt}"
            if fmt == "csv":
                shaped = neutralise_formulas(for_export(out, self.currency))
                shaped.to_csv(path, index=False, encoding="utf-8-sig",
                              date_format="%Y-%m-%d %H:%M:%S")
            else:
                out.to_parquet(path, index=False)
            written.append(path)
        return written


def _project_salt() -> str:
    """The project's own pseudonym key for a notebook run without a ``salt``: the
    ``.clvkit-secret`` of the nearest folder up from the working folder that holds
    one, a ``pyproject.toml`` or a ``clvkit.toml`` (created there once), else of the
    working folder. ``clvkit report`` passes the same key to every notebook."""
    from ._privacy import SECRET_FILE, project_secret

    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if any((folder / name).exists() for name in (SECRET_FILE, "pyproject.toml",
                                                     "clvkit.toml")):
            return project_secret(folder)
    return project_secret(here)


def setup(
    params: Mapping[str, Any] | None = None,
    /,
    *,
    lang: str | None = None,
    currency: str | None = None,
    audience: str | None = None,
    salt: str | None = None,
    output_dir: str | Path | None = None,
) -> ReportContext:
    """Prepare a notebook for a report: language, figure style, tables, plotly.

    Call it once, in the cell right after the ``parameters`` cell, as
    ``ctx = ck.report.setup(globals())``: the notebook's parameters are then the
    plain literals (str/int/float/bool) defined so far, and ``lang``, ``currency``,
    ``audience``, ``salt`` and ``output_dir`` are read from them. Keyword arguments
    override the mapping.

    It sets the i18n language, the matplotlib/seaborn theme with CJK-capable fonts
    (:func:`clvkit.plots.style.apply_style`), high-dpi PNG figures, pandas display
    options and an offline plotly renderer (plotly.js embedded once per page).

    Parameters
    ----------
    params : mapping, optional
        The notebook namespace (``globals()``) or a dict of parameters.
    lang : {"en", "zh"}, default from params or "en"
    currency : str, default from params or "¥"
    audience : {"client", "analyst"}, default from params or "client"
        "client" pseudonymises customer ids in tables; "analyst" shows raw ids.
    salt : str, default from params, else the project's secret
        Key of the id pseudonyms. Empty: the project's ``.clvkit-secret`` (created
        once beside ``pyproject.toml``/``clvkit.toml``, never a public constant).
    output_dir : str or Path, default from params or ""
        Folder for :meth:`ReportContext.save_table`; "" writes nothing.
        ``clvkit report`` passes it to every notebook.

    Returns
    -------
    ReportContext

    Raises
    ------
    ParameterError
        If ``lang`` or ``audience`` is not one of the supported values.
    """
    found = _literal_params(params or {})
    given = {"lang": lang, "currency": currency, "audience": audience, "salt": salt,
             "output_dir": output_dir}
    found.update({k: v for k, v in given.items() if v is not None})
    ctx = ReportContext(
        params=found,
        lang=str(found.get("lang", "en")),
        currency=str(found.get("currency", "¥")),
        audience=str(found.get("audience", "client")),
        salt=str(found.get("salt") or _project_salt()),
        output_dir=Path(found["output_dir"]) if found.get("output_dir") else None,
    )
    if ctx.audience not in AUDIENCES:
        msg = f"audience must be one of 'client', 'analyst'; got {ctx.audience!r}"
        raise ParameterError(msg)
    i18n.set_language(ctx.lang)
    from ..plots.style import apply_style
    from ._figures import configure_display

    apply_style(lang=ctx.lang)
    configure_display()
    pd.set_option("display.max_columns", 30)
    pd.set_option("display.width", 120)
    return ctx
