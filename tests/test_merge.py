"""The county merge on the sample county (with its planted mistakes) and on damaged inputs.

The county workbook is read back with python-calamine (xlsxwriter wrote it)
and opened in LibreOffice.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from fangpin_xl import merge
from fangpin_xl.checks import check_workbook
from fangpin_xl.cli import main
from fangpin_xl.demo import write_sample_county
from fangpin_xl.errors import FangpinError, InputError
from fangpin_xl.ids import make_id, mask_id
from fangpin_xl.merge import (
    DUPLICATES_SHEET,
    ISSUES_SHEET,
    MAX_DATA_ROWS,
    REJECTED_SHEET,
    SOURCES_SHEET,
    SUMMARY_SHEET,
    VIOLATIONS_SHEET,
    merge_workbooks,
    render_summary,
)
from fangpin_xl.policy import Policy, policy_from_values
from fangpin_xl.schema import CHECK_DATE_KEY, POLICY_SHEET, SHEETS
from fangpin_xl.store import history_years, read_history
from fangpin_xl.validate import validate_paths
from fangpin_xl.workbook import discover
from fangpin_xl.workbook.read import read_workbook

TODAY = dt.date(2021, 1, 15)
DATA_SHEETS = [s.name for s in SHEETS]


# -- fixtures and helpers ----------------------------------------------------------------

@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample") / "乡镇上报"
    result = write_sample_county(out, townships=4, households=30, seed=0, policy=Policy())
    return result


@pytest.fixture(scope="module")
def merged(sample, tmp_path_factory):
    """The sample county merged once (jobs=1), shared by the read-only tests."""
    out = tmp_path_factory.mktemp("county") / "全县汇总.xlsx"
    result = merge_workbooks([sample.out_dir], out, jobs=1, today=TODAY)
    return result, read_back(out)


def read_back(path: Path) -> dict[str, list[list]]:
    """Every sheet as calamine reads it (a different library from the writer)."""
    book = CalamineWorkbook.from_path(str(path))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def table(sheets: dict, name: str) -> list[dict]:
    """Data rows (from row 3) of a county sheet as dicts keyed by the row-2 headers."""
    rows = sheets[name]
    headers = rows[1]
    return [dict(zip(headers, row, strict=True)) for row in rows[2:]]


def copy_sample(sample, tmp_path: Path) -> Path:
    target = tmp_path / "乡镇"
    shutil.copytree(sample.out_dir, target)
    return target


def write_township(path: Path, sheets: dict[str, list[list]]) -> Path:
    """A township's own workbook: header row 1, then the rows as given."""
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, dt.date):
                    ws.write_datetime(r, c, dt.datetime(value.year, value.month, value.day),
                                      wb.add_format({"num_format": "yyyy-mm-dd"}))
                else:
                    ws.write(r, c, value)
    wb.close()
    return path


HOUSEHOLD_HEADERS = ["户编号", "乡镇", "村", "户主姓名", "户主身份证号", "家庭人口", "户类型",
                     "人均可支配收入", "联系电话"]
MEMBER_HEADERS = ["户编号", "姓名", "身份证号", "与户主关系", "微信号", "登记日期"]
CASE_HEADERS = ["案件编号", "户编号", "救助类别", "发现日期", "发现方式", "状态", "救助金额"]


def damaged_township(path: Path) -> Path:
    """Three households and rows the merge must not take: no key, an orphan, no case number.

    家庭成员 has two columns outside the schema (微信号, 登记日期); 人均可支配收入 holds
    text that is not a number on one row.
    """
    return write_township(path, {
        "监测户": [
            HOUSEHOLD_HEADERS,
            ["Z-01", "新村乡", "东庄", "张三", "130434198001011234", 2, "边缘易致贫户", 5000, "13800000001"],
            ["Z-02", "新村乡", "东庄", "李四", "130434198202021238", 1, "脱贫不稳定户", "五千元", "13800000002"],
            [None, "新村乡", "东庄", "王五", "130434198303031231", 1, "脱贫不稳定户", 4000, None],
        ],
        "家庭成员": [
            MEMBER_HEADERS,
            ["Z-01", "张三", "130434198001011234", "户主", "zs001", dt.date(2020, 3, 1)],
            ["Z-01", "张小", "130434201001011236", "子女", None, None],
            ["Z-02", "李四", "130434198202021238", "户主", "ls002", dt.date(2020, 4, 2)],
            ["Z-99", "赵六", "130434199001011230", "户主", None, None],
            [None, "钱七", "130434199101011232", "子女", None, None],
        ],
        "救助": [
            CASE_HEADERS,
            ["ZC-1", "Z-01", "因病", dt.date(2020, 5, 6), "自下而上申请", "已支付", 3000],
            [None, "Z-02", "因病", dt.date(2020, 6, 6), "自下而上申请", "已发现", None],
            ["ZC-3", "Z-77", "因学", dt.date(2020, 7, 6), "自下而上申请", "已发现", None],
        ],
    })


# -- the sample county ------------------------------------------------------------------------

def test_sample_county_sheets_in_order(merged):
    result, sheets = merged
    assert list(sheets) == [SUMMARY_SHEET, *DATA_SHEETS, ISSUES_SHEET, VIOLATIONS_SHEET, DUPLICATES_SHEET,
                            SOURCES_SHEET, REJECTED_SHEET, POLICY_SHEET]
    assert result.exit_code == 1  # the sample county carries planted errors
    assert [f.township for f in result.merged] == ["北皋镇", "双井镇", "德政镇", "魏城镇"]


def test_county_workbook_carries_its_policy_and_check_date(merged):
    result, _sheets = merged
    data = read_workbook(result.output)
    assert data.policy_sheet == POLICY_SHEET
    assert policy_from_values(data.policy_values) == result.policy
    assert data.policy_values[CHECK_DATE_KEY] == dt.date(2020, 12, 31)
    assert result.check_date == dt.date(2020, 12, 31)
    assert {f.check_date for f in result.merged} == {dt.date(2020, 12, 31)}
    checked = check_workbook(data, today=TODAY)
    assert (checked.basis.source, checked.check_date) == ("workbook", dt.date(2020, 12, 31))
    assert [i for i in checked.issues if i.sheet == POLICY_SHEET] == []


def test_row_accounting_adds_up(sample, merged):
    result, sheets = merged
    for spec in SHEETS:
        total = result.sheets[spec.key]
        expected = sum(counts[spec.key] for counts in sample.counts.values())
        assert total.read == expected, spec.key
        assert total.read == total.written + total.rejected, spec.key
        assert len(sheets[spec.name]) - 2 == total.written, spec.key
        assert total.sheets == [spec.name]
        for f in result.merged:
            count = f.rows[spec.key]
            assert count.read == count.taken + count.rejected
    assert result.sheets["members"].rejected == 1  # the planted orphan
    assert result.rejected == 1
    assert len(table(sheets, REJECTED_SHEET)) == result.rejected
    # The same identity, per file and sheet, in 来源.
    for row in table(sheets, SOURCES_SHEET):
        if row["状态"] != "已汇总":
            continue
        for spec in SHEETS:
            read, taken, rejected = (row[f"{spec.name}·{w}"] for w in ("读取", "入库", "未入库"))
            assert read == taken + rejected


def test_summary_sheet_counts_and_chart(sample, merged, tmp_path):
    result, sheets = merged
    rows = sheets[SUMMARY_SHEET]
    headers = rows[1]
    townships = {r[0]: dict(zip(headers, r, strict=True)) for r in rows[2:6]}
    assert set(townships) == set(sample.counts)
    for name, counts in sample.counts.items():
        assert townships[name]["监测户"] == counts["households"]
    total = dict(zip(headers, rows[6], strict=True))
    assert total["乡镇"] == "全县合计"
    assert total["监测户"] == sum(c["households"] for c in sample.counts.values())
    assert total["家庭成员"] == result.sheets["members"].written
    assert total["监测户"] == sum(total[g] for g in ("脱贫不稳定户", "边缘易致贫户", "突发严重困难户",
                                                 "其他户类型"))
    assert 0 < total["回访覆盖率"] <= 1
    book = openpyxl.load_workbook(result.output)
    assert len(book[SUMMARY_SHEET]._charts) == 1


def test_duplicates_listed_with_both_sources(sample, merged):
    result, sheets = merged
    manifest = json.loads(sample.manifest.read_text(encoding="utf-8"))
    planted = next(m for m in manifest["mistakes"] if m["code"] == "duplicate_id")
    rows = table(sheets, DUPLICATES_SHEET)
    assert len(rows) == len(result.duplicates) == 1
    row = rows[0]
    assert row["类型"] == "身份证号"
    assert row["号码"] == planted["value"]
    assert row["情形"] == "不同乡镇"
    sides = {(row["甲·来源文件"], row["甲·来源行"]), (row["乙·来源文件"], row["乙·来源行"])}
    assert sides == {(planted["file"], planted["row"]),
                     (planted["other"]["file"], planted["other"]["row"])}
    assert row["甲·来源工作表"] == row["乙·来源工作表"] == "家庭成员"
    # Both rows stay in 家庭成员.
    members = table(sheets, "家庭成员")
    assert sum(1 for m in members if m["身份证号"] == planted["value"]) == 2
    assert result.as_dict()["duplicates"] == {"id_number": 1, "case_no": 0, "total": 1}


def test_skipped_files_named(sample, merged):
    result, _sheets = merged
    reasons = {s.path.name: s.reason for s in result.skipped}
    assert reasons == {
        sample.lock_file.name: discover.SKIP_LOCK,
        "说明.txt": discover.SKIP_NOT_WORKBOOK,
        "manifest.json": discover.SKIP_NOT_WORKBOOK,
        "县级监测户名单.xlsx": merge.SKIP_NOT_TOWNSHIP,
    }
    text = render_summary(result)
    assert "已跳过 4 个文件：" in text
    assert f"  {sample.lock_file}：{discover.SKIP_LOCK}" in text


def test_issues_are_validates_records(sample, merged):
    result, sheets = merged
    expected = validate_paths(sorted(sample.workbooks.values()), today=TODAY).issues
    assert sorted(i.as_row() for i in result.issues) == sorted(i.as_row() for i in expected)
    rows = sheets[ISSUES_SHEET][2:]
    assert len(rows) == len(expected)
    assert {r[-1] for r in rows} >= {"orphan_row", "id_numeric", "payment_before_filing"}
    assert {r[2] for r in rows} >= {"户编号在监测户表中不存在", "身份证号存成了数字", "备案前支付"}


def test_read_back_ids_text_and_provenance(sample, merged):
    _result, sheets = merged
    members = table(sheets, "家庭成员")
    for m in members:
        assert isinstance(m["身份证号"], str) and m["身份证号"], m
        assert isinstance(m["户编号"], str)
    households = table(sheets, "监测户")
    assert all(isinstance(h["户主身份证号"], str) for h in households)
    assert all(isinstance(h["联系电话"], str) for h in households if h["联系电话"])
    # 来源文件 / 来源工作表 / 来源行 point at the township's own cell.
    for m in members[::25]:
        source = read_back(sample.out_dir / m["来源文件"])[m["来源工作表"]]
        original = source[int(m["来源行"]) - 1]
        assert m["户编号"] in original
        assert m["姓名"] in original
    assert {m["来源乡镇"] for m in members} == set(sample.counts)


def test_computed_columns_are_values(merged):
    _result, sheets = merged
    households = table(sheets, "监测户")
    assert {h["资格判定"] for h in households} <= {"符合", "不符合", "资料不全"}
    assert all(isinstance(h["近12月因病支出"], float) for h in households)
    cases = table(sheets, "救助")
    assert all(isinstance(c["办结时限"], dt.date) for c in cases)


def test_jobs_one_and_two_give_the_same_workbook(sample, merged, tmp_path):
    result1, sheets1 = merged
    out = tmp_path / "county2.xlsx"
    calls = []
    result2 = merge_workbooks([sample.out_dir], out, jobs=2, today=TODAY,
                              progress=lambda done, total, name: calls.append((done, total, name)))
    assert [(done, total) for done, total, _name in calls] == [(i, 5) for i in range(1, 6)]
    assert {name for _done, _total, name in calls} == {
        *(p.name for p in sample.workbooks.values()), "县级监测户名单.xlsx"}
    sheets2 = read_back(out)
    assert sheets1.keys() == sheets2.keys()
    for name in sheets1:
        assert sheets1[name] == sheets2[name], name
    first, second = result1.as_dict(), result2.as_dict()
    assert first.pop("output") != second.pop("output")
    assert first == second


def test_as_dict_is_json(merged):
    result, _sheets = merged
    data = json.loads(json.dumps(result.as_dict(), ensure_ascii=False))
    assert data["rows"]["members"] == {
        "sheet": "家庭成员", "read": result.sheets["members"].read,
        "written": result.sheets["members"].written, "rejected": 1, "sheets": ["家庭成员"],
    }
    assert data["issues"] == {"error": sum(i.is_error for i in result.issues),
                              "warning": sum(not i.is_error for i in result.issues)}
    assert data["output"] == str(result.output)
    assert data["unreadable"] == []
    assert {f["status"] for f in data["files"]} == {"merged", "skipped"}
    merged_file = next(f for f in data["files"] if f["status"] == "merged")
    assert len(merged_file["sha256"]) == 64
    assert set(merged_file["rows"]) == {s.key for s in SHEETS} | {"other"}


def test_render_summary_accounting_table(merged):
    result, _sheets = merged
    text = render_summary(result)
    lines = text.splitlines()
    assert lines[0] == f"已汇总 4 个乡镇工作簿（魏县 2020 年）→ {result.output}"
    assert lines[1] == "行数核对（读取 = 写入 + 未入库）："
    members = result.sheets["members"]
    member_line = next(line for line in lines if line.startswith("  家庭成员"))
    assert member_line.split() == ["家庭成员", f"{members.read:,}", f"{members.written:,}", "1", "相符"]
    assert "未入库：1 行（见“未入库”工作表）" in lines
    assert "重复：身份证号 1 处，案件编号 0 处（见“重复”工作表）" in lines


def test_policy_compared_with_the_county(sample, tmp_path):
    county = Policy(year=2020, deadline_days=10)
    result = merge_workbooks([sample.out_dir], tmp_path / "c.xlsx", policy=county, jobs=1, today=TODAY)
    by_town = {f.township: f for f in result.merged}
    own = [f for f in result.merged if not f.policy_found]
    assert len(own) == 1 and own[0].policy_matches is None
    for f in result.merged:
        if f.policy_found:
            assert f.policy_matches is False
            assert f.policy_differences == ["救助程序时限：15（全县 10）"]
    assert any(i.code == "policy_mismatch" for i in result.issues)
    assert len(by_town) == 4
    rows = table(read_back(result.output), SOURCES_SHEET)
    assert {r["参数与全县一致"] for r in rows if r["状态"] == "已汇总"} == {"不一致", "无参数表"}


def test_libreoffice_opens_the_county_workbook(merged, soffice):
    result, sheets = merged
    converted = soffice(result.output)
    book = openpyxl.load_workbook(converted)
    assert book.sheetnames == list(sheets)
    assert book["家庭成员"].max_row == len(sheets["家庭成员"])
    assert book["监测户"]["B3"].value == sheets["监测户"][2][1]


# -- damaged inputs -------------------------------------------------------------------------

def test_damaged_inputs_rejected_rows_and_extras(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    damaged_township(folder / "新村乡.xlsx")
    out = tmp_path / "county.xlsx"
    result = merge_workbooks([folder], out, jobs=1, today=TODAY,
                            policy=Policy())  # townships without 参数: the county names the year
    sheets = read_back(out)
    hh, mm, cs = (result.sheets[k] for k in ("households", "members", "cases"))
    assert (hh.read, hh.written, hh.rejected) == (3, 2, 1)
    assert (mm.read, mm.written, mm.rejected) == (5, 3, 2)
    assert (cs.read, cs.written, cs.rejected) == (3, 1, 2)
    for total in result.sheets.values():
        assert total.balanced
    rejected = table(sheets, REJECTED_SHEET)
    assert [(r["来源工作表"], r["来源行"], r["户编号"], r["案件编号"], r["原因"]) for r in rejected] == [
        ("监测户", 4, "", "", "没有户编号"),
        ("家庭成员", 5, "Z-99", "", "户编号在本工作簿的“监测户”表中不存在"),
        ("家庭成员", 6, "", "", "没有户编号"),
        ("救助", 3, "Z-02", "", "没有案件编号"),
        ("救助", 4, "Z-77", "ZC-3", "户编号在本工作簿的“监测户”表中不存在"),
    ]
    assert rejected[1]["行内容"].startswith("户编号：Z-99；姓名：赵六；身份证号：130434********1230")
    assert {r["来源文件"] for r in rejected} == {"新村乡.xlsx"}
    # Extra columns are kept, after the schema columns; the date stays a date.
    members = table(sheets, "家庭成员")
    assert sheets["家庭成员"][1][-5:] == ["微信号", "登记日期", "来源文件", "来源工作表", "来源行"]
    assert [m["微信号"] for m in members] == ["zs001", "", "ls002"]
    assert members[0]["登记日期"] == dt.date(2020, 3, 1)
    # A cell that is not a number keeps what the township typed.
    households = table(sheets, "监测户")
    assert [h["人均可支配收入"] for h in households] == [5000.0, "五千元"]
    assert households[0]["来源乡镇"] == "新村乡"


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def test_cells_as_long_as_excel_allows_and_negative_amounts(tmp_path, capsys):
    from test_validate import TODAY as CHECKED
    from test_validate import setter, workbook

    longest = "长" * 32767  # the most an Excel cell holds

    def change(frames):
        for sheet, row, key, value in (
                ("households", 0, "group", longest), ("households", 1, "head_name", longest),
                ("spending", 0, "amount", -40000.0), ("cases", 0, "relief_amount", -5000.0)):
            setter(sheet, row, key, value)(frames)

    folder = tmp_path / "乡镇"
    folder.mkdir()
    path = workbook(folder, change)
    # What no Excel writes but a program may: a text of 40,000 UTF-16 code units (openpyxl
    # writes it as it is), and a member of no household, with a long name, to be rejected.
    wb = openpyxl.load_workbook(path)
    wb["帮扶"]["I3"] = "𠀀" * 20000  # 发现问题
    wb["家庭成员"].append(["H9", longest, make_id("130434", dt.date(1990, 1, 1), 11), "户主"])
    wb.save(path)
    result = merge_workbooks([folder], tmp_path / "县.xlsx", jobs=1, today=CHECKED)
    assert {k: (t.read, t.written, t.rejected) for k, t in result.sheets.items()} == {
        "households": (2, 2, 0), "members": (5, 4, 1), "spending": (1, 1, 0), "cases": (1, 1, 0),
        "visits": (2, 2, 0), "aid": (1, 1, 0)}
    assert all(t.balanced for t in result.sheets.values())
    sheets = read_back(result.output)
    households = table(sheets, "监测户")
    assert (households[0]["户类型"], households[1]["户主姓名"]) == (longest, longest)
    problem = table(sheets, "帮扶")[0]["发现问题"]
    assert problem.endswith("𠀀…（共 20000 字）") and utf16_units(problem) == 32766
    (rejected,) = table(sheets, REJECTED_SHEET)
    assert (rejected["来源行"], rejected["原因"]) == (7, "户编号在本工作簿的“监测户”表中不存在")
    assert rejected["行内容"].startswith("户编号：H9；姓名：长长") and len(rejected["行内容"]) == 401
    short = "长" * 188 + "…（共 32767 字）"
    issues = [(r["工作表"], r["单元格"], r["代码"], r["值"], r["说明"]) for r in table(sheets, ISSUES_SHEET)
              if r["代码"] in ("not_in_choices", "negative_number")]
    assert issues == [
        ("监测户", "G3", "not_in_choices", short,
         f"“{short}”不是“户类型”的可选值：请从下拉列表中选择（脱贫不稳定户、边缘易致贫户、突发严重困难户）。"),
        ("支出", "F3", "negative_number", "-40000", "“-40000”为负数：金额不能为负数，请核对。"),
        ("救助", "K3", "negative_number", "-5000", "“-5000”为负数：金额不能为负数，请核对。"),
    ]
    assert validate_paths([folder], today=CHECKED).issues == result.issues
    # And through the commands: written, with the errors' exit code.
    assert main(["merge", str(folder), "-o", str(tmp_path / "县2.xlsx"), "--jobs", "1", "--quiet"]) == 1
    assert "  合计        12    11       1  相符" in capsys.readouterr().out.splitlines()
    assert main(["validate", str(folder), "--annotate", str(tmp_path / "标注")]) == 1
    out = capsys.readouterr().out
    assert f"  G3  户类型  {short}  【不是可选值】“{short}”不是“户类型”的可选值" in out
    assert "  F3  金额  -40000  【数值为负数】“-40000”为负数：金额不能为负数，请核对。" in out
    assert openpyxl.load_workbook(tmp_path / "标注" / path.name)["监测户"]["G3"].comment.text.startswith(
        f"错误：“{short}”")


def test_unreadable_file_reported_and_merge_continues(sample, tmp_path):
    folder = copy_sample(sample, tmp_path)
    bad = folder / "坏文件.xlsx"
    bad.write_text("户编号,姓名\n1,张三\n", encoding="utf-8")
    out = tmp_path / "county.xlsx"
    result = merge_workbooks([folder], out, jobs=1, today=TODAY)
    assert out.exists()
    assert [f.name for f in result.unreadable] == ["坏文件.xlsx"]
    assert result.exit_code == 2  # an input that cannot be read, as for every command
    assert result.unreadable[0].reason.startswith("坏文件.xlsx：")
    assert len(result.merged) == 4
    text = render_summary(result)
    assert "无法读取 1 个文件（未汇总，请更正后重新汇总）：" in text
    assert f"  {result.unreadable[0].reason}" in text
    sources = table(read_back(out), SOURCES_SHEET)
    assert [r["状态"] for r in sources if r["文件"] == "坏文件.xlsx"] == ["无法读取"]
    for total in result.sheets.values():
        assert total.balanced

    strict_out = tmp_path / "strict.xlsx"
    with pytest.raises(InputError, match="有 1 个文件无法读取（已按 --strict 停止汇总，未写出任何文件）"):
        merge_workbooks([folder], strict_out, jobs=1, strict=True, today=TODAY)
    assert not strict_out.exists()


def test_an_exact_copy_of_a_township_workbook_is_skipped_not_merged_twice(sample, merged, tmp_path):
    folder = copy_sample(sample, tmp_path)
    first = next(p for p in sorted(folder.glob("*.xlsx")) if not p.name.startswith("~$"))
    copy = folder / f"{first.stem} - 副本.xlsx"
    shutil.copy(first, copy)
    out = tmp_path / "county.xlsx"
    result = merge_workbooks([folder], out, jobs=1, today=TODAY)
    expected = merged[0]
    assert len(result.merged) == 4 and len(result.duplicates) == len(expected.duplicates)
    assert [(s.path.name, s.reason) for s in result.skipped if s.path == copy] == [
        (copy.name, f"与 {first} 内容完全相同（重复的副本），未重复汇总")]
    assert {k: (t.read, t.written) for k, t in result.sheets.items()} == {
        k: (t.read, t.written) for k, t in expected.sheets.items()}
    sources = table(read_back(out), SOURCES_SHEET)
    assert [(r["状态"], r["监测户·读取"]) for r in sources if r["文件"] == copy.name] == [("已跳过", "")]


def test_output_that_is_an_input_is_refused(sample, tmp_path):
    target = tmp_path / "魏城镇.xlsx"
    shutil.copy(sample.workbooks["魏城镇"], target)
    before = target.read_bytes()
    with pytest.raises(InputError, match="已存在，且不是本工具写出的县级汇总"):
        merge_workbooks([target], target, jobs=1)
    assert target.read_bytes() == before


def test_output_onto_a_township_inside_the_input_folder_is_refused(sample, tmp_path):
    folder = copy_sample(sample, tmp_path)
    target = folder / "魏城镇.xlsx"
    before = target.read_bytes()
    with pytest.raises(InputError, match="魏城镇.xlsx 已存在，且不是本工具写出的县级汇总"):
        merge_workbooks([folder], target, jobs=1, today=TODAY)
    assert target.read_bytes() == before


def test_sqlite_that_is_the_output_or_a_workbook_is_refused(sample, tmp_path):
    out = tmp_path / "同一个.xlsx"
    with pytest.raises(InputError, match="与输出工作簿是同一个文件"):
        merge_workbooks([sample.out_dir], out, jobs=1, sqlite=out)
    assert not out.exists()
    township = tmp_path / "魏城镇.xlsx"
    shutil.copy(sample.workbooks["魏城镇"], township)
    before = township.read_bytes()
    with pytest.raises(InputError, match="不是 SQLite 历史数据库"):
        merge_workbooks([sample.out_dir], tmp_path / "县.xlsx", jobs=1, sqlite=township)
    assert township.read_bytes() == before and not (tmp_path / "县.xlsx").exists()


def test_output_inside_an_input_folder_is_skipped_on_rerun(sample, tmp_path):
    folder = copy_sample(sample, tmp_path)
    out = folder / "全县汇总.xlsx"
    merge_workbooks([folder], out, jobs=1, today=TODAY)
    again = merge_workbooks([folder], out, jobs=1, today=TODAY)
    assert (out, discover.SKIP_OUTPUT) in [(s.path, s.reason) for s in again.skipped]
    other = merge_workbooks([folder], tmp_path / "另一个.xlsx", jobs=1, today=TODAY)
    # The mark says what it is before it is read (an unmarked one is known by its sheets: SKIP_COUNTY).
    assert (out, "本工具写出的县级汇总，不是乡镇工作簿") in [(s.path, s.reason) for s in other.skipped]
    assert other.sheets["households"].read == again.sheets["households"].read
    # A county workbook without the mark (an older version's, or saved by a program that drops
    # custom properties) is known by its sheets once read.
    wb = openpyxl.load_workbook(out)
    del wb.custom_doc_props["fangpin-xl"]
    wb.save(out)
    third = merge_workbooks([folder], tmp_path / "第三个.xlsx", jobs=1, today=TODAY)
    assert (out, merge.SKIP_COUNTY) in [(s.path, s.reason) for s in third.skipped]
    assert third.sheets["households"].read == again.sheets["households"].read


def test_on_duplicate_error_writes_nothing(sample, tmp_path):
    out = tmp_path / "county.xlsx"
    with pytest.raises(FangpinError) as info:
        merge_workbooks([sample.out_dir], out, jobs=1, on_duplicate="error", today=TODAY)
    assert not isinstance(info.value, InputError)
    assert str(info.value).startswith(
        "发现 1 处重复（身份证号 1 处，案件编号 0 处），已按 --on-duplicate error 停止汇总，未写出任何文件："
    )
    manifest = json.loads(sample.manifest.read_text(encoding="utf-8"))
    planted = next(m for m in manifest["mistakes"] if m["code"] == "duplicate_id")
    assert f"身份证号 {mask_id(planted['value'])}：" in str(info.value)
    assert planted["value"] not in str(info.value)
    assert not out.exists()


def test_no_workbooks_found(tmp_path):
    (tmp_path / "说明.txt").write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="没有找到可汇总的工作簿"):
        merge_workbooks([tmp_path], tmp_path / "c.xlsx")


def test_missing_path(tmp_path):
    with pytest.raises(InputError, match="找不到"):
        merge_workbooks([tmp_path / "没有.xlsx"], tmp_path / "c.xlsx")


def test_hidden_files_and_folders_skipped(sample, tmp_path):
    folder = copy_sample(sample, tmp_path)
    (folder / ".隐藏.xlsx").write_bytes(sample.workbooks["魏城镇"].read_bytes())
    (folder / ".git").mkdir()
    (folder / ".git" / "x.xlsx").write_bytes(b"x")
    found, skipped = discover.discover([folder])
    reasons = {s.path.name: s.reason for s in skipped}
    assert reasons[".隐藏.xlsx"] == discover.SKIP_HIDDEN
    assert reasons[".git"] == discover.SKIP_HIDDEN_DIR
    assert "x.xlsx" not in reasons
    assert len(found) == 5  # four townships and the county roster


# -- continuation sheets ---------------------------------------------------------------------

def test_continuation_sheets_past_the_row_limit(sample, tmp_path):
    out = tmp_path / "county.xlsx"
    result = merge_workbooks([sample.out_dir], out, jobs=1, today=TODAY, max_rows=100)
    sheets = read_back(out)
    members = result.sheets["members"]
    n = members.written
    assert n == sum(counts["members"] for counts in sample.counts.values()) - 1
    sizes = [100] * (n // 100) + ([n % 100] if n % 100 else [])
    assert members.sheets == ["家庭成员"] + [f"家庭成员(续{i})" for i in range(1, len(sizes))]
    assert [len(sheets[name]) - 2 for name in members.sheets] == sizes
    assert sheets["家庭成员"][0][0].startswith(
        f"家庭成员（魏县 2020 年全县汇总，4 个乡镇工作簿）（共 {n} 行，超过 Excel 每个工作表的行数上限，"
        f"分为 {len(sizes)} 个工作表："
    )
    assert sheets["家庭成员(续1)"][0][0] == (
        f"家庭成员（魏县 2020 年全县汇总，4 个乡镇工作簿）（续1）—— 接“家庭成员”，本表为第 101–200 行，共 {n} 行"
    )
    # Rows continue where the previous sheet stopped: none lost, none repeated.
    rows = [tuple(r) for n in members.sheets for r in sheets[n][2:]]
    assert len(set(rows)) == n
    unsplit = read_back(merge_workbooks([sample.out_dir], tmp_path / "u.xlsx", jobs=1,
                                        today=TODAY).output)
    assert rows == [tuple(r) for r in unsplit["家庭成员"][2:]]
    # Sheet order: continuation sheets right after their sheet; each is its own table.
    names = list(sheets)
    start = names.index("家庭成员")
    assert names[start:start + len(sizes)] == members.sheets
    book = openpyxl.load_workbook(out)
    last = members.sheets[-1]
    assert list(book[last].tables.items()) == [(f"members_{len(sizes)}", f"A2:L{sizes[-1] + 2}")]
    assert result.sheets["visits"].sheets == ["帮扶"] + [f"帮扶(续{i})" for i in range(1, 5)]
    for total in result.sheets.values():
        assert total.balanced
    assert "“家庭成员”超过 Excel 每个工作表的行数上限，分为：" in render_summary(result)


def test_row_limit_constant():
    assert MAX_DATA_ROWS == 1_048_576 - 2
    with pytest.raises(ValueError):
        merge_workbooks(["x"], "y.xlsx", max_rows=MAX_DATA_ROWS + 1)


def test_tables_cover_every_row(merged):
    result, sheets = merged
    book = openpyxl.load_workbook(result.output, read_only=False)
    for name in DATA_SHEETS:
        ws = book[name]
        (table_name, ref), = ws.tables.items()
        assert ref.endswith(str(len(sheets[name])))
        assert ws.freeze_panes == "A3"
        assert [c.value for c in ws[2]] == sheets[name][1]


# -- SQLite history ------------------------------------------------------------------------------

def test_sqlite_history_appends_years(sample, tmp_path):
    db = tmp_path / "history.sqlite"
    first = merge_workbooks([sample.out_dir], tmp_path / "a.xlsx", jobs=1, today=TODAY, sqlite=db)
    merge_workbooks([sample.out_dir], tmp_path / "b.xlsx", jobs=1, today=TODAY, sqlite=db, year=2019)
    years = history_years(db)
    assert years["家庭成员"] == [2019, 2020]
    members = read_history(db, "家庭成员", year=2020)
    assert len(members) == first.sheets["members"].written
    assert list(members.columns[:2]) == ["年度", "来源乡镇"]
    assert list(members.columns[-3:]) == ["来源文件", "来源工作表", "来源行"]
    assert members["身份证号"].map(type).eq(str).all()
    assert len(read_history(db, "未入库", year=2020)) == 1
    # Re-running a year replaces it and leaves the other year alone.
    merge_workbooks([sample.out_dir], tmp_path / "c.xlsx", jobs=1, today=TODAY, sqlite=db)
    assert len(read_history(db, "家庭成员", year=2020)) == len(members)
    assert len(read_history(db, "家庭成员", year=2019)) == len(members)


def test_summary_chart_plots_the_columns_its_title_names(merged):
    from xlsxwriter.utility import xl_range_abs

    result, sheets = merged
    book = openpyxl.load_workbook(result.output)
    chart = book[SUMMARY_SHEET]._charts[0]
    headers = sheets[SUMMARY_SHEET][1]
    n = len(result.townships)
    refs = [(s.tx.strRef.f, s.val.numRef.f) for s in chart.series]
    expected = []
    for label in ("监测户", "符合条件户"):
        col = headers.index(label)
        expected.append((f"{SUMMARY_SHEET}!{xl_range_abs(1, col, 1, col)}",
                         f"{SUMMARY_SHEET}!{xl_range_abs(2, col, 1 + n, col)}"))
    assert refs == expected


def test_history_tables_are_the_county_sheets(sample, merged, tmp_path):
    db = tmp_path / "history.sqlite"
    result = merge_workbooks([sample.out_dir], tmp_path / "a.xlsx", jobs=1, today=TODAY, sqlite=db)
    sheets = read_back(result.output)
    for name in (ISSUES_SHEET, VIOLATIONS_SHEET, DUPLICATES_SHEET, SOURCES_SHEET, REJECTED_SHEET):
        stored = read_history(db, name, year=2020).drop(columns="年度")
        shown = sheets[name][1:]
        assert list(stored.columns) == shown[0], name
        as_text = [["" if pd.isna(v) else str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)
                    for v in row] for row in stored.itertuples(index=False)]
        county = [["" if v == "" else str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)
                   for v in row] for row in shown[1:]]
        assert as_text == county, name


def township_with_head(path: Path, number: str, head_id: str, name: str, township: str) -> Path:
    return write_township(path, {
        "监测户": [HOUSEHOLD_HEADERS,
                  [number, township, "东庄", name, head_id, 1, "边缘易致贫户", 5000, None]],
        "家庭成员": [MEMBER_HEADERS, [number, name, head_id, "户主", None, None]],
        "救助": [CASE_HEADERS, ["Ａ-001 ", number, "因病", dt.date(2020, 5, 6), "自下而上申请", "已发现", None]],
    })


def test_one_list_of_duplicates_whatever_the_sheet(tmp_path):
    """A head's ID copied into another township's 监测户, and one case number spelled two ways."""
    folder = tmp_path / "乡镇"
    folder.mkdir()
    head = make_id("130434", dt.date(1980, 1, 1), 123)
    path = township_with_head(folder / "甲乡.xlsx", "J-01", head, "张三", "甲乡")
    township_with_head(folder / "乙乡.xlsx", "Y-01", head, "张三", "乙乡")  # 乙 sorts before 甲
    result = merge_workbooks([folder], tmp_path / "县.xlsx", jobs=1, today=TODAY,
                            policy=Policy())  # townships without 参数: the county names the year
    pairs = [(d.label, d.number, d.situation, d.first.sheet, d.other.sheet, d.other.file)
             for d in result.duplicates]
    assert pairs == [
        ("身份证号", head, "不同乡镇", "监测户", "监测户", "甲乡.xlsx"),
        ("身份证号", head, "不同乡镇", "监测户", "家庭成员", "甲乡.xlsx"),
        ("案件编号", "A-001", "不同乡镇", "救助", "救助", "甲乡.xlsx"),
    ]
    assert result.duplicate_counts() == {"id_number": 2, "case_no": 1, "total": 3}
    assert "重复：身份证号 2 处，案件编号 1 处" in render_summary(result)
    # 问题 holds the same: every cell of the number, in both townships.
    found = {(i.file, i.sheet, i.cell, i.code) for i in result.issues}
    assert {("甲乡.xlsx", "监测户", "E2", "duplicate_id"), ("乙乡.xlsx", "监测户", "E2", "duplicate_id"),
            ("甲乡.xlsx", "家庭成员", "C2", "duplicate_id"), ("乙乡.xlsx", "救助", "A2", "duplicate_case_no"),
            } <= found
    assert validate_paths([folder], today=TODAY, policy=Policy()).issues == result.issues
    assert path.exists()


# -- 逾期与违规 ----------------------------------------------------------------------------------

def test_violations_of_the_sample_county_are_its_procedure_errors(sample, merged):
    result, sheets = merged
    rows = table(sheets, VIOLATIONS_SHEET)
    errors = [i for i in result.issues if i.sheet == "救助" and i.is_error]
    assert [(r["来源文件"], r["单元格"], r["问题"], r["说明"]) for r in rows] == [
        (i.file, i.cell, i.title, i.message) for i in errors]
    manifest = json.loads(sample.manifest.read_text(encoding="utf-8"))
    planted = {(m["file"], m["cell"]) for m in manifest["mistakes"]
               if m["code"] in ("payment_before_filing", "notice_too_short", "relief_above_table")}
    assert {(r["来源文件"], r["单元格"]) for r in rows} == planted
    assert (result.violations, result.violation_cases) == (len(rows), len(rows))
    assert sheets[VIOLATIONS_SHEET][0][0].endswith(f"：{len(rows)} 个案件，{len(rows)} 处")


VIOLATION_CASE_HEADERS = ["案件编号", "户编号", "救助类别", "发现日期", "发现方式", "入户查勘日期", "公示开始",
                          "公示结束", "部门比对日期", "备案日期", "支付日期", "状态"]


def test_violations_sheet_days_over_and_cells(tmp_path):
    folder = tmp_path / "乡镇"
    folder.mkdir()
    d = dt.date
    write_township(folder / "新村乡.xlsx", {
        "监测户": [HOUSEHOLD_HEADERS,
                  ["Z-01", "新村乡", "东庄", "张三", "130434198001011234", 1, "边缘易致贫户", 5000, None]],
        "家庭成员": [MEMBER_HEADERS, ["Z-01", "张三", "130434198001011234", "户主", None, None]],
        "救助": [
            VIOLATION_CASE_HEADERS,
            # Still open on the check date 2020-12-31, due 2020-12-22: 7 working days over.
            ["V-1", "Z-01", "因病", d(2020, 12, 1), "自下而上申请", None, None, None, None, None, None, "已发现"],
            # Paid on 07-06, due 07-02 (Thursday): 2 working days late.
            ["V-2", "Z-01", "因学", d(2020, 6, 10), "自下而上申请", d(2020, 6, 11), d(2020, 6, 12),
             d(2020, 6, 16), d(2020, 6, 17), d(2020, 6, 18), d(2020, 7, 6), "已支付"],
            # Filed without a survey, not yet due.
            ["V-3", "Z-01", "因意外", d(2020, 12, 21), "自下而上申请", None, d(2020, 12, 22), d(2020, 12, 26),
             d(2020, 12, 27), d(2020, 12, 28), None, "已备案"],
        ],
    })
    out = tmp_path / "县.xlsx"
    result = merge_workbooks([folder], out, jobs=1, today=TODAY,
                            policy=Policy())  # townships without 参数: the county names the year
    rows = [list(r.values()) for r in table(read_back(out), VIOLATIONS_SHEET)]
    assert rows == [
        ["新村乡", "V-1", "Z-01", "因病", "已发现", "2020-12-01", "2020-12-22", 7, "超过办结时限",
         "办结时限 2020-12-22（发现日期 2020-12-01 起 15 个工作日）已过，核查基准日 2020-12-31 仍未支付或终止"
         "：请尽快办结，或更新状态和各环节日期。", "新村乡.xlsx", "救助", "L2", 2],
        ["新村乡", "V-2", "Z-01", "因学", "已支付", "2020-06-10", "2020-07-02", 2, "超过办结时限",
         "支付日期 2020-07-06 晚于办结时限 2020-07-02（发现日期 2020-06-10 起 15 个工作日）"
         "：程序超期，请核实原因并在备注中说明。", "新村乡.xlsx", "救助", "K3", 3],
        ["新村乡", "V-3", "Z-01", "因意外", "已备案", "2020-12-21", "2021-01-12", "", "程序环节缺失",
         "已填写备案日期 2020-12-28，但未填写入户查勘日期：备案前须完成入户查勘、村级评议公示和部门比对，"
         "请补填漏填的日期；确未办理的，应补办后再备案。", "新村乡.xlsx", "救助", "J4", 4],
    ]
    assert (result.violation_cases, result.violations) == (3, 3)
    assert result.as_dict()["violations"] == {"cases": 3, "rows": 3}
    assert "逾期与违规：3 个案件，3 处（见“逾期与违规”工作表）" in render_summary(result).splitlines()


def test_every_row_of_every_sheet_is_accounted_for(tmp_path):
    """A copied sheet (帮扶(2)), an unknown sheet, a value typed into a computed column of an
    empty row, and an extra column empty in every row."""
    folder = tmp_path / "乡镇"
    folder.mkdir()
    head = make_id("130434", dt.date(1980, 1, 1), 123)
    visits = ["户编号", "帮扶人", "回访日期", "吃穿不愁", "义务教育有保障", "基本医疗有保障",
              "住房安全有保障", "饮水安全有保障"]
    write_township(folder / "甲乡.xlsx", {
        "监测户": [HOUSEHOLD_HEADERS + ["资格判定", "备注"],
                  ["J-01", "甲乡", "东庄", "张三", head, 1, "边缘易致贫户", 5000, None, None, None],
                  [None, None, None, None, None, None, None, None, None, "符合", None]],
        "家庭成员": [MEMBER_HEADERS, ["J-01", "张三", head, "户主", None, None]],
        "帮扶(2)": [visits, ["J-01", "李四", dt.date(2020, 11, 1), "是", "是", "是", "是", "是"]],
        "统计": [["村", "户数"], ["东庄", 1]],
    })
    result = merge_workbooks([folder], tmp_path / "县.xlsx", jobs=1, today=TODAY, policy=Policy())
    assert result.sheets["visits"].read == 1 and result.sheets["visits"].written == 1  # the copy is read
    assert (result.sheets["other"].read, result.sheets["other"].rejected) == (2, 2)
    assert result.sheets["households"].rejected == 1  # the row holding only 符合
    assert all(t.balanced for t in result.sheets.values())
    text = render_summary(result)
    assert "  其他工作表" in text and "不相符" not in text
    rejected = table(read_back(result.output), REJECTED_SHEET)
    reasons = [(r["来源工作表"], r["来源行"], r["原因"]) for r in rejected]
    assert ("统计", 1, "工作表“统计”不是模板中的数据表（未识别），其中的行未汇总") in reasons
    assert ("监测户", 3, "没有户编号") in reasons
    found = [(i.code, i.sheet) for i in validate_paths([folder / "甲乡.xlsx"], today=TODAY).issues]
    assert ("unknown_sheet", "统计") in found


def test_a_copied_sheet_beside_its_original_is_reported_and_counted(tmp_path):
    folder = tmp_path / "乡镇"
    folder.mkdir()
    head = make_id("130434", dt.date(1980, 1, 1), 123)
    write_township(folder / "甲乡.xlsx", {
        "监测户": [HOUSEHOLD_HEADERS, ["J-01", "甲乡", "东庄", "张三", head, 1, "边缘易致贫户", 5000, None]],
        "家庭成员": [MEMBER_HEADERS, ["J-01", "张三", head, "户主", None, None]],
        "家庭成员 (2)": [MEMBER_HEADERS, ["J-01", "张三", head, "户主", None, None]],
    })
    issues = validate_paths([folder], today=TODAY).issues
    unknown = [i for i in issues if i.code == "unknown_sheet"]
    assert [i.message for i in unknown] == [
        "工作表“家庭成员 (2)”有 2 行内容，不是模板中的数据表，汇总时不会入库（将列入“未入库”）："
        "看起来是“家庭成员”表的副本，如果是数据，请把它们移到“家庭成员”表中。"]
    result = merge_workbooks([folder], tmp_path / "县.xlsx", jobs=1, today=TODAY, policy=Policy())
    assert result.sheets["other"].read == 2 and all(t.balanced for t in result.sheets.values())


def test_a_township_that_changed_its_check_date_is_a_finding(sample, tmp_path):
    folder = copy_sample(sample, tmp_path)
    workbooks = [p for p in sorted(folder.glob("*.xlsx")) if not p.name.startswith("~$") and "县级" not in p.name]
    changed = next(p for p in workbooks if "参数" in openpyxl.load_workbook(p).sheetnames)
    wb = openpyxl.load_workbook(changed)
    ws = wb["参数"]
    row = next(r for r in range(3, ws.max_row + 1) if ws.cell(r, 1).value == "check_date")
    ws.cell(row, 3).value = dt.datetime(2020, 10, 15)
    wb.save(changed)
    result = merge_workbooks([folder], tmp_path / "c.xlsx", jobs=1, today=TODAY)
    report = next(f for f in result.merged if f.path.name == changed.name)
    assert report.policy_matches is False
    assert report.policy_differences == ["核查基准日：2020-10-15（全县 2020-12-31）"]
    assert all(f.policy_matches is not False for f in result.merged if f.path.name != changed.name)
    rows = table(read_back(result.output), SOURCES_SHEET)
    mine = next(r for r in rows if r["文件"] == changed.name)
    assert (mine["参数与全县一致"], mine["不一致的参数"]) == ("不一致", "核查基准日：2020-10-15（全县 2020-12-31）")


def test_a_lower_case_x_is_stored_as_x_in_the_county_workbook_and_the_history(tmp_path):
    from fangpin_xl.templates import write_township_workbook

    number = next(n for n in (make_id("130434", dt.date(1980, 3, 1), s) for s in range(1, 400)) if n.endswith("X"))
    households = pd.DataFrame({
        "household_no": ["H1"], "township": ["东代固乡"], "village": ["东代固村"], "head_name": ["甲"],
        "head_id": [number.lower()], "household_size": [1], "group": ["脱贫不稳定户"],
        "income_per_capita": [3000.0],
    })
    members = pd.DataFrame({"household_no": ["H1"], "name": ["甲"], "id_number": [number[:-1] + "ｘ"],
                            "relation": ["户主"]})
    folder = tmp_path / "乡镇"
    folder.mkdir()
    write_township_workbook(folder / "东代固乡.xlsx", policy=Policy(), township="东代固乡",
                            frames={"households": households, "members": members}, rows=5)
    result = merge_workbooks([folder], tmp_path / "c.xlsx", jobs=1, today=TODAY, sqlite=tmp_path / "历史.sqlite")
    sheets = read_back(result.output)
    assert table(sheets, "监测户")[0]["户主身份证号"] == number
    assert table(sheets, "家庭成员")[0]["身份证号"] == number
    assert read_history(tmp_path / "历史.sqlite", "监测户")["户主身份证号"].tolist() == [number]
    assert read_history(tmp_path / "历史.sqlite", "家庭成员")["身份证号"].tolist() == [number]


def test_a_township_workbook_saved_as_xls_merges_like_the_xlsx(township_as_xls, tmp_path):
    xlsx, xls = township_as_xls
    expected = merge_workbooks([xlsx], tmp_path / "县.xlsx", jobs=1, today=TODAY)
    folder = tmp_path / "交回"
    folder.mkdir()
    shutil.copy(xls, folder)
    # validate --annotate beside it: the .xls gets an issue list, which merge does not read.
    annotated = validate_paths([folder], today=TODAY, annotate_dir=folder).files[0].annotated
    assert annotated == folder / "魏城镇_问题.xlsx"
    got = merge_workbooks([folder], tmp_path / "县2.xlsx", jobs=1, today=TODAY)
    assert [(s.path, s.reason) for s in got.skipped] == [(annotated, "本工具写出的问题清单，不是乡镇工作簿")]
    assert [f.name for f in got.merged] == ["魏城镇.xls"]
    counts = {key: (t.read, t.written, t.rejected) for key, t in got.sheets.items()}
    assert counts == {key: (t.read, t.written, t.rejected) for key, t in expected.sheets.items()}
    assert counts["households"] == (30, 30, 0) and counts["cases"][0] == 7
    assert all(t.read == t.written + t.rejected for t in got.sheets.values())


def test_a_file_that_cannot_be_opened_is_explained_in_chinese(tmp_path):
    from fangpin_xl.merge.worker import UNREADABLE, Task, process

    (tmp_path / "文件").write_bytes(b"x")
    task = Task(0, tmp_path / "文件" / "东代固乡.xlsx", tmp_path / "spill", Policy(), None, None)
    report = process(task).report
    assert (report.status, report.reason) == (UNREADABLE, "东代固乡.xlsx：无法打开文件，路径中的某一级不是文件夹")


def test_an_unexpected_error_in_one_file_names_its_type_only(sample, tmp_path, monkeypatch):
    from fangpin_xl.merge import worker

    def broken(*args, **kwargs):
        raise ValueError("cell holds 130434198001011237")  # English, with an ID number in it

    monkeypatch.setattr(worker, "check_workbook", broken)
    folder = copy_sample(sample, tmp_path)
    with pytest.raises(InputError) as error:
        merge_workbooks([folder], tmp_path / "county.xlsx", jobs=1, today=TODAY)
    assert "德政镇.xlsx：检查时出错（技术信息：ValueError），请把该文件发给技术支持。" in str(error.value)
    assert "130434" not in str(error.value) and "cell holds" not in str(error.value)
