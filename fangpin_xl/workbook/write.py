"""The one writer of new workbooks: templates, the sample county and the county merge.

Everything here goes through xlsxwriter with automatic type guessing switched
off (``strings_to_formulas``/``numbers``/``urls``), so a value is written as
the type it has in the frame: an ID number stays text, and a string the sample
county planted in a money column stays a string.

Rows are written with ``write_row`` from per-column Python lists prepared with
pandas operations; the only per-cell work is xlsxwriter's own (the county merge
writes more than a million rows through here).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_range, xl_rowcol_to_cell
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from ..errors import InputError
from ..files import atomic_output  # noqa: F401 - re-exported for writers
from ..policy import SPENDING_KINDS
from ..schema import (
    CHOICE,
    DATE,
    ID,
    INTEGER,
    MONEY,
    MONTH,
    PERCENT,
    PHONE,
    TEXT_TYPES,
    YESNO,
    Column,
    Sheet,
)
from ..text import cell_text, display_width, fit_cell, text_mask
from .made import MARK

#: Excel's row limit, and the data rows a sheet with a title and a header row can hold.
EXCEL_MAX_ROWS = 1_048_576
HEADER_ROWS = 2
MAX_DATA_ROWS = EXCEL_MAX_ROWS - HEADER_ROWS
#: The first data row, 1-based as Excel shows it.
FIRST_DATA_ROW = HEADER_ROWS + 1

_EXCEL_EPOCH = np.datetime64("1899-12-30T00:00:00", "ns")
_NS_PER_DAY = 86_400 * 10**9

TABLE_STYLE = "Table Style Light 9"
#: A4 in xlsxwriter's paper numbering.
PAPER_A4 = 9
#: The smallest print scale (percent): 11-point text stays at 6 points or more.
MIN_PRINT_SCALE = 55
#: Side margins (inches) and the printable width of A4 in pixels (96 dpi) between them.
SIDE_MARGIN = 0.3
PRINT_WIDTH_PX = {False: int((8.27 - 2 * SIDE_MARGIN) * 96), True: int((11.69 - 2 * SIDE_MARGIN) * 96)}
#: The lines a form is signed on, and the page number, in the printed footer.
SIGNATURE = "填报单位：____________　填报人：__________　审核人：__________　日期：__________"
PAGE_NUMBER = "第 &P 页，共 &N 页"

FormulaFactory = Callable[[int], str]

#: Functions xlsxwriter prefixes with ``_xlfn.`` even without ``use_future_functions``.
_PREFIXED_FUNCTIONS = re.compile(
    r"\b(?:ANCHORARRAY|BYCOL|BYROW|CHOOSECOLS|CHOOSEROWS|DROP|EXPAND|FILTER|HSTACK|LAMBDA|"
    r"MAKEARRAY|MAP|RANDARRAY|REDUCE|SCAN|SINGLE|SEQUENCE|SORT|SORTBY|SWITCH|TAKE|TEXTSPLIT|"
    r"TOCOL|TOROW|UNIQUE|VSTACK|WRAPCOLS|WRAPROWS|XLOOKUP)\("
)


class _Worksheet(Worksheet):
    """A worksheet that prepares formulas without Excel-365 functions in one regex search.

    xlsxwriter runs about 30 ``re.sub`` calls over every formula to add
    ``_xlfn.`` prefixes; for the long eligibility formulas of a template that
    was nine tenths of the writing time. Formulas that use none of those
    functions only lose the "=" / braces, exactly as xlsxwriter would do; any
    other formula goes through xlsxwriter's own code.
    """

    def _prepare_formula(self, formula, expand_future_functions=False):
        if (self.use_future_functions or expand_future_functions or "_xlfn." in formula
                or _PREFIXED_FUNCTIONS.search(formula)):
            return super()._prepare_formula(formula, expand_future_functions)
        if formula.startswith("{"):
            formula = formula[1:]
        if formula.startswith("="):
            formula = formula[1:]
        if formula.endswith("}"):
            formula = formula[:-1]
        return formula


def new_workbook(
    path: str | Path, *, constant_memory: bool = False, created: dt.datetime | None = None,
    made_as: str | None = None,
) -> Workbook:
    """An xlsxwriter workbook that writes every value as the type it has.

    ``constant_memory`` streams rows to disk (for the county merge; tables
    then need ``add_streamed_table``). ``created`` fixes the document
    creation time, which makes the file reproducible byte for byte (the
    committed templates rely on it). ``made_as`` marks the workbook as a
    command's output (``made.check_output`` replaces only such a workbook).
    """
    wb = xlsxwriter.Workbook(
        str(path),
        {
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
            "constant_memory": constant_memory,
            "default_date_format": "yyyy-mm-dd",
        },
    )
    wb.worksheet_class = _Worksheet
    if created is not None:
        wb.set_properties({"created": created})
    if made_as is not None:
        wb.set_custom_property(MARK, made_as)
    return wb


class Formats:
    """The formats every sheet shares, created once per workbook."""

    def __init__(self, wb: Workbook):
        self._wb = wb
        self.title = wb.add_format({"bold": True, "font_size": 14, "valign": "vcenter"})
        self.header = wb.add_format(
            {"bold": True, "text_wrap": True, "align": "center", "valign": "vcenter",
             "border": 1, "bg_color": "#DDEBF7"}
        )
        #: Header of a computed column (green: filled in by formulas).
        self.computed_header = wb.add_format(
            {"bold": True, "text_wrap": True, "align": "center", "valign": "vcenter",
             "border": 1, "bg_color": "#E2EFDA"}
        )
        self.text = wb.add_format({"num_format": "@"})
        self.date = wb.add_format({"num_format": "yyyy-mm-dd"})
        self.month = wb.add_format({"num_format": "yyyy-mm"})
        self.money = wb.add_format({"num_format": "#,##0.00"})
        self.integer = wb.add_format({"num_format": "0"})
        self.general = wb.add_format({})
        self.wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        self.warning = wb.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"})
        #: A cell users may change on a protected sheet.
        self.unlocked_date = wb.add_format(
            {"num_format": "yyyy-mm-dd", "locked": False, "bg_color": "#FFF2CC", "border": 1}
        )
        self._cache: dict[tuple[str, bool, bool], Format] = {}

    _NUM_FORMATS = {
        DATE: "yyyy-mm-dd", MONTH: "yyyy-mm", MONEY: "#,##0.00", INTEGER: "0", PERCENT: "0.00%",
    }

    def column(self, column: Column, *, locked: bool = True) -> Format:
        """The format of a column's data cells (and of its blank prepared cells)."""
        computed = column.computed is not None
        if column.type in TEXT_TYPES or column.type == YESNO:
            kind = "general" if computed else "@"
        else:
            kind = self._NUM_FORMATS.get(column.type, "general")
        key = (kind, computed, locked)
        if key not in self._cache:
            props: dict[str, Any] = {}
            if kind != "general":
                props["num_format"] = kind
            if computed:
                props["bg_color"] = "#F2F2F2"
            if not locked:
                props["locked"] = False
            if not props:
                self._cache[key] = self.general
            elif props == {"num_format": "@"}:
                self._cache[key] = self.text
            else:
                self._cache[key] = self._wb.add_format(props)
        return self._cache[key]


# -- values ----------------------------------------------------------------------

def excel_serials(values: pd.Series) -> pd.Series:
    """Dates as Excel serial numbers (float, NaN where missing), vectorised."""
    stamps = pd.to_datetime(values, errors="coerce")
    if isinstance(stamps.dtype, pd.DatetimeTZDtype):
        stamps = stamps.dt.tz_localize(None)
    nanos = stamps.to_numpy(dtype="datetime64[ns]")
    serial = (nanos - _EXCEL_EPOCH).astype("timedelta64[ns]").astype(np.int64) / _NS_PER_DAY
    serial[np.isnat(nanos)] = np.nan
    return pd.Series(serial, index=values.index)


def _number_cell(value: Any) -> Any:
    """A value in a number or date column: a float (dates as serials) or the text as it is."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_):
        return "是" if value else "否"
    if isinstance(value, int | float | np.number):
        number = float(value)
        return number if np.isfinite(number) else None
    if isinstance(value, dt.date | np.datetime64):
        stamp = pd.Timestamp(value)
        if stamp.tzinfo is not None:
            stamp = stamp.tz_localize(None)
        return (stamp - pd.Timestamp("1899-12-30")) / pd.Timedelta(days=1)
    return str(value)


def column_values(column: Column, values: pd.Series) -> list:
    """The Python values ``write_row`` gets for one column.

    Text types (and yes/no): strings, other values converted as a user would
    see them. Numbers and dates: Python floats (dates as Excel serials, shown
    by the column's date format), while strings stay strings exactly as they
    are. Missing values: ``None``. Typed columns take a vectorised path; only
    object columns holding mixed values go value by value.
    """
    values = values.reset_index(drop=True)
    missing = values.isna().to_numpy(dtype=bool, copy=True)
    if column.type in TEXT_TYPES or column.type == YESNO:
        out = values.to_numpy(dtype=object, copy=True)
        other = ~missing & ~text_mask(values)
        if other.any():
            out[other] = values[other].map(cell_text).to_numpy(dtype=object)
    elif pd.api.types.is_datetime64_any_dtype(values.dtype):
        out = np.array(excel_serials(values).to_numpy(), dtype=object)
    elif pd.api.types.is_bool_dtype(values.dtype) or not pd.api.types.is_numeric_dtype(values.dtype):
        out = np.array(values.map(_number_cell, na_action="ignore").to_numpy(), dtype=object)
    else:
        numbers = values.to_numpy(dtype=np.float64, na_value=np.nan)
        missing |= ~np.isfinite(numbers)
        out = numbers.astype(object)
    out[missing] = None
    return out.tolist()


# -- data sheets -------------------------------------------------------------------

#: What each computed column shows (``Column.computed`` → Chinese), for header notes.
COMPUTED_NOTES: dict[str, str] = {
    **{f"spending:{kind}": f"支出表中本户“{kind}”支出在统计期内（核查基准日前若干个月，见参数表）的合计（元）。"
       "该户该类支出有日期或金额填成了文字、或有金额没填日期时，不计合计，显示"
       "“数据格式有误：…”或“资料不全：…”并指出是哪个单元格。"
       for kind in SPENDING_KINDS},
    "status": "按参数表的收入标准和支出标准判定：符合 / 不符合。户类型、收入没填时显示“资料不全：…”，"
              "收入或支出的日期、金额填成了文字时显示“数据格式有误：…”，并指出是哪个单元格。",
    "met": "满足的条件：收入（或收入免核）和达到标准的支出类别。",
    "last_visit": "帮扶表中本户最近一次回访日期；没有回访记录的显示“未回访”；"
                  "回访日期填成了文字的显示“数据格式有误：…”，并指出是哪个单元格。",
    "visit_due": "最近回访所在季度（参数表的回访周期）的下一季度最后一天；从未回访的，按纳入监测日期计算。"
                 "已逾期的户（风险已消除的除外）标红。",
    "deadline": "发现日期加救助程序时限（按参数表的时限单位和日历表计算）。发现日期没填或填成文字时显示原因。",
    "days_left": "核查基准日到办结时限的剩余工作日，负数为已超期；已支付、已终止的案件不显示。",
}


def fit_row(values) -> list:
    """A row's values with each text longer than a cell holds cut (``text.fit_cell``)."""
    return [fit_cell(v) if isinstance(v, str) else v for v in values]


def header_note(column: Column) -> str:
    """The comment on a header cell: what to enter (or what a computed column shows)."""
    lines = []
    if column.computed is not None:
        lines.append("自动计算（公式），请勿填写或修改。")
        if column.computed in COMPUTED_NOTES:
            lines.append(COMPUTED_NOTES[column.computed])
    else:
        lines.append("必填。" if column.required else "选填。")
    if column.note:
        lines.append(column.note if column.note.endswith("。") else column.note + "。")
    if column.choices and column.computed is None:
        lines.append("可选：" + "、".join(column.choices) + "（从下拉列表选择）。")
    if column.type in (ID, PHONE):
        if "文本格式" not in column.note:
            lines.append("本列为文本格式。")
        lines.append("直接输入号码，不要输入成数字"
                     + ("（否则 18 位号码的后几位会变成 0）" if column.type == ID else "")
                     + "；存成数字时单元格变红。")
    elif column.type == DATE and column.computed is None:
        lines.append("日期，如 2020-08-25。填成文字时单元格变红。")
    elif column.type == MONEY and column.computed is None:
        lines.append("数字（元），不要加“元”等文字。填成文字时单元格变红。")
    elif column.type == INTEGER and column.computed is None:
        lines.append("整数。填成文字时单元格变红。")
    return "\n".join(lines)


def write_data_sheet(
    wb: Workbook,
    sheet_spec: Sheet,
    frame: pd.DataFrame | None,
    *,
    title: str,
    formats: Formats,
    table_name: str | None = None,
    formula_columns: Mapping[str, FormulaFactory] | None = None,
    prepared_rows: int = 0,
    protect_header: bool = False,
    sheet_name: str | None = None,
    input_notes: bool = True,
    guard_inputs: bool = False,
    signature: bool = False,
) -> int:
    """Write one data sheet laid out as docs/WORKBOOK-LAYOUT.md says; return the data rows written.

    Row 1 holds ``title``, row 2 the schema headers (with notes), data from row 3
    in schema column order (frame columns by schema key; absent columns stay
    blank, extra ones are ignored). ``formula_columns`` maps a column key to a
    function of the 1-based Excel row returning the formula ("=…", or "{=…}"
    for an array formula); it is written in every row up to
    ``max(len(frame), prepared_rows)``, with the frame's value (if the frame
    has that column) as the cached result. The table, drop-downs for choice
    columns, and the formats span the same rows. ``protect_header`` locks the
    sheet except the input columns' cells. ``sheet_name`` defaults to the
    schema name (the merge passes continuation names). ``input_notes=False``
    (a report, nothing to fill in) comments only the headers whose column has
    a note, with that note. ``guard_inputs`` (a form people fill in) adds
    ``input_guards``: data validation of date and number columns and a red
    mark on a cell holding text where a number or date belongs. The sheet
    prints the title, the headers and the rows of ``frame`` (``page_setup``),
    with the signature lines of a form when ``signature``.
    """
    frame = pd.DataFrame() if frame is None else frame
    formula_columns = dict(formula_columns or {})
    n = len(frame)
    total = max(n, int(prepared_rows))
    name = sheet_name or sheet_spec.name
    if total > MAX_DATA_ROWS:
        raise InputError(
            f"工作表“{name}”要写入 {total:,} 行数据，超过 Excel 每个工作表最多 "
            f"{MAX_DATA_ROWS:,} 行数据的上限；请分成多个工作表。"
        )
    unknown = set(formula_columns) - {c.key for c in sheet_spec.columns}
    if unknown:
        raise ValueError(f"formula columns not in sheet {sheet_spec.key}: {sorted(unknown)}")

    ws = wb.add_worksheet(name)
    columns = sheet_spec.columns
    ncols = len(columns)
    first = HEADER_ROWS  # 0-based index of the first data row
    last = first + max(total, 1) - 1  # a table needs at least one data row
    cell_formats = [formats.column(c, locked=not protect_header or c.computed is not None)
                    for c in columns]

    for i, column in enumerate(columns):
        ws.set_column(i, i, column.width, cell_formats[i])
    ws.set_row(0, 24)
    ws.set_row(1, 36)
    if ncols > 1:
        ws.merge_range(0, 0, 0, ncols - 1, title, formats.title)
    else:
        ws.write_string(0, 0, title, formats.title)
    header_formats = [formats.computed_header if c.computed is not None else formats.header
                      for c in columns]
    if wb.constant_memory:
        add_streamed_table(ws, 1, last, [c.header for c in columns], table_name or sheet_spec.key)
        for i, column in enumerate(columns):
            ws.write_string(1, i, column.header, header_formats[i])
    else:
        ws.add_table(1, 0, last, ncols - 1, {
            "name": table_name or sheet_spec.key,
            "style": TABLE_STYLE,
            "columns": [{"header": c.header, "header_format": header_formats[i]}
                        for i, c in enumerate(columns)],
        })
    for i, column in enumerate(columns):
        note = header_note(column) if input_notes else column.note
        if note:
            ws.write_comment(1, i, note, {"x_scale": 2.2, "y_scale": 1.6})

    # Input values: one list per column, then one write_row per row.
    positions = [i for i, c in enumerate(columns) if c.key not in formula_columns]
    value_lists = [
        column_values(columns[i], frame[columns[i].key]) if columns[i].key in frame.columns
        else [None] * n
        for i in positions
    ]
    contiguous = positions == list(range(len(positions)))
    formulas = [
        (i, formula_columns[c.key],
         column_values(c, frame[c.key]) if c.key in frame.columns else None)
        for i, c in enumerate(columns) if c.key in formula_columns
    ]
    rows = zip(*value_lists, strict=True) if value_lists else iter(() for _ in range(n))
    for r in range(total):
        row = first + r
        if r < n:
            values = next(rows)
            # xlsxwriter cuts a text longer than a cell holds without a word and stops the row
            # there: such a row is written again with the text cut, saying how long it was.
            if contiguous:
                if ws.write_row(row, 0, values):
                    ws.write_row(row, 0, fit_row(values))
            else:
                for i, value in zip(positions, values, strict=True):
                    if ws.write(row, i, value) and isinstance(value, str):
                        ws.write(row, i, fit_cell(value))
        for i, factory, cached in formulas:
            value = cached[r] if cached is not None and r < n else None
            _write_formula(ws, row, i, factory(row + 1), cell_formats[i], value)

    for i, column in enumerate(columns):
        if column.type in (CHOICE, YESNO) and column.choices and column.computed is None:
            ws.data_validation(first, i, last, i, {
                "validate": "list",
                "source": list(column.choices),
                "error_type": "stop",
                "error_title": "请从下拉列表选择",
                "error_message": f"“{column.header}”可选：" + "、".join(column.choices),
            })
    if guard_inputs:
        input_guards(ws, columns, first, last, formats)
    for i, column in enumerate(columns):
        if column.key == "days_left" and column.computed is not None:
            ws.conditional_format(first, i, last, i, {
                "type": "cell", "criteria": "<", "value": 0, "format": formats.warning,
            })

    # ID and phone numbers in text cells are intended: no green "number stored as text" marks.
    text_ranges = [
        xl_range(first, i, last, i) for i, c in enumerate(columns)
        if c.computed is None and (c.type in TEXT_TYPES or c.type == YESNO)
    ]
    if text_ranges:
        ws.ignore_errors({"number_stored_as_text": " ".join(text_ranges)})

    ws.freeze_panes(HEADER_ROWS, 0)
    page_setup(ws, [c.width for c in columns], last_row=HEADER_ROWS + n - 1, signature=signature)
    if protect_header:
        ws.protect("", {
            "autofilter": True, "sort": True, "format_columns": True, "format_rows": True,
            "insert_rows": True, "delete_rows": True,
        })
    return n


def column_pixels(widths) -> int:
    """The width in pixels Excel gives columns of these character widths (Calibri 11)."""
    return sum(int(float(w) * 7 + 0.5) + 5 for w in widths)


def print_plan(widths) -> tuple[bool, int | None]:
    """(landscape, fixed scale): portrait when the columns fit it at 100 %; fit to one page
    wide (scale None) when that keeps ``MIN_PRINT_SCALE``; else ``MIN_PRINT_SCALE`` itself."""
    pixels = column_pixels(widths)
    landscape = pixels > PRINT_WIDTH_PX[False]
    fits = pixels * MIN_PRINT_SCALE / 100 <= PRINT_WIDTH_PX[landscape]
    return landscape, None if fits else MIN_PRINT_SCALE


def footer_text(signature: bool) -> str:
    """The printed footer: page numbers, and the signature lines on a form."""
    return f"&L{SIGNATURE}&R{PAGE_NUMBER}" if signature else f"&C{PAGE_NUMBER}"


HEADER_TEXT = "&L&A"


def wrapped_height(text: str, width: float) -> float:
    """Row height (points) that shows ``text`` wrapped in a column ``width`` characters wide."""
    # A CJK character takes a little more than two character widths in print.
    lines = max(1, -(-display_width(text) // max(1, int(width * 0.8))))
    return 17.0 * lines


def page_setup(ws: Worksheet, widths, *, last_row: int, first_col: int = 0, title_rows: int = HEADER_ROWS,
               signature: bool = False, last_col: int | None = None) -> None:
    """Print setup of a sheet: A4, landscape where the columns are wider than portrait,
    fit to one page wide (never below ``MIN_PRINT_SCALE``; wider sheets print at that
    scale with the first column repeated), rows 1..``title_rows`` on every page, the
    sheet name above and page numbers (and the signature lines of a form) below;
    printed: the title rows and the rows down to ``last_row`` (0-based), nothing else.
    """
    landscape, scale = print_plan(widths)
    ws.set_paper(PAPER_A4)
    if landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.set_margins(left=SIDE_MARGIN, right=SIDE_MARGIN, top=0.6, bottom=0.7)
    last = first_col + len(widths) - 1 if last_col is None else last_col
    ws.print_area(0, first_col, max(last_row, title_rows - 1), last)
    if title_rows:
        ws.repeat_rows(0, title_rows - 1)
    if scale is None:
        ws.fit_to_pages(1, 0)
    else:
        ws.set_print_scale(scale)
        ws.repeat_columns(first_col)
        ws.print_across()
    ws.set_header(HEADER_TEXT, {"margin": 0.3})
    ws.set_footer(footer_text(signature), {"margin": 0.3})


#: The 参数 sheet's header row, and the widths of its printed columns (参数, 值): the key column
#: (A) is for programs and is not printed.
POLICY_HEADERS = ("键", "参数", "值")
POLICY_WIDTHS = (36, 52)


def policy_sheet(wb: Workbook, name: str, title: str, rows: int, *, title_format: Format,
                 header_format: Format, wrap_format: Format | None) -> Worksheet:
    """The 参数 sheet's frame (columns, title over the printed columns, headers, print setup)
    for ``rows`` entries; the caller writes the entries from row ``HEADER_ROWS`` on."""
    ws = wb.add_worksheet(name)
    ws.set_column(0, 0, 36)
    ws.set_column(1, 1, POLICY_WIDTHS[0])
    ws.set_column(2, 2, POLICY_WIDTHS[1], wrap_format)
    ws.merge_range(0, 1, 0, 2, title, title_format)
    ws.write_row(1, 0, POLICY_HEADERS, header_format)
    ws.freeze_panes(HEADER_ROWS, 0)
    page_setup(ws, list(POLICY_WIDTHS), first_col=1, last_row=HEADER_ROWS + rows - 1)
    return ws


#: The dates a date cell accepts (data validation).
DATE_RANGE = (dt.date(2000, 1, 1), dt.date(2099, 12, 31))


def guard_messages(column: Column) -> tuple[str, str] | None:
    """(stop title, stop message) of a typed input column's data validation, None for text."""
    if column.computed is not None:
        return None
    first, last = DATE_RANGE
    if column.type in (DATE, MONTH):
        return ("请输入日期", f"“{column.header}”请输入日期，如 2020-08-25（{first.year} 年至 {last.year} 年之间）；"
                "不要输入“2020.8.25”“2020年8月25日”等文字。")
    if column.type == MONEY:
        return ("请输入数字", f"“{column.header}”请输入不小于 0 的数字（元），不要加“元”、逗号或其他文字。")
    if column.type == INTEGER:
        return ("请输入整数", f"“{column.header}”请输入不小于 0 的整数，不要加“人”或其他文字。")
    return None


def input_guards(ws: Worksheet, columns: tuple[Column, ...], first: int, last: int,
                 formats: Formats) -> None:
    """Input cells that guard themselves in Excel, WPS and LibreOffice.

    Data validation stops a typed date outside ``DATE_RANGE`` (or text) in a
    date column and a negative number (or text) in a money or integer column,
    with a Chinese message. Validation does not see pasted values, so a
    conditional format also marks red any such cell that holds text, and an
    ID or phone cell that holds a number (Excel has dropped its last digits).
    """
    for i, column in enumerate(columns):
        if column.computed is not None:
            continue
        messages = guard_messages(column)
        cell = xl_rowcol_to_cell(first, i)
        if messages is not None:
            title, message = messages
            if column.type in (DATE, MONTH):
                rule: dict[str, Any] = {"validate": "date", "criteria": "between",
                                        "minimum": DATE_RANGE[0], "maximum": DATE_RANGE[1]}
            else:
                rule = {"validate": "decimal" if column.type == MONEY else "integer",
                        "criteria": ">=", "value": 0}
            ws.data_validation(first, i, last, i, {
                **rule, "error_type": "stop", "error_title": title, "error_message": message,
            })
            criteria = f'=AND(ISTEXT({cell}),TRIM({cell})<>"")'
        elif column.type in (ID, PHONE):
            criteria = f"=ISNUMBER({cell})"
        else:
            continue
        ws.conditional_format(first, i, last, i, {
            "type": "formula", "criteria": criteria, "format": formats.warning,
        })


def add_streamed_table(ws: Worksheet, header_row: int, last_row: int, headers: list[str],
                       name: str) -> None:
    """An Excel table over ``header_row``..``last_row`` on a constant-memory worksheet.

    xlsxwriter refuses ``add_table`` in constant-memory mode (and registers
    every cell of a table in a dict, which costs memory in proportion to the
    table). The table is added over the header and one row with constant
    memory off for the call, then its ranges are widened: the table part only
    records the range, so the result is the table Excel would have made. The
    caller writes the header row (the header cells the call stored are
    dropped: a constant-memory sheet cannot write them).
    """
    saved = ws.constant_memory
    ws.constant_memory = False
    try:
        status = ws.add_table(header_row, 0, header_row + 1, len(headers) - 1, {
            "name": name,
            "style": TABLE_STYLE,
            "columns": [{"header": h} for h in headers],
        })
    finally:
        ws.constant_memory = saved
    if status != 0:
        raise RuntimeError(f"add_table failed ({status}) for {name}")
    ws.table.pop(header_row, None)
    table = ws.tables[-1]
    full = xl_range(header_row, 0, last_row, len(headers) - 1)
    table["range"] = full
    table["a_range"] = full
    if table.get("autofilter"):
        table["autofilter"] = full


def _write_formula(ws: Worksheet, row: int, col: int, formula: str, fmt: Format, value: Any) -> None:
    cached = "" if value is None else value
    if formula.startswith("{=") and formula.endswith("}"):
        ws.write_array_formula(row, col, row, col, formula[1:-1], fmt, cached)
    elif formula.startswith("="):
        ws.write_formula(row, col, formula, fmt, cached)
    else:
        raise ValueError(f"not a formula for {xl_rowcol_to_cell(row, col)}: {formula[:40]!r}")
