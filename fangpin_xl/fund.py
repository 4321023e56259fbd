"""The county relief fund (防贫救助资金池): premium, service fee and balance, in integer fen.

Money is held as whole fen (``int64``) so that sums over a year never drift; yuan
come in and go out only at the edges (``to_fen`` / ``to_yuan``). Everything is
vectorised over arrays and pure.

The arithmetic of one county-year (DOMAIN.md, "The fund pool"):

* **insured count** = rural population × ``policy.coverage_rate``, rounded *half up to
  whole persons* (10% of 12,345 people is 1,234.5 → 1,235). The policy insures "about
  10%" of a category of people, not named persons; counting a half person up keeps the
  pool on the side of the households, and it is what a clerk's ``ROUND(x, 0)`` gives.
* **premium** = insured count × ``policy.premium_per_person`` (the per-person premium is
  first taken to the fen).
* **service fee** = ``policy.service_fee_rate`` × the year's total relief, rounded half
  up to the fen (halves away from zero, like Excel ``ROUND(x, 2)``).
* **balance** = opening balance + premium + county top-up − total relief − service fee.
  A negative balance is the shortfall county finance must top up; a positive one is
  carried forward to the next year.

The published pilot checks the first two: 魏县 2017 insured 10% of its rural population
at 50 yuan for 4,000,000 yuan, i.e. 800,000 rural people → 80,000 insured.

A rural population must be a whole number of people from 0 to 10 billion and an amount a
number of at most a trillion yuan either way (so fen stay exact in ``int64``):
``bad_population`` / ``bad_amount`` say which values are not, and ``insured_count`` /
``to_fen`` refuse them with a Chinese message.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import InputError
from .policy import Policy
from .text import number_text

#: The largest amount (yuan, either sign) and population the arithmetic accepts.
MAX_YUAN = 1e12
MAX_POPULATION = 1e10


def _shown(value: float) -> str:
    return number_text(value) if np.isfinite(value) else str(value)


def _half_away(values: np.ndarray) -> np.ndarray:
    """Round to whole units, halves away from zero, after snapping binary noise
    (1234.5000000000002 and 1234.4999999999998 are both 1234.5)."""
    snapped = np.round(np.abs(values), 6)
    return np.sign(values) * np.floor(snapped + 0.5)


def bad_amount(yuan: Any) -> np.ndarray:
    """Which amounts are not usable (not finite, or beyond a trillion yuan either way)."""
    values = np.asarray(yuan, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return ~(np.abs(values) <= MAX_YUAN)


def to_fen(yuan: Any) -> np.ndarray:
    """Yuan → whole fen (``int64``), halves away from zero like Excel ``ROUND(x, 2)``.

    Raises ``InputError`` for an amount ``bad_amount`` refuses.
    """
    values = np.asarray(yuan, dtype=np.float64)
    bad = bad_amount(values)
    if bad.any():
        raise InputError(f"金额应为绝对值不超过 1 万亿元的数字，现为 {_shown(float(values[bad].flat[0]))}。")
    return _half_away(values * 100).astype(np.int64)


def to_yuan(fen: Any) -> np.ndarray:
    """Whole fen → yuan (``float64``)."""
    return np.asarray(fen, dtype=np.int64) / 100


def bad_population(rural_population: Any) -> np.ndarray:
    """Which values are not a usable rural population (a whole number from 0 to 10 billion)."""
    values = np.asarray(rural_population, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return ~((values >= 0) & (values <= MAX_POPULATION) & (values == np.floor(values)))


def insured_count(rural_population: Any, coverage_rate: float) -> np.ndarray:
    """Insured persons (``int64``): population × rate, rounded half up to whole persons.

    Raises ``InputError`` naming the first population ``bad_population`` refuses.
    """
    values = np.asarray(rural_population, dtype=np.float64)
    bad = bad_population(values)
    if bad.any():
        raise InputError(f"农村人口应为 0 到 100 亿之间的整数，现为 {_shown(float(values[bad].flat[0]))}。")
    return _half_away(values * float(coverage_rate)).astype(np.int64)


def premium_fen(insured: Any, premium_per_person: float) -> np.ndarray:
    """The premium in fen: insured persons × the per-person premium (taken to the fen)."""
    per_person = int(to_fen(premium_per_person))
    return np.asarray(insured, dtype=np.int64) * per_person


def county_premium_fen(rural_population: Any, policy: Policy) -> np.ndarray:
    """The year's premium in fen for a rural population under ``policy``."""
    insured = insured_count(rural_population, policy.coverage_rate)
    return premium_fen(insured, policy.premium_per_person)


def service_fee_fen(relief_fen: Any, service_fee_rate: float) -> np.ndarray:
    """The insurer's service fee in fen: rate × total relief, rounded half up to the fen."""
    relief = np.asarray(relief_fen, dtype=np.int64)
    return _half_away(relief * float(service_fee_rate)).astype(np.int64)


def closing_balance_fen(opening_fen: Any, premium: Any, top_up_fen: Any, relief_fen: Any,
                        service_fee_rate: float) -> np.ndarray:
    """Opening + premium + top-up − relief − service fee on that relief, all in fen."""
    relief = np.asarray(relief_fen, dtype=np.int64)
    return (np.asarray(opening_fen, dtype=np.int64) + np.asarray(premium, dtype=np.int64)
            + np.asarray(top_up_fen, dtype=np.int64) - relief
            - service_fee_fen(relief, service_fee_rate))
