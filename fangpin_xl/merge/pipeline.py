"""``merge_workbooks``: find the township workbooks, check them in worker processes, write the county.

Decisions, and why:

* **What is taken** and what goes to 未入库: see ``worker.py``. For every
  sheet, rows read = rows written + rows rejected, asserted when writing.
* **Checks** are validate's: each workbook becomes a ``CheckedWorkbook`` in its
  worker (issues, derived columns, keys), and the problems only several
  workbooks show are added here, so 问题 holds exactly what validate reports.
* **Duplicates** are one list (``checks.duplicate_pairs``): an ID number
  registered twice (on 监测户 or 家庭成员, in one township or two) and a
  案件编号 used twice. Both rows stay in the data sheets; 重复 lists each repeat
  next to an earlier occurrence. ``on_duplicate="error"`` stops before
  anything is written.
* **Speed.** Files are read and checked in worker processes (``jobs``); the
  taken rows come back through pickle files in a temporary folder, which
  bounds the main process's memory at any county size (docs/BENCHMARKS.md).
"""

from __future__ import annotations

import collections
import concurrent.futures
import dataclasses
import datetime as dt
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from ..checks import cross_workbook_issues, duplicate_pairs
from ..checks.duplicates import ID_KIND, KIND_LABELS, Duplicate
from ..errors import FangpinError, InputError, os_reason
from ..files import scratch_folder
from ..ids import mask_id
from ..issues import Issue, sort_issues
from ..policy import Policy, load_policy
from ..text import shown_path
from ..workbook.discover import Skipped, discover
from ..workbook.made import check_output
from ..workbook.write import MAX_DATA_ROWS
from .county import (
    duplicates_table,
    issues_table,
    rejected_table,
    sources_table,
    summary_table,
    violations_table,
    write_county,
)
from .model import (
    ACCOUNTED,
    COUNTY_KIND,
    MERGED,
    ON_DUPLICATE,
    OTHER_KEY,
    SKIPPED,
    UNREADABLE,
    FileReport,
    MergeResult,
    SheetCount,
    SheetTotal,
    TownshipRow,
)
from .worker import Outcome, Task, die_with_parent, failure_reason, process

Progress = Callable[[int, int, str], None]


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
    _check_outputs(output, Path(sqlite) if sqlite is not None else None)
    found, skipped = discover(paths, outputs=[output] + ([sqlite] if sqlite is not None else []))
    if not found:
        listed = "；".join(f"{shown_path(s.path.name)}（{s.reason}）" for s in skipped[:10])
        raise InputError("没有找到可汇总的工作簿（.xlsx、.xlsm、.xls）" + (f"：{listed}" if listed else "。"))
    county_policy = _identity_from_townships(county_policy, found)
    county_policy.require("year", "county", where="或使用带“参数”表的乡镇工作簿")
    county_policy.income_threshold()

    with scratch_folder() as spill:
        tasks = [Task(i, path, spill, county_policy, check_policy, today) for i, path in enumerate(found)]
        outcomes = _run(tasks, jobs, progress)
        read_check = time.perf_counter() - started
        files = [o.report for o in outcomes]
        _skip_copies(files)
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
        _cross_workbook(merged, today or dt.date.today())
        duplicates = duplicate_pairs(o.occurrences for o in merged if o.occurrences is not None)
        if duplicates and on_duplicate == "error":
            raise FangpinError(_duplicate_message(duplicates))
        write_started = time.perf_counter()
        result = MergeResult(
            output=output, county=county_policy.county, year=county_policy.year, files=files,
            skipped=skipped, sheets={}, duplicates=duplicates,
            issues=[i for o in merged for i in o.issues], townships=[], total=TownshipRow("全县合计"),
            sqlite=Path(sqlite) if sqlite is not None else None, policy=county_policy,
        )
        _summarise(result, merged)
        tables = [issues_table(result, merged), violations_table(merged), duplicates_table(result),
                  sources_table(result), rejected_table(merged), summary_table(result)]
        write_county(result, merged, tables, int(max_rows))
        if sqlite is not None:
            from .history import write_year

            write_year(sqlite, result, merged, tables)
        result.timings = {
            "read": sum(o.read_seconds for o in outcomes),
            "check": sum(o.check_seconds for o in outcomes),
            "read_check": read_check,
            "write": time.perf_counter() - write_started,
            "total": time.perf_counter() - started,
        }
        return result


def _check_outputs(output: Path, sqlite: Path | None) -> None:
    """Refuse, before any work, an output that would overwrite something that is not ours."""
    check_output(output, (), kind=COUNTY_KIND, example="全县汇总.xlsx")
    if sqlite is None:
        return
    if sqlite.resolve() == output.resolve():
        raise InputError(f"历史数据库 {shown_path(sqlite)} 与输出工作簿是同一个文件：请给历史数据库另起一个文件名，"
                         "如 历史.sqlite。")
    if sqlite.exists():
        try:
            with open(sqlite, "rb") as fh:
                head = fh.read(16)
        except OSError as exc:
            raise InputError(f"无法打开历史数据库 {shown_path(sqlite)}：{os_reason(exc)}。") from None
        if head and head != b"SQLite format 3\x00":
            raise InputError(f"{shown_path(sqlite)} 不是 SQLite 历史数据库（可能是工作簿或其他文件）："
                             "不会覆盖它，请换一个文件名，如 历史.sqlite。")


def _policies(policy, year) -> tuple[Policy, Policy | None]:
    """(the county policy, the policy validation uses: None for each workbook's own)."""
    if isinstance(policy, Policy):
        county = policy if year is None else dataclasses.replace(
            policy, year=int(year), set_keys=policy.set_keys | {"year"})
        if year is None and not county.given("year"):
            # A Policy object handed over by a program is its own statement of year and county.
            county = dataclasses.replace(county, set_keys=county.set_keys | {"year", "county"})
        return county, county
    county = load_policy(policy, year=year)
    return county, (county if policy is not None or year is not None else None)


def _identity_from_townships(county: Policy, found: list[Path]) -> Policy:
    """Where the county gave no year or name: the 参数 sheet most townships carry (its year,
    county and, when no county file was given, its parameters)."""
    if county.given("year") and county.given("county"):
        return county
    from ..policy import policy_from_values
    from ..workbook.read import read_policy_values

    sheets: dict[tuple[str, str], dict] = {}
    counts: collections.Counter = collections.Counter()
    for path in found:
        try:
            values = read_policy_values(path) or {}
        except FangpinError:
            continue
        pair = (str(values.get("county") or "").strip(), str(values.get("year") or "").strip())
        if any(pair):
            counts[pair] += 1
            sheets.setdefault(pair, values)
    if not counts:
        return county
    pair = counts.most_common(1)[0][0]
    if not county.set_keys:  # no county file and no --year: the townships' own parameters
        try:
            return policy_from_values(sheets[pair], source="乡镇工作簿的参数表")
        except FangpinError:
            pass
    changes: dict = {}
    if pair[0] and not county.given("county"):
        changes["county"] = pair[0]
    if pair[1] and not county.given("year"):
        try:
            changes["year"] = int(float(pair[1]))
        except ValueError:
            pass
    if not changes:
        return county
    return dataclasses.replace(county, **changes, set_keys=county.set_keys | set(changes))


def _skip_copies(files: list[FileReport]) -> None:
    """Skip a workbook whose bytes equal another's (a "北皋镇 - 副本.xlsx" left in the folder):
    merged twice, every household would count twice and show as 重复. The shortest name of
    identical files is kept ("北皋镇.xlsx"), the first found among equals."""
    kept: dict[str, FileReport] = {}
    for report in files:
        if report.status == MERGED and report.sha256:
            other = kept.setdefault(report.sha256, report)
            if len(report.path.name) < len(other.path.name):
                kept[report.sha256] = report
    for report in files:
        original = kept.get(report.sha256) if report.status == MERGED else None
        if original is not None and original is not report:
            report.status = SKIPPED
            report.reason = f"与 {shown_path(original.path)} 内容完全相同（重复的副本），未重复汇总"
            report.rows, report.errors, report.warnings = {}, 0, 0


def _run(tasks: list[Task], jobs: int | None, progress: Progress | None) -> list[Outcome]:
    """Each task's outcome, in task order. A worker that dies costs only the file it was reading."""
    total = len(tasks)
    workers = min(total, max(1, int(jobs) if jobs else (os.cpu_count() or 1)))
    outcomes: dict[int, Outcome] = {}

    def finished(task: Task, outcome: Outcome) -> None:
        outcomes[task.index] = outcome
        if progress is not None:
            progress(len(outcomes), total, task.path.name)

    if workers == 1:
        for task in tasks:
            finished(task, process(task))
        return [outcomes[t.index] for t in tasks]
    left = _pool(tasks, workers, finished)
    # A worker died (a file that crashed its reader, or memory): retry the unfinished
    # files one by one, each in a fresh process, so only the culprit is lost.
    for task in left:
        if _pool([task], 1, finished):
            finished(task, Outcome(FileReport(task.path, UNREADABLE, (
                f"{shown_path(task.path.name)}：读取该文件时处理进程意外退出（文件可能已损坏或过大，或内存不足），"
                "已跳过该文件：请用 Excel 或 WPS 打开检查后另存为 .xlsx 再提交"))))
    return [outcomes[t.index] for t in tasks]


def _pool(tasks: list[Task], workers: int, finished: Callable[[Task, Outcome], None]) -> list[Task]:
    """Run ``tasks`` in a process pool; return the tasks left unfinished when a worker died."""
    left = {task.index: task for task in tasks}
    pool = concurrent.futures.ProcessPoolExecutor(
        max_workers=workers, initializer=die_with_parent, initargs=(os.getpid(),))
    try:
        futures = {pool.submit(process, task): task for task in tasks}
        for future in concurrent.futures.as_completed(futures):
            task = futures[future]
            try:
                outcome = future.result()
            except concurrent.futures.process.BrokenProcessPool:
                return list(left.values())
            except Exception as exc:  # noqa: BLE001 - the worker itself failed (e.g. pickling)
                outcome = Outcome(FileReport(task.path, UNREADABLE,
                                             failure_reason(shown_path(task.path.name), "读取", exc)))
            del left[task.index]
            finished(task, outcome)
        return []
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _cross_workbook(merged: list[Outcome], today: dt.date) -> None:
    """The problems only several workbooks show, into each file's issues (as validate does)."""
    if len(merged) > 1:
        by_file: dict[str, list[Issue]] = {}
        frames = (o.occurrences for o in merged if o.occurrences is not None)
        for found in cross_workbook_issues(frames, today=today):
            by_file.setdefault(found.file, []).append(found)
        for o in merged:
            extra = by_file.get(o.report.name)
            if extra:
                o.issues = sort_issues(o.issues + extra, o.sheet_names)
    for o in merged:
        o.count_issues()


def _duplicate_message(duplicates: list[Duplicate]) -> str:
    counts = collections.Counter(d.kind for d in duplicates)
    lines = [
        f"发现 {len(duplicates)} 处重复（身份证号 {counts[ID_KIND]} 处，案件编号 "
        f"{len(duplicates) - counts[ID_KIND]} 处），已按 --on-duplicate error 停止汇总，未写出任何文件："
    ]
    for d in duplicates[:20]:
        number = mask_id(d.number) if d.kind == ID_KIND else d.number
        lines.append(
            f"  {KIND_LABELS[d.kind]} {number}：{d.first.file} 工作表“{d.first.sheet}”第 {d.first.row} 行"
            f" 与 {d.other.file} 工作表“{d.other.sheet}”第 {d.other.row} 行"
        )
    if len(duplicates) > 20:
        lines.append(f"  ……另有 {len(duplicates) - 20} 处")
    return "\n".join(lines)


def _summarise(result: MergeResult, merged: list[Outcome]) -> None:
    by_name: dict[str, TownshipRow] = {}
    for o in merged:
        stats = o.stats or TownshipRow(o.report.township)
        row = by_name.setdefault(stats.township, TownshipRow(stats.township))
        row.add(stats)
    result.townships = list(by_name.values())
    result.violations = sum(len(o.violations) for o in merged)
    # A violation row ends with (…, 来源工作表, 单元格, 来源行): a case is its file and row.
    result.violation_cases = len({(o.report.name, r[-1]) for o in merged for r in o.violations})
    for row in result.townships:
        result.total.add(row)
    for key, name in ACCOUNTED:
        total = SheetTotal(key, name)
        for o in merged:
            count = o.report.rows.get(key, SheetCount())
            total.read += count.read
            total.rejected += count.rejected
        if key != OTHER_KEY or total.read:
            result.sheets[key] = total
