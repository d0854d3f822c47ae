"""``clvkit score``: transactions -> scored customers (Parquet) on pandas, DuckDB or Spark.

The steps, each on the chosen engine:

1. the RFM summary (:func:`clvkit.engines._sql.rfm_sql`, or :func:`clvkit.rfm_summary`
   in pandas) plus each customer's transactions, revenue and last day;
2. BG/NBD and Gamma-Gamma fitted on the driver from the unique tuples with counts;
3. scores: DuckDB and pandas score each unique (frequency, recency, T) tuple once
   (:func:`clvkit.engines.score.score_tuples`) and join them back to the customers in
   SQL (:func:`clvkit.engines.score.joined_sql`); Spark runs
   :func:`clvkit.engines.score.score_chunk` in ``mapInPandas``;
4. segment and tier from global ranks: by linear-time selection in numpy on DuckDB and
   pandas (:func:`clvkit.engines.score.segment_codes`), by SQL windows on Spark
   (:func:`clvkit.engines.score.segment_sql`), the same codes; written to
   ``DIR/scored_customers.parquet`` (a Parquet folder on Spark) with ``DIR/run.json``.

Nothing else in ``DIR`` is touched; each file is written under a temporary name and
moved into place when complete, so a killed run leaves the previous files.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import threading
import time
import warnings
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clvkit import __version__
from clvkit import schema as s
from clvkit.exceptions import ParameterError

from . import Columns, choose_engine, open_engine, read_frame
from ._relational import check_source, day_number, end_of
from ._scored import write_scored
from ._sql import rfm_sql
from .score import (
    SCORED_COLUMNS,
    fit_models,
    score_chunk,
    score_tuples,
    segment_sql,
)

__all__ = ["RunSettings", "score_data"]

SCORED_FILE = "scored_customers.parquet"
_EPOCH = pd.Timestamp("1970-01-01")
RUN_FILE = "run.json"


@dataclass(frozen=True)
class RunSettings:
    """How ``clvkit score`` reads and chunks the data (recorded in run.json); what it
    computes (horizon, discount rate, margin rate, purchase model, penalizer) is the
    scoring stage's :class:`clvkit.scoring.ScoreSettings` in ``scoring``."""

    observation_end: Any = None
    freq: str = "W7"
    chunk_rows: int = 500_000  # recorded only: scores are computed per unique tuple
    scoring: Any = None

    def model_settings(self) -> Any:
        from clvkit.scoring import ScoreSettings

        return self.scoring or ScoreSettings()


class _Steps:
    """Step timings, and with ``progress`` a bar over the steps (stderr, via tqdm)."""

    NAMES = ("summary", "fit", "score", "segments")

    def __init__(self, progress: bool) -> None:
        from tqdm.auto import tqdm

        self.progress = progress
        self.seconds: dict[str, float] = {}
        self.overall = tqdm(total=len(self.NAMES), unit="step", disable=not progress,
                            bar_format="{desc} [{n}/{total} steps, {elapsed}]", leave=False)

    @contextmanager
    def step(self, name: str) -> Any:
        self.overall.set_description_str(name)
        t0 = time.perf_counter()
        yield
        self.seconds[name] = round(time.perf_counter() - t0, 3)
        self.overall.update(1)

    def close(self) -> None:
        self.overall.close()

    def bar(self, total: int, desc: str) -> Any:
        from tqdm.auto import tqdm

        return tqdm(total=total, desc=desc, unit="customers", unit_scale=True,
                    disable=not self.progress, leave=False)


def _time_unit(freq: str) -> dict[str, Any]:
    from clvkit.summary import time_unit_attrs

    return time_unit_attrs(freq, 1)


def _margin(settings: RunSettings) -> float:
    """The scoring stage's value basis at scale: an assumed margin rate, else revenue."""
    rate = settings.model_settings().margin_rate
    return float(rate) if rate > 0 else 1.0


def _score_kwargs(settings: RunSettings) -> dict[str, Any]:
    unit, s_ = _time_unit(settings.freq), settings.model_settings()
    return {"time_unit": unit["time_unit"], "periods_per_month": unit["periods_per_month"],
            "horizon_months": s_.horizon_months,
            "discount_rate_annual": s_.discount_rate_annual, "margin": _margin(settings),
            "churn_window": s_.churn_window_days / unit["unit_days"]}


def _tuple_sql(table: str) -> tuple[str, str]:
    return (f"SELECT frequency, recency, T, COUNT(*) AS n FROM {table} "
            f"GROUP BY frequency, recency, T",
            f"SELECT c AS customer_id, frequency, monetary_value FROM {table} "
            f"WHERE frequency > 0")


def _replace(tmp: Path, final: Path) -> None:
    """Move a finished output into place (a file, or Spark's Parquet folder)."""
    if final.is_dir():
        shutil.rmtree(final)
    elif final.exists() and tmp.is_dir():
        final.unlink()
    os.replace(tmp, final)


def _fit(tuples: pd.DataFrame, spend: pd.DataFrame, settings: RunSettings,
         notes: Any) -> tuple[Any, Any]:
    """The scoring stage's fits; a purchase model that cannot be fitted stops the run."""
    from clvkit.exceptions import ConvergenceError

    purchase, spend_model = fit_models(tuples, spend, settings.model_settings(), notes)
    if purchase is None:
        failed = next((n.values.get("error", "") for n in notes
                       if n.code == "purchase_model_failed"), "")
        msg = (f"clvkit score could not fit the purchase model on {int(tuples['n'].sum()):,} "
               f"customers: {failed} Try --penalizer 0.001.")
        raise ConvergenceError(msg)
    return purchase, spend_model


def _run_duckdb_like(con: Any, summary: str, end_day: int, settings: RunSettings,
                     steps: _Steps, out: Path, notes: Any) -> dict:
    """Steps 2-4 on a DuckDB connection holding the summary table ``summary``.

    The models are fitted on the driver, the purchase-model columns computed once per
    unique (frequency, recency, T) tuple (:func:`score_tuples`), and one query joins
    them back to the customers, adds CLV, segment and tier and writes the Parquet file.
    """
    with steps.step("fit"):
        t_sql, m_sql = _tuple_sql(summary)
        tuples, spend = con.execute(t_sql).df(), con.execute(m_sql).df()
        bgnbd, gamma_gamma = _fit(tuples, spend, settings, notes)
    kwargs = _score_kwargs(settings)
    with steps.step("score"):
        scores = score_tuples(tuples, bgnbd, periods_per_month=kwargs["periods_per_month"],
                              horizon_months=kwargs["horizon_months"],
                              discount_rate_annual=kwargs["discount_rate_annual"],
                              churn_window=kwargs["churn_window"])
        con.register("clvkit_tuple_scores", scores)
    with steps.step("segments"):
        write_scored(con, summary, end_day, gamma_gamma, kwargs["margin"],
                     out / f".{SCORED_FILE}.tmp")
        _replace(out / f".{SCORED_FILE}.tmp", out / SCORED_FILE)
        con.unregister("clvkit_tuple_scores")
    return {"bgnbd": bgnbd, "gamma_gamma": gamma_gamma, "n_unique_tuples": len(tuples)}


def _duckdb_dialect() -> Any:
    from ._sql import DUCKDB

    return DUCKDB


def _pandas(data: Any, cols: Columns, settings: RunSettings, steps: _Steps,
            out: Path, notes: Any) -> dict:
    import duckdb

    from clvkit.summary import rfm_summary

    with steps.step("summary"):
        frame = read_frame(data, cols)
        summary = rfm_summary(frame, settings.observation_end, settings.freq,
                              customer_col=cols.customer, datetime_col=cols.timestamp,
                              monetary_col=cols.amount, engine="pandas")
        end = summary.attrs["observation_end"]
        ts = pd.to_datetime(frame[cols.timestamp])
        if isinstance(ts.dtype, pd.DatetimeTZDtype):
            ts = ts.dt.tz_localize(None)
        keep = (ts.dt.normalize() <= end).to_numpy()
        rows = pd.DataFrame({"c": frame[cols.customer].to_numpy()[keep],
                             "day": (ts[keep].dt.normalize() - _EPOCH).dt.days,
                             "a": frame[cols.amount].to_numpy(dtype="float64")[keep]})
        g = rows.groupby("c", sort=True)
        extras = pd.DataFrame({"n_rows": g.size(), "last_day": g["day"].max(),
                               "revenue": g["a"].sum()})
        table = summary.join(extras.rename_axis(s.CUSTOMER_ID))
        table = table.reset_index().rename(columns={s.CUSTOMER_ID: "c"})
        n_rows = len(frame)
    con = duckdb.connect()
    try:
        con.register("clvkit_summary", table)
        info = _run_duckdb_like(con, "clvkit_summary", day_number(end), settings, steps, out,
                                notes)
    finally:
        con.close()
    return dict(info, observation_end=end, n_rows=n_rows, n_customers=len(table))


def _preload_models() -> threading.Thread:
    """Import the model stack (scikit-learn, SciPy: a second or more) in a thread while
    DuckDB aggregates (its query releases the GIL); the fit step then finds it loaded.
    A failed import here is ignored: the fit imports again and reports the error."""

    def run() -> None:
        with contextlib.suppress(Exception):
            import clvkit.models.btyd
            import clvkit.scoring._models  # noqa: F401

    thread = threading.Thread(target=run, name="clvkit-preload-models", daemon=True)
    thread.start()
    return thread


def _duckdb(data: Any, cols: Columns, settings: RunSettings, steps: _Steps, out: Path,
            memory_limit: str | None, notes: Any) -> dict:
    from clvkit.summary import period_of

    with open_engine(data, cols, "duckdb", memory_limit=memory_limit) as eng:
        with steps.step("summary"):
            check_source(eng, "clvkit score")
            end, st = end_of(eng, settings.observation_end, "clvkit score")
            sql = rfm_sql(eng.dialect, eng.source, cols, settings.freq, 1, day_number(end),
                          period_of(end, settings.freq), extras=True)
            preload = _preload_models()
            eng.con.execute(f"CREATE TABLE clvkit_summary AS {sql}")
            n_customers = eng.con.execute("SELECT COUNT(*) FROM clvkit_summary").fetchall()[0][0]
            preload.join()
        info = _run_duckdb_like(eng.con, "clvkit_summary", day_number(end), settings, steps,
                                out, notes)
    return dict(info, observation_end=end, n_rows=st["n_rows"], n_customers=int(n_customers))


def _spark(data: Any, cols: Columns, settings: RunSettings, steps: _Steps, out: Path,
           master: str | None, notes: Any) -> dict:
    from pyspark.sql import types as T

    from clvkit.summary import period_of

    with open_engine(data, cols, "spark", master=master) as eng:
        with steps.step("summary"):
            check_source(eng, "clvkit score")
            end, st = end_of(eng, settings.observation_end, "clvkit score")
            sql = rfm_sql(eng.dialect, eng.source, cols, settings.freq, 1, day_number(end),
                          period_of(end, settings.freq), extras=True)
            summary = eng.sql(sql).cache()
            summary.createOrReplaceTempView("clvkit_summary")
            n_customers = summary.count()
        with steps.step("fit"):
            t_sql, m_sql = _tuple_sql("clvkit_summary")
            tuples = eng.df(t_sql)
            bgnbd, gamma_gamma = _fit(tuples, eng.df(m_sql), settings, notes)
        with steps.step("score"):
            kwargs = _score_kwargs(settings)
            schema = T.StructType([
                T.StructField(s.CUSTOMER_ID, summary.schema["c"].dataType),
                *[T.StructField(c, T.DoubleType()) for c in SCORED_COLUMNS[1:5]]])

            def score_partition(frames: Any) -> Any:
                for frame in frames:
                    if len(frame):
                        chunk = frame.rename(columns={"c": s.CUSTOMER_ID})
                        yield score_chunk(chunk, bgnbd, gamma_gamma, **kwargs)

            cols_in = ["c", s.FREQUENCY, s.RECENCY, s.T, s.MONETARY_VALUE]
            scores = summary.select(*cols_in).mapInPandas(score_partition, schema)
            scores.createOrReplaceTempView("clvkit_scores")
        with steps.step("segments"):
            tmp = out / f".{SCORED_FILE}.tmp"
            final = eng.sql(segment_sql(eng.dialect, "clvkit_summary", "clvkit_scores",
                                        day_number(end)))
            final.write.mode("overwrite").parquet(str(tmp))
            _replace(tmp, out / SCORED_FILE)
        summary.unpersist()
    return {"bgnbd": bgnbd, "gamma_gamma": gamma_gamma, "n_unique_tuples": len(tuples),
            "observation_end": end, "n_rows": st["n_rows"], "n_customers": int(n_customers)}


def score_data(data: Any, out: str | os.PathLike[str], *, engine: str = "auto",
               columns: Columns | None = None, settings: RunSettings | None = None,
               memory_limit: str | None = None, spark_master: str | None = None,
               progress: bool = False) -> dict[str, Any]:
    """Score every customer of a transaction log and write Parquet + run.json into ``out``.

    Parameters
    ----------
    data : path, pandas.DataFrame or Spark DataFrame
        Transactions (Parquet/CSV file or folder for the SQL engines).
    out : path
        Folder for ``scored_customers.parquet`` and ``run.json`` (created if missing;
        other files in it are left alone).
    engine : {"auto", "pandas", "duckdb", "spark"}
        See :func:`clvkit.engines.choose_engine`.
    columns : Columns, optional
        Source names of customer, timestamp, amount; default clvkit's names.
    settings : ScoreSettings, optional
        Observation end, time unit, CLV horizon, discount rate, margin, chunk size.
    memory_limit, spark_master : str, optional
        DuckDB ``memory_limit``; Spark ``spark.master``.
    progress : bool
        Show a progress bar on stderr while scoring.

    Returns
    -------
    dict
        What run.json holds: engine, rows, customers, observation end, time unit,
        settings, model parameters, step timings, warnings, file names.

    Raises
    ------
    ParameterError
        Unknown engine or settings; DataValidationError for unusable data (see
        :func:`clvkit.rfm_summary`).
    """
    from clvkit.scoring._notes import Notes

    settings = settings or RunSettings()
    notes = Notes()
    model_settings = settings.model_settings()
    if model_settings.purchase_model == "auto":
        notes.add("purchase_model_bgnbd_at_scale", "04", model="BG/NBD")
    cols = columns or Columns(s.CUSTOMER_ID, s.TIMESTAMP, s.AMOUNT)
    if cols.amount is None:
        msg = "clvkit score needs an amount column (CLV is a value); map `amount` in the config."
        raise ParameterError(msg)
    name = choose_engine(data, engine)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    steps = _Steps(progress)
    started = pd.Timestamp.now(tz="UTC")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if name == "pandas":
                info = _pandas(data, cols, settings, steps, out, notes)
            elif name == "duckdb":
                info = _duckdb(data, cols, settings, steps, out, memory_limit, notes)
            else:
                info = _spark(data, cols, settings, steps, out, spark_master, notes)
        finally:
            steps.close()
    messages = list(dict.fromkeys(str(w.message) for w in caught
                                  if issubclass(w.category, UserWarning)))
    bg, gg = info.pop("bgnbd"), info.pop("gamma_gamma")
    run = {
        "command": "score", "clvkit_version": __version__, "engine": name,
        "data": str(data) if isinstance(data, (str, os.PathLike)) else type(data).__name__,
        "columns": asdict(cols),
        "settings": {"observation_end": str(info["observation_end"].date()),
                     "freq": settings.freq, "chunk_rows": settings.chunk_rows,
                     "scoring": asdict(model_settings), "margin": _margin(settings),
                     "churn_risk_source": "purchase_model"},
        "time_unit": _time_unit(settings.freq),
        "n_rows": int(info["n_rows"]), "n_customers": int(info["n_customers"]),
        "n_unique_tuples": int(info["n_unique_tuples"]),
        "models": {"purchase": type(bg).__name__,
                   "bgnbd": {k: float(v) for k, v in dict(bg.params).items()},
                   "gamma_gamma": (None if gg is None else
                                   {k: float(v) for k, v in dict(gg.params).items()})},
        "outputs": {"scored_customers": SCORED_FILE, "columns": list(SCORED_COLUMNS)},
        "seconds": steps.seconds, "warnings": messages,
        "notes": [n.to_dict() for n in notes],
        "started": started.isoformat(), "finished": pd.Timestamp.now(tz="UTC").isoformat(),
    }
    tmp = out / f".{RUN_FILE}.tmp"
    tmp.write_text(json.dumps(run, indent=2, default=_json_default), encoding="utf-8")
    os.replace(tmp, out / RUN_FILE)
    return run


def _json_default(value: Any) -> Any:
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    return str(value)
