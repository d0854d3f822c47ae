"""What a customer attribute changes: the covariate models in words and a small table.

:class:`clvkit.models.BGNBDCovariateModel` and
:class:`clvkit.models.ParetoNBDCovariateModel` return numbers (``level_effects``,
``lr_test_``); this module turns them into the table and sentences a client reads, in
English or Chinese (``locales/covariates.toml``).
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd

from .. import schema
from ..i18n import column_label, format_int, format_number, format_pct, join_list, t

__all__ = ["COVARIATE_COLUMNS", "covariate_effects", "covariate_model", "describe_covariates",
           "sampled_summary"]

#: Likelihood-ratio p-value below which the attributes are said to matter.
SIGNIFICANCE = 0.05
#: Customer attributes the CLV page looks at when the customers table has them.
COVARIATE_COLUMNS = ("channel", "region")
#: Above this many customers the covariate fit runs on a seeded random sample of them
#: (the coefficients of a few categorical attributes are precise long before that).
MAX_COVARIATE_CUSTOMERS = 200_000


def covariate_model(ctx: Any, ds: Any, sc: Any, columns: tuple[str, ...] = COVARIATE_COLUMNS,
                    *, max_customers: int = MAX_COVARIATE_CUSTOMERS) -> Any:
    """Fit BG/NBD with the customers' attributes on purchasing and dropout, for a page.

    Uses the columns of ``columns`` that the customers table has with at least two
    values; the summary is the run's (same observation end and time unit as every
    other model of the report). Above ``max_customers`` customers it fits on a
    random sample of that many (seed: the run's), and says so on the page. Without
    such a column, or when the fit is not possible, the section is skipped with a
    sentence (:meth:`ReportContext.skip`) and None is returned.
    """
    from ..exceptions import ClvkitError
    from ..models import fit_bgnbd

    customers = ds.customers
    used = [c for c in columns if customers is not None and c in customers
            and customers[c].nunique() > 1]
    if not used:
        ctx.skip("covariates.section", "covariates.skip.no_attributes")
        return None
    summary, total = sampled_summary(ds.transactions, sc.facts["observation_end"],
                                     max_customers, sc.settings.seed)
    if total > max_customers:
        from IPython.display import display

        display(ctx.say("covariates.sampled", n=ctx.num(max_customers), total=ctx.num(total)))
    try:
        return fit_bgnbd(summary, purchase_covariates=used, dropout_covariates=used,
                         covariates=customers[["customer_id", *used]]
                         if "customer_id" in customers else customers[used])
    except ClvkitError:
        # the error names customer ids: not for a client page; say what could not be done
        ctx.skip("covariates.section", "covariates.skip.fit_failed")
        return None


def sampled_summary(transactions: pd.DataFrame, observation_end: Any, max_customers: int,
                    seed: int) -> tuple[pd.DataFrame, int]:
    """The run's RFM summary, or above ``max_customers`` customers a seeded sample of its
    rows, and the number of customers: ``rfm_summary(...).sample(n=max_customers,
    random_state=seed)``, row for row.

    A customer's summary row depends on their own purchases only, so for a log of text
    ids that the summary keeps whole (no missing values, nothing after the observation
    end) the sample is drawn from the sorted ids first and only the sampled customers'
    purchases are summarised.
    """
    from ..summary import rfm_summary

    picked = _sample_ids(transactions, observation_end, max_customers, seed)
    if picked is None:
        summary = rfm_summary(transactions, observation_end=observation_end)
        total = len(summary)
        if total > max_customers:
            summary = summary.sample(n=max_customers, random_state=seed)
        return summary, total
    rows, ids, total = picked
    columns = [schema.CUSTOMER_ID, schema.TIMESTAMP, schema.AMOUNT]
    summary = rfm_summary(transactions[columns].loc[rows], observation_end=observation_end)
    return summary.loc[ids], total


def _sample_ids(transactions: pd.DataFrame, observation_end: Any, max_customers: int,
                seed: int) -> tuple[np.ndarray, np.ndarray, int] | None:
    """Rows of the sampled customers, their ids in sample order and the number of
    customers; None when the whole summary is needed (small, or a log the summary
    would not keep whole)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from .._codes import factorize_ids, plain_dates

    stamps = transactions[schema.TIMESTAMP]
    if (schema.AMOUNT not in transactions or not plain_dates(stamps)
            or transactions[schema.AMOUNT].isna().any()
            or stamps.max() >= pd.Timestamp(observation_end).normalize() + pd.Timedelta(days=1)):
        return None
    codes, ids = factorize_ids(transactions[schema.CUSTOMER_ID])
    if len(ids) <= max_customers or codes.min() < 0 or pd.api.types.infer_dtype(
            ids, skipna=False) != "string":
        return None
    order = pc.array_sort_indices(pa.array(ids, type=pa.string())).to_numpy()  # as sorted()
    positions = pd.Series(np.arange(len(ids))).sample(n=max_customers, random_state=seed)
    picked = order[positions.to_numpy()]
    keep = np.zeros(len(ids), dtype=bool)
    keep[picked] = True
    return keep[codes], ids[picked], len(ids)


def _ratio(v: float, decimals: int = 2) -> str:
    return "n/a" if not math.isfinite(v) else f"×{format_number(v, decimals)}"


def _ratios(v: float, low: float, high: float) -> tuple[str, str, str]:
    """A multiplier and its interval, with enough decimals to tell the ends apart
    (per-unit effects of a numeric covariate are often close to 1: "×1.004")."""
    width = high - low if math.isfinite(high - low) else 1.0
    decimals = 2 if width >= 0.05 else 3 if width >= 0.005 else 4
    return _ratio(v, decimals), _ratio(low, decimals), _ratio(high, decimals)


def _with_interval(value: str, low: str, high: str, lang: str | None) -> str:
    return t("covariates.value_interval", lang, value=value, low=low, high=high)


def _finite(row: pd.Series, key: str) -> bool:
    value = row.get(key, math.nan)
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)


def _is_unit(row: pd.Series) -> bool:
    """A numeric covariate's row (no level)."""
    return row["level"] is None or (isinstance(row["level"], float) and math.isnan(row["level"]))


def _level_label(row: pd.Series, lang: str | None) -> str:
    if _is_unit(row):
        return t("covariates.per_unit", lang)
    text = str(row["level"])
    return t("covariates.reference_level", lang, level=text) if row["reference"] else text


def _check(model: Any) -> None:
    from sklearn.utils.validation import check_is_fitted

    from ..models._covbase import CovariateModel

    if not isinstance(model, CovariateModel):
        from ..exceptions import ParameterError

        msg = (f"covariate_effects() needs a BG/NBD or Pareto/NBD model fitted with covariates "
               f"(ck.models.fit_bgnbd(summary, purchase_covariates=[...], "
               f"dropout_covariates=[...])); got {type(model).__name__}.")
        raise ParameterError(msg)
    check_is_fitted(model, "params_")


def covariate_effects(model: Any, *, lang: str | None = None, level: float = 0.9) -> pd.DataFrame:
    """One row per level of each covariate: what it changes, with ``level`` intervals.

    Columns (headers in ``lang``): covariate, level (the reference level marked), its
    customers, the purchase rate relative to the reference level ("×1.80 (×1.70 to
    ×1.91)"); for BG/NBD the chance of dropping out after a purchase ("31.6% (30.9% to
    32.4%)") and the dropout odds relative to the reference level, for Pareto/NBD the
    dropout rate relative to it. Cells of a process the covariate was not used for are
    empty. Numbers come from ``level_effects`` of
    :class:`~clvkit.models.BGNBDCovariateModel` /
    :class:`~clvkit.models.ParetoNBDCovariateModel`.

    Raises
    ------
    ParameterError
        ``model`` is not a fitted covariate model, or ``level`` is not in (0, 1).
    """
    _check(model)
    effects = model.level_effects(level=level)
    rows = []
    for _, row in effects.iterrows():
        ref = bool(row["reference"])
        out = {"covariate": column_label(row["column"], lang), "level": _level_label(row, lang),
               "n_customers": format_int(row["n_customers"]) if _finite(row, "n_customers")
               else "", "rate": "", "dropout": "", "odds": "", "dropout_rate": ""}
        if _finite(row, "rate_ratio"):
            out["rate"] = _ratio(1.0) if ref else _with_interval(
                *_ratios(row["rate_ratio"], row["rate_low"], row["rate_high"]), lang)
        if _finite(row, "dropout_probability"):
            out["dropout"] = _with_interval(
                format_pct(row["dropout_probability"]), format_pct(row["dropout_low"]),
                format_pct(row["dropout_high"]), lang)
        if _finite(row, "dropout_odds_ratio"):
            out["odds"] = _ratio(1.0) if ref else _with_interval(*_ratios(
                row["dropout_odds_ratio"], row["dropout_odds_low"], row["dropout_odds_high"]),
                lang)
        if _finite(row, "dropout_rate_ratio"):
            out["dropout_rate"] = _ratio(1.0) if ref else _with_interval(*_ratios(
                row["dropout_rate_ratio"], row["dropout_rate_low"], row["dropout_rate_high"]),
                lang)
        rows.append(out)
    pct = format_number(100 * level, 0)
    shown = ("dropout", "odds") if model._kind == "bgnbd" else ("dropout_rate",)
    headers = {k: t(f"covariates.column.{k}", lang, level=pct)
               for k in ("covariate", "level", "n_customers", "rate", *shown)}
    return pd.DataFrame(rows, columns=list(headers)).rename(columns=headers)


def _p_text(p: float, lang: str | None) -> str:
    if p < 0.001:
        return t("covariates.p_below", lang, p="0.001")
    return t("covariates.p_equals", lang, p=format_number(p, 3))


def describe_covariates(model: Any, *, lang: str | None = None,
                        level: float = 0.9) -> list[str]:
    """Say whether the covariates matter (likelihood-ratio test) and what clearly differs.

    The first sentence states the likelihood-ratio test against the model without
    covariates (significant below p = 0.05). Only when it is significant (otherwise a
    level that looks different among many is likely chance) follows one sentence per
    level whose purchase
    rate and one per level whose dropout odds (BG/NBD) or dropout rate (Pareto/NBD)
    differ from the reference level's (``level`` interval excluding 1).

    Raises
    ------
    ParameterError
        As :func:`covariate_effects`.
    """
    _check(model)
    lr = model.lr_test_
    names = [s["column"] for which in ("purchase", "dropout") for s in model.design_[which]]
    columns = join_list(dict.fromkeys(column_label(c, lang) for c in names), lang)
    key = "covariates.sentence.lr_clear" if lr["p_value"] < SIGNIFICANCE \
        else "covariates.sentence.lr_unclear"
    out = [t(key, lang, columns=columns, statistic=format_number(lr["statistic"], 1),
             df=int(lr["df"]), p=_p_text(lr["p_value"], lang))]
    if lr["p_value"] >= SIGNIFICANCE:
        return out  # with no overall effect, a level that looks different is likely chance
    pct = format_number(100 * level, 0)
    effects = model.level_effects(level=level)
    refs = {s["column"]: s["reference"] for which in ("purchase", "dropout")
            for s in model.design_[which]}
    reference = effects[effects["reference"].astype(bool)].set_index("column")
    for _, row in effects[~effects["reference"].astype(bool)].iterrows():
        name = _level_label(row, lang)
        values = {"column": column_label(row["column"], lang), "level": name,
                  "reference": refs[row["column"]], "level_pct": pct}
        if row.get("rate_low", math.nan) > 1 or row.get("rate_high", math.nan) < 1:
            key = "covariates.sentence.rate_unit" if _is_unit(row) \
                else "covariates.sentence.rate"
            ratio, low, high = _ratios(row["rate_ratio"], row["rate_low"], row["rate_high"])
            out.append(t(key, lang, ratio=ratio, low=low, high=high, **values))
        odds_low, odds_high = row.get("dropout_odds_low", math.nan), row.get(
            "dropout_odds_high", math.nan)
        if odds_low > 1 or odds_high < 1:
            if _is_unit(row):
                ratio, low, high = _ratios(row["dropout_odds_ratio"], odds_low, odds_high)
                out.append(t("covariates.sentence.dropout_unit", lang, ratio=ratio, low=low,
                             high=high, **values))
            else:
                base = reference.loc[row["column"], "dropout_probability"]
                out.append(t("covariates.sentence.dropout", lang,
                             p=format_pct(row["dropout_probability"]),
                             p_ref=format_pct(base), **values))
        low, high = row.get("dropout_rate_low", math.nan), row.get("dropout_rate_high", math.nan)
        if low > 1 or high < 1:
            key = "covariates.sentence.dropout_rate_unit" if _is_unit(row) \
                else "covariates.sentence.dropout_rate"
            ratio, low_s, high_s = _ratios(row["dropout_rate_ratio"], low, high)
            out.append(t(key, lang, ratio=ratio, low=low_s, high=high_s, **values))
    return out
