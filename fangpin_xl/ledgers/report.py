"""``report_file``: the county report a leader reads (防贫工作情况), with native charts.

Reads the county workbook (or a township workbook: a county of one township),
computes the figures with the pure ``indicators.figures`` and the follow-up
register (visit coverage this quarter), and, for the years, the county's
返贫/致贫 table (``--history``, ``history.read_history``) and the yearly figures
the SQLite history of ``merge --sqlite`` holds (``store.yearly_figures``). Sheets:

* 全县概况 — one A4 page: households monitored, verified, helped; relief per kind
  and in total; average relief per helped household; the 低保 shares; overdue
  cases; visit coverage this quarter; the fund's closing balance from the ledger
  ``fangpin-xl fund`` wrote (``--fund``; else a line says there is none); the latest year's 返贫/致贫 figures
  with their reductions; a column chart of relief by kind;
* 分乡镇 — the same per township with the county total, and a chart of
  households monitored, verified and helped per township;
* 历年 — one row per year (missing years as blank rows), the reductions on the
  year before and on the base year, and a chart over the years;
* 说明 — what was read, how each figure is counted, every finding.

Charts are plain xlsxwriter column and line charts (Excel, WPS and LibreOffice
draw them); each plots cells of the table beside it, never the total row.
Exit code 1 when the yearly table has errors (a missing year, a value that is not
a count …), else 0; an unusable file is an ``InputError`` (2).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import indicators
from ..columns import as_numbers, as_text
from ..errors import exit_code
from ..files import atomic_output
from ..followup_register import follow_up_register
from ..indicators import COUNTY_TOTAL, ERROR, HISTORY_MEASURES, WARNING, Finding
from ..policy import SPENDING_KINDS, Policy
from ..schema import INTEGER, MONEY, PERCENT, TEXT, Column, Sheet
from ..store import yearly_figures
from ..text import number_text, percent_text, redact, shown_path
from ..workbook.made import WORK_REPORT
from ..workbook.write import HEADER_ROWS, PAPER_A4, Formats, new_workbook
from .history import History, fund_balance, read_history
from .output import output_path, write_facts, write_table
from .source import Source, read_source

PURPOSE = "统计"
#: What the report workbook is marked as and named after.
KIND = WORK_REPORT
NEEDS = {"households": ("household_no",), "cases": ("case_no", "household_no", "stage")}
OVERVIEW, TOWNSHIPS, YEARS, NOTES = "全县概况", "分乡镇", "历年", "说明"
CHART_COLORS = ("#9DC3E6", "#2E75B6", "#C55A11", "#70AD47")


@dataclass
class ReportResult:
    output: Path
    source: Source
    #: ``indicators.figures``: one row per township, the county total last.
    figures: pd.DataFrame
    #: One row per year: the yearly figures and the 返贫/致贫 measures with their reductions.
    years: pd.DataFrame
    base_year: int | None
    findings: list[Finding]
    fund: float | None
    fund_note: str
    quarter: str
    eliminated: int
    history: History | None = None
    sqlite_years: list[int] = field(default_factory=list)

    @property
    def total(self) -> pd.Series:
        return self.figures.iloc[-1]

    @property
    def year(self) -> int:
        return self.source.policy.year

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == ERROR)

    @property
    def exit_code(self) -> int:
        return exit_code(errors=self.errors, unusable=0)

    def as_dict(self) -> dict:
        total = self.total
        return {
            "output": shown_path(self.output), "file": self.source.name, "workbook": self.source.kind,
            "year": self.year, "as_of": self.source.checked.check_date.isoformat(),
            "figures": {k: _plain(total[k]) for k in indicators.FIGURE_COLUMNS if k != "township"},
            "townships": [_plain(v) for v in self.figures["township"][:-1]],
            "fund_balance": self.fund, "base_year": self.base_year,
            "years": [{k: _plain(v) for k, v in row.items()} for row in self.years.to_dict("records")],
            "findings": [{"severity": f.severity, "message": f.message} for f in self.findings],
            "exit_code": self.exit_code,
        }


def _plain(value):
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        return None if np.isnan(value) else float(value)
    return value


def report_file(path: str | Path, output: str | Path | None = None, *, history: str | Path | None = None,
                sqlite: str | Path | None = None, fund: str | Path | None = None,
                base_year: int | None = None,
                policy: Policy | str | Path | None = None, today: dt.date | None = None) -> ReportResult:
    """The report of ``path`` written to ``output`` (default ``<name>-工作报告.xlsx`` beside it)."""
    path = Path(path)
    inputs = [path, *(Path(p) for p in (history, sqlite, fund) if p is not None)]
    out = output_path(output, path, KIND, inputs)
    today = dt.date.today() if today is None else today
    source = read_source(path, purpose=PURPOSE, needs=NEEDS, policy=policy, today=today,
                         rows_word="户和案件")
    table, quarter, eliminated = county_figures(source, today)
    findings: list[Finding] = []
    loaded = read_history(history) if history is not None else None
    sqlite_table = yearly_figures(sqlite) if sqlite is not None else None
    if base_year is not None and loaded is None:
        findings.append(Finding(WARNING, f"指定了基年 {base_year} 年，但没有提供历年数据（--history），"
                                         "不计算减少比例"))
    years, base = year_table(table.iloc[-1], source.policy.year, loaded, sqlite_table, base_year, findings)
    balance, fund_note = fund_balance(Path(fund) if fund is not None else None)
    result = ReportResult(
        output=out, source=source, figures=table, years=years, base_year=base, findings=findings,
        fund=balance, fund_note=fund_note, quarter=quarter, eliminated=eliminated, history=loaded,
        sqlite_years=[] if sqlite_table is None else sorted(int(y) for y in sqlite_table["year"]),
    )
    write_report(result)
    return result


def county_figures(source: Source, today: dt.date) -> tuple[pd.DataFrame, str, int]:
    """(``indicators.figures`` of the workbook, this quarter's name, households 风险已消除)."""
    checked = source.checked
    households = checked.sheet("households")
    assert households is not None
    visits = checked.sheet("visits")
    keys = checked.key("households")
    if visits is not None and checked.has_key("visits"):
        visit_frame, visit_keys = visits.frame, checked.key("visits")
    else:
        visit_frame = pd.DataFrame({"household_no": pd.Series(dtype=object), "visit_date": pd.Series(dtype=object)})
        visit_keys = pd.Series(dtype=object)
    register = follow_up_register(
        households.frame, visit_frame, policy=checked.policy, as_of=checked.check_date, today=today,
        household_keys=keys, visit_keys=visit_keys, townships=source.townships["households"])
    first = register.households.index
    hh = households.frame.loc[first]
    status = (checked.households["status"].loc[first].to_numpy(dtype=object) if checked.households is not None
              else np.full(len(first), "", dtype=object))
    table = pd.DataFrame({
        "key": keys.loc[first].to_numpy(dtype=object),
        "township": register.households["township"].to_numpy(dtype=object),
        "status": status,
        "dibao": as_text(hh, "dibao").to_numpy(dtype=object),
        "owes_now": register.households["owes_now"].to_numpy(dtype=bool),
        "visited_now": register.households["visited_now"].to_numpy(dtype=bool),
    })
    cases = checked.sheet("cases")
    assert cases is not None
    case_keys = checked.key("cases")
    known = case_keys.isin(set(table["key"])).to_numpy(dtype=bool)
    derived = checked.cases
    days_left = (pd.to_numeric(derived["days_left"], errors="coerce") if derived is not None
                 else pd.Series(np.nan, index=cases.frame.index))
    case_table = pd.DataFrame({
        "key": case_keys.to_numpy(dtype=object), "stage": as_text(cases.frame, "stage").to_numpy(dtype=object),
        "kind": as_text(cases.frame, "kind").to_numpy(dtype=object),
        # A negative amount is left out and said so, as the fund ledger leaves it out.
        "amount": as_numbers(cases.frame, "relief_amount").where(lambda a: a >= 0).to_numpy(dtype=np.float64),
        "days_left": days_left.to_numpy(dtype=np.float64),
    })[known]
    quarter = register.label([register.current])[0]
    eliminated = int((~register.households["monitored"].to_numpy(dtype=bool)).sum())
    return indicators.figures(table, case_table), quarter, eliminated


def year_table(total: pd.Series, year: int, history: History | None, sqlite: pd.DataFrame | None,
               base_year: int | None, findings: list[Finding]) -> tuple[pd.DataFrame, int | None]:
    """One row per year: the SQLite history's figures, this workbook's for its own year, and the
    返贫/致贫 table with its reductions (``indicators.history_changes``)."""
    figures = ["households", "verified", "helped", "relief"]
    own = pd.DataFrame([{"year": year, **{k: total[k] for k in figures}}])
    parts = [own] if sqlite is None else [sqlite[sqlite["year"] != year][["year", *figures]], own]
    table = pd.concat(parts, ignore_index=True)
    base = None
    if history is not None:
        findings += history.findings
        changes, base, found = indicators.history_changes(history.table, base_year)
        findings += found
        table = table.merge(changes, on="year", how="outer")
    for measure in HISTORY_MEASURES:
        for column in (measure, f"{measure}_yoy", f"{measure}_base"):
            if column not in table.columns:
                table[column] = np.nan
    return table.sort_values("year").reset_index(drop=True), base


# -- the report workbook -----------------------------------------------------------------------

def _township_sheet() -> Sheet:
    kinds = tuple(Column(f"relief_{k}", f"{k}救助（元）", MONEY, width=11) for k in SPENDING_KINDS)
    return Sheet("townships", TOWNSHIPS, (
        Column("township", "乡镇", TEXT, width=10),
        Column("households", "监测户", INTEGER, width=8),
        Column("verified", "符合条件户", INTEGER, width=8),
        Column("helped", "已救助户", INTEGER, width=8),
        *kinds,
        Column("relief", "救助合计（元）", MONEY, width=12),
        Column("average", "户均救助（元）", MONEY, width=11),
        Column("dibao_share", "监测户低保占比", PERCENT, width=9),
        Column("helped_dibao_share", "已救助户低保占比", PERCENT, width=9),
        Column("overdue_cases", "逾期案件", INTEGER, width=7),
        Column("owe_visit", "本季度应回访户", INTEGER, width=9),
        Column("visited", "本季度已回访户", INTEGER, width=9),
        Column("coverage", "回访覆盖率", PERCENT, width=9),
    ), household_ref=None)


def _years_sheet() -> Sheet:
    columns = [
        Column("year", "年度", INTEGER, width=7),
        Column("households", "监测户", INTEGER, width=8),
        Column("verified", "符合条件户", INTEGER, width=8),
        Column("helped", "已救助户", INTEGER, width=8),
        Column("relief", "救助金额（元）", MONEY, width=12),
        *(Column(m, name, INTEGER, width=8) for m, name in HISTORY_MEASURES.items()),
    ]
    for m, name in HISTORY_MEASURES.items():
        columns += [Column(f"{m}_yoy", f"{name}比上年减少", PERCENT, width=9, note="(上年 − 本年) ÷ 上年，负数为增加"),
                    Column(f"{m}_base", f"{name}比基年减少", PERCENT, width=9, note="(基年 − 本年) ÷ 基年，负数为增加")]
    return Sheet("years", YEARS, tuple(columns), household_ref=None)


def _percent(value) -> str:
    return percent_text(None if value is None or pd.isna(value) else float(value))


def overview_rows(result: ReportResult) -> list[tuple[str, float | None, str, str]]:
    """(指标, value — None when there is none, format: int/money/percent, 说明) of the first page."""
    return [(name, _number(value), kind, text) for name, value, kind, text in _overview(result)]


def _number(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _overview(result: ReportResult) -> list[tuple[str, object, str, str]]:
    t = result.total
    rows: list[tuple[str, object, str, str]] = [
        ("监测户", t["households"], "int", f"户（其中风险已消除 {result.eliminated} 户）"),
        ("核实符合条件户", t["verified"], "int", "户（按本县参数判定为“符合”）"),
        ("已救助户", t["helped"], "int", f"户（有已支付的救助案件，共 {int(t['paid_cases'])} 件）"),
        *((f"{kind}救助金额", t[f"relief_{kind}"], "money", "元") for kind in SPENDING_KINDS),
        ("救助金额合计", t["relief"], "money",
         "元" + (f"（另有 {int(t['paid_without_amount'])} 件已支付案件的救助金额为空、无法读取或为负数，未计入）"
                if t["paid_without_amount"] else "")),
        ("户均救助金额", t["average"], "money", "元/户（救助金额合计 ÷ 已救助户）"),
        ("监测户中低保户占比", t["dibao_share"], "percent",
         f"低保户 {int(t['dibao'])} 户 ÷ 监测户 {int(t['households'])} 户（整户低保或单人保）"),
        ("已救助户中低保户占比", t["helped_dibao_share"], "percent",
         f"低保户 {int(t['helped_dibao'])} 户 ÷ 已救助户 {int(t['helped'])} 户"),
        ("逾期案件", t["overdue_cases"], "int", "件（到核查基准日已超过办结时限、尚未办结）"),
        ("本季度回访覆盖率", t["coverage"], "percent",
         f"已回访 {int(t['visited'])} 户 ÷ 应回访 {int(t['owe_visit'])} 户（{result.quarter}）"),
    ]
    if result.fund is not None:
        rows.append(("基金结余", result.fund, "money", f"元（{result.fund_note}）"))
    rows += history_rows(result)
    return rows


def history_rows(result: ReportResult) -> list[tuple[str, object, str, str]]:
    """The latest year's 返贫/致贫 figures and their reductions, for the first page."""
    if result.history is None:
        return []
    years = result.years
    out = []
    for measure, name in HISTORY_MEASURES.items():
        if measure not in result.history.table.columns:
            continue
        known = years[years[measure].notna().to_numpy()]
        if not len(known):
            continue
        row = known.iloc[-1]
        unit = "户" if "户" in name else "人"
        out.append((f"{int(row['year'])} 年{name}", row[measure], "int",
                    f"{unit}；比上年减少 {_percent(row[f'{measure}_yoy'])}，"
                    f"比基年（{result.base_year} 年）减少 {_percent(row[f'{measure}_base'])}"))
    return out


def notes(result: ReportResult) -> list[str]:
    lines = []
    if result.fund is None:
        lines.append(result.fund_note)
    errors = result.errors
    if result.findings:
        lines.append(f"历年数据有 {errors} 个错误、{len(result.findings) - errors} 个提醒，见“{NOTES}”工作表。")
    lines.append(f"各乡镇数字见“{TOWNSHIPS}”工作表，历年数字见“{YEARS}”工作表。")
    return lines


def write_report(result: ReportResult) -> None:
    with atomic_output(result.output) as tmp:
        wb = new_workbook(tmp, made_as=KIND)
        formats = Formats(wb)
        _write_overview(wb, formats, result)
        _write_townships(wb, formats, result)
        _write_years(wb, formats, result)
        write_facts(wb, formats, NOTES, f"{_title(result)}：说明", report_facts(result))
        wb.close()


def _title(result: ReportResult) -> str:
    return f"{result.source.policy.county} {result.year} 年精准防贫工作情况"


def _write_overview(wb, formats: Formats, result: ReportResult) -> None:
    ws = wb.add_worksheet(OVERVIEW)
    ws.set_column(0, 0, 24)
    ws.set_column(1, 1, 16)
    ws.set_column(2, 2, 48)
    title = wb.add_format({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"})
    small = wb.add_format({"font_size": 10, "align": "center", "text_wrap": True})
    label = wb.add_format({"border": 1, "bold": True, "valign": "vcenter"})
    note = wb.add_format({"border": 1, "text_wrap": True, "valign": "vcenter", "font_size": 10})
    number = {
        "int": wb.add_format({"border": 1, "num_format": "#,##0", "valign": "vcenter"}),
        "money": wb.add_format({"border": 1, "num_format": "#,##0.00", "valign": "vcenter"}),
        "percent": wb.add_format({"border": 1, "num_format": "0.00%", "valign": "vcenter"}),
    }
    plain = wb.add_format({"text_wrap": True, "font_size": 10, "valign": "top"})
    checked = result.source.checked
    towns = len(result.figures) - 1
    ws.set_row(0, 30)
    ws.merge_range(0, 0, 0, 2, _title(result), title)
    ws.merge_range(1, 0, 1, 2, redact(
        f"截至 {checked.check_date.isoformat()}（核查基准日）；数据：{result.source.name}"
        f"（{result.source.kind}，{towns} 个乡镇）；生成于 {checked.today.isoformat()}"), small)
    header_row = 3
    for i, text in enumerate(("指标", "数值", "说明")):
        ws.write_string(header_row, i, text, formats.header)
    rows = overview_rows(result)
    for r, (name, value, kind, text) in enumerate(rows, start=header_row + 1):
        ws.set_row(r, 20)
        ws.write_string(r, 0, name, label)
        if value is None:
            ws.write_string(r, 1, "—", number[kind])
        else:
            ws.write_number(r, 1, value, number[kind])
        ws.write_string(r, 2, redact(text), note)
    row = header_row + len(rows) + 2
    for line in notes(result):
        ws.merge_range(row, 0, row, 2, redact(line), plain)
        row += 1
    # Relief by kind: the four rows after 已救助户.
    first = header_row + 4
    chart = wb.add_chart({"type": "column"})
    chart.add_series({
        "name": "救助金额（元）",
        "categories": [OVERVIEW, first, 0, first + len(SPENDING_KINDS) - 1, 0],
        "values": [OVERVIEW, first, 1, first + len(SPENDING_KINDS) - 1, 1],
        "fill": {"color": CHART_COLORS[1]},
        "data_labels": {"value": True, "num_format": "#,##0"},
    })
    chart.set_title({"name": "各类救助金额（元）"})
    chart.set_legend({"none": True})
    chart.set_y_axis({"num_format": "#,##0", "major_gridlines": {"visible": True}})
    chart.set_size({"width": 620, "height": 260})
    ws.insert_chart(row + 1, 0, chart, {"x_offset": 10})
    ws.set_paper(PAPER_A4)
    ws.set_portrait()
    ws.center_horizontally()
    ws.set_margins(left=0.6, right=0.6, top=0.7, bottom=0.7)
    ws.print_area(0, 0, row + 15, 2)
    ws.fit_to_pages(1, 1)
    ws.hide_gridlines(2)
    ws.activate()


def _write_townships(wb, formats: Formats, result: ReportResult) -> None:
    spec = _township_sheet()
    n = len(result.figures) - 1
    write_table(wb, formats, spec, result.figures,
                f"{_title(result)}（分乡镇，截至 {result.source.checked.check_date.isoformat()}）："
                f"{n} 个乡镇，最后一行为{COUNTY_TOTAL}")
    ws = wb.get_worksheet_by_name(TOWNSHIPS)
    keys = [c.key for c in spec.columns]
    chart = wb.add_chart({"type": "column"})
    first, last = HEADER_ROWS, HEADER_ROWS + n - 1
    for key, color in zip(("households", "verified", "helped"), CHART_COLORS, strict=False):
        col = keys.index(key)
        chart.add_series({
            "name": [TOWNSHIPS, 1, col], "categories": [TOWNSHIPS, first, 0, last, 0],
            "values": [TOWNSHIPS, first, col, last, col], "fill": {"color": color},
        })
    chart.set_title({"name": "各乡镇监测户、符合条件户与已救助户"})
    chart.set_y_axis({"name": "户数", "major_gridlines": {"visible": True}})
    chart.set_legend({"position": "top"})
    chart.set_size({"width": max(640, 60 * n), "height": 320})
    ws.insert_chart(HEADER_ROWS + n + 3, 0, chart)
    ws.print_area(0, 0, HEADER_ROWS + n + 20, len(keys) - 1)


def _write_years(wb, formats: Formats, result: ReportResult) -> None:
    spec = _years_sheet()
    years = result.years
    base = f"基年 {result.base_year} 年" if result.base_year is not None else "没有返贫、致贫历年数据（--history）"
    write_table(wb, formats, spec, years, f"{result.source.policy.county}历年情况（{base}；减少比例 = "
                                          "(上年或基年 − 本年) ÷ 上年或基年，负数为增加）")
    ws = wb.get_worksheet_by_name(YEARS)
    keys = [c.key for c in spec.columns]
    n = len(years)
    first, last = HEADER_ROWS, HEADER_ROWS + n - 1
    plotted = [m for m in ("returned_households", "new_households") if years[m].notna().any()]
    if plotted:
        kind, title = "line", "历年" + "与".join(HISTORY_MEASURES[m] for m in plotted)
    else:
        kind, title, plotted = "column", "历年监测户与已救助户", ["households", "helped"]
    chart = wb.add_chart({"type": kind})
    for key, color in zip(plotted, CHART_COLORS[1:], strict=False):
        col = keys.index(key)
        series: dict[str, object] = {"name": [YEARS, 1, col], "categories": [YEARS, first, 0, last, 0],
                                     "values": [YEARS, first, col, last, col]}
        if kind == "line":
            series.update(line={"color": color, "width": 2.25}, marker={"type": "circle", "size": 6})
        else:
            series.update(fill={"color": color})
        chart.add_series(series)
    chart.set_title({"name": title})
    chart.set_y_axis({"major_gridlines": {"visible": True}})
    chart.set_legend({"position": "top"})
    chart.set_size({"width": 640, "height": 300})
    chart.show_blanks_as("gap")
    ws.insert_chart(HEADER_ROWS + n + 3, 0, chart)
    ws.print_area(0, 0, HEADER_ROWS + n + 19, len(keys) - 1)


def report_facts(result: ReportResult) -> list[tuple[str, str]]:
    source = result.source
    policy = source.policy
    checked = source.checked
    facts = [
        ("文件", f"{source.name}（{source.kind}）"),
        ("参数", source.policy_text),
        ("核查基准日", checked.check_date.isoformat()),
        ("监测户", "监测户表中有户编号的户（同一户编号只计一次）"),
        ("核实符合条件户", "按本县参数的收入条件和支出条件判定为“符合”的户（与乡镇工作簿“资格判定”列相同）"),
        ("已救助户、救助金额", "有状态为“已支付”的救助案件的户，及这些案件的救助金额（按分精确合计）"),
        ("户均救助金额", "救助金额合计 ÷ 已救助户，四舍五入到分"),
        ("低保户占比", "低保为“整户低保”或“单人保”的户占监测户（或已救助户）的比例，保留两位小数"),
        ("逾期案件", f"到核查基准日已超过办结时限（{policy.deadline_days} 个{policy.deadline_mode}）、"
                    "状态不是已支付或已终止的案件"),
        ("回访覆盖率", f"{result.quarter}已回访的户 ÷ 应回访的户（风险未消除、纳入监测在上一季度及以前）"),
        ("基金结余", result.fund_note if result.fund is None else f"{number_text(result.fund)} 元，{result.fund_note}"),
    ]
    sources = []
    if result.history is not None:
        sources.append(f"{result.history.file}（{len(result.history.table)} 个年度）")
    if result.sqlite_years:
        sources.append("历史数据库（" + "、".join(str(y) for y in result.sqlite_years) + " 年）")
    facts.append(("历年数据", "；".join(sources) + f"；{result.year} 年取自本工作簿" if sources
                  else f"只有本工作簿（{result.year} 年）；可用 --history 提供返贫、致贫历年数据，"
                       "用 --sqlite 提供 merge 写出的历史数据库"))
    if result.history is not None:
        facts.append(("减少比例", f"(基年 − 本年) ÷ 基年，基年为 {result.base_year} 年；比上年减少 = "
                                 "(上年 − 本年) ÷ 上年；保留两位小数（四舍五入），负数为增加"))
    for found in result.findings:
        facts.append(("错误" if found.severity == ERROR else "提醒", found.message))
    return facts


def render_report(result: ReportResult) -> str:
    lines = [_title(result) + f"（截至 {result.source.checked.check_date.isoformat()}）"]
    for name, value, kind, text in overview_rows(result):
        shown = ("—" if value is None else _percent(value) if kind == "percent" else number_text(value))
        lines.append(f"  {name}：{shown} {text}")
    lines += notes(result)[:-1]
    for found in result.findings:
        lines.append(f"{'错误' if found.severity == ERROR else '提醒'}：{found.message}")
    lines.append(f"已写出：{shown_path(result.output)}")
    return "\n".join(lines) + "\n"
