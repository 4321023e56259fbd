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
* the next visit is due by the last day of the calendar period (the quarter for
  a 回访间隔 of 3 months) after the last visit's: ``EOMONTH(last, 2n−1−MOD(MONTH(last)−1, n))``
  (``followup.next_visit_due``); a household never visited shows 未回访 and owes
  its first visit by the end of the period after its 纳入监测日期's;
* deadlines use the 日历 sheet's running working-day count (CAL_INDEX), the
  same mechanism as ``workdays.add_workdays_series``; a date outside the
  calendar's three years shows 超出日历范围.

Light on purpose (no xlsxwriter): the Excel scripts import it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from . import rules
from .policy import GROUPS, KIND_FIELDS, SPENDING_KINDS
from .schema import CASES, CHECK_DATE_KEY, HOUSEHOLDS, SPENDING, VISITS, Sheet
from .text import column_letter

#: The first data row, 1-based as Excel shows it (row 1 a title, row 2 the headers).
FIRST_DATA_ROW = 3
CALENDAR_NAMES = ("CAL_DATE", "CAL_WORKDAY", "CAL_INDEX")
OUT_OF_CALENDAR = "超出日历范围"
#: What 最近回访日期 shows for a household with no visit on record.
NEVER_VISITED = "未回访"

_GROUP_CODES = {group: f"g{i}" for i, group in enumerate(GROUPS, start=1)}
_NOT_NAME_CHAR = re.compile(r"[^A-Za-z0-9_]")


def param_name(key: str) -> str:
    """The defined name of a 参数 value: ``spending.medical.脱贫不稳定户`` → ``P_spending_medical_g1``."""
    for group, code in _GROUP_CODES.items():
        key = key.replace(group, code)
    return "P_" + _NOT_NAME_CHAR.sub("_", key)


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
        def formula(row: int) -> str:
            k = key(row)
            condition = (
                f'({s_key}={k})*({s_kind}="{kind}")*ISNUMBER({s_date})'
                f"*({s_date}>EDATE({check},-{window}))*({s_date}<={check})"
            )
            return f'=IF({k}="","",ROUND(SUMPRODUCT({condition},{s_amount}),2))'
        return formula

    def rule_cells(row: int) -> dict[str, str]:
        return {name: refs.cell(HOUSEHOLDS, name, row) for name in rules.INPUT_COLUMNS}

    def guarded(inner: str, row: int) -> str:
        return f'=IF({key(row)}="","",{inner[1:]})'

    def status(row: int) -> str:
        return guarded(rules.excel_status_formula(rule_cells(row), param_name), row)

    def met(row: int) -> str:
        return guarded(rules.excel_met_formula(rule_cells(row), param_name), row)

    def last_visit(row: int) -> str:
        k = key(row)
        mine = f"({v_key}={k})*ISNUMBER({v_date})"
        return f'{{=IF({k}="","",IF(SUM({mine})=0,"{NEVER_VISITED}",MAX(IF({mine},{v_date}))))}}'

    def period_end(day: str) -> str:
        # The last day of the calendar period (of `interval` months) after the day's period.
        return f"EOMONTH({day},2*{interval}-1-MOD(MONTH({day})-1,{interval}))"

    def visit_due(row: int) -> str:
        last = refs.cell(HOUSEHOLDS, "last_visit", row)
        since = refs.cell(HOUSEHOLDS, "monitored_since", row)
        return (f'=IF({key(row)}="","",IF(ISNUMBER({last}),{period_end(last)},'
                f'IF(ISNUMBER({since}),{period_end(since)},"")))')

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
        return (
            f'=IF(OR({k}="",NOT(ISNUMBER({found}))),"",'
            f'IFERROR(IF({mode}="自然日",{calendar_days},{working_days}),"{OUT_OF_CALENDAR}"))'
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


