"""Time clvkit.segments.scored_customers against calling its steps one by one.

Run: ``.venv/bin/python benchmarks/bench_scored.py [--customers 100000 1000000]``.
The data are the bundled demo generator's (customers, surveys, membership fees).
The plain alternative is what an analyst would write without the scored table: RFM
segments, value tiers, the action matrix and the per-customer history, each from the
transactions. scored_customers summarises the transactions once and shares the
summary between the steps; the script checks both give the same labels first.
"""

from __future__ import annotations

import argparse
import time

import clvkit as ck


def _steps(data: ck.Dataset) -> dict:
    end = data.observation_end
    return {
        "history": ck.segments.customer_history(data.transactions, end),
        "segments": ck.segments.rfm_segments(data.transactions, end),
        "tiers": ck.segments.customer_tiers(data),
        "actions": ck.segments.assign_actions(data),
    }


def main() -> None:
    """Print the timings for each requested size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    for n in args.customers:
        data = ck.datasets.make_demo(n, seed=1)
        start = time.perf_counter()
        parts = _steps(data)
        t_plain = time.perf_counter() - start
        start = time.perf_counter()
        scored = ck.segments.scored_customers(data).set_index("customer_id")
        t_ck = time.perf_counter() - start
        for column, key in (("segment", "segments"), ("tier", "tiers"), ("action", "actions")):
            expected = parts[key][column].astype(str).reindex(scored.index)
            assert (scored[column].astype(str) == expected).all(), column
        print(f"{n:>10,} customers {len(data.transactions):>11,} rows  "
              f"steps one by one {t_plain:7.2f} s  scored_customers {t_ck:7.2f} s  "
              f"({t_plain / t_ck:4.2f}x)")


if __name__ == "__main__":
    main()
