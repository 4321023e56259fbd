import datetime as dt
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fangpin_xl import cases
from fangpin_xl.cases import STAGE_DATES
from fangpin_xl.findings import FINDING_COLUMNS
from fangpin_xl.policy import Policy

P = Policy()
CHECK = dt.date(2020, 12, 31)

# A clean case found Wednesday 2020-04-29: due 2020-05-22 (DOMAIN.md example).
CLEAN = {
    "case_no": "A1",
    "household_no": "H1",
    "kind": "因病",
    "found_date": "2020-04-29",
    "found_way": "自下而上申请",
    "survey_date": "2020-04-30",
    "notice_start": "2020-05-06",
    "notice_end": "2020-05-10",
    "dept_check_date": "2020-05-11",
    "filing_date": "2020-05-12",
    "relief_amount": 6208.0,
    "payment_date": "2020-05-22",
    "stage": "已支付",
}


def frame(*rows: dict, start: int = 3) -> pd.DataFrame:
    """Cases with Excel-row index; date columns as datetime64 like the reader gives them."""
    records = [{**CLEAN, "case_no": f"A{i}", **row} for i, row in enumerate(rows, 1)]
    df = pd.DataFrame(records, index=range(start, start + len(records)))
    for key in STAGE_DATES:
        df[key] = pd.to_datetime(df[key])
    return df


def found(df: pd.DataFrame) -> list[tuple]:
    return [(row, f.code, f.severity, f.column, f.message) for row, f in df.iterrows()]


def test_clean_case_has_no_findings():
    result = cases.check_cases(frame({}), policy=P, check_date=CHECK)
    assert list(result.columns) == list(FINDING_COLUMNS)
    assert result.empty


def test_findings_are_indexed_by_the_input_rows():
    result = cases.order_findings(frame({}, {"survey_date": "2020-04-28"}, start=10))
    assert list(result.index) == [11]


# -- order ----------------------------------------------------------------------

def test_survey_before_discovery_is_reported_on_the_survey_cell():
    result = cases.order_findings(frame({"survey_date": "2020-04-28"}))
    assert found(result) == [(
        3, "date_order", "error", "survey_date",
        "入户查勘日期 2020-04-28 早于发现日期 2020-04-29：各环节应按程序顺序办理，请核对日期后更正。",
    )]


def test_order_compares_with_the_nearest_earlier_filled_date():
    # No survey: the notice start is compared with the discovery date.
    result = cases.order_findings(frame({"survey_date": None, "notice_start": "2020-04-28"}))
    assert found(result) == [(
        3, "date_order", "error", "notice_start",
        "公示开始 2020-04-28 早于发现日期 2020-04-29：各环节应按程序顺序办理，请核对日期后更正。",
    )]


def test_one_wrong_date_gives_one_order_finding_not_a_cascade():
    # Survey typed a year late: only the notice start (next stage) is out of order.
    result = cases.order_findings(frame({"survey_date": "2021-04-30"}))
    assert [(r[0], r[3]) for r in found(result)] == [(3, "notice_start")]


def test_equal_dates_are_in_order():
    same = dict.fromkeys(STAGE_DATES, "2020-05-06")
    assert cases.order_findings(frame(same)).empty


def test_notice_end_before_start_is_order_not_short_notice():
    df = frame({"notice_end": "2020-05-05"})
    assert [(r[1], r[3]) for r in found(cases.order_findings(df))] == [("date_order", "notice_end")]
    assert cases.notice_findings(df, P).empty


def test_own_code_pairs_are_not_order_findings():
    df = frame({"filing_date": "2020-05-09", "dept_check_date": None, "payment_date": "2020-05-08"})
    assert cases.order_findings(df).empty
    # Filed without a cross-check date: also a skipped stage (reported on the filing).
    assert [r[1] for r in found(cases.check_cases(df, policy=P, check_date=CHECK))] == [
        "filing_before_notice", "payment_before_filing", "stage_skipped",
    ]


def test_missing_dates_are_not_compared():
    df = frame({k: None for k in STAGE_DATES[1:]} | {"stage": "已发现", "relief_amount": None})
    assert cases.order_findings(df).empty


def test_text_left_in_a_date_column_is_not_a_date():
    # The reader turns "2020.4.1" into a date; text it could not read stays text and is
    # reported as wrong_type. The procedure checks read a cell as the formulas do.
    df = frame({}).astype({"survey_date": object})
    df.loc[3, "survey_date"] = "2020-04-01"
    assert found(cases.order_findings(df)) == []


# -- notice -----------------------------------------------------------------------

def test_five_days_inclusive_is_enough():
    # 05-06 .. 05-10 is five natural days counting both ends.
    assert cases.notice_findings(frame({}), P).empty


def test_four_days_is_too_short():
    result = cases.notice_findings(frame({"notice_end": "2020-05-09"}), P)
    assert found(result) == [(
        3, "notice_too_short", "error", "notice_end",
        "公示 2020-05-06 至 2020-05-09 共 4 天，少于规定的 5 天（首尾两天都计入）：请延长公示期或核对日期。",
    )]


def test_notice_over_a_holiday_counts_natural_days():
    # 05-01 .. 05-05 2020 are all holidays; still five days of notice.
    df = frame({"survey_date": "2020-04-30", "notice_start": "2020-05-01", "notice_end": "2020-05-05"})
    assert cases.notice_findings(df, P).empty


def test_notice_days_follow_the_policy():
    df = frame({})
    assert len(cases.notice_findings(df, replace(P, notice_days=6))) == 1


def test_one_day_notice():
    df = frame({"notice_start": "2020-05-10", "notice_end": "2020-05-10"})
    assert "共 1 天" in cases.notice_findings(df, P)["message"].iloc[0]


# -- filing and payment -------------------------------------------------------------

def test_filing_before_notice_end():
    df = frame({"dept_check_date": None, "filing_date": "2020-05-09"})
    assert found(cases.filing_findings(df)) == [(
        3, "filing_before_notice", "error", "filing_date",
        "备案日期 2020-05-09 早于公示结束 2020-05-10：应在公示期满、无异议后再备案，请核对。",
    )]


def test_filing_on_the_last_notice_day_is_accepted():
    df = frame({"dept_check_date": "2020-05-10", "filing_date": "2020-05-10"})
    assert cases.filing_findings(df).empty


def test_payment_before_filing_and_without_filing():
    df = frame({"payment_date": "2020-05-11"}, {"filing_date": None})
    assert found(cases.payment_findings(df)) == [
        (3, "payment_before_filing", "error", "payment_date",
         "支付日期 2020-05-11 早于备案日期 2020-05-12：应先向防贫机构备案再支付，请核对。"),
        (4, "payment_before_filing", "error", "payment_date",
         "已填写支付日期 2020-05-22，但未填写备案日期：应先向防贫机构备案再支付，请补填备案日期或核对。"),
    ]


def test_payment_on_filing_day_is_accepted():
    assert cases.payment_findings(frame({"payment_date": "2020-05-12"})).empty


# -- relief -----------------------------------------------------------------------

def test_relief_above_cap():
    df = frame({"relief_amount": 200000.01}, {"relief_amount": 200000.0})
    assert found(cases.relief_findings(df, P)) == [(
        3, "relief_above_cap", "error", "relief_amount",
        "救助金额 200000.01 元，超过单案救助上限 200000 元：请核减至上限以内。",
    )]


def judged(df: pd.DataFrame, **columns) -> pd.DataFrame:
    """A ``judge_relief`` frame for ``df``: every case 符合, the given columns set."""
    out = pd.DataFrame({c: "" for c in cases.JUDGED_COLUMNS}, index=df.index)
    out["status"], out["counted"] = "符合", True
    for name in ("spent", "allowed", "total_relief", "total_spent", "total_allowed"):
        out[name] = np.nan
    for name, values in columns.items():
        out[name] = values
    return out


def test_relief_above_table_uses_the_given_allowed_amounts():
    df = frame({"relief_amount": 6208.0}, {"relief_amount": 6209.0}, {"relief_amount": 5000.0})
    detail = ["因病，脱贫不稳定户，发现日期 2020-04-29 前12个月因病支出 41040 元"] * 3
    assert found(cases.relief_findings(df, P, judged(df, allowed=[6208.0, 6208.0, np.nan],
                                                     detail=detail))) == [(
        4, "relief_above_table", "error", "relief_amount",
        "救助金额 6209 元，超过按本县救助分档计算的 6208 元（因病，脱贫不稳定户，发现日期 2020-04-29 前12个月"
        "因病支出 41040 元）：请按救助标准核对金额。",
    )]


def test_relief_above_cap_is_not_also_above_table():
    df = frame({"relief_amount": 250000.0})
    result = cases.relief_findings(df, P, judged(df, allowed=[6208.0]))
    assert list(result["code"]) == ["relief_above_cap"]


# -- deadline ---------------------------------------------------------------------------

def test_paid_on_the_deadline_is_in_time():
    assert cases.deadline_findings(frame({}), P, CHECK).empty


def test_paid_a_day_after_the_deadline():
    df = frame({"payment_date": "2020-05-25"})
    assert found(cases.deadline_findings(df, P, CHECK)) == [(
        3, "deadline_passed", "error", "payment_date",
        "支付日期 2020-05-25 晚于办结时限 2020-05-22（发现日期 2020-04-29 起 15 个工作日）"
        "：程序超期，请核实原因并在备注中说明。",
    )]


def test_open_case_past_the_deadline_on_the_check_date():
    open_case = {"filing_date": None, "payment_date": None, "relief_amount": None, "stage": "已比对"}
    df = frame(open_case)
    assert cases.deadline_findings(df, P, dt.date(2020, 5, 22)).empty
    assert found(cases.deadline_findings(df, P, dt.date(2020, 5, 23))) == [(
        3, "deadline_passed", "error", "stage",
        "办结时限 2020-05-22（发现日期 2020-04-29 起 15 个工作日）已过，核查基准日 2020-05-23 "
        "仍未支付或终止：请尽快办结，或更新状态和各环节日期。",
    )]


def test_terminated_case_is_not_overdue():
    df = frame({"filing_date": None, "payment_date": None, "stage": "已终止"})
    assert cases.deadline_findings(df, P, CHECK).empty


def test_calendar_day_mode():
    policy = replace(P, deadline_mode="自然日")
    # 04-29 + 15 days = 05-14 (a Thursday, a working day).
    df = frame({"payment_date": "2020-05-15"})
    assert "晚于办结时限 2020-05-14（发现日期 2020-04-29 起 15 个自然日）" in (
        cases.deadline_findings(df, policy, CHECK)["message"].iloc[0]
    )


def test_given_deadlines_are_used():
    df = frame({})
    deadlines = pd.Series(pd.to_datetime(["2020-05-21"]), index=df.index)
    assert list(cases.deadline_findings(df, P, CHECK, deadlines=deadlines)["code"]) == ["deadline_passed"]


# -- stage label ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"stage": "已备案"}, "已填写支付日期，状态应为“已支付”，现为“已备案”：请更新状态。"),
        ({"payment_date": None, "relief_amount": None},
         "状态为“已支付”，但未填写支付日期：请补填该环节日期，或把状态改回实际进度。"),
        ({"stage": "已终止"}, "状态为“已终止”，但已填写支付日期：请核对案件是否已支付。"),
    ],
)
def test_stage_mismatch(change, message):
    assert found(cases.stage_findings(frame(change))) == [(3, "stage_mismatch", "warning", "stage", message)]


def test_stage_matches_dates():
    rows = [
        {"stage": "已发现", **dict.fromkeys(STAGE_DATES[1:])},
        {"stage": "已查勘", **dict.fromkeys(STAGE_DATES[2:])},
        {"stage": "公示中", **dict.fromkeys(STAGE_DATES[3:])},
        {"stage": "公示中", **dict.fromkeys(STAGE_DATES[4:])},
        {"stage": "已比对", **dict.fromkeys(STAGE_DATES[5:])},
        {"stage": "已备案", "payment_date": None},
        {"stage": "已终止", "payment_date": None},
        {"stage": ""},  # left to the required check
        {"stage": "办理中"},  # left to the choice check
    ]
    assert cases.stage_findings(frame(*rows)).empty


# -- property: order findings agree with a scalar reading of the rule -------------------------

dates_or_none = st.one_of(st.none(), st.dates(dt.date(2020, 1, 1), dt.date(2020, 1, 20)))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(dates_or_none, min_size=7, max_size=7), min_size=1, max_size=6))
def test_order_matches_scalar_reference(rows):
    df = pd.DataFrame(
        {key: pd.to_datetime(pd.Series([r[i] for r in rows], dtype=object)) for i, key in enumerate(STAGE_DATES)}
    )
    expected = set()
    for n, row in enumerate(rows):
        prev = None
        for i, key in enumerate(STAGE_DATES):
            if row[i] is None:
                continue
            if prev is not None and row[i] < row[prev] and (STAGE_DATES[prev], key) not in {
                ("notice_end", "filing_date"), ("filing_date", "payment_date")
            }:
                expected.add((n, key))
            prev = i
    result = cases.order_findings(df)
    assert set(zip(result.index, result["column"], strict=True)) == expected


# -- skipped stages -------------------------------------------------------------------------

def test_filed_and_paid_with_no_survey_notice_or_cross_check():
    skipped = dict.fromkeys(("survey_date", "notice_start", "notice_end", "dept_check_date"))
    df = frame(skipped, {**skipped, "filing_date": None}, {"survey_date": None, "stage": "已备案",
                                                           "payment_date": None, "relief_amount": None})
    assert found(cases.skipped_findings(df)) == [
        (3, "stage_skipped", "error", "filing_date",
         "已填写备案日期 2020-05-12，但未填写入户查勘日期、公示开始、公示结束、部门比对日期：备案前须完成入户查勘、"
         "村级评议公示和部门比对，请补填漏填的日期；确未办理的，应补办后再备案。"),
        (5, "stage_skipped", "error", "filing_date",
         "已填写备案日期 2020-05-12，但未填写入户查勘日期：备案前须完成入户查勘、村级评议公示和部门比对，"
         "请补填漏填的日期；确未办理的，应补办后再备案。"),
        (4, "stage_skipped", "error", "payment_date",
         "已填写支付日期 2020-05-22，但未填写入户查勘日期、公示开始、公示结束、部门比对日期：支付前须完成入户查勘、"
         "村级评议公示、部门比对和备案，请补填漏填的日期；确未办理的，应补办后再支付。"),
    ]
    # Row 4 (paid, no filing) is also payment_before_filing; every check of the case together:
    codes = found(cases.check_cases(df, policy=P, check_date=CHECK))
    assert [(r[0], r[1]) for r in codes if r[1] not in ("stage_mismatch", "deadline_passed")] == [
        (4, "payment_before_filing"), (3, "stage_skipped"), (5, "stage_skipped"), (4, "stage_skipped"),
    ]


def test_open_cases_before_filing_are_not_skipped():
    df = frame({"notice_start": None, "notice_end": None, "dept_check_date": None, "filing_date": None,
                "payment_date": None, "relief_amount": None, "stage": "已查勘"})
    assert cases.skipped_findings(df).empty


# -- each case judged by the 12 months before its discovery --------------------------------------

HOUSEHOLDS = pd.DataFrame({
    "household_no": ["H1", "H2", "H3", "H1"],
    "group": ["脱贫不稳定户", "边缘易致贫户", None, "边缘易致贫户"],
    "income_per_capita": [5000.0, 5000.0, 5000.0, 99999.0],
}, index=[3, 4, 5, 6])


def spending(*rows) -> pd.DataFrame:
    return pd.DataFrame([{"household_no": h, "kind": k, "date": pd.Timestamp(d), "amount": a}
                         for h, k, d, a in rows])


def test_relief_is_judged_by_the_window_of_its_discovery_date():
    # Hospital bills of Nov–Dec 2019, found and paid in Jan 2020, checked on 2020-12-31: the
    # check date's window holds none of it, the discovery date's window all of it.
    df = frame({"found_date": "2020-01-06", "survey_date": "2020-01-07", "notice_start": "2020-01-08",
                "notice_end": "2020-01-12", "dept_check_date": "2020-01-13", "filing_date": "2020-01-14",
                "payment_date": "2020-01-15"})
    bills = spending(("H1", "因病", "2019-11-20", 30000.0), ("H1", "因病", "2019-12-20", 11040.0),
                     ("H1", "因病", "2020-01-07", 99999.0), ("H1", "因学", "2019-12-01", 9000.0),
                     ("H1", "因病", "2019-01-06", 50000.0))
    result = cases.judge_relief(df, HOUSEHOLDS, bills, policy=P)
    # 2019-01-06 is exactly 12 months before: outside; 2020-01-07 is after the discovery: outside.
    assert result.loc[3, ["spent", "group", "status", "allowed", "detail", "counted"]].tolist() == [
        41040.0, "脱贫不稳定户", "符合", 6208.0, "因病，脱贫不稳定户，发现日期 2020-01-06 前12个月因病支出 41040 元",
        True,
    ]
    assert cases.check_cases(df, policy=P, check_date=CHECK, judged=result).empty


def test_relief_to_a_household_judged_ineligible_or_incomplete_is_an_error():
    df = frame({"relief_amount": 1000.0}, {"household_no": "H2", "relief_amount": 1000.0},
               {"household_no": "H3", "relief_amount": 1000.0}, {"kind": "因学", "relief_amount": 1000.0},
               {"household_no": "H2", "relief_amount": None, "payment_date": None, "stage": "已备案"})
    bills = spending(("H1", "因病", "2020-03-01", 41040.0), ("H2", "因病", "2020-03-01", 19999.0),
                     ("H3", "因病", "2020-03-01", 41040.0))
    result = cases.judge_relief(df, HOUSEHOLDS, bills, policy=P)
    assert result["status"].tolist() == ["符合", "不符合", "资料不全", "不符合", "不符合"]
    assert found(cases.relief_findings(df, P, result)) == [
        (4, "relief_ineligible", "error", "relief_amount",
         "救助金额 1000 元，但按发现日期 2020-04-29 前12个月的支出，本户“因病”救助判定为不符合（因病支出 19999 元，"
         "未达到 20000 元（差 1 元））：不符合条件的不应给予救助，请核对支出记录和户信息，或终止案件。"),
        (5, "relief_ineligible", "error", "relief_amount",
         "救助金额 1000 元，但按发现日期 2020-04-29 前12个月的支出，本户“因病”救助判定为资料不全（缺少户类型）"
         "：资料不全的应先补全户信息、核实资格后再救助，请核对。"),
        (6, "relief_ineligible", "error", "relief_amount",
         "救助金额 1000 元，但按发现日期 2020-04-29 前12个月的支出，本户“因学”救助判定为不符合（因学支出为 0 元）"
         "：不符合条件的不应给予救助，请核对支出记录和户信息，或终止案件。"),
    ]


def test_several_cases_of_one_kind_together_may_not_exceed_the_table():
    # 100,000 self-paid in Nov–Dec 2019 gives 22,500 in total; two payments of 14,000 each pass
    # one by one but not together. A third case found 13 months later starts a new chain.
    paid = {"survey_date": None, "notice_start": None, "notice_end": None, "dept_check_date": None}
    df = frame({**paid, "case_no": "A1", "found_date": "2020-01-05", "relief_amount": 14000.0},
               {**paid, "case_no": "A2", "found_date": "2020-03-05", "relief_amount": 14000.0},
               {**paid, "case_no": "A3", "found_date": "2020-02-01", "relief_amount": None,
                "stage": "已终止", "payment_date": None},
               {**paid, "case_no": "A4", "found_date": "2021-04-06", "relief_amount": 3000.0},
               {**paid, "case_no": "A5", "kind": "因学", "found_date": "2020-03-05", "relief_amount": 1000.0})
    bills = spending(("H1", "因病", "2019-11-20", 50000.0), ("H1", "因病", "2019-12-20", 50000.0),
                     ("H1", "因病", "2021-03-01", 25000.0), ("H1", "因学", "2020-01-01", 18000.0))
    result = cases.judge_relief(df, HOUSEHOLDS, bills, policy=P)
    assert result["allowed"].tolist() == [22500.0, 22500.0, 22500.0, 3000.0, 1000.0]
    assert result["earlier_cases"].tolist() == ["", "案件 A1 共 14000 元", "", "", ""]
    assert result.loc[4, ["total_relief", "total_spent", "total_allowed"]].tolist() == [
        28000.0, 100000.0, 22500.0]
    assert found(cases.relief_findings(df, P, result)) == [
        (4, "relief_total_above_table", "error", "relief_amount",
         "本户“因病”救助累计 28000 元（本案 14000 元，此前案件 A1 共 14000 元），超过按累计支出计算的 22500 元"
         "（2019-01-06 至 2020-03-05 因病支出 100000 元）：同一户同类多次救助，合计不得超过按合计支出计算的金额，"
         "请核减本案金额。"),
    ]


def test_cumulative_relief_within_the_table_passes():
    df = frame({"case_no": "A1", "found_date": "2020-01-05", "relief_amount": 8000.0},
               {"case_no": "A2", "found_date": "2020-03-05", "relief_amount": 14500.0})
    bills = spending(("H1", "因病", "2019-11-20", 50000.0), ("H1", "因病", "2020-02-20", 50000.0))
    result = cases.judge_relief(df, HOUSEHOLDS, bills, policy=P)
    assert result["allowed"].tolist() == [8000.0, 22500.0]
    assert result.loc[4, "total_relief"] == 22500.0
    assert cases.relief_findings(df, P, result).empty


def test_cases_that_cannot_be_judged():
    df = frame({"household_no": "H9"}, {"found_date": None}, {"kind": "其他"})
    result = cases.judge_relief(df, HOUSEHOLDS, spending(), policy=P)
    assert result["status"].tolist() == ["", "", ""]
    assert result["allowed"].isna().all()
    assert cases.relief_findings(df, P, result).empty
