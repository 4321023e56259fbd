"""The button scripts: 校验本工作簿, 生成公示名单, 刷新计算列.

Each works on an xlwings ``Book``, so one module serves every runtime:

* desktop Excel on Windows runs them from a button through VBA ``RunPython``
  (``macros/fangpin.bas``): ``run("check")`` takes the calling book;
* xlwings Server and xlwings Lite run the ``@xw.script`` functions below, to
  which the runtime hands the open book.

The work is in the library: the checks are ``checks.check_workbook`` on the
book's values, so 校验本工作簿 finds exactly the issues ``fangpin-xl
validate`` finds in the saved file, with the same Chinese messages; the
notice is ``notice.notices``; the computed columns are ``derive``'s.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd
import xlwings as xw

from ..checks import CheckedWorkbook, check_workbook
from ..derive import shown_cases, shown_households
from ..errors import FangpinError
from ..formulas import FIRST_DATA_ROW, case_formulas, household_formulas, param_name
from ..issues import ERROR, ISSUE_HEADERS, WARNING, Issue, count_by_severity
from ..notice import LIST_HEADERS, notice_sheet_names, notices
from ..schema import CASES, HOUSEHOLDS, ISSUES_SHEET, SHEETS
from ..text import cell_text, redact, split_cell
from .book import (
    COMPUTED_COLOR,
    ERROR_COLOR,
    MAX_COLORED,
    WARNING_COLOR,
    color_cells,
    computed_letters,
    find_or_add_sheet,
    read_book,
    sheet_values,
    write_rows,
)

_COLUMN_WIDTHS = {"级别": 6, "问题": 18, "文件": 16, "工作表": 10, "单元格": 8, "行": 6, "列": 14,
                  "值": 18, "说明": 70, "代码": 12}
NOTICE_PREFIX = "公示-"


# -- 校验本工作簿 -----------------------------------------------------------------------

def check_book(book: Any, *, today: dt.date | None = None) -> CheckedWorkbook:
    """Check the open book, colour the problem cells and write (or refresh) the 问题 sheet."""
    previous = _previous_marks(book)
    checked = check_workbook(read_book(book), today=today)
    computed = computed_letters(checked.data)

    def restored(sheet: str, cell: str) -> str | None:
        letters, _ = split_cell(cell)
        return COMPUTED_COLOR if letters in computed.get(sheet, set()) else None

    color_cells(book, [(sheet, cell, restored(sheet, cell)) for sheet, cell in previous])
    marks = _marks(checked.issues)
    color_cells(book, [(sheet, cell, color) for (sheet, cell), color in marks[:MAX_COLORED]])
    _write_issue_sheet(book, checked, len(marks))
    counts = count_by_severity(checked.issues)
    _tell(book, f"校验完成：错误 {counts[ERROR]} 个，提醒 {counts[WARNING]} 个，"
                f"详见“{ISSUES_SHEET}”工作表（红色为错误，黄色为提醒）。")
    return checked


def _marks(issues: tuple[Issue, ...]) -> list[tuple[tuple[str, str], str]]:
    """(sheet, cell) → colour, errors first; an error wins over a warning on one cell."""
    colors: dict[tuple[str, str], str] = {}
    for found in sorted(issues, key=lambda i: not i.is_error):
        if found.cell and found.sheet:
            colors.setdefault((found.sheet, found.cell), ERROR_COLOR if found.is_error else WARNING_COLOR)
    return list(colors.items())


def _previous_marks(book: Any) -> list[tuple[str, str]]:
    """The cells the last run coloured: the 工作表 and 单元格 of the old 问题 sheet."""
    if ISSUES_SHEET not in [sheet.name for sheet in book.sheets]:
        return []
    rows = sheet_values(book.sheets[ISSUES_SHEET])
    for r, row in enumerate(rows[:5]):
        if "工作表" in row and "单元格" in row:
            s, c = row.index("工作表"), row.index("单元格")
            return [(cell_text(x[s]), cell_text(x[c])) for x in rows[r + 1:] if x[s] and x[c]]
    return []


def _write_issue_sheet(book: Any, checked: CheckedWorkbook, marked: int) -> None:
    sheet = find_or_add_sheet(book, ISSUES_SHEET)
    counts = count_by_severity(checked.issues)
    title = (f"校验结果：错误 {counts[ERROR]} 个，提醒 {counts[WARNING]} 个（核查基准日 "
             f"{checked.check_date.isoformat()}，校验于 {dt.date.today().isoformat()}）；"
             "点击“单元格”可跳到该单元格")
    if marked > MAX_COLORED:
        title += f"；问题单元格较多，只标了颜色的前 {MAX_COLORED} 个"
    write_rows(sheet, "A1", [[title]])
    rows = [["" if v is None else v for v in found.as_row()] for found in checked.issues]
    write_rows(sheet, "A2", [list(ISSUE_HEADERS), *rows])
    link = ISSUE_HEADERS.index("单元格")
    names = {s.name for s in book.sheets}
    for r, found in enumerate(checked.issues, start=3):
        if found.cell and found.sheet in names:
            quoted = found.sheet.replace("'", "''")
            sheet.range((r, link + 1)).add_hyperlink(f"#'{quoted}'!{found.cell}", found.cell)
    for i, header in enumerate(ISSUE_HEADERS, start=1):
        sheet.range((1, i)).column_width = _COLUMN_WIDTHS.get(header, 12)
    sheet.range((2, 1), (2, len(ISSUE_HEADERS))).color = "#DDEBF7"
    sheet.activate()


# -- 生成公示名单 ------------------------------------------------------------------------

def notice_sheet(book: Any, *, village: str | None = None, start: dt.date | None = None) -> list[str]:
    """A print-ready public-notice sheet for the selected village; returns the sheets written.

    The village is ``village``, else the 村 of the selected row on 监测户, else the
    selected cell's text when it names a village with cases to publicise.
    """
    checked = check_workbook(read_book(book))
    wanted = village or _selected_village(book, checked)
    found = notices(checked, village=wanted, start=start) if wanted else []
    if not found:
        villages = sorted({n.village for n in notices(checked, start=start)})
        if not villages:
            _tell(book, "本工作簿中没有已查勘、尚未备案的救助案件，无需生成公示名单。")
            return []
        _tell(book, ("请先在“监测户”表中选中要公示的村的任一行，再点“生成公示名单”。"
                     if not wanted else f"“{wanted}”没有已查勘、待公示的救助案件。")
              + f"有待公示案件的村：{'、'.join(villages)}")
        return []
    written = []
    for item, name in zip(found, notice_sheet_names(found, NOTICE_PREFIX), strict=True):
        sheet = find_or_add_sheet(book, name)
        rows: list[list[Any]] = [[item.title], [item.text], [""], list(LIST_HEADERS)]
        rows += item.rows.to_numpy(dtype=object).tolist()
        rows += [[""], [item.contact], [""], [item.signature]]
        # Printed and posted: no ID or mobile number, even one typed into a name cell.
        write_rows(sheet, "A1", [[redact(v) if isinstance(v, str) else v for v in row]
                                 + [""] * (len(LIST_HEADERS) - len(row)) for row in rows])
        for i, width in enumerate((6, 14, 12, 10, 16), start=1):
            sheet.range((1, i)).column_width = width
        sheet.range((4, 1), (4, len(LIST_HEADERS))).color = "#DDEBF7"
        written.append(sheet.name)
    book.sheets[written[-1]].activate()
    _tell(book, f"已生成公示名单：{'、'.join(written)}（不含身份证号、电话、银行账号和健康信息）。")
    return written


def _selected_village(book: Any, checked: CheckedWorkbook) -> str | None:
    """The village of the selected 监测户 row, or the selected cell when it names a village."""
    households = checked.sheet("households")
    if households is None:
        return None
    try:
        selection = book.selection
        sheet_name, row, value = selection.sheet.name, int(selection.row), selection.value
    except Exception:  # noqa: BLE001 - nothing selected, or an engine without a selection
        return None
    villages = households.frame["village"]
    if sheet_name == households.name and row in households.frame.index:
        return cell_text(villages.at[row]) or None
    if isinstance(value, list):
        value = value[0] if value and not isinstance(value[0], list) else None
    text = cell_text(value).strip()
    return text if text and text in set(villages.dropna().map(cell_text)) else None


# -- 刷新计算列 --------------------------------------------------------------------------

def refresh_computed(book: Any) -> dict[str, int]:
    """Make the computed columns of 监测户 and 救助 right for every data row; return rows per sheet
    written (a sheet missing, without rows or without computed headers is left, and the message
    box says which and why instead of claiming a refresh).

    A workbook made from the county template (its 参数 values have the defined
    names ``P_…``) gets the template's own formulas written over all its data
    rows, their ranges sized to the rows the sheets now hold: the columns stay
    live where Python is not installed. Any other workbook gets ``derive``'s
    values. The template's sheets are protected without a password: desktop
    Excel lifts and restores the protection; in Excel on the web and xlwings
    Lite lift it first (审阅 → 撤销工作表保护).
    """
    checked = check_workbook(read_book(book))
    names = {str(n.name).split("!")[-1] for n in book.names}
    template = param_name("income.threshold") in names
    written: dict[str, int] = {}
    skipped: list[str] = []
    if template:
        sizes = {spec.key: _data_rows(checked, spec.key) for spec in SHEETS}
        factories = {HOUSEHOLDS.key: household_formulas(sizes), CASES.key: case_formulas(sizes)}
    shown = (None if checked.households is None else shown_households(checked.households),
             None if checked.cases is None else shown_cases(checked.cases))
    for spec, derived in zip((HOUSEHOLDS, CASES), shown, strict=True):
        sd = checked.sheet(spec.key)
        if sd is None:
            skipped.append(f"没有“{spec.name}”工作表")
            continue
        if derived is None or not len(sd.frame):
            skipped.append(f"“{sd.name}”没有数据行")
            continue
        columns = [c for c in spec.computed_columns if c.key in sd.columns
                   and (template or c.key in derived.columns)]
        if not columns:
            headers = "、".join(f"“{c.header}”" for c in spec.computed_columns)
            skipped.append(f"“{sd.name}”中找不到计算列（{headers}）的表头")
            continue
        sheet = book.sheets[sd.name]
        with _unprotected(sheet):
            for column in columns:
                letter = sd.columns[column.key]
                if template:
                    _write_formulas(sheet, letter, factories[spec.key][column.key], sizes[spec.key])
                else:
                    for first, last in _runs(list(sd.frame.index)):
                        values = derived.loc[first:last, column.key].tolist()
                        write_rows(sheet, f"{letter}{first}", [[_cell_value(v)] for v in values])
        written[sd.name] = len(sd.frame)
    _tell(book, _refresh_message(written, skipped))
    return written


def _refresh_message(written: dict[str, int], skipped: list[str]) -> str:
    if not written:
        return ("没有刷新任何计算列：" + "；".join(skipped)
                + "。此按钮用于县里下发的乡镇模板（或带有计算列表头的工作簿），且表中要有已填写的户或案件。")
    done = "已刷新计算列：" + "，".join(f"{k} {v} 行" for k, v in written.items())
    return done + (f"（未刷新：{'；'.join(skipped)}）" if skipped else "") + "。"


def _data_rows(checked: CheckedWorkbook, key: str) -> int:
    """Rows the formulas must cover on a sheet: through its last data row (at least one)."""
    sd = checked.sheet(key)
    if sd is None or not len(sd.frame):
        return 1
    return max(1, int(sd.frame.index.max()) - FIRST_DATA_ROW + 1)


def _write_formulas(sheet: Any, letter: str, factory: Any, rows: int) -> None:
    formulas = [factory(FIRST_DATA_ROW + i) for i in range(rows)]
    if formulas and formulas[0].startswith("{"):
        # An array formula (最近回访日期) is set cell by cell.
        for i, formula in enumerate(formulas):
            sheet[f"{letter}{FIRST_DATA_ROW + i}"].formula_array = formula[1:-1]
    else:
        sheet[f"{letter}{FIRST_DATA_ROW}"].formula = [[f] for f in formulas]


@contextlib.contextmanager
def _unprotected(sheet: Any) -> Iterator[None]:
    """Desktop Excel (COM): lift the template's password-less protection while writing."""
    api: Any = getattr(sheet, "api", None)
    protected = bool(getattr(api, "ProtectContents", False))
    if protected:
        api.Unprotect("")
    try:
        yield
    finally:
        if protected:
            api.Protect("", AllowFormattingColumns=True, AllowFormattingRows=True,
                        AllowInsertingRows=True, AllowDeletingRows=True, AllowSorting=True,
                        AllowFiltering=True)


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    """Consecutive row numbers as (first, last) pairs."""
    runs: list[tuple[int, int]] = []
    for row in rows:
        if runs and row == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs


def _cell_value(value: Any) -> Any:
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value.item() if hasattr(value, "item") else value


# -- shared --------------------------------------------------------------------------------

def _tell(book: Any, message: str, *, critical: bool = False) -> None:
    """Tell the user, in a message box where the runtime has one (a red one for ``critical``)."""
    try:
        book.app.alert(message, title="精准防贫", mode="critical" if critical else "info")
    except Exception:  # noqa: BLE001 - engines without a message box: the sheets say it
        pass


#: Desktop (RunPython) entry points by name: the button's Chinese name and its script.
_SCRIPTS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "check": ("校验本工作簿", check_book), "notice": ("生成公示名单", notice_sheet),
    "refresh": ("刷新计算列", refresh_computed),
}


def run(name: str) -> None:
    """Run a script on the calling book (desktop Excel: ``RunPython "…run('check')"``)."""
    book = xw.Book.caller()
    if name not in _SCRIPTS:
        _tell(book, f"没有名为“{name}”的按钮操作：请用 fangpin-xl excel macros 重新导出 VBA 模块，"
                    "在 VBA 编辑器中替换旧模块。", critical=True)
        return
    title, script = _SCRIPTS[name]
    _guarded(book, title, script)


@xw.script(name="校验本工作簿")
def check_this_workbook(book: xw.Book) -> None:
    """校验本工作簿：与 fangpin-xl validate 相同的检查，标出问题单元格并生成“问题”工作表。"""
    _guarded(book, *_SCRIPTS["check"])


@xw.script(name="生成公示名单")
def make_notice(book: xw.Book) -> None:
    """为选中的村生成公示名单（不含身份证号、电话、银行账号和健康信息）。"""
    _guarded(book, *_SCRIPTS["notice"])


@xw.script(name="刷新计算列")
def refresh_columns(book: xw.Book) -> None:
    """按规则重新计算“监测户”“救助”的计算列。"""
    _guarded(book, *_SCRIPTS["refresh"])


def _guarded(book: Any, title: str, script: Callable[[Any], Any]) -> None:
    """Run ``script``; whatever goes wrong ends in a message box in Chinese, never a traceback.

    A ``FangpinError`` says what to do in its own words. Anything else is a bug: the
    clerk learns that the work may be half done and whom to send the book to; only the
    exception's type is shown (its text may be English or hold a person's data).
    KeyboardInterrupt, SystemExit and cancellation are not ``Exception`` and pass.
    """
    try:
        script(book)
    except FangpinError as exc:
        _tell(book, f"错误：{exc}", critical=True)
    except Exception as exc:  # noqa: BLE001 - no traceback may reach a clerk
        _tell(book, unexpected_message(title, exc), critical=True)


def unexpected_message(title: str, exc: BaseException) -> str:
    """What a clerk reads when ``title`` (a button's name) failed for a reason nobody foresaw."""
    return (f"{title}时出错：程序遇到意外情况，未能完成，工作簿可能只改动了一部分。"
            f"（技术信息：{type(exc).__name__}）请把工作簿发给技术支持。")
