import datetime as dt
from dataclasses import replace

import pandas as pd
import pytest

from fangpin_xl import followup
from fangpin_xl.followup import quarter_start
from fangpin_xl.policy import Policy

P = Policy()
CHECK = dt.date(2020, 12, 31)


def households(*rows: dict, start: int = 3) -> pd.DataFrame:
    base = {"household_no": None, "monitored_since": None, "risk_status": "未消除"}
    df = pd.DataFrame([{**base, **r} for r in rows], index=range(start, start + len(rows)))
    df["monitored_since"] = pd.to_datetime(df["monitored_since"])
    return df


def visits(*rows: dict, start: int = 3) -> pd.DataFrame:
    base = {
        "household_no": None, "helper": "王芳", "visit_date": None,
        "food_clothing": "是", "education_ok": "是", "medical_ok": "是", "housing_ok": "是", "water_ok": "是",
        "problem": None, "action": None, "escalated_to": None,
    }
    df = pd.DataFrame([{**base, **r} for r in rows], index=range(start, start + len(rows)),
                      columns=list(base))
    df["visit_date"] = pd.to_datetime(df["visit_date"])
    return df


def found(df: pd.DataFrame) -> list[tuple]:
    return [(row, f.code, f.severity, f.column, f.message) for row, f in df.iterrows()]


@pytest.mark.parametrize(
    ("day", "start"),
    [(dt.date(2020, 1, 1), dt.date(2020, 1, 1)), (dt.date(2020, 3, 31), dt.date(2020, 1, 1)),
     (dt.date(2020, 4, 1), dt.date(2020, 4, 1)), (dt.date(2020, 12, 31), dt.date(2020, 10, 1))],
)
def test_quarter_start(day, start):
    assert quarter_start(day) == start


def test_coverage():
    h = households({"household_no": "H1"}, {"household_no": "H2"}, {"household_no": "H3"})
    v = visits(
        {"household_no": "H1", "visit_date": "2020-06-01"},
        {"household_no": "H1", "visit_date": "2020-10-01"},
        {"household_no": "h1", "visit_date": "2020-12-31"},  # case is ignored, like Excel's =
        {"household_no": "H2", "visit_date": "2020-09-30"},
        {"household_no": "H2", "visit_date": None},
    )
    cov = followup.visit_coverage(h, v, policy=P, check_date=CHECK)
    assert list(cov.index) == [3, 4, 5]
    assert list(cov["last_visit"]) == [pd.Timestamp("2020-12-31"), pd.Timestamp("2020-09-30"), pd.NaT]
    # The calendar-quarter rule: a Q4 visit is due again by the end of Q1, a Q3 one by the end of Q4.
    assert list(cov["next_visit_due"]) == [pd.Timestamp("2021-03-31"), pd.Timestamp("2020-12-31"), pd.NaT]
    assert list(cov["visits_this_quarter"]) == [2, 0, 0]
    assert list(cov["visited_this_quarter"]) == [True, False, False]
    assert list(cov["overdue"]) == [False, False, True]


def test_overdue_when_a_whole_quarter_passed_without_a_visit():
    h = households({"household_no": "H1"}, {"household_no": "H2"}, {"household_no": "H3"})
    v = visits({"household_no": "H1", "visit_date": "2020-06-30"},
               {"household_no": "H2", "visit_date": "2020-07-01"},
               {"household_no": "H3", "visit_date": "2020-01-05"})
    # H1: Q2 visit, due 09-30, missed Q3: overdue. H2: Q3 visit, due 12-31 = the check date: in
    # time. H3: 01-05 covers Q1, due 06-30 (not 04-05): overdue by the check date.
    assert found(followup.overdue_findings(h, v, policy=P, check_date=CHECK)) == [
        (3, "visit_overdue", "warning", "household_no",
         "最近回访 2020-06-30，下次回访应不晚于 2020-09-30（每户每个季度至少回访一次），核查基准日 2020-12-31 已逾期"
         "：请安排帮扶人回访，并在“帮扶”表登记。"),
        (5, "visit_overdue", "warning", "household_no",
         "最近回访 2020-01-05，下次回访应不晚于 2020-06-30（每户每个季度至少回访一次），核查基准日 2020-12-31 已逾期"
         "：请安排帮扶人回访，并在“帮扶”表登记。"),
    ]


def test_a_visit_on_01_05_is_not_overdue_on_04_06():
    # The old rolling rule flagged this household on 04-06; the second quarter runs to 06-30.
    h = households({"household_no": "H1"})
    v = visits({"household_no": "H1", "visit_date": "2020-01-05"})
    assert followup.overdue_findings(h, v, policy=P, check_date=dt.date(2020, 4, 6)).empty
    assert followup.overdue_findings(h, v, policy=P, check_date=dt.date(2020, 6, 30)).empty
    assert len(followup.overdue_findings(h, v, policy=P, check_date=dt.date(2020, 7, 1))) == 1


def test_due_on_the_check_date_is_in_time():
    h = households({"household_no": "H1"})
    v = visits({"household_no": "H1", "visit_date": "2020-09-30"})
    assert followup.overdue_findings(h, v, policy=P, check_date=dt.date(2020, 12, 31)).empty
    assert len(followup.overdue_findings(h, v, policy=P, check_date=dt.date(2021, 1, 1))) == 1


def test_never_visited():
    h = households(
        {"household_no": "H1", "monitored_since": "2020-06-15"},  # first visit due 09-30: overdue
        {"household_no": "H2", "monitored_since": "2020-07-01"},  # due 12-31: not yet
        {"household_no": "H3"},  # no date: overdue at once
        {"household_no": "H4", "risk_status": "已消除"},  # left monitoring
        {"household_no": None},  # no key: not a household
    )
    cov = followup.visit_coverage(h, visits(), policy=P, check_date=CHECK)
    assert list(cov["next_visit_due"]) == [pd.Timestamp("2020-09-30"), pd.Timestamp("2020-12-31"),
                                           pd.NaT, pd.NaT, pd.NaT]
    assert found(followup.overdue_findings(h, visits(), policy=P, check_date=CHECK)) == [
        (3, "visit_overdue", "warning", "household_no",
         "纳入监测日期 2020-06-15 以来没有回访记录（每户每个季度至少回访一次，首次回访应不晚于 2020-09-30）"
         "：请安排帮扶人回访，并在“帮扶”表登记。"),
        (5, "visit_overdue", "warning", "household_no",
         "纳入监测以来没有回访记录（每户每个季度至少回访一次）：请安排帮扶人回访，并在“帮扶”表登记。"),
    ]


def test_period_follows_the_policy():
    h = households({"household_no": "H1"})
    v = visits({"household_no": "H1", "visit_date": "2020-04-15"})
    assert len(followup.overdue_findings(h, v, policy=P, check_date=CHECK)) == 1
    half_year = replace(P, visit_interval_months=6)
    # 04-15 is in the first half-year: the next visit is due by the end of the second.
    assert followup.overdue_findings(h, v, policy=half_year, check_date=CHECK).empty
    monthly = replace(P, visit_interval_months=1)
    assert found(followup.overdue_findings(h, v, policy=monthly, check_date=dt.date(2020, 6, 1)))[0][4] == (
        "最近回访 2020-04-15，下次回访应不晚于 2020-05-31（每户每月至少回访一次），核查基准日 2020-06-01 已逾期"
        "：请安排帮扶人回访，并在“帮扶”表登记。")


def test_missing_visit_sheet_columns():
    h = households({"household_no": "H1", "monitored_since": "2020-12-01"})
    empty = pd.DataFrame(index=pd.RangeIndex(0))
    assert followup.overdue_findings(h, empty, policy=P, check_date=CHECK).empty
    assert followup.problem_findings(empty).empty


_OPEN = ("回访发现“两不愁三保障”问题（{}为“否”），但没有填写处理措施，也没有上报，之后的回访也没有显示已解决"
         "：请填写处理措施；帮扶人解决不了的，上报村两委或乡镇并在“上报”列注明。")


def test_open_problem():
    v = visits(
        {"household_no": "H1", "visit_date": "2020-10-01", "education_ok": "否", "housing_ok": "否"},
        {"household_no": "H2", "visit_date": "2020-10-02", "medical_ok": "否", "action": "联系村医"},
        {"household_no": "H3", "visit_date": "2020-10-03", "water_ok": "否", "escalated_to": "乡镇"},
        {"household_no": "H4", "visit_date": "2020-10-04", "water_ok": "否", "escalated_to": "无"},
        {"household_no": "H5", "visit_date": "2020-10-05", "problem": "屋顶漏雨"},  # all 是: no 否 answer
        # H1's later visit finds education secured again; housing was not asked (blank).
        {"household_no": "h1", "visit_date": "2020-11-01", "housing_ok": None},
    )
    assert found(followup.problem_findings(v)) == [
        (3, "visit_problem_open", "warning", "action", _OPEN.format("住房安全有保障")),
        (6, "visit_problem_open", "warning", "action", _OPEN.format("饮水安全有保障")),
    ]


def test_a_later_visit_or_measure_resolves_a_problem():
    v = visits(
        {"household_no": "H1", "visit_date": "2020-04-01", "water_ok": "否"},
        {"household_no": "H1", "visit_date": "2020-07-01", "water_ok": "否"},  # same problem, still open
        {"household_no": "H1", "visit_date": "2020-10-01"},  # water 是: both resolved
        {"household_no": "H2", "visit_date": "2020-04-01", "food_clothing": "否"},
        {"household_no": "H2", "visit_date": "2020-05-01", "food_clothing": "否", "action": "发放物资"},
        {"household_no": "H3", "visit_date": "2020-10-01", "housing_ok": "否", "escalated_to": "村两委"},
        {"household_no": "H3", "visit_date": "2020-09-01", "housing_ok": "是"},  # earlier: no help
        {"household_no": None, "visit_date": "2020-10-01", "medical_ok": "否"},
    )
    assert [row for row, *_ in found(followup.problem_findings(v))] == [10]
    problems = followup.open_problems(v, as_of=dt.date(2020, 11, 1), open_days=30)
    assert problems.to_dict("index") == {
        8: {"questions": "住房安全有保障", "escalated_to": "村两委", "days_open": 31, "escalated": True,
            "long_open": True},
        10: {"questions": "基本医疗有保障", "escalated_to": "", "days_open": 31, "escalated": False,
             "long_open": True},
    }
    assert followup.open_problems(v, as_of=dt.date(2020, 10, 31), open_days=30)["long_open"].tolist() == [
        False, False]


def test_open_problems_listed_once_at_the_first_visit():
    v = visits(
        {"household_no": "H1", "visit_date": "2020-04-01", "water_ok": "否", "escalated_to": "乡镇"},
        {"household_no": "H1", "visit_date": "2020-07-01", "water_ok": "否", "medical_ok": "否"},
        {"household_no": "H1", "visit_date": "2020-08-01", "medical_ok": "是", "water_ok": None},
    )
    problems = followup.open_problems(v, as_of=dt.date(2020, 12, 31), open_days=30)
    assert problems[["questions", "days_open", "escalated"]].to_dict("index") == {
        3: {"questions": "饮水安全有保障", "days_open": 274, "escalated": True}}


# -- the calendar-quarter rule (DOMAIN.md) -------------------------------------------------

@pytest.mark.parametrize(
    ("last", "due"),
    [
        ("2020-01-05", "2020-06-30"),  # DOMAIN.md: a visit on 01-05 covers Q1, the next is due by 06-30
        ("2020-01-01", "2020-06-30"),
        ("2020-03-31", "2020-06-30"),
        ("2020-04-05", "2020-09-30"),  # not 07-05
        ("2020-04-01", "2020-09-30"),
        ("2020-07-15", "2020-12-31"),
        ("2020-09-30", "2020-12-31"),
        ("2020-10-01", "2021-03-31"),
        ("2020-12-15", "2021-03-31"),
        ("2019-11-30", "2020-03-31"),  # leap years do not matter: a quarter's last day is fixed
        ("1969-12-31", "1970-03-31"),
        ("2020-05-20 15:30", "2020-09-30"),
    ],
)
def test_next_quarter_visit_due(last, due):
    result = followup.next_quarter_visit_due(pd.Series([pd.Timestamp(last)], index=[7]))
    assert result.index.tolist() == [7]
    assert result.tolist() == [pd.Timestamp(due)]


def test_next_quarter_visit_due_keeps_missing_and_quarter_ends():
    dates = pd.Series([pd.Timestamp("2020-02-29"), pd.NaT, pd.Timestamp("2020-11-02")])
    assert followup.next_quarter_visit_due(dates).tolist() == [
        pd.Timestamp("2020-06-30"), pd.NaT, pd.Timestamp("2021-03-31")]
    assert followup.quarter_ends(dates).tolist() == [
        pd.Timestamp("2020-03-31"), pd.NaT, pd.Timestamp("2020-12-31")]


def test_visited_in_quarter():
    visits = pd.Series(pd.to_datetime(["2020-01-05", None, "2020-07-31", "2019-04-01"]))
    days = pd.Series(pd.to_datetime(["2020-03-31", "2020-04-01", "2020-09-30", "2020-10-01",
                                     "2019-06-30", "2021-01-05", None]), index=range(10, 17))
    result = followup.visited_in_quarter(visits, days)
    assert result.index.tolist() == list(range(10, 17))
    assert result.tolist() == [True, False, True, False, True, False, pd.NA]


def test_visited_in_quarter_without_visits():
    result = followup.visited_in_quarter(pd.Series([pd.NaT]), pd.Series(pd.to_datetime(["2020-03-31"])))
    assert result.tolist() == [False]


@pytest.mark.parametrize(
    ("months", "last", "due"),
    [(1, "2020-01-31", "2020-02-29"), (2, "2020-02-10", "2020-04-30"), (4, "2020-05-01", "2020-12-31"),
     (6, "2020-06-30", "2020-12-31"), (6, "2020-07-01", "2021-06-30"), (12, "2020-01-01", "2021-12-31")],
)
def test_next_visit_due_by_calendar_period(months, last, due):
    assert followup.next_visit_due(pd.Series([pd.Timestamp(last)]), months).tolist() == [pd.Timestamp(due)]


def test_period_labels():
    dates = pd.Series(pd.to_datetime(["2020-01-05", "2020-05-31", "2020-12-31"]))
    labels = {m: followup.period_label(followup.period_numbers(dates, m)[0], m).tolist()
              for m in (1, 2, 3, 6, 12)}
    assert labels == {
        1: ["2020年1月", "2020年5月", "2020年12月"],
        2: ["2020年1–2月", "2020年5–6月", "2020年11–12月"],
        3: ["2020年第1季度", "2020年第2季度", "2020年第4季度"],
        6: ["2020年上半年", "2020年上半年", "2020年下半年"],
        12: ["2020年", "2020年", "2020年"],
    }
    assert followup.period_rule_text(3) == "每个季度"
