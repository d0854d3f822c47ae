"""Import files that push CLV, churn risk and segments back into a client's CRM.

One CSV per CRM, shaped for its own import tool, one row per scored customer:

==========  ===================================  ==========================  ============
crm         import tool                          id column (default)         encoding
==========  ===================================  ==========================  ============
salesforce  Data Loader (upsert) / Data Import   ``Clvkit_Customer_Id__c``   UTF-8, no BOM
            Wizard, Accounts                     (an External ID field;
                                                 ``Id`` to update by record
                                                 id)
dynamics    Dynamics 365 Data Import wizard,     ``Account Number``          UTF-8 with BOM
            Accounts (columns by display name)
suitecrm    SuiteCRM / SugarCRM Import wizard,   ``id`` (updates the         UTF-8, no BOM
            Accounts (custom fields ``*_c``)     record with that id)
==========  ===================================  ==========================  ============

Salesforce's Data Loader reads the first header cell literally, so a BOM would turn
``Id`` into ``\\ufeffId`` and the mapping would fail: no BOM there (SuiteCRM likewise
compares header names); the Dynamics wizard and Excel both expect the BOM.

Values: CLV in the currency of the data, 2 decimals; churn risk and P(alive) as
percentages 0-100 with 1 decimal (Salesforce "Percent" fields take 12.5 for 12.5%);
segment, tier and action as clvkit's stable codes (picklist values that do not
change with the report language). Missing values are empty cells (Data Loader
leaves the field unchanged unless "Insert null values" is on). The ids are raw:
these files are for the analyst who imports them, not for the client report.
The field names are what ``docs/crm.md`` asks the CRM administrator to create.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from .._messages import examples, require_columns
from ..exceptions import DataValidationError, ParameterError
from ..schema import CUSTOMER_ID

__all__ = ["CRM_FIELDS", "CRM_FORMATS", "write_crm_import"]

#: Scored column -> import column, per CRM (the id column is set separately).
CRM_FIELDS: dict[str, dict[str, str]] = {
    "salesforce": {"clv": "CLV__c", "churn_risk": "Churn_Risk__c", "p_alive": "P_Alive__c",
                   "segment": "Segment__c", "tier": "Value_Tier__c", "action": "Action__c",
                   "scored_on": "CLV_Scored_On__c"},
    "dynamics": {"clv": "CLV", "churn_risk": "Churn Risk (%)", "p_alive": "P(alive) (%)",
                 "segment": "Segment", "tier": "Value Tier", "action": "Recommended Action",
                 "scored_on": "CLV Scored On"},
    "suitecrm": {"clv": "clv_c", "churn_risk": "churn_risk_c", "p_alive": "p_alive_c",
                 "segment": "segment_c", "tier": "value_tier_c", "action": "action_c",
                 "scored_on": "clv_scored_on_c"},
}
#: CRM -> (default id column, file encoding, file name, date format).
CRM_FORMATS: dict[str, tuple[str, str, str, str]] = {
    "salesforce": ("Clvkit_Customer_Id__c", "utf-8", "salesforce_accounts_import.csv",
                   "%Y-%m-%d"),
    "dynamics": ("Account Number", "utf-8-sig", "dynamics_accounts_import.csv", "%m/%d/%Y"),
    "suitecrm": ("id", "utf-8", "suitecrm_accounts_import.csv", "%Y-%m-%d"),
}
_PERCENT = ("churn_risk", "p_alive")
_REQUIRED = (CUSTOMER_ID, "clv", "churn_risk", "segment")


def _check(scored: pd.DataFrame, crm: str) -> None:
    if crm not in CRM_FIELDS:
        msg = f"crm must be one of {', '.join(map(repr, CRM_FIELDS))}; got {crm!r}"
        raise ParameterError(msg)
    require_columns(scored, _REQUIRED, "scored", "write_crm_import()",
                    todo="Pass the scored table (clvkit.segments.scored_customers() or "
                         "scored_customers.csv of a report run).")
    dup = scored[CUSTOMER_ID].duplicated()
    if dup.any():
        msg = (f"write_crm_import(): {int(dup.sum()):,} customer id(s) appear more than once "
               f"(e.g. {examples(scored.loc[dup, CUSTOMER_ID].unique())}); a CRM import "
               "needs one row per customer. Pass one row per customer.")
        raise DataValidationError(msg, column=CUSTOMER_ID, n_failed=int(dup.sum()))
    risk = pd.to_numeric(scored["churn_risk"], errors="coerce")
    bad = risk.notna() & ~risk.between(0, 1)
    if bad.any():
        msg = (f"write_crm_import(): {int(bad.sum()):,} churn_risk value(s) are outside 0-1 "
               f"(e.g. {examples(risk[bad])}); pass probabilities, not percentages.")
        raise DataValidationError(msg, column="churn_risk", n_failed=int(bad.sum()))


def write_crm_import(
    scored: pd.DataFrame,
    folder: str | Path,
    crm: str = "salesforce",
    *,
    id_column: str | None = None,
    scored_on: dt.date | None = None,
) -> Path:
    """Write the scored customers as the import file of a CRM (see module docstring).

    Parameters
    ----------
    scored : pandas.DataFrame
        The scored table: customer_id, clv, churn_risk, segment (required), p_alive,
        tier, action (written when present).
    folder : str or pathlib.Path
        Folder to write into (created when absent).
    crm : {"salesforce", "dynamics", "suitecrm"}, default "salesforce"
        Target CRM (SugarCRM: "suitecrm").
    id_column : str, optional
        Header of the id column; default per CRM (:data:`CRM_FORMATS`). The
        customer ids must be the CRM's values of that field (e.g. the Account ID a
        ``salesforce`` preset read, with ``id_column="Id"``).
    scored_on : datetime.date, optional
        Date of the scoring run, written in every row when given.

    Returns
    -------
    pathlib.Path
        The file written (``<crm>_accounts_import.csv``).

    Raises
    ------
    ParameterError
        Unknown CRM.
    DataValidationError
        Missing columns, repeated customer ids, churn risks outside 0-1.
    """
    _check(scored, crm)
    default_id, encoding, name, date_format = CRM_FORMATS[crm]
    fields = CRM_FIELDS[crm]
    out = pd.DataFrame({id_column or default_id: scored[CUSTOMER_ID].astype(str).to_numpy()})
    for col, header in fields.items():
        if col == "scored_on" or col not in scored:
            continue
        values = scored[col]
        if col == "clv":
            values = pd.to_numeric(values, errors="coerce").round(2)
        elif col in _PERCENT:
            values = (100 * pd.to_numeric(values, errors="coerce")).round(1)
        else:
            values = values.astype(object).where(values.notna(), None)
        out[header] = values.to_numpy()
    if scored_on is not None:
        out[fields["scored_on"]] = scored_on.strftime(date_format)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    out.to_csv(path, index=False, encoding=encoding, lineterminator="\r\n")
    return path
