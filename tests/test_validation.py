"""Validation: every reason a row is set aside, counts that add up, refunds, reports."""

from __future__ import annotations

import sys

import pandas as pd
import pytest

import clvkit as ck
from clvkit.exceptions import DataValidationError, ParameterError
from clvkit.validation import (
    REASONS,
    net_amounts,
    parse_dates,
    parse_numbers,
    validate_customers,
    validate_surveys,
    validate_tables,
    validate_transactions,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def _tx(rows: list[tuple], columns=("customer_id", "timestamp", "amount")) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(columns))


def _rows(v, reason: str) -> int:
    return int(v.counts.set_index("reason").loc[reason, "rows"])


def _adds_up(v) -> None:
    assert v.counts["rows"].sum() == v.n_read
    assert v.n_read == v.n_kept + len(v.set_aside)
    if v.table != "transactions" or v.shape["shape"] == "orders":
        assert len(v.clean) == v.n_kept


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (("", "2024-01-02", "5"), "missing_customer_id"),
        ((None, "2024-01-02", "5"), "missing_customer_id"),
        (("   ", "2024-01-02", "5"), "missing_customer_id"),
        (("C9", "2024-02-30", "5"), "unparseable_date"),
        (("C9", "soon", "5"), "unparseable_date"),
        (("C9", None, "5"), "unparseable_date"),
        (("C9", "2024-01-02", "five"), "non_numeric_amount"),
        (("C9", "2024-01-02", None), "non_numeric_amount"),
        (("C9", "2024-01-02", "-5"), "refund_unmatched"),  # C9 bought nothing before
        (("C9", "2024-01-02", "0.00"), "zero_amount"),
        (("C9", "2025-01-01", "5"), "date_after_observation_end"),
    ],
)
def test_each_transaction_reason_sets_the_row_aside(row, reason):
    df = _tx([("C1", "2024-01-01", "10"), row])
    v = validate_transactions(df, observation_end="2024-12-31")
    assert list(v.set_aside["reason"]) == [reason]
    assert v.set_aside["source_row"].tolist() == [2]
    assert _rows(v, reason) == 1 and _rows(v, "ok") == 1
    assert v.clean["customer_id"].tolist() == ["C1"]
    _adds_up(v)


def test_first_applicable_reason_wins_in_documented_order():
    df = _tx([
        ("", "bad", "x"),          # missing id beats bad date and bad amount
        ("C1", "bad", "-1"),       # bad date beats negative amount
        ("C2", "2030-01-01", "0"),  # after the end beats zero amount
        ("C3", "2024-01-01", "-0"),  # -0 is zero, not negative
    ])
    v = validate_transactions(df, observation_end="2024-12-31")
    assert v.set_aside["reason"].tolist() == [
        "missing_customer_id", "unparseable_date", "date_after_observation_end", "zero_amount",
    ]
    assert v.n_kept == 0
    assert list(v.counts["reason"]) == ["ok", *REASONS["transactions"]]


def test_non_numeric_optional_column_is_set_aside_but_empty_cell_is_fine():
    df = _tx([("C1", "2024-01-01", "5", "two"), ("C2", "2024-01-01", "5", ""),
              ("C3", "2024-01-01", "5", "3")],
             columns=("customer_id", "timestamp", "amount", "quantity"))
    v = validate_transactions(df)
    assert v.set_aside["reason"].tolist() == ["non_numeric_value"]
    assert v.clean["quantity"].isna().tolist() == [True, False]
    assert str(v.clean["quantity"].dtype) == "Int64"  # whole numbers with a blank


def test_quantity_type_does_not_depend_on_rows_set_aside():
    rows = [("C1", "2024-01-01", "5", "2"), ("C2", "2024-01-02", "5", "3")]
    cols = ("customer_id", "timestamp", "amount", "quantity")
    clean = validate_transactions(_tx(rows, columns=cols)).clean
    with_bad = validate_transactions(_tx([*rows, ("C3", "2024-01-03", "5", "two")],
                                         columns=cols)).clean
    assert clean["quantity"].dtype == with_bad["quantity"].dtype == "int64"
    weighed = validate_transactions(_tx([*rows, ("C3", "2024-01-03", "5", "2.5")],
                                        columns=cols)).clean
    assert weighed["quantity"].tolist() == [2.0, 3.0, 2.5]  # fractions stay floats


def test_duplicate_order_id_keeps_the_first_usable_row():
    df = _tx([("C1", "bad", "10", "O1"), ("C1", "2024-01-01", "10", "O1"),
              ("C1", "2024-01-01", "10", "O1"), ("C2", "2024-01-02", "7", "O2")],
             columns=("customer_id", "timestamp", "amount", "order_id"))
    v = validate_transactions(df)
    assert v.set_aside["reason"].tolist() == ["unparseable_date", "duplicate_order_id"]
    assert v.set_aside["source_row"].tolist() == [1, 3]
    assert v.clean["order_id"].tolist() == ["O1", "O2"]


def test_exact_duplicates_are_reported_and_kept_unless_asked():
    df = _tx([("C1", "2024-01-01", "10"), ("C1", "2024-01-01", "10"),
              ("C1", "2024-01-01", "10"), ("C1", "2024-01-01", "11")])
    kept = validate_transactions(df)
    assert kept.n_kept == 4 and kept.set_aside.empty
    assert _rows(kept, "exact_duplicate") == 2 and _rows(kept, "ok") == 2
    assert kept.flagged["source_row"].tolist() == [2, 3]
    assert kept.counts.set_index("reason").loc["exact_duplicate", "action"] == "kept"
    dropped = validate_transactions(df, drop_exact_duplicates=True)
    assert dropped.n_kept == 2
    assert dropped.set_aside["reason"].tolist() == ["exact_duplicate"] * 2
    assert dropped.counts.set_index("reason").loc["exact_duplicate", "action"] == "set aside"
    _adds_up(kept)
    _adds_up(dropped)


def test_rows_with_an_order_id_are_never_exact_duplicates():
    df = _tx([("C1", "2024-01-01", "10", "O1"), ("C1", "2024-01-01", "10", "O1")],
             columns=("customer_id", "timestamp", "amount", "order_id"))
    v = validate_transactions(df)
    assert _rows(v, "exact_duplicate") == 0 and _rows(v, "duplicate_order_id") == 1


def test_observation_end_is_a_whole_day():
    df = _tx([("C1", "2024-12-31 23:59", "10"), ("C1", "2025-01-01 00:00", "10")])
    v = validate_transactions(df, observation_end=pd.Timestamp("2024-12-31 08:00"))
    assert v.n_kept == 1 and v.observation_end == pd.Timestamp("2024-12-31")


def test_unknown_customers_are_reported_and_kept():
    df = _tx([("C1", "2024-01-01", "10"), ("C2", "2024-01-01", "10")])
    v = validate_transactions(df, known_customers=["C1"])
    assert v.n_kept == 2 and _rows(v, "unknown_customer") == 1
    assert v.flagged["customer_id"].tolist() == ["C2"]


def test_clean_is_typed_sorted_and_input_untouched():
    df = _tx([(" 007", "2024-03-01", "¥1,234.50"), (7, "2024/1/5 10:30", "12")])
    before = df.copy()
    v = validate_transactions(df)
    pd.testing.assert_frame_equal(df, before)
    assert v.clean["customer_id"].tolist() == ["7", "007"]
    assert v.clean["timestamp"].dtype == "datetime64[ns]"
    assert v.clean["timestamp"].tolist() == [pd.Timestamp("2024-01-05 10:30"),
                                             pd.Timestamp("2024-03-01")]
    assert v.clean["amount"].tolist() == [12.0, 1234.5]


def test_examples_show_the_raw_values():
    df = _tx([("C1", "2024-13-45", "1"), ("C2", "2024-01-01", "12,5")])
    counts = validate_transactions(df).counts.set_index("reason")
    assert counts.loc["unparseable_date", "examples"] == "row 1: '2024-13-45'"
    assert counts.loc["non_numeric_amount", "examples"] == "row 2: '12,5'"


def test_missing_required_column_names_it_and_lists_the_others():
    with pytest.raises(DataValidationError,
                       match=r"transactions table has no column\(s\) 'amount'; "
                             r"it has 'customer_id', 'timestamp'") as info:
        validate_transactions(_tx([("C1", "2024-01-01")], columns=("customer_id", "timestamp")))
    assert info.value.column == "amount"


def test_invalid_observation_end_is_a_parameter_error():
    with pytest.raises(ParameterError, match=r"observation_end must be a date.*got 'someday'"):
        validate_transactions(_tx([("C1", "2024-01-01", "1")]), observation_end="someday")


def test_refunds_stay_available_and_net_against_purchases():
    df = pd.DataFrame({
        "customer_id": ["A", "A", "A", "B", "B", "C"],
        "order_id": ["1", "2", "2", None, None, None],
        "timestamp": ["2024-01-01", "2024-01-05", "2024-01-09", "2024-02-01",
                      "2024-02-03", "2024-03-01"],
        "amount": [100, 40, -10, 30, -30, -5],
    })
    v = validate_transactions(df, refunds="set_aside")
    assert v.refunds["amount"].tolist() == [-10.0, -30.0, -5.0]
    net = net_amounts(v)
    # A's refund matches order 2 by id; B's has no order id: latest purchase before it,
    # fully refunded so dropped; C has no purchase: unmatched.
    assert net.set_index("order_id").loc["2", "amount"] == 30.0
    assert net.set_index("order_id").loc["2", "refunded"] == 10.0
    assert net["customer_id"].tolist() == ["A", "A"]
    assert net.attrs == {"n_refunds_matched": 2, "n_refunds_unmatched": 1,
                         "n_purchases_fully_refunded": 1}
    assert v.clean["amount"].tolist() == [100.0, 40.0, 30.0]  # clean itself is untouched


def test_customers_reasons():
    df = pd.DataFrame({
        "customer_id": ["C1", "C2", "C2", "", "C3", "C4"],
        "signup_date": ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-01", "later",
                        "2024-01-01"],
        "churn_date": [None, "", "2024-05-01", None, None, None],
        "acquisition_cost": ["10", "12", "9", "5", "5", "ten"],
    })
    v = validate_customers(df)
    assert v.set_aside["reason"].tolist() == [
        "duplicate_customer_id", "missing_customer_id", "unparseable_date", "non_numeric_value",
    ]
    assert v.clean["customer_id"].tolist() == ["C1", "C2"]
    assert v.clean["churn_date"].isna().all() and v.clean["acquisition_cost"].dtype == float
    _adds_up(v)


def test_surveys_reasons_and_score_ranges():
    df = pd.DataFrame({
        "customer_id": ["C1", "C1", "C2", "C3", "C4", "C5", "C6", "C7", "X", ""],
        "date": ["2024-01-01"] * 7 + ["2025-02-01", "2024-01-01", "2024-01-01"],
        "nps": ["10", "0", "11", "7.5", "x", None, "8", "9", "9", "9"],
        "ces": ["7", "", "1", "1", "1", "1", "8", "1", "1", "1"],
    })
    v = validate_surveys(df, observation_end="2024-12-31",
                         known_customers=["C1", "C2", "C3", "C4", "C5", "C6", "C7"])
    assert v.set_aside["reason"].tolist() == [
        "score_out_of_range", "score_out_of_range", "score_out_of_range",
        "score_out_of_range", "score_out_of_range", "date_after_observation_end",
        "missing_customer_id",
    ]
    assert v.clean["nps"].tolist() == [10, 0, 9]
    assert str(v.clean["nps"].dtype) == "int64" and str(v.clean["ces"].dtype) == "Int64"
    assert _rows(v, "unknown_customer") == 1
    _adds_up(v)


def test_data_quality_summary_text_and_files(tmp_path):
    tx = _tx([("C1", "2024-01-01", "10"), ("C1", "2024-01-01", "10"), ("C2", "x", "1"),
              ("C9", "2024-01-02", "-4")])
    customers = pd.DataFrame({"customer_id": ["C1", "C2"]})
    surveys = pd.DataFrame({"customer_id": ["C1"], "date": ["2024-01-01"], "nps": [9]})
    q = validate_tables(tx, customers, surveys, observation_end="2024-12-31",
                        refunds="set_aside")
    summary = q.summary()
    assert list(summary.columns) == ["table", "reason", "label", "action", "rows", "share",
                                     "examples"]
    assert summary.groupby("table")["rows"].sum().to_dict() == {
        "transactions": 4, "customers": 2, "surveys": 1}
    assert not q.is_clean
    text = q.to_text()
    assert "Transactions: 4 rows read, 2 kept, 2 set aside (50.0%)" in text
    assert "negative amount (refund/return)" in text
    assert "exact duplicate without order id" in text
    assert "One row per order: 2 orders." in text
    assert "Refunds and cancellations set aside, not netted: 1 rows" in text
    zh = q.to_text(lang="zh")
    assert "交易：读取 4 行，保留 2 行，剔除 2 行（50.0%）" in zh and "负金额（退款/退货）" in zh
    assert q.summary(lang="zh").set_index(["table", "reason"]).loc[
        ("transactions", "zero_amount"), "label"] == "金额为零"
    paths = q.write_set_aside(tmp_path / "out")
    assert [p.name for p in paths] == ["transactions_set_aside.csv", "customers_set_aside.csv",
                                       "surveys_set_aside.csv"]
    raw = paths[0].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    written = pd.read_csv(paths[0], encoding="utf-8-sig", dtype=str)
    assert written["reason"].tolist() == ["unparseable_date", "negative_amount"]
    assert written.columns[:3].tolist() == ["reason", "reason_label", "source_row"]
    assert pd.read_csv(paths[1], encoding="utf-8-sig").empty


def test_parse_dates_common_formats_and_explicit_format():
    raw = pd.Series(["2024-01-05", "2024/1/5", "20240105", "2024年1月5日", "05.01.2024",
                     "2024-01-05T10:00:00+08:00", "01/05/2024", None])
    parsed = parse_dates(raw)
    assert parsed[:5].eq(pd.Timestamp("2024-01-05")).all()
    assert parsed[5] == pd.Timestamp("2024-01-05 10:00")
    assert parsed[6:].isna().all()  # ambiguous month/day order needs date_format
    explicit = parse_dates(raw, date_format="%m/%d/%Y")
    assert explicit[6] == pd.Timestamp("2024-01-05") and explicit[:6].isna().all()
    assert parse_dates(pd.Series([19970101, 19970102]))[1] == pd.Timestamp("1997-01-02")


def test_parse_numbers_tolerates_currency_and_grouping_only():
    raw = pd.Series(["¥1,234.50", "1,234", "-$5", "12元", "1,5", "12.3.4", "", "7"])
    parsed = parse_numbers(raw)
    assert parsed[:4].tolist() == [1234.5, 1234.0, -5.0, 12.0]
    assert parsed[4:7].isna().all() and parsed[7] == 7.0


def test_quality_catalogue_has_every_key_in_both_languages():
    from importlib import resources

    text = (resources.files("clvkit") / "locales" / "quality.toml").read_text("utf-8")
    data = tomllib.loads(text)
    assert set(data["en"]) == set(data["zh"])
    codes = {c for reasons in REASONS.values() for c in reasons} | {"ok"}
    assert {f"quality.{c}" for c in codes} <= set(data["en"])


def test_cdnow_has_255_exact_duplicates_and_80_zero_amounts():
    cdnow = ck.datasets.load_cdnow()
    v = validate_transactions(cdnow, observation_end="1998-06-30")
    assert v.n_read == 69_659
    assert _rows(v, "exact_duplicate") == 255 and _rows(v, "zero_amount") == 80
    assert v.n_kept == 69_659 - 80 and _rows(v, "ok") == 69_659 - 80 - 255
    dropped = validate_transactions(cdnow, drop_exact_duplicates=True)
    assert len(dropped.set_aside) == 335
    _adds_up(v)


def test_date_arguments_are_read_as_days_with_one_clear_error():
    from datetime import datetime

    from clvkit._parse import as_date

    day = pd.Timestamp("2025-06-30")
    assert as_date("2025-06-30 17:45") == day
    assert as_date(datetime(2025, 6, 30, 9)) == day
    assert as_date(pd.Timestamp("2025-06-30 23:00", tz="Asia/Shanghai")) == day  # local day
    assert as_date("", optional=True) is None and as_date(None, optional=True) is None
    for bad in ("yesterday", None, "", float("nan")):
        with pytest.raises(ParameterError, match="cutoff must be a date such as '2025-06-30'"):
            as_date(bad, "cutoff")


@pytest.mark.parametrize("call", [
    lambda d: ck.metrics.churn_rate(d, observation_end="30/02/2024"),
    lambda d: ck.segments.rfm_segments(d.transactions, "30/02/2024"),
    lambda d: ck.rfm_summary(d.transactions, observation_end="30/02/2024"),
    lambda d: ck.validate_transactions(d.transactions, observation_end="30/02/2024"),
    lambda d: ck.models.churn_feature_table(d.transactions, cutoff="30/02/2024"),
])
def test_every_entry_point_gives_the_same_error_for_a_bad_date(call):
    data = ck.datasets.make_demo(30, seed=1)
    with pytest.raises(ParameterError, match="must be a date such as '2025-06-30'; got '30/02"):
        call(data)
