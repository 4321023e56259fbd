"""Writing one benchmark's section of docs/BENCHMARKS.md, keeping the others."""

from __future__ import annotations

import re
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs" / "BENCHMARKS.md"
HEADER = "# 性能测试（benchmarks）\n\n各节由 bench/ 下对应的脚本运行后写入；全部重跑：`./dev bench`。\n"


def write_section(path: Path, title: str, lines: list[str]) -> None:
    """Replace (or append) the section ``title`` of the markdown file, keeping the others."""
    text = path.read_text(encoding="utf-8") if path.exists() else HEADER
    body = f"{title}\n\n" + "\n".join(lines) + "\n"
    pattern = re.compile(rf"^{re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: body + "\n", text, count=1).rstrip("\n") + "\n"
    else:
        text = text.rstrip("\n") + "\n\n" + body
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def load_average() -> float:
    """The 1-minute load when the run started (NaN where the system has none)."""
    import os

    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def machine_line(load: float, *, libraries: str = "", slower: str = "偏高") -> str:
    """The benchmark's machine: cores, architecture, versions, and the load it ran under."""
    import os
    import platform

    import numpy as np
    import pandas as pd

    extra = f"{libraries}，" if libraries else ""
    return (f"- 机器：{os.cpu_count()} 核，{platform.machine()}，Python {platform.python_version()}，"
            f"{extra}pandas {pd.__version__}，numpy {np.__version__}；开始时 1 分钟平均负载 {load:.2f}"
            f"（机器同时运行其他任务时数字会{slower}）")


def publish(title: str, lines: list[str], *, write: bool) -> None:
    """Print the section, and write it into docs/BENCHMARKS.md unless told not to."""
    print(title)
    print("\n".join(lines))
    if write:
        write_section(DOCS, title, lines)
