"""The reader against 42 real-world workbooks from 15 producer programs.

The files live in the shared corpus folder (see its SOURCES.md), never in
this repository. Every file must either be read or rejected with an
InputError naming it; nothing else may escape. Beyond that, every sheet of
every file is pushed through the schema reader with columns of every type,
so real cell values (rich text, errors, durations, ISO dates, 1904 dates,
numbers stored as text …) meet every coercion.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd
import pytest

from fangpin_xl.errors import InputError
from fangpin_xl.schema import (
    CHOICE,
    DATE,
    HOUSEHOLDS,
    ID,
    INTEGER,
    MONEY,
    MONTH,
    PHONE,
    TEXT,
    TYPES,
    YESNO,
    Column,
    Sheet,
)
from fangpin_xl.workbook.read import normalise_header, read_sheet_table, read_workbook


def corpus_dir() -> Path | None:
    here = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "real-xlsx"
    if here.is_dir():
        return here
    env = os.environ.get("FANGPIN_CORPUS")
    if env and Path(env).is_dir():
        return Path(env)
    return None


CORPUS = corpus_dir()
FILES = sorted([*CORPUS.glob("*.xlsx"), *CORPUS.glob("*.xlsm")]) if CORPUS else []

pytestmark = pytest.mark.skipif(
    CORPUS is None,
    reason="real-world corpus not found (../shared/corpus/real-xlsx or $FANGPIN_CORPUS): corpus tests skipped",
)

DTYPES = {MONEY: "float64", INTEGER: "Int64", DATE: "datetime64[ns]", MONTH: "datetime64[ns]"}


def ids(path: Path) -> str:
    return path.name


def test_corpus_is_complete():
    assert len(FILES) == 42


@pytest.mark.parametrize("path", FILES, ids=ids)
def test_read_workbook(path):
    try:
        data = read_workbook(path)
    except InputError as exc:
        assert path.name in str(exc)
        return
    assert data.file == path.name
    assert all(issue.file == path.name for issue in data.issues)
    # Every sheet, read as if it were the 监测户 sheet.
    specs = tuple(
        Sheet(f"s{i}", name, HOUSEHOLDS.columns) for i, name in enumerate(data.sheet_names)
    )
    try:
        every = read_workbook(path, sheets=specs)
    except InputError as exc:
        assert path.name in str(exc)
        return
    for sheet in every.sheets.values():
        check_sheet(sheet)


@pytest.mark.parametrize("path", FILES, ids=ids)
def test_read_sheet_table(path):
    try:
        frame, header_row = read_sheet_table(path)
    except InputError as exc:
        assert path.name in str(exc)
        return
    assert header_row >= 1
    assert frame.index.is_monotonic_increasing
    assert (frame.index > header_row).all()
    assert set(frame.attrs["columns"]) == set(frame.columns)


@pytest.mark.parametrize("path", FILES, ids=ids)
def test_real_values_through_every_type(path):
    """Each sheet's own headers become schema columns of every type in turn."""
    try:
        names = read_workbook(path, sheets=(), read_policy=False).sheet_names
    except InputError as exc:
        assert path.name in str(exc)
        return
    for name in names:
        try:
            table, _ = read_sheet_table(path, name)
        except InputError as exc:
            assert path.name in str(exc)
            continue
        # A schema never repeats a header, so keep the first of equal ones
        # (read_sheet_table tells repeated ones apart as “名称（F列）”).
        unique = {}
        for header in table.columns:
            if not re.fullmatch(r"列[A-Z]+", header):
                header = re.sub(r"（[A-Z]+列）$", "", header)
                unique.setdefault(normalise_header(header), header)
        headers = list(unique.values())
        columns = tuple(
            Column(f"c{j}", header, TYPES[j % len(TYPES)], required=(j == 0))
            for j, header in enumerate(headers)
        )
        spec = Sheet("t", name, columns)
        data = read_workbook(path, sheets=(spec,), read_policy=False)
        check_sheet(data.sheets["t"])
        if len(headers) >= 2:
            sheet = data.sheets["t"]
            assert sheet.header_row >= 1
            assert sheet.rows_read == len(sheet.frame)


def check_sheet(sheet) -> None:
    frame = sheet.frame
    keys = [c.key for c in sheet.spec.columns]
    assert list(frame.columns) == keys + sheet.extras
    assert sheet.rows_read == len(frame)
    assert frame.index.is_monotonic_increasing and frame.index.is_unique
    if len(frame):
        assert frame.index.min() > sheet.header_row + sheet.header_rows - 1
    for column in sheet.spec.columns:
        expected = DTYPES.get(column.type, "object")
        assert str(frame[column.key].dtype) == expected, column.key
        values = frame[column.key].dropna()
        if column.type in (TEXT, CHOICE, PHONE):
            assert all(isinstance(v, str) and v == v.strip() and v for v in values)
        if column.type == YESNO:
            assert set(values) <= {"是", "否"}
        if column.type == ID:
            assert all(not isinstance(v, str) or (v == v.strip() and v) for v in values)
    for change in sheet.changes + sheet.failures:
        assert change.cell == sheet.columns[change.key] + str(change.row)
        assert change.row in frame.index
    for failure in sheet.failures:
        assert pd.isna(frame.at[failure.row, failure.key])
