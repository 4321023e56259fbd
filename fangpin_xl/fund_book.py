"""The fund ledger workbook: its layout, writing it, and reading last year's back.

Sheets (docs/WORKBOOK-LAYOUT.md, "Fund ledger workbook"):

* **基金** — everything a county prints and files: on page 1 基本数据, the yearly
  ledger (项目 | 金额（元） | 计算说明) and 核对; from page 2 逐月余额, under it a
  native chart of the monthly premium, payouts and balance whose series read
  that table, then 按救助类别 and 按乡镇. A4 portrait, one page wide, the
  title rows repeated.
* **救助明细** — the cases counted, one a row, with the county workbook's cell
  and each case's source; a total row under the table equals 本年救助支出.
* **问题** — rows not counted (errors) and counted rows whose 状态 is not
  已支付 (warnings), each naming its cell.

**The reading contract** (``read_previous`` here, and the county report): on
基金, column A holds a label and column B its value; a label is found by its
text (NFKC, no spaces), its first occurrence counts. ``年度`` (a whole year),
``农村人口（人）`` and ``期末结余（结转下年）`` (yuan, two decimals) are the
values another year needs. The workbook also names those cells ``FUND_YEAR``,
``FUND_RURAL_POPULATION`` and ``FUND_CLOSING`` for formulas in other workbooks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import InputError
from .fund import to_fen
from .ledger import Ledger, yuan_text
from .schema import INTEGER, MONEY
from .text import cell_text, display_width, shown_path
from .workbook.coerce import coerce_column
from .workbook.guard import check_file
from .workbook.headers import find_sheet, normalise_header
from .workbook.made import FUND_LEDGER
from .workbook.sources import FileBook
from .workbook.write import PAPER_A4, TABLE_STYLE, excel_serials, new_workbook

FUND_SHEET = "基金"
#: What the ledger workbook is marked as (``workbook.made``): next year's run may replace it.
FUND_KIND = FUND_LEDGER
DETAILS_SHEET = "救助明细"
PROBLEMS_SHEET = "问题"

LABEL_COUNTY = "县（市、区）"
LABEL_YEAR = "年度"
LABEL_POPULATION = "农村人口（人）"
LABEL_CLOSING = "期末结余（结转下年）"
LEDGER_ITEMS = ("上年结余（期初余额）", "本年保费", "县级财政补足", "本年救助支出", "保险公司服务费",
                LABEL_CLOSING)
MONTHLY_HEADERS = ("月份", "月初余额（元）", "保费收入（元）", "县级补足（元）", "救助支出（元）",
                   "服务费（元）", "月末余额（元）", "救助笔数")
#: 逐月余额 columns the chart shows: (column, kind).
CHART_SERIES = ((2, "column"), (4, "column"), (6, "line"))
DEFINED_NAMES = {"FUND_YEAR": LABEL_YEAR, "FUND_RURAL_POPULATION": LABEL_POPULATION,
                 "FUND_CLOSING": LABEL_CLOSING}

DETAIL_HEADERS = ("来源乡镇", "案件编号", "户编号", "救助类别", "支付日期", "救助金额（元）", "状态",
                  "县级工作簿单元格", "来源文件", "来源工作表", "来源行")
PROBLEM_HEADERS = ("级别", "处理", "来源乡镇", "案件编号", "县级工作簿单元格", "值", "说明", "来源文件",
                   "来源工作表", "来源行")

_COLUMNS = 8  # A:H on 基金
_WIDTHS = (22, 16, 14, 14, 14, 14, 16, 10)
_EXPLAIN_WIDTH = sum(_WIDTHS[2:])  # the merged C:H explanation cells
_LINE_HEIGHT = 15
#: Rows (20 px each) the chart covers: 400 px high, and a margin.
_CHART_ROWS = 21


@dataclass(frozen=True)
class Sheet:
    """The words on 基金 that are not figures of the ledger."""

    subtitle: str
    #: (label, value, kind, explanation): 基本数据; kind is "text", "int", "money" (yuan) or "rate".
    basics: Sequence[tuple[str, Any, str, str]]
    #: (label, fen, explanation): the yearly ledger, ``LEDGER_ITEMS`` in order.
    lines: Sequence[tuple[str, int, str]]
    #: (label, text): 核对.
    checks: Sequence[tuple[str, str]]
    monthly_title: str


# -- writing ---------------------------------------------------------------------------------

def write_fund_workbook(path: Path, ledger: Ledger, sheet: Sheet, details: pd.DataFrame,
                        problems: pd.DataFrame) -> dict[str, str]:
    """Write the ledger workbook to ``path`` (a temporary file the caller renames).

    ``details`` and ``problems`` have the columns ``DETAIL_HEADERS`` /
    ``PROBLEM_HEADERS`` (money in yuan). Returns the defined names → their cells.
    """
    wb = new_workbook(path, made_as=FUND_KIND)
    f = _formats(wb)
    ws = wb.add_worksheet(FUND_SHEET)
    for i, width in enumerate(_WIDTHS):
        ws.set_column(i, i, width)
    ws.merge_range(0, 0, 0, _COLUMNS - 1, f"{ledger.county} {ledger.year} 年防贫救助资金池台账", f["title"])
    ws.set_row(0, 24)
    ws.merge_range(1, 0, 1, _COLUMNS - 1, sheet.subtitle, f["note"])
    _fit(ws, 1, sheet.subtitle, sum(_WIDTHS))
    cells: dict[str, str] = {}

    row = 3
    row = _section(ws, f, row, "基本数据", ("项目", "数值", "说明"))
    for label, value, kind, note in sheet.basics:
        ws.write_string(row, 0, label, f["label"])
        if kind == "text":
            ws.write_string(row, 1, str(value), f["cell"])
        else:
            ws.write_number(row, 1, value, f[kind])
        _explain(ws, f, row, note)
        cells[label] = f"B{row + 1}"
        row += 1

    row = _section(ws, f, row + 1, "年度台账", ("项目", "金额（元）", "计算说明"))
    for label, fen, note in sheet.lines:
        last = label == LABEL_CLOSING
        ws.write_string(row, 0, label, f["label_bold"] if last else f["label"])
        ws.write_number(row, 1, fen / 100, f["money_bold"] if last else f["money"])
        _explain(ws, f, row, note)
        cells[label] = f"B{row + 1}"
        row += 1

    row += 1
    ws.write_string(row, 0, "核对", f["section"])
    row += 1
    for label, text in sheet.checks:
        ws.write_string(row, 0, label, f["label"])
        ws.merge_range(row, 1, row, _COLUMNS - 1, text, f["wrap"])
        _fit(ws, row, text, sum(_WIDTHS[1:]))
        row += 1

    row += 1
    # The ledger is page 1; the months, the chart and the tables start page 2.
    ws.set_h_pagebreaks([row])
    ws.merge_range(row, 0, row, _COLUMNS - 1, sheet.monthly_title, f["section_wrap"])
    _fit(ws, row, sheet.monthly_title, sum(_WIDTHS))
    row += 1
    monthly_header = row
    _header(ws, f, row, MONTHLY_HEADERS)
    row += 1
    first_month = row
    for values in ledger.monthly.itertuples(index=False):
        ws.write_string(row, 0, f"{values.month}月", f["cell"])
        for col, fen in enumerate((values.opening, values.premium, values.top_up, values.relief,
                                   values.fee, values.closing), start=1):
            ws.write_number(row, col, int(fen) / 100, f["money"])
        ws.write_number(row, 7, int(values.cases), f["int"])
        row += 1
    last_month = row - 1
    m = ledger.monthly
    ws.write_string(row, 0, "全年", f["total_label"])
    totals = (m["opening"].iloc[0], m["premium"].sum(), m["top_up"].sum(), m["relief"].sum(),
              m["fee"].sum(), m["closing"].iloc[-1])
    for col, fen in enumerate(totals, start=1):
        ws.write_number(row, col, int(fen) / 100, f["money_total"])
    ws.write_number(row, 7, int(m["cases"].sum()), f["int_total"])
    row += 2

    ws.insert_chart(row, 0, _chart(wb, ledger, monthly_header, first_month, last_month),
                    {"x_offset": 4, "y_offset": 4})
    row += _CHART_ROWS + 1

    for title, label, table in (("按救助类别", "救助类别", ledger.by_kind), ("按乡镇", "乡镇", ledger.by_township)):
        row = _share_table(ws, f, row, title, label, table, ledger.relief_fen) + 1
    ws.print_area(0, 0, row - 2, _COLUMNS - 1)
    _page(ws, portrait=True, repeat=(0, 1))

    names = {}
    for name, label in DEFINED_NAMES.items():
        names[name] = cells[label]
        column, number = cells[label][0], cells[label][1:]
        wb.define_name(name, f"='{FUND_SHEET}'!${column}${number}")

    _table_sheet(wb, f, DETAILS_SHEET, _details_title(ledger, details), details, DETAIL_HEADERS,
                 money=("救助金额（元）",), date=("支付日期",), total=("救助金额（元）", ledger.relief_fen))
    _table_sheet(wb, f, PROBLEMS_SHEET, _problems_title(ledger, problems), problems, PROBLEM_HEADERS,
                 wide=("说明",))
    wb.close()
    return names


def _formats(wb) -> dict[str, Any]:
    border = {"border": 1, "valign": "vcenter"}
    return {
        "title": wb.add_format({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"}),
        "note": wb.add_format({"text_wrap": True, "valign": "top", "font_color": "#595959"}),
        "section": wb.add_format({"bold": True, "font_size": 12}),
        "section_wrap": wb.add_format({"bold": True, "font_size": 12, "text_wrap": True, "valign": "top"}),
        "header": wb.add_format({**border, "bold": True, "text_wrap": True, "align": "center",
                                 "bg_color": "#DDEBF7"}),
        "label": wb.add_format({**border}),
        "label_bold": wb.add_format({**border, "bold": True, "bg_color": "#FFF2CC"}),
        "cell": wb.add_format({**border}),
        "wrap": wb.add_format({**border, "text_wrap": True, "valign": "top"}),
        "money": wb.add_format({**border, "num_format": "#,##0.00"}),
        "money_bold": wb.add_format({**border, "num_format": "#,##0.00", "bold": True, "bg_color": "#FFF2CC"}),
        "int": wb.add_format({**border, "num_format": "#,##0"}),
        "rate": wb.add_format({**border, "num_format": "0.00%"}),
        "share": wb.add_format({**border, "num_format": "0.0%"}),
        "total_label": wb.add_format({**border, "bold": True, "bg_color": "#F2F2F2"}),
        "money_total": wb.add_format({**border, "bold": True, "num_format": "#,##0.00", "bg_color": "#F2F2F2"}),
        "int_total": wb.add_format({**border, "bold": True, "num_format": "#,##0", "bg_color": "#F2F2F2"}),
        "share_total": wb.add_format({**border, "bold": True, "num_format": "0.0%", "bg_color": "#F2F2F2"}),
        "date": wb.add_format({"num_format": "yyyy-mm-dd"}),
        "plain_money": wb.add_format({"num_format": "#,##0.00"}),
        "bold": wb.add_format({"bold": True}),
        "bold_money": wb.add_format({"bold": True, "num_format": "#,##0.00"}),
        "text_wrap": wb.add_format({"text_wrap": True, "valign": "top"}),
    }


def _lines(text: str, width: float) -> int:
    """Lines a wrapped text takes in a cell ``width`` characters wide (CJK counts two)."""
    return sum(max(1, math.ceil(display_width(part) / max(width - 1, 1))) for part in text.split("\n"))


def _fit(ws, row: int, text: str, width: float) -> None:
    # Excel does not grow a row for wrapped text in merged cells: set the height.
    ws.set_row(row, _LINE_HEIGHT * _lines(text, width) + 4)


def _explain(ws, f, row: int, text: str) -> None:
    ws.merge_range(row, 2, row, _COLUMNS - 1, text, f["wrap"])
    _fit(ws, row, text, _EXPLAIN_WIDTH)


def _header(ws, f, row: int, headers: Sequence[str]) -> None:
    for col, text in enumerate(headers):
        ws.write_string(row, col, text, f["header"])
    ws.set_row(row, 30)


def _section(ws, f, row: int, title: str, headers: tuple[str, str, str]) -> int:
    ws.write_string(row, 0, title, f["section"])
    row += 1
    ws.write_string(row, 0, headers[0], f["header"])
    ws.write_string(row, 1, headers[1], f["header"])
    ws.merge_range(row, 2, row, _COLUMNS - 1, headers[2], f["header"])
    return row + 1


def _share_table(ws, f, row: int, title: str, label: str, table: pd.DataFrame, total_fen: int) -> int:
    ws.write_string(row, 0, title, f["section"])
    row += 1
    _header(ws, f, row, (label, "笔数", "金额（元）", "占比"))
    row += 1
    for values in table.itertuples(index=False):
        ws.write_string(row, 0, str(values.label), f["cell"])
        ws.write_number(row, 1, int(values.cases), f["int"])
        ws.write_number(row, 2, int(values.fen) / 100, f["money"])
        ws.write_number(row, 3, int(values.fen) / total_fen if total_fen else 0, f["share"])
        row += 1
    ws.write_string(row, 0, "合计", f["total_label"])
    ws.write_number(row, 1, int(table["cases"].sum()), f["int_total"])
    ws.write_number(row, 2, int(table["fen"].sum()) / 100, f["money_total"])
    ws.write_number(row, 3, 1 if total_fen else 0, f["share_total"])
    return row + 1


def _chart(wb, ledger: Ledger, header: int, first: int, last: int):
    colors = {2: "#70AD47", 4: "#ED7D31", 6: "#2E75B6"}
    columns = wb.add_chart({"type": "column"})
    line = wb.add_chart({"type": "line"})
    for col, kind in CHART_SERIES:
        series = {
            "name": [FUND_SHEET, header, col],
            "categories": [FUND_SHEET, first, 0, last, 0],
            "values": [FUND_SHEET, first, col, last, col],
        }
        if kind == "column":
            columns.add_series({**series, "fill": {"color": colors[col]}, "gap": 80})
        else:
            line.add_series({**series, "line": {"color": colors[col], "width": 2.25},
                             "marker": {"type": "circle", "size": 5,
                                        "fill": {"color": colors[col]}, "border": {"color": colors[col]}}})
    columns.combine(line)
    columns.set_title({"name": f"{ledger.county} {ledger.year} 年资金池：保费、救助支出与月末余额",
                       "name_font": {"size": 12}})
    columns.set_y_axis({"name": "元", "num_format": "#,##0", "major_gridlines": {"visible": True}})
    columns.set_x_axis({"name": "月份"})
    columns.set_legend({"position": "bottom"})
    columns.set_size({"width": 800, "height": 20 * _CHART_ROWS - 20})
    return columns


def _page(ws, *, portrait: bool, repeat: tuple[int, int]) -> None:
    if portrait:
        ws.set_portrait()
    else:
        ws.set_landscape()
    ws.set_paper(PAPER_A4)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(*repeat)
    ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
    ws.center_horizontally()
    ws.set_footer("&C第 &P 页，共 &N 页")


def _details_title(ledger: Ledger, details: pd.DataFrame) -> str:
    return (f"救助明细（{ledger.county} {ledger.year} 年计入资金池的救助：支付日期在 {ledger.year} 年），"
            f"共 {len(details)} 笔 {yuan_text(ledger.relief_fen)} 元")


def _problems_title(ledger: Ledger, problems: pd.DataFrame) -> str:
    errors = int((problems["级别"] == "错误").sum()) if len(problems) else 0
    return (f"问题（{ledger.year} 年基金台账）：未计入 {errors} 行（错误），已计入但需核对 "
            f"{len(problems) - errors} 行（提醒）；请在来源乡镇工作簿中更正后重新汇总")


def _table_sheet(wb, f, name: str, title: str, frame: pd.DataFrame, headers: Sequence[str], *,
                 money: Sequence[str] = (), date: Sequence[str] = (), wide: Sequence[str] = (),
                 total: tuple[str, int] | None = None) -> None:
    """A plain report table: title on row 1, headers on row 2, data from row 3, A4 landscape."""
    ws = wb.add_worksheet(name)
    for col, header in enumerate(headers):
        width = 60 if header in wide else 18 if "单元格" in header or "文件" in header else 12
        fmt = f["plain_money"] if header in money else f["date"] if header in date else (
            f["text_wrap"] if header in wide else None)
        ws.set_column(col, col, width, fmt)
    ws.write_string(0, 0, title, f["section"])
    n = len(frame)
    ws.add_table(1, 0, 1 + max(n, 1), len(headers) - 1, {
        "name": {DETAILS_SHEET: "details", PROBLEMS_SHEET: "problems"}.get(name, "table"),
        "style": TABLE_STYLE, "columns": [{"header": h} for h in headers],
    })
    for col, header in enumerate(headers):
        ws.write_string(1, col, header, f["header"])
    columns = [_column(frame[header], header in date) for header in headers]
    for r, values in enumerate(zip(*columns, strict=True)):
        ws.write_row(2 + r, 0, values)
    if total is not None:
        label, fen = total
        row = 2 + max(n, 1)
        ws.write_string(row, 0, "合计", f["bold"])
        ws.write_number(row, list(headers).index(label), fen / 100, f["bold_money"])
    ws.freeze_panes(2, 0)
    ws.print_area(0, 0, 2 + max(n, 1) + (1 if total is not None else 0), len(headers) - 1)
    _page(ws, portrait=False, repeat=(0, 1))


def _column(values: pd.Series, is_date: bool) -> list:
    """A column as ``write_row`` takes it: None for blanks, dates as Excel serials, numbers as floats."""
    if is_date:
        serials = excel_serials(values).to_numpy()
        out = serials.astype(object)
        out[np.isnan(serials)] = None
        return out.tolist()
    if pd.api.types.is_numeric_dtype(values.dtype):
        numbers = values.to_numpy(dtype=np.float64, na_value=np.nan)
        out = numbers.astype(object)
        out[~np.isfinite(numbers)] = None
        return out.tolist()
    text = values.to_numpy(dtype=object, na_value=None).copy()
    text[pd.isna(text) | (text == "")] = None
    return text.tolist()


# -- reading last year's ----------------------------------------------------------------------

@dataclass(frozen=True)
class PreviousLedger:
    """What another year needs from a ledger workbook (cells are A1 addresses on 基金)."""

    path: Path
    sheet: str
    county: str
    year: int
    year_cell: str
    closing_fen: int
    closing_cell: str
    #: None when the cell is empty or unusable; ``population_problem`` then says why.
    rural_population: int | None
    population_cell: str
    population_problem: str

    @property
    def file(self) -> str:
        return shown_path(self.path.name)


def read_previous(path: Path, *, role: str = "上年基金台账") -> PreviousLedger:
    """A ledger workbook (last year's, or ``role``); InputError naming the file, sheet and cell."""
    path = Path(path)
    hint = ("请给出上年用 fangpin-xl fund 生成的基金台账，或改用 --opening 直接填写上年结余。"
            if role == "上年基金台账" else "请给出用 fangpin-xl fund 生成的基金台账。")

    def fail(reason: str) -> InputError:
        return InputError(f"{role} {shown_path(path.name)}：{reason}")

    try:
        fmt = check_file(path)
    except InputError as exc:
        raise InputError(f"{role} {exc}") from None
    with FileBook(path, fmt) as book:
        found = find_sheet((FUND_SHEET,), book.sheet_names)
        if found is None:
            listed = "、".join(f"“{n}”" for n in book.sheet_names) or "（无）"
            raise fail(f"没有“{FUND_SHEET}”工作表，不是基金台账（工作簿中的工作表：{listed}）。{hint}")
        grid = book.grid(found)
    values: dict[str, tuple[Any, str]] = {}
    if grid.left == 0 and grid.width >= 2:
        for r, row in enumerate(grid.rows):
            label = normalise_header(cell_text(row[0]))
            if label and label not in values:
                values[label] = (row[1], f"B{grid.top + r + 1}")
    where = f"工作表“{found}”"

    def get(label: str) -> tuple[Any, str]:
        hit = values.get(normalise_header(label))
        if hit is None:
            raise fail(f"{where} A 列找不到“{label}”，不是 fund 生成的基金台账，或表格已被改动。{hint}")
        return hit

    raw, year_cell = get(LABEL_YEAR)
    year = _integer(raw)
    if year is None or not 2000 <= year <= 2100:
        raise fail(f"{where} {year_cell} 的{LABEL_YEAR}应为年份（如 2020），现为“{cell_text(raw)}”。")
    raw, closing_cell = get(LABEL_CLOSING)
    closing = _money(raw)
    if closing is None:
        raise fail(f"{where} {closing_cell} 的{LABEL_CLOSING}应为金额（元），现为“{cell_text(raw)}”。")
    if closing < 0:
        raise fail(f"{where} {closing_cell} 的{LABEL_CLOSING}为负数（{cell_text(raw)} 元）：期末结余不会为负数"
                         "（不足部分由县级财政补足），请核对该文件。")
    raw, population_cell = get(LABEL_POPULATION)
    population = _integer(raw)
    problem = ""
    if population is None or population < 0:
        population = None
        problem = (f"{shown_path(path.name)} {where} {population_cell} 的{LABEL_POPULATION}应为人数（整数），"
                   f"现为“{cell_text(raw)}”")
    county_raw, _cell = values.get(normalise_header(LABEL_COUNTY), ("", ""))
    return PreviousLedger(path=path, sheet=found, county=cell_text(county_raw).strip(), year=year,
                          year_cell=year_cell, closing_fen=closing, closing_cell=closing_cell,
                          rural_population=population, population_cell=population_cell,
                          population_problem=problem)


def _integer(value: Any) -> int | None:
    parsed = coerce_column([value], INTEGER)
    if parsed.failed.iloc[0] or parsed.empty.iloc[0]:
        return None
    return int(parsed.values.iloc[0])


def _money(value: Any) -> int | None:
    """Whole fen of a money cell, None when it is empty, text or absurd."""
    parsed = coerce_column([value], MONEY)
    if parsed.failed.iloc[0] or parsed.empty.iloc[0]:
        return None
    yuan = float(parsed.values.iloc[0])
    try:
        return int(to_fen([yuan])[0])
    except InputError:
        return None
