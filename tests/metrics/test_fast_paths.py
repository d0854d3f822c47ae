"""The integer-code fast paths of the retention, churn and tracking computations give
exactly what the pandas group-bys they replace give."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit._codes import factorize_ids, period_ordinals, plain_dates, sorted_unique
from clvkit.metrics import _spells


def _log(n_customers: int = 400, seed: int = 3) -> pd.DataFrame:
    """A log with repeat days, long gaps (new spells) and shared id objects."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"C{i:05d}" for i in range(n_customers)], dtype=object)
    rows = rng.integers(0, n_customers, size=6 * n_customers)
    start = np.datetime64("2020-01-01T00:00", "s").astype("datetime64[ns]")
    offset = rng.integers(0, 4 * 365 * 86400, size=rows.size).astype("timedelta64[s]")
    frame = pd.DataFrame({"customer_id": ids[rows], "timestamp": start + offset,
                          "amount": rng.gamma(2.0, 20.0, size=rows.size)})
    # the same id text in fresh objects, as a log built row by row holds
    fresh = rng.random(rows.size) < 0.3
    frame.loc[fresh, "customer_id"] = ["".join(list(v)) for v in frame.loc[fresh, "customer_id"]]
    return frame


@pytest.mark.parametrize("sort", [False, True])
def test_factorize_ids_equal_pandas_factorize(sort):
    a, b = "x", "".join(["x"])  # equal text, distinct objects
    values = np.array([a, "y", b, None, "y", float("nan"), a, "z"], dtype=object)
    codes, uniques = factorize_ids(values, sort=sort)
    expected_codes, expected_uniques = pd.factorize(values, sort=sort)
    np.testing.assert_array_equal(codes, expected_codes)
    assert list(uniques) == list(expected_uniques)
    log = _log()
    codes, uniques = factorize_ids(log["customer_id"], sort=sort)
    expected_codes, expected_uniques = pd.factorize(log["customer_id"].to_numpy(), sort=sort)
    np.testing.assert_array_equal(codes, expected_codes)
    np.testing.assert_array_equal(uniques, expected_uniques)
    ints = np.array([5, 3, 5, 9])
    np.testing.assert_array_equal(factorize_ids(ints, sort=sort)[0],
                                  pd.factorize(ints, sort=sort)[0])
    assert factorize_ids(np.array([], dtype=object))[0].size == 0


def test_sorted_unique_and_period_ordinals_equal_numpy_and_pandas():
    values = np.random.default_rng(0).integers(-50, 50, size=1000)
    np.testing.assert_array_equal(sorted_unique(values), np.unique(values))
    assert sorted_unique(np.array([4])).tolist() == [4]
    days = pd.date_range("1958-03-01", "2031-12-31", freq="D") + pd.Timedelta(hours=23)
    for freq in ("D", "W", "M", "Q", "Y"):
        np.testing.assert_array_equal(period_ordinals(days.to_numpy(), freq),
                                      pd.PeriodIndex(days, freq=freq).asi8, err_msg=freq)
    assert period_ordinals(days.to_numpy(), "h") is None
    assert plain_dates(pd.Series(days))
    assert not plain_dates(pd.Series(days.tz_localize("UTC")))
    assert not plain_dates(pd.Series([days[0], pd.NaT]))


def _ordered(spells: pd.DataFrame) -> pd.DataFrame:
    return spells.sort_values(["customer_id", "start"]).reset_index(drop=True)


@pytest.mark.parametrize("window", [30, 365])
def test_inactivity_spells_equal_the_pandas_path(window):
    log = _log()
    end = pd.Timestamp("2023-06-30")  # later rows are left out with a warning
    with pytest.warns(UserWarning, match="after observation_end 2023-06-30"):
        fast = _spells.inactivity_spells(log, window, end)
    with pytest.warns(UserWarning, match="after observation_end 2023-06-30"):
        general = _spells._inactivity_spells_general(log, window, end)
    pd.testing.assert_frame_equal(_ordered(fast), _ordered(general))
    with pytest.warns(UserWarning):
        first = _spells.first_spells(log, window, end)
    expected = _ordered(general).drop_duplicates("customer_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(_ordered(first), expected)


def test_spells_fall_back_to_pandas_for_time_zones():
    log = _log(50)
    aware = log.assign(timestamp=log["timestamp"].dt.tz_localize("UTC"))
    end = pd.Timestamp("2024-12-31", tz="UTC")
    assert _spells.spell_arrays(aware, 365, end) is None
    spells = _spells.inactivity_spells(aware, 365, end)
    plain = _spells.inactivity_spells(log, 365, pd.Timestamp("2024-12-31"))
    assert len(spells) == len(plain)


@pytest.mark.parametrize("freq", ["M", "Q", "Y"])
def test_activity_cohorts_equal_the_pandas_path(freq):
    log = _log()
    end = pd.Timestamp("2023-06-30")
    counts, sizes = _spells.activity_counts(log, end, freq)
    expected_counts, expected_sizes = _spells._activity_counts_general(log, end, freq)
    width = expected_counts.shape[1]
    pd.testing.assert_frame_equal(counts.iloc[:, :width], expected_counts, check_names=False)
    assert (counts.iloc[:, width:] == 0).all().all()
    pd.testing.assert_series_equal(sizes, expected_sizes, check_names=False)


def test_survival_by_a_column_with_customers_missing_warns_and_matches_a_series():
    log = _log()
    customers = pd.DataFrame({"customer_id": [f"C{i:05d}" for i in range(0, 400, 2)],
                              "channel": np.where(np.arange(200) % 3, "app", "store")})
    ds = ck.Dataset(transactions=log, customers=customers, name="t",
                    observation_end=pd.Timestamp("2023-12-31"))
    with pytest.warns(UserWarning, match=r"customers have no segment \(e.g. customer_id C00001"):
        by_column = ck.metrics.survival_curves(ds, by="channel")
    series = customers.set_index("customer_id")["channel"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        by_series = ck.metrics.survival_curves(log, by=series,
                                               observation_end="2023-12-31")
    pd.testing.assert_frame_equal(by_column, by_series)
    assert set(by_column["segment"]) == {"app", "store"}


def test_tracking_curve_equals_the_pandas_period_path():
    log = _log()
    split = ck.calibration_holdout_split(log, "2022-12-31", "2023-12-31")
    with warnings.catch_warnings():  # the random log has no dropout: a fit at the edge
        warnings.simplefilter("ignore", UserWarning)
        model = ck.models.fit_bgnbd(ck.models.calibration_summary(split))
    kwargs = {"calibration_end": "2022-12-31", "observation_end": "2023-12-31"}
    fast = ck.models.tracking_curve(model, log, freq="W", **kwargs)
    general = ck.models.tracking_curve(model, log, freq="W-SUN", **kwargs)  # PeriodIndex path
    pd.testing.assert_frame_equal(fast, general)


def test_margin_per_active_customer_counts_customers_by_code():
    log = _log().assign(gross_margin=lambda f: f["amount"] * 0.3)
    end = pd.Timestamp("2023-12-31")
    day = log["timestamp"].dt.normalize()
    window = log.loc[(day > end - pd.DateOffset(months=12)) & (day <= end)]
    expected = window["gross_margin"].sum() / window["customer_id"].nunique()
    assert ck.metrics.margin_per_active_customer(log, observation_end=end) == expected
    plain = log.drop(columns="gross_margin")
    share = ck.metrics.margin_per_active_customer(plain, margin_share=0.5, months=6,
                                                  observation_end=end)
    window = plain.loc[(day > end - pd.DateOffset(months=6)) & (day <= end)]
    assert share == (window["amount"] * 0.5).sum() / window["customer_id"].nunique() * 12 / 6


def test_many_pseudonyms_equal_one_by_one_and_formula_guard_only_where_needed():
    from clvkit._export import _formula_safe, neutralise_formulas
    from clvkit.report._privacy import pseudonymise, pseudonymise_ids

    ids = pd.Series(["a", None, "b", np.nan, "a", 5, "客户"], name="customer_id", dtype=object)
    for salt in ("s", "k" * 100, "盐"):  # a key longer than SHA-256's block is hashed first
        out = pseudonymise_ids(ids, salt)
        assert out.tolist() == [None if pd.isna(v) else pseudonymise(v, salt) for v in ids]
    frame = pd.DataFrame({"plain": ["x", "y", None], "risky": ["x", "=1+1", "-3"],
                          "number": [1.0, 2.0, 3.0]})
    out = neutralise_formulas(frame)
    expected = frame.assign(risky=frame["risky"].map(_formula_safe))
    expected.columns = [_formula_safe(c) for c in expected.columns]
    pd.testing.assert_frame_equal(out, expected)
    assert out["risky"].tolist() == ["x", "'=1+1", "-3"]


def test_covariate_sample_summarises_only_the_sampled_customers_with_the_same_rows():
    from clvkit.report._covariates import sampled_summary

    log = _log()
    end = "2023-12-31"
    log = log.loc[log["timestamp"] < "2024-01-01"]  # kept whole: the sampled path
    full = ck.rfm_summary(log, observation_end=end)
    summary, total = sampled_summary(log, end, 100, seed=7)
    expected = full.sample(n=100, random_state=7)
    pd.testing.assert_frame_equal(summary, expected, check_exact=True)
    assert summary.attrs == expected.attrs and total == len(full)
    # purchases after the end: the whole summary first, then the same sample
    summary, total = sampled_summary(_log(), end, 100, seed=7)
    whole = ck.rfm_summary(_log(), observation_end=end)
    pd.testing.assert_frame_equal(summary, whole.sample(n=100, random_state=7))
    summary, total = sampled_summary(log, end, 10_000, seed=7)  # small: everyone
    pd.testing.assert_frame_equal(summary, full)


def test_monthly_activity_chart_counts_orders_and_revenue_by_month():
    import matplotlib.pyplot as plt

    log = _log()
    ax = ck.plots.plot_monthly_activity(log)
    expected = log.groupby(log["timestamp"].dt.to_period("M"))["amount"].agg(["size", "sum"])
    heights = [bar.get_height() for bar in ax.patches]
    assert heights == expected["size"].tolist()
    np.testing.assert_array_equal(ax.figure.axes[1].lines[0].get_ydata(), expected["sum"])
    plt.close(ax.figure)
