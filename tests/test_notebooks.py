"""Conventions every report notebook follows (notebooks/README.md).

Running the notebooks is done by nbval (`python -m pytest` collects notebooks/ in lax
mode) and by the report tests; these checks are static and fast.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import papermill as pm
import pytest

from clvkit.report import _params

FOLDER = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(FOLDER.glob("[0-9][0-9]_*.ipynb"))
IDS = [p.stem for p in NOTEBOOKS]
REQUIRED = ("00_executive_summary", "01_data_quality", "02_churn_retention", "03_satisfaction",
            "04_clv_models", "05_churn_prediction", "06_segments_actions")
COMMON = {  # parameter -> default every notebook shares
    "data": "'demo'", "config": "''", "observation_end": "''", "seed": "42", "lang": "'en'",
    "currency": "''", "audience": "'client'", "salt": "''", "output_dir": "''",
    "scores_dir": "''",
}
MAX_CODE_LINES = 15


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(str(path), as_version=4)


def _code(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [c for c in nb.cells if c.cell_type == "code"]


def test_every_report_section_exists():
    missing = [name for name in REQUIRED if not (FOLDER / f"{name}.ipynb").exists()]
    assert not missing, f"report notebooks missing: {missing}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_structure_title_parameters_setup_provenance(path):
    nb = _read(path)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# "), "title cell first"
    code = _code(nb)
    tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and tagged[0] is code[0], "one parameters cell, first code cell"
    assert "ctx = ck.report.setup(globals())" in code[1].source, "set-up cell after parameters"
    assert nb.cells[-1].cell_type == "code"
    assert nb.cells[-1].source.strip() == "ck.report.provenance(ctx, ds)", "provenance last"
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_parameters_common_documented_and_parseable(path):
    source = _code(_read(path))[0].source
    declared = _params._ast_parameters(source)
    wrong = {k: declared.get(k, {}).get("default") for k, v in COMMON.items()
             if declared.get(k, {}).get("default") != v}
    assert not wrong, f"common parameters missing or with other defaults: {wrong}"
    assert "demo_customers" in declared
    # papermill skips lines it cannot parse (e.g. a second '=' in the comment)
    assert set(pm.inspect_notebook(str(path))) == set(declared)
    for line in source.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            assert re.search(r":\s*\w+\s*=.*#\s*\S", line), f"annotate and comment: {line!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_committed_without_outputs(path):
    dirty = [i for i, c in enumerate(_code(_read(path))) if c.outputs or c.execution_count]
    assert not dirty, f"code cells with outputs or execution counts: {dirty}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_thin_cells_without_definitions(path):
    for cell in _code(_read(path)):
        tree = ast.parse(cell.source)
        defs = [n.name for n in ast.walk(tree)
                if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)]
        assert not defs, f"move {defs} into the clvkit package"
        assert not re.search(r"^\s*[!%]", cell.source, re.M), "no shell or magic commands"
        if "parameters" not in cell.metadata.get("tags", []):
            assert len(cell.source.splitlines()) <= MAX_CODE_LINES, cell.source[:80]


def _headings(text: str) -> list[int]:
    return [len(m.group(1)) for m in re.finditer(r"^(#+)\s", text, re.M)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_markdown_cells_have_chinese_text(path):
    for cell in _read(path).cells:
        if cell.cell_type != "markdown":
            continue
        zh = cell.metadata.get("i18n", {}).get("zh", "")
        assert re.search(r"[\u4e00-\u9fff]", zh), f"no metadata.i18n.zh for {cell.source[:60]!r}"
        assert _headings(zh) == _headings(cell.source), f"headings differ: {cell.source[:60]!r}"
