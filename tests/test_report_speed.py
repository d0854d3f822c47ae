"""What a report run computes once for every page gives what each page computed before."""

from __future__ import annotations

import pickle

import clvkit as ck
from clvkit.report._provenance import RUN_SHA256, data_hash, provenance
from clvkit.report._run_steps import write_run_data


def test_pages_read_the_fingerprint_the_run_computed_once(tmp_path):
    ds = ck.load_data("demo", demo_customers=200, seed=5)
    write_run_data(ds, tmp_path / "run-data.pickle")
    assert RUN_SHA256 not in ds.extra  # the caller's dataset is left as it was
    with open(tmp_path / "run-data.pickle", "rb") as fh:
        page = pickle.load(fh)
    assert page.extra[RUN_SHA256] == data_hash(ds) == data_hash(page)
    assert provenance({}, page).data_sha256 == provenance({}, ds).data_sha256 == data_hash(ds)
    for name in ("transactions", "customers", "surveys"):
        assert getattr(page, name).equals(getattr(ds, name))
