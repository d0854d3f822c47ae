"""Warnings of a scoring run: codes with their values, for the pages to put in words."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["Note", "Notes"]


def _plain(value: Any) -> Any:
    """JSON-ready scalars: numpy numbers to Python, non-finite floats to None."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@dataclass(frozen=True)
class Note:
    """One warning: ``code`` (the sentence key), the ``section`` whose page shows it
    (``"04"``, ``"05"``..., ``"00"`` for the summary) and the ``values`` in it."""

    code: str
    section: str
    values: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Notes(list):
    """The list of :class:`Note` a scoring run collects, in the order they arose."""

    def add(self, code: str, section: str, **values: Any) -> None:
        note = Note(code, section, {k: _plain(v) for k, v in values.items()})
        if note not in self:
            self.append(note)

    def for_section(self, section: str) -> list[Note]:
        return [n for n in self if n.section == section]
