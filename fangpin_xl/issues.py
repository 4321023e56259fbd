"""Issues as records, and the one registry of issue codes.

Every problem found in a workbook is one ``Issue``. The text report, the JSON
report, the annotated copy, the county 问题 sheet and the Excel 问题 sheet are
renderings of the same list, so they never disagree.

``CODES`` is the registry: every code any check can raise, with its severity,
the short Chinese title people see (the English code stays in JSON and in a
narrow last column) and what to do about it in general. docs/ISSUE-CODES.md is
rendered from it (``codes_markdown``; a test keeps the file current), the
sample county's manifest names codes from it, and ``Issue`` refuses a code it
does not know.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from .text import column_index, redact, shorten, split_cell

ERROR = "error"
WARNING = "warning"
SEVERITY_LABELS = {ERROR: "错误", WARNING: "提醒"}


@dataclass(frozen=True)
class IssueCode:
    code: str
    #: The usual severity; ``variable`` codes take the one the check gives.
    severity: str
    #: Short Chinese title, shown in reports and 问题 sheets.
    title: str
    #: What to do, in general (each message says it for its own cell).
    action: str
    #: Where the code comes from, for the catalogue: 文件, 参数, 单元格, 行, 程序, 回访.
    area: str
    variable: bool = False


_E, _W = ERROR, WARNING
CODES: dict[str, IssueCode] = {c.code: c for c in (
    # the file and its sheets (the reader)
    IssueCode("unreadable", _E, "文件无法读取", "按说明修复或另存为 .xlsx 后重新提交。", "文件"),
    IssueCode("file_open", _W, "工作簿正被打开", "请保存并关闭工作簿后再校验、汇总。", "文件"),
    IssueCode("missing_sheet", _E, "缺少工作表", "使用县里下发的模板，或把工作表改回模板中的名称。", "文件",
              variable=True),
    IssueCode("empty_sheet", _E, "工作表为空", "填写数据，或使用县里下发的模板。", "文件", variable=True),
    IssueCode("header_not_found", _E, "找不到表头", "恢复模板的表头行（列名）。", "文件"),
    IssueCode("missing_column", _E, "缺少必填列", "补上该列，或把列名改回模板中的名称。", "文件"),
    IssueCode("duplicate_column", _W, "列名重复", "删除多余的列，或改用不同的列名。", "文件"),
    IssueCode("policy_header_missing", _W, "参数表无法读取", "恢复参数表的“键”“参数”“值”表头。", "参数"),
    IssueCode("unknown_sheet", _W, "未识别的工作表", "把其中的数据移到模板中对应的工作表；不需要的工作表可删除。",
              "文件"),
    # 参数
    IssueCode("policy_invalid", _E, "参数有误", "使用县里下发的模板中的参数表，不要修改。", "参数"),
    IssueCode("policy_missing", _W, "没有参数表", "使用县里下发的模板，或用 --policy 指定本县参数文件。", "参数"),
    IssueCode("policy_mismatch", _E, "参数与全县不一致", "改回县里的设置，或使用最新模板。", "参数"),
    IssueCode("check_date_invalid", _W, "核查基准日无效", "在参数表填写日期，如 2020-12-31。", "参数"),
    IssueCode("check_date_mismatch", _W, "核查基准日与全县不同", "如无特别安排，改回全县的核查基准日。", "参数"),
    # cells
    IssueCode("coerced", _W, "按转换后的值读取", "确认读取的值无误，最好直接填写数字或日期。", "单元格"),
    IssueCode("wrong_type", _E, "类型不符", "按列的类型重新填写（数字、日期、是/否）。", "单元格"),
    IssueCode("required_missing", _E, "必填项为空", "补填。", "单元格"),
    IssueCode("negative_number", _E, "数值为负数", "核对后填写正确的数值（金额、人数不能为负数）。", "单元格"),
    IssueCode("not_in_choices", _E, "不是可选值", "从下拉列表中选择。", "单元格"),
    IssueCode("future_date", _E, "日期晚于今天", "核对年份和月份。", "单元格"),
    IssueCode("phone_invalid", _E, "电话号码有误", "核对号码，并把该列设为文本格式。", "单元格"),
    IssueCode("id_numeric", _E, "身份证号存成了数字", "把该列设为文本格式后重新录入号码。", "单元格"),
    IssueCode("id_length", _E, "身份证号位数不对", "对照身份证核对后更正。", "单元格"),
    IssueCode("id_chars", _E, "身份证号含非法字符", "对照身份证核对后更正。", "单元格"),
    IssueCode("id_date", _E, "身份证号出生日期有误", "对照身份证核对后更正。", "单元格"),
    IssueCode("id_check", _E, "身份证号校验位错误", "对照身份证核对后更正。", "单元格"),
    IssueCode("id_province", _E, "身份证号地区码无效", "对照身份证核对后更正。", "单元格"),
    IssueCode("id_invalid", _E, "身份证号无效", "对照身份证核对后更正。", "单元格"),
    IssueCode("id_area", _W, "身份证号为外地地区码", "确认号码无误（外地迁入人员属正常；本县常见的外地地区码可写入参数文件 "
              "[ids] normal_areas）。", "单元格"),
    IssueCode("id_upgraded", _W, "15 位旧身份证号", "对照身份证换用 18 位号码。", "单元格"),
    # rows
    IssueCode("duplicate_household_no", _E, "户编号重复", "删除重复行或更正编号。", "行"),
    IssueCode("duplicate_case_no", _E, "案件编号重复", "删除重复行或更正编号。", "行"),
    IssueCode("duplicate_id", _E, "身份证号重复", "同一人只能登记一次：核对后删除多余的登记。", "行"),
    IssueCode("member_two_households", _E, "一人登记在两户", "一人只能属于一户：核对后删除多余的登记。", "行"),
    IssueCode("orphan_row", _E, "户编号在监测户表中不存在", "先在监测户表登记该户，或核对户编号。", "行"),
    IssueCode("household_size_mismatch", _W, "家庭人口与成员数不符", "核对家庭人口或补全家庭成员。", "行"),
    IssueCode("status_mismatch", _E, "登记资格与规则不符", "核对收入和支出数据，或更正登记资格。", "行"),
    IssueCode("display_mismatch", _E, "表内显示与规则不符",
              "把填成文本的日期、金额改为日期、数字后重新计算（F9）；或核对公式是否被改动。", "行"),
    # the relief procedure
    IssueCode("date_order", _E, "程序日期顺序颠倒", "按程序顺序核对各环节日期。", "程序"),
    IssueCode("notice_too_short", _E, "公示天数不足", "延长公示期或核对日期。", "程序"),
    IssueCode("filing_before_notice", _E, "公示期满前备案", "公示期满、无异议后再备案。", "程序"),
    IssueCode("payment_before_filing", _E, "备案前支付", "先向防贫机构备案再支付。", "程序"),
    IssueCode("stage_skipped", _E, "程序环节缺失", "补填漏填的环节日期；确未办理的，应补办后再备案、支付。", "程序"),
    IssueCode("relief_above_cap", _E, "救助金额超过上限", "核减至单案上限以内。", "程序"),
    IssueCode("relief_above_table", _E, "救助金额超过分档标准", "按本县救助分档核对金额。", "程序"),
    IssueCode("relief_total_above_table", _E, "同类救助累计超过分档标准",
              "同一户同类多次救助，合计不得超过按合计支出计算的金额：核减后来案件的金额。", "程序"),
    IssueCode("relief_ineligible", _E, "不符合条件仍给予救助",
              "核对支出记录和户信息；确不符合的，不应救助。", "程序"),
    IssueCode("deadline_passed", _E, "超过办结时限", "尽快办结，或核实超期原因并注明。", "程序"),
    IssueCode("stage_mismatch", _W, "状态与日期不符", "更新状态，或补填该环节日期。", "程序"),
    IssueCode("calendar_fallback", _W, "节假日安排未知",
              "在参数文件 [calendar] 中补全该年放假和调休安排，并在 complete_years 中写上该年。", "程序"),
    # follow-up visits
    IssueCode("visit_overdue", _W, "回访逾期", "安排帮扶人回访并在帮扶表登记。", "回访"),
    IssueCode("visit_problem_open", _W, "回访问题未处理", "填写处理措施，或上报村两委、乡镇。", "回访"),
)}

#: Characters of the value an issue shows, and of any text its message quotes (“…”).
MAX_VALUE_CHARS = 200
#: Characters of a message (a few quoted values and the advice fit easily).
MAX_MESSAGE_CHARS = 1000
_LONG_QUOTE = re.compile(f"“([^“”]{{{MAX_VALUE_CHARS + 1},}})”")

#: Column headers of the 问题 sheet, in the order of ``Issue.as_row``.
ISSUE_HEADERS = ("级别", "问题", "文件", "工作表", "单元格", "行", "列", "值", "说明", "代码")


@dataclass(frozen=True)
class Issue:
    code: str
    severity: str
    file: str
    sheet: str
    cell: str
    row: int | None
    column: str
    #: The offending value as shown to users; ID and phone numbers masked.
    value: str
    message: str

    def __post_init__(self) -> None:
        # No report shows an ID or a mobile number in full, whatever column it was typed in.
        value, message = redact(self.value), redact(self.message)
        # Nor a cell's 32,767 characters: the 问题 sheets put value and message in cells of
        # that same size, and nobody reads that much. Messages quote the value.
        if len(value) > MAX_VALUE_CHARS:
            short = shorten(value, MAX_VALUE_CHARS)
            message, value = message.replace(value, short), short
        if len(message) > MAX_VALUE_CHARS:
            message = _LONG_QUOTE.sub(lambda m: f"“{shorten(m.group(1), MAX_VALUE_CHARS)}”", message)
            message = shorten(message, MAX_MESSAGE_CHARS)
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "message", message)
        object.__setattr__(self, "column", shorten(self.column, MAX_VALUE_CHARS))
        known = CODES.get(self.code)
        if known is None:
            raise ValueError(f"issue code {self.code!r} is not in issues.CODES")
        if self.severity not in SEVERITY_LABELS or (
                self.severity != known.severity and not known.variable):
            raise ValueError(f"issue code {self.code!r} cannot have severity {self.severity!r}")

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    @property
    def title(self) -> str:
        return CODES[self.code].title

    def as_dict(self) -> dict:
        return {**asdict(self), "title": self.title}

    def as_row(self) -> tuple:
        return (
            SEVERITY_LABELS[self.severity], self.title, self.file, self.sheet, self.cell, self.row,
            self.column, self.value, self.message, self.code,
        )


def issue(code: str, file: str, sheet: str = "", cell: str = "", row: int | None = None,
          column: str = "", value: str = "", message: str = "", *,
          severity: str | None = None) -> Issue:
    """An ``Issue`` with the registry's severity unless the code allows another."""
    return Issue(code, severity or CODES[code].severity, file, sheet, cell, row, column, value,
                 message)


def count_by_severity(issues: Iterable[Issue]) -> dict[str, int]:
    counts = {ERROR: 0, WARNING: 0}
    for found in issues:
        counts[found.severity] += 1
    return counts


def issue_order(found: Issue, sheet_rank: dict[str, int]) -> tuple:
    """File-level issues first, then by sheet (workbook order), row and column."""
    letters, _ = split_cell(found.cell)
    return (sheet_rank.get(found.sheet, -1) if found.sheet else -2, found.row or 0,
            column_index(letters))


def sort_issues(issues: Iterable[Issue], sheet_names: Iterable[str]) -> list[Issue]:
    rank = {name: i for i, name in enumerate(sheet_names)}
    return sorted(issues, key=lambda found: issue_order(found, rank))


def codes_markdown() -> str:
    """docs/ISSUE-CODES.md: the registry as a table per area, in Chinese."""
    lines = [
        "# 问题代码一览",
        "",
        "校验（`fangpin-xl validate`、Excel 的“校验本工作簿”）和汇总报告的每个问题都有一个代码。"
        "报告和“问题”工作表显示中文名称，代码在最后一列和 JSON 中。本文件由 "
        "`fangpin_xl.issues.CODES` 生成，请勿手工修改。",
    ]
    for area in dict.fromkeys(c.area for c in CODES.values()):
        lines += ["", f"## {area}", "", "| 代码 | 名称 | 级别 | 处理办法 |", "|---|---|---|---|"]
        for c in CODES.values():
            if c.area == area:
                level = "错误或提醒" if c.variable else SEVERITY_LABELS[c.severity]
                lines.append(f"| `{c.code}` | {c.title} | {level} | {c.action} |")
    return "\n".join(lines) + "\n"
