"""Reading every source type from real files, column mapping, config, load_data."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import duckdb
import pandas as pd
import pytest

import clvkit as ck
from clvkit.datasets import add_quality_issues, make_demo
from clvkit.exceptions import ConfigError, DataValidationError, ParameterError, SourceError
from clvkit.io import load_data, load_table, read_config

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
ZH_COLUMNS = {"customer_id": "客户编号", "timestamp": "下单时间", "amount": "金额"}


@pytest.fixture
def orders() -> pd.DataFrame:
    """Three purchases as a shop system exports them: Chinese headers, text ids."""
    return pd.DataFrame({
        "客户编号": ["001", "002", "001"],
        "下单时间": ["2024-01-05 10:00", "2024-01-06", "2024-02-01"],
        "金额": ["12.5", "30", "7.25"],
        "备注": ["首单", "", "退货后重购"],
    })


def _expected() -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": ["001", "002", "001"],
        "timestamp": pd.to_datetime(["2024-01-05 10:00", "2024-01-06", "2024-02-01"],
                                    format="ISO8601").astype("datetime64[ns]"),
        "amount": [12.5, 30.0, 7.25],
    })


def _check(df: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(df[["customer_id", "timestamp", "amount"]], _expected())
    assert df["备注"].iloc[0] == "首单"  # unmapped columns are kept as read


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_three_encodings_with_chinese_columns(tmp_path, orders, encoding):
    path = tmp_path / "orders.csv"
    orders.to_csv(path, index=False, encoding=encoding)
    _check(load_table(path, columns=ZH_COLUMNS))
    _check(load_table(str(path), columns=ZH_COLUMNS, encoding=encoding))


def test_undecodable_csv_names_encodings_tried_and_offset(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"customer_id,timestamp,amount\nC1,2024-01-01,5\n\x80\xff,x,1\n")
    with pytest.raises(SourceError, match=r"cannot decode bad\.csv: tried utf-8-sig \(byte "
                       r"0x80 at byte offset 45, line 3\); gb18030 \(byte 0x80 at byte "
                       r"offset 45, line 3\)\. Pass encoding="):
        load_table(path)
    assert load_table(path, encoding="latin-1")["customer_id"].tolist() == ["C1", "\x80ÿ"]


def test_wrong_explicit_encoding_and_unknown_encoding(tmp_path, orders):
    path = tmp_path / "orders.csv"
    orders.to_csv(path, index=False, encoding="gb18030")
    with pytest.raises(SourceError, match=r"tried utf-8 \(byte 0x"):
        load_table(path, columns=ZH_COLUMNS, encoding="utf-8")
    with pytest.raises(ParameterError, match="unknown encoding 'nope'"):
        load_table(path, encoding="nope")


def test_tsv_and_reader_options(tmp_path):
    path = tmp_path / "orders.tsv"
    path.write_text("# exported 2024\ncustomer_id\ttimestamp\tamount\nC1\t2024-01-01\t5\n",
                    encoding="utf-8")
    df = load_table(path, skiprows=1)
    assert df["amount"].tolist() == [5.0]


def test_parquet(tmp_path, orders):
    path = tmp_path / "orders.parquet"
    orders.to_parquet(path)
    _check(load_table(path, columns=ZH_COLUMNS))


def test_excel_sheet_by_name_and_missing_sheet(tmp_path, orders):
    path = tmp_path / "orders.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"x": [1]}).to_excel(writer, sheet_name="说明", index=False)
        orders.to_excel(writer, sheet_name="订单", index=False)
    _check(load_table(path, columns=ZH_COLUMNS, sheet="订单"))
    with pytest.raises(SourceError, match=r"orders\.xlsx has no sheet 'Orders'; its sheets: "
                       "'说明', '订单'"):
        load_table(path, columns=ZH_COLUMNS, sheet="Orders")


def test_excel_numeric_ids_and_real_dates(tmp_path):
    path = tmp_path / "orders.xlsx"
    pd.DataFrame({"customer_id": [101, 102], "timestamp": pd.to_datetime(["2024-01-01",
                  "2024-01-02"]), "amount": [1.5, 2]}).to_excel(path, index=False)
    df = load_table(path)
    assert df["customer_id"].tolist() == ["101", "102"]
    assert df["timestamp"].dtype == "datetime64[ns]"


def _sqlite(path: Path, orders: pd.DataFrame) -> None:
    with sqlite3.connect(path) as con:
        orders.to_sql("orders", con, index=False)
        con.execute("CREATE TABLE empty_t (customer_id TEXT)")


def test_sqlite_through_sqlalchemy_url_table_and_query(tmp_path, orders):
    db = tmp_path / "shop.sqlite"
    _sqlite(db, orders)
    url = f"sqlite:///{db}"
    _check(load_table(url, columns=ZH_COLUMNS, sql="orders"))
    query = "SELECT * FROM orders WHERE 客户编号 = '001' ORDER BY 下单时间"
    assert load_table(url, columns=ZH_COLUMNS, sql=query)["amount"].tolist() == [12.5, 7.25]
    with pytest.raises(SourceError, match="has no table 'transactions'; its tables: "
                       "'empty_t', 'orders'"):
        load_table(url, columns=ZH_COLUMNS)
    with pytest.raises(SourceError,
                       match=r"shop\.sqlite has no data rows \(columns: 'customer_id'\)"):
        load_table(url, sql="SELECT * FROM empty_t")
    with pytest.raises(SourceError, match=r"database query failed.*no such table: nope"):
        load_table(url, sql="SELECT * FROM nope")


def test_sqlite_file_path_is_recognised_by_its_header(tmp_path, orders):
    db = tmp_path / "shop.db"
    _sqlite(db, orders)
    _check(load_table(db, columns=ZH_COLUMNS, sql="orders"))


def test_missing_sqlite_file_is_not_created(tmp_path):
    url = f"sqlite:///{tmp_path / 'missing.db'}"
    with pytest.raises(SourceError, match="SQLite database file not found"):
        load_table(url)
    assert not (tmp_path / "missing.db").exists()


def test_bad_database_url():
    with pytest.raises(SourceError, match=r"cannot use the database URL nosuchdb://u:\*\*\*@h"):
        load_table("nosuchdb://u:secret@h/db")


def test_duckdb_file_table_and_query(tmp_path, orders):
    db = tmp_path / "shop.duckdb"
    with duckdb.connect(str(db)) as con:
        con.register("src", orders)
        con.execute("CREATE TABLE orders AS SELECT * FROM src")
    _check(load_table(db, columns=ZH_COLUMNS, sql="orders"))
    df = load_table(db, columns=ZH_COLUMNS, sql="SELECT * FROM orders WHERE 客户编号 = '002'")
    assert df["customer_id"].tolist() == ["002"]
    with pytest.raises(SourceError, match=r"shop\.duckdb has no table 'transactions'; its "
                       "tables: 'orders'"):
        load_table(db, columns=ZH_COLUMNS)


def test_mapping_to_a_missing_column_lists_the_existing_ones(tmp_path, orders):
    path = tmp_path / "orders.csv"
    orders.to_csv(path, index=False)
    with pytest.raises(ConfigError, match=r"transactions from orders\.csv: the column mapping "
                       r"names column\(s\) that do not exist: amount -> '金额x'\. Columns in "
                       r"orders\.csv: '客户编号', '下单时间', '金额', '备注'\."):
        load_table(path, columns={**ZH_COLUMNS, "amount": "金额x"})


def test_missing_required_columns_are_one_error(tmp_path, orders):
    path = tmp_path / "orders.csv"
    orders.to_csv(path, index=False)
    with pytest.raises(SourceError, match=r"required column\(s\) missing: timestamp, amount\. "
                       r"Columns in orders\.csv: '客户编号'") as info:
        load_table(path, columns={"customer_id": "客户编号"})
    assert info.value.column == "timestamp"


def test_unknown_role_lists_valid_roles():
    with pytest.raises(ConfigError, match=r"unknown role\(s\) 'client' .* valid roles: "
                       "customer_id, timestamp, amount, order_id"):
        load_table(pd.DataFrame({"a": [1]}), columns={"client": "a"})


def test_mapped_column_clashing_with_an_existing_one(tmp_path):
    df = pd.DataFrame({"customer_id": ["a"], "cid": ["b"], "timestamp": ["2024-01-01"],
                       "amount": [1]})
    with pytest.raises(ConfigError, match=r"column\(s\) 'customer_id' exist and are also mapped"):
        load_table(df, columns={"customer_id": "cid"})


def test_columns_found_by_name_ignoring_case_and_spaces():
    df = pd.DataFrame({"Customer ID": ["7"], " Timestamp": ["2024-01-01"], "AMOUNT": ["3"]})
    out = load_table(df)
    assert list(out.columns) == ["customer_id", "timestamp", "amount"]


def test_empty_file_and_header_only_file(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(SourceError, match=r"empty\.csv is empty"):
        load_table(empty)
    header = tmp_path / "header.csv"
    header.write_text("customer_id,timestamp,amount\n", encoding="utf-8")
    with pytest.raises(SourceError, match=r"header\.csv has no data rows \(columns: "
                       "'customer_id', 'timestamp', 'amount'\\)"):
        load_table(header)


def test_missing_file_and_unknown_type(tmp_path):
    with pytest.raises(SourceError, match="no such file: demo2 \\(bundled data sets: demo"):
        load_table("demo2")
    odd = tmp_path / "orders.json"
    odd.write_text("{}", encoding="utf-8")
    with pytest.raises(SourceError, match=r"unknown file type '\.json'"):
        load_table(odd)
    with pytest.raises(ParameterError, match="table must be one of"):
        load_table(odd, table="orders")


def test_messy_values_stay_raw_for_validation(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("customer_id,timestamp,amount\n0042,2024-01-01,5\n0043,yesterday,x\n",
                    encoding="utf-8")
    df = load_table(path)
    assert df["customer_id"].tolist() == ["0042", "0043"]
    assert df["timestamp"].tolist() == ["2024-01-01", "yesterday"]  # not coerced to NaT
    assert df["amount"].tolist() == ["5", "x"]
    v = ck.validate_transactions(df)
    assert v.set_aside["timestamp"].tolist() == ["yesterday"]


def test_explicit_date_format(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("customer_id,timestamp,amount\nC1,05/01/2024,5\n", encoding="utf-8")
    assert load_table(path)["timestamp"].tolist() == ["05/01/2024"]
    df = load_table(path, date_format="%d/%m/%Y")
    assert df["timestamp"].tolist() == [pd.Timestamp("2024-01-05")]


# --- config ---------------------------------------------------------------------


def test_read_config_resolves_paths_relative_to_the_file(tmp_path):
    folder = tmp_path / "cfg"
    folder.mkdir()
    (folder / "c.toml").write_text(
        '[transactions]\npath = "data/orders.csv"\nencoding = "gb18030"\n'
        '[transactions.columns]\ncustomer_id = "客户编号"\n'
        '[validation]\nobservation_end = 2024-12-31\n', encoding="utf-8")
    cfg = read_config(folder / "c.toml")
    assert cfg["transactions"]["path"] == str((folder / "data" / "orders.csv").resolve())
    assert cfg["transactions"]["columns"] == {"customer_id": "客户编号"}
    assert cfg["validation"] == {"observation_end": pd.Timestamp("2024-12-31"),
                                 "drop_exact_duplicates": False, "keep_zero_amounts": None}
    assert cfg["customers"] == {} and cfg["source"] == "c.toml"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"transaction": {}}, r"unknown section\(s\) 'transaction'; valid sections: "
                              "transactions, customers, surveys, validation"),
        ({"transactions": {"file": "x"}}, r"unknown key\(s\) 'file' in \[transactions\]; "
                                          "valid keys: path, encoding"),
        ({"surveys": {"columns": {"score": "x"}}}, r"unknown role\(s\) 'score' in "
                                                   r"\[surveys\.columns\]; valid roles: "
                                                   "customer_id, date, nps"),
        ({"transactions": {"encoding": "klingon"}}, "'klingon' is not a known encoding"),
        ({"transactions": {"table": "a", "query": "SELECT 1"}}, "both table and query"),
        ({"validation": {"drop_exact_duplicates": "yes"}}, "must be bool; got 'yes'"),
        ({"validation": {"observation_end": "end of year"}}, "must be a date like"),
        ({"transactions": {"sheet": True}}, "sheet must be str or int; got True"),
    ],
)
def test_read_config_errors(config, message):
    with pytest.raises(ConfigError, match=message):
        read_config(config)


def test_read_config_file_errors(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        read_config(tmp_path / "none.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[transactions\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.toml is not valid UTF-8 TOML"):
        read_config(bad)


def test_sample_config_reads_the_chinese_gb18030_export():
    ds = load_data(None, config=SAMPLE / "clvkit.toml")
    q = ds.quality["transactions"]
    assert (q.n_read, q.n_kept) == (12, 7)
    counts = q.counts.set_index("reason")["rows"]
    assert counts[counts > 0].to_dict() == {
        "ok": 7, "missing_customer_id": 1, "unparseable_date": 1,
        "date_after_observation_end": 1, "refund_unmatched": 1, "zero_amount": 1,
    }  # K003's refund on 2024-02-20 precedes K003's only purchase: nothing to net
    assert ds.observation_end == pd.Timestamp("2024-06-30")
    assert ds.transactions["channel"].iloc[0] == "天猫"


# --- load_data ------------------------------------------------------------------


def test_committed_messy_csv_counts_add_up():
    ds = load_data(SAMPLE / "transactions_messy.csv", observation_end="2024-12-31")
    q = ds.quality["transactions"]
    counts = q.counts.set_index("reason")["rows"]
    assert counts[counts > 0].to_dict() == {
        "ok": 9, "missing_customer_id": 1, "unparseable_date": 3, "non_numeric_amount": 2,
        "non_numeric_value": 1, "date_after_observation_end": 2, "zero_amount": 2,
        "duplicate_order_id": 1, "exact_duplicate": 1,
        # C010's -70 on 02-08 reverses O014 (70 on 02-07) in full; C005's -25 has no
        # earlier purchase of C005 to net against
        "refund_netted": 1, "refund_unmatched": 1, "order_reversed": 1,
    }
    assert sum(counts) == q.n_read == 25 and q.n_kept == 10
    assert ds.transactions["amount"].max() == 1280.0
    assert "O014" not in set(ds.transactions["order_id"])
    assert q.refunds["match"].tolist() == ["unmatched", "earlier_purchase"]
    assert q.reversals["n_orders_reversed_fully"] == 1
    assert q.reversals["revenue_reversed"] == 70.0
    # the old behaviour stays available
    kept = load_data(SAMPLE / "transactions_messy.csv", observation_end="2024-12-31",
                     refunds="set_aside").quality["transactions"]
    assert kept.counts.set_index("reason").loc["negative_amount", "rows"] == 2
    assert kept.n_kept == 11 and len(kept.refunds) == 2


def test_load_data_demo_goes_through_validation():
    ds = load_data("demo", demo_customers=300, seed=7)
    assert set(ds.quality) == {"transactions", "customers", "surveys"}
    # the demo arrives with a few realistic bad rows (add_quality_issues); validation sets
    # every one aside and keeps exactly the clean demo rows
    clean = make_demo(300, seed=7)
    injected = add_quality_issues(clean, seed=7).extra["injected"]
    q = ds.quality["transactions"]
    by_reason = q.counts.set_index("reason")["rows"]
    # each refund is booked on the order it refunds: netted by order id, half or all
    assert by_reason["refund_netted"] == injected["refund"] == len(q.refunds)
    assert (q.refunds["match"] == "order_id").all()
    assert by_reason["zero_amount"] == injected["zero_amount"]
    assert by_reason["duplicate_order_id"] == injected["duplicate_order_id"]
    assert by_reason["missing_customer_id"] == injected["missing_customer_id"]
    assert by_reason["date_after_observation_end"] == injected["after_observation_end"]
    assert q.n_read == len(clean.transactions) + sum(
        v for k, v in injected.items() if k != "survey_score_out_of_range")
    expected = clean.transactions.set_index("order_id")["amount"].copy()
    refunded = (-q.refunds.set_index("order_id")["amount"]).groupby(level=0).sum()
    expected.loc[refunded.index] -= refunded
    expected = expected[expected.round(6) > 0].sort_index()
    assert by_reason["order_reversed"] == len(clean.transactions) - len(expected)
    pd.testing.assert_series_equal(
        ds.transactions.set_index("order_id")["amount"].sort_index(), expected)
    assert ds.quality["surveys"].n_read - ds.quality["surveys"].n_kept == 3
    assert ds.name == "demo (300 customers, seed 7)"
    assert ds.observation_end == pd.Timestamp("2025-06-30")
    assert ds.transactions["timestamp"].dtype == "datetime64[ns]"


def test_load_data_cdnow_sample():
    ds = load_data("cdnow-sample")
    assert ds.transactions["customer_id"].nunique() == 2357
    assert ds.observation_end == pd.Timestamp("1998-06-30")
    q = ds.quality["transactions"]
    assert q.n_read == len(ds.transactions) == 6919  # zero amounts kept for CDNOW
    assert q.counts.set_index("reason").loc["zero_amount", ["rows", "action"]].tolist() == [
        8, "kept"]
    strict = load_data("cdnow-sample", keep_zero_amounts=False)
    assert strict.transactions["customer_id"].nunique() == 2349


def test_load_data_folder_with_three_tables(tmp_path):
    pd.DataFrame({"customer_id": ["A", "B", "B"], "timestamp": ["2024-01-01", "2024-01-02",
                  "2024-03-01"], "amount": [10, -2, 5]}).to_csv(
        tmp_path / "transactions.csv", index=False)
    pd.DataFrame({"customer_id": ["A", "B"], "region": ["North", "South"]}).to_parquet(
        tmp_path / "customers.parquet")
    pd.DataFrame({"customer_id": ["A", "Z"], "date": ["2024-02-01", "2024-02-02"],
                  "nps": [9, 4]}).to_csv(tmp_path / "surveys.csv", index=False)
    ds = load_data(tmp_path)  # refunds are netted by default
    assert ds.name == tmp_path.name
    assert ds.observation_end == pd.Timestamp("2024-03-01")  # last transaction day
    assert ds.customers["region"].tolist() == ["North", "South"]
    assert ds.quality["surveys"].counts.set_index("reason").loc["unknown_customer", "rows"] == 1
    # B's refund of 2 has no earlier purchase of B: unmatched, amounts unchanged
    assert ds.transactions["amount"].tolist() == [10.0, 5.0]


def test_load_data_database_with_configured_table_names(tmp_path, orders):
    db = tmp_path / "shop.duckdb"
    with duckdb.connect(str(db)) as con:
        con.register("src", orders)
        con.execute("CREATE TABLE orders AS SELECT * FROM src")
        con.execute("CREATE TABLE surveys AS SELECT '001' AS customer_id, "
                    "DATE '2024-01-10' AS date, 12 AS nps")
    config = {"transactions": {"table": "orders", "columns": ZH_COLUMNS}}
    ds = load_data(db, config=config)
    assert len(ds.transactions) == 3 and ds.customers is None
    assert ds.quality["surveys"].set_aside["reason"].tolist() == ["score_out_of_range"]


def test_load_data_sqlite_url_defaults_to_transactions_table(tmp_path):
    db = tmp_path / "shop.sqlite"
    with sqlite3.connect(db) as con:
        pd.DataFrame({"customer_id": ["A"], "timestamp": ["2024-01-01"],
                      "amount": [3.0]}).to_sql("transactions", con, index=False)
    ds = load_data(f"sqlite:///{db}")
    assert ds.transactions["amount"].tolist() == [3.0] and ds.surveys is None


def test_load_data_without_usable_rows_raises(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("customer_id,timestamp,amount\nA,2024-01-01,0\nB,x,1\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match=r"no usable transactions in t\.csv: all 2 "
                       r"rows were set aside\.\nData quality"):
        load_data(path)


def test_load_data_folder_without_transactions(tmp_path):
    with pytest.raises(SourceError, match=r"no transactions table in folder .*: expected "
                       r"transactions\.parquet, \.csv, \.tsv, \.txt or \.xlsx"):
        load_data(tmp_path)
