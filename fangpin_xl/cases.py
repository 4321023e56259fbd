"""Case procedure checks over the 救助 sheet: order of stages, notice, deadline, amounts.

Pure and vectorised: every check takes the 救助 frame (columns are schema
keys, one row per case, index = whatever identifies the row — the reader uses
the Excel row number) and returns *findings*: a DataFrame with one row per
problem, indexed like the input, with the columns

* ``code`` — the issue code,
* ``severity`` — ``issues.ERROR`` or ``issues.WARNING``,
* ``column`` — the schema key of the cell to point at,
* ``message`` — the complete Chinese message (what is wrong, what to do).

The validator turns findings into ``Issue`` records (file, sheet, cell).

Procedure order (DOMAIN.md): 发现 ≤ 入户查勘 ≤ 公示开始 ≤ 公示结束 ≤ 部门比对 ≤
备案 ≤ 支付. Equal dates are accepted (two stages can happen on one day).

Choices made here, and why:

* **Order** is checked between each filled date and the nearest earlier
  *filled* stage date, and reported on the later cell. One wrong date then
  gives one issue instead of a cascade over every later stage. The two pairs
  with their own codes (公示结束→备案: ``filing_before_notice``, 备案→支付:
  ``payment_before_filing``) are left to those checks so nothing is reported
  twice.
* **Notice length** counts natural days inclusive of both ends: a notice from
  05-01 to 05-05 is 5 days. Chinese notices state their period as “自 X 日至 Y 日”
  with both days open to objections, and “公示至少5天” counts those days;
  weekends and holidays are not skipped (the rule says 天, not 工作日).
* **Deadline**: ``policy.deadline_days`` counted from the discovery date with
  ``workdays`` (the discovery day itself is not counted). A case is late when
  it was paid after the deadline, or when it is neither paid nor terminated
  and the check date is past the deadline. A case not yet due is fine.
* **Skipped stages**: a filing needs 入户查勘, 公示开始, 公示结束 and 部门比对
  dates; a payment needs those and 备案 (a missing 备案 is
  ``payment_before_filing``'s). A missing stage is ``stage_skipped``, reported
  once per case: on 备案日期 when the case is filed, else on 支付日期.
* **Each case is judged by its own window** (``judge_relief``): the
  household's spending of the case's kind with ``EDATE(发现日期, −统计期) <
  date <= 发现日期`` — the spending that led to the case, whatever day the
  county checks. The discovery date and not the survey date: the survey
  verifies what was found, and bills paid between discovery and survey belong
  to the next case. Spending dated after the discovery does not count.
* **Eligibility of the relief**: the household's group and income with that
  window's spending of the case's kind alone (``rules.check_households``): a
  medical relief needs the medical condition, not merely some condition. A
  positive 救助金额 on a case judged 不符合 or 资料不全 is ``relief_ineligible``
  (and is then not compared with the table).
* **Relief by the table** compares the amount with ``payout`` for the case's
  kind, the household's group and that window's spending. A case whose
  household, group, discovery date or kind is unknown is not compared (other
  checks report those), nor is any case when the workbook has no 支出 sheet.
* **Several cases of one kind** for one household: cases are taken in order
  of discovery; a case continues the previous case's *chain* when its window
  overlaps the previous one's (it was found within 统计期 months of it). For
  each case the chain's relief so far (every case with a positive 救助金额
  that is not 已终止; a case number entered twice counts once) is compared
  with the table amount for the spending in the union of the chain's
  windows (``EDATE(first discovery, −统计期) < date <= this discovery``):
  ``relief_total_above_table`` on the later case, unless that case is
  already reported by one of the single-case checks. Windows that do not
  overlap are separate spending: each case is judged alone then.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from . import rules
from .columns import as_dates, as_numbers, as_text, day_text
from .derive import add_months_series, spending_events, window_sums
from .findings import concat_findings, make_findings
from .issues import ERROR, WARNING
from .keys import match_keys
from .policy import GROUPS, KIND_FIELDS, Policy
from .schema import CASES
from .text import number_text, number_texts
from .workdays import CALENDAR_MODE, add_workdays_series

#: Stage dates in procedure order.
STAGE_DATES: tuple[str, ...] = (
    "found_date", "survey_date", "notice_start", "notice_end",
    "dept_check_date", "filing_date", "payment_date",
)
#: The label a case should carry once this date is the latest one filled.
DATE_STAGE: dict[str, str] = {
    "found_date": "已发现",
    "survey_date": "已查勘",
    "notice_start": "公示中",
    "notice_end": "公示中",
    "dept_check_date": "已比对",
    "filing_date": "已备案",
    "payment_date": "已支付",
}
STAGE_RANK: dict[str, int] = {"已发现": 0, "已查勘": 1, "公示中": 2, "已比对": 3, "已备案": 4, "已支付": 5}
#: For a label: the date that must be filled for it to be true.
STAGE_DATE: dict[str, str] = {
    "已查勘": "survey_date",
    "公示中": "notice_start",
    "已比对": "dept_check_date",
    "已备案": "filing_date",
    "已支付": "payment_date",
}
PAID = "已支付"
TERMINATED = "已终止"
CLOSED_STAGES = (PAID, TERMINATED)

#: The stages a filing needs before it (a payment needs these and the filing).
REQUIRED_BEFORE_FILING: tuple[str, ...] = ("survey_date", "notice_start", "notice_end", "dept_check_date")
#: Columns of ``judge_relief``.
JUDGED_COLUMNS: tuple[str, ...] = (
    "spent", "group", "status", "reasons", "allowed", "detail", "counted", "earlier_cases",
    "total_relief", "total_spent", "total_allowed", "total_detail",
)

#: Pairs reported by their own codes, not as ``date_order``.
_OWN_CODE_PAIRS = {("notice_end", "filing_date"), ("filing_date", "payment_date")}
#: Money compared to the cent; a table amount rounded to the yuan is not a problem.
_MONEY_TOLERANCE = 0.005


def header(key: str) -> str:
    return CASES.column(key).header


def _timestamp(day: dt.date) -> pd.Timestamp:
    return pd.Timestamp(day).normalize()


# -- the checks -------------------------------------------------------------------

def stage_dates(cases: pd.DataFrame) -> pd.DataFrame:
    """The seven stage dates as datetime64 columns (NaT where empty)."""
    return pd.DataFrame({key: as_dates(cases, key) for key in STAGE_DATES}, index=cases.index)


def order_findings(cases: pd.DataFrame, dates: pd.DataFrame | None = None) -> pd.DataFrame:
    """``date_order``: a stage date earlier than the nearest earlier filled stage date."""
    dates = stage_dates(cases) if dates is None else dates
    parts = []
    # Walk the stages once, carrying the nearest earlier filled date and its column.
    prev_date = dates[STAGE_DATES[0]].copy()
    prev_key = pd.Series(np.where(prev_date.notna(), STAGE_DATES[0], ""), index=cases.index)
    for key in STAGE_DATES[1:]:
        current = dates[key]
        wrong = current.notna() & prev_date.notna() & (current < prev_date)
        for earlier in pd.unique(prev_key[wrong]):
            if (earlier, key) in _OWN_CODE_PAIRS:
                continue
            sel = wrong & (prev_key == earlier)
            def messages(at, key=key, earlier=earlier, current=current, prev_date=prev_date):
                return (f"{header(key)} " + day_text(at(current)) + f" 早于{header(earlier)} "
                        + day_text(at(prev_date)) + "：各环节应按程序顺序办理，请核对日期后更正。")
            parts.append(make_findings(sel, "date_order", ERROR, key, messages))
        filled = current.notna()
        prev_date = prev_date.where(~filled, current)
        prev_key = prev_key.where(~filled, key)
    return concat_findings(parts)


def notice_findings(cases: pd.DataFrame, policy: Policy, dates: pd.DataFrame | None = None
                    ) -> pd.DataFrame:
    """``notice_too_short``: fewer than ``policy.notice_days`` natural days, both ends counted."""
    dates = stage_dates(cases) if dates is None else dates
    start, end = dates["notice_start"], dates["notice_end"]
    days = (end - start).dt.days + 1
    # An end before the start is a date_order problem, not a short notice.
    short = start.notna() & end.notna() & (end >= start) & (days < policy.notice_days)
    def messages(at):
        return ("公示 " + day_text(at(start)) + " 至 " + day_text(at(end)) + " 共 "
                + at(days).astype("Int64").astype(str) + f" 天，少于规定的 {policy.notice_days} 天"
                "（首尾两天都计入）：请延长公示期或核对日期。")
    return make_findings(short, "notice_too_short", ERROR, "notice_end", messages)


def filing_findings(cases: pd.DataFrame, dates: pd.DataFrame | None = None) -> pd.DataFrame:
    """``filing_before_notice``: filed before the notice ended (same day is accepted)."""
    dates = stage_dates(cases) if dates is None else dates
    filing, notice_end = dates["filing_date"], dates["notice_end"]
    early = filing.notna() & notice_end.notna() & (filing < notice_end)
    def messages(at):
        return (f"{header('filing_date')} " + day_text(at(filing)) + f" 早于{header('notice_end')} "
                + day_text(at(notice_end)) + "：应在公示期满、无异议后再备案，请核对。")
    return make_findings(early, "filing_before_notice", ERROR, "filing_date", messages)


def payment_findings(cases: pd.DataFrame, dates: pd.DataFrame | None = None) -> pd.DataFrame:
    """``payment_before_filing``: paid before filing, or paid with no filing date at all."""
    dates = stage_dates(cases) if dates is None else dates
    payment, filing = dates["payment_date"], dates["filing_date"]
    before = payment.notna() & filing.notna() & (payment < filing)
    without = payment.notna() & filing.isna()
    def messages(at):
        paid, filed = day_text(at(payment)), day_text(at(filing))
        return np.where(
            at(before),
            f"{header('payment_date')} " + paid + f" 早于{header('filing_date')} "
            + filed + "：应先向防贫机构备案再支付，请核对。",
            f"已填写{header('payment_date')} " + paid
            + f"，但未填写{header('filing_date')}：应先向防贫机构备案再支付，请补填备案日期或核对。",
        )
    return make_findings(before | without, "payment_before_filing", ERROR, "payment_date", messages)


def skipped_findings(cases: pd.DataFrame, dates: pd.DataFrame | None = None) -> pd.DataFrame:
    """``stage_skipped``: filed or paid while an earlier required stage has no date.

    Reported once per case: on 备案日期 when the case is filed, else on 支付日期
    (a payment without a filing date is also ``payment_before_filing``).
    """
    dates = stage_dates(cases) if dates is None else dates
    filing, payment = dates["filing_date"], dates["payment_date"]
    missing = pd.DataFrame({key: dates[key].isna() for key in REQUIRED_BEFORE_FILING})
    any_missing = missing.any(axis=1)
    on_filing = filing.notna() & any_missing
    on_payment = payment.notna() & filing.isna() & any_missing

    def names(at):
        parts = [np.where(at(missing[key]), header(key), "") for key in REQUIRED_BEFORE_FILING]
        return pd.Series(["、".join(p for p in row if p) for row in zip(*parts, strict=True)],
                         index=at(filing).index, dtype=object)

    return concat_findings([
        make_findings(
            on_filing, "stage_skipped", ERROR, "filing_date",
            lambda at: f"已填写{header('filing_date')} " + day_text(at(filing)) + "，但未填写" + names(at)
            + "：备案前须完成入户查勘、村级评议公示和部门比对，请补填漏填的日期；确未办理的，应补办后再备案。",
        ),
        make_findings(
            on_payment, "stage_skipped", ERROR, "payment_date",
            lambda at: f"已填写{header('payment_date')} " + day_text(at(payment)) + "，但未填写" + names(at)
            + "：支付前须完成入户查勘、村级评议公示、部门比对和备案，请补填漏填的日期；确未办理的，应补办后再支付。",
        ),
    ])


def relief_findings(cases: pd.DataFrame, policy: Policy, judged: pd.DataFrame | None = None
                    ) -> pd.DataFrame:
    """``relief_above_cap``, ``relief_ineligible``, ``relief_above_table``, ``relief_total_above_table``.

    ``judged`` is ``judge_relief`` of the same cases (aligned with them);
    without it only the overall cap is checked. A case above the cap is
    reported only as ``relief_above_cap``; a case judged 不符合 or 资料不全 only
    as ``relief_ineligible``; the cumulative check only where no single-case
    check reported the case.
    """
    amount = as_numbers(cases, "relief_amount")
    cap = float(policy.max_relief)
    above_cap = amount.notna() & (amount > cap + _MONEY_TOLERANCE)
    parts = [
        make_findings(
            above_cap, "relief_above_cap", ERROR, "relief_amount",
            lambda at: "救助金额 " + number_texts(at(amount))
            + f" 元，超过单案救助上限 {number_text(cap)} 元：请核减至上限以内。",
        )
    ]
    if judged is None:
        return concat_findings(parts)
    judged = judged.reindex(cases.index)
    status = judged["status"].fillna("")
    window = window_text(cases, policy)
    ineligible = amount.notna() & (amount > _MONEY_TOLERANCE) & status.isin(
        (rules.STATUS_INELIGIBLE, rules.STATUS_INCOMPLETE)) & ~above_cap
    kind = as_text(cases, "kind")

    def ineligible_messages(at):
        incomplete = at(status) == rules.STATUS_INCOMPLETE
        return ("救助金额 " + number_texts(at(amount)) + " 元，但按" + at(window) + "的支出，本户“"
                + at(kind) + "”救助判定为" + at(status) + "（" + at(judged["reasons"]).astype(str) + "）"
                + pd.Series(np.where(incomplete, "：资料不全的应先补全户信息、核实资格后再救助，请核对。",
                                     "：不符合条件的不应给予救助，请核对支出记录和户信息，或终止案件。"),
                            index=at(status).index))

    parts.append(make_findings(ineligible, "relief_ineligible", ERROR, "relief_amount",
                               ineligible_messages))
    allowed = pd.to_numeric(judged["allowed"], errors="coerce").astype("float64")
    above = (amount.notna() & allowed.notna() & (amount > allowed + _MONEY_TOLERANCE)
             & ~above_cap & ~ineligible)
    detail = judged["detail"].fillna("").astype(str)
    parts.append(make_findings(
        above, "relief_above_table", ERROR, "relief_amount",
        lambda at: "救助金额 " + number_texts(at(amount)) + " 元，超过按本县救助分档计算的 "
        + number_texts(at(allowed)) + " 元（" + at(detail) + "）：请按救助标准核对金额。",
    ))
    total = pd.to_numeric(judged["total_relief"], errors="coerce").astype("float64")
    total_allowed = pd.to_numeric(judged["total_allowed"], errors="coerce").astype("float64")
    earlier = judged["earlier_cases"].fillna("").astype(str)
    over_total = (total.notna() & total_allowed.notna() & (total > total_allowed + _MONEY_TOLERANCE)
                  & (earlier != "") & judged["counted"].fillna(False).astype(bool)
                  & ~above_cap & ~ineligible & ~above)
    parts.append(make_findings(
        over_total, "relief_total_above_table", ERROR, "relief_amount",
        lambda at: "本户“" + at(kind) + "”救助累计 " + number_texts(at(total)) + " 元（本案 "
        + number_texts(at(amount)) + " 元，此前" + at(earlier) + "），超过按累计支出计算的 "
        + number_texts(at(total_allowed)) + " 元（" + at(judged["total_detail"]).astype(str)
        + "）：同一户同类多次救助，合计不得超过按合计支出计算的金额，请核减本案金额。",
    ))
    return concat_findings(parts)


def window_text(cases: pd.DataFrame, policy: Policy) -> pd.Series:
    """"发现日期 2020-06-10 前12个月" for each case (the window it is judged by)."""
    found = day_text(as_dates(cases, "found_date"))
    return f"{header('found_date')} " + found + f" 前{policy.spending_window_months}个月"



def deadline_findings(cases: pd.DataFrame, policy: Policy, check_date: dt.date,
                      dates: pd.DataFrame | None = None,
                      deadlines: pd.Series | None = None) -> pd.DataFrame:
    """``deadline_passed``: paid after the deadline, or still open past it on the check date.

    ``deadlines`` (aligned with ``cases``) is ``derive.derive_cases``' deadline
    column; without it the same deadline is computed here.

    A late payment is reported on the 支付日期 cell; an open case on its 状态
    cell (the thing to bring up to date).
    """
    dates = stage_dates(cases) if dates is None else dates
    found, payment = dates["found_date"], dates["payment_date"]
    due = (add_workdays_series(found, policy.deadline_days, policy=policy)
           if deadlines is None else as_dates(pd.DataFrame({"d": deadlines}), "d"))
    stage = as_text(cases, "stage")
    check = _timestamp(check_date)
    unit = "个自然日" if policy.deadline_mode == CALENDAR_MODE else "个工作日"
    paid_late = payment.notna() & due.notna() & (payment > due)
    still_open = (payment.isna() & ~stage.isin(CLOSED_STAGES) & due.notna() & (due < check))

    def period(at):
        return f"（{header('found_date')} " + day_text(at(found)) + f" 起 {policy.deadline_days} {unit}）"

    return concat_findings([
        make_findings(
            paid_late, "deadline_passed", ERROR, "payment_date",
            lambda at: f"{header('payment_date')} " + day_text(at(payment)) + " 晚于办结时限 "
            + day_text(at(due)) + period(at) + "：程序超期，请核实原因并在备注中说明。",
        ),
        make_findings(
            still_open, "deadline_passed", ERROR, "stage",
            lambda at: "办结时限 " + day_text(at(due)) + period(at)
            + f"已过，核查基准日 {check.date().isoformat()} 仍未支付或终止：请尽快办结，或更新状态和各环节日期。",
        ),
    ])


def stage_findings(cases: pd.DataFrame, dates: pd.DataFrame | None = None) -> pd.DataFrame:
    """``stage_mismatch`` (warning): the 状态 label does not match the filled dates.

    The expected label is that of the latest filled stage date. 已终止 fits
    any dates except a payment date. An empty or unknown label is left to the
    required / choice checks.
    """
    dates = stage_dates(cases) if dates is None else dates
    stage = as_text(cases, "stage")
    latest = pd.Series("", index=cases.index, dtype=object)
    for key in STAGE_DATES:
        latest = latest.where(dates[key].isna(), key)
    expected = latest.map(DATE_STAGE).fillna("")
    rank = stage.map(STAGE_RANK)
    expected_rank = expected.map(STAGE_RANK)
    label_ahead = rank.notna() & (expected_rank.isna() | (rank > expected_rank))
    label_behind = rank.notna() & expected_rank.notna() & (rank < expected_rank)
    terminated_paid = (stage == TERMINATED) & dates["payment_date"].notna()

    headers = {key: header(key) for key in STAGE_DATES}

    def messages(at):
        label = at(stage)
        needed_header = label.map(STAGE_DATE).map(headers).fillna("")
        latest_header = at(latest).map(headers).fillna("")
        ahead_text = ("状态为“" + label + "”，但未填写" + needed_header
                      + "：请补填该环节日期，或把状态改回实际进度。")
        behind_text = ("已填写" + latest_header + "，状态应为“" + at(expected) + "”，现为“" + label
                       + "”：请更新状态。")
        texts = pd.Series(np.where(at(label_ahead), ahead_text, behind_text), index=label.index)
        return texts.where(
            ~at(terminated_paid),
            f"状态为“已终止”，但已填写{header('payment_date')}：请核对案件是否已支付。",
        )

    mask = label_ahead | label_behind | terminated_paid
    return make_findings(mask, "stage_mismatch", WARNING, "stage", messages)


def judge_relief(cases: pd.DataFrame, households: pd.DataFrame, spending: pd.DataFrame | None, *,
                 policy: Policy, case_keys: pd.Series | None = None,
                 household_keys: pd.Series | None = None,
                 spending_keys: pd.Series | None = None) -> pd.DataFrame:
    """How each case's relief is judged (see the module docstring), aligned with ``cases``.

    ``households`` has ``household_no``, ``group`` and ``income_per_capita``
    (a duplicated 户编号 is reported elsewhere; its first row is used);
    ``spending`` is the 支出 frame. The ``*_keys`` are ``keys.match_keys`` of
    the three 户编号 columns when the caller has them already. Columns
    (``JUDGED_COLUMNS``): ``spent`` (the case window's spending of its kind),
    ``group``, ``status`` and ``reasons`` (``rules``, that kind alone),
    ``allowed`` (the table amount) and ``detail`` (how), ``counted`` (its
    relief counts towards the household's total), ``earlier_cases`` (text:
    the earlier counted cases of its chain, for a case whose chain is above
    the table so far; "" otherwise), ``total_relief``,
    ``total_spent``, ``total_allowed`` and ``total_detail`` (the chain so far).
    NaN / "" where a case cannot be judged.
    """
    from .relief import payout_series

    index = cases.index
    out = pd.DataFrame({
        "spent": np.nan, "group": "", "status": "", "reasons": "", "allowed": np.nan, "detail": "",
        "counted": False, "earlier_cases": "", "total_relief": np.nan, "total_spent": np.nan,
        "total_allowed": np.nan, "total_detail": "",
    }, index=index, columns=list(JUDGED_COLUMNS))
    if not len(cases) or "household_no" not in households.columns:
        return out
    case_keys = match_keys(cases["household_no"]) if case_keys is None else case_keys
    household_keys = match_keys(households["household_no"]) if household_keys is None else household_keys
    first = household_keys.notna().to_numpy(dtype=bool) & ~household_keys.duplicated().to_numpy()
    table = households[first].set_axis(household_keys[first].to_numpy(dtype=object))
    rows = table.index.get_indexer(case_keys.to_numpy(dtype=object))
    known = rows >= 0
    kind = as_text(cases, "kind")
    found = as_dates(cases, "found_date")
    usable = pd.Series(known, index=index) & kind.isin(tuple(KIND_FIELDS)) & found.notna()
    if not usable.any():
        return out

    def take(column: str) -> np.ndarray:
        out = np.full(len(rows), None, dtype=object)
        if column in table.columns:
            out[known] = table[column].to_numpy(dtype=object)[rows[known]]
        return out

    group = pd.Series(take("group"), index=index, dtype=object)
    income = pd.Series(take("income_per_capita"), index=index, dtype=object)
    events = spending_events(spending, spending_keys)
    months = policy.spending_window_months
    start = add_months_series(found, -months)
    spent = window_sums(events, case_keys.where(usable), kind, start, found)
    sel = usable.to_numpy()
    out.loc[sel, "spent"] = spent[sel]
    out.loc[sel, "group"] = as_text(pd.DataFrame({"g": group}), "g")[sel]

    # Eligibility for this relief: the case's kind alone, with the household's group and income.
    u = cases.index[sel]
    judged = rules.check_households(pd.DataFrame({
        "group": group[u].to_numpy(dtype=object),
        "income_per_capita": income[u].to_numpy(dtype=object),
        **{field: np.where(kind[u] == name, spent[u], 0.0) for name, field in KIND_FIELDS.items()},
    }, index=u), policy)
    no_spending = (spent[u] == 0) & (judged["status"] == rules.STATUS_INELIGIBLE)
    out.loc[u, "status"] = judged["status"]
    out.loc[u, "reasons"] = judged["reasons"].where(~no_spending, kind[u] + "支出为 0 元")
    window = window_text(cases, policy)
    payable = usable & out["group"].isin(GROUPS)
    p = cases.index[payable.to_numpy()]
    if len(p):
        out.loc[p, "allowed"] = pd.to_numeric(
            payout_series(kind[p], spent[p], out.loc[p, "group"], policy=policy), errors="coerce")
        out.loc[p, "detail"] = (kind[p] + "，" + out.loc[p, "group"] + "，" + window[p] + kind[p]
                                + "支出 " + number_texts(spent[p]) + " 元")

    # Chains of one household's cases of one kind whose windows overlap, in discovery order.
    amount = as_numbers(cases, "relief_amount")
    counted = usable & amount.notna() & (amount > _MONEY_TOLERANCE) & (as_text(cases, "stage") != TERMINATED)
    if "case_no" in cases.columns:
        # A case number entered twice is one case (duplicate_case_no says so): its relief counts once.
        numbers = match_keys(cases["case_no"])
        counted &= ~(numbers.notna() & numbers.where(counted).duplicated())
    order = pd.DataFrame({
        "key": case_keys[usable], "kind": kind[usable], "found": found[usable], "start": start[usable],
        "position": np.flatnonzero(sel), "amount": amount[usable].where(counted[usable], 0.0).fillna(0.0),
        "counted": counted[usable].astype(np.int64),
    }).sort_values(["key", "kind", "found", "position"], kind="stable")
    same = (order["key"].eq(order["key"].shift()) & order["kind"].eq(order["kind"].shift())).to_numpy()
    previous = order["found"].shift()
    new_chain = ~same | (order["start"] >= previous).to_numpy()
    chain = np.cumsum(new_chain)
    order["chain_start"] = order["start"].groupby(chain).transform("first")
    order["total"] = order["amount"].groupby(chain).cumsum()
    order["prior"] = order["counted"].groupby(chain).cumsum() - order["counted"]
    rows_in_order = order.index
    total_spent = window_sums(events, order["key"], order["kind"], order["chain_start"], order["found"])
    out.loc[rows_in_order, "counted"] = counted[rows_in_order]
    chained = order.index[(order["prior"] > 0).to_numpy() & counted[rows_in_order].to_numpy()]
    if len(chained):
        out.loc[chained, "total_relief"] = order.loc[chained, "total"]
        out.loc[chained, "total_spent"] = total_spent[chained]
        payable_chained = chained[out.loc[chained, "group"].isin(GROUPS).to_numpy()]
        if len(payable_chained):
            out.loc[payable_chained, "total_allowed"] = pd.to_numeric(payout_series(
                kind[payable_chained], total_spent[payable_chained], out.loc[payable_chained, "group"],
                policy=policy), errors="coerce")
            first_day = day_text(order.loc[payable_chained, "chain_start"] + pd.Timedelta(days=1))
            out.loc[payable_chained, "total_detail"] = (
                first_day + " 至 " + day_text(found[payable_chained]) + " " + kind[payable_chained] + "支出 "
                + number_texts(total_spent[payable_chained]) + " 元")
        # The earlier counted cases of the chain, named for the cases above the table only (few).
        over = chained[(out.loc[chained, "total_relief"] > out.loc[chained, "total_allowed"]
                        + _MONEY_TOLERANCE).to_numpy()]
        case_no = as_text(cases, "case_no")
        numbered = order.assign(case_no=case_no[rows_in_order].to_numpy(), chain=chain)
        members = numbered.groupby("chain").indices
        for row in over:
            mine = numbered.iloc[members[numbered.at[row, "chain"]]]
            before = mine.iloc[: mine.index.get_loc(row)]
            before = before[before["counted"].to_numpy() == 1]
            out.at[row, "earlier_cases"] = (
                "案件 " + "、".join(before["case_no"].replace("", "（无编号）")) + " 共 "
                + number_text(float(before["amount"].sum())) + " 元")
    return out


def check_cases(cases: pd.DataFrame, *, policy: Policy, check_date: dt.date,
                judged: pd.DataFrame | None = None,
                deadlines: pd.Series | None = None) -> pd.DataFrame:
    """Every procedure check of this module, as one findings frame.

    ``judged`` is ``judge_relief`` of the cases (without it only the overall
    cap is checked); ``deadlines`` ``derive.derive_cases``' deadline column.
    """
    dates = stage_dates(cases)
    return concat_findings([
        order_findings(cases, dates),
        notice_findings(cases, policy, dates),
        filing_findings(cases, dates),
        payment_findings(cases, dates),
        skipped_findings(cases, dates),
        relief_findings(cases, policy, judged),
        deadline_findings(cases, policy, check_date, dates, deadlines),
        stage_findings(cases, dates),
    ])
