"""The work on one township workbook, in a worker process: read, check, take rows, spill.

A row is taken into the county sheets unless it has no key — 户编号 (案件编号
and 户编号 on 救助) — or its 户编号 is not on the same workbook's 监测户 (an
*orphan*: the county cannot tell whose row it is). Such rows go to 未入库 with
their source and reason. Taken rows keep, as text, what a township typed where
the reader found no value of the column's type; the computed columns are the
check's derived values. The taken rows go back through a pickle file in the
merge's temporary folder, so the main process holds one township's sheet at a
time while writing.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import hashlib
import math
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import followup
from ..checks import CheckedWorkbook, check_workbook, occurrences
from ..columns import as_dates, as_text, day_text, excel_numbers
from ..derive import default_check_date, shown_cases, shown_households
from ..errors import FangpinError, os_reason
from ..issues import CODES, MAX_VALUE_CHARS, Issue, count_by_severity
from ..policy import GROUPS, Policy, policy_differences
from ..rules import STATUS_ELIGIBLE
from ..schema import (
    CASE_STAGES,
    CHECK_DATE_KEY,
    ID,
    SHEETS,
    SHEETS_BY_KEY,
    TEXT_TYPES,
    YESNO,
    Sheet,
)
from ..text import cell_text, redact, shorten, text_mask
from ..workbook.discover import open_in_office
from ..workbook.read import SheetData, read_workbook
from ..workdays import workdays_between_series
from .model import (
    MERGED,
    OTHER_KEY,
    REASON_NO_CASE_NO,
    REASON_NO_HOUSEHOLD_NO,
    REASON_NO_HOUSEHOLDS,
    REASON_ORPHAN,
    REASON_OTHER_SHEET,
    SKIP_COUNTY,
    SKIP_NOT_TOWNSHIP,
    SKIPPED,
    SOURCES_SHEET,
    SUMMARY_SHEET,
    UNREADABLE,
    FileReport,
    SheetCount,
    TownshipRow,
)

#: Characters of a rejected row's content kept in 未入库.
_MAX_CONTENT = 400
#: Issues of this area (``issues.CODES``) that are errors go to 逾期与违规.
PROCEDURE_AREA = "程序"


@dataclass
class Task:
    index: int
    path: Path
    spill: Path
    county_policy: Policy
    #: The policy the checks use (None: each workbook's own 参数 sheet).
    check_policy: Policy | None
    today: dt.date | None


@dataclass
class SheetPart:
    key: str
    name: str
    rows: int
    extras: list[str]
    #: Pickle of the taken rows (columns: schema keys, then extras; index: Excel row).
    spill: Path | None


@dataclass
class Outcome:
    report: FileReport
    issues: list[Issue] = field(default_factory=list)
    parts: dict[str, SheetPart] = field(default_factory=dict)
    #: (sheet name, row, 户编号, 案件编号, reason, content) per rejected row.
    rejected: list[tuple] = field(default_factory=list)
    #: ``violation_rows``: one row per procedure error on 救助 (逾期与违规).
    violations: list[tuple] = field(default_factory=list)
    stats: TownshipRow | None = None
    #: ``checks.occurrences`` with a ``township`` column: for duplicates across workbooks.
    occurrences: pd.DataFrame | None = None
    sheet_names: list[str] = field(default_factory=list)
    read_seconds: float = 0.0
    check_seconds: float = 0.0

    def count_issues(self) -> None:
        counts = count_by_severity(self.issues)
        self.report.errors, self.report.warnings = counts["error"], counts["warning"]
        if self.stats is not None:
            self.stats.errors, self.stats.warnings = self.report.errors, self.report.warnings


def die_with_parent(parent: int) -> None:
    """A worker's initializer: exit when the merge that started it is gone (even if killed).

    On Linux the kernel does it (PR_SET_PDEATHSIG); elsewhere a watcher thread
    notices that the parent changed.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes
            import signal

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="fangpin-parent-watch", daemon=True).start()


def failure_reason(name: str, step: str, exc: BaseException) -> str:
    """Why a file could not be merged after an unexpected error: the error's type only (its
    text is English and may quote a cell, an ID number among them)."""
    return f"{name}：{step}时出错（技术信息：{type(exc).__name__}），请把该文件发给技术支持。"


def hash_file(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def process(task: Task) -> Outcome:
    """Read, check and prepare one workbook; every failure becomes the file's status."""
    report = FileReport(path=task.path)
    outcome = Outcome(report)
    started = time.perf_counter()
    try:
        report.size, report.sha256 = hash_file(task.path)
        data = read_workbook(task.path)
    except FangpinError as exc:
        report.status, report.reason = UNREADABLE, str(exc)
        return outcome
    except OSError as exc:
        report.status = UNREADABLE
        report.reason = f"{report.name}：无法打开文件，{os_reason(exc)}"
        return outcome
    except Exception as exc:  # noqa: BLE001 - one bad file must not stop the county
        report.status = UNREADABLE
        report.reason = failure_reason(report.name, "读取", exc)
        return outcome
    outcome.read_seconds = time.perf_counter() - started
    started = time.perf_counter()
    try:
        if {SUMMARY_SHEET, SOURCES_SHEET} <= set(data.sheet_names):
            report.status, report.reason = SKIPPED, SKIP_COUNTY
        elif not data.sheets:
            report.status, report.reason = SKIPPED, SKIP_NOT_TOWNSHIP
        else:
            prepare(task, check_workbook(data, policy=task.check_policy, today=task.today), outcome)
    except FangpinError as exc:
        report.status, report.reason = UNREADABLE, str(exc)
    except Exception as exc:  # noqa: BLE001
        report.status = UNREADABLE
        report.reason = failure_reason(report.name, "检查", exc)
    outcome.check_seconds = time.perf_counter() - started
    return outcome


def prepare(task: Task, checked: CheckedWorkbook, outcome: Outcome) -> None:
    report = outcome.report
    data = checked.data
    report.status = MERGED
    outcome.issues = [*open_in_office(task.path), *checked.issues]
    outcome.sheet_names = list(data.sheet_names)
    report.township = township_of(checked)
    report.check_date = checked.check_date
    compare_policy(report, data.policy_values, task.county_policy)

    households = data.sheets.get("households")
    known: pd.Index | None = None
    taken: dict[str, pd.DataFrame] = {}
    for spec in SHEETS:
        sd = data.sheets.get(spec.key)
        if sd is None:
            continue
        report.sheet_names[spec.key] = sd.name
        reasons = _reasons(checked, sd, known, households.name if households is not None else "")
        bad = ~pd.isna(reasons)
        if bad.any():
            outcome.rejected += rejected_rows(sd, sd.frame[bad], reasons[bad])
        keep = restore_failures(sd, sd.frame[~bad])
        taken[spec.key] = keep
        report.rows[spec.key] = SheetCount(len(sd.frame), len(keep), int(bad.sum()))
        if spec.key == "households":
            known = pd.Index(checked.key("households")[~bad].dropna().unique())
    for spec in SHEETS:
        report.rows.setdefault(spec.key, SheetCount())
    others = [(name, row) for name, rows in data.other_sheets.items() for row in rows]
    report.rows[OTHER_KEY] = SheetCount(len(others), 0, len(others))
    outcome.rejected += [(name, row.row, "", "", REASON_OTHER_SHEET.format(sheet=name), redact(row.content))
                         for name, row in others]

    # Computed columns, as values: what the checks derived (a note where a cell could not be read).
    if "households" in taken and checked.households is not None:
        hh = taken["households"]
        derived = shown_households(checked.households.loc[hh.index])
        for column in SHEETS_BY_KEY["households"].computed_columns:
            hh[column.key] = derived[column.key].to_numpy()
    if "cases" in taken and checked.cases is not None:
        cs = taken["cases"]
        derived = shown_cases(checked.cases.loc[cs.index])
        cs["deadline"] = derived["deadline"].to_numpy()
        cs["days_left"] = derived["days_left"].astype("float64").to_numpy()

    outcome.stats = stats(report, taken, checked)
    outcome.violations = violation_rows(checked)
    found = occurrences(checked)
    outcome.occurrences = found.assign(township=report.township)

    for spec in SHEETS:
        if spec.key not in taken:
            continue
        frame = normalise(spec, taken[spec.key])
        sd = data.sheets[spec.key]
        spill = None
        if len(frame):
            spill = task.spill / f"{task.index:05d}-{spec.key}.pkl"
            frame.to_pickle(spill, compression=None)
        outcome.parts[spec.key] = SheetPart(spec.key, sd.name, len(frame), list(sd.extras), spill)


def _reasons(checked: CheckedWorkbook, sd: SheetData, known: pd.Index | None,
             households_name: str) -> np.ndarray:
    """Why each row is not taken (None where it is)."""
    key = sd.spec.key
    reasons = np.full(len(sd.frame), None, dtype=object)
    no_house = checked.key(key).isna().to_numpy()
    if key == "cases":
        no_case = checked.key("cases", "case_no").isna().to_numpy()
        reasons[no_case] = REASON_NO_CASE_NO
        reasons[~no_case & no_house] = REASON_NO_HOUSEHOLD_NO
    else:
        reasons[no_house] = REASON_NO_HOUSEHOLD_NO
    if key != "households":
        if known is None:
            reasons[~no_house & pd.isna(reasons)] = REASON_NO_HOUSEHOLDS
        else:
            orphan = ~no_house & ~checked.key(key).isin(known).to_numpy()
            reasons[orphan & pd.isna(reasons)] = REASON_ORPHAN.format(sheet=households_name)
    return reasons


def violation_rows(checked: CheckedWorkbook) -> list[tuple]:
    """逾期与违规 rows: every procedure error on 救助, with its case and the cell to fix.

    (案件编号, 户编号, 救助类别, 状态, 发现日期, 办结时限, 超期天数, 问题, 说明,
    来源工作表, 单元格, 来源行). 超期天数 counts in the deadline's unit: for a
    case still open, from the deadline to the check date; for a late
    payment, from the deadline to the payment; empty when the case is not
    late. Dates as ISO text.
    """
    sd = checked.sheet("cases")
    if sd is None or checked.cases is None:
        return []
    found = [i for i in checked.issues if i.sheet == sd.name and i.is_error and i.row is not None
             and CODES[i.code].area == PROCEDURE_AREA]
    if not found:
        return []
    frame = sd.frame
    deadline = checked.cases["deadline"]
    payment = as_dates(frame, "payment_date")
    late_paid = workdays_between_series(deadline, payment, policy=checked.policy)
    days_left = pd.to_numeric(checked.cases["days_left"], errors="coerce")
    over = pd.Series(np.nan, index=frame.index)
    over[days_left < 0] = -days_left[days_left < 0]
    paid_late = payment.notna() & (pd.to_numeric(late_paid, errors="coerce") > 0)
    over[paid_late] = pd.to_numeric(late_paid[paid_late], errors="coerce")
    texts = {key: as_text(frame, key) for key in ("case_no", "household_no", "kind", "stage")}
    found_day = day_text(as_dates(frame, "found_date"))
    due = day_text(as_dates(pd.DataFrame({"d": deadline}), "d"))
    rows = []
    # A loop over the flagged cells only.
    for item in found:
        r = item.row
        days = over.get(r)
        rows.append((
            texts["case_no"][r], texts["household_no"][r], texts["kind"][r], texts["stage"][r],
            found_day[r], due[r], None if days is None or pd.isna(days) else int(days),
            item.title, item.message, sd.name, item.cell, r,
        ))
    return rows


def township_of(checked: CheckedWorkbook) -> str:
    """The township most 监测户 rows name, else the file name."""
    households = checked.sheet("households")
    if households is not None and len(households.frame):
        values = households.frame["township"].dropna()
        values = [str(v).strip() for v in values if str(v).strip()]
        if values:
            return collections.Counter(values).most_common(1)[0][0]
    return checked.data.path.stem


def compare_policy(report: FileReport, values, county: Policy) -> None:
    if values is None:
        return
    report.policy_found = True
    year = values.get("year")
    try:
        report.policy_year = int(float(year)) if year not in (None, "") else None
    except (TypeError, ValueError):
        report.policy_year = None
    diffs = [d for d in policy_differences(county, values) if d[0] != "county" or county.given("county")]
    # A township's own 核查基准日 moves its spending windows and days left off the county's.
    expected_date = default_check_date(county)
    found_date = values.get(CHECK_DATE_KEY)
    if isinstance(found_date, dt.date) and found_date != expected_date:
        diffs.append((CHECK_DATE_KEY, "核查基准日", expected_date, found_date))
    report.policy_matches = not diffs
    report.policy_differences = [
        f"{label}：{shorten(cell_text(found), MAX_VALUE_CHARS) or '（空）'}（全县 {cell_text(expected)}）"
        for _key, label, expected, found in diffs
    ]


def rejected_rows(sd: SheetData, frame: pd.DataFrame, reasons: np.ndarray) -> list[tuple]:
    """未入库 records: the row's place, its keys, the reason and what it held."""
    headers = {c.key: c.header for c in sd.spec.columns}
    labels = [(key, headers.get(key, key)) for key in frame.columns]
    out = []
    # A loop over the rejected rows only.
    for (row, values), reason in zip(frame.iterrows(), reasons, strict=True):
        parts = []
        for key, label in labels:
            text = cell_text(values[key]) if not isinstance(values[key], str) else values[key]
            if text.strip():
                parts.append(f"{label}：{text}")
        content = redact("；".join(parts))
        if len(content) > _MAX_CONTENT:
            content = content[:_MAX_CONTENT] + "…"
        house = cell_text(values.get("household_no"))
        case = cell_text(values.get("case_no")) if "case_no" in frame.columns else ""
        out.append((sd.name, int(row), house, case, reason, content))
    return out


def restore_failures(sd: SheetData, frame: pd.DataFrame) -> pd.DataFrame:
    """Put back, as text, what a township typed where the reader found no value of the type."""
    return sd.with_failures(frame)


def normalise(spec: Sheet, frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns as str / None, extras as values xlsxwriter writes as they are; an ID
    number's check character x as X (the county workbook and the history store it so)."""
    out = {}
    for column in spec.columns:
        values = frame[column.key]
        if column.type in TEXT_TYPES or column.type == YESNO:
            arr = values.to_numpy(dtype=object, copy=True)
            missing = pd.isna(arr)
            text = ~missing & text_mask(values)
            other = ~missing & ~text
            if other.any():
                arr[other] = [cell_text(v) for v in arr[other]]
            if column.type == ID and text.any():
                arr[text] = pd.Series(arr[text], dtype=object).str.replace(
                    r"[xｘ](\s*)$", r"X\1", regex=True).to_numpy(dtype=object)
            arr[missing] = None
            out[column.key] = arr
        else:
            out[column.key] = values
    for extra in frame.columns[len(spec.columns):]:
        out[extra] = raw_values(frame[extra].to_numpy(dtype=object))
    return pd.DataFrame(out, index=frame.index, columns=list(frame.columns))


#: What an extra column's infinite number is written as (Excel shows a number out of range so).
NOT_A_NUMBER = "#NUM!"


def raw_values(values: np.ndarray) -> np.ndarray:
    """Values of a column outside the schema: str, float, bool, datetime, or None. A number
    beyond a double ("1.797693134862316E+308" reads as inf) is Excel's #NUM! as text: no cell
    holds it, and xlsxwriter refuses it."""
    out = np.array(values, dtype=object, copy=True)  # a writable copy, whatever pandas handed over
    for i, value in enumerate(out):
        if value is None or isinstance(value, str | bool):
            continue
        if isinstance(value, float | np.floating):
            out[i] = None if math.isnan(value) else float(value) if math.isfinite(value) else NOT_A_NUMBER
        elif isinstance(value, int | np.integer):
            out[i] = float(value)
        elif isinstance(value, pd.Timestamp):
            out[i] = None if pd.isna(value) else value.to_pydatetime()
        elif isinstance(value, dt.datetime):
            out[i] = value
        elif isinstance(value, dt.date):
            out[i] = dt.datetime(value.year, value.month, value.day)
        elif value is pd.NaT or value is pd.NA:
            out[i] = None
        else:
            out[i] = str(value)
    return out


def stats(report: FileReport, taken: dict[str, pd.DataFrame], checked: CheckedWorkbook) -> TownshipRow:
    """This workbook's row of 汇总."""
    row = TownshipRow(report.township, files=1)
    hh = taken.get("households")
    if hh is not None and len(hh):
        row.households = len(hh)
        groups = hh["group"].value_counts()
        for g in GROUPS:
            row.groups[g] = int(groups.get(g, 0))
        row.other_group = row.households - sum(row.groups.values())
        row.eligible = int((hh["status"] == STATUS_ELIGIBLE).sum())
        visits = taken.get("visits")
        if visits is None:
            visits = pd.DataFrame({c.key: pd.Series(dtype=object) for c in SHEETS_BY_KEY["visits"].columns})
        coverage = followup.visit_coverage(hh, visits, policy=checked.policy, check_date=checked.check_date)
        monitored = coverage["monitored"].to_numpy(dtype=bool)
        row.monitored = int(monitored.sum())
        row.visited = int((monitored & coverage["visited_this_quarter"].to_numpy(dtype=bool)).sum())
    members = taken.get("members")
    row.members = len(members) if members is not None else 0
    cases = taken.get("cases")
    if cases is not None and len(cases):
        stages = cases["stage"].value_counts()
        for s in CASE_STAGES:
            row.stages[s] = int(stages.get(s, 0))
        row.other_stage = len(cases) - sum(row.stages.values())
        paid = (cases["stage"] == "已支付").to_numpy(dtype=bool)
        amounts = excel_numbers(cases["relief_amount"]).to_numpy(dtype=float)
        row.relief_paid = float(np.nansum(amounts[paid]))
        days_left = pd.to_numeric(cases["days_left"], errors="coerce").to_numpy(dtype=float)
        row.overdue_cases = int((days_left < 0).sum())
    return row
