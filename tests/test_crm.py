"""CRM import files: columns, values and encoding per CRM."""

from __future__ import annotations

import csv
import datetime as dt
import io

import numpy as np
import pandas as pd
import pytest

from clvkit.exceptions import DataValidationError, ParameterError
from clvkit.segments import write_crm_import


@pytest.fixture
def scored():
    return pd.DataFrame({
        "customer_id": ["0015g00000Acme1AAE", "客户-002", "C3"],
        "segment": pd.Categorical(["champions", "at_risk", None]),
        "tier": pd.Categorical(["top", "next", "rest"]),
        "clv": [1234.567, 89.0, np.nan],
        "p_alive": [0.9312, 0.41, np.nan],
        "churn_risk": [0.0688, 0.59, np.nan],
        "action": pd.Categorical(["keep", "win_back", "maintain"]),
        "segment_label": ["Champions", "At risk", None],
    })


def _read(path, encoding):
    text = path.read_bytes().decode(encoding)
    return list(csv.reader(io.StringIO(text)))


def test_salesforce_data_loader_file(scored, tmp_path):
    path = write_crm_import(scored, tmp_path, "salesforce", scored_on=dt.date(2026, 11, 29))
    assert path.name == "salesforce_accounts_import.csv"
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")  # Data Loader would read "\ufeffId"
    assert b"\r\n" in raw
    rows = _read(path, "utf-8")
    assert rows[0] == ["Clvkit_Customer_Id__c", "CLV__c", "Churn_Risk__c", "P_Alive__c",
                       "Segment__c", "Value_Tier__c", "Action__c", "CLV_Scored_On__c"]
    assert rows[1] == ["0015g00000Acme1AAE", "1234.57", "6.9", "93.1", "champions", "top",
                       "keep", "2026-11-29"]
    assert rows[2][0] == "客户-002"  # UTF-8 kept
    assert rows[3][1:5] == ["", "", "", ""]  # missing values: empty cells
    by_id = write_crm_import(scored, tmp_path / "id", "salesforce", id_column="Id")
    assert _read(by_id, "utf-8")[0][0] == "Id"


def test_dynamics_import_wizard_file(scored, tmp_path):
    path = write_crm_import(scored, tmp_path, "dynamics", scored_on=dt.date(2026, 11, 29))
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM for the wizard and Excel
    rows = _read(path, "utf-8-sig")
    assert rows[0] == ["Account Number", "CLV", "Churn Risk (%)", "P(alive) (%)", "Segment",
                       "Value Tier", "Recommended Action", "CLV Scored On"]
    assert rows[2] == ["客户-002", "89.0", "59.0", "41.0", "at_risk", "next", "win_back",
                       "11/29/2026"]


def test_suitecrm_import_file(scored, tmp_path):
    path = write_crm_import(scored.drop(columns=["p_alive", "tier"]), tmp_path, "suitecrm")
    assert not path.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = _read(path, "utf-8")
    assert rows[0] == ["id", "clv_c", "churn_risk_c", "segment_c", "action_c"]
    assert len(rows) == 4
    back = pd.read_csv(path, encoding="utf-8", dtype={"id": str})
    assert list(back["id"]) == list(scored["customer_id"])


def test_errors(scored, tmp_path):
    with pytest.raises(ParameterError, match=r"crm must be one of 'salesforce'.*got 'hubspot'"):
        write_crm_import(scored, tmp_path, "hubspot")
    with pytest.raises(DataValidationError, match=r"no column\(s\) 'churn_risk'.*scored table"):
        write_crm_import(scored.drop(columns="churn_risk"), tmp_path)
    twice = pd.concat([scored, scored.iloc[:1]])
    with pytest.raises(DataValidationError, match=r"1 customer id\(s\) appear more than once"):
        write_crm_import(twice, tmp_path)
    with pytest.raises(DataValidationError, match=r"1 churn_risk value\(s\) are outside 0-1"):
        write_crm_import(scored.assign(churn_risk=[6.9, 0.5, None]), tmp_path)
