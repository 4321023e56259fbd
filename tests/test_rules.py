import re
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fangpin_xl.errors import InputError
from fangpin_xl.policy import GROUPS, load_policy, parse_policy, policy_rows
from fangpin_xl.rules import (
    HouseholdResult,
    check_household,
    check_households,
    excel_met_formula,
    excel_param_keys,
    excel_status_formula,
)
from fangpin_xl.text import number_text

POLICY = load_policy()  # 2020: income threshold 4000 × 1.5 = 6000
COLUMNS = ["group", "income_per_capita", "medical", "education", "accident", "industry"]
FIELDS = {"因病": "medical", "因学": "education", "因意外": "accident", "因产业": "industry"}
POOR, EDGE, SUDDEN = GROUPS
NOT_A_GROUP = "户类型“{}”不是 脱贫不稳定户、边缘易致贫户、突发严重困难户 之一"


def scalar(*args, policy=POLICY, **kwargs) -> tuple[str, str, str]:
    result = check_household(*args, policy=policy, **kwargs)
    return result.status, result.met_text, result.reasons


def frame_of(rows: list[tuple], dtype=None) -> pd.DataFrame:
    return pd.DataFrame([dict(zip(COLUMNS, row, strict=False)) for row in rows], dtype=dtype)


def table(frame: pd.DataFrame, policy=POLICY, **kwargs) -> list[tuple[str, str, str]]:
    return [tuple(r) for r in check_households(frame, policy, **kwargs).itertuples(index=False)]


def row_by_row(frame: pd.DataFrame, policy=POLICY, **kwargs) -> list[tuple[str, str, str]]:
    cells = frame.reindex(columns=COLUMNS, fill_value=0).to_numpy(dtype=object)
    return [scalar(*row, policy=policy, **kwargs) for row in cells]


def both(rows: list[tuple], policy=POLICY, **kwargs) -> list[tuple[str, str, str]]:
    """The results of both implementations, asserting they agree.

    Checked twice: on a frame whose column types pandas infers (a number column
    with a None becomes float), and on an object frame holding the values as given.
    """
    one = [scalar(*row, policy=policy, **kwargs) for row in rows]
    assert table(frame_of(rows, dtype=object), policy, **kwargs) == one
    inferred = frame_of(rows)
    assert table(inferred, policy, **kwargs) == row_by_row(inferred, policy, **kwargs)
    return one


# -- income boundary -----------------------------------------------------------

INCOME_CASES = [
    # group, income, status, met_text
    (POOR, 6000, "符合", "收入、因病"),
    (POOR, 5999.99, "符合", "收入、因病"),
    (POOR, 6000.01, "不符合", "因病"),
    (EDGE, 6000, "符合", "收入、因病"),
    (EDGE, 5999.99, "符合", "收入、因病"),
    (EDGE, 6000.01, "不符合", "因病"),
    (SUDDEN, 6000, "符合", "收入免核、因病"),
    (SUDDEN, 5999.99, "符合", "收入免核、因病"),
    (SUDDEN, 6000.01, "符合", "收入免核、因病"),
    (SUDDEN, 1_000_000, "符合", "收入免核、因病"),
    (SUDDEN, None, "符合", "收入免核、因病"),
    (SUDDEN, "不详", "符合", "收入免核、因病"),
]


def test_income_boundary_every_group():
    rows = [(group, income, 30000) for group, income, _, _ in INCOME_CASES]
    results = both(rows)
    assert [(s, m) for s, m, _ in results] == [(s, m) for _, _, s, m in INCOME_CASES]


def test_income_threshold_of_another_year():
    # 2019: 3218 × 1.5 = 4827
    rows = [(POOR, 4827, 6000), (POOR, 4827.01, 6000)]
    assert [s for s, _, _ in both(rows, year=2019)] == ["符合", "不符合"]
    assert both(rows[1:], year=2019)[0][2] == "人均收入 4827.01 元，超过收入标准 4827 元 0.01 元"


# -- spending boundaries: every kind × every group ---------------------------------

# kind, threshold per group (脱贫不稳定户, 边缘易致贫户, 突发严重困难户),
# statuses at threshold − 0.01, at the threshold, at threshold + 0.01.
SPENDING_TABLE = [
    ("因病", (5000, 20000, 20000), ("不符合", "符合", "符合")),  # 达到: includes the number
    ("因学", (8000, 8000, 8000), ("不符合", "不符合", "符合")),  # 超过: excludes it
    ("因意外", (10000, 10000, 10000), ("不符合", "不符合", "符合")),
    ("因产业", (5000, 5000, 5000), ("不符合", "不符合", "符合")),
]
SPENDING_CASES = [
    (kind, group, value, status)
    for kind, thresholds, statuses in SPENDING_TABLE
    for group, threshold in zip(GROUPS, thresholds, strict=True)
    for value, status in zip((round(threshold - 0.01, 2), threshold, round(threshold + 0.01, 2)),
                             statuses, strict=True)
]


def spending_row(kind: str, group: str, value: float, income: float = 3000) -> tuple:
    amounts = {field: 0 for field in FIELDS.values()}
    amounts[FIELDS[kind]] = value
    return (group, income, amounts["medical"], amounts["education"], amounts["accident"], amounts["industry"])


def test_spending_boundary_table_is_complete():
    assert len(SPENDING_CASES) == 4 * 3 * 3


@pytest.mark.parametrize(("kind", "group", "value", "status"), SPENDING_CASES)
def test_spending_boundary(kind, group, value, status):
    (got,) = both([spending_row(kind, group, value)])
    assert got[0] == status
    income_label = "收入免核" if group == SUDDEN else "收入"
    assert got[1] == (f"{income_label}、{kind}" if status == "符合" else income_label)


def test_spending_boundary_reasons():
    rows = [
        spending_row("因病", EDGE, 19999.99),
        spending_row("因病", EDGE, 20000),
        spending_row("因学", POOR, 8000),
        spending_row("因学", POOR, 7999.99),
        spending_row("因意外", SUDDEN, 10000.01),
        spending_row("因产业", POOR, 5000.01, income=6000),
    ]
    assert [r[2] for r in both(rows)] == [
        "因病支出 19999.99 元，未达到 20000 元（差 0.01 元）",
        "人均收入 3000 元，未超过收入标准 6000 元；因病支出 20000 元，达到 20000 元",
        "因学支出 8000 元，未超过 8000 元",
        "因学支出 7999.99 元，未超过 8000 元（比标准低 0.01 元）",
        "突发严重困难户，收入条件免核；因意外支出 10000.01 元，超过 10000 元",
        "人均收入 6000 元，未超过收入标准 6000 元；因产业支出 5000.01 元，超过 5000 元",
    ]


def test_reasons_of_ineligible_households():
    rows = [
        (POOR, 6000.01, 41040),
        (POOR, 6000.01, 0, 100),
        (EDGE, 3000),
        (EDGE, 3000, None, "", float("nan"), "  "),
        (POOR, 3000, 4000, 0, 9000, -5),
    ]
    assert both(rows) == [
        ("不符合", "因病", "人均收入 6000.01 元，超过收入标准 6000 元 0.01 元"),
        ("不符合", "", "人均收入 6000.01 元，超过收入标准 6000 元 0.01 元；"
                      "因学支出 100 元，未超过 8000 元（比标准低 7900 元）"),
        ("不符合", "收入", "因病、因学、因意外、因产业支出均为 0 元"),
        ("不符合", "收入", "因病、因学、因意外、因产业支出均为 0 元"),
        ("不符合", "收入", "因病支出 4000 元，未达到 5000 元（差 1000 元）；"
                        "因意外支出 9000 元，未超过 10000 元（比标准低 1000 元）；"
                        "因产业支出 -5 元，未超过 5000 元（比标准低 5005 元）"),
    ]


def test_reasons_of_eligible_household_with_several_conditions():
    row = (f"  {EDGE} ", " 5000 ", 25000, 8000.01, 0, 5000.5)
    assert both([row]) == [(
        "符合", "收入、因病、因学、因产业",
        "人均收入 5000 元，未超过收入标准 6000 元；因病支出 25000 元，达到 20000 元；"
        "因学支出 8000.01 元，超过 8000 元；因产业支出 5000.5 元，超过 5000 元",
    )]


def test_operator_word_from_the_policy():
    county = parse_policy('[spending.education]\noperator = "以上"\n[spending.medical]\noperator = "超过"\n')
    rows = [spending_row("因学", POOR, 8000), spending_row("因病", POOR, 5000)]
    assert [r[:2] for r in both(rows, policy=county)] == [("符合", "收入、因学"), ("不符合", "收入")]
    assert both(rows, policy=county)[1][2] == "因病支出 5000 元，未超过 5000 元"


# -- 资料不全 ---------------------------------------------------------------------

INCOMPLETE_CASES = [
    ((None, 3000, 6000), "缺少户类型"),
    (("", 3000, 6000), "缺少户类型"),
    (("   ", 3000, 6000), "缺少户类型"),
    ((float("nan"), 3000, 6000), "缺少户类型"),
    (("低保户", 3000, 6000), NOT_A_GROUP.format("低保户")),
    (("xx", 1), NOT_A_GROUP.format("xx")),
    ((1, 3000), NOT_A_GROUP.format("1")),
    ((POOR, None, 6000), "缺少人均收入"),
    ((POOR, float("nan"), 6000), "缺少人均收入"),
    ((POOR, "", 6000), "缺少人均收入"),
    ((POOR, "abc", 6000), "人均收入“abc”不是数字"),
    ((POOR, "5,000元", 6000), "人均收入“5,000元”不是数字"),
    ((POOR, "１２００", 6000), "人均收入“１２００”不是数字"),
    ((POOR, "1e3", 6000), "人均收入“1e3”不是数字"),
    ((POOR, True, 6000), "人均收入“是”不是数字"),
    ((POOR, float("inf"), 6000), "人均收入“inf”不是数字"),
    ((POOR, 3000, "x"), "因病支出“x”不是数字"),
    ((EDGE, 3000, 0, 0, 0, "五千"), "因产业支出“五千”不是数字"),
    ((None, None, "a", "b"), "缺少户类型；缺少人均收入；因病支出“a”不是数字；因学支出“b”不是数字"),
    (("其他", "?", 1, 2, "c"), NOT_A_GROUP.format("其他") + "；人均收入“?”不是数字；因意外支出“c”不是数字"),
    ((SUDDEN, None, "x"), "因病支出“x”不是数字"),
]


@pytest.mark.parametrize(("row", "reasons"), INCOMPLETE_CASES)
def test_incomplete(row, reasons):
    assert both([row]) == [("资料不全", "", reasons)]


def test_incomplete_rows_together():
    rows = [row for row, _ in INCOMPLETE_CASES]
    assert [r[2] for r in both(rows)] == [reasons for _, reasons in INCOMPLETE_CASES]


def test_plain_number_text_counts_as_number():
    rows = [(POOR, "5999.99", " 5000.5 "), (POOR, "+3000", "5000."), (EDGE, ".5", "20000")]
    assert [r[:2] for r in both(rows)] == [("符合", "收入、因病")] * 3


def test_other_number_types():
    rows = [(POOR, Decimal("6000"), np.int64(5000)), (POOR, np.float32(100), Decimal("4999.99"))]
    assert [r[0] for r in both(rows)] == ["符合", "不符合"]


def test_result_object():
    result = check_household(POOR, 3000, 5000, policy=POLICY)
    assert result == HouseholdResult("符合", ("收入", "因病"), "人均收入 3000 元，未超过收入标准 6000 元；因病支出 5000 元，达到 5000 元")
    assert result.met_text == "收入、因病"
    assert result.eligible


# -- the table version --------------------------------------------------------------

def test_table_keeps_index_and_defaults_absent_spending_columns_to_zero():
    frame = pd.DataFrame({"group": [POOR, EDGE], "income_per_capita": [3000, 3000], "education": [9000, 0]},
                         index=["户1", "户2"])
    out = check_households(frame, POLICY)
    assert list(out.index) == ["户1", "户2"]
    assert list(out.columns) == ["status", "met_text", "reasons"]
    assert list(out["status"]) == ["符合", "不符合"]


def test_table_without_required_columns():
    with pytest.raises(InputError) as info:
        check_households(pd.DataFrame({"medical": [1]}), POLICY)
    assert str(info.value) == "资格核查的数据缺少列：group（户类型）、income_per_capita（人均收入）。"


def test_empty_table():
    out = check_households(pd.DataFrame(columns=COLUMNS), POLICY)
    assert len(out) == 0 and list(out.columns) == ["status", "met_text", "reasons"]


def test_typed_columns():
    frame = pd.DataFrame({
        "group": pd.Categorical([POOR, EDGE, None, SUDDEN]),
        "income_per_capita": pd.array([6000, 6001, 1, None], dtype="Int64"),
        "medical": pd.array([5000.0, 30000.0, None, 20000.0], dtype="Float64"),
        "education": [True, False, None, None],
    })
    rows = list(frame.astype(object).itertuples(index=False))
    expected = [scalar(r.group, r.income_per_capita, r.medical, r.education) for r in rows]
    assert [tuple(r) for r in check_households(frame, POLICY).itertuples(index=False)] == expected
    assert expected[0] == ("资料不全", "", "因学支出“是”不是数字")


# -- property: scalar == vectorised ----------------------------------------------------

def _boundaries() -> list[float]:
    values = {0.0, POLICY.income_threshold()}
    for rule in POLICY.spending.values():
        values.update(float(t) for t in rule.thresholds.values())
    return sorted({round(v + d, 2) for v in values for d in (-0.01, 0, 0.01)})


BOUNDARY = st.sampled_from(_boundaries())
NUMBER = st.one_of(
    BOUNDARY,
    BOUNDARY.map(lambda v: round(v + 0.005, 3)),
    st.floats(-1e5, 1e6, allow_nan=False),
    st.integers(-10, 100_000),
    st.floats(1e-7, 1e-3),
    st.floats(1e9, 1e17),
)
CELL = st.one_of(
    NUMBER,
    NUMBER.map(number_text),                            # numeric strings
    BOUNDARY.map(lambda v: f" {v} "),
    st.sampled_from(["", "  ", "abc", "5,000元", "１２００", "1e3", "nan", "-", ".", "\t5"]),
    st.just(None),
    st.just(float("nan")),
    st.just(True),
    st.just(float("inf")),
)
GROUP = st.one_of(
    st.sampled_from([*GROUPS, f" {POOR} ", f"{EDGE}  ", "低保户", "", "  ", "\u3000" + POOR, "脱贫 不稳定户"]),
    st.just(None),
    st.just(float("nan")),
    st.just(3),
)
ROW = st.tuples(GROUP, CELL, CELL, CELL, CELL, CELL)
NUMERIC_ROW = st.tuples(
    st.sampled_from(GROUPS), *[st.one_of(NUMBER, st.just(float("nan"))) for _ in range(5)]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ROW, min_size=1, max_size=25))
def test_scalar_and_vector_agree_on_any_values(rows):
    both(rows)


@settings(max_examples=200, deadline=None)
@given(st.lists(NUMERIC_ROW, min_size=1, max_size=40))
def test_scalar_and_vector_agree_on_float_columns(rows):
    frame = pd.DataFrame(rows, columns=COLUMNS).astype(dict.fromkeys(COLUMNS[1:], np.float64))
    assert table(frame) == row_by_row(frame)


# -- Excel formulas --------------------------------------------------------------------

CELLS = {"group": "B5", "income_per_capita": "C5", "medical": "D5", "education": "E5",
         "accident": "F5", "industry": "G5"}
KEYS = [key for key, _, _ in policy_rows(POLICY)]


def param(key: str) -> str:
    return f"参数!$C${KEYS.index(key) + 2}"


G = "TRIM(B5)"


def threshold(first: int) -> str:
    return (f'IF({G}="脱贫不稳定户",参数!$C${first},'
            f'IF({G}="边缘易致贫户",参数!$C${first + 1},参数!$C${first + 2}))')


INCOMPLETE = (
    f'OR(AND({G}<>"脱贫不稳定户",{G}<>"边缘易致贫户",{G}<>"突发严重困难户"),'
    f'AND({G}<>"突发严重困难户",ISNUMBER(C5)=FALSE),'
    "IF(ISNUMBER(D5),FALSE,LEN(TRIM(D5))>0),IF(ISNUMBER(E5),FALSE,LEN(TRIM(E5))>0),"
    "IF(ISNUMBER(F5),FALSE,LEN(TRIM(F5))>0),IF(ISNUMBER(G5),FALSE,LEN(TRIM(G5))>0))"
)


def test_param_references_used_by_the_test_are_policy_rows():
    assert param("income.threshold") == "参数!$C$5"
    assert param("spending.medical.脱贫不稳定户") == "参数!$C$7"
    assert set(excel_param_keys()) <= set(KEYS)


def test_status_formula_text():
    expected = (
        f'=IF({INCOMPLETE},"资料不全",'
        f'IF(AND(OR({G}="突发严重困难户",N(C5)<=参数!$C$5),'
        f"OR(N(D5)>={threshold(7)},N(E5)>{threshold(11)},N(F5)>{threshold(15)},N(G5)>{threshold(19)})),"
        '"符合","不符合"))'
    )
    assert excel_status_formula(CELLS, param, policy=POLICY) == expected


def test_met_formula_text():
    expected = (
        f'=IF({INCOMPLETE},"",MID('
        f'IF({G}="突发严重困难户","、收入免核",IF(N(C5)<=参数!$C$5,"、收入",""))'
        f'&IF(N(D5)>={threshold(7)},"、因病","")'
        f'&IF(N(E5)>{threshold(11)},"、因学","")'
        f'&IF(N(F5)>{threshold(15)},"、因意外","")'
        f'&IF(N(G5)>{threshold(19)},"、因产业",""),2,100))'
    )
    assert excel_met_formula(CELLS, param, policy=POLICY) == expected


def test_operator_word_changes_the_comparison():
    county = parse_policy('[spending.education]\noperator = "以上"\n[spending.medical]\noperator = "超过"\n')
    for render in (excel_status_formula, excel_met_formula):
        default = render(CELLS, param, policy=POLICY)
        changed = render(CELLS, param, policy=county)
        assert f"N(E5)>{threshold(11)}" in default and f"N(E5)>={threshold(11)}" in changed
        assert f"N(D5)>={threshold(7)}" in default and f"N(D5)>{threshold(7)}" in changed
        assert f"N(D5)>={threshold(7)}" not in changed


def test_formula_without_policy_reads_the_operator_cell():
    formula = excel_status_formula(CELLS, param)
    op = param("spending.education.operator")
    assert f'IF(OR({op}="达到",{op}="以上"),N(E5)>={threshold(11)},N(E5)>{threshold(11)})' in formula
    assert "spending.education.operator" in excel_param_keys()
    assert "spending.education.operator" not in excel_param_keys(POLICY)


@pytest.mark.parametrize("render", [excel_status_formula, excel_met_formula])
@pytest.mark.parametrize("policy", [POLICY, None])
def test_formulas_use_only_portable_functions(render, policy):
    formula = render(CELLS, param, policy=policy)
    assert formula.startswith("=")
    assert set(re.findall(r"([A-Z][A-Z0-9.]*)\(", formula)) <= {
        "IF", "AND", "OR", "ISNUMBER", "LEN", "MID", "N", "TRIM"}
    assert formula.count("(") == formula.count(")")
    assert len(formula) < 8192
    # Every threshold comes from the policy sheet, none is written into the formula.
    assert set(re.findall(r"[<>=]+\d+", formula)) == {">0"}


def test_table_without_reasons():
    frame = frame_of([(POOR, 3000, 5000), (None, 1)])
    out = check_households(frame, POLICY, reasons=False)
    assert list(out.columns) == ["status", "met_text"]
    assert out.to_dict("list") == {"status": ["符合", "资料不全"], "met_text": ["收入、因病", ""]}
