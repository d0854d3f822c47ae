"""The relational logic of the summaries, written once as SQL for DuckDB and Spark SQL.

Every query here is plain ANSI-style SQL that both DuckDB and Spark SQL run; the only
per-engine pieces are identifier quoting and the day-number expression, held by a
:class:`Dialect`. The definitions are those of :mod:`clvkit.summary` (the pandas engine):

* a timestamp's *day* is its calendar date as days since 1970-01-01 (wall-clock time);
* its *period* is the day ("D", "W7"), the Monday-to-Sunday week ``floor((day + 3) / 7)``
  ("W"; 1970-01-01 is a Thursday) or the calendar month ``12 (year - 1970) + month - 1``
  ("M");
* purchases of one customer in one period are one purchase whose value is their sum.

Column aliases inside the queries are short (``c``, ``p``, ``a``) and renamed to
clvkit's names on output.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "DUCKDB",
    "SPARK",
    "Columns",
    "Dialect",
    "cohort_sql",
    "holdout_sql",
    "period_divisor",
    "rfm_sql",
    "stats_sql",
]


@dataclass(frozen=True)
class Dialect:
    """What differs between the SQL engines: quoting and the day number of a timestamp."""

    name: str
    quote: str
    day_template: str  # "{ts}" is replaced by the quoted timestamp column

    def ident(self, name: str) -> str:
        q = self.quote
        return q + name.replace(q, q + q) + q

    def day(self, ts: str) -> str:
        return self.day_template.format(ts=self.ident(ts))


DUCKDB = Dialect("duckdb", '"',
                 "CAST(date_diff('day', DATE '1970-01-01', CAST({ts} AS DATE)) AS BIGINT)")
SPARK = Dialect("spark", "`", "CAST(datediff(CAST({ts} AS DATE), DATE '1970-01-01') AS BIGINT)")


@dataclass(frozen=True)
class Columns:
    """Names of the source columns that play the roles customer, timestamp, amount."""

    customer: str
    timestamp: str
    amount: str | None


def period_divisor(freq: str, freq_multiplier: float) -> float:
    """Periods per unit of recency and T: 7 days per week for "W7", else 1 (x multiplier)."""
    return float(freq_multiplier) * (7.0 if freq == "W7" else 1.0)


def _period(d: Dialect, cols: Columns, freq: str) -> str:
    day = d.day(cols.timestamp)
    if freq == "M":
        ts = d.ident(cols.timestamp)
        return f"CAST((year({ts}) - 1970) * 12 + month({ts}) - 1 AS BIGINT)"
    if freq == "W":
        return f"CAST(FLOOR(({day} + 3) / 7.0) AS BIGINT)"
    return day  # "D" and "W7" count days


def _rows(d: Dialect, source: str, cols: Columns, freq: str, *, day: bool = True) -> str:
    """One row per transaction: customer c, day, period p and amount a.

    Without ``day`` there is no day column (for "D" and "W7", whose period is the day:
    the day number is then computed once per row, not twice).
    """
    amount = f", CAST({d.ident(cols.amount)} AS DOUBLE) AS a" if cols.amount else ""
    day_col = f"{d.day(cols.timestamp)} AS day, " if day else ""
    return (f"SELECT {d.ident(cols.customer)} AS c, {day_col}"
            f"{_period(d, cols, freq)} AS p{amount} FROM {source}")


def stats_sql(d: Dialect, source: str, cols: Columns, end_day: int | None) -> str:
    """One pass over the source: rows, missing values, first/last day, rows after the end."""
    c, ts = d.ident(cols.customer), d.ident(cols.timestamp)
    day = d.day(cols.timestamp)
    after = (f"SUM(CASE WHEN {day} > {int(end_day)} THEN 1 ELSE 0 END)"
             if end_day is not None else "CAST(0 AS BIGINT)")
    missing_a = (f"COUNT(*) - COUNT({d.ident(cols.amount)})" if cols.amount
                 else "CAST(0 AS BIGINT)")
    return (f"SELECT COUNT(*) AS n_rows, COUNT(*) - COUNT({c}) AS missing_customer, "
            f"COUNT(*) - COUNT({ts}) AS missing_timestamp, {missing_a} AS missing_amount, "
            f"MIN({day}) AS first_day, MAX({day}) AS last_day, {after} AS n_after "
            f"FROM {source}")


def _summary_select(freq_div: float, end_period: int, amount: bool, suffix: str = "",
                    extras: bool = False, daily: bool = False) -> str:
    """Per-customer frequency, recency, T (+ monetary) from the per-period table ``pp``."""
    div = f"CAST({freq_div!r} AS DOUBLE)"
    cols = [f"c AS c{suffix}",
            f"COUNT(*) - 1 AS frequency{suffix}",
            f"CAST(MAX(p) - MIN(p) AS DOUBLE) / {div} AS recency{suffix}",
            f"CAST({int(end_period)} - MIN(p) AS DOUBLE) / {div} AS T{suffix}"]
    if amount:
        cols.append(f"CASE WHEN COUNT(*) > 1 THEN (SUM(a) - MIN_BY(a, p)) / (COUNT(*) - 1) "
                    f"ELSE CAST(0 AS DOUBLE) END AS monetary_value{suffix}")
    if extras:  # for RFM scores: rows, revenue and last day over the whole window
        cols += ["CAST(SUM(n) AS BIGINT) AS n_rows", "MAX(p) AS last_day" if daily else
                 "MAX(last_day) AS last_day"]
        if amount:
            cols.append("SUM(a) AS revenue")
    return ", ".join(cols)


def rfm_sql(d: Dialect, source: str, cols: Columns, freq: str, freq_multiplier: float,
            end_day: int, end_period: int, *, extras: bool = False) -> str:
    """The RFM summary (see :func:`clvkit.summary.rfm_summary`) of rows on or before end_day.

    With ``extras`` the result also has ``n_rows`` (transactions), ``last_day`` and
    ``revenue`` (sum of amounts), which the RFM scores of ``clvkit score`` use.
    """
    amount = cols.amount is not None
    daily = freq in ("D", "W7")  # the period is the day: last_day = MAX(p)
    sum_a = ", SUM(a) AS a" if amount else ""
    more = (", COUNT(*) AS n" + ("" if daily else ", MAX(day) AS last_day")) if extras else ""
    select = _summary_select(period_divisor(freq, freq_multiplier), end_period, amount,
                             extras=extras, daily=daily)
    return (
        f"WITH t AS ({_rows(d, source, cols, freq, day=not daily)}), "
        f"pp AS (SELECT c, p{sum_a}{more} FROM t WHERE {'p' if daily else 'day'} <= "
        f"{int(end_day)} GROUP BY c, p) "
        f"SELECT {select} FROM pp GROUP BY c"
    )


def holdout_sql(d: Dialect, source: str, cols: Columns, freq: str, freq_multiplier: float,
                cal_day: int, cal_period: int, end_day: int) -> str:
    """Calibration summary joined (full outer) to the holdout counts of each customer.

    Rows with a NULL ``c_cal`` are customers first seen in the holdout period; the
    caller counts and removes them (``n_excluded_new``).
    """
    amount = cols.amount is not None
    sum_a = ", SUM(a) AS a" if amount else ""
    avg_a = ", AVG(a) AS monetary_value_holdout" if amount else ""
    div = period_divisor(freq, freq_multiplier)
    return (
        f"WITH t AS ({_rows(d, source, cols, freq)}), "
        f"pp AS (SELECT c, p{sum_a} FROM t WHERE day <= {int(cal_day)} GROUP BY c, p), "
        f"cal AS (SELECT {_summary_select(div, cal_period, amount, '_cal')} FROM pp "
        f"GROUP BY c), "
        f"hold AS (SELECT c, COUNT(DISTINCT p) AS frequency_holdout{avg_a} FROM t "
        f"WHERE day > {int(cal_day)} AND day <= {int(end_day)} GROUP BY c) "
        f"SELECT cal.*, hold.c AS c_hold, hold.frequency_holdout"
        f"{', hold.monetary_value_holdout' if amount else ''} "
        f"FROM cal FULL OUTER JOIN hold ON cal.c_cal = hold.c"
    )


def cohort_sql(d: Dialect, source: str, cols: Columns) -> str:
    """First and last purchase timestamp and number of rows of every customer."""
    ts = d.ident(cols.timestamp)
    return (f"SELECT {d.ident(cols.customer)} AS c, MIN({ts}) AS first_purchase, "
            f"MAX({ts}) AS last_purchase, COUNT(*) AS n_transactions FROM {source} "
            f"GROUP BY {d.ident(cols.customer)}")
