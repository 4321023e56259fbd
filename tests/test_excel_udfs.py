"""The Excel custom functions, called through xlwings' own Office.js call path.

Every call goes through ``xlwings.server.custom_functions_call`` with the JSON body the
xlwings-server client (``custom-functions-code.js``) posts: each argument a matrix
(``[[value]]`` for one cell, rows for a range), ``null`` for empty cells, whole numbers as
JSON integers, dates as serial numbers, error cells as Excel's error objects. The values
asserted are exactly what goes back to Excel (a date: a number with a date format).
tests/conftest.py sets XLWINGS_ON_SERVER and XLWINGS_LICENSE_KEY before xlwings loads.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xlwings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook
from xlwings.server import custom_functions_call, custom_functions_meta

from fangpin_xl.demo import write_sample_county
from fangpin_xl.derive import derive_cases, derive_households
from fangpin_xl.excel import udfs
from fangpin_xl.excel.udfs import INTERNAL_ERROR
from fangpin_xl.policy import Policy, policy_rows
from fangpin_xl.rules import check_households
from fangpin_xl.workbook.read import read_workbook

POLICY = Policy()
NA = {"type": "Error", "basicValue": "#N/A", "errorType": "NotAvailable"}
DIV0 = {"type": "Error", "basicValue": "#DIV/0!", "errorType": "Div0"}
EXCEL_EPOCH = dt.date(1899, 12, 30)
POOR, EDGE, SUDDEN = "脱贫不稳定户", "边缘易致贫户", "突发严重困难户"


def body(func_name: str, args: list, *, runtime: str = "1.4", date_format: str = "yyyy/M/d") -> dict:
    """The JSON body the xlwings-server client posts for one custom function call."""
    return {
        "client": "Office.js",
        "func_name": func_name,
        "args": args,
        "caller_address": "[魏城镇.xlsx]监测户!X3",
        "session_id": "0b7c5f0e-test",
        "culture_info_name": "zh-CN",
        "date_format": date_format,
        "version": xlwings.__version__,
        "runtime": runtime,
    }


def call(func_name: str, *args, **options):
    """Call one function as Excel does and return what goes back to Excel."""
    payload = json.loads(json.dumps(body(func_name, list(args), **options)))  # what crosses HTTP
    result = asyncio.run(custom_functions_call(payload, udfs))
    json.dumps(result, allow_nan=False)  # the response must be valid JSON
    return result


def cell(value):
    return [[value]]


def column(*values):
    return [[value] for value in values]


def serial(day: dt.date) -> int:
    return (day - EXCEL_EPOCH).days


def date_cell(day: dt.date, number_format: str = "yyyy-mm-dd") -> dict:
    """A date as Office.js gets it back (CustomFunctionsRuntime 1.4 and later)."""
    return {"type": "FormattedNumber", "basicValue": float(serial(day)), "numberFormat": number_format}


def household(group, income, medical=None, education=None, accident=None, industry=None):
    return [cell(group), cell(income), cell(medical), cell(education), cell(accident), cell(industry)]


def params_table(policy: Policy = POLICY, **changes) -> list[list]:
    """A 参数 table as Excel sends the range: a title, the 键/参数/值 header, one row per key."""
    rows = [["精准防贫参数（县级统一设置，乡镇请勿修改）", None, None], ["键", "参数", "值"]]
    for key, label, value in policy_rows(policy):
        value = changes.get(key, value)
        rows.append([key, label, int(value) if isinstance(value, float) and value.is_integer() else value])
    return rows


# -- what Excel's function wizard shows -----------------------------------------------------

FUNCTIONS = {
    "FP_CHECK_TABLE": "整表资格核查：选中带表头的整张表，每行返回资格判定、满足条件、判定说明、救助金额估算（元）和办结时限，第一行为表头",
    "FP_DEADLINE": "办结时限：开始日期之后第 N 个工作日（起始日不算，按国务院节假日和调休安排）；天数默认按参数 15 个工作日",
    "FP_ELIGIBLE": "是否符合防贫救助条件（收入条件和任一支出条件）：符合为 TRUE，不符合为 FALSE，资料不全时说明缺什么",
    "FP_FUND_BALANCE": "资金池结余（元）：上年结转 + 保费 + 财政补足 − 救助支出 − 服务费（救助支出 × 服务费率）；负数为缺口",
    "FP_ID_CHECK": "身份证号检查结果：有效（含外地号码、15 位旧号码的提醒），或错在哪里",
    "FP_ID_MASK": "遮盖身份证号用于公示：保留前 6 位和后 4 位（130434********123X）；无效号码只保留前 3 位",
    "FP_ID_VALID": "身份证号是否有效（长度、出生日期、校验码等，GB 11643）：TRUE 或 FALSE",
    "FP_INCOME_LINE": "某年度的收入标准（元/人/年，含本数）：人均收入不高于此数即满足收入条件",
    "FP_INSURED": "参保人数（人）：农村人口 × 投保比例（参数，默认 10%），四舍五入到整人",
    "FP_PAYOUT": "按救助金额表计算某类支出的救助金额（元）：超过支出标准的部分分档计算，含分类封顶和单案上限",
    "FP_PREMIUM": "当年保费（元）：参保人数（农村人口 × 投保比例，四舍五入到整人）× 每人保费（默认 50 元）",
    "FP_REASONS": "判定说明：满足了哪些条件，或不符合、资料不全的原因",
    "FP_SERVICE_FEE": "保险公司服务费（元）：当年救助总额 × 服务费率（参数），四舍五入到分",
    "FP_STATUS": "资格判定：符合、不符合或资料不全（与工作簿“监测户”表的资格判定列相同）",
    "FP_VISITED_IN_QUARTER": "该日期所在的季度内是否有过回访：TRUE 或 FALSE（回访日期为该户的全部回访记录）",
    "FP_VISIT_DUE": "下次回访的最晚日期：每个季度至少回访一次，1 月 5 日回访后，下次应不晚于 6 月 30 日",
    "FP_WORKDAYS": "两个日期之间的工作日数（不含开始日、含结束日；结束早于开始时为负数）",
}
YEAR = "年度，如 2020（可省略：按参数表的年度，没有参数表时为 2020）"
PARAMS = "参数表（可省略）：选中工作簿“参数”表含“键、参数、值”表头的整张表；省略时用内置默认参数"
HOUSEHOLD_PARAMETERS = [
    ("group", "户类型：脱贫不稳定户、边缘易致贫户或突发严重困难户（可选一个单元格或整列）", False),
    ("income_pc", "家庭年人均可支配收入（元），如 3500 或“3,500元”", False),
    ("medical", "近 12 个月因病支出：住院自付费用（元），空白按 0 计", False),
    ("education", "近 12 个月因学支出：学费、住宿费、教材费（元），空白按 0 计", False),
    ("accident", "近 12 个月因意外支出：扣除商业保险和社会救助后的损失（元），空白按 0 计", False),
    ("industry", "近 12 个月因产业支出：自然灾害、经营失败等损失（元），空白按 0 计", False),
    ("year", YEAR, True),
    ("params", PARAMS, True),
]
PARAMETERS = {
    "FP_ELIGIBLE": HOUSEHOLD_PARAMETERS,
    "FP_STATUS": HOUSEHOLD_PARAMETERS,
    "FP_REASONS": HOUSEHOLD_PARAMETERS,
    "FP_INCOME_LINE": [("year", YEAR, True), ("params", PARAMS, True)],
    "FP_PAYOUT": [
        ("kind", "救助类型：因病、因学、因意外或因产业（可选一个单元格或整列）", False),
        ("amount", "该类支出金额（元）", False),
        ("group", "户类型（可省略，空白按脱贫不稳定户计）", True),
        ("year", YEAR, True), ("params", PARAMS, True),
    ],
    "FP_ID_VALID": [("id_number", "身份证号（可选一个单元格或整列）", False)],
    "FP_ID_CHECK": [("id_number", "身份证号（可选一个单元格或整列）", False)],
    "FP_ID_MASK": [("id_number", "身份证号（可选一个单元格或整列）", False)],
    "FP_DEADLINE": [
        ("start", "开始日期，如发现日期（可选一个单元格或整列）", False),
        ("days", "天数（可省略，按参数中的救助程序时限，默认 15 个工作日）", True),
        ("params", PARAMS, True),
    ],
    "FP_WORKDAYS": [("start", "开始日期，如发现日期（可选一个单元格或整列）", False),
                    ("end", "结束日期", False), ("params", PARAMS, True)],
    "FP_VISIT_DUE": [("last_visit", "最近一次回访日期（可选一个单元格或整列）", False)],
    "FP_VISITED_IN_QUARTER": [("visit_dates", "该户全部回访日期所在的区域", False),
                              ("date", "要判断的日期（可选一个单元格或整列）", False)],
    "FP_INSURED": [("rural_population", "农村人口（人），可选一个单元格或整列", False),
                   ("year", YEAR, True), ("params", PARAMS, True)],
    "FP_PREMIUM": [("rural_population", "农村人口（人），可选一个单元格或整列", False),
                   ("year", YEAR, True), ("params", PARAMS, True)],
    "FP_SERVICE_FEE": [("total_relief", "当年救助总额（元）", False), ("year", YEAR, True),
                       ("params", PARAMS, True)],
    "FP_FUND_BALANCE": [("opening", "上年结转（元）", False), ("premium", "当年保费（元）", False),
                        ("top_up", "县财政补足（元），空白按 0 计", False),
                        ("payouts", "当年救助支出总额（元）", False),
                        ("year", YEAR, True), ("params", PARAMS, True)],
    "FP_CHECK_TABLE": [
        ("table", "带表头的整张表：户类型、人均可支配收入、近12月因病/因学/因意外/因产业支出，可含户编号、发现日期", False),
        ("params", PARAMS, True),
    ],
}


def test_metadata_lists_every_function_with_its_chinese_descriptions():
    meta = custom_functions_meta(udfs)
    assert meta["allowErrorForDataTypeAny"] is True
    functions = {f["name"]: f for f in meta["functions"]}
    assert set(functions) == set(FUNCTIONS) == set(PARAMETERS)
    for name, function in functions.items():
        assert function["id"] == name
        assert function["description"] == FUNCTIONS[name]
        assert function["result"] == {"dimensionality": "matrix", "type": "any"}
        params = [(p["name"], p["description"], p.get("optional", False)) for p in function["parameters"]]
        assert params == PARAMETERS[name], name
        assert all(p["dimensionality"] == "matrix" and p["type"] == "any" for p in function["parameters"])


def test_every_function_is_registered_for_classic_excel_too():
    # What "Import Functions" turns into VBA and Application.MacroOptions on Windows.
    for name in FUNCTIONS:
        info = getattr(udfs, name).__xlfunc__
        assert info["name"] == name
        assert info["ret"]["doc"] == FUNCTIONS[name] and len(FUNCTIONS[name]) <= 255
        assert all(arg["options"]["convert"] == "raw" for arg in info["args"])
        assert [arg["doc"] for arg in info["args"]] == [doc for _, doc, _ in PARAMETERS[name]]


# -- eligibility -------------------------------------------------------------------------------

def test_one_household_per_cell():
    args = household(POOR, 3000, 6000)
    assert call("FP_STATUS", *args) == [["符合"]]
    assert call("FP_ELIGIBLE", *args) == [[True]]
    assert call("FP_REASONS", *args) == [["人均收入 3000 元，未超过收入标准 6000 元；因病支出 6000 元，达到 5000 元"]]


@pytest.mark.parametrize(
    ("args", "status", "reasons"),
    [
        # 以下 / 达到 include the number itself; 超过 excludes it
        (household(POOR, 6000, 5000), "符合", "人均收入 6000 元，未超过收入标准 6000 元；因病支出 5000 元，达到 5000 元"),
        (household(POOR, 6000.01, 5000), "不符合", "人均收入 6000.01 元，超过收入标准 6000 元 0.01 元"),
        (household(EDGE, 3000, 19999.99), "不符合", "因病支出 19999.99 元，未达到 20000 元（差 0.01 元）"),
        (household(POOR, 3000, None, 8000), "不符合", "因学支出 8000 元，未超过 8000 元"),
        (household(POOR, 3000, None, 8000.01), "符合", "人均收入 3000 元，未超过收入标准 6000 元；因学支出 8000.01 元，超过 8000 元"),
        (household(SUDDEN, None, None, None, 10000.5), "符合", "突发严重困难户，收入条件免核；因意外支出 10000.5 元，超过 10000 元"),
        (household(POOR, 3000), "不符合", "因病、因学、因意外、因产业支出均为 0 元"),
        # numbers typed as text, full-width digits, padded group names: the reader's coercion
        (household(POOR, "3,000元", "５０００"), "符合", "人均收入 3000 元，未超过收入标准 6000 元；因病支出 5000 元，达到 5000 元"),
        (household(" 脱贫不稳定户 ", "1.2万", " 6000 "), "不符合", "人均收入 12000 元，超过收入标准 6000 元 6000 元"),
        (household(None, 3000, 6000), "资料不全", "缺少户类型"),
        (household("低保户", None, 6000), "资料不全", "户类型“低保户”不是 脱贫不稳定户、边缘易致贫户、突发严重困难户 之一；缺少人均收入"),
        (household(POOR, "abc", "一千"), "资料不全", "人均收入“abc”不是数字；因病支出“一千”不是数字"),
        (household(POOR, NA, DIV0), "资料不全", "人均收入“#N/A”不是数字；因病支出“#DIV/0!”不是数字"),
        (household(POOR, True, 6000), "资料不全", "人均收入“是”不是数字"),
    ],
)
def test_eligibility_of_one_household(args, status, reasons):
    assert call("FP_STATUS", *args) == [[status]]
    assert call("FP_REASONS", *args) == [[reasons]]
    eligible = {"符合": True, "不符合": False}.get(status, reasons)
    assert call("FP_ELIGIBLE", *args) == [[eligible]]


def test_a_column_in_gives_a_column_out_with_blank_rows_blank():
    groups = column(POOR, EDGE, None, SUDDEN, "x")
    incomes = column(3000, 5999, None, None, 1)
    medical = column(6000, 20000, None, None, "abc")
    args = [groups, incomes, medical, cell(None), column(None, None, None, 10001, None), cell(None)]
    assert call("FP_STATUS", *args) == column("符合", "符合", "", "符合", "资料不全")
    assert call("FP_ELIGIBLE", *args) == column(
        True, True, "", True,
        "户类型“x”不是 脱贫不稳定户、边缘易致贫户、突发严重困难户 之一；因病支出“abc”不是数字")
    # The same rows one by one give the same answers (the scalar and the column path agree).
    for row in range(5):
        one = [cell(a[row][0]) if len(a) > 1 else a for a in args]
        assert call("FP_REASONS", *one) == [call("FP_REASONS", *args)[row]]


def test_a_row_of_households_keeps_its_shape():
    args = [[[POOR, EDGE]], [[3000, 3000]], [[6000, 6000]], cell(None), cell(None), cell(None)]
    assert call("FP_STATUS", *args) == [["符合", "不符合"]]


def test_ranges_of_different_sizes_are_refused():
    args = [column(POOR, POOR), column(3000, 3000, 3000), cell(6000), cell(None), cell(None), cell(None)]
    assert call("FP_STATUS", *args) == [[
        "各区域大小不一致：户类型 2 行 1 列，人均收入 3 行 1 列。请让各区域的行数、列数相同，或只选一个单元格。"]]


def test_the_column_path_agrees_with_the_core_on_a_thousand_households():
    rng = np.random.default_rng(3)
    n = 1000
    groups = np.array([POOR, EDGE, SUDDEN, None, "低保户"], dtype=object)[rng.choice(5, n, p=[.4, .4, .1, .05, .05])]
    income = np.round(6000 + rng.normal(0, 1500, n), 2)
    income[rng.random(n) < 0.25] = 6000
    frame = {"group": groups, "income_per_capita": income.astype(object)}
    for key, threshold in (("medical", 5000), ("education", 8000), ("accident", 10000), ("industry", 5000)):
        amounts = np.round(threshold + rng.normal(0, threshold / 2, n), 2).astype(object)
        amounts[rng.random(n) < 0.2] = threshold
        amounts[rng.random(n) < 0.5] = None
        frame[key] = amounts
    frame["income_per_capita"][rng.random(n) < 0.02] = "不详"
    expected = check_households(pd.DataFrame(frame), POLICY)
    columns = [[[officejs(v)] for v in frame[key]] for key in frame]
    assert [s for [s] in call("FP_STATUS", *columns)] == expected["status"].tolist()
    assert [r for [r] in call("FP_REASONS", *columns)] == expected["reasons"].tolist()


# -- the year and the 参数 table -----------------------------------------------------------------

def test_year_and_income_line():
    assert call("FP_INCOME_LINE") == [[6000.0]]
    assert call("FP_INCOME_LINE", cell(2019)) == [[4827.0]]
    assert call("FP_INCOME_LINE", cell("2016年")) == [[4428.0]]
    assert call("FP_INCOME_LINE", cell(2019.0), None) == [[4827.0]]
    # 4,827 is the 2019 line (3,218 × 1.5): an income of 5,000 is inside 2020's line, not 2019's.
    args = household(POOR, 5000, 6000)
    assert call("FP_STATUS", *args, cell(2020)) == [["符合"]]
    assert call("FP_STATUS", *args, cell(2019)) == [["不符合"]]


@pytest.mark.parametrize(
    ("year", "message"),
    [
        (2024, "没有 河北 2024 年的防返贫监测标准（待填）：请在参数文件 [income.monitoring.\"河北\"] 中填写 "
               "2024 = 金额（元/人/年）。该金额是本省每年公布的防返贫监测范围（监测标准），以省里当年的文件为准。"),
        (2010, "没有 2010 年的国家贫困标准（待填）：请在参数文件 [income.poverty_line] 中填写 2010 = 金额（元/人/年）。"
               "该金额是国家农村贫困标准（现价），以国家公布的数字为准。"),
        ("明年", "年度应为 2000 到 2100 之间的整数（如 2020），现为“明年”。"),
        (43950, "年度应为 2000 到 2100 之间的整数（如 2020），现为“43950”。"),
        ([[2020, 2021]], "年度应为一个单元格，现为 1 行 2 列的区域。"),
    ],
)
def test_bad_years_give_the_chinese_message(year, message):
    year_arg = year if isinstance(year, list) else cell(year)
    assert call("FP_INCOME_LINE", year_arg) == [[message]]
    assert call("FP_STATUS", *household(POOR, 3000, 6000), year_arg) == [[message]]


def test_the_workbook_params_table_is_the_policy():
    params = params_table(**{"income.threshold": 5000, "spending.medical.脱贫不稳定户": 8000,
                             "procedure.deadline_days": 10})
    assert call("FP_INCOME_LINE", None, params) == [[5000.0]]
    assert call("FP_STATUS", *household(POOR, 5500, 6000), None, params) == [["不符合"]]
    assert call("FP_REASONS", *household(POOR, 4000, 7000), None, params) == [
        ["因病支出 7000 元，未达到 8000 元（差 1000 元）"]]
    assert call("FP_DEADLINE", cell(serial(dt.date(2020, 4, 29))), None, params) == [
        [date_cell(dt.date(2020, 5, 15))]]


def test_a_params_table_for_a_monitoring_year():
    params = params_table(**{"year": 2023, "province": "贵州", "income.threshold": 7300})
    assert call("FP_INCOME_LINE", None, params) == [[7300.0]]
    assert call("FP_STATUS", *household(POOR, 7300, 5000), None, params) == [["符合"]]
    assert call("FP_INCOME_LINE", cell(2024), params) == [[
        "没有 贵州 2024 年的防返贫监测标准（待填）：请在参数文件 [income.monitoring.\"贵州\"] 中填写 2024 = 金额"
        "（元/人/年）。该金额是本省每年公布的防返贫监测范围（监测标准），以省里当年的文件为准。"]]


def test_bad_params_tables_give_the_chinese_message():
    assert call("FP_INCOME_LINE", None, [["年度", 2020], ["收入标准", 6000]]) == [[
        "参数区域中找不到“键”“参数”“值”表头行：请选中工作簿“参数”表的整张表（含表头行）。"]]
    params = params_table(**{"spending.medical.operator": "大于"})
    assert call("FP_STATUS", *household(POOR, 3000, 6000), None, params) == [[
        "参数表 中的 因病支出比较方式（spending.medical.operator） 有误：可选值为 达到、以上、超过，现为 '大于'。"]]


# -- relief ------------------------------------------------------------------------------------

def test_payout():
    assert call("FP_PAYOUT", cell("因病"), cell(41040)) == [[6208.0]]  # 魏县, 2017
    assert call("FP_PAYOUT", cell("因病"), cell("99,493.33元")) == [[22348.0]]  # 巨鹿县
    assert call("FP_PAYOUT", cell("因病"), cell(41040), cell(EDGE)) == [[3208.0]]
    assert call("FP_PAYOUT", column("因病", "因学", "因意外", "因产业", None, "医疗", "因病"),
                column(41040, 8000, 10000.01, None, None, 1, "abc")) == column(
        6208.0, 0.0, 0.0, 0.0, "", "救助类型“医疗”不是 因病、因学、因意外、因产业 之一。", "支出金额“abc”不是数字。")
    assert call("FP_PAYOUT", cell("因病"), cell(10_000_000), cell(POOR)) == [[200000.0]]
    assert call("FP_PAYOUT", column(None, "因病"), column(5, 1), column(POOR, "一般户")) == column(
        "缺少救助类型", "户类型“一般户”不是 脱贫不稳定户、边缘易致贫户、突发严重困难户 之一。")


# -- ID numbers ---------------------------------------------------------------------------------

IDS = column(
    "13043419800101123X",  # valid, Handan
    "130434198001011233",  # check character wrong (should be X)
    "11010519491231002X",  # valid, outside Handan
    "130434800101123",  # old 15-digit number of the same person
    " １３０４３４１９８００１０１１２３ｘ ",  # full-width digits and x, spaces around
    1.30434198001011e17,  # a numeric cell: the last digits are lost
    None,
    NA,
)


def test_id_functions():
    assert call("FP_ID_VALID", IDS) == column(True, False, True, True, True, False, "", False)
    assert call("FP_ID_CHECK", IDS) == column(
        "有效", "校验码应为 X，实际为 3",
        "有效；地区码 110105 不在邯郸市范围内（可能外地迁入）",
        "有效；15 位旧号码（2013 年起已停止使用），请换用 18 位号码",
        "有效",
        "身份证号被 Excel 存成了数字（如 1.30434E+17），末尾数字已丢失，请将该列设为文本后重新录入",
        "",
        "身份证号含非法字符：「#」「N」「/」「A」（只能是数字，最后一位可以是 X）",
    )
    assert call("FP_ID_MASK", IDS) == column(
        "130434********123X", "130***************", "110105********002X", "130434********123X",
        "130434********123X", "130***************", "", "#N/*")
    assert call("FP_ID_MASK", cell("13043419800101123X")) == [["130434********123X"]]


# -- working days and visits -------------------------------------------------------------------------

def test_deadline():
    found = dt.date(2020, 4, 29)  # DOMAIN.md: due on 2020-05-22 (Labour Day, the make-up Saturday 05-09)
    assert call("FP_DEADLINE", cell(serial(found))) == [[date_cell(dt.date(2020, 5, 22))]]
    # Runtimes before 1.4 get the bare serial number.
    assert call("FP_DEADLINE", cell(serial(found)), runtime="1.3") == [[float(serial(dt.date(2020, 5, 22)))]]
    assert call("FP_DEADLINE", column("2020.4.29", "2020年4月29日", "20200429", None, "下周", NA),
                column(5, 5, 0, 1, None, None)) == column(
        date_cell(dt.date(2020, 5, 9)), date_cell(dt.date(2020, 5, 9)), date_cell(found), "",
        "开始日期“下周”不是日期", "开始日期“#N/A”不是日期")
    assert call("FP_DEADLINE", column(serial(found), serial(found), serial(found), serial(found)),
                column(-1, 2.5, "三", 10**9)) == column(
        "天数应为不小于 0 的整数，现为 -1。", "天数应为不小于 0 的整数，现为 2.5。", "天数应为不小于 0 的整数，现为 “三”。",
        "天数过大：最多 3650 天，现为 1000000000。")
    assert call("FP_DEADLINE", column("2261-12-31", "1899-12-31", "2100-12-31"), cell(1)) == column(
        "开始日期“2261-12-31”不在 1900 年至 2100 年之间", "开始日期“1899-12-31”不在 1900 年至 2100 年之间",
        date_cell(dt.date(2101, 1, 3)))


def test_deadline_in_calendar_days_from_the_params_table():
    params = params_table(**{"procedure.deadline_mode": "自然日"})
    # 2020-09-16 + 15 days is Thursday 10-01, inside the National Day holiday: the next working day.
    assert call("FP_DEADLINE", cell(serial(dt.date(2020, 9, 16))), None, params) == [
        [date_cell(dt.date(2020, 10, 9))]]


def test_workdays():
    assert call("FP_WORKDAYS", cell(serial(dt.date(2020, 4, 29))), cell(serial(dt.date(2020, 5, 22)))) == [[15]]
    assert call("FP_WORKDAYS", column("2020-05-22", None, "2020-05-01", None, "x"),
                column("2020-04-29", "2020-05-01", None, None, "2020-05-01")) == column(
        -15, "缺少开始日期", "缺少结束日期", "", "开始日期“x”不是日期")


def test_visit_due_follows_calendar_quarters():
    visits = column(serial(dt.date(2020, 1, 5)), "2020-04-05", "2020.12.15", None, "昨天")
    assert call("FP_VISIT_DUE", visits) == column(
        date_cell(dt.date(2020, 6, 30)), date_cell(dt.date(2020, 9, 30)), date_cell(dt.date(2021, 3, 31)),
        "", "回访日期“昨天”不是日期")


def test_visited_in_quarter():
    visits = [[serial(dt.date(2020, 1, 5)), None, "2020-07-31"]]
    days = column("2020-03-31", "2020-04-01", serial(dt.date(2020, 9, 30)), None, "x")
    assert call("FP_VISITED_IN_QUARTER", visits, days) == column(True, False, True, "", "日期“x”不是日期")
    assert call("FP_VISITED_IN_QUARTER", [["2020-01-05", "某天"]], cell("2020-03-31")) == [[
        "回访日期“某天”不是日期：请先修正回访日期区域。"]]


# -- the fund --------------------------------------------------------------------------------------

@pytest.mark.filterwarnings("error")  # numpy's English "overflow encountered in multiply"
def test_absurd_amounts_compute_without_overflowing():
    # A function computes with any finite number, as Excel's own formulas do; the relief is capped.
    assert call("FP_PAYOUT", cell("因病"), cell(1e308), cell(POOR)) == [[200000.0]]
    assert call("FP_CHECK_TABLE", [["户类型", "人均可支配收入", "近12月因病支出"], [POOR, 100, 1e308]]) == [
        ["资格判定", "满足条件", "判定说明", "救助金额估算（元）", "办结时限"],
        ["符合", "收入、因病", "人均收入 100 元，未超过收入标准 6000 元；因病支出 1e+308 元，达到 5000 元", 200000.0, ""]]
    # The fund's functions keep their own limit, above the reader's 10 billion yuan.
    assert call("FP_FUND_BALANCE", cell(1e11), cell(0), cell(0), cell(0)) == [[1e11]]
    assert call("FP_SERVICE_FEE", cell(1e308)) == [["救助总额：金额应为绝对值不超过 1 万亿元的数字，现为 1e+308。"]]


def test_fund_functions():
    # 魏县 2017: 10% of the rural population at 50 yuan came to 4,000,000 yuan.
    assert call("FP_INSURED", column(800_000, "80万", 12_345, -5, "很多", None)) == column(
        80_000, 80_000, 1_235, "农村人口应为 0 到 100 亿之间的整数，现为 -5。", "农村人口“很多”不是数字", "")
    assert call("FP_PREMIUM", cell(800_000)) == [[4_000_000.0]]
    assert call("FP_PREMIUM", cell(12_345)) == [[61_750.0]]
    assert call("FP_SERVICE_FEE", cell(1_234_567.8)) == [[61_728.39]]
    assert call("FP_FUND_BALANCE", cell(100_000), cell(4_000_000), cell(None), cell(3_900_000)) == [[5_000.0]]
    assert call("FP_FUND_BALANCE", column(0, 0, None), column(100_000, 100_000, None), column(None, 110_000, None),
                column(200_000, 200_000, None)) == column(-110_000.0, 0.0, "")
    params = params_table(**{"fund.service_fee_rate": 0.08, "fund.coverage_rate": 0.12,
                             "fund.premium_per_person": 60})
    assert call("FP_SERVICE_FEE", cell(1000), None, params) == [[80.0]]
    assert call("FP_PREMIUM", cell(1000), None, params) == [[7200.0]]
    assert call("FP_FUND_BALANCE", cell(0), cell("一百"), cell(0), cell(0)) == [["保费“一百”不是数字"]]
    assert call("FP_FUND_BALANCE", cell(1e300), cell(0), cell(0), cell(0)) == [[
        "上年结转：金额应为绝对值不超过 1 万亿元的数字，现为 1e+300。"]]


# -- a whole table -------------------------------------------------------------------------------------

TABLE = [
    ["2020 年资格核查", None, None, None, None, None],
    ["户号", "监测对象类别", "人均收入", "因病支出", "因学支出", "申请日期"],
    ["H1", POOR, 3000, 41040, None, serial(dt.date(2020, 4, 29))],
    [None, None, None, None, None, None],
    ["H2", EDGE, "5,999元", 20000, 18000, "2020.5.8"],
    ["H3", POOR, 6000.01, 50000, None, None],
    ["H4", "一般户", "abc", None, None, "上月"],
    ["H5", SUDDEN, None, None, 8000.01, 43958],
    ["H6", POOR, 3000, None, None, "2261-01-01"],
]


def test_check_table():
    result = call("FP_CHECK_TABLE", TABLE)
    assert result == [
        ["", "", "", "", ""],
        ["资格判定", "满足条件", "判定说明", "救助金额估算（元）", "办结时限"],
        ["符合", "收入、因病", "人均收入 3000 元，未超过收入标准 6000 元；因病支出 41040 元，达到 5000 元",
         6208.0, date_cell(dt.date(2020, 5, 22))],
        ["", "", "", "", ""],
        ["符合", "收入、因病、因学", "人均收入 5999 元，未超过收入标准 6000 元；因病支出 20000 元，达到 20000 元；"
         "因学支出 18000 元，超过 8000 元", 1000.0, date_cell(dt.date(2020, 5, 28))],  # 05-09 is a working Saturday
        ["不符合", "因病", "人均收入 6000.01 元，超过收入标准 6000 元 0.01 元", "", ""],
        ["资料不全", "", "户类型“一般户”不是 脱贫不稳定户、边缘易致贫户、突发严重困难户 之一；人均收入“abc”不是数字",
         "", "申请日期“上月”不是日期"],
        ["符合", "收入免核、因学", "突发严重困难户，收入条件免核；因学支出 8000.01 元，超过 8000 元", 0.0,
         date_cell(dt.date(2020, 5, 27))],
        ["不符合", "收入", "因病、因学、因意外、因产业支出均为 0 元", "", "申请日期“2261-01-01”不在 1900 年至 2100 年之间"],
    ]


def test_check_table_stops_at_the_last_household():
    blank = [None] * 6
    result = call("FP_CHECK_TABLE", [blank, *TABLE[1:4], blank, blank, blank])
    assert len(result) == 3  # the blank first row, the header, H1; not the blank rows below
    assert result[0] == ["", "", "", "", ""] and result[2][0] == "符合"


def test_check_table_agrees_with_the_per_household_functions():
    data = TABLE[2:]
    columns = [[[row[i]] for row in data] for i in range(1, 5)]
    statuses = call("FP_STATUS", *columns, cell(None), cell(None))
    reasons = call("FP_REASONS", *columns, cell(None), cell(None))
    table = call("FP_CHECK_TABLE", TABLE)[2:]
    assert [[row[0]] for row in table] == statuses
    assert [[row[2]] for row in table] == reasons


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ([["姓名", "电话"], ["张三", "1"]],
         "所选区域前 30 行中找不到表头行：表头应包含“户类型”“人均可支配收入”等列名，请选中带表头的整张表。"),
        ([["户编号", "户类型", "因病支出"], ["H1", POOR, 6000]],
         "所选区域缺少必填列“人均可支配收入”（也可用列名：家庭年人均可支配收入、人均纯收入、家庭人均纯收入、人均收入）。"),
        (cell(None), "所选区域前 30 行中找不到表头行：表头应包含“户类型”“人均可支配收入”等列名，请选中带表头的整张表。"),
        # Without any spending column every household would read 不符合 with spending 0.
        ([["户类型", "人均收入"], [POOR, 3000]],
         "所选区域没有支出列（“近12月因病支出”、“近12月因学支出”、“近12月因意外支出”、“近12月因产业支出”，"
         "或其同义列名），无法判定支出条件：请加上至少一列支出（没有支出的户填 0）。"),
    ],
)
def test_check_table_without_its_headers(table, message):
    assert call("FP_CHECK_TABLE", table) == [[message]]


def test_check_table_with_only_a_header_and_the_params_table():
    params = params_table(**{"income.threshold": 2000})
    assert call("FP_CHECK_TABLE", [["户类型", "人均收入", "因病支出"], [POOR, 3000, None]], params) == [
        ["资格判定", "满足条件", "判定说明", "救助金额估算（元）", "办结时限"],
        ["不符合", "", "人均收入 3000 元，超过收入标准 2000 元 1000 元；因病、因学、因意外、因产业支出均为 0 元", "", ""],
    ]


# -- values as each runtime sends them ------------------------------------------------------------

def test_values_as_desktop_excel_sends_them_through_com():
    # COM hands a range over as row tuples: floats, dates as datetimes carrying the local
    # zone, error cells as integer codes (-2146826246 is #N/A).
    china = dt.timezone(dt.timedelta(hours=8))
    # Under the "raw" converter a function receives them unchanged; here they are handed
    # over directly (they never cross HTTP as JSON).
    groups = ((POOR,), (EDGE,), (POOR,))
    incomes = ((3000.0,), (-2146826246,), (None,))
    args = [groups, incomes, ((6000.0,), (20000.0,), (1.0,)), None, None, None]
    result = asyncio.run(custom_functions_call(body("FP_REASONS", args), udfs))
    assert result == column("人均收入 3000 元，未超过收入标准 6000 元；因病支出 6000 元，达到 5000 元",
                            "人均收入“#N/A”不是数字", "缺少人均收入")
    found = dt.datetime(2020, 4, 29, tzinfo=china)
    result = asyncio.run(custom_functions_call(body("FP_DEADLINE", [((found,), (None,))]), udfs))
    assert result == column(date_cell(dt.date(2020, 5, 22)), "")


def test_an_omitted_optional_argument_and_a_null_one_are_the_same():
    args = household(POOR, 3000, 6000)
    assert call("FP_STATUS", *args) == call("FP_STATUS", *args, None, None) == [["符合"]]


# -- nothing ever raises into Excel -----------------------------------------------------------------

HEADERS = ["户编号", "户类型", "人均收入", "因病支出", "因学支出", "近12月因意外支出", "因产业支出", "发现日期",
           "键", "参数", "值"]
TEXTS = [
    "", " ", "5,000元", "５０００", "1.2万", "2020.5.3", "2020年5月3日", "20200503", "#N/A", "#DIV/0!",
    POOR, EDGE, SUDDEN, "因病", "因学", "因意外", "因产业", "130434198001011233", "13043419800101123X",
    "130434800101123", "year", "income.threshold", "procedure.deadline_mode", "自然日", "达到", "超过",
    "2020年", "-5", "1e999", "nan", "None", "=A1", "\u3000",
]
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**15, 10**15), st.integers(40000, 50000),
    st.floats(allow_nan=False, allow_infinity=False), st.floats(-1e6, 1e6),
    st.sampled_from(TEXTS), st.sampled_from(HEADERS), st.text(max_size=8),
    st.sampled_from([NA, DIV0, -2146826246, {"type": "Double", "basicValue": 5000.0}]),
)


@st.composite
def argument(draw):
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return None  # omitted, or one empty cell
    if kind == 1:
        return [[draw(scalars)]]
    rows, cols = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    matrix = [[draw(scalars) for _ in range(cols)] for _ in range(rows)]
    if kind == 3 and draw(st.booleans()):
        matrix.insert(0, draw(st.permutations(HEADERS))[:cols])  # a header row now and then
    return matrix


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_excel_values_never_raise(name, data):
    info = getattr(udfs, name).__xlfunc__
    required = sum("optional" not in arg for arg in info["args"])
    count = data.draw(st.integers(required, len(info["args"])))
    args = [data.draw(argument()) for _ in range(count)]
    result = call(name, *args)
    assert isinstance(result, list) and all(isinstance(row, list) for row in result)
    for row in result:
        for value in row:
            assert not (isinstance(value, float) and not math.isfinite(value))
            assert not (isinstance(value, str) and value.startswith(INTERNAL_ERROR)), value


def test_an_unplanned_failure_is_a_chinese_notice_and_a_logged_traceback(monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(udfs, "check_household", broken)
    assert call("FP_STATUS", *household(POOR, 3000, 6000)) == [[
        "计算出错（程序内部错误：ZeroDivisionError），请把该单元格的公式和数据告知技术人员。"]]
    assert "FP_STATUS failed" in caplog.text and "boom" in caplog.text


# -- parity with the core and with the workbook's own formulas ------------------------------------------

@pytest.fixture(scope="module")
def county(tmp_path_factory):
    return write_sample_county(tmp_path_factory.mktemp("county"), townships=2, households=30, seed=0,
                               policy=POLICY)


def officejs(value):
    """A value read back from a workbook as Office.js sends it: whole numbers as JSON integers,
    dates as serial numbers, an empty cell as null."""
    if value == "" or value is None:
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return serial(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def sheet_rows(book: CalamineWorkbook, name: str) -> list[list]:
    return [[officejs(v) for v in row] for row in book.get_sheet_by_name(name).to_python()]


def columns_of(rows: list[list], header_row: int, headers: list[str]) -> tuple[list[list], list]:
    """The data rows (those with a key in column A) and, per header, its column as an argument."""
    header = rows[header_row]
    data = [row for row in rows[header_row + 1:] if row[0] is not None]
    return data, [[[row[header.index(h)]] for row in data] for h in headers]


SPENDING_HEADERS = ["近12月因病支出", "近12月因学支出", "近12月因意外支出", "近12月因产业支出"]


def test_status_and_reasons_match_the_core_and_libreoffice(county, soffice):
    path = next(p for p in county.workbooks.values() if "日历" in CalamineWorkbook.from_path(str(p)).sheet_names)
    book = CalamineWorkbook.from_path(str(soffice(path)))
    rows = sheet_rows(book, "监测户")
    data, args = columns_of(rows, 1, ["户类型", "人均可支配收入", *SPENDING_HEADERS, "资格判定"])
    params = sheet_rows(book, "参数")
    status = call("FP_STATUS", *args[:6], None, params)
    reasons = call("FP_REASONS", *args[:6])

    # LibreOffice's recalculation of the template's own formulas
    assert status == args[6]
    # the core, from the workbook as the reader reads it
    workbook = read_workbook(path)
    frames = {key: sheet.frame for key, sheet in workbook.sheets.items()}
    derived = derive_households(frames["households"], frames["spending"], frames["visits"], policy=POLICY,
                                check_date=workbook.policy_values["check_date"])
    assert [s for [s] in status] == derived["status"].tolist()
    assert [r for [r] in reasons] == derived["reasons"].tolist()
    assert {s for [s] in status} >= {"符合", "不符合"}
    assert len(data) == len(derived) == 30

    # The whole table at once: the same statuses, aligned with the sheet's rows.
    table = call("FP_CHECK_TABLE", rows, params)
    assert len(table) == 2 + len(data)  # the sheet's 2,000 prepared rows end with the last household
    assert table[0] == ["", "", "", "", ""]
    assert table[1] == ["资格判定", "满足条件", "判定说明", "救助金额估算（元）", "办结时限"]
    assert [row[0] for row in table[2:2 + len(data)]] == [s for [s] in status]
    assert [row[2] for row in table[2:2 + len(data)]] == [r for [r] in reasons]


def test_deadline_matches_the_core_and_libreoffice(county, soffice):
    path = next(p for p in county.workbooks.values() if "日历" in CalamineWorkbook.from_path(str(p)).sheet_names)
    book = CalamineWorkbook.from_path(str(soffice(path)))
    _, (found, recalculated) = columns_of(sheet_rows(book, "救助"), 1, ["发现日期", "办结时限"])
    result = call("FP_DEADLINE", found)
    workbook = read_workbook(path)
    derived = derive_cases(workbook.sheets["cases"].frame, policy=POLICY,
                           check_date=workbook.policy_values["check_date"])
    expected = [[date_cell(day.date())] for day in derived["deadline"]]
    assert result == expected
    assert [[date_cell(EXCEL_EPOCH + dt.timedelta(days=d))] for [d] in recalculated] == expected
    assert len(result) >= 5


def test_own_layout_workbook_matches_the_core(county):
    # The township's own layout: title rows, synonym headers, income typed in full-width digits.
    path = next(p for p in county.workbooks.values() if "日历" not in CalamineWorkbook.from_path(str(p)).sheet_names)
    workbook = read_workbook(path)
    frames = {key: sheet.frame for key, sheet in workbook.sheets.items()}
    derived = derive_households(frames["households"], frames["spending"], frames["visits"], policy=POLICY,
                                check_date=dt.date(2020, 12, 31))
    rows = sheet_rows(CalamineWorkbook.from_path(str(path)), "监测户")
    header_row = workbook.sheets["households"].header_row - 1
    data, (groups, incomes) = columns_of(rows, header_row, ["监测对象类别", "家庭年人均可支配收入"])
    assert any(isinstance(v, str) for [v] in incomes), "the planted full-width income is in this workbook"
    spending = [[[officejs(v)] for v in derived[key]] for key in ("medical", "education", "accident", "industry")]
    assert [s for [s] in call("FP_STATUS", groups, incomes, *spending)] == derived["status"].tolist()
    assert [r for [r] in call("FP_REASONS", groups, incomes, *spending)] == derived["reasons"].tolist()


# -- the module itself ------------------------------------------------------------------------------------

def test_importing_the_functions_stays_light():
    code = (
        "import json, sys; import fangpin_xl.excel.udfs; "
        "print(json.dumps(sorted(m for m in ('xlsxwriter', 'python_calamine', 'openpyxl', 'defusedxml', "
        "'click', 'fangpin_xl.workbook.write', 'fangpin_xl.derive') if m in sys.modules)))"
    )
    env = {"XLWINGS_ON_SERVER": "true", "XLWINGS_LICENSE_KEY": "noncommercial", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert json.loads(done.stdout) == []


def test_only_the_excel_package_imports_xlwings_and_nothing_sets_its_variables():
    package = Path(udfs.__file__).resolve().parents[1]
    importing = sorted(
        str(path.relative_to(package)) for path in package.rglob("*.py")
        if re.search(r"^\s*(import xlwings|from xlwings)", path.read_text(encoding="utf-8"), re.M)
    )
    assert importing == ["excel/scripts.py", "excel/udfs.py"]
    for path in package.rglob("*.py"):
        assert not re.search(r"environ\[?.*XLWINGS|putenv", path.read_text(encoding="utf-8")), path


def test_the_documented_params_range_covers_the_whole_params_sheet():
    # EXCEL-FUNCTIONS.md told clerks to pass 参数!$A$1:$C$40, which cut off the sheet's later rows
    # (the county's own holidays, per-group payout tables, the poverty lines): the functions then
    # judged by built-in values, silently, unlike validate.
    text = (Path(__file__).resolve().parents[1] / "docs" / "EXCEL-FUNCTIONS.md").read_text(encoding="utf-8")
    documented = [int(n) for n in re.findall(r"参数!\$A\$1:\$C\$(\d+)", text)]
    assert documented
    sheet_rows_needed = len(params_table())  # title, header, one row per key
    assert min(documented) >= sheet_rows_needed
    rows = params_table(**{"calendar.holidays": "2020-05-06"})
    assert call("FP_DEADLINE", cell(serial(dt.date(2020, 4, 29))), None, rows) == [[date_cell(dt.date(2020, 5, 25))]]


def test_the_documented_no_threshold_message_is_the_one_shown():
    text = (Path(__file__).resolve().parents[1] / "docs" / "EXCEL-FUNCTIONS.md").read_text(encoding="utf-8")
    [shown] = call("FP_INCOME_LINE", cell(2024))[0]
    assert f"`{shown}`" in text
    assert "后续提供" not in text  # the installation guide exists: macros/README.md
