"""Time the whole CLV pipeline in plain lifetimes and in clvkit, on the same simulated log.

Run: ``.venv/bin/python benchmarks/bench_vs_lifetimes.py [--customers 1000000]``.

The log is drawn from the BG/NBD purchase process and the Gamma-Gamma spend process
(:func:`clvkit.models.simulate_transactions`) with the CDNOW estimates as parameters,
so it looks like CDNOW: about 2.8 transactions per customer, first purchases spread
over 12 weeks, 78 weeks observed. Every customer is drawn independently (no copies).

Both pipelines do the same four steps with the same settings (weekly periods, 12
months, 1% monthly discount, lifetimes' 4.345 weeks per month):

==========  =========================================  ===================================
step        plain lifetimes                             clvkit
==========  =========================================  ===================================
summary     ``summary_data_from_transaction_data``      ``rfm_summary``
BG/NBD      ``BetaGeoFitter().fit`` (every customer)    ``fit_bgnbd`` (unique tuples)
G-G         ``GammaGammaFitter().fit`` (repeaters)      ``fit_gamma_gamma`` (unique pairs)
CLV         ``customer_lifetime_value(time=12)``        ``customer_value(horizon_months=12)``
==========  =========================================  ===================================

Each pipeline runs in its own forked child process, one after the other, so the peak
resident memory of each can be read from ``getrusage``; the children start from the
same simulated log in memory. The script prints each step's time, the end-to-end
ratio, the peak memory, the largest relative difference between the two sets of
parameters and CLVs, and last a line ``speedup=<x> max_rel_param_diff=<y>``.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import time
import warnings
from typing import Any

import numpy as np
import pandas as pd

import clvkit as ck
from clvkit.models import simulate_transactions

# Fader, Hardie & Lee (2005) and Fader & Hardie (2013) estimates on CDNOW (weeks, dollars)
BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "v": 15.44}
HORIZON_MONTHS, MONTHLY_RATE, WEEKS_PER_MONTH = 12, 0.01, 4.345


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def run_lifetimes(tx: pd.DataFrame, end: pd.Timestamp) -> dict[str, Any]:
    """Plain lifetimes, as its documentation shows it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from lifetimes import BetaGeoFitter, GammaGammaFitter
        from lifetimes.utils import summary_data_from_transaction_data

        times: dict[str, float] = {}
        t0 = time.perf_counter()
        summary = summary_data_from_transaction_data(
            tx, "customer_id", "timestamp", monetary_value_col="amount",
            observation_period_end=end, freq="W")
        times["summary"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        bgf = BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
        times["bgnbd_fit"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        rep = summary[summary["frequency"] > 0]
        ggf = GammaGammaFitter().fit(rep["frequency"], rep["monetary_value"])
        times["gamma_gamma_fit"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        clv = ggf.customer_lifetime_value(
            bgf, summary["frequency"], summary["recency"], summary["T"],
            summary["monetary_value"], time=HORIZON_MONTHS, discount_rate=MONTHLY_RATE, freq="W")
        times["clv"] = time.perf_counter() - t0
    return {
        "times": times, "peak_mb": _peak_mb(),
        "params": {**bgf.params_.to_dict(), **ggf.params_.to_dict()},
        "clv": clv.sort_index().to_numpy(), "n_unique": None,
    }


def run_clvkit(tx: pd.DataFrame, end: pd.Timestamp) -> dict[str, Any]:
    """clvkit: vectorised summary, compressed fits, CLV once per unique tuple."""
    times: dict[str, float] = {}
    t0 = time.perf_counter()
    summary = ck.rfm_summary(tx, observation_end=end, freq="W")
    times["summary"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    bg = ck.models.fit_bgnbd(summary)
    times["bgnbd_fit"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    gg = ck.models.fit_gamma_gamma(summary)
    times["gamma_gamma_fit"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    value = ck.models.customer_value(
        summary, bgnbd=bg, gamma_gamma=gg, horizon_months=HORIZON_MONTHS,
        discount_rate_monthly=MONTHLY_RATE, periods_per_month=WEEKS_PER_MONTH, freq="W")
    times["clv"] = time.perf_counter() - t0
    return {
        "times": times, "peak_mb": _peak_mb(), "params": {**bg.params, **gg.params},
        "clv": value["clv"].sort_index().to_numpy(), "n_unique": bg.n_unique_,
    }


def _in_child(func: Any, tx: pd.DataFrame, end: pd.Timestamp) -> dict[str, Any]:
    """Run ``func`` in a forked process (shares ``tx`` copy-on-write) and return its result."""
    ctx = mp.get_context("fork")
    with ctx.Pool(1) as pool:
        return pool.apply(func, (tx, end))


def main() -> None:
    """Simulate, run both pipelines, print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    # Import lifetimes (and clvkit's adapter) before forking, so neither timing includes
    # the one-off import of lifetimes, autograd and scipy.optimize.
    from clvkit.models import _lifetimes

    _lifetimes._lifetimes()
    t0 = time.perf_counter()
    tx = simulate_transactions(args.customers, bgnbd_params=BGNBD,
                               gamma_gamma_params=GAMMA_GAMMA, seed=args.seed)
    end = tx.attrs["observation_end"] - pd.Timedelta(days=1)  # last whole day observed
    tx = tx[tx["timestamp"] < end + pd.Timedelta(days=1)]
    print(f"simulated {args.customers:,} customers, {len(tx):,} transactions "
          f"in {time.perf_counter() - t0:.1f} s; observation end {end.date()}; "
          f"memory before the pipelines {_peak_mb():,.0f} MB")

    lt = _in_child(run_lifetimes, tx, end)
    ours = _in_child(run_clvkit, tx, end)

    print(f"\n{'step':<18}{'lifetimes s':>12}{'clvkit s':>10}{'ratio':>8}")
    for step in lt["times"]:
        a, b = lt["times"][step], ours["times"][step]
        print(f"{step:<18}{a:>12.2f}{b:>10.2f}{a / b:>7.1f}x")
    total_lt, total_ck = sum(lt["times"].values()), sum(ours["times"].values())
    speedup = total_lt / total_ck
    print(f"{'end to end':<18}{total_lt:>12.2f}{total_ck:>10.2f}{speedup:>7.1f}x")
    print(f"\npeak resident memory: lifetimes {lt['peak_mb']:,.0f} MB, "
          f"clvkit {ours['peak_mb']:,.0f} MB (each in its own process, log included)")
    print(f"clvkit fitted BG/NBD on {ours['n_unique']:,} unique (frequency, recency, T) tuples")

    rel = {k: abs(ours["params"][k] - v) / abs(v) for k, v in lt["params"].items()}
    for k, v in lt["params"].items():
        print(f"  {k:<6} lifetimes {v:12.6f}  clvkit {ours['params'][k]:12.6f}  "
              f"rel diff {rel[k]:.2e}")
    clv_diff = np.max(np.abs(ours["clv"] - lt["clv"]) / np.maximum(np.abs(lt["clv"]), 1e-12))
    print(f"largest relative CLV difference over {len(lt['clv']):,} customers: {clv_diff:.2e}")
    print(f"speedup={speedup:.1f} max_rel_param_diff={max(rel.values()):.2e}")


if __name__ == "__main__":
    main()
