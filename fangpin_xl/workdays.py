"""Chinese working days and procedure deadlines.

Where a day's status comes from, in order:

1. the county's own sheet in the policy file (``Policy.extra_holidays`` are
   rest days, ``Policy.extra_workdays`` are make-up working days; a date in
   both is a rest day);
2. the ``chinesecalendar`` package (State Council schedule with 调休), for the
   years it covers (2004–2026 at the time of writing; probed at run time, so a
   newer package extends the range by itself);
3. otherwise Monday to Friday, and ``calendar_warnings`` says so until the
   county declares its sheet for that year complete.

Counting a period follows the Civil Code: the starting day is not counted
(art. 201), and in calendar-day mode a period whose last day is a rest day
ends on the next working day (art. 203).

Two implementations on purpose: the scalar functions walk day by day and are
the reference definition; the vectorised ones use the cumulative working-day
table of ``workday_table`` — the same table the templates write to their 日历
sheet, so spreadsheet formulas compute deadlines with the same mechanism:

* working days: deadline = the first date whose ``index`` equals
  ``index(start) + n`` (n >= 1; n = 0 is ``start`` itself);
* working days between: ``index(end) - index(start)``;
* calendar days with art. 203: let ``d = start + n``; the deadline is ``d`` if
  ``d`` is a working day, else the first date whose ``index`` equals
  ``index(d) + 1``.

Tests check that both implementations agree.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from functools import cache, lru_cache
from numbers import Integral, Real

import chinese_calendar
import numpy as np
import pandas as pd

from .errors import InputError
from .policy import Policy
from .text import cell_text

CALENDAR_MODE = "自然日"
WORKDAY_MODE = "工作日"

#: A year holds far more working days than this; used only to size the table.
_MIN_WORKDAYS_PER_YEAR = 200
_ONE_DAY = dt.timedelta(days=1)
_EPOCH = np.datetime64("1970-01-01", "D")
_LIBRARY_HOLIDAYS = frozenset(chinese_calendar.holidays)
_LIBRARY_WORKDAYS = frozenset(chinese_calendar.workdays)


# -- single days ---------------------------------------------------------------

@cache
def library_covers(year: int) -> bool:
    """Whether ``chinesecalendar`` has the holiday schedule of ``year``."""
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def is_workday(d: dt.date, *, policy: Policy) -> bool:
    """Whether ``d`` is a working day for the county of ``policy``."""
    holidays, workdays = _overrides(policy)
    return _is_workday(_as_date(d), holidays, workdays)


def _is_workday(d: dt.date, holidays: frozenset, workdays: frozenset) -> bool:
    if d in holidays:
        return False
    if d in workdays:
        return True
    if library_covers(d.year):
        # chinese_calendar.is_workday's own rule, minus its per-call range
        # check (min/max over the whole schedule), which made it ~20x slower.
        return d in _LIBRARY_WORKDAYS or (d.weekday() < 5 and d not in _LIBRARY_HOLIDAYS)
    return d.weekday() < 5


def _overrides(policy: Policy) -> tuple[frozenset, frozenset]:
    return frozenset(policy.extra_holidays), frozenset(policy.extra_workdays)


def calendar_warnings(start, end, *, policy: Policy) -> list[str]:
    """Chinese warnings for the years in [start, end] whose working days are guesses.

    A year gets a warning when the calendar library does not cover it and the
    county has not declared its own holiday sheet for it complete
    (``Policy.complete_calendar_years``, TOML ``calendar.complete_years``): one
    holiday entered for a year does not make the rest of its days known. The
    text says whether the policy file lists some dates of that year.
    Missing or unusable dates give no warning; this never raises.
    """
    try:
        first, last = sorted((_as_date(start).year, _as_date(end).year))
        county_days: dict[int, int] = {}
        for d in (*policy.extra_holidays, *policy.extra_workdays):
            county_days[d.year] = county_days.get(d.year, 0) + 1
        complete = set(policy.complete_calendar_years)
    except (TypeError, ValueError, AttributeError, OverflowError):
        return []
    out = []
    for year in range(first, last + 1):
        if year in complete or library_covers(year):
            continue
        if year in county_days:
            out.append(
                f"{year} 年不在节假日库范围内，参数文件补充了本县该年 {county_days[year]} 个放假日或调休上班日，"
                "但未声明该年已填全，其余日期按周一至周五计算工作日；请补全该年的放假和调休安排后，"
                f"在参数文件 [calendar] 的 complete_years 中写上 {year}。"
            )
        else:
            out.append(
                f"{year} 年不在节假日库范围内，且参数文件未补充本县节假日表，已按周一至周五计算工作日；"
                "请在参数文件 [calendar] 中补充 holidays / workdays，填全后在 complete_years 中写上 "
                f"{year}。"
            )
    return out


# -- scalar periods (reference definition) -----------------------------------

def add_workdays(start: dt.date, n: int, *, policy: Policy) -> dt.date:
    """The day a period of ``n`` days starting on ``start`` ends.

    The starting day is not counted (Civil Code art. 201). In working-day mode
    this is the day the n-th working day after ``start`` falls on. In
    calendar-day mode (``policy.deadline_mode == "自然日"``) it is
    ``start + n`` days, moved to the next working day when that day is a rest
    day (a holiday or a weekend without 调休; Civil Code art. 203).
    ``n == 0`` returns ``start`` in both modes.
    """
    start = _as_date(start)
    n = day_count(n)
    holidays, workdays = _overrides(policy)
    if n == 0:
        return start
    if policy.deadline_mode == CALENDAR_MODE:
        day = start + dt.timedelta(days=n)
        while not _is_workday(day, holidays, workdays):
            day += _ONE_DAY
        return day
    day, counted = start, 0
    while counted < n:
        day += _ONE_DAY
        counted += _is_workday(day, holidays, workdays)
    return day


def workdays_between(start: dt.date, end: dt.date, *, policy: Policy) -> int:
    """Working days d with start < d <= end; negative when end < start.

    In calendar-day mode this is the number of calendar days ``end - start``.
    """
    start, end = _as_date(start), _as_date(end)
    if policy.deadline_mode == CALENDAR_MODE:
        return (end - start).days
    if end < start:
        return -workdays_between(end, start, policy=policy)
    holidays, workdays = _overrides(policy)
    return sum(
        _is_workday(start + dt.timedelta(days=k), holidays, workdays)
        for k in range(1, (end - start).days + 1)
    )


def deadline(start: dt.date, *, policy: Policy, days: int | None = None) -> dt.date:
    """The procedure deadline: ``policy.deadline_days`` (or ``days``) in ``policy.deadline_mode``."""
    return add_workdays(start, policy.deadline_days if days is None else days, policy=policy)


def add_months(d: dt.date, n: int) -> dt.date:
    """``d`` plus ``n`` months like Excel EDATE: the day is clipped to the month's end."""
    d = _as_date(d)
    months = d.year * 12 + d.month - 1 + int(n)
    year, month = divmod(months, 12)
    month += 1
    next_month = dt.date(year + month // 12, month % 12 + 1, 1)
    return dt.date(year, month, min(d.day, (next_month - _ONE_DAY).day))


def next_visit_due(last_visit: dt.date, *, policy: Policy) -> dt.date:
    """The date the next follow-up visit is due: the last day of the calendar period of
    ``policy.visit_interval_months`` months after the last visit's (quarters: a visit on
    01-05 covers Q1, the next is due by 06-30); ``followup.next_visit_due`` over columns."""
    d = _as_date(last_visit)
    months = int(policy.visit_interval_months)
    after_next = ((d.year * 12 + d.month - 1) // months + 2) * months
    year, month = divmod(after_next, 12)
    return dt.date(year, month + 1, 1) - _ONE_DAY


# -- the working-day table ------------------------------------------------------

@dataclass(frozen=True)
class _Table:
    """Every day of whole years: working-day flags and their running count."""

    first: int  # days since 1970-01-01 of the first row
    flags: np.ndarray  # bool, read-only
    cum: np.ndarray  # int64, working days up to and including the row, read-only

    @property
    def last(self) -> int:
        return self.first + len(self.flags) - 1


@lru_cache(maxsize=32)
def _table(first_year: int, last_year: int, holidays: frozenset, workdays: frozenset) -> _Table:
    first = dt.date(first_year, 1, 1)
    size = (dt.date(last_year, 12, 31) - first).days + 1
    # One Python call per calendar day (not per data row), cached per span:
    # keeps ``_is_workday`` the only definition of a working day.
    flags = np.fromiter(
        (_is_workday(first + dt.timedelta(days=k), holidays, workdays) for k in range(size)),
        dtype=bool,
        count=size,
    )
    cum = np.cumsum(flags, dtype=np.int64)
    flags.flags.writeable = False
    cum.flags.writeable = False
    return _Table(_day_number(first), flags, cum)


def _table_for(first_year: int, last_year: int, policy: Policy) -> _Table:
    return _table(first_year, last_year, *_overrides(policy))


def workday_table(first: dt.date, last: dt.date, *, policy: Policy) -> pd.DataFrame:
    """One row per date from ``first`` to ``last`` inclusive, for the 日历 sheet.

    Columns: ``date`` (datetime64), ``workday`` (bool) and ``index``, the number
    of working days from ``first`` up to and including that date. Only
    differences of ``index`` carry meaning (see the module docstring).
    """
    first, last = sorted((_as_date(first), _as_date(last)))
    table = _table_for(first.year, last.year, policy)
    lo = _day_number(first) - table.first
    hi = _day_number(last) - table.first + 1
    flags = table.flags[lo:hi]
    before = table.cum[lo] - table.flags[lo]
    dates = np.arange(_day_number(first), _day_number(last) + 1, dtype=np.int64)
    return pd.DataFrame(
        {
            "date": (_EPOCH + dates).astype("datetime64[ns]"),
            "workday": flags.copy(),
            "index": (table.cum[lo:hi] - before).astype(np.int64),
        }
    )


# -- vectorised periods ------------------------------------------------------------

def add_workdays_series(starts: pd.Series, n, *, policy: Policy) -> pd.Series:
    """``add_workdays`` for a column of dates; ``n`` is one count or a column of counts.

    Missing dates (NaT) or counts (NA) give NaT. Times of day are dropped.
    """
    start_dt = _datetimes(starts)
    days, missing = _days(start_dt)
    counts, missing_n = _counts(n, starts)
    missing = missing | missing_n
    out = np.zeros(len(days), dtype=np.int64)
    valid = ~missing
    if valid.any():
        s, k = days[valid], counts[valid]
        out[valid] = _add_days(s, k, policy)
    result = (_EPOCH + out).astype("datetime64[D]")
    result[missing] = np.datetime64("NaT")
    return pd.Series(result, index=starts.index, name=starts.name).astype(start_dt.dtype)


def _add_days(starts: np.ndarray, counts: np.ndarray, policy: Policy) -> np.ndarray:
    calendar_mode = policy.deadline_mode == CALENDAR_MODE
    first_year = _year(starts.min())
    # Size the table generously, then grow it in the rare case that is short
    # (a county sheet with unusually many rest days).
    if calendar_mode:
        last_year = _year((starts + counts).max()) + 1
    else:
        last_year = _year(starts.max()) + int(counts.max()) // _MIN_WORKDAYS_PER_YEAR + 1
    while True:
        table = _table_for(first_year, last_year, policy)
        if calendar_mode:
            ends = starts + counts
            pos = ends - table.first
            # The first working day on or after ``ends`` (art. 203).
            target = table.cum[pos] - table.flags[pos] + 1
        else:
            target = table.cum[starts - table.first] + counts
        if target.max() <= table.cum[-1]:
            break
        last_year += 1 + int(target.max() - table.cum[-1]) // _MIN_WORKDAYS_PER_YEAR
    found = table.first + np.searchsorted(table.cum, target, side="left")
    return np.where(counts == 0, starts, found)


def workdays_between_series(starts: pd.Series, ends: pd.Series, *, policy: Policy) -> pd.Series:
    """``workdays_between`` row by row; NA where either date is missing (``Int64``)."""
    start_days, missing_start = _days(_datetimes(starts))
    end_days, missing_end = _days(_datetimes(_aligned(ends, starts)))
    missing = missing_start | missing_end
    out = np.zeros(len(start_days), dtype=np.int64)
    valid = ~missing
    if valid.any():
        s, e = start_days[valid], end_days[valid]
        if policy.deadline_mode == CALENDAR_MODE:
            out[valid] = e - s
        else:
            both = np.concatenate([s, e])
            table = _table_for(_year(both.min()), _year(both.max()), policy)
            out[valid] = table.cum[e - table.first] - table.cum[s - table.first]
    return pd.Series(pd.arrays.IntegerArray(out, missing), index=starts.index, name=starts.name)


# -- conversions ---------------------------------------------------------------------

def _as_date(value) -> dt.date:
    if value is None or value is pd.NaT:
        raise TypeError("expected a date, got a missing value")
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            raise TypeError("expected a date, got NaT")
        value = pd.Timestamp(value)
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raise TypeError(f"expected a date, got {type(value).__name__}")


#: The longest period counted (ten years): procedure deadlines are weeks, and a larger
#: count is a typing mistake that would only make the calendar tables huge.
MAX_DAY_COUNT = 3650


def day_count(n) -> int:
    """A period length given by a user: a whole number of days, not negative, at most
    ``MAX_DAY_COUNT``."""
    count = None
    if isinstance(n, Integral) and not isinstance(n, bool) and int(n) >= 0:
        count = int(n)
    elif isinstance(n, Real) and not isinstance(n, bool) and math.isfinite(float(n)) and float(n) >= 0:
        if float(n).is_integer():
            count = int(float(n))
    if count is None:
        # A number as Excel shows it; anything else quoted as its cell shows it (not '三', True).
        shown = cell_text(n) if isinstance(n, Real) and not isinstance(n, bool) else f"“{cell_text(n)}”"
        raise InputError(f"天数应为不小于 0 的整数，现为 {shown}。")
    if count > MAX_DAY_COUNT:
        raise InputError(f"天数过大：最多 {MAX_DAY_COUNT} 天，现为 {count}。")
    return count


def _day_number(d: dt.date) -> int:
    return (d - dt.date(1970, 1, 1)).days


def _year(day_number) -> int:
    return (dt.date(1970, 1, 1) + dt.timedelta(days=int(day_number))).year


def _datetimes(values: pd.Series) -> pd.Series:
    """A datetime64 column; text or date objects are parsed, unusable values become NaT."""
    if not pd.api.types.is_datetime64_any_dtype(values.dtype):
        if pd.api.types.is_numeric_dtype(values.dtype) and not values.isna().all():
            raise TypeError(f"expected dates, got a column of {values.dtype}")
        values = pd.to_datetime(values, errors="coerce", format="mixed")
        if not pd.api.types.is_datetime64_any_dtype(values.dtype):  # all missing
            values = values.astype("datetime64[ns]")
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_localize(None)
    return values


def _days(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Days since 1970-01-01 (int64) and the missing mask."""
    arr = values.to_numpy().astype("datetime64[D]")
    missing = np.isnat(arr)
    days = arr.astype(np.int64)
    days[missing] = 0
    return days, missing


def _counts(n, like: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(n, pd.Series):
        return np.full(len(like), day_count(n), dtype=np.int64), np.zeros(len(like), dtype=bool)
    numbers = pd.to_numeric(_aligned(n, like), errors="raise")
    values = np.array(numbers.to_numpy(dtype="float64", na_value=np.nan), dtype="float64", copy=True)
    missing = np.isnan(values)
    given = values[~missing]
    bad = (given < 0) | (given != np.floor(given)) | ~np.isfinite(given)
    if bad.any():
        raise InputError(f"天数应为不小于 0 的整数，现为 {given[bad][0]:g}。")
    if given.size and given.max() > MAX_DAY_COUNT:
        raise InputError(f"天数过大：最多 {MAX_DAY_COUNT} 天，现为 {int(given.max())}。")
    values[missing] = 0
    return values.astype(np.int64), missing


def _aligned(values: pd.Series, like: pd.Series) -> pd.Series:
    if not isinstance(values, pd.Series):
        raise TypeError(f"expected a pandas Series, got {type(values).__name__}")
    return values if values.index.equals(like.index) else values.reindex(like.index)
