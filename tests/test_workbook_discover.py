from fangpin_xl.workbook.discover import SKIP_LOCK, SKIP_NOT_WORKBOOK, discover


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
    found, _ = discover([tmp_path], recursive=False)
    assert [p.name for p in found] == ["东代固乡.xlsx"]
