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


def test_previous_run_seconds_order_the_pages(tmp_path):
    from clvkit.report._runner import _previous_seconds

    assert _previous_seconds(tmp_path / "missing") == {}
    (tmp_path / "run.json").write_text("{not json", encoding="utf-8")
    assert _previous_seconds(tmp_path) == {}
    (tmp_path / "run.json").write_text(
        '{"notebooks": [{"name": "00_a", "seconds": 3.5}, {"name": "06_b", "seconds": 61}]}',
        encoding="utf-8")
    assert _previous_seconds(tmp_path) == {"00_a": 3.5, "06_b": 61.0}
