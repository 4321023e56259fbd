"""The policy parameters, each declared once.

``PARAMS`` is the one table of every parameter of ``policy.Policy``: its key
(the TOML path, and the 参数-sheet key or key prefix), Chinese label, the
``Policy`` attribute it sets, its codec (type and limits, ``policy_codecs``),
unit, TOML comment, whether the shipped value is only an example, and in
which 参数-sheet format its rows first appeared. ``policy.py`` drives TOML
reading and writing, the 参数 rows and reading a 参数 sheet back from this
table alone, so a limit is the same wherever a value comes from.
"""

from __future__ import annotations

from dataclasses import dataclass

from .policy_codecs import (
    SHEET_V1,
    SHEET_V2,
    AreaCodes,
    Choice,
    Codec,
    DateList,
    Divisor,
    IncomeThreshold,
    Number,
    ProvinceYearTable,
    Spending,
    Text,
    YearList,
    YearTable,
)
from .policy_payout import Payout
from .policy_values import DEADLINE_MODES, KIND_FIELDS, PAYOUT_EXAMPLE_LABEL, SPENDING_KINDS

_MONEY = 10_000_000

# -- the declaration table ---------------------------------------------------------------------

@dataclass(frozen=True)
class Param:
    """One policy parameter.

    ``key`` is the TOML path (``section.name``; no dot: a top-level key) and
    the 参数 row key or key prefix; ``attr`` the ``Policy`` attribute (None:
    the codec sets what it needs); ``comment`` the Chinese TOML comment;
    ``example``: the shipped value is only an example, written commented out
    until the county sets it; ``since``: the 参数-sheet format of its rows.
    """

    key: str
    label: str
    attr: str | None
    codec: Codec
    comment: str = ""
    unit: str = ""
    example: bool = False
    since: int = SHEET_V1

    @property
    def section(self) -> str:
        return self.key.rpartition(".")[0]

    @property
    def name(self) -> str:
        return self.key.rpartition(".")[2]

    @property
    def attribute(self) -> str:
        if self.attr is None:
            raise TypeError(f"{self.key} sets no single attribute")
        return self.attr

    def toml_comment(self) -> list[str]:
        """The comment lines above the parameter in the TOML file."""
        unit = f"单位：{self.unit}" if self.unit else ""
        detail = "；".join(part for part in (self.codec.describe(), unit) if part)
        text = f"{self.comment}（{detail}）" if self.comment and detail else self.comment or detail
        return [f"# {text}"] if text else []


#: (section, Chinese comment above it) in the order of the TOML file.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("", ""),
    ("income", "收入条件：家庭年人均可支配收入 不高于（以下，含本数）收入标准"),
    ("spending", "支出条件（满足任一）。operator：达到/以上 含本数，超过 不含本数（民法典第1259条）；"
                 "threshold 可为一个数（各户类型相同），或按户类型分别设置"),
    ("procedure", "救助程序"),
    ("fund", "防贫保险基金：保费 = 农村人口 × 投保比例 × 每人保费"),
    ("followup", "帮扶回访与支出统计"),
    ("payout", f"救助金额表：按超过支出标准的部分分档计算，每档 [起点, 比例]；cap 为该类封顶。"
               f"以下为{PAYOUT_EXAMPLE_LABEL}。可在某类下加 [payout.medical.\"边缘易致贫户\"] 为该户类型单设一表"),
    ("calendar", "日历：日历库未覆盖的年度，本县补充的放假日与调休上班日"),
    ("ids", "身份证号"),
)

PARAMS: tuple[Param, ...] = (
    Param("county", "县（市、区）", "county", Text(), "县（市、区）名称"),
    Param("province", "省份", "province", Text(), "所在省份（2021 年起按省份查防返贫监测标准）"),
    Param("year", "参数年度", "year", Number(2000, 2100, integer=True), "参数年度"),
    Param("income.threshold", "收入标准（元/人/年，含本数）", None, IncomeThreshold(),
          unit="元/人/年"),
    Param("income.multiplier", "收入标准倍数（2020年及以前）", "income_multiplier", Number(0.1, 10),
          "2020 年及以前：收入标准 = 国家农村贫困标准 × 倍数", since=SHEET_V2),
    Param("income.unconfirmed_years", "未经公开文件核实的贫困标准年度", "unconfirmed_years", YearList(),
          "国家贫困标准未经公开文件核实的年度（显示时加注）", since=SHEET_V2),
    Param("income.poverty_line", "国家农村贫困标准（元/人/年，按年度）", "poverty_lines", YearTable(),
          "国家农村贫困标准，现价", unit="元/人/年", since=SHEET_V2),
    Param("income.monitoring", "各省防返贫监测标准（元/人/年）", "monitoring_thresholds", ProvinceYearTable(),
          "2021 年起各省每年确定防返贫监测范围，直接作为收入标准，不再乘倍数", unit="元/人/年",
          since=SHEET_V2),
    *(Param(f"spending.{KIND_FIELDS[kind]}", f"{kind}支出条件", None, Spending(kind))
      for kind in SPENDING_KINDS),
    Param("procedure.deadline_days", "救助程序时限", "deadline_days", Number(1, 365, integer=True),
          "从发现到实施救助的最长时限，单位见 deadline_mode"),
    Param("procedure.deadline_mode", "时限单位", "deadline_mode", Choice(DEADLINE_MODES), "时限按工作日还是自然日计算"),
    Param("procedure.notice_days", "公示天数（至少）", "notice_days", Number(1, 60, integer=True),
          "乡村评议公示至少天数", unit="天"),
    Param("procedure.max_relief", "单案救助上限（元）", "max_relief", Number(0, _MONEY), "单案救助上限",
          unit="元"),
    Param("fund.premium_per_person", "每人保费（元）", "premium_per_person", Number(0, 100_000),
          "每人保费", unit="元"),
    Param("fund.coverage_rate", "投保比例", "coverage_rate", Number(0, 1), "投保人数占农村人口的比例"),
    Param("fund.service_fee_rate", "服务费率", "service_fee_rate", Number(0, 1),
          "保险公司服务费 = 当年救助总额 × 服务费率，费率以合同为准", example=True),
    Param("followup.visit_interval_months", "回访周期（月）", "visit_interval_months",
          Divisor(1, 12, integer=True),
          "每户每个回访周期至少回访一次，按日历计：3 为每个季度（1–3 月、4–6 月……），1 为每月，6 为每半年",
          unit="月"),
    Param("followup.spending_window_months", "支出统计期（月）", "spending_window_months",
          Number(1, 60, integer=True), "支出统计期，自发现日往前", unit="月"),
    Param("followup.max_households_per_helper", "每名帮扶人每季度可回访户数", "max_households_per_helper",
          Number(1, 1000, integer=True), "一名帮扶人一个季度能回访的户数，超过时提示增派帮扶人", unit="户",
          since=SHEET_V2),
    Param("followup.problem_open_days", "问题久未解决天数", "problem_open_days",
          Number(1, 365, integer=True), "两不愁三保障问题超过这些天仍未解决的，列为久未解决", unit="天",
          since=SHEET_V2),
    *(Param(f"payout.{KIND_FIELDS[kind]}", f"{kind}救助分档", None, Payout(kind))
      for kind in SPENDING_KINDS),
    Param("calendar.holidays", "本县补充的放假日", "extra_holidays", DateList(),
          "放假日，日期不加引号", since=SHEET_V2),
    Param("calendar.workdays", "本县补充的调休上班日", "extra_workdays", DateList(),
          "调休上班日（周末上班）", since=SHEET_V2),
    Param("calendar.complete_years", "本县放假安排已填全的年度", "complete_calendar_years", YearList(),
          "本县已把全年放假日与调休上班日填全的年度", since=SHEET_V2),
    Param("ids.normal_areas", "本县视为正常的外地地区代码", "normal_areas", AreaCodes(),
          "除邯郸本地外，本县视为正常的身份证地区代码或代码开头（如邻省通婚多的 41 河南、37 山东）",
          since=SHEET_V2),
)

PARAM_KEYS: dict[str, Param] = {p.key: p for p in PARAMS}
