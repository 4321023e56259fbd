"""The Python side of every computed column of a township workbook.

The templates compute these columns with native formulas (see
docs/WORKBOOK-LAYOUT.md); validate and merge compute them here, and a test
recalculates a template in LibreOffice and compares every cell with these
functions. So the rules below follow what the formulas do with each kind of
cell value:

* a row whose key cell (户编号, 案件编号 on 救助) is empty gets nothing ("" in
  the workbook; NaN / NaT / NA / "" here);
* household numbers match by ``keys.match_keys`` (letter case, width and spaces
  ignored; a number in a text column matches its text) — Excel's ``=`` ignores
  case only, so a key spelled in full-width in one sheet differs there;
* text left in a money or date column (what the reader could not coerce)
  counts as missing — ``SUMPRODUCT`` skips text amounts and a text date is not
  a number;
* spending sums are rounded to the fen like ``ROUND(x, 2)`` (halves away
  from zero), so a sum of fen amounts lands exactly on a threshold;
* the spending window is ``EDATE(核查基准日, −统计期) < 发生日期 <= 核查基准日`` by
  whole days: an event exactly 12 months before the check date is outside, one a
  day later is inside, and one on the check date is inside — whatever time of
  day a 发生日期 carries (2020-12-31 15:30 pasted from a hospital system counts
  on a check date of 2020-12-31; 2019-12-31 10:00 is still the excluded first
  day). Dates are normalised to the day before they are compared, and the
  formulas compare ``发生日期 >= EDATE(…)+1`` and ``发生日期 < INT(核查基准日)+1``;
* last visit: the latest valid 回访日期 of the household; next visit due: the
  last day of the calendar period (of ``回访间隔`` months: the quarter) after the
  last visit's, or after the 纳入监测日期's when there was no visit
  (``followup.visit_due_dates``; ``EOMONTH`` in the workbook);
* deadline: 发现日期 + 救助程序时限 by ``workdays.add_workdays_series`` (the same
  day-index mechanism as the 日历 sheet); days left: working days from the check
  date to the deadline (calendar days in 自然日 mode), negative when overdue,
  missing once the case is 已支付 or 已终止;
* notes: a computed cell that cannot compute says why and names the cell
  (``formulas.note_text``): a spending sum whose household has, for that
  kind, a text 发生日期, an amount without a date or a text amount inside the
  window (the first such row of 支出); 资格判定 for a blank or unknown
  户类型, a blank or non-number 人均可支配收入 (unless waived), else the first
  spending note; 办结时限 for a blank or non-number 发现日期. The numbers
  stay in their columns (a spending sum of the readable rows, NaT deadline);
  ``shown_households`` / ``shown_cases`` give what each cell shows. Cells
  are named by ``Place`` (the sheet name, each row's Excel row and each
  column's letter), by default the template's layout.

Everything is vectorised (groupby / map); no loop over rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import followup, rules, workdays
from .columns import column_of as _get
from .columns import excel_dates, excel_numbers
from .formulas import (
    BAD_FORMAT,
    FIRST_DATA_ROW,
    INCOMPLETE,
    IS_BLANK,
    IS_TEXT,
    NEVER_VISITED,
    NOT_A_CHOICE,
    SPENDING_PROBLEMS,
    note_text,
)
from .keys import match_keys
from .policy import GROUPS, INCOME_WAIVED_GROUP, KIND_FIELDS, SPENDING_KINDS, Policy
from .schema import CASES, HOUSEHOLDS, SPENDING, VISITS, Sheet
from .text import column_letter

#: The note of each spending sum and of the deadline (None where the cell computes).
SPENDING_NOTES: dict[str, str] = {field: f"{field}_note" for field in KIND_FIELDS.values()}
DEADLINE_NOTE = "deadline_note"
#: The note 最近回访日期 shows when a visit of the household has a 回访日期 typed as text.
VISIT_NOTE = "last_visit_note"
#: Output columns, in schema order, then the notes.
HOUSEHOLD_COLUMNS = (
    *KIND_FIELDS.values(), "status", "met_text", "reasons", "last_visit", "next_visit_due",
    *SPENDING_NOTES.values(), VISIT_NOTE,
)
CASE_COLUMNS = ("deadline", "days_left", DEADLINE_NOTE)
#: Case stages after which no deadline is counted.
CLOSED_STAGES = ("已支付", "已终止")



def default_check_date(policy: Policy) -> dt.date:
    """核查基准日 when none is given: 31 December of the policy year."""
    return dt.date(policy.year, 12, 31)


def spending_window(check_date, policy: Policy) -> tuple[pd.Timestamp, pd.Timestamp]:
    """(start, end), both at midnight: an event counts when start < its day <= end (EDATE
    semantics), its day being its date without the time of day (``Series.dt.normalize``)."""
    check = _check_timestamp(check_date)
    start = workdays.add_months(check.date(), -policy.spending_window_months)
    return pd.Timestamp(start), check


# -- cell values -------------------------------------------------------------------

@dataclass(frozen=True)
class Place:
    """Where a frame's rows stand in a workbook, to name cells in notes."""

    sheet: str
    #: The Excel row of each frame row.
    rows: np.ndarray
    #: Column key → letter.
    letters: Mapping[str, str]

    def cells(self, key: str, positions: np.ndarray) -> np.ndarray:
        """``E17``-style addresses (object array) of column ``key`` at frame positions ``positions``."""
        rows = np.asarray(self.rows)[positions].astype(np.int64).astype(str).astype(object)
        return self.letters.get(key, "") + rows


def _notes(prefix: str, sheet: str, cells: np.ndarray, header: str, what: str) -> np.ndarray:
    """``formulas.note_text`` over an array of cell addresses."""
    before, after = note_text(prefix, sheet, "\0", "", header, what).split("\0")
    return (before + np.asarray(cells, dtype=object) + after).astype(object)


def template_place(sheet: Sheet, n: int) -> Place:
    """The template's layout: data from row 3, columns in schema order."""
    letters = {c.key: column_letter(i) for i, c in enumerate(sheet.columns)}
    return Place(sheet.name, FIRST_DATA_ROW + np.arange(n, dtype=np.int64), letters)


BLANK, NUMBER, TEXT, OTHER = 0, 1, 2, 3


def cell_kinds(values: pd.Series, *, dates: bool = False) -> np.ndarray:
    """Per cell, as a formula sees it: BLANK (empty, or spaces only), NUMBER (a number;
    with ``dates`` also a date), TEXT, or OTHER (booleans …)."""
    values = pd.Series(values)
    n = len(values)
    missing = values.isna().to_numpy(dtype=bool)
    if pd.api.types.is_bool_dtype(values.dtype):
        return np.where(missing, BLANK, OTHER)
    if (pd.api.types.is_numeric_dtype(values.dtype)
            or pd.api.types.is_datetime64_any_dtype(values.dtype)):
        return np.where(missing, BLANK, NUMBER)
    objects = pd.Series(values.to_numpy(dtype=object), dtype=object)
    kinds = np.full(n, OTHER, dtype=np.int64)
    kinds[missing] = BLANK
    kind_of = objects[~missing].map(_kind_of_value).to_numpy(dtype=np.int64)
    kinds[~missing] = kind_of
    text = kinds == TEXT
    if text.any():
        blank = objects[text].str.strip(" ").eq("").to_numpy(dtype=bool)
        kinds[np.flatnonzero(text)[blank]] = BLANK
    if not dates:
        kinds[kinds == -1] = OTHER
    else:
        kinds[kinds == -1] = NUMBER
    return kinds


def _kind_of_value(value) -> int:
    if isinstance(value, str):
        return TEXT
    if isinstance(value, bool | np.bool_):
        return OTHER
    if isinstance(value, int | float | np.number):
        return NUMBER if np.isfinite(float(value)) else OTHER
    if isinstance(value, dt.date | np.datetime64):
        return -1  # a date: a number where a date belongs
    return OTHER


def _check_timestamp(check_date) -> pd.Timestamp:
    stamp = pd.Timestamp(check_date)
    if pd.isna(stamp):
        raise TypeError("check_date must be a date")
    return stamp.normalize()


# -- households ----------------------------------------------------------------------

def derive_households(
    households: pd.DataFrame,
    spending: pd.DataFrame | None,
    visits: pd.DataFrame | None,
    *,
    policy: Policy,
    check_date,
    places: Mapping[str, Place] | None = None,
) -> pd.DataFrame:
    """The computed columns of 监测户, index aligned with ``households``.

    Columns: medical, education, accident, industry (float; 0 when the household
    has no spending of that kind in the window), status, met_text, reasons (from
    ``rules.check_households``, or the note where the row has one), last_visit
    (datetime64, NaT when there was no visit), next_visit_due
    (``followup.visit_due_dates``: NaT without a visit and without a 纳入监测日期),
    the notes ``SPENDING_NOTES`` (None where the sum computes) and ``VISIT_NOTE``
    (a 回访日期 of the household typed as text; both visit dates are NaT then, as the
    formula shows no date it could not read). Rows without a 户编号 get NaN / "" /
    NaT. ``places`` ("households", "spending", "visits" → ``Place``) name the cells
    in notes; by default the template's layout.
    """
    places = dict(places or {})
    hh_place = places.get("households") or template_place(HOUSEHOLDS, len(households))
    keys = match_keys(_get(households, "household_no"))
    has_key = keys.notna().to_numpy(dtype=bool)
    out = spending_sums(keys, spending, policy=policy, check_date=check_date)
    out.index = households.index
    notes = spending_notes(keys, spending, policy=policy, check_date=check_date,
                           place=places.get("spending"))
    notes.index = households.index

    checked = rules.check_households(
        pd.DataFrame({
            "group": _get(households, "group").to_numpy(dtype=object),
            "income_per_capita": _get(households, "income_per_capita").to_numpy(dtype=object),
            **{field: out[field].to_numpy() for field in KIND_FIELDS.values()},
        }, index=households.index),
        policy,
    )
    note = household_notes(households, notes, hh_place)
    noted = note.notna().to_numpy(dtype=bool) & has_key
    for name in rules.OUTPUT_COLUMNS:
        column = checked[name].to_numpy(dtype=object)
        if name == "met_text":
            column = np.where(noted, "", column)
        else:
            column = np.where(noted, note.to_numpy(dtype=object), column)
        out[name] = np.where(has_key, column, "")

    v_keys = match_keys(_get(visits, "household_no"))
    v_dates = excel_dates(_get(visits, "visit_date"))
    valid = (v_keys.notna() & v_dates.notna()).to_numpy(dtype=bool)
    latest = (
        pd.DataFrame({"key": v_keys.to_numpy()[valid], "date": v_dates.to_numpy()[valid]})
        .groupby("key")["date"].max()
    )
    last = keys.map(latest) if len(latest) else pd.Series(pd.NaT, index=keys.index)
    last = pd.Series(pd.to_datetime(last.to_numpy()), index=households.index).astype("datetime64[ns]")
    visit_note = _objects(_visit_notes(keys, visits, v_keys, places.get("visits")), has_key)
    visit_note.index = households.index
    unknown = ~has_key | visit_note.notna().to_numpy(dtype=bool)
    last[unknown] = pd.NaT
    out["last_visit"] = last
    since = excel_dates(_get(households, "monitored_since")).dt.normalize()
    due = followup.visit_due_dates(last.dt.normalize(), since, policy.visit_interval_months)
    due[unknown] = pd.NaT
    out["next_visit_due"] = due
    for field, name in SPENDING_NOTES.items():
        out[name] = _objects(notes[field], has_key)
    out[VISIT_NOTE] = visit_note
    return out[list(HOUSEHOLD_COLUMNS)]


def _visit_notes(keys: pd.Series, visits: pd.DataFrame | None, v_keys: pd.Series,
                 place: Place | None) -> pd.Series:
    """Per household: the note naming its first 帮扶 row (by Excel row) whose 回访日期 is
    text, None where it has none."""
    if visits is None or not len(visits):
        return pd.Series(None, index=keys.index, dtype=object)
    place = place or template_place(VISITS, len(visits))
    text = (cell_kinds(_get(visits, "visit_date"), dates=True) == TEXT) & v_keys.notna().to_numpy(dtype=bool)
    problem = np.flatnonzero(text)
    if not len(problem):
        return pd.Series(None, index=keys.index, dtype=object)
    found = pd.DataFrame({"key": v_keys.to_numpy(dtype=object)[problem], "row": place.rows[problem],
                          "cell": place.cells("visit_date", problem)})
    found = found.sort_values("row", kind="stable").drop_duplicates("key")
    found["text"] = _notes(BAD_FORMAT, place.sheet, found["cell"].to_numpy(dtype=object),
                           VISITS.column("visit_date").header, IS_TEXT)
    return keys.map(found.set_index("key")["text"])


def household_notes(households: pd.DataFrame, spending_notes: pd.DataFrame, place: Place) -> pd.Series:
    """The note 资格判定 shows instead of a status, None where it shows one.

    The first of: 户类型 blank, 户类型 not one of the groups, 人均可支配收入 blank or
    not a number (unless the group is 突发严重困难户), then the spending notes in
    the order 因病, 因学, 因意外, 因产业 — as the formula tests them.
    """
    n = len(households)
    positions = np.arange(n)
    group = _get(households, "group")
    codes = rules.group_codes(group)
    income = cell_kinds(_get(households, "income_per_capita"))
    checked = codes != GROUPS.index(INCOME_WAIVED_GROUP)

    def own(key: str, prefix: str, what: str) -> np.ndarray:
        return _notes(prefix, "", place.cells(key, positions), HOUSEHOLDS.column(key).header, what)

    conditions = [
        (codes == -1, own("group", INCOMPLETE, IS_BLANK)),
        (codes == -2, own("group", INCOMPLETE, NOT_A_CHOICE)),
        (checked & (income == BLANK), own("income_per_capita", INCOMPLETE, IS_BLANK)),
        (checked & (income != NUMBER), own("income_per_capita", BAD_FORMAT, IS_TEXT)),
    ]
    conditions += [(spending_notes[field].notna().to_numpy(dtype=bool), spending_notes[field].to_numpy(dtype=object))
                   for field in (KIND_FIELDS[kind] for kind in SPENDING_KINDS)]
    out = np.full(n, None, dtype=object)
    open_rows = np.ones(n, dtype=bool)
    for condition, text in conditions:
        take = open_rows & condition
        out[take] = text[take]
        open_rows &= ~take
    return pd.Series(out, index=households.index, dtype=object)


def spending_notes(keys: pd.Series, spending: pd.DataFrame | None, *, policy: Policy, check_date,
                   place: Place | None = None) -> pd.DataFrame:
    """Per household key and spending kind: the note its sum shows, None where it computes.

    A row of 支出 of that household and kind is a problem when its 发生日期 is
    text, when it has no 发生日期 but an amount, or when its amount is text and
    its date inside the window; the first such row (by Excel row) is named.
    """
    index = keys.index
    out = pd.DataFrame({field: pd.Series(None, index=index, dtype=object) for field in KIND_FIELDS.values()})
    if spending is None or not len(spending):
        return out
    place = place or template_place(SPENDING, len(spending))
    start, end = spending_window(check_date, policy)
    dates = cell_kinds(_get(spending, "date"), dates=True)
    amounts = cell_kinds(_get(spending, "amount"))
    when = excel_dates(_get(spending, "date")).dt.normalize().to_numpy()
    inside = (when > start.to_datetime64()) & (when <= end.to_datetime64())
    codes = np.select(
        [dates == TEXT, (dates == BLANK) & (amounts != BLANK), (dates == NUMBER) & inside & (amounts == TEXT)],
        [0, 1, 2], default=-1,
    )
    sp_keys = match_keys(_get(spending, "household_no")).to_numpy(dtype=object)
    kinds = _get(spending, "kind").to_numpy(dtype=object)
    problem = np.flatnonzero((codes >= 0) & pd.notna(sp_keys) & pd.Series(kinds).isin(list(KIND_FIELDS)).to_numpy())
    if not len(problem):
        return out
    rows = place.rows[problem]
    found = pd.DataFrame({"key": sp_keys[problem], "kind": kinds[problem], "row": rows, "code": codes[problem]})
    found = found.sort_values("row", kind="stable").drop_duplicates(["key", "kind"])
    texts = np.empty(len(found), dtype=object)
    row_texts = found["row"].astype("int64").astype(str).to_numpy(dtype=object)
    for code, (prefix, column, what) in enumerate(SPENDING_PROBLEMS):
        mine = (found["code"] == code).to_numpy()
        if mine.any():
            cells = place.letters.get(column, "") + row_texts[mine]
            texts[mine] = _notes(prefix, place.sheet, cells, SPENDING.column(column).header, what)
    found["text"] = texts
    has_key = keys.notna()
    for kind, field in KIND_FIELDS.items():
        per_key = found[found["kind"] == kind].set_index("key")["text"]
        if len(per_key):
            out[field] = _objects(keys.map(per_key), has_key.to_numpy(dtype=bool))
    return out


def _objects(values: pd.Series, keep: np.ndarray) -> pd.Series:
    """An object column with None (never NaN) where missing or not kept."""
    array = values.to_numpy(dtype=object, copy=True)
    array[~keep | pd.isna(array)] = None
    return pd.Series(array, index=values.index, dtype=object)


def shown_households(derived: pd.DataFrame) -> pd.DataFrame:
    """What each computed cell of 监测户 shows: a spending sum's note in place of the sum, and
    in 最近回访日期 未回访 for a household with no visit on record, the visit note for one with
    a 回访日期 typed as text."""
    out = derived[[c.key for c in HOUSEHOLDS.computed_columns]].copy()
    # derive leaves 资格判定 empty exactly where the row has no 户编号 (and the formula shows "").
    never = derived["last_visit"].isna() & derived["status"].astype(str).ne("") & derived[VISIT_NOTE].isna()
    if never.any():
        out["last_visit"] = out["last_visit"].astype(object).where(~never, NEVER_VISITED)
    if derived[VISIT_NOTE].notna().any():
        out["last_visit"] = out["last_visit"].astype(object).where(derived[VISIT_NOTE].isna(), derived[VISIT_NOTE])
    for field, name in SPENDING_NOTES.items():
        notes = derived[name]
        if notes.notna().any():
            out[field] = out[field].astype(object).where(notes.isna(), notes)
    return out


def spending_events(spending: pd.DataFrame | None, keys: pd.Series | None = None) -> pd.DataFrame:
    """The usable rows of 支出 as events: key, kind, date (datetime64 at midnight: the
    day, its time of day dropped, as every window compares days), amount (float).

    A row is used when it has a household key, a kind of ``KIND_FIELDS``, a
    date and an amount (text left in either counts as missing, as in the
    workbook formulas). ``keys`` is ``match_keys`` of its 户编号 when the caller
    has it already.
    """
    sp_keys = match_keys(_get(spending, "household_no")) if keys is None else keys
    sp_dates = excel_dates(_get(spending, "date")).dt.normalize()
    sp_amounts = excel_numbers(_get(spending, "amount"))
    sp_kinds = _get(spending, "kind")
    usable = (
        sp_keys.notna() & sp_amounts.notna() & sp_dates.notna() & sp_kinds.isin(list(KIND_FIELDS))
    ).to_numpy(dtype=bool)
    return pd.DataFrame({
        "key": sp_keys.to_numpy(dtype=object)[usable],
        "kind": sp_kinds.to_numpy(dtype=object)[usable],
        "date": sp_dates.to_numpy()[usable],
        "amount": sp_amounts.to_numpy(dtype="float64")[usable],
    })


def spending_sums(keys: pd.Series, spending: pd.DataFrame | None, *, policy: Policy,
                  check_date, spending_keys: pd.Series | None = None) -> pd.DataFrame:
    """Per household key: the spending of each kind in the window ending at ``check_date``.

    Columns ``medical`` … ``industry`` (``KIND_FIELDS``), rounded to the fen;
    0 where the household has none, NaN where the key is missing. Index:
    ``keys``' index. ``spending_keys`` are the keys of 支出's rows when they
    are not its ``match_keys`` (the county workbook adds the township).
    """
    start, end = spending_window(check_date, policy)
    events = spending_events(spending, spending_keys)
    events = events[((events["date"] > start) & (events["date"] <= end)).to_numpy()]
    sums = events.groupby(["key", "kind"])["amount"].sum()
    has_key = keys.notna().to_numpy(dtype=bool)
    out = pd.DataFrame(index=keys.index)
    for kind, field in KIND_FIELDS.items():
        per_key = sums.xs(kind, level="kind") if kind in sums.index.get_level_values("kind") else None
        if per_key is None:
            column = np.zeros(len(keys))
        else:
            column = round_fen(keys.map(per_key).astype("float64").fillna(0.0).to_numpy())
        out[field] = np.where(has_key, column, np.nan)
    return out


def window_sums(events: pd.DataFrame, keys: pd.Series, kinds: pd.Series, starts: pd.Series,
                ends: pd.Series) -> pd.Series:
    """For each query row: the spending of its household and kind with start < date <= end.

    ``events`` is ``spending_events`` (dates at midnight); ``keys``, ``kinds``, ``starts``
    and ``ends`` are aligned query columns (the windows of relief cases, say), compared
    by day: a time of day on them is dropped.
    Rounded to the fen; 0 where nothing falls in the window; NaN where the
    query's key, kind or either date is missing. A merge on (key, kind), so
    the work is the number of (query, event) pairs of the same household and
    kind, not queries × events.
    """
    index = keys.index
    queries = pd.DataFrame({
        "q": np.arange(len(index)), "key": keys.to_numpy(dtype=object),
        "kind": kinds.to_numpy(dtype=object),
        "start": _days(starts), "end": _days(ends),
    })
    valid = (queries["key"].notna() & queries["kind"].isin(list(KIND_FIELDS))
             & queries["start"].notna() & queries["end"].notna()).to_numpy()
    pairs = queries[valid].merge(events, on=["key", "kind"], how="inner")
    inside = ((pairs["date"] > pairs["start"]) & (pairs["date"] <= pairs["end"])).to_numpy()
    sums = pairs[inside].groupby("q")["amount"].sum()
    out = np.zeros(len(index))
    out[sums.index.to_numpy(dtype=np.int64)] = sums.to_numpy(dtype="float64")
    out = round_fen(out)
    out[~valid] = np.nan
    return pd.Series(out, index=index, dtype="float64")


def _days(dates) -> np.ndarray:
    """A column of dates as datetime64[ns] at midnight (NaT stays NaT)."""
    return pd.to_datetime(pd.Series(dates)).dt.normalize().to_numpy(dtype="datetime64[ns]")


def round_fen(values: np.ndarray) -> np.ndarray:
    """Excel's ``ROUND(x, 2)``: to the fen, halves away from zero."""
    values = np.asarray(values, dtype=np.float64)
    return np.sign(values) * np.floor(np.abs(values) * 100 + 0.5) / 100 + 0.0


def add_months_series(dates: pd.Series, months: int) -> pd.Series:
    """``EDATE`` over a column: the time of day dropped, the day clipped to the month's end."""
    dates = pd.Series(dates).astype("datetime64[ns]")
    return (dates.dt.normalize() + pd.DateOffset(months=int(months))).astype("datetime64[ns]")


# -- cases -----------------------------------------------------------------------------

def derive_cases(cases: pd.DataFrame, *, policy: Policy, check_date,
                 place: Place | None = None) -> pd.DataFrame:
    """The computed columns of 救助: deadline (datetime64), days_left (Int64) and deadline_note.

    ``deadline`` is NaT without a 案件编号 or a 发现日期 that is a date;
    ``days_left`` is NA then, and once the 状态 is 已支付 or 已终止.
    ``deadline_note`` names a blank or non-date 发现日期 of a row with a 案件编号
    (None elsewhere); ``place`` names its cell (default: the template's layout).
    """
    check = _check_timestamp(check_date)
    keys = match_keys(_get(cases, "case_no"))
    found_values = _get(cases, "found_date")
    found = excel_dates(found_values).dt.normalize()
    found = found.where(keys.notna())
    found.index = cases.index
    deadline = workdays.add_workdays_series(found, policy.deadline_days, policy=policy)
    deadline = deadline.astype("datetime64[ns]")
    checks = pd.Series(check, index=cases.index).where(deadline.notna())
    days_left = workdays.workdays_between_series(checks, deadline, policy=policy).astype("Int64")
    stage = _get(cases, "stage")
    closed = stage.isin(CLOSED_STAGES).to_numpy(dtype=bool)
    days_left[closed] = pd.NA

    place = place or template_place(CASES, len(cases))
    kinds = cell_kinds(found_values, dates=True)
    has_key = keys.notna().to_numpy(dtype=bool)
    note = np.full(len(cases), None, dtype=object)
    header = CASES.column("found_date").header
    cells = place.cells("found_date", np.arange(len(cases)))
    for condition, prefix, what in ((kinds == BLANK, INCOMPLETE, IS_BLANK),
                                    ((kinds == TEXT) | (kinds == OTHER), BAD_FORMAT, IS_TEXT)):
        take = has_key & condition
        if take.any():
            note[take] = _notes(prefix, "", cells[take], header, what)
    return pd.DataFrame({"deadline": deadline, "days_left": days_left,
                         DEADLINE_NOTE: pd.Series(note, index=cases.index, dtype=object)},
                        index=cases.index)


def shown_cases(derived: pd.DataFrame) -> pd.DataFrame:
    """What each computed cell of 救助 shows: the note in place of a deadline."""
    out = derived[[c.key for c in CASES.computed_columns]].copy()
    notes = derived[DEADLINE_NOTE]
    if notes.notna().any():
        out["deadline"] = out["deadline"].astype(object).where(notes.isna(), notes)
    return out
