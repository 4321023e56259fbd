"""The one writer of new workbooks: texts longer than an Excel cell holds."""

from __future__ import annotations

import pandas as pd
from python_calamine import CalamineWorkbook

from fangpin_xl.policy import Policy
from fangpin_xl.schema import SHEETS_BY_KEY
from fangpin_xl.templates import write_township_workbook
from fangpin_xl.workbook.write import Formats, fit_row, new_workbook, write_data_sheet

WIDE = "𠀀" * 20000  # 40,000 UTF-16 code units: what a program, not Excel, may hold


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def rows_of(path, sheet: str) -> list[list]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()


def test_fit_row_cuts_only_texts_too_long():
    row = fit_row(["H1", WIDE, 3.5, None, "长" * 32767])
    assert row[0] == "H1" and row[2:] == [3.5, None, "长" * 32767]
    assert row[1].endswith("𠀀…（共 20000 字）") and utf16_units(row[1]) == 32766


def test_a_too_long_text_is_cut_and_the_rest_of_its_row_still_written(tmp_path):
    path = tmp_path / "stream.xlsx"
    frame = pd.DataFrame({"household_no": ["H1", "H2"], "member_name": [WIDE, "李四"],
                          "kind": ["因病", "因学"], "amount": [1.5, 2.0], "source": ["医保", "教育"]})
    wb = new_workbook(path, constant_memory=True)
    write_data_sheet(wb, SHEETS_BY_KEY["spending"], frame, title="支出", formats=Formats(wb))
    wb.close()
    first, second = rows_of(path, "支出")[2:4]
    assert first[1].endswith("𠀀…（共 20000 字）") and utf16_units(first[1]) == 32766
    assert (first[0], first[3], first[5], first[6]) == ("H1", "因病", 1.5, "医保")
    assert second[:2] == ["H2", "李四"]


def test_a_township_workbook_with_formula_columns_cuts_it_too(tmp_path):
    households = pd.DataFrame({"household_no": ["H1"], "township": ["东代固乡"], "village": ["一村"],
                               "head_name": [WIDE], "household_size": [1], "group": ["脱贫不稳定户"],
                               "income_per_capita": [5000.0]})
    path = write_township_workbook(tmp_path / "东代固乡.xlsx", policy=Policy(), township="东代固乡",
                                   frames={"households": households}, rows=3)
    row = rows_of(path, "监测户")[2]
    assert row[3].endswith("𠀀…（共 20000 字）") and utf16_units(row[3]) == 32766
    assert (row[0], row[5], row[6], row[7]) == ("H1", 1, "脱贫不稳定户", 5000)
