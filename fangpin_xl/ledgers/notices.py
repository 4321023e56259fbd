"""``notice_file``: print-ready public-notice sheets (公示名单), one per village.

The notices are ``notice.notices`` of the checked workbook (township or county):
the cases surveyed and not yet filed, with the head of household, village,
kind and proposed relief. Each village gets one A4 portrait sheet: the title,
the notice text (who proposes what, the objection window of the policy's
公示天数 with its dates, whom to contact), the list, a line to fill in the
contact person, the seals and the date. The list's header row repeats on
every printed page and the page number is in the footer.

Never an ID number, a phone number, a bank account or a health detail: the
list has only ``notice.LIST_HEADERS``, and every text written passes through
``text.redact`` besides (a clerk may have typed an ID into a name cell).

``pdf=True`` prints the workbook to a PDF beside it through LibreOffice when it
is installed; without it the result says so and the workbook is still written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from ..columns import as_text
from ..errors import InputError
from ..files import atomic_output
from ..notice import LIST_HEADERS, Notice, notice_sheet_names, notices
from ..policy import Policy
from ..text import display_width, redact, shown_path
from ..workbook.made import NOTICE_LIST
from ..workbook.write import PAPER_A4, new_workbook
from .output import output_path, render_pdf
from .source import Source, read_source

PURPOSE = "公示"
#: What the notices workbook is marked as and named after.
KIND = NOTICE_LIST
NEEDS = {"households": ("household_no", "village", "head_name"), "cases": ("case_no", "household_no", "stage")}
#: Column widths of the list (序号, 户主姓名, 村, 救助类别, 拟救助金额).
WIDTHS = (6, 14, 14, 12, 18)
NO_SOFFICE = "未安装 LibreOffice（soffice），未生成 PDF：可用 Excel 或 WPS 打开公示名单，打印或另存为 PDF。"


@dataclass
class NoticeResult:
    output: Path
    source: Source
    notices: list[Notice]
    #: The sheet written for each notice, in order.
    sheets: list[str]
    pdf: Path | None = None
    #: Why no PDF was made although one was asked for ("" otherwise).
    pdf_note: str = ""

    @property
    def exit_code(self) -> int:
        return 0

    @property
    def households(self) -> int:
        return sum(len(n.rows) for n in self.notices)


def notice_file(path: str | Path, output: str | Path | None = None, *, township: str | None = None,
                village: str | None = None, start: dt.date | None = None,
                policy: Policy | str | Path | None = None, today: dt.date | None = None,
                pdf: bool = False) -> NoticeResult:
    """The notices of ``path`` (only ``township`` / ``village`` when given) written to ``output``
    (default ``<name>-公示名单.xlsx`` beside it). A township or village the workbook does not
    have is an ``InputError``; with nothing to publicise, no file is written (``notices`` empty)."""
    path = Path(path)
    out = output_path(output, path, KIND, [path])
    today = dt.date.today() if today is None else today
    source = read_source(path, purpose=PURPOSE, needs=NEEDS, policy=policy, today=today,
                         rows_word="户和案件")
    _check_names(source, township, village)
    found = notices(source.checked, township=township, village=village, start=start, today=today,
                    townships=source.townships["households"])
    result = NoticeResult(out, source, found, notice_sheet_names(found))
    if not found:
        return result
    write_notices(result)
    if pdf:
        result.pdf = render_pdf(out, out.with_suffix(".pdf"))
        result.pdf_note = "" if result.pdf is not None else NO_SOFFICE
    return result


def _check_names(source: Source, township: str | None, village: str | None) -> None:
    frame = source.frame("households")
    assert frame is not None
    towns = source.townships["households"]
    villages = as_text(frame, "village")
    if township and township.strip() not in set(towns):
        listed = "、".join(sorted({t for t in towns if t})) or "（无）"
        raise InputError(f"{source.name}：没有乡镇“{township.strip()}”。工作簿中的乡镇：{listed}")
    if village:
        within = villages[towns == township.strip()] if township else villages
        if village.strip() not in set(within):
            where = f"乡镇“{township.strip()}”中" if township else "工作簿中"
            listed = "、".join(sorted({v for v in within if v})) or "（无）"
            raise InputError(f"{source.name}：{where}没有村“{village.strip()}”。{where}的村：{listed}")


def write_notices(result: NoticeResult) -> None:
    with atomic_output(result.output) as tmp:
        wb = new_workbook(tmp, made_as=KIND)
        formats = _formats(wb)
        for notice, name in zip(result.notices, result.sheets, strict=True):
            _write_notice(wb, formats, notice, name)
        wb.close()


def _formats(wb) -> dict:
    border = {"border": 1, "valign": "vcenter", "font_size": 11}
    return {
        "title": wb.add_format({"bold": True, "font_size": 18, "align": "center", "valign": "vcenter"}),
        "text": wb.add_format({"text_wrap": True, "valign": "top", "font_size": 12}),
        "header": wb.add_format({**border, "bold": True, "align": "center", "bg_color": "#DDEBF7"}),
        "cell": wb.add_format({**border, "align": "center"}),
        "money": wb.add_format({**border, "align": "right", "num_format": "#,##0.00"}),
        "plain": wb.add_format({"font_size": 12, "valign": "vcenter"}),
        "right": wb.add_format({"font_size": 12, "align": "right", "valign": "vcenter"}),
    }


def _write_notice(wb, f: dict, notice: Notice, name: str) -> None:
    ws = wb.add_worksheet(name)
    last_col = len(LIST_HEADERS) - 1
    for i, width in enumerate(WIDTHS):
        ws.set_column(i, i, width)
    ws.set_row(0, 36)
    ws.merge_range(0, 0, 0, last_col, redact(notice.title), f["title"])
    text = redact(notice.text)
    # The five columns hold about 64 display units (a Chinese character is two) a line.
    ws.set_row(1, 17 * (-(-display_width(text) // 64)) + 6)
    ws.merge_range(1, 0, 1, last_col, text, f["text"])
    header_row = 3
    ws.set_row(header_row, 24)
    for i, header in enumerate(LIST_HEADERS):
        ws.write_string(header_row, i, header, f["header"])
    rows = notice.rows.to_numpy(dtype=object)
    for r, values in enumerate(rows, start=header_row + 1):
        ws.set_row(r, 22)
        ws.write_number(r, 0, int(values[0]), f["cell"])
        for c in (1, 2, 3):
            ws.write_string(r, c, redact(str(values[c])), f["cell"])
        amount = _amount(values[4])
        if amount is None:
            ws.write_string(r, 4, redact(str(values[4])), f["cell"])
        else:
            ws.write_number(r, 4, amount, f["money"])
    row = header_row + len(rows) + 2
    ws.merge_range(row, 0, row, last_col, redact(notice.contact), f["plain"])
    ws.merge_range(row + 2, 0, row + 2, last_col, redact(notice.seals), f["right"])
    ws.merge_range(row + 3, 0, row + 3, last_col, notice.dated, f["right"])
    ws.set_paper(PAPER_A4)
    ws.set_portrait()
    ws.set_margins(left=0.7, right=0.7, top=0.8, bottom=0.8)
    ws.center_horizontally()
    ws.repeat_rows(header_row)
    ws.print_area(0, 0, row + 3, last_col)
    ws.fit_to_pages(1, 0)
    ws.set_footer("&C第 &P 页，共 &N 页")
    ws.hide_gridlines(2)


def _amount(text) -> float | None:
    try:
        return float(str(text).replace(",", ""))
    except ValueError:
        return None


def render_notice(result: NoticeResult) -> str:
    source = result.source
    if not result.notices:
        return (f"{source.name}：没有待公示的救助案件（状态为已查勘或公示中、尚未备案的案件），未生成公示名单。\n")
    days = source.policy.notice_days
    lines = [f"{source.name}（{source.kind}）：{len(result.notices)} 个村，{result.households} 户，公示期 {days} 天。"]
    for notice, name in zip(result.notices, result.sheets, strict=True):
        lines.append(f"  {notice.township}{notice.village}：{len(notice.rows)} 户，{notice.start.isoformat()} 至 "
                     f"{notice.end.isoformat()}（工作表“{name}”）")
    lines.append("公示名单不含身份证号、电话、银行账号和健康信息。")
    lines.append(f"已写出：{shown_path(result.output)}")
    if result.pdf is not None:
        lines.append(f"已写出 PDF：{shown_path(result.pdf)}")
    elif result.pdf_note:
        lines.append(result.pdf_note)
    return "\n".join(lines) + "\n"

