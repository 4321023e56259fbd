"""The sample county's public vocabulary: constants, the result dataclasses and the
header a township's own layout uses.

See ``fangpin_xl.demo`` for what the sample county is and what ``manifest.json`` holds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .. import schema
from ..schema import SHEETS_BY_KEY
from ..text import column_letter

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


def own_header(sheet: schema.Sheet, column: schema.Column) -> str:
    """The header a township's own sheet uses: the first synonym no other column claims."""
    taken = {name for other in sheet.columns if other.key != column.key for name in other.names}
    for name in column.synonyms:
        if name != column.header and name not in taken:
            return name
    return column.header
