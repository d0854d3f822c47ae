"""Figures: one ``plot_*(data, *, ax=None, **kwargs) -> Axes`` function per chart.

Functions live in themed submodules and are exposed here lazily, so importing
:mod:`clvkit.plots` does not import matplotlib until a figure is drawn. Library code
never calls ``plt.show()`` or ``savefig``: the notebook or the report decides.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any


def _available() -> list[str]:
    """Themed submodules present in this folder (style, retention, models, ...)."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def __getattr__(name: str) -> Any:
    if not name.startswith("_"):
        for sub in _available():
            module = importlib.import_module(f"{__name__}.{sub}")
            if name in getattr(module, "__all__", ()):
                value = getattr(module, name)
                globals()[name] = value
                return value
    msg = f"module 'clvkit.plots' has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    names: list[str] = []
    for sub in _available():
        names.extend(getattr(importlib.import_module(f"{__name__}.{sub}"), "__all__", ()))
    return sorted(names)
