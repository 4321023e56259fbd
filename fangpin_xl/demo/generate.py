"""Generating the sample county in memory, vectorised over the whole county."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from .. import rules, schema
from ..errors import InputError
from ..policy import GROUPS, INCOME_WAIVED_GROUP, SPENDING_KINDS, Policy
from ..relief import payout_series
from ..workdays import add_months, add_workdays_series, workday_table
from .arrays import (
    MISSING_DAY,
    as_datetimes,
    as_objects,
    day_number,
    id_numbers,
    join_text,
    person_names,
    phone_numbers,
    round_money,
    run_starts,
    weighted_choice,
    yyyymmdd,
    zero_padded,
)
from .model import (
    COUNTY_AREA_CODES,
    DEFAULT_AREA,
    HISTORICAL_AREAS,
    HISTORICAL_UNTIL,
    MIN_HOUSEHOLDS,
    OTHER_HANDAN_AREAS,
    OTHER_HANDAN_WEIGHTS,
    OUTSIDE_AREAS,
    SURNAMES,
    VILLAGE_PREFIXES,
    VILLAGE_SUFFIXES,
    WEI_TOWNSHIPS,
    SampleCounty,
    SampleTownship,
)
from .plant import _Planter

# Members: relation codes used while generating.
_HEAD, _SPOUSE, _CHILD, _GRAND, _PARENT = range(5)
_RELATION_TEXT = np.array(["户主", "配偶", "子女", "孙子女", "父母"], dtype=object)

_HEALTH = np.array(schema.HEALTH, dtype=object)  # 健康, 长期慢性病, 大病, 残疾
_LABOUR = np.array(schema.LABOUR, dtype=object)
_KIND_WEIGHTS = (0.5, 0.2, 0.15, 0.15)
_KIND_SOURCES: tuple[tuple[tuple[str, ...], tuple[float, ...]], ...] = (
    (("医保", "自下而上申请"), (0.7, 0.3)),
    (("教育", "自下而上申请"), (0.6, 0.4)),
    (("交警", "消防", "民政", "自下而上申请"), (0.35, 0.2, 0.2, 0.25)),
    (("自下而上申请", "其他"), (0.7, 0.3)),
)
_KIND_EVIDENCE = ("住院结算单", "学校收费票据", "事故认定书及赔付凭证", "受灾核查表")
_DEPARTMENT_SOURCES = ("医保", "教育", "交警", "消防", "民政")
_OPEN_STAGES = ("已发现", "已查勘", "公示中", "已比对", "已备案")

_GUARANTEE_KEYS = ("food_clothing", "education_ok", "medical_ok", "housing_ok", "water_ok")
_PROBLEMS = (
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

_STAGE_DATES = ("found_date", "survey_date", "notice_start", "notice_end", "dept_check_date",
                "filing_date", "payment_date")


_CN_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1..999 in Chinese numerals (二, 十一, 二十, 一百零五)."""
    if not 0 < n < 1000:
        raise ValueError(n)
    hundreds, rest = divmod(n, 100)
    tens, ones = divmod(rest, 10)
    out = ""
    if hundreds:
        out += _CN_DIGITS[hundreds] + "百"
        if rest and tens == 0:
            out += "零"
    if tens:
        out += ("" if tens == 1 and not hundreds else _CN_DIGITS[tens]) + "十"
    if ones:
        out += _CN_DIGITS[ones]
    return out


def township_names(county: str, count: int) -> list[str]:
    """``count`` township names; past the real list, 魏城镇二区, 德政镇二区 …"""
    base = WEI_TOWNSHIPS if county == "魏县" else tuple(
        f"示例{chinese_number(i + 1)}{'镇' if i % 3 == 0 else '乡'}" for i in range(21)
    )
    return [
        base[i % len(base)] + ("" if i < len(base) else chinese_number(i // len(base) + 1) + "区")
        for i in range(count)
    ]


class _Calendar:
    """Working days of the policy's calendar, for walking the procedure backwards."""

    def __init__(self, policy: Policy, year: int):
        table = workday_table(dt.date(year - 4, 1, 1), dt.date(year + 1, 12, 31), policy=policy)
        self.first = day_number(dt.date(year - 4, 1, 1))
        self.index = table["index"].to_numpy(dtype=np.int64)
        self.flags = table["workday"].to_numpy(dtype=bool)
        self.policy = policy

    def forward(self, days: np.ndarray, n) -> np.ndarray:
        """``workdays.add_workdays`` over day numbers (the start day is not counted)."""
        starts = pd.Series(as_datetimes(days))
        counts = pd.Series(np.broadcast_to(np.asarray(n, dtype=np.int64), len(days)).copy())
        out = add_workdays_series(starts, counts, policy=self.policy)
        return out.to_numpy(dtype="datetime64[D]").astype(np.int64)

    def on_or_after(self, days: np.ndarray) -> np.ndarray:
        """The first working day on or after each day."""
        return self.forward(np.asarray(days, dtype=np.int64) - 1, 1)

    def step(self, days: np.ndarray, n: np.ndarray) -> np.ndarray:
        """``n`` working days later; ``n = 0``: the same day, or the next working day."""
        n = np.asarray(n, dtype=np.int64)
        return np.where(n > 0, self.forward(days, np.maximum(n, 1)), self.on_or_after(days))

    def back(self, days: np.ndarray, n) -> np.ndarray:
        """The working day ``n`` working days before ``days`` (n = 0: the working day on or before)."""
        pos = np.asarray(days, dtype=np.int64) - self.first
        target = self.index[pos] - np.asarray(n, dtype=np.int64) + (~self.flags[pos] & (np.asarray(n) > 0))
        return self.first + np.searchsorted(self.index, np.maximum(target, 1), side="left")


# -- generation -------------------------------------------------------------------------

def generate_county(*, townships: int = 4, households: int = 60, seed: int = 0,
                    policy: Policy) -> SampleCounty:
    """A sample county of ``townships`` × ``households`` households, deterministic for ``seed``."""
    if townships < 1:
        raise InputError(f"示例县至少要有 1 个乡镇，现为 {townships}。")
    if households < MIN_HOUSEHOLDS:
        raise InputError(f"示例县每个乡镇至少要有 {MIN_HOUSEHOLDS} 户，现为 {households}。")
    if townships > 899:
        raise InputError(f"示例县最多 899 个乡镇，现为 {townships}。")
    gen = _Generator(townships, households, seed, policy)
    return gen.run()


class _Generator:
    def __init__(self, townships: int, households: int, seed: int, policy: Policy):
        self.T = townships
        self.per_town = households
        self.seed = seed
        self.policy = policy
        self.rng = np.random.default_rng([seed, 20170501])
        self.county = policy.county
        self.area = int(COUNTY_AREA_CODES.get(self.county, DEFAULT_AREA))
        self.year = policy.year
        self.check = dt.date(policy.year, 12, 31)
        self.check_day = day_number(self.check)
        self.income_line = policy.income_threshold()
        self.window_start = day_number(add_months(self.check, -policy.spending_window_months))
        self.calendar = _Calendar(policy, policy.year)

    # The steps fill arrays on self; each reads only what earlier steps made.
    def run(self) -> SampleCounty:
        self._townships()
        self._households()
        self._members()
        self._spending()
        self._eligibility()
        self._cases()
        self._visits()
        self._aid()
        frames = self._county_frames()
        towns = self._split(frames)
        roster = frames["households"].drop(columns="_town").reset_index(drop=True)
        planter = _Planter(self, towns)
        manifest = planter.plant()
        per_town = np.bincount(self.hh_town[self.m_hh], weights=self.m_area // 100 != 1304,
                               minlength=self.T)
        outside = {name: int(n) for name, n in zip(self.town_names, per_town, strict=True)}
        return SampleCounty(
            county=self.county, area_code=f"{self.area}", year=self.year, check_date=self.check,
            seed=self.seed, townships=towns, roster=roster, manifest=manifest,
            outside_handan=outside,
        )

    # -- townships and villages
    def _townships(self):
        rng = self.rng
        self.town_names = township_names(self.county, self.T)
        self.town_codes = [f"{101 + i:03d}" for i in range(self.T)]  # 101 … 999
        self.n_villages = int(np.clip(round(np.sqrt(self.per_town) * 0.8), 3, 60))
        combos = len(VILLAGE_PREFIXES) * len(SURNAMES) * len(VILLAGE_SUFFIXES)
        names = []
        for _ in range(self.T):
            picks = rng.choice(combos, self.n_villages, replace=False)
            p, rest = np.divmod(picks, len(SURNAMES) * len(VILLAGE_SUFFIXES))
            s, x = np.divmod(rest, len(VILLAGE_SUFFIXES))
            names.append(join_text(np.array(VILLAGE_PREFIXES)[p], np.array(SURNAMES)[s],
                              np.array(VILLAGE_SUFFIXES)[x]))
        self.village_names = np.concatenate(names)  # index: town * n_villages + village
        helpers_per_village = 4
        n_help = self.T * self.n_villages * helpers_per_village
        self.helper_names = person_names(rng, rng.integers(0, len(SURNAMES), n_help), rng.random(n_help) < 0.6)
        self.helper_phones = phone_numbers(rng, n_help)
        self.helpers_per_village = helpers_per_village

    # -- households
    def _households(self):
        rng, T, per = self.rng, self.T, self.per_town
        H = T * per
        town = np.repeat(np.arange(T), per)
        village = np.sort(rng.integers(0, self.n_villages, (T, per)), axis=1).ravel()
        vkey = town * self.n_villages + village
        seq = np.arange(H) - run_starts(vkey) + 1
        codes = np.array(self.town_codes)[town]
        self.hh_no = join_text(codes, "-", zero_padded(village + 1, 2), "-", zero_padded(seq, 4))
        self.hh_town, self.hh_village = town, village
        self.H = H
        self.group = weighted_choice(rng, H, (0.5, 0.42, 0.08))
        size = 1 + weighted_choice(rng, H, (0.12, 0.22, 0.2, 0.22, 0.14, 0.10))
        self.size = size
        self.head_age = rng.integers(25, 86, H)
        self.head_male = rng.random(H) < np.where(size == 1, 0.6, 0.85)
        self.has_spouse = (size >= 2) & (rng.random(H) < 0.85)
        rest = size - 1 - self.has_spouse
        n_parents = np.where(self.head_age <= 60, np.minimum(rest, rng.integers(0, 3, H)), 0)
        rest = rest - n_parents
        self.n_grand = np.where(self.head_age >= 58, np.maximum(rest - 2, 0), 0)
        self.n_child = rest - self.n_grand
        self.n_parents = n_parents
        helper_slot = rng.integers(0, self.helpers_per_village, H)
        self.hh_helper = (vkey * self.helpers_per_village + helper_slot)

    # -- members and their ID numbers
    def _members(self):
        rng, H = self.rng, self.H
        size = self.size
        M = int(size.sum())
        hh = np.repeat(np.arange(H), size)
        first = np.cumsum(size) - size
        k = np.arange(M) - first[hh]
        spouse = self.has_spouse[hh]
        off = k - 1 - spouse
        n_child, n_grand = self.n_child[hh], self.n_grand[hh]
        rel = np.select(
            [k == 0, spouse & (k == 1), off < n_child, off < n_child + n_grand],
            [_HEAD, _SPOUSE, _CHILD, _GRAND], _PARENT,
        )
        parent_no = off - n_child - n_grand
        head_male = self.head_male[hh]
        head_age = self.head_age[hh]
        u = rng.random(M)
        male = np.select(
            [rel == _HEAD, rel == _SPOUSE, rel == _PARENT],
            [head_male, ~head_male,
             np.where(self.n_parents[hh] == 2, parent_no == 0, u < 0.5)],
            rng.random(M) < 0.52,
        )
        child_span = np.minimum(head_age - 20, 18)
        grand_span = np.minimum(head_age - 42, 20)
        age = np.select(
            [rel == _HEAD, rel == _SPOUSE, rel == _CHILD, rel == _GRAND],
            [head_age,
             np.clip(head_age + np.where(head_male, -1, 1) * rng.integers(-1, 6, M), 20, 95),
             head_age - 20 - np.floor(u * (child_span + 1)).astype(np.int64),
             head_age - 42 - np.floor(u * (np.maximum(grand_span, 0) + 1)).astype(np.int64)],
            np.minimum(head_age + 20 + rng.integers(0, 13, M), 99),
        )
        birth = self.check_day - np.floor(age * 365.25).astype(np.int64) - rng.integers(1, 364, M)
        self.m_hh, self.m_rel, self.m_male, self.m_age, self.m_birth = hh, rel, male, age, birth

        # Surnames: the household's for the head, the head's father and the children
        # of a male head (or of a head without spouse); the spouse's for a female head's children.
        hh_sur = rng.integers(0, len(SURNAMES), H)
        spouse_sur = rng.integers(0, len(SURNAMES), H)
        child_sur = np.where(self.head_male | ~self.has_spouse, hh_sur, spouse_sur)
        surname = np.select(
            [(rel == _HEAD) | ((rel == _PARENT) & male), rel == _SPOUSE,
             (rel == _CHILD) | (rel == _GRAND)],
            [hh_sur[hh], spouse_sur[hh], child_sur[hh]],
            rng.integers(0, len(SURNAMES), M),
        )
        self.m_name = person_names(rng, surname, male)

        # One spare person per township for the orphan row: numbers unique with everyone's.
        spare_birth = self.check_day - rng.integers(20 * 365, 60 * 365, self.T)
        spare_male = rng.random(self.T) < 0.5
        all_birth = np.concatenate([birth, spare_birth])
        all_male = np.concatenate([male, spare_male])
        n_all = len(all_birth)
        area_kind = weighted_choice(rng, n_all, (0.85, 0.12, 0.03))
        spouse_all = np.concatenate([rel == _SPOUSE, np.zeros(self.T, bool)])
        area_kind = np.where(spouse_all, weighted_choice(rng, n_all, (0.7, 0.2, 0.1)), area_kind)
        other = np.array(OTHER_HANDAN_AREAS)[weighted_choice(rng, n_all, OTHER_HANDAN_WEIGHTS)]
        outside = np.array(OUTSIDE_AREAS)[rng.integers(0, len(OUTSIDE_AREAS), n_all)]
        area = np.select([area_kind == 1, area_kind == 2], [other, outside], self.area)
        ymd = yyyymmdd(all_birth)
        # Historical codes were no longer given to children born after the merger.
        late = (ymd // 10000 >= HISTORICAL_UNTIL) & np.isin(area, HISTORICAL_AREAS)
        area = np.where(late, self.area, area)
        area[M:] = self.area
        # Sequence numbers: unique within (area, birth date, sex), parity = sex.
        order = np.lexsort((all_male, ymd, area))
        key = (area[order] * 10**8 + ymd[order]) * 2 + all_male[order]
        starts = run_starts(key)
        rank = np.arange(n_all) - starts
        if n_all and rank.max() >= 499:
            raise InputError("示例县人数过多：同一天出生的同性别人数超过身份证顺序码容量。")
        base = rng.integers(0, 499, n_all)[order][starts]
        k_seq = (base + rank) % 499
        seq_sorted = 2 * k_seq + np.where(all_male[order], 1, 2)
        seq = np.empty(n_all, dtype=np.int64)
        seq[order] = seq_sorted
        ids = id_numbers(area, ymd, seq)
        self.m_id = ids[:M]
        self.m_area = area[:M]
        self.spare_ids = ids[M:]
        self.spare_names = person_names(rng, rng.integers(0, len(SURNAMES), self.T), spare_male)
        self.spare_male = spare_male
        self.M = M
        self.hh_first_member = first

        # Health, labour, school, phones.
        old = age >= 60
        u = rng.random(M)
        health = np.where(
            old,
            np.select([u < 0.55, u < 0.85, u < 0.92], [0, 1, 2], 3),
            np.select([u < 0.85, u < 0.93, u < 0.96], [0, 1, 2], 3),
        )
        u = rng.random(M)
        labour = np.select(
            [age < 16, (health >= 2) | (age >= 75), age >= 60, u < 0.75, u < 0.95],
            [4, 3, 2, 0, 1], 2,
        )
        school = ((age >= 6) & (age <= 18) & (rng.random(M) < 0.95)) | (
            (age >= 19) & (age <= 22) & (rng.random(M) < 0.4))
        self.m_health, self.m_labour, self.m_school = health, labour, school
        phones = phone_numbers(rng, M)
        has_phone = (rel == _HEAD) | ((age >= 18) & (age <= 70) & (rng.random(M) < 0.6))
        self.m_phone = as_objects(phones, ~has_phone)
        self.hh_phone = phones[first]

        # Income per capita around the threshold of the policy year.
        rng_u = rng.random(H)
        line = self.income_line
        spread = np.select(
            [rng_u < 0.12, rng_u < 0.15, rng_u < 0.18, rng_u < 0.63, rng_u < 0.85],
            [np.full(H, line), np.full(H, line - 0.01), np.full(H, line + 0.01),
             line * rng.uniform(0.75, 1.0, H), line * rng.uniform(1.0, 1.25, H)],
            line * rng.uniform(0.5, 0.75, H),
        )
        boundary = rng_u < 0.18
        waived = self.group == GROUPS.index(INCOME_WAIVED_GROUP)
        spread = np.where(waived, line * rng.uniform(1.1, 3.0, H), spread)
        boundary &= ~waived
        integer = ~boundary & (rng.random(H) < 0.6)
        self.income = np.where(boundary, np.round(spread, 2), round_money(spread, integer))
        self.hh_has_student = np.bincount(hh, weights=school, minlength=H) > 0
        # The first student of each household (for education spending).
        student_pos = np.where(school, np.arange(M), M)
        self.hh_student = np.minimum.reduceat(student_pos, first) if M else np.zeros(0, np.int64)

    # -- spending events
    def _spending(self):
        rng, H = self.rng, self.H
        waived = self.group == GROUPS.index(INCOME_WAIVED_GROUP)
        n_ev = weighted_choice(rng, H, (0.3, 0.4, 0.2, 0.1))
        n_ev = np.where(waived, np.maximum(n_ev, 1), n_ev)
        E = int(n_ev.sum())
        hh = np.repeat(np.arange(H), n_ev)
        first_event = (np.arange(E) - (np.cumsum(n_ev) - n_ev)[hh]) == 0
        kind = weighted_choice(rng, E, _KIND_WEIGHTS)
        kind = np.where((kind == 1) & ~self.hh_has_student[hh], 0, kind)
        group = self.group[hh]
        thresholds = np.array(
            [[self.policy.spending_threshold(k, g) for g in GROUPS] for k in SPENDING_KINDS]
        )
        t = thresholds[kind, group]
        u = rng.random(E)
        amount = np.select(
            [u < 0.08, u < 0.12, u < 0.16, u < 0.51],
            [t, t - 0.01, t + 0.01, t * rng.uniform(0.2, 1.0, E)],
            t * rng.uniform(1.0, 6.0, E),
        )
        boundary = u < 0.16
        forced = waived[hh] & first_event
        amount = np.where(forced, t * rng.uniform(1.5, 6.0, E), amount)
        boundary &= ~forced
        integer = ~boundary & (rng.random(E) < 0.7)
        amount = np.where(boundary, np.round(amount, 2), round_money(amount, integer))

        ws, check = self.window_start, self.check_day
        u = rng.random(E)
        day = np.select(
            [u < 0.75, u < 0.775, u < 0.80],
            [rng.integers(ws + 1, check - 19, E), np.full(E, ws), np.full(E, ws + 1)],
            rng.integers(ws - 365, ws, E),
        )
        day = np.where(forced, rng.integers(ws + 1, check - 19, E), day)

        # Who: the student for education, anyone for illness or accidents, the head for industry.
        first = self.hh_first_member[hh]
        anyone = first + np.floor(rng.random(E) * self.size[hh]).astype(np.int64)
        member = np.select([kind == 1, kind == 3], [self.hh_student[hh], first], anyone)
        source = np.empty(E, dtype=object)
        for k, (choices, weights) in enumerate(_KIND_SOURCES):
            sel = kind == k
            source[sel] = np.array(choices, dtype=object)[weighted_choice(rng, int(sel.sum()), weights)]
        order = np.lexsort((day, hh))
        self.e_hh, self.e_kind, self.e_day = hh[order], kind[order], day[order]
        self.e_amount, self.e_member, self.e_source = amount[order], member[order], source[order]
        self.E = E

    # -- eligibility (the same rule as validate: rules.check_households)
    def _eligibility(self):
        H = self.H
        inside = (self.e_day > self.window_start) & (self.e_day <= self.check_day)
        flat = self.e_hh * 4 + self.e_kind
        sums = np.bincount(flat[inside], weights=self.e_amount[inside], minlength=H * 4).reshape(H, 4)
        last = np.full(H * 4, -1, dtype=np.int64)
        np.maximum.at(last, flat[inside], self.e_day[inside])
        self.last_event = last.reshape(H, 4)
        self.sums = sums
        frame = pd.DataFrame({
            "group": np.array(GROUPS, dtype=object)[self.group],
            "income_per_capita": self.income,
            "medical": sums[:, 0], "education": sums[:, 1],
            "accident": sums[:, 2], "industry": sums[:, 3],
        })
        checked = rules.check_households(frame, self.policy, reasons=False, conditions=True)
        self.status = checked["status"].to_numpy(dtype=object)
        income_ok = checked["income_met"].to_numpy(dtype=bool)
        met = checked[[f"{field}_met" for field in rules.SPENDING_FIELDS]].to_numpy(dtype=bool)
        self.met = met & income_ok[:, None]
        rng = self.rng
        recorded = np.where(rng.random(H) < 0.6, self.status, None)
        self.recorded = recorded
        self.eligible = self.status == rules.STATUS_ELIGIBLE

    # -- relief cases
    def _cases(self):
        rng, check = self.rng, self.check_day
        cal = self.calendar
        hh_e, kind_e = np.nonzero(self.met)
        take = rng.random(len(hh_e)) < 0.8
        hh_e, kind_e = hh_e[take], kind_e[take]
        # Spending exactly at the threshold gives no relief by the table: no case to open.
        keep = ~(self._payout(hh_e, kind_e) < 1)
        hh_e, kind_e = hh_e[keep], kind_e[keep]
        last_e = self.last_event[hh_e, kind_e]
        open_ = (last_e > check - 60) | (rng.random(len(hh_e)) < 0.2)
        # Applications that failed the rules and were terminated after the survey.
        spent = (self.sums > 0) & ~self.met & (self.last_event <= check - 45) & (self.last_event >= 0)
        hh_t, kind_t = np.nonzero(spent)
        take = rng.random(len(hh_t)) < 0.12
        hh_t, kind_t = hh_t[take], kind_t[take]

        hh = np.concatenate([hh_e, hh_t])
        kind = np.concatenate([kind_e, kind_t])
        last = self.last_event[hh, kind]
        C = len(hh)
        n_open = int(open_.sum())
        stage = np.empty(C, dtype=object)
        stage[: len(hh_e)] = "已支付"
        stage[np.nonzero(open_)[0]] = np.array(_OPEN_STAGES, dtype=object)[np.arange(n_open) % 5]
        stage[len(hh_e):] = "已终止"
        # Gaps between the steps in working days (notice: extra calendar days). Rows that
        # would miss the deadline are scheduled again with every step on the earliest day.
        gaps = {
            "survey": rng.integers(1, 3, C), "notice": np.ones(C, np.int64),
            "extra": rng.integers(1, 3, C), "dept": np.ones(C, np.int64),
            "filing": rng.integers(1, 3, C), "payment": rng.integers(1, 3, C),
        }
        found = cal.on_or_after(np.minimum(last + rng.integers(3, 31, C), check - 40))
        latest = cal.back(check - rng.integers(0, 3, C), 0)
        dates = self._schedule(stage, found, latest, gaps)
        late = self._late(stage, dates)
        if late.any():
            tight = {key: np.where(late, 0, values) for key, values in gaps.items()}
            dates = self._schedule(stage, found, latest, tight)
        self.c_hh, self.c_kind, self.c_stage, self.c_dates = hh, kind, stage, dates
        self.C = C
        # Found by screening when the department data had the latest event of that kind.
        e_key = self.e_hh * 4 + self.e_kind
        inside = (self.e_day > self.window_start) & (self.e_day <= check)
        last_source = pd.Series(self.e_source[inside], index=e_key[inside]).groupby(level=0).last()
        src = pd.Series(hh * 4 + kind).map(last_source).fillna("自下而上申请").to_numpy(dtype=object)
        self.c_way = np.where(np.isin(src, _DEPARTMENT_SOURCES), "自上而下筛查", "自下而上申请")
        self.c_allowed = self._payout(hh, kind)
        self.c_relief = np.where(stage == "已支付", self.c_allowed, np.nan)

    def _schedule(self, stage: np.ndarray, found: np.ndarray, latest: np.ndarray,
                  gaps: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Stage dates (day numbers; ``MISSING_DAY`` where not reached) of every case.

        Closed cases walk forwards from ``found``; open ones walk backwards from
        ``latest``, their last step a few days before the check date. A notice
        counts both ends: it lasts ``notice_days - 1 + extra`` days after its start.
        """
        cal, notice = self.calendar, self.policy.notice_days
        dates = {key: np.full(len(stage), MISSING_DAY, dtype=np.int64) for key in _STAGE_DATES}
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
        idx = np.nonzero(np.isin(stage, _OPEN_STAGES))[0]
        if len(idx):
            rank = np.array([_OPEN_STAGES.index(s) for s in stage[idx]], dtype=np.int64)
            g = {key: values[idx] for key, values in gaps.items()}
            top = latest[idx]
            local = {key: np.full(len(idx), MISSING_DAY, dtype=np.int64) for key in _STAGE_DATES}

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

    def _late(self, stage: np.ndarray, dates: dict[str, np.ndarray]) -> np.ndarray:
        """Cases paid after their deadline, or still open past it on the check date."""
        found = dates["found_date"]
        due = self.calendar.forward(found, self.policy.deadline_days)
        payment = dates["payment_date"]
        paid_late = (payment != MISSING_DAY) & (payment > due)
        open_late = np.isin(stage, _OPEN_STAGES) & (due < self.check_day)
        return paid_late | open_late

    def _payout(self, hh: np.ndarray, kind: np.ndarray) -> np.ndarray:
        """Relief by the payout table on the household's spending of that kind in the window."""
        result = payout_series(
            np.array(SPENDING_KINDS, dtype=object)[kind],
            pd.Series(self.sums[hh, kind]),
            np.array(GROUPS, dtype=object)[self.group[hh]],
            policy=self.policy,
        )
        return result.to_numpy(dtype=float)

    # -- follow-up visits
    def _visits(self):
        rng, H, policy = self.rng, self.H, self.policy
        interval = policy.visit_interval_months
        per = max(1, 12 // interval)
        span = self.check_day - day_number(add_months(self.check, -interval))
        latest = self.check_day - rng.integers(3, max(span - 5, 4), H)
        gaps = np.floor(rng.uniform(0.6, 0.9, (H, per - 1)) * span).astype(np.int64)
        back = np.concatenate([np.zeros((H, 1), np.int64), np.cumsum(gaps, axis=1)], axis=1)
        days = (latest[:, None] - back)[:, ::-1].ravel()  # oldest first
        V = H * per
        hh = np.repeat(np.arange(H), per)
        is_latest = np.tile(np.arange(per) == per - 1, H)
        answers = np.ones((V, 5), dtype=bool)
        problem = (rng.random(V) < 0.03) & ~is_latest
        which = rng.integers(0, 5, V)
        answers[problem, which[problem]] = False
        self.v_hh, self.v_day, self.v_answers = hh, days, answers
        self.v_problem, self.v_which = problem, which
        self.V = V
        first_visit = days.reshape(H, per)[:, 0]
        found = self.c_dates["found_date"]
        first_case = np.full(H, np.iinfo(np.int64).max)
        if self.C:
            np.minimum.at(first_case, self.c_hh, found)
        self.monitored_since = np.minimum(first_visit, first_case) - rng.integers(10, 700, H)
        # Income stably above the range and no spending problem: some risks are eliminated.
        eliminated = (
            (self.income > self.income_line * 1.15) & (self.group != GROUPS.index(INCOME_WAIVED_GROUP))
            & ~self.eligible & (rng.random(H) < 0.5)
        )
        self.risk = np.where(eliminated, "已消除", "未消除")
        u = rng.random(H)
        self.dibao = np.select([u < 0.12, u < 0.18], [1, 2], 0)

    # -- other help: employment aid and the social-security floor
    def _aid(self):
        rng, H, M = self.rng, self.H, self.M
        check = self.check_day
        # Employment aid: one working-age member with labour capacity in a quarter of households.
        able = (self.m_age >= 16) & (self.m_age < 60) & (self.m_labour <= 1)
        able_pos = np.where(able, np.arange(M), M)
        first_able = np.minimum.reduceat(able_pos, self.hh_first_member) if M else np.zeros(0, np.int64)
        emp = (first_able < M) & (rng.random(H) < 0.25)
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
        whole = np.nonzero(self.dibao == 1)[0]
        single = np.nonzero(self.dibao == 2)[0]
        weight = self.m_age + np.where(self.m_health >= 2, 200, 0)
        chosen = np.zeros(H, dtype=np.int64)
        if M:
            best = pd.Series(weight).groupby(self.m_hh).idxmax().to_numpy()
            chosen[:] = best
        n_w, n_s = len(whole), len(single)
        hh = np.concatenate([emp_hh, whole, single])
        member = np.concatenate([first_able[emp_hh], np.full(n_w, -1), chosen[single]])
        kind = np.concatenate([emp_type, np.full(n_w, "整户低保", object), np.full(n_s, "单人保", object)])
        start = np.concatenate([emp_start, check - rng.integers(60, 1500, n_w + n_s)])
        end = np.concatenate([np.where(ended, emp_end, MISSING_DAY),
                              np.full(n_w + n_s, MISSING_DAY)])
        amount = np.concatenate([
            emp_amount,
            np.round(self.size[whole] * rng.uniform(280, 420, n_w), -1),
            np.round(rng.uniform(350, 520, n_s), -1),
        ])
        note = np.concatenate([emp_note, np.full(n_w, "整户纳入农村低保", object),
                               np.full(n_s, "重病重残单人保", object)])
        order = np.lexsort((start, hh))
        self.a_hh, self.a_member, self.a_kind = hh[order], member[order], kind[order]
        self.a_start, self.a_end, self.a_amount, self.a_note = (
            start[order], end[order], amount[order], note[order])
        self.A = len(hh)

    # -- frames
    def _county_frames(self) -> dict[str, pd.DataFrame]:
        na = MISSING_DAY
        hh_no = self.hh_no
        town_names = np.array(self.town_names, dtype=object)
        head = self.hh_first_member
        helper_names = self.helper_names.astype(object)
        helper_phones = self.helper_phones.astype(object)
        frames = {}
        frames["households"] = pd.DataFrame({
            "_town": self.hh_town,
            "household_no": hh_no.astype(object),
            "township": town_names[self.hh_town],
            "village": self.village_names[self.hh_town * self.n_villages + self.hh_village].astype(object),
            "head_name": self.m_name[head].astype(object),
            "head_id": self.m_id[head].astype(object),
            "household_size": self.size.astype(np.int64),
            "group": np.array(GROUPS, dtype=object)[self.group],
            "income_per_capita": self.income.astype(float),
            "phone": self.hh_phone.astype(object),
            "dibao": np.array(schema.DIBAO_CHOICES, dtype=object)[self.dibao],
            "helper": helper_names[self.hh_helper],
            "helper_phone": helper_phones[self.hh_helper],
            "monitored_since": as_datetimes(self.monitored_since),
            "risk_status": self.risk.astype(object),
            "recorded_status": self.recorded,
        })
        mh = self.m_hh
        frames["members"] = pd.DataFrame({
            "_town": self.hh_town[mh],
            "household_no": hh_no[mh].astype(object),
            "name": self.m_name.astype(object),
            "id_number": self.m_id.astype(object),
            "relation": _RELATION_TEXT[self.m_rel],
            "health": _HEALTH[self.m_health],
            "labour": _LABOUR[self.m_labour],
            "in_school": np.where(self.m_school, "是", "否").astype(object),
            "phone": self.m_phone,
        })
        eh = self.e_hh
        frames["spending"] = pd.DataFrame({
            "_town": self.hh_town[eh],
            "household_no": hh_no[eh].astype(object),
            "member_name": self.m_name[self.e_member].astype(object),
            "member_id": self.m_id[self.e_member].astype(object),
            "kind": np.array(SPENDING_KINDS, dtype=object)[self.e_kind],
            "date": as_datetimes(self.e_day),
            "amount": self.e_amount.astype(float),
            "source": self.e_source,
            "evidence": np.array(_KIND_EVIDENCE, dtype=object)[self.e_kind],
        })
        ch = self.c_hh
        cases = pd.DataFrame({
            "_town": self.hh_town[ch],
            "case_no": np.full(self.C, "", dtype=object),
            "household_no": hh_no[ch].astype(object),
            "kind": np.array(SPENDING_KINDS, dtype=object)[self.c_kind],
            "found_date": as_datetimes(self.c_dates["found_date"], self.c_dates["found_date"] == na),
            "found_way": self.c_way.astype(object),
            **{key: as_datetimes(values, values == na) for key, values in self.c_dates.items()
               if key != "found_date"},
            "relief_amount": self.c_relief,
            "stage": self.c_stage,
        })
        cases["_allowed"] = self.c_allowed
        cases = cases.sort_values(["_town", "found_date", "household_no", "kind"], kind="stable")
        number = np.arange(len(cases)) - run_starts(cases["_town"].to_numpy()) + 1
        codes = np.array(self.town_codes)[cases["_town"].to_numpy()]
        cases["case_no"] = join_text(codes, f"-{self.year}-", zero_padded(number, 4)).astype(object)
        order = [c.key for c in schema.CASES.input_columns]
        frames["cases"] = cases[["_town", *order, "_allowed"]].reset_index(drop=True)

        vh = self.v_hh
        problem = self.v_problem
        texts = np.array(_PROBLEMS, dtype=object)
        frames["visits"] = pd.DataFrame({
            "_town": self.hh_town[vh],
            "household_no": hh_no[vh].astype(object),
            "helper": helper_names[self.hh_helper[vh]],
            "visit_date": as_datetimes(self.v_day),
            **{key: np.where(self.v_answers[:, i], "是", "否").astype(object)
               for i, key in enumerate(_GUARANTEE_KEYS)},
            "problem": np.where(problem, texts[self.v_which, 0], None),
            "action": np.where(problem, texts[self.v_which, 1], None),
            "escalated_to": np.where(problem, texts[self.v_which, 2], "无"),
        })
        ah = self.a_hh
        has_member = self.a_member >= 0
        member = np.where(has_member, self.a_member, 0)
        frames["aid"] = pd.DataFrame({
            "_town": self.hh_town[ah],
            "household_no": hh_no[ah].astype(object),
            "member_name": as_objects(self.m_name[member], ~has_member),
            "member_id": as_objects(self.m_id[member], ~has_member),
            "aid_type": self.a_kind,
            "start_date": as_datetimes(self.a_start),
            "end_date": as_datetimes(self.a_end, self.a_end == na),
            "amount": self.a_amount.astype(float),
            "note": self.a_note,
        })
        return frames

    def _split(self, frames: dict[str, pd.DataFrame]) -> list[SampleTownship]:
        bounds = {
            key: np.searchsorted(frame["_town"].to_numpy(), np.arange(self.T + 1))
            for key, frame in frames.items()
        }
        own = self.T - 1 if self.T >= 2 else None
        towns = []
        for t in range(self.T):
            town_frames = {}
            for key, frame in frames.items():
                lo, hi = bounds[key][t], bounds[key][t + 1]
                part = frame.iloc[lo:hi].drop(columns="_town").reset_index(drop=True)
                town_frames[key] = part
            name = self.town_names[t]
            towns.append(SampleTownship(
                name=name, code=self.town_codes[t], file_name=f"{name}.xlsx",
                layout="own" if t == own else "template", frames=town_frames,
            ))
        return towns
