"""Executing one notebook: papermill over local IPC sockets, and reading its results."""

from __future__ import annotations

import ast
import os
import re
import time
from pathlib import Path
from typing import Any

import nbformat

from .._readers import masked
from ._notebook import SKIP_MIMETYPE
from ._params import _ast_parameters
from ._privacy import CUSTOMER_ID_PARAMETERS, HIDDEN, shown_parameters
from ._provenance import PROVENANCE_MIMETYPE

__all__ = ["clean_stale_sockets", "execute_notebook", "read_provenance", "read_skipped",
           "redact_secrets"]

_SOCKET = re.compile(r"^clvkit-(\d+)-[0-9a-f]{12}-ipc-\d+$")


def _ipc_kernel_manager() -> type:
    """A kernel manager talking to the kernel over local IPC sockets instead of TCP.

    The kernel only ever runs on this machine; IPC avoids opening TCP ports and the
    kernel's "running over TCP without encryption" warning on every notebook. It is
    not interrupted when shut down (see ``_async_interrupt_kernel``).
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
            # The worker's pid in the name lets a later run remove the sockets of
            # kernels that were killed (see clean_stale_sockets).
            folder = Path(jupyter_runtime_dir())
            folder.mkdir(parents=True, exist_ok=True)
            return str(folder / f"clvkit-{os.getpid()}-{uuid.uuid4().hex[:12]}-ipc")

        async def _async_interrupt_kernel(self) -> None:
            # jupyter_client sends SIGINT to every kernel it shuts down, just before the
            # shutdown request; a kernel caught between messages then logs "ERROR |
            # KeyboardInterrupt caught in kernel" on the stderr of a run that succeeded.
            # A shutdown needs no interrupt (cell timeouts still interrupt).
            if getattr(self, "shutting_down", False):
                return
            await super()._async_interrupt_kernel()

    return IPCKernelManager


def clean_stale_sockets() -> int:
    """Remove IPC socket files of clvkit kernels whose worker process is gone.

    A kernel shut down normally removes its sockets; one killed with its run (SIGTERM,
    SIGKILL, a timeout) leaves them in Jupyter's runtime folder. Returns how many
    files were removed.
    """
    from jupyter_core.paths import jupyter_runtime_dir

    folder = Path(jupyter_runtime_dir())
    removed = 0
    for path in folder.glob("clvkit-*-ipc-*") if folder.is_dir() else []:
        match = _SOCKET.match(path.name)
        if match is None:
            continue
        try:
            os.kill(int(match.group(1)), 0)
            continue  # still running
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        path.unlink(missing_ok=True)
        removed += 1
    return removed


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


def read_skipped(executed: Path) -> list[dict[str, Any]]:
    """The records ``ctx.skip`` left in the executed notebook's outputs, in order."""
    nb = nbformat.read(str(executed), as_version=4)
    return [dict(output["data"][SKIP_MIMETYPE]) for cell in nb.cells
            for output in cell.get("outputs", [])
            if SKIP_MIMETYPE in output.get("data", {})]


#: How the salt is shown in kept notebooks.
REDACTED = "<redacted>"
_ASSIGNMENT = re.compile(r"^(\s*)([A-Za-z_]\w*)(\s*=\s*)(.*?)\s*$")


def redact_secrets(
    nb: nbformat.NotebookNode, *, audience: str, salt: str | None = None
) -> nbformat.NotebookNode:
    """Hide secrets papermill wrote into the notebook (injected cell and metadata).

    The same rule as :func:`~clvkit.report._privacy.shown_parameters` applies: the
    salt is always shown as ``"<redacted>"`` (with the raw ids it undoes the
    pseudonyms), a password in a database URL is masked
    (``postgresql://user:***@host/db``) and, for a client report, customer-id
    parameters such as ``card_customer`` are replaced by their pseudonym.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        An executed notebook; changed in place and returned.
    audience : {"client", "analyst"}
        Who the report is for; analysts keep raw customer ids.
    salt : str, optional
        The salt the notebook ran with; None = the notebook's own ``salt`` (injected
        or the parameters cell's default). Without any salt, customer ids of a client
        report are shown as ``•••``.

    Returns
    -------
    nbformat.NotebookNode
        ``nb``.
    """
    client = audience == "client"
    recorded = nb.metadata.get("papermill", {}).get("parameters", {})
    salt = salt or recorded.get("salt") or _default_salt(nb)
    for cell in nb.cells:
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            lines = cell.source.split("\n")
            cell.source = "\n".join(_redacted_line(line, client, salt) for line in lines)
    if recorded:
        nb.metadata.papermill.parameters = _redacted(dict(recorded), client, salt)
    return nb


def _redacted(params: dict[str, Any], client: bool, salt: str | None) -> dict[str, Any]:
    """``shown_parameters`` that keeps the salt's key, with its value redacted."""
    shown = shown_parameters(params, client=client, salt=salt)
    return {key: shown.get(key, REDACTED) for key in params}


def _redacted_line(line: str, client: bool, salt: str | None) -> str:
    """One ``name = literal`` line of papermill's injected cell, redacted."""
    from papermill.translators import PythonTranslator

    match = _ASSIGNMENT.match(line)
    if match is None:
        return masked(line)
    indent, name, equals, literal = match.groups()
    try:
        value = ast.literal_eval(literal)
    except (ValueError, SyntaxError):  # not a literal papermill wrote: hide it all
        value = HIDDEN if name == "salt" or name in CUSTOMER_ID_PARAMETERS else literal
        return f"{indent}{name}{equals}{PythonTranslator.translate(masked(value))}"
    shown = _redacted({name: value}, client, salt)[name]
    if shown == value:
        return line
    return f"{indent}{name}{equals}{PythonTranslator.translate(shown)}"


def _default_salt(nb: nbformat.NotebookNode) -> str | None:
    """The ``salt`` literal of the notebook's ``parameters`` cell, if any."""
    for cell in nb.cells:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            found = _ast_parameters(cell.source).get("salt", {}).get("default")
            try:
                value = ast.literal_eval(found) if found else None
            except (ValueError, SyntaxError):
                return None
            return value if isinstance(value, str) else None
    return None
