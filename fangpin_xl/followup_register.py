"""The follow-up register (回访登记) of one workbook: the calendar-quarter rule over a year.

Pure and vectorised (``followup`` holds the rule itself). Given the households and
visits of a township or county workbook — keys already made unique across
townships by the caller — ``follow_up_register`` works out, for the periods of the
year up to ``as_of`` (calendar quarters by default, ``policy.visit_interval_months``):

* **which visits count**: a visit with a household number on 监测户 and a date no
  later than ``as_of``. Every other visit row is accounted for with its reason —
  no 户编号, a 户编号 that is not on 监测户, no readable date, a date after today
  (an error: a typing mistake), a date after ``as_of`` (only not counted yet);
  rows read = counted + not counted;
* **which household owes which period**: a monitored household (风险状态 not
  已消除) owes every period after the one its 纳入监测日期 falls in — the same
  start as ``followup.first_visit_due`` — and every period when that date is
  empty; a period owed and not visited is *missed* when it is over, *not yet
  visited* when it is ``as_of``'s own;
* **coverage**: owed and visited households per period by township, village and
  the household's 帮扶联系人 (the helper named on 监测户, who answers for it);
* **helpers** with more monitored households than ``policy.max_households_per_helper``;
* **open problems** (``followup.open_problems``) with the household they concern.

A household number listed twice on 监测户 is counted once (the first row); the
repeats are listed with the visits not counted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import followup
from .columns import as_dates, as_text
from .indicators import share
from .policy import Policy
from .schema import HOUSEHOLDS

#: The helper shown for households whose 帮扶联系人 is empty.
NO_HELPER = "（未填写）"

# Why a visit row is not counted; ``ERROR_REASONS`` are mistakes in the data.
NO_NUMBER = "没有户编号"
UNKNOWN_HOUSEHOLD = f"户编号在“{HOUSEHOLDS.name}”表中不存在"
NO_DATE = "回访日期为空或无法识别"
AFTER_TODAY = "回访日期晚于今天"
AFTER_AS_OF = "回访日期晚于统计基准日"
ERROR_REASONS = (NO_NUMBER, UNKNOWN_HOUSEHOLD, NO_DATE, AFTER_TODAY)
REPEATED_HOUSEHOLD = f"户编号在“{HOUSEHOLDS.name}”表中重复"


@dataclass(frozen=True)
class Register:
    as_of: dt.date
    months: int
    #: The periods covered (``followup.period_numbers``), oldest first; the last is ``as_of``'s.
    periods: np.ndarray
    #: One row per household (first row of each key), indexed by its 监测户 row: key, township,
    #: village, household_no, head_name, helper, monitored, owes_from (the first period owed),
    #: last_visit, next_visit_due, overdue, visits_now, visited_now, owes_now.
    households: pd.DataFrame
    #: One row per (household, period) owed: row, period, visited.
    owed: pd.DataFrame
    #: One row per visit row (indexed like the visits frame): counted, reason ("" when counted).
    visits: pd.DataFrame
    #: ``followup.open_problems`` of the counted visits, with the household's row (``household``).
    problems: pd.DataFrame
    #: Per (township, helper): households, over (more than the policy allows).
    helpers: pd.DataFrame
    #: 监测户 rows repeating a household number: row → the first row.
    repeated: pd.Series

    @property
    def current(self) -> int:
        return int(self.periods[-1])

    def label(self, periods) -> pd.Series:
        return followup.period_label(np.asarray(periods), self.months)

    @property
    def errors(self) -> int:
        """Visit rows with a mistake (not counted), and repeated household numbers."""
        return int(self.visits["reason"].isin(ERROR_REASONS).sum()) + len(self.repeated)

    def coverage(self, by: list[str]) -> pd.DataFrame:
        """Owed and visited households per period and ``by`` (columns of ``households``),
        periods oldest first, groups in order of appearance sorted by name."""
        table = self.owed.join(self.households[by], on="row")
        out = (table.assign(visited=table["visited"].astype(np.int64))
               .groupby(["period", *by], sort=True)
               .agg(owed=("visited", "size"), visited=("visited", "sum"))
               .reset_index())
        out["missing"] = out["owed"] - out["visited"]
        out["rate"] = share(out["visited"], out["owed"])
        return out

    def not_visited_now(self) -> pd.DataFrame:
        """Households that owe ``as_of``'s period and have no visit in it yet."""
        hh = self.households
        return hh[(hh["owes_now"] & ~hh["visited_now"]).to_numpy(dtype=bool)]

    def missed(self) -> pd.DataFrame:
        """(household row, period) pairs of a past period owed and not visited."""
        owed = self.owed
        return owed[((owed["period"] < self.current) & ~owed["visited"]).to_numpy(dtype=bool)]


def follow_up_register(households: pd.DataFrame, visits: pd.DataFrame, *, policy: Policy,
                       as_of: dt.date, today: dt.date, household_keys: pd.Series,
                       visit_keys: pd.Series, townships: pd.Series,
                       numbers: pd.Series | None = None) -> Register:
    """The register of the year of ``as_of`` (see the module docstring). ``townships`` is the
    township of each 监测户 row, ``numbers`` its 户编号 as shown (default: the 户编号 column)."""
    months = policy.visit_interval_months
    check = pd.Timestamp(as_of)
    start, _ = followup.period_numbers(pd.Series([pd.Timestamp(as_of.year, 1, 1)]), months)
    current, _ = followup.period_numbers(pd.Series([check]), months)
    periods = np.arange(int(start[0]), int(current[0]) + 1)

    has_key = household_keys.notna().to_numpy(dtype=bool)
    first = has_key & ~household_keys.duplicated().to_numpy(dtype=bool)
    repeated_rows = has_key & ~first
    first_row = pd.Series(households.index[first], index=household_keys[first].to_numpy(dtype=object))
    repeated = pd.Series(first_row.reindex(household_keys[repeated_rows].to_numpy(dtype=object)).to_numpy(),
                         index=households.index[repeated_rows], dtype="int64")

    visit_table = _classify_visits(visits, visit_keys, set(first_row.index), as_of=as_of, today=today)
    counted = visit_table["counted"].to_numpy(dtype=bool)
    dates = as_dates(visits, "visit_date")
    pairs = pd.DataFrame({
        "key": visit_keys.to_numpy(dtype=object)[counted],
        "date": dates.to_numpy(dtype="datetime64[ns]")[counted],
    })
    pairs["period"], _ = followup.period_numbers(pairs["date"], months)

    hh = households[first]
    keys = household_keys[first].to_numpy(dtype=object)
    last = pairs.groupby("key")["date"].max()
    last_visit = pd.Series(last.reindex(keys).to_numpy(dtype="datetime64[ns]"), index=hh.index)
    since = as_dates(hh, "monitored_since")
    due = followup.visit_due_dates(last_visit, since, months)
    monitored = ~as_text(hh, "risk_status").isin([followup.ELIMINATED]).to_numpy()
    since_period, no_since = followup.period_numbers(since, months)
    owes_from = np.where(no_since, periods[0], np.maximum(since_period + 1, periods[0]))
    now = pairs[pairs["period"] == periods[-1]].groupby("key").size()
    visits_now = pd.Series(now.reindex(keys).fillna(0).to_numpy(dtype=np.int64), index=hh.index)
    helper = as_text(hh, "helper")
    table = pd.DataFrame({
        "key": keys,
        "township": townships[first].to_numpy(dtype=object),
        "village": as_text(hh, "village").to_numpy(dtype=object),
        "household_no": (as_text(hh, "household_no") if numbers is None
                         else numbers[first]).to_numpy(dtype=object),
        "head_name": as_text(hh, "head_name").to_numpy(dtype=object),
        "helper": helper.where(helper != "", NO_HELPER).to_numpy(dtype=object),
        "monitored": monitored,
        "owes_from": owes_from,
        "last_visit": last_visit,
        "next_visit_due": due,
        "overdue": monitored & (due.isna() | (due < check)).to_numpy(),
        "visits_now": visits_now,
        "visited_now": visits_now.to_numpy() > 0,
        "owes_now": monitored & (owes_from <= periods[-1]),
    }, index=hh.index)

    # Households × periods: what each monitored household owed and whether it was visited.
    grid_rows = np.repeat(hh.index.to_numpy(), len(periods))
    grid_periods = np.tile(periods, len(hh))
    owes = np.repeat(monitored, len(periods)) & (grid_periods >= np.repeat(owes_from, len(periods)))
    visited_pairs = pd.MultiIndex.from_frame(pairs[["key", "period"]].drop_duplicates())
    wanted = pd.MultiIndex.from_arrays([np.repeat(keys, len(periods)), grid_periods])
    owed = pd.DataFrame({
        "row": grid_rows[owes], "period": grid_periods[owes],
        "visited": wanted[owes].isin(visited_pairs),
    })

    counted_visits = visits[counted]
    problems = followup.open_problems(counted_visits, as_of=as_of, open_days=policy.problem_open_days,
                                      keys=visit_keys[counted])
    problems.insert(0, "household", first_row.reindex(
        visit_keys.loc[problems.index].to_numpy(dtype=object)).to_numpy())

    load = table[table["monitored"].to_numpy(dtype=bool)].groupby(["township", "helper"], sort=True).size()
    helpers = load.rename("households").reset_index()
    helpers["over"] = (helpers["helper"] != NO_HELPER) & (helpers["households"] > policy.max_households_per_helper)
    return Register(as_of=as_of, months=months, periods=periods, households=table, owed=owed,
                    visits=visit_table, problems=problems, helpers=helpers, repeated=repeated)


def _classify_visits(visits: pd.DataFrame, keys: pd.Series, known: set, *, as_of: dt.date,
                     today: dt.date) -> pd.DataFrame:
    """Per visit row: counted, and the reason when it is not (first that applies)."""
    dates = as_dates(visits, "visit_date")
    no_key = keys.isna().to_numpy(dtype=bool)
    unknown = ~no_key & ~keys.isin(known).to_numpy(dtype=bool)
    no_date = dates.isna().to_numpy()
    after_today = (dates > pd.Timestamp(today)).to_numpy()
    after = (dates > pd.Timestamp(as_of)).to_numpy()
    reason = np.select([no_key, unknown, no_date, after_today, after],
                       [NO_NUMBER, UNKNOWN_HOUSEHOLD, NO_DATE, AFTER_TODAY, AFTER_AS_OF], "")
    return pd.DataFrame({"counted": reason == "", "reason": reason}, index=visits.index)

