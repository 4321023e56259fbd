"""County figures and the yearly reductions, by hand."""

import math

import numpy as np
import pandas as pd
import pytest

from fangpin_xl import indicators
from fangpin_xl.indicators import ERROR, WARNING, Finding
from fangpin_xl.text import percent_text


def test_reduction_is_exact_in_hundredths_of_a_percent():
    # DOMAIN.md: returned-to-poverty households fell from 641 to 104 to 6 over three years.
    assert indicators.reduction([641, 104, 641], [104, 6, 6]).tolist() == [0.8378, 0.9423, 0.9906]
    # (3 − 5) / 3 = −66.666…%: an increase, rounded away from zero.
    assert indicators.reduction([3, 8], [5, 7]).tolist() == [-0.6667, 0.125]
    # 1/8 = 12.5% exactly; 1/6 = 16.666…% → 16.67%; 1/16 = 6.25%; 1/32 = 3.125% → 3.13%.
    assert indicators.reduction([8, 6, 16, 32], [7, 5, 15, 31]).tolist() == [0.125, 0.1667, 0.0625, 0.0313]
    assert np.isnan(indicators.reduction([0, np.nan, 5], [3, 3, np.nan])).all()


@pytest.mark.parametrize(("fraction", "text"), [
    (0.8378, "83.78%"), (0.1, "10.00%"), (1.0, "100.00%"), (-0.6667, "-66.67%"), (0.0, "0.00%"),
    (0.00005, "0.01%"), (float("nan"), "—"), (None, "—"),
])
def test_percent_text(fraction, text):
    assert percent_text(fraction) == text


def test_history_changes():
    table = pd.DataFrame({"year": [2017, 2018, 2019], "returned_households": [641.0, 104.0, 6.0],
                          "returned_persons": [2105.0, np.nan, 20.0]})
    out, base, findings = indicators.history_changes(table)
    assert base == 2017
    assert out["returned_households_yoy"].tolist()[1:] == [0.8378, 0.9423]
    assert out["returned_households_base"].tolist() == [0.0, 0.8378, 0.9906]
    # 2105 → 20: (2105 − 20) / 2105 = 99.0498…% → 99.05%; 2018 has no value: nothing on the year before.
    assert out["returned_persons_base"].tolist()[2] == 0.9905
    assert math.isnan(out["returned_persons_yoy"].iloc[2])
    assert findings == [Finding(ERROR, "2018 年缺少返贫人数")]


def test_missing_year_zero_base_and_base_year_not_in_the_table():
    table = pd.DataFrame({"year": [2017, 2019, 2020], "new_households": [0.0, 4.0, 2.0]})
    out, base, findings = indicators.history_changes(table)
    assert out["year"].tolist() == [2017, 2018, 2019, 2020]
    assert math.isnan(out.loc[1, "new_households"])
    # 2019 has no year before it; 2020 has: (4 − 2) / 4.
    assert out["new_households_yoy"].tolist()[3] == 0.5 and math.isnan(out["new_households_yoy"].iloc[2])
    assert np.isnan(out["new_households_base"]).all()
    assert findings == [
        Finding(ERROR, "缺少 2018 年的数据：2018 年和 2019 年无法与上年比较，请补齐该年"),
        Finding(WARNING, "基年 2017 年致贫户数为 0，无法计算致贫户数较基年减少的比例"),
    ]
    out, base, findings = indicators.history_changes(table, base_year=2016)
    assert base == 2016 and np.isnan(out["new_households_base"]).all()
    assert findings[1] == Finding(ERROR, "基年 2016 年不在历年数据中（有 2017、2019、2020 年），无法计算较基年减少的比例")
    out, base, findings = indicators.history_changes(table, base_year=2019)
    assert out["new_households_base"].tolist()[2:] == [0.0, 0.5]


def test_zero_in_the_year_before():
    table = pd.DataFrame({"year": [2018, 2019, 2020], "returned_households": [5.0, 0.0, 1.0]})
    out, _, findings = indicators.history_changes(table)
    assert out["returned_households_yoy"].tolist()[1] == 1.0 and math.isnan(out["returned_households_yoy"].iloc[2])
    assert findings == [Finding(WARNING, "2019 年返贫户数为 0，2020 年无法计算返贫户数比上年减少的比例")]


def test_figures_per_township_and_in_total():
    households = pd.DataFrame({
        "key": ["A／1", "A／2", "A／3", "B／1", "B／2"],
        "township": ["甲乡", "甲乡", "甲乡", "乙乡", "乙乡"],
        "status": ["符合", "符合", "不符合", "符合", "资料不全"],
        "dibao": ["整户低保", "", "单人保", "否", "整户低保"],
        "owes_now": [True, True, True, True, False],
        "visited_now": [True, False, True, True, False],
    })
    cases = pd.DataFrame({
        "key": ["A／1", "A／1", "A／2", "A／3", "B／1", "B／1"],
        "stage": ["已支付", "已支付", "已支付", "公示中", "已支付", "已发现"],
        "kind": ["因病", "因学", "因病", "因病", "因意外", "因病"],
        "amount": [1000.005, 0.1, np.nan, 5000.0, 0.2, 800.0],
        "days_left": [np.nan, np.nan, np.nan, -3.0, np.nan, 2.0],
    })
    out = indicators.figures(households, cases).set_index("township")
    assert out.index.tolist() == ["乙乡", "甲乡", "全县合计"]
    a, b, total = out.loc["甲乡"], out.loc["乙乡"], out.loc["全县合计"]
    assert (a["households"], a["verified"], a["helped"], a["paid_cases"], a["paid_without_amount"]) == (3, 2, 2, 3, 1)
    # 1000.005 is 100001 fen (halves away from zero); 0.1 + 0.2 stays 0.3 in fen.
    assert (a["relief_因病"], a["relief_因学"], a["relief"]) == (1000.01, 0.1, 1000.11)
    assert (total["relief"], total["relief_因意外"]) == (1000.31, 0.2)
    # 100011 fen over 2 households: 500.055 → 500.06 (half up).
    assert a["average"] == 500.06 and total["average"] == round(100031 / 3 / 100, 2) == 333.44
    assert (a["dibao"], a["dibao_share"], a["helped_dibao"], a["helped_dibao_share"]) == (2, 0.6667, 1, 0.5)
    assert (b["dibao_share"], b["helped_dibao_share"]) == (0.5, 0.0)
    assert (a["overdue_cases"], total["overdue_cases"]) == (1, 1)
    assert (a["owe_visit"], a["visited"], a["coverage"]) == (3, 2, 0.6667)
    assert (total["owe_visit"], total["visited"], total["coverage"]) == (4, 3, 0.75)


def test_figures_without_cases():
    households = pd.DataFrame({"key": ["1"], "township": ["甲乡"], "status": ["符合"], "dibao": [""],
                               "owes_now": [False], "visited_now": [False]})
    cases = pd.DataFrame({c: pd.Series(dtype=object) for c in ("key", "stage", "kind")}).assign(
        amount=pd.Series(dtype=float), days_left=pd.Series(dtype=float))
    total = indicators.figures(households, cases).iloc[-1]
    assert (total["helped"], total["relief"]) == (0, 0.0)
    assert math.isnan(total["average"]) and math.isnan(total["coverage"])
