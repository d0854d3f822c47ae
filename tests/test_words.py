"""Presentation lives in report/: computation modules never import clvkit.i18n, and the
moved sentence and label functions word real results exactly as the old methods did.

The expected texts below were printed by the code before the move (the ``.sentence()``
methods, ``lang=`` arguments and ``*_label`` columns of metrics, models and segments)
on the same demo data, in English and Chinese.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest

import clvkit as ck
from clvkit import report

SRC = Path(ck.__file__).resolve().parent
#: Packages that compute: they return numbers and codes, never words.
COMPUTATION = ("metrics", "models", "segments", "scoring", "engines")


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every module a source imports, absolute (``from .. import i18n`` -> clvkit.i18n),
    wherever the import statement is (module level or inside a function)."""
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            found.add(stem)
            found.update(f"{stem}.{alias.name}" for alias in node.names)
    return found


def _computation_modules() -> list[Path]:
    return sorted(p for name in COMPUTATION for p in (SRC / name).rglob("*.py"))


def test_the_import_reader_sees_every_form_of_importing_i18n():
    for source in ("from .. import i18n", "from ..i18n import t", "import clvkit.i18n",
                   "from clvkit import i18n", "def f():\n    from ..i18n import t\n"):
        assert "clvkit.i18n" in _imports(source, "clvkit.metrics.churn"), source
    assert "clvkit.i18n" in _imports("from .. import i18n", "clvkit.metrics", is_package=True)
    assert "clvkit.i18n" not in _imports("from .._messages import examples",
                                         "clvkit.metrics.churn")


def test_computation_modules_do_not_import_i18n():
    modules = _computation_modules()
    assert len(modules) > 40  # the packages were found
    offenders = [
        _module_name(path) for path in modules
        if "clvkit.i18n" in _imports(path.read_text(encoding="utf-8"), _module_name(path),
                                     path.name == "__init__.py")
    ]
    assert offenders == [], (
        f"{offenders} import clvkit.i18n: computation returns codes and numbers; put the "
        "words in clvkit/report/ (or clvkit/plots/)")


def test_importing_the_computation_does_not_load_i18n():
    # not even indirectly (e.g. through _messages or the validation modules)
    code = (
        "import importlib, pkgutil, sys\n"
        f"for name in {COMPUTATION!r}:\n"
        "    pkg = importlib.import_module('clvkit.' + name)\n"
        "    for info in pkgutil.iter_modules(pkg.__path__):\n"
        "        importlib.import_module(f'{pkg.__name__}.{info.name}')\n"
        "print('clvkit.i18n' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


# --- the moved words, on real results ------------------------------------------------

@pytest.fixture(scope="module")
def demo():
    return ck.datasets.make_demo(300, seed=1)


@pytest.fixture(scope="module")
def value(demo):
    summary = ck.rfm_summary(demo.transactions, demo.observation_end)
    return ck.models.customer_value(summary, margin=0.35)


@pytest.fixture(scope="module")
def scored(demo, value):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ck.segments.scored_customers(demo, customer_value=value)


def test_metric_sentences_are_worded_as_before(demo, value):
    churn = ck.metrics.churn_rate(demo)
    contract = ck.metrics.churn_rate(demo, definition="contractual")
    score = ck.metrics.nps(demo.surveys["nps"])
    concentration = ck.metrics.value_concentration(value["clv"])
    assert report.sentence(churn, "en") == (
        "Between 2024-06-30 and 2025-06-30, 59 customers were lost out of 188 active on "
        "average: a churn rate of 31.4% and a retention of 68.6% (lost means no purchase for "
        "365 days).")
    assert report.sentence(churn, "zh") == (
        "2024-06-30至2025-06-30期间，平均188名活跃客户中流失了59名：流失率为31.4%，留存率为"
        "68.6%（流失定义：连续365天无购买）。")
    assert report.sentence(contract, "en").startswith(
        "Between 2024-06-30 and 2025-06-30, 19 contract customers were lost out of 31")
    assert report.sentence(contract, "zh").endswith("（流失定义：合同已取消）。")
    assert report.sentence(score, "en") == (
        "The NPS is +5 (95% CI -9 to +18, adjusted Wald) from 154 responses: 38.3% promoters "
        "and 33.8% detractors.")
    assert report.sentence(score, "zh") == (
        "净推荐值为+5（95%置信区间-9至+18，调整Wald法），基于154份回答：推荐者占38.3%，"
        "贬损者占33.8%。")
    assert report.sentence(concentration, "en", "$") == (
        "The top 20% of customers (60) hold 74.3% of the total of $82,846 (Gini 0.72).")
    assert report.sentence(concentration, "zh", "$") == (
        "价值最高的20%客户（60名）占总额$82,846的74.3%（基尼系数0.72）。")
    with pytest.raises(TypeError, match="sentence\\(\\) does not know how to describe a dict"):
        report.sentence({"rate": 0.1})


def test_model_facts_are_worded_as_before(demo, value):
    bg = ck.models.fit_bgnbd(ck.rfm_summary(demo.transactions, demo.observation_end))
    assert report.parameter_facts(bg, lang="en") == {
        "n": "300", "repeaters": "251", "rate": "0.16", "unit": "week", "dropout": "16.0%"}
    assert report.parameter_facts(bg, lang="zh")["unit"] == "周"
    assert report.value_facts(value, currency="$", lang="en") == {
        "months": "12", "n": "300", "total": "$82,846", "basis": "margin at 35.0% of revenue",
        "rate": "10.0%", "mean": "$276", "top_share": "74.3%", "alive_share": "64.0%"}
    assert report.value_facts(value, currency="$", lang="zh")["basis"] == "按收入的35.0%毛利计"


def test_segment_names_are_worded_as_before(demo, value, scored):
    codes = ck.segments.value_tiers(demo, customer_value=value)
    assert "tier_label" not in codes and codes.index[0] == "top_1pct"
    assert report.labelled(codes, "en")["tier_label"].tolist() == [
        "Top 1%", "Next 4% (top 1-5%)", "Next 15% (top 5-20%)", "Rest (80%)"]
    assert report.labelled(codes, "zh")["tier_label"].tolist() == [
        "前1%", "其次4%（前1-5%）", "其次15%（前5-20%）", "其余（80%）"]
    named = report.labelled(scored, "zh")
    assert list(named["segment_label"].cat.categories) == [
        "重要价值客户", "忠诚客户", "重要发展客户", "新客户", "潜力客户", "需关注客户",
        "即将沉睡客户", "重要保持客户", "重要挽留客户", "沉睡客户", "流失客户"]
    assert list(named["action_label"].cat.categories) == [
        "保持", "降低服务成本", "培养增长", "低成本维护", "停止投入"]
    matrix = report.labelled(ck.segments.action_matrix(demo, customer_value=value), "en",
                             recommendations=True)
    high = matrix.loc[("high", "unprofitable")]
    assert (high["value_level_label"], high["second_level_label"], high["action_label"]) == (
        "High value", "Unprofitable", "Fix cost to serve")
    assert high["recommendation"] == (
        "They buy but cost more than they bring: cut the cost to serve (self-service, "
        "cheaper channels, fewer returns) or reprice.")
    view = report.labelled_view(ck.segments.cross_view(scored, "segment", "nps_group"), "zh")
    assert list(view.index)[-2:] == ["流失客户", "合计"]
    assert list(view["customers"].columns) == ["推荐者", "被动者", "贬损者", "未作答", "合计"]
    season = ck.segments.value_seasonality(demo.transactions,
                                           scored.set_index("customer_id")["tier"])
    peaks = ck.segments.seasonal_peaks(season, n=2)
    assert report.peak_names(peaks, "en")["peaks"].tolist() == [
        "Aug, Apr", "Jun, Jan", "Dec, Nov", "Nov, Dec"]
    assert report.peak_names(peaks, "zh")["peaks"].tolist() == [
        "8月、4月", "6月、1月", "12月、11月", "11月、12月"]


def test_card_is_worded_as_before(demo, scored):
    card = ck.segments.customer_card(scored["customer_id"].iloc[3], demo, scored=scored,
                                     display_id="P-1")
    assert repr(card) == "CustomerCard('P-1', segment='champions', tier='top_1_5pct', orders=57)"
    en = report.card_summary(card, lang="en", currency="$")
    assert en.name == "Customer P-1"
    assert list(en.items()) == [
        ("Segment", "Champions"), ("RFM scores (R-F-M)", "5-5-5"),
        ("Value tier", "Next 4% (top 1-5%)"), ("Orders", "57"), ("Revenue", "$22,105"),
        ("Profit (margin - cost to serve)", "$6,958"), ("Days since last purchase", "22"),
        ("P(alive)", "96.8%"), ("Expected purchases", "22.32"), ("CLV", "$3,063"),
        ("Churn risk", "3.2%"), ("Value basis", "CLV (model)"), ("Recommended action", "Keep")]
    zh = report.card_summary(card, lang="zh", currency="$")
    assert zh.name == "客户 P-1"
    assert zh["客户分群"] == "重要价值客户" and zh["价值层级"] == "其次4%（前1-5%）"
    assert zh["建议行动"] == "保持" and zh["价值口径"] == "客户终身价值（模型）"
    html = report.card_html(card, lang="zh", currency="$")
    assert "<strong>客户 P-1</strong>" in html and "守住这些关系" in html


def test_labelled_rejects_codes_it_cannot_name(scored):
    with pytest.raises(ck.ParameterError,
                       match=r"labelled\(\) cannot name 'region'; codes it names: segment"):
        report.labelled(scored, "en", codes=("segment", "region"))
    only = report.labelled(scored, "en", codes=("nps_group",))
    assert "nps_group_label" in only and "segment_label" not in only
    assert isinstance(only, pd.DataFrame)
