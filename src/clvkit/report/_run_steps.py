"""The steps of a report run around the notebooks: the one scoring run before them,
and the KPI history and alerts after them."""

from __future__ import annotations

import dataclasses
import json
import pickle
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from ._history import (
    DEFAULT_ALERTS,
    KPI_COLUMNS,
    alerts,
    append_history,
    history_path,
    kpi_changes,
    read_history,
    with_run,
)
from ._preflight import _tell as _say
from ._preflight import declared_default

__all__ = ["HISTORY_PARAM", "RUN_DATA", "SCORES_PARAM", "add_run_numbers", "alerts_for",
           "drop_run_data", "record_history", "score_for_notebooks", "score_once",
           "write_run_data"]

#: The validated tables, loaded once per run and handed to every notebook (pickle,
#: written and read by the same run; removed before anything is published).
RUN_DATA = "run-data.pickle"


#: The parameter through which notebooks receive the run's scores folder.
SCORES_PARAM = "scores_dir"
#: The parameter through which the summary page receives the KPI history file.
HISTORY_PARAM = "history"


def _kpi_values(record: Mapping[str, Any]) -> dict[str, Any]:
    return {k: record["kpis"][k]["value"] for k in KPI_COLUMNS if k in record.get("kpis", {})}


def alerts_for(out_dir: Path, record: Mapping[str, Any], stamp: datetime,
            thresholds: Mapping[str, float] | None) -> list[dict[str, Any]]:
    """The KPIs that moved more than their threshold since the previous published run."""
    hist = with_run(read_history(history_path(out_dir)), _kpi_values(record),
                    generated=stamp, run_id=stamp.isoformat(timespec="seconds"))
    return alerts(kpi_changes(hist), dict(DEFAULT_ALERTS if thresholds is None
                                          else thresholds))


def record_history(out_dir: Path, record: Mapping[str, Any], stamp: datetime,
                    progress: Callable[[str], None] | None) -> None:
    """Append a published run's KPIs to the history beside the report folder."""
    if "kpis" not in record:
        return
    path = history_path(out_dir)
    append_history(path, _kpi_values(record), generated=stamp,
                   run_id=stamp.isoformat(timespec="seconds"))
    _say(progress, f"KPIs added to {path}")


def score_once(ds: Any, declared: Mapping[str, Mapping[str, Any]],
                run_params: Mapping[str, Any], folder: Path,
                progress: Callable[[str], None] | None) -> float:
    """Run :func:`clvkit.score` once into ``folder`` with the notebooks' settings (their
    declared defaults, overridden by the run's parameters); return the seconds taken."""
    from ..scoring import ScoreSettings, score

    started = time.perf_counter()
    defaults = {name: declared_default(declared, name) for name in ScoreSettings.names()}
    settings = {k: v for k, v in defaults.items() if v is not None}
    score(ds, ScoreSettings.from_params({**settings, **run_params})).save(folder)
    seconds = time.perf_counter() - started
    _say(progress, f"scoring done in {seconds:.1f} s (models fitted once for every page)")
    return seconds


def score_for_notebooks(
    dataset: Any, declared: Mapping[str, Mapping[str, Any]],
    per_notebook: Mapping[str, dict[str, Any]], run_params: Mapping[str, Any], staging: Path,
    out_dir: Path, progress: Callable[[str], None] | None,
) -> float:
    """Score once into ``staging/scores`` and tell every notebook where the scores and the
    KPI history are (the notebooks that declare ``scores_dir`` / ``history``); return
    the scoring seconds (0 when no notebook reads scores)."""
    seconds = 0.0
    users = [stem for stem, found in declared.items() if SCORES_PARAM in found]
    if users and dataset is not None:
        _say(progress, "scoring the customers once for every page")
        seconds = score_once(dataset, declared, run_params, staging / "scores", progress)
        write_run_data(dataset, staging / "scores" / RUN_DATA)
        for stem in users:
            per_notebook[stem][SCORES_PARAM] = str(staging / "scores")
    for stem, found in declared.items():
        if HISTORY_PARAM in found:
            per_notebook[stem][HISTORY_PARAM] = str(history_path(out_dir))
    return seconds


def write_run_data(dataset: Any, path: Path) -> None:
    """Pickle the run's tables for every page, with their fingerprint computed once
    (each page's provenance cell reads it instead of hashing the tables again)."""
    from ._provenance import RUN_SHA256, data_hash

    if dataclasses.is_dataclass(dataset) and isinstance(getattr(dataset, "extra", None), dict):
        dataset = dataclasses.replace(dataset,
                                      extra={**dataset.extra, RUN_SHA256: data_hash(dataset)})
    with open(path, "wb") as fh:  # loaded once, for every page
        pickle.dump(dataset, fh, protocol=pickle.HIGHEST_PROTOCOL)


def add_run_numbers(record: dict[str, Any], staging: Path, out_dir: Path, stamp: datetime,
                    thresholds: Mapping[str, float] | None,
                    progress: Callable[[str], None] | None) -> None:
    """Put the run's KPIs, assumptions, warnings, history file and alerts into run.json."""
    scores = staging / "scores"
    if not (scores / "kpis.json").exists():
        return
    for name in ("assumptions", "kpis", "warnings"):
        record[name] = json.loads((scores / f"{name}.json").read_text(encoding="utf-8"))
    record["history"] = str(history_path(out_dir))
    record["alerts"] = alerts_for(out_dir, record, stamp, thresholds)
    for item in record["alerts"]:
        _say(progress, f"ALERT: {item['kpi']} moved by {item['change']:+.4g} since the "
                       f"previous run (threshold {item['threshold']:g})")


def drop_run_data(staging: Path, out_dir: Path) -> None:
    """Remove the run's pickled tables from the staging folder (and from a failed run's
    folder): they hold the raw data, personal columns included."""
    for folder in (staging, out_dir.with_name(f"{out_dir.name}.failed")):
        path = folder / "scores" / RUN_DATA
        if path.exists():
            path.unlink()
