"""The covariate BG/NBD in words: the level table and the sentences, English and Chinese."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit.exceptions import ParameterError
from clvkit.models import simulate_bgnbd_summary


def _summary(n: int, seed: int, effect: bool) -> pd.DataFrame:
    """Two channels; with ``effect`` "social" buys twice as often and drops out more."""
    rng = np.random.default_rng(seed)
    social = rng.random(n) < 0.4
    on = social & effect
    out = simulate_bgnbd_summary(0.6, 4.0 * np.exp(-np.log(2.0) * on), 0.8 * np.exp(0.5 * on),
                                 3.0, T=rng.integers(26, 79, n).astype(float), seed=seed)
    return out.assign(channel=np.where(social, "social", "search"),
                      tenure=rng.normal(3.0, 1.0, n))


@pytest.fixture(scope="module")
def model():
    s = _summary(8000, seed=4, effect=True)
    return ck.models.fit_bgnbd(s, purchase_covariates=["channel", "tenure"],
                               dropout_covariates=["channel"])


def test_table_in_english(model) -> None:
    table = ck.report.covariate_effects(model, lang="en", level=0.9)
    assert list(table.columns) == [
        "Attribute", "Level", "Customers", "Purchase rate vs reference (90% interval)",
        "Chance of dropping out after a purchase (90% interval)",
        "Dropout odds vs reference (90% interval)"]
    rows = table.set_index("Level")
    assert list(rows.index) == ["search (reference)", "social", "per unit"]
    assert rows.loc["search (reference)", "Purchase rate vs reference (90% interval)"] == "×1.00"
    eff = model.level_effects(level=0.9).set_index("level", drop=False).loc["social"]
    rate = rows.loc["social", "Purchase rate vs reference (90% interval)"]
    assert rate == (f"×{eff['rate_ratio']:.2f} (×{eff['rate_low']:.2f} to "
                    f"×{eff['rate_high']:.2f})")
    assert 1.7 < eff["rate_ratio"] < 2.3
    drop = rows.loc["social", "Chance of dropping out after a purchase (90% interval)"]
    assert drop.startswith(f"{100 * eff['dropout_probability']:.1f}% (")
    # tenure is a purchase covariate only: no dropout cells
    assert rows.loc["per unit", "Dropout odds vs reference (90% interval)"] == ""
    assert rows.loc["per unit", "Customers"] == ""
    assert rows.loc["social", "Customers"] == f"{int(eff['n_customers']):,}"


def test_sentences_in_both_languages(model) -> None:
    en = ck.report.describe_covariates(model, lang="en")
    assert en[0].startswith("Customer attributes (Channel, tenure) change how often")
    assert "chi-square" in en[0] and "on 4 degrees of freedom, p < 0.001" in en[0]
    assert any(s.startswith("Channel “social”: customers buy ×") for s in en)
    assert any("drops out after a purchase with a chance of" in s for s in en)
    zh = ck.report.describe_covariates(model, lang="zh")
    assert len(zh) == len(en) and zh[0].startswith("客户属性（渠道、tenure）会改变")
    assert all(re.search(r"[\u4e00-\u9fff]", s) for s in zh)
    table = ck.report.covariate_effects(model, lang="zh")
    assert "购买频率（相对基准，90% 区间）" in table.columns
    assert table["取值"].tolist()[0] == "search（基准）"


def test_no_effect_is_said_plainly() -> None:
    s = _summary(4000, seed=100, effect=False)
    m = ck.models.fit_bgnbd(s, purchase_covariates=["channel"], dropout_covariates=["channel"])
    assert m.lr_test_["p_value"] > 0.05
    en = ck.report.describe_covariates(m, lang="en")
    assert en[0].startswith("Customer attributes (Channel) do not measurably change")
    assert re.search(r"on 3 degrees of freedom, p = 0\.\d{3}\)", en[0])
    zh = ck.report.describe_covariates(m, lang="zh")
    assert "没有可测量的影响" in zh[0]
    assert len(en) == len(zh) == 1  # no level sentences without an overall effect


def test_needs_a_covariate_model() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = ck.models.fit_bgnbd(_summary(500, seed=1, effect=False))
    with pytest.raises(ParameterError, match=r"needs a BG/NBD or Pareto/NBD model fitted "
                                             r"with covariates.*got BGNBDModel"):
        ck.report.covariate_effects(plain)
    with pytest.raises(ParameterError, match="got BGNBDModel"):
        ck.report.describe_covariates(plain, lang="zh")


def test_paretonbd_table_and_sentences() -> None:
    """Pareto/NBD: the dropout column is a dropout-rate ratio, and it is said when clear."""
    rng = np.random.default_rng(9)
    n = 6000
    north = rng.random(n) < 0.4
    mu = rng.gamma(0.6, 1.0 / (12.0 * np.exp(-np.log(3.0) * north)))  # 3x the dropout rate
    age = rng.integers(26, 79, n).astype(float)
    span = np.minimum(rng.exponential(1.0 / mu), age)
    x = rng.poisson(rng.gamma(0.55, 1.0 / 10.0, n) * span).astype(float)
    tx = np.where(x > 0, span * rng.random(n) ** (1.0 / np.maximum(x, 1.0)), 0.0)
    summary = pd.DataFrame({"frequency": x, "recency": tx, "T": age,
                            "region": np.where(north, "north", "south")})
    m = ck.models.fit_paretonbd(summary, dropout_covariates=["region"])
    table = ck.report.covariate_effects(m, lang="en").set_index("Level")
    assert list(table.columns) == ["Attribute", "Customers",
                                   "Purchase rate vs reference (90% interval)",
                                   "Dropout rate vs reference (90% interval)"]
    assert table.loc["south (reference)", "Dropout rate vs reference (90% interval)"] == "×1.00"
    assert table.loc["north", "Purchase rate vs reference (90% interval)"] == ""
    en = ck.report.describe_covariates(m, lang="en")
    assert any(s.startswith("Region “north”: customers drop out at ×") for s in en)
    zh = ck.report.describe_covariates(m, lang="zh")
    assert any(s.startswith("地区“north”：客户的流失速率是“south”的 ×") for s in zh)
