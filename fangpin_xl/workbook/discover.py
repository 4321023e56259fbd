"""Finding the workbooks a command works on: the files named and those in folders.

One rule for validate and merge (stated in their ``--help``): a folder is
searched with its sub-folders; Excel owner files (~$名称.xlsx), hidden files
and folders, non-workbooks and broken links are skipped with a reason. A
folder a command writes into (the annotated copies) is not searched, and a
file it writes (the county workbook) is never taken as an input.

Files this tool wrote (``made.made_as``) that a folder holds are skipped too,
the files named on the command line never: an earlier county workbook, ledger or
issue list is no township workbook, and an annotated copy (validate --annotate,
``<名称>_标注.xlsx`` beside its workbook or ``<名称>.xlsx`` in another folder)
lying beside its original would count the township twice. An annotated copy
whose original is not among the inputs is read: a township may correct the copy
and return it instead.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..issues import Issue, issue
from ..text import shown_path
from .made import ANNOTATED_COPY, KINDS, made_as

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls")
LOCK_PREFIX = "~$"

# Why a file was skipped (shown to users).
SKIP_LOCK = "临时锁定文件（Excel 或 WPS 打开工作簿时产生，不是工作簿）"
SKIP_HIDDEN = "隐藏文件"
SKIP_HIDDEN_DIR = "隐藏文件夹"
SKIP_NOT_WORKBOOK = "不是工作簿（只读取 .xlsx、.xlsm、.xls 文件）"
SKIP_OUTPUT = "本次命令写出的文件"
SKIP_OUTPUT_DIR = "本次命令写出的文件夹"
SKIP_REPEATED = "重复指定的文件"
SKIP_BROKEN_LINK = "无法打开的链接或快捷方式（指向不存在的位置，或指向自身）"
SKIP_NOT_FILE = "不是普通文件（如管道或设备），无法作为工作簿读取"
SKIP_ANNOTATED = ("是 {original} 的标注副本（validate --annotate 写出），未重复读取；"
                  "如果乡镇在副本上改正后交回，请用它替换原文件")
SKIP_MADE = "本工具写出的{kind}，不是乡镇工作簿"

#: The workbooks that can carry the mark (made_as opens a zip: an .xls cannot).
_MARKED_SUFFIXES = (".xlsx", ".xlsm")
#: What annotate adds to its copy's name: _标注, _标注(2) beside the source; (2) elsewhere.
_COPY_SUFFIX = re.compile(r"(?:_标注(?:\(\d+\))?|\(\d+\))$")


@dataclass
class Skipped:
    path: Path
    reason: str
    #: What this tool wrote the file as (``made.KINDS``), when that is why it is skipped.
    made: str | None = None

    def as_dict(self) -> dict:
        return {"path": shown_path(self.path), "file": shown_path(self.path.name),
                "reason": self.reason}


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


def _resolved(path: Path) -> Path | None:
    """The real path, or None for a link loop or a link to nowhere."""
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop (Python 3.11)
        return None
    return real


def discover(paths: Iterable[str | Path], *, outputs: Iterable[str | Path] = (),
             output_dirs: Iterable[str | Path] = ()) -> tuple[list[Path], list[Skipped]]:
    """The workbooks named or found in folders (in order), and the files skipped with the reason.

    ``outputs`` are files the command will write: one found in a folder is
    skipped (a county workbook left by the last run); one named as an input
    is refused. ``output_dirs`` are folders the command writes into: not
    searched. Raises ``InputError`` for a path that does not exist.
    """
    targets = {r for r in (_resolved(Path(p)) for p in outputs) if r is not None}
    targets |= {Path(os.path.abspath(p)) for p in outputs}
    skip_dirs = {r for r in (_resolved(Path(p)) for p in output_dirs) if r is not None}
    found: list[Path] = []
    in_folder: list[bool] = []
    skipped: list[Skipped] = []
    seen: set[Path] = set()

    def consider(path: Path, named: bool) -> None:
        reason = _skip_reason(path)
        if reason not in (None, SKIP_NOT_WORKBOOK):  # lock files, hidden files
            skipped.append(Skipped(path, str(reason)))
            return
        resolved = _resolved(path)
        if resolved is None:
            skipped.append(Skipped(path, SKIP_BROKEN_LINK))
            return
        if resolved in targets:
            if named:
                raise InputError(
                    f"输出文件 {shown_path(path)} 也是输入文件：结果不能覆盖输入的工作簿，请换一个输出文件名。"
                )
            skipped.append(Skipped(path, SKIP_OUTPUT))
            return
        if reason is not None:
            skipped.append(Skipped(path, reason))
            return
        if not resolved.is_file():  # a pipe or a device: opening it would wait forever
            skipped.append(Skipped(path, SKIP_NOT_FILE))
            return
        if resolved in seen:
            skipped.append(Skipped(path, SKIP_REPEATED))
            return
        seen.add(resolved)
        found.append(path)
        in_folder.append(not named)

    for raw in paths:
        path = Path(raw)
        if not path.exists() and not path.is_symlink():
            raise InputError(f"找不到 {shown_path(path)}：请检查文件或文件夹名称。")
        if path.is_dir():
            for folder, dirs, files in os.walk(path):
                base = Path(folder)
                keep = []
                for name in sorted(dirs):
                    child = base / name
                    if _is_hidden(child):
                        skipped.append(Skipped(child, SKIP_HIDDEN_DIR))
                    elif _resolved(child) in skip_dirs:
                        skipped.append(Skipped(child, SKIP_OUTPUT_DIR))
                    else:
                        keep.append(name)
                dirs[:] = keep
                for name in sorted(files):
                    consider(base / name, named=False)
        else:
            consider(path, named=True)
    made = _our_outputs(found, in_folder)
    skipped += [made[i] for i in sorted(made)]
    return [path for i, path in enumerate(found) if i not in made], skipped


def original_stem(stem: str) -> str:
    """The stem of the workbook an annotated copy was made from (甲乡_标注(2) → 甲乡)."""
    return _COPY_SUFFIX.sub("", stem)


def _our_outputs(found: list[Path], in_folder: list[bool]) -> dict[int, Skipped]:
    """Index in ``found`` → why it is skipped, for the files found in folders that this
    tool wrote: any output but an annotated copy, and an annotated copy whose original
    (the copy's stem without _标注 or (n)) is read as well.

    Only the zip directory and the small custom-properties part of each .xlsx is read.
    When several files claim one original (a corrected copy the county put in place of
    the original, and the copy annotated from it), an unmarked file is the original, else
    the copy whose name is the original's own, else the first found: exactly one is read.
    """
    kinds = {i: made_as(path) for i, path in enumerate(found)
             if in_folder[i] and path.suffix.lower() in _MARKED_SUFFIXES}
    out: dict[int, Skipped] = {}
    kept: dict[str, Path] = {}  # stem (case-folded) → a file that is read
    copies: list[int] = []
    for i, path in enumerate(found):
        kind = kinds.get(i)
        if kind == ANNOTATED_COPY:
            copies.append(i)
        elif kind in KINDS:
            out[i] = Skipped(path, SKIP_MADE.format(kind=kind), made=kind)
        else:
            kept.setdefault(path.stem.casefold(), path)
    copies.sort(key=lambda i: (original_stem(found[i].stem) != found[i].stem, i))
    for i in copies:
        copy = found[i]
        original = kept.get(original_stem(copy.stem).casefold()) or kept.get(copy.stem.casefold())
        if original is None:
            kept[copy.stem.casefold()] = copy
            continue
        named = original.name if original.name != copy.name else str(original)
        out[i] = Skipped(copy, SKIP_ANNOTATED.format(original=shown_path(named)), made=ANNOTATED_COPY)
    return out


def lock_file(workbook: Path) -> Path | None:
    """The owner file Excel or WPS keeps beside a workbook while it is open (~$名称.xlsx), if any.

    Excel names it ~$ + the name, or replaces the first two characters of a long name.
    """
    for name in (LOCK_PREFIX + workbook.name, LOCK_PREFIX + workbook.name[2:]):
        candidate = workbook.with_name(name)
        try:
            if candidate.is_file():
                return candidate
        except OSError:
            continue
    return None


def lock_owner(lock: Path) -> str:
    """The user name an owner file holds ("" when it cannot be read).

    Byte 0 is the length of the name in the system's code page that follows; from byte 54 the
    same name may follow in UTF-16 (a count, a zero byte, then the characters).
    """
    try:
        data = lock.read_bytes()[:512]
    except OSError:
        return ""
    if len(data) > 56 and data[54] and data[55] == 0 and len(data) >= 56 + 2 * data[54]:
        name = data[56:56 + 2 * data[54]].decode("utf-16-le", errors="ignore")
    elif data:
        raw = data[1:1 + data[0]]
        for encoding in ("utf-8", "gb18030"):
            try:
                name = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            name = ""
    else:
        name = ""
    return name.strip(" \x00")


def open_in_office(path: Path) -> list[Issue]:
    """A warning when an owner file beside the workbook says someone has it open."""
    lock = lock_file(path)
    if lock is None:
        return []
    owner = lock_owner(lock)
    who = f"正被“{owner}”" if owner else "正被人"
    return [issue("file_open", shown_path(path.name), message=(
        f"{shown_path(path.name)} {who}在 Excel 或 WPS 中打开（旁边有临时锁定文件 {shown_path(lock.name)}）："
        "校验的是最后一次保存的内容，请保存并关闭后再校验。"))]
