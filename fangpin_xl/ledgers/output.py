"""What the ledgers' workbooks share: output checks, a facts sheet, tables, PDF rendering."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from xlsxwriter.workbook import Workbook

from ..errors import InputError
from ..files import scratch_folder, write_error
from ..schema import Sheet
from ..text import display_width, redact, shown_path
from ..workbook.made import check_output
from ..workbook.write import PAPER_A4, Formats, write_data_sheet

#: Seconds LibreOffice may take to print one workbook.
PDF_TIMEOUT = 300
#: What a clerk can do when LibreOffice made no PDF (the workbook itself is written).
PDF_INSTEAD = "工作簿已写出：可用 Excel 或 WPS 打开，打印或另存为 PDF。"


def output_path(output: str | Path | None, source: Path, kind: str, inputs: Sequence[Path]) -> Path:
    """``output``, or ``<source stem>-<kind>.xlsx`` beside the source, once ``made.check_output``
    has found it is neither an input nor somebody else's file.

    A source named in GBK bytes (unzipped from an archive made on Chinese Windows) gives a
    name in its decoded form: GBK and UTF-8 bytes in one name could be shown by no one."""
    name = f"{shown_path(source.stem)}-{kind}.xlsx"
    out = Path(output) if output is not None else source.with_name(name)
    check_output(out, inputs, kind=kind, example=name)
    return out


def write_facts(wb: Workbook, formats: Formats, name: str, title: str,
                facts: Sequence[tuple[str, str]], *, portrait: bool = True) -> None:
    """A sheet of (label, text) lines under a title, printed on A4."""
    ws = wb.add_worksheet(name)
    ws.set_column(0, 0, 16)
    ws.set_column(1, 1, 90, formats.wrap)
    ws.write_string(0, 0, title, formats.title)
    ws.set_row(0, 24)
    bold = wb.add_format({"bold": True, "valign": "top"})
    for row, (label, text) in enumerate(facts, start=2):
        text = redact(text)
        # Excel and LibreOffice keep a written row height: give wrapped text its lines (about 88
        # display units, a Chinese character being two, fit the 90-wide column).
        ws.set_row(row, 15 * max(1, -(-display_width(text) // 88)) + 3)
        ws.write_string(row, 0, label, bold)
        ws.write_string(row, 1, text, formats.wrap)
    ws.set_paper(PAPER_A4)
    if portrait:
        ws.set_portrait()
    else:
        ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.print_area(0, 0, max(len(facts) + 1, 1), 1)
    ws.set_footer("&C第 &P 页，共 &N 页")
    ws.hide_gridlines(2)


def write_table(wb: Workbook, formats: Formats, spec: Sheet, frame: pd.DataFrame, title: str) -> None:
    """One report table (a title, the headers, the rows) printed on A4 (``page_setup``) with the header
    row repeated; text cells pass through ``text.redact`` (no ID or mobile number in full)."""
    frame = frame.copy()
    for column in spec.columns:
        if column.key in frame.columns and frame[column.key].dtype == object:
            frame[column.key] = frame[column.key].map(lambda v: redact(v) if isinstance(v, str) else v)
    write_data_sheet(wb, spec, frame, title=title, formats=formats, table_name=spec.key,
                     input_notes=False)


def render_pdf(workbook: Path, pdf: Path) -> Path | None:
    """Print ``workbook`` to ``pdf`` through LibreOffice; None when LibreOffice is not installed.

    LibreOffice runs headless with a throwaway profile (so an open LibreOffice window does
    not get in the way). Raises ``InputError`` when it runs but produces no PDF.
    """
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        return None
    with scratch_folder() as scratch:
        profile = (scratch / "profile").resolve().as_uri()
        command = [soffice, f"-env:UserInstallation={profile}", "--headless", "--norestore",
                   "--nolockcheck", "--convert-to", "pdf", "--outdir", str(scratch), str(workbook)]
        name = shown_path(workbook.name)
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=PDF_TIMEOUT,
                                  check=False)
        except subprocess.TimeoutExpired:
            raise InputError(f"LibreOffice 在 {PDF_TIMEOUT} 秒内未能把 {name} 转为 PDF。"
                             f"{PDF_INSTEAD}") from None
        except OSError as exc:
            code = f"（系统错误代码 {exc.errno}）" if exc.errno else ""
            raise InputError(f"无法启动 LibreOffice{code}，未能把 {name} 转为 PDF。{PDF_INSTEAD}") from None
        made = scratch / f"{workbook.stem}.pdf"
        if done.returncode != 0 or not made.exists():
            # LibreOffice's own output is English and technical: the exit code is enough for support.
            code = f"（退出码 {done.returncode}）" if done.returncode else ""
            raise InputError(f"LibreOffice 未能把 {name} 转为 PDF{code}。{PDF_INSTEAD}")
        try:
            pdf.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(made), str(pdf))
        except OSError as exc:
            raise write_error(pdf, exc) from None
    return pdf
