"""display_mismatch: what the sheet displays against what the rules give.

Workbooks are filled the way clerks type (dates and amounts as text),
recalculated by LibreOffice, read back and checked: every computed cell
that shows something the rules do not give is one error naming the cause.
The same check on cached values a program wrote (an older template that
silently left text out) gives the message of the issue.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from fangpin_xl.checks import check_workbook
from fangpin_xl.ids import make_id
from fangpin_xl.policy import Policy
from fangpin_xl.templates import write_township_workbook
from fangpin_xl.workbook.read import read_workbook

T = pd.Timestamp
TODAY = dt.date(2021, 1, 10)
IDS = [make_id("130434", dt.date(1970, 1, 1 + i), 11 + 2 * i) for i in range(5)]


def frames(**computed) -> dict[str, pd.DataFrame]:
    """Five households: H1–H4 each with one cell typed as text, H5 clean."""
    households = pd.DataFrame({
        "household_no": ["H1", "H2", "H3", "H4", "H5"], "township": "东代固乡", "village": "东代固村",
        "head_name": ["甲", "乙", "丙", "丁", "戊"], "head_id": IDS, "household_size": 1,
        "group": ["脱贫不稳定户", "边缘易致贫户", "脱贫不稳定户", "脱贫不稳定户", "脱贫不稳定户"],
        "income_per_capita": [3000.0, "4800元", 3000.0, 3000.0, 3000.0], **computed,
    })
    spending = pd.DataFrame([
        ("H1", "因病", "2020.5.3", 6000.0),           # 支出!E3: a text date
        ("H2", "因病", T("2020-05-03"), 30000.0),
        ("H3", "因病", T("2020-05-03"), "6000"),       # 支出!F5: a text amount
        ("H4", "因病", T("2020-05-03"), 6000.0),
        ("H5", "因病", T("2020-05-03"), 6000.0),
    ], columns=["household_no", "kind", "date", "amount"])
    visits = pd.DataFrame([
        ("H4", "张伟", T("2020-06-01")), ("H4", "张伟", "2020.12.1"),   # 帮扶!C4: a text date
        ("H5", "张伟", T("2020-12-01")),
    ], columns=["household_no", "helper", "visit_date"])
    for key in ("food_clothing", "education_ok", "medical_ok", "housing_ok", "water_ok"):
        visits[key] = "是"
    cases = pd.DataFrame([{"case_no": "C1", "household_no": "H5", "kind": "因病", "found_date": "2020.12.28",
                           "found_way": "自下而上申请", "stage": "已发现"}])
    members = pd.DataFrame({"household_no": households["household_no"], "name": households["head_name"],
                            "id_number": IDS, "relation": "户主"})
    return {"households": households, "spending": spending, "visits": visits, "cases": cases,
            "members": members}


def mismatches(path: Path) -> list[tuple]:
    checked = check_workbook(read_workbook(path), today=TODAY)
    return [(i.sheet, i.cell, i.column, i.value, i.message) for i in checked.issues
            if i.code == "display_mismatch"]


def test_a_recalculated_workbook_says_where_the_sheet_and_the_rules_differ(tmp_path, soffice):
    path = write_township_workbook(tmp_path / "东代固乡.xlsx", policy=Policy(), township="东代固乡",
                                   frames=frames(), rows=20)
    recalculated = soffice(path)
    assert mismatches(recalculated) == [
        ("监测户", "T3", "资格判定", "数据格式有误：支出!E3 发生日期是文本",
         "表内显示“数据格式有误：支出!E3 发生日期是文本”，按规则应为符合：支出!E3 的日期是文本，请改正后重新计算"),
        ("监测户", "T4", "资格判定", "数据格式有误：H4 人均可支配收入是文本",
         "表内显示“数据格式有误：H4 人均可支配收入是文本”，按规则应为符合：H4 的金额是文本，请改正后重新计算"),
        ("监测户", "T5", "资格判定", "数据格式有误：支出!F5 金额是文本",
         "表内显示“数据格式有误：支出!F5 金额是文本”，按规则应为符合：支出!F5 的金额是文本，请改正后重新计算"),
        ("监测户", "V6", "最近回访日期", "数据格式有误：帮扶!C4 回访日期是文本",
         "表内显示“数据格式有误：帮扶!C4 回访日期是文本”，按规则应为 2020-12-01：帮扶!C4 的日期是文本，请改正后重新计算"),
        ("救助", "N3", "办结时限", "数据格式有误：D3 发现日期是文本",
         "表内显示“数据格式有误：D3 发现日期是文本”，按规则应为 2021-01-19：D3 的日期是文本，请改正后重新计算"),
    ]
    # The clean household H5 and the workbook fixed by hand agree with the rules.
    fixed = frames()
    fixed["households"]["income_per_capita"] = 4800.0
    fixed["spending"]["date"] = T("2020-05-03")
    fixed["spending"]["amount"] = 6000.0
    fixed["visits"]["visit_date"] = T("2020-12-01")
    fixed["cases"]["found_date"] = T("2020-12-28")
    path = write_township_workbook(tmp_path / "改正后.xlsx", policy=Policy(), township="东代固乡",
                                   frames=fixed, rows=20)
    assert mismatches(soffice(path)) == []


def test_cached_values_of_an_older_sheet_that_left_text_out(tmp_path):
    # What an older template showed: the text date left out of the sum, so 不符合.
    shown = {"medical": [0.0, 30000.0, 0.0, 6000.0, 6000.0],
             "status": ["不符合", "资料不全", "不符合", "符合", "符合"]}
    path = write_township_workbook(tmp_path / "旧模板.xlsx", policy=Policy(), township="东代固乡",
                                   frames=frames(**shown), rows=20)
    found = mismatches(path)
    assert found[:3] == [
        ("监测户", "T3", "资格判定", "不符合", "表内显示不符合，按规则应为符合：支出!E3 的日期是文本，请改正后重新计算"),
        ("监测户", "T4", "资格判定", "资料不全", "表内显示资料不全，按规则应为符合：H4 的金额是文本，请改正后重新计算"),
        ("监测户", "T5", "资格判定", "不符合", "表内显示不符合，按规则应为符合：支出!F5 的金额是文本，请改正后重新计算"),
    ]
    # A written value that is no formula's result and no typed text: recalculate or check the formula.
    changed = frames(status=["符合", "符合", "符合", "符合", "不符合"])
    changed["households"]["medical"] = [6000.0, 30000.0, 6000.0, 6000.0, 6000.0]
    path = write_township_workbook(tmp_path / "公式被改.xlsx", policy=Policy(), township="东代固乡",
                                   frames=changed, rows=20)
    assert mismatches(path)[-1] == (
        "监测户", "T7", "资格判定", "不符合",
        "表内显示不符合，按规则应为符合：请重新计算工作簿（Excel、WPS 按 F9），或核对该列公式是否被改动")


def test_a_program_written_workbook_without_cached_values_is_not_compared(tmp_path):
    path = write_township_workbook(tmp_path / "未计算.xlsx", policy=Policy(), township="东代固乡",
                                   frames=frames(), rows=20)
    assert mismatches(path) == []
