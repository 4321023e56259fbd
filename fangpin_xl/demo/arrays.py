"""Vectorised helpers over numpy arrays: day numbers, text, ID numbers, names and phones.

Days are integers counted from 1970-01-01 (``day_number``) so that whole columns of dates
can be shifted and compared without Python loops; ``MISSING_DAY`` marks a date not reached.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import numpy.typing as npt

from .model import FEMALE_CHARS, MALE_CHARS, PHONE_PREFIXES, SURNAMES

# The element types of the stage dataclasses' arrays.
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
TextArray = npt.NDArray[np.str_]
#: Python objects: text with None where a cell stays empty.
ObjectArray = npt.NDArray[np.object_]

MISSING_DAY = np.iinfo(np.int64).min
_EPOCH = dt.date(1970, 1, 1)


def day_number(d: dt.date) -> int:
    return (d - _EPOCH).days


def as_datetimes(days: np.ndarray, missing: np.ndarray | None = None) -> np.ndarray:
    """Day numbers → datetime64[ns] (NaT where ``missing``)."""
    out = np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype("datetime64[ns]")
    if missing is not None:
        out[missing] = np.datetime64("NaT")
    return out


def yyyymmdd(days: np.ndarray) -> np.ndarray:
    """Day numbers → yyyymmdd integers."""
    d = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    years = d.astype("datetime64[Y]").astype(np.int64) + 1970
    months = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    mday = (d - d.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    return years * 10000 + months * 100 + mday


def zero_padded(values: np.ndarray, width: int) -> np.ndarray:
    """Non-negative integers as zero-padded text of ``width`` digits (wider values are cut)."""
    rest = np.asarray(values, dtype=np.int64).copy()
    digits = np.empty((len(rest), width), dtype=np.uint8)
    for position in range(width - 1, -1, -1):
        rest, digits[:, position] = np.divmod(rest, 10)
    # ASCII bytes viewed as fixed-width byte strings, then decoded in one C-level pass.
    return (digits + ord("0")).view(f"S{width}").ravel().astype(f"U{width}")


def join_text(*parts) -> np.ndarray:
    out = np.asarray(parts[0], dtype=str)
    for part in parts[1:]:
        out = np.strings.add(out, np.asarray(part, dtype=str))
    return out


def as_objects(values: np.ndarray, missing: np.ndarray | None = None) -> np.ndarray:
    """A text array as Python objects, None where ``missing``."""
    out = np.asarray(values).astype(object)
    if missing is not None:
        out[missing] = None
    return out


def id_numbers(area: np.ndarray, birth_ymd: np.ndarray, seq: np.ndarray) -> np.ndarray:
    """18-character ID numbers from integer arrays (GB 11643-1999 check character)."""
    body = (np.asarray(area, dtype=np.int64) * 10**11
            + np.asarray(birth_ymd, dtype=np.int64) * 1000 + np.asarray(seq, dtype=np.int64))
    total = np.zeros(len(body), dtype=np.int64)
    rest = body.copy()
    for weight in reversed((7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)):
        rest, digit = np.divmod(rest, 10)
        total += weight * digit
    check = np.array(list("10X98765432"))[total % 11]
    return np.strings.add(zero_padded(body, 17), check)


def weighted_choice(rng: np.random.Generator, n: int, weights) -> np.ndarray:
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum())


def round_money(values: np.ndarray, integer: np.ndarray) -> np.ndarray:
    return np.where(integer, np.round(values), np.round(values, 2))


def phone_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    prefix = np.array(PHONE_PREFIXES)[rng.integers(0, len(PHONE_PREFIXES), n)]
    return np.strings.add(prefix, zero_padded(rng.integers(0, 10**8, n), 8))


def person_names(rng: np.random.Generator, surnames: np.ndarray, male: np.ndarray) -> np.ndarray:
    n = len(surnames)
    pools = (np.array(FEMALE_CHARS), np.array(MALE_CHARS))
    first = np.where(male, pools[1][rng.integers(0, len(MALE_CHARS), n)],
                     pools[0][rng.integers(0, len(FEMALE_CHARS), n)])
    second = np.where(male, pools[1][rng.integers(0, len(MALE_CHARS), n)],
                      pools[0][rng.integers(0, len(FEMALE_CHARS), n)])
    second = np.where(rng.random(n) < 0.8, second, "")
    return join_text(np.array(SURNAMES)[surnames], first, second)


def run_starts(keys: np.ndarray) -> np.ndarray:
    """For sorted ``keys``: the position where each element's run of equal keys starts."""
    n = len(keys)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.r_[True, keys[1:] != keys[:-1]]
    return np.maximum.accumulate(np.where(starts, np.arange(n), 0))
