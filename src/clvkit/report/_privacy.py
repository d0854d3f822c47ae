"""Pseudonymised customer ids and PII removal for client-facing output.

A client report must not show raw customer ids, names, e-mail addresses or phone
numbers. Ids are replaced by a keyed hash (HMAC-SHA256 with a per-project salt), so
the same customer gets the same pseudonym in every run that uses the same salt, and
an analyst who knows the salt can map a pseudonym back by hashing the raw id list.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from .. import schema
from .._readers import is_url, masked
from ..exceptions import ParameterError

__all__ = ["drop_pii", "pseudonymise", "pseudonymise_frame", "pseudonymise_ids",
           "shown_parameters"]

#: Number of hex digits of the HMAC kept in a pseudonym ("C-" + 8 hex = 4.3e9 values).
PSEUDONYM_DIGITS = 8
#: Notebook parameters whose value is a raw customer id (06's ``card_customer``).
CUSTOMER_ID_PARAMETERS = frozenset({"card_customer"})
#: How a hidden parameter value is shown.
HIDDEN = "•••"


def pseudonymise(customer_id: object, salt: str) -> str:
    """Return the pseudonym of one customer id ("C-3f9a1c2b").

    Parameters
    ----------
    customer_id : object
        The raw id; it is converted with ``str()`` first, so ``1001`` and ``"1001"``
        get the same pseudonym.
    salt : str
        Per-project secret key. Different salts give unrelated pseudonyms.

    Returns
    -------
    str
        ``"C-"`` followed by the first 8 hex digits of
        ``HMAC-SHA256(key=salt, message=str(customer_id))``.

    Raises
    ------
    ParameterError
        If ``salt`` is empty (an empty key would make pseudonyms guessable by anyone
        who hashes candidate ids).
    """
    if not salt:
        msg = (
            "salt must be a non-empty string: pseudonyms made without a secret salt can be "
            "reversed by hashing candidate ids. Pass salt='<project secret>'."
        )
        raise ParameterError(msg)
    digest = hmac.new(salt.encode("utf-8"), str(customer_id).encode("utf-8"), hashlib.sha256)
    return "C-" + digest.hexdigest()[:PSEUDONYM_DIGITS]


def pseudonymise_ids(ids: Iterable[object] | pd.Series | pd.Index, salt: str) -> pd.Series:
    """Return the pseudonym of every id, keeping the input's index and order.

    Missing ids (NaN/None) stay missing. A Series keeps its index and name; an Index or
    any other iterable gives a Series with a default RangeIndex.
    """
    if isinstance(ids, pd.Series):
        series = ids
    else:
        series = pd.Series(list(ids), dtype=object, name=getattr(ids, "name", None))
    unique = pd.unique(series.dropna())
    mapping = {value: pseudonymise(value, salt) for value in unique}
    out = series.map(mapping)
    return out.astype(object).where(series.notna(), None)


def drop_pii(frame: pd.DataFrame, columns: Iterable[str] = schema.PII_COLUMNS) -> pd.DataFrame:
    """Return a copy of ``frame`` without personal-data columns (name, email, phone)."""
    present = [c for c in frame.columns if c in set(columns)]
    return frame.drop(columns=present)


def pseudonymise_frame(frame: pd.DataFrame, salt: str) -> pd.DataFrame:
    """Return a copy with customer ids (index level or column) replaced by pseudonyms.

    Every index level and every column named ``customer_id`` is replaced; PII columns
    are dropped as well.
    """
    out = drop_pii(frame)
    if schema.CUSTOMER_ID in out.columns:
        out[schema.CUSTOMER_ID] = pseudonymise_ids(out[schema.CUSTOMER_ID], salt).to_numpy()
    names = list(out.index.names)
    if schema.CUSTOMER_ID in names:
        if isinstance(out.index, pd.MultiIndex):
            level = names.index(schema.CUSTOMER_ID)
            values = out.index.get_level_values(level)
            new = pseudonymise_ids(values, salt).to_numpy()
            out.index = out.index.set_levels(
                out.index.levels[level].map(dict(zip(values, new, strict=True))), level=level
            )
        else:
            new_index = pd.Index(
                pseudonymise_ids(out.index, salt).to_numpy(), name=schema.CUSTOMER_ID
            )
            out.index = new_index
    return out


def shown_parameters(
    params: Mapping[str, Any], *, client: bool, salt: str | None = None
) -> dict[str, Any]:
    """Return report parameters as a report page may show them.

    The salt is left out (with the raw ids it undoes the pseudonyms), a password in a
    database URL is masked (``postgresql://user:***@host/db``) and, for a client,
    customer-id parameters (:data:`CUSTOMER_ID_PARAMETERS`) are shown as their
    pseudonym, or as ``•••`` when ``salt`` is not known.
    """
    out: dict[str, Any] = {}
    for key, value in params.items():
        if key == "salt":
            continue
        if is_url(value):
            value = masked(value)
        elif client and key in CUSTOMER_ID_PARAMETERS and value not in ("", None):
            value = pseudonymise(value, salt) if salt else HIDDEN
        out[key] = value
    return out
