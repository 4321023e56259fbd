"""Who lives in the sample county: townships and villages, households, their members (with
ID numbers) and each household's income.

Every ``make_*`` function draws from the one random stream it is handed; ``simulate_county``
in ``generate`` calls them in a fixed order, so that a seed always gives the same county.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..policy import GROUPS, INCOME_WAIVED_GROUP
from .arrays import (
    BoolArray,
    FloatArray,
    IntArray,
    ObjectArray,
    TextArray,
    as_objects,
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
    HISTORICAL_AREAS,
    HISTORICAL_UNTIL,
    OTHER_HANDAN_AREAS,
    OTHER_HANDAN_WEIGHTS,
    OUTSIDE_AREAS,
    SURNAMES,
    VILLAGE_PREFIXES,
    VILLAGE_SUFFIXES,
    WEI_TOWNSHIPS,
)
from .spec import CountySpec

# Relation codes of ``Members.relation``; ``RELATIONS`` holds their 与户主关系 texts.
_HEAD, _SPOUSE, _CHILD, _GRAND, _PARENT = range(5)
RELATIONS = np.array(["户主", "配偶", "子女", "孙子女", "父母"], dtype=object)

HELPERS_PER_VILLAGE = 4
#: The last three digits of an ID number: 499 sequence numbers per sex, birth date and area.
_ID_SEQUENCES = 499

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


# -- townships and villages --------------------------------------------------------

@dataclass(frozen=True)
class Townships:
    names: tuple[str, ...]
    #: Three digits, 101 … 999: the first part of 户编号 and 案件编号.
    codes: tuple[str, ...]
    villages_per_township: int
    #: Index: township × villages_per_township + village.
    village_names: TextArray
    #: Index: (township × villages_per_township + village) × HELPERS_PER_VILLAGE + slot.
    helper_names: TextArray
    helper_phones: TextArray

    @property
    def count(self) -> int:
        return len(self.names)


def make_townships(spec: CountySpec, rng: np.random.Generator) -> Townships:
    count = spec.townships
    villages = int(np.clip(round(np.sqrt(spec.households_per_township) * 0.8), 3, 60))
    combos = len(VILLAGE_PREFIXES) * len(SURNAMES) * len(VILLAGE_SUFFIXES)
    names = []
    for _ in range(count):
        # Distinct within the township: 东王庄 = prefix × surname × suffix.
        picks = rng.choice(combos, villages, replace=False)
        p, rest = np.divmod(picks, len(SURNAMES) * len(VILLAGE_SUFFIXES))
        s, x = np.divmod(rest, len(VILLAGE_SUFFIXES))
        names.append(join_text(np.array(VILLAGE_PREFIXES)[p], np.array(SURNAMES)[s],
                               np.array(VILLAGE_SUFFIXES)[x]))
    n_help = count * villages * HELPERS_PER_VILLAGE
    helper_names = person_names(rng, rng.integers(0, len(SURNAMES), n_help),
                                rng.random(n_help) < 0.6)
    return Townships(
        names=tuple(township_names(spec.county, count)),
        codes=tuple(f"{101 + i:03d}" for i in range(count)),
        villages_per_township=villages,
        village_names=np.concatenate(names),
        helper_names=helper_names,
        helper_phones=phone_numbers(rng, n_help),
    )


# -- households --------------------------------------------------------------------

@dataclass(frozen=True)
class Households:
    """One entry per household, ordered by township, village and 户编号."""

    number: TextArray
    township: IntArray
    #: Index within the township's villages.
    village: IntArray
    #: Index into ``policy.GROUPS``.
    group: IntArray
    size: IntArray
    head_age: IntArray
    head_male: BoolArray
    has_spouse: BoolArray
    # How many of the other members are the head's parents, children and grandchildren.
    parents: IntArray
    children: IntArray
    grandchildren: IntArray
    #: Index into ``Townships.helper_names``: a helper of the household's own village.
    helper: IntArray

    @property
    def count(self) -> int:
        return len(self.number)

    @property
    def income_waived(self) -> BoolArray:
        """Households of the group whose income condition is waived: spending alone decides."""
        return self.group == GROUPS.index(INCOME_WAIVED_GROUP)


def make_households(spec: CountySpec, rng: np.random.Generator,
                    townships: Townships) -> Households:
    count, per = townships.count, spec.households_per_township
    total = count * per
    town = np.repeat(np.arange(count), per)
    village = np.sort(rng.integers(0, townships.villages_per_township, (count, per)),
                      axis=1).ravel()
    village_key = town * townships.villages_per_township + village
    seq = np.arange(total) - run_starts(village_key) + 1
    codes = np.array(townships.codes)[town]
    group = weighted_choice(rng, total, (0.5, 0.42, 0.08))
    size = 1 + weighted_choice(rng, total, (0.12, 0.22, 0.2, 0.22, 0.14, 0.10))
    head_age = rng.integers(25, 86, total)
    head_male = rng.random(total) < np.where(size == 1, 0.6, 0.85)
    has_spouse = (size >= 2) & (rng.random(total) < 0.85)
    rest = size - 1 - has_spouse
    parents = np.where(head_age <= 60, np.minimum(rest, rng.integers(0, 3, total)), 0)
    rest = rest - parents
    # Older heads live with grandchildren, keeping two children in the household.
    grandchildren = np.where(head_age >= 58, np.maximum(rest - 2, 0), 0)
    helper_slot = rng.integers(0, HELPERS_PER_VILLAGE, total)
    return Households(
        number=join_text(codes, "-", zero_padded(village + 1, 2), "-", zero_padded(seq, 4)),
        township=town, village=village, group=group, size=size, head_age=head_age,
        head_male=head_male, has_spouse=has_spouse, parents=parents,
        children=rest - grandchildren, grandchildren=grandchildren,
        helper=village_key * HELPERS_PER_VILLAGE + helper_slot,
    )


# -- members and their ID numbers --------------------------------------------------

@dataclass(frozen=True)
class Members:
    """One entry per person, grouped by household, the head first."""

    household: IntArray
    #: Relation codes (``RELATIONS`` holds their texts).
    relation: IntArray
    male: BoolArray
    age: IntArray
    name: TextArray
    id_number: TextArray
    #: The area code inside the ID number (not always the county's: married in, moved).
    area: IntArray
    #: Indexes into ``schema.HEALTH`` and ``schema.LABOUR``.
    health: IntArray
    labour: IntArray
    in_school: BoolArray
    #: None for a member without a phone.
    phone: ObjectArray
    # Per household:
    #: Position of the household's first member, its head.
    household_first: IntArray
    #: The head's phone, the household's contact number.
    household_phone: TextArray
    household_has_student: BoolArray
    #: Position of the household's first member in school; the member count where none is.
    household_student: IntArray

    @property
    def count(self) -> int:
        return len(self.household)


@dataclass(frozen=True)
class SparePeople:
    """One person per township in no household: the member of the planted orphan row.
    Their ID numbers are unique together with everyone's."""

    id_number: TextArray
    name: TextArray


def make_members(spec: CountySpec, rng: np.random.Generator,
                 households: Households) -> tuple[Members, SparePeople]:
    count = households.count
    size = households.size
    total = int(size.sum())
    hh = np.repeat(np.arange(count), size)
    first = np.cumsum(size) - size
    k = np.arange(total) - first[hh]
    spouse = households.has_spouse[hh]
    off = k - 1 - spouse
    n_child, n_grand = households.children[hh], households.grandchildren[hh]
    rel = np.select(
        [k == 0, spouse & (k == 1), off < n_child, off < n_child + n_grand],
        [_HEAD, _SPOUSE, _CHILD, _GRAND], _PARENT,
    )
    parent_no = off - n_child - n_grand
    head_male = households.head_male[hh]
    head_age = households.head_age[hh]
    u = rng.random(total)
    male = np.select(
        [rel == _HEAD, rel == _SPOUSE, rel == _PARENT],
        [head_male, ~head_male,
         np.where(households.parents[hh] == 2, parent_no == 0, u < 0.5)],
        rng.random(total) < 0.52,
    )
    child_span = np.minimum(head_age - 20, 18)
    grand_span = np.minimum(head_age - 42, 20)
    age = np.select(
        [rel == _HEAD, rel == _SPOUSE, rel == _CHILD, rel == _GRAND],
        [head_age,
         np.clip(head_age + np.where(head_male, -1, 1) * rng.integers(-1, 6, total), 20, 95),
         head_age - 20 - np.floor(u * (child_span + 1)).astype(np.int64),
         head_age - 42 - np.floor(u * (np.maximum(grand_span, 0) + 1)).astype(np.int64)],
        np.minimum(head_age + 20 + rng.integers(0, 13, total), 99),
    )
    birth = spec.check_day - np.floor(age * 365.25).astype(np.int64) - rng.integers(1, 364, total)

    # Surnames: the household's for the head, the head's father and the children
    # of a male head (or of a head without spouse); the spouse's for a female head's children.
    hh_sur = rng.integers(0, len(SURNAMES), count)
    spouse_sur = rng.integers(0, len(SURNAMES), count)
    child_sur = np.where(households.head_male | ~households.has_spouse, hh_sur, spouse_sur)
    surname = np.select(
        [(rel == _HEAD) | ((rel == _PARENT) & male), rel == _SPOUSE,
         (rel == _CHILD) | (rel == _GRAND)],
        [hh_sur[hh], spouse_sur[hh], child_sur[hh]],
        rng.integers(0, len(SURNAMES), total),
    )
    name = person_names(rng, surname, male)

    spare_birth = spec.check_day - rng.integers(20 * 365, 60 * 365, spec.townships)
    spare_male = rng.random(spec.townships) < 0.5
    ids, area = _id_numbers(
        spec, rng, birth=np.concatenate([birth, spare_birth]),
        male=np.concatenate([male, spare_male]),
        spouse=np.concatenate([rel == _SPOUSE, np.zeros(spec.townships, bool)]),
        spares=spec.townships,
    )
    spares = SparePeople(
        id_number=ids[total:],
        name=person_names(rng, rng.integers(0, len(SURNAMES), spec.townships), spare_male),
    )

    old = age >= 60
    u = rng.random(total)
    health = np.where(
        old,
        np.select([u < 0.55, u < 0.85, u < 0.92], [0, 1, 2], 3),
        np.select([u < 0.85, u < 0.93, u < 0.96], [0, 1, 2], 3),
    )
    u = rng.random(total)
    labour = np.select(
        [age < 16, (health >= 2) | (age >= 75), age >= 60, u < 0.75, u < 0.95],
        [4, 3, 2, 0, 1], 2,
    )
    school = ((age >= 6) & (age <= 18) & (rng.random(total) < 0.95)) | (
        (age >= 19) & (age <= 22) & (rng.random(total) < 0.4))
    phones = phone_numbers(rng, total)
    has_phone = (rel == _HEAD) | ((age >= 18) & (age <= 70) & (rng.random(total) < 0.6))
    student_pos = np.where(school, np.arange(total), total)
    members = Members(
        household=hh, relation=rel, male=male, age=age, name=name, id_number=ids[:total],
        area=area[:total], health=health, labour=labour, in_school=school,
        phone=as_objects(phones, ~has_phone),
        household_first=first, household_phone=phones[first],
        household_has_student=np.bincount(hh, weights=school, minlength=count) > 0,
        household_student=(np.minimum.reduceat(student_pos, first) if total
                           else np.zeros(0, np.int64)),
    )
    return members, spares


def _id_numbers(spec: CountySpec, rng: np.random.Generator, *, birth: IntArray, male: BoolArray,
                spouse: BoolArray, spares: int) -> tuple[TextArray, IntArray]:
    """ID numbers and their area codes for everyone, the last ``spares`` people included.

    Most people were born in the county; spouses more often married in from elsewhere.
    """
    n_all = len(birth)
    area_kind = weighted_choice(rng, n_all, (0.85, 0.12, 0.03))
    area_kind = np.where(spouse, weighted_choice(rng, n_all, (0.7, 0.2, 0.1)), area_kind)
    other = np.array(OTHER_HANDAN_AREAS)[weighted_choice(rng, n_all, OTHER_HANDAN_WEIGHTS)]
    outside = np.array(OUTSIDE_AREAS)[rng.integers(0, len(OUTSIDE_AREAS), n_all)]
    area = np.select([area_kind == 1, area_kind == 2], [other, outside], spec.area)
    ymd = yyyymmdd(birth)
    # Historical codes were no longer given to children born after the merger.
    late = (ymd // 10000 >= HISTORICAL_UNTIL) & np.isin(area, HISTORICAL_AREAS)
    area = np.where(late, spec.area, area)
    area[n_all - spares:] = spec.area
    # Sequence numbers: unique within (area, birth date, sex), parity = sex.
    order = np.lexsort((male, ymd, area))
    key = (area[order] * 10**8 + ymd[order]) * 2 + male[order]
    starts = run_starts(key)
    rank = np.arange(n_all) - starts
    if n_all and rank.max() >= _ID_SEQUENCES:
        raise InputError("示例县人数过多：同一天出生的同性别人数超过身份证顺序码容量。")
    base = rng.integers(0, _ID_SEQUENCES, n_all)[order][starts]
    k_seq = (base + rank) % _ID_SEQUENCES
    seq_sorted = 2 * k_seq + np.where(male[order], 1, 2)
    seq = np.empty(n_all, dtype=np.int64)
    seq[order] = seq_sorted
    return id_numbers(area, ymd, seq), area


# -- income ------------------------------------------------------------------------

def draw_income(spec: CountySpec, rng: np.random.Generator,
                households: Households) -> FloatArray:
    """Income per capita around the threshold of the policy year, some exactly on it or a
    cent either side; the group whose income is waived lies well above it."""
    count = households.count
    u = rng.random(count)
    line = spec.income_line
    spread = np.select(
        [u < 0.12, u < 0.15, u < 0.18, u < 0.63, u < 0.85],
        [np.full(count, line), np.full(count, line - 0.01), np.full(count, line + 0.01),
         line * rng.uniform(0.75, 1.0, count), line * rng.uniform(1.0, 1.25, count)],
        line * rng.uniform(0.5, 0.75, count),
    )
    boundary = u < 0.18
    waived = households.income_waived
    spread = np.where(waived, line * rng.uniform(1.1, 3.0, count), spread)
    boundary &= ~waived
    integer = ~boundary & (rng.random(count) < 0.6)
    return np.where(boundary, np.round(spread, 2), round_money(spread, integer))
