"""Read and check the small TOML configuration of a data set (re-exported by clvkit.io)."""

from __future__ import annotations

import codecs
import datetime as dt
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from . import schema as s
from ._readers import is_url
from ._refunds import REFUND_MODES
from .exceptions import ConfigError
from .presets import merge_preset

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["read_config"]

_TABLE_KEYS: dict[str, type | tuple[type, ...]] = {
    "path": str, "encoding": str, "date_format": str, "sheet": (str, int),
    "table": str, "query": str, "columns": dict,
    "status_filter": dict,  # from a preset (clvkit.presets) or the user
}
# [transactions] only: how refunds and cancellations are treated (clvkit.validation)
_REFUND_KEYS: dict[str, type | tuple[type, ...]] = {
    "refunds": str, "cancel_prefix": str, "cancelled_values": list, "refunded_values": list,
}
_VALIDATION_KEYS: dict[str, type | tuple[type, ...]] = {
    "observation_end": (str, dt.date), "drop_exact_duplicates": bool,
    "keep_zero_amounts": bool,
}
_SECTIONS = (*s.TABLES, "validation", "report")
_TOP_KEYS = ("currency",)  # top-level keys that are not sections


def _load(path_or_dict: str | Path | Mapping[str, Any]) -> tuple[dict[str, Any], Path, str]:
    if isinstance(path_or_dict, Mapping):
        return dict(path_or_dict), Path.cwd(), "config"
    path = Path(path_or_dict).expanduser()
    if not path.is_file():
        msg = f"config file not found: {path}"
        raise ConfigError(msg)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8-sig")), path.parent, path.name
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        msg = f"{path.name} is not valid UTF-8 TOML: {err}"
        raise ConfigError(msg) from None


def _check_keys(section: Any, name: str, allowed: Mapping[str, Any], where: str) -> dict:
    if not isinstance(section, Mapping):
        msg = f"{where}: [{name}] must be a table of keys; got {section!r}"
        raise ConfigError(msg)
    unknown = [k for k in section if k not in allowed]
    if unknown:
        msg = (f"{where}: unknown key(s) {', '.join(map(repr, unknown))} in [{name}]; "
               f"valid keys: {', '.join(allowed)}")
        raise ConfigError(msg)
    for key, value in section.items():
        kind = allowed[key]
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            kinds = kind if isinstance(kind, tuple) else (kind,)
            expected = " or ".join(k.__name__ for k in kinds)
            msg = f"{where}: [{name}] {key} must be {expected}; got {value!r}"
            raise ConfigError(msg)
    return dict(section)


def _refund_keys(out: dict[str, Any], where: str) -> None:
    mode = out.get("refunds", "net")
    if mode not in REFUND_MODES:
        msg = (f"{where}: [transactions] refunds must be one of "
               f"{', '.join(map(repr, REFUND_MODES))}; got {mode!r}")
        raise ConfigError(msg)
    for key in ("cancelled_values", "refunded_values"):
        if key in out and not all(isinstance(v, str) and v.strip() for v in out[key]):
            msg = f"{where}: [transactions] {key} must be a list of texts; got {out[key]!r}"
            raise ConfigError(msg)


def _table_section(role: str, section: Any, base: Path, where: str) -> dict[str, Any]:
    keys = {**_TABLE_KEYS, **_REFUND_KEYS} if role == "transactions" else _TABLE_KEYS
    out = _check_keys(section, role, keys, where)
    if role == "transactions":
        _refund_keys(out, where)
    if "table" in out and "query" in out:
        msg = f"{where}: [{role}] has both table and query; give one of them"
        raise ConfigError(msg)
    if "encoding" in out:
        try:
            codecs.lookup(out["encoding"])
        except LookupError:
            msg = f"{where}: [{role}] encoding {out['encoding']!r} is not a known encoding"
            raise ConfigError(msg) from None
    columns = out.get("columns", {})
    valid = (*s.TABLES[role]["required"], *s.TABLES[role]["optional"])
    unknown = [r for r in columns if r not in valid]
    if unknown:
        msg = (f"{where}: unknown role(s) {', '.join(map(repr, unknown))} in "
               f"[{role}.columns]; valid roles: {', '.join(valid)}")
        raise ConfigError(msg)
    bad = [r for r, c in columns.items() if not isinstance(c, str) or not c.strip()]
    if bad:
        msg = f"{where}: [{role}.columns] values must be column names; check {', '.join(bad)}"
        raise ConfigError(msg)
    if "path" in out and not is_url(out["path"]):
        out["path"] = str((base / Path(out["path"]).expanduser()).resolve())
    return out


def read_config(path_or_dict: str | Path | Mapping[str, Any]) -> dict[str, Any]:
    """Read a data-set configuration (TOML file or dict) and check every key.

    Format (every section and key optional)::

        preset = "salesforce"     # a CRM/shop export preset (clvkit.presets, docs/crm.md):
                                  # its mapping and status filter, under what follows
        [transactions]
        path = "orders.csv"       # file, folder-relative to the config file, or a
                                  # database URL / SQLite or DuckDB file
        encoding = "gb18030"      # CSV encoding; default: utf-8-sig, then gb18030
        date_format = "%Y/%m/%d"  # strptime format; default: common formats
        sheet = "订单"            # Excel sheet name or 0-based position
        table = "orders"          # database table (default: the section name), or
        # query = "SELECT ..."    # a query instead of a table
        refunds = "net"           # "net" (default), "set_aside" or "ignore"
        cancel_prefix = "C"       # order ids starting with it are cancellations
        cancelled_values = ["Cancelled", "已取消"]  # status values (role status)
        refunded_values = ["Refunded", "已退款"]
        [transactions.columns]    # role = "your column"
        customer_id = "客户编号"
        timestamp = "下单时间"
        amount = "金额"
        [transactions.status_filter]  # only these statuses are purchases; others set aside
        column = "Stage"
        keep = ["Closed Won"]
        [customers]               # same keys
        [surveys]                 # same keys
        [validation]
        observation_end = "2024-12-31"
        drop_exact_duplicates = false
        keep_zero_amounts = false

    ``currency = "£"`` may stand at the top of the file (before any section) or under
    ``[report]``.

    Parameters
    ----------
    path_or_dict : str, pathlib.Path or mapping
        A UTF-8 TOML file, or the same structure as a dict (relative paths are then
        relative to the current directory).

    Returns
    -------
    dict
        Keys "transactions", "customers", "surveys" (dicts of the keys above, paths
        made absolute), "validation" ({"observation_end": Timestamp or None,
        "drop_exact_duplicates": bool, "keep_zero_amounts": bool or None}),
        "currency" (str or None) and "source" (file name or "config").

    Raises
    ------
    ConfigError
        Missing file, invalid TOML, unknown section/key/role (lists the valid ones),
        a value of the wrong type, an unknown encoding or an invalid date.
    """
    data, base, where = _load(path_or_dict)
    data = merge_preset(data, where)  # preset = "salesforce": its mapping under the user's
    unknown = [k for k in data if k not in (*_SECTIONS, *_TOP_KEYS)]
    if unknown:
        msg = (f"{where}: unknown section(s) {', '.join(map(repr, unknown))}; "
               f"valid sections: {', '.join(_SECTIONS)}; top-level keys: "
               f"{', '.join(_TOP_KEYS)}")
        raise ConfigError(msg)
    out: dict[str, Any] = {role: _table_section(role, data.get(role, {}), base, where)
                           for role in s.TABLES}
    valid = _check_keys(data.get("validation", {}), "validation", _VALIDATION_KEYS, where)
    end = valid.get("observation_end")
    try:
        end = pd.Timestamp(end).normalize() if end not in (None, "") else None
    except ValueError:
        msg = f"{where}: [validation] observation_end must be a date like 2024-12-31; got {end!r}"
        raise ConfigError(msg) from None
    out["validation"] = {"observation_end": end,
                         "drop_exact_duplicates": valid.get("drop_exact_duplicates", False),
                         "keep_zero_amounts": valid.get("keep_zero_amounts")}
    out["currency"] = _currency(data, where)
    out["source"] = where
    return out


def _currency(data: Mapping[str, Any], where: str) -> str | None:
    """``currency`` at the top level or under [report]; None when neither gives it."""
    report = _check_keys(data.get("report", {}), "report", {"currency": str}, where)
    top = data.get("currency")
    if top is not None and not (isinstance(top, str) and top.strip()):
        msg = f"{where}: currency must be a symbol or code such as '£' or 'EUR'; got {top!r}"
        raise ConfigError(msg)
    if top is not None and "currency" in report and report["currency"] != top:
        msg = (f"{where}: currency is given twice, {top!r} at the top and "
               f"{report['currency']!r} under [report]; keep one")
        raise ConfigError(msg)
    value = top if top is not None else report.get("currency")
    return value.strip() if isinstance(value, str) and value.strip() else None
