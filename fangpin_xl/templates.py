"""Township workbooks: the distributable templates, blank or pre-filled from a county roster.

The layout is the contract in docs/WORKBOOK-LAYOUT.md. Computed columns are
native formulas that read the 参数 sheet through defined names (``P_…``) and
the other sheets through absolute ranges over the prepared rows, using only
functions Excel 2010, WPS and LibreOffice all have, so a township without
Python still sees every check. ``fangpin_xl.derive`` computes the same values
in Python; a test recalculates a filled template in LibreOffice and compares
every computed cell with it.

The formulas themselves and why they look the way they do: ``formulas.py``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.workbook import Workbook

from . import workdays
from .derive import default_check_date
from .errors import InputError, exit_code
from .files import write_error
from .followup import next_visit_due, period_rule_text
from .formulas import (
    CALENDAR_NAMES,
    NEVER_VISITED,
    case_formulas,
    household_formulas,
    param_name,
    visit_overdue_rule,
)
from .policy import Policy, policy_rows
from .roster import RosterUse, identify, roster_frames, roster_use, township_frames
from .schema import (
    CALENDAR_SHEET,
    CASES,
    CHECK_DATE_KEY,
    HOUSEHOLDS,
    INSTRUCTIONS_SHEET,
    POLICY_SHEET,
    SHEETS,
    SHEETS_BY_KEY,
    Sheet,
)
from .text import shown_path
from .workbook.write import (
    FIRST_DATA_ROW,
    HEADER_ROWS,
    POLICY_WIDTHS,
    Formats,
    atomic_output,
    excel_serials,
    new_workbook,
    page_setup,
    policy_sheet,
    wrapped_height,
    write_data_sheet,
)

#: Prepared formula rows per data sheet when the caller gives none.
DEFAULT_ROWS: dict[str, int] = {
    "households": 2000, "members": 6000, "spending": 3000, "cases": 3000, "visits": 3000, "aid": 3000,
}
#: The township name in the blank template.
BLANK_TOWNSHIP = "（乡镇名称）"
#: File name of the committed blank template under workbooks/.
BLANK_TEMPLATE_NAME = "乡镇防贫工作簿模板.xlsx"

POLICY_TITLE = "精准防贫参数（县级统一设置，乡镇请勿修改）"
CHECK_DATE_LABEL = "核查基准日"
CALENDAR_HEADERS = ("日期", "工作日", "序号")
#: Column width of 说明.
INSTRUCTIONS_WIDTH = 92

_BAD_FILE_CHARS = re.compile(r'[\\/:*?"<>|\s]+')


def calendar_span(policy: Policy) -> tuple[dt.date, dt.date]:
    """The 日历 sheet's first and last day: the policy year ± 1, whole years."""
    return dt.date(policy.year - 1, 1, 1), dt.date(policy.year + 1, 12, 31)


def prepared_rows(rows: int | Mapping[str, int] | None = None,
                  frames: Mapping[str, pd.DataFrame] | None = None) -> dict[str, int]:
    """Rows with formulas per sheet: ``rows`` (one number for all, or per sheet key) or
    the defaults, and never fewer than the rows of the frame written there."""
    counts = dict(DEFAULT_ROWS)
    if isinstance(rows, Mapping):
        unknown = set(rows) - set(counts)
        if unknown:
            raise ValueError(f"unknown sheet keys: {sorted(unknown)}")
        counts.update({k: int(v) for k, v in rows.items()})
    elif rows is not None:
        counts = dict.fromkeys(counts, int(rows))
    if any(v < 1 for v in counts.values()):
        raise InputError("预置行数应为正整数。")
    for key, frame in (frames or {}).items():
        counts[key] = max(counts[key], len(frame))
    return counts


# -- sheets ----------------------------------------------------------------------------

def _title(sheet: Sheet, policy: Policy, township: str) -> str:
    return f"{sheet.name}（{sheet.note}）—— {policy.county} {township} {policy.year} 年"


def _write_instructions(wb: Workbook, formats: Formats, policy: Policy, township: str,
                        rows: Mapping[str, int], check_date: dt.date) -> None:
    ws = wb.add_worksheet(INSTRUCTIONS_SHEET)
    ws.set_column(0, 0, INSTRUCTIONS_WIDTH, formats.wrap)
    example_start = dt.date(2020, 4, 29)
    example = workdays.deadline(example_start, policy=policy)
    unit = policy.deadline_mode
    window = policy.spending_window_months
    interval = policy.visit_interval_months
    due_example = next_visit_due(pd.Series([pd.Timestamp(policy.year, 1, 5)]), interval).iloc[0]
    computed_hh = "、".join(f"“{c.header}”" for c in HOUSEHOLDS.computed_columns)
    computed_cases = "、".join(f"“{c.header}”" for c in CASES.computed_columns)
    sheet_lines = [
        f"  {POLICY_SHEET}：县级统一设置的收入标准、支出标准、办理时限等参数，乡镇请勿修改；"
        f"只有“{CHECK_DATE_LABEL}”（黄色单元格）可以修改。",
        *(f"  {s.name}：{s.note}。" for s in SHEETS),
        f"  {CALENDAR_SHEET}：计算办结时限用的工作日历（含法定节假日和调休上班日），已隐藏，请勿修改。",
    ]
    lines = [
        (f"精准防贫乡镇工作簿 —— {policy.county} {township} {policy.year} 年", formats.title),
        ("本工作簿由县防贫中心统一下发。请按下列工作表填写，填好后报送县防贫中心汇总。", None),
        ("", None),
        ("一、各工作表", formats.title),
        *((line, None) for line in sheet_lines),
        ("", None),
        ("二、填写要求", formats.title),
        ("  1. 第 1 行是标题，第 2 行是列名，数据从第 3 行开始，每行一条；不要改动列名，不要插入空行或合并单元格。", None),
        ("  2. 鼠标停在列名上可以看到该列的填写说明；带下拉箭头的列请从下拉列表中选择。", None),
        ("  3. 户编号、身份证号、电话号码等列是文本格式：直接输入号码（身份证号末位 X 大写），"
         "不要输入成数字，否则 18 位身份证号的后几位会变成 0。", None),
        ("  4. 日期列输入日期（如 2020-08-25）；金额列只填数字（元），不要加“元”或其他文字。", None),
        ("  5. 户编号在本乡镇内唯一；家庭成员、支出、救助、帮扶、援助表中的户编号必须与监测户表一致。", None),
        ("", None),
        ("三、自动计算的列（列名为绿色，单元格为灰色，请勿填写）", formats.title),
        (f"  监测户表的 {computed_hh} 和救助表的 {computed_cases} 由公式自动计算，"
         f"读取“{POLICY_SHEET}”表中的标准和其他工作表中的数据。", None),
        (f"  “近12月因病支出”等四列：支出表中该户、该类别、发生日期在核查基准日之前 {window} 个月内的"
         f"金额合计（含核查基准日当天，不含 {window} 个月前的同一天），按参数表的“支出统计期”计算。", None),
        ("  资格判定：收入条件（人均可支配收入不超过收入标准；突发严重困难户免核收入）和支出条件"
         "（任一类支出达到参数表中的标准：“达到”含本数，“超过”不含本数）同时满足为“符合”，否则为“不符合”。", None),
        ("  算不出来时不会悄悄漏算：户类型、收入没填，或支出有金额没填日期，显示“资料不全：…”；"
         "日期、金额填成了文字（如“2020.5.3”“6000元”），显示“数据格式有误：…”；都会指出是哪个单元格，"
         "改正后自动重新计算。日期、金额、人数填成文字的单元格显示为红色。", None),
        ("  各表预置了公式和下拉列表的行数：" + "、".join(f"{s.name} {rows[s.key]} 行" for s in SHEETS)
         + "；超出时请联系县防贫中心重新生成工作簿。", None),
        ("  在 Excel 2010 及以上版本、WPS 和 LibreOffice 中均可自动计算。", None),
        ("", None),
        ("四、救助程序和时限", formats.title),
        ("  发现（自上而下筛查或自下而上申请）→ 保险公司入户查勘 → 村级评议公示"
         f"（不少于 {policy.notice_days} 天）→ 县级部门信息比对 → 防贫机构备案 → 保险公司实施救助。", None),
        (f"  全部程序在 {policy.deadline_days} 个{unit}内办结。期限从发现日期的次日起算（发现当天不计）；"
         + ("法定节假日不计，调休上班日计入。" if unit == "工作日"
            else "最后一天是休息日的，顺延到下一个工作日。"), None),
        (f"  例如 {example_start.year} 年 {example_start.month} 月 {example_start.day} 日发现的案件，"
         f"办结时限为 {example.year} 年 {example.month} 月 {example.day} 日。", None),
        (f"  “剩余工作日”是从核查基准日到办结时限的{unit}数，负数表示已超期；"
         "状态为“已支付”或“已终止”的案件不再显示。", None),
        ("", None),
        ("五、帮扶回访", formats.title),
        (f"  帮扶联系人对每户{period_rule_text(interval)}至少回访一次（按日历计，"
         f"{'1–3 月、4–6 月、7–9 月、10–12 月各一次' if interval == 3 else f'每 {interval} 个月为一期'}），"
         "检查吃穿不愁、义务教育、基本医疗、住房安全和饮水安全；帮扶人解决不了的问题上报村两委或乡镇。", None),
        (f"  “最近回访日期”：帮扶表中该户最近一次回访；没有回访记录的显示“{NEVER_VISITED}”；"
         "回访日期填成了文字的，显示“数据格式有误：…”并指出单元格，改成日期后才计算。", None),
        ("  “下次回访到期”：最近回访所在" + ("季度" if interval == 3 else "期") + "的下一"
         + ("季度" if interval == 3 else "期") + f"最后一天（例如 1 月 5 日回访，下次应不晚于 {due_example.month} 月 "
         f"{due_example.day} 日）；"
         "从未回访的，按“纳入监测日期”计算首次回访期限。已逾期的户（风险已消除的除外）两列标红。", None),
        ("", None),
        ("六、打印", formats.title),
        ("  各表已设为 A4 纸打印：较宽的表横向打印，每页都打印标题和列名，页脚有页码和“填报单位、填报人、审核人、日期”"
         "签字栏；日历表已隐藏，不打印。", None),
        ("  打印范围是生成本工作簿时已有数据的行。新填了行以后，打印前请选中从第 1 行到最后一行数据的区域，"
         "点“页面布局 → 打印区域 → 设置打印区域”（WPS 同样在“页面布局”中），否则新填的行不会打印。", None),
        ("", None),
        (f"核查基准日：{check_date.isoformat()}（可在“{POLICY_SHEET}”表修改）。", None),
    ]
    warnings = workdays.calendar_warnings(*calendar_span(policy), policy=policy)
    lines += [(f"注意：{w}", formats.warning) for w in warnings]
    for r, (text, fmt) in enumerate(lines):
        if text:
            ws.write_string(r, 0, text, fmt or formats.wrap)
            ws.set_row(r, wrapped_height(text, INSTRUCTIONS_WIDTH))
    ws.hide_gridlines(2)
    page_setup(ws, [INSTRUCTIONS_WIDTH], last_row=len(lines) - 1, title_rows=0)


def _write_policy(wb: Workbook, formats: Formats, policy: Policy, check_date: dt.date) -> None:
    entries = [*policy_rows(policy), (CHECK_DATE_KEY, CHECK_DATE_LABEL, check_date)]
    ws = policy_sheet(wb, POLICY_SHEET, POLICY_TITLE, len(entries), title_format=formats.title,
                      header_format=formats.header, wrap_format=formats.wrap)
    names = [param_name(key) for key, _, _ in entries]
    if len(set(names)) != len(names):
        raise ValueError("policy_rows keys collide as defined names")
    for i, (key, label, value) in enumerate(entries):
        row = HEADER_ROWS + i
        ws.write_string(row, 0, key)
        ws.write_string(row, 1, label)
        if key == CHECK_DATE_KEY:
            ws.write_number(row, 2, float(excel_serials(pd.Series([value])).iloc[0]),
                            formats.unlocked_date)
            ws.write_comment(row, 2, "核查基准日：计算“近12月支出”和“剩余工作日”的基准日期，"
                                     "可按核查需要修改（本表只有这一格可以修改）。",
                             {"x_scale": 2, "y_scale": 1.2})
        elif value is None:
            ws.write_blank(row, 2, None)
        elif isinstance(value, str):
            ws.write_string(row, 2, value, formats.wrap)
            ws.set_row(row, wrapped_height(value, POLICY_WIDTHS[1]))
        elif isinstance(value, bool):
            ws.write_boolean(row, 2, value)
        else:
            ws.write_number(row, 2, float(value))
        wb.define_name(names[i], f"='{POLICY_SHEET}'!$C${row + 1}")
    ws.protect()


def _mark_overdue_visits(wb: Workbook, formats: Formats, rows: int) -> None:
    """Overdue households' 最近回访日期 and 下次回访到期 cells in red (``visit_overdue_rule``)."""
    ws = wb.get_worksheet_by_name(HOUSEHOLDS.name)
    columns = [c.key for c in HOUSEHOLDS.columns]
    first_col, last_col = columns.index("last_visit"), columns.index("next_visit_due")
    last_row = HEADER_ROWS + max(rows, 1) - 1
    ws.conditional_format(HEADER_ROWS, first_col, last_row, last_col, {
        "type": "formula", "criteria": visit_overdue_rule(FIRST_DATA_ROW), "format": formats.warning,
    })


def _write_calendar(wb: Workbook, formats: Formats, policy: Policy) -> None:
    first, last = calendar_span(policy)
    table = workdays.workday_table(first, last, policy=policy)
    ws = wb.add_worksheet(CALENDAR_SHEET)
    ws.set_column(0, 0, 12)
    ws.set_column(1, 2, 8)
    ws.merge_range(0, 0, 0, 2, f"工作日历 {first.isoformat()} 至 {last.isoformat()}（计算办结时限用，请勿修改）",
                   formats.title)
    ws.write_row(1, 0, CALENDAR_HEADERS, formats.header)
    workday_format = wb.add_format({"num_format": '"是";"是";"否"', "align": "center"})
    ws.write_column(HEADER_ROWS, 0, excel_serials(table["date"]).tolist(), formats.date)
    ws.write_column(HEADER_ROWS, 1, table["workday"].astype(int).tolist(), workday_format)
    ws.write_column(HEADER_ROWS, 2, table["index"].astype(int).tolist(), formats.integer)
    last_row = HEADER_ROWS + len(table)
    for col, name in enumerate(CALENDAR_NAMES):
        letter = xl_col_to_name(col)
        wb.define_name(name, f"='{CALENDAR_SHEET}'!${letter}${FIRST_DATA_ROW}:${letter}${last_row}")
    ws.freeze_panes(HEADER_ROWS, 0)
    ws.protect()
    # A helper of the formulas: hidden, so it is neither in the way nor printed.
    ws.hide()


# -- workbooks -----------------------------------------------------------------------------

def write_township_workbook(
    path: str | Path,
    *,
    policy: Policy,
    township: str,
    frames: Mapping[str, pd.DataFrame] | None = None,
    rows: int | Mapping[str, int] | None = None,
    check_date: dt.date | None = None,
) -> Path:
    """Write one township workbook and return its path.

    ``frames`` (sheet key → frame with schema-key columns) pre-fill the data
    sheets; ``rows`` sets the prepared formula rows (one number for every
    sheet or per sheet key; defaults in ``DEFAULT_ROWS``); ``check_date`` is
    the 核查基准日 (default 31 December of the policy year). Raises
    ``PolicyError`` when the year's income threshold is 待填: the 参数 sheet
    and its formulas need it.
    """
    policy.income_threshold()
    frames = dict(frames or {})
    unknown = set(frames) - set(SHEETS_BY_KEY)
    if unknown:
        raise ValueError(f"unknown sheet keys: {sorted(unknown)}")
    check_date = default_check_date(policy) if check_date is None else pd.Timestamp(check_date).date()
    counts = prepared_rows(rows, frames)
    formulas = {"households": household_formulas(counts), "cases": case_formulas(counts)}
    path = Path(path)
    with atomic_output(path) as tmp:
        wb = new_workbook(tmp, created=dt.datetime(policy.year, 1, 1))
        wb.set_properties({
            "title": f"{policy.county}{township}{policy.year}年精准防贫工作簿",
            "subject": "精准防贫乡镇工作簿",
            "author": "fangpin-xl",
            "created": dt.datetime(policy.year, 1, 1),
        })
        formats = Formats(wb)
        _write_instructions(wb, formats, policy, township, counts, check_date)
        _write_policy(wb, formats, policy, check_date)
        for sheet in SHEETS:
            write_data_sheet(
                wb, sheet, frames.get(sheet.key),
                title=_title(sheet, policy, township),
                formats=formats,
                table_name=sheet.key,
                formula_columns=formulas.get(sheet.key),
                prepared_rows=counts[sheet.key],
                protect_header=True,
                guard_inputs=True,
                signature=True,
            )
        _mark_overdue_visits(wb, formats, counts[HOUSEHOLDS.key])
        _write_calendar(wb, formats, policy)
        wb.close()
    return path


def build_blank_template(path: str | Path, policy: Policy) -> Path:
    """The blank template for ``policy`` (township “（乡镇名称）”), as committed under workbooks/."""
    return write_township_workbook(path, policy=policy, township=BLANK_TOWNSHIP)


def workbook_file_name(policy: Policy, township: str) -> str:
    """``魏县东代固乡2020年防贫工作簿.xlsx`` (characters Windows forbids replaced by _)."""
    return _BAD_FILE_CHARS.sub("_", f"{policy.county}{township}{policy.year}年防贫工作簿") + ".xlsx"


@dataclass(frozen=True)
class Templates:
    """What ``build_templates`` wrote."""

    paths: list[Path]
    #: How the roster's rows were used (None without a roster).
    roster: RosterUse | None = None

    @property
    def exit_code(self) -> int:
        """1 when roster rows could not be written (blank township, repeated, no household)."""
        return exit_code(errors=len(self.roster.problems) if self.roster else 0, unusable=0)


def build_templates(
    out_dir: str | Path,
    *,
    policy: Policy,
    county: str | None = None,
    townships: Iterable[str] = (),
    roster: pd.DataFrame | Mapping[str, pd.DataFrame] | str | Path | None = None,
    rows: int | Mapping[str, int] | None = None,
    check_date: dt.date | None = None,
    overwrite: bool = False,
) -> Templates:
    """One workbook per township in ``out_dir``; the paths in township order, and where
    each roster row went.

    The county name and year are ``county``'s and the policy's, else the roster's
    (``identify``); the CLI refuses (``Policy.require``) when none of them gives them.
    A workbook already in ``out_dir`` is never replaced unless ``overwrite``
    (``InputError`` before anything is written).

    ``county`` overrides the policy's county name. Without a roster each of
    ``townships`` gets a blank workbook. A roster (the county household list:
    a frame with schema-key columns, a mapping sheet key → frame, or the path
    of a workbook the reader understands) pre-fills one workbook per township
    found in its 乡镇 column — only those in ``townships`` when given; a
    requested township absent from the roster gets a blank workbook. Rows of
    the other sheets follow their household by 户编号. Every roster row is
    written or listed in ``Templates.roster.unused`` with the reason: a blank
    乡镇, a township not asked for, a household repeated in a one-row-per-household
    list, a row whose 户编号 names no household written. Raises ``PolicyError``
    before writing anything when the year's income threshold is 待填.
    """
    if county:
        policy = replace(policy, county=county, set_keys=policy.set_keys | {"county"})
    policy = identify(policy, roster)
    policy.income_threshold()
    wanted = list(dict.fromkeys(t.strip() for t in townships if t and t.strip()))
    source = roster_frames(roster) if roster is not None else None
    frames = source.frames if source is not None else {}
    households = frames.get("households")
    if households is not None and "township" not in households.columns:
        raise InputError("县级花名册缺少“乡镇”列，无法按乡镇生成工作簿。")
    if households is not None and not wanted:
        names = households["township"].astype("string").str.strip()
        wanted = [t for t in pd.unique(names.dropna()) if t]
    if not wanted:
        raise InputError("请至少指定一个乡镇，或提供含“乡镇”列的县级花名册。")
    out_dir = Path(out_dir)
    targets = [out_dir / workbook_file_name(policy, township) for township in wanted]
    _refuse_shared_names(wanted, targets)
    if isinstance(roster, str | Path):
        _refuse_the_roster(Path(roster), targets)
    existing = [path for path in targets if path.exists()]
    if existing and not overwrite:
        listed = "、".join(path.name for path in existing[:5]) + (f" 等 {len(existing)} 个" if len(existing) > 5 else "")
        raise InputError(f"{out_dir} 中已有工作簿 {listed}：为免覆盖已填写的数据，未生成任何工作簿；"
                         "确需重新生成请加 --force（原文件将被替换）。")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a file where the folder should be, no permission, a read-only disk
        raise write_error(out_dir, exc, what="创建输出文件夹") from None
    paths = []
    written: dict[str, list[pd.Index]] = {}
    for township, target in zip(wanted, targets, strict=True):
        per_sheet = township_frames(frames, township) if households is not None else {}
        for key, frame in per_sheet.items():
            written.setdefault(key, []).append(frame.index)
        paths.append(write_township_workbook(
            target, policy=policy, township=township, rows=rows, check_date=check_date,
            frames={key: frame.reset_index(drop=True) for key, frame in per_sheet.items()},
        ))
    use = roster_use(source, wanted, written) if source is not None else None
    return Templates(paths, use)


def _refuse_the_roster(roster: Path, targets: list[Path]) -> None:
    """A workbook to write is the roster itself (even with --force: it is an input)."""
    for target in targets:
        if target.exists() and target.resolve() == roster.resolve():
            raise InputError(f"要生成的工作簿 {shown_path(target)} 就是名单文件 {shown_path(roster)}：输入文件不会被覆盖，"
                             "请换一个输出文件夹，未生成任何工作簿。")


def _refuse_shared_names(townships: list[str], targets: list[Path]) -> None:
    """Two townships whose workbooks would get one file name (甲/乡 and 甲_乡): the second
    would replace the first."""
    first: dict[str, str] = {}
    for township, target in zip(townships, targets, strict=True):
        other = first.setdefault(target.name.casefold(), township)
        if other != township:
            raise InputError(f"乡镇“{other}”和“{township}”的工作簿文件名相同（{target.name}），"
                             "后一个会替换前一个：请改正名单或 --township 中的乡镇名称，未生成任何工作簿。")
