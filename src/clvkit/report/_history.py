"""KPI history across scheduled runs: append one row per run, compare, alert.

Each report run appends its headline KPIs to one CSV kept NEXT TO the report folder
(``<out_parent>/<out_name>-history.csv``), never inside what ``--out`` replaces, so
the history survives every run. The file is rewritten atomically (written to a
temporary file in the same folder, then ``os.replace``) under an exclusive
``fcntl`` lock on a ``.lock`` file beside it, so two runs that finish at the same
time both land and a killed run never leaves half a file.

Columns: ``run_id``, ``generated`` (ISO 8601), then the known KPIs in
:data:`KPI_COLUMNS` order, then any extra KPI a caller passed (kept as its own
column; earlier rows get an empty cell).
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import ParameterError, SourceError

__all__ = ["DEFAULT_ALERTS", "KPI_COLUMNS", "alerts", "append_history", "history_path",
           "kpi_changes", "kpi_changes_table", "read_history", "run_history", "run_kpis",
           "with_run"]

#: Known KPIs, in column order: customers (count), revenue (currency), churn_rate
#: (share), nps (-100..100), clv_total (currency), at_risk_customers (count),
#: at_risk_value (currency).
KPI_COLUMNS: tuple[str, ...] = (
    "customers", "revenue", "churn_rate", "nps", "clv_total",
    "at_risk_customers", "at_risk_value",
)
_KEYS = ("run_id", "generated")
#: Changes since the previous run that raise an alert unless the run sets its own:
#: churn rate 5 points, NPS 10 points (KPI units; money KPIs have no default, as
#: their scale is the client's).
DEFAULT_ALERTS: dict[str, float] = {"churn_rate": 0.05, "nps": 10.0}


def history_path(out: str | Path) -> Path:
    """Return the history file of a report folder: ``<out_parent>/<out_name>-history.csv``.

    Beside the folder, never inside it, so replacing the report keeps the history.
    """
    out = Path(out).expanduser().resolve()
    return out.with_name(f"{out.name}-history.csv")


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``.<name>.lock`` beside ``path`` (POSIX ``fcntl``; a
    no-op elsewhere). The lock file stays (removing it would race another run)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: runs are not concurrent there
        yield
        return
    lock = path.with_name(f".{path.name}.lock")
    with lock.open("a") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def read_history(path: str | Path) -> pd.DataFrame:
    """Read a history file; an absent file gives an empty history.

    Returns
    -------
    pandas.DataFrame
        One row per run, oldest first: run_id (str), generated (datetime64), the
        KPI columns (float, NaN when a run did not have one), extra KPI columns.

    Raises
    ------
    SourceError
        If the file exists but is not a clvkit history (no run_id/generated column).
    """
    path = Path(path)
    if not path.is_file():
        return pd.DataFrame({"run_id": pd.Series(dtype=object),
                             "generated": pd.Series(dtype="datetime64[ns]"),
                             **{k: pd.Series(dtype=float) for k in KPI_COLUMNS}})
    frame = pd.read_csv(path, dtype={"run_id": str}, encoding="utf-8-sig")
    missing = [c for c in _KEYS if c not in frame.columns]
    if missing:
        msg = (f"{path} is not a clvkit KPI history: column(s) {', '.join(missing)} missing "
               f"(it has {', '.join(map(str, frame.columns)) or 'no columns'}). Move it away "
               "or pass another history path.")
        raise SourceError(msg)
    frame["generated"] = pd.to_datetime(frame["generated"], format="ISO8601")
    for col in frame.columns.difference(list(_KEYS)):
        frame[col] = pd.to_numeric(frame[col], errors="coerce")
    return frame


def _row(kpis: Mapping[str, float | None], generated: datetime, run_id: str) -> dict:
    if not isinstance(generated, datetime):
        msg = f"generated must be a datetime (the run's time); got {generated!r}"
        raise ParameterError(msg)
    if not str(run_id).strip():
        msg = "run_id must be a non-empty string naming the run (e.g. its folder name)"
        raise ParameterError(msg)
    bad = [k for k, v in kpis.items()
           if v is not None and not isinstance(v, (int, float, np.number))]
    if bad:
        got = ", ".join(f"{k}={kpis[k]!r}" for k in bad)
        msg = f"KPI values must be numbers or None; got {got}"
        raise ParameterError(msg)
    if any(k in _KEYS for k in kpis):
        msg = f"KPI names may not be {' or '.join(_KEYS)}: they are the history's own columns"
        raise ParameterError(msg)
    values = {k: (math.nan if v is None else float(v)) for k, v in kpis.items()}
    return {"run_id": str(run_id), "generated": pd.Timestamp(generated), **values}


def _appended(history: pd.DataFrame, row: dict) -> pd.DataFrame:
    history = history[history["run_id"] != row["run_id"]]
    new = pd.DataFrame([row])
    history = new if history.empty else pd.concat([history, new], ignore_index=True)
    extra = [c for c in history.columns if c not in (*_KEYS, *KPI_COLUMNS)]
    for col in KPI_COLUMNS:
        if col not in history:
            history[col] = np.nan
    history = history[[*_KEYS, *KPI_COLUMNS, *extra]]
    return history.sort_values("generated", kind="stable").reset_index(drop=True)


def with_run(history: pd.DataFrame, kpis: Mapping[str, float | None], *,
             generated: datetime, run_id: str) -> pd.DataFrame:
    """Return ``history`` with this run's KPIs added, without writing anything.

    For a page that shows the trend while its run is still in progress: the runner
    appends the run to the file only once the whole report succeeded
    (:func:`append_history`), so a failed run never enters the history.

    Raises
    ------
    ParameterError
        As :func:`append_history`.
    """
    return _appended(history, _row(kpis, generated, run_id))


def append_history(path: str | Path, kpis: Mapping[str, float | None], *,
                   generated: datetime, run_id: str) -> pd.DataFrame:
    """Append one run's KPIs to the history CSV and return the whole history.

    Parameters
    ----------
    path : str or pathlib.Path
        The history CSV, next to the report folder (``<out_parent>/<out_name>-history.csv``).
        Created with its folder when absent.
    kpis : mapping of str to float or None
        Values of :data:`KPI_COLUMNS` (any subset; None = not available this run) and
        any extra KPI (kept as an extra column).
    generated : datetime
        When the run was made (stored as ISO 8601).
    run_id : str
        The run's name. A run id already in the file replaces that row (a re-run of
        the same run does not count twice).

    Returns
    -------
    pandas.DataFrame
        The history as written, oldest first (see :func:`read_history`).

    Raises
    ------
    ParameterError
        A KPI value that is not a number, a reserved KPI name, an empty run id or a
        ``generated`` that is not a datetime.
    SourceError
        If ``path`` exists and is not a clvkit history.
    """
    path = Path(path)
    row = _row(kpis, generated, run_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _locked(path):
        history = _appended(read_history(path), row)
        out = history.assign(generated=history["generated"].map(lambda ts: ts.isoformat()))
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as fh:
                out.to_csv(fh, index=False)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return history


def kpi_changes(history: pd.DataFrame, *, lookback: Sequence[int] = (1, 4)) -> pd.DataFrame:
    """Say what moved between the latest run and the runs ``lookback`` runs before it.

    Parameters
    ----------
    history : pandas.DataFrame
        Output of :func:`append_history` or :func:`read_history` (oldest first).
    lookback : sequence of int, default (1, 4)
        How many runs back to compare with: 1 = the previous run, 4 = four runs ago.

    Returns
    -------
    pandas.DataFrame
        One row per KPI and lookback: kpi, lookback (runs), run_id and value of the
        latest run, base_run_id and base_value (NaN when the history is too short or
        the KPI was missing), change (latest - base, in the KPI's unit) and
        relative_change (change / abs(base); NaN when base is 0 or missing).

    Raises
    ------
    ParameterError
        If a lookback is not a positive whole number.
    """
    if any(isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1
           for k in lookback):
        msg = f"lookback must be positive whole numbers of runs, e.g. (1, 4); got {lookback!r}"
        raise ParameterError(msg)
    kpis = [c for c in history.columns if c not in _KEYS]
    records = []
    if history.empty:
        return pd.DataFrame(columns=["kpi", "lookback", "run_id", "value", "base_run_id",
                                     "base_value", "change", "relative_change"])
    history = history.sort_values("generated", kind="stable").reset_index(drop=True)
    last = history.iloc[-1]
    for kpi in kpis:
        for k in lookback:
            base = history.iloc[-1 - k] if len(history) > k else None
            value = float(last[kpi])
            base_value = float(base[kpi]) if base is not None else math.nan
            change = value - base_value
            rel = change / abs(base_value) if base_value != 0 else math.nan
            records.append({"kpi": kpi, "lookback": int(k), "run_id": last["run_id"],
                            "value": value,
                            "base_run_id": base["run_id"] if base is not None else None,
                            "base_value": base_value, "change": change,
                            "relative_change": rel})
    return pd.DataFrame.from_records(records)


#: The unit each known KPI is shown in (the KPI definitions of the scoring run).
_KPI_KIND = {"customers": "count", "at_risk_customers": "count", "revenue": "money",
             "clv_total": "money", "at_risk_value": "money", "churn_rate": "share",
             "nps": "score"}


def kpi_changes_table(ctx: Any, changes: pd.DataFrame) -> pd.DataFrame:
    """:func:`kpi_changes` for a reader: one row per KPI and earlier run it is compared
    with (comparisons the history is too short for are left out), the KPI named in the
    report language, its values in its own unit (a count, money in the report
    currency, the churn rate as a percentage, NPS in points), the change signed in
    that unit (percentage points for the churn rate, NPS points) and relative to the
    earlier value. ``ctx`` is the page's :class:`ReportContext`."""
    def shown(kpi: str, value: float, *, signed: bool = False) -> str:
        if not math.isfinite(value):
            return "–"
        kind = _KPI_KIND.get(kpi, "number")
        sign = "+" if signed and value > 0 else ""
        if kind == "money":
            return sign + ctx.money(value)
        if kind == "count":
            return sign + ctx.num(value)
        if kind == "share":
            return (f"{100 * value:+.1f}{ctx.t('fmt.points')}" if signed
                    else ctx.pct(value))
        return f"{value:+.1f}" + (ctx.t("fmt.points") if signed else "")  # NPS, others

    rows = []
    for row in changes.itertuples(index=False):
        if not math.isfinite(float(row.base_value)):
            continue
        kpi = str(row.kpi)
        name = ctx.t(f"trends.kpi.{kpi}")  # a KPI without a label keeps its own name
        rel = float(row.relative_change)
        rows.append({
            ctx.t("trends.col.kpi"): kpi if name == f"trends.kpi.{kpi}" else name,
            ctx.t("trends.col.compared"): (ctx.t("trends.previous_run") if row.lookback == 1
                                          else ctx.t("trends.runs_ago", n=int(row.lookback))),
            ctx.t("trends.col.now"): shown(kpi, float(row.value)),
            ctx.t("trends.col.then"): shown(kpi, float(row.base_value)),
            ctx.t("trends.col.change"): shown(kpi, float(row.change), signed=True),
            ctx.t("trends.col.relative"): f"{100 * rel:+.1f}%" if math.isfinite(rel) else "–",
        })
    return pd.DataFrame(rows)


def alerts(changes: pd.DataFrame, thresholds: Mapping[str, float], *,
           lookback: int = 1) -> list[dict[str, float | str]]:
    """List the KPIs whose change since ``lookback`` runs ago reached a threshold.

    Parameters
    ----------
    changes : pandas.DataFrame
        Output of :func:`kpi_changes`.
    thresholds : mapping of str to float
        ``{kpi: limit}`` in the KPI's own unit (absolute change), e.g.
        ``{"churn_rate": 0.02, "nps": 5, "at_risk_value": 10000}``. A positive limit
        alerts on moves of at least that size in either direction.
    lookback : int, default 1
        Which comparison of ``changes`` to check (1 = since the previous run).

    Returns
    -------
    list of dict
        ``{"kpi", "change", "threshold"}`` per alert, in the order of ``thresholds``;
        empty when nothing moved that much (or the history has one run).

    Raises
    ------
    ParameterError
        A threshold that is not a positive number, or a KPI absent from ``changes``.
    """
    known = set(changes["kpi"]) if "kpi" in changes else set()
    unknown = [k for k in thresholds if k not in known]
    bad = [k for k, v in thresholds.items()
           if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0]
    if unknown:
        msg = (f"thresholds: unknown KPI(s) {', '.join(unknown)}; "
               f"known: {', '.join(sorted(known))}")
        raise ParameterError(msg)
    if bad:
        got = ", ".join(f"{k}={thresholds[k]!r}" for k in bad)
        msg = ("thresholds must be positive numbers (absolute change in the KPI's unit); "
               f"check {got}")
        raise ParameterError(msg)
    rows = changes[changes["lookback"] == lookback].set_index("kpi")
    out: list[dict[str, float | str]] = []
    for kpi, limit in thresholds.items():
        change = float(rows.at[kpi, "change"]) if kpi in rows.index else math.nan
        if math.isfinite(change) and abs(change) >= limit:
            out.append({"kpi": kpi, "change": change, "threshold": float(limit)})
    return out


def run_kpis(scores: Any) -> dict[str, float | None]:
    """The KPIs of a scoring run (:class:`clvkit.scoring.Scores`) that a history keeps."""
    return {k: scores.kpi(k) for k in KPI_COLUMNS if k in scores.kpis}


def run_history(scores: Any, path: str | Path | None) -> pd.DataFrame:
    """The history at ``path`` (earlier runs; none when empty) with this run added,
    for the summary page. Nothing is written: the runner appends the run to the file
    only once the whole report succeeded."""
    earlier = read_history(path) if path else pd.DataFrame(columns=[*_KEYS, *KPI_COLUMNS])
    generated = datetime.now(timezone.utc)
    return with_run(earlier, run_kpis(scores), generated=generated, run_id="this run")
