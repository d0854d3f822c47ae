"""A fresh, non-editable install works from any folder.

``pip install .`` (``uv pip install .`` when uv is there: same result, faster from its
cache) into a new virtual environment, then ``clvkit report --data demo --out DIR``
from an empty folder must exit 0 and write ``DIR/index.html``, running the notebooks
that ship inside the package. Slow: the install takes about 0.5-1 minute with uv's
cache (2-4 with pip's) and the report 2-3 minutes on a 2-core machine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.slow, pytest.mark.notebook]


def _uv() -> str | None:
    """The uv executable: on PATH, or from the ``uv`` package of the dev extra."""
    found = shutil.which("uv")
    if found:
        return found
    try:
        from uv import find_uv_bin
    except ImportError:
        return None
    try:
        return find_uv_bin()
    except FileNotFoundError:
        return None


def _clean_env(venv: Path, home: Path) -> dict[str, str]:
    """The environment of a user who just activated ``venv``: no PYTHONPATH leaking the
    checkout's sources, no other virtual environment, and no kernel specs of ours."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "JUPYTER_PATH")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv)
    env["JUPYTER_DATA_DIR"] = str(home / "jupyter-data")  # ignore ~/.local kernel specs
    env["JUPYTER_CONFIG_DIR"] = str(home / "jupyter-config")
    env["MPLCONFIGDIR"] = str(home / "matplotlib")
    return env


def _run(cmd: list[str], *, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, (
        f"{' '.join(cmd)} exited {result.returncode}\n"
        f"stdout:\n{result.stdout[-3000:]}\nstderr:\n{result.stderr[-5000:]}")
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A new virtual environment with clvkit installed from this checkout, not editable."""
    home = tmp_path_factory.mktemp("fresh")
    venv = home / "venv"
    env = _clean_env(venv, home)
    uv = _uv()
    python = venv / "bin" / "python"
    if uv:
        _run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], cwd=home, env=env)
        _run([uv, "pip", "install", "--quiet", "--python", str(python), str(REPO)],
             cwd=home, env=env)
    else:
        _run([sys.executable, "-m", "venv", str(venv)], cwd=home, env=env)
        _run([str(python), "-m", "pip", "install", "--quiet", str(REPO)], cwd=home, env=env)
    return venv, env


def test_installed_package_is_not_the_checkout(installed):
    venv, env = installed
    probe = ("import json, clvkit, pandas; from importlib import metadata; "
             "from clvkit.report._runner import default_notebook_folder; "
             "print(json.dumps({'clvkit': clvkit.__file__, 'pandas': pandas.__version__, "
             "'notebooks': str(default_notebook_folder()), "
             "'lifelines': [d.metadata['Name'] for d in metadata.distributions()"
             " if d.metadata['Name'].lower() == 'lifelines']}))")
    out = json.loads(_run([str(venv / "bin" / "python"), "-c", probe], cwd=venv.parent,
                          env=env).stdout)
    package = Path(out["clvkit"]).parent
    assert package.is_relative_to(venv) and not package.is_relative_to(REPO)
    assert Path(out["notebooks"]) == package / "notebooks"
    shipped = sorted(p.name for p in (package / "notebooks").glob("*.ipynb"))
    assert shipped == sorted(p.name for p in (REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    # the newest resolvable stack: pandas 3, and nothing that caps pandas below it
    assert int(out["pandas"].split(".")[0]) >= 3
    assert out["lifelines"] == []


def test_report_from_an_empty_folder(installed, tmp_path):
    venv, env = installed
    work = tmp_path / "empty"
    work.mkdir()
    package_notebooks = next((venv / "lib").glob("python3*/site-packages/clvkit/notebooks"))
    before = sorted(p.name for p in package_notebooks.iterdir())
    result = _run([str(venv / "bin" / "clvkit"), "report", "--data", "demo", "--out", "DIR"],
                  cwd=work, env=env)
    index = work / "DIR" / "index.html"
    assert index.is_file() and "</html>" in index.read_text(encoding="utf-8")
    assert f"report written to {index.resolve()}" in result.stdout
    run = json.loads((work / "DIR" / "run.json").read_text(encoding="utf-8"))
    assert [n["name"] for n in run["notebooks"]] == [p.removesuffix(".ipynb") for p in before
                                                      if p.endswith(".ipynb")]
    assert all((work / "DIR" / n["html"]).is_file() for n in run["notebooks"])
    # nothing written beside the installed notebooks, nothing but the report in the folder
    assert sorted(p.name for p in package_notebooks.iterdir()) == before
    # beside the report: its KPI history and the two (hidden) lock files, nothing else
    assert sorted(p.name for p in work.iterdir()) == [
        ".DIR-history.csv.lock", ".DIR.lock", "DIR", "DIR-history.csv"]
