"""Cell values as each runtime hands them over, normalised by excel.cells (no xlwings needed)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from fangpin_xl.errors import InputError
from fangpin_xl.excel import cells
from fangpin_xl.schema import DATE, MONEY


def test_grid_shapes():
    assert cells.grid(None).tolist() == [[None]]
    assert cells.grid("x").tolist() == [["x"]]
    assert cells.grid([]).tolist() == [[None]]
    assert cells.grid([[]]).tolist() == [[None]]
    # xlwings' to_scalar unwraps a one-row matrix into a flat list: it is a row.
    assert cells.grid([1, 2]).tolist() == [[1, 2]]
    assert cells.grid([[1], [2]]).tolist() == [[1], [2]]
    # COM hands ranges over as row tuples; ragged rows are padded with empty cells.
    assert cells.grid(((1.0, "a"), (None, True))).tolist() == [[1.0, "a"], [None, True]]
    assert cells.grid([[1, 2], [3]]).tolist() == [[1, 2], [3, None]]


def test_grid_normalises_what_office_js_and_com_send():
    china = dt.timezone(dt.timedelta(hours=8))
    values = [[
        {"type": "Error", "basicValue": "#N/A", "errorType": "NotAvailable"},  # Office.js error
        {"type": "Error", "errorType": "Value"},  # an error without its text
        {"type": "Double", "basicValue": 5000.0},  # another Office data type
        {"type": "Entity", "text": "x"},  # nothing a cell value can stand for
        -2146826246,  # COM #N/A code
        -2146826281,  # COM #DIV/0! code
        -2146826245,  # just a number
        dt.datetime(2020, 5, 3, tzinfo=china),  # a COM date: wall time in the local zone
        [1, 2],  # a nested list
    ]]
    assert cells.grid(values).tolist() == [[
        "#N/A", "#VALUE!", 5000.0, "{'type': 'Entity', 'text': 'x'}", "#N/A", "#DIV/0!", -2146826245,
        dt.datetime(2020, 5, 3), "[1, 2]",
    ]]


def test_one_com_error_cell_is_its_error_text_not_a_number():
    # Desktop Excel (COM) hands one error cell over as its VT_ERROR code, like a cell of a range:
    # =FP_STATUS(G3,H3,…) with #N/A in H3 was judged on an income of -2146826246 yuan (符合).
    assert cells.grid(-2146826246).tolist() == [["#N/A"]]
    assert cells.grid(-2146826281).tolist() == [["#DIV/0!"]]
    assert cells.grid(-2146826245).tolist() == [[-2146826245]]  # just a number
    from fangpin_xl.excel import udfs

    assert udfs.FP_REASONS("脱贫不稳定户", -2146826246, 6000.0, None, None, None) == "人均收入“#N/A”不是数字"
    assert udfs.FP_PAYOUT("因病", -2146826246) == "支出金额“#N/A”不是数字。"
    assert udfs.FP_FUND_BALANCE(-2146826246, 1.0, None, None) == "上年结转“#N/A”不是数字"


def test_grid_reads_pyodides_null_as_an_empty_cell(monkeypatch):
    class JsNull:
        def __bool__(self):
            return False

    monkeypatch.setattr(cells, "_JsNull", JsNull)
    assert cells.grid([[1, JsNull()], [JsNull(), "a"]]).tolist() == [[1, None], [None, "a"]]


def test_broadcast_repeats_single_cells():
    shape, flat = cells.broadcast({"a": [[1], [2], [3]], "b": [["x"]], "c": None}, {"a": "甲", "b": "乙", "c": "丙"})
    assert shape == (3, 1)
    assert {k: v.tolist() for k, v in flat.items()} == {"a": [1, 2, 3], "b": ["x"] * 3, "c": [None] * 3}
    with pytest.raises(InputError) as caught:
        cells.broadcast({"a": [[1], [2]], "b": [[1, 2]]}, {"a": "甲", "b": "乙"})
    assert str(caught.value) == "各区域大小不一致：甲 2 行 1 列，乙 1 行 2 列。请让各区域的行数、列数相同，或只选一个单元格。"


def test_coerce_several_columns_at_once_keeps_failures_as_typed():
    typed = cells.coerce({"a": np.array(["5,000元", None, "abc"], dtype=object),
                          "b": np.array(["５０００", 3, True], dtype=object)}, MONEY)
    assert typed["a"].values[0] == 5000.0 and typed["b"].values[0] == 5000.0
    assert typed["a"].empty.tolist() == [False, True, False]
    assert typed["a"].or_raw().tolist()[2] == "abc"
    assert typed["b"].or_raw().tolist() == [5000.0, 3.0, True]
    assert typed["a"].failure_messages("金额", "数字").tolist() == [None, None, "金额“abc”不是数字"]
    assert typed["b"].failure_messages("金额", "数字").tolist() == [None, None, "金额“是”不是数字"]


def test_dates_outside_1900_to_2100_are_refused():
    typed = cells.coerce({"d": np.array(["2020.5.3", 43954, "1899-12-31", "2200-01-01", "昨天"],
                                        dtype=object)}, DATE)["d"]
    assert cells.dates_out(typed.values).tolist()[:2] == [dt.date(2020, 5, 3)] * 2
    assert typed.failure_messages("日期", "日期").tolist() == [
        None, None, "日期“1899-12-31”不在 1900 年至 2100 年之间", "日期“2200-01-01”不在 1900 年至 2100 年之间",
        "日期“昨天”不是日期"]


def test_values_out():
    assert cells.numbers_out(np.array([1.5, np.nan])).tolist() == [1.5, None]
    assert cells.dates_out(np.array(["2020-05-03", "NaT"], dtype="datetime64[ns]")).tolist() == [
        dt.date(2020, 5, 3), None]
    assert cells.shaped(np.array(["a"], dtype=object), (1, 1)) == "a"
    assert cells.shaped(np.array(["a", "b"], dtype=object), (1, 2)) == [["a", "b"]]


def test_year_and_policy():
    assert cells.year_value(None) is None
    assert cells.year_value("2019年") == 2019
    assert cells.year_value(2019.0) == 2019
    with pytest.raises(InputError, match="年度应为 2000 到 2100 之间的整数（如 2020），现为“是”。"):
        cells.year_value(True)
    policy, year = cells.policy_for(2019)
    assert (policy.year, year) == (2019, 2019)
    assert cells.policy_for(2019)[0] is policy  # built once per year
