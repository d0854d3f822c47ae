"""Seasonality, NPS groups, customer attributes and cross-views (clvkit.segments.views)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit.report import labelled_view, peak_names
from clvkit.segments import (
    cross_view,
    customer_attributes,
    nps_groups,
    seasonal_peaks,
    value_seasonality,
)


def tx(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["customer_id", "timestamp", "amount"]).assign(
        timestamp=lambda d: pd.to_datetime(d["timestamp"])
    )


def test_month_profile_corrects_for_months_seen_twice():
    # Window 2023-01-01 .. 2024-01-31: January is in the data twice, March once.
    # A spends 31 in each January and 31 in March 2023: both months run at 1 per day.
    data = tx([("A", "2023-01-10", 31.0), ("A", "2024-01-10", 31.0), ("A", "2023-03-05", 31.0),
               ("B", "2023-01-01", 5.0)])
    s = value_seasonality(data, pd.Series({"A": "a", "B": "b"}), observation_end="2024-01-31")
    assert s.loc["a", 1] == pytest.approx(0.5)
    assert s.loc["a", 3] == pytest.approx(0.5)
    assert s.loc["b", 1] == pytest.approx(1.0)
    assert list(s.columns) == list(range(1, 13))
    rate = value_seasonality(data, observation_end="2024-01-31", normalize="rate")
    assert rate.loc["all", 1] == pytest.approx(67 / 62)
    assert rate.loc["all", 3] == pytest.approx(31 / 31)
    index = value_seasonality(data, observation_end="2024-01-31", normalize="index")
    assert index.loc["all"].mean() == pytest.approx(1.0)


def test_weekday_profile_and_peaks():
    # 2024-01-01 is a Monday; window of exactly two weeks, each weekday twice.
    data = tx([("A", "2024-01-01", 0.0), ("A", "2024-01-05", 30.0), ("A", "2024-01-12", 10.0),
               ("A", "2024-01-06", 10.0)])
    s = value_seasonality(data, by="weekday", observation_end="2024-01-14")
    assert list(s.columns) == list(range(7))
    assert s.loc["all", 4] == pytest.approx(40 / 50)  # Friday
    assert s.loc["all", 5] == pytest.approx(10 / 50)  # Saturday
    peaks = seasonal_peaks(s, n=2)
    assert peaks.loc["all", "peak_1"] == 4 and peaks.attrs["by"] == "weekday"
    assert peak_names(peaks, "en").loc["all", "peaks"] == "Fri, Sat"
    assert peaks.loc["all", "peak_share"] == pytest.approx(1.0)


def test_peaks_by_group_and_high_value_orders():
    rows = [("A", f"2023-{m:02d}-15", 10.0) for m in range(1, 13)]
    rows += [("A", "2023-11-20", 500.0), ("A", "2023-12-20", 400.0), ("B", "2023-06-01", 50.0)]
    data = tx(rows)
    groups = pd.Series(pd.Categorical(["vip", "rest"], categories=["vip", "rest"]),
                       index=["A", "B"])
    s = value_seasonality(data, groups, observation_end="2023-12-31")
    assert list(s.index) == ["vip", "rest"]
    assert s.loc["vip"].sum() == pytest.approx(1.0)
    peaks = seasonal_peaks(s, n=2)
    assert peaks.loc["vip", ["peak_1", "peak_2"]].tolist() == [11, 12]
    assert peak_names(peaks, "zh").loc["vip", "peaks"] == "11月、12月"
    assert peaks.loc["rest", "peak_1"] == 6
    big = value_seasonality(data, observation_end="2023-12-31", high_value_quantile=0.9)
    assert set(big.columns[big.loc["all"] > 0]) == {11, 12}


def test_seasonality_errors():
    data = tx([("A", "2023-01-10", 31.0)])
    with pytest.raises(ck.ParameterError, match="by must be 'month' or 'weekday'"):
        value_seasonality(data, by="quarter")
    with pytest.raises(ck.ParameterError, match="high_value_quantile must be between 0 and 1"):
        value_seasonality(data, high_value_quantile=90)
    with pytest.raises(ck.DataValidationError, match=r"no column\(s\) 'gross_margin'"):
        value_seasonality(data, value="gross_margin")
    with pytest.raises(ck.ParameterError, match="n must be between 1 and 12"):
        seasonal_peaks(value_seasonality(data), n=13)


def test_nps_groups_use_latest_answer_and_boundaries():
    surveys = pd.DataFrame(
        {
            "customer_id": ["A", "A", "B", "C", "D", "E"],
            "date": pd.to_datetime(["2024-01-01", "2024-05-01", "2024-02-01", "2024-02-01",
                                    "2024-02-01", "2024-02-01"]),
            "nps": [3, 10, 9, 7, 6, 8],
            "ces": [5, 2, 1, 4, 7, 3],
        }
    )
    ids = pd.Index(["A", "B", "C", "D", "E", "F"], name="customer_id")
    groups = nps_groups(surveys, ids)
    assert groups.astype(str).tolist() == ["promoter", "promoter", "passive", "detractor",
                                           "passive", "no_answer"]
    attrs = customer_attributes(ids, None, surveys)
    assert attrs.loc["A", "latest_nps"] == 10.0
    assert attrs.loc["A", "latest_ces"] == 2.0
    assert np.isnan(attrs.loc["F", "latest_nps"])
    assert (attrs["acquisition_channel"] == "unknown").all()
    assert nps_groups(None, ids).astype(str).eq("no_answer").all()


def test_customer_attributes_from_customer_table():
    customers = pd.DataFrame({"customer_id": ["A", "B"], "channel": ["search", "store"],
                              "region": ["North", None]})
    attrs = customer_attributes(pd.Index(["A", "B", "C"]), customers)
    assert attrs["acquisition_channel"].tolist() == ["search", "store", "unknown"]
    assert attrs["region"].tolist() == ["North", "unknown", "unknown"]
    with pytest.raises(ck.DataValidationError, match=r"the customers table has no column\(s\) "
                       r"'customer_id'; it has 'id'"):
        customer_attributes(pd.Index(["A"]), pd.DataFrame({"id": ["A"]}))


def test_cross_view_counts_and_value():
    frame = pd.DataFrame(
        {
            "tier": pd.Categorical(["top", "top", "rest", "rest", "rest"],
                                   categories=["top", "mid", "rest"]),
            "region": ["N", "S", "N", "N", "S"],
            "value": [100.0, 50.0, 5.0, 6.0, 7.0],
        },
        index=pd.Index(list("abcde"), name="customer_id"),
    )
    view = cross_view(frame, "tier", "region")
    assert view.loc["top", ("customers", "N")] == 1
    assert view.loc["rest", ("customers", "N")] == 2
    assert view.loc["mid", ("customers", "total")] == 0  # empty category kept
    assert view.loc["total", ("customers", "total")] == 5
    assert view.loc["rest", ("value", "N")] == pytest.approx(11.0)
    assert view.loc["total", ("value", "total")] == pytest.approx(168.0)
    assert list(view.index) == ["top", "mid", "rest", "total"]
    counts = cross_view(frame, "tier", "region", value=None)
    assert set(counts.columns.get_level_values(0)) == {"customers"}
    with pytest.raises(ck.DataValidationError,
                       match=r"cross_view\(\): the per-customer table has no column\(s\) "
                             r"'channel'.*Choose rows"):
        cross_view(frame, "tier", "channel")


def test_cross_view_with_display_labels():
    frame = pd.DataFrame(
        {
            "segment": ["champions", "lost", "lost"],
            "nps_group": pd.Categorical(["promoter", "detractor", "no_answer"],
                                        categories=["promoter", "passive", "detractor",
                                                    "no_answer"]),
            "value": [10.0, 1.0, 2.0],
        }
    )
    codes = cross_view(frame, "segment", "nps_group")
    assert list(codes.index) == ["champions", "lost", "total"]  # codes: the report names them
    view = labelled_view(codes, "zh")
    assert list(view.index) == ["重要价值客户", "流失客户", "合计"]
    assert list(view["customers"].columns) == ["推荐者", "被动者", "贬损者", "未作答", "合计"]
    assert view.loc["流失客户", ("value", "未作答")] == 2.0


@pytest.mark.parametrize("values", [
    pd.Categorical(["b", "a", "b"], categories=["b", "a", "z"]),
    np.array(["x", "y", None], dtype=object),
    np.array([3, 1, 2]),
    np.array([0.5, np.nan, 2.0]),
])
def test_take_by_id_equals_map(values):
    from clvkit._ids import take_by_id

    groups = pd.Series(values, index=pd.Index(["C2", "C1", "C3"], name="customer_id"))
    ids = pd.Series(["C1", "C9", None, "C3", "C1", "C2"], name="customer_id",
                    index=[10, 11, 12, 13, 14, 15])
    pd.testing.assert_series_equal(take_by_id(ids, groups), ids.map(groups))
    numeric = pd.Series([1, 5, 3], index=[3, 1, 2])
    pd.testing.assert_series_equal(take_by_id(pd.Series([2, 3, 4]), numeric),
                                   pd.Series([2, 3, 4]).map(numeric))
