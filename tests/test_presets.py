"""CRM and shop export presets, each read from a sample export in tests/data/crm/."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from clvkit.cli import main
from clvkit.exceptions import ConfigError
from clvkit.io import load_data, read_config
from clvkit.presets import apply_preset, config_with_preset, merge_preset, preset_names

CRM = Path(__file__).parent / "data" / "crm"

# preset, file, rows read, kept, {reason: rows set aside}, first kept row
CASES = [
    ("salesforce", "salesforce_opportunities", 16, 8,
     {"status_excluded": 4, "report_footer": 4},
     ("0015g00000Acme1AAE", "2025-01-15", 24000.0, "0065g00000Op001AAA")),
    ("salesforce_orders", "salesforce_orders", 12, 10, {"status_excluded": 2},
     ("0015g00000Acme1AAE", "2025-01-20", 1250.0, "00000101")),
    ("dynamics", "dynamics_sales_orders", 12, 9, {"status_excluded": 3},
     ("Contoso Pharmaceuticals", "2025-01-06 09:12", 12450.0, "ORD-01001-V3R8")),
    ("dynamics_invoices", "dynamics_invoices", 12, 10, {"status_excluded": 2},
     ("Contoso Pharmaceuticals", "2025-01-10 09:00", 12450.0, "INV-02001-K9T2")),
    ("suitecrm", "suitecrm_invoices", 12, 10, {"status_excluded": 1, "status_missing": 1},
     ("5d1c7a2e-1f0b-4c2e-9a51-0c3b2f7d1a01", "2025-01-14", 1250.0, "1")),
    ("sugarcrm_opportunities", "suitecrm_opportunities", 12, 7, {"status_excluded": 5},
     ("5d1c7a2e-1f0b-4c2e-9a51-0c3b2f7d1a01", "2025-01-20", 5400.0,
      "c41a9e0b-7d3f-4b1a-8e2d-5f6a7b8c0001")),
    ("shopify", "shopify_orders", 12, 6,
     {"order_line_continuation": 3, "status_excluded": 3},
     ("lena.koch@example.com", "2025-01-15 10:32:11", 84.0, "#1001")),
    ("woocommerce", "woocommerce_orders", 12, 7,
     {"status_excluded": 4, "placeholder_customer_id": 1},
     ("12", "2025-01-08 11:02:45", 48.9, "3101")),
]


@pytest.mark.parametrize(("preset", "file", "n_read", "n_kept", "aside", "first"), CASES,
                         ids=[c[0] for c in CASES])
def test_each_preset_reads_its_sample_export(preset, file, n_read, n_kept, aside, first):
    ds = load_data(CRM / f"{file}.csv", config={"preset": preset})
    quality = ds.quality["transactions"]
    assert (quality.n_read, quality.n_kept) == (n_read, n_kept)
    counts = quality.counts.set_index("reason")["rows"]
    assert {k: counts[k] for k in aside} == aside
    assert counts.sum() == n_read  # every row has exactly one outcome
    assert sorted(quality.set_aside["reason"].value_counts().items()) == sorted(aside.items())
    row = ds.transactions.iloc[0]
    assert (row["customer_id"], row["timestamp"], row["amount"], row["order_id"]) == (
        first[0], pd.Timestamp(first[1]), first[2], first[3])
    assert ds.transactions["amount"].gt(0).all()


def test_set_aside_rows_keep_the_file_row_numbers_and_status():
    ds = load_data(CRM / "salesforce_opportunities.csv", config={"preset": "salesforce"})
    aside = ds.quality["transactions"].set_aside
    lost = aside[aside["reason"] == "status_excluded"]
    # data rows 4, 6, 9 and 12 of the file: Closed Lost, Negotiation/Review, Closed Lost,
    # Prospecting (the header is not counted)
    assert list(lost["source_row"]) == [4, 6, 9, 12]
    assert list(lost["Stage"]) == ["Closed Lost", "Negotiation/Review", "Closed Lost",
                                   "Prospecting"]
    text = ds.quality.to_text()
    assert "status not counted as a sale" in text and "report footer" in text


def test_woocommerce_guests_are_identified_by_their_billing_email():
    ds = load_data(CRM / "woocommerce_orders.csv", config={"preset": "woocommerce"})
    ids = ds.transactions.set_index("order_id")["customer_id"]
    assert ids["3104"] == ids["3109"] == "ana.lima@example.com.br"
    assert "0" not in set(ids)


def test_user_config_wins_over_the_preset(tmp_path):
    (tmp_path / "export.csv").write_bytes((CRM / "salesforce_opportunities.csv").read_bytes())
    config = tmp_path / "clvkit.toml"
    config.write_text(
        'preset = "salesforce"\n[transactions]\npath = "export.csv"\n'
        '[transactions.columns]\ncustomer_id = "Account Name"\n'
        '[transactions.status_filter]\ncolumn = "Stage"\n'
        'keep = ["Closed Won", "Negotiation/Review"]\n', encoding="utf-8")
    tx = read_config(config)["transactions"]
    assert tx["columns"] == {"customer_id": "Account Name", "timestamp": "Close Date",
                             "amount": "Amount", "order_id": "Opportunity ID"}
    assert tx["status_filter"]["keep"] == ["Closed Won", "Negotiation/Review"]
    assert tx["date_format"] == "%m/%d/%Y"
    assert tx["path"] == str((tmp_path / "export.csv").resolve())
    ds = load_data(None, config=config)
    assert ds.quality["transactions"].n_kept == 9
    assert "Acme Tooling Ltd" in set(ds.transactions["customer_id"])


def test_apply_preset_returns_a_copy_and_knows_aliases():
    one = apply_preset("Salesforce")
    one["transactions"]["columns"]["amount"] = "changed"
    assert apply_preset("salesforce")["transactions"]["columns"]["amount"] == "Amount"
    assert apply_preset("sugarcrm") == apply_preset("suitecrm")
    assert "dynamics365" in preset_names() and "woocommerce" in preset_names()


def test_preset_errors(tmp_path):
    with pytest.raises(ConfigError, match=r"unknown preset 'hubspot'; known presets: dynamics"):
        apply_preset("hubspot")
    with pytest.raises(ConfigError, match=r"preset must be a name"):
        merge_preset({"preset": 3})
    with pytest.raises(ConfigError, match=r"\[transactions.status_filter\] needs column"):
        read_config({"transactions": {"status_filter": {"column": "Stage"}}})
    with pytest.raises(ConfigError, match=r"unknown key 'keeps'.*Example"):
        read_config({"transactions": {"status_filter": {"column": "S", "keep": ["a"],
                                                        "keeps": 1}}})
    with pytest.raises(ConfigError, match=r"status column 'Stage'.*it has 'customer_id'"):
        frame = pd.DataFrame({"Account ID": ["a"], "Close Date": ["1/2/2025"],
                              "Amount": ["1"], "Opportunity ID": ["o"]})
        path = tmp_path / "x.csv"
        frame.to_csv(path, index=False)
        load_data(path, config={"preset": "salesforce"})


def test_config_with_preset_resolves_the_files_paths(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text('[transactions]\npath = "orders.csv"\n', encoding="utf-8")
    merged = config_with_preset("shopify", config)
    assert merged["preset"] == "shopify"
    assert merged["transactions"]["path"] == str((tmp_path / "orders.csv").resolve())
    assert config_with_preset("shopify") == {"preset": "shopify"}
    with pytest.raises(ConfigError, match="unknown preset"):
        config_with_preset("nope", config)


def test_cli_validate_with_preset(capsys, tmp_path):
    code = main(["validate", str(CRM / "shopify_orders.csv"), "--preset", "shopify",
                 "--set-aside-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0
    assert "further line of an order" in out
    aside = pd.read_csv(tmp_path / "transactions_set_aside.csv", encoding="utf-8-sig")
    assert list(aside["source_row"]) == [3, 4, 6, 7, 10, 12]
    assert main(["validate", str(CRM / "shopify_orders.csv"), "--preset", "nope"]) == 2
    assert "unknown preset 'nope'" in capsys.readouterr().err


def test_cli_report_preset_becomes_a_config(tmp_path, capsys):
    import argparse

    from clvkit.cli import _report_with_preset

    seen = {}

    def report(args):  # records what the report would read
        seen["text"] = Path(args.config).read_text(encoding="utf-8")
        seen["config"] = read_config(args.config)["transactions"]["columns"]
        return 0

    run = _report_with_preset(report)
    assert run(argparse.Namespace(preset="shopify", config=None)) == 0
    assert seen["text"] == 'preset = "shopify"\n'
    assert seen["config"]["customer_id"] == "Email"
    config = tmp_path / "c.toml"
    assert main(["report", "--preset", "shopify", "--config", str(config),
                 "--out", str(tmp_path / "out")]) == 2
    assert 'add the line preset = "shopify" to' in capsys.readouterr().err
    assert main(["report", "--preset", "nope", "--out", str(tmp_path / "out")]) == 2
    assert "unknown preset 'nope'" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_rows_validation_sets_aside_keep_their_file_row_numbers(tmp_path):
    text = (CRM / "salesforce_opportunities.csv").read_text(encoding="utf-8")
    path = tmp_path / "export.csv"
    path.write_text(text.replace('"9/2/2025"', '"soon"'), encoding="utf-8")  # row 10
    quality = load_data(path, config={"preset": "salesforce"}).quality["transactions"]
    bad = quality.set_aside[quality.set_aside["reason"] == "unparseable_date"]
    assert list(bad["source_row"]) == [10]
    counts = quality.counts.set_index("reason")
    assert counts.loc["unparseable_date", "examples"] == "row 10: 'soon'"
    assert counts["rows"].sum() == 16 and quality.n_kept == 7
    assert counts.loc["status_excluded", "share"] == pytest.approx(4 / 16)
