"""The sample county: deterministic, clean apart from the planted mistakes, and the
manifest points at the cells that really hold them (read back with openpyxl)."""

from __future__ import annotations

import datetime as dt
import json
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from fangpin_xl import cases as case_checks
from fangpin_xl import demo, derive, followup, ids
from fangpin_xl.errors import InputError
from fangpin_xl.policy import Policy
from fangpin_xl.schema import HOUSEHOLDS, SHEETS, SHEETS_BY_KEY

POLICY = Policy()
SMALL = {"townships": 3, "households": 30, "seed": 1}
SHEET_KEYS = {s.name: s.key for s in SHEETS}


@pytest.fixture(scope="module")
def county() -> demo.SampleCounty:
    return demo.generate_county(policy=POLICY, **SMALL)


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> demo.SampleResult:
    out = tmp_path_factory.mktemp("county")
    return demo.write_sample_county(out, policy=POLICY, rows=5, **SMALL)


def planted_rows(county: demo.SampleCounty, code: str) -> set[tuple[str, str, int]]:
    """(township, sheet key, frame row) of every mistake with ``code``."""
    out = set()
    for m in county.manifest:
        if m["code"] == code:
            key = SHEET_KEYS[m["sheet"]]
            town = county.township(m["township"])
            out.add((m["township"], key, m["row"] - town.header_row(key) - 1))
    return out


# -- determinism -------------------------------------------------------------------

def test_same_seed_gives_the_same_county(county):
    again = demo.generate_county(policy=POLICY, **SMALL)
    assert again.manifest == county.manifest
    assert [t.name for t in again.townships] == [t.name for t in county.townships]
    for a, b in zip(again.townships, county.townships, strict=True):
        assert a.frames.keys() == b.frames.keys()
        for key in a.frames:
            pd.testing.assert_frame_equal(a.frames[key], b.frames[key])
    pd.testing.assert_frame_equal(again.roster, county.roster)


def test_another_seed_gives_another_county(county):
    other = demo.generate_county(policy=POLICY, **{**SMALL, "seed": 2})
    assert other.manifest != county.manifest
    assert not other.townships[0].frames["members"].equals(county.townships[0].frames["members"])


def test_every_code_is_planted_once_or_more(county):
    assert county.codes == list(demo.PLANTED_CODES)
    assert [m["code"] for m in county.manifest].count("coerced") == 2
    assert [m["code"] for m in county.manifest].count("duplicate_id") == 1


# -- contents ----------------------------------------------------------------------

def test_townships_and_household_numbers(county):
    assert [t.name for t in county.townships] == ["魏城镇", "德政镇", "北皋镇"]
    assert [t.layout for t in county.townships] == ["template", "template", "own"]
    assert county.area_code == "130434"
    assert county.check_date == dt.date(2020, 12, 31)
    for town in county.townships:
        numbers = town.frames["households"]["household_no"]
        assert numbers.is_unique
        assert numbers.str.fullmatch(rf"{town.code}-\d{{2}}-\d{{4}}").all()
        assert (town.frames["households"]["township"] == town.name).all()
        for key in ("members", "spending", "cases", "visits", "aid"):
            known = town.frames[key]["household_no"].isin(set(numbers))
            orphans = planted_rows(county, "orphan_row") if key == "members" else set()
            expected = {r for (name, k, r) in orphans if name == town.name}
            assert set(np.nonzero(~known.to_numpy())[0]) == expected


def test_counts(county, written):
    assert written.counts == county.counts()
    orphan_town = next(m["township"] for m in county.manifest if m["code"] == "orphan_row")
    for town in county.townships:
        frames = town.frames
        assert len(frames["households"]) == 30
        extra = 1 if town.name == orphan_town else 0
        assert len(frames["members"]) == frames["households"]["household_size"].sum() + extra
        sizes = frames["members"].groupby("household_no").size()
        assert (frames["households"].set_index("household_no")["household_size"] == sizes.reindex(
            frames["households"]["household_no"])).all()
        assert set(frames["households"]["household_size"]) <= set(range(1, 7))
        assert len(frames["visits"]) == 4 * 30
        heads = frames["members"][frames["members"]["relation"] == "户主"]
        assert heads["household_no"].tolist() == frames["households"]["household_no"].tolist()
        assert heads["id_number"].tolist() == frames["households"]["head_id"].tolist()
        assert heads["name"].tolist() == frames["households"]["head_name"].tolist()
    assert written.households == 90
    assert written.members == sum(c["members"] for c in county.counts().values())
    assert len(county.roster) == 90


def test_every_id_number_is_valid_except_the_damaged_ones(county):
    damaged = planted_rows(county, "id_numeric") | planted_rows(county, "id_check")
    assert len(damaged) == 2
    for town in county.townships:
        members = town.frames["members"]
        for row, value in enumerate(members["id_number"]):
            checked = ids.validate_id(value, today=county.check_date)
            assert checked.valid == ((town.name, "members", row) not in damaged), (town.name, row)
        for key, column in (("households", "head_id"), ("spending", "member_id"), ("aid", "member_id")):
            values = town.frames[key][column].dropna()
            assert all(ids.validate_id(v, today=county.check_date).valid for v in values)


def test_ids_agree_with_ids_module():
    numbers = demo.id_numbers(np.array([130434, 130421, 410527]),
                              np.array([19800101, 20000229, 19451231]), np.array([1, 22, 999]))
    assert list(numbers) == [
        ids.make_id("130434", dt.date(1980, 1, 1), 1),
        ids.make_id("130421", dt.date(2000, 2, 29), 22),
        ids.make_id("410527", dt.date(1945, 12, 31), 999),
    ]


def test_ids_are_mostly_wei_county_and_unique(county):
    members = pd.concat([t.frames["members"] for t in county.townships], ignore_index=True)
    numbers = members["id_number"][members["id_number"].map(lambda v: isinstance(v, str))]
    assert numbers.str[:6].eq("130434").mean() > 0.7
    assert numbers.str.startswith("1304").mean() > 0.9
    assert numbers.duplicated().sum() == 1  # the planted duplicate, in two townships
    assert sum(county.outside_handan.values()) == (~numbers.str.startswith("1304")).sum()


def test_families_agree_with_their_id_numbers(county):
    for town in county.townships:
        members = town.frames["members"]
        valid = members["id_number"].map(lambda v: ids.validate_id(v, today=county.check_date).valid)
        # The planted duplicate carries another person's number.
        for name, _, row in planted_rows(county, "duplicate_id"):
            if name == town.name:
                valid.iloc[row] = False
        m = members[valid].copy()
        m["born"] = pd.to_datetime(m["id_number"].map(ids.id_birth_date))
        m["male"] = m["id_number"].str[16].astype(int) % 2 == 1
        head = m[m["relation"] == "户主"].set_index("household_no")[["born", "male"]]
        m = m.join(head.add_suffix("_head"), on="household_no", how="inner")
        years = (m["born"] - m["born_head"]).dt.days / 365.25
        spouse = m["relation"] == "配偶"
        assert spouse.any()
        assert (m.loc[spouse, "male"] != m.loc[spouse, "male_head"]).all()
        assert (years[m["relation"] == "子女"] >= 19).all()
        assert (years[m["relation"] == "父母"] <= -19).all()
        assert (years[m["relation"] == "孙子女"] >= 41).all()
        assert (m["born"] <= pd.Timestamp(county.check_date)).all()


def test_income_and_spending_sit_around_the_thresholds(county):
    line = POLICY.income_threshold()
    households = pd.concat([t.frames["households"] for t in county.townships], ignore_index=True)
    income = pd.to_numeric(households["income_per_capita"], errors="coerce")
    assert (income == line).sum() >= 3
    assert ((income - line).abs() < 0.015).sum() > (income == line).sum()
    assert set(households["group"]) == {"脱贫不稳定户", "边缘易致贫户", "突发严重困难户"}
    spending = pd.concat([t.frames["spending"] for t in county.townships], ignore_index=True)
    assert set(spending["kind"]) == {"因病", "因学", "因意外", "因产业"}
    window_start = pd.Timestamp(2019, 12, 31)
    assert (spending["date"] <= window_start).any()
    assert (spending["date"] > window_start).mean() > 0.6
    assert (spending["date"] <= pd.Timestamp(county.check_date)).all()


def test_cases_at_every_stage(county):
    stages = pd.concat([t.frames["cases"]["stage"] for t in county.townships])
    assert set(stages) == {"已发现", "已查勘", "公示中", "已比对", "已备案", "已支付", "已终止"}
    cases = pd.concat([t.frames["cases"] for t in county.townships], ignore_index=True)
    assert cases["case_no"].is_unique
    paid = cases["stage"] == "已支付"
    assert cases.loc[paid, "relief_amount"].notna().all()
    assert cases.loc[~paid, "relief_amount"].isna().all()


def test_data_is_clean_apart_from_the_planted_mistakes(county):
    """The checks of cases, followup and derive find exactly what was planted."""
    found: dict[str, set] = {}
    for town in county.townships:
        frames = {k: v.copy() for k, v in town.frames.items()}
        # What the reader does with the two coerced cells.
        for m in county.manifest:
            if m["code"] == "coerced" and m["township"] == town.name:
                key = SHEET_KEYS[m["sheet"]]
                frames[key].at[m["row"] - town.header_row(key) - 1, m["key"]] = m["coerced_value"]
                frames[key][m["key"]] = pd.to_numeric(frames[key][m["key"]])
        derived = derive.derive_households(frames["households"], frames["spending"], frames["visits"],
                                           policy=POLICY, check_date=county.check_date)
        recorded = frames["households"]["recorded_status"]
        for row in np.nonzero((recorded.notna() & (recorded != derived["status"])).to_numpy())[0]:
            found.setdefault("status_mismatch", set()).add((town.name, "households", int(row)))
        # Each case judged by the spending of the 12 months before its discovery.
        judged = case_checks.judge_relief(frames["cases"], frames["households"], frames["spending"],
                                          policy=POLICY)
        findings = case_checks.check_cases(frames["cases"], policy=POLICY, check_date=county.check_date,
                                           judged=judged)
        for row, code in findings["code"].items():
            found.setdefault(code, set()).add((town.name, "cases", int(row)))
        overdue = followup.overdue_findings(frames["households"], frames["visits"], policy=POLICY,
                                            check_date=county.check_date)
        for row in overdue.index:
            found.setdefault("visit_overdue", set()).add((town.name, "households", int(row)))
        assert len(followup.problem_findings(frames["visits"])) == 0
        assert (frames["visits"][list(followup.GUARANTEES)] == "是").to_numpy().mean() > 0.95
    codes = ("status_mismatch", "payment_before_filing", "notice_too_short", "relief_above_table",
             "visit_overdue")
    assert set(found) == set(codes)
    for code in codes:
        assert found[code] == planted_rows(county, code), code


# -- the written folder -------------------------------------------------------------

def _cell_value(value):
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    return value


def test_manifest_cells_hold_the_planted_values(county, written):
    books = {}
    for m in county.manifest:
        path = written.out_dir / m["file"]
        books.setdefault(path, load_workbook(path))
        ws = books[path][m["sheet"]]
        town = county.township(m["township"])
        key = SHEET_KEYS[m["sheet"]]
        assert _cell_value(ws[m["cell"]].value) == m["value"], m
        header_row = town.header_row(key)
        column = re.match(r"[A-Z]+", m["cell"]).group()
        assert ws[f"{column}{header_row}"].value == m["column"], m
        assert int(m["cell"][len(column):]) == m["row"]
        if m["code"] == "duplicate_id":
            other = m["other"]
            path = written.out_dir / other["file"]
            books.setdefault(path, load_workbook(path))
            assert books[path][other["sheet"]][other["cell"]].value == m["value"]
    numeric = next(m for m in county.manifest if m["code"] == "id_numeric")
    assert numeric["township"] == "北皋镇"  # the workbook in the township's own layout
    assert numeric["stored_as"] == "number"
    assert isinstance(numeric["value"], float) and numeric["value"] > 1e17
    assert float(f"{numeric['value']:.15g}") == numeric["value"]  # 15 significant digits kept
    coerced = {m["value"] for m in county.manifest if m["code"] == "coerced"}
    assert any(v.endswith("元") and "," in v for v in coerced)
    assert any(re.fullmatch("[０-９]+", v) for v in coerced)


def test_own_layout_has_its_header_lower_and_no_formulas(county, written):
    own = next(t for t in county.townships if t.layout == "own")
    wb = load_workbook(written.workbooks[own.name])
    assert wb.sheetnames == [s.name for s in SHEETS]
    ws = wb["监测户"]
    assert ws["A1"].value == f"魏县{own.name}监测户台账（2020年）"
    assert ws["A2"].value.startswith("说明：")
    assert [c.value for c in ws[3]][:3] == ["户号", "乡", "行政村"]
    assert ws["A4"].value == own.frames["households"]["household_no"].iloc[0]
    members = wb["家庭成员"]
    assert members["A3"].value.startswith("填报单位：")
    assert [c.value for c in members[4]][:3] == ["户号", "成员姓名", "证件号码"]
    for sheet in wb.worksheets:
        for row in sheet.iter_rows(values_only=True):
            assert not any(isinstance(v, str) and v.startswith("=") for v in row)
    template = load_workbook(written.workbooks[county.townships[0].name])
    assert template["监测户"]["A2"].value == "户编号"


def test_folder_has_lock_file_readme_and_manifest(county, written):
    names = sorted(p.name for p in written.out_dir.iterdir())
    assert names == sorted([
        "manifest.json", "县级名单", "说明.txt", "~$魏城镇.xlsx",
        "魏城镇.xlsx", "德政镇.xlsx", "北皋镇.xlsx",
    ])
    assert written.roster == written.out_dir / "县级名单" / "县级监测户名单.xlsx"
    assert written.lock_file.name == "~$魏城镇.xlsx"
    assert 0 < written.lock_file.stat().st_size < 200
    assert "manifest.json" in written.readme.read_text(encoding="utf-8")
    text = written.manifest.read_text(encoding="utf-8")
    assert "魏城镇" in text  # ensure_ascii=False
    document = json.loads(text)
    assert document["codes"] == list(demo.PLANTED_CODES)
    assert document["mistakes"] == county.manifest
    assert document["check_date"] == "2020-12-31"
    assert written.codes == list(demo.PLANTED_CODES)


def test_roster_has_one_row_per_household(county, written):
    ws = load_workbook(written.roster)["监测户名单"]
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == [c.header for c in HOUSEHOLDS.input_columns]
    assert len(rows) == 1 + 90
    head_id = [c.key for c in HOUSEHOLDS.input_columns].index("head_id")
    assert all(isinstance(r[head_id], str) and len(r[head_id]) == 18 for r in rows[1:])
    assert [r[0] for r in rows[1:]] == county.roster["household_no"].tolist()


# -- helpers and limits -----------------------------------------------------------------

def test_township_names_past_the_real_list():
    names = demo.township_names("魏县", 45)
    assert names[:3] == ["魏城镇", "德政镇", "北皋镇"]
    assert names[20] == "北台头乡"
    assert names[21] == "魏城镇二区"
    assert names[42] == "魏城镇三区"
    assert len(set(names)) == 45
    assert [demo.chinese_number(n) for n in (1, 10, 11, 20, 105, 110)] == [
        "一", "十", "十一", "二十", "一百零五", "一百一十"]


def test_cells_and_headers():
    members = SHEETS_BY_KEY["members"]
    assert demo.own_header(members, members.column("relation")) == "与户主关系"
    assert demo.own_header(members, members.column("id_number")) == "证件号码"


def test_too_small_a_county_is_refused():
    with pytest.raises(InputError, match="^示例县每个乡镇至少要有 10 户，现为 5。$"):
        demo.generate_county(policy=POLICY, households=5)
    with pytest.raises(InputError, match="^示例县至少要有 1 个乡镇，现为 0。$"):
        demo.generate_county(policy=POLICY, townships=0)


def test_one_township_still_plants_what_fits():
    county = demo.generate_county(policy=POLICY, townships=1, households=40, seed=3)
    assert county.townships[0].layout == "template"
    assert "duplicate_id" not in county.codes
    assert "id_check" in county.codes and "coerced" in county.codes


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), townships=st.integers(1, 3), households=st.integers(10, 25))
def test_any_small_county_is_consistent(seed, townships, households):
    county = demo.generate_county(policy=POLICY, townships=townships, households=households, seed=seed)
    assert set(county.codes) <= set(demo.PLANTED_CODES)
    assert {"coerced", "id_check", "orphan_row", "status_mismatch", "required_missing"} <= set(county.codes)
    damaged = planted_rows(county, "id_numeric") | planted_rows(county, "id_check")
    for town in county.townships:
        members = town.frames["members"]
        checked = ids.validate_ids(members["id_number"], today=county.check_date)
        expected = [(town.name, "members", r) not in damaged for r in range(len(members))]
        assert checked["valid"].tolist() == expected
        assert len(town.frames["households"]) == households
    for m in county.manifest:
        key = SHEET_KEYS[m["sheet"]]
        town = county.township(m["township"])
        assert 0 <= m["row"] - town.header_row(key) - 1 < len(town.frames[key])


def test_planted_codes_are_registered():
    from fangpin_xl.issues import CODES

    assert set(demo.PLANTED_CODES) <= set(CODES)
