"""Issues as records.

Every problem found in a workbook is one ``Issue``. The text report, the
JSON report, the annotated copy and the county 问题 sheet are renderings of
the same list, so they never disagree.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

ERROR = "error"
WARNING = "warning"
SEVERITY_LABELS = {ERROR: "错误", WARNING: "提醒"}

#: Column headers of the 问题 sheet, in the order of ``Issue.as_row``.
ISSUE_HEADERS = ("级别", "代码", "文件", "工作表", "单元格", "行", "列", "值", "说明")


@dataclass(frozen=True)
class Issue:
    code: str
    severity: str
    file: str
    sheet: str
    cell: str
    row: int | None
    column: str
    #: The offending value as shown to users; ID and phone numbers masked.
    value: str
    message: str

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def as_dict(self) -> dict:
        return asdict(self)

    def as_row(self) -> tuple:
        return (
            SEVERITY_LABELS.get(self.severity, self.severity), self.code, self.file, self.sheet,
            self.cell, self.row, self.column, self.value, self.message,
        )

    def location(self) -> str:
        """``file 工作表“sheet” 单元格 C5`` — the place a user looks."""
        parts = [self.file]
        if self.sheet:
            parts.append(f"工作表“{self.sheet}”")
        if self.cell:
            parts.append(f"单元格 {self.cell}")
        return " ".join(parts)


def count_by_severity(issues) -> dict[str, int]:
    counts = {ERROR: 0, WARNING: 0}
    for issue in issues:
        counts[issue.severity] = counts.get(issue.severity, 0) + 1
    return counts
