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
from ..exceptions import ParameterError, ReportError
from ._html import SectionLink, notebook_title, render_html, translate_notebook
from ._index import write_index_and_exports
from ._kernel import execute_notebook, read_provenance, redact_secrets
from ._notebook import AUDIENCES
from ._params import notebook_parameters, resolve_paths, split_params
from ._privacy import shown_parameters
from ._provenance import versions

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

    def timings(self) -> str:
        """Return one line per notebook with its run time, and the total."""
        width = max((len(n.name) for n in self.notebooks), default=10)
        lines = [f"  {n.name:<{width}}  {n.seconds:6.1f} s" for n in self.notebooks]
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
    name: str, err: BaseException, kept: Path, out_dir: Path, others: Sequence[str] = ()
) -> ReportError:
    cell = getattr(err, "exec_count", None) or getattr(err, "cell_index", None)
    where = f" in cell [{cell}]" if cell is not None else ""
    what = (f"{err.ename}: {err.evalue}" if hasattr(err, "ename")
            else f"{type(err).__name__}: {str(err).strip().splitlines()[0] if str(err) else ''}")
    also = f"\nAlso failed: {', '.join(others)} (executed copies beside it)." if others else ""
    msg = (f"notebook {name} failed{where}: {what}\n"
           f"The executed notebook with the error is kept in {kept}; "
           f"the previous report in {out_dir} is unchanged.{also}")
    return ReportError(msg)


def _publish(staging: Path, out_dir: Path) -> None:
    """Swap the staging folder into place (two renames on the same file system)."""
    old = None
    if out_dir.exists():
        old = out_dir.with_name(f".old-{out_dir.name}-{os.getpid()}")
        if old.exists():
            shutil.rmtree(old)
        out_dir.rename(old)
    try:
        staging.rename(out_dir)
    except OSError:
        if old is not None:
            old.rename(out_dir)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _prepare(
    paths: Sequence[Path], params: Mapping[str, Any], lang: str, audience: str
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    if lang not in i18n.LANGUAGES:
        msg = f"lang must be one of 'en', 'zh'; got {lang!r}"
        raise ParameterError(msg)
    if audience not in AUDIENCES:
        msg = f"audience must be one of 'client', 'analyst'; got {audience!r}"
        raise ParameterError(msg)
    run_params = resolve_paths({**params, "lang": lang, "audience": audience})
    declared = {p.stem: notebook_parameters(p) for p in paths}
    return run_params, split_params(run_params, declared)


def _run_all(
    paths: Sequence[Path], per_notebook: Mapping[str, dict[str, Any]], staging: Path,
    out_dir: Path, *, audience: str, kernel: str, timeout: int, jobs: int,
    progress: Callable[[str], None] | None,
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
    with ProcessPoolExecutor(max_workers=max(1, min(jobs, n)), mp_context=context) as pool:
        futures = {}
        for i, src in enumerate(paths, start=1):
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
    if errors:
        names = [p.stem for p in paths if p.stem in errors]
        for path in executed_dir.glob("*.ipynb"):
            nb = redact_secrets(nbformat.read(str(path), as_version=4), audience=audience)
            nbformat.write(nb, str(path))
        failed = out_dir.with_name(f"{out_dir.name}.failed")
        if failed.exists():
            shutil.rmtree(failed)
        staging.rename(failed)
        raise _failure(names[0], errors[names[0]], failed / "notebooks" / f"{names[0]}.ipynb",
                       out_dir, others=names[1:])
    return [NotebookRun(p.stem, p.stem, seconds[p.stem], f"{p.stem}.html",
                        read_provenance(executed_dir / p.name)) for p in paths]


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


#: Currency of the bundled data sets' amounts, used unless ``currency`` is passed.
_BUNDLED_CURRENCY = {"demo": "¥", "cdnow": "$", "cdnow-sample": "$"}


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

    Parameters
    ----------
    out_dir : str or Path
        Report folder, e.g. ``reports/latest``; replaced as a whole on success.
    params : mapping, optional
        Notebook parameters (``data``, ``config``, ``demo_customers``,
        ``horizon_months`` ...). Values may be strings; they are converted to the
        type of the notebook's default. Each notebook receives the ones it declares.
        The bundled CDNOW data sets default to ``currency="$"`` (their amounts are
        US dollars).
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

    Returns
    -------
    RunResult

    Raises
    ------
    ParameterError
        Unknown parameter names (the message lists the known ones), invalid values,
        or an invalid ``lang``/``audience``.
    ReportError
        A notebook failed (which one, which cell, where the executed copy is), or
        no notebooks were found.
    """
    started = time.perf_counter()
    stamp = datetime.now(timezone.utc)
    out_dir = Path(out_dir).resolve()
    paths = notebook_paths(notebooks, select=select)
    params = dict(params or {})
    if "currency" not in params and params.get("data") in _BUNDLED_CURRENCY:
        params["currency"] = _BUNDLED_CURRENCY[params["data"]]
    run_params, per_notebook = _prepare(paths, params, lang, audience)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = out_dir.with_name(f".staging-{out_dir.name}-{os.getpid()}")
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    try:
        _say(progress, f"running {len(paths)} notebook(s), {jobs} at a time")
        runs = _run_all(paths, per_notebook, staging, out_dir, audience=audience, kernel=kernel,
                        timeout=cell_timeout, jobs=jobs, progress=progress)
        generated = stamp.strftime("%Y-%m-%d %H:%M UTC")
        data_name = next((r.provenance.get("data_name") for r in runs
                          if r.provenance.get("data_name")), str(run_params.get("data", "")))
        _render_all(runs, staging, lang, audience, f"clvkit · {data_name} · {generated}")
        record = {
            "generated": stamp.isoformat(timespec="seconds"),
            "parameters": shown_parameters(run_params, client=audience == "client"),
            "lang": lang,
            "audience": audience,
            "versions": versions(),
            "data": {"name": data_name,
                     "sha256": next((r.provenance.get("data_sha256") for r in runs
                                     if r.provenance.get("data_sha256")), "")},
            "notebooks": [{"name": r.name, "title": r.title, "seconds": round(r.seconds, 2),
                           "html": r.html, "data_sha256": r.provenance.get("data_sha256", "")}
                          for r in runs],
        }
        write_index_and_exports(staging, out_dir, runs, record, generated=generated,
                                at_risk_threshold=at_risk_threshold)
        record["seconds"] = round(time.perf_counter() - started, 2)
        (staging / "run.json").write_text(json.dumps(record, indent=2, ensure_ascii=False,
                                                     default=str), encoding="utf-8")
        _publish(staging, out_dir)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    failed = out_dir.with_name(f"{out_dir.name}.failed")
    if failed.exists():
        shutil.rmtree(failed, ignore_errors=True)
    return RunResult(out_dir, out_dir / "index.html", runs, time.perf_counter() - started, record)
