"""Checks are functions of a ``Context`` that declare the issue codes they may raise."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..issues import CODES, Issue
from .context import Context

CheckFunction = Callable[[Context], list[Issue]]


@dataclass(frozen=True)
class Check:
    name: str
    codes: tuple[str, ...]
    run: CheckFunction


_DECLARED: dict[CheckFunction, tuple[str, ...]] = {}


def check(*codes: str) -> Callable[[CheckFunction], CheckFunction]:
    """Declare the codes a check may raise (all of them in ``issues.CODES``)."""
    unknown = [c for c in codes if c not in CODES]
    if unknown:
        raise ValueError(f"unknown issue codes {unknown}")

    def declare(function: CheckFunction) -> CheckFunction:
        _DECLARED[function] = codes
        return function

    return declare


def checks_of(functions: Sequence[CheckFunction]) -> tuple[Check, ...]:
    return tuple(Check(f.__name__, _DECLARED[f], f) for f in functions)


def run_checks(checks: Sequence[Check], ctx: Context) -> list[Issue]:
    out: list[Issue] = []
    for item in checks:
        found = item.run(ctx)
        stray = {i.code for i in found} - set(item.codes)
        if stray:
            raise RuntimeError(f"check {item.name} raised undeclared codes {sorted(stray)}")
        out += found
    return out
