"""Channel economics: LTV:CAC, payback and verdicts worked out by hand on six customers."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from clvkit.exceptions import DataValidationError, ParameterError
from clvkit.metrics import channel_economics


@pytest.fixture
def customers():
    return pd.DataFrame({
        "customer_id": ["a", "b", "c", "d", "e", "f"],
        "channel": ["ads", "ads", "seo", "social", "ads", "seo"],
        "region": ["N", "S", "N", "S", "N", "S"],
        "signup_date": pd.to_datetime(["2024-01-15", "2024-02-10", "2024-04-01",
                                       "2024-05-01", "2024-03-01", "2024-06-01"]),
        "acquisition_cost": [100.0, 100.0, 10.0, 200.0, None, 20.0],
    })


@pytest.fixture
def clv():
    # f has no CLV (acquired, never bought); e has no known acquisition cost
    return pd.Series({"a": 500.0, "b": 100.0, "c": 50.0, "d": 100.0, "e": 1000.0})


def _row(frame, **key):
    mask = pd.Series(True, index=frame.index)
    for col, value in key.items():
        mask &= frame[col] == value
    assert mask.sum() == 1
    return frame[mask].iloc[0]


def test_ltv_cac_payback_and_verdict_by_hand(customers, clv):
    out = channel_economics(customers, clv)
    assert list(out["channel"]) == ["ads", "seo", "social"]  # best ratio first
    ads = _row(out, channel="ads")
    # a + b: CLV 600 / CAC 200 = 3.0 -> grow (>= 3); e left out: no cost
    assert ads["ltv_cac"] == pytest.approx(3.0)
    assert ads["customers"] == 2 and ads["customers_without_cost"] == 1
    # margin 600 / 12 = 50 per month -> 200 / 50 = 4 months
    assert ads["payback_months"] == pytest.approx(4.0) and ads["paid_back"]
    assert ads["verdict"] == "grow"
    seo = _row(out, channel="seo")
    # c + f (no CLV, counted as 0): 50 / 30 -> keep; payback 30 / (50/12) = 7.2
    assert seo["ltv_cac"] == pytest.approx(50 / 30)
    assert seo["customers_without_clv"] == 1
    assert seo["payback_months"] == pytest.approx(7.2)
    assert seo["verdict"] == "keep"
    social = _row(out, channel="social")
    # 100 / 200 = 0.5 -> cut; 200 / (100/12) = 24 months > 12-month horizon: not claimed
    assert social["ltv_cac"] == pytest.approx(0.5) and social["verdict"] == "cut"
    assert math.isnan(social["payback_months"]) and not social["paid_back"]
    assert out["verdict_confident"].isna().all()  # no intervals given


def test_intervals_and_confidence(customers, clv):
    low = pd.Series({"a": 300.0, "b": 50.0, "c": 20.0, "d": 50.0, "e": 900.0})
    high = pd.Series({"a": 700.0, "b": 150.0, "c": 80.0, "d": 180.0, "e": 1100.0})
    out = channel_economics(customers, clv, clv_low=low, clv_high=high)
    ads = _row(out, channel="ads")
    assert ads["ltv_cac_low"] == pytest.approx(350 / 200)
    assert ads["ltv_cac_high"] == pytest.approx(850 / 200)
    assert not ads["verdict_confident"]  # 1.75 keep .. 4.25 grow
    social = _row(out, channel="social")
    assert social["ltv_cac_high"] == pytest.approx(0.9)
    assert social["verdict_confident"]  # 0.25 .. 0.9: cut either way


def test_exclude_unscored_thresholds_and_horizon(customers, clv):
    out = channel_economics(customers, clv, missing_clv="exclude", grow_at=6, cut_below=0.4,
                            horizon_months=24)
    seo = _row(out, channel="seo")
    assert seo["ltv_cac"] == pytest.approx(5.0) and seo["verdict"] == "keep"
    social = _row(out, channel="social")
    # 100 over 24 months -> 100/24 per month; 200 / (100/24) = 48 > 24: still not paid back
    assert social["verdict"] == "keep" and not social["paid_back"]
    ads = _row(out, channel="ads")
    assert ads["payback_months"] == pytest.approx(200 / (600 / 24))


def test_by_region_and_cohort(customers, clv):
    region = channel_economics(customers, clv, by="region")
    assert _row(region, region="N")["ltv_cac"] == pytest.approx(550 / 110)
    assert _row(region, region="S")["ltv_cac"] == pytest.approx(200 / 320)
    both = channel_economics(customers, clv, by=["channel", "cohort"])
    assert _row(both, channel="ads", cohort="2024Q1")["ltv_cac"] == pytest.approx(3.0)
    assert _row(both, channel="seo", cohort="2024Q2")["customers"] == 2


def test_monthly_margin_overrides_even_spread(customers, clv):
    monthly = pd.Series({"a": 100.0, "b": 0.0, "c": 5.0, "d": 1.0})
    out = channel_economics(customers, clv, monthly_margin=monthly)
    assert _row(out, channel="ads")["payback_months"] == pytest.approx(2.0)


def test_errors(customers, clv):
    with pytest.raises(DataValidationError, match=r"no column.*'acquisition_cost'"):
        channel_economics(customers.drop(columns="acquisition_cost"), clv)
    with pytest.raises(DataValidationError, match=r"1 customer.*negative acquisition_cost.*a"):
        channel_economics(customers.assign(acquisition_cost=[-1, 1, 1, 1, 1, 1]), clv)
    with pytest.raises(DataValidationError, match="none of the 6 customers has an acq"):
        channel_economics(customers.assign(acquisition_cost=None), clv)
    with pytest.raises(DataValidationError, match=r"1 repeated customer id.*a"):
        channel_economics(customers, pd.concat([clv, pd.Series({"a": 1.0})]))
    with pytest.raises(ParameterError, match="clv must be a Series"):
        channel_economics(customers, clv.to_dict())
    with pytest.raises(ParameterError, match="cut_below <= grow_at"):
        channel_economics(customers, clv, grow_at=1, cut_below=2)
    with pytest.raises(ParameterError, match="missing_clv must be one of"):
        channel_economics(customers, clv, missing_clv="drop")


def test_sentences_in_english_and_chinese(customers, clv):
    from clvkit.report._business import channel_sentences

    low = pd.Series({"a": 300.0, "b": 50.0, "c": 20.0, "d": 50.0})
    high = pd.Series({"a": 700.0, "b": 150.0, "c": 80.0, "d": 180.0})
    table = channel_economics(customers, clv, clv_low=low, clv_high=high)
    en = channel_sentences(table, currency="$", lang="en")
    assert en[0].startswith("Rule of thumb: LTV:CAC of 3.0 or more, grow")
    assert en[1] == ("Grow ads: each $1 spent to acquire a customer returns $3.00 in customer "
                     "value, paid back in 4.0 months. The range of customer value ($1.75 to "
                     "$4.25) crosses a threshold, so this verdict is not certain.")
    assert en[3].startswith("Cut or rethink social: customers return only $0.50 per $1")
    assert en[3].endswith("within 12 months.")  # confident: 0.25 to 0.90, cut either way
    zh = channel_sentences(table, currency="¥", lang="zh")
    assert zh[1].startswith("加大ads的投入") and "¥3.00" in zh[1]
    assert len(zh) == len(en) == 4


def test_plot_channel_economics(customers, clv):
    import matplotlib

    matplotlib.use("Agg")
    from clvkit.plots import plot_channel_economics

    low = pd.Series({"a": 300.0, "b": 50.0, "c": 20.0, "d": 50.0})
    high = pd.Series({"a": 700.0, "b": 150.0, "c": 80.0, "d": 180.0})
    table = channel_economics(customers, clv, clv_low=low, clv_high=high)
    ax = plot_channel_economics(table)
    assert [b.get_height() for b in ax.patches] == pytest.approx([3.0, 50 / 30, 0.5])
    assert [tick.get_text() for tick in ax.get_xticklabels()] == ["ads", "seo", "social"]
    assert sorted(line.get_ydata()[0] for line in ax.get_lines()[-2:]) == [1.0, 3.0]
    with pytest.raises(DataValidationError, match=r"no column.*'verdict'"):
        plot_channel_economics(table.drop(columns="verdict"))
    matplotlib.pyplot.close("all")
