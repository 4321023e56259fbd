"""Chinese resident ID numbers (居民身份证号码, GB 11643-1999).

An 18-character number is a 6-digit area code, an 8-digit birth date
(YYYYMMDD), a 3-digit sequence (odd = male) and a check character. Old
15-digit numbers have a 2-digit year and no check character; they are
upgraded by inserting "19" before the year and computing the check character.

Every function here is pure. ``validate_id`` is the scalar reference;
``validate_ids`` does the same over a pandas Series with numpy and pandas
string methods and must agree with it row by row (a hypothesis test holds
them to that).

Order of the checks (the first failing one is the row's error):
empty → number in a numeric cell → illegal characters → length → position
of X → a 15-digit number that is the first 15 digits of an 18-digit one →
province code → birth date → check character. A valid number whose area code
is not a Handan district's (or one of ``normal_areas``, the codes a county
regards as normal) carries a warning; so does a made-up 1304xx code.

A 15-digit number is upgraded (``IdCheck.upgraded``), but one whose digits
7–14 read as a 19xx/20xx birth date (130434200503121: an 18-digit number
of someone born 2005 cut after 15 digits) is an error, not a person born 1920.

A number typed into a numeric Excel cell keeps only 15 significant digits;
such values (anything that is not text, or text like ``1.30434E+17``) are
reported and never repaired.
"""

from __future__ import annotations

import math
import numbers
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

#: Handan area codes, including the historical ones that still appear inside
#: people's numbers. Every code starting with ``1304`` counts as Handan;
#: codes not listed here are named "邯郸市".
HANDAN_AREAS: dict[str, str] = {
    "130400": "邯郸市",
    "130402": "邯山区",
    "130403": "丛台区",
    "130404": "复兴区",
    "130406": "峰峰矿区",
    "130407": "肥乡区",
    "130408": "永年区",
    "130421": "邯郸县",
    "130423": "临漳县",
    "130424": "成安县",
    "130425": "大名县",
    "130426": "涉县",
    "130427": "磁县",
    "130428": "肥乡县",
    "130429": "永年县",
    "130430": "邱县",
    "130431": "鸡泽县",
    "130432": "广平县",
    "130433": "馆陶县",
    "130434": "魏县",
    "130435": "曲周县",
    "130481": "武安市",
}
HANDAN_PREFIX = "1304"
HANDAN_NAME = "邯郸市"

#: The first two digits of a valid area code.
PROVINCE_CODES: frozenset[str] = frozenset(
    f"{code:02d}"
    for code in (
        *range(11, 16), *range(21, 24), *range(31, 38), *range(41, 47),
        *range(50, 55), *range(61, 66), 71, 81, 82,
    )
)

WEIGHTS: tuple[int, ...] = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
MIN_BIRTH_YEAR = 1900

# ---------------------------------------------------------------- messages

MSG_EMPTY = "身份证号为空"
MSG_NUMERIC_LOST = (
    "身份证号被 Excel 存成了数字（如 1.30434E+17），末尾数字已丢失，请将该列设为文本后重新录入"
)
# A number of at most 15 digits survives a numeric cell intact; saying its
# digits were lost would be false, but the cell is still wrong.
MSG_NUMERIC = "身份证号被 Excel 存成了数字，请将该列设为文本后重新录入"
MSG_X_POSITION = "字母 X 只能出现在 18 位号码的最后一位（校验码）"
#: A valid old 15-digit number (``IdCheck.upgraded``): usable, but no longer issued.
MSG_UPGRADED = "15 位旧号码（2013 年起已停止使用），请换用 18 位号码"


def _msg_length(length: int) -> str:
    return f"身份证号应为 18 位（旧号码为 15 位），实际为 {length} 位"


def _msg_province(area: str) -> str:
    return f"地区码 {area} 无效：前两位 {area[:2]} 不是省份代码"


def _msg_date_invalid(ymd: str) -> str:
    return f"出生日期 {ymd} 不是有效日期"


def _msg_date_early(ymd: str) -> str:
    return f"出生日期 {ymd} 早于 {MIN_BIRTH_YEAR} 年"


def _msg_date_future(ymd: str, today: date) -> str:
    return f"出生日期 {ymd} 晚于当前日期 {today.isoformat()}"


def _msg_check(expected: str, actual: str) -> str:
    return f"校验码应为 {expected}，实际为 {actual}"


def _msg_outside(area: str) -> str:
    return f"地区码 {area} 不在邯郸市范围内（可能外地迁入）"


def _msg_unknown_handan(area: str) -> str:
    return f"地区码 {area} 不是邯郸市的区县代码（可能填错）"


_TRUNCATED_HEAD = "身份证号应为 18 位，这里只有 15 位，且第 7–14 位 "
_TRUNCATED_TAIL = " 是 18 位号码的出生日期写法：可能少了后 3 位"


def _msg_truncated(ymd: str) -> str:
    return f"{_TRUNCATED_HEAD}{ymd}{_TRUNCATED_TAIL}"


def _truncated(text15: str, today: date) -> bool:
    """Digits 7–14 of a 15-digit number read as a birth date 1900…today (an 18-digit number cut short)."""
    if text15[6:8] not in ("19", "20"):
        return False
    try:
        born = date(int(text15[6:10]), int(text15[10:12]), int(text15[12:14]))
    except ValueError:
        return False
    return born <= today


def _area_warning(area: str, normal_areas: tuple[str, ...]) -> str | None:
    if area in HANDAN_AREAS or any(area.startswith(code) for code in normal_areas if code):
        return None
    return _msg_unknown_handan(area) if area.startswith(HANDAN_PREFIX) else _msg_outside(area)


def _show_char(ch: str) -> str:
    # Invisible characters would show as an empty 「」; name them by code point.
    if unicodedata.category(ch)[0] in "CZ":
        return f"「U+{ord(ch):04X}」"
    return f"「{ch}」"


def _msg_illegal(residue: str) -> str:
    chars = "".join(dict.fromkeys(residue))
    shown = "".join(_show_char(c) for c in chars)
    return f"身份证号含非法字符：{shown}（只能是数字，最后一位可以是 X）"


# ---------------------------------------------------------------- normalising

def _build_clean_table() -> dict[int, int | None]:
    table: dict[int, int | None] = {}
    # Every Unicode whitespace character lies at or below U+3000 (ideographic space).
    for cp in range(0x3001):
        if chr(cp).isspace():
            table[cp] = None
    for cp in (0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF):  # zero-width, BOM
        table[cp] = None
    for i in range(10):
        table[0xFF10 + i] = ord("0") + i
    for i in range(26):
        table[0xFF21 + i] = ord("A") + i
        table[0xFF41 + i] = ord("a") + i
    table[ord("x")] = ord("X")
    table[0xFF58] = ord("X")  # full-width small x
    return table


_CLEAN_TABLE = _build_clean_table()
# Deleting the legal characters leaves exactly the illegal ones.
_LEGAL_DELETE = {ord(c): None for c in "0123456789X"}
_SCI_RE = re.compile(r"[0-9]+(?:\.[0-9]*)?[Ee][+-]?[0-9]+")
_DECIMAL_RE = re.compile(r"([0-9]+)\.0*")


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return False
    try:
        return pd.api.types.is_scalar(value) and bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Number | Decimal) and not isinstance(value, bool | np.bool_)


def _integral(value: Any) -> int | None:
    """The integer a numeric cell holds, or None when it is not a whole number."""
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, complex):
        return None
    try:
        as_float = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if not math.isfinite(as_float):
        return None
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else None
    return int(as_float) if as_float.is_integer() else None


def _numeric_message(value: Any) -> str:
    whole = _integral(value)
    if whole is not None and abs(whole) < 10**15:
        return MSG_NUMERIC
    return MSG_NUMERIC_LOST


def normalize_id(value: Any) -> str:
    """Clean an ID as typed: no spaces of any kind, ASCII digits, upper-case X.

    Missing values (None, NaN, NA) give "". A number (a numeric Excel cell)
    gives its digits (``1.30434e17`` → "130434000000000000") so it can be
    shown masked, but ``validate_id`` always reports it as an error: the
    digits Excel dropped cannot be recovered. Letters other than x are kept
    as they are so an error message can name them.
    """
    if _is_missing(value):
        return ""
    if isinstance(value, str):
        text = value
    elif _is_number(value):
        whole = _integral(value)
        text = str(whole) if whole is not None else str(value)
    else:
        text = str(value)
    return text.translate(_CLEAN_TABLE)


# ---------------------------------------------------------------- check character

def check_char(first17: str) -> str:
    """The check character for the first 17 digits of an 18-character number."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError(f"check_char needs 17 ASCII digits, got {first17!r}")
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def _upgrade15(text15: str) -> str:
    body = text15[:6] + "19" + text15[6:]
    return body + check_char(body)


# ---------------------------------------------------------------- scalar validation

@dataclass(frozen=True)
class IdCheck:
    """The result of checking one ID value.

    ``normalized`` is the cleaned text; for a 15-digit number it is the
    upgraded 18-character form (``upgraded`` is then True). ``error`` is a
    Chinese message, None when ``valid``. ``warning`` is only set on valid
    numbers (area outside Handan).
    """

    raw: Any
    normalized: str
    valid: bool
    error: str | None
    warning: str | None
    upgraded: bool


def _as_date(value: date | datetime | None) -> date:
    if value is None:
        return date.today()
    if isinstance(value, datetime):  # also pandas.Timestamp
        return value.date()
    if isinstance(value, date):
        return value
    raise TypeError(f"expected a date, got {type(value).__name__}")


def _text_error(text: str) -> str:
    """The error of a cleaned text that contains characters other than 0-9 and X."""
    if _SCI_RE.fullmatch(text):
        return MSG_NUMERIC_LOST
    decimal = _DECIMAL_RE.fullmatch(text)
    if decimal:
        return MSG_NUMERIC if len(decimal.group(1).lstrip("0")) <= 15 else MSG_NUMERIC_LOST
    return _msg_illegal(text.translate(_LEGAL_DELETE))


def _birth_error(ymd: str, today: date) -> str | None:
    try:
        born = date(int(ymd[:4]), int(ymd[4:6]), int(ymd[6:8]))
    except ValueError:
        return _msg_date_invalid(ymd)
    if born.year < MIN_BIRTH_YEAR:
        return _msg_date_early(ymd)
    if born > today:
        return _msg_date_future(ymd, today)
    return None


def _shape_error(text: str) -> str | None:
    """Errors visible from the characters alone (empty, number, charset, length, X)."""
    if not text:
        return MSG_EMPTY
    if text.translate(_LEGAL_DELETE):
        return _text_error(text)
    if len(text) not in (15, 18):
        return _msg_length(len(text))
    if "X" in (text[:17] if len(text) == 18 else text):
        return MSG_X_POSITION
    return None


def validate_id(value: Any, today: date | None = None, normal_areas: tuple[str, ...] = ()) -> IdCheck:
    """Check one ID value; ``today`` (default: the current date) bounds the birth date;
    ``normal_areas`` are area codes (or their first digits) that get no warning."""
    when = _as_date(today)
    if _is_missing(value):
        return IdCheck(value, "", False, MSG_EMPTY, None, False)
    text = normalize_id(value)
    if _is_number(value):
        return IdCheck(value, text, False, _numeric_message(value), None, False)
    shape_error = _shape_error(text)
    if shape_error:
        return IdCheck(value, text, False, shape_error, None, False)
    upgraded = len(text) == 15
    full = _upgrade15(text) if upgraded else text

    def fail(message: str) -> IdCheck:
        return IdCheck(value, full, False, message, None, upgraded)

    if upgraded and _truncated(text, when):
        return IdCheck(value, text, False, _msg_truncated(text[6:14]), None, False)
    if full[:2] not in PROVINCE_CODES:
        return fail(_msg_province(full[:6]))
    birth_error = _birth_error(full[6:14], when)
    if birth_error:
        return fail(birth_error)
    expected = check_char(full[:17])
    if full[17] != expected:
        return fail(_msg_check(expected, full[17]))
    return IdCheck(value, full, True, None, _area_warning(full[:6], tuple(normal_areas)), upgraded)


# ---------------------------------------------------------------- masking and fields

def _check_mask_args(head: int, tail: int) -> None:
    if head < 0 or tail < 0 or head + tail >= 18:
        raise ValueError(f"mask needs head >= 0, tail >= 0, head + tail < 18; got {head}, {tail}")


def mask_id(value: Any, head: int = 6, tail: int = 4, today: date | None = None) -> str:
    """Mask an ID for display: "130434********123X".

    A valid number (a 15-digit one in its upgraded 18-character form) keeps
    its first ``head`` and last ``tail`` characters. An invalid value keeps
    only its first 3 characters and stars the rest, so a mistyped or
    truncated number is not leaked whole. Empty stays empty.
    """
    _check_mask_args(head, tail)
    checked = validate_id(value, today)
    return _mask_text(checked.normalized, checked.valid, head, tail)


def _mask_text(text: str, valid: bool, head: int, tail: int) -> str:
    if valid:
        return text[:head] + "*" * (18 - head - tail) + text[18 - tail:]
    return text[:3] + "*" * max(len(text) - 3, 0)


def _valid_normalized(value: Any) -> str | None:
    checked = validate_id(value)
    return checked.normalized if checked.valid else None


def id_gender(value: Any) -> str | None:
    """"男" or "女" from the 17th character (odd = male); None for an invalid number."""
    text = _valid_normalized(value)
    if text is None:
        return None
    return "男" if int(text[16]) % 2 else "女"


def id_birth_date(value: Any) -> date | None:
    """The birth date of a valid number, else None."""
    text = _valid_normalized(value)
    if text is None:
        return None
    return date(int(text[6:10]), int(text[10:12]), int(text[12:14]))


def id_age(value: Any, at: date) -> int | None:
    """Age in completed years (周岁) on ``at``; None if invalid or born after ``at``.

    Someone born on 29 February completes a year on 1 March in common years.
    """
    born = id_birth_date(value)
    when = _as_date(at)
    if born is None or born > when:
        return None
    return when.year - born.year - ((when.month, when.day) < (born.month, born.day))


def id_area(value: Any) -> str | None:
    """The Handan area name of a valid number, else None (also for a 1304xx code that is no
    Handan district's: a made-up code names no place)."""
    text = _valid_normalized(value)
    if text is None:
        return None
    return HANDAN_AREAS.get(text[:6])


def make_id(area: str, birth: date, seq: int) -> str:
    """A valid 18-character number for ``area`` (6 digits), ``birth`` and ``seq`` (0-999)."""
    if len(area) != 6 or not area.isascii() or not area.isdigit():
        raise ValueError(f"area must be 6 digits, got {area!r}")
    if not 0 <= seq <= 999:
        raise ValueError(f"seq must be 0-999, got {seq}")
    if not 1000 <= birth.year <= 9999:
        raise ValueError(f"birth year must have 4 digits, got {birth.year}")
    body = f"{area}{birth:%Y%m%d}{seq:03d}"
    return body + check_char(body)


# ---------------------------------------------------------------- vectorised

_WEIGHTS_ARR = np.array(WEIGHTS, dtype=np.int64)
_CHECK_CODES = np.array([ord(c) for c in CHECK_CHARS], dtype=np.uint32)
_PROVINCE_OK = np.zeros(100, dtype=bool)
_PROVINCE_OK[[int(p) for p in PROVINCE_CODES]] = True
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
_HANDAN_CODES = np.array([ord(c) for c in HANDAN_PREFIX], dtype=np.uint32)
_YEAR_PLACES = np.array([1000, 100, 10, 1], dtype=np.int64)
_ZERO, _NINE, _X, _STAR = ord("0"), ord("9"), ord("X"), ord("*")
_COLUMNS = ("normalized", "valid", "error", "warning", "upgraded")


def _str_positions(s: pd.Series, missing: np.ndarray) -> np.ndarray:
    """Which rows hold text; the common all-text column needs no per-row work."""
    if isinstance(s.dtype, pd.StringDtype):
        return ~missing
    if s.dtype != object:
        return np.zeros(len(s), dtype=bool)
    inferred = pd.api.types.infer_dtype(s, skipna=True)
    if inferred in ("string", "empty"):
        return ~missing
    if not inferred.startswith("mixed"):
        return np.zeros(len(s), dtype=bool)
    return np.fromiter((isinstance(v, str) for v in s.to_numpy()), dtype=bool, count=len(s))


def _codes(strings: np.ndarray) -> np.ndarray:
    """Code points of strings of at most 18 characters as an (n, 18) uint32 matrix, 0-padded."""
    if len(strings) == 0:
        return np.zeros((0, 18), dtype=np.uint32)
    return strings.astype("U18").view(np.uint32).reshape(-1, 18)


def _texts(codes: np.ndarray) -> np.ndarray:
    """The inverse of ``_codes`` for any width: an object array of Python str."""
    if len(codes) == 0:
        return np.empty(0, dtype=object)
    width = codes.shape[1]
    matrix = np.ascontiguousarray(codes, dtype=np.uint32)
    return matrix.view(f"U{width}").ravel().astype(object)


def _join(*parts: Any) -> np.ndarray:
    """Element-wise concatenation of str scalars and arrays, as an object array."""
    out: Any = ""
    for part in parts:
        piece = part if isinstance(part, str) else np.asarray(part).astype(str)
        out = np.strings.add(out, piece)
    return np.asarray(out).astype(object)


def _lengths(strings: np.ndarray) -> np.ndarray:
    return np.fromiter(map(len, strings), dtype=np.int64, count=len(strings))


def _validate_text(raw: np.ndarray, today: date, normal_areas: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
    """Vectorised ``validate_id`` over an object array of str."""
    n = len(raw)
    clean = raw.copy()
    error = np.full(n, None, dtype=object)
    warning = np.full(n, None, dtype=object)
    upgraded = np.zeros(n, dtype=bool)
    valid = np.zeros(n, dtype=bool)
    lengths = _lengths(raw)

    # Fast path: text that is already 15 or 18 characters of 0-9/X is its own
    # normalised form (cleaning only touches spaces, full-width forms and x).
    cand = np.flatnonzero((lengths == 15) | (lengths == 18))
    codes = _codes(raw[cand])
    inside = np.arange(18) < lengths[cand, None]
    legal = ((codes >= _ZERO) & (codes <= _NINE)) | (codes == _X) | ~inside
    ready = legal.all(axis=1)
    rows, codes = cand[ready], codes[ready]
    # A 15-character row pads with zeros, so looking at all 18 columns is safe.
    x_inside = codes == _X
    misplaced = np.where(lengths[rows] == 18, x_inside[:, :17].any(axis=1), x_inside.any(axis=1))
    error[rows[misplaced]] = MSG_X_POSITION
    rows, codes = rows[~misplaced], codes[~misplaced]

    # Everything else (rare in a real column) is cleaned and checked one by one.
    retry = np.ones(n, dtype=bool)
    retry[cand[ready]] = False
    retry_rows = np.flatnonzero(retry)
    if len(retry_rows):
        cleaned = np.array([normalize_id(t) for t in raw[retry_rows]], dtype=object)
        clean[retry_rows] = cleaned
        shape = np.array([_shape_error(t) for t in cleaned], dtype=object)
        failed = shape != None  # noqa: E711 - element-wise comparison
        error[retry_rows[failed]] = shape[failed]
        passed = retry_rows[~failed]
        lengths[passed] = _lengths(clean[passed])
        rows = np.concatenate([rows, passed])
        codes = np.concatenate([codes, _codes(clean[passed])])

    # Upgrade 15-digit rows in the code matrix: area + "19" + yymmdd + seq + check.
    is15 = lengths[rows] == 15
    old = codes[is15]
    full = codes.copy()
    full[is15, 6:8] = [ord("1"), ord("9")]
    full[is15, 8:17] = old[:, 6:15]
    digits = full[:, :17].astype(np.int64) - _ZERO
    expected = _CHECK_CODES[(digits @ _WEIGHTS_ARR) % 11]
    full[is15, 17] = expected[is15]
    upgraded[rows[is15]] = True
    clean[rows[is15]] = _texts(full[is15])

    open_rows = np.ones(len(rows), dtype=bool)

    # A 15-digit number whose digits 7–14 are a 19xx/20xx birth date: an 18-digit one cut short.
    head = codes[:, 6:14].astype(np.int64) - _ZERO
    y8 = head[:, :4] @ _YEAR_PLACES
    m8 = head[:, 4] * 10 + head[:, 5]
    d8 = head[:, 6] * 10 + head[:, 7]
    truncated = is15 & _valid_ymd(y8, m8, d8) & ((y8 // 100 == 19) | (y8 // 100 == 20))
    truncated &= y8 * 10000 + m8 * 100 + d8 <= today.year * 10000 + today.month * 100 + today.day
    if truncated.any():
        error[rows[truncated]] = _join(_TRUNCATED_HEAD, _texts(codes[truncated, 6:14]), _TRUNCATED_TAIL)
        upgraded[rows[truncated]] = False
        clean[rows[truncated]] = _texts(codes[truncated, :15])
        open_rows &= ~truncated

    def record(cond: np.ndarray, message: Any) -> None:
        """Give rows still without an error this one (message: a function of the selection)."""
        nonlocal open_rows
        sel = open_rows & cond
        if sel.any():
            error[rows[sel]] = message(sel)
        open_rows &= ~sel

    province = digits[:, 0] * 10 + digits[:, 1]
    record(~_PROVINCE_OK[province],
           lambda sel: _join("地区码 ", _texts(full[sel, :6]), " 无效：前两位 ",
                             _texts(full[sel, :2]), " 不是省份代码"))

    year = digits[:, 6:10] @ _YEAR_PLACES
    month = digits[:, 10] * 10 + digits[:, 11]
    day = digits[:, 12] * 10 + digits[:, 13]
    date_ok = _valid_ymd(year, month, day)

    def ymd(sel: np.ndarray) -> np.ndarray:
        return _texts(full[sel, 6:14])

    record(~date_ok, lambda sel: _join("出生日期 ", ymd(sel), " 不是有效日期"))
    record(year < MIN_BIRTH_YEAR,
           lambda sel: _join("出生日期 ", ymd(sel), f" 早于 {MIN_BIRTH_YEAR} 年"))
    today_number = today.year * 10000 + today.month * 100 + today.day
    record(year * 10000 + month * 100 + day > today_number,
           lambda sel: _join("出生日期 ", ymd(sel), f" 晚于当前日期 {today.isoformat()}"))
    record(full[:, 17] != expected,
           lambda sel: _join("校验码应为 ", _texts(expected[sel, None]), "，实际为 ",
                             _texts(full[sel, 17:18])))

    valid[rows[open_rows]] = True
    areas = _texts(full[:, :6]).astype(str)
    normal = np.isin(areas, list(HANDAN_AREAS))
    for code in normal_areas:
        if code:
            normal |= np.strings.startswith(areas, code)
    handan = (full[:, :4] == _HANDAN_CODES).all(axis=1)
    for place, tail_text in ((handan, " 不是邯郸市的区县代码（可能填错）"),
                             (~handan, " 不在邯郸市范围内（可能外地迁入）")):
        flagged = open_rows & ~normal & place
        if flagged.any():
            warning[rows[flagged]] = _join("地区码 ", areas[flagged], tail_text)
    return {"normalized": clean, "valid": valid, "error": error,
            "warning": warning, "upgraded": upgraded}


def _valid_ymd(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    month_ok = (month >= 1) & (month <= 12)
    last_day = _DAYS_IN_MONTH[np.where(month_ok, month, 0)] + (month_ok & (month == 2) & leap)
    # datetime.date rejects year 0, so the scalar path calls 00000101 invalid too.
    return (year >= 1) & month_ok & (day >= 1) & (day <= last_day)


def validate_ids(series: Any, today: date | None = None, normal_areas: tuple[str, ...] = ()) -> pd.DataFrame:
    """``validate_id`` over a column: columns normalized, valid, error, warning, upgraded.

    The index is the input's. Text rows go through numpy: a code-point
    matrix gives charset, length, X position, province, birth date and check
    character at once. Rows needing per-row work are the rare ones: text
    needing cleaning (spaces, full-width forms, lower-case x) or already
    wrong in shape, and values that are not text (numbers from numeric
    cells, dates …), which go through ``validate_id``.
    """
    when = _as_date(today)
    s = series if isinstance(series, pd.Series) else pd.Series(series, dtype=object)
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object)
    n = len(s)
    missing = s.isna().to_numpy(dtype=bool)
    is_str = _str_positions(s, missing)
    values = s.to_numpy(dtype=object)

    out = {
        "normalized": np.full(n, "", dtype=object),
        "valid": np.zeros(n, dtype=bool),
        "error": np.full(n, MSG_EMPTY, dtype=object),
        "warning": np.full(n, None, dtype=object),
        "upgraded": np.zeros(n, dtype=bool),
    }
    normal_areas = tuple(normal_areas)
    text_rows = np.flatnonzero(is_str)
    if len(text_rows) == n:
        out = _validate_text(values, when, normal_areas)
    elif len(text_rows):
        part = _validate_text(values[text_rows], when, normal_areas)
        for name in _COLUMNS:
            out[name][text_rows] = part[name]
    for pos in np.flatnonzero(~is_str & ~missing):
        checked = validate_id(values[pos], when, normal_areas)
        for name in _COLUMNS:
            out[name][pos] = getattr(checked, name)
    return pd.DataFrame(
        {name: pd.Series(out[name], index=s.index, dtype=out[name].dtype) for name in _COLUMNS},
        index=s.index,
    )


def mask_ids(
    series: Any, head: int = 6, tail: int = 4, today: date | None = None
) -> pd.Series:
    """``mask_id`` over a column, index kept."""
    _check_mask_args(head, tail)
    checked = validate_ids(series, today)
    norm = checked["normalized"].to_numpy(dtype=object)
    valid = checked["valid"].to_numpy(dtype=bool)
    masked = norm.copy()
    codes = _codes(norm[valid])  # valid numbers are exactly 18 ASCII characters
    codes[:, head:18 - tail] = _STAR
    masked[valid] = _texts(codes)
    wrong = np.flatnonzero(~valid)
    masked[wrong] = [_mask_text(t, False, head, tail) for t in norm[wrong]]
    return pd.Series(masked, index=checked.index, dtype=object)


# ---------------------------------------------------------------- issue codes

#: Issue code per kind of ID problem, matched on the fixed start of each message.
_ERROR_CODES: tuple[tuple[str, str], ...] = (
    (MSG_EMPTY, "id_empty"),
    ("身份证号被 Excel 存成了数字", "id_numeric"),
    ("身份证号含非法字符", "id_chars"),
    ("字母 X 只能出现在", "id_chars"),
    ("身份证号应为 18 位", "id_length"),
    ("地区码 ", "id_province"),
    ("出生日期 ", "id_date"),
    ("校验码应为", "id_check"),
)


def id_error_code(error: str | None) -> str | None:
    """The issue code of an ``IdCheck.error`` message (``id_check``, ``id_numeric`` …)."""
    if not error:
        return None
    for prefix, code in _ERROR_CODES:
        if error.startswith(prefix):
            return code
    return "id_invalid"


def id_error_codes(errors: pd.Series) -> pd.Series:
    """Vectorised ``id_error_code`` over the ``error`` column of ``validate_ids``."""
    text = errors.fillna("").astype(str)
    codes = np.full(len(text), None, dtype=object)
    codes[(text != "").to_numpy()] = "id_invalid"
    for prefix, code in _ERROR_CODES[::-1]:
        codes[text.str.startswith(prefix).to_numpy()] = code
    return pd.Series(codes, index=errors.index, dtype=object)
