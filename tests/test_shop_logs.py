"""A shop's own export, as an analyst would get it, through the whole report.

The log is shaped like a real online retailer's invoice export (the UK retailer of
issue 12, which we cannot ship): one row per product line, an invoice number shared by
the lines of one order, cancellations as separate negative invoices whose number starts
with "C", a few heavy buyers, customers acquired over the whole period, and pound
amounts. One year and two years of it each give a full report (exit 0) with finite
values for every customer and the refunds netted.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import clvkit as ck

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
pytestmark = [pytest.mark.notebook, pytest.mark.slow]


def _shop_lines(years: float, seed: int = 3) -> pd.DataFrame:
    orders = ck.models.simulate_realistic_log(900, years=years, start="2022-01-01", seed=seed)
    rng = np.random.default_rng(seed)
    orders = orders.reset_index(drop=True)
    orders["invoice"] = [f"{536000 + i}" for i in range(len(orders))]
    n_lines = rng.integers(1, 6, len(orders))
    lines = orders.loc[orders.index.repeat(n_lines)].reset_index(drop=True)
    share = rng.dirichlet(np.ones(5), len(orders))
    lines["amount"] = np.concatenate(
        [np.round(a * s[:k] / s[:k].sum(), 2)
         for a, s, k in zip(orders["amount"], share, n_lines, strict=True)])
    lines["StockCode"] = rng.integers(10000, 99999, len(lines)).astype(str)
    cancelled = orders.sample(frac=0.03, random_state=seed)
    totals = lines.groupby("invoice")["amount"].sum()  # what the whole order came to
    cancel = cancelled.assign(invoice="C" + cancelled["invoice"],
                              amount=-cancelled["invoice"].map(totals).round(2),
                              timestamp=cancelled["timestamp"] + pd.Timedelta(minutes=12))
    cancel["StockCode"] = "ALL"
    out = pd.concat([lines, cancel], ignore_index=True).sort_values("timestamp")
    out["customer_id"] = "U" + out["customer_id"].astype(str)
    return out.rename(columns={"customer_id": "CustomerID", "timestamp": "InvoiceDate",
                               "amount": "LineTotal", "invoice": "InvoiceNo"})


@pytest.mark.parametrize("years", [1.0, 2.0], ids=["one_year", "two_years"])
def test_a_shops_line_level_log_gives_a_full_honest_report(tmp_path, years):
    lines = _shop_lines(years)
    lines.to_csv(tmp_path / "invoices.csv", index=False)
    (tmp_path / "clvkit.toml").write_text(
        '[transactions]\npath = "invoices.csv"\ncancel_prefix = "C"\n'
        '[transactions.columns]\ncustomer_id = "CustomerID"\ntimestamp = "InvoiceDate"\n'
        'amount = "LineTotal"\norder_id = "InvoiceNo"\n', encoding="utf-8")
    result = ck.report.run_report(
        tmp_path / "out", notebooks=NOTEBOOKS,
        params={"config": str(tmp_path / "clvkit.toml"), "currency": "£",
                "salt": "shop-log-test-key"})
    scored = pd.read_csv(result.out_dir / "scored_customers.csv", encoding="utf-8-sig")
    cancelled = set(lines.loc[lines["InvoiceNo"].str.startswith("C"), "InvoiceNo"].str[1:])
    kept = lines[(lines["LineTotal"] > 0) & ~lines["InvoiceNo"].isin(cancelled)]
    assert len(scored) == kept["CustomerID"].nunique()  # a customer whose only order was
    # cancelled is no customer: the whole purchase is reversed
    assert np.isfinite(scored["clv"]).all() and np.isfinite(scored["p_alive"]).all()
    assert result.record["assumptions"]["currency"] == {"value": "£", "source": "set"}
    summary = (result.out_dir / "00_executive_summary.html").read_text(encoding="utf-8")
    assert "£" in summary and "¥" not in summary
    quality = (result.out_dir / "01_data_quality.html").read_text(encoding="utf-8")
    assert "aggregated" in quality or "summed" in quality  # the shape it read is stated
    # the cancelled orders are gone from the value: revenue = kept lines - cancellations
    kpi = result.record["kpis"]["revenue"]["value"]
    assert kpi == pytest.approx(lines["LineTotal"].sum(), rel=1e-9)
