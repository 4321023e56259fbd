"""The native formulas of the computed columns, shared by the templates and the Excel scripts.

A township workbook computes its computed columns with formulas that read the
参数 sheet through defined names (``P_…``, ``param_name``) and the other
sheets through absolute ranges over the data rows, using only functions
Excel 2010, WPS and LibreOffice all have, so a township without Python still
sees every check. ``derive`` computes the same values in Python; a test
recalculates a filled template in LibreOffice and compares every cell.

Formula notes (why they look the way they do):

* households are matched with ``=`` inside ``SUMPRODUCT``, not with
  ``SUMIFS``/``COUNTIFS`` criteria: criteria treat ``*``/``?`` as wildcards,
  turn "0012" into the number 12 and compare digit strings longer than 15
  characters as numbers (two different 18-digit household numbers would match);
* the amount range is a separate ``SUMPRODUCT`` argument, where text counts as
  0 (multiplying a text cell would make the whole column #VALUE!); the sum is
  rounded to the fen, so a sum of fen amounts sits exactly on a threshold in
  every program whatever order it adds in;
* the latest visit is a one-cell array formula ``MAX(IF(…))``: the suggested
  ``SUMPRODUCT(MAX((range=key)*dates))`` turns every household's result into
  #VALUE! as soon as one 回访日期 anywhere is text, because text times a
  number is an error and ``IF`` only filters arrays in an array formula;
* dates are compared by whole days, since a date pasted from another system
  may carry a time of day (2020-12-31 15:30 is a number above 2020-12-31): the
  spending window is ``发生日期 >= EDATE(核查基准日, −统计期)+1`` and
  ``发生日期 < INT(核查基准日)+1``, so an event at 15:30 on the check date counts
  and one at 10:00 on the day 统计期 months before it does not, as in
  ``derive`` (which normalises to the day). The bounds move, not the cells:
  ``INT(发生日期)`` would be #VALUE! for a text date and turn the whole
  ``SUMPRODUCT`` into an error, while comparing text with a number is merely
  TRUE or FALSE, and ``ISNUMBER`` zeroes that row. ``EDATE``, ``EOMONTH`` and
  ``MONTH`` drop the time themselves; 核查基准日 and 发现日期 go through
  ``INT`` where they are compared or looked up in the 日历 sheet;
* the next visit is due by the last day of the calendar period (the quarter for
  a 回访间隔 of 3 months) after the last visit's: ``EOMONTH(last, 2n−1−MOD(MONTH(last)−1, n))``
  (``followup.next_visit_due``); a household never visited shows 未回访 and owes
  its first visit by the end of the period after its 纳入监测日期's;
* deadlines use the 日历 sheet's running working-day count (CAL_INDEX), the
  same mechanism as ``workdays.add_workdays_series``; a date outside the
  calendar's three years shows 超出日历范围;
* a computed cell never leaves out a filled cell it cannot read: a spending
  sum whose household has, for that kind, a 发生日期 that is text, an amount
  without a date, or a text amount dated inside the window shows the first
  such row ("数据格式有误：支出!E17 发生日期是文本"); 资格判定 names its own
  blank or unreadable 户类型 / 人均可支配收入 cell, else the first such
  spending note; 办结时限 names a blank or text 发现日期. ``derive`` writes
  the same notes (``note_text``). The first problem row is found with
  ``SUMPRODUCT(MIN(code))``, where each row's code is 3 × its row number
  plus the kind of problem, and 10⁷ where it has none.

Light on purpose (no xlsxwriter): the Excel scripts import it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from . import rules
from .policy import GROUPS, INCOME_WAIVED_GROUP, KIND_FIELDS, SPENDING_KINDS
from .schema import CASES, CHECK_DATE_KEY, HOUSEHOLDS, SPENDING, VISITS, Sheet
from .text import column_letter

#: The first data row, 1-based as Excel shows it (row 1 a title, row 2 the headers).
FIRST_DATA_ROW = 3
CALENDAR_NAMES = ("CAL_DATE", "CAL_WORKDAY", "CAL_INDEX")
OUT_OF_CALENDAR = "超出日历范围"
#: What 最近回访日期 shows for a household with no visit on record.
NEVER_VISITED = "未回访"
#: The two prefixes of a computed cell that could not compute ("资料不全：…", "数据格式有误：…").
INCOMPLETE = rules.STATUS_INCOMPLETE
BAD_FORMAT = "数据格式有误"
NOTE_PREFIXES = (INCOMPLETE, BAD_FORMAT)
#: What is wrong with the named cell.
IS_TEXT = "是文本"
IS_BLANK = "为空"
NOT_A_CHOICE = "不是可选值"
#: Codes of the spending problems (row × 3 + code), in the order the formula tests them.
SPENDING_PROBLEMS = (
    (BAD_FORMAT, "date", IS_TEXT),
    (INCOMPLETE, "date", IS_BLANK),
    (BAD_FORMAT, "amount", IS_TEXT),
)
_NO_PROBLEM = "1E7"

_GROUP_CODES = {group: f"g{i}" for i, group in enumerate(GROUPS, start=1)}
_NOT_NAME_CHAR = re.compile(r"[^A-Za-z0-9_]")


def param_name(key: str) -> str:
    """The defined name of a 参数 value: ``spending.medical.脱贫不稳定户`` → ``P_spending_medical_g1``."""
    for group, code in _GROUP_CODES.items():
        key = key.replace(group, code)
    return "P_" + _NOT_NAME_CHAR.sub("_", key)


def note_text(prefix: str, sheet: str, letter: str, row: int | str, header: str, what: str) -> str:
    """A computed cell's note: ``数据格式有误：支出!E17 发生日期是文本`` (``sheet`` "" on its own sheet)."""
    where = f"{sheet}!" if sheet else ""
    return f"{prefix}：{where}{letter}{row} {header}{what}"


def is_note(value) -> bool:
    """Whether a computed cell's value is a note (资料不全：… / 数据格式有误：…)."""
    return isinstance(value, str) and value.startswith(tuple(p + "：" for p in NOTE_PREFIXES))


def _note_formula(prefix: str, sheet: str, letter: str, row: str, header: str, what: str) -> str:
    """``note_text`` as an Excel expression whose row number is the expression ``row``."""
    head, tail = note_text(prefix, sheet, letter, "\0", header, what).split("\0")
    return f'"{head}"&{row}&"{tail}"'


# -- formulas ------------------------------------------------------------------------

class _Refs:
    """A1 references into the data sheets for the prepared rows."""

    def __init__(self, rows: Mapping[str, int]):
        self.rows = rows

    @staticmethod
    def letter(sheet: Sheet, key: str) -> str:
        return column_letter([c.key for c in sheet.columns].index(key))

    @classmethod
    def cell(cls, sheet: Sheet, key: str, row: int) -> str:
        return f"${cls.letter(sheet, key)}{row}"

    def range(self, sheet: Sheet, key: str) -> str:
        col = self.letter(sheet, key)
        last = FIRST_DATA_ROW + self.rows[sheet.key] - 1
        return f"'{sheet.name}'!${col}${FIRST_DATA_ROW}:${col}${last}"


def household_formulas(rows: Mapping[str, int]) -> dict[str, Callable[[int], str]]:
    """The formula of every computed 监测户 column, as a function of the Excel row."""
    refs = _Refs(rows)
    check = param_name(CHECK_DATE_KEY)
    window = param_name("followup.spending_window_months")
    interval = param_name("followup.visit_interval_months")
    s_key, s_kind = refs.range(SPENDING, "household_no"), refs.range(SPENDING, "kind")
    s_date, s_amount = refs.range(SPENDING, "date"), refs.range(SPENDING, "amount")
    v_key, v_date = refs.range(VISITS, "household_no"), refs.range(VISITS, "visit_date")

    def key(row: int) -> str:
        return refs.cell(HOUSEHOLDS, "household_no", row)

    def spending(kind: str) -> Callable[[int], str]:
        # By whole days (a 发生日期 may carry a time of day): from the day after
        # EDATE(check, −window) up to the end of the check date.
        in_window = f"ISNUMBER({s_date})*({s_date}>=EDATE({check},-{window})+1)*({s_date}<INT({check})+1)"
        rows = f"ROW({s_date})"
        # Per row, exclusive: a text date; no date but an amount; a text amount inside the window.
        problems = (
            f'ISTEXT({s_date})*(TRIM({s_date})<>"")',
            f'(TRIM({s_date})="")*(TRIM({s_amount})<>"")',
            f'{in_window}*ISTEXT({s_amount})*(TRIM({s_amount})<>"")',
        )
        # 10⁷ where the row has no problem, else 3 × row + the problem's index.
        lowered = "+".join(f"{p}*({_NO_PROBLEM}-{i}-3*{rows})" for i, p in enumerate(problems))
        lowered = lowered.replace(f"({_NO_PROBLEM}-0-", f"({_NO_PROBLEM}-")
        letters = {"date": refs.letter(SPENDING, "date"), "amount": refs.letter(SPENDING, "amount")}

        def formula(row: int) -> str:
            k = key(row)
            mine = f'({s_key}={k})*({s_kind}="{kind}")'
            first = f"SUMPRODUCT(MIN({_NO_PROBLEM}-{mine}*({lowered})))"
            notes = ",".join(
                _note_formula(prefix, SPENDING.name, letters[column], f"INT({first}/3)",
                              SPENDING.column(column).header, what)
                for prefix, column, what in SPENDING_PROBLEMS
            )
            total = f"ROUND(SUMPRODUCT({mine}*{in_window},{s_amount}),2)"
            return f'=IF({k}="","",IF({first}<{_NO_PROBLEM},CHOOSE(MOD({first},3)+1,{notes}),{total}))'
        return formula

    def rule_cells(row: int) -> dict[str, str]:
        return {name: refs.cell(HOUSEHOLDS, name, row) for name in rules.INPUT_COLUMNS}

    group_letter = refs.letter(HOUSEHOLDS, "group")
    income_letter = refs.letter(HOUSEHOLDS, "income_per_capita")

    def problem_checks(row: int) -> list[tuple[str, str]]:
        """(condition, note) in the order ``derive.household_notes`` tests them."""
        group, income = refs.cell(HOUSEHOLDS, "group", row), refs.cell(HOUSEHOLDS, "income_per_capita", row)
        g, w = f"TRIM({group})", f'TRIM({group})<>"{INCOME_WAIVED_GROUP}"'

        def own(letter: str, column: str, prefix: str, what: str) -> str:
            return _note_formula(prefix, "", letter, "ROW()", HOUSEHOLDS.column(column).header, what)

        checks = [
            (f"LEN({g})=0", own(group_letter, "group", INCOMPLETE, IS_BLANK)),
            ("AND(" + ",".join(f'{g}<>"{name}"' for name in GROUPS) + ")",
             own(group_letter, "group", INCOMPLETE, NOT_A_CHOICE)),
            (f"AND({w},LEN(TRIM({income}))=0)", own(income_letter, "income_per_capita", INCOMPLETE, IS_BLANK)),
            (f"AND({w},NOT(ISNUMBER({income})))", own(income_letter, "income_per_capita", BAD_FORMAT, IS_TEXT)),
        ]
        for field in KIND_FIELDS.values():
            cell = refs.cell(HOUSEHOLDS, field, row)
            checks.append((f"AND(NOT(ISNUMBER({cell})),LEN(TRIM({cell}))>0)", cell))
        return checks

    def status(row: int) -> str:
        inner = rules.excel_status_formula(rule_cells(row), param_name)[1:]
        for condition, shown in reversed(problem_checks(row)):
            inner = f"IF({condition},{shown},{inner})"
        return f'=IF({key(row)}="","",{inner})'

    def met(row: int) -> str:
        shown = refs.cell(HOUSEHOLDS, "status", row)
        inner = rules.excel_met_formula(rule_cells(row), param_name)[1:]
        plain = f'OR({shown}="{rules.STATUS_ELIGIBLE}",{shown}="{rules.STATUS_INELIGIBLE}")'
        return f'=IF({key(row)}="","",IF({plain},{inner},""))'

    def last_visit(row: int) -> str:
        # A 回访日期 typed as text is named (the first by row), never skipped: skipping it
        # would show 未回访 or an older visit, and an overdue 下次回访到期.
        k = key(row)
        mine = f"({v_key}={k})*ISNUMBER({v_date})"
        text = f'({v_key}={k})*ISTEXT({v_date})*(TRIM({v_date})<>"")'
        note = _note_formula(BAD_FORMAT, VISITS.name, refs.letter(VISITS, "visit_date"),
                             f"MIN(IF({text},ROW({v_date})))", VISITS.column("visit_date").header, IS_TEXT)
        return (f'{{=IF({k}="","",IF(SUM({text})>0,{note},'
                f'IF(SUM({mine})=0,"{NEVER_VISITED}",MAX(IF({mine},{v_date})))))}}')

    def period_end(day: str) -> str:
        # The last day of the calendar period (of `interval` months) after the day's period.
        return f"EOMONTH({day},2*{interval}-1-MOD(MONTH({day})-1,{interval}))"

    def visit_due(row: int) -> str:
        last = refs.cell(HOUSEHOLDS, "last_visit", row)
        since = refs.cell(HOUSEHOLDS, "monitored_since", row)
        # Blank when 最近回访日期 shows a note: no due date from a visit it could not read.
        return (f'=IF({key(row)}="","",IF(ISNUMBER({last}),{period_end(last)},'
                f'IF(AND({last}="{NEVER_VISITED}",ISNUMBER({since})),{period_end(since)},"")))')

    formulas: dict[str, Callable[[int], str]] = {
        KIND_FIELDS[kind]: spending(kind) for kind in SPENDING_KINDS
    }
    formulas.update(status=status, met_text=met, last_visit=last_visit, next_visit_due=visit_due)
    return formulas


def visit_overdue_rule(row: int = FIRST_DATA_ROW) -> str:
    """The conditional-format formula (relative to ``row``) marking an overdue household on
    监测户: monitored (风险状态 not 已消除), 下次回访到期 before the 核查基准日, or never
    visited with no 纳入监测日期 to count from (``followup.visit_due``'s rule)."""
    key = _Refs.cell(HOUSEHOLDS, "household_no", row)
    risk = _Refs.cell(HOUSEHOLDS, "risk_status", row)
    last = _Refs.cell(HOUSEHOLDS, "last_visit", row)
    due = _Refs.cell(HOUSEHOLDS, "next_visit_due", row)
    check = param_name(CHECK_DATE_KEY)
    return (f'=AND({key}<>"",{risk}<>"已消除",OR(AND(ISNUMBER({due}),{due}<INT({check})),'
            f'AND({last}="{NEVER_VISITED}",{due}="")))')


def case_formulas(rows: Mapping[str, int]) -> dict[str, Callable[[int], str]]:
    """The formulas of 救助's 办结时限 and 剩余工作日."""
    refs = _Refs(rows)
    check = f"INT({param_name(CHECK_DATE_KEY)})"
    days = param_name("procedure.deadline_days")
    mode = param_name("procedure.deadline_mode")
    date, workday, index = CALENDAR_NAMES

    def at(names: str, day: str) -> str:
        return f"INDEX({names},MATCH({day},{date},0))"

    def deadline(row: int) -> str:
        k, found = refs.cell(CASES, "case_no", row), refs.cell(CASES, "found_date", row)
        start = f"INT({found})"
        end = f"{start}+{days}"
        # 自然日: start + n, moved to the next working day (index + 1 − workday flag).
        calendar_days = f"INDEX({date},MATCH({at(index, end)}+1-{at(workday, end)},{index},0))"
        working_days = f"INDEX({date},MATCH({at(index, start)}+{days},{index},0))"
        letter, header = refs.letter(CASES, "found_date"), CASES.column("found_date").header
        blank = _note_formula(INCOMPLETE, "", letter, "ROW()", header, IS_BLANK)
        text = _note_formula(BAD_FORMAT, "", letter, "ROW()", header, IS_TEXT)
        return (
            f'=IF({k}="","",IF(LEN(TRIM({found}))=0,{blank},IF(NOT(ISNUMBER({found})),{text},'
            f'IFERROR(IF({mode}="自然日",{calendar_days},{working_days}),"{OUT_OF_CALENDAR}"))))'
        )

    def days_left(row: int) -> str:
        k = refs.cell(CASES, "case_no", row)
        stage, due = refs.cell(CASES, "stage", row), refs.cell(CASES, "deadline", row)
        return (
            f'=IF(OR({k}="",{stage}="已支付",{stage}="已终止",NOT(ISNUMBER({due}))),"",'
            f'IFERROR(IF({mode}="自然日",{due}-{check},{at(index, due)}-{at(index, check)}),'
            f'"{OUT_OF_CALENDAR}"))'
        )

    return {"deadline": deadline, "days_left": days_left}


