"""Eligibility under the "four twos" rule: one household, a whole table, an Excel formula.

A household qualifies (符合) when both conditions hold:

* income: per-capita income at or below the year's income threshold (以下 includes
  the number); waived for 突发严重困难户;
* spending: any one of the four spending rules of the policy, each compared with
  its operator word (达到/以上 include the threshold, 超过 excludes it) and the
  threshold of the household's group.

A household whose group is missing or unknown, whose income is missing or not a
number (unless the income condition is waived), or with a spending value that is
not a number is 资料不全 — never 不符合, because nobody has shown it fails.

Values: ``None``, NaN, ``""`` and text of spaces only are missing; missing spending
counts as 0. Text is a number only when it is a plain decimal such as ``"5000"`` or
``" 5000.5 "`` (ASCII digits, optional sign and point, spaces around); anything else
("5,000元", full-width digits, "1e3") is not a number here — the workbook reader
turns such cells into numbers before they reach these functions. Booleans, dates
and infinities are not numbers.

``check_household`` and ``check_households`` build their texts from the same
templates and format numbers identically (tests compare them on every row).

Excel rendering (``excel_status_formula`` / ``excel_met_formula``) computes the
same status and met_text with Excel 2010 functions, reading the thresholds from the
workbook's 参数 sheet. It agrees with Python on every row whose cells hold numbers,
blanks or text. The one difference: a *text* cell that Python reads as a plain
number (a number typed into a text-formatted cell, e.g. the text "5000") is
资料不全 in the workbook, because Excel's ISNUMBER is false for text and VALUE
depends on the regional settings; the templates write numbers as numbers and the
reader converts text before Python sees it, so the two agree on every table the
program hands over. (Cells holding Excel dates count as numbers in Excel; error
values such as #N/A propagate to the formula's result.)
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from numpy.dtypes import StringDType

from .errors import InputError
from .policy import GROUPS, INCOME_WAIVED_GROUP, KIND_FIELDS, SPENDING_KINDS, Policy
from .text import append_number_texts, cell_text, number_text, type_mask

STATUS_ELIGIBLE = "符合"
STATUS_INELIGIBLE = "不符合"
STATUS_INCOMPLETE = "资料不全"
STATUSES: tuple[str, ...] = (STATUS_ELIGIBLE, STATUS_INELIGIBLE, STATUS_INCOMPLETE)

MET_INCOME = "收入"
MET_INCOME_WAIVED = "收入免核"
MET_SEPARATOR = "、"
REASON_SEPARATOR = "；"

#: Input columns of ``check_households`` and their Chinese names (for messages).
INPUT_COLUMNS: dict[str, str] = {
    "group": "户类型",
    "income_per_capita": "人均收入",
    **{field: f"{kind}支出" for kind, field in KIND_FIELDS.items()},
}
REQUIRED_COLUMNS: tuple[str, ...] = ("group", "income_per_capita")
SPENDING_FIELDS: tuple[str, ...] = tuple(KIND_FIELDS[kind] for kind in SPENDING_KINDS)
OUTPUT_COLUMNS: tuple[str, ...] = ("status", "met_text", "reasons")

_WAIVED_CODE = GROUPS.index(INCOME_WAIVED_GROUP)
_GROUP_LIST = "、".join(GROUPS)
#: Plain decimal text; spaces only (what Excel's TRIM removes) around it.
_NUMBER_TEXT = r" *[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+) *"
_NUMBER_RE = re.compile(_NUMBER_TEXT)
_BLANK_TEXT = r" *"


@dataclass(frozen=True)
class HouseholdResult:
    """The check of one household."""

    status: str
    #: Conditions met, in the order 收入 (or 收入免核), 因病, 因学, 因意外, 因产业;
    #: empty when the status is 资料不全.
    met: tuple[str, ...]
    #: Chinese explanation: the conditions met (符合), the ones that failed and by
    #: how much (不符合), or what is missing or wrong (资料不全).
    reasons: str

    @property
    def met_text(self) -> str:
        return MET_SEPARATOR.join(self.met)

    @property
    def eligible(self) -> bool:
        return self.status == STATUS_ELIGIBLE


# -- value classification -------------------------------------------------------

_NUMBER, _MISSING, _INVALID = 0, 1, 2


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        result = pd.isna(value)
    except (TypeError, ValueError):
        return False
    return isinstance(result, bool | np.bool_) and bool(result)


def _is_real_type(cls: type) -> bool:
    return (issubclass(cls, numbers.Real) or issubclass(cls, Decimal)) and not issubclass(
        cls, bool | np.bool_
    )


def _safe_float(value: Any) -> float:
    try:
        return float(value)
    except (OverflowError, ValueError, TypeError):
        return math.nan


def _classify_number(value: Any) -> tuple[int, float]:
    """(_NUMBER, value) / (_MISSING, nan) / (_INVALID, nan) for one cell value."""
    if _is_missing(value):
        return _MISSING, math.nan
    if isinstance(value, str):
        if value.strip(" ") == "":
            return _MISSING, math.nan
        if _NUMBER_RE.fullmatch(value):
            return _NUMBER, float(value.strip(" "))
        return _INVALID, math.nan
    if _is_real_type(type(value)):
        number = _safe_float(value)
        if math.isfinite(number):
            return _NUMBER, number
    return _INVALID, math.nan


def _classify_group(value: Any) -> int:
    """The index in GROUPS, or -1 for a missing group, -2 for an unknown one."""
    if _is_missing(value):
        return -1
    if isinstance(value, str):
        name = value.strip(" ")
        if name == "":
            return -1
        if name in GROUPS:
            return GROUPS.index(name)
    return -2


# -- reason templates (shared by the scalar and the vectorised check) ----------
#
# A reason text is a sequence of pieces joined by "；". Which pieces a household
# gets is encoded in an integer key; ``_Texts.parts(key)`` turns a key into a list
# of constant strings and named slots (numbers or raw cell values) so both
# implementations fill the very same template.

_INC_NONE, _INC_OK, _INC_OVER, _INC_WAIVED = 0, 1, 2, 3
_SP_NONE, _SP_MET, _SP_SHORT, _SP_EQUAL = 0, 1, 2, 3
_INCOMPLETE_BIT = 1 << 13
_ALL_ZERO_BIT = 1 << 12
# Bits of an incomplete key (below _INCOMPLETE_BIT).
_BAD_GROUP_MISSING, _BAD_GROUP_UNKNOWN, _BAD_INCOME_MISSING, _BAD_INCOME_INVALID = 1, 2, 4, 8


def _bad_spending_bit(k: int) -> int:
    return 16 << k


class _Slot(str):
    """A named hole in a template (a str subclass so it sorts and hashes simply)."""


def _complete_key(group_code: int, income_variant: int, spending_variants: Sequence[int], all_zero: bool) -> int:
    key = group_code | income_variant << 2
    for k, variant in enumerate(spending_variants):
        key |= variant << (4 + 2 * k)
    return key | (_ALL_ZERO_BIT if all_zero else 0)


class _Texts:
    """The policy-dependent constant parts of the reasons of one check."""

    def __init__(self, policy: Policy, income_line: float):
        self.income_line_text = number_text(income_line)
        self.inclusive = [policy.spending[kind].inclusive for kind in SPENDING_KINDS]
        self.threshold_texts = [
            [number_text(policy.spending_threshold(kind, group)) for group in GROUPS]
            for kind in SPENDING_KINDS
        ]
        self._cache: dict[int, list[str]] = {}

    def parts(self, key: int) -> list[str]:
        cached = self._cache.get(key)
        if cached is None:
            pieces = self._incomplete_pieces(key) if key & _INCOMPLETE_BIT else self._complete_pieces(key)
            cached = self._cache[key] = _merge_constants(pieces)
        return cached

    def _incomplete_pieces(self, key: int) -> list[list[str]]:
        pieces: list[list[str]] = []
        if key & _BAD_GROUP_MISSING:
            pieces.append(["缺少户类型"])
        if key & _BAD_GROUP_UNKNOWN:
            pieces.append(["户类型“", _Slot("raw_group"), f"”不是 {_GROUP_LIST} 之一"])
        if key & _BAD_INCOME_MISSING:
            pieces.append(["缺少人均收入"])
        if key & _BAD_INCOME_INVALID:
            pieces.append(["人均收入“", _Slot("raw_income"), "”不是数字"])
        for k, kind in enumerate(SPENDING_KINDS):
            if key & _bad_spending_bit(k):
                pieces.append([f"{kind}支出“", _Slot(f"raw{k}"), "”不是数字"])
        return pieces

    def _complete_pieces(self, key: int) -> list[list[str]]:
        group_code = key & 3
        income_variant = key >> 2 & 3
        pieces: list[list[str]] = []
        line = self.income_line_text
        if income_variant == _INC_OK:
            pieces.append(["人均收入 ", _Slot("income"), f" 元，未超过收入标准 {line} 元"])
        elif income_variant == _INC_OVER:
            pieces.append(
                ["人均收入 ", _Slot("income"), f" 元，超过收入标准 {line} 元 ", _Slot("income_over"), " 元"]
            )
        elif income_variant == _INC_WAIVED:
            pieces.append([f"{INCOME_WAIVED_GROUP}，收入条件免核"])
        for k, kind in enumerate(SPENDING_KINDS):
            variant = key >> (4 + 2 * k) & 3
            if variant == _SP_NONE:
                continue
            threshold = self.threshold_texts[k][group_code]
            head = [f"{kind}支出 ", _Slot(f"amount{k}")]
            if variant == _SP_MET:
                word = "达到" if self.inclusive[k] else "超过"
                pieces.append(head + [f" 元，{word} {threshold} 元"])
            elif variant == _SP_EQUAL:
                pieces.append(head + [f" 元，未超过 {threshold} 元"])
            elif self.inclusive[k]:
                pieces.append(head + [f" 元，未达到 {threshold} 元（差 ", _Slot(f"short{k}"), " 元）"])
            else:
                pieces.append(head + [f" 元，未超过 {threshold} 元（比标准低 ", _Slot(f"short{k}"), " 元）"])
        if key & _ALL_ZERO_BIT:
            pieces.append([MET_SEPARATOR.join(SPENDING_KINDS) + "支出均为 0 元"])
        return pieces


_LAST_TEXTS: list[tuple[Policy, float, _Texts]] = []


def _texts_for(policy: Policy, income_line: float) -> _Texts:
    """The texts of the policy used last time, so a loop over households builds them once."""
    if _LAST_TEXTS:
        last_policy, last_line, texts = _LAST_TEXTS[0]
        if last_policy is policy and last_line == income_line:
            return texts
    texts = _Texts(policy, income_line)
    _LAST_TEXTS[:] = [(policy, income_line, texts)]
    return texts


def _merge_constants(pieces: list[list[str]]) -> list[str]:
    parts: list[str] = []
    for i, piece in enumerate(pieces):
        for part in ([REASON_SEPARATOR] if i else []) + piece:
            if parts and not isinstance(part, _Slot) and not isinstance(parts[-1], _Slot):
                parts[-1] += part
            else:
                parts.append(part)
    return parts


def _met_labels(income_variant_met: int, spending_met: Sequence[bool]) -> tuple[str, ...]:
    labels = []
    if income_variant_met == _INC_OK:
        labels.append(MET_INCOME)
    elif income_variant_met == _INC_WAIVED:
        labels.append(MET_INCOME_WAIVED)
    return tuple(labels) + tuple(kind for kind, met in zip(SPENDING_KINDS, spending_met, strict=True) if met)


# -- one household --------------------------------------------------------------

def check_household(
    group: Any,
    income_per_capita: Any,
    medical: Any = 0,
    education: Any = 0,
    accident: Any = 0,
    industry: Any = 0,
    *,
    policy: Policy,
    year: int | None = None,
) -> HouseholdResult:
    """Check one household against ``policy`` (income threshold of ``year``, default the policy's)."""
    income_line = policy.income_threshold(year)
    return _check_one(_texts_for(policy, income_line), income_line, policy, group, income_per_capita,
                      (medical, education, accident, industry))


def _check_one(texts: _Texts, income_line: float, policy: Policy, group: Any, income: Any,
               spending: Sequence[Any]) -> HouseholdResult:
    group_code = _classify_group(group)
    waived = group_code == _WAIVED_CODE
    income_state, income_value = _classify_number(income)
    spending_states = [_classify_number(value) for value in spending]

    bad = 0
    if group_code == -1:
        bad |= _BAD_GROUP_MISSING
    elif group_code == -2:
        bad |= _BAD_GROUP_UNKNOWN
    if not waived:
        if income_state == _MISSING:
            bad |= _BAD_INCOME_MISSING
        elif income_state == _INVALID:
            bad |= _BAD_INCOME_INVALID
    for k, (state, _) in enumerate(spending_states):
        if state == _INVALID:
            bad |= _bad_spending_bit(k)
    if bad:
        slots = {"raw_group": cell_text(group), "raw_income": cell_text(income)}
        slots.update({f"raw{k}": cell_text(value) for k, value in enumerate(spending)})
        return HouseholdResult(STATUS_INCOMPLETE, (), _fill(texts.parts(_INCOMPLETE_BIT | bad), slots))

    income_ok = waived or income_value <= income_line
    amounts = [value if state == _NUMBER else 0.0 for state, value in spending_states]
    thresholds = [policy.spending_threshold(kind, GROUPS[group_code]) for kind in SPENDING_KINDS]
    met = [
        amount >= threshold if inclusive else amount > threshold
        for amount, threshold, inclusive in zip(amounts, thresholds, texts.inclusive, strict=True)
    ]
    eligible = income_ok and any(met)
    income_met_variant = _INC_WAIVED if waived else (_INC_OK if income_ok else _INC_NONE)

    all_zero = False
    if eligible:
        status = STATUS_ELIGIBLE
        income_variant = income_met_variant
        variants = [_SP_MET if m else _SP_NONE for m in met]
    else:
        status = STATUS_INELIGIBLE
        income_variant = _INC_NONE if income_ok else _INC_OVER
        if any(met):
            variants = [_SP_NONE] * len(met)
        else:
            variants = [
                _SP_NONE if amount == 0 else (_SP_EQUAL if amount == threshold else _SP_SHORT)
                for amount, threshold in zip(amounts, thresholds, strict=True)
            ]
            all_zero = all(amount == 0 for amount in amounts)
    key = _complete_key(group_code, income_variant, variants, all_zero)
    slots = {}
    if income_variant in (_INC_OK, _INC_OVER):
        slots["income"] = number_text(income_value)
        slots["income_over"] = number_text(income_value - income_line)
    for k, (amount, threshold) in enumerate(zip(amounts, thresholds, strict=True)):
        if variants[k] != _SP_NONE:
            slots[f"amount{k}"] = number_text(amount)
            slots[f"short{k}"] = number_text(threshold - amount)
    return HouseholdResult(status, _met_labels(income_met_variant, met), _fill(texts.parts(key), slots))


def _fill(parts: list[str], slots: Mapping[str, str]) -> str:
    return "".join(slots[part] if isinstance(part, _Slot) else part for part in parts)


# -- a whole table ----------------------------------------------------------------

@dataclass
class _Numbers:
    values: np.ndarray  # float64, NaN where not a number
    missing: np.ndarray
    invalid: np.ndarray
    source: pd.Series

    def raw(self, idx: np.ndarray) -> np.ndarray:
        return _raw_strings(self.source, idx)


def _number_column(series: pd.Series) -> _Numbers:
    n = len(series)
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        missing = series.isna().to_numpy(dtype=bool)
        return _Numbers(np.full(n, np.nan), missing, ~missing, series)
    if pd.api.types.is_float_dtype(dtype) or pd.api.types.is_integer_dtype(dtype):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        invalid = np.isinf(values)
        values = np.where(invalid, np.nan, values)
        return _Numbers(values, np.isnan(values) & ~invalid, invalid, series)

    objects = pd.Series(series.to_numpy(dtype=object), dtype=object)
    missing = objects.isna().to_numpy(dtype=bool, copy=True)
    arr = objects.to_numpy(dtype=object)
    text = type_mask(arr, str) & ~missing
    real = type_mask(arr, numbers.Real, Decimal, exclude=(bool, np.bool_)) & ~missing
    values = np.full(n, np.nan)
    if text.any():
        strings = objects[text]
        blank = strings.str.fullmatch(_BLANK_TEXT).to_numpy(dtype=bool)
        plain = strings.str.fullmatch(_NUMBER_TEXT).to_numpy(dtype=bool)
        text_idx = np.flatnonzero(text)
        missing[text_idx[blank]] = True
        values[text_idx[plain]] = strings[plain].str.strip(" ").map(float).to_numpy(dtype=np.float64)
    if real.any():
        numbers_ = objects[real].map(_safe_float).to_numpy(dtype=np.float64)
        values[real] = np.where(np.isfinite(numbers_), numbers_, np.nan)
    invalid = ~missing & np.isnan(values)
    return _Numbers(values, missing, invalid, series)


def group_codes(series: pd.Series) -> np.ndarray:
    """Per row the index in GROUPS, -1 for missing (or spaces only), -2 for unknown."""
    return _group_codes(series)


def _group_codes(series: pd.Series) -> np.ndarray:
    """Per row the index in GROUPS, -1 for missing, -2 for unknown."""
    index = pd.Index(GROUPS)
    objects = pd.Series(series.to_numpy(dtype=object), dtype=object)
    codes = index.get_indexer(objects).astype(np.int64)
    rest = np.flatnonzero(codes < 0)
    if rest.size == 0:
        return codes
    others = objects.iloc[rest]
    missing = others.isna().to_numpy(dtype=bool)
    is_text = type_mask(others.to_numpy(dtype=object), str) & ~missing
    result = np.full(rest.size, -2, dtype=np.int64)
    result[missing] = -1
    if is_text.any():
        stripped = others[is_text].str.strip(" ")
        blank = (stripped == "").to_numpy(dtype=bool)
        found = index.get_indexer(stripped)
        result[is_text] = np.where(blank, -1, np.where(found < 0, -2, found))
    codes[rest] = result
    return codes


def check_households(frame: pd.DataFrame, policy: Policy, year: int | None = None, *,
                     reasons: bool = True, conditions: bool = False) -> pd.DataFrame:
    """``check_household`` over every row of ``frame``, vectorised.

    ``frame`` has the columns ``group`` and ``income_per_capita`` and optionally
    ``medical``, ``education``, ``accident``, ``industry`` (absent = 0). Returns a
    frame with the same index and the columns status, met_text, reasons
    (``reasons=False`` leaves out the reasons column, which takes most of the time).
    ``conditions=True`` adds one boolean column per condition: ``income_met``
    (waived counts as met) and ``medical_met`` … ``industry_met`` (the spending
    rule alone); all False where the status is 资料不全.
    """
    absent = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if absent:
        names = "、".join(f"{c}（{INPUT_COLUMNS[c]}）" for c in absent)
        raise InputError(f"资格核查的数据缺少列：{names}。")
    income_line = policy.income_threshold(year)
    texts = _Texts(policy, income_line)
    n = len(frame)

    codes = _group_codes(frame["group"])
    known = codes >= 0
    waived = codes == _WAIVED_CODE
    income = _number_column(frame["income_per_capita"])
    spending = [
        _number_column(frame[field]) if field in frame.columns
        else _Numbers(np.zeros(n), np.zeros(n, bool), np.zeros(n, bool), pd.Series(np.zeros(n)))
        for field in SPENDING_FIELDS
    ]

    bad = np.where(codes == -1, _BAD_GROUP_MISSING, 0) | np.where(codes == -2, _BAD_GROUP_UNKNOWN, 0)
    bad |= np.where(~waived & income.missing, _BAD_INCOME_MISSING, 0)
    bad |= np.where(~waived & income.invalid, _BAD_INCOME_INVALID, 0)
    for k, column in enumerate(spending):
        bad |= np.where(column.invalid, _bad_spending_bit(k), 0)
    incomplete = bad != 0

    safe_codes = np.where(known, codes, 0)
    with np.errstate(invalid="ignore"):
        income_ok = waived | (income.values <= income_line)
    amounts = [np.where(np.isnan(c.values), 0.0, c.values) for c in spending]
    thresholds = [
        np.array([policy.spending_threshold(kind, g) for g in GROUPS], dtype=np.float64)[safe_codes]
        for kind in SPENDING_KINDS
    ]
    met = [
        (a >= t) if inclusive else (a > t)
        for a, t, inclusive in zip(amounts, thresholds, texts.inclusive, strict=True)
    ]
    any_met = np.logical_or.reduce(met)
    eligible = ~incomplete & income_ok & any_met
    income_met_variant = np.where(waived, _INC_WAIVED, np.where(income_ok, _INC_OK, _INC_NONE))

    # status and met_text: small lookup tables indexed per row.
    status = np.array([STATUS_INELIGIBLE, STATUS_ELIGIBLE, STATUS_INCOMPLETE], dtype=object)[
        np.where(incomplete, 2, eligible.astype(np.int64))
    ]
    met_code = income_met_variant.astype(np.int64)
    for k, m in enumerate(met):
        met_code |= m.astype(np.int64) << (2 + k)
    met_code[incomplete] = 0
    met_table = np.array(
        [MET_SEPARATOR.join(_met_labels(c & 3, [bool(c >> (2 + k) & 1) for k in range(4)]))
         for c in range(1 << 6)],
        dtype=object,
    )
    met_text = met_table[met_code]

    out = {"status": status, "met_text": met_text}
    if conditions:
        out["income_met"] = income_ok & ~incomplete
        out.update({f"{field}_met": m & ~incomplete for field, m in zip(SPENDING_FIELDS, met, strict=True)})
    if not reasons:
        return pd.DataFrame(out, index=frame.index)

    # reasons: one key per row, then each distinct key's template is filled for its rows.
    ineligible = ~incomplete & ~eligible
    no_spending = ineligible & ~any_met
    income_variant = np.where(eligible, income_met_variant, np.where(ineligible & ~income_ok, _INC_OVER, _INC_NONE))
    key = safe_codes | income_variant << 2
    for k in range(len(SPENDING_KINDS)):
        short = np.where(amounts[k] == thresholds[k], _SP_EQUAL, _SP_SHORT)
        variant = np.where(eligible & met[k], _SP_MET, np.where(no_spending & (amounts[k] != 0), short, _SP_NONE))
        key |= variant << (4 + 2 * k)
    all_zero = no_spending & np.logical_and.reduce([a == 0 for a in amounts])
    key |= np.where(all_zero, _ALL_ZERO_BIT, 0)
    key = np.where(incomplete, _INCOMPLETE_BIT | bad, key)

    slot_sources: dict[str, Callable[[np.ndarray], np.ndarray]] = {
        "raw_group": lambda idx: _raw_strings(frame["group"], idx),
        "raw_income": income.raw,
        "income": lambda idx: income.values[idx],
        "income_over": lambda idx: income.values[idx] - income_line,
    }
    for k, column in enumerate(spending):
        slot_sources[f"raw{k}"] = column.raw
        slot_sources[f"amount{k}"] = partial(_take_at, amounts[k])
        slot_sources[f"short{k}"] = partial(_take_at, thresholds[k] - amounts[k])
    out["reasons"] = _fill_by_key(key, texts, slot_sources, n)
    return pd.DataFrame(out, index=frame.index,
                        columns=[*OUTPUT_COLUMNS, *(c for c in out if c not in OUTPUT_COLUMNS)])


def _take_at(values: np.ndarray, idx: np.ndarray) -> np.ndarray:
    return values[idx]


def _raw_strings(series: pd.Series, idx: np.ndarray) -> np.ndarray:
    """Cells quoted as unreadable (few), as a person sees them: TRUE as 是, 3.0 as 3."""
    objects = series.to_numpy(dtype=object)[idx]
    return np.array([cell_text(v) for v in objects], dtype=StringDType())


def _fill_by_key(key: np.ndarray, texts: _Texts, slot_sources: Mapping[str, Callable[[np.ndarray], np.ndarray]],
                 n: int) -> np.ndarray:
    if n == 0:
        return np.empty(0, dtype=object)
    out = np.empty(n, dtype=object)
    # Keys fit in 16 bits, where numpy's stable sort is a radix sort.
    order = np.argsort(key.astype(np.uint16), kind="stable")
    sorted_keys = key[order]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    ends = np.r_[starts[1:], n]
    # A loop over the distinct keys (a few hundred at most), each filled with array operations.
    for start, end in zip(starts, ends, strict=True):
        idx = order[start:end]
        parts = texts.parts(int(sorted_keys[start]))
        text: Any = ""
        i = 0
        while i < len(parts):
            part = parts[i]
            if not isinstance(part, _Slot):
                text = text + part if isinstance(text, str) else np.strings.add(text, part)
                i += 1
            elif part.startswith("raw"):
                text = np.strings.add(text, slot_sources[part](idx))
                i += 1
            else:
                # Fuse the number with the constant after it (one add fewer per number).
                following = parts[i + 1] if i + 1 < len(parts) else _Slot()
                suffix = "" if isinstance(following, _Slot) else following
                text = append_number_texts(text, slot_sources[part](idx), suffix)
                i += 1 if isinstance(following, _Slot) else 2
        out[idx] = text if isinstance(text, str) else text.tolist()
    return out


# -- Excel formulas ----------------------------------------------------------------

def excel_param_keys(policy: Policy | None = None) -> tuple[str, ...]:
    """The policy_rows keys the formulas refer to through ``param``."""
    keys = ["income.threshold"]
    for kind in SPENDING_KINDS:
        field = KIND_FIELDS[kind]
        if policy is None:
            keys.append(f"spending.{field}.operator")
        keys += [f"spending.{field}.{group}" for group in GROUPS]
    return tuple(keys)


class _Formula:
    """Pieces of the rule as Excel expressions for one row."""

    def __init__(self, cell: Mapping[str, str], param: Callable[[str], str], policy: Policy | None):
        missing = [k for k in INPUT_COLUMNS if k not in cell]
        if missing:
            raise ValueError(f"cell lacks references for {missing}")
        self.cell = cell
        self.param = param
        self.policy = policy
        self.group = f"TRIM({cell['group']})"

    def is_group(self, name: str) -> str:
        return f'{self.group}="{name}"'

    def incomplete(self) -> str:
        unknown = "AND(" + ",".join(f'{self.group}<>"{g}"' for g in GROUPS) + ")"
        income = self.cell["income_per_capita"]
        bad_income = f'AND({self.group}<>"{INCOME_WAIVED_GROUP}",ISNUMBER({income})=FALSE)'
        # Blank (or spaces only) spending is 0; any other non-number is an error.
        bad_spending = [
            f"IF(ISNUMBER({ref}),FALSE,LEN(TRIM({ref}))>0)"
            for ref in (self.cell[f] for f in SPENDING_FIELDS)
        ]
        return "OR(" + ",".join([unknown, bad_income, *bad_spending]) + ")"

    def income_ok(self) -> str:
        return f'N({self.cell["income_per_capita"]})<={self.param("income.threshold")}'

    def threshold(self, field: str) -> str:
        first, second, third = (self.param(f"spending.{field}.{g}") for g in GROUPS)
        return f"IF({self.is_group(GROUPS[0])},{first},IF({self.is_group(GROUPS[1])},{second},{third}))"

    def spending_met(self, kind: str) -> str:
        field = KIND_FIELDS[kind]
        amount = f"N({self.cell[field]})"
        threshold = self.threshold(field)
        if self.policy is None:
            operator = self.param(f"spending.{field}.operator")
            return (f'IF(OR({operator}="达到",{operator}="以上"),'
                    f"{amount}>={threshold},{amount}>{threshold})")
        symbol = ">=" if self.policy.spending[kind].inclusive else ">"
        return f"{amount}{symbol}{threshold}"


def excel_status_formula(cell: Mapping[str, str], param: Callable[[str], str], *,
                         policy: Policy | None = None) -> str:
    """An Excel formula (with the leading "=") giving 符合 / 不符合 / 资料不全 for one row.

    ``cell`` maps group, income_per_capita, medical, education, accident, industry
    to A1 references in the row; ``param(key)`` gives a reference (defined name or
    absolute address) to the value of a ``policy_rows`` key. The comparison symbol
    of each spending rule comes from ``policy`` (达到/以上 → ">=", 超过 → ">");
    without a policy the formula reads the operator word from
    ``param("spending.<field>.operator")`` when it is calculated.
    """
    f = _Formula(cell, param, policy)
    spending = "OR(" + ",".join(f.spending_met(kind) for kind in SPENDING_KINDS) + ")"
    income = f"OR({f.is_group(INCOME_WAIVED_GROUP)},{f.income_ok()})"
    return (f'=IF({f.incomplete()},"{STATUS_INCOMPLETE}",'
            f'IF(AND({income},{spending}),"{STATUS_ELIGIBLE}","{STATUS_INELIGIBLE}"))')


def excel_met_formula(cell: Mapping[str, str], param: Callable[[str], str], *,
                      policy: Policy | None = None) -> str:
    """An Excel formula (with the leading "=") giving met_text for one row ("" when 资料不全)."""
    f = _Formula(cell, param, policy)
    sep = MET_SEPARATOR
    items = [f'IF({f.is_group(INCOME_WAIVED_GROUP)},"{sep}{MET_INCOME_WAIVED}",'
             f'IF({f.income_ok()},"{sep}{MET_INCOME}",""))']
    items += [f'IF({f.spending_met(kind)},"{sep}{kind}","")' for kind in SPENDING_KINDS]
    # Every label carries a leading separator; MID drops the first one (no TEXTJOIN in Excel 2010).
    return f'=IF({f.incomplete()},"",MID({"&".join(items)},2,100))'
