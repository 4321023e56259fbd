"""How a policy parameter is checked, written to TOML and to the 参数 sheet, and read back.

A codec turns one parameter into TOML lines and 参数 rows and reads it back
from either. Scalars (text, numbers, choices, lists of years, dates or area
codes) share one pattern; structured parameters (the year tables, spending
rules, payout tables: ``policy_payout``) and the derived income threshold have a codec each.
Codecs thread a ``Policy`` through ``dataclasses.replace``, so one parameter
may set several attributes (a payout table and its per-group overrides).

Every failure names the source, the Chinese label and the key, in the same
words for a TOML file and a 参数 sheet: ``{source} 中的 {label}（{key}） 有误：…``;
the text after 有误 comes from the same check in both.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

from .errors import PolicyError
from .policy_values import (
    GROUPS,
    LAST_NATIONAL_LINE_YEAR,
    MONITORING_SOURCE,
    OPERATOR_WORDS,
    POVERTY_LINE_SOURCE,
    UNFILLED,
    SpendingRule,
)
from .text import cell_text, number_text

if TYPE_CHECKING:
    from .policy import Policy
    from .policy_params import Param

#: The word for "no cap" in a payout table.
NO_CAP = "不设"
#: How an empty list is written in a 参数 cell (a blank cell keeps the default).
NONE_CELL = "无"
#: The 参数 sheet as first shipped; rows of later parameters carry a higher number,
#: so a workbook issued before them is not reported as differing (``policy_differences``).
SHEET_V1 = 1
SHEET_V2 = 2

_MONEY = 10_000_000
BIG_MONEY = 100_000_000
_LINE = 1_000_000
_LIST_SPLIT = re.compile(r"[、,，;；\s]+")


# -- failures ---------------------------------------------------------------------------

class Bad(Exception):
    """What is wrong with one value (the text after 有误：); the codec adds where."""


class Check:
    """Raises ``PolicyError`` naming the source, the Chinese label and the key."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, key: str, label: str, expected: str) -> NoReturn:
        raise PolicyError(f"{self.source} 中的 {label}（{key}） 有误：{expected}。")

    def known_keys(self, table: dict, prefix: str, allowed: tuple[str, ...]) -> None:
        for key in table:
            if key not in allowed:
                where = f"[{prefix}] 中" if prefix else "顶层"
                raise PolicyError(
                    f"{self.source} {where}有不认识的参数 {key}；可用的参数：{'、'.join(allowed)}。"
                )

    def table(self, value: Any, key: str, label: str, example: str) -> dict:
        if not isinstance(value, dict):
            self.fail(key, label, f"应为表，例如 {example}")
        return value


def checked(check: Check, key: str, label: str, convert: Callable[..., Any],
            *args: Any, **kwargs: Any) -> Any:
    """``convert(*args, **kwargs)``, with a ``Bad`` turned into the ``PolicyError`` for ``key``."""
    try:
        return convert(*args, **kwargs)
    except Bad as exc:
        check.fail(key, label, str(exc))


# -- value checks shared by TOML and 参数 cells -----------------------------------------

def _shown(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return number_text(value)
    return repr(value)


def number(value: Any, low: float, high: float, *, integer: bool = False, what: str = "",
           text_ok: bool = False) -> Any:
    """``value`` as a number within [low, high]; ``text_ok`` also reads digits in text (cells)."""
    kind = "整数" if integer else "数字"
    expected = f"{what}应为 {number_text(low)} 到 {number_text(high)} 之间的{kind}，现为 {_shown(value)}"
    if text_ok and isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise Bad(expected) from None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise Bad(expected)
    if integer and not float(value).is_integer():
        raise Bad(expected)
    if integer and isinstance(value, float) and not text_ok:
        raise Bad(expected)  # TOML says 15, not 15.0, for a count
    if not low <= value <= high:
        raise Bad(f"{what}应在 {number_text(low)} 到 {number_text(high)} 之间，现为 {number_text(value)}")
    return int(value) if integer else float(value)


def choice(value: Any, allowed: tuple[str, ...], what: str = "") -> str:
    if isinstance(value, str):
        value = value.strip()
    if value not in allowed:
        raise Bad(f"{what}可选值为 {'、'.join(allowed)}，现为 {value!r}")
    return value


def a_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise Bad(f"{value!r} 不是日期（写成 2027-01-01）")


def area_code(value: Any) -> str:
    text = cell_text(value).strip() if not isinstance(value, bool) else repr(value)
    if not re.fullmatch(r"[1-9][0-9]{0,5}", text):
        raise Bad(f"地区代码应为 1 到 6 位数字（如 41、3705、410526），现为 {value!r}")
    return text


def toml_text(value: str) -> str:
    """A TOML basic string (JSON's escapes are valid TOML)."""
    return json.dumps(value, ensure_ascii=False)


def cell_items(value: Any) -> list[str] | None:
    """The items of a list cell ("2017、2018"); [] for 无, None for a blank cell."""
    if value is None:
        return None
    if isinstance(value, dt.date):
        return [value.isoformat()]
    text = cell_text(value).strip()
    if text == NONE_CELL:
        return []
    items = [item for item in _LIST_SPLIT.split(text) if item]
    return items or None


Get = Callable[[str], Any]
"""A 参数 value by row key: None when the row is blank or absent."""


@dataclass(frozen=True)
class Row:
    """One row of the 参数 sheet."""

    key: str
    label: str
    value: Any
    since: int = SHEET_V1


# -- codecs ----------------------------------------------------------------------------

class Codec:
    """How one parameter is read and written; ``inline`` ones are ``name = value`` lines."""

    inline = True
    in_toml = True

    def describe(self) -> str:
        """The allowed values, for the TOML comment."""
        return ""

    def read_toml(self, p: Param, raw: Any, check: Check, policy: Policy) -> Policy:
        raise NotImplementedError

    def write_toml(self, p: Param, policy: Policy) -> list[str]:
        raise NotImplementedError

    def rows(self, p: Param, policy: Policy) -> list[Row]:
        raise NotImplementedError

    def read_rows(self, p: Param, get: Get, check: Check, policy: Policy) -> Policy:
        raise NotImplementedError


def with_value(policy: Policy, attr: str, value: Any) -> Policy:
    return dataclasses.replace(policy, **{attr: value})


class Scalar(Codec):
    """A value held in one attribute, one TOML line and one 参数 row."""

    def from_toml(self, raw: Any) -> Any:
        raise NotImplementedError

    def from_cell(self, raw: Any) -> Any:
        raise NotImplementedError

    def toml_value(self, value: Any) -> str:
        raise NotImplementedError

    def cell(self, value: Any) -> Any:
        return value

    def read_toml(self, p, raw, check, policy):
        return with_value(policy, p.attribute, checked(check, p.key, p.label, self.from_toml, raw))

    def write_toml(self, p, policy):
        return [f"{p.name} = {self.toml_value(getattr(policy, p.attribute))}"]

    def rows(self, p, policy):
        return [Row(p.key, p.label, self.cell(getattr(policy, p.attribute)), p.since)]

    def read_rows(self, p, get, check, policy):
        raw = get(p.key)
        if raw is None:
            return policy
        return with_value(policy, p.attribute, checked(check, p.key, p.label, self.from_cell, raw))


class Text(Scalar):
    def from_toml(self, raw):
        if not isinstance(raw, str):
            raise Bad(f"应为文字（加英文双引号），现为 {raw!r}")
        return raw

    def from_cell(self, raw):
        return cell_text(raw).strip()

    def toml_value(self, value):
        return toml_text(value)


@dataclass(frozen=True)
class Number(Scalar):
    low: float
    high: float
    integer: bool = False

    def describe(self):
        kind = "整数" if self.integer else "数字"
        return f"{number_text(self.low)} 到 {number_text(self.high)} 之间的{kind}"

    def from_toml(self, raw):
        return number(raw, self.low, self.high, integer=self.integer)

    def from_cell(self, raw):
        return number(raw, self.low, self.high, integer=self.integer, text_ok=True)

    def toml_value(self, value):
        return number_text(value)


@dataclass(frozen=True)
class Divisor(Number):
    """A whole number of months that divides a year (calendar periods never straddle one)."""

    def describe(self):
        return f"能整除 12 的月数：{'、'.join(str(m) for m in _DIVISORS)}"

    def _divides(self, value):
        if value not in _DIVISORS:
            raise Bad(f"应为能整除 12 的月数（{'、'.join(str(m) for m in _DIVISORS)}），现为 {number_text(value)}")
        return value

    def from_toml(self, raw):
        return self._divides(super().from_toml(raw))

    def from_cell(self, raw):
        return self._divides(super().from_cell(raw))


_DIVISORS = (1, 2, 3, 4, 6, 12)


@dataclass(frozen=True)
class Choice(Scalar):
    options: tuple[str, ...]

    def describe(self):
        return f"可选：{'、'.join(self.options)}"

    def from_toml(self, raw):
        return choice(raw, self.options)

    from_cell = from_toml

    def toml_value(self, value):
        return toml_text(value)


class Items(Scalar):
    """A sorted list without repeats: TOML ``[a, b]``, 参数 cell ``a、b`` (``无`` when empty)."""

    example = "[]"

    def item(self, raw: Any) -> Any:
        raise NotImplementedError

    def item_toml(self, value: Any) -> str:
        raise NotImplementedError

    def item_cell(self, value: Any) -> str:
        return cell_text(value)

    def from_toml(self, raw):
        if not isinstance(raw, list):
            raise Bad(f"应为列表，例如 {self.example}，现为 {raw!r}")
        return tuple(sorted({self.item(x) for x in raw}))

    def from_cell(self, raw):
        items = cell_items(raw)
        return tuple(sorted({self.item(x) for x in items or ()}))

    def toml_value(self, value):
        return "[" + ", ".join(self.item_toml(v) for v in value) + "]"

    def cell(self, value):
        return "、".join(self.item_cell(v) for v in value) if value else NONE_CELL

    def read_rows(self, p, get, check, policy):
        if cell_items(get(p.key)) is None:
            return policy
        return super().read_rows(p, get, check, policy)


@dataclass(frozen=True)
class YearList(Items):
    low: int = 2000
    high: int = 2100
    example = "[2017, 2018]"

    def describe(self):
        return f"年份列表，如 {self.example}"

    def item(self, raw):
        return number(raw, self.low, self.high, integer=True, what="年份", text_ok=isinstance(raw, str))

    def item_toml(self, value):
        return str(value)


class DateList(Items):
    example = "[2027-01-01, 2027-02-05]"

    def describe(self):
        return f"日期列表，如 {self.example}"

    def item(self, raw):
        return a_date(raw)

    def item_toml(self, value):
        return value.isoformat()

    def item_cell(self, value):
        return value.isoformat()


class AreaCodes(Items):
    example = '["41", "3705"]'

    def describe(self):
        return f"1 到 6 位数字的地区代码（或代码开头）列表，如 {self.example}"

    def item(self, raw):
        return area_code(raw)

    def item_toml(self, value):
        return toml_text(value)


# -- structured codecs ------------------------------------------------------------------------

def _year_key(year: Any) -> int:
    if not str(year).strip().isdigit() or not 1900 <= int(str(year).strip()) <= 2100:
        raise Bad(f"键 {year} 应为四位年份")
    return int(str(year).strip())


def _amount(raw: Any, year: int, where: str, text_ok: bool = False) -> float | None:
    """An amount of a year table; None for 待填."""
    if isinstance(raw, str) and raw.strip() == UNFILLED:
        return None
    return number(raw, 0, _LINE, what=f"{where}{year} 年的金额", text_ok=text_ok)


def _year_items(table: dict[int, float]) -> str:
    return "；".join(f"{year}年 {number_text(amount)}" for year, amount in sorted(table.items()))


_YEAR_ITEM = re.compile(r"(\d{4})\s*年?\s*[:：=]?\s*(\S+)")
_PROVINCE_ITEM = re.compile(r"([^\d\s:：=；;]+?)\s*[:：]?\s*(\d{4})\s*年?\s*[:：=]?\s*(\S+)")


def _split_items(value: Any) -> list[str] | None:
    if value is None:
        return None
    text = cell_text(value).strip()
    if text == NONE_CELL:
        return []
    return [part.strip() for part in re.split(r"[;；]", text) if part.strip()]


class YearTable(Codec):
    """The national poverty line by year: ``[income.poverty_line] 2019 = 3218``."""

    inline = False

    def describe(self):
        return f"年份 = 金额，金额在 0 到 {number_text(_LINE)} 之间"

    def read_toml(self, p, raw, check, policy):
        table = check.table(raw, p.key, p.label, "2019 = 3218")

        def convert() -> dict[int, float]:
            out = {}
            for year, amount in table.items():
                value = _amount(amount, _year_key(year), "")
                if value is not None:
                    out[_year_key(year)] = value
            return out

        return with_value(policy, p.attribute, checked(check, p.key, p.label, convert))

    def write_toml(self, p, policy):
        table = getattr(policy, p.attribute)
        lines = [f"[{p.key}]"]
        lines += [f"{year} = {number_text(amount)}" for year, amount in sorted(table.items())]
        year = policy.year
        if year <= LAST_NATIONAL_LINE_YEAR and year not in table:
            lines += [f"# {year} 年的国家贫困标准{UNFILLED}：把 \"{UNFILLED}\" 改为金额（元/人/年）。"
                      f"{POVERTY_LINE_SOURCE}。", f'{year} = "{UNFILLED}"']
        return lines

    def rows(self, p, policy):
        table = getattr(policy, p.attribute)
        return [Row(p.key, p.label, _year_items(table) or NONE_CELL, p.since)]

    def read_rows(self, p, get, check, policy):
        items = _split_items(get(p.key))
        if items is None:
            return policy

        def convert() -> dict[int, float]:
            out = {}
            for item in items:
                match = _YEAR_ITEM.fullmatch(item)
                if match is None:
                    raise Bad(f"每一项应写成“2019年 3218”，现为 {item!r}")
                year = _year_key(match.group(1))
                value = _amount(match.group(2), year, "", text_ok=True)
                if value is not None:
                    out[year] = value
            return out

        return with_value(policy, p.attribute, checked(check, p.key, p.label, convert))


class ProvinceYearTable(Codec):
    """Each province's monitoring range by year: ``[income.monitoring."河北"] 2023 = 7000``.

    Given at all (in a file or a 参数 row), the table replaces the shipped
    examples, as the poverty-line table does.
    """

    inline = False

    def describe(self):
        return f"每省一节，年份 = 金额，金额在 0 到 {number_text(_LINE)} 之间"

    def read_toml(self, p, raw, check, policy):
        provinces = check.table(raw, p.key, p.label, '[income.monitoring."河北"] 2023 = 7000')

        def convert() -> dict[str, dict[int, float]]:
            merged: dict[str, dict[int, float]] = {}
            for province, table in provinces.items():
                if not isinstance(table, dict):
                    raise Bad(f"{province} 应为 年份 = 金额 的表，例如 2023 = 7000")
                for year, amount in table.items():
                    value = _amount(amount, _year_key(year), f"{province} ")
                    if value is not None:
                        merged.setdefault(province, {})[_year_key(year)] = value
            return {name: table for name, table in merged.items() if table}

        return with_value(policy, p.attribute, checked(check, p.key, p.label, convert))

    def write_toml(self, p, policy):
        tables = {name: dict(table) for name, table in getattr(policy, p.attribute).items()}
        year = policy.year
        unfilled = year > LAST_NATIONAL_LINE_YEAR and year not in tables.get(policy.province, {})
        if unfilled:
            tables.setdefault(policy.province, {})
        lines: list[str] = []
        for province in sorted(tables):
            lines.append(f"[{p.key}.{toml_text(province)}]")
            lines += [f"{y} = {number_text(amount)}" for y, amount in sorted(tables[province].items())]
            if unfilled and province == policy.province:
                lines += [f"# {year} 年的防返贫监测标准{UNFILLED}：把 \"{UNFILLED}\" 改为金额（元/人/年）。"
                          f"{MONITORING_SOURCE}。", f'{year} = "{UNFILLED}"']
            lines.append("")
        return lines[:-1]

    def rows(self, p, policy):
        tables = getattr(policy, p.attribute)
        text = "；".join(
            f"{province} {year}年 {number_text(amount)}"
            for province in sorted(tables) for year, amount in sorted(tables[province].items())
        )
        return [Row(p.key, p.label, text or NONE_CELL, p.since)]

    def read_rows(self, p, get, check, policy):
        items = _split_items(get(p.key))
        if items is None:
            return policy

        def convert() -> dict[str, dict[int, float]]:
            out: dict[str, dict[int, float]] = {}
            for item in items:
                match = _PROVINCE_ITEM.fullmatch(item)
                if match is None:
                    raise Bad(f"每一项应写成“河北 2023年 7000”，现为 {item!r}")
                province, year = match.group(1), _year_key(match.group(2))
                value = _amount(match.group(3), year, f"{province} ", text_ok=True)
                if value is not None:
                    out.setdefault(province, {})[year] = value
            return out

        return with_value(policy, p.attribute, checked(check, p.key, p.label, convert))


class IncomeThreshold(Codec):
    """The year's income threshold: derived from the tables, a 参数 row of its own.

    Old 参数 sheets carry only this row, so reading it back sets the year's
    entry of the table it comes from (after the tables themselves are read).
    """

    in_toml = False

    def rows(self, p, policy):
        value = None if policy.missing_income_threshold() else policy.income_threshold()
        return [Row(p.key, p.label, value, p.since)]

    def read_rows(self, p, get, check, policy):
        raw = get(p.key)
        if raw is None:
            return policy
        value = checked(check, p.key, p.label, number, raw, 0, _LINE, text_ok=True)
        if not policy.missing_income_threshold() and math.isclose(
                policy.income_threshold(), value, rel_tol=0, abs_tol=1e-9):
            return policy
        year = policy.year
        if year <= LAST_NATIONAL_LINE_YEAR:
            return with_value(policy, "poverty_lines",
                        {**policy.poverty_lines, year: value / policy.income_multiplier})
        tables = dict(policy.monitoring_thresholds)
        tables[policy.province] = {**tables.get(policy.province, {}), year: value}
        return with_value(policy, "monitoring_thresholds", tables)


@dataclass(frozen=True)
class Spending(Codec):
    """One kind's spending rule: ``[spending.medical] operator, threshold`` (one number or per group)."""

    kind: str
    low: float = 0
    high: float = _MONEY
    inline = False

    def _group_label(self, group: str) -> str:
        return f"{self.kind}支出标准·{group}（元）"

    def _with(self, policy: Policy, operator: str, thresholds: dict[str, float]) -> Policy:
        return with_value(policy, "spending", {**policy.spending, self.kind: SpendingRule(self.kind, operator, thresholds)})

    def read_toml(self, p, raw, check, policy):
        table = check.table(raw, p.key, p.label, "operator 与 threshold")
        check.known_keys(table, p.key, ("operator", "threshold"))
        rule = policy.spending[self.kind]
        operator, thresholds = rule.operator, dict(rule.thresholds)
        if "operator" in table:
            operator = checked(check, f"{p.key}.operator", f"{self.kind}支出比较方式",
                               choice, table["operator"], OPERATOR_WORDS)
        if "threshold" in table:
            raw_threshold = table["threshold"]
            if isinstance(raw_threshold, dict):
                for group, amount in raw_threshold.items():
                    checked(check, f"{p.key}.threshold", f"{self.kind}支出标准（元）",
                            choice, group, GROUPS, "户类型")
                    thresholds[group] = checked(
                        check, f'{p.key}.threshold."{group}"', self._group_label(group),
                        number, amount, self.low, self.high)
            else:
                amount = checked(check, f"{p.key}.threshold", f"{self.kind}支出标准（元）",
                                 number, raw_threshold, self.low, self.high)
                thresholds = dict.fromkeys(GROUPS, amount)
        return self._with(policy, operator, thresholds)

    def write_toml(self, p, policy):
        rule = policy.spending[self.kind]
        lines = [f"[{p.key}]  # {self.kind}", f"operator = {toml_text(rule.operator)}"]
        values = set(rule.thresholds.values())
        if len(values) == 1:
            lines.append(f"threshold = {number_text(values.pop())}")
        else:
            inner = ", ".join(f"{toml_text(g)} = {number_text(rule.thresholds[g])}" for g in GROUPS)
            lines.append(f"threshold = {{ {inner} }}")
        return lines

    def rows(self, p, policy):
        rule = policy.spending[self.kind]
        rows = [Row(f"{p.key}.operator", f"{self.kind}支出比较方式", rule.operator, p.since)]
        rows += [Row(f"{p.key}.{g}", self._group_label(g), rule.thresholds[g], p.since) for g in GROUPS]
        return rows

    def read_rows(self, p, get, check, policy):
        rule = policy.spending[self.kind]
        operator, thresholds = rule.operator, dict(rule.thresholds)
        if (raw := get(f"{p.key}.operator")) is not None:
            operator = checked(check, f"{p.key}.operator", f"{self.kind}支出比较方式",
                               choice, raw, OPERATOR_WORDS)
        for group in GROUPS:
            if (amount := get(f"{p.key}.{group}")) is not None:
                thresholds[group] = checked(
                    check, f"{p.key}.{group}", self._group_label(group),
                    number, amount, self.low, self.high, text_ok=True)
        return self._with(policy, operator, thresholds)
