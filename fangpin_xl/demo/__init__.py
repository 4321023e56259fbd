"""A sample county: township workbooks with realistic data and planted mistakes.

``generate_county`` builds everything in memory, deterministically for a seed;
``write_sample_county`` writes it to a folder the way townships hand their
workbooks back (one odd workbook with its own layout, an Excel owner lock
file, a loose text file) together with ``manifest.json``: every planted
mistake with the file, sheet and cell where validate / merge must find it.

The data is clean apart from the planted mistakes: households, members,
spending, cases and visits agree with each other and with the policy (case
dates follow the procedure and its deadline, recorded eligibility agrees with
``rules``, every household was visited within the interval), so whatever the
checks report beyond the manifest is a finding about the checks.

Generation is vectorised over the whole county (numpy arrays for households,
members, events, cases, visits and aid; ID numbers with their check
characters computed on integer arrays), because the merge benchmark uses
200 townships × 2,000 households. Only the per-township split and the handful
of planted mistakes are Python loops.

A manifest entry: ``code`` (the issue code validate / merge should report),
``township``, ``file``, ``sheet``, ``cell`` (A1), ``row`` (1-based Excel row),
``column`` (the header as written in that file: a synonym in the township's
own layout), ``key`` (schema key), ``value`` (what the cell holds: text,
number, ISO date or null) and ``note``; some add ``severity`` ("warning" for
``coerced``), ``coerced_value``, ``case_no``, ``allowed``, ``computed``,
``last_visit``, ``stored_as`` or ``other`` (the first occurrence of a duplicate).
Where each code points: ``visit_overdue`` at the household's 户编号 on 监测户
(as ``followup`` reports it); ``notice_too_short`` at 公示结束;
``payment_before_filing`` at 支付日期; ``relief_above_table`` at 救助金额 (as
``fangpin_xl.cases`` reports them). The numeric ID is planted in the own-layout workbook,
the only one written with a number in an ID column.

The package, in the order the data flows:

- ``model``: constants and the public result dataclasses; ``spec``: the county asked for;
  ``arrays``: vectorised helpers (day numbers, text, ID numbers, names);
- the stages, each a frozen dataclass of arrays made by one function from the stages
  before it: ``households`` (townships, households, members, income), ``spending``
  (spending events, eligibility), ``cases`` (relief cases and their dates), ``visits``
  (visits, monitoring, other aid);
- ``generate``: runs the stages, makes the frames and splits them by township;
- ``plant``: the planted mistakes and the manifest; ``write``: the files.
"""

from .arrays import id_numbers
from .generate import generate_county
from .households import chinese_number, township_names
from .model import (
    COUNTY_AREA_CODES,
    DEFAULT_AREA,
    FEMALE_CHARS,
    HISTORICAL_AREAS,
    HISTORICAL_UNTIL,
    LOCK_PREFIX,
    MALE_CHARS,
    MANIFEST_FILE,
    MIN_HOUSEHOLDS,
    OTHER_HANDAN_AREAS,
    OTHER_HANDAN_WEIGHTS,
    OUTSIDE_AREAS,
    OWN_HEADER_ROWS,
    OWN_TRAILING_BLANK_ROWS,
    PHONE_PREFIXES,
    PLANTED_CODES,
    README_FILE,
    ROSTER_FILE,
    SURNAMES,
    TEMPLATE_HEADER_ROW,
    VILLAGE_PREFIXES,
    VILLAGE_SUFFIXES,
    WEI_TOWNSHIPS,
    SampleCounty,
    SampleResult,
    SampleTownship,
    own_header,
)
from .write import write_own_workbook, write_roster, write_sample_county

__all__ = [
    "COUNTY_AREA_CODES", "DEFAULT_AREA", "FEMALE_CHARS", "HISTORICAL_AREAS", "HISTORICAL_UNTIL",
    "LOCK_PREFIX", "MALE_CHARS", "MANIFEST_FILE", "MIN_HOUSEHOLDS", "OTHER_HANDAN_AREAS",
    "OTHER_HANDAN_WEIGHTS", "OUTSIDE_AREAS", "OWN_HEADER_ROWS", "OWN_TRAILING_BLANK_ROWS",
    "PHONE_PREFIXES", "PLANTED_CODES", "README_FILE", "ROSTER_FILE", "SURNAMES",
    "TEMPLATE_HEADER_ROW", "VILLAGE_PREFIXES", "VILLAGE_SUFFIXES", "WEI_TOWNSHIPS",
    "SampleCounty", "SampleResult", "SampleTownship", "chinese_number", "generate_county",
    "id_numbers", "own_header", "township_names", "write_own_workbook", "write_roster",
    "write_sample_county",
]
