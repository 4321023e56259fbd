"""Follow-up visits of the sample households, their monitoring state and other aid
(employment aid, 低保)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..workdays import add_months
from .arrays import (
    MISSING_DAY,
    BoolArray,
    FloatArray,
    IntArray,
    ObjectArray,
    TextArray,
    day_number,
    weighted_choice,
)
from .cases import Cases
from .households import Households, Members
from .spec import CountySpec
from .spending import Eligibility

#: The five guarantees a visit asks about, in the column order of ``Visits.answers``.
GUARANTEE_KEYS = ("food_clothing", "education_ok", "medical_ok", "housing_ok", "water_ok")
#: A visit's problem (one per guarantee): what was found, what was done, who took it up.
VISIT_PROBLEMS = (
    ("缺少过冬衣被", "发放救助物资", "村两委"),
    ("子女有辍学倾向", "联系学校劝返复学", "乡镇"),
    ("未缴纳城乡居民医保", "协助办理医保参保", "村两委"),
    ("房屋屋顶漏雨", "申请危房改造", "乡镇"),
    ("饮水水质不达标", "协调水利站检修管网", "乡镇"),
)

_AID_NOTES = {
    "转移就业": ("县内企业务工", "外出务工（北京）", "外出务工（天津）"),
    "扶贫微工厂": ("村扶贫微工厂（服装加工）", "村扶贫微工厂（手工编织）"),
    "公益岗位": ("村级保洁员", "护林员", "乡村公路养护员"),
}
_AID_PAY = {"转移就业": (2500, 4500), "扶贫微工厂": (1500, 2500), "公益岗位": (500, 800)}


# -- follow-up visits --------------------------------------------------------------

def _month_days(months: np.ndarray) -> np.ndarray:
    """Day numbers of the first day of months counted from January of the year 0."""
    return (np.asarray(months, dtype=np.int64) - 1970 * 12).astype("datetime64[M]").astype(
        "datetime64[D]").astype(np.int64)


@dataclass(frozen=True)
class Visits:
    """The visits of the year, one per calendar period, oldest first within each household."""

    household: IntArray
    day: IntArray
    #: Visits × the five guarantees (``GUARANTEE_KEYS``): True where it holds.
    answers: BoolArray
    problem: BoolArray
    #: Index into ``VISIT_PROBLEMS``; meaningful where ``problem``.
    problem_kind: IntArray
    #: Problems escalated and still awaiting an answer (no measure recorded).
    awaiting: BoolArray


@dataclass(frozen=True)
class Monitoring:
    """Per household: the monitoring state the 监测户 sheet records."""

    #: Day monitoring began: before the first visit and the first case.
    since: IntArray
    #: 风险状态: 已消除 or 未消除.
    risk: TextArray
    #: Index into ``schema.DIBAO_CHOICES``: none, the whole household, one member.
    dibao: IntArray


def make_visits(spec: CountySpec, rng: np.random.Generator, households: Households,
                income: FloatArray, eligibility: Eligibility,
                cases: Cases) -> tuple[Visits, Monitoring]:
    """One visit in each calendar period (of the policy's interval: the quarter) of the year
    up to the check date, the latest in the check date's own period; monitoring began
    before the first visit and the first case. A few visits find a problem: earlier ones
    record the measure taken (and the next visit finds the guarantee met), a problem on a
    household's latest visit is escalated and still awaits an answer."""
    count = households.count
    interval = spec.policy.visit_interval_months
    per = max(1, 12 // interval)
    span = spec.check_day - day_number(add_months(spec.check_date, -interval))
    latest_draw = rng.integers(3, max(span - 5, 4), count)
    gaps = rng.uniform(0.6, 0.9, (count, per - 1))
    # The periods of the year ending with the check date's, as day numbers of their bounds.
    check_month = spec.check_date.year * 12 + spec.check_date.month - 1
    current = check_month // interval
    periods = np.arange(current - per + 1, current + 1)
    starts = _month_days(periods * interval)
    ends = _month_days((periods + 1) * interval) - 1
    # Earlier periods: anywhere inside; the check date's period: up to 3 days before it.
    inside = np.floor((gaps - 0.6) / 0.3 * (ends[:-1] - starts[:-1] + 1)).astype(np.int64)
    earlier = starts[:-1] + np.minimum(inside, ends[:-1] - starts[:-1])
    room = max(spec.check_day - 3 - int(starts[-1]) + 1, 1)
    latest = spec.check_day - 3 - (latest_draw - 3) % room
    days = np.concatenate([earlier, latest[:, None]], axis=1).ravel()  # oldest first
    total = count * per
    hh = np.repeat(np.arange(count), per)
    is_latest = np.tile(np.arange(per) == per - 1, count)
    answers = np.ones((total, len(GUARANTEE_KEYS)), dtype=bool)
    problem = rng.random(total) < 0.03
    which = rng.integers(0, len(GUARANTEE_KEYS), total)
    answers[problem, which[problem]] = False
    visits = Visits(household=hh, day=days, answers=answers, problem=problem, problem_kind=which,
                    awaiting=problem & is_latest)

    first_visit = days.reshape(count, per)[:, 0]
    first_case = np.full(count, np.iinfo(np.int64).max)
    if cases.count:
        np.minimum.at(first_case, cases.household, cases.dates["found_date"])
    since = np.minimum(first_visit, first_case) - rng.integers(10, 700, count)
    # Income stably above the range and no spending problem: some risks are eliminated.
    eliminated = (
        (income > spec.income_line * 1.15) & ~households.income_waived
        & ~eligibility.eligible & (rng.random(count) < 0.5)
    )
    risk = np.where(eliminated, "已消除", "未消除")
    u = rng.random(count)
    dibao = np.select([u < 0.12, u < 0.18], [1, 2], 0)
    return visits, Monitoring(since=since, risk=risk, dibao=dibao)


# -- other help: employment aid and the social-security floor ----------------------

@dataclass(frozen=True)
class Aid:
    """Aid records, sorted by household and start day."""

    household: IntArray
    #: Index into ``Members``; -1 for aid to the whole household.
    member: IntArray
    kind: ObjectArray
    start: IntArray
    #: ``MISSING_DAY`` while the aid goes on.
    end: IntArray
    amount: FloatArray
    note: ObjectArray


def make_aid(spec: CountySpec, rng: np.random.Generator, households: Households,
             members: Members, monitoring: Monitoring) -> Aid:
    count, total = households.count, members.count
    check = spec.check_day
    # Employment aid: one working-age member with labour capacity in a quarter of households.
    able = (members.age >= 16) & (members.age < 60) & (members.labour <= 1)
    able_pos = np.where(able, np.arange(total), total)
    first_able = (np.minimum.reduceat(able_pos, members.household_first) if total
                  else np.zeros(0, np.int64))
    emp = (first_able < total) & (rng.random(count) < 0.25)
    emp_hh = np.nonzero(emp)[0]
    n_emp = len(emp_hh)
    emp_type = np.array(("转移就业", "扶贫微工厂", "公益岗位"), dtype=object)[
        weighted_choice(rng, n_emp, (0.5, 0.25, 0.25))]
    emp_start = check - rng.integers(30, 730, n_emp)
    ended = rng.random(n_emp) < 0.2
    emp_end = np.minimum(emp_start + rng.integers(90, 300, n_emp), check - 1)
    lo = np.array([_AID_PAY[t][0] for t in emp_type], dtype=float)
    hi = np.array([_AID_PAY[t][1] for t in emp_type], dtype=float)
    emp_amount = np.round(lo + (hi - lo) * rng.random(n_emp), -1)
    emp_note = np.array([_AID_NOTES[t][i % len(_AID_NOTES[t])]
                         for i, t in zip(rng.integers(0, 6, n_emp), emp_type, strict=True)],
                        dtype=object)
    # 低保: the whole household, or one member counted alone (the oldest, or one seriously ill).
    whole = np.nonzero(monitoring.dibao == 1)[0]
    single = np.nonzero(monitoring.dibao == 2)[0]
    weight = members.age + np.where(members.health >= 2, 200, 0)
    chosen = np.zeros(count, dtype=np.int64)
    if total:
        chosen[:] = pd.Series(weight).groupby(members.household).idxmax().to_numpy()
    n_w, n_s = len(whole), len(single)
    hh = np.concatenate([emp_hh, whole, single])
    member = np.concatenate([first_able[emp_hh], np.full(n_w, -1), chosen[single]])
    kind = np.concatenate([emp_type, np.full(n_w, "整户低保", object),
                           np.full(n_s, "单人保", object)])
    start = np.concatenate([emp_start, check - rng.integers(60, 1500, n_w + n_s)])
    end = np.concatenate([np.where(ended, emp_end, MISSING_DAY), np.full(n_w + n_s, MISSING_DAY)])
    amount = np.concatenate([
        emp_amount,
        np.round(households.size[whole] * rng.uniform(280, 420, n_w), -1),
        np.round(rng.uniform(350, 520, n_s), -1),
    ])
    note = np.concatenate([emp_note, np.full(n_w, "整户纳入农村低保", object),
                           np.full(n_s, "重病重残单人保", object)])
    order = np.lexsort((start, hh))
    return Aid(household=hh[order], member=member[order], kind=kind[order], start=start[order],
               end=end[order], amount=amount[order], note=note[order])
