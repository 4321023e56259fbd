"""County consolidation: township workbooks in, one county workbook out.

By part: ``model`` (the results), ``worker`` (one workbook, in a worker
process), ``pipeline`` (``merge_workbooks``: discovery, the process pool,
what only several workbooks show), ``county`` (the county workbook's sheets),
``history`` (the SQLite history, from the same table rows) and ``summary``
(the text a person reads). It never prints; ``MergeResult.as_dict()`` is the
JSON.
"""

from __future__ import annotations

from ..workbook.write import MAX_DATA_ROWS
from .model import (
    DUPLICATES_SHEET,
    ISSUES_SHEET,
    MERGED,
    REJECTED_SHEET,
    SKIP_COUNTY,
    SKIP_NOT_TOWNSHIP,
    SKIPPED,
    SOURCES_SHEET,
    SUMMARY_SHEET,
    UNREADABLE,
    VIOLATIONS_SHEET,
    FileReport,
    MergeResult,
    SheetCount,
    SheetTotal,
    TownshipRow,
)
from .pipeline import merge_workbooks
from .summary import render_summary

__all__ = [
    "DUPLICATES_SHEET", "ISSUES_SHEET", "MAX_DATA_ROWS", "MERGED", "REJECTED_SHEET", "SKIPPED",
    "SKIP_COUNTY", "SKIP_NOT_TOWNSHIP", "SOURCES_SHEET", "SUMMARY_SHEET", "UNREADABLE", "VIOLATIONS_SHEET",
    "FileReport", "MergeResult", "SheetCount", "SheetTotal", "TownshipRow", "merge_workbooks",
    "render_summary",
]
