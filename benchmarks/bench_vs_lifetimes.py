"""Time the whole CLV pipeline in plain lifetimes and in clvkit on realistic logs.

Run: ``.venv/bin/python benchmarks/bench_vs_lifetimes.py [--customers 300000 1000000]
[--freq D W]``.

The log comes from :func:`clvkit.models.simulate_realistic_log`: customers acquired
uniformly over three years, daily timestamps in shop hours, 3% heavy buyers (100+
repeat days), 15% of purchase days with a second same-day order, about 8 rows per
customer. Unlike a CDNOW-like log (everyone acquired within 12 weeks), ages and
recencies take hundreds of daily values, so the unique (frequency, recency, T)
tuples number in the hundreds of thousands at a million customers.

For each size the log is drawn once; for each ``freq`` both pipelines run the same
four steps with the same settings (12 months, 1% monthly discount, lifetimes'
30 days or 4.345 weeks per month):

==========  =========================================  ===================================
step        plain lifetimes 0.11.3                      clvkit (backend="clvkit")
==========  =========================================  ===================================
summary     ``summary_data_from_transaction_data``      ``rfm_summary``
BG/NBD      ``BetaGeoFitter().fit`` (every customer)    ``fit_bgnbd`` (vectorised, unique tuples)
G-G         ``GammaGammaFitter().fit`` (repeaters)      ``fit_gamma_gamma``
CLV         ``customer_lifetime_value(time=12)``        ``customer_value(horizon_months=12)``
==========  =========================================  ===================================

Each pipeline runs in its own forked child process, one after the other (never in
parallel), so its peak resident memory can be read from ``getrusage``. The script
prints per-step times and ratios, the end-to-end ratio, and the largest relative
difference between the two sets of parameters and CLVs; the last line per run is
``customers=<n> freq=<f> speedup=<x> max_rel_param_diff=<y>``.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import time
import warnings
from typing import Any

import numpy as np
import pandas as pd

import clvkit as ck
from clvkit.models import simulate_realistic_log

HORIZON_MONTHS, MONTHLY_RATE = 12, 0.01
PERIODS_PER_MONTH = {"D": 30.0, "W": 4.345}  # lifetimes' customer_lifetime_value


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


class _Clock:
    """Wall and CPU seconds (user + system, this process) of each step."""

    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self._t0 = self._c0 = 0.0

    def start(self) -> None:
        self._t0, self._c0 = time.perf_counter(), time.process_time()

    def stop(self, step: str) -> None:
        self.times[step] = time.perf_counter() - self._t0
        self.cpu[step] = time.process_time() - self._c0


def _system_seconds() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_stime


def run_lifetimes(tx: pd.DataFrame, end: pd.Timestamp, freq: str) -> dict[str, Any]:
    """Plain lifetimes, as its documentation shows it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from lifetimes import BetaGeoFitter, GammaGammaFitter
        from lifetimes.utils import summary_data_from_transaction_data

        clock = _Clock()
        clock.start()
        summary = summary_data_from_transaction_data(
            tx, "customer_id", "timestamp", monetary_value_col="amount",
            observation_period_end=end, freq=freq)
        clock.stop("summary")
        clock.start()
        bgf = BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
        clock.stop("bgnbd_fit")
        clock.start()
        rep = summary[summary["frequency"] > 0]
        ggf = GammaGammaFitter().fit(rep["frequency"], rep["monetary_value"])
        clock.stop("gamma_gamma_fit")
        clock.start()
        clv = ggf.customer_lifetime_value(
            bgf, summary["frequency"], summary["recency"], summary["T"],
            summary["monetary_value"], time=HORIZON_MONTHS, discount_rate=MONTHLY_RATE,
            freq=freq)
        clock.stop("clv")
    return {
        "times": clock.times, "cpu": clock.cpu, "system_s": _system_seconds(),
        "peak_mb": _peak_mb(),
        "params": {**bgf.params_.to_dict(), **ggf.params_.to_dict()},
        "clv": clv.sort_index().to_numpy(), "n_unique": None,
    }


def run_clvkit(tx: pd.DataFrame, end: pd.Timestamp, freq: str) -> dict[str, Any]:
    """clvkit: vectorised summary, likelihoods and predictions on unique tuples."""
    clock = _Clock()
    clock.start()
    summary = ck.rfm_summary(tx, observation_end=end, freq=freq)
    clock.stop("summary")
    clock.start()
    bg = ck.models.fit_bgnbd(summary)
    clock.stop("bgnbd_fit")
    clock.start()
    gg = ck.models.fit_gamma_gamma(summary)
    clock.stop("gamma_gamma_fit")
    clock.start()
    value = ck.models.customer_value(
        summary, bgnbd=bg, gamma_gamma=gg, horizon_months=HORIZON_MONTHS,
        discount_rate_monthly=MONTHLY_RATE, periods_per_month=PERIODS_PER_MONTH[freq])
    clock.stop("clv")
    return {
        "times": clock.times, "cpu": clock.cpu, "system_s": _system_seconds(),
        "peak_mb": _peak_mb(), "params": {**bg.params, **gg.params},
        "clv": value["clv"].sort_index().to_numpy(), "n_unique": bg.n_unique_,
        "gg_unique": gg.n_unique_, "warnings": bg.diagnostics_["warnings"],
    }


def _in_child(func: Any, *args: Any) -> dict[str, Any]:
    """Run ``func`` in a forked process (shares ``tx`` copy-on-write) and return its result."""
    ctx = mp.get_context("fork")
    with ctx.Pool(1) as pool:
        return pool.apply(func, args)


def compare(tx: pd.DataFrame, end: pd.Timestamp, freq: str, n: int) -> None:
    """Run both pipelines on one log at one freq and print the comparison."""
    load_before = os.getloadavg()[0]
    lt = _in_child(run_lifetimes, tx, end, freq)
    ours = _in_child(run_clvkit, tx, end, freq)
    print(f"\n== {n:,} customers, freq {freq!r} ==")
    print(f"load average before: {load_before:.2f} (1 min)")
    print(f"{'step':<18}{'lifetimes s':>12}{'clvkit s':>10}{'ratio':>9}"
          f"{'lifetimes CPU s':>17}{'clvkit CPU s':>14}{'CPU ratio':>11}")
    for step in lt["times"]:
        a, b = lt["times"][step], ours["times"][step]
        ca, cb = lt["cpu"][step], ours["cpu"][step]
        print(f"{step:<18}{a:>12.2f}{b:>10.2f}{a / b:>8.1f}x{ca:>17.2f}{cb:>14.2f}"
              f"{ca / max(cb, 1e-9):>10.1f}x")
    total_lt, total_ck = sum(lt["times"].values()), sum(ours["times"].values())
    cpu_lt, cpu_ck = sum(lt["cpu"].values()), sum(ours["cpu"].values())
    speedup = total_lt / total_ck
    print(f"{'end to end':<18}{total_lt:>12.2f}{total_ck:>10.2f}{speedup:>8.1f}x"
          f"{cpu_lt:>17.2f}{cpu_ck:>14.2f}{cpu_lt / cpu_ck:>10.1f}x")
    print(f"CPU = user + system seconds of the step in its process (system time of the "
          f"whole child: lifetimes {lt['system_s']:.2f} s, clvkit {ours['system_s']:.2f} s); "
          f"load average after: {os.getloadavg()[0]:.2f}")
    print(f"peak resident memory: lifetimes {lt['peak_mb']:,.0f} MB, clvkit "
          f"{ours['peak_mb']:,.0f} MB (each in its own process, log included)")
    print(f"clvkit fitted BG/NBD on {ours['n_unique']:,} unique (frequency, recency, T) "
          f"tuples and Gamma-Gamma on {ours['gg_unique']:,} unique pairs; BG/NBD "
          f"diagnostics: {[w['code'] for w in ours['warnings']] or 'none'}")
    rel = {k: abs(ours["params"][k] - v) / abs(v) for k, v in lt["params"].items()}
    for k, v in lt["params"].items():
        print(f"  {k:<6} lifetimes {v:14.8f}  clvkit {ours['params'][k]:14.8f}  "
              f"rel diff {rel[k]:.2e}")
    clv_rel = np.abs(ours["clv"] - lt["clv"]) / np.maximum(np.abs(lt["clv"]), 1e-12)
    big = np.abs(lt["clv"]) > 1e-6
    print(f"largest relative CLV difference over {len(lt['clv']):,} customers "
          f"(CLV > 1e-6): {np.max(clv_rel[big]):.2e}")
    print(f"customers={n} freq={freq} speedup={speedup:.1f} "
          f"max_rel_param_diff={max(rel.values()):.2e}")


def main() -> None:
    """Simulate each size once, run both pipelines per freq, print the comparisons."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[300_000, 1_000_000])
    parser.add_argument("--freq", nargs="+", default=["D", "W"], choices=["D", "W"])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    # Import lifetimes (and clvkit's modules) before forking, so neither timing
    # includes one-off imports of lifetimes, autograd and scipy, nor clvkit's of
    # scikit-learn (the estimators' base class, which imports scipy.stats) and of the
    # engine dispatch of rfm_summary.
    from clvkit import engines  # noqa: F401
    from clvkit.models import _fit, _lifetimes, _predict, btyd, clv, spend  # noqa: F401

    _lifetimes._lifetimes()
    for n in args.customers:
        t0 = time.perf_counter()
        tx = simulate_realistic_log(n, seed=args.seed)
        end = tx.attrs["observation_end"]
        print(f"\nsimulated {n:,} customers, {len(tx):,} transactions in "
              f"{time.perf_counter() - t0:.1f} s (3 years, daily; observation end "
              f"{end.date()}); memory {_peak_mb():,.0f} MB")
        for freq in args.freq:
            compare(tx, end, freq, n)
        del tx


if __name__ == "__main__":
    main()
