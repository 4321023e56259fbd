"""What the sheet displays against what the rules give (``display_mismatch``).

A workbook saved by Excel, WPS or LibreOffice carries the last computed value
of every formula. Where a computed cell of 监测户 or 救助 shows something
else than the rules give for the same data, the people reading the sheet are
misled, so the difference is an error on that cell, naming the cause: an
input typed as text that the reader could read ("2020.5.3" is a date to it,
but no date to a formula), parameters that differ from the county's, or else a
formula that was changed or not recalculated.

Rows whose computed cells hold nothing (a workbook written by a program and
never opened) are not compared; a note against a note ("数据格式有误：…" in
both) is no difference, and 超出日历范围 (the 日历 sheet covers three years)
is not compared with the deadline Python computes from the whole calendar.
One issue per row: the first differing column in the order below.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..columns import excel_dates, excel_numbers
from ..derive import shown_cases, shown_households
from ..formulas import OUT_OF_CALENDAR, is_note
from ..issues import Issue
from ..policy import KIND_FIELDS, policy_differences
from ..schema import DATE, INTEGER, MONEY, MONTH
from ..text import cell_text, number_text, per_distinct, text_mask
from ..workbook.read import SheetData
from .context import Context
from .records import records
from .registry import check

#: Columns compared, in the order a row's first difference is looked for.
HOUSEHOLD_ORDER = ("status", *KIND_FIELDS.values(), "met_text", "last_visit")
CASE_ORDER = ("deadline", "days_left")
#: Input columns whose text feeds each computed column: (sheet key, column keys).
_SPENDING_INPUTS = ("date", "amount")
_TYPE_WORDS = {DATE: "日期", MONTH: "年月", MONEY: "金额", INTEGER: "数字"}
_NO_CAUSE = "请重新计算工作簿（Excel、WPS 按 F9），或核对该列公式是否被改动"


@check("display_mismatch")
def display_mismatch(ctx: Context) -> list[Issue]:
    out: list[Issue] = []
    households = ctx.sheet("households")
    if households is not None and ctx.households is not None and households.shown:
        out += _compare(ctx, households, shown_households(ctx.households), HOUSEHOLD_ORDER,
                        ctx.key("households") if ctx.has_key("households") else None)
    cases = ctx.sheet("cases")
    if cases is not None and ctx.cases is not None and cases.shown:
        keys = ctx.key("cases", "case_no") if ctx.has_key("cases", "case_no") else None
        out += _compare(ctx, cases, shown_cases(ctx.cases), CASE_ORDER, keys)
    return out


def _compare(ctx: Context, sd: SheetData, expected: pd.DataFrame, order: tuple[str, ...],
             keys: pd.Series | None) -> list[Issue]:
    if keys is None or not len(sd.frame):
        return []
    keyed = keys.notna().to_numpy(dtype=bool)
    first = np.full(len(sd.frame), "", dtype=object)
    for key in order:
        if key not in sd.shown or key not in expected.columns:
            continue
        differs = keyed & (first == "") & _differs(sd.spec.column(key).type, sd.shown[key], expected[key])
        first[differs] = key
    out: list[Issue] = []
    flagged = np.flatnonzero(first != "")
    causes = _Causes(ctx)
    for key in order:
        rows = flagged[first[flagged] == key]
        if not len(rows):
            continue
        index = sd.frame.index[rows]
        shown = [_value(v) for v in sd.shown[key].iloc[rows]]
        wanted = [_value(v) for v in expected[key].iloc[rows]]
        texts = [f"表内显示{a}，按规则应为{b}：{causes.of(sd, key, row)}"
                 for a, b, row in zip(shown, wanted, index, strict=True)]
        out += records(ctx, sd, index, "display_mismatch", key, texts,
                       [cell_text(v) for v in sd.shown[key].iloc[rows]])
    return out


def _differs(kind: str, shown: pd.Series, expected: pd.Series) -> np.ndarray:
    """Per row: the cell shows a value and it is not what the rules give (vectorised)."""
    cells = pd.Series(shown.to_numpy(dtype=object), dtype=object)
    wants = pd.Series(expected.to_numpy(dtype=object), dtype=object)
    present = cells.notna().to_numpy(dtype=bool)
    cell_texts, cell_is_text, cell_notes = _texts(cells)
    want_texts, want_is_text, want_notes = _texts(wants)
    same = cell_notes & want_notes
    same |= (cell_texts == OUT_OF_CALENDAR).to_numpy(dtype=bool)
    if kind in (DATE, MONTH):
        got = excel_dates(cells).dt.normalize()
        want = pd.to_datetime(wants.where(~want_is_text), errors="coerce").astype("datetime64[ns]").dt.normalize()
        same |= (got == want).to_numpy(dtype=bool)
    elif kind in (MONEY, INTEGER):
        got = excel_numbers(cells)
        want = pd.to_numeric(wants.where(~want_is_text), errors="coerce").astype("float64")
        same |= ((got - want).abs() < 0.005).to_numpy(dtype=bool)
    else:
        plain = ~cell_is_text & cells.notna()
        if plain.any():  # numbers or dates in a text column: as people see them
            cell_texts = cell_texts.where(~plain, cells[plain].map(cell_text))
    same |= (cell_is_text & want_is_text & (cell_texts == want_texts)).to_numpy(dtype=bool)
    return present & ~same


def _texts(values: pd.Series) -> tuple[pd.Series, pd.Series, np.ndarray]:
    """(stripped text, "" elsewhere; whether the value is text; whether it is a note). The
    string work is done once per distinct text: a column repeats a few words and notes."""
    mask = text_mask(values)
    texts = np.full(len(values), "", dtype=object)
    notes = np.zeros(len(values), dtype=bool)
    if mask.any():
        texts[mask] = per_distinct(values.to_numpy(dtype=object)[mask], str.strip)
        notes[mask] = per_distinct(texts[mask], is_note, dtype=bool)
    return pd.Series(texts, index=values.index, dtype=object), pd.Series(mask, index=values.index), notes


def _value(value) -> str:
    """A value in a message: words bare, notes quoted, numbers and dates after a space."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return "空白"
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return "空白"
        return f"“{text}”" if is_note(text) or not _words(text) else text
    if isinstance(value, int | float | np.number) and not isinstance(value, bool):
        return f" {number_text(float(value))}"
    return f" {cell_text(value)}"


def _words(text: str) -> bool:
    return all("\u4e00" <= ch <= "\u9fff" or ch == "、" for ch in text)


class _Causes:
    """The inputs typed as text that feed a computed cell, as "支出!E3 的日期是文本"."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self._texts: dict[str, dict[tuple[int, str], str]] = {}
        self._policy: str | None = None

    def texts(self, sheet_key: str) -> dict[tuple[int, str], str]:
        """(row, column key) → the cell of every input typed as text on a sheet."""
        if sheet_key not in self._texts:
            sd = self.ctx.sheet(sheet_key)
            found: dict[tuple[int, str], str] = {}
            if sd is not None:
                for change in [*sd.changes, *sd.failures]:
                    if change.row is not None and (isinstance(change.original, str) or change.value is None):
                        found.setdefault((change.row, change.key), change.cell)
            self._texts[sheet_key] = found
        return self._texts[sheet_key]

    def of(self, sd: SheetData, key: str, row: int) -> str:
        causes: list[str] = []
        own = "cases" if sd.spec.key == "cases" else "households"
        if own == "cases":
            causes += self._own(sd, row, ("found_date",))
        else:
            if key in ("status", "met_text", *KIND_FIELDS.values()):
                causes += self._own(sd, row, ("income_per_capita",))
                kind = next((k for k, f in KIND_FIELDS.items() if f == key), None)
                causes += self._linked(sd, row, "spending", _SPENDING_INPUTS, kind)
            if key == "last_visit":
                causes += self._linked(sd, row, "visits", ("visit_date",), None)
        if causes:
            shown = "、".join(causes[:3]) + (f" 等 {len(causes)} 处" if len(causes) > 3 else "")
            return shown + "，请改正后重新计算"
        return self.policy() or _NO_CAUSE

    def policy(self) -> str:
        """Parameters that differ from the county's, when a county policy was given."""
        if self._policy is None:
            ctx = self.ctx
            differs = (ctx.county_policy is not None and ctx.data.policy_values
                       and policy_differences(ctx.county_policy, ctx.data.policy_values))
            self._policy = (f"本工作簿“{ctx.policy_sheet}”表的参数与全县设置不一致，规则按全县设置计算"
                            if differs else "")
        return self._policy

    def _own(self, sd: SheetData, row: int, keys: tuple[str, ...]) -> list[str]:
        texts = self.texts(sd.spec.key)
        return [_cause("", texts[(row, key)], sd.spec.column(key).type)
                for key in keys if (row, key) in texts]

    def _linked(self, sd: SheetData, row: int, sheet_key: str, keys: tuple[str, ...],
                kind: str | None) -> list[str]:
        other = self.ctx.sheet(sheet_key)
        texts = self.texts(sheet_key)
        if other is None or not texts or not self.ctx.has_key(sheet_key):
            return []
        mine = self.ctx.key("households").loc[row]
        if mine is None or (isinstance(mine, float) and np.isnan(mine)):
            return []
        linked = self.ctx.key(sheet_key) == mine
        if kind is not None and "kind" in other.frame.columns:
            linked &= other.frame["kind"] == kind
        rows = other.frame.index[linked.to_numpy(dtype=bool)]
        return [_cause(other.name, texts[(r, key)], other.spec.column(key).type)
                for r in rows for key in keys if (r, key) in texts]


def _cause(sheet: str, cell: str, kind: str) -> str:
    where = f"{sheet}!" if sheet else ""
    return f"{where}{cell} 的{_TYPE_WORDS.get(kind, '值')}是文本"
