"""The button scripts, run on the book xlwings Server / Lite hands over (``xw.Book(json=...)``).

The book's JSON is built from a real township workbook the way the Office.js client
sends it: each sheet's values from A1 ("" for empty, date-formatted cells as ISO
text), the defined names, the selection. The scripts run through
``xlwings.server.custom_scripts_call``; what they did is the book's recorded actions.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import xlwings as xw
from xlwings.server import custom_scripts_call, custom_scripts_meta

from fangpin_xl.excel import scripts
from fangpin_xl.excel.book import COMPUTED_COLOR, ERROR_COLOR, WARNING_COLOR
from fangpin_xl.ids import make_id
from fangpin_xl.issues import ISSUE_HEADERS
from fangpin_xl.policy import Policy
from fangpin_xl.templates import write_township_workbook
from fangpin_xl.validate import validate_paths

T = pd.Timestamp
HEAD1 = make_id("130434", dt.date(1970, 5, 1), 13)
HEAD2 = make_id("130434", dt.date(1965, 1, 20), 35)
CHILD2 = make_id("130434", dt.date(2001, 3, 3), 46)
TODAY = dt.date.today()


def frames(*, bad_id: bool = True, formula_text: bool = True) -> dict[str, pd.DataFrame]:
    spouse = make_id("130434", dt.date(1972, 8, 9), 24)
    wrong = spouse[:-1] + ("1" if spouse[-1] != "1" else "2")
    return {
        "households": pd.DataFrame({
            "household_no": ["H1", "H2"], "township": ["东代固乡"] * 2, "village": ["东代固村", "西村"],
            "head_name": ["王建国", "=cmd|' /C calc'!A0" if formula_text else "李秀英"],
            "head_id": [HEAD1, HEAD2], "household_size": [2, 3], "group": ["脱贫不稳定户", "边缘易致贫户"],
            "income_per_capita": [5000.0, 5500.0], "monitored_since": [T("2020-01-15")] * 2,
            "dibao": ["否", "=cmd|' /C calc'!A0" if formula_text else "否"],
        }),
        "members": pd.DataFrame({
            "household_no": ["H1", "H1", "H2", "H2"], "name": ["王建国", "赵秀兰", "李秀英", "李明"],
            "id_number": [HEAD1, wrong if bad_id else spouse, HEAD2, CHILD2],
            "relation": ["户主", "配偶", "户主", "子女"],
        }),
        "spending": pd.DataFrame({
            "household_no": ["H1"], "kind": ["因病"], "date": [T("2020-06-01")], "amount": [41040.0],
        }),
        "cases": pd.DataFrame({
            "case_no": ["A1", "A2"], "household_no": ["H1", "H2"], "kind": ["因病", "因学"],
            "found_date": [T("2020-06-10"), T("2020-11-20")], "found_way": ["自上而下筛查", "自下而上申请"],
            "survey_date": [T("2020-06-11"), T("2020-11-23")], "stage": ["已查勘", "已查勘"],
        }),
        "visits": pd.DataFrame({
            "household_no": ["H1", "H2"], "helper": ["张伟", "刘芳"],
            "visit_date": [T("2020-11-01"), T("2020-12-01")],
            **{key: ["是", "是"] for key in ("food_clothing", "education_ok", "medical_ok", "housing_ok",
                                            "water_ok")},
        }),
    }


def workbook(tmp_path: Path, **kw) -> Path:
    path = tmp_path / "东代固乡.xlsx"
    write_township_workbook(path, policy=Policy(), township="东代固乡", frames=frames(**kw), rows=8)
    return path


def book_json(path: Path, *, selection: str = "A1", active: str = "说明") -> dict:
    """The book as the Office.js client sends it to a script (``selection`` on sheet ``active``)."""
    wb = openpyxl.load_workbook(path, data_only=True)
    sheets = []
    for ws in wb.worksheets:
        values = [["" if v is None else v.isoformat() + ".000Z" if isinstance(v, dt.datetime) else v
                   for v in row] for row in ws.iter_rows(values_only=True)]
        sheets.append({"name": ws.title, "values": values or [[""]], "pictures": [], "tables": []})
    names = []
    for name, defined in wb.defined_names.items():
        for sheet_name, ref in defined.destinations:
            names.append({"name": name, "sheet_index": wb.sheetnames.index(sheet_name),
                          "address": ref.replace("$", ""), "scope_sheet_name": None,
                          "scope_sheet_index": None, "book_scope": True})
    return {"client": "Office.js", "version": xw.__version__,
            "book": {"name": path.name, "active_sheet_index": wb.sheetnames.index(active),
                     "selection": selection},
            "names": names, "sheets": sheets}


def run(script: str, book: xw.Book) -> list[dict]:
    asyncio.run(custom_scripts_call(scripts, script, typehint_to_value={xw.Book: book}))
    return book.json()["actions"]


def cell_of(action: dict) -> str:
    from fangpin_xl.text import column_letter

    return f"{column_letter(action['start_column'])}{action['start_row'] + 1}"


def test_the_scripts_are_registered_with_chinese_names():
    meta = {m["function_name"]: m["name"] for m in custom_scripts_meta(scripts)}
    assert meta == {"check_this_workbook": "校验本工作簿", "make_notice": "生成公示名单",
                    "refresh_columns": "刷新计算列"}


def test_check_finds_what_validate_finds_colours_the_cells_and_writes_the_issue_sheet(tmp_path):
    path = workbook(tmp_path)
    expected = validate_paths([path], today=TODAY).issues
    assert {i.code for i in expected} >= {"id_check", "household_size_mismatch"}
    book = xw.Book(json=book_json(path))
    checked = scripts.check_book(book, today=TODAY)
    assert list(checked.issues) == expected
    actions = book.json()["actions"]
    sheet_index = [s.name for s in book.sheets].index("问题")
    colored = {(book.sheets[a["sheet_position"]].name, cell_of(a)): a["args"][0]
               for a in actions if a["func"] == "setRangeColor" and a["sheet_position"] != sheet_index}
    assert colored == {(i.sheet, i.cell): ERROR_COLOR if i.is_error else WARNING_COLOR
                       for i in expected if i.cell}
    written = [a for a in actions if a["func"] == "setValues" and a["sheet_position"] == sheet_index]
    table = written[1]["values"]
    assert written[0]["values"][0][0].startswith(f"校验结果：错误 {sum(i.is_error for i in expected)} 个")
    assert table[0] == list(ISSUE_HEADERS)
    assert [row[-1] for row in table[1:]] == [i.code for i in expected]
    assert [row[1] for row in table[1:]] == [i.title for i in expected]
    links = [a["args"][0] for a in actions if a["func"] == "addHyperlink"]
    assert links == [f"#'{i.sheet}'!{i.cell}" for i in expected if i.cell]


def test_check_again_clears_the_marks_of_cells_now_right(tmp_path):
    first = workbook(tmp_path)
    book = xw.Book(json=book_json(first))
    scripts.check_book(book, today=TODAY)
    issues_rows = [a for a in book.json()["actions"] if a["func"] == "setValues"][1]["values"]
    # The clerk fixes the ID; the old 问题 sheet is still in the book.
    fixed = tmp_path / "fixed"
    fixed.mkdir()
    second = workbook(fixed, bad_id=False)
    data = book_json(second)
    data["sheets"].append({"name": "问题", "values": [["旧结果"], *issues_rows], "pictures": [],
                           "tables": []})
    book = xw.Book(json=data)
    scripts.check_book(book, today=TODAY)
    actions = book.json()["actions"]
    resets = {(book.sheets[a["sheet_position"]].name, cell_of(a)): a["args"][0] for a in actions
              if a["func"] == "setRangeColor" and a["args"][0] in (None, COMPUTED_COLOR)}
    assert resets[("家庭成员", "C4")] is None
    assert not any(a["func"] == "addSheet" for a in actions)  # the 问题 sheet is refreshed in place
    assert any(a["func"] == "sheetClear" for a in actions)


def test_township_text_stays_text_in_the_issue_sheet(tmp_path):
    path = workbook(tmp_path)
    book = xw.Book(json=book_json(path))
    checked = scripts.check_book(book, today=TODAY)
    assert "=cmd|' /C calc'!A0" in [i.value for i in checked.issues if i.code == "not_in_choices"]
    values = [v for a in book.json()["actions"] if a["func"] == "setValues"
              for row in a["values"] for v in row if isinstance(v, str)]
    assert "'=cmd|' /C calc'!A0" in values
    assert not any(v.startswith(("=", "+", "-", "@")) for v in values)


def test_script_through_the_server_call_path(tmp_path):
    path = workbook(tmp_path)
    actions = run("check_this_workbook", xw.Book(json=book_json(path)))
    assert any(a["func"] == "addSheet" and a["args"][1] == "问题" for a in actions)
    assert actions[-1]["func"] == "alert"
    assert actions[-1]["args"][0].startswith("校验完成：错误 ")


def test_notice_for_the_selected_village_has_no_personal_data(tmp_path):
    path = workbook(tmp_path, formula_text=False)
    # The clerk selects a cell in H1's row of 监测户 (row 3): 东代固村.
    book = xw.Book(json=book_json(path, selection="B3", active="监测户"))
    assert scripts.notice_sheet(book, start=dt.date(2020, 6, 12)) == ["公示-东代固村"]
    actions = book.json()["actions"]
    assert any(a["func"] == "addSheet" and a["args"][1] == "公示-东代固村" for a in actions)
    rows = next(a["values"] for a in actions if a["func"] == "setValues"
                and book.sheets[a["sheet_position"]].name == "公示-东代固村")
    assert rows[0][0] == "魏县东代固乡东代固村防贫救助对象公示"
    assert "自 2020 年 6 月 12 日 至 2020 年 6 月 16 日" in rows[1][0]
    assert rows[3] == ["序号", "户主姓名", "村", "救助类别", "拟救助金额（元）"]
    assert rows[4] == [1, "王建国", "东代固村", "因病", "6208"]
    text = " ".join(str(v) for row in rows for v in row)
    assert HEAD1 not in text and HEAD1[:6] + "*" not in text
    assert "13" not in text.replace("2020", "")  # no phone digits


def test_notice_without_a_village_selected_says_what_to_do(tmp_path):
    path = workbook(tmp_path, formula_text=False)
    book = xw.Book(json=book_json(path, selection="A1"))
    assert scripts.notice_sheet(book) == []
    alert = book.json()["actions"][-1]
    assert alert["func"] == "alert"
    assert alert["args"][0] == ("请先在“监测户”表中选中要公示的村的任一行，再点“生成公示名单”。"
                                "有待公示案件的村：东代固村、西村")


def test_notice_in_a_workbook_without_cases_to_publicise_says_so(tmp_path):
    # Not “有待公示案件的村：（没有已查勘、待公示的救助案件）”: no village list to point to.
    path = workbook(tmp_path, formula_text=False)
    data = book_json(path, selection="B3", active="监测户")
    cases = next(s for s in data["sheets"] if s["name"] == "救助")
    cases["values"] = cases["values"][:2]  # the header rows only
    book = xw.Book(json=data)
    assert scripts.notice_sheet(book) == []
    assert book.json()["actions"][-1]["args"][0] == (
        "本工作簿中没有已查勘、尚未备案的救助案件，无需生成公示名单。")


def test_refresh_writes_the_template_formulas_over_every_data_row(tmp_path):
    path = workbook(tmp_path, formula_text=False)
    book = xw.Book(json=book_json(path))
    written = scripts.refresh_computed(book)
    assert written == {"监测户": 2, "救助": 2}
    actions = book.json()["actions"]
    formulas = [a for a in actions if a["func"] == "setFormula"]
    status = next(a for a in formulas if cell_of(a) == "T3")
    assert len(status["values"]) == 2 and status["values"][0][0].startswith('=IF($A3="","",IF(')
    arrays = [a for a in actions if a["func"] == "setFormulaArray"]
    assert [cell_of(a) for a in arrays] == ["V3", "V4"]


@pytest.mark.parametrize("name", ["check", "notice", "refresh"])
def test_desktop_entry_points_exist(name):
    assert name in scripts._SCRIPTS


def test_check_on_a_sample_county_township_equals_validate(tmp_path):
    from fangpin_xl.demo import write_sample_county

    sample = write_sample_county(tmp_path / "县", townships=1, households=25, seed=3, policy=Policy())
    path = next(iter(sample.workbooks.values()))
    # Only validate sees the folder (the sample's owner file beside the workbook): file_open aside.
    expected = [i for i in validate_paths([path], today=TODAY).issues if i.code != "file_open"]
    assert len(expected) >= 5
    checked = scripts.check_book(xw.Book(json=book_json(path)), today=TODAY)
    assert list(checked.issues) == expected


def test_notice_sheet_name_from_a_village_excel_refuses(tmp_path):
    data = frames(formula_text=False)
    data["households"]["village"] = ["东/西村", "北*庄"]
    data["households"]["head_name"] = ["王建国 13812345678", "李秀英"]  # a phone typed into the name
    path = tmp_path / "东代固乡.xlsx"
    write_township_workbook(path, policy=Policy(), township="东代固乡", frames=data, rows=8)
    # Through the server call path, the clerk having selected H1's row of 监测户.
    actions = run("make_notice", xw.Book(json=book_json(path, selection="B3", active="监测户")))
    assert [a["args"][1] for a in actions if a["func"] == "addSheet"] == ["公示-东／西村"]
    assert actions[-1]["func"] == "alert"
    assert actions[-1]["args"][:2] == [
        "已生成公示名单：公示-东／西村（不含身份证号、电话、银行账号和健康信息）。", "精准防贫"]
    rows = next(a["values"] for a in actions if a["func"] == "setValues")
    assert rows[0][0] == "魏县东代固乡东/西村防贫救助对象公示"
    assert rows[4] == [1, "王建国 138****5678", "东/西村", "因病", "6208"]


def test_notice_refreshes_the_sheet_whatever_its_case(tmp_path):
    data = frames(formula_text=False)
    data["households"]["village"] = ["abc村", "西村"]
    path = tmp_path / "东代固乡.xlsx"
    write_township_workbook(path, policy=Policy(), township="东代固乡", frames=data, rows=8)
    book_data = book_json(path, selection="B3", active="监测户")
    book_data["sheets"].append({"name": "公示-ABC村", "values": [["旧名单"]], "pictures": [], "tables": []})
    book = xw.Book(json=book_data)
    assert scripts.notice_sheet(book, start=dt.date(2020, 6, 12)) == ["公示-ABC村"]
    actions = book.json()["actions"]
    assert not any(a["func"] == "addSheet" for a in actions)
    assert any(a["func"] == "sheetClear" for a in actions)


# -- whatever goes wrong ends in a message in Chinese ---------------------------------------

def empty_book_json(name: str = "空.xlsx", sheets: dict[str, list[list]] | None = None) -> dict:
    sheets = sheets or {"Sheet1": [[""]]}
    return {"client": "Office.js", "version": xw.__version__,
            "book": {"name": name, "active_sheet_index": 0, "selection": "A1"}, "names": [],
            "sheets": [{"name": k, "values": v, "pictures": [], "tables": []} for k, v in sheets.items()]}


def alerts(actions: list[dict]) -> list[list]:
    return [a["args"][:4] for a in actions if a["func"] == "alert"]


def unreadable_cell(path: Path) -> dict:
    """The book with an object where a cell value belongs: xlwings itself cannot read the sheet."""
    data = book_json(path)
    sheet = next(s for s in data["sheets"] if s["name"] == "监测户")
    sheet["values"][3][0] = {"type": "Entity", "text": HEAD1}
    return data


@pytest.mark.parametrize(("script", "title"), [("check_this_workbook", "校验本工作簿"),
                                               ("make_notice", "生成公示名单"),
                                               ("refresh_columns", "刷新计算列")])
def test_an_unexpected_error_ends_in_a_chinese_message(tmp_path, script, title):
    path = workbook(tmp_path)
    actions = run(script, xw.Book(json=unreadable_cell(path)))
    assert alerts(actions) == [[
        f"{title}时出错：程序遇到意外情况，未能完成，工作簿可能只改动了一部分。"
        "（技术信息：TypeError）请把工作簿发给技术支持。", "精准防贫", "ok", "critical"]]


def test_a_known_error_is_shown_in_its_own_words():
    from fangpin_xl.errors import InputError

    def refuses(book):
        raise InputError("空.xlsx：工作簿中没有任何数据")

    def breaks(book):
        raise KeyError(HEAD1)  # the exception's text (here a person's ID) is never shown

    book = xw.Book(json=empty_book_json())
    scripts._guarded(book, "校验本工作簿", refuses)
    scripts._guarded(book, "校验本工作簿", breaks)
    assert [a[0] for a in alerts(book.json()["actions"])] == [
        "错误：空.xlsx：工作簿中没有任何数据",
        "校验本工作簿时出错：程序遇到意外情况，未能完成，工作簿可能只改动了一部分。"
        "（技术信息：KeyError）请把工作簿发给技术支持。"]


@pytest.fixture
def caller():
    """Desktop Excel's RunPython path: ``xw.Book.caller()`` gives the book set with xlwings' own
    ``Book.set_mock_caller``."""
    def set_caller(data: dict) -> xw.Book:
        book = xw.Book(json=data)
        book.set_mock_caller()
        return book

    yield set_caller
    if hasattr(xw.Book, "_mock_caller"):
        del xw.Book._mock_caller


def test_desktop_run_checks_the_calling_book(tmp_path, caller):
    book = caller(book_json(workbook(tmp_path)))
    scripts.run("check")
    assert alerts(book.json()["actions"])[-1][0].startswith("校验完成：错误 ")


def test_desktop_run_ends_any_error_in_a_chinese_message(tmp_path, caller):
    book = caller(unreadable_cell(workbook(tmp_path)))
    scripts.run("refresh")
    scripts.run("fix-everything")
    assert alerts(book.json()["actions"]) == [
        ["刷新计算列时出错：程序遇到意外情况，未能完成，工作簿可能只改动了一部分。"
         "（技术信息：TypeError）请把工作簿发给技术支持。", "精准防贫", "ok", "critical"],
        ["没有名为“fix-everything”的按钮操作：请用 fangpin-xl excel macros 重新导出 VBA 模块，"
         "在 VBA 编辑器中替换旧模块。", "精准防贫", "ok", "critical"]]


# -- 刷新计算列 says when it wrote nothing ---------------------------------------------------

def test_refresh_without_the_sheets_says_nothing_was_refreshed():
    actions = run("refresh_columns", xw.Book(json=empty_book_json()))
    assert not any(a["func"] in ("setValues", "setFormula", "setFormulaArray") for a in actions)
    assert alerts(actions) == [[
        "没有刷新任何计算列：没有“监测户”工作表；没有“救助”工作表。"
        "此按钮用于县里下发的乡镇模板（或带有计算列表头的工作簿），且表中要有已填写的户或案件。", "精准防贫", "ok", "info"]]


def test_refresh_of_an_empty_template_says_nothing_was_refreshed(tmp_path):
    path = tmp_path / "东代固乡.xlsx"
    write_township_workbook(path, policy=Policy(), township="东代固乡", rows=8)
    book = xw.Book(json=book_json(path))
    assert scripts.refresh_computed(book) == {}
    actions = book.json()["actions"]
    assert not any(a["func"] in ("setValues", "setFormula", "setFormulaArray") for a in actions)
    assert alerts(actions)[-1][0] == (
        "没有刷新任何计算列：“监测户”没有数据行；“救助”没有数据行。"
        "此按钮用于县里下发的乡镇模板（或带有计算列表头的工作簿），且表中要有已填写的户或案件。")


def test_refresh_says_which_sheet_it_left_and_why(tmp_path):
    data = frames(formula_text=False)
    data["cases"] = data["cases"].iloc[0:0]
    path = tmp_path / "东代固乡.xlsx"
    write_township_workbook(path, policy=Policy(), township="东代固乡", frames=data, rows=8)
    book = xw.Book(json=book_json(path))
    assert scripts.refresh_computed(book) == {"监测户": 2}
    assert alerts(book.json()["actions"])[-1][0] == "已刷新计算列：监测户 2 行（未刷新：“救助”没有数据行）。"


def test_refresh_of_a_sheet_without_computed_columns(tmp_path):
    # The county's own layout: 监测户 with its input columns only, no 救助.
    households = [["户编号", "乡镇", "村", "户主姓名", "户主身份证号", "家庭人口", "户类型", "人均可支配收入"],
                  ["H1", "东代固乡", "东代固村", "王建国", HEAD1, 2, "脱贫不稳定户", 5000]]
    book = xw.Book(json=empty_book_json("自制.xlsx", {"监测户": households}))
    assert scripts.refresh_computed(book) == {}
    assert alerts(book.json()["actions"])[-1][0] == (
        "没有刷新任何计算列：“监测户”中找不到计算列（“近12月因病支出”、“近12月因学支出”、“近12月因意外支出”、"
        "“近12月因产业支出”、“资格判定”、“满足条件”、“最近回访日期”、“下次回访到期”）的表头；没有“救助”工作表。"
        "此按钮用于县里下发的乡镇模板（或带有计算列表头的工作簿），且表中要有已填写的户或案件。")
