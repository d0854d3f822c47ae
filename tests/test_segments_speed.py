"""Per-customer lookups done once per distinct cell give the per-row results."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit.report import action_label, segment_label
from clvkit.segments._base import per_pair, per_value
from clvkit.segments.actions import DEFAULT_ACTIONS


@pytest.fixture(scope="module")
def demo():
    return ck.load_data("demo", demo_customers=800, seed=11)


def test_rfm_segments_equal_the_row_by_row_lookup(demo):
    seg = ck.segments.rfm_segments(demo.transactions, demo.observation_end)
    rules = ck.segments.rfm.segment_rules(None)
    lookup = {(r, fm): ck.segments.rfm._match(rules, r, fm)
              for r in range(1, 6) for fm in range(1, 6)}
    rows = [lookup[k] for k in zip(seg["r_score"], seg["fm_score"], strict=True)]
    assert seg["segment"].astype(str).tolist() == rows
    named = ck.report.labelled(seg, "zh")
    assert named["segment_label"].astype(str).tolist() == [segment_label(c, "zh") for c in rows]


def test_actions_equal_the_row_by_row_lookup(demo):
    acts = ck.segments.assign_actions(demo)
    cells = DEFAULT_ACTIONS["value_profit"]
    rows = [cells[k] for k in zip(acts["value_level"], acts["second_level"], strict=True)]
    assert acts["action"].tolist() == rows and acts["action"].dtype == pd.Series(rows).dtype
    named = ck.report.labelled(acts, "en")
    assert named["action_label"].astype(str).tolist() == [action_label(c, "en") for c in rows]


def test_per_pair_keeps_order_types_and_missing_key_errors():
    a, b = np.array(["high", "low", "high", "low"]), np.array([1, 2, 1, 1])
    table = {("high", 1): "x", ("low", 2): "y", ("low", 1): "z"}
    assert per_pair(a, b, table) == ["x", "y", "x", "z"]
    with pytest.raises(KeyError):
        per_pair(a, b, {("high", 1): "x"})
    with pytest.raises(KeyError):  # a missing level takes the row-by-row path
        per_pair(pd.Series(["high", None]), pd.Series([1, 1]), table)
    calls = []
    assert per_value(["a", "b", "a"], lambda v: calls.append(v) or v.upper()) == ["A", "B", "A"]
    assert calls == ["a", "b"]
