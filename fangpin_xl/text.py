"""Values as people read them: the one number formatter, cell text, widths, column letters.

Pure and light (numpy and pandas only), so the reader, the core rules and the
Excel functions can all use it without pulling in a writer.

* ``number_text`` is the one way a number becomes text in a message, a report
  or the 参数 sheet: at most 6 decimals, no trailing zeros (6000.01, 6000, 0.1).
  ``number_texts`` and ``append_number_texts`` are its vectorised twins and
  print exactly the same text (a property test holds them to it).
* ``cell_text`` is any cell value as a user sees it: dates as ISO dates,
  booleans as 是/否, numbers by ``number_text`` (from 1e15 on with Excel's 15
  significant digits, so a mangled ID number stays visibly mangled).
* ``shorten`` cuts a long text to a limit, saying how long it was (a report shows a
  value of a few hundred characters); ``fit_cell`` to what an Excel cell holds.
* ``display_width`` counts a CJK character as two columns (terminal tables).
* ``column_letter`` / ``column_index`` / ``split_cell`` convert Excel addresses.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

import numpy as np
import pandas as pd
from numpy.dtypes import StringDType

# -- numbers ---------------------------------------------------------------------------


def number_text(value: float) -> str:
    """A number for people: at most 6 decimals, no trailing zeros (6000.01, 6000, 0.1).

    The same steps as ``numpy.round(value, 6)`` (below 1e9) then the shortest
    representation, so the vectorised twins print exactly the same text.
    """
    number = float(value)
    # Rounding to 6 decimals hides binary noise (6000.01 − 6000); from 1e9 on a
    # double has no such digits and rounding would only add noise of its own.
    rounded = (round(number * 1e6) / 1e6 if abs(number) < 1e9 else number) + 0.0
    text = repr(rounded)
    return text[:-2] if text.endswith(".0") else text


_CENTS = [""] + [("." + f"{c:02d}").rstrip("0") for c in range(1, 100)]
_SUFFIX_TABLES: dict[str, np.ndarray] = {}


def percent_text(fraction: float | None) -> str:
    """A share as a percentage with two decimals (0.8378 → "83.78%", 0.1 → "10.00%"), halves
    away from zero; "—" when there is none (NaN or None)."""
    if fraction is None or not np.isfinite(float(fraction)):
        return "—"
    hundredths = int(np.floor(abs(round(float(fraction) * 10000, 6)) + 0.5))
    sign = "-" if fraction < 0 and hundredths else ""
    return f"{sign}{hundredths // 100}.{hundredths % 100:02d}%"


def _cents_table(suffix: str) -> np.ndarray:
    """The 100 fen endings (".01" … ".99", "" for whole yuan), each followed by ``suffix``."""
    table = _SUFFIX_TABLES.get(suffix)
    if table is None:
        table = _SUFFIX_TABLES[suffix] = np.array([c + suffix for c in _CENTS], dtype=StringDType())
    return table


def append_number_texts(text: Any, values: np.ndarray, suffix: str = "") -> np.ndarray:
    """``text + number_text(value) + suffix`` per element (StringDType result).

    ``text`` is a str or a StringDType array of the same length as ``values``.
    """
    values = np.asarray(values, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):  # huge values take the slow path
        rounded = np.where(np.abs(values) < 1e9, np.round(values, 6), values) + 0.0
        cents = np.rint(rounded * 100)
        # Whole fen below 1e9: the shortest representation is the decimal itself (at
        # most 15 significant digits), so integer formatting prints the same text as
        # number_text, several times faster than formatting floats.
        fast = (cents / 100 == rounded) & (np.abs(rounded) < 1e9)
    if fast.all():
        return _append_cents(text, cents, suffix)
    out = np.empty(rounded.shape, dtype=StringDType())
    if fast.any():
        out[fast] = _append_cents(text if isinstance(text, str) else text[fast], cents[fast], suffix)
    slow = ~fast
    shortest = rounded[slow].astype(StringDType())
    shortest = np.where(np.strings.endswith(shortest, ".0"), np.strings.slice(shortest, 0, -2), shortest)
    head = text if isinstance(text, str) else text[slow]
    out[slow] = np.strings.add(np.strings.add(head, shortest), suffix)
    return out


def _append_cents(text: Any, cents: np.ndarray, suffix: str) -> np.ndarray:
    whole_cents = np.abs(cents).astype(np.int64)
    negative = cents < 0
    if negative.any():
        text = np.strings.add(text, np.where(negative, "-", "").astype(StringDType()))
    text = np.strings.add(text, (whole_cents // 100).astype(StringDType()))
    return np.strings.add(text, _cents_table(suffix)[whole_cents % 100])


def number_texts(values: pd.Series) -> pd.Series:
    """``number_text`` over a column; "" where the value is missing or not a number."""
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    out = np.full(len(numbers), "", dtype=object)
    present = np.isfinite(numbers)
    if present.any():
        out[present] = append_number_texts("", numbers[present]).tolist()
    return pd.Series(out, index=values.index, dtype=object)


# -- cell values --------------------------------------------------------------------------


def cell_text(value: Any) -> str:
    """A cell value as the text a user would see ("" for an empty cell)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, bool | np.bool_):
        return "是" if value else "否"
    if isinstance(value, dt.datetime | pd.Timestamp):
        stamp = pd.Timestamp(value)
        if pd.isna(stamp):
            return ""
        return stamp.strftime("%Y-%m-%d" if stamp == stamp.normalize() else "%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, np.datetime64):
        return cell_text(pd.Timestamp(value))
    if isinstance(value, float | np.floating):
        number = float(value)
        if number != number:  # NaN
            return ""
        # 15 significant digits from 1e15 on, like Excel: a mangled ID number stays visibly mangled.
        return number_text(number) if abs(number) < 1e15 else f"{number:.15g}"
    if isinstance(value, int | np.integer):
        return str(int(value))
    return str(value)


def text_mask(values: pd.Series) -> np.ndarray:
    """Which values are Python strings; value by value only for mixed object columns."""
    present = values.notna().to_numpy(dtype=bool)
    if isinstance(values.dtype, pd.StringDtype):
        return present
    if values.dtype != object:
        return np.zeros(len(values), dtype=bool)
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind == "string":
        return present
    if kind == "empty":
        return np.zeros(len(values), dtype=bool)
    return type_mask(values.to_numpy(dtype=object), str)


def per_distinct(values: np.ndarray, func, dtype=object) -> np.ndarray:
    """``func`` of each value, called once per distinct value (a column repeats a few words
    and notes; values must be hashable and not missing)."""
    codes, distinct = pd.factorize(np.asarray(values, dtype=object))
    return np.array([func(v) for v in distinct], dtype=dtype)[codes] if len(codes) else np.zeros(0, dtype=dtype)


def type_mask(values: np.ndarray, *types: type, exclude: tuple[type, ...] = ()) -> np.ndarray:
    """Per object: whether it is an instance of ``types`` and not of ``exclude``. Each value's
    exact type is taken in one C-level pass; only the distinct types are tested (a column
    holds a handful), so no Python call runs per cell."""
    exact = pd.Series(np.fromiter(map(type, values), dtype=object, count=len(values)))
    codes, distinct = pd.factorize(exact)
    hits = np.array([issubclass(t, types) and not issubclass(t, exclude) for t in distinct], dtype=bool)
    return hits[codes] if len(codes) else np.zeros(0, dtype=bool)


# -- long text ----------------------------------------------------------------------------

#: What an Excel cell holds: 32,767 UTF-16 code units (a character beyond the BMP takes two).
#: xlsxwriter cuts a longer string and refuses the rest of its row; openpyxl writes a file
#: Excel then has to repair.
EXCEL_CELL_CHARS = 32767


def _cut_note(text: str) -> str:
    return f"…（共 {len(text)} 字）"


def shorten(text: str, limit: int) -> str:
    """``text`` when it has at most ``limit`` characters, else its start and "…（共 N 字）"
    (N its length), ``limit`` characters in all."""
    if len(text) <= limit:
        return text
    tail = _cut_note(text)
    return text[:max(0, limit - len(tail))] + tail


def fit_cell(text: str) -> str:
    """``text`` as an Excel cell can hold it (``EXCEL_CELL_CHARS``), cut like ``shorten``."""
    if len(text) <= EXCEL_CELL_CHARS // 2:  # cannot be too long, even in surrogate pairs
        return text
    encoded = text.encode("utf-16-le", "surrogatepass")
    if len(encoded) <= 2 * EXCEL_CELL_CHARS:
        return text
    tail = _cut_note(text)
    # Cut at a code unit; "ignore" drops half a surrogate pair left at the end.
    head = encoded[:2 * (EXCEL_CELL_CHARS - len(tail))].decode("utf-16-le", "ignore")
    return head + tail


# -- widths ------------------------------------------------------------------------------


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: wide (CJK, full-width) characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, width: int, *, right: bool = False) -> str:
    """``text`` padded with spaces to ``width`` display columns (right-aligned if asked)."""
    gap = " " * max(0, width - display_width(text))
    return gap + text if right else text + gap


# -- cell addresses ------------------------------------------------------------------------

_CELL = re.compile(r"([A-Z]{1,3})([0-9]+)")


def column_letter(index: int) -> str:
    """0 → "A", 25 → "Z", 26 → "AA"."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_index(letters: str) -> int:
    """"A" → 0, "AA" → 26; "" → -1."""
    number = 0
    for ch in letters:
        number = number * 26 + ord(ch) - 64
    return number - 1


def split_cell(cell: str) -> tuple[str, int | None]:
    """"C5" → ("C", 5); anything else → ("", None)."""
    match = _CELL.fullmatch(cell or "")
    if match is None:
        return "", None
    return match.group(1), int(match.group(2))


# -- file names --------------------------------------------------------------------------

def shown_path(path: object) -> str:
    """A file name or path as text that can be shown and written anywhere.

    A name that is not valid UTF-8 (GBK bytes from a zip made on Chinese
    Windows) arrives with surrogate escapes, which no workbook, JSON or
    terminal accepts: such bytes are read as GB18030, else replaced by "�".
    """
    text = str(path)
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "surrogateescape")
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        return raw.decode("utf-8", "replace")


# -- personal numbers -----------------------------------------------------------------------

#: 17 digits and any digit or letter: a mistyped check character (…123Y) is still a person's number.
_ID18 = re.compile(r"(?<![0-9])([0-9]{6})([0-9]{8})([0-9]{3}[0-9A-Za-z])(?![0-9])")
_ID15 = re.compile(r"(?<![0-9A-Za-z])([1-9][0-9]{5})([0-9]{5})([0-9]{4})(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<![0-9])(1[3-9][0-9])([0-9]{4})([0-9]{4})(?![0-9])")
#: An ID number typed into a number cell, as Excel shows it (1.30434199001011e+17).
_ID_AS_NUMBER = re.compile(r"(?<![0-9])([1-9])\.([0-9]{5})[0-9]+[eE]\+(1[4-9])(?![0-9])")


def redact(text: str) -> str:
    """Text with anything that looks like an ID or a mobile number masked, whatever its column.

    17 digits and a digit or letter keep their first 6 and last 4 (``ids.mask_id``'s
    form), 15 digits likewise, a mobile its first 3 and last 4, an ID shown
    in scientific notation its first 6 digits. Full-width and other digits that
    NFKC makes ASCII (１３０４…) are recognised too; the characters kept are shown
    as they were typed and the rest of the text is unchanged. Masked text is left
    as it is.
    """
    if not any(ch.isdigit() for ch in text):
        return text
    # The patterns run on an ASCII shadow of the text, one character for one, so a match
    # there is the same span of the text itself.
    shadow = text if text.isascii() else text.translate(_ASCII_TWINS)
    for pattern, masked in _MASKS:
        if pattern.search(shadow) is None:
            continue
        pieces, twins, last = [], [], 0
        for match in pattern.finditer(shadow):
            start = match.start()
            pieces += [text[last:start], masked(match, text)]
            twins += [shadow[last:start], masked(match, shadow)]
            last = match.end()
        text = "".join([*pieces, text[last:]])
        shadow = "".join([*twins, shadow[last:]])
    return text


def _group(match: re.Match, source: str, group: int) -> str:
    """Group ``group`` of a match on the shadow, as ``source`` has it."""
    start, end = match.span(group)
    return source[start:end]


_MASKS = (
    (_ID18, lambda m, s: _group(m, s, 1) + "*" * 8 + _group(m, s, 3)),
    (_ID15, lambda m, s: _group(m, s, 1) + "*" * 5 + _group(m, s, 3)),
    (_MOBILE, lambda m, s: _group(m, s, 1) + "****" + _group(m, s, 3)),
    (_ID_AS_NUMBER, lambda m, s: f"{_group(m, s, 1)}.{_group(m, s, 2)}…e+{_group(m, s, 3)}"),
)


class _AsciiTwins(dict):
    """``str.translate`` table: a character that NFKC makes one ASCII digit or letter (full-width
    １ and Ｘ, circled ①, mathematical 𝟏) → that letter; any other character → itself.
    Filled as characters are met."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        twin = unicodedata.normalize("NFKC", ch)
        self[code] = twin = twin if len(twin) == 1 and twin.isascii() and twin.isalnum() else ch
        return twin


_ASCII_TWINS = _AsciiTwins()


# -- sheet names ----------------------------------------------------------------------------

#: What Excel refuses in a sheet name, each as its full-width twin (东/西村 → 东／西村).
_SHEET_CHARS = str.maketrans({"[": "［", "]": "］", ":": "：", "*": "＊", "?": "？", "/": "／",
                              "\\": "＼"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
#: Excel's limit, in the UTF-16 units it counts (a rare character outside the BMP is two).
SHEET_NAME_LIMIT = 31


def sheet_names(wanted: list[str], *, fallback: str = "工作表") -> list[str]:
    """Valid, distinct Excel sheet names for ``wanted`` (names made from what people typed).

    ``[ ] : * ? / \\`` become their full-width twins, an apostrophe at either end
    becomes ’, control characters a space; an ID or mobile number is masked
    (``redact``); the name is cut to Excel's 31 characters; a blank name is
    ``fallback``; names equal to an earlier one (Excel ignores case) get (2), (3) …
    within the 31 characters. Excel's reserved name History gets the same suffix.
    """
    names: list[str] = []
    taken = {"history"}
    for text in wanted:
        name = _sheet_text(text) or fallback
        base, k = name, 2
        while name.casefold() in taken:
            suffix = f"({k})"
            name = _sheet_text(_cut(base, SHEET_NAME_LIMIT - len(suffix)) + suffix)
            k += 1
        taken.add(name.casefold())
        names.append(name)
    return names


def _sheet_text(text: str) -> str:
    name = " ".join(_CONTROL.sub(" ", redact(str(text))).split()).translate(_SHEET_CHARS)
    name = _cut(name, SHEET_NAME_LIMIT).strip()
    if name.startswith("'"):
        name = "’" + name[1:]
    if name.endswith("'"):
        name = name[:-1] + "’"
    return name


def _cut(text: str, units: int) -> str:
    """``text`` cut to at most ``units`` UTF-16 code units, never inside a character."""
    if len(text.encode("utf-16-le")) <= 2 * units:
        return text
    out, used = [], 0
    for ch in text:
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > units:
            break
        out.append(ch)
    return "".join(out)
