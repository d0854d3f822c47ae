"""Pseudonymised customer ids and PII removal for client-facing output.

A client report must not show raw customer ids, names, e-mail addresses or phone
numbers. Ids are replaced by a keyed hash (HMAC-SHA256 with a per-project salt), so
the same customer gets the same pseudonym in every run that uses the same salt, and
an analyst who knows the salt can map a pseudonym back by hashing the raw id list.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import schema
from .._readers import is_url, masked
from ..exceptions import ParameterError

__all__ = ["SECRET_FILE", "drop_pii", "is_pii_column", "mask_contacts", "project_secret",
           "pseudonymise", "pseudonymise_frame", "pseudonymise_ids", "shown_parameters"]

#: Number of hex digits of the HMAC kept in a pseudonym ("C-" + 8 hex = 4.3e9 values).
PSEUDONYM_DIGITS = 8
#: Block size of SHA-256 in bytes (the HMAC key is padded to it).
_BLOCK = 64
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
    codes, unique = pd.factorize(series)  # -1: missing
    names = np.array([*_pseudonyms(unique, salt), None], dtype=object)
    return pd.Series(names[codes], index=series.index, name=series.name, dtype=object)


def _pseudonyms(ids: Iterable[object], salt: str) -> list[str]:
    """:func:`pseudonymise` of many ids: the same HMAC-SHA256 (RFC 2104: the SHA-256 of
    the key padded with 0x5c bytes, then of the key padded with 0x36 bytes and the
    message), with both padded-key states hashed once and copied per id instead of
    building a new HMAC object for each."""
    pseudonymise("", salt)  # checks the salt
    key = salt.encode("utf-8")
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))
    out = []
    for value in ids:
        h = inner.copy()
        h.update(str(value).encode("utf-8"))
        o = outer.copy()
        o.update(h.digest())
        out.append("C-" + o.hexdigest()[:PSEUDONYM_DIGITS])
    return out


#: Column names (normalised: lower case, words joined by "_") that hold a person's name.
_NAME_COLUMNS = frozenset({"name", "full_name", "first_name", "last_name", "surname",
                           "given_name", "family_name", "customer_name", "contact_name",
                           "nickname", "nick_name", "username", "user_name"})
#: Words that mark a column as contact or identity data wherever they appear in its name.
_PII_WORDS = frozenset({"email", "mail", "emails", "phone", "phones", "mobile", "tel",
                        "telephone", "cellphone", "fax", "address", "addr", "street",
                        "postcode", "zipcode", "zip", "birthday", "birthdate", "dob", "ssn",
                        "passport", "wechat", "whatsapp", "qq", "ip"})
_PII_SUBSTRINGS = ("email", "phone", "mobile", "address", "姓名", "名字", "手机", "电话",
                   "邮箱", "邮件", "地址", "身份证", "生日", "微信")


def is_pii_column(name: object) -> bool:
    """Whether a column name looks like personal data (name, e-mail, phone, address ...).

    Catches the names users give such columns, not only clvkit's roles: ``Full
    Name``, ``Mobile``, ``contact_email``, ``E-Mail``, ``手机号``.
    """
    text = re.sub(r"[^0-9a-z\u4e00-\u9fff]+", "_", str(name).lower()).strip("_")
    if text in _NAME_COLUMNS or (text.endswith("_name") and text.split("_")[0] in (
            "full", "first", "last", "given", "family", "customer", "contact", "user")):
        return True
    return bool(set(text.split("_")) & _PII_WORDS) or any(s in text for s in _PII_SUBSTRINGS)


def drop_pii(frame: pd.DataFrame, columns: Iterable[str] = schema.PII_COLUMNS) -> pd.DataFrame:
    """Return a copy of ``frame`` without personal-data columns.

    Dropped: the ``columns`` given (clvkit's roles name, email, phone) and every
    column whose name looks like personal data (:func:`is_pii_column`).
    """
    listed = set(columns)
    present = [c for c in frame.columns if c in listed or is_pii_column(c)]
    return frame.drop(columns=present)


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w])\+?\d[\d\s().\-/]{5,}\d(?![\w])")


def mask_contacts(text: object) -> object:
    """Replace e-mail addresses and phone numbers in free text by ``[email]``/``[phone]``.

    A phone number is a run of at least 7 digits, possibly with ``+``, spaces,
    dashes, dots, slashes or brackets between them. Non-strings are returned as they are.
    """
    if not isinstance(text, str):
        return text
    text = _EMAIL.sub("[email]", text)

    def phone(match: re.Match[str]) -> str:
        digits = sum(ch.isdigit() for ch in match.group(0))
        return "[phone]" if digits >= 7 else match.group(0)

    return _PHONE.sub(phone, text)


#: File holding the per-project pseudonym key (created by :func:`project_secret`).
SECRET_FILE = ".clvkit-secret"
_SECRET_NOTE = ("# clvkit pseudonym key for this project. Keep it private: with the raw customer\n"
                "# ids it turns the pseudonyms of every client report back into ids. Do not\n"
                "# commit or share it; keep a copy, or every pseudonym changes.\n")


def project_secret(folder: str | os.PathLike[str]) -> str:
    """Return the project's pseudonym key, creating ``folder/.clvkit-secret`` once.

    The key is 64 random hex digits (:func:`secrets.token_hex`), written with a note
    to keep it private, readable by the owner only (mode 0600). Later runs read it
    back, so pseudonyms stay the same from run to run.

    Raises
    ------
    ParameterError
        If the file exists but holds no key.
    """
    path = Path(folder) / SECRET_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines()]
        keys = [ln for ln in lines if ln and not ln.startswith("#")]
        if not keys:
            msg = (f"{path} holds no pseudonym key; delete it to have a new one made, or "
                   "pass -p salt <secret>")
            raise ParameterError(msg) from None
        return keys[0]
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(f"{_SECRET_NOTE}{key}\n")
    return key


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
