"""Tests of clvkit.report: privacy, tables, sentences, exports, provenance, parameters,
HTML rendering, and `clvkit report` end to end (success, failure, determinism)."""

from __future__ import annotations

import ast
import json
import re
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest

import clvkit as ck
from clvkit import i18n
from clvkit.cli import main
from clvkit.exceptions import ParameterError, ReportError
from clvkit.report import _params
from clvkit.report._index import newly_at_risk
from clvkit.report._privacy import shown_parameters

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


@pytest.fixture(autouse=True)
def _english():
    i18n.set_language("en")
    yield
    i18n.set_language("en")


@pytest.fixture
def people() -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": ["C00001", "C00002", "C00003"],
        "name": ["Ann", "Bo", "Cy"],
        "email": ["a@x.cn", "b@x.cn", "c@x.cn"],
        "amount": [1234.5, 20.0, 3.25],
        "share": [0.5, 0.25, 0.25],
        "segment": ["<script>alert(1)</script>", "A&B", "普通"],
    })


# --- pseudonymisation ------------------------------------------------------------------
def test_pseudonym_is_hmac_sha256_prefix():
    # printf 'C00001' | openssl dgst -sha256 -hmac clvkit-demo -> e28a7366bd40...
    assert ck.report.pseudonymise("C00001", "clvkit-demo") == "C-e28a7366"


def test_pseudonym_stable_per_salt_and_type_insensitive():
    assert ck.report.pseudonymise(1001, "s") == ck.report.pseudonymise("1001", "s")
    assert ck.report.pseudonymise("C1", "a") != ck.report.pseudonymise("C1", "b")


def test_pseudonym_needs_salt():
    with pytest.raises(ParameterError, match="salt must be a non-empty string"):
        ck.report.pseudonymise("C1", "")


def test_pseudonymise_ids_keeps_index_and_missing():
    ids = pd.Series(["C1", None, "C1"], index=[10, 11, 12], name="customer_id")
    out = ck.report.pseudonymise_ids(ids, "s")
    assert list(out.index) == [10, 11, 12]
    assert out[10] == out[12] == ck.report.pseudonymise("C1", "s")
    assert out[11] is None


# --- ReportContext: tables, sentences, numbers ----------------------------------------
def test_table_client_pseudonymises_drops_pii_escapes_and_translates(people):
    before = people.copy()
    ctx = ck.report.setup(audience="client", salt="k")
    html = ctx.table(people, money=["amount"], pct=["share"])._repr_html_()
    assert "C00001" not in html and ck.report.pseudonymise("C00001", "k") in html
    assert "Ann" not in html and "a@x.cn" not in html
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "A&amp;B" in html and "普通" in html
    assert ">Customer<" in html and ">Amount<" in html  # common.toml keys
    assert "¥1,234" in html and "50.0%" in html
    pd.testing.assert_frame_equal(people, before)


def test_table_analyst_keeps_raw_ids_but_never_pii(people):
    ctx = ck.report.setup(audience="analyst")
    data = ctx.table(people.set_index("customer_id")).data
    assert list(data["Customer"]) == ["C00001", "C00002", "C00003"]
    assert not {"name", "email"} & set(data.columns)


def test_table_private_columns_only_for_analysts(people):
    frame = people.assign(examples="row 1: 'C00001'")
    assert "examples" not in ck.report.setup(audience="client").table(
        frame, private=["examples"]).data
    assert "examples" in ck.report.setup(audience="analyst").table(
        frame, private=["examples"]).data
    series = ck.report.setup(audience="client").table(  # a Series has no columns to drop
        people.set_index("customer_id")["amount"], private=["examples"])
    assert len(series.data) == 3 and "C00001" not in series.data.to_string()


def test_table_truncates_with_note_and_handles_empty(people):
    ctx = ck.report.setup(audience="client")
    table = ctx.table(people, max_rows=2)
    assert len(table.data) == 2 and table.n_rows == 3
    assert "Showing the first 2 of 3 rows." in table._repr_html_()
    assert ctx.table(people.head(0))._repr_html_() == '<p class="clv-empty">No rows.</p>'


def test_table_zh_headers():
    ctx = ck.report.setup(lang="zh")
    assert list(ctx.table(pd.DataFrame({"revenue": [1.0]})).data.columns) == ["收入"]


def test_say_escapes_values_and_formats_numbers():
    ctx = ck.report.setup(lang="en")
    text = ctx.say("dq_top_reason", reason="<b>*bad*</b>", rows=12345, share=ctx.pct(0.1234)).data
    assert text == ("The most common reason is *&lt;b&gt;\\*bad\\*&lt;/b&gt;*: 12,345 rows "
                    "(12.3% of rows read).")


def test_money_pct_num():
    ctx = ck.report.setup(currency="$")
    assert (ctx.money(-1234.6), ctx.pct(0.5), ctx.num(1234.56, 1)) == ("-$1,235", "50.0%",
                                                                        "1,234.6")


def test_setup_reads_parameters_from_namespace():
    namespace = {"lang": "zh", "audience": "analyst", "horizon_months": 12, "ds": object(),
                 "_hidden": 1, "In": ["x"]}
    ctx = ck.report.setup(namespace)
    assert ctx.params == {"lang": "zh", "audience": "analyst", "horizon_months": 12}
    assert (ctx.lang, ctx.audience, ctx.output_dir) == ("zh", "analyst", None)
    assert i18n.get_language() == "zh"


def test_setup_rejects_unknown_audience_and_language():
    with pytest.raises(ParameterError, match="audience must be one of 'client', 'analyst'; "
                                             "got 'public'"):
        ck.report.setup(audience="public")
    with pytest.raises(ParameterError, match="lang must be one of 'en', 'zh'; got 'fr'"):
        ck.report.setup(lang="fr")


# --- exports ---------------------------------------------------------------------------
def test_save_table_client_keeps_raw_ids_adds_ref_drops_pii(tmp_path, people):
    ctx = ck.report.setup(audience="client", salt="k", output_dir=str(tmp_path))
    csv, parquet = ctx.save_table(people.set_index("customer_id"), "scored")
    assert csv.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel
    back = pd.read_csv(csv, encoding="utf-8-sig")
    assert list(back.columns) == ["customer_id", "customer_ref", "amount", "share", "segment"]
    assert back["customer_ref"][0] == ck.report.pseudonymise("C00001", "k")
    assert back["segment"][2] == "普通"
    pd.testing.assert_frame_equal(pd.read_parquet(parquet), back)


def test_save_table_interactive_writes_nothing_and_checks_name(people):
    ctx = ck.report.setup()
    assert ctx.save_table(people, "scored") == []
    with pytest.raises(ParameterError, match="plain file name"):
        ctx.save_table(people, "../escape")
    with pytest.raises(ParameterError, match="formats must be 'csv' and/or 'parquet'; got 'xls'"):
        ctx.save_table(people, "x", formats=("xls",))


# --- provenance ------------------------------------------------------------------------
def test_data_hash_depends_on_content_only(people):
    same = people.copy()
    same.index = [7, 8, 9]
    assert ck.report.data_hash(people) == ck.report.data_hash(same)
    changed = people.assign(amount=people["amount"] + 0.01)
    assert ck.report.data_hash(changed) != ck.report.data_hash(people)


def test_provenance_record_travels_in_the_notebook_output(people):
    ctx = ck.report.setup({"seed": 3, "salt": "secret"})
    record = ck.report.provenance(ctx, people)
    bundle = record._repr_mimebundle_()
    saved = bundle["application/vnd.clvkit.provenance+json"]
    assert saved["data_sha256"] == ck.report.data_hash(people) == record.data_sha256
    assert saved["data_rows"] == 3 and saved["versions"]["clvkit"] == ck.__version__
    assert saved["parameters"]["seed"] == 3
    assert "secret" not in bundle["text/html"]  # the salt is never shown


def test_shown_parameters_hide_salt_password_and_client_customer_ids():
    params = {"salt": "k", "seed": 1, "card_customer": "C00001",
              "data": "postgresql://ana:pw123@db.example/shop"}
    client = shown_parameters(params, client=True, salt="k")
    assert client == {"seed": 1, "card_customer": ck.report.pseudonymise("C00001", "k"),
                      "data": "postgresql://ana:***@db.example/shop"}
    assert shown_parameters(params, client=True)["card_customer"] == "•••"  # salt unknown
    assert shown_parameters(params, client=False)["card_customer"] == "C00001"
    assert shown_parameters({"card_customer": ""}, client=True) == {"card_customer": ""}


def _executed_notebook(injected: str) -> nbformat.NotebookNode:
    """A notebook as papermill leaves it: parameters cell, injected cell, metadata."""
    nb = nbformat.v4.new_notebook()
    defaults = nbformat.v4.new_code_cell('salt = "dflt"\ncard_customer = ""')
    defaults.metadata["tags"] = ["parameters"]
    cell = nbformat.v4.new_code_cell(injected)
    cell.metadata["tags"] = ["injected-parameters"]
    nb.cells = [defaults, cell]
    nb.metadata["papermill"] = {"parameters": {"card_customer": "C00001", "seed": 3}}
    return nb


def test_kernel_manager_does_not_interrupt_a_kernel_it_shuts_down():
    import asyncio

    from clvkit.report._kernel import _ipc_kernel_manager

    manager = _ipc_kernel_manager()(kernel_name="python3")
    with pytest.raises(RuntimeError, match="No kernel is running"):  # the normal path
        asyncio.run(manager._async_interrupt_kernel())
    manager.shutting_down = True
    asyncio.run(manager._async_interrupt_kernel())  # nothing sent, nothing raised


def test_redact_secrets_applies_the_shown_parameters_rules_to_kept_notebooks():
    from clvkit.report._kernel import redact_secrets

    injected = ('# Parameters\nsalt = "k"\ncard_customer = "C00001"\nseed = 3\n'
                'data = "postgresql://ana:pw123@db.example/shop"\n')
    nb = _executed_notebook(injected)
    nb.metadata.papermill.parameters["salt"] = "k"
    client = redact_secrets(nb, audience="client").cells[1].source
    assert 'salt = "<redacted>"' in client and '"k"' not in client
    assert f'card_customer = "{ck.report.pseudonymise("C00001", "k")}"' in client
    assert "pw123" not in client and "ana:***@db.example" in client and "seed = 3" in client
    assert nb.cells[0].source == 'salt = "dflt"\ncard_customer = ""'  # defaults untouched
    recorded = nb.metadata.papermill.parameters
    assert recorded["salt"] == "<redacted>" and recorded["seed"] == 3
    assert recorded["card_customer"] == ck.report.pseudonymise("C00001", "k")

    analyst = redact_secrets(_executed_notebook(injected), audience="analyst").cells[1].source
    assert 'card_customer = "C00001"' in analyst and 'salt = "<redacted>"' in analyst
    assert "pw123" not in analyst


def test_redact_secrets_uses_the_parameters_cell_salt_when_none_was_injected():
    from clvkit.report._kernel import redact_secrets

    nb = redact_secrets(_executed_notebook('card_customer = "C00001"'), audience="client")
    assert nb.cells[1].source == f'card_customer = "{ck.report.pseudonymise("C00001", "dflt")}"'
    odd = redact_secrets(_executed_notebook("card_customer = pick()"), audience="client")
    name, literal = odd.cells[1].source.split(" = ")
    assert (name, ast.literal_eval(literal)) == ("card_customer", "•••")  # not a literal: hidden


def test_client_provenance_shows_no_raw_id_or_password(people):
    ctx = ck.report.setup({"card_customer": "C00001", "salt": "k",
                           "data": "mysql://ana:pw123@db/shop"})
    page = ck.report.provenance(ctx, people)._repr_html_()
    assert "C00001" not in page and ck.report.pseudonymise("C00001", "k") in page
    assert "pw123" not in page and "ana:***@db" in page


# --- newly at risk ---------------------------------------------------------------------
def test_newly_at_risk_compares_with_previous_run():
    previous = pd.DataFrame({"customer_id": ["A", "B", "C"], "churn_risk": [0.9, 0.2, 0.6]})
    current = pd.DataFrame({"customer_id": ["A", "B", "C", "D", "E"],
                            "churn_risk": [0.95, 0.7, 0.4, 0.5, 0.1]})
    out = newly_at_risk(current, previous, threshold=0.5)
    # A was already at risk, C and E are not now; B crossed the threshold, D is new
    assert list(out["customer_id"]) == ["B", "D"]
    assert out["previous_churn_risk"].iloc[0] == 0.2
    assert pd.isna(out["previous_churn_risk"].iloc[1])
    assert list(newly_at_risk(current, None)["customer_id"]) == ["A", "B", "D"]


def test_newly_at_risk_reads_the_runs_at_risk_flag():
    # the flag (still active and risky) wins over the bare threshold, in both runs
    previous = pd.DataFrame({"customer_id": ["A", "B"], "churn_risk": [0.9, 0.9],
                             "at_risk": [False, True]})
    current = pd.DataFrame({"customer_id": ["A", "B", "C"], "churn_risk": [0.9, 0.9, 0.8],
                            "at_risk": [True, True, False]})
    out = newly_at_risk(current, previous, threshold=0.5)
    # A was lost before (flag off), so it is newly at risk; B already was; C is lost now
    assert list(out["customer_id"]) == ["A"]
    text = current.assign(at_risk=current["at_risk"].map({True: "True", False: "False"}))
    assert list(newly_at_risk(text, None)["customer_id"]) == ["A", "B"]


# --- parameters ------------------------------------------------------------------------
def _notebook(path: Path, params: str, body: str = "x = 1") -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(params, metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell(body)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, str(path))
    return path


def test_notebook_parameters_reads_lines_papermill_cannot(tmp_path):
    path = _notebook(tmp_path / "01_x.ipynb",
                     'a: int = 3  # a count\nb: str = ""  # "" = empty means all\nc = 0.5')
    found = _params.notebook_parameters(path)
    assert {k: v["type"] for k, v in found.items()} == {"a": "int", "b": "str", "c": "float"}


def test_split_params_unknown_name_lists_known_ones():
    declared = {"01_a": {"seed": {"type": "int"}, "lang": {"type": "str"}},
                "04_b": {"horizon_months": {"type": "int"}, "seed": {"type": "int"}}}
    with pytest.raises(ParameterError, match=r"unknown parameter 'horizon_month': not "
                       r"declared by any of the 2 notebooks\. Did you mean 'horizon_months'\? "
                       r"Known parameters: horizon_months, lang, seed\."):
        _params.split_params({"horizon_month": 3}, declared)
    split = _params.split_params({"horizon_months": "12", "seed": "7"}, declared)
    assert split == {"01_a": {"seed": 7}, "04_b": {"horizon_months": 12, "seed": 7}}


def test_split_params_conversion_errors_and_reserved():
    declared = {"01_a": {"seed": {"type": "int"}, "flag": {"type": "bool"}}}
    with pytest.raises(ParameterError, match="parameter 'seed' must be int; got 'seven'"):
        _params.split_params({"seed": "seven"}, declared)
    assert _params.split_params({"flag": "no"}, declared) == {"01_a": {"flag": False}}
    with pytest.raises(ParameterError, match="'output_dir' is set by clvkit report itself"):
        _params.split_params({"output_dir": "x"}, declared)


def test_resolve_paths_makes_existing_files_absolute(tmp_path):
    (tmp_path / "orders.csv").write_text("x\n", encoding="utf-8")
    out = _params.resolve_paths({"data": "orders.csv", "config": "", "seed": 1}, tmp_path)
    assert out["data"] == str((tmp_path / "orders.csv").resolve())
    assert _params.resolve_paths({"data": "demo"}, tmp_path)["data"] == "demo"


# --- HTML rendering --------------------------------------------------------------------
def _executed(tmp_path: Path) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    heading = nbformat.v4.new_markdown_cell("# Title\n\nText.")
    heading.metadata["i18n"] = {"zh": "# 标题\n\n正文。"}
    code = nbformat.v4.new_code_cell("secret_code_line = 1")
    code.outputs = [nbformat.v4.new_output("stream", name="stderr", text="a warning"),
                    nbformat.v4.new_output("execute_result", data={"text/markdown": "**bold**",
                                                                   "text/plain": "x"})]
    nb.cells = [heading, code]
    return nb


def test_render_html_client_offline_and_code_hidden(tmp_path):
    page = ck.report.render_html(_executed(tmp_path), lang="en", audience="client")
    assert '<html lang="en">' in page and "<h1" in page and "Title" in page
    assert "<strong>bold</strong>" in page
    assert "secret_code_line" not in page and "a warning" not in page
    for needle in ("require.js", "mathjax", "cdn.", "http://", "https://"):
        assert needle not in page.lower()


def test_render_html_analyst_shows_code_and_zh_uses_translations(tmp_path):
    page = ck.report.render_html(_executed(tmp_path), lang="zh", audience="analyst")
    assert '<html lang="zh">' in page and "标题" in page and "Title" not in page
    assert "secret_code_line" in page and "a warning" in page


# --- clvkit report end to end ----------------------------------------------------------
@pytest.fixture
def two_notebooks(tmp_path) -> Path:
    """A notebooks folder with the real 01 and a tiny second section."""
    folder = tmp_path / "notebooks"
    folder.mkdir()
    shutil.copy(NOTEBOOKS / "01_data_quality.ipynb", folder)
    _notebook(folder / "02_tiny.ipynb", 'lang: str = "en"  # language\nfail: bool = False',
              "import clvkit as ck\nctx = ck.report.setup(globals())\n"
              "assert not fail, 'asked to fail'\nctx.say('dq_nothing_set_aside')")
    return folder


@pytest.mark.notebook
def test_report_success_then_failure_keeps_previous(tmp_path, two_notebooks, capsys):
    out = tmp_path / "reports" / "latest"
    args = ["report", "--notebooks", str(two_notebooks), "--out", str(out),
            "-p", "demo_customers", "200", "-p", "salt", "topsecret"]
    assert main(args) == 0
    printed = capsys.readouterr()
    assert "01_data_quality" in printed.out and "total" in printed.out  # timings table
    assert "[1/2] 01_data_quality" in printed.err  # progress
    names = {p.name for p in out.iterdir()}
    assert {"index.html", "01_data_quality.html", "02_tiny.html", "run.json", "notebooks",
            "transactions_set_aside.csv"} <= names
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert [n["name"] for n in record["notebooks"]] == ["01_data_quality", "02_tiny"]
    assert record["parameters"]["demo_customers"] == "200"  # as given on the command line
    assert len(record["data"]["sha256"]) == 64 and "salt" not in record["parameters"]
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="01_data_quality.html"' in index and "Data quality" in index
    executed = (out / "notebooks" / "01_data_quality.ipynb").read_text(encoding="utf-8")
    assert "salt = \\\"<redacted>\\\"" in executed and "topsecret" not in executed
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}

    assert main([*args, "-p", "fail", "true"]) == 2
    err = capsys.readouterr().err
    assert "notebook 02_tiny failed in cell" in err and "AssertionError: asked to fail" in err
    assert f"the previous report in {out} is unchanged" in err
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    kept = out.with_name("latest.failed") / "notebooks" / "02_tiny.ipynb"
    assert "asked to fail" in kept.read_text(encoding="utf-8")
    assert "topsecret" not in (kept.parent / "01_data_quality.ipynb").read_text(encoding="utf-8")
    assert not list(out.parent.glob(".staging-*"))


def test_report_rejects_unknown_parameter_before_running(tmp_path, two_notebooks, capsys):
    out = tmp_path / "latest"
    code = main(["report", "--notebooks", str(two_notebooks), "--out", str(out),
                 "-p", "demo_customer", "5"])
    assert code == 2 and not out.exists()
    assert "Did you mean 'demo_customers'?" in capsys.readouterr().err


def test_report_missing_notebook_folder(tmp_path):
    with pytest.raises(ReportError, match=r"notebook folder .* does not exist"):
        ck.report.run_report(tmp_path / "out", notebooks=tmp_path / "nope")


@pytest.mark.notebook
@pytest.mark.skipif(not (NOTEBOOKS / "06_segments_actions.ipynb").exists(),
                    reason="notebook 06 (scored customers) not present")
def test_report_same_inputs_same_numbers_and_newly_at_risk(tmp_path):
    out = tmp_path / "latest"
    options = {"notebooks": NOTEBOOKS, "select": ["06"], "params": {"demo_customers": 200}}
    first = ck.report.run_report(out, **options)
    scored = (out / "scored_customers.csv").read_bytes()
    at_risk_first = pd.read_csv(out / "newly_at_risk.csv", encoding="utf-8-sig")
    table = pd.read_parquet(out / "scored_customers.parquet")
    assert len(table) == table["customer_id"].nunique() > 0
    # first run: nothing to compare with, so every customer at risk is new
    assert len(at_risk_first) == int(table["at_risk"].sum()) > 0
    assert table["at_risk"].equals((table["churn_risk"] >= 0.5) & (table["recency_days"] <= 365))
    assert first.record["newly_at_risk"]["previous_run"] is None

    second = ck.report.run_report(out, **options)
    assert (out / "scored_customers.csv").read_bytes() == scored  # same inputs, same numbers
    assert len(pd.read_csv(out / "newly_at_risk.csv", encoding="utf-8-sig")) == 0
    assert second.record["newly_at_risk"]["previous_run"] == first.record["generated"]
    assert second.record["data"]["sha256"] == first.record["data"]["sha256"]


# --- figures and the executive summary --------------------------------------------------
def test_plotly_embedded_once_per_page_without_cdn():
    import plotly.graph_objects as go
    import plotly.io as pio

    ck.report.setup()
    renderer = pio.renderers[pio.renderers.default]
    renderer.included = False  # a fresh page
    fig = go.Figure(go.Bar(x=["a", "b"], y=[1, 2]))
    first = renderer.to_mimebundle(fig.to_dict())
    second = renderer.to_mimebundle(fig.to_dict())
    assert len(first["text/html"]) > 1_000_000 > len(second["text/html"])  # plotly.js once
    for bundle in (first, second):
        assert "application/vnd.plotly.v1+json" in bundle  # JupyterLab draws this one
        # no script loaded from elsewhere (plotly.js itself mentions CDN URLs in its code)
        assert not re.search(r"<script[^>]*\bsrc=", bundle["text/html"])


@pytest.fixture(scope="module")
def summary():
    ds = ck.load_data("demo", demo_customers=300, seed=42)
    return ds, ck.report.executive_summary(ck.score(ds), lang="en")


def test_executive_summary_numbers_agree_with_their_sources(summary):
    ds, s = summary
    assert s.customers == ds.transactions["customer_id"].nunique() == len(s.scored)
    assert s.revenue == pytest.approx(ds.transactions["amount"].sum())
    assert s.clv_total == pytest.approx(s.value["clv"].sum())
    assert s.top20_share == pytest.approx(ck.metrics.value_concentration(
        s.value["clv"]).share_of_top(0.2))
    active = s.scored["recency_days"] <= 365
    assert len(s.at_risk) == int(((s.scored["churn_risk"] >= 0.5) & active).sum())
    assert s.active_customers == int(active.sum())
    assert s.actions["customers"].sum() == s.customers
    assert s.actions["value_at_stake"].is_monotonic_decreasing
    assert s.nps is not None and s.nps["n"] == ds.surveys["nps"].notna().sum()
    assert s.at_risk["churn_risk"].is_monotonic_decreasing


def test_executive_summary_cards_and_sentences(summary):
    _, s = summary
    ctx = ck.report.setup(audience="client", salt="k")
    cards = ck.report.summary_cards(ctx, s)
    assert len(cards.items) == 6
    assert (ctx.t("exec_card_churn"), ctx.pct(s.churn.rate)) == cards.items[2][:2]
    text = ck.report.describe_summary(ctx, s).data
    assert ctx.money(s.clv_total) in text and ctx.pct(s.top20_share) in text
    assert f"**{len(s.at_risk)}** of the {ctx.num(s.active_customers)} active customers" in text
    actions = ck.report.describe_actions(ctx, s).data.splitlines()
    first = s.actions["action_label"].iloc[0]
    assert len(actions) == 3 and actions[0].startswith(f"- **{first}**")


def test_at_risk_revenue_share_without_revenue_is_zero(summary):
    import dataclasses

    _, s = summary
    assert s.at_risk_revenue_share == pytest.approx(
        s.at_risk["revenue"].sum() / s.scored["revenue"].sum())
    free = dataclasses.replace(s, scored=s.scored.assign(revenue=0.0),
                               at_risk=s.at_risk.assign(revenue=0.0))
    assert free.at_risk_revenue_share == 0.0  # no 0/0 warning
    assert "0%" in ck.report.describe_summary(ck.report.setup(), free).data


def test_value_risk_figure_hover_shows_pseudonyms_only(summary):
    _, s = summary
    fig = ck.report.value_risk_figure(ck.report.setup(audience="client", salt="k"), s)
    shown = {point[0] for trace in fig.data for point in trace.customdata}
    assert len(shown) == s.customers
    assert all(i.startswith("C-") for i in shown) and not shown & set(s.scored["customer_id"])


@pytest.mark.notebook
def test_bundled_cdnow_report_defaults_to_dollars(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    # the notebook asserts on the currency the run's scores give it (empty = the data's)
    _notebook(folder / "01_money.ipynb",
              'data: str = "demo"  # data set\ncurrency: str = ""  # currency\n'
              'lang: str = "en"  # language\naudience: str = "client"  # audience\n'
              'scores_dir: str = ""  # set by the runner\n'
              'churn_classifier: bool = False  # quicker scoring\n'
              'expected: str = "¥1,234"  # what ctx.money(1234) must print',
              "import clvkit as ck\nctx = ck.report.setup(globals())\n"
              "sc = ck.report.scores(ctx, ck.load_data(data))\n"
              "assert ctx.money(1234) == expected, ctx.money(1234)")
    ck.report.run_report(tmp_path / "a", notebooks=folder,
                         params={"data": "cdnow-sample", "expected": "$1,234"})
    ck.report.run_report(tmp_path / "b", notebooks=folder, params={"data": "demo"})
    ck.report.run_report(tmp_path / "c", notebooks=folder,
                         params={"data": "cdnow-sample", "currency": "€", "expected": "€1,234"})
