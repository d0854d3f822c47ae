"""What a client reads: human table headers, Yes/No, whole counts, no run instructions,
parameters in plain words; what a CRM imports: rounded amounts, units in names,
formula-safe CSV cells and a data dictionary."""

from __future__ import annotations

import re

import nbformat
import numpy as np
import pandas as pd
import pytest

from clvkit import i18n
from clvkit._export import column_kind, currency_code, for_export, neutralise_formulas
from clvkit.report._format import data_dictionary, inline_rows, param_value, shown_rows
from clvkit.report._html import ANALYST_TAG, audience_notebook, render_html
from clvkit.report._notebook import setup
from clvkit.segments.export import write_scored

SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")


@pytest.fixture(autouse=True)
def _english():
    """English, and matplotlib settings restored after each test (setup() styles them)."""
    import matplotlib as mpl

    i18n.set_language("en")
    with mpl.rc_context():
        yield
    i18n.set_language("en")


def _scenarios() -> pd.DataFrame:
    return pd.DataFrame({
        "retention": [0.55, 0.60], "uplift_points": [0.0, 5.0],
        "clv_per_customer": [820.4, 905.2], "base_value": [181_253.0, 181_253.0],
        "value_change": [0.0, 18_760.5], "value_change_pct": [0.0, 0.1035],
        "extra_customer_years": [0.0, 12.5], "retention_cost": [0.0, 3_000.0],
        "net_value_change": [0.0, 15_760.5], "equivalent_new_customers": [0.0, 23.0],
        "equivalent_acquisition_cost": [0.0, 1_150.0], "best": [False, True],
        "customers": [868.0, 868.0]})


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_table_headers_are_human_in_both_languages(lang):
    ctx = setup({}, lang=lang, audience="client")
    table = ctx.table(_scenarios())
    headers = list(table.data.columns)
    assert not [h for h in headers if SNAKE.match(str(h))], headers
    if lang == "zh":
        assert all(re.search(r"[\u4e00-\u9fff]", h) for h in headers), headers
    row = table.data.iloc[1].tolist()
    assert i18n.t("fmt.yes", lang) in row and "True" not in row
    assert "868" in row and "868.000" not in row and "868.00" not in row  # a count
    assert "60.0%" in row and "10.3%" in row  # shares as percentages, not 0.1035
    assert "¥905" in row and "¥18,760" in row  # unambiguous amounts with the currency
    html = table._repr_html_()
    assert 'class="clv-table-wrap"' in html and "clv-wide" in html  # 13 columns: compact


def test_table_dates_and_integral_float_columns():
    ctx = setup({}, audience="client")
    frame = pd.DataFrame({"first_purchase": pd.to_datetime(["2024-03-31", "2024-04-02"]),
                          "total_actual": [362.0, 471.0], "estimate": [0.95, 1.5]})
    cells = ctx.table(frame).data.iloc[0].tolist()
    assert cells == ["2024-03-31", "362", "0.95"]


def test_column_kinds_and_currency_codes():
    assert column_kind("share_revenue") == "share" and column_kind("p_alive") == "share"
    assert column_kind("n_promoters") == "count" and column_kind("clv") == "money"
    assert column_kind("segment_label") == ""
    assert currency_code("¥") == "cny" and currency_code("$") == "usd"
    assert currency_code("EUR") == "eur" and currency_code("元") == "cny"
    assert currency_code("zł") == "amount"


def test_exports_round_and_name_units_but_keep_contract_columns():
    frame = pd.DataFrame({"customer_id": ["C1"], "clv": [34453.12499365391],
                          "revenue": [14874.720000000001], "p_alive": [0.123456789],
                          "churn_risk": [0.87654321], "orders": [3], "segment": ["x"]})
    out = for_export(frame, "¥")
    assert list(out.columns) == ["customer_id", "clv", "revenue_cny", "p_alive", "churn_risk",
                                 "orders", "segment"]
    assert out["clv"].iloc[0] == 34453.12 and out["revenue_cny"].iloc[0] == 14874.72
    assert out["p_alive"].iloc[0] == 0.1235 and out["churn_risk"].iloc[0] == 0.8765
    assert frame["clv"].iloc[0] == 34453.12499365391  # the input is not changed


def test_csv_injection_is_neutralised_and_numbers_untouched():
    frame = pd.DataFrame({
        "comment": ['=HYPERLINK("http://evil","click")', "+1 call me", "-2+3", "@SUM(A1)",
                    "\tx", "fine", None],
        "amount": ["-148.25", "+3", "1e5", "-", "=1+1", "12", "0"],
        "value": [-1.0, 2.0, 3.0, 4.0, 5.0, 6.0, np.nan],
        "channel": pd.Categorical(["=cmd", "web", "web", "web", "web", "web", "web"])})
    out = neutralise_formulas(frame)
    assert out["comment"].tolist()[:6] == ["'=HYPERLINK(\"http://evil\",\"click\")",
                                           "'+1 call me", "'-2+3", "'@SUM(A1)", "'\tx", "fine"]
    # a missing cell stays missing (pandas 3 stores the None as NaN in its str column)
    assert pd.isna(out["comment"].iloc[6])
    assert out["amount"].tolist() == ["-148.25", "+3", "1e5", "'-", "'=1+1", "12", "0"]
    pd.testing.assert_series_equal(out["value"], frame["value"])  # numeric: untouched
    assert out["channel"].iloc[0] == "'=cmd"


def test_save_table_csv_is_rounded_and_formula_safe(tmp_path):
    ctx = setup({}, audience="client", output_dir=tmp_path)
    frame = pd.DataFrame({"customer_id": ["C00001"], "segment_label": ["=HYPERLINK(\"x\")"],
                          "value": [1234.5678], "churn_risk": [0.333333333]})
    csv, parquet = ctx.save_table(frame, "scored")
    text = csv.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0] == "customer_id,customer_ref,segment_label,value_cny,churn_risk"
    assert "'=HYPERLINK" in text and "1234.57" in text and "0.3333" in text
    exact = pd.read_parquet(parquet)  # for programs: exact values, own names
    assert exact["value"].iloc[0] == 1234.5678 and exact["segment_label"].iloc[0][0] == "="


def test_write_scored_csv_neutralises_and_rounds(tmp_path):
    scored = pd.DataFrame({"customer_id": ["=1+2", "C2"], "segment": ["a", "b"],
                           "tier": ["t", "t"], "clv": [1.23456, 2.0], "p_alive": [0.5, 0.25],
                           "churn_risk": [0.123456, 0.2], "action": ["@x", "keep"],
                           "profit": [10.005, -3.3333]})
    paths = write_scored(scored, tmp_path, currency="$")
    back = pd.read_csv(paths["csv"], encoding="utf-8-sig", dtype=str)
    assert back.columns.tolist()[-1] == "profit_usd"
    assert back["customer_id"].tolist()[0] == "'=1+2" and back["action"][0] == "'@x"
    assert back["clv"].tolist() == ["1.23", "2.0"] and back["churn_risk"][0] == "0.1235"


def test_data_dictionary_describes_every_exported_column(tmp_path):
    pd.DataFrame({"customer_id": ["C1"], "clv": [1.0], "revenue_cny": [2.0],
                  "odd_column": [1]}).to_csv(tmp_path / "scored.csv", index=False,
                                             encoding="utf-8-sig")
    text = data_dictionary(tmp_path, lang="en", currency="¥")
    assert "## scored.csv" in text
    assert "| `revenue_cny` | Revenue over the window (currency). | ¥ |" in text
    assert "| `odd_column` | Column as given in the source data. | – |" in text
    zh = data_dictionary(tmp_path, lang="zh", currency="¥")
    assert zh.startswith("# 数据字典") and "收入" in zh


def test_parameters_in_plain_words():
    rows = shown_rows({"use_models": False, "discount_rate_annual": 0.1, "config": "",
                       "salt": "secret", "output_dir": "/x"}, "en")
    assert rows == [("Column mapping file", "–"), ("Use CLV models", "No"),
                    ("Yearly discount rate", "0.1")]
    assert inline_rows(rows[:2], "zh") == "Column mapping file：–；Use CLV models：No"
    assert param_value(2500.0) == "2,500" and param_value(True, "zh") == "是"


def _notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    intro = ("# Churn\n\nWho leaves and when.\n\nRun with `clvkit report` (all sections), "
             "or open in JupyterLab and run all cells.")
    zh = "# 流失\n\n谁会流失。\n\n用 `clvkit report` 运行全部章节，也可在JupyterLab中打开。"
    nb.cells = [nbformat.v4.new_markdown_cell(intro, metadata={"i18n": {"zh": zh}}),
                nbformat.v4.new_markdown_cell("Set `use_models` to False.",
                                              metadata={"tags": [ANALYST_TAG]}),
                nbformat.v4.new_markdown_cell("## Results")]
    return nb


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_client_pages_carry_no_run_instructions(lang):
    client = render_html(_notebook(), lang=lang, audience="client")
    analyst = render_html(_notebook(), lang=lang, audience="analyst")
    for text in ("clvkit report", "JupyterLab", "use_models"):
        assert text not in client and text in analyst
    assert ("Who leaves and when." if lang == "en" else "谁会流失。") in client
    assert len(audience_notebook(_notebook(), "client").cells) == 2


def test_chinese_markdown_gets_full_width_punctuation():
    client = render_html(_notebook(), lang="zh", audience="client")
    assert "谁会流失。" in client
    nb = _notebook()
    nb.cells[2].metadata["i18n"] = {"zh": "## 结果\n\n共 1,234 位客户;流失率: 5%, 见 `a,b`。"}
    page = render_html(nb, lang="zh", audience="client")
    assert "共 1,234 位客户；流失率：5%，见 <code>a,b</code>。" in page


def test_print_stylesheet_keeps_tables_whole():
    from clvkit.report._html import _css

    css = _css()
    assert "@media print" in css and "@page" in css
    assert ".clv-table-wrap" in css and "overflow: visible" in css
