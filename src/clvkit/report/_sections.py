"""Building blocks of the report's own sections (data quality, executive summary).

The notebooks stay thin: what needs more than a call or two lives here.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .. import i18n, schema

if TYPE_CHECKING:
    from ._notebook import ReportContext

__all__ = ["describe_quality", "quality_table", "save_set_aside", "set_aside_examples"]

_SET_ASIDE = "set aside"
_EXAMPLE_COLUMNS = (schema.CUSTOMER_ID, schema.ORDER_ID, schema.TIMESTAMP, schema.DATE,
                    schema.AMOUNT, schema.NPS, schema.CES)


def _reason_label(code: object) -> str:
    return i18n.t(f"quality.{code}")


def describe_quality(ctx: ReportContext, quality: Any, table: str = "transactions"):
    """Return the generated overview of a data-quality result as Markdown.

    Sentences (in the report language): rows read, kept (with share) and set aside
    for ``table``; the most common reason for setting rows aside (or that nothing
    was); for transactions, the shape read (order lines summed to orders, or one row
    per order) and how many orders and how much revenue refunds and cancellations
    reversed; the tables loaded; a note when the customer or survey table is absent.

    Parameters
    ----------
    ctx : ReportContext
        From :func:`clvkit.report.setup` (language and formatting).
    quality : clvkit.DataQuality
        ``Dataset.quality``.
    table : str, default "transactions"
        The table the first two sentences describe.

    Returns
    -------
    IPython.display.Markdown
    """
    from IPython.display import Markdown

    v = quality[table]
    share = v.n_kept / v.n_read if v.n_read else 0.0
    parts = []
    if v.n_set_aside:
        parts.append(ctx.say("dq_overview", read=v.n_read, kept=v.n_kept,
                             kept_share=ctx.pct(share), aside=v.n_set_aside).data)
        counts = v.counts[v.counts["action"] == _SET_ASIDE]
        top = counts.sort_values("rows", ascending=False, kind="stable").iloc[0]
        parts.append(ctx.say("dq_top_reason", reason=_reason_label(top["reason"]),
                             rows=int(top["rows"]), share=ctx.pct(float(top["share"]))).data)
    else:
        parts.append(ctx.say("dq_overview_clean", read=v.n_read).data)
    parts.extend(_order_sentences(ctx, v))
    names = ", ".join(i18n.t(f"quality.table.{name}") for name in quality)
    parts.append(ctx.say("dq_tables_loaded", tables=names).data)
    for name, key in (("customers", "dq_no_customers"), ("surveys", "dq_no_surveys")):
        if name not in quality:
            parts.append(ctx.t(key))
    return Markdown(("" if ctx.lang == "zh" else " ").join(parts))


def _order_sentences(ctx: ReportContext, v: Any) -> list[str]:
    """Shape read and refunds reversed (transactions validated by this version)."""
    out = []
    shape = getattr(v, "shape", None) or {}
    if shape:
        key = "quality.dq_shape_lines" if shape["shape"] == "lines" else "quality.dq_shape_orders"
        out.append(ctx.say(key, lines=shape["n_lines"], orders=shape["n_orders"]).data)
    r = getattr(v, "reversals", None) or {}
    if r.get("mode") == "net":
        if r["n_orders_reversed_fully"] or r["n_orders_reversed_partly"]:
            out.append(ctx.say("quality.dq_reversed", full=r["n_orders_reversed_fully"],
                               partly=r["n_orders_reversed_partly"],
                               revenue=ctx.money(r["revenue_reversed"])).data)
        if r["n_netted_customer_level"]:
            out.append(ctx.say("quality.dq_customer_level",
                               customer=r["n_netted_customer_level"]).data)
        if r["n_unmatched"]:
            out.append(ctx.say("quality.dq_unmatched", unmatched=r["n_unmatched"],
                               amount=ctx.money(r["amount_unmatched"])).data)
    elif r.get("n_reversals"):
        out.append(ctx.say("quality.dq_reversals_kept", n=r["n_reversals"]).data)
    return out


def quality_table(quality: Any) -> pd.DataFrame:
    """Return the data-quality summary ready for ``ctx.table``: outcomes with rows only.

    Columns are named by catalogue keys (``dq_table``, ``dq_reason``, ``dq_action``,
    ``dq_rows``, ``dq_share``, ``dq_examples``) so ``ctx.table`` shows them
    translated; table names, reasons and actions are translated labels. Format with
    ``ctx.table(t, pct=["dq_share"], private=["dq_examples"])``: the examples
    quote raw values, customer ids included, so they are left out for clients.
    """
    summary = quality.summary()
    summary = summary[summary["rows"] > 0]
    return pd.DataFrame({
        "dq_table": [i18n.t(f"quality.table.{name}") for name in summary["table"]],
        "dq_reason": list(summary["label"]),
        "dq_action": [i18n.t("quality.action." + a.replace(" ", "_")) for a in summary["action"]],
        "dq_rows": summary["rows"].to_numpy(),
        "dq_share": summary["share"].to_numpy(),
        "dq_examples": summary["examples"].to_numpy(),
    })


def set_aside_examples(
    quality: Any, table: str = "transactions", per_reason: int = 2
) -> pd.DataFrame:
    """Return a few rows set aside from ``table``, the first ``per_reason`` of each reason.

    Returns
    -------
    pandas.DataFrame
        Columns ``dq_reason`` (translated label), ``dq_source_row`` (1-based row in
        the source) and the identifying and checked columns as read (customer_id,
        order_id, timestamp/date, amount, nps, ces: those present). The names are
        catalogue keys, so ``ctx.table`` shows them translated. Empty when nothing
        was set aside or the table was not loaded.
    """
    if table not in quality:
        return pd.DataFrame(columns=["dq_reason", "dq_source_row"])
    rows = quality[table].set_aside
    rows = rows.groupby("reason", sort=False, group_keys=False).head(per_reason)
    shown = [c for c in _EXAMPLE_COLUMNS if c in rows.columns]
    out = pd.DataFrame({
        "dq_reason": [_reason_label(code) for code in rows["reason"]],
        "dq_source_row": rows["source_row"].to_numpy(),
    })
    for column in shown:
        out[column] = rows[column].to_numpy()
    return out


def save_set_aside(ctx: ReportContext, quality: Any) -> list[Path]:
    """Write ``<table>_set_aside.csv`` for every table into the run's output folder.

    Columns: reason (code), reason_label (report language), source_row, then the
    columns as read, without PII columns (name, email, phone). Every table gets a
    file, header only when nothing was set aside. Nothing is written in an
    interactive session (see :meth:`ReportContext.save_table`).

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    written: list[Path] = []
    for name in quality:
        rows = quality[name].set_aside.copy()
        rows.insert(1, "reason_label", [_reason_label(c) for c in rows["reason"]])
        written += ctx.save_table(rows, f"{name}_set_aside", formats=("csv",))
    return written
