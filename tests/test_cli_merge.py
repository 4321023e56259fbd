import json
import shutil
from pathlib import Path

import pytest

from fangpin_xl.cli import main
from fangpin_xl.demo import write_sample_county
from fangpin_xl.merge import merge_workbooks
from fangpin_xl.policy import Policy
from fangpin_xl.workbook.made import FUND_LEDGER
from fangpin_xl.workbook.write import new_workbook


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli-sample") / "乡镇"
    return write_sample_county(out, townships=2, households=20, seed=5, policy=Policy())


def test_merge_prints_row_accounting_and_exits_1_for_data_errors(sample, tmp_path, capsys):
    output = tmp_path / "县.xlsx"
    # The sample county carries planted errors: the county workbook is written, the exit code says so.
    assert main(["merge", str(sample.out_dir), "-o", str(output), "--jobs", "1", "--quiet"]) == 1
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == f"已汇总 2 个乡镇工作簿（魏县 2020 年）→ {output}"
    assert lines[1] == "行数核对（读取 = 写入 + 未入库）："
    assert all(line.endswith("相符") for line in lines[3:10])
    assert output.exists()


def test_merge_json_equals_the_library(sample, tmp_path, capsys):
    output = tmp_path / "县.xlsx"
    assert main(["merge", str(sample.out_dir), "-o", str(output), "--jobs", "1", "--json"]) == 1
    printed = json.loads(capsys.readouterr().out)
    library = merge_workbooks([sample.out_dir], tmp_path / "库.xlsx", jobs=1)
    expected = json.loads(json.dumps(library.as_dict(), ensure_ascii=False, default=str))
    for result in (printed, expected):
        result.pop("output")
        for file in result["files"]:
            file.pop("seconds", None)
        result.pop("seconds", None)
        result.pop("timings", None)
    assert printed == expected


def test_unreadable_file_exit_2_with_or_without_strict(sample, tmp_path, capsys):
    folder = tmp_path / "乡镇"
    shutil.copytree(sample.out_dir, folder)
    (folder / "坏文件.xlsx").write_text("not a workbook", encoding="utf-8")
    assert main(["merge", str(folder), "-o", str(tmp_path / "县.xlsx"), "--jobs", "1", "--quiet"]) == 2
    assert "无法读取 1 个文件" in capsys.readouterr().out
    strict = tmp_path / "严格.xlsx"
    assert main(["merge", str(folder), "-o", str(strict), "--jobs", "1", "--strict"]) == 2
    assert "坏文件.xlsx" in capsys.readouterr().err
    assert not strict.exists()


def test_output_that_is_an_input_is_refused(sample, tmp_path, capsys):
    first = next(iter(sample.workbooks.values()))
    assert main(["merge", str(first), "-o", str(first)]) == 2
    assert "已存在，且不是本工具写出的县级汇总" in capsys.readouterr().err


def test_on_duplicate_error_exit_1_writes_nothing(sample, tmp_path, capsys):
    output = tmp_path / "县.xlsx"
    code = main(["merge", str(sample.out_dir), "-o", str(output), "--jobs", "1",
                 "--on-duplicate", "error"])
    assert code == 1
    assert "错误：" in capsys.readouterr().err
    assert not output.exists()


def test_help_is_chinese(capsys):
    assert main(["merge", "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("用法： fangpin-xl merge [选项] 工作簿或文件夹...")
    assert "[必填]" in out and "[required]" not in out


def test_annotated_copies_and_other_outputs_are_not_merged_again(sample, tmp_path, capsys):
    """validate --annotate into the folder the townships' workbooks are in, then merge it."""
    folder = tmp_path / "交回"
    shutil.copytree(sample.out_dir, folder)
    roster = folder / "县级名单" / "县级监测户名单.xlsx"
    wb = new_workbook(folder / "基金台账.xlsx", made_as=FUND_LEDGER)  # last year's ledger, saved there
    wb.add_worksheet("基金")
    wb.close()
    assert main(["validate", str(folder), "--annotate", str(folder / "标注")]) == 1
    capsys.readouterr()
    # A second validation, its copies beside the workbooks: the first copies are not checked.
    assert main(["validate", str(folder), "--annotate", str(folder)]) == 1
    out = capsys.readouterr().out

    def copy_of(original):
        return (f"是 {original} 的标注副本（validate --annotate 写出），未重复读取；"
                "如果乡镇在副本上改正后交回，请用它替换原文件")

    names = sorted(sample.workbooks)  # 德政镇, 魏城镇
    ledger = f"  {folder / '基金台账.xlsx'}：本工具写出的基金台账，不是乡镇工作簿"
    earlier = [f"  {folder / '标注' / roster.name}：{copy_of(roster)}",
               *(f"  {folder / '标注' / f'{n}.xlsx'}：{copy_of(folder / f'{n}.xlsx')}" for n in names)]
    assert ledger in out.splitlines()
    assert out.splitlines()[-len(earlier) - 1:] == [*earlier, "共 3 个文件：错误 13 个，提醒 17 个；另跳过 7 个文件"]
    assert "已跳过 7 个文件（未校验）：" in out.splitlines()

    assert main(["merge", str(folder), "-o", str(tmp_path / "县.xlsx"), "--jobs", "1", "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    reasons = {Path(s["path"]).relative_to(folder).as_posix(): s["reason"] for s in doc["skipped"]}
    assert {k: v for k, v in reasons.items() if "标注" in k or k == "基金台账.xlsx" or k == roster.name} == {
        "基金台账.xlsx": "本工具写出的基金台账，不是乡镇工作簿",
        roster.name: copy_of(roster),  # the roster's copy, written beside the townships
        **{f"{n}_标注.xlsx": copy_of(f"{n}.xlsx") for n in names},
        f"标注/{roster.name}": copy_of(roster),
        **{f"标注/{n}.xlsx": copy_of(folder / f"{n}.xlsx") for n in names},
    }
    # Each township once: the same rows as the folder as the townships sent it; every file
    # in the folder is merged, skipped or unreadable.
    pristine = merge_workbooks([sample.out_dir], tmp_path / "原样.xlsx", jobs=1).as_dict()
    assert doc["rows"] == pristine["rows"] and doc["total"] == pristine["total"]
    merged = [f for f in doc["files"] if f["status"] == "merged"]
    assert sorted(f["file"] for f in merged) == [f"{n}.xlsx" for n in names]
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert len(files) == len(merged) + len(doc["skipped"]) + len(doc["unreadable"]) == 13


def test_an_annotated_copy_without_its_original_is_merged(sample, tmp_path, capsys):
    """A township corrected its annotated copy and sent it back alone: it is its workbook."""
    copies = tmp_path / "标注"
    assert main(["validate", str(sample.out_dir), "--annotate", str(copies)]) == 1
    capsys.readouterr()
    assert main(["merge", str(copies), "-o", str(tmp_path / "县.xlsx"), "--jobs", "1", "--quiet"]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"已汇总 2 个乡镇工作簿（魏县 2020 年）→ {tmp_path / '县.xlsx'}\n")
    assert "标注副本" not in out
