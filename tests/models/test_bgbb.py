"""BG/BB (Fader, Hardie & Shang 2010): published donations estimates, lifetimes as oracle."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from clvkit.exceptions import DataValidationError, ParameterError
from clvkit.models import BGBBModel, fit_bgbb, load_model
from clvkit.models.bgbb import log_likelihood


@pytest.fixture(scope="module")
def donations() -> pd.DataFrame:
    """The 1995 donor cohort: 11,104 donors, 6 yearly opportunities (compressed tuples)."""
    from clvkit.datasets._cdnow import read_lifetimes_csv

    return read_lifetimes_csv("donations.csv").rename(columns={"periods": "n_periods"})


@pytest.fixture(scope="module")
def model(donations: pd.DataFrame) -> BGBBModel:
    return fit_bgbb(donations, sample_weight="weights")


@pytest.fixture(scope="module")
def oracle(donations: pd.DataFrame, model: BGBBModel):
    """lifetimes' BetaGeoBetaBinomFitter holding clvkit's estimates."""
    from lifetimes import BetaGeoBetaBinomFitter

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitter = BetaGeoBetaBinomFitter()
    fitter.params_ = pd.Series([model.params[k] for k in ("alpha", "beta", "gamma", "delta")],
                               index=["alpha", "beta", "gamma", "delta"])
    fitter.data = donations  # its in-sample histogram reads the frequency counts
    return fitter


def _expanded(donations: pd.DataFrame) -> pd.DataFrame:
    """One row per donor (11,104 rows), as a per-customer summary would be."""
    rows = donations.loc[donations.index.repeat(donations["weights"])]
    return rows.drop(columns="weights").reset_index(drop=True)


def test_bgbb_params_match_fader_hardie_shang_2010(model: BGBBModel) -> None:
    # Fader, Hardie & Shang (2010), Table 2: alpha 1.204, beta 0.750, gamma 0.657,
    # delta 2.783, LL -33,225.6
    got = {k: round(v, 3) for k, v in model.params.items()}
    assert got == {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}
    assert round(model.log_likelihood_, 1) == -33225.6
    assert model.n_customers_ == 11104
    assert model.n_repeaters_ == 11104 - 3464
    assert model.n_unique_ == 22
    table = model.summary
    assert list(table.columns) == ["estimate", "std_error", "lower_95", "upper_95"]
    assert (table["std_error"] > 0).all() and (table["std_error"] < 0.5).all()


def test_per_customer_fit_equals_weighted_fit(donations, model) -> None:
    plain = fit_bgbb(_expanded(donations))  # compressed internally
    for k, v in model.params.items():
        assert plain.params[k] == pytest.approx(v, rel=1e-4)
    assert plain.log_likelihood_ == pytest.approx(model.log_likelihood_, rel=1e-9)
    uncompressed = BGBBModel(compress=False).fit(donations, sample_weight=donations["weights"])
    assert uncompressed.params == pytest.approx(model.params, rel=1e-6)


def test_log_likelihood_equals_lifetimes(donations, model, oracle) -> None:
    x, tx, n = (donations[c].to_numpy(float) for c in ("frequency", "recency", "n_periods"))
    theirs = oracle._loglikelihood(oracle.params_.to_numpy(), x, tx, n)
    np.testing.assert_allclose(log_likelihood(model.params, x, tx, n), theirs, rtol=1e-9)


def test_predictions_equal_lifetimes(donations, model, oracle) -> None:
    x, tx, n = donations["frequency"], donations["recency"], donations["n_periods"]
    np.testing.assert_allclose(model.p_alive(donations),
                               oracle.conditional_probability_alive(1, x, tx, n), rtol=1e-9)
    for m in (1, 5, 10):
        np.testing.assert_allclose(
            model.predict_purchases(donations, m),
            oracle.conditional_expected_number_of_purchases_up_to_time(m, x, tx, n),
            rtol=1e-9)
    expected = oracle.expected_number_of_transactions_in_first_n_periods(6)["model"]
    share = model.probability_of_purchases(6, expected.index.to_numpy())
    np.testing.assert_allclose(share * 11104, expected.to_numpy(), rtol=1e-9)


def test_pmf_and_expectation_are_consistent(model) -> None:
    for n in (1, 6, 11):
        pr = model.probability_of_purchases(n, np.arange(n + 1))
        assert pr.sum() == pytest.approx(1.0, abs=1e-12)
        assert (pr >= 0).all()
        assert (np.arange(n + 1) * pr).sum() == pytest.approx(model.expected_purchases(n)[0])
    assert model.probability_of_purchases(6, 7)[0] == 0  # more transactions than chances
    # E[X(n)] grows by alpha / (alpha + beta) * S(n) per opportunity
    e = model.expected_purchases(np.arange(0, 12))
    assert e[0] == 0 and (np.diff(e) > 0).all()


def test_fit_of_observed_histogram(model, donations) -> None:
    # Fader, Hardie & Shang (2010), Figure 3: the model reproduces the number of donors
    # making 0..6 repeat donations in 1996-2001 closely (within 2% of all donors).
    observed = donations.groupby("frequency")["weights"].sum()
    predicted = model.probability_of_purchases(6, observed.index.to_numpy()) * 11104
    assert np.abs(predicted - observed.to_numpy()).max() < 0.02 * 11104


def test_dert_equals_discounted_sum_of_expected_transactions(donations, model) -> None:
    d = 0.10
    dert = model.dert(donations, d)
    # brute force: increments of E[X(n, n+k)] discounted by (1+d)^-k; 1.1^-400 < 1e-16
    horizon = np.arange(0, 401)
    cum = np.column_stack([model.predict_purchases(donations, int(k)) for k in horizon])
    series = (np.diff(cum, axis=1) / (1 + d) ** horizon[1:]).sum(axis=1)
    np.testing.assert_allclose(dert, series, rtol=1e-6)
    best = dert.idxmax()  # the most valuable donor gave every year
    assert donations.loc[best, "frequency"] == donations.loc[best, "recency"] == 6
    assert (dert > 0).all()
    assert (model.dert(donations, 0.2) < dert).all()  # higher discount, lower value


def test_dert_series_fallback_for_large_parameters(donations) -> None:
    big = BGBBModel.from_params(alpha=2.0, beta=3.0, gamma=400.0, delta=900.0)
    dert = big.dert(donations.head(3), 0.05)
    x = donations.head(3)
    horizon = np.arange(0, 801)  # 1.05^-800 < 1e-16
    cum = np.column_stack([big.predict_purchases(x, int(k)) for k in horizon])
    series = (np.diff(cum, axis=1) / 1.05 ** horizon[1:]).sum(axis=1)
    np.testing.assert_allclose(dert, series, rtol=1e-6)


def test_alive_sum_at_gamma_one_is_the_limit() -> None:
    near = BGBBModel.from_params(alpha=1.0, beta=1.0, gamma=1.0 + 1e-6, delta=2.0)
    at = BGBBModel.from_params(alpha=1.0, beta=1.0, gamma=1.0, delta=2.0)
    np.testing.assert_allclose(at.expected_purchases([1, 5, 20]),
                               near.expected_purchases([1, 5, 20]), rtol=1e-5)


def test_estimator_contract_and_json(tmp_path, donations, model) -> None:
    fresh = BGBBModel(penalizer_coef=0.01, max_iter=200)
    assert clone(fresh).get_params() == {"penalizer_coef": 0.01, "compress": True,
                                         "max_iter": 200}
    with pytest.raises(NotFittedError):
        fresh.p_alive(donations)
    assert fresh.fit(donations, sample_weight="weights") is fresh
    assert fresh.params["alpha"] != model.params["alpha"]  # the penalty shrinks
    path = tmp_path / "bgbb.json"
    model.save(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["model"] == "BGBBModel" and data["learned"]["params_"] == model.params
    loaded = load_model(path)
    assert type(loaded) is BGBBModel and loaded.params == model.params
    pd.testing.assert_series_equal(loaded.dert(donations, 0.1), model.dert(donations, 0.1))


def test_inputs_are_not_changed(donations) -> None:
    before = donations.copy()
    fit_bgbb(donations, sample_weight="weights").p_alive(donations)
    pd.testing.assert_frame_equal(donations, before)


@pytest.mark.parametrize(
    ("rows", "match"),
    [
        ({"frequency": [1], "recency": [4], "n_periods": [3]},
         r"1 of 1 rows have a recency that is not a whole number from 0 to n_periods"),
        ({"frequency": [3], "recency": [2], "n_periods": [3]},
         "1 of 1 rows have a frequency larger than recency"),
        ({"frequency": [0], "recency": [2], "n_periods": [3]},
         "frequency 0 but a non-zero recency"),
        ({"frequency": [1], "recency": [1], "n_periods": [1.5]},
         "an n_periods that is not a whole number >= 0"),
        ({"frequency": [1.5], "recency": [2], "n_periods": [3]},
         "a negative or non-integer frequency"),
        ({"frequency": [0, 0], "recency": [0, 0], "n_periods": [3, 4]},
         "BG/BB needs repeat transactions, but all 2 customers have frequency 0"),
    ],
)
def test_bad_histories_raise(rows, match) -> None:
    with pytest.raises(DataValidationError, match=match):
        fit_bgbb(pd.DataFrame(rows))


def test_bad_arguments_raise(donations, model) -> None:
    with pytest.raises(DataValidationError, match=r"n_periods.*summary's|no column\(s\) 'n_per"):
        fit_bgbb(donations.rename(columns={"n_periods": "periods"}))
    with pytest.raises(DataValidationError, match="sample_weight='w' is not a column"):
        fit_bgbb(donations, sample_weight="w")
    with pytest.raises(DataValidationError, match="sample_weight has 2 values for 22 rows"):
        fit_bgbb(donations, sample_weight=[1, 2])
    with pytest.raises(DataValidationError, match="1 of 22 weights are not whole numbers"):
        fit_bgbb(donations, sample_weight=np.r_[-1, donations["weights"].to_numpy()[1:]])
    with pytest.raises(DataValidationError, match="every weight is 0"):
        fit_bgbb(donations, sample_weight=np.zeros(22))
    with pytest.raises(ParameterError, match="discount_rate must be a number > 0"):
        model.dert(donations, 0)
    with pytest.raises(ParameterError, match="n_periods must be a whole number"):
        model.predict_purchases(donations, 2.5)
    with pytest.raises(ParameterError, match="penalizer_coef must be a finite number >= 0"):
        BGBBModel(penalizer_coef=-1).fit(donations)


def test_non_convergence_raises(donations) -> None:
    from clvkit.exceptions import ConvergenceError

    with pytest.raises(ConvergenceError, match=r"BG/BB fit did not converge after 1 iter.*"
                       r"larger max_iter \(currently 1\)"):
        BGBBModel(max_iter=1).fit(donations, sample_weight="weights")


def _simulate(rng, n_customers: int, n_periods: int, alpha, beta, gamma, delta):
    """Customers of one cohort under BG/BB: drop out at the start of an opportunity with
    probability theta, else transact with probability p."""
    p = rng.beta(alpha, beta, n_customers)
    theta = rng.beta(gamma, delta, n_customers)
    alive = np.ones(n_customers, dtype=bool)
    x, tx = np.zeros(n_customers), np.zeros(n_customers)
    for t in range(1, n_periods + 1):
        alive &= rng.random(n_customers) >= theta
        buy = alive & (rng.random(n_customers) < p)
        x += buy
        tx[buy] = t
    return pd.DataFrame({"frequency": x, "recency": tx, "n_periods": float(n_periods)})


def test_parameter_recovery_on_simulated_cohorts(rng) -> None:
    truth = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}
    data = pd.concat([_simulate(rng, 8_000, n, **truth) for n in (4, 10, 30)],
                     ignore_index=True)
    model = fit_bgbb(data)
    for name, value in truth.items():
        assert abs(model.params[name] - value) < 3 * model.standard_errors_[name], name
    # and the model's P(X(n) = x) matches the simulated histogram of the 30-period cohort
    last = data.iloc[16_000:]
    observed = last["frequency"].value_counts(normalize=True).sort_index()
    predicted = model.probability_of_purchases(30, observed.index.to_numpy(int))
    assert np.abs(predicted - observed.to_numpy()).max() < 0.01


@pytest.mark.parametrize("params", [
    {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783},
    {"alpha": 3.0, "beta": 50.0, "gamma": 60.0, "delta": 4000.0},  # cancellation-prone
    {"alpha": 0.05, "beta": 0.02, "gamma": 0.03, "delta": 0.2},
])
def test_grid_likelihood_equals_direct_sum(params, rng, monkeypatch) -> None:
    import clvkit.models._bgbb_math as bgbb

    n = rng.integers(1, 80, 4_000).astype(float)
    tx = np.floor(rng.random(4_000) * (n + 1))
    x = np.where(tx > 0, np.minimum(rng.poisson(3, 4_000) + 1, tx), 0).astype(float)
    fast = log_likelihood(params, x, tx, n)
    monkeypatch.setattr(bgbb, "_GRID_CELLS", 0)  # force the opportunity-by-opportunity sum
    slow = log_likelihood(params, x, tx, n)
    np.testing.assert_allclose(fast, slow, rtol=1e-10)
    assert np.isfinite(fast).all()


# --- from transactions ---------------------------------------------------------------------
def test_bgbb_summary_by_hand() -> None:
    from clvkit.models import bgbb_summary

    ts = pd.Timestamp
    tx = pd.DataFrame({
        "customer_id": ["A", "A", "A", "A", "B", "C", "C"],
        "timestamp": [ts("1995-03-01"), ts("1995-11-30"), ts("1997-06-01"), ts("1997-07-01"),
                      ts("1998-01-01"), ts("2001-12-31"), ts("2002-01-02")],
        "amount": 1.0,
    })
    with pytest.warns(UserWarning, match="1 "):
        got = bgbb_summary(tx, observation_end="2001-12-31", freq="Y")
    # A: first year 1995, repeats in 1997 only (two gifts that year count once), 6 chances
    want = pd.DataFrame({"frequency": [1, 0, 0], "recency": [2, 0, 0],
                         "n_periods": [6, 3, 0]},
                        index=pd.Index(["A", "B", "C"], name="customer_id"))
    pd.testing.assert_frame_equal(got, want)
    quarters = bgbb_summary(tx.iloc[:4], freq="Q")  # ends 1997-07-01 (Q3)
    assert quarters.loc["A"].tolist() == [3, 10, 10]  # Q1, Q4 1995, Q2, Q3 1997
    # a fitted model accepts it directly (C has no opportunity yet: n_periods 0 is allowed)
    model = BGBBModel.from_params(alpha=1.2, beta=0.75, gamma=0.66, delta=2.8)
    assert model.p_alive(got).between(0, 1).all()


@pytest.mark.parametrize("freq", ["M", "W", "D"])
def test_bgbb_summary_equals_rfm_summary(freq) -> None:
    from clvkit import rfm_summary
    from clvkit.datasets import make_demo
    from clvkit.models import bgbb_summary

    tx = make_demo(n_customers=300, seed=3).transactions
    ours = bgbb_summary(tx, freq=freq)
    rfm = rfm_summary(tx, freq=freq)
    np.testing.assert_array_equal(ours["frequency"], rfm["frequency"])
    np.testing.assert_array_equal(ours["recency"], rfm["recency"])
    np.testing.assert_array_equal(ours["n_periods"], rfm["T"])


def test_bgbb_summary_errors() -> None:
    from clvkit.models import bgbb_summary

    tx = pd.DataFrame({"customer_id": ["A"], "timestamp": [pd.Timestamp("2020-01-01")]})
    with pytest.raises(ParameterError, match=r"freq must be one of 'Y', 'Q', 'M', 'W', 'D'; "
                       r"got 'A'"):
        bgbb_summary(tx, freq="A")
    with pytest.raises(DataValidationError, match="needs a column 'timestamp'"):
        bgbb_summary(tx.rename(columns={"timestamp": "date"}))


def test_probability_no_purchase(donations, model) -> None:
    one = model.probability_no_purchase(donations, 1)
    # at most one transaction per opportunity: P(none in the next one) = 1 - E[X(n, n+1)]
    np.testing.assert_allclose(one, 1 - model.predict_purchases(donations, 1), rtol=1e-12)
    three = model.probability_no_purchase(donations, 3)
    assert (three < one).all() and three.between(0, 1).all()
    np.testing.assert_array_equal(model.probability_no_purchase(donations, 0), 1.0)
    # lapsed donors (gave in 1996 only) are likelier to give nothing than loyal ones
    x, tx = donations["frequency"], donations["recency"]
    assert three[(x == 1) & (tx == 1)].iloc[0] > three[(x == 6) & (tx == 6)].iloc[0]


def test_probability_no_purchase_matches_simulation(rng) -> None:
    # 300,000 BG/BB customers: 6 observed opportunities, then 3 ahead
    truth = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}
    p = rng.beta(1.204, 0.750, 300_000)
    theta = rng.beta(0.657, 2.783, 300_000)
    alive = np.ones(300_000, dtype=bool)
    x, tx, later = np.zeros(300_000), np.zeros(300_000), np.zeros(300_000)
    for t in range(1, 10):
        alive &= rng.random(300_000) >= theta
        buy = alive & (rng.random(300_000) < p)
        if t <= 6:
            x += buy
            tx[buy] = t
        else:
            later += buy
    hist = pd.DataFrame({"frequency": x, "recency": tx, "n_periods": 6.0})
    model = BGBBModel.from_params(**truth)
    predicted = model.probability_no_purchase(hist, 3)
    groups = pd.DataFrame({"x": x, "tx": tx, "none": later == 0, "p": predicted})
    table = groups.groupby(["x", "tx"]).agg(n=("none", "size"), observed=("none", "mean"),
                                            predicted=("p", "first"))
    table = table[table["n"] >= 2_000]
    se = np.sqrt(table["predicted"] * (1 - table["predicted"]) / table["n"])
    assert len(table) >= 10
    assert (np.abs(table["observed"] - table["predicted"]) < 4 * se).all()
