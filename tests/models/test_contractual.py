"""Tests for the shifted-beta-geometric retention model (clvkit.models.contractual)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from clvkit.exceptions import DataValidationError, ParameterError
from clvkit.models import SBGModel, cohort_active_counts, fit_sbg

# Fader & Hardie (2007), Table 1: customers still active at the start of year 1 and at the
# end of years 1..7, per 1,000 acquired.
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491]


def _with_params(alpha: float, beta: float) -> SBGModel:
    """A fitted model whose parameters are then set by hand, to test closed forms."""
    model = fit_sbg(HIGH_END)
    model.params_ = {"alpha": alpha, "beta": beta}
    return model


def _pmf_by_recursion(alpha: float, beta: float, t_max: int) -> np.ndarray:
    """P(T = t), t = 1..t_max, by the paper's recursion (no beta functions)."""
    p = [alpha / (alpha + beta)]
    for t in range(2, t_max + 1):
        p.append(p[-1] * (beta + t - 2) / (alpha + beta + t - 1))
    return np.array(p)


@pytest.mark.parametrize(
    ("active", "alpha", "beta"),
    [(REGULAR, 0.704, 1.182), (HIGH_END, 0.668, 3.806)],
    ids=["regular", "high_end"],
)
def test_sbg_params_match_fader_hardie_2007(active, alpha, beta):
    params = fit_sbg(active).params
    assert set(params) == {"alpha", "beta"}
    # the paper reports three decimals; 382 (not 380) in year 3 reproduces all of them
    assert round(params["alpha"], 3) == alpha
    assert round(params["beta"], 3) == beta


def test_log_likelihood_equals_hand_computation():
    model = fit_sbg(REGULAR)
    a, b = model.params["alpha"], model.params["beta"]
    pmf = _pmf_by_recursion(a, b, 7)
    lost = -np.diff(REGULAR)
    survivors = REGULAR[-1]
    expected = float(lost @ np.log(pmf)) + survivors * math.log(1 - pmf.sum())
    assert model.log_likelihood_ == pytest.approx(expected, rel=1e-10)
    # the optimum: moving either parameter lowers the likelihood
    for da, db in [(0.01, 0), (-0.01, 0), (0, 0.01), (0, -0.01)]:
        pmf2 = _pmf_by_recursion(a + da, b + db, 7)
        ll2 = float(lost @ np.log(pmf2)) + survivors * math.log(1 - pmf2.sum())
        assert ll2 < expected


def test_survival_retention_and_pmf_are_consistent():
    model = fit_sbg(HIGH_END)
    a, b = model.params["alpha"], model.params["beta"]
    t = np.arange(1, 40)
    np.testing.assert_allclose(model.churn_probability(t), _pmf_by_recursion(a, b, 39))
    np.testing.assert_allclose(model.survival(t - 1) - model.survival(t),
                               model.churn_probability(t))
    np.testing.assert_allclose(model.retention_rate(t), model.survival(t) / model.survival(t - 1))
    np.testing.assert_allclose(model.retention_rate(1), b / (a + b))
    assert model.survival(0)[0] == 1.0
    assert np.all(np.diff(model.retention_rate(t)) > 0)  # retention rises with tenure


def test_project_table():
    model = fit_sbg(HIGH_END)
    proj = model.project(12)
    assert list(proj.index) == list(range(13))
    assert proj.index.name == "period"
    np.testing.assert_allclose(proj["survival"], model.survival(np.arange(13)))
    assert math.isnan(proj.loc[0, "retention_rate"])
    assert proj["expected_active"].iloc[0] == 1000
    np.testing.assert_allclose(proj["observed_survival"].iloc[:8], np.array(HIGH_END) / 1000)
    assert proj["observed_survival"].iloc[8:].isna().all()
    assert proj["observed"].tolist() == [True] * 8 + [False] * 5
    assert model.project(3, cohort_size=50)["expected_active"].iloc[0] == 50
    # projected years 8-12 stay within 2 percentage points of the fitted year-7 trend
    assert 0.37 < proj.loc[12, "survival"] < proj.loc[8, "survival"] < 0.491


@pytest.mark.parametrize(("alpha", "beta"), [(0.668, 3.806), (20.0, 80.0), (200.0, 800.0)])
def test_derl_closed_form_equals_truncated_sum(alpha, beta):
    # (200, 800) is beyond scipy's hyp2f1 (it returns NaN): derl() then sums the series.
    model = _with_params(alpha, beta)
    k = np.arange(20_000)
    for renewals in (0, 3, 7):
        n = renewals + 1
        for d in (0.05, 0.10, 0.25):
            direct = np.sum(model.survival(n + k) / model.survival(n - 1) * (1 + d) ** -k)
            assert model.derl(d, renewals=renewals) == pytest.approx(direct, rel=1e-9)


def test_derl_reproduces_high_end_example():
    model = fit_sbg(HIGH_END)
    # high-end survivors after 7 renewals at 10 %: 7.53 expected discounted payments
    assert model.derl(0.10, renewals=7) == pytest.approx(7.530, abs=5e-4)
    # longer-tenured customers are worth more (retention rises with tenure)
    assert model.derl(0.1, 7) > model.derl(0.1, 0)


def test_derl_without_heterogeneity_is_the_geometric_annuity():
    # Beta(theta K, (1 - theta) K) with huge K puts every customer at churn probability theta:
    # DERL = sum_k (1 - theta)^(k + 1) / (1 + d)^k = (1 - theta)(1 + d) / (d + theta).
    theta, d = 0.2, 0.1
    model = _with_params(theta * 1e7, (1 - theta) * 1e7)
    assert model.derl(d, renewals=4) == pytest.approx((1 - theta) * (1 + d) / (d + theta), 1e-5)


def test_expected_lifetime():
    model = _with_params(3.0, 6.0)
    assert model.expected_lifetime() == pytest.approx(8 / 2)
    assert model.expected_lifetime() == pytest.approx(model.survival(np.arange(200_000)).sum())
    assert model.expected_lifetime(horizon=5) == pytest.approx(model.survival(np.arange(5)).sum())
    assert model.expected_lifetime(horizon=1) == 1.0
    high_end = fit_sbg(HIGH_END)
    with pytest.warns(UserWarning, match=r"infinite because alpha = 0\.668 <= 1"):
        assert high_end.expected_lifetime() == math.inf


def test_lifetime_summary():
    life = fit_sbg(HIGH_END).lifetime_summary(horizon=12)
    assert life["mean"] == math.inf  # alpha < 1, and no warning here
    assert (life["median"], life["horizon"]) == (7, 12)
    assert life["mean_within_horizon"] == fit_sbg(HIGH_END).expected_lifetime(horizon=12)
    assert _with_params(3.0, 6.0).lifetime_summary()["mean"] == pytest.approx(4.0)


def test_median_lifetime():
    model = fit_sbg(HIGH_END)
    med = model.median_lifetime()
    assert model.survival(med)[0] <= 0.5 < model.survival(med - 1)[0]
    assert med == 7  # observed: 491 of 1,000 left after year 7, 517 after year 6
    assert fit_sbg(REGULAR).median_lifetime() == 2


def test_parameter_recovery_on_simulated_cohorts(rng):
    # 20,000 subscribers, theta ~ Beta(0.8, 2.5), shifted-geometric lifetimes, 12 periods
    # observed. The estimates must lie within 3 standard errors of the truth (a 99.7 %
    # interval if the asymptotic normal approximation holds, which 20,000 customers allow).
    alpha, beta, n, m = 0.8, 2.5, 20_000, 12
    life = rng.geometric(rng.beta(alpha, beta, size=n))
    active = [int((life > t).sum()) for t in range(m + 1)]
    model = fit_sbg(active)
    for name, truth in (("alpha", alpha), ("beta", beta)):
        assert abs(model.params[name] - truth) < 3 * model.standard_errors_[name]
        assert model.standard_errors_[name] < 0.15 * truth


def test_several_cohorts_fit_jointly():
    # two identical cohorts give the same estimates as one
    both = pd.DataFrame([HIGH_END, HIGH_END])
    one = fit_sbg(HIGH_END)
    two = fit_sbg(both)
    assert two.params == pytest.approx(one.params, rel=1e-6)
    assert two.log_likelihood_ == pytest.approx(2 * one.log_likelihood_)
    assert two.n_customers_ == 2000
    # a younger cohort (3 periods observed) adds its own censored survivors
    ragged = pd.DataFrame([HIGH_END, [*HIGH_END[:4], None, None, None, None]], dtype="Int64")
    fit = fit_sbg(ragged)
    table = fit.observed_
    assert table.loc[3, "censored"] == 653 and table.loc[7, "censored"] == 491
    assert table.loc[4, "at_risk"] == 653  # only the older cohort is still observed
    assert table.loc[1, "at_risk"] == 2000
    pmf = _pmf_by_recursion(fit.params["alpha"], fit.params["beta"], 7)
    lost = -np.diff(HIGH_END)
    ll = float(lost @ np.log(pmf)) + 491 * math.log(1 - pmf.sum())
    ll += float(lost[:3] @ np.log(pmf[:3])) + 653 * math.log(1 - pmf[:3].sum())
    assert fit.log_likelihood_ == pytest.approx(ll, rel=1e-9)


def test_summary_and_estimator_contract():
    model = SBGModel(max_iter=500)
    assert clone(model).get_params() == {"max_iter": 500}
    with pytest.raises(NotFittedError):
        model.survival(1)
    with pytest.raises(NotFittedError):
        _ = model.params
    active = np.array(REGULAR)
    assert model.fit(active) is model
    np.testing.assert_array_equal(active, REGULAR)  # input untouched
    table = model.summary()
    assert list(table.index) == ["alpha", "beta"] and table.index.name == "parameter"
    assert list(table.columns) == ["estimate", "std_error", "lower_95", "upper_95"]
    assert (table["std_error"] > 0).all()
    assert table.loc["alpha", "estimate"] == model.params["alpha"]
    assert (table["lower_95"] < table["estimate"]).all()
    # log-scale interval: estimate is the geometric mean of the bounds
    np.testing.assert_allclose(np.sqrt(table["lower_95"] * table["upper_95"]), table["estimate"])


@pytest.mark.parametrize(
    ("active", "match"),
    [
        ([1000], "needs at least two counts"),
        ([1000, 900, 950, 800], r"must not increase.*rise in 1 period\(s\): 2"),
        ([1000, -5], "whole numbers >= 0; 1 are not"),
        ([1000, 900.5, 800], r"whole numbers >= 0; 1 are not \(periods 1: 900\.5\)"),
        ([500, 500, 500], r"No customer cancelled in the data \(500 customers, 2 period"),
        ([[1000, 900], [800, 700]], "one cohort's counts"),
        ([1000, float("nan")], "1 missing value"),
    ],
)
def test_invalid_counts_raise(active, match):
    with pytest.raises(DataValidationError, match=match):
        fit_sbg(active)


def test_non_convergence_raises():
    from clvkit.exceptions import ConvergenceError

    with pytest.raises(ConvergenceError, match=r"sBG fit did not converge after 1 iterations.*"
                       r"larger max_iter \(currently 1\)"):
        SBGModel(max_iter=1).fit(REGULAR)


def test_invalid_cohort_frame_raises():
    gap = pd.DataFrame([[1000, None, 800]], index=["2024-01"])
    with pytest.raises(DataValidationError, match=r"Cohort 2024-01: .*gap \(missing period 1"):
        fit_sbg(gap)
    too_young = pd.DataFrame([[1000, None, None]], index=["2024-01"])
    with pytest.raises(DataValidationError, match="No cohort has been observed for a full"):
        fit_sbg(too_young)


def test_invalid_arguments_raise():
    model = fit_sbg(HIGH_END)
    with pytest.raises(ParameterError, match=r"discount_rate must be > 0.*got 0"):
        model.derl(0)
    with pytest.raises(ParameterError, match="renewals must be whole numbers of periods >= 0"):
        model.derl(0.1, renewals=-1)
    with pytest.raises(ParameterError, match="n_periods must be a whole number >= 1; got 0"):
        model.project(0)
    with pytest.raises(ParameterError, match="horizon must be a whole number"):
        model.expected_lifetime(horizon=2.5)
    with pytest.raises(ParameterError, match="t must be whole numbers of periods >= 1"):
        model.retention_rate(0)


# --- building the counts from a customer table ----------------------------------------

def _customers() -> pd.DataFrame:
    ts = pd.Timestamp
    return pd.DataFrame({
        "customer_id": ["A", "B", "C", "D", "E", "F"],
        "signup_date": [ts("2024-01-05"), ts("2024-01-20"), ts("2024-01-31"),
                        ts("2024-05-10"), ts("2024-01-07"), ts("2024-05-02")],
        "churn_date": [ts("2024-02-10"), pd.NaT, ts("2024-03-01"),
                       ts("2024-06-20"), ts("2024-02-01"), ts("2024-07-15")],
        "contract": ["subscription"] * 4 + ["none", "subscription"],
    })


def test_cohort_active_counts_by_hand():
    customers = _customers()
    before = customers.copy()
    counts = cohort_active_counts(customers, observation_end="2024-06-30")
    pd.testing.assert_frame_equal(customers, before)
    # 2024-01: A lost in month 2 (36 days), B active, C lost in month 1 (30 days); the
    # last sign-up (Jan 31) has completed 4 months (151 days) by June 30. E is not a
    # subscriber. 2024-05: D lost in month 2 (41 days); F cancels after observation_end
    # so is still active; latest sign-up May 10 has completed 1 month.
    assert list(counts.index) == ["2024-01", "2024-05"]
    assert counts.loc["2024-01"].tolist() == [3, 2, 1, 1, 1]
    assert counts.loc["2024-05"].iloc[:2].tolist() == [2, 2]
    assert counts.loc["2024-05"].iloc[2:].isna().all()
    model = fit_sbg(counts)
    assert model.n_customers_ == 5


def test_cohort_active_counts_errors():
    customers = _customers()
    with pytest.raises(DataValidationError,
                       match=r"customers table has no column\(s\) 'contract'.*it has"):
        cohort_active_counts(customers.drop(columns="contract"))
    bad = customers.assign(churn_date=customers["churn_date"].where(
        customers["customer_id"] != "B", pd.Timestamp("2023-12-01")))
    with pytest.raises(DataValidationError, match=r"1 of 5 subscribers.*customer_id B\)"):
        cohort_active_counts(bad, observation_end="2024-06-30")
    with pytest.raises(DataValidationError, match=r"contract == 'monthly'.*\['none', 'subs"):
        cohort_active_counts(customers, contract="monthly")
    with pytest.raises(ParameterError, match="observation_end must be a date"):
        cohort_active_counts(customers, observation_end="end of June")
    everyone = cohort_active_counts(customers, observation_end="2024-06-30", contract=None)
    assert everyone.loc["2024-01", 0] == 4


def test_sbg_plots():
    import matplotlib.pyplot as plt

    from clvkit.plots import plot_sbg_retention, plot_sbg_survival

    proj = fit_sbg(HIGH_END).project(12)
    ax = plot_sbg_survival(proj)
    fitted, projected, observed = ax.get_lines()
    np.testing.assert_allclose(fitted.get_ydata(), proj["survival"].iloc[:8])
    assert list(projected.get_xdata()) == list(range(7, 13))
    np.testing.assert_allclose(observed.get_ydata()[:8], np.array(HIGH_END) / 1000)
    assert ax.get_xlabel() == "Months since sign-up"
    ax2 = plot_sbg_retention(proj)
    model_line, observed_line = ax2.get_lines()
    np.testing.assert_allclose(model_line.get_ydata(), proj["retention_rate"].iloc[1:])
    assert observed_line.get_ydata()[1] == pytest.approx(0.869)
    with pytest.raises(DataValidationError, match=r"has no column\(s\) 'observed'"):
        plot_sbg_survival(proj.drop(columns="observed"))
    plt.close("all")


def test_subscriber_count_and_describe_sbg():
    from clvkit.models import subscriber_count
    from clvkit.report import describe_sbg

    assert subscriber_count(_customers()) == 5
    assert subscriber_count(_customers().drop(columns="contract")) == 0
    assert subscriber_count(None) == 0
    model = fit_sbg(HIGH_END)
    (k1, fit), (k2, life), (k3, derl) = describe_sbg(model, discount_rate_annual=0.10,
                                                     horizon=12)
    assert (k1, k2, k3) == ("sbg.sentence", "sbg.lifetime_infinite", "sbg.derl")
    a, b = model.params["alpha"], model.params["beta"]
    # retention after a year = r_13 (the 13th renewal decision), survival from S(t)
    assert fit == {"n": "1,000", "alpha": "0.668", "beta": "3.806", "r1": "85.1%",
                   "r12": f"{100 * (b + 12) / (a + b + 12):.1f}%", "s12": "37.8%",
                   "s24": f"{100 * model.survival(24)[0]:.1f}%"}
    assert life["median"] == "7" and life["within"] == f"{model.expected_lifetime(12):.1f}"
    d_monthly = 1.1 ** (1 / 12) - 1
    assert derl["derl12"] == f"{model.derl(d_monthly, renewals=12):,.1f}"
    assert derl["rate"] == "10.0%"
    finite = describe_sbg(_with_params(3.0, 6.0))[1]
    assert finite == ("sbg.lifetime_finite", {"mean": "4.0", "median": "2", "horizon": "24",
                                              "within": finite[1]["within"]})


def test_cancellations_on_renewal_dates_fall_in_the_right_period():
    # Cancelling at the k-th monthly renewal date (calendar months, or k x 30.4375 days
    # rounded to whole days) means k months were paid: lost in period k.
    signup = pd.Timestamp("2023-07-01")
    churn = [signup + pd.DateOffset(months=k) for k in (1, 2, 7)]  # 31, 62, 215 days
    churn += [signup + pd.Timedelta(days=d) for d in (61, 91, 365)]  # round(k * 30.4375)
    customers = pd.DataFrame({
        "customer_id": [f"S{i}" for i in range(6)], "signup_date": signup,
        "churn_date": churn, "contract": "subscription"})
    counts = cohort_active_counts(customers, observation_end="2025-01-01")
    # lost in periods 1, 2, 7 and 2, 3, 12
    expected = [6, 5, 3, 2, 2, 2, 2, 1, 1, 1, 1, 1, 0]
    assert counts.loc["2023-07"].iloc[:13].tolist() == expected


def test_sbg_fits_the_demo_subscribers():
    from clvkit.datasets import make_demo

    ds = make_demo(n_customers=1000, seed=42)
    counts = cohort_active_counts(ds.customers, observation_end=ds.observation_end)
    assert counts[0].sum() == (ds.customers["contract"] == "subscription").sum()
    proj = fit_sbg(counts).project(12)
    observed = proj["observed_survival"].notna()
    gap = (proj["survival"] - proj["observed_survival"])[observed].abs()
    assert gap.max() < 0.06  # the demo's churn follows an sBG-like process


# --- estimator family: JSON persistence, sklearn signature --------------------------------

def test_sbg_json_round_trip(tmp_path):
    import json

    from clvkit.models import load_model

    model = fit_sbg(pd.DataFrame([[1000, 631, 468, 380], [800, 505, None, None]],
                                 index=["2024-01", "2024-02"]))
    path = tmp_path / "sbg.json"
    model.save(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["model"] == "SBGModel" and data["settings"] == {"max_iter": 1000}
    assert data["learned"]["params_"] == model.params
    loaded = load_model(path)
    assert loaded.params == model.params
    assert loaded.standard_errors_ == model.standard_errors_
    assert (loaded.n_customers_, loaded.n_periods_) == (1800, 3)
    pd.testing.assert_frame_equal(loaded.observed_, model.observed_)
    pd.testing.assert_frame_equal(loaded.project(8), model.project(8))
    assert loaded.derl(0.1) == model.derl(0.1)


def test_sbg_fit_takes_y_none_and_unfitted_save_raises(tmp_path):
    model = SBGModel()
    assert model.fit(REGULAR, None) is model
    with pytest.raises(NotFittedError):
        SBGModel().save(tmp_path / "x.json")


def test_load_model_rejects_other_files(tmp_path):
    from clvkit.models import load_model

    other = tmp_path / "model.bin"
    other.write_bytes(b"\x80\x04not json")
    with pytest.raises(ParameterError, match=r"is not a saved clvkit model: it is not JSON"):
        load_model(other)
    unknown = tmp_path / "unknown.json"
    unknown.write_text('{"model": "SBG", "learned": {}}', encoding="utf-8")
    with pytest.raises(ParameterError, match=r"\(model='SBG'\); expected one of BGBBModel"):
        load_model(unknown)
