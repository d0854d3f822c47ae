"""Time CLV intervals against the point estimate, on the same customers in the same run.

Run: ``.venv/bin/python benchmarks/bench_intervals.py [--customers 1000000]
[--draws-customers 50000]``.

The log comes from :func:`clvkit.models.simulate_realistic_log` (customers acquired
over three years, daily timestamps, 3% heavy buyers: about 600,000 unique
(frequency, recency, T) tuples at a million customers). After ``rfm_summary`` and the
BG/NBD and Gamma-Gamma fits (timed, but not part of the ratio), the script times

* the point estimate: ``customer_value(horizon_months=12)``;
* the intervals: ``clv_intervals(..., level=0.9)`` with the default delta method
  (its point columns are the same ``customer_value`` call, so this is the full cost
  of the numbers with their intervals) and the total over the base;

and prints the ratio (target: at most 10x). Each timing is the best of two runs, as the
machine is shared. ``--draws-customers`` also times ``method="draws"`` (200 parameter
draws) on a smaller log, for comparison; its cost grows with draws x unique tuples.
The last line per size is ``customers=<n> point_s=<a> intervals_s=<b> ratio=<x>``.
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable
from typing import Any

import clvkit as ck
from clvkit.models import (
    clv_intervals,
    customer_value,
    fit_bgnbd,
    fit_gamma_gamma,
    simulate_realistic_log,
)
from clvkit.models._compress import compress


def _best(fn: Callable[[], Any], repeat: int = 2) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - started)
    return best, out


def _prepare(n: int) -> tuple[Any, Any, Any]:
    started = time.perf_counter()
    tx = simulate_realistic_log(n, seed=1)
    summary = ck.rfm_summary(tx, observation_end=tx.attrs["observation_end"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        bg, gg = fit_bgnbd(summary), fit_gamma_gamma(summary)
    unique = compress(*(summary[c].to_numpy() for c in ("frequency", "recency", "T")))
    print(f"customers={n:,} rows={len(tx):,} unique (x, t_x, T)={unique.n_unique:,} "
          f"log+summary+fits {time.perf_counter() - started:.1f} s")
    return summary, bg, gg


def run(n: int) -> None:
    """Time the point estimate and the delta-method intervals on ``n`` customers."""
    summary, bg, gg = _prepare(n)
    point_s, _ = _best(lambda: customer_value(summary, bgnbd=bg, gamma_gamma=gg))
    interval_s, res = _best(lambda: clv_intervals(summary, bgnbd=bg, gamma_gamma=gg))
    total_s, total = _best(lambda: res.total())
    row = total.iloc[0]
    print(f"  point estimate (customer_value)        {point_s:7.2f} s")
    print(f"  with 90% intervals (clv_intervals)     {interval_s:7.2f} s")
    print(f"  total over the base with its interval  {total_s:7.2f} s")
    print(f"  total CLV {row['clv']:,.0f} (90% interval {row['clv_low']:,.0f} - "
          f"{row['clv_high']:,.0f}); median customer width "
          f"{(res.customers['clv_high'] / res.customers['clv_low']).median() - 1:.2%}")
    ratio = (interval_s + total_s) / point_s
    print(f"customers={n} point_s={point_s:.2f} intervals_s={interval_s + total_s:.2f} "
          f"ratio={ratio:.1f}")


def run_draws(n: int, draws: int = 200) -> None:
    """Time ``method="draws"`` against the delta method on ``n`` customers."""
    summary, bg, gg = _prepare(n)
    point_s, _ = _best(lambda: customer_value(summary, bgnbd=bg, gamma_gamma=gg), 1)
    delta_s, delta = _best(lambda: clv_intervals(summary, bgnbd=bg, gamma_gamma=gg), 1)
    draws_s, drawn = _best(lambda: clv_intervals(summary, bgnbd=bg, gamma_gamma=gg,
                                                 method="draws", draws=draws), 1)
    a, b = delta.total().iloc[0], drawn.total().iloc[0]
    print(f"  point {point_s:.2f} s, delta {delta_s:.2f} s ({delta_s / point_s:.1f}x), "
          f"{draws} draws {draws_s:.2f} s ({draws_s / point_s:.1f}x)")
    print(f"  total interval: delta {a['clv_low']:,.0f} - {a['clv_high']:,.0f}, "
          f"draws {b['clv_low']:,.0f} - {b['clv_high']:,.0f}")


def main() -> None:
    """Print the timings for each requested size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--draws-customers", type=int, nargs="*", default=[])
    args = parser.parse_args()
    for n in args.customers:
        run(n)
    for n in args.draws_customers:
        run_draws(n)


if __name__ == "__main__":
    main()
