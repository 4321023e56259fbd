import dataclasses
import datetime as dt

import pytest

from fangpin_xl.errors import PolicyError
from fangpin_xl.policy import (
    GROUPS,
    PAYOUT_EXAMPLE_LABEL,
    SPENDING_KINDS,
    PayoutTable,
    Policy,
    SpendingRule,
    load_policy,
    parse_policy,
    policy_differences,
    policy_from_values,
    policy_rows,
    policy_to_toml,
    write_policy_file,
)
from fangpin_xl.policy_codecs import (
    SHEET_V1,
    AreaCodes,
    Choice,
    DateList,
    Divisor,
    IncomeThreshold,
    Number,
    ProvinceYearTable,
    Spending,
    Text,
    YearList,
    YearTable,
)
from fangpin_xl.policy_params import PARAMS
from fangpin_xl.policy_payout import Payout
from fangpin_xl.text import number_text

MONITORING_2025 = (
    '没有 河北 2025 年的防返贫监测标准（待填）：请在参数文件 [income.monitoring."河北"] 中填写 '
    "2025 = 金额（元/人/年）。该金额是本省每年公布的防返贫监测范围（监测标准），以省里当年的文件为准。"
)

#: A policy with every parameter away from its default.
CHANGED = Policy(
    year=2024, county="邱县", province="贵州", income_multiplier=1.6,
    poverty_lines={2019: 3218, 2020: 4000.5}, unconfirmed_years=(),
    monitoring_thresholds={"贵州": {2023: 7300, 2024: 7600}, "河北": {2024: 7000.5}},
    spending={
        "因病": SpendingRule("因病", "以上", {"脱贫不稳定户": 0, "边缘易致贫户": 18000, "突发严重困难户": 15000}),
        "因学": SpendingRule("因学", "达到", dict.fromkeys(GROUPS, 9000)),
        "因意外": SpendingRule("因意外", "以上", dict.fromkeys(GROUPS, 12000.5)),
        "因产业": SpendingRule("因产业", "达到", dict.fromkeys(GROUPS, 0)),
    },
    deadline_days=20, deadline_mode="自然日", notice_days=7, max_relief=150000.5,
    premium_per_person=60, coverage_rate=0.12, service_fee_rate=0, visit_interval_months=1,
    spending_window_months=24, max_households_per_helper=25, problem_open_days=45,
    payout_tables={kind: PayoutTable(((0.0, 0.15), (20000.0, 0.35)), 80000.0, "邱县2024年文件")
                   for kind in SPENDING_KINDS},
    payout_group_tables={
        "因病/边缘易致贫户": PayoutTable(((0.0, 0.4), (30000.0, 0.6)), None, "边缘户单设"),
        "因学/突发严重困难户": PayoutTable(((0.0, 0.5),), 5000.0, "突发户单设"),
    },
    extra_holidays=(dt.date(2027, 1, 1), dt.date(2027, 2, 5)), extra_workdays=(dt.date(2027, 2, 6),),
    complete_calendar_years=(2027,), normal_areas=("3705", "41", "410526"),
)


def values_of(policy):
    return {key: value for key, _, value in policy_rows(policy)}


def test_defaults_follow_the_domain():
    policy = load_policy()
    assert policy.year == 2020 and policy.county == "魏县" and policy.province == "河北"
    assert policy.income_threshold() == 6000.0
    assert policy.income_threshold(2019) == 4827.0
    assert policy.income_threshold(2011) == 3804.0
    assert policy.spending_threshold("因病", "脱贫不稳定户") == 5000
    assert policy.spending_threshold("因病", "边缘易致贫户") == 20000
    operators = [policy.spending[k].operator for k in ("因病", "因学", "因意外", "因产业")]
    assert operators == ["达到", "超过", "超过", "超过"]
    assert policy.spending["因病"].inclusive and not policy.spending["因学"].inclusive
    assert (policy.deadline_days, policy.deadline_mode, policy.notice_days) == (15, "工作日", 5)
    assert (policy.max_relief, policy.premium_per_person, policy.coverage_rate) == (200000, 50, 0.10)
    assert policy.payout_tables["因病"].label == PAYOUT_EXAMPLE_LABEL
    assert (policy.max_households_per_helper, policy.problem_open_days) == (30, 30)
    assert (policy.normal_areas, policy.complete_calendar_years) == ((), ())
    assert policy.set_keys == frozenset()
    assert policy.unset_examples() == ("fund.service_fee_rate",)


def test_unconfirmed_years_are_flagged():
    policy = load_policy()
    assert not policy.income_threshold_confirmed(2017)
    assert not policy.income_threshold_confirmed(2018)
    assert policy.income_threshold_confirmed(2019)


def test_provincial_monitoring_threshold_after_2020_is_not_multiplied():
    policy = dataclasses.replace(load_policy(), province="贵州")
    assert policy.for_year(2023).income_threshold() == 7300.0


def test_a_year_without_threshold_loads_and_says_what_to_fill_when_needed():
    policy = load_policy(year=2025)
    assert policy.year == 2025
    assert policy.missing_income_threshold() == MONITORING_2025
    with pytest.raises(PolicyError) as err:
        policy.income_threshold()
    assert str(err.value) == MONITORING_2025
    with pytest.raises(PolicyError) as err:
        load_policy(year=2009).income_threshold()
    assert str(err.value) == (
        "没有 2009 年的国家贫困标准（待填）：请在参数文件 [income.poverty_line] 中填写 2009 = 金额（元/人/年）。"
        "该金额是国家农村贫困标准（现价），以国家公布的数字为准。"
    )
    assert load_policy().for_year(2025).missing_income_threshold() == MONITORING_2025


def test_the_file_of_a_year_without_threshold_marks_it_unfilled():
    policy = load_policy(year=2025)
    text = policy_to_toml(policy)
    assert (
        '[income.monitoring."河北"]\n'
        '# 2025 年的防返贫监测标准待填：把 "待填" 改为金额（元/人/年）。'
        "该金额是本省每年公布的防返贫监测范围（监测标准），以省里当年的文件为准。\n"
        '2025 = "待填"\n'
    ) in text
    parsed = parse_policy(text)
    assert parsed == policy
    assert "河北" not in parsed.monitoring_thresholds
    assert dict(values_of(parsed))["income.threshold"] is None
    filled = parse_policy(text.replace('2025 = "待填"', "2025 = 7000"))
    assert filled.income_threshold() == 7000.0
    old = policy_to_toml(load_policy(year=2009))
    assert '2009 = "待填"' in old and parse_policy(old).missing_income_threshold(2009)


def test_toml_round_trip_is_exact():
    policy = dataclasses.replace(
        load_policy(),
        extra_holidays=(dt.date(2027, 1, 1),),
        extra_workdays=(dt.date(2027, 2, 6),),
    )
    assert parse_policy(policy_to_toml(policy)) == policy


@pytest.mark.parametrize("policy", [Policy(), CHANGED], ids=["default", "changed"])
def test_toml_and_sheet_round_trips_keep_every_parameter(policy):
    once = parse_policy(policy_to_toml(policy))
    assert once == policy
    assert policy_to_toml(once) == policy_to_toml(policy)
    assert parse_policy(policy_to_toml(once)) == policy
    rebuilt = policy_from_values(values_of(policy))
    assert rebuilt == policy
    assert policy_rows(rebuilt) == policy_rows(policy)


def test_the_changed_policy_changes_every_field():
    default = Policy()
    same = [f.name for f in dataclasses.fields(Policy)
            if f.compare and getattr(CHANGED, f.name) == getattr(default, f.name)]
    assert same == []


def test_every_field_is_declared():
    covered = {p.attr for p in PARAMS if p.attr}
    covered |= {"spending", "payout_tables", "payout_group_tables"}  # structured codecs
    fields = {f.name for f in dataclasses.fields(Policy) if f.compare}
    assert fields == covered
    assert len({p.key for p in PARAMS}) == len(PARAMS)


def test_county_file_overrides_and_extends(tmp_path):
    path = tmp_path / "本县参数.toml"
    path.write_text(
        'county = "邱县"\nyear = 2023\n'
        '[income.monitoring."河北"]\n2023 = 7000\n'
        '[spending.education]\noperator = "以上"\nthreshold = 9000\n'
        '[spending.medical]\nthreshold = { "突发严重困难户" = 15000 }\n'
        '[procedure]\ndeadline_mode = "自然日"\n'
        '[payout.medical]\nbands = [[0, 0.5]]\ncap = 80000\nlabel = "邱县2023年文件"\n'
        '[payout.medical."边缘易致贫户"]\nbands = [[0, 0.4], [30000, 0.6]]\n',
        encoding="utf-8",
    )
    policy = load_policy(path)
    assert (policy.county, policy.year, policy.income_threshold()) == ("邱县", 2023, 7000.0)
    assert policy.spending["因学"].operator == "以上" and policy.spending["因学"].inclusive
    assert policy.spending_threshold("因学", "边缘易致贫户") == 9000
    assert policy.spending_threshold("因病", "突发严重困难户") == 15000
    assert policy.spending_threshold("因病", "脱贫不稳定户") == 5000
    assert policy.deadline_mode == "自然日"
    assert policy.payout_table("因病").bands == ((0.0, 0.5),)
    assert policy.payout_table("因病").cap == 80000
    assert policy.payout_table("因病", "边缘易致贫户").bands == ((0.0, 0.4), (30000.0, 0.6))
    assert policy.payout_table("因病", "边缘易致贫户").cap == 80000
    assert policy.payout_table("因病", "脱贫不稳定户").label == "邱县2023年文件"
    assert policy.set_keys == frozenset({
        "county", "year", "income.monitoring", "spending.education", "spending.medical",
        "procedure.deadline_mode", "payout.medical",
    })
    # Given, the monitoring table replaces the shipped examples (as a 参数 row does).
    assert policy.monitoring_thresholds == {"河北": {2023: 7000}}


def test_new_parameters_from_toml():
    policy = parse_policy(
        '[ids]\nnormal_areas = [410526, "37", "41", "41"]\n'
        "[followup]\nmax_households_per_helper = 40\nproblem_open_days = 60\n"
        '[calendar]\ncomplete_years = [2028, 2027]\nholidays = ["2027-01-01", 2027-01-02]\n'
    )
    assert policy.normal_areas == ("37", "41", "410526")
    assert (policy.max_households_per_helper, policy.problem_open_days) == (40, 60)
    assert policy.complete_calendar_years == (2027, 2028)
    assert policy.extra_holidays == (dt.date(2027, 1, 1), dt.date(2027, 1, 2))
    rows = {key: (label, value) for key, label, value in policy_rows(policy)}
    assert rows["ids.normal_areas"] == ("本县视为正常的外地地区代码", "37、41、410526")
    assert rows["followup.max_households_per_helper"] == ("每名帮扶人每季度可回访户数", 40)
    assert rows["followup.problem_open_days"] == ("问题久未解决天数", 60)
    assert rows["calendar.complete_years"] == ("本县放假安排已填全的年度", "2027、2028")
    assert rows["calendar.holidays"] == ("本县补充的放假日", "2027-01-01、2027-01-02")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("yaer = 2020", " 顶层有不认识的参数 yaer；可用的参数：county、province、year、income、"
         "spending、procedure、fund、followup、payout、calendar、ids。"),
        ('[procedure]\ndeadline_mode = "周"',
         " 中的 时限单位（procedure.deadline_mode） 有误：可选值为 工作日、自然日，现为 '周'。"),
        ("[spending.medical]\nthreshold = -1",
         " 中的 因病支出标准（元）（spending.medical.threshold） 有误：应在 0 到 10000000 之间，现为 -1。"),
        ('[spending.medical]\noperator = "大于"',
         " 中的 因病支出比较方式（spending.medical.operator） 有误：可选值为 达到、以上、超过，现为 '大于'。"),
        ("[payout.medical]\nbands = [[100, 0.1]]",
         " 中的 因病救助分档（payout.medical.bands） 有误：起点应从 0 开始并严格递增。"),
        ("[payout.medical]\nbands = [[0, 1.5]]",
         " 中的 因病救助分档（payout.medical.bands） 有误：比例应在 0 到 1 之间，现为 1.5。"),
        ("[fund]\ncoverage_rate = true",
         " 中的 投保比例（fund.coverage_rate） 有误：应为 0 到 1 之间的数字，现为 True。"),
        ('[calendar]\nholidays = ["2027-13-01"]',
         " 中的 本县补充的放假日（calendar.holidays） 有误：'2027-13-01' 不是日期（写成 2027-01-01）。"),
        ("[procedure]\ndeadline_days = 15.0",
         " 中的 救助程序时限（procedure.deadline_days） 有误：应为 1 到 365 之间的整数，现为 15。"),
        ("[fund]\nservice_fee_rate = 0.05\n[fund.x]\n", " [fund] 中有不认识的参数 x；可用的参数："
         "premium_per_person、coverage_rate、service_fee_rate。"),
    ],
)
def test_bad_policy_file_names_file_label_key_and_allowed_values(tmp_path, text, message):
    path = tmp_path / "p.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as err:
        load_policy(path)
    assert str(err.value) == str(path) + message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("year = ", "第 1 行（文件末尾）有错误，值的写法不对：文字要加英文双引号，数字和日期不加引号，列表用方括号。"
                    "（技术信息：Invalid value (at end of document)）"),
        ('year = 2020\ncounty = “魏县”\n', "第 2 行第 10 列有错误，值的写法不对：文字要加英文双引号，"
                                         "数字和日期不加引号，列表用方括号。（技术信息：Invalid value (at line 2, column 10)）"),
        ("[fund\n", "第 1 行第 6 列有错误，节名缺少右方括号“]”。"
                    "（技术信息：Expected ']' at the end of a table declaration (at line 1, column 6)）"),
    ],
)
def test_broken_toml_names_the_file_and_line_in_chinese(tmp_path, text, message):
    path = tmp_path / "p.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as err:
        load_policy(path)
    assert str(err.value) == f"{path} 不是有效的 TOML 格式：{message}"


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-8"])
def test_a_file_saved_by_chinese_notepad_is_read(tmp_path, encoding):
    path = tmp_path / "参数.toml"
    path.write_bytes('# 本县参数\ncounty = "馆陶县"\n[payout.medical]\nlabel = "馆陶县2020年文件"\n'
                     .encode(encoding))
    policy = load_policy(path)
    assert (policy.county, policy.payout_tables["因病"].label) == ("馆陶县", "馆陶县2020年文件")


def test_a_file_in_another_encoding_says_how_to_save_it(tmp_path):
    path = tmp_path / "p.toml"
    path.write_bytes('county = "馆陶县"\n'.encode("utf-16"))
    with pytest.raises(PolicyError) as err:
        load_policy(path)
    assert str(err.value) == (
        f"无法识别参数文件 {path} 的文字编码（既不是 UTF-8，也不是 GBK/GB18030）："
        "请用记事本打开，选择“另存为”，编码选“UTF-8”后保存，再重试。"
    )


def test_missing_policy_file(tmp_path):
    with pytest.raises(PolicyError) as err:
        load_policy(tmp_path / "无.toml")
    assert str(err.value) == f"找不到参数文件 {tmp_path / '无.toml'}。"


def test_policy_rows_and_differences():
    policy = load_policy()
    rows = policy_rows(policy)
    keys = [key for key, _, _ in rows]
    assert keys[:4] == ["county", "province", "year", "income.threshold"]
    assert "spending.medical.边缘易致贫户" in keys
    found = {key: value for key, _, value in rows}
    assert policy_differences(policy, found) == []
    found = dict(found, **{"income.threshold": "6000", "procedure.deadline_days": 20.0})
    assert policy_differences(policy, found) == [("procedure.deadline_days", "救助程序时限", 15, 20.0)]
    del found["procedure.notice_days"]
    assert policy_differences(policy, found)[-1] == ("procedure.notice_days", "公示天数（至少）", 5, None)
    del found["ids.normal_areas"]
    assert policy_differences(policy, found)[-1] == ("ids.normal_areas", "本县视为正常的外地地区代码", "无", None)


def test_rows_of_the_first_sheet_format_keep_their_keys_and_order():
    first = [
        "county", "province", "year", "income.threshold",
        *[f"spending.{f}.{part}" for f in ("medical", "education", "accident", "industry")
          for part in ("operator", *GROUPS)],
        "procedure.deadline_days", "procedure.deadline_mode", "procedure.notice_days", "procedure.max_relief",
        "fund.premium_per_person", "fund.coverage_rate", "fund.service_fee_rate",
        "followup.visit_interval_months", "followup.spending_window_months",
        *[f"payout.{f}.{part}" for f in ("medical", "education", "accident", "industry") for part in ("bands", "cap")],
    ]
    keys = [key for key, _, _ in policy_rows(Policy())]
    assert keys[:len(first)] == first
    assert keys[len(first):] == [
        "income.multiplier", "income.unconfirmed_years", "income.poverty_line", "income.monitoring",
        "followup.max_households_per_helper", "followup.problem_open_days",
        *[f"payout.{f}.{part}" for f in ("medical", "education", "accident", "industry")
          for part in ("label", *GROUPS)],
        "calendar.holidays", "calendar.workdays", "calendar.complete_years", "ids.normal_areas",
    ]


def test_a_sheet_issued_before_the_new_rows_is_not_a_difference():
    policy = CHANGED
    old_sheet = {key: value for key, _, value in policy_rows(policy)[:37]}
    assert "income.multiplier" not in old_sheet and "payout.industry.cap" in old_sheet
    assert policy_differences(policy, old_sheet) == []
    changed = dict(old_sheet, **{"procedure.notice_days": 9})
    assert policy_differences(policy, changed) == [("procedure.notice_days", "公示天数（至少）", 7, 9)]
    # Read back, the old rows alone still give the year's threshold and rules.
    rebuilt = policy_from_values(old_sheet)
    assert rebuilt.income_threshold() == 7600.0
    assert [(k, v) for k, _, v in policy_rows(rebuilt)[:37]] == [(k, v) for k, _, v in policy_rows(policy)[:37]]


def test_write_policy_file_refuses_to_overwrite(tmp_path):
    path = write_policy_file(tmp_path / "p.toml", county="邱县", year=2020)
    assert load_policy(path).county == "邱县"
    with pytest.raises(PolicyError, match="已存在"):
        write_policy_file(path, county="邱县", year=2020)
    write_policy_file(path, overwrite=True, county="邱县", year=2020)
    # Neither the county nor the year defaults to a built-in one.
    with pytest.raises(PolicyError, match="无法确定参数年度"):
        write_policy_file(tmp_path / "q.toml", county="邱县")
    assert [p.name for p in tmp_path.iterdir()] == ["p.toml"]


def test_default_policy_equals_loaded_default():
    assert Policy() == load_policy()
    assert set(GROUPS) == set(Policy().spending["因学"].thresholds)


def test_set_keys_record_what_the_county_gave_and_take_no_part_in_equality(tmp_path):
    text = policy_to_toml(Policy())
    assert ("# 下一行为示例，以本县文件为准：按本县填写时去掉行首的“# ”。\n"
            "# service_fee_rate = 0.05\n") in text
    shipped = parse_policy(text)
    assert shipped == Policy() and shipped.set_keys != Policy().set_keys
    assert "fund.service_fee_rate" not in shipped.set_keys and "fund.coverage_rate" in shipped.set_keys
    assert shipped.unset_examples() == ("fund.service_fee_rate",)
    assert policy_to_toml(shipped) == text
    county = parse_policy(text.replace("# service_fee_rate = 0.05", "service_fee_rate = 0.05"))
    assert county == shipped and county.unset_examples() == ()
    assert "\nservice_fee_rate = 0.05\n" in policy_to_toml(county)
    assert policy_differences(county, values_of(shipped)) == []
    assert parse_policy("").set_keys == frozenset()
    sheet = policy_from_values({"year": 2020, "fund.service_fee_rate": 0.04, "procedure.deadline_days": ""})
    assert sheet.set_keys == frozenset({"year", "fund.service_fee_rate"})


def test_policy_from_values_round_trips_the_sheet_rows(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text(
        'county = "邱县"\nyear = 2023\n[income.monitoring."河北"]\n2023 = 7000\n'
        '[spending.education]\noperator = "以上"\nthreshold = 9000\n'
        "[payout.medical]\nbands = [[0, 0.15], [20000, 0.35]]\ncap = 80000\n",
        encoding="utf-8",
    )
    for policy in (load_policy(), load_policy(year=2018), load_policy(path)):
        values = {key: value for key, _, value in policy_rows(policy)}
        rebuilt = policy_from_values(values)
        assert rebuilt == policy
        assert policy_rows(rebuilt) == policy_rows(policy)
        assert policy_differences(policy, values) == []


def test_policy_from_values_keeps_zero_where_zero_is_allowed():
    policy = policy_from_values({
        "year": 2020, "spending.medical.脱贫不稳定户": 0, "spending.industry.边缘易致贫户": "0",
        "fund.coverage_rate": 0, "fund.service_fee_rate": 0.0, "procedure.max_relief": 0,
        "payout.medical.cap": 0,
    })
    assert policy.spending_threshold("因病", "脱贫不稳定户") == 0
    assert policy.spending_threshold("因产业", "边缘易致贫户") == 0
    assert policy.spending_threshold("因病", "边缘易致贫户") == 20000
    assert (policy.coverage_rate, policy.service_fee_rate, policy.max_relief) == (0, 0, 0)
    assert policy.payout_tables["因病"].cap == 0


def test_policy_from_values_takes_the_year_threshold_of_an_old_sheet():
    policy = policy_from_values({"year": 2023, "province": "河北", "income.threshold": 7000})
    assert policy.income_threshold() == 7000.0
    assert policy.monitoring_thresholds["河北"] == {2023: 7000.0}
    assert policy_from_values({"year": 2018, "income.threshold": 4500}).income_threshold() == 4500.0
    with pytest.raises(PolicyError) as err:
        policy_from_values({"year": 2025}, source="东代固乡.xlsx 参数表")
    assert str(err.value) == (
        f"东代固乡.xlsx 参数表 中的 收入标准（元/人/年，含本数）（income.threshold） 有误：{MONITORING_2025}"
    )


def test_policy_from_values_names_a_bad_value():
    with pytest.raises(PolicyError) as err:
        policy_from_values({"year": 2020, "procedure.deadline_days": "十五"}, source="东代固乡.xlsx 参数表")
    assert str(err.value) == (
        "东代固乡.xlsx 参数表 中的 救助程序时限（procedure.deadline_days） 有误：应为 1 到 365 之间的整数，现为 '十五'。"
    )


def test_deadline_days_zero_is_refused_in_a_file_and_in_a_sheet(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text("[procedure]\ndeadline_days = 0\n", encoding="utf-8")
    with pytest.raises(PolicyError) as from_file:
        load_policy(path)
    with pytest.raises(PolicyError) as from_sheet:
        policy_from_values({"procedure.deadline_days": 0}, source="东代固乡.xlsx 工作表“参数”")
    tail = " 中的 救助程序时限（procedure.deadline_days） 有误：应在 1 到 365 之间，现为 0。"
    assert str(from_file.value) == f"{path}{tail}"
    assert str(from_sheet.value) == f"东代固乡.xlsx 工作表“参数”{tail}"


# -- every limit, the same in a TOML file and a 参数 sheet -------------------------------------

def _in_section(p, line):
    return f"[{p.section}]\n{line}\n" if p.section else f"{line}\n"


def violations(p):
    """(TOML text or None, 参数 values, TOML key, TOML label, sheet key, sheet label, tail) per limit of ``p``."""
    c = p.codec
    same = (p.key, p.label, p.key, p.label)
    if isinstance(c, Number):
        step = 1 if c.integer else 0.5
        for bad in (c.low - step, c.high + step):
            yield (_in_section(p, f"{p.name} = {number_text(bad)}"), {p.key: bad}, *same,
                   f"应在 {number_text(c.low)} 到 {number_text(c.high)} 之间，现为 {number_text(bad)}")
        kind = "整数" if c.integer else "数字"
        yield (_in_section(p, f'{p.name} = "多"'), {p.key: "多"}, *same,
               f"应为 {number_text(c.low)} 到 {number_text(c.high)} 之间的{kind}，现为 '多'")
        if c.integer:
            yield (_in_section(p, f"{p.name} = {c.low + 0.5}"), {p.key: c.low + 0.5}, *same,
                   f"应为 {c.low} 到 {c.high} 之间的整数，现为 {number_text(c.low + 0.5)}")
        if isinstance(c, Divisor):
            # Calendar periods must not straddle a year.
            yield (_in_section(p, f"{p.name} = 5"), {p.key: 5}, *same,
                   "应为能整除 12 的月数（1、2、3、4、6、12），现为 5")
    elif isinstance(c, Choice):
        yield (_in_section(p, f'{p.name} = "周"'), {p.key: "周"}, *same,
               f"可选值为 {'、'.join(c.options)}，现为 '周'")
    elif isinstance(c, YearList):
        for bad in (c.low - 1, c.high + 1):
            yield (_in_section(p, f"{p.name} = [{bad}]"), {p.key: str(bad)}, *same,
                   f"年份应在 {c.low} 到 {c.high} 之间，现为 {bad}")
    elif isinstance(c, DateList):
        yield (_in_section(p, f'{p.name} = ["2027-02-30"]'), {p.key: "2027-02-30"}, *same,
               "'2027-02-30' 不是日期（写成 2027-01-01）")
    elif isinstance(c, AreaCodes):
        for bad in ("1234567", "4a"):
            yield (_in_section(p, f'{p.name} = ["{bad}"]'), {p.key: bad}, *same,
                   f"地区代码应为 1 到 6 位数字（如 41、3705、410526），现为 '{bad}'")
    elif isinstance(c, YearTable):
        for bad in (-1, 1_000_001):
            yield (f"[{p.key}]\n2019 = {bad}\n", {p.key: f"2019年 {bad}"}, *same,
                   f"2019 年的金额应在 0 到 1000000 之间，现为 {bad}")
    elif isinstance(c, ProvinceYearTable):
        for bad in (-1, 1_000_001):
            yield (f'[{p.key}."河北"]\n2023 = {bad}\n', {p.key: f"河北 2023年 {bad}"}, *same,
                   f"河北 2023 年的金额应在 0 到 1000000 之间，现为 {bad}")
    elif isinstance(c, IncomeThreshold):  # a 参数 row only: the file holds the tables above
        for bad in (-1, 1_000_001):
            yield (None, {p.key: bad}, *same, f"应在 0 到 1000000 之间，现为 {bad}")
    elif isinstance(c, Spending):
        for group in GROUPS:
            for bad in (c.low - 1, c.high + 1):
                label = f"{c.kind}支出标准·{group}（元）"
                yield (f'[{p.key}]\nthreshold = {{ "{group}" = {bad} }}\n', {f"{p.key}.{group}": bad},
                       f'{p.key}.threshold."{group}"', label, f"{p.key}.{group}", label,
                       f"应在 {number_text(c.low)} 到 {number_text(c.high)} 之间，现为 {bad}")
        yield (f'[{p.key}]\noperator = "大于"\n', {f"{p.key}.operator": "大于"},
               f"{p.key}.operator", f"{c.kind}支出比较方式", f"{p.key}.operator", f"{c.kind}支出比较方式",
               "可选值为 达到、以上、超过，现为 '大于'")
    elif isinstance(c, Payout):
        bands = f"{c.kind}救助分档"
        yield (f"[{p.key}]\nbands = [[0, 1.5]]\n", {f"{p.key}.bands": "0元起 150%"},
               f"{p.key}.bands", bands, f"{p.key}.bands", bands, "比例应在 0 到 1 之间，现为 1.5")
        yield (f"[{p.key}]\nbands = [[0, 0.1], [-5, 0.2]]\n", {f"{p.key}.bands": "0元起 10%；-5元起 20%"},
               f"{p.key}.bands", bands, f"{p.key}.bands", bands, "起点应在 0 到 100000000 之间，现为 -5")
        yield (f"[{p.key}]\nbands = [[0, 0.1], [0, 0.2]]\n", {f"{p.key}.bands": "0元起 10%；0元起 20%"},
               f"{p.key}.bands", bands, f"{p.key}.bands", bands, "起点应从 0 开始并严格递增")
        cap = f"{c.kind}救助封顶（元，空为不设）"
        yield (f"[{p.key}]\ncap = -1\n", {f"{p.key}.cap": -1}, f"{p.key}.cap", cap, f"{p.key}.cap", cap,
               "封顶金额应在 0 到 100000000 之间，现为 -1")
        group = GROUPS[1]
        yield (f'[{p.key}."{group}"]\nbands = [[0, 1.5]]\n',
               {f"{p.key}.{group}": "0元起 150%；说明 单设"},
               f'{p.key}."{group}".bands', f"{bands}·{group}", f"{p.key}.{group}",
               f"{bands}·{group}单设（空为不设）", "比例应在 0 到 1 之间，现为 1.5")
    elif isinstance(c, Text):
        return  # any text will do
    else:
        raise AssertionError(f"no limit cases for {type(c).__name__} ({p.key}): add them here")


LIMIT_CASES = [(p, case) for p in PARAMS for case in violations(p)]


def test_every_declared_parameter_but_free_text_has_limit_cases():
    assert {p.key for p, _ in LIMIT_CASES} == {p.key for p in PARAMS if not isinstance(p.codec, Text)}


@pytest.mark.parametrize(("param", "case"), LIMIT_CASES,
                         ids=[f"{p.key}-{i}" for i, (p, _) in enumerate(LIMIT_CASES)])
def test_each_limit_is_enforced_the_same_in_toml_and_in_a_sheet(param, case):
    toml, values, toml_key, toml_label, sheet_key, sheet_label, tail = case
    if toml is not None:
        with pytest.raises(PolicyError) as from_file:
            parse_policy(toml, source="本县参数.toml")
        assert str(from_file.value) == f"本县参数.toml 中的 {toml_label}（{toml_key}） 有误：{tail}。"
    with pytest.raises(PolicyError) as from_sheet:
        policy_from_values(values, source="东代固乡.xlsx 工作表“参数”")
    assert str(from_sheet.value) == f"东代固乡.xlsx 工作表“参数” 中的 {sheet_label}（{sheet_key}） 有误：{tail}。"


@pytest.mark.parametrize("param", [p for p in PARAMS if isinstance(p.codec, Number)], ids=lambda p: p.key)
def test_each_number_limit_itself_is_allowed_in_both(param):
    c = param.codec
    for edge in (c.low, c.high):
        from_file = parse_policy(_in_section(param, f"{param.name} = {number_text(edge)}"))
        from_sheet = policy_from_values({param.key: edge, "income.threshold": 6000})
        assert getattr(from_file, param.attribute) == edge == getattr(from_sheet, param.attribute)


def test_first_format_rows_are_marked_as_such():
    since = {row.key: row.since for p in PARAMS for row in p.codec.rows(p, Policy())}
    assert since["payout.medical.cap"] == SHEET_V1 and since["payout.medical.label"] != SHEET_V1


def test_an_unreadable_policy_file_is_explained_in_chinese(tmp_path):
    (tmp_path / "文件").write_text("x", encoding="utf-8")
    path = tmp_path / "文件" / "参数.toml"
    with pytest.raises(PolicyError) as err:
        load_policy(path)
    assert str(err.value) == f"无法读取参数文件 {path}：路径中的某一级不是文件夹。"
