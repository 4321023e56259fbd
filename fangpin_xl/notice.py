"""Public notices (公示名单): the relief cases a village publicises before filing.

Pure: from a ``CheckedWorkbook`` to one ``Notice`` per village. The Excel
script (生成公示名单) and ``fangpin-xl notice`` render the same notices.

What goes on a notice: the cases surveyed but not yet filed (状态 已查勘 or
公示中, no 备案日期), each with the head of household, village, kind and the
proposed relief — the case's 救助金额 when filled, else the amount the county's
payout table gives for the spending of the 12 months before its discovery
(``cases.judge_relief``, as the procedure check judges it). Never an ID number, a phone number, a bank account or a
health detail: the list has only the columns in ``LIST_HEADERS``.

The objection window: the notice starts on ``start`` (default: the cases'
公示开始 when they share one, else the day it is made) and lasts the policy's
``notice_days`` natural days, both ends counted (a 5-day notice from 05-06
ends on 05-10), as the procedure check counts it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .checks import CheckedWorkbook
from .columns import as_dates, as_numbers, as_text
from .text import number_texts, sheet_names

#: Stages whose cases are publicised.
NOTICE_STAGES = ("已查勘", "公示中")
LIST_HEADERS = ("序号", "户主姓名", "村", "救助类别", "拟救助金额（元）")


@dataclass(frozen=True)
class Notice:
    county: str
    township: str
    village: str
    start: dt.date
    end: dt.date
    days: int
    #: The list, columns ``LIST_HEADERS`` (序号 from 1).
    rows: pd.DataFrame

    @property
    def title(self) -> str:
        return f"{self.county}{self.township}{self.village}防贫救助对象公示"

    @property
    def text(self) -> str:
        return (
            f"经农户申请或部门信息比对发现、保险公司入户查勘，拟对以下 {len(self.rows)} 户给予防贫救助，"
            f"现予公示。公示期 {self.days} 天：自 {_day(self.start)} 至 {_day(self.end)}。"
            f"如有异议，请在公示期内向{self.committee}或{self.township}人民政府反映"
            "（可书面或当面提出，请留下联系方式以便核实回复）。"
        )

    @property
    def contact(self) -> str:
        return "受理异议联系人：________________    联系电话：________________"

    @property
    def dated(self) -> str:
        """The date under the signature: the day the notice starts."""
        return _day(self.start)

    @property
    def signature(self) -> str:
        return f"{self.seals}        年    月    日"

    @property
    def seals(self) -> str:
        return f"{self.committee}（盖章）        {self.township}人民政府（盖章）"

    @property
    def committee(self) -> str:
        """东代固村 → 东代固村民委员会; 小周堡 → 小周堡村民委员会."""
        return f"{self.village}{'民' if self.village.endswith('村') else '村民'}委员会"


def _day(day: dt.date) -> str:
    return f"{day.year} 年 {day.month} 月 {day.day} 日"


def notice_cases(checked: CheckedWorkbook, townships: pd.Series | None = None) -> pd.DataFrame:
    """The cases to publicise with their household's head, village, township and proposed relief.

    ``townships`` (aligned with 监测户) replaces its 乡镇 column (the county workbook's 来源乡镇).
    """
    cases, households = checked.sheet("cases"), checked.sheet("households")
    columns = ["township", "village", "head_name", "kind", "relief", "notice_start"]
    if cases is None or households is None or not len(cases.frame) or checked.households is None:
        return pd.DataFrame(columns=columns)
    frame = cases.frame
    stage = as_text(frame, "stage")
    waiting = stage.isin(NOTICE_STAGES) & as_dates(frame, "filing_date").isna() \
        & checked.key("cases").notna() & checked.key("cases", "case_no").notna()
    if not waiting.any():
        return pd.DataFrame(columns=columns)
    chosen = frame[waiting.to_numpy()]
    keys = checked.key("cases")[waiting]
    hh_keys = checked.key("households")
    first = hh_keys.notna() & ~hh_keys.duplicated()
    table = households.frame[first.to_numpy()].set_axis(hh_keys[first].to_numpy(dtype=object))
    if townships is not None:
        table = table.assign(township=townships[first].to_numpy(dtype=object))
    rows = table.index.get_indexer(keys.to_numpy(dtype=object))
    found = rows >= 0
    if not found.any():
        return pd.DataFrame(columns=columns)

    def take(key: str) -> np.ndarray:
        values = as_text(table, key).to_numpy(dtype=object)
        return np.where(found, values[np.where(found, rows, 0)], "")

    allowed = (checked.judged["allowed"][waiting] if checked.judged is not None
               else pd.Series(np.nan, index=chosen.index))
    amount = as_numbers(chosen, "relief_amount")
    out = pd.DataFrame({
        "township": take("township"), "village": take("village"), "head_name": take("head_name"),
        "kind": as_text(chosen, "kind").to_numpy(dtype=object),
        "relief": amount.where(amount.notna(), allowed).to_numpy(dtype=float),
        "notice_start": as_dates(chosen, "notice_start").to_numpy(),
    }, index=chosen.index)
    return out[found]


def notices(checked: CheckedWorkbook, *, township: str | None = None, village: str | None = None,
            start: dt.date | None = None, today: dt.date | None = None,
            townships: pd.Series | None = None) -> list[Notice]:
    """One notice per village (only ``township`` / ``village`` when given), sorted by name."""
    found = notice_cases(checked, townships)
    if township:
        found = found[found["township"] == township.strip()]
    if village:
        found = found[found["village"] == village.strip()]
    days = checked.policy.notice_days
    out = []
    for (town, name), group in found.groupby(["township", "village"], sort=True):
        first = _start(group, start, today or dt.date.today())
        rows = pd.DataFrame({
            LIST_HEADERS[0]: np.arange(1, len(group) + 1),
            LIST_HEADERS[1]: group["head_name"].to_numpy(dtype=object),
            LIST_HEADERS[2]: group["village"].to_numpy(dtype=object),
            LIST_HEADERS[3]: group["kind"].to_numpy(dtype=object),
            LIST_HEADERS[4]: number_texts(pd.Series(group["relief"].to_numpy())).replace("", "待核定").to_numpy(),
        })
        out.append(Notice(checked.policy.county, str(town), str(name), first,
                          first + dt.timedelta(days=days - 1), days, rows))
    return out


def notice_sheet_names(found: list[Notice], prefix: str = "") -> list[str]:
    """A sheet name per notice: ``prefix`` and the village, or 乡镇-村 where two townships have
    a village of that name; made valid and distinct by ``text.sheet_names`` (东/西村 → 东／西村)."""
    villages = [n.village for n in found]
    return sheet_names([prefix + (n.village if villages.count(n.village) == 1 else f"{n.township}-{n.village}")
                        for n in found], fallback=prefix + "公示")


def _start(group: pd.DataFrame, start: dt.date | None, today: dt.date) -> dt.date:
    if start is not None:
        return start
    dates = pd.to_datetime(group["notice_start"]).dropna().unique()
    return pd.Timestamp(dates[0]).date() if len(dates) == 1 else today
