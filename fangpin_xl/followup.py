"""Follow-up visits (帮扶回访): the calendar-period rule, coverage, overdue households, open problems.

Pure and vectorised. Findings have the shape of ``findings.make_findings``
(code, severity, column, message; indexed like the input frame).

Choices made here, and why:

* **The calendar rule** (DOMAIN.md): each calendar period of
  ``policy.visit_interval_months`` months (3: the calendar quarter, 1: the
  month, 6: the half-year; a divisor of 12, so periods never straddle a year)
  needs a visit. A visit covers its own period, so the next one is due by the
  last day of the *following* period: a visit on 01-05 covers Q1 and the next
  is due by 06-30, not on 04-05. The township template computes the same date
  with ``EOMONTH`` (``formulas.py``), and a LibreOffice test compares them.
* **Overdue**: a household is overdue when that date is *before* the check
  date (due on the check date itself is still in time). A monitored household
  with no visit at all owes its first visit by the end of the period after
  the one its 纳入监测日期 falls in (as if monitoring began with a visit), or
  at once when that date is empty (nothing shows the visits started).
  Households whose 风险状态 is 已消除 have left monitoring and are skipped.
* The ``visit_overdue`` warning is put on the household's **户编号** cell on
  监测户: it is always present (the computed 最近回访日期 / 下次回访到期
  columns may be missing from a county's own sheet), and it is the key the
  helper looks the household up by.
* **Open problem**: a visit with any 两不愁三保障 (or safe-water) answer 否
  stays open until a recorded measure resolves it — a 处理措施 on that visit,
  or a later visit that answers the same question 否 with a 处理措施 — or a
  later visit answers the same question 是. The ``visit_problem_open`` warning
  is for an open problem with neither a measure nor an escalation (上报 empty
  or 无): a helper who solved it writes the measure, one who could not reports
  it to the 村两委 or the township. It is put on the visit's 处理措施 cell,
  where the missing entry goes. ``open_problems`` (the follow-up register)
  lists every open problem once, at the visit that first reported it.
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
YES = "是"
ELIMINATED = "已消除"
ESCALATED = ("村两委", "乡镇")
_NO_VALUES = (NO, "False", "false", "0")
_YES_VALUES = (YES, "True", "true", "1")
_NO_ESCALATION = ("", "无")
#: Months since the year 0 of 1970-01 (numpy months count from 1970-01).
_EPOCH_MONTHS = 1970 * 12
#: "每户{…}至少回访一次" for each allowed period length.
PERIOD_WORDS = {1: "每月", 2: "每两个月", 3: "每个季度", 4: "每四个月", 6: "每半年", 12: "每年"}


def quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


# -- the calendar-period rule ----------------------------------------------------------

def period_numbers(dates: pd.Series, months: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Each date's calendar period of ``months`` months, counted from January of the year 0
    (int64; for a divisor of 12 the periods start in January), and the mask of missing dates."""
    stamps = pd.Series(dates).to_numpy(dtype="datetime64[ns]").astype("datetime64[M]")
    missing = np.isnat(stamps)
    since_zero = np.where(missing, 0, stamps.astype(np.int64)) + _EPOCH_MONTHS
    return since_zero // int(months), missing


def period_starts(periods: np.ndarray, months: int = 3) -> np.ndarray:
    """The first day of each period number (datetime64[ns])."""
    first_month = np.asarray(periods, dtype=np.int64) * int(months) - _EPOCH_MONTHS
    return first_month.astype("datetime64[M]").astype("datetime64[ns]")


def period_day(dates: pd.Series, months: int, periods_ahead: int) -> pd.Series:
    """The last day of the period ``periods_ahead`` after each date's period (0: its own
    period's last day); datetime64, NaT kept, index kept."""
    dates = pd.Series(dates)
    periods, missing = period_numbers(dates, months)
    days = period_starts(periods + periods_ahead + 1, months) - np.timedelta64(1, "D")
    days[missing] = np.datetime64("NaT")
    return pd.Series(days, index=dates.index, dtype="datetime64[ns]")


def next_visit_due(last_visits: pd.Series, months: int = 3) -> pd.Series:
    """The day the next visit is due: the last day of the period after the last visit's
    (months=3: 2020-01-05 → 2020-06-30, 2020-04-05 → 2020-09-30, 2020-12-15 → 2021-03-31)."""
    return period_day(last_visits, months, 1)


def quarter_ends(dates: pd.Series) -> pd.Series:
    """The last day of each date's calendar quarter (datetime64, NaT kept)."""
    return period_day(dates, 3, 0)


def next_quarter_visit_due(last_visits: pd.Series) -> pd.Series:
    """``next_visit_due`` for calendar quarters (what ``FP_VISIT_DUE`` returns)."""
    return next_visit_due(last_visits, 3)


def period_rule_text(months: int) -> str:
    """"每个季度" and the like: how often a household must be visited."""
    return PERIOD_WORDS.get(int(months), f"每 {int(months)} 个月")


def period_label(periods: np.ndarray | pd.Series, months: int = 3) -> pd.Series:
    """Chinese names of period numbers: 2020年第1季度, 2020年5月, 2020年上半年, 2020年 …"""
    periods = np.asarray(periods, dtype=np.int64)
    first = periods * int(months)
    years, start = first // 12, first % 12 + 1
    year_text = pd.Series(years).astype(str) + "年"
    if months == 3:
        return year_text + "第" + pd.Series(start // 3 + 1).astype(str) + "季度"
    if months == 12:
        return year_text
    if months == 6:
        return year_text + np.where(start == 1, "上半年", "下半年")
    if months == 1:
        return year_text + pd.Series(start).astype(str) + "月"
    return year_text + pd.Series(start).astype(str) + "–" + pd.Series(start + months - 1).astype(str) + "月"


def visited_in_quarter(visit_dates: pd.Series, days: pd.Series) -> pd.Series:
    """For each of ``days``: whether any of ``visit_dates`` (one household's visits) falls
    in that day's calendar quarter. Missing visit dates are ignored; a missing day gives
    NA (``boolean`` dtype, index of ``days``)."""
    days = pd.Series(days)
    visited, no_visit = period_numbers(visit_dates, 3)
    wanted, missing = period_numbers(days, 3)
    found = np.isin(wanted, visited[~no_visit])
    return pd.Series(pd.arrays.BooleanArray(found, missing), index=days.index)


def first_visit_due(since: pd.Series, months: int = 3) -> pd.Series:
    """When a household never visited owes its first visit: the end of the period after the
    one monitoring began in (NaT without a 纳入监测日期)."""
    return next_visit_due(since, months)


def visit_due_dates(last_visit: pd.Series, since: pd.Series, months: int = 3) -> pd.Series:
    """下次回访到期: after the last visit, else after the 纳入监测日期, else NaT (the
    template's formula shows the same)."""
    last_visit = pd.Series(last_visit)
    due = next_visit_due(last_visit, months)
    first = first_visit_due(pd.Series(pd.Series(since).to_numpy(), index=last_visit.index), months)
    return due.where(last_visit.notna(), first)


def visit_coverage(households: pd.DataFrame, visits: pd.DataFrame, *, policy: Policy,
                   check_date: dt.date, household_keys: pd.Series | None = None,
                   visit_keys: pd.Series | None = None) -> pd.DataFrame:
    """One row per household row (same index) with its visit record.

    Columns: ``last_visit`` (datetime64, NaT when never visited),
    ``next_visit_due``, ``visits_this_quarter`` (visits from the first day of
    the check date's calendar period — the quarter — up to the check date),
    ``visited_this_quarter``, ``monitored`` (not 已消除) and ``overdue``.
    ``household_keys`` / ``visit_keys`` are ``keys.match_keys`` of the two
    户编号 columns when the caller has them already.
    """
    check = pd.Timestamp(check_date).normalize()
    months = policy.visit_interval_months
    keys = _keys(households) if household_keys is None else household_keys
    visit_keys = _keys(visits) if visit_keys is None else visit_keys
    visit_dates = as_dates(visits, "visit_date")
    known = (visit_keys.notna() & visit_dates.notna()).to_numpy(dtype=bool)
    by_key = pd.DataFrame({"key": visit_keys.to_numpy(dtype=object)[known],
                           "date": visit_dates.to_numpy(dtype="datetime64[ns]")[known]})
    last = by_key.groupby("key")["date"].max()
    period, _ = period_numbers(pd.Series([check]), months)
    start = pd.Timestamp(period_starts(period, months)[0])
    in_period = (by_key["date"] >= start) & (by_key["date"] <= check)
    period_counts = by_key[in_period].groupby("key").size().astype("float64")

    # reindex, not map: Series.map with an empty datetime Series fails in pandas 2.
    household_keys = keys.to_numpy(dtype=object)
    last_visit = pd.Series(last.reindex(household_keys).to_numpy(dtype="datetime64[ns]"),
                           index=households.index)
    counts = pd.Series(period_counts.reindex(household_keys).to_numpy(dtype="float64"),
                       index=households.index).fillna(0).astype("int64")
    due = visit_due(households, last_visit, policy=policy, check_date=check_date, household_keys=keys)
    due.insert(2, "visits_this_quarter", counts)
    due.insert(3, "visited_this_quarter", counts > 0)
    return due


def visit_due(households: pd.DataFrame, last_visit: pd.Series, *, policy: Policy,
              check_date: dt.date, household_keys: pd.Series | None = None) -> pd.DataFrame:
    """From each household's last visit (NaT = never): ``last_visit``, ``next_visit_due``
    (``visit_due_dates``), ``monitored`` and ``overdue`` (see the module docstring),
    indexed like ``households``."""
    check = pd.Timestamp(check_date).normalize()
    keys = _keys(households) if household_keys is None else household_keys
    last_visit = pd.Series(pd.to_datetime(last_visit).to_numpy(dtype="datetime64[ns]"),
                           index=households.index).dt.normalize()
    due = visit_due_dates(last_visit, as_dates(households, "monitored_since"),
                          policy.visit_interval_months)
    monitored = ~column_of(households, "risk_status").isin([ELIMINATED]).to_numpy()
    overdue = monitored & keys.notna().to_numpy(dtype=bool) & (due.isna() | (due < check)).to_numpy()
    return pd.DataFrame(
        {"last_visit": last_visit, "next_visit_due": due, "monitored": monitored,
         "overdue": overdue.astype(bool)},
        index=households.index,
    )


def _keys(frame: pd.DataFrame) -> pd.Series:
    """Household numbers matched as the workbook formulas match them (case ignored)."""
    if "household_no" not in frame.columns:
        return pd.Series(pd.NA, index=frame.index, dtype="string")
    return match_keys(frame["household_no"])


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
    rule = f"每户{period_rule_text(policy.visit_interval_months)}至少回访一次"
    check_text = check_date.isoformat()
    since = as_dates(households.loc[flagged.index], "monitored_since")
    never = flagged["last_visit"].isna()
    due = day_text(flagged["next_visit_due"])
    visited_text = (
        "最近回访 " + day_text(flagged["last_visit"]) + "，下次回访应不晚于 " + due
        + f"（{rule}），核查基准日 {check_text} 已逾期：请安排帮扶人回访，并在“{VISITS.name}”表登记。"
    )
    since_text = pd.Series(
        np.where(since.notna(), f"{HOUSEHOLDS.column('monitored_since').header} " + day_text(since)
                 + f" 以来没有回访记录（{rule}，首次回访应不晚于 " + due + "）",
                 f"纳入监测以来没有回访记录（{rule}）"),
        index=flagged.index,
    )
    never_text = since_text + f"：请安排帮扶人回访，并在“{VISITS.name}”表登记。"
    messages = pd.Series(np.where(never, never_text, visited_text), index=flagged.index, dtype=object)
    return make_findings(coverage["overdue"], "visit_overdue", WARNING, "household_no",
                         messages.reindex(coverage.index))


# -- problems found on visits ---------------------------------------------------------------

def answers(visits: pd.DataFrame, keys: pd.Series | None = None) -> pd.DataFrame:
    """The 两不愁三保障 answers of the households with at least one 否 (the only ones a
    problem can be open for), one row per (visit, question answered 是 or 否): ``row`` (the
    visit's index), ``key``, ``date``, ``question`` (a ``GUARANTEES`` key), ``no``,
    ``measure`` (the visit has a 处理措施) and ``resolved`` (a 否 resolved by its own
    measure, or by a later visit of the household answering it 是, or 否 with a measure)."""
    keys = _keys(visits) if keys is None else keys
    # A visit without a household number can only be resolved by its own measure.
    own = pd.Series(visits.index.astype(str), index=visits.index).radd("\0")
    key = keys.astype(object).where(keys.notna(), own).to_numpy(dtype=object)
    date = as_dates(visits, "visit_date").to_numpy(dtype="datetime64[ns]")
    measure = (as_text(visits, "action") != "").to_numpy(dtype=bool)
    given = [(column_of(visits, q).isin(_NO_VALUES).to_numpy(dtype=bool),
              column_of(visits, q).isin(_YES_VALUES).to_numpy(dtype=bool)) for q in GUARANTEES]
    # (household, question) as one integer: grouping by text keys is slow.
    codes = pd.factorize(key)[0].astype(np.int64)
    said_no = np.zeros(len(codes), dtype=bool)
    for no, _yes in given:
        said_no |= no
    relevant = np.isin(codes, codes[said_no])
    parts = []
    for number, (question, (no, yes)) in enumerate(zip(GUARANTEES, given, strict=True)):
        answered = (no | yes) & relevant
        parts.append(pd.DataFrame({
            "row": visits.index.to_numpy()[answered], "key": key[answered], "date": date[answered],
            "question": question, "no": no[answered], "measure": measure[answered],
            "pair": codes[answered] * len(GUARANTEES) + number,
        }))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["row", "key", "date", "question", "no", "measure", "pair"])
    resolving = out[(~out["no"] | out["measure"]).to_numpy(dtype=bool)]
    latest = resolving.groupby("pair")["date"].max()
    resolved_by = latest.reindex(out["pair"].to_numpy()).to_numpy(dtype="datetime64[ns]")
    later = resolved_by > out["date"].to_numpy(dtype="datetime64[ns]")
    out["resolved"] = out["no"].to_numpy(dtype=bool) & (out["measure"].to_numpy(dtype=bool) | later)
    return out.drop(columns="pair")


def _labels(pairs: pd.DataFrame, index: pd.Index) -> pd.Series:
    """Per visit row: the headers of its questions in ``pairs``, joined with 、 (sheet order)."""
    out = pd.Series("", index=index, dtype=object)
    for question in GUARANTEES:
        rows = pairs.loc[pairs["question"] == question, "row"].to_numpy()
        mark = out.index.isin(rows)
        label = VISITS.column(question).header
        out[mark] = out[mark] + np.where(out[mark] == "", "", "、") + label
    return out


def problem_findings(visits: pd.DataFrame, keys: pd.Series | None = None) -> pd.DataFrame:
    """``visit_problem_open``: an open problem (a 否 no measure or later visit resolved)
    with neither a measure nor an escalation."""
    if not len(visits):
        return make_findings(pd.Series(False, index=visits.index), "visit_problem_open", WARNING,
                             "action", "")
    pairs = answers(visits, keys)
    open_pairs = pairs[(pairs["no"] & ~pairs["resolved"]).to_numpy(dtype=bool)]
    escalated = ~as_text(visits, "escalated_to").isin(_NO_ESCALATION)
    mask = pd.Series(visits.index.isin(open_pairs["row"].to_numpy()), index=visits.index) & ~escalated
    problems = _labels(open_pairs[open_pairs["row"].isin(visits.index[mask.to_numpy()])],
                       visits.index[mask.to_numpy()])
    messages = (
        "回访发现“两不愁三保障”问题（" + problems + "为“否”），但没有填写处理措施，也没有上报，"
        "之后的回访也没有显示已解决：请填写处理措施；帮扶人解决不了的，上报村两委或乡镇并在“上报”列注明。"
    )
    return make_findings(mask, "visit_problem_open", WARNING, "action", messages.reindex(visits.index))


def open_problems(visits: pd.DataFrame, *, as_of: dt.date, open_days: int,
                  keys: pd.Series | None = None) -> pd.DataFrame:
    """Every open problem once, at the visit that first reported it (indexed by that visit's
    row): ``questions`` (the headers answered 否, joined with 、), ``escalated_to``,
    ``days_open`` (from the visit to ``as_of``), ``escalated`` (to the 村两委 or the township,
    with no answer recorded since) and ``long_open`` (open more than ``open_days`` days)."""
    columns = ["questions", "escalated_to", "days_open", "escalated", "long_open"]
    if not len(visits):
        return pd.DataFrame(columns=columns)
    pairs = answers(visits, keys)
    open_pairs = pairs[(pairs["no"] & ~pairs["resolved"]).to_numpy(dtype=bool)]
    # The same question still open on several visits of a household is one problem.
    first = open_pairs.sort_values(["date", "row"], kind="stable").drop_duplicates(["key", "question"])
    rows = pd.Index(pd.unique(first["row"].to_numpy())).sort_values()
    sub = visits.loc[rows]
    escalated_to = as_text(sub, "escalated_to")
    dates = as_dates(sub, "visit_date")
    days = ((pd.Timestamp(as_of) - dates).dt.days).astype("Int64")
    return pd.DataFrame({
        "questions": _labels(first, rows),
        "escalated_to": escalated_to,
        "days_open": days,
        "escalated": escalated_to.isin(ESCALATED),
        "long_open": (days > int(open_days)).fillna(False).astype(bool),
    }, index=rows)[columns]
