"""The one reader of township workbooks (validate, merge and the Excel scripts call it).

A file passes :func:`guard.check_file` first (calamine aborts the process on
zip bombs, so nothing reaches it unchecked), then its cells come from
:mod:`sources` (calamine, else openpyxl); an open Excel book's values come
through ``read_values``. Sheets and header rows are found by :mod:`headers`.

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
  (the frame holds NA; the caller reports 类型不符 with the original). Input
  columns only: a computed column is what its formula (or a program) put
  there, not what anyone typed.
* ``shown`` — the computed columns as the file shows them (the cached values
  of their formulas, as read: numbers, dates, text, None where blank), so
  validate can compare what the sheet displays with what the rules give.

How a sheet is read, once found:

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

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from ..issues import ERROR, WARNING, Issue
from ..schema import (
    CALENDAR_SHEET,
    DATE,
    INSTRUCTIONS_SHEET,
    INTEGER,
    ISSUES_SHEET,
    MONEY,
    MONTH,
    POLICY_SHEET,
    SHEETS,
    Sheet,
)
from ..text import cell_text, column_letter, per_distinct, shown_path, type_mask
from .coerce import RAW, coerce_column, is_blank
from .guard import (
    Limits,
    check_file,
    fail,
)
from .headers import (
    HEADER_SCAN_ROWS,
    Matcher,
    find_header,
    find_sheet,
    header_text,
    no_space,
    normalise_header,
)
from .sources import FileBook, Grid, ValuesBook, read_date1904, values_grid

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
    #: Computed column key → its cells as the file shows them (object, None where blank).
    shown: dict[str, pd.Series] = field(default_factory=dict)

    def cell(self, key: str, row: int) -> str:
        """A1 address of column ``key`` in Excel row ``row`` ("" if the column is absent)."""
        letter = self.columns.get(key)
        return f"{letter}{row}" if letter else ""

    def with_failures(self, frame: pd.DataFrame | None = None) -> pd.DataFrame:
        """``frame`` (default: the whole sheet) with what was typed put back, as text, where
        the reader found no value of the column's type (a formula sees that text too)."""
        frame = (self.frame if frame is None else frame).copy()
        if not self.failures or not len(frame):
            return frame
        present = set(frame.index)
        by_key: dict[str, list[Change]] = {}
        for change in self.failures:
            if change.row in present and change.key in frame.columns:
                by_key.setdefault(change.key, []).append(change)
        for key, changes in by_key.items():
            values = frame[key].astype(object)
            values = values.where(values.notna(), None)
            for change in changes:
                original = change.original
                values.at[change.row] = original if isinstance(original, str) else cell_text(original)
            frame[key] = values
        return frame


class OtherRow(NamedTuple):
    """A non-empty row of a sheet the reader does not recognise."""

    row: int
    #: Its cells as text, "；"-joined, at most ``OTHER_CONTENT`` characters.
    content: str


#: Characters of an unrecognised row kept (for 未入库).
OTHER_CONTENT = 400
#: Sheets the template, the annotated copy and the Excel scripts make: not data.
OWN_SHEETS = (INSTRUCTIONS_SHEET, POLICY_SHEET, CALENDAR_SHEET, ISSUES_SHEET)
OWN_SHEET_PREFIXES = ("公示-",)


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
    #: 参数 key → the A1 address of its value cell (where the 参数 sheet was read).
    policy_cells: dict[str, str] = field(default_factory=dict)
    #: The 参数 sheet's name in this workbook ("" when it has none).
    policy_sheet: str = ""
    #: Sheets that are neither data sheets nor the template's own (说明, 参数, 日历 …):
    #: name → their non-empty rows, so that no row of a workbook goes uncounted.
    other_sheets: dict[str, list[OtherRow]] = field(default_factory=dict)

    @property
    def file(self) -> str:
        """The file name as it can be shown (see ``text.shown_path``)."""
        return shown_path(self.path.name)


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
    with FileBook(path, fmt) as book:
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
    book = ValuesBook(sheets, merged or {})
    return _read_book(book, Path(file), "values", date1904, schema_sheets, read_policy)


def sheet_from_values(
    rows: Sequence[Sequence[Any]], spec: Sheet, *, name: str = "", file: str = "本工作簿",
    date1904: bool = False,
) -> tuple[SheetData, list[Issue]]:
    """One table of values (a header row, then data) read as the schema sheet ``spec``.

    Headers are matched by the schema's names and synonyms, exactly as a
    sheet of a workbook is (title rows above the header are skipped).
    """
    return _read_schema_sheet(values_grid(rows), spec, name or spec.name, file, date1904, WARNING)


def policy_values_from_rows(rows: Sequence[Sequence[Any]], *, date1904: bool = False,
                            ) -> dict[str, Any] | None:
    """{policy key: value} from a 参数 table handed over as values (an Excel range).

    The rows are read exactly like a workbook's 参数 sheet: the header row holding
    “键” and “值” is found among the first rows (a title above it is skipped), then
    every row with a key gives its value. None when there is no such header row.
    """
    read = _policy_from_grid(values_grid(rows), date1904)
    return None if read is None else read[0]


def read_table(path, spec: Sheet, *, limits: Limits | None = None) -> tuple[SheetData, list[Issue]]:
    """A department export (.xlsx, .xlsm, .xls or .csv) read as the schema sheet ``spec``.

    Headers are matched as on a township sheet (title rows skipped, synonyms,
    units in brackets). A workbook's sheets are tried in order and the first
    that yields the header with every required column is taken; when none
    does, the result and issues of the first sheet holding anything are
    returned so the caller can say why. A .csv is decoded by
    ``csvfile.read_csv_rows`` and read as the sheet named after the file.
    Raises InputError when the file cannot be read at all.
    """
    from .csvfile import read_csv_rows

    path = Path(path)
    if path.suffix.lower() == ".csv":
        return sheet_from_values(read_csv_rows(path, limits), spec, name=shown_path(path.stem),
                                 file=shown_path(path.name))
    fmt = check_file(path, limits)
    date1904 = read_date1904(path) if fmt != "xls" else False
    first: tuple[SheetData, list[Issue]] | None = None
    with FileBook(path, fmt) as book:
        for name in book.sheet_names:
            grid = book.grid(name)
            if not grid.height:
                continue
            data, issues = _read_schema_sheet(grid, spec, name, shown_path(path.name), date1904, ERROR)
            if not any(found.is_error for found in issues):
                return data, issues
            first = first or (data, issues)
    if first is None:
        raise fail(path, "工作簿中没有任何数据")
    return first


def _read_book(book, path: Path, fmt: str, date1904: bool, sheets: tuple[Sheet, ...],
               read_policy: bool) -> WorkbookData:
    file = shown_path(path.name)
    issues: list[Issue] = []
    result: dict[str, SheetData] = {}
    policy_values: dict[str, Any] | None = None
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
            book.grid(found), spec, found, file, date1904, severity, xls=fmt == "xls",
        )
        result[spec.key] = data
        issues.extend(sheet_issues)
    policy_cells: dict[str, str] = {}
    policy_sheet = ""
    if read_policy:
        found = find_sheet((POLICY_SHEET,), names)
        if found is not None:
            policy_sheet = found
            read = _policy_from_grid(book.grid(found), date1904)
            if read is None:
                policy_values = {}
                issues.append(Issue(
                    "policy_header_missing", WARNING, file, found, "", None, "", "",
                    f"工作表“{found}”中找不到“键”“参数”“值”表头行，未能读取本工作簿的参数",
                ))
            else:
                policy_values, policy_cells = read
    claimed = {sd.name for sd in result.values()} | {policy_sheet}
    others = {}
    for name in names:
        if name in claimed or no_space(name) in OWN_SHEETS or name.startswith(OWN_SHEET_PREFIXES):
            continue
        rows = _other_rows(book.grid(name))
        if rows:
            others[name] = rows
    return WorkbookData(path, fmt, list(names), result, policy_values, issues, date1904,
                        policy_cells, policy_sheet, others)


def _other_rows(grid: Grid) -> list[OtherRow]:
    out = []
    for r, row in enumerate(grid.rows):
        texts = [cell_text(v).strip() for v in row if not is_blank(v)]
        texts = [t for t in texts if t]
        if texts:
            content = "；".join(texts)
            if len(content) > OTHER_CONTENT:
                content = content[:OTHER_CONTENT] + "…"
            out.append(OtherRow(grid.top + r + 1, content))
    return out


def read_policy_values(path, *, limits: Limits | None = None) -> dict[str, Any] | None:
    """{policy key: value} from the 参数 sheet; None when the workbook has none.

    A 参数 sheet without its 键/值 header row gives {}.
    """
    path = Path(path)
    fmt = check_file(path, limits)
    date1904 = read_date1904(path) if fmt != "xls" else False
    with FileBook(path, fmt) as book:
        found = find_sheet((POLICY_SHEET,), book.sheet_names)
        if found is None:
            return None
        read = _policy_from_grid(book.grid(found), date1904)
    return {} if read is None else read[0]


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
    with FileBook(path, fmt) as book:
        names = book.sheet_names
        grid: Grid | None = None
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
    assert grid is not None  # every branch above found a sheet or raised
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
    texts = [header_text(v) for v in grid.rows[header]]
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




# --- schema sheets ----------------------------------------------------------


def _read_schema_sheet(grid, spec, name, file, date1904, severity, *, xls: bool = False):
    issues: list[Issue] = []
    if grid.height == 0:
        issues.append(Issue(
            "empty_sheet", severity, file, name, "", None, "", "", f"工作表“{name}”是空的，没有表头和数据",
        ))
        return _empty_sheet(spec, name), issues
    matcher = Matcher(spec)
    header = find_header(grid, matcher)
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
        position = found_by_key.get(col.key)
        if position is not None:
            coerced[position] = coerce_column(block[:, position], col.type, date1904=date1904)
    for c, _text in extra_cols:
        coerced[c] = coerce_column(block[:, c], RAW)
    # Templates carry formulas in hundreds of prepared rows, showing "" (or a county's
    # own formulas 0) where nothing was entered: such a row holds no data. A computed
    # cell holding anything else (a value typed over the formula) keeps its row.
    entered = [r for c, r in coerced.items() if header.keys.get(c) not in computed]
    keep = _keep_rows(entered, len(block))
    for c, key in header.keys.items():
        if key in computed:
            keep |= _typed_over_formula(block[:, c])
    positions = np.flatnonzero(keep)
    index = pd.Index(first_excel_row + positions, dtype="int64", name="row")

    data: dict[str, Any] = {}
    columns: dict[str, str] = {}
    headers: dict[str, str] = {}
    changes: list[Change] = []
    failures: list[Change] = []
    shown: dict[str, pd.Series] = {}
    for col in spec.columns:
        position = found_by_key.get(col.key)
        if position is None:
            data[col.key] = _empty_values(col.type, len(positions))
            continue
        letter = column_letter(grid.left + position)
        columns[col.key] = letter
        headers[col.key] = header.names[position]
        result = coerced[position]
        data[col.key] = _take(result.values, positions)
        if col.key in computed:
            # A computed column holds what its formula shows (未回访, 超出日历范围, a note), nothing
            # entered: kept as shown for display_mismatch, never coerced.
            cells = block[positions, position].copy() if len(block) else np.empty(0, dtype=object)
            nothing = result.empty.to_numpy(dtype=bool)[positions] | _shows_nothing(cells)
            if xls:
                # LibreOffice saves a formula's "" as the number 0 in .xls (calamine would read
                # Excel's own empty result as ""): a 0 there may be either, so it is not compared.
                nothing |= _is_zero(cells)
            cells[nothing] = None
            shown[col.key] = pd.Series(cells, index=index, dtype=object)
        else:
            _collect(result, block[:, position], keep, col, letter, first_excel_row, changes, failures)
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
        header_rows=header.height, headers=headers, shown=shown,
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


#: The dates a zero serial reads as: 1899-12-30 (day 0 of the 1900 system as Python counts it)
#: and 1899-12-31 (Excel's own 1900-01-00, which some readers return instead).
_ZERO_DATES = (dt.date(1899, 12, 30), dt.date(1899, 12, 31))
_MIDNIGHT = dt.time(0, 0)


def _shows_nothing(raw: np.ndarray) -> np.ndarray:
    """Cells of a computed column that show nothing a person entered: blank, or a zero date.

    A prepared row's formula gives "" until its row is filled. Excel and the .xlsx keep that
    "", but a workbook saved as .xls by LibreOffice or WPS stores the empty result of a
    date-formatted formula as the number 0, which python-calamine returns as the time
    00:00 (or as the zero date): read as a value, every prepared row of 监测户 and 救助
    would become a row of data with its required cells missing. No formula of ours gives
    a date at midnight of day 0, so such a cell is blank here (computed columns only:
    an input cell holding 0 in a date column is the township's mistake, reported by coerce).
    """
    raw = np.asarray(raw, dtype=object)
    out = pd.isna(raw)  # None, NaN, NaT
    rest = np.flatnonzero(~out)
    if len(rest):  # dates repeat: each distinct value is looked at once
        out[rest] = per_distinct(raw[rest], _nothing, dtype=bool)
    return out


def _nothing(value) -> bool:
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, dt.datetime):
        return value.time() == _MIDNIGHT and value.date() in _ZERO_DATES
    if isinstance(value, dt.date):
        return value in _ZERO_DATES
    return (isinstance(value, dt.time) and value == _MIDNIGHT) or value is pd.NA


def _is_zero(raw: np.ndarray) -> np.ndarray:
    raw = np.asarray(raw, dtype=object)
    out = np.zeros(len(raw), dtype=bool)
    real = type_mask(raw, int, float, exclude=(bool,))
    if real.any():
        out[real] = raw[real].astype(np.float64) == 0
    return out


def _typed_over_formula(raw: np.ndarray) -> np.ndarray:
    """Cells of a computed column holding something other than blank, a zero date or 0."""
    return ~_shows_nothing(raw) & ~_is_zero(raw)


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


def _policy_from_grid(grid: Grid, date1904: bool) -> tuple[dict[str, Any], dict[str, str]] | None:
    """({key: value}, {key: A1 address of the value}) of a 参数 sheet; None without its header row."""
    key_text = normalise_header(POLICY_KEY_HEADER)
    value_text = normalise_header(POLICY_VALUE_HEADER)
    for r, row in enumerate(grid.rows[:HEADER_SCAN_ROWS]):
        texts = [normalise_header(header_text(v)) for v in row]
        if key_text in texts and value_text in texts:
            key_col, value_col = texts.index(key_text), texts.index(value_text)
            header = r
            break
    else:
        return None
    values: dict[str, Any] = {}
    cells: dict[str, str] = {}
    letter = column_letter(grid.left + value_col)
    for r, row in enumerate(grid.rows[header + 1:], start=header + 1):
        key = row[key_col]
        key = header_text(key) if not isinstance(key, str) else key.strip()
        if not key:
            continue
        value = row[value_col]
        if key in POLICY_DATE_KEYS:
            parsed = coerce_column([value], DATE, date1904=date1904)
            if not parsed.failed.iloc[0] and not parsed.empty.iloc[0]:
                value = parsed.values.iloc[0].date()
        values[key] = _plain(value)
        cells[key] = f"{letter}{grid.top + r + 1}"
    return values, cells


def _plain(value):
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value



# --- small helpers ----------------------------------------------------------


def _listing(names) -> str:
    names = [f"“{n}”" for n in names if n]
    return "、".join(names) if names else "（无）"
