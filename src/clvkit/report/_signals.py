"""Stopping a report run cleanly: SIGTERM/SIGINT, and children that die with their parent.

What cron, systemd and CI do on a timeout is send SIGTERM, then SIGKILL.

* SIGTERM/SIGINT in the process running :func:`~clvkit.report.run_report` raise
  :class:`RunInterrupted` in its main thread (see :func:`interruptible`); the runner
  then kills its notebook workers (:func:`stop_workers`), removes its staging
  folder and re-raises, so the command line prints one line.
* SIGKILL cannot be caught, so every notebook worker asks the Linux kernel to kill
  it when its parent dies (``prctl(PR_SET_PDEATHSIG, SIGKILL)``,
  :func:`worker_init`). Each worker's Jupyter kernel already watches its own
  parent (ipykernel's parent poller, enabled by ``JPY_PARENT_PID``) and exits
  within a second once the worker is gone. The staging folder is left behind and
  removed by the next run (:func:`clvkit.report._outdir.clean_stale`).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..exceptions import RunInterrupted

__all__ = ["RunInterrupted", "interruptible", "stop_workers", "worker_init"]

_PR_SET_PDEATHSIG = 1


def _set_pdeathsig(signum: int) -> bool:
    """Ask Linux to send ``signum`` to this process when its parent thread ends."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    return libc.prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0) == 0


def worker_init(parent_pid: int) -> None:
    """Initializer of every notebook worker process.

    The worker dies with the run (SIGKILL when the parent ends, however it ends)
    and ignores SIGINT: a Ctrl-C in the terminal reaches the whole process group,
    and the parent alone decides how to stop.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _set_pdeathsig(signal.SIGKILL)
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)


def _children(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (Linux ``/proc``; empty elsewhere)."""
    found = []
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 1 and int(fields[1]) == pid:
            found.append(int(entry))
    return found


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def stop_workers(pool: Any) -> None:
    """Kill the worker processes of a ``ProcessPoolExecutor``, their kernels, and the queue.

    A notebook cannot be stopped between cells from outside, and its partial result
    is discarded anyway, so the kernels (the workers' children) and then the
    workers are killed outright.
    """
    processes = dict(getattr(pool, "_processes", None) or {})
    for process in processes.values():
        if process.is_alive():
            for child in _children(process.pid):
                _kill(child)
            _kill(process.pid)
    for process in processes.values():
        process.join(timeout=5)
    pool.shutdown(wait=False, cancel_futures=True)


_NAMES = {signal.SIGTERM: "SIGTERM", signal.SIGINT: "SIGINT (Ctrl-C)"}


@contextmanager
def interruptible() -> Iterator[None]:
    """Turn SIGTERM and SIGINT into :class:`RunInterrupted` while the block runs.

    Only in the main thread (where Python delivers signals); elsewhere the block
    runs unchanged. The previous handlers are restored afterwards. A second signal
    while the first is being handled is ignored, so clean-up is not cut short.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    fired: list[int] = []

    def handler(signum: int, frame: Any) -> None:
        if fired:
            return
        fired.append(signum)
        msg = f"stopped by {_NAMES.get(signum, signal.Signals(signum).name)}"
        raise RunInterrupted(msg, signum)

    previous = {s: signal.signal(s, handler) for s in _NAMES}
    try:
        yield
    finally:
        for s, old in previous.items():
            signal.signal(s, old)
