"""clvkit: customer-value analytics workbook.

Churn and retention, NPS and customer effort, simple and probabilistic customer
lifetime value (BG/NBD, Pareto/NBD, Gamma-Gamma, sBG), churn prediction, segments
and client-ready reports, all over pandas DataFrames in one tidy schema
(:mod:`clvkit.schema`).

Names are imported lazily (PEP 562), so ``import clvkit`` is fast and does not load
scikit-learn, lifetimes or matplotlib until a function that needs them is used.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    # data in
    "load_data": "clvkit.io",
    "load_table": "clvkit.io",
    "read_config": "clvkit.io",
    "validate_transactions": "clvkit.validation",
    "validate_customers": "clvkit.validation",
    "validate_surveys": "clvkit.validation",
    "DataQuality": "clvkit.validation",
    # per-customer summaries
    "rfm_summary": "clvkit.summary",
    "calibration_holdout_split": "clvkit.summary",
    "cohort_table": "clvkit.summary",
    # errors
    "ClvkitError": "clvkit.exceptions",
    "DataValidationError": "clvkit.exceptions",
    "SourceError": "clvkit.exceptions",
    "ConfigError": "clvkit.exceptions",
    "ParameterError": "clvkit.exceptions",
    "ConvergenceError": "clvkit.exceptions",
    "ReportError": "clvkit.exceptions",
    "Dataset": "clvkit.tables",
    # the scoring run every report page reads
    "score": "clvkit.scoring",
    "ScoreSettings": "clvkit.scoring",
    "Scores": "clvkit.scoring",
}
_SUBMODULES = (
    "cli", "datasets", "exceptions", "i18n", "io", "metrics", "models", "plots",
    "report", "schema", "scoring", "segments", "summary", "tables", "validation",
)

__all__ = sorted([*_EXPORTS, *_SUBMODULES, "__version__"])


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        module = importlib.import_module(f"clvkit.{name}")
        globals()[name] = module
        return module
    msg = f"module 'clvkit' has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    return __all__
