"""Executing one notebook: papermill over local IPC sockets, and reading its results."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import nbformat

from ._provenance import PROVENANCE_MIMETYPE

__all__ = ["execute_notebook", "read_provenance", "redact_secrets"]


def _ipc_kernel_manager() -> type:
    """A kernel manager talking to the kernel over local IPC sockets instead of TCP.

    The kernel only ever runs on this machine; IPC avoids opening TCP ports and the
    kernel's "running over TCP without encryption" warning on every notebook.
    """
    import uuid

    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.paths import jupyter_runtime_dir
    from traitlets import CaselessStrEnum, default

    class IPCKernelManager(AsyncKernelManager):
        transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True)

        @default("ip")
        def _unique_ipc_path(self) -> str:
            # jupyter_client's default is "kernel-ipc" in the working directory, which
            # kernels started at the same time from one folder would share.
            folder = Path(jupyter_runtime_dir())
            folder.mkdir(parents=True, exist_ok=True)
            return str(folder / f"clvkit-{uuid.uuid4().hex[:12]}-ipc")

    return IPCKernelManager


def execute_notebook(
    src: Path, dst: Path, params: dict[str, Any], kernel: str, timeout: int
) -> float:
    """Execute one notebook (in a worker process); return the seconds it took."""
    import papermill as pm

    start = time.perf_counter()
    pm.execute_notebook(
        str(src), str(dst), parameters=params, kernel_name=kernel, cwd=str(src.parent),
        execution_timeout=timeout, progress_bar=False, log_output=False,
        request_save_on_cell_execute=False, kernel_manager_class=_ipc_kernel_manager(),
    )
    return time.perf_counter() - start


def read_provenance(executed: Path) -> dict[str, Any]:
    """The record ``ck.report.provenance`` left in the executed notebook's outputs."""
    nb = nbformat.read(str(executed), as_version=4)
    for cell in reversed(nb.cells):
        for output in cell.get("outputs", []):
            record = output.get("data", {}).get(PROVENANCE_MIMETYPE)
            if record:
                return dict(record)
    return {}


_SECRET_LINE = re.compile(r"^(\s*salt\s*=\s*).*$", re.MULTILINE)


def redact_secrets(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Hide the pseudonymisation salt papermill wrote into the notebook (cell and metadata).

    Whoever knows the salt and the raw ids can undo the pseudonyms, so the kept
    notebooks and the analyst HTML show ``salt = "<redacted>"`` instead.
    """
    for cell in nb.cells:
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            cell.source = _SECRET_LINE.sub(r'\1"<redacted>"', cell.source)
    recorded = nb.metadata.get("papermill", {}).get("parameters", {})
    if "salt" in recorded:
        recorded["salt"] = "<redacted>"
    return nb
