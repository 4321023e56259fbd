"""The registry of issue codes and the Issue record."""

from pathlib import Path

import pytest

from fangpin_xl.issues import (
    CODES,
    ERROR,
    ISSUE_HEADERS,
    WARNING,
    Issue,
    codes_markdown,
    issue,
    sort_issues,
)

DOCS = Path(__file__).resolve().parents[1] / "docs" / "ISSUE-CODES.md"


def test_docs_are_rendered_from_the_registry():
    assert DOCS.read_text(encoding="utf-8") == codes_markdown(), (
        "docs/ISSUE-CODES.md is out of date: write codes_markdown() to it")


def test_every_code_has_a_chinese_title_and_action():
    for code in CODES.values():
        assert code.severity in (ERROR, WARNING)
        assert code.title and not code.title.isascii()
        assert code.action.endswith("。")


def test_issue_rows_show_the_title_and_keep_the_code_last():
    found = issue("id_check", "甲.xlsx", "家庭成员", "C4", 4, "身份证号", "130***", "校验码不对。")
    assert found.severity == ERROR
    assert found.as_row() == ("错误", "身份证号校验位错误", "甲.xlsx", "家庭成员", "C4", 4, "身份证号",
                              "130***", "校验码不对。", "id_check")
    assert len(ISSUE_HEADERS) == len(found.as_row()) and ISSUE_HEADERS[-1] == "代码"
    assert found.as_dict()["title"] == "身份证号校验位错误"
    assert issue("missing_sheet", "甲.xlsx", severity=WARNING).severity == WARNING
    with pytest.raises(ValueError):
        Issue("coerced", ERROR, "甲.xlsx", "", "", None, "", "", "")


def test_sort_issues_by_sheet_order_row_and_column():
    a = issue("coerced", "f", "支出", "AA3", 3)
    b = issue("coerced", "f", "支出", "B3", 3)
    c = issue("coerced", "f", "监测户", "C9", 9)
    d = issue("policy_invalid", "f")
    assert sort_issues([a, b, c, d], ["监测户", "支出"]) == [d, c, b, a]
