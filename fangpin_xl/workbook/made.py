"""Which workbooks fangpin-xl wrote, so a command replaces only its own earlier output.

Every workbook a command writes carries a custom document property
``fangpin-xl`` naming what it is (县级汇总, 公示名单, 基金台账 …). Excel keeps
custom properties when a workbook is saved again, and so do LibreOffice and
openpyxl (tests/test_made.py), so a ledger a clerk opened, printed and saved is
still recognised. An existing file
without the mark — a township's workbook, someone's own sheet — is never
overwritten: the clerk is asked for another name.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path

from ..errors import InputError
from ..text import shown_path

#: The custom document property's name.
MARK = "fangpin-xl"

# What each output is marked as (the property's value; also how messages name it).
COUNTY_WORKBOOK = "县级汇总"  # merge
SCREENING = "筛查结果"  # screen
FUND_LEDGER = "基金台账"  # fund
VISIT_REGISTER = "回访登记"  # followup
NOTICE_LIST = "公示名单"  # notice
WORK_REPORT = "工作报告"  # report
ANNOTATED_COPY = "标注副本"  # validate --annotate: a township workbook with its problems marked
ISSUE_LIST = "问题清单"  # validate --annotate: the 问题 sheet alone (.xls or too large a source)
#: Every kind this tool writes. None of them is a township workbook to read again; an
#: annotated copy may be one (a township corrects it and returns it): see ``discover``.
KINDS = (COUNTY_WORKBOOK, SCREENING, FUND_LEDGER, VISIT_REGISTER, NOTICE_LIST, WORK_REPORT,
         ANNOTATED_COPY, ISSUE_LIST)

_CUSTOM_PART = "docProps/custom.xml"
_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/custom-properties}"
#: A real custom.xml is a few hundred bytes; a larger one is not read.
_MAX_PART = 1024 * 1024


def made_as(path: Path) -> str | None:
    """What fangpin-xl wrote ``path`` as, or None (not a workbook, not ours, unreadable)."""
    from defusedxml.ElementTree import fromstring

    try:
        with zipfile.ZipFile(path) as zf:
            info = zf.getinfo(_CUSTOM_PART)
            if info.file_size > _MAX_PART:
                return None
            root = fromstring(zf.read(info))
    except Exception:  # not a zip, no custom part, malformed XML (each library its own kind): not ours
        return None
    for prop in root.iter(f"{_NS}property"):
        if prop.get("name") == MARK:
            return "".join(prop.itertext()).strip() or None
    return None


def check_output(output: Path, inputs: Sequence[Path], *, kind: str, example: str) -> None:
    """Refuse, before any work, an output that is not .xlsx, is a folder, is one of the
    ``inputs``, or exists and is not an earlier ``kind`` workbook (``example`` is a file
    name the message suggests instead)."""
    if output.suffix.lower() != ".xlsx":
        raise InputError(f"输出文件 {shown_path(output)} 应为 .xlsx 工作簿，如 {example}。")
    if output.is_dir():
        raise InputError(f"输出文件 {shown_path(output)} 是一个文件夹，请给出工作簿文件名，如 {example}。")
    target = output.resolve()
    for path in inputs:
        if path.exists() and path.resolve() == target:
            raise InputError(f"输出文件 {shown_path(output)} 就是输入文件 {shown_path(path.name)}："
                             "输入文件不会被覆盖，请另选输出文件名。")
    if output.exists() and made_as(output) != kind:
        raise InputError(f"输出文件 {shown_path(output)} 已存在，且不是本工具写出的{kind}（可能是乡镇工作簿或其他文件）："
                         f"不会覆盖它，请另选输出文件名，如 {example}。")
