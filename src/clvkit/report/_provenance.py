"""Provenance: which code, which data, which parameters produced a report page."""

from __future__ import annotations

import hashlib
import html
import json
import os
import platform
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import __version__
from ._format import inline_rows, shown_rows
from ._notebook import ReportContext
from ._privacy import shown_parameters

__all__ = ["PROVENANCE_MIMETYPE", "Provenance", "data_hash", "provenance", "versions"]

#: Output mimetype carrying the provenance record in the executed notebook, where the
#: runner reads it (nbconvert ignores it, so it never shows in the HTML).
PROVENANCE_MIMETYPE = "application/vnd.clvkit.provenance+json"
_PACKAGES = ("pandas", "numpy", "lifetimes", "scikit-learn", "matplotlib", "plotly")


def versions() -> dict[str, str]:
    """Return the versions of Python, clvkit and the main libraries behind the numbers."""
    out = {"python": platform.python_version(), "clvkit": __version__}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _hash_frame(h: Any, frame: pd.DataFrame) -> None:
    h.update(json.dumps([str(c) for c in frame.columns]).encode())
    h.update(json.dumps([str(t) for t in frame.dtypes]).encode())
    h.update(_row_hashes(frame).tobytes())


def _row_hashes(frame: pd.DataFrame) -> np.ndarray:
    """``pandas.util.hash_pandas_object(frame, index=False)``, the same numbers, faster.

    pandas hashes a column of objects by factorizing it and hashing each distinct
    value once; here Arrow's dictionary encoding factorizes the columns of strings
    (several times faster on millions of rows), pandas hashes the distinct values
    and combines the columns as it does itself.
    """
    try:
        from pandas.core.util.hashing import combine_hash_arrays
    except ImportError:  # pragma: no cover - a pandas without the helper
        return pd.util.hash_pandas_object(frame, index=False).to_numpy()
    from .._orders import id_codes

    hashes = []
    for _, values in frame.items():
        hashed = None
        if values.dtype == object and len(values):
            codes, uniques = id_codes(values)
            if uniques.dtype == object and not uniques.hasnans:
                hashed = pd.util.hash_array(uniques.to_numpy(), categorize=False).take(
                    np.maximum(codes, 0)) if len(uniques) else np.zeros(len(codes), np.uint64)
                hashed[codes < 0] = np.iinfo(np.uint64).max  # missing, as pandas marks it
        if hashed is None:
            hashed = pd.util.hash_array(values._values)
        hashes.append(hashed)
    return combine_hash_arrays(iter(hashes), len(hashes))


#: Key of ``Dataset.extra`` under which ``clvkit report`` stores the fingerprint of the
#: tables it loaded once for every page (:func:`~clvkit.report._run_steps.score_for_notebooks`),
#: so seven pages do not hash a million customers seven times.
RUN_SHA256 = "report_data_sha256"


def _fingerprint(data: Any) -> str:
    """The run's stored fingerprint of a Dataset, else :func:`data_hash`."""
    extra = getattr(data, "extra", None)
    if isinstance(extra, dict) and isinstance(extra.get(RUN_SHA256), str):
        return extra[RUN_SHA256]
    return data_hash(data)


def data_hash(data: Any) -> str:
    """Return a SHA-256 fingerprint of the data a report was computed from.

    Parameters
    ----------
    data : Dataset, DataFrame, str or Path
        A :class:`clvkit.Dataset` (its transactions, customers and surveys tables are
        hashed by content: column names, dtypes and values, not the row index), a
        single DataFrame, or a file whose bytes are hashed.

    Returns
    -------
    str
        64 hex digits; identical data gives the identical hash on every run.
    """
    h = hashlib.sha256()
    if isinstance(data, pd.DataFrame):
        _hash_frame(h, data)
    elif isinstance(data, str | os.PathLike):
        with Path(data).open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    else:
        for table in ("transactions", "customers", "surveys"):
            frame = getattr(data, table, None)
            h.update(table.encode())
            if frame is not None:
                _hash_frame(h, frame)
    return h.hexdigest()


@dataclass(frozen=True)
class Provenance:
    """What produced a report page; shown as a small table at the end of a notebook."""

    versions: dict[str, str]
    parameters: dict[str, Any]
    data_name: str
    data_sha256: str
    data_rows: int | None
    run_at: str
    seconds: float | None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict."""
        return asdict(self)

    def _rows(self) -> list[tuple[str, str]]:
        from .. import i18n

        rows = [
            (i18n.t("report_prov_versions"),
             ", ".join(f"{k} {v}" for k, v in self.versions.items())),
            (i18n.t("report_prov_data"), self.data_name or "–"),
            (i18n.t("report_prov_hash"), self.data_sha256[:16] if self.data_sha256 else "–"),
            (i18n.t("report_prov_params"),
             inline_rows(shown_rows(self.parameters))),
            (i18n.t("report_prov_run_at"), self.run_at.replace("T", " ")[:16]),
        ]
        if self.seconds is not None:
            rows.append((i18n.t("report_prov_seconds"), f"{self.seconds:.1f} s"))
        return rows

    def _repr_html_(self) -> str:
        cells = "".join(
            f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in self._rows()
        )
        return f'<table class="clv-provenance">{cells}</table>'

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        record = json.loads(json.dumps(self.to_dict(), default=str))
        return {"text/html": self._repr_html_(), "text/plain": repr(self),
                PROVENANCE_MIMETYPE: record}

    def __repr__(self) -> str:
        return "\n".join(f"{k}: {v}" for k, v in self._rows())


def provenance(params: ReportContext | Mapping[str, Any], data: Any = None) -> Provenance:
    """Record and show the versions, data fingerprint, parameters and run time.

    Put ``ck.report.provenance(ctx, ds)`` as the last cell of every report notebook.
    Displayed, the record is a small table; the executed notebook also carries it
    as JSON (mimetype :data:`PROVENANCE_MIMETYPE`), which ``clvkit report``
    collects into ``run.json``.

    Parameters
    ----------
    params : ReportContext or mapping
        The context from :func:`setup` (gives parameters and the run time) or a
        plain dict of parameters.
    data : Dataset, DataFrame, str or Path, optional
        What the notebook analysed; see :func:`data_hash`. ``None`` hashes nothing.

    Returns
    -------
    Provenance
        Displays as a small table; ``.to_dict()`` gives the record.
    """
    ctx = params if isinstance(params, ReportContext) else None
    # no salt, no raw customer id for clients, no database password
    parameters = (shown_parameters(ctx.params, client=ctx.client, salt=ctx.salt) if ctx
                  else shown_parameters(params, client=False))
    rows, name = None, ""
    if isinstance(data, pd.DataFrame):
        rows = len(data)
    elif isinstance(data, str | os.PathLike):
        name = str(data)
    elif data is not None:
        name = str(getattr(data, "name", "") or "")
        if getattr(data, "transactions", None) is not None:
            rows = len(data.transactions)
    record = Provenance(
        versions=versions(),
        parameters=parameters,
        data_name=name,
        data_sha256=_fingerprint(data) if data is not None else "",
        data_rows=rows,
        run_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        seconds=round(time.perf_counter() - ctx.started, 2) if ctx else None,
    )
    return record
