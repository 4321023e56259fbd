"""The county workbook: the data sheets, 问题, 逾期与违规, 重复, 来源, 未入库, 参数 and 汇总.

Every table except the data sheets is first a ``Table`` of rows (the same
rows go into the SQLite history, ``history.py``), then written here.

* **Layout of a data sheet**: row 1 a title (on a continuation sheet, which
  rows it holds), row 2 the headers, data from row 3 as an Excel table with
  frozen headers. Columns: 来源乡镇, the schema columns in schema order, the
  extra columns townships added (union, first seen first), then 来源文件,
  来源工作表, 来源行. ("来源乡镇" and not "乡镇": 监测户 has its own 乡镇 column.)
* **Row limit.** A sheet holds at most ``MAX_DATA_ROWS`` data rows; more go to
  continuation sheets ``家庭成员(续1)`` … The rows are counted here, never left
  to the writer (xlsxwriter returns -1 past the limit without raising).
* **Speed.** One xlsxwriter workbook in constant-memory mode; each row is
  written once with ``write_row`` from per-column lists whose Python types
  were fixed column by column (strings, floats, dates as Excel serial numbers
  under a date format set on the column, ``None`` for blanks). ``write_row``
  over such lists is xlsxwriter's floor; a format on every column makes
  writing a third slower, so only dates, ID/phone (text "@") and money
  columns get one. Reading and writing do not overlap: the header row must
  hold every township's extra columns and continuation sheets must follow
  their sheet, and rows written in constant-memory mode are final.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..checks.duplicates import Occurrence
from ..files import atomic_output, write_error
from ..issues import ERROR, ISSUE_HEADERS, WARNING, count_by_severity
from ..policy import GROUPS
from ..schema import (
    CASE_STAGES,
    CHECK_DATE_KEY,
    DATE,
    ID,
    INTEGER,
    MONEY,
    MONTH,
    PHONE,
    POLICY_SHEET,
    SHEETS,
    TEXT_TYPES,
    YESNO,
    Column,
    Sheet,
)
from ..text import shown_path
from ..workbook.write import (
    HEADER_ROWS,
    MAX_DATA_ROWS,
    POLICY_WIDTHS,
    add_streamed_table,
    excel_serials,
    fit_row,
    new_workbook,
    page_setup,
    policy_sheet,
    wrapped_height,
)
from .model import (
    ACCOUNTED,
    COUNTY_KIND,
    DUPLICATES_SHEET,
    FILE_HEADER,
    ISSUES_SHEET,
    MERGED,
    REJECTED_SHEET,
    ROW_HEADER,
    SHEET_HEADER,
    SKIPPED,
    SOURCES_SHEET,
    STATUS_LABELS,
    SUMMARY_SHEET,
    TOWNSHIP_HEADER,
    VIOLATIONS_SHEET,
    FileReport,
    MergeResult,
    SheetCount,
    TownshipRow,
)
from .worker import Outcome

#: Column kinds of the writer.
TEXT, NUMBER_TEXT, NUMBER, DATE_KIND, MONTH_KIND, RAW, INT = (
    "text", "id", "number", "date", "month", "raw", "int")


@dataclass(frozen=True)
class Col:
    header: str
    kind: str
    width: float = 12


@dataclass
class Table:
    """A county table: its sheet, title, columns and rows (also a table of the history)."""

    name: str
    title: str
    columns: list[Col]
    rows: list[tuple]
    table_name: str

    def frame(self) -> pd.DataFrame:
        """The rows as the SQLite history stores them (counts as integers, text as text)."""
        frame = pd.DataFrame(self.rows, columns=[c.header for c in self.columns])
        for c in self.columns:
            if c.kind == INT:
                frame[c.header] = pd.to_numeric(frame[c.header], errors="coerce").astype("Int64")
            elif c.kind in (TEXT, NUMBER_TEXT):
                frame[c.header] = frame[c.header].astype(object)
        return frame


# -- the tables --------------------------------------------------------------------------

def issues_table(result: MergeResult, merged: list[Outcome]) -> Table:
    widths = (6, 18, 16, 10, 8, 7, 14, 20, 60, 10)
    columns = [Col(TOWNSHIP_HEADER, TEXT, 10)] + [
        Col(h, INT if h == "行" else TEXT, w) for h, w in zip(ISSUE_HEADERS, widths, strict=True)
    ]
    rows = [(o.report.township, *found.as_row()) for o in merged for found in o.issues]
    counts = count_by_severity(result.issues)
    title = (f"问题（各乡镇工作簿校验结果，与 validate 相同）：错误 {counts[ERROR]} 个，"
             f"提醒 {counts[WARNING]} 个")
    return Table(ISSUES_SHEET, title, columns, rows, "issues")


_DUP_SIDE = ("来源乡镇", "来源文件", "来源工作表", "来源行", "户编号", "姓名/类别")


def _side(o: Occurrence) -> tuple:
    return (o.township, o.file, o.sheet, o.row, o.household_no, o.detail)


def duplicates_table(result: MergeResult) -> Table:
    columns = [Col("类型", TEXT, 10), Col("号码", NUMBER_TEXT, 21), Col("情形", TEXT, 14)]
    for side in ("甲", "乙"):
        columns += [Col(f"{side}·{h}", INT if h == "来源行" else TEXT, w)
                    for h, w in zip(_DUP_SIDE, (10, 16, 10, 7, 14, 10), strict=True)]
    rows = [(d.label, d.number, d.situation, *_side(d.first), *_side(d.other)) for d in result.duplicates]
    counts = result.duplicate_counts()
    title = ("重复（同一身份证号或案件编号出现不止一次，无论在哪个工作表、哪个乡镇；请核实后在乡镇工作簿中更正）："
             f"身份证号 {counts['id_number']} 处，案件编号 {counts['case_no']} 处")
    return Table(DUPLICATES_SHEET, title, columns, rows, "duplicates")


def sources_table(result: MergeResult) -> Table:
    columns = [
        Col("序号", INT, 6), Col("文件", TEXT, 18), Col("路径", TEXT, 30), Col("状态", TEXT, 8),
        Col("说明", TEXT, 30), Col("大小（字节）", INT, 12), Col("SHA-256", TEXT, 20),
        Col("乡镇", TEXT, 10), Col("参数年度", INT, 8), Col("参数与全县一致", TEXT, 10),
        Col("不一致的参数", TEXT, 30),
    ]
    for _key, name in ACCOUNTED:
        columns += [Col(f"{name}·读取", INT, 9), Col(f"{name}·入库", INT, 9), Col(f"{name}·未入库", INT, 9)]
    columns += [Col("合计·读取", INT, 9), Col("合计·入库", INT, 9), Col("合计·未入库", INT, 9),
                Col("错误", INT, 7), Col("提醒", INT, 7)]
    listed = {f.path for f in result.files}
    entries: list[FileReport] = list(result.files)
    entries += [FileReport(s.path, SKIPPED, s.reason, size=_size(s.path))
                for s in result.skipped if s.path not in listed]
    rows = []
    for number, f in enumerate(entries, start=1):
        merged = f.status == MERGED
        matches = {True: "一致", False: "不一致", None: "无参数表" if merged else None}
        row = [number, f.name, shown_path(f.path), STATUS_LABELS[f.status], f.reason or None, f.size,
               f.sha256 or None, f.township or None, f.policy_year, matches[f.policy_matches],
               "；".join(f.policy_differences) or None]
        for key, _name in ACCOUNTED:
            count = f.rows.get(key, SheetCount())
            row += [count.read, count.taken, count.rejected] if merged else [None] * 3
        total = f.total()
        row += [total.read, total.taken, total.rejected, f.errors, f.warnings] if merged else [None] * 5
        rows.append(tuple(row))
    title = (f"来源：{len(entries)} 个文件（已汇总 {len(result.merged)}，无法读取 {len(result.unreadable)}，"
             f"已跳过 {len(result.skipped)}）；每个工作表 读取 = 入库 + 未入库")
    return Table(SOURCES_SHEET, title, columns, rows, "sources")


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size if path.is_file() else None
    except OSError:
        return None


def rejected_table(merged: list[Outcome]) -> Table:
    columns = [
        Col(TOWNSHIP_HEADER, TEXT, 10), Col(FILE_HEADER, TEXT, 16), Col(SHEET_HEADER, TEXT, 10),
        Col(ROW_HEADER, INT, 7), Col("户编号", TEXT, 14), Col("案件编号", TEXT, 14),
        Col("原因", TEXT, 30), Col("行内容", TEXT, 60),
    ]
    rows = [(o.report.township, o.report.name, *r) for o in merged for r in o.rejected]
    title = f"未入库：{len(rows)} 行未能汇总（原因见各行；在乡镇工作簿中补正后重新汇总）"
    return Table(REJECTED_SHEET, title, columns, rows, "rejected")


def violations_table(merged: list[Outcome]) -> Table:
    """逾期与违规: the overdue and irregular cases of each township, with the cell to fix."""
    columns = [
        Col(TOWNSHIP_HEADER, TEXT, 10), Col("案件编号", TEXT, 14), Col("户编号", TEXT, 14),
        Col("救助类别", TEXT, 8), Col("状态", TEXT, 8), Col("发现日期", TEXT, 11), Col("办结时限", TEXT, 11),
        Col("超期天数", INT, 8), Col("问题", TEXT, 16), Col("说明", TEXT, 60), Col(FILE_HEADER, TEXT, 16),
        Col(SHEET_HEADER, TEXT, 8), Col("单元格", TEXT, 7), Col(ROW_HEADER, INT, 7),
    ]
    rows = [(o.report.township, *r[:9], o.report.name, *r[9:]) for o in merged for r in o.violations]
    cases = len({(row[10], row[13]) for row in rows})
    title = (f"逾期与违规（超过办结时限，或程序、救助金额不合规的案件，按乡镇列出；超期天数按办结时限的单位计算；"
             f"请在来源文件的该单元格更正）：{cases} 个案件，{len(rows)} 处")
    return Table(VIOLATIONS_SHEET, title, columns, rows, "violations")


SUMMARY_COLUMNS: list[Col] = (
    [Col("乡镇", TEXT, 12), Col("工作簿", INT, 7), Col("监测户", INT, 9)]
    + [Col(g, INT, 10) for g in GROUPS]
    + [Col("其他户类型", INT, 8), Col("家庭成员", INT, 9), Col("符合条件户", INT, 9)]
    + [Col(f"案件·{s}", INT, 8) for s in CASE_STAGES]
    + [Col("案件·其他状态", INT, 8), Col("已支付救助金额（元）", NUMBER, 14), Col("逾期案件", INT, 8),
       Col("应回访户", INT, 9), Col("本季度已回访户", INT, 9), Col("回访覆盖率", NUMBER, 9),
       Col("问题·错误", INT, 8), Col("问题·提醒", INT, 8)]
)
SUMMARY_HEADERS = [c.header for c in SUMMARY_COLUMNS]


def _summary_values(row: TownshipRow) -> tuple:
    return (row.township, row.files, row.households, *(row.groups[g] for g in GROUPS),
            row.other_group, row.members, row.eligible, *(row.stages[s] for s in CASE_STAGES),
            row.other_stage, round(row.relief_paid, 2), row.overdue_cases, row.monitored,
            row.visited, row.coverage, row.errors, row.warnings)


def summary_table(result: MergeResult) -> Table:
    """Per township, then the county total (the last row)."""
    rows = [_summary_values(t) for t in [*result.townships, result.total]]
    title = (f"{result.county} {result.year} 年精准防贫监测全县汇总：{len(result.merged)} 个乡镇工作簿，"
             f"生成于 {dt.date.today().isoformat()}")
    return Table(SUMMARY_SHEET, title, SUMMARY_COLUMNS, rows, "townships")


# -- data sheets --------------------------------------------------------------------------

def _kind(column: Column) -> str:
    if column.type in (ID, PHONE):
        return NUMBER_TEXT
    if column.type in TEXT_TYPES or column.type == YESNO:
        return TEXT
    return {DATE: DATE_KIND, MONTH: MONTH_KIND, INTEGER: INT, MONEY: NUMBER}.get(column.type, RAW)


def unique_headers(fixed: list[str], extras: list[str]) -> list[str]:
    """Extra headers, renamed where they clash with another header (Excel ignores case)."""
    taken = {h.casefold() for h in fixed}
    out = []
    for text in extras:
        label = text
        n = 1
        while label.casefold() in taken:
            label = f"{text}（附加{n if n > 1 else ''}）"
            n += 1
        taken.add(label.casefold())
        out.append(label)
    return out


def data_columns(spec: Sheet, extras: list[str]) -> tuple[list[Col], list[str]]:
    """The columns of a county data sheet, and the labels its extra columns get."""
    fixed = [TOWNSHIP_HEADER] + [c.header for c in spec.columns]
    labels = unique_headers(fixed + [FILE_HEADER, SHEET_HEADER, ROW_HEADER], extras)
    columns = ([Col(TOWNSHIP_HEADER, TEXT, 10)]
               + [Col(c.header, _kind(c), c.width) for c in spec.columns]
               + [Col(label, RAW, 12) for label in labels]
               + [Col(FILE_HEADER, TEXT, 16), Col(SHEET_HEADER, TEXT, 10), Col(ROW_HEADER, INT, 7)])
    return columns, labels


def extras_of(key: str, merged: list[Outcome]) -> list[str]:
    seen: dict[str, None] = {}
    for o in merged:
        part = o.parts.get(key)
        if part is not None:
            for name in part.extras:
                seen.setdefault(name, None)
    return list(seen)


def parts_of(spec: Sheet, merged: list[Outcome]) -> Iterator[tuple[Outcome, pd.DataFrame]]:
    """Each township's taken rows of a sheet, read back from its spill file one at a time."""
    for o in merged:
        part = o.parts.get(spec.key)
        if part is not None and part.rows and part.spill is not None:
            yield o, pd.read_pickle(part.spill, compression=None)


def _values(series: pd.Series, kind: str) -> list:
    """One column as the Python values write_row gets (None for blanks, never NaN)."""
    dtype = series.dtype
    if kind in (DATE_KIND, MONTH_KIND) and pd.api.types.is_datetime64_any_dtype(dtype):
        serial = excel_serials(series).to_numpy()
        out = serial.astype(object)
        out[np.isnan(serial)] = None
        return out.tolist()
    if kind in (TEXT, NUMBER_TEXT, RAW):
        # pandas may hold text as its "str" dtype, whose blanks are NaN.
        values = series.to_numpy(dtype=object, na_value=None).copy()
        values[pd.isna(values)] = None
        return values.tolist()
    if pd.api.types.is_float_dtype(dtype) or pd.api.types.is_integer_dtype(dtype):
        numbers = series.to_numpy(dtype=np.float64, na_value=np.nan)
        out = numbers.astype(object)
        out[~np.isfinite(numbers)] = None
        return out.tolist()
    # Mixed: numbers (or dates) with the text a township typed where no value could be read.
    mixed: list = []
    for value in series.tolist():
        if value is None or isinstance(value, str):
            mixed.append(value)
        elif isinstance(value, dt.datetime | dt.date | np.datetime64):
            stamp = pd.Timestamp(value)
            mixed.append(None if pd.isna(stamp) else
                         (stamp - pd.Timestamp("1899-12-30")) / pd.Timedelta(days=1))
        elif isinstance(value, float | int | np.number) and not isinstance(value, bool):
            number = float(value)
            mixed.append(number if math.isfinite(number) else None)
        elif value is pd.NA or value is pd.NaT:
            mixed.append(None)
        else:
            mixed.append(str(value))
    return mixed


def _chunks(spec: Sheet, merged: list[Outcome], extras: list[str]) -> Iterator[list[list]]:
    kinds = [(c.key, _kind(c)) for c in spec.columns]
    for o, frame in parts_of(spec, merged):
        n = len(frame)
        part = o.parts[spec.key]
        lists: list[list] = [[o.report.township] * n]
        lists += [_values(frame[key], kind) for key, kind in kinds]
        for name in extras:
            lists.append(_values(frame[name], RAW) if name in frame.columns else [None] * n)
        lists += [[o.report.name] * n, [part.name] * n, frame.index.tolist()]
        yield lists


# -- writing ----------------------------------------------------------------------------------

class _Book:
    """The county workbook: xlsxwriter in constant-memory mode and its formats."""

    def __init__(self, path: Path, max_rows: int):
        self.max_rows = max_rows
        self.wb = new_workbook(path, constant_memory=True, made_as=COUNTY_KIND)
        wb = self.wb
        self.title = wb.add_format({"bold": True, "font_size": 12})
        self.header = wb.add_format({"bold": True, "text_wrap": True, "valign": "vcenter",
                                     "border": 1, "bg_color": "#DDEBF7"})
        self.bold = wb.add_format({"bold": True})
        self.bold_int = wb.add_format({"bold": True, "num_format": "#,##0"})
        self.bold_money = wb.add_format({"bold": True, "num_format": "#,##0.00"})
        self.bold_rate = wb.add_format({"bold": True, "num_format": "0.0%"})
        self.rate = wb.add_format({"num_format": "0.0%"})
        # Only the columns that need a format get one: xlsxwriter writes a
        # column's format into every cell of it.
        self.formats = {
            TEXT: None, NUMBER_TEXT: wb.add_format({"num_format": "@"}),
            NUMBER: wb.add_format({"num_format": "#,##0.00"}), INT: None,
            DATE_KIND: wb.add_format({"num_format": "yyyy-mm-dd"}),
            MONTH_KIND: wb.add_format({"num_format": "yyyy-mm"}), RAW: None,
        }

    def table(self, name: str, title: str, columns: list[Col], chunks: Iterable[list[list]],
              total: int, table_name: str) -> tuple[list[str], int]:
        """Write a table over as many worksheets as ``max_rows`` needs; return (sheet names, rows)."""
        limit = self.max_rows
        parts = max(1, -(-total // limit))
        names = [name] + [f"{name}(续{i})" for i in range(1, parts)]
        written = 0
        ws = None
        part = -1
        row = 0
        for lists in chunks:
            n = len(lists[0]) if lists else 0
            rows = zip(*lists, strict=True)
            done = 0
            while done < n:
                if ws is None or row - HEADER_ROWS >= limit:
                    part += 1
                    if part >= parts:
                        raise RuntimeError(f"{name}: more rows than counted ({total})")
                    ws = self._start(names, part, title, columns, total, table_name)
                    row = HEADER_ROWS
                take = min(n - done, limit - (row - HEADER_ROWS))
                write_row = ws.write_row
                for values in itertools.islice(rows, take):
                    # A refused row is written again with its over-long texts cut (xlsxwriter
                    # stops a row at a string longer than a cell holds).
                    if write_row(row, 0, values) and write_row(row, 0, fit_row(values)):
                        raise RuntimeError(f"xlsxwriter refused row {row} of {ws.name}")
                    row += 1
                done += take
            written += n
        if ws is None:
            self._start(names, 0, title, columns, total, table_name)
        if written != total:
            raise RuntimeError(f"{name}: wrote {written} rows, counted {total}")
        return names, written

    def write(self, table: Table) -> None:
        self.table(table.name, table.title, table.columns, _single(table.rows), len(table.rows),
                   table.table_name)

    def _start(self, names, part, title, columns, total, table_name):
        ws = self.wb.add_worksheet(names[part])
        limit = self.max_rows
        rows_here = min(limit, total - part * limit) if total else 0
        for i, col in enumerate(columns):
            ws.set_column(i, i, col.width, self.formats[col.kind])
        if len(names) > 1:
            first = part * limit + 1
            last = first + rows_here - 1
            if part == 0:
                text = (f"{title}（共 {total:,} 行，超过 Excel 每个工作表的行数上限，"
                        f"分为 {len(names)} 个工作表：{'、'.join(names)}；本表为第 {first:,}–{last:,} 行）")
            else:
                text = (f"{title}（续{part}）—— 接“{names[part - 1]}”，本表为第 {first:,}–{last:,} 行，"
                        f"共 {total:,} 行")
        else:
            text = title
        ws.write_string(0, 0, text, self.title)
        ws.set_row(1, 30)
        name = table_name if part == 0 else f"{table_name}_{part + 1}"
        add_streamed_table(ws, 1, 1 + max(rows_here, 1), [c.header for c in columns], name)
        for i, col in enumerate(columns):
            ws.write_string(1, i, col.header, self.header)
        ws.freeze_panes(HEADER_ROWS, 0)
        page_setup(ws, [c.width for c in columns], last_row=HEADER_ROWS + rows_here - 1)
        return ws

    def close(self) -> None:
        self.wb.close()


def _single(rows: list[tuple]) -> Iterator[list[list]]:
    if rows:
        yield [list(column) for column in zip(*rows, strict=True)]


def write_county(result: MergeResult, merged: list[Outcome], tables: list[Table],
                 max_rows: int = MAX_DATA_ROWS) -> None:
    """Write the county workbook ``result.output``; ``tables`` are 问题, 逾期与违规, 重复, 来源, 未入库, 汇总."""
    by_name = {t.name: t for t in tables}
    with atomic_output(result.output) as tmp:
        book = _Book(tmp, max_rows)
        summary = book.wb.add_worksheet(SUMMARY_SHEET)
        for spec in SHEETS:
            total = result.sheets[spec.key]
            extras = extras_of(spec.key, merged)
            columns, _labels = data_columns(spec, extras)
            count = sum(o.parts[spec.key].rows for o in merged if spec.key in o.parts)
            title = f"{spec.name}（{result.county} {result.year} 年全县汇总，{len(result.merged)} 个乡镇工作簿）"
            total.sheets, total.written = book.table(
                spec.name, title, columns, _chunks(spec, merged, extras), count, spec.key)
            if not total.balanced:
                raise RuntimeError(f"row accounting broken for {spec.key}")
        for name in (ISSUES_SHEET, VIOLATIONS_SHEET, DUPLICATES_SHEET, SOURCES_SHEET, REJECTED_SHEET):
            book.write(by_name[name])
        if result.policy is not None:
            _write_policy(book, result)
        _write_summary(book, summary, result, by_name[SUMMARY_SHEET])
        try:
            book.close()
        except Exception as exc:  # noqa: BLE001 - xlsxwriter's file errors
            raise write_error(result.output, exc) from None


def _write_summary(book: _Book, ws, result: MergeResult, table: Table) -> None:
    from xlsxwriter.utility import xl_rowcol_to_cell

    money_col = SUMMARY_HEADERS.index("已支付救助金额（元）")
    rate_col = SUMMARY_HEADERS.index("回访覆盖率")
    for i, spec in enumerate(SUMMARY_COLUMNS):
        fmt = book.formats[NUMBER] if i == money_col else book.rate if i == rate_col else None
        ws.set_column(i, i, spec.width, fmt)
    ws.write_string(0, 0, table.title, book.title)
    ws.set_row(1, 42)
    n = len(result.townships)
    add_streamed_table(ws, 1, 1 + max(n, 1), SUMMARY_HEADERS, table.table_name)
    for i, header in enumerate(SUMMARY_HEADERS):
        ws.write_string(1, i, header, book.header)
    row = HEADER_ROWS
    for values in table.rows[:-1]:
        ws.write_row(row, 0, values)
        row += 1
    if not n:
        row += 1
    for i, value in enumerate(table.rows[-1]):
        fmt = (book.bold_money if i == money_col else book.bold_rate if i == rate_col
               else book.bold if isinstance(value, str) else book.bold_int)
        if value is not None:
            ws.write(row, i, value, fmt)
    row += 2

    ws.write_string(row, 0, "行数核对（每个工作表：读取 = 写入 + 未入库）", book.bold)
    row += 1
    for i, header in enumerate(("工作表", "读取", "写入", "未入库", "核对", "写入的工作表")):
        ws.write_string(row, i, header, book.header)
    row += 1
    for total in result.sheets.values():
        ws.write_row(row, 0, [total.name, total.read, total.written, total.rejected,
                              "相符" if total.balanced else "不相符", "、".join(total.sheets)])
        row += 1
    row += 1
    for label, text in summary_facts(result):
        ws.write_string(row, 0, label, book.bold)
        ws.write_string(row, 1, text)
        row += 1
    row += 1
    if n:
        chart = book.wb.add_chart({"type": "column"})
        first, last = HEADER_ROWS, HEADER_ROWS + n - 1
        for label, color in (("监测户", "#9DC3E6"), ("符合条件户", "#2E75B6")):
            col = SUMMARY_HEADERS.index(label)
            chart.add_series({
                "name": [SUMMARY_SHEET, 1, col],
                "categories": [SUMMARY_SHEET, first, 0, last, 0],
                "values": [SUMMARY_SHEET, first, col, last, col],
                "fill": {"color": color},
            })
        chart.set_title({"name": "各乡镇监测户与符合条件户"})
        chart.set_y_axis({"name": "户数", "major_gridlines": {"visible": True}})
        chart.set_legend({"position": "top"})
        chart.set_size({"width": max(720, 40 * n), "height": 360})
        ws.insert_chart(xl_rowcol_to_cell(row, 0), chart)
        # The chart on a page of its own, never split over two.
        ws.set_h_pagebreaks([row])
        row += 20
    ws.freeze_panes(HEADER_ROWS, 1)
    page_setup(ws, [c.width for c in SUMMARY_COLUMNS], last_row=row, signature=True)


def _write_policy(book: _Book, result: MergeResult) -> None:
    """参数: the county policy and 核查基准日, laid out as a township workbook's 参数 sheet, so
    the ledgers (followup, notice, report) judge the county workbook by what merged it."""
    from ..policy import policy_rows

    assert result.policy is not None
    dates = result.check_dates
    basis = (f"各乡镇工作簿的核查基准日为 {dates[0].isoformat()}" if len(dates) == 1 else
             f"各乡镇工作簿的核查基准日不同（{'、'.join(d.isoformat() for d in sorted(dates))}），取最晚的一个"
             if dates else f"乡镇工作簿没有核查基准日，取 {result.year} 年 12 月 31 日")
    entries = [*policy_rows(result.policy), (CHECK_DATE_KEY, "核查基准日", result.check_date)]
    wrap = book.wb.add_format({"text_wrap": True, "valign": "top"})
    ws = policy_sheet(book.wb, POLICY_SHEET, f"参数（汇总时的全县参数；{basis}）", len(entries),
                      title_format=book.title, header_format=book.header, wrap_format=wrap)
    row = HEADER_ROWS
    for key, label, value in entries:
        ws.write_string(row, 0, key)
        ws.write_string(row, 1, label)
        if isinstance(value, dt.date):
            ws.write_datetime(row, 2, dt.datetime(value.year, value.month, value.day),
                              book.formats[DATE_KIND])
        elif isinstance(value, str):
            ws.write_string(row, 2, value, wrap)
            ws.set_row(row, wrapped_height(value, POLICY_WIDTHS[1]))
        elif isinstance(value, bool):
            ws.write_boolean(row, 2, value)
        elif value is not None:
            ws.write_number(row, 2, float(value))
        row += 1


def summary_facts(result: MergeResult) -> list[tuple[str, str]]:
    """The facts under the 汇总 table (files, rejected rows, duplicates, problems …)."""
    counts = count_by_severity(result.issues)
    dup = result.duplicate_counts()
    facts = [
        ("文件", f"已汇总 {len(result.merged)} 个，无法读取 {len(result.unreadable)} 个，"
                 f"已跳过 {len(result.skipped)} 个（见“来源”工作表）"),
        ("未入库", f"{result.rejected} 行（见“未入库”工作表）"),
        ("重复", f"身份证号 {dup['id_number']} 处，案件编号 {dup['case_no']} 处（见“重复”工作表）"),
        ("问题", f"错误 {counts[ERROR]} 个，提醒 {counts[WARNING]} 个（见“问题”工作表）"),
        ("逾期与违规", f"{result.violation_cases} 个案件，{result.violations} 处（见“逾期与违规”工作表）"),
    ]
    for total in result.sheets.values():
        if len(total.sheets) > 1:
            facts.append(("续表", f"“{total.name}”共 {total.written:,} 行，超过 Excel 每个工作表的行数上限，"
                                 f"分为：{'、'.join(total.sheets)}"))
    facts += [("无法读取", f.reason) for f in result.unreadable]
    facts += [("参数不一致", f"{f.name}（{f.township}）：{'；'.join(f.policy_differences[:5])}")
              for f in result.merged if f.policy_matches is False]
    return facts

