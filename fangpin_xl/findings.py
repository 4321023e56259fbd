"""Findings: what a core check (cases, followup) returns before it becomes an ``Issue``.

A findings frame has one row per problem, indexed like the checked frame (the
reader indexes rows by their Excel row number), with the columns

* ``code`` — the issue code (``issues.CODES``),
* ``severity`` — ``issues.ERROR`` or ``issues.WARNING``,
* ``column`` — the schema key of the cell to point at,
* ``message`` — the complete Chinese message (what is wrong, what to do).

The checks turn findings into ``Issue`` records with the file, sheet and cell.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias

import pandas as pd

FINDING_COLUMNS = ("code", "severity", "column", "message")

#: ``messages`` of ``make_findings`` as a function: called with ``at``, which cuts a
#: Series aligned with the mask down to the selected rows.
Messages: TypeAlias = str | pd.Series | Any | Callable[[Callable[[pd.Series], pd.Series]], Any]


def empty_findings() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in FINDING_COLUMNS})


def make_findings(mask: Any, code: str, severity: str, column: str, messages: Messages) -> pd.DataFrame:
    """Findings for the rows where ``mask`` is True.

    ``messages`` is one text, a Series/array aligned with ``mask`` (only the
    selected rows' messages are used), or a function called with ``at`` — a
    function that cuts a Series aligned with ``mask`` down to the selected
    rows — so message texts are built for the selected rows only.
    """
    mask = pd.Series(mask).fillna(False).astype(bool)
    index = mask.index[mask.to_numpy()]
    if isinstance(messages, str):
        texts = [messages] * len(index)
    elif callable(messages):
        texts = list(messages(lambda series: series.loc[index]) if len(index) else [])
    else:
        texts = list(pd.Series(messages, index=mask.index).loc[index])
    return pd.DataFrame(
        {"code": code, "severity": severity, "column": column, "message": texts},
        index=index, columns=list(FINDING_COLUMNS),
    )


def concat_findings(parts: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty_findings()
    return pd.concat(parts)
