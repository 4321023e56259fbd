"""County consolidation: township workbooks in, one county workbook out.

``merge_workbooks`` finds the township workbooks, reads and checks them in
worker processes, and writes the county workbook (and optionally the SQLite
history). It never prints; ``render_summary`` is the text a person reads and
``MergeResult.as_dict()`` the JSON.

Decisions, and why:

* **What is taken.** A row is taken into the county sheets unless it has no
  key — 户编号 (案件编号 and 户编号 on 救助) — or its 户编号 is not in the same
  township's 监测户 sheet (an *orphan*: the county cannot tell whose row it
  is, and county figures would count a member of no household). Such rows go
  to 未入库 with their source and the reason; they are never silently
  dropped. For every sheet, rows read = rows written + rows rejected.
* **Duplicates** are the same 身份证号 more than once in the county's 家庭成员
  (in two townships, two households, or twice in one household) and the same
  案件编号 more than once on 救助. Both rows stay in the data sheets; 重复 lists
  each repeat next to the first occurrence. ``on_duplicate="error"`` stops
  before anything is written.
* **Values.** ID and phone columns are text (numbers a township typed become
  their digits as text; validate reports them). A cell the reader could not
  read as its column's type keeps the text the township typed, so nothing is
  lost; the 问题 sheet has the issue. Computed columns (近12月支出, 资格判定,
  满足条件, 回访日期; 办结时限, 剩余工作日) are recomputed by ``derive`` with the
  policy validate uses, as values.
* **Layout of a data sheet**: row 1 a title (on a continuation sheet, which
  rows it holds), row 2 the headers, data from row 3 as an Excel table with
  frozen headers. Columns: 来源乡镇, the schema columns in schema order, the
  extra columns townships added (union, first seen first), then 来源文件,
  来源工作表, 来源行. ("来源乡镇" and not "乡镇": 监测户 has its own 乡镇 column,
  which is what the township typed.)
* **Row limit.** A sheet holds at most ``MAX_DATA_ROWS`` data rows (Excel's
  1,048,576 rows less the title and header rows); more go to continuation
  sheets ``家庭成员(续1)`` … The rows are counted here, never left to the
  writer (xlsxwriter returns -1 past the limit without raising).
* **Speed.** Files are read and checked in worker processes (``jobs``); the
  taken rows are handed back through pickle files in a temporary folder, so
  the main process holds one township's sheet at a time while writing, which
  bounds memory at any county size. Writing is one xlsxwriter workbook in
  constant-memory mode; each row is written once with ``write_row`` from
  per-column lists whose Python types were fixed column by column (strings,
  floats, dates as Excel serial numbers under a date format set on the
  column, ``None`` for blanks). Measured: ``write_row`` over such lists is
  xlsxwriter's floor; calling ``write_string``/``write_number`` cell by cell
  from a per-column writer table is ~60% slower (the Python loop costs more
  than xlsxwriter's type lookup), and a format on every column makes writing
  a third slower, so only dates, ID/phone (text "@") and money columns get
  one. Reading and writing do not overlap: the header row must hold every
  township's extra columns and continuation sheets must follow their sheet,
  and rows written in constant-memory mode are final; reading and checking
  in two processes are about a seventh of the wall time at county scale
  (docs/BENCHMARKS.md), too little to justify writing into xlsxwriter's
  temporary files.
  ``workbook.write.write_data_sheet`` is not used for the data sheets: it
  cannot add provenance and extra columns, and in constant-memory mode it
  falls back to a plain filter instead of an Excel table.
* **Excel tables in constant-memory mode.** xlsxwriter refuses ``add_table``
  then (and registers every cell of a table in a dict, which costs memory in
  proportion to the table). ``_add_table`` adds the table over the header and
  one row with constant memory briefly off, then widens its range; the table
  part only records the range, so the result is the table Excel would have
  made.
"""

from __future__ import annotations

import collections
import concurrent.futures
import dataclasses
import datetime as dt
import hashlib
import itertools
import math
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import followup
from .derive import derive_cases, derive_households, excel_numbers, match_keys
from .errors import FangpinError, InputError
from .ids import mask_id
from .issues import ERROR, ISSUE_HEADERS, SEVERITY_LABELS, WARNING, Issue, count_by_severity
from .policy import GROUPS, Policy, load_policy, policy_differences
from .rules import STATUS_ELIGIBLE
from .schema import (
    CASE_STAGES,
    DATE,
    ID,
    INTEGER,
    MONEY,
    MONTH,
    PHONE,
    SHEETS,
    SHEETS_BY_KEY,
    TEXT_TYPES,
    YESNO,
    Column,
    Sheet,
)
from .text import cell_text, display_width, pad, text_mask
from .validate import check_workbook_ids, cross_file_duplicates, rules_basis
from .workbook.discover import (  # noqa: F401 - re-exported for callers and tests
    LOCK_PREFIX,
    SKIP_HIDDEN,
    SKIP_HIDDEN_DIR,
    SKIP_LOCK,
    SKIP_NOT_WORKBOOK,
    SKIP_OUTPUT,
    SKIP_REPEATED,
    WORKBOOK_SUFFIXES,
    Skipped,
    discover,
)
from .workbook.read import read_workbook
from .workbook.write import atomic_output

#: Excel's rows per worksheet; a county sheet uses two of them for its title and headers.
EXCEL_MAX_ROWS = 1_048_576
TITLE_ROWS = 2
MAX_DATA_ROWS = EXCEL_MAX_ROWS - TITLE_ROWS

SKIP_NOT_TOWNSHIP = "不是乡镇工作簿（没有找到“监测户”等数据工作表）"
SKIP_COUNTY = "县级汇总工作簿（汇总结果，不是乡镇工作簿）"

# File status: JSON code → Chinese label.
MERGED, UNREADABLE, SKIPPED = "merged", "unreadable", "skipped"
STATUS_LABELS = {MERGED: "已汇总", UNREADABLE: "无法读取", SKIPPED: "已跳过"}

ON_DUPLICATE = ("report", "error")

# Why a row was not taken.
REASON_NO_HOUSEHOLD_NO = "没有户编号"
REASON_NO_CASE_NO = "没有案件编号"
REASON_ORPHAN = "户编号在本工作簿的“{sheet}”表中不存在"
REASON_NO_HOUSEHOLDS = "本工作簿没有可读取的“监测户”表，无法确认所属户"

# Sheet names of the county workbook.
SUMMARY_SHEET = "汇总"
ISSUES_SHEET = "问题"
DUPLICATES_SHEET = "重复"
SOURCES_SHEET = "来源"
REJECTED_SHEET = "未入库"

TOWNSHIP_HEADER = "来源乡镇"
FILE_HEADER = "来源文件"
SHEET_HEADER = "来源工作表"
ROW_HEADER = "来源行"

DUP_ID = "id_number"
DUP_CASE = "case_no"
DUP_LABELS = {DUP_ID: "身份证号", DUP_CASE: "案件编号"}

#: Column kinds of the writer.
_TEXT, _ID, _NUMBER, _DATE, _MONTH, _RAW, _INT = "text", "id", "number", "date", "month", "raw", "int"
_MAX_CONTENT = 400

Progress = Callable[[int, int, str], None]


# -- results -----------------------------------------------------------------------

@dataclass
class SheetCount:
    """Rows of one sheet: read from the township files, taken, rejected."""

    read: int = 0
    taken: int = 0
    rejected: int = 0

    def add(self, other: SheetCount) -> None:
        self.read += other.read
        self.taken += other.taken
        self.rejected += other.rejected

    def as_dict(self) -> dict:
        return {"read": self.read, "taken": self.taken, "rejected": self.rejected}


@dataclass
class FileReport:
    """One workbook the merge opened (or tried to)."""

    path: Path
    status: str = MERGED
    reason: str = ""
    size: int | None = None
    sha256: str = ""
    township: str = ""
    #: The 参数 sheet was found and read.
    policy_found: bool = False
    policy_year: int | None = None
    #: True / False against the county policy; None without a 参数 sheet.
    policy_matches: bool | None = None
    #: "label：found（全县 expected）" per differing parameter.
    policy_differences: list[str] = field(default_factory=list)
    #: sheet key → counts.
    rows: dict[str, SheetCount] = field(default_factory=dict)
    errors: int = 0
    warnings: int = 0
    #: sheet key → the sheet's name in this workbook.
    sheet_names: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.path.name

    def total(self) -> SheetCount:
        out = SheetCount()
        for count in self.rows.values():
            out.add(count)
        return out

    def as_dict(self) -> dict:
        return {
            "path": str(self.path),
            "file": self.path.name,
            "township": self.township,
            "status": self.status,
            "reason": self.reason,
            "size": self.size,
            "sha256": self.sha256,
            "policy_found": self.policy_found,
            "policy_year": self.policy_year,
            "policy_matches": self.policy_matches,
            "policy_differences": list(self.policy_differences),
            "rows": {key: count.as_dict() for key, count in self.rows.items()},
            "errors": self.errors,
            "warnings": self.warnings,
        }


@dataclass
class SheetTotal:
    """County totals of one schema sheet; ``written`` is counted by the writer."""

    key: str
    name: str
    read: int = 0
    written: int = 0
    rejected: int = 0
    #: The worksheets it was written to (more than one past Excel's row limit).
    sheets: list[str] = field(default_factory=list)

    @property
    def balanced(self) -> bool:
        return self.read == self.written + self.rejected

    def as_dict(self) -> dict:
        return {"sheet": self.name, "read": self.read, "written": self.written,
                "rejected": self.rejected, "sheets": list(self.sheets)}


@dataclass
class Occurrence:
    township: str
    file: str
    sheet: str
    row: int
    household_no: str
    detail: str


@dataclass
class Duplicate:
    """One repeat of a number, next to its first occurrence."""

    kind: str  # DUP_ID or DUP_CASE
    number: str
    first: Occurrence
    other: Occurrence

    @property
    def situation(self) -> str:
        if self.first.township != self.other.township or self.first.file != self.other.file:
            return "不同乡镇" if self.first.township != self.other.township else "不同工作簿"
        if self.kind == DUP_CASE:
            return "同一乡镇"
        if self.first.household_no != self.other.household_no:
            return "同一乡镇不同户"
        return "同一户内"


@dataclass
class TownshipRow:
    """One row of 汇总 (a township may hand in more than one file)."""

    township: str
    files: int = 0
    households: int = 0
    groups: dict[str, int] = field(default_factory=lambda: {g: 0 for g in GROUPS})
    other_group: int = 0
    members: int = 0
    eligible: int = 0
    stages: dict[str, int] = field(default_factory=lambda: {s: 0 for s in CASE_STAGES})
    other_stage: int = 0
    relief_paid: float = 0.0
    overdue_cases: int = 0
    monitored: int = 0
    visited: int = 0
    errors: int = 0
    warnings: int = 0

    @property
    def coverage(self) -> float | None:
        return self.visited / self.monitored if self.monitored else None

    def add(self, other: TownshipRow) -> None:
        self.files += other.files
        self.households += other.households
        for g in GROUPS:
            self.groups[g] += other.groups[g]
        self.other_group += other.other_group
        self.members += other.members
        self.eligible += other.eligible
        for s in CASE_STAGES:
            self.stages[s] += other.stages[s]
        self.other_stage += other.other_stage
        self.relief_paid += other.relief_paid
        self.overdue_cases += other.overdue_cases
        self.monitored += other.monitored
        self.visited += other.visited
        self.errors += other.errors
        self.warnings += other.warnings

    def as_dict(self) -> dict:
        return {
            "township": self.township, "files": self.files, "households": self.households,
            "groups": dict(self.groups), "other_group": self.other_group, "members": self.members,
            "eligible": self.eligible, "stages": dict(self.stages), "other_stage": self.other_stage,
            "relief_paid": round(self.relief_paid, 2), "overdue_cases": self.overdue_cases,
            "monitored": self.monitored, "visited": self.visited,
            "errors": self.errors, "warnings": self.warnings,
        }


@dataclass
class MergeResult:
    output: Path
    county: str
    year: int
    files: list[FileReport]
    skipped: list[Skipped]
    sheets: dict[str, SheetTotal]
    duplicates: list[Duplicate]
    issues: list[Issue]
    townships: list[TownshipRow]
    total: TownshipRow
    sqlite: Path | None = None
    #: Seconds: read / check (summed over files, in the workers), read_check (wall), write (wall).
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def merged(self) -> list[FileReport]:
        return [f for f in self.files if f.status == MERGED]

    @property
    def unreadable(self) -> list[FileReport]:
        return [f for f in self.files if f.status == UNREADABLE]

    @property
    def rejected(self) -> int:
        return sum(total.rejected for total in self.sheets.values())

    @property
    def exit_code(self) -> int:
        """1 when a file could not be read (the merge went on without it), else 0."""
        return 1 if self.unreadable else 0

    def duplicate_counts(self) -> dict[str, int]:
        counts = {DUP_ID: 0, DUP_CASE: 0}
        for dup in self.duplicates:
            counts[dup.kind] += 1
        counts["total"] = len(self.duplicates)
        return counts

    def as_dict(self) -> dict:
        return {
            "output": str(self.output),
            "county": self.county,
            "year": self.year,
            "files": [f.as_dict() for f in self.files],
            "skipped": [s.as_dict() for s in self.skipped],
            "unreadable": [{"path": str(f.path), "file": f.name, "reason": f.reason}
                           for f in self.unreadable],
            "rows": {key: total.as_dict() for key, total in self.sheets.items()},
            "rejected": self.rejected,
            "duplicates": self.duplicate_counts(),
            "issues": count_by_severity(self.issues),
            "townships": [t.as_dict() for t in self.townships],
            "total": self.total.as_dict(),
            "sqlite": str(self.sqlite) if self.sqlite is not None else None,
        }


# -- reading and checking one file (in a worker process) -------------------------------

@dataclass
class _Task:
    index: int
    path: Path
    spill: Path
    county_policy: Policy
    #: The policy validate is given (None: each workbook's own 参数 sheet).
    check_policy: Policy | None
    today: dt.date | None


@dataclass
class _SheetPart:
    key: str
    name: str
    rows: int
    extras: list[str]
    #: Pickle of the taken rows (columns: schema keys, then extras; index: Excel row).
    spill: Path | None


@dataclass
class _Outcome:
    report: FileReport
    issues: list[Issue] = field(default_factory=list)
    parts: dict[str, _SheetPart] = field(default_factory=dict)
    #: (sheet name, row, 户编号, 案件编号, reason, content) per rejected row.
    rejected: list[tuple] = field(default_factory=list)
    stats: TownshipRow | None = None
    #: kind → frame (key, number, row, household_no, detail, sheet).
    keys: dict[str, pd.DataFrame] = field(default_factory=dict)
    #: Valid ID numbers with their cells, for validate's checks across workbooks.
    ids: pd.DataFrame | None = None
    sheet_rank: dict[str, int] = field(default_factory=dict)
    read_seconds: float = 0.0
    check_seconds: float = 0.0


def _hash_file(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _process(task: _Task) -> _Outcome:
    """Read, check and prepare one workbook; every failure becomes the file's status."""
    report = FileReport(path=task.path)
    outcome = _Outcome(report)
    started = time.perf_counter()
    try:
        report.size, report.sha256 = _hash_file(task.path)
        data = read_workbook(task.path)
    except FangpinError as exc:
        report.status, report.reason = UNREADABLE, str(exc)
        return outcome
    except OSError as exc:
        report.status = UNREADABLE
        report.reason = f"{task.path.name}：无法打开文件（{exc.strerror or exc}）"
        return outcome
    except Exception as exc:  # noqa: BLE001 - one bad file must not stop the county
        report.status = UNREADABLE
        report.reason = f"{task.path.name}：读取时出错（技术信息：{type(exc).__name__}: {exc}）"
        return outcome
    outcome.read_seconds = time.perf_counter() - started
    started = time.perf_counter()
    try:
        _prepare(task, data, outcome)
    except FangpinError as exc:
        report.status, report.reason = UNREADABLE, str(exc)
    except Exception as exc:  # noqa: BLE001
        report.status = UNREADABLE
        report.reason = f"{task.path.name}：检查时出错（技术信息：{type(exc).__name__}: {exc}）"
    outcome.check_seconds = time.perf_counter() - started
    return outcome


def _prepare(task: _Task, data, outcome: _Outcome) -> None:
    report = outcome.report
    if {SUMMARY_SHEET, SOURCES_SHEET} <= set(data.sheet_names):
        report.status, report.reason = SKIPPED, SKIP_COUNTY
        return
    if not data.sheets:
        report.status, report.reason = SKIPPED, SKIP_NOT_TOWNSHIP
        return

    issues, outcome.ids = check_workbook_ids(data, policy=task.check_policy, today=task.today)
    outcome.issues = issues
    outcome.sheet_rank = {name: i for i, name in enumerate(data.sheet_names)}
    report.township = _township(data)
    _compare_policy(report, data.policy_values, task.county_policy)
    rules_policy, check_date = rules_basis(data, task.check_policy)

    # Which rows are taken.
    households = data.sheets.get("households")
    known: set[str] | None = None
    taken: dict[str, pd.DataFrame] = {}
    for spec in SHEETS:
        sd = data.sheets.get(spec.key)
        if sd is None:
            continue
        report.sheet_names[spec.key] = sd.name
        frame = sd.frame
        reasons = np.full(len(frame), None, dtype=object)
        house = match_keys(frame["household_no"]).to_numpy(dtype=object, na_value=None)
        no_house = pd.isna(house)
        if spec.key == "cases":
            no_case = match_keys(frame["case_no"]).isna().to_numpy()
            reasons[no_case] = REASON_NO_CASE_NO
            reasons[~no_case & no_house] = REASON_NO_HOUSEHOLD_NO
        else:
            reasons[no_house] = REASON_NO_HOUSEHOLD_NO
        if spec.key != "households":
            if known is None:
                orphan = ~no_house
                reasons[orphan & pd.isna(reasons)] = REASON_NO_HOUSEHOLDS
            else:
                orphan = ~no_house & ~pd.Series(house, dtype=object).isin(known).to_numpy()
                text = REASON_ORPHAN.format(sheet=households.name)
                reasons[orphan & pd.isna(reasons)] = text
        bad = ~pd.isna(reasons)
        keep = frame[~bad]
        if bad.any():
            outcome.rejected += _rejected_rows(sd, frame[bad], reasons[bad])
        keep = _restore_failures(sd, keep)
        taken[spec.key] = keep
        report.rows[spec.key] = SheetCount(len(frame), len(keep), int(bad.sum()))
        if spec.key == "households":
            known = set(house[~no_house])
    for spec in SHEETS:
        report.rows.setdefault(spec.key, SheetCount())

    # Computed columns, as values, by the rules validate used.
    if "households" in taken:
        hh = taken["households"]
        derived = derive_households(
            hh, taken.get("spending"), taken.get("visits"), policy=rules_policy, check_date=check_date,
        )
        for column in SHEETS_BY_KEY["households"].computed_columns:
            if column.key in derived.columns:
                hh[column.key] = derived[column.key].to_numpy()
    if "cases" in taken:
        cs = taken["cases"]
        derived = derive_cases(cs, policy=rules_policy, check_date=check_date)
        cs["deadline"] = derived["deadline"].to_numpy()
        cs["days_left"] = derived["days_left"].astype("float64").to_numpy()

    outcome.stats = _stats(report, taken, rules_policy, check_date)
    outcome.keys = _duplicate_keys(taken, report)

    for spec in SHEETS:
        if spec.key not in taken:
            continue
        frame = _normalise(spec, taken[spec.key])
        sd = data.sheets[spec.key]
        spill = None
        if len(frame):
            spill = task.spill / f"{task.index:05d}-{spec.key}.pkl"
            frame.to_pickle(spill, compression=None)
        outcome.parts[spec.key] = _SheetPart(spec.key, sd.name, len(frame), list(sd.extras), spill)


def _township(data) -> str:
    households = data.sheets.get("households")
    if households is not None and len(households.frame):
        values = households.frame["township"].dropna()
        values = [str(v).strip() for v in values if str(v).strip()]
        if values:
            return collections.Counter(values).most_common(1)[0][0]
    return Path(data.path).stem


def _compare_policy(report: FileReport, values, county: Policy) -> None:
    if values is None:
        return
    report.policy_found = True
    year = values.get("year")
    try:
        report.policy_year = int(float(year)) if year not in (None, "") else None
    except (TypeError, ValueError):
        report.policy_year = None
    diffs = policy_differences(county, values)
    report.policy_matches = not diffs
    report.policy_differences = [
        f"{label}：{cell_text(found) or '（空）'}（全县 {cell_text(expected)}）"
        for _key, label, expected, found in diffs
    ]


def _rejected_rows(sd, frame: pd.DataFrame, reasons: np.ndarray) -> list[tuple]:
    """未入库 records: the row's place, its keys, the reason and what it held."""
    headers = {c.key: c.header for c in sd.spec.columns}
    labels = [(key, headers.get(key, key)) for key in frame.columns]
    out = []
    for (row, values), reason in zip(frame.iterrows(), reasons, strict=True):
        parts = []
        for key, label in labels:
            value = values[key]
            if value is None or (not isinstance(value, str) and pd.isna(value)):
                continue
            if isinstance(value, pd.Timestamp):
                value = value.date().isoformat() if value == value.normalize() else str(value)
            text = cell_text(value) if not isinstance(value, str) else value
            if text.strip():
                parts.append(f"{label}：{text}")
        content = "；".join(parts)
        if len(content) > _MAX_CONTENT:
            content = content[:_MAX_CONTENT] + "…"
        house = values.get("household_no")
        case = values.get("case_no") if "case_no" in frame.columns else None
        out.append((sd.name, int(row), _text_or_blank(house), _text_or_blank(case), reason, content))
    return out


def _text_or_blank(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return value if isinstance(value, str) else cell_text(value)


def _restore_failures(sd, frame: pd.DataFrame) -> pd.DataFrame:
    """Put back, as text, what a township typed where the reader found no value of the type."""
    frame = frame.copy()
    if not sd.failures or not len(frame):
        return frame
    present = set(frame.index)
    computed = {c.key for c in sd.spec.computed_columns}
    by_key: dict[str, list] = {}
    for change in sd.failures:
        if change.row in present and change.key in frame.columns:
            if change.key in computed:
                continue
            by_key.setdefault(change.key, []).append(change)
    for key, changes in by_key.items():
        values = frame[key].astype(object)
        values = values.where(values.notna(), None)
        for change in changes:
            original = change.original
            values.at[change.row] = original if isinstance(original, str) else cell_text(original)
        frame[key] = values
    return frame


def _normalise(spec: Sheet, frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns as str / None, extras as values xlsxwriter writes as they are."""
    out = {}
    for column in spec.columns:
        values = frame[column.key]
        if column.type in TEXT_TYPES or column.type == YESNO:
            if values.dtype != object:
                values = values.astype(object)
            arr = values.to_numpy(dtype=object, copy=True)
            missing = pd.isna(arr)
            other = ~missing & ~text_mask(values)
            if other.any():
                arr[other] = [cell_text(v) for v in arr[other]]
            arr[missing] = None
            out[column.key] = arr
        else:
            out[column.key] = values
    for extra in frame.columns[len(spec.columns):]:
        out[extra] = _raw_values(frame[extra].to_numpy(dtype=object))
    return pd.DataFrame(out, index=frame.index, columns=list(frame.columns))


def _raw_values(values: np.ndarray) -> np.ndarray:
    """Values of a column outside the schema: str, float, bool, datetime, or None."""
    out = values.copy()
    for i, value in enumerate(out):
        if value is None or isinstance(value, str | bool | float):
            if isinstance(value, float) and math.isnan(value):
                out[i] = None
            continue
        if isinstance(value, int | np.integer):
            out[i] = float(value)
        elif isinstance(value, np.floating):
            out[i] = None if np.isnan(value) else float(value)
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


def _stats(report: FileReport, taken: dict[str, pd.DataFrame], policy: Policy,
           check_date: dt.date) -> TownshipRow:

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
            visits = SHEETS_BY_KEY["visits"]
            visits = pd.DataFrame({c.key: pd.Series(dtype=object) for c in visits.columns})
        coverage = followup.visit_coverage(hh, visits, policy=policy, check_date=check_date)
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


def _duplicate_keys(taken: dict[str, pd.DataFrame], report: FileReport) -> dict[str, pd.DataFrame]:
    out = {}
    members = taken.get("members")
    if members is not None and len(members):
        out[DUP_ID] = _keys_frame(members, "id_number", members["name"], report.sheet_names["members"])
    cases = taken.get("cases")
    if cases is not None and len(cases):
        out[DUP_CASE] = _keys_frame(cases, "case_no", cases["kind"], report.sheet_names["cases"])
    return out


def _keys_frame(frame: pd.DataFrame, key: str, detail: pd.Series, sheet: str) -> pd.DataFrame:
    numbers = frame[key].map(lambda v: v if isinstance(v, str) else cell_text(v), na_action="ignore")
    keys = (numbers.astype("string").str.normalize("NFKC")
            .str.replace(r"\s+", "", regex=True).str.upper())
    keys = keys.where(keys != "")
    present = keys.notna().to_numpy(dtype=bool)
    return pd.DataFrame({
        "key": keys.to_numpy(dtype=object)[present],
        "number": numbers.to_numpy(dtype=object)[present],
        "row": frame.index.to_numpy()[present],
        "household_no": frame["household_no"].map(_text_or_blank).to_numpy(dtype=object)[present],
        "detail": detail.map(_text_or_blank).to_numpy(dtype=object)[present],
        "sheet": sheet,
    })


# -- the merge -------------------------------------------------------------------------

def merge_workbooks(
    paths: Sequence[str | Path] | str | Path,
    output: str | Path,
    *,
    policy: Policy | str | Path | None = None,
    year: int | None = None,
    jobs: int | None = None,
    on_duplicate: str = "report",
    strict: bool = False,
    sqlite: str | Path | None = None,
    progress: Progress | None = None,
    today: dt.date | None = None,
    max_rows: int = MAX_DATA_ROWS,
) -> MergeResult:
    """Merge township workbooks (files or folders) into the county workbook ``output``.

    ``policy`` is the county's (a Policy or a TOML file; default: the built-in
    parameters of ``year``); validation uses it when ``policy`` or ``year`` is
    given, else each workbook's own 参数 sheet, exactly as ``validate`` does.
    ``jobs`` worker processes read the files (default: the number of cores;
    1 reads in this process). ``progress(done, total, file name)`` is called
    as files finish. ``max_rows`` is the data rows per worksheet before a
    continuation sheet starts.

    Raises ``InputError`` when no workbook is found, when ``output`` is one of
    the inputs, and (``strict``) when a file cannot be read; ``FangpinError``
    for duplicates with ``on_duplicate="error"``. Nothing is written then.
    """
    started = time.perf_counter()
    if on_duplicate not in ON_DUPLICATE:
        raise ValueError(f"on_duplicate must be one of {ON_DUPLICATE}")
    if not 1 <= int(max_rows) <= MAX_DATA_ROWS:
        raise ValueError(f"max_rows must be between 1 and {MAX_DATA_ROWS}")
    if isinstance(paths, str | Path):
        paths = [paths]
    output = Path(output)
    if output.suffix.lower() != ".xlsx":
        raise InputError(f"输出文件 {output} 应为 .xlsx 工作簿。")
    if output.is_dir():
        raise InputError(f"输出文件 {output} 是一个文件夹，请给出工作簿文件名，如 全县汇总.xlsx。")
    county_policy, check_policy = _policies(policy, year)
    found, skipped = discover(paths, output)
    if not found:
        listed = "；".join(f"{s.path.name}（{s.reason}）" for s in skipped[:10])
        raise InputError("没有找到可汇总的工作簿（.xlsx、.xlsm、.xls）" + (f"：{listed}" if listed else "。"))

    spill = Path(tempfile.mkdtemp(prefix="fangpin-merge-"))
    try:
        tasks = [_Task(i, path, spill, county_policy, check_policy, today) for i, path in enumerate(found)]
        outcomes = _run(tasks, jobs, progress)
        read_check = time.perf_counter() - started
        files = [o.report for o in outcomes]
        skipped = skipped + [Skipped(f.path, f.reason) for f in files if f.status == SKIPPED]
        bad = [f for f in files if f.status == UNREADABLE]
        if bad and strict:
            raise InputError(
                f"有 {len(bad)} 个文件无法读取（已按 --strict 停止汇总，未写出任何文件）：\n"
                + "\n".join(f"  {f.reason}" for f in bad)
            )
        merged = [o for o in outcomes if o.report.status == MERGED]
        if not merged:
            raise InputError(
                "没有可汇总的乡镇工作簿：" + "；".join(f"{f.name}（{f.reason}）" for f in files)
            )
        _cross_file_issues(merged, today)
        duplicates = _find_duplicates(merged)
        if duplicates and on_duplicate == "error":
            raise FangpinError(_duplicate_message(duplicates))
        write_started = time.perf_counter()
        result = MergeResult(
            output=output, county=county_policy.county, year=county_policy.year, files=files,
            skipped=skipped, sheets={}, duplicates=duplicates,
            issues=[i for o in merged for i in o.issues], townships=[], total=TownshipRow("全县合计"),
            sqlite=Path(sqlite) if sqlite is not None else None,
        )
        _summarise(result, merged)
        _write_county(result, merged, int(max_rows), sqlite)
        result.timings = {
            "read": sum(o.read_seconds for o in outcomes),
            "check": sum(o.check_seconds for o in outcomes),
            "read_check": read_check,
            "write": time.perf_counter() - write_started,
            "total": time.perf_counter() - started,
        }
        return result
    finally:
        shutil.rmtree(spill, ignore_errors=True)


def _policies(policy, year) -> tuple[Policy, Policy | None]:
    """(the county policy, the policy validation uses: None for each workbook's own)."""
    if isinstance(policy, Policy):
        county = policy if year is None else dataclasses.replace(policy, year=int(year))
        county.income_threshold()
        return county, county
    county = load_policy(policy, year=year)
    county.income_threshold()
    return county, (county if policy is not None or year is not None else None)


def _run(tasks: list[_Task], jobs: int | None, progress: Progress | None) -> list[_Outcome]:
    total = len(tasks)
    workers = min(total, max(1, int(jobs) if jobs else (os.cpu_count() or 1)))
    outcomes: list[_Outcome | None] = [None] * total
    if workers == 1:
        for done, task in enumerate(tasks, start=1):
            outcomes[task.index] = _process(task)
            if progress is not None:
                progress(done, total, task.path.name)
        return outcomes  # type: ignore[return-value]
    with concurrent.futures.ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(_process, task): task for task in tasks}
        try:
            for done, future in enumerate(concurrent.futures.as_completed(futures), start=1):
                task = futures[future]
                try:
                    outcomes[task.index] = future.result()
                except concurrent.futures.process.BrokenProcessPool:
                    raise FangpinError(
                        f"读取进程意外退出（读到 {task.path.name} 前后；可能是内存不足）。"
                        "请用 --jobs 1 重新汇总，以便找出出问题的文件。"
                    ) from None
                except Exception as exc:  # noqa: BLE001 - the worker itself failed (e.g. pickling)
                    report = FileReport(task.path, UNREADABLE,
                                        f"{task.path.name}：读取时出错（技术信息：{type(exc).__name__}: {exc}）")
                    outcomes[task.index] = _Outcome(report)
                if progress is not None:
                    progress(done, total, task.path.name)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    return outcomes  # type: ignore[return-value]


def _cross_file_issues(merged: list[_Outcome], today: dt.date | None) -> None:
    """Validate's ``duplicate_id`` across workbooks, so 问题 holds what validate reports."""
    frames = [o.ids for o in merged if o.ids is not None and len(o.ids)]
    if len(merged) > 1 and frames:
        by_file: dict[str, list[Issue]] = {}
        for issue in cross_file_duplicates(pd.concat(frames, ignore_index=True), today=today):
            by_file.setdefault(issue.file, []).append(issue)
        for o in merged:
            extra = by_file.get(o.report.name)
            if extra:
                o.issues = sorted(o.issues + extra, key=lambda i, r=o.sheet_rank: _issue_order(i, r))
    for o in merged:
        counts = count_by_severity(o.issues)
        o.report.errors, o.report.warnings = counts[ERROR], counts[WARNING]
        if o.stats is not None:
            o.stats.errors, o.stats.warnings = o.report.errors, o.report.warnings


def _issue_order(issue: Issue, sheet_rank: dict[str, int]) -> tuple:
    """validate's order: file-level issues first, then sheet (workbook order), row, column."""
    letters = ""
    for ch in issue.cell:
        if not ch.isalpha():
            break
        letters += ch
    column = 0
    for ch in letters:
        column = column * 26 + ord(ch) - 64
    return (sheet_rank.get(issue.sheet, -1) if issue.sheet else -2, issue.row or 0, column)


def _find_duplicates(merged: list[_Outcome]) -> list[Duplicate]:
    out: list[Duplicate] = []
    for kind in (DUP_ID, DUP_CASE):
        frames = []
        for o in merged:
            keys = o.keys.get(kind)
            if keys is not None and len(keys):
                keys = keys.assign(township=o.report.township, file=o.report.name)
                frames.append(keys)
        if not frames:
            continue
        everything = pd.concat(frames, ignore_index=True)
        repeated = everything[everything.duplicated("key", keep=False)]
        for _key, group in repeated.groupby("key", sort=False):
            rows = list(group.itertuples(index=False))
            first = _occurrence(rows[0])
            for other in rows[1:]:
                out.append(Duplicate(kind, str(rows[0].number), first, _occurrence(other)))
    return out


def _occurrence(row) -> Occurrence:
    return Occurrence(row.township, row.file, row.sheet, int(row.row), row.household_no, row.detail)


def _duplicate_message(duplicates: list[Duplicate]) -> str:
    counts = collections.Counter(d.kind for d in duplicates)
    lines = [
        f"发现 {len(duplicates)} 处重复（身份证号 {counts[DUP_ID]} 处，案件编号 {counts[DUP_CASE]} 处），"
        "已按 --on-duplicate error 停止汇总，未写出任何文件："
    ]
    for d in duplicates[:20]:
        number = mask_id(d.number) if d.kind == DUP_ID else d.number
        lines.append(
            f"  {DUP_LABELS[d.kind]} {number}：{d.first.file} 工作表“{d.first.sheet}”第 {d.first.row} 行"
            f" 与 {d.other.file} 工作表“{d.other.sheet}”第 {d.other.row} 行"
        )
    if len(duplicates) > 20:
        lines.append(f"  ……另有 {len(duplicates) - 20} 处")
    return "\n".join(lines)


def _summarise(result: MergeResult, merged: list[_Outcome]) -> None:
    by_name: dict[str, TownshipRow] = {}
    for o in merged:
        stats = o.stats or TownshipRow(o.report.township)
        row = by_name.setdefault(stats.township, TownshipRow(stats.township))
        row.add(stats)
    result.townships = list(by_name.values())
    for row in result.townships:
        result.total.add(row)
    for spec in SHEETS:
        total = SheetTotal(spec.key, spec.name)
        for o in merged:
            count = o.report.rows.get(spec.key, SheetCount())
            total.read += count.read
            total.rejected += count.rejected
        result.sheets[spec.key] = total


# -- writing -----------------------------------------------------------------------------

@dataclass
class _Col:
    header: str
    kind: str
    width: float = 12


class _Book:
    """The county workbook: xlsxwriter in constant-memory mode and its formats."""

    def __init__(self, path: Path, max_rows: int):
        import xlsxwriter

        self.max_rows = max_rows
        self.wb = xlsxwriter.Workbook(str(path), {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
            "default_date_format": "yyyy-mm-dd",
        })
        wb = self.wb
        self.title = wb.add_format({"bold": True, "font_size": 12})
        self.header = wb.add_format({"bold": True, "text_wrap": True, "valign": "vcenter",
                                     "border": 1, "bg_color": "#DDEBF7"})
        self.bold = wb.add_format({"bold": True})
        self.bold_int = wb.add_format({"bold": True, "num_format": "#,##0"})
        self.bold_money = wb.add_format({"bold": True, "num_format": "#,##0.00"})
        self.bold_rate = wb.add_format({"bold": True, "num_format": "0.0%"})
        self.rate = wb.add_format({"num_format": "0.0%"})
        # Only the columns that need a format get one: xlsxwriter writes a
        # column's format into every cell of it (a format on every column made
        # the writing a third slower).
        self.formats = {
            _TEXT: None,
            _ID: wb.add_format({"num_format": "@"}),
            _NUMBER: wb.add_format({"num_format": "#,##0.00"}),
            _INT: None,
            _DATE: wb.add_format({"num_format": "yyyy-mm-dd"}),
            _MONTH: wb.add_format({"num_format": "yyyy-mm"}),
            _RAW: None,
        }

    def table(self, name: str, title: str, columns: list[_Col], chunks: Iterable[list[list]],
              total: int, table_name: str) -> tuple[list[str], int]:
        """Write a table over as many worksheets as ``max_rows`` needs; return (sheet names, rows)."""
        limit = self.max_rows
        parts = max(1, -(-total // limit))
        names = [name] + [f"{name}(续{i})" for i in range(1, parts)]
        written = 0
        ws = None
        part = -1
        row = 0
        for lists in chunks:
            n = len(lists[0]) if lists else 0
            rows = zip(*lists, strict=True)
            done = 0
            while done < n:
                if ws is None or row - TITLE_ROWS >= limit:
                    part += 1
                    if part >= parts:
                        raise RuntimeError(f"{name}: more rows than counted ({total})")
                    ws = self._start(names, part, title, columns, total, table_name)
                    row = TITLE_ROWS
                take = min(n - done, limit - (row - TITLE_ROWS))
                write_row = ws.write_row
                for values in itertools.islice(rows, take):
                    if write_row(row, 0, values):
                        raise RuntimeError(f"xlsxwriter refused row {row} of {ws.name}")
                    row += 1
                done += take
            written += n
        if ws is None:
            self._start(names, 0, title, columns, total, table_name)
        if written != total:
            raise RuntimeError(f"{name}: wrote {written} rows, counted {total}")
        return names, written

    def _start(self, names, part, title, columns, total, table_name):
        ws = self.wb.add_worksheet(names[part])
        limit = self.max_rows
        rows_here = min(limit, total - part * limit) if total else 0
        for i, col in enumerate(columns):
            ws.set_column(i, i, col.width, self.formats[col.kind])
        if len(names) > 1:
            first = part * limit + 1
            last = first + rows_here - 1
            if part == 0:
                text = (f"{title}（共 {total:,} 行，超过 Excel 每个工作表的行数上限，"
                        f"分为 {len(names)} 个工作表：{'、'.join(names)}；本表为第 {first:,}–{last:,} 行）")
            else:
                text = (f"{title}（续{part}）—— 接“{names[part - 1]}”，本表为第 {first:,}–{last:,} 行，"
                        f"共 {total:,} 行")
        else:
            text = title
        ws.write_string(0, 0, text, self.title)
        ws.set_row(1, 30)
        name = table_name if part == 0 else f"{table_name}_{part + 1}"
        _add_table(ws, 1, 1 + max(rows_here, 1), [c.header for c in columns], name)
        for i, col in enumerate(columns):
            ws.write_string(1, i, col.header, self.header)
        ws.freeze_panes(TITLE_ROWS, 0)
        return ws

    def close(self) -> None:
        self.wb.close()


def _add_table(ws, header_row: int, last_row: int, headers: list[str], name: str) -> None:
    """An Excel table over ``header_row``..``last_row`` on a constant-memory worksheet.

    See the module notes: the table is added over two rows with constant
    memory off for the call, then its ranges are widened. The header cells
    the call stores are replaced by the caller's header row.
    """
    from xlsxwriter.utility import xl_range

    saved = ws.constant_memory
    ws.constant_memory = False
    try:
        status = ws.add_table(header_row, 0, header_row + 1, len(headers) - 1, {
            "name": name,
            "style": "Table Style Light 9",
            "columns": [{"header": h} for h in headers],
        })
    finally:
        ws.constant_memory = saved
    if status != 0:
        raise RuntimeError(f"add_table failed ({status}) for {name}")
    # The call stored the header cells as shared-string indices, which a
    # constant-memory sheet cannot write; the caller writes the header row.
    ws.table.pop(header_row, None)
    table = ws.tables[-1]
    full = xl_range(header_row, 0, last_row, len(headers) - 1)
    table["range"] = full
    table["a_range"] = full
    if table.get("autofilter"):
        table["autofilter"] = full


def _unique_headers(fixed: list[str], extras: list[str]) -> list[str]:
    """Extra headers, renamed where they clash with another header (Excel ignores case)."""
    taken = {h.casefold() for h in fixed}
    out = []
    for text in extras:
        label = text
        n = 1
        while label.casefold() in taken:
            label = f"{text}（附加{n if n > 1 else ''}）"
            n += 1
        taken.add(label.casefold())
        out.append(label)
    return out


def _kind(column: Column) -> str:
    if column.type in (ID, PHONE):
        return _ID
    if column.type in TEXT_TYPES or column.type == YESNO:
        return _TEXT
    if column.type == DATE:
        return _DATE
    if column.type == MONTH:
        return _MONTH
    if column.type == INTEGER:
        return _INT
    if column.type == MONEY:
        return _NUMBER
    return _RAW


_EXCEL_EPOCH = np.datetime64("1899-12-30T00:00:00", "ns")
_NS_PER_DAY = 86_400 * 10**9


def _values(series: pd.Series, kind: str) -> list:
    """One column as the Python values write_row gets (None for blanks, never NaN)."""
    dtype = series.dtype
    if kind in (_DATE, _MONTH) and pd.api.types.is_datetime64_any_dtype(dtype):
        nanos = series.to_numpy(dtype="datetime64[ns]")
        missing = np.isnat(nanos)
        serial = (nanos - _EXCEL_EPOCH).astype("timedelta64[ns]").astype(np.int64) / _NS_PER_DAY
        out = serial.astype(object)
        out[missing] = None
        return out.tolist()
    if kind in (_TEXT, _ID):
        # pandas may hold text as its "str" dtype, whose blanks are NaN.
        return series.to_numpy(dtype=object, na_value=None).tolist()
    if kind == _RAW:
        values = series.to_numpy(dtype=object)
        values[pd.isna(values)] = None
        return values.tolist()
    if pd.api.types.is_float_dtype(dtype) or pd.api.types.is_integer_dtype(dtype):
        numbers = series.to_numpy(dtype=np.float64, na_value=np.nan)
        out = numbers.astype(object)
        out[~np.isfinite(numbers)] = None
        return out.tolist()
    # Mixed: numbers (or dates) with the text a township typed where no value could be read.
    out = []
    for value in series.tolist():
        if value is None or isinstance(value, str):
            out.append(value)
        elif isinstance(value, dt.datetime | dt.date | np.datetime64):
            stamp = pd.Timestamp(value)
            out.append(None if pd.isna(stamp) else
                       (stamp - pd.Timestamp("1899-12-30")) / pd.Timedelta(days=1))
        elif isinstance(value, float | int | np.number) and not isinstance(value, bool):
            number = float(value)
            out.append(number if math.isfinite(number) else None)
        elif value is pd.NA or value is pd.NaT:
            out.append(None)
        else:
            out.append(str(value))
    return out


def _write_county(result: MergeResult, merged: list[_Outcome], max_rows: int,
                  sqlite: str | Path | None) -> None:
    extras = {spec.key: _extras(spec.key, merged) for spec in SHEETS}
    with atomic_output(result.output) as tmp:
        book = _Book(tmp, max_rows)
        summary = book.wb.add_worksheet(SUMMARY_SHEET)
        for spec in SHEETS:
            total = result.sheets[spec.key]
            names, written = _write_data_sheet(book, spec, merged, extras[spec.key], total, result)
            total.sheets, total.written = names, written
            if not total.balanced:
                raise RuntimeError(f"row accounting broken for {spec.key}")
        _write_issues(book, result, merged)
        _write_duplicates(book, result)
        _write_sources(book, result)
        _write_rejected(book, result, merged)
        _write_summary(book, summary, result)
        try:
            book.close()
        except Exception as exc:  # noqa: BLE001 - xlsxwriter's file errors
            raise InputError(f"无法写入 {result.output}：{exc}") from None
        if sqlite is not None:
            from .store import write_history

            write_history(sqlite, result.year, _history_tables(result, merged, extras))


def _extras(key: str, merged: list[_Outcome]) -> list[str]:
    seen: dict[str, None] = {}
    for o in merged:
        part = o.parts.get(key)
        if part is not None:
            for name in part.extras:
                seen.setdefault(name, None)
    return list(seen)


def _data_columns(spec: Sheet, extras: list[str]) -> tuple[list[_Col], list[str]]:
    fixed = [TOWNSHIP_HEADER] + [c.header for c in spec.columns]
    tail = [FILE_HEADER, SHEET_HEADER, ROW_HEADER]
    labels = _unique_headers(fixed + tail, extras)
    columns = ([_Col(TOWNSHIP_HEADER, _TEXT, 10)]
               + [_Col(c.header, _kind(c), c.width) for c in spec.columns]
               + [_Col(label, _RAW, 12) for label in labels]
               + [_Col(FILE_HEADER, _TEXT, 16), _Col(SHEET_HEADER, _TEXT, 10), _Col(ROW_HEADER, _INT, 7)])
    return columns, labels


def _chunks(spec: Sheet, merged: list[_Outcome], extras: list[str]) -> Iterator[list[list]]:
    kinds = [(c.key, _kind(c)) for c in spec.columns]
    for o in merged:
        part = o.parts.get(spec.key)
        if part is None or not part.rows:
            continue
        frame = pd.read_pickle(part.spill, compression=None)
        n = len(frame)
        lists = [[o.report.township] * n]
        lists += [_values(frame[key], kind) for key, kind in kinds]
        for name in extras:
            lists.append(_values(frame[name], _RAW) if name in frame.columns else [None] * n)
        lists += [[o.report.name] * n, [part.name] * n, frame.index.tolist()]
        yield lists


def _write_data_sheet(book: _Book, spec: Sheet, merged, extras, total: SheetTotal, result):
    columns, _labels = _data_columns(spec, extras)
    count = sum(o.parts[spec.key].rows for o in merged if spec.key in o.parts)
    title = f"{spec.name}（{result.county} {result.year} 年全县汇总，{len(result.merged)} 个乡镇工作簿）"
    return book.table(spec.name, title, columns, _chunks(spec, merged, extras), count, spec.key)


def _single(rows: list[tuple]) -> Iterator[list[list]]:
    if rows:
        yield [list(column) for column in zip(*rows, strict=True)]


def _write_issues(book: _Book, result: MergeResult, merged: list[_Outcome]) -> None:
    columns = [_Col(TOWNSHIP_HEADER, _TEXT, 10)] + [
        _Col(h, _INT if h == "行" else _TEXT, w)
        for h, w in zip(ISSUE_HEADERS, (6, 20, 16, 10, 8, 7, 14, 20, 60), strict=True)
    ]
    rows = [(o.report.township, *issue.as_row()) for o in merged for issue in o.issues]
    counts = count_by_severity(result.issues)
    title = (f"问题（各乡镇工作簿校验结果，与 validate 相同）：错误 {counts[ERROR]} 个，"
             f"提醒 {counts[WARNING]} 个")
    book.table(ISSUES_SHEET, title, columns, _single(rows), len(rows), "issues")


_DUP_SIDE = ("来源乡镇", "来源文件", "来源工作表", "来源行", "户编号", "姓名/类别")


def _write_duplicates(book: _Book, result: MergeResult) -> None:
    columns = [_Col("类型", _TEXT, 10), _Col("号码", _ID, 21), _Col("情形", _TEXT, 14)]
    for side in ("甲", "乙"):
        columns += [_Col(f"{side}·{h}", _INT if h == "来源行" else _TEXT, w)
                    for h, w in zip(_DUP_SIDE, (10, 16, 10, 7, 14, 10), strict=True)]
    rows = []
    for d in result.duplicates:
        rows.append((
            DUP_LABELS[d.kind], d.number, d.situation,
            *(_side(d.first)), *(_side(d.other)),
        ))
    counts = result.duplicate_counts()
    title = (f"重复（同一身份证号或案件编号出现不止一次；两行都已入库，请核实后在乡镇工作簿中更正）："
             f"身份证号 {counts[DUP_ID]} 处，案件编号 {counts[DUP_CASE]} 处")
    book.table(DUPLICATES_SHEET, title, columns, _single(rows), len(rows), "duplicates")


def _side(o: Occurrence) -> tuple:
    return (o.township, o.file, o.sheet, o.row, o.household_no, o.detail)


def _source_columns() -> list[_Col]:
    columns = [
        _Col("序号", _INT, 6), _Col("文件", _TEXT, 18), _Col("路径", _TEXT, 30), _Col("状态", _TEXT, 8),
        _Col("说明", _TEXT, 30), _Col("大小（字节）", _INT, 12), _Col("SHA-256", _TEXT, 20),
        _Col("乡镇", _TEXT, 10), _Col("参数年度", _INT, 8), _Col("参数与全县一致", _TEXT, 10),
        _Col("不一致的参数", _TEXT, 30),
    ]
    for spec in SHEETS:
        columns += [_Col(f"{spec.name}·读取", _INT, 9), _Col(f"{spec.name}·入库", _INT, 9),
                    _Col(f"{spec.name}·未入库", _INT, 9)]
    columns += [_Col("合计·读取", _INT, 9), _Col("合计·入库", _INT, 9), _Col("合计·未入库", _INT, 9),
                _Col("错误", _INT, 7), _Col("提醒", _INT, 7)]
    return columns


def _write_sources(book: _Book, result: MergeResult) -> None:
    rows = []
    listed = {f.path for f in result.files}
    entries: list[FileReport] = list(result.files)
    for s in result.skipped:
        if s.path not in listed:
            size = None
            try:
                if s.path.is_file():
                    size = s.path.stat().st_size
            except OSError:
                pass
            entries.append(FileReport(s.path, SKIPPED, s.reason, size=size))
    for number, f in enumerate(entries, start=1):
        matches = {True: "一致", False: "不一致", None: "无参数表" if f.status == MERGED else None}
        row = [number, f.name, str(f.path), STATUS_LABELS[f.status], f.reason or None, f.size,
               f.sha256 or None, f.township or None, f.policy_year, matches[f.policy_matches],
               "；".join(f.policy_differences) or None]
        merged = f.status == MERGED
        for spec in SHEETS:
            count = f.rows.get(spec.key, SheetCount())
            row += [count.read, count.taken, count.rejected] if merged else [None, None, None]
        total = f.total()
        row += ([total.read, total.taken, total.rejected, f.errors, f.warnings] if merged
                else [None] * 5)
        rows.append(tuple(row))
    title = (f"来源：{len(entries)} 个文件（已汇总 {len(result.merged)}，无法读取 {len(result.unreadable)}，"
             f"已跳过 {len(result.skipped)}）；每个工作表 读取 = 入库 + 未入库")
    book.table(SOURCES_SHEET, title, _source_columns(), _single(rows), len(rows), "sources")


_REJECTED_COLUMNS = [
    _Col(TOWNSHIP_HEADER, _TEXT, 10), _Col(FILE_HEADER, _TEXT, 16), _Col(SHEET_HEADER, _TEXT, 10),
    _Col(ROW_HEADER, _INT, 7), _Col("户编号", _TEXT, 14), _Col("案件编号", _TEXT, 14),
    _Col("原因", _TEXT, 30), _Col("行内容", _TEXT, 60),
]


def _write_rejected(book: _Book, result: MergeResult, merged: list[_Outcome]) -> None:
    rows = [(o.report.township, o.report.name, *r) for o in merged for r in o.rejected]
    title = f"未入库：{len(rows)} 行未能汇总（原因见各行；在乡镇工作簿中补正后重新汇总）"
    book.table(REJECTED_SHEET, title, _REJECTED_COLUMNS, _single(rows), len(rows), "rejected")


_SUMMARY_COLUMNS = (
    [("乡镇", 12), ("工作簿", 7), ("监测户", 9)] + [(g, 10) for g in GROUPS] + [("其他户类型", 8),
     ("家庭成员", 9), ("符合条件户", 9)]
    + [(f"案件·{s}", 8) for s in CASE_STAGES] + [("案件·其他状态", 8),
       ("已支付救助金额（元）", 14), ("逾期案件", 8), ("应回访户", 9), ("本季度已回访户", 9),
       ("回访覆盖率", 9), ("问题·错误", 8), ("问题·提醒", 8)]
)


def _summary_values(row: TownshipRow) -> list:
    return ([row.township, row.files, row.households] + [row.groups[g] for g in GROUPS]
            + [row.other_group, row.members, row.eligible] + [row.stages[s] for s in CASE_STAGES]
            + [row.other_stage, round(row.relief_paid, 2), row.overdue_cases, row.monitored,
               row.visited, row.coverage, row.errors, row.warnings])


def _write_summary(book: _Book, ws, result: MergeResult) -> None:
    from xlsxwriter.utility import xl_rowcol_to_cell

    money_col = [h for h, _ in _SUMMARY_COLUMNS].index("已支付救助金额（元）")
    rate_col = [h for h, _ in _SUMMARY_COLUMNS].index("回访覆盖率")
    for i, (_header, width) in enumerate(_SUMMARY_COLUMNS):
        fmt = book.formats[_NUMBER] if i == money_col else book.rate if i == rate_col else None
        if i == 0:
            fmt = book.formats[_TEXT]
        ws.set_column(i, i, width, fmt)
    title = (f"{result.county} {result.year} 年精准防贫监测全县汇总：{len(result.merged)} 个乡镇工作簿，"
             f"生成于 {dt.date.today().isoformat()}")
    ws.write_string(0, 0, title, book.title)
    ws.set_row(1, 42)
    n = len(result.townships)
    _add_table(ws, 1, 1 + max(n, 1), [h for h, _ in _SUMMARY_COLUMNS], "townships")
    for i, (header, _w) in enumerate(_SUMMARY_COLUMNS):
        ws.write_string(1, i, header, book.header)
    row = TITLE_ROWS
    for township in result.townships:
        ws.write_row(row, 0, _summary_values(township))
        row += 1
    if not n:
        row += 1
    for i, value in enumerate(_summary_values(result.total)):
        fmt = (book.bold_money if i == money_col else book.bold_rate if i == rate_col
               else book.bold if isinstance(value, str) else book.bold_int)
        if value is None:
            continue
        ws.write(row, i, value, fmt)
    row += 2

    ws.write_string(row, 0, "行数核对（每个工作表：读取 = 写入 + 未入库）", book.bold)
    row += 1
    for i, header in enumerate(("工作表", "读取", "写入", "未入库", "核对", "写入的工作表")):
        ws.write_string(row, i, header, book.header)
    row += 1
    for total in result.sheets.values():
        ws.write_row(row, 0, [total.name, total.read, total.written, total.rejected,
                              "相符" if total.balanced else "不相符", "、".join(total.sheets)])
        row += 1
    row += 1
    counts = count_by_severity(result.issues)
    dup = result.duplicate_counts()
    facts = [
        ("文件", f"已汇总 {len(result.merged)} 个，无法读取 {len(result.unreadable)} 个，"
                 f"已跳过 {len(result.skipped)} 个（见“来源”工作表）"),
        ("未入库", f"{result.rejected} 行（见“未入库”工作表）"),
        ("重复", f"身份证号 {dup[DUP_ID]} 处，案件编号 {dup[DUP_CASE]} 处（见“重复”工作表）"),
        ("问题", f"错误 {counts[ERROR]} 个，提醒 {counts[WARNING]} 个（见“问题”工作表）"),
    ]
    for total in result.sheets.values():
        if len(total.sheets) > 1:
            facts.append(("续表", f"“{total.name}”共 {total.written:,} 行，超过 Excel 每个工作表的行数上限，"
                                 f"分为：{'、'.join(total.sheets)}"))
    for f in result.unreadable:
        facts.append(("无法读取", f.reason))
    different = [f for f in result.merged if f.policy_matches is False]
    for f in different:
        facts.append(("参数不一致", f"{f.name}（{f.township}）：{'；'.join(f.policy_differences[:5])}"))
    for label, text in facts:
        ws.write_string(row, 0, label, book.bold)
        ws.write_string(row, 1, text)
        row += 1
    row += 1

    if n:
        chart = book.wb.add_chart({"type": "column"})
        first, last = TITLE_ROWS, TITLE_ROWS + n - 1
        sheet = SUMMARY_SHEET
        for col, color in ((2, "#9DC3E6"), (3 + len(GROUPS) + 3, "#2E75B6")):
            chart.add_series({
                "name": [sheet, 1, col],
                "categories": [sheet, first, 0, last, 0],
                "values": [sheet, first, col, last, col],
                "fill": {"color": color},
            })
        chart.set_title({"name": "各乡镇监测户与符合条件户"})
        chart.set_y_axis({"name": "户数", "major_gridlines": {"visible": True}})
        chart.set_legend({"position": "top"})
        chart.set_size({"width": max(720, 40 * n), "height": 360})
        ws.insert_chart(xl_rowcol_to_cell(row, 0), chart)
    ws.freeze_panes(TITLE_ROWS, 1)


# -- SQLite history -----------------------------------------------------------------------

def _history_tables(result: MergeResult, merged: list[_Outcome], extras: dict[str, list[str]]) -> dict:
    tables: dict[str, Any] = {}
    for spec in SHEETS:
        tables[spec.name] = _history_frames(spec, merged, extras[spec.key])
    tables[SOURCES_SHEET] = _frame_of(_source_columns(), _source_rows_for_history(result))
    tables[ISSUES_SHEET] = pd.DataFrame(
        [(o.report.township, *i.as_row()) for o in merged for i in o.issues],
        columns=[TOWNSHIP_HEADER, *ISSUE_HEADERS],
    ).astype({"行": "Int64"})
    side = [f"{s}·{h}" for s in ("甲", "乙") for h in _DUP_SIDE]
    tables[DUPLICATES_SHEET] = pd.DataFrame(
        [(DUP_LABELS[d.kind], d.number, d.situation, *_side(d.first), *_side(d.other))
         for d in result.duplicates],
        columns=["类型", "号码", "情形", *side],
    )
    tables[REJECTED_SHEET] = pd.DataFrame(
        [(o.report.township, o.report.name, *r) for o in merged for r in o.rejected],
        columns=[c.header for c in _REJECTED_COLUMNS],
    )
    tables[SUMMARY_SHEET] = pd.DataFrame(
        [_summary_values(t) for t in [*result.townships, result.total]],
        columns=[h for h, _ in _SUMMARY_COLUMNS],
    )
    return tables


def _history_frames(spec: Sheet, merged: list[_Outcome], extras: list[str]) -> Iterator[pd.DataFrame]:
    _columns, labels = _data_columns(spec, extras)
    rename = {c.key: c.header for c in spec.columns}
    rename.update(dict(zip(extras, labels, strict=True)))
    for o in merged:
        part = o.parts.get(spec.key)
        if part is None or not part.rows:
            continue
        frame = pd.read_pickle(part.spill, compression=None)
        out = frame.rename(columns=rename)
        out.insert(0, TOWNSHIP_HEADER, o.report.township)
        out[FILE_HEADER] = o.report.name
        out[SHEET_HEADER] = part.name
        out[ROW_HEADER] = frame.index.to_numpy(dtype=np.int64)
        yield out.reset_index(drop=True)


def _source_rows_for_history(result: MergeResult) -> list[tuple]:
    rows = []
    for number, f in enumerate(result.files, start=1):
        matches = {True: "一致", False: "不一致", None: "无参数表"}[f.policy_matches]
        row = [number, f.name, str(f.path), STATUS_LABELS[f.status], f.reason or None, f.size,
               f.sha256 or None, f.township or None, f.policy_year, matches,
               "；".join(f.policy_differences) or None]
        for spec in SHEETS:
            c = f.rows.get(spec.key, SheetCount())
            row += [c.read, c.taken, c.rejected]
        t = f.total()
        row += [t.read, t.taken, t.rejected, f.errors, f.warnings]
        rows.append(tuple(row))
    return rows


def _frame_of(columns: list[_Col], rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=[c.header for c in columns])
    for c in columns:
        if c.kind == _INT:
            frame[c.header] = pd.to_numeric(frame[c.header], errors="coerce").astype("Int64")
        elif c.kind == _TEXT:
            frame[c.header] = frame[c.header].astype(object)
    return frame


# -- the summary a person reads ---------------------------------------------------------------

def render_summary(result: MergeResult) -> str:
    """The merge summary in Chinese: files, row accounting per sheet, duplicates, problems."""
    lines = [
        f"已汇总 {len(result.merged)} 个乡镇工作簿（{result.county} {result.year} 年）→ {result.output}",
    ]
    header = ["工作表", "读取", "写入", "未入库", "核对"]
    table = [[t.name, f"{t.read:,}", f"{t.written:,}", f"{t.rejected:,}",
              "相符" if t.balanced else "不相符"] for t in result.sheets.values()]
    read = sum(t.read for t in result.sheets.values())
    written = sum(t.written for t in result.sheets.values())
    rejected = result.rejected
    table.append(["合计", f"{read:,}", f"{written:,}", f"{rejected:,}",
                  "相符" if read == written + rejected else "不相符"])
    widths = [max(display_width(r[i]) for r in [header, *table]) for i in range(len(header))]
    lines.append("行数核对（读取 = 写入 + 未入库）：")
    for r in [header, *table]:
        lines.append("  " + "  ".join(pad(v, widths[i], right=0 < i < 4) for i, v in enumerate(r)))
    for t in result.sheets.values():
        if len(t.sheets) > 1:
            lines.append(f"“{t.name}”超过 Excel 每个工作表的行数上限，分为：{'、'.join(t.sheets)}")
    dup = result.duplicate_counts()
    counts = count_by_severity(result.issues)
    lines.append(f"未入库：{rejected:,} 行（见“未入库”工作表）")
    lines.append(f"重复：身份证号 {dup[DUP_ID]} 处，案件编号 {dup[DUP_CASE]} 处（见“重复”工作表）")
    lines.append(f"问题：{SEVERITY_LABELS[ERROR]} {counts[ERROR]} 个，"
                 f"{SEVERITY_LABELS[WARNING]} {counts[WARNING]} 个（见“问题”工作表）")
    different = [f for f in result.merged if f.policy_matches is False]
    if different:
        lines.append(f"参数与全县不一致的工作簿 {len(different)} 个：")
        for f in different:
            lines.append(f"  {f.name}（{f.township}）：{'；'.join(f.policy_differences[:3])}"
                         + ("……" if len(f.policy_differences) > 3 else ""))
    if result.skipped:
        lines.append(f"已跳过 {len(result.skipped)} 个文件：")
        for s in result.skipped:
            lines.append(f"  {s.path}：{s.reason}")
    if result.unreadable:
        lines.append(f"无法读取 {len(result.unreadable)} 个文件（未汇总，请更正后重新汇总）：")
        for f in result.unreadable:
            lines.append(f"  {f.reason}")
    if result.sqlite is not None:
        lines.append(f"历史数据库：{result.sqlite}（{result.year} 年的数据已更新）")
    return "\n".join(lines) + "\n"
