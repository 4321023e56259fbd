"""derive: the Python side of the workbook's computed columns, exact values."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fangpin_xl import rules, workdays
from fangpin_xl.derive import (
    CASE_COLUMNS,
    HOUSEHOLD_COLUMNS,
    Place,
    default_check_date,
    derive_cases,
    derive_households,
    shown_cases,
    shown_households,
    spending_events,
    spending_window,
    window_sums,
)
from fangpin_xl.formulas import NEVER_VISITED
from fangpin_xl.policy import Policy

T = pd.Timestamp
POLICY = Policy()
CHECK = dt.date(2020, 12, 31)


def households(keys, groups=None, incomes=None, index=None) -> pd.DataFrame:
    n = len(keys)
    return pd.DataFrame(
        {
            "household_no": keys,
            "group": groups or ["脱贫不稳定户"] * n,
            "income_per_capita": incomes or [5000.0] * n,
        },
        index=index,
    )


def spending(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["household_no", "kind", "date", "amount"])


# -- the 12-month window -----------------------------------------------------------

def test_window_rule_is_edate_exclusive_start_inclusive_end():
    # Rule: EDATE(check, -12) < date <= check.
    assert spending_window(CHECK, POLICY) == (T("2019-12-31"), T("2020-12-31"))
    # EDATE clips to the month's end: 12 months before 2020-02-29 is 2019-02-28.
    assert spending_window(dt.date(2020, 2, 29), POLICY) == (T("2019-02-28"), T("2020-02-29"))


@pytest.mark.parametrize(
    ("check", "outside", "inside"),
    [
        (dt.date(2020, 12, 31), "2019-12-31", "2020-01-01"),
        (dt.date(2020, 2, 29), "2019-02-28", "2019-03-01"),
        (dt.date(2021, 2, 28), "2020-02-28", "2020-02-29"),
    ],
)
def test_window_edges(check, outside, inside):
    events = spending([
        ("H1", "因病", T(outside), 1000.0),  # exactly 12 months before: outside
        ("H1", "因病", T(inside), 20.0),  # one day later: inside
        ("H1", "因病", T(check), 3.0),  # the check date itself: inside
        ("H1", "因病", T(check) + pd.Timedelta(days=1), 400.0),  # after the check date: outside
    ])
    result = derive_households(households(["H1"]), events, None, policy=POLICY, check_date=check)
    assert result.loc[0, "medical"] == 23.0


def test_window_follows_policy_months():
    policy = replace(POLICY, spending_window_months=6)
    events = spending([("H1", "因学", T("2020-06-30"), 1.0), ("H1", "因学", T("2020-07-01"), 2.0)])
    result = derive_households(households(["H1"]), events, None, policy=policy, check_date=CHECK)
    assert result.loc[0, "education"] == 2.0


@pytest.mark.parametrize("check", [CHECK, T("2020-12-31 09:00"), dt.datetime(2020, 12, 31, 23, 59)])
def test_the_window_counts_whole_days_whatever_the_time_of_day(check):
    # The 12 months end with the whole check date and begin the day after 2019-12-31,
    # whatever time a pasted 发生日期 (or the check date) carries.
    events = spending([
        ("H1", "因病", T("2019-12-31 00:00"), 1.0),        # the excluded first day: out
        ("H1", "因病", T("2019-12-31 10:00"), 2.0),        # the same day at 10:00: out
        ("H1", "因病", T("2019-12-31 23:59:59"), 4.0),     # the same day, last second: out
        ("H1", "因病", T("2020-01-01 00:00"), 8.0),        # the next day at midnight: in
        ("H1", "因病", T("2020-01-01 08:30"), 16.0),       # the next day: in
        ("H1", "因病", T("2020-12-31 00:00"), 32.0),       # the check date: in
        ("H1", "因病", T("2020-12-31 15:30"), 64.0),       # the check date at 15:30: in
        ("H1", "因病", T("2020-12-31 23:59:59"), 128.0),   # the check date, last second: in
        ("H1", "因病", T("2021-01-01 00:00"), 256.0),      # the day after: out
        ("H1", "因病", T("2021-01-01 00:01"), 512.0),      # out
        ("H2", "因学", T("2020-12-31 15:30"), 8000.0),     # exactly at a 超过 threshold: not over it
        ("H2", "因学", T("2019-12-31 10:00"), 500.0),      # out: would lift it over the threshold
        ("H3", "因学", T("2020-12-31 15:30"), 8000.01),    # over the threshold on the check date
    ])
    result = derive_households(households(["H1", "H2", "H3"]), events, None, policy=POLICY, check_date=check)
    assert result["medical"].tolist() == [8.0 + 16.0 + 32.0 + 64.0 + 128.0, 0.0, 0.0]
    assert result["education"].tolist() == [0.0, 8000.0, 8000.01]
    assert result["status"].tolist() == ["不符合", "不符合", "符合"]


def test_a_text_amount_is_a_problem_by_the_day_of_its_date():
    # The note of a text amount follows the same window: the check date at 15:30 is inside,
    # 10:00 on the excluded first day is not.
    events = spending([
        ("H1", "因病", T("2019-12-31 10:00"), "6000"),
        ("H2", "因病", T("2020-12-31 15:30"), "6000"),
    ])
    result = derive_households(households(["H1", "H2"]), events, None, policy=POLICY, check_date=CHECK)
    assert result["medical_note"].tolist() == [None, "数据格式有误：支出!F4 金额是文本"]


def test_window_sums_compare_days():
    # The relief window of a case found 2020-06-10 at 16:00: 2019-06-10 < day <= 2020-06-10.
    events = spending_events(spending([
        ("H1", "因病", T("2019-06-10 09:00"), 1.0),   # out
        ("H1", "因病", T("2019-06-11 09:00"), 2.0),   # in
        ("H1", "因病", T("2020-06-10 18:45"), 4.0),   # in: spent on the discovery day
        ("H1", "因病", T("2020-06-11 00:30"), 8.0),   # out: after the discovery
    ]))
    assert events["date"].tolist() == [T("2019-06-10"), T("2019-06-11"), T("2020-06-10"), T("2020-06-11")]
    sums = window_sums(events, pd.Series(["H1"]), pd.Series(["因病"]),
                       pd.Series([T("2019-06-10 16:00")]), pd.Series([T("2020-06-10 16:00")]))
    assert sums.tolist() == [6.0]


# -- sums, matching, leftovers --------------------------------------------------------

def test_sums_per_kind_and_household():
    events = spending([
        ("H1", "因病", T("2020-03-01"), 3000.0),
        ("H1", "因病", T("2020-04-01"), 2000.0),
        ("H1", "因学", T("2020-04-01"), 8000.01),
        ("H1", "因意外", T("2020-05-01"), 10000.0),
        ("H1", "因产业", T("2020-05-01"), 0.5),
        ("H2", "因病", T("2020-05-01"), 19999.99),
        ("H9", "因病", T("2020-05-01"), 99999.0),  # no such household
        ("H1", "其他", T("2020-05-01"), 50000.0),  # not a spending kind
    ])
    result = derive_households(households(["H1", "H2", "H3"]), events, None, policy=POLICY, check_date=CHECK)
    assert result["medical"].tolist() == [5000.0, 19999.99, 0.0]
    assert result["education"].tolist() == [8000.01, 0.0, 0.0]
    assert result["accident"].tolist() == [10000.0, 0.0, 0.0]
    assert result["industry"].tolist() == [0.5, 0.0, 0.0]


def test_text_leftovers_count_as_missing():
    events = spending([
        ("H1", "因病", T("2020-03-01"), "5,000元"),  # text amount: skipped like SUMPRODUCT does
        ("H1", "因病", T("2020-03-01"), "5000"),  # even plain-number text: Excel sees text
        ("H1", "因病", "2020.3.1", 700.0),  # text date: not a number in Excel
        ("H1", "因病", None, 800.0),  # no date
        ("H1", "因病", T("2020-03-01"), None),  # no amount
        ("H1", "因病", T("2020-03-01"), 4.0),
    ])
    result = derive_households(households(["H1"]), events, None, policy=POLICY, check_date=CHECK)
    assert result.loc[0, "medical"] == 4.0


def test_household_numbers_match_by_the_one_key_normaliser():
    events = spending([
        ("h1", "因病", T("2020-03-01"), 1.0),  # case is ignored
        ("Ｈ1 ", "因病", T("2020-03-01"), 10.0),  # so are width and spaces (keys.match_keys)
        ("H2", "因病", T("2020-03-01"), 1000.0),  # another household
        (101, "因病", T("2020-03-01"), 100.0),  # a number is written as its text
    ])
    result = derive_households(households(["H1", "101"]), events, None, policy=POLICY, check_date=CHECK)
    assert result["medical"].tolist() == [11.0, 100.0]


def test_rows_without_household_number_get_nothing():
    hh = households(["H1", None, ""], index=[3, 4, 5])
    events = spending([("H1", "因病", T("2020-03-01"), 1.0)])
    visits = pd.DataFrame({"household_no": ["H1"], "visit_date": [T("2020-03-01")]})
    result = derive_households(hh, events, visits, policy=POLICY, check_date=CHECK)
    assert list(result.index) == [3, 4, 5]
    assert list(result.columns) == list(HOUSEHOLD_COLUMNS)
    assert result.loc[3, "medical"] == 1.0
    for row in (4, 5):
        assert np.isnan(result.loc[row, "medical"])
        assert result.loc[row, "status"] == "" and result.loc[row, "met_text"] == ""
        assert result.loc[row, "reasons"] == ""
        assert pd.isna(result.loc[row, "last_visit"]) and pd.isna(result.loc[row, "next_visit_due"])


def test_status_is_the_rule_on_the_sums():
    hh = households(
        ["A", "B", "C", "D", "E"],
        groups=["脱贫不稳定户", "边缘易致贫户", "突发严重困难户", "一般户", "边缘易致贫户"],
        incomes=[6000.0, 6000.01, None, 100.0, "不详"],
    )
    events = spending([
        ("A", "因病", T("2020-03-01"), 5000.0),
        ("B", "因病", T("2020-03-01"), 20000.0),
        ("C", "因学", T("2020-03-01"), 8000.0),
        ("C", "因意外", T("2020-03-01"), 10000.01),
    ])
    result = derive_households(hh, events, None, policy=POLICY, check_date=CHECK)
    # A status that cannot be judged names its cell (template layout: data from row 3).
    notes = ["资料不全：G6 户类型不是可选值", "数据格式有误：H7 人均可支配收入是文本"]
    assert result["status"].tolist() == ["符合", "不符合", "符合", *notes]
    assert result["met_text"].tolist() == ["收入、因病", "因病", "收入免核、因意外", "", ""]
    expected = rules.check_households(
        pd.DataFrame({"group": hh["group"], "income_per_capita": hh["income_per_capita"],
                      **{k: result[k] for k in ("medical", "education", "accident", "industry")}}),
        POLICY,
    )
    assert result["reasons"].tolist() == [*expected["reasons"].tolist()[:3], *notes]
    assert result.loc[0, "reasons"] == "人均收入 6000 元，未超过收入标准 6000 元；因病支出 5000 元，达到 5000 元"


def test_no_spending_or_visit_frames():
    result = derive_households(households(["H1"]), None, None, policy=POLICY, check_date=CHECK)
    assert result.loc[0, "medical"] == 0.0
    assert result.loc[0, "status"] == "不符合"
    assert pd.isna(result.loc[0, "last_visit"])


# -- notes: cells a sum or a status cannot read ---------------------------------------------

def test_spending_sums_name_the_first_row_they_cannot_read():
    hh = households(["A", "B", "C", "D", "E", "F"])
    events = spending([
        ("A", "因病", "2020.5.3", 6000.0),            # E3: a text date
        ("B", "因病", None, 6000.0),                  # E4: an amount without a date
        ("C", "因病", T("2020-05-03"), "6000"),       # F5: a text amount inside the window
        ("D", "因病", T("2019-05-03"), "6000"),       # outside the window: not counted, no note
        ("E", "因学", T("2020-05-03"), 9000.0),
        ("E", "因病", T("2020-05-03"), "一千"),       # F8
        ("E", "因病", "2020年7月8日", 1000.0),        # E9: later than F8
        ("F", "因病", " ", None),                     # spaces and nothing else: a blank row
        ("F", "因病", T("2020-05-03"), 5000.0),
    ])
    result = derive_households(hh, events, None, policy=POLICY, check_date=CHECK)
    assert result["medical_note"].tolist() == [
        "数据格式有误：支出!E3 发生日期是文本", "资料不全：支出!E4 发生日期为空",
        "数据格式有误：支出!F5 金额是文本", None, "数据格式有误：支出!F8 金额是文本", None]
    assert result["education_note"].tolist() == [None] * 6
    # The sums keep the readable rows; 资格判定 shows the note, 满足条件 is blank.
    assert result["medical"].tolist() == [0.0, 0.0, 0.0, 0.0, 0.0, 5000.0]
    assert result["education"].tolist() == [0.0, 0.0, 0.0, 0.0, 9000.0, 0.0]
    assert result["status"].tolist() == [*result["medical_note"].tolist()[:3], "不符合",
                                         "数据格式有误：支出!F8 金额是文本", "符合"]
    assert result["met_text"].tolist() == ["", "", "", "收入", "", "收入、因病"]
    shown = shown_households(result)
    assert shown["medical"].tolist() == [*result["medical_note"].tolist()[:3], 0.0,
                                         "数据格式有误：支出!F8 金额是文本", 5000.0]
    assert list(shown.columns) == ["medical", "education", "accident", "industry", "status",
                                   "met_text", "last_visit", "next_visit_due"]


def test_status_names_its_own_cells_before_the_spending():
    hh = households(["A", "B", "C", "D"], groups=["脱贫不稳定户", None, "突发严重困难户", "边缘易致贫户"],
                    incomes=[None, 100.0, "不详", "4800元"])
    events = spending([(key, "因病", "2020.5.3", 6000.0) for key in ("A", "B", "C", "D")])
    result = derive_households(hh, events, None, policy=POLICY, check_date=CHECK)
    # 突发严重困难户: the income is not needed, so its text is no reason; the spending note is.
    assert result["status"].tolist() == [
        "资料不全：H3 人均可支配收入为空", "资料不全：G4 户类型为空",
        "数据格式有误：支出!E5 发生日期是文本", "数据格式有误：H6 人均可支配收入是文本"]


def test_notes_name_cells_where_the_workbook_has_them():
    hh = households(["A", "B"], incomes=[5000.0, "不详"], index=[12, 14])
    events = spending([("A", "因病", "2020.5.3", 6000.0)])
    events.index = [40]
    places = {
        "households": Place("监测户", np.array([12, 14]), {"group": "B", "income_per_capita": "C"}),
        "spending": Place("支出事件", np.array([40]), {"date": "H", "amount": "J"}),
    }
    result = derive_households(hh, events, None, policy=POLICY, check_date=CHECK, places=places)
    assert result["status"].tolist() == ["数据格式有误：支出事件!H40 发生日期是文本",
                                         "数据格式有误：C14 人均可支配收入是文本"]


# -- visits -------------------------------------------------------------------------------

def test_last_visit_and_next_due():
    visits = pd.DataFrame({
        "household_no": ["H1", "H1", "H2", "H2", "H3"],
        "visit_date": [T("2020-08-31"), T("2020-11-30"), "2020.12.1", T("2020-05-31"), None],
    })
    result = derive_households(households(["H1", "H2", "H3"]), None, visits, policy=POLICY, check_date=CHECK)
    assert result["last_visit"].tolist()[0] == T("2020-11-30")
    # The calendar quarter after the last visit's: 11-30 (Q4) → 2021-03-31.
    assert result["next_visit_due"].tolist()[0] == T("2021-03-31")
    # A 回访日期 typed as text is named, as the formula names it; no date is shown from the
    # visits around it (05-31 would give an overdue 09-30).
    assert result["last_visit_note"].tolist() == [None, "数据格式有误：帮扶!C5 回访日期是文本", None]
    assert pd.isna(result.loc[1, "last_visit"]) and pd.isna(result.loc[1, "next_visit_due"])
    assert pd.isna(result.loc[2, "last_visit"]) and pd.isna(result.loc[2, "next_visit_due"])
    assert result["last_visit"].dtype == "datetime64[ns]"
    shown = shown_households(result)
    assert shown["last_visit"].tolist() == [T("2020-11-30"), "数据格式有误：帮扶!C5 回访日期是文本", NEVER_VISITED]


def test_visit_notes_name_the_first_text_row_and_follow_the_places():
    visits = pd.DataFrame({"household_no": ["H1", "H2", "H1", "H1", "H2"],
                           "visit_date": [T("2020-08-31"), "  ", "某天", "2020.12.1", True]},
                          index=[10, 11, 12, 13, 14])
    place = Place("回访", np.array([20, 21, 22, 23, 24]), {"visit_date": "D"})
    result = derive_households(households(["H1", "H2"]), None, visits, policy=POLICY, check_date=CHECK,
                               places={"visits": place})
    # Spaces are blank and a boolean is no text (as ISTEXT sees them): H2 was never visited.
    assert result["last_visit_note"].tolist() == ["数据格式有误：回访!D22 回访日期是文本", None]
    assert shown_households(result)["last_visit"].tolist() == ["数据格式有误：回访!D22 回访日期是文本", NEVER_VISITED]


def test_visit_interval_follows_policy():
    policy = replace(POLICY, visit_interval_months=1)
    visits = pd.DataFrame({"household_no": ["H1"], "visit_date": [T("2020-01-31")]})
    result = derive_households(households(["H1"]), None, visits, policy=policy, check_date=CHECK)
    assert result.loc[0, "next_visit_due"] == T("2020-02-29")


# -- cases ----------------------------------------------------------------------------------

def cases(found, stages=None, keys=None) -> pd.DataFrame:
    n = len(found)
    return pd.DataFrame({
        "case_no": keys or [f"C{i}" for i in range(n)],
        "household_no": ["H1"] * n,
        "found_date": found,
        "stage": stages or ["已发现"] * n,
    })


def test_deadline_over_the_labour_day_holiday():
    # Found Wednesday 2020-04-29: 05-01..05-05 are holidays, Saturday 05-09 is a working day.
    result = derive_cases(cases([T("2020-04-29")]), policy=POLICY, check_date=dt.date(2020, 5, 6))
    assert list(result.columns) == list(CASE_COLUMNS)
    assert result.loc[0, "deadline"] == T("2020-05-22")
    # 05-07, 05-08, 05-09, 05-11..05-15, 05-18..05-22.
    assert result.loc[0, "days_left"] == 13


def test_days_left_negative_when_overdue_and_zero_on_the_day():
    found = cases([T("2020-04-29")])
    assert derive_cases(found, policy=POLICY, check_date=dt.date(2020, 6, 1)).loc[0, "days_left"] == -6
    assert derive_cases(found, policy=POLICY, check_date=dt.date(2020, 5, 22)).loc[0, "days_left"] == 0


def test_closed_cases_and_missing_dates():
    frame = cases(
        [T("2020-04-29"), T("2020-04-29"), T("2020-04-29"), "2020.4.29", None, T("2020-04-29")],
        stages=["已支付", "已终止", "公示中", "已发现", "已发现", "已发现"],
        keys=["C1", "C2", "C3", "C4", "C5", None],
    )
    result = derive_cases(frame, policy=POLICY, check_date=dt.date(2020, 5, 6))
    assert result["deadline"].tolist()[:3] == [T("2020-05-22")] * 3
    assert result["days_left"].tolist()[:3] == [pd.NA, pd.NA, 13]
    assert result["deadline"].isna().tolist()[3:] == [True, True, True]
    assert result["days_left"].isna().tolist()[3:] == [True, True, True]
    assert str(result["days_left"].dtype) == "Int64"
    # A case with a number names the 发现日期 it cannot read; a row without one gets no note.
    assert result["deadline_note"].tolist() == [
        None, None, None, "数据格式有误：D6 发现日期是文本", "资料不全：D7 发现日期为空", None]
    shown = shown_cases(result)
    assert shown["deadline"].tolist()[3:5] == ["数据格式有误：D6 发现日期是文本", "资料不全：D7 发现日期为空"]
    assert shown.loc[0, "deadline"] == T("2020-05-22")


def test_calendar_day_mode_moves_to_the_next_working_day():
    policy = replace(POLICY, deadline_mode="自然日")
    frame = cases([T("2020-04-29"), T("2020-09-16")])
    result = derive_cases(frame, policy=policy, check_date=dt.date(2020, 5, 6))
    # 04-29 + 15 = 05-14, a Thursday; 09-16 + 15 = 10-01, National Day: holidays until 10-08.
    assert result["deadline"].tolist() == [T("2020-05-14"), T("2020-10-09")]
    # Calendar days in this mode.
    assert result["days_left"].tolist() == [8, 156]


def test_deadline_ignores_the_time_of_day():
    result = derive_cases(cases([T("2020-04-29 18:30")]), policy=POLICY, check_date=CHECK)
    assert result.loc[0, "deadline"] == T("2020-05-22")


# -- helpers ----------------------------------------------------------------------------------

def test_default_check_date():
    assert default_check_date(POLICY) == dt.date(2020, 12, 31)


def test_sums_are_rounded_to_the_fen_like_excel_round():
    events = spending([
        ("H1", "因病", T("2020-03-01"), 1666.67),
        ("H1", "因病", T("2020-03-02"), 1666.67),
        ("H1", "因病", T("2020-03-03"), 1666.66),
        ("H1", "因学", T("2020-03-03"), 0.005),  # half a fen rounds away from zero
        ("H1", "因产业", T("2020-03-03"), 0.1),
        ("H1", "因产业", T("2020-03-03"), 0.2),
    ])
    result = derive_households(households(["H1"], incomes=[3000.0]), events, None,
                               policy=POLICY, check_date=CHECK)
    assert result.loc[0, "medical"] == 5000.0
    assert result.loc[0, "education"] == 0.01
    assert result.loc[0, "industry"] == 0.3
    assert result.loc[0, "status"] == "符合"


# -- property: the vectorised derive equals a plain per-household reference -----------------

KEYS = ["H1", "h1", "H2", "H3", None]
KINDS = ["因病", "因学", "因意外", "因产业", "其他"]


@st.composite
def event_rows(draw):
    n = draw(st.integers(0, 25))
    rows = []
    for _ in range(n):
        offset = draw(st.integers(-400, 5))
        minutes = draw(st.sampled_from([0, 0, 1, 600, 930, 1439]))
        date = T(CHECK) + pd.Timedelta(days=offset, minutes=minutes)
        amount = draw(st.one_of(st.integers(0, 3_000_000).map(lambda c: c / 100), st.just("x"), st.none()))
        rows.append((draw(st.sampled_from(KEYS)), draw(st.sampled_from(KINDS)), date, amount))
    return rows


def reference_sum(rows, key, kind, start, end):
    total = sum(
        amount for k, kd, date, amount in rows
        if k is not None and k.upper() == key.upper() and kd == kind and isinstance(amount, float | int)
        and start < date.normalize() <= end
    )
    return float(np.floor(total * 100 + 0.5) / 100)


@settings(max_examples=60, deadline=None)
@given(event_rows())
def test_sums_equal_a_plain_reference(rows):
    hh = households(["H1", "H2", "H4"])
    result = derive_households(hh, spending(rows), None, policy=POLICY, check_date=CHECK)
    start, end = spending_window(CHECK, POLICY)
    for i, key in enumerate(["H1", "H2", "H4"]):
        for kind, field in zip(KINDS[:4], ("medical", "education", "accident", "industry"), strict=True):
            assert result.loc[i, field] == pytest.approx(reference_sum(rows, key, kind, start, end), abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.dates(dt.date(2019, 1, 1), dt.date(2021, 12, 31)), min_size=1, max_size=10),
       st.sampled_from(["工作日", "自然日"]))
def test_deadlines_equal_the_scalar_definition(found, mode):
    policy = replace(POLICY, deadline_mode=mode)
    result = derive_cases(cases([T(d) for d in found]), policy=policy, check_date=CHECK)
    for i, d in enumerate(found):
        due = workdays.deadline(d, policy=policy)
        assert result.loc[i, "deadline"] == T(due)
        assert result.loc[i, "days_left"] == workdays.workdays_between(CHECK, due, policy=policy)
