"""The one reader of township workbooks (validate and merge both call it).

Cell values come from python-calamine (fast, and it reads .xlsx, .xlsm and
.xls). Every file passes :func:`guard.check_file` first: calamine aborts the
process on zip bombs, so nothing reaches it unchecked. When calamine cannot
read an .xlsx/.xlsm that openpyxl can (macro sheets, LibreOffice 5 range
quirks), the file is read again with openpyxl in read-only mode, through
defusedxml, with the declared dimensions ignored.

What a sheet becomes (:class:`SheetData`):

* ``frame`` — one row per non-empty data row, index = Excel row number;
  columns = every schema key in schema order (missing columns all-NA),
  then extra columns under their header text. Types as in :mod:`coerce`:
  MONEY float64, INTEGER Int64, DATE and MONTH datetime64[ns] (midnight),
  ID as read (strings stripped, numbers left as numbers), other text
  columns str or None.
* ``columns`` — key (or extra header) → column letter, so the address of a
  value is ``columns[key] + str(row)``.
* ``changes`` / ``failures`` — cells read differently from how they were
  typed ("5,000元" → 5000), and cells that could not be read as their type
  (the frame holds NA; the caller reports 类型不符 with the original).

How a sheet is found and read:

* by its name or a synonym, compared with all whitespace removed;
* the header row is the best-matching row among the first 30 (title and
  note rows above it are skipped); a two-row header (a merged parent such
  as 公示 over 开始/结束) is matched as parent+child and as child;
* vertically merged cells in the data (a household number merged over its
  members' rows) give their value to every row they span, as the user sees it;
* rows whose cells are all empty or whitespace are skipped; no row holding
  any value is dropped.

Issues (file = the workbook's file name): ``missing_sheet`` (error for
监测户, warning for the other sheets, which a township without cases or
visits may leave out), ``empty_sheet`` (same severities), ``header_not_found``
(error), ``missing_column`` (error, required columns only),
``duplicate_column`` (warning) and ``policy_header_missing`` (warning).
"""

from __future__ import annotations

import re
import unicodedata
import warnings
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from ..errors import FangpinError, InputError
from ..issues import ERROR, WARNING, Issue
from ..schema import DATE, INTEGER, MONEY, MONTH, POLICY_SHEET, SHEETS, Sheet
from ..text import column_letter
from .coerce import RAW, coerce_column, is_blank
from .guard import (
    CORRUPT_MESSAGE,
    ENCRYPTED_MESSAGE,
    EXTENSIONS,
    RESAVE_HINT,
    Limits,
    check_file,
    fail,
)

#: Rows searched for the header row.
HEADER_SCAN_ROWS = 30

#: Schema sheets whose absence is an error; the others are warnings.
ESSENTIAL_SHEETS = ("households",)

POLICY_KEY_HEADER = "键"
POLICY_LABEL_HEADER = "参数"
POLICY_VALUE_HEADER = "值"
POLICY_DATE_KEYS = ("check_date",)


class Change(NamedTuple):
    """A cell read differently from how it was typed, or (value None) not readable at all.

    A named tuple rather than a dataclass: a township sheet with every amount
    typed as text yields tens of thousands of these.
    """

    cell: str
    column_header: str
    original: Any
    value: Any
    key: str = ""
    row: int | None = None


@dataclass
class SheetData:
    spec: Sheet
    #: The sheet's name in the workbook (may be a synonym of ``spec.name``).
    name: str
    #: Excel row number of the (first) header row; 0 when no header was found.
    header_row: int
    frame: pd.DataFrame
    #: key or extra header → column letter.
    columns: dict[str, str]
    extras: list[str]
    changes: list[Change]
    rows_read: int
    #: Non-empty cells that could not be read as their column's type (value None).
    failures: list[Change] = field(default_factory=list)
    #: 1, or 2 for a two-row header; data starts at ``header_row + header_rows``.
    header_rows: int = 1
    #: key or extra header → the header text as it stands in the sheet.
    headers: dict[str, str] = field(default_factory=dict)

    def cell(self, key: str, row: int) -> str:
        """A1 address of column ``key`` in Excel row ``row`` ("" if the column is absent)."""
        letter = self.columns.get(key)
        return f"{letter}{row}" if letter else ""


@dataclass
class WorkbookData:
    path: Path
    format: str
    sheet_names: list[str]
    #: Schema sheet key ("households", …) → its data; sheets not found are absent.
    sheets: dict[str, SheetData]
    policy_values: dict[str, Any] | None
    issues: list[Issue]
    date1904: bool

    @property
    def file(self) -> str:
        return self.path.name


# --- public API -------------------------------------------------------------


def read_workbook(
    path, *, sheets: tuple[Sheet, ...] = SHEETS, limits: Limits | None = None,
    read_policy: bool = True,
) -> WorkbookData:
    """Read the schema sheets (and the 参数 sheet) of one workbook file.

    Raises InputError (message naming the file) when the file cannot be read
    at all; everything wrong inside a readable workbook is an Issue.
    """
    path = Path(path)
    fmt = check_file(path, limits)
    date1904 = read_date1904(path) if fmt != "xls" else False
    with _Book(path, fmt) as book:
        return _read_book(book, path, fmt, date1904, sheets, read_policy)


def read_values(
    sheets: Mapping[str, Sequence[Sequence[Any]]], *, file: str = "本工作簿",
    merged: Mapping[str, Sequence[tuple[int, int, int, int]]] | None = None,
    date1904: bool = False, schema_sheets: tuple[Sheet, ...] = SHEETS, read_policy: bool = True,
) -> WorkbookData:
    """Read a workbook handed over as values: sheet name → rows of cell values from A1.

    This is how an open Excel book reaches the checks (xlwings gives each
    sheet's values as lists); the result is exactly what ``read_workbook``
    gives for the same cells in a file. Empty cells may be None or "".
    ``merged`` lists each sheet's merged ranges as 0-based (first row, first
    column, last row, last column), where the caller knows them.
    """
    book = _ValuesBook(sheets, merged or {})
    return _read_book(book, Path(file), "values", date1904, schema_sheets, read_policy)


def sheet_from_values(
    rows: Sequence[Sequence[Any]], spec: Sheet, *, name: str = "", file: str = "本工作簿",
    date1904: bool = False,
) -> tuple[SheetData, list[Issue]]:
    """One table of values (a header row, then data) read as the schema sheet ``spec``.

    Headers are matched by the schema's names and synonyms, exactly as a
    sheet of a workbook is (title rows above the header are skipped).
    """
    return _read_schema_sheet(_values_grid(rows), spec, name or spec.name, file, date1904, WARNING)


def policy_values_from_rows(rows: Sequence[Sequence[Any]], *, date1904: bool = False,
                            ) -> dict[str, Any] | None:
    """{policy key: value} from a 参数 table handed over as values (an Excel range).

    The rows are read exactly like a workbook's 参数 sheet: the header row holding
    “键” and “值” is found among the first rows (a title above it is skipped), then
    every row with a key gives its value. None when there is no such header row.
    """
    return _policy_from_grid(_values_grid(rows), date1904)


def _read_book(book, path: Path, fmt: str, date1904: bool, sheets: tuple[Sheet, ...],
               read_policy: bool) -> WorkbookData:
    file = path.name
    issues: list[Issue] = []
    result: dict[str, SheetData] = {}
    policy_values = None
    names = book.sheet_names
    for spec in sheets:
        found = find_sheet(spec.names, names)
        severity = ERROR if spec.key in ESSENTIAL_SHEETS else WARNING
        if found is None:
            also = f"（也可命名为：{'、'.join(spec.synonyms)}）" if spec.synonyms else ""
            issues.append(Issue(
                "missing_sheet", severity, file, spec.name, "", None, "", "",
                f"缺少工作表“{spec.name}”{also}。工作簿中的工作表：{_listing(names)}",
            ))
            continue
        data, sheet_issues = _read_schema_sheet(
            book.grid(found), spec, found, file, date1904, severity,
        )
        result[spec.key] = data
        issues.extend(sheet_issues)
    if read_policy:
        found = find_sheet((POLICY_SHEET,), names)
        if found is not None:
            policy_values = _policy_from_grid(book.grid(found), date1904)
            if policy_values is None:
                policy_values = {}
                issues.append(Issue(
                    "policy_header_missing", WARNING, file, found, "", None, "", "",
                    f"工作表“{found}”中找不到“键”“参数”“值”表头行，未能读取本工作簿的参数",
                ))
    return WorkbookData(path, fmt, list(names), result, policy_values, issues, date1904)


def read_policy_values(path, *, limits: Limits | None = None) -> dict[str, Any] | None:
    """{policy key: value} from the 参数 sheet; None when the workbook has none.

    A 参数 sheet without its 键/值 header row gives {}.
    """
    path = Path(path)
    fmt = check_file(path, limits)
    date1904 = read_date1904(path) if fmt != "xls" else False
    with _Book(path, fmt) as book:
        found = find_sheet((POLICY_SHEET,), book.sheet_names)
        if found is None:
            return None
        values = _policy_from_grid(book.grid(found), date1904)
    return {} if values is None else values


def read_sheet_table(
    path, sheet_name: str | None = None, *, limits: Limits | None = None,
) -> tuple[pd.DataFrame, int]:
    """A generic table from one sheet (department data that follows no schema).

    ``sheet_name`` None means the first sheet holding any cell. The header
    is the first row with the most text cells (at least two) among the
    first 30, so title, note and "报表导出人" rows above it are skipped; the
    frame's columns are the header texts (a blank header with data below it
    becomes “列F”), index = Excel row numbers, strings stripped, empty cells
    None, other values as read. ``frame.attrs["columns"]`` maps each column
    to its letter and ``frame.attrs["sheet"]`` names the sheet. Returns
    (frame, Excel row number of the header).
    """
    path = Path(path)
    fmt = check_file(path, limits)
    with _Book(path, fmt) as book:
        names = book.sheet_names
        grid = None
        if sheet_name is None:
            for name in names:
                grid = book.grid(name)
                if grid.height:
                    sheet_name = name
                    break
            if sheet_name is None:
                raise fail(path, "工作簿中没有任何数据")
        else:
            found = find_sheet((sheet_name,), names)
            if found is None:
                raise fail(path, f"找不到工作表“{sheet_name}”。工作簿中的工作表：{_listing(names)}")
            sheet_name = found
            grid = book.grid(found)
    # The header is the first row with the most text cells: title and note
    # rows above it hold one or two; data rows hold at most as many.
    counts = [sum(1 for v in row if isinstance(v, str) and v.strip())
              for row in grid.rows[:HEADER_SCAN_ROWS]]
    header = counts.index(max(counts)) if counts and max(counts) >= 2 else None
    if header is None:
        raise fail(
            path,
            f"工作表“{sheet_name}”前 {HEADER_SCAN_ROWS} 行中找不到表头行（至少有两个文字单元格的一行）",
        )
    texts = [_header_text(v) for v in grid.rows[header]]
    data_top = header + 1
    block = _block(grid.rows[data_top:], grid.width)
    coerced = [coerce_column(block[:, c], RAW) for c in range(grid.width)]
    keep = _keep_rows(coerced, len(block))
    positions = np.flatnonzero(keep)
    index = pd.Index(grid.top + data_top + positions + 1, dtype="int64", name="row")
    taken: set[str] = set()
    data: dict[str, Any] = {}
    letters: dict[str, str] = {}
    for c, text in enumerate(texts):
        letter = column_letter(grid.left + c)
        if not text:
            if coerced[c].empty.to_numpy().all():
                continue
            text = f"列{letter}"
        text = _unique(text, letter, taken)
        data[text] = _take(coerced[c].values, positions)
        letters[text] = letter
    frame = _frame(data, index)
    frame.attrs["columns"] = letters
    frame.attrs["sheet"] = sheet_name
    return frame, grid.top + header + 1


def find_sheet(candidates, sheet_names) -> str | None:
    """The first sheet whose name equals a candidate with all whitespace removed."""
    by_name: dict[str, str] = {}
    for name in sheet_names:
        by_name.setdefault(_no_space(name), name)
    for cand in candidates:
        hit = by_name.get(_no_space(cand))
        if hit is not None:
            return hit
    return None


def normalise_header(text: str) -> str:
    """Header text for matching: NFKC (full-width → half-width), no whitespace, no "*"."""
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"[\s*]+", "", text)


def read_date1904(path) -> bool:
    """The workbook's 1904 date system flag (workbookPr@date1904), False if unknown."""
    from defusedxml.ElementTree import iterparse

    try:
        with zipfile.ZipFile(path) as zf:
            parts = {i.filename.replace("\\", "/").lstrip("/").lower(): i for i in zf.infolist()}
            target = _office_document(zf, parts) or "xl/workbook.xml"
            info = parts.get(target.lower())
            if info is None:
                return False
            with zf.open(info) as fh:
                for _event, elem in iterparse(fh, events=("start",)):
                    local = elem.tag.rsplit("}", 1)[-1]
                    if local == "workbookPr":
                        return elem.get("date1904", "").strip().lower() in ("1", "true")
                    if local == "sheets":
                        return False
    except Exception:  # noqa: BLE001 - an unreadable flag means the 1900 system
        return False
    return False


# --- sources: calamine first, openpyxl when calamine cannot -----------------


@dataclass
class _Grid:
    """A sheet's used range: ``rows`` is rectangular; (top, left) is the 0-based
    position of rows[0][0]; ``merged`` holds (r0, c0, r1, c1) relative to it,
    or None when the reader does not report merged cells."""

    rows: list[list]
    top: int = 0
    left: int = 0
    merged: list[tuple[int, int, int, int]] | None = None

    @property
    def height(self) -> int:
        return len(self.rows)

    @property
    def width(self) -> int:
        return len(self.rows[0]) if self.rows else 0


class _Book:
    """An open workbook; translates every reader exception into InputError."""

    def __init__(self, path: Path, fmt: str):
        self.path = path
        self.fmt = fmt
        self._cal = None
        self._opx = None
        self._fh = None
        self._first_error: Exception | None = None
        try:
            from python_calamine import CalamineWorkbook

            if _container(path.suffix.lower()) == _container_of(fmt):
                self._cal = CalamineWorkbook.from_path(str(path))
            else:
                # The content disagrees with the name (an .xls renamed .xlsx):
                # calamine picks its reader by extension for paths, by content for files.
                with open(path, "rb") as fh:
                    self._cal = CalamineWorkbook.from_filelike(fh)
            self.sheet_names = list(self._cal.sheet_names)
        except Exception as exc:  # noqa: BLE001 - reader errors become InputError
            self._fall_back(exc)
            self.sheet_names = list(self._opx.sheetnames)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        for closer in (self._cal, self._opx, self._fh):
            if closer is not None:
                try:
                    closer.close()
                except Exception:  # noqa: BLE001, S110 - closing must not mask the result
                    pass
        self._cal = self._opx = self._fh = None

    def grid(self, name: str) -> _Grid:
        if self._cal is not None:
            try:
                return _calamine_grid(self._cal.get_sheet_by_name(name))
            except Exception as exc:  # noqa: BLE001
                self._fall_back(exc)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return _openpyxl_grid(self._opx[name])
        except Exception as exc:  # noqa: BLE001
            # What calamine said is the better description: it is the primary reader.
            raise _translate(self.path, self._first_error or exc) from None

    def _fall_back(self, exc: Exception) -> None:
        if self._opx is not None:
            return
        self._first_error = exc
        if type(exc).__name__ == "PasswordError" or self.fmt == "xls":
            self.close()
            raise _translate(self.path, exc) from None
        try:
            import openpyxl
            from openpyxl.xml import DEFUSEDXML

            if not DEFUSEDXML:
                raise exc
            self._fh = open(self.path, "rb")
            with warnings.catch_warnings():
                # "Unknown extension is not supported": harmless, and not for users.
                warnings.simplefilter("ignore")
                self._opx = openpyxl.load_workbook(
                    self._fh, read_only=True, data_only=True, keep_links=False,
                )
        except Exception:  # noqa: BLE001 - report what calamine said, it is the primary reader
            self.close()
            raise _translate(self.path, exc) from None


class _ValuesBook:
    """Sheets handed over as values (from A1), read like a file's sheets."""

    def __init__(self, sheets: Mapping[str, Sequence[Sequence[Any]]],
                 merged: Mapping[str, Sequence[tuple[int, int, int, int]]]):
        self.sheet_names = [str(name) for name in sheets]
        self._sheets = {str(name): rows for name, rows in sheets.items()}
        self._merged = {str(name): list(ranges) for name, ranges in merged.items()}

    def grid(self, name: str) -> _Grid:
        return _values_grid(self._sheets[name], self._merged.get(name))


def _values_grid(rows: Sequence[Sequence[Any]],
                 merged: Sequence[tuple[int, int, int, int]] | None = None) -> _Grid:
    """The used range of A1-based values, as calamine gives it: empty cells "", trimmed."""
    table = [["" if v is None else v for v in row] for row in rows]
    filled = [i for i, row in enumerate(table) if any(not is_blank(v) for v in row)]
    if not filled:
        return _Grid([])
    table = table[filled[0]:filled[-1] + 1]
    cols = [c for row in table for c, v in enumerate(row) if not is_blank(v)]
    left, right = min(cols), max(cols)
    table = [(row + [""] * (right + 1 - len(row)))[left:right + 1] for row in table]
    top, height, width = filled[0], len(table), right + 1 - left
    ranges = None
    if merged is not None:
        ranges = []
        for r0, c0, r1, c1 in merged:
            r0, c0, r1, c1 = r0 - top, c0 - left, r1 - top, c1 - left
            if r1 < 0 or c1 < 0 or r0 >= height or c0 >= width:
                continue
            ranges.append((max(r0, 0), max(c0, 0), min(r1, height - 1), min(c1, width - 1)))
    return _Grid(table, top, left, ranges)


def _container(ext: str) -> str:
    return _container_of(EXTENSIONS.get(ext, ""))


def _container_of(fmt: str) -> str:
    return "ole" if fmt == "xls" else "zip"


def _calamine_grid(sheet) -> _Grid:
    start = sheet.start
    if start is None:
        return _Grid([])
    rows = sheet.to_python(skip_empty_area=True)
    if not rows or not rows[0]:
        return _Grid([])
    top, left = start
    height, width = len(rows), len(rows[0])
    merged = None
    ranges = sheet.merged_cell_ranges
    if ranges is not None:
        merged = []
        for (r0, c0), (r1, c1) in ranges:
            r0, c0, r1, c1 = r0 - top, c0 - left, r1 - top, c1 - left
            if r1 < 0 or c1 < 0 or r0 >= height or c0 >= width:
                continue
            merged.append((max(r0, 0), max(c0, 0), min(r1, height - 1), min(c1, width - 1)))
    return _Grid(rows, top, left, merged)


def _openpyxl_grid(ws) -> _Grid:
    if not hasattr(ws, "iter_rows"):  # a chartsheet
        return _Grid([])
    if hasattr(ws, "reset_dimensions"):
        # Read-only worksheets trust <dimension>, which lies in real files.
        ws.reset_dimensions()
    rows = [["" if v is None else v for v in row] for row in ws.iter_rows(values_only=True)]
    used = [i for i, row in enumerate(rows) if any(v != "" for v in row)]
    if not used:
        return _Grid([])
    rows = rows[used[0]:used[-1] + 1]
    cols = [c for row in rows for c, v in enumerate(row) if v != ""]
    left, right = min(cols), max(cols)
    rows = [(row + [""] * (right + 1 - len(row)))[left:right + 1] for row in rows]
    return _Grid(rows, used[0], left, None)


def _translate(path: Path, exc: BaseException) -> InputError:
    """A reader's exception as the InputError a user sees."""
    if isinstance(exc, FangpinError):
        return exc if isinstance(exc, InputError) else InputError(str(exc))
    kind = type(exc).__name__
    if kind == "PasswordError":
        return fail(path, ENCRYPTED_MESSAGE)
    if kind in ("DTDForbidden", "EntitiesForbidden", "ExternalReferenceForbidden"):
        reason = "工作簿包含不安全的 XML 内容（DTD 或外部实体），已拒绝读取"
    elif isinstance(exc, MemoryError):
        reason = "工作簿过大，内存不足，无法读取"
    elif kind in ("ZipError", "BadZipFile", "EOFError") or isinstance(exc, zipfile.BadZipFile):
        reason = CORRUPT_MESSAGE
    elif kind in ("XmlError", "ParseError", "ExpatError", "XMLSyntaxError"):
        reason = f"工作簿内容已损坏（XML 格式错误），{RESAVE_HINT}"
    else:
        reason = f"无法读取该工作簿（文件可能已损坏或格式不受支持），{RESAVE_HINT}"
    detail = " ".join(str(exc).split())[:200]
    return fail(path, f"{reason}（技术信息：{kind}{': ' + detail if detail else ''}）")


def _office_document(zf: zipfile.ZipFile, parts: dict) -> str | None:
    """The workbook part named by _rels/.rels (not always xl/workbook.xml)."""
    from defusedxml.ElementTree import fromstring

    info = parts.get("_rels/.rels")
    if info is None:
        return None
    with zf.open(info) as fh:
        text = fh.read(1 << 20)
    for rel in fromstring(text):
        if rel.get("Type", "").endswith("/officeDocument"):
            return rel.get("Target", "").replace("\\", "/").lstrip("/")
    return None


# --- schema sheets ----------------------------------------------------------


@dataclass
class _Header:
    first: int  # relative row of the (first) header row
    height: int  # 1 or 2
    names: list[str]  # display text per grid column ("" if none)
    keys: dict[int, str]  # grid column → schema key
    duplicates: dict[int, str]  # grid column → key it also matched (kept as extra)
    score: int


class _Matcher:
    def __init__(self, spec: Sheet):
        self.lookup: dict[str, tuple[str, bool]] = {}
        for col in spec.columns:
            self.lookup.setdefault(normalise_header(col.header), (col.key, True))
        for col in spec.columns:
            for syn in col.synonyms:
                self.lookup.setdefault(normalise_header(syn), (col.key, False))

    def resolve(self, text: str) -> tuple[str, bool] | None:
        if not text:
            return None
        hit = self.lookup.get(text)
        if hit is None and text.endswith(")"):
            # "金额(元)", "家庭人口(人)": a unit after the name.
            hit = self.lookup.get(re.sub(r"\([^()]*\)$", "", text))
        return hit

    def match(self, candidates: list[list[str]]) -> tuple[dict[int, str], dict[int, str]]:
        """Assign keys to columns; a key claimed twice goes to its exact header, else leftmost."""
        claims: dict[str, list[tuple[bool, int]]] = {}
        for c, cands in enumerate(candidates):
            for text in cands:
                hit = self.resolve(text)
                if hit is not None:
                    claims.setdefault(hit[0], []).append((not hit[1], c))
                    break
        keys, duplicates = {}, {}
        for key, cols in claims.items():
            cols.sort()
            keys[cols[0][1]] = key
            for _, c in cols[1:]:
                duplicates[c] = key
        return keys, duplicates


def _find_header(grid: _Grid, matcher: _Matcher) -> _Header | None:
    scan = min(HEADER_SCAN_ROWS, grid.height)
    texts = [[normalise_header(_header_text(v)) for v in row] for row in grid.rows[:scan + 1]]
    display = [[_header_text(v) for v in row] for row in grid.rows[:scan + 1]]
    origin = _merge_origins(grid, scan + 1)
    best: _Header | None = None

    def consider(header: _Header) -> None:
        # Higher score wins; on a tie a one-row header beats a pair, then the earlier row.
        nonlocal best
        if best is None or (header.score, -header.height) > (best.score, -best.height):
            best = header

    for r in range(scan):
        keys, dups = matcher.match([[t] for t in texts[r]])
        single = _Header(r, 1, display[r], keys, dups, len(keys))
        pair = None
        if r + 1 < len(texts):
            cands, names = _pair_names(r, texts, display, origin, grid.merged is None)
            keys2, dups2 = matcher.match(cands)
            if len(keys2) > len(keys):
                pair = _Header(r, 2, names, keys2, dups2, len(keys2))
        # A real two-row header beats its own top row; a title row merged
        # over a one-row header only ties with that header row, and loses.
        consider(pair if pair is not None else single)
    if best is None or best.score < 2:
        return None
    return best


def _merge_origins(grid: _Grid, rows: int) -> dict[tuple[int, int], tuple[int, int]]:
    """(r, c) → the top-left cell of the merged range holding it, in the first ``rows`` rows."""
    origin = {}
    for r0, c0, r1, c1 in grid.merged or ():
        if r0 >= rows:
            continue
        for r in range(r0, min(r1, rows - 1) + 1):
            for c in range(c0, c1 + 1):
                origin[(r, c)] = (r0, c0)
    return origin


_PARENT_SUFFIXES = ("基本信息", "信息", "情况")


def _pair_names(r, texts, display, origin, guess_merges):
    """Per column: the names to try for a header of rows r and r+1, and the display name."""
    width = len(texts[r])
    cands, names = [], []
    parent_t, parent_d = "", ""
    for c in range(width):
        top = origin.get((r, c))
        if top is not None and top[0] <= r:
            pt, pd_ = texts[top[0]][top[1]], display[top[0]][top[1]]
        elif guess_merges and not texts[r][c] and texts[r + 1][c] and c and texts[r + 1][c - 1]:
            # No merge information: a blank cell above a sub-header continues the parent.
            pt, pd_ = parent_t, parent_d
        else:
            pt, pd_ = texts[r][c], display[r][c]
        parent_t, parent_d = pt, pd_
        below = origin.get((r + 1, c))
        if below is not None and below[0] <= r:
            ct, cd = "", ""  # the lower half of a cell merged from above
        else:
            ct, cd = texts[r + 1][c], display[r + 1][c]
        if ct and pt and ct != pt:
            # National exports group columns under parents like 户主信息 over 姓名.
            bare = [pt[: -len(x)] + ct for x in _PARENT_SUFFIXES if pt.endswith(x) and pt != x]
            cands.append([pt + ct, *bare[:1], ct])
            names.append(pd_ + cd)
        elif ct:
            cands.append([ct])
            names.append(cd)
        else:
            cands.append([pt])
            names.append(pd_)
    return cands, names


def _header_text(value) -> str:
    if isinstance(value, str):
        # A line break inside a Chinese header ("家庭\n人口") joins without a space.
        value = _CJK_BREAK.sub("", value)
        return " ".join(value.split())
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    return ""


_CJK_BREAK = re.compile(r"(?<=[^\x00-\x7f])\s*\n\s*|\s*\n\s*(?=[^\x00-\x7f])")


def _read_schema_sheet(grid, spec, name, file, date1904, severity):
    issues: list[Issue] = []
    if grid.height == 0:
        issues.append(Issue(
            "empty_sheet", severity, file, name, "", None, "", "", f"工作表“{name}”是空的，没有表头和数据",
        ))
        return _empty_sheet(spec, name), issues
    matcher = _Matcher(spec)
    header = _find_header(grid, matcher)
    if header is None:
        expected = "".join(f"“{c.header}”" for c in spec.columns if c.required)
        issues.append(Issue(
            "header_not_found", ERROR, file, name, "", None, "", "",
            f"工作表“{name}”前 {HEADER_SCAN_ROWS} 行中找不到表头行（应包含{expected}等列名），无法读取该表",
        ))
        return _empty_sheet(spec, name), issues

    header_row = grid.top + header.first + 1
    data_top = header.first + header.height
    rows = grid.rows[data_top:]
    _fill_merged_down(rows, grid.merged, data_top)
    block = _block(rows, grid.width)
    first_excel_row = grid.top + data_top + 1

    # Which grid column feeds which frame column.
    found_by_key = {key: c for c, key in header.keys.items()}
    computed = {c.key for c in spec.computed_columns}
    taken = {c.key for c in spec.columns}
    extra_cols: list[tuple[int, str]] = []
    for c in range(grid.width):
        if c in header.keys:
            continue
        text = header.names[c]
        extra_cols.append((c, text))

    coerced: dict[int, Any] = {}
    for col in spec.columns:
        c = found_by_key.get(col.key)
        if c is not None:
            coerced[c] = coerce_column(block[:, c], col.type, date1904=date1904)
    for c, _text in extra_cols:
        coerced[c] = coerce_column(block[:, c], RAW)
    # Templates carry formulas in hundreds of prepared rows: a row whose only
    # values are computed columns holds nothing anyone entered.
    entered = [r for c, r in coerced.items() if header.keys.get(c) not in computed]
    keep = _keep_rows(entered, len(block))
    positions = np.flatnonzero(keep)
    index = pd.Index(first_excel_row + positions, dtype="int64", name="row")

    data: dict[str, Any] = {}
    columns: dict[str, str] = {}
    headers: dict[str, str] = {}
    changes: list[Change] = []
    failures: list[Change] = []
    for col in spec.columns:
        c = found_by_key.get(col.key)
        if c is None:
            data[col.key] = _empty_values(col.type, len(positions))
            continue
        letter = column_letter(grid.left + c)
        columns[col.key] = letter
        headers[col.key] = header.names[c]
        result = coerced[c]
        data[col.key] = _take(result.values, positions)
        _collect(result, block[:, c], keep, col, letter, first_excel_row, changes, failures)
    extras: list[str] = []
    for c, text in extra_cols:
        letter = column_letter(grid.left + c)
        result = coerced[c]
        if not text:
            if result.empty.to_numpy().all():
                continue
            text = f"列{letter}"
        label = _unique(text, letter, taken)
        extras.append(label)
        columns[label] = letter
        headers[label] = header.names[c]
        data[label] = _take(result.values, positions)
        if c in header.duplicates:
            key = header.duplicates[c]
            first = column_letter(grid.left + found_by_key[key])
            issues.append(Issue(
                "duplicate_column", WARNING, file, name, f"{letter}{header_row}", header_row,
                spec.column(key).header, text,
                f"工作表“{name}”中 {first} 列“{headers[key]}”和 {letter} 列“{text}”都对应"
                f"“{spec.column(key).header}”，已使用 {first} 列，{letter} 列作为附加列保留",
            ))
    frame = _frame(data, index)
    order = {key: found_by_key[key] for key in columns if key in found_by_key}
    changes.sort(key=lambda ch: (ch.row, order[ch.key]))
    failures.sort(key=lambda ch: (ch.row, order[ch.key]))

    found_names = [n for n in header.names if n]
    for col in spec.columns:
        if col.required and col.key not in found_by_key:
            also = f"（也可用列名：{'、'.join(col.synonyms)}）" if col.synonyms else ""
            issues.append(Issue(
                "missing_column", ERROR, file, name, "", None, col.header, "",
                f"工作表“{name}”缺少必填列“{col.header}”{also}。第 {header_row} 行找到的列：{_listing(found_names)}",
            ))
    data_sheet = SheetData(
        spec=spec, name=name, header_row=header_row, frame=frame, columns=columns,
        extras=extras, changes=changes, rows_read=len(positions), failures=failures,
        header_rows=header.height, headers=headers,
    )
    return data_sheet, issues


def _collect(result, raw, keep, col, letter, first_excel_row, changes, failures) -> None:
    changed = np.flatnonzero(result.changed.to_numpy() & keep)
    if len(changed):
        rows = (first_excel_row + changed).tolist()
        values = result.values.iloc[changed].tolist()
        changes.extend(map(
            Change, [f"{letter}{r}" for r in rows], repeat(col.header), raw[changed].tolist(),
            values, repeat(col.key), rows,
        ))
    failed = np.flatnonzero(result.failed.to_numpy() & keep)
    if len(failed):
        rows = (first_excel_row + failed).tolist()
        failures.extend(map(
            Change, [f"{letter}{r}" for r in rows], repeat(col.header), raw[failed].tolist(),
            repeat(None), repeat(col.key), rows,
        ))


def _fill_merged_down(rows: list[list], merged, data_top: int) -> None:
    """Give a vertically merged cell's value to every row it spans (as the user sees it).

    A row that holds nothing else stays empty: a merged cell reaching into a
    blank row is layout, not a record.
    """
    for r0, c0, r1, _c1 in merged or ():
        if r0 < data_top or r1 == r0:
            continue
        value = rows[r0 - data_top][c0]
        for r in range(r0 + 1, r1 + 1):
            row = rows[r - data_top]
            if row[c0] == "" and not all(is_blank(v) for v in row):
                row[c0] = value


def _take(values: pd.Series, positions: np.ndarray):
    """The values at ``positions`` as a bare array (no index to align)."""
    if isinstance(values.dtype, np.dtype):
        array = values.to_numpy()
        return array if len(positions) == len(array) else array[positions]
    return values.array[positions]


def _frame(data: dict[str, Any], index: pd.Index) -> pd.DataFrame:
    """A frame whose object columns stay object (pandas 3 would infer its str dtype)."""
    columns = {
        name: pd.Series(values, index=index, dtype=object, copy=False)
        if isinstance(values, np.ndarray) and values.dtype == object
        else pd.Series(values, index=index, copy=False)
        for name, values in data.items()
    }
    return pd.DataFrame(columns, index=index, copy=False)


def _block(rows: list[list], width: int) -> np.ndarray:
    if not rows:
        return np.empty((0, width), dtype=object)
    block = np.empty((len(rows), width), dtype=object)
    block[:] = rows
    return block


def _keep_rows(coerced, n: int) -> np.ndarray:
    blank = np.ones(n, dtype=bool)
    for result in coerced:
        blank &= result.empty.to_numpy()
    return ~blank


def _unique(text: str, letter: str, taken: set[str]) -> str:
    label = text if text not in taken else f"{text}（{letter}列）"
    taken.add(label)
    return label


def _empty_values(kind: str, n: int):
    if kind == MONEY:
        return np.full(n, np.nan)
    if kind == INTEGER:
        return pd.array([pd.NA] * n, dtype="Int64")
    if kind in (DATE, MONTH):
        return np.full(n, np.datetime64("NaT", "ns"))
    return np.full(n, None, dtype=object)


def _empty_sheet(spec: Sheet, name: str) -> SheetData:
    frame = pd.DataFrame(
        {c.key: _empty_values(c.type, 0) for c in spec.columns},
        index=pd.Index([], dtype="int64", name="row"),
    )
    return SheetData(spec, name, 0, frame, {}, [], [], 0)


# --- 参数 sheet ---------------------------------------------------------------


def _policy_from_grid(grid: _Grid, date1904: bool) -> dict[str, Any] | None:
    key_text = normalise_header(POLICY_KEY_HEADER)
    value_text = normalise_header(POLICY_VALUE_HEADER)
    for r, row in enumerate(grid.rows[:HEADER_SCAN_ROWS]):
        texts = [normalise_header(_header_text(v)) for v in row]
        if key_text in texts and value_text in texts:
            key_col, value_col = texts.index(key_text), texts.index(value_text)
            header = r
            break
    else:
        return None
    values: dict[str, Any] = {}
    for row in grid.rows[header + 1:]:
        key = row[key_col]
        key = _header_text(key) if not isinstance(key, str) else key.strip()
        if not key:
            continue
        value = row[value_col]
        if key in POLICY_DATE_KEYS:
            parsed = coerce_column([value], DATE, date1904=date1904)
            if not parsed.failed.iloc[0] and not parsed.empty.iloc[0]:
                value = parsed.values.iloc[0].date()
        values[key] = _plain(value)
    return values


def _plain(value):
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# --- small helpers ----------------------------------------------------------


def _no_space(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _listing(names) -> str:
    names = [f"“{n}”" for n in names if n]
    return "、".join(names) if names else "（无）"
