import json
import shutil

import pytest

from fangpin_xl.cli import main
from fangpin_xl.demo import write_sample_county
from fangpin_xl.merge import merge_workbooks
from fangpin_xl.policy import Policy


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
