from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fangpin_xl.errors import InputError
from fangpin_xl.fund import (
    bad_population,
    closing_balance_fen,
    county_premium_fen,
    insured_count,
    premium_fen,
    service_fee_fen,
    to_fen,
    to_yuan,
)
from fangpin_xl.policy import Policy

P = Policy()


def test_wei_county_pilot():
    # 魏县 2017: 10% of the rural population at 50 yuan came to 4,000,000 yuan.
    assert insured_count([800_000], 0.10).tolist() == [80_000]
    assert to_yuan(county_premium_fen([800_000], P)).tolist() == [4_000_000.0]


@pytest.mark.parametrize(
    ("population", "insured"),
    [(0, 0), (4, 0), (5, 1), (14, 1), (15, 2), (12_345, 1_235), (12_344, 1_234), (45, 5), (35, 4)],
)
def test_insured_count_rounds_half_up_to_whole_persons(population, insured):
    assert insured_count(np.array([population]), 0.10).tolist() == [insured]


def test_insured_count_snaps_binary_noise():
    # 0.07 × 50 is 3.5000000000000004 and 0.07 × 150 is 10.500000000000002 in binary.
    assert insured_count([50, 150, 250], 0.07).tolist() == [4, 11, 18]


@pytest.mark.parametrize(
    ("population", "message"),
    [(-1, "农村人口应为 0 到 100 亿之间的整数，现为 -1。"), (10.5, "农村人口应为 0 到 100 亿之间的整数，现为 10.5。"),
     (float("nan"), "农村人口应为 0 到 100 亿之间的整数，现为 nan。"),
     (2e10, "农村人口应为 0 到 100 亿之间的整数，现为 20000000000。")],
)
def test_insured_count_refuses_unusable_populations(population, message):
    assert bad_population([1000, population]).tolist() == [False, True]
    with pytest.raises(InputError) as caught:
        insured_count([1000, population], 0.1)
    assert str(caught.value) == message


def test_premium_in_fen_uses_the_per_person_premium_to_the_fen():
    assert premium_fen([3], 50).tolist() == [15_000]
    assert premium_fen([3], 33.335).tolist() == [10_002]  # 33.335 yuan is 3,334 fen
    other = replace(P, coverage_rate=0.12, premium_per_person=60)
    assert county_premium_fen([1_000, 1_004], other).tolist() == [720_000, 720_000]


@pytest.mark.parametrize(
    ("yuan", "fen"),
    [(0.0, 0), (0.005, 1), (0.004, 0), (-0.005, -1), (1.005, 101), (0.1 + 0.2, 30), (4_000_000, 400_000_000)],
)
def test_to_fen_rounds_halves_away_from_zero(yuan, fen):
    assert to_fen([yuan]).tolist() == [fen]


def test_to_fen_refuses_non_numbers_and_absurd_amounts():
    from fangpin_xl.fund import bad_amount

    assert bad_amount([1.0, float("inf"), float("nan"), 1e12, -1e12, 1.0000001e12]).tolist() == [
        False, True, True, False, False, True]
    with pytest.raises(InputError) as caught:
        to_fen([1.0, float("inf")])
    assert str(caught.value) == "金额应为绝对值不超过 1 万亿元的数字，现为 inf。"
    with pytest.raises(InputError) as caught:
        to_fen([-2e12])
    assert str(caught.value) == "金额应为绝对值不超过 1 万亿元的数字，现为 -2000000000000。"
    assert to_fen([1e12, -1e12]).tolist() == [100_000_000_000_000, -100_000_000_000_000]


@pytest.mark.parametrize(
    ("relief_fen", "rate", "fee_fen"),
    [(0, 0.05, 0), (10, 0.05, 1), (9, 0.05, 0), (30, 0.05, 2), (1_234_567, 0.05, 61_728), (100, 0.0, 0)],
)
def test_service_fee_rounds_half_up_to_the_fen(relief_fen, rate, fee_fen):
    # 30 fen × 5% = 1.5 fen → 2; 1,234,567 × 0.05 = 61,728.35 → 61,728
    assert service_fee_fen([relief_fen], rate).tolist() == [fee_fen]


def test_closing_balance():
    # 100,000 carried over + 4,000,000 premium + 0 top-up − 3,900,000 relief − 195,000 fee
    opening, premium, top_up, relief = to_fen([[100_000], [4_000_000], [0], [3_900_000]])
    assert to_yuan(closing_balance_fen(opening, premium, top_up, relief, 0.05)).tolist() == [5_000.0]
    # A shortfall is negative; the county's top-up brings it back.
    short = closing_balance_fen([0], [100_000], [0], [200_000], 0.05)
    assert short.tolist() == [-110_000]
    assert closing_balance_fen([0], [100_000], [110_000], [200_000], 0.05).tolist() == [0]


@given(st.lists(st.integers(0, 10**9), min_size=1, max_size=20),
       st.floats(0, 1, allow_nan=False))
def test_fund_arithmetic_stays_in_whole_fen(relief, rate):
    fee = service_fee_fen(relief, rate)
    assert fee.dtype == np.int64
    assert (np.abs(fee - np.asarray(relief) * rate) <= 0.5 + 1e-6).all()
    balance = closing_balance_fen(0, 0, 0, relief, rate)
    assert (balance == -(np.asarray(relief) + fee)).all()
