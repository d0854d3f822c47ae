"""The scoring stage: one run, one customer table, KPIs equal to its sums, stated choices."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit.report._scores import note_key
from clvkit.scoring import Scores, ScoreSettings

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


@pytest.fixture(scope="module")
def demo():
    return ck.load_data("demo", demo_customers=400, seed=7)


@pytest.fixture(scope="module")
def scores(demo):
    return ck.score(demo)


def test_one_row_per_customer_and_kpis_are_the_tables_sums(demo, scores):
    table = scores.customers
    assert table["customer_id"].is_unique
    assert len(table) == demo.transactions["customer_id"].nunique() == scores.kpi("customers")
    assert scores.kpi("clv_total") == pytest.approx(table["clv"].sum())
    assert scores.kpi("revenue") == pytest.approx(demo.transactions["amount"].sum())
    assert scores.kpi("revenue") == pytest.approx(table["revenue"].sum())
    # at risk = still active (a purchase within the inactivity window) and risky
    active = table["recency_days"] <= scores.settings.inactivity_days
    risky = (table["churn_risk"] >= scores.settings.at_risk_threshold) & active
    assert (~active).any() and (table.loc[~active, "churn_risk"] >= 0.5).any()
    assert risky.equals(table["at_risk"])
    assert scores.kpi("at_risk_customers") == int(risky.sum()) == len(scores.at_risk)
    assert scores.kpi("at_risk_value") == pytest.approx(table.loc[risky, "clv"].sum())
    assert scores.at_risk["churn_risk"].is_monotonic_decreasing
    assert table[["clv", "p_alive", "churn_risk"]].notna().all().all()
    assert table["p_alive"].between(0, 1).all() and table["churn_risk"].between(0, 1).all()


def test_value_basis_margin_from_data_and_stated(demo, scores):
    # the demo has a gross_margin column: CLV is margin, and the assumptions say so
    assert scores.assumptions["value_basis"] == {"value": "margin", "source": "data"}
    share = demo.transactions["gross_margin"].sum() / demo.transactions["amount"].sum()
    assert scores.assumptions["margin_rate"]["value"] == pytest.approx(share)
    assert scores.kpis["clv_total"]["values"]["basis"] == "margin"


def test_revenue_basis_without_margin_and_assumed_margin():
    tx = ck.load_data("demo", demo_customers=300, seed=3).transactions.drop(
        columns="gross_margin")
    ds = ck.Dataset(transactions=tx, name="no margin")
    plain = ck.score(ds, churn_classifier=False)
    assumed = ck.score(ds, churn_classifier=False, margin_rate=0.25)
    assert plain.assumptions["value_basis"] == {"value": "revenue", "source": "none"}
    assert assumed.assumptions["margin_rate"] == {"value": 0.25, "source": "assumed"}
    assert assumed.kpi("clv_total") == pytest.approx(0.25 * plain.kpi("clv_total"))
    assert plain.assumptions["currency"] == {"value": "", "source": "none"}


def test_churn_risk_has_one_stated_source(demo, scores):
    source = scores.facts["churn_risk_source"]
    assert source in ("classifier", "purchase_model")
    assert (scores.customers["churn_risk_basis"] == source).all()
    metrics = scores.tables["churn_metrics"]
    test = metrics[(metrics["split"] == "test") & (metrics["metric"] == "roc_auc")]
    auc = test.set_index("model")["value"]
    # the rule: the classifier only when it beats the baseline by 0.01 on the test split
    assert (source == "classifier") == bool(auc.iloc[0] >= auc.iloc[1] + 0.01)
    no_classifier = ck.score(demo, churn_classifier=False)
    assert no_classifier.facts["churn_risk_source"] == "purchase_model"
    # one question whatever the source: P(no purchase in the next churn_window_days)
    table = no_classifier.customers.set_index("customer_id")
    model = no_classifier.models["purchase"]
    summary = ck.rfm_summary(demo.transactions,
                             observation_end=no_classifier.facts["observation_end"])
    expected = model.probability_no_purchase(summary, 365 / 7)
    np.testing.assert_allclose(table["churn_risk"], expected.set_axis(
        expected.index.astype(str)).reindex(table.index), rtol=1e-12)
    # a customer who may be gone, or alive and quiet: never below 1 - P(alive)
    assert (table["churn_risk"] >= 1 - table["p_alive"] - 1e-12).all()
    if no_classifier.facts["purchase_model"] == "bgnbd":
        r, alpha = model.params["r"], model.params["alpha"]
        x, age = summary["frequency"], summary["T"]
        quiet = ((alpha + age) / (alpha + age + 365 / 7)) ** (r + x)
        alive = model.p_alive(summary)
        closed = (1 - alive + alive * quiet).set_axis(summary.index.astype(str))
        np.testing.assert_allclose(table["churn_risk"], closed.reindex(table.index),
                                   rtol=1e-9)


def test_purchase_model_choice_is_principled_and_explained(scores):
    comparison = scores.tables["model_comparison"]
    assert comparison["chosen"].sum() == 1
    key = scores.facts["purchase_model"]
    assert comparison.loc[key, "chosen"]
    reason = scores.facts["purchase_reason"]
    assert reason in ("lowest_holdout_error", "no_clear_winner", "only_valid")
    ok = comparison[comparison["status"] == "ok"]["rmse"].astype(float)
    best = ok.idxmin()
    if reason == "lowest_holdout_error":
        assert key == best
        assert key == "bgnbd" or ok[key] <= ok["bgnbd"] * (1 - 0.02)
    if reason == "no_clear_winner":
        assert key == "bgnbd" and best != "bgnbd"
        assert ok[best] > ok["bgnbd"] * (1 - 0.02)


@pytest.mark.parametrize(("rmse", "expected"), [
    ({"bgnbd": 1.90, "paretonbd": 1.95, "mbgnbd": 1.99}, ("bgnbd", "lowest_holdout_error")),
    # MBG/NBD 5% below BG/NBD wins, though Pareto/NBD is within 1% of it
    ({"bgnbd": 1.99, "paretonbd": 1.91, "mbgnbd": 1.89}, ("mbgnbd", "lowest_holdout_error")),
    ({"bgnbd": 1.99, "paretonbd": 1.98, "mbgnbd": 2.10}, ("bgnbd", "no_clear_winner")),
    ({"paretonbd": 1.98, "mbgnbd": 2.10}, ("paretonbd", "lowest_holdout_error")),
])
def test_model_choice_rule(rmse, expected):
    from clvkit.scoring._models import choose_by_rmse

    assert choose_by_rmse(pd.Series(rmse)) == expected


def test_forced_model_and_settings_errors(demo):
    forced = ck.score(demo, purchase_model="paretonbd", churn_classifier=False)
    assert forced.facts["purchase_model"] == "paretonbd"
    assert forced.facts["purchase_reason"] == "user_choice"
    with pytest.raises(ck.ParameterError, match="purchase_model must be one of 'auto'"):
        ScoreSettings(purchase_model="bgndb")
    with pytest.raises(ck.ParameterError, match=r"horizon_months=0"):
        ScoreSettings(horizon_months=0)
    with pytest.raises(ck.ParameterError, match="needs a clvkit Dataset"):
        ck.score(demo.transactions)


def test_settings_from_report_parameters_convert_strings():
    s = ScoreSettings.from_params({"horizon_months": "24", "churn_classifier": "false",
                                   "margin_rate": "0.3", "lang": "zh", "data": "demo"})
    assert (s.horizon_months, s.churn_classifier, s.margin_rate) == (24, False, 0.3)
    with pytest.raises(ck.ParameterError, match="horizon_months must be a int"):
        ScoreSettings.from_params({"horizon_months": "a year"})


def test_save_and_load_round_trip(tmp_path, scores):
    folder = scores.save(tmp_path / "scores")
    back = Scores.load(folder)
    pd.testing.assert_frame_equal(back.customers, scores.customers)
    assert back.kpis == json.loads(json.dumps(scores.kpis))
    assert back.settings == scores.settings and back.notes == scores.notes
    purchase = back.model("purchase")
    assert purchase.params == pytest.approx(scores.model("purchase").params)
    assert set(back.tables) == set(scores.tables)
    with pytest.raises(ck.ParameterError, match="holds no clvkit scores"):
        Scores.load(tmp_path)


def test_value_frame_keeps_the_datas_id_type():
    ds = ck.load_data("cdnow-sample")
    sc = ck.score(ds, churn_classifier=False)
    assert sc.assumptions["currency"]["value"] == "$"
    ids = ds.transactions["customer_id"]
    frame = sc.value_frame(ids)
    assert frame.index.dtype == ids.dtype and len(frame) == ids.nunique()
    assert frame["clv"].sum() == pytest.approx(sc.kpi("clv_total"))


def test_notes_for_an_edge_of_the_data():
    # one year of a shop where nobody has dropped out yet: models fit or say why
    rng = np.random.default_rng(0)
    rows = []
    for c in range(150):
        days = np.sort(rng.choice(365, size=rng.integers(1, 6), replace=False))
        rows += [(f"K{c:03d}", pd.Timestamp("2024-01-01") + pd.Timedelta(days=int(d)),
                  float(rng.integers(10, 90))) for d in days]
    tx = pd.DataFrame(rows, columns=["customer_id", "timestamp", "amount"])
    sc = ck.score(ck.Dataset(transactions=tx, name="one year"), churn_classifier=False)
    assert len(sc.customers) == 150
    for note in sc.notes:
        key = note_key(note.code)
        assert ck.i18n.t(key) != key, note.code
    # either a CLV for everyone, or a stated reason why not
    assert sc.customers["clv"].notna().all() or any(
        n.code in ("purchase_model_failed", "spend_model_failed", "spend_q_below_one",
                   "prediction_not_finite") for n in sc.notes)


def _declared(path: Path) -> dict[str, object]:
    nb = nbformat.read(str(path), as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    out = {}
    for node in ast.parse(cell.source).body:
        if isinstance(node, ast.AnnAssign):
            out[node.target.id] = ast.literal_eval(node.value)
    return out


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")),
                         ids=lambda p: p.stem)
def test_every_notebook_declares_the_same_scoring_settings(path):
    declared = _declared(path)
    assert "scores_dir" in declared
    defaults = ScoreSettings().to_dict()
    assert {k: declared.get(k) for k in defaults} == defaults


def test_report_scores_cache_and_settings_check(tmp_path, monkeypatch, demo):
    monkeypatch.setenv("CLVKIT_CACHE", str(tmp_path / "cache"))
    ctx = ck.report.setup({"churn_classifier": False, "horizon_months": 6})
    first = ck.report.scores(ctx, demo)
    cached = list((tmp_path / "cache").iterdir())
    assert len(cached) == 1 and (cached[0] / "customers.parquet").exists()
    again = ck.report.scores(ck.report.setup({"churn_classifier": False,
                                              "horizon_months": 6}), demo)
    pd.testing.assert_frame_equal(first.customers, again.customers)
    assert again.folder == cached[0]
    assert ctx.currency == "¥"  # the demo's, as no currency parameter was given
    other = ck.report.setup({"scores_dir": str(cached[0]), "churn_classifier": False,
                             "horizon_months": 12})
    with pytest.raises(ck.ParameterError, match="horizon_months: 6 in the run, 12 here"):
        ck.report.scores(other, demo)


def test_report_scores_refuse_other_data_and_trust_the_runs_own(tmp_path, monkeypatch, demo):
    import dataclasses

    from clvkit.report._provenance import RUN_SHA256
    from clvkit.report._run_steps import RUN_DATA, write_run_data

    monkeypatch.setenv("CLVKIT_CACHE", str(tmp_path / "cache"))
    ck.report.scores(ck.report.setup({"churn_classifier": False}), demo)
    folder = next((tmp_path / "cache").iterdir())
    params = {"scores_dir": str(folder), "churn_classifier": False}
    # one customer's purchases moved to a new id: as many orders, one customer more
    tx = demo.transactions.copy()
    tx.loc[tx.index[-1], "customer_id"] = "someone-else"
    other = dataclasses.replace(demo, transactions=tx)
    with pytest.raises(ck.ParameterError, match="computed on other data"):
        ck.report.scores(ck.report.setup(dict(params)), other)
    write_run_data(demo, folder / RUN_DATA)  # what clvkit report hands every page
    run_data = ck.report.load_data(ck.report.setup(dict(params)))
    assert RUN_SHA256 in run_data.extra
    sc = ck.report.scores(ck.report.setup(dict(params)), run_data)
    assert sc.kpi("customers") == demo.transactions["customer_id"].nunique()
    with pytest.raises(ck.ParameterError, match="computed on other data"):
        ck.report.scores(ck.report.setup(dict(params)), other)  # not the run's own data


@pytest.mark.notebook
@pytest.mark.slow
def test_three_scheduled_runs_build_a_history_a_trend_and_alerts(tmp_path):
    out = tmp_path / "latest"
    for customers in (200, 220, 240):  # the base grows between weekly runs
        result = ck.report.run_report(
            out, notebooks=NOTEBOOKS, select=["00"],
            params={"demo_customers": customers, "churn_classifier": False, "salt": "k"},
            alert_thresholds={"customers": 15, "churn_rate": 0.5})
    history = ck.report.read_history(tmp_path / "latest-history.csv")
    assert list(history["customers"]) == [200, 220, 240]
    assert history["clv_total"].notna().all() and history["run_id"].is_unique
    assert [a["kpi"] for a in result.alerts] == ["customers"]
    assert result.record["alerts"][0]["change"] == 20
    page = (out / "00_executive_summary.html").read_text(encoding="utf-8")
    assert ck.i18n.t("history_first_run") not in page  # the trend chart is shown instead
    assert not (out / "latest-history.csv").exists()  # beside the report, never inside


def _thin(kind: str) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    if kind == "everyone_once":
        n = 120
        return pd.DataFrame({"customer_id": [f"A{i:03d}" for i in range(n)],
                             "timestamp": pd.Timestamp("2024-01-01")
                             + pd.to_timedelta(rng.integers(0, 365, n), unit="D"),
                             "amount": rng.integers(10, 200, n).astype(float)})
    if kind == "three_days":
        rows = [(f"B{i:03d}", pd.Timestamp("2024-06-01") + pd.Timedelta(days=int(d)),
                 float(rng.integers(5, 90)))
                for i in range(60) for d in rng.choice(3, size=rng.integers(1, 3), replace=False)]
        return pd.DataFrame(rows, columns=["customer_id", "timestamp", "amount"])
    return pd.DataFrame({"customer_id": ["Z1"] * 4, "amount": [10.0, 20.0, 15.0, 30.0],
                         "timestamp": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-05-01",
                                                      "2024-09-01"])})


@pytest.mark.notebook
@pytest.mark.slow
@pytest.mark.parametrize("kind", ["everyone_once", "three_days", "one_customer"])
def test_thin_data_give_a_full_report_that_explains_itself(tmp_path, kind):
    data = tmp_path / f"{kind}.csv"
    tx = _thin(kind)
    tx.to_csv(data, index=False)
    result = ck.report.run_report(tmp_path / "out", notebooks=NOTEBOOKS,
                                  params={"data": str(data), "salt": "thin-data-key"})
    record = result.record
    assert record["skipped_sections"], "the thin sections say what was not possible"
    assert all(s["message"] for s in record["skipped_sections"])
    scored = pd.read_csv(result.out_dir / "scored_customers.csv", encoding="utf-8-sig")
    assert len(scored) == tx["customer_id"].nunique()
    codes = {w["code"] for w in record["warnings"]}
    assert codes, "the run's warnings say which numbers are missing and why"
    for code in codes:
        assert ck.i18n.t(note_key(code)) != note_key(code), code
