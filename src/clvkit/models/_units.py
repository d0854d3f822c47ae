"""The time unit of a per-customer summary, as recorded by :func:`clvkit.rfm_summary`.

``rfm_summary`` stores ``freq`` ("D", "W" or "M") and ``freq_multiplier`` in
``summary.attrs``; one period then lasts ``FREQ_DAYS[freq] * freq_multiplier`` days
(``freq="D", freq_multiplier=7`` is the BTYD convention of weeks = days / 7). The
models record the unit of the summary they were fitted on, and every prediction and
:func:`clvkit.models.customer_value` compare it with the unit of the summary they get
and with any explicit ``freq=`` / ``periods_per_month=`` argument.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..exceptions import ParameterError
from ..schema import DAYS_PER_MONTH, FREQ_DAYS

__all__ = ["check_same_unit", "periods_per_month", "summary_unit"]

#: An explicit periods_per_month within this relative distance of the summary's own
#: (e.g. lifetimes' 4.345 weeks against 4.348) is a convention, not a contradiction.
PPM_TOLERANCE = 0.05


def summary_unit(summary: pd.DataFrame) -> dict[str, Any] | None:
    """The unit recorded in ``summary.attrs`` (``freq``, ``freq_multiplier``, ``days``);
    ``days`` is ``unit_days`` when recorded (the default ``freq="W7"``: 7), else derived
    from ``freq``; None for a summary without a recorded unit."""
    attrs = getattr(summary, "attrs", {}) or {}
    freq = attrs.get("freq")
    mult = float(attrs.get("freq_multiplier", 1) or 1)
    days = attrs.get("unit_days")  # rfm_summary records it for every freq ("W7" too)
    if days is None:
        if freq not in FREQ_DAYS:
            return None
        days = FREQ_DAYS[freq] * mult
    return {"freq": freq, "freq_multiplier": mult, "days": float(days)}


def _describe(unit: dict[str, Any]) -> str:
    mult = unit["freq_multiplier"]
    extra = f", freq_multiplier={mult:g}" if mult != 1 else ""
    return f"freq={unit['freq']!r}{extra} (periods of {unit['days']:g} days)"


def check_same_unit(model_unit: dict[str, Any] | None, data_unit: dict[str, Any] | None,
                    label: str) -> None:
    """Raise when a model fitted in one time unit is applied to a summary in another."""
    if model_unit is None or data_unit is None:
        return
    if abs(model_unit["days"] - data_unit["days"]) > 1e-9 * model_unit["days"]:
        msg = (
            f"{label}: the model was fitted on a summary with {_describe(model_unit)}, "
            f"but this summary has {_describe(data_unit)}. Its parameters (alpha, beta) "
            f"are in the fit's unit, so its predictions would be wrong by a factor of "
            f"{data_unit['days'] / model_unit['days']:.3g}. Build both summaries with the "
            f"same freq, or refit the model on this summary."
        )
        raise ParameterError(msg)


def periods_per_month(
    unit: dict[str, Any] | None, freq: str | None, ppm: float | None, label: str
) -> tuple[float, dict[str, Any]]:
    """Resolve the summary periods per month; refuse arguments that contradict ``unit``.

    ``unit`` is the recorded unit (from the summary, else from the model), ``freq`` and
    ``ppm`` the caller's explicit arguments (``None`` when not given). Without any of
    them the unit is weeks (``freq="W"``), the unit of the published CDNOW numbers.
    """
    if freq is not None and freq not in FREQ_DAYS:
        msg = f"freq must be one of {', '.join(map(repr, FREQ_DAYS))}; got {freq!r}."
        raise ParameterError(msg)
    if freq is not None:
        given = {"freq": freq, "freq_multiplier": 1.0, "days": FREQ_DAYS[freq]}
        if unit is not None and abs(given["days"] - unit["days"]) > 1e-9 * unit["days"]:
            msg = (
                f"{label}(freq={freq!r}) contradicts the summary, which was built with "
                f"{_describe(unit)}: CLV would be off by a factor of "
                f"{given['days'] / unit['days']:.3g}. Leave freq out (the unit is read "
                f"from summary.attrs) or rebuild the summary with rfm_summary(..., "
                f"freq={freq!r})."
            )
            raise ParameterError(msg)
        unit = unit or given
    unit = unit or {"freq": "W", "freq_multiplier": 1.0, "days": FREQ_DAYS["W"]}
    own = DAYS_PER_MONTH / unit["days"]
    if ppm is None:
        return own, unit
    if isinstance(ppm, bool) or not isinstance(ppm, (int, float)) or not ppm > 0:
        msg = f"periods_per_month must be a finite number > 0; got {ppm!r}."
        raise ParameterError(msg)
    if abs(ppm / own - 1) > PPM_TOLERANCE:
        msg = (
            f"{label}(periods_per_month={ppm:g}) contradicts the summary's time unit, "
            f"{_describe(unit)}, which has {own:.4g} periods per month. Leave "
            f"periods_per_month out, or pass a value within {PPM_TOLERANCE:.0%} of "
            f"{own:.4g} (e.g. lifetimes' 4.345 weeks or 30 days)."
        )
        raise ParameterError(msg)
    return float(ppm), unit
