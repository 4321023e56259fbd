"""Top-down screening (自上而下): department records matched to household members by ID number.

Pure and vectorised (one ``validate_ids`` over every record, an index lookup,
groupby for the sums): no loop over records. ``screen`` takes the department
tables as read (``DepartmentTable``) and the household register of one
township or county workbook (``Register``) and returns a ``Screening``:

* every record lands in exactly one of: **身份证号无效** (the ID does not
  validate; the validator's reason), **未匹配** (a valid ID that is no member
  of any household), **数据无法使用** (a member's record whose date or amount
  cannot be used: unreadable or empty cells, negative amounts, reimbursement
  above the total), or **匹配** and usable — then inside the window or not.
  Read = 匹配 + 未匹配 + 身份证号无效 per file, asserted;
* a member is anyone on 家庭成员 with a valid ID, and every head on 监测户 (a
  head left off 家庭成员 still counts). An ID registered twice belongs to its
  first household (validate reports the duplicate);
* **the window** is ``derive.spending_window(as_of)``: EDATE(as_of, −统计期)
  < date <= as_of, the workbook's own semantics;
* **amounts** (``record_amounts``): 医保 个人自付, else 医疗总费用 − 统筹支付;
  教育 学费 + 住宿费 + 教材费; 交警/消防/民政/产业 损失 − 保险赔付 − 救助,
  never below 0; per household and kind, the sum over every member's records
  in the window, rounded to the fen;
* **eligibility** is ``rules.check_households`` with the household's group
  and income and *the department sums alone*. The household's own 支出 is
  not added: townships record the same hospital bills and school fees the
  departments list (支出's 来源 column says 医保, 教育 …), so adding would
  count them twice, and what the 支出 sheet shows is judged by the
  workbook's own 资格判定 already. It is shown beside the department sum
  (支出表同期登记) for the clerk to compare;
* a **candidate** (疑似防贫对象) is a household judged 符合 and a kind whose
  condition the department data meets; one row per household and kind,
  with the records that made it, and its open cases of that kind
  (状态 not 已支付 / 已终止) named under 已有在办案件; sorted by township, then
  village, then household, in the order the workbook lists them (the order
  clerks know; code-point order of Chinese names means nothing to them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import rules
from .derive import round_fen, spending_window
from .ids import validate_ids
from .policy import KIND_FIELDS, SPENDING_KINDS, Policy
from .screening_schema import AMOUNT_KEYS, CANDIDATES, DEPARTMENTS_BY_KEY, FOUND_WAY
from .text import number_texts

IN_WINDOW, BEFORE_WINDOW, AFTER_AS_OF = "统计期内", "早于统计期", "晚于筛查基准日"
REASON_UNMATCHED = "监测户和家庭成员中没有此身份证号"
CLOSED_STAGES = ("已支付", "已终止")
#: Records named in one candidate's 部门记录明细; the rest are on 匹配记录.
EVIDENCE_LIMIT = 20
_SEP = "；"


@dataclass(frozen=True)
class DepartmentTable:
    """One department file as read: its records and where they came from."""

    #: ``screening_schema.DEPARTMENTS_BY_KEY`` key ("medical" …).
    department: str
    file: str
    sheet: str
    header_row: int
    #: Department sheet keys as columns (MONEY float, DATE datetime64, ID as read), index = Excel row.
    frame: pd.DataFrame
    #: key → column letter; key → header text as in the file.
    columns: Mapping[str, str]
    headers: Mapping[str, str]
    #: Excel row → what could not be read in it ("E5“个人自付”“五千”不是金额"), for rows with such cells.
    unreadable: Mapping[int, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return DEPARTMENTS_BY_KEY[self.department].label


@dataclass(frozen=True)
class Register:
    """The households and members of one township or county workbook.

    ``households``: key (any hashable text identifying the household), township,
    village, household_no, head_name, group, income_per_capita and the recorded
    spending columns ``medical`` … (optional). ``members``: key, id (a valid,
    normalised ID number), name, relation. ``cases``: key, kind, case_no, stage.
    """

    households: pd.DataFrame
    members: pd.DataFrame
    cases: pd.DataFrame | None = None


@dataclass
class SourceCount:
    department: str
    file: str
    sheet: str
    header_row: int
    read: int = 0
    in_window: int = 0
    outside: int = 0
    unusable: int = 0
    unmatched: int = 0
    invalid: int = 0

    @property
    def matched(self) -> int:
        return self.in_window + self.outside + self.unusable

    @property
    def balanced(self) -> bool:
        return self.read == self.matched + self.unmatched + self.invalid

    def as_dict(self) -> dict:
        return {"department": self.department, "file": self.file, "sheet": self.sheet,
                "header_row": self.header_row, "read": self.read, "matched": self.matched,
                "in_window": self.in_window, "outside": self.outside, "unusable": self.unusable,
                "unmatched": self.unmatched, "invalid": self.invalid}


@dataclass(frozen=True)
class Screening:
    as_of: dt.date
    #: (start, end): a record counts when start < date <= end.
    window: tuple[dt.date, dt.date]
    #: Frames keyed like ``screening_schema`` CANDIDATES, MATCHED, UNMATCHED, INVALID, UNUSABLE.
    candidates: pd.DataFrame
    matched: pd.DataFrame
    unmatched: pd.DataFrame
    invalid: pd.DataFrame
    unusable: pd.DataFrame
    counts: list[SourceCount]

    def total(self) -> SourceCount:
        out = SourceCount("合计", "", "", 0)
        for c in self.counts:
            for name in ("read", "in_window", "outside", "unusable", "unmatched", "invalid"):
                setattr(out, name, getattr(out, name) + getattr(c, name))
        return out

    @property
    def open_case_rows(self) -> int:
        return int((self.candidates["open_cases"] != "").sum())


# -- amounts ------------------------------------------------------------------------------

def record_amounts(records: pd.DataFrame, detail_rows: np.ndarray | None = None
                   ) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(amount, detail, problem) per record of ``records`` (columns ``kind`` and ``AMOUNT_KEYS``).

    ``amount`` is what a record counts, rounded to the fen (NaN where it
    cannot be made); ``detail`` how it was made ("医疗总费用 20000 元 − 统筹支付
    8000 元 = 12000 元"), only for ``detail_rows`` (a mask; default every row);
    ``problem`` the kind-specific reason it cannot be used ("" where it can).
    Negative inputs are left to the caller (which names their cells).
    """
    kind = records["kind"].to_numpy(dtype=object)
    value = {k: records[k].to_numpy(dtype="float64") for k in AMOUNT_KEYS}
    index = records.index
    amount = np.full(len(index), np.nan)
    problem = pd.Series("", index=index, dtype=object)

    medical = kind == "因病"
    own = medical & ~np.isnan(value["self_paid"])
    both = medical & ~own & ~np.isnan(value["total"]) & ~np.isnan(value["reimbursed"])
    amount[own] = value["self_paid"][own]
    amount[both] = value["total"][both] - value["reimbursed"][both]
    problem[medical & ~own & ~both] = "没有个人自付金额，也没有可相减的医疗总费用和统筹支付"
    over = both & (amount < 0)
    if over.any():
        problem[over] = ("统筹支付 " + _texts(value["reimbursed"][over]) + " 元大于医疗总费用 "
                         + _texts(value["total"][over]) + " 元")

    school = kind == "因学"
    present = sum((school & ~np.isnan(value[key])).astype(np.int64) for key, _ in _SCHOOL_PARTS)
    usable = school & (present > 0)
    amount[usable] = sum(np.nan_to_num(value[key][usable]) for key, _ in _SCHOOL_PARTS)
    problem[school & (present == 0)] = "学费、住宿费、教材费都为空"

    loss_kind = np.isin(kind, ("因意外", "因产业"))
    has_loss = loss_kind & ~np.isnan(value["loss"])
    raw = value["loss"] - np.nan_to_num(value["insurance"]) - np.nan_to_num(value["aid"])
    amount[has_loss] = np.maximum(raw[has_loss], 0.0)
    problem[loss_kind & ~has_loss] = "损失金额为空"
    amount = round_fen(amount)

    wanted = np.ones(len(index), dtype=bool) if detail_rows is None else np.asarray(detail_rows, dtype=bool)
    detail = pd.Series("", index=index, dtype=object)

    def put(mask: np.ndarray, make) -> None:
        rows = mask & wanted
        if rows.any():
            detail[rows] = make(rows)

    put(own, lambda rows: "个人自付 " + _texts(amount[rows]) + " 元")
    put(both & ~over, lambda rows: "医疗总费用 " + _texts(value["total"][rows]) + " 元 − 统筹支付 "
        + _texts(value["reimbursed"][rows]) + " 元 = " + _texts(amount[rows]) + " 元")
    put(usable, lambda rows: _school_text(value, rows) + " = " + _texts(amount[rows]) + " 元")
    put(has_loss, lambda rows: _loss_text(value, rows) + " = " + _texts(amount[rows]) + " 元"
        + np.where(raw[rows] < 0, "，不足 0 按 0 计", ""))
    return pd.Series(amount, index=index), detail, problem


_SCHOOL_PARTS = (("tuition", "学费"), ("accommodation", "住宿费"), ("textbooks", "教材费"))


def _texts(values: np.ndarray) -> np.ndarray:
    return number_texts(pd.Series(values)).to_numpy(dtype=object)


def _school_text(value: dict[str, np.ndarray], rows: np.ndarray) -> np.ndarray:
    text = np.full(int(rows.sum()), "", dtype=object)
    for key, label in _SCHOOL_PARTS:
        numbers = value[key][rows]
        has = ~np.isnan(numbers)
        piece = label + " " + _texts(numbers[has])
        text[has] = np.where(text[has] == "", piece, text[has] + " + " + piece)
    return text


def _loss_text(value: dict[str, np.ndarray], rows: np.ndarray) -> np.ndarray:
    text = "损失 " + _texts(value["loss"][rows])
    for key, label in (("insurance", "保险赔付"), ("aid", "救助")):
        numbers = value[key][rows]
        has = ~np.isnan(numbers)
        text[has] = text[has] + " − " + label + " " + _texts(numbers[has])
    return text


# -- screening --------------------------------------------------------------------------------

def screen(tables: Sequence[DepartmentTable], register: Register, *, policy: Policy,
           as_of: dt.date, today: dt.date | None = None) -> Screening:
    """Match, sum and judge (see the module docstring)."""
    start, end = spending_window(as_of, policy)
    records = _records(tables)
    n = len(records)
    checked = validate_ids(records["id_raw"], today=today)
    valid = checked["valid"].to_numpy(dtype=bool)
    ids = checked["normalized"].to_numpy(dtype=object)

    members = _members(register.members)
    position = pd.Index(members["id"]).get_indexer(np.where(valid, ids, None))
    matched = valid & (position >= 0)
    at = np.where(matched, position, 0)
    key = np.where(matched, members["key"].to_numpy(dtype=object)[at], None)
    records["key"] = key
    records["id"] = np.where(valid, ids, None)
    records["member_name"] = np.where(matched, members["name"].to_numpy(dtype=object)[at], None)

    amount, detail, problem = record_amounts(records, detail_rows=matched)
    problem = _problems(records, tables, matched, problem)
    usable = matched & (problem == "").to_numpy()
    date = records["date"]
    inside = usable & ((date > start) & (date <= end)).to_numpy()
    records["amount"], records["detail"], records["problem"] = amount, detail, problem

    # Per household and kind: the window's sums; then the rules over the households concerned.
    used = records[inside]
    sums = used.groupby(["key", "kind"], sort=False)["amount"].sum()
    households = _households(register.households)
    judged = _judge(households, sums, policy)
    listed_pairs = _listed(judged)

    candidates = _candidates(records, inside, judged, listed_pairs, households, register.cases)
    status_of = judged["status"] if len(judged) else pd.Series(dtype=object)
    window_text = np.select(
        [inside, usable & (date <= start).to_numpy()], [IN_WINDOW, BEFORE_WINDOW], AFTER_AS_OF)
    pair = pd.MultiIndex.from_arrays([records["key"], records["kind"]])
    listed = inside & pair.isin(listed_pairs)
    out = {
        "matched": _matched_frame(records, usable, members, position, households, window_text,
                                  status_of, listed),
        "unmatched": _source_frame(records, valid & ~matched).assign(
            id_number=records["id"][valid & ~matched], record_name=records["name"][valid & ~matched],
            kind=records["kind"][valid & ~matched], date=date[valid & ~matched],
            amount=amount[valid & ~matched], reason=REASON_UNMATCHED),
        "invalid": _invalid_frame(tables, records, ~valid, checked["error"].to_numpy(dtype=object)),
        "unusable": _unusable_frame(records, matched & ~usable, members, position, households),
    }
    counts = _counts(tables, records["source"].to_numpy(), valid, matched, usable, inside)
    if sum(c.read for c in counts) != n or not all(c.balanced for c in counts):
        raise RuntimeError("screening record accounting broken")
    return Screening(as_of=as_of, window=(start.date(), end.date()), candidates=candidates, counts=counts,
                     **out)


def _records(tables: Sequence[DepartmentTable]) -> pd.DataFrame:
    parts = []
    for i, table in enumerate(tables):
        frame = table.frame
        rows = frame.index.to_numpy(dtype=np.int64)
        part = pd.DataFrame({
            "source": np.full(len(frame), i, dtype=np.int64),
            "row": rows,
            "id_raw": frame["id_number"].to_numpy(dtype=object) if "id_number" in frame.columns
            else np.full(len(frame), None, dtype=object),
            "name": frame["name"].to_numpy(dtype=object) if "name" in frame.columns
            else np.full(len(frame), None, dtype=object),
            # By day, as the household workbook's windows (a discharge at 15:30 on the 筛查基准日 counts).
            "date": pd.to_datetime(frame["date"]).dt.normalize().to_numpy(dtype="datetime64[ns]")
            if "date" in frame.columns else np.full(len(frame), np.datetime64("NaT", "ns")),
            "kind": DEPARTMENTS_BY_KEY[table.department].kind,
            "department_label": table.label, "file": table.file, "sheet": table.sheet,
        })
        for k in AMOUNT_KEYS:
            part[k] = frame[k].to_numpy(dtype="float64") if k in frame.columns and k in table.columns \
                else np.full(len(frame), np.nan)
        part["unreadable"] = pd.Series(rows).map(table.unreadable).fillna("").to_numpy(dtype=object) \
            if table.unreadable else ""
        parts.append(part)
    if not parts:
        raise ValueError("no department tables")
    return pd.concat(parts, ignore_index=True)


def _invalid_frame(tables: Sequence[DepartmentTable], records: pd.DataFrame, mask: np.ndarray,
                   errors: np.ndarray) -> pd.DataFrame:
    """身份证号无效: the cell, the number as it stood and the validator's reason."""
    out = _source_frame(records, mask)
    sub = records[mask]
    letters = {i: t.columns.get("id_number", "") for i, t in enumerate(tables)}
    out["cell"] = sub["source"].map(letters) + sub["row"].astype(str)
    # The rejected rows only: a number from a numeric cell shown as Excel shows it, text as typed.
    out["id_text"] = pd.Series([None if pd.isna(v) else f"{v:.15g}" if isinstance(v, float) else str(v)
                                for v in sub["id_raw"]], index=sub.index, dtype=object)
    out["record_name"] = sub["name"].to_numpy(dtype=object)
    out["reason"] = errors[mask]
    return out


def _problems(records: pd.DataFrame, tables: Sequence[DepartmentTable], matched: np.ndarray,
              problem: pd.Series) -> pd.Series:
    """Everything that makes a member's record unusable, naming the cells ("" where none)."""
    unreadable = records["unreadable"].astype(str).to_numpy(dtype=object)
    amounts = {k: records[k].to_numpy(dtype="float64") for k in AMOUNT_KEYS}
    negative = np.logical_or.reduce([a < 0 for a in amounts.values()])
    no_date = records["date"].isna().to_numpy() & (unreadable == "")
    kind_problem = problem.to_numpy(dtype=object) != ""
    bad = matched & (negative | no_date | kind_problem | (unreadable != ""))
    out = pd.Series("", index=records.index, dtype=object)
    if not bad.any():
        return out
    sub = records[bad]

    def where(key: str, mask: np.ndarray) -> pd.Series:
        """"E5“个人自付”" for the rows of ``sub`` selected by ``mask``."""
        rows = sub[mask]
        letters = {i: t.columns.get(key, "") for i, t in enumerate(tables)}
        headers = {i: t.headers.get(key, key) for i, t in enumerate(tables)}
        return (rows["source"].map(letters) + rows["row"].astype(str) + "“" + rows["source"].map(headers)
                + "”")

    pieces = [pd.Series(unreadable[bad], index=sub.index, dtype=object)]
    piece = pd.Series("", index=sub.index, dtype=object)
    empty = no_date[bad]
    if empty.any():
        piece[empty] = where("date", empty) + "为空"
    pieces.append(piece)
    for k, values in amounts.items():
        neg = values[bad] < 0
        piece = pd.Series("", index=sub.index, dtype=object)
        if neg.any():
            piece[neg] = where(k, neg) + "为负数（" + number_texts(sub[k][neg]) + "）"
        pieces.append(piece)
    pieces.append(problem[bad])
    joined = pieces[0]
    for piece in pieces[1:]:
        joined = joined.where(piece == "", joined.where(joined == "", joined + _SEP) + piece)
    out[bad] = joined
    return out


def _members(members: pd.DataFrame) -> pd.DataFrame:
    """Members with a valid ID, the first household of an ID registered twice."""
    out = members[members["id"].notna().to_numpy()]
    return out[~out["id"].duplicated().to_numpy()].reset_index(drop=True)


def _households(households: pd.DataFrame) -> pd.DataFrame:
    """One row per household key (the first, where a 户编号 is entered twice), indexed by key."""
    out = households[households["key"].notna().to_numpy()]
    out = out[~out["key"].duplicated().to_numpy()]
    return out.set_index("key", drop=False)


def _judge(households: pd.DataFrame, sums: pd.Series, policy: Policy) -> pd.DataFrame:
    """The rules over the households with department spending in the window (index: key)."""
    keys = pd.unique(sums.index.get_level_values("key")) if len(sums) else np.array([], dtype=object)
    frame = pd.DataFrame(index=pd.Index(keys, name="key"))
    for kind, name in KIND_FIELDS.items():
        per = sums.xs(kind, level="kind") if kind in sums.index.get_level_values("kind") else None
        frame[name] = 0.0 if per is None else round_fen(per.reindex(frame.index).fillna(0.0).to_numpy())
    known = households.reindex(frame.index)
    frame["group"] = known["group"].to_numpy(dtype=object) if "group" in known else None
    frame["income_per_capita"] = known["income_per_capita"].to_numpy(dtype=object) \
        if "income_per_capita" in known else None
    checked = rules.check_households(frame, policy, conditions=True)
    return pd.concat([frame[list(KIND_FIELDS.values())], checked], axis=1)


def _listed(judged: pd.DataFrame) -> pd.MultiIndex:
    """(key, kind) of every candidate: 符合, and the kind's condition met by department data."""
    keys, kinds = [], []
    eligible = judged["status"].to_numpy(dtype=object) == rules.STATUS_ELIGIBLE
    for kind, name in KIND_FIELDS.items():
        met = eligible & judged[f"{name}_met"].to_numpy(dtype=bool)
        keys.append(judged.index.to_numpy(dtype=object)[met])
        kinds.append(np.full(int(met.sum()), kind, dtype=object))
    return pd.MultiIndex.from_arrays([np.concatenate(keys), np.concatenate(kinds)], names=["key", "kind"])


def _candidates(records: pd.DataFrame, inside: np.ndarray, judged: pd.DataFrame, pairs: pd.MultiIndex,
                households: pd.DataFrame, cases: pd.DataFrame | None) -> pd.DataFrame:
    columns = [c.key for c in CANDIDATES.columns]
    if not len(pairs):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    used = records[inside]
    used = used[pd.MultiIndex.from_arrays([used["key"], used["kind"]]).isin(pairs)]
    used = used.sort_values(["key", "kind", "date", "source", "row"], kind="stable")
    grouped = used.groupby(["key", "kind"], sort=False)
    group = grouped.ngroup().to_numpy()
    summary = pd.DataFrame({"records": grouped.size(), "amount": grouped["amount"].sum()})
    for name, column in (("departments", "department_label"), ("members", "member_name"), ("files", "file")):
        summary[name] = _group_join(group, used[column].fillna("").astype(str).to_numpy(dtype=object),
                                    "、", unique=True)
    rank = grouped.cumcount().to_numpy()
    first = used[rank < EVIDENCE_LIMIT]
    pieces = (first["department_label"] + " " + first["date"].dt.strftime("%Y-%m-%d") + " "
              + first["member_name"].fillna("").astype(str) + " " + first["detail"])
    summary["evidence"] = _group_join(group[rank < EVIDENCE_LIMIT], pieces.to_numpy(dtype=object), _SEP)
    more = summary["records"] > EVIDENCE_LIMIT
    summary.loc[more, "evidence"] = (summary.loc[more, "evidence"] + _SEP + "……共 "
                                     + summary.loc[more, "records"].astype(str) + " 条，见“匹配记录”工作表")
    summary = summary.reindex(pairs).reset_index()
    keys = summary["key"].to_numpy(dtype=object)
    hh = households.reindex(keys)
    kind = summary["kind"]
    out = pd.DataFrame({
        "township": hh["township"].to_numpy(dtype=object), "village": hh["village"].to_numpy(dtype=object),
        "household_no": hh["household_no"].to_numpy(dtype=object),
        "head_name": hh["head_name"].to_numpy(dtype=object), "group": hh["group"].to_numpy(dtype=object),
        "income_per_capita": pd.to_numeric(hh["income_per_capita"], errors="coerce").to_numpy(),
        "kind": kind.to_numpy(dtype=object), "found_way": FOUND_WAY,
        "departments": summary["departments"].to_numpy(dtype=object),
        "records": summary["records"].to_numpy(dtype=np.int64),
        "members": summary["members"].to_numpy(dtype=object),
        "amount": round_fen(summary["amount"].to_numpy(dtype="float64")),
        "recorded": _recorded(hh, kind),
        "met_text": judged["met_text"].reindex(keys).to_numpy(dtype=object),
        "reasons": judged["reasons"].reindex(keys).to_numpy(dtype=object),
        "open_cases": _open_cases(cases, summary),
        "evidence": summary["evidence"].to_numpy(dtype=object),
        "files": summary["files"].to_numpy(dtype=object),
    })
    # Townships, villages and households in the order the workbook lists them.
    position = pd.Series(np.arange(len(households)), index=households.index)
    town = households["township"].fillna("").astype(str)
    village = town + "\x1f" + households["village"].fillna("").astype(str)
    town_rank = town.map(position.groupby(town.to_numpy()).min())
    village_rank = village.map(position.groupby(village.to_numpy()).min())
    rank = kind.map({k: i for i, k in enumerate(SPENDING_KINDS)}).to_numpy()
    order = np.lexsort((rank, position.reindex(keys).to_numpy(), village_rank.reindex(keys).to_numpy(),
                        town_rank.reindex(keys).to_numpy()))
    return out.iloc[order].reset_index(drop=True)[columns]


def _group_join(group: np.ndarray, texts: np.ndarray, sep: str, *, unique: bool = False) -> np.ndarray:
    """``texts`` joined per group, in row order (``group``: codes 0..G-1 as ``ngroup`` gives them).

    ``unique`` keeps the first of repeated texts and drops empty ones. One
    vectorised step per rank within the groups (a handful), not per group.
    """
    count = int(group.max()) + 1 if len(group) else 0
    out = np.full(count, "", dtype=object)
    if unique:
        frame = pd.DataFrame({"g": group, "t": texts})
        keep = ~frame.duplicated().to_numpy() & (texts != "")
        group, texts = group[keep], texts[keep]
    rank = pd.Series(group).groupby(group).cumcount().to_numpy()
    for r in range(int(rank.max()) + 1 if len(rank) else 0):
        at = rank == r
        where = group[at]
        out[where] = texts[at] if r == 0 else out[where] + sep + texts[at]
    return out


def _recorded(hh: pd.DataFrame, kind: pd.Series) -> np.ndarray:
    out = np.full(len(kind), np.nan)
    for name, field_name in KIND_FIELDS.items():
        if field_name in hh.columns:
            sel = (kind == name).to_numpy()
            out[sel] = pd.to_numeric(hh[field_name], errors="coerce").to_numpy(dtype="float64")[sel]
    return out


def _open_cases(cases: pd.DataFrame | None, pairs: pd.DataFrame) -> np.ndarray:
    if cases is None or not len(cases):
        return np.full(len(pairs), "", dtype=object)
    stage = cases["stage"].fillna("").astype(str).str.strip()
    live = cases[(~stage.isin(CLOSED_STAGES)).to_numpy() & cases["key"].notna().to_numpy()]
    if not len(live):
        return np.full(len(pairs), "", dtype=object)
    label = live["case_no"].fillna("（无编号）").astype(str) + "（" + stage[live.index].replace("", "状态未填") + "）"
    text = label.groupby([live["key"], live["kind"]], sort=False).agg("、".join)
    found = text.reindex(pd.MultiIndex.from_frame(pairs[["key", "kind"]])).fillna("")
    return found.to_numpy(dtype=object)


def _source_frame(records: pd.DataFrame, mask: np.ndarray) -> pd.DataFrame:
    sub = records[mask]
    return pd.DataFrame({
        "department": sub["department_label"].to_numpy(dtype=object),
        "file": sub["file"].to_numpy(dtype=object), "sheet": sub["sheet"].to_numpy(dtype=object),
        "row": sub["row"].to_numpy(dtype=np.int64),
    }, index=sub.index)


def _member_columns(records: pd.DataFrame, mask: np.ndarray, members: pd.DataFrame, position: np.ndarray,
                    households: pd.DataFrame) -> dict[str, np.ndarray]:
    at = position[mask]
    keys = members["key"].to_numpy(dtype=object)[at]
    hh = households.reindex(keys)
    return {
        "township": hh["township"].to_numpy(dtype=object), "village": hh["village"].to_numpy(dtype=object),
        "household_no": np.where(pd.isna(hh["household_no"]).to_numpy(),
                                 members["household_no"].to_numpy(dtype=object)[at]
                                 if "household_no" in members else None,
                                 hh["household_no"].to_numpy(dtype=object)),
        "member_name": members["name"].to_numpy(dtype=object)[at],
        "relation": members["relation"].to_numpy(dtype=object)[at] if "relation" in members else None,
    }


def _matched_frame(records, usable, members, position, households, window_text, status_of, listed):
    out = _source_frame(records, usable)
    for name, values in _member_columns(records, usable, members, position, households).items():
        out[name] = values
    sub = records[usable]
    out["record_name"] = sub["name"].to_numpy(dtype=object)
    out["id_number"] = sub["id"].to_numpy(dtype=object)
    out["kind"] = sub["kind"].to_numpy(dtype=object)
    out["date"] = sub["date"].to_numpy()
    out["amount"] = sub["amount"].to_numpy(dtype="float64")
    out["detail"] = sub["detail"].to_numpy(dtype=object)
    out["window"] = window_text[usable]
    out["status"] = pd.Series(sub["key"].to_numpy(dtype=object)).map(status_of).fillna("").to_numpy(dtype=object)
    out["listed"] = np.where(listed[usable], "是", "否")
    return out


def _unusable_frame(records, mask, members, position, households):
    out = _source_frame(records, mask)
    member = _member_columns(records, mask, members, position, households)
    out["household_no"] = member["household_no"]
    out["member_name"] = member["member_name"]
    out["id_number"] = records["id"][mask].to_numpy(dtype=object)
    out["reason"] = records["problem"][mask].to_numpy(dtype=object)
    return out


def _counts(tables, source, valid, matched, usable, inside) -> list[SourceCount]:
    def per(mask: np.ndarray) -> np.ndarray:
        return np.bincount(source[mask], minlength=len(tables))

    read, invalid = per(np.ones(len(source), dtype=bool)), per(~valid)
    unmatched, unusable = per(valid & ~matched), per(matched & ~usable)
    in_window, outside = per(inside), per(usable & ~inside)
    return [
        SourceCount(t.label, t.file, t.sheet, t.header_row, int(read[i]), int(in_window[i]), int(outside[i]),
                    int(unusable[i]), int(unmatched[i]), int(invalid[i]))
        for i, t in enumerate(tables)
    ]
