from pathlib import Path

import openpyxl
import pandas as pd

from fangpin_xl.cli import main
from fangpin_xl.demo import write_roster
from fangpin_xl.policy import load_policy
from fangpin_xl.templates import workbook_file_name


def test_template_writes_one_blank_workbook_per_township(tmp_path, capsys):
    code = main(["template", str(tmp_path), "--county", "魏县", "--year", "2020", "--township", "东代固乡",
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
    assert main(["template", str(out_dir), "--roster", str(roster_file), "--county", "魏县", "--year", "2020"]) == 0
    assert "共 2 个乡镇工作簿。\n名单中用到的列：户编号→监测户·户编号、" in capsys.readouterr().out
    wb = openpyxl.load_workbook(out_dir / "魏县东代固乡2020年防贫工作簿.xlsx")
    ws = wb["监测户"]
    assert [ws.cell(row, 1).value for row in (3, 4)] == ["D-1-001", "D-1-002"]
    assert ws["E3"].value == "130434199001011236" and ws["E3"].number_format == "@"


def test_template_unknown_year_is_usage_exit_2(tmp_path, capsys):
    assert main(["template", str(tmp_path), "--township", "东代固乡", "--year", "2025", "--county", "魏县"]) == 2
    assert "没有 河北 2025 年的防返贫监测标准" in capsys.readouterr().err
    assert list(Path(tmp_path).iterdir()) == []


def test_template_without_township_or_roster_says_what_to_give(tmp_path, capsys):
    assert main(["template", str(tmp_path), "--county", "魏县", "--year", "2020"]) == 2
    assert capsys.readouterr().err.strip() == "错误：请至少指定一个乡镇，或提供含“乡镇”列的县级花名册。"


def test_template_refuses_to_overwrite_a_workbook_unless_forced(tmp_path, capsys):
    args = ["template", str(tmp_path), "--county", "魏县", "--year", "2020", "--township", "东代固乡",
            "--township", "院堡乡"]
    assert main(args) == 0
    filled = tmp_path / "魏县东代固乡2020年防贫工作簿.xlsx"
    filled.write_bytes(b"filled in by the township")
    capsys.readouterr()
    assert main(args) == 2
    assert capsys.readouterr().err == (
        f"错误：{tmp_path} 中已有工作簿 魏县东代固乡2020年防贫工作簿.xlsx、魏县院堡乡2020年防贫工作簿.xlsx："
        "为免覆盖已填写的数据，未生成任何工作簿；确需重新生成请加 --force（原文件将被替换）。\n")
    assert filled.read_bytes() == b"filled in by the township"
    assert main([*args, "--force"]) == 0
    assert filled.read_bytes()[:2] == b"PK"


def test_template_takes_the_county_and_year_from_the_roster(tmp_path, capsys):
    # A township workbook as roster: its 参数 sheet names the county and the year.
    assert main(["template", str(tmp_path / "旧"), "--county", "馆陶县", "--year", "2019",
                 "--township", "东代固乡"]) == 0
    old = tmp_path / "旧" / "馆陶县东代固乡2019年防贫工作簿.xlsx"
    assert main(["template", str(tmp_path / "新"), "--roster", str(old), "--township", "东代固乡"]) == 0
    assert [p.name for p in (tmp_path / "新").iterdir()] == ["馆陶县东代固乡2019年防贫工作簿.xlsx"]
    # The national system's export: the 县(市、区、旗) column names the county; the year is an option.
    table = tmp_path / "全国系统导出.xlsx"
    pd.DataFrame({"县(市、区、旗)": ["馆陶县", "馆陶县"], "乡(镇)": ["柴堡镇", "柴堡镇"],
                  "户编号": ["G1", "G1"], "姓名": ["甲", "乙"], "与户主关系": ["户主", "配偶"]}
                 ).to_excel(table, index=False)
    capsys.readouterr()
    assert main(["template", str(tmp_path / "导出"), "--roster", str(table)]) == 2
    assert capsys.readouterr().err.startswith("错误：无法确定参数年度：")
    assert main(["template", str(tmp_path / "导出"), "--roster", str(table), "--year", "2020"]) == 0
    assert [p.name for p in (tmp_path / "导出").iterdir()] == ["馆陶县柴堡镇2020年防贫工作簿.xlsx"]


def test_the_national_export_as_roster_fills_income_and_dibao_and_says_what_it_used(tmp_path, capsys):
    # One row per person, a title row above the header, the national system's own column names.
    path = tmp_path / "全国防返贫监测系统导出.xlsx"
    people = pd.DataFrame({
        "县(市、区、旗)": ["馆陶县"] * 3, "乡(镇)": ["柴堡镇"] * 3, "行政村": ["一村"] * 3,
        "户编号": ["G1", "G1", "G2"], "姓名": ["甲", "乙", "丙"],
        "证件号码": ["13043319900101001X", "130433199201010021", "130433198001010031"],
        "与户主关系": ["户主", "配偶", "户主"], "监测对象类别": ["脱贫不稳定户", "脱贫不稳定户", "边缘易致贫户"],
        "家庭年人均纯收入（元）": [5000, 5000, 6100], "是否享受低保": ["否", "否", "单人保"],
        "民族": ["汉族"] * 3,
    })
    with pd.ExcelWriter(path) as writer:
        people.to_excel(writer, index=False, startrow=1)
        writer.sheets["Sheet1"].write(0, 0, "防返贫监测对象信息（按人）")
    assert main(["template", str(tmp_path / "out"), "--roster", str(path), "--year", "2020"]) == 0
    assert capsys.readouterr().out.splitlines()[-4:] == [
        "名单中用到的列：乡(镇)→监测户·乡镇、行政村→监测户·村、户编号→监测户·户编号、姓名→家庭成员·姓名、"
        "证件号码→家庭成员·身份证号、与户主关系→家庭成员·与户主关系、监测对象类别→监测户·户类型、"
        "家庭年人均纯收入（元）→监测户·人均可支配收入、是否享受低保→监测户·低保",
        "名单中未用的列：县(市、区、旗)、民族",
        "名单中没有、需各乡镇自行填写的必填列：（无）",
        "名单 3 行 = 写入 3 行 + 未写入 0 行",
    ]
    # Without 监测对象类别 the townships must fill in 户类型 themselves, and are told so.
    people.drop(columns="监测对象类别").to_excel(tmp_path / "无类别.xlsx", index=False)
    assert main(["template", str(tmp_path / "out2"), "--roster", str(tmp_path / "无类别.xlsx"), "--year", "2020"]) == 0
    assert capsys.readouterr().out.splitlines()[-2] == "名单中没有、需各乡镇自行填写的必填列：户类型"
    ws = openpyxl.load_workbook(tmp_path / "out" / "馆陶县柴堡镇2020年防贫工作簿.xlsx")["监测户"]
    header = [c.value for c in ws[2]]
    rows = [dict(zip(header, (c.value for c in row), strict=True)) for row in ws.iter_rows(min_row=3, max_row=4)]
    assert [(r["户编号"], r["人均可支配收入"], r["低保"], r["户主姓名"], r["家庭人口"]) for r in rows] == [
        ("G1", 5000, "否", "甲", 2), ("G2", 6100, "单人保", "丙", 1)]


def test_an_output_folder_that_cannot_be_made_is_named(tmp_path, capsys):
    (tmp_path / "名单.xlsx").write_bytes(b"x")  # a file where a folder should be
    for out, reason in ((tmp_path / "名单.xlsx" / "乡镇", "路径中的某一级与已有的文件同名，不是文件夹，请换一个位置保存"),
                        (tmp_path / "断开", "这是指向不存在位置的链接或快捷方式，请换一个位置保存")):
        if out.name == "断开":
            out.symlink_to(tmp_path / "不存在")
        assert main(["template", str(out), "--township", "甲", "--county", "魏县", "--year", "2020"]) == 2
        assert capsys.readouterr().err == f"错误：无法创建输出文件夹 {out}：{reason}。\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["名单.xlsx", "断开"]


def test_roster_rows_not_written_are_listed_and_exit_1(tmp_path, capsys):
    roster = pd.DataFrame({
        "household_no": ["D-1-001", "D-1-002", "Y-1-001", "D-1-001", "X-1-001"],
        "township": ["东代固乡", "东代固乡", "院堡乡", "东代固乡", None],
        "head_name": ["张三", "李四", "王五", "张三", "赵六"],
    })
    path = write_roster(tmp_path / "名单.xlsx", roster)
    code = main(["template", str(tmp_path / "out"), "--roster", str(path), "--county", "魏县", "--year", "2020"])
    lines = capsys.readouterr().out.splitlines()
    assert code == 1
    assert lines[:3] == [f"已生成：{tmp_path / 'out' / n}" for n in (
        "魏县东代固乡2020年防贫工作簿.xlsx", "魏县院堡乡2020年防贫工作簿.xlsx")] + ["共 2 个乡镇工作簿。"]
    assert lines[-4:] == [
        "名单 5 行 = 写入 3 行 + 未写入 2 行",
        "未写入的行：",
        "  第 5 行：户编号“D-1-001”与第 2 行重复（同一户只写入一次），未写入任何乡镇工作簿",
        "  第 6 行：乡镇为空，未写入任何乡镇工作簿",
    ]
    # Townships not asked for are no data problem: their rows are counted, together.
    clean = write_roster(tmp_path / "干净.xlsx", roster.iloc[:3])
    code = main(["template", str(tmp_path / "one"), "--roster", str(clean), "--county", "魏县", "--year", "2020",
                 "--township", "东代固乡"])
    assert code == 0
    assert capsys.readouterr().out.splitlines()[-3:] == [
        "名单 3 行 = 写入 2 行 + 未写入 1 行",
        "未写入的行：",
        "  乡镇“院堡乡”的 1 行（第 4 行）：不在本次指定的乡镇（--township）中，未写入任何乡镇工作簿",
    ]
    assert main(["template", "--help"]) == 0
    assert "有乡镇为空、重复、找不到所在户等未写入的行时退出码为 1" in capsys.readouterr().out
