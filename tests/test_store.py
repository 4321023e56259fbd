"""The SQLite history: years appended, a year replaced, IDs kept as text."""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd
import pytest

from fangpin_xl.errors import InputError
from fangpin_xl.store import YEAR_COLUMN, history_years, read_history, write_history


def members(ids: list, township: str = "魏城镇") -> pd.DataFrame:
    n = len(ids)
    return pd.DataFrame({
        "来源乡镇": [township] * n,
        "户编号": [f"H{i}" for i in range(n)],
        "身份证号": pd.Series(ids, dtype=object),
        "金额": np.arange(n, dtype=float) * 1.5,
        "家庭人口": pd.array(list(range(n)), dtype="Int64"),
        "发生日期": pd.to_datetime(["2020-08-25"] * n),
        "来源行": np.arange(3, 3 + n, dtype=np.int64),
    })


def test_two_years_then_a_year_rewritten(tmp_path):
    db = tmp_path / "history.sqlite"
    assert write_history(db, 2020, {"家庭成员": members(["130434199001011234", "01234"])}) == {"家庭成员": 2}
    assert write_history(db, 2021, {"家庭成员": members(["130434199001011234"])}) == {"家庭成员": 1}
    assert history_years(db) == {"家庭成员": [2020, 2021]}
    # Re-running 2020 replaces 2020 only.
    write_history(db, 2020, {"家庭成员": members(["A", "B", "C"], township="德政镇")})
    y2020 = read_history(db, "家庭成员", year=2020)
    y2021 = read_history(db, "家庭成员", year=2021)
    assert list(y2020["身份证号"]) == ["A", "B", "C"]
    assert set(y2020["来源乡镇"]) == {"德政镇"}
    assert list(y2021["身份证号"]) == ["130434199001011234"]
    assert len(read_history(db, "家庭成员")) == 4


def test_types_ids_text_dates_iso(tmp_path):
    db = tmp_path / "h.sqlite"
    frame = members(["01234", None, 130434199001011234])
    frame.loc[1, "金额"] = np.nan
    frame["家庭人口"] = pd.array([1, None, 3], dtype="Int64")
    write_history(db, 2020, {"家庭成员": frame})
    con = sqlite3.connect(db)
    rows = con.execute(
        'SELECT 年度, 身份证号, typeof(身份证号), 金额, 家庭人口, 发生日期, 来源行 FROM 家庭成员 ORDER BY rowid'
    ).fetchall()
    declared = {r[1]: r[2] for r in con.execute("PRAGMA table_info(家庭成员)")}
    con.close()
    assert rows == [
        (2020, "01234", "text", 0.0, 1, "2020-08-25", 3),
        (2020, None, "null", None, None, "2020-08-25", 4),
        (2020, "130434199001011234", "text", 3.0, 3, "2020-08-25", 5),
    ]
    assert declared == {
        YEAR_COLUMN: "INTEGER", "来源乡镇": "TEXT", "户编号": "TEXT", "身份证号": "TEXT",
        "金额": "REAL", "家庭人口": "INTEGER", "发生日期": "TEXT", "来源行": "INTEGER",
    }


def test_new_column_in_a_later_year(tmp_path):
    db = tmp_path / "h.sqlite"
    write_history(db, 2020, {"援助": pd.DataFrame({"户编号": ["H1"]})})
    write_history(db, 2021, {"援助": pd.DataFrame({"户编号": ["H2"], "微信号": ["wx"]})})
    con = sqlite3.connect(db)
    rows = con.execute("SELECT * FROM 援助 ORDER BY rowid").fetchall()
    columns = [r[1] for r in con.execute("PRAGMA table_info(援助)")]
    con.close()
    assert columns == [YEAR_COLUMN, "户编号", "微信号"]
    assert rows == [(2020, "H1", None), (2021, "H2", "wx")]


def test_chunks_are_one_table(tmp_path):
    db = tmp_path / "h.sqlite"
    chunks = (members([f"X{i}{j}" for j in range(3)], township=f"T{i}") for i in range(3))
    assert write_history(db, 2020, {"家庭成员": chunks}) == {"家庭成员": 9}
    assert read_history(db, "家庭成员")["来源乡镇"].tolist() == ["T0"] * 3 + ["T1"] * 3 + ["T2"] * 3


def test_empty_year_clears_that_year(tmp_path):
    db = tmp_path / "h.sqlite"
    write_history(db, 2020, {"重复": pd.DataFrame({"号码": ["1"]})})
    write_history(db, 2021, {"重复": pd.DataFrame({"号码": ["2"]})})
    write_history(db, 2020, {"重复": iter(())})
    assert read_history(db, "重复")["号码"].tolist() == ["2"]


def test_failure_leaves_the_file_as_it_was(tmp_path):
    db = tmp_path / "h.sqlite"
    write_history(db, 2020, {"监测户": pd.DataFrame({"户编号": ["H1"]})})

    def chunks():
        yield pd.DataFrame({"户编号": ["H2"]})
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_history(db, 2020, {"监测户": chunks(), "家庭成员": members(["A"])})
    assert read_history(db, "监测户")["户编号"].tolist() == ["H1"]
    assert history_years(db) == {"监测户": [2020]}


def test_not_a_database(tmp_path):
    db = tmp_path / "h.sqlite"
    db.write_text("这不是数据库" * 200, encoding="utf-8")
    with pytest.raises(InputError, match="不是有效的 SQLite 历史数据库"):
        write_history(db, 2020, {"监测户": pd.DataFrame({"户编号": ["H1"]})})


def test_read_missing_database(tmp_path):
    with pytest.raises(InputError, match="找不到历史数据库"):
        read_history(tmp_path / "none.sqlite", "监测户")


def test_number_column_with_a_typed_text_stays_numeric(tmp_path):
    db = tmp_path / "h.sqlite"
    frame = pd.DataFrame({"人均可支配收入": pd.Series([5000.0, "五千元", None, 3200], dtype=object)})
    write_history(db, 2020, {"监测户": frame})
    con = sqlite3.connect(db)
    rows = con.execute("SELECT 人均可支配收入, typeof(人均可支配收入) FROM 监测户 ORDER BY rowid").fetchall()
    declared = {r[1]: r[2] for r in con.execute("PRAGMA table_info(监测户)")}
    con.close()
    assert rows == [(5000.0, "real"), ("五千元", "text"), (None, "null"), (3200.0, "real")]
    assert declared["人均可支配收入"] == "REAL"


def test_database_errors_are_explained_in_chinese(tmp_path):
    (tmp_path / "文件").write_bytes(b"x")
    (tmp_path / "文件夹.sqlite").mkdir()
    rows = {"监测户": pd.DataFrame({"户编号": ["H1"]})}
    for path, reason in [
        (tmp_path / "文件夹.sqlite", "无法打开文件（所在文件夹不存在、没有权限，或文件正被占用）"),
        (tmp_path / "文件" / "h.sqlite", "已有同名的文件或文件夹，且无法替换，请换一个文件名"),
        (tmp_path / "文件" / "下级" / "h.sqlite", "路径中的某一级与已有的文件同名，不是文件夹，请换一个位置保存"),
    ]:
        with pytest.raises(InputError) as err:
            write_history(path, 2020, rows)
        assert str(err.value) == f"无法打开历史数据库 {path}：{reason}。"
    db = tmp_path / "h.sqlite"
    write_history(db, 2020, rows)
    with pytest.raises(InputError) as err:
        read_history(db, "救助")
    assert str(err.value) == f"历史数据库 {db} 中没有表“救助”。"
    bad = tmp_path / "坏.sqlite"
    bad.write_text("这不是数据库" * 200, encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_history(bad, "监测户")
    assert str(err.value) == f"无法读取历史数据库 {bad} 中的表“监测户”：不是 SQLite 数据库。"


def test_not_a_history_has_no_english(tmp_path):
    from fangpin_xl.store import yearly_figures

    db = tmp_path / "h.sqlite"
    write_history(db, 2020, {"其他": pd.DataFrame({"a": [1]})})
    with pytest.raises(InputError) as err:
        yearly_figures(db)
    assert str(err.value) == f"{db} 不是 merge --sqlite 写出的历史数据库。"
    bad = tmp_path / "坏.sqlite"
    bad.write_text("这不是数据库" * 200, encoding="utf-8")
    with pytest.raises(InputError) as err:
        write_history(bad, 2020, {"监测户": pd.DataFrame({"户编号": ["H1"]})})
    assert str(err.value) == f"{bad} 不是有效的 SQLite 历史数据库，请换一个文件名。"
