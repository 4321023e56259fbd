"""The Python side of every computed column of a township workbook.

The templates compute these columns with native formulas (see
docs/WORKBOOK-LAYOUT.md); validate and merge compute them here, and a test
recalculates a template in LibreOffice and compares every cell with these
functions. So the rules below follow what the formulas do with each kind of
cell value:

* a row whose key cell (户编号, 案件编号 on 救助) is empty gets nothing ("" in
  the workbook; NaN / NaT / NA / "" here);
* household numbers match by ``keys.match_keys`` (letter case, width and spaces
  ignored; a number in a text column matches its text) — Excel's ``=`` ignores
  case only, so a key spelled in full-width in one sheet differs there;
* text left in a money or date column (what the reader could not coerce)
  counts as missing — ``SUMPRODUCT`` skips text amounts and a text date is not
  a number;
* spending sums are rounded to the fen like ``ROUND(x, 2)`` (halves away
  from zero), so a sum of fen amounts lands exactly on a threshold;
* the spending window is ``EDATE(核查基准日, −统计期) < 发生日期 <= 核查基准日``: an
  event exactly 12 months before the check date is outside, one a day later is
  inside, and one on the check date is inside;
* last visit: the latest valid 回访日期 of the household; next visit due: the
  last day of the calendar period (of ``回访间隔`` months: the quarter) after the
  last visit's, or after the 纳入监测日期's when there was no visit
  (``followup.visit_due_dates``; ``EOMONTH`` in the workbook);
* deadline: 发现日期 + 救助程序时限 by ``workdays.add_workdays_series`` (the same
  day-index mechanism as the 日历 sheet); days left: working days from the check
  date to the deadline (calendar days in 自然日 mode), negative when overdue,
  missing once the case is 已支付 or 已终止.

Everything is vectorised (groupby / map); no loop over rows.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from . import followup, rules, workdays
from .columns import column_of as _get
from .columns import excel_dates, excel_numbers
from .keys import match_keys
from .policy import KIND_FIELDS, Policy

#: Output columns, in schema order.
HOUSEHOLD_COLUMNS = (
    *KIND_FIELDS.values(), "status", "met_text", "reasons", "last_visit", "next_visit_due",
)
CASE_COLUMNS = ("deadline", "days_left")
#: Case stages after which no deadline is counted.
CLOSED_STAGES = ("已支付", "已终止")



def default_check_date(policy: Policy) -> dt.date:
    """核查基准日 when none is given: 31 December of the policy year."""
    return dt.date(policy.year, 12, 31)


def spending_window(check_date, policy: Policy) -> tuple[pd.Timestamp, pd.Timestamp]:
    """(start, end): an event counts when start < date <= end (EDATE semantics)."""
    check = _check_timestamp(check_date)
    start = workdays.add_months(check.date(), -policy.spending_window_months)
    return pd.Timestamp(start), check


# -- cell values -------------------------------------------------------------------

def _check_timestamp(check_date) -> pd.Timestamp:
    stamp = pd.Timestamp(check_date)
    if pd.isna(stamp):
        raise TypeError("check_date must be a date")
    return stamp.normalize()


# -- households ----------------------------------------------------------------------

def derive_households(
    households: pd.DataFrame,
    spending: pd.DataFrame | None,
    visits: pd.DataFrame | None,
    *,
    policy: Policy,
    check_date,
) -> pd.DataFrame:
    """The computed columns of 监测户, index aligned with ``households``.

    Columns: medical, education, accident, industry (float; 0 when the household
    has no spending of that kind in the window), status, met_text, reasons (from
    ``rules.check_households``), last_visit (datetime64, NaT when there was no
    visit), next_visit_due (``followup.visit_due_dates``: NaT without a visit and
    without a 纳入监测日期). Rows without a 户编号 get NaN / "" / NaT.
    """
    keys = match_keys(_get(households, "household_no"))
    has_key = keys.notna().to_numpy(dtype=bool)
    out = spending_sums(keys, spending, policy=policy, check_date=check_date)
    out.index = households.index

    checked = rules.check_households(
        pd.DataFrame({
            "group": _get(households, "group").to_numpy(dtype=object),
            "income_per_capita": _get(households, "income_per_capita").to_numpy(dtype=object),
            **{field: out[field].to_numpy() for field in KIND_FIELDS.values()},
        }, index=households.index),
        policy,
    )
    for name in rules.OUTPUT_COLUMNS:
        out[name] = np.where(has_key, checked[name].to_numpy(dtype=object), "")

    v_keys = match_keys(_get(visits, "household_no"))
    v_dates = excel_dates(_get(visits, "visit_date"))
    valid = (v_keys.notna() & v_dates.notna()).to_numpy(dtype=bool)
    latest = (
        pd.DataFrame({"key": v_keys.to_numpy()[valid], "date": v_dates.to_numpy()[valid]})
        .groupby("key")["date"].max()
    )
    last = keys.map(latest) if len(latest) else pd.Series(pd.NaT, index=keys.index)
    last = pd.Series(pd.to_datetime(last.to_numpy()), index=households.index).astype("datetime64[ns]")
    last[~has_key] = pd.NaT
    out["last_visit"] = last
    since = excel_dates(_get(households, "monitored_since")).dt.normalize()
    due = followup.visit_due_dates(last.dt.normalize(), since, policy.visit_interval_months)
    due[~has_key] = pd.NaT
    out["next_visit_due"] = due
    return out[list(HOUSEHOLD_COLUMNS)]


def spending_events(spending: pd.DataFrame | None, keys: pd.Series | None = None) -> pd.DataFrame:
    """The usable rows of 支出 as events: key, kind, date (datetime64), amount (float).

    A row is used when it has a household key, a kind of ``KIND_FIELDS``, a
    date and an amount (text left in either counts as missing, as in the
    workbook formulas). ``keys`` is ``match_keys`` of its 户编号 when the caller
    has it already.
    """
    sp_keys = match_keys(_get(spending, "household_no")) if keys is None else keys
    sp_dates = excel_dates(_get(spending, "date"))
    sp_amounts = excel_numbers(_get(spending, "amount"))
    sp_kinds = _get(spending, "kind")
    usable = (
        sp_keys.notna() & sp_amounts.notna() & sp_dates.notna() & sp_kinds.isin(list(KIND_FIELDS))
    ).to_numpy(dtype=bool)
    return pd.DataFrame({
        "key": sp_keys.to_numpy(dtype=object)[usable],
        "kind": sp_kinds.to_numpy(dtype=object)[usable],
        "date": sp_dates.to_numpy()[usable],
        "amount": sp_amounts.to_numpy(dtype="float64")[usable],
    })


def spending_sums(keys: pd.Series, spending: pd.DataFrame | None, *, policy: Policy,
                  check_date, spending_keys: pd.Series | None = None) -> pd.DataFrame:
    """Per household key: the spending of each kind in the window ending at ``check_date``.

    Columns ``medical`` … ``industry`` (``KIND_FIELDS``), rounded to the fen;
    0 where the household has none, NaN where the key is missing. Index:
    ``keys``' index. ``spending_keys`` are the keys of 支出's rows when they
    are not its ``match_keys`` (the county workbook adds the township).
    """
    start, end = spending_window(check_date, policy)
    events = spending_events(spending, spending_keys)
    events = events[((events["date"] > start) & (events["date"] <= end)).to_numpy()]
    sums = events.groupby(["key", "kind"])["amount"].sum()
    has_key = keys.notna().to_numpy(dtype=bool)
    out = pd.DataFrame(index=keys.index)
    for kind, field in KIND_FIELDS.items():
        per_key = sums.xs(kind, level="kind") if kind in sums.index.get_level_values("kind") else None
        if per_key is None:
            column = np.zeros(len(keys))
        else:
            column = round_fen(keys.map(per_key).astype("float64").fillna(0.0).to_numpy())
        out[field] = np.where(has_key, column, np.nan)
    return out


def window_sums(events: pd.DataFrame, keys: pd.Series, kinds: pd.Series, starts: pd.Series,
                ends: pd.Series) -> pd.Series:
    """For each query row: the spending of its household and kind with start < date <= end.

    ``events`` is ``spending_events``; ``keys``, ``kinds``, ``starts`` and
    ``ends`` are aligned query columns (the windows of relief cases, say).
    Rounded to the fen; 0 where nothing falls in the window; NaN where the
    query's key, kind or either date is missing. A merge on (key, kind), so
    the work is the number of (query, event) pairs of the same household and
    kind, not queries × events.
    """
    index = keys.index
    queries = pd.DataFrame({
        "q": np.arange(len(index)), "key": keys.to_numpy(dtype=object),
        "kind": kinds.to_numpy(dtype=object),
        "start": pd.to_datetime(starts).to_numpy(), "end": pd.to_datetime(ends).to_numpy(),
    })
    valid = (queries["key"].notna() & queries["kind"].isin(list(KIND_FIELDS))
             & queries["start"].notna() & queries["end"].notna()).to_numpy()
    pairs = queries[valid].merge(events, on=["key", "kind"], how="inner")
    inside = ((pairs["date"] > pairs["start"]) & (pairs["date"] <= pairs["end"])).to_numpy()
    sums = pairs[inside].groupby("q")["amount"].sum()
    out = np.zeros(len(index))
    out[sums.index.to_numpy(dtype=np.int64)] = sums.to_numpy(dtype="float64")
    out = round_fen(out)
    out[~valid] = np.nan
    return pd.Series(out, index=index, dtype="float64")


def round_fen(values: np.ndarray) -> np.ndarray:
    """Excel's ``ROUND(x, 2)``: to the fen, halves away from zero."""
    values = np.asarray(values, dtype=np.float64)
    return np.sign(values) * np.floor(np.abs(values) * 100 + 0.5) / 100 + 0.0


def add_months_series(dates: pd.Series, months: int) -> pd.Series:
    """``EDATE`` over a column: the time of day dropped, the day clipped to the month's end."""
    dates = pd.Series(dates).astype("datetime64[ns]")
    return (dates.dt.normalize() + pd.DateOffset(months=int(months))).astype("datetime64[ns]")


# -- cases -----------------------------------------------------------------------------

def derive_cases(cases: pd.DataFrame, *, policy: Policy, check_date) -> pd.DataFrame:
    """The computed columns of 救助: deadline (datetime64) and days_left (Int64).

    ``deadline`` is NaT without a 案件编号 or a 发现日期 that is a date;
    ``days_left`` is NA then, and once the 状态 is 已支付 or 已终止.
    """
    check = _check_timestamp(check_date)
    keys = match_keys(_get(cases, "case_no"))
    found = excel_dates(_get(cases, "found_date")).dt.normalize()
    found = found.where(keys.notna())
    found.index = cases.index
    deadline = workdays.add_workdays_series(found, policy.deadline_days, policy=policy)
    deadline = deadline.astype("datetime64[ns]")
    checks = pd.Series(check, index=cases.index).where(deadline.notna())
    days_left = workdays.workdays_between_series(checks, deadline, policy=policy).astype("Int64")
    stage = _get(cases, "stage")
    closed = stage.isin(CLOSED_STAGES).to_numpy(dtype=bool)
    days_left[closed] = pd.NA
    return pd.DataFrame({"deadline": deadline, "days_left": days_left}, index=cases.index)
