"""Follow-up visits (帮扶回访): coverage, overdue households, open problems.

Pure and vectorised. Findings have the shape of ``findings.make_findings``
(code, severity, column, message; indexed like the input frame).

Choices made here, and why:

* **Overdue**: the next visit is due ``policy.visit_interval_months`` after
  the last one (Excel EDATE, as the template's 下次回访到期 column); a
  household is overdue when that date is *before* the check date (due on the
  check date itself is still in time). A monitored household with no visit at
  all is overdue once the same interval has passed since 纳入监测日期, or at
  once when that date is empty (nothing shows the visits started).
  Households whose 风险状态 is 已消除 have left monitoring and are skipped.
* The ``visit_overdue`` warning is put on the household's **户编号** cell on
  监测户: it is always present (the computed 最近回访日期 / 下次回访到期
  columns may be missing from a county's own sheet), and it is the key the
  helper looks the household up by.
* **Open problem**: a visit with any 两不愁三保障 answer 否 is open when it has
  *neither* a 处理措施 *nor* an escalation (上报 empty or 无): a helper who
  solved the problem writes the measure, one who could not reports it to the
  村两委 or the township (DOMAIN.md). The warning is put on the visit's
  处理措施 cell, where the missing entry goes.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from .columns import as_dates, as_text, column_of, day_text
from .findings import make_findings
from .issues import WARNING
from .keys import match_keys
from .policy import Policy
from .schema import HOUSEHOLDS, VISITS

#: The 两不愁三保障 (plus safe water) answers of a visit, in sheet order.
GUARANTEES: tuple[str, ...] = ("food_clothing", "education_ok", "medical_ok", "housing_ok", "water_ok")
NO = "否"
ELIMINATED = "已消除"
_NO_VALUES = (NO, "False", "false", "0")
_NO_ESCALATION = ("", "无")


def quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


# -- the calendar-quarter visit rule ---------------------------------------------------
#
# DOMAIN.md: each calendar quarter needs a visit. A visit on 01-05 covers Q1, so the next
# one is due by the last day of Q2 (06-30), not three months later (04-05). These
# functions state that rule over columns; ``visit_due`` above (EDATE by
# ``policy.visit_interval_months``) is what the workbooks compute today.

def _quarter_numbers(dates: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Quarters since 1970-Q1 (int64) and the mask of missing dates."""
    months = pd.Series(dates).to_numpy(dtype="datetime64[ns]").astype("datetime64[M]")
    missing = np.isnat(months)
    quarters = np.where(missing, 0, months.astype(np.int64)) // 3
    return quarters, missing


def quarter_ends(dates: pd.Series) -> pd.Series:
    """The last day of each date's calendar quarter (datetime64, NaT kept)."""
    return _quarter_day(dates, 1)


def next_quarter_visit_due(last_visits: pd.Series) -> pd.Series:
    """The day the next visit is due under the calendar-quarter rule: the last day of the
    quarter after the last visit's quarter (2020-01-05 → 2020-06-30, 2020-04-05 →
    2020-09-30, 2020-12-15 → 2021-03-31). NaT where there was no visit."""
    return _quarter_day(last_visits, 2)


def _quarter_day(dates: pd.Series, quarters_ahead: int) -> pd.Series:
    """The day before the start of the quarter ``quarters_ahead`` after each date's quarter."""
    dates = pd.Series(dates)
    quarters, missing = _quarter_numbers(dates)
    starts = ((quarters + quarters_ahead) * 3).astype("datetime64[M]").astype("datetime64[D]")
    days = (starts - np.timedelta64(1, "D")).astype("datetime64[ns]")
    days[missing] = np.datetime64("NaT")
    return pd.Series(days, index=dates.index, dtype="datetime64[ns]")


def visited_in_quarter(visit_dates: pd.Series, days: pd.Series) -> pd.Series:
    """For each of ``days``: whether any of ``visit_dates`` (one household's visits) falls
    in that day's calendar quarter. Missing visit dates are ignored; a missing day gives
    NA (``boolean`` dtype, index of ``days``)."""
    days = pd.Series(days)
    visited, no_visit = _quarter_numbers(visit_dates)
    wanted, missing = _quarter_numbers(days)
    found = np.isin(wanted, visited[~no_visit])
    return pd.Series(pd.arrays.BooleanArray(found, missing), index=days.index)


def visit_coverage(households: pd.DataFrame, visits: pd.DataFrame, *, policy: Policy,
                   check_date: dt.date, household_keys: pd.Series | None = None,
                   visit_keys: pd.Series | None = None) -> pd.DataFrame:
    """One row per household row (same index) with its visit record.

    Columns: ``last_visit`` (datetime64, NaT when never visited),
    ``next_visit_due``, ``visits_this_quarter`` (visits from the first day of
    the check date's quarter up to the check date), ``visited_this_quarter``,
    ``monitored`` (not 已消除) and ``overdue``. ``household_keys`` /
    ``visit_keys`` are ``keys.match_keys`` of the two 户编号 columns when the
    caller has them already.
    """
    check = pd.Timestamp(check_date).normalize()
    keys = _keys(households) if household_keys is None else household_keys
    visit_keys = _keys(visits) if visit_keys is None else visit_keys
    visit_dates = as_dates(visits, "visit_date")
    known = (visit_keys.notna() & visit_dates.notna()).to_numpy(dtype=bool)
    by_key = pd.DataFrame({"key": visit_keys.to_numpy(dtype=object)[known],
                           "date": visit_dates.to_numpy(dtype="datetime64[ns]")[known]})
    last = by_key.groupby("key")["date"].max()
    in_quarter = (by_key["date"] >= pd.Timestamp(quarter_start(check_date))) & (by_key["date"] <= check)
    quarter_counts = by_key[in_quarter].groupby("key").size().astype("float64")

    # reindex, not map: Series.map with an empty datetime Series fails in pandas 2.
    household_keys = keys.to_numpy(dtype=object)
    last_visit = pd.Series(last.reindex(household_keys).to_numpy(dtype="datetime64[ns]"),
                           index=households.index)
    counts = pd.Series(quarter_counts.reindex(household_keys).to_numpy(dtype="float64"),
                       index=households.index).fillna(0).astype("int64")
    due = visit_due(households, last_visit, policy=policy, check_date=check_date, household_keys=keys)
    due.insert(2, "visits_this_quarter", counts)
    due.insert(3, "visited_this_quarter", counts > 0)
    return due


def visit_due(households: pd.DataFrame, last_visit: pd.Series, *, policy: Policy,
              check_date: dt.date, household_keys: pd.Series | None = None) -> pd.DataFrame:
    """From each household's last visit (NaT = never): ``last_visit``, ``next_visit_due``,
    ``monitored`` and ``overdue`` (see the module docstring), indexed like ``households``."""
    check = pd.Timestamp(check_date).normalize()
    keys = _keys(households) if household_keys is None else household_keys
    last_visit = pd.Series(pd.to_datetime(last_visit).to_numpy(dtype="datetime64[ns]"),
                           index=households.index)
    offset = pd.DateOffset(months=policy.visit_interval_months)
    next_due = _add_months(last_visit, offset)
    since = as_dates(households, "monitored_since")
    first_due = _add_months(since, offset)
    monitored = ~column_of(households, "risk_status").isin([ELIMINATED]).to_numpy()
    never = last_visit.isna().to_numpy()
    overdue = monitored & keys.notna().to_numpy(dtype=bool) & np.where(
        never, (first_due.isna() | (first_due < check)).to_numpy(), (next_due < check).to_numpy()
    )
    return pd.DataFrame(
        {"last_visit": last_visit, "next_visit_due": next_due, "monitored": monitored,
         "overdue": overdue.astype(bool)},
        index=households.index,
    )


def _keys(frame: pd.DataFrame) -> pd.Series:
    """Household numbers matched as the workbook formulas match them (case ignored)."""
    if "household_no" not in frame.columns:
        return pd.Series(pd.NA, index=frame.index, dtype="string")
    return match_keys(frame["household_no"])


def _add_months(values: pd.Series, offset: pd.DateOffset) -> pd.Series:
    """EDATE over a column (the day clipped to the month's end), NaT kept."""
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    filled = values.notna()
    if filled.any():
        out[filled] = values[filled] + offset
    return out


def overdue_findings(households: pd.DataFrame, visits: pd.DataFrame, *, policy: Policy,
                     check_date: dt.date, coverage: pd.DataFrame | None = None,
                     household_keys: pd.Series | None = None,
                     visit_keys: pd.Series | None = None) -> pd.DataFrame:
    """``visit_overdue`` warnings on the households' 户编号 cells.

    ``coverage`` may be ``visit_coverage`` or ``visit_due`` output already computed.
    """
    if coverage is None:
        coverage = visit_coverage(households, visits, policy=policy, check_date=check_date,
                                  household_keys=household_keys, visit_keys=visit_keys)
    # Texts only for the flagged households.
    flagged = coverage[coverage["overdue"].to_numpy(dtype=bool)]
    months = policy.visit_interval_months
    check_text = check_date.isoformat()
    since = as_dates(households.loc[flagged.index], "monitored_since")
    never = flagged["last_visit"].isna()
    visited_text = (
        "最近回访 " + day_text(flagged["last_visit"]) + "，下次回访应不晚于 "
        + day_text(flagged["next_visit_due"])
        + f"，核查基准日 {check_text} 已逾期：请安排帮扶人回访，并在“{VISITS.name}”表登记。"
    )
    since_text = pd.Series(
        np.where(since.notna(), f"{HOUSEHOLDS.column('monitored_since').header} " + day_text(since)
                 + " 以来", "纳入监测以来"),
        index=flagged.index,
    )
    never_text = (
        since_text + f"没有回访记录（每户每 {months} 个月至少回访一次）：请安排帮扶人回访，"
        f"并在“{VISITS.name}”表登记。"
    )
    messages = pd.Series(np.where(never, never_text, visited_text), index=flagged.index, dtype=object)
    return make_findings(coverage["overdue"], "visit_overdue", WARNING, "household_no",
                         messages.reindex(coverage.index))


def problem_findings(visits: pd.DataFrame) -> pd.DataFrame:
    """``visit_problem_open``: a 否 answer with neither a measure nor an escalation."""
    no = {key: column_of(visits, key).isin(_NO_VALUES).to_numpy() for key in GUARANTEES}
    has_problem = np.logical_or.reduce(list(no.values())) if len(visits) else np.zeros(0, bool)
    # Texts only for the visits that report a problem.
    rows = visits.index[has_problem]
    sub = visits.loc[rows]
    action = as_text(sub, "action")
    escalated = as_text(sub, "escalated_to")
    open_ = (action == "") & escalated.isin(_NO_ESCALATION)
    problems = pd.Series("", index=rows, dtype=object)
    for key in GUARANTEES:
        label = VISITS.column(key).header
        mark = pd.Series(no[key][has_problem], index=rows)
        problems = problems.where(~mark, problems + np.where(problems == "", "", "、") + label)
    messages = (
        "回访发现“两不愁三保障”问题（" + problems + "为“否”），但没有填写处理措施，也没有上报："
        "请填写处理措施；帮扶人解决不了的，上报村两委或乡镇并在“上报”列注明。"
    )
    mask = pd.Series(False, index=visits.index)
    mask[rows[open_.to_numpy(dtype=bool)]] = True
    return make_findings(mask, "visit_problem_open", WARNING, "action", messages.reindex(visits.index))
