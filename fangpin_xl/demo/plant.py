"""Planted mistakes: one of each kind, spread over the townships, each recorded with the
file, sheet and cell where validate / merge must find it (the manifest)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from .. import schema
from ..schema import SHEETS_BY_KEY
from ..text import cell_text
from .households import SparePeople
from .model import PLANTED_CODES, SampleTownship
from .spec import CountySpec

_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def plant_mistakes(towns: list[SampleTownship], *, allowed: list[pd.Series],
                   spares: SparePeople, spec: CountySpec,
                   rng: np.random.Generator) -> list[dict[str, Any]]:
    """Changes the townships' frames in place and returns the manifest entries, sorted.

    ``allowed``: per township, the payout table's amount of each case (row for row with its
    cases frame); ``spares``: the people of the orphan rows.
    """
    return _Planter(towns, allowed=allowed, spares=spares, spec=spec, rng=rng).plant()


class _Planter:
    """Plants one mistake of each kind, spread over the townships, and records where.

    Its state is the frames it changes, the cells already used (no two mistakes share a
    cell) and the manifest so far; everything else is handed in.
    """

    def __init__(self, towns: list[SampleTownship], *, allowed: list[pd.Series],
                 spares: SparePeople, spec: CountySpec, rng: np.random.Generator):
        self.towns = towns
        self.allowed = allowed
        self.spares = spares
        self.spec = spec
        self.rng = rng
        self.used: set[tuple[int, str, int]] = set()
        self.manifest: list[dict[str, Any]] = []

    # Townships are tried in rotation starting at ``slot``.
    def _order(self, slot: int) -> list[int]:
        n = len(self.towns)
        return [(slot + i) % n for i in range(n)]

    def _pick(self, t: int, sheet: str, mask: np.ndarray) -> int | None:
        rows = [int(r) for r in np.nonzero(mask)[0] if (t, sheet, int(r)) not in self.used]
        if not rows:
            return None
        row = rows[int(self.rng.integers(0, len(rows)))]
        self.used.add((t, sheet, row))
        return row

    def _record(self, code: str, t: int, sheet: str, row: int, key: str, value: Any,
                note: str, **extra) -> dict[str, Any]:
        town = self.towns[t]
        sheet_spec = SHEETS_BY_KEY[sheet]
        columns = sheet_spec.input_columns if town.layout == "own" else sheet_spec.columns
        header = town.headers(sheet)[[c.key for c in columns].index(key)]
        entry = {
            "code": code,
            "township": town.name,
            "file": town.file_name,
            "sheet": sheet_spec.name,
            "cell": town.cell(sheet, row, key),
            "row": town.header_row(sheet) + 1 + row,
            "column": header,
            "key": key,
            "value": _json_value(value),
            "note": note,
            **extra,
        }
        self.manifest.append(entry)
        return entry

    def _set(self, t: int, sheet: str, row: int, key: str, value: Any):
        frame = self.towns[t].frames[sheet]
        if frame[key].dtype != object:
            frame[key] = frame[key].astype(object)
        frame.at[row, key] = value

    def _free_members(self, t: int) -> np.ndarray:
        """Non-head members nobody else refers to (spending, aid): safe to damage."""
        frames = self.towns[t].frames
        members = frames["members"]
        referenced = (set(frames["spending"]["member_id"].dropna())
                      | set(frames["aid"]["member_id"].dropna()))
        return ((members["relation"] != "户主") & ~members["id_number"].isin(referenced)).to_numpy()

    def plant(self) -> list[dict[str, Any]]:
        own = next((i for i, t in enumerate(self.towns) if t.layout == "own"), None)
        steps = [
            self._coerced_text, self._id_numeric, self._id_check, self._orphan_row,
            self._payment_before_filing, self._notice_too_short, self._visit_overdue,
            self._relief_above_table, self._status_mismatch, self._required_missing,
            self._not_in_choices, self._future_date,
        ]
        self._full_width(own if own is not None else 0)
        if len(self.towns) >= 2:
            self._duplicate_id()
        for slot, step in enumerate(steps):
            # The numeric ID goes into the workbook written here, the only one that stores
            # a number in an ID column as a number (the template writer writes it as text).
            first = own if step == self._id_numeric and own is not None else slot
            for t in self._order(first):
                if step(t):
                    break
        order = {code: i for i, code in enumerate(PLANTED_CODES)}
        self.manifest.sort(key=lambda m: (order[m["code"]], m["township"], m["cell"]))
        return self.manifest

    # -- the mistakes
    def _coerced_text(self, t: int) -> bool:
        spending = self.towns[t].frames["spending"]
        amount = spending["amount"].to_numpy(dtype=float)
        row = self._pick(t, "spending", (amount >= 1000) & (amount == np.round(amount)))
        if row is None:
            return False
        text = f"{int(amount[row]):,}元"
        self._set(t, "spending", row, "amount", text)
        self._record("coerced", t, "spending", row, "amount", text,
                     "金额写成文字（带千分位和“元”），读取时可转换为数字，应提醒", severity="warning",
                     coerced_value=float(amount[row]))
        return True

    def _full_width(self, t: int) -> None:
        households = self.towns[t].frames["households"]
        income = households["income_per_capita"].to_numpy(dtype=float)
        row = self._pick(t, "households", income == np.round(income))
        if row is None:
            row = self._pick(t, "households", np.ones(len(income), bool))
        if row is None:  # never: this is the first mistake and a township has ≥ 10 households
            return
        value = income[row]
        digits = str(int(value)) if value == round(value) else f"{value:.2f}"
        text = digits.translate(_FULL_WIDTH)
        self._set(t, "households", row, "income_per_capita", text)
        self._record("coerced", t, "households", row, "income_per_capita", text,
                     "收入用全角数字填写，读取时可转换为数字，应提醒", severity="warning",
                     coerced_value=float(value))

    def _id_numeric(self, t: int) -> bool:
        members = self.towns[t].frames["members"]
        ends_digit = members["id_number"].astype(str).str[-1].str.isdigit().to_numpy()
        row = self._pick(t, "members", self._free_members(t) & ends_digit)
        if row is None:
            return False
        number = members.at[row, "id_number"]
        # Excel keeps 15 significant digits of a number typed into a numeric cell.
        value = float(int(number[:15]) * 1000)
        self._set(t, "members", row, "id_number", value)
        own = self.towns[t].layout == "own"
        self._record("id_numeric", t, "members", row, "id_number",
                     value if own else cell_text(value),
                     "身份证号存成了数字（1.30434E+17），末三位已丢失", original=_mask(number),
                     stored_as="number" if own else "text")
        return True

    def _id_check(self, t: int) -> bool:
        row = self._pick(t, "members", self._free_members(t))
        if row is None:
            return False
        number = self.towns[t].frames["members"].at[row, "id_number"]
        chars = "10X98765432"
        wrong = chars[(chars.index(number[17]) + 1 + int(self.rng.integers(0, 10))) % 11]
        value = number[:17] + wrong
        self._set(t, "members", row, "id_number", value)
        self._record("id_check", t, "members", row, "id_number", value,
                     f"身份证号校验码错误（应为 {number[17]}）")
        return True

    def _duplicate_id(self) -> None:
        source = self._pick(0, "members", self._free_members(0))
        target = self._pick(1, "members", self._free_members(1))
        if source is None or target is None:
            return
        number = self.towns[0].frames["members"].at[source, "id_number"]
        self._set(1, "members", target, "id_number", number)
        first = self.towns[0]
        self._record(
            "duplicate_id", 1, "members", target, "id_number", number,
            f"与 {first.name} 的成员身份证号相同（汇总时应发现）",
            other={"township": first.name, "file": first.file_name, "sheet": schema.MEMBERS.name,
                   "cell": first.cell("members", source, "id_number"),
                   "row": first.header_row("members") + 1 + source},
        )

    def _orphan_row(self, t: int) -> bool:
        town = self.towns[t]
        members = town.frames["members"]
        if not len(town.frames["households"]):
            return False
        known = set(town.frames["households"]["household_no"])
        base = str(town.frames["households"]["household_no"].iloc[
            int(self.rng.integers(0, len(known)))])
        prefix = base.rsplit("-", 1)[0]
        number = f"{prefix}-9{int(self.rng.integers(0, 1000)):03d}"
        if number in known:  # a village never has 9,000 households; kept for safety
            return False
        row: dict[str, Any] = {c: None for c in members.columns}
        row.update({
            "household_no": number, "name": str(self.spares.name[t]),
            "id_number": str(self.spares.id_number[t]), "relation": "子女", "health": "健康",
            "labour": "普通劳动力", "in_school": "否",
        })
        frame = pd.concat([members, pd.DataFrame([row]).astype(members.dtypes.to_dict())],
                          ignore_index=True)
        town.frames["members"] = frame
        r = len(frame) - 1
        self.used.add((t, "members", r))
        self._record("orphan_row", t, "members", r, "household_no", number,
                     "该成员的户编号在监测户表中不存在")
        return True

    def _paid(self, t: int, need_allowed: bool = False) -> np.ndarray:
        cases = self.towns[t].frames["cases"]
        mask = (cases["stage"] == "已支付").to_numpy(dtype=bool)
        if need_allowed:
            mask = mask & np.isfinite(self.allowed[t].to_numpy(dtype=float))
        return mask

    def _payment_before_filing(self, t: int) -> bool:
        row = self._pick(t, "cases", self._paid(t))
        if row is None:
            return False
        cases = self.towns[t].frames["cases"]
        value = cases.at[row, "filing_date"] - pd.Timedelta(days=2)
        cases.at[row, "payment_date"] = value
        self._record("payment_before_filing", t, "cases", row, "payment_date", value,
                     "支付日期早于备案日期", case_no=cases.at[row, "case_no"])
        return True

    def _notice_too_short(self, t: int) -> bool:
        cases = self.towns[t].frames["cases"]
        row = self._pick(t, "cases", cases["notice_end"].notna().to_numpy())
        if row is None:
            return False
        value = cases.at[row, "notice_start"] + pd.Timedelta(days=2)
        cases.at[row, "notice_end"] = value
        self._record("notice_too_short", t, "cases", row, "notice_end", value,
                     f"公示仅 3 天，少于 {self.spec.policy.notice_days} 天", case_no=cases.at[row, "case_no"])
        return True

    def _visit_overdue(self, t: int) -> bool:
        frames = self.towns[t].frames
        households, visits = frames["households"], frames["visits"]
        row = self._pick(t, "households", (households["risk_status"] != "已消除").to_numpy())
        if row is None:
            return False
        number = households.at[row, "household_no"]
        mine = (visits["household_no"] == number).to_numpy()
        if not mine.any():
            return False
        # The last visit 20 days before the previous calendar period began: that period
        # had no visit, so the next visit was due by its last day, before the check date.
        interval = self.spec.policy.visit_interval_months
        check = self.spec.check_date
        current = (check.year * 12 + check.month - 1) // interval
        year, month = divmod((current - 1) * interval, 12)
        limit = pd.Timestamp(year, month + 1, 1) - pd.Timedelta(days=20)
        shift = visits.loc[mine, "visit_date"].max() - limit
        visits.loc[mine, "visit_date"] = visits.loc[mine, "visit_date"] - shift
        households.at[row, "monitored_since"] = households.at[row, "monitored_since"] - shift
        last = visits.loc[mine, "visit_date"].max()
        self._record("visit_overdue", t, "households", row, "household_no", number,
                     f"最近回访 {last.date().isoformat()}，上一{'季度' if interval == 3 else '回访周期'}没有回访",
                     last_visit=last.date().isoformat())
        return True

    def _relief_above_table(self, t: int) -> bool:
        allowed = self.allowed[t].to_numpy(dtype=float)
        fits = np.nan_to_num(allowed, nan=np.inf) + 1000 <= self.spec.policy.max_relief
        row = self._pick(t, "cases", self._paid(t, need_allowed=True) & fits)
        if row is None:
            return False
        cases = self.towns[t].frames["cases"]
        value = float(round(allowed[row] + 1000, 2))
        cases.at[row, "relief_amount"] = value
        self._record("relief_above_table", t, "cases", row, "relief_amount", value,
                     f"救助金额比救助分档计算的 {allowed[row]:.2f} 元多 1000 元",
                     case_no=cases.at[row, "case_no"], allowed=float(allowed[row]))
        return True

    def _status_mismatch(self, t: int) -> bool:
        households = self.towns[t].frames["households"]
        recorded = households["recorded_status"]
        row = self._pick(t, "households", recorded.isin(("符合", "不符合")).to_numpy())
        if row is None:
            return False
        computed = str(recorded.iloc[row])
        value = "不符合" if computed == "符合" else "符合"
        self._set(t, "households", row, "recorded_status", value)
        self._record("status_mismatch", t, "households", row, "recorded_status", value,
                     f"登记资格为“{value}”，按规则计算为“{computed}”", computed=computed)
        return True

    def _required_missing(self, t: int) -> bool:
        row = self._pick(t, "members", self._free_members(t))
        if row is None:
            return False
        self._set(t, "members", row, "name", None)
        self._record("required_missing", t, "members", row, "name", None, "必填的姓名为空")
        return True

    def _not_in_choices(self, t: int) -> bool:
        members = self.towns[t].frames["members"]
        children = (members["relation"] == "子女").to_numpy()
        row = self._pick(t, "members", children & self._free_members(t))
        if row is None:
            return False
        number = str(members.at[row, "id_number"])
        value = "儿子" if int(number[16]) % 2 else "女儿"
        self._set(t, "members", row, "relation", value)
        self._record("not_in_choices", t, "members", row, "relation", value,
                     "与户主关系不在可选值中（应为“子女”）")
        return True

    def _future_date(self, t: int) -> bool:
        aid = self.towns[t].frames["aid"]
        row = self._pick(t, "aid", aid["end_date"].isna().to_numpy())
        if row is None:
            return False
        start = aid.at[row, "start_date"]
        year = self.spec.year + 10
        value = pd.Timestamp(dt.date(year, start.month, min(start.day, 28)))
        aid.at[row, "start_date"] = value
        self._record("future_date", t, "aid", row, "start_date", value,
                     f"开始日期晚于核查基准日（年份误写为 {year}）")
        return True


def _mask(number: str) -> str:
    return number[:6] + "*" * 8 + number[-4:]


def _json_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, np.floating | float):
        return float(value)
    if isinstance(value, np.integer | int):
        return int(value)
    return str(value)
