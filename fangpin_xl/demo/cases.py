"""Relief cases of the sample county and their procedure dates.

Every case keeps to the procedure and its deadline in working days (``fangpin_xl.workdays``),
and a paid case gets the payout table's amount (``relief.payout_series``), so that the
checks find nothing in the cases but the planted mistakes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..derive import add_months_series, window_sums
from ..policy import GROUPS, SPENDING_KINDS, Policy
from ..relief import payout_series
from ..workdays import add_workdays_series, workday_table
from .arrays import (
    MISSING_DAY,
    FloatArray,
    IntArray,
    ObjectArray,
    TextArray,
    as_datetimes,
    day_number,
)
from .households import Households
from .spec import CountySpec
from .spending import Eligibility, Spending, inside_window

_DEPARTMENT_SOURCES = ("医保", "教育", "交警", "消防", "民政")
#: The stages of a case still open on the check date, in procedure order.
OPEN_STAGES = ("已发现", "已查勘", "公示中", "已比对", "已备案")
#: The date columns of a case, in procedure order.
STAGE_DATES = ("found_date", "survey_date", "notice_start", "notice_end", "dept_check_date",
               "filing_date", "payment_date")


class WorkdayCalendar:
    """Working days of the policy's calendar, for walking the procedure backwards."""

    def __init__(self, policy: Policy, year: int):
        table = workday_table(dt.date(year - 4, 1, 1), dt.date(year + 1, 12, 31), policy=policy)
        self.first = day_number(dt.date(year - 4, 1, 1))
        self.index = table["index"].to_numpy(dtype=np.int64)
        self.flags = table["workday"].to_numpy(dtype=bool)
        self.policy = policy

    def forward(self, days: IntArray, n) -> IntArray:
        """``workdays.add_workdays`` over day numbers (the start day is not counted)."""
        starts = pd.Series(as_datetimes(days))
        counts = pd.Series(np.broadcast_to(np.asarray(n, dtype=np.int64), len(days)).copy())
        out = add_workdays_series(starts, counts, policy=self.policy)
        return out.to_numpy(dtype="datetime64[D]").astype(np.int64)

    def on_or_after(self, days: IntArray) -> IntArray:
        """The first working day on or after each day."""
        return self.forward(np.asarray(days, dtype=np.int64) - 1, 1)

    def step(self, days: IntArray, n: IntArray) -> IntArray:
        """``n`` working days later; ``n = 0``: the same day, or the next working day."""
        n = np.asarray(n, dtype=np.int64)
        return np.where(n > 0, self.forward(days, np.maximum(n, 1)), self.on_or_after(days))

    def back(self, days: IntArray, n) -> IntArray:
        """The working day ``n`` working days before ``days`` (n = 0: the working day on or
        before)."""
        pos = np.asarray(days, dtype=np.int64) - self.first
        target = (self.index[pos] - np.asarray(n, dtype=np.int64)
                  + (~self.flags[pos] & (np.asarray(n) > 0)))
        return self.first + np.searchsorted(self.index, np.maximum(target, 1), side="left")


@dataclass(frozen=True)
class Cases:
    """One relief case per household and spending kind that had one."""

    household: IntArray
    #: Index into ``policy.SPENDING_KINDS``.
    kind: IntArray
    #: 已支付, 已终止 or one of ``OPEN_STAGES``.
    stage: ObjectArray
    #: ``STAGE_DATES`` → day numbers, ``MISSING_DAY`` where the case has not got that far.
    dates: Mapping[str, IntArray]
    #: 自上而下筛查 (a department's data showed it) or 自下而上申请.
    found_way: TextArray
    #: What the payout table gives for the household's spending of that kind.
    allowed: FloatArray
    #: The amount paid: ``allowed`` for a paid case, NaN for the others.
    relief: FloatArray

    @property
    def count(self) -> int:
        return len(self.household)


def make_cases(spec: CountySpec, rng: np.random.Generator, calendar: WorkdayCalendar,
               households: Households, spending: Spending, eligibility: Eligibility) -> Cases:
    check = spec.check_day
    hh_e, kind_e = np.nonzero(eligibility.met)
    take = rng.random(len(hh_e)) < 0.8
    hh_e, kind_e = hh_e[take], kind_e[take]
    # Spending exactly at the threshold gives no relief by the table: no case to open.
    keep = ~(_payouts(spec, households, eligibility, hh_e, kind_e) < 1)
    hh_e, kind_e = hh_e[keep], kind_e[keep]
    last_e = eligibility.last_day[hh_e, kind_e]
    open_ = (last_e > check - 60) | (rng.random(len(hh_e)) < 0.2)
    # Applications that failed the rules and were terminated after the survey.
    last_day = eligibility.last_day
    spent = (eligibility.sums > 0) & ~eligibility.met & (last_day <= check - 45) & (last_day >= 0)
    hh_t, kind_t = np.nonzero(spent)
    take = rng.random(len(hh_t)) < 0.12
    hh_t, kind_t = hh_t[take], kind_t[take]

    hh = np.concatenate([hh_e, hh_t])
    kind = np.concatenate([kind_e, kind_t])
    last = last_day[hh, kind]
    count = len(hh)
    n_open = int(open_.sum())
    stage = np.empty(count, dtype=object)
    stage[: len(hh_e)] = "已支付"
    stage[np.nonzero(open_)[0]] = np.array(OPEN_STAGES, dtype=object)[
        np.arange(n_open) % len(OPEN_STAGES)]
    stage[len(hh_e):] = "已终止"
    # Gaps between the steps in working days (notice: extra calendar days). Rows that
    # would miss the deadline are scheduled again with every step on the earliest day.
    gaps = {
        "survey": rng.integers(1, 3, count), "notice": np.ones(count, np.int64),
        "extra": rng.integers(1, 3, count), "dept": np.ones(count, np.int64),
        "filing": rng.integers(1, 3, count), "payment": rng.integers(1, 3, count),
    }
    found = calendar.on_or_after(np.minimum(last + rng.integers(3, 31, count), check - 40))
    latest = calendar.back(check - rng.integers(0, 3, count), 0)
    dates = _schedule(spec, calendar, stage, found, latest, gaps)
    late = _late(spec, calendar, stage, dates)
    if late.any():
        tight = {key: np.where(late, 0, values) for key, values in gaps.items()}
        dates = _schedule(spec, calendar, stage, found, latest, tight)
    # Found by screening when the department data had the latest event of that kind.
    kinds = len(SPENDING_KINDS)
    e_key = spending.household * kinds + spending.kind
    inside = inside_window(spec, spending)
    last_source = pd.Series(spending.source[inside], index=e_key[inside]).groupby(level=0).last()
    src = (pd.Series(hh * kinds + kind).map(last_source).fillna("自下而上申请")
           .to_numpy(dtype=object))
    # Relief by the table on the spending of the 12 months before each case's discovery,
    # as the procedure check judges it (``cases.judge_relief``).
    allowed = _payouts(spec, households, eligibility, hh, kind,
                       _case_sums(spec, spending, hh, kind, dates["found_date"]))
    return Cases(
        household=hh, kind=kind, stage=stage, dates=dates,
        found_way=np.where(np.isin(src, _DEPARTMENT_SOURCES), "自上而下筛查", "自下而上申请"),
        allowed=allowed, relief=np.where(stage == "已支付", allowed, np.nan),
    )


def _schedule(spec: CountySpec, calendar: WorkdayCalendar, stage: ObjectArray, found: IntArray,
              latest: IntArray, gaps: Mapping[str, IntArray]) -> dict[str, IntArray]:
    """Stage dates (day numbers; ``MISSING_DAY`` where not reached) of every case.

    Closed cases walk forwards from ``found``; open ones walk backwards from
    ``latest``, their last step a few days before the check date. A notice
    counts both ends: it lasts ``notice_days - 1 + extra`` days after its start.
    """
    cal, notice = calendar, spec.policy.notice_days
    dates = {key: np.full(len(stage), MISSING_DAY, dtype=np.int64) for key in STAGE_DATES}
    closed = np.nonzero(np.isin(stage, ("已支付", "已终止")))[0]
    if len(closed):
        dates["found_date"][closed] = found[closed]
        dates["survey_date"][closed] = cal.step(found[closed], gaps["survey"][closed])
    paid = np.nonzero(stage == "已支付")[0]
    if len(paid):
        g = {key: values[paid] for key, values in gaps.items()}
        n_start = cal.step(dates["survey_date"][paid], g["notice"])
        n_end = n_start + notice - 1 + g["extra"]
        dept = cal.step(n_end, g["dept"])
        filing = cal.step(dept, g["filing"])
        for key, values in (("notice_start", n_start), ("notice_end", n_end),
                            ("dept_check_date", dept), ("filing_date", filing),
                            ("payment_date", cal.step(filing, g["payment"]))):
            dates[key][paid] = values
    idx = np.nonzero(np.isin(stage, OPEN_STAGES))[0]
    if len(idx):
        rank = np.array([OPEN_STAGES.index(s) for s in stage[idx]], dtype=np.int64)
        g = {key: values[idx] for key, values in gaps.items()}
        top = latest[idx]
        local = {key: np.full(len(idx), MISSING_DAY, dtype=np.int64) for key in STAGE_DATES}

        def put(key: str, sel: np.ndarray, values: np.ndarray) -> None:
            local[key][sel] = values

        sel = rank == 4
        put("filing_date", sel, top[sel])
        put("dept_check_date", sel, cal.back(top[sel], g["filing"][sel]))
        sel = rank == 3
        put("dept_check_date", sel, top[sel])
        sel = rank >= 3
        put("notice_end", sel, cal.back(local["dept_check_date"][sel], g["dept"][sel]))
        put("notice_start", sel,
            cal.back(local["notice_end"][sel] - (notice - 1 + g["extra"][sel]), 0))
        sel = rank == 2
        put("notice_start", sel, top[sel])
        sel = rank >= 2
        put("survey_date", sel, cal.back(local["notice_start"][sel], g["notice"][sel]))
        sel = rank == 1
        put("survey_date", sel, top[sel])
        sel = rank >= 1
        put("found_date", sel, cal.back(local["survey_date"][sel], g["survey"][sel]))
        sel = rank == 0
        put("found_date", sel, top[sel])
        for key, values in local.items():
            dates[key][idx] = values
    return dates


def _late(spec: CountySpec, calendar: WorkdayCalendar, stage: ObjectArray,
          dates: Mapping[str, IntArray]) -> np.ndarray:
    """Cases paid after their deadline, or still open past it on the check date."""
    found = dates["found_date"]
    due = calendar.forward(found, spec.policy.deadline_days)
    payment = dates["payment_date"]
    paid_late = (payment != MISSING_DAY) & (payment > due)
    open_late = np.isin(stage, OPEN_STAGES) & (due < spec.check_day)
    return paid_late | open_late


def _case_sums(spec: CountySpec, spending: Spending, hh: IntArray, kind: IntArray,
               found: IntArray) -> FloatArray:
    """Each case's household spending of its kind in the window ending at its discovery."""
    kinds = np.array(SPENDING_KINDS, dtype=object)
    events = pd.DataFrame({"key": spending.household, "kind": kinds[spending.kind],
                           "date": as_datetimes(spending.day), "amount": spending.amount})
    ends = pd.Series(as_datetimes(found))
    starts = add_months_series(ends, -spec.policy.spending_window_months)
    return window_sums(events, pd.Series(hh), pd.Series(kinds[kind]), starts, ends).to_numpy()


def _payouts(spec: CountySpec, households: Households, eligibility: Eligibility,
             hh: IntArray, kind: IntArray, sums: FloatArray | None = None) -> FloatArray:
    """Relief by the payout table on the household's spending of that kind (default: in the window)."""
    result = payout_series(
        np.array(SPENDING_KINDS, dtype=object)[kind],
        pd.Series(eligibility.sums[hh, kind] if sums is None else sums),
        np.array(GROUPS, dtype=object)[households.group[hh]],
        policy=spec.policy,
    )
    return result.to_numpy(dtype=float)
