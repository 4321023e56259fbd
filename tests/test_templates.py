"""Township workbooks, read back with openpyxl (the writer is xlsxwriter)."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.worksheet.formula import ArrayFormula

from fangpin_xl.errors import InputError, PolicyError
from fangpin_xl.formulas import CALENDAR_NAMES, param_name
from fangpin_xl.policy import (
    Policy,
    parse_policy,
    policy_differences,
    policy_from_values,
    policy_rows,
)
from fangpin_xl.roster import RosterUse, UnusedRow, render_roster_use
from fangpin_xl.schema import (
    CHOICE,
    DATE,
    ID,
    INTEGER,
    MONEY,
    PHONE,
    SHEETS,
    SHEETS_BY_KEY,
    TEXT_TYPES,
    YESNO,
)
from fangpin_xl.templates import (
    BLANK_TEMPLATE_NAME,
    BLANK_TOWNSHIP,
    DEFAULT_ROWS,
    build_blank_template,
    build_templates,
    write_township_workbook,
)
from fangpin_xl.workbook.write import (
    MAX_DATA_ROWS,
    Formats,
    atomic_output,
    new_workbook,
    write_data_sheet,
)

REPO = Path(__file__).resolve().parent.parent
COMMITTED = REPO / "workbooks" / BLANK_TEMPLATE_NAME
POLICY = Policy()
SHEET_ORDER = ["说明", "参数", "监测户", "家庭成员", "支出", "救助", "帮扶", "援助", "日历"]


@pytest.fixture(scope="module")
def blank(tmp_path_factory) -> Path:
    return build_blank_template(tmp_path_factory.mktemp("blank") / "t.xlsx", POLICY)


@pytest.fixture(scope="module")
def book(blank) -> openpyxl.Workbook:
    return openpyxl.load_workbook(blank)


def letter(sheet, key: str) -> str:
    return openpyxl.utils.get_column_letter([c.key for c in sheet.columns].index(key) + 1)


def dimension(ws, col: str):
    """The <col> entry covering ``col`` (openpyxl keeps a run of equal columns under its first letter)."""
    index = openpyxl.utils.column_index_from_string(col)
    for dim in ws.column_dimensions.values():
        if dim.min is not None and dim.min <= index <= dim.max:
            return dim
    raise AssertionError(f"no column entry for {col}")


# -- layout ----------------------------------------------------------------------------

def test_sheet_order(book):
    assert book.sheetnames == SHEET_ORDER


@pytest.mark.parametrize("sheet", SHEETS, ids=[s.key for s in SHEETS])
def test_data_sheet_layout(book, sheet):
    ws = book[sheet.name]
    rows = DEFAULT_ROWS[sheet.key]
    last_col = openpyxl.utils.get_column_letter(len(sheet.columns))
    assert ws["A1"].value == f"{sheet.name}（{sheet.note}）—— 魏县 {BLANK_TOWNSHIP} 2020 年"
    assert f"A1:{last_col}1" in {str(r) for r in ws.merged_cells.ranges}
    assert [c.value for c in ws[2]] == [c.header for c in sheet.columns]
    # A table named after the sheet key over the header and every prepared row.
    assert list(ws.tables) == [sheet.key]
    assert ws.tables[sheet.key].ref == f"A2:{last_col}{rows + 2}"
    assert ws.freeze_panes == "A3"
    # Print setup: A4 landscape, the title and the headers on every page, one page wide, the
    # filled rows only (none in the blank template), page numbers and the lines to sign.
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.paperSize == 9
    assert ws.print_title_rows == "$1:$2"
    assert ws.print_area == f"'{sheet.name}'!$A$1:${last_col}$2"
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0
    assert ws.oddFooter.left.text.startswith("填报单位：")
    assert ws.oddFooter.right.text == "第 &P 页，共 &N 页"
    for column in sheet.columns:
        col = letter(sheet, column.key)
        assert dimension(ws, col).width == pytest.approx(column.width, abs=0.72)
        comment = ws[f"{col}2"].comment
        assert comment is not None, column.header
        if column.type in (ID, PHONE):
            assert dimension(ws, col).number_format == "@"
            assert "文本格式" in comment.text
        if column.type in TEXT_TYPES and column.computed is None:
            assert dimension(ws, col).number_format == "@"
        if column.computed is not None:
            assert comment.text.startswith("自动计算")


@pytest.mark.parametrize("sheet", SHEETS, ids=[s.key for s in SHEETS])
def test_drop_downs_for_every_choice_column(book, sheet):
    ws = book[sheet.name]
    rows = DEFAULT_ROWS[sheet.key]
    found = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation if dv.type == "list"}
    expected = [c for c in sheet.columns if c.type in (CHOICE, YESNO) and c.computed is None]
    assert len(found) == len(expected)
    for column in expected:
        col = letter(sheet, column.key)
        dv = found[f"{col}3:{col}{rows + 2}"]
        assert dv.type == "list"
        assert dv.formula1 == '"' + ",".join(column.choices) + '"'
        assert dv.errorStyle in (None, "stop")  # "stop" is the default, left out of the XML


@pytest.mark.parametrize("sheet", SHEETS, ids=[s.key for s in SHEETS])
def test_typed_input_cells_guard_themselves(book, sheet):
    """Dates and numbers are validated with a Chinese stop message; text in them is marked red."""
    ws = book[sheet.name]
    last = DEFAULT_ROWS[sheet.key] + 2
    found = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation if dv.type != "list"}
    marks = {str(cf.sqref): [rule.formula[0] for rule in cf.rules] for cf in ws.conditional_formatting}
    typed = [c for c in sheet.input_columns if c.type in (DATE, MONEY, INTEGER)]
    assert len(found) == len(typed)
    for column in typed:
        col = letter(sheet, column.key)
        dv = found[f"{col}3:{col}{last}"]
        assert dv.errorStyle in (None, "stop") and dv.showErrorMessage and dv.allow_blank
        if column.type == DATE:
            # 2000-01-01 and 2099-12-31 as Excel serial numbers.
            # "between" is the default operator, left out of the XML.
            assert (dv.type, dv.operator, dv.formula1, dv.formula2) == ("date", None, "36526", "73050")
            assert dv.error == (f"“{column.header}”请输入日期，如 2020-08-25（2000 年至 2099 年之间）；"
                                "不要输入“2020.8.25”“2020年8月25日”等文字。")
        elif column.type == MONEY:
            assert (dv.type, dv.operator, dv.formula1) == ("decimal", "greaterThanOrEqual", "0")
            assert dv.error == f"“{column.header}”请输入不小于 0 的数字（元），不要加“元”、逗号或其他文字。"
        else:
            assert (dv.type, dv.operator, dv.formula1) == ("whole", "greaterThanOrEqual", "0")
        assert marks[f"{col}3:{col}{last}"] == [f'AND(ISTEXT({col}3),TRIM({col}3)<>"")']
    for column in sheet.input_columns:
        if column.type in (ID, PHONE):
            col = letter(sheet, column.key)
            assert marks[f"{col}3:{col}{last}"] == [f"ISNUMBER({col}3)"]


def test_computed_columns_are_formulas_in_every_prepared_row(book):
    for key in ("households", "cases"):
        sheet = SHEETS_BY_KEY[key]
        ws = book[sheet.name]
        last = DEFAULT_ROWS[key] + 2
        for column in sheet.computed_columns:
            col = letter(sheet, column.key)
            texts = []
            for row in (3, last):
                value = ws[f"{col}{row}"].value
                if isinstance(value, ArrayFormula):
                    assert value.ref == f"{col}{row}"
                    value = value.text
                assert isinstance(value, str) and value.startswith("=IF("), (col, row, value)
                texts.append(value)
            # The same formula in every row, its own-row references moved along.
            assert re.sub(r"(\$[A-Z]{1,3})3(?![0-9])", rf"\g<1>{last}", texts[0]) == texts[1]
            assert ws[f"{col}{last + 1}"].value is None
    hh = book["监测户"]
    medical = hh["P3"].value
    dates, amounts = "'支出'!$E$3:$E$3002", "'支出'!$F$3:$F$3002"
    mine = "('支出'!$A$3:$A$3002=$A3)*('支出'!$D$3:$D$3002=\"因病\")"
    # Whole days: a 发生日期 with a time of day counts by its day.
    window = (f"ISNUMBER({dates})*({dates}>=EDATE(P_check_date,-P_followup_spending_window_months)+1)"
              f"*({dates}<INT(P_check_date)+1)")
    # The first row of this household and kind with a text date, an amount without a date,
    # or a text amount inside the window: 3 × row + which, 10⁷ when there is none.
    first = (f"SUMPRODUCT(MIN(1E7-{mine}*("
             f"ISTEXT({dates})*(TRIM({dates})<>\"\")*(1E7-3*ROW({dates}))"
             f"+(TRIM({dates})=\"\")*(TRIM({amounts})<>\"\")*(1E7-1-3*ROW({dates}))"
             f"+{window}*ISTEXT({amounts})*(TRIM({amounts})<>\"\")*(1E7-2-3*ROW({dates})))))")
    assert medical == (
        f"=IF($A3=\"\",\"\",IF({first}<1E7,CHOOSE(MOD({first},3)+1,"
        f"\"数据格式有误：支出!E\"&INT({first}/3)&\" 发生日期是文本\","
        f"\"资料不全：支出!E\"&INT({first}/3)&\" 发生日期为空\","
        f"\"数据格式有误：支出!F\"&INT({first}/3)&\" 金额是文本\"),"
        f"ROUND(SUMPRODUCT({mine}*{window},{amounts}),2)))"
    )
    interval = "P_followup_visit_interval_months"
    assert hh["W3"].value == (
        f'=IF($A3="","",IF(ISNUMBER($V3),EOMONTH($V3,2*{interval}-1-MOD(MONTH($V3)-1,{interval})),'
        f'IF(AND($V3="未回访",ISNUMBER($M3)),EOMONTH($M3,2*{interval}-1-MOD(MONTH($M3)-1,{interval})),"")))')
    # Only functions Excel 2010, WPS and LibreOffice all have.
    for row in (3,):
        texts = [hh.cell(row, c).value for c in range(16, 24)] + [book["救助"].cell(row, c).value
                                                                   for c in (14, 15)]
        text = " ".join(v.text if isinstance(v, ArrayFormula) else v for v in texts)
        for banned in ("MAXIFS", "TEXTJOIN", "IFS(", "LET(", "XLOOKUP", "_xlfn", "TODAY("):
            assert banned not in text


def test_instructions_sheet(book):
    ws = book["说明"]
    text = "\n".join(str(c.value) for c in ws["A"] if c.value)
    for sheet in SHEETS:
        assert f"{sheet.name}：{sheet.note}。" in text
    assert "15 个工作日内办结" in text
    assert "例如 2020 年 4 月 29 日发现的案件，办结时限为 2020 年 5 月 22 日。" in text
    assert "每季度" in text and "文本格式" in text
    assert "核查基准日：2020-12-31" in text


# -- 参数 and 日历 ---------------------------------------------------------------------------

def test_policy_sheet(book):
    ws = book["参数"]
    # The title over the printed columns; the key column (A) is not printed.
    assert ws["B1"].value == "精准防贫参数（县级统一设置，乡镇请勿修改）"
    assert [c.value for c in ws[2]] == ["键", "参数", "值"]
    assert ws.print_area == f"'参数'!$B$1:$C${ws.max_row}" and ws.print_title_rows == "$1:$2"
    expected = [*policy_rows(POLICY), ("check_date", "核查基准日", dt.datetime(2020, 12, 31))]
    found = [tuple(c.value for c in row) for row in ws.iter_rows(min_row=3)]
    assert found == [tuple(e) for e in expected]
    # Protected without a password; only the check date is unlocked.
    assert ws.protection.sheet is True
    assert not ws.protection.password
    last = 2 + len(expected)
    assert ws[f"C{last}"].protection.locked is False
    assert ws[f"C{last}"].number_format == "yyyy-mm-dd"
    assert all(ws[f"C{r}"].protection.locked for r in range(3, last))


def test_defined_names(book):
    names = book.defined_names
    rows = [*policy_rows(POLICY), ("check_date", "核查基准日", None)]
    for i, (key, _, _) in enumerate(rows):
        assert names[param_name(key)].attr_text == f"'参数'!$C${i + 3}"
    days = len(pd.date_range("2019-01-01", "2021-12-31"))
    for col, name in zip("ABC", CALENDAR_NAMES, strict=True):
        assert names[name].attr_text == f"'日历'!${col}$3:${col}${days + 2}"
    assert len(names) == len(rows) + len(CALENDAR_NAMES)


def test_param_names():
    assert param_name("income.threshold") == "P_income_threshold"
    assert param_name("spending.medical.脱贫不稳定户") == "P_spending_medical_g1"
    assert param_name("spending.education.边缘易致贫户") == "P_spending_education_g2"
    assert param_name("spending.accident.突发严重困难户") == "P_spending_accident_g3"
    assert param_name("check_date") == "P_check_date"
    assert param_name("procedure.deadline_days") == "P_procedure_deadline_days"


def test_calendar_sheet(book):
    ws = book["日历"]
    assert ws.sheet_state == "hidden"  # a helper of the formulas: not in the way, not printed
    assert [c.value for c in ws[2]] == ["日期", "工作日", "序号"]
    rows = {r[0].value.date(): (r[1].value, r[2].value) for r in ws.iter_rows(min_row=3)}
    assert min(rows) == dt.date(2019, 1, 1) and max(rows) == dt.date(2021, 12, 31)
    # 2020-05-01 holiday, 2020-05-09 make-up Saturday, index counts working days.
    assert rows[dt.date(2020, 5, 1)][0] == 0 and rows[dt.date(2020, 5, 9)][0] == 1
    assert rows[dt.date(2020, 5, 22)][1] - rows[dt.date(2020, 4, 29)][1] == 15
    assert ws.protection.sheet is True


def test_overdue_households_are_marked_red(book):
    # 最近回访日期 (V) and 下次回访到期 (W) of every prepared row, by the rule followup applies.
    rules = book["监测户"].conditional_formatting
    found = {str(cf.sqref): [r.formula for r in cf.rules] for cf in rules}
    assert found["V3:W2002"] == [[
        'AND($A3<>"",$N3<>"已消除",OR(AND(ISNUMBER($W3),$W3<INT(P_check_date)),AND($V3="未回访",$W3="")))']]


# -- the committed template ---------------------------------------------------------------

def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in sorted(z.namelist())}


def test_blank_template_is_reproducible(blank, tmp_path):
    again = build_blank_template(tmp_path / "again.xlsx", POLICY)
    assert again.read_bytes() == blank.read_bytes()


def test_committed_template_equals_a_fresh_build(blank):
    # Compared part by part: the XML is deterministic (fixed creation time);
    # the zip's compressed bytes could differ between zlib builds.
    assert COMMITTED.exists(), f"regenerate with build_blank_template({COMMITTED}, Policy())"
    committed, fresh = parts(COMMITTED), parts(blank)
    assert committed.keys() == fresh.keys()
    changed = [name for name in fresh if committed[name] != fresh[name]]
    assert not changed, (
        f"workbooks/{BLANK_TEMPLATE_NAME} is out of date in {changed}; regenerate it with "
        f"fangpin_xl.templates.build_blank_template(path, Policy())"
    )


# -- filled workbooks ------------------------------------------------------------------------

def test_frames_are_written_with_their_types(tmp_path):
    households = pd.DataFrame({
        "household_no": ["H1", "H2", 3],
        "township": "东代固乡",
        "head_id": ["13043419900101123X", "130434199001011234", None],
        "household_size": [3, "三口", None],
        "group": ["脱贫不稳定户", "一般户", None],
        "income_per_capita": [6000.0, "5,000元", float("nan")],
        "monitored_since": [pd.Timestamp("2020-03-01"), "2020.3.1", pd.NaT],
        "phone": ["13800000000", None, None],
    })
    path = write_township_workbook(tmp_path / "t.xlsx", policy=POLICY, township="东代固乡",
                                   frames={"households": households}, rows=5)
    ws = openpyxl.load_workbook(path)["监测户"]
    assert [ws[f"A{r}"].value for r in (3, 4, 5)] == ["H1", "H2", "3"]
    assert ws["A5"].data_type == "s"
    assert ws["E3"].value == "13043419900101123X" and ws["E3"].number_format == "@"
    assert ws["E4"].value == "130434199001011234" and ws["E4"].data_type == "s"
    assert ws["F3"].value == 3 and ws["F3"].data_type == "n"
    assert ws["F4"].value == "三口" and ws["F4"].data_type == "s"
    assert ws["H3"].value == 6000 and ws["H3"].number_format == "#,##0.00"
    assert ws["H4"].value == "5,000元" and ws["H4"].data_type == "s"
    assert ws["H5"].value is None
    assert ws["M3"].value == dt.datetime(2020, 3, 1) and ws["M3"].number_format == "yyyy-mm-dd"
    assert ws["M4"].value == "2020.3.1" and ws["M4"].data_type == "s"
    assert ws["I3"].value == "13800000000" and ws["I3"].data_type == "s"
    assert ws["G4"].value == "一般户"  # not in the drop-down, written as it is
    # Formulas in the prepared rows only; the table covers them.
    assert ws["P7"].value.startswith("=IF($A7") and ws["P8"].value is None
    assert ws.tables["households"].ref == "A2:W7"


def test_prepared_rows_grow_with_the_frame(tmp_path):
    households = pd.DataFrame({"household_no": [f"H{i}" for i in range(12)]})
    path = write_township_workbook(tmp_path / "t.xlsx", policy=POLICY, township="乡",
                                   frames={"households": households}, rows=10)
    book = openpyxl.load_workbook(path)
    ws = book["监测户"]
    assert ws.tables["households"].ref == "A2:W14"
    assert ws["P14"].value.startswith("=IF($A14") and ws["P15"].value is None
    assert "'支出'!$A$3:$A$12" in ws["P3"].value
    assert book["救助"].tables["cases"].ref == "A2:O12"


def test_check_date_and_policy_values(tmp_path):
    policy = Policy(year=2019, county="邱县")
    path = write_township_workbook(tmp_path / "t.xlsx", policy=policy, township="邱城镇",
                                   rows=3, check_date=dt.date(2019, 6, 30))
    book = openpyxl.load_workbook(path)
    ws = book["参数"]
    values = {row[0].value: row[2].value for row in ws.iter_rows(min_row=3)}
    assert values["check_date"] == dt.datetime(2019, 6, 30)
    assert values["county"] == "邱县" and values["income.threshold"] == 4827
    assert book["日历"]["A3"].value == dt.datetime(2018, 1, 1)


def test_the_policy_sheet_carries_every_parameter_back(tmp_path):
    from fangpin_xl.workbook.read import read_policy_values

    policy = parse_policy(
        'county = "魏县"\nyear = 2024\n[income]\nmultiplier = 1.6\nunconfirmed_years = []\n'
        '[income.monitoring."河北"]\n2023 = 6800\n2024 = 7000.5\n'
        '[spending.medical]\nthreshold = { "脱贫不稳定户" = 0 }\n'
        "[payout.medical]\nbands = [[0, 0.15], [20000, 0.35]]\ncap = 80000\n"
        '[payout.medical."边缘易致贫户"]\nbands = [[0, 0.4]]\ncap = "不设"\nlabel = "边缘户单设"\n'
        "[calendar]\nholidays = [2025-10-08]\ncomplete_years = [2025]\n"
        '[ids]\nnormal_areas = ["41", "3705"]\n[followup]\nproblem_open_days = 45\n'
    )
    path = write_township_workbook(tmp_path / "t.xlsx", policy=policy, township="东代固乡", rows=3)
    values = read_policy_values(path)
    assert policy_differences(policy, values) == []
    assert policy_from_values(values, source="t.xlsx") == policy


def test_no_workbook_without_the_year_income_threshold(tmp_path):
    with pytest.raises(PolicyError, match="没有 河北 2025 年的防返贫监测标准"):
        write_township_workbook(tmp_path / "t.xlsx", policy=Policy(year=2025), township="东代固乡")
    with pytest.raises(PolicyError, match="没有 河北 2025 年的防返贫监测标准"):
        build_templates(tmp_path / "out", policy=Policy(year=2025), townships=["东代固乡"])
    assert list(tmp_path.iterdir()) == []


def test_build_templates_from_a_roster(tmp_path):
    roster = {
        "households": pd.DataFrame({
            "household_no": ["A1", "B1", "A2"],
            "township": ["东代固乡", "院堡镇", " 东代固乡 "],
            "head_name": ["张一", "李二", "王三"],
        }),
        "members": pd.DataFrame({"household_no": ["A1", "a2", "B1", "Z9"], "name": ["张一", "王三", "李二", "某"]}),
    }
    paths = build_templates(tmp_path / "out", policy=POLICY, county="魏县", roster=roster, rows=5).paths
    assert [p.name for p in paths] == ["魏县东代固乡2020年防贫工作簿.xlsx", "魏县院堡镇2020年防贫工作簿.xlsx"]
    first = openpyxl.load_workbook(paths[0])
    assert [first["监测户"][f"A{r}"].value for r in (3, 4, 5)] == ["A1", "A2", None]
    assert [first["家庭成员"][f"B{r}"].value for r in (3, 4, 5)] == ["张一", "王三", None]
    assert first["监测户"]["A1"].value.endswith("魏县 东代固乡 2020 年")
    second = openpyxl.load_workbook(paths[1])
    assert second["家庭成员"]["B3"].value == "李二" and second["家庭成员"]["B4"].value is None


def test_every_roster_row_is_written_or_listed_with_why(tmp_path):
    roster = {
        "households": pd.DataFrame({
            "household_no": ["A1", "B1", "A2", "C1", None],
            "township": ["东代固乡", "院堡镇", " 东代固乡 ", None, "院堡镇"],
            "head_name": ["张一", "李二", "王三", "赵四", "钱五"],
        }, index=[3, 4, 5, 6, 7]),  # as read from a workbook: the index is the row number
        "members": pd.DataFrame({"household_no": ["A1", "a2", "B1", "Z9", None, "C1"],
                                 "name": ["张一", "王三", "李二", "某", "某某", "赵四"]}, index=[3, 4, 5, 6, 7, 8]),
        "visits": pd.DataFrame({"helper": ["王"]}),
    }
    result = build_templates(tmp_path / "out", policy=POLICY, roster=roster, rows=5, townships=["东代固乡"])
    assert [p.name for p in result.paths] == ["魏县东代固乡2020年防贫工作簿.xlsx"]
    book = openpyxl.load_workbook(result.paths[0])
    assert [book["监测户"][f"A{r}"].value for r in (3, 4, 5)] == ["A1", "A2", None]
    assert [book["家庭成员"][f"B{r}"].value for r in (3, 4, 5)] == ["张一", "王三", None]
    not_asked = "乡镇“院堡镇”不在本次指定的乡镇（--township）中，未写入任何乡镇工作簿"
    assert result.roster == RosterUse(
        sheets=(("监测户", 5, 2), ("家庭成员", 6, 2), ("帮扶", 1, 0)),
        unused=(
            UnusedRow("监测户", 4, not_asked, problem=False, township="院堡镇"),
            UnusedRow("监测户", 6, "乡镇为空，未写入任何乡镇工作簿"),
            UnusedRow("监测户", 7, not_asked, problem=False, township="院堡镇"),
            UnusedRow("家庭成员", 5, f"所在户（户编号“B1”，“监测户”第 4 行）{not_asked}", problem=False,
                      township="院堡镇"),
            UnusedRow("家庭成员", 6, "户编号“Z9”不在名单的监测户中，未写入任何乡镇工作簿"),
            UnusedRow("家庭成员", 7, "户编号为空，无法对应到监测户，未写入任何乡镇工作簿"),
            UnusedRow("家庭成员", 8, "所在户（户编号“C1”，“监测户”第 6 行）乡镇为空，未写入任何乡镇工作簿"),
            UnusedRow("帮扶", 0, "没有“户编号”列，无法对应到监测户，未写入任何乡镇工作簿"),
        ))
    assert result.exit_code == 1
    assert render_roster_use(result.roster) == [
        "名单 12 行 = 写入 4 行 + 未写入 8 行（“监测户” 5 = 2 + 3，“家庭成员” 6 = 2 + 4，“帮扶” 1 = 0 + 1）",
        "未写入的行：",
        "  “监测户”第 6 行：乡镇为空，未写入任何乡镇工作簿",
        "  “家庭成员”第 6 行：户编号“Z9”不在名单的监测户中，未写入任何乡镇工作簿",
        "  “家庭成员”第 7 行：户编号为空，无法对应到监测户，未写入任何乡镇工作簿",
        "  “家庭成员”第 8 行：所在户（户编号“C1”，“监测户”第 6 行）乡镇为空，未写入任何乡镇工作簿",
        "  “帮扶”第 0 行：没有“户编号”列，无法对应到监测户，未写入任何乡镇工作簿",
        "  “监测户”乡镇“院堡镇”的 2 行（第 4、7 行）：不在本次指定的乡镇（--township）中，未写入任何乡镇工作簿",
        "  “家庭成员”乡镇“院堡镇”的 1 行（第 5 行）：不在本次指定的乡镇（--township）中，未写入任何乡镇工作簿",
    ]
    # Only townships not asked for: nothing wrong with the data.
    clean = {"households": roster["households"].iloc[:3], "members": roster["members"].iloc[:3]}
    again = build_templates(tmp_path / "again", policy=POLICY, roster=clean, rows=5, townships=["东代固乡"])
    assert again.exit_code == 0 and again.roster is not None and not again.roster.problems
    assert render_roster_use(again.roster)[0] == "名单 6 行 = 写入 4 行 + 未写入 2 行（“监测户” 3 = 2 + 1，“家庭成员” 3 = 2 + 1）"


def test_a_roster_list_repeating_a_household_or_missing_its_number(tmp_path):
    # One row per household: a repeated 户编号 is written once, the repeat listed.
    path = tmp_path / "名单.xlsx"
    wb = new_workbook(path)
    ws = wb.add_worksheet("监测户名单")
    ws.write_row(0, 0, ["户编号", "乡镇", "户主姓名"])
    for r, row in enumerate([["A1", "甲乡", "一"], ["A2", "甲乡", "二"], ["A1", "甲乡", "三"],
                             [None, "甲乡", "四"], ["B1", None, "五"], ["A2", "乙乡", "六"]], start=1):
        ws.write_row(r, 0, row)
    wb.close()
    result = build_templates(tmp_path / "out", policy=POLICY, roster=path, rows=5)
    assert [p.name for p in result.paths] == ["魏县甲乡2020年防贫工作簿.xlsx"]
    assert [openpyxl.load_workbook(result.paths[0])["监测户"][f"D{r}"].value for r in range(3, 7)] == [
        "一", "二", "四", None]
    assert render_roster_use(result.roster) == [
        "名单 6 行 = 写入 3 行 + 未写入 3 行",
        "未写入的行：",
        "  第 4 行：户编号“A1”与第 2 行重复（同一户只写入一次），未写入任何乡镇工作簿",
        "  第 6 行：乡镇为空，未写入任何乡镇工作簿",
        "  第 7 行：户编号“A2”与第 3 行重复（同一户只写入一次），未写入任何乡镇工作簿",
    ]
    assert result.exit_code == 1
    # One row per person: a person without 户编号 belongs to no household.
    people = tmp_path / "花名册.xlsx"
    wb = new_workbook(people)
    ws = wb.add_worksheet("Sheet1")
    ws.write_row(0, 0, ["乡（镇）", "户编码", "姓名", "证件号码", "与户主关系"])
    for r, row in enumerate([["甲乡", "1", "张一", "13043419900101001X", "户主"],
                             [None, "2", "李一", "130434198001010031", "户主"],
                             ["乙乡", "2", "李二", "130434198001010031", "子女"],
                             ["甲乡", None, "王五", "130434198001010031", "户主"]], start=1):
        ws.write_row(r, 0, row)
    wb.close()
    result = build_templates(tmp_path / "人", policy=POLICY, roster=people, rows=5)
    assert [p.name for p in result.paths] == ["魏县甲乡2020年防贫工作簿.xlsx"]
    assert render_roster_use(result.roster) == [
        "名单 4 行 = 写入 1 行 + 未写入 3 行",
        "未写入的行：",
        "  第 3 行：乡镇为空，未写入任何乡镇工作簿",
        "  第 4 行：所在户（户编号“2”，第 3 行）乡镇为空，未写入任何乡镇工作簿",
        "  第 5 行：户编号为空，无法对应到监测户，未写入任何乡镇工作簿",
    ]
    book = openpyxl.load_workbook(result.paths[0])
    assert [book["监测户"][f"A{r}"].value for r in (3, 4)] == ["1", None]
    assert [book["家庭成员"][f"B{r}"].value for r in (3, 4)] == ["张一", None]


def test_a_workbook_roster_repeating_a_household_writes_it_once(tmp_path):
    # A 监测户 sheet (a township or county workbook given as the roster) is one row per
    # household too: the repeat is listed, not written a second time.
    source = tmp_path / "县级.xlsx"
    households = pd.DataFrame({"household_no": ["A1", "A2", "a1"], "township": ["甲乡"] * 3,
                               "head_name": ["一", "二", "三"]})
    write_township_workbook(source, policy=POLICY, township="甲乡", frames={"households": households}, rows=5)
    result = build_templates(tmp_path / "out", policy=POLICY, roster=source, rows=5)
    book = openpyxl.load_workbook(result.paths[0])
    assert [book["监测户"][f"D{r}"].value for r in (3, 4, 5)] == ["一", "二", None]
    assert render_roster_use(result.roster) == [
        "名单 3 行 = 写入 2 行 + 未写入 1 行",
        "未写入的行：",
        "  第 5 行：户编号“A1”与第 3 行重复（同一户只写入一次），未写入任何乡镇工作簿",
    ]
    assert result.exit_code == 1


def test_the_roster_itself_is_never_overwritten_even_with_force(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    roster = out / "魏县甲乡2020年防贫工作簿.xlsx"
    write_township_workbook(roster, policy=POLICY, township="甲乡", rows=5,
                            frames={"households": pd.DataFrame({"household_no": ["A1"], "township": ["甲乡"]})})
    before = roster.read_bytes()
    with pytest.raises(InputError) as error:
        build_templates(out, policy=POLICY, roster=roster, rows=5, overwrite=True)
    assert str(error.value).startswith(f"要生成的工作簿 {out / roster.name} 就是名单文件 {roster}：输入文件不会被覆盖")
    assert roster.read_bytes() == before


def test_townships_whose_workbooks_share_a_name_are_refused(tmp_path):
    with pytest.raises(InputError) as error:
        build_templates(tmp_path / "out", policy=POLICY, townships=["甲/乡", "甲_乡"], rows=2)
    assert str(error.value) == ("乡镇“甲/乡”和“甲_乡”的工作簿文件名相同（魏县甲_乡2020年防贫工作簿.xlsx），"
                                "后一个会替换前一个：请改正名单或 --township 中的乡镇名称，未生成任何工作簿。")
    assert not (tmp_path / "out").exists()


def test_build_templates_blank_and_errors(tmp_path):
    paths = build_templates(tmp_path, policy=POLICY, townships=["双井镇", "双井镇", "牙里镇"], rows=2).paths
    assert [p.name for p in paths] == ["魏县双井镇2020年防贫工作簿.xlsx", "魏县牙里镇2020年防贫工作簿.xlsx"]
    with pytest.raises(InputError) as error:
        build_templates(tmp_path, policy=POLICY)
    assert str(error.value) == "请至少指定一个乡镇，或提供含“乡镇”列的县级花名册。"
    with pytest.raises(InputError) as error:
        build_templates(tmp_path, policy=POLICY, roster=pd.DataFrame({"household_no": ["A"]}))
    assert str(error.value) == "县级花名册缺少“乡镇”列，无法按乡镇生成工作簿。"


# -- the writer --------------------------------------------------------------------------------

def test_row_limit_is_checked(tmp_path):
    wb = new_workbook(tmp_path / "big.xlsx")
    with pytest.raises(InputError) as error:
        write_data_sheet(wb, SHEETS_BY_KEY["spending"], None, title="t", formats=Formats(wb),
                         prepared_rows=MAX_DATA_ROWS + 1)
    assert str(error.value) == (
        "工作表“支出”要写入 1,048,575 行数据，超过 Excel 每个工作表最多 1,048,574 行数据的上限；请分成多个工作表。"
    )
    wb.close()


def test_constant_memory_still_makes_a_table(tmp_path):
    path = tmp_path / "stream.xlsx"
    frame = pd.DataFrame({"household_no": ["H1", "H2"], "kind": ["因病", "因学"],
                          "amount": [1.5, "x"], "date": [pd.Timestamp("2020-01-02"), None]})
    wb = new_workbook(path, constant_memory=True)
    assert write_data_sheet(wb, SHEETS_BY_KEY["spending"], frame, title="支出", formats=Formats(wb)) == 2
    wb.close()
    ws = openpyxl.load_workbook(path)["支出"]
    assert ws["A2"].value == "户编号" and ws.tables["spending"].ref == "A2:H4"
    assert [ws["F3"].value, ws["F4"].value] == [1.5, "x"]
    assert ws["E3"].value == dt.datetime(2020, 1, 2)


def test_atomic_output_leaves_nothing_behind_on_error(tmp_path):
    target = tmp_path / "t.xlsx"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_output(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("boom")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.xlsx"]
    with atomic_output(target) as tmp:
        tmp.write_bytes(b"new")
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.xlsx"]


def test_build_templates_from_a_person_list_file(tmp_path):
    # A national-system style export: title row, synonym headers, one row per person.
    path = tmp_path / "花名册.xlsx"
    wb = new_workbook(path)
    ws = wb.add_worksheet("Sheet1")
    ws.write_row(0, 0, ["魏县防返贫监测对象花名册"])
    ws.write_row(1, 0, ["乡（镇）", "行政村", "户编码", "姓名", "证件号码", "与户主关系", "监测对象类别"])
    people = [
        ("东代固乡", "东村", "1304340001", "张一", "13043419900101001X", "户主", "脱贫不稳定户"),
        ("东代固乡", "东村", "1304340001", "张二", "130434199201010021", "子女", "脱贫不稳定户"),
        ("院堡镇", "西村", "1304340002", "李三", "130434198001010031", "户主", "边缘易致贫户"),
    ]
    for r, person in enumerate(people, start=2):
        ws.write_row(r, 0, person)
    wb.close()
    paths = build_templates(tmp_path / "out", policy=POLICY, roster=path, rows=4).paths
    assert [p.name for p in paths] == ["魏县东代固乡2020年防贫工作簿.xlsx", "魏县院堡镇2020年防贫工作簿.xlsx"]
    book = openpyxl.load_workbook(paths[0])
    hh, members = book["监测户"], book["家庭成员"]
    assert [c.value for c in hh[3]][:7] == ["1304340001", "东代固乡", "东村", "张一", "13043419900101001X", 2,
                                            "脱贫不稳定户"]
    assert hh["A4"].value is None
    assert [[c.value for c in row][:4] for row in members.iter_rows(min_row=3, max_row=4)] == [
        ["1304340001", "张一", "13043419900101001X", "户主"],
        ["1304340001", "张二", "130434199201010021", "子女"],
    ]


def test_build_templates_from_a_county_workbook(tmp_path):
    # A workbook in the template layout (e.g. a county list kept in our format) splits by 乡镇.
    county = write_township_workbook(
        tmp_path / "县.xlsx", policy=POLICY, township="全县", rows=3,
        frames={
            "households": pd.DataFrame({"household_no": ["A", "B"], "township": ["甲乡", "乙镇"],
                                        "income_per_capita": [100.0, 200.0]}),
            "visits": pd.DataFrame({"household_no": ["B"], "helper": ["王"],
                                    "visit_date": [pd.Timestamp("2020-05-01")]}),
        },
    )
    paths = build_templates(tmp_path / "out", policy=POLICY, roster=county, rows=3).paths
    assert [p.name for p in paths] == ["魏县甲乡2020年防贫工作簿.xlsx", "魏县乙镇2020年防贫工作簿.xlsx"]
    second = openpyxl.load_workbook(paths[1])
    assert second["监测户"]["A3"].value == "B" and second["监测户"]["H3"].value == 200
    assert second["帮扶"]["A3"].value == "B" and second["帮扶"]["C3"].value == dt.datetime(2020, 5, 1)
    assert openpyxl.load_workbook(paths[0])["帮扶"]["A3"].value is None
    # Computed columns are formulas again, not the old workbook's values.
    assert second["监测户"]["P3"].value.startswith("=IF(")


def test_roster_file_without_township_column(tmp_path):
    path = tmp_path / "名单.xlsx"
    wb = new_workbook(path)
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["户编号", "户主姓名"])
    ws.write_row(1, 0, ["A1", "张一"])
    wb.close()
    with pytest.raises(InputError) as error:
        build_templates(tmp_path / "out", policy=POLICY, roster=path)
    assert str(error.value) == "县级花名册 名单.xlsx 中找不到“乡镇”列，无法按乡镇生成工作簿。"


def test_protect_header_and_cached_formula_values(tmp_path):
    path = tmp_path / "p.xlsx"
    wb = new_workbook(path)
    frame = pd.DataFrame({"household_no": ["H1"], "status": ["符合"]})
    write_data_sheet(wb, SHEETS_BY_KEY["households"], frame, title="t", formats=Formats(wb),
                     formula_columns={"status": lambda r: f'=IF($A{r}="","","?")'},
                     prepared_rows=2, protect_header=True)
    wb.close()
    ws = openpyxl.load_workbook(path)["监测户"]
    assert ws.protection.sheet is True
    assert ws["A3"].protection.locked is False  # input cell
    assert ws["A2"].protection.locked is True  # header
    assert ws["T3"].protection.locked is True and ws["T3"].value == '=IF($A3="","","?")'
    cached = openpyxl.load_workbook(path, data_only=True)["监测户"]
    # The frame's value is the formula's cached result until a program recalculates.
    assert cached["T3"].value == "符合"
    assert cached["T4"].value in (None, "")


def test_reader_round_trip(tmp_path):
    from fangpin_xl.derive import derive_households
    from fangpin_xl.workbook.read import read_workbook

    frames = {
        "households": pd.DataFrame({
            "household_no": ["H1", "H2"], "township": "东代固乡", "village": "东村", "head_name": ["甲", "乙"],
            "head_id": ["13043419900101123X", "130434199001011234"], "household_size": [3, 2],
            "group": ["脱贫不稳定户", "边缘易致贫户"], "income_per_capita": [6000.0, 5999.99],
        }),
        "spending": pd.DataFrame({"household_no": ["H1", "H2"], "kind": ["因病", "因病"],
                                  "date": [pd.Timestamp("2020-03-01")] * 2, "amount": [5000.0, 19999.99]}),
    }
    path = write_township_workbook(tmp_path / "t.xlsx", policy=POLICY, township="东代固乡", frames=frames,
                                   rows=4, check_date=dt.date(2020, 11, 30))
    data = read_workbook(path)
    assert data.policy_values["check_date"] == dt.date(2020, 11, 30)
    assert {k: data.policy_values[k] for k, _, _ in policy_rows(POLICY)} == {
        k: v for k, _, v in policy_rows(POLICY)}
    households = data.sheets["households"].frame
    assert list(households.index) == [3, 4]
    assert households["head_id"].tolist() == ["13043419900101123X", "130434199001011234"]
    derived = derive_households(households, data.sheets["spending"].frame, data.sheets["visits"].frame,
                                policy=POLICY, check_date=dt.date(2020, 11, 30))
    assert derived["status"].tolist() == ["符合", "不符合"]
    assert derived["medical"].tolist() == [5000.0, 19999.99]


def test_fast_formula_preparation_matches_xlsxwriter():
    from xlsxwriter.worksheet import Worksheet

    from fangpin_xl.formulas import case_formulas, household_formulas
    from fangpin_xl.workbook.write import _Worksheet

    fast, plain = _Worksheet(), Worksheet()
    formulas = [f(3) for f in household_formulas(DEFAULT_ROWS).values()]
    formulas += [f(3) for f in case_formulas(DEFAULT_ROWS).values()]
    formulas += ["=XLOOKUP(1,A1:A3,B1:B3)", "{=SORT(A1:A3)}", "=_xlfn.STDEV.S(A1:A3)", "=SUM(A1:A3)"]
    for formula in formulas:
        assert fast._prepare_formula(formula) == plain._prepare_formula(formula)


def test_township_data_sheets_protect_header_and_formulas_but_not_input(tmp_path):
    from fangpin_xl.policy import load_policy
    from fangpin_xl.templates import write_township_workbook

    frames = {"households": pd.DataFrame({"household_no": ["D-1-001"]})}
    path = write_township_workbook(tmp_path / "t.xlsx", policy=load_policy(), township="东代固乡",
                                   frames=frames, rows=5)
    wb = openpyxl.load_workbook(path)
    ws = wb["监测户"]
    # openpyxl reads sheetProtection flags as "this action is locked".
    assert ws.protection.sheet is True and ws.protection.insertRows is False
    assert ws["A2"].protection.locked is True          # header
    assert ws["A3"].protection.locked is False         # 户编号, an input cell
    status = [c.value for c in ws[2]].index("资格判定") + 1
    assert ws.cell(3, status).protection.locked is True  # a computed formula
