"""The screening core: amounts, matching by ID, the window, the rules, every record accounted for."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from fangpin_xl import screening
from fangpin_xl.ids import make_id
from fangpin_xl.policy import Policy
from fangpin_xl.screening import DepartmentTable, Register, record_amounts
from fangpin_xl.screening_schema import (
    AMOUNT_KEYS,
    CANDIDATES,
    INVALID,
    MATCHED,
    UNMATCHED,
    UNUSABLE,
)

P = Policy()
AS_OF = dt.date(2020, 12, 31)
TODAY = dt.date(2021, 6, 30)
D = pd.Timestamp

HEAD1 = make_id("130434", dt.date(1970, 5, 1), 13)
SPOUSE1 = make_id("130434", dt.date(1972, 8, 9), 24)
HEAD2 = make_id("130434", dt.date(1965, 1, 20), 35)
CHILD2 = make_id("130434", dt.date(2005, 4, 4), 64)
HEAD3 = make_id("130434", dt.date(1960, 2, 2), 41)
HEAD4 = make_id("130434", dt.date(1958, 3, 3), 52)
STRANGER = make_id("130434", dt.date(1990, 1, 1), 123)


def register() -> Register:
    households = pd.DataFrame({
        "key": ["H1", "H2", "H3", "H4"], "township": ["东代固乡"] * 4,
        "village": ["乙村", "甲村", "甲村", "甲村"], "household_no": ["H1", "H2", "H3", "H4"],
        "head_name": ["王建国", "李秀英", "张三", "赵四"],
        "group": ["脱贫不稳定户", "边缘易致贫户", "边缘易致贫户", None],
        "income_per_capita": [5000.0, 6000.0, 7000.0, 5000.0],
        "medical": [41040.0, 0.0, 0.0, 0.0], "education": [0.0, 6000.0, 0.0, 0.0],
        "accident": 0.0, "industry": 0.0,
    })
    members = pd.DataFrame({
        "key": ["H1", "H1", "H2", "H2", "H3", "H4"],
        "id": [HEAD1, SPOUSE1, HEAD2, CHILD2, HEAD3, HEAD4],
        "name": ["王建国", "赵秀兰", "李秀英", "李明", "张三", "赵四"],
        "relation": ["户主", "配偶", "户主", "子女", "户主", "户主"],
        "household_no": ["H1", "H1", "H2", "H2", "H3", "H4"],
    })
    cases = pd.DataFrame({
        "key": ["H1", "H1", "H2"], "kind": ["因病", "因病", "因病"], "case_no": ["A8", "A9", "B1"],
        "stage": ["已支付", "已查勘", "公示中"],
    })
    return Register(households, members, cases)


def table(department: str, rows: list[dict], *, columns: dict[str, str], headers: dict[str, str],
          unreadable: dict[int, str] | None = None, first_row: int = 4) -> DepartmentTable:
    frame = pd.DataFrame(rows, index=range(first_row, first_row + len(rows)))
    frame["date"] = pd.to_datetime(frame["date"])
    for key in AMOUNT_KEYS:
        if key in frame.columns:
            frame[key] = frame[key].astype("float64")
    return DepartmentTable(department, f"{department}.xlsx", "Sheet1", first_row - 1, frame, columns, headers,
                           unreadable or {})


MEDICAL_COLUMNS = {"id_number": "C", "name": "B", "date": "D", "total": "E", "reimbursed": "F", "self_paid": "G"}
MEDICAL_HEADERS = {"id_number": "身份证号码", "name": "患者姓名", "date": "出院日期", "total": "医疗总费用",
                   "reimbursed": "统筹支付", "self_paid": "个人自付"}


def medical(*rows, unreadable=None) -> DepartmentTable:
    records = [dict(zip(("id_number", "name", "date", "total", "reimbursed", "self_paid"), r, strict=True))
               for r in rows]
    return table("medical", records, columns=MEDICAL_COLUMNS, headers=MEDICAL_HEADERS, unreadable=unreadable)


def education(*rows) -> DepartmentTable:
    records = [dict(zip(("id_number", "name", "date", "tuition", "accommodation", "textbooks"), r, strict=True))
               for r in rows]
    return table("education", records,
                 columns={"id_number": "A", "name": "B", "date": "C", "tuition": "D", "accommodation": "E",
                          "textbooks": "F"},
                 headers={"id_number": "身份证号", "name": "学生姓名", "date": "缴费日期", "tuition": "学费",
                          "accommodation": "住宿费", "textbooks": "书本费"})


NAN = np.nan


# -- amounts --------------------------------------------------------------------------------

def amounts(kind: str, **values) -> tuple:
    frame = pd.DataFrame([{"kind": kind, **dict.fromkeys(AMOUNT_KEYS, NAN), **values}])
    amount, detail, problem = record_amounts(frame)
    return amount.iloc[0], detail.iloc[0], problem.iloc[0]


def test_medical_self_paid_or_total_minus_reimbursed():
    assert amounts("因病", self_paid=3000.0, total=9.0, reimbursed=1.0) == (3000.0, "个人自付 3000 元", "")
    assert amounts("因病", total=12000.0, reimbursed=10000.5) == (
        1999.5, "医疗总费用 12000 元 − 统筹支付 10000.5 元 = 1999.5 元", "")
    amount, detail, problem = amounts("因病", total=12000.0)
    assert np.isnan(amount) and (detail, problem) == ("", "没有个人自付金额，也没有可相减的医疗总费用和统筹支付")
    assert amounts("因病", total=100.0, reimbursed=150.0)[2] == "统筹支付 150 元大于医疗总费用 100 元"


def test_education_is_fees_accommodation_and_textbooks():
    assert amounts("因学", tuition=5000.0, textbooks=1000.01) == (
        6000.01, "学费 5000 + 教材费 1000.01 = 6000.01 元", "")
    assert amounts("因学", tuition=5000.0, accommodation=2000.0, textbooks=1000.0)[1] == (
        "学费 5000 + 住宿费 2000 + 教材费 1000 = 8000 元")
    assert amounts("因学")[2] == "学费、住宿费、教材费都为空"


def test_losses_after_insurance_and_aid_never_below_zero():
    assert amounts("因意外", loss=30000.0, insurance=10000.0, aid=5000.0) == (
        15000.0, "损失 30000 − 保险赔付 10000 − 救助 5000 = 15000 元", "")
    assert amounts("因产业", loss=1000.0, insurance=2000.0) == (
        0.0, "损失 1000 − 保险赔付 2000 = 0 元，不足 0 按 0 计", "")
    assert amounts("因产业", loss=6000.0) == (6000.0, "损失 6000 = 6000 元", "")
    assert amounts("因意外", insurance=10.0)[2] == "损失金额为空"


# -- screening ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def result() -> screening.Screening:
    med = medical(
        (SPOUSE1, "赵秀兰", "2020-03-01", NAN, NAN, 3000.0),  # 4: a member who is not the head
        (HEAD1, "王建国", "2020-06-01", 12000.0, 10000.0, NAN),  # 5: H1 now exactly 5000: 达到
        (HEAD1, "王建国", "2019-12-31", NAN, NAN, 90000.0),  # 6: exactly 12 months before: outside
        (HEAD1, "王建国", "2021-01-01", NAN, NAN, 90000.0),  # 7: after the as-of date
        (HEAD2, "李秀英", "2020-05-05", NAN, NAN, 19999.99),  # 8: one fen short of 20000
        (HEAD3, "张三", "2020-05-05", NAN, NAN, 50000.0),  # 9: income above the line
        (HEAD4, "赵四", "2020-05-05", NAN, NAN, 50000.0),  # 10: no group: 资料不全
        (STRANGER, "陌生人", "2020-05-05", NAN, NAN, 50000.0),  # 11: not a member
        ("13043419700501", "短号", "2020-05-05", NAN, NAN, 50000.0),  # 12: invalid
        (None, "无号", "2020-05-05", NAN, NAN, 50000.0),  # 13: empty ID
        (SPOUSE1, "赵秀兰", "2020-05-05", NAN, NAN, -100.0),  # 14: negative
        (HEAD1, "王建国", None, NAN, NAN, 100.0),  # 15: no date
        (SPOUSE1.lower().replace("X", "x"), "赵秀兰", "2020-07-07", NAN, NAN, NAN),  # 16: unreadable amount
        unreadable={16: "G16“个人自付”的值“五千”不是金额"},
    )
    edu = education(
        (CHILD2, "李明", "2020-09-01", 5000.0, 2000.0, 1000.0),  # 8000: not 超过 8000 yet
        (CHILD2, "李明", "2020-10-01", NAN, NAN, 0.01),  # now 8000.01
    )
    return screening.screen([med, edu], register(), policy=P, as_of=AS_OF, today=TODAY)


def test_exactly_the_qualifying_households_with_their_evidence(result):
    assert list(result.candidates.columns) == [c.key for c in CANDIDATES.columns]
    # Sorted by township, village and household in the workbook's order: 乙村 (H1) is listed first.
    rows = result.candidates.to_dict("records")
    assert rows == [
        {"township": "东代固乡", "village": "乙村", "household_no": "H1", "head_name": "王建国",
         "group": "脱贫不稳定户", "income_per_capita": 5000.0, "kind": "因病", "found_way": "自上而下筛查",
         "departments": "医保", "records": 2, "members": "赵秀兰、王建国", "amount": 5000.0, "recorded": 41040.0,
         "met_text": "收入、因病",
         "reasons": "人均收入 5000 元，未超过收入标准 6000 元；因病支出 5000 元，达到 5000 元",
         "open_cases": "A9（已查勘）",
         "evidence": "医保 2020-03-01 赵秀兰 个人自付 3000 元；"
                     "医保 2020-06-01 王建国 医疗总费用 12000 元 − 统筹支付 10000 元 = 2000 元",
         "files": "medical.xlsx"},
        {"township": "东代固乡", "village": "甲村", "household_no": "H2", "head_name": "李秀英",
         "group": "边缘易致贫户", "income_per_capita": 6000.0, "kind": "因学", "found_way": "自上而下筛查",
         "departments": "教育", "records": 2, "members": "李明", "amount": 8000.01, "recorded": 6000.0,
         "met_text": "收入、因学",
         "reasons": "人均收入 6000 元，未超过收入标准 6000 元；因学支出 8000.01 元，超过 8000 元",
         "open_cases": "",
         "evidence": "教育 2020-09-01 李明 学费 5000 + 住宿费 2000 + 教材费 1000 = 8000 元；"
                     "教育 2020-10-01 李明 教材费 0.01 = 0.01 元",
         "files": "education.xlsx"},
    ]
    assert result.open_case_rows == 1
    assert result.window == (dt.date(2019, 12, 31), AS_OF)


def test_every_record_is_accounted_for(result):
    medical_count, education_count = result.counts
    assert medical_count.as_dict() == {
        "department": "医保", "file": "medical.xlsx", "sheet": "Sheet1", "header_row": 3, "read": 13,
        "matched": 10, "in_window": 5, "outside": 2, "unusable": 3, "unmatched": 1, "invalid": 2,
    }
    assert (education_count.read, education_count.in_window) == (2, 2)
    total = result.total()
    assert total.read == total.matched + total.unmatched + total.invalid == 15
    assert all(c.balanced for c in result.counts)
    assert len(result.matched) == total.in_window + total.outside
    assert (len(result.unmatched), len(result.invalid), len(result.unusable)) == (1, 2, 3)


def test_matched_records_say_where_they_stand(result):
    assert list(result.matched.columns) == [c.key for c in MATCHED.columns]
    shown = result.matched[["file", "row", "household_no", "member_name", "relation", "window", "status",
                            "listed"]]
    assert shown.values.tolist() == [
        ["medical.xlsx", 4, "H1", "赵秀兰", "配偶", "统计期内", "符合", "是"],
        ["medical.xlsx", 5, "H1", "王建国", "户主", "统计期内", "符合", "是"],
        ["medical.xlsx", 6, "H1", "王建国", "户主", "早于统计期", "符合", "否"],
        ["medical.xlsx", 7, "H1", "王建国", "户主", "晚于筛查基准日", "符合", "否"],
        ["medical.xlsx", 8, "H2", "李秀英", "户主", "统计期内", "符合", "否"],
        ["medical.xlsx", 9, "H3", "张三", "户主", "统计期内", "不符合", "否"],
        ["medical.xlsx", 10, "H4", "赵四", "户主", "统计期内", "资料不全", "否"],
        ["education.xlsx", 4, "H2", "李明", "子女", "统计期内", "符合", "是"],
        ["education.xlsx", 5, "H2", "李明", "子女", "统计期内", "符合", "是"],
    ]


def test_rejected_records_with_their_reasons(result):
    assert list(result.unmatched.columns) == [c.key for c in UNMATCHED.columns]
    assert result.unmatched[["row", "id_number", "record_name", "amount", "reason"]].values.tolist() == [
        [11, STRANGER, "陌生人", 50000.0, "监测户和家庭成员中没有此身份证号"],
    ]
    assert list(result.invalid.columns) == [c.key for c in INVALID.columns]
    assert result.invalid[["row", "cell", "id_text", "record_name", "reason"]].values.tolist() == [
        [12, "C12", "13043419700501", "短号", "身份证号应为 18 位（旧号码为 15 位），实际为 14 位"],
        [13, "C13", None, "无号", "身份证号为空"],
    ]
    assert list(result.unusable.columns) == [c.key for c in UNUSABLE.columns]
    assert result.unusable[["row", "household_no", "member_name", "reason"]].values.tolist() == [
        [14, "H1", "赵秀兰", "G14“个人自付”为负数（-100）"],
        [15, "H1", "王建国", "D15“出院日期”为空"],
        [16, "H1", "赵秀兰", "G16“个人自付”的值“五千”不是金额；没有个人自付金额，也没有可相减的医疗总费用和统筹支付"],
    ]


def test_an_id_registered_in_two_households_belongs_to_the_first():
    reg = register()
    twice = pd.concat([reg.members, pd.DataFrame([{"key": "H3", "id": SPOUSE1, "name": "赵秀兰",
                                                    "relation": "配偶", "household_no": "H3"}])],
                      ignore_index=True)
    found = screening.screen([medical((SPOUSE1, "赵秀兰", "2020-03-01", NAN, NAN, 6000.0))],
                             Register(reg.households, twice, reg.cases), policy=P, as_of=AS_OF, today=TODAY)
    assert found.candidates[["household_no", "amount"]].values.tolist() == [["H1", 6000.0]]


def test_no_candidates_and_the_window_follows_the_as_of_date():
    found = screening.screen([medical((HEAD1, "王建国", "2020-03-01", NAN, NAN, 4999.99))], register(),
                             policy=P, as_of=dt.date(2020, 6, 30), today=TODAY)
    assert found.candidates.empty and list(found.candidates.columns) == [c.key for c in CANDIDATES.columns]
    assert found.window == (dt.date(2019, 6, 30), dt.date(2020, 6, 30))
    assert found.matched["window"].tolist() == ["统计期内"]


def test_a_record_with_a_time_of_day_counts_by_its_day():
    found = screening.screen([medical(
        (HEAD1, "王建国", "2020-12-31 15:30", NAN, NAN, 3000.0),  # on the as-of date, in the afternoon: in
        (HEAD1, "王建国", "2019-12-31 10:00", NAN, NAN, 90000.0),  # the excluded first day: out
        (HEAD1, "王建国", "2020-01-01 00:01", NAN, NAN, 2000.0),  # the window's first day: in
    )], register(), policy=P, as_of=AS_OF, today=TODAY)
    assert found.matched["window"].tolist() == ["统计期内", "早于统计期", "统计期内"]
    assert found.candidates[["household_no", "amount"]].values.tolist() == [["H1", 5000.0]]


def test_an_id_stored_as_a_number_is_invalid_not_repaired():
    found = screening.screen([medical((130434197005011000.0, "王建国", "2020-03-01", NAN, NAN, 6000.0))],
                             register(), policy=P, as_of=AS_OF, today=TODAY)
    assert found.candidates.empty
    assert found.invalid[["cell", "id_text", "reason"]].values.tolist() == [[
        "C4", "1.30434197005011e+17",
        "身份证号被 Excel 存成了数字（如 1.30434E+17），末尾数字已丢失，请将该列设为文本后重新录入",
    ]]
