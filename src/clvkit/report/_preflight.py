"""Preflight: check the data against what every report section needs, in seconds.

Before any notebook starts, :func:`preflight` loads the data once (as the
notebooks will) and gives each section a verdict:

``ok``
    The section has what it needs.
``degraded``
    The section will run but cannot do everything (too few customers or repeat
    buyers for the models, less than 12 months of history for churn prediction,
    no survey that matches a customer); it explains this itself.
``blocked``
    The data cannot be used at all (a missing required column, an unreadable
    file): the run stops in seconds, before any kernel starts, with a message in
    the report language saying what is missing and what to do.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import i18n, schema
from .._readers import mask_text
from .._rowchecks import isin_text
from ..exceptions import ClvkitError, ReportError

__all__ = ["MIN_CUSTOMERS", "MIN_HISTORY_MONTHS", "MIN_REPEAT_BUYERS", "Preflight",
           "SectionCheck", "check_data", "load_arguments", "preflight"]

#: Customers below which the BTYD / churn models are not fitted.
MIN_CUSTOMERS = 20
#: Customers with at least one repeat purchase below which BG/NBD cannot be fitted.
MIN_REPEAT_BUYERS = 10
#: Months of history a 12-month churn window needs.
MIN_HISTORY_MONTHS = 12
#: What each section (by the topic of its notebook name, ``NN_<topic>``) needs.
NEEDS: dict[str, tuple[str, ...]] = {
    "executive_summary": ("models",),
    "churn_retention": ("customers",),
    "satisfaction": ("surveys",),
    "clv_models": ("models",),
    "churn_prediction": ("customers", "history"),
    "segments_actions": ("models",),
}
_LOAD = ("data", "config", "observation_end", "demo_customers", "seed", "refunds")


@dataclass
class SectionCheck:
    """The verdict for one section: status and the reasons, as (catalogue key, values)."""

    status: str = "ok"
    reasons: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def add(self, status: str, key: str, **values: Any) -> None:
        order = ("ok", "degraded", "blocked")
        if order.index(status) > order.index(self.status):
            self.status = status
        self.reasons.append((key, values))

    def messages(self, lang: str) -> list[str]:
        return [i18n.t(key, lang, **values) for key, values in self.reasons]


@dataclass
class Preflight:
    """Verdicts per section (notebook name -> :class:`SectionCheck`) and data facts."""

    sections: dict[str, SectionCheck]
    facts: dict[str, Any]
    seconds: float = 0.0
    #: The data as loaded for the checks, handed on to the scoring run (loaded once).
    dataset: Any = field(default=None, repr=False, compare=False)

    @property
    def blocked(self) -> list[str]:
        return [name for name, c in self.sections.items() if c.status == "blocked"]

    @property
    def degraded(self) -> list[str]:
        return [name for name, c in self.sections.items() if c.status == "degraded"]

    def message(self, lang: str) -> str:
        """The blocking problems in the report language, one paragraph."""
        seen: list[str] = []
        for name in self.blocked:
            for text in self.sections[name].messages(lang):
                if text not in seen:
                    seen.append(text)
        return i18n.t("preflight_blocked", lang, sections=", ".join(self.blocked),
                      problems=" ".join(seen))

    def to_record(self, lang: str) -> dict[str, Any]:
        """JSON for ``run.json["preflight"]``."""
        return {name: {"status": c.status, "reasons": [k for k, _ in c.reasons],
                       "messages": c.messages(lang)}
                for name, c in self.sections.items()}


def _topic(name: str) -> str:
    return name.split("_", 1)[1] if "_" in name and name[:2].isdigit() else name


def declared_default(declared: Mapping[str, Mapping[str, Any]], key: str) -> Any:
    """The value of the first default the notebooks declare for ``key`` (None if none)."""
    for params in declared.values():
        if key in params and params[key].get("default") is not None:
            try:
                return ast.literal_eval(params[key]["default"])
            except (ValueError, SyntaxError):
                return None
    return None


def load_arguments(
    per_notebook: Mapping[str, Mapping[str, Any]], declared: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any] | None:
    """The ``load_data`` arguments the notebooks will use, or None if none loads data."""
    if not any("data" in d for d in declared.values()):
        return None
    values: dict[str, Any] = {}
    for key in _LOAD:
        given = next((p[key] for p in per_notebook.values() if key in p), None)
        values[key] = given if given is not None else declared_default(declared, key)
    return {
        "source": values["data"] or "demo",
        "config": values["config"] or None,
        "observation_end": values["observation_end"] or None,
        "demo_customers": int(values["demo_customers"] or 2000),
        "seed": int(values["seed"] if values["seed"] is not None else 42),
        "refunds": values["refunds"] or None,
    }


def preflight(
    names: list[str], load: Mapping[str, Any] | None, *, lang: str = "en"
) -> Preflight:
    """Load the data once and check what every section needs.

    Parameters
    ----------
    names : list of str
        Notebook names (``"04_clv_models"``); the topic after ``NN_`` selects the
        checks (:data:`NEEDS`).
    load : mapping or None
        Arguments of :func:`clvkit.load_data` (see :func:`load_arguments`); None
        when no notebook loads data (every section is ``ok``).
    lang : {"en", "zh"}
        Language of the messages.

    Returns
    -------
    Preflight
    """
    import time

    import pandas as pd

    from ..io import load_data

    started = time.perf_counter()
    sections = {name: SectionCheck() for name in names}
    if load is None:
        return Preflight(sections, {}, 0.0)
    try:
        ds = load_data(load["source"], config=load["config"],
                       observation_end=load["observation_end"],
                       demo_customers=load["demo_customers"], seed=load["seed"],
                       refunds=load.get("refunds"))
    except ClvkitError as err:
        for check in sections.values():
            check.add("blocked", "preflight_unusable", error=str(err))
        return Preflight(sections, {"error": str(err)}, time.perf_counter() - started)
    tx = ds.transactions
    customers, repeat, buyers = _buyers(tx)
    span = tx[schema.TIMESTAMP].max() - tx[schema.TIMESTAMP].min() if len(tx) else None
    months = span.days / schema.DAYS_PER_MONTH if span is not None else 0.0
    surveys = ds.surveys if ds.surveys is not None and len(ds.surveys) else None
    matched = (int(isin_text(pd.Index(surveys[schema.CUSTOMER_ID]), buyers).sum())
               if surveys is not None else 0)
    facts = {"customers": customers, "repeat_buyers": repeat, "history_months": round(months, 1),
             "surveys": 0 if surveys is None else len(surveys), "surveys_matched": matched}
    for name, check in sections.items():
        needs = NEEDS.get(_topic(name), ())
        if customers == 0:
            check.add("blocked", "preflight_no_rows")
            continue
        if ("models" in needs or "customers" in needs) and customers < MIN_CUSTOMERS:
            check.add("degraded", "preflight_few_customers", customers=customers,
                      minimum=MIN_CUSTOMERS)
        if "models" in needs and repeat < MIN_REPEAT_BUYERS:
            check.add("degraded", "preflight_few_repeat", repeat=repeat,
                      minimum=MIN_REPEAT_BUYERS)
        if "history" in needs and months < MIN_HISTORY_MONTHS:
            check.add("degraded", "preflight_short_history", months=f"{months:.1f}",
                      minimum=MIN_HISTORY_MONTHS)
        if "surveys" in needs:
            if surveys is None:
                check.add("degraded", "preflight_no_surveys")
            elif matched == 0:
                check.add("degraded", "preflight_surveys_unmatched", surveys=len(surveys))
    return Preflight(sections, facts, time.perf_counter() - started, ds)


def _buyers(tx: Any) -> tuple[int, int, Any]:
    """(customers, repeat buyers, their ids): customers with a purchase, and those with
    purchases on more than one day.

    Customer ids are factorized once (Arrow) and (customer, day) pairs counted as
    integers: 7 million purchases in a few seconds, not a hash of 7 million
    (id, date) tuples.
    """
    import numpy as np
    import pandas as pd

    from .._orders import id_codes

    codes, uniques = id_codes(tx[schema.CUSTOMER_ID])
    keep = codes >= 0
    codes = codes[keep]
    if not codes.size:
        return 0, 0, pd.Series([], dtype=object)
    day = tx[schema.TIMESTAMP].dt.normalize().to_numpy()[keep].astype("datetime64[D]")
    day = day.astype(np.int64)
    day -= day.min()
    pairs = np.sort(codes * (int(day.max()) + 1) + day)  # numpy's hashed unique is slower
    pairs = pairs[np.concatenate(([True], pairs[1:] != pairs[:-1]))]
    days = np.bincount(pairs // (int(day.max()) + 1), minlength=len(uniques))
    present = days > 0
    return int(present.sum()), int((days > 1).sum()), pd.Series(uniques[present])


def _tell(progress: Callable[[str], None] | None, message: str) -> None:
    if progress is not None:
        progress(message)


def check_data(
    paths: Sequence[Path], per_notebook: Mapping[str, dict[str, Any]],
    declared: Mapping[str, Any], lang: str, progress: Callable[[str], None] | None,
) -> Preflight:
    """Run :func:`preflight` for a report run; raise when a section is blocked.

    Degraded sections are reported through ``progress`` (one line each).

    Raises
    ------
    ReportError
        The blocking problems in the report language.
    """
    load = load_arguments(per_notebook, declared)
    check = preflight([p.stem for p in paths], load, lang=lang)
    if check.blocked:
        raise ReportError(mask_text(check.message(lang)))
    if load is not None:
        _tell(progress, f"preflight: data checked in {check.seconds:.1f} s")
    for name in check.degraded:
        for text in check.sections[name].messages(lang):
            _tell(progress, f"preflight: {name}: {text}")
    return check
