"""Checks across the sheets of one workbook: rows of no household, sizes, recorded eligibility."""

from __future__ import annotations

import pandas as pd

from ..columns import as_text
from ..formulas import BAD_FORMAT
from ..issues import Issue, issue
from ..text import per_distinct
from ..workbook.headers import copy_of_sheet
from .context import Context
from .records import row_issues, value_texts
from .registry import check

_REFERRING = ("members", "spending", "cases", "visits", "aid")


@check("unknown_sheet")
def unknown_sheets(ctx: Context) -> list[Issue]:
    """Sheets with content the reader does not recognise: their rows are not merged."""
    out = []
    for name, rows in ctx.data.other_sheets.items():
        copy_of = copy_of_sheet([name], [sd.name for sd in ctx.data.sheets.values()])
        hint = (f"看起来是“{copy_of}”表的副本，如果是数据，请把它们移到“{copy_of}”表中。" if copy_of
                else "如果是数据，请移到模板中对应的工作表中；不需要的可删除此工作表。")
        out.append(issue(
            "unknown_sheet", ctx.file, name, f"A{rows[0].row}", rows[0].row, "", "",
            f"工作表“{name}”有 {len(rows)} 行内容，不是模板中的数据表，汇总时不会入库（将列入“未入库”）：{hint}",
        ))
    return out


@check("orphan_row")
def orphan_rows(ctx: Context) -> list[Issue]:
    """Rows whose 户编号 is not on 监测户."""
    households = ctx.sheet("households")
    if households is None or "household_no" not in households.columns:
        return []
    known = pd.Index(ctx.key("households").dropna().unique())
    out: list[Issue] = []
    for key in _REFERRING:
        sd = ctx.sheet(key)
        if sd is None or "household_no" not in sd.columns or not len(sd.frame):
            continue
        keys = ctx.key(key)
        orphan = (keys.notna() & ~keys.isin(known)).to_numpy()
        out += row_issues(
            ctx, sd, orphan, "orphan_row", "household_no",
            f"户编号在“{households.name}”表中不存在：请先在{households.name}表登记该户，或核对户编号。",
        )
    return out


@check("household_size_mismatch")
def household_size(ctx: Context) -> list[Issue]:
    households, members = ctx.sheet("households"), ctx.sheet("members")
    if (households is None or members is None or not len(members.frame)
            or "household_no" not in households.columns or "household_size" not in households.columns
            or "household_no" not in members.columns):
        return []
    counts = ctx.key("members").value_counts()
    keys = ctx.key("households")
    n = keys.map(counts).fillna(0).astype("int64")
    size = pd.to_numeric(households.frame["household_size"], errors="coerce")
    wrong = (keys.notna() & size.notna() & (size != n)).to_numpy()
    return row_issues(
        ctx, households, wrong, "household_size_mismatch", "household_size",
        lambda rows: ("家庭人口填写 " + value_texts(size.loc[rows]) + f" 人，“{members.name}”表中该户有 "
                      + n.loc[rows].astype(str) + " 人：请核对家庭人口或补全家庭成员。"),
    )


@check("status_mismatch")
def status_mismatch(ctx: Context) -> list[Issue]:
    """登记资格 against the rules (``derive``'s 资格判定)."""
    households = ctx.sheet("households")
    derived = ctx.households
    if households is None or derived is None or "recorded_status" not in households.columns:
        return []
    recorded = as_text(households.frame, "recorded_status")
    status = derived["status"].astype(str)
    # A note ("资料不全：G5 户类型为空") counts as its category; a cell the rules cannot read
    # (数据格式有误) proves nothing either way and is reported where it stands.
    category = pd.Series(per_distinct(status.to_numpy(dtype=object), lambda s: s.split("：", 1)[0]),
                         index=status.index, dtype=object)
    wrong = ((recorded != "") & (status != "") & (category != BAD_FORMAT)
             & (recorded != category)).to_numpy()
    reasons = derived["reasons"]
    return row_issues(
        ctx, households, wrong, "status_mismatch", "recorded_status",
        lambda rows: ("登记资格为“" + recorded.loc[rows] + "”，按规则判定为“" + category.loc[rows]
                      + "”（" + reasons.loc[rows].astype(str) + "）：请核对收入和支出数据，或更正登记资格。"),
    )
