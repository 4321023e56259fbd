"""The one number formatter, cell text, display widths and cell addresses."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fangpin_xl.text import (
    EXCEL_CELL_CHARS,
    append_number_texts,
    cell_text,
    column_index,
    column_letter,
    display_width,
    fit_cell,
    number_text,
    number_texts,
    pad,
    shorten,
    split_cell,
)


def test_number_text():
    assert [number_text(v) for v in (6000.0, 6000.01, 0.01, -0.0, 1e-7, 4999.995, 6000.01 - 6000, 2.5e16,
                                      0.1, 1.5, 6208.5)] == [
        "6000", "6000.01", "0.01", "0", "0", "4999.995", "0.01", "2.5e+16", "0.1", "1.5", "6208.5",
    ]


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300), min_size=1))
def test_vectorised_number_texts_match_number_text(values):
    assert list(append_number_texts("", np.array(values))) == [number_text(v) for v in values]
    series = pd.Series(values, index=range(3, 3 + len(values)))
    assert number_texts(series).tolist() == [number_text(v) for v in values]
    assert number_texts(series).index.tolist() == series.index.tolist()


def test_number_texts_blank_for_missing_and_text():
    series = pd.Series([5000.0, None, float("nan"), "abc", float("inf")], dtype=object)
    assert number_texts(series).tolist() == ["5000", "", "", "", ""]


def test_cell_text():
    assert cell_text(None) == "" and cell_text(float("nan")) == "" and cell_text(pd.NaT) == ""
    assert cell_text(True) == "是" and cell_text(np.bool_(False)) == "否"
    assert cell_text(dt.datetime(2020, 5, 3)) == "2020-05-03"
    assert cell_text(dt.datetime(2020, 5, 3, 8, 30)) == "2020-05-03 08:30:00"
    assert cell_text(pd.Timestamp("2020-05-03")) == "2020-05-03"
    assert cell_text(dt.date(2020, 5, 3)) == "2020-05-03"
    assert cell_text(5000.0) == "5000" and cell_text(0.1) == "0.1" and cell_text(12) == "12"
    # An 18-digit number typed into a number cell: Excel shows 15 significant digits.
    assert cell_text(130434199001011232.0) == "1.30434199001011e+17"
    assert cell_text("  文本 ") == "  文本 "


def test_display_width_and_pad():
    assert display_width("监测户") == 6 and display_width("A１") == 3 and display_width("abc") == 3
    assert pad("户", 4) == "户  " and pad("12", 4, right=True) == "  12"


def test_cell_addresses():
    letters = [column_letter(i) for i in (0, 25, 26, 51, 52, 701, 702, 16383)]
    assert letters == ["A", "Z", "AA", "AZ", "BA", "ZZ", "AAA", "XFD"]
    assert [column_index(t) for t in letters] == [0, 25, 26, 51, 52, 701, 702, 16383]
    assert column_index("") == -1
    assert split_cell("C5") == ("C", 5) and split_cell("XFD1048576") == ("XFD", 1048576)
    assert split_cell("") == ("", None) and split_cell("5C") == ("", None)


def test_redact_masks_ids_and_mobiles_whatever_the_text():
    from fangpin_xl.text import redact

    assert redact("家庭人口“130434199001011237”不是整数") == "家庭人口“130434********1237”不是整数"
    assert redact("号码 13043419900101123x 与 13812345678") == "号码 130434********123x 与 138****5678"
    assert redact("旧号码 130434900101123") == "旧号码 130434*****1123"
    assert redact("“1.30434199001011e+17”不是整数") == "“1.30434…e+17”不是整数"
    assert redact("如 1.30434E+17；金额 200000 元，日期 20200825，户 H-0012") == \
        "如 1.30434E+17；金额 200000 元，日期 20200825，户 H-0012"
    assert redact("130434********123X") == "130434********123X"


@pytest.mark.parametrize(("text", "shown"), [
    # Any final character: a mistyped check character is still somebody's number.
    ("身份证号“13043419800101123Y”校验位不对", "身份证号“130434********123Y”校验位不对"),
    ("13043419800101123y、130434198001011237", "130434********123y、130434********1237"),
    ("ID130434198001011237号", "ID130434********1237号"),
    ("030434198001011237", "030434********1237"),
    # Full-width digits and letters: masked where they stand, the rest of the text untouched.
    ("号码 １３０４３４１９８００１０１１２３Ｘ，电话 １３８１２３４５６７８。",
     "号码 １３０４３４********１２３Ｘ，电话 １３８****５６７８。"),
    ("混写 1304341９8001011237 与 ① 和 ａｂｃ", "混写 130434********1237 与 ① 和 ａｂｃ"),
    ("“１.３０４３４１９９００１０１１e+17”不是整数", "“１.３０４３４…e+17”不是整数"),
])
def test_redact_masks_any_final_character_and_full_width_forms(text, shown):
    from fangpin_xl.text import redact

    assert redact(text) == shown


@pytest.mark.parametrize("text", [
    "金额 200000.00 元，合计 1,234,567.89 元，日期 2020-08-25、20200825、2020年8月25日",
    "户编号 H-0012，案件 A2020000123，１２３４５６ 元，第 12 行",
    "19 位银行卡号不是身份证号：6222021234567890123",
    "17 位数字 13043419800101123，编号 13043419800101123-1",
    "已遮盖：130434********123X，138****5678",
    "全角金额 ２０００００ 元，日期 ２０２０年８月２５日",
])
def test_redact_leaves_amounts_dates_and_masked_numbers(text):
    from fangpin_xl.text import redact

    assert redact(text) == text


def test_sheet_names_from_what_people_typed():
    from fangpin_xl.text import sheet_names

    long = "东代固乡东代固村第一村民小组第二村民小组第三村民小组北南西东中"  # 31 characters
    assert len(long) == 31
    assert sheet_names(["东/西村", "北*庄", "东/西村", "东／西村", "[前]:后?村\\", "'村'", "  ", "History",
                        long, long + "南", "公示-130434198001011237", "东\n村"]) == [
        "东／西村", "北＊庄", "东／西村(2)", "东／西村(3)", "［前］：后？村＼", "’村’", "工作表", "History(2)",
        long, long[:28] + "(2)", "公示-130434＊＊＊＊＊＊＊＊1237", "东 村"]
    # Excel ignores case; a cut name never ends in an apostrophe; a character outside the BMP
    # counts two of the 31.
    assert sheet_names(["Abc", "aBC", "x" * 30 + "'y"], fallback="公示") == ["Abc", "aBC(2)", "x" * 30 + "’"]
    assert sheet_names(["𠀀" * 16]) == ["𠀀" * 15]
    assert sheet_names(["", ""], fallback="公示") == ["公示", "公示(2)"]


def test_shorten_says_how_long_the_text_was():
    assert shorten("长" * 200, 200) == "长" * 200
    cut = shorten("长" * 32767, 200)
    assert cut == "长" * 188 + "…（共 32767 字）" and len(cut) == 200
    assert shorten("abcdef", 3) == "…（共 6 字）"  # never longer than asked for the text itself


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def test_fit_cell_counts_what_excel_counts():
    assert EXCEL_CELL_CHARS == 32767
    legal = "长" * 32767
    assert fit_cell(legal) is legal
    cut = fit_cell("长" * 40000)
    assert cut.endswith("长…（共 40000 字）") and utf16_units(cut) == 32767
    # Beyond the BMP a character takes two UTF-16 code units, and no pair is split.
    wide = fit_cell("𠀀" * 32767)
    assert wide.endswith("𠀀…（共 32767 字）") and utf16_units(wide) == 32766
    assert fit_cell("𠀀" * 16383) == "𠀀" * 16383


def test_type_mask_tests_each_distinct_type_once():
    import datetime as dt

    import numpy as np

    from fangpin_xl.text import type_mask

    values = np.array(["a", 1, 2.5, True, np.float64(3), np.bool_(False), None, dt.date(2020, 1, 1), np.str_("b")],
                      dtype=object)
    assert type_mask(values, str).tolist() == [True, False, False, False, False, False, False, False, True]
    assert type_mask(values, int, float, np.number, exclude=(bool, np.bool_)).tolist() == [
        False, True, True, False, True, False, False, False, False]
    assert type_mask(np.array([], dtype=object), str).tolist() == []


def test_per_distinct_calls_once_per_value():
    import numpy as np

    from fangpin_xl.text import per_distinct

    calls = []

    def upper(text):
        calls.append(text)
        return text.upper()

    assert per_distinct(np.array(["a", "b", "a", "a"], dtype=object), upper).tolist() == ["A", "B", "A", "A"]
    assert calls == ["a", "b"]
    assert per_distinct(np.array([], dtype=object), upper, dtype=bool).tolist() == []
