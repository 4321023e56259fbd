"""The registry of issue codes and the Issue record."""

from pathlib import Path

import pytest

from fangpin_xl.issues import (
    CODES,
    ERROR,
    ISSUE_HEADERS,
    MAX_MESSAGE_CHARS,
    MAX_VALUE_CHARS,
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


def test_an_issue_shows_a_long_value_cut_and_its_message_quotes_it_cut():
    value = "长" * 32767
    found = issue("not_in_choices", "甲.xlsx", "监测户", "G3", 3, "户类型", value,
                  f"“{value}”不是“户类型”的可选值：请从下拉列表中选择。")
    short = "长" * 188 + "…（共 32767 字）"
    assert MAX_VALUE_CHARS == 200 and found.value == short
    assert found.message == f"“{short}”不是“户类型”的可选值：请从下拉列表中选择。"
    # A long text the message quotes that is not the value, and a message long without quotes.
    other = issue("relief_ineligible", "甲.xlsx", message=f"判定为资料不全（户类型“{value}”不是可选值）。")
    assert other.message == f"判定为资料不全（户类型“{short}”不是可选值）。"
    plain = issue("coerced", "甲.xlsx", message="问" * 5000)
    assert plain.message == "问" * (MAX_MESSAGE_CHARS - 11) + "…（共 5000 字）"
    assert issue("coerced", "甲.xlsx", column="列" * 300).column == "列" * 190 + "…（共 300 字）"


def test_an_id_is_masked_before_a_long_value_is_cut():
    # Cut first, the ID's first ten digits (its birth year) would be left for redact to miss.
    value = "备" * 180 + "130434199001011237" + "注" * 100
    found = issue("coerced", "甲.xlsx", value=value, message=f"“{value}”")
    assert found.value == "备" * 180 + "130434****" + "…（共 298 字）"
    assert found.message == f"“{found.value}”"
