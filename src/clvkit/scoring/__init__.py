"""The scoring stage: one run fits the models once and scores every customer.

``clvkit.score(dataset, settings)`` returns a :class:`Scores` (per-customer table,
headline KPIs with definitions, assumptions, warnings, fitted models) that every
report page, export and alert reads, so a customer shows the same numbers
everywhere. It sits between the models and the report: it imports models, metrics
and segments; nothing below it imports it.
"""

from __future__ import annotations

from ._notes import Note
from ._result import Scores
from ._run import score
from ._settings import PURCHASE_MODELS, ScoreSettings

__all__ = ["PURCHASE_MODELS", "Note", "ScoreSettings", "Scores", "score"]
