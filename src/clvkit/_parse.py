"""Parse raw cell values (strings from CSV/Excel) into dates, numbers and ids.

Private module; :func:`parse_dates` and :func:`parse_numbers` are re-exported by
:mod:`clvkit.validation`. Nothing here drops or coerces silently: values that do not
parse become NaT/NaN and the caller compares with the input to report them.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from .exceptions import ParameterError

__all__ = ["as_date", "as_ids", "as_text", "is_blank", "parse_dates", "parse_numbers",
           "text_dtype"]


def as_date(value: object, name: str = "observation_end", *,
            optional: bool = False) -> pd.Timestamp | None:
    """Read one date argument (an observation end, a cutoff) as a day.

    Parameters
    ----------
    value : object
        A string ("2025-06-30"), datetime, ``pandas.Timestamp`` or numpy datetime64.
    name : str, default "observation_end"
        The argument's name, for the error message.
    optional : bool, default False
        Return None for None or "" instead of raising.

    Returns
    -------
    pandas.Timestamp or None
        Midnight of that day, without a time zone (local time is kept).

    Raises
    ------
    ParameterError
        If ``value`` is not a date.
    """
    if optional and (value is None or (isinstance(value, str) and not value.strip())):
        return None
    msg = f"{name} must be a date such as '2025-06-30'; got {value!r}."
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as err:
        raise ParameterError(msg) from err
    if ts is pd.NaT:
        raise ParameterError(msg)
    return (ts.tz_localize(None) if ts.tzinfo is not None else ts).normalize()

# Date formats tried in turn when no date_format is given; ISO 8601 also covers
# 2024/1/5, 2024-01-05 13:45 and 19970101. Day/month orders such as 05/01/2024 are
# ambiguous and need an explicit date_format.
_DATE_FORMATS = (
    "ISO8601", "%Y年%m月%d日", "%Y年%m月%d日 %H:%M", "%Y年%m月%d日 %H:%M:%S",
    "%Y.%m.%d", "%d.%m.%Y", "%d.%m.%Y %H:%M",
)
_TZ_SUFFIX = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")
_CURRENCY = re.compile(r"^([-+]?)\s*[¥￥$€£]\s*|\s*(?:元|RMB|CNY)$")
_THOUSANDS = re.compile(r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")


def as_text(values: pd.Series) -> pd.Series:
    """Return values as stripped strings (pandas ``string`` dtype), NA when empty."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        num = values.astype(float)
        text = num.astype(str)
        integral = num.notna() & np.isfinite(num) & (num == np.floor(num))
        text[integral] = num[integral].astype("int64").astype(str)
        return text.where(num.notna()).astype("string")
    text = values.astype("string").str.strip()
    return text.mask(text == "")


def is_blank(values: pd.Series) -> pd.Series:
    """True where a value is missing or empty: ``as_text(values).isna()``, without the text.

    Numbers and dates need no formatting to know that (a number is blank when NaN or
    NA, a date when NaT); only other columns are turned into text.
    """
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.astype(float).isna()
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.isna()
    return as_text(values).isna()


def parse_dates(values: pd.Series, date_format: str | None = None) -> pd.Series:
    """Parse dates and times; leave NaT where a value is missing or not a date.

    Parameters
    ----------
    values : pandas.Series
        Strings, datetimes or integers such as 19970101.
    date_format : str, optional
        An explicit ``strptime`` format ("%d/%m/%Y"). Default: try ISO 8601
        (2024-01-05, 2024/1/5, 20240105, with an optional time), then 2024年1月5日,
        2024.01.05 and 05.01.2024. Time-zone offsets are dropped, keeping local time.

    Returns
    -------
    pandas.Series
        ``datetime64[ns]`` with the index of ``values``; NaT marks missing and
        unparseable values (compare with the input to tell them apart).
    """
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_localize(None).astype("datetime64[ns]")
    if pd.api.types.is_datetime64_dtype(values):
        return values.astype("datetime64[ns]")
    text = as_text(values)
    timed = text.str.contains(":", regex=False).fillna(False).astype(bool)
    text = text.where(~timed, text.str.replace(_TZ_SUFFIX, "", regex=True))
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    for fmt in (date_format,) if date_format else _DATE_FORMATS:
        todo = out.isna() & text.notna()
        if not todo.any():
            break
        out[todo] = pd.to_datetime(text[todo], format=fmt, errors="coerce")
    return out


def parse_numbers(values: pd.Series) -> pd.Series:
    """Parse numbers, tolerating currency signs (¥, $, 元) and 1,234.5 separators.

    Returns a float Series, NaN where a value is missing or not a number.
    """
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.astype(float)
    text = as_text(values)
    out = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    todo = np.isnan(out) & text.notna().to_numpy()
    if todo.any():  # only values plain parsing missed: strip currency, 1,234 grouping
        rest = text[todo].str.replace(_CURRENCY, r"\1", regex=True)
        grouped = rest.str.fullmatch(_THOUSANDS).fillna(False).astype(bool)
        rest = rest.where(~grouped, rest.str.replace(",", "", regex=False))
        num = pd.to_numeric(rest, errors="coerce")
        out[todo] = num.to_numpy(dtype=float, na_value=np.nan)
    return pd.Series(out, index=values.index)


def text_dtype() -> np.dtype | pd.api.extensions.ExtensionDtype:
    """The dtype pandas itself gives a column of strings.

    ``str`` (``StringDtype(na_value=nan)``) on pandas 3 or with
    ``pd.options.future.infer_string``, ``object`` on pandas 2: clvkit's ids and labels
    use it so they match what ``pd.read_csv``, ``pd.DataFrame`` and parquet give.
    """
    return pd.Series(["a"]).dtype


#: The characters ``str.strip()`` removes (``str.isspace``).
_SPACES = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003"
           "\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")


#: UTF-8 bytes that can start (lead) or end (last) one of :data:`_SPACES`.
_LEAD_BYTES = np.isin(np.arange(256), [c.encode()[0] for c in _SPACES])
_LAST_BYTES = np.isin(np.arange(256), [c.encode()[-1] for c in _SPACES])


def _maybe_spaced(arr: Any) -> np.ndarray:
    """True for strings of a large_string Arrow array that are empty or whose first or
    last byte may belong to a space character (a superset: checked in Python after)."""
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset:arr.offset + len(arr) + 1]
    data = arr.buffers()[2]
    data = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    start, end = offsets[:-1], offsets[1:]
    empty = end <= start
    first = data[np.where(empty, 0, start)] if data.size else np.zeros(len(start), np.uint8)
    last = data[np.where(empty, 0, end - 1)] if data.size else np.zeros(len(start), np.uint8)
    return empty | _LEAD_BYTES[first] | _LAST_BYTES[last]


def _fast_ids(values: pd.Series) -> pd.Series | None:
    """:func:`as_ids` of a column of strings and missing values, or None for other columns.

    The first and last UTF-8 byte of each string (in Arrow's buffers, no Python object
    per row) tell the few strings that may need stripping or are empty; only those are
    stripped in Python, every other string is kept as it is.
    """
    if values.dtype != object or pd.api.types.infer_dtype(values, skipna=True) != "string":
        return None
    import pyarrow as pa

    cells = values.to_numpy()
    try:
        arr = pa.array(cells, type=pa.large_string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # e.g. lone surrogates
        return None
    out = cells.copy()
    null = arr.is_null().to_numpy(zero_copy_only=False)
    out[null] = np.nan
    for i in np.flatnonzero(_maybe_spaced(arr) & ~null):
        text = str(out[i]).strip()
        out[i] = text if text else np.nan
    return pd.Series(out, index=values.index, name=values.name, dtype=text_dtype())


def as_ids(values: pd.Series) -> pd.Series:
    """Return ids as stripped strings (:func:`text_dtype`), NaN when missing or empty."""
    fast = _fast_ids(values)
    if fast is not None:
        return fast
    ids = as_text(values).astype(object).where(lambda x: x.notna(), np.nan)
    return ids.astype(text_dtype())
