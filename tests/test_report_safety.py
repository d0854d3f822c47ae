"""`clvkit report` is safe by construction: it replaces only its own output folder,
stops cleanly on SIGTERM/SIGKILL, keeps personal data and secrets out of client
output, checks the data before any notebook runs and exits with one readable line."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pandas as pd
import pytest

import clvkit as ck
from clvkit import i18n
from clvkit._readers import mask_text, masked, url_secrets
from clvkit.cli import main
from clvkit.exceptions import ReportError, SourceError
from clvkit.report._outdir import (
    RUN_MARKER,
    check_out_dir,
    clean_stale,
    output_lock,
    write_run_marker,
)
from clvkit.report._outputs import sanitise_folder, scrub_secrets
from clvkit.report._preflight import preflight
from clvkit.report._privacy import SECRET_FILE, is_pii_column, mask_contacts, project_secret

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
PASSWORD = "p/ss@w@rd"
URL = f"postgresql://bob:{PASSWORD}@127.0.0.1:9/shop"


@pytest.fixture(autouse=True)
def _english():
    i18n.set_language("en")
    yield
    i18n.set_language("en")


def _notebook(path: Path, params: str, body: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(params, metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell(body)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, str(path))
    return path


@pytest.fixture
def project(tmp_path) -> Path:
    """A project folder: the real notebook 01 and a tiny notebook that can skip or fail."""
    folder = tmp_path / "project" / "notebooks"
    folder.mkdir(parents=True)
    shutil.copy(NOTEBOOKS / "01_data_quality.ipynb", folder)
    _notebook(folder / "02_tiny.ipynb",
              'lang: str = "en"  # language\naudience: str = "client"  # audience\n'
              'fail: bool = False  # fail on purpose\n'
              'skip: bool = False  # skip the section',
              "import clvkit as ck\nctx = ck.report.setup(globals())\n"
              "assert not fail, 'asked to fail'\n"
              "if skip:\n    ctx.skip('report_sections', 'preflight_few_repeat', repeat=3, "
              "minimum=10)")
    return folder.parent


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "clvkit.cli", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=600)


# --- output folders ---------------------------------------------------------------------
def test_folder_with_a_precious_file_is_refused_before_any_work(project, capsys):
    out = project / "mine"
    out.mkdir()
    (out / "precious.txt").write_text("thesis", encoding="utf-8")
    code = main(["report", "--notebooks", str(project / "notebooks"), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "is not empty and is not a clvkit report" in err and "'precious.txt'" in err
    assert (out / "precious.txt").read_text(encoding="utf-8") == "thesis"
    assert sorted(p.name for p in project.iterdir()) == ["mine", "notebooks"]  # no lock, no key


def test_previous_report_with_a_foreign_file_and_foreign_failed_folder_are_refused(tmp_path):
    out = tmp_path / "latest"
    out.mkdir()
    (out / "run.json").write_text(json.dumps({"signature": "clvkit-report/1",
                                              "files": ["index.html", "run.json"]}))
    (out / "index.html").write_text("<html>")
    assert check_out_dir(out) == "report"
    (out / "notes.docx").write_text("mine")
    with pytest.raises(ReportError, match=r"also holds 1 item\(s\) clvkit did not write: "
                                          r"'notes\.docx'"):
        check_out_dir(out)
    (out / "notes.docx").unlink()
    failed = tmp_path / "latest.failed"
    failed.mkdir()
    (failed / "draft.txt").write_text("mine")
    folder = tmp_path / "nb"
    folder.mkdir()
    _notebook(folder / "01_x.ipynb", 'lang: str = "en"\naudience: str = "client"', "x = 1")
    with pytest.raises(ReportError, match=r"latest\.failed exists and was not written by clvkit"):
        ck.report.run_report(out, notebooks=folder)
    assert (failed / "draft.txt").exists() and (out / "index.html").exists()
    (tmp_path / "afile").write_text("x")
    with pytest.raises(ReportError, match="is a file, not a report folder"):
        check_out_dir(tmp_path / "afile")


def test_out_dot_in_a_project_clone_and_notebooks_folder_are_refused(project):
    clone = project.parent / "clone"
    shutil.copytree(project, clone)
    (clone / ".git").mkdir()
    before = sorted(str(p.relative_to(clone)) for p in clone.rglob("*"))
    for out, what in ((".", "is the current folder"), ("notebooks", "is the notebooks folder"),
                      ("..", "contains the current folder")):
        result = _run("report", "--out", out, cwd=clone)
        assert result.returncode == 2, result.stderr
        assert what in result.stderr and "Traceback" not in result.stderr
        assert result.stderr.count("\n") == 1
    data = clone / "orders.csv"
    data.write_text("customer_id,timestamp,amount\nC1,2024-01-01,5\n")
    with pytest.raises(ReportError, match="is the data"):
        ck.report.run_report(data, notebooks=clone / "notebooks", params={"data": str(data)})
    assert sorted(str(p.relative_to(clone)) for p in clone.rglob("*")) == [*before, "orders.csv"]


def test_a_second_run_into_a_locked_folder_is_refused(tmp_path, capsys):
    out = tmp_path / "latest"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; "
         "from clvkit.report._outdir import output_lock\n"
         f"with output_lock(Path({str(out)!r})):\n"
         "    print('locked', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        folder = tmp_path / "nb"
        folder.mkdir()
        _notebook(folder / "01_x.ipynb", 'lang: str = "en"\naudience: str = "client"', "x = 1")
        code = main(["report", "--notebooks", str(folder), "--out", str(out)])
        err = capsys.readouterr().err
        assert code == 2
        assert f"another clvkit report (process {holder.pid}) is writing to {out}" in err
        assert not out.exists() and not list(tmp_path.glob(".staging-*"))
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    with output_lock(out) as lock:  # released when its process ended
        assert lock.read_text() == str(os.getpid())


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_stale_staging_of_dead_runs_is_removed_but_not_a_live_or_foreign_one(tmp_path):
    out = tmp_path / "latest"
    dead = tmp_path / f".staging-latest-{_dead_pid()}"
    live = tmp_path / f".staging-latest-{os.getpid()}"
    foreign = tmp_path / f".staging-latest-{_dead_pid()}"
    for folder in (dead, live, foreign):
        folder.mkdir()
        (folder / "index.html").write_text("x")
    write_run_marker(dead)
    write_run_marker(live)
    assert clean_stale(out) == [dead]
    assert not dead.exists() and live.exists() and foreign.exists()


# --- signals --------------------------------------------------------------------------
def _descendants(pid: int) -> set[int]:
    table = subprocess.run(["ps", "-eo", "pid=,ppid="], capture_output=True, text=True).stdout
    children: dict[int, list[int]] = {}
    for line in table.splitlines():
        p, parent = map(int, line.split())
        children.setdefault(parent, []).append(p)
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _running(pids: set[int]) -> set[int]:
    table = subprocess.run(["ps", "-eo", "pid=,stat="], capture_output=True, text=True).stdout
    alive = {int(p) for p, s in (line.split() for line in table.splitlines()) if "Z" not in s}
    return pids & alive


def _wait_gone(pids: set[int], limit: float = 60.0) -> set[int]:
    end = time.monotonic() + limit
    while _running(pids) and time.monotonic() < end:
        time.sleep(0.2)
    return _running(pids)


def _sleeper(folder: Path, marker: Path) -> None:
    folder.mkdir()
    for name in ("01_sleep", "02_sleep"):
        _notebook(folder / f"{name}.ipynb", 'lang: str = "en"\naudience: str = "client"',
                  f"from pathlib import Path\nimport time\n"
                  f"Path({str(marker)!r}).with_suffix('.{name}').write_text('up')\n"
                  "time.sleep(120)")


def _start_and_wait(folder: Path, out: Path, marker: Path) -> tuple[subprocess.Popen, set[int]]:
    proc = subprocess.Popen([sys.executable, "-m", "clvkit.cli", "report", "--notebooks",
                             str(folder), "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    end = time.monotonic() + 300
    while len(list(marker.parent.glob(f"{marker.name}.*"))) < 2 and time.monotonic() < end:
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.2)
    family = _descendants(proc.pid)
    assert len(family) >= 4  # two workers, two kernels
    return proc, family


@pytest.mark.notebook
@pytest.mark.slow
def test_sigterm_stops_workers_and_kernels_and_leaves_nothing(tmp_path):
    folder, out, marker = tmp_path / "nb", tmp_path / "latest", tmp_path / "up"
    _sleeper(folder, marker)
    proc, family = _start_and_wait(folder, out, marker)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM
    assert err.strip().splitlines()[-1] == (
        f"error: stopped by SIGTERM: notebooks stopped, nothing published; "
        f"no report was written to {out}")
    assert "Traceback" not in err
    assert _wait_gone(family) == set()
    assert not out.exists() and not list(tmp_path.glob(".staging-*"))


def test_a_stop_request_is_not_swallowed_by_a_step_that_notes_its_failures():
    # the scoring run turns its steps' own errors into notes (except ClvkitError /
    # except Exception); a SIGTERM that lands there must still stop the run
    from clvkit.exceptions import ClvkitError, RunInterrupted
    from clvkit.report._signals import interruptible

    reached = []
    with pytest.raises(RunInterrupted) as stopped, interruptible():
        try:
            try:
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(5)  # the handler raises here, at the next bytecode
            except ClvkitError:
                reached.append("noted as a failed step")
        except Exception:
            reached.append("caught as a bug")
    assert not reached and stopped.value.exit_code == 128 + signal.SIGTERM


@pytest.mark.notebook
@pytest.mark.slow
def test_sigterm_during_the_scoring_run_stops_in_seconds(tmp_path):
    out = tmp_path / "latest"
    proc = subprocess.Popen([sys.executable, "-m", "clvkit.cli", "report", "--data", "demo",
                             "-p", "demo_customers", "20000", "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in proc.stdout:  # progress lines: wait until the scoring run has started
        if "scoring the customers once" in line:
            break
    time.sleep(0.5)
    assert proc.poll() is None
    proc.send_signal(signal.SIGTERM)
    rest = proc.communicate(timeout=600)[0]
    assert proc.returncode == 128 + signal.SIGTERM, rest
    assert "error: stopped by SIGTERM" in rest and "Traceback" not in rest
    # stopped inside the scoring run: it never finished, no notebook started
    assert "scoring done" not in rest and "running" not in rest
    assert not out.exists() and not list(tmp_path.glob(".staging-*"))


@pytest.mark.notebook
@pytest.mark.slow
def test_after_sigkill_children_die_and_the_next_run_cleans_up(tmp_path, project):
    folder, out, marker = tmp_path / "nb", tmp_path / "latest", tmp_path / "up"
    _sleeper(folder, marker)
    proc, family = _start_and_wait(folder, out, marker)
    proc.kill()
    proc.communicate()
    assert _wait_gone(family) == set()  # workers by PR_SET_PDEATHSIG, kernels by their poller
    stale = list(tmp_path.glob(".staging-latest-*"))
    assert len(stale) == 1 and (stale[0] / RUN_MARKER).exists()

    # the next run cleans up; a first failure says no report existed; a skip is recorded
    tiny = project / "notebooks"
    with pytest.raises(ReportError, match=f"no report was written to {out}") as info:
        ck.report.run_report(out, notebooks=tiny, select=["02"], params={"fail": True})
    assert "is unchanged" not in str(info.value)
    assert not stale[0].exists()
    result = ck.report.run_report(out, notebooks=tiny, select=["02"], params={"skip": True})
    skipped = result.record["skipped_sections"]
    assert [(s["notebook"], s["section"], s["reason"]) for s in skipped] == [
        ("02_tiny", "report_sections", "preflight_few_repeat")]
    assert "Not shown: Sections." in (out / "02_tiny.html").read_text(encoding="utf-8")
    assert not out.with_name("latest.failed").exists()
    assert json.loads((out / "run.json").read_text())["skipped_sections"] == skipped


# --- personal data and secrets ----------------------------------------------------------
def test_pii_column_names_and_contact_masking():
    for name in ("Full Name", "Mobile", "contact_email", "E-Mail", "phone_number", "手机号",
                 "first_name", "Address"):
        assert is_pii_column(name), name
    for name in ("customer_id", "amount", "segment_label", "channel", "category", "nps"):
        assert not is_pii_column(name), name
    assert mask_contacts("call +86 138-0013-8000 or ann.lee@x.cn, order 12") == \
        "call [phone] or [email], order 12"


def test_project_secret_is_made_once_private_and_reused(tmp_path):
    key = project_secret(tmp_path)
    path = tmp_path / SECRET_FILE
    assert len(key) == 64 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "Keep it private" in path.read_text() and project_secret(tmp_path) == key
    assert project_secret(tmp_path / "..") != "clvkit-demo"
    path.write_text("# nothing\n")
    with pytest.raises(ck.exceptions.ParameterError, match="holds no pseudonym key"):
        project_secret(tmp_path)


def test_sanitise_keeps_only_role_columns_in_client_set_aside_files(tmp_path):
    rows = pd.DataFrame({"reason": ["bad_date"], "reason_label": ["x"], "source_row": ["3"],
                         "customer_id": ["C1"], "timestamp": ["bad"], "amount": ["5"],
                         "Full Name": ["Ann Lee"], "Mobile": ["13800138000"],
                         "loyalty_tier": ["gold"]})
    rows.to_csv(tmp_path / "transactions_set_aside.csv", index=False, encoding="utf-8-sig")
    surveys = pd.DataFrame({"reason": ["bad_nps"], "customer_id": ["C1"], "nps": ["11"],
                            "comment": ["call me 138 0013 8000, ann@x.cn"]})
    surveys.to_csv(tmp_path / "surveys_set_aside.csv", index=False, encoding="utf-8-sig")
    removed = sanitise_folder(tmp_path, client=True)
    assert "transactions_set_aside.csv: loyalty_tier" in removed
    got = pd.read_csv(tmp_path / "transactions_set_aside.csv", dtype=str)
    assert list(got.columns) == ["reason", "reason_label", "source_row", "customer_id",
                                 "timestamp", "amount"]
    assert "comment" not in pd.read_csv(tmp_path / "surveys_set_aside.csv").columns
    surveys.to_csv(tmp_path / "surveys_set_aside.csv", index=False, encoding="utf-8-sig")
    sanitise_folder(tmp_path, client=False)
    kept = pd.read_csv(tmp_path / "surveys_set_aside.csv", dtype=str)
    assert kept["comment"].tolist() == ["call me [phone], [email]"]
    surveys.to_csv(tmp_path / "surveys_set_aside.csv", index=False, encoding="utf-8-sig")
    sanitise_folder(tmp_path, client=True, free_text=True)  # --include-comments
    asked = pd.read_csv(tmp_path / "surveys_set_aside.csv", dtype=str)
    assert asked["comment"].tolist() == ["call me [phone], [email]"]


@pytest.mark.notebook
def test_client_report_holds_no_personal_data_or_secret_anywhere(tmp_path):
    project = tmp_path / "project"
    (project / "notebooks").mkdir(parents=True)
    shutil.copy(NOTEBOOKS / "01_data_quality.ipynb", project / "notebooks")
    data = project / "data"
    data.mkdir()
    people = [("Ann Lee", "13800138000", "ann.lee@x.cn"), ("Bo Wu", "+86 139 0013 9000",
                                                          "bo.wu@x.cn")]
    lines = ["customer_id,timestamp,amount,Full Name,Mobile,contact_email"]
    for i in range(40):
        name, phone, mail = people[i % 2]
        lines.append(f"C{i:03d},2023-{1 + i % 12:02d}-15,{-5 if i % 7 == 0 else 20 + i},"
                     f"{name},{phone},{mail}")
    lines.append(f"C999,not a date,5,{people[0][0]},{people[0][1]},{people[0][2]}")
    (data / "transactions.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (data / "surveys.csv").write_text(
        "customer_id,date,nps,comment\n"
        "C001,2023-05-01,9,great\n"
        "C002,2023-05-02,11,call me on 13800138000 or ann.lee@x.cn\n", encoding="utf-8")
    out = tmp_path / "reports" / "latest"
    code = main(["report", "--notebooks", str(project / "notebooks"), "--out", str(out),
                 "--data", str(data)])
    assert code == 0
    secret = next(ln for ln in (project / SECRET_FILE).read_text().splitlines()
                  if not ln.startswith("#"))
    assert stat.S_IMODE((project / SECRET_FILE).stat().st_mode) == 0o600
    needles = ["Ann Lee", "Bo Wu", "13800138000", "139 0013", "ann.lee@x.cn", "bo.wu@x.cn",
               "call me", "Full Name", "Mobile", "contact_email", secret]
    found = {}
    for path in out.rglob("*"):
        if path.is_file():
            text = path.read_bytes().decode("utf-8", "replace")
            found.update({(path.name, n): True for n in needles if n in text})
    assert found == {}
    assert {"surveys_set_aside.csv", "transactions_set_aside.csv"} <= {p.name for p in
                                                                       out.iterdir()}
    assert not list(out.rglob(SECRET_FILE))
    aside = pd.read_csv(out / "transactions_set_aside.csv", encoding="utf-8-sig")
    assert list(aside.columns) == ["reason", "reason_label", "source_row", "customer_id",
                                   "customer_ref", "timestamp", "amount"]


def test_database_password_with_slash_and_at_is_masked_everywhere(tmp_path, capsys):
    for url in (URL, "postgresql://bob@h/db?password=s3cr/t@x",
                f"mysql+pymysql://bob:{PASSWORD}@h/d?sslmode=require"):
        shown = masked(url)
        assert "***" in shown and not any(s in shown for s in url_secrets(url))
        assert "w@rd" not in shown and "s3cr" not in shown
    assert masked("postgresql://bob:simple@h:5432/db") == "postgresql://bob:***@h:5432/db"
    assert mask_text(f"failed on {URL}: refused") == \
        "failed on postgresql://bob:***@127.0.0.1:9/shop: refused"
    with pytest.raises(SourceError, match=r"postgresql://bob:\*\*\*@127\.0\.0\.1:9/shop") as info:
        ck.load_data(URL)
    assert "p/ss" not in str(info.value) and "w@rd" not in str(info.value)
    folder = tmp_path / "nb"
    folder.mkdir()
    shutil.copy(NOTEBOOKS / "01_data_quality.ipynb", folder)
    for args in (["validate", URL], ["report", "--notebooks", str(folder), "--data", URL,
                                     "--out", str(tmp_path / "out")]):
        assert main(args) == 2
        captured = capsys.readouterr()
        text = captured.out + captured.err
        assert "bob:***@" in text and "p/ss" not in text and "w@rd" not in text
    scrubbed = tmp_path / "x"
    scrubbed.mkdir()
    (scrubbed / "a.ipynb").write_text(f'"traceback": "{PASSWORD} in {URL}"')
    scrub_secrets(scrubbed, url_secrets(URL))
    assert PASSWORD not in (scrubbed / "a.ipynb").read_text()


# --- preflight and messages -------------------------------------------------------------
def test_missing_required_column_fails_in_seconds_in_the_report_language(tmp_path, capsys):
    data = tmp_path / "orders.csv"
    data.write_text("customer_id,amount\nC1,10\n", encoding="utf-8")
    folder = tmp_path / "nb"
    folder.mkdir()
    shutil.copy(NOTEBOOKS / "01_data_quality.ipynb", folder)
    code = main(["report", "--notebooks", str(folder), "--data", str(data), "--lang", "zh",
                 "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "无法用这些数据生成报告" in err and "required column(s) missing: timestamp" in err
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".staging-*"))


def test_preflight_verdicts_for_thin_data(tmp_path):
    data = tmp_path / "d"
    data.mkdir()
    (data / "transactions.csv").write_text(
        "customer_id,timestamp,amount\nC1,2024-01-01,5\nC1,2024-01-09,5\nC2,2024-01-03,7\n")
    (data / "surveys.csv").write_text("customer_id,date,nps\nX9,2024-01-05,9\n")
    names = ["01_data_quality", "03_satisfaction", "04_clv_models", "05_churn_prediction"]
    load = {"source": str(data), "config": None, "observation_end": None,
            "demo_customers": 10, "seed": 1}
    check = preflight(names, load)
    status = {n: c.status for n, c in check.sections.items()}
    assert status == {"01_data_quality": "ok", "03_satisfaction": "degraded",
                      "04_clv_models": "degraded", "05_churn_prediction": "degraded"}
    assert [k for k, _ in check.sections["03_satisfaction"].reasons] == \
        ["preflight_surveys_unmatched"]
    assert [k for k, _ in check.sections["04_clv_models"].reasons] == \
        ["preflight_few_customers", "preflight_few_repeat"]
    assert check.facts["repeat_buyers"] == 1 and check.facts["customers"] == 2


def test_unexpected_errors_are_one_line_unless_debug(tmp_path, capsys):
    folder = tmp_path / "nb"
    folder.mkdir()
    (folder / "01_broken.ipynb").write_text("{not json", encoding="utf-8")
    args = ["report", "--notebooks", str(folder), "--out", str(tmp_path / "out")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: unexpected ") and err.count("\n") == 1
    assert "run again with --debug" in err
    with pytest.raises(Exception, match="Notebook does not appear to be JSON"):
        main(["--debug", *args])


def test_a_skipped_section_on_a_client_page_names_no_customer():
    # library errors give example rows (customer ids); a client page says only that the
    # data cannot support the section, the analyst page keeps the reason
    from clvkit.exceptions import DataValidationError

    def fails():
        raise DataValidationError("3 customers have no channel (e.g. customer_id C00042)",
                                  column="channel")

    client = ck.report.setup(audience="client", salt="k", lang="en")
    assert client.attempt("covariates.section", fails) is None
    record = client.skipped[-1]
    assert "C00042" not in json.dumps(record) and record["reason"] == "report_skipped_client"
    assert "analyst version of this report" in record["message"]
    analyst = ck.report.setup(audience="analyst", lang="zh")
    assert analyst.attempt("covariates.section", fails) is None
    assert "C00042" in analyst.skipped[-1]["message"]
