"""Benchmark: the Excel functions over 10,000 households, as Excel calls them.

Everything goes through ``xlwings.server.custom_functions_call`` with the JSON bodies the
xlwings-server client posts (as xlwings Server and xlwings Lite run them), in one run:

* ``FP_CHECK_TABLE`` once over a table of 10,000 rows (header + data);
* ``FP_ELIGIBLE`` 10,000 times, one household per call — what a formula filled down a
  column does: Excel calls the function once per cell;
* for reference, ``FP_STATUS`` once over the same six columns, and 10,000 calls of a
  custom function with the same six arguments that returns at once (xlwings' own cost of
  a call, which no implementation of the functions can save).

The bodies are built (and JSON-decoded, as a server receives them) before timing; the
times are of the calls alone, in one asyncio event loop as a server runs them. HTTP and
Excel's own recalculation come on top in real use.

Run: ``python bench/bench_udfs.py`` (``--rows N``, ``--repeat N``, ``--no-write`` to leave
docs/BENCHMARKS.md alone). Writes the "## Excel 自定义函数（bench_udfs）" section.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from types import ModuleType

# xlwings offers its Office.js call path only with these set before it is imported (the
# package never sets them; this script is a stand-in for xlwings Server).
os.environ["XLWINGS_ON_SERVER"] = "true"
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import xlwings  # noqa: E402
from _docs import load_average, machine_line, publish  # noqa: E402 - bench/ is the script's folder
from xlwings.server import custom_functions_call  # noqa: E402

from fangpin_xl.excel import udfs  # noqa: E402
from fangpin_xl.policy import GROUPS, SPENDING_KINDS, load_policy  # noqa: E402

SEED = 20200429
ROWS = 10_000
REPEAT = 3
SECTION = "## Excel 自定义函数（bench_udfs）"
HEADER = ["户编号", "户类型", "人均可支配收入", "近12月因病支出", "近12月因学支出", "近12月因意外支出",
          "近12月因产业支出", "发现日期"]
TARGET_SECONDS = 1.0
TARGET_RATIO = 20.0


def synthetic_rows(rows: int, seed: int = SEED) -> list[list]:
    """A header and ``rows`` households as Office.js sends a range: whole numbers as ints,
    dates as serial numbers, empty cells as None; values around the thresholds, about 2%
    typed as text ("3,500元"), some missing or unreadable."""
    policy = load_policy()
    rng = np.random.default_rng(seed)
    line = policy.income_threshold()
    group_codes = rng.choice(3, rows, p=[0.5, 0.4, 0.1])
    groups = np.array(GROUPS, dtype=object)[group_codes]
    groups[rng.random(rows) < 0.005] = None
    income = np.round(line + rng.normal(0, line * 0.3, rows), 2)
    income[rng.random(rows) < 0.25] = line
    out = [list(HEADER)]
    amounts = []
    for kind in SPENDING_KINDS:
        threshold = np.array([policy.spending_threshold(kind, g) for g in GROUPS])[group_codes]
        values = np.round(threshold + rng.normal(0, threshold / 2, rows), 2).clip(0)
        exact = rng.random(rows) < 0.25  # on the threshold itself, where 达到 and 超过 differ
        values[exact] = threshold[exact]
        amounts.append(values)
    present = [rng.random(rows) < 0.4 for _ in SPENDING_KINDS]
    text = rng.random(rows) < 0.02
    found = 43831 + rng.integers(0, 366, rows)
    for i in range(rows):
        row: list = [f"101-{i // 1000:02d}-{i:04d}", groups[i], _cell(income[i])]
        row += [_cell(amounts[k][i]) if present[k][i] else None for k in range(len(SPENDING_KINDS))]
        row.append(int(found[i]) if i % 3 else None)
        if text[i]:
            row[2] = f"{income[i]:,.2f}元"
        if i % 500 == 7:
            row[2] = "不详"
        out.append(row)
    return out


def _cell(value: float):
    number = float(value)
    return int(number) if number.is_integer() else number


def body(func_name: str, args: list) -> dict:
    """The body the xlwings-server client posts, decoded as a server receives it."""
    return json.loads(json.dumps({
        "client": "Office.js", "func_name": func_name, "args": args,
        "caller_address": "[县级汇总.xlsx]核查!J2", "session_id": "bench", "culture_info_name": "zh-CN",
        "date_format": "yyyy/M/d", "version": xlwings.__version__, "runtime": "1.4",
    }))


def _noop_module() -> ModuleType:
    """A module with one custom function taking six raw arguments and doing nothing."""

    @xlwings.func
    def NOOP(a, b, c, d, e, f):  # noqa: N802 - Excel function names are upper case
        """空函数（基准测试用）"""
        return True

    for name in "abcdef":
        NOOP = xlwings.arg(name, "raw")(NOOP)
    module = ModuleType("bench_udfs_noop")
    module.NOOP = NOOP  # type: ignore[attr-defined]
    return module


async def run_all(bodies: list[dict], module: ModuleType) -> tuple[float, list]:
    start = time.perf_counter()
    results = [await custom_functions_call(b, module) for b in bodies]
    return time.perf_counter() - start, results


def timed(bodies: list[dict], module: ModuleType = udfs) -> tuple[float, list]:
    return asyncio.run(run_all(bodies, module))


def best_of(repeat: int, bodies: list[dict]) -> tuple[float, list]:
    best, result = float("inf"), []
    for _ in range(repeat):
        seconds, result = timed(bodies)
        best = min(best, seconds)
    return best, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--repeat", type=int, default=REPEAT)
    parser.add_argument("--no-write", action="store_true")
    # ./dev bench passes the same arguments to every bench script: ignore the others' options.
    args, _ = parser.parse_known_args(argv)
    load = load_average()

    rows = synthetic_rows(args.rows)
    data = rows[1:]
    columns = [[[row[c]] for row in data] for c in range(1, 7)]
    table_body = [body("FP_CHECK_TABLE", [rows])]
    column_body = [body("FP_STATUS", columns)]
    single_bodies = [body("FP_ELIGIBLE", [[[v]] for v in row[1:7]]) for row in data]
    floor_bodies = [body("NOOP", [[[v]] for v in row[1:7]]) for row in data]

    table_seconds, [table] = best_of(args.repeat, table_body)
    column_seconds, [statuses] = best_of(args.repeat, column_body)
    single_seconds, singles = timed(single_bodies)
    floor_seconds, _ = timed(floor_bodies, _noop_module())

    # The three ways agree household by household.
    from_table = [row[0] for row in table[1:]]
    from_column = [s for [s] in statuses]
    from_singles = [{True: "符合", False: "不符合"}.get(v, "资料不全") for [[v]] in singles]
    if not from_table == from_column == from_singles:
        print("错误：整表、整列与逐户调用的结果不一致", file=sys.stderr)
        return 1

    counts = pd.Series(from_table).value_counts()
    ratio = single_seconds / table_seconds
    table_ok = table_seconds < TARGET_SECONDS
    ratio_ok = ratio >= TARGET_RATIO
    lines = [
        f"- 数据：{args.rows:,} 户合成数据（numpy 种子 {SEED}），按 Office.js 发送区域的样子构造："
        "整数为 JSON 整数、日期为序列号、空单元格为 null；收入、各类支出围绕标准取值（约四分之一恰好等于标准），"
        "每类支出约六成为空，约 2% 的收入写成“3,500.00元”这样的文字，少量户类型为空或收入为“不详”；"
        "约三分之二的行有发现日期",
        "- 结果分布：" + "，".join(f"{s} {counts.get(s, 0):,} 户" for s in ("符合", "不符合", "资料不全")),
        f"- **整表 `FP_CHECK_TABLE`**（一次调用，{args.rows + 1:,} 行 × 8 列进，{args.rows + 1:,} 行 × 5 列出："
        f"资格判定、满足条件、判定说明、救助金额估算、办结时限）：**{table_seconds:.3f} 秒**"
        f"（{args.repeat} 次取最快）；目标 1 秒以内：{'达到' if table_ok else '未达到'}",
        f"- **逐户 `FP_ELIGIBLE`**（{args.rows:,} 次调用，每次一户 6 个单元格，相当于公式向下填充 "
        f"{args.rows:,} 行）：**{single_seconds:.2f} 秒**，平均每次 {single_seconds / args.rows * 1000:.2f} 毫秒",
        f"- 整表 / 逐户：快 **{ratio:,.0f} 倍**；目标至少 {TARGET_RATIO:.0f} 倍：{'达到' if ratio_ok else '未达到'}；"
        "三种算法（整表、整列、逐户）的资格判定逐户相同",
        f"- 参考：`FP_STATUS` 一次算整列（6 列 × {args.rows:,} 行）：{column_seconds:.3f} 秒；"
        f"同样 6 个参数、立即返回的空函数调用 {args.rows:,} 次（xlwings 自身处理一次调用的开销）："
        f"{floor_seconds:.2f} 秒，每次 {floor_seconds / args.rows * 1000:.2f} 毫秒——逐户调用的时间约有 "
        f"{floor_seconds / single_seconds:.0%} 花在这里，这部分任何写法都省不掉；其余是每次调用都要做一遍的"
        "参数转换（读取程序的类型转换按列设计，一个单元格也要走一遍）和判定",
        "- 说明：参数全部声明为 xlwings 的 raw 转换器，由本程序整块转换单元格。xlwings 0.37 默认的逐格清理"
        "每个单元格都尝试导入一次 pyodide（在 Pyodide 之外必然失败），每格约 40 微秒，1 万行 × 8 列的表要多花约 3 秒。"
        "计时只含函数调用本身；实际使用时还有 HTTP 往返（xlwings Server）和 Excel 的重算",
        machine_line(load, libraries=f"xlwings {xlwings.__version__}", slower="偏慢"),
        "- 运行：`python bench/bench_udfs.py`（`--rows`、`--repeat` 可调，`--no-write` 不写本文件）",
    ]
    publish(SECTION, lines, write=not args.no_write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
