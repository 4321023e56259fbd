"""Everything people print prints on A4: rendered by LibreOffice to PDF and read back.

Each page shows its sheet's name above (the page header), so the pages are
counted per sheet; on every page of a data sheet every column header must
appear (the header rows repeat), the page number and, on forms, the lines
to sign. Text is compared with all whitespace removed, so a header wrapped
over two lines in its cell still reads as one. Needs ``pdftotext`` and
``pdfinfo`` (poppler-utils, which .ci/run installs).
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from fangpin_xl.demo import write_sample_county
from fangpin_xl.ids import make_id
from fangpin_xl.issues import ISSUE_HEADERS
from fangpin_xl.merge import merge_workbooks
from fangpin_xl.merge.county import SUMMARY_HEADERS, data_columns, extras_of
from fangpin_xl.policy import Policy
from fangpin_xl.schema import SHEETS, SHEETS_BY_KEY
from fangpin_xl.templates import build_blank_template, write_township_workbook
from fangpin_xl.validate import validate_paths
from fangpin_xl.workbook.write import print_plan

SIGNATURE = "填报单位：____________填报人：__________审核人：__________日期：__________"

def _carlito() -> bool:
    """Whether LibreOffice lays out Calibri with its own metrics (the Carlito font)."""
    if shutil.which("fc-match") is None:
        return False
    found = subprocess.run(["fc-match", "Calibri"], capture_output=True, text=True, check=False).stdout
    return "Carlito" in found


pytestmark = [
    pytest.mark.skipif(shutil.which("pdftotext") is None or shutil.which("pdfinfo") is None,
                       reason="pdftotext/pdfinfo (poppler-utils) are not installed: printing tests skipped"),
    pytest.mark.skipif(not _carlito(), reason="the Carlito font (fonts-crosextra-carlito) is not installed: "
                                               "LibreOffice would lay out other widths than Excel; printing tests skipped"),
]


def pages(soffice, path: Path) -> list[tuple[str, str]]:
    """(sheet name, text without whitespace) of every printed page."""
    pdf = soffice(path, to="pdf")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    count = int(next(line.split()[1] for line in info.splitlines() if line.startswith("Pages:")))
    out = []
    for n in range(1, count + 1):
        raw = subprocess.run(["pdftotext", "-raw", "-f", str(n), "-l", str(n), str(pdf), "-"],
                             capture_output=True, text=True, check=True).stdout
        first, _, rest = raw.strip().partition("\n")
        out.append((first.strip(), "".join(rest.split())))
    return out


def assert_headers_on_every_page(printed, sheet: str, headers) -> int:
    mine = [text for name, text in printed if name == sheet]
    assert mine, f"{sheet} is not printed"
    for number, text in enumerate(mine, start=1):
        missing = [h for h in headers if "".join(h.split()) not in text]
        assert not missing, f"{sheet} page {number} lacks {missing}"
    return len(mine)


def page_numbers(printed) -> None:
    total = len(printed)
    for n, (_, text) in enumerate(printed, start=1):
        assert f"第{n}页，共{total}页" in text


def test_the_blank_template_prints_on_ten_pages(tmp_path, soffice):
    printed = pages(soffice, build_blank_template(tmp_path / "模板.xlsx", Policy()))
    assert [name for name, _ in printed] == [
        "说明", "说明", "参数", "参数", "监测户", "家庭成员", "支出", "救助", "帮扶", "援助"]
    page_numbers(printed)
    for sheet in SHEETS:
        assert_headers_on_every_page(printed, sheet.name, [c.header for c in sheet.columns] + [SIGNATURE])
    # 参数 prints its labels and values, not the key column; 日历 is hidden and not printed.
    policy_pages = "".join(text for name, text in printed if name == "参数")
    assert "收入标准（元/人/年，含本数）" in policy_pages and "核查基准日" in policy_pages
    assert "2020-12-31" in policy_pages and "income.threshold" not in policy_pages
    assert not any(name == "日历" for name, _ in printed)
    # 说明 is not cut off at the right edge: its last paragraph ends on the page.
    assert "否则新填的行不会打印。" in "".join(text for name, text in printed if name == "说明")


def test_a_filled_workbook_prints_its_rows_with_the_headers_on_every_page(tmp_path, soffice):
    n = 130
    households = pd.DataFrame({
        "household_no": [f"H{i:03d}" for i in range(n)], "township": "东代固乡", "village": "东代固村",
        "head_name": [f"户主{i}" for i in range(n)],
        "head_id": [make_id("130434", dt.date(1960, 1, 1) + dt.timedelta(days=i), 11) for i in range(n)],
        "household_size": 1, "group": "脱贫不稳定户", "income_per_capita": 3000.0,
    })
    path = write_township_workbook(tmp_path / "东代固乡.xlsx", policy=Policy(), township="东代固乡",
                                   frames={"households": households}, rows=400)
    printed = pages(soffice, path)
    counts = Counter(name for name, _ in printed)
    # 130 rows at the smallest readable scale take three landscape pages; the 270 prepared
    # rows below them are not printed, nor are the empty sheets' rows.
    assert counts == {"说明": 2, "参数": 2, "监测户": 3, "家庭成员": 1, "支出": 1, "救助": 1, "帮扶": 1, "援助": 1}
    assert_headers_on_every_page(printed, "监测户", [c.header for c in SHEETS_BY_KEY["households"].columns])
    households_text = "".join(text for name, text in printed if name == "监测户")
    assert "H000" in households_text and "H129" in households_text
    page_numbers(printed)


def test_annotated_copies_and_the_county_workbook_print(tmp_path, soffice):
    county = write_sample_county(tmp_path / "县", townships=2, households=40, seed=3, policy=Policy())
    template = next(p for p in county.workbooks.values() if p.name != "东代固乡.xlsx")
    result = validate_paths([template], annotate_dir=tmp_path / "标注", today=dt.date(2021, 6, 30))
    annotated = result.files[0].annotated
    assert annotated is not None
    printed = pages(soffice, annotated)
    for sheet in SHEETS:
        if any(name == sheet.name for name, _ in printed):
            assert_headers_on_every_page(printed, sheet.name, [c.header for c in sheet.columns] + [SIGNATURE])
    assert assert_headers_on_every_page(printed, "问题", ISSUE_HEADERS) >= 1
    page_numbers(printed)

    merged = merge_workbooks([tmp_path / "县"], tmp_path / "全县汇总.xlsx", policy=Policy(), jobs=1,
                             today=dt.date(2021, 6, 30))
    printed = pages(soffice, merged.output)
    names = [name for name, _ in printed]
    assert names[0] == "汇总"
    # The 汇总 table on one page, the chart on the next, never split.
    assert names.count("汇总") == 2
    assert_headers_on_every_page(printed, "汇总", SUMMARY_HEADERS + [SIGNATURE])
    for sheet in SHEETS:
        headers = ["来源乡镇", *(c.header for c in sheet.columns), "来源文件", "来源工作表", "来源行"]
        mine = [text for name, text in printed if name == sheet.name]
        if print_plan([c.width for c in data_columns(sheet, extras_of(sheet.key, []))[0]])[1] is None:
            assert_headers_on_every_page(printed, sheet.name, headers)
        else:
            # Wider than a readable page: printed across pages at the smallest readable scale,
            # the header rows and the 来源乡镇 column on every page, every header on some page.
            assert all("来源乡镇" in text for text in mine)
            assert not [h for h in headers if not any(h in text for text in mine)]
    page_numbers(printed)
