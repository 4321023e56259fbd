"""Policy: every threshold, rate and table of one county-year.

The defaults follow the Handan mechanism (see DOMAIN.md). Anything the public
sources leave open (service-fee rate, payout table, the medical threshold for
突发严重困难户) is a parameter the county sets in its TOML file; the shipped
values are examples and say so.

Each parameter is declared once, in ``policy_params.PARAMS`` (key, Chinese
label, codec with its limits, TOML comment); TOML reading and writing, the
参数 rows and reading a 参数 sheet back all walk that table.

This module does no I/O except ``load_policy``, which reads one file and
hands its text to ``parse_policy``, and ``write_policy_file``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .errors import PolicyError, os_reason
from .policy_codecs import SHEET_V1, Check, Row
from .policy_params import PARAMS, SECTIONS, Param
from .policy_values import (
    DEADLINE_MODES,
    EXCLUSIVE_WORDS,
    FIELD_KINDS,
    GROUPS,
    INCLUSIVE_WORDS,
    INCOME_WAIVED_GROUP,
    KIND_FIELDS,
    LAST_NATIONAL_LINE_YEAR,
    MONITORING_SOURCE,
    OPERATOR_WORDS,
    PAYOUT_EXAMPLE_LABEL,
    POVERTY_LINE_SOURCE,
    SPENDING_KINDS,
    UNFILLED,
    PayoutTable,
    SpendingRule,
    format_bands,
    parse_bands,
)

__all__ = [
    "DEADLINE_MODES", "DEFAULT_MONITORING", "DEFAULT_POVERTY_LINES", "DEFAULT_UNCONFIRMED_YEARS",
    "EXCLUSIVE_WORDS", "FIELD_KINDS", "GROUPS", "INCLUSIVE_WORDS", "INCOME_WAIVED_GROUP", "KIND_FIELDS",
    "LAST_NATIONAL_LINE_YEAR", "OPERATOR_WORDS", "PAYOUT_EXAMPLE_LABEL", "SPENDING_KINDS", "UNFILLED",
    "PayoutTable",
    "Policy", "SpendingRule", "default_payout_tables", "default_spending_rules", "format_bands",
    "load_policy", "parse_bands", "parse_policy", "policy_differences", "policy_from_values",
    "policy_rows", "policy_to_toml", "write_policy_file",
]

#: National rural poverty line, yuan per person per year at current prices.
DEFAULT_POVERTY_LINES: dict[int, float] = {
    2011: 2536, 2012: 2625, 2013: 2736, 2014: 2800, 2015: 2855, 2016: 2952,
    2017: 2952, 2018: 2995, 2019: 3218, 2020: 4000,
}
#: Years whose line was not confirmed by a public source (2020 is "about 4,000").
DEFAULT_UNCONFIRMED_YEARS: tuple[int, ...] = (2017, 2018, 2020)

#: From 2021 each province sets its monitoring range; these two are published examples.
DEFAULT_MONITORING: dict[str, dict[int, float]] = {
    "贵州": {2023: 7300},
    "福建": {2023: 10560},
}


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


@dataclass(frozen=True)
class Policy:
    """The parameters of one county-year. Build it with ``load_policy``.

    ``set_keys`` holds the ``policy_params.PARAMS`` keys the county gave in its
    TOML file or 参数 sheet (the rest are shipped defaults or examples). It is
    provenance, not a parameter: it takes no part in ``==``.
    """

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
    #: Households one helper can visit in a quarter.
    max_households_per_helper: int = 30
    #: Days after which an unresolved 两不愁三保障 problem is listed as long open.
    problem_open_days: int = 30
    payout_tables: dict[str, PayoutTable] = field(default_factory=lambda: default_payout_tables())
    #: Per-group overrides of a kind's payout table, keyed "因病/边缘易致贫户".
    payout_group_tables: dict[str, PayoutTable] = field(default_factory=dict)
    #: County holiday sheet for years the calendar library does not cover.
    extra_holidays: tuple[dt.date, ...] = ()
    extra_workdays: tuple[dt.date, ...] = ()
    #: Years whose county holiday sheet the county declares complete.
    complete_calendar_years: tuple[int, ...] = ()
    #: Area codes (or their first digits) the county regards as normal besides Handan's own.
    normal_areas: tuple[str, ...] = ()
    set_keys: frozenset[str] = field(default=frozenset(), compare=False)

    # -- derived values ---------------------------------------------------
    def missing_income_threshold(self, year: int | None = None) -> str | None:
        """Why the year has no income threshold (待填, a Chinese message), or None when it has one."""
        year = self.year if year is None else int(year)
        if year <= LAST_NATIONAL_LINE_YEAR:
            if year in self.poverty_lines:
                return None
            return (f"没有 {year} 年的国家贫困标准（{UNFILLED}）：请在参数文件 [income.poverty_line] 中"
                    f"填写 {year} = 金额（元/人/年）。{POVERTY_LINE_SOURCE}。")
        if year in self.monitoring_thresholds.get(self.province, {}):
            return None
        return (f"没有 {self.province} {year} 年的防返贫监测标准（{UNFILLED}）：请在参数文件 "
                f'[income.monitoring."{self.province}"] 中填写 {year} = 金额（元/人/年）。'
                f"{MONITORING_SOURCE}。")

    def income_threshold(self, year: int | None = None) -> float:
        """Per-capita income at or below which the income condition holds.

        Raises ``PolicyError`` (``missing_income_threshold``) when the year's figure is 待填.
        """
        year = self.year if year is None else int(year)
        missing = self.missing_income_threshold(year)
        if missing is not None:
            raise PolicyError(missing)
        if year <= LAST_NATIONAL_LINE_YEAR:
            return round(self.poverty_lines[year] * self.income_multiplier, 2)
        return float(self.monitoring_thresholds[self.province][year])

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
        """The same county policy for another year (like ``load_policy``, its threshold may be 待填)."""
        return replace(self, year=int(year))

    def given(self, key: str) -> bool:
        """Whether parameter ``key`` (``year``, ``county`` …) came from the county: an option, its
        TOML file or a 参数 sheet, not a built-in default."""
        return key in self.set_keys

    def require(self, *keys: str, where: str = "") -> None:
        """Raise ``PolicyError`` saying how to give each of ``keys`` the county has not given.

        Outside the sample county nothing defaults to the built-in county name or year.
        """
        hints = {
            "year": "参数年度：请用 --year 指定（如 --year 2025），或在参数文件中填写 year = 2025",
            "county": "县（市、区）名称：请用 --county 指定（如 --county 魏县），或在参数文件中填写 county = \"魏县\"",
        }
        missing = [hints.get(key, key) for key in keys if not self.given(key)]
        if missing:
            extra = f"，{where}" if where else ""
            raise PolicyError("无法确定" + "；".join(missing) + extra + "。")

    def unset_examples(self) -> tuple[str, ...]:
        """Keys of parameters whose shipped value is only an example and that the county has not set."""
        return tuple(p.key for p in PARAMS if p.example and p.key not in self.set_keys)


# -- reading a file ------------------------------------------------------------------

def load_policy(path: str | Path | None = None, *, year: int | None = None,
                county: str | None = None) -> Policy:
    """The policy in ``path`` (a TOML file), or the built-in defaults.

    ``year`` and ``county`` override the file. Raises ``PolicyError`` with a
    Chinese message naming the file and key when the file is unusable. The
    year's income threshold may still be 待填: whatever needs it calls
    ``Policy.income_threshold()``, which raises ``PolicyError`` saying where
    the figure comes from.
    """
    if path is None:
        policy = Policy()
    else:
        path = Path(path)
        policy = parse_policy(_read_text(path), source=str(path))
    if county is not None:
        policy = replace(policy, county=county, set_keys=policy.set_keys | {"county"})
    if year is not None:
        policy = replace(policy, year=int(year), set_keys=policy.set_keys | {"year"})
    return policy


def _read_text(path: Path) -> str:
    """The file's text: UTF-8 (with or without BOM), else GB18030 (Notepad on Chinese Windows)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise PolicyError(f"找不到参数文件 {path}。") from None
    except IsADirectoryError:
        raise PolicyError(f"参数文件 {path} 是文件夹，应为 .toml 文件。") from None
    except OSError as exc:
        raise PolicyError(f"无法读取参数文件 {path}：{os_reason(exc)}。") from None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise PolicyError(
        f"无法识别参数文件 {path} 的文字编码（既不是 UTF-8，也不是 GBK/GB18030）："
        "请用记事本打开，选择“另存为”，编码选“UTF-8”后保存，再重试。"
    )


_TOML_HINTS: tuple[tuple[str, str], ...] = (
    ("Invalid value", "值的写法不对：文字要加英文双引号，数字和日期不加引号，列表用方括号"),
    ("Expected '=' after a key", "参数名后面缺少等号“=”"),
    ("Invalid initial character for a key", "参数名只能用英文字母、数字和下划线，中文名要加英文双引号"),
    ("Invalid statement", "这一行无法识别：每行应为 参数名 = 值、[节名] 或以 # 开头的注释，参数名用英文"),
    ("Cannot declare", "同一节重复出现"),
    ("Cannot overwrite a value", "同一参数重复出现"),
    ("Duplicate inline table key", "同一参数重复出现"),
    ("Cannot redefine namespace", "同一节重复出现"),
    ("Cannot mutate immutable namespace", "同一参数重复出现"),
    ("Unclosed array", "方括号 [ ] 没有配对"),
    ("Unclosed inline table", "花括号 { } 没有配对"),
    ("Unterminated string", "引号没有配对（请用英文双引号 \"）"),
    ("Expected ']' at the end of a table", "节名缺少右方括号“]”"),
    ("Expected ']]' at the end of an array", "节名缺少右方括号“]]”"),
    ("Found invalid character", "有不允许的字符（可能是中文引号或全角符号）"),
    ("Illegal character", "有不允许的字符（可能是中文引号或全角符号）"),
    ("Invalid date or datetime", "日期无效（写成 2027-01-01）"),
    ("Expected newline or end of document", "一行只能写一个参数，这一行后面还有多余的内容（注释要以 # 开头）"),
    ("Unescaped '\\'", "文字中的反斜杠“\\”要写成“\\\\”"),
)


def _toml_error(text: str, source: str, exc: tomllib.TOMLDecodeError) -> PolicyError:
    message = str(exc)
    match = re.search(r"\(at line (\d+), column (\d+)\)", message)
    if match:
        where = f"第 {match.group(1)} 行第 {match.group(2)} 列"
    else:  # "(at end of document)"
        where = f"第 {max(1, len(text.splitlines()))} 行（文件末尾）"
    hint = next((hint for english, hint in _TOML_HINTS if message.startswith(english)), "请检查这一行的写法")
    return PolicyError(f"{source} 不是有效的 TOML 格式：{where}有错误，{hint}。（技术信息：{message}）")


def parse_policy(text: str, source: str = "参数文件") -> Policy:
    """Parse the TOML text of a policy file (missing keys keep their defaults)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _toml_error(text, source, exc) from None
    check = Check(source)
    sections = _toml_sections()
    check.known_keys(data, "", tuple(p.name for p in sections[""]) + tuple(s for s, _ in SECTIONS if s))
    policy = Policy()
    given = set()
    for section, params in sections.items():
        table = data
        if section:
            if section not in data:
                continue
            table = check.table(data[section], section, section, f"[{section}] 下的参数")
            check.known_keys(table, section, tuple(p.name for p in params))
        for p in params:
            if p.name in table:
                policy = p.codec.read_toml(p, table[p.name], check, policy)
                given.add(p.key)
    return replace(policy, set_keys=frozenset(given))


def _toml_sections() -> dict[str, list[Param]]:
    """The TOML parameters by section, in file order: ``name = value`` lines before [sub-tables]."""
    out: dict[str, list[Param]] = {section: [] for section, _ in SECTIONS}
    for p in PARAMS:
        if p.codec.in_toml:
            out[p.section].append(p)
    return {s: sorted(params, key=lambda p: not p.codec.inline) for s, params in out.items()}


# -- writing -------------------------------------------------------------------------

def policy_to_toml(policy: Policy) -> str:
    """The policy as a commented TOML file a county office edits.

    A parameter whose shipped value is only an example (``Param.example``) is
    written commented out while the county has not set it, so loading the file
    keeps it out of ``Policy.set_keys``.
    """
    default = Policy()
    out = [
        "# 精准防贫参数文件（fangpin-xl）",
        "# 修改后用 `fangpin-xl policy show --policy 本文件` 检查；各项均可按本县文件调整。",
        "# 保存时编码请选 UTF-8（记事本“另存为”）。文字加英文双引号，数字和日期不加引号。",
        "",
    ]
    comments = dict(SECTIONS)
    for section, params in _toml_sections().items():
        inline = [p for p in params if p.codec.inline]
        tables = [p for p in params if not p.codec.inline]
        if section:
            out += [f"# {comments[section]}"] if comments[section] else []
            if inline:
                out.append(f"[{section}]")
        for p in inline:
            lines = p.codec.write_toml(p, policy)
            out += p.toml_comment()
            if p.example and p.key not in policy.set_keys and (
                    getattr(policy, p.attribute) == getattr(default, p.attribute)):
                out.append(f"# 下一行为{PAYOUT_EXAMPLE_LABEL}：按本县填写时去掉行首的“# ”。")
                lines = [f"# {line}" for line in lines]
            out += lines
        for i, p in enumerate(tables):
            out += ([""] if inline or i else []) + [*p.toml_comment(), *p.codec.write_toml(p, policy)]
        out.append("")
    return "\n".join(out)


def write_policy_file(path: str | Path, *, year: int | None = None, county: str | None = None,
                      overwrite: bool = False) -> Path:
    """Write the commented default policy (for ``year``/``county``) to ``path``.

    A year without a known income threshold gets the line marked 待填, with a
    comment saying where the figure comes from.
    """
    from .files import atomic_write_text

    path = Path(path)
    if path.exists() and not overwrite:
        raise PolicyError(f"文件 {path} 已存在；如需覆盖请加 --force。")
    policy = load_policy(year=year, county=county)
    policy.require("year", "county")
    return atomic_write_text(path, policy_to_toml(policy))


# -- the 参数 sheet --------------------------------------------------------------------

def _sheet_rows(policy: Policy) -> list[Row]:
    """Every 参数 row: those of the first sheet format in their old order, then the later ones."""
    rows = [row for p in PARAMS for row in p.codec.rows(p, policy)]
    return [r for r in rows if r.since == SHEET_V1] + [r for r in rows if r.since != SHEET_V1]


def policy_rows(policy: Policy) -> list[tuple[str, str, Any]]:
    """The policy of its year as (key, Chinese label, value) rows.

    This is what the 参数 sheet of a workbook shows and what is read back
    from it to compare townships with the county. A 待填 income threshold is None.
    """
    return [(row.key, row.label, row.value) for row in _sheet_rows(policy)]


def policy_differences(expected: Policy, found: dict[str, Any]) -> list[tuple[str, str, Any, Any]]:
    """Rows of ``expected`` whose value differs from ``found`` (key → value).

    Numbers are compared as numbers, so 5000 and "5000" and 5000.0 agree.
    Returns (key, label, expected value, found value); a key missing from
    ``found`` is reported with found value ``None`` — except the rows added
    after the first 参数 format when ``found`` has none of them (a workbook
    issued before they existed).
    """
    rows = _sheet_rows(expected)
    current = any(row.key in found for row in rows if row.since != SHEET_V1)
    diffs = []
    for row in rows:
        if row.since != SHEET_V1 and not current:
            continue
        other = found.get(row.key)
        if not _same_value(row.value, other):
            diffs.append((row.key, row.label, row.value, other))
    return diffs


def _same_value(a: Any, b: Any) -> bool:
    if a is None or b is None or a == "" or b == "":
        return (a in (None, "")) and (b in (None, ""))
    try:
        return math.isclose(float(a), float(b), rel_tol=0, abs_tol=1e-9)
    except (TypeError, ValueError):
        return str(a).strip() == str(b).strip()


def policy_from_values(values: dict[str, Any], source: str = "参数表") -> Policy:
    """Rebuild the policy from ``policy_rows`` values (a 参数 sheet).

    The result has exactly those rows, so a workbook can be checked by the
    parameters it was issued with. Values the sheet lacks (or leaves blank)
    keep the defaults; a value that cannot be read or lies outside its limits
    raises ``PolicyError`` naming the source, the label and the key, as the
    TOML reader does. A sheet is of one year: without an income threshold for
    it, ``PolicyError`` says so.
    """
    check = Check(source)

    def get(key: str) -> Any:
        value = values.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return value

    policy = Policy()
    given = set()
    # The income threshold row is read last: it completes the year tables read before it.
    for p in sorted(PARAMS, key=lambda p: p.codec.in_toml is False):
        if any(get(row.key) is not None for row in p.codec.rows(p, policy)):
            given.add(p.key)
        policy = p.codec.read_rows(p, get, check, policy)
    missing = policy.missing_income_threshold()
    if missing is not None:
        p = next(p for p in PARAMS if not p.codec.in_toml)
        raise PolicyError(f"{source} 中的 {p.label}（{p.key}） 有误：{missing}")
    return dataclasses.replace(policy, set_keys=frozenset(given))
