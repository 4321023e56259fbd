import dataclasses
import datetime as dt

import pytest

from fangpin_xl.errors import PolicyError
from fangpin_xl.policy import (
    GROUPS,
    PAYOUT_EXAMPLE_LABEL,
    Policy,
    load_policy,
    parse_policy,
    policy_differences,
    policy_from_values,
    policy_rows,
    policy_to_toml,
    write_policy_file,
)


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


def test_unconfirmed_years_are_flagged():
    policy = load_policy()
    assert not policy.income_threshold_confirmed(2017)
    assert not policy.income_threshold_confirmed(2018)
    assert policy.income_threshold_confirmed(2019)


def test_provincial_monitoring_threshold_after_2020_is_not_multiplied():
    policy = dataclasses.replace(load_policy(), province="贵州")
    assert policy.for_year(2023).income_threshold() == 7300.0


def test_a_year_without_threshold_says_what_to_add():
    with pytest.raises(PolicyError) as err:
        load_policy(year=2024)
    assert str(err.value) == (
        '没有 河北 2024 年的防返贫监测标准：请在参数文件 [income.monitoring."河北"] '
        "中添加 2024 = 金额（元/人/年）。"
    )
    with pytest.raises(PolicyError, match="没有 2009 年的国家贫困标准"):
        load_policy(year=2009)


def test_toml_round_trip_is_exact():
    policy = dataclasses.replace(
        load_policy(),
        extra_holidays=(dt.date(2027, 1, 1),),
        extra_workdays=(dt.date(2027, 2, 6),),
    )
    assert parse_policy(policy_to_toml(policy)) == policy


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


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("yaer = 2020", " 顶层有不认识的参数 yaer；可用的参数：county、province、year、income、"
         "spending、procedure、fund、followup、payout、calendar。"),
        ('[procedure]\ndeadline_mode = "周"',
         " 中的 procedure.deadline_mode 有误：可选值为 工作日、自然日，现为 '周'。"),
        ("[spending.medical]\nthreshold = -1",
         " 中的 spending.medical.threshold 有误：应在 0 到 1e+07 之间，现为 -1。"),
        ('[spending.medical]\noperator = "大于"',
         " 中的 spending.medical.operator 有误：可选值为 达到、以上、超过，现为 '大于'。"),
        ("[payout.medical]\nbands = [[100, 0.1]]", " 中的 payout.medical.bands 有误：起点应从 0 开始并严格递增。"),
        ("[payout.medical]\nbands = [[0, 1.5]]", " 中的 payout.medical.bands 的比例 有误：应在 0 到 1 之间，现为 1.5。"),
        ("[fund]\ncoverage_rate = true", " 中的 fund.coverage_rate 有误：应为 0 到 1 之间的数字，现为 True。"),
        ('[calendar]\nholidays = ["2027-01-01"]',
         " 中的 calendar.holidays 有误：'2027-01-01' 不是日期（写成 2027-01-01，不加引号）。"),
    ],
)
def test_bad_policy_file_names_file_key_and_allowed_values(tmp_path, text, message):
    path = tmp_path / "p.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as err:
        load_policy(path)
    assert str(err.value) == str(path) + message


def test_broken_toml_names_the_file(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text("year = ", encoding="utf-8")
    with pytest.raises(PolicyError) as err:
        load_policy(path)
    assert str(err.value).startswith(f"{path} 不是有效的 TOML 格式：")


def test_missing_policy_file(tmp_path):
    with pytest.raises(PolicyError, match="找不到参数文件"):
        load_policy(tmp_path / "无.toml")


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


def test_write_policy_file_refuses_to_overwrite(tmp_path):
    path = write_policy_file(tmp_path / "p.toml", county="邱县")
    assert load_policy(path).county == "邱县"
    with pytest.raises(PolicyError, match="已存在"):
        write_policy_file(path)
    write_policy_file(path, overwrite=True)
    assert [p.name for p in tmp_path.iterdir()] == ["p.toml"]


def test_default_policy_equals_loaded_default():
    assert Policy() == load_policy()
    assert set(GROUPS) == set(Policy().spending["因学"].thresholds)


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
        assert policy_rows(rebuilt) == policy_rows(policy)
        assert policy_differences(policy, values) == []


def test_policy_from_values_names_a_bad_value():
    with pytest.raises(PolicyError) as err:
        policy_from_values({"year": 2020, "procedure.deadline_days": "十五"}, source="东代固乡.xlsx 参数表")
    assert str(err.value) == "东代固乡.xlsx 参数表 中的 救助程序时限（procedure.deadline_days） 有误：无法读取的值 '十五'。"
