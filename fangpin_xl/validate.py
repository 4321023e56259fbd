"""Validation of township workbooks: every problem becomes one ``Issue``.

``check_workbook`` is pure over a workbook already read by
``workbook.read.read_workbook`` (merge calls it on the data it has read, so a
file is read once); ``validate_paths`` reads files and checks them;
``render_text`` is the text report. The JSON report is
``ValidationResult.as_dict()``, and the annotated copy and the county 问题
sheet render the same issue list.

Every check is evaluated over whole columns (boolean masks); Python loops run
over the checks and over the flagged rows only, to build the records. Values
shown in issues are the cell's value as text; ID and phone numbers are masked
(``ids.mask_id``: 130434********123X, an invalid one keeps 3 characters).

Issue codes (severity):

* from the reader: ``missing_sheet``, ``empty_sheet``, ``header_not_found``,
  ``missing_column``, ``duplicate_column``, ``policy_header_missing``;
* file: ``unreadable`` (error; ``validate_paths`` only);
* 参数: ``policy_invalid`` (error), ``policy_mismatch`` (error, only against a
  county policy), ``check_date_invalid`` (warning);
* cells: ``coerced`` (warning: read differently from how it was typed),
  ``wrong_type``, ``required_missing``, ``not_in_choices``, ``future_date``,
  ``phone_invalid``; ID numbers ``id_numeric``, ``id_length``, ``id_chars``,
  ``id_date``, ``id_check``, ``id_province`` (errors; mapped from the
  message of ``ids.validate_ids``, which has no code of its own; anything
  unforeseen is ``id_invalid``) and ``id_area`` (warning, on 监测户 and
  家庭成员 only, not again on every sheet that refers to the person);
* rows: ``duplicate_household_no``, ``duplicate_case_no``, ``duplicate_id``
  (within a workbook: a head ID on two households, a member twice in one
  household; across workbooks: one person in two townships, every cell),
  ``member_two_households`` (one ID under two 户编号, members and heads),
  ``orphan_row``, ``household_size_mismatch`` (warning), ``status_mismatch``;
* procedure (``cases``): ``date_order``, ``notice_too_short``,
  ``filing_before_notice``, ``payment_before_filing``, ``relief_above_cap``,
  ``relief_above_table``, ``deadline_passed``, ``stage_mismatch`` (warning),
  ``calendar_fallback`` (warning);
* visits (``followup``): ``visit_overdue``, ``visit_problem_open`` (warnings).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import cases as case_checks
from . import followup
from .derive import match_keys
from .errors import FangpinError, PolicyError
from .ids import id_error_codes, mask_id, mask_ids, validate_ids
from .issues import ERROR, SEVERITY_LABELS, WARNING, Issue, count_by_severity
from .policy import Policy, policy_differences, policy_from_values, policy_rows
from .schema import (
    CHOICE,
    DATE,
    ID,
    INTEGER,
    MONEY,
    MONTH,
    PHONE,
    POLICY_SHEET,
    YESNO,
    Column,
)
from .text import cell_text, number_texts
from .workbook.discover import discover

#: Workbook suffixes ``validate_paths`` picks up when given a folder.
CHECK_DATE_KEY = "check_date"
#: Where the template puts the 参数 values (docs/WORKBOOK-LAYOUT.md): column C from row 3.
_POLICY_VALUE_COLUMN = "C"
_POLICY_FIRST_ROW = 3

#: ID validator messages → issue codes, by the start of the message.
_ID_ACTION = "：请对照身份证核对后更正。"

_TYPE_WORDS = {
    MONEY: ("数字", "数字（元），如 5000"),
    INTEGER: ("整数", "整数，如 4"),
    DATE: ("有效日期", "日期，如 2020-08-25"),
    MONTH: ("有效年月", "年月，如 2020-08"),
    YESNO: ("“是”或“否”", "“是”或“否”"),
    PHONE: ("电话号码", "文本格式的电话号码"),
}
_TYPE_NAMES = {MONEY: "数字", INTEGER: "整数", DATE: "日期", MONTH: "年月", YESNO: "是/否", PHONE: "号码"}
_PHONE_CLEAN = re.compile(r"[\s\-－—()（）]")
_PHONE_OK = re.compile(r"(?:\+?86)?(?:1\d{10}|0\d{9,11})")
ID_CELL_COLUMNS = ("id", "file", "sheet", "cell", "row", "column")


# -- results ----------------------------------------------------------------------

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

    @property
    def errors(self) -> int:
        return count_by_severity(self.issues)[ERROR]

    @property
    def warnings(self) -> int:
        return count_by_severity(self.issues)[WARNING]

    def as_dict(self) -> dict:
        return {
            "path": str(self.path),
            "file": self.path.name,
            "readable": self.readable,
            "rows": dict(self.rows),
            "errors": self.errors,
            "warnings": self.warnings,
            "issues": [issue.as_dict() for issue in self.issues],
            "annotated": str(self.annotated) if self.annotated is not None else None,
            "annotation_note": self.annotation_note,
        }


#: Exit codes for a face: 0 no errors (warnings allowed), 1 errors, 2 a file could not be read.
EXIT_OK, EXIT_ERRORS, EXIT_UNREADABLE = 0, 1, 2


@dataclass
class ValidationResult:
    files: list[FileResult]

    @property
    def issues(self) -> list[Issue]:
        return [issue for result in self.files for issue in result.issues]

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
        """2 when a file could not be read at all, else 1 when there are errors, else 0."""
        if self.unreadable:
            return EXIT_UNREADABLE
        return EXIT_ERRORS if self.errors else EXIT_OK

    def as_dict(self) -> dict:
        return {
            "files": [result.as_dict() for result in self.files],
            "errors": self.errors,
            "warnings": self.warnings,
            "unreadable": [str(path) for path in self.unreadable],
            "exit_code": self.exit_code,
        }


# -- reading files ------------------------------------------------------------------

def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given; a folder gives its own workbooks (the same skip rules as merge)."""
    return discover(paths, recursive=False)[0]


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
    today = dt.date.today() if today is None else _as_date(today)
    results = []
    ids = []
    ranks: dict[str, dict[str, int]] = {}
    paths = expand_paths(paths)
    for path in paths:
        try:
            data = read_workbook(path)
        except FangpinError as exc:
            issue = Issue("unreadable", ERROR, path.name, "", "", None, "", "",
                          f"{exc}".rstrip("。") + "。")
            results.append(FileResult(path, [issue], {}, readable=False))
            continue
        issues, run = _check(data, policy, today)
        rows = {sd.name: sd.rows_read for sd in data.sheets.values()}
        results.append(FileResult(path, issues, rows))
        if len(paths) > 1:  # a person in two townships needs two workbooks to be seen
            ids.append(run.id_cells())
        ranks[path.name] = {name: i for i, name in enumerate(data.sheet_names)}
    if len(ids) > 1:
        shared = cross_file_duplicates(pd.concat(ids, ignore_index=True), today=today)
        by_file: dict[str, list[Issue]] = {}
        for issue in shared:
            by_file.setdefault(issue.file, []).append(issue)
        for result in results:
            extra = by_file.get(result.path.name)
            if extra:
                rank = ranks[result.path.name]
                result.issues = sorted(result.issues + extra, key=lambda i: _sort_key(i, rank))
    if annotate_dir is not None:
        _annotate(results, Path(annotate_dir))
    return ValidationResult(results)


def _annotate(results: list[FileResult], out_dir: Path) -> None:
    from .annotate import annotate_workbook, annotation_note

    for result in results:
        if not result.readable or not result.issues:
            continue
        try:
            result.annotated = annotate_workbook(result.path, result.issues, out_dir)
            result.annotation_note = annotation_note(result.path, result.annotated)
        except FangpinError as exc:
            result.annotation_note = f"未能生成标注副本：{exc}"


# -- the checks -----------------------------------------------------------------------

def check_workbook(data, *, policy: Policy | None = None, today: dt.date | None = None) -> list[Issue]:
    """Every issue of one read workbook (``workbook.read.WorkbookData``), sorted by place.

    Rules use ``policy`` (the county's) when given, and then every 参数 row that
    differs from it is a ``policy_mismatch``; otherwise the workbook's own 参数
    sheet, or the defaults when it has none. The check date is the 参数
    sheet's 核查基准日, else 31 December of the policy year. ``today``
    (default: the current date) bounds dates and birth dates.
    """
    return _check(data, policy, today)[0]


def rules_basis(data, policy: Policy | None = None) -> tuple[Policy, dt.date]:
    """The policy and check date ``check_workbook`` applies to ``data`` (merge computes with them)."""
    file, sheet = Path(data.path).name, _policy_sheet_name(data)
    rules_policy = policy or _own_policy(data, file, sheet)[0] or Policy()
    return rules_policy, _check_date(data, rules_policy, file, sheet)[0]


def _check(data, policy: Policy | None, today: dt.date | None) -> tuple[list[Issue], _Run]:
    today = dt.date.today() if today is None else _as_date(today)
    file = Path(data.path).name
    issues: list[Issue] = list(data.issues)
    policy_sheet = _policy_sheet_name(data)
    own, own_issues = _own_policy(data, file, policy_sheet)
    issues += own_issues
    rules_policy = policy or own or Policy()
    if policy is not None and data.policy_values:
        issues += _policy_mismatches(data, policy, file, policy_sheet)
    check_date, date_issues = _check_date(data, rules_policy, file, policy_sheet)
    issues += date_issues

    run = _Run(data, file, rules_policy, check_date, today)
    for sd in data.sheets.values():
        issues += run.cell_checks(sd)
    issues += run.cross_checks()
    return sorted(issues, key=run.sort_key), run


def check_workbook_ids(data, *, policy: Policy | None = None, today: dt.date | None = None
                       ) -> tuple[list[Issue], pd.DataFrame]:
    """``check_workbook`` plus the workbook's valid ID numbers, for checks across workbooks.

    The frame has one row per valid ID cell of 监测户 (户主身份证号) and 家庭成员
    (身份证号): columns ``id``, ``file``, ``sheet``, ``cell``, ``row``, ``column``.
    """
    issues, run = _check(data, policy, today)
    return issues, run.id_cells()


def workbook_ids(data, *, today: dt.date | None = None) -> pd.DataFrame:
    """The valid ID numbers of 监测户 and 家庭成员 with their cells (see ``check_workbook_ids``)."""
    return check_workbook_ids(data, today=today)[1]


def cross_file_duplicates(ids: pd.DataFrame, today: dt.date | None = None) -> list[Issue]:
    """``duplicate_id`` for a person registered in more than one workbook.

    ``ids`` is the concatenation of ``workbook_ids`` of several workbooks. Every
    cell holding such a number gets an issue naming where else it stands.
    """
    if ids.empty:
        return []
    spread = ids.groupby("id")["file"].nunique()
    shared = ids[ids["id"].map(spread) > 1]
    out: list[Issue] = []
    if shared.empty:
        return out
    places = {
        number: list(zip(group["file"], group["sheet"], group["cell"], strict=True))
        for number, group in shared.groupby("id", sort=False)
    }
    for row in shared.itertuples(index=False):
        others = [f"{f} 工作表“{s}” {c}" for f, s, c in places[row.id] if f != row.file]
        shown = "、".join(others[:3]) + (f" 等 {len(others)} 处" if len(others) > 3 else "")
        out.append(Issue(
            "duplicate_id", ERROR, row.file, row.sheet, row.cell, int(row.row), row.column,
            mask_id(row.id, today=today),
            f"身份证号在其他乡镇工作簿中也有登记（{shown}）：同一人只能在一个乡镇登记，请与对方乡镇核对。",
        ))
    return out


def _as_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    stamp = pd.Timestamp(value)
    return stamp.date()


def _policy_sheet_name(data) -> str:
    for name in data.sheet_names:
        if re.sub(r"\s+", "", name) == POLICY_SHEET:
            return name
    return POLICY_SHEET


def _policy_cell(data, key: str) -> tuple[str, int | None]:
    """The A1 address of a 参数 value: from the reader if it knows, else the template layout."""
    cells = getattr(data, "policy_cells", None)
    if cells:
        cell = cells.get(key, "")
        match = re.fullmatch(r"[A-Z]+(\d+)", cell)
        return cell, int(match.group(1)) if match else None
    keys = list(data.policy_values or {})
    if key not in keys:
        return "", None
    row = _POLICY_FIRST_ROW + keys.index(key)
    return f"{_POLICY_VALUE_COLUMN}{row}", row


def _own_policy(data, file: str, sheet: str) -> tuple[Policy | None, list[Issue]]:
    if not data.policy_values:
        return None, []
    try:
        return policy_from_values(data.policy_values, source=f"{file} 工作表“{sheet}”"), []
    except PolicyError as exc:
        message = str(exc).rstrip("。") + "：请使用县里下发的模板中的参数表，不要修改。"
        return None, [Issue("policy_invalid", ERROR, file, sheet, "", None, "", "", message)]


def _policy_mismatches(data, policy: Policy, file: str, sheet: str) -> list[Issue]:
    labels = {key: label for key, label, _ in policy_rows(policy)}
    out = []
    for key, label, expected, found in policy_differences(policy, data.policy_values):
        cell, row = _policy_cell(data, key)
        shown = cell_text(found)
        out.append(Issue(
            "policy_mismatch", ERROR, file, sheet, cell, row, labels.get(key, label), shown,
            f"参数“{label}”为 {shown or '（空）'}，县里统一设置为 {cell_text(expected) or '（空）'}"
            "：乡镇请勿修改参数表，请改回或使用县里下发的最新模板。",
        ))
    return out


def _check_date(data, policy: Policy, file: str, sheet: str) -> tuple[dt.date, list[Issue]]:
    default = dt.date(policy.year, 12, 31)
    value = (data.policy_values or {}).get(CHECK_DATE_KEY)
    if value is None or value == "":
        return default, []
    if isinstance(value, dt.date):
        return _as_date(value), []
    cell, row = _policy_cell(data, CHECK_DATE_KEY)
    return default, [Issue(
        "check_date_invalid", WARNING, file, sheet, cell, row, "核查基准日", cell_text(value),
        f"核查基准日“{cell_text(value)}”不是有效日期，已按 {default.isoformat()} 核查"
        "：请填写日期，如 2020-12-31。",
    )]


class _Run:
    """One workbook's checks, sharing the derived columns between them."""

    def __init__(self, data, file: str, policy: Policy, check_date: dt.date, today: dt.date):
        self.data = data
        self.file = file
        self.policy = policy
        self.check_date = check_date
        self.today = today
        self.sheets = data.sheets
        #: (sheet key) → normalised ID per row, for the cross-sheet ID checks.
        self.ids: dict[str, pd.Series] = {}
        #: (sheet key) → which rows hold a valid ID.
        self.valid: dict[str, np.ndarray] = {}
        #: sheet key → column key → rows whose cell was reported as unreadable (wrong_type).
        self.failed: dict[str, dict[str, list[int]]] = {}
        order = {name: i for i, name in enumerate(data.sheet_names)}
        self._sheet_rank = order
        self._keys: dict[tuple[str, str], pd.Series] = {}

    def keys(self, sheet_key: str, column: str = "household_no") -> pd.Series:
        """``derive.match_keys`` of a sheet's key column, computed once per workbook."""
        cached = self._keys.get((sheet_key, column))
        if cached is None:
            cached = match_keys(self.sheets[sheet_key].frame[column])
            self._keys[(sheet_key, column)] = cached
        return cached

    def id_cells(self) -> pd.DataFrame:
        """The valid ID cells of 监测户 and 家庭成员 (see ``check_workbook_ids``)."""
        parts = []
        for sheet_key, key in (("households", "head_id"), ("members", "id_number")):
            sd = self.sheets.get(sheet_key)
            valid = self.valid.get(sheet_key)
            if sd is None or valid is None or not valid.any():
                continue
            rows = sd.frame.index[valid]
            letter = sd.columns[key]
            parts.append(pd.DataFrame({
                "id": self.ids[sheet_key].to_numpy(dtype=object)[valid], "file": self.file,
                "sheet": sd.name, "cell": letter + rows.astype(str), "row": rows.to_numpy(),
                "column": _header(sd, key),
            }))
        if not parts:
            return pd.DataFrame(columns=list(ID_CELL_COLUMNS))
        return pd.concat(parts, ignore_index=True)

    # -- records ------------------------------------------------------------------
    def sort_key(self, issue: Issue) -> tuple:
        return _sort_key(issue, self._sheet_rank)

    def issues(self, sd, mask, code: str, severity: str, key: str, messages,
               values: list[str] | None = None) -> list[Issue]:
        """Issues for the rows of ``sd.frame`` where ``mask`` is True, at column ``key``.

        ``messages``: one text, an array aligned with the frame, or a function of
        the flagged rows' index (so texts are built for flagged rows only).
        """
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return []
        rows = sd.frame.index[mask]
        if isinstance(messages, str):
            texts = [messages] * len(rows)
        elif callable(messages):
            texts = list(messages(rows))
        else:
            texts = list(np.asarray(messages, dtype=object)[mask])
        shown = self.display(sd, key, rows) if values is None else values
        return self._records(sd, rows, code, severity, key, texts, shown)

    def _records(self, sd, rows, code, severity, key, texts, shown) -> list[Issue]:
        letter = sd.columns.get(key, "")
        header = _header(sd, key)
        return [
            Issue(str(code), severity, self.file, sd.name, f"{letter}{row}" if letter else "",
                  int(row), header, str(value), str(text))
            for row, value, text in zip(rows, shown, texts, strict=True)
        ]

    def findings(self, sd, findings: pd.DataFrame) -> list[Issue]:
        """Issues from a ``cases`` / ``followup`` findings frame on sheet ``sd``."""
        out: list[Issue] = []
        if findings.empty:
            return out
        for (code, severity, key), group in findings.groupby(
            ["code", "severity", "column"], sort=False
        ):
            rows = group.index
            out += self._records(sd, rows, code, severity, key, list(group["message"]),
                                 self.display(sd, key, rows))
        return out

    def display(self, sd, key: str, rows) -> list[str]:
        """The values of column ``key`` at ``rows`` as users see them; ID and phone masked."""
        if key not in sd.frame.columns:
            return [""] * len(rows)
        values = sd.frame.loc[rows, key]
        column = _column(sd, key)
        if column is not None and column.type in (ID, PHONE):
            present = values.notna().to_numpy()
            out = np.full(len(values), "", dtype=object)
            if present.any():
                out[present] = mask_ids(values[present].astype(object), today=self.today).to_numpy()
            return list(out)
        return _texts(values)

    # -- per sheet ------------------------------------------------------------------
    def cell_checks(self, sd) -> list[Issue]:
        out: list[Issue] = []
        out += self._changes(sd)
        out += self._failures(sd)
        frame = sd.frame
        if not len(frame):
            return out
        failed = self.failed.get(sd.spec.key, {})
        for column in sd.spec.input_columns:
            key = column.key
            if key not in sd.columns:
                continue
            values = frame[key]
            checked = column.required or column.type in (ID, PHONE) or (
                column.type == CHOICE and column.choices)
            if not checked and column.type not in (DATE, MONTH):
                continue  # free text, numbers: the reader's type check is all there is
            empty = _empty(values) if checked else None
            if column.required:
                unread = frame.index.isin(failed.get(key, ()))
                out += self.issues(
                    sd, empty & ~unread, "required_missing", ERROR, key,
                    f"“{_header(sd, key)}”为必填项，不能为空：请补填。",
                )
            if column.type == CHOICE and column.choices:
                wrong = ~empty & ~values.isin(column.choices).to_numpy()
                tail = f"”不是“{_header(sd, key)}”的可选值：请从下拉列表中选择（{'、'.join(column.choices)}）。"
                out += self.issues(
                    sd, wrong, "not_in_choices", ERROR, key,
                    lambda rows, key=key, tail=tail: ["“" + v + tail for v in self.display(sd, key, rows)],
                )
            if column.type == ID:
                out += self._ids(sd, column, values, empty)
            elif column.type == PHONE:
                out += self._phones(sd, column, values, empty)
            elif column.type in (DATE, MONTH):
                dates = case_checks.as_dates(frame, key)
                future = (dates > pd.Timestamp(self.today)).to_numpy()
                tail = f" 晚于今天（{self.today.isoformat()}）：请核对年份和月份。"
                head = f"{_header(sd, key)} "
                out += self.issues(
                    sd, future, "future_date", ERROR, key,
                    lambda rows, key=key, head=head, tail=tail: [
                        head + v + tail for v in self.display(sd, key, rows)],
                )
        out += self._unique(sd)
        return out

    def _changes(self, sd) -> list[Issue]:
        out = []
        for change in sd.changes:
            column = _column(sd, change.key) if change.key else None
            personal = column is not None and column.type in (ID, PHONE)
            original = _masked(change.original, self.today) if personal else cell_text(change.original)
            value = _masked(change.value, self.today) if personal else cell_text(change.value)
            kind = column.type if column is not None else ""
            hint = _TYPE_WORDS.get(kind, ("", ""))[1]
            advice = f"（建议直接填写{hint}）" if hint else ""
            if kind == PHONE and not isinstance(change.original, str):
                message = (f"“{original}” 是数字格式，已按号码读取：请把本列设为文本格式后重新录入"
                           "（数字格式会丢掉区号开头的 0）。")
            elif isinstance(change.original, str) and original == value:
                message = f"“{original}” 是文本，已按{_TYPE_NAMES.get(kind, '')}读取：请确认无误{advice}。"
            else:
                message = f"“{original}” 已按 {value} 读取：请确认无误{advice}。"
            out.append(Issue(
                "coerced", WARNING, self.file, sd.name, change.cell, change.row or _row_of(change.cell),
                _header(sd, change.key) if change.key else change.column_header, original, message,
            ))
        return out

    def _failures(self, sd) -> list[Issue]:
        out = []
        failed = self.failed.setdefault(sd.spec.key, {})
        for change in getattr(sd, "failures", ()):
            column = _column(sd, change.key) if change.key else None
            row = change.row or _row_of(change.cell)
            failed.setdefault(change.key, []).append(row)
            personal = column is not None and column.type in (ID, PHONE)
            original = _masked(change.original, self.today) if personal else cell_text(change.original)
            what, hint = _TYPE_WORDS.get(column.type if column else "", ("有效值", "有效值"))
            out.append(Issue(
                "wrong_type", ERROR, self.file, sd.name, change.cell, row,
                _header(sd, change.key) if change.key else change.column_header,
                original, f"“{original}”不是{what}：请填写{hint}。",
            ))
        return out

    def _ids(self, sd, column: Column, values: pd.Series, empty: np.ndarray) -> list[Issue]:
        present = ~empty
        normalized = pd.Series(None, index=values.index, dtype=object)
        if not present.any():
            self.ids.setdefault(sd.spec.key, normalized)
            return []
        checked = validate_ids(values[present].astype(object), today=self.today)
        normalized[present] = checked["normalized"].to_numpy()
        if column.key in ("id_number", "head_id"):
            self.ids[sd.spec.key] = normalized
            valid = np.zeros(len(values), dtype=bool)
            valid[present] = checked["valid"].to_numpy(dtype=bool)
            self.valid[sd.spec.key] = valid
        error = pd.Series(None, index=values.index, dtype=object)
        error[present] = checked["error"].to_numpy()
        warning = pd.Series(None, index=values.index, dtype=object)
        warning[present] = checked["warning"].to_numpy()
        out: list[Issue] = []
        has_error = error.notna().to_numpy()
        if has_error.any():
            codes = np.full(len(error), None, dtype=object)
            codes[has_error] = id_error_codes(error[has_error]).to_numpy()
            for code in pd.unique(codes[has_error]):
                code = str(code)
                sel = has_error & (codes == code)
                action = "。" if code == "id_numeric" else _ID_ACTION
                out += self.issues(sd, sel, code, ERROR, column.key, (error + action).to_numpy())
        # The outside-Handan note belongs to the register (监测户, 家庭成员), not to every
        # sheet that refers to the same person again.
        has_warning = warning.notna().to_numpy() & (sd.spec.key in ("households", "members"))
        out += self.issues(sd, has_warning, "id_area", WARNING, column.key,
                           (warning + "：请确认号码无误。").to_numpy())
        return out

    def _phones(self, sd, column: Column, values: pd.Series, empty: np.ndarray) -> list[Issue]:
        present = ~empty
        if not present.any():
            return []
        given = values[present].astype(str)
        ok = _plain_mobile(given.to_numpy(dtype=object))
        if not ok.all():  # the rest: full-width digits, spaces, dashes, landlines
            rest = given[~ok].str.normalize("NFKC").str.replace(_PHONE_CLEAN, "", regex=True)
            ok[~ok] = rest.str.fullmatch(_PHONE_OK).to_numpy(dtype=bool)
        bad = present.copy()
        bad[present] = ~ok
        return self.issues(
            sd, bad, "phone_invalid", ERROR, column.key,
            f"“{_header(sd, column.key)}”应为 11 位手机号（1 开头）或带区号的固定电话（如 0310-1234567）"
            "：请核对号码，并把本列设为文本格式。",
        )

    def _unique(self, sd) -> list[Issue]:
        codes = {"household_no": "duplicate_household_no", "case_no": "duplicate_case_no"}
        out: list[Issue] = []
        for key in sd.spec.unique:
            if key not in codes or key not in sd.columns:
                continue
            keys = self.keys(sd.spec.key, key)
            out += self._duplicates(
                sd, keys, codes[key], key,
                f"{_header(sd, key)}重复：与第 {{rows}} 行相同，每个{_header(sd, key)}只能出现一次"
                "：请删除重复行或更正编号。",
            )
        return out

    def _duplicates(self, sd, keys: pd.Series, code: str, column: str, template: str,
                    group_by: pd.Series | None = None) -> list[Issue]:
        """Every row whose key (and ``group_by``) occurs more than once; the message names the others."""
        frame = pd.DataFrame({"key": keys.to_numpy(dtype=object)}, index=sd.frame.index)
        present = frame["key"].notna().to_numpy()
        subset = ["key"]
        if group_by is not None:
            # A missing group never matches a present one.
            frame["group"] = group_by.to_numpy(dtype=object)
            frame["group"] = frame["group"].where(frame["group"].notna(), "\x01")
            subset.append("group")
        dup = present & frame.duplicated(subset=subset, keep=False).to_numpy()
        if not dup.any():
            return []
        flagged = frame[dup]
        # One label per flagged row (few rows): the key, with its group when grouped.
        labels = flagged["key"].astype(str) if group_by is None else (
            flagged["key"].astype(str) + "\x00" + flagged["group"].astype(str))
        rows_by = pd.Series(flagged.index, index=labels.to_numpy()).groupby(level=0, sort=False).agg(list)
        messages = []
        for row, label in zip(flagged.index, labels, strict=True):
            others = [str(r) for r in rows_by[label] if r != row]
            messages.append(template.format(rows="、".join(others)))
        full = np.full(len(frame), "", dtype=object)
        full[dup] = messages
        return self.issues(sd, dup, code, ERROR, column, full)

    # -- across sheets -------------------------------------------------------------------
    def cross_checks(self) -> list[Issue]:
        out: list[Issue] = []
        households = self.sheets.get("households")
        has_households = households is not None and "household_no" in households.columns
        known = (pd.Index(self.keys("households").dropna().unique())
                 if has_households else pd.Index([]))
        if has_households:
            for key in ("members", "spending", "cases", "visits", "aid"):
                sd = self.sheets.get(key)
                if sd is None or "household_no" not in sd.columns or not len(sd.frame):
                    continue
                keys = self.keys(key)
                orphan = (keys.notna() & ~keys.isin(known)).to_numpy()
                out += self.issues(
                    sd, orphan, "orphan_row", ERROR, "household_no",
                    f"户编号在“{households.name}”表中不存在：请先在{households.name}表登记该户，或核对户编号。",
                )
        out += self._id_checks()
        if has_households:
            out += self._household_checks(households)
        out += self._case_checks()
        return out

    def _id_checks(self) -> list[Issue]:
        out: list[Issue] = []
        households, members = self.sheets.get("households"), self.sheets.get("members")
        head_ids = self.ids.get("households")
        member_ids = self.ids.get("members")
        if households is not None and head_ids is not None:
            out += self._duplicates(
                households, head_ids, "duplicate_id", "head_id",
                "户主身份证号与第 {rows} 行相同：同一人只能是一户的户主，请核对。",
            )
        if members is not None and member_ids is not None:
            member_keys = self.keys("members")
            out += self._duplicates(
                members, member_ids, "duplicate_id", "id_number",
                "身份证号与本表第 {rows} 行相同（同一户）：同一人只能登记一次，请删除重复行或核对号码。",
                group_by=member_keys,
            )
            # The same person under two households, among members and heads.
            parts = [pd.DataFrame({"id": member_ids.astype(object), "hh": member_keys.astype(object),
                                   "sheet": "members", "row": members.frame.index})]
            if households is not None and head_ids is not None:
                parts.append(pd.DataFrame({
                    "id": head_ids.astype(object),
                    "hh": self.keys("households").astype(object),
                    "sheet": "households", "row": households.frame.index,
                }))
            pairs = pd.concat(parts, ignore_index=True).dropna(subset=["id", "hh"])
            # Only numbers standing on more than one row can span households.
            pairs = pairs[pairs["id"].duplicated(keep=False).to_numpy()]
            spread = pairs.groupby("id")["hh"].nunique()
            multi = pairs[pairs["id"].map(spread) > 1]
            if len(multi):
                names = multi.groupby("id")["hh"].agg(lambda s: "、".join(dict.fromkeys(s)))
                text = "身份证号同时登记在户 " + multi["id"].map(names) + " 下：一人只能属于一户，请核对后删除多余的登记。"
                for sheet_key, column in (("members", "id_number"), ("households", "head_id")):
                    sd = self.sheets.get(sheet_key)
                    rows = multi[multi["sheet"] == sheet_key]
                    if sd is None or rows.empty:
                        continue
                    mask = sd.frame.index.isin(rows["row"])
                    messages = pd.Series(text[multi["sheet"] == sheet_key].to_numpy(),
                                         index=rows["row"].to_numpy())
                    full = messages.reindex(sd.frame.index).to_numpy(dtype=object)
                    already = {(i.row) for i in out if i.code == "duplicate_id" and i.sheet == sd.name}
                    if sheet_key == "households" and already:
                        mask &= ~sd.frame.index.isin(list(already))
                    out += self.issues(sd, mask, "member_two_households", ERROR, column, full)
        return out

    def _household_checks(self, households) -> list[Issue]:
        out: list[Issue] = []
        frame = households.frame
        members = self.sheets.get("members")
        keys = self.keys("households")
        if (members is not None and len(members.frame) and "household_size" in households.columns
                and "household_no" in members.columns):
            counts = self.keys("members").value_counts()
            n = keys.map(counts).fillna(0).astype("int64")
            size = pd.to_numeric(frame["household_size"], errors="coerce")
            wrong = (keys.notna() & size.notna() & (size != n)).to_numpy()
            out += self.issues(
                households, wrong, "household_size_mismatch", WARNING, "household_size",
                lambda rows: ("家庭人口填写 " + _texts_series(size.loc[rows])
                              + f" 人，“{members.name}”表中该户有 " + n.loc[rows].astype(str)
                              + " 人：请核对家庭人口或补全家庭成员。"),
            )
        spending = self.sheets.get("spending")
        visits = self.sheets.get("visits")
        from .derive import derive_households

        self.derived = derive_households(
            frame, spending.frame if spending is not None else None,
            visits.frame if visits is not None else None,
            policy=self.policy, check_date=self.check_date,
        )
        if "recorded_status" in households.columns:
            recorded = case_checks.as_text(frame, "recorded_status")
            status = self.derived["status"].astype(str)
            wrong = ((recorded != "") & (status != "") & (recorded != status)).to_numpy()
            reasons = self.derived["reasons"]
            out += self.issues(
                households, wrong, "status_mismatch", ERROR, "recorded_status",
                lambda rows: ("登记资格为“" + recorded.loc[rows] + "”，按规则判定为“" + status.loc[rows]
                              + "”（" + reasons.loc[rows].astype(str)
                              + "）：请核对收入和支出数据，或更正登记资格。"),
            )
        if visits is not None:
            # derive_households found each household's last visit already.
            due = followup.visit_due(frame, self.derived["last_visit"], policy=self.policy,
                                     check_date=self.check_date, household_keys=keys)
            out += self.findings(households, followup.overdue_findings(
                frame, visits.frame, policy=self.policy, check_date=self.check_date, coverage=due,
            ))
            out += self.findings(visits, followup.problem_findings(visits.frame))
        return out

    def _case_checks(self) -> list[Issue]:
        sd = self.sheets.get("cases")
        if sd is None or not len(sd.frame):
            return []
        from .derive import derive_cases

        frame = sd.frame
        derived = derive_cases(frame, policy=self.policy, check_date=self.check_date)
        allowed = detail = None
        households = self.sheets.get("households")
        derived_households = getattr(self, "derived", None)
        if households is not None and derived_households is not None:
            table = households.frame[["household_no", "group"]].join(derived_households)
            allowed, detail = case_checks.allowed_relief(
                frame, table, policy=self.policy, case_keys=self.keys("cases"),
                household_keys=self.keys("households"),
            )
        findings = case_checks.check_cases(
            frame, policy=self.policy, check_date=self.check_date,
            allowed=allowed, detail=detail, deadlines=derived["deadline"],
        )
        out = self.findings(sd, findings)
        # Only the years a deadline was actually counted through (discovery to deadline).
        found = case_checks.as_dates(frame, "found_date")
        due = derived["deadline"]
        spans = pd.DataFrame({"start": found.dt.year, "end": due.dt.year}).dropna().astype(int)
        years = sorted({y for a, b in spans.drop_duplicates().itertuples(index=False)
                        for y in range(a, b + 1)})
        if years:
            from .workdays import calendar_warnings

            for year in years:
                for text in calendar_warnings(dt.date(year, 1, 1), dt.date(year, 12, 31),
                                              policy=self.policy):
                    out.append(Issue("calendar_fallback", WARNING, self.file, sd.name, "", None, "", "",
                                     text))
        return out


# -- helpers --------------------------------------------------------------------------

def _sort_key(issue: Issue, sheet_rank: dict[str, int]) -> tuple:
    """File-level issues first, then by sheet (workbook order), row and column."""
    letters = re.match(r"[A-Z]*", issue.cell).group(0)
    column = 0
    for ch in letters:
        column = column * 26 + ord(ch) - 64
    return (sheet_rank.get(issue.sheet, -1) if issue.sheet else -2, issue.row or 0, column)


def _column(sd, key: str) -> Column | None:
    try:
        return sd.spec.column(key)
    except KeyError:
        return None


def _header(sd, key: str) -> str:
    """The column's header as it stands in the sheet (a synonym, maybe), else the schema's."""
    found = getattr(sd, "headers", {}).get(key)
    if found:
        return found
    column = _column(sd, key)
    return column.header if column is not None else key


def _row_of(cell: str) -> int | None:
    match = re.fullmatch(r"[A-Z]+(\d+)", cell or "")
    return int(match.group(1)) if match else None


def _masked(value: Any, today: dt.date) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return mask_id(value, today=today)


def _plain_mobile(texts: np.ndarray) -> np.ndarray:
    """Which texts are exactly 11 ASCII digits starting with 1 (the usual phone cell), in numpy."""
    if not len(texts):
        return np.zeros(0, dtype=bool)
    as_unicode = texts.astype(str)
    if as_unicode.dtype.itemsize > 4 * 64:
        return np.zeros(len(texts), dtype=bool)
    codes = as_unicode.view(np.uint32).reshape(len(texts), -1)
    if codes.shape[1] < 11:
        return np.zeros(len(texts), dtype=bool)
    digits = ((codes[:, :11] >= 48) & (codes[:, :11] <= 57)).all(axis=1)
    ends = (codes[:, 11:] == 0).all(axis=1)
    return digits & ends & (codes[:, 0] == ord("1"))


def _empty(values: pd.Series) -> np.ndarray:
    """Missing cells. The reader strips text and turns blank cells into None, so "" never
    reaches here from a workbook; a frame built by hand should do the same."""
    return values.isna().to_numpy().copy()


def _texts(values: pd.Series) -> list[str]:
    """Values as text for reports: dates ISO, numbers without a needless ".0"."""
    return list(_texts_series(values))


def _texts_series(values: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return values.dt.strftime("%Y-%m-%d").fillna("")
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.map({True: "是", False: "否"}).fillna("")
    if pd.api.types.is_numeric_dtype(values.dtype):
        return number_texts(values)
    return values.map(cell_text, na_action="ignore").fillna("").astype(str)


# -- text report ------------------------------------------------------------------------

def render_text(result: ValidationResult) -> str:
    """The report a person reads: by file, then sheet; one line per issue; totals last."""
    lines: list[str] = []
    for file_result in result.files:
        name = file_result.path.name
        if not file_result.readable:
            lines.append(f"{name}（无法读取）")
        else:
            lines.append(f"{name}：错误 {file_result.errors} 个，提醒 {file_result.warnings} 个")
        if not file_result.issues:
            lines.append("  未发现问题")
        current = None
        for issue in file_result.issues:
            if issue.sheet and issue.sheet != current:
                current = issue.sheet
                lines.append(f" 工作表“{issue.sheet}”")
            label = "" if issue.is_error else f"{SEVERITY_LABELS[WARNING]}："
            parts = [issue.cell, issue.column, issue.value, label + issue.message]
            lines.append("  " + "  ".join(p for p in parts if p))
        if file_result.annotation_note:
            lines.append(f"  {file_result.annotation_note}")
    total = f"共 {len(result.files)} 个文件：错误 {result.errors} 个，提醒 {result.warnings} 个"
    if result.unreadable:
        total += f"，{len(result.unreadable)} 个文件无法读取"
    lines.append(total)
    return "\n".join(lines) + "\n"
