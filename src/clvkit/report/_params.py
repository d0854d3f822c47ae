"""Notebook parameters: discovery, validation against the notebooks, type conversion."""

from __future__ import annotations

import ast
import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nbformat

from ..exceptions import ParameterError
from ..io import existing_path

__all__ = ["RESERVED", "coerce", "notebook_parameters", "resolve_paths", "split_params"]

#: Parameters the runner sets itself (a user value is refused).
RESERVED: tuple[str, ...] = ("output_dir", "scores_dir", "history")
_TRUE, _FALSE = {"true", "1", "yes", "y", "on"}, {"false", "0", "no", "n", "off"}
_PATH_PARAMS = ("data", "config")


def _parameters_cell(nb: nbformat.NotebookNode) -> str | None:
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            return cell.source
    return None


def notebook_parameters(path: str | Path) -> dict[str, dict[str, Any]]:
    """Return the parameters a notebook declares: name -> {"type": ..., "default": ...}.

    Names and types come from :func:`papermill.inspect_notebook`; names papermill's
    line parser cannot read (e.g. a comment containing ``=``) are added from a
    Python parse of the ``parameters`` cell, so they are never reported as unknown.
    """
    import papermill as pm

    found: dict[str, dict[str, Any]] = {}
    for name, info in pm.inspect_notebook(str(path)).items():
        found[name] = {"type": info.get("inferred_type_name"), "default": info.get("default")}
    source = _parameters_cell(nbformat.read(str(path), as_version=4)) or ""
    for name, info in _ast_parameters(source).items():
        if name not in found:
            found[name] = info
        elif found[name]["type"] in (None, "None"):  # untyped line: type of the literal
            found[name]["type"] = info["type"]
    return found


def _ast_parameters(source: str) -> dict[str, dict[str, Any]]:
    """Names assigned at the top level of a parameters cell, read by Python's parser."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    found: dict[str, dict[str, Any]] = {}
    for node in tree.body:
        if isinstance(node, ast.AnnAssign):
            targets, value = [node.target], node.value
        elif isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        else:
            continue
        kind = type(value.value).__name__ if isinstance(value, ast.Constant) else None
        for target in targets:
            if isinstance(target, ast.Name):
                found[target.id] = {"type": kind, "default": value and ast.unparse(value)}
    return found


def coerce(name: str, value: Any, kind: str | None) -> Any:
    """Convert a command-line string to the type of the notebook's default value.

    Raises
    ------
    ParameterError
        If the string does not parse as that type.
    """
    if not isinstance(value, str) or kind in (None, "str", "None"):
        return value
    try:
        if kind == "bool":
            low = value.strip().lower()
            if low in _TRUE | _FALSE:
                return low in _TRUE
            raise ValueError(value)
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
    except ValueError:
        msg = f"parameter {name!r} must be {kind}; got {value!r}"
        raise ParameterError(msg) from None
    return value


def split_params(
    params: Mapping[str, Any], declared: Mapping[str, Mapping[str, dict[str, Any]]]
) -> dict[str, dict[str, Any]]:
    """Check names against every notebook and return each notebook's own parameters.

    Parameters
    ----------
    params : mapping
        Parameters for the run (values may be command-line strings).
    declared : mapping
        Notebook name -> :func:`notebook_parameters` of that notebook.

    Returns
    -------
    dict
        Notebook name -> the parameters it declares, converted to its types.

    Raises
    ------
    ParameterError
        If a name is declared by no notebook (the message lists the known ones), a
        reserved name is given, or a value does not convert.
    """
    reserved = [k for k in params if k in RESERVED]
    if reserved:
        msg = f"parameter {reserved[0]!r} is set by clvkit report itself; leave it out"
        raise ParameterError(msg)
    known = sorted({name for d in declared.values() for name in d} - set(RESERVED))
    unknown = [k for k in params if k not in known]
    if unknown:
        where = (f"notebook {next(iter(declared))!r}" if len(declared) == 1
                 else f"any of the {len(declared)} notebooks")
        close = difflib.get_close_matches(unknown[0], known, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        names = ", ".join(map(repr, unknown))
        msg = (f"unknown parameter {names}: not declared by {where}.{hint} "
               f"Known parameters: {', '.join(known)}.")
        raise ParameterError(msg)
    return {
        nb: {k: coerce(k, v, d[k]["type"]) for k, v in params.items() if k in d}
        for nb, d in declared.items()
    }


def resolve_paths(params: Mapping[str, Any], base: Path | None = None) -> dict[str, Any]:
    """Return a copy where ``data``/``config`` naming existing files become absolute.

    Notebooks run with their own folder as working directory, so a path relative
    to where the command was typed must be made absolute first. A relative path
    missing from ``base`` (default: the working folder) is looked up in the project
    root above it (:func:`clvkit.io.existing_path`). Bundled names (``demo``,
    ``cdnow``), database URLs and paths that exist nowhere are left as they are.
    """
    out = dict(params)
    for key in _PATH_PARAMS:
        found = existing_path(out.get(key), base)
        if found is not None:
            out[key] = str(found)
    return out
