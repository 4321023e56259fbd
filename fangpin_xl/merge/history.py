"""The county's SQLite history (``merge --sqlite``): the county tables of one year.

The data sheets are stored township by township from the spill files, under
the county sheet's headers; 问题, 重复, 来源, 未入库 and 汇总 are the very
``Table`` rows the county workbook shows (``county.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from ..schema import SHEETS, Sheet
from ..store import write_history
from .county import Table, data_columns, extras_of, parts_of
from .model import FILE_HEADER, ROW_HEADER, SHEET_HEADER, TOWNSHIP_HEADER, MergeResult
from .worker import Outcome


def write_year(path: str | Path, result: MergeResult, merged: list[Outcome], tables: list[Table]) -> None:
    history: dict = {spec.name: _data_frames(spec, merged) for spec in SHEETS}
    history.update({t.name: t.frame() for t in tables})
    write_history(path, result.year, history)


def _data_frames(spec: Sheet, merged: list[Outcome]) -> Iterator[pd.DataFrame]:
    extras = extras_of(spec.key, merged)
    _columns, labels = data_columns(spec, extras)
    rename = {c.key: c.header for c in spec.columns}
    rename.update(dict(zip(extras, labels, strict=True)))
    for o, frame in parts_of(spec, merged):
        out = frame.rename(columns=rename)
        out.insert(0, TOWNSHIP_HEADER, o.report.township)
        out[FILE_HEADER] = o.report.name
        out[SHEET_HEADER] = o.parts[spec.key].name
        out[ROW_HEADER] = frame.index.to_numpy(dtype=np.int64)
        yield out.reset_index(drop=True)
