"""What a merge produces: per-file reports, per-sheet and per-township totals, the result."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..checks import Duplicate
from ..checks.duplicates import CASE_KIND, ID_KIND
from ..errors import exit_code
from ..issues import Issue, count_by_severity
from ..policy import GROUPS, Policy
from ..schema import CASE_STAGES, SHEETS
from ..text import shown_path
from ..workbook.discover import Skipped
from ..workbook.made import COUNTY_WORKBOOK

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
REASON_OTHER_SHEET = "工作表“{sheet}”不是模板中的数据表（未识别），其中的行未汇总"

#: The rows of sheets the reader does not recognise, counted like a data sheet's.
OTHER_KEY, OTHER_NAME = "other", "其他工作表"
#: Every row a township workbook holds is in one of these: (key, name as shown).
ACCOUNTED: tuple[tuple[str, str], ...] = (*((s.key, s.name) for s in SHEETS), (OTHER_KEY, OTHER_NAME))

# Sheet names of the county workbook.
SUMMARY_SHEET = "汇总"
#: What the county workbook is marked as (``workbook.made``): a later merge may replace it.
COUNTY_KIND = COUNTY_WORKBOOK
ISSUES_SHEET = "问题"
DUPLICATES_SHEET = "重复"
SOURCES_SHEET = "来源"
REJECTED_SHEET = "未入库"
VIOLATIONS_SHEET = "逾期与违规"

TOWNSHIP_HEADER = "来源乡镇"
FILE_HEADER = "来源文件"
SHEET_HEADER = "来源工作表"
ROW_HEADER = "来源行"

#: Duplicate kinds as the JSON report names them.
DUPLICATE_KEYS = {ID_KIND: "id_number", CASE_KIND: "case_no"}


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
    #: The 核查基准日 the workbook was checked at (its 参数 sheet's, else the default).
    check_date: dt.date | None = None

    @property
    def name(self) -> str:
        return shown_path(self.path.name)

    def total(self) -> SheetCount:
        out = SheetCount()
        for count in self.rows.values():
            out.add(count)
        return out

    def as_dict(self) -> dict:
        return {
            "path": shown_path(self.path),
            "file": self.name,
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
            "check_date": self.check_date.isoformat() if self.check_date else None,
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
class TownshipRow:
    """One row of 汇总 (a township may hand in more than one file)."""

    township: str
    files: int = 0
    households: int = 0
    groups: dict[str, int] = field(default_factory=lambda: dict.fromkeys(GROUPS, 0))
    other_group: int = 0
    members: int = 0
    eligible: int = 0
    stages: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CASE_STAGES, 0))
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
    #: 逾期与违规: the procedure errors on 救助 (rows) and the cases they concern.
    violations: int = 0
    violation_cases: int = 0
    #: Seconds: read / check (summed over files, in the workers), read_check (wall), write (wall).
    timings: dict[str, float] = field(default_factory=dict)
    #: The county's policy (written to the county workbook's 参数 sheet).
    policy: Policy | None = None

    @property
    def merged(self) -> list[FileReport]:
        return [f for f in self.files if f.status == MERGED]

    @property
    def check_dates(self) -> list[dt.date]:
        """The townships' 核查基准日, most common first."""
        counts = Counter(f.check_date for f in self.merged if f.check_date is not None)
        return [day for day, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]

    @property
    def check_date(self) -> dt.date:
        """The county's 核查基准日 (the 参数 sheet of the county workbook): the townships' when
        they agree, else the latest of them; 31 December of the year without any."""
        dates = self.check_dates
        return max(dates) if dates else dt.date(self.year, 12, 31)

    @property
    def unreadable(self) -> list[FileReport]:
        return [f for f in self.files if f.status == UNREADABLE]

    @property
    def rejected(self) -> int:
        return sum(total.rejected for total in self.sheets.values())

    @property
    def exit_code(self) -> int:
        """The one rule (``errors.exit_code``): 2 a file unreadable, 1 errors in the data, else 0."""
        return exit_code(errors=count_by_severity(self.issues)["error"],
                         unusable=len(self.unreadable))

    def duplicate_counts(self) -> dict[str, int]:
        """Repeats per kind, under the JSON keys ``id_number`` and ``case_no``, and in total."""
        counts = dict.fromkeys(DUPLICATE_KEYS.values(), 0)
        for dup in self.duplicates:
            counts[DUPLICATE_KEYS[dup.kind]] += 1
        counts["total"] = len(self.duplicates)
        return counts

    def as_dict(self) -> dict:
        return {
            "output": shown_path(self.output),
            "county": self.county,
            "year": self.year,
            "files": [f.as_dict() for f in self.files],
            "skipped": [s.as_dict() for s in self.skipped],
            "unreadable": [{"path": shown_path(f.path), "file": f.name, "reason": f.reason}
                           for f in self.unreadable],
            "rows": {key: total.as_dict() for key, total in self.sheets.items()},
            "rejected": self.rejected,
            "duplicates": self.duplicate_counts(),
            "violations": {"cases": self.violation_cases, "rows": self.violations},
            "issues": count_by_severity(self.issues),
            "townships": [t.as_dict() for t in self.townships],
            "total": self.total.as_dict(),
            "sqlite": str(self.sqlite) if self.sqlite is not None else None,
            "check_date": self.check_date.isoformat(),
            "exit_code": self.exit_code,
        }
