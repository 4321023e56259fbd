"""Writing the sample county: township workbooks (one in the township's own layout), the
county roster, ``manifest.json``, an Excel owner lock file and ``说明.txt``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from .. import schema
from ..policy import Policy
from ..schema import SHEETS
from ..workbook.write import Formats, atomic_output, column_values, new_workbook
from .generate import generate_county
from .model import (
    LOCK_PREFIX,
    MANIFEST_FILE,
    OWN_TRAILING_BLANK_ROWS,
    README_FILE,
    ROSTER_FILE,
    SampleCounty,
    SampleResult,
    SampleTownship,
)


def write_sample_county(out_dir: str | Path, *, townships: int = 4, households: int = 60,
                        seed: int = 0, policy: Policy,
                        rows: int | Mapping[str, int] | None = None) -> SampleResult:
    """Write a sample county into ``out_dir`` and return where everything went.

    Files: ``<乡镇>.xlsx`` per township (one in the township's own layout),
    ``县级监测户名单.xlsx``, ``manifest.json``, an owner lock file ``~$<乡镇>.xlsx``
    and ``说明.txt``. ``rows`` is handed to ``templates.write_township_workbook``
    (prepared formula rows; never fewer than the data).
    """
    from .. import templates  # only needed for writing

    county = generate_county(townships=townships, households=households, seed=seed, policy=policy)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    workbooks: dict[str, Path] = {}
    for town in county.townships:
        path = out / town.file_name
        if town.layout == "own":
            write_own_workbook(path, town, county=county)
        else:
            templates.write_township_workbook(
                path, policy=policy, township=town.name, frames=town.frames,
                rows=rows, check_date=county.check_date,
            )
        workbooks[town.name] = path
    roster = write_roster(out / ROSTER_FILE, county.roster)
    manifest = out / MANIFEST_FILE
    with atomic_output(manifest) as tmp:
        tmp.write_text(json.dumps(county.manifest_document(), ensure_ascii=False, indent=2),
                       encoding="utf-8")
    locked = county.townships[0]
    lock = out / f"{LOCK_PREFIX}{locked.file_name}"
    # Excel's owner file: the user name as a length-prefixed string, padded.
    user = "fangpin".encode("ascii")
    lock.write_bytes(bytes([len(user)]) + user + b" " * (54 - len(user)))
    readme = out / README_FILE
    readme.write_text(_readme_text(county, workbooks), encoding="utf-8")
    return SampleResult(
        out_dir=out, workbooks=workbooks, roster=roster, manifest=manifest, lock_file=lock,
        readme=readme, counts=county.counts(), codes=county.codes,
        mistakes=len(county.manifest),
    )


def _readme_text(county: SampleCounty, workbooks: dict[str, Path]) -> str:
    own = next((t.name for t in county.townships if t.layout == "own"), None)
    lines = [
        f"{county.county}示例数据（{county.year} 年，核查基准日 {county.check_date.isoformat()}）",
        "",
        "本文件夹由 fangpin-xl 生成，数据均为虚构，仅供试用和测试。",
        f"乡镇工作簿 {len(workbooks)} 个；{ROSTER_FILE} 为县级监测户名单（每户一行）。",
        f"{MANIFEST_FILE} 列出了故意设置的错误及其所在文件、工作表和单元格，校验应能一一发现。",
    ]
    if own:
        lines.append(f"{own}.xlsx 为乡镇自行整理的格式（有标题行和说明行，列名用别名），用于检验按列名读取。")
    lines += [
        f"以 {LOCK_PREFIX} 开头的文件是 Excel 打开工作簿时留下的锁定文件，汇总时应跳过。",
        "",
    ]
    return "\n".join(lines)


def write_roster(path: str | Path, roster: pd.DataFrame) -> Path:
    """The county roster: one row per household, the 监测户 input headers on row 1."""
    path = Path(path)
    columns = schema.HOUSEHOLDS.input_columns
    with atomic_output(path) as tmp:
        wb = new_workbook(tmp, constant_memory=True)
        formats = Formats(wb)
        ws = wb.add_worksheet("监测户名单")
        for i, column in enumerate(columns):
            ws.set_column(i, i, column.width, formats.column(column))
            ws.write_string(0, i, column.header, formats.header)
        values = [column_values(c, roster[c.key]) if c.key in roster.columns
                  else [None] * len(roster) for c in columns]
        for r, row in enumerate(zip(*values, strict=True), start=1):
            ws.write_row(r, 0, row)
        ws.freeze_panes(1, 0)
        wb.close()
    return path


def write_own_workbook(path: str | Path, town: SampleTownship, *, county: SampleCounty) -> Path:
    """A township's workbook in its own layout: title and note rows, synonym headers, no
    formulas."""
    path = Path(path)
    with atomic_output(path) as tmp:
        wb = new_workbook(tmp)
        formats = Formats(wb)
        note = wb.add_format({"italic": True, "font_color": "#595959"})
        blank = wb.add_format({"border": 1})
        for sheet in SHEETS:
            columns = sheet.input_columns
            frame = town.frames[sheet.key]
            header_row = town.header_row(sheet.key) - 1  # 0-based
            ws = wb.add_worksheet(sheet.name)
            for i, column in enumerate(columns):
                ws.set_column(i, i, column.width, formats.column(column))
            title = f"{county.county}{town.name}{sheet.name}台账（{county.year}年）"
            ws.merge_range(0, 0, 0, len(columns) - 1, title, formats.title)
            ws.write_string(1, 0, "说明：本表由乡镇自行整理；身份证号请按文本录入；金额单位为元。", note)
            if header_row >= 3:
                ws.write_string(2, 0, f"填报单位：{town.name}人民政府    填报日期：{county.check_date:%Y年%m月%d日}")
            for i, header in enumerate(town.headers(sheet.key)):
                ws.write_string(header_row, i, header, formats.header)
            values = [_own_values(c, frame[c.key]) for c in columns]
            for r, row in enumerate(zip(*values, strict=True), start=header_row + 1):
                ws.write_row(r, 0, row)
            if sheet.key == "members":
                for r in range(len(frame), len(frame) + OWN_TRAILING_BLANK_ROWS):
                    for i in range(len(columns)):
                        ws.write_blank(header_row + 1 + r, i, None, blank)
            ws.freeze_panes(header_row + 1, 0)
        wb.close()
    return path


def _own_values(column: schema.Column, values: pd.Series) -> list:
    """Cell values as ``column_values`` gives them, except that a number in an ID or phone
    column stays a number: what a township gets when it types one into a General cell."""
    out = column_values(column, values)
    if column.type in (schema.ID, schema.PHONE) and values.dtype == object:
        numbers = values.map(lambda v: isinstance(v, int | float | np.number) and not pd.isna(v))
        for i in np.nonzero(numbers.to_numpy(dtype=bool))[0]:
            out[i] = float(values.iloc[i])
    return out
