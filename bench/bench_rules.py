"""Benchmark: eligibility check of 1,000,000 synthetic households.

Times ``check_households`` (vectorised) against a loop calling ``check_household``
row by row. The loop runs on the first LOOP_ROWS rows and is extrapolated
linearly to the full table (the loop's cost per row does not depend on the table
size), so the benchmark finishes in a couple of minutes.

Run: ``python bench/bench_rules.py`` (options: ``--rows N``, ``--loop-rows N``,
``--no-write`` to leave docs/BENCHMARKS.md alone). Writes its figures into the
"## 资格核查（bench_rules）" section of docs/BENCHMARKS.md, keeping other sections.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import pandas as pd
from _docs import (  # bench/ is the script's folder
    load_average,
    machine_line,
    publish,
)

from fangpin_xl.policy import GROUPS, load_policy
from fangpin_xl.rules import check_household, check_households

SEED = 20170101
ROWS = 1_000_000
LOOP_ROWS = 50_000
REPEAT = 5
SECTION = "## 资格核查（bench_rules）"


def synthetic_households(rows: int, policy, seed: int = SEED) -> pd.DataFrame:
    """Households whose values sit around the thresholds (many exactly on them, ±0.01)."""
    rng = np.random.default_rng(seed)
    line = policy.income_threshold()

    def around(centre: np.ndarray | float, spread: float) -> np.ndarray:
        centre = np.broadcast_to(np.asarray(centre, dtype=float), (rows,))
        kind = rng.integers(0, 4, rows)
        values = np.select(
            [kind == 0, kind == 1, kind == 2],
            [centre, centre - 0.01, centre + 0.01],
            np.round(centre + rng.normal(0, spread, rows), 2),
        )
        return np.round(values, 2)

    group = np.array(GROUPS, dtype=object)[rng.choice(3, rows, p=[0.5, 0.4, 0.1])]
    group[rng.random(rows) < 0.005] = None
    group[rng.random(rows) < 0.005] = "低保户"
    income = around(line, line * 0.3)
    income[rng.random(rows) < 0.01] = np.nan
    codes = pd.Index(GROUPS).get_indexer(group)
    frame = {"group": group, "income_per_capita": income}
    for kind, field in (("因病", "medical"), ("因学", "education"), ("因意外", "accident"), ("因产业", "industry")):
        thresholds = np.array([policy.spending_threshold(kind, g) for g in GROUPS])[np.maximum(codes, 0)]
        values = np.maximum(around(thresholds, thresholds * 0.5), 0)
        # Most households report one or two kinds of spending; the others are empty.
        values[rng.random(rows) < 0.6] = np.nan
        frame[field] = values
    return pd.DataFrame(frame)


def loop_check(frame: pd.DataFrame, policy) -> pd.DataFrame:
    rows = []
    for row in frame.itertuples(index=False):
        result = check_household(row.group, row.income_per_capita, row.medical, row.education,
                                 row.accident, row.industry, policy=policy)
        rows.append((result.status, result.met_text, result.reasons))
    return pd.DataFrame(rows, columns=["status", "met_text", "reasons"], index=frame.index)


def best_of(repeat: int, func, *args):
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func(*args)
        best = min(best, time.perf_counter() - start)
    return best, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--loop-rows", type=int, default=LOOP_ROWS)
    parser.add_argument("--no-write", action="store_true")
    # ./dev bench passes the same arguments to every bench script: ignore the others' options.
    args, _ = parser.parse_known_args(argv)

    policy = load_policy()
    frame = synthetic_households(args.rows, policy)

    vector_seconds, vector = best_of(REPEAT, check_households, frame, policy)
    status_seconds, _ = best_of(REPEAT, lambda: check_households(frame, policy, reasons=False))
    loop_rows = min(args.loop_rows, args.rows)
    loop_seconds, looped = best_of(1, loop_check, frame.iloc[:loop_rows], policy)
    if looped.values.tolist() != vector.iloc[:loop_rows].values.tolist():
        print("错误：逐行结果与向量化结果不一致", file=sys.stderr)
        return 1

    loop_rate = loop_rows / loop_seconds
    vector_rate = args.rows / vector_seconds
    status_rate = args.rows / status_seconds
    loop_full = args.rows / loop_rate
    counts = vector["status"].value_counts()
    load = load_average()
    lines = [
        f"- 数据：{args.rows:,} 户合成数据（numpy 种子 {SEED}；收入、各类支出围绕标准取值，"
        "约四分之一恰好等于标准、各四分之一为标准 ±0.01 元，其余在标准附近随机；"
        "每类支出约六成为空；约 1% 缺收入、0.5% 缺户类型、0.5% 户类型不认识）",
        "- 结果分布：" + "，".join(f"{s} {counts.get(s, 0):,} 户" for s in ("符合", "不符合", "资料不全")),
        f"- 向量化 `check_households`（含 status、met_text、reasons 三列）：{vector_seconds:.3f} 秒"
        f"（{REPEAT} 次取最快），**{vector_rate:,.0f} 户/秒**",
        f"- 向量化，不生成 reasons（`reasons=False`）：{status_seconds:.3f} 秒，**{status_rate:,.0f} 户/秒**",
        f"- 逐行调用 `check_household`：只跑前 {loop_rows:,} 行，用时 {loop_seconds:.2f} 秒，"
        f"{loop_rate:,.0f} 户/秒；按行数线性外推 {args.rows:,} 户约需 {loop_full:.0f} 秒（外推值，未实跑）",
        f"- 向量化 / 逐行：约 **{vector_rate / loop_rate:,.0f} 倍**；前 {loop_rows:,} 行两者结果逐行相同",
        f"- 目标 ≥ 1,000,000 户/秒：含 reasons {'达到' if vector_rate >= 1e6 else '未达到'}，"
        f"不含 reasons {'达到' if status_rate >= 1e6 else '未达到'}。时间主要花在 reasons 文字上"
        f"（约 {1 - status_seconds / vector_seconds:.0%}）：每户约两个金额要格式化、拼接，"
        "再逐个生成 Python 字符串；判定本身（status、met_text）只占其余部分",
        machine_line(load, slower="偏低"),
        "- 运行：`python bench/bench_rules.py`（`--rows`、`--loop-rows` 可调，`--no-write` 不写本文件）",
    ]
    publish(SECTION, lines, write=not args.no_write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
