"""What every check of one workbook shares, computed once before any check runs.

``prepare`` decides the basis (the policy and check date the workbook is
judged by), normalises every key and ID column, and computes the derived
columns of 监测户 and 救助 with ``derive``. The result is a frozen
``Context``; the checks are functions over it and never change it, and
``CheckedWorkbook`` hands the same values on to merge, the ledgers and the
Excel scripts, so nothing is computed twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import pandas as pd

from ..cases import judge_relief
from ..derive import Place, default_check_date, derive_cases, derive_households
from ..errors import PolicyError
from ..ids import validate_ids
from ..issues import Issue, sort_issues
from ..keys import match_keys
from ..policy import Policy, policy_from_values
from ..schema import CHECK_DATE_KEY, ID, POLICY_SHEET
from ..text import cell_text
from ..workbook.read import SheetData, WorkbookData

#: The ID columns that register a person (the others refer to one).
REGISTER_IDS = (("households", "head_id"), ("members", "id_number"))


@dataclass(frozen=True)
class IdColumn:
    """``ids.validate_ids`` of one ID column, aligned with its sheet's frame."""

    normalized: pd.Series  # object: the normalised number, None where the cell is empty
    valid: np.ndarray  # bool
    error: pd.Series  # object: the validator's message, None where valid or empty
    warning: pd.Series  # object
    #: A valid old 15-digit number, checked as its 18-digit form.
    upgraded: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))


@dataclass(frozen=True)
class Basis:
    """What a workbook is judged by, and what went wrong deciding it."""

    policy: Policy
    check_date: dt.date
    #: "county" (a policy was given), "workbook" (its own 参数 sheet) or "default".
    source: str
    #: The workbook's own 参数 as a Policy (None without a readable 参数 sheet).
    own_policy: Policy | None = None
    #: Why the 参数 sheet could not be used (a PolicyError message), else "".
    own_policy_error: str = ""
    #: The 核查基准日 value when it is not a date (the default date was used), else None.
    bad_check_date: object = None


@dataclass(frozen=True)
class Context:
    """One read workbook and everything the checks share (see the module docstring)."""

    data: WorkbookData
    basis: Basis
    today: dt.date
    #: The county's policy when one was given (then 参数 differences are issues).
    county_policy: Policy | None
    #: (sheet key, column key) → ``keys.match_keys`` of that column.
    keys: Mapping[tuple[str, str], pd.Series]
    #: (sheet key, column key) → the checked ID column.
    ids: Mapping[tuple[str, str], IdColumn]
    #: The derived columns of 监测户 (``derive.derive_households``), indexed like its frame.
    households: pd.DataFrame | None
    #: The derived columns of 救助 (``derive.derive_cases``).
    cases: pd.DataFrame | None
    #: How each case's relief is judged (``cases.judge_relief``); None without 监测户 and 支出.
    judged: pd.DataFrame | None
    sheet_rank: Mapping[str, int] = field(default_factory=dict)

    @property
    def file(self) -> str:
        return self.data.file

    @property
    def policy(self) -> Policy:
        return self.basis.policy

    @property
    def check_date(self) -> dt.date:
        return self.basis.check_date

    @property
    def policy_sheet(self) -> str:
        return self.data.policy_sheet or POLICY_SHEET

    def sheet(self, key: str) -> SheetData | None:
        return self.data.sheets.get(key)

    def key(self, sheet_key: str, column: str = "household_no") -> pd.Series:
        """The normalised keys of a column (see ``keys.match_keys``)."""
        return self.keys[(sheet_key, column)]

    def has_key(self, sheet_key: str, column: str = "household_no") -> bool:
        return (sheet_key, column) in self.keys


@dataclass(frozen=True)
class CheckedWorkbook(Context):
    """A workbook with its issues: what validate reports and what merge and the scripts use."""

    issues: tuple[Issue, ...] = ()

    @property
    def errors(self) -> int:
        return sum(1 for found in self.issues if found.is_error)

    @property
    def warnings(self) -> int:
        return len(self.issues) - self.errors


def prepare(data: WorkbookData, policy: Policy | None, today: dt.date) -> Context:
    basis = decide_basis(data, policy)
    keys: dict[tuple[str, str], pd.Series] = {}
    ids: dict[tuple[str, str], IdColumn] = {}
    for key, sd in data.sheets.items():
        for name in ("household_no", "case_no"):
            if name in sd.frame.columns and (name == "household_no" or key == "cases"):
                keys[(key, name)] = match_keys(sd.frame[name])
        for column in sd.spec.input_columns:
            if column.type == ID and column.key in sd.columns:
                ids[(key, column.key)] = _check_ids(sd.frame[column.key], today,
                                                    basis.policy.normal_areas)
    households = cases = None
    hh = data.sheets.get("households")
    # The computed columns see what was typed where the reader could not read it (a
    # formula would, too): a note names such a cell instead of leaving it out.
    if hh is not None and "household_no" in hh.columns:
        spending, visits = data.sheets.get("spending"), data.sheets.get("visits")
        households = derive_households(
            hh.with_failures(), spending.with_failures() if spending is not None else None,
            visits.with_failures() if visits is not None else None,
            policy=basis.policy, check_date=basis.check_date,
            places={key: place(sd) for key, sd in (("households", hh), ("spending", spending),
                                                    ("visits", visits)) if sd is not None},
        )
    cs = data.sheets.get("cases")
    judged = None
    if cs is not None:
        cases = derive_cases(cs.with_failures(), policy=basis.policy, check_date=basis.check_date,
                             place=place(cs))
        spending = data.sheets.get("spending")
        if (hh is not None and spending is not None and len(cs.frame)
                and ("households", "household_no") in keys and ("spending", "household_no") in keys):
            judged = judge_relief(
                cs.frame, hh.frame, spending.frame, policy=basis.policy,
                case_keys=keys[("cases", "household_no")], household_keys=keys[("households", "household_no")],
                spending_keys=keys[("spending", "household_no")],
            )
    return Context(
        data=data, basis=basis, today=today, county_policy=policy,
        keys=MappingProxyType(keys), ids=MappingProxyType(ids),
        households=households, cases=cases, judged=judged,
        sheet_rank=MappingProxyType({name: i for i, name in enumerate(data.sheet_names)}),
    )


def place(sd: SheetData) -> Place:
    """Where a read sheet's rows and columns are, to name cells in derive's notes."""
    return Place(sd.name, sd.frame.index.to_numpy(dtype=np.int64), dict(sd.columns))


def finish(context: Context, issues: list[Issue]) -> CheckedWorkbook:
    fields = {name: getattr(context, name) for name in Context.__dataclass_fields__}
    return CheckedWorkbook(**fields, issues=tuple(sort_issues(issues, context.data.sheet_names)))


def decide_basis(data: WorkbookData, policy: Policy | None) -> Basis:
    """The county's policy when given, else the workbook's own 参数 sheet, else the defaults.

    The check date is the 参数 sheet's 核查基准日, else 31 December of the policy year.
    """
    own, error = None, ""
    if data.policy_values:
        sheet = data.policy_sheet or POLICY_SHEET
        try:
            own = policy_from_values(data.policy_values, source=f"{data.file} 工作表“{sheet}”")
        except PolicyError as exc:
            error = str(exc)
    rules_policy = policy or own or Policy()
    source = "county" if policy is not None else "workbook" if own is not None else "default"
    value = (data.policy_values or {}).get(CHECK_DATE_KEY)
    check_date, bad = default_check_date(rules_policy), None
    if isinstance(value, dt.datetime):
        check_date = value.date()
    elif isinstance(value, dt.date):
        check_date = value
    elif value is not None and cell_text(value) != "":
        bad = value
    return Basis(rules_policy, check_date, source, own, error, bad)


def _check_ids(values: pd.Series, today: dt.date, normal_areas: tuple[str, ...] = ()) -> IdColumn:
    present = values.notna().to_numpy(dtype=bool)
    normalized = pd.Series(None, index=values.index, dtype=object)
    error = pd.Series(None, index=values.index, dtype=object)
    warning = pd.Series(None, index=values.index, dtype=object)
    valid = np.zeros(len(values), dtype=bool)
    upgraded = np.zeros(len(values), dtype=bool)
    if present.any():
        checked = validate_ids(values[present].astype(object), today=today, normal_areas=normal_areas)
        normalized[present] = checked["normalized"].to_numpy()
        error[present] = checked["error"].to_numpy()
        warning[present] = checked["warning"].to_numpy()
        valid[present] = checked["valid"].to_numpy(dtype=bool)
        upgraded[present] = checked["upgraded"].to_numpy(dtype=bool)
    return IdColumn(normalized, valid, error, warning, upgraded & valid)
