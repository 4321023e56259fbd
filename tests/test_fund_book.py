"""``fund_ledger_file`` on hand-made county workbooks: figures, sheets, chart, print setup, bad input."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from fangpin_xl.errors import InputError
from fangpin_xl.fund_book import CHART_SERIES, MONTHLY_HEADERS, read_previous
from fangpin_xl.fund_ledger import fund_ledger_file
from fangpin_xl.policy import Policy

D = dt.datetime
COUNTY_SET = replace(Policy(county="测试县", year=2020, service_fee_rate=0.03),
                     set_keys=frozenset({"fund.service_fee_rate"}))
HEADERS = ["来源乡镇", "案件编号", "户编号", "救助类别", "发现日期", "发现方式", "救助金额", "支付日期", "状态",
           "来源文件", "来源工作表", "来源行"]
#: (township, case, kind, amount, paid on, stage); each from row (index + 3) of its township file.
CASES = [
    ("甲镇", "A-1", "因病", 1000.005, D(2020, 1, 10), "已支付"),
    ("甲镇", "A-2", "因学", 2500.10, D(2020, 3, 15), "已支付"),
    ("乙镇", "B-1", "因意外", 12000, D(2020, 12, 31), "已备案"),
    ("乙镇", "B-2", "因病", 800, D(2019, 12, 31), "已支付"),
    ("乙镇", "B-3", "因病", "五千元", D(2020, 6, 1), "已支付"),
    ("丙镇", "C-1", "因产业", -300, D(2020, 7, 1), "已支付"),
    ("丙镇", "C-2", "因病", None, None, "已支付"),
    ("丙镇", "C-3", "因病", None, None, "公示中"),
    ("丙镇", "C-4", "因病", 700, "去年", "已支付"),
    ("丙镇", "C-5", "因病", None, D(2020, 8, 1), "已支付"),
    ("甲镇", "A-3", "因病", 2000, D(2021, 1, 1), "已支付"),
]


def write_county(path: Path, cases=CASES, *, sheets=("汇总", "救助", "来源"), headers=HEADERS) -> Path:
    """A county workbook as merge lays it out: title on row 1, headers on row 2, data from row 3."""
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "default_date_format": "yyyy-mm-dd"})
    for name in sheets:
        ws = wb.add_worksheet(name)
        ws.write_string(0, 0, f"{name}（测试县 2020 年全县汇总）")
        if name != "救助":
            continue
        ws.write_row(1, 0, headers)
        seen: dict[str, int] = {}
        for r, (town, case, kind, amount, paid, stage) in enumerate(cases, start=2):
            seen[town] = seen.get(town, 0) + 1
            values = {"来源乡镇": town, "案件编号": case, "户编号": case.replace("-", "H"), "救助类别": kind,
                      "发现日期": D(2019, 12, 1), "发现方式": "自下而上申请", "救助金额": amount,
                      "支付日期": paid, "状态": stage, "来源文件": f"{town}.xlsx", "来源工作表": "救助",
                      "来源行": seen[town] + 2}
            for c, header in enumerate(headers):
                if values.get(header) is not None:
                    ws.write(r, c, values[header])
    wb.close()
    return path


@pytest.fixture
def county(tmp_path) -> Path:
    return write_county(tmp_path / "测试县2020年汇总.xlsx")


def test_a_hand_made_year_to_the_fen(county, tmp_path):
    out = tmp_path / "基金2020.xlsx"
    result = fund_ledger_file(county, out, opening=12_345.67, rural_population=1_000, policy=COUNTY_SET)
    lg = result.ledger
    assert (lg.county, lg.year, lg.insured, lg.premium_fen) == ("测试县", 2020, 100, 500_000)
    # 1000.005 → 1000.01 (each case to the fen first), 2500.10, 12000 (状态 lags: counted, warned)
    assert (lg.relief_fen, lg.cases, lg.fee_fen, lg.top_up_fen) == (1_550_011, 3, 46_500, 0)
    assert lg.closing_fen == 1_234_567 + 500_000 - 1_550_011 - 46_500 == 138_056
    assert result.rows_read == 11
    assert result.counts == {"counted": 3, "other_year": 2, "unpaid": 1, "rejected": 5}
    assert (result.rejected, result.warnings, result.exit_code) == (5, 1, 1)

    problems = result.problems
    assert problems[["级别", "处理", "案件编号", "县级工作簿单元格", "值"]].values.tolist() == [
        ["提醒", "已计入", "B-1", "救助!I5", "已备案"],
        ["错误", "未计入", "B-3", "救助!G7", "五千元"],
        ["错误", "未计入", "C-1", "救助!G8", "-300"],
        ["错误", "未计入", "C-2", "救助!H9", ""],
        ["错误", "未计入", "C-4", "救助!H11", "去年"],
        ["错误", "未计入", "C-5", "救助!G12", ""],
    ]
    assert problems["说明"].iloc[1] == (
        "测试县2020年汇总.xlsx 救助!G7（来源：乙镇 乙镇.xlsx 工作表“救助”第 5 行）：救助金额“五千元”不是数字。"
        "本行未计入 2020 年救助支出：请在来源乡镇工作簿中更正，重新汇总（fangpin-xl merge）后再生成基金台账。")
    assert problems["说明"].iloc[0] == (
        "测试县2020年汇总.xlsx 救助!I5（来源：乙镇 乙镇.xlsx 工作表“救助”第 3 行）：支付日期 2020-12-31 在 2020 年，"
        "但状态为“已备案”：已按支付日期计入本年救助支出，请核对状态。")

    # Read back with calamine (xlsxwriter wrote it).
    book = CalamineWorkbook.from_path(str(out))
    assert book.sheet_names == ["基金", "救助明细", "问题"]
    fund = book.get_sheet_by_name("基金").to_python()
    by_label = {row[0]: row[1] for row in fund if row and isinstance(row[0], str) and row[0]}
    assert by_label["年度"] == 2020 and by_label["农村人口（人）"] == 1000 and by_label["投保人数（人）"] == 100
    assert by_label["县（市、区）"] == "测试县" and by_label["服务费率"] == 0.03
    ledger_lines = ["上年结余（期初余额）", "本年保费", "县级财政补足", "本年救助支出", "保险公司服务费", "期末结余（结转下年）"]
    assert [by_label[k] for k in ledger_lines] == [12345.67, 5000, 0, 15500.11, 465, 1380.56]
    texts = {row[0]: row[2] for row in fund if row and row[0] in ledger_lines}
    assert texts["保险公司服务费"] == "本年救助支出 15500.11 元 × 服务费率 3% = 465.0033 元，四舍五入到分"
    assert texts["期末结余（结转下年）"] == (
        "期初 12345.67 + 保费 5000 + 县级补足 0 − 救助支出 15500.11 − 服务费 465 = 1380.56 元，结转 2021 年")
    assert "示例" not in "".join(str(v) for row in fund for v in row if isinstance(v, str) and "服务费率" in v)

    details = book.get_sheet_by_name("救助明细").to_python()
    assert details[1][:6] == ["来源乡镇", "案件编号", "户编号", "救助类别", "支付日期", "救助金额（元）"]
    assert [row[1] for row in details[2:5]] == ["A-1", "A-2", "B-1"]
    assert [row[5] for row in details[2:5]] == [1000.01, 2500.1, 12000]
    assert details[5][0] == "合计" and details[5][5] == 15500.11
    assert sum(Decimal(str(row[5])) for row in details[2:5]) == Decimal("15500.11")

    previous = read_previous(out)
    assert (previous.year, previous.closing_fen, previous.rural_population, previous.county) == (
        2020, 138_056, 1_000, "测试县")


def test_the_next_year_carries_the_closing_balance(county, tmp_path):
    first = fund_ledger_file(county, tmp_path / "2020.xlsx", opening=12_345.67, rural_population=100,
                             policy=COUNTY_SET)
    assert (first.ledger.top_up_fen, first.ledger.closing_fen) == (311_944, 0)
    nxt = write_county(tmp_path / "2021汇总.xlsx", [
        ("甲镇", "A-3", "因病", 2000, D(2021, 1, 1), "已支付"),
        ("丁镇", "D-1", "因学", 9000.5, D(2021, 9, 30), "已支付")])
    second = fund_ledger_file(nxt, tmp_path / "2021.xlsx", previous=tmp_path / "2020.xlsx", policy=COUNTY_SET)
    lg = second.ledger
    assert lg.year == 2021 and lg.opening_fen == first.ledger.closing_fen == 0
    assert lg.rural_population == 100 and lg.premium_fen == 50_000
    assert lg.relief_fen == 1_100_050
    assert lg.fee_fen == 33_002  # 11,000.50 × 3% = 330.015 → 330.02
    assert lg.top_up_fen == 1_083_052 and lg.closing_fen == 0
    assert lg.opening_fen + lg.premium_fen + lg.top_up_fen - lg.relief_fen - lg.fee_fen == lg.closing_fen
    assert second.notes == ["农村人口沿用上年基金台账的 100 人；本年有变化时请用 --rural-population 填写。"]
    assert second.population_source.startswith("沿用上年基金台账 2020.xlsx B8 的农村人口")
    assert second.opening_source == "上年基金台账 2020.xlsx 工作表“基金” B21 的期末结余（结转下年）"
    assert second.exit_code == 0


def test_the_chart_reads_the_monthly_table(county, tmp_path):
    out = tmp_path / "基金.xlsx"
    result = fund_ledger_file(county, out, opening=0, rural_population=1_000, policy=COUNTY_SET)
    wb = openpyxl.load_workbook(out)
    ws = wb["基金"]
    header = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "月份")
    assert [ws.cell(header, c).value for c in range(1, 9)] == list(MONTHLY_HEADERS)
    months = [ws.cell(r, 1).value for r in range(header + 1, header + 13)]
    assert months == [f"{m}月" for m in range(1, 13)]
    (chart,) = ws._charts
    plots = chart._charts
    assert [type(p).__name__ for p in plots] == ["BarChart", "LineChart"]
    series = [s for p in plots for s in p.series]
    assert len(series) == len(CHART_SERIES) == 3
    first, last = header + 1, header + 12
    monthly = result.ledger.monthly
    for s, (col, _kind), key in zip(series, CHART_SERIES, ("premium", "relief", "closing"), strict=True):
        letter = "ABCDEFGH"[col]
        assert s.tx.strRef.f == f"基金!${letter}${header}"
        assert s.cat.strRef.f == f"基金!$A${first}:$A${last}"
        assert s.val.numRef.f == f"基金!${letter}${first}:${letter}${last}"
        values = [ws.cell(r, col + 1).value for r in range(first, last + 1)]
        assert [round(v * 100) for v in values] == monthly[key].tolist()
    assert ws.cell(header, 3).value == "保费收入（元）" and ws.cell(header, 5).value == "救助支出（元）"
    assert ws.cell(header, 7).value == "月末余额（元）"
    # The year's row under the months.
    assert [ws.cell(last + 1, c).value for c in range(1, 9)] == ["全年", 0, 5000, 10965.11, 15500.11, 465, 0, 3]


def test_print_setup_and_names(county, tmp_path):
    out = tmp_path / "基金.xlsx"
    fund_ledger_file(county, out, opening=0, rural_population=1_000, policy=COUNTY_SET)
    wb = openpyxl.load_workbook(out)
    ws = wb["基金"]
    assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "portrait"
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 0
    assert ws.print_title_rows == "$1:$2"
    assert re.fullmatch(r"'基金'!\$A\$1:\$H\$\d+", ws.print_area)
    assert "第 &P 页" in ws.oddFooter.center.text
    names = {name: wb.defined_names[name].attr_text for name in wb.defined_names}
    assert names == {"FUND_CLOSING": "'基金'!$B$21", "FUND_RURAL_POPULATION": "'基金'!$B$8",
                     "FUND_YEAR": "'基金'!$B$7"}
    assert (ws["A21"].value, ws["A8"].value, ws["A7"].value) == ("期末结余（结转下年）", "农村人口（人）", "年度")
    for name in ("救助明细", "问题"):
        sheet = wb[name]
        assert sheet.page_setup.paperSize == 9 and sheet.page_setup.orientation == "landscape"
        assert sheet.print_title_rows == "$1:$2"


def test_libreoffice_prints_it(county, tmp_path, soffice):
    out = tmp_path / "基金.xlsx"
    fund_ledger_file(county, out, opening=0, rural_population=1_000, policy=COUNTY_SET)
    pdf = soffice(out, to="pdf")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", data))
    assert 3 <= pages <= 6  # 基金 on one or two pages, 救助明细 and 问题 on one each
    # LibreOffice keeps the chart and its ranges when it saves the workbook again.
    again = soffice(out)
    (chart,) = openpyxl.load_workbook(again)["基金"]._charts
    refs = [s.val.numRef.f for p in chart._charts for s in p.series]
    assert [re.sub(r"[$']", "", f).split("!")[1].split(":")[0][0] for f in refs] == ["C", "E", "G"]


# -- bad input --------------------------------------------------------------------------------------

def _error(call) -> str:
    with pytest.raises(InputError) as caught:
        call()
    assert caught.value.exit_code == 2
    return str(caught.value)


def test_unusable_county_workbooks(tmp_path):
    no_cases = write_county(tmp_path / "无救助.xlsx", sheets=("汇总", "来源"))
    assert _error(lambda: fund_ledger_file(no_cases, tmp_path / "o.xlsx", opening=0, rural_population=1)) == (
        "无救助.xlsx：没有“救助”工作表，无法计算本年救助支出（工作簿中的工作表：“汇总”、“来源”）。"
        "请先用 fangpin-xl merge 把各乡镇工作簿汇总为县级工作簿，再对县级工作簿生成基金台账。")
    township = write_county(tmp_path / "甲镇.xlsx", headers=[h if h != "来源乡镇" else "乡镇" for h in HEADERS])
    assert _error(lambda: fund_ledger_file(township, tmp_path / "o.xlsx", opening=0, rural_population=1)) == (
        "甲镇.xlsx 工作表“救助”没有“来源乡镇”列：这是乡镇工作簿，不是县级汇总工作簿。基金台账按全县计算，"
        "请先用 fangpin-xl merge 把各乡镇工作簿汇总为县级工作簿，再对县级工作簿生成基金台账。")
    no_dates = write_county(tmp_path / "缺列.xlsx", headers=[h for h in HEADERS if h != "支付日期"])
    assert _error(lambda: fund_ledger_file(no_dates, tmp_path / "o.xlsx", opening=0, rural_population=1)) == (
        "缺列.xlsx 工作表“救助”缺少列“支付日期”（第 2 行是表头），无法计算救助支出。")
    assert not (tmp_path / "o.xlsx").exists()


def test_unusable_options(county, tmp_path):
    out = tmp_path / "o.xlsx"
    assert _error(lambda: fund_ledger_file(county, out, rural_population=1)).startswith(
        "缺少上年结余：请用 --previous 给出上年的基金台账")
    assert _error(lambda: fund_ledger_file(county, out, opening=0, previous=county, rural_population=1)) == (
        "--previous 和 --opening 只能给出一个：上年结余或者从上年基金台账读取，或者直接填写。")
    assert _error(lambda: fund_ledger_file(county, out, opening=-0.01, rural_population=1)) == (
        "--opening 应为不小于 0 的上年结余金额（元），现为 -0.01：期末结余不会为负数（不足部分由县级财政补足）。")
    assert _error(lambda: fund_ledger_file(county, out, opening="十万", rural_population=1)) == (
        "--opening 应为上年结余金额（元），现为“十万”。")
    assert _error(lambda: fund_ledger_file(county, out, opening=0, rural_population=-3)) == (
        "--rural-population 应为农村人口（0 到 100 亿之间的整数），现为 -3。")
    assert _error(lambda: fund_ledger_file(county, out, opening=0)) == (
        "缺少农村人口：请用 --rural-population 给出 2020 年的农村人口（人）。")
    assert _error(lambda: fund_ledger_file(county, county, opening=0, rural_population=1)) == (
        f"输出文件 {county} 就是输入文件 测试县2020年汇总.xlsx：输入文件不会被覆盖，请另选输出文件名。")
    other = tmp_path / "别人的.xlsx"
    write_county(other, sheets=("名单",))
    assert _error(lambda: fund_ledger_file(county, other, opening=0, rural_population=1)) == (
        f"输出文件 {other} 已存在，且不是本工具写出的基金台账（可能是乡镇工作簿或其他文件）：不会覆盖它，"
        "请另选输出文件名，如 魏县2020年基金台账.xlsx。")
    assert not out.exists()


def _ledger(tmp_path, county) -> Path:
    out = tmp_path / "2020.xlsx"
    fund_ledger_file(county, out, opening=0, rural_population=1_000, policy=COUNTY_SET)
    return out


def _edit(path: Path, cell: str, value) -> Path:
    wb = openpyxl.load_workbook(path)
    wb["基金"][cell] = value
    wb.save(path)
    return path


def test_unusable_previous_ledgers(county, tmp_path):
    nxt = write_county(tmp_path / "2021汇总.xlsx", [("甲镇", "A-3", "因病", 2000, D(2021, 1, 1), "已支付")])
    out = tmp_path / "2021.xlsx"

    def run(previous, **kw):
        return lambda: fund_ledger_file(nxt, out, previous=previous, policy=COUNTY_SET, **kw)

    assert _error(run(county)) == (
        "上年基金台账 测试县2020年汇总.xlsx：没有“基金”工作表，不是基金台账（工作簿中的工作表：“汇总”、“救助”、“来源”）。"
        "请给出上年用 fangpin-xl fund 生成的基金台账，或改用 --opening 直接填写上年结余。")
    assert _error(run(_edit(_ledger(tmp_path, county), "B21", "一千元"))) == (
        "上年基金台账 2020.xlsx：工作表“基金” B21 的期末结余（结转下年）应为金额（元），现为“一千元”。")
    assert _error(run(_edit(_ledger(tmp_path, county), "B21", -5))) == (
        "上年基金台账 2020.xlsx：工作表“基金” B21 的期末结余（结转下年）为负数（-5 元）：期末结余不会为负数"
        "（不足部分由县级财政补足），请核对该文件。")
    assert _error(run(_edit(_ledger(tmp_path, county), "B7", "去年"))) == (
        "上年基金台账 2020.xlsx：工作表“基金” B7 的年度应为年份（如 2020），现为“去年”。")
    assert _error(run(_edit(_ledger(tmp_path, county), "A21", "结余"))) == (
        "上年基金台账 2020.xlsx：工作表“基金” A 列找不到“期末结余（结转下年）”，不是 fund 生成的基金台账，或表格已被改动。"
        "请给出上年用 fangpin-xl fund 生成的基金台账，或改用 --opening 直接填写上年结余。")
    assert _error(run(_ledger(tmp_path, county), year=2022)) == (
        "上年基金台账 2020.xlsx 工作表“基金” B7 的年度是 2020 年，不是 2021 年：2022 年的上年结余应取 2021 年的基金台账。")
    assert _error(run(_edit(_ledger(tmp_path, county), "B8", "一千人"))) == (
        "缺少农村人口（2020.xlsx 工作表“基金” B8 的农村人口（人）应为人数（整数），现为“一千人”）："
        "请用 --rural-population 给出 2021 年的农村人口（人）。")
    # With the population given, the unusable one of last year does not matter; a closing typed as text
    # with a unit, as a clerk might, is read as the number it says.
    done = fund_ledger_file(nxt, out, previous=_edit(_edit(_ledger(tmp_path, county), "B8", "一千人"),
                                                     "B21", "1,380.56元"),
                            rural_population=1_000, policy=COUNTY_SET)
    assert done.ledger.opening_fen == 138_056 and done.ledger.year == 2021
    assert not (tmp_path / "missing.xlsx").exists()
    assert _error(run(tmp_path / "missing.xlsx")) == "上年基金台账 missing.xlsx：找不到文件"


def test_rejected_amounts_do_not_stop_the_ledger_but_set_exit_code_1(tmp_path):
    county = write_county(tmp_path / "c.xlsx", [("甲镇", "A-1", "因病", "abc", D(2020, 5, 5), "已支付")])
    result = fund_ledger_file(county, tmp_path / "o.xlsx", opening=0, rural_population=10)
    assert (result.ledger.relief_fen, result.rejected, result.exit_code) == (0, 1, 1)
    assert result.ledger.fee_rate_example
    fund = CalamineWorkbook.from_path(str(tmp_path / "o.xlsx")).get_sheet_by_name("基金").to_python()
    rate_row = next(row for row in fund if row[0] == "服务费率")
    assert rate_row[2] == "示例（以本县合同为准）：参数文件未设置 fund.service_fee_rate，用的是程序自带的示例费率"
    fee_row = next(row for row in fund if row[0] == "保险公司服务费")
    assert fee_row[2] == "本年救助支出 0 元 × 服务费率 5%（示例（以本县合同为准）） = 0 元，四舍五入到分"
