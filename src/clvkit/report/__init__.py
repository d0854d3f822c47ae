"""Report notebooks and the pipeline that turns them into HTML reports.

In a notebook::

    import clvkit as ck
    ctx = ck.report.setup(globals())      # language, style, formatting, privacy
    ...
    ck.report.provenance(ctx, ds)         # last cell

From Python or the command line (``clvkit report``)::

    ck.report.run_report("reports/latest", params={"data": "demo"})

Words live here, not in the computation: metrics, models and segments return codes
and numbers, and :func:`sentence`, :func:`labelled`, :func:`labelled_view`,
:func:`churn_metrics_table`, the ``*_facts`` and ``describe_*`` functions and
:func:`card_summary` put them into English or Chinese.

The runner (papermill + nbconvert) is imported only when used.
"""

from __future__ import annotations

import importlib
from typing import Any

from ._business import channel_sentences, response_sentence
from ._covariates import covariate_effects, covariate_model, describe_covariates
from ._history import (
    DEFAULT_ALERTS,
    KPI_COLUMNS,
    alerts,
    append_history,
    history_path,
    kpi_changes,
    kpi_changes_table,
    read_history,
    run_history,
    with_run,
)
from ._notebook import AUDIENCES, ReportContext, setup
from ._privacy import drop_pii, pseudonymise, pseudonymise_frame, pseudonymise_ids
from ._provenance import Provenance, data_hash, provenance, versions
from ._scores import (
    assumptions_table,
    describe_choice,
    interval_facts,
    kpi_definition,
    kpi_definitions,
    labelled,
    load_data,
    model_comparison_table,
    scores,
    show_notes,
    value_intervals,
)
from ._sections import (
    describe_quality,
    quality_table,
    save_set_aside,
    set_aside_examples,
    value_link_table,
)
from ._summary import (
    ExecutiveSummary,
    action_table,
    at_risk_facts,
    at_risk_table,
    churn_evaluation,
    churn_result,
    describe_actions,
    describe_summary,
    executive_summary,
    summary_cards,
    value_risk_figure,
)
from ._table import Table
from ._words_metrics import churn_definition, sentence
from ._words_models import (
    churn_metrics_table,
    comparison_facts,
    describe_at_risk,
    describe_churn_evaluation,
    describe_sbg,
    holdout_facts,
    independence_facts,
    parameter_facts,
    value_facts,
)
from ._words_segments import (
    action_label,
    card_html,
    card_summary,
    labelled_view,
    level_label,
    nps_group_label,
    peak_names,
    recommendation,
    segment_label,
    tier_label,
)

_LAZY = {
    "run_report": "._runner",
    "RunResult": "._runner",
    "notebook_paths": "._runner",
    "render_html": "._html",
}

__all__ = [
    "AUDIENCES",
    "DEFAULT_ALERTS",
    "KPI_COLUMNS",
    "ExecutiveSummary",
    "Provenance",
    "ReportContext",
    "RunResult",
    "Table",
    "action_label",
    "action_table",
    "alerts",
    "append_history",
    "assumptions_table",
    "at_risk_facts",
    "at_risk_table",
    "card_html",
    "card_summary",
    "channel_sentences",
    "churn_definition",
    "churn_evaluation",
    "churn_metrics_table",
    "churn_result",
    "comparison_facts",
    "covariate_effects",
    "covariate_model",
    "data_hash",
    "describe_actions",
    "describe_at_risk",
    "describe_choice",
    "describe_churn_evaluation",
    "describe_covariates",
    "describe_quality",
    "describe_sbg",
    "describe_summary",
    "drop_pii",
    "executive_summary",
    "history_path",
    "holdout_facts",
    "independence_facts",
    "interval_facts",
    "kpi_changes",
    "kpi_changes_table",
    "kpi_definition",
    "kpi_definitions",
    "labelled",
    "labelled_view",
    "level_label",
    "load_data",
    "model_comparison_table",
    "notebook_paths",
    "nps_group_label",
    "parameter_facts",
    "peak_names",
    "provenance",
    "pseudonymise",
    "pseudonymise_frame",
    "pseudonymise_ids",
    "quality_table",
    "read_history",
    "recommendation",
    "render_html",
    "response_sentence",
    "run_history",
    "run_report",
    "save_set_aside",
    "scores",
    "segment_label",
    "sentence",
    "set_aside_examples",
    "setup",
    "show_notes",
    "summary_cards",
    "tier_label",
    "value_facts",
    "value_intervals",
    "value_link_table",
    "value_risk_figure",
    "versions",
    "with_run",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    msg = f"module 'clvkit.report' has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    return __all__
