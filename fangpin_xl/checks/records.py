"""Turning flagged rows into ``Issue`` records: the file, sheet, cell and the value people see.

Checks decide which rows are wrong over whole columns (boolean masks); only
the flagged rows become records here. Values shown are the cell's value as
text, ID and phone numbers masked (``ids.mask_id``: 130434********123X).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from ..ids import mask_ids
from ..issues import Issue, issue
from ..schema import ID, PHONE, Column
from ..text import cell_text, number_texts
from ..workbook.read import SheetData
from .context import Context

#: Messages for flagged rows: one text, an array aligned with the frame, or a
#: function of the flagged rows' index (texts built for those rows only).
Messages: TypeAlias = str | np.ndarray | pd.Series | Sequence[str] | Callable[[pd.Index], Any]


def column(sd: SheetData, key: str) -> Column | None:
    try:
        return sd.spec.column(key)
    except KeyError:
        return None


def header(sd: SheetData, key: str) -> str:
    """The column's header as it stands in the sheet (a synonym, maybe), else the schema's."""
    found = sd.headers.get(key)
    if found:
        return found
    spec = column(sd, key)
    return spec.header if spec is not None else key


def row_issues(ctx: Context, sd: SheetData, mask: Any, code: str, key: str, messages: Messages,
               *, values: list[str] | None = None, severity: str | None = None) -> list[Issue]:
    """Issues for the rows of ``sd.frame`` where ``mask`` is True, at column ``key``."""
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return []
    rows = sd.frame.index[mask]
    if isinstance(messages, str):
        texts: list[str] = [messages] * len(rows)
    elif callable(messages):
        texts = list(messages(rows))
    else:
        texts = list(np.asarray(messages, dtype=object)[mask])
    shown = display(ctx, sd, key, rows) if values is None else values
    return records(ctx, sd, rows, code, key, texts, shown, severity=severity)


def records(ctx: Context, sd: SheetData, rows: Sequence[int] | pd.Index, code: str, key: str,
            texts: Sequence[str], shown: Sequence[str], *, severity: str | None = None) -> list[Issue]:
    letter = sd.columns.get(key, "")
    label = header(sd, key)
    return [
        issue(code, ctx.file, sd.name, f"{letter}{row}" if letter else "", int(row), label,
              str(value), str(text), severity=severity)
        for row, value, text in zip(rows, shown, texts, strict=True)
    ]


def finding_issues(ctx: Context, sd: SheetData, findings: pd.DataFrame) -> list[Issue]:
    """Issues from a ``findings`` frame (cases, followup) on sheet ``sd``."""
    out: list[Issue] = []
    if findings.empty:
        return out
    for (code, severity, key), group in findings.groupby(["code", "severity", "column"], sort=False):
        rows = group.index
        out += records(ctx, sd, rows, str(code), str(key), list(group["message"]),
                       display(ctx, sd, str(key), rows), severity=str(severity))
    return out


def display(ctx: Context, sd: SheetData, key: str, rows: pd.Index) -> list[str]:
    """The values of column ``key`` at ``rows`` as users see them; ID and phone masked."""
    if key not in sd.frame.columns:
        return [""] * len(rows)
    values = sd.frame.loc[rows, key]
    spec = column(sd, key)
    if spec is not None and spec.type in (ID, PHONE):
        present = values.notna().to_numpy()
        out = np.full(len(values), "", dtype=object)
        if present.any():
            out[present] = mask_ids(values[present].astype(object), today=ctx.today).to_numpy()
        return list(out)
    return list(value_texts(values))


def value_texts(values: pd.Series) -> pd.Series:
    """Values as text for reports: dates ISO, numbers by ``text.number_text``."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return values.dt.strftime("%Y-%m-%d").fillna("")
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.map({True: "是", False: "否"}).fillna("")
    if pd.api.types.is_numeric_dtype(values.dtype):
        return number_texts(values)
    return values.map(cell_text, na_action="ignore").fillna("").astype(str)
