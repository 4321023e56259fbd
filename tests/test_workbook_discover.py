import pytest

from fangpin_xl.errors import InputError
from fangpin_xl.workbook.discover import (
    SKIP_BROKEN_LINK,
    SKIP_LOCK,
    SKIP_NOT_WORKBOOK,
    SKIP_OUTPUT,
    SKIP_OUTPUT_DIR,
    discover,
)


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
