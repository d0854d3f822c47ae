"""The CDNOW transaction log (Fader & Hardie), read from the copy lifetimes ships."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd

from clvkit import schema as s
from clvkit.exceptions import SourceError
from clvkit.tables import Dataset

__all__ = ["CDNOW_OBSERVATION_END", "load_cdnow", "load_cdnow_dataset", "read_lifetimes_csv"]

CDNOW_OBSERVATION_END = pd.Timestamp("1998-06-30")
_MASTER = "CDNOW_master.txt"
_SAMPLE = "CDNOW_sample.txt"


def _lifetimes_file(filename: str) -> Path:
    """Locate a data file inside the installed lifetimes package without importing it."""
    spec = importlib.util.find_spec("lifetimes")
    if spec is None or not spec.submodule_search_locations:
        msg = ("The CDNOW data set ships with the 'lifetimes' package, which is not "
               "installed. Install it with: pip install 'lifetimes>=0.11.3'.")
        raise SourceError(msg)
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets" / filename
    if not path.is_file():
        msg = (f"lifetimes is installed but its data file {filename!r} is missing "
               f"(looked in {path.parent}). Reinstall lifetimes.")
        raise SourceError(msg)
    return path


def read_lifetimes_csv(filename: str, **kwargs: object) -> pd.DataFrame:
    """Read one of the CSV files lifetimes ships in ``lifetimes/datasets/``.

    The same files as ``lifetimes.datasets.load_*``, without importing that module,
    which needs ``pkg_resources`` (no longer part of current setuptools).

    Parameters
    ----------
    filename : str
        E.g. "donations.csv" or "cdnow_customers_summary_with_transactions.csv".
    **kwargs
        Passed to :func:`pandas.read_csv`.

    Raises
    ------
    SourceError
        If lifetimes is not installed or the file is missing.
    """
    return pd.read_csv(_lifetimes_file(filename), **kwargs)


def load_cdnow(sample: bool = False) -> pd.DataFrame:
    """Load the CDNOW transaction log (purchases of CDs, 1997-01-01 to 1998-06-30).

    The data are every purchase by the 23,570 customers who made their first purchase at
    the online retailer CDNOW in the first quarter of 1997, followed until the end of
    June 1998. They are the benchmark of the BTYD literature (Fader, Hardie & Lee 2005).
    The files come from the installed ``lifetimes`` package (``lifetimes/datasets/``),
    located with :mod:`importlib`; raw columns are customer id, date (YYYYMMDD), number
    of CDs and dollar value.

    Parameters
    ----------
    sample : bool, default False
        ``False``: the full master file, 69,659 rows and 23,570 customers (ids
        1..23,570). ``True``: the 1/10 random sample of customers used in the papers
        (Fader, Hardie & Lee 2005; lifetimes' ``cdnow_customers_summary.csv``), 6,919
        rows and 2,357 customers. Sample customers are numbered 1..2,357 as in those
        files (in order of first purchase); column ``master_id`` gives each one's id in
        the full file. Its rows are exactly the master file's rows of those customers.

    Returns
    -------
    pandas.DataFrame
        One row per purchase record, in file order (by customer, then date), columns
        ``customer_id`` (int64), ``timestamp`` (datetime64[ns], a date without time of
        day), ``amount`` (float64, US dollars), ``quantity`` (int64, number of CDs), plus
        ``master_id`` (int64) when ``sample=True``. Rows are kept as they are: 255 exact
        duplicates (two identical purchases on a day) and 80 zero-dollar rows in the
        full file.

    Raises
    ------
    SourceError
        If lifetimes is not installed or its data file is missing.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers" the
    easy way: an alternative to the Pareto/NBD model. Marketing Science 24(2), 275-284.

    Examples
    --------
    >>> tx = load_cdnow()
    >>> len(tx), tx["customer_id"].nunique()
    (69659, 23570)
    """
    if sample:
        names = ["master_id", s.CUSTOMER_ID, "date", s.QUANTITY, s.AMOUNT]
        raw = pd.read_csv(_lifetimes_file(_SAMPLE), sep=r"\s+", header=None, names=names,
                          dtype={"date": str})
    else:
        names = [s.CUSTOMER_ID, "date", s.QUANTITY, s.AMOUNT]
        raw = pd.read_csv(_lifetimes_file(_MASTER), sep=r"\s+", header=0, names=names,
                          dtype={"date": str})
    out = pd.DataFrame({
        s.CUSTOMER_ID: raw[s.CUSTOMER_ID].astype("int64"),
        s.TIMESTAMP: pd.to_datetime(raw["date"], format="%Y%m%d").astype("datetime64[ns]"),
        s.AMOUNT: raw[s.AMOUNT].astype("float64"),
        s.QUANTITY: raw[s.QUANTITY].astype("int64"),
    })
    if sample:
        out["master_id"] = raw["master_id"].astype("int64")
    return out


def load_cdnow_dataset(sample: bool = False) -> Dataset:
    """Load CDNOW as a :class:`clvkit.Dataset` observed until 1998-06-30.

    Parameters
    ----------
    sample : bool, default False
        Load the 1/10 sample (2,357 customers) instead of the full file; see
        :func:`load_cdnow`.

    Returns
    -------
    clvkit.Dataset
        ``transactions`` from :func:`load_cdnow`, no customers or surveys,
        ``observation_end`` = 1998-06-30 and a descriptive ``name``; ``extra`` holds
        ``source`` ("cdnow" or "cdnow-sample") and ``currency`` ("$").

    Raises
    ------
    SourceError
        If lifetimes is not installed or its data file is missing.
    """
    tx = load_cdnow(sample=sample)
    n = tx[s.CUSTOMER_ID].nunique()
    label = "CDNOW 1/10 sample" if sample else "CDNOW"
    return Dataset(
        transactions=tx,
        name=f"{label} ({n:,} customers, 1997-01-01 to 1998-06-30)",
        observation_end=CDNOW_OBSERVATION_END,
        extra={"source": "cdnow-sample" if sample else "cdnow", "currency": "$"},
    )
