"""The clvkit command line: validate, demo-data, help, errors, installed script."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from clvkit.cli import main

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
MESSY = SAMPLE / "transactions_messy.csv"


def test_validate_messy_csv_prints_counts_that_add_up(tmp_path, capsys):
    code = main(["validate", str(MESSY), "--observation-end", "2024-12-31",
                 "--set-aside-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0
    # refunds are netted by default: C010's -70 removes its 70 order (O014)
    assert "Transactions: 25 rows read, 10 kept, 15 set aside (60.0%)" in out
    rows = re.findall(r"^  (kept|set aside)\s+(.+?)\s+([\d,]+)\s+[\d.]+%", out, re.MULTILINE)
    aside = sum(int(n) for action, _, n in rows if action == "set aside")
    assert aside == 15 and len(rows) == 11  # 10 reasons set aside + exact duplicates kept
    assert ("kept", "exact duplicate without order id", "1") in rows
    assert "unparseable date" in out and "'yesterday'" in out
    assert "orders reversed in full: 1, in part: 0; revenue reversed: 70.00" in out
    written = pd.read_csv(tmp_path / "transactions_set_aside.csv", encoding="utf-8-sig")
    assert len(written) == 15 and written["reason"].value_counts()["unparseable_date"] == 3


def test_validate_refunds_set_aside_keeps_the_purchases(tmp_path, capsys):
    code = main(["validate", str(MESSY), "--observation-end", "2024-12-31",
                 "--set-aside-dir", str(tmp_path), "--refunds", "set_aside"])
    out = capsys.readouterr().out
    assert code == 0
    assert "Transactions: 25 rows read, 11 kept, 14 set aside (56.0%)" in out
    assert "Refunds and cancellations set aside, not netted: 2 rows" in out


def test_validate_with_chinese_config_and_language(tmp_path, capsys):
    code = main(["validate", "--config", str(SAMPLE / "clvkit.toml"), "--lang", "zh",
                 "--set-aside-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0
    assert "交易：读取 12 行，保留 7 行，剔除 5 行（41.7%）" in out
    assert "退款/取消，找不到更早的购买可抵销" in out


def test_validate_errors_are_one_line_without_traceback(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "missing.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no such file:") and "Traceback" not in err
    assert main(["validate"]) == 2
    assert "give a SOURCE" in capsys.readouterr().err


def test_validate_mapping_error_lists_columns(tmp_path, capsys):
    path = tmp_path / "orders.csv"
    path.write_text("客户,时间,金额\nA,2024-01-01,5\n", encoding="gb18030")
    assert main(["validate", str(path), "--set-aside-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "required column(s) missing: customer_id, timestamp, amount" in err
    assert "'客户', '时间', '金额'" in err


def test_demo_data_then_validate_the_folder(tmp_path, capsys):
    out_dir = tmp_path / "demo"
    assert main(["demo-data", "--out", str(out_dir), "--customers", "300", "--seed", "3",
                 "--format", "both"]) == 0
    names = sorted(p.name for p in out_dir.iterdir())
    assert names == ["customers.csv", "customers.parquet", "surveys.csv", "surveys.parquet",
                     "transactions.csv", "transactions.parquet"]
    capsys.readouterr()
    assert main(["validate", str(out_dir), "--set-aside-dir", str(tmp_path / "sa")]) == 0
    out = capsys.readouterr().out
    assert "Customers: 300 rows read, 300 kept, 0 set aside" in out
    assert (tmp_path / "sa" / "surveys_set_aside.csv").is_file()


def test_demo_data_with_quality_issues_validates_with_every_row_accounted(tmp_path, capsys):
    out_dir = tmp_path / "messy"
    assert main(["demo-data", "--out", str(out_dir), "--customers", "300", "--seed", "3",
                 "--with-quality-issues"]) == 0
    read = len(pd.read_csv(out_dir / "transactions.csv"))
    capsys.readouterr()
    # files carry no observation end: the demo's is passed as a user would
    assert main(["validate", str(out_dir), "--observation-end", "2025-06-30",
                 "--set-aside-dir", str(tmp_path / "sa")]) == 0
    out = capsys.readouterr().out
    set_aside = pd.read_csv(tmp_path / "sa" / "transactions_set_aside.csv", encoding="utf-8-sig")
    assert f"Transactions: {read:,} rows read" in out
    assert set(set_aside["reason"]) == {
        "missing_customer_id", "refund_netted", "order_reversed", "zero_amount",
        "duplicate_order_id", "date_after_observation_end"}
    assert f"{read - len(set_aside):,} kept, {len(set_aside):,} set aside" in out


@pytest.mark.parametrize("command", [[], ["validate"], ["demo-data"], ["report"]])
def test_help_on_every_command(command, capsys):
    with pytest.raises(SystemExit) as info:
        main([*command, "--help"])
    assert info.value.code == 0
    assert "usage: clvkit" in capsys.readouterr().out


def test_invalid_arguments_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["demo-data", "--out", "x", "--format", "xml"])
    assert info.value.code == 2
    assert "invalid choice: 'xml'" in capsys.readouterr().err


def test_installed_console_script(tmp_path):
    script = Path(sys.executable).with_name("clvkit")
    assert script.is_file(), "the clvkit console script is not installed in this environment"
    ok = subprocess.run(
        [str(script), "validate", str(MESSY), "--observation-end", "2024-12-31",
         "--set-aside-dir", str(tmp_path)], capture_output=True, text=True, check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert "25 rows read, 10 kept, 15 set aside" in ok.stdout
    bad = subprocess.run([str(script), "validate", str(tmp_path / "nope.csv")],
                         capture_output=True, text=True, check=False)
    assert bad.returncode == 2
    assert bad.stderr.startswith("error: no such file") and "Traceback" not in bad.stderr
