"""``clvkit score``: the scored table, run.json, one truth with the library, engines agree."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit import cli
from clvkit.engines import Columns
from clvkit.engines.pipeline import RunSettings, score_data
from clvkit.engines.score import SCORED_COLUMNS

END = "2024-12-31"


@pytest.fixture(scope="module")
def log_file(log, tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "tx.parquet"
    log.to_parquet(path, coerce_timestamps="us", allow_truncated_timestamps=True)
    return path


@pytest.fixture(scope="module")
def scored(log_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    (out / "notes.txt").write_text("not clvkit's", encoding="utf-8")
    code = cli.main(["score", "--data", str(log_file), "--engine", "duckdb", "--out", str(out),
                     "--observation-end", END, "--quiet"])
    assert code == 0
    return out


def _read(out) -> pd.DataFrame:
    table = pd.read_parquet(out / "scored_customers.parquet")
    return table.sort_values("customer_id").set_index("customer_id")


def test_score_writes_the_scored_table_and_run_json(scored, log):
    table = _read(scored)
    assert list(table.reset_index().columns) == list(SCORED_COLUMNS)
    assert len(table) == log["customer_id"].nunique()
    assert np.isfinite(table[["clv", "p_alive", "expected_purchases"]]).all().all()
    # churn risk: no purchase in the next 365 days, so never below 1 - P(alive)
    assert (table["churn_risk"] >= 1 - table["p_alive"] - 1e-12).all()
    assert table["churn_risk"].between(0, 1).all()
    run = json.loads((scored / "run.json").read_text(encoding="utf-8"))
    assert run["engine"] == "duckdb" and run["n_rows"] == len(log)
    assert run["n_customers"] == len(table) and run["settings"]["observation_end"] == END
    assert run["time_unit"]["time_unit"] == "W" and run["time_unit"]["resolution"] == "D"
    assert set(run["seconds"]) == {"summary", "fit", "score", "segments"}
    assert (scored / "notes.txt").read_text(encoding="utf-8") == "not clvkit's"
    assert sorted(p.name for p in scored.iterdir()) == ["notes.txt", "run.json",
                                                        "scored_customers.parquet"]


def test_score_is_the_library_one_truth(scored, log):
    """clv/p_alive = customer_value on rfm_summary; segment = rfm_segments; tier = tiers."""
    table = _read(scored)
    summary = ck.rfm_summary(log, END)
    bgnbd, gamma_gamma = ck.models.fit_bgnbd(summary), ck.models.fit_gamma_gamma(summary)
    run = json.loads((scored / "run.json").read_text(encoding="utf-8"))
    for name, value in bgnbd.params.items():
        assert run["models"]["bgnbd"][name] == pytest.approx(value, rel=1e-9)
    cv = ck.models.customer_value(summary, bgnbd=bgnbd, gamma_gamma=gamma_gamma, freq="W")
    np.testing.assert_allclose(table["clv"], cv["clv"], rtol=1e-9)
    np.testing.assert_allclose(table["p_alive"], cv["p_alive"], rtol=1e-9)
    np.testing.assert_allclose(table["expected_purchases"], cv["expected_purchases"], rtol=1e-9)
    risk = bgnbd.probability_no_purchase(summary, 365 / 7)
    np.testing.assert_allclose(table["churn_risk"], risk.reindex(table.index), rtol=1e-9)
    segments = ck.segments.rfm_segments(log, END)
    assert (table["segment"] == segments["segment"].astype(str)).all()
    tiers = ck.segments.customer_tiers(log, observation_end=END, customer_value=cv)
    assert (table["tier"] == tiers["tier"].astype(str)).all()


def test_score_equals_the_scoring_stage_clvkit_score(log_file, tmp_path):
    """One truth: the scale-out command gives clvkit.score()'s per-customer columns."""
    import warnings

    from clvkit.scoring import ScoreSettings

    settings = ScoreSettings(purchase_model="bgnbd", churn_classifier=False, margin_rate=0.4,
                             horizon_months=6)
    ds = ck.load_data(log_file, observation_end=END)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        theirs = ck.score(ds, settings).customers.set_index("customer_id").sort_index()
    run = score_data(log_file, tmp_path, engine="duckdb",
                     settings=RunSettings(observation_end=END, scoring=settings))
    ours = _read(tmp_path)
    assert theirs["churn_risk_basis"].eq("purchase_model").all()
    assert run["settings"]["churn_risk_source"] == "purchase_model"
    assert run["settings"]["margin"] == 0.4 and run["notes"] == []
    for col in ("clv", "p_alive", "churn_risk", "expected_purchases"):
        np.testing.assert_allclose(ours[col], theirs[col], rtol=1e-9, atol=1e-12)
    for col in ("segment", "tier"):
        assert (ours[col] == theirs[col].astype(str)).all()


def test_score_auto_model_is_bgnbd_and_says_so(scored):
    run = json.loads((scored / "run.json").read_text(encoding="utf-8"))
    assert run["models"]["purchase"] == "BGNBDModel"
    assert run["notes"] == [{"code": "purchase_model_bgnbd_at_scale", "section": "04",
                             "values": {"model": "BG/NBD"}}]


def test_score_pandas_engine_equals_duckdb(scored, log_file, tmp_path):
    run = score_data(log_file, tmp_path, engine="pandas",
                     settings=RunSettings(observation_end=END, chunk_rows=97))
    assert run["engine"] == "pandas"
    pd.testing.assert_frame_equal(_read(tmp_path), _read(scored), check_exact=False,
                                  rtol=1e-9)


def test_score_with_a_config_mapping(log, tmp_path, scored):
    data = tmp_path / "订单.csv"
    log.rename(columns={"customer_id": "客户", "timestamp": "时间", "amount": "金额"}).to_csv(
        data, index=False)
    config = tmp_path / "clvkit.toml"
    config.write_text(f'[transactions]\npath = "{data.name}"\n[transactions.columns]\n'
                      f'customer_id = "客户"\ntimestamp = "时间"\namount = "金额"\n'
                      f'[validation]\nobservation_end = "{END}"\n', encoding="utf-8")
    out = tmp_path / "out"
    assert cli.main(["score", "--config", str(config), "--out", str(out), "--quiet"]) == 0
    pd.testing.assert_frame_equal(_read(out), _read(scored), check_exact=False, rtol=1e-9)
    assert json.loads((out / "run.json").read_text(encoding="utf-8"))["engine"] == "pandas"


def test_score_errors(tmp_path, capsys, log_file):
    assert cli.main(["score", "--out", str(tmp_path)]) == 2
    assert "give --data FILE (Parquet or CSV of transactions) or a --config" in (
        capsys.readouterr().err)
    assert cli.main(["score", "--data", str(tmp_path / "no.parquet"), "--out",
                     str(tmp_path)]) == 2
    assert "transactions file not found" in capsys.readouterr().err
    assert cli.main(["score", "--data", str(log_file), "--out", str(tmp_path),
                     "--discount-rate", "1.5"]) == 2
    assert "invalid scoring settings: discount_rate_annual=1.5" in capsys.readouterr().err
    with pytest.raises(ck.ParameterError, match="clvkit score needs an amount column"):
        score_data(log_file, tmp_path, columns=Columns("customer_id", "timestamp", None))


@pytest.mark.slow
def test_score_spark_equals_duckdb(spark, scored, log_file, tmp_path):
    assert cli.main(["score", "--data", str(log_file), "--engine", "spark", "--out",
                     str(tmp_path), "--observation-end", END, "--quiet"]) == 0
    pd.testing.assert_frame_equal(_read(tmp_path), _read(scored), check_exact=False,
                                  rtol=1e-9)


@pytest.mark.parametrize("ids", ["numbers", "text"])
@pytest.mark.parametrize("n", [1, 2, 7, 1001])
def test_linear_time_ranks_equal_the_sql_window_ranks(ids, n):
    """segment_codes (selection, no sort) = segment_sql's ROW_NUMBER windows on DuckDB,
    with many ties, NaN values and both kinds of ids."""
    import duckdb

    from clvkit.engines._sql import DUCKDB
    from clvkit.engines.score import _ranked, segment_codes

    rng = np.random.default_rng(n)
    key = rng.permutation(n) * 3 + 5 if ids == "numbers" else rng.permutation(n)
    cid = key if ids == "numbers" else np.array([f"c{k:05d}" for k in key], dtype=object)
    clv = rng.choice([0.0, 1.5, 2.0, np.nan], n) * rng.integers(1, 3, n)
    frame = pd.DataFrame({"customer_id": cid, "clv": clv, "p_alive": 0.5, "churn_risk": 0.5,
                          "expected_purchases": 1.0, "last_day": rng.integers(0, 4, n),
                          "n_rows": rng.integers(1, 4, n),
                          "revenue": rng.choice([1.0, 2.5, 3.0], n)})
    con = duckdb.connect()
    con.register("f", frame)
    sql = _ranked(DUCKDB, "f", 10, None)
    theirs = con.execute(sql).df().set_index("customer_id").loc[cid]
    order = np.argsort(cid, kind="stable")
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n)
    segment, tier = segment_codes(10 - frame["last_day"].to_numpy(), frame["n_rows"].to_numpy(),
                                  frame["revenue"].to_numpy(), clv,
                                  cid if ids == "numbers" else position)
    assert segment.tolist() == theirs["segment"].tolist()
    assert tier.tolist() == theirs["tier"].tolist()
