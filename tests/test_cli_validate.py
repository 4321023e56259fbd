import hashlib
import json

import pandas as pd
import pytest

from fangpin_xl.cli import main
from fangpin_xl.ids import make_id
from fangpin_xl.policy import load_policy
from fangpin_xl.templates import write_township_workbook
from fangpin_xl.validate import validate_paths

TODAY_SAFE = "2020"  # the sample data lies in 2020, so no date is in the future


def township(path, head_id):
    households = pd.DataFrame({
        "household_no": ["D-1-001"], "township": ["东代固乡"], "village": ["一村"],
        "head_name": ["张三"], "head_id": [head_id], "household_size": [1],
        "group": ["脱贫不稳定户"], "income_per_capita": [5000.0],
    })
    members = pd.DataFrame({
        "household_no": ["D-1-001"], "name": ["张三"], "id_number": [head_id], "relation": ["户主"],
    })
    return write_township_workbook(path, policy=load_policy(), township="东代固乡",
                                   frames={"households": households, "members": members}, rows=3)


@pytest.fixture
def good_id():
    import datetime as dt

    return make_id("130434", dt.date(1980, 5, 6), 21)


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_clean_workbook_exits_0(tmp_path, good_id, capsys):
    path = township(tmp_path / "东代固乡.xlsx", good_id)
    code = main(["validate", str(path)])
    out = capsys.readouterr().out
    assert code == 0, out
    # Never visited since monitoring began is a warning, not an error.
    assert out.splitlines() == [
        "东代固乡.xlsx：错误 0 个，提醒 1 个",
        " 工作表“监测户”",
        "  A3  户编号  D-1-001  【提醒：回访逾期】纳入监测以来没有回访记录（每户每个季度至少回访一次）："
        "请安排帮扶人回访，并在“帮扶”表登记。",
        "共 1 个文件：错误 0 个，提醒 1 个",
    ]


def test_errors_exit_1_with_cell_and_json_equals_library(tmp_path, good_id, capsys):
    bad = good_id[:-1] + ("1" if good_id[-1] != "1" else "2")
    path = township(tmp_path / "东代固乡.xlsx", bad)
    before = digest(path)
    assert main(["validate", str(path)]) == 1
    text = capsys.readouterr().out
    assert " 工作表“监测户”" in text and "  E3  户主身份证号  130***************  【身份证号校验位错误】校验码应为" in text
    assert "校验码应为" in text

    assert main(["validate", str(path), "--json"]) == 1
    printed = json.loads(capsys.readouterr().out)
    library = json.loads(json.dumps(validate_paths([path]).as_dict(), ensure_ascii=False, default=str))
    assert printed == library
    codes = {(issue["code"], issue["title"]) for issue in printed["files"][0]["issues"]}
    assert ("id_check", "身份证号校验位错误") in codes
    assert digest(path) == before


def test_a_negative_amount_is_an_error_exit_1(tmp_path, good_id, capsys):
    import openpyxl

    path = township(tmp_path / "东代固乡.xlsx", good_id)
    wb = openpyxl.load_workbook(path)
    wb["监测户"]["H3"] = -5000  # 人均可支配收入
    wb.save(path)
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "东代固乡.xlsx：错误 1 个，提醒 1 个"
    assert "  H3  人均可支配收入  -5000  【数值为负数】“-5000”为负数：金额不能为负数，请核对。" in out


def test_annotate_writes_a_marked_copy_and_leaves_input_alone(tmp_path, good_id, capsys):
    bad = good_id[:-1] + ("1" if good_id[-1] != "1" else "2")
    path = township(tmp_path / "东代固乡.xlsx", bad)
    before = digest(path)
    assert main(["validate", str(path), "--annotate", str(tmp_path / "标注")]) == 1
    assert "已生成标注副本" in capsys.readouterr().out
    copy = tmp_path / "标注" / "东代固乡.xlsx"
    import openpyxl

    wb = openpyxl.load_workbook(copy)
    assert "问题" in wb.sheetnames
    assert wb["监测户"]["E3"].comment is not None
    assert digest(path) == before


def test_unreadable_file_exits_2_with_chinese_message(tmp_path, capsys):
    fake = tmp_path / "假的.xlsx"
    fake.write_text("户编号,姓名\n1,张三\n", encoding="utf-8")
    assert main(["validate", str(fake)]) == 2
    out = capsys.readouterr().out
    assert "假的.xlsx（无法读取）" in out
    assert "Traceback" not in out


def test_missing_path_is_usage_error(tmp_path, capsys):
    assert main(["validate"]) == 2
    assert "缺少参数" in capsys.readouterr().err


def test_validate_a_file_that_is_no_workbook_exits_2_in_chinese(tmp_path, capsys):
    docx = tmp_path / "说明.docx"
    docx.write_bytes(b"PK\x03\x04")
    assert main(["validate", str(docx)]) == 2
    assert capsys.readouterr().err == (
        "错误：没有可校验的工作簿：说明.docx 不是工作簿（只读取 .xlsx、.xlsm、.xls 文件）。请给出 .xlsx、.xlsm 或 .xls 工作簿。\n")
    empty = tmp_path / "空文件夹"
    empty.mkdir()
    assert main(["validate", str(empty)]) == 2
    assert capsys.readouterr().err == (
        f"错误：文件夹 {empty} 中没有找到工作簿（.xlsx、.xlsm、.xls）：请检查文件夹，或直接给出工作簿文件。\n")
