"""Finding the workbooks a command works on: the files named and those in folders.

validate and merge share these rules, so both skip the same Excel owner
files (~$名称.xlsx), hidden files and non-workbooks, with the same reasons.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls")
LOCK_PREFIX = "~$"

# Why a file was skipped (shown to users).
SKIP_LOCK = "临时锁定文件（Excel 或 WPS 打开工作簿时产生，不是工作簿）"
SKIP_HIDDEN = "隐藏文件"
SKIP_HIDDEN_DIR = "隐藏文件夹"
SKIP_NOT_WORKBOOK = "不是工作簿（只汇总 .xlsx、.xlsm、.xls 文件）"
SKIP_OUTPUT = "本次汇总的输出文件"
SKIP_REPEATED = "重复指定的文件"


@dataclass
class Skipped:
    path: Path
    reason: str

    def as_dict(self) -> dict:
        return {"path": str(self.path), "file": self.path.name, "reason": self.reason}


def _is_hidden(path: Path) -> bool:
    if path.name.startswith("."):
        return True
    try:
        attributes = getattr(path.stat(), "st_file_attributes", 0)
    except OSError:
        return False
    return bool(attributes & getattr(stat, "FILE_ATTRIBUTE_HIDDEN", 0))


def _skip_reason(path: Path) -> str | None:
    if path.name.startswith(LOCK_PREFIX):
        return SKIP_LOCK
    if _is_hidden(path):
        return SKIP_HIDDEN
    if path.suffix.lower() not in WORKBOOK_SUFFIXES:
        return SKIP_NOT_WORKBOOK
    return None


def discover(paths: Iterable[str | Path], output: str | Path | None = None, *,
             recursive: bool = True) -> tuple[list[Path], list[Skipped]]:
    """The workbooks named or found in folders, in order, and the files skipped with the reason.

    A folder is searched recursively (its files in name order; only its own
    files when ``recursive`` is false); a hidden folder inside it is skipped
    as a whole. Raises ``InputError`` for a path
    that does not exist and when ``output`` is one of the files named.
    """
    target = Path(output).resolve() if output is not None else None
    found: list[Path] = []
    skipped: list[Skipped] = []
    seen: set[Path] = set()

    def consider(path: Path, named: bool) -> None:
        resolved = path.resolve()
        if target is not None and resolved == target:
            if named:
                raise InputError(
                    f"输出文件 {output} 也是输入文件：汇总结果不能覆盖乡镇工作簿，请换一个输出文件名。"
                )
            skipped.append(Skipped(path, SKIP_OUTPUT))
            return
        reason = _skip_reason(path)
        if reason is not None:
            skipped.append(Skipped(path, reason))
            return
        if resolved in seen:
            skipped.append(Skipped(path, SKIP_REPEATED))
            return
        seen.add(resolved)
        found.append(path)

    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise InputError(f"找不到 {path}：请检查文件或文件夹名称。")
        if path.is_dir():
            for folder, dirs, files in os.walk(path):
                base = Path(folder)
                keep = []
                for name in sorted(dirs):
                    if _is_hidden(base / name):
                        skipped.append(Skipped(base / name, SKIP_HIDDEN_DIR))
                    else:
                        keep.append(name)
                dirs[:] = keep if recursive else []
                for name in sorted(files):
                    consider(base / name, named=False)
        else:
            consider(path, named=True)
    return found, skipped
