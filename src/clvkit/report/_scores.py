"""The report's side of the scoring run: load it once, label it, put it in words.

Every notebook calls ``sc = ck.report.scores(ctx, ds)`` right after loading the
data. In a report run this reads the scores ``clvkit report`` computed once into
the run folder (``scores_dir``); in JupyterLab it computes them on first use and
caches them by data fingerprint and settings, so re-running a notebook is quick
and every notebook of the session shows the same numbers.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .. import i18n
from ..exceptions import ParameterError
from ._words_segments import labelled

if TYPE_CHECKING:
    from ..scoring import Scores
    from ._notebook import ReportContext

__all__ = ["assumptions_table", "cache_dir", "describe_choice", "kpi_definition",
           "kpi_definitions", "labelled", "load_data", "model_comparison_table", "note_key",
           "scores", "show_notes"]


#: Bumped whenever what a scoring run stores changes, so old cache entries are ignored.
CACHE_FORMAT = 4


def cache_dir() -> Path:
    """Folder of cached scores for notebooks run outside ``clvkit report``:
    ``$CLVKIT_CACHE`` or ``$XDG_CACHE_HOME/clvkit/scores`` (``~/.cache/...``)."""
    if os.environ.get("CLVKIT_CACHE"):
        return Path(os.environ["CLVKIT_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "clvkit" / "scores"


def _cache_key(ds: Any, settings: Any) -> str:
    from .. import __version__
    from ._provenance import data_hash

    blob = json.dumps({"data": data_hash(ds), "settings": settings.to_dict(),
                       "observation_end": str(ds.observation_end),
                       "version": __version__, "format": CACHE_FORMAT}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def load_data(ctx: ReportContext, source: Any = "demo", **kwargs: Any) -> Any:
    """The run's data: in a report run, the tables ``clvkit report`` loaded and validated
    once for every page (so 100,000 customers are not read seven times); otherwise
    :func:`clvkit.load_data` with the same arguments."""
    import pickle

    from ..io import load_data as load
    from ._run_steps import RUN_DATA

    folder = str(ctx.params.get("scores_dir") or "")
    path = Path(folder) / RUN_DATA if folder else None
    if path is not None and path.exists():
        with open(path, "rb") as fh:  # written by this same run, in its own folder
            return pickle.load(fh)
    return load(source, **kwargs)


def _run_data(ds: Any, folder: str) -> bool:
    """Whether ``ds`` is the data ``clvkit report`` stored beside the scores in ``folder``
    (fingerprinted by the same run): then counting its customers again is not needed."""
    from ._provenance import RUN_SHA256
    from ._run_steps import RUN_DATA

    extra = getattr(ds, "extra", None)
    return (bool(folder) and isinstance(extra, dict) and RUN_SHA256 in extra
            and (Path(folder) / RUN_DATA).exists())


def scores(ctx: ReportContext, ds: Any) -> Scores:
    """Return the run's one scoring result for this notebook.

    With a ``scores_dir`` parameter (set by ``clvkit report``) the scores are read
    from there and must have been computed with this notebook's settings. Without
    it they are computed with :func:`clvkit.score` and cached (see :func:`cache_dir`).
    The report currency falls back to the data's when the ``currency`` parameter
    is empty.

    Raises
    ------
    ParameterError
        The scores in ``scores_dir`` were computed with other settings than the
        notebook's parameters.
    """
    from ..scoring import Scores, ScoreSettings, score

    settings = ScoreSettings.from_params(ctx.params)
    folder = str(ctx.params.get("scores_dir") or "")
    if folder:
        result = Scores.load(folder)
        if result.settings != settings:
            theirs, ours = result.settings.to_dict(), settings.to_dict()
            diff = ", ".join(f"{k}: {theirs[k]!r} in the run, {ours[k]!r} here"
                             for k in ours if theirs[k] != ours[k])
            msg = (f"the scores in {folder!r} were computed with other settings ({diff}); "
                   "pass the same parameters to every notebook (clvkit report does).")
            raise ParameterError(msg)
    else:
        target = cache_dir() / _cache_key(ds, settings)
        try:
            result = Scores.load(target)
        except Exception:  # a missing or stale entry (an older format): compute it afresh
            result = None
        if result is None:
            result = score(ds, settings)
            try:
                result.save(target)
            except OSError:  # a read-only home: scores still work, just not cached
                pass
    orders, customers = result.kpi("orders"), result.kpi("customers")
    same_run = _run_data(ds, folder)  # else count the customers: the data may be others
    if orders != len(ds.transactions) or (
            not same_run and customers != ds.transactions["customer_id"].nunique()):
        msg = (f"the scores in {folder!r} were computed on other data ({customers:,} customers, "
               f"{orders:,} purchases; this notebook loaded "
               f"{ds.transactions['customer_id'].nunique():,} and {len(ds.transactions):,}); "
               "pass the same data parameters to every notebook (clvkit report does).")
        raise ParameterError(msg)
    if not ctx.currency:
        ctx.currency = str(result.assumptions["currency"]["value"] or "")
    return result


def _value_text(ctx: ReportContext, name: str, value: Any) -> str:
    t = ctx.t
    if value is None:
        return t("scoring.v.none")
    texts = {
        "currency": lambda v: v or t("scoring.v.no_currency"),
        "value_basis": lambda v: t(f"scoring.v.{v}"),
        "margin_rate": ctx.pct,
        "horizon_months": lambda v: t("scoring.v.months", n=v),
        "period_months": lambda v: t("scoring.v.months", n=v),
        "discount_rate_annual": lambda v: t("scoring.v.per_year", rate=ctx.pct(v)),
        "inactivity_days": lambda v: t("scoring.v.days", n=v),
        "at_risk_threshold": lambda v: ctx.pct(v, 0),
        "holdout_weeks": lambda v: t("scoring.v.weeks", n=v),
        "purchase_model": lambda v: t(f"scoring.v.{v}"),
        "spend_model": lambda v: t(f"scoring.v.{v}"),
        "churn_risk_source": lambda v: t(f"scoring.v.{v}"),
        "churn_window_days": lambda v: t("scoring.v.window", n=v),
        "interval_level": lambda v: t("scoring.v.interval", level=ctx.pct(v, 0)),
        "interval_method": lambda v: t(f"scoring.v.{v}"),
    }
    return str(texts.get(name, str)(value))


def assumptions_table(ctx: ReportContext, sc: Scores) -> pd.DataFrame:
    """Every assumption of the run in words: what, its value, where it comes from."""
    rows = []
    for name, item in sc.assumptions.items():
        if name == "penalizer_coef" and not item["value"]:
            continue
        rows.append({
            ctx.t("scoring.assumptions.item"): ctx.t(f"scoring.a.{name}"),
            ctx.t("scoring.assumptions.value"): _value_text(ctx, name, item["value"]),
            ctx.t("scoring.assumptions.source"): ctx.t(f"scoring.s.{item['source']}"),
        })
    return pd.DataFrame(rows).set_index(ctx.t("scoring.assumptions.item"))


def _note_values(ctx: ReportContext, values: dict[str, Any]) -> dict[str, Any]:
    shown = dict(values)
    for key in ("error", "threshold"):
        if isinstance(shown.get(key), float):
            shown[key] = ctx.pct(abs(shown[key]))
    for key in ("auc", "baseline", "q"):
        if isinstance(shown.get(key), float):
            shown[key] = ctx.num(shown[key], 3)
    for key in ("customers", "sample"):
        if isinstance(shown.get(key), int):
            shown[key] = ctx.num(shown[key])
    return shown


def note_key(code: str) -> str:
    """The catalogue key of a scoring note: a fitted model's own diagnostics
    (``model.<code>``) are worded in ``locales/models.toml``, the rest in scoring.toml."""
    if code.startswith("model."):
        return f"btyd.diagnostic.{code.removeprefix('model.')}"
    return f"scoring.note.{code}"


def show_notes(ctx: ReportContext, sc: Scores, section: str | None = None):
    """The run's warnings for one page (``section`` "04"...; None: all of them), as a
    Markdown list under a heading, or empty Markdown when there is nothing to say."""
    from IPython.display import Markdown

    notes = sc.notes_for(section) if section else list(sc.notes)
    if not notes:
        return Markdown("")
    items = []
    for note in notes:
        text = ctx.t(note_key(note.code), **_note_values(ctx, note.values))
        items.append(f"- {text}")
    return Markdown(f"**{ctx.t('scoring.warnings.title')}**\n\n" + "\n".join(items))


def model_comparison_table(ctx: ReportContext, sc: Scores) -> pd.DataFrame | None:
    """The purchase models compared on the check period, in words: whether each could
    be fitted, its calibration log-likelihood, holdout errors and which one is used
    (None when the run had no check period)."""
    table = sc.tables.get("model_comparison")
    if table is None:
        return None
    table = table.set_index("model") if "model" in table else table
    columns = [c for c in ("status", "log_likelihood", "mae", "rmse", "total_error_pct",
                           "chosen") if c in table]
    out = table[columns].copy()
    if "status" in out:
        out["status"] = [ctx.t(f"scoring.status.{v}") for v in out["status"]]
    return out


def describe_choice(ctx: ReportContext, sc: Scores) -> str:
    """Two sentences: which purchase model is used and why; where churn risk comes from."""
    model = sc.facts.get("purchase_model_label", "BG/NBD")
    reason = sc.facts.get("purchase_reason", "no_holdout")
    values: dict[str, Any] = {"model": model}
    comparison = sc.tables.get("model_comparison")
    if (comparison is not None and "rmse" in comparison
            and sc.facts.get("purchase_model") in comparison.index):
        values["rmse"] = ctx.num(float(comparison.loc[sc.facts["purchase_model"], "rmse"]), 2)
    first = ctx.t(f"scoring.reason.{reason}", **values)
    source = sc.facts.get("churn_risk_source", "unavailable")
    risk_values: dict[str, Any] = {"model": model, "days": sc.settings.churn_window_days}
    metrics = sc.tables.get("churn_metrics")
    if source == "classifier" and metrics is not None:
        test = metrics[metrics["split"] == "test"]
        auc = test[test["metric"] == "roc_auc"].set_index("model")["value"]
        risk_values["auc"] = ctx.num(float(auc.iloc[0]), 3)
        risk_values["baseline"] = ctx.num(float(auc.iloc[-1]), 3) if len(auc) > 1 else "–"
    sep = "" if ctx.lang == "zh" else " "  # Chinese sentences are not separated by spaces
    return f"{first}{sep}{ctx.t(f'scoring.risk.{source}', **risk_values)}"


def kpi_definition(ctx: ReportContext, sc: Scores, name: str) -> str:
    """The definition of one KPI in the report language."""
    values = dict(sc.kpis[name].get("values", {}))
    if "basis" in values:
        values["basis"] = ctx.t(f"scoring.v.{values['basis']}")
    if "discount" in values:
        values["discount"] = ctx.pct(values["discount"])
    if "threshold" in values:
        values["threshold"] = ctx.pct(values["threshold"], 0)
    return i18n.t(f"scoring.kpi.{name}", ctx.lang, **values)


#: The headline KPIs whose definition the summary states, with their card label key.
DEFINED_KPIS = {"churn_rate": "exec_card_churn", "clv_total": "exec_card_clv",
                "at_risk_customers": "exec_card_at_risk"}


def kpi_definitions(ctx: ReportContext, sc: Scores):
    """The definitions of the headline numbers, as a Markdown list (label: definition)."""
    from IPython.display import Markdown

    items = []
    colon = "：" if ctx.lang == "zh" else ": "
    for name, label in DEFINED_KPIS.items():
        if sc.kpis.get(name, {}).get("value") is None:
            continue
        title = ctx.t(label, months=sc.settings.horizon_months)
        items.append(f"- **{title}**{colon}{kpi_definition(ctx, sc, name)}")
    return Markdown(f"**{ctx.t('scoring.definitions.title')}**\n\n" + "\n".join(items))


def interval_facts(ctx: ReportContext, sc: Scores) -> dict[str, str] | None:
    """Values of the ``scoring.interval.explain`` sentence (level, total, low, high), or
    None when the run has no interval of its total expected value."""
    values = sc.kpis.get("clv_total", {}).get("values", {})
    if values.get("low") is None or values.get("high") is None or not values.get("level"):
        return None
    return {"level": ctx.pct(values["level"], 0), "total": ctx.money(sc.kpi("clv_total")),
            "low": ctx.money(values["low"]), "high": ctx.money(values["high"]),
            "months": str(sc.settings.horizon_months)}


def value_intervals(ctx: ReportContext, sc: Scores) -> pd.DataFrame | None:
    """Total expected value with its confidence interval for every customer, then per
    segment (labels in the report language); None when the run has no interval.

    Each row's interval is the one of that group's sum (the run's ``clv_by_segment``
    table), not a sum of the customers' bounds."""
    from ._words_segments import segment_label

    table = sc.tables.get("clv_by_segment")
    if interval_facts(ctx, sc) is None or table is None:
        return None
    values = sc.kpis["clv_total"]["values"]
    rows = table.assign(segment=[segment_label(str(c), ctx.lang) for c in table["segment"]])
    rows = rows.sort_values("clv", ascending=False, kind="stable")
    whole = pd.DataFrame({"segment": [ctx.t("segments.total")],
                          "customers": [int(sc.kpi("customers"))],
                          "clv": [sc.kpi("clv_total")], "clv_low": [values["low"]],
                          "clv_high": [values["high"]]})
    out = pd.concat([whole, rows[list(whole.columns)]], ignore_index=True)
    out["customers"] = out["customers"].astype("int64")  # a count, never "398.00"
    return out.set_index("segment").rename_axis(ctx.t("col.segment_label"))
