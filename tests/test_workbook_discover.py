import os
from pathlib import Path

import pytest

from fangpin_xl.errors import InputError
from fangpin_xl.workbook.discover import (
    SKIP_ANNOTATED,
    SKIP_BROKEN_LINK,
    SKIP_LOCK,
    SKIP_MADE,
    SKIP_NOT_FILE,
    SKIP_NOT_WORKBOOK,
    SKIP_OUTPUT,
    SKIP_OUTPUT_DIR,
    discover,
    original_stem,
)
from fangpin_xl.workbook.made import ANNOTATED_COPY, ISSUE_LIST, KINDS


def test_validate_and_merge_share_the_skip_rules(tmp_path):
    (tmp_path / "东代固乡.xlsx").write_bytes(b"x")
    (tmp_path / "~$东代固乡.xlsx").write_bytes(b"x")
    (tmp_path / "说明.txt").write_text("x", encoding="utf-8")
    (tmp_path / "下级").mkdir()
    (tmp_path / "下级" / "院堡乡.xls").write_bytes(b"x")
    found, skipped = discover([tmp_path])
    assert [p.name for p in found] == ["东代固乡.xlsx", "院堡乡.xls"]
    assert sorted((s.path.name, s.reason) for s in skipped) == [
        ("~$东代固乡.xlsx", SKIP_LOCK), ("说明.txt", SKIP_NOT_WORKBOOK),
    ]
    # A folder the command writes into is not searched; its own output is never an input.
    out = tmp_path / "县.xlsx"
    out.write_bytes(b"x")
    found, skipped = discover([tmp_path], outputs=[out], output_dirs=[tmp_path / "下级"])
    assert [p.name for p in found] == ["东代固乡.xlsx"]
    assert ("县.xlsx", SKIP_OUTPUT) in [(s.path.name, s.reason) for s in skipped]
    assert ("下级", SKIP_OUTPUT_DIR) in [(s.path.name, s.reason) for s in skipped]
    with pytest.raises(InputError, match="也是输入文件"):
        discover([out], outputs=[out])


def test_links_that_go_nowhere_or_loop_are_skipped(tmp_path):
    (tmp_path / "东代固乡.xlsx").write_bytes(b"x")
    (tmp_path / "环.xlsx").symlink_to(tmp_path / "环.xlsx")
    (tmp_path / "断.xlsx").symlink_to(tmp_path / "不存在.xlsx")
    (tmp_path / "回环").symlink_to(tmp_path, target_is_directory=True)
    found, skipped = discover([tmp_path])
    assert [p.name for p in found] == ["东代固乡.xlsx"]
    assert sorted((s.path.name, s.reason) for s in skipped if s.reason == SKIP_BROKEN_LINK) == [
        ("断.xlsx", SKIP_BROKEN_LINK), ("环.xlsx", SKIP_BROKEN_LINK)]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")
def test_a_pipe_named_like_a_workbook_is_skipped_not_read(tmp_path):
    # Opening a named pipe waits until something writes to it: validate and merge hung.
    (tmp_path / "东代固乡.xlsx").write_bytes(b"x")
    os.mkfifo(tmp_path / "管道.xlsx")
    found, skipped = discover([tmp_path])
    assert [p.name for p in found] == ["东代固乡.xlsx"]
    assert [(s.path.name, s.reason) for s in skipped] == [("管道.xlsx", SKIP_NOT_FILE)]
    found, skipped = discover([tmp_path / "管道.xlsx"])
    assert found == [] and [s.reason for s in skipped] == [SKIP_NOT_FILE]


def _made(path, kind=None):
    """A small workbook, marked as this tool's ``kind`` (None: a township's own)."""
    from fangpin_xl.workbook.write import new_workbook

    path.parent.mkdir(parents=True, exist_ok=True)
    wb = new_workbook(path, made_as=kind)
    wb.add_worksheet("监测户").write_string(0, 0, "户编号")
    wb.close()
    return path


def test_original_stem():
    assert [original_stem(s) for s in ("甲乡_标注", "甲乡_标注(2)", "甲乡(3)", "甲乡", "甲乡_标注_标注")] == [
        "甲乡", "甲乡", "甲乡", "甲乡", "甲乡_标注"]


def test_this_tools_outputs_in_a_folder_are_skipped(tmp_path):
    folder = tmp_path / "交回"
    _made(folder / "甲乡.xlsx")
    _made(folder / "乙乡.xls")  # an .xls original: its copies are 问题清单
    beside = _made(folder / "甲乡_标注.xlsx", ANNOTATED_COPY)
    again = _made(folder / "甲乡_标注(2).xlsx", ANNOTATED_COPY)
    elsewhere = _made(folder / "标注" / "甲乡.xlsx", ANNOTATED_COPY)
    issue_list = _made(folder / "乙乡_问题.xlsx", ISSUE_LIST)
    returned = _made(folder / "丙乡_标注.xlsx", ANNOTATED_COPY)  # corrected and sent back alone
    others = {kind: _made(folder / "其他" / f"{kind}.xlsx", kind)
              for kind in KINDS if kind not in (ANNOTATED_COPY, ISSUE_LIST)}
    found, skipped = discover([folder])
    assert [p.relative_to(folder) for p in found] == [
        Path("丙乡_标注.xlsx"), Path("乙乡.xls"), Path("甲乡.xlsx")]
    assert returned in found
    copy_of = "是 甲乡.xlsx 的标注副本（validate --annotate 写出），未重复读取；如果乡镇在副本上改正后交回，请用它替换原文件"
    made = [(path, f"本工具写出的{kind}，不是乡镇工作簿", kind) for kind, path in sorted(others.items())]
    assert [(s.path, s.reason, s.made) for s in skipped] == [
        (issue_list, "本工具写出的问题清单，不是乡镇工作簿", ISSUE_LIST),
        (again, copy_of, ANNOTATED_COPY),
        (beside, copy_of, ANNOTATED_COPY),
        *made,
        # The same name as the original's: the original's path says which it is.
        (elsewhere, copy_of.replace("甲乡.xlsx", str(folder / "甲乡.xlsx")), ANNOTATED_COPY),
    ]
    assert SKIP_MADE.format(kind="基金台账") == "本工具写出的基金台账，不是乡镇工作簿"
    # Every input is read or skipped, once.
    assert len(found) + len(skipped) == len([p for p in folder.rglob("*") if p.is_file()])


def test_files_named_on_the_command_line_are_read_whatever_their_mark(tmp_path):
    original = _made(tmp_path / "甲乡.xlsx")
    copy = _made(tmp_path / "甲乡_标注.xlsx", ANNOTATED_COPY)
    county = _made(tmp_path / "县.xlsx", "县级汇总")
    found, skipped = discover([original, copy, county])
    assert found == [original, copy, county] and skipped == []


def test_one_of_several_copies_of_one_original_is_read(tmp_path):
    """The county put the township's corrected copy in place of the original (it keeps its
    mark) and annotated it again, beside it and into a folder of copies: one is read."""
    folder = tmp_path / "交回"
    corrected = _made(folder / "丙乡.xlsx", ANNOTATED_COPY)
    beside = _made(folder / "丙乡_标注.xlsx", ANNOTATED_COPY)
    elsewhere = _made(folder / "标注" / "丙乡.xlsx", ANNOTATED_COPY)
    found, skipped = discover([folder])
    assert found == [corrected]
    assert [(s.path, s.reason) for s in skipped] == [
        (beside, SKIP_ANNOTATED.format(original="丙乡.xlsx")),
        (elsewhere, SKIP_ANNOTATED.format(original=str(corrected))),
    ]
    # Only the folder of copies: each is read (the merge then reports their duplicates).
    found, skipped = discover([folder / "标注"])
    assert (found, skipped) == ([elsewhere], [])


def test_a_broken_or_foreign_workbook_is_not_taken_for_ours(tmp_path):
    (tmp_path / "坏.xlsx").write_bytes(b"PK\x03\x04 broken")
    _made(tmp_path / "乡.xlsx")
    found, skipped = discover([tmp_path])
    assert [p.name for p in found] == ["乡.xlsx", "坏.xlsx"] and skipped == []
