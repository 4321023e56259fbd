"""Exceptions that carry a Chinese message meant for the user, and the one exit-code rule.

The CLI and the Excel functions show ``str(error)`` as it is; any other
exception escaping to a user is a bug.

``os_reason`` is the one Chinese wording of an operating-system error (the
system's own text, ``strerror``, is English on most machines and is never shown).

Exit codes, for every command: 0 success (warnings allowed); 1 the data has
errors or the command failed; 2 wrong usage or an input that cannot be read
or used. ``exit_code`` applies the rule to a run's counts; ``EXIT_CODES_TEXT``
is how ``--help`` states it.
"""

import errno

EXIT_OK, EXIT_ERRORS, EXIT_UNUSABLE = 0, 1, 2

EXIT_CODES_TEXT = (
    "退出码：\n"
    "  0  成功（可能有提醒，但没有错误）\n"
    "  1  数据有错误，或命令执行失败\n"
    "  2  用法错误，或输入文件无法读取、无法使用"
)


def exit_code(*, errors: int, unusable: int) -> int:
    """2 when an input could not be read or used, else 1 when the data has errors, else 0."""
    if unusable:
        return EXIT_UNUSABLE
    return EXIT_ERRORS if errors else EXIT_OK


class FangpinError(Exception):
    """Base class: the message is complete, in Chinese, and names its source."""

    exit_code = EXIT_ERRORS


class PolicyError(FangpinError):
    """A policy file or parameter is missing, malformed or incomplete."""

    exit_code = EXIT_UNUSABLE


class InputError(FangpinError):
    """An input file cannot be used at all (unreadable, wrong format, too large)."""

    exit_code = EXIT_UNUSABLE


_OPEN_ELSEWHERE = "或文件正在 Excel / WPS 中打开，请关闭该文件后重试"
_WRITE_REASONS = {
    errno.ENOSPC: "磁盘空间已满，请清理磁盘或换一个位置保存",
    errno.EROFS: "该位置是只读的（如光盘、写保护的 U 盘），请换一个位置保存",
    errno.ENAMETOOLONG: "文件名或路径太长，请换一个短一些的文件名或文件夹",
    errno.EACCES: f"没有写入权限，{_OPEN_ELSEWHERE}",
    errno.EPERM: f"没有写入权限，{_OPEN_ELSEWHERE}",
    errno.EISDIR: "已有同名的文件夹，请换一个文件名",
    errno.ENOTDIR: "路径中的某一级与已有的文件同名，不是文件夹，请换一个位置保存",
    errno.EEXIST: "已有同名的文件或文件夹，且无法替换，请换一个文件名",
    errno.ENOENT: "所在文件夹不存在或无法创建",
    errno.EDQUOT: "磁盘配额已用完，请清理后重试",
    errno.EFBIG: "文件超过系统允许的大小，或磁盘空间已满，请清理磁盘或换一个位置保存",
    errno.EIO: "磁盘读写出错（U 盘或网络盘可能已断开），请检查后重试或换一个位置保存",
    errno.EBUSY: "文件正被其他程序占用，请关闭该程序后重试",
    errno.EINVAL: "文件名含有系统不允许的字符（如 : * ? \" < > |），请换一个文件名",
}
_READ_REASONS = {
    errno.ENOENT: "文件不存在（可能已被移动、改名或删除）",
    errno.EACCES: "没有读取权限（文件可能正被其他程序占用），请关闭 Excel/WPS 后重试",
    errno.EPERM: "没有读取权限（文件可能正被其他程序占用），请关闭 Excel/WPS 后重试",
    errno.EISDIR: "这是一个文件夹，不是文件",
    errno.ENOTDIR: "路径中的某一级不是文件夹",
    errno.ENAMETOOLONG: "文件名或路径太长，请把文件移到短一些的文件夹中",
    errno.EIO: "磁盘读写出错（U 盘或网络盘可能已断开），请检查后重试",
    errno.EBUSY: "文件正被其他程序占用，请关闭该程序后重试",
    errno.EINVAL: "文件名含有系统不允许的字符",
}


def os_reason(exc: OSError, *, writing: bool = False) -> str:
    """Why an OS error happened, in Chinese, without the system's English text: a known errno
    by what the clerk can do about it, any other by its number."""
    reason = (_WRITE_REASONS if writing else _READ_REASONS).get(exc.errno or 0)
    if reason is not None:
        return reason
    code = f"系统错误代码 {exc.errno}" if exc.errno else "系统错误"
    return f"{code}，请{'换一个位置保存，或' if writing else ''}把这条信息发给技术支持"
