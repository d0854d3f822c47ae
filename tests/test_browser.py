"""Open the generated report in a real headless Chromium (Debian's package, driven by
Playwright without downloading a browser) and check what a reader would see."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

import clvkit as ck

pytestmark = [pytest.mark.browser, pytest.mark.notebook, pytest.mark.slow]

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
CHROMIUM = os.environ.get("CLVKIT_CHROMIUM") or shutil.which("chromium") or shutil.which(
    "chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"]
DEMO_CUSTOMERS = 300
RAW_ID = re.compile(r"\bC\d{5}\b")  # demo customer ids look like C00042

if CHROMIUM is None:
    pytest.skip("Chromium not installed (apt-get install chromium): browser test skipped",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed")


CARD_CUSTOMER = "C00007"  # a raw id asked for on the 360 card of the English run
SALT = "browser-test-key"  # the pseudonym key of both runs


def _run(tmp_path_factory, lang: str, **params) -> Path:
    out = tmp_path_factory.mktemp(f"report-{lang}") / "latest"
    ck.report.run_report(out, notebooks=NOTEBOOKS, lang=lang, audience="client",
                         params={"demo_customers": DEMO_CUSTOMERS, "salt": SALT, **params})
    return out


@pytest.fixture(scope="module")
def report_en(tmp_path_factory) -> Path:
    return _run(tmp_path_factory, "en", card_customer=CARD_CUSTOMER)


_STALE_CACHE: list[Path] = []


def _stale_font_cache(folder: Path) -> Path:
    """A matplotlib config folder whose font list predates the CJK fonts (the cache a
    first run leaves behind before ``apt-get install fonts-noto-cjk``)."""
    import json
    import subprocess
    import sys

    from clvkit.plots.style import CJK_FONTS

    env = {**os.environ, "MPLCONFIGDIR": str(folder)}
    subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], env=env,
                   check=True)
    (cache,) = folder.glob("fontlist-v*.json")
    data = json.loads(cache.read_text(encoding="utf-8"))
    cjk = {e["fname"] for e in data["ttflist"] if any(f in e["name"] for f in CJK_FONTS)}
    data["ttflist"] = [e for e in data["ttflist"] if e["fname"] not in cjk]
    cache.write_text(json.dumps(data), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def report_zh(tmp_path_factory) -> Path:
    """The Chinese client report, built with a stale matplotlib font cache."""
    stale = _stale_font_cache(tmp_path_factory.mktemp("mplconfig"))
    _STALE_CACHE.append(stale)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MPLCONFIGDIR", str(stale))  # the kernels inherit it
        return _run(tmp_path_factory, "zh")


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


_INSPECT = """() => {
  const size = el => { const r = el.getBoundingClientRect(); return [r.width, r.height]; };
  return {
    lang: document.documentElement.lang,
    h1: [...document.querySelectorAll('h1')].map(h => h.textContent),
    images: [...document.querySelectorAll('img')].map(
        i => [i.complete, i.naturalWidth, ...size(i)]),
    plotly: [...document.querySelectorAll('.plotly-graph-div')].map(
        d => [d.querySelectorAll('.main-svg').length, ...size(d)]),
    svgs: [...document.querySelectorAll('figure svg')].map(size),
    tables: [...document.querySelectorAll('table')].map(
        t => [t.className, t.querySelectorAll('tbody tr').length]),
    links: [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href')),
    html: document.documentElement.outerHTML,
  };
}"""


def _open(browser, path: Path) -> tuple[dict, list[str]]:
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    page.on("request", lambda r: problems.append(f"network request: {r.url}")
            if not r.url.startswith(("file:", "data:", "blob:")) else None)
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_timeout(300)  # plotly draws asynchronously after load
    info = page.evaluate(_INSPECT)
    page.close()
    return info, problems


def _pages(out: Path) -> list[Path]:
    sections = sorted(p for p in out.glob("[0-9][0-9]_*.html"))
    assert sections, f"no section pages in {out}"
    return [out / "index.html", *sections]


def test_every_page_renders_offline_without_errors(browser, report_en):
    index_links = _open(browser, report_en / "index.html")[0]["links"]
    plotly_drawn = 0
    for path in _pages(report_en):
        info, problems = _open(browser, path)
        assert problems == [], f"{path.name}: {problems}"
        assert info["lang"] == "en" and info["h1"], path.name
        for complete, natural, width, height in info["images"]:
            assert complete and natural > 0 and width > 0 and height > 0, path.name
        for n_svg, width, height in info["plotly"]:
            assert n_svg > 0 and width > 0 and height > 0, f"{path.name}: plotly not drawn"
            plotly_drawn += 1
        for width, height in info["svgs"]:
            assert width > 0 and height > 0, path.name
        for cls, rows in info["tables"]:
            assert rows > 0, f"{path.name}: empty table ({cls})"
        if path.name != "index.html":
            assert path.name in index_links
            assert info["images"] or info["plotly"] or info["svgs"], f"{path.name}: no chart"
    assert plotly_drawn > 0, "no interactive (plotly) chart was drawn on any page"


def _personal_data() -> dict[str, set[str]]:
    people = ck.datasets.make_demo(DEMO_CUSTOMERS, seed=42).customers
    return {kind: set(people[kind].dropna()) for kind in ("email", "phone", "name")}


def test_client_report_shows_no_raw_customer_data(browser, report_en):
    personal = _personal_data()
    for path in _pages(report_en):
        html = _open(browser, path)[0]["html"]
        assert not RAW_ID.findall(html), f"{path.name}: raw ids {RAW_ID.findall(html)[:5]}"
        for kind, values in personal.items():  # demo names are Chinese: none belongs here
            assert not [v for v in values if v in html], f"{path.name}: {kind} shown"
    card = (report_en / "06_segments_actions.html").read_text(encoding="utf-8")
    assert ck.report.pseudonymise(CARD_CUSTOMER, SALT) in card


def test_client_report_keeps_no_raw_customer_data_in_its_notebooks(report_en):
    personal = _personal_data()
    for path in sorted((report_en / "notebooks").glob("*.ipynb")):
        text = path.read_text(encoding="utf-8")
        assert not RAW_ID.findall(text), f"{path.name}: raw ids {RAW_ID.findall(text)[:5]}"
        for kind in ("email", "phone"):
            assert not [v for v in personal[kind] if v in text], f"{path.name}: {kind} kept"


def test_chinese_report_has_no_missing_glyphs_despite_a_stale_font_cache(report_zh):
    kept = sorted((report_zh / "notebooks").glob("*.ipynb"))
    assert kept
    for path in kept:
        assert "missing from font" not in path.read_text(encoding="utf-8"), path.name
    # the kernels found the CJK font by rescanning, and wrote the refreshed list back
    import json

    from clvkit.plots.style import CJK_FONTS

    (cache,) = _STALE_CACHE[0].glob("fontlist-v*.json")
    names = {e["name"] for e in json.loads(cache.read_text(encoding="utf-8"))["ttflist"]}
    assert names & set(CJK_FONTS)


def test_chinese_report_translated(browser, report_zh):
    cjk = re.compile(r"[\u4e00-\u9fff]")
    for path in _pages(report_zh):
        info, problems = _open(browser, path)
        assert problems == [], f"{path.name}: {problems}"
        assert info["lang"] == "zh", path.name
        assert info["h1"] and all(cjk.search(h) for h in info["h1"]), f"{path.name}: {info['h1']}"


# --- client pages carry no developer residue ------------------------------------------
PAGES = ["index", "00_executive_summary", "01_data_quality", "02_churn_retention",
         "03_satisfaction", "04_clv_models", "05_churn_prediction", "06_segments_actions"]
CHECKS = ["snake_case_headers", "snake_case_cells", "boolean_cells",
          "whole_numbers_with_decimals", "overflow", "run_instructions", "code_in_prose",
          "ascii_punctuation"]

_RESIDUE = """() => {
  const text = el => el.textContent.trim();
  const main = document.querySelector('main');
  const right = main.getBoundingClientRect().right;
  const where = el => {
    const t = el.closest('table');
    const first = t ? (t.querySelector('th') || {}).textContent : '';
    return `${el.tagName.toLowerCase()} "${text(el).slice(0, 40)}"`
      + (t ? ` in table [${first}]` : '');
  };
  const all = sel => [...document.querySelectorAll(sel)];
  const out = {overflow: []};
  out.headers = all('main table thead th').map(text);
  out.cells = all('main table td').map(text);
  out.columns = [];  // every body column of every table, to judge a column's format
  for (const t of all('main table')) {
    const rows = [...t.querySelectorAll('tbody tr')];
    const width = Math.max(0, ...rows.map(r => r.children.length));
    for (let i = 0; i < width; i++)
      out.columns.push(rows.map(r => (r.children[i] ? text(r.children[i]) : '')));
  }
  const boxes = 'main td, main th, main p, main li, main h1, main h2, main h3, main img, '
    + 'main svg, main .clv-table-wrap, main .clv-html, main pre, main .plotly-graph-div';
  for (const el of all(boxes)) {
    const r = el.getBoundingClientRect();
    if (r.width === 0) continue;
    if (r.right > right + 1)
      out.overflow.push(`${where(el)} sticks out by ${Math.round(r.right - right)} px`);
    const scrolls = el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0;
    if (scrolls && !['svg', 'IMG'].includes(el.tagName))
      out.overflow.push(`${where(el)}: ${el.scrollWidth} px of content in ${el.clientWidth} px`);
  }
  out.prose = all('main .clv-md').map(text);
  out.code = all('main .clv-md:not(.clv-generated) code').map(text);
  out.sentences = all('main .clv-md').map(text);  // generated sentences and prose
  return out;
}"""
_SEEN: dict[tuple[Path, str], dict] = {}
SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")
ASCII_PUNCT = re.compile(r"[\u4e00-\u9fff\uff08\uff09][,:;]|[,:;]\s*[\u4e00-\u9fff]")
WHOLE = re.compile(r"^-?([1-9]\d{1,2}(,\d{3})*|\d{1,3}(,\d{3})+)\.0{2,}$")  # 868.000, not 0.00
NUMBER = re.compile(r"^-?\d{1,3}(,\d{3})*(\.\d+)?$")
DOWNLOAD = re.compile(r"^[\w.-]+\.(csv|parquet|json|md|html)$")
RUN_HINT = re.compile(r"clvkit report|JupyterLab|papermill", re.IGNORECASE)


def _residue(browser, out: Path, page: str) -> dict:
    """What a reader sees on one page (1200 px wide window), read once per page."""
    if (out, page) not in _SEEN:
        tab = browser.new_page(viewport={"width": 1200, "height": 900})
        tab.goto((out / f"{page}.html").as_uri(), wait_until="load")
        tab.wait_for_timeout(300)
        _SEEN[out, page] = tab.evaluate(_RESIDUE)
        tab.close()
    return _SEEN[out, page]


def _problems(info: dict, check: str, lang: str) -> list[str]:
    if check == "snake_case_headers":
        return [h for h in info["headers"] if SNAKE.match(h)]
    if check == "snake_case_cells":  # codes such as spend_per_year shown to a reader
        return sorted({c for c in info["cells"] if SNAKE.match(c)})
    if check == "boolean_cells":
        return sorted({c for c in info["cells"] if c in ("True", "False", "true", "false")})
    if check == "whole_numbers_with_decimals":  # "868.000" for a count of customers
        # a column of counts shown as floats; one estimate that rounds to 398.00 in a
        # column of 6.01, 12.85... is a number, not residue
        found = set()
        for column in info["columns"]:
            numbers = [c for c in column if NUMBER.match(c)]
            if numbers and all(WHOLE.match(c) for c in numbers):
                found.update(numbers)
        return sorted(found)
    if check == "overflow":
        return info["overflow"]
    if check == "run_instructions":
        return [p[:80] for p in info["prose"] if RUN_HINT.search(p)]
    if check == "code_in_prose":  # a download's file name may be shown as code
        return [c for c in info["code"] if not DOWNLOAD.match(c)]
    if check == "ascii_punctuation":
        if lang != "zh":
            return []
        return [s[max(0, m.start() - 15):m.end() + 15] for s in info["sentences"]
                for m in ASCII_PUNCT.finditer(s)]
    raise AssertionError(check)


#: Failures caused by notebook code the lead is changing (raw frames shown with
#: ctx.table, parameter names in markdown); (lang or "*", page, check) -> reason.
NOTEBOOK_CAUSED: dict[tuple[str, str, str], str] = {
}


def _case(lang: str, page: str, check: str):
    reason = NOTEBOOK_CAUSED.get((lang, page, check)) or NOTEBOOK_CAUSED.get(("*", page, check))
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(lang, page, check, marks=marks, id=f"{lang}-{page}-{check}")


@pytest.mark.parametrize(("lang", "page", "check"),
                         [_case(lang, page, check) for lang in ("en", "zh") for page in PAGES
                          for check in CHECKS if check != "ascii_punctuation" or lang == "zh"])
def test_client_page_has_no_developer_residue(browser, report_en, report_zh, lang, page, check):
    out = report_en if lang == "en" else report_zh
    problems = _problems(_residue(browser, out, page), check, lang)
    assert problems == [], f"{lang} {page}.html {check}: {problems[:8]}"


def test_exports_are_rounded_named_with_units_and_documented(report_en):
    """CSV exports for people and CRMs: cents, 4-decimal shares, a data dictionary."""
    import pandas as pd

    dictionary = (report_en / "data_dictionary.md").read_text(encoding="utf-8")
    for path in sorted(report_en.glob("*.csv")):
        assert f"## {path.name}" in dictionary, path.name
        frame = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
        for column in frame.columns:
            assert f"`{column}`" in dictionary, (path.name, column)
        for column in (c for c in frame.columns if c == "clv" or c.endswith("_cny")):
            decimals = frame[column].str.partition(".")[2].str.len()
            assert decimals.max() <= 2, (path.name, column, frame[column].head(3).tolist())
        for column in ("p_alive", "churn_risk", "churn_probability"):
            if column in frame:
                assert frame[column].str.partition(".")[2].str.len().max() <= 4, column
    scored = pd.read_csv(report_en / "scored_customers.csv", encoding="utf-8-sig", nrows=1)
    for name in ("customer_id", "customer_ref", "clv", "p_alive", "churn_risk", "segment",
                 "tier", "action", "revenue_cny", "profit_cny"):
        assert name in scored.columns, name
