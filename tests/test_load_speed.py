"""The fast paths of the load and validation step equal the slow formulas they replace.

Each helper is checked against the expression it stands for, on every kind of column a
reader gives (numbers with NaN/inf, nullable integers, dates with NaT, time zones,
strings with blanks and spaces), and ``load_data`` is checked end to end on data with
the realistic bad rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clvkit._parse import as_text, is_blank, parse_numbers
from clvkit._transactions import _NON_FINITE, non_finite


def _columns() -> dict[str, pd.Series]:
    return {
        "float": pd.Series([1.5, np.nan, np.inf, -np.inf, 0.0, 3.0, -2.0]),
        "int": pd.Series([1, 2, 3, -4, 0, 7, 9], dtype="int64"),
        "Int64": pd.Series([1, None, 3, -4, 0, None, 9], dtype="Int64"),
        "Float64": pd.Series([1.5, None, 3, -4, 0, None, 9], dtype="Float64"),
        "dates": pd.Series(pd.to_datetime(["2024-01-05", None, "2024-02-01 13:45",
                                           None, "1997-01-01", "2099-12-31",
                                           "2024-03-03"], format="ISO8601")),
        "dates_tz": pd.Series(pd.to_datetime(["2024-01-05", None, "2024-02-01 13:45",
                                              None, "1997-01-01", "2099-12-31",
                                              "2024-03-03"], format="ISO8601")
                              .tz_localize("Asia/Shanghai")),
        "text": pd.Series([" a ", "", "  ", None, np.nan, "inf", "NaN"], dtype=object),
        "mixed": pd.Series([1, "x", None, 2.5, " ", "-INF", np.inf], dtype=object),
        "string": pd.Series(["a", "", None, " b", "Infinity", "+nan", "7"],
                            dtype="string"),
        "bool": pd.Series([True, False, True, False, True, True, False]),
    }


@pytest.mark.parametrize("kind", list(_columns()))
def test_is_blank_is_as_text_isna(kind):
    values = _columns()[kind]
    pd.testing.assert_series_equal(is_blank(values), as_text(values).isna(),
                                   check_names=False)


@pytest.mark.parametrize("kind", list(_columns()))
def test_non_finite_equals_text_formula(kind):
    raw = _columns()[kind]
    parsed = (pd.Series(np.nan, index=raw.index) if kind.startswith("dates")
              else parse_numbers(raw))
    text = as_text(raw).str.casefold()
    expected = (text.isin(_NON_FINITE).fillna(False).astype(bool)
                | np.isinf(parsed.to_numpy(dtype=float, na_value=np.nan)))
    got = non_finite(raw, parsed)
    np.testing.assert_array_equal(np.asarray(got, dtype=bool), np.asarray(expected, dtype=bool))


def _old_counts(raw, reason, note, reasons, kept_codes):
    """The counts table as build_table computed it before (every row annotated)."""
    from clvkit._quality import KEPT, OK, REASON, ROW, SET_ASIDE, _examples, label
    kept = reason.isna()
    outcome = np.where(kept, np.where(note.notna(), note, OK), reason)
    annotated = raw.assign(**{REASON: outcome, ROW: raw.index + 1})
    records = []
    for code in (OK, *reasons):
        rows = annotated[annotated[REASON] == code]
        records.append({
            "reason": code, "label": label(code),
            "action": KEPT if (code == OK or code in kept_codes) else SET_ASIDE,
            "rows": len(rows), "share": len(rows) / len(raw) if len(raw) else 0.0,
            "examples": "" if code == OK else _examples(rows, code),
        })
    return pd.DataFrame.from_records(records)


@pytest.mark.parametrize("n", [0, 1, 12, 40])
def test_build_table_counts_equal_the_full_annotation(n):
    from clvkit import schema as s
    from clvkit._quality import build_table
    from clvkit.validation import REASONS
    rng = np.random.default_rng(n)
    raw = pd.DataFrame({
        s.CUSTOMER_ID: [f"C{i % 7}" for i in range(n)],
        s.TIMESTAMP: pd.date_range("2024-01-01", periods=n, freq="D"),
        s.AMOUNT: rng.normal(50, 30, n).round(2),
    })
    codes = list(REASONS["transactions"])
    reason = pd.Series([codes[i % len(codes)] if i % 3 == 0 else None for i in range(n)],
                       dtype=object)
    note = pd.Series([codes[-1] if i % 5 == 1 else None for i in range(n)], dtype=object)
    got = build_table("transactions", raw, raw, reason, note, reasons=codes,
                      observation_end=None, kept_codes=(codes[-1],))
    pd.testing.assert_frame_equal(got.counts, _old_counts(raw, reason, note, codes,
                                                          (codes[-1],)))


def test_load_data_with_bad_rows_counts_every_row():
    ds = pytest.importorskip("clvkit").load_data("demo", demo_customers=300)
    for v in ds.quality.tables.values():
        assert int(v.counts["rows"].sum()) == v.n_read
        assert len(v.set_aside) == v.n_set_aside


def _old_order_keys(typed):
    from clvkit import schema as s
    own = "#" + pd.Series(typed.index.astype(str), index=typed.index)
    if s.ORDER_ID not in typed:
        return own
    oid = typed[s.ORDER_ID]
    keyed = pd.Series([f"{c}\x1f{o}" for c, o in zip(typed[s.CUSTOMER_ID], oid, strict=True)],
                      index=typed.index, dtype=object)
    return keyed.where(oid.notna(), own).astype(object)


@pytest.mark.parametrize("order_ids", [["A1", "A2", "A1", "B7"], ["A1", None, "A1", np.nan],
                                       [None, None, None, None], None])
def test_order_keys_equal_the_formula_with_every_row_keyed(order_ids):
    from clvkit import schema as s
    from clvkit._orders import order_keys
    from clvkit._parse import as_ids
    typed = pd.DataFrame({s.CUSTOMER_ID: as_ids(pd.Series(["c1", "c2", "c1", "c3"])),
                          s.AMOUNT: [1.0, 2.0, 3.0, 4.0]}, index=[10, 11, 12, 13])
    if order_ids is not None:
        typed[s.ORDER_ID] = as_ids(pd.Series(order_ids, index=typed.index, dtype=object))
    keys, old = order_keys(typed), _old_order_keys(typed)
    # integer keys now: the same rows share a key, numbered in order of first appearance
    assert keys.dtype == np.int64 and keys.index.equals(old.index)
    np.testing.assert_array_equal(pd.factorize(keys)[0], pd.factorize(old)[0])


@pytest.mark.parametrize("seed", range(10))
def test_order_keys_group_rows_as_the_string_keys(seed):
    from clvkit._orders import id_codes, is_line_level, n_shared_order_ids, order_keys
    typed = _random_lines(seed, int(np.random.default_rng(seed).integers(0, 80)))
    typed["customer_id"] = typed["customer_id"].fillna("c0")
    typed = typed.astype({"customer_id": object, "order_id": object})
    old = _old_order_keys(typed)
    codes = (id_codes(typed["customer_id"])[0], id_codes(typed["order_id"])[0])
    for keys in (order_keys(typed), order_keys(typed, *codes)):
        np.testing.assert_array_equal(pd.factorize(keys)[0], pd.factorize(old)[0])
        assert is_line_level(keys) == bool(old.duplicated().any())
    both = typed[["order_id", "customer_id"]].dropna()
    per_id = both.drop_duplicates().groupby("order_id", sort=False).size()
    assert n_shared_order_ids(typed) == int(np.sum(per_id.to_numpy() > 1))


@pytest.mark.parametrize("values", [["a", "b", None, "a", np.nan], [], [None, None],
                                    ["x"] * 3, [1, 2, 1]])
def test_id_codes_factorize(values):
    from clvkit._orders import id_codes
    series = pd.Series(values, dtype=object)
    codes, uniques = id_codes(series)
    expected, exp_uniques = pd.factorize(series)
    np.testing.assert_array_equal(codes, expected)
    assert list(uniques) == list(exp_uniques)


class _OldChecks:
    """Checks as it was: the reason and note Series rescanned on every check."""

    def __init__(self, index):
        self.index = index
        self.reason = pd.Series(None, index=index, dtype=object)
        self.note = pd.Series(None, index=index, dtype=object)

    @property
    def ok(self):
        return self.reason.isna()

    def set_aside(self, code, mask):
        self.reason = self.reason.mask(self.ok & mask.fillna(False).astype(bool), code)

    def keep(self, code, mask):
        hit = self.ok & self.note.isna() & mask.fillna(False).astype(bool)
        self.note = self.note.mask(hit, code)


@pytest.mark.parametrize("seed", range(6))
def test_checks_equal_the_series_rescans(seed):
    from clvkit._rowchecks import Checks
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 60))
    index = pd.RangeIndex(n)
    new, old = Checks(index), _OldChecks(index)
    for step in range(12):
        values = rng.random(n)
        mask = pd.Series(values < 0.2, index=index)
        if step % 4 == 1:  # a nullable mask with missing values, as comparisons give
            mask = pd.Series(np.where(values < 0.5, values < 0.2, None), index=index,
                             dtype="boolean")
        if step % 3 == 2:
            new.keep(f"note{step}", mask)
            old.keep(f"note{step}", mask)
        else:
            new.set_aside(f"code{step}", mask)
            old.set_aside(f"code{step}", mask)
        pd.testing.assert_series_equal(new.ok, old.ok)
        pd.testing.assert_series_equal(new.reason, old.reason)
        pd.testing.assert_series_equal(new.note, old.note)


def _random_lines(seed, n):
    from clvkit import schema as s
    rng = np.random.default_rng(seed)
    pick = lambda values: [values[i] for i in rng.integers(0, len(values), n)]  # noqa: E731
    return pd.DataFrame({
        s.CUSTOMER_ID: pick(["c1", "c2", " c1", None, "c3"]),
        s.ORDER_ID: pick(["o1", "o2", "o3", None, np.nan, " o1"]),
        s.TIMESTAMP: pick(["2024-01-01", "2024-01-02", "bad"]),
        s.AMOUNT: pick([1.0, 2.5, np.nan, -1.0]),
    })


@pytest.mark.parametrize("seed", range(8))
def test_exact_duplicates_equal_the_full_row_comparison(seed):
    from clvkit._rowchecks import exact_duplicates
    raw = _random_lines(seed, int(np.random.default_rng(seed).integers(0, 80)))
    among = pd.Series(np.random.default_rng(seed + 1).random(len(raw)) < 0.7, index=raw.index)
    expected = (raw[among].duplicated(keep="first").reindex(raw.index, fill_value=False)
                if among.any() else pd.Series(False, index=raw.index))
    pd.testing.assert_series_equal(exact_duplicates(raw, among), expected)
    no_ids = raw.drop(columns="order_id")
    expected = (no_ids[among].duplicated(keep="first").reindex(raw.index, fill_value=False)
                if among.any() else pd.Series(False, index=raw.index))
    pd.testing.assert_series_equal(exact_duplicates(no_ids, among), expected)


@pytest.mark.parametrize("seed", range(8))
def test_shared_order_ids_equal_the_pair_count(seed):
    from clvkit import schema as s
    from clvkit._orders import n_shared_order_ids
    typed = _random_lines(seed, int(np.random.default_rng(seed).integers(0, 80)))
    both = typed[[s.ORDER_ID, s.CUSTOMER_ID]].dropna()
    per_id = both.drop_duplicates().groupby(s.ORDER_ID, sort=False).size()
    assert n_shared_order_ids(typed) == int(np.sum(per_id.to_numpy() > 1))


def _old_by_order_id(orders, reversals, cancel_prefix):
    from clvkit import schema as s
    target = np.full(len(reversals), -1)
    if s.ORDER_ID not in orders or s.ORDER_ID not in reversals or orders.empty:
        return target
    # the rule of the docstring: same customer and same order id (tuples: an id holding
    # the old key's separator "\x1f" no longer matches another customer's order)
    key = pd.Series(list(zip(orders[s.CUSTOMER_ID], orders[s.ORDER_ID], strict=True)),
                    dtype=object)
    position = {k: i for i, k in reversed(list(enumerate(key)))
                if isinstance(k[1], str)}
    oid = reversals[s.ORDER_ID].astype("string")
    tries = [oid]
    if cancel_prefix:
        stripped = oid.where(~oid.str.startswith(cancel_prefix).fillna(False),
                             oid.str.slice(len(cancel_prefix)))
        tries.append(stripped)
    for ids in tries:
        for i, (c, o) in enumerate(zip(reversals[s.CUSTOMER_ID], ids, strict=True)):
            if target[i] < 0 and isinstance(o, str) and (c, o) in position:
                target[i] = position[(c, o)]
    return target


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("prefix", [None, "C"])
def test_reversals_find_the_orders_they_name_as_before(seed, prefix):
    from clvkit import schema as s
    from clvkit._parse import as_ids
    from clvkit._refunds import _by_order_id
    rng = np.random.default_rng(seed)
    pick = lambda values, n: as_ids(pd.Series(  # noqa: E731
        [values[i] for i in rng.integers(0, len(values), n)], dtype=object))
    n_orders, n_rev = int(rng.integers(0, 40)), int(rng.integers(0, 15))
    orders = pd.DataFrame({s.CUSTOMER_ID: pick(["c1", "c2", "c3", "c1\x1fo1"], n_orders),
                           s.ORDER_ID: pick(["o1", "o2", "o1\x1fo2", None], n_orders)})
    reversals = pd.DataFrame({s.CUSTOMER_ID: pick(["c1", "c2", "c9", "c1\x1fo1"], n_rev),
                              s.ORDER_ID: pick(["o1", "Co2", "o2", "o1\x1fo2", None, "x"],
                                               n_rev)})
    np.testing.assert_array_equal(_by_order_id(orders, reversals, prefix),
                                  _old_by_order_id(orders, reversals, prefix))


def _old_as_ids(values):
    from clvkit._parse import as_text, text_dtype
    ids = as_text(values).astype(object).where(lambda x: x.notna(), np.nan)
    return ids.astype(text_dtype())


@pytest.mark.parametrize("kind", [*_columns(), "spaces", "ids"])
def test_as_ids_equals_the_text_formula(kind):
    from clvkit._parse import as_ids
    if kind == "spaces":  # every character str.strip() removes, at either end or alone
        import sys
        spaces = [c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace()]
        values = pd.Series([*spaces, *(f"{c}a{c}" for c in spaces), "a\u200bb", "\u200b",
                            " 中文 ", "", None, np.nan, "NA", "None", "x y"], dtype=object,
                           name="customer_id", index=range(5, 5 + 2 * len(spaces) + 9))
    elif kind == "ids":
        values = pd.Series(["C1", "C2", None, " C3", "C1"], dtype=object)
    else:
        values = _columns()[kind]
    got, expected = as_ids(values), _old_as_ids(values)
    pd.testing.assert_series_equal(got, expected)
    assert [type(v) for v in got] == [type(v) for v in expected]


@pytest.mark.parametrize("refunds", ["net", "set_aside", "ignore"])
def test_validation_leaves_its_input_as_it_was(refunds):
    from clvkit import datasets
    from clvkit.validation import validate_tables
    demo = datasets.add_quality_issues(datasets.make_demo(n_customers=200, seed=3), seed=3)
    frames = [demo.transactions, demo.customers, demo.surveys]
    before = [f.copy(deep=True) for f in frames]
    quality = validate_tables(*frames, refunds=refunds)
    for frame, copy in zip(frames, before, strict=True):
        pd.testing.assert_frame_equal(frame, copy)
    clean = quality["transactions"].clean
    assert clean.index.equals(pd.RangeIndex(len(clean)))
    for table in ("transactions", "customers", "surveys"):
        mine = quality[table].clean  # the caller's own: editing it leaves the input alone
        for j in range(mine.shape[1]):  # (pandas 2: no shared memory; 3: copy on write)
            mine.iloc[0, j] = mine.iloc[1, j]
    for frame, copy in zip(frames, before, strict=True):
        pd.testing.assert_frame_equal(frame, copy)


@pytest.mark.parametrize("seed", range(8))
def test_match_reversals_with_customer_codes_as_without(seed):
    from clvkit import schema as s
    from clvkit._orders import id_codes
    from clvkit._refunds import match_reversals
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(1, 60)), int(rng.integers(1, 20))
    day = pd.Timestamp("2024-01-01")
    orders = pd.DataFrame({
        s.CUSTOMER_ID: [f"c{i}" for i in rng.integers(0, 6, n)],
        s.ORDER_ID: [f"o{i}" for i in rng.integers(0, 30, n)],
        s.TIMESTAMP: day + pd.to_timedelta(rng.integers(0, 40, n), unit="D"),
        s.AMOUNT: rng.integers(1, 50, n).astype(float)}, index=rng.permutation(n) + 100)
    reversals = pd.DataFrame({
        s.CUSTOMER_ID: [f"c{i}" for i in rng.integers(0, 8, m)],
        s.ORDER_ID: [f"o{i}" for i in rng.integers(0, 40, m)],
        s.TIMESTAMP: day + pd.to_timedelta(rng.integers(0, 45, m), unit="D"),
        s.AMOUNT: rng.integers(1, 60, m).astype(float)})
    codes, _ = id_codes(pd.concat([orders[s.CUSTOMER_ID], reversals[s.CUSTOMER_ID]]))
    plain = match_reversals(orders, reversals)
    coded = match_reversals(orders, reversals, customers=(codes[:n], codes[n:]))
    np.testing.assert_array_equal(plain[0], coded[0])
    pd.testing.assert_frame_equal(plain[1], coded[1])
    renumbered = match_reversals(orders.reset_index(drop=True), reversals)
    np.testing.assert_array_equal(plain[0], renumbered[0])


def test_data_fingerprint_rows_equal_pandas_hash():
    from clvkit import datasets
    from clvkit.report._provenance import _row_hashes
    demo = datasets.add_quality_issues(datasets.make_demo(n_customers=300, seed=5), seed=5)
    odd = pd.DataFrame({
        "text": pd.Series(["x", None, np.nan, "y", "x"], dtype=object),
        "mixed": [1, "x", 2.5, None, b"z"], "empty": pd.Series([None] * 5, dtype=object),
        "cat": pd.Categorical(["p", "q", None, "p", "q"]),
        "when": pd.to_datetime(["2024-01-01", None, "2024-01-02", "2024-01-03", "2024-01-04"]),
        "count": pd.array([1, None, 3, 4, 5], dtype="Int64")})
    for frame in (demo.transactions, demo.customers, demo.surveys, odd, odd.iloc[:0]):
        np.testing.assert_array_equal(_row_hashes(frame),
                                      pd.util.hash_pandas_object(frame, index=False).to_numpy())


@pytest.mark.parametrize("seed", range(4))
def test_preflight_buyers_equal_the_visit_count(seed):
    from clvkit import datasets, schema
    from clvkit._rowchecks import isin_text
    from clvkit.report._preflight import _buyers
    demo = datasets.make_demo(n_customers=150, seed=seed)
    tx = demo.transactions
    visits = tx[[schema.CUSTOMER_ID]].assign(day=tx[schema.TIMESTAMP].dt.normalize())
    days = visits.drop_duplicates().groupby(schema.CUSTOMER_ID, sort=False).size()
    customers, repeat, buyers = _buyers(tx)
    assert (customers, repeat) == (int(days.size), int((days > 1).sum()))
    assert set(buyers) == set(days.index)
    ids = demo.surveys[schema.CUSTOMER_ID]
    assert int(isin_text(pd.Index(ids), buyers).sum()) == int(ids.isin(days.index).sum())
    assert _buyers(tx.iloc[:0])[:2] == (0, 0)


def test_parquet_reader_gives_pandas_frame(tmp_path):
    from clvkit._readers import read_parquet
    rng = np.random.default_rng(0)
    n = 3000
    frame = pd.DataFrame({
        "customer_id": [None if i % 97 == 0 else f"c{i % 50}" for i in range(n)],
        "order_id": [f"o{i}" if i % 31 else None for i in range(n)],
        "channel": pd.Series(rng.choice(["web", "shop", "", " app "], n), dtype=object),
        "when": pd.date_range("2024-01-01", periods=n, freq="h"),
        "amount": rng.random(n), "count": pd.array(rng.integers(0, 5, n), dtype="Int64"),
        "none": pd.Series([None] * n, dtype=object)})
    frame.attrs = {"source": "test"}
    for name, data in (("plain", frame), ("indexed", frame.set_index("order_id")),
                       ("repeated_index", frame.set_index("customer_id")),
                       ("two_levels", frame.set_index(["channel", "customer_id"])),
                       ("empty", frame.iloc[:0])):
        path = tmp_path / f"{name}.parquet"
        data.to_parquet(path)
        got, expected = read_parquet(path, {}), pd.read_parquet(path)
        pd.testing.assert_frame_equal(got, expected, check_exact=True)
        assert got.attrs == expected.attrs
        for col in got.columns[got.dtypes == "object"]:
            assert [type(v) for v in got[col]] == [type(v) for v in expected[col]], col
