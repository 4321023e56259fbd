"""``followup_file``: the follow-up register (回访登记) of a township or county workbook.

Reads the workbook (``source.read_source``), works out the register with the
pure ``followup_register.follow_up_register`` for the year of the as-of date
(default: the workbook's 核查基准日) and writes the register workbook
atomically. Its sheets (for calendar quarters; 期 for another 回访周期):

* 概况 — what was read and by which rule, the counts, every visit row accounted for;
* 本季度未回访 — households that owe this quarter's visit and have none yet
  (已逾期 when the previous quarter was missed too);
* 往季漏访 — each past quarter of the year a household owed and was not visited;
* 覆盖-乡镇, 覆盖-村, 覆盖-帮扶人 — per quarter: households owing a visit,
  visited, not visited, coverage;
* 未解决问题 — 两不愁三保障 problems still open, flagged when escalated without
  an answer or open longer than the policy's days;
* 帮扶人 — households per helper, flagged above the policy's limit;
* 回访数据问题 — visit rows not counted and why, repeated household numbers,
  households without a named helper.

Exit code 1 when visit rows had mistakes (no or unknown 户编号, no readable
date, a date after today) or a household number is repeated; else 0.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..columns import as_dates, as_text
from ..errors import exit_code
from ..files import atomic_output
from ..followup import period_rule_text
from ..followup_register import (
    AFTER_AS_OF,
    AFTER_TODAY,
    NO_HELPER,
    REPEATED_HOUSEHOLD,
    Register,
    follow_up_register,
)
from ..indicators import share
from ..policy import Policy
from ..schema import DATE, HOUSEHOLDS, INTEGER, PERCENT, TEXT, Column, Sheet
from ..text import shown_path
from ..workbook.made import VISIT_REGISTER
from ..workbook.write import Formats, new_workbook
from .output import output_path, write_facts, write_table
from .source import Source, read_source

#: What the register is for, marked as and named after (``workbook.made``).
PURPOSE = VISIT_REGISTER
NEEDS = {"households": ("household_no",), "visits": ("household_no", "visit_date")}
SUMMARY_SHEET = "概况"


@dataclass
class FollowUpResult:
    output: Path
    source: Source
    register: Register

    @property
    def exit_code(self) -> int:
        return exit_code(errors=self.register.errors, unusable=0)

    @property
    def word(self) -> str:
        return period_word(self.register.months)

    def counts(self) -> dict[str, int]:
        r = self.register
        hh = r.households
        monitored = hh["monitored"].to_numpy(dtype=bool)
        owes_now = hh["owes_now"].to_numpy(dtype=bool)
        not_now = r.not_visited_now()
        problems = r.problems
        visits = r.visits
        return {
            "households": len(hh), "monitored": int(monitored.sum()), "owe_now": int(owes_now.sum()),
            "visited_now": int((owes_now & hh["visited_now"].to_numpy(dtype=bool)).sum()),
            "not_visited_now": len(not_now), "overdue": int(hh["overdue"].to_numpy(dtype=bool).sum()),
            "missed": len(r.missed()), "missed_households": int(r.missed()["row"].nunique()),
            "open_problems": len(problems), "escalated": int(problems["escalated"].sum()),
            "long_open": int(problems["long_open"].sum()),
            "helpers": int((r.helpers["helper"] != NO_HELPER).sum()),
            "helpers_over": int(r.helpers["over"].sum()),
            "no_helper": int((monitored & (hh["helper"] == NO_HELPER).to_numpy()).sum()),
            "visits_read": len(visits), "visits_counted": int(visits["counted"].sum()),
            "visits_not_counted": int((~visits["counted"]).sum()), "errors": r.errors,
        }

    def as_dict(self) -> dict:
        r = self.register
        return {
            "output": shown_path(self.output), "file": self.source.name, "workbook": self.source.kind,
            "as_of": r.as_of.isoformat(), "period_months": r.months,
            "periods": r.label(r.periods).tolist(), **self.counts(), "exit_code": self.exit_code,
        }


def period_word(months: int) -> str:
    return "季度" if months == 3 else "期"


def missed_name(word: str) -> str:
    return "往季漏访" if word == "季度" else "往期漏访"


def followup_file(path: str | Path, output: str | Path | None = None, *,
                  policy: Policy | str | Path | None = None, as_of: dt.date | None = None,
                  today: dt.date | None = None) -> FollowUpResult:
    """The register of ``path`` written to ``output`` (default ``<name>-回访登记.xlsx`` beside it)."""
    path = Path(path)
    out = output_path(output, path, PURPOSE, [path])
    today = dt.date.today() if today is None else today
    source = read_source(path, purpose=PURPOSE, needs=NEEDS, policy=policy, today=today,
                         rows_word="户和回访")
    checked = source.checked
    as_of = checked.check_date if as_of is None else as_of
    households, visits = checked.sheet("households"), checked.sheet("visits")
    assert households is not None and visits is not None
    register = follow_up_register(
        households.frame, visits.frame, policy=checked.policy, as_of=as_of, today=today,
        household_keys=checked.key("households"), visit_keys=checked.key("visits"),
        townships=source.townships["households"], numbers=source.numbers["households"])
    result = FollowUpResult(out, source, register)
    write_register(result)
    return result


# -- the register workbook ---------------------------------------------------------------------

def _sheets(word: str) -> dict[str, Sheet]:
    place = (Column("township", "乡镇", TEXT, width=10), Column("village", "村", TEXT, width=10),
             Column("household_no", "户编号", TEXT, width=14), Column("head_name", "户主姓名", TEXT, width=9),
             Column("helper", "帮扶联系人", TEXT, width=10))
    counts = (Column("owed", "应回访户", INTEGER, width=9, note=f"本{word}应回访的监测户（风险未消除，纳入监测在上一{word}及以前）"),
              Column("visited", "已回访户", INTEGER, width=9), Column("missing", "未回访户", INTEGER, width=9),
              Column("rate", "覆盖率", PERCENT, width=9, note="已回访户 ÷ 应回访户"))
    period = Column("period", word if word == "季度" else "回访期", TEXT, width=14)
    return {
        "now": Sheet("not_now", f"本{word}未回访", (
            *place,
            Column("last_visit", "最近回访日期", DATE, width=12),
            Column("next_visit_due", "下次回访到期", DATE, width=12),
            Column("state", "状态", TEXT, width=12),
            Column("days_left", f"距本{word}结束天数", INTEGER, width=10),
        ), household_ref=None),
        "missed": Sheet("missed", missed_name(word), (
            *place, period,
            Column("last_visit", "最近回访日期", DATE, width=12),
        ), household_ref=None),
        "township": Sheet("by_township", "覆盖-乡镇", (period, place[0], *counts), household_ref=None),
        "village": Sheet("by_village", "覆盖-村", (period, place[0], place[1], *counts), household_ref=None),
        "helper": Sheet("by_helper", "覆盖-帮扶人", (period, place[0], place[4], *counts), household_ref=None),
        "problems": Sheet("problems", "未解决问题", (
            *place[:4],
            Column("visit_helper", "回访帮扶人", TEXT, width=10),
            Column("visit_date", "回访日期", DATE, width=12),
            Column("questions", "未解决的问题", TEXT, width=24, note="两不愁三保障、饮水安全中回答“否”且尚未解决的项"),
            Column("problem", "发现问题", TEXT, width=24),
            Column("escalated_to", "上报", TEXT, width=8),
            Column("days_open", "已过天数", INTEGER, width=8, note="回访日期到统计基准日的天数"),
            Column("unanswered", "上报未答复", TEXT, width=9),
            Column("long_open", "久未解决", TEXT, width=9),
        ), household_ref=None),
        "helpers": Sheet("helpers", "帮扶人", (
            place[0], place[4],
            Column("households", "负责户数", INTEGER, width=9, note="风险未消除的监测户"),
            Column("limit", f"每{word}可回访户数", INTEGER, width=10),
            Column("above", "超出户数", INTEGER, width=9),
            Column("visited_now", f"本{word}已回访户", INTEGER, width=10),
            Column("over", "超过上限", TEXT, width=9),
        ), household_ref=None),
        "problems_data": Sheet("visit_data", "回访数据问题", (
            Column("sheet", "工作表", TEXT, width=8), Column("row", "行", INTEGER, width=7),
            place[0], Column("household_no", "户编号", TEXT, width=14),
            Column("visit_date", "回访日期", TEXT, width=12), Column("helper", "帮扶人", TEXT, width=10),
            Column("reason", "原因", TEXT, width=60),
        ), household_ref=None),
    }


def _ordered(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    return frame.sort_values(by, kind="stable").reset_index(drop=True)


def not_now_rows(result: FollowUpResult) -> pd.DataFrame:
    r = result.register
    hh = r.not_visited_now()
    period_end = _period_end(r)
    state = np.where(hh["overdue"].to_numpy(dtype=bool), "已逾期", f"本{result.word}内待回访")
    return _ordered(hh.assign(state=state, days_left=(period_end - pd.Timestamp(r.as_of)).days),
                    ["township", "village", "household_no"])


def _period_end(r: Register) -> pd.Timestamp:
    from ..followup import period_day

    return pd.Timestamp(period_day(pd.Series([pd.Timestamp(r.as_of)]), r.months, 0).iloc[0])


def missed_rows(result: FollowUpResult) -> pd.DataFrame:
    r = result.register
    missed = r.missed()
    table = missed.join(r.households, on="row")
    table["period_number"] = table["period"]
    table["period"] = r.label(table["period"].to_numpy()).to_numpy()
    return _ordered(table, ["township", "village", "household_no", "period_number"])


def coverage_rows(result: FollowUpResult, by: list[str]) -> pd.DataFrame:
    r = result.register
    table = r.coverage(by)
    if by == ["township"] and result.source.county:
        table = pd.concat([table.assign(is_total=False), _total(r)], ignore_index=True).sort_values(
            ["period", "is_total"], kind="stable").drop(columns="is_total")
    table["period"] = r.label(table["period"].to_numpy()).to_numpy()
    return table.reset_index(drop=True)


def _total(r: Register) -> pd.DataFrame:
    owed = r.owed.assign(visited=r.owed["visited"].astype(np.int64))
    total = owed.groupby("period").agg(owed=("visited", "size"), visited=("visited", "sum")).reset_index()
    total["township"] = "全县合计"
    total["missing"] = total["owed"] - total["visited"]
    total["rate"] = share(total["visited"], total["owed"])
    total["is_total"] = True
    return total


def problem_rows(result: FollowUpResult) -> pd.DataFrame:
    r = result.register
    visits = result.source.checked.sheet("visits")
    assert visits is not None
    problems = r.problems
    if not len(problems):
        return pd.DataFrame()
    hh = r.households.loc[problems["household"].to_numpy()]
    frame = visits.frame.loc[problems.index]
    return _ordered(pd.DataFrame({
        "township": hh["township"].to_numpy(), "village": hh["village"].to_numpy(),
        "household_no": hh["household_no"].to_numpy(), "head_name": hh["head_name"].to_numpy(),
        "visit_helper": as_text(frame, "helper").to_numpy(), "visit_date": as_dates(frame, "visit_date").to_numpy(),
        "questions": problems["questions"].to_numpy(), "problem": as_text(frame, "problem").to_numpy(),
        "escalated_to": problems["escalated_to"].to_numpy(),
        "days_open": problems["days_open"].to_numpy(dtype=float),
        "unanswered": np.where(problems["escalated"].to_numpy(dtype=bool), "是", ""),
        "long_open": np.where(problems["long_open"].to_numpy(dtype=bool), "是", ""),
    }), ["township", "village", "household_no", "visit_date"])


def helper_rows(result: FollowUpResult) -> pd.DataFrame:
    r = result.register
    limit = result.source.policy.max_households_per_helper
    hh = r.households[r.households["monitored"].to_numpy(dtype=bool)]
    visited = (hh["owes_now"] & hh["visited_now"]).groupby([hh["township"], hh["helper"]]).sum()
    table = r.helpers.join(visited.rename("visited_now"), on=["township", "helper"])
    named = (table["helper"] != NO_HELPER).to_numpy()
    table["limit"] = np.where(named, limit, np.nan)
    table["above"] = np.where(named, np.maximum(table["households"] - limit, 0), np.nan)
    table["over"] = np.where(table["over"].to_numpy(dtype=bool), "是", "")
    return table.sort_values(["township", "households"], ascending=[True, False], kind="stable")


def data_problem_rows(result: FollowUpResult) -> pd.DataFrame:
    r = result.register
    source = result.source
    visits = source.checked.sheet("visits")
    households = source.checked.sheet("households")
    assert visits is not None and households is not None
    parts = []
    bad = r.visits[~r.visits["counted"].to_numpy(dtype=bool)]
    if len(bad):
        frame = visits.frame.loc[bad.index]
        dates = as_dates(frame, "visit_date")
        # What was typed where no date could be read (the frame holds None there).
        typed = as_text(visits.with_failures(frame), "visit_date")
        reason = bad["reason"].to_numpy(dtype=object).copy()
        reason[reason == AFTER_TODAY] = f"{AFTER_TODAY}（{source.checked.today.isoformat()}）：请核对年份和月份，未计入"
        reason[reason == AFTER_AS_OF] = f"{AFTER_AS_OF}（{r.as_of.isoformat()}），本次未计入"
        other = ~np.isin(bad["reason"].to_numpy(dtype=object), [AFTER_TODAY, AFTER_AS_OF])
        reason[other] = reason[other] + "，未计入"
        parts.append(pd.DataFrame({
            "sheet": visits.name, "row": bad.index.to_numpy(dtype=float),
            "township": source.townships["visits"].loc[bad.index].to_numpy(),
            "household_no": source.numbers["visits"].loc[bad.index].to_numpy(),
            "visit_date": np.where(dates.notna(), dates.dt.strftime("%Y-%m-%d"), typed),
            "helper": as_text(frame, "helper").to_numpy(), "reason": reason,
        }))
    if len(r.repeated):
        rows = r.repeated.index
        parts.append(pd.DataFrame({
            "sheet": households.name, "row": rows.to_numpy(dtype=float),
            "township": source.townships["households"].loc[rows].to_numpy(),
            "household_no": source.numbers["households"].loc[rows].to_numpy(),
            "visit_date": "", "helper": as_text(households.frame.loc[rows], "helper").to_numpy(),
            "reason": [f"{REPEATED_HOUSEHOLD}（与第 {first} 行相同），只按第 {first} 行统计"
                       for first in r.repeated.to_numpy()],
        }))
    hh = r.households
    no_helper = hh[(hh["monitored"] & (hh["helper"] == NO_HELPER)).to_numpy(dtype=bool)]
    if len(no_helper):
        parts.append(pd.DataFrame({
            "sheet": households.name, "row": no_helper.index.to_numpy(dtype=float),
            "township": no_helper["township"].to_numpy(), "household_no": no_helper["household_no"].to_numpy(),
            "visit_date": "", "helper": "",
            "reason": f"监测户没有填写“{HOUSEHOLDS.column('helper').header}”：请指定帮扶联系人",
        }))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def register_facts(result: FollowUpResult) -> list[tuple[str, str]]:
    r = result.register
    c = result.counts()
    word = result.word
    source = result.source
    labels = r.label(r.periods).tolist()
    policy = source.policy
    not_counted = r.visits.loc[~r.visits["counted"].to_numpy(dtype=bool), "reason"].value_counts()
    reasons = "；".join(f"{reason} {count} 行" for reason, count in not_counted.items()) or "无"
    return [
        ("文件", f"{source.name}（{source.kind}）"),
        ("参数", source.policy_text),
        ("统计基准日", f"{r.as_of.isoformat()}：统计 {labels[0]} 至 {labels[-1]}（本{word}为 {labels[-1]}）"),
        ("回访规则", f"每户{period_rule_text(r.months)}至少回访一次，按日历计：一次回访管本{word}，"
                    f"下次回访应不晚于下一{word}最后一天；纳入监测当{word}不要求回访，风险已消除的户不再统计"),
        ("监测户", f"{c['households']} 户，其中风险未消除 {c['monitored']} 户"),
        (f"本{word}", f"应回访 {c['owe_now']} 户，已回访 {c['visited_now']} 户，未回访 {c['not_visited_now']} 户"
                     f"（其中已逾期 {int(r.not_visited_now()['overdue'].sum())} 户，见“本{word}未回访”）"),
        ("逾期", f"到统计基准日已逾期 {c['overdue']} 户（上一{word}也没有回访，或从未回访）"),
        (missed_name(word), f"{c['missed_households']} 户共 {c['missed']} {'个季度' if word == '季度' else '期'}"
                            f"没有回访（见“{missed_name(word)}”）"),
        ("未解决问题", f"{c['open_problems']} 个，其中上报村两委或乡镇尚未答复 {c['escalated']} 个，"
                     f"超过 {policy.problem_open_days} 天未解决 {c['long_open']} 个（见“未解决问题”）"),
        ("帮扶人", f"{c['helpers']} 人；负责户数超过每{word} {policy.max_households_per_helper} 户的 "
                  f"{c['helpers_over']} 人；未填写帮扶联系人的监测户 {c['no_helper']} 户"),
        ("回访记录", f"读取 {c['visits_read']} 行 = 计入 {c['visits_counted']} 行 + 未计入 "
                    f"{c['visits_not_counted']} 行（{reasons}；见“回访数据问题”）"),
    ]


def write_register(result: FollowUpResult) -> None:
    r = result.register
    word = result.word
    sheets = _sheets(word)
    c = result.counts()
    as_of = r.as_of.isoformat()
    tables = [
        (sheets["now"], not_now_rows(result),
         f"本{word}（{r.label([r.current])[0]}）未回访的监测户：{c['not_visited_now']} 户（统计基准日 {as_of}）"),
        (sheets["missed"], missed_rows(result),
         f"{missed_name(word)}：{c['missed_households']} 户共 {c['missed']} {'个季度' if word == '季度' else '期'}"
         f"没有回访（{r.as_of.year} 年）"),
        (sheets["township"], coverage_rows(result, ["township"]), f"回访覆盖（按乡镇，每{word}）：统计基准日 {as_of}"),
        (sheets["village"], coverage_rows(result, ["township", "village"]), f"回访覆盖（按村，每{word}）：统计基准日 {as_of}"),
        (sheets["helper"], coverage_rows(result, ["township", "helper"]),
         f"回访覆盖（按帮扶联系人，每{word}）：统计基准日 {as_of}"),
        (sheets["problems"], problem_rows(result),
         f"未解决的两不愁三保障问题：{c['open_problems']} 个（上报未答复 {c['escalated']} 个，"
         f"超过 {result.source.policy.problem_open_days} 天 {c['long_open']} 个；统计基准日 {as_of}）"),
        (sheets["helpers"], helper_rows(result),
         f"帮扶人负责户数：超过每{word} {result.source.policy.max_households_per_helper} 户的 {c['helpers_over']} 人"),
        (sheets["problems_data"], data_problem_rows(result),
         f"回访数据问题：未计入的回访 {c['visits_not_counted']} 行，重复户编号 {len(r.repeated)} 个，"
         f"未填写帮扶联系人 {c['no_helper']} 户"),
    ]
    with atomic_output(result.output) as tmp:
        wb = new_workbook(tmp, made_as=PURPOSE)
        formats = Formats(wb)
        title = (f"{result.source.policy.county}帮扶回访登记（{result.source.name}，统计基准日 {as_of}）")
        write_facts(wb, formats, SUMMARY_SHEET, title, register_facts(result))
        for spec, frame, sheet_title in tables:
            write_table(wb, formats, spec, frame, sheet_title)
        wb.close()


def render_followup(result: FollowUpResult) -> str:
    lines = [f"{label}：{text}" for label, text in register_facts(result)]
    if result.register.errors:
        lines.append(f"有 {result.register.errors} 处回访数据错误（见“回访数据问题”工作表）。")
    lines.append(f"已写出：{shown_path(result.output)}")
    return "\n".join(lines) + "\n"

