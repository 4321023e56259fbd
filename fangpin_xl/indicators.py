"""The figures a county reports (DOMAIN.md, "Figures a county reports"), pure and vectorised.

``figures`` counts, per township and for the county, from one checked
workbook's columns (the caller hands them over aligned and keyed):

* **监测户**: households on 监测户 (each household number once);
* **核实符合条件户**: those the rules judge 符合 (``derive``'s 资格判定);
* **已救助户** and **救助金额**: households with a case 已支付, and the 救助金额 of
  those cases per kind (因病/因学/因意外/因产业) and in total. Sums are taken in
  whole fen (``fund.to_fen``), so they never drift; a paid case without a
  readable amount is counted (``paid_without_amount``) but adds nothing;
* **户均救助金额** = relief total ÷ households helped, to the fen (halves up);
* **低保 shares**: households whose 低保 is 整户低保 or 单人保, among those
  monitored and among those helped;
* **逾期案件**: open cases past their deadline at the check date (剩余工作日 < 0);
* **visits this quarter**: households that owe this quarter's visit and those
  visited (``followup_register``).

``history_changes`` takes the county's yearly 返贫/致贫 table and computes, for
households and persons, the reduction on the year before and on a base year as
(base − year) ÷ base, in hundredths of a percent rounded half away from zero
(641 → 104 is a reduction of 83.78%). A negative reduction is an increase. A
missing year, a missing value, a zero base or a base year not in the table give
no number and a finding instead.

Every share and reduction is returned as a fraction rounded to 0.01% (0.8378),
which an Excel "0.00%" format shows exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .fund import to_fen
from .policy import SPENDING_KINDS
from .rules import STATUS_ELIGIBLE

PAID = "已支付"
DIBAO = ("整户低保", "单人保")
COUNTY_TOTAL = "全县合计"

#: The yearly table's measures: key → Chinese name.
HISTORY_MEASURES = {
    "returned_households": "返贫户数", "returned_persons": "返贫人数",
    "new_households": "致贫户数", "new_persons": "致贫人数",
}
ERROR, WARNING = "error", "warning"

#: Columns of ``figures`` (one row per township, the county total last).
FIGURE_COLUMNS = (
    "township", "households", "verified", "helped", *(f"relief_{k}" for k in SPENDING_KINDS),
    "relief", "paid_cases", "paid_without_amount", "average", "dibao", "dibao_share",
    "helped_dibao", "helped_dibao_share", "overdue_cases", "owe_visit", "visited", "coverage",
)


def share(part, whole) -> np.ndarray:
    """part ÷ whole as a fraction rounded to 0.01% (half away from zero); NaN where whole is 0."""
    part = np.asarray(part, dtype=np.float64)
    whole = np.asarray(whole, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = part / whole * 10000
    rounded = np.sign(raw) * np.floor(np.abs(np.round(raw, 6)) + 0.5) / 10000
    return np.where(whole == 0, np.nan, rounded)


def fen_half_up(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Integer fen ÷ a count, to the fen, halves away from zero (NaN where the count is 0)."""
    numerator = np.asarray(numerator, dtype=np.int64)
    denominator = np.asarray(denominator, dtype=np.int64)
    safe = np.where(denominator == 0, 1, denominator)
    q = np.sign(numerator) * ((2 * np.abs(numerator) + safe) // (2 * safe))
    return np.where(denominator == 0, np.nan, q.astype(np.float64))


def figures(households: pd.DataFrame, cases: pd.DataFrame) -> pd.DataFrame:
    """The county's figures per township and in total (``FIGURE_COLUMNS``; money in yuan).

    ``households``: one row per household (keys unique): ``key``, ``township``,
    ``status`` (资格判定), ``dibao`` (低保), ``owes_now`` and ``visited_now`` (bool).
    ``cases``: ``key`` (the household's; cases of households not on 监测户 are left out
    by the caller), ``stage``, ``kind``, ``amount`` (float, NaN when unreadable) and
    ``days_left`` (float, NaN when closed or unknown).
    """
    hh = households
    towns = sorted(pd.unique(hh["township"].astype(str)))
    town_of = pd.Series(hh["township"].astype(str).to_numpy(), index=hh["key"].to_numpy(dtype=object))
    cases = cases.assign(township=town_of.reindex(cases["key"].to_numpy(dtype=object)).to_numpy())
    paid = cases[(cases["stage"] == PAID).to_numpy(dtype=bool)]
    amounts = paid["amount"].to_numpy(dtype=np.float64)
    readable = np.isfinite(amounts)
    paid = paid.assign(fen=np.where(readable, to_fen(np.where(readable, amounts, 0.0)), 0),
                       unreadable=~readable)
    dibao = hh["dibao"].isin(DIBAO).to_numpy(dtype=bool)
    helped_keys = pd.unique(paid["key"].to_numpy(dtype=object))
    helped = hh["key"].isin(helped_keys).to_numpy(dtype=bool)

    frame = pd.DataFrame({
        "township": hh["township"].astype(str).to_numpy(),
        "households": 1,
        "verified": (hh["status"] == STATUS_ELIGIBLE).to_numpy(dtype=np.int64),
        "helped": helped.astype(np.int64),
        "dibao": dibao.astype(np.int64),
        "helped_dibao": (helped & dibao).astype(np.int64),
        "owe_visit": hh["owes_now"].to_numpy(dtype=np.int64),
        "visited": (hh["owes_now"] & hh["visited_now"]).to_numpy(dtype=np.int64),
    })
    per_town = frame.groupby("township").sum().reindex(towns, fill_value=0)
    fen = paid.pivot_table(index="township", columns="kind", values="fen", aggfunc="sum", fill_value=0)
    money = pd.DataFrame({f"relief_{kind}": fen[kind] if kind in fen.columns else 0 for kind in SPENDING_KINDS},
                         index=fen.index).reindex(towns, fill_value=0).astype(np.int64)
    money["relief"] = paid.groupby("township")["fen"].sum().reindex(towns, fill_value=0).astype(np.int64)
    money["paid_cases"] = paid.groupby("township").size().reindex(towns, fill_value=0)
    money["paid_without_amount"] = paid.groupby("township")["unreadable"].sum().reindex(towns, fill_value=0)
    overdue = cases[(cases["days_left"] < 0).to_numpy(dtype=bool)].groupby("township").size()
    money["overdue_cases"] = overdue.reindex(towns, fill_value=0)
    table = pd.concat([per_town, money], axis=1)
    table.loc[COUNTY_TOTAL] = table.sum(axis=0)
    table = table.astype(np.int64)
    out = table.reset_index(names="township")
    out["average"] = fen_half_up(out["relief"], out["helped"]) / 100
    for column in [f"relief_{k}" for k in SPENDING_KINDS] + ["relief"]:
        out[column] = out[column] / 100
    out["dibao_share"] = share(out["dibao"], out["households"])
    out["helped_dibao_share"] = share(out["helped_dibao"], out["helped"])
    out["coverage"] = share(out["visited"], out["owe_visit"])
    return out[list(FIGURE_COLUMNS)]


# -- the yearly history ------------------------------------------------------------------

@dataclass(frozen=True)
class Finding:
    severity: str
    message: str


def reduction(base, value) -> np.ndarray:
    """(base − value) ÷ base as a fraction rounded to 0.01%, exactly for whole counts;
    NaN where either is missing or the base is 0."""
    base = np.asarray(base, dtype=np.float64)
    value = np.asarray(value, dtype=np.float64)
    ok = np.isfinite(base) & np.isfinite(value) & (base != 0)
    b = np.where(ok, base, 1).astype(np.int64)
    num = (np.where(ok, base - value, 0) * 10000).astype(np.int64)
    q = np.sign(num) * ((2 * np.abs(num) + np.abs(b)) // (2 * np.abs(b))) * np.sign(b)
    return np.where(ok, q / 10000, np.nan)


def history_changes(table: pd.DataFrame, base_year: int | None = None
                    ) -> tuple[pd.DataFrame, int | None, list[Finding]]:
    """The yearly table with every year from the first to the last (missing years as blank
    rows) and, per measure of ``HISTORY_MEASURES`` present, ``<measure>_yoy`` (reduction on
    the year before) and ``<measure>_base`` (on the base year). Returns (table, base year,
    findings). ``table`` has ``year`` and the measures (float, NaN when blank), one row per
    year (the caller rejects repeats)."""
    findings: list[Finding] = []
    measures = [m for m in HISTORY_MEASURES if m in table.columns]
    if not len(table):
        return table.assign(**{f"{m}_{s}": np.nan for m in measures for s in ("yoy", "base")}), None, []
    years = table["year"].astype(np.int64)
    full = pd.DataFrame({"year": np.arange(int(years.min()), int(years.max()) + 1)})
    out = full.merge(table, on="year", how="left")
    absent = sorted(set(out["year"]) - set(years))
    for year in absent:
        findings.append(Finding(ERROR, f"缺少 {year} 年的数据：{year} 年和 {year + 1} 年无法与上年比较，请补齐该年"))
    base = int(years.min()) if base_year is None else int(base_year)
    if base not in set(years):
        listed = "、".join(str(y) for y in sorted(years))
        findings.append(Finding(ERROR, f"基年 {base} 年不在历年数据中（有 {listed} 年），无法计算较基年减少的比例"))
    base_row = out[out["year"] == base]
    for m in measures:
        name = HISTORY_MEASURES[m]
        values = out[m].to_numpy(dtype=np.float64)
        previous = np.concatenate([[np.nan], values[:-1]])
        out[f"{m}_yoy"] = reduction(previous, values)
        base_value = base_row[m].iloc[0] if len(base_row) else np.nan
        out[f"{m}_base"] = reduction(np.full(len(out), base_value), values)
        if len(base_row) and pd.isna(base_value):
            findings.append(Finding(ERROR, f"基年 {base} 年缺少{name}，无法计算{name}较基年减少的比例"))
        elif len(base_row) and base_value == 0:
            findings.append(Finding(WARNING, f"基年 {base} 年{name}为 0，无法计算{name}较基年减少的比例"))
        given = out["year"].isin(years).to_numpy()
        blank = given & np.isnan(values)
        for year in out.loc[blank, "year"]:
            if year != base:
                findings.append(Finding(ERROR, f"{year} 年缺少{name}"))
        zero_before = np.isfinite(values) & (previous == 0)
        for year in out.loc[zero_before, "year"]:
            findings.append(Finding(WARNING, f"{year - 1} 年{name}为 0，{year} 年无法计算{name}比上年减少的比例"))
    return out, base, findings
