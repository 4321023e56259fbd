"""Spending events of the sample households and the eligibility they give by the rules.

Eligibility is never decided here: it goes through ``rules.check_households``, the same rule
validate applies, so the recorded 资格 agrees with the checks wherever no mistake is planted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import rules
from ..policy import GROUPS, SPENDING_KINDS
from .arrays import (
    BoolArray,
    FloatArray,
    IntArray,
    ObjectArray,
    as_objects,
    round_money,
    weighted_choice,
)
from .households import Households, Members
from .spec import CountySpec

# industry; ``_KIND_SOURCES`` gives who reported each kind and how often.
_KIND_WEIGHTS = (0.5, 0.2, 0.15, 0.15)
_KIND_SOURCES: tuple[tuple[tuple[str, ...], tuple[float, ...]], ...] = (
    (("医保", "自下而上申请"), (0.7, 0.3)),
    (("教育", "自下而上申请"), (0.6, 0.4)),
    (("交警", "消防", "民政", "自下而上申请"), (0.35, 0.2, 0.2, 0.25)),
    (("自下而上申请", "其他"), (0.7, 0.3)),
)
_EDUCATION, _INDUSTRY = 1, 3
EVIDENCE_BY_KIND = ("住院结算单", "学校收费票据", "事故认定书及赔付凭证", "受灾核查表")


# -- spending ----------------------------------------------------------------------

@dataclass(frozen=True)
class Spending:
    """Spending events, sorted by household and day."""

    household: IntArray
    #: Index into ``policy.SPENDING_KINDS``.
    kind: IntArray
    day: IntArray
    amount: FloatArray
    #: Index into ``Members``: the student for education, the head for industry.
    member: IntArray
    #: Who reported it: a department (医保, 教育 …) or the household itself.
    source: ObjectArray


def make_spending(spec: CountySpec, rng: np.random.Generator, households: Households,
                  members: Members) -> Spending:
    count = households.count
    waived = households.income_waived
    n_ev = weighted_choice(rng, count, (0.3, 0.4, 0.2, 0.1))
    # Every household whose income is waived has spending, its first event above the threshold.
    n_ev = np.where(waived, np.maximum(n_ev, 1), n_ev)
    total = int(n_ev.sum())
    hh = np.repeat(np.arange(count), n_ev)
    first_event = (np.arange(total) - (np.cumsum(n_ev) - n_ev)[hh]) == 0
    kind = weighted_choice(rng, total, _KIND_WEIGHTS)
    kind = np.where((kind == _EDUCATION) & ~members.household_has_student[hh], 0, kind)
    group = households.group[hh]
    thresholds = np.array(
        [[spec.policy.spending_threshold(k, g) for g in GROUPS] for k in SPENDING_KINDS]
    )
    t = thresholds[kind, group]
    # Some amounts exactly on the threshold or a cent either side, to test the boundaries.
    u = rng.random(total)
    amount = np.select(
        [u < 0.08, u < 0.12, u < 0.16, u < 0.51],
        [t, t - 0.01, t + 0.01, t * rng.uniform(0.2, 1.0, total)],
        t * rng.uniform(1.0, 6.0, total),
    )
    boundary = u < 0.16
    forced = waived[hh] & first_event
    amount = np.where(forced, t * rng.uniform(1.5, 6.0, total), amount)
    boundary &= ~forced
    integer = ~boundary & (rng.random(total) < 0.7)
    amount = np.where(boundary, np.round(amount, 2), round_money(amount, integer))

    # Days: most inside the window, some on its first day or the day before, some earlier.
    ws, check = spec.window_start, spec.check_day
    u = rng.random(total)
    day = np.select(
        [u < 0.75, u < 0.775, u < 0.80],
        [rng.integers(ws + 1, check - 19, total), np.full(total, ws), np.full(total, ws + 1)],
        rng.integers(ws - 365, ws, total),
    )
    day = np.where(forced, rng.integers(ws + 1, check - 19, total), day)

    # Who: the student for education, anyone for illness or accidents, the head for industry.
    first = members.household_first[hh]
    anyone = first + np.floor(rng.random(total) * households.size[hh]).astype(np.int64)
    member = np.select([kind == _EDUCATION, kind == _INDUSTRY],
                       [members.household_student[hh], first], anyone)
    source = np.empty(total, dtype=object)
    for k, (choices, weights) in enumerate(_KIND_SOURCES):
        sel = kind == k
        source[sel] = np.array(choices, dtype=object)[weighted_choice(rng, int(sel.sum()), weights)]
    order = np.lexsort((day, hh))
    return Spending(household=hh[order], kind=kind[order], day=day[order], amount=amount[order],
                    member=member[order], source=source[order])


def inside_window(spec: CountySpec, spending: Spending) -> BoolArray:
    """The events inside the spending window that ends on the check date."""
    return (spending.day > spec.window_start) & (spending.day <= spec.check_day)


# -- eligibility (the same rule as validate: rules.check_households) ---------------

@dataclass(frozen=True)
class Eligibility:
    # Per household × spending kind, inside the window:
    sums: FloatArray
    #: The latest event's day; -1 where there is none.
    last_day: IntArray
    #: Both the income and that kind's spending meet the conditions.
    met: BoolArray
    # Per household:
    #: The status ``rules.check_households`` gives.
    status: ObjectArray
    eligible: BoolArray
    #: What the workbook records in 资格: the status, or None where left empty.
    recorded: ObjectArray


def assess_eligibility(spec: CountySpec, rng: np.random.Generator, households: Households,
                       income: FloatArray, spending: Spending) -> Eligibility:
    count, kinds = households.count, len(SPENDING_KINDS)
    inside = inside_window(spec, spending)
    flat = spending.household * kinds + spending.kind
    weighted = np.bincount(flat[inside], weights=spending.amount[inside], minlength=count * kinds)
    # Already floats (weighted counts); the astype only tells the type checker so.
    sums = weighted.astype(np.float64, copy=False).reshape(count, kinds)
    last = np.full(count * kinds, -1, dtype=np.int64)
    np.maximum.at(last, flat[inside], spending.day[inside])
    frame = pd.DataFrame({
        "group": np.array(GROUPS, dtype=object)[households.group],
        "income_per_capita": income,
        **{field: sums[:, i] for i, field in enumerate(rules.SPENDING_FIELDS)},
    })
    checked = rules.check_households(frame, spec.policy, reasons=False, conditions=True)
    status = checked["status"].to_numpy(dtype=object)
    income_ok = checked["income_met"].to_numpy(dtype=bool)
    met = checked[[f"{field}_met" for field in rules.SPENDING_FIELDS]].to_numpy(dtype=bool)
    return Eligibility(
        sums=sums, last_day=last.reshape(count, kinds), met=met & income_ok[:, None],
        status=status, eligible=status == rules.STATUS_ELIGIBLE,
        recorded=as_objects(status, missing=~(rng.random(count) < 0.6)),
    )
