"""Relief amounts: progressive payout tables over the spending above the threshold.

For one spending kind and group: the excess is the amount minus the kind's
threshold for the group. If the spending condition does not hold (达到/以上
include the threshold, 超过 excludes it) the relief is 0. Otherwise each band
``(start, ratio)`` of ``policy.payout_table(kind, group)`` pays ``ratio`` on the
part of the excess from ``start`` up to the next band's start; the sum is rounded
half up to the fen and limited by the table's cap (if any) and the policy's
``max_relief``. The result is never negative, never above a cap, and never falls
when the amount rises.

The shipped table is an example (示例，以本县文件为准) chosen so the two published
payouts come out: 41,040 yuan self-paid (因病, 脱贫不稳定户) → 6,208.00 and
99,493.33 → 22,348.00.

``payout`` and ``payout_series`` share one array implementation, so they agree exactly.

``household_relief_series`` estimates what a qualifying household would receive for
its spending of the last 12 months: the relief of each spending kind it reports (each
by its own table and caps), added up and limited once more to ``max_relief`` — the
cap per case, applied to the household as if its spending made one case. It is an
estimate for the eligibility table, not the amount of any case (a case is judged by
its own discovery date and spending, see ``cases.judge_relief``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .errors import InputError, PolicyError
from .policy import GROUPS, SPENDING_KINDS, PayoutTable, Policy
from .rules import _INVALID, _MISSING, _classify_number, _number_column
from .text import number_text, type_mask

_KIND_LIST = "、".join(SPENDING_KINDS)
_GROUP_LIST = "、".join(GROUPS)
#: Yuan above every cap a policy can set (the parameters stop at 10 million).
_RAW_LIMIT = 1e12


def _kind_name(kind: Any) -> str:
    name = kind.strip(" ") if isinstance(kind, str) else kind
    if name not in SPENDING_KINDS:
        raise PolicyError(f"救助类型“{kind}”不是 {_KIND_LIST} 之一。")
    return name


def _group_name(group: Any) -> str:
    name = group.strip(" ") if isinstance(group, str) else group
    if name not in GROUPS:
        raise PolicyError(f"户类型“{group}”不是 {_GROUP_LIST} 之一。")
    return name


def _caps_cents(table: PayoutTable, policy: Policy) -> float:
    """The lower of the table cap and max_relief, in whole fen (rounded down)."""
    cap = policy.max_relief if table.cap is None else min(table.cap, policy.max_relief)
    return math.floor(round(cap * 100, 6))


def _band_parts(excess: np.ndarray, bands: Sequence[tuple[float, float]]) -> list[np.ndarray]:
    """The part of ``excess`` falling in each band (0 outside it)."""
    starts = [float(start) for start, _ in bands]
    ends = starts[1:] + [math.inf]
    return [np.clip(excess - start, 0.0, end - start) for start, end in zip(starts, ends, strict=True)]


def _relief(amounts: np.ndarray, kind: str, group: str, policy: Policy) -> np.ndarray:
    """Relief in yuan for ``amounts`` (float array, no NaN) of one kind and group."""
    rule = policy.spending[kind]
    threshold = float(rule.threshold(group))
    table = policy.payout_table(kind, group)
    met = amounts >= threshold if rule.inclusive else amounts > threshold
    excess = np.where(met, amounts - threshold, 0.0)
    raw = np.zeros(amounts.shape)
    for part, (_, ratio) in zip(_band_parts(excess, table.bands), table.bands, strict=True):
        raw = raw + part * float(ratio)
    # Every cap is far below _RAW_LIMIT, so limiting first changes no result; it keeps the
    # fen finite for an absurd amount (1e308 × 100 overflows to inf, with numpy's warning).
    raw = np.minimum(raw, _RAW_LIMIT)
    # Snap away binary noise (44493.33 × 0.3 is 13347.998999…) before rounding half up.
    cents = np.floor(np.round(raw * 100, 6) + 0.5)
    cents = np.minimum(np.maximum(cents, 0.0), _caps_cents(table, policy))
    return np.where(met, cents / 100, 0.0)


def _amount(amount: Any) -> float:
    state, value = _classify_number(amount)
    if state == _MISSING:
        return 0.0
    if state == _INVALID:
        raise InputError(f"支出金额“{amount}”不是数字。")
    return value


def payout(kind: str, amount: Any, *, group: str, policy: Policy) -> float:
    """The relief for ``amount`` yuan of ``kind`` spending of a ``group`` household.

    A missing amount gives 0. Raises ``PolicyError`` for an unknown kind or group
    and ``InputError`` for an amount that is not a number.
    """
    kind, group = _kind_name(kind), _group_name(group)
    value = _amount(amount)
    return float(_relief(np.array([value]), kind, group, policy)[0])


def payout_series(kinds: Any, amounts: Any, groups: Any, *, policy: Policy) -> pd.Series:
    """``payout`` per row; NaN where the kind, group or amount is not usable.

    The three arguments are Series or sequences of the same length; the result
    has the index of ``amounts`` when it is a Series.
    """
    index = amounts.index if isinstance(amounts, pd.Series) else None
    kind_values = pd.Series(np.asarray(kinds, dtype=object), dtype=object)
    group_values = pd.Series(np.asarray(groups, dtype=object), dtype=object)
    amount_values = amounts.reset_index(drop=True) if isinstance(amounts, pd.Series) else pd.Series(amounts)
    n = len(amount_values)
    if len(kind_values) != n or len(group_values) != n:
        raise ValueError("kinds, amounts and groups differ in length")

    kind_codes = _codes(kind_values, SPENDING_KINDS)
    group_codes = _codes(group_values, GROUPS)
    numbers = _number_column(amount_values)
    values = np.where(numbers.missing, 0.0, numbers.values)
    result = np.full(n, np.nan)
    # A loop over the kind × group combinations (at most 12), each vectorised.
    for k, kind in enumerate(SPENDING_KINDS):
        for g, group in enumerate(GROUPS):
            rows = (kind_codes == k) & (group_codes == g) & ~numbers.invalid
            if rows.any():
                result[rows] = _relief(values[rows], kind, group, policy)
    return pd.Series(result, index=index, dtype=np.float64)


def household_relief_series(groups: Any, spending: Mapping[str, Any], *, policy: Policy,
                            eligible: Any = None) -> pd.Series:
    """The estimated relief of each household (see the module docstring), in yuan.

    ``spending`` maps a spending kind (因病, 因学, 因意外, 因产业) to the household's
    amounts of that kind (absent kinds count as 0). The result is the sum of
    ``payout_series`` over the kinds, limited to ``policy.max_relief``; NaN where the
    group or an amount is unusable, and where ``eligible`` (booleans, default all
    True) is False: a household that does not qualify gets no relief. The index is
    that of ``groups`` when it is a Series.
    """
    unknown = [kind for kind in spending if kind not in SPENDING_KINDS]
    if unknown:
        raise PolicyError(f"救助类型“{unknown[0]}”不是 {_KIND_LIST} 之一。")
    index = groups.index if isinstance(groups, pd.Series) else None
    group_values = np.asarray(groups, dtype=object)
    n = len(group_values)
    total = np.zeros(n)
    unusable = np.zeros(n, dtype=bool)
    for kind in SPENDING_KINDS:
        if kind not in spending:
            continue
        amounts = spending[kind]
        amounts = amounts.reset_index(drop=True) if isinstance(amounts, pd.Series) else amounts
        relief = payout_series(np.full(n, kind, dtype=object), amounts, group_values,
                               policy=policy).to_numpy()
        unusable |= np.isnan(relief)
        total += np.where(np.isnan(relief), 0.0, relief)
    if not spending:
        unusable |= _codes(pd.Series(group_values, dtype=object), GROUPS) < 0
    cap = math.floor(round(policy.max_relief * 100, 6))
    cents = np.minimum(np.round(total * 100), cap)
    qualifies = np.ones(n, dtype=bool) if eligible is None else np.asarray(eligible, dtype=bool)
    result = np.where(unusable | ~qualifies, np.nan, cents / 100)
    return pd.Series(result, index=index, dtype=np.float64)


def _codes(values: pd.Series, names: Sequence[str]) -> np.ndarray:
    is_text = type_mask(values.to_numpy(dtype=object), str)
    stripped = values.copy()
    if is_text.any():
        stripped[is_text] = values[is_text].str.strip(" ")
    return pd.Index(list(names)).get_indexer(stripped)


def payout_explain(kind: str, amount: Any, *, group: str, policy: Policy) -> str:
    """A Chinese breakdown of ``payout`` for notices and case files."""
    kind, group = _kind_name(kind), _group_name(group)
    state, _ = _classify_number(amount)
    value = _amount(amount)
    rule = policy.spending[kind]
    threshold = float(rule.threshold(group))
    table = policy.payout_table(kind, group)
    final = payout(kind, value, group=group, policy=policy)
    standard = f"{group}{kind}支出标准 {number_text(threshold)} 元"
    if state == _MISSING:
        return f"未填写{kind}支出，按 0 元计，不予救助（救助金额 0.00 元）。"
    met = value >= threshold if rule.inclusive else value > threshold
    if not met:
        word = "未达到" if rule.inclusive else "未超过"
        return f"{kind}支出 {number_text(value)} 元，{word}{standard}，不予救助（救助金额 0.00 元）。"

    excess = value - threshold
    head = f"{kind}支出 {number_text(value)} 元，{standard}，超出部分 {number_text(excess)} 元"
    bands = table.bands
    parts = _band_parts(np.array([excess]), bands)
    lines = []
    raw = 0.0
    for i, (part, (start, ratio)) in enumerate(zip(parts, bands, strict=True)):
        amount_in_band = float(part[0])
        if amount_in_band <= 0:
            continue
        paid = amount_in_band * float(ratio)
        raw += paid
        if i + 1 < len(bands):
            span = f"{number_text(start)}–{number_text(bands[i + 1][0])} 元段"
        else:
            span = f"{number_text(start)} 元以上段"
        lines.append(f"{span} {number_text(amount_in_band)} 元 × {ratio * 100:g}% = {number_text(paid)} 元")
    if not lines:
        return f"{head}，救助金额 0.00 元（{table.label}）。"
    text = f"{head}，分档计算：" + "；".join(lines)
    if len(lines) > 1:
        text += f"；合计 {number_text(raw)} 元"
    # Past _RAW_LIMIT the cap applies anyway (and × 100 might overflow): no rounding to show.
    rounded = raw if raw >= _RAW_LIMIT else float(np.floor(np.round(raw * 100, 6) + 0.5) / 100)
    if number_text(rounded) != number_text(raw):
        text += f"，四舍五入为 {rounded:.2f} 元"
    if final < rounded:
        if table.cap is not None and table.cap <= policy.max_relief:
            text += f"，超过{kind}救助封顶 {number_text(table.cap)} 元，按封顶计"
        else:
            text += f"，超过单案救助上限 {number_text(policy.max_relief)} 元，按上限计"
    return f"{text}。救助金额 {final:.2f} 元（{table.label}）。"
