"""The payout table codec: a kind's bands and cap, and its per-group overrides.

TOML ``[payout.medical]`` and ``[payout.medical."边缘易致贫户"]``; on the 参数 sheet
the ``bands`` and ``cap`` rows and one row per group ("0元起 10%；10000元起 20%；封顶
200000元"). Checked as every codec checks (``policy_codecs``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .policy_codecs import (
    BIG_MONEY,
    NO_CAP,
    SHEET_V2,
    Bad,
    Check,
    Codec,
    Row,
    Text,
    checked,
    number,
    toml_text,
    with_value,
)
from .policy_values import GROUPS, PayoutTable, format_bands, parse_bands
from .text import cell_text, number_text

if TYPE_CHECKING:
    from .policy import Policy


def check_bands(pairs: list[tuple[Any, Any]], *, text_ok: bool = False
                ) -> tuple[tuple[float, float], ...]:
    """Band starts within limits, from 0 and strictly increasing; ratios 0 to 1."""
    if not pairs:
        raise Bad("至少应有一档")
    bands = tuple(
        (number(start, 0, BIG_MONEY, what="起点", text_ok=text_ok),
         number(ratio, 0, 1, what="比例", text_ok=text_ok))
        for start, ratio in pairs
    )
    starts = [start for start, _ in bands]
    if starts[0] != 0 or any(b <= a for a, b in zip(starts, starts[1:], strict=False)):
        raise Bad("起点应从 0 开始并严格递增")
    return bands


def _bands_from_text(text: Any) -> tuple[tuple[float, float], ...]:
    try:
        bands = parse_bands(cell_text(text))
    except ValueError:
        raise Bad(f"应写成“0元起 10%；10000元起 20%”，现为 {cell_text(text)!r}") from None
    return check_bands(list(bands), text_ok=True)


def _cap(raw: Any, *, text_ok: bool = False) -> float | None:
    if isinstance(raw, str) and raw.strip() in (NO_CAP, ""):
        return None
    if isinstance(raw, str) and text_ok:
        raw = raw.strip().removeprefix("封顶").removesuffix("元").strip()
    return number(raw, 0, BIG_MONEY, what="封顶金额", text_ok=text_ok)


@dataclass(frozen=True)
class Payout(Codec):
    """One kind's payout table and its per-group overrides.

    TOML: ``[payout.medical] label, bands, cap`` and ``[payout.medical."边缘易致贫户"]``
    (a group table starts from the kind's). 参数: ``bands`` and ``cap`` rows (the
    first format), then the label and one row per group (blank: no own table).
    """

    kind: str
    inline = False

    def _table(self, check: Check, raw: Any, key: str, label: str, default: PayoutTable,
               cap_label: str) -> PayoutTable:
        table = check.table(raw, key, label, "bands 与可选的 cap、label")
        check.known_keys(table, key, ("bands", "cap", "label"))
        bands, cap, text = default.bands, default.cap, default.label
        if "bands" in table:
            bands = checked(check, f"{key}.bands", label, self._bands, table["bands"])
        if "cap" in table:
            cap = checked(check, f"{key}.cap", cap_label, _cap, table["cap"])
        if "label" in table:
            text = checked(check, f"{key}.label", label, Text().from_toml, table["label"])
        return PayoutTable(bands, cap, text)

    @staticmethod
    def _bands(raw: Any) -> tuple[tuple[float, float], ...]:
        if not isinstance(raw, list) or not raw:
            raise Bad("应为 [[起点, 比例], …] 的列表，起点从 0 开始递增，比例在 0 到 1 之间")
        for item in raw:
            if not isinstance(item, list) or len(item) != 2:
                raise Bad(f"每一档应为 [起点, 比例]，现为 {item!r}")
        return check_bands([(start, ratio) for start, ratio in raw])

    def read_toml(self, p, raw, check, policy):
        table = check.table(raw, p.key, p.label, "bands 与可选的 cap、label")
        own = {k: v for k, v in table.items() if k not in GROUPS}
        kind_table = self._table(check, own, p.key, p.label, policy.payout_tables[self.kind],
                                 self._cap_label)
        groups = self._other_groups(policy)
        for group in GROUPS:
            if group in table:
                groups[f"{self.kind}/{group}"] = self._table(
                    check, table[group], f"{p.key}.{toml_text(group)}", f"{self.kind}救助分档·{group}",
                    kind_table, f"{self.kind}救助分档·{group}")
        policy = with_value(policy, "payout_tables", {**policy.payout_tables, self.kind: kind_table})
        return with_value(policy, "payout_group_tables", groups)

    def _group_label(self, group: str) -> str:
        return f"{self.kind}救助分档·{group}单设（空为不设）"

    def _other_groups(self, policy: Policy) -> dict[str, PayoutTable]:
        """The per-group tables of the other kinds (this kind's are read afresh)."""
        return {k: v for k, v in policy.payout_group_tables.items() if not k.startswith(f"{self.kind}/")}

    @property
    def _cap_label(self) -> str:
        return f"{self.kind}救助封顶（元，空为不设）"

    @staticmethod
    def _table_lines(section: str, title: str, table: PayoutTable) -> list[str]:
        bands = ", ".join(f"[{number_text(s)}, {number_text(r)}]" for s, r in table.bands)
        cap = NO_CAP if table.cap is None else table.cap
        return [f"[{section}]  # {title}", f"label = {toml_text(table.label)}", f"bands = [{bands}]",
                f"cap = {toml_text(cap) if isinstance(cap, str) else number_text(cap)}"]

    def write_toml(self, p, policy):
        lines = self._table_lines(p.key, self.kind, policy.payout_tables[self.kind])
        for group in GROUPS:
            table = policy.payout_group_tables.get(f"{self.kind}/{group}")
            if table is not None:
                section = f"{p.key}.{toml_text(group)}"
                lines += ["", *self._table_lines(section, f"{self.kind} {group}", table)]
        return lines

    @staticmethod
    def _cell(table: PayoutTable) -> str:
        parts = [format_bands(table.bands)]
        if table.cap is not None:
            parts.append(f"封顶 {number_text(table.cap)}")
        parts.append(f"说明 {table.label}")
        return "；".join(parts)

    def rows(self, p, policy):
        table = policy.payout_tables[self.kind]
        rows = [
            Row(f"{p.key}.bands", f"{self.kind}救助分档（{table.label}）", format_bands(table.bands), p.since),
            Row(f"{p.key}.cap", self._cap_label, table.cap, p.since),
            Row(f"{p.key}.label", f"{self.kind}救助分档说明", table.label, SHEET_V2),
        ]
        for group in GROUPS:
            own = policy.payout_group_tables.get(f"{self.kind}/{group}")
            rows.append(Row(f"{p.key}.{group}", self._group_label(group),
                            None if own is None else self._cell(own), SHEET_V2))
        return rows

    def _from_cell(self, raw: Any) -> PayoutTable:
        text = cell_text(raw).strip()
        head, _, label = text.partition("；说明 ")
        parts = [part.strip() for part in head.split("；") if part.strip()]
        caps = [part for part in parts if part.startswith("封顶")]
        if len(caps) > 1 or not label.strip():
            raise Bad(f"应写成“0元起 10%；10000元起 20%；封顶 80000；说明 本县文件”，现为 {text!r}")
        bands = _bands_from_text("；".join(part for part in parts if not part.startswith("封顶")))
        cap = _cap(caps[0], text_ok=True) if caps else None
        return PayoutTable(bands, cap, label.strip())

    def read_rows(self, p, get, check, policy):
        default = policy.payout_tables[self.kind]
        bands, label = default.bands, default.label
        if (raw := get(f"{p.key}.bands")) is not None:
            bands = checked(check, f"{p.key}.bands", f"{self.kind}救助分档", _bands_from_text, raw)
        # A blank cap cell means no cap (the row says 空为不设).
        cap = None
        if (raw := get(f"{p.key}.cap")) is not None:
            cap = checked(check, f"{p.key}.cap", self._cap_label, _cap, raw, text_ok=True)
        if (raw := get(f"{p.key}.label")) is not None:
            label = cell_text(raw).strip()
        groups = self._other_groups(policy)
        for group in GROUPS:
            if (raw := get(f"{p.key}.{group}")) is not None:
                groups[f"{self.kind}/{group}"] = checked(
                    check, f"{p.key}.{group}", self._group_label(group), self._from_cell, raw)
        table = PayoutTable(bands, cap, label)
        policy = with_value(policy, "payout_tables", {**policy.payout_tables, self.kind: table})
        return with_value(policy, "payout_group_tables", groups)
