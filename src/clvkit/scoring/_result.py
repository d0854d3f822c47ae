"""The result of a scoring run and its files in the run folder.

Layout of ``<folder>`` (what :meth:`Scores.save` writes and :meth:`Scores.load` reads)::

    customers.parquet        one row per customer (codes and numbers)
    kpis.json                headline KPIs: value, unit, definition values
    assumptions.json         every assumption: value and where it came from
    warnings.json            notes in codes, with the section that shows them
    meta.json                settings, facts (chosen models and why), timings, version
    models/<name>.json       fitted models (purchase, spend, calibration fits)
    tables/<name>.parquet    model comparison, holdout predictions, churn evaluation...
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .._codes import factorize_ids
from ..exceptions import ParameterError
from ._notes import Note
from ._settings import ScoreSettings

__all__ = ["Scores"]

_MARKER = "clvkit-scores"


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str),
                    encoding="utf-8")


@dataclass
class Scores:
    """One scoring run: the per-customer table, KPIs, assumptions, warnings and models.

    Attributes
    ----------
    customers : pandas.DataFrame
        One row per customer (``customer_id`` column, highest value first): ``clv``
        (on the value basis in ``assumptions["value_basis"]``), ``p_alive``,
        ``churn_risk`` (source in ``assumptions["churn_risk_source"]``),
        ``expected_purchases``, ``expected_spend``, ``segment``, ``tier``, ``action``,
        ``clv_low`` and ``clv_high`` (the confidence interval of ``clv`` at
        ``settings.interval_level``, parameter uncertainty only; NaN when off or not
        available, see the notes) and the history columns of
        :data:`clvkit.segments.SCORED_COLUMNS` (codes, no labels: the report adds
        labels in its language).
    kpis : dict
        Name -> {"value", "unit", "values"[, "variant_of"]}; ``clv_total``'s values
        hold its interval: ``low``, ``high`` (None without one), ``level``, ``method``.
    assumptions : dict
        Name -> {"value", "source"}.
    notes : list of Note
        Warnings as codes with values, each for one report section.
    settings : ScoreSettings
    facts : dict
        The decisions of the run (chosen purchase model and the reason, churn-risk
        source, value basis) and model facts for the pages.
    tables : dict of DataFrame
        Supporting tables (model comparison, holdout predictions, churn tables...).
    timings : dict
        Seconds per step.
    """

    customers: pd.DataFrame
    kpis: dict[str, dict[str, Any]]
    assumptions: dict[str, dict[str, Any]]
    notes: list[Note]
    settings: ScoreSettings
    facts: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    models: dict[str, Any] = field(default_factory=dict, repr=False)
    folder: Path | None = None

    # --- reading ----------------------------------------------------------------
    def kpi(self, name: str) -> Any:
        """The value of one KPI (None when it could not be computed)."""
        if name not in self.kpis:
            msg = f"no KPI {name!r}; known: {', '.join(sorted(self.kpis))}"
            raise ParameterError(msg)
        return self.kpis[name]["value"]

    def notes_for(self, section: str) -> list[Note]:
        """The warnings that the page of ``section`` ("00", "04"...) must show."""
        return [n for n in self.notes if n.section == section]

    @property
    def at_risk(self) -> pd.DataFrame:
        """Customers at risk (still active, churn risk at or above the threshold: see
        :func:`at_risk_mask`), highest risk first (ties: higher CLV first)."""
        from ._kpis import at_risk_mask

        flags = (self.customers["at_risk"] if "at_risk" in self.customers
                 else at_risk_mask(self.customers, self.settings))
        risky = self.customers[flags.to_numpy(dtype=bool)]
        return risky.sort_values(["churn_risk", "clv"], ascending=[False, False],
                                 kind="mergesort", na_position="last")

    def value_frame(self, ids: Any = None) -> pd.DataFrame | None:
        """``clv``, ``p_alive``, ``expected_purchases``, ``expected_spend`` (the shape of
        :func:`clvkit.models.customer_value`) and the run's ``churn_risk``, indexed by
        customer_id; None when no model could be fitted.

        The scored table stores ids as text; pass the data's ids (e.g.
        ``ds.transactions["customer_id"]``) to get the frame indexed by the ids in
        their own type, ready to join with the data.
        """
        if self.customers["clv"].isna().all():
            return None
        cols = ["clv", "p_alive", "expected_purchases", "expected_spend", "churn_risk"]
        frame = self.customers.set_index("customer_id")[cols]
        if ids is not None:
            own = pd.Index(factorize_ids(pd.Series(ids))[1])  # distinct ids, first seen first
            frame = frame.reindex(own.astype(str))
            frame.index = own.rename("customer_id")
        margin = self.assumptions.get("margin_rate", {}).get("value")
        frame.attrs = {"horizon_months": self.settings.horizon_months,
                       "discount_rate_annual": self.settings.discount_rate_annual,
                       "margin": 1.0 if margin is None else float(margin)}
        return frame

    def model(self, name: str) -> Any:
        """A fitted model of the run by name (``purchase``, ``spend``, ``calibrated_bgnbd``
        ...), loaded from the run folder when needed; None when it was not fitted."""
        if name in self.models:
            return self.models[name]
        if self.folder is not None and (self.folder / "models" / f"{name}.json").exists():
            from ..models.btyd import load_model

            self.models[name] = load_model(self.folder / "models" / f"{name}.json")
            return self.models[name]
        return None

    # --- files ------------------------------------------------------------------
    def save(self, folder: str | os.PathLike[str]) -> Path:
        """Write the run into ``folder`` (created; files of a previous save replaced)."""
        from .. import __version__

        folder = Path(folder)
        (folder / "models").mkdir(parents=True, exist_ok=True)
        (folder / "tables").mkdir(exist_ok=True)
        self.customers.to_parquet(folder / "customers.parquet", index=False)
        for name, table in self.tables.items():
            table.to_parquet(folder / "tables" / f"{name}.parquet")
        for name, model in self.models.items():
            if model is not None and hasattr(model, "save"):
                model.save(folder / "models" / f"{name}.json")
        _write_json(folder / "kpis.json", self.kpis)
        _write_json(folder / "assumptions.json", self.assumptions)
        _write_json(folder / "warnings.json", [n.to_dict() for n in self.notes])
        _write_json(folder / "meta.json", {
            "format": _MARKER, "clvkit_version": __version__,
            "settings": self.settings.to_dict(), "facts": self.facts, "timings": self.timings,
            "tables": sorted(self.tables)})
        self.folder = folder
        return folder

    @classmethod
    def load(cls, folder: str | os.PathLike[str]) -> Scores:
        """Read a run written by :meth:`save`.

        Raises
        ------
        ParameterError
            ``folder`` holds no clvkit scores.
        """
        folder = Path(folder)
        meta_path = folder / "meta.json"
        meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
        if meta.get("format") != _MARKER:
            msg = (f"{str(folder)!r} holds no clvkit scores (no meta.json written by "
                   "clvkit.score); compute them with clvkit.score(dataset) and .save(folder).")
            raise ParameterError(msg)

        def read(name: str) -> Any:
            return json.loads((folder / name).read_text(encoding="utf-8"))

        tables = {name: pd.read_parquet(folder / "tables" / f"{name}.parquet")
                  for name in meta.get("tables", [])}
        return cls(
            customers=pd.read_parquet(folder / "customers.parquet"),
            kpis=read("kpis.json"), assumptions=read("assumptions.json"),
            notes=[Note(**n) for n in read("warnings.json")],
            settings=ScoreSettings(**meta["settings"]), facts=meta.get("facts", {}),
            tables=tables, timings=meta.get("timings", {}), folder=folder,
        )
