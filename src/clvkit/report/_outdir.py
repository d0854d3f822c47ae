"""The report's output folder: what may be replaced, the lock, and leftovers of killed runs.

``clvkit report --out DIR`` replaces DIR as a whole, so it must only ever replace
what clvkit wrote itself:

* DIR is replaced only when it is missing, empty, or a previous clvkit report
  (its ``run.json`` carries :data:`SIGNATURE` and lists the files of the report);
  a folder holding anything else is refused before any work.
* DIR may never be, or contain, the project folder, the notebooks, the data or
  the config (``--out .`` from the project root would otherwise replace the
  checkout).
* A lock file beside DIR (``.DIR.lock``, ``fcntl.flock``) keeps a second run from
  writing into the same folder at the same time.
* Staging folders of killed runs (``.staging-DIR-<pid>``, marked by
  :data:`RUN_MARKER`) are removed by the next run once their process is gone.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..exceptions import ReportError

__all__ = ["RUN_MARKER", "SIGNATURE", "check_failed_folder", "check_out_dir", "check_protected",
           "clean_stale", "is_report", "output_lock", "protected_folders", "publish", "remove_own",
           "report_files", "write_run_marker"]

#: Value of ``run.json["signature"]`` in every report clvkit publishes.
SIGNATURE = "clvkit-report/1"
#: File clvkit writes first into a staging folder (and so into ``<out>.failed``).
RUN_MARKER = ".clvkit-run"
#: Names a report published before the signature existed may hold.
_LEGACY = re.compile(
    r"^(index\.html|run\.json|notebooks|\d\d_[\w-]+\.html|[\w.-]+\.(csv|parquet))$")


def _entries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def report_files(folder: Path) -> set[str] | None:
    """The top-level names clvkit wrote into a report folder, or None if it is not one.

    A report is recognised by its ``run.json``: with :data:`SIGNATURE` it lists its
    ``files``; a report written before the signature existed (``run.json`` with
    ``generated`` and ``versions.clvkit``) may hold only the names a report has.
    A staging or failed folder is recognised by :data:`RUN_MARKER`.
    """
    marker = _read_json(folder / RUN_MARKER)
    if marker is not None and marker.get("signature") == SIGNATURE:
        return set(_entries(folder))  # a run folder is clvkit's as a whole
    record = _read_json(folder / "run.json")
    if record is None:
        return None
    if record.get("signature") == SIGNATURE and isinstance(record.get("files"), list):
        return {str(f).split("/", 1)[0] for f in record["files"]} | {"run.json"}
    if "generated" in record and "clvkit" in (record.get("versions") or {}):
        return {name for name in _entries(folder) if _LEGACY.match(name)}
    return None


def is_report(folder: Path) -> bool:
    """Whether ``folder`` is a report (or run folder) clvkit wrote."""
    return folder.is_dir() and report_files(folder) is not None


def _within(inner: Path, outer: Path) -> bool:
    return inner == outer or outer in inner.parents


def check_protected(out_dir: Path, protected: Iterable[tuple[str, Path]]) -> None:
    """Refuse an ``out_dir`` that is, or contains, one of the ``(what, path)`` folders.

    Raises
    ------
    ReportError
        Naming the protected folder and suggesting a folder of the report's own.
    """
    out_dir = out_dir.resolve()
    for what, path in protected:
        path = path.resolve()
        if _within(path, out_dir):
            same = "is" if path == out_dir else "contains"
            msg = (f"--out {out_dir} {same} the {what} ({path}); the report replaces its "
                   "output folder as a whole, so it must be a folder of its own. "
                   "Use e.g. --out reports/latest")
            raise ReportError(msg)
    if out_dir == Path(out_dir.anchor) or out_dir == Path.home().resolve():
        msg = (f"--out {out_dir} is the file-system root or your home folder; "
               "use a folder of its own, e.g. --out reports/latest")
        raise ReportError(msg)


def check_out_dir(out_dir: Path) -> str:
    """Say what ``out_dir`` is, refusing anything clvkit may not replace.

    Returns
    -------
    {"missing", "empty", "report"}

    Raises
    ------
    ReportError
        If ``out_dir`` is a file, or a folder that is not a clvkit report, or a
        report folder that also holds files clvkit did not write (up to 5 named).
    """
    if not out_dir.exists() and not out_dir.is_symlink():
        return "missing"
    if out_dir.is_symlink() or not out_dir.is_dir():
        kind = "a symbolic link" if out_dir.is_symlink() else "a file"
        msg = (f"--out {out_dir} is {kind}, not a report folder; nothing was changed. "
               "Choose a new or empty folder, e.g. --out reports/latest")
        raise ReportError(msg)
    names = _entries(out_dir)
    if not names:
        return "empty"
    own = report_files(out_dir)
    if own is None:
        shown = ", ".join(map(repr, names[:5])) + (" ..." if len(names) > 5 else "")
        msg = (f"--out {out_dir} is not empty and is not a clvkit report (no run.json "
               f"written by clvkit); it holds {len(names)} item(s): {shown}. Nothing was "
               "changed. clvkit replaces only an empty folder or a previous report: "
               "choose a new or empty folder, e.g. --out reports/latest")
        raise ReportError(msg)
    extra = [n for n in names if n not in own]
    if extra:
        shown = ", ".join(map(repr, extra[:5])) + (" ..." if len(extra) > 5 else "")
        msg = (f"--out {out_dir} is a previous clvkit report but also holds {len(extra)} "
               f"item(s) clvkit did not write: {shown}. Nothing was changed. Move them "
               "out of the report folder, or choose another --out")
        raise ReportError(msg)
    return "report"


def write_run_marker(folder: Path) -> None:
    """Mark a staging folder as this process's run (see :func:`clean_stale`)."""
    record = {"signature": SIGNATURE, "pid": os.getpid()}
    (folder / RUN_MARKER).write_text(json.dumps(record), encoding="utf-8")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def clean_stale(out_dir: Path) -> list[Path]:
    """Remove staging and half-swapped folders of killed runs into ``out_dir``.

    Only folders named ``.staging-<name>-<pid>`` / ``.old-<name>-<pid>`` beside
    ``out_dir`` that clvkit marked as its own (:func:`report_files`) and whose
    process no longer runs are removed. Call it while holding :func:`output_lock`.

    Returns
    -------
    list of pathlib.Path
        The folders removed.
    """
    removed = []
    pattern = re.compile(rf"^\.(staging|old)-{re.escape(out_dir.name)}-(\d+)$")
    if not out_dir.parent.is_dir():
        return removed
    for path in out_dir.parent.iterdir():
        match = pattern.match(path.name)
        if match is None or not path.is_dir() or path.is_symlink():
            continue
        if _alive(int(match.group(2))) or not is_report(path):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def remove_own(folder: Path) -> None:
    """Delete a report folder clvkit wrote, but only the files it wrote.

    Anything else found in it (added after it was checked) is left where it is,
    with the folder.
    """
    own = report_files(folder)
    if own is None:
        return
    for name in own:
        path = folder / name
        if path.is_symlink() or path.is_file():
            path.unlink(missing_ok=True)
        elif path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
    try:
        folder.rmdir()
    except OSError:
        pass  # something that is not clvkit's is still in it


def _lock_path(out_dir: Path) -> Path:
    return out_dir.with_name(f".{out_dir.name}.lock")


@contextmanager
def output_lock(out_dir: Path) -> Iterator[Path]:
    """Hold an exclusive lock on ``out_dir`` for the duration of a run.

    The lock is ``fcntl.flock`` on ``.<name>.lock`` beside ``out_dir``; the kernel
    releases it when the process ends, however it ends, so a killed run never
    leaves a stale lock. The file itself stays (removing it would race).

    Raises
    ------
    ReportError
        If another run holds the lock (its process id is named).
    """
    path = _lock_path(out_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode("ascii", "replace").strip() or "unknown"
            msg = (f"another clvkit report (process {holder}) is writing to {out_dir}; "
                   "nothing was changed. Wait for it to finish, or choose another --out")
            raise ReportError(msg) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode("ascii"))
        yield path
    finally:
        os.close(fd)  # releases the lock


def protected_folders(
    paths: Sequence[Path], run_params: Mapping[str, Any]
) -> list[tuple[str, Path]]:
    """Folders ``--out`` may never be or contain: the current folder, the notebooks and the
    project holding them, the data and the config (``(what, path)`` pairs)."""
    from ..io import project_root

    found = [("current folder", Path.cwd())]
    for folder in {p.resolve().parent for p in paths}:
        found += [("notebooks folder", folder), ("project folder", folder.parent)]
    root = project_root()  # the project the command runs in, whichever notebooks it runs
    if root is not None:
        found += [("project folder", root), ("data folder", root / "data")]
    for base in {Path.cwd(), *([root] if root is not None else [])}:
        if any((base / "notebooks").glob("*.ipynb")):  # a notebooks folder of the user's
            found.append(("notebooks folder", base / "notebooks"))
    for key, what in (("data", "data"), ("config", "config file")):
        value = run_params.get(key)
        if isinstance(value, str) and value and "://" not in value and Path(value).exists():
            found.append((what, Path(value)))
    return found


def check_failed_folder(out_dir: Path) -> Path:
    """``<out_dir>.failed``, refused when it exists and is not a clvkit run folder."""
    failed = out_dir.with_name(f"{out_dir.name}.failed")
    if (failed.exists() or failed.is_symlink()) and not (
            failed.is_dir() and not failed.is_symlink() and is_report(failed)):
        msg = (f"{failed} exists and was not written by clvkit; a failed run would keep "
               "its notebooks there. Nothing was changed: move it away or choose another --out")
        raise ReportError(msg)
    return failed


def publish(staging: Path, out_dir: Path) -> None:
    """Swap the staging folder into place (two renames on the same file system).

    The previous report is moved aside first and then only the files it lists as
    its own are deleted (:func:`~clvkit.report._outdir.remove_own`).
    """
    old = None
    if out_dir.exists():
        check_out_dir(out_dir)  # still only clvkit's files
        old = out_dir.with_name(f".old-{out_dir.name}-{os.getpid()}")
        if old.exists():
            remove_own(old)
        out_dir.rename(old)
    try:
        staging.rename(out_dir)
    except OSError:
        if old is not None:
            old.rename(out_dir)
        raise
    if old is not None:
        remove_own(old)
