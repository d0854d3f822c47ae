"""KPI history across scheduled runs: append, compare, alert, plot, concurrent writers."""

from __future__ import annotations

import math
import multiprocessing
from datetime import datetime, timedelta

import matplotlib
import pandas as pd
import pytest

from clvkit.exceptions import DataValidationError, ParameterError, SourceError
from clvkit.plots.trends import plot_kpi_history
from clvkit.report._history import (
    KPI_COLUMNS,
    alerts,
    append_history,
    history_path,
    kpi_changes,
    read_history,
    with_run,
)

matplotlib.use("Agg")

RUNS = [
    {"customers": 1000, "revenue": 50_000.0, "churn_rate": 0.20, "nps": 12.0,
     "clv_total": 90_000.0, "at_risk_customers": 120, "at_risk_value": 8_000.0},
    {"customers": 1010, "revenue": 52_000.0, "churn_rate": 0.21, "nps": 10.0,
     "clv_total": 91_000.0, "at_risk_customers": 125, "at_risk_value": 8_500.0},
    {"customers": 1030, "revenue": 51_000.0, "churn_rate": 0.26, "nps": None,
     "clv_total": 88_000.0, "at_risk_customers": 160, "at_risk_value": 12_000.0,
     "orders": 4_000},
]
START = datetime(2026, 11, 2, 6, 0)


def _three_runs(path):
    history = None
    for i, kpis in enumerate(RUNS):
        history = append_history(path, kpis, generated=START + timedelta(weeks=i),
                                 run_id=f"run-{i + 1}")
    return history


def test_three_runs_three_rows_changes_and_an_alert(tmp_path):
    path = tmp_path / "report-history.csv"
    history = _three_runs(path)
    assert len(history) == 3 and list(history["run_id"]) == ["run-1", "run-2", "run-3"]
    assert list(history.columns[:2]) == ["run_id", "generated"]
    assert list(history.columns[2:9]) == list(KPI_COLUMNS)
    assert "orders" in history and math.isnan(history["orders"].iloc[0])  # extra KPI kept
    again = read_history(path)
    assert again["generated"].iloc[2] == pd.Timestamp(START + timedelta(weeks=2))
    pd.testing.assert_frame_equal(again, history, check_dtype=False)
    assert not list(tmp_path.glob("*.tmp"))  # atomic write left no temporary file

    changes = kpi_changes(history)
    churn = changes[(changes["kpi"] == "churn_rate") & (changes["lookback"] == 1)].iloc[0]
    assert churn["change"] == pytest.approx(0.05) and churn["base_run_id"] == "run-2"
    assert churn["relative_change"] == pytest.approx(0.05 / 0.21)
    four = changes[(changes["kpi"] == "customers") & (changes["lookback"] == 4)].iloc[0]
    # only 3 runs: no base (missing: None in pandas 2's object column, NaN in 3's str)
    assert pd.isna(four["base_run_id"]) and math.isnan(four["change"])
    nps = changes[(changes["kpi"] == "nps") & (changes["lookback"] == 1)].iloc[0]
    assert math.isnan(nps["value"]) and math.isnan(nps["change"])  # not surveyed this run

    found = alerts(changes, {"churn_rate": 0.03, "at_risk_value": 5_000, "nps": 1})
    assert found == [{"kpi": "churn_rate", "change": pytest.approx(0.05), "threshold": 0.03}]
    two_back = kpi_changes(history, lookback=(2,))
    assert alerts(two_back, {"at_risk_value": 4_000}, lookback=2) == [
        {"kpi": "at_risk_value", "change": 4_000.0, "threshold": 4_000.0}]


def test_history_lives_beside_the_report_folder(tmp_path):
    assert history_path(tmp_path / "reports" / "latest") == (
        tmp_path / "reports" / "latest-history.csv").resolve()


def test_rerun_of_the_same_run_replaces_its_row(tmp_path):
    path = tmp_path / "h.csv"
    append_history(path, RUNS[0], generated=START, run_id="r1")
    history = append_history(path, {**RUNS[0], "customers": 999}, generated=START, run_id="r1")
    assert len(history) == 1 and history["customers"].iloc[0] == 999


def _append(args):
    path, i = args
    append_history(path, {"customers": i}, generated=START + timedelta(hours=i), run_id=f"p{i}")


def test_concurrent_runs_all_land(tmp_path):
    path = tmp_path / "h.csv"
    with multiprocessing.get_context("fork").Pool(2) as pool:
        pool.map(_append, [(path, i) for i in range(8)])
    history = read_history(path)
    assert sorted(history["customers"]) == list(range(8))


def test_plot_kpi_history(tmp_path):
    history = _three_runs(tmp_path / "h.csv")
    ax = plot_kpi_history(history)
    labels = [line.get_label() for line in ax.get_lines() if not line.get_label().startswith("_")]
    assert "Churn rate" in labels and "Customers" in labels
    assert "NPS" not in labels  # not indexable (can be <= 0): drawn on its own
    churn = next(line for line in ax.get_lines() if line.get_label() == "Churn rate")
    assert list(churn.get_ydata()) == pytest.approx([100, 105, 130])
    one = plot_kpi_history(history, kpi="nps")
    assert one.get_ylabel() == "NPS" and len(one.get_lines()[0].get_xdata()) == 3
    matplotlib.pyplot.close("all")


def test_errors(tmp_path):
    path = tmp_path / "h.csv"
    with pytest.raises(ParameterError, match=r"KPI values must be numbers.*nps='high'"):
        append_history(path, {"nps": "high"}, generated=START, run_id="x")
    with pytest.raises(ParameterError, match="generated must be a datetime"):
        append_history(path, {}, generated="2026-11-02", run_id="x")
    with pytest.raises(ParameterError, match="run_id must be a non-empty"):
        append_history(path, {}, generated=START, run_id=" ")
    with pytest.raises(ParameterError, match="KPI names may not be"):
        append_history(path, {"run_id": 1}, generated=START, run_id="x")
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(SourceError, match=r"not a clvkit KPI history.*run_id"):
        append_history(other, {}, generated=START, run_id="x")
    history = _three_runs(path)
    with pytest.raises(ParameterError, match="lookback must be positive"):
        kpi_changes(history, lookback=(0,))
    changes = kpi_changes(history)
    with pytest.raises(ParameterError, match=r"unknown KPI.*churn"):
        alerts(changes, {"churn": 0.1})
    with pytest.raises(ParameterError, match=r"positive numbers.*check nps=-1"):
        alerts(changes, {"nps": -1})
    with pytest.raises(DataValidationError, match="no rows"):
        plot_kpi_history(history.iloc[0:0])
    with pytest.raises(ParameterError, match="kpi must be one of"):
        plot_kpi_history(history, kpi="profit")


def test_with_run_previews_without_writing(tmp_path):
    path = tmp_path / "h.csv"
    append_history(path, RUNS[0], generated=START, run_id="r1")
    preview = with_run(read_history(path), RUNS[1], generated=START + timedelta(weeks=1),
                       run_id="r2")
    assert list(preview["run_id"]) == ["r1", "r2"]
    assert list(read_history(path)["run_id"]) == ["r1"]  # the file is unchanged
    assert kpi_changes(preview).set_index(["kpi", "lookback"]).loc[
        ("customers", 1), "change"] == 10


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_kpi_changes_table_names_the_kpis_and_keeps_their_units(tmp_path, lang):
    import clvkit as ck

    history = _three_runs(tmp_path / "report-history.csv")
    ctx = ck.report.setup({"lang": lang, "currency": "¥"})
    table = ck.report.kpi_changes_table(ctx, kpi_changes(history))
    t = ctx.t
    assert list(table.columns) == [t("trends.col.kpi"), t("trends.col.compared"),
                                   t("trends.col.now"), t("trends.col.then"),
                                   t("trends.col.change"), t("trends.col.relative")]
    assert len(table) == 7  # 7 KPIs x the previous run; 3 runs are too few for "4 before"
    rows = table.set_index(t("trends.col.kpi"))
    assert set(table[t("trends.col.compared")]) == {t("trends.previous_run")}
    customers = rows.loc[t("trends.kpi.customers")]
    assert (customers[t("trends.col.now")], customers[t("trends.col.then")],
            customers[t("trends.col.change")]) == ("1,030", "1,010", "+20")
    churn = rows.loc[t("trends.kpi.churn_rate")]
    assert (churn[t("trends.col.now")], churn[t("trends.col.then")]) == ("26.0%", "21.0%")
    assert churn[t("trends.col.change")] == "+5.0" + t("fmt.points")
    assert churn[t("trends.col.relative")] == "+23.8%"
    risk = rows.loc[t("trends.kpi.at_risk_value")]
    assert (risk[t("trends.col.now")], risk[t("trends.col.change")]) == ("¥12,000", "+¥3,500")
    assert rows.loc[t("trends.kpi.revenue")][t("trends.col.change")] == "-¥1,000"
    nps = rows.loc[t("trends.kpi.nps")]  # not surveyed this run
    assert (nps[t("trends.col.now")], nps[t("trends.col.change")]) == ("–", "–")
    assert "orders" not in rows.index  # an extra KPI the previous run did not have
    assert not any("_" in str(c) for c in table.columns)
