"""An annotated copy of a workbook: problem cells filled and commented, plus a 问题 sheet.

The copy is made with openpyxl (the only place that edits an existing
workbook; macros kept for .xlsm) and written atomically into ``out_dir``.
The input file is only ever read. A copy that would land on the input itself
gets the name ``<名称>_标注.xlsx``.

openpyxl cannot open .xls files; for those only the 问题 sheet is written, to
``<名称>_问题.xlsx`` (``annotation_note`` says so in Chinese).

Both carry the mark every output of this tool carries (``workbook.made``): the
copy is a 标注副本, the list alone a 问题清单. validate and merge then know them
in a folder of township workbooks (``workbook.discover``), and an existing file
in the way is replaced only when it is an earlier one of the same kind; any
other file keeps its name and the copy gets (2), (3) ….
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import warnings
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from .errors import InputError
from .files import atomic_output
from .issues import ERROR, ISSUE_HEADERS, SEVERITY_LABELS, Issue
from .schema import ISSUES_SHEET
from .text import fit_cell, shorten, shown_path
from .workbook.made import ANNOTATED_COPY, ISSUE_LIST, MARK, made_as

#: Fills: Excel's own "bad" (light red) and "neutral" (light yellow) cell styles.
ERROR_FILL = "FFC7CE"
WARNING_FILL = "FFEB9C"
HEADER_FILL = "DDEBF7"
COMMENT_AUTHOR = "fangpin-xl"
ANNOTATED_SUFFIX = "_标注"
ISSUES_ONLY_SUFFIX = "_问题"
_WIDTHS = {"级别": 6, "问题": 18, "文件": 18, "工作表": 10, "单元格": 8, "行": 7, "列": 16, "值": 20,
           "说明": 80, "代码": 12}
_MAX_COMMENT_CHARS = 2000
#: Uncompressed worksheet XML above which no annotated copy is made (the issue list is).
MAX_ANNOTATE_BYTES = 64 * 1024 * 1024


class TooLarge(Exception):
    """The workbook was too large to annotate; ``written`` is the issue list written instead."""

    def __init__(self, written: Path, size: int):
        super().__init__(str(written))
        self.written = written
        self.size = size


def _sheet_bytes(path: Path) -> int:
    try:
        with zipfile.ZipFile(path) as zf:
            return sum(i.file_size for i in zf.infolist() if "worksheets/" in i.filename)
    except (zipfile.BadZipFile, OSError):
        return 0


def output_path(source: str | Path, out_dir: str | Path, avoid: Iterable[Path] = (), *,
                issues_only: bool = False) -> Path:
    """Where ``annotate_workbook`` writes the copy of ``source`` (``issues_only``: the list alone).

    Never a file in ``avoid`` (the command's inputs and the copies already
    written), never ``source`` itself, never an existing file that is not an
    earlier output of the same kind: the name then gets (2), (3) …
    """
    source = Path(source)
    out_dir = Path(out_dir)
    kind = ISSUE_LIST if issues_only or _is_xls(source) else ANNOTATED_COPY
    if kind == ISSUE_LIST:
        stem, suffix = f"{source.stem}{ISSUES_ONLY_SUFFIX}", ".xlsx"
    elif _same_dir(out_dir, source.parent):
        stem, suffix = f"{source.stem}{ANNOTATED_SUFFIX}", source.suffix
    else:
        stem, suffix = source.stem, source.suffix
    taken = {_real(p) for p in (*avoid, source)}
    target = out_dir / f"{stem}{suffix}"
    n = 2
    while _real(target) in taken or (target.exists() and made_as(target) != kind):
        target = out_dir / f"{stem}({n}){suffix}"
        n += 1
    return target


def _real(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return Path(os.path.abspath(path))


def annotation_note(source: str | Path, written: str | Path) -> str:
    """A Chinese sentence telling the user what was written."""
    source, written = Path(source), Path(written)
    if _is_xls(source):  # the list alone, whatever (n) its name got
        return (f"{shown_path(source.name)} 是 .xls 格式，无法在原表上标注；问题清单已另存为 "
                f"{shown_path(written)}（如需标注，请先另存为 .xlsx）。")
    return (f"已生成标注副本 {shown_path(written)}（红色为错误，黄色为提醒，问题清单见“{ISSUES_SHEET}”"
            "工作表）。")


def too_large_note(source: str | Path, error: TooLarge) -> str:
    return (f"{shown_path(Path(source).name)} 的单元格太多（工作表解压后约 {error.size // (1024 * 1024)} MB），"
            f"为免占用过多内存，没有生成标注副本；问题清单已另存为 {shown_path(error.written)}。")


def annotate_workbook(source: str | Path, issues: Iterable[Issue], out_dir: str | Path, *,
                      avoid: Iterable[Path] = (), limit_bytes: int = MAX_ANNOTATE_BYTES,
                      layout: Mapping[str, tuple[int, int]] | None = None) -> Path:
    """Write an annotated copy of ``source`` into ``out_dir`` and return its path.

    ``issues`` are this workbook's issues (others, by file name, are ignored).
    Each problem cell gets a red (error) or yellow (warning) fill and a comment
    with its messages; a 问题 sheet lists every issue with a link to its cell.
    ``layout`` (sheet name → (last header row, last data row), as the reader
    found them) makes those sheets print their filled rows on A4 with the
    headers on every page (``workbook.write.page_setup``'s rules); the 问题
    sheet always does. Raises InputError when the workbook cannot be opened.
    """
    source = Path(source)
    if not source.is_file():
        raise InputError(f"找不到文件 {source}。")
    mine = [i for i in issues if not i.file or i.file == source.name]
    avoid = list(avoid)
    target = output_path(source, out_dir, avoid)
    if _is_xls(source):
        return _write_issues_only(target, mine)
    size = _sheet_bytes(source)
    if size > limit_bytes:
        # openpyxl holds every cell (styled empty ones too) in memory, about 100 times the
        # XML: such a copy could take minutes and many GB. The issue list is written instead.
        raise TooLarge(_write_issues_only(output_path(source, out_dir, avoid, issues_only=True), mine), size)

    import openpyxl

    keep_vba = source.suffix.lower() == ".xlsm"
    try:
        with warnings.catch_warnings():
            # "Data Validation extension is not supported": the copy loses cross-sheet
            # drop-downs, which an annotated copy does not need.
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(source, keep_vba=keep_vba, rich_text=True)
    except MemoryError:
        raise TooLarge(_write_issues_only(output_path(source, out_dir, avoid, issues_only=True), mine),
                       size) from None
    except Exception as exc:  # noqa: BLE001 - any reader failure is the user's file
        raise InputError(
            f"{source.name}：无法打开该工作簿进行标注（{type(exc).__name__}），"
            "请用 Excel 或 WPS 打开后另存为 .xlsx 再试。"
        ) from None
    _mark_cells(wb, mine)
    _issues_sheet(wb, mine)
    _mark_as(wb, ANNOTATED_COPY)
    for name, (header_last, last_row) in (layout or {}).items():
        if name in wb.sheetnames:
            _print_setup(wb[name], header_last, last_row, signature=True)
    with atomic_output(target) as tmp, _quiet_generators():
        wb.save(tmp)
    wb.close()
    return target


@contextlib.contextmanager
def _quiet_generators() -> Iterator[None]:
    """openpyxl leaves its XML writer generators open when a write fails (disk full);
    Python would print their tracebacks when collecting them. They are finalised here,
    the failure itself reaching the user as a Chinese message."""
    previous = sys.unraisablehook
    sys.unraisablehook = lambda _unraisable: None
    try:
        yield
    finally:
        gc.collect()
        sys.unraisablehook = previous


def _is_xls(path: Path) -> bool:
    if path.suffix.lower() == ".xls":
        return True
    try:
        with open(path, "rb") as fh:
            return fh.read(8) == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    except OSError:
        return False


def _same_dir(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def _mark_cells(wb, issues: list[Issue]) -> None:
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    fills = {sev: PatternFill("solid", start_color=color, end_color=color)
             for sev, color in ((ERROR, ERROR_FILL), ("warning", WARNING_FILL))}
    by_cell: dict[tuple[str, str], list[Issue]] = {}
    for issue in issues:
        if issue.sheet in wb.sheetnames and issue.cell:
            by_cell.setdefault((issue.sheet, issue.cell), []).append(issue)
    for (sheet, cell), found in by_cell.items():
        ws = wb[sheet]
        try:
            target = ws[cell]
        except (ValueError, KeyError, IndexError):
            continue
        if isinstance(target, tuple):  # a range, not one cell
            continue
        severity = ERROR if any(i.is_error for i in found) else "warning"
        if type(target).__name__ == "MergedCell":
            continue
        target.fill = fills[severity]
        lines = [f"{SEVERITY_LABELS[i.severity]}：{i.message}" for i in found]
        text = "\n".join(dict.fromkeys(lines))
        if target.comment is not None and target.comment.text:
            text = f"{target.comment.text}\n—— {COMMENT_AUTHOR} ——\n{text}"
        text = shorten(text, _MAX_COMMENT_CHARS)
        comment = Comment(text, COMMENT_AUTHOR)
        comment.width = 360
        comment.height = min(60 + 40 * len(lines), 400)
        target.comment = comment


def _fill_issues_sheet(ws, issues: list[Issue], sheetnames: list[str]) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.hyperlink import Hyperlink

    ws.append(list(ISSUE_HEADERS))
    header_fill = PatternFill("solid", start_color=HEADER_FILL, end_color=HEADER_FILL)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = header_fill
    link_font = Font(color="0563C1", underline="single")
    cell_col = ISSUE_HEADERS.index("单元格") + 1
    fills = {ERROR: PatternFill("solid", start_color=ERROR_FILL, end_color=ERROR_FILL),
             "warning": PatternFill("solid", start_color=WARNING_FILL, end_color=WARNING_FILL)}
    wrap = Alignment(wrap_text=True, vertical="top")
    for n, issue in enumerate(issues, start=2):
        # Issues carry short values and messages already; a file name is the user's too.
        ws.append([("" if v is None else fit_cell(v) if isinstance(v, str) else v)
                   for v in issue.as_row()])
        for cell in ws[n]:
            if cell.data_type == "f":  # township text that begins with "=" stays text
                cell.data_type = "s"
        ws.cell(n, 1).fill = fills.get(issue.severity, fills["warning"])
        ws.cell(n, len(ISSUE_HEADERS)).alignment = wrap
        if issue.cell and issue.sheet in sheetnames:
            link = ws.cell(n, cell_col)
            quoted = issue.sheet.replace("'", "''")
            link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{quoted}'!{issue.cell}")
            link.font = link_font
    for i, header in enumerate(ISSUE_HEADERS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = _WIDTHS.get(header, 12)
    ws.freeze_panes = "A2"
    if issues:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(ISSUE_HEADERS))}{len(issues) + 1}"
    _print_setup(ws, 1, len(issues) + 1, signature=False)


def _print_setup(ws, header_last: int, last_row: int, *, signature: bool) -> None:
    """A4 print setup of an openpyxl sheet, by the rules of ``workbook.write.page_setup``."""
    from openpyxl.utils import get_column_letter

    from .workbook.write import HEADER_TEXT, PAGE_NUMBER, SIDE_MARGIN, SIGNATURE, print_plan

    columns = max(1, ws.max_column)
    widths = [ws.column_dimensions[get_column_letter(i)].width or 8.43 for i in range(1, columns + 1)]
    landscape, scale = print_plan(widths)
    setup = ws.page_setup
    setup.paperSize = ws.PAPERSIZE_A4
    setup.orientation = "landscape" if landscape else "portrait"
    ws.page_margins.left = ws.page_margins.right = SIDE_MARGIN
    ws.page_margins.top, ws.page_margins.bottom = 0.6, 0.7
    ws.print_area = f"A1:{get_column_letter(columns)}{max(last_row, header_last)}"
    ws.print_title_rows = f"1:{header_last}"
    if scale is None:
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        setup.fitToWidth, setup.fitToHeight = 1, 0
    else:
        setup.scale = scale
        ws.print_title_cols = "A:A"
        setup.pageOrder = "overThenDown"
    ws.oddHeader.left.text = HEADER_TEXT.removeprefix("&L")
    if signature:
        ws.oddFooter.left.text = SIGNATURE
        ws.oddFooter.right.text = PAGE_NUMBER
    else:
        ws.oddFooter.center.text = PAGE_NUMBER


def _issues_sheet(wb, issues: list[Issue]) -> None:
    if ISSUES_SHEET in wb.sheetnames:  # an earlier annotation: replace its list
        del wb[ISSUES_SHEET]
    ws = wb.create_sheet(ISSUES_SHEET)
    _fill_issues_sheet(ws, issues, wb.sheetnames)
    wb.active = wb.sheetnames.index(ISSUES_SHEET)
    for other in wb.worksheets:
        other.sheet_view.tabSelected = other is ws


def _mark_as(wb, kind: str) -> None:
    """Mark an openpyxl workbook as this tool's ``kind`` (``workbook.made``), replacing the
    source's own mark, if it had one."""
    from openpyxl.packaging.custom import StringProperty

    props = wb.custom_doc_props
    if MARK in props.names:
        del props[MARK]
    props.append(StringProperty(name=MARK, value=kind))


def _write_issues_only(target: Path, issues: list[Issue]) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = ISSUES_SHEET
    _fill_issues_sheet(ws, issues, [])
    _mark_as(wb, ISSUE_LIST)
    with atomic_output(target) as tmp, _quiet_generators():
        wb.save(tmp)
    return target
