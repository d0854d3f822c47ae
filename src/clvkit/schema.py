"""Canonical column names, table roles and unit constants.

Every table clvkit works on uses these names. Loaders rename the user's columns to
them (see :mod:`clvkit.io`); everything downstream relies on them.
"""

from __future__ import annotations

from typing import Final

# --- transactions -----------------------------------------------------------------
CUSTOMER_ID: Final = "customer_id"
TIMESTAMP: Final = "timestamp"
AMOUNT: Final = "amount"
ORDER_ID: Final = "order_id"
QUANTITY: Final = "quantity"
GROSS_MARGIN: Final = "gross_margin"
COST: Final = "cost"
CHANNEL: Final = "channel"
REGION: Final = "region"
CATEGORY: Final = "category"
STATUS: Final = "status"  # order status: cancelled / refunded values mark reversals

# --- customers --------------------------------------------------------------------
SIGNUP_DATE: Final = "signup_date"
CHURN_DATE: Final = "churn_date"
ACQUISITION_COST: Final = "acquisition_cost"
SEGMENT: Final = "segment"
COST_TO_SERVE: Final = "cost_to_serve"
CONTRACT: Final = "contract"  # "subscription" for contractual customers, else "none"
# Personal data: never shown in client reports.
NAME: Final = "name"
EMAIL: Final = "email"
PHONE: Final = "phone"
PII_COLUMNS: Final = (NAME, EMAIL, PHONE)

# --- surveys ----------------------------------------------------------------------
DATE: Final = "date"
NPS: Final = "nps"
CES: Final = "ces"
CSAT: Final = "csat"
COMMENT: Final = "comment"

# --- per-customer summary (lifetimes' names) -----------------------------------------
FREQUENCY: Final = "frequency"
RECENCY: Final = "recency"
T: Final = "T"
MONETARY_VALUE: Final = "monetary_value"

# --- table roles: required and optional columns --------------------------------------
TABLES: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    "transactions": {
        "required": (CUSTOMER_ID, TIMESTAMP, AMOUNT),
        "optional": (ORDER_ID, QUANTITY, GROSS_MARGIN, COST, CHANNEL, REGION, CATEGORY,
                     STATUS),
    },
    "customers": {
        "required": (CUSTOMER_ID,),
        "optional": (
            SIGNUP_DATE, CHURN_DATE, ACQUISITION_COST, SEGMENT, CHANNEL, REGION,
            COST_TO_SERVE, CONTRACT, NAME, EMAIL, PHONE,
        ),
    },
    "surveys": {
        "required": (CUSTOMER_ID, DATE, NPS),
        "optional": (CES, CSAT, COMMENT),
    },
}

# --- units ------------------------------------------------------------------------
DAYS_PER_WEEK: Final = 7.0
DAYS_PER_YEAR: Final = 365.25
DAYS_PER_MONTH: Final = DAYS_PER_YEAR / 12  # 30.4375
WEEKS_PER_MONTH: Final = DAYS_PER_MONTH / DAYS_PER_WEEK  # 4.348...
# Length of one summary period in days, by pandas-style frequency code.
FREQ_DAYS: Final[dict[str, float]] = {"D": 1.0, "W": DAYS_PER_WEEK, "M": DAYS_PER_MONTH}

# --- NPS groups -------------------------------------------------------------------
PROMOTER_MIN: Final = 9  # 9-10
PASSIVE_MIN: Final = 7  # 7-8; 0-6 are detractors
