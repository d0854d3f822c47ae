"""One truth across a whole report: every customer-level CLV and churn risk shown on any
page, and in every per-customer export, equals the run's scored table; the summary's
totals equal the table's sums; at-risk lists are ordered by the one churn risk.

The report is built once (client audience, demo data) and opened in headless Chromium.
Columns are identified by the ``data-col`` attribute clvkit writes on every table
header, and the summary cards by ``data-kpi``, so the check holds in any language.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

import clvkit as ck

pytestmark = [pytest.mark.browser, pytest.mark.notebook, pytest.mark.slow]

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
CHROMIUM = os.environ.get("CLVKIT_CHROMIUM") or shutil.which("chromium") or shutil.which(
    "chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"]
if CHROMIUM is None:
    pytest.skip("Chromium not installed (apt-get install chromium): browser test skipped",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed")

#: Columns that show a per-customer number of the scored table.
CHECKED = ("clv", "churn_risk", "p_alive")

_READ = """() => ({
  tables: [...document.querySelectorAll('table')].map(t => ({
    cols: [...t.querySelectorAll('thead th')].map(th => th.dataset.col || ''),
    rows: [...t.querySelectorAll('tbody tr')].map(
        tr => [...tr.children].map(td => td.textContent.trim())),
  })),
  cards: Object.fromEntries([...document.querySelectorAll('.clv-card[data-kpi]')].map(
        c => [c.dataset.kpi, c.querySelector('.clv-card-value').textContent.trim()])),
})"""


def _number(text: str) -> tuple[float, float]:
    """A displayed number and half its last displayed unit (the rounding tolerance).

    Handles currency symbols, thousands separators, %, and the Chinese 万/亿 units."""
    scale = 1.0
    if text.endswith("%"):
        scale = 0.01
    for unit, factor in (("万", 1e4), ("亿", 1e8), ("千", 1e3)):
        if unit in text:
            scale *= factor
    digits = re.sub(r"[^0-9.\-]", "", text.replace("−", "-"))
    decimals = len(digits.split(".")[1]) if "." in digits else 0
    return float(digits) * scale, 0.5 * 10 ** (-decimals) * scale + 1e-9


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("consistency") / "latest"
    ck.report.run_report(out, notebooks=NOTEBOOKS, lang="en", audience="client",
                         params={"demo_customers": 300, "salt": "consistency"})
    return out


@pytest.fixture(scope="module")
def scored(report) -> pd.DataFrame:
    table = pd.read_csv(report / "scored_customers.csv", encoding="utf-8-sig",
                        dtype={"customer_id": str, "customer_ref": str})
    return table


@pytest.fixture(scope="module")
def pages(report):
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        found = {}
        for path in sorted(report.glob("0*.html")):
            page = browser.new_page()
            page.goto(path.as_uri())
            found[path.stem] = page.evaluate(_READ)
            page.close()
        browser.close()
    return found


def test_scored_export_is_the_runs_table(report, scored):
    sc = ck.scoring.Scores.load(report / "scores")
    ours = sc.customers.set_index("customer_id")
    theirs = scored.set_index("customer_id")
    assert set(theirs.index) == set(ours.index)
    # the CSV is for people and CRMs: money to cents, probabilities to 4 decimals
    for column, tol in (("clv", 0.005), ("churn_risk", 5e-5), ("p_alive", 5e-5)):
        gap = (theirs[column].sort_index() - ours[column].sort_index()).abs()
        assert gap.max() <= tol + 1e-12, column


def test_every_customer_number_on_every_page_equals_the_scored_table(pages, scored):
    by_ref = scored.set_index("customer_ref")
    checked = 0
    for name, found in pages.items():
        for table in found["tables"]:
            cols = table["cols"]
            if "customer_id" not in cols or not set(CHECKED) & set(cols):
                continue
            offset = len(table["rows"][0]) - len(cols) if table["rows"] else 0
            at = {c: cols.index(c) + offset for c in cols if c}
            for row in table["rows"]:
                ref = row[at["customer_id"]]
                assert ref in by_ref.index, f"{name}: {ref} is not in scored_customers.csv"
                for column in set(CHECKED) & set(at):
                    shown, tol = _number(row[at[column]])
                    truth = float(by_ref.loc[ref, column])
                    assert abs(shown - truth) <= tol, (name, ref, column, shown, truth)
                    checked += 1
    assert checked >= 50  # summary, CLV, churn and segment pages all list customers


def test_at_risk_lists_follow_the_one_churn_risk(pages, scored, report):
    for name in ("00_executive_summary", "05_churn_prediction"):
        lists = [t for t in pages[name]["tables"]
                 if "churn_risk" in t["cols"] and "customer_id" in t["cols"]]
        assert lists, name
        table = lists[0]
        at = table["cols"].index("churn_risk") + len(table["rows"][0]) - len(table["cols"])
        shown = [_number(r[at])[0] for r in table["rows"]]
        assert shown == sorted(shown, reverse=True), name
    exported = pd.read_csv(report / "at_risk_customers.csv", encoding="utf-8-sig",
                           dtype={"customer_id": str})
    truth = scored.set_index("customer_id").loc[exported["customer_id"]]
    assert exported["churn_risk"].to_numpy() == pytest.approx(truth["churn_risk"].to_numpy(),
                                                              abs=1e-4)
    assert exported["clv"].to_numpy() == pytest.approx(truth["clv"].to_numpy(), abs=0.01)
    assert exported["churn_risk"].is_monotonic_decreasing
    newly = pd.read_csv(report / "newly_at_risk.csv", encoding="utf-8-sig",
                        dtype={"customer_id": str})
    assert newly["churn_risk"].to_numpy() == pytest.approx(
        scored.set_index("customer_id").loc[newly["customer_id"], "churn_risk"].to_numpy(),
        abs=1e-4)


def test_summary_totals_equal_the_tables_sums(pages, scored):
    cards = pages["00_executive_summary"]["cards"]
    total, tol = _number(cards["clv_total"])
    assert abs(total - scored["clv"].sum()) <= tol
    assert _number(cards["customers"])[0] == len(scored)
    risky = (scored["churn_risk"] >= 0.5) & (scored["recency_days"] <= 365)
    assert _number(cards["at_risk_customers"])[0] == int(risky.sum())


def test_run_json_carries_the_runs_numbers_and_assumptions(report, scored):
    import json

    record = json.loads((report / "run.json").read_text(encoding="utf-8"))
    assert record["kpis"]["clv_total"]["value"] == pytest.approx(scored["clv"].sum())
    assert record["assumptions"]["currency"] == {"value": "¥", "source": "data"}
    assert record["assumptions"]["value_basis"]["value"] == "margin"
    assert isinstance(record["warnings"], list) and record["scoring_seconds"] > 0
