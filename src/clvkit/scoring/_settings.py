"""The settings of one scoring run: every assumption behind the numbers, with defaults.

One :class:`ScoreSettings` drives :func:`clvkit.score`; the report passes the same
values to every notebook, so a page never computes with settings of its own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..exceptions import ParameterError

__all__ = ["PURCHASE_MODELS", "ScoreSettings"]

#: Purchase models the scoring run can use; "auto" picks one on the holdout.
PURCHASE_MODELS: tuple[str, ...] = ("auto", "bgnbd", "paretonbd", "mbgnbd")
_AXES = ("value_profit", "value_alive")


@dataclass(frozen=True)
class ScoreSettings:
    """Every assumption of a scoring run.

    Attributes
    ----------
    horizon_months : int, default 12
        CLV horizon, months.
    discount_rate_annual : float, default 0.10
        Yearly discount rate of the CLV (0.10 = 10%).
    margin_rate : float, default 0.0
        Gross margin as a share of revenue, used when the transactions have no
        ``gross_margin`` column. 0 means no margin assumption: values are then
        revenue, and every page says so.
    inactivity_days : int, default 365
        Days without a purchase after which a customer counts as lost (churn rate).
    period_months : int, default 12
        The churn period of the headline churn rate (12 = the last year).
    churn_window_days : int, default 365
        Window of the churn risk: probability of no purchase in the next N days,
        whichever model gives it (classifier or purchase model). The default equals
        ``inactivity_days``, so the churn risk of an active customer is the
        probability that the headline definition counts them as lost a year from now.
    at_risk_threshold : float, default 0.5
        Churn risk from which a customer counts as at risk.
    purchase_model : {"auto", "bgnbd", "paretonbd", "mbgnbd"}, default "auto"
        "auto" compares the three on the holdout and keeps the clear winner (else
        BG/NBD, the standard).
    penalizer_coef : float, default 0.0
        L2 penalty of the purchase and spend model fits (try 0.001 on awkward data).
    holdout_weeks : int, default 26
        Length of the holdout period used to check and choose the models.
    churn_classifier : bool, default True
        Evaluate the scikit-learn churn classifier and use it for the churn risk
        when it beats the purchase model's probability of no purchase in the window
        on the holdout.
    action_axes : {"value_profit", "value_alive"}, default "value_profit"
        Second axis of the action matrix.
    currency : str, default ""
        Currency symbol; "" takes the data configuration's (or none).
    seed : int, default 42
        Random seed of every model.
    interval_level : float, default 0.9
        Coverage of the confidence intervals of customer value (``clv_low``,
        ``clv_high``; the total's low and high): 0.9 = a 90% interval. 0 turns them
        off. They cover the uncertainty of the fitted parameters only (see
        :func:`clvkit.models.clv_intervals`; the run uses its delta method, which
        stays within a few times the point estimate's cost at a million customers).
    """

    horizon_months: int = 12
    discount_rate_annual: float = 0.10
    margin_rate: float = 0.0
    inactivity_days: int = 365
    period_months: int = 12
    churn_window_days: int = 365
    at_risk_threshold: float = 0.5
    purchase_model: str = "auto"
    penalizer_coef: float = 0.0
    holdout_weeks: int = 26
    churn_classifier: bool = True
    action_axes: str = "value_profit"
    currency: str = ""
    seed: int = 42
    interval_level: float = 0.9

    def __post_init__(self) -> None:
        checks = {
            "horizon_months": self.horizon_months >= 1,
            "discount_rate_annual": 0 <= self.discount_rate_annual < 1,
            "margin_rate": 0 <= self.margin_rate <= 1,
            "inactivity_days": self.inactivity_days >= 1,
            "period_months": self.period_months >= 1,
            "churn_window_days": self.churn_window_days >= 1,
            "at_risk_threshold": 0 < self.at_risk_threshold <= 1,
            "penalizer_coef": self.penalizer_coef >= 0,
            "holdout_weeks": self.holdout_weeks >= 1,
            "interval_level": 0 <= self.interval_level < 1,
        }
        wrong = [name for name, ok in checks.items() if not ok]
        if wrong:
            shown = ", ".join(f"{n}={getattr(self, n)!r}" for n in wrong)
            msg = (f"invalid scoring settings: {shown}. Expected horizon_months >= 1, "
                   "0 <= discount_rate_annual < 1, 0 <= margin_rate <= 1, whole days and "
                   "months >= 1, 0 < at_risk_threshold <= 1, penalizer_coef >= 0, "
                   "0 <= interval_level < 1 (0: no intervals).")
            raise ParameterError(msg)
        if self.purchase_model not in PURCHASE_MODELS:
            msg = (f"purchase_model must be one of {', '.join(map(repr, PURCHASE_MODELS))}; "
                   f"got {self.purchase_model!r}")
            raise ParameterError(msg)
        if self.action_axes not in _AXES:
            msg = (f"action_axes must be one of {', '.join(map(repr, _AXES))}; "
                   f"got {self.action_axes!r}")
            raise ParameterError(msg)

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """Names of the settings (the notebook parameters that carry them)."""
        return tuple(f.name for f in dataclasses.fields(cls))

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> ScoreSettings:
        """Build settings from report parameters, ignoring names that are not settings.

        Values are converted to each setting's type (the CLI passes strings).
        """
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if f.name not in params:
                continue
            value = params[f.name]
            kind = type(f.default)
            try:
                if kind is bool and isinstance(value, str):
                    value = value.strip().lower() in ("1", "true", "yes", "on")
                elif kind is int and isinstance(value, float) and value.is_integer():
                    value = int(value)
                else:
                    value = kind(value)
            except (TypeError, ValueError):
                msg = f"setting {f.name} must be a {kind.__name__}; got {value!r}"
                raise ParameterError(msg) from None
            values[f.name] = value
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """The settings as a JSON-ready dict."""
        return dataclasses.asdict(self)
