"""Time the BG/NBD and Pareto/NBD fits with covariates against the plain fits.

Run: ``.venv/bin/python benchmarks/bench_covariates.py [--customers 100000 1000000]
[--models bgnbd paretonbd]``.

Each customer gets an acquisition channel (4 levels: 40/30/20/10%) and a region
(4 levels, 25% each) and BG/NBD parameters shifted by them (channel: purchase-rate
factors 1, 1.5, 0.8, 2; dropout a-factors 1, 1.3, 0.8, 1; region: none), drawn with
:func:`clvkit.models.simulate_bgnbd_summary` over ages of 1-156 whole weeks; recency is
rounded down to whole weeks, like a weekly :func:`clvkit.rfm_summary`. Both covariates
go on both processes (BG/NBD: 18 coefficients; Pareto/NBD: 12). Per size and model the
script prints the plain fit's time, the covariate fit's time (the plain fit included, as
the null model), the unique (x, t_x, T, pattern) tuples, P(alive) for every customer,
the likelihood-ratio statistic and, for BG/NBD, the largest |estimate - truth| / se
of the channel coefficients. The rounding of recency makes the data only approximately
BG/NBD: at a million customers, where standard errors are small, that approximation
shows as |z| of 4-5 (at 100,000: about 2); the exact recovery checks are in
``tests/models/test_covariates.py``.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

import clvkit as ck

RATE = np.array([1.0, 1.5, 0.8, 2.0])
DROP_A = np.array([1.0, 1.3, 0.8, 1.0])


def make(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    channel = rng.choice(4, size=n, p=[0.4, 0.3, 0.2, 0.1])
    region = rng.choice(4, size=n)
    age = rng.integers(1, 157, n).astype(float)
    s = ck.models.simulate_bgnbd_summary(0.6, 8.0 / RATE[channel], 0.8 * DROP_A[channel],
                                         2.5, T=age, seed=seed + 1)
    s["recency"] = np.floor(s["recency"])
    names = np.array(["search", "social", "referral", "store"])
    return s.assign(channel=names[channel], region=np.array(list("NESW"))[region])


def run(n: int, kind: str) -> None:
    summary = make(n)
    fit = ck.models.fit_bgnbd if kind == "bgnbd" else ck.models.fit_paretonbd
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        fit(summary[["frequency", "recency", "T"]])
        plain = time.perf_counter() - start
        start = time.perf_counter()
        model = fit(summary, purchase_covariates=["channel", "region"],
                    dropout_covariates=["channel", "region"])
        with_cov = time.perf_counter() - start
    start = time.perf_counter()
    alive = model.p_alive(summary)
    predict = time.perf_counter() - start
    line = (f"customers={n:,} model={kind} plain_fit={plain:.2f}s covariate_fit={with_cov:.2f}s "
            f"ratio={with_cov / plain:.1f} unique={model.n_unique_:,} p_alive={predict:.2f}s "
            f"lr={model.lr_test_['statistic']:,.1f} df={model.lr_test_['df']} "
            f"converged={model.diagnostics_['converged']} mean_p_alive={alive.mean():.3f}")
    if kind == "bgnbd":
        c = model.coefficients_.set_index(["process", "term"])
        truth = {("purchase", "channel=social"): np.log(1.5),
                 ("purchase", "channel=referral"): np.log(0.8),
                 ("purchase", "channel=store"): np.log(2.0),
                 ("dropout_a", "channel=social"): np.log(1.3),
                 ("dropout_a", "channel=referral"): np.log(0.8),
                 ("dropout_a", "channel=store"): 0.0}
        worst = max(abs(c.loc[k, "estimate"] - v) / c.loc[k, "std_error"]
                    for k, v in truth.items())
        line += f" max_abs_z_vs_truth={worst:.2f}"
    print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--models", nargs="+", default=["bgnbd", "paretonbd"],
                        choices=["bgnbd", "paretonbd"])
    args = parser.parse_args()
    for n in args.customers:
        for kind in args.models:
            run(n, kind)


if __name__ == "__main__":
    main()
