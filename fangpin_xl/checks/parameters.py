"""The 参数 sheet: readable, the county's own values, a usable 核查基准日."""

from __future__ import annotations

from ..derive import default_check_date
from ..issues import Issue, issue
from ..policy import policy_differences, policy_rows
from ..schema import CHECK_DATE_KEY, POLICY_SHEET
from ..text import cell_text, split_cell
from .context import Context
from .registry import check


def _cell(ctx: Context, key: str) -> tuple[str, int | None]:
    cell = ctx.data.policy_cells.get(key, "")
    return cell, split_cell(cell)[1]


@check("policy_invalid")
def policy_invalid(ctx: Context) -> list[Issue]:
    if not ctx.basis.own_policy_error:
        return []
    message = ctx.basis.own_policy_error.rstrip("。") + "：请使用县里下发的模板中的参数表，不要修改。"
    return [issue("policy_invalid", ctx.file, ctx.policy_sheet, message=message)]


@check("policy_mismatch")
def policy_mismatch(ctx: Context) -> list[Issue]:
    """Every 参数 row that differs from the county's policy, when one was given."""
    county, values = ctx.county_policy, ctx.data.policy_values
    if county is None or not values:
        return []
    labels = {key: label for key, label, _ in policy_rows(county)}
    out = []
    for key, label, expected, found in policy_differences(county, values):
        if key == "county" and not county.given("county"):
            continue  # judged by the built-in parameters of a year: no county name to compare
        cell, row = _cell(ctx, key)
        shown = cell_text(found)
        out.append(issue(
            "policy_mismatch", ctx.file, ctx.policy_sheet, cell, row, labels.get(key, label), shown,
            f"参数“{label}”为 {shown or '（空）'}，县里统一设置为 {cell_text(expected) or '（空）'}"
            "：乡镇请勿修改参数表，请改回或使用县里下发的最新模板。",
        ))
    return out


@check("check_date_mismatch")
def check_date_mismatch(ctx: Context) -> list[Issue]:
    """A 核查基准日 other than the county's (31 December of its year), when the county's policy
    was given: the workbook's spending windows and days left are then not the county's."""
    county = ctx.county_policy
    if county is None or ctx.basis.bad_check_date is not None or not ctx.data.policy_values:
        return []
    if CHECK_DATE_KEY not in ctx.data.policy_values:
        return []
    expected = default_check_date(county)
    if ctx.check_date == expected:
        return []
    cell, row = _cell(ctx, CHECK_DATE_KEY)
    return [issue(
        "check_date_mismatch", ctx.file, ctx.policy_sheet, cell, row, "核查基准日", ctx.check_date.isoformat(),
        f"核查基准日为 {ctx.check_date.isoformat()}，全县为 {expected.isoformat()}：近12月支出、剩余工作日按本表日期"
        "计算，与全县汇总不一致；如无特别安排，请改回全县的核查基准日。",
    )]


@check("policy_missing")
def policy_missing(ctx: Context) -> list[Issue]:
    """No county policy given and no 参数 sheet: the built-in parameters were used (a 参数
    sheet that cannot be read is ``policy_invalid`` / ``policy_header_missing`` instead)."""
    if ctx.county_policy is not None or ctx.data.policy_values is not None:
        return []
    return [issue(
        "policy_missing", ctx.file, message=(
            f"工作簿没有“{POLICY_SHEET}”表，也没有指定本县参数，无法确定年度和标准（已暂按内置的 "
            f"{ctx.policy.year} 年参数核查，结果仅供参考）：请使用县里下发的模板，或用 --policy 指定本县参数文件。"),
    )]


@check("check_date_invalid")
def check_date_invalid(ctx: Context) -> list[Issue]:
    bad = ctx.basis.bad_check_date
    if bad is None:
        return []
    cell, row = _cell(ctx, CHECK_DATE_KEY)
    shown = cell_text(bad)
    return [issue(
        "check_date_invalid", ctx.file, ctx.policy_sheet, cell, row, "核查基准日", shown,
        f"核查基准日“{shown}”不是有效日期，已按 {ctx.check_date.isoformat()} 核查：请填写日期，如 2020-12-31。",
    )]
