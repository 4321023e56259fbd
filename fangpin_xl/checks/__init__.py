"""Checking one workbook: ``check_workbook(data) -> CheckedWorkbook``.

The seam validate, merge, the ledgers and the Excel scripts share. Its input
is a read workbook from any source — a file (``workbook.read.read_workbook``),
the values of an open Excel book (``workbook.read.read_values``) — so
"校验本工作簿" in Excel and ``fangpin-xl validate`` find the same issues.

The checks are functions over a frozen ``Context`` (``context.prepare``
computes the policy basis, normalised keys and IDs and the derived columns
once), each registered with the issue codes it may raise
(``registry.check``); their modules, in the order they run: ``parameters``
(the 参数 sheet), ``cells``, ``duplicates``, ``rows``, ``display`` (what the sheet
shows against the rules), ``visits``, ``procedure``;
``CHECKS`` is the order they run in (issues of one cell keep that order).
"""

from __future__ import annotations

import datetime as dt

from ..policy import Policy
from ..workbook.read import WorkbookData
from . import cells, display, duplicates, parameters, procedure, rows, visits
from .context import Basis, CheckedWorkbook, Context, IdColumn, decide_basis, finish, prepare
from .duplicates import (
    Duplicate,
    Occurrence,
    cross_workbook_issues,
    duplicate_pairs,
    occurrences,
)
from .registry import Check, checks_of, run_checks

CHECKS: tuple[Check, ...] = checks_of([
    parameters.policy_invalid, parameters.policy_missing, parameters.policy_mismatch,
    parameters.check_date_invalid, parameters.check_date_mismatch,
    cells.coerced, cells.wrong_type, cells.required_missing, cells.negative_number,
    cells.not_in_choices, cells.id_numbers,
    cells.phone_invalid, cells.future_date, duplicates.duplicate_numbers, rows.unknown_sheets,
    rows.orphan_rows,
    duplicates.duplicate_ids, rows.household_size, rows.status_mismatch, display.display_mismatch,
    visits.visit_overdue, visits.visit_problem_open, procedure.procedure, procedure.calendar_fallback,
])

__all__ = [
    "Basis", "CHECKS", "Check", "CheckedWorkbook", "Context", "Duplicate", "IdColumn", "Occurrence",
    "check_workbook", "cross_workbook_issues", "decide_basis", "duplicate_pairs", "occurrences",
]


def check_workbook(data: WorkbookData, *, policy: Policy | None = None,
                   today: dt.date | None = None) -> CheckedWorkbook:
    """Every issue of one read workbook, with everything the checks computed.

    Rules use ``policy`` (the county's) when given, and then every 参数 row that
    differs from it is a ``policy_mismatch``; otherwise the workbook's own 参数
    sheet, or the defaults when it has none. The check date is the 参数
    sheet's 核查基准日, else 31 December of the policy year. ``today``
    (default: the current date) bounds dates and birth dates.
    """
    today = dt.date.today() if today is None else today
    context = prepare(data, policy, today)
    return finish(context, [*data.issues, *run_checks(CHECKS, context)])
