"""Writing output files so that a crash never leaves half a file behind."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import InputError


@contextlib.contextmanager
def atomic_output(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path``.

    The temporary file lives in the same folder so the final rename is atomic
    on the same file system; on any error it is removed and ``path`` is left
    as it was.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix + ".tmp", dir=path.parent)
    except PermissionError:
        raise InputError(f"无法写入文件 {path}：没有写入该文件夹的权限。") from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        # mkstemp creates 0600; outputs are shared office files, so use the umask like open() does.
        os.chmod(tmp, 0o666 & ~_current_umask())
        os.replace(tmp, path)
    except PermissionError:
        raise InputError(
            f"无法写入文件 {path}：没有写入权限，或文件正在 Excel / WPS 中打开。请关闭该文件后重试。"
        ) from None
    except IsADirectoryError:
        raise InputError(f"无法写入文件 {path}：这是一个文件夹。") from None
    finally:
        if tmp.exists():
            tmp.unlink()


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(path: str | Path, text: str) -> Path:
    with atomic_output(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)
