"""Benchmark: top-down screening of 300,000 medical records against 100,000 household members.

Synthetic data (numpy seed ``SEED``): 100,000 members in about 30,000
households (valid ID numbers with their check characters), and 300,000 医保
records: 60 % of members, 38 % valid numbers of people outside the register,
2 % invalid numbers; dates over 21 months around the window; half give
个人自付, half 医疗总费用 and 统筹支付. Times, in the same run, (a)
``screening.screen`` — the core, from read tables to the five result frames,
median of ``REPEAT`` runs — and (b) a naive per-record loop (``ids.validate_id``
per record, a dict lookup, the window test, the amount, a running sum, then
``rules.check_household`` per household) on the first ``LOOP_RECORDS``
records, linearly extrapolated to all of them, and checks that both give the
same candidates on that subset. Reading and writing the files are not timed
(the reader and writer have their own benchmarks). Aim: under 5 seconds.

Run: ``python bench/bench_screen.py`` (``--records``, ``--members``,
``--loop-records``, ``--no-write``). Writes the "## 筛查（bench_screen）"
section of docs/BENCHMARKS.md, keeping the others.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time

import numpy as np
import pandas as pd
from _docs import (  # bench/ is the script's folder
    load_average,
    machine_line,
    publish,
)

from fangpin_xl import rules
from fangpin_xl.derive import spending_window
from fangpin_xl.ids import validate_id
from fangpin_xl.policy import GROUPS, load_policy
from fangpin_xl.screening import DepartmentTable, Register, screen

SEED = 20200101
MEMBERS = 100_000
RECORDS = 300_000
LOOP_RECORDS = 30_000
REPEAT = 3
AS_OF = dt.date(2020, 12, 31)
SECTION = "## 筛查（bench_screen）"
_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_CHECK = np.array(list("10X98765432"))


def id_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct valid 18-character numbers of 魏县 (area 130434), in random order."""
    days = 365 * 85
    order = rng.permutation(n)
    birth = np.datetime64("1930-01-01") + (order % days).astype("timedelta64[D]")
    ymd = pd.DatetimeIndex(birth).strftime("%Y%m%d").to_numpy(dtype=str)
    seq = order // days  # (birth date, sequence) is unique: so is the number
    body = np.char.add(np.char.add("130434", ymd), np.char.zfill(seq.astype(str), 3))
    digits = body.view("<U1").reshape(n, 17).astype(np.int64)
    return np.char.add(body, _CHECK[(digits * _WEIGHTS).sum(axis=1) % 11])


def synthetic(members: int, records: int, policy) -> tuple[Register, DepartmentTable]:
    rng = np.random.default_rng(SEED)
    sizes = rng.integers(1, 7, members // 3 + 1)
    sizes = sizes[: np.searchsorted(np.cumsum(sizes), members) + 1]
    household = np.repeat(np.arange(len(sizes)), sizes)[:members]
    n_households = int(household.max()) + 1
    ids = id_numbers(rng, members + records)
    line = policy.income_threshold()
    households = pd.DataFrame({
        "key": np.char.add("H", np.arange(n_households).astype(str)).astype(object),
        "township": "东代固乡", "village": np.char.add("村", (np.arange(n_households) // 300).astype(str)),
        "household_no": np.char.add("H", np.arange(n_households).astype(str)).astype(object),
        "head_name": "户主",
        "group": np.array(GROUPS, dtype=object)[rng.choice(3, n_households, p=(0.5, 0.42, 0.08))],
        "income_per_capita": np.round(line * rng.uniform(0.5, 1.3, n_households), 2),
    })
    register = Register(households, pd.DataFrame({
        "key": households["key"].to_numpy()[household], "id": ids[:members].astype(object),
        "name": "成员", "relation": "户主", "household_no": households["household_no"].to_numpy()[household],
    }))
    kind = rng.random(records)
    member = rng.integers(0, members, records)
    number = np.where(kind < 0.6, ids[member], ids[members:members + records]).astype(object)
    bad = kind >= 0.98
    number[bad] = [n[:17] + ("0" if n[17] != "0" else "1") for n in number[bad]]
    own = rng.random(records) < 0.5
    total = np.round(rng.lognormal(9.0, 1.0, records), 2)
    reimbursed = np.round(total * rng.uniform(0.4, 0.8, records), 2)
    frame = pd.DataFrame({
        "id_number": number, "name": "患者",
        "date": pd.Timestamp("2019-06-01") + pd.to_timedelta(rng.integers(0, 640, records), unit="D"),
        "total": np.where(own, np.nan, total), "reimbursed": np.where(own, np.nan, reimbursed),
        "self_paid": np.where(own, np.round(total - reimbursed, 2), np.nan),
    }, index=pd.RangeIndex(4, 4 + records))
    columns = {"id_number": "C", "name": "B", "date": "D", "total": "E", "reimbursed": "F", "self_paid": "G"}
    headers = {"id_number": "身份证号码", "name": "患者姓名", "date": "出院日期", "total": "医疗总费用",
               "reimbursed": "统筹支付", "self_paid": "个人自付"}
    return register, DepartmentTable("medical", "医保.xlsx", "Sheet1", 3, frame, columns, headers)


def naive(register: Register, table: DepartmentTable, policy, records: int) -> set[tuple]:
    """The per-record loop a first version would write."""
    member_of = dict(zip(register.members["id"], register.members["key"], strict=True))
    households = register.households.set_index("key")
    start, end = spending_window(AS_OF, policy)
    sums: dict[str, float] = {}
    for row in table.frame.iloc[:records].itertuples():
        checked = validate_id(row.id_number, today=AS_OF)
        if not checked.valid:
            continue
        key = member_of.get(checked.normalized)
        if key is None or pd.isna(row.date) or not start < row.date <= end:
            continue
        amount = row.self_paid if not np.isnan(row.self_paid) else row.total - row.reimbursed
        sums[key] = sums.get(key, 0.0) + amount
    found = set()
    for key, amount in sums.items():
        household = households.loc[key]
        result = rules.check_household(household["group"], household["income_per_capita"],
                                       round(amount, 2), 0, 0, 0, policy=policy)
        if result.status == rules.STATUS_ELIGIBLE:
            found.add((key, "因病", round(amount, 2)))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=RECORDS)
    parser.add_argument("--members", type=int, default=MEMBERS)
    parser.add_argument("--loop-records", type=int, default=LOOP_RECORDS)
    parser.add_argument("--no-write", action="store_true")
    args, _ = parser.parse_known_args(argv)

    policy = load_policy()
    register, table = synthetic(args.members, args.records, policy)
    load = load_average()
    times, result = [], None
    for _ in range(REPEAT):
        started = time.perf_counter()
        result = screen([table], register, policy=policy, as_of=AS_OF, today=AS_OF)
        times.append(time.perf_counter() - started)
    assert result is not None
    seconds = statistics.median(times)

    loop_records = min(args.loop_records, args.records)
    started = time.perf_counter()
    looped = naive(register, table, policy, loop_records)
    loop_seconds = time.perf_counter() - started
    subset = DepartmentTable(table.department, table.file, table.sheet, table.header_row,
                             table.frame.iloc[:loop_records], table.columns, table.headers)
    small = screen([subset], register, policy=policy, as_of=AS_OF, today=AS_OF)
    keys = register.households.set_index("household_no")["key"]
    vectorised = {(keys[h], k, round(a, 2)) for h, k, a in
                  small.candidates[["household_no", "kind", "amount"]].itertuples(index=False)}
    if vectorised != looped:
        print("错误：逐条循环与向量化的筛查结果不一致", file=sys.stderr)
        return 1
    loop_full = loop_seconds * args.records / loop_records
    total = result.total()
    lines = [
        f"- 数据：合成的 {args.members:,} 名家庭成员（{len(register.households):,} 户）和 {args.records:,} 条医保记录"
        f"（numpy 种子 {SEED}）：六成为成员的身份证号，三成八为名单外的有效号码，2% 校验码错误；"
        "日期分布在统计期前后 21 个月；一半给个人自付，一半给医疗总费用和统筹支付",
        f"- 结果：匹配 {total.matched:,} 条（统计期内 {total.in_window:,}，统计期外 {total.outside:,}），"
        f"未匹配 {total.unmatched:,} 条，身份证号无效 {total.invalid:,} 条；"
        f"疑似防贫对象 {len(result.candidates):,} 户",
        f"- `screening.screen`（核心：校验身份证号、匹配、统计期、金额、按户汇总、资格判定、明细文字、五张结果表）："
        f"**{seconds:.2f} 秒**（{REPEAT} 次取中位数；各次 {' / '.join(f'{t:.2f}' for t in times)} 秒），"
        f"{args.records / seconds:,.0f} 条/秒；目标 5 秒以内：{'达到' if seconds < 5 else '未达到'}",
        f"- 逐条循环（`validate_id`、字典查找、统计期、金额、累加，再逐户 `check_household`）：只跑前 "
        f"{loop_records:,} 条，用时 {loop_seconds:.2f} 秒；按条数线性外推 {args.records:,} 条约需 "
        f"{loop_full:.1f} 秒（外推值，未实跑）",
        f"- 向量化 / 逐条：约 **{loop_full / seconds:,.0f} 倍**；前 {loop_records:,} 条两者找出的疑似对象"
        f"（{len(looped):,} 户，户、类别、金额）完全相同",
        "- 不含读取部门文件和写出结果工作簿的时间（读取、写入另有 bench_validate、bench_merge）",
        machine_line(load, slower="偏高"),
        "- 运行：`python bench/bench_screen.py`（`--records`、`--members`、`--loop-records` 可调，"
        "`--no-write` 不写本文件）",
    ]
    publish(SECTION, lines, write=not args.no_write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
