"""``fangpin-xl screen`` on the sample county with department files generated here.

The department files carry title rows, text amounts, an unknown ID, an
invalid ID, a member who is not the head, records outside the window and a
household exactly at a threshold; screening must find exactly the planted
households, with their evidence, and account for every record.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from fangpin_xl.checks import check_workbook
from fangpin_xl.cli import main
from fangpin_xl.demo import write_sample_county
from fangpin_xl.ids import make_id, validate_ids
from fangpin_xl.merge import merge_workbooks
from fangpin_xl.policy import Policy
from fangpin_xl.screen import screen_files
from fangpin_xl.workbook.csvfile import read_csv_rows
from fangpin_xl.workbook.read import read_workbook

LINE = 6000.0  # 1.5 × the 2020 poverty line
OPEN_STAGES = ("已发现", "已查勘", "公示中", "已比对", "已备案")
STRANGER = make_id("130434", dt.date(1991, 2, 3), 777)
BAD_ID = STRANGER[:17] + ("0" if STRANGER[17] != "0" else "1")


@dataclass
class Household:
    number: str
    township: str
    village: str
    head: str
    group: str
    income: float
    members: list[tuple[str, str, str]]  # (name, ID, relation), the head first


@dataclass
class Planted:
    workbook: Path
    p1: Household  # 因病 exactly at 5,000, with an open 因病 case
    p2: Household  # 因学 8,000.01
    open_case: str
    order: list[str]  # household numbers in workbook order
    folder: Path


def write_xlsx(path: Path, rows: list[list]) -> Path:
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    ws = wb.add_worksheet("Sheet1")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                ws.write(r, c, value)
    wb.close()
    return path


def write_csv(path: Path, rows: list[list], encoding: str, bom: bool = False) -> Path:
    """A CSV as Excel saves it: quoted where a cell holds a comma, CRLF line ends."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    path.write_bytes((codecs.BOM_UTF8 if bom else b"") + buffer.getvalue().encode(encoding))
    return path


def households_of(path: Path) -> tuple[dict[str, Household], pd.DataFrame, list[str]]:
    data = read_workbook(path)
    hh, members = data.sheets["households"].frame, data.sheets["members"].frame
    valid = validate_ids(members["id_number"].astype(object))["valid"].to_numpy()
    out = {}
    for _, row in hh.iterrows():
        mine = members[(members["household_no"] == row["household_no"]).to_numpy() & valid
                       & members["name"].notna().to_numpy()]
        people = [(m["name"], m["id_number"], m["relation"]) for _, m in mine.iterrows()]
        people.sort(key=lambda p: p[2] != "户主")
        out[row["household_no"]] = Household(row["household_no"], row["township"], row["village"],
                                             row["head_name"], row["group"], float(row["income_per_capita"]),
                                             people)
    return out, data.sheets["cases"].frame, list(hh["household_no"])


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> Planted:
    folder = tmp_path_factory.mktemp("screen")
    sample = write_sample_county(folder / "乡镇", townships=2, households=30, seed=0, policy=Policy())
    # The township with an open 因病 case of a qualifying 脱贫不稳定户 of two or more people.
    for name in sorted(sample.workbooks):
        path = sample.workbooks[name]
        households, cases, order = households_of(path)

        def fits(h: Household, group: str) -> bool:
            return h.group == group and h.income <= LINE and len(h.members) >= 2 \
                and h.members[0][2] == "户主"

        open_ill = cases[cases["stage"].isin(OPEN_STAGES).to_numpy() & (cases["kind"] == "因病").to_numpy()]
        p1 = next((households[n] for n in open_ill["household_no"] if fits(households[n], "脱贫不稳定户")), None)
        if p1 is None:
            continue
        p2 = next(h for h in households.values() if fits(h, "边缘易致贫户"))
        case = open_ill[(open_ill["household_no"] == p1.number).to_numpy()].iloc[0]
        return Planted(path, p1, p2, f"{case['case_no']}（{case['stage']}）", order, folder)
    raise AssertionError("the sample county has no open 因病 case of a qualifying household")


def others(planted: Planted, count: int, *, poor: bool) -> list[Household]:
    households, _, _ = households_of(planted.workbook)
    chosen = [h for h in households.values()
              if h.number not in (planted.p1.number, planted.p2.number) and h.members
              and h.group in ("脱贫不稳定户", "边缘易致贫户") and (h.income <= LINE) == poor]
    return chosen[:count]


@pytest.fixture(scope="module")
def files(planted) -> dict[str, Path]:
    p1, p2 = planted.p1, planted.p2
    (n1,) = others(planted, 1, poor=True)
    rich, in_window_miss = others(planted, 1, poor=False)[0], others(planted, 2, poor=True)[1]
    head, spouse = p1.members[0], p1.members[1]
    folder = planted.folder
    medical = write_xlsx(folder / "医保.xlsx", [
        ["魏县医疗保障局 住院结算明细"],
        ["导出时间：2021-01-05", "单位：元"],
        ["序号", "患者姓名", "身份证号码", "出院日期", "医疗总费用", "统筹支付", "个人自付"],
        [1, spouse[0], spouse[1], "2020-03-01", 8000, 5000, None],  # row 4: not the head, 3,000
        [2, head[0], head[1], "2020.6.1", None, None, "2,000元"],  # row 5: text amount: 5,000 in all
        [3, head[0], head[1], "2019-12-31", None, None, 50000],  # row 6: exactly 12 months before
        [4, n1.members[0][0], n1.members[0][1], "2020-05-05", None, None, 4999.99],  # row 7: one fen short
        [5, "陌生人", STRANGER, "2020-05-05", None, None, 30000],  # row 8: not a member
        [6, "错号", BAD_ID, "2020-05-05", None, None, 30000],  # row 9: invalid
        [7, spouse[0], spouse[1], "2020-07-07", None, None, "五千"],  # row 10: unreadable
    ])
    student = p2.members[-1]
    education = write_csv(folder / "教育.csv", [
        ["2020年秋季学期收费明细"],
        ["学生姓名", "身份证号", "缴费日期", "学费", "住宿费", "书本费"],
        [student[0], student[1], "2020-09-01", "5000", "2000", "1,000.01"],  # row 3: 8,000.01
    ], "gb18030")
    traffic = write_csv(folder / "交警.csv", [
        ["当事人姓名", "身份证号", "事故日期", "损失金额", "保险赔付", "救助金额"],
        [rich.members[0][0], rich.members[0][1], "2020-04-01", "50000", "", ""],  # row 2: income too high
        [in_window_miss.members[0][0], in_window_miss.members[0][1], "2021-01-01", "50000", "", ""],  # row 3
        [in_window_miss.members[0][0], in_window_miss.members[0][1], "2020-04-01", "-10", "", ""],  # row 4
    ], "utf-8", bom=True)
    return {"medical": medical, "education": education, "traffic": traffic}


def run(planted, files, output: Path, *extra: str) -> int:
    return main(["screen", "--households", str(planted.workbook), "--medical", str(files["medical"]),
                 "--education", str(files["education"]), "--traffic", str(files["traffic"]),
                 "-o", str(output), *extra])


def sheet(path: Path, name: str) -> list[dict]:
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name).to_python()
    return [dict(zip(rows[1], row, strict=True)) for row in rows[2:]]


@pytest.fixture(scope="module")
def screened(planted, files, tmp_path_factory):
    output = tmp_path_factory.mktemp("out") / "筛查结果.xlsx"
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = run(planted, files, output)
    return code, buffer.getvalue(), output


# -- the planted households -------------------------------------------------------------------

def test_exactly_the_planted_households_with_their_evidence(planted, screened):
    code, _out, output = screened
    assert code == 1  # an invalid ID and unusable records were rejected
    p1, p2 = planted.p1, planted.p2
    head, spouse, student = p1.members[0], p1.members[1], p2.members[-1]
    found = {(r["户编号"], r["救助类别"]): r for r in sheet(output, "疑似防贫对象")}
    assert list(found) == sorted(found, key=lambda pair: planted.order.index(pair[0]))
    assert set(found) == {(p1.number, "因病"), (p2.number, "因学")}
    medical, school = found[(p1.number, "因病")], found[(p2.number, "因学")]
    assert {k: medical[k] for k in ("乡镇", "村", "户主姓名", "户类型", "发现方式", "来源部门", "记录数", "涉及成员",
                                    "部门数据合计", "已有在办案件", "部门记录明细", "来源文件", "满足条件")} == {
        "乡镇": p1.township, "村": p1.village, "户主姓名": p1.head, "户类型": "脱贫不稳定户",
        "发现方式": "自上而下筛查", "来源部门": "医保", "记录数": 2, "涉及成员": f"{spouse[0]}、{head[0]}",
        "部门数据合计": 5000, "已有在办案件": planted.open_case,
        "部门记录明细": f"医保 2020-03-01 {spouse[0]} 医疗总费用 8000 元 − 统筹支付 5000 元 = 3000 元；"
                        f"医保 2020-06-01 {head[0]} 个人自付 2000 元",
        "来源文件": "医保.xlsx", "满足条件": "收入、因病",
    }
    assert medical["判定依据"].endswith("因病支出 5000 元，达到 5000 元")
    assert {k: school[k] for k in ("来源部门", "记录数", "部门数据合计", "已有在办案件", "部门记录明细", "来源文件")} == {
        "来源部门": "教育", "记录数": 1, "部门数据合计": 8000.01, "已有在办案件": "",
        "部门记录明细": f"教育 2020-09-01 {student[0]} 学费 5000 + 住宿费 2000 + 教材费 1000.01 = 8000.01 元",
        "来源文件": "教育.csv",
    }


def test_every_record_is_accounted_for(planted, screened):
    _code, out, output = screened
    counts = sheet(output, "核对")
    table = [r for r in counts if r["部门"] in ("医保", "教育", "交警", "合计")]
    assert [(r["部门"], r["文件"], r["工作表"], r["表头行"], r["读取"], r["匹配"], r["其中统计期内"], r["其中统计期外"],
             r["其中数据无法使用"], r["未匹配"], r["身份证号无效"], r["核对"]) for r in table] == [
        ("医保", "医保.xlsx", "Sheet1", 3, 7, 5, 3, 1, 1, 1, 1, "相符"),
        ("教育", "教育.csv", "教育", 2, 1, 1, 1, 0, 0, 0, 0, "相符"),
        ("交警", "交警.csv", "交警", 1, 3, 3, 1, 1, 1, 0, 0, "相符"),
        ("合计", "", "", "", 11, 9, 5, 2, 2, 1, 1, "相符"),
    ]
    assert len(sheet(output, "匹配记录")) == 7
    lines = out.splitlines()
    assert lines[3:] == [
        "部门记录（读取 = 匹配 + 未匹配 + 身份证号无效）：",
        "  医保 医保.xlsx 工作表“Sheet1”：读取 7 = 匹配 5（统计期内 3，统计期外 1，数据无法使用 1）+ 未匹配 1 + 身份证号无效 1",
        "  教育 教育.csv 工作表“教育”：读取 1 = 匹配 1（统计期内 1，统计期外 0，数据无法使用 0）+ 未匹配 0 + 身份证号无效 0",
        "  交警 交警.csv 工作表“交警”：读取 3 = 匹配 3（统计期内 1，统计期外 1，数据无法使用 1）+ 未匹配 0 + 身份证号无效 0",
        "  合计：读取 11 = 匹配 9（统计期内 5，统计期外 2，数据无法使用 2）+ 未匹配 1 + 身份证号无效 1",
        "疑似防贫对象 2 户 2 项，其中已有在办案件 1 项",
        "有 3 条记录因身份证号无效或数据无法使用未能计入，见“身份证号无效”“数据无法使用”工作表。",
        f"已写出：{output}",
    ]
    data = read_workbook(planted.workbook)
    checked = check_workbook(data)
    people = pd.concat([data.sheets["members"].frame["id_number"], data.sheets["households"].frame["head_id"]])
    ids = validate_ids(people.astype(object))
    members = ids.loc[ids["valid"].to_numpy(), "normalized"].nunique()
    assert lines[0] == (
        f"户信息：{planted.workbook.name}（乡镇工作簿）：监测户 30 户，身份证号有效的家庭成员（含户主）{members} 人；"
        f"校验有错误 {checked.errors} 个、提醒 {checked.warnings} 个（详见 fangpin-xl validate）")
    # The township that keeps its own layout has no 参数 sheet: the built-in parameters then.
    source = "户信息工作簿的参数表" if read_workbook(planted.workbook).policy_values else "内置默认参数"
    assert lines[1:3] == [f"参数：魏县 2020 年（{source}）",
                          "统计期：筛查基准日 2020-12-31 及之前 12 个月：2020-01-01 至 2020-12-31"]


def test_rejected_records_name_their_cells(planted, screened):
    _code, _out, output = screened
    spouse = planted.p1.members[1]
    assert [(r["来源行"], r["身份证号"], r["姓名"], r["说明"]) for r in sheet(output, "未匹配")] == [
        (8, STRANGER, "陌生人", "监测户和家庭成员中没有此身份证号")]
    expected_check = STRANGER[17]
    assert [(r["来源行"], r["单元格"], r["身份证号（原样）"], r["原因"]) for r in sheet(output, "身份证号无效")] == [
        (9, "C9", BAD_ID, f"校验码应为 {expected_check}，实际为 {BAD_ID[17]}")]
    unusable = sheet(output, "数据无法使用")
    assert [(r["部门"], r["来源行"], r["成员姓名"], r["原因"]) for r in unusable] == [
        ("医保", 10, spouse[0], "G10“个人自付”的值“五千”不是金额；没有个人自付金额，也没有可相减的医疗总费用和统筹支付"),
        ("交警", 4, unusable[1]["成员姓名"], "D4“损失金额”为负数（-10）"),
    ]


def test_json_equals_the_library(planted, files, tmp_path, capsys):
    assert run(planted, files, tmp_path / "a.xlsx", "--json") == 1
    printed = json.loads(capsys.readouterr().out)
    library = screen_files(planted.workbook, [("medical", files["medical"]), ("education", files["education"]),
                                              ("traffic", files["traffic"])], tmp_path / "b.xlsx")
    expected = json.loads(json.dumps(library.as_dict(), ensure_ascii=False))
    printed.pop("output"), expected.pop("output")
    assert printed == expected
    assert (printed["candidates"], printed["candidate_households"], printed["open_cases"]) == (2, 2, 1)
    assert printed["total"]["read"] == 11


def test_as_of_moves_the_window(planted, files, tmp_path, capsys):
    # On 2020-08-31 the school fees of September are still to come: only the medical household.
    assert run(planted, files, tmp_path / "a.xlsx", "--as-of", "2020年8月31日", "--json") == 1
    printed = json.loads(capsys.readouterr().out)
    assert printed["window"] == ["2019-08-31", "2020-08-31"]
    assert printed["candidates"] == 1


def test_the_county_workbook_finds_the_same_households(planted, files, tmp_path, capsys):
    county = tmp_path / "县.xlsx"
    merge_workbooks([planted.workbook.parent], county, jobs=1)
    code = main(["screen", "--households", str(county), "--medical", str(files["medical"]),
                 "--education", str(files["education"]), "--traffic", str(files["traffic"]),
                 "-o", str(tmp_path / "县筛查.xlsx")])
    assert code == 1
    assert capsys.readouterr().out.splitlines()[0].startswith(
        f"户信息：{county.name}（县级汇总工作簿）：监测户 60 户，身份证号有效的家庭成员（含户主）")
    found = [(r["户编号"], r["救助类别"], r["已有在办案件"]) for r in sheet(tmp_path / "县筛查.xlsx", "疑似防贫对象")]
    assert sorted(found) == sorted([(planted.p1.number, "因病", planted.open_case), (planted.p2.number, "因学", "")])


@pytest.mark.filterwarnings("error")  # numpy's English "overflow encountered in multiply" included
def test_an_absurd_amount_is_unusable_and_the_household_still_found(planted, tmp_path, capsys):
    head, spouse = planted.p1.members[0], planted.p1.members[1]
    medical = write_xlsx(tmp_path / "医保.xlsx", [
        ["患者姓名", "身份证号码", "出院日期", "个人自付"],
        [head[0], head[1], "2020-06-01", 1e308],  # row 2: a number no bill comes near
        [spouse[0], spouse[1], "2020-06-02", 6000],  # row 3: enough on its own
        [spouse[0], spouse[1], "2020-06-03", 9_999_999_999.99],  # row 4: just below the limit
    ])
    traffic = write_csv(tmp_path / "交警.csv", [
        ["当事人姓名", "身份证号", "事故日期", "损失金额", "保险赔付", "救助金额"],
        [spouse[0], spouse[1], "2020-04-01", "1e308", "", ""],  # row 2: as text
        [spouse[0], spouse[1], "2020-04-01", "20000", "-1e999", ""],  # row 3: past a double
    ], "utf-8")
    output = tmp_path / "out.xlsx"
    code = main(["screen", "--households", str(planted.workbook), "--medical", str(medical),
                 "--traffic", str(traffic), "-o", str(output)])
    assert code == 1
    assert "  合计：读取 5 = 匹配 5（统计期内 2，统计期外 0，数据无法使用 3）+ 未匹配 0 + 身份证号无效 0" in (
        capsys.readouterr().out.splitlines())
    assert [(r["户编号"], r["救助类别"], r["部门数据合计"]) for r in sheet(output, "疑似防贫对象")] == [
        (planted.p1.number, "因病", 10_000_005_999.99)]
    assert [(r["部门"], r["来源行"], r["原因"]) for r in sheet(output, "数据无法使用")] == [
        ("医保", 2, "D2“个人自付”的值“1e+308”超出合理范围（金额应小于 100 亿元）；"
                   "没有个人自付金额，也没有可相减的医疗总费用和统筹支付"),
        ("交警", 2, "D2“损失金额”的值“1e308”超出合理范围（金额应小于 100 亿元）；损失金额为空"),
        ("交警", 3, "E3“保险赔付”的值“-1e999”超出合理范围（金额应小于 100 亿元）"),
    ]


# -- unusable input: exit 2 with the file, sheet and what is missing ------------------------------

def test_department_file_without_an_id_column(planted, tmp_path, capsys):
    path = write_xlsx(tmp_path / "医保.xlsx", [["标题"], ["患者姓名", "出院日期", "个人自付"], ["张三", "2020-05-05", 100]])
    code = main(["screen", "--households", str(planted.workbook), "--medical", str(path),
                 "-o", str(tmp_path / "out.xlsx")])
    assert code == 2
    assert capsys.readouterr().err == (
        "错误：医保.xlsx（医保数据）：工作表“Sheet1”缺少必填列“身份证号”（也可用列名：身份证号码、公民身份号码、证件号码、"
        "证件号、身份证、患者身份证号、参保人身份证号、学生身份证号、当事人身份证号、受灾人身份证号、救助对象身份证号、"
        "户主身份证号）。第 2 行找到的列：“患者姓名”、“出院日期”、“个人自付”。\n")
    assert not (tmp_path / "out.xlsx").exists()


def test_department_file_without_an_amount_column(planted, tmp_path, capsys):
    path = write_csv(tmp_path / "医保.csv", [["姓名", "身份证号", "出院日期", "医疗总费用"],
                                             ["张三", STRANGER, "2020-05-05", "100"]], "utf-8")
    code = main(["screen", "--households", str(planted.workbook), "--medical", str(path),
                 "-o", str(tmp_path / "out.xlsx")])
    assert code == 2
    assert capsys.readouterr().err == (
        "错误：医保.csv（医保数据）：工作表“医保”缺少金额列，应有“个人自付”，或“医疗总费用”和“统筹支付”"
        "（第 1 行找到的列：“姓名”、“身份证号”、“出院日期”、“医疗总费用”）。\n")


def test_household_file_that_is_no_township_or_county_workbook(files, tmp_path, capsys):
    code = main(["screen", "--households", str(files["medical"]), "--medical", str(files["medical"]),
                 "-o", str(tmp_path / "out.xlsx")])
    assert code == 2
    assert capsys.readouterr().err == (
        "错误：医保.xlsx：不是乡镇工作簿或县级汇总工作簿（没有找到工作表“监测户”、“家庭成员”），无法用于筛查。"
        "工作簿中的工作表：“Sheet1”\n")


def test_unsupported_department_file_and_unreadable_csv(planted, tmp_path, capsys):
    text = tmp_path / "交警.txt"
    text.write_text("x", encoding="utf-8")
    assert main(["screen", "--households", str(planted.workbook), "--traffic", str(text),
                 "-o", str(tmp_path / "out.xlsx")]) == 2
    assert capsys.readouterr().err == (
        "错误：交警.txt（交警数据）：不支持的文件类型“.txt”，部门数据请提供 .xlsx、.xls 或 .csv 文件。\n")
    binary = tmp_path / "消防.csv"
    binary.write_bytes(b"\x00\x01\x02\x03" * 100)
    assert main(["screen", "--households", str(planted.workbook), "--fire", str(binary),
                 "-o", str(tmp_path / "out.xlsx")]) == 2
    assert capsys.readouterr().err == "错误：消防.csv（消防数据）：不是文本（CSV）文件，无法读取\n"


def test_no_department_file_is_a_usage_error(planted, tmp_path, capsys):
    assert main(["screen", "--households", str(planted.workbook), "-o", str(tmp_path / "out.xlsx")]) == 2
    assert capsys.readouterr().err.endswith(
        "错误：至少指定一个部门数据文件：--medical、--education、--traffic、--fire、--civil 或 --industry。\n")


def test_output_that_is_an_input_is_refused(planted, files, capsys):
    assert main(["screen", "--households", str(planted.workbook), "--medical", str(files["medical"]),
                 "-o", str(planted.workbook)]) == 2
    assert "就是输入文件" in capsys.readouterr().err


def test_output_that_is_somebody_elses_workbook_is_refused_and_its_own_is_replaced(
        planted, files, screened, tmp_path, capsys):
    theirs = tmp_path / "筛查结果.xlsx"
    theirs.write_bytes(planted.workbook.read_bytes())
    assert run(planted, files, theirs) == 2
    assert capsys.readouterr().err == (
        f"错误：输出文件 {theirs} 已存在，且不是本工具写出的筛查结果（可能是乡镇工作簿或其他文件）："
        "不会覆盖它，请另选输出文件名，如 筛查结果.xlsx。\n")
    assert theirs.read_bytes() == planted.workbook.read_bytes()
    ours = tmp_path / "上次.xlsx"
    ours.write_bytes(screened[2].read_bytes())
    assert run(planted, files, ours) == screened[0]
    assert sheet(ours, "疑似防贫对象") == sheet(screened[2], "疑似防贫对象")


def test_help_is_chinese_and_states_the_exit_codes(capsys):
    assert main(["screen", "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("用法： fangpin-xl screen [选项]")
    assert "--medical 文件" in out and "退出码：" in out and "[required]" not in out


# -- CSV encodings -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("encoding", "bom"), [("utf-8", False), ("utf-8", True), ("gb18030", False)])
def test_csv_in_every_encoding_counties_save(tmp_path, encoding, bom):
    path = write_csv(tmp_path / "a.csv", [["姓名", "金额"], ["张三", "5,000元"]], encoding, bom)
    assert read_csv_rows(path) == [["姓名", "金额"], ["张三", "5,000元"]]


def test_libreoffice_opens_and_prints_the_result(screened, soffice):
    _code, _out, output = screened
    pdf = soffice(output, to="pdf")
    assert pdf.stat().st_size > 0


def test_an_xls_export_reads_like_the_xlsx(planted, files, soffice, tmp_path, capsys):
    xls = soffice(files["medical"], to="xls")
    code = main(["screen", "--households", str(planted.workbook), "--medical", str(xls),
                 "-o", str(tmp_path / "out.xlsx")])
    assert code == 1
    assert ("  医保 医保.xls 工作表“Sheet1”：读取 7 = 匹配 5（统计期内 3，统计期外 1，数据无法使用 1）+ 未匹配 1 + 身份证号无效 1"
            in capsys.readouterr().out.splitlines())
    assert [(r["户编号"], r["部门数据合计"]) for r in sheet(tmp_path / "out.xlsx", "疑似防贫对象")] == [
        (planted.p1.number, 5000)]


# -- file names that are not UTF-8 ---------------------------------------------------------------------

def gbk_named(folder: Path, name: str, data: bytes) -> str:
    """A file whose name is GBK bytes (unzipped from an archive made on Chinese Windows), as the
    command line hands it over on a UTF-8 file system: with surrogate escapes."""
    raw = os.path.join(bytes(folder), name.encode("gbk"))
    with open(raw, "wb") as fh:
        fh.write(data)
    path = os.fsdecode(raw)
    with pytest.raises(UnicodeEncodeError):
        path.encode("utf-8")
    return path


def test_files_named_in_gbk(planted, files, tmp_path, capsys):
    households = gbk_named(tmp_path, "户.xlsx", planted.workbook.read_bytes())
    medical = gbk_named(tmp_path, "医保.xlsx", files["medical"].read_bytes())
    education = gbk_named(tmp_path, "教育.csv", files["education"].read_bytes())
    output = tmp_path / "筛查结果.xlsx"
    command = ["screen", "--households", households, "--medical", medical, "--education", education,
               "-o", str(output)]
    assert main([*command, "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["households_file"] == str(tmp_path / "户.xlsx")
    assert [(f["file"], f["sheet"], f["read"], f["matched"]) for f in doc["files"]] == [
        ("医保.xlsx", "Sheet1", 7, 5), ("教育.csv", "教育", 1, 1)]
    assert sorted(r["来源文件"] for r in sheet(output, "疑似防贫对象")) == ["医保.xlsx", "教育.csv"]
    assert [(r["文件"], r["工作表"]) for r in sheet(output, "核对")][:2] == [("医保.xlsx", "Sheet1"), ("教育.csv", "教育")]
    assert main(command) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("户信息：户.xlsx（乡镇工作簿）：监测户 30 户")
    assert lines[4:6] == [
        "  医保 医保.xlsx 工作表“Sheet1”：读取 7 = 匹配 5（统计期内 3，统计期外 1，数据无法使用 1）+ 未匹配 1 + 身份证号无效 1",
        "  教育 教育.csv 工作表“教育”：读取 1 = 匹配 1（统计期内 1，统计期外 0，数据无法使用 0）+ 未匹配 0 + 身份证号无效 0"]


def test_an_unusable_department_file_named_in_gbk(planted, tmp_path, capsys):
    medical = gbk_named(tmp_path, "医保.csv", "姓名,出院日期,个人自付\n张三,2020-05-05,100\n".encode("gbk"))
    households = gbk_named(tmp_path, "户.xlsx", planted.workbook.read_bytes())
    code = main(["screen", "--households", households, "--medical", medical, "-o", str(tmp_path / "out.xlsx")])
    assert code == 2
    assert capsys.readouterr().err.startswith(
        "错误：医保.csv（医保数据）：工作表“医保”缺少必填列“身份证号”（也可用列名：")
    text = gbk_named(tmp_path, "交警.txt", b"x")
    assert main(["screen", "--households", households, "--traffic", text, "-o", str(tmp_path / "out.xlsx")]) == 2
    assert capsys.readouterr().err == (
        "错误：交警.txt（交警数据）：不支持的文件类型“.txt”，部门数据请提供 .xlsx、.xls 或 .csv 文件。\n")
    assert not (tmp_path / "out.xlsx").exists()
