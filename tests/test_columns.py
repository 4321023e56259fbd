"""Columns of cell values as the rules (and Excel's formulas) see them."""

import pandas as pd

from fangpin_xl.columns import as_dates, as_numbers, as_text, day_text, excel_dates, excel_numbers

T = pd.Timestamp


def test_excel_dates_and_numbers():
    dates = excel_dates(pd.Series([T("2020-01-02"), "2020-01-02", 43832, None, True], dtype=object))
    assert dates.tolist()[:3] == [T("2020-01-02"), pd.NaT, T("2020-01-02")]
    assert dates.isna().tolist() == [False, True, False, True, True]
    numbers = excel_numbers(pd.Series([1, "2", None, 3.5, True, float("inf")], dtype=object))
    assert numbers.isna().tolist() == [False, True, True, False, True, True]


def test_frame_accessors():
    frame = pd.DataFrame({"d": [T("2020-05-03 08:00"), pd.NaT], "n": [5000.0, None],
                          "t": [" 是 ", None]}, index=[3, 4])
    assert as_dates(frame, "d").tolist()[0] == T("2020-05-03")
    assert as_dates(frame, "absent").isna().all() and as_dates(frame, "absent").index.tolist() == [3, 4]
    assert as_numbers(frame, "n").tolist()[0] == 5000.0 and as_numbers(frame, "absent").isna().all()
    assert as_text(frame, "t").tolist() == ["是", ""]
    assert day_text(as_dates(frame, "d")).tolist() == ["2020-05-03", ""]
