"""Reading the workbook a ledger works on: a township workbook or the county workbook.

``read_source`` reads the file, tells which of the two it is (the county
workbook ``merge`` writes has the 汇总 and 来源 sheets and a 来源乡镇 column on
every data sheet), refuses with a Chinese ``InputError`` (exit 2) what cannot
be used — neither kind of workbook, continuation sheets, missing columns — and
checks it with ``check_workbook``.

In the county workbook a 户编号 is unique only within its township. Before the
check every 户编号 becomes ``乡镇／户编号``, so every key, the derived columns,
the relief judgement and the notices see one county of distinct households;
``Source.numbers`` keeps the numbers as typed for display. The county workbook
carries the policy and 核查基准日 it was merged with on its 参数 sheet (an older
one without it is judged by the given or built-in policy, which the facts say).
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from ..checks import CheckedWorkbook, check_workbook
from ..columns import as_text
from ..errors import InputError
from ..policy import Policy, load_policy
from ..text import shown_path
from ..workbook.read import WorkbookData, read_workbook

TOWNSHIP_WORKBOOK, COUNTY_WORKBOOK = "乡镇工作簿", "县级汇总工作簿"
#: Sheets only the county workbook has (``merge.model``), and its township column.
COUNTY_SHEETS = ("汇总", "来源")
COUNTY_TOWNSHIP = "来源乡镇"
KEY_SEPARATOR = "／"
POLICY_SOURCES = {"county": "本县参数文件", "workbook": "工作簿的参数表", "default": "内置默认参数"}


@dataclass(frozen=True)
class Source:
    path: Path
    kind: str
    checked: CheckedWorkbook
    #: Sheet key → 户编号 as typed (the checked data's carry the township in the county workbook).
    numbers: Mapping[str, pd.Series]
    #: Sheet key → the township of each row.
    townships: Mapping[str, pd.Series]

    @property
    def county(self) -> bool:
        return self.kind == COUNTY_WORKBOOK

    @property
    def name(self) -> str:
        return shown_path(self.path.name)

    @property
    def policy(self) -> Policy:
        return self.checked.policy

    @property
    def policy_text(self) -> str:
        """Whose policy the workbook is judged by, for the facts."""
        basis = self.checked.basis
        text = f"{basis.policy.county} {basis.policy.year} 年（{POLICY_SOURCES[basis.source]}）"
        if basis.source == "default" and self.county:
            text += "：该县级汇总工作簿没有参数表（由旧版本汇总），可用 --policy 指定本县参数文件"
        return text

    def frame(self, key: str) -> pd.DataFrame | None:
        sd = self.checked.sheet(key)
        return None if sd is None else sd.frame


def read_source(path: str | Path, *, purpose: str, needs: Mapping[str, tuple[str, ...]],
                policy: Policy | str | Path | None = None, today: dt.date | None = None,
                rows_word: str = "行") -> Source:
    """Read and check ``path`` for ``purpose`` (用于“{purpose}”: 回访登记, 公示 …).

    ``needs`` maps each sheet key the ledger reads to the columns it cannot do
    without; ``policy`` is the county's (a Policy or a TOML file), which then
    judges the workbook instead of its own 参数 sheet. Raises ``InputError``.
    """
    path = Path(path)
    county_policy = load_policy(policy) if isinstance(policy, str | Path) else policy
    today = dt.date.today() if today is None else today
    data = read_workbook(path)
    kind = workbook_kind(data, shown_path(path.name), purpose=purpose, needs=needs, rows_word=rows_word)
    numbers = {key: as_text(sd.frame, "household_no") for key, sd in data.sheets.items()}
    if kind == COUNTY_WORKBOOK:
        data = _qualified(data)
    checked = check_workbook(data, policy=county_policy, today=today)
    return Source(path=path, kind=kind, checked=checked, numbers=MappingProxyType(numbers),
                  townships=MappingProxyType(_townships(checked, kind)))


def workbook_kind(data: WorkbookData, name: str, *, purpose: str,
                  needs: Mapping[str, tuple[str, ...]], rows_word: str = "行") -> str:
    """``TOWNSHIP_WORKBOOK`` or ``COUNTY_WORKBOOK`` when ``data`` (the file ``name``) has the
    sheets and columns ``needs`` names, without continuation sheets; else ``InputError``."""
    kind = COUNTY_WORKBOOK if set(COUNTY_SHEETS) <= set(data.sheet_names) else TOWNSHIP_WORKBOOK
    missing = [data_name(key) for key in needs if key not in data.sheets]
    if missing:
        listed = "、".join(f"“{n}”" for n in data.sheet_names) or "（无）"
        raise InputError(
            f"{name}：不是乡镇工作簿或县级汇总工作簿（没有找到工作表{'、'.join(f'“{m}”' for m in missing)}），"
            f"无法用于{purpose}。工作簿中的工作表：{listed}")
    prefixes = tuple(f"{data_name(key)}(续" for key in needs)
    continued = [n for n in data.sheet_names if n.startswith(prefixes)]
    if continued:
        raise InputError(
            f"{name}：县级汇总工作簿含续表（{'、'.join(continued)}），续表中的{rows_word}无法参与{purpose}；"
            f"请按乡镇分别{purpose}。")
    problems = []
    for key, columns in needs.items():
        sd = data.sheets[key]
        absent = [sd.spec.column(c).header for c in columns if c not in sd.columns]
        if sd.header_row == 0:
            problems.append(f"工作表“{sd.name}”找不到表头行")
        elif absent:
            problems.append(f"工作表“{sd.name}”缺少列{'、'.join(f'“{a}”' for a in absent)}")
        if kind == COUNTY_WORKBOOK and sd.header_row and COUNTY_TOWNSHIP not in sd.frame.columns:
            problems.append(f"工作表“{sd.name}”缺少列“{COUNTY_TOWNSHIP}”")
    if problems:
        raise InputError(f"{name}：{'；'.join(problems)}，无法用于{purpose}。")
    return kind


def data_name(key: str) -> str:
    from ..schema import SHEETS_BY_KEY

    return SHEETS_BY_KEY[key].name


def _qualified(data: WorkbookData) -> WorkbookData:
    """The county workbook with every 户编号 preceded by its 来源乡镇 (``乡镇／户编号``)."""
    sheets = {}
    for key, sd in data.sheets.items():
        frame = sd.frame
        if "household_no" in frame.columns and COUNTY_TOWNSHIP in frame.columns:
            number = as_text(frame, "household_no")
            town = as_text(frame, COUNTY_TOWNSHIP)
            frame = frame.copy()
            frame["household_no"] = (town + KEY_SEPARATOR + number).where(number != "", None)
            sd = dataclasses.replace(sd, frame=frame)
        sheets[key] = sd
    return dataclasses.replace(data, sheets=sheets)


def _townships(checked: CheckedWorkbook, kind: str) -> dict[str, pd.Series]:
    """Each row's township: 来源乡镇 in the county workbook; in a township workbook the
    household's 乡镇 on 监测户 (found by its key), else the township most rows name."""
    out: dict[str, pd.Series] = {}
    if kind == COUNTY_WORKBOOK:
        for key, sd in checked.data.sheets.items():
            out[key] = as_text(sd.frame, COUNTY_TOWNSHIP)
        return out
    households = checked.sheet("households")
    names = as_text(households.frame, "township") if households is not None else pd.Series(dtype=object)
    common = collections.Counter(n for n in names if n).most_common(1)
    fallback = common[0][0] if common else checked.data.path.stem
    by_key: pd.Series = pd.Series(dtype=object)
    if households is not None and checked.has_key("households"):
        keys = checked.key("households")
        first = keys.notna() & ~keys.duplicated()
        by_key = pd.Series(names[first].to_numpy(dtype=object), index=keys[first].to_numpy(dtype=object))
    for key, sd in checked.data.sheets.items():
        if key == "households":
            found = names
        elif checked.has_key(key):
            found = pd.Series(by_key.reindex(checked.key(key).to_numpy(dtype=object)).to_numpy(dtype=object),
                              index=sd.frame.index).fillna("")
        else:
            found = pd.Series("", index=sd.frame.index, dtype=object)
        out[key] = found.where(found != "", fallback).astype(object)
    return out
