"""Validation of township workbooks: read each file, check it, report.

``validate_paths`` reads files with the one reader, checks each with
``checks.check_workbook`` and adds the problems only several workbooks show
(one person registered in two townships, one 案件编号 in two workbooks). The
JSON report is ``ValidationResult.as_dict()``; ``render_text`` is the report a
person reads; the annotated copy renders the same issues. The issue codes are
in ``issues.CODES`` (docs/ISSUE-CODES.md).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .checks import CheckedWorkbook, check_workbook, cross_workbook_issues, occurrences
from .errors import FangpinError, InputError, exit_code
from .issues import ERROR, WARNING, Issue, count_by_severity, issue, sort_issues
from .policy import Policy
from .text import shown_path
from .workbook.discover import Skipped, discover, open_in_office

#: Warnings of one kind shown one by one per file in the text report; the rest are counted.
SHOWN_PER_KIND = 5


@dataclass
class FileResult:
    path: Path
    issues: list[Issue]
    #: Sheet name → data rows read.
    rows: dict[str, int] = field(default_factory=dict)
    #: False when the file could not be read at all.
    readable: bool = True
    #: The annotated copy (``annotate_dir``), if one was written.
    annotated: Path | None = None
    #: What happened to the annotated copy, in Chinese ("" when none was asked for).
    annotation_note: str = ""
    #: Data sheet name → (last header row, last data row): what the annotated copy prints.
    layout: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def errors(self) -> int:
        return count_by_severity(self.issues)[ERROR]

    @property
    def warnings(self) -> int:
        return count_by_severity(self.issues)[WARNING]

    def as_dict(self) -> dict:
        return {
            "path": shown_path(self.path),
            "file": shown_path(self.path.name),
            "readable": self.readable,
            "rows": dict(self.rows),
            "errors": self.errors,
            "warnings": self.warnings,
            "issues": [found.as_dict() for found in self.issues],
            "annotated": str(self.annotated) if self.annotated is not None else None,
            "annotation_note": self.annotation_note,
        }


@dataclass
class ValidationResult:
    files: list[FileResult]
    #: Files found in the folders given and not checked, with the reason (``workbook.discover``).
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def issues(self) -> list[Issue]:
        return [found for result in self.files for found in result.issues]

    @property
    def errors(self) -> int:
        return sum(result.errors for result in self.files)

    @property
    def warnings(self) -> int:
        return sum(result.warnings for result in self.files)

    @property
    def unreadable(self) -> list[Path]:
        return [result.path for result in self.files if not result.readable]

    @property
    def exit_code(self) -> int:
        return exit_code(errors=self.errors, unusable=len(self.unreadable))

    def as_dict(self) -> dict:
        return {
            "files": [result.as_dict() for result in self.files],
            "errors": self.errors,
            "warnings": self.warnings,
            "unreadable": [shown_path(path) for path in self.unreadable],
            "skipped": [s.as_dict() for s in self.skipped],
            "exit_code": self.exit_code,
        }


def expand_paths(paths: Iterable[str | Path], annotate_dir: str | Path | None = None) -> list[Path]:
    """Files as given; a folder gives its workbooks and its sub-folders' (merge's rule).

    The folder the annotated copies go to is not searched.
    """
    return discover(paths, output_dirs=[annotate_dir] if annotate_dir is not None else [])[0]


def validate_paths(paths: Iterable[str | Path], *, policy: Policy | None = None,
                   today: dt.date | None = None,
                   annotate_dir: str | Path | None = None) -> ValidationResult:
    """Read and check each workbook (folders give their workbooks).

    A file that cannot be read at all becomes one ``unreadable`` error and is
    listed in ``ValidationResult.unreadable``. With ``annotate_dir``, every
    readable workbook with issues gets an annotated copy there
    (``annotate.annotate_workbook``; inputs are never modified). A ``policy``
    whose income threshold is 待填 raises ``PolicyError`` before any file is read.
    """
    from .workbook.read import read_workbook

    if policy is not None:
        policy.income_threshold()
    today = dt.date.today() if today is None else today
    results: list[FileResult] = []
    checked: list[CheckedWorkbook] = []
    given = [Path(p) for p in paths]
    inputs, skipped = discover(given, output_dirs=[annotate_dir] if annotate_dir is not None else [])
    named = {p for p in given if not p.is_dir()}
    refused = [s for s in skipped if s.path in named]
    passed = [s for s in skipped if s.path not in named]
    if not inputs:
        if refused:
            raise InputError("没有可校验的工作簿：" + "；".join(
                f"{shown_path(s.path.name)} {s.reason}" for s in refused) + "。请给出 .xlsx、.xlsm 或 .xls 工作簿。")
        folders = "、".join(shown_path(p) for p in given if p.is_dir())
        ours = [s for s in passed if s.made]
        if ours:
            listed = "；".join(f"{shown_path(s.path.name)}：{s.reason}" for s in ours[:5])
            raise InputError(f"文件夹 {folders} 中只有本工具写出的文件，没有乡镇工作簿（{listed}）："
                             "请给出乡镇交回的工作簿或其所在的文件夹。")
        raise InputError(f"文件夹 {folders} 中没有找到工作簿（.xlsx、.xlsm、.xls）：请检查文件夹，"
                         "或直接给出工作簿文件。")
    for s in refused:
        found = issue("unreadable", shown_path(s.path.name),
                      message=f"{shown_path(s.path.name)}：{s.reason}，未校验。请给出 .xlsx、.xlsm 或 .xls 工作簿。")
        results.append(FileResult(s.path, [found], {}, readable=False))
    for path in inputs:
        try:
            data = read_workbook(path)
        except FangpinError as exc:
            found = issue("unreadable", shown_path(path.name), message=f"{exc}".rstrip("。") + "。")
            results.append(FileResult(path, [found], {}, readable=False))
            continue
        workbook = check_workbook(data, policy=policy, today=today)
        checked.append(workbook)
        opened = open_in_office(path)
        rows = {sd.name: sd.rows_read for sd in data.sheets.values()}
        layout = {sd.name: (sd.header_row + sd.header_rows - 1,
                            int(sd.frame.index.max()) if len(sd.frame) else sd.header_row + sd.header_rows - 1)
                  for sd in data.sheets.values() if sd.header_row}
        results.append(FileResult(path, [*opened, *workbook.issues], rows, layout=layout))
    add_cross_workbook_issues(results, checked, today)
    if annotate_dir is not None:
        _annotate(results, Path(annotate_dir), inputs)
    return ValidationResult(results, passed)


def add_cross_workbook_issues(results: list[FileResult], checked: list[CheckedWorkbook],
                              today: dt.date) -> None:
    """Put the problems only several workbooks show into each file's sorted issues."""
    if len(checked) < 2:
        return
    by_file: dict[str, list[Issue]] = {}
    for found in cross_workbook_issues((occurrences(c) for c in checked), today=today):
        by_file.setdefault(found.file, []).append(found)
    sheet_names = {c.file: c.data.sheet_names for c in checked}
    for result in results:
        extra = by_file.get(result.path.name)
        if extra:
            result.issues = sort_issues(result.issues + extra, sheet_names[result.path.name])


def _annotate(results: list[FileResult], out_dir: Path, inputs: list[Path]) -> None:
    from .annotate import TooLarge, annotate_workbook, annotation_note, too_large_note

    taken = set(inputs)
    for result in results:
        if not result.readable or not result.issues:
            continue
        try:
            result.annotated = annotate_workbook(result.path, result.issues, out_dir, avoid=taken,
                                                 layout=result.layout)
            taken.add(result.annotated)
            result.annotation_note = annotation_note(result.path, result.annotated)
        except TooLarge as exc:
            result.annotated = exc.written
            taken.add(exc.written)
            result.annotation_note = too_large_note(result.path, exc)
        except FangpinError as exc:
            result.annotation_note = f"未能生成标注副本：{exc}"


# -- text report ------------------------------------------------------------------------

def issue_line(found: Issue) -> str:
    """One issue as a report line: cell, column, value, then 【title】 and the message."""
    label = f"【{found.title}】" if found.is_error else f"【提醒：{found.title}】"
    parts = [found.cell, found.column, found.value, label + found.message]
    return "  " + "  ".join(p for p in parts if p)


def render_text(result: ValidationResult) -> str:
    """The report a person reads: by file, then sheet; one line per issue; totals last.

    Errors are listed one by one. Of a warning code occurring more than
    ``SHOWN_PER_KIND`` times in a file, the first ones are listed and the rest
    counted (``--json`` and the annotated copy hold them all).
    """
    lines: list[str] = []
    for file_result in result.files:
        name = shown_path(file_result.path.name)
        if not file_result.readable:
            lines.append(f"{name}（无法读取）")
        else:
            lines.append(f"{name}：错误 {file_result.errors} 个，提醒 {file_result.warnings} 个")
        if not file_result.issues:
            lines.append("  未发现问题")
        totals = Counter(i.code for i in file_result.issues if not i.is_error)
        shown: Counter[str] = Counter()
        current = None
        for found in file_result.issues:
            if not found.is_error:
                shown[found.code] += 1
                if shown[found.code] > SHOWN_PER_KIND:
                    continue
            if found.sheet and found.sheet != current:
                current = found.sheet
                lines.append(f" 工作表“{found.sheet}”")
            lines.append(issue_line(found))
        for code, total in totals.items():
            if total > SHOWN_PER_KIND:
                title = next(i.title for i in file_result.issues if i.code == code)
                lines.append(f"  ……另有 {total - SHOWN_PER_KIND} 个“{title}”提醒未逐条列出"
                             "（全部见 --json 输出或标注副本）")
        if file_result.annotation_note:
            lines.append(f"  {file_result.annotation_note}")
    if result.skipped:
        lines.append(f"已跳过 {len(result.skipped)} 个文件（未校验）：")
        for s in result.skipped:
            lines.append(f"  {shown_path(s.path)}：{s.reason}")
    summary = f"共 {len(result.files)} 个文件：错误 {result.errors} 个，提醒 {result.warnings} 个"
    if result.unreadable:
        summary += f"，{len(result.unreadable)} 个文件无法读取"
    if result.skipped:
        summary += f"；另跳过 {len(result.skipped)} 个文件"
    lines.append(summary)
    return "\n".join(lines) + "\n"
