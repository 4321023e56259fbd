"""Numbers that must occur once: 户编号, 案件编号 and the ID number of a person.

One list of duplicates, whatever sheet or workbook a number stands on:

* ``occurrences(checked)`` lists where each ID number is registered (户主身份证号
  on 监测户, 身份证号 on 家庭成员; valid numbers, normalised) and where each
  案件编号 stands, with the household it belongs to;
* the checks below report the repeats inside one workbook;
* ``cross_workbook_issues`` reports the numbers standing in more than one
  workbook (validate with several files, merge);
* ``duplicate_pairs`` lists every repeat next to an earlier occurrence it
  conflicts with — the county 重复 sheet and its count.

A person's number stands twice legitimately once: as the head on 监测户 and
as that household's 户主 on 家庭成员. Every other repeat conflicts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..ids import mask_id
from ..issues import Issue, issue
from ..workbook.read import SheetData
from .context import REGISTER_IDS, Context
from .records import header, row_issues
from .registry import check

ID_KIND, CASE_KIND = "id", "case"
KIND_LABELS = {ID_KIND: "身份证号", CASE_KIND: "案件编号"}
OCCURRENCE_COLUMNS = ("kind", "key", "file", "sheet_key", "sheet", "row", "cell", "column",
                      "household", "household_no", "detail")
_DETAIL = {"households": "head_name", "members": "name", "cases": "kind"}


# -- inside one workbook -------------------------------------------------------------------

def _repeats(ctx: Context, sd: SheetData, keys: pd.Series, code: str, column: str, template: str,
             group_by: pd.Series | None = None) -> list[Issue]:
    """Every row whose key (and ``group_by``) occurs more than once; the message names the others."""
    frame = pd.DataFrame({"key": keys.to_numpy(dtype=object)}, index=sd.frame.index)
    present = frame["key"].notna().to_numpy()
    subset = ["key"]
    if group_by is not None:
        # A missing group never matches a present one.
        frame["group"] = group_by.to_numpy(dtype=object)
        frame["group"] = frame["group"].where(frame["group"].notna(), "\x01")
        subset.append("group")
    dup = present & frame.duplicated(subset=subset, keep=False).to_numpy()
    if not dup.any():
        return []
    flagged = frame[dup]
    # One label per flagged row (few rows): the key, with its group when grouped.
    labels = flagged["key"].astype(str) if group_by is None else (
        flagged["key"].astype(str) + "\x00" + flagged["group"].astype(str))
    rows_by = pd.Series(flagged.index, index=labels.to_numpy()).groupby(level=0, sort=False).agg(list)
    messages = []
    for row, label in zip(flagged.index, labels, strict=True):
        others = [str(r) for r in rows_by[label] if r != row]
        messages.append(template.format(rows="、".join(others)))
    full = np.full(len(frame), "", dtype=object)
    full[dup] = messages
    return row_issues(ctx, sd, dup, code, column, full)


@check("duplicate_household_no", "duplicate_case_no")
def duplicate_numbers(ctx: Context) -> list[Issue]:
    """A 户编号 twice on 监测户, a 案件编号 twice on 救助."""
    out: list[Issue] = []
    for sheet_key, key, code in (("households", "household_no", "duplicate_household_no"),
                                 ("cases", "case_no", "duplicate_case_no")):
        sd = ctx.sheet(sheet_key)
        if sd is None or key not in sd.columns:
            continue
        label = header(sd, key)
        out += _repeats(ctx, sd, ctx.key(sheet_key, key), code, key,
                        f"{label}重复：与第 {{rows}} 行相同，每个{label}只能出现一次：请删除重复行或更正编号。")
    return out


@check("duplicate_id", "member_two_households")
def duplicate_ids(ctx: Context) -> list[Issue]:
    """A head on two households, a member twice in a household, a person under two households."""
    out: list[Issue] = []
    households, members = ctx.sheet("households"), ctx.sheet("members")
    head_ids = ctx.ids.get(("households", "head_id"))
    member_ids = ctx.ids.get(("members", "id_number"))
    if households is not None and head_ids is not None:
        out += _repeats(ctx, households, head_ids.normalized, "duplicate_id", "head_id",
                        "户主身份证号与第 {rows} 行相同：同一人只能是一户的户主，请核对。")
    if members is None or member_ids is None:
        return out
    member_keys = ctx.key("members")
    out += _repeats(ctx, members, member_ids.normalized, "duplicate_id", "id_number",
                    "身份证号与本表第 {rows} 行相同（同一户）：同一人只能登记一次，请删除重复行或核对号码。",
                    group_by=member_keys)
    # The same person under two households, among members and heads.
    parts = [pd.DataFrame({"id": member_ids.normalized.astype(object), "hh": member_keys.astype(object),
                           "sheet": "members", "row": members.frame.index})]
    if households is not None and head_ids is not None:
        parts.append(pd.DataFrame({"id": head_ids.normalized.astype(object),
                                   "hh": ctx.key("households").astype(object),
                                   "sheet": "households", "row": households.frame.index}))
    pairs = pd.concat(parts, ignore_index=True).dropna(subset=["id", "hh"])
    # Only numbers standing on more than one row can span households.
    pairs = pairs[pairs["id"].duplicated(keep=False).to_numpy()]
    spread = pairs.groupby("id")["hh"].nunique()
    multi = pairs[pairs["id"].map(spread) > 1]
    if not len(multi):
        return out
    names = multi.groupby("id")["hh"].agg(lambda s: "、".join(dict.fromkeys(s)))
    text = "身份证号同时登记在户 " + multi["id"].map(names) + " 下：一人只能属于一户，请核对后删除多余的登记。"
    already = {i.row for i in out if i.code == "duplicate_id" and households is not None
               and i.sheet == households.name}
    for sheet_key, key in (("members", "id_number"), ("households", "head_id")):
        sd = ctx.sheet(sheet_key)
        rows = multi[multi["sheet"] == sheet_key]
        if sd is None or rows.empty:
            continue
        mask = sd.frame.index.isin(rows["row"])
        if sheet_key == "households" and already:
            mask &= ~sd.frame.index.isin(list(already))
        messages = pd.Series(text[multi["sheet"] == sheet_key].to_numpy(), index=rows["row"].to_numpy())
        full = messages.reindex(sd.frame.index).to_numpy(dtype=object)
        out += row_issues(ctx, sd, mask, "member_two_households", key, full)
    return out


# -- across workbooks -------------------------------------------------------------------------

def occurrences(ctx: Context) -> pd.DataFrame:
    """Where the workbook registers each ID number and uses each 案件编号 (``OCCURRENCE_COLUMNS``)."""
    parts = []
    for sheet_key, key in REGISTER_IDS:
        sd, checked = ctx.sheet(sheet_key), ctx.ids.get((sheet_key, key))
        if sd is None or checked is None or not checked.valid.any():
            continue
        parts.append(_occurrence_part(ctx, sd, ID_KIND, key, checked.normalized, checked.valid))
    cases = ctx.sheet("cases")
    if cases is not None and ctx.has_key("cases", "case_no") and "case_no" in cases.columns:
        keys = ctx.key("cases", "case_no")
        parts.append(_occurrence_part(ctx, cases, CASE_KIND, "case_no", keys, keys.notna().to_numpy()))
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in OCCURRENCE_COLUMNS})
    return pd.concat(parts, ignore_index=True)


def _occurrence_part(ctx: Context, sd: SheetData, kind: str, key: str, numbers: pd.Series,
                     present: np.ndarray) -> pd.DataFrame:
    rows = sd.frame.index[present]
    household = ctx.key(sd.spec.key).to_numpy(dtype=object)[present]
    detail_key = _DETAIL[sd.spec.key]
    return pd.DataFrame({
        "kind": kind, "key": numbers.to_numpy(dtype=object)[present], "file": ctx.file,
        "sheet_key": sd.spec.key, "sheet": sd.name, "row": rows.to_numpy(dtype=np.int64),
        "cell": sd.columns[key] + rows.astype(str), "column": header(sd, key),
        "household": household,
        "household_no": _texts(sd.frame["household_no"].to_numpy(dtype=object)[present]),
        "detail": _texts(sd.frame[detail_key].to_numpy(dtype=object)[present]),
    })


def _texts(values: np.ndarray) -> np.ndarray:
    out = values.astype(object).copy()
    out[pd.isna(out)] = ""
    return out.astype(str).astype(object)


def cross_workbook_issues(frames: Iterable[pd.DataFrame], today=None) -> list[Issue]:
    """Issues for every cell whose number also stands in another workbook.

    ``frames`` are ``occurrences`` of several workbooks. An ID number is
    ``duplicate_id``; a 案件编号 is ``duplicate_case_no``; the message names
    where else it stands.
    """
    everything = _concat(frames)
    if everything.empty:
        return []
    spread = everything.groupby(["kind", "key"])["file"].transform("nunique")
    shared = everything[(spread > 1).to_numpy()]
    out: list[Issue] = []
    if shared.empty:
        return out
    places = {
        (kind, number): list(zip(group["file"], group["sheet"], group["cell"], strict=True))
        for (kind, number), group in shared.groupby(["kind", "key"], sort=False)
    }
    for row in shared.itertuples(index=False):
        others = [f"{f} 工作表“{s}” {c}" for f, s, c in places[(row.kind, row.key)] if f != row.file]
        shown = "、".join(others[:3]) + (f" 等 {len(others)} 处" if len(others) > 3 else "")
        if row.kind == ID_KIND:
            out.append(issue(
                "duplicate_id", row.file, row.sheet, row.cell, int(row.row), row.column,
                mask_id(row.key, today=today),
                f"身份证号在其他乡镇工作簿中也有登记（{shown}）：同一人只能在一个乡镇登记，请与对方乡镇核对。",
            ))
        else:
            out.append(issue(
                "duplicate_case_no", row.file, row.sheet, row.cell, int(row.row), row.column, row.key,
                f"案件编号在其他乡镇工作簿中也有（{shown}）：全县的案件编号不能重复，请与对方乡镇核对后更正。",
            ))
    return out


@dataclass(frozen=True)
class Occurrence:
    township: str
    file: str
    sheet: str
    row: int
    household_no: str
    detail: str


@dataclass(frozen=True)
class Duplicate:
    """One repeat of a number, next to an earlier occurrence it conflicts with."""

    kind: str  # ID_KIND or CASE_KIND
    number: str
    first: Occurrence
    other: Occurrence

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def situation(self) -> str:
        if self.first.township != self.other.township:
            return "不同乡镇"
        if self.first.file != self.other.file:
            return "不同工作簿"
        if self.kind == CASE_KIND:
            return "同一乡镇"
        if self.first.household_no != self.other.household_no:
            return "同一乡镇不同户"
        return "同一户内"


def duplicate_pairs(frames: Iterable[pd.DataFrame]) -> list[Duplicate]:
    """Every repeat next to the earliest occurrence it conflicts with (see the module docstring).

    ``frames`` are ``occurrences`` in workbook order, each with a ``township``
    column added; a frame without one uses its file name.
    """
    everything = _concat(frames)
    if everything.empty:
        return []
    if "township" not in everything.columns:
        everything["township"] = everything["file"]
    repeated = everything[everything.duplicated(["kind", "key"], keep=False).to_numpy()]
    out: list[Duplicate] = []
    # A loop over the repeated numbers only (a handful in a county).
    for (kind, number), group in repeated.groupby(["kind", "key"], sort=False):
        seen: list = []
        for row in group.itertuples(index=False):
            earlier = next((p for p in seen if _conflict(p, row)), None)
            if earlier is not None:
                out.append(Duplicate(str(kind), str(number), _occurrence(earlier), _occurrence(row)))
            seen.append(row)
    return out


def _conflict(a, b) -> bool:
    """Two places of one number that cannot both be right (the head's two rows can)."""
    return not (a.file == b.file and a.household == b.household and a.sheet_key != b.sheet_key)


def _occurrence(row) -> Occurrence:
    return Occurrence(row.township, row.file, row.sheet, int(row.row), row.household_no, row.detail)


def _concat(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    parts = [f for f in frames if f is not None and len(f)]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in OCCURRENCE_COLUMNS})
    return pd.concat(parts, ignore_index=True)
