"""A column of cell values as the rules see it: dates, numbers and text, as Excel would.

The workbook formulas and the Python rules must read a cell alike, so these
follow what a formula does with each kind of value: dates and serial numbers
are dates, text in a date column is not a date; numbers are numbers, text and
booleans in a money column are not (``SUMPRODUCT`` skips them). The reader has
already turned "5,000元" and "2020.5.3" into numbers and dates; what is still
text here is what it could not read. Every function is vectorised.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from .text import text_mask, type_mask

_EXCEL_ORIGIN = pd.Timestamp("1899-12-30")


def column_of(frame: pd.DataFrame | None, key: str) -> pd.Series:
    """Column ``key`` of ``frame``; all-None (object) where the frame or the column is absent."""
    if frame is None or key not in frame.columns:
        index = frame.index if frame is not None else pd.RangeIndex(0)
        return pd.Series(None, index=index, dtype=object)
    return frame[key]


def excel_dates(values: pd.Series) -> pd.Series:
    """A date column as Excel sees it: dates and serial numbers are dates; text and blanks NaT."""
    values = _series(values)
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        out = values
        if isinstance(out.dtype, pd.DatetimeTZDtype):
            out = out.dt.tz_localize(None)
        return out.astype("datetime64[ns]")
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        return _serial_dates(pd.to_numeric(values, errors="coerce"))
    # Mixed values: text is not a date; numbers are serials; the rest are date objects.
    objects = values.astype(object).where(~pd.Series(text_mask(values), index=values.index))
    kinds = objects.map(_date_kind, na_action="ignore")
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    numbers = kinds == "number"
    if numbers.any():
        out[numbers] = _serial_dates(pd.to_numeric(objects[numbers], errors="coerce"))
    dates = kinds == "date"
    if dates.any():
        stamps = pd.to_datetime(objects[dates], errors="coerce", utc=False, format="mixed")
        if isinstance(stamps.dtype, pd.DatetimeTZDtype):
            stamps = stamps.dt.tz_localize(None)
        out[dates] = stamps.astype("datetime64[ns]")
    return out


def excel_numbers(values: pd.Series) -> pd.Series:
    """A money column as ``SUMPRODUCT`` sees it: numbers; text, booleans and blanks NaN."""
    values = _series(values)
    if pd.api.types.is_bool_dtype(values.dtype):
        return pd.Series(np.nan, index=values.index)
    if pd.api.types.is_numeric_dtype(values.dtype):
        numbers = values.astype("float64")
    else:
        objects = values.astype(object)
        arr = objects.to_numpy(dtype=object)
        real = type_mask(arr, int, float, np.number, exclude=(bool, np.bool_))
        numbers = pd.to_numeric(objects.where(real), errors="coerce").astype("float64")
    return numbers.where(np.isfinite(numbers))


def as_dates(frame: pd.DataFrame, key: str) -> pd.Series:
    """Column ``key`` as dates at midnight (``excel_dates``), NaT where missing or absent."""
    return excel_dates(column_of(frame, key)).dt.normalize()


def as_numbers(frame: pd.DataFrame, key: str) -> pd.Series:
    """Column ``key`` as float64 (``excel_numbers``), NaN where missing or absent."""
    return excel_numbers(column_of(frame, key)).astype("float64")


def as_text(frame: pd.DataFrame, key: str) -> pd.Series:
    """Column ``key`` as stripped text, "" where missing or absent."""
    if key not in frame.columns:
        return pd.Series("", index=frame.index, dtype=object)
    arr = frame[key].to_numpy(dtype=object)
    missing = pd.isna(arr)
    text = pd.Series(np.where(missing, "", arr), index=frame.index, dtype=object)
    if pd.api.types.infer_dtype(text, skipna=False) != "string":
        text = text.astype(str)
    return text.str.strip()


def day_text(values: pd.Series) -> pd.Series:
    """Dates as ISO text ("2020-05-22"), "" where missing."""
    return values.dt.strftime("%Y-%m-%d").fillna("")


def _date_kind(value) -> str:
    if isinstance(value, bool | np.bool_):
        return "other"
    if isinstance(value, int | float | np.number):
        return "number"
    if isinstance(value, dt.date | np.datetime64):
        return "date"
    return "other"


def _serial_dates(numbers: pd.Series) -> pd.Series:
    numbers = numbers.astype("float64")
    numbers = numbers.where(np.isfinite(numbers) & (numbers >= 0) & (numbers < 2_958_466))
    return (_EXCEL_ORIGIN + pd.to_timedelta(numbers, unit="D")).astype("datetime64[ns]")


def _series(values) -> pd.Series:
    return values if isinstance(values, pd.Series) else pd.Series(values)
