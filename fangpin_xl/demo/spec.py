"""What the sample county is: the caller's arguments and what the policy fixes for them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..errors import InputError
from ..policy import Policy
from ..workdays import add_months
from .arrays import day_number
from .model import COUNTY_AREA_CODES, DEFAULT_AREA, MIN_HOUSEHOLDS

#: Township codes run 101 … 999 inside 户编号 and 案件编号.
MAX_TOWNSHIPS = 899


@dataclass(frozen=True)
class CountySpec:
    """Read by every stage of the generation, changed by none."""

    townships: int
    households_per_township: int
    seed: int
    policy: Policy
    county: str
    #: The county's area code: the first six digits of most ID numbers.
    area: int
    year: int
    #: 31 December of the policy year; every date in the sample is on or before it.
    check_date: dt.date
    check_day: int
    #: The income threshold of the policy year (``Policy.income_threshold``).
    income_line: float
    #: Day number before the spending window: it runs from the day after to ``check_day``.
    window_start: int

    @classmethod
    def for_policy(cls, policy: Policy, *, townships: int, households: int,
                   seed: int) -> CountySpec:
        """Checks the sizes first, so that a wrong size is reported before a policy gap."""
        if townships < 1:
            raise InputError(f"示例县至少要有 1 个乡镇，现为 {townships}。")
        if households < MIN_HOUSEHOLDS:
            raise InputError(f"示例县每个乡镇至少要有 {MIN_HOUSEHOLDS} 户，现为 {households}。")
        if townships > MAX_TOWNSHIPS:
            raise InputError(f"示例县最多 {MAX_TOWNSHIPS} 个乡镇，现为 {townships}。")
        check_date = dt.date(policy.year, 12, 31)
        return cls(
            townships=townships, households_per_township=households, seed=seed, policy=policy,
            county=policy.county, area=int(COUNTY_AREA_CODES.get(policy.county, DEFAULT_AREA)),
            year=policy.year, check_date=check_date, check_day=day_number(check_date),
            income_line=policy.income_threshold(),
            window_start=day_number(add_months(check_date, -policy.spending_window_months)),
        )
