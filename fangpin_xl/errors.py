"""Exceptions that carry a Chinese message meant for the user.

The CLI and the Excel functions show ``str(error)`` as it is; any other
exception escaping to a user is a bug.
"""


class FangpinError(Exception):
    """Base class: the message is complete, in Chinese, and names its source."""

    exit_code = 1


class PolicyError(FangpinError):
    """A policy file or parameter is missing, malformed or incomplete."""

    exit_code = 2


class InputError(FangpinError):
    """An input file cannot be used at all (unreadable, wrong format, too large)."""

    exit_code = 2
