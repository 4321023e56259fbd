"""Atomic outputs, scratch folders, and what a killed run leaves behind."""

import errno
import os
import subprocess
import sys

import pytest

from fangpin_xl.errors import InputError
from fangpin_xl.files import TEMP_PREFIX, atomic_output, clean_stale, scratch_folder, write_error


def dead_pid() -> int:
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)
    return int(child.stdout)


def test_atomic_output_replaces_only_on_success(tmp_path):
    target = tmp_path / "县.xlsx"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_output(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("crash")
    assert target.read_bytes() == b"old"
    with atomic_output(target) as tmp:
        assert tmp.name.startswith(f"{TEMP_PREFIX}{os.getpid()}-") and tmp.parent == tmp_path
        tmp.write_bytes(b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["县.xlsx"]


def test_a_long_name_still_gets_a_temporary_file(tmp_path):
    target = tmp_path / ("长" * 80 + ".xlsx")  # 245 bytes: a temp name built from it would not fit
    with atomic_output(target) as tmp:
        tmp.write_bytes(b"x")
    assert target.read_bytes() == b"x"


def test_leftovers_of_a_killed_run_are_removed_by_the_next(tmp_path):
    pid = dead_pid()
    stale_file = tmp_path / f"{TEMP_PREFIX}{pid}-abc.tmp"
    stale_file.write_bytes(b"personal data")
    stale_dir = tmp_path / f"fangpin-{pid}-xyz"
    stale_dir.mkdir()
    (stale_dir / "00000-members.pkl").write_bytes(b"personal data")
    mine = tmp_path / f"{TEMP_PREFIX}{os.getpid()}-live.tmp"
    mine.write_bytes(b"in use")
    other = tmp_path / "fangpin-notes.txt"
    other.write_text("not ours", encoding="utf-8")
    assert sorted(p.name for p in clean_stale(tmp_path)) == sorted([stale_file.name, stale_dir.name])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([mine.name, other.name])
    with atomic_output(tmp_path / "out.txt") as tmp:
        tmp.write_text("x", encoding="utf-8")


def test_scratch_folder_is_removed(tmp_path):
    with scratch_folder() as folder:
        (folder / "a.pkl").write_bytes(b"x")
    assert not folder.exists()


@pytest.mark.parametrize(("code", "text"), [
    (errno.ENOSPC, "磁盘空间已满"), (errno.EROFS, "只读"), (errno.ENAMETOOLONG, "文件名或路径太长"),
    (errno.EACCES, "没有写入权限"),
])
def test_write_errors_are_chinese(tmp_path, code, text):
    error = write_error(tmp_path / "县.xlsx", OSError(code, os.strerror(code)))
    assert isinstance(error, InputError) and text in str(error) and str(tmp_path / "县.xlsx") in str(error)


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write to read-only folders")
def test_a_read_only_folder_is_a_chinese_input_error(tmp_path):
    folder = tmp_path / "只读"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(InputError, match="没有写入权限"), atomic_output(folder / "县.xlsx") as tmp:
            tmp.write_bytes(b"x")
    finally:
        folder.chmod(0o700)


def test_write_errors_name_what_to_do_in_chinese(tmp_path):
    target = tmp_path / "县.xlsx"

    def message(code: int) -> str:
        return str(write_error(target, OSError(code, os.strerror(code))))

    assert message(errno.EEXIST) == f"无法写入文件 {target}：已有同名的文件或文件夹，且无法替换，请换一个文件名。"
    assert message(errno.ENOTDIR) == (f"无法写入文件 {target}：路径中的某一级与已有的文件同名，不是文件夹，"
                                      "请换一个位置保存。")
    assert message(errno.EISDIR) == f"无法写入文件 {target}：已有同名的文件夹，请换一个文件名。"
    # Any other error: its number, never the system's English text.
    assert message(errno.EXDEV) == (f"无法写入文件 {target}：系统错误代码 {errno.EXDEV}，请换一个位置保存，"
                                    "或把这条信息发给技术支持。")
    assert str(write_error(target, OSError("disk gone"))) == (
        f"无法写入文件 {target}：系统错误，请换一个位置保存，或把这条信息发给技术支持。")
    assert str(write_error(target, ValueError("Filesize would require ZIP64 extensions"))) == (
        f"无法写入文件 {target}：写出时出错（技术信息：ValueError），请把这条信息发给技术支持。")


def test_a_folder_that_is_a_link_to_nowhere_is_named_as_such(tmp_path):
    # mkdir on a dangling link fails with EEXIST: not "已有同名的文件或文件夹".
    link = tmp_path / "输出"
    link.symlink_to(tmp_path / "不存在" / "文件夹", target_is_directory=True)
    with pytest.raises(InputError) as error, atomic_output(link / "县.xlsx") as tmp:
        tmp.write_bytes(b"x")
    assert str(error.value) == (f"无法写入文件 {link / '县.xlsx'}：{link} 是指向不存在位置的链接或快捷方式，"
                                "请换一个位置保存。")
    assert not (tmp_path / "不存在").exists()


def test_atomic_output_says_why_in_chinese(tmp_path):
    (tmp_path / "文件").write_bytes(b"x")
    (tmp_path / "文件夹.xlsx").mkdir()
    cases = [
        (tmp_path / "文件" / "县.xlsx", "已有同名的文件或文件夹，且无法替换，请换一个文件名"),  # EEXIST
        (tmp_path / "文件" / "下级" / "县.xlsx", "路径中的某一级与已有的文件同名，不是文件夹，请换一个位置保存"),
        (tmp_path / "文件夹.xlsx", "已有同名的文件夹，请换一个文件名"),  # EISDIR on the final rename
    ]
    for target, reason in cases:
        with pytest.raises(InputError) as info, atomic_output(target) as tmp:
            tmp.write_bytes(b"x")
        assert str(info.value) == f"无法写入文件 {target}：{reason}。"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["文件", "文件夹.xlsx"]


def test_atomic_output_unwraps_xlsxwriter_file_errors(tmp_path):
    import xlsxwriter

    target = tmp_path / "县.xlsx"
    with pytest.raises(InputError) as info, atomic_output(target) as tmp:
        # xlsxwriter wraps the OSError of its own file in FileCreateError.
        xlsxwriter.Workbook(str(tmp.parent / "已删除的文件夹" / tmp.name)).close()
    assert str(info.value) == f"无法写入文件 {target}：所在文件夹不存在或无法创建。"
    with pytest.raises(KeyError), atomic_output(target):
        raise KeyError("not an OS error: passes as it is")
