import datetime as dt
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fangpin_xl.errors import InputError
from fangpin_xl.policy import Policy, parse_policy
from fangpin_xl.workdays import (
    add_months,
    add_workdays,
    add_workdays_series,
    calendar_warnings,
    deadline,
    is_workday,
    library_covers,
    next_visit_due,
    workday_table,
    workdays_between,
    workdays_between_series,
)

D = dt.date
WORK = Policy()
CAL = replace(Policy(), deadline_mode="自然日")
COUNTY = replace(
    Policy(),
    # A county sheet for 2027, which the calendar library does not cover.
    extra_holidays=(D(2027, 1, 1), *(D(2027, 2, d) for d in range(5, 12))),
    extra_workdays=(D(2027, 2, 14),),
)


def warning(year: int) -> str:
    return (
        f"{year} 年不在节假日库范围内，且参数文件未补充本县节假日表，已按周一至周五计算工作日；"
        f"请在参数文件 [calendar] 中补充 holidays / workdays，填全后在 complete_years 中写上 {year}。"
    )


def partial(year: int, days: int) -> str:
    return (
        f"{year} 年不在节假日库范围内，参数文件补充了本县该年 {days} 个放假日或调休上班日，但未声明该年已填全，"
        f"其余日期按周一至周五计算工作日；请补全该年的放假和调休安排后，在参数文件 [calendar] 的 complete_years "
        f"中写上 {year}。"
    )


# -- the DOMAIN example and the State Council schedule ---------------------------

def test_domain_example_labour_day_2020():
    # Wednesday; 05-01..05-05 holidays; Saturday 05-09 is a make-up working day.
    assert add_workdays(D(2020, 4, 29), 15, policy=WORK) == D(2020, 5, 22)
    assert deadline(D(2020, 4, 29), policy=WORK) == D(2020, 5, 22)
    assert workdays_between(D(2020, 4, 29), D(2020, 5, 22), policy=WORK) == 15
    assert is_workday(D(2020, 5, 9), policy=WORK)
    assert [is_workday(D(2020, 5, d), policy=WORK) for d in range(1, 6)] == [False] * 5


def test_zero_days_is_the_start_even_on_a_holiday():
    assert add_workdays(D(2020, 5, 2), 0, policy=WORK) == D(2020, 5, 2)
    assert add_workdays(D(2020, 5, 2), 0, policy=CAL) == D(2020, 5, 2)


def test_start_on_a_holiday_counts_from_the_next_working_day():
    assert add_workdays(D(2020, 5, 1), 1, policy=WORK) == D(2020, 5, 6)
    assert workdays_between(D(2020, 5, 1), D(2020, 5, 6), policy=WORK) == 1


def test_national_day_2020():
    assert [is_workday(D(2020, 10, d), policy=WORK) for d in range(1, 9)] == [False] * 8
    assert is_workday(D(2020, 9, 27), policy=WORK)  # Sunday, make-up
    assert is_workday(D(2020, 10, 10), policy=WORK)  # Saturday, make-up
    assert not is_workday(D(2020, 10, 11), policy=WORK)
    assert add_workdays(D(2020, 9, 25), 1, policy=WORK) == D(2020, 9, 27)
    assert add_workdays(D(2020, 9, 30), 1, policy=WORK) == D(2020, 10, 9)
    assert add_workdays(D(2020, 9, 30), 2, policy=WORK) == D(2020, 10, 10)
    assert add_workdays(D(2020, 9, 30), 3, policy=WORK) == D(2020, 10, 12)
    # 09-27, 28, 29, 30, 10-09, 10-10, 10-12
    assert workdays_between(D(2020, 9, 25), D(2020, 10, 12), policy=WORK) == 7
    assert workdays_between(D(2020, 10, 12), D(2020, 9, 25), policy=WORK) == -7
    assert workdays_between(D(2020, 10, 1), D(2020, 10, 8), policy=WORK) == 0


def test_spring_festival_2021():
    # Holidays 02-11..02-17; Sunday 02-07 and Saturday 02-20 are working days.
    assert is_workday(D(2021, 2, 7), policy=WORK)
    assert is_workday(D(2021, 2, 20), policy=WORK)
    assert not any(is_workday(D(2021, 2, d), policy=WORK) for d in range(11, 18))
    assert add_workdays(D(2021, 2, 5), 1, policy=WORK) == D(2021, 2, 7)
    assert add_workdays(D(2021, 2, 10), 1, policy=WORK) == D(2021, 2, 18)
    assert add_workdays(D(2021, 2, 10), 3, policy=WORK) == D(2021, 2, 20)
    assert workdays_between(D(2021, 2, 1), D(2021, 2, 28), policy=WORK) == 16


def test_spring_festival_2024():
    # Holidays 02-10..02-17; Sundays 02-04 and 02-18 are working days.
    assert is_workday(D(2024, 2, 4), policy=WORK)
    assert is_workday(D(2024, 2, 18), policy=WORK)
    assert not any(is_workday(D(2024, 2, d), policy=WORK) for d in range(10, 18))
    assert add_workdays(D(2024, 2, 2), 1, policy=WORK) == D(2024, 2, 4)
    assert add_workdays(D(2024, 2, 9), 1, policy=WORK) == D(2024, 2, 18)
    assert add_workdays(D(2024, 2, 8), 15, policy=WORK) == D(2024, 3, 6)
    assert workdays_between(D(2024, 2, 1), D(2024, 2, 29), policy=WORK) == 17
    assert workdays_between(D(2024, 2, 8), D(2024, 3, 6), policy=WORK) == 15


def test_datetimes_and_timestamps_count_by_their_date():
    assert add_workdays(dt.datetime(2020, 4, 29, 17, 30), 15, policy=WORK) == D(2020, 5, 22)
    assert add_workdays(pd.Timestamp("2020-04-29 08:00"), 15, policy=WORK) == D(2020, 5, 22)
    assert add_workdays(np.datetime64("2020-04-29"), 15, policy=WORK) == D(2020, 5, 22)
    assert workdays_between(pd.Timestamp("2020-04-29 23:59"), D(2020, 5, 22), policy=WORK) == 15


def test_deadline_uses_policy_days_and_mode():
    assert deadline(D(2020, 4, 29), policy=WORK, days=5) == D(2020, 5, 9)
    assert deadline(D(2020, 4, 29), policy=replace(WORK, deadline_days=10)) == D(2020, 5, 15)
    assert deadline(D(2020, 4, 29), policy=CAL) == D(2020, 5, 14)
    parsed = parse_policy('[procedure]\ndeadline_days = 15\ndeadline_mode = "自然日"\n')
    assert deadline(D(2020, 9, 16), policy=parsed) == D(2020, 10, 9)


def test_bad_day_counts_are_refused_in_chinese():
    with pytest.raises(InputError) as err:
        add_workdays(D(2020, 4, 29), -1, policy=WORK)
    assert str(err.value) == "天数应为不小于 0 的整数，现为 -1。"
    with pytest.raises(InputError) as err:
        deadline(D(2020, 4, 29), policy=WORK, days=2.5)
    assert str(err.value) == "天数应为不小于 0 的整数，现为 2.5。"
    assert add_workdays(D(2020, 4, 29), 15.0, policy=WORK) == D(2020, 5, 22)
    with pytest.raises(InputError) as err:
        add_workdays_series(pd.Series([D(2020, 4, 29)] * 2), pd.Series([3, -2]), policy=WORK)
    assert str(err.value) == "天数应为不小于 0 的整数，现为 -2。"
    # What is not a number is quoted as the cell shows it, not as Python writes it ('三', True).
    for value, shown in (("三", "“三”"), ("#N/A", "“#N/A”"), (True, "“是”"), (np.float64(2.5), "2.5")):
        with pytest.raises(InputError) as err:
            add_workdays(D(2020, 4, 29), value, policy=WORK)
        assert str(err.value) == f"天数应为不小于 0 的整数，现为 {shown}。"


def test_absurd_day_counts_are_refused_before_any_calendar_is_built():
    with pytest.raises(InputError) as err:
        add_workdays(D(2020, 4, 29), 3651, policy=WORK)
    assert str(err.value) == "天数过大：最多 3650 天，现为 3651。"
    with pytest.raises(InputError) as err:
        add_workdays_series(pd.Series([D(2020, 4, 29)] * 2), pd.Series([3, 10**12]), policy=WORK)
    assert str(err.value) == "天数过大：最多 3650 天，现为 1000000000000。"
    assert add_workdays(D(2020, 4, 29), 3650, policy=WORK) > D(2034, 1, 1)


# -- calendar-day mode (Civil Code art. 203) ------------------------------------

def test_calendar_mode_plain_days():
    assert add_workdays(D(2020, 4, 29), 15, policy=CAL) == D(2020, 5, 14)
    assert workdays_between(D(2020, 4, 29), D(2020, 5, 22), policy=CAL) == 23
    assert workdays_between(D(2020, 5, 22), D(2020, 4, 29), policy=CAL) == -23


def test_calendar_mode_last_day_on_a_holiday_moves_to_next_working_day():
    # 09-16 + 15 = 10-01, National Day: the period ends on Friday 10-09.
    assert add_workdays(D(2020, 9, 16), 15, policy=CAL) == D(2020, 10, 9)
    # 04-29 + 3 = Saturday 05-02 inside the Labour Day holidays: Wednesday 05-06.
    assert add_workdays(D(2020, 4, 29), 3, policy=CAL) == D(2020, 5, 6)
    # An ordinary weekend: Saturday 2020-06-06 moves to Monday.
    assert add_workdays(D(2020, 6, 1), 5, policy=CAL) == D(2020, 6, 8)


def test_calendar_mode_last_day_on_a_make_up_saturday_stays():
    assert add_workdays(D(2020, 9, 25), 15, policy=CAL) == D(2020, 10, 10)


# -- years the library does not cover -------------------------------------------

def test_agrees_with_chinese_calendar_on_every_covered_day():
    import chinese_calendar

    day = D(2004, 1, 1)
    while day <= D(2026, 12, 31):
        assert is_workday(day, policy=WORK) == chinese_calendar.is_workday(day), day
        day += dt.timedelta(days=1)


def test_library_range():
    assert library_covers(2004) and library_covers(2020) and library_covers(2026)
    assert not library_covers(2003)
    assert not library_covers(2027)


def test_beyond_the_library_monday_to_friday_with_warning():
    assert is_workday(D(2027, 1, 1), policy=WORK)  # a Friday; the real holiday is unknown
    assert not is_workday(D(2027, 1, 2), policy=WORK)
    assert is_workday(D(2030, 10, 1), policy=WORK)  # a Tuesday
    assert add_workdays(D(2026, 12, 31), 1, policy=WORK) == D(2027, 1, 1)
    assert add_workdays(D(2030, 9, 27), 15, policy=WORK) == D(2030, 10, 18)
    assert workdays_between(D(2030, 9, 27), D(2030, 10, 18), policy=WORK) == 15
    assert calendar_warnings(D(2027, 3, 1), D(2027, 5, 1), policy=WORK) == [warning(2027)]
    assert calendar_warnings(D(2026, 12, 1), D(2027, 1, 20), policy=WORK) == [warning(2027)]
    assert calendar_warnings(D(2030, 12, 31), D(2029, 1, 1), policy=WORK) == [
        warning(2029),
        warning(2030),
    ]
    assert calendar_warnings(D(2003, 6, 1), D(2004, 6, 1), policy=WORK) == [warning(2003)]
    assert calendar_warnings(D(2020, 1, 1), D(2026, 12, 31), policy=WORK) == []


def test_warning_text_exact():
    assert calendar_warnings(D(2027, 1, 1), D(2027, 1, 1), policy=WORK) == [
        "2027 年不在节假日库范围内，且参数文件未补充本县节假日表，已按周一至周五计算工作日；"
        "请在参数文件 [calendar] 中补充 holidays / workdays，填全后在 complete_years 中写上 2027。"
    ]


def test_calendar_warnings_never_raise():
    assert calendar_warnings(None, D(2027, 1, 1), policy=WORK) == []
    assert calendar_warnings(pd.NaT, pd.NaT, policy=WORK) == []
    assert calendar_warnings("2027-01-01", D(2027, 1, 1), policy=WORK) == []
    assert calendar_warnings(pd.Timestamp("2027-05-01"), np.datetime64("2027-06-01"), policy=WORK) == [
        warning(2027)
    ]


def test_county_sheet_for_2027_is_honoured_without_warning():
    assert not is_workday(D(2027, 1, 1), policy=COUNTY)
    assert not is_workday(D(2027, 2, 8), policy=COUNTY)  # a Monday in the county's holidays
    assert is_workday(D(2027, 2, 14), policy=COUNTY)  # a Sunday, make-up
    assert is_workday(D(2027, 2, 15), policy=COUNTY)
    assert add_workdays(D(2026, 12, 31), 1, policy=COUNTY) == D(2027, 1, 4)
    # 02-04 Thu is the start; 02-05..02-11 off; 02-12 Fri, 02-14 Sun, 02-15 Mon.
    assert add_workdays(D(2027, 2, 4), 3, policy=COUNTY) == D(2027, 2, 15)
    assert workdays_between(D(2027, 2, 4), D(2027, 2, 15), policy=COUNTY) == 3
    # Nine dates of 2027 are not the whole year: warned until the county declares it complete.
    assert calendar_warnings(D(2027, 1, 1), D(2027, 12, 31), policy=COUNTY) == [partial(2027, 9)]
    assert calendar_warnings(D(2027, 1, 1), D(2028, 1, 1), policy=COUNTY) == [partial(2027, 9), warning(2028)]
    complete = replace(COUNTY, complete_calendar_years=(2027,))
    assert calendar_warnings(D(2027, 1, 1), D(2027, 12, 31), policy=complete) == []
    assert calendar_warnings(D(2027, 1, 1), D(2028, 1, 1), policy=complete) == [warning(2028)]


def test_county_sheet_from_the_policy_file():
    policy = parse_policy("[calendar]\nholidays = [2027-01-01]\nworkdays = [2027-01-02]\n")
    assert not is_workday(D(2027, 1, 1), policy=policy)
    assert is_workday(D(2027, 1, 2), policy=policy)
    # One holiday entered for 2027 does not switch the warning off for the whole year.
    assert calendar_warnings(D(2027, 1, 1), D(2027, 1, 1), policy=policy) == [partial(2027, 2)]
    declared = parse_policy(
        "[calendar]\nholidays = [2027-01-01]\nworkdays = [2027-01-02]\ncomplete_years = [2027]\n")
    assert calendar_warnings(D(2027, 1, 1), D(2027, 1, 1), policy=declared) == []
    # A year declared complete needs no dates of its own (the county says it has none to add).
    assert calendar_warnings(D(2029, 1, 1), D(2029, 1, 1),
                             policy=replace(Policy(), complete_calendar_years=(2029,))) == []


def test_county_overrides_come_before_the_library():
    policy = replace(Policy(), extra_holidays=(D(2020, 5, 6),), extra_workdays=(D(2020, 5, 5),))
    assert not is_workday(D(2020, 5, 6), policy=policy)
    assert is_workday(D(2020, 5, 5), policy=policy)
    assert add_workdays(D(2020, 4, 30), 2, policy=policy) == D(2020, 5, 7)


def test_a_date_in_both_county_lists_is_a_rest_day():
    policy = replace(Policy(), extra_holidays=(D(2027, 3, 1),), extra_workdays=(D(2027, 3, 1),))
    assert not is_workday(D(2027, 3, 1), policy=policy)


# -- months --------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (D(2020, 1, 31), 1, D(2020, 2, 29)),
        (D(2021, 1, 31), 1, D(2021, 2, 28)),
        (D(2020, 2, 29), 12, D(2021, 2, 28)),
        (D(2020, 2, 29), 48, D(2024, 2, 29)),
        (D(2020, 3, 31), -1, D(2020, 2, 29)),
        (D(2020, 1, 31), -13, D(2018, 12, 31)),
        (D(2020, 11, 30), 3, D(2021, 2, 28)),
        (D(2019, 5, 31), 4, D(2019, 9, 30)),
        (D(2020, 12, 15), 1, D(2021, 1, 15)),
        (D(2020, 1, 15), -1, D(2019, 12, 15)),
        (D(2020, 8, 31), 0, D(2020, 8, 31)),
    ],
)
def test_add_months_like_edate(start, months, expected):
    assert add_months(start, months) == expected


def test_add_months_takes_datetimes():
    assert add_months(pd.Timestamp("2020-01-31 10:00"), 1) == D(2020, 2, 29)


@given(st.dates(D(1900, 1, 1), D(2200, 12, 31)), st.integers(-240, 240))
def test_add_months_matches_pandas_dateoffset(start, months):
    expected = (pd.Timestamp(start) + pd.DateOffset(months=months)).date()
    assert add_months(start, months) == expected


def test_next_visit_due():
    # Calendar periods: the end of the quarter (or month, half-year) after the last visit's.
    assert next_visit_due(D(2020, 11, 30), policy=WORK) == D(2021, 3, 31)
    assert next_visit_due(D(2020, 1, 5), policy=WORK) == D(2020, 6, 30)
    assert next_visit_due(D(2020, 1, 15), policy=replace(WORK, visit_interval_months=1)) == D(2020, 2, 29)
    assert next_visit_due(D(2020, 7, 1), policy=replace(WORK, visit_interval_months=6)) == D(2021, 6, 30)
    assert next_visit_due(D(2020, 7, 1), policy=replace(WORK, visit_interval_months=12)) == D(2021, 12, 31)


# -- properties ------------------------------------------------------------------------

dates = st.dates(D(2002, 6, 1), D(2028, 6, 30))
policies = st.sampled_from([WORK, CAL, COUNTY, replace(COUNTY, deadline_mode="自然日")])


@settings(max_examples=300, deadline=None)
@given(dates, st.integers(0, 60), st.sampled_from([WORK, COUNTY]))
def test_round_trip_working_days(start, n, policy):
    end = add_workdays(start, n, policy=policy)
    assert workdays_between(start, end, policy=policy) == n
    assert end >= start
    if n:
        assert is_workday(end, policy=policy)
        # No earlier day already completes the period.
        assert workdays_between(start, end - dt.timedelta(days=1), policy=policy) == n - 1


@settings(max_examples=200, deadline=None)
@given(dates, st.integers(1, 60))
def test_calendar_mode_ends_on_the_first_working_day_from_start_plus_n(start, n):
    end = add_workdays(start, n, policy=CAL)
    plain = start + dt.timedelta(days=n)
    assert end >= plain and is_workday(end, policy=CAL)
    assert workdays_between(plain - dt.timedelta(days=1), end - dt.timedelta(days=1), policy=WORK) == 0


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.one_of(st.none(), dates), min_size=0, max_size=20),
    st.lists(st.one_of(st.none(), st.integers(0, 400)), min_size=20, max_size=20),
    policies,
)
def test_scalar_and_vector_add_agree(starts, counts, policy):
    counts = counts[: len(starts)]
    start_series = pd.Series(pd.to_datetime(pd.Series(starts, dtype=object)))
    count_series = pd.Series(counts, dtype="Int64")
    got = add_workdays_series(start_series, count_series, policy=policy)
    expected = [
        pd.NaT if s is None or n is None else pd.Timestamp(add_workdays(s, n, policy=policy))
        for s, n in zip(starts, counts, strict=True)
    ]
    assert got.tolist() == expected
    fixed = add_workdays_series(start_series, 15, policy=policy)
    assert fixed.tolist() == [
        pd.NaT if s is None else pd.Timestamp(add_workdays(s, 15, policy=policy)) for s in starts
    ]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.one_of(st.none(), dates), st.one_of(st.none(), st.integers(-800, 800))),
        max_size=20,
    ),
    policies,
)
def test_scalar_and_vector_between_agree(pairs, policy):
    pairs = [(s, None if s is None or k is None else s + dt.timedelta(days=k)) for s, k in pairs]
    starts = pd.Series([s for s, _ in pairs], dtype=object)
    ends = pd.Series([e for _, e in pairs], dtype=object)
    got = workdays_between_series(starts, ends, policy=policy)
    assert str(got.dtype) == "Int64"
    expected = [
        None if s is None or e is None else workdays_between(s, e, policy=policy) for s, e in pairs
    ]
    assert [None if v is pd.NA else v for v in got.tolist()] == expected


# -- vectorised: missing values, dtypes, index -----------------------------------------

def test_series_missing_values_and_index():
    starts = pd.Series(
        [D(2020, 4, 29), None, pd.NaT, np.nan, "2020-09-30", "不是日期"], index=list("abcdef"), name="发现日期"
    )
    got = add_workdays_series(starts, 15, policy=WORK)
    assert list(got.index) == list("abcdef")
    assert got.name == "发现日期"
    assert pd.api.types.is_datetime64_any_dtype(got.dtype)
    assert got.tolist()[0] == pd.Timestamp("2020-05-22")
    assert got.isna().tolist() == [False, True, True, True, False, True]
    assert got["e"] == pd.Timestamp(add_workdays(D(2020, 9, 30), 15, policy=WORK))


def test_series_missing_counts():
    starts = pd.Series(pd.to_datetime(["2020-04-29", "2020-04-29", "2020-04-29"]))
    got = add_workdays_series(starts, pd.Series([15, None, 0], dtype="Int64"), policy=WORK)
    assert got.tolist() == [pd.Timestamp("2020-05-22"), pd.NaT, pd.Timestamp("2020-04-29")]
    floats = add_workdays_series(starts, pd.Series([15.0, np.nan, 1.0]), policy=WORK)
    assert floats.tolist() == [pd.Timestamp("2020-05-22"), pd.NaT, pd.Timestamp("2020-04-30")]


def test_series_keep_the_datetime_unit_and_drop_times():
    starts = pd.Series(pd.to_datetime(["2020-04-29 16:45"]).astype("datetime64[ns]"))
    got = add_workdays_series(starts, 15, policy=WORK)
    assert got.dtype == np.dtype("datetime64[ns]")
    assert got.tolist() == [pd.Timestamp("2020-05-22")]


def test_series_timezone_aware_dates_use_their_wall_date():
    starts = pd.Series(pd.to_datetime(["2020-04-29 23:00"]).tz_localize("Asia/Shanghai"))
    assert add_workdays_series(starts, 15, policy=WORK).tolist() == [pd.Timestamp("2020-05-22")]


def test_series_all_missing_and_empty():
    empty = add_workdays_series(pd.Series([], dtype=object), 15, policy=WORK)
    assert len(empty) == 0 and pd.api.types.is_datetime64_any_dtype(empty.dtype)
    none = add_workdays_series(pd.Series([None, None]), 15, policy=WORK)
    assert none.isna().all()
    between = workdays_between_series(pd.Series([None]), pd.Series([D(2020, 1, 1)]), policy=WORK)
    assert between.isna().all() and str(between.dtype) == "Int64"


def test_between_series_exact_values():
    starts = pd.Series([D(2020, 4, 29), D(2020, 10, 12), D(2021, 2, 1), None])
    ends = pd.Series([D(2020, 5, 22), D(2020, 9, 25), D(2021, 2, 28), D(2021, 1, 1)])
    got = workdays_between_series(starts, ends, policy=WORK)
    assert got.tolist() == [15, -7, 16, pd.NA]
    cal = workdays_between_series(starts, ends, policy=CAL)
    assert cal.tolist() == [23, -17, 27, pd.NA]


def test_between_series_aligns_on_index():
    starts = pd.Series([D(2020, 4, 29), D(2020, 9, 25)], index=[10, 20])
    ends = pd.Series([D(2020, 10, 12), D(2020, 5, 22)], index=[20, 10])
    assert workdays_between_series(starts, ends, policy=WORK).tolist() == [15, 7]


def test_series_grow_the_table_for_long_periods():
    starts = pd.Series([D(2020, 1, 2)])
    got = add_workdays_series(starts, 2000, policy=WORK)
    assert got.tolist() == [pd.Timestamp(add_workdays(D(2020, 1, 2), 2000, policy=WORK))]
    many_holidays = replace(
        Policy(), extra_holidays=tuple(D(2027, 1, 1) + dt.timedelta(days=k) for k in range(365))
    )
    got = add_workdays_series(pd.Series([D(2026, 12, 31)]), 300, policy=many_holidays)
    assert got.tolist() == [pd.Timestamp(add_workdays(D(2026, 12, 31), 300, policy=many_holidays))]


# -- the 日历 table -----------------------------------------------------------------------

def test_workday_table_columns_and_rows():
    table = workday_table(D(2020, 4, 29), D(2020, 5, 11), policy=WORK)
    assert list(table.columns) == ["date", "workday", "index"]
    assert pd.api.types.is_datetime64_any_dtype(table["date"].dtype)
    assert table["workday"].dtype == bool
    assert pd.api.types.is_integer_dtype(table["index"].dtype)
    assert table["date"].dt.date.tolist() == [D(2020, 4, 29) + dt.timedelta(days=k) for k in range(13)]
    assert table["workday"].tolist() == [True, True] + [False] * 5 + [True] * 4 + [False, True]
    assert table["index"].tolist() == [1, 2, 2, 2, 2, 2, 2, 3, 4, 5, 6, 6, 7]


def test_workday_table_starting_on_a_rest_day_starts_at_zero():
    table = workday_table(D(2020, 10, 1), D(2020, 10, 10), policy=WORK)
    assert table["index"].tolist() == [0] * 8 + [1, 2]


def test_workday_table_reversed_bounds_and_single_day():
    assert workday_table(D(2020, 5, 3), D(2020, 5, 1), policy=WORK)["date"].dt.date.tolist() == [
        D(2020, 5, 1),
        D(2020, 5, 2),
        D(2020, 5, 3),
    ]
    assert workday_table(D(2020, 5, 9), D(2020, 5, 9), policy=WORK)["index"].tolist() == [1]


def test_workday_table_spreadsheet_formulas_give_the_python_answers():
    first, last = D(2020, 1, 1), D(2021, 12, 31)
    table = workday_table(first, last, policy=WORK)
    index = dict(zip(table["date"].dt.date, table["index"], strict=True))
    first_date_of = {}
    for day, value in zip(table["date"].dt.date, table["index"], strict=True):
        first_date_of.setdefault(value, day)
    rng = np.random.default_rng(0)
    for offset in rng.integers(0, 600, 200):
        start = first + dt.timedelta(days=int(offset))
        end = start + dt.timedelta(days=int(rng.integers(0, 120)))
        assert index[end] - index[start] == workdays_between(start, end, policy=WORK)
        n = int(rng.integers(1, 40))
        assert first_date_of[index[start] + n] == add_workdays(start, n, policy=WORK)
        plain = start + dt.timedelta(days=n)
        cal_end = plain if is_workday(plain, policy=CAL) else first_date_of[index[plain] + 1]
        assert cal_end == add_workdays(start, n, policy=CAL)


def test_workday_table_is_a_fresh_copy_each_time():
    table = workday_table(D(2020, 5, 1), D(2020, 5, 10), policy=WORK)
    table.loc[0, "workday"] = True
    table.loc[0, "index"] = 99
    again = workday_table(D(2020, 5, 1), D(2020, 5, 10), policy=WORK)
    assert again.loc[0, "workday"] == np.False_ and again.loc[0, "index"] == 0
    assert add_workdays_series(pd.Series([D(2020, 4, 30)]), 1, policy=WORK).tolist() == [
        pd.Timestamp("2020-05-06")
    ]


def test_workday_table_honours_county_sheet():
    table = workday_table(D(2027, 2, 4), D(2027, 2, 15), policy=COUNTY)
    assert table["workday"].tolist() == [True] + [False] * 7 + [True, False, True, True]
    assert table["index"].tolist() == [1] * 8 + [2, 2, 3, 4]
