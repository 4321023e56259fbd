"""Tests for fangpin_xl.ids: resident ID numbers (GB 11643-1999)."""

from __future__ import annotations

import math
import sys
from datetime import date, datetime
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fangpin_xl.ids import (
    HANDAN_AREAS,
    MSG_EMPTY,
    MSG_NUMERIC,
    MSG_NUMERIC_LOST,
    MSG_X_POSITION,
    PROVINCE_CODES,
    IdCheck,
    check_char,
    id_age,
    id_area,
    id_birth_date,
    id_error_code,
    id_gender,
    make_id,
    mask_id,
    mask_ids,
    normalize_id,
    validate_id,
    validate_ids,
)

TODAY = date(2025, 6, 30)
NUMERIC_LOST = (
    "身份证号被 Excel 存成了数字（如 1.30434E+17），末尾数字已丢失，请将该列设为文本后重新录入"
)
NUMERIC_INTACT = "身份证号被 Excel 存成了数字，请将该列设为文本后重新录入"

# Published examples from the standard's documentation, independent of our code.
GB_EXAMPLE_X = "11010519491231002X"
GB_EXAMPLE_1880 = "440524188001010014"


def by_hand(first17: str) -> str:
    """The check character computed step by step, as the standard describes it."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = 0
    for digit, weight in zip(first17, weights, strict=True):
        total += int(digit) * weight
    return "10X98765432"[total % 11]


def check(value, today=TODAY) -> IdCheck:
    return validate_id(value, today=today)


# ---------------------------------------------------------------- constants


def test_handan_areas_has_current_and_historical_codes():
    assert HANDAN_AREAS["130434"] == "魏县"
    assert HANDAN_AREAS["130481"] == "武安市"
    assert HANDAN_AREAS["130421"] == "邯郸县"
    assert HANDAN_AREAS["130428"] == "肥乡县"
    assert HANDAN_AREAS["130429"] == "永年县"
    assert HANDAN_AREAS["130400"] == "邯郸市"
    assert len(HANDAN_AREAS) == 22
    assert all(code.startswith("1304") and len(code) == 6 for code in HANDAN_AREAS)


def test_province_codes():
    expected = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45,
                46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82}
    assert PROVINCE_CODES == {f"{c:02d}" for c in expected}


def test_every_unicode_space_is_removed():
    spaces = [chr(cp) for cp in range(sys.maxunicode + 1) if chr(cp).isspace()]
    assert normalize_id("1" + "".join(spaces) + "2") == "12"


# ---------------------------------------------------------------- check character


def test_check_char_published_examples():
    assert check_char(GB_EXAMPLE_X[:17]) == "X"
    assert check_char(GB_EXAMPLE_1880[:17]) == "4"


@pytest.mark.parametrize("first17", ["13043419900101123", "13043420000229001", "11010519491231002",
                                     "00000000000000000", "99999999999999999"])
def test_check_char_matches_hand_computation(first17):
    assert check_char(first17) == by_hand(first17)


@pytest.mark.parametrize("bad", ["1304341990010112", "1304341990010112X", "１３０４３４１９９００１０１１２３"])
def test_check_char_rejects_non_digits(bad):
    with pytest.raises(ValueError):
        check_char(bad)


# ---------------------------------------------------------------- valid numbers


@pytest.mark.parametrize(
    ("birth", "seq"),
    [(date(1950, 3, 7), 11), (date(1990, 1, 1), 123), (date(2000, 2, 29), 2),
     (date(2024, 2, 29), 999), (date(1900, 1, 1), 0), (TODAY, 517)],
)
def test_real_format_numbers_validate(birth, seq):
    number = make_id("130434", birth, seq)
    body = f"130434{birth:%Y%m%d}{seq:03d}"
    assert number == body + by_hand(body)
    result = check(number)
    assert result == IdCheck(number, number, True, None, None, False)


def test_published_example_with_x_is_valid_outside_handan():
    result = check(GB_EXAMPLE_X)
    assert result.valid
    assert result.error is None
    assert result.warning == "地区码 110105 不在邯郸市范围内（可能外地迁入）"


def test_a_made_up_1304_code_warns_and_names_no_place():
    number = make_id("130499", date(1980, 1, 1), 1)
    result = check(number)
    assert result.valid and result.warning == "地区码 130499 不是邯郸市的区县代码（可能填错）"
    assert id_area(number) is None
    assert validate_ids(pd.Series([number]), today=TODAY)["warning"].tolist() == [result.warning]


def test_area_codes_the_county_regards_as_normal_get_no_warning():
    henan, shandong = make_id("410922", date(1980, 1, 1), 1), make_id("371525", date(1982, 5, 5), 2)
    assert validate_id(henan, TODAY, ("41",)).warning is None
    assert validate_id(shandong, TODAY, ("41",)).warning == "地区码 371525 不在邯郸市范围内（可能外地迁入）"
    found = validate_ids(pd.Series([henan, shandong]), today=TODAY, normal_areas=("41", "371525"))
    assert found["warning"].tolist() == [None, None]


def test_lower_case_x_full_width_and_spaces_are_accepted():
    upper = GB_EXAMPLE_X
    assert check(upper.lower()).normalized == upper
    assert check(upper[:-1] + "ｘ").normalized == upper
    assert check(upper[:-1] + "Ｘ").normalized == upper
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in upper[:17]) + "x"
    assert check(full_width).valid
    assert check(full_width).normalized == upper
    spaced = " 110105\u30001949 1231\t002x\u00a0\n"
    assert check(spaced) == IdCheck(spaced, upper, True, None,
                                    "地区码 110105 不在邯郸市范围内（可能外地迁入）", False)
    assert normalize_id("\ufeff1304 34\u200b") == "130434"


def test_normalize_id():
    assert normalize_id(None) == ""
    assert normalize_id(float("nan")) == ""
    assert normalize_id(pd.NA) == ""
    assert normalize_id("  ") == ""
    assert normalize_id("１３０４３４ｘ") == "130434X"
    assert normalize_id("ａｂ") == "ab"
    assert normalize_id(130434199001011234) == "130434199001011234"
    assert normalize_id(1.30434e17) == "130434000000000000"
    assert normalize_id(12.5) == "12.5"
    assert normalize_id(Decimal("130434.000")) == "130434"


# ---------------------------------------------------------------- problems, one message each


@pytest.mark.parametrize("value", [None, "", "   ", "\u3000", float("nan"), np.nan, pd.NA, pd.NaT])
def test_empty(value):
    result = check(value)
    assert (result.valid, result.error, result.normalized) == (False, "身份证号为空", "")
    assert result.error == MSG_EMPTY


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (1.30434e17, NUMERIC_LOST),
        (130434199001011000.0, NUMERIC_LOST),
        (np.float64(1.30434199001012e17), NUMERIC_LOST),
        (130434199001011234, NUMERIC_LOST),
        (np.int64(130434199001011234), NUMERIC_LOST),
        (Decimal("130434199001011234"), NUMERIC_LOST),
        (12.5, NUMERIC_LOST),
        (float("inf"), NUMERIC_LOST),
        (130434900101123, NUMERIC_INTACT),
        (130434900101123.0, NUMERIC_INTACT),
        ("1.30434E+17", NUMERIC_LOST),
        ("1.30434e+17", NUMERIC_LOST),
        ("1.30434199001012E+17", NUMERIC_LOST),
        ("１.３０４３４Ｅ＋１７".replace("＋", "+"), NUMERIC_LOST),
        ("13043419900101123E17", NUMERIC_LOST),
        ("130434199001011234.0", NUMERIC_LOST),
        ("130434900101123.0", NUMERIC_INTACT),
        ("130434900101123.", NUMERIC_INTACT),
    ],
)
def test_numbers_from_numeric_cells_are_reported_not_repaired(value, message):
    result = check(value)
    assert result.valid is False
    assert result.error == message
    assert result.upgraded is False
    assert result.warning is None
    assert MSG_NUMERIC_LOST == NUMERIC_LOST and MSG_NUMERIC == NUMERIC_INTACT


def test_numeric_cell_normalized_keeps_digits_but_is_invalid():
    result = check(1.30434e17)
    assert result.normalized == "130434000000000000"
    assert mask_id(1.30434e17) == "130" + "*" * 15


@pytest.mark.parametrize(
    ("value", "length"),
    [("1", 1), ("13043419900101123", 17), ("1304341990010112345", 19),
     ("1304349001011", 13), ("13043490010112", 14), ("1304349001011234", 16),
     ("1304341990010112341234", 22)],
)
def test_wrong_length(value, length):
    assert check(value).error == f"身份证号应为 18 位（旧号码为 15 位），实际为 {length} 位"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("13043419900101123-", "「-」"),
        ("130434-1990-0101-1234", "「-」"),
        ("1304341990010112.4", "「.」"),
        ("13043419900101123Y", "「Y」"),
        ("A30434199001011234", "「A」"),
        ("ａ30434199001011234", "「a」"),
        ("130434一九九〇01011234", "「一」「九」「〇」"),
        ("1304341990/01/011234", "「/」"),
        ("13043419900101123\u200e", "「U+200E」"),
        ("130434\x0019900101123", "「U+0000」"),
        ("张三", "「张」「三」"),
        ("e", "「e」"),
    ],
)
def test_illegal_characters_are_named(value, shown):
    assert check(value).error == f"身份证号含非法字符：{shown}（只能是数字，最后一位可以是 X）"


@pytest.mark.parametrize("value", ["13043419900101X234", "X30434199001011234",
                                   "13043490010112X", "13043X900101123", "1304341990010112XX"])
def test_x_not_last(value):
    assert check(value).error == "字母 X 只能出现在 18 位号码的最后一位（校验码）"
    assert check(value).error == MSG_X_POSITION


@pytest.mark.parametrize("area", ["000000", "100101", "160101", "240101", "380101", "470101",
                                  "550101", "660101", "700101", "720101", "830101", "990101"])
def test_bad_province(area):
    body = f"{area}19900101123"
    number = body + by_hand(body)
    assert check(number).error == f"地区码 {area} 无效：前两位 {area[:2]} 不是省份代码"


def test_bad_province_in_15_digit_number():
    result = check("990434900101123")
    assert result.error == "地区码 990434 无效：前两位 99 不是省份代码"
    assert result.upgraded is True
    assert result.normalized == "990434199001011234"


@pytest.mark.parametrize(
    "ymd",
    ["19990230", "19000229", "20230229", "19901301", "19900001", "19900100", "19900431",
     "00000101", "99999999"],
)
def test_invalid_birth_date(ymd):
    body = f"130434{ymd}123"
    assert check(body + by_hand(body)).error == f"出生日期 {ymd} 不是有效日期"


def test_leap_days_are_valid():
    for ymd in ("20000229", "19960229", "20240229"):
        body = f"130434{ymd}123"
        assert check(body + by_hand(body)).valid


@pytest.mark.parametrize("ymd", ["18991231", "18800101", "10000101"])
def test_birth_before_1900(ymd):
    body = f"130434{ymd}123"
    assert check(body + by_hand(body)).error == f"出生日期 {ymd} 早于 1900 年"


def test_published_1880_example_is_rejected_as_too_early():
    assert check(GB_EXAMPLE_1880).error == "出生日期 18800101 早于 1900 年"


def test_birth_in_the_future_relative_to_today():
    body = "13043420250701123"
    number = body + by_hand(body)
    assert check(number, today=date(2025, 6, 30)).error == (
        "出生日期 20250701 晚于当前日期 2025-06-30"
    )
    assert check(number, today=date(2025, 7, 1)).valid
    assert check(number, today=datetime(2025, 7, 1, 8, 0)).valid
    assert validate_id(make_id("130434", date(1990, 1, 1), 1)).valid  # default today


def test_wrong_check_character_names_both():
    assert check(GB_EXAMPLE_X[:17] + "3").error == "校验码应为 X，实际为 3"
    number = make_id("130434", date(1990, 1, 1), 123)
    assert number[-1] == "4"
    assert check(number[:17] + "X").error == "校验码应为 4，实际为 X"
    assert check(number[:17] + "x").error == "校验码应为 4，实际为 X"
    assert check(number[:17] + "x").normalized == number[:17] + "X"


def test_first_problem_wins():
    # illegal characters before length, length before X, province before date, date before check
    assert check("13043419900101-").error.startswith("身份证号含非法字符")
    assert check("X3043419900101123").error.startswith("身份证号应为 18 位")
    assert check("990434199902301230").error.startswith("地区码 990434 无效")
    assert check("130434199902301230").error == "出生日期 19990230 不是有效日期"


# ---------------------------------------------------------------- 15-digit numbers


def test_15_digit_upgrade_computed_by_hand():
    old = "130434900101123"
    body = "13043419900101123"  # "19" inserted before the 2-digit year
    total = (1 * 7 + 3 * 9 + 0 * 10 + 4 * 5 + 3 * 8 + 4 * 4 + 1 * 2 + 9 * 1 + 9 * 6 + 0 * 3
             + 0 * 7 + 1 * 9 + 0 * 10 + 1 * 5 + 1 * 8 + 2 * 4 + 3 * 2)
    assert total == 195 and total % 11 == 8
    expected = body + "10X98765432"[8]
    assert expected == "130434199001011234"
    assert check(old) == IdCheck(old, expected, True, None, None, True)
    assert check(" 130434 900101 123 ").normalized == expected
    assert check("１３０４３４９００１０１１２３").upgraded is True


def test_15_digit_with_bad_date():
    result = check("130434990230123")
    assert result.error == "出生日期 19990230 不是有效日期"
    assert result.upgraded is True
    assert result.valid is False


@pytest.mark.parametrize("old", ["130434200503121", "130434199012241", "130434190503121"])
def test_15_digits_of_an_18_digit_number_are_an_error_not_a_person_born_1920(old):
    # 20050312 / 19901224 / 19050312 are birth dates written the 18-digit way: digits were cut off.
    expected = f"身份证号应为 18 位，这里只有 15 位，且第 7–14 位 {old[6:14]} 是 18 位号码的出生日期写法：可能少了后 3 位"
    result = check(old)
    assert (result.valid, result.error, result.upgraded, result.normalized) == (False, expected, False, old)
    vector = validate_ids(pd.Series([old, "130434900101123"]), today=TODAY)
    assert vector["error"].tolist() == [expected, None]
    assert vector["upgraded"].tolist() == [False, True]
    assert id_error_code(expected) == "id_length"


def test_15_digit_outside_handan_warns():
    result = check("110105491231002")
    assert result.valid and result.upgraded
    assert result.normalized == GB_EXAMPLE_X
    assert result.warning == "地区码 110105 不在邯郸市范围内（可能外地迁入）"


# ---------------------------------------------------------------- masking and fields


def test_mask_valid_numbers():
    number = GB_EXAMPLE_X
    assert mask_id(number) == "110105********002X"
    assert mask_id(number.lower()) == "110105********002X"
    assert mask_id(" 110105 19491231 002x ") == "110105********002X"
    assert mask_id(number, head=3, tail=1) == "110**************X"
    assert mask_id(number, head=0, tail=0) == "*" * 18
    assert mask_id("110105491231002") == "110105********002X"  # the upgraded form


def test_mask_empty_and_invalid():
    assert mask_id(None) == ""
    assert mask_id("") == ""
    assert mask_id("  ") == ""
    assert mask_id(GB_EXAMPLE_X[:17] + "3") == "110" + "*" * 15
    assert mask_id("1304341990") == "130*******"
    assert mask_id("13") == "13"
    assert mask_id("1.30434E+17") == "1.3********"


@pytest.mark.parametrize(("head", "tail"), [(-1, 4), (6, -1), (10, 8), (18, 0)])
def test_mask_rejects_bad_arguments(head, tail):
    with pytest.raises(ValueError):
        mask_id(GB_EXAMPLE_X, head=head, tail=tail)
    with pytest.raises(ValueError):
        mask_ids(pd.Series([GB_EXAMPLE_X]), head=head, tail=tail)


def test_gender_birth_age_area():
    male = make_id("130434", date(1990, 3, 15), 123)
    female = make_id("130481", date(2000, 2, 29), 124)
    assert id_gender(male) == "男"
    assert id_gender(female) == "女"
    assert id_birth_date(male) == date(1990, 3, 15)
    assert id_birth_date("130434900315123") == date(1990, 3, 15)
    assert id_age(male, date(2025, 3, 14)) == 34
    assert id_age(male, date(2025, 3, 15)) == 35
    assert id_age(female, date(2025, 2, 28)) == 24
    assert id_age(female, date(2025, 3, 1)) == 25
    assert id_age(female, date(2028, 2, 29)) == 28
    assert id_age(male, date(1990, 3, 14)) is None
    assert id_age(male, date(1990, 3, 15)) == 0
    assert id_area(male) == "魏县"
    assert id_area(female) == "武安市"
    assert id_area(make_id("130421", date(1960, 1, 1), 5)) == "邯郸县"
    assert id_area(GB_EXAMPLE_X) is None


def test_gb_example_gender():
    # 11010519491231002X: the 17th character is 2, even, so female.
    assert GB_EXAMPLE_X[16] == "2"
    assert id_gender(GB_EXAMPLE_X) == "女"


@pytest.mark.parametrize("bad", [None, "", "130434", GB_EXAMPLE_X[:17] + "3", 1.30434e17])
def test_fields_of_invalid_numbers_are_none(bad):
    assert id_gender(bad) is None
    assert id_birth_date(bad) is None
    assert id_age(bad, TODAY) is None
    assert id_area(bad) is None


# ---------------------------------------------------------------- make_id


def test_make_id_rejects_bad_arguments():
    with pytest.raises(ValueError):
        make_id("13043", date(1990, 1, 1), 1)
    with pytest.raises(ValueError):
        make_id("130434", date(1990, 1, 1), 1000)
    with pytest.raises(ValueError):
        make_id("130434", date(1990, 1, 1), -1)
    with pytest.raises(ValueError):
        make_id("13043a", date(1990, 1, 1), 1)


@given(
    area=st.sampled_from(sorted(HANDAN_AREAS)),
    birth=st.dates(date(1900, 1, 1), TODAY),
    seq=st.integers(0, 999),
)
def test_make_id_always_validates(area, birth, seq):
    number = make_id(area, birth, seq)
    assert len(number) == 18
    result = check(number)
    assert result.valid and result.error is None and result.warning is None
    assert id_birth_date(number) == birth
    assert id_gender(number) == ("男" if seq % 2 else "女")
    assert id_area(number) == HANDAN_AREAS[area]


@given(
    province=st.sampled_from(sorted(PROVINCE_CODES)),
    rest=st.from_regex(r"\A[0-9]{4}\Z"),
    birth=st.dates(date(1900, 1, 1), TODAY),
    seq=st.integers(0, 999),
)
def test_make_id_other_provinces_validate_with_warning(province, rest, birth, seq):
    area = province + rest
    result = check(make_id(area, birth, seq))
    assert result.valid
    if area in HANDAN_AREAS:
        assert result.warning is None
    elif area.startswith("1304"):
        assert result.warning == f"地区码 {area} 不是邯郸市的区县代码（可能填错）"
    else:
        assert result.warning == f"地区码 {area} 不在邯郸市范围内（可能外地迁入）"


# ---------------------------------------------------------------- vectorised


ROW_FIELDS = ("normalized", "valid", "error", "warning", "upgraded")


def assert_frame_matches_scalar(values, frame, today=TODAY):
    assert list(frame.columns) == list(ROW_FIELDS)
    assert len(frame) == len(values)
    for value, row in zip(values, frame.itertuples(index=False), strict=True):
        expected = validate_id(value, today=today)
        got = tuple(row)
        want = tuple(getattr(expected, f) for f in ROW_FIELDS)
        assert got == want, (value, got, want)
        assert isinstance(got[1], (bool, np.bool_)) and isinstance(got[4], (bool, np.bool_))


EXAMPLES = [
    GB_EXAMPLE_X, GB_EXAMPLE_X.lower(), GB_EXAMPLE_1880, make_id("130434", date(1990, 1, 1), 123),
    "130434900101123", "130434990230123", "1.30434E+17", "130434199001011234.0", "",
    "  ", None, np.nan, 1.30434e17, 130434900101123, "13043419900101123-", "1304341990010112",
    "13043X199001011234", "990434199001011234", "130434199902301234", GB_EXAMPLE_X[:17] + "3",
    "130434203001011234", "１３０４３４１９９００１０１１２３４", " 130434 199001011234 ",
    "13043490010112X", date(2020, 1, 1), "张三", "130434\x0019900101123",
]


def test_validate_ids_examples_match_scalar():
    series = pd.Series(EXAMPLES, dtype=object)
    assert_frame_matches_scalar(EXAMPLES, validate_ids(series, today=TODAY))


def test_validate_ids_keeps_index_and_types():
    series = pd.Series([GB_EXAMPLE_X, None, "bad"], index=[10, 5, 10], dtype=object)
    frame = validate_ids(series, today=TODAY)
    assert list(frame.index) == [10, 5, 10]
    assert frame["valid"].dtype == bool and frame["upgraded"].dtype == bool
    assert frame["error"].tolist() == [None, "身份证号为空", "身份证号含非法字符：「b」「a」「d」（只能是数字，最后一位可以是 X）"]
    assert frame["warning"].iloc[1] is None


@pytest.mark.parametrize(
    "series",
    [
        pd.Series([GB_EXAMPLE_X, "130434900101123", None]),  # pandas str dtype
        pd.Series([GB_EXAMPLE_X, "130434900101123", None], dtype="string"),
        pd.Series([GB_EXAMPLE_X, "130434900101123", None], dtype="category"),
        pd.Series([1.30434e17, np.nan, 130434900101123.0]),  # a numeric column
        pd.Series([130434199001011234, 130434900101123]),
        pd.Series([True, False]),
        pd.Series([], dtype=object),
        pd.Series([None, None], dtype=object),
    ],
)
def test_validate_ids_column_kinds(series):
    frame = validate_ids(series, today=TODAY)
    assert frame.index.equals(series.index)
    assert_frame_matches_scalar(series.tolist(), frame)


def test_validate_ids_accepts_a_list():
    frame = validate_ids(EXAMPLES, today=TODAY)
    assert_frame_matches_scalar(EXAMPLES, frame)


def test_mask_ids_matches_scalar():
    series = pd.Series(EXAMPLES, index=range(100, 100 + len(EXAMPLES)), dtype=object)
    masked = mask_ids(series, today=TODAY)
    assert list(masked.index) == list(series.index)
    assert masked.tolist() == [mask_id(v, today=TODAY) for v in EXAMPLES]
    assert masked.iloc[0] == "110105********002X"
    assert mask_ids(series, head=3, tail=1, today=TODAY).tolist() == [
        mask_id(v, head=3, tail=1, today=TODAY) for v in EXAMPLES
    ]


# Random mixes: real numbers, their damaged variants, numbers, junk.
AREAS = sorted(HANDAN_AREAS) + ["110105", "410102", "810000", "990101", "000000", "130499"]
_GOOD = st.builds(make_id, st.sampled_from(AREAS), st.dates(date(1880, 1, 1), date(2030, 12, 31)),
                  st.integers(0, 999))
_NOISE = "0123456789Xx -.Ｘｘ１９\u3000\u00a0\tE+aＡ张\u200b"


@st.composite
def damaged(draw):
    number = draw(_GOOD)
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return number.lower()
    if kind == 1:  # to 15 digits
        return number[:6] + number[8:17]
    if kind == 2:
        pos = draw(st.integers(0, 17))
        return number[:pos] + draw(st.sampled_from(_NOISE)) + number[pos + 1:]
    if kind == 3:
        pos = draw(st.integers(0, 18))
        return number[:pos] + draw(st.sampled_from(_NOISE)) + number[pos:]
    if kind == 4:
        return number[: draw(st.integers(0, 17))]
    if kind == 5:
        return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() and draw(st.booleans()) else c
                       for c in number)
    if kind == 6:
        return f"{int(number[:17]) / 10:.5E}".replace("E+", draw(st.sampled_from(["E+", "e+", "E"])))
    if kind == 7:
        return number[:17] + draw(st.sampled_from("0123456789X"))
    if kind == 8:
        return draw(st.sampled_from(["", " ", "\u3000"])) + number + draw(st.sampled_from(["", " "]))
    return number


_TEXTS = st.one_of(
    _GOOD,
    damaged(),
    st.from_regex(r"\A[0-9]{18}\Z"),
    st.from_regex(r"\A[0-9]{17}[0-9X]\Z"),
    st.from_regex(r"\A[0-9]{15}\Z"),
    st.text(alphabet=_NOISE, max_size=22),
    st.text(max_size=20),
)
_VALUES = st.one_of(
    _TEXTS,
    st.none(),
    st.just(float("nan")),
    st.floats(allow_nan=False, allow_infinity=True),
    st.integers(-(10**19), 10**19),
    st.dates(),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_VALUES, max_size=40), st.dates(date(1990, 1, 1), date(2035, 1, 1)))
def test_validate_ids_equals_validate_id_on_random_mixes(values, today):
    series = pd.Series(values, dtype=object, index=pd.RangeIndex(len(values)) * 3)
    frame = validate_ids(series, today=today)
    assert frame.index.equals(series.index)
    assert_frame_matches_scalar(values, frame, today=today)
    masked = mask_ids(series, today=today)
    assert masked.tolist() == [mask_id(v, today=today) for v in values]


@settings(max_examples=200, deadline=None)
@given(st.lists(_TEXTS, max_size=40))
def test_validate_ids_equals_validate_id_on_text_columns(texts):
    series = pd.Series(texts, dtype="str")
    assert_frame_matches_scalar(texts, validate_ids(series, today=TODAY))


@given(_VALUES)
def test_scalar_never_crashes(value):
    result = validate_id(value, today=TODAY)
    assert result.valid == (result.error is None)
    if result.valid:
        assert len(result.normalized) == 18
        assert mask_id(value, today=TODAY).count("*") == 8
    else:
        assert result.warning is None
    if isinstance(value, int | float) and not isinstance(value, bool):
        assert result.error in (NUMERIC_LOST, NUMERIC_INTACT, MSG_EMPTY)
    if isinstance(value, float) and math.isnan(value):
        assert result.error == MSG_EMPTY


def test_error_codes_name_each_kind_of_problem():
    import pandas as pd

    from fangpin_xl.ids import id_error_code, id_error_codes, make_id, validate_id

    good = make_id("130434", __import__("datetime").date(1990, 1, 1), 123)
    wrong_check = good[:-1] + ("0" if good[-1] != "0" else "1")
    cases = {
        "": "id_empty",
        1.30434e17: "id_numeric",
        "1304341990-1011234": "id_chars",
        "13043419900101": "id_length",
        "X30434199001011234": "id_chars",
        "990434199001011234": "id_province",
        "130434199002301234": "id_date",
        wrong_check: "id_check",
        good: None,
    }
    errors = [validate_id(value).error for value in cases]
    assert [id_error_code(e) for e in errors] == list(cases.values())
    assert id_error_codes(pd.Series(errors)).tolist() == list(cases.values())
