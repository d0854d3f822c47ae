"""The index page, ``newly_at_risk.csv`` and the downloads of a report run."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import i18n, schema
from .._export import for_export, neutralise_formulas
from ._format import DICTIONARY, data_dictionary, shown_rows
from ._html import render_index
from ._privacy import shown_parameters

__all__ = ["SCORED", "newly_at_risk", "write_index_and_exports"]

#: Base name of the scored customer table notebook 06 saves with ctx.save_table.
SCORED = "scored_customers"
_RISK = "churn_risk"
_KEEP = ("customer_id", "customer_ref", "segment", "segment_label", "tier", "tier_label",
         "clv", "p_alive", "churn_risk", "action", "action_label")


def _flags(table: pd.DataFrame, threshold: float) -> np.ndarray:
    """The at-risk flag of a scored table: its ``at_risk`` column, else the threshold."""
    if "at_risk" in table:
        flag = table["at_risk"]
        if not pd.api.types.is_bool_dtype(flag):  # read back from a CSV as text
            flag = flag.astype(str).str.lower().isin(("true", "1", "yes"))
        return flag.to_numpy(dtype=bool)
    return table[_RISK].ge(threshold).to_numpy()


def newly_at_risk(
    current: pd.DataFrame, previous: pd.DataFrame | None, threshold: float = 0.5
) -> pd.DataFrame:
    """Return customers at risk now who were not at risk in the previous run.

    A customer is at risk when the table's ``at_risk`` flag says so (the scoring
    run's rule: still active and ``churn_risk >= threshold``); a table without the
    flag (written by an older run) uses ``churn_risk >= threshold``. Customers absent from
    the previous table (new since then) count as newly at risk when at risk now;
    without a previous table every customer at risk now is listed.

    Parameters
    ----------
    current, previous : pandas.DataFrame
        Scored customer tables (``customer_id`` and ``churn_risk`` columns), as
        written by ``ctx.save_table(scored, "scored_customers")``.
    threshold : float, default 0.5
        Churn probability from which a customer counts as at risk.

    Returns
    -------
    pandas.DataFrame
        The current rows of those customers (identifying and score columns) plus
        ``previous_churn_risk`` (NaN for customers new since the previous run),
        highest risk first.
    """
    now = current[_flags(current, threshold)]
    before = pd.Series(dtype=float)
    was = pd.Series(dtype=bool)
    if previous is not None and _RISK in previous and schema.CUSTOMER_ID in previous:
        keyed = previous.set_index(previous[schema.CUSTOMER_ID].astype(str))
        before = keyed[_RISK]
        was = pd.Series(_flags(keyed, threshold), index=keyed.index)
    ids = now[schema.CUSTOMER_ID].astype(str)
    prior = ids.map(before).astype(float)
    out = now[[c for c in _KEEP if c in now.columns]].assign(previous_churn_risk=prior.to_numpy())
    out = out[~ids.isin(was.index[was.to_numpy(dtype=bool)]).to_numpy()]
    return out.sort_values([_RISK, schema.CUSTOMER_ID], ascending=[False, True], kind="stable")


def _read_scored(folder: Path) -> pd.DataFrame | None:
    path = folder / f"{SCORED}.parquet"
    return pd.read_parquet(path) if path.exists() else None


def _downloads(staging: Path, lang: str) -> list[dict[str, str]]:
    labels = {
        f"{SCORED}.csv": "report_scored_csv",
        f"{SCORED}.parquet": "report_scored_parquet",
        "newly_at_risk.csv": "report_newly_at_risk",
    }
    items = []
    for name, key in labels.items():
        if (staging / name).exists():
            items.append({"href": name, "label": i18n.t(key, lang), "detail": name})
    for path in sorted(staging.glob("*_set_aside.csv")):
        table = path.name.removesuffix("_set_aside.csv")
        items.append({"href": path.name, "label": i18n.t("report_set_aside", lang),
                      "detail": i18n.t(f"quality.table.{table}", lang)})
    for path in sorted(staging.glob("*.csv")):  # other exports the notebooks saved
        if path.name not in labels and not path.name.endswith("_set_aside.csv"):
            items.append({"href": path.name, "label": i18n.t("report_export_csv", lang),
                          "detail": path.name})
    if (staging / DICTIONARY).exists():
        items.append({"href": DICTIONARY, "label": i18n.t("report_data_dictionary", lang),
                      "detail": DICTIONARY})
    items.append({"href": "run.json", "label": i18n.t("report_run_json", lang),
                  "detail": "run.json"})
    return items


def _shown_parameters(parameters: dict[str, Any], client: bool,
                      lang: str) -> list[tuple[str, str]]:
    shown = shown_parameters(parameters, client=client)  # the salt is never in run.json
    return shown_rows(shown, lang)


def _currency(record: dict[str, Any], parameters: dict[str, Any] | None) -> str:
    return str((parameters or record.get("parameters") or {}).get("currency", "¥"))


def write_index_and_exports(
    staging: Path, out_dir: Path, runs: Sequence[Any], record: dict[str, Any], *,
    generated: str, at_risk_threshold: float, parameters: dict[str, Any] | None = None,
) -> None:
    """Write ``newly_at_risk.csv``, ``data_dictionary.md`` and ``index.html`` into
    ``staging``; update ``record``.

    ``out_dir`` is the currently published report, whose scored table is the
    "previous run" for ``newly_at_risk.csv``.
    """
    lang = record["lang"]
    notes = []
    current = _read_scored(staging)
    if current is not None and _RISK in current:
        previous = _read_scored(out_dir)
        if previous is None:
            notes.append(i18n.t("report_first_run", lang))
        risky = newly_at_risk(current, previous, at_risk_threshold)
        shaped = neutralise_formulas(for_export(risky, _currency(record, parameters)))
        shaped.to_csv(staging / "newly_at_risk.csv", index=False, encoding="utf-8-sig")
        prev_record = out_dir / "run.json"
        record["newly_at_risk"] = {
            "customers": len(risky),
            "threshold": at_risk_threshold,
            "previous_run": json.loads(prev_record.read_text(encoding="utf-8")).get("generated")
            if previous is not None and prev_record.exists() else None,
        }
    else:
        notes.append(i18n.t("report_no_scored", lang))
    (staging / DICTIONARY).write_text(
        data_dictionary(staging, lang=lang, currency=_currency(record, parameters)),
        encoding="utf-8")
    sections = [{"href": r.html, "label": r.title, "seconds": r.seconds} for r in runs]
    html = render_index(
        {
            "audience": record["audience"],
            "generated": generated,
            "data_name": record["data"]["name"],
            "sections": sections,
            "downloads": _downloads(staging, lang),
            "notes": notes,
            "parameters": _shown_parameters(parameters or record["parameters"],
                                            record["audience"] == "client", lang),
        },
        lang=lang,
    )
    (staging / "index.html").write_text(html, encoding="utf-8")
