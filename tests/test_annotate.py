import hashlib
import shutil
from pathlib import Path

import openpyxl
import pytest
from test_validate import SPOUSE1, TODAY, setter, workbook, wrong_check

from fangpin_xl.annotate import (
    ERROR_FILL,
    WARNING_FILL,
    annotate_workbook,
    annotation_note,
    output_path,
)
from fangpin_xl.errors import InputError
from fangpin_xl.issues import ISSUE_HEADERS, Issue
from fangpin_xl.validate import validate_paths
from fangpin_xl.workbook.made import ANNOTATED_COPY, ISSUE_LIST, MARK, made_as


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def two_problems(frames):
    setter("members", 1, "id_number", wrong_check(SPOUSE1))(frames)  # error at 家庭成员!C4
    frames["households"].loc[0, "household_size"] = 3  # warning at 监测户!F3


@pytest.fixture
def checked(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    source = workbook(folder, two_problems)
    issues = validate_paths([source], today=TODAY).issues
    assert [(i.code, i.sheet, i.cell) for i in issues] == [
        ("household_size_mismatch", "监测户", "F3"), ("id_check", "家庭成员", "C4"),
    ]
    return source, issues


def fill_of(cell) -> str:
    return cell.fill.fgColor.rgb[-6:] if cell.fill.fill_type == "solid" else ""


def test_annotated_copy(tmp_path, checked):
    source, issues = checked
    before = sha256(source)
    out = annotate_workbook(source, issues, tmp_path / "out")
    assert out == tmp_path / "out" / source.name
    assert sha256(source) == before

    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[-1] == "问题" and wb.active.title == "问题"
    c4, f3 = wb["家庭成员"]["C4"], wb["监测户"]["F3"]
    assert (fill_of(c4), fill_of(f3)) == (ERROR_FILL, WARNING_FILL)
    assert c4.comment.text == f"错误：{issues[1].message}"
    assert f3.comment.text == f"提醒：{issues[0].message}"
    assert c4.comment.author == "fangpin-xl"
    assert fill_of(wb["家庭成员"]["C5"]) == "" and wb["家庭成员"]["C5"].comment is None
    # The data are untouched.
    assert wb["家庭成员"]["C4"].value == wrong_check(SPOUSE1)

    rows = list(wb["问题"].iter_rows(values_only=True))
    assert rows[0] == ISSUE_HEADERS
    assert rows[1:] == [
        ("提醒", "家庭人口与成员数不符", source.name, "监测户", "F3", 3, "家庭人口", "3", issues[0].message,
         "household_size_mismatch"),
        ("错误", "身份证号校验位错误", source.name, "家庭成员", "C4", 4, "身份证号", "130***************",
         issues[1].message, "id_check"),
    ]
    assert wb["问题"]["E2"].hyperlink.location == "'监测户'!F3"
    assert wb["问题"]["E3"].hyperlink.location == "'家庭成员'!C4"
    assert (fill_of(wb["问题"]["A2"]), fill_of(wb["问题"]["A3"])) == (WARNING_FILL, ERROR_FILL)
    assert annotation_note(source, out) == (
        f"已生成标注副本 {out}（红色为错误，黄色为提醒，问题清单见“问题”工作表）。"
    )


def test_error_wins_and_messages_join_on_one_cell(tmp_path, checked):
    source, issues = checked
    extra = Issue("id_area", "warning", source.name, "家庭成员", "C4", 4, "身份证号", "x", "另一条提醒。")
    out = annotate_workbook(source, [*issues, extra], tmp_path / "out")
    cell = openpyxl.load_workbook(out)["家庭成员"]["C4"]
    assert fill_of(cell) == ERROR_FILL
    assert cell.comment.text == f"错误：{issues[1].message}\n提醒：另一条提醒。"


def test_a_long_comment_is_cut_saying_how_long_it_was(tmp_path, checked):
    source, issues = checked
    extra = [Issue("id_area", "warning", source.name, "家庭成员", "C4", 4, "身份证号", "x", word * 900)
             for word in "甲乙丙"]
    out = annotate_workbook(source, [*issues, *extra], tmp_path / "out")
    text = openpyxl.load_workbook(out)["家庭成员"]["C4"].comment.text
    full = "\n".join([f"错误：{issues[1].message}", *(f"提醒：{w * 900}" for w in "甲乙丙")])
    assert text == full[:2000 - 11] + f"…（共 {len(full)} 字）" and len(text) == 2000


def test_existing_header_note_is_kept(tmp_path, checked):
    source, _ = checked
    note = openpyxl.load_workbook(source)["监测户"]["A2"].comment.text
    issue = Issue("duplicate_column", "warning", source.name, "监测户", "A2", 2, "户编号", "户号", "重复的列。")
    out = annotate_workbook(source, [issue], tmp_path / "out")
    assert openpyxl.load_workbook(out)["监测户"]["A2"].comment.text == (
        f"{note}\n—— fangpin-xl ——\n提醒：重复的列。"
    )


def test_sheet_level_and_other_files_issues(tmp_path, checked):
    source, _ = checked
    issues = [
        Issue("missing_sheet", "warning", source.name, "援助", "", None, "", "", "缺少工作表“援助”。"),
        Issue("id_check", "error", "别的乡.xlsx", "家庭成员", "C4", 4, "身份证号", "x", "不是这个文件的。"),
    ]
    out = annotate_workbook(source, issues, tmp_path / "out")
    wb = openpyxl.load_workbook(out)
    rows = list(wb["问题"].iter_rows(min_row=2, values_only=True))
    assert rows == [("提醒", "缺少工作表", source.name, "援助", None, None, None, None, "缺少工作表“援助”。",
                     "missing_sheet")]
    assert wb["问题"]["E2"].hyperlink is None
    assert fill_of(wb["家庭成员"]["C4"]) == ""


def test_never_written_over_the_input(tmp_path, checked):
    source, issues = checked
    before = sha256(source)
    out = annotate_workbook(source, issues, source.parent)
    assert out == source.parent / f"{source.stem}_标注.xlsx"
    assert sha256(source) == before
    # A second run replaces the annotated copy, and its 问题 sheet, not the input.
    again = annotate_workbook(out, issues, source.parent)
    assert again == source.parent / f"{source.stem}_标注_标注.xlsx"
    assert openpyxl.load_workbook(again).sheetnames.count("问题") == 1
    assert sha256(source) == before


def test_output_path_rules(tmp_path):
    src = tmp_path / "乡.xlsx"
    assert output_path(src, tmp_path / "out") == tmp_path / "out" / "乡.xlsx"
    assert output_path(src, tmp_path) == tmp_path / "乡_标注.xlsx"
    assert output_path(tmp_path / "乡.xlsm", tmp_path) == tmp_path / "乡_标注.xlsm"
    assert output_path(tmp_path / "乡.xls", tmp_path / "out") == tmp_path / "out" / "乡_问题.xlsx"


def test_xls_gets_an_issue_list_only(tmp_path):
    source = tmp_path / "老乡.xls"
    source.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)
    before = sha256(source)
    issue = Issue("id_check", "error", source.name, "家庭成员", "C4", 4, "身份证号", "130***", "校验码不对。")
    out = annotate_workbook(source, [issue], tmp_path)
    assert out == tmp_path / "老乡_问题.xlsx"
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["问题"]
    assert list(wb["问题"].iter_rows(values_only=True))[1] == (
        "错误", "身份证号校验位错误", "老乡.xls", "家庭成员", "C4", 4, "身份证号", "130***", "校验码不对。",
        "id_check")
    assert wb["问题"]["E2"].hyperlink is None
    assert sha256(source) == before
    assert annotation_note(source, out) == (
        f"老乡.xls 是 .xls 格式，无法在原表上标注；问题清单已另存为 {out}（如需标注，请先另存为 .xlsx）。"
    )


def test_xlsm_keeps_its_suffix(tmp_path, checked):
    source, issues = checked
    macro = source.with_suffix(".xlsm")
    shutil.copy(source, macro)
    issues = [Issue(i.code, i.severity, macro.name, i.sheet, i.cell, i.row, i.column, i.value, i.message)
              for i in issues]
    out = annotate_workbook(macro, issues, tmp_path / "out")
    assert out.name == macro.name
    assert fill_of(openpyxl.load_workbook(out, keep_vba=True)["家庭成员"]["C4"]) == ERROR_FILL


def test_annotated_copy_validates_the_same(tmp_path, checked):
    source, issues = checked
    out = annotate_workbook(source, issues, tmp_path / "out")
    again = validate_paths([out], today=TODAY).issues
    assert [(i.code, i.sheet, i.cell, i.message) for i in again] == [
        (i.code, i.sheet, i.cell, i.message) for i in issues]


def test_unopenable_workbook(tmp_path):
    source = tmp_path / "坏.xlsx"
    source.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(InputError, match="坏.xlsx：无法打开该工作簿进行标注"):
        annotate_workbook(source, [], tmp_path / "out")
    assert not (tmp_path / "out" / "坏.xlsx").exists()


def test_an_input_named_like_the_copy_is_never_overwritten(tmp_path, checked):
    """validate DIR --annotate DIR with a township's corrected copy sent back as 名称_标注.xlsx."""
    source, _issues = checked
    folder = source.parent
    returned = folder / f"{source.stem}_标注.xlsx"
    shutil.copy(source, returned)
    before = {p.name: sha256(p) for p in folder.iterdir()}
    result = validate_paths([folder], today=TODAY, annotate_dir=folder)
    assert {name: sha256(folder / name) for name in before} == before
    assert sorted(f.annotated.name for f in result.files) == sorted(
        [f"{source.stem}_标注(2).xlsx", f"{source.stem}_标注_标注.xlsx"])
    assert output_path(source, folder, avoid=[returned]) == folder / f"{source.stem}_标注(2).xlsx"


def test_rerun_does_not_validate_the_annotated_copies(tmp_path, checked):
    source, _issues = checked
    out = source.parent / "标注"
    first = validate_paths([source.parent], today=TODAY, annotate_dir=out)
    again = validate_paths([source.parent], today=TODAY, annotate_dir=out)
    assert [f.path for f in first.files] == [f.path for f in again.files] == [source]


def test_township_text_like_a_formula_stays_text(tmp_path):
    source = workbook(tmp_path, setter("households", 0, "dibao", "=cmd|' /C calc'!A0"))
    issues = validate_paths([source], today=TODAY).issues
    assert [i.value for i in issues if i.code == "not_in_choices"] == ["=cmd|' /C calc'!A0"]
    out = annotate_workbook(source, issues, tmp_path / "out")
    ws = openpyxl.load_workbook(out)["问题"]
    cells = [c for row in ws.iter_rows() for c in row if c.value == "=cmd|' /C calc'!A0"]
    assert cells and all(c.data_type == "s" for c in cells)


def test_a_workbook_too_large_to_annotate_gets_its_issue_list(tmp_path, checked):
    from fangpin_xl.annotate import TooLarge

    source, issues = checked
    with pytest.raises(TooLarge) as raised:
        annotate_workbook(source, issues, tmp_path / "out", limit_bytes=1000)
    assert raised.value.written == tmp_path / "out" / f"{source.stem}_问题.xlsx"
    assert openpyxl.load_workbook(raised.value.written).sheetnames == ["问题"]


def test_copies_and_issue_lists_are_marked_as_this_tools(tmp_path, checked):
    source, issues = checked
    copy = annotate_workbook(source, issues, tmp_path / "out")
    assert made_as(copy) == ANNOTATED_COPY
    # A copy of a copy carries one mark, not two.
    again = annotate_workbook(copy, issues, tmp_path / "out2")
    assert openpyxl.load_workbook(again).custom_doc_props.names == [MARK]
    assert made_as(again) == ANNOTATED_COPY
    xls = tmp_path / "老乡.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)
    assert made_as(annotate_workbook(xls, [], tmp_path / "out")) == ISSUE_LIST
    from fangpin_xl.annotate import TooLarge

    with pytest.raises(TooLarge) as raised:
        annotate_workbook(source, issues, tmp_path / "big", limit_bytes=1000)
    assert made_as(raised.value.written) == ISSUE_LIST


def test_a_file_in_the_way_is_replaced_only_when_it_is_an_earlier_copy(tmp_path, checked):
    source, issues = checked
    out = tmp_path / "out"
    out.mkdir()
    theirs = out / source.name
    shutil.copy(source, theirs)  # the township's workbook, put in the folder of copies by hand
    before = sha256(theirs)
    first = annotate_workbook(source, issues, out)
    assert first == out / f"{source.stem}(2).xlsx" and sha256(theirs) == before
    assert annotate_workbook(source, issues, out) == first  # the earlier copy is replaced
    (out / "老乡_问题.xlsx").write_bytes(theirs.read_bytes())  # not an issue list
    assert output_path(tmp_path / "老乡.xls", out) == out / "老乡_问题(2).xlsx"
    assert output_path(source, out, issues_only=True) == out / f"{source.stem}_问题.xlsx"
    assert annotation_note(tmp_path / "老乡.xls", out / "老乡_问题(2).xlsx").startswith(
        "老乡.xls 是 .xls 格式，无法在原表上标注；问题清单已另存为 ")
