"""Writing output files so that a crash never leaves half a file or personal data behind.

One scheme for every temporary thing the program makes:

* an output is written to ``.fangpin-tmp-<pid>-<random>`` beside it (same file
  system, so the final rename is atomic), then renamed over the output;
* scratch folders (the merge's spilled rows) are ``fangpin-<pid>-<random>``
  in the system temporary folder;
* both are removed on every exit path, and the leftovers of a killed run
  (their process is gone) are removed by the next run that writes there
  (``clean_stale``).

OS errors while writing (disk full, read-only file system, a name too long,
no permission, the file open in Excel) become an ``InputError`` in Chinese.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from .errors import FangpinError, InputError, os_reason
from .text import shown_path

TEMP_PREFIX = ".fangpin-tmp-"
SCRATCH_PREFIX = "fangpin-"
_OWNED = re.compile(r"^(?:\.fangpin-tmp-|fangpin-)(\d+)-")


def write_error(path: Path | str, exc: BaseException, *, what: str = "写入文件") -> InputError:
    """A Chinese message for an error while writing ``path`` (``what``: 创建输出文件夹 …): an OS
    error (also one wrapped, as xlsxwriter's FileCreateError wraps it) by ``errors.os_reason``;
    anything else by its type."""
    shown = shown_path(path)
    cause = os_error(exc)
    if cause is None:
        return InputError(f"无法{what} {shown}：写出时出错（技术信息：{type(exc).__name__}），"
                          "请把这条信息发给技术支持。")
    broken = _broken_link(Path(path))
    if broken is not None:  # mkdir on it says EEXIST, opening through it ENOENT
        link = "这" if broken == Path(path) else f"{shown_path(broken)} "
        return InputError(f"无法{what} {shown}：{link}是指向不存在位置的链接或快捷方式，请换一个位置保存。")
    return InputError(f"无法{what} {shown}：{os_reason(cause, writing=True)}。")


def _broken_link(path: Path) -> Path | None:
    """``path`` or the first of its folders that is a link to a place that does not exist."""
    for part in reversed((path, *path.parents)):
        try:
            if part.is_symlink() and not part.exists():
                return part
        except OSError:  # a link loop
            return part
    return None


def os_error(exc: BaseException) -> OSError | None:
    """``exc`` when it is an OSError, or the OSError it wraps as its first argument."""
    if isinstance(exc, OSError):
        return exc
    first = exc.args[0] if exc.args else None
    return first if isinstance(first, OSError) else None


@contextlib.contextmanager
def atomic_output(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path``.

    On any error the temporary file is removed and ``path`` is left as it was.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        clean_stale(path.parent)
        fd, tmp_name = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-", suffix=".tmp",
                                        dir=path.parent)
    except OSError as exc:
        raise write_error(path, exc) from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        # mkstemp creates 0600; outputs are shared office files, so use the umask like open() does.
        os.chmod(tmp, 0o666 & ~_current_umask())
        os.replace(tmp, path)
    except FangpinError:
        raise
    except Exception as exc:
        # A writer's own wrapper of an OS error (xlsxwriter's FileCreateError on a full disk).
        if os_error(exc) is None:
            raise
        raise write_error(path, exc) from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


@contextlib.contextmanager
def scratch_folder() -> Iterator[Path]:
    """A private temporary folder, removed on exit (and, after a crash, by the next run)."""
    base = Path(tempfile.gettempdir())
    clean_stale(base)
    folder = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-", dir=base))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def clean_stale(folder: Path) -> list[Path]:
    """Remove this program's temporary files and folders in ``folder`` whose process is gone."""
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = _OWNED.match(entry.name)
        if match is None or not _stale(entry, int(match.group(1))):
            continue
        target = Path(entry.path)
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(target)
            else:
                target.unlink()
            removed.append(target)
        except OSError:
            continue
    return removed


def _stale(entry: os.DirEntry, pid: int) -> bool:
    """Left by a run that is over: its process is gone (on Windows: older than a day)."""
    if pid == os.getpid():
        return False
    if os.name == "nt":  # os.kill(pid, 0) would send Ctrl+C there
        try:
            return time.time() - entry.stat(follow_symlinks=False).st_mtime > 86_400
        except OSError:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False  # it exists, owned by someone else (or we cannot tell): leave it
    return False


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(path: str | Path, text: str) -> Path:
    with atomic_output(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)
