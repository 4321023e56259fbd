"""Exceptions that carry a Chinese message meant for the user, and the one exit-code rule.

The CLI and the Excel functions show ``str(error)`` as it is; any other
exception escaping to a user is a bug.

Exit codes, for every command: 0 success (warnings allowed); 1 the data has
errors or the command failed; 2 wrong usage or an input that cannot be read
or used. ``exit_code`` applies the rule to a run's counts; ``EXIT_CODES_TEXT``
is how ``--help`` states it.
"""

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
