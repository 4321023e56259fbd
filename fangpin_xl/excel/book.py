"""An open Excel book, through the xlwings Book API, read and written by the button scripts.

No xlwings import here: the functions take any object with the xlwings
``Book`` interface — desktop Excel through COM (``xw.Book.caller()``), the
Office.js book of xlwings Server or Lite (``xw.Book(json=...)``). They use
only the parts of that interface every engine has: sheet values, cell colour,
values and formulas, hyperlinks, column widths, adding and clearing sheets.

Reading gives the same ``WorkbookData`` as reading the saved file, so the
checks see what ``fangpin-xl validate`` sees. Merged cells are not handed over
by Office.js; the reader then recognises two-row headers by their layout.

Writing keeps township text as text: a value starting with = + - @ is written
with Excel's text prefix ' so no formula (or DDE call) is ever made of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ..schema import SHEETS
from ..workbook.read import WorkbookData, read_values
from .cells import grid

#: Fills: Excel's own "bad" (light red) and "neutral" (light yellow) styles, as annotate uses.
ERROR_COLOR = "#FFC7CE"
WARNING_COLOR = "#FFEB9C"
#: The template's fill of a computed column (what a marked cell goes back to).
COMPUTED_COLOR = "#F2F2F2"
#: Cells coloured at most per run; the 问题 sheet lists every issue.
MAX_COLORED = 2000
_FORMULA_START = ("=", "+", "-", "@")


def sheet_values(sheet: Any) -> list[list]:
    """A sheet's values from A1 to its last used cell, as plain Python values (None for empty)."""
    try:
        last = sheet.used_range.last_cell
        rows, columns = int(last.row), int(last.column)
    except Exception:  # noqa: BLE001 - an empty sheet has no used range on some engines
        return []
    if rows < 1 or columns < 1:
        return []
    values = sheet.range((1, 1), (rows, columns)).options(ndim=2).value
    return grid(values).tolist()


def read_book(book: Any) -> WorkbookData:
    """The open book as the reader reads a file (file name = the book's name)."""
    values = {sheet.name: sheet_values(sheet) for sheet in book.sheets}
    return read_values(values, file=book.name)


def find_or_add_sheet(book: Any, name: str) -> Any:
    """The sheet called ``name`` (Excel ignores case in sheet names), emptied, or a new one
    after the last sheet."""
    names = [sheet.name for sheet in book.sheets]
    same = [n for n in names if n.casefold() == name.casefold()]
    if same:
        sheet = book.sheets[same[0]]
        sheet.clear()
        return sheet
    return book.sheets.add(name, after=book.sheets[len(names) - 1])


def as_text_safe(value: Any) -> Any:
    """A value to write: text that Excel would take for a formula gets the text prefix '."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_rows(sheet: Any, top_left: str, rows: Sequence[Sequence[Any]]) -> None:
    if rows:
        sheet[top_left].value = [[as_text_safe(v) for v in row] for row in rows]


def color_cells(book: Any, cells: Iterable[tuple[str, str, str | None]]) -> int:
    """Give each (sheet, A1 cell, colour) its fill (None: no fill); return how many were set."""
    names = {sheet.name for sheet in book.sheets}
    done = 0
    for sheet_name, cell, color in cells:
        if sheet_name in names and cell:
            book.sheets[sheet_name][cell].color = color
            done += 1
    return done


def computed_letters(data: WorkbookData) -> dict[str, set[str]]:
    """Sheet name → the column letters of computed columns (their own grey fill)."""
    out: dict[str, set[str]] = {}
    for spec in SHEETS:
        sd = data.sheets.get(spec.key)
        if sd is not None:
            out[sd.name] = {sd.columns[c.key] for c in spec.computed_columns if c.key in sd.columns}
    return out
