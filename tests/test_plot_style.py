"""The figure style: CJK fonts behind a stale font cache, distinct tick labels, data
strings drawn literally (no mathtext)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest

mpl.use("Agg")
import matplotlib.pyplot as plt

import clvkit as ck
from clvkit import i18n
from clvkit.plots import style

SRC = Path(ck.__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _english():
    """English, and matplotlib settings restored after each test (setup() styles them)."""
    import matplotlib as mpl

    i18n.set_language("en")
    with mpl.rc_context():
        yield
    i18n.set_language("en")
    plt.close("all")


def _labels(axis) -> list[str]:
    axis.axes.figure.canvas.draw()
    return [t.get_text() for t in axis.get_ticklabels() if t.get_text()]


# --- fonts ---------------------------------------------------------------------------
def _stale_cache(folder: Path) -> Path:
    """A MPLCONFIGDIR whose font list was written before the CJK fonts were installed."""
    env = {**os.environ, "MPLCONFIGDIR": str(folder)}
    subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], env=env,
                   check=True)
    (cache,) = folder.glob("fontlist-v*.json")
    data = json.loads(cache.read_text(encoding="utf-8"))
    files = {e["fname"] for e in data["ttflist"] if any(f in e["name"] for f in style.CJK_FONTS)}
    if not files:
        pytest.skip("no CJK font installed on this machine (apt-get install fonts-noto-cjk)")
    data["ttflist"] = [e for e in data["ttflist"] if e["fname"] not in files]
    cache.write_text(json.dumps(data), encoding="utf-8")
    return cache


_DRAW_ZH = textwrap.dedent("""
    import logging, warnings
    import matplotlib; matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from clvkit.plots import style
    print("cached-before", style.has_cjk_font())
    logs = []
    handler = logging.Handler(); handler.emit = lambda r: logs.append(r.getMessage())
    logging.getLogger("matplotlib").addHandler(handler)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        style.apply_style("zh")
        fig, ax = plt.subplots()
        ax.set_title("客户终身价值与流失率"); ax.set_xlabel("月份"); ax.plot([0, 1], [0, 1])
        fig.savefig("{png}")
    print("warnings", [str(w.message) for w in caught] + logs)
    print("font", style.ensure_cjk_font())
""")


def test_stale_font_cache_is_refreshed_and_chinese_draws_without_missing_glyphs(tmp_path):
    cache = _stale_cache(tmp_path / "mpl")
    env = {**os.environ, "MPLCONFIGDIR": str(tmp_path / "mpl"), "PYTHONPATH": str(SRC)}
    script = _DRAW_ZH.replace("{png}", str(tmp_path / "zh.png"))
    run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                         text=True, check=False)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out
    assert "cached-before False" in out  # the cache really was stale
    assert "missing from font" not in out and "Glyph" not in out, out
    assert "warnings []" in out, out
    assert any(f"font {name}" in out for name in style.CJK_FONTS), out
    # the refreshed list was written back: the next process finds the font at once
    assert any("CJK" in e["name"] or "WenQuanYi" in e["name"]
               for e in json.loads(cache.read_text(encoding="utf-8"))["ttflist"])
    again = subprocess.run(
        [sys.executable, "-c", "from clvkit.plots import style; print(style.has_cjk_font())"],
        env=env, capture_output=True, text=True, check=True)
    assert again.stdout.strip() == "True"


def test_stale_cache_without_the_check_would_draw_empty_boxes(tmp_path):
    """The failure the check prevents: the stale list alone draws tofu and warns."""
    _stale_cache(tmp_path / "mpl")
    env = {**os.environ, "MPLCONFIGDIR": str(tmp_path / "mpl"), "PYTHONPATH": str(SRC)}
    script = textwrap.dedent(f"""
        import warnings
        import matplotlib; matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fig, ax = plt.subplots(); ax.set_title("客户")
            fig.savefig({str(tmp_path / "tofu.png")!r})
        print([str(w.message) for w in caught])
    """)
    run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                         text=True, check=True)
    assert "missing from font" in run.stdout


def test_no_cjk_font_stops_with_the_install_command(tmp_path):
    env = {**os.environ, "MPLCONFIGDIR": str(tmp_path / "mpl"), "PYTHONPATH": str(SRC),
           "MPL_IGNORE_SYSTEM_FONTS": "1"}  # matplotlib sees only its own DejaVu fonts
    script = textwrap.dedent("""
        from clvkit.plots import style
        try:
            style.apply_style("zh")
        except style.MissingFontError as e:
            print("ERR", e)
        style.apply_style("en")  # English needs no CJK font
        print("en ok")
    """)
    run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                         text=True, check=True)
    assert "ERR no installed font can draw Chinese" in run.stdout
    assert "apt-get install fonts-noto-cjk" in run.stdout
    assert run.stdout.count("\n") == 2 and "en ok" in run.stdout  # one line, then English


def test_ensure_cjk_font_checks_glyph_coverage():
    if not style.has_cjk_font():
        pytest.skip("no CJK font installed")
    assert style.ensure_cjk_font() in style.CJK_FONTS
    with pytest.raises(style.MissingFontError, match="no installed font can draw Chinese"):
        style.ensure_cjk_font(fonts=("DejaVu Sans",))  # installed, but no Chinese glyphs


# --- tick labels ---------------------------------------------------------------------
@pytest.mark.parametrize(("low", "high"), [(0.0, 0.042), (0.9, 0.99), (0.0, 1.0),
                                           (0.011, 0.013), (0.2, 0.35)])
def test_percent_ticks_are_distinct_and_exact(low, high):
    _fig, ax = plt.subplots()
    ax.plot([0, 1], [low, high])
    ax.yaxis.set_major_formatter(style.percent_formatter())
    labels = _labels(ax.yaxis)
    assert len(labels) >= 3 and len(set(labels)) == len(labels), labels
    for tick in ax.yaxis.get_ticklabels():
        if tick.get_text():  # each label says exactly the value at its own tick
            assert float(tick.get_text().rstrip("%")) == pytest.approx(
                100 * tick.get_position()[1], abs=1e-9), tick
    decimals = {len(t.rstrip("%").partition(".")[2]) for t in labels}
    assert len(decimals) == 1  # the same decimals on every tick


def test_money_ticks_units_by_language():
    _fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1750])
    ax.yaxis.set_major_formatter(style.money_formatter("¥"))
    labels = _labels(ax.yaxis)
    assert "¥1,750" in labels or "¥1,500" in labels
    assert not any("k" in t for t in labels), labels  # never ¥1.8k for 1,750
    ax.set_ylim(0, 60_000)
    assert _labels(ax.yaxis)[:3] == ["¥0", "¥10k", "¥20k"]
    if not style.has_cjk_font():
        pytest.skip("no CJK font installed")
    with mpl.rc_context():
        style.apply_style("zh")
        i18n.set_language("zh")
        _fig, ax = plt.subplots()  # texts take the font list in force when created
        ax.plot([0, 1], [0, 60_000])
        ax.set_ylim(0, 60_000)
        ax.yaxis.set_major_formatter(style.money_formatter("¥"))
        assert _labels(ax.yaxis)[:3] == ["¥0", "¥1万", "¥2万"]
        ax.set_ylim(0, 2.5e8)
        labels = _labels(ax.yaxis)
    assert labels[1] == "¥0.5亿" and len(set(labels)) == len(labels), labels


def test_count_axis_has_whole_numbers():
    _fig, ax = plt.subplots()
    ax.bar([0, 1, 2], [1, 2, 3])
    style.count_axis(ax.yaxis)
    labels = _labels(ax.yaxis)
    assert all(t.replace(",", "").isdigit() for t in labels), labels


# --- formatters ----------------------------------------------------------------------
def test_money_words_in_each_language():
    assert i18n.format_money(1750, compact=True, lang="en") == "¥1,750"
    assert i18n.format_money(1750, compact=True, lang="zh") == "¥1,750"
    assert i18n.format_money(12_345, compact=True, lang="en") == "¥12.3k"
    assert i18n.format_money(12_345, compact=True, lang="zh") == "¥1.23万"
    assert i18n.format_money(4_560_000, compact=True, lang="zh") == "¥456万"
    assert i18n.format_money(350_000_000, compact=True, lang="zh") == "¥3.50亿"
    assert i18n.format_money(-2_500_000, "$", compact=True, lang="en") == "-$2.50M"
    assert i18n.format_money(float("nan")) == "n/a"


def test_intervals_in_words():
    assert i18n.format_interval(-3.0, 12.0, lang="en") == "no clear difference (-3.0 to +12.0)"
    assert i18n.format_interval(2.0, 12.0, lang="en") == "between +2.0 and +12.0"
    money = lambda v: i18n.format_money(v, "¥")  # noqa: E731
    assert i18n.format_interval(-30, 410, money, lang="zh") == "无明显差异（-¥30至¥410）"


def test_chinese_punctuation_in_generated_sentences():
    assert i18n.punctuate("流失率: {rate:,.1f}, 共 1,234 位客户; 见 `a,b` 12:30") == (
        "流失率：{rate:,.1f}，共 1,234 位客户；见 `a,b` 12:30")
    assert i18n.punctuate("a, b: c", "en") == "a, b: c"
    # every Chinese catalogue text comes out with full-width punctuation
    ascii_punct = re.compile(r"(?<!\d)[,:;]|[,:;](?!\d)")
    for key in i18n._catalogue()["zh"]:
        text = i18n._FIELD_OR_CODE.sub("", i18n.t(key, "zh"))
        assert not ascii_punct.search(text), (key, text)


def test_lists_use_the_chinese_enumeration_comma():
    assert i18n.join_list(["交易", "客户"], "zh") == "交易、客户"
    assert i18n.join_list(["a", "b"], "en") == "a, b"


def test_yes_no_dates_periods():
    assert i18n.format_yes_no(True, "en") == "Yes" and i18n.format_yes_no(np.False_, "zh") == "否"
    assert i18n.format_date(pd.Timestamp("2024-03-31 10:00"), "en") == "2024-03-31"
    assert i18n.format_date("2024-03-31", "zh") == "2024年3月31日"
    assert i18n.format_period(pd.Period("2024Q1"), lang="en") == "2024 Q1"
    assert i18n.format_period(pd.Period("2024Q1"), lang="zh") == "2024年第1季度"
    assert i18n.format_period(pd.Period("2024-03", "M"), lang="zh") == "2024年3月"
    assert i18n.period_kind(pd.period_range("2024Q1", periods=4, freq="Q")) == "quarter"


def test_nps_trend_title_names_the_real_period():
    idx = pd.period_range("2023Q1", periods=6, freq="Q")
    trend = pd.DataFrame({"score": [10, 12, 8, 15, 11, 9], "ci_low": 0, "ci_high": 20,
                          "n": 50}, index=idx)
    ax = ck.plots.plot_nps_trend(trend)
    assert ax.get_title().startswith("NPS by quarter")
    assert ax.get_xlabel() == "Quarter"
    assert [t.get_text() for t in ax.get_xticklabels()][:2] == ["2023 Q1", "2023 Q2"]


# --- mathtext ------------------------------------------------------------------------
def test_plain_escapes_dollars():
    assert style.plain("$x$") == r"\$x\$"
    assert style.plain(3) == "3"


def test_data_strings_with_dollars_are_drawn_literally(tmp_path):
    """A channel named "$x$" or "$\\x$" (an invalid formula) must not break a figure."""
    curves = pd.DataFrame({
        "segment": ["$x$"] * 2 + [r"$\x$"] * 2, "time_months": [1.0, 2.0] * 2,
        "survival": [0.9, 0.8, 0.7, 0.6], "ci_low": 0.5, "ci_high": 0.95, "customers": 10})
    ax = ck.plots.plot_survival(curves)
    nps = pd.DataFrame({"score": [10.0, -5.0], "ci_low": [0.0, -9.0], "ci_high": [20.0, 1.0],
                        "n": [40, 30]}, index=pd.Index([r"$\x$", "$y$"], name="channel"))
    ax2 = ck.plots.plot_nps_by_segment(nps)
    for axes in (ax, ax2):
        axes.figure.savefig(tmp_path / "labels.png")  # an unescaped "$\x$" raises here
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [r"\$x\$ (n=10)", r"\$\x\$ (n=10)"]
    for text in ax.get_legend().get_texts():  # drawn as plain text, not as a formula
        assert not text._preprocess_math(text.get_text())[1]
    assert ax2.get_title() == "NPS by channel"


def test_churn_series_titles_name_the_churn_rule():
    ends = pd.date_range("2024-01-31", periods=4, freq="ME")
    series = pd.DataFrame({"period_start": ends - pd.DateOffset(months=1),
                           "churn_rate": [0.02, 0.03, 0.025, 0.04]}, index=ends)
    series["retention"] = 1 - series["churn_rate"]
    series.attrs = {"definition": "inactivity", "inactivity_days": 365}
    first = ck.plots.plot_churn_series(series).get_title()
    series.attrs = {"definition": "contractual", "inactivity_days": None}
    second = ck.plots.plot_churn_series(series).get_title()
    assert first.endswith("lost = no purchase for 365 days")
    assert second.endswith("lost = a cancelled contract") and first != second
