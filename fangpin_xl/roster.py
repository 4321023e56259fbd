"""The county roster a township workbook is pre-filled from (``template --roster``).

``roster_frames`` reads a roster: a township or county workbook through the
schema reader, or any other list (the national monitoring system's export, one
row per person or per household) through the schema's names, synonyms and loose
headers. ``township_frames`` picks one township's rows; ``roster_use`` accounts
for every roster row (written into a workbook, or why not), ``render_roster_use``
says it; ``roster_columns`` says which roster columns fill which workbook column;
``identify`` takes the county name and year from the roster where nobody gave them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import InputError
from .keys import match_keys
from .policy import Policy
from .schema import HOUSEHOLDS, MEMBERS, SHEETS_BY_KEY, Sheet
from .workbook.headers import Matcher, normalise_header
from .workbook.read import read_sheet_table, read_workbook


@dataclass(frozen=True)
class UnusedRow:
    """A roster row no township workbook holds."""

    #: The roster sheet the row is on, and its row number there (a frame's index label when
    #: the roster was given as frames).
    sheet: str
    row: int
    #: Why, in Chinese (ends with 未写入任何乡镇工作簿).
    reason: str
    #: False when the row's township was just not asked for (--township): no data problem.
    problem: bool = True
    #: That township (only when ``problem`` is False).
    township: str = ""


@dataclass(frozen=True)
class RosterUse:
    """Where every row of the roster went: written into a township workbook, or not (why)."""

    #: (roster sheet, rows read, rows written), in roster order.
    sheets: tuple[tuple[str, int, int], ...]
    unused: tuple[UnusedRow, ...]

    @property
    def read(self) -> int:
        return sum(n for _, n, _ in self.sheets)

    @property
    def written(self) -> int:
        return sum(n for _, _, n in self.sheets)

    @property
    def problems(self) -> list[UnusedRow]:
        return [u for u in self.unused if u.problem]



_NOT_WRITTEN = "，未写入任何乡镇工作簿"
_NOT_ASKED = "不在本次指定的乡镇（--township）中"
#: Row ranges listed per township not asked for, before "等".
_SHOWN_RANGES = 10


def roster_use(roster: Roster, wanted: list[str], written: Mapping[str, list[pd.Index]]) -> RosterUse:
    """Each roster row: written into some township workbook, or why not (vectorised per sheet)."""
    done = {key: _union(written.get(key, [])) for key in roster.frames}
    households = roster.frames["households"]
    home = roster.sheets["households"]
    # Why rows were not written, per role a row plays (a household, a repeat of one, a member
    # or a row of another sheet): frames of reason, problem and township by roster row.
    why: list[tuple[str, pd.DataFrame]] = []

    rows = households.index.difference(done["households"])
    town = households["township"].reindex(rows).astype("string").str.strip()
    blank = (town.isna() | town.eq("")).to_numpy(dtype=bool)
    reason = ("乡镇“" + town.fillna("") + "”" + _NOT_ASKED).astype(object)
    reason[blank] = "乡镇为空"
    unwritten = pd.DataFrame({"reason": reason, "problem": blank, "township": town.fillna("")}, index=rows)
    why.append((home, unwritten))
    if len(roster.repeats):
        keys = households["household_no"].reindex(roster.repeats.to_numpy()).astype(str).to_numpy()
        text = [f"户编号“{k}”与第 {r} 行重复（同一户只写入一次）" for k, r in zip(keys, roster.repeats, strict=True)]
        why.append((home, pd.DataFrame({"reason": text, "problem": True, "township": ""}, index=roster.repeats.index)))

    hh_keys = match_keys(households["household_no"]) if "household_no" in households.columns else None
    for key, frame in roster.frames.items():
        if key == "households":
            continue
        name = roster.sheets[key]
        rows = frame.index.difference(done[key])
        if hh_keys is None or "household_no" not in frame.columns:
            why.append((name, pd.DataFrame({"reason": "没有“户编号”列，无法对应到监测户", "problem": True,
                                            "township": ""}, index=rows)))
            continue
        keys = match_keys(frame["household_no"]).reindex(rows)
        # A household not written, by its key: its first row and why it was not written.
        household = unwritten.assign(key=hh_keys.reindex(unwritten.index), row=unwritten.index)
        household = household[household["key"].notna()].drop_duplicates("key").set_index("key")
        follows = household.reindex(keys.to_numpy()).set_axis(rows)
        where = "" if name == home else f"“{home}”"
        reason = ("所在户（户编号“" + keys.astype(str) + "”，" + where + "第 "
                  + follows["row"].astype("Int64").astype(str) + " 行）" + follows["reason"].astype(str))
        known = keys.isin(set(hh_keys.dropna())).to_numpy(dtype=bool)
        reason[~known] = ("户编号“" + keys[~known].astype(str) + "”不在名单的监测户中").astype(object)
        reason[keys.isna().to_numpy(dtype=bool)] = "户编号为空，无法对应到监测户"
        found = known & follows["row"].notna().to_numpy(dtype=bool)
        why.append((name, pd.DataFrame({
            "reason": reason.astype(object),
            "problem": np.where(found, follows["problem"].fillna(True).astype(bool), True),
            "township": follows["township"].where(found, "").fillna(""),
        }, index=rows)))

    # A list of persons gives each row a household only through the first person of it: a
    # row is written when its person is.
    person_list = roster.sheets.get("members") == home
    unused: list[UnusedRow] = []
    sheets = []
    for name, every in roster.rows.items():
        keys = [k for k in roster.frames if roster.sheets[k] == name and not (person_list and k == "households")]
        kept = _union([done[k] for k in keys])
        reasons = pd.concat([frame for sheet, frame in why if sheet == name])
        reasons = reasons[~reasons.index.duplicated()]  # the first role's reason (the household's)
        left = every.difference(kept)
        table = reasons.reindex(left)
        sheets.append((name, len(every), len(every) - len(left)))
        problem = table["problem"].astype(object).fillna(True).astype(bool).to_numpy()
        unused += [UnusedRow(name, int(row), f"{reason if isinstance(reason, str) else '原因不明'}{_NOT_WRITTEN}",
                             bool(bad), "" if bad else str(township))
                   for row, reason, bad, township in zip(left, table["reason"], problem, table["township"],
                                                          strict=True)]
    return RosterUse(tuple(sheets), tuple(unused))


def _union(parts: Iterable[pd.Index]) -> pd.Index:
    out = pd.Index([], dtype="int64")
    for part in parts:
        out = out.union(part)
    return out


def _row_ranges(rows: list[int]) -> str:
    """4、6–9、12 (at most ``_SHOWN_RANGES`` runs, then 等)."""
    runs: list[list[int]] = []
    for row in sorted(rows):
        if runs and row == runs[-1][1] + 1:
            runs[-1][1] = row
        else:
            runs.append([row, row])
    texts = [str(a) if a == b else f"{a}–{b}" for a, b in runs]
    return "、".join(texts[:_SHOWN_RANGES]) + ("等" if len(texts) > _SHOWN_RANGES else "")


def render_roster_use(use: RosterUse) -> list[str]:
    """The lines ``template --roster`` prints: the count that adds up, then each row not
    written with its row number and reason (a township not asked for: its rows together)."""
    many = len([s for s in use.sheets if s[1]]) > 1
    line = f"名单 {use.read} 行 = 写入 {use.written} 行 + 未写入 {use.read - use.written} 行"
    if many:
        line += "（" + "，".join(f"“{name}” {read} = {done} + {read - done}" for name, read, done in use.sheets) + "）"
    lines = [line]
    if not use.unused:
        return lines
    lines.append("未写入的行：")
    asked: dict[tuple[str, str], list[int]] = {}
    for row in use.unused:
        where = f"“{row.sheet}”" if many else ""
        if row.problem:
            lines.append(f"  {where}第 {row.row} 行：{row.reason}")
        else:
            asked.setdefault((row.sheet, row.township), []).append(row.row)
    for (sheet, township), rows in asked.items():
        where = f"“{sheet}”" if many else ""
        lines.append(f"  {where}乡镇“{township}”的 {len(rows)} 行（第 {_row_ranges(rows)} 行）：{_NOT_ASKED}"
                     f"{_NOT_WRITTEN}")
    return lines


#: Headers of the county column in a roster (normalised), e.g. the national export's 县(市、区、旗).
_COUNTY_HEADERS = ("县", "县(市、区、旗)", "县(市、区)", "县市区", "县区")


def identify(policy: Policy, roster=None) -> Policy:
    """The policy with the county name and year a roster file gives where the county gave
    none (``Policy.given``): its 参数 sheet, else the one value of its 县 column."""
    from .workbook.read import read_policy_values

    if roster is None or isinstance(roster, pd.DataFrame | Mapping):
        return policy
    path = Path(roster)
    if policy.given("county") and policy.given("year"):
        return policy
    found: dict[str, object] = {}
    values = read_policy_values(path)
    if values:
        found = {key: values.get(key) for key in ("county", "year") if values.get(key) not in (None, "")}
    if "county" not in found:
        table, _ = read_sheet_table(path)
        for header in table.columns:
            if normalise_header(str(header)) in _COUNTY_HEADERS:
                names = pd.unique(table[header].dropna().astype(str).str.strip())
                names = [n for n in names if n]
                if len(names) == 1:
                    found["county"] = names[0]
                break
    changes: dict[str, object] = {}
    if "county" in found and not policy.given("county"):
        changes["county"] = str(found["county"])
    if "year" in found and not policy.given("year"):
        try:
            changes["year"] = int(float(str(found["year"])))
        except ValueError:
            pass
    if not changes:
        return policy
    return replace(policy, **changes, set_keys=policy.set_keys | set(changes))  # type: ignore[arg-type]


@dataclass
class Roster:
    """A roster as frames by sheet key, each row's index its row number in the roster."""

    frames: dict[str, pd.DataFrame]
    #: Sheet key → the roster sheet its rows come from (one sheet for a list of persons).
    sheets: dict[str, str]
    #: Roster sheet → all its data rows.
    rows: dict[str, pd.Index]
    #: A one-row-per-household list's rows repeating a 户编号 → the row first giving it.
    repeats: pd.Series


def roster_frames(roster) -> Roster:
    if isinstance(roster, pd.DataFrame):
        frames = {"households": roster}
    elif isinstance(roster, Mapping):
        unknown = set(roster) - set(SHEETS_BY_KEY)
        if unknown:
            raise ValueError(f"unknown sheet keys: {sorted(unknown)}")
        frames = dict(roster)
    else:
        path = Path(roster)
        data = read_workbook(path, read_policy=False)
        if "households" in data.sheets and data.sheets["households"].header_row:
            read = {key: sheet for key, sheet in data.sheets.items() if sheet.header_row}
            kept, repeats = _drop_repeats({key: sheet.frame for key, sheet in read.items()})
            return Roster(_fresh(kept), {key: sheet.name for key, sheet in read.items()},
                           {sheet.name: sheet.frame.index for sheet in read.values()}, repeats)
        table, _ = read_sheet_table(path)
        frames, repeats = _roster_from_table(table, path.name)
        name = str(table.attrs.get("sheet", ""))
        return Roster(_fresh(frames), dict.fromkeys(frames, name), {name: table.index}, repeats)
    # Frames handed over in code: their index labels are the row numbers, when they can be.
    frames = {key: frame if frame.index.is_unique else frame.reset_index(drop=True) for key, frame in frames.items()}
    names = {key: SHEETS_BY_KEY[key].name for key in frames}
    kept, repeats = _drop_repeats(frames)
    return Roster(_fresh(kept), names, {names[key]: frame.index for key, frame in frames.items()}, repeats)


def _drop_repeats(frames: Mapping[str, pd.DataFrame]) -> tuple[dict[str, pd.DataFrame], pd.Series]:
    """A 监测户 sheet is one row per household: a row repeating an earlier 户编号 is not
    written again (row → the row first giving it, listed as not written)."""
    out = dict(frames)
    households = out.get("households")
    if households is None or "household_no" not in households.columns:
        return out, pd.Series(dtype="int64")
    keys = match_keys(households["household_no"])
    repeated = (keys.duplicated() & keys.notna()).to_numpy(dtype=bool)
    first = pd.Series(households.index, index=keys.to_numpy())
    first = first[first.index.notna() & ~first.index.duplicated()]
    out["households"] = households[~repeated]
    return out, pd.Series(keys[repeated].map(first).to_numpy(dtype="int64"), index=households.index[repeated])


def _fresh(frames: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Computed values of an old workbook would be stale: the new one recalculates them."""
    return {
        key: frame.drop(columns=[c.key for c in SHEETS_BY_KEY[key].computed_columns], errors="ignore")
        for key, frame in frames.items()
    }


def read_roster(path: str | Path) -> dict[str, pd.DataFrame]:
    """The county roster in ``path`` as frames by sheet key.

    A workbook with a 监测户 sheet (a township or county workbook) is read
    with the schema reader. Any other workbook is read as one generic table
    (the first sheet with data; title rows above the header are skipped) and
    its headers are matched with the schema names and synonyms: a list with
    one row per person (like the national monitoring system's export) gives
    one household per 户编号 (the first row's household columns; 户主姓名 and
    户主身份证号 from the 户主 row; 家庭人口 by count when absent) and the
    家庭成员 rows.
    """
    return roster_frames(Path(path)).frames


def _schema_columns(table: pd.DataFrame, sheet: Sheet) -> pd.DataFrame:
    """The columns of ``table`` whose header names one of ``sheet``'s input columns: by name or
    synonym, units in brackets ignored, else by the loose form (``headers.loose_header``:
    家庭年人均纯收入 is 人均纯收入, 是否享受低保 is 低保). The first such column wins."""
    return pd.DataFrame({key: table[header] for key, header in _roster_matches(table, sheet).items()},
                        index=table.index)


def _roster_matches(table: pd.DataFrame, sheet: Sheet) -> dict[str, str]:
    """Schema key → the roster header that fills it."""
    matcher = Matcher(sheet, sheet.input_columns)
    picked: dict[str, str] = {}
    for header in table.columns:
        hit = matcher.resolve(normalise_header(str(header)))
        if hit is not None and hit[0] not in picked:
            picked[hit[0]] = header
    return picked


@dataclass(frozen=True)
class RosterColumns:
    """What a roster's columns gave the workbooks (``template --roster`` says it)."""

    #: (roster header, the workbook column it fills), in roster order.
    used: tuple[tuple[str, str], ...]
    #: Roster headers no workbook column takes.
    ignored: tuple[str, ...]
    #: Required 监测户 columns the roster cannot fill (the townships fill them in).
    unfilled: tuple[str, ...]


def roster_columns(path: str | Path) -> RosterColumns:
    """Which columns of the roster in ``path`` fill which workbook columns, and which do not."""
    data = read_workbook(Path(path), read_policy=False)
    households = data.sheets.get("households")
    if households is not None and households.header_row:
        used = tuple((households.headers[key], HOUSEHOLDS.column(key).header)
                     for key in households.headers if key in {c.key for c in HOUSEHOLDS.input_columns})
        ignored = tuple(households.headers[name] for name in households.extras)
        found = set(households.headers)
    else:
        table, _ = read_sheet_table(Path(path))
        picks = {**{h: (MEMBERS, k) for k, h in _roster_matches(table, MEMBERS).items()},
                 **{h: (HOUSEHOLDS, k) for k, h in _roster_matches(table, HOUSEHOLDS).items()}}
        used = tuple((str(h), f"{picks[h][0].name}·{picks[h][0].column(picks[h][1]).header}")
                     for h in table.columns if h in picks)
        ignored = tuple(str(h) for h in table.columns if h not in picks)
        found = {key for sheet, key in picks.values() if sheet is HOUSEHOLDS}
        members = {key for sheet, key in picks.values() if sheet is MEMBERS}
        # A per-person list gives the head's name and ID and the household size.
        if "relation" in members:
            found |= {"head_name"} if "name" in members else set()
            found |= {"head_id"} if "id_number" in members else set()
        if members & {"name", "id_number"}:
            found.add("household_size")
    unfilled = tuple(c.header for c in HOUSEHOLDS.input_columns if c.required and c.key not in found)
    return RosterColumns(used, ignored, unfilled)


def _roster_from_table(table: pd.DataFrame, file: str) -> tuple[dict[str, pd.DataFrame], pd.Series]:
    """(frames by sheet key, the rows that only repeat a household of a list without members:
    row → the row first giving its 户编号)."""
    households = _schema_columns(table, HOUSEHOLDS)
    for key, header in (("household_no", "户编号"), ("township", "乡镇")):
        if key not in households.columns:
            raise InputError(f"县级花名册 {file} 中找不到“{header}”列，无法按乡镇生成工作簿。")
    members = _schema_columns(table, SHEETS_BY_KEY["members"])
    keys = match_keys(households["household_no"])
    persons = bool({"name", "id_number"} & set(members.columns))
    # A person without 户编号 belongs to no household (listed as not written); a household
    # without one is still a household (validate then asks for its number).
    first = ~keys.duplicated()
    first = first & keys.notna() if persons else first | keys.isna()
    frames = {"households": households[first.to_numpy(dtype=bool)].copy()}
    repeats = pd.Series(dtype="int64")
    if not persons:
        firsts = pd.Series(frames["households"].index, index=keys[first].to_numpy())
        firsts = firsts[firsts.index.notna()]
        repeated = ~first.to_numpy(dtype=bool)
        repeats = pd.Series(keys[repeated].map(firsts).to_numpy(dtype="int64"), index=table.index[repeated])
    else:
        members = members.assign(household_no=households["household_no"])
        frames["members"] = members
        heads = members[members.get("relation", pd.Series(None, index=members.index)) == "户主"]
        head_keys = match_keys(heads["household_no"])
        hh_keys = match_keys(frames["households"]["household_no"])
        for target, source in (("head_name", "name"), ("head_id", "id_number")):
            if target not in households.columns and source in heads.columns:
                by_key = pd.Series(heads[source].to_numpy(), index=head_keys.to_numpy())
                by_key = by_key[~by_key.index.duplicated()]
                frames["households"][target] = hh_keys.map(by_key).to_numpy()
        if "household_size" not in households.columns:
            sizes = match_keys(members["household_no"]).value_counts()
            frames["households"]["household_size"] = hh_keys.map(sizes).to_numpy()
    return frames, repeats


def township_frames(frames: Mapping[str, pd.DataFrame], township: str) -> dict[str, pd.DataFrame]:
    """The rows of ``township``'s households and the rows linked to them by 户编号 (index kept:
    the roster's row numbers)."""
    households = frames["households"]
    mine = households["township"].astype("string").str.strip() == township
    selected = households[mine.fillna(False).to_numpy(dtype=bool)]
    keys = set(match_keys(selected["household_no"]).dropna()) if "household_no" in selected else set()
    out = {"households": selected}
    for key, frame in frames.items():
        if key == "households" or "household_no" not in frame.columns:
            continue
        linked = match_keys(frame["household_no"]).isin(keys).fillna(False).to_numpy(dtype=bool)
        out[key] = frame[linked]
    return out
