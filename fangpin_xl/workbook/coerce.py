"""Coercion of one raw column, as a reader returns it, to a schema type.

A raw column holds what python-calamine gives for cells: ``str``, ``float``,
``int``, ``bool``, ``datetime``, ``date``, ``time``, ``timedelta`` and ``""``
or ``None`` for empty cells. Township workbooks type numbers and dates as
text ("5,000元", "５０００", "2020.8.25", "2020年8月"), so every type accepts
the text forms people actually use.

The result remembers which cells were *changed* (a value had to be read
differently from how it was typed, e.g. "5,000元" → 5000, so a report can
show the original) and which *failed* (non-empty but not readable as the
type; left missing so the caller reports the original value).

Result dtypes, per type:

========  ==============================================================
MONEY     float64, NaN where empty or failed (failed too from ±``MAX_AMOUNT`` on)
INTEGER   Int64, <NA> where empty or failed (fractions, and from ±``MAX_COUNT`` on)
DATE      datetime64[ns] at midnight, NaT where empty or failed
MONTH     datetime64[ns] on the first day of the month
YESNO     object: "是" / "否" / None
TEXT      object: stripped str or None (numbers as text, without ".0")
CHOICE    as TEXT
PHONE     object: stripped str or None; numbers become their digits
ID        object: strings stripped, anything else kept exactly as read
RAW       as ID (used for columns that are not in the schema)
========  ==============================================================

What counts as *changed*: text read as a number or date ("5,000元", "3人",
"2020.8.25"), a bare number read as a date (an Excel serial or 20200825) or
month (202008), a number read as a phone number (Excel drops nothing there,
but the cell should be text), and any yes/no spelling other than 是/否.
Stripping whitespace, dropping the time of a date and writing a number in a
text column as text are not changes worth reporting.

Everything is vectorised over the column: one C-level pass classifies the
cells by Python type, then each type's subset is converted with numpy and
pandas ``.str`` methods, so plain numeric columns cost almost nothing.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..schema import CHOICE, DATE, ID, INTEGER, MONEY, MONTH, PHONE, TEXT, YESNO

#: Columns outside the schema: strings stripped, everything else kept.
RAW = "raw"

# Cell kinds, one small int per cell.
_NONE, _STR, _INT, _FLOAT, _BOOL, _DATETIME, _DATE, _TIME, _DELTA, _OTHER = range(10)


class _KindTable(dict):
    """type → kind; unknown types (numpy scalars, Timestamps …) are classified once."""

    def __missing__(self, typ):
        if typ is type(pd.NA) or typ is type(pd.NaT):  # NaT is a datetime subclass
            kind = _NONE
        elif issubclass(typ, (bool, np.bool_)):
            kind = _BOOL
        elif issubclass(typ, str):
            kind = _STR
        elif issubclass(typ, (int, np.integer)):
            kind = _INT
        elif issubclass(typ, (float, np.floating)):
            kind = _FLOAT
        elif issubclass(typ, (_dt.datetime, np.datetime64)):
            kind = _DATETIME
        elif issubclass(typ, _dt.date):
            kind = _DATE
        elif issubclass(typ, _dt.time):
            kind = _TIME
        elif issubclass(typ, (_dt.timedelta, np.timedelta64)):
            kind = _DELTA
        else:
            kind = _OTHER
        self[typ] = kind
        return kind


_KINDS = _KindTable({
    type(None): _NONE, str: _STR, float: _FLOAT, int: _INT, bool: _BOOL,
    _dt.datetime: _DATETIME, _dt.date: _DATE, _dt.time: _TIME, _dt.timedelta: _DELTA,
})

# Dates a datetime64[ns] column can hold (with a day of margin).
_MIN_DATE = np.datetime64("1677-09-23", "D")
_MAX_DATE = np.datetime64("2262-04-10", "D")
_NAT = np.datetime64("NaT", "ns")

# Excel serial numbers accepted in date columns: 1900-01-01 .. 2100-12-31.
_EPOCH_1900 = np.datetime64("1899-12-30", "D")
_EPOCH_1904 = np.datetime64("1904-01-01", "D")
_MAX_SERIAL_1900 = 73415
_MAX_SERIAL_1904 = _MAX_SERIAL_1900 - 1462

_NUMBER_RE = (
    r"^(?P<sign>[-+]?)(?:¥|\$|RMB|人民币)?"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d*)?|\d+(?:\.\d*)?|\.\d+)"
    r"(?P<exp>[eE][-+]?\d+)?"
    r"(?P<wan>万)?"
    r"(?:元|块|人|口|户|个|名|位)?$"
)
# A time of day after a date, as exports and ISO timestamps write it.
_TIME_PART = r"(?:[T\s]+\d{1,2}:\d{1,2}(?::\d{1,2}(?:\.\d+)?)?(?:Z|[-+]\d{2}:?\d{2})?)?"
_DATE_RE = (
    r"^(?:(?P<y>\d{4})\s*[-./年]\s*(?P<m>\d{1,2})\s*[-./月]\s*(?P<d>\d{1,2})\s*[日号]?"
    + _TIME_PART
    + r"|(?P<y2>\d{4})(?P<m2>\d{2})(?P<d2>\d{2}))$"
)
_MONTH_RE = (
    r"^(?:(?P<y>\d{4})\s*[-./年]\s*(?P<m>\d{1,2})\s*月?"
    r"|(?P<y2>\d{4})(?P<m2>\d{2}))$"
)

_YES = ("是", "Y", "YES", "√", "✓", "✔", "有", "1", "TRUE", "对")
_NO = ("否", "N", "NO", "×", "✗", "✘", "✕", "无", "0", "FALSE", "错")
_YESNO_MAP = {**{w: "是" for w in _YES}, **{w: "否" for w in _NO}}


@dataclass(frozen=True)
class Coerced:
    """One coerced column; every member has the index of the raw column."""

    values: pd.Series
    #: The cell was read as something other than what was typed (report the original).
    changed: pd.Series
    #: The cell is not empty but could not be read as the type (value left missing).
    failed: pd.Series
    #: The cell is empty or holds only whitespace.
    empty: pd.Series


def classify(values) -> np.ndarray:
    """The kind code of every cell (one C-level pass over the Python objects)."""
    arr = _as_object_array(values)
    return np.fromiter(map(_KINDS.__getitem__, map(type, arr)), dtype=np.int8, count=len(arr))


def coerce_column(raw, kind: str, *, date1904: bool = False) -> Coerced:
    """Coerce one raw column to the schema type ``kind``.

    ``raw`` is a Series (its index is kept) or any sequence of cell values.
    ``date1904`` says whether bare serial numbers count from 1904 (the
    workbook's date system); cells Excel formatted as dates arrive as dates
    already.
    """
    index = raw.index if isinstance(raw, pd.Series) else pd.RangeIndex(len(raw))
    arr = _as_object_array(raw)
    codes = classify(arr)
    col = _Column(arr, codes)
    try:
        handler = _HANDLERS[kind]
    except KeyError:
        raise ValueError(f"unknown column type {kind!r}") from None
    values, changed, failed = handler(col, date1904)
    failed &= ~col.empty
    changed &= ~failed & ~col.empty
    return Coerced(
        values=_to_series(values, index),
        changed=pd.Series(changed, index=index, dtype=bool),
        failed=pd.Series(failed, index=index, dtype=bool),
        empty=pd.Series(col.empty, index=index, dtype=bool),
    )


class _Column:
    """A raw column with its kinds and its stripped strings, computed once."""

    def __init__(self, arr: np.ndarray, codes: np.ndarray):
        self.arr = arr
        self.codes = codes
        self.n = len(arr)
        self.is_str = codes == _STR
        self.is_num = (codes == _INT) | (codes == _FLOAT)
        empty = codes == _NONE
        if self.is_num.any():
            nums = np.full(self.n, np.nan)
            nums[self.is_num] = arr[self.is_num].astype(float)
            # A NaN (pandas' missing value) is an empty cell, not a number.
            nan = self.is_num & np.isnan(nums)
            empty |= nan
            self.is_num &= ~nan
            self.nums = nums
        else:
            self.nums = np.full(self.n, np.nan)
        # Stripped strings where the cell is text, None elsewhere.
        self.text = np.full(self.n, None, dtype=object)
        if self.is_str.any():
            strings = arr[self.is_str]
            stripped = np.empty(len(strings), dtype=object)
            stripped[:] = list(map(str.strip, strings))
            self.text[self.is_str] = stripped
            blank = np.zeros(self.n, dtype=bool)
            blank[self.is_str] = stripped == ""
            empty |= blank
            self.is_str &= ~blank
            self.text[blank] = None
        self.empty = empty

    def parse_text(self, parse) -> np.ndarray:
        """``parse`` applied to the non-empty texts, NFKC-normalised (full-width
        digits and punctuation become ASCII).

        Township columns repeat their values (the same dates, the same
        amounts), so each distinct text is parsed once and the results spread.
        """
        codes, uniques = pd.factorize(self.text[self.is_str])
        texts = pd.Series(uniques, dtype=object).str.normalize("NFKC")
        return np.asarray(parse(texts))[codes]

    def kind(self, code: int) -> np.ndarray:
        return self.codes == code


def _as_object_array(values) -> np.ndarray:
    if isinstance(values, pd.Series):
        values = values.to_numpy(dtype=object)
    if isinstance(values, np.ndarray) and values.dtype == object and values.ndim == 1:
        return values
    arr = np.empty(len(values), dtype=object)
    arr[:] = list(values)
    return arr


def _to_series(values, index) -> pd.Series:
    if isinstance(values, pd.Series):
        values.index = index
        return values
    if isinstance(values, np.ndarray) and values.dtype == object:
        return pd.Series(values, index=index, dtype=object)
    return pd.Series(values, index=index)


def _zeros(n: int) -> np.ndarray:
    return np.zeros(n, dtype=bool)


# --- numbers ----------------------------------------------------------------


def _parse_numbers(texts: pd.Series) -> np.ndarray:
    """Text numbers like "5,000元", "1.2万", "￥5,000.50" → float (NaN if not a number)."""
    compact = texts.str.replace(r"\s+", "", regex=True)
    parts = compact.str.extract(_NUMBER_RE)
    matched = parts["num"].notna().to_numpy()
    out = np.full(len(texts), np.nan)
    if not matched.any():
        return out
    p = parts[matched]
    number = (p["num"].str.replace(",", "", regex=False) + p["exp"].fillna("")).astype(float)
    number = number.to_numpy(dtype=float, copy=True)
    wan = p["wan"].notna().to_numpy()
    # 1.2 × 10000 is 12000.000000000002 in binary floating point. "1e305万" overflows to inf,
    # which the callers refuse like "1e999".
    with np.errstate(over="ignore"):
        number[wan] = np.round(number[wan] * 10000, 6)
    number[(p["sign"] == "-").to_numpy()] *= -1
    out[matched] = number
    return out


def _numbers(col: _Column) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    values = col.nums.copy()
    changed = _zeros(col.n)
    failed = ~col.is_num & ~col.empty
    if col.is_str.any():
        parsed = col.parse_text(_parse_numbers)
        values[col.is_str] = parsed
        ok = ~np.isnan(parsed)
        changed[col.is_str] = ok
        failed[col.is_str] = ~ok
    failed |= np.isinf(values)  # "1e999" is not an amount anyone typed on purpose
    return values, changed, failed


#: No count (家庭人口) reaches this: an ID number typed into the cell, most likely.
MAX_COUNT = 1e9
#: No amount a household, a department record or a case holds comes near 10 billion yuan (a
#: case's relief is capped at 200,000; a county's fund is a few million). A larger number is a
#: slip — an ID or phone number in the wrong column, or a "1e308" — and, left in, it turns the
#: sums into inf (a qualifying household then silently drops out of screening); so it is unread.
MAX_AMOUNT = 1e10
#: The types with a limit on a number's size, and the limit (absolute value, exclusive).
LIMITS = {MONEY: MAX_AMOUNT, INTEGER: MAX_COUNT}


def _money(col: _Column, date1904: bool):
    values, changed, failed = _numbers(col)
    failed |= np.abs(values) >= MAX_AMOUNT  # NaN compares False
    values[failed] = np.nan
    return values, changed, failed


def _integer(col: _Column, date1904: bool):
    values, changed, failed = _numbers(col)
    with np.errstate(invalid="ignore"):
        fraction = ~np.isnan(values) & (values != np.floor(values))
        failed |= fraction | (np.abs(values) >= MAX_COUNT)
    values[failed] = np.nan
    return pd.array(values, dtype="Int64"), changed, failed


def numbers_of(raw) -> np.ndarray:
    """What the number reader makes of each cell (numbers, and text like "1e308" or "5,000元"),
    before any limit: float64, NaN where a cell holds no number, ±inf past a double.

    For the messages about cells MONEY and INTEGER columns could not read: a number too
    large for its column (``LIMITS``) deserves another message than "not a number".
    """
    arr = _as_object_array(raw)
    if not len(arr):
        return np.zeros(0)
    values, _changed, _failed = _numbers(_Column(arr, classify(arr)))
    return values


# --- dates ------------------------------------------------------------------


def _ymd(year, month, day) -> np.ndarray:
    """datetime64[ns] from year/month/day float arrays; NaT where invalid."""
    year = np.asarray(year, dtype=float)
    month = np.asarray(month, dtype=float)
    day = np.asarray(day, dtype=float)
    out = np.full(len(year), _NAT)
    ok = ~np.isnan(year) & ~np.isnan(month) & ~np.isnan(day)
    ok &= (year >= 1678) & (year <= 2261) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= 31)
    if ok.any():
        dates = pd.to_datetime(
            {"year": year[ok], "month": month[ok], "day": day[ok]}, errors="coerce"
        )
        out[ok] = dates.to_numpy(dtype="datetime64[ns]")
    return out


def _from_objects(objs: np.ndarray) -> np.ndarray:
    """datetime / date objects → datetime64[ns] at midnight; NaT if out of range."""
    dates = pd.to_datetime(pd.Series(objs, dtype=object), errors="coerce")
    dates = dates.dt.tz_localize(None) if dates.dt.tz is not None else dates
    days = dates.to_numpy().astype("datetime64[D]")
    out = np.full(len(objs), _NAT)
    inside = ~np.isnat(days)
    inside[inside] &= (days[inside] >= _MIN_DATE) & (days[inside] <= _MAX_DATE)
    out[inside] = days[inside].astype("datetime64[ns]")
    return out


def _from_serials(nums: np.ndarray, date1904: bool) -> np.ndarray:
    """Excel serial day numbers → datetime64[ns]; NaT outside 1900–2100."""
    out = np.full(len(nums), _NAT)
    whole = np.floor(nums)
    if date1904:
        ok = (whole >= 0) & (whole <= _MAX_SERIAL_1904)
        out[ok] = (_EPOCH_1904 + whole[ok].astype("timedelta64[D]")).astype("datetime64[ns]")
    else:
        ok = (whole >= 1) & (whole <= _MAX_SERIAL_1900)
        # Excel counts a 29 February 1900 that never was: serials below 60 are a day later.
        days = whole + (whole < 60)
        out[ok] = (_EPOCH_1900 + days[ok].astype("timedelta64[D]")).astype("datetime64[ns]")
    return out


def _yyyymmdd(nums: np.ndarray) -> np.ndarray:
    """Whole numbers like 20200825 → dates; NaT for anything else."""
    plausible = (nums >= 16780101) & (nums <= 22611231) & (nums == np.floor(nums))
    n = np.where(plausible, nums, np.nan)
    return _ymd(n // 10000, (n // 100) % 100, n % 100)


def _text_dates(texts: pd.Series) -> np.ndarray:
    parts = texts.str.extract(_DATE_RE)
    year = parts["y"].fillna(parts["y2"]).astype(float)
    month = parts["m"].fillna(parts["m2"]).astype(float)
    day = parts["d"].fillna(parts["d2"]).astype(float)
    return _ymd(year, month, day)


def _text_months(texts: pd.Series) -> np.ndarray:
    parts = texts.str.extract(_MONTH_RE)
    year = parts["y"].fillna(parts["y2"]).astype(float)
    month = parts["m"].fillna(parts["m2"]).astype(float)
    dates = _ymd(year, month, np.ones(len(texts)))
    # A full date typed in a month column names its month too.
    rest = np.isnat(dates)
    if rest.any():
        dates[rest] = _text_dates(texts[rest])
    return dates


def _date(col: _Column, date1904: bool):
    values = np.full(col.n, _NAT)
    changed = _zeros(col.n)
    objs = col.kind(_DATETIME) | col.kind(_DATE)
    if objs.any():
        values[objs] = _from_objects(col.arr[objs])
    if col.is_num.any():
        nums = col.nums[col.is_num]
        dates = _yyyymmdd(nums)
        serial = np.isnat(dates)
        dates[serial] = _from_serials(nums[serial], date1904)
        values[col.is_num] = dates
        changed[col.is_num] = True
    if col.is_str.any():
        values[col.is_str] = col.parse_text(_text_dates)
        changed[col.is_str] = True
    failed = np.isnat(values) & ~col.empty
    return values, changed, failed


def _month(col: _Column, date1904: bool):
    values = np.full(col.n, _NAT)
    changed = _zeros(col.n)
    objs = col.kind(_DATETIME) | col.kind(_DATE)
    if objs.any():
        values[objs] = _from_objects(col.arr[objs])
    if col.is_num.any():
        nums = col.nums[col.is_num]
        whole = np.where(nums == np.floor(nums), nums, np.nan)
        yyyymm = np.where((whole >= 167801) & (whole <= 226112), whole, np.nan)
        dates = _ymd(yyyymm // 100, yyyymm % 100, np.ones(len(nums)))
        rest = np.isnat(dates)
        dates[rest] = _yyyymmdd(whole[rest])
        rest = np.isnat(dates) & ~np.isnan(whole)
        dates[rest] = _from_serials(whole[rest], date1904)
        values[col.is_num] = dates
        changed[col.is_num] = True
    if col.is_str.any():
        values[col.is_str] = col.parse_text(_text_months)
        changed[col.is_str] = True
    values = values.astype("datetime64[M]").astype("datetime64[ns]")
    failed = np.isnat(values) & ~col.empty
    return values, changed, failed


# --- yes/no, text, phone, id -----------------------------------------------


def _yesno(col: _Column, date1904: bool):
    values = np.full(col.n, None, dtype=object)
    changed = _zeros(col.n)
    if col.is_str.any():
        mapped = col.parse_text(
            lambda texts: texts.str.upper().map(_YESNO_MAP).to_numpy(dtype=object)
        )
        values[col.is_str] = mapped
        changed[col.is_str] = col.text[col.is_str] != mapped
    flags = col.kind(_BOOL)
    if flags.any():
        values[flags] = np.where(col.arr[flags].astype(bool), "是", "否")
        changed[flags] = True
    ones = col.is_num & ((col.nums == 1) | (col.nums == 0))
    if ones.any():
        values[ones] = np.where(col.nums[ones] == 1, "是", "否")
        changed[ones] = True
    values = _missing_to_none(values)
    failed = _is_none(values) & ~col.empty
    return values, changed, failed


def _number_text(nums: np.ndarray) -> np.ndarray:
    """Numbers as a person reads them: 1001.0 → "1001", 0.5 → "0.5"."""
    out = np.empty(len(nums), dtype=object)
    whole = (nums == np.floor(nums)) & (np.abs(nums) < 2**63)
    out[whole] = nums[whole].astype(np.int64).astype(str).astype(object)
    out[~whole] = [repr(float(v)) for v in nums[~whole]]
    return out


def _other_text(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "TRUE" if value else "FALSE"
    if isinstance(value, _dt.datetime):
        if value.time() == _dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (_dt.date, _dt.time)):
        return value.isoformat()
    return str(value)


def _text(col: _Column, date1904: bool):
    values = col.text.copy()
    if col.is_num.any():
        values[col.is_num] = _number_text(col.nums[col.is_num])
    other = ~col.is_str & ~col.is_num & ~col.empty
    if other.any():
        values[other] = [_other_text(v) for v in col.arr[other]]
    return values, _zeros(col.n), _zeros(col.n)


def _phone(col: _Column, date1904: bool):
    values = col.text.copy()
    changed = _zeros(col.n)
    nums = col.nums
    digits = col.is_num & (nums == np.floor(nums)) & (nums >= 0) & (nums < 2**63)
    if digits.any():
        values[digits] = nums[digits].astype(np.int64).astype(str).astype(object)
        changed[digits] = True
    failed = ~col.is_str & ~digits & ~col.empty
    return values, changed, failed


def _raw(col: _Column, date1904: bool):
    # Numbers in an ID column stay numbers so the ID check can say
    # "stored as a number" (Excel has already lost the last digits).
    values = col.arr.copy()
    values[col.is_str] = col.text[col.is_str]
    values[col.empty] = None
    return values, _zeros(col.n), _zeros(col.n)


def _missing_to_none(values: np.ndarray) -> np.ndarray:
    missing = pd.isna(values)
    if missing.any():
        values[missing] = None
    return values


def _is_none(values: np.ndarray) -> np.ndarray:
    return pd.isna(values)


_HANDLERS = {
    MONEY: _money,
    INTEGER: _integer,
    DATE: _date,
    MONTH: _month,
    YESNO: _yesno,
    TEXT: _text,
    CHOICE: _text,
    PHONE: _phone,
    ID: _raw,
    RAW: _raw,
}


def is_blank(value) -> bool:
    """True for a cell a person would call empty (None, NaN, "", whitespace)."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, float):
        return math.isnan(value)
    return value is pd.NA or value is pd.NaT
