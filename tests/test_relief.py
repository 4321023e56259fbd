import warnings
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fangpin_xl.errors import InputError, PolicyError
from fangpin_xl.policy import GROUPS, SPENDING_KINDS, PayoutTable, load_policy, parse_policy
from fangpin_xl.relief import payout, payout_explain, payout_series

POLICY = load_policy()
POOR, EDGE, SUDDEN = GROUPS


def with_cap(kind: str, cap: float | None, policy=POLICY):
    table = policy.payout_tables[kind]
    return replace(policy, payout_tables={**policy.payout_tables, kind: replace(table, cap=cap)})


# -- published cases (DOMAIN.md) ----------------------------------------------------

def test_first_wei_county_case():
    assert payout("因病", 41040, group=POOR, policy=POLICY) == 6208.00


def test_julu_county_case():
    assert payout("因病", 99493.33, group=POOR, policy=POLICY) == 22348.00


# -- thresholds and bands, every kind × group ----------------------------------------

# kind, threshold per group (脱贫不稳定户, 边缘易致贫户, 突发严重困难户)
THRESHOLDS = [
    ("因病", (5000, 20000, 20000)),
    ("因学", (8000, 8000, 8000)),
    ("因意外", (10000, 10000, 10000)),
    ("因产业", (5000, 5000, 5000)),
]
# excess above the threshold → relief with the example table (10% to 10,000, 20% to 50,000, 30% above)
EXCESS_TABLE = [
    (-0.01, 0.00),
    (0, 0.00),
    (0.01, 0.00),        # 0.001 rounds to 0.00
    (0.05, 0.01),        # 0.005 rounds half up
    (0.04, 0.00),
    (10, 1.00),
    (9999.99, 1000.00),  # 999.999
    (10000, 1000.00),
    (10000.01, 1000.00),
    (20000, 3000.00),
    (50000, 9000.00),
    (50000.01, 9000.00),
    (60000, 12000.00),
    (100000, 24000.00),
    (672000, 195600.00),
    (686666.61, 199999.98),  # 199,999.983
    (686666.65, 200000.00),  # 199,999.995 rounds half up to the 200,000 cap
    (686666.68, 200000.00),  # 200,000.004 capped
    (700000, 200000.00),
]
CASES = [
    (kind, group, threshold, excess, relief)
    for kind, thresholds in THRESHOLDS
    for group, threshold in zip(GROUPS, thresholds, strict=True)
    for excess, relief in EXCESS_TABLE
]


@pytest.mark.parametrize(("kind", "group", "threshold", "excess", "relief"), CASES)
def test_payout_table(kind, group, threshold, excess, relief):
    amount = round(threshold + excess, 2)
    assert payout(kind, amount, group=group, policy=POLICY) == relief


def test_payout_series_matches_the_table():
    kinds, amounts, groups = zip(*[(k, round(t + e, 2), g) for k, g, t, e, _ in CASES], strict=True)
    out = payout_series(pd.Series(kinds), pd.Series(amounts), pd.Series(groups), policy=POLICY)
    assert out.tolist() == [relief for *_, relief in CASES]


def test_exclusive_operator_pays_nothing_at_the_threshold():
    county = parse_policy('[spending.medical]\noperator = "超过"\n[payout.medical]\nbands = [[0, 1.0]]\n')
    assert payout("因病", 5000, group=POOR, policy=county) == 0
    assert payout("因病", 5000.01, group=POOR, policy=county) == 0.01
    assert payout("因病", 4999.99, group=POOR, policy=county) == 0


def test_group_table_overrides_the_kind_table():
    county = parse_policy('[payout.medical."边缘易致贫户"]\nbands = [[0, 0.5]]\ncap = 3000\n')
    assert payout("因病", 21000, group=EDGE, policy=county) == 500
    assert payout("因病", 30000, group=EDGE, policy=county) == 3000
    assert payout("因病", 21000, group=SUDDEN, policy=county) == 100


# -- caps -----------------------------------------------------------------------------

def test_kind_cap():
    capped = with_cap("因病", 5000)
    assert payout("因病", 99493.33, group=POOR, policy=capped) == 5000
    assert payout("因病", 41040, group=POOR, policy=capped) == 5000
    assert payout("因病", 20000, group=POOR, policy=capped) == 2000
    assert payout("因学", 99493.33, group=POOR, policy=capped) == 21448.00


def test_cap_with_fractions_of_a_fen_rounds_down():
    assert payout("因病", 99493.33, group=POOR, policy=with_cap("因病", 1234.567)) == 1234.56


def test_max_relief():
    county = replace(POLICY, max_relief=10000)
    assert payout("因病", 99493.33, group=POOR, policy=county) == 10000
    assert payout("因病", 99493.33, group=POOR, policy=replace(with_cap("因病", 50000), max_relief=10000)) == 10000


def test_an_absurd_amount_gets_the_cap_without_overflowing():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's "overflow encountered in multiply"
        assert payout("因病", 1e308, group=POOR, policy=POLICY) == 200000
        assert payout_series(["因病", "因病"], [1e308, 41040], [POOR, POOR], policy=POLICY).tolist() == [
            200000, 6208]
        explained = payout_explain("因病", 1e308, group=POOR, policy=POLICY)
    assert "四舍五入" not in explained and "按上限计。救助金额 200000.00 元" in explained


# -- values and errors ------------------------------------------------------------------

@pytest.mark.parametrize("amount", [None, float("nan"), "", "  "])
def test_missing_amount_pays_nothing(amount):
    assert payout("因病", amount, group=POOR, policy=POLICY) == 0


def test_text_amounts():
    assert payout(" 因病 ", " 41040 ", group=f" {POOR}", policy=POLICY) == 6208
    with pytest.raises(InputError) as info:
        payout("因病", "4万", group=POOR, policy=POLICY)
    assert str(info.value) == "支出金额“4万”不是数字。"


def test_unknown_kind_or_group():
    with pytest.raises(PolicyError) as info:
        payout("因灾", 1000, group=POOR, policy=POLICY)
    assert str(info.value) == "救助类型“因灾”不是 因病、因学、因意外、因产业 之一。"
    with pytest.raises(PolicyError) as info:
        payout("因病", 1000, group="低保户", policy=POLICY)
    assert str(info.value) == "户类型“低保户”不是 脱贫不稳定户、边缘易致贫户、突发严重困难户 之一。"
    with pytest.raises(PolicyError):
        payout_explain("medical", 1000, group=POOR, policy=POLICY)


def test_series_marks_unusable_rows_with_nan():
    out = payout_series(
        pd.Series(["因病", "因灾", "因病", "因病", None, "因学"], index=list("abcdef")),
        pd.Series([41040, 41040, "abc", None, 41040, "9000"], index=list("abcdef")),
        pd.Series([POOR, POOR, POOR, POOR, POOR, "x"], index=list("abcdef")),
        policy=POLICY,
    )
    assert list(out.index) == list("abcdef")
    assert out.tolist()[:1] == [6208.0] and out.iloc[3] == 0.0
    assert out.isna().tolist() == [False, True, True, False, True, True]


def test_series_from_lists():
    assert payout_series(["因病"], [41040], [POOR], policy=POLICY).tolist() == [6208.0]


# -- explanation ---------------------------------------------------------------------------

def test_explain_published_cases():
    assert payout_explain("因病", 41040, group=POOR, policy=POLICY) == (
        "因病支出 41040 元，脱贫不稳定户因病支出标准 5000 元，超出部分 36040 元，分档计算："
        "0–10000 元段 10000 元 × 10% = 1000 元；10000–50000 元段 26040 元 × 20% = 5208 元；"
        "合计 6208 元。救助金额 6208.00 元（示例，以本县文件为准）。"
    )
    assert payout_explain("因病", 99493.33, group=POOR, policy=POLICY) == (
        "因病支出 99493.33 元，脱贫不稳定户因病支出标准 5000 元，超出部分 94493.33 元，分档计算："
        "0–10000 元段 10000 元 × 10% = 1000 元；10000–50000 元段 40000 元 × 20% = 8000 元；"
        "50000 元以上段 44493.33 元 × 30% = 13347.999 元；合计 22347.999 元，四舍五入为 22348.00 元。"
        "救助金额 22348.00 元（示例，以本县文件为准）。"
    )


def test_explain_other_cases():
    assert payout_explain("因学", 8000, group=EDGE, policy=POLICY) == (
        "因学支出 8000 元，未超过边缘易致贫户因学支出标准 8000 元，不予救助（救助金额 0.00 元）。"
    )
    assert payout_explain("因病", 19999.99, group=EDGE, policy=POLICY) == (
        "因病支出 19999.99 元，未达到边缘易致贫户因病支出标准 20000 元，不予救助（救助金额 0.00 元）。"
    )
    assert payout_explain("因病", None, group=EDGE, policy=POLICY) == (
        "未填写因病支出，按 0 元计，不予救助（救助金额 0.00 元）。"
    )
    assert payout_explain("因病", 5000, group=POOR, policy=POLICY) == (
        "因病支出 5000 元，脱贫不稳定户因病支出标准 5000 元，超出部分 0 元，救助金额 0.00 元（示例，以本县文件为准）。"
    )
    assert payout_explain("因意外", 12000, group=SUDDEN, policy=POLICY) == (
        "因意外支出 12000 元，突发严重困难户因意外支出标准 10000 元，超出部分 2000 元，分档计算："
        "0–10000 元段 2000 元 × 10% = 200 元。救助金额 200.00 元（示例，以本县文件为准）。"
    )
    assert payout_explain("因病", 99493.33, group=POOR, policy=with_cap("因病", 5000)).endswith(
        "合计 22347.999 元，四舍五入为 22348.00 元，超过因病救助封顶 5000 元，按封顶计。"
        "救助金额 5000.00 元（示例，以本县文件为准）。"
    )
    assert payout_explain("因病", 1_000_000, group=POOR, policy=POLICY).endswith(
        "合计 292500 元，超过单案救助上限 200000 元，按上限计。救助金额 200000.00 元（示例，以本县文件为准）。"
    )


# -- properties ------------------------------------------------------------------------------

AMOUNT = st.one_of(
    st.floats(-1000, 2_000_000, allow_nan=False),
    st.sampled_from([5000, 8000, 10000, 20000]).flatmap(
        lambda t: st.sampled_from([t - 0.01, t, t + 0.01, t + 10000, t + 50000])),
    st.integers(0, 1_000_000).map(lambda c: c / 100),
)
BANDS = st.lists(st.tuples(st.floats(1, 100_000), st.floats(0, 1)), max_size=4).map(
    lambda rest: ((0.0, 0.1), *sorted({round(s, 2): r for s, r in rest}.items())))
POLICIES = st.builds(
    lambda bands, cap, max_relief: replace(
        POLICY,
        payout_tables={kind: PayoutTable(bands, cap) for kind in SPENDING_KINDS},
        max_relief=max_relief,
    ),
    BANDS,
    st.one_of(st.none(), st.floats(0, 300_000)),
    st.floats(0, 300_000),
)


@settings(max_examples=300, deadline=None)
@given(POLICIES, st.sampled_from(SPENDING_KINDS), st.sampled_from(GROUPS), AMOUNT, AMOUNT)
def test_monotone_capped_never_negative(policy, kind, group, a, b):
    low, high = sorted((a, b))
    p_low = payout(kind, low, group=group, policy=policy)
    p_high = payout(kind, high, group=group, policy=policy)
    table = policy.payout_tables[kind]
    cap = min(policy.max_relief, np.inf if table.cap is None else table.cap)
    # Caps are snapped to whole fen first (1234.56 is 1234.5599999… in binary).
    assert 0 <= p_low <= p_high <= cap + 1e-9
    assert round(p_high * 100) == pytest.approx(p_high * 100, abs=1e-6)


@settings(max_examples=200, deadline=None)
@given(POLICIES, st.lists(st.tuples(st.sampled_from(SPENDING_KINDS), st.sampled_from(GROUPS), AMOUNT),
                          min_size=1, max_size=30))
def test_series_equals_scalar(policy, rows):
    kinds, groups, amounts = (list(column) for column in zip(*rows, strict=True))
    out = payout_series(pd.Series(kinds), pd.Series(amounts), pd.Series(groups), policy=policy)
    assert out.tolist() == [payout(k, a, group=g, policy=policy) for k, g, a in rows]


# -- the household estimate -------------------------------------------------------------

def test_household_relief_adds_the_kinds_and_caps_the_sum():
    from fangpin_xl.relief import household_relief_series

    groups = pd.Series([POOR, POOR, EDGE, SUDDEN, POOR], index=[3, 4, 5, 6, 7])
    spending = {
        "因病": [41040, 691666.65, 20000, None, 1_000_000],
        "因学": [18000, 0, "x", 0, 1_000_000],
    }
    result = household_relief_series(groups, spending, policy=POLICY)
    # 6,208 + 1,000; 200,000 + 0; an unusable amount; nothing met; 200,000 + 200,000 capped once more
    assert result.index.tolist() == [3, 4, 5, 6, 7]
    assert result.tolist()[:2] == [7208.0, 200000.0]
    assert np.isnan(result.iloc[2])
    assert result.tolist()[3:] == [0.0, 200000.0]


def test_household_relief_is_blank_for_households_that_do_not_qualify():
    from fangpin_xl.relief import household_relief_series

    result = household_relief_series([POOR, POOR, "一般户"], {"因病": [41040, 41040, 41040]},
                                     policy=POLICY, eligible=[True, False, True])
    assert result.iloc[0] == 6208.0
    assert result.isna().tolist() == [False, True, True]


def test_household_relief_refuses_unknown_kinds():
    from fangpin_xl.relief import household_relief_series

    with pytest.raises(PolicyError, match="救助类型“医疗”不是 因病、因学、因意外、因产业 之一"):
        household_relief_series([POOR], {"医疗": [1]}, policy=POLICY)
