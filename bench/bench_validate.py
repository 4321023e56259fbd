"""Benchmark: validating one township workbook of 20,000 households.

Builds the workbook with ``demo.generate_county`` (1 township, its planted
mistakes included) and ``templates.write_township_workbook``, then times, in
the same run and alternating, (a) a bare python-calamine read of every sheet
(``to_python`` on each), (b) ``workbook.read.read_workbook`` and (c)
``validate.validate_paths`` (read + every check); the median of 3 runs each.
Aim: validation within 2 x the bare read.

Run: ``python bench/bench_validate.py`` (options: ``--households N``,
``--repeat N``, ``--workbook PATH`` to keep the built workbook there and reuse
it next time, ``--no-write`` to leave docs/BENCHMARKS.md alone). Writes its
figures into the "## 校验（bench_validate）" section of docs/BENCHMARKS.md,
keeping the other sections.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from _docs import (  # bench/ is the script's folder
    DOCS,
    load_average,
    machine_line,
    write_section,
)

from fangpin_xl.demo import generate_county
from fangpin_xl.policy import load_policy
from fangpin_xl.templates import write_township_workbook
from fangpin_xl.validate import validate_paths
from fangpin_xl.workbook.read import read_workbook

HOUSEHOLDS = 20_000
REPEAT = 3
SEED = 1
SECTION = "## 校验（bench_validate）"


def build(path: Path, households: int) -> tuple[dict[str, int], float]:
    policy = load_policy()
    county = generate_county(townships=1, households=households, seed=SEED, policy=policy)
    town = county.townships[0]
    start = time.perf_counter()
    write_township_workbook(path, policy=policy, township=town.name, frames=town.frames,
                            check_date=county.check_date)
    return town.counts(), time.perf_counter() - start


def bare_read(path: Path) -> int:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    cells = 0
    for name in book.sheet_names:
        rows = book.get_sheet_by_name(name).to_python()
        cells += sum(len(r) for r in rows)
    return cells


def timed(function, *args):
    start = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - start, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=HOUSEHOLDS)
    parser.add_argument("--repeat", type=int, default=REPEAT)
    parser.add_argument("--workbook", type=Path, default=None)
    parser.add_argument("--no-write", action="store_true")
    # ./dev bench passes the same arguments to every bench script: ignore the others' options.
    args, _ = parser.parse_known_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        path = args.workbook or Path(tmp) / "乡镇工作簿.xlsx"
        counts, write_seconds = None, None
        if not path.exists():
            counts, write_seconds = build(path, args.households)
        bare, read, validate = [], [], []
        result = None
        for _ in range(args.repeat):
            seconds, cells = timed(bare_read, path)
            bare.append(seconds)
            read.append(timed(read_workbook, path)[0])
            seconds, result = timed(validate_paths, [path])
            validate.append(seconds)
        size = path.stat().st_size

    rows = result.files[0].rows
    codes = Counter(issue.code for issue in result.issues)
    bare_s, read_s, validate_s = (statistics.median(v) for v in (bare, read, validate))
    ratio = validate_s / bare_s
    load = load_average()
    built = (f"，用模板写出耗时 {write_seconds:.1f} 秒" if write_seconds is not None else "（复用已有文件）")
    lines = [
        f"- 数据：`demo.generate_county(townships=1, households={args.households:,}, seed={SEED})` 的一个乡镇，"
        f"`templates.write_township_workbook` 写成 {size / 1024 / 1024:.1f} MB 的工作簿{built}；"
        "读到的行数 " + "，".join(f"{k} {v:,}" for k, v in rows.items()) + f"；共 {cells:,} 个单元格（含空格）",
        f"- 校验结果：错误 {result.errors} 个，提醒 {result.warnings} 个（"
        + "，".join(f"{code} {n}" for code, n in codes.most_common()) + "；id_area 是外地迁入人员的身份证号，属正常提醒）",
        f"- python-calamine 直接读取全部工作表（每表 `to_python`）：**{bare_s:.2f} 秒**",
        f"- `read_workbook`（找表头、按列名对应、类型转换）：{read_s:.2f} 秒（{read_s / bare_s:.2f} 倍）",
        f"- `validate_paths`（读取 + 全部检查）：**{validate_s:.2f} 秒**，其中检查约 {validate_s - read_s:.2f} 秒",
        f"- 校验 / 直接读取：**{ratio:.2f} 倍**（目标不超过 2 倍）",
        f"- 各 {args.repeat} 次、三者交替运行，取中位数；各次：直接读取 "
        + " / ".join(f"{v:.2f}" for v in bare) + "，read_workbook " + " / ".join(f"{v:.2f}" for v in read)
        + "，validate_paths " + " / ".join(f"{v:.2f}" for v in validate) + " 秒",
        machine_line(load, slower="偏高"),
        "- 运行：`python bench/bench_validate.py`（`--households`、`--repeat` 可调，"
        "`--workbook 路径` 保留并复用生成的工作簿，`--no-write` 不写本文件）",
    ]
    print(SECTION)
    print("\n".join(lines))
    if counts is not None and counts.get("households") != rows.get("监测户"):
        print("错误：读到的监测户行数与生成的不一致", file=sys.stderr)
        return 1
    if not args.no_write:
        write_section(DOCS, SECTION, lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
