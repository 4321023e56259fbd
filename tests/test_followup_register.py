"""The follow-up register core: quarters owed and visited, missed quarters, helpers, visit rows."""

import datetime as dt
from dataclasses import replace

import pandas as pd

from fangpin_xl.followup_register import follow_up_register
from fangpin_xl.keys import match_keys
from fangpin_xl.policy import Policy

P = Policy()
AS_OF = dt.date(2020, 8, 15)  # the third quarter, half way
TODAY = dt.date(2020, 9, 1)


def households() -> pd.DataFrame:
    return pd.DataFrame({
        "household_no": ["H1", "H2", "H3", "H4", "H5", "h1", None],
        "village": ["东村", "东村", "西村", "西村", "西村", "东村", "西村"],
        "head_name": ["甲", "乙", "丙", "丁", "戊", "甲", "己"],
        "helper": ["张伟", "张伟", "刘芳", None, "刘芳", "张伟", "刘芳"],
        "monitored_since": pd.to_datetime(["2019-05-01", "2020-02-10", None, "2019-01-01", "2019-01-01",
                                           None, None]),
        "risk_status": ["未消除", "未消除", "未消除", "未消除", "已消除", "未消除", "未消除"],
    }, index=range(3, 10))


def visits() -> pd.DataFrame:
    rows = [
        ("H1", "2020-01-05"), ("H1", "2020-07-20"),  # Q1, Q3: Q2 missed
        ("H2", "2020-05-01"),  # monitored in Q1: owes from Q2; Q3 not yet
        ("H3", "2020-03-31"), ("H3", "2020-04-01"), ("h3", "2020-08-15"),  # every quarter, as-of day counts
        ("H4", "2020-08-20"),  # after the as-of date: not counted yet
        ("H4", "2020-09-02"),  # after today: a mistake
        ("H9", "2020-02-01"),  # no such household
        (None, "2020-02-01"),  # no household number
        ("H5", None),  # no date
    ]
    return pd.DataFrame(rows, columns=["household_no", "visit_date"], index=range(3, 3 + len(rows))).assign(
        visit_date=lambda f: pd.to_datetime(f["visit_date"]), helper="张伟")


def register(policy=P, as_of=AS_OF):
    h, v = households(), visits()
    return follow_up_register(h, v, policy=policy, as_of=as_of, today=TODAY,
                              household_keys=match_keys(h["household_no"]), visit_keys=match_keys(v["household_no"]),
                              townships=pd.Series("东代固乡", index=h.index))


def test_quarters_owed_and_visited():
    r = register()
    assert r.label(r.periods).tolist() == ["2020年第1季度", "2020年第2季度", "2020年第3季度"]
    hh = r.households
    # One row per household number (the repeated h1 on row 8 is counted once, on row 3).
    assert hh.index.tolist() == [3, 4, 5, 6, 7]
    assert hh["last_visit"].tolist() == [pd.Timestamp("2020-07-20"), pd.Timestamp("2020-05-01"),
                                         pd.Timestamp("2020-08-15"), pd.NaT, pd.NaT]
    assert hh["next_visit_due"].tolist() == [pd.Timestamp("2020-12-31"), pd.Timestamp("2020-09-30"),
                                             pd.Timestamp("2020-12-31"), pd.Timestamp("2019-06-30"), pd.Timestamp("2019-06-30")]
    # H4 has never been visited (its only visits are after the as-of date): overdue; H5 left monitoring.
    assert hh["overdue"].tolist() == [False, False, False, True, False]
    assert hh["helper"].tolist() == ["张伟", "张伟", "刘芳", "（未填写）", "刘芳"]
    owed = {(row, r.label([p])[0]): visited for row, p, visited in r.owed.itertuples(index=False)}
    assert owed == {
        (3, "2020年第1季度"): True, (3, "2020年第2季度"): False, (3, "2020年第3季度"): True,
        (4, "2020年第2季度"): True, (4, "2020年第3季度"): False,
        (5, "2020年第1季度"): True, (5, "2020年第2季度"): True, (5, "2020年第3季度"): True,
        (6, "2020年第1季度"): False, (6, "2020年第2季度"): False, (6, "2020年第3季度"): False,
    }
    assert r.not_visited_now().index.tolist() == [4, 6]
    assert [(row, r.label([p])[0]) for row, p, _ in r.missed().itertuples(index=False)] == [
        (3, "2020年第2季度"), (6, "2020年第1季度"), (6, "2020年第2季度")]


def test_coverage_by_village_and_helper():
    r = register()
    by_village = r.coverage(["village"])
    assert by_village[["period", "village", "owed", "visited", "missing"]].assign(
        period=lambda f: r.label(f["period"])).values.tolist() == [
        ["2020年第1季度", "东村", 1, 1, 0], ["2020年第1季度", "西村", 2, 1, 1],
        ["2020年第2季度", "东村", 2, 1, 1], ["2020年第2季度", "西村", 2, 1, 1],
        ["2020年第3季度", "东村", 2, 1, 1], ["2020年第3季度", "西村", 2, 1, 1],
    ]
    assert by_village["rate"].tolist() == [1.0, 0.5, 0.5, 0.5, 0.5, 0.5]
    now = r.coverage(["helper"])
    now = now[now["period"] == r.current]
    assert now[["helper", "owed", "visited"]].values.tolist() == [["刘芳", 1, 1], ["张伟", 2, 1], ["（未填写）", 1, 0]]


def test_visit_rows_accounted_for():
    r = register()
    assert r.visits["reason"].to_dict() == {
        3: "", 4: "", 5: "", 6: "", 7: "", 8: "", 9: "回访日期晚于统计基准日", 10: "回访日期晚于今天",
        11: "户编号在“监测户”表中不存在", 12: "没有户编号", 13: "回访日期为空或无法识别",
    }
    assert len(r.visits) == int(r.visits["counted"].sum()) + int((~r.visits["counted"]).sum()) == 11
    # Four mistakes in the visits, and one repeated household number.
    assert r.repeated.to_dict() == {8: 3}
    assert r.errors == 5


def test_helpers_over_the_limit():
    r = register(replace(P, max_households_per_helper=1))
    assert r.helpers.values.tolist() == [
        ["东代固乡", "刘芳", 1, False], ["东代固乡", "张伟", 2, True], ["东代固乡", "（未填写）", 1, False]]


def test_monthly_periods():
    r = register(replace(P, visit_interval_months=1), as_of=dt.date(2020, 3, 10))
    assert r.label(r.periods).tolist() == ["2020年1月", "2020年2月", "2020年3月"]
    assert r.households.loc[3, "next_visit_due"] == pd.Timestamp("2020-02-29")


def test_no_visits_at_all():
    h = households()
    empty = pd.DataFrame({"household_no": pd.Series(dtype=object), "visit_date": pd.Series(dtype="datetime64[ns]")})
    r = follow_up_register(h, empty, policy=P, as_of=AS_OF, today=TODAY, household_keys=match_keys(h["household_no"]),
                           visit_keys=match_keys(empty["household_no"]), townships=pd.Series("东代固乡", index=h.index))
    assert r.not_visited_now().index.tolist() == [3, 4, 5, 6]
    assert r.problems.empty and r.errors == 1
