"""Voice of the customer on a bilingual comment fixture (tests/data/comments_bilingual.csv)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from clvkit.exceptions import DataValidationError, ParameterError
from clvkit.metrics import (
    comment_themes,
    detractor_follow_up,
    response_rate,
    write_detractors_follow_up,
)
from clvkit.metrics.voice import OTHER, comment_language, mask_contacts

FIXTURE = Path(__file__).parents[1] / "data" / "comments_bilingual.csv"


@pytest.fixture
def surveys():
    frame = pd.read_csv(FIXTURE, dtype={"customer_id": str}, encoding="utf-8")
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


def _members(result, theme):
    rows = result.comments[result.comments["theme"] == theme]
    return sorted(rows["customer_id"])


def test_response_rate():
    surveys = pd.DataFrame({"customer_id": ["a", "a", "b", "x"]})
    rate = response_rate(surveys, pd.DataFrame({"customer_id": ["a", "b", "c", "d"]}))
    assert (rate.surveyed, rate.customers, rate.rate) == (2, 4, 0.5)  # x is not a customer
    assert math.isnan(response_rate(surveys, []).rate)
    with pytest.raises(DataValidationError, match="no column"):
        response_rate(surveys.rename(columns={"customer_id": "id"}), ["a"])


def test_language_and_masking():
    assert comment_language("物流太慢了") == "zh"
    assert comment_language("Price OK，物流一般") == "zh"  # 4 CJK of 11 letters: >= 1/3
    assert comment_language("Great support 好") == "en"
    assert mask_contacts("mail anna.berg@example.com or +44 20 7946 0958") == (
        "mail [email] or [phone]")
    assert mask_contacts("电话13812345678") == "电话[phone]"
    assert mask_contacts("order 42, 3 items") == "order 42, 3 items"  # short numbers stay
    assert mask_contacts("since 2026-09-02 or 02.09.2026") == "since 2026-09-02 or 02.09.2026"
    assert mask_contacts(None) is None


def test_learned_themes_group_comments_by_topic_in_both_languages(surveys):
    value = pd.Series({"E01": 100.0, "E03": 300.0, "Z01": 50.0})
    result = comment_themes(surveys, value=value, n_themes=3)
    assert result.method == "nmf"
    themes = result.themes.set_index("theme")
    by_terms = {row.terms.split(" / ")[0]: theme for theme, row in themes.iterrows()}
    delivery = by_terms["delivery"]
    assert _members(result, delivery) == ["E01", "E02", "E03", "E04"]
    assert _members(result, by_terms["price"]) == ["E05", "E06", "E07"]
    assert "customer service" in themes.loc[_theme_with(themes, "customer service"), "terms"]
    logistics = _theme_with(themes, "物流")
    assert _members(result, logistics) == ["Z01", "Z02", "Z03", "Z09"]
    assert _members(result, _theme_with(themes, "价格")) == ["Z04", "Z05"]
    assert _members(result, _theme_with(themes, "客服")) == ["Z06", "Z07", "Z08"]
    row = themes.loc[delivery]
    assert row["language"] == "en" and row["comments"] == 4
    assert row["nps_mean"] == pytest.approx((3 + 4 + 2 + 6) / 4)
    assert row["ces_mean"] == pytest.approx((6 + 5 + 6 + 5) / 4)
    assert row["detractor_share"] == 1.0
    assert row["value_total"] == 400.0 and row["value_mean"] == 200.0  # E02/E04 unknown
    assert math.isnan(themes.loc[by_terms["price"], "value_total"])
    assert themes["comments"].sum() == 20  # E12 has no comment
    terms = " ".join(themes["terms"])
    assert "example" not in terms and "44" not in terms  # contacts masked before learning


def _theme_with(themes, term):
    hits = [t for t, terms in themes["terms"].items() if term in terms.split(" / ")]
    assert len(hits) == 1, (term, themes["terms"].to_dict())
    return hits[0]


def test_dictionary_overrides_learned_themes(surveys):
    result = comment_themes(surveys, themes={
        "delivery": ["deliver", "courier", "物流", "快递"],
        "price": ["price", "expensive", "贵", "价格"],
    })
    assert result.method == "dictionary"
    themes = result.themes.set_index("theme")
    assert list(themes.index) == ["delivery", "price", OTHER]  # other last
    assert _members(result, "delivery") == ["E01", "E02", "E03", "E04", "Z01", "Z02", "Z03",
                                            "Z09"]
    assert "Z09" in _members(result, "price")  # a comment can raise two themes
    assert themes.loc["price", "comments"] == 6
    # E05 5, E06 6, E07 7, Z04 5, Z05 6, Z09 8
    assert themes.loc["price", "nps_mean"] == pytest.approx(37 / 6)
    assert themes.loc[OTHER, "comments"] == 7 and themes.loc["delivery", "language"] == "any"


def test_theme_errors(surveys):
    with pytest.raises(ParameterError, match=r"non-empty list of keywords.*'price'"):
        comment_themes(surveys, themes={"price": "price"})
    with pytest.raises(ParameterError, match="n_themes must be a positive whole number"):
        comment_themes(surveys, n_themes=0)
    with pytest.raises(DataValidationError, match=r"no column.*'comment'.*role 'comment'"):
        comment_themes(surveys.drop(columns="comment"))
    with pytest.raises(DataValidationError, match=r"empty surveys \(rows with a comment\)"):
        comment_themes(surveys.assign(comment=""))
    with pytest.raises(ParameterError, match="value must be a Series"):
        comment_themes(surveys, value={"E01": 1.0})


def test_detractor_follow_up_ranked_by_value_at_stake(surveys, tmp_path):
    later = pd.DataFrame({"customer_id": ["E03"], "date": [pd.Timestamp("2026-10-02")],
                          "nps": [9], "ces": [2], "comment": ["fixed now"]})
    surveys = pd.concat([surveys, later], ignore_index=True)
    value = pd.Series({"E01": 1000.0, "E02": 500.0, "Z01": 2000.0, "E03": 5000.0})
    risk = pd.Series({"E01": 0.5, "E02": 0.9, "Z01": 0.1, "E03": 0.9})
    out = detractor_follow_up(surveys, value, risk, days=365)
    assert "E03" not in set(out["customer_id"])  # answered 9 afterwards: off the list
    assert list(out["customer_id"][:3]) == ["E01", "E02", "Z01"]  # 500, 450, 200
    assert list(out["value_at_stake"][:3]) == pytest.approx([500, 450, 200])
    assert list(out["rank"]) == list(range(1, len(out) + 1))
    # detractors without value: listed last, newest first, never dropped
    assert set(out["customer_id"][3:]) == {"E04", "E05", "E06", "Z02", "Z03", "Z04", "Z05"}
    assert out["value_at_stake"][3:].isna().all()
    assert out["date"].iloc[3] == pd.Timestamp("2026-09-18")  # E06 latest of the rest
    recent = detractor_follow_up(surveys, value, risk, days=30, as_of="2026-10-03")
    assert "E01" not in set(recent["customer_id"]) and "Z01" not in set(recent["customer_id"])
    assert recent["customer_id"].iloc[0] == "E02"

    path = write_detractors_follow_up(out, tmp_path / "analyst")
    assert path.name == "detractors_follow_up.csv"
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM for Excel
    text = raw.decode("utf-8-sig")
    assert "anna.berg@example.com" not in text and "13812345678" not in text
    assert "[email]" in text and "[phone]" in text and "物流" in text
    back = pd.read_csv(path, encoding="utf-8-sig", dtype={"customer_id": str})
    assert list(back["customer_id"]) == list(out["customer_id"])  # raw ids for analysts


def test_follow_up_errors(surveys):
    value = pd.Series({"E01": 1.0})
    with pytest.raises(ParameterError, match="days must be a positive whole number"):
        detractor_follow_up(surveys, value, value, days=0)
    with pytest.raises(ParameterError, match="as_of must be a date"):
        detractor_follow_up(surveys, value, value, as_of="soon")
    with pytest.raises(ParameterError, match="churn_risk must be a Series"):
        detractor_follow_up(surveys, value, {"E01": 0.1})
    with pytest.raises(DataValidationError, match=r"no column.*'date'"):
        detractor_follow_up(surveys.drop(columns="date"), value, value)
    with pytest.raises(DataValidationError, match="no survey row has a readable date"):
        detractor_follow_up(surveys.assign(date="soon"), value, value)
    with pytest.raises(DataValidationError, match=r"no column.*'value_at_stake'"):
        write_detractors_follow_up(surveys, "unused")


def test_response_sentence():
    from clvkit.metrics.voice import ResponseRate
    from clvkit.report._business import response_sentence

    rate = ResponseRate(surveyed=412, customers=2000, rate=0.206)
    assert response_sentence(rate, "en") == "412 of 2,000 customers answered a survey (20.6%)."
    assert response_sentence(rate, "zh").startswith("2,000 位客户中有 412 位")


def test_plot_comment_themes(surveys):
    import matplotlib

    matplotlib.use("Agg")
    from clvkit.plots import plot_comment_themes

    themes = comment_themes(surveys, themes={"delivery": ["delivery", "物流"],
                                             "price": ["price", "价格"]}).themes
    ax = plot_comment_themes(themes)
    bars = ax.patches
    assert [b.get_width() for b in bars] == list(themes["comments"][::-1])
    labels = [tick.get_text() for tick in ax.get_yticklabels()]
    assert labels[0] == "Other comments" and labels[-1] == "delivery / 物流"
    assert ax.get_title() == "What customers write about"
    with pytest.raises(DataValidationError, match="no rows"):
        plot_comment_themes(themes.iloc[0:0])
    matplotlib.pyplot.close("all")


def test_each_distinct_comment_is_read_once(surveys):
    from clvkit.metrics import _text

    texts = pd.Series(["Late delivery", "Great", "Late delivery", None, "Great"],
                      index=[4, 3, 2, 1, 0])
    calls = []
    mapped = _text.per_text(texts, lambda t: calls.append(t) or t.upper())
    assert calls == ["Late delivery", "Great"]
    assert mapped.isna().tolist() == [False, False, False, True, False]
    assert mapped.dropna().tolist() == ["LATE DELIVERY", "GREAT", "LATE DELIVERY", "GREAT"]
    assert mapped.index.equals(texts.index)
    analyse = _text.once_per_text(lambda t: calls.append(t) or t.split())
    assert analyse("a b") == analyse("a b") == ["a", "b"] and calls[-1] == "a b"
    assert calls.count("a b") == 1
    repeated = pd.concat([surveys] * 3, ignore_index=True)
    themes = comment_themes(repeated, n_themes=3)
    assert themes.themes["comments"].sum() == 3 * comment_themes(surveys, n_themes=3).themes[
        "comments"].sum()
