"""fangpin-xl: Excel tools for Handan-style precise poverty prevention (精准防贫).

The public Python API (a contract: the Excel functions and later work build
on these names). Names load on first use, so ``import fangpin_xl`` and the
CLI's ``--help`` do not pay for pandas.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    # policy
    "Policy": "policy", "SpendingRule": "policy", "PayoutTable": "policy",
    "load_policy": "policy", "parse_policy": "policy", "policy_to_toml": "policy",
    "policy_rows": "policy", "policy_from_values": "policy", "policy_differences": "policy",
    "GROUPS": "policy", "SPENDING_KINDS": "policy",
    # errors
    "FangpinError": "errors", "PolicyError": "errors", "InputError": "errors",
    # eligibility and payout
    "HouseholdResult": "rules", "check_household": "rules", "check_households": "rules",
    # (the module is relief.py: a submodule named payout would shadow the function once imported)
    "payout": "relief", "payout_series": "relief", "payout_explain": "relief",
    # ID numbers
    "IdCheck": "ids", "validate_id": "ids", "validate_ids": "ids", "normalize_id": "ids",
    "mask_id": "ids", "mask_ids": "ids", "id_gender": "ids", "id_birth_date": "ids",
    "id_age": "ids", "id_area": "ids", "make_id": "ids",
    # working days
    "add_workdays": "workdays", "workdays_between": "workdays", "deadline": "workdays",
    "is_workday": "workdays", "add_months": "workdays", "next_visit_due": "workdays",
    "add_workdays_series": "workdays", "workdays_between_series": "workdays",
    "calendar_warnings": "workdays",
    # operations
    "read_workbook": "workbook.read", "read_values": "workbook.read", "validate_paths": "validate",
    "check_workbook": "checks", "CheckedWorkbook": "checks",
    "merge_workbooks": "merge", "screen_files": "screen", "fund_ledger_file": "fund_ledger",
    "write_township_workbook": "templates", "build_templates": "templates", "write_sample_county": "demo",
    "followup_file": "ledgers.register", "notice_file": "ledgers.notices", "report_file": "ledgers.report",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'fangpin_xl' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
