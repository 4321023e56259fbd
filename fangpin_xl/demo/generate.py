"""Generating the sample county in memory: the stages in order, their frames, the townships.

Each stage is a frozen dataclass of numpy arrays made by one function from the stages before
it (``households``, ``spending``, ``cases``, ``visits``); ``simulate_county`` runs them, and
``generate_county`` turns the result into one frame per sheet, splits it by township and
plants the mistakes (``plant``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import schema
from ..policy import GROUPS, SPENDING_KINDS, Policy
from .arrays import (
    MISSING_DAY,
    FloatArray,
    as_datetimes,
    as_objects,
    join_text,
    run_starts,
    zero_padded,
)
from .cases import Cases, WorkdayCalendar, make_cases
from .households import (
    RELATIONS,
    Households,
    Members,
    SparePeople,
    Townships,
    draw_income,
    make_households,
    make_members,
    make_townships,
)
from .model import SampleCounty, SampleTownship
from .plant import plant_mistakes
from .spec import CountySpec
from .spending import EVIDENCE_BY_KIND, Eligibility, Spending, assess_eligibility, make_spending
from .visits import (
    GUARANTEE_KEYS,
    VISIT_PROBLEMS,
    Aid,
    Monitoring,
    Visits,
    make_aid,
    make_visits,
)

# The area codes of Handan's counties start 1304: ID numbers from elsewhere are valid but
# validate may warn about them, so the manifest counts them per township.
_HANDAN_PREFIX = 1304
# Second parts of the seeds of the two random streams, the data's and the planted mistakes':
# changing either changes every county generated for a seed.
_DATA_STREAM, _MISTAKE_STREAM = 20170501, 7


@dataclass(frozen=True)
class CountyData:
    """Every stage of one sample county, before it becomes frames."""

    spec: CountySpec
    townships: Townships
    households: Households
    members: Members
    spares: SparePeople
    #: Income per capita of each household.
    income: FloatArray
    spending: Spending
    eligibility: Eligibility
    cases: Cases
    visits: Visits
    monitoring: Monitoring
    aid: Aid


def simulate_county(spec: CountySpec) -> CountyData:
    """All stages, drawn from one random stream in this fixed order: reordering the calls
    would change every county generated for a seed."""
    rng = np.random.default_rng([spec.seed, _DATA_STREAM])
    calendar = WorkdayCalendar(spec.policy, spec.year)
    townships = make_townships(spec, rng)
    households = make_households(spec, rng, townships)
    members, spares = make_members(spec, rng, households)
    income = draw_income(spec, rng, households)
    spending = make_spending(spec, rng, households, members)
    eligibility = assess_eligibility(spec, rng, households, income, spending)
    cases = make_cases(spec, rng, calendar, households, spending, eligibility)
    visits, monitoring = make_visits(spec, rng, households, income, eligibility, cases)
    aid = make_aid(spec, rng, households, members, monitoring)
    return CountyData(
        spec=spec, townships=townships, households=households, members=members, spares=spares,
        income=income, spending=spending, eligibility=eligibility, cases=cases, visits=visits,
        monitoring=monitoring, aid=aid,
    )


def generate_county(*, townships: int = 4, households: int = 60, seed: int = 0,
                    policy: Policy) -> SampleCounty:
    """A sample county of ``townships`` × ``households`` households, deterministic for ``seed``."""
    spec = CountySpec.for_policy(policy, townships=townships, households=households, seed=seed)
    data = simulate_county(spec)
    frames = county_frames(data)
    towns, allowed = split_townships(frames, data.townships)
    roster = frames["households"].drop(columns="_town").reset_index(drop=True)
    manifest = plant_mistakes(towns, allowed=allowed, spares=data.spares, spec=spec,
                              rng=np.random.default_rng([seed, _MISTAKE_STREAM]))
    return SampleCounty(
        county=spec.county, area_code=f"{spec.area}", year=spec.year,
        check_date=spec.check_date, seed=seed, townships=towns, roster=roster,
        manifest=manifest, outside_handan=outside_handan(data),
    )


def outside_handan(data: CountyData) -> dict[str, int]:
    """Per township: how many members have an ID number from outside Handan."""
    members = data.members
    per_town = np.bincount(data.households.township[members.household],
                           weights=members.area // 100 != _HANDAN_PREFIX,
                           minlength=data.townships.count)
    return {name: int(n) for name, n in zip(data.townships.names, per_town, strict=True)}


# -- frames ------------------------------------------------------------------------

def county_frames(data: CountyData) -> dict[str, pd.DataFrame]:
    """One frame per sheet for the whole county (schema keys as columns), with the township's
    index in ``_town``; the cases frame also carries the payout table's amount in ``_allowed``."""
    towns, hhs, members = data.townships, data.households, data.members
    hh_town = hhs.township
    hh_no = hhs.number
    town_names = np.array(towns.names, dtype=object)
    head = members.household_first
    helper_names = towns.helper_names.astype(object)
    helper_phones = towns.helper_phones.astype(object)
    frames = {}
    frames["households"] = pd.DataFrame({
        "_town": hh_town,
        "household_no": hh_no.astype(object),
        "township": town_names[hh_town],
        "village": towns.village_names[
            hh_town * towns.villages_per_township + hhs.village].astype(object),
        "head_name": members.name[head].astype(object),
        "head_id": members.id_number[head].astype(object),
        "household_size": hhs.size.astype(np.int64),
        "group": np.array(GROUPS, dtype=object)[hhs.group],
        "income_per_capita": data.income.astype(float),
        "phone": members.household_phone.astype(object),
        "dibao": np.array(schema.DIBAO_CHOICES, dtype=object)[data.monitoring.dibao],
        "helper": helper_names[hhs.helper],
        "helper_phone": helper_phones[hhs.helper],
        "monitored_since": as_datetimes(data.monitoring.since),
        "risk_status": data.monitoring.risk.astype(object),
        "recorded_status": data.eligibility.recorded,
    })
    mh = members.household
    frames["members"] = pd.DataFrame({
        "_town": hh_town[mh],
        "household_no": hh_no[mh].astype(object),
        "name": members.name.astype(object),
        "id_number": members.id_number.astype(object),
        "relation": RELATIONS[members.relation],
        "health": np.array(schema.HEALTH, dtype=object)[members.health],
        "labour": np.array(schema.LABOUR, dtype=object)[members.labour],
        "in_school": np.where(members.in_school, "是", "否").astype(object),
        "phone": members.phone,
    })
    spending = data.spending
    eh = spending.household
    frames["spending"] = pd.DataFrame({
        "_town": hh_town[eh],
        "household_no": hh_no[eh].astype(object),
        "member_name": members.name[spending.member].astype(object),
        "member_id": members.id_number[spending.member].astype(object),
        "kind": np.array(SPENDING_KINDS, dtype=object)[spending.kind],
        "date": as_datetimes(spending.day),
        "amount": spending.amount.astype(float),
        "source": spending.source,
        "evidence": np.array(EVIDENCE_BY_KIND, dtype=object)[spending.kind],
    })
    frames["cases"] = _cases_frame(data)
    visits = data.visits
    vh = visits.household
    problem = visits.problem
    texts = np.array(VISIT_PROBLEMS, dtype=object)
    frames["visits"] = pd.DataFrame({
        "_town": hh_town[vh],
        "household_no": hh_no[vh].astype(object),
        "helper": helper_names[hhs.helper[vh]],
        "visit_date": as_datetimes(visits.day),
        **{key: np.where(visits.answers[:, i], "是", "否").astype(object)
           for i, key in enumerate(GUARANTEE_KEYS)},
        "problem": np.where(problem, texts[visits.problem_kind, 0], None),
        "action": np.where(problem & ~visits.awaiting, texts[visits.problem_kind, 1], None),
        "escalated_to": np.where(problem, texts[visits.problem_kind, 2], "无"),
    })
    aid = data.aid
    ah = aid.household
    has_member = aid.member >= 0
    member = np.where(has_member, aid.member, 0)
    frames["aid"] = pd.DataFrame({
        "_town": hh_town[ah],
        "household_no": hh_no[ah].astype(object),
        "member_name": as_objects(members.name[member], ~has_member),
        "member_id": as_objects(members.id_number[member], ~has_member),
        "aid_type": aid.kind,
        "start_date": as_datetimes(aid.start),
        "end_date": as_datetimes(aid.end, aid.end == MISSING_DAY),
        "amount": aid.amount.astype(float),
        "note": aid.note,
    })
    return frames


def _cases_frame(data: CountyData) -> pd.DataFrame:
    """Cases numbered per township in the order they were found: 101-2024-0001 …"""
    cases, hh_town, hh_no = data.cases, data.households.township, data.households.number
    ch = cases.household
    found = cases.dates["found_date"]
    frame = pd.DataFrame({
        "_town": hh_town[ch],
        "case_no": np.full(cases.count, "", dtype=object),
        "household_no": hh_no[ch].astype(object),
        "kind": np.array(SPENDING_KINDS, dtype=object)[cases.kind],
        "found_date": as_datetimes(found, found == MISSING_DAY),
        "found_way": cases.found_way.astype(object),
        **{key: as_datetimes(values, values == MISSING_DAY) for key, values in cases.dates.items()
           if key != "found_date"},
        "relief_amount": cases.relief,
        "stage": cases.stage,
    })
    frame["_allowed"] = cases.allowed
    frame = frame.sort_values(["_town", "found_date", "household_no", "kind"], kind="stable")
    number = np.arange(len(frame)) - run_starts(frame["_town"].to_numpy()) + 1
    codes = np.array(data.townships.codes)[frame["_town"].to_numpy()]
    frame["case_no"] = join_text(codes, f"-{data.spec.year}-",
                                 zero_padded(number, 4)).astype(object)
    order = [c.key for c in schema.CASES.input_columns]
    return frame[["_town", *order, "_allowed"]].reset_index(drop=True)


def split_townships(frames: dict[str, pd.DataFrame],
                    townships: Townships) -> tuple[list[SampleTownship], list[pd.Series]]:
    """The county frames cut into one ``SampleTownship`` each (the last of two or more in the
    township's own layout), and beside them each township's ``_allowed`` case amounts, which
    the written workbooks do not hold."""
    count = townships.count
    bounds = {
        key: np.searchsorted(frame["_town"].to_numpy(), np.arange(count + 1))
        for key, frame in frames.items()
    }
    own = count - 1 if count >= 2 else None
    towns, allowed = [], []
    for t in range(count):
        town_frames = {}
        for key, frame in frames.items():
            lo, hi = bounds[key][t], bounds[key][t + 1]
            part = frame.iloc[lo:hi].drop(columns="_town").reset_index(drop=True)
            town_frames[key] = part
        allowed.append(town_frames["cases"].pop("_allowed"))
        name = townships.names[t]
        towns.append(SampleTownship(
            name=name, code=townships.codes[t], file_name=f"{name}.xlsx",
            layout="own" if t == own else "template", frames=town_frames,
        ))
    return towns, allowed
