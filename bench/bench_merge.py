"""Benchmark: the county merge against the naive way and against the bare floor.

Generates sample counties with ``fangpin_xl.demo.write_sample_county`` (under
/tmp, never in the repository) and measures, side by side in one run, each in
its own process:

1. **naive** — ``pandas.read_excel`` (default engine) of the six data sheets of
   every file, ``pandas.concat`` per sheet, ``to_excel`` into one workbook
   (split at Excel's row limit, which pandas itself would refuse);
2. **floor** — python-calamine reading the same sheets (``to_python``), then
   xlsxwriter in constant-memory mode writing the same rows with ``write_row``,
   each row with the four provenance cells the county workbook carries
   (township, file, sheet, row), so both write the same cells;
3. **merge** — ``fangpin_xl.merge.merge_workbooks`` with its time split into
   read and check (per file, in the worker processes) and write.

For each: wall time, CPU time (the process and its children) and peak memory
(the resident memory of the whole process tree, sampled every 0.1 s from the
parent; ``ru_maxrss`` where /proc is missing).

Scales: ``county`` (30 townships × 2,000 households) and ``city``
(200 × 2,000: the 家庭成员 and 帮扶 sheets pass Excel's row limit, so the
continuation sheets are written for real).

Run: ``python bench/bench_merge.py [--scale county|city|both] [--jobs N]
[--methods naive,floor,merge] [--workdir /tmp/fangpin-bench] [--no-write]``.
Writes the figures into the "## 汇总（bench_merge）" section of
docs/BENCHMARKS.md, keeping the other sections.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

from _docs import load_average, publish  # bench/ is the script's folder

SECTION = "## 汇总（bench_merge）"

#: "tiny" is a smoke test of the script itself.
SCALES = {"county": (30, 2000), "city": (200, 2000), "tiny": (3, 40)}
SEED = 20200101
METHODS = ("naive", "floor", "merge")
#: Also accepted by --methods: the merge in one process (jobs=1), for a clean split of its phases.
EXTRA_METHODS = ("merge-serial",)
SHEET_NAMES = ("监测户", "家庭成员", "支出", "救助", "帮扶", "援助")
EXCEL_ROWS = 1_048_576


# -- the sets -------------------------------------------------------------------------------

def sample_set(workdir: Path, scale: str) -> list[Path]:
    """The township workbooks of a scale, generated once and reused while the manifest matches."""
    townships, households = SCALES[scale]
    folder = workdir / scale
    manifest = folder / "manifest.json"
    if manifest.exists():
        doc = json.loads(manifest.read_text(encoding="utf-8"))
        counts = doc.get("counts", {})
        if (doc.get("seed") == SEED and len(counts) == townships
                and all(c["households"] == households for c in counts.values())):
            return _township_files(folder, counts)
    from fangpin_xl.demo import write_sample_county
    from fangpin_xl.policy import Policy

    started = time.perf_counter()
    result = write_sample_county(folder, townships=townships, households=households, seed=SEED,
                                 policy=Policy())
    print(f"generated {scale}: {townships} × {households} in {time.perf_counter() - started:.0f} s",
          file=sys.stderr)
    return list(result.workbooks.values())


def _township_files(folder: Path, counts: dict) -> list[Path]:
    return [folder / f"{name}.xlsx" for name in counts]


# -- the three ways (each runs in its own process) ----------------------------------------------

def run_naive(files: list[Path], out: Path) -> dict:
    import pandas as pd

    started = time.perf_counter()
    frames: dict[str, list] = {name: [] for name in SHEET_NAMES}
    for path in files:
        book = pd.read_excel(path, sheet_name=list(SHEET_NAMES), header=1)
        for name, frame in book.items():
            frames[name].append(frame.dropna(how="all"))
    read = time.perf_counter() - started
    rows = {}
    with pd.ExcelWriter(out) as writer:
        for name, parts in frames.items():
            frame = pd.concat(parts, ignore_index=True)
            rows[name] = len(frame)
            limit = EXCEL_ROWS - 1
            for i, start in enumerate(range(0, max(len(frame), 1), limit)):
                sheet = name if i == 0 else f"{name}({i})"
                frame.iloc[start:start + limit].to_excel(writer, sheet_name=sheet, index=False)
    return {"phases": {"read": read, "write": time.perf_counter() - started - read}, "rows": rows}


def run_floor(files: list[Path], out: Path) -> dict:
    import xlsxwriter
    from python_calamine import CalamineWorkbook

    started = time.perf_counter()
    sheets: dict[str, list] = {name: [] for name in SHEET_NAMES}
    headers: dict[str, list] = {}
    for path in files:
        book = CalamineWorkbook.from_path(str(path))
        for name in SHEET_NAMES:
            sheets[name].append((path, book.get_sheet_by_name(name).to_python()))
    read = time.perf_counter() - started
    wb = xlsxwriter.Workbook(str(out), {"constant_memory": True, "strings_to_numbers": False,
                                         "strings_to_formulas": False, "strings_to_urls": False,
                                         "default_date_format": "yyyy-mm-dd"})
    limit = EXCEL_ROWS - 2
    rows_written: dict[str, int] = {}
    for name, parts in sheets.items():
        part, r, ws, count = 0, limit + 2, None, 0
        for path, rows in parts:
            header = next(i for i, row in enumerate(rows[:10]) if "户编号" in row or "户号" in row)
            headers.setdefault(name, rows[header])
            town, file = path.stem, path.name
            for number, row in enumerate(rows[header + 1:], start=header + 2):
                if not any(v != "" for v in row):
                    continue
                if r - 2 >= limit:
                    ws = wb.add_worksheet(name if part == 0 else f"{name}(续{part})")
                    ws.write_string(0, 0, name)
                    ws.write_row(1, 0, headers[name] + ["来源乡镇", "来源文件", "来源工作表", "来源行"])
                    part, r = part + 1, 2
                if ws.write_row(r, 0, row + [town, file, name, number]):
                    raise RuntimeError("row refused")
                r += 1
                count += 1
        rows_written[name] = count
    wb.close()
    return {"phases": {"read": read, "write": time.perf_counter() - started - read}, "rows": rows_written}


def run_merge(files: list[Path], out: Path, jobs: int | None) -> dict:
    from fangpin_xl.merge import merge_workbooks

    result = merge_workbooks(files, out, jobs=jobs)
    t = result.timings
    return {
        "phases": {"read": t["read"], "check": t["check"], "read_check": t["read_check"],
                   "write": t["write"]},
        "rows": {s.name: s.written for s in result.sheets.values()},
        "rejected": result.rejected,
        "sheets": {s.name: s.sheets for s in result.sheets.values()},
        "balanced": all(s.balanced for s in result.sheets.values()),
    }


def child(method: str, files: list[Path], out: Path, jobs: int | None) -> None:
    started = time.perf_counter()
    if method == "naive":
        info = run_naive(files, out)
    elif method == "floor":
        info = run_floor(files, out)
    elif method == "merge-serial":
        info = run_merge(files, out, 1)
    else:
        info = run_merge(files, out, jobs)
    times = os.times()
    info["wall"] = time.perf_counter() - started
    info["cpu"] = times.user + times.system + times.children_user + times.children_system
    info["maxrss_self"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    info["maxrss_children"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    info["output_bytes"] = out.stat().st_size
    print(json.dumps(info, ensure_ascii=False))


# -- measuring from outside ---------------------------------------------------------------------

def _tree_rss(root: int) -> int:
    """Resident bytes of ``root`` and all its descendants (Linux /proc)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
            with open(f"/proc/{entry}/statm", "rb") as fh:
                resident = int(fh.read().split()[1]) * page
        except (OSError, IndexError, ValueError):
            continue
        parents[int(entry)] = int(fields[1])
        rss[int(entry)] = resident
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        for child_pid, parent in parents.items():
            if parent == pid and child_pid not in tree:
                tree.add(child_pid)
                frontier.append(child_pid)
    return sum(rss.get(pid, 0) for pid in tree)


def measure(method: str, files: list[Path], out: Path, jobs: int | None, listing: Path) -> dict:
    command = [sys.executable, __file__, "--child", method, "--files", str(listing), "--out", str(out)]
    if jobs:
        command += ["--jobs", str(jobs)]
    when = time.strftime("%Y-%m-%d %H:%M")
    load = load_average()
    started = time.perf_counter()
    # The child's output goes to files: pandas/openpyxl warn once per file, and
    # a pipe nobody reads while the child runs fills up and blocks it.
    log_out, log_err = listing.with_suffix(f".{method}.out"), listing.with_suffix(f".{method}.err")
    with open(log_out, "w", encoding="utf-8") as fo, open(log_err, "w", encoding="utf-8") as fe:
        proc = subprocess.Popen(command, stdout=fo, stderr=fe, text=True)
        peak = 0
        proc_ok = Path("/proc").is_dir()
        while proc.poll() is None:
            if proc_ok:
                peak = max(peak, _tree_rss(proc.pid))
            time.sleep(0.1)
    stdout = log_out.read_text(encoding="utf-8")
    stderr = log_err.read_text(encoding="utf-8")
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        return {"method": method, "error": stderr.strip().splitlines()[-1:] or ["failed"], "wall": wall}
    info = json.loads(stdout.strip().splitlines()[-1])
    info["method"] = method
    info["peak_tree"] = peak or max(info["maxrss_self"], info["maxrss_children"])
    info["started_at"], info["load_before"] = when, load
    return info


# -- report ---------------------------------------------------------------------------------------

def _gb(n: float) -> str:
    return f"{n / 2**30:.2f} GB"


def report(scale: str, files: list[Path], results: dict[str, dict], jobs: int | None) -> list[str]:
    townships, households = SCALES[scale]
    merge = results.get("merge") or {}
    rows = next((r["rows"] for r in (merge, results.get("floor") or {}) if r.get("rows")), {})
    lines = [
        f"### {scale}：{townships} 个乡镇 × {households:,} 户（{len(files)} 个工作簿，"
        f"共 {sum(f.stat().st_size for f in files) / 2**20:.0f} MB）",
        "",
        "行数：" + "，".join(f"{k} {v:,}" for k, v in rows.items()),
    ]
    if merge.get("sheets"):
        split = [f"{k} → {'、'.join(v)}" for k, v in merge["sheets"].items() if len(v) > 1]
        if split:
            lines.append("续表：" + "；".join(split))
    lines += [
        "",
        "| 方法 | 墙钟时间 | CPU 时间 | 峰值内存（进程树） | 读取 | 检查 | 写入 |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    names = {"naive": "naive：pandas.read_excel + concat + to_excel",
             "floor": "floor：calamine 读 + xlsxwriter write_row 写",
             "merge": f"fangpin-xl merge（jobs={jobs or os.cpu_count()}）",
             "merge-serial": "fangpin-xl merge（jobs=1）"}
    for method in (*METHODS, *(m for m in EXTRA_METHODS if m in results)):
        info = results.get(method)
        if info is None:
            lines.append(f"| {names[method]} | 未运行 | | | | | |")
            continue
        if "error" in info:
            lines.append(f"| {names[method]} | 失败（{info['wall']:.0f} s）：{info['error'][0][:80]} | | | | | |")
            continue
        ph = info["phases"]
        check = f"{ph['check']:.1f} s" if "check" in ph else ""
        read = f"{ph['read']:.1f} s"
        if method.startswith("merge"):
            read = f"{ph['read']:.1f} s（各文件合计；读+检查墙钟 {ph['read_check']:.1f} s）"
        lines.append(f"| {names[method]} | {info['wall']:.1f} s | {info['cpu']:.1f} s | "
                     f"{_gb(info['peak_tree'])} | {read} | {check} | {ph['write']:.1f} s |")
    naive, floor = results.get("naive"), results.get("floor")
    ok = lambda info: bool(info) and "error" not in info  # noqa: E731
    lines.append("")
    if ok(merge):
        ph = merge["phases"]
        if ok(naive):
            lines.append(f"- 整体：naive / merge = {naive['wall'] / merge['wall']:.2f} 倍（目标 ≥ 2）")
        if ok(floor):
            fr, fw = floor["phases"]["read"], floor["phases"]["write"]
            lines.append(f"- 读取：merge 各文件读取合计 / calamine = {ph['read'] / fr:.2f}（目标 ≤ 1.5）；"
                         f"merge 读+检查墙钟 / calamine = {ph['read_check'] / fr:.2f}")
            lines.append(f"- 写入：merge 写入 / xlsxwriter = {ph['write'] / fw:.2f}（目标 ≤ 1.2）")
        serial = results.get("merge-serial")
        if ok(serial) and ok(floor):
            sp = serial["phases"]
            lines.append(
                f"- jobs=1：读取合计 / calamine = {sp['read'] / floor['phases']['read']:.2f}，"
                f"写入 / xlsxwriter = {sp['write'] / floor['phases']['write']:.2f}"
                + (f"，naive / merge = {naive['wall'] / serial['wall']:.2f} 倍" if ok(naive) else "")
                + f"；两个进程读取使整体快 {serial['wall'] / merge['wall']:.2f} 倍"
            )
        lines.append(f"- 峰值内存：{_gb(merge['peak_tree'])}"
                     + ("（目标 < 4 GB）" if scale == "city" else ""))
        lines.append(f"- 行数核对：{'全部相符' if merge.get('balanced') else '不相符！'}；"
                     f"未入库 {merge.get('rejected', 0)} 行")
    started = [f"{names[m].split('：')[0]} {info['started_at']}"
               + (f"（负载 {info['load_before']:.2f}）" if info.get("load_before") is not None else "")
               for m, info in results.items() if info and info.get("started_at")]
    if started:
        lines.append("- 测量开始时间和开始时的 1 分钟平均负载：" + "；".join(started))
    return lines


NOTES = [
    "设计取舍（merge.py 模块说明中有详细理由）：",
    "",
    "- 写入占总时间的大部分，且只能在一个进程中进行（一个 xlsxwriter 工作簿）。每行只写一次："
    "各列的值先按列类型整理成 Python 列表（文本、浮点数、日期序列号、空为 None），"
    "再用 `write_row` 逐行写入；实测按列选 `write_string`/`write_number` 逐格调用比 `write_row` 慢约 60%"
    "（10 万行 × 12 列：8.5 s 对 5.2 s），因为 Python 层的循环比 xlsxwriter 内部的类型判断更贵。",
    "- 只给需要的列设格式（日期、身份证号/电话的文本格式、金额）：xlsxwriter 会把列格式写进该列的每个单元格，"
    "给所有列设格式时写入慢三成以上（5 个乡镇工作簿，交替各测两次：17.0–18.9 s 对 11.0–13.8 s）。",
    "- 读取与写入没有重叠：县汇总表第 2 行的表头要包含所有乡镇的附加列，而常量内存模式下已写出的行不能再改，"
    "续表也必须紧跟原表；要重叠就得改写 xlsxwriter 的内部临时文件。读取与检查（两个进程并行）"
    "只占墙钟时间的一小部分（见上表“读+检查墙钟”），收益有限，未采用。",
    "- 更快的写法已测过但未采用：在工作进程中直接生成工作表 XML（向量化），主进程只填行号。"
    "写入部分约快 2.8 倍（10 万行 × 12 列：1.9 s 对 5.2 s），但绕过了 xlsxwriter 的转义和校验，"
    "生成的文件若有错 Excel 会提示修复，风险由县里承担，故保留 xlsxwriter。",
    "- 内存：工作进程把每个乡镇每张表的入库行存成临时 pickle 文件，主进程写入时一次只载入一个乡镇的一张表，"
    "数据行从不全部驻留内存；峰值（含两个读取进程）主要来自问题记录和跨乡镇核对身份证号所需的数据。",
]


def machine(ran: bool = True) -> list[str]:
    from importlib import metadata

    import pandas
    import xlsxwriter

    try:
        model = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo", encoding="utf-8")
                     if line.startswith("model name"))
    except (OSError, StopIteration):
        model = platform.processor() or "?"
    try:
        mem = next(int(line.split()[1]) * 1024 for line in open("/proc/meminfo", encoding="utf-8")
                   if line.startswith("MemTotal"))
    except (OSError, StopIteration):
        mem = 0
    load = load_average()
    return [
        f"机器：{os.cpu_count()} 核（{model}），内存 {_gb(mem)}；Python {platform.python_version()}，"
        f"pandas {pandas.__version__}，xlsxwriter {xlsxwriter.__version__}，"
        f"python-calamine {metadata.version('python-calamine')}；"
        + (f"开始时 1 分钟平均负载 {load:.2f}；{time.strftime('%Y-%m-%d')}" if ran
         else "各方法的结果取自此前的单独运行（--with-saved），时间与负载见各表下"),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=("county", "city", "both", "tiny"), default="county")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/fangpin-bench"))
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--with-saved", action="store_true",
                        help="report methods not run this time from their saved results in --workdir")
    parser.add_argument("--child", choices=METHODS + EXTRA_METHODS, help=argparse.SUPPRESS)
    parser.add_argument("--files", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        files = [Path(p) for p in args.files.read_text(encoding="utf-8").splitlines() if p]
        child(args.child, files, args.out, args.jobs)
        return 0

    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = set(methods) - set(METHODS + EXTRA_METHODS)
    if unknown:
        parser.error(f"unknown methods: {sorted(unknown)}")
    scales = ("county", "city") if args.scale == "both" else (args.scale,)
    lines = machine(ran=bool(methods))
    lines += [
        "",
        "每种方法在单独的进程中运行；CPU 时间含子进程（merge 的读取进程）。"
        "floor 写入与 merge 相同的行和来源列（来源乡镇、文件、工作表、行）；"
        "merge 另外写“汇总”“问题”“重复”“来源”“未入库”各表。"
        "merge 的“读取”“检查”为各文件在工作进程中所用时间之和（两个进程并行），写入为主进程墙钟时间。",
        "",
        "运行：`python bench/bench_merge.py --scale county|city|both`（`--methods naive,floor,merge,merge-serial`，"
        "`--jobs N`，`--no-write`；`--with-saved` 用此前保存的结果补齐未运行的方法）。"
        f"数据由 `write_sample_county`（种子 {SEED}）生成在 `--workdir`（默认 /tmp/fangpin-bench）并复用；"
        "本机生成 county 约 81 s，city 约 626 s。",
    ]
    args.workdir.mkdir(parents=True, exist_ok=True)
    for scale in scales:
        files = sample_set(args.workdir, scale)
        listing = args.workdir / f"{scale}-files.txt"
        listing.write_text("\n".join(str(f) for f in files), encoding="utf-8")
        results = {}
        for method in methods:
            out = args.workdir / f"{scale}-{method}.xlsx"
            print(f"{scale}: {method} …", file=sys.stderr)
            results[method] = measure(method, files, out, args.jobs, listing)
            saved = args.workdir / f"result-{scale}-{method}.json"
            saved.write_text(json.dumps(results[method], ensure_ascii=False), encoding="utf-8")
            print(json.dumps(results[method], ensure_ascii=False), file=sys.stderr)
            if out.exists():
                out.unlink()
        if args.with_saved:
            for method in (*METHODS, *EXTRA_METHODS):
                saved = args.workdir / f"result-{scale}-{method}.json"
                if method not in results and saved.exists():
                    results[method] = json.loads(saved.read_text(encoding="utf-8"))
        lines += ["", *report(scale, files, results, args.jobs)]
    lines += ["", *NOTES]
    publish(SECTION, lines, write=not args.no_write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
