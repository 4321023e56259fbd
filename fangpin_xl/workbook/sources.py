"""Where a workbook's cells come from: a file (calamine, else openpyxl) or values handed over.

Cell values come from python-calamine (fast, and it reads .xlsx, .xlsm and
.xls). When calamine cannot read an .xlsx/.xlsm that openpyxl can (macro
sheets, LibreOffice 5 range quirks), the file is read again with openpyxl in
read-only mode, through defusedxml, with the declared dimensions ignored.
Values handed over by an open Excel book (xlwings) become the same ``Grid``.
Every source gives a sheet as a ``Grid``: the used range, its position and
its merged ranges.
"""

from __future__ import annotations

import warnings
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import FangpinError, InputError, os_reason
from .coerce import is_blank
from .guard import CORRUPT_MESSAGE, ENCRYPTED_MESSAGE, EXTENSIONS, RESAVE_HINT, fail


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


@dataclass
class Grid:
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


class FileBook:
    """An open workbook; translates every reader exception into InputError."""

    def __init__(self, path: Path, fmt: str):
        self.path = path
        self.fmt = fmt
        self._cal: Any = None  # python_calamine.CalamineWorkbook, imported lazily
        self._opx: Any = None  # openpyxl Workbook, only when calamine cannot read the file
        self._fh: Any = None
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
            self.sheet_names = list(self._fall_back(exc).sheetnames)

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

    def grid(self, name: str) -> Grid:
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

    def _fall_back(self, exc: Exception) -> Any:
        """Open the file with openpyxl (once) and return that workbook, or raise what calamine said."""
        if self._opx is not None:
            return self._opx
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
        return self._opx


class ValuesBook:
    """Sheets handed over as values (from A1), read like a file's sheets."""

    def __init__(self, sheets: Mapping[str, Sequence[Sequence[Any]]],
                 merged: Mapping[str, Sequence[tuple[int, int, int, int]]]):
        self.sheet_names = [str(name) for name in sheets]
        self._sheets = {str(name): rows for name, rows in sheets.items()}
        self._merged = {str(name): list(ranges) for name, ranges in merged.items()}

    def grid(self, name: str) -> Grid:
        return values_grid(self._sheets[name], self._merged.get(name))


def values_grid(rows: Sequence[Sequence[Any]],
                 merged: Sequence[tuple[int, int, int, int]] | None = None) -> Grid:
    """The used range of A1-based values, as calamine gives it: empty cells "", trimmed."""
    table = [["" if v is None else v for v in row] for row in rows]
    filled = [i for i, row in enumerate(table) if any(not is_blank(v) for v in row)]
    if not filled:
        return Grid([])
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
    return Grid(table, top, left, ranges)


def _container(ext: str) -> str:
    return _container_of(EXTENSIONS.get(ext, ""))


def _container_of(fmt: str) -> str:
    return "ole" if fmt == "xls" else "zip"


def _calamine_grid(sheet) -> Grid:
    start = sheet.start
    if start is None:
        return Grid([])
    rows = sheet.to_python(skip_empty_area=True)
    if not rows or not rows[0]:
        return Grid([])
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
    return Grid(rows, top, left, merged)


def _openpyxl_grid(ws) -> Grid:
    if not hasattr(ws, "iter_rows"):  # a chartsheet
        return Grid([])
    if hasattr(ws, "reset_dimensions"):
        # Read-only worksheets trust <dimension>, which lies in real files.
        ws.reset_dimensions()
    rows = [["" if v is None else v for v in row] for row in ws.iter_rows(values_only=True)]
    used = [i for i, row in enumerate(rows) if any(v != "" for v in row)]
    if not used:
        return Grid([])
    rows = rows[used[0]:used[-1] + 1]
    cols = [c for row in rows for c, v in enumerate(row) if v != ""]
    left, right = min(cols), max(cols)
    rows = [(row + [""] * (right + 1 - len(row)))[left:right + 1] for row in rows]
    return Grid(rows, used[0], left, None)


def _translate(path: Path, exc: BaseException) -> InputError:
    """A reader's exception as the InputError a user sees."""
    if isinstance(exc, FangpinError):
        return exc if isinstance(exc, InputError) else InputError(str(exc))
    kind = type(exc).__name__
    if kind == "PasswordError":
        return fail(path, ENCRYPTED_MESSAGE)
    if isinstance(exc, OSError) and exc.errno:
        return fail(path, f"无法读取文件，{os_reason(exc)}")
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
