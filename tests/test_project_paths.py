"""Relative data/config paths from JupyterLab (working folder notebooks/) and the
default report notebooks (never the working folder's)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import clvkit as ck
from clvkit.exceptions import ReportError, SourceError
from clvkit.io import existing_path, project_root
from clvkit.report._params import resolve_paths
from clvkit.report._runner import default_notebook_folder, notebook_paths

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def project(tmp_path) -> Path:
    """A user's project: pyproject.toml, data/raw/orders.csv, clvkit.toml, notebooks/."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'shop'\n", encoding="utf-8")
    raw = tmp_path / "data" / "raw"
    raw.mkdir(parents=True)
    pd.DataFrame({"客户": ["a", "a", "b"], "日期": ["2024-01-05", "2024-02-01", "2024-01-09"],
                  "金额": [10.0, 20.0, 5.0]}).to_csv(raw / "orders.csv", index=False)
    (tmp_path / "clvkit.toml").write_text(
        '[transactions.columns]\ncustomer_id = "客户"\ntimestamp = "日期"\namount = "金额"\n',
        encoding="utf-8")
    (tmp_path / "notebooks" / "sub").mkdir(parents=True)
    return tmp_path


def test_load_data_from_notebooks_folder_finds_project_paths(project, monkeypatch):
    monkeypatch.chdir(project / "notebooks")
    ds = ck.load_data("data/raw/orders.csv", config="clvkit.toml")
    assert ds.name == "orders.csv"
    assert len(ds.transactions) == 3 and ds.transactions["amount"].sum() == 35
    monkeypatch.chdir(project / "notebooks" / "sub")  # any depth below the root
    assert len(ck.load_data(Path("data/raw/orders.csv"), config="clvkit.toml").transactions) == 3


def test_project_root_and_existing_path_rules(project, monkeypatch):
    notebooks = project / "notebooks"
    assert project_root(notebooks / "sub") == project.resolve()
    found = existing_path("data/raw/orders.csv", notebooks)
    assert found == (project / "data" / "raw" / "orders.csv").resolve()
    # a path that exists relative to the working folder wins over the project root
    local = notebooks / "data" / "raw"
    local.mkdir(parents=True)
    (local / "orders.csv").write_text("customer_id,timestamp,amount\n", encoding="utf-8")
    assert existing_path("data/raw/orders.csv", notebooks) == (local / "orders.csv").resolve()
    # names, URLs and paths found nowhere are left alone
    for value in ("demo", "cdnow-sample", "sqlite:///shop.db", "data/raw/nope.csv", "", None, 3):
        assert existing_path(value, notebooks) is None
    assert existing_path(str(project / "clvkit.toml")) == (project / "clvkit.toml").resolve()
    monkeypatch.chdir(project)
    assert existing_path("data") == (project / "data").resolve()


def test_resolve_paths_uses_the_project_root(project):
    params = {"data": "data/raw/orders.csv", "config": "clvkit.toml", "horizon_months": "12"}
    out = resolve_paths(params, base=project / "notebooks")
    assert out == {"data": str((project / "data/raw/orders.csv").resolve()),
                   "config": str((project / "clvkit.toml").resolve()), "horizon_months": "12"}
    assert resolve_paths({"data": "demo"}, base=project) == {"data": "demo"}


def test_missing_file_outside_any_project_still_says_so(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SourceError, match=r"no such file: .*orders\.csv"):
        ck.load_data("data/raw/orders.csv")


def test_default_notebooks_never_come_from_the_working_folder(tmp_path, monkeypatch):
    decoy = tmp_path / "notebooks"
    decoy.mkdir()
    (decoy / "01_unrelated.ipynb").write_text("{}", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    folder = default_notebook_folder()
    assert folder != decoy.resolve()
    # this checkout (src layout, editable or PYTHONPATH) uses its own notebooks/ folder;
    # a wheel install uses clvkit/notebooks (tests/test_install.py)
    package = Path(ck.__file__).resolve().parent
    assert folder in (package / "notebooks", package.parents[1] / "notebooks")
    names = [p.name for p in notebook_paths()]
    assert "01_unrelated.ipynb" not in names and "01_data_quality.ipynb" in names
    assert [p.name for p in notebook_paths("notebooks")] == ["01_unrelated.ipynb"]


def test_explicit_missing_notebook_folder_says_what_to_do(tmp_path):
    with pytest.raises(ReportError, match=r"folder .*nope.* does not exist .*--notebooks DIR"):
        notebook_paths(tmp_path / "nope")
