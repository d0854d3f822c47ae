"""RFM scores and named segments (clvkit.segments.rfm) on hand-made tables."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import clvkit as ck
from clvkit.report import labelled
from clvkit.segments import (
    DEFAULT_SEGMENT_RULES,
    customer_history,
    quantile_scores,
    rfm_scores,
    rfm_segments,
    segment_rules,
    segment_summary,
)

END = pd.Timestamp("2024-12-31")
# customer -> (days since last purchase, orders, total revenue); orders are spread
# back in time, 7 days apart, amounts split equally.
PLAN = {
    "C01": (0, 5, 500.0),
    "C02": (10, 4, 400.0),
    "C03": (10, 1, 50.0),
    "C04": (30, 3, 300.0),
    "C05": (60, 1, 1000.0),
    "C06": (90, 2, 120.0),
    "C07": (200, 6, 900.0),
    "C08": (300, 1, 20.0),
    "C09": (400, 2, 60.0),
    "C10": (500, 1, 30.0),
}


def make_transactions(plan: dict = PLAN) -> pd.DataFrame:
    rows = []
    for cid, (recency, orders, revenue) in plan.items():
        for k in range(orders):
            when = END - pd.Timedelta(days=recency + 7 * k) + pd.Timedelta(hours=10)
            rows.append((cid, f"{cid}-{k}", when, revenue / orders, 0.4 * revenue / orders))
    tx = pd.DataFrame(rows, columns=["customer_id", "order_id", "timestamp", "amount",
                                     "gross_margin"])
    # shuffled on purpose: results must not depend on row order
    return tx.sample(frac=1.0, random_state=3).reset_index(drop=True)


def test_customer_history_hand_computed():
    hist = customer_history(make_transactions(), END)
    assert hist.loc["C01", "recency_days"] == 0
    assert hist.loc["C07", "recency_days"] == 200
    assert hist.loc["C07", "orders"] == 6
    assert hist.loc["C05", "revenue"] == pytest.approx(1000.0)
    assert hist.loc["C05", "margin"] == pytest.approx(400.0)
    assert hist.loc["C10", "tenure_years"] == pytest.approx(500 / 365.25)
    assert list(hist.index) == sorted(PLAN)
    assert hist.attrs["observation_end"] == "2024-12-31"


def test_rfm_scores_hand_computed_with_first_ties():
    # n = 10, so score = ceil(rank / 2). Ties (C02/C03 recency 10; four single-
    # purchase customers) are ranked in customer_id order.
    s = rfm_scores(make_transactions(), END)
    expected_r = {"C10": 1, "C09": 1, "C08": 2, "C07": 2, "C06": 3, "C05": 3,
                  "C04": 4, "C02": 4, "C03": 5, "C01": 5}
    expected_f = {"C03": 1, "C05": 1, "C08": 2, "C10": 2, "C06": 3, "C09": 3,
                  "C04": 4, "C02": 4, "C01": 5, "C07": 5}
    expected_m = {"C08": 1, "C10": 1, "C03": 2, "C09": 2, "C06": 3, "C04": 3,
                  "C02": 4, "C01": 4, "C07": 5, "C05": 5}
    assert s["r_score"].to_dict() == expected_r
    assert s["f_score"].to_dict() == expected_f
    assert s["m_score"].to_dict() == expected_m
    assert s.loc["C01", "fm_score"] == 5  # (5 + 4) / 2 rounded half up
    assert s.loc["C03", "fm_score"] == 2  # (1 + 2) / 2 -> 2
    assert s.loc["C01", "rfm_code"] == "554"


def test_rfm_scores_min_ties_give_equal_values_equal_scores():
    s = rfm_scores(make_transactions(), END, ties="min")
    assert s.loc["C02", "r_score"] == s.loc["C03", "r_score"] == 4
    singles = [c for c, (_, n, _) in PLAN.items() if n == 1]
    assert set(s.loc[singles, "f_score"]) == {1}
    assert s.loc["C06", "f_score"] == s.loc["C09", "f_score"] == 3


def test_scores_do_not_depend_on_row_or_index_order():
    tx = make_transactions()
    a = rfm_scores(tx, END)
    b = rfm_scores(tx.iloc[::-1], END)
    pd.testing.assert_frame_equal(a, b)
    values = pd.Series([1, 1, 1, 2], index=["b", "d", "a", "c"])
    assert quantile_scores(values).to_dict() == {"a": 2, "b": 3, "d": 4, "c": 5}


def test_rfm_segments_hand_computed():
    seg = rfm_segments(make_transactions(), END)
    expected = {
        "C01": "champions", "C02": "champions", "C03": "potential_loyalists",
        "C04": "champions", "C05": "loyal", "C06": "loyal", "C07": "cant_lose",
        "C08": "about_to_sleep", "C09": "at_risk", "C10": "hibernating",
    }
    assert seg["segment"].astype(str).to_dict() == expected
    assert labelled(seg, "en").loc["C07", "segment_label"] == "Can't lose them"
    assert seg.loc["C07", "rfm_code"] == "255"


def test_segment_labels_translate_to_chinese():
    seg = labelled(rfm_segments(make_transactions(), END), "zh")
    assert seg.loc["C01", "segment_label"] == "重要价值客户"
    assert seg.loc["C07", "segment_label"] == "重要挽留客户"


def test_default_rules_tile_the_grid_exactly_once():
    table = segment_rules()
    for r in range(1, 6):
        for fm in range(1, 6):
            hits = table[(table.r_min <= r) & (r <= table.r_max)
                         & (table.fm_min <= fm) & (fm <= table.fm_max)]
            assert len(hits) == 1, (r, fm)
    assert set(table["segment"]) == {
        "champions", "loyal", "potential_loyalists", "new", "promising", "need_attention",
        "about_to_sleep", "at_risk", "cant_lose", "hibernating", "lost",
    }
    assert len(table) == len(DEFAULT_SEGMENT_RULES)


def test_custom_rules_first_match_wins_and_unknown_codes_show_as_is():
    rules = [
        {"segment": "vip", "r_min": 4, "r_max": 5, "fm_min": 4, "fm_max": 5},
        {"segment": "everyone_else", "r_min": 1, "r_max": 5, "fm_min": 1, "fm_max": 5},
    ]
    seg = rfm_segments(make_transactions(), END, rules=rules)
    assert sorted(seg.index[seg["segment"] == "vip"]) == ["C01", "C02", "C04"]
    assert (seg["segment"] == "everyone_else").sum() == 7
    assert labelled(seg, "zh").loc["C01", "segment_label"] == "vip"
    assert list(seg["segment"].cat.categories) == ["vip", "everyone_else"]


def test_rules_leaving_cells_uncovered_are_rejected():
    rules = pd.DataFrame(list(DEFAULT_SEGMENT_RULES)[:-1],
                         columns=["segment", "r_min", "r_max", "fm_min", "fm_max"])
    with pytest.raises(ck.ParameterError, match=r"leave 1 of 25 score cells.*R=1/FM=1"):
        rfm_segments(make_transactions(), END, rules=rules)


def test_rules_with_bad_bounds_or_columns_are_rejected():
    bad = [{"segment": "x", "r_min": 0, "r_max": 5, "fm_min": 1, "fm_max": 5}]
    with pytest.raises(ck.ParameterError, match="Segment rules 0 are invalid"):
        segment_rules(bad)
    with pytest.raises(ck.ParameterError, match="missing fm_max"):
        segment_rules([{"segment": "x", "r_min": 1, "r_max": 5, "fm_min": 1}])


def test_segment_summary_counts_and_shares():
    seg = rfm_segments(make_transactions(), END)
    summary = segment_summary(seg)
    assert summary.loc["champions", "customers"] == 3
    assert summary.loc["champions", "revenue"] == pytest.approx(1200.0)
    assert summary.loc["champions", "share_revenue"] == pytest.approx(1200 / 3380)
    assert summary.loc["new", "customers"] == 0  # empty segments are listed
    assert summary["share_customers"].sum() == pytest.approx(1.0)
    assert summary["share_value"].sum() == pytest.approx(1.0)
    clv = pd.Series(1.0, index=seg.index, name="clv")
    by_clv = segment_summary(seg, clv)
    assert by_clv.loc["champions", "share_value"] == pytest.approx(0.3)
    assert by_clv.attrs["value_basis"] == "clv"


def test_single_customer_and_single_purchases():
    tx = make_transactions({"C1": (3, 1, 10.0)})
    seg = rfm_segments(tx, END)
    assert seg.loc["C1", ["r_score", "f_score", "m_score"]].tolist() == [5, 5, 5]
    assert seg.loc["C1", "segment"] == "champions"


def test_inputs_are_not_modified():
    tx = make_transactions()
    before = tx.copy()
    rfm_segments(tx, END)
    pd.testing.assert_frame_equal(tx, before)


def test_transactions_after_observation_end_are_left_out_with_warning():
    tx = make_transactions()
    late = pd.DataFrame({"customer_id": ["C01", "C99"], "order_id": ["x1", "x2"],
                         "timestamp": pd.to_datetime(["2025-01-02", "2025-02-01"]),
                         "amount": [5.0, 6.0], "gross_margin": [1.0, 1.0]})
    with pytest.warns(UserWarning, match=r"2 of 28 transactions are after observation_end "
                                         r"2024-12-31 \(e\.g\. customer_id C01, C99\)"):
        seg = rfm_segments(pd.concat([tx, late], ignore_index=True), END)
    assert "C99" not in seg.index
    assert seg.loc["C01", "orders"] == 5


def test_errors_name_the_problem():
    tx = make_transactions()
    with pytest.raises(ck.DataValidationError,
                       match=r"no column\(s\) 'amount'; it has 'customer_id'"):
        rfm_segments(tx.drop(columns="amount"))
    # pandas 2 names text "object", pandas 3 "str"
    with pytest.raises(ck.DataValidationError,
                       match=r"must hold datetimes; got dtype (object|str)\."):
        rfm_segments(tx.assign(timestamp=tx["timestamp"].astype(str)))
    with pytest.raises(ck.DataValidationError, match="transactions table is empty"):
        rfm_segments(tx.iloc[:0])
    with pytest.raises(ck.ParameterError, match="ties must be one of 'first', 'min'; got 'avg'"):
        rfm_segments(tx, ties="avg")
    with pytest.raises(ck.ParameterError, match="monetary must be one of"):
        rfm_scores(tx, monetary="profit")
    with pytest.raises(ck.ParameterError, match="observation_end must be a date"):
        rfm_segments(tx, "yesterday-ish")


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 14), st.integers(0, 700), st.floats(1, 1e4)),
        min_size=1, max_size=60,
    )
)
def test_every_customer_gets_exactly_one_segment(rows):
    tx = pd.DataFrame(
        {
            "customer_id": [f"K{c:02d}" for c, _, _ in rows],
            "timestamp": [END - pd.Timedelta(days=d) for _, d, _ in rows],
            "amount": [a for _, _, a in rows],
        }
    )
    seg = rfm_segments(tx, END)
    assert len(seg) == tx["customer_id"].nunique()
    assert seg.index.is_unique
    assert seg["segment"].notna().all()
    for col in ("r_score", "f_score", "m_score", "fm_score"):
        assert seg[col].between(1, 5).all()
