"""The county's yearly 返贫/致贫 table (``report --history``) and the fund sheet, read for the report.

The yearly table is an .xlsx/.xls or .csv the county keeps, one row per year:
年度 and any of 返贫户数, 返贫人数, 致贫户数, 致贫人数 (synonyms below; a unit in
brackets is ignored, title rows above the header are skipped). A file without a
年度 column, or with none of the four, cannot be used (``InputError``, exit 2).
Anything wrong inside — a value that is not a whole number, a negative one, a
row without a year, a year listed twice — is a finding naming the cell, and that
value (or the repeated row) is left out.

The fund's closing balance comes from the ledger ``fangpin-xl fund`` writes
(``report --fund``), read by that ledger's own reader.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..indicators import ERROR, HISTORY_MEASURES, Finding
from ..schema import INTEGER, Column, Sheet
from ..text import cell_text, shown_path
from ..workbook.read import read_table

HISTORY = Sheet("history", "历年", (
    Column("year", "年度", INTEGER, True, ("年份", "年", "统计年度")),
    Column("returned_households", "返贫户数", INTEGER, False, ("返贫户", "返贫户数量", "返贫家庭数")),
    Column("returned_persons", "返贫人数", INTEGER, False, ("返贫人口", "返贫人口数", "返贫人")),
    Column("new_households", "致贫户数", INTEGER, False, ("新致贫户数", "新增致贫户数", "致贫户", "新致贫户")),
    Column("new_persons", "致贫人数", INTEGER, False, ("新致贫人数", "新增致贫人数", "致贫人口", "致贫人口数",
                                                  "新致贫人口")),
), household_ref=None)
SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")
FIRST_YEAR, LAST_YEAR = 1949, 2100



@dataclass(frozen=True)
class History:
    file: str
    #: year and the measures the file has (float, NaN where blank or unusable), one row per year.
    table: pd.DataFrame
    findings: list[Finding]


def read_history(path: str | Path) -> History:
    path = Path(path)
    name = shown_path(path.name)
    if path.suffix.lower() not in SUFFIXES:
        shown = f"“{path.suffix}”" if path.suffix else "（没有扩展名）"
        raise InputError(f"{name}：历年数据请提供 .xlsx、.xls 或 .csv 文件，不支持{shown}。")
    sd, issues = read_table(path, HISTORY)
    errors = [found.message for found in issues if found.is_error]
    if errors:
        raise InputError(f"{name}（历年数据）：{'；'.join(errors)}。")
    measures = [key for key in HISTORY_MEASURES if key in sd.columns]
    if not measures:
        wanted = "、".join(f"“{v}”" for v in HISTORY_MEASURES.values())
        raise InputError(f"{name}（历年数据）：工作表“{sd.name}”没有{wanted}中的任何一列，无法计算减少比例。")
    findings: list[Finding] = []
    where = f"{name} 工作表“{sd.name}”"
    for change in sd.failures:
        header = sd.headers.get(change.key, change.key)
        findings.append(Finding(ERROR, f"{where} {change.cell}“{header}”的值“{cell_text(change.original)}”"
                                       "不是整数，未使用"))
    frame = sd.frame
    table = pd.DataFrame({"year": pd.to_numeric(frame["year"], errors="coerce")}, index=frame.index)
    for key in measures:
        values = pd.to_numeric(frame[key], errors="coerce").astype("float64")
        negative = (values < 0).to_numpy()
        for row in frame.index[negative]:
            findings.append(Finding(ERROR, f"{where} {sd.cell(key, row)}“{sd.headers[key]}”为负数"
                                           f"（{cell_text(values[row])}），未使用"))
        table[key] = values.where(~negative)
    year_cell = sd.columns["year"]
    no_year = table["year"].isna() | (table["year"] < FIRST_YEAR) | (table["year"] > LAST_YEAR)
    for row in frame.index[no_year.to_numpy()]:
        shown = cell_text(frame.at[row, "year"])
        findings.append(Finding(ERROR, f"{where} {year_cell}{row}"
                                       + (f"“{shown}”不是年份" if shown else "没有填写年度") + "，该行未使用"))
    table = table[~no_year.to_numpy()]
    repeated = table["year"].duplicated(keep="first").to_numpy()
    for row, year in zip(table.index[repeated], table["year"][repeated], strict=True):
        first = table.index[(table["year"] == year).to_numpy()][0]
        findings.append(Finding(ERROR, f"{where} 第 {row} 行的年度 {int(year)} 与第 {first} 行重复，"
                                       f"只用第 {first} 行"))
    table = table[~repeated].astype({"year": np.int64}).sort_values("year").reset_index(drop=True)
    return History(name, table, findings)


def fund_balance(path: Path | None) -> tuple[float | None, str]:
    """(the fund's closing balance in yuan, where it came from) from a ``fangpin-xl fund`` ledger.

    Read by the ledger's own reader (``fund_book.read_previous``, by label, never
    by a fixed cell); (None, why) when no ledger was given. A ledger that cannot
    be used raises its ``InputError`` (the county named the file: exit 2).
    """
    if path is None:
        return None, "未提供基金台账（--fund，由 fangpin-xl fund 生成），未列出基金结余。"
    from ..fund import to_yuan
    from ..fund_book import read_previous

    ledger = read_previous(path, role="基金台账")
    closing = float(to_yuan([ledger.closing_fen])[0])
    return closing, (f"取自 {shown_path(path.name)} 工作表“{ledger.sheet}”{ledger.closing_cell}"
                     f"（{ledger.year} 年期末结余）")


