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
