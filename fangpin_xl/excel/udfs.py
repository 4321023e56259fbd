"""The Excel custom functions (FP_…): a public contract, never rename one.

One module serves every runtime xlwings has: classic desktop Excel on Windows (COM,
"Import Functions" with a local Python), xlwings Server and xlwings Lite (Office.js,
Excel 365 / Excel on the web). ``@xw.func`` takes the function's docstring as the
description Excel's function wizard shows; ``@xw.arg(name, doc=...)`` the description of
each argument (both Chinese: clerks read them).

Every argument is declared with xlwings' ``"raw"`` converter and turned into a 2-D array
by ``cells.grid`` (a column stays a column; an error cell is "#N/A", not an empty cell);
``cells`` describes exactly what arrives from which runtime, why it is read raw, and how
it is coerced. Each function is a thin translation: coerce the cells with the reader's
coercion, call one core function over whole columns, turn the result into cell values.
No rule is written here.

* Per-household functions take one cell or whole ranges; a range gives a range of
  results of the same shape (single cells are repeated along it). A row whose inputs
  are all empty gives an empty cell.
* The policy is the workbook's 参数 table when passed as ``params`` (the whole table with
  its 键/参数/值 header row), otherwise the installed default for ``year``
  (``load_policy``); ``year`` defaults to the policy's year.
* Nothing raises into Excel: a problem of one row is Chinese text in that row's cell; a
  problem of the whole call (an unknown year, a 参数 range without its header, ranges of
  different sizes) is one cell of Chinese text.

Importing this module stays light (no workbook writer or file reader), so it loads in
xlwings Lite, where only pure-Python packages plus pandas and numpy exist. The package
never sets XLWINGS_* environment variables.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import xlwings as xw

from ..errors import FangpinError, InputError
from ..followup import next_quarter_visit_due, visited_in_quarter
from ..fund import (
    bad_amount,
    bad_population,
    closing_balance_fen,
    insured_count,
    premium_fen,
    service_fee_fen,
    to_fen,
    to_yuan,
)
from ..ids import MSG_UPGRADED, mask_ids, validate_ids
from ..issues import ERROR
from ..policy import GROUPS, KIND_FIELDS
from ..relief import household_relief_series, payout, payout_series
from ..rules import (
    INPUT_COLUMNS,
    SPENDING_FIELDS,
    STATUS_ELIGIBLE,
    STATUS_INELIGIBLE,
    check_household,
    check_households,
)
from ..schema import CASES, CHECK_TABLE, CHOICE, DATE, HOUSEHOLDS, ID, INTEGER, MONEY
from ..text import cell_text
from ..workbook.read import HEADER_SCAN_ROWS, sheet_from_values
from ..workdays import add_workdays_series, day_count, workdays_between_series
from .cells import (
    FIRST_DATE,
    LAST_DATE,
    Typed,
    broadcast,
    coerce,
    dates_out,
    grid,
    numbers_out,
    policy_for,
    shaped,
)

_log = logging.getLogger(__name__)

#: The start of the text a cell shows when a function fails in a way nobody planned for.
INTERNAL_ERROR = "计算出错（程序内部错误"
#: How dates come back in Office.js (the workbooks' own date format).
DATE_FORMAT = "yyyy-mm-dd"

#: FP_CHECK_TABLE's output columns.
CHECK_TABLE_HEADERS: tuple[str, ...] = (
    HOUSEHOLDS.column("status").header,
    HOUSEHOLDS.column("met_text").header,
    "判定说明",
    "救助金额估算（元）",
    CASES.column("deadline").header,
)
VALID_ID_TEXT = "有效"


# -- argument descriptions (what Excel's function wizard shows) ---------------------------

_PER_ROW = "可选一个单元格或整列"
DOCS: dict[str, str] = {
    "group": f"户类型：脱贫不稳定户、边缘易致贫户或突发严重困难户（{_PER_ROW}）",
    "income_pc": "家庭年人均可支配收入（元），如 3500 或“3,500元”",
    "medical": "近 12 个月因病支出：住院自付费用（元），空白按 0 计",
    "education": "近 12 个月因学支出：学费、住宿费、教材费（元），空白按 0 计",
    "accident": "近 12 个月因意外支出：扣除商业保险和社会救助后的损失（元），空白按 0 计",
    "industry": "近 12 个月因产业支出：自然灾害、经营失败等损失（元），空白按 0 计",
    "year": "年度，如 2020（可省略：按参数表的年度，没有参数表时为 2020）",
    "params": "参数表（可省略）：选中工作簿“参数”表含“键、参数、值”表头的整张表；省略时用内置默认参数",
    "kind": f"救助类型：因病、因学、因意外或因产业（{_PER_ROW}）",
    "amount": "该类支出金额（元）",
    "payout_group": "户类型（可省略，空白按脱贫不稳定户计）",
    "id_number": f"身份证号（{_PER_ROW}）",
    "start": f"开始日期，如发现日期（{_PER_ROW}）",
    "days": "天数（可省略，按参数中的救助程序时限，默认 15 个工作日）",
    "end": "结束日期",
    "last_visit": f"最近一次回访日期（{_PER_ROW}）",
    "visit_dates": "该户全部回访日期所在的区域",
    "date": f"要判断的日期（{_PER_ROW}）",
    "rural_population": f"农村人口（人），{_PER_ROW}",
    "total_relief": "当年救助总额（元）",
    "opening": "上年结转（元）",
    "premium": "当年保费（元）",
    "top_up": "县财政补足（元），空白按 0 计",
    "payouts": "当年救助支出总额（元）",
    "table": "带表头的整张表：户类型、人均可支配收入、近12月因病/因学/因意外/因产业支出，可含户编号、发现日期",
}


def _arg(name: str, doc_key: str | None = None) -> Callable[[Any], Any]:
    """``@xw.arg``: the values as sent (``cells.grid`` cleans them) and the Chinese description."""
    return xw.arg(name, "raw", doc=DOCS[doc_key or name])


def _excel(func: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``func``; a ``FangpinError`` becomes its Chinese message, anything else a
    Chinese notice instead of a Python error (#VALUE! in Excel)."""

    @functools.wraps(func)
    def run(*args: Any) -> Any:
        try:
            return func(*args)
        except FangpinError as error:
            return str(error)
        except Exception as error:  # noqa: BLE001 - nothing may reach Excel as an exception
            # The traceback goes to the runtime's log (xlwings Server, the Lite console) for
            # whoever looks into it; the cell says in Chinese what to do.
            _log.exception("%s failed", func.__name__)
            return f"{INTERNAL_ERROR}：{type(error).__name__}），请把该单元格的公式和数据告知技术人员。"

    return run


def _first(*messages: np.ndarray) -> np.ndarray:
    """Per row, the first message that is not None."""
    out = np.full(len(messages[0]), None, dtype=object)
    for column in messages:
        free = pd.isna(out) & pd.notna(column)
        out[free] = column[free]
    return out


def _put(out: np.ndarray, messages: np.ndarray) -> np.ndarray:
    """A copy of ``out`` in which each row that has a message shows it."""
    out = np.array(out, dtype=object)
    rows = pd.notna(messages)
    out[rows] = messages[rows]
    return out


def _all_empty(*columns: Typed) -> np.ndarray:
    return np.logical_and.reduce([column.empty for column in columns])


# -- eligibility ------------------------------------------------------------------------------

def _households(group: Any, income_pc: Any, medical: Any, education: Any, accident: Any,
                industry: Any, year: Any, params: Any, *, reasons: bool,
                ) -> tuple[tuple[int, int], dict[str, np.ndarray], np.ndarray]:
    """``check_households`` over the arguments: (shape, its columns status, met_text and
    reasons as object arrays, the rows left empty)."""
    policy, wanted = policy_for(year, params)
    shape, columns = broadcast(
        {"group": group, "income_per_capita": income_pc, "medical": medical,
         "education": education, "accident": accident, "industry": industry},
        INPUT_COLUMNS,
    )
    groups = coerce({"group": columns.pop("group")}, CHOICE)["group"]
    money = coerce(columns, MONEY)
    blank = _all_empty(groups, *money.values())
    if shape == (1, 1):
        # One household (a formula filled down calls once per row): the scalar twin of
        # check_households, which the core's tests hold to the same results.
        one = check_household(groups.values[0], *(typed.or_raw()[0] for typed in money.values()),
                              policy=policy, year=wanted)
        result = {"status": one.status, "met_text": one.met_text, "reasons": one.reasons}
        return shape, {key: np.array([text], dtype=object) for key, text in result.items()}, blank
    frame = pd.DataFrame({
        "group": pd.Series(groups.values, dtype=object),
        **{key: pd.Series(typed.or_raw()) for key, typed in money.items()},
    })
    checked = check_households(frame, policy, wanted, reasons=reasons)
    return shape, {key: checked[key].to_numpy(dtype=object, copy=True) for key in checked}, blank


_HOUSEHOLD_ARGS = ("group", "income_pc", "medical", "education", "accident", "industry", "year",
                   "params")


def _household_args(func: Callable[..., Any]) -> Callable[..., Any]:
    for name in reversed(_HOUSEHOLD_ARGS):
        func = _arg(name)(func)
    return func


@xw.func
@_household_args
@_excel
def FP_ELIGIBLE(group: Any, income_pc: Any, medical: Any, education: Any, accident: Any,
                industry: Any, year: Any = None, params: Any = None) -> Any:
    """是否符合防贫救助条件（收入条件和任一支出条件）：符合为 TRUE，不符合为 FALSE，资料不全时说明缺什么"""
    shape, checked, blank = _households(group, income_pc, medical, education, accident, industry,
                                        year, params, reasons=True)
    status = checked["status"]
    out = checked["reasons"]
    out[status == STATUS_ELIGIBLE] = True
    out[status == STATUS_INELIGIBLE] = False
    out[blank] = None
    return shaped(out, shape)


@xw.func
@_household_args
@_excel
def FP_STATUS(group: Any, income_pc: Any, medical: Any, education: Any, accident: Any,
              industry: Any, year: Any = None, params: Any = None) -> Any:
    """资格判定：符合、不符合或资料不全（与工作簿“监测户”表的资格判定列相同）"""
    shape, checked, blank = _households(group, income_pc, medical, education, accident, industry,
                                        year, params, reasons=False)
    out = checked["status"]
    out[blank] = None
    return shaped(out, shape)


@xw.func
@_household_args
@_excel
def FP_REASONS(group: Any, income_pc: Any, medical: Any, education: Any, accident: Any,
               industry: Any, year: Any = None, params: Any = None) -> Any:
    """判定说明：满足了哪些条件，或不符合、资料不全的原因"""
    shape, checked, blank = _households(group, income_pc, medical, education, accident, industry,
                                        year, params, reasons=True)
    out = checked["reasons"]
    out[blank] = None
    return shaped(out, shape)


@xw.func
@_arg("year")
@_arg("params")
@_excel
def FP_INCOME_LINE(year: Any = None, params: Any = None) -> Any:
    """某年度的收入标准（元/人/年，含本数）：人均收入不高于此数即满足收入条件"""
    policy, wanted = policy_for(year, params)
    return policy.income_threshold(wanted)


# -- relief ---------------------------------------------------------------------------------------

@xw.func
@_arg("kind")
@_arg("amount")
@_arg("group", "payout_group")
@_arg("year")
@_arg("params")
@_excel
def FP_PAYOUT(kind: Any, amount: Any, group: Any = None, year: Any = None,
              params: Any = None) -> Any:
    """按救助金额表计算某类支出的救助金额（元）：超过支出标准的部分分档计算，含分类封顶和单案上限"""
    policy, _ = policy_for(year, params)
    labels = {"kind": "救助类型", "amount": "支出金额", "group": "户类型"}
    shape, columns = broadcast({"kind": kind, "amount": amount, "group": group}, labels)
    kinds = coerce({"kind": columns["kind"]}, CHOICE)["kind"]
    groups = coerce({"group": columns["group"]}, CHOICE)["group"]
    amounts = coerce({"amount": columns["amount"]}, MONEY)["amount"]
    group_values = np.where(groups.empty, GROUPS[0], groups.values)
    relief = payout_series(kinds.values, amounts.or_raw(), group_values, policy=policy).to_numpy()
    out = numbers_out(relief)
    # The core says why a row is unusable; only those rows are asked one by one.
    for row in np.flatnonzero(np.isnan(relief)):
        if kinds.empty[row]:
            out[row] = "缺少救助类型"
            continue
        try:
            payout(kinds.values[row], amounts.or_raw()[row], group=group_values[row], policy=policy)
        except FangpinError as error:
            out[row] = str(error)
    out[_all_empty(kinds, amounts)] = None
    return shaped(out, shape)


# -- ID numbers -------------------------------------------------------------------------------------

def _ids(id_number: Any) -> tuple[tuple[int, int], pd.DataFrame, np.ndarray]:
    shape, columns = broadcast({"id_number": id_number}, {"id_number": "身份证号"})
    typed = coerce(columns, ID)["id_number"]
    return shape, validate_ids(pd.Series(typed.values, dtype=object)), typed.empty


@xw.func
@_arg("id_number")
@_excel
def FP_ID_VALID(id_number: Any) -> Any:
    """身份证号是否有效（长度、出生日期、校验码等，GB 11643）：TRUE 或 FALSE"""
    shape, checked, blank = _ids(id_number)
    out = checked["valid"].to_numpy(dtype=bool).astype(object)
    out[blank] = None
    return shaped(out, shape)


@xw.func
@_arg("id_number")
@_excel
def FP_ID_CHECK(id_number: Any) -> Any:
    """身份证号检查结果：有效（含外地号码、15 位旧号码的提醒），或错在哪里"""
    shape, checked, blank = _ids(id_number)
    warning = checked["warning"].fillna("").astype(str)
    text = pd.Series(VALID_ID_TEXT, index=checked.index, dtype=object)
    text = text.where(warning == "", text + "；" + warning)
    text = text.where(~checked["upgraded"], text + "；" + MSG_UPGRADED)
    out = np.where(checked["valid"].to_numpy(dtype=bool), text.to_numpy(dtype=object),
                   checked["error"].to_numpy(dtype=object)).astype(object)
    out[blank] = None
    return shaped(out, shape)


@xw.func
@_arg("id_number")
@_excel
def FP_ID_MASK(id_number: Any) -> Any:
    """遮盖身份证号用于公示：保留前 6 位和后 4 位（130434********123X）；无效号码只保留前 3 位"""
    shape, columns = broadcast({"id_number": id_number}, {"id_number": "身份证号"})
    typed = coerce(columns, ID)["id_number"]
    out = mask_ids(pd.Series(typed.values, dtype=object)).to_numpy(dtype=object).copy()
    out[typed.empty] = None
    return shaped(out, shape)


# -- working days -------------------------------------------------------------------------------------

def _day_counts(days: Typed, default: int) -> tuple[np.ndarray, np.ndarray]:
    """Day counts (float, NaN where unusable; empty = ``default``) and each unusable
    count's message. The core judges each distinct count once (a days column repeats)."""
    counts = np.where(days.empty, float(default), days.values.astype(np.float64))
    messages = np.full(len(counts), None, dtype=object)
    given = np.flatnonzero(~days.empty)
    if given.size:
        # Whole numbers as ints (the core's message shows -1, not -1.0); the rest as typed.
        asked = np.where(days.failed, days.raw, counts).astype(object)[given]
        asked = np.array([int(v) if isinstance(v, float) and v.is_integer() else v for v in asked],
                         dtype=object)
        codes, distinct = pd.factorize(pd.Series(asked, dtype=object))
        verdicts = np.full(len(distinct), None, dtype=object)
        for i, value in enumerate(distinct):
            try:
                day_count(value)
            except FangpinError as error:
                verdicts[i] = str(error)
        messages[given] = verdicts[codes]
    counts[pd.notna(messages)] = np.nan
    return counts, messages


@xw.func
@_arg("start")
@_arg("days")
@_arg("params")
@xw.ret(date_format=DATE_FORMAT)
@_excel
def FP_DEADLINE(start: Any, days: Any = None, params: Any = None) -> Any:
    """办结时限：开始日期之后第 N 个工作日（起始日不算，按国务院节假日和调休安排）；天数默认按参数 15 个工作日"""
    policy, _ = policy_for(None, params)
    shape, columns = broadcast({"start": start, "days": days}, {"start": "开始日期", "days": "天数"})
    starts = coerce({"start": columns["start"]}, DATE)["start"]
    counts, count_messages = _day_counts(coerce({"days": columns["days"]}, INTEGER)["days"],
                                         policy.deadline_days)
    deadlines = add_workdays_series(pd.Series(starts.values), pd.Series(counts), policy=policy)
    out = _put(dates_out(deadlines),
               _first(starts.failure_messages("开始日期", "日期"), count_messages))
    out[starts.empty] = None
    return shaped(out, shape)


@xw.func
@_arg("start")
@_arg("end")
@_arg("params")
@_excel
def FP_WORKDAYS(start: Any, end: Any, params: Any = None) -> Any:
    """两个日期之间的工作日数（不含开始日、含结束日；结束早于开始时为负数）"""
    policy, _ = policy_for(None, params)
    labels = {"start": "开始日期", "end": "结束日期"}
    shape, columns = broadcast({"start": start, "end": end}, labels)
    dates = coerce(columns, DATE)
    first, last = dates["start"], dates["end"]
    counts = workdays_between_series(pd.Series(first.values), pd.Series(last.values), policy=policy)
    out = counts.astype(object).where(counts.notna(), None).to_numpy(dtype=object)
    missing = np.full(len(first.empty), None, dtype=object)
    missing[last.empty] = "缺少结束日期"
    missing[first.empty] = "缺少开始日期"
    out = _put(out, _first(first.failure_messages(labels["start"], "日期"),
                           last.failure_messages(labels["end"], "日期"), missing))
    out[_all_empty(first, last)] = None
    return shaped(out, shape)


# -- follow-up visits -----------------------------------------------------------------------------

@xw.func
@_arg("last_visit")
@xw.ret(date_format=DATE_FORMAT)
@_excel
def FP_VISIT_DUE(last_visit: Any) -> Any:
    """下次回访的最晚日期：每个季度至少回访一次，1 月 5 日回访后，下次应不晚于 6 月 30 日"""
    shape, columns = broadcast({"last_visit": last_visit}, {"last_visit": "回访日期"})
    visits = coerce(columns, DATE)["last_visit"]
    due = next_quarter_visit_due(pd.Series(visits.values))
    out = _put(dates_out(due), visits.failure_messages("回访日期", "日期"))
    out[visits.empty] = None
    return shaped(out, shape)


@xw.func
@_arg("visit_dates")
@_arg("date")
@_excel
def FP_VISITED_IN_QUARTER(visit_dates: Any, date: Any) -> Any:
    """该日期所在的季度内是否有过回访：TRUE 或 FALSE（回访日期为该户的全部回访记录）"""
    visits = coerce({"visits": grid(visit_dates).reshape(-1)}, DATE)["visits"]
    unreadable = np.flatnonzero(visits.failed)
    if unreadable.size:
        first = visits.failure_messages("回访日期", "日期")[unreadable[0]]
        raise InputError(f"{first}：请先修正回访日期区域。")
    shape, columns = broadcast({"date": date}, {"date": "日期"})
    days = coerce(columns, DATE)["date"]
    found = visited_in_quarter(pd.Series(visits.values), pd.Series(days.values))
    out = found.astype(object).where(found.notna(), None).to_numpy(dtype=object)
    out = _put(out, days.failure_messages("日期", "日期"))
    out[days.empty] = None
    return shaped(out, shape)


# -- the fund --------------------------------------------------------------------------------------

def _population(rural_population: Any) -> tuple[tuple[int, int], Typed, np.ndarray]:
    """(shape, the coerced population, per-row messages) of the population argument."""
    shape, columns = broadcast({"people": rural_population}, {"people": "农村人口"})
    people = coerce(columns, MONEY)["people"]
    messages = people.failure_messages("农村人口", "数字")
    for row in np.flatnonzero(~people.empty & ~people.failed & bad_population(people.values)):
        try:
            insured_count([people.values[row]], 0.0)
        except FangpinError as error:
            messages[row] = str(error)
    return shape, people, messages


def _insured(rural_population: Any, year: Any, params: Any
             ) -> tuple[tuple[int, int], np.ndarray, np.ndarray, np.ndarray, Any]:
    policy, _ = policy_for(year, params)
    shape, people, messages = _population(rural_population)
    usable = pd.isna(messages) & ~people.empty
    insured = np.zeros(len(messages), dtype=np.int64)
    insured[usable] = insured_count(people.values[usable], policy.coverage_rate)
    return shape, insured, messages, people.empty, policy


@xw.func
@_arg("rural_population")
@_arg("year")
@_arg("params")
@_excel
def FP_INSURED(rural_population: Any, year: Any = None, params: Any = None) -> Any:
    """参保人数（人）：农村人口 × 投保比例（参数，默认 10%），四舍五入到整人"""
    shape, insured, messages, empty, _ = _insured(rural_population, year, params)
    out = _put(insured.astype(object), messages)
    out[empty] = None
    return shaped(out, shape)


@xw.func
@_arg("rural_population")
@_arg("year")
@_arg("params")
@_excel
def FP_PREMIUM(rural_population: Any, year: Any = None, params: Any = None) -> Any:
    """当年保费（元）：参保人数（农村人口 × 投保比例，四舍五入到整人）× 每人保费（默认 50 元）"""
    shape, insured, messages, empty, policy = _insured(rural_population, year, params)
    out = _put(to_yuan(premium_fen(insured, policy.premium_per_person)).astype(object), messages)
    out[empty] = None
    return shaped(out, shape)


def _money(args: dict[str, Any], labels: dict[str, str]
           ) -> tuple[tuple[int, int], dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Money arguments in fen (empty = 0, unusable = 0 with a message), the per-row
    messages and the rows where every argument is empty."""
    shape, columns = broadcast(args, labels)
    typed = coerce(columns, MONEY)
    messages = _first(*(t.failure_messages(labels[name], "数字") for name, t in typed.items()))
    fen = {}
    for name, t in typed.items():
        yuan = np.where(t.empty | t.failed, 0.0, t.values)
        for row in np.flatnonzero(bad_amount(yuan)):
            try:
                to_fen([yuan[row]])
            except FangpinError as error:
                if messages[row] is None:
                    messages[row] = f"{labels[name]}：{error}"
            yuan[row] = 0.0
        fen[name] = to_fen(yuan)
    return shape, fen, messages, _all_empty(*typed.values())


@xw.func
@_arg("total_relief")
@_arg("year")
@_arg("params")
@_excel
def FP_SERVICE_FEE(total_relief: Any, year: Any = None, params: Any = None) -> Any:
    """保险公司服务费（元）：当年救助总额 × 服务费率（参数），四舍五入到分"""
    policy, _ = policy_for(year, params)
    shape, fen, messages, empty = _money({"relief": total_relief}, {"relief": "救助总额"})
    fee = service_fee_fen(fen["relief"], policy.service_fee_rate)
    out = _put(to_yuan(fee).astype(object), messages)
    out[empty] = None
    return shaped(out, shape)


@xw.func
@_arg("opening")
@_arg("premium")
@_arg("top_up")
@_arg("payouts")
@_arg("year")
@_arg("params")
@_excel
def FP_FUND_BALANCE(opening: Any, premium: Any, top_up: Any, payouts: Any, year: Any = None,
                    params: Any = None) -> Any:
    """资金池结余（元）：上年结转 + 保费 + 财政补足 − 救助支出 − 服务费（救助支出 × 服务费率）；负数为缺口"""
    policy, _ = policy_for(year, params)
    shape, fen, messages, empty = _money(
        {"opening": opening, "premium": premium, "top_up": top_up, "payouts": payouts},
        {"opening": "上年结转", "premium": "保费", "top_up": "财政补足", "payouts": "救助支出"},
    )
    balance = closing_balance_fen(fen["opening"], fen["premium"], fen["top_up"], fen["payouts"],
                                  policy.service_fee_rate)
    out = _put(to_yuan(balance).astype(object), messages)
    out[empty] = None
    return shaped(out, shape)


# -- a whole table ---------------------------------------------------------------------------------

def _table_problem(sheet: Any, issues: list) -> str | None:
    """The Chinese message of the first error reading the table, None if it is usable."""
    required = "".join(f"“{c.header}”" for c in CHECK_TABLE.columns if c.required)
    no_header = (f"所选区域前 {HEADER_SCAN_ROWS} 行中找不到表头行：表头应包含{required}等列名，"
                 "请选中带表头的整张表。")
    if sheet.header_row == 0:  # an empty range, or no row that reads as the header
        return no_header
    for issue in issues:
        if issue.severity != ERROR:
            continue
        if issue.code == "missing_column":
            column = next(c for c in CHECK_TABLE.columns if c.header == issue.column)
            also = f"（也可用列名：{'、'.join(column.synonyms)}）" if column.synonyms else ""
            return f"所选区域缺少必填列“{column.header}”{also}。"
        return no_header
    if not any(field in sheet.columns for field in SPENDING_FIELDS):
        # Without one spending column every household would read 不符合 (all spending 0).
        names = "、".join(f"“{CHECK_TABLE.column(field).header}”" for field in SPENDING_FIELDS)
        return (f"所选区域没有支出列（{names}，或其同义列名），无法判定支出条件："
                "请加上至少一列支出（没有支出的户填 0）。")
    return None


@xw.func
@_arg("table")
@_arg("params")
@xw.ret(date_format=DATE_FORMAT)
@_excel
def FP_CHECK_TABLE(table: Any, params: Any = None) -> Any:
    """整表资格核查：选中带表头的整张表，每行返回资格判定、满足条件、判定说明、救助金额估算（元）和办结时限，第一行为表头"""
    policy, _ = policy_for(None, params)
    cells = grid(table)
    sheet, issues = sheet_from_values(cells.tolist(), CHECK_TABLE, name="所选区域")
    problem = _table_problem(sheet, issues)
    if problem:
        return problem
    frame = sheet.frame.copy()
    # Cells the reader could not convert go back in as typed, so the rules name them.
    for failure in sheet.failures:
        if frame[failure.key].dtype != object:
            frame[failure.key] = frame[failure.key].astype(object)
        frame.at[failure.row, failure.key] = failure.original
    checked = check_households(frame[["group", "income_per_capita", *SPENDING_FIELDS]], policy)
    eligible = (checked["status"] == STATUS_ELIGIBLE).to_numpy()
    relief = household_relief_series(
        frame["group"], {kind: frame[field] for kind, field in KIND_FIELDS.items()},
        policy=policy, eligible=eligible,
    )
    found = sheet.frame["found_date"]
    outside = (found < FIRST_DATE) | (found > LAST_DATE)
    deadline = dates_out(add_workdays_series(found.mask(outside), policy.deadline_days,
                                             policy=policy))
    header = sheet.headers.get("found_date", CASES.column("found_date").header)
    for row in np.flatnonzero(outside.to_numpy()):
        deadline[row] = f"{header}“{cell_text(found.iloc[row])}”不在 1900 年至 2100 年之间"
    bad_dates = [f for f in sheet.failures if f.key == "found_date"]
    rows = frame.index.get_indexer([f.row for f in bad_dates])
    deadline[rows] = [f"{header}“{cell_text(f.original)}”不是日期" for f in bad_dates]
    results = np.column_stack([
        checked["status"].to_numpy(dtype=object),
        checked["met_text"].to_numpy(dtype=object),
        checked["reasons"].to_numpy(dtype=object),
        numbers_out(relief),
        deadline,
    ])
    # One output row per row of the range, down to the last household: aligned with the
    # table, without the blank rows of a range selected generously (or a whole column).
    last = max(sheet.header_row, int(frame.index.max()) if len(frame) else 0)
    out = np.full((last, len(CHECK_TABLE_HEADERS)), None, dtype=object)
    out[sheet.header_row - 1] = CHECK_TABLE_HEADERS
    out[frame.index.to_numpy() - 1] = results
    return out.tolist()
