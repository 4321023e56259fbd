"""Checks of single cells: how they were read, required, choices, ID and phone numbers, dates.

Every check runs over whole columns (boolean masks); Python touches only the
flagged rows, to build their records.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import partial

import numpy as np
import pandas as pd

from ..columns import as_dates
from ..ids import id_error_codes, mask_id
from ..issues import Issue, issue
from ..policy import GROUPS, INCOME_WAIVED_GROUP
from ..rules import group_codes
from ..schema import CHOICE, DATE, ID, INTEGER, MONEY, MONTH, PHONE, YESNO, Column
from ..text import cell_text, split_cell
from ..workbook.coerce import LIMITS, numbers_of
from ..workbook.read import Change, SheetData
from .context import Context
from .records import column, display, header, row_issues
from .registry import check

_TYPE_WORDS = {
    MONEY: ("数字", "数字（元），如 5000"),
    INTEGER: ("整数", "整数，如 4"),
    DATE: ("有效日期", "日期，如 2020-08-25"),
    MONTH: ("有效年月", "年月，如 2020-08"),
    YESNO: ("“是”或“否”", "“是”或“否”"),
    PHONE: ("电话号码", "文本格式的电话号码"),
}
_TYPE_NAMES = {MONEY: "数字", INTEGER: "整数", DATE: "日期", MONTH: "年月", YESNO: "是/否", PHONE: "号码"}
_ID_ACTION = "：请对照身份证核对后更正。"
_PHONE_CLEAN = re.compile(r"[\s\-－—()（）]")
_PHONE_OK = re.compile(r"(?:\+?86)?(?:1\d{10}|0\d{9,11})")
_ID_CODES = ("id_numeric", "id_length", "id_chars", "id_date", "id_check", "id_province", "id_invalid")


def _sheets(ctx: Context) -> Iterator[SheetData]:
    return iter(ctx.data.sheets.values())


def _columns(sd: SheetData, *types: str) -> Iterator[Column]:
    """The sheet's input columns of these types that the sheet has, when it has rows."""
    if not len(sd.frame):
        return
    for spec in sd.spec.input_columns:
        if spec.type in types and spec.key in sd.columns:
            yield spec


def _shown(ctx: Context, sd: SheetData, change: Change, value) -> str:
    spec = column(sd, change.key) if change.key else None
    if spec is not None and spec.type in (ID, PHONE):
        return mask_id(value, today=ctx.today) if cell_text(value) else ""
    return cell_text(value)


def _place(sd: SheetData, change: Change) -> tuple[int | None, str]:
    row = change.row or split_cell(change.cell)[1]
    return row, header(sd, change.key) if change.key else change.column_header


@check("coerced")
def coerced(ctx: Context) -> list[Issue]:
    """Cells read differently from how they were typed ("5,000元" → 5000)."""
    out = []
    for sd in _sheets(ctx):
        for change in sd.changes:
            spec = column(sd, change.key) if change.key else None
            original, value = _shown(ctx, sd, change, change.original), _shown(ctx, sd, change, change.value)
            kind = spec.type if spec is not None else ""
            hint = _TYPE_WORDS.get(kind, ("", ""))[1]
            advice = f"（建议直接填写{hint}）" if hint else ""
            if kind == PHONE and not isinstance(change.original, str):
                message = (f"“{original}” 是数字格式，已按号码读取：请把本列设为文本格式后重新录入"
                           "（数字格式会丢掉区号开头的 0）。")
            elif isinstance(change.original, str) and original == value:
                message = f"“{original}” 是文本，已按{_TYPE_NAMES.get(kind, '')}读取：请确认无误{advice}。"
            else:
                message = f"“{original}” 已按 {value} 读取：请确认无误{advice}。"
            row, label = _place(sd, change)
            out.append(issue("coerced", ctx.file, sd.name, change.cell, row, label, original, message))
    return out


@check("wrong_type")
def wrong_type(ctx: Context) -> list[Issue]:
    """Cells that could not be read as their column's type (the frame holds nothing there);
    a number too large for its column says so."""
    out = []
    for sd in _sheets(ctx):
        sizes = _failed_numbers(sd)
        for change, number in zip(sd.failures, sizes, strict=True):
            spec = column(sd, change.key) if change.key else None
            original = _shown(ctx, sd, change, change.original)
            kind = spec.type if spec else ""
            what, hint = _TYPE_WORDS.get(kind, ("有效值", "有效值"))
            row, label = _place(sd, change)
            if kind in LIMITS and abs(number) >= LIMITS[kind]:
                message = f"“{original}”超出合理范围：{_too_large(kind, label, number)}，请核对。"
            else:
                message = f"“{original}”不是{what}：请填写{hint}。"
            out.append(issue("wrong_type", ctx.file, sd.name, change.cell, row, label, original,
                             message))
    return out


#: From this size on a count holds 15 or more digits: an ID number, not a slip of the hand.
_ID_SIZE = 1e14


def _too_large(kind: str, label: str, number: float) -> str:
    """Why a number is too large for its column (``coerce.LIMITS``)."""
    if kind == MONEY:
        return f"“{label}”应小于 100 亿元"
    if abs(number) >= _ID_SIZE:
        return f"可能把身份证号填进了“{label}”列"
    return f"可能把电话号码等号码填进了“{label}”列"


def _failed_numbers(sd: SheetData) -> np.ndarray:
    """The number each failed cell of ``sd`` holds (NaN where none), read column by column."""
    out = np.full(len(sd.failures), np.nan)
    by_key: dict[str, list[int]] = {}
    for i, change in enumerate(sd.failures):
        by_key.setdefault(change.key, []).append(i)
    for key, positions in by_key.items():
        spec = column(sd, key) if key else None
        if spec is not None and spec.type in LIMITS:
            out[positions] = numbers_of([sd.failures[i].original for i in positions])
    return out


@check("required_missing")
def required_missing(ctx: Context) -> list[Issue]:
    """Empty required cells (a cell that held something unreadable is wrong_type instead)."""
    out = []
    for sd in _sheets(ctx):
        if not len(sd.frame):
            continue
        for spec in sd.spec.input_columns:
            if not spec.required or spec.key not in sd.columns:
                continue
            unread = sd.frame.index.isin([c.row for c in sd.failures if c.key == spec.key])
            empty = sd.frame[spec.key].isna().to_numpy()
            if sd.spec.key == "households" and spec.key == "income_per_capita" and "group" in sd.frame:
                # The income condition is waived for this group: its income may stay blank
                # (recognised as derive and the template's formula recognise it).
                empty = empty & (group_codes(sd.frame["group"]) != GROUPS.index(INCOME_WAIVED_GROUP))
            out += row_issues(ctx, sd, empty & ~unread, "required_missing", spec.key,
                              f"“{header(sd, spec.key)}”为必填项，不能为空：请补填。")
    return out


@check("negative_number")
def negative_number(ctx: Context) -> list[Issue]:
    """Amounts and counts below zero. The value stays in the frame — the template's own
    formulas add it too, so the sums shown stay comparable — but it is never silent: a
    −40000 on 支出 would quietly cancel the household's other spending."""
    out = []
    for sd in _sheets(ctx):
        for spec in _columns(sd, MONEY, INTEGER):
            numbers = sd.frame[spec.key].to_numpy(dtype="float64", na_value=np.nan)
            what = "金额" if spec.type == MONEY else "人数" if spec.key == "household_size" else "数量"
            out += row_issues(ctx, sd, numbers < 0, "negative_number", spec.key,
                              partial(_around, ctx, sd, spec.key, "“", f"”为负数：{what}不能为负数，请核对。"))
    return out


@check("not_in_choices")
def not_in_choices(ctx: Context) -> list[Issue]:
    out = []
    for sd in _sheets(ctx):
        for spec in _columns(sd, CHOICE):
            if not spec.choices:
                continue
            values = sd.frame[spec.key]
            wrong = values.notna().to_numpy() & ~values.isin(spec.choices).to_numpy()
            tail = f"”不是“{header(sd, spec.key)}”的可选值：请从下拉列表中选择（{'、'.join(spec.choices)}）。"
            out += row_issues(ctx, sd, wrong, "not_in_choices", spec.key,
                              partial(_around, ctx, sd, spec.key, "“", tail))
    return out


@check(*_ID_CODES, "id_area", "id_upgraded")
def id_numbers(ctx: Context) -> list[Issue]:
    """ID numbers on every sheet; the outside-Handan note only where a person is registered;
    an old 15-digit number wherever it stands."""
    out = []
    for sd in _sheets(ctx):
        for spec in _columns(sd, ID):
            checked = ctx.ids[(sd.spec.key, spec.key)]
            has_error = checked.error.notna().to_numpy()
            if has_error.any():
                codes = np.full(len(has_error), None, dtype=object)
                codes[has_error] = id_error_codes(checked.error[has_error]).to_numpy()
                for code in pd.unique(codes[has_error]):
                    selected = has_error & (codes == code)
                    action = "。" if code == "id_numeric" else _ID_ACTION
                    out += row_issues(ctx, sd, selected, str(code), spec.key,
                                      (checked.error + action).to_numpy())
            out += row_issues(ctx, sd, checked.upgraded, "id_upgraded", spec.key,
                              "15 位旧号码（2013 年起已停止使用），已按 18 位号码核对：请对照身份证换用 18 位号码。")
            # The register (监测户, 家庭成员) carries the note, not every sheet naming the person.
            if sd.spec.key in ("households", "members"):
                has_warning = checked.warning.notna().to_numpy()
                out += row_issues(ctx, sd, has_warning, "id_area", spec.key,
                                  (checked.warning + "：请确认号码无误。").to_numpy())
    return out


@check("phone_invalid")
def phone_invalid(ctx: Context) -> list[Issue]:
    out = []
    for sd in _sheets(ctx):
        for spec in _columns(sd, PHONE):
            values = sd.frame[spec.key]
            present = values.notna().to_numpy()
            if not present.any():
                continue
            given = values[present].astype(str)
            ok = _plain_mobile(given.to_numpy(dtype=object))
            if not ok.all():  # the rest: full-width digits, spaces, dashes, landlines
                rest = given[~ok].str.normalize("NFKC").str.replace(_PHONE_CLEAN, "", regex=True)
                ok[~ok] = rest.str.fullmatch(_PHONE_OK).to_numpy(dtype=bool)
            bad = present.copy()
            bad[present] = ~ok
            out += row_issues(
                ctx, sd, bad, "phone_invalid", spec.key,
                f"“{header(sd, spec.key)}”应为 11 位手机号（1 开头）或带区号的固定电话（如 0310-1234567）"
                "：请核对号码，并把本列设为文本格式。",
            )
    return out


@check("future_date")
def future_date(ctx: Context) -> list[Issue]:
    out = []
    today = pd.Timestamp(ctx.today)
    tail = f" 晚于今天（{ctx.today.isoformat()}）：请核对年份和月份。"
    for sd in _sheets(ctx):
        for spec in _columns(sd, DATE, MONTH):
            future = (as_dates(sd.frame, spec.key) > today).to_numpy()
            head = f"{header(sd, spec.key)} "
            out += row_issues(ctx, sd, future, "future_date", spec.key,
                              partial(_around, ctx, sd, spec.key, head, tail))
    return out


def _around(ctx: Context, sd: SheetData, key: str, head: str, tail: str, rows: pd.Index) -> list[str]:
    """Messages that quote each flagged cell's value: ``head + value + tail``."""
    return [head + value + tail for value in display(ctx, sd, key, rows)]


def _plain_mobile(texts: np.ndarray) -> np.ndarray:
    """Which texts are exactly 11 ASCII digits starting with 1 (the usual phone cell), in numpy."""
    if not len(texts):
        return np.zeros(0, dtype=bool)
    as_unicode = texts.astype(str)
    if as_unicode.dtype.itemsize > 4 * 64:
        return np.zeros(len(texts), dtype=bool)
    codes = as_unicode.view(np.uint32).reshape(len(texts), -1)
    if codes.shape[1] < 11:
        return np.zeros(len(texts), dtype=bool)
    digits = ((codes[:, :11] >= 48) & (codes[:, :11] <= 57)).all(axis=1)
    ends = (codes[:, 11:] == 0).all(axis=1)
    return digits & ends & (codes[:, 0] == ord("1"))
