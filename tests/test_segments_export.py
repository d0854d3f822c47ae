"""The scored customer table, its CSV/Parquet export and the 360 card."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit.report import card_html, card_summary, labelled, recommendation
from clvkit.segments import (
    REQUIRED_SCORED_COLUMNS,
    SCORED_COLUMNS,
    CustomerCard,
    customer_card,
    scored_customers,
    write_scored,
)

END = pd.Timestamp("2024-12-31")
IDS = [f"C{i:02d}" for i in range(1, 11)]


def small_dataset() -> ck.Dataset:
    """Ten customers; C{i} places i orders of 10*i each, the last one i*20 days ago."""
    rows = []
    for i, cid in enumerate(IDS, start=1):
        for k in range(i):
            when = END - pd.Timedelta(days=20 * i + 15 * k) + pd.Timedelta(hours=9)
            rows.append((cid, f"{cid}-{k}", when, 10.0 * i, 4.0 * i, "online", "email@x"))
    tx = pd.DataFrame(rows, columns=["customer_id", "order_id", "timestamp", "amount",
                                     "gross_margin", "channel", "email"])
    customers = pd.DataFrame(
        {
            "customer_id": IDS,
            "channel": ["search", "social"] * 5,
            "region": ["North", "South", "East", "West", "North"] * 2,
            "cost_to_serve": [1.0] * 9 + [500.0],
            "churn_date": [pd.NaT] * 9 + [pd.Timestamp("2024-11-30")],
            "name": [f"Person {i}" for i in range(10)],
        }
    )
    surveys = pd.DataFrame(
        {
            "customer_id": ["C01", "C01", "C05"],
            "date": pd.to_datetime(["2024-03-01", "2024-09-01", "2024-06-01"]),
            "nps": [4, 9, 7],
            "ces": [6, 2, 3],
        }
    )
    return ck.Dataset(transactions=tx, customers=customers, surveys=surveys,
                      name="small", observation_end=END)


def model_output() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "p_alive": np.linspace(0.1, 1.0, 10),
            "expected_purchases": np.arange(10, dtype=float),
            "expected_spend": 10.0,
            "clv": np.arange(10, 0, -1, dtype=float) * 100,
        },
        index=pd.Index(IDS, name="customer_id"),
    )


def test_scored_table_schema_and_historical_fallback():
    scored = scored_customers(small_dataset())
    assert list(scored.columns) == list(SCORED_COLUMNS)
    assert list(scored.columns[:7]) == list(REQUIRED_SCORED_COLUMNS) == [
        "customer_id", "segment", "tier", "clv", "p_alive", "churn_risk", "action"]
    # "str" names pandas' text dtype: object on pandas 2, str on pandas 3
    assert {c: str(d) for c, d in scored.dtypes.items()} == {
        c: str(pd.Series([], dtype=d).dtype) for c, d in SCORED_COLUMNS.items()}
    assert scored["customer_id"].is_unique and len(scored) == 10
    assert scored["clv"].isna().all() and scored["p_alive"].isna().all()
    assert (scored["value_basis"] == "historical_margin").all()
    assert (scored["churn_risk_basis"] == "unavailable").all()
    assert scored.attrs["value_basis"] == "historical_margin"
    top = scored.iloc[0]  # sorted by value: C10 has margin 10 orders x 40
    assert top["customer_id"] == "C10" and top["value"] == pytest.approx(400.0)
    assert top["tier"] == "top_1pct"
    assert top["action"] == "fix_cost"  # big but cost to serve 500/yr over ~1.1 years
    assert top["profit"] < 0
    assert scored.set_index("customer_id").loc["C01", "nps_group"] == "promoter"
    assert scored.set_index("customer_id").loc["C05", "latest_ces"] == 3.0
    assert scored.set_index("customer_id").loc["C02", "acquisition_channel"] == "social"
    assert not {"name", "email", "phone"} & set(scored.columns)


def test_scored_table_with_models_and_churn_probabilities():
    ds = small_dataset()
    scored = scored_customers(ds, customer_value=model_output()).set_index("customer_id")
    assert (scored["value_basis"] == "clv").all()
    assert scored.loc["C01", "clv"] == 1000.0
    assert scored.loc["C01", "tier"] == "top_1pct"
    assert scored.loc["C03", "churn_risk"] == pytest.approx(1 - 0.3)
    assert (scored["churn_risk_basis"] == "1 - p_alive").all()
    risk = pd.Series(0.25, index=IDS[:9], name="churn_probability")  # C10 cancelled
    scored2 = scored_customers(ds, customer_value=model_output(), churn_risk=risk)
    scored2 = scored2.set_index("customer_id")
    assert scored2.loc["C02", "churn_risk"] == 0.25
    assert scored2.loc["C10", "churn_risk"] == 1.0
    assert (scored2["churn_risk_basis"] == "churn_model").all()
    with pytest.warns(UserWarning, match=r"no probability for 1 of 10 customers \(e\.g\. "
                                         r"customer_id C09\)"):
        partial = scored_customers(ds, churn_risk=risk.drop("C09"))
    assert np.isnan(partial.set_index("customer_id").loc["C09", "churn_risk"])


def test_id_transform_and_its_errors():
    scored = scored_customers(small_dataset(), id_transform=lambda s: "X-" + s.str[1:])
    assert scored["customer_id"].str.startswith("X-").all()
    with pytest.raises(ck.DataValidationError, match="id_transform returned 1 ids for 10"):
        scored_customers(small_dataset(), id_transform=lambda s: ["one"])


def test_write_scored_round_trip_with_chinese_labels(tmp_path):
    codes = scored_customers(small_dataset(), customer_value=model_output())
    assert list(codes.columns) == list(SCORED_COLUMNS)  # codes only: no names
    scored = labelled(codes, "zh")  # the report adds the names in its language
    assert scored["segment_label"].str.contains("客户").any()
    paths = write_scored(scored, tmp_path / "out")
    raw = paths["csv"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert scored["segment_label"].iloc[0].encode("utf-8") in raw
    back = pd.read_csv(paths["csv"], encoding="utf-8-sig")
    assert list(back.columns) == [*SCORED_COLUMNS, "segment_label", "tier_label", "action_label"]
    assert back["customer_id"].tolist() == scored["customer_id"].tolist()
    assert back["segment_label"].tolist() == scored["segment_label"].tolist()
    assert back["tier_label"].tolist() == scored["tier_label"].tolist()
    np.testing.assert_allclose(back["clv"], scored["clv"])
    assert pd.to_datetime(back["first_purchase"]).tolist() == scored["first_purchase"].tolist()
    parquet = pd.read_parquet(paths["parquet"])
    pd.testing.assert_frame_equal(parquet, scored.reset_index(drop=True))
    assert parquet.attrs["value_basis"] == "clv"
    # attrs are JSON-safe, so a plain to_parquet (as ctx.save_table does) works too
    scored.to_parquet(tmp_path / "plain.parquet", index=False)
    assert pd.read_parquet(tmp_path / "plain.parquet").attrs["observation_end"] == "2024-12-31"


def test_write_scored_rejects_bad_tables(tmp_path):
    scored = scored_customers(small_dataset())
    with pytest.raises(ck.DataValidationError,
                       match=r"scored table has no column\(s\) 'tier'.*scored_customers\(\)"):
        write_scored(scored.drop(columns="tier"), tmp_path)
    doubled = pd.concat([scored, scored.iloc[:2]])
    with pytest.raises(ck.DataValidationError, match=r"2 customer_id values are duplicated"):
        write_scored(doubled, tmp_path)
    with pytest.raises(ck.ParameterError, match="formats must be a non-empty subset"):
        write_scored(scored, tmp_path, formats=("xlsx",))
    with pytest.raises(ck.ParameterError, match="basename a plain file name"):
        write_scored(scored, tmp_path, basename="../evil")
    only_csv = write_scored(scored, tmp_path, basename="crm", formats=("csv",))
    assert set(only_csv) == {"csv"} and only_csv["csv"].name == "crm.csv"


def test_customer_card_contents():
    ds = small_dataset()
    card = customer_card("C01", ds, customer_value=model_output())
    assert isinstance(card, CustomerCard)
    assert card.customer_id == "C01"
    assert len(card.timeline) == 1 and card.timeline["amount"].iloc[0] == 10.0
    assert "email" not in card.timeline.columns  # never personal data
    assert card.surveys["nps"].tolist() == [4, 9]  # oldest first
    assert card.clv == 1000.0
    assert card.p_alive == pytest.approx(0.1)
    assert card.churn_risk == pytest.approx(0.9)
    assert card.segment == card.facts["segment"]
    assert recommendation(card.action, "en")
    summary = card_summary(card, lang="en")
    assert summary["CLV"] == "¥1,000"
    assert summary["P(alive)"] == "10.0%"
    html = card_html(card, lang="en")
    assert "Customer C01" in html and "<table>" in html
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        _ = card.nonsense


def test_customer_card_without_model_and_in_chinese():
    ds = small_dataset()
    scored = scored_customers(ds)
    card = customer_card("C10", ds, scored=scored)
    summary = card_summary(card, lang="zh", currency="$")
    assert summary["客户终身价值"] == "无（未拟合模型）"
    assert summary["收入"] == "$1,000"
    assert card.surveys.empty


def test_label_columns_keep_the_code_order():
    scored = labelled(scored_customers(small_dataset()), "zh")
    assert list(scored["tier_label"].cat.categories) == [
        "前1%", "其次4%（前1-5%）", "其次15%（前5-20%）", "其余（80%）"]
    assert list(scored["segment_label"].cat.categories)[:2] == ["重要价值客户", "忠诚客户"]
    assert scored["action_label"].cat.categories[0] == "保持"


def test_card_shows_the_display_id():
    card = customer_card("C03", small_dataset(), display_id="C-9f3a")
    assert card.customer_id == "C03"
    assert card_summary(card, lang="en").name == "Customer C-9f3a"
    assert "C03" not in card_html(card, lang="en") and "C03" not in repr(card)
    assert repr(card).startswith("CustomerCard('C-9f3a', segment=")


def test_customer_card_unknown_id():
    with pytest.raises(ck.DataValidationError,
                       match=r"customer_id 'C99' is not among the 10 scored customers"):
        customer_card("C99", small_dataset())


def test_shared_history_is_reused_only_for_the_same_frame_and_end():
    from clvkit.segments._base import customer_history, shared_history

    tx = small_dataset().transactions
    end = tx["timestamp"].max().normalize()
    plain = customer_history(tx, end)
    marked = plain.assign(revenue=-1.0)  # tells a shared summary from a recomputed one
    with shared_history(tx, end, marked):
        got = customer_history(tx, end)
        assert (got["revenue"] == -1.0).all() and got is not marked  # a copy
        got["revenue"] = 0.0
        assert (marked["revenue"] == -1.0).all()
        pd.testing.assert_frame_equal(customer_history(tx.copy(), end), plain)  # other frame
        later = customer_history(tx, end + pd.Timedelta(days=1))  # other end
        assert (later["revenue"] == plain["revenue"]).all()
    pd.testing.assert_frame_equal(customer_history(tx, end), plain)  # outside the block


def test_scored_table_equals_its_parts_computed_separately():
    data = small_dataset()
    scored = scored_customers(data).set_index("customer_id")
    seg = ck.segments.rfm_segments(data.transactions, END)
    tiers = ck.segments.customer_tiers(data)
    act = ck.segments.assign_actions(data)
    for column, part in (("segment", seg), ("tier", tiers), ("action", act)):
        expected = part[column].astype(str).reindex(scored.index)
        assert scored[column].astype(str).tolist() == expected.tolist(), column
    assert scored["profit"].tolist() == act["profit"].reindex(scored.index).tolist()
