"""Follow-up visits (``followup``): households overdue by the calendar-quarter rule, problems left open."""

from __future__ import annotations

from .. import followup
from ..derive import VISIT_NOTE
from ..issues import Issue
from .context import Context
from .records import finding_issues
from .registry import check


@check("visit_overdue")
def visit_overdue(ctx: Context) -> list[Issue]:
    households, visits = ctx.sheet("households"), ctx.sheet("visits")
    if households is None or visits is None or ctx.households is None:
        return []
    # derive_households found each household's last visit already.
    due = followup.visit_due(households.frame, ctx.households["last_visit"], policy=ctx.policy,
                             check_date=ctx.check_date, household_keys=ctx.key("households"))
    # A 回访日期 of the household could not be read: its last visit is unknown (最近回访日期
    # shows 数据格式有误), not "never visited"; the date cell has its own issue.
    unread = ctx.households[VISIT_NOTE].notna().to_numpy(dtype=bool)
    due["overdue"] = due["overdue"].to_numpy(dtype=bool) & ~unread
    return finding_issues(ctx, households, followup.overdue_findings(
        households.frame, visits.frame, policy=ctx.policy, check_date=ctx.check_date, coverage=due,
    ))


@check("visit_problem_open")
def visit_problem_open(ctx: Context) -> list[Issue]:
    households, visits = ctx.sheet("households"), ctx.sheet("visits")
    if households is None or visits is None or ctx.households is None:
        return []
    return finding_issues(ctx, visits, followup.problem_findings(visits.frame, ctx.key("visits")))
