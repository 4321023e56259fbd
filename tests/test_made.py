"""workbook.made: a command replaces only a workbook it wrote itself."""

from __future__ import annotations

import zipfile

import openpyxl
import pytest

from fangpin_xl.errors import InputError
from fangpin_xl.workbook.made import check_output, made_as
from fangpin_xl.workbook.write import new_workbook


def _ours(path, kind="公示名单"):
    wb = new_workbook(path, made_as=kind)
    wb.add_worksheet("东村").write_string(0, 0, "公示")
    wb.close()
    return path


def _theirs(path):
    wb = openpyxl.Workbook()
    wb.active["A1"] = "乡镇自己的表"
    wb.save(path)
    return path


def test_the_mark_says_what_the_workbook_is(tmp_path):
    assert made_as(_ours(tmp_path / "a.xlsx")) == "公示名单"
    assert made_as(_theirs(tmp_path / "b.xlsx")) is None
    assert made_as(tmp_path / "none.xlsx") is None
    (tmp_path / "text.xlsx").write_text("姓名,金额", encoding="utf-8")
    assert made_as(tmp_path / "text.xlsx") is None


def test_a_malformed_or_huge_custom_part_is_not_ours(tmp_path):
    for name, body in (("bad.xlsx", b"<Properties><property"), ("big.xlsx", b" " * (2 * 1024 * 1024))):
        with zipfile.ZipFile(tmp_path / name, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("docProps/custom.xml", body)
        assert made_as(tmp_path / name) is None


def test_the_mark_survives_saving_in_openpyxl_and_libreoffice(tmp_path, soffice):
    ours = _ours(tmp_path / "名单.xlsx")
    wb = openpyxl.load_workbook(ours)
    wb.save(tmp_path / "再存.xlsx")
    assert made_as(tmp_path / "再存.xlsx") == "公示名单"
    assert made_as(soffice(ours)) == "公示名单"


def test_check_output_refuses_what_is_not_its_own(tmp_path):
    source = _theirs(tmp_path / "乡.xlsx")
    with pytest.raises(InputError) as info:
        check_output(tmp_path / "out.csv", [source], kind="公示名单", example="乡-公示名单.xlsx")
    assert str(info.value) == f"输出文件 {tmp_path / 'out.csv'} 应为 .xlsx 工作簿，如 乡-公示名单.xlsx。"
    (tmp_path / "夹.xlsx").mkdir()
    with pytest.raises(InputError, match="是一个文件夹，请给出工作簿文件名，如 乡-公示名单.xlsx。"):
        check_output(tmp_path / "夹.xlsx", [source], kind="公示名单", example="乡-公示名单.xlsx")
    with pytest.raises(InputError) as info:
        check_output(tmp_path / "." / "乡.xlsx", [source], kind="公示名单", example="乡-公示名单.xlsx")
    assert str(info.value).endswith("就是输入文件 乡.xlsx：输入文件不会被覆盖，请另选输出文件名。")
    with pytest.raises(InputError) as info:
        check_output(_theirs(tmp_path / "别人.xlsx"), [source], kind="公示名单", example="乡-公示名单.xlsx")
    assert str(info.value) == (f"输出文件 {tmp_path / '别人.xlsx'} 已存在，且不是本工具写出的公示名单"
                               "（可能是乡镇工作簿或其他文件）：不会覆盖它，请另选输出文件名，如 乡-公示名单.xlsx。")
    with pytest.raises(InputError, match="不是本工具写出的公示名单"):
        check_output(_ours(tmp_path / "台账.xlsx", "基金台账"), [source], kind="公示名单", example="x.xlsx")
    check_output(_ours(tmp_path / "上次.xlsx"), [source], kind="公示名单", example="x.xlsx")
    check_output(tmp_path / "新.xlsx", [source], kind="公示名单", example="x.xlsx")
