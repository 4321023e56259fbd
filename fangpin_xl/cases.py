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
* **Relief by the table** compares the amount with ``payout`` for the case's
  kind, the household's group and the household's spending of that kind
  (the 12-month sum of ``derive.derive_households``). A case whose household,
  group or spending is unknown is not compared (other checks report those).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from .columns import as_dates, as_numbers, as_text, day_text
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


def relief_findings(cases: pd.DataFrame, policy: Policy, allowed: pd.Series | None = None,
                    detail: pd.Series | None = None) -> pd.DataFrame:
    """``relief_above_cap`` and ``relief_above_table``.

    ``allowed`` (aligned with ``cases``) is the amount the payout table gives
    for each case, NaN where it cannot be computed; ``detail`` is optional
    text explaining it (kind, group, spending) for the message. A case above
    the overall cap is reported only as ``relief_above_cap``.
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
    if allowed is not None:
        allowed = pd.to_numeric(allowed.reindex(cases.index), errors="coerce").astype("float64")
        above = amount.notna() & allowed.notna() & (amount > allowed + _MONEY_TOLERANCE) & ~above_cap
        detail = None if detail is None else detail.reindex(cases.index)

        def messages(at):
            why = "" if detail is None else "（" + at(detail).fillna("").astype(str) + "）"
            return ("救助金额 " + number_texts(at(amount)) + " 元，超过按本县救助分档计算的 "
                    + number_texts(at(allowed)) + " 元" + why + "：请按救助标准核对金额。")
        parts.append(make_findings(above, "relief_above_table", ERROR, "relief_amount", messages))
    return concat_findings(parts)


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


def allowed_relief(cases: pd.DataFrame, households: pd.DataFrame, *, policy: Policy,
                   case_keys: pd.Series | None = None, household_keys: pd.Series | None = None
                   ) -> tuple[pd.Series, pd.Series]:
    """The payout-table amount for each case, and a text saying how it was computed.

    ``households`` is indexed by anything and has ``household_no``, ``group``
    and the spending columns (``medical`` … from ``derive_households``).
    NaN where the household, its group or the kind is unknown. ``case_keys`` /
    ``household_keys`` are ``keys.match_keys`` of the two 户编号 columns when
    the caller has them already.
    """
    from .relief import payout_series

    nan = pd.Series(np.nan, index=cases.index, dtype="float64")
    if "household_no" not in households.columns or "household_no" not in cases.columns \
            or not len(cases):
        return nan, pd.Series("", index=cases.index, dtype=object)
    if case_keys is None or household_keys is None:
        case_keys = match_keys(cases["household_no"])
        household_keys = match_keys(households["household_no"])
    keys = case_keys.to_numpy(dtype=object)
    # A duplicated household number is reported elsewhere; its first row is used here.
    first = household_keys.notna().to_numpy(dtype=bool) & ~household_keys.duplicated().to_numpy()
    table = households[first].set_axis(household_keys[first].to_numpy(dtype=object))
    rows = table.index.get_indexer(keys)
    found = rows >= 0
    kind = as_text(cases, "kind")
    group = pd.Series(np.where(found, as_text(table, "group").to_numpy(dtype=object)[rows], ""),
                      index=cases.index, dtype=object)
    spent = nan.copy()
    for kind_name, field in KIND_FIELDS.items():
        if field in table.columns:
            values = pd.to_numeric(table[field], errors="coerce").to_numpy(dtype="float64")
            sel = (kind == kind_name).to_numpy() & found
            spent[sel] = values[rows[sel]]
    usable = spent.notna() & group.isin(GROUPS) & kind.isin(tuple(KIND_FIELDS))
    allowed = nan.copy()
    detail = pd.Series("", index=cases.index, dtype=object)
    if usable.any():
        result = payout_series(kind[usable], spent[usable], group[usable], policy=policy)
        allowed[usable] = pd.to_numeric(pd.Series(result, index=kind[usable].index), errors="coerce")
        detail[usable] = (kind[usable] + "，" + group[usable] + "，近" + str(policy.spending_window_months)
                          + "个月" + kind[usable] + "支出 " + number_texts(spent[usable]) + " 元")
    return allowed, detail


def check_cases(cases: pd.DataFrame, *, policy: Policy, check_date: dt.date,
                allowed: pd.Series | None = None, detail: pd.Series | None = None,
                deadlines: pd.Series | None = None) -> pd.DataFrame:
    """Every procedure check of this module, as one findings frame."""
    dates = stage_dates(cases)
    return concat_findings([
        order_findings(cases, dates),
        notice_findings(cases, policy, dates),
        filing_findings(cases, dates),
        payment_findings(cases, dates),
        relief_findings(cases, policy, allowed, detail),
        deadline_findings(cases, policy, check_date, dates, deadlines),
        stage_findings(cases, dates),
    ])
