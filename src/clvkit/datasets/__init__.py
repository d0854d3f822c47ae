"""Bundled data sets: a synthetic retail demo and the CDNOW transaction log.

* :func:`make_demo` generates a deterministic retail data set (transactions, customers,
  surveys) whose generating process is known, so every part of the workbook has
  something real to find; :func:`write_demo` saves it as CSV/Parquet files.
* :func:`load_cdnow` reads the CDNOW master file (and the 1/10 sample used by the
  BTYD papers) that the ``lifetimes`` package ships; :func:`load_cdnow_dataset` wraps
  it in a :class:`clvkit.Dataset`.
* :func:`add_quality_issues` adds realistic bad rows (refunds, double exports, ...) to
  the demo, so the data-quality report has something to show.
"""

from __future__ import annotations

from clvkit.datasets._cdnow import (
    CDNOW_OBSERVATION_END,
    load_cdnow,
    load_cdnow_dataset,
)
from clvkit.datasets._demo import DEMO_OBSERVATION_END, make_demo, write_demo
from clvkit.datasets._messy import add_quality_issues

__all__ = [
    "CDNOW_OBSERVATION_END",
    "DEMO_OBSERVATION_END",
    "add_quality_issues",
    "load_cdnow",
    "load_cdnow_dataset",
    "make_demo",
    "write_demo",
]
