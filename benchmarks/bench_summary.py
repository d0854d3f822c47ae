"""Time clvkit.rfm_summary against lifetimes' summary_data_from_transaction_data.

Run: ``.venv/bin/python benchmarks/bench_summary.py [--customers 1000000]``. The log is
synthetic: each customer buys 1 + Poisson(3) times at random moments of two years.
Both functions get the same frame; the script checks they agree before timing.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

import clvkit as ck


def make_log(n_customers: int, seed: int = 0) -> pd.DataFrame:
    """Build a random transaction log with about 4 rows per customer."""
    rng = np.random.default_rng(seed)
    n = 1 + rng.poisson(3.0, size=n_customers)
    cust = np.repeat(np.arange(n_customers), n)
    seconds = rng.integers(0, 2 * 365 * 86_400, size=cust.size)
    return pd.DataFrame({
        "customer_id": cust,
        "timestamp": pd.Timestamp("2023-01-01") + pd.to_timedelta(seconds, unit="s"),
        "amount": np.round(rng.gamma(2.0, 50.0, size=cust.size), 2),
    })


def _time(func, *args, **kwargs) -> tuple[float, pd.DataFrame]:
    start = time.perf_counter()
    out = func(*args, **kwargs)
    return time.perf_counter() - start, out


def main() -> None:
    """Print the timings for each requested size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--skip-lifetimes", action="store_true")
    args = parser.parse_args()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from lifetimes.utils import summary_data_from_transaction_data
    for n in args.customers:
        tx = make_log(n)
        t_ck, ours = _time(ck.rfm_summary, tx, freq="W")
        line = f"{n:>10,} customers {len(tx):>11,} rows  clvkit {t_ck:7.2f} s"
        if not args.skip_lifetimes:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                t_lt, theirs = _time(summary_data_from_transaction_data, tx, "customer_id",
                                     "timestamp", monetary_value_col="amount", freq="W")
            np.testing.assert_allclose(ours.to_numpy(float), theirs.to_numpy(), rtol=1e-9)
            line += f"  lifetimes {t_lt:7.2f} s  ({t_lt / t_ck:4.1f}x)"
        print(line)


if __name__ == "__main__":
    main()
