"""``screen_files``: top-down screening of department exports against one household workbook.

Reads the household workbook (a township workbook, or the county workbook
``merge`` writes: the same 监测户 / 家庭成员 sheets with 来源 columns) and the
department files (.xlsx, .xls, .csv; headers found as on a township sheet),
hands them to the pure ``screening.screen`` and writes the screening
workbook atomically: 疑似防贫对象, 匹配记录, 未匹配, 身份证号无效, 数据无法使用 and
核对 (records read = matched + unmatched + invalid, per file). It never prints;
``render_screen`` is the text a person reads, ``ScreenResult.as_dict`` the JSON.

Unusable input raises ``InputError`` naming the file, sheet and what is
missing (exit 2): a household file that is neither a township nor a county
workbook, a department file without an ID, date or amount column. Bad
records never stop a run: they go to 身份证号无效 or 数据无法使用 with their
cells named, and make the exit code 1 (the data has errors).

In a county workbook 户编号 is unique only within a township, so households
are told apart by (来源乡镇, 户编号) there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .checks import CheckedWorkbook, check_workbook
from .columns import as_text
from .derive import spending_sums
from .errors import InputError, exit_code
from .files import atomic_output, write_error
from .ledgers.source import (
    COUNTY_TOWNSHIP,
    COUNTY_WORKBOOK,
    KEY_SEPARATOR,
    workbook_kind,
)
from .policy import Policy, load_policy
from .schema import DATE, MONEY
from .screening import DepartmentTable, Register, Screening, SourceCount, screen
from .screening_schema import (
    CANDIDATES,
    COUNTS,
    DEPARTMENTS_BY_KEY,
    INVALID,
    MATCHED,
    UNMATCHED,
    UNUSABLE,
    Department,
)
from .text import cell_text, column_index, shown_path
from .workbook.coerce import MAX_AMOUNT, numbers_of
from .workbook.made import SCREENING, check_output
from .workbook.read import SheetData, read_table, read_workbook
from .workbook.write import MAX_DATA_ROWS, Formats, new_workbook, write_data_sheet

#: What the result workbook is marked as (``workbook.made``): a later screening may replace it.
KIND = SCREENING
DEPARTMENT_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")
_SOURCE_LABELS = {"county": "本县参数文件", "workbook": "户信息工作簿的参数表", "default": "内置默认参数"}


@dataclass
class ScreenResult:
    output: Path
    households_file: Path
    workbook_kind: str
    households: int
    members: int
    policy: Policy
    policy_source: str
    screening: Screening
    #: Errors and warnings validate finds in the household workbook.
    household_errors: int = 0
    household_warnings: int = 0

    @property
    def bad_records(self) -> int:
        total = self.screening.total()
        return total.invalid + total.unusable

    @property
    def exit_code(self) -> int:
        """1 when records had to be rejected as invalid or unusable, else 0."""
        return exit_code(errors=self.bad_records, unusable=0)

    def as_dict(self) -> dict:
        s = self.screening
        candidates = s.candidates
        return {
            "output": shown_path(self.output), "households_file": shown_path(self.households_file),
            "workbook": self.workbook_kind, "households": self.households, "members": self.members,
            "policy": {"county": self.policy.county, "year": self.policy.year, "source": self.policy_source},
            "as_of": s.as_of.isoformat(), "window": [s.window[0].isoformat(), s.window[1].isoformat()],
            "files": [c.as_dict() for c in s.counts], "total": s.total().as_dict(),
            "candidates": len(candidates),
            "candidate_households": int(candidates[["township", "household_no"]].drop_duplicates().shape[0]),
            "open_cases": s.open_case_rows,
            "household_issues": {"error": self.household_errors, "warning": self.household_warnings},
            "exit_code": self.exit_code,
        }


# -- the operation -------------------------------------------------------------------------

def screen_files(households: str | Path, departments: Iterable[tuple[str, str | Path]], output: str | Path,
                 *, policy: Policy | str | Path | None = None, as_of: dt.date | None = None,
                 today: dt.date | None = None) -> ScreenResult:
    """Screen ``departments`` — (department key, file) pairs — against the ``households`` workbook.

    ``policy`` is the county's (a Policy or a TOML file); without it the
    household workbook's own 参数 sheet, else the defaults. ``as_of``
    defaults to the household workbook's check date (参数 核查基准日, else
    31 December of the policy year).
    """
    households, output = Path(households), Path(output)
    pairs = [(key, Path(path)) for key, path in departments]
    if not pairs:
        raise InputError("没有指定部门数据文件：请至少给出 --medical、--education、--traffic、--fire、"
                         "--civil、--industry 中的一个。")
    check_output(output, [households, *(path for _, path in pairs)], kind=KIND, example="筛查结果.xlsx")
    county_policy = load_policy(policy) if isinstance(policy, str | Path) else policy
    today = dt.date.today() if today is None else today
    checked, kind = read_households(households, county_policy, today)
    as_of = checked.check_date if as_of is None else as_of
    register = register_of(checked, county=kind == COUNTY_WORKBOOK, as_of=as_of)
    tables = [read_department(path, DEPARTMENTS_BY_KEY[key]) for key, path in pairs]
    screening = screen(tables, register, policy=checked.policy, as_of=as_of, today=today)
    result = ScreenResult(
        output=output, households_file=households, workbook_kind=kind,
        households=int(register.households["key"].nunique()),
        members=int(register.members["id"].nunique()), policy=checked.policy,
        policy_source=_SOURCE_LABELS[checked.basis.source], screening=screening,
        household_errors=checked.errors, household_warnings=checked.warnings,
    )
    write_screening(result)
    return result


# -- the household workbook -------------------------------------------------------------------

def read_households(path: Path, policy: Policy | None, today: dt.date) -> tuple[CheckedWorkbook, str]:
    """The checked household workbook and whether it is a township or the county workbook."""
    data = read_workbook(path)
    kind = workbook_kind(data, shown_path(path.name), purpose="筛查", rows_word="户和成员",
                         needs={"households": ("household_no", "group", "income_per_capita"),
                                "members": ("household_no", "id_number")})
    return check_workbook(data, policy=policy, today=today), kind


def _keys(checked: CheckedWorkbook, sheet: str, county: bool) -> pd.Series:
    keys = checked.key(sheet)
    if not county:
        return keys
    town = as_text(checked.data.sheets[sheet].frame, COUNTY_TOWNSHIP)
    return (town + KEY_SEPARATOR + keys.fillna("")).where(keys.notna(), None)


def register_of(checked: CheckedWorkbook, *, county: bool, as_of: dt.date) -> Register:
    """Households, members (with heads) and cases of the workbook, keyed alike."""
    hh = checked.data.sheets["households"].frame
    h_keys = _keys(checked, "households", county)
    spending = checked.data.sheets.get("spending")
    recorded = spending_sums(
        h_keys, spending.frame if spending is not None else None, policy=checked.policy, check_date=as_of,
        spending_keys=_keys(checked, "spending", county) if spending is not None else None)
    households = pd.DataFrame({
        "key": h_keys,
        "township": as_text(hh, "township").replace("", None),
        "village": as_text(hh, "village").replace("", None),
        "household_no": as_text(hh, "household_no").replace("", None),
        "head_name": as_text(hh, "head_name").replace("", None),
        "group": hh["group"], "income_per_capita": hh["income_per_capita"],
    }, index=hh.index)
    households = pd.concat([households, recorded], axis=1)
    frames = []
    members = checked.data.sheets["members"].frame
    ids = checked.ids[("members", "id_number")]
    frames.append(pd.DataFrame({
        "key": _keys(checked, "members", county).to_numpy(dtype=object),
        "id": np.where(ids.valid, ids.normalized.to_numpy(dtype=object), None),
        "name": as_text(members, "name").to_numpy(dtype=object),
        "relation": as_text(members, "relation").to_numpy(dtype=object),
        "household_no": as_text(members, "household_no").to_numpy(dtype=object),
    }))
    heads = checked.ids.get(("households", "head_id"))
    if heads is not None:
        frames.append(pd.DataFrame({
            "key": h_keys.to_numpy(dtype=object),
            "id": np.where(heads.valid, heads.normalized.to_numpy(dtype=object), None),
            "name": as_text(hh, "head_name").to_numpy(dtype=object), "relation": "户主",
            "household_no": as_text(hh, "household_no").to_numpy(dtype=object),
        }))
    register_members = pd.concat(frames, ignore_index=True)
    register_members = register_members[register_members["key"].notna().to_numpy()]
    cases = None
    cs = checked.data.sheets.get("cases")
    if cs is not None and checked.has_key("cases"):
        cases = pd.DataFrame({
            "key": _keys(checked, "cases", county), "kind": as_text(cs.frame, "kind"),
            "case_no": as_text(cs.frame, "case_no").replace("", None), "stage": as_text(cs.frame, "stage"),
        })
    return Register(households=households, members=register_members, cases=cases)


# -- department files -----------------------------------------------------------------------------

def read_department(path: Path, department: Department) -> DepartmentTable:
    """One department export as a ``DepartmentTable``; InputError when it cannot be used."""
    name = shown_path(path.name)
    where = f"{name}（{department.label}数据）"
    if path.suffix.lower() not in DEPARTMENT_SUFFIXES:
        shown = f"“{shown_path(path.suffix)}”" if path.suffix else "（没有扩展名）"
        raise InputError(f"{where}：不支持的文件类型{shown}，部门数据请提供 .xlsx、.xls 或 .csv 文件。")
    try:
        sd, issues = read_table(path, department.sheet)
    except InputError as exc:
        text = str(exc)
        raise InputError(f"{where}：{text.split('：', 1)[1] if text.startswith(name) else text}") from None
    errors = [found.message for found in issues if found.is_error]
    if errors:
        raise InputError(f"{where}：{'；'.join(errors)}。")
    if not any(all(key in sd.columns for key in need) for need in department.needs):
        in_order = sorted(sd.headers, key=lambda key: column_index(sd.columns[key]))
        found = "、".join(f"“{sd.headers[key]}”" for key in in_order) or "（无）"
        raise InputError(
            f"{where}：工作表“{sd.name}”缺少金额列，应有{department.rule}（第 {sd.header_row} 行找到的列：{found}）。")
    return DepartmentTable(
        department=department.key, file=name, sheet=sd.name, header_row=sd.header_row,
        frame=sd.frame, columns=dict(sd.columns), headers=dict(sd.headers), unreadable=_unreadable(sd),
    )


def _unreadable(sd: SheetData) -> dict[int, str]:
    """Excel row → the cells the reader could not read as their column's type."""
    out: dict[int, list[str]] = {}
    money = [i for i, change in enumerate(sd.failures) if sd.spec.column(change.key).type == MONEY]
    too_large = np.zeros(len(sd.failures), dtype=bool)
    if money:
        numbers = numbers_of([sd.failures[i].original for i in money])
        too_large[money] = np.abs(numbers) >= MAX_AMOUNT
    # A loop over the failed cells only.
    for change, large in zip(sd.failures, too_large, strict=True):
        column = sd.spec.column(change.key)
        header = sd.headers.get(change.key, column.header)
        why = ("超出合理范围（金额应小于 100 亿元）" if large
               else "不是" + {MONEY: "金额", DATE: "日期"}.get(column.type, "该列的类型"))
        out.setdefault(change.row or 0, []).append(
            f"{change.cell}“{header}”的值“{cell_text(change.original)}”{why}")
    return {row: "；".join(texts) for row, texts in out.items()}


# -- the screening workbook -----------------------------------------------------------------------

def _window_text(screening: Screening) -> str:
    start, end = screening.window
    return f"{(start + dt.timedelta(days=1)).isoformat()} 至 {end.isoformat()}"


def write_screening(result: ScreenResult) -> None:
    s = result.screening
    window = f"筛查基准日 {s.as_of.isoformat()}，统计期 {_window_text(s)}"
    households = result.as_dict()["candidate_households"]
    total = s.total()
    sheets = [
        (CANDIDATES, s.candidates,
         f"疑似防贫对象（自上而下筛查，{window}）：{households} 户 {len(s.candidates)} 项，"
         f"其中已有在办案件 {s.open_case_rows} 项"),
        (MATCHED, s.matched, f"匹配记录（部门记录按身份证号对应到家庭成员，{window}）：{total.matched} 条"),
        (UNMATCHED, s.unmatched, f"未匹配（身份证号有效，但不是任何监测户的家庭成员）：{total.unmatched} 条"),
        (INVALID, s.invalid, f"身份证号无效（无法匹配，请部门核对后重新提供）：{total.invalid} 条"),
        (UNUSABLE, s.unusable, f"数据无法使用（家庭成员的记录，但日期或金额无法使用，未计入）：{total.unusable} 条"),
    ]
    with atomic_output(result.output) as tmp:
        wb = new_workbook(tmp, constant_memory=True, made_as=KIND)
        formats = Formats(wb)
        for spec, frame, title in sheets:
            _write_parts(wb, formats, spec, frame, title)
        _write_counts(wb, formats, result)
        try:
            wb.close()
        except Exception as exc:  # noqa: BLE001 - xlsxwriter's file errors
            raise write_error(result.output, exc) from None


def _write_parts(wb, formats: Formats, spec, frame: pd.DataFrame, title: str) -> None:
    """One sheet, continued on 名称(续1) … past Excel's row limit."""
    parts = max(1, -(-len(frame) // MAX_DATA_ROWS))
    for part in range(parts):
        chunk = frame.iloc[part * MAX_DATA_ROWS:(part + 1) * MAX_DATA_ROWS]
        name = spec.name if part == 0 else f"{spec.name}(续{part})"
        write_data_sheet(wb, spec, chunk, title=title if part == 0 else f"{title}（续{part}）",
                         formats=formats, table_name=spec.key if part == 0 else f"{spec.key}_{part + 1}",
                         sheet_name=name, input_notes=False)


def _count_row(c: SourceCount) -> dict:
    return {**c.as_dict(), "balanced": "相符" if c.balanced else "不相符"}


def _write_counts(wb, formats: Formats, result: ScreenResult) -> None:
    s = result.screening
    total = s.total()
    rows = [_count_row(c) for c in s.counts] + [{**_count_row(total), "file": "", "sheet": "", "header_row": None}]
    frame = pd.DataFrame(rows)
    title = f"核对（每个部门文件：读取 = 匹配 + 未匹配 + 身份证号无效）：共读取 {total.read} 条"
    write_data_sheet(wb, COUNTS, frame, title=title, formats=formats, table_name=COUNTS.key,
                     input_notes=False)
    ws = wb.get_worksheet_by_name(COUNTS.name)
    row = 2 + len(frame) + 1
    bold = wb.add_format({"bold": True})
    for label, text in screen_facts(result):
        ws.write_string(row, 0, label, bold)
        ws.write_string(row, 1, text)
        row += 1


def screen_facts(result: ScreenResult) -> list[tuple[str, str]]:
    """The facts under 核对 (and in the text summary): sources, dates, the rule used."""
    s = result.screening
    as_dict = result.as_dict()
    return [
        ("户信息", f"{shown_path(result.households_file.name)}（{result.workbook_kind}）：监测户 {result.households} 户，"
                  f"身份证号有效的家庭成员（含户主）{result.members} 人；校验有错误 {result.household_errors} 个、"
                  f"提醒 {result.household_warnings} 个（详见 fangpin-xl validate）"),
        ("参数", f"{result.policy.county} {result.policy.year} 年（{result.policy_source}）"),
        ("统计期", f"筛查基准日 {s.as_of.isoformat()} 及之前 {result.policy.spending_window_months} 个月："
                  f"{_window_text(s)}"),
        ("判定口径", "只计部门数据：医保为个人自付（无个人自付时为医疗总费用减统筹支付），教育为学费、住宿费、教材费之和，"
                    "交警、消防、民政、产业为损失减保险赔付和救助（不低于 0）；同户各成员合计后按户类型和人均收入判定。"
                    "不加“支出”表已登记的支出（同一笔支出常已由乡镇登记，相加会重复计算），"
                    "“支出表同期登记”列仅供对照"),
        ("结果", f"疑似防贫对象 {as_dict['candidate_households']} 户 {len(s.candidates)} 项，"
                f"其中已有在办案件 {s.open_case_rows} 项"),
    ]


# -- the text a person reads --------------------------------------------------------------------------

def render_screen(result: ScreenResult) -> str:
    s = result.screening
    lines = [f"{label}：{text}" for label, text in screen_facts(result)[:3]]
    lines.append("部门记录（读取 = 匹配 + 未匹配 + 身份证号无效）：")
    for c in [*s.counts, s.total()]:
        where = f"{c.department} {c.file} 工作表“{c.sheet}”" if c.file else "合计"
        lines.append(
            f"  {where}：读取 {c.read} = 匹配 {c.matched}（统计期内 {c.in_window}，统计期外 {c.outside}，"
            f"数据无法使用 {c.unusable}）+ 未匹配 {c.unmatched} + 身份证号无效 {c.invalid}"
            f"{'' if c.balanced else '（不相符）'}")
    lines.append(screen_facts(result)[-1][1])
    if result.bad_records:
        lines.append(f"有 {result.bad_records} 条记录因身份证号无效或数据无法使用未能计入，"
                     "见“身份证号无效”“数据无法使用”工作表。")
    lines.append(f"已写出：{shown_path(result.output)}")
    return "\n".join(lines) + "\n"
