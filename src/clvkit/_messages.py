"""Pieces of error and warning messages shared by every module (private)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

__all__ = ["examples"]


def examples(values: Iterable[Any], n: int = 5) -> str:
    """Format up to ``n`` example values as ``"a, b, c"``, with ``", ..."`` when there are more.

    ``values`` may be any iterable (a list, an Index, a generator); at most ``n + 1``
    items are read, so it is cheap on millions of ids.
    """
    head = [str(v) for v in itertools.islice(values, n + 1)]
    return ", ".join(head[:n]) + (", ..." if len(head) > n else "")
