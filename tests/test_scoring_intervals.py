"""Intervals of customer value in the scoring run, its files, exports and summary."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit.exceptions import ParameterError
from clvkit.models import simulate_transactions
from clvkit.report._format import data_dictionary
from clvkit.report._scores import note_key
from clvkit.scoring import Scores, ScoreSettings


@pytest.fixture(scope="module")
def demo():
    return ck.load_data("demo", demo_customers=400, seed=7)


@pytest.fixture(scope="module")
def scores(demo):
    return ck.score(demo, churn_classifier=False)


def test_scored_table_has_bounds_around_each_clv(demo, scores) -> None:
    table = scores.customers
    assert {"clv_low", "clv_high"} <= set(table.columns)
    assert table[["clv_low", "clv_high"]].notna().all().all()
    assert (table["clv_low"] <= table["clv"]).all() and (table["clv"] <= table["clv_high"]).all()
    assert (table["clv_low"] < table["clv_high"]).mean() > 0.9
    # the models-level API gives the same numbers (one definition)
    from clvkit.models import clv_intervals
    from clvkit.summary import rfm_summary

    summary = rfm_summary(demo.transactions,
                          observation_end=pd.Timestamp(scores.facts["observation_end"]))
    res = clv_intervals(summary, bgnbd=scores.model("purchase"), gamma_gamma=scores.model("spend"),
                        margin=scores.assumptions["margin_rate"]["value"])
    mine = res.customers.set_axis(res.customers.index.astype(str))
    by_id = table.set_index("customer_id")
    np.testing.assert_allclose(by_id["clv_low"], mine.loc[by_id.index, "clv_low"], rtol=1e-12)


def test_total_kpi_records_its_interval_level_and_method(scores) -> None:
    kpi = scores.kpis["clv_total"]
    values = kpi["values"]
    assert values["level"] == 0.9 and values["method"] == "delta"
    assert values["low"] < kpi["value"] < values["high"]
    table = scores.customers
    # the total's interval is not the sum of the customers' bounds (they share parameters)
    assert table["clv_low"].sum() < values["low"] and values["high"] < table["clv_high"].sum()
    assert scores.assumptions["interval_level"] == {"value": 0.9, "source": "default"}
    assert scores.assumptions["interval_method"] == {"value": "delta", "source": "default"}
    for column in ("segment", "tier"):
        groups = scores.tables[f"clv_by_{column}"]
        assert groups["clv"].sum() == pytest.approx(kpi["value"])
        assert groups["customers"].sum() == len(table)
        assert (groups["clv_low"] <= groups["clv"]).all()
        assert (groups["clv"] <= groups["clv_high"]).all()
        counts = table[column].astype(str).value_counts()
        assert dict(zip(groups[column], groups["customers"], strict=True)) == counts.to_dict()


def test_save_and_load_keep_the_intervals(scores, tmp_path) -> None:
    scores.save(tmp_path / "run")
    back = Scores.load(tmp_path / "run")
    pd.testing.assert_frame_equal(back.customers[["customer_id", "clv", "clv_low", "clv_high"]],
                                  scores.customers[["customer_id", "clv", "clv_low",
                                                    "clv_high"]])
    assert back.kpis["clv_total"] == scores.kpis["clv_total"]
    assert back.settings == scores.settings and back.settings.interval_level == 0.9
    pd.testing.assert_frame_equal(back.tables["clv_by_segment"],
                                  scores.tables["clv_by_segment"])
    purchase = back.model("purchase")
    assert purchase.log_params_covariance_ == scores.model("purchase").log_params_covariance_


def test_level_zero_turns_intervals_off(demo, scores) -> None:
    off = ck.score(demo, churn_classifier=False, purchase_model="bgnbd", interval_level=0)
    assert off.customers[["clv_low", "clv_high"]].isna().all().all()
    assert off.customers["clv"].notna().all()
    values = off.kpis["clv_total"]["values"]
    assert values["low"] is None and values["high"] is None and values["level"] == 0
    assert off.assumptions["interval_level"] == {"value": None, "source": "set"}
    assert "clv_by_segment" not in off.tables


@pytest.mark.parametrize(("change", "message"), [
    ({"interval_level": 1.0}, r"interval_level=1\.0.*0 <= interval_level < 1 \(0: no "
                              r"intervals\)"),
    ({"interval_level": -0.1}, r"interval_level=-0\.1"),
])
def test_interval_settings_are_checked(change, message) -> None:
    with pytest.raises(ParameterError, match=message):
        ScoreSettings(**change)
    assert ScoreSettings.from_params({"interval_level": "0.8"}).interval_level == 0.8


def test_edge_fit_gives_empty_bounds_and_a_worded_warning() -> None:
    tx = simulate_transactions(3000, bgnbd_params={"r": 0.8, "alpha": 6, "a": 0.002, "b": 20},
                               gamma_gamma_params={"p": 6, "q": 4, "v": 15},
                               acquisition_weeks=26, observation_weeks=52, seed=3)
    ds = ck.Dataset(transactions=tx, name="no dropout",
                    observation_end=tx.attrs["observation_end"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        sc = ck.score(ds, churn_classifier=False, purchase_model="bgnbd")
    codes = [n.code for n in sc.notes]
    assert "interval_at_edge" in codes
    assert sc.customers["clv"].notna().all()
    assert sc.customers[["clv_low", "clv_high"]].isna().all().all()
    values = sc.kpis["clv_total"]["values"]
    assert values["low"] is None and values["high"] is None
    note = next(n for n in sc.notes if n.code == "interval_at_edge")
    assert note.section == "04" and note.values["model"] == "BG/NBD"
    for lang in ("en", "zh"):
        text = ck.i18n.t(note_key(note.code), lang, **note.values)
        assert note.values["parameters"] in text and "{" not in text


def test_scored_csv_and_its_dictionary_name_the_bounds(scores, tmp_path) -> None:
    ctx = ck.report.setup(lang="en", currency="¥", output_dir=tmp_path)
    scored = ck.report.labelled(scores.customers, ctx.lang)
    ctx.save_table(scored, "scored_customers")  # what notebook 06 writes
    table = pd.read_csv(tmp_path / "scored_customers.csv", encoding="utf-8-sig")
    assert {"clv", "clv_low", "clv_high"} <= set(table.columns)  # never renamed
    assert "revenue_cny" in table.columns  # other amounts carry the currency
    np.testing.assert_allclose(table["clv_low"], scores.customers["clv_low"], atol=0.006)
    for lang, word in (("en", "confidence interval"), ("zh", "置信区间")):
        text = data_dictionary(tmp_path, lang=lang, currency="¥")
        row = next(line for line in text.splitlines() if line.startswith("| `clv_low`"))
        assert word in row and "¥" in row


def test_executive_summary_states_the_interval_in_words(scores) -> None:
    s = ck.report.executive_summary(scores)
    values = scores.kpis["clv_total"]["values"]
    assert (s.clv_low, s.clv_high, s.interval_level) == (values["low"], values["high"], 0.9)
    en = ck.report.setup(lang="en", currency="¥")
    low, high = en.money(values["low"]), en.money(values["high"])
    text = ck.report.describe_summary(en, s).data
    assert f"({'90%'} interval {low}–{high})" in text
    card = dict((label, note) for label, _, note in ck.report.summary_cards(en, s).items)
    assert card[en.t("exec_card_clv", months=12)].startswith(f"90% interval {low}–{high} · ")
    zh = ck.report.setup(lang="zh", currency="¥")
    assert f"（90% 置信区间 {low}–{high}）" in ck.report.describe_summary(zh, s).data
    ck.report.setup(lang="en")
    assumptions = ck.report.assumptions_table(en, scores)
    assert "90% confidence interval" in assumptions.to_string()


def test_clv_page_helpers_show_the_base_and_segment_intervals(scores) -> None:
    for lang in ("en", "zh"):
        ctx = ck.report.setup(lang=lang, currency="¥")
        facts = ck.report.interval_facts(ctx, scores)
        values = scores.kpis["clv_total"]["values"]
        assert facts == {"level": "90%", "total": ctx.money(scores.kpi("clv_total")),
                         "low": ctx.money(values["low"]), "high": ctx.money(values["high"]),
                         "months": "12"}
        text = ctx.say("scoring.interval.explain", **facts).data
        assert facts["low"] in text and facts["high"] in text and "{" not in text
        table = ck.report.value_intervals(ctx, scores)
        assert table.index[0] == ctx.t("segments.total")
        assert table.iloc[0]["clv"] == pytest.approx(scores.kpi("clv_total"))
        assert table.iloc[1:]["clv"].sum() == pytest.approx(scores.kpi("clv_total"))
        assert table.iloc[1:]["customers"].sum() == len(scores.customers)
        shown = ctx.table(table, money=["clv", "clv_low", "clv_high"], max_rows=None)
        assert len(shown.data) == len(table)
    ck.report.setup(lang="en")
    off = Scores(**{**scores.__dict__, "kpis": {**scores.kpis, "clv_total": {
        **scores.kpis["clv_total"], "values": {**scores.kpis["clv_total"]["values"],
                                               "low": None, "high": None}}}})
    ctx = ck.report.setup(lang="en")
    assert ck.report.interval_facts(ctx, off) is None
    assert ck.report.value_intervals(ctx, off) is None


@pytest.mark.notebook
def test_clvkit_report_exports_the_bounds_and_shows_the_total_interval(tmp_path) -> None:
    nbs = Path(__file__).resolve().parents[1] / "notebooks"
    result = ck.report.run_report(
        tmp_path / "out", notebooks=[nbs / "00_executive_summary.ipynb",
                                     nbs / "06_segments_actions.ipynb"],
        params={"demo_customers": 300, "salt": "interval-key", "churn_classifier": False})
    table = pd.read_csv(result.out_dir / "scored_customers.csv", encoding="utf-8-sig")
    assert {"clv", "clv_low", "clv_high"} <= set(table.columns)
    assert table[["clv_low", "clv_high"]].notna().all().all()
    assert (table["clv_low"] <= table["clv"] + 0.01).all()
    assert (table["clv"] <= table["clv_high"] + 0.01).all()
    kpi = next(k for k in result.record["kpis"].items() if k[0] == "clv_total")[1]
    assert kpi["values"]["level"] == 0.9 and kpi["values"]["low"] < kpi["value"]
    page = (result.out_dir / "00_executive_summary.html").read_text(encoding="utf-8")
    assert "90% interval" in page
    dictionary = (result.out_dir / "data_dictionary.md").read_text(encoding="utf-8")
    assert "`clv_low`" in dictionary and "confidence interval" in dictionary
