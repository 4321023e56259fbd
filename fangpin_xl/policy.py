"""Policy: every threshold, rate and table of one county-year.

The defaults follow the Handan mechanism (see DOMAIN.md). Anything the public
sources leave open (service-fee rate, payout table, the medical threshold for
突发严重困难户) is a parameter the county sets in its TOML file; the shipped
values are examples and say so.

This module does no I/O except ``load_policy``, which reads one file and
hands its text to ``parse_policy``.
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .errors import PolicyError

GROUPS: tuple[str, ...] = ("脱贫不稳定户", "边缘易致贫户", "突发严重困难户")
#: The group whose income condition is waived (national rule from 2021).
INCOME_WAIVED_GROUP = "突发严重困难户"

#: Spending kinds in the order they are shown, with the argument name used by
#: ``check_household`` and the English section name in the TOML file.
SPENDING_KINDS: tuple[str, ...] = ("因病", "因学", "因意外", "因产业")
KIND_FIELDS: dict[str, str] = {"因病": "medical", "因学": "education", "因意外": "accident", "因产业": "industry"}
FIELD_KINDS: dict[str, str] = {v: k for k, v in KIND_FIELDS.items()}

#: Chinese legal wording (Civil Code art. 1259): these include the number itself …
INCLUSIVE_WORDS = ("达到", "以上")
#: … and these exclude it.
EXCLUSIVE_WORDS = ("超过",)
OPERATOR_WORDS = INCLUSIVE_WORDS + EXCLUSIVE_WORDS

DEADLINE_MODES = ("工作日", "自然日")
PAYOUT_EXAMPLE_LABEL = "示例，以本县文件为准"

#: National rural poverty line, yuan per person per year at current prices.
DEFAULT_POVERTY_LINES: dict[int, float] = {
    2011: 2536, 2012: 2625, 2013: 2736, 2014: 2800, 2015: 2855, 2016: 2952,
    2017: 2952, 2018: 2995, 2019: 3218, 2020: 4000,
}
#: Years whose line was not confirmed by a public source (2020 is "about 4,000").
DEFAULT_UNCONFIRMED_YEARS: tuple[int, ...] = (2017, 2018, 2020)
LAST_NATIONAL_LINE_YEAR = 2020

#: From 2021 each province sets its monitoring range; these two are published examples.
DEFAULT_MONITORING: dict[str, dict[int, float]] = {
    "贵州": {2023: 7300},
    "福建": {2023: 10560},
}


@dataclass(frozen=True)
class SpendingRule:
    """One spending condition: ``amount <operator> threshold[group]``."""

    kind: str
    operator: str
    thresholds: dict[str, float]

    @property
    def inclusive(self) -> bool:
        return self.operator in INCLUSIVE_WORDS

    def threshold(self, group: str) -> float:
        return self.thresholds[group]


@dataclass(frozen=True)
class PayoutTable:
    """Progressive relief: bands of the amount *above the threshold*.

    ``bands`` is a tuple of ``(start, ratio)`` sorted by start, the first
    starting at 0; the band runs up to the next start. ``cap`` limits the
    result of this kind (the overall ``max_relief`` applies as well).
    """

    bands: tuple[tuple[float, float], ...]
    cap: float | None = None
    label: str = PAYOUT_EXAMPLE_LABEL


@dataclass(frozen=True)
class Policy:
    """The parameters of one county-year. Build it with ``load_policy``."""

    year: int = LAST_NATIONAL_LINE_YEAR
    county: str = "魏县"
    province: str = "河北"
    income_multiplier: float = 1.5
    poverty_lines: dict[int, float] = field(default_factory=lambda: dict(DEFAULT_POVERTY_LINES))
    unconfirmed_years: tuple[int, ...] = DEFAULT_UNCONFIRMED_YEARS
    monitoring_thresholds: dict[str, dict[int, float]] = field(
        default_factory=lambda: {p: dict(v) for p, v in DEFAULT_MONITORING.items()}
    )
    spending: dict[str, SpendingRule] = field(default_factory=lambda: default_spending_rules())
    deadline_days: int = 15
    deadline_mode: str = "工作日"
    notice_days: int = 5
    max_relief: float = 200_000
    premium_per_person: float = 50
    coverage_rate: float = 0.10
    service_fee_rate: float = 0.05
    visit_interval_months: int = 3
    spending_window_months: int = 12
    payout_tables: dict[str, PayoutTable] = field(default_factory=lambda: default_payout_tables())
    #: Per-group overrides of a kind's payout table, keyed "因病/边缘易致贫户".
    payout_group_tables: dict[str, PayoutTable] = field(default_factory=dict)
    #: County holiday sheet for years the calendar library does not cover.
    extra_holidays: tuple[dt.date, ...] = ()
    extra_workdays: tuple[dt.date, ...] = ()

    # -- derived values ---------------------------------------------------
    def income_threshold(self, year: int | None = None) -> float:
        """Per-capita income at or below which the income condition holds."""
        year = self.year if year is None else int(year)
        if year <= LAST_NATIONAL_LINE_YEAR:
            line = self.poverty_lines.get(year)
            if line is None:
                raise PolicyError(
                    f"没有 {year} 年的国家贫困标准：请在参数文件 [income.poverty_line] 中添加 {year} = 金额。"
                )
            return round(line * self.income_multiplier, 2)
        table = self.monitoring_thresholds.get(self.province, {})
        if year not in table:
            raise PolicyError(
                f"没有 {self.province} {year} 年的防返贫监测标准：请在参数文件 "
                f'[income.monitoring."{self.province}"] 中添加 {year} = 金额（元/人/年）。'
            )
        return float(table[year])

    def income_threshold_confirmed(self, year: int | None = None) -> bool:
        year = self.year if year is None else int(year)
        return year > LAST_NATIONAL_LINE_YEAR or year not in self.unconfirmed_years

    def spending_threshold(self, kind: str, group: str) -> float:
        return self.spending[kind].threshold(group)

    def payout_table(self, kind: str, group: str | None = None) -> PayoutTable:
        if group is not None and f"{kind}/{group}" in self.payout_group_tables:
            return self.payout_group_tables[f"{kind}/{group}"]
        return self.payout_tables[kind]

    def for_year(self, year: int) -> Policy:
        """The same county policy for another year (checked like ``load_policy``)."""
        other = replace(self, year=int(year))
        other.income_threshold()
        return other


def default_spending_rules() -> dict[str, SpendingRule]:
    return {
        # 因病: hospital self-paid costs 达到 5,000 (脱贫不稳定户) / 20,000 (边缘易致贫户).
        # The public sources give no figure for 突发严重困难户; the stricter one is the default.
        "因病": SpendingRule("因病", "达到", {"脱贫不稳定户": 5000, "边缘易致贫户": 20000, "突发严重困难户": 20000}),
        "因学": SpendingRule("因学", "超过", dict.fromkeys(GROUPS, 8000)),
        "因意外": SpendingRule("因意外", "超过", dict.fromkeys(GROUPS, 10000)),
        "因产业": SpendingRule("因产业", "超过", dict.fromkeys(GROUPS, 5000)),
    }


def default_payout_tables() -> dict[str, PayoutTable]:
    # Chosen so that the two published payouts come out exactly: 41,040 self-paid
    # (脱贫不稳定户) gives 6,208; 99,493 gives 22,348 (about 100,000, Julu County).
    bands = ((0.0, 0.10), (10000.0, 0.20), (50000.0, 0.30))
    return {kind: PayoutTable(bands) for kind in SPENDING_KINDS}


# -- TOML ----------------------------------------------------------------

_SECTIONS: dict[str, tuple[str, ...]] = {
    "": ("county", "province", "year"),
    "income": ("multiplier", "poverty_line", "unconfirmed_years", "monitoring"),
    "spending": tuple(KIND_FIELDS.values()),
    "procedure": ("deadline_days", "deadline_mode", "notice_days", "max_relief"),
    "fund": ("premium_per_person", "coverage_rate", "service_fee_rate"),
    "followup": ("visit_interval_months", "spending_window_months"),
    "payout": tuple(KIND_FIELDS.values()),
    "calendar": ("holidays", "workdays"),
}


def load_policy(path: str | Path | None = None, *, year: int | None = None, county: str | None = None) -> Policy:
    """The policy in ``path`` (a TOML file), or the built-in defaults.

    ``year`` and ``county`` override the file. Raises ``PolicyError`` with a
    Chinese message naming the file and key when the file is unusable or the
    year has no known income threshold.
    """
    if path is None:
        policy = Policy()
    else:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise PolicyError(f"找不到参数文件 {path}。") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise PolicyError(f"无法读取参数文件 {path}：{exc}") from None
        policy = parse_policy(text, source=str(path))
    if county is not None:
        policy = replace(policy, county=county)
    if year is not None:
        policy = replace(policy, year=int(year))
    policy.income_threshold()
    return policy


def parse_policy(text: str, source: str = "参数文件") -> Policy:
    """Parse the TOML text of a policy file (missing keys keep their defaults)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{source} 不是有效的 TOML 格式：{exc}") from None
    reader = _Reader(source)
    reader.known_keys(data, "", _SECTIONS[""] + tuple(k for k in _SECTIONS if k))
    base = Policy()
    values: dict[str, Any] = {}
    if "county" in data:
        values["county"] = reader.text(data["county"], "county")
    if "province" in data:
        values["province"] = reader.text(data["province"], "province")
    if "year" in data:
        values["year"] = reader.integer(data["year"], "year", 2000, 2100)

    income = reader.section(data, "income")
    if "multiplier" in income:
        values["income_multiplier"] = reader.number(income["multiplier"], "income.multiplier", 0.1, 10)
    if "poverty_line" in income:
        values["poverty_lines"] = reader.year_table(income["poverty_line"], "income.poverty_line")
    if "unconfirmed_years" in income:
        years = income["unconfirmed_years"]
        if not isinstance(years, list):
            reader.fail("income.unconfirmed_years", "应为年份列表，例如 [2017, 2018]")
        values["unconfirmed_years"] = tuple(
            reader.integer(y, "income.unconfirmed_years", 2000, 2100) for y in years
        )
    if "monitoring" in income:
        monitoring = income["monitoring"]
        if not isinstance(monitoring, dict):
            reader.fail("income.monitoring", '应为按省份的表，例如 [income.monitoring."河北"] 2023 = 7000')
        merged = {p: dict(v) for p, v in base.monitoring_thresholds.items()}
        for province, table in monitoring.items():
            merged.setdefault(province, {}).update(
                reader.year_table(table, f'income.monitoring."{province}"')
            )
        values["monitoring_thresholds"] = merged

    spending_section = reader.section(data, "spending")
    rules = dict(base.spending)
    for name, kind in FIELD_KINDS.items():
        if name in spending_section:
            rules[kind] = reader.spending_rule(spending_section[name], kind, f"spending.{name}", rules[kind])
    values["spending"] = rules

    procedure = reader.section(data, "procedure")
    if "deadline_days" in procedure:
        values["deadline_days"] = reader.integer(procedure["deadline_days"], "procedure.deadline_days", 1, 365)
    if "deadline_mode" in procedure:
        values["deadline_mode"] = reader.choice(procedure["deadline_mode"], "procedure.deadline_mode", DEADLINE_MODES)
    if "notice_days" in procedure:
        values["notice_days"] = reader.integer(procedure["notice_days"], "procedure.notice_days", 1, 60)
    if "max_relief" in procedure:
        values["max_relief"] = reader.number(procedure["max_relief"], "procedure.max_relief", 0, 10_000_000)

    fund = reader.section(data, "fund")
    if "premium_per_person" in fund:
        values["premium_per_person"] = reader.number(fund["premium_per_person"], "fund.premium_per_person", 0, 100_000)
    if "coverage_rate" in fund:
        values["coverage_rate"] = reader.number(fund["coverage_rate"], "fund.coverage_rate", 0, 1)
    if "service_fee_rate" in fund:
        values["service_fee_rate"] = reader.number(fund["service_fee_rate"], "fund.service_fee_rate", 0, 1)

    followup = reader.section(data, "followup")
    if "visit_interval_months" in followup:
        values["visit_interval_months"] = reader.integer(
            followup["visit_interval_months"], "followup.visit_interval_months", 1, 12
        )
    if "spending_window_months" in followup:
        values["spending_window_months"] = reader.integer(
            followup["spending_window_months"], "followup.spending_window_months", 1, 60
        )

    payout_section = reader.section(data, "payout")
    tables = dict(base.payout_tables)
    group_tables: dict[str, PayoutTable] = {}
    for name, kind in FIELD_KINDS.items():
        if name not in payout_section:
            continue
        raw = payout_section[name]
        if not isinstance(raw, dict):
            reader.fail(f"payout.{name}", "应为表，含 bands 与可选的 cap、label")
        tables[kind] = reader.payout_table(
            {k: v for k, v in raw.items() if k not in GROUPS}, f"payout.{name}", tables[kind]
        )
        for group in GROUPS:
            if group in raw:
                group_tables[f"{kind}/{group}"] = reader.payout_table(
                    raw[group], f'payout.{name}."{group}"', tables[kind]
                )
    values["payout_tables"] = tables
    values["payout_group_tables"] = group_tables

    calendar = reader.section(data, "calendar")
    if "holidays" in calendar:
        values["extra_holidays"] = reader.dates(calendar["holidays"], "calendar.holidays")
    if "workdays" in calendar:
        values["extra_workdays"] = reader.dates(calendar["workdays"], "calendar.workdays")
    return replace(base, **values)


class _Reader:
    """Type checks for policy values; every failure names the file and the key."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, key: str, expected: str):
        raise PolicyError(f"{self.source} 中的 {key} 有误：{expected}。")

    def known_keys(self, table: dict, prefix: str, allowed: tuple[str, ...]):
        for key in table:
            if key not in allowed:
                where = f"[{prefix}] 中" if prefix else "顶层"
                raise PolicyError(
                    f"{self.source} {where}有不认识的参数 {key}；可用的参数：{'、'.join(allowed)}。"
                )

    def section(self, data: dict, name: str) -> dict:
        table = data.get(name, {})
        if not isinstance(table, dict):
            self.fail(name, "应为一个表（[" + name + "]）")
        self.known_keys(table, name, _SECTIONS[name])
        return table

    def text(self, value, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(key, "应为非空文字")
        return value.strip()

    def number(self, value, key: str, low: float, high: float) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            self.fail(key, f"应为 {low:g} 到 {high:g} 之间的数字，现为 {value!r}")
        if not low <= value <= high:
            self.fail(key, f"应在 {low:g} 到 {high:g} 之间，现为 {value:g}")
        return float(value)

    def integer(self, value, key: str, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(key, f"应为 {low} 到 {high} 之间的整数，现为 {value!r}")
        if not low <= value <= high:
            self.fail(key, f"应在 {low} 到 {high} 之间，现为 {value}")
        return int(value)

    def choice(self, value, key: str, allowed: tuple[str, ...]) -> str:
        if value not in allowed:
            self.fail(key, f"可选值为 {'、'.join(allowed)}，现为 {value!r}")
        return value

    def year_table(self, value, key: str) -> dict[int, float]:
        if not isinstance(value, dict):
            self.fail(key, "应为 年份 = 金额 的表，例如 2019 = 3218")
        table = {}
        for year, amount in value.items():
            if not str(year).isdigit():
                self.fail(key, f"键 {year} 应为四位年份")
            table[int(year)] = self.number(amount, f"{key}.{year}", 0, 1_000_000)
        return table

    def spending_rule(self, value, kind: str, key: str, default: SpendingRule) -> SpendingRule:
        if not isinstance(value, dict):
            self.fail(key, "应为表，含 operator 与 threshold")
        self.known_keys(value, key, ("operator", "threshold"))
        operator = default.operator
        if "operator" in value:
            operator = self.choice(value["operator"], f"{key}.operator", OPERATOR_WORDS)
        thresholds = dict(default.thresholds)
        if "threshold" in value:
            raw = value["threshold"]
            if isinstance(raw, dict):
                for group, amount in raw.items():
                    self.choice(group, f"{key}.threshold 的户类型", GROUPS)
                    thresholds[group] = self.number(amount, f'{key}.threshold."{group}"', 0, 10_000_000)
            else:
                thresholds = dict.fromkeys(GROUPS, self.number(raw, f"{key}.threshold", 0, 10_000_000))
        return SpendingRule(kind, operator, thresholds)

    def payout_table(self, value, key: str, default: PayoutTable) -> PayoutTable:
        if not isinstance(value, dict):
            self.fail(key, "应为表，含 bands 与可选的 cap、label")
        self.known_keys(value, key, ("bands", "cap", "label"))
        bands = default.bands
        if "bands" in value:
            raw = value["bands"]
            if not isinstance(raw, list) or not raw:
                self.fail(f"{key}.bands", "应为 [[起点, 比例], …] 的列表，起点从 0 开始递增，比例在 0 到 1 之间")
            parsed = []
            for item in raw:
                if not isinstance(item, list) or len(item) != 2:
                    self.fail(f"{key}.bands", f"每一档应为 [起点, 比例]，现为 {item!r}")
                parsed.append(
                    (self.number(item[0], f"{key}.bands 的起点", 0, 100_000_000),
                     self.number(item[1], f"{key}.bands 的比例", 0, 1))
                )
            starts = [start for start, _ in parsed]
            if starts[0] != 0 or any(b <= a for a, b in zip(starts, starts[1:], strict=False)):
                self.fail(f"{key}.bands", "起点应从 0 开始并严格递增")
            bands = tuple(parsed)
        cap = default.cap
        if "cap" in value:
            cap = self.number(value["cap"], f"{key}.cap", 0, 100_000_000)
        label = self.text(value["label"], f"{key}.label") if "label" in value else default.label
        return PayoutTable(bands, cap, label)

    def dates(self, value, key: str) -> tuple[dt.date, ...]:
        if not isinstance(value, list):
            self.fail(key, "应为日期列表，例如 [2027-01-01, 2027-02-05]")
        out = []
        for item in value:
            if isinstance(item, dt.datetime):
                item = item.date()
            if not isinstance(item, dt.date):
                self.fail(key, f"{item!r} 不是日期（写成 2027-01-01，不加引号）")
            out.append(item)
        return tuple(sorted(set(out)))


# -- rendering -------------------------------------------------------------

def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def policy_to_toml(policy: Policy) -> str:
    """The policy as a commented TOML file a county office edits."""
    out = [
        "# 精准防贫参数文件（fangpin-xl）",
        "# 修改后用 `fangpin-xl policy show --policy 本文件` 检查；各项均可按本县文件调整。",
        "",
        "# 县（市、区）名称、所在省份、参数年度",
        f'county = "{policy.county}"',
        f'province = "{policy.province}"',
        f"year = {policy.year}",
        "",
        "[income]",
        "# 收入条件：家庭年人均可支配收入 不高于（以下，含本数）国家贫困标准 × 倍数（2020 年及以前）",
        f"multiplier = {_num(policy.income_multiplier)}",
        "# 未经公开文件核实的年度（显示时加注）",
        f"unconfirmed_years = [{', '.join(str(y) for y in policy.unconfirmed_years)}]",
        "",
        "[income.poverty_line]",
        "# 国家农村贫困标准，元/人/年，现价",
    ]
    out += [f"{year} = {_num(amount)}" for year, amount in sorted(policy.poverty_lines.items())]
    out += ["", "# 2021 年起各省确定防返贫监测范围（元/人/年，直接作为收入标准，不再乘倍数）"]
    for province, table in sorted(policy.monitoring_thresholds.items()):
        out.append(f'[income.monitoring."{province}"]')
        out += [f"{year} = {_num(amount)}" for year, amount in sorted(table.items())]
        out.append("")
    out += [
        "# 支出条件（满足任一）。operator：达到/以上 含本数，超过 不含本数（民法典第1259条）",
        "# threshold 可为一个数（各户类型相同），或按户类型分别设置",
    ]
    for kind in SPENDING_KINDS:
        rule = policy.spending[kind]
        out.append(f"[spending.{KIND_FIELDS[kind]}]  # {kind}")
        out.append(f'operator = "{rule.operator}"')
        values = set(rule.thresholds.values())
        if len(values) == 1:
            out.append(f"threshold = {_num(values.pop())}")
        else:
            inner = ", ".join(f'"{g}" = {_num(rule.thresholds[g])}' for g in GROUPS)
            out.append(f"threshold = {{ {inner} }}")
        out.append("")
    out += [
        "[procedure]",
        "# 救助程序时限及单位（工作日 或 自然日）；公示天数；单案救助上限（元）",
        f"deadline_days = {policy.deadline_days}",
        f'deadline_mode = "{policy.deadline_mode}"',
        f"notice_days = {policy.notice_days}",
        f"max_relief = {_num(policy.max_relief)}",
        "",
        "[fund]",
        "# 保费 = 农村人口 × 投保比例 × 每人保费；服务费 = 当年救助总额 × 服务费率（费率以合同为准）",
        f"premium_per_person = {_num(policy.premium_per_person)}",
        f"coverage_rate = {_num(policy.coverage_rate)}",
        f"service_fee_rate = {_num(policy.service_fee_rate)}",
        "",
        "[followup]",
        "# 帮扶回访间隔（月）；支出统计期（月，自核查日往前）",
        f"visit_interval_months = {policy.visit_interval_months}",
        f"spending_window_months = {policy.spending_window_months}",
        "",
        "# 救助金额表：按超过支出标准的部分分档计算，每档 [起点, 比例]；cap 为该类封顶（可省略）",
        f"# 以下为{PAYOUT_EXAMPLE_LABEL}。可在某类下加 [payout.medical.\"边缘易致贫户\"] 为该户类型单设一表。",
    ]
    for kind in SPENDING_KINDS:
        out += _payout_lines(f"payout.{KIND_FIELDS[kind]}", kind, policy.payout_tables[kind])
    for key, table in sorted(policy.payout_group_tables.items()):
        kind, group = key.split("/")
        out += _payout_lines(f'payout.{KIND_FIELDS[kind]}."{group}"', f"{kind} {group}", table)
    out += [
        "[calendar]",
        "# 日历库未覆盖的年度：本县补充的放假日与调休上班日（不加引号的日期）",
        f"holidays = [{', '.join(d.isoformat() for d in policy.extra_holidays)}]",
        f"workdays = [{', '.join(d.isoformat() for d in policy.extra_workdays)}]",
        "",
    ]
    return "\n".join(out)


def _payout_lines(section: str, title: str, table: PayoutTable) -> list[str]:
    lines = [f"[{section}]  # {title}", f'label = "{table.label}"']
    lines.append("bands = [" + ", ".join(f"[{_num(s)}, {_num(r)}]" for s, r in table.bands) + "]")
    if table.cap is not None:
        lines.append(f"cap = {_num(table.cap)}")
    lines.append("")
    return lines


def format_bands(bands: tuple[tuple[float, float], ...]) -> str:
    """Bands as one line of text, e.g. ``0:10%；10000:20%``."""
    return "；".join(f"{_num(start)}元起 {ratio * 100:g}%" for start, ratio in bands)


def policy_rows(policy: Policy) -> list[tuple[str, str, Any]]:
    """The policy of its year as (key, Chinese label, value) rows.

    This is what the 参数 sheet of a workbook shows and what is read back
    from it to compare townships with the county.
    """
    rows: list[tuple[str, str, Any]] = [
        ("county", "县（市、区）", policy.county),
        ("province", "省份", policy.province),
        ("year", "参数年度", policy.year),
        ("income.threshold", "收入标准（元/人/年，含本数）", policy.income_threshold()),
    ]
    for kind in SPENDING_KINDS:
        rule = policy.spending[kind]
        rows.append((f"spending.{KIND_FIELDS[kind]}.operator", f"{kind}支出比较方式", rule.operator))
        for group in GROUPS:
            rows.append(
                (f"spending.{KIND_FIELDS[kind]}.{group}", f"{kind}支出标准·{group}（元）", rule.thresholds[group])
            )
    rows += [
        ("procedure.deadline_days", "救助程序时限", policy.deadline_days),
        ("procedure.deadline_mode", "时限单位", policy.deadline_mode),
        ("procedure.notice_days", "公示天数（至少）", policy.notice_days),
        ("procedure.max_relief", "单案救助上限（元）", policy.max_relief),
        ("fund.premium_per_person", "每人保费（元）", policy.premium_per_person),
        ("fund.coverage_rate", "投保比例", policy.coverage_rate),
        ("fund.service_fee_rate", "服务费率", policy.service_fee_rate),
        ("followup.visit_interval_months", "回访间隔（月）", policy.visit_interval_months),
        ("followup.spending_window_months", "支出统计期（月）", policy.spending_window_months),
    ]
    for kind in SPENDING_KINDS:
        table = policy.payout_tables[kind]
        rows.append((f"payout.{KIND_FIELDS[kind]}.bands", f"{kind}救助分档（{table.label}）", format_bands(table.bands)))
        rows.append((f"payout.{KIND_FIELDS[kind]}.cap", f"{kind}救助封顶（元，空为不设）", table.cap))
    return rows


def policy_differences(expected: Policy, found: dict[str, Any]) -> list[tuple[str, str, Any, Any]]:
    """Rows of ``expected`` whose value differs from ``found`` (key → value).

    Numbers are compared as numbers, so 5000 and "5000" and 5000.0 agree.
    Returns (key, label, expected value, found value); a key missing from
    ``found`` is reported with found value ``None``.
    """
    diffs = []
    for key, label, value in policy_rows(expected):
        other = found.get(key)
        if not _same_value(value, other):
            diffs.append((key, label, value, other))
    return diffs


def _same_value(a: Any, b: Any) -> bool:
    if a is None or b is None or a == "" or b == "":
        return (a in (None, "")) and (b in (None, ""))
    try:
        return math.isclose(float(a), float(b), rel_tol=0, abs_tol=1e-9)
    except (TypeError, ValueError):
        return str(a).strip() == str(b).strip()


def write_policy_file(path: str | Path, *, year: int | None = None, county: str | None = None,
                      overwrite: bool = False) -> Path:
    """Write the commented default policy (for ``year``/``county``) to ``path``."""
    from .files import atomic_write_text

    path = Path(path)
    if path.exists() and not overwrite:
        raise PolicyError(f"文件 {path} 已存在；如需覆盖请加 --force。")
    policy = load_policy(year=year, county=county)
    return atomic_write_text(path, policy_to_toml(policy))


def parse_bands(text: str) -> tuple[tuple[float, float], ...]:
    """Inverse of ``format_bands``: ``0元起 10%；10000元起 20%`` → ((0, 0.1), (10000, 0.2))."""
    bands = []
    for part in str(text).replace(";", "；").split("；"):
        part = part.strip()
        if not part:
            continue
        start, _, ratio = part.partition("元起")
        bands.append((float(start.strip()), round(float(ratio.strip().rstrip("%")) / 100, 10)))
    if not bands:
        raise ValueError(text)
    return tuple(bands)


def policy_from_values(values: dict[str, Any], source: str = "参数表") -> Policy:
    """Rebuild the policy of one year from ``policy_rows`` values (a 参数 sheet).

    The result has exactly those rows, so a workbook can be checked by the
    parameters it was issued with. Values the sheet lacks keep the defaults;
    a value that cannot be read raises ``PolicyError`` naming the key.
    """
    reader = _Reader(source)
    base = Policy()
    labels = {key: label for key, label, _ in policy_rows(base)}

    def get(key, convert):
        value = values.get(key)
        if value is None or value == "":
            return None
        try:
            return convert(value)
        except (TypeError, ValueError):
            reader.fail(f"{labels.get(key, key)}（{key}）", f"无法读取的值 {value!r}")

    year = get("year", lambda v: int(float(v))) or base.year
    province = get("province", str) or base.province
    changes: dict[str, Any] = {"year": year, "province": province}
    if (county := get("county", str)) is not None:
        changes["county"] = county
    threshold = get("income.threshold", float)
    if threshold is not None:
        if year <= LAST_NATIONAL_LINE_YEAR:
            changes["poverty_lines"] = {**base.poverty_lines, year: threshold / base.income_multiplier}
        else:
            changes["monitoring_thresholds"] = {**base.monitoring_thresholds, province: {year: threshold}}
    rules = {}
    for kind, name in KIND_FIELDS.items():
        rule = base.spending[kind]
        operator = get(f"spending.{name}.operator", str) or rule.operator
        reader.choice(operator, f"spending.{name}.operator", OPERATOR_WORDS)
        thresholds = {
            group: get(f"spending.{name}.{group}", float) or rule.thresholds[group] for group in GROUPS
        }
        rules[kind] = SpendingRule(kind, operator, thresholds)
    changes["spending"] = rules
    scalar_keys = {
        "procedure.deadline_days": ("deadline_days", int),
        "procedure.notice_days": ("notice_days", int),
        "procedure.max_relief": ("max_relief", float),
        "fund.premium_per_person": ("premium_per_person", float),
        "fund.coverage_rate": ("coverage_rate", float),
        "fund.service_fee_rate": ("service_fee_rate", float),
        "followup.visit_interval_months": ("visit_interval_months", int),
        "followup.spending_window_months": ("spending_window_months", int),
    }
    for key, (attr, convert) in scalar_keys.items():
        value = get(key, lambda v, c=convert: c(float(v)))
        if value is not None:
            changes[attr] = value
    mode = get("procedure.deadline_mode", str)
    if mode is not None:
        changes["deadline_mode"] = reader.choice(mode, "procedure.deadline_mode", DEADLINE_MODES)
    tables = {}
    for kind, name in KIND_FIELDS.items():
        default = base.payout_tables[kind]
        bands = get(f"payout.{name}.bands", parse_bands) or default.bands
        cap = get(f"payout.{name}.cap", float)
        tables[kind] = PayoutTable(bands, cap, default.label)
    changes["payout_tables"] = tables
    policy = replace(base, **changes)
    policy.income_threshold()
    return policy
