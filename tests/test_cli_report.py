"""``fangpin-xl report`` on the sample county: figures by hand, charts against their tables, LibreOffice."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils.cell import range_boundaries
from python_calamine import CalamineWorkbook

from fangpin_xl.cli import main
from fangpin_xl.ledgers.report import overview_rows, report_file
from fangpin_xl.store import write_history
from fangpin_xl.text import number_text

HISTORY = "魏县历年返贫致贫情况\n年份,返贫户数（户）,返贫人口,新致贫户数,新增致贫人数\n2018,641,2105,120,400\n2019,104,350,80,260\n" \
          "2020,6,20,30,90\n"


def county_table(path: Path, name: str) -> pd.DataFrame:
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name).to_python()
    return pd.DataFrame(rows[2:], columns=rows[1])


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("history") / "历年.csv"
    path.write_text(HISTORY, encoding="utf-8-sig")
    return path


@pytest.fixture(scope="module")
def report(sample_county, history, tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    sqlite = folder / "历史.sqlite"
    shutil.copy(sample_county.sqlite, sqlite)
    # An earlier year in the history database: 200 households, 80 符合, two paid cases of one household.
    write_history(sqlite, 2019, {
        "监测户": pd.DataFrame({"来源乡镇": ["北皋镇"] * 200, "户编号": [f"H{i}" for i in range(200)],
                             "资格判定": ["符合"] * 80 + ["不符合"] * 120}),
        "救助": pd.DataFrame({"来源乡镇": ["北皋镇"] * 3, "户编号": ["H1", "H1", "H2"],
                            "状态": ["已支付", "已支付", "公示中"], "救助金额": [1000.5, 2000.25, 500.0]}),
    })
    return report_file(sample_county.county, folder / "工作报告.xlsx", history=history, sqlite=sqlite,
                       today=dt.date(2021, 1, 15))


def test_figures_by_hand(sample_county, report):
    cases = county_table(sample_county.county, "救助")
    households = county_table(sample_county.county, "监测户")
    paid = cases[cases["状态"] == "已支付"]
    by_kind = paid.groupby("救助类别")["救助金额"].sum().round(2).to_dict()
    assert by_kind == {"因病": 391119.94, "因学": 23601.35, "因意外": 53686.94, "因产业": 11103.97}
    helped = paid[["来源乡镇", "户编号"]].drop_duplicates()
    assert (len(paid), len(helped)) == (60, 57)
    assert helped.groupby("来源乡镇").size().to_dict() == {"北皋镇": 11, "双井镇": 10, "德政镇": 16, "魏城镇": 20}
    dibao = households["低保"].isin(["整户低保", "单人保"])
    assert (len(households), int((households["资格判定"] == "符合").sum()), int(dibao.sum())) == (240, 100, 49)
    helped_dibao = helped.merge(households[dibao], on=["来源乡镇", "户编号"])
    assert len(helped_dibao) == 18
    total = report.total
    assert {k: total[f"relief_{k}"] for k in by_kind} == by_kind
    assert (total["households"], total["verified"], total["helped"], total["relief"]) == (240, 100, 57, 479512.2)
    # 479,512.20 ÷ 57 = 8,412.494… → 8,412.49; 49 ÷ 240 = 20.4166…% → 20.42%; 18 ÷ 57 = 31.578…% → 31.58%.
    assert (total["average"], total["dibao_share"], total["helped_dibao_share"]) == (8412.49, 0.2042, 0.3158)
    # The 汇总 sheet merge wrote agrees on the money paid and the visits of the quarter.
    summary = county_table(sample_county.county, "汇总").set_index("乡镇")
    assert summary.loc["全县合计", "已支付救助金额（元）"] == pytest.approx(479512.2)
    assert (total["overdue_cases"], total["owe_visit"], total["visited"], total["coverage"]) == (0, 235, 234, 0.9957)


def test_first_page(report):
    ws = openpyxl.load_workbook(report.output)["全县概况"]
    assert ws["A1"].value == "魏县 2020 年精准防贫工作情况"
    assert ws["A2"].value == "截至 2020-12-31（核查基准日）；数据：魏县汇总.xlsx（县级汇总工作簿，4 个乡镇）；生成于 2021-01-15"
    rows = [[c.value for c in row] for row in ws["A4:C23"]]
    assert rows == [
        ["指标", "数值", "说明"],
        ["监测户", 240, "户（其中风险已消除 5 户）"],
        ["核实符合条件户", 100, "户（按本县参数判定为“符合”）"],
        ["已救助户", 57, "户（有已支付的救助案件，共 60 件）"],
        ["因病救助金额", 391119.94, "元"],
        ["因学救助金额", 23601.35, "元"],
        ["因意外救助金额", 53686.94, "元"],
        ["因产业救助金额", 11103.97, "元"],
        ["救助金额合计", 479512.2, "元"],
        ["户均救助金额", 8412.49, "元/户（救助金额合计 ÷ 已救助户）"],
        ["监测户中低保户占比", 0.2042, "低保户 49 户 ÷ 监测户 240 户（整户低保或单人保）"],
        ["已救助户中低保户占比", 0.3158, "低保户 18 户 ÷ 已救助户 57 户"],
        ["逾期案件", 0, "件（到核查基准日已超过办结时限、尚未办结）"],
        ["本季度回访覆盖率", 0.9957, "已回访 234 户 ÷ 应回访 235 户（2020年第4季度）"],
        # 641 → 104 → 6 (DOMAIN.md): (104 − 6) ÷ 104 = 94.23%, (641 − 6) ÷ 641 = 99.06%.
        ["2020 年返贫户数", 6, "户；比上年减少 94.23%，比基年（2018 年）减少 99.06%"],
        ["2020 年返贫人数", 20, "人；比上年减少 94.29%，比基年（2018 年）减少 99.05%"],
        ["2020 年致贫户数", 30, "户；比上年减少 62.50%，比基年（2018 年）减少 75.00%"],
        ["2020 年致贫人数", 90, "人；比上年减少 65.38%，比基年（2018 年）减少 77.50%"],
        [None, None, None],
        ["未提供基金台账（--fund，由 fangpin-xl fund 生成），未列出基金结余。", None, None],
    ]
    assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "portrait"
    assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight in (None, 1)


def test_townships_and_years(report):
    wb = openpyxl.load_workbook(report.output)
    towns = [[c.value for c in row] for row in wb["分乡镇"]["A3:D7"]]
    assert towns == [["北皋镇", 60, 27, 11], ["双井镇", 60, 19, 10], ["德政镇", 60, 27, 16], ["魏城镇", 60, 27, 20],
                     ["全县合计", 240, 100, 57]]
    years = wb["历年"]
    assert [c.value for c in years[2]][:9] == ["年度", "监测户", "符合条件户", "已救助户", "救助金额（元）", "返贫户数",
                                                "返贫人数", "致贫户数", "致贫人数"]
    assert [[c.value for c in row] for row in years["A3:I5"]] == [
        [2018, None, None, None, None, 641, 2105, 120, 400],
        # 2019 from the history database: H1's two paid cases, 1,000.50 + 2,000.25.
        [2019, 200, 80, 1, 3000.75, 104, 350, 80, 260],
        [2020, 240, 100, 57, 479512.2, 6, 20, 30, 90],
    ]
    assert [years.cell(5, c).value for c in range(10, 18)] == [
        0.9423, 0.9906, 0.9429, 0.9905, 0.625, 0.75, 0.6538, 0.775]


def chart_title(chart) -> str:
    return "".join(run.t for p in chart.title.tx.rich.p for run in (p.r or []))


def cells_of(wb, ref: str) -> list:
    sheet, _, area = ref.rpartition("!")
    ws = wb[sheet.strip("'")]
    min_col, min_row, max_col, max_row = range_boundaries(area.replace("$", ""))
    return [ws.cell(r, c).value for r in range(min_row, max_row + 1) for c in range(min_col, max_col + 1)]


def series_of(wb, chart) -> list[tuple[str, list, list]]:
    out = []
    for s in chart.series:
        name = cells_of(wb, s.tx.strRef.f)[0] if s.tx.strRef is not None else s.tx.v
        categories = cells_of(wb, (s.cat.strRef or s.cat.numRef).f)
        out.append((name, categories, cells_of(wb, s.val.numRef.f)))
    return out


def test_charts_plot_what_their_titles_say(report):
    wb = openpyxl.load_workbook(report.output)
    charts = {ws.title: ws._charts for ws in wb.worksheets}
    assert {name: len(found) for name, found in charts.items()} == {"全县概况": 1, "分乡镇": 1, "历年": 1, "说明": 0}
    (kinds,) = charts["全县概况"]
    assert chart_title(kinds) == "各类救助金额（元）"
    assert series_of(wb, kinds) == [("救助金额（元）", ["因病救助金额", "因学救助金额", "因意外救助金额", "因产业救助金额"],
                                     [391119.94, 23601.35, 53686.94, 11103.97])]
    (towns,) = charts["分乡镇"]
    assert chart_title(towns) == "各乡镇监测户、符合条件户与已救助户"
    names = ["北皋镇", "双井镇", "德政镇", "魏城镇"]  # not the 全县合计 row
    assert series_of(wb, towns) == [("监测户", names, [60, 60, 60, 60]), ("符合条件户", names, [27, 19, 27, 27]),
                                    ("已救助户", names, [11, 10, 16, 20])]
    (years,) = charts["历年"]
    assert chart_title(years) == "历年返贫户数与致贫户数"
    assert type(years).__name__ == "LineChart"
    assert series_of(wb, years) == [("返贫户数", [2018, 2019, 2020], [641, 104, 6]),
                                    ("致贫户数", [2018, 2019, 2020], [120, 80, 30])]


def test_libreoffice_renders_the_report(report, soffice, pdf_pages):
    pdf = soffice(report.output, to="pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    pages = pdf_pages(pdf)
    # The first sheet is one page, with its chart; the next sheet starts on page 2.
    assert "魏县 2020 年精准防贫工作情况" in pages[0] and "各类救助金额（元）" in pages[0]
    assert "本季度回访覆盖率" in pages[0] and "99.57%" in pages[0]
    assert "（分乡镇" in pages[1] and "各乡镇监测户、符合条件户与已救助户" in pages[1]
    assert any("历年返贫户数与致贫户数" in page for page in pages[2:])
    png = pdf.with_name("第1页")
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(png)],
                   check=True, capture_output=True)
    assert png.with_suffix(".png").stat().st_size > 10_000


def test_cli_summary_and_exit_code(sample_county, history, tmp_path, capsys):
    out = tmp_path / "r.xlsx"
    assert main(["report", str(sample_county.county), "--history", str(history), "-o", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "魏县 2020 年精准防贫工作情况（截至 2020-12-31）"
    assert "  户均救助金额：8412.49 元/户（救助金额合计 ÷ 已救助户）" in lines
    assert "  2020 年返贫户数：6 户；比上年减少 94.23%，比基年（2018 年）减少 99.06%" in lines
    assert lines[-1] == f"已写出：{out}"


def test_base_year_missing_year_and_zero_base(sample_county, tmp_path, capsys):
    path = tmp_path / "历年.csv"
    path.write_text("年度,返贫户数,致贫户数\n2017,0,12\n2019,5,6\n2020,3,\n", encoding="utf-8")
    out = tmp_path / "r.xlsx"
    assert main(["report", str(sample_county.county), "--history", str(path), "-o", str(out)]) == 1
    text = capsys.readouterr().out
    for line in ("错误：缺少 2018 年的数据：2018 年和 2019 年无法与上年比较，请补齐该年",
                 "提醒：基年 2017 年返贫户数为 0，无法计算返贫户数较基年减少的比例",
                 "错误：2020 年缺少致贫户数"):
        assert line in text.splitlines()
    years = openpyxl.load_workbook(out)["历年"]
    assert [c.value for c in years["A"][2:6]] == [2017, 2018, 2019, 2020]
    assert years["F4"].value is None and years["J6"].value == 0.4  # 2018 blank; 2020 on 2019: (5 − 3) ÷ 5
    assert main(["report", str(sample_county.county), "--history", str(path), "--base-year", "2019",
                 "-o", str(out)]) == 1
    assert "  2020 年返贫户数：3 户；比上年减少 40.00%，比基年（2019 年）减少 40.00%" in capsys.readouterr().out


def test_history_that_cannot_be_used(sample_county, tmp_path, capsys):
    path = tmp_path / "历年.csv"
    path.write_text("年份说明,返贫\n甲,乙\n", encoding="utf-8")
    assert main(["report", str(sample_county.county), "--history", str(path), "-o", str(tmp_path / "r.xlsx")]) == 2
    assert capsys.readouterr().err.startswith("错误：历年.csv（历年数据）：")
    other = tmp_path / "历年.txt"
    other.write_text("2019 5", encoding="utf-8")
    assert main(["report", str(sample_county.county), "--history", str(other)]) == 2
    assert capsys.readouterr().err == "错误：历年.txt：历年数据请提供 .xlsx、.xls 或 .csv 文件，不支持“.txt”。\n"


def test_history_values_that_are_not_counts(sample_county, tmp_path, capsys):
    path = tmp_path / "历年.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in (["年度", "返贫户数", "返贫人数"], [2019, 10, 30], [2020, "六户", -2], [2020, 4, 9], [None, 5, 5]):
        ws.append(row)
    wb.save(path)
    assert main(["report", str(sample_county.county), "--history", str(path), "-o", str(tmp_path / "r.xlsx")]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert [line for line in lines if line.startswith("错误：")] == [
        "错误：历年.xlsx 工作表“Sheet” B3“返贫户数”的值“六户”不是整数，未使用",
        "错误：历年.xlsx 工作表“Sheet” C3“返贫人数”为负数（-2），未使用",
        "错误：历年.xlsx 工作表“Sheet” A5没有填写年度，该行未使用",
        "错误：历年.xlsx 工作表“Sheet” 第 4 行的年度 2020 与第 3 行重复，只用第 3 行",
        "错误：2020 年缺少返贫户数",
        "错误：2020 年缺少返贫人数",
    ]


def test_fund_balance_from_the_fund_ledger(sample_county, tmp_path, capsys):
    ledger = tmp_path / "基金台账.xlsx"
    assert main(["fund", str(sample_county.county), "--opening", "0", "--rural-population", "800000",
                 "-o", str(ledger)]) in (0, 1)
    capsys.readouterr()
    closing = CalamineWorkbook.from_path(str(ledger)).get_sheet_by_name("基金").to_python()
    value = next(row[1] for row in closing if row and row[0] == "期末结余（结转下年）")
    assert main(["report", str(sample_county.county), "--fund", str(ledger), "-o", str(tmp_path / "r.xlsx")]) == 0
    lines = capsys.readouterr().out.splitlines()
    expected = [line for line in lines if line.startswith("  基金结余：")]
    assert len(expected) == 1 and expected[0].startswith(f"  基金结余：{number_text(value)} 元（取自 基金台账.xlsx")
    assert main(["report", str(sample_county.county), "--fund", str(sample_county.county),
                 "-o", str(tmp_path / "r2.xlsx")]) == 2  # a county workbook is no ledger, and is an input


def test_paid_cases_whose_amount_cannot_be_read_are_not_called_unfilled(sample_county, tmp_path):
    # 五千 and 1e308 were filled in; the report cannot read them, and says so. A negative amount
    # is left out too (the fund ledger leaves it out), not subtracted from the total.
    county = tmp_path / "县级.xlsx"
    shutil.copy(sample_county.county, county)
    wb = openpyxl.load_workbook(county)
    ws = wb["救助"]
    header = [c.value for c in ws[2]]
    amount, stage = header.index("救助金额") + 1, header.index("状态") + 1
    paid = [r for r in range(3, ws.max_row + 1) if ws.cell(r, stage).value == "已支付"]
    left_out = sum(ws.cell(r, amount).value for r in paid[:3])
    ws.cell(paid[0], amount).value = "五千"
    ws.cell(paid[1], amount).value = 1e308
    ws.cell(paid[2], amount).value = -ws.cell(paid[2], amount).value
    wb.save(county)
    before = report_file(sample_county.county, tmp_path / "r0.xlsx", today=dt.date(2021, 1, 15))
    result = report_file(county, tmp_path / "r.xlsx", today=dt.date(2021, 1, 15))
    rows = {row[0]: row[3] for row in overview_rows(result)}
    assert rows["救助金额合计"] == "元（另有 3 件已支付案件的救助金额为空、无法读取或为负数，未计入）"
    totals = [{row[0]: row[1] for row in overview_rows(r)}["救助金额合计"] for r in (before, result)]
    assert totals[0] - totals[1] == pytest.approx(left_out, abs=0.005)


def test_not_a_county_workbook(tmp_path, capsys):
    path = tmp_path / "其他.xlsx"
    openpyxl.Workbook().save(path)
    assert main(["report", str(path)]) == 2
    assert capsys.readouterr().err == (
        "错误：其他.xlsx：不是乡镇工作簿或县级汇总工作簿（没有找到工作表“监测户”、“救助”），无法用于统计。"
        "工作簿中的工作表：“Sheet”\n")


def test_json_is_the_library_result(sample_county, history, tmp_path, capsys):
    import json

    out = tmp_path / "r.xlsx"
    assert main(["report", str(sample_county.county), "--history", str(history), "-o", str(out), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    library = report_file(sample_county.county, out, history=history).as_dict()
    assert printed == library
    assert (printed["figures"]["relief"], printed["base_year"], printed["townships"]) == (
        479512.2, 2018, ["北皋镇", "双井镇", "德政镇", "魏城镇"])
