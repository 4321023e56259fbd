"""The merge summary a person reads in the terminal."""

from __future__ import annotations

from ..issues import ERROR, SEVERITY_LABELS, WARNING, count_by_severity
from ..text import display_width, pad, shown_path
from .model import MergeResult


def render_summary(result: MergeResult) -> str:
    """The merge summary in Chinese: files, row accounting per sheet, duplicates, problems."""
    lines = [
        f"已汇总 {len(result.merged)} 个乡镇工作簿（{result.county} {result.year} 年）→ {shown_path(result.output)}",
    ]
    header = ["工作表", "读取", "写入", "未入库", "核对"]
    table = [[t.name, f"{t.read:,}", f"{t.written:,}", f"{t.rejected:,}",
              "相符" if t.balanced else "不相符"] for t in result.sheets.values()]
    read = sum(t.read for t in result.sheets.values())
    written = sum(t.written for t in result.sheets.values())
    rejected = result.rejected
    table.append(["合计", f"{read:,}", f"{written:,}", f"{rejected:,}",
                  "相符" if read == written + rejected else "不相符"])
    widths = [max(display_width(r[i]) for r in [header, *table]) for i in range(len(header))]
    lines.append("行数核对（读取 = 写入 + 未入库）：")
    for r in [header, *table]:
        lines.append("  " + "  ".join(pad(v, widths[i], right=0 < i < 4) for i, v in enumerate(r)))
    for t in result.sheets.values():
        if len(t.sheets) > 1:
            lines.append(f"“{t.name}”超过 Excel 每个工作表的行数上限，分为：{'、'.join(t.sheets)}")
    dup = result.duplicate_counts()
    counts = count_by_severity(result.issues)
    lines.append(f"未入库：{rejected:,} 行（见“未入库”工作表）")
    lines.append(f"重复：身份证号 {dup['id_number']} 处，案件编号 {dup['case_no']} 处（见“重复”工作表）")
    lines.append(f"问题：{SEVERITY_LABELS[ERROR]} {counts[ERROR]} 个，"
                 f"{SEVERITY_LABELS[WARNING]} {counts[WARNING]} 个（见“问题”工作表）")
    lines.append(f"逾期与违规：{result.violation_cases} 个案件，{result.violations} 处（见“逾期与违规”工作表）")
    different = [f for f in result.merged if f.policy_matches is False]
    if different:
        lines.append(f"参数与全县不一致的工作簿 {len(different)} 个：")
        for f in different:
            lines.append(f"  {f.name}（{f.township}）：{'；'.join(f.policy_differences[:3])}"
                         + ("……" if len(f.policy_differences) > 3 else ""))
    if result.skipped:
        lines.append(f"已跳过 {len(result.skipped)} 个文件：")
        for s in result.skipped:
            lines.append(f"  {shown_path(s.path)}：{s.reason}")
    if result.unreadable:
        lines.append(f"无法读取 {len(result.unreadable)} 个文件（未汇总，请更正后重新汇总）：")
        for f in result.unreadable:
            lines.append(f"  {f.reason}")
    if result.sqlite is not None:
        lines.append(f"历史数据库：{result.sqlite}（{result.year} 年的数据已更新）")
    return "\n".join(lines) + "\n"
