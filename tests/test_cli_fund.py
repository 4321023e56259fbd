"""``fangpin-xl fund`` on the sample county, two years in a row: every figure to the fen, carried forward."""

from __future__ import annotations

import datetime as dt
import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from fangpin_xl.cli import main
from fangpin_xl.demo import write_sample_county
from fangpin_xl.fund_ledger import fund_ledger_file
from fangpin_xl.merge import merge_workbooks
from fangpin_xl.policy import Policy

CENT = Decimal("0.01")


@pytest.fixture(scope="module")
def counties(tmp_path_factory) -> dict[int, Path]:
    """County workbooks of 2019 (seed 1) and 2020 (seed 0), merged from the sample townships."""
    base = tmp_path_factory.mktemp("fund-counties")
    out = {}
    for year, seed in ((2019, 1), (2020, 0)):
        sample = write_sample_county(base / f"样例{year}", townships=3, households=30, seed=seed,
                                     policy=Policy(year=year))
        out[year] = base / f"魏县{year}年汇总.xlsx"
        merge_workbooks(list(sample.workbooks.values()), out[year], jobs=1, policy=Policy(year=year))
    return out


def paid_in(county: Path, year: int) -> tuple[int, Decimal]:
    """Cases and yuan paid in ``year`` by the county workbook's 救助 sheet, read with openpyxl."""
    ws = openpyxl.load_workbook(county, read_only=True)["救助"]
    rows = ws.iter_rows(values_only=True)
    next(rows)
    header = list(next(rows))
    amount, paid = header.index("救助金额"), header.index("支付日期")
    found = [Decimal(str(r[amount])).quantize(CENT, ROUND_HALF_UP) for r in rows
             if isinstance(r[paid], dt.datetime) and r[paid].year == year]
    return len(found), sum(found, Decimal(0))


def fund_sheet(path: Path) -> dict[str, object]:
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("基金").to_python()
    out: dict[str, object] = {}
    for row in rows:
        if row and isinstance(row[0], str) and row[0]:
            out.setdefault(row[0], row[1])
    return out


def test_two_years_carry_forward(counties, tmp_path, capsys):
    first, second = tmp_path / "魏县2019年基金台账.xlsx", tmp_path / "魏县2020年基金台账.xlsx"
    assert main(["fund", str(counties[2019]), "--year", "2019", "--opening", "10,000元",
                 "--rural-population", "40000", "-o", str(first)]) == 0
    capsys.readouterr()
    assert main(["fund", str(counties[2020]), "--previous", str(first), "--rural-population", "12345",
                 "-o", str(second)]) == 0
    assert capsys.readouterr().out == (
        "魏县 2020 年防贫救助资金池（内置默认参数）\n"
        "县级工作簿：魏县2020年汇总.xlsx，救助表 26 行 = 本年支付计入 14 + 其他年度支付 0 + 未支付 12 + 未计入 0\n"
        "农村人口 12345 人 × 投保比例 10% = 投保 1235 人（四舍五入到整人）；服务费率 5%（示例（以本县合同为准））\n"
        "  上年结余（期初余额）  69862.65 元（上年基金台账 魏县2019年基金台账.xlsx 工作表“基金” B21 的期末结余（结转下年））\n"
        "+ 本年保费            61750 元（1235 人 × 50 元，年初计入）\n"
        "+ 县级财政补足        0 元\n"
        "− 本年救助支出        62948.04 元（14 笔，支付日期在 2020 年）\n"
        "− 保险公司服务费      3147.4 元\n"
        "= 期末结余（结转下年）65517.21 元\n"
        f"已写出：{second}\n")

    year1, year2 = fund_sheet(first), fund_sheet(second)
    items = ("上年结余（期初余额）", "本年保费", "县级财政补足", "本年救助支出", "保险公司服务费", "期末结余（结转下年）")
    # 2019: 10,000 + 4,000 × 50 − 133,464.14 − 6,673.21 (133,464.14 × 5% = 6,673.207)
    assert [year1[k] for k in items] == [10000, 200000, 0, 133464.14, 6673.21, 69862.65]
    assert [year2[k] for k in items] == [69862.65, 61750, 0, 62948.04, 3147.4, 65517.21]
    assert (year1["年度"], year2["年度"], year2["农村人口（人）"], year2["投保人数（人）"]) == (2019, 2020, 12345, 1235)
    for sheet in (year1, year2):
        opening, premium, top_up, relief, fee, closing = (Decimal(str(sheet[k])) for k in items)
        assert opening + premium + top_up - relief - fee == closing
        assert fee == (relief * Decimal("0.05")).quantize(CENT, ROUND_HALF_UP)
    assert year2["上年结余（期初余额）"] == year1["期末结余（结转下年）"]

    # Payouts are exactly the cases the county workbook shows paid in the year.
    assert paid_in(counties[2019], 2019) == (25, Decimal("133464.14"))
    assert paid_in(counties[2020], 2020) == (14, Decimal("62948.04"))
    summary = CalamineWorkbook.from_path(str(counties[2020])).get_sheet_by_name("汇总").to_python()
    header = summary[1]
    total = next(row for row in summary if row[0] == "全县合计")
    assert total[header.index("已支付救助金额（元）")] == 62948.04

    # Tables by kind and township add up to the payouts.
    rows = CalamineWorkbook.from_path(str(second)).get_sheet_by_name("基金").to_python()
    starts = [i for i, row in enumerate(rows) if row[0] in ("救助类别", "乡镇")]
    for start in starts:
        body = []
        for row in rows[start + 1:]:
            if row[0] == "合计":
                assert row[1:3] == [14, 62948.04]
                break
            body.append(row)
        assert sum(r[1] for r in body) == 14
        assert sum(Decimal(str(r[2])) for r in body) == Decimal("62948.04")
    township_rows = rows[starts[1] + 1:starts[1] + 4]
    assert [r[:3] for r in township_rows] == [["魏城镇", 5, 22765.8], ["德政镇", 2, 8723.5], ["北皋镇", 7, 31458.74]]
    kind_rows = rows[starts[0] + 1:starts[0] + 5]
    assert [r[:3] for r in kind_rows] == [["因病", 8, 46735.97], ["因学", 0, 0], ["因意外", 2, 10507.2],
                                          ["因产业", 4, 5704.87]]


def test_population_carried_and_a_shortfall_topped_up(counties, tmp_path, capsys):
    first, second = tmp_path / "2019.xlsx", tmp_path / "2020.xlsx"
    assert main(["fund", str(counties[2019]), "--year", "2019", "--opening", "0", "--rural-population", "20000",
                 "-o", str(first)]) == 0
    assert main(["fund", str(counties[2020]), "--previous", str(first), "-o", str(second)]) == 0
    out = capsys.readouterr().out
    assert "+ 县级财政补足        40137.35 元\n" in out  # 2019: 100,000 − 133,464.14 − 6,673.21
    assert "提醒：农村人口沿用上年基金台账的 20000 人；本年有变化时请用 --rural-population 填写。\n" in out
    assert fund_sheet(first)["期末结余（结转下年）"] == 0
    # 2020: 0 + 100,000 − 62,948.04 − 3,147.40
    assert fund_sheet(second)["期末结余（结转下年）"] == 33904.56


def test_json_equals_the_library(counties, tmp_path, capsys):
    assert main(["fund", str(counties[2020]), "--opening", "1.5", "--rural-population", "800000",
                 "--json", "-o", str(tmp_path / "a.xlsx")]) == 0
    printed = json.loads(capsys.readouterr().out)
    result = fund_ledger_file(counties[2020], tmp_path / "b.xlsx", opening=1.5, rural_population=800_000)
    expected = result.as_dict()
    assert printed.pop("output").endswith("a.xlsx") and expected.pop("output").endswith("b.xlsx")
    assert printed == expected
    # 魏县 2017: 10% of 800,000 rural people at 50 yuan is 4,000,000 yuan.
    assert printed["premium"] == {"fen": 400_000_000, "yuan": "4000000"}
    assert printed["rows"] == {"read": 26, "counted": 14, "other_year": 0, "unpaid": 12, "rejected": 0}
    assert printed["closing"]["fen"] == 150 + 400_000_000 - 6_294_804 - 314_740


def _county(path: Path, amount, paid) -> Path:
    wb = xlsxwriter.Workbook(str(path), {"default_date_format": "yyyy-mm-dd"})
    wb.add_worksheet("汇总")
    ws = wb.add_worksheet("救助")
    ws.write_row(1, 0, ["来源乡镇", "案件编号", "户编号", "救助类别", "救助金额", "支付日期", "状态", "来源文件",
                        "来源工作表", "来源行"])
    ws.write_row(2, 0, ["甲镇", "A-1", "H1", "因病"])
    ws.write(2, 4, amount)
    ws.write(2, 5, paid)
    ws.write_row(2, 6, ["已支付", "甲镇.xlsx", "救助", 7])
    wb.close()
    return path


def test_a_text_amount_is_named_and_exits_1(tmp_path, capsys):
    county = _county(tmp_path / "县.xlsx", "5,000元整", dt.datetime(2020, 6, 1))
    assert main(["fund", str(county), "--opening", "0", "--rural-population", "100", "-o",
                 str(tmp_path / "o.xlsx")]) == 1
    out = capsys.readouterr().out
    assert ("有 1 行救助未能计入（金额或支付日期有误），见“问题”工作表：\n"
            "  县.xlsx 救助!E3（来源：甲镇 甲镇.xlsx 工作表“救助”第 7 行）：救助金额“5,000元整”不是数字。"
            "本行未计入 2020 年救助支出：请在来源乡镇工作簿中更正，重新汇总（fangpin-xl merge）后再生成基金台账。\n") in out
    assert (tmp_path / "o.xlsx").exists()


def test_default_output_name_and_unusable_input(counties, tmp_path, capsys):
    county = _county(tmp_path / "县.xlsx", 100, dt.datetime(2020, 6, 1))
    assert main(["fund", str(county), "--opening", "0", "--rural-population", "100"]) == 0
    assert (tmp_path / "魏县2020年基金台账.xlsx").exists()
    capsys.readouterr()

    assert main(["fund", str(county), "--opening", "abc", "--rural-population", "100"]) == 2
    assert capsys.readouterr().err.endswith("错误：'--opening' 的值无效：“abc”不是金额（元）（例如 125000.50）\n")
    assert main(["fund", str(county), "--opening", "0", "--rural-population", "十万"]) == 2
    assert capsys.readouterr().err.endswith(
        "错误：'--rural-population' 的值无效：“十万”不是人数（整数）（例如 800000）\n")
    assert main(["fund", str(county), "--rural-population", "100"]) == 2
    assert capsys.readouterr().err == (
        "错误：缺少上年结余：请用 --previous 给出上年的基金台账（fangpin-xl fund 生成的工作簿），"
        "或用 --opening 直接填写上年结余（元；资金池第一年填 0）。\n")
    assert main(["fund", str(county), "--previous", str(counties[2020]), "-o", str(tmp_path / "x.xlsx")]) == 2
    assert capsys.readouterr().err.startswith("错误：上年基金台账 魏县2020年汇总.xlsx：没有“基金”工作表")
    assert main(["fund", str(county), "--opening", "0", "--rural-population", "1", "-o", str(county)]) == 2
    assert capsys.readouterr().err == (
        f"错误：输出文件 {county} 就是输入文件 县.xlsx：输入文件不会被覆盖，请另选输出文件名。\n")
    assert not (tmp_path / "x.xlsx").exists()


def test_help_states_the_rules(capsys):
    assert main(["fund", "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("用法： fangpin-xl fund [选项] 县级工作簿")
    assert "于 1 月 1 日计入" in out and "支付日期在本年" in out and "2  用法错误" in out
