"""``fangpin-xl followup`` on the sample county: the register, checked by hand against the source rows.

The sample county visits every household once a calendar quarter, except the
planted ``visit_overdue`` household 北皋镇 103-06-0001, whose last visit is
2020-06-11; a few households' latest visit found a problem it escalated and no
answer is recorded yet. The expectations below are read back from the township
workbooks with a different library (calamine) before they are compared.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from fangpin_xl.cli import main

D = dt.date


def sheet_rows(path: Path, name: str) -> list[list]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name).to_python()


def table(path: Path, name: str, township: str | None = None) -> pd.DataFrame:
    """A sheet of a template-made township workbook or of the county workbook (header on row 2)
    as a frame of what calamine reads; ``township``: only its rows (county workbook)."""
    rows = sheet_rows(path, name)
    frame = pd.DataFrame(rows[2:], columns=rows[1])
    return frame if township is None else frame[frame["来源乡镇"] == township]


def data(path: Path, name: str) -> list[list]:
    """The data rows of a register sheet (below its title and header rows)."""
    return [[None if v == "" else v for v in row] for row in sheet_rows(path, name)[2:]]


@pytest.fixture(scope="module")
def register(sample_county, tmp_path_factory):
    out = tmp_path_factory.mktemp("followup") / "回访登记.xlsx"
    code = main(["followup", str(sample_county.county), "-o", str(out)])
    return code, out


def test_the_overdue_household_by_hand(sample_county, register):
    code, out = register
    assert code == 0
    # The source: 北皋镇's visits of 103-06-0001 stop in the second quarter.
    visits = table(sample_county.township("北皋镇"), "帮扶")
    mine = visits[visits["户编号"] == "103-06-0001"]
    assert mine["回访日期"].tolist() == [D(2019, 9, 11), D(2019, 11, 12), D(2020, 3, 2), D(2020, 6, 11)]
    # So the next visit was due by 09-30: the third quarter was missed and it is overdue.
    row = ["北皋镇", "小周堡", "103-06-0001", "任海志", "李明学"]
    assert data(out, "本季度未回访") == [[*row, D(2020, 6, 11), D(2020, 9, 30), "已逾期", 0.0]]
    assert data(out, "往季漏访") == [[*row, "2020年第3季度", D(2020, 6, 11)]]


def test_coverage_per_quarter(sample_county, register):
    _, out = register
    rows = data(out, "覆盖-乡镇")
    assert [r[:5] for r in rows if r[0] == "2020年第4季度"] == [
        ["2020年第4季度", "北皋镇", 59.0, 58.0, 1.0], ["2020年第4季度", "双井镇", 57.0, 57.0, 0.0],
        ["2020年第4季度", "德政镇", 59.0, 59.0, 0.0], ["2020年第4季度", "魏城镇", 60.0, 60.0, 0.0],
        ["2020年第4季度", "全县合计", 235.0, 234.0, 1.0],
    ]
    # 58 ÷ 59 = 98.305…% → 98.31%; 234 ÷ 235 = 99.574…% → 99.57%.
    assert [r[5] for r in rows if r[0] == "2020年第4季度"] == [0.9831, 1.0, 1.0, 1.0, 0.9957]
    # Owed = monitored (风险未消除) households, counted by hand from 北皋镇's 监测户.
    households = table(sample_county.township("北皋镇"), "监测户")
    assert (households["风险状态"] == "未消除").sum() == 59
    assert len(rows) == 4 * 5
    village = [r for r in data(out, "覆盖-村") if r[0] == "2020年第3季度" and r[2] == "小周堡"]
    assert village == [["2020年第3季度", "北皋镇", "小周堡", 4.0, 3.0, 1.0, 0.75]]
    helper = [r for r in data(out, "覆盖-帮扶人") if r[0] == "2020年第3季度" and r[2] == "李明学"]
    mine = households[(households["帮扶联系人"] == "李明学") & (households["风险状态"] == "未消除")]
    assert helper == [["2020年第3季度", "北皋镇", "李明学", float(len(mine)), float(len(mine) - 1), 1.0,
                       round((len(mine) - 1) / len(mine), 4)]]


def test_open_problems_escalated_without_an_answer(sample_county, register):
    _, out = register
    # 双井镇 keeps its own layout: read its rows from the county workbook.
    visits = table(sample_county.county, "帮扶", "双井镇")
    latest = visits[visits["户编号"] == "104-03-0001"].iloc[-1]
    # The household's last visit found no basic medical care, escalated it, and recorded no measure.
    assert (latest["回访日期"], latest["基本医疗有保障"], latest["处理措施"], latest["上报"]) == (
        D(2020, 10, 31), "否", "", "村两委")
    assert data(out, "未解决问题") == [
        ["双井镇", "东王集", "104-03-0001", "赵东春", "马德", D(2020, 10, 31), "基本医疗有保障",
         "未缴纳城乡居民医保", "村两委", 61.0, "是", "是"],
        ["双井镇", "大田口", "104-06-0006", "魏强振", "徐佳", D(2020, 11, 26), "住房安全有保障",
         "房屋屋顶漏雨", "乡镇", 35.0, "是", "是"],
        ["德政镇", "前宋集", "102-06-0006", "徐丽云", "郝伟平", D(2020, 12, 3), "住房安全有保障",
         "房屋屋顶漏雨", "乡镇", 28.0, "是", None],
        ["德政镇", "大任楼", "102-01-0003", "韩生忠", "陈华振", D(2020, 12, 12), "住房安全有保障",
         "房屋屋顶漏雨", "乡镇", 19.0, "是", None],
    ]


def test_summary_on_the_terminal(sample_county, capsys, tmp_path):
    code = main(["followup", str(sample_county.county), "-o", str(tmp_path / "r.xlsx")])
    assert code == 0
    assert capsys.readouterr().out.splitlines() == [
        "文件：魏县汇总.xlsx（县级汇总工作簿）",
        "参数：魏县 2020 年（工作簿的参数表）",
        "统计基准日：2020-12-31：统计 2020年第1季度 至 2020年第4季度（本季度为 2020年第4季度）",
        "回访规则：每户每个季度至少回访一次，按日历计：一次回访管本季度，下次回访应不晚于下一季度最后一天；"
        "纳入监测当季度不要求回访，风险已消除的户不再统计",
        "监测户：240 户，其中风险未消除 235 户",
        "本季度：应回访 235 户，已回访 234 户，未回访 1 户（其中已逾期 1 户，见“本季度未回访”）",
        "逾期：到统计基准日已逾期 1 户（上一季度也没有回访，或从未回访）",
        "往季漏访：1 户共 1 个季度没有回访（见“往季漏访”）",
        "未解决问题：4 个，其中上报村两委或乡镇尚未答复 4 个，超过 30 天未解决 2 个（见“未解决问题”）",
        "帮扶人：88 人；负责户数超过每季度 30 户的 0 人；未填写帮扶联系人的监测户 0 户",
        "回访记录：读取 960 行 = 计入 960 行 + 未计入 0 行（无；见“回访数据问题”）",
        f"已写出：{tmp_path / 'r.xlsx'}",
    ]


def test_a_township_workbook_gives_the_same_register(sample_county, register, tmp_path):
    _, county = register
    out = tmp_path / "北皋镇回访.xlsx"
    assert main(["followup", str(sample_county.township("北皋镇")), "-o", str(out)]) == 0
    assert data(out, "本季度未回访") == data(county, "本季度未回访")
    assert data(out, "覆盖-乡镇") == [r for r in data(county, "覆盖-乡镇") if r[1] == "北皋镇"]


def test_as_of_mid_quarter(sample_county, tmp_path, capsys):
    out = tmp_path / "r.xlsx"
    assert main(["followup", str(sample_county.county), "--as-of", "2020-11-15", "-o", str(out)]) == 0
    text = capsys.readouterr().out
    # Visits after 11-15 are not counted yet; households not yet visited this quarter still have time.
    assert "本季度：应回访 235 户，已回访 106 户，未回访 129 户（其中已逾期 1 户，见“本季度未回访”）" in text
    assert "回访记录：读取 960 行 = 计入 830 行 + 未计入 130 行（回访日期晚于统计基准日 130 行；见“回访数据问题”）" in text
    states = {r[7] for r in data(out, "本季度未回访")}
    assert states == {"已逾期", "本季度内待回访"}


def test_helpers_above_the_policy_limit(sample_county, tmp_path):
    policy = tmp_path / "本县参数.toml"
    policy.write_text("[followup]\nmax_households_per_helper = 5\n", encoding="utf-8")
    out = tmp_path / "r.xlsx"
    assert main(["followup", str(sample_county.county), "--policy", str(policy), "-o", str(out)]) == 0
    over = [r for r in data(out, "帮扶人") if r[6] == "是"]
    assert over == [["北皋镇", "于亮春", 6.0, 5.0, 1.0, 6.0, "是"], ["双井镇", "苏刚", 6.0, 5.0, 1.0, 6.0, "是"]]
    households = table(sample_county.county, "监测户")
    monitored = households[households["风险状态"] == "未消除"]
    load = monitored.groupby(["来源乡镇", "帮扶联系人"]).size()
    assert load[load > 5].to_dict() == {("北皋镇", "于亮春"): 6, ("双井镇", "苏刚"): 6}


def test_visits_of_unknown_households_and_future_dates_are_findings(sample_county, tmp_path, capsys):
    path = tmp_path / "北皋镇.xlsx"
    shutil.copy(sample_county.township("北皋镇"), path)
    wb = openpyxl.load_workbook(path)
    ws = wb["帮扶"]
    first = ws.max_row + 1
    while ws.cell(first - 1, 1).value is None:
        first -= 1
    added = [("103-99-9999", dt.datetime(2020, 5, 1)), ("103-01-0001", dt.datetime(2099, 1, 1)),
             ("103-01-0001", "不详")]
    for offset, (number, day) in enumerate(added):
        for col, value in enumerate((number, "李明学", day, "是", "是", "是", "是", "是"), start=1):
            ws.cell(first + offset, col, value)
    wb.save(path)
    out = tmp_path / "r.xlsx"
    assert main(["followup", str(path), "-o", str(out)]) == 1
    today = dt.date.today().isoformat()
    assert data(out, "回访数据问题") == [
        ["帮扶", float(first), "北皋镇", "103-99-9999", "2020-05-01", "李明学", "户编号在“监测户”表中不存在，未计入"],
        ["帮扶", float(first + 1), "北皋镇", "103-01-0001", "2099-01-01", "李明学",
         f"回访日期晚于今天（{today}）：请核对年份和月份，未计入"],
        # The date as typed, so the clerk sees what could not be read.
        ["帮扶", float(first + 2), "北皋镇", "103-01-0001", "不详", "李明学", "回访日期为空或无法识别，未计入"],
    ]
    text = capsys.readouterr().out
    assert "回访记录：读取 243 行 = 计入 240 行 + 未计入 3 行（户编号在“监测户”表中不存在 1 行；回访日期晚于今天 1 行；" \
           "回访日期为空或无法识别 1 行；见“回访数据问题”）" in text
    assert "有 3 处回访数据错误（见“回访数据问题”工作表）。" in text


def test_not_a_township_or_county_workbook(tmp_path, capsys):
    path = tmp_path / "名单.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Sheet1"
    wb.active["A1"] = "姓名"
    wb.save(path)
    assert main(["followup", str(path)]) == 2
    assert capsys.readouterr().err == (
        "错误：名单.xlsx：不是乡镇工作簿或县级汇总工作簿（没有找到工作表“监测户”、“帮扶”），无法用于回访登记。"
        "工作簿中的工作表：“Sheet1”\n")
    assert not (tmp_path / "名单-回访登记.xlsx").exists()


def test_output_must_not_be_the_input(sample_county, capsys):
    assert main(["followup", str(sample_county.county), "-o", str(sample_county.county)]) == 2
    assert "输入文件不会被覆盖" in capsys.readouterr().err


def test_register_prints_on_a4_with_repeated_headers(register):
    _, out = register
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["概况", "本季度未回访", "往季漏访", "覆盖-乡镇", "覆盖-村", "覆盖-帮扶人", "未解决问题",
                             "帮扶人", "回访数据问题"]
    for ws in wb.worksheets[1:]:
        # A4 (orientation and scale by the columns' width: workbook.write.page_setup).
        assert ws.page_setup.paperSize == 9 and ws.oddFooter.center.text.startswith("第 &P 页")
        assert ws.print_title_rows == "$1:$2"


def test_json_is_the_library_result(sample_county, tmp_path, capsys):
    import json

    from fangpin_xl.ledgers.register import followup_file

    out = tmp_path / "r.xlsx"
    assert main(["followup", str(sample_county.county), "-o", str(out), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == followup_file(sample_county.county, out).as_dict()
    assert (printed["owe_now"], printed["visited_now"], printed["missed"], printed["open_problems"]) == (235, 234, 1, 4)


def test_a_workbook_named_in_gbk(sample_county, tmp_path, capsys):
    """Unzipped from an archive made on Chinese Windows: the name is GBK bytes. It is shown as
    the clerk sees it, and the register beside it is named in that decoded form."""
    raw = os.path.join(bytes(tmp_path), "北皋镇.xlsx".encode("gbk"))
    shutil.copyfile(sample_county.township("北皋镇"), raw)
    source = os.fsdecode(raw)
    for _ in range(2):  # the second run replaces the first run's register
        assert main(["followup", source]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert lines[0] == "文件：北皋镇.xlsx（乡镇工作簿）"
        assert lines[-1] == f"已写出：{tmp_path / '北皋镇-回访登记.xlsx'}"
    # The register's name is the decoded one (not GBK and UTF-8 bytes mixed).
    assert sorted(os.listdir(bytes(tmp_path))) == sorted([os.path.basename(raw), "北皋镇-回访登记.xlsx".encode()])
