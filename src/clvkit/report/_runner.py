"""Run every report notebook with papermill and publish the HTML report atomically.

The run writes into a fresh staging folder beside the output folder and renames it
into place only when every notebook succeeded, so a failing run never damages the
previous good report.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import nbformat

from .. import i18n
from .._readers import mask_text, url_secrets
from ..exceptions import ParameterError, ReportError
from ._html import SectionLink, notebook_title, render_html, translate_notebook
from ._index import write_index_and_exports
from ._kernel import (
    clean_stale_sockets,
    execute_notebook,
    read_provenance,
    read_skipped,
    redact_secrets,
)
from ._notebook import AUDIENCES
from ._outdir import (
    RUN_MARKER,
    SIGNATURE,
    check_failed_folder,
    check_out_dir,
    check_protected,
    clean_stale,
    is_report,
    output_lock,
    protected_folders,
    publish,
    remove_own,
    write_run_marker,
)
from ._outputs import sanitise_folder, scrub_secrets
from ._params import notebook_parameters, resolve_paths, split_params
from ._preflight import Preflight, check_data
from ._privacy import project_secret, shown_parameters
from ._provenance import versions
from ._run_steps import add_run_numbers, drop_run_data, record_history, score_for_notebooks
from ._signals import RunInterrupted, interruptible, stop_workers, worker_init

__all__ = [
    "NotebookRun", "RunResult", "default_notebook_folder", "notebook_paths", "run_report",
]

_NOTEBOOK_NAME = re.compile(r"^\d\d_[\w-]+\.ipynb$")
#: Seconds one cell may run before the run is stopped.
DEFAULT_CELL_TIMEOUT = 600


@dataclass
class NotebookRun:
    """One executed notebook of a run."""

    name: str
    title: str
    seconds: float
    html: str
    provenance: dict[str, Any] = field(default_factory=dict)
    skipped: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class RunResult:
    """What :func:`run_report` produced.

    Attributes
    ----------
    out_dir : pathlib.Path
        The published report folder.
    index : pathlib.Path
        ``out_dir / "index.html"``.
    notebooks : list of NotebookRun
        In run order, with the seconds each took.
    seconds : float
        Wall time of the whole run.
    record : dict
        The content of ``run.json``.
    """

    out_dir: Path
    index: Path
    notebooks: list[NotebookRun]
    seconds: float
    record: dict[str, Any]
    scoring_seconds: float = 0.0

    @property
    def alerts(self) -> list[dict[str, Any]]:
        """KPIs that moved beyond their threshold since the previous run."""
        return list(self.record.get("alerts", []))

    def timings(self) -> str:
        """Return one line for the scoring run, one per notebook, and the total."""
        width = max((len(n.name) for n in self.notebooks), default=10)
        lines = [f"  {'scoring':<{width}}  {self.scoring_seconds:6.1f} s"]
        lines += [f"  {n.name:<{width}}  {n.seconds:6.1f} s" for n in self.notebooks]
        lines.append(f"  {'total':<{width}}  {self.seconds:6.1f} s")
        return "\n".join(lines)


def default_notebook_folder() -> Path:
    """Return the report notebooks that ``clvkit report`` runs when none are named.

    The rule never looks at the working folder, so an unrelated ``notebooks/`` folder
    where the command is typed is never picked up by accident:

    1. the notebooks installed with the package (``clvkit/notebooks``, put there by
       ``pip install .`` from the project's top-level ``notebooks/`` folder);
    2. else, for an editable install or a source checkout (``src/clvkit``), the
       ``notebooks/`` folder of that checkout (found from the package location, next
       to its ``pyproject.toml``), so edits to the notebooks count at once.

    ``--notebooks DIR`` (``notebooks=``) overrides both.

    Raises
    ------
    ReportError
        If neither folder exists (a broken install).
    """
    package = Path(__file__).resolve().parents[1]  # .../clvkit
    installed = package / "notebooks"
    if installed.is_dir():
        return installed
    checkout = package.parents[1]  # <checkout>/src/clvkit -> <checkout>
    if (checkout / "pyproject.toml").is_file() and (checkout / "notebooks").is_dir():
        return checkout / "notebooks"
    msg = (f"clvkit's report notebooks are missing: looked in {installed} and "
           f"{checkout / 'notebooks'}. Reinstall clvkit (pip install .) or pass "
           "--notebooks DIR")
    raise ReportError(msg)


def notebook_paths(
    notebooks: str | Path | Sequence[str | Path] | None = None, *, select: Sequence[str] = ()
) -> list[Path]:
    """Return the report notebooks to run, in reading order.

    Parameters
    ----------
    notebooks : folder, list of files, or None
        A folder holding ``NN_topic.ipynb`` files, or an explicit list of notebook
        files. Default (None): the notebooks that come with clvkit, see
        :func:`default_notebook_folder`.
    select : sequence of str, default ()
        Keep only notebooks whose name starts with one of these (``"01"``,
        ``"04_clv"``); empty keeps all.

    Raises
    ------
    ReportError
        If the folder does not exist, holds no ``NN_*.ipynb`` notebook, or a
        selection matches nothing.
    """
    if notebooks is None or isinstance(notebooks, str | os.PathLike):
        folder = default_notebook_folder() if notebooks is None else Path(notebooks)
        if not folder.is_dir():
            msg = (f"notebook folder {str(folder)!r} does not exist (looked from {Path.cwd()}); "
                   "pass --notebooks DIR with a folder of NN_topic.ipynb notebooks, or leave "
                   "it out to run the notebooks that come with clvkit")
            raise ReportError(msg)
        paths = sorted(p for p in folder.iterdir() if _NOTEBOOK_NAME.match(p.name))
        if not paths:
            msg = f"no report notebooks (NN_topic.ipynb) in {str(folder)!r}"
            raise ReportError(msg)
    else:
        paths = [Path(p) for p in notebooks]
    if select:
        chosen = [p for p in paths if any(p.stem.startswith(s) for s in select)]
        if not chosen:
            msg = (f"no notebook matches {', '.join(map(repr, select))}; "
                   f"available: {', '.join(p.stem for p in paths)}")
            raise ReportError(msg)
        paths = chosen
    return paths


def _say(progress: Callable[[str], None] | None, message: str) -> None:
    if progress is not None:
        progress(message)


def _failure(
    name: str, err: BaseException, kept: Path, out_dir: Path, others: Sequence[str] = (),
    *, had_previous: bool = True, secrets: Sequence[str] = (),
) -> ReportError:
    cell = getattr(err, "exec_count", None) or getattr(err, "cell_index", None)
    where = f" in cell [{cell}]" if cell is not None else ""
    what = (f"{err.ename}: {err.evalue}" if hasattr(err, "ename")
            else f"{type(err).__name__}: {str(err).strip().splitlines()[0] if str(err) else ''}")
    also = f"\nAlso failed: {', '.join(others)} (executed copies beside it)." if others else ""
    previous = (f"the previous report in {out_dir} is unchanged" if had_previous
                else f"no report was written to {out_dir}")
    msg = (f"notebook {name} failed{where}: {what}\n"
           f"The executed notebook with the error is kept in {kept}; {previous}.{also}")
    return ReportError(_scrubbed(msg, secrets))


def _scrubbed(text: str, secrets: Sequence[str]) -> str:
    text = mask_text(text)
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


def _secret_folder(paths: Sequence[Path], run_params: Mapping[str, Any]) -> Path:
    """Where the project's pseudonym key lives: beside the config, else the project."""
    config = run_params.get("config")
    if isinstance(config, str) and config and Path(config).is_file():
        return Path(config).resolve().parent
    return paths[0].resolve().parent.parent


def _prepare(
    paths: Sequence[Path], params: Mapping[str, Any], lang: str, audience: str
) -> tuple[dict[str, Any], dict[str, dict[str, Any]], dict[str, Any], list[str]]:
    if lang not in i18n.LANGUAGES:
        msg = f"lang must be one of 'en', 'zh'; got {lang!r}"
        raise ParameterError(msg)
    if audience not in AUDIENCES:
        msg = f"audience must be one of 'client', 'analyst'; got {audience!r}"
        raise ParameterError(msg)
    run_params = resolve_paths({**params, "lang": lang, "audience": audience})
    declared = {p.stem: notebook_parameters(p) for p in paths}
    split_params(run_params, declared)  # unknown names and bad values fail here, early
    return run_params, declared


def _check_fonts() -> None:
    from ..plots.style import MissingFontError, ensure_cjk_font

    try:
        ensure_cjk_font()
    except MissingFontError as err:
        raise ReportError(str(err)) from None


def _run_all(
    paths: Sequence[Path], per_notebook: Mapping[str, dict[str, Any]], staging: Path,
    out_dir: Path, *, audience: str, kernel: str, timeout: int, jobs: int,
    progress: Callable[[str], None] | None, secrets: Sequence[str] = (),
) -> list[NotebookRun]:
    """Execute the notebooks, ``jobs`` at a time, each in its own worker process.

    Notebooks are independent (each loads the data itself), so they may run in
    parallel; results are reported in notebook order. Every notebook runs even
    when another failed, so one run shows every broken section; then the staging
    folder becomes ``<out_dir>.failed`` and the first failure (in notebook order)
    is raised, naming the others.
    """
    executed_dir = staging / "notebooks"
    executed_dir.mkdir(parents=True)
    n = len(paths)
    context = multiprocessing.get_context("spawn")
    seconds: dict[str, float] = {}
    errors: dict[str, BaseException] = {}
    pool = ProcessPoolExecutor(max_workers=max(1, min(jobs, n)), mp_context=context,
                               initializer=worker_init, initargs=(os.getpid(),))
    numbered = list(enumerate(paths, start=1))
    if jobs > 1:  # the slowest pages of the previous run first: the run ends sooner
        last = _previous_seconds(out_dir)
        numbered.sort(key=lambda item: -last.get(item[1].stem, 0.0))
    try:
        futures = {}
        for i, src in numbered:
            params = {**per_notebook[src.stem], "output_dir": str(staging)}
            futures[pool.submit(execute_notebook, src, executed_dir / src.name, params, kernel,
                                timeout)] = (i, src.stem)
        for future in as_completed(futures):
            i, name = futures[future]
            try:
                seconds[name] = future.result()
                _say(progress, f"[{i}/{n}] {name} done in {seconds[name]:.1f} s")
            except Exception as err:  # any failure: keep what ran, report where
                errors[name] = err
                _say(progress, f"[{i}/{n}] {name} FAILED")
    except BaseException:  # a signal, Ctrl-C: stop every notebook now
        stop_workers(pool)
        clean_stale_sockets()
        raise
    pool.shutdown(wait=True)
    if errors:
        names = [p.stem for p in paths if p.stem in errors]
        for path in executed_dir.glob("*.ipynb"):
            nb = redact_secrets(nbformat.read(str(path), as_version=4), audience=audience)
            nbformat.write(nb, str(path))
        scrub_secrets(staging, secrets)
        failed = check_failed_folder(out_dir)
        if failed.exists():
            remove_own(failed)
        staging.rename(failed)
        raise _failure(names[0], errors[names[0]], failed / "notebooks" / f"{names[0]}.ipynb",
                       out_dir, others=names[1:], had_previous=out_dir.exists(),
                       secrets=secrets)
    return [NotebookRun(p.stem, p.stem, seconds[p.stem], f"{p.stem}.html",
                        read_provenance(executed_dir / p.name),
                        read_skipped(executed_dir / p.name)) for p in paths]


def _previous_seconds(out_dir: Path) -> dict[str, float]:
    """Seconds per notebook of the report in ``out_dir`` (its run.json), else empty."""
    try:
        record = json.loads((out_dir / "run.json").read_text(encoding="utf-8"))
        return {str(r["name"]): float(r["seconds"]) for r in record.get("notebooks", [])}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}


def _render_all(runs: list[NotebookRun], staging: Path, lang: str, audience: str,
                footer: str) -> None:
    books = {}
    for run in runs:
        path = staging / "notebooks" / f"{run.name}.ipynb"
        nb = redact_secrets(nbformat.read(str(path), as_version=4), audience=audience)
        nbformat.write(nb, str(path))
        books[run.name] = nb
        run.title = notebook_title(translate_notebook(nb, lang), run.name)
    for run in runs:
        links = [SectionLink(r.html, r.title, r is run) for r in runs]
        page = render_html(books[run.name], lang=lang, audience=audience, sections=links,
                           footer=footer)
        (staging / run.html).write_text(page, encoding="utf-8")


def run_report(
    out_dir: str | Path,
    *,
    params: Mapping[str, Any] | None = None,
    notebooks: str | Path | Sequence[str | Path] | None = None,
    select: Sequence[str] = (),
    lang: str = "en",
    audience: str = "client",
    kernel: str = "python3",
    cell_timeout: int = DEFAULT_CELL_TIMEOUT,
    at_risk_threshold: float = 0.5,
    jobs: int = 2,
    progress: Callable[[str], None] | None = None,
    free_text: bool = False,
    alert_thresholds: Mapping[str, float] | None = None,
) -> RunResult:
    """Run the report notebooks and publish HTML pages, an index and exports in ``out_dir``.

    Every notebook runs in order with papermill (kernel ``kernel``, working
    directory = the notebook's folder, ``cell_timeout`` seconds per cell) with the
    parameters it declares, plus ``output_dir`` pointing at the run's folder. The
    executed notebooks are rendered to HTML with clvkit's offline template, then
    ``index.html``, ``run.json`` and ``newly_at_risk.csv`` are written.

    Everything is written to a staging folder beside ``out_dir`` first and renamed
    into place only when every notebook succeeded. When a notebook fails, the
    staging folder becomes ``<out_dir>.failed`` (holding the executed notebook
    with the error in ``notebooks/``), ``out_dir`` is left as it was, and
    :class:`~clvkit.exceptions.ReportError` says which notebook and cell failed.

    Safety (see :mod:`clvkit.report._outdir`, :mod:`~clvkit.report._signals`,
    :mod:`~clvkit.report._outputs`, :mod:`~clvkit.report._preflight`):

    * ``out_dir`` is replaced only when missing, empty or a previous clvkit report
      (``run.json`` with its signature and file list), never when it is or
      contains the current folder, the notebooks, their project, the data or the
      config; this is checked before any work. A lock beside it refuses a second
      concurrent run; leftovers of killed runs are removed.
    * SIGTERM/SIGINT kill the notebook workers and kernels, remove the staging
      folder and raise :class:`~clvkit.report._signals.RunInterrupted`; workers die
      with the run even on SIGKILL.
    * Without a ``salt`` parameter the per-project key from ``.clvkit-secret``
      (created once, beside the config or in the project folder) pseudonymises ids.
      Client set-aside files keep only role columns; free text only when asked,
      masked. Database passwords and the key are removed from every file.
    * The data are loaded once first (:func:`~clvkit.report._preflight.preflight`):
      a missing required column stops the run in seconds; thin data are
      reported per section (``run.json["preflight"]``). Sections a notebook
      skipped with ``ctx.skip`` are listed in ``run.json["skipped_sections"]``.

    Parameters
    ----------
    out_dir : str or Path
        Report folder, e.g. ``reports/latest``; replaced as a whole on success.
    params : mapping, optional
        Notebook parameters (``data``, ``config``, ``demo_customers``,
        ``horizon_months`` ...). Values may be strings; they are converted to the
        type of the notebook's default. Each notebook receives the ones it declares.
        An empty ``currency`` takes the data's (the bundled CDNOW data sets are in
        US dollars, the demo in yuan, a configuration may name one).
    notebooks : folder or list of files, optional
        Default: the notebooks that come with clvkit (see
        :func:`default_notebook_folder`).
    select : sequence of str, default ()
        Run only notebooks whose name starts with one of these.
    lang : {"en", "zh"}, default "en"
    audience : {"client", "analyst"}, default "client"
        Client: code hidden, customer ids pseudonymised. Analyst: code and raw ids.
    kernel : str, default "python3"
        Jupyter kernel name.
    cell_timeout : int, default 600
        Seconds a single cell may run.
    at_risk_threshold : float, default 0.5
        ``churn_risk`` at or above which a scored customer counts as at risk (for
        ``newly_at_risk.csv``).
    jobs : int, default 2
        Notebooks executed at the same time (each in its own process and kernel);
        1 runs them one after the other.
    progress : callable, optional
        Called with one line of text per step (the CLI prints them).
    free_text : bool, default False
        Keep survey comments (e-mails and phone numbers masked) in a client
        report's set-aside files; an analyst report always keeps them, masked.

    alert_thresholds : mapping, optional
        KPI -> change since the previous run that raises an alert (KPI units,
        e.g. ``{"churn_rate": 0.05}``); default :data:`DEFAULT_ALERTS`. The run's KPIs
        are appended to ``<out_parent>/<out_name>-history.csv`` (beside the report,
        never inside it) once the report is published; alerts go to run.json and
        ``RunResult.alerts``.

    Returns
    -------
    RunResult

    Raises
    ------
    ParameterError
        Unknown parameter names (the message lists the known ones), invalid values,
        or an invalid ``lang``/``audience``.
    ReportError
        A notebook failed (which one, which cell, where the executed copy is), no
        notebooks were found, ``out_dir`` may not be replaced, another run holds
        it, or the data cannot be used (preflight, in the report language).
    RunInterrupted
        The run was stopped by SIGTERM/SIGINT (``exit_code`` 128 + signal).
    """
    started = time.perf_counter()
    stamp = datetime.now(timezone.utc)
    out_dir = Path(os.path.abspath(out_dir))
    paths = notebook_paths(notebooks, select=select)
    params = dict(params or {})
    run_params, declared = _prepare(paths, params, lang, audience)
    # nothing has been written yet: refuse an output folder clvkit may not replace
    check_protected(out_dir, protected_folders(paths, run_params))
    check_out_dir(out_dir)
    check_failed_folder(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    had_previous = out_dir.exists()
    try:
        with output_lock(out_dir), interruptible():
            for path in clean_stale(out_dir):
                _say(progress, f"removed {path.name}, left by a run that was stopped")
            clean_stale_sockets()
            check_out_dir(out_dir)  # again, now that no other run can change it
            if "salt" not in run_params and any("salt" in d for d in declared.values()):
                run_params["salt"] = project_secret(_secret_folder(paths, run_params))
            per_notebook = split_params(run_params, declared)
            secrets = [*url_secrets(str(run_params.get("data", ""))),
                       *([str(run_params["salt"])] if run_params.get("salt") else [])]
            checked = check_data(paths, per_notebook, declared, lang, progress)
            if lang == "zh":  # fail in a second, and refresh matplotlib's font cache once
                _check_fonts()
            staging = out_dir.with_name(f".staging-{out_dir.name}-{os.getpid()}")
            if staging.exists():
                remove_own(staging)
            staging.mkdir()
            write_run_marker(staging)
            try:
                runs, record = _build(
                    paths, per_notebook, staging, out_dir, run_params, stamp=stamp, lang=lang,
                    audience=audience, kernel=kernel, cell_timeout=cell_timeout, jobs=jobs,
                    progress=progress, secrets=secrets, at_risk_threshold=at_risk_threshold,
                    free_text=free_text, checked=checked, started=started, declared=declared,
                    alert_thresholds=alert_thresholds)
                publish(staging, out_dir)
                record_history(out_dir, record, stamp, progress)
            finally:
                if staging.exists():
                    shutil.rmtree(staging, ignore_errors=True)
            failed = out_dir.with_name(f"{out_dir.name}.failed")
            if failed.is_dir() and is_report(failed):
                remove_own(failed)
    except RunInterrupted as err:
        previous = (f"the previous report in {out_dir} is unchanged" if had_previous
                    else f"no report was written to {out_dir}")
        raise RunInterrupted(f"{err}: notebooks stopped, nothing published; {previous}",
                             err.signum) from None
    return RunResult(out_dir, out_dir / "index.html", runs, time.perf_counter() - started, record,
                     record.get("scoring_seconds", 0.0))


def _build(
    paths: Sequence[Path], per_notebook: Mapping[str, dict[str, Any]], staging: Path,
    out_dir: Path, run_params: Mapping[str, Any], *, stamp: datetime, lang: str,
    audience: str, kernel: str, cell_timeout: int, jobs: int,
    progress: Callable[[str], None] | None, secrets: Sequence[str], at_risk_threshold: float,
    free_text: bool, checked: Preflight, started: float,
    declared: Mapping[str, Mapping[str, Any]],
    alert_thresholds: Mapping[str, float] | None = None,
) -> tuple[list[NotebookRun], dict[str, Any]]:
    """Score once, run, sanitise and render everything into ``staging``; return the runs
    and run.json."""
    scoring_seconds = score_for_notebooks(checked.dataset, declared, per_notebook, run_params,
                                          staging, out_dir, progress)
    _say(progress, f"running {len(paths)} notebook(s), {jobs} at a time")
    try:
        runs = _run_all(paths, per_notebook, staging, out_dir, audience=audience,
                        kernel=kernel, timeout=cell_timeout, jobs=jobs, progress=progress,
                        secrets=secrets)
    finally:  # the loaded tables hold personal data: never part of a report folder
        drop_run_data(staging, out_dir)
    client = audience == "client"
    for entry in sanitise_folder(staging, client=client, free_text=free_text):
        _say(progress, f"left out of the report: {entry}")
    generated = stamp.strftime("%Y-%m-%d %H:%M UTC")
    data_name = next((r.provenance.get("data_name") for r in runs
                      if r.provenance.get("data_name")), str(run_params.get("data", "")))
    data_name = _scrubbed(data_name, secrets)
    _render_all(runs, staging, lang, audience, f"clvkit · {data_name} · {generated}")
    record = {
        "signature": SIGNATURE,
        "generated": stamp.isoformat(timespec="seconds"),
        "parameters": shown_parameters(run_params, client=client),
        "lang": lang,
        "audience": audience,
        "versions": versions(),
        "data": {"name": data_name,
                 "sha256": next((r.provenance.get("data_sha256") for r in runs
                                 if r.provenance.get("data_sha256")), "")},
        "notebooks": [{"name": r.name, "title": r.title, "seconds": round(r.seconds, 2),
                       "html": r.html, "data_sha256": r.provenance.get("data_sha256", "")}
                      for r in runs],
        "preflight": checked.to_record(lang),
        "skipped_sections": [{"notebook": r.name, **s} for r in runs for s in r.skipped],
    }
    write_index_and_exports(staging, out_dir, runs, record, generated=generated,
                            at_risk_threshold=at_risk_threshold)
    record["scoring_seconds"] = round(scoring_seconds, 2)
    add_run_numbers(record, staging, out_dir, stamp, alert_thresholds, progress)
    record["seconds"] = round(time.perf_counter() - started, 2)
    (staging / RUN_MARKER).unlink()
    written = sorted(str(p.relative_to(staging)) for p in staging.rglob("*") if p.is_file())
    record["files"] = [*written, "run.json"]
    (staging / "run.json").write_text(json.dumps(record, indent=2, ensure_ascii=False,
                                                 default=str), encoding="utf-8")
    scrub_secrets(staging, secrets)
    return runs, record
