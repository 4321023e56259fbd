"""``fangpin-xl notice``: village public notices from the sample county, print-ready, no personal data."""

from __future__ import annotations

import datetime as dt
import errno
import re
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from fangpin_xl.cli import main
from fangpin_xl.errors import InputError
from fangpin_xl.ids import make_id
from fangpin_xl.ledgers.notices import NO_SOFFICE, notice_file
from fangpin_xl.text import redact

HEAD_ID = make_id("130434", dt.date(1980, 5, 6), 21)
#: Anything that looks like an ID (15 or 18 digits, or 17 and X) or a mobile number.
LOOKS_PERSONAL = re.compile(r"(?<![0-9])(?:[0-9]{17}[0-9Xx]|[0-9]{15}|1[3-9][0-9]{9})(?![0-9])")


def cells(path: Path) -> list[tuple[str, str, object]]:
    wb = openpyxl.load_workbook(path)
    return [(ws.title, c.coordinate, c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row
            if c.value is not None]


def assert_no_personal_data(path: Path) -> None:
    for sheet, cell, value in cells(path):
        text = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
        assert not LOOKS_PERSONAL.search(text), f"{sheet}!{cell}: {value!r}"
        assert redact(text) == text, f"{sheet}!{cell}: {value!r}"


@pytest.fixture(scope="module")
def notices(sample_county, tmp_path_factory):
    out = tmp_path_factory.mktemp("notice") / "公示名单.xlsx"
    return notice_file(sample_county.county, out, today=dt.date(2021, 1, 4))


def test_one_sheet_per_village(notices):
    assert notices.sheets == ["小周堡", "西程营", "侯集", "大田口", "南范店", "后董村"]
    assert [(n.township, n.village, n.start, n.end, len(n.rows)) for n in notices.notices] == [
        ("北皋镇", "小周堡", dt.date(2021, 1, 4), dt.date(2021, 1, 8), 1),
        # The cases of 西程营 give one notice start (2020-12-29); five days, both ends counted.
        ("北皋镇", "西程营", dt.date(2020, 12, 29), dt.date(2021, 1, 2), 2),
        ("双井镇", "侯集", dt.date(2020, 12, 31), dt.date(2021, 1, 4), 1),
        ("双井镇", "大田口", dt.date(2021, 1, 4), dt.date(2021, 1, 8), 1),
        ("魏城镇", "南范店", dt.date(2020, 12, 31), dt.date(2021, 1, 4), 1),
        ("魏城镇", "后董村", dt.date(2021, 1, 4), dt.date(2021, 1, 8), 1),
    ]


def test_the_notice_sheet_by_hand(notices):
    ws = openpyxl.load_workbook(notices.output)["西程营"]
    assert ws["A1"].value == "魏县北皋镇西程营防贫救助对象公示"
    assert ws["A2"].value == (
        "经农户申请或部门信息比对发现、保险公司入户查勘，拟对以下 2 户给予防贫救助，现予公示。"
        "公示期 5 天：自 2020 年 12 月 29 日 至 2021 年 1 月 2 日。如有异议，请在公示期内向西程营村民委员会或"
        "北皋镇人民政府反映（可书面或当面提出，请留下联系方式以便核实回复）。")
    assert [[c.value for c in row] for row in ws["A4:E6"]] == [
        ["序号", "户主姓名", "村", "救助类别", "拟救助金额（元）"],
        # 许生新 (边缘易致贫户): 47,924.24 self-paid in the 12 months before 2020-12-24, 27,924.24 above
        # the 20,000 threshold: 10% of 10,000 + 20% of 17,924.24 = 4,584.85 (example table).
        [1, "许生新", "西程营", "因病", 4584.85],
        # 白山勇: 106,264 − 20,000 = 86,264: 1,000 + 20% of 40,000 + 30% of 36,264 = 19,879.20.
        [2, "白山勇", "西程营", "因病", 19879.2],
    ]
    assert ws["A8"].value == "受理异议联系人：________________    联系电话：________________"
    assert ws["A10"].value == "西程营村民委员会（盖章）        北皋镇人民政府（盖章）"
    assert ws["A11"].value == "2020 年 12 月 29 日"
    # A village called …村 has a 村民委员会, not a 村村民委员会.
    assert "向后董村民委员会或魏城镇人民政府反映" in openpyxl.load_workbook(notices.output)["后董村"]["A2"].value


def test_print_ready(notices):
    wb = openpyxl.load_workbook(notices.output)
    for ws in wb.worksheets:
        assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "portrait"
        assert ws.print_title_rows == "$4:$4"
        # One page wide (1 is the default Excel leaves out), as many pages long as the list needs.
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0
        assert ws.print_area == f"'{ws.title}'!$A$1:$E${ws.max_row}"
    widths = wb["西程营"].column_dimensions  # B and C share one <col> element
    assert [widths[c].width for c in "ABDE"] == pytest.approx([6.71, 14.71, 12.71, 18.71], abs=0.01)
    assert (widths["B"].min, widths["B"].max) == (2, 3)


def test_no_cell_holds_a_personal_identifier(notices):
    assert_no_personal_data(notices.output)


def test_an_id_typed_into_a_name_cell_is_masked(sample_county, tmp_path):
    path = tmp_path / "北皋镇.xlsx"
    shutil.copy(sample_county.township("北皋镇"), path)
    wb = openpyxl.load_workbook(path)
    ws = wb["监测户"]
    row = next(r for r in range(3, ws.max_row + 1) if ws.cell(r, 1).value == "103-02-0005")
    ws.cell(row, 4, f"许生新{HEAD_ID} 13812345678")
    wb.save(path)
    result = notice_file(path, tmp_path / "n.xlsx", village="西程营", today=dt.date(2021, 1, 4))
    shown = openpyxl.load_workbook(result.output)["西程营"]["B5"].value
    assert shown == f"许生新{HEAD_ID[:6]}********{HEAD_ID[-4:]} 138****5678"
    assert_no_personal_data(result.output)


def test_cli_with_filters(sample_county, tmp_path, capsys):
    out = tmp_path / "北皋镇公示.xlsx"
    code = main(["notice", str(sample_county.county), "--township", "北皋镇", "--start", "2021-01-06",
                 "-o", str(out)])
    assert code == 0
    assert capsys.readouterr().out.splitlines() == [
        "魏县汇总.xlsx（县级汇总工作簿）：2 个村，3 户，公示期 5 天。",
        "  北皋镇小周堡：1 户，2021-01-06 至 2021-01-10（工作表“小周堡”）",
        "  北皋镇西程营：2 户，2021-01-06 至 2021-01-10（工作表“西程营”）",
        "公示名单不含身份证号、电话、银行账号和健康信息。",
        f"已写出：{out}",
    ]
    assert openpyxl.load_workbook(out).sheetnames == ["小周堡", "西程营"]
    assert main(["notice", str(sample_county.township("北皋镇")), "--village", "西程营", "--start", "2021-01-06",
                 "-o", str(tmp_path / "v.xlsx")]) == 0
    assert openpyxl.load_workbook(tmp_path / "v.xlsx").sheetnames == ["西程营"]
    capsys.readouterr()
    # Running again replaces the earlier notices; a township's own workbook is never written over.
    assert main(["notice", str(sample_county.county), "--township", "北皋镇", "-o", str(tmp_path / "v.xlsx")]) == 0
    assert openpyxl.load_workbook(tmp_path / "v.xlsx").sheetnames == ["小周堡", "西程营"]
    theirs = tmp_path / "北皋镇.xlsx"
    theirs.write_bytes(sample_county.township("北皋镇").read_bytes())
    assert main(["notice", str(sample_county.county), "-o", str(theirs)]) == 2
    assert "已存在，且不是本工具写出的公示名单" in capsys.readouterr().err
    assert theirs.read_bytes() == sample_county.township("北皋镇").read_bytes()


def test_unknown_township_or_village(sample_county, capsys):
    assert main(["notice", str(sample_county.county), "--township", "北皋镇", "--village", "侯集"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("错误：魏县汇总.xlsx：乡镇“北皋镇”中没有村“侯集”。乡镇“北皋镇”中的村：")
    assert main(["notice", str(sample_county.county), "--township", "东代固乡"]) == 2
    assert capsys.readouterr().err == (
        "错误：魏县汇总.xlsx：没有乡镇“东代固乡”。工作簿中的乡镇：北皋镇、双井镇、德政镇、魏城镇\n")


def test_nothing_to_publicise(sample_county, tmp_path, capsys):
    out = tmp_path / "德政镇公示.xlsx"
    assert main(["notice", str(sample_county.township("德政镇")), "-o", str(out)]) == 0
    assert capsys.readouterr().out == (
        "德政镇.xlsx：没有待公示的救助案件（状态为已查勘或公示中、尚未备案的案件），未生成公示名单。\n")
    assert not out.exists()


def test_pdf_through_libreoffice(sample_county, soffice, pdf_pages, tmp_path, capsys):
    out = tmp_path / "公示名单.xlsx"
    assert main(["notice", str(sample_county.county), "--start", "2021-01-06", "-o", str(out), "--pdf"]) == 0
    pdf = out.with_suffix(".pdf")
    assert f"已写出 PDF：{pdf}" in capsys.readouterr().out
    assert pdf.read_bytes().startswith(b"%PDF")
    pages = pdf_pages(pdf)
    text = "".join(pages)
    # One page per village, each with its title; nothing that looks like an ID or a phone number.
    assert len(pages) == 6
    assert "魏县北皋镇西程营防贫救助对象公示" in text
    assert not LOOKS_PERSONAL.search(text.replace(" ", ""))


def test_pdf_without_libreoffice_says_so(sample_county, tmp_path, monkeypatch, capsys):
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    out = tmp_path / "公示名单.xlsx"
    assert main(["notice", str(sample_county.county), "--start", "2021-01-06", "-o", str(out), "--pdf"]) == 0
    assert capsys.readouterr().out.splitlines()[-2:] == [f"已写出：{out}", NO_SOFFICE]
    assert out.exists() and not out.with_suffix(".pdf").exists()


def villages_workbook(path: Path, villages: list[str]) -> Path:
    """A township workbook with one surveyed case in each of ``villages`` (as a clerk typed them)."""
    from fangpin_xl.policy import Policy
    from fangpin_xl.templates import write_township_workbook

    n = len(villages)
    keys = [f"H{i}" for i in range(n)]
    T = pd.Timestamp
    frames = {
        "households": pd.DataFrame({
            "household_no": keys, "township": ["东代固乡"] * n, "village": villages,
            "head_name": [f"户主{i}" for i in range(n)],
            "head_id": [make_id("130434", dt.date(1970, 5, 1), 11 + 2 * i) for i in range(n)],
            "household_size": [1] * n, "group": ["脱贫不稳定户"] * n, "income_per_capita": [5000.0] * n,
        }),
        "spending": pd.DataFrame({"household_no": keys, "kind": ["因病"] * n, "date": [T("2020-06-01")] * n,
                                  "amount": [41040.0] * n}),
        "cases": pd.DataFrame({
            "case_no": [f"A{i}" for i in range(n)], "household_no": keys, "kind": ["因病"] * n,
            "found_date": [T("2020-06-10")] * n, "found_way": ["自下而上申请"] * n,
            "survey_date": [T("2020-06-11")] * n, "stage": ["已查勘"] * n,
        }),
    }
    return write_township_workbook(path, policy=Policy(), township="东代固乡", frames=frames, rows=8)


def test_villages_excel_refuses_as_sheet_names(tmp_path):
    long = "东代固乡东代固村第一村民小组第二村民小组第三村民小组北南西东中"  # 31 characters
    typed = ["东/西村", "北*庄", "[前]:后?村\\", "'西村'", long, long + "南"]
    path = villages_workbook(tmp_path / "东代固乡.xlsx", typed)
    result = notice_file(path, tmp_path / "公示名单.xlsx", start=dt.date(2020, 6, 12), today=dt.date(2020, 6, 12))
    # Sorted by village as typed; each still recognisable, valid and distinct.
    assert [n.village for n in result.notices] == sorted(typed)
    expected = {"东/西村": "东／西村", "北*庄": "北＊庄", "[前]:后?村\\": "［前］：后？村＼", "'西村'": "’西村’",
                long: long, long + "南": long[:28] + "(2)"}
    assert result.sheets == [expected[n.village] for n in result.notices]
    wb = openpyxl.load_workbook(result.output)
    assert wb.sheetnames == result.sheets
    # The notice itself shows the village as typed.
    assert wb["东／西村"]["A1"].value == "魏县东代固乡东/西村防贫救助对象公示"
    assert wb["东／西村"]["C5"].value == "东/西村"


def test_pdf_failures_are_explained_in_chinese(tmp_path, monkeypatch):
    from fangpin_xl.ledgers import output
    from fangpin_xl.ledgers.output import PDF_INSTEAD, render_pdf

    workbook = tmp_path / "公示名单.xlsx"
    workbook.write_bytes(b"not a workbook")
    pdf = tmp_path / "公示名单.pdf"
    if shutil.which("soffice") or shutil.which("libreoffice"):
        # The real LibreOffice, given what it cannot open, makes no PDF; its English output stays out.
        with pytest.raises(InputError) as info:
            render_pdf(workbook, pdf)
        assert str(info.value) == f"LibreOffice 未能把 公示名单.xlsx 转为 PDF。{PDF_INSTEAD}"
    # Stand-ins for a broken installation: a program that cannot be started, one that fails,
    # one that hangs.
    sleep = shutil.which("sleep")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))
    soffice = bin_dir / "soffice"
    soffice.write_bytes(b"\x7fELF broken")
    soffice.chmod(0o755)
    with pytest.raises(InputError) as info:
        render_pdf(workbook, pdf)
    assert str(info.value) == (f"无法启动 LibreOffice（系统错误代码 {errno.ENOEXEC}），未能把 公示名单.xlsx 转为 PDF。"
                               f"{PDF_INSTEAD}")
    soffice.write_text("#!/bin/sh\necho 'Error: source file could not be loaded' >&2\nexit 3\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        render_pdf(workbook, pdf)
    assert str(info.value) == f"LibreOffice 未能把 公示名单.xlsx 转为 PDF（退出码 3）。{PDF_INSTEAD}"
    soffice.write_text(f"#!/bin/sh\nexec {sleep} 30\n", encoding="utf-8")
    monkeypatch.setattr(output, "PDF_TIMEOUT", 1)
    with pytest.raises(InputError) as info:
        render_pdf(workbook, pdf)
    assert str(info.value) == f"LibreOffice 在 1 秒内未能把 公示名单.xlsx 转为 PDF。{PDF_INSTEAD}"
    assert not pdf.exists()
