"""A sample county: township workbooks with realistic data and planted mistakes.

``generate_county`` builds everything in memory, deterministically for a seed;
``write_sample_county`` writes it to a folder the way townships hand their
workbooks back (one odd workbook with its own layout, an Excel owner lock
file, a loose text file) together with ``manifest.json``: every planted
mistake with the file, sheet and cell where validate / merge must find it.

The data is clean apart from the planted mistakes: households, members,
spending, cases and visits agree with each other and with the policy (case
dates follow the procedure and its deadline, recorded eligibility agrees with
``rules``, every household was visited within the interval), so whatever the
checks report beyond the manifest is a finding about the checks.

Generation is vectorised over the whole county (numpy arrays for households,
members, events, cases, visits and aid; ID numbers with their check
characters computed on integer arrays), because the merge benchmark uses
200 townships × 2,000 households. Only the per-township split and the handful
of planted mistakes are Python loops.

A manifest entry: ``code`` (the issue code validate / merge should report),
``township``, ``file``, ``sheet``, ``cell`` (A1), ``row`` (1-based Excel row),
``column`` (the header as written in that file: a synonym in the township's
own layout), ``key`` (schema key), ``value`` (what the cell holds: text,
number, ISO date or null) and ``note``; some add ``severity`` ("warning" for
``coerced``), ``coerced_value``, ``case_no``, ``allowed``, ``computed``,
``last_visit``, ``stored_as`` or ``other`` (the first occurrence of a duplicate).
Where each code points: ``visit_overdue`` at the household's 户编号 on 监测户
(as ``followup`` reports it); ``notice_too_short`` at 公示结束;
``payment_before_filing`` at 支付日期; ``relief_above_table`` at 救助金额 (as
``cases`` reports them). The numeric ID is planted in the own-layout workbook,
the only one written with a number in an ID column.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import rules, schema
from .derive import add_months_series, window_sums
from .errors import InputError
from .policy import GROUPS, INCOME_WAIVED_GROUP, SPENDING_KINDS, Policy
from .relief import payout_series
from .schema import SHEETS, SHEETS_BY_KEY
from .text import cell_text, column_letter
from .workbook.write import Formats, atomic_output, column_values, new_workbook
from .workdays import add_months, add_workdays_series, workday_table

# -- constants -------------------------------------------------------------------

COUNTY_AREA_CODES: dict[str, str] = {
    "邯山区": "130402", "丛台区": "130403", "复兴区": "130404", "峰峰矿区": "130406",
    "肥乡区": "130407", "永年区": "130408", "临漳县": "130423", "成安县": "130424",
    "大名县": "130425", "涉县": "130426", "磁县": "130427", "邱县": "130430",
    "鸡泽县": "130431", "广平县": "130432", "馆陶县": "130433", "魏县": "130434",
    "曲周县": "130435", "武安市": "130481",
}
DEFAULT_AREA = "130434"

#: Townships of 魏县 (the sample's default county).
WEI_TOWNSHIPS: tuple[str, ...] = (
    "魏城镇", "德政镇", "北皋镇", "双井镇", "牙里镇", "车往镇", "回隆镇", "张二庄镇",
    "东代固乡", "院堡乡", "棘针寨乡", "南双庙乡", "沙口集乡", "野胡拐乡", "仕望集乡",
    "前大磨乡", "大辛庄乡", "边马乡", "泊口乡", "大马村乡", "北台头乡",
)

#: Other Handan codes inside people's numbers: historical (邯郸县, 肥乡县, 永年县)
#: and neighbouring counties; then a few from outside Handan (married in).
OTHER_HANDAN_AREAS = (130421, 130428, 130429, 130425, 130433, 130427, 130424, 130435, 130402)
OTHER_HANDAN_WEIGHTS = (0.18, 0.16, 0.12, 0.16, 0.12, 0.08, 0.08, 0.06, 0.04)
HISTORICAL_AREAS = (130421, 130428, 130429)  # abolished in 2016
HISTORICAL_UNTIL = 2016
OUTSIDE_AREAS = (410527, 410526, 410522, 371525)  # 内黄县, 滑县, 安阳县, 冠县

SURNAMES = tuple(
    "王李张刘赵杨陈郭孙马田高周吴徐宋韩冯董于朱许胡曹范魏程石贾侯白段牛任邢苏申靳郝岳"
)
MALE_CHARS = tuple("建国军明伟强志海永华刚亮磊涛勇俊峰振利庆文林辉杰东学宝春生福全德成顺平新忠喜金山")
FEMALE_CHARS = tuple("秀英兰芳丽敏霞燕玲娟红梅萍静娜艳桂凤琴云莉洁慧翠荣雪月欣婷琳佳悦蕾雅晶颖丹倩彤")
VILLAGE_PREFIXES = ("", "东", "西", "南", "北", "前", "后", "大", "小")
VILLAGE_SUFFIXES = ("庄", "村", "屯", "寨", "营", "集", "固", "堡", "店", "楼", "口", "头")
PHONE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
    "155", "156", "157", "158", "159", "176", "177", "178", "180", "182", "183", "185",
    "186", "187", "188", "189",
)

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
_NA = np.iinfo(np.int64).min  # a missing day number

_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
_EPOCH = dt.date(1970, 1, 1)

ROSTER_FILE = "县级名单/县级监测户名单.xlsx"
MANIFEST_FILE = "manifest.json"
README_FILE = "说明.txt"
LOCK_PREFIX = "~$"
#: Header rows (1-based) of the workbook a township kept in its own layout.
OWN_HEADER_ROWS: dict[str, int] = {
    "households": 3, "members": 4, "spending": 4, "cases": 3, "visits": 3, "aid": 3,
}
#: Trailing rows with borders but no values, as a township's own sheet has them.
OWN_TRAILING_BLANK_ROWS = 3
TEMPLATE_HEADER_ROW = 2
MIN_HOUSEHOLDS = 10

#: Every issue code the manifest can hold, in planting order.
PLANTED_CODES: tuple[str, ...] = (
    "coerced", "id_numeric", "id_check", "duplicate_id", "orphan_row", "payment_before_filing",
    "notice_too_short", "visit_overdue", "relief_above_table", "status_mismatch",
    "required_missing", "not_in_choices", "future_date",
)


# -- results ---------------------------------------------------------------------

@dataclass
class SampleTownship:
    """One township: its frames (schema keys as columns, input columns only) and layout."""

    name: str
    code: str
    file_name: str
    #: "template" (written by ``templates.write_township_workbook``) or "own"
    #: (the township's own layout: title and note rows, synonym headers, no formulas).
    layout: str
    frames: dict[str, pd.DataFrame]

    def header_row(self, sheet_key: str) -> int:
        return OWN_HEADER_ROWS[sheet_key] if self.layout == "own" else TEMPLATE_HEADER_ROW

    def headers(self, sheet_key: str) -> list[str]:
        """The header texts of the sheet as written, in column order."""
        sheet = SHEETS_BY_KEY[sheet_key]
        if self.layout == "own":
            return [own_header(sheet, c) for c in sheet.input_columns]
        return [c.header for c in sheet.columns]

    def cell(self, sheet_key: str, row: int, key: str) -> str:
        """The A1 cell of frame row ``row`` (0-based) and column ``key`` in the written file."""
        sheet = SHEETS_BY_KEY[sheet_key]
        columns = sheet.input_columns if self.layout == "own" else sheet.columns
        position = [c.key for c in columns].index(key)
        return f"{column_letter(position)}{self.header_row(sheet_key) + 1 + row}"

    def counts(self) -> dict[str, int]:
        return {key: len(frame) for key, frame in self.frames.items()}


@dataclass
class SampleCounty:
    county: str
    area_code: str
    year: int
    check_date: dt.date
    seed: int
    townships: list[SampleTownship]
    #: One row per household, county-wide, before any mistake was planted.
    roster: pd.DataFrame
    #: The planted mistakes (dicts, JSON-ready), see ``write_sample_county``.
    manifest: list[dict[str, Any]]
    #: Relief amounts are computed only when ``fangpin_xl.relief`` is available.
    #: Valid numbers from outside Handan (not mistakes; validate may warn), per township.
    outside_handan: dict[str, int] = field(default_factory=dict)

    @property
    def codes(self) -> list[str]:
        """The distinct issue codes planted, in planting order."""
        return list(dict.fromkeys(m["code"] for m in self.manifest))

    def township(self, name: str) -> SampleTownship:
        for township in self.townships:
            if township.name == name:
                return township
        raise KeyError(name)

    def counts(self) -> dict[str, dict[str, int]]:
        return {t.name: t.counts() for t in self.townships}

    def manifest_document(self) -> dict[str, Any]:
        return {
            "county": self.county,
            "area_code": self.area_code,
            "year": self.year,
            "check_date": self.check_date.isoformat(),
            "seed": self.seed,
            "codes": self.codes,
            "mistakes": self.manifest,
            "outside_handan_ids": self.outside_handan,
            "counts": self.counts(),
        }


@dataclass
class SampleResult:
    out_dir: Path
    workbooks: dict[str, Path]
    roster: Path
    manifest: Path
    lock_file: Path
    readme: Path
    counts: dict[str, dict[str, int]]
    codes: list[str]
    mistakes: int = 0

    @property
    def households(self) -> int:
        return sum(c["households"] for c in self.counts.values())

    @property
    def members(self) -> int:
        return sum(c["members"] for c in self.counts.values())


# -- small helpers -------------------------------------------------------------------

def own_header(sheet: schema.Sheet, column: schema.Column) -> str:
    """The header a township's own sheet uses: the first synonym no other column claims."""
    taken = {name for other in sheet.columns if other.key != column.key for name in other.names}
    for name in column.synonyms:
        if name != column.header and name not in taken:
            return name
    return column.header


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


def _day(d: dt.date) -> int:
    return (d - _EPOCH).days


def _dates(days: np.ndarray, missing: np.ndarray | None = None) -> np.ndarray:
    """Day numbers → datetime64[ns] (NaT where ``missing``)."""
    out = np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype("datetime64[ns]")
    if missing is not None:
        out[missing] = np.datetime64("NaT")
    return out


def _ymd(days: np.ndarray) -> np.ndarray:
    """Day numbers → yyyymmdd integers."""
    d = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    years = d.astype("datetime64[Y]").astype(np.int64) + 1970
    months = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    mday = (d - d.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    return years * 10000 + months * 100 + mday


def _zfill(values: np.ndarray, width: int) -> np.ndarray:
    """Non-negative integers as zero-padded text of ``width`` digits (wider values are cut)."""
    rest = np.asarray(values, dtype=np.int64).copy()
    digits = np.empty((len(rest), width), dtype=np.uint8)
    for position in range(width - 1, -1, -1):
        rest, digits[:, position] = np.divmod(rest, 10)
    # ASCII bytes viewed as fixed-width byte strings, then decoded in one C-level pass.
    return (digits + ord("0")).view(f"S{width}").ravel().astype(f"U{width}")


def _cat(*parts) -> np.ndarray:
    out = np.asarray(parts[0], dtype=str)
    for part in parts[1:]:
        out = np.strings.add(out, np.asarray(part, dtype=str))
    return out


def _objects(values: np.ndarray, missing: np.ndarray | None = None) -> np.ndarray:
    """A text array as Python objects, None where ``missing``."""
    out = np.asarray(values).astype(object)
    if missing is not None:
        out[missing] = None
    return out


def id_numbers(area: np.ndarray, birth_ymd: np.ndarray, seq: np.ndarray) -> np.ndarray:
    """18-character ID numbers from integer arrays (GB 11643-1999 check character)."""
    body = (np.asarray(area, dtype=np.int64) * 10**11
            + np.asarray(birth_ymd, dtype=np.int64) * 1000 + np.asarray(seq, dtype=np.int64))
    total = np.zeros(len(body), dtype=np.int64)
    rest = body.copy()
    for weight in reversed((7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)):
        rest, digit = np.divmod(rest, 10)
        total += weight * digit
    check = np.array(list("10X98765432"))[total % 11]
    return np.strings.add(_zfill(body, 17), check)


def _choice_index(rng: np.random.Generator, n: int, weights) -> np.ndarray:
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum())


def _money(values: np.ndarray, integer: np.ndarray) -> np.ndarray:
    return np.where(integer, np.round(values), np.round(values, 2))


def _phones(rng: np.random.Generator, n: int) -> np.ndarray:
    prefix = np.array(PHONE_PREFIXES)[rng.integers(0, len(PHONE_PREFIXES), n)]
    return np.strings.add(prefix, _zfill(rng.integers(0, 10**8, n), 8))


def _names(rng: np.random.Generator, surnames: np.ndarray, male: np.ndarray) -> np.ndarray:
    n = len(surnames)
    pools = (np.array(FEMALE_CHARS), np.array(MALE_CHARS))
    first = np.where(male, pools[1][rng.integers(0, len(MALE_CHARS), n)],
                     pools[0][rng.integers(0, len(FEMALE_CHARS), n)])
    second = np.where(male, pools[1][rng.integers(0, len(MALE_CHARS), n)],
                      pools[0][rng.integers(0, len(FEMALE_CHARS), n)])
    second = np.where(rng.random(n) < 0.8, second, "")
    return _cat(np.array(SURNAMES)[surnames], first, second)


def _run_starts(keys: np.ndarray) -> np.ndarray:
    """For sorted ``keys``: the position where each element's run of equal keys starts."""
    n = len(keys)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.r_[True, keys[1:] != keys[:-1]]
    return np.maximum.accumulate(np.where(starts, np.arange(n), 0))


class _Calendar:
    """Working days of the policy's calendar, for walking the procedure backwards."""

    def __init__(self, policy: Policy, year: int):
        table = workday_table(dt.date(year - 4, 1, 1), dt.date(year + 1, 12, 31), policy=policy)
        self.first = _day(dt.date(year - 4, 1, 1))
        self.index = table["index"].to_numpy(dtype=np.int64)
        self.flags = table["workday"].to_numpy(dtype=bool)
        self.policy = policy

    def forward(self, days: np.ndarray, n) -> np.ndarray:
        """``workdays.add_workdays`` over day numbers (the start day is not counted)."""
        starts = pd.Series(_dates(days))
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
        self.check_day = _day(self.check)
        self.income_line = policy.income_threshold()
        self.window_start = _day(add_months(self.check, -policy.spending_window_months))
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
            names.append(_cat(np.array(VILLAGE_PREFIXES)[p], np.array(SURNAMES)[s],
                              np.array(VILLAGE_SUFFIXES)[x]))
        self.village_names = np.concatenate(names)  # index: town * n_villages + village
        helpers_per_village = 4
        n_help = self.T * self.n_villages * helpers_per_village
        self.helper_names = _names(rng, rng.integers(0, len(SURNAMES), n_help), rng.random(n_help) < 0.6)
        self.helper_phones = _phones(rng, n_help)
        self.helpers_per_village = helpers_per_village

    # -- households
    def _households(self):
        rng, T, per = self.rng, self.T, self.per_town
        H = T * per
        town = np.repeat(np.arange(T), per)
        village = np.sort(rng.integers(0, self.n_villages, (T, per)), axis=1).ravel()
        vkey = town * self.n_villages + village
        seq = np.arange(H) - _run_starts(vkey) + 1
        codes = np.array(self.town_codes)[town]
        self.hh_no = _cat(codes, "-", _zfill(village + 1, 2), "-", _zfill(seq, 4))
        self.hh_town, self.hh_village = town, village
        self.H = H
        self.group = _choice_index(rng, H, (0.5, 0.42, 0.08))
        size = 1 + _choice_index(rng, H, (0.12, 0.22, 0.2, 0.22, 0.14, 0.10))
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
        self.m_name = _names(rng, surname, male)

        # One spare person per township for the orphan row: numbers unique with everyone's.
        spare_birth = self.check_day - rng.integers(20 * 365, 60 * 365, self.T)
        spare_male = rng.random(self.T) < 0.5
        all_birth = np.concatenate([birth, spare_birth])
        all_male = np.concatenate([male, spare_male])
        n_all = len(all_birth)
        area_kind = _choice_index(rng, n_all, (0.85, 0.12, 0.03))
        spouse_all = np.concatenate([rel == _SPOUSE, np.zeros(self.T, bool)])
        area_kind = np.where(spouse_all, _choice_index(rng, n_all, (0.7, 0.2, 0.1)), area_kind)
        other = np.array(OTHER_HANDAN_AREAS)[_choice_index(rng, n_all, OTHER_HANDAN_WEIGHTS)]
        outside = np.array(OUTSIDE_AREAS)[rng.integers(0, len(OUTSIDE_AREAS), n_all)]
        area = np.select([area_kind == 1, area_kind == 2], [other, outside], self.area)
        ymd = _ymd(all_birth)
        # Historical codes were no longer given to children born after the merger.
        late = (ymd // 10000 >= HISTORICAL_UNTIL) & np.isin(area, HISTORICAL_AREAS)
        area = np.where(late, self.area, area)
        area[M:] = self.area
        # Sequence numbers: unique within (area, birth date, sex), parity = sex.
        order = np.lexsort((all_male, ymd, area))
        key = (area[order] * 10**8 + ymd[order]) * 2 + all_male[order]
        starts = _run_starts(key)
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
        self.spare_names = _names(rng, rng.integers(0, len(SURNAMES), self.T), spare_male)
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
        phones = _phones(rng, M)
        has_phone = (rel == _HEAD) | ((age >= 18) & (age <= 70) & (rng.random(M) < 0.6))
        self.m_phone = _objects(phones, ~has_phone)
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
        self.income = np.where(boundary, np.round(spread, 2), _money(spread, integer))
        self.hh_has_student = np.bincount(hh, weights=school, minlength=H) > 0
        # The first student of each household (for education spending).
        student_pos = np.where(school, np.arange(M), M)
        self.hh_student = np.minimum.reduceat(student_pos, first) if M else np.zeros(0, np.int64)

    # -- spending events
    def _spending(self):
        rng, H = self.rng, self.H
        waived = self.group == GROUPS.index(INCOME_WAIVED_GROUP)
        n_ev = _choice_index(rng, H, (0.3, 0.4, 0.2, 0.1))
        n_ev = np.where(waived, np.maximum(n_ev, 1), n_ev)
        E = int(n_ev.sum())
        hh = np.repeat(np.arange(H), n_ev)
        first_event = (np.arange(E) - (np.cumsum(n_ev) - n_ev)[hh]) == 0
        kind = _choice_index(rng, E, _KIND_WEIGHTS)
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
        amount = np.where(boundary, np.round(amount, 2), _money(amount, integer))

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
            source[sel] = np.array(choices, dtype=object)[_choice_index(rng, int(sel.sum()), weights)]
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
        # Relief by the table on the spending of the 12 months before each case's discovery.
        self.c_allowed = self._payout(hh, kind, self._case_sums(hh, kind, dates["found_date"]))
        self.c_relief = np.where(stage == "已支付", self.c_allowed, np.nan)

    def _schedule(self, stage: np.ndarray, found: np.ndarray, latest: np.ndarray,
                  gaps: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Stage dates (day numbers; ``_NA`` where not reached) of every case.

        Closed cases walk forwards from ``found``; open ones walk backwards from
        ``latest``, their last step a few days before the check date. A notice
        counts both ends: it lasts ``notice_days - 1 + extra`` days after its start.
        """
        cal, notice = self.calendar, self.policy.notice_days
        dates = {key: np.full(len(stage), _NA, dtype=np.int64) for key in _STAGE_DATES}
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
            local = {key: np.full(len(idx), _NA, dtype=np.int64) for key in _STAGE_DATES}

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
        paid_late = (payment != _NA) & (payment > due)
        open_late = np.isin(stage, _OPEN_STAGES) & (due < self.check_day)
        return paid_late | open_late

    def _case_sums(self, hh: np.ndarray, kind: np.ndarray, found: np.ndarray) -> np.ndarray:
        """Each case's household spending of its kind in the window ending at its discovery."""
        kinds = np.array(SPENDING_KINDS, dtype=object)
        events = pd.DataFrame({"key": self.e_hh, "kind": kinds[self.e_kind], "date": _dates(self.e_day),
                               "amount": self.e_amount})
        ends = pd.Series(_dates(found))
        starts = add_months_series(ends, -self.policy.spending_window_months)
        return window_sums(events, pd.Series(hh), pd.Series(kinds[kind]), starts, ends).to_numpy()

    def _payout(self, hh: np.ndarray, kind: np.ndarray, sums: np.ndarray | None = None) -> np.ndarray:
        """Relief by the payout table on the household's spending of that kind (default: in the window)."""
        result = payout_series(
            np.array(SPENDING_KINDS, dtype=object)[kind],
            pd.Series(self.sums[hh, kind] if sums is None else sums),
            np.array(GROUPS, dtype=object)[self.group[hh]],
            policy=self.policy,
        )
        return result.to_numpy(dtype=float)

    # -- follow-up visits
    def _visits(self):
        rng, H, policy = self.rng, self.H, self.policy
        interval = policy.visit_interval_months
        per = max(1, 12 // interval)
        span = self.check_day - _day(add_months(self.check, -interval))
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
            _choice_index(rng, n_emp, (0.5, 0.25, 0.25))]
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
        end = np.concatenate([np.where(ended, emp_end, _NA),
                              np.full(n_w + n_s, _NA)])
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
        na = _NA
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
            "monitored_since": _dates(self.monitored_since),
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
            "date": _dates(self.e_day),
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
            "found_date": _dates(self.c_dates["found_date"], self.c_dates["found_date"] == na),
            "found_way": self.c_way.astype(object),
            **{key: _dates(values, values == na) for key, values in self.c_dates.items()
               if key != "found_date"},
            "relief_amount": self.c_relief,
            "stage": self.c_stage,
        })
        cases["_allowed"] = self.c_allowed
        cases = cases.sort_values(["_town", "found_date", "household_no", "kind"], kind="stable")
        number = np.arange(len(cases)) - _run_starts(cases["_town"].to_numpy()) + 1
        codes = np.array(self.town_codes)[cases["_town"].to_numpy()]
        cases["case_no"] = _cat(codes, f"-{self.year}-", _zfill(number, 4)).astype(object)
        order = [c.key for c in schema.CASES.input_columns]
        frames["cases"] = cases[["_town", *order, "_allowed"]].reset_index(drop=True)

        vh = self.v_hh
        problem = self.v_problem
        texts = np.array(_PROBLEMS, dtype=object)
        frames["visits"] = pd.DataFrame({
            "_town": self.hh_town[vh],
            "household_no": hh_no[vh].astype(object),
            "helper": helper_names[self.hh_helper[vh]],
            "visit_date": _dates(self.v_day),
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
            "member_name": _objects(self.m_name[member], ~has_member),
            "member_id": _objects(self.m_id[member], ~has_member),
            "aid_type": self.a_kind,
            "start_date": _dates(self.a_start),
            "end_date": _dates(self.a_end, self.a_end == na),
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


# -- planted mistakes -----------------------------------------------------------------------

class _Planter:
    """Plants one mistake of each kind, spread over the townships, and records where."""

    def __init__(self, gen: _Generator, towns: list[SampleTownship]):
        self.gen = gen
        self.towns = towns
        self.rng = np.random.default_rng([gen.seed, 7])
        self.used: set[tuple[int, str, int]] = set()
        self.manifest: list[dict[str, Any]] = []
        # The payout-table amount of each case stays beside the frames, not in them.
        self.allowed = [t.frames["cases"].pop("_allowed") for t in towns]

    # Townships are tried in rotation starting at ``slot``.
    def _order(self, slot: int) -> list[int]:
        n = len(self.towns)
        return [(slot + i) % n for i in range(n)]

    def _pick(self, t: int, sheet: str, mask: np.ndarray) -> int | None:
        rows = [int(r) for r in np.nonzero(mask)[0] if (t, sheet, int(r)) not in self.used]
        if not rows:
            return None
        row = rows[int(self.rng.integers(0, len(rows)))]
        self.used.add((t, sheet, row))
        return row

    def _record(self, code: str, t: int, sheet: str, row: int, key: str, value: Any,
                note: str, **extra) -> dict[str, Any]:
        town = self.towns[t]
        sheet_spec = SHEETS_BY_KEY[sheet]
        columns = sheet_spec.input_columns if town.layout == "own" else sheet_spec.columns
        header = town.headers(sheet)[[c.key for c in columns].index(key)]
        entry = {
            "code": code,
            "township": town.name,
            "file": town.file_name,
            "sheet": sheet_spec.name,
            "cell": town.cell(sheet, row, key),
            "row": town.header_row(sheet) + 1 + row,
            "column": header,
            "key": key,
            "value": _json_value(value),
            "note": note,
            **extra,
        }
        self.manifest.append(entry)
        return entry

    def _set(self, t: int, sheet: str, row: int, key: str, value: Any):
        frame = self.towns[t].frames[sheet]
        if frame[key].dtype != object:
            frame[key] = frame[key].astype(object)
        frame.at[row, key] = value

    def _free_members(self, t: int) -> np.ndarray:
        """Non-head members nobody else refers to (spending, aid): safe to damage."""
        frames = self.towns[t].frames
        members = frames["members"]
        referenced = set(frames["spending"]["member_id"].dropna()) | set(frames["aid"]["member_id"].dropna())
        return ((members["relation"] != "户主") & ~members["id_number"].isin(referenced)).to_numpy()

    def plant(self) -> list[dict[str, Any]]:
        own = next((i for i, t in enumerate(self.towns) if t.layout == "own"), None)
        steps = [
            self._coerced_text, self._id_numeric, self._id_check, self._orphan_row,
            self._payment_before_filing, self._notice_too_short, self._visit_overdue,
            self._relief_above_table, self._status_mismatch, self._required_missing,
            self._not_in_choices, self._future_date,
        ]
        self._full_width(own if own is not None else 0)
        if len(self.towns) >= 2:
            self._duplicate_id()
        for slot, step in enumerate(steps):
            # The numeric ID goes into the workbook written here, the only one that stores
            # a number in an ID column as a number (the template writer writes it as text).
            first = own if step == self._id_numeric and own is not None else slot
            for t in self._order(first):
                if step(t):
                    break
        order = {code: i for i, code in enumerate(PLANTED_CODES)}
        self.manifest.sort(key=lambda m: (order[m["code"]], m["township"], m["cell"]))
        return self.manifest

    # -- the mistakes
    def _coerced_text(self, t: int) -> bool:
        spending = self.towns[t].frames["spending"]
        amount = spending["amount"].to_numpy(dtype=float)
        row = self._pick(t, "spending", (amount >= 1000) & (amount == np.round(amount)))
        if row is None:
            return False
        text = f"{int(amount[row]):,}元"
        self._set(t, "spending", row, "amount", text)
        self._record("coerced", t, "spending", row, "amount", text,
                     "金额写成文字（带千分位和“元”），读取时可转换为数字，应提醒", severity="warning",
                     coerced_value=float(amount[row]))
        return True

    def _full_width(self, t: int) -> None:
        households = self.towns[t].frames["households"]
        income = households["income_per_capita"].to_numpy(dtype=float)
        row = self._pick(t, "households", income == np.round(income))
        if row is None:
            row = self._pick(t, "households", np.ones(len(income), bool))
        value = income[row]
        digits = str(int(value)) if value == round(value) else f"{value:.2f}"
        text = digits.translate(_FULL_WIDTH)
        self._set(t, "households", row, "income_per_capita", text)
        self._record("coerced", t, "households", row, "income_per_capita", text,
                     "收入用全角数字填写，读取时可转换为数字，应提醒", severity="warning",
                     coerced_value=float(value))

    def _id_numeric(self, t: int) -> bool:
        members = self.towns[t].frames["members"]
        ends_digit = members["id_number"].astype(str).str[-1].str.isdigit().to_numpy()
        row = self._pick(t, "members", self._free_members(t) & ends_digit)
        if row is None:
            return False
        number = members.at[row, "id_number"]
        # Excel keeps 15 significant digits of a number typed into a numeric cell.
        value = float(int(number[:15]) * 1000)
        self._set(t, "members", row, "id_number", value)
        own = self.towns[t].layout == "own"
        self._record("id_numeric", t, "members", row, "id_number", value if own else cell_text(value),
                     "身份证号存成了数字（1.30434E+17），末三位已丢失", original=_mask(number),
                     stored_as="number" if own else "text")
        return True

    def _id_check(self, t: int) -> bool:
        row = self._pick(t, "members", self._free_members(t))
        if row is None:
            return False
        number = self.towns[t].frames["members"].at[row, "id_number"]
        chars = "10X98765432"
        wrong = chars[(chars.index(number[17]) + 1 + int(self.rng.integers(0, 10))) % 11]
        value = number[:17] + wrong
        self._set(t, "members", row, "id_number", value)
        self._record("id_check", t, "members", row, "id_number", value,
                     f"身份证号校验码错误（应为 {number[17]}）")
        return True

    def _duplicate_id(self) -> None:
        source = self._pick(0, "members", self._free_members(0))
        target = self._pick(1, "members", self._free_members(1))
        if source is None or target is None:
            return
        number = self.towns[0].frames["members"].at[source, "id_number"]
        self._set(1, "members", target, "id_number", number)
        first = self.towns[0]
        self._record(
            "duplicate_id", 1, "members", target, "id_number", number,
            f"与 {first.name} 的成员身份证号相同（汇总时应发现）",
            other={"township": first.name, "file": first.file_name, "sheet": schema.MEMBERS.name,
                   "cell": first.cell("members", source, "id_number"),
                   "row": first.header_row("members") + 1 + source},
        )

    def _orphan_row(self, t: int) -> bool:
        town = self.towns[t]
        members = town.frames["members"]
        if not len(town.frames["households"]):
            return False
        known = set(town.frames["households"]["household_no"])
        base = str(town.frames["households"]["household_no"].iloc[
            int(self.rng.integers(0, len(known)))])
        prefix = base.rsplit("-", 1)[0]
        number = f"{prefix}-9{int(self.rng.integers(0, 1000)):03d}"
        if number in known:  # a village never has 9,000 households; kept for safety
            return False
        row = {c: None for c in members.columns}
        row.update({
            "household_no": number, "name": str(self.gen.spare_names[t]),
            "id_number": str(self.gen.spare_ids[t]), "relation": "子女", "health": "健康",
            "labour": "普通劳动力", "in_school": "否",
        })
        frame = pd.concat([members, pd.DataFrame([row]).astype(members.dtypes.to_dict())],
                          ignore_index=True)
        town.frames["members"] = frame
        r = len(frame) - 1
        self.used.add((t, "members", r))
        self._record("orphan_row", t, "members", r, "household_no", number,
                     "该成员的户编号在监测户表中不存在")
        return True

    def _paid(self, t: int, need_allowed: bool = False) -> np.ndarray:
        cases = self.towns[t].frames["cases"]
        mask = (cases["stage"] == "已支付").to_numpy(dtype=bool)
        if need_allowed:
            mask = mask & np.isfinite(self.allowed[t].to_numpy(dtype=float))
        return mask

    def _payment_before_filing(self, t: int) -> bool:
        row = self._pick(t, "cases", self._paid(t))
        if row is None:
            return False
        cases = self.towns[t].frames["cases"]
        value = cases.at[row, "filing_date"] - pd.Timedelta(days=2)
        cases.at[row, "payment_date"] = value
        self._record("payment_before_filing", t, "cases", row, "payment_date", value,
                     "支付日期早于备案日期", case_no=cases.at[row, "case_no"])
        return True

    def _notice_too_short(self, t: int) -> bool:
        cases = self.towns[t].frames["cases"]
        row = self._pick(t, "cases", cases["notice_end"].notna().to_numpy())
        if row is None:
            return False
        value = cases.at[row, "notice_start"] + pd.Timedelta(days=2)
        cases.at[row, "notice_end"] = value
        self._record("notice_too_short", t, "cases", row, "notice_end", value,
                     f"公示仅 3 天，少于 {self.gen.policy.notice_days} 天", case_no=cases.at[row, "case_no"])
        return True

    def _visit_overdue(self, t: int) -> bool:
        frames = self.towns[t].frames
        households, visits = frames["households"], frames["visits"]
        row = self._pick(t, "households", (households["risk_status"] != "已消除").to_numpy())
        if row is None:
            return False
        number = households.at[row, "household_no"]
        mine = (visits["household_no"] == number).to_numpy()
        if not mine.any():
            return False
        interval = self.gen.policy.visit_interval_months
        limit = pd.Timestamp(add_months(self.gen.check, -interval)) - pd.Timedelta(days=20)
        shift = visits.loc[mine, "visit_date"].max() - limit
        visits.loc[mine, "visit_date"] = visits.loc[mine, "visit_date"] - shift
        households.at[row, "monitored_since"] = households.at[row, "monitored_since"] - shift
        last = visits.loc[mine, "visit_date"].max()
        self._record("visit_overdue", t, "households", row, "household_no", number,
                     f"最近回访 {last.date().isoformat()}，超过 {interval} 个月未回访",
                     last_visit=last.date().isoformat())
        return True

    def _relief_above_table(self, t: int) -> bool:
        allowed = self.allowed[t].to_numpy(dtype=float)
        fits = np.nan_to_num(allowed, nan=np.inf) + 1000 <= self.gen.policy.max_relief
        row = self._pick(t, "cases", self._paid(t, need_allowed=True) & fits)
        if row is None:
            return False
        cases = self.towns[t].frames["cases"]
        value = float(round(allowed[row] + 1000, 2))
        cases.at[row, "relief_amount"] = value
        self._record("relief_above_table", t, "cases", row, "relief_amount", value,
                     f"救助金额比救助分档计算的 {allowed[row]:.2f} 元多 1000 元",
                     case_no=cases.at[row, "case_no"], allowed=float(allowed[row]))
        return True

    def _status_mismatch(self, t: int) -> bool:
        households = self.towns[t].frames["households"]
        recorded = households["recorded_status"]
        row = self._pick(t, "households", recorded.isin(("符合", "不符合")).to_numpy())
        if row is None:
            return False
        computed = str(recorded.iloc[row])
        value = "不符合" if computed == "符合" else "符合"
        self._set(t, "households", row, "recorded_status", value)
        self._record("status_mismatch", t, "households", row, "recorded_status", value,
                     f"登记资格为“{value}”，按规则计算为“{computed}”", computed=computed)
        return True

    def _required_missing(self, t: int) -> bool:
        row = self._pick(t, "members", self._free_members(t))
        if row is None:
            return False
        self._set(t, "members", row, "name", None)
        self._record("required_missing", t, "members", row, "name", None, "必填的姓名为空")
        return True

    def _not_in_choices(self, t: int) -> bool:
        members = self.towns[t].frames["members"]
        row = self._pick(t, "members", (members["relation"] == "子女").to_numpy() & self._free_members(t))
        if row is None:
            return False
        number = str(members.at[row, "id_number"])
        value = "儿子" if int(number[16]) % 2 else "女儿"
        self._set(t, "members", row, "relation", value)
        self._record("not_in_choices", t, "members", row, "relation", value,
                     "与户主关系不在可选值中（应为“子女”）")
        return True

    def _future_date(self, t: int) -> bool:
        aid = self.towns[t].frames["aid"]
        row = self._pick(t, "aid", aid["end_date"].isna().to_numpy())
        if row is None:
            return False
        start = aid.at[row, "start_date"]
        year = self.gen.year + 10
        value = pd.Timestamp(dt.date(year, start.month, min(start.day, 28)))
        aid.at[row, "start_date"] = value
        self._record("future_date", t, "aid", row, "start_date", value,
                     f"开始日期晚于核查基准日（年份误写为 {year}）")
        return True


def _mask(number: str) -> str:
    return number[:6] + "*" * 8 + number[-4:]


def _json_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, np.floating | float):
        return float(value)
    if isinstance(value, np.integer | int):
        return int(value)
    return str(value)


# -- writing ---------------------------------------------------------------------------------

def write_sample_county(out_dir: str | Path, *, townships: int = 4, households: int = 60,
                        seed: int = 0, policy: Policy,
                        rows: int | Mapping[str, int] | None = None) -> SampleResult:
    """Write a sample county into ``out_dir`` and return where everything went.

    Files: ``<乡镇>.xlsx`` per township (one in the township's own layout),
    ``县级监测户名单.xlsx``, ``manifest.json``, an owner lock file ``~$<乡镇>.xlsx``
    and ``说明.txt``. ``rows`` is handed to ``templates.write_township_workbook``
    (prepared formula rows; never fewer than the data).
    """
    from . import templates  # only needed for writing

    county = generate_county(townships=townships, households=households, seed=seed, policy=policy)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    workbooks: dict[str, Path] = {}
    for town in county.townships:
        path = out / town.file_name
        if town.layout == "own":
            write_own_workbook(path, town, county=county)
        else:
            templates.write_township_workbook(
                path, policy=policy, township=town.name, frames=town.frames,
                rows=rows, check_date=county.check_date,
            )
        workbooks[town.name] = path
    roster = write_roster(out / ROSTER_FILE, county.roster)
    manifest = out / MANIFEST_FILE
    with atomic_output(manifest) as tmp:
        tmp.write_text(json.dumps(county.manifest_document(), ensure_ascii=False, indent=2),
                       encoding="utf-8")
    locked = county.townships[0]
    lock = out / f"{LOCK_PREFIX}{locked.file_name}"
    # Excel's owner file: the user name as a length-prefixed string, padded.
    user = "fangpin".encode("ascii")
    lock.write_bytes(bytes([len(user)]) + user + b" " * (54 - len(user)))
    readme = out / README_FILE
    readme.write_text(_readme_text(county, workbooks), encoding="utf-8")
    return SampleResult(
        out_dir=out, workbooks=workbooks, roster=roster, manifest=manifest, lock_file=lock,
        readme=readme, counts=county.counts(), codes=county.codes,
        mistakes=len(county.manifest),
    )


def _readme_text(county: SampleCounty, workbooks: dict[str, Path]) -> str:
    own = next((t.name for t in county.townships if t.layout == "own"), None)
    lines = [
        f"{county.county}示例数据（{county.year} 年，核查基准日 {county.check_date.isoformat()}）",
        "",
        "本文件夹由 fangpin-xl 生成，数据均为虚构，仅供试用和测试。",
        f"乡镇工作簿 {len(workbooks)} 个；{ROSTER_FILE} 为县级监测户名单（每户一行）。",
        f"{MANIFEST_FILE} 列出了故意设置的错误及其所在文件、工作表和单元格，校验应能一一发现。",
    ]
    if own:
        lines.append(f"{own}.xlsx 为乡镇自行整理的格式（有标题行和说明行，列名用别名），用于检验按列名读取。")
    lines += [
        f"以 {LOCK_PREFIX} 开头的文件是 Excel 打开工作簿时留下的锁定文件，汇总时应跳过。",
        "",
    ]
    return "\n".join(lines)


def write_roster(path: str | Path, roster: pd.DataFrame) -> Path:
    """The county roster: one row per household, the 监测户 input headers on row 1."""
    path = Path(path)
    columns = schema.HOUSEHOLDS.input_columns
    with atomic_output(path) as tmp:
        wb = new_workbook(tmp, constant_memory=True)
        formats = Formats(wb)
        ws = wb.add_worksheet("监测户名单")
        for i, column in enumerate(columns):
            ws.set_column(i, i, column.width, formats.column(column))
            ws.write_string(0, i, column.header, formats.header)
        values = [column_values(c, roster[c.key]) if c.key in roster.columns else [None] * len(roster)
                  for c in columns]
        for r, row in enumerate(zip(*values, strict=True), start=1):
            ws.write_row(r, 0, row)
        ws.freeze_panes(1, 0)
        wb.close()
    return path


def write_own_workbook(path: str | Path, town: SampleTownship, *, county: SampleCounty) -> Path:
    """A township's workbook in its own layout: title and note rows, synonym headers, no formulas."""
    path = Path(path)
    with atomic_output(path) as tmp:
        wb = new_workbook(tmp)
        formats = Formats(wb)
        note = wb.add_format({"italic": True, "font_color": "#595959"})
        blank = wb.add_format({"border": 1})
        for sheet in SHEETS:
            columns = sheet.input_columns
            frame = town.frames[sheet.key]
            header_row = town.header_row(sheet.key) - 1  # 0-based
            ws = wb.add_worksheet(sheet.name)
            for i, column in enumerate(columns):
                ws.set_column(i, i, column.width, formats.column(column))
            title = f"{county.county}{town.name}{sheet.name}台账（{county.year}年）"
            ws.merge_range(0, 0, 0, len(columns) - 1, title, formats.title)
            ws.write_string(1, 0, "说明：本表由乡镇自行整理；身份证号请按文本录入；金额单位为元。", note)
            if header_row >= 3:
                ws.write_string(2, 0, f"填报单位：{town.name}人民政府    填报日期：{county.check_date:%Y年%m月%d日}")
            for i, header in enumerate(town.headers(sheet.key)):
                ws.write_string(header_row, i, header, formats.header)
            values = [_own_values(c, frame[c.key]) for c in columns]
            for r, row in enumerate(zip(*values, strict=True), start=header_row + 1):
                ws.write_row(r, 0, row)
            if sheet.key == "members":
                for r in range(len(frame), len(frame) + OWN_TRAILING_BLANK_ROWS):
                    for i in range(len(columns)):
                        ws.write_blank(header_row + 1 + r, i, None, blank)
            ws.freeze_panes(header_row + 1, 0)
        wb.close()
    return path


def _own_values(column: schema.Column, values: pd.Series) -> list:
    """Cell values as ``column_values`` gives them, except that a number in an ID or phone
    column stays a number: what a township gets when it types one into a General cell."""
    out = column_values(column, values)
    if column.type in (schema.ID, schema.PHONE) and values.dtype == object:
        numbers = values.map(lambda v: isinstance(v, int | float | np.number) and not pd.isna(v))
        for i in np.nonzero(numbers.to_numpy(dtype=bool))[0]:
            out[i] = float(values.iloc[i])
    return out
