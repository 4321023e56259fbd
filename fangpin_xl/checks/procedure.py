"""The relief procedure on 救助 (``cases``): order, skipped stages, notice, filing, payment, amounts, deadline."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from .. import cases as case_checks
from ..columns import as_dates
from ..issues import Issue, issue
from ..workdays import calendar_warnings
from .context import Context
from .records import finding_issues
from .registry import check


@check("date_order", "notice_too_short", "filing_before_notice", "payment_before_filing",
       "stage_skipped", "relief_above_cap", "relief_ineligible", "relief_above_table",
       "relief_total_above_table", "deadline_passed", "stage_mismatch")
def procedure(ctx: Context) -> list[Issue]:
    """Each case is judged by the spending of the window ending at its discovery date.

    Without a 监测户 or a 支出 sheet the relief is compared with the overall cap only.
    """
    sd = ctx.sheet("cases")
    if sd is None or not len(sd.frame) or ctx.cases is None:
        return []
    findings = case_checks.check_cases(
        sd.frame, policy=ctx.policy, check_date=ctx.check_date, judged=ctx.judged,
        deadlines=ctx.cases["deadline"],
    )
    return finding_issues(ctx, sd, findings)


@check("calendar_fallback")
def calendar_fallback(ctx: Context) -> list[Issue]:
    """Years a deadline was counted through whose holidays the calendar does not know."""
    sd = ctx.sheet("cases")
    if sd is None or not len(sd.frame) or ctx.cases is None:
        return []
    found = as_dates(sd.frame, "found_date")
    spans = pd.DataFrame({"start": found.dt.year, "end": ctx.cases["deadline"].dt.year}).dropna().astype(int)
    years = sorted({y for a, b in spans.drop_duplicates().itertuples(index=False) for y in range(a, b + 1)})
    return [
        issue("calendar_fallback", ctx.file, sd.name, message=text)
        for year in years
        for text in calendar_warnings(dt.date(year, 1, 1), dt.date(year, 12, 31), policy=ctx.policy)
    ]
