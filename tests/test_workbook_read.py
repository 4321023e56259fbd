"""The schema reader: real workbooks written by openpyxl, xlsxwriter and LibreOffice."""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import xlsxwriter
from openpyxl.styles import PatternFill

from fangpin_xl.errors import InputError
from fangpin_xl.issues import Issue
from fangpin_xl.policy import Policy, policy_differences, policy_rows
from fangpin_xl.schema import (
    CASES,
    DATE,
    HOUSEHOLDS,
    INTEGER,
    MEMBERS,
    MONEY,
    MONTH,
    SHEETS,
    SPENDING,
    VISITS,
)
from fangpin_xl.workbook.read import (
    Change,
    find_sheet,
    normalise_header,
    policy_values_from_rows,
    read_policy_values,
    read_sheet_table,
    read_values,
    read_workbook,
    sheet_from_values,
)

T = pd.Timestamp
ID_AS_NUMBER = 130434198001011000


def typed(kind, values):
    if kind == MONEY:
        return pd.Series(values, dtype="float64").to_numpy()
    if kind == INTEGER:
        return pd.array(values, dtype="Int64")
    if kind in (DATE, MONTH):
        return pd.to_datetime(pd.Series(values, dtype=object)).astype("datetime64[ns]").to_numpy()
    return pd.Series(values, dtype=object).to_numpy()


def expected_frame(spec, index, values: dict, extras: dict | None = None) -> pd.DataFrame:
    """The frame the reader must return: every schema key, then the extras."""
    n = len(index)
    data = {c.key: typed(c.type, values.get(c.key, [None] * n)) for c in spec.columns}
    for name, vals in (extras or {}).items():
        data[name] = pd.Series(vals, dtype=object).to_numpy()
    idx = pd.Index(index, dtype="int64", name="row")
    columns = {}
    for k, v in data.items():
        is_object = getattr(v, "dtype", None) is not None and v.dtype.kind == "O"
        columns[k] = pd.Series(v, index=idx, dtype=object if is_object else None)
    return pd.DataFrame(columns, index=idx)


def missing_sheet_issues(file, present_sheets, sheets_found):
    listing = "、".join(f"“{n}”" for n in sheets_found)
    issues = []
    for spec in SHEETS:
        if spec.key in present_sheets:
            continue
        severity = "error" if spec.key == "households" else "warning"
        issues.append(Issue(
            "missing_sheet", severity, file, spec.name, "", None, "", "",
            f"缺少工作表“{spec.name}”（也可命名为：{'、'.join(spec.synonyms)}）。工作簿中的工作表：{listing}",
        ))
    return issues


# --- a township 监测户 sheet as counties really send it (openpyxl) ------------


def township_workbook(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = " 监测对象 "
    ws["A1"] = "城关镇防返贫监测对象信息表"
    ws.merge_cells("A1:N1")
    ws["A2"] = "说明：带*为必填项；金额单位：元"
    headers = ["户主", "*户编号", "乡(镇)", "行政村", "户主证件号码", "家庭\n人口数（人）", "监测对象类别",
               "人均纯收入（元）", "备注", "纳入监测日期", None, "户主姓名", "是否低保", "联系电话"]
    for c, text in enumerate(headers, 1):
        ws.cell(3, c, text)
    rows = {
        4: ["张三", "H001", "城关镇", "东村", "13043419800101123X", 3, "脱贫不稳定户", "5,000元",
            "已核实", "2020.8.25", None, "张三", "否", 13800138000],
        5: ["李四", "H002", "城关镇", "东村", ID_AS_NUMBER, "3人", "边缘易致贫户", 4000.5, None,
            dt.datetime(2020, 8, 26), "手写补充", "李四", "整户低保", "13900139000"],
        7: ["  ", None, " "],
        8: ["王五", "H003", "城关镇", "西村", None, "", "边缘易致贫户", "abc", None, 44068, None,
            "王五", None, None],
    }
    for r, values in rows.items():
        for c, value in enumerate(values, 1):
            ws.cell(r, c, value)
    fill = PatternFill("solid", fgColor="FFFF00")
    for r in range(9, 40):  # formatting only, as township sheets come back
        ws.cell(r, 1).fill = fill
        ws.cell(r, 5).number_format = "@"
    wb.save(path)
    return path


TOWNSHIP_FRAME_VALUES = {
    "household_no": ["H001", "H002", "H003"],
    "township": ["城关镇"] * 3,
    "village": ["东村", "东村", "西村"],
    "head_name": ["张三", "李四", "王五"],
    "head_id": ["13043419800101123X", float(ID_AS_NUMBER), None],
    "household_size": [3, 3, None],
    "group": ["脱贫不稳定户", "边缘易致贫户", "边缘易致贫户"],
    "income_per_capita": [5000.0, 4000.5, None],
    "phone": ["13800138000", "13900139000", None],
    "dibao": ["否", "整户低保", None],
    "monitored_since": [T("2020-08-25"), T("2020-08-26"), T("2020-08-25")],
}
TOWNSHIP_EXTRAS = {"户主": ["张三", "李四", "王五"], "备注": ["已核实", None, None],
                   "列K": [None, "手写补充", None]}


def test_township_sheet(tmp_path):
    path = township_workbook(tmp_path / "城关镇.xlsx")
    data = read_workbook(path)
    assert data.format == "xlsx"
    assert data.file == "城关镇.xlsx"
    assert data.sheet_names == [" 监测对象 "]
    assert data.date1904 is False
    assert data.policy_values is None
    assert list(data.sheets) == ["households"]
    sheet = data.sheets["households"]
    assert sheet.name == " 监测对象 "
    assert (sheet.header_row, sheet.header_rows, sheet.rows_read) == (3, 1, 3)
    expected = expected_frame(HOUSEHOLDS, [4, 5, 8], TOWNSHIP_FRAME_VALUES, TOWNSHIP_EXTRAS)
    pd.testing.assert_frame_equal(sheet.frame, expected)
    assert sheet.extras == ["户主", "备注", "列K"]
    assert sheet.columns == {
        "household_no": "B", "township": "C", "village": "D", "head_name": "L", "head_id": "E",
        "household_size": "F", "group": "G", "income_per_capita": "H", "phone": "N", "dibao": "M",
        "monitored_since": "J", "户主": "A", "备注": "I", "列K": "K",
    }
    assert sheet.headers["household_size"] == "家庭人口数（人）"
    assert sheet.headers["household_no"] == "*户编号"
    assert sheet.cell("income_per_capita", 8) == "H8"
    assert sheet.cell("risk_status", 8) == ""
    assert sheet.changes == [
        Change("H4", "人均可支配收入", "5,000元", 5000.0, "income_per_capita", 4),
        Change("J4", "纳入监测日期", "2020.8.25", T("2020-08-25"), "monitored_since", 4),
        Change("N4", "联系电话", 13800138000.0, "13800138000", "phone", 4),
        Change("F5", "家庭人口", "3人", 3, "household_size", 5),
        Change("J8", "纳入监测日期", 44068.0, T("2020-08-25"), "monitored_since", 8),
    ]
    assert sheet.failures == [Change("H8", "人均可支配收入", "abc", None, "income_per_capita", 8)]
    # Every change points at the cell that holds its original.
    for change in sheet.changes:
        assert change.cell == sheet.columns[change.key] + str(change.row)
    assert data.issues == [
        Issue("duplicate_column", "warning", "城关镇.xlsx", " 监测对象 ", "A3", 3, "户主姓名", "户主",
              "工作表“ 监测对象 ”中 L 列“户主姓名”和 A 列“户主”都对应“户主姓名”，已使用 L 列，A 列作为附加列保留"),
        *missing_sheet_issues("城关镇.xlsx", {"households"}, [" 监测对象 "]),
    ]


def openpyxl_values(path: Path) -> tuple[dict[str, list[list]], dict[str, list[tuple]]]:
    """Every sheet's values from A1 and its merged ranges, as an open Excel book hands them over."""
    wb = openpyxl.load_workbook(path, data_only=True)
    values = {ws.title: [list(row) for row in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
    merged = {ws.title: [(r.min_row - 1, r.min_col - 1, r.max_row - 1, r.max_col - 1)
                         for r in ws.merged_cells.ranges] for ws in wb.worksheets}
    return values, merged


def test_values_read_like_the_file(tmp_path):
    path = township_workbook(tmp_path / "城关镇.xlsx")
    values, merged = openpyxl_values(path)
    from_file = read_workbook(path)
    from_values = read_values(values, file="城关镇.xlsx", merged=merged)
    assert from_values.sheet_names == from_file.sheet_names
    assert from_values.issues == from_file.issues
    for key, sheet in from_file.sheets.items():
        other = from_values.sheets[key]
        pd.testing.assert_frame_equal(other.frame, sheet.frame)
        assert (other.columns, other.changes, other.failures, other.header_row) == (
            sheet.columns, sheet.changes, sheet.failures, sheet.header_row)


def test_values_with_merged_header_and_members(tmp_path):
    path = cases_workbook(tmp_path / "救助.xlsx")
    values, merged = openpyxl_values(path)
    from_file = read_workbook(path, sheets=(CASES,))
    from_values = read_values(values, file="救助.xlsx", merged=merged, schema_sheets=(CASES,))
    pd.testing.assert_frame_equal(from_values.sheets["cases"].frame, from_file.sheets["cases"].frame)
    assert from_values.sheets["cases"].changes == from_file.sheets["cases"].changes


def test_sheet_from_values_matches_headers_by_synonyms():
    rows = [["说明：单位元", None], ["监测对象类别", "人均纯收入（元）", "户编号"],
            ["边缘易致贫户", "5,000元", "H1"], [None, None, None], ["脱贫不稳定户", 4000, "H2"]]
    sheet, issues = sheet_from_values(rows, HOUSEHOLDS, name="核查")
    assert sheet.frame["group"].tolist() == ["边缘易致贫户", "脱贫不稳定户"]
    assert sheet.frame["income_per_capita"].tolist() == [5000.0, 4000.0]
    assert sheet.frame.index.tolist() == [3, 5]
    assert sheet.columns["income_per_capita"] == "B"
    assert [c.cell for c in sheet.changes] == ["B3"]
    assert [i.column for i in issues] == ["乡镇", "村", "户主姓名", "户主身份证号", "家庭人口"]


def test_xls_reads_like_xlsx(tmp_path, soffice):
    source = township_workbook(tmp_path / "城关镇.xlsx")
    xls = soffice(source, to="xls")
    expected = read_workbook(source).sheets["households"]
    for path in (xls, shutil.copy(xls, tmp_path / "改名.xlsx")):
        data = read_workbook(path)
        assert data.format == "xls"
        sheet = data.sheets["households"]
        pd.testing.assert_frame_equal(sheet.frame, expected.frame)
        assert sheet.columns == expected.columns
        assert [c.cell for c in sheet.changes] == [c.cell for c in expected.changes]
        assert sheet.failures == expected.failures


# --- two-row merged headers, formulas, 1904 (xlsxwriter) ---------------------


def cases_workbook(path: Path, *, date1904: bool = False) -> Path:
    wb = xlsxwriter.Workbook(str(path), {"date_1904": date1904})
    ws = wb.add_worksheet("救助案件")
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    grey = wb.add_format({"bg_color": "#DDDDDD"})
    ws.merge_range("A1:N1", "2020年救助案件台账", None)
    tall = {"A": "案件编号", "B": "户编号", "C": "救助类别", "D": "发现日期", "E": "发现方式",
            "F": "入户查勘日期", "I": "部门比对日期", "J": "备案日期", "K": "救助金额（元）",
            "L": "支付日期", "M": "状态", "N": "经办人"}
    for letter, text in tall.items():
        ws.merge_range(f"{letter}2:{letter}3", text, None)
    ws.merge_range("G2:H2", "公示", None)
    ws.write_string("G3", "开始")
    ws.write_string("H3", "结束")
    ws.write_row("A4", ["A2020001", "H001", "因病"])
    ws.write_datetime("D4", dt.datetime(2020, 4, 29), date)
    ws.write_row("E4", ["自上而下筛查", "2020/5/6", "2020年5月7日", "2020.5.12", "", "20200514"])
    ws.write_formula("K4", "=5000+1208", None, 6208)
    ws.write_datetime("L4", dt.datetime(2020, 5, 20), date)
    ws.write_row("M4", ["已支付", "赵六"])
    ws.write_row("A5", ["A2020002", "H002", "因学"])
    ws.write_number("D5", 44068)  # a bare serial number, not formatted as a date
    ws.write_row("E5", ["自下而上申请"])
    ws.write_string("K5", "3,000")
    ws.write_string("M5", "公示中")
    ws.write_string("B6", "   ")  # whitespace only
    for r in range(6, 30):
        ws.write_blank(r, 0, None, grey)
    wb.close()
    return path


@pytest.mark.parametrize("date1904", [False, True])
def test_two_row_merged_header(tmp_path, date1904):
    path = cases_workbook(tmp_path / "救助.xlsx", date1904=date1904)
    data = read_workbook(path, sheets=(CASES,))
    assert data.date1904 is date1904
    assert data.issues == []
    sheet = data.sheets["cases"]
    assert (sheet.name, sheet.header_row, sheet.header_rows, sheet.rows_read) == ("救助案件", 2, 2, 2)
    epoch = T("1904-01-01") if date1904 else T("1899-12-30")
    serial_day = epoch + pd.Timedelta(days=44068)
    expected = expected_frame(CASES, [4, 5], {
        "case_no": ["A2020001", "A2020002"],
        "household_no": ["H001", "H002"],
        "kind": ["因病", "因学"],
        "found_date": [T("2020-04-29"), serial_day],
        "found_way": ["自上而下筛查", "自下而上申请"],
        "survey_date": [T("2020-05-06"), None],
        "notice_start": [T("2020-05-07"), None],
        "notice_end": [T("2020-05-12"), None],
        "filing_date": [T("2020-05-14"), None],
        "relief_amount": [6208.0, 3000.0],
        "payment_date": [T("2020-05-20"), None],
        "stage": ["已支付", "公示中"],
    }, {"经办人": ["赵六", None]})
    pd.testing.assert_frame_equal(sheet.frame, expected)
    assert sheet.columns == {
        "case_no": "A", "household_no": "B", "kind": "C", "found_date": "D", "found_way": "E",
        "survey_date": "F", "notice_start": "G", "notice_end": "H", "dept_check_date": "I",
        "filing_date": "J", "relief_amount": "K", "payment_date": "L", "stage": "M", "经办人": "N",
    }
    assert sheet.headers["notice_start"] == "公示开始"
    assert sheet.headers["survey_date"] == "入户查勘日期"
    assert [(c.cell, c.original) for c in sheet.changes] == [
        ("F4", "2020/5/6"), ("G4", "2020年5月7日"), ("H4", "2020.5.12"), ("J4", "20200514"),
        ("D5", 44068.0), ("K5", "3,000"),
    ]
    assert sheet.changes[-2].value == serial_day


# --- members: household numbers merged over their members --------------------


def test_vertically_merged_household_numbers(tmp_path):
    path = tmp_path / "成员.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("家庭成员")
    ws.write_row("A1", ["户编号", "姓名", "身份证号", "与户主关系", "在校生"])
    ws.merge_range("A2:A4", "H001", None)
    ws.write_row("B2", ["张三", "13043419800101123X", "户主", "否"])
    ws.write_row("B3", ["李梅", "130434198205051229", "配偶", "N"])
    ws.write_row("B4", ["张小", "130434201009090011", "子女", "√"])
    ws.merge_range("A5:A6", "H002", None)  # reaches into a row that holds nothing else
    ws.write_row("B5", ["王五", "130434197001011234", "户主", ""])
    ws.write_string("A7", "H003")
    ws.write_string("B7", "赵六")
    ws.write_number("C7", ID_AS_NUMBER)
    ws.write_string("D7", "户主")
    wb.close()
    data = read_workbook(path, sheets=(MEMBERS,), read_policy=False)
    sheet = data.sheets["members"]
    assert sheet.rows_read == 5
    expected = expected_frame(MEMBERS, [2, 3, 4, 5, 7], {
        "household_no": ["H001", "H001", "H001", "H002", "H003"],
        "name": ["张三", "李梅", "张小", "王五", "赵六"],
        "id_number": ["13043419800101123X", "130434198205051229", "130434201009090011",
                      "130434197001011234", float(ID_AS_NUMBER)],
        "relation": ["户主", "配偶", "子女", "户主", "户主"],
        "in_school": ["否", "否", "是", None, None],
    })
    pd.testing.assert_frame_equal(sheet.frame, expected)
    assert [(c.cell, c.original, c.value) for c in sheet.changes] == [
        ("E3", "N", "否"), ("E4", "√", "是"),
    ]
    assert data.issues == []


# --- issues: missing sheets, columns, headers -------------------------------


def test_missing_columns_and_sheets(tmp_path):
    path = tmp_path / "缺列.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "监测户"
    ws.append(["户编号", "乡镇", "村", "户主姓名", "家庭人口", "户类型", "自定义"])
    ws.append(["H001", "城关镇", "东村", "张三", 3, "脱贫不稳定户", "x"])
    wb.create_sheet("帮扶")  # empty
    other = wb.create_sheet("支出")
    other.append(["这张表没有表头"])
    other.append(["只有一句话", None])
    wb.create_sheet("参数")
    wb.save(path)
    data = read_workbook(path)
    found = "“户编号”、“乡镇”、“村”、“户主姓名”、“家庭人口”、“户类型”、“自定义”"
    sheets = "“监测户”、“帮扶”、“支出”、“参数”"
    assert data.issues == [
        Issue("missing_column", "error", "缺列.xlsx", "监测户", "", None, "户主身份证号", "",
              "工作表“监测户”缺少必填列“户主身份证号”（也可用列名：户主证件号码、户主身份证号码）。"
              f"第 1 行找到的列：{found}"),
        Issue("missing_column", "error", "缺列.xlsx", "监测户", "", None, "人均可支配收入", "",
              "工作表“监测户”缺少必填列“人均可支配收入”（也可用列名：家庭年人均可支配收入、人均纯收入、"
              f"家庭人均纯收入、人均收入）。第 1 行找到的列：{found}"),
        Issue("missing_sheet", "warning", "缺列.xlsx", "家庭成员", "", None, "", "",
              f"缺少工作表“家庭成员”（也可命名为：成员、人员信息）。工作簿中的工作表：{sheets}"),
        Issue("header_not_found", "error", "缺列.xlsx", "支出", "", None, "", "",
              "工作表“支出”前 30 行中找不到表头行（应包含“户编号”“支出类别”“发生日期”“金额”等列名），无法读取该表"),
        Issue("missing_sheet", "warning", "缺列.xlsx", "救助", "", None, "", "",
              f"缺少工作表“救助”（也可命名为：救助案件、案件）。工作簿中的工作表：{sheets}"),
        Issue("empty_sheet", "warning", "缺列.xlsx", "帮扶", "", None, "", "",
              "工作表“帮扶”是空的，没有表头和数据"),
        Issue("missing_sheet", "warning", "缺列.xlsx", "援助", "", None, "", "",
              f"缺少工作表“援助”（也可命名为：其他帮扶、就业和兜底）。工作簿中的工作表：{sheets}"),
        Issue("policy_header_missing", "warning", "缺列.xlsx", "参数", "", None, "", "",
              "工作表“参数”中找不到“键”“参数”“值”表头行，未能读取本工作簿的参数"),
    ]
    assert data.policy_values == {}
    households = data.sheets["households"]
    assert households.frame["head_id"].tolist() == [None]
    assert households.extras == ["自定义"]
    # A sheet that cannot be read still has every column, and no rows.
    for key in ("spending", "visits"):
        sheet = data.sheets[key]
        assert sheet.header_row == 0 and sheet.rows_read == 0
        assert list(sheet.frame.columns) == [c.key for c in sheet.spec.columns]
        assert len(sheet.frame) == 0
    assert str(data.sheets["visits"].frame["visit_date"].dtype) == "datetime64[ns]"


def test_missing_and_empty_households_are_errors(tmp_path):
    path = tmp_path / "空表.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Sheet1"
    wb.save(path)
    data = read_workbook(path, sheets=(HOUSEHOLDS,))
    assert [(i.code, i.severity) for i in data.issues] == [("missing_sheet", "error")]
    wb = openpyxl.Workbook()
    wb.active.title = "监测户"
    wb.save(path)
    data = read_workbook(path, sheets=(HOUSEHOLDS,))
    assert [(i.code, i.severity, i.message) for i in data.issues] == [
        ("empty_sheet", "error", "工作表“监测户”是空的，没有表头和数据"),
    ]


def test_template_rows_with_only_formulas_are_not_data(tmp_path):
    path = tmp_path / "模板.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("救助")
    ws.merge_range("A1:O1", "救助（每个救助案件一行）", None)
    ws.write_row("A2", [c.header for c in CASES.columns])
    ws.write_row("A3", ["A1", "H001", "因病", "2020-04-29", "自下而上申请"])
    ws.write_string("M3", "已发现")
    for r in range(2, 200):  # prepared formula rows, cached "" or 0
        ws.write_formula(r, 13, '=IF(A{0}="","",A{0})'.format(r + 1), None, "" if r % 2 else 0)
        ws.write_formula(r, 14, "=0", None, 0)
    wb.close()
    sheet = read_workbook(path, sheets=(CASES,)).sheets["cases"]
    assert sheet.rows_read == 1
    assert sheet.frame.index.tolist() == [3]
    assert sheet.frame["days_left"].tolist() == [0]


def test_sheet_synonym_and_spaces():
    assert find_sheet(VISITS.names, ["说明", " 帮扶 回访 ", "帮扶"]) == "帮扶"
    assert find_sheet(VISITS.names, ["说明", " 帮扶 回访 "]) == " 帮扶 回访 "
    assert find_sheet(VISITS.names, ["说明"]) is None
    assert find_sheet(SPENDING.names, ["大额 支出", "支出事件"]) == "支出事件"


def test_helpers():
    assert normalise_header(" *户主\n证件号码（必填）＊ ") == "户主证件号码(必填)"
    assert normalise_header("乡（镇）") == normalise_header("乡(镇)")


# --- the 参数 sheet ----------------------------------------------------------


def test_policy_values(tmp_path):
    policy = Policy()
    path = tmp_path / "参数.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("参数")
    ws.merge_range("A1:C1", "精准防贫参数（县级统一设置，乡镇请勿修改）", None)
    ws.write_row("A2", ["键", "参数", "值"])
    rows = policy_rows(policy)
    for r, (key, label, value) in enumerate(rows, 2):
        ws.write_row(r, 0, [key, label, value])
    ws.write_row(len(rows) + 2, 0, ["check_date", "核查基准日"])
    ws.write_datetime(len(rows) + 2, 2, dt.datetime(2020, 12, 31), wb.add_format({"num_format": "yyyy-mm-dd"}))
    ws.write_row(len(rows) + 3, 0, ["", "", ""])
    wb.close()
    values = read_policy_values(path)
    assert values["check_date"] == dt.date(2020, 12, 31)
    assert values["year"] == policy.year and isinstance(values["year"], int)
    assert values["county"] == policy.county
    assert policy_differences(policy, values) == []
    assert list(values) == [key for key, _, _ in rows] + ["check_date"]
    assert read_workbook(path, sheets=()).policy_values == values


def test_policy_values_text_date_and_absent_sheet(tmp_path):
    path = tmp_path / "p.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = " 参数 "
    ws.append(["键", "参数", "值"])
    ws.append(["check_date", "核查基准日", "2021年6月30日"])
    ws.append(["county", "县", "  魏县 "])
    ws.append(["procedure.max_relief", "上限", "200000"])
    wb.save(path)
    assert read_policy_values(path) == {
        "check_date": dt.date(2021, 6, 30), "county": "魏县", "procedure.max_relief": "200000",
    }
    wb.active.title = "其他"
    wb.save(path)
    assert read_policy_values(path) is None
    assert read_workbook(path, sheets=()).policy_values is None


def test_policy_values_from_rows_reads_a_range_like_the_sheet(tmp_path):
    rows = [
        ["精准防贫参数", None, None, None],
        [None, None, None, None],
        [None, "键", "参数", "值"],
        [None, "year", "参数年度", 2021.0],
        [None, "  county ", "县", " 魏县 "],
        [None, "", "（空键的行不算）", 5],
        [None, "check_date", "核查基准日", 44377.0],
        [None, "procedure.max_relief", "上限", ""],
    ]
    assert policy_values_from_rows(rows) == {
        "year": 2021, "county": "魏县", "check_date": dt.date(2021, 6, 30), "procedure.max_relief": None,
    }
    assert policy_values_from_rows([["参数", "值"], ["year", 2020]]) is None
    assert policy_values_from_rows([]) is None


# --- generic tables (department data) ----------------------------------------


def test_read_sheet_table(tmp_path):
    path = tmp_path / "医保.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "空白"
    ws = wb.create_sheet("住院明细")
    ws["B2"] = "2020年住院自付费用明细"
    ws.append([])
    ws["B4"], ws["C4"], ws["D4"], ws["F4"], ws["G4"] = "身份证号", "姓名", "自付金额", "姓名", None
    ws.append([None, "13043419800101123X", " 张三 ", 5200.5, "x", "甲", None])
    ws.append([])
    ws.append([None, ID_AS_NUMBER, "李四", "1,000", None, None, "无表头"])
    wb.save(path)
    frame, header_row = read_sheet_table(path)
    assert header_row == 4
    assert frame.attrs["sheet"] == "住院明细"
    assert frame.attrs["columns"] == {"身份证号": "B", "姓名": "C", "自付金额": "D", "列E": "E",
                                      "姓名（F列）": "F", "列G": "G"}
    idx = pd.Index([5, 7], dtype="int64", name="row")
    expected = pd.DataFrame({
        "身份证号": pd.Series(["13043419800101123X", float(ID_AS_NUMBER)], index=idx, dtype=object),
        "姓名": pd.Series(["张三", "李四"], index=idx, dtype=object),
        "自付金额": pd.Series([5200.5, "1,000"], index=idx, dtype=object),
        "列E": pd.Series(["x", None], index=idx, dtype=object),
        "姓名（F列）": pd.Series(["甲", None], index=idx, dtype=object),
        "列G": pd.Series([None, "无表头"], index=idx, dtype=object),
    }, index=idx)
    pd.testing.assert_frame_equal(frame, expected)
    same, row = read_sheet_table(path, " 住院明细")
    pd.testing.assert_frame_equal(same, frame)
    with pytest.raises(InputError) as info:
        read_sheet_table(path, "门诊")
    assert str(info.value) == "医保.xlsx：找不到工作表“门诊”。工作簿中的工作表：“空白”、“住院明细”"
    ws = wb.create_sheet("只有数字")
    ws.append([1, 2, 3])
    wb.save(path)
    with pytest.raises(InputError) as info:
        read_sheet_table(path, "只有数字")
    assert str(info.value) == (
        "医保.xlsx：工作表“只有数字”前 30 行中找不到表头行（至少有两个文字单元格的一行）"
    )


def test_read_sheet_table_empty_workbook(tmp_path):
    path = tmp_path / "空.xlsx"
    openpyxl.Workbook().save(path)
    with pytest.raises(InputError) as info:
        read_sheet_table(path)
    assert str(info.value) == "空.xlsx：工作簿中没有任何数据"


# --- files no reader should get, and files calamine cannot read ---------------


def raises(path) -> str:
    with pytest.raises(InputError) as info:
        read_workbook(path)
    return str(info.value)


def test_unusable_files(tmp_path):
    csv = tmp_path / "导出.xlsx"
    csv.write_text("户编号,乡镇\nH001,城关镇\n", encoding="gb18030")
    assert raises(csv) == (
        "导出.xlsx：不是 Excel 工作簿，看起来是文本（CSV）文件，请用 Excel 或 WPS 打开后另存为 .xlsx 工作簿再提交"
    )
    empty = tmp_path / "空.xlsx"
    empty.write_bytes(b"")
    assert raises(empty) == "空.xlsx：文件为空（0 字节），请重新保存或重新复制该工作簿"
    whole = township_workbook(tmp_path / "whole.xlsx").read_bytes()
    cut = tmp_path / "半截.xlsx"
    cut.write_bytes(whole[: len(whole) * 2 // 3])
    assert raises(cut) == "半截.xlsx：文件已损坏或不完整（可能没有下载或复制完整），请重新获取该工作簿"
    ole = tmp_path / "加密.xlsx"
    ole.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2000)
    assert raises(ole) == "加密.xlsx：文件已设置打开密码（加密），请另存为不加密的工作簿后再提交"
    for reader in (read_sheet_table, read_policy_values):
        with pytest.raises(InputError, match="^空.xlsx：文件为空"):
            reader(empty)


def rewrite_part(source: Path, target: Path, part: str, change) -> Path:
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            zout.writestr(info, change(data) if info.filename == part else data)
    return target


def small_households(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "监测户"
    ws.append(["户编号", "乡镇", "村"])
    ws.append(["H001", "城关镇", "东村"])
    wb.save(path)
    return path


def test_falls_back_to_openpyxl_when_calamine_cannot(tmp_path):
    # LibreOffice 5 wrote whole-row dimensions ("1:2"), which calamine rejects.
    source = small_households(tmp_path / "source.xlsx")
    path = rewrite_part(source, tmp_path / "旧版.xlsx", "xl/worksheets/sheet1.xml",
                        lambda xml: xml.replace(b'<dimension ref="A1:C2" />', b'<dimension ref="1:2" />'))
    from python_calamine import CalamineError, CalamineWorkbook

    with pytest.raises(CalamineError):
        CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    sheet = read_workbook(path, sheets=(HOUSEHOLDS,)).sheets["households"]
    assert sheet.frame[["household_no", "township", "village"]].to_dict("list") == {
        "household_no": ["H001"], "township": ["城关镇"], "village": ["东村"],
    }
    assert sheet.frame.index.tolist() == [2]


def test_broken_xml_is_an_input_error(tmp_path):
    source = small_households(tmp_path / "source.xlsx")
    path = rewrite_part(source, tmp_path / "坏了.xlsx", "xl/worksheets/sheet1.xml",
                        lambda xml: xml[: len(xml) // 2])
    message = raises(path)
    assert message.startswith("坏了.xlsx：")
    assert "技术信息" in message


def test_read_on_a_directory_and_missing_file(tmp_path):
    assert raises(tmp_path / "无.xlsx") == "无.xlsx：找不到文件"


# --- national-system exports and the openpyxl path ---------------------------


def test_national_export_with_grouped_columns(tmp_path):
    path = tmp_path / "国家系统导出.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("监测对象")
    ws.merge_range("A1:I1", "防止返贫监测对象信息表", None)
    ws.merge_range("A2:I2", "注：本表由全国防返贫监测信息系统导出，请勿修改表头", None)
    for letter, text in {"A": "县(市、区、旗)", "B": "乡(镇)", "C": "行政村", "D": "户编号",
                         "G": "家庭人口数", "H": "监测对象类别", "I": "家庭年人均可支配收入"}.items():
        ws.merge_range(f"{letter}3:{letter}4", text, None)
    ws.merge_range("E3:F3", "户主信息", None)
    ws.write_row("E4", ["姓名", "证件号码"])
    ws.write_row("A5", ["魏县", "城关镇", "东村", "H001", "张三", "13043419800101123X", 3,
                        "突发严重困难户", 12000])
    wb.close()
    data = read_workbook(path, sheets=(HOUSEHOLDS,))
    sheet = data.sheets["households"]
    assert (sheet.header_row, sheet.header_rows, sheet.rows_read) == (3, 2, 1)
    assert data.issues == []
    assert sheet.columns == {
        "household_no": "D", "township": "B", "village": "C", "head_name": "E", "head_id": "F",
        "household_size": "G", "group": "H", "income_per_capita": "I", "县(市、区、旗)": "A",
    }
    assert sheet.headers["head_name"] == "户主信息姓名"
    pd.testing.assert_frame_equal(sheet.frame, expected_frame(HOUSEHOLDS, [5], {
        "household_no": ["H001"], "township": ["城关镇"], "village": ["东村"],
        "head_name": ["张三"], "head_id": ["13043419800101123X"], "household_size": [3],
        "group": ["突发严重困难户"], "income_per_capita": [12000.0],
    }, {"县(市、区、旗)": ["魏县"]}))


def test_openpyxl_path_finds_two_row_headers_without_merge_information(tmp_path):
    source = cases_workbook(tmp_path / "source.xlsx")
    path = rewrite_part(source, tmp_path / "救助.xlsx", "xl/worksheets/sheet1.xml",
                        lambda xml: xml.replace(b'<dimension ref="A1:N30"/>', b'<dimension ref="1:30"/>'))
    from python_calamine import CalamineError, CalamineWorkbook

    with pytest.raises(CalamineError):
        CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    expected = read_workbook(source, sheets=(CASES,)).sheets["cases"]
    sheet = read_workbook(path, sheets=(CASES,)).sheets["cases"]
    assert (sheet.header_row, sheet.header_rows) == (2, 2)
    pd.testing.assert_frame_equal(sheet.frame, expected.frame)
    assert sheet.columns == expected.columns
    assert [c.cell for c in sheet.changes] == [c.cell for c in expected.changes]


def test_reader_exceptions_become_chinese_messages():
    from defusedxml import EntitiesForbidden
    from python_calamine import CalamineError, PasswordError, XmlError, ZipError

    from fangpin_xl.workbook.sources import _translate

    path = Path("乡镇.xlsx")
    cases = [
        (PasswordError("password required"), "乡镇.xlsx：文件已设置打开密码（加密），请另存为不加密的工作簿后再提交"),
        (ZipError("invalid Zip archive: bad crc"),
         "乡镇.xlsx：文件已损坏或不完整（可能没有下载或复制完整），请重新获取该工作簿"
         "（技术信息：ZipError: invalid Zip archive: bad crc）"),
        (zipfile.BadZipFile("Bad CRC-32"),
         "乡镇.xlsx：文件已损坏或不完整（可能没有下载或复制完整），请重新获取该工作簿"
         "（技术信息：BadZipFile: Bad CRC-32）"),
        (XmlError("syntax error"),
         "乡镇.xlsx：工作簿内容已损坏（XML 格式错误），请用 Excel 或 WPS 打开后另存为 .xlsx 工作簿再提交"
         "（技术信息：XmlError: syntax error）"),
        (EntitiesForbidden("x", "y", None, None, None, None),
         "乡镇.xlsx：工作簿包含不安全的 XML 内容（DTD 或外部实体），已拒绝读取"
         "（技术信息：EntitiesForbidden: EntitiesForbidden(name='x', system_id=None, public_id=None)）"),
        (CalamineError("Unrecognized sheet type"),
         "乡镇.xlsx：无法读取该工作簿（文件可能已损坏或格式不受支持），请用 Excel 或 WPS 打开后另存为 .xlsx 工作簿再提交"
         "（技术信息：CalamineError: Unrecognized sheet type）"),
        (KeyError(), "乡镇.xlsx：无法读取该工作簿（文件可能已损坏或格式不受支持），"
                     "请用 Excel 或 WPS 打开后另存为 .xlsx 工作簿再提交（技术信息：KeyError）"),
        (MemoryError(), "乡镇.xlsx：工作簿过大，内存不足，无法读取（技术信息：MemoryError）"),
    ]
    for exc, text in cases:
        error = _translate(path, exc)
        assert isinstance(error, InputError)
        assert str(error) == text


def test_check_table_reads_typed_spending_under_short_names():
    from fangpin_xl.schema import CHECK_TABLE

    rows = [
        ["资格核查", None, None, None, None],
        ["户号", "户类型", "人均收入", "因病支出", "申请日期"],
        ["H1", "脱贫不稳定户", "5,000元", "６０００", "2020.5.3"],
        [None, None, None, None, None],
        ["H2", "边缘易致贫户", 3000, None, 43954],
    ]
    sheet, issues = sheet_from_values(rows, CHECK_TABLE)
    assert issues == []
    assert sheet.header_row == 2
    frame = sheet.frame
    assert frame.index.tolist() == [3, 5]
    assert frame["income_per_capita"].tolist() == [5000.0, 3000.0]
    assert frame["medical"].iloc[0] == 6000.0 and pd.isna(frame["medical"].iloc[1])
    assert frame["found_date"].tolist() == [T("2020-05-03"), T("2020-05-03")]
    assert frame["education"].isna().all()


# -- department exports (read_table) -------------------------------------------------------------

def test_read_table_takes_the_first_sheet_that_fits(tmp_path):
    from fangpin_xl.screening_schema import MEDICAL
    from fangpin_xl.workbook.read import read_table

    path = tmp_path / "医保.xlsx"
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    wb.add_worksheet("说明").write(0, 0, "本表由医保局导出")
    ws = wb.add_worksheet("明细")
    for r, row in enumerate([["住院结算明细"], ["参保人姓名", "公民身份号码", "出院日期", "个人自付金额(元)"],
                             ["张三", "130434197005010135", "2020.5.3", "5,000元"]]):
        ws.write_row(r, 0, row)
    wb.close()
    sd, issues = read_table(path, MEDICAL)
    assert (sd.name, sd.header_row, issues) == ("明细", 2, [])
    assert sd.columns == {"name": "A", "id_number": "B", "date": "C", "self_paid": "D"}
    assert sd.frame[["id_number", "self_paid"]].values.tolist() == [["130434197005010135", 5000.0]]
    assert sd.frame["date"].tolist() == [pd.Timestamp("2020-05-03")]


def test_prepared_rows_whose_dates_read_as_midnight_are_not_data():
    """A template saved as .xls by LibreOffice or WPS: the "" of a date formula comes back as
    00:00 or as the zero date; a real date typed over the formula keeps its row."""
    headers = [c.header for c in CASES.columns]
    deadline, days_left = headers.index("办结时限"), headers.index("剩余工作日")

    def prepared(value, left=0.0):
        row = [None] * len(headers)
        row[deadline], row[days_left] = value, left
        return row

    first = ["A1", "H001", "因病", "2020-04-29", "自下而上申请"] + [None] * (len(headers) - 5)
    first[headers.index("状态")] = "已发现"
    rows = [headers, first,
            prepared(dt.time(0, 0)), prepared(dt.datetime(1899, 12, 30)), prepared(dt.datetime(1899, 12, 31)),
            prepared(dt.date(1899, 12, 30)), prepared(""), prepared(dt.datetime(2020, 5, 22))]
    sheet, _issues = sheet_from_values(rows, CASES)
    assert sheet.frame.index.tolist() == [2, 8]
    assert sheet.shown["deadline"].tolist() == [None, dt.datetime(2020, 5, 22)]


def test_a_filled_template_saved_as_xls_reads_like_the_xlsx(township_as_xls):
    xlsx, xls = township_as_xls
    expected, got = read_workbook(xlsx), read_workbook(xls)
    assert got.format == "xls"
    assert {k: s.rows_read for k, s in got.sheets.items()} == {k: s.rows_read for k, s in expected.sheets.items()} == {
        "households": 30, "members": 99, "spending": 27, "cases": 7, "visits": 120, "aid": 10}
    for key, sheet in expected.sheets.items():
        assert got.sheets[key].frame.index.tolist() == sheet.frame.index.tolist()
