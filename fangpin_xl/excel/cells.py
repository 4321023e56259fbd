"""Excel cell values in and out of the custom functions (no xlwings here).

Every argument of ``udfs`` is declared with xlwings' ``"raw"`` converter: the values come
as the runtime sent them and ``grid`` does the cleaning xlwings' default converter would
do. The reason is speed: xlwings 0.37 cleans each cell of a range argument by calling
``xlwings.utils.is_jsnull``, which tries ``from pyodide.ffi import JsNull`` for every
cell — a failed import outside Pyodide, about 40 µs a cell, 3 s for a table of 10,000
rows × 8 columns. ``grid`` does the same work over whole arrays.

What reaches a custom function, read from the xlwings 0.37 source
(``xlwings/pro/udfs_officejs.py`` ``custom_functions_call`` and ``to_scalar``,
``xlwings/pro/_xlofficejs.py``, ``xlwings/udfs.py`` ``call_udf``, ``xlwings/_xlwindows.py``)
and the xlwings-server client (``custom-functions-code.js``):

* **Office.js** (xlwings Server, xlwings Lite). Excel sends every argument as a matrix,
  ``[[value]]`` for one cell and a list of rows for a range, in a JSON body
  ``{"func_name", "args", "client": "Office.js", "runtime", "date_format", ...}``. xlwings
  unwraps a 1×1 matrix into its value and a one-row matrix into a flat list (``to_scalar``);
  an argument that is then ``None`` (a single empty cell, or an omitted optional argument)
  is replaced by the Python default. Inside a
  range an empty cell is ``null`` → ``None`` (Pyodide 0.28+ in xlwings Lite: its ``JsNull``
  sentinel; ``""`` in some paths). Numbers are ``int`` or ``float`` as typed; **dates are
  bare serial numbers** (``43954`` is 2020-05-03: custom functions do not see cell
  formats); text is ``str``; booleans ``bool``. An error cell is
  ``{"type": "Error", "basicValue": "#N/A", "errorType": "NotAvailable"}`` (older
  runtimes send the string "#N/A"); other data types are dicts with a ``basicValue``.
* **Desktop Excel through COM** (classic xlwings on Windows). A range arrives as its COM
  ``Value``: a tuple of row tuples (one value for one cell); empty cells ``None``, numbers
  ``float``, text ``str``, booleans ``bool``, date-formatted cells ``pywintypes.datetime``
  (a ``datetime`` carrying the local time zone; its wall time is the cell's), error cells
  ``int`` codes (-2146826246 is #N/A).

``grid`` turns any of these into a 2-D object array of plain values: ``None`` for empty,
error values as their text ("#N/A"), naive datetimes, the ``basicValue`` of other dicts.
Coercion is then the reader's (``workbook.coerce.coerce_column``): "5,000元", "５０００",
"2020.5.3" and "2020年5月3日" mean here what they mean in a township workbook. An error
value is text that is not a number or a date, so it is reported like any unreadable value
(人均收入“#N/A”不是数字).

Results go back as plain Python values: ``str``, ``float``, ``int``, ``bool``,
``datetime.date`` and ``None`` for an empty cell. xlwings writes "" for ``None``; Office.js
gets a date as ``{"type": "FormattedNumber", "basicValue": <serial>, "numberFormat": ...}``
(runtime 1.4 and later; the bare serial before), COM as a date. Never NaN (Office.js would
show #NUM!); no text starts with "#" (Office.js turns a text equal to an error code into
that error).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..policy import Policy, load_policy, policy_from_values
from ..schema import DATE, INTEGER, MONEY
from ..text import cell_text
from ..workbook.coerce import classify, coerce_column, numbers_of
from ..workbook.read import policy_values_from_rows

#: Excel's error values as text.
EXCEL_ERRORS: frozenset[str] = frozenset({
    "#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA",
    "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#BUSY!", "#CONNECT!", "#UNKNOWN!",
    "#EXTERNAL!", "#PYTHON!",
})
#: Error cells as COM hands them over (VT_ERROR codes), when not converted to text.
COM_ERRORS: dict[int, str] = {
    -2146826281: "#DIV/0!", -2146826246: "#N/A", -2146826259: "#NAME?", -2146826288: "#NULL!",
    -2146826252: "#NUM!", -2146826265: "#REF!", -2146826273: "#VALUE!",
}

# The reader's kind codes of an int, a datetime and an object it has no kind for.
_INT_KIND, _DATETIME_KIND, _OTHER_KIND = classify([0, dt.datetime(2000, 1, 1), object()])

#: Types of a single cell value that need no cleaning (a naive datetime has no zone).
_PLAIN = frozenset({type(None), str, int, float, bool})

try:  # xlwings Lite (Pyodide 0.28+) hands over JavaScript's null as this sentinel
    from pyodide.ffi import JsNull as _JsNull
except ImportError:
    _JsNull = None

PARAMS_HEADER_MISSING = (
    "参数区域中找不到“键”“参数”“值”表头行：请选中工作簿“参数”表的整张表（含表头行）。"
)
MIN_YEAR, MAX_YEAR = 2000, 2100
#: Dates the functions accept (the reader reads 1678–2261, Excel's own start at 1900).
FIRST_DATE = np.datetime64("1900-01-01", "ns")
LAST_DATE = np.datetime64("2100-12-31", "ns")


# -- values in ---------------------------------------------------------------------------

def _clean(value: Any) -> Any:
    """One value that is not a plain cell value, as the plain value it stands for."""
    if _JsNull is not None and isinstance(value, _JsNull):
        return None
    if isinstance(value, dict):
        if value.get("type") == "Error":
            return value.get("basicValue") or "#VALUE!"
        if "basicValue" in value:
            return _clean(value["basicValue"])
        return str(value)
    if isinstance(value, list | tuple):
        return str(value)
    return value


def grid(value: Any) -> np.ndarray:
    """An argument as a 2-D object array of cell values.

    A flat list is one row: xlwings' ``to_scalar`` unwraps a one-row matrix
    ``[[a, b]]`` into ``[a, b]`` (as its own ``Ensure2DStage`` reads it back).
    """
    if type(value) in _PLAIN:  # one cell, as most calls send it
        if value == "":
            value = None
        elif type(value) is int and value in COM_ERRORS:  # one error cell through COM
            value = COM_ERRORS[value]
        block = np.empty((1, 1), dtype=object)
        block[0, 0] = value
        return block
    if isinstance(value, list | tuple):
        if value and not any(isinstance(row, list | tuple) for row in value):
            value = [value]
        rows = [list(row) if isinstance(row, list | tuple) else [row] for row in value]
    else:
        rows = [[value]]
    width = max((len(row) for row in rows), default=0)
    if not rows or width == 0:
        return np.full((1, 1), None, dtype=object)
    block = np.full((len(rows), width), None, dtype=object)
    filled = False
    if all(len(row) == width for row in rows):
        try:
            block[:] = rows
            filled = True
        except ValueError:  # a cell holding a list
            pass
    if not filled:  # ragged rows, or lists inside cells: row by row, one cell at a time
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                block[i, j] = _clean(value)
    flat = block.reshape(-1)
    codes = classify(flat)
    ints = np.flatnonzero(codes == _INT_KIND)
    if ints.size:
        hits = pd.Series(flat[ints], dtype=object).isin(list(COM_ERRORS)).to_numpy(dtype=bool)
        flat[ints[hits]] = [COM_ERRORS[int(v)] for v in flat[ints[hits]]]
    others = np.flatnonzero(codes == _OTHER_KIND)
    if others.size:
        flat[others] = [_clean(v) for v in flat[others]]
    stamps = np.flatnonzero(codes == _DATETIME_KIND)
    if stamps.size:
        # COM dates carry the local zone; the cell's value is the wall time.
        flat[stamps] = [v.replace(tzinfo=None) if getattr(v, "tzinfo", None) else v
                        for v in flat[stamps]]
    return block


def single(value: Any, label: str) -> Any:
    """The value of an argument that must be one cell."""
    cells = grid(value)
    if cells.shape != (1, 1):
        rows, cols = cells.shape
        raise InputError(f"{label}应为一个单元格，现为 {rows} 行 {cols} 列的区域。")
    return cells[0, 0]


def broadcast(args: Mapping[str, Any], labels: Mapping[str, str]) -> tuple[tuple[int, int], dict[str, np.ndarray]]:
    """Per-row arguments as flat columns of one shape: single cells are repeated.

    Returns (shape, name → 1-D object array). Ranges of different shapes are an
    ``InputError`` naming them.
    """
    grids = {name: grid(value) for name, value in args.items()}
    shapes = {name: g.shape for name, g in grids.items() if g.shape != (1, 1)}
    distinct = list(dict.fromkeys(shapes.values()))
    if len(distinct) > 1:
        sizes = "，".join(f"{labels[name]} {r} 行 {c} 列" for name, (r, c) in shapes.items())
        raise InputError(f"各区域大小不一致：{sizes}。请让各区域的行数、列数相同，或只选一个单元格。")
    shape = distinct[0] if distinct else (1, 1)
    flat = {name: np.broadcast_to(g, shape).reshape(-1).copy() for name, g in grids.items()}
    return shape, flat


@dataclass(frozen=True)
class Typed:
    """One argument column coerced to a schema type."""

    #: The coerced values (float64 for money and integers, datetime64[ns] for dates,
    #: object otherwise).
    values: np.ndarray
    #: Cells that are empty (or whitespace).
    empty: np.ndarray
    #: Non-empty cells that could not be read as the type.
    failed: np.ndarray
    #: The cells as they came.
    raw: np.ndarray

    def or_raw(self) -> np.ndarray:
        """The values, with each failed cell's original value in its place (object when any
        failed), so the core rules report it as they report an unreadable cell."""
        if not self.failed.any():
            return self.values
        out = self.values.astype(object)
        out[self.failed] = self.raw[self.failed]
        return out

    def failure_messages(self, label: str, what: str) -> np.ndarray:
        """``{label}“{value}”不是{what}`` where a cell failed, None elsewhere (for a date
        outside 1900–2100: that it is outside)."""
        out = np.full(len(self.raw), None, dtype=object)
        rows = np.flatnonzero(self.failed)
        out[rows] = [f"{label}“{cell_text(v)}”不是{what}" for v in self.raw[rows]]
        if what == "日期":
            for row in rows:
                day = coerce_column([self.raw[row]], DATE).values.iloc[0]
                if not pd.isna(day):
                    out[row] = f"{label}“{cell_text(self.raw[row])}”不在 1900 年至 2100 年之间"
        return out


def coerce(columns: Mapping[str, np.ndarray], kind: str) -> dict[str, Typed]:
    """Coerce several columns of one schema type with a single reader call."""
    names = list(columns)
    if not names:
        return {}
    sizes = [len(columns[name]) for name in names]
    stacked = np.concatenate([np.asarray(columns[name], dtype=object) for name in names])
    result = coerce_column(stacked, kind)
    if kind == INTEGER:  # nullable Int64: as floats, NaN where empty or failed
        values = result.values.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        values = result.values.to_numpy()
    empty = result.empty.to_numpy(dtype=bool)
    failed = result.failed.to_numpy(dtype=bool)
    if kind == MONEY and failed.any():
        # The reader refuses an amount from 10 billion yuan on (``coerce.MAX_AMOUNT``: no
        # township cell holds one). A function computes with any finite number, as Excel's own
        # formulas do, and the fund's functions have limits of their own (``fund.MAX_YUAN``).
        rows = np.flatnonzero(failed)
        numbers = numbers_of(stacked[rows])
        back = np.isfinite(numbers)
        values, failed = values.copy(), failed.copy()
        values[rows[back]] = numbers[back]
        failed[rows[back]] = False
    if kind == DATE:
        # Excel's dates start in 1900; the calendar tables stop being cheap (and datetime64
        # stops in 2262) long after 2100.
        outside = ~np.isnat(values) & ((values < FIRST_DATE) | (values > LAST_DATE))
        values = np.where(outside, np.datetime64("NaT"), values)
        failed = failed | outside
    out = {}
    start = 0
    for name, size in zip(names, sizes, strict=True):
        part = slice(start, start + size)
        out[name] = Typed(values[part], empty[part], failed[part], stacked[part])
        start += size
    return out


# -- the policy --------------------------------------------------------------------------

_DEFAULT_POLICIES: dict[int | None, Policy] = {}
_SHEET_POLICIES: dict[tuple, Policy] = {}
_SHEET_CACHE_SIZE = 32


def year_value(value: Any) -> int | None:
    """The ``year`` argument: None when empty; "2020", 2020.0 and "2020年" are 2020."""
    cell = single(value, "年度")
    if cell is None:
        return None
    typed = cell.strip().removesuffix("年") if isinstance(cell, str) else cell
    result = coerce_column([typed], INTEGER)
    if result.empty.iloc[0]:
        return None
    year = result.values.iloc[0]
    if result.failed.iloc[0] or not MIN_YEAR <= int(year) <= MAX_YEAR:
        raise InputError(
            f"年度应为 {MIN_YEAR} 到 {MAX_YEAR} 之间的整数（如 2020），现为“{cell_text(cell)}”。"
        )
    return int(year)


def policy_for(year: Any = None, params: Any = None) -> tuple[Policy, int | None]:
    """The policy the functions judge by, and the year argument (None = the policy's).

    With ``params`` (the workbook's 参数 table, its 键/参数/值 header row included) the
    policy is the one that sheet describes (``policy_from_values``); without it, the
    installed default (``load_policy``) for ``year``. Either way a year with no known
    income threshold raises the core's ``PolicyError``.
    """
    wanted = year_value(year)
    if params is None:
        policy = _DEFAULT_POLICIES.get(wanted)
        if policy is None:
            policy = _DEFAULT_POLICIES[wanted] = load_policy(year=wanted)
        return policy, wanted
    rows = grid(params)
    key = tuple(map(tuple, rows.tolist()))
    policy = _SHEET_POLICIES.get(key)
    if policy is None:
        values = policy_values_from_rows(rows.tolist())
        if values is None:
            raise InputError(PARAMS_HEADER_MISSING)
        policy = policy_from_values(values, source="参数表")
        if len(_SHEET_POLICIES) >= _SHEET_CACHE_SIZE:
            _SHEET_POLICIES.clear()
        _SHEET_POLICIES[key] = policy
    if wanted is not None:
        policy.income_threshold(wanted)
    return policy, wanted


# -- values out --------------------------------------------------------------------------

def dates_out(values: Any) -> np.ndarray:
    """datetime64 values as ``datetime.date`` objects, None where NaT."""
    days = np.asarray(values, dtype="datetime64[ns]").astype("datetime64[D]")
    return days.astype(object)


def numbers_out(values: Any) -> np.ndarray:
    """Numbers as Python floats, None where NaN."""
    numbers = np.asarray(values, dtype=np.float64)
    out = numbers.astype(object)
    out[np.isnan(numbers)] = None
    return out


def shaped(flat: np.ndarray, shape: tuple[int, int]) -> Any:
    """Flat results as Excel gets them: one value for one cell, else rows of values."""
    if shape == (1, 1):
        return flat[0]
    return np.asarray(flat, dtype=object).reshape(shape).tolist()
