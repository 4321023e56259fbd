"""The ledger core: which 救助 rows are the year's payouts, and the year's figures in whole fen."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fangpin_xl.ledger import (
    COUNTED,
    OTHER_YEAR,
    REJECTED,
    UNPAID,
    build_ledger,
    monthly_balance,
    outcome_counts,
    rate_text,
    sort_payments,
    yuan_text,
)
from fangpin_xl.policy import Policy

T = pd.Timestamp
COUNTY_SET = replace(Policy(county="测试县", year=2020, service_fee_rate=0.03),
                     set_keys=frozenset({"fund.service_fee_rate"}))


def cases(rows: list[tuple]) -> pd.DataFrame:
    """(stage, amount, amount_typed, paid_on, paid_on_typed) rows, indexed from Excel row 3."""
    frame = pd.DataFrame(rows, columns=["stage", "amount", "amount_typed", "paid_on", "paid_on_typed"])
    frame["amount"] = frame["amount"].astype("float64")
    frame["paid_on"] = pd.to_datetime(frame["paid_on"])
    frame.index = pd.RangeIndex(3, 3 + len(frame))
    return frame


ROWS = cases([
    ("已支付", 1000.005, "", T("2020-01-10"), ""),   # 3 counted: 100,001 fen (half away from zero)
    ("已支付", 2500.10, "", T("2020-03-15"), ""),    # 4 counted
    ("已备案", 12000.0, "", T("2020-12-31"), ""),    # 5 counted, with a warning: the label lags
    ("已支付", 800.0, "", T("2019-12-31"), ""),      # 6 paid last year
    ("已支付", np.nan, "五千元", T("2020-06-01"), ""),  # 7 the amount is text
    ("已支付", -300.0, "", T("2020-07-01"), ""),     # 8 negative
    ("已支付", np.nan, "", pd.NaT, ""),              # 9 paid, but when?
    ("公示中", np.nan, "", pd.NaT, ""),              # 10 not paid
    ("已支付", 700.0, "", pd.NaT, "去年"),            # 11 the date is text
    ("已支付", np.nan, "", T("2020-08-01"), ""),     # 12 no amount
    ("已支付", 2000.0, "", T("2021-01-01"), ""),     # 13 paid next year
    ("已支付", 2e12, "", T("2020-02-02"), ""),       # 14 absurd
    ("已支付", 0.0, "", T("2020-02-29"), ""),        # 15 nought yuan: counted as typed
])


def test_sort_payments_places_every_row_once():
    out = sort_payments(ROWS, 2020)
    assert out["outcome"].to_dict() == {
        3: COUNTED, 4: COUNTED, 5: COUNTED, 6: OTHER_YEAR, 7: REJECTED, 8: REJECTED, 9: REJECTED,
        10: UNPAID, 11: REJECTED, 12: REJECTED, 13: OTHER_YEAR, 14: REJECTED, 15: COUNTED}
    assert outcome_counts(out) == {COUNTED: 4, OTHER_YEAR: 2, UNPAID: 1, REJECTED: 6}
    assert out["fen"].tolist() == [100_001, 250_010, 1_200_000] + [0] * 9 + [0]
    assert out["fen"].dtype == np.int64
    assert out["month"].tolist() == [1, 3, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]
    flagged = out[out["severity"] != ""]
    assert flagged[["severity", "column", "message"]].to_dict("index") == {
        5: {"severity": "warning", "column": "stage",
            "message": "支付日期 2020-12-31 在 2020 年，但状态为“已备案”：已按支付日期计入本年救助支出，请核对状态"},
        7: {"severity": "error", "column": "relief_amount", "message": "救助金额“五千元”不是数字"},
        8: {"severity": "error", "column": "relief_amount", "message": "救助金额为负数（-300 元）"},
        9: {"severity": "error", "column": "payment_date",
            "message": "状态为“已支付”，但没有填写支付日期，无法确定支付年度"},
        11: {"severity": "error", "column": "payment_date", "message": "支付日期“去年”不是日期，无法确定支付年度"},
        12: {"severity": "error", "column": "relief_amount", "message": "支付日期为 2020-08-01，但救助金额为空"},
        14: {"severity": "error", "column": "relief_amount",
             "message": "救助金额 2000000000000 元超过 1 万亿元，不是可用的金额"},
    }


def test_a_number_the_reader_refused_as_too_large_is_not_called_not_a_number():
    # The workbook reader leaves 1e308 and 10000000000 unread (NaN) with the cell's text.
    out = sort_payments(cases([("已支付", np.nan, "1e+308", T("2020-01-10"), ""),
                               ("已支付", np.nan, "10000000000", T("2020-01-10"), ""),
                               ("已支付", np.nan, "五千", T("2020-01-10"), "")]), 2020)
    assert out["outcome"].tolist() == [REJECTED] * 3
    assert out["message"].tolist() == ["救助金额“1e+308”超出合理范围（金额应小于 100 亿元）",
                                       "救助金额“10000000000”超出合理范围（金额应小于 100 亿元）",
                                       "救助金额“五千”不是数字"]


def test_another_year_sorts_the_same_rows_differently():
    out = sort_payments(ROWS, 2019)
    assert out.loc[6, "outcome"] == COUNTED and out.loc[6, "fen"] == 80_000
    # The text amount and the negative one belong to 2020: not this ledger's concern.
    assert out.loc[[7, 8, 12, 14], "outcome"].tolist() == [OTHER_YEAR] * 4
    # Rows whose year cannot be known are rejected whatever the year.
    assert out.loc[[9, 11], "outcome"].tolist() == [REJECTED, REJECTED]


def payments(fen: list[int], months: list[int], townships: list[str], kinds: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"township": townships, "kind": kinds, "month": months,
                         "fen": np.array(fen, dtype=np.int64)})


COUNTED_ROWS = payments([100_001, 250_010, 1_200_000, 0], [1, 3, 12, 2], ["甲镇", "甲镇", "乙镇", "甲镇"],
                        ["因病", "因学", "因意外", "其他"])


def test_ledger_with_a_surplus():
    lg = build_ledger(COUNTED_ROWS, policy=COUNTY_SET, year=2020, rural_population=1_000,
                      opening_fen=1_234_567, townships=["甲镇", "乙镇", "丙镇"])
    assert (lg.insured, lg.premium_per_person_fen, lg.premium_fen) == (100, 5_000, 500_000)
    assert (lg.relief_fen, lg.cases) == (1_550_011, 4)
    # 15,500.11 × 3% = 465.0033 → 465.00
    assert lg.fee_fen == 46_500
    assert lg.fee_rate_example is False
    assert lg.top_up_fen == 0
    assert lg.closing_fen == 1_234_567 + 500_000 - 1_550_011 - 46_500 == 138_056
    m = lg.monthly.set_index("month")
    assert m.loc[1].tolist() == [1_234_567, 500_000, 0, 100_001, 3_000, 1_631_566, 1]
    assert m.loc[2].tolist() == [1_631_566, 0, 0, 0, 0, 1_631_566, 1]
    # Fee to date 10,500.33 yuan → 10,500: March accrues 7,500 fen.
    assert m.loc[3].tolist() == [1_631_566, 0, 0, 250_010, 7_500, 1_374_056, 1]
    assert m.loc[12].tolist() == [1_374_056, 0, 0, 1_200_000, 36_000, 138_056, 1]
    assert lg.by_township.to_dict("list") == {"label": ["甲镇", "乙镇", "丙镇"], "cases": [3, 1, 0],
                                              "fen": [350_011, 1_200_000, 0]}
    assert lg.by_kind.to_dict("list") == {"label": ["因病", "因学", "因意外", "因产业", "其他"],
                                          "cases": [1, 1, 1, 0, 1], "fen": [100_001, 250_010, 1_200_000, 0, 0]}


def test_ledger_with_a_shortfall_is_topped_up_in_the_month_it_appears():
    lg = build_ledger(COUNTED_ROWS, policy=COUNTY_SET, year=2020, rural_population=100,
                      opening_fen=1_234_567)
    assert lg.premium_fen == 50_000
    assert lg.before_top_up_fen == -311_944
    assert (lg.top_up_fen, lg.closing_fen) == (311_944, 0)
    m = lg.monthly.set_index("month")
    assert m["top_up"].tolist() == [0] * 11 + [311_944]
    assert m.loc[12].tolist() == [924_056, 0, 311_944, 1_200_000, 36_000, 0, 1]
    assert lg.by_township["label"].tolist() == ["甲镇", "乙镇"]


def test_shipped_fee_rate_is_marked_as_an_example():
    lg = build_ledger(COUNTED_ROWS.iloc[:0], policy=Policy(), year=2020, rural_population=12_345,
                      opening_fen=0)
    assert lg.fee_rate_example is True
    assert (lg.insured, lg.premium_fen, lg.relief_fen, lg.fee_fen, lg.closing_fen) == (
        1_235, 6_175_000, 0, 0, 6_175_000)
    assert lg.by_kind["cases"].tolist() == [0, 0, 0, 0]
    assert lg.monthly["closing"].tolist() == [6_175_000] * 12


def test_blank_labels_come_last():
    rows = payments([1, 2, 3], [1, 1, 1], ["", "甲镇", None], ["因病", "", "另类"])
    lg = build_ledger(rows, policy=Policy(), year=2020, rural_population=0, opening_fen=0,
                      townships=["甲镇"])
    assert lg.by_township.to_dict("list") == {"label": ["甲镇", "（未填）"], "cases": [1, 2], "fen": [2, 4]}
    assert lg.by_kind.to_dict("list") == {"label": ["因病", "因学", "因意外", "因产业", "另类", "（未填）"],
                                          "cases": [1, 0, 0, 0, 1, 1], "fen": [1, 0, 0, 0, 3, 2]}


def test_texts():
    assert [yuan_text(f) for f in (0, 5, 138_056, 400_000_000, -311_944)] == [
        "0", "0.05", "1380.56", "4000000", "-3119.44"]
    assert [rate_text(r) for r in (0.05, 0.1, 0.035, 0.0)] == ["5%", "10%", "3.5%", "0%"]


def test_the_core_refuses_what_the_caller_must_have_refused():
    with pytest.raises(ValueError):
        build_ledger(COUNTED_ROWS, policy=Policy(), year=2020, rural_population=10, opening_fen=-1)
    with pytest.raises(ValueError):
        build_ledger(payments([-1], [1], ["甲"], ["因病"]), policy=Policy(), year=2020,
                     rural_population=10, opening_fen=0)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 12), st.integers(0, 10**9)), max_size=40),
       st.integers(0, 10**11), st.integers(0, 10**6), st.floats(0, 0.5, allow_nan=False),
       st.floats(0, 1, allow_nan=False))
def test_every_year_reconciles(cases_, opening, population, fee_rate, coverage):
    months = np.array([m for m, _ in cases_], dtype=np.int64)
    fen = np.array([f for _, f in cases_], dtype=np.int64)
    policy = replace(Policy(), service_fee_rate=fee_rate, coverage_rate=coverage)
    rows = payments(fen.tolist(), months.tolist(), ["甲"] * len(fen), ["因病"] * len(fen))
    lg = build_ledger(rows, policy=policy, year=2020, rural_population=population, opening_fen=opening)
    assert lg.opening_fen + lg.premium_fen + lg.top_up_fen - lg.relief_fen - lg.fee_fen == lg.closing_fen
    assert lg.closing_fen >= 0
    assert lg.top_up_fen == max(0, -lg.before_top_up_fen)
    assert lg.relief_fen == int(fen.sum()) and lg.cases == len(fen)
    m = lg.monthly
    assert (m["opening"] + m["premium"] + m["top_up"] - m["relief"] - m["fee"] == m["closing"]).all()
    assert m["opening"].iloc[1:].tolist() == m["closing"].iloc[:-1].tolist()
    assert (m["closing"] >= 0).all() and (m[["top_up", "fee", "relief"]] >= 0).all().all()
    assert (m["premium"].sum(), m["top_up"].sum(), m["fee"].sum(), m["relief"].sum()) == (
        lg.premium_fen, lg.top_up_fen, lg.fee_fen, lg.relief_fen)
    assert m["closing"].iloc[-1] == lg.closing_fen and m["cases"].sum() == len(fen)
    assert lg.by_township["fen"].sum() == lg.by_kind["fen"].sum() == lg.relief_fen


def test_monthly_balance_of_an_empty_year():
    m = monthly_balance(np.array([], dtype=np.int64), np.array([], dtype=np.int64), opening_fen=7,
                        premium_fen=0, fee_rate=0.05)
    assert m["closing"].tolist() == [7] * 12 and m["cases"].tolist() == [0] * 12
