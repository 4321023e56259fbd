from pathlib import Path

import openpyxl
import pandas as pd

from fangpin_xl.cli import main
from fangpin_xl.demo import write_roster
from fangpin_xl.policy import load_policy
from fangpin_xl.templates import workbook_file_name


def test_template_writes_one_blank_workbook_per_township(tmp_path, capsys):
    code = main(["template", str(tmp_path), "--county", "魏县", "--township", "东代固乡",
                 "--township", "院堡乡"])
    out = capsys.readouterr().out
    assert code == 0
    policy = load_policy()
    names = [workbook_file_name(policy, t) for t in ("东代固乡", "院堡乡")]
    assert names == ["魏县东代固乡2020年防贫工作簿.xlsx", "魏县院堡乡2020年防贫工作簿.xlsx"]
    assert out.splitlines() == [f"已生成：{tmp_path / n}" for n in names] + ["共 2 个乡镇工作簿。"]
    wb = openpyxl.load_workbook(tmp_path / names[0], read_only=True)
    assert wb.sheetnames == ["说明", "参数", "监测户", "家庭成员", "支出", "救助", "帮扶", "援助", "日历"]


def test_template_from_roster_prefills_each_township(tmp_path, capsys):
    roster = pd.DataFrame({
        "household_no": ["D-1-001", "D-1-002", "Y-1-001"],
        "township": ["东代固乡", "东代固乡", "院堡乡"],
        "village": ["一村", "一村", "二村"],
        "head_name": ["张三", "李四", "王五"],
        "head_id": ["130434199001011236", "13043419850505123X", "130434197001011230"],
        "household_size": [3, 2, 4],
        "group": ["脱贫不稳定户", "边缘易致贫户", "突发严重困难户"],
        "income_per_capita": [5000.0, 6000.0, 9000.0],
    })
    roster_file = write_roster(tmp_path / "名单.xlsx", roster)
    out_dir = tmp_path / "out"
    assert main(["template", str(out_dir), "--roster", str(roster_file)]) == 0
    assert capsys.readouterr().out.endswith("共 2 个乡镇工作簿。\n")
    wb = openpyxl.load_workbook(out_dir / "魏县东代固乡2020年防贫工作簿.xlsx")
    ws = wb["监测户"]
    assert [ws.cell(row, 1).value for row in (3, 4)] == ["D-1-001", "D-1-002"]
    assert ws["E3"].value == "130434199001011236" and ws["E3"].number_format == "@"


def test_template_unknown_year_is_usage_exit_2(tmp_path, capsys):
    assert main(["template", str(tmp_path), "--township", "东代固乡", "--year", "2025"]) == 2
    assert "没有 河北 2025 年的防返贫监测标准" in capsys.readouterr().err
    assert list(Path(tmp_path).iterdir()) == []


def test_template_without_township_or_roster_says_what_to_give(tmp_path, capsys):
    assert main(["template", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == "错误：请至少指定一个乡镇，或提供含“乡镇”列的县级花名册。"
