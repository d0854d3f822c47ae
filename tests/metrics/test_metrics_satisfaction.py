"""NPS and CES: hand-computed scores and intervals, groups, trend, segments, errors."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clvkit import Dataset
from clvkit.exceptions import DataValidationError, ParameterError
from clvkit.metrics import (
    ces_summary,
    effort_groups,
    nps,
    nps_by_segment,
    nps_groups,
    nps_trend,
)
from clvkit.report import sentence

Z95 = 1.959963984540054
SCORES = [10, 9, 9, 10, 9, 8, 7, 3, 6, 0]  # 5 promoters, 2 passives, 3 detractors


def test_nps_counts_and_wald_interval():
    res = nps(SCORES, method="wald")
    assert res.score == 20.0
    assert (res.n, res.n_promoters, res.n_passives, res.n_detractors) == (10, 5, 2, 3)
    # Var(p - d) = (0.5 + 0.3 - 0.2**2) / 10 = 0.076
    half = 100 * Z95 * math.sqrt(0.076)
    assert (res.ci_low, res.ci_high) == pytest.approx((20 - half, 20 + half))
    assert res.ci_low == pytest.approx(-34.03, abs=0.01)


def test_nps_adjusted_wald_interval():
    res = nps(SCORES)
    # add 3/4 promoter, 3/4 detractor, n + 3: p = 5.75/13, d = 3.75/13
    p, d = 5.75 / 13, 3.75 / 13
    half = Z95 * math.sqrt((p + d - (p - d) ** 2) / 13)
    assert res.method == "adjusted_wald" and res.score == 20.0
    assert (res.ci_low, res.ci_high) == pytest.approx((100 * (p - d - half), 100 * (p - d + half)))


def test_nps_bootstrap_is_seeded_and_sensible():
    a = nps(SCORES * 10, method="bootstrap", random_state=1)
    b = nps(SCORES * 10, method="bootstrap", random_state=1)
    assert (a.ci_low, a.ci_high) == (b.ci_low, b.ci_high)
    wald = nps(SCORES * 10, method="wald")
    assert a.ci_low == pytest.approx(wald.ci_low, abs=4)
    assert a.ci_high == pytest.approx(wald.ci_high, abs=4)


def test_nps_limits_are_clipped():
    res = nps([10] * 5, method="wald")
    assert res.score == 100 and res.ci_high == 100 and res.ci_low == 100


def test_nps_missing_values_are_counted():
    res = nps(pd.Series([10, None, 0, np.nan]))
    assert (res.n, res.n_missing, res.score) == (2, 2, 0.0)


def test_nps_result_frame_and_sentences():
    res = nps(SCORES)
    frame = res.to_frame()
    assert frame.loc[0, "score"] == 20.0 and frame.loc[0, "n_detractors"] == 3
    assert sentence(res).startswith("The NPS is +20 (95% CI")
    assert "50.0% promoters" in sentence(res)
    assert "净推荐值为+20" in sentence(res, lang="zh")


def test_nps_invalid_scores():
    msg = re.escape("3 of 5 nps scores are not whole numbers from 0 to 10 (values 11, 3.5, x "
                    "at index 1, 2, 3)")
    with pytest.raises(DataValidationError, match=msg):
        nps([10, 11, 3.5, "x", 0])
    with pytest.raises(DataValidationError, match="No nps scores to summarise \\(2 given"):
        nps([None, np.nan])
    with pytest.raises(DataValidationError, match="No nps scores to summarise \\(0 given"):
        nps([])
    with pytest.raises(ParameterError, match="method must be one of 'adjusted_wald'"):
        nps(SCORES, method="exact")
    with pytest.raises(ParameterError, match="confidence must be in \\(0, 1\\)"):
        nps(SCORES, confidence=95)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 10), min_size=1, max_size=60),
       st.sampled_from(["wald", "adjusted_wald"]))
def test_nps_bounds_property(scores, method):
    res = nps(scores, method=method)
    assert -100 <= res.score <= 100
    assert -100 <= res.ci_low <= res.ci_high <= 100
    if method == "wald":
        assert res.ci_low <= res.score + 1e-9 <= res.ci_high + 2e-9
    assert res.n_promoters + res.n_passives + res.n_detractors == len(scores)


def test_groups():
    groups = nps_groups(pd.Series([10, 7, 6, None], index=list("abcd")))
    assert groups.astype(object).tolist()[:3] == ["promoter", "passive", "detractor"]
    assert pd.isna(groups["d"]) and list(groups.index) == list("abcd")
    effort = effort_groups(pd.Series([1, 4, 5, 7]), high_effort_min=5)
    assert effort.astype(str).tolist() == ["low_effort"] * 2 + ["high_effort"] * 2
    with pytest.raises(ParameterError, match="high_effort_min must be a whole number from 2 to 7"):
        effort_groups(pd.Series([1]), high_effort_min=8)
    with pytest.raises(DataValidationError, match="1 of 2 ces scores"):
        effort_groups(pd.Series([1, 0]))


def test_ces_summary_hand_computed():
    res = ces_summary([1, 2, 3, 6, 7])
    # mean 3.8, sd sqrt(26.8 / 4), t(0.975, 4) = 2.776445
    half = 2.7764451051977987 * math.sqrt(26.8 / 4) / math.sqrt(5)
    assert res.mean == pytest.approx(3.8)
    assert (res.ci_low, res.ci_high) == pytest.approx((3.8 - half, 3.8 + half))
    assert (res.n_high_effort, res.share_high_effort) == (2, 0.4)
    assert res.distribution == (1, 1, 1, 0, 0, 1, 1)
    assert res.to_frame().loc[0, "count_6"] == 1
    assert "40.0% reported high effort (5 or more)" in sentence(res)
    assert ces_summary([1, 2, 3, 6, 7], high_effort_min=7).n_high_effort == 1
    with pytest.raises(DataValidationError, match="1 of 2 ces scores are not whole numbers fro"):
        ces_summary([8, 1])
    with pytest.raises(ParameterError, match="confidence must be in \\(0, 1\\)"):
        ces_summary([1, 2], confidence=1.0)


@pytest.fixture
def surveys() -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": ["a", "b", "c", "d", "a"],
        "date": pd.to_datetime(["2024-01-03", "2024-01-20", "2024-02-01", "2024-02-11",
                                "2024-02-28"]),
        "nps": [10, 3, 9, 8, 6],
        "channel": ["web", "web", "shop", "shop", "web"],
    })


def test_trend(surveys):
    trend = nps_trend(surveys)
    assert [str(p) for p in trend.index] == ["2024-01", "2024-02"]
    assert trend["score"].tolist() == [0.0, 0.0]  # Jan: 10, 3; Feb: 9, 8, 6
    assert trend["n"].tolist() == [2, 3]
    quarterly = nps_trend(surveys, freq="Q")
    assert quarterly["score"].iloc[0] == pytest.approx(0.0) and quarterly["n"].iloc[0] == 5


def test_by_segment(surveys):
    table = nps_by_segment(surveys, "channel")
    assert table.loc["web", "score"] == pytest.approx(100 * (1 - 2) / 3)
    assert table.loc["shop", "n_passives"] == 1
    customers = pd.DataFrame({"customer_id": list("abcd"), "region": ["N", "N", "S", "S"]})
    data = Dataset(transactions=pd.DataFrame(), customers=customers, surveys=surveys)
    by_region = nps_by_segment(data, "region")
    assert by_region.loc["S", "score"] == 50.0
    by_series = nps_by_segment(surveys, customers.set_index("customer_id")["region"])
    pd.testing.assert_frame_equal(by_region, by_series)
    with pytest.raises(DataValidationError, match="segment column 'tier' is in neither"):
        nps_by_segment(surveys, "tier")


def test_trend_and_segments_warn_about_responses_they_leave_out(surveys):
    undated = surveys.assign(date=surveys["date"].where(surveys.index != 1))
    with pytest.warns(UserWarning, match="1 of 5 survey responses have no survey date"):
        trend = nps_trend(undated)
    assert trend["n"].tolist() == [1, 3]
    partial = surveys.assign(channel=surveys["channel"].where(surveys.index < 3))
    with pytest.warns(UserWarning, match="2 of 5 survey responses have no segment 'channel'"):
        table = nps_by_segment(partial, "channel")
    assert table["n"].sum() == 3
    regions = pd.Series({"a": "N", "b": "N"}, name="region")  # c and d not mapped
    with pytest.warns(UserWarning, match="2 of 5 survey responses have no segment 'region'"):
        nps_by_segment(surveys, regions)
    with pytest.warns(UserWarning, match="2 of 5 survey responses have no segment and"):
        nps_by_segment(surveys, regions.rename(None))


def test_missing_surveys_table():
    data = Dataset(transactions=pd.DataFrame(), name="cdnow")
    with pytest.raises(DataValidationError, match="data set 'cdnow' has no surveys table"):
        nps_trend(data)
