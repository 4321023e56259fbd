"""A filled template recalculated by LibreOffice agrees with fangpin_xl.derive on every cell.

The workbook's computed columns are native formulas; LibreOffice (headless,
with recalculation on load forced by the ``soffice`` fixture) computes them,
python-calamine reads the results, and every computed cell of every prepared
row is compared with ``derive_households`` / ``derive_cases``: status and
met_text as strings, money to the fen, dates exactly, days left exactly.
The rows the templates leave empty must come out as "".
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import replace

import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from fangpin_xl.checks import check_workbook
from fangpin_xl.derive import derive_cases, derive_households, shown_cases, shown_households
from fangpin_xl.formulas import NEVER_VISITED, OUT_OF_CALENDAR
from fangpin_xl.policy import GROUPS, KIND_FIELDS, Policy, SpendingRule
from fangpin_xl.schema import CASES, HOUSEHOLDS
from fangpin_xl.templates import calendar_span, write_township_workbook
from fangpin_xl.workbook.read import read_workbook

T = pd.Timestamp
DEFAULT = Policy()
# The same county with other settings: calendar-day deadlines, a 6-month window,
# monthly visits, 因学 "达到" instead of "超过", per-group thresholds changed.
VARIANT = replace(
    DEFAULT,
    deadline_mode="自然日",
    deadline_days=10,
    spending_window_months=6,
    visit_interval_months=1,
    spending={
        **DEFAULT.spending,
        "因学": SpendingRule("因学", "达到", {"脱贫不稳定户": 8000, "边缘易致贫户": 9000, "突发严重困难户": 9500}),
    },
)
ROWS = {"households": 80, "members": 40, "spending": 150, "cases": 40, "visits": 60, "aid": 5}


def sample_frames(policy: Policy, check: dt.date) -> dict[str, pd.DataFrame]:
    """About 60 households with the boundary cases, their spending, visits and cases."""
    line = policy.income_threshold()
    inside = T(check) - pd.Timedelta(days=30)
    window_start = T(check) - pd.DateOffset(months=policy.spending_window_months)
    households, events, visits = [], [], []

    def household(key, group, income, **extra):
        households.append({"household_no": key, "township": "东代固乡", "village": "东代固村",
                           "head_name": f"户主{len(households)}", "head_id": f"1304341990010{len(households):05d}",
                           "household_size": 3, "group": group, "income_per_capita": income, **extra})

    # Income at, below and above the threshold, medical exactly at its threshold.
    for g, group in enumerate(GROUPS[:2]):
        for k, income in enumerate((line, line - 0.01, line + 0.01)):
            key = f"I{g}{k}"
            household(key, group, income)
            events.append((key, "因病", inside, policy.spending_threshold("因病", group)))
    # Each spending kind at and ±0.01 around its threshold, for every group.
    for kind in KIND_FIELDS:
        for g, group in enumerate(GROUPS):
            threshold = policy.spending_threshold(kind, group)
            for k, delta in enumerate((-0.01, 0.0, 0.01)):
                key = f"S{list(KIND_FIELDS).index(kind)}{g}{k}"
                household(key, group, 3000.0 if group != "突发严重困难户" else 99999.0)
                events.append((key, kind, inside, round(threshold + delta, 2)))
    # 突发严重困难户 with no income at all; missing, text and unknown values.
    household("G3-none", "突发严重困难户", None)
    events.append(("G3-none", "因意外", inside, 10000.01))
    household("G1-none", "脱贫不稳定户", None)
    events.append(("G1-none", "因病", inside, 9000.0))
    household("TXT-income", "边缘易致贫户", "不详")
    # 纳入监测日期 gives the first visit's due date of households never visited (text: none).
    household("UNKNOWN", "一般农户", 1000.0, monitored_since=T("2020-02-29"))
    household("NO-GROUP", None, 1000.0, monitored_since="2020.5.31")
    household("SPACES", " 边缘易致贫户 ", 1000.0, monitored_since=T("2019-11-30 10:00"))
    events.append(("SPACES", "因病", inside, 20000.0))
    # Window edges: exactly the window length before the check date is outside.
    household("EDGE", "脱贫不稳定户", 100.0)
    events += [
        ("EDGE", "因病", window_start, 50000.0),
        ("EDGE", "因病", window_start + pd.Timedelta(days=1), 4000.0),
        ("EDGE", "因病", T(check), 999.99),
        ("EDGE", "因病", T(check) + pd.Timedelta(days=1), 30000.0),
        ("EDGE", "因病", T("2015-06-01"), 30000.0),
    ]
    # Sums of several fen amounts landing exactly on a threshold; leftovers ignored.
    household("SUM", "脱贫不稳定户", 5000.0)
    events += [
        ("SUM", "因病", inside, 1666.67), ("SUM", "因病", inside, 1666.67), ("SUM", "因病", inside, 1666.66),
        ("SUM", "因病", inside, "一千元"), ("SUM", "因病", inside, "5000"), ("SUM", "因病", "2020.6.1", 700.0),
        ("SUM", "因产业", inside, 0.1), ("SUM", "因产业", inside, 0.2), ("SUM", "其他", inside, 99999.0),
    ]
    # Keys: case-insensitive match, 18-digit numbers differing in the last digit, a duplicate.
    household("CASE", "边缘易致贫户", 100.0)
    events.append(("case", "因意外", inside, 10000.5))
    household("130434100100010001", "脱贫不稳定户", 100.0)
    household("130434100100010002", "脱贫不稳定户", 100.0)
    events.append(("130434100100010001", "因病", inside, 5000.0))
    household("DUP", "脱贫不稳定户", 100.0)
    household("DUP", "脱贫不稳定户", 100.0)
    events.append(("DUP", "因学", inside, 8000.5))
    # Cells a sum cannot read: an amount without a date, a text amount outside the window
    # (not counted, no note), one inside it; a text date of 因学; the first row is named.
    household("NOTES", "脱贫不稳定户", 1000.0)
    events += [
        ("NOTES", "因意外", None, 20000.0), ("NOTES", "因意外", inside, 30000.0),
        ("NOTES", "因产业", T("2015-06-01"), "9000"), ("NOTES", "因学", "2020年7月8日", 9000.0),
        ("NOTES", "因病", inside, "6000"), ("NOTES", "因病", "2020.7.8", 6000.0),
    ]
    household("OUTSIDE", "脱贫不稳定户", 1000.0)
    events += [("OUTSIDE", "因产业", T("2015-06-01"), "9000"), ("OUTSIDE", "因病", inside, 6000.0)]
    household("INCOME-TEXT", "边缘易致贫户", "4800元")
    events.append(("INCOME-TEXT", "因病", "2020.7.8", 30000.0))
    # A row with data but no 户编号.
    household(None, "脱贫不稳定户", 100.0)
    events.append((None, "因病", inside, 5000.0))
    # Dates with a time of day (pasted from a hospital system) count by their day: the first
    # day before the window is out at any hour, the check date is in at any hour. The amounts
    # are powers of two, so the sum says which rows were counted.
    household("TIMES", "脱贫不稳定户", 100.0)
    events += [("TIMES", "因病", window_start + pd.Timedelta(hours=h, minutes=m), amount)
               for (h, m), amount in zip(((0, 0), (10, 0), (23, 59)), (1.0, 2.0, 4.0), strict=True)]
    events += [("TIMES", "因病", T(check) + pd.Timedelta(days=d, hours=h, minutes=m), amount)
               for (d, h, m), amount in zip(((-365 * 3, 0, 0), (0, 15, 30), (0, 23, 59), (1, 0, 1)),
                                            (8.0, 16.0, 32.0, 64.0), strict=True)]
    events.append(("TIMES", "因病", window_start + pd.Timedelta(days=1, hours=8, minutes=30), 4950.0))
    # A text amount is a problem inside the window only: on the check date at 15:30 it is,
    # at 10:00 on the excluded first day it is not.
    household("TIMES-NOTE", "脱贫不稳定户", 100.0)
    events.append(("TIMES-NOTE", "因学", T(check) + pd.Timedelta(hours=15, minutes=30), "9000"))
    household("TIMES-OUT", "脱贫不稳定户", 100.0)
    events.append(("TIMES-OUT", "因学", window_start + pd.Timedelta(hours=10), "9000"))

    # Visits: month ends (EDATE clipping), text dates, none, wrong case.
    keys = [h["household_no"] for h in households if h["household_no"]]
    visit_dates = [T("2020-01-31"), T("2020-08-31"), T("2020-11-30"), T("2020-05-15"), T("2019-12-31")]
    for i, key in enumerate(keys[:40]):
        for j in range(i % 3):
            visits.append((key, visit_dates[(i + j) % len(visit_dates)]))
    visits += [("EDGE", "2020.12.1"), ("SUM", "2020.12.1"), ("case", T("2020-10-31")), (None, T("2020-12-01"))]

    # Cases found around holidays (New Year, Spring Festival, Labour Day, Dragon Boat, National Day).
    found = [
        T("2019-12-31"), T("2020-01-20"), T("2020-01-23"), T("2020-04-29"), T("2020-04-30"),
        T("2020-06-24"), T("2020-09-28"), T("2020-09-30"), T("2020-10-09"), T("2020-12-25"),
        T("2020-12-30"), T("2021-02-10"), T("2021-09-30"), T("2019-01-02"), T("2020-05-09"),
        T("2020-12-20"), T("2020-12-31"), T("2020-07-04 15:30"),
    ]
    stages = ["已发现", "已查勘", "公示中", "已比对", "已备案", "已支付", "已终止"]
    cases = [
        {"case_no": f"C{i:03d}", "household_no": keys[i], "kind": "因病", "found_date": d,
         "found_way": "自下而上申请", "stage": stages[i % len(stages)]}
        for i, d in enumerate(found)
    ]
    cases += [
        {"case_no": "C-text", "household_no": "SUM", "found_date": "2020.5.1", "stage": "已发现"},
        {"case_no": "C-none", "household_no": "SUM", "found_date": None, "stage": "已发现"},
        {"case_no": None, "household_no": "SUM", "found_date": T("2020-05-06"), "stage": "已发现"},
        {"case_no": "C-late", "household_no": "SUM", "found_date": T("2021-12-27"), "stage": "已发现"},
        # Found late in the evening before the Labour Day holiday, and on the check date.
        {"case_no": "C-evening", "household_no": "SUM", "found_date": T("2020-04-29 23:59"), "stage": "已发现"},
        {"case_no": "C-today", "household_no": "SUM", "found_date": T(check) + pd.Timedelta(hours=15, minutes=30),
         "stage": "已查勘"},
    ]
    members = [{"household_no": key, "name": f"成员{i}", "id_number": f"13043419900101{i:04d}",
                "relation": "户主"} for i, key in enumerate(keys[:30])]
    aid = [{"household_no": keys[0], "aid_type": "公益岗位", "start_date": T("2020-03-01"), "amount": 500}]
    return {
        "households": pd.DataFrame(households),
        "spending": pd.DataFrame(events, columns=["household_no", "kind", "date", "amount"]),
        "visits": pd.DataFrame(visits, columns=["household_no", "visit_date"]),
        "cases": pd.DataFrame(cases),
        "members": pd.DataFrame(members),
        "aid": pd.DataFrame(aid),
    }


def expected_cell(value, kind: str):
    """A derive value as calamine returns the recalculated cell."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, str):  # a note
        return value
    if kind == "date":
        return pd.Timestamp(value).date()
    if kind == "money":
        return round(float(value), 2)
    if kind == "int":
        return int(value)
    return value


def found_cell(value, kind: str):
    if kind == "money" and isinstance(value, float):
        return round(value, 2)
    if kind == "int" and isinstance(value, float) and value.is_integer():
        return int(value)
    if kind == "date" and isinstance(value, dt.datetime):
        return value.date()
    return value


def compare(sheet, frame, derived, rows, kinds, read, exceptions=None) -> list[str]:
    keys = [c.key for c in sheet.columns]
    exceptions = exceptions or {}
    mismatches = []
    for r in range(rows):
        excel_row = 3 + r
        for key, kind in kinds.items():
            col = keys.index(key)
            got = found_cell(read[excel_row - 1][col] if excel_row - 1 < len(read) else "", kind)
            want = expected_cell(derived[key].iloc[r], kind) if r < len(frame) else ""
            want = exceptions.get((r, key), want)
            if got != want or type(got) is not type(want):
                cell = f"{chr(ord('A') + col)}{excel_row}"
                mismatches.append(f"{sheet.name}!{cell} ({sheet.column(key).header}): "
                                  f"LibreOffice {got!r} ≠ Python {want!r}")
    return mismatches


@pytest.mark.parametrize(
    ("policy", "check"),
    [(DEFAULT, dt.date(2020, 12, 31)), (VARIANT, dt.date(2020, 10, 15))],
    ids=["default", "calendar-days"],
)
def test_libreoffice_matches_derive(tmp_path, soffice, policy, check):
    frames = sample_frames(policy, check)
    assert 55 <= len(frames["households"]) <= ROWS["households"]
    path = write_township_workbook(tmp_path / "东代固乡.xlsx", policy=policy, township="东代固乡",
                                   frames=frames, rows=ROWS, check_date=check)
    recalculated = soffice(path)
    book = CalamineWorkbook.from_path(str(recalculated))

    derived = derive_households(frames["households"], frames["spending"], frames["visits"],
                                policy=policy, check_date=check)
    households = shown_households(derived)
    cases = shown_cases(derive_cases(frames["cases"], policy=policy, check_date=check))

    hh_kinds = {**dict.fromkeys(KIND_FIELDS.values(), "money"), "status": "text", "met_text": "text",
                "last_visit": "date", "next_visit_due": "date"}
    case_kinds = {"deadline": "date", "days_left": "int"}
    # The 日历 sheet covers three years; a deadline past it is shown, not computed.
    last_day = pd.Timestamp(calendar_span(policy)[1])
    beyond = [r for r in range(len(cases)) if isinstance(cases["deadline"].iloc[r], pd.Timestamp)
              and cases["deadline"].iloc[r] > last_day]
    assert beyond, "the sample should have a case whose deadline is past the calendar"
    exceptions = {}
    for r in beyond:
        exceptions[(r, "deadline")] = OUT_OF_CALENDAR
        exceptions[(r, "days_left")] = ""

    # A household with no visit shows 未回访 where Python has no date (shown_households says so too).
    never = [r for r in range(len(households))
             if pd.notna(frames["households"]["household_no"].iloc[r]) and pd.isna(derived["last_visit"].iloc[r])
             and derived["last_visit_note"].iloc[r] is None]
    assert len(never) >= 10
    assert set(households["last_visit"].iloc[never]) == {NEVER_VISITED}
    visits_shown = {(r, "last_visit"): NEVER_VISITED for r in never}
    mismatches = compare(HOUSEHOLDS, frames["households"], households, ROWS["households"], hh_kinds,
                         book.get_sheet_by_name("监测户").to_python(), exceptions=visits_shown)
    mismatches += compare(CASES, frames["cases"], cases, ROWS["cases"], case_kinds,
                          book.get_sheet_by_name("救助").to_python(), exceptions=exceptions)
    assert not mismatches, f"{len(mismatches)} cells differ:\n" + "\n".join(mismatches)
    # What the formulas show (未回访, 超出日历范围) is read back as nothing anyone entered.
    computed = {c.header for spec in (HOUSEHOLDS, CASES) for c in spec.computed_columns}
    read_back = check_workbook(read_workbook(recalculated), today=dt.date(2021, 1, 10))
    # Nothing entered is found in them; where a text input made the sheet show another result
    # than the rules read, display_mismatch names that input cell.
    on_computed = [i for i in read_back.issues if i.column in computed]
    assert sorted((i.code, i.cell) for i in on_computed) == [
        ("display_mismatch", c) for c in ("N21", "P58", "T60", "T63", "V51", "V52")]
    assert all(i.message.endswith("是文本，请改正后重新计算") for i in on_computed)

    # The comparison is not vacuous: every status, every note, visits, deadlines and overdue cases.
    assert set(households["status"]) >= {"符合", "不符合", ""}
    notes = [v for v in households.to_numpy().ravel() if isinstance(v, str) and "：" in v]
    assert {note.split("：")[0] for note in notes} == {"资料不全", "数据格式有误"}
    assert {note.rsplit(" ", 1)[1] for note in notes} >= {
        "发生日期是文本", "发生日期为空", "金额是文本", "户类型为空", "户类型不是可选值", "人均可支配收入为空",
        "人均可支配收入是文本"}
    assert sorted(cases["deadline"][cases["deadline"].map(lambda v: isinstance(v, str) and "：" in v)]) == [
        "数据格式有误：D21 发现日期是文本", "资料不全：D22 发现日期为空"]
    row = frames["households"].index[frames["households"]["household_no"] == "NOTES"][0]
    assert households.loc[row, "status"] == "数据格式有误：支出!F69 金额是文本"
    assert derived["last_visit"].notna().sum() >= 20
    # A 回访日期 typed as text is named by both, with no due date (an older visit would give one).
    for key, excel_row in (("EDGE", 3 + len(frames["visits"]) - 4), ("SUM", 3 + len(frames["visits"]) - 3)):
        r = frames["households"].index[frames["households"]["household_no"] == key][0]
        assert households.loc[r, "last_visit"] == f"数据格式有误：帮扶!C{excel_row} 回访日期是文本"
        assert pd.isna(households.loc[r, "next_visit_due"])
    assert households.loc[[r for r in never], "next_visit_due"].notna().sum() == 2
    assert (cases["days_left"].dropna() < 0).any() and (cases["days_left"].dropna() > 0).any()

    # Times of day: the rows on the excluded first day (1, 2, 4), long before (8) and after the
    # check date (64) are out; the check date at 15:30 and 23:59 (16, 32) and the first day
    # inside at 08:30 (4950) are in — 4998 yuan, so 因病 at 5000 is just not met.
    at = {key: frames["households"].index[frames["households"]["household_no"] == key][0]
          for key in ("TIMES", "TIMES-NOTE", "TIMES-OUT")}
    assert households.loc[at["TIMES"], "medical"] == 4998.0
    assert households.loc[at["TIMES"], "status"] == "不符合"
    assert households.loc[at["TIMES-NOTE"], "education"] == households.loc[at["TIMES-NOTE"], "status"] == (
        f"数据格式有误：支出!F{3 + len(frames['spending']) - 2} 金额是文本")
    assert households.loc[at["TIMES-OUT"], "education"] == 0.0
    # A 发现日期 with a time of day is that day: 2020-04-29 23:59 is due 2020-05-22 (DOMAIN.md)
    # in working days; a case found at 15:30 on the check date has the full time left.
    by_no = frames["cases"]["case_no"]
    evening, midnight, today = (frames["cases"].index[by_no == no][0] for no in ("C-evening", "C003", "C-today"))
    assert frames["cases"].loc[midnight, "found_date"] == T("2020-04-29")
    assert cases.loc[evening, "deadline"] == cases.loc[midnight, "deadline"]
    if policy.deadline_mode == "工作日":
        assert cases.loc[evening, "deadline"] == T("2020-05-22")
        assert cases.loc[today, "days_left"] == policy.deadline_days
    else:
        assert cases.loc[today, "days_left"] == (cases.loc[today, "deadline"] - T(check)).days >= policy.deadline_days


def test_input_guards_survive_libreoffice(tmp_path, soffice):
    """LibreOffice reads the date and number validations and the red marks, and keeps them."""
    import openpyxl

    path = write_township_workbook(tmp_path / "东代固乡.xlsx", policy=DEFAULT, township="东代固乡",
                                   rows=ROWS)
    book = openpyxl.load_workbook(soffice(path))
    spending = book["支出"]
    rules = {str(dv.sqref): (dv.type, dv.operator, dv.formula1, dv.formula2, dv.errorTitle)
             for dv in spending.data_validations.dataValidation if dv.type != "list"}
    last = 2 + ROWS["spending"]
    assert rules == {
        f"E3:E{last}": ("date", "between", "36526", "73050", "请输入日期"),
        f"F3:F{last}": ("decimal", "greaterThanOrEqual", "0", "0", "请输入数字"),
    }
    marks = {str(cf.sqref): [r.formula for r in cf.rules] for cf in spending.conditional_formatting}
    assert marks == {
        f"C3:C{last}": [["ISNUMBER(C3)"]],
        f"E3:E{last}": [['AND(ISTEXT(E3),TRIM(E3)<>"")']],
        f"F3:F{last}": [['AND(ISTEXT(F3),TRIM(F3)<>"")']],
    }
