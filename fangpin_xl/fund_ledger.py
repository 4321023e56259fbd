"""``fund_ledger_file``: the county fund ledger of one year, carried forward from the last.

Reads the 救助 sheet of the county workbook ``merge`` writes (its rows carry
来源乡镇/来源文件/来源工作表/来源行), takes the opening balance from last year's
ledger workbook (its 基金 sheet, ``fund_book.read_previous``) or from a figure
given, hands the rows to the pure ``ledger`` module and writes the ledger
workbook (``fund_book``) atomically. It never prints: ``render_fund`` is the
text a person reads, ``FundResult.as_dict`` the JSON.

Decisions (the module text of ``ledger`` has the arithmetic):

* The opening balance must be given: ``previous`` (last year's ledger) or
  ``opening`` (yuan; 0 in the pool's first year). Guessing 0 would silently
  drop a year's surplus.
* The rural population is required unless last year's ledger has one, which
  is then used again and the ledger says so (the population is a county
  figure of its own, not a policy parameter).
* The year is ``year``, else last year's ledger's year + 1, else the policy's.
* Unusable input raises ``InputError`` (exit 2): no 救助 sheet, a township
  workbook instead of the county one, a previous workbook without 基金 or
  with text where its year or closing balance belongs, a negative or text
  opening balance or population, an output that is an input. Rows the ledger
  cannot count are not a reason to stop: they are listed on 问题 with their
  cell and source, and make the exit code 1.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .columns import as_text
from .errors import InputError, exit_code
from .files import atomic_output, write_error
from .fund import bad_amount, bad_population, to_fen
from .fund_book import (
    FUND_KIND,
    LABEL_CLOSING,
    LABEL_COUNTY,
    LABEL_POPULATION,
    LABEL_YEAR,
    LEDGER_ITEMS,
    PROBLEM_HEADERS,
    PreviousLedger,
    Sheet,
    read_previous,
    write_fund_workbook,
)
from .ledger import (
    BLANK_LABEL,
    COUNTED,
    OUTCOME_LABELS,
    OUTCOMES,
    REJECTED,
    Ledger,
    build_ledger,
    outcome_counts,
    rate_text,
    sort_payments,
    yuan_text,
)
from .policy import Policy, load_policy
from .schema import CASES
from .text import cell_text, number_text, shown_path
from .workbook.made import check_output
from .workbook.read import SheetData, read_workbook

TOWNSHIP, SOURCE_FILE, SOURCE_SHEET, SOURCE_ROW = "来源乡镇", "来源文件", "来源工作表", "来源行"
FEE_EXAMPLE_LABEL = "示例（以本县合同为准）"
_MERGE_HINT = "请先用 fangpin-xl merge 把各乡镇工作簿汇总为县级工作簿，再对县级工作簿生成基金台账。"


@dataclass
class FundResult:
    output: Path
    county_file: Path
    ledger: Ledger
    #: Rows of 救助 per ``ledger.OUTCOMES``; they add up to ``rows_read``.
    counts: dict[str, int]
    rows_read: int
    #: ``fund_book.PROBLEM_HEADERS`` rows.
    problems: pd.DataFrame
    opening_source: str
    population_source: str
    policy_source: str
    previous: PreviousLedger | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return self.counts[REJECTED]

    @property
    def warnings(self) -> int:
        return len(self.problems) - self.rejected

    @property
    def exit_code(self) -> int:
        return exit_code(errors=self.rejected, unusable=0)

    def as_dict(self) -> dict:
        ledger = self.ledger

        def money(fen: int) -> dict:
            return {"fen": int(fen), "yuan": yuan_text(fen)}

        return {
            "output": shown_path(self.output), "county_file": shown_path(self.county_file),
            "previous_file": shown_path(self.previous.path) if self.previous else None,
            "county": ledger.county, "year": ledger.year,
            "rural_population": ledger.rural_population, "coverage_rate": ledger.coverage_rate,
            "insured": ledger.insured, "premium_per_person": money(ledger.premium_per_person_fen),
            "service_fee_rate": ledger.fee_rate, "service_fee_rate_example": ledger.fee_rate_example,
            "opening": money(ledger.opening_fen), "premium": money(ledger.premium_fen),
            "top_up": money(ledger.top_up_fen), "relief": money(ledger.relief_fen),
            "service_fee": money(ledger.fee_fen), "closing": money(ledger.closing_fen),
            "cases": ledger.cases,
            "rows": {"read": self.rows_read, **self.counts},
            "by_township": [{"township": r.label, "cases": int(r.cases), **money(r.fen)}
                            for r in ledger.by_township.itertuples(index=False)],
            "by_kind": [{"kind": r.label, "cases": int(r.cases), **money(r.fen)}
                        for r in ledger.by_kind.itertuples(index=False)],
            "monthly": [{k: int(v) for k, v in row.items()}
                        for row in ledger.monthly.to_dict(orient="records")],
            "problems": {"error": self.rejected, "warning": self.warnings},
            "notes": list(self.notes),
            "exit_code": self.exit_code,
        }


# -- the operation ------------------------------------------------------------------------------

def fund_ledger_file(county_file: str | Path, output: str | Path | None = None, *,
                     previous: str | Path | None = None, opening: float | None = None,
                     rural_population: int | None = None, policy: Policy | str | Path | None = None,
                     year: int | None = None) -> FundResult:
    """Write the fund ledger of one year for ``county_file`` (a county workbook) and return it.

    ``previous`` (last year's ledger workbook) or ``opening`` (yuan) gives the
    opening balance, exactly one of them. ``policy`` is the county's (a Policy
    or a TOML file; default the built-in parameters). ``output`` defaults to
    ``<县><年>年基金台账.xlsx`` beside the county workbook.
    """
    county_file = Path(county_file)
    if previous is not None and opening is not None:
        raise InputError("--previous 和 --opening 只能给出一个：上年结余或者从上年基金台账读取，或者直接填写。")
    if previous is None and opening is None:
        raise InputError("缺少上年结余：请用 --previous 给出上年的基金台账（fangpin-xl fund 生成的工作簿），"
                         "或用 --opening 直接填写上年结余（元；资金池第一年填 0）。")
    opening_fen = _opening_fen(opening) if opening is not None else 0
    if rural_population is not None and bad_population([rural_population])[0]:
        raise InputError(f"--rural-population 应为农村人口（0 到 100 亿之间的整数），现为 {cell_text(rural_population)}。")
    last = read_previous(Path(previous)) if previous is not None else None

    policy_file = Path(policy) if isinstance(policy, str | Path) else None
    county_policy = load_policy(policy_file) if not isinstance(policy, Policy) else policy
    year = int(year) if year is not None else (last.year + 1 if last is not None else county_policy.year)
    county_policy = county_policy.for_year(year)
    policy_source = f"本县参数文件 {shown_path(policy_file.name)}" if policy_file else (
        "调用方给出的参数" if isinstance(policy, Policy) else "内置默认参数")

    notes: list[str] = []
    if last is not None:
        where = f"上年基金台账 {last.file} 工作表“{last.sheet}”"
        if last.year != year - 1:
            raise InputError(f"{where} {last.year_cell} 的年度是 {last.year} 年，不是 {year - 1} 年："
                             f"{year} 年的上年结余应取 {year - 1} 年的基金台账。")
        opening_fen = last.closing_fen
        opening_source = f"{where} {last.closing_cell} 的{LABEL_CLOSING}"
        if last.county and last.county != county_policy.county:
            notes.append(f"上年基金台账是 {last.county} 的，本年参数是 {county_policy.county} 的，请核对文件和参数。")
    else:
        opening_source = "命令行 --opening 填写的上年结余"

    if rural_population is None:
        if last is None or last.rural_population is None:
            because = f"（{last.population_problem}）" if last is not None and last.population_problem else ""
            raise InputError(f"缺少农村人口{because}：请用 --rural-population 给出 {year} 年的农村人口（人）。")
        rural_population = last.rural_population
        population_source = (f"沿用上年基金台账 {last.file} {last.population_cell} 的农村人口"
                             f"（本年人口有变化时请用 --rural-population 填写）")
        notes.append(f"农村人口沿用上年基金台账的 {rural_population} 人；本年有变化时请用 --rural-population 填写。")
    else:
        population_source = "命令行 --rural-population 填写"

    output = Path(output) if output is not None else county_file.with_name(
        f"{county_policy.county}{year}年基金台账.xlsx")
    check_output(output, [county_file] + ([last.path] if last else []) + ([policy_file] if policy_file else []),
                 kind=FUND_KIND, example=f"{county_policy.county}{year}年基金台账.xlsx")

    sd = read_cases(county_file)
    frame = case_frame(sd)
    sorted_rows = sort_payments(frame, year)
    counted = sorted_rows["outcome"].to_numpy() == COUNTED
    payments = pd.DataFrame({"township": frame["township"].to_numpy(dtype=object)[counted],
                             "kind": frame["kind"].to_numpy(dtype=object)[counted],
                             "month": sorted_rows["month"].to_numpy()[counted],
                             "fen": sorted_rows["fen"].to_numpy()[counted]})
    townships = [t if t else BLANK_LABEL for t in dict.fromkeys(frame["township"].tolist())]
    ledger = build_ledger(payments, policy=county_policy, year=year, rural_population=int(rural_population),
                          opening_fen=opening_fen, townships=townships)
    counts = outcome_counts(sorted_rows)
    if sum(counts.values()) != len(frame) or int(sorted_rows["fen"].sum()) != ledger.relief_fen:
        raise RuntimeError("救助 rows do not add up")
    if not counts[COUNTED] and counts["other_year"]:
        years = frame["paid_on"].dt.year.value_counts()
        notes.append(f"救助表中没有支付日期在 {year} 年的案件，有 {counts['other_year']} 笔在其他年度"
                     f"（最多的是 {int(years.idxmax())} 年）：请核对 --year 或县级工作簿。")

    problems = problem_rows(sd, frame, sorted_rows, year, shown_path(county_file.name))
    details = detail_rows(sd, frame, sorted_rows)
    result = FundResult(
        output=output, county_file=county_file, ledger=ledger, counts=counts, rows_read=len(frame),
        problems=problems, opening_source=opening_source, population_source=population_source,
        policy_source=policy_source, previous=last, notes=notes,
    )
    with atomic_output(output) as tmp:
        try:
            write_fund_workbook(tmp, ledger, fund_sheet(result), details, problems)
        except OSError as exc:
            raise write_error(output, exc) from None
    return result


def _opening_fen(opening: Any) -> int:
    try:
        yuan = float(opening)
    except (TypeError, ValueError):
        raise InputError(f"--opening 应为上年结余金额（元），现为“{cell_text(opening)}”。") from None
    if bad_amount([yuan])[0] or yuan < 0:
        raise InputError(f"--opening 应为不小于 0 的上年结余金额（元），现为 {cell_text(yuan)}："
                         "期末结余不会为负数（不足部分由县级财政补足）。")
    return int(to_fen([yuan])[0])


# -- the county workbook ------------------------------------------------------------------------

def read_cases(path: Path) -> SheetData:
    """The 救助 sheet of a county workbook; InputError when the file cannot give one."""
    data = read_workbook(path, sheets=(CASES,), read_policy=False)
    file = data.file
    sd = data.sheets.get("cases")
    if sd is None:
        listed = "、".join(f"“{n}”" for n in data.sheet_names) or "（无）"
        raise InputError(f"{file}：没有“{CASES.name}”工作表，无法计算本年救助支出（工作簿中的工作表：{listed}）。"
                         f"{_MERGE_HINT}")
    if sd.header_row == 0:
        said = "；".join(i.message for i in data.issues if i.sheet == sd.name) or f"工作表“{sd.name}”找不到表头行"
        raise InputError(f"{file}：{said}。")
    continued = [n for n in data.sheet_names if n.startswith(f"{CASES.name}(续")]
    if continued:
        raise InputError(f"{file}：“{CASES.name}”有续表（{'、'.join(continued)}），超过 Excel 一个工作表的行数，"
                         "无法在一个台账中核对；请按乡镇分批汇总。")
    missing = [CASES.column(key).header for key in ("relief_amount", "payment_date")
               if key not in sd.columns]
    if missing:
        raise InputError(f"{file} 工作表“{sd.name}”缺少列{'、'.join(f'“{m}”' for m in missing)}"
                         f"（第 {sd.header_row} 行是表头），无法计算救助支出。")
    if TOWNSHIP not in sd.columns:
        raise InputError(f"{file} 工作表“{sd.name}”没有“{TOWNSHIP}”列：这是乡镇工作簿，不是县级汇总工作簿。"
                         f"基金台账按全县计算，{_MERGE_HINT}")
    return sd


def _typed(sd: SheetData, key: str) -> pd.Series:
    """What was typed in the cells of ``key`` the reader could not read ("" elsewhere)."""
    out = pd.Series("", index=sd.frame.index, dtype=object)
    failed = [(c.row, c.original) for c in sd.failures if c.key == key]
    if failed:
        rows, originals = zip(*failed, strict=True)
        out.loc[list(rows)] = [o if isinstance(o, str) else cell_text(o) for o in originals]
    return out


def case_frame(sd: SheetData) -> pd.DataFrame:
    """The columns ``ledger.sort_payments`` reads, plus the case's identity and source."""
    frame = sd.frame
    amounts = frame["relief_amount"]
    paid_on = frame["payment_date"]
    return pd.DataFrame({
        "township": as_text(frame, TOWNSHIP), "case_no": as_text(frame, "case_no"),
        "household_no": as_text(frame, "household_no"), "kind": as_text(frame, "kind"),
        "stage": as_text(frame, "stage"),
        "amount": pd.to_numeric(amounts, errors="coerce").astype("float64"),
        "amount_typed": _typed(sd, "relief_amount"),
        "paid_on": pd.to_datetime(paid_on, errors="coerce").astype("datetime64[ns]"),
        "paid_on_typed": _typed(sd, "payment_date"),
        "file": as_text(frame, SOURCE_FILE), "sheet": as_text(frame, SOURCE_SHEET),
        "row": _row_numbers(frame),
    }, index=frame.index)


def _row_numbers(frame: pd.DataFrame) -> pd.Series:
    """来源行 as whole numbers (NA where it is not one)."""
    if SOURCE_ROW not in frame.columns:
        return pd.Series(pd.NA, index=frame.index, dtype="Int64")
    numbers = pd.to_numeric(frame[SOURCE_ROW], errors="coerce")
    whole = numbers.where(numbers == np.floor(numbers))
    return whole.astype("Int64")


def _cells(sd: SheetData, keys: pd.Series) -> pd.Series:
    """A1 addresses on the county workbook's 救助 sheet: ``keys`` holds each row's column key."""
    letters = keys.map(sd.columns).fillna("").astype(object)
    rows = pd.Series(keys.index.astype(str), index=keys.index, dtype=object)
    return f"{sd.name}!" + letters + rows


def _sources(frame: pd.DataFrame) -> pd.Series:
    """“来源：德政镇 德政镇.xlsx 工作表“救助”第 5 行” per row (what the 来源 columns say)."""
    row = frame["row"].astype("string").fillna("?")
    return ("来源：" + frame["township"] + " " + frame["file"] + " 工作表“" + frame["sheet"] + "”第 " + row + " 行")


def problem_rows(sd: SheetData, frame: pd.DataFrame, sorted_rows: pd.DataFrame, year: int,
                 file: str) -> pd.DataFrame:
    """``PROBLEM_HEADERS`` rows: every row with a message, in sheet order."""
    flagged = sorted_rows["severity"] != ""
    if not flagged.any():
        return pd.DataFrame({h: pd.Series(dtype=object) for h in PROBLEM_HEADERS})
    rows = sorted_rows[flagged]
    part = frame[flagged]
    error = rows["severity"] == "error"
    cells = _cells(sd, rows["column"])
    value = pd.Series(np.select(
        [rows["column"] == "relief_amount", rows["column"] == "payment_date"],
        [_shown(part["amount"], part["amount_typed"]), _shown_dates(part["paid_on"], part["paid_on_typed"])],
        part["stage"]), index=rows.index)
    then = pd.Series(np.where(
        error, f"。本行未计入 {year} 年救助支出：请在来源乡镇工作簿中更正，重新汇总（fangpin-xl merge）后再生成基金台账。",
        "。"), index=rows.index)
    message = (file + " " + cells + "（" + _sources(part) + "）：" + rows["message"] + then)
    return pd.DataFrame({
        "级别": np.where(error, "错误", "提醒"), "处理": np.where(error, "未计入", "已计入"),
        "来源乡镇": part["township"], "案件编号": part["case_no"], "县级工作簿单元格": cells,
        "值": value, "说明": message, "来源文件": part["file"], "来源工作表": part["sheet"],
        "来源行": part["row"].astype("float64"),
    }).reset_index(drop=True)


def _shown(amount: pd.Series, typed: pd.Series) -> pd.Series:
    numbers = pd.Series([number_text(v) if np.isfinite(v) else "" for v in amount], index=amount.index)
    return typed.where(typed != "", numbers)


def _shown_dates(dates: pd.Series, typed: pd.Series) -> pd.Series:
    return typed.where(typed != "", dates.dt.strftime("%Y-%m-%d").fillna(""))


def detail_rows(sd: SheetData, frame: pd.DataFrame, sorted_rows: pd.DataFrame) -> pd.DataFrame:
    """``DETAIL_HEADERS`` rows: the counted cases, in sheet order."""
    counted = sorted_rows["outcome"] == COUNTED
    part = frame[counted]
    keys = pd.Series("relief_amount", index=part.index)
    return pd.DataFrame({
        "来源乡镇": part["township"], "案件编号": part["case_no"], "户编号": part["household_no"],
        "救助类别": part["kind"], "支付日期": part["paid_on"],
        "救助金额（元）": sorted_rows.loc[counted, "fen"].to_numpy(dtype=np.int64) / 100,
        "状态": part["stage"], "县级工作簿单元格": _cells(sd, keys),
        "来源文件": part["file"], "来源工作表": part["sheet"], "来源行": part["row"].astype("float64"),
    }).reset_index(drop=True)


# -- the words on 基金 -----------------------------------------------------------------------------

def fund_sheet(result: FundResult) -> Sheet:
    """Everything on 基金 besides the figures, for ``fund_book.write_fund_workbook``."""
    lg = result.ledger
    y = yuan_text
    fee_rate_note = (f"{FEE_EXAMPLE_LABEL}：参数文件未设置 fund.service_fee_rate，用的是程序自带的示例费率"
                     if lg.fee_rate_example else f"本县设置（{result.policy_source}）")
    rate_label = f"{rate_text(lg.fee_rate)}（{FEE_EXAMPLE_LABEL}）" if lg.fee_rate_example else rate_text(lg.fee_rate)
    exact = lg.rural_population * lg.coverage_rate
    basics = [
        (LABEL_COUNTY, lg.county, "text", f"参数：{result.policy_source}"),
        (LABEL_YEAR, lg.year, "int", f"救助支出按支付日期在 {lg.year} 年 1 月 1 日至 12 月 31 日之间计入"),
        (LABEL_POPULATION, lg.rural_population, "int", result.population_source),
        ("投保比例", lg.coverage_rate, "rate", f"参数 fund.coverage_rate（{result.policy_source}）"),
        ("投保人数（人）", lg.insured, "int",
         f"农村人口 {lg.rural_population} × 投保比例 {rate_text(lg.coverage_rate)} = {number_text(exact)}，"
         "四舍五入到整人（0.5 人进为 1 人）"),
        ("每人保费（元）", lg.premium_per_person_fen / 100, "money", f"参数 fund.premium_per_person（{result.policy_source}）"),
        ("服务费率", lg.fee_rate, "rate", fee_rate_note),
    ]
    before = lg.before_top_up_fen
    fee_exact = number_text(lg.relief_fen * lg.fee_rate / 100)
    lines = [
        (LEDGER_ITEMS[0], lg.opening_fen, f"{result.opening_source}"),
        (LEDGER_ITEMS[1], lg.premium_fen,
         f"投保人数 {lg.insured} 人 × 每人保费 {y(lg.premium_per_person_fen)} 元 = {y(lg.premium_fen)} 元；"
         f"保费于 {lg.year} 年 1 月 1 日（年初）一次性计入资金池"),
        (LEDGER_ITEMS[2], lg.top_up_fen,
         (f"期初余额 + 保费 − 救助支出 − 服务费 = {y(before)} 元，资金池不足，由县级财政补足 {y(lg.top_up_fen)} 元，"
          "使期末结余不为负数（逐月余额表中补足记在余额不足的月份）") if lg.top_up_fen else
         f"期初余额 + 保费 − 救助支出 − 服务费 = {y(before)} 元，不为负数，无需县级财政补足"),
        (LEDGER_ITEMS[3], lg.relief_fen,
         f"县级工作簿 {shown_path(result.county_file.name)} “救助”表中支付日期在 {lg.year} 年的 {lg.cases} 笔救助之和"
         "（每笔先按四舍五入取到分再相加）；按类别、按乡镇见下表，逐笔见“救助明细”工作表"),
        (LEDGER_ITEMS[4], lg.fee_fen,
         f"本年救助支出 {y(lg.relief_fen)} 元 × 服务费率 {rate_label} = {fee_exact} 元，四舍五入到分"),
        (LEDGER_ITEMS[5], lg.closing_fen,
         f"期初 {y(lg.opening_fen)} + 保费 {y(lg.premium_fen)} + 县级补足 {y(lg.top_up_fen)} − 救助支出 "
         f"{y(lg.relief_fen)} − 服务费 {y(lg.fee_fen)} = {y(lg.closing_fen)} 元，结转 {lg.year + 1} 年"),
    ]
    counts = result.counts
    parts = " + ".join(f"{OUTCOME_LABELS[o]} {counts[o]}" for o in OUTCOMES)
    checks = [
        ("结余核对", f"期初 + 保费 + 县级补足 − 救助支出 − 服务费 = 期末结余：{y(lg.closing_fen)} 元，相符；"
                    f"逐月余额表 12 月月末余额与期末结余相同，各月服务费合计等于全年服务费"),
        ("救助表行数", f"读取 {result.rows_read} 行 = {parts}（未计入的行见“问题”工作表）"),
        ("金额计算", "各项金额内部按“分”整数计算，不做浮点累加；表中金额显示到分，即为精确值。"
                    "只在三处取整：投保人数四舍五入到整人，每人保费取到分，服务费四舍五入到分。占比保留一位小数仅供显示"),
        *(("提醒", note) for note in result.notes),
    ]
    generated = dt.date.today().isoformat()
    subtitle = (f"金额单位：元。依据县级工作簿 {shown_path(result.county_file.name)}，生成于 {generated}。"
                f"支付日期在本年的救助计入本年；保费年初计入；期末结余结转下年。")
    monthly_title = ("逐月余额（保费于 1 月 1 日计入；服务费随救助按月计提；某月余额不足时，当月由县级财政补足到 0。"
                     "图中柱形为保费收入和救助支出，折线为月末余额）")
    return Sheet(subtitle=subtitle, basics=basics, lines=lines, checks=checks, monthly_title=monthly_title)


# -- the text a person reads ----------------------------------------------------------------------

def render_fund(result: FundResult) -> str:
    lg = result.ledger
    y = yuan_text
    counts = result.counts
    parts = " + ".join(f"{OUTCOME_LABELS[o]} {counts[o]}" for o in OUTCOMES)
    fee = f"{rate_text(lg.fee_rate)}（{FEE_EXAMPLE_LABEL}）" if lg.fee_rate_example else rate_text(lg.fee_rate)
    lines = [
        f"{lg.county} {lg.year} 年防贫救助资金池（{result.policy_source}）",
        f"县级工作簿：{shown_path(result.county_file.name)}，救助表 {result.rows_read} 行 = {parts}",
        f"农村人口 {lg.rural_population} 人 × 投保比例 {rate_text(lg.coverage_rate)} = 投保 {lg.insured} 人"
        f"（四舍五入到整人）；服务费率 {fee}",
        f"  上年结余（期初余额）  {y(lg.opening_fen)} 元（{result.opening_source}）",
        f"+ 本年保费            {y(lg.premium_fen)} 元（{lg.insured} 人 × {y(lg.premium_per_person_fen)} 元，年初计入）",
        f"+ 县级财政补足        {y(lg.top_up_fen)} 元",
        f"− 本年救助支出        {y(lg.relief_fen)} 元（{lg.cases} 笔，支付日期在 {lg.year} 年）",
        f"− 保险公司服务费      {y(lg.fee_fen)} 元",
        f"= 期末结余（结转下年）{y(lg.closing_fen)} 元",
    ]
    lines += [f"提醒：{note}" for note in result.notes]
    if result.rejected:
        lines.append(f"有 {result.rejected} 行救助未能计入（金额或支付日期有误），见“问题”工作表：")
        errors = result.problems[result.problems["级别"] == "错误"]
        lines += [f"  {text}" for text in errors["说明"].head(10)]
        if len(errors) > 10:
            lines.append(f"  ……另有 {len(errors) - 10} 行，见“问题”工作表。")
    if result.warnings:
        lines.append(f"有 {result.warnings} 行已按支付日期计入，但状态不是“已支付”，请核对（见“问题”工作表）。")
    lines.append(f"已写出：{shown_path(result.output)}")
    return "\n".join(lines) + "\n"
