"""The county's history: every merged table of every year in one SQLite file.

``merge --sqlite FILE`` calls :func:`write_history` with the tables of the
county workbook. Layout of the database:

* one table per sheet, named as the sheet is (``监测户``, ``家庭成员``, ``支出``,
  ``救助``, ``帮扶``, ``援助``, ``来源``, ``问题``, ``重复``, ``未入库``, ``汇总``), so
  a query reads like the workbook: ``SELECT 来源乡镇, COUNT(*) FROM 监测户 WHERE
  年度 = 2020 GROUP BY 来源乡镇``;
* its columns are ``年度`` first, then the frame's columns under their headers
  (the provenance columns 来源乡镇 / 来源文件 / 来源工作表 / 来源行 included);
  a column a later year brings (a township's extra column) is added, earlier
  years hold NULL there;
* types: ID numbers, phone numbers and all other text are TEXT (never
  numbers, so leading zeros and the 18th digit survive); money REAL; counts
  INTEGER; dates TEXT in ISO form ``2020-08-25`` (SQLite has no date type and
  ISO text sorts and compares correctly). A column's type is set by the first
  rows that create it; a number column holding a few texts a township typed
  ("五千元", kept by the merge) is REAL, where such texts stay text.

Writing a year replaces that year's rows only: in one transaction, every
table given loses its rows of that year and gets the new ones; other years
are not touched, and a failure leaves the file as it was.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import InputError, os_reason
from .fund import to_fen

YEAR_COLUMN = "年度"

_TEXT, _REAL, _INTEGER = "TEXT", "REAL", "INTEGER"


def quote(name: str) -> str:
    """An SQL identifier, quoted (any text is allowed as a table or column name)."""
    return '"' + str(name).replace('"', '""') + '"'


def write_history(
    sqlite_path: str | Path,
    year: int,
    tables: Mapping[str, pd.DataFrame | Iterable[pd.DataFrame]],
) -> dict[str, int]:
    """Store ``tables`` as the rows of ``year``; return rows written per table.

    A table is a DataFrame, or an iterable of DataFrames written one after
    the other (the merge passes one per township, so the county never has
    to be in memory at once; a column one of them lacks is NULL there).
    Rows of ``year`` already in the file are replaced, for the tables given;
    rows of other years stay as they are. Raises ``InputError`` when the
    file is not a SQLite database or cannot be written.
    """
    year = int(year)
    path = Path(sqlite_path)
    written: dict[str, int] = {}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(str(path), timeout=30, isolation_level=None)
    except (OSError, sqlite3.Error) as exc:
        raise InputError(f"无法打开历史数据库 {path}：{_db_reason(exc)}。") from None
    try:
        con.execute("BEGIN IMMEDIATE")
        for name, value in tables.items():
            chunks = [value] if isinstance(value, pd.DataFrame) else value
            written[name] = 0
            cleared = False
            if _table_columns(con, name):
                con.execute(f"DELETE FROM {quote(name)} WHERE {quote(YEAR_COLUMN)} = ?", (year,))
                cleared = True
            for chunk in chunks:
                columns, types, rows = _prepare(chunk)
                _ensure_table(con, name, columns, types)
                if not cleared:
                    con.execute(f"DELETE FROM {quote(name)} WHERE {quote(YEAR_COLUMN)} = ?", (year,))
                    cleared = True
                names = ", ".join(quote(c) for c in (YEAR_COLUMN, *columns))
                marks = ", ".join("?" * (len(columns) + 1))
                con.executemany(
                    f"INSERT INTO {quote(name)} ({names}) VALUES ({marks})",
                    ((year, *row) for row in rows),
                )
                written[name] += len(rows)
        con.execute("COMMIT")
    except sqlite3.DatabaseError as exc:
        if con.in_transaction:
            con.execute("ROLLBACK")
        text = str(exc)
        if "not a database" in text or "malformed" in text:
            raise InputError(f"{path} 不是有效的 SQLite 历史数据库，请换一个文件名。") from None
        if "locked" in text:
            raise InputError(f"历史数据库 {path} 正被其他程序占用，请关闭后重试。") from None
        raise InputError(f"写入历史数据库 {path} 失败：{_db_reason(exc)}。") from None
    except BaseException:
        if con.in_transaction:
            con.execute("ROLLBACK")
        raise
    finally:
        con.close()
    return written


def read_history(sqlite_path: str | Path, table: str, *, year: int | None = None) -> pd.DataFrame:
    """One table of the history (all years, or one), in insertion order."""
    path = Path(sqlite_path)
    if not path.exists():
        raise InputError(f"找不到历史数据库 {path}。")
    con = sqlite3.connect(str(path))
    try:
        sql = f"SELECT * FROM {quote(table)}"
        params: tuple = ()
        if year is not None:
            sql += f" WHERE {quote(YEAR_COLUMN)} = ?"
            params = (int(year),)
        return pd.read_sql_query(sql + " ORDER BY rowid", con, params=params)
    except (sqlite3.Error, pd.errors.DatabaseError) as exc:
        try:
            missing = not _table_columns(con, table)
        except sqlite3.Error:
            missing = False
        if missing:
            raise InputError(f"历史数据库 {path} 中没有表“{table}”。") from None
        # pandas wraps SQLite's error: its cause carries the result code.
        raise InputError(f"无法读取历史数据库 {path} 中的表“{table}”：{_db_reason(exc.__cause__ or exc)}。") from None
    finally:
        con.close()


def history_years(sqlite_path: str | Path) -> dict[str, list[int]]:
    """Table → the years it holds."""
    con = sqlite3.connect(str(sqlite_path))
    try:
        names = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        out = {}
        for name in names:
            cols = [r[1] for r in con.execute(f"PRAGMA table_info({quote(name)})")]
            if YEAR_COLUMN in cols:
                out[name] = [r[0] for r in con.execute(
                    f"SELECT DISTINCT {quote(YEAR_COLUMN)} FROM {quote(name)} ORDER BY 1")]
        return out
    finally:
        con.close()


def _table_columns(con: sqlite3.Connection, name: str) -> list[str]:
    return [r[1] for r in con.execute(f"PRAGMA table_info({quote(name)})")]


def _ensure_table(con: sqlite3.Connection, name: str, columns: list[str], types: list[str]) -> None:
    existing = _table_columns(con, name)
    if not existing:
        defs = ", ".join([f"{quote(YEAR_COLUMN)} INTEGER NOT NULL"]
                         + [f"{quote(c)} {t}" for c, t in zip(columns, types, strict=True)])
        con.execute(f"CREATE TABLE {quote(name)} ({defs})")
        con.execute(
            f"CREATE INDEX {quote(name + '_年度')} ON {quote(name)} ({quote(YEAR_COLUMN)})"
        )
        return
    known = set(existing)
    for column, kind in zip(columns, types, strict=True):
        if column not in known:
            con.execute(f"ALTER TABLE {quote(name)} ADD COLUMN {quote(column)} {kind}")


def _prepare(frame: pd.DataFrame) -> tuple[list[str], list[str], list[tuple]]:
    """Column names, SQL types and row tuples of plain Python values (None for missing)."""
    columns = [str(c) for c in frame.columns]
    if YEAR_COLUMN in columns:
        raise ValueError(f"frame already has a {YEAR_COLUMN} column")
    if len(set(columns)) != len(columns):
        raise ValueError("duplicate column names")
    types, lists = [], []
    for i in range(frame.shape[1]):
        kind, values = _column(frame.iloc[:, i])
        types.append(kind)
        lists.append(values)
    rows = list(zip(*lists, strict=True)) if lists else [()] * len(frame)
    return columns, types, rows


def _column(series: pd.Series) -> tuple[str, list]:
    dtype = series.dtype
    missing = series.isna().to_numpy(dtype=bool, copy=True)
    if pd.api.types.is_datetime64_any_dtype(dtype):
        stamps = series.dt.tz_localize(None) if isinstance(dtype, pd.DatetimeTZDtype) else series
        midnight = (stamps.dropna() == stamps.dropna().dt.normalize()).all()
        text = stamps.dt.strftime("%Y-%m-%d" if midnight else "%Y-%m-%dT%H:%M:%S")
        values = text.to_numpy(dtype=object, na_value=None)
        kind = _TEXT
    elif pd.api.types.is_bool_dtype(dtype):
        values = series.to_numpy(dtype=object, na_value=None)
        values = np.array([None if v is None else int(v) for v in values], dtype=object)
        kind = _INTEGER
    elif pd.api.types.is_integer_dtype(dtype):
        values = series.astype("Int64").to_numpy(dtype=object, na_value=None)
        values = np.array([None if v is None else int(v) for v in values], dtype=object)
        kind = _INTEGER
    elif pd.api.types.is_float_dtype(dtype):
        numbers = series.to_numpy(dtype=np.float64, na_value=np.nan)
        missing |= ~np.isfinite(numbers)
        values = numbers.astype(object)
        kind = _REAL
    else:
        values = series.to_numpy(dtype=object, na_value=None).copy()
        strings = np.fromiter((isinstance(v, str) for v in values), dtype=bool, count=len(values))
        numbers = np.fromiter(
            (isinstance(v, int | float | np.number) and not isinstance(v, bool | np.bool_) for v in values),
            dtype=bool, count=len(values),
        ) & ~missing
        if (numbers.sum() > strings.sum() and not (~strings & ~numbers & ~missing).any()
                and not any(_numeric_text(v) for v in values[strings])):
            # A number column holding a few texts a township typed (a money
            # cell "五千元"): REAL keeps the numbers numbers and the texts text
            # (SQLite would turn a text like "01234" into a number, hence the check).
            for i in np.flatnonzero(numbers):
                values[i] = float(values[i])
            kind = _REAL
        else:
            other = ~strings & ~missing
            for i in np.flatnonzero(other):
                values[i] = _text(values[i])
            kind = _TEXT
    values = np.asarray(values, dtype=object)
    values[missing] = None
    return kind, values.tolist()


def _numeric_text(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _text(value: Any) -> str:
    """A value in a text column as the text a user sees (ID numbers never in E notation)."""
    if isinstance(value, bool | np.bool_):
        return "是" if value else "否"
    if isinstance(value, dt.datetime | pd.Timestamp):
        stamp = pd.Timestamp(value)
        return stamp.strftime("%Y-%m-%d" if stamp == stamp.normalize() else "%Y-%m-%dT%H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float | np.floating):
        number = float(value)
        return str(int(number)) if number.is_integer() and abs(number) < 1e16 else f"{number:.15g}"
    if isinstance(value, int | np.integer):
        return str(int(value))
    return str(value)


def yearly_figures(sqlite_path: str | Path) -> pd.DataFrame:
    """Per year the history holds: 监测户 (``households``), those judged 符合 (``verified``),
    households with a case 已支付 (``helped``) and the 救助金额 of those cases (``relief``,
    yuan, summed in fen; amounts kept as text are left out). Raises ``InputError`` when the
    file is not a history ``merge --sqlite`` wrote."""
    path = Path(sqlite_path)
    if not path.is_file():
        raise InputError(f"找不到历史数据库 {path}。")
    try:
        con = sqlite3.connect(f"file:{path.resolve().as_posix()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise InputError(f"无法打开历史数据库 {path}：{_db_reason(exc)}。") from None
    year, hh, cases = quote(YEAR_COLUMN), quote("监测户"), quote("救助")
    try:
        households = pd.read_sql_query(
            f"SELECT {year} AS year, COUNT(*) AS households, "
            f"SUM(CASE WHEN {quote('资格判定')} = '符合' THEN 1 ELSE 0 END) AS verified "
            f"FROM {hh} WHERE {quote('户编号')} IS NOT NULL GROUP BY {year}", con)
        paid = pd.read_sql_query(
            f"SELECT {year} AS year, {quote('来源乡镇')} AS township, {quote('户编号')} AS number, "
            f"CASE WHEN typeof({quote('救助金额')}) IN ('integer', 'real') THEN {quote('救助金额')} END AS amount "
            f"FROM {cases} WHERE {quote('状态')} = '已支付'", con)
    except (sqlite3.Error, pd.errors.DatabaseError):
        raise InputError(f"{path} 不是 merge --sqlite 写出的历史数据库。") from None
    finally:
        con.close()
    amounts = paid["amount"].to_numpy(dtype=np.float64)
    fen = np.where(np.isfinite(amounts), to_fen(np.nan_to_num(amounts)), 0).astype(np.int64)
    paid = paid.assign(fen=fen, household=paid["township"].astype(str) + "／" + paid["number"].astype(str))
    per_year = paid.groupby("year").agg(helped=("household", "nunique"), relief=("fen", "sum"))
    out = households.set_index("year").join(per_year, how="outer").fillna(0)
    out = out.astype(np.int64).reset_index()
    out["relief"] = out["relief"] / 100
    return out[["year", "households", "verified", "helped", "relief"]]


#: SQLite's primary result codes as a clerk reads them (SQLite's own text is English).
_SQLITE_REASONS = {
    sqlite3.SQLITE_BUSY: "文件正被其他程序占用，请关闭后重试",
    sqlite3.SQLITE_LOCKED: "文件正被其他程序占用，请关闭后重试",
    sqlite3.SQLITE_CANTOPEN: "无法打开文件（所在文件夹不存在、没有权限，或文件正被占用）",
    sqlite3.SQLITE_FULL: "磁盘空间已满，请清理磁盘或换一个位置保存",
    sqlite3.SQLITE_READONLY: "文件或所在位置是只读的，请换一个位置保存",
    sqlite3.SQLITE_PERM: "没有权限",
    sqlite3.SQLITE_IOERR: "磁盘读写出错（U 盘或网络盘可能已断开），请检查后重试",
    sqlite3.SQLITE_CORRUPT: "文件已损坏",
    sqlite3.SQLITE_NOTADB: "不是 SQLite 数据库",
}


def _db_reason(exc: BaseException) -> str:
    """Why the history database failed, in Chinese: an OS error by ``errors.os_reason``, a SQLite
    error by its result code; any other by SQLite's name for it, as technical information."""
    if isinstance(exc, OSError):
        return os_reason(exc, writing=True)
    code = getattr(exc, "sqlite_errorcode", None)
    reason = _SQLITE_REASONS.get(code & 0xFF) if isinstance(code, int) else None
    if reason is not None:
        return reason
    return f"数据库出错（技术信息：{getattr(exc, 'sqlite_errorname', None) or type(exc).__name__}）"
