"""Coercion of raw cell values to schema types, with what changed and what failed."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fangpin_xl.schema import CHOICE, DATE, ID, INTEGER, MONEY, MONTH, PHONE, TEXT, TYPES, YESNO
from fangpin_xl.workbook.coerce import (
    LIMITS,
    MAX_AMOUNT,
    MAX_COUNT,
    RAW,
    classify,
    coerce_column,
    is_blank,
    numbers_of,
)

T = pd.Timestamp
NAT = pd.NaT


def run(raw, kind, **kw):
    result = coerce_column(raw, kind, **kw)
    return (result.values.tolist(), result.changed.tolist(), result.failed.tolist(),
            result.empty.tolist())


def same(a, b) -> bool:
    """Equality that treats every missing marker (None, NaN, NA, NaT) alike."""
    if (a is None or a is pd.NA or a is NAT or (isinstance(a, float) and math.isnan(a))):
        return b is None or b is pd.NA or b is NAT or (isinstance(b, float) and math.isnan(b))
    return a == b and type(a) is type(b)


def assert_values(got, expected):
    assert len(got) == len(expected)
    for i, (g, e) in enumerate(zip(got, expected, strict=True)):
        assert same(g, e), f"position {i}: got {g!r}, expected {e!r}"


# --- money and integers ------------------------------------------------------


def test_money_forms():
    raw = ["5,000元", "５０００", "1.2万", "￥5,000.50", " 3000 ", 5000.0, 3, "", None, "   ",
           "abc", True, "-12", "1,2345", float("nan"), "¥ 1,234", "2.5万元", "1e4", "５，０００．５"]
    values, changed, failed, empty = run(raw, MONEY)
    assert_values(values, [5000.0, 5000.0, 12000.0, 5000.5, 3000.0, 5000.0, 3.0, None, None, None,
                           None, None, -12.0, None, None, 1234.0, 25000.0, 10000.0, 5000.5])
    assert changed == [True, True, True, True, True, False, False, False, False, False,
                       False, False, True, False, False, True, True, True, True]
    assert failed == [False, False, False, False, False, False, False, False, False, False,
                      True, True, False, True, False, False, False, False, False]
    assert empty == [False, False, False, False, False, False, False, True, True, True,
                     False, False, False, False, True, False, False, False, False]


def test_money_dtype_and_dates_are_failures():
    result = coerce_column([dt.date(2020, 1, 1), dt.timedelta(days=1), 12.5], MONEY)
    assert result.values.dtype == np.float64
    assert result.failed.tolist() == [True, True, False]


def test_integer_forms():
    values, changed, failed, empty = run(["3人", 3.0, 3.5, "3.5", "7", 4, " ４ ", "3户", None], INTEGER)
    assert_values(values, [3, 3, None, None, 7, 4, 4, 3, None])
    assert changed == [True, False, False, False, True, False, True, True, False]
    assert failed == [False, False, True, True, False, False, False, False, False]
    assert empty == [False] * 8 + [True]
    assert str(coerce_column([1.0], INTEGER).values.dtype) == "Int64"


def test_amounts_from_ten_billion_on_and_counts_from_a_billion_on_are_not_read():
    raw = [9_999_999_999.99, -9_999_999_999.99, 1e10, -1e10, 1e308, "1e308", "1e999", "1e305万",
           "10,000,000,000元", "1万", float("inf")]
    values, _changed, failed, _empty = run(raw, MONEY)
    assert_values(values, [9_999_999_999.99, -9_999_999_999.99] + [None] * 7 + [10000.0, None])
    assert failed == [False, False] + [True] * 7 + [False, True]
    values, _changed, failed, _empty = run([999_999_999, 1_000_000_000, 130434199001011234.0,
                                            "130434199001011234", -1e9], INTEGER)
    assert_values(values, [999_999_999, None, None, None, None])
    assert failed == [False, True, True, True, True]


def test_numbers_of_reads_what_the_limits_refused():
    raw = [1e308, "1e308", "1e999", "五千", None, "5,000元", 3.5, "130434199001011234", True]
    got = numbers_of(raw)
    assert got[[0, 1, 5, 6, 7]].tolist() == [1e308, 1e308, 5000.0, 3.5, 130434199001011234.0]
    assert got[2] == math.inf
    assert np.isnan(got[[3, 4, 8]]).all()
    assert numbers_of([]).tolist() == []
    assert LIMITS == {MONEY: MAX_AMOUNT, INTEGER: MAX_COUNT} == {MONEY: 1e10, INTEGER: 1e9}


def test_numeric_column_is_read_as_is():
    raw = pd.Series([1.0, 2.5, None, 4], index=[10, 11, 12, 13], dtype=object)
    result = coerce_column(raw, MONEY)
    assert result.values.index.tolist() == [10, 11, 12, 13]
    assert_values(result.values.tolist(), [1.0, 2.5, None, 4.0])
    assert not result.changed.any() and not result.failed.any()
    assert result.empty.tolist() == [False, False, True, False]


@given(st.integers(min_value=-(10**10 - 1), max_value=10**10 - 1))
def test_money_text_with_separators_and_unit(n):
    assert coerce_column([f"{n:,}元"], MONEY).values.iloc[0] == n
    full_width = str(n).translate(str.maketrans("0123456789-", "０１２３４５６７８９－"))
    assert coerce_column([full_width], MONEY).values.iloc[0] == n


@given(st.integers(min_value=0, max_value=10**6), st.integers(min_value=0, max_value=99))
def test_money_decimals(whole, cents):
    text = f"￥{whole:,}.{cents:02d}"
    assert coerce_column([text], MONEY).values.iloc[0] == pytest.approx(whole + cents / 100)


# --- dates and months ----------------------------------------------------------


def test_date_forms():
    raw = [dt.date(2020, 8, 25), dt.datetime(2020, 8, 25, 10, 5), "2020.8.25", "2020/8/25",
           "2020-08-25", "2020年8月25日", "20200825", 44068, 20200825.0, "2020-02-30",
           dt.time(1, 2), "2014-02-14T08:27:48.765Z", "２０２０．８．２５", " 2020 年 8 月 25 日 ",
           "2020-08-25 13:45:00", True, "明天", None, "", dt.timedelta(days=3)]
    values, changed, failed, empty = run(raw, DATE)
    d = T("2020-08-25")
    assert_values(values, [d, d, d, d, d, d, d, d, d, NAT, NAT, T("2014-02-14"), d, d, d,
                           NAT, NAT, NAT, NAT, NAT])
    assert changed == [False, False, True, True, True, True, True, True, True, False, False, True,
                       True, True, True, False, False, False, False, False]
    assert failed == [False] * 9 + [True, True, False, False, False, False, True, True, False,
                                    False, True]
    assert empty == [False] * 17 + [True, True, False]
    assert str(coerce_column(raw, DATE).values.dtype) == "datetime64[ns]"


def test_date_serials_1900_and_1904():
    values, changed, _, _ = run([44068, 44068.75, 1, 59, 61], DATE)
    assert values == [T("2020-08-25"), T("2020-08-25"), T("1900-01-01"), T("1900-02-28"),
                      T("1900-03-01")]
    assert changed == [True] * 5
    values, _, _, _ = run([44068 - 1462, 0], DATE, date1904=True)
    assert values == [T("2020-08-25"), T("1904-01-01")]


def test_date_out_of_range_is_a_failure():
    values, _, failed, _ = run([dt.date(3020, 1, 1), 99999999, -5, 10**7], DATE)
    assert_values(values, [NAT, NAT, NAT, NAT])
    assert failed == [True, True, True, True]


@given(st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2100, 12, 31)))
def test_every_text_date_form(day):
    forms = [f"{day.year}.{day.month}.{day.day}", f"{day.year}/{day.month}/{day.day}",
             day.isoformat(), f"{day.year}年{day.month}月{day.day}日", day.strftime("%Y%m%d")]
    values = coerce_column(forms, DATE).values
    assert values.tolist() == [T(day)] * len(forms)
    serial = (day - dt.date(1899, 12, 30)).days
    assert coerce_column([serial], DATE).values.iloc[0] == T(day)
    if day.year >= 1904:
        assert coerce_column([serial - 1462], DATE, date1904=True).values.iloc[0] == T(day)


def test_month_forms():
    raw = [202008, "2020-08", "2020年8月", "2020.8", dt.date(2020, 8, 25), "2020.13", "202008",
           2020.5, "2020年8月25日", dt.datetime(2020, 8, 31, 23, 59), "2020/12", 20200825, None]
    values, changed, failed, empty = run(raw, MONTH)
    m = T("2020-08-01")
    assert_values(values, [m, m, m, m, m, NAT, m, NAT, m, m, T("2020-12-01"), m, NAT])
    assert changed == [True, True, True, True, False, False, True, False, True, False, True,
                       True, False]
    assert failed == [False] * 5 + [True, False, True] + [False] * 5
    assert empty == [False] * 12 + [True]


# --- yes / no ------------------------------------------------------------------


def test_yesno_forms():
    raw = ["是", "否", "Y", "n", "√", "×", "有", "无", 1, 0, "TRUE", False, "maybe", " 是 ",
           "yes", "No", 1.0, 2, "", True]
    values, changed, failed, empty = run(raw, YESNO)
    assert values == ["是", "否", "是", "否", "是", "否", "是", "否", "是", "否", "是", "否", None,
                      "是", "是", "否", "是", None, None, "是"]
    assert changed == [False, False, True, True, True, True, True, True, True, True, True, True,
                       False, False, True, True, True, False, False, True]
    assert failed == [False] * 12 + [True] + [False] * 4 + [True, False, False]
    assert empty == [False] * 18 + [True, False]


# --- IDs, phones, text -----------------------------------------------------------


def test_id_keeps_numbers_untouched():
    number = 1.30434198001011e17
    raw = [" 13043419800101123X ", number, 130434, None, "", "  "]
    result = coerce_column(raw, ID)
    values = result.values.tolist()
    assert values[0] == "13043419800101123X"
    assert values[1] == number and type(values[1]) is float
    assert values[2] == 130434 and type(values[2]) is int
    assert values[3:] == [None, None, None]
    assert not result.changed.any() and not result.failed.any()
    assert result.values.dtype == object


def test_phone():
    values, changed, failed, _ = run([" 13800138000 ", 13800138000.0, 1.5, True, 3200, None], PHONE)
    assert values == ["13800138000", "13800138000", None, None, "3200", None]
    assert changed == [False, True, False, False, True, False]
    assert failed == [False, False, True, True, False, False]


@pytest.mark.parametrize("kind", [TEXT, CHOICE])
def test_text_and_choice(kind):
    raw = [" 城关镇 ", 1001.0, 0.5, True, dt.datetime(2020, 1, 1), dt.datetime(2020, 1, 1, 5),
           dt.date(2020, 2, 3), None, "  ", "\u3000整户低保\u3000", 7]
    values, changed, failed, empty = run(raw, kind)
    assert values == ["城关镇", "1001", "0.5", "TRUE", "2020-01-01", "2020-01-01 05:00:00",
                      "2020-02-03", None, None, "整户低保", "7"]
    assert not any(changed) and not any(failed)
    assert empty == [False] * 7 + [True, True, False, False]
    assert coerce_column(raw, kind).values.dtype == object


def test_raw_strips_strings_only():
    values, changed, failed, empty = run([" a ", 1.5, dt.date(2020, 1, 1), "", None], RAW)
    assert values == ["a", 1.5, dt.date(2020, 1, 1), None, None]
    assert empty == [False, False, False, True, True]
    assert not any(changed) and not any(failed)


# --- general -------------------------------------------------------------------


@pytest.mark.parametrize("kind", [*TYPES, RAW])
def test_every_type_takes_an_empty_column_and_odd_objects(kind):
    result = coerce_column([], kind)
    assert len(result.values) == 0
    odd = [object(), np.int64(5), np.float64(2.0), pd.Timestamp("2020-01-01"), pd.NA, pd.NaT,
           np.nan]
    result = coerce_column(odd, kind)
    assert result.empty.tolist() == [False, False, False, False, True, True, True]
    assert len(result.values) == len(odd)


def test_unknown_type():
    with pytest.raises(ValueError, match="unknown column type 'float'"):
        coerce_column([1], "float")


def test_classify_codes():
    codes = classify(["a", 1, 1.5, True, dt.datetime(2020, 1, 1), dt.date(2020, 1, 1),
                      dt.time(1), dt.timedelta(1), None, object()]).tolist()
    assert codes == [1, 2, 3, 4, 5, 6, 7, 8, 0, 9]


def test_is_blank():
    assert [is_blank(v) for v in [None, "", " \u3000", float("nan"), pd.NA, pd.NaT, 0, "0"]] == [
        True, True, True, True, True, True, False, False,
    ]


def test_large_numeric_column():
    raw = np.empty(100_000, dtype=object)
    raw[:] = list(np.arange(100_000, dtype=float))
    raw[7] = "7元"
    result = coerce_column(raw, MONEY)
    assert result.values.sum() == sum(range(100_000))
    assert result.changed.sum() == 1 and result.changed.iloc[7]
