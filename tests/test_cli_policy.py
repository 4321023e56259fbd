import json

from click.testing import CliRunner

from fangpin_xl.cli import cli, main
from fangpin_xl.policy import load_policy, policy_rows


def run(*args):
    return CliRunner().invoke(cli, list(args), prog_name="fangpin-xl", standalone_mode=False)


def test_help_is_chinese_and_lists_exit_codes(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("用法： fangpin-xl [选项] 命令 [参数]...")
    assert "退出码" in out and "2  用法错误，或输入文件无法读取" in out
    assert main(["-h"]) == 0


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == "fangpin-xl 版本 0.1.0"


def test_policy_show_json_equals_library():
    result = run("policy", "show", "--year", "2020", "--json")
    assert result.exit_code == 0
    expected = {key: value for key, _, value in policy_rows(load_policy(year=2020))}
    assert json.loads(result.output) == expected


def test_policy_show_text_flags_unconfirmed_line(capsys):
    assert main(["policy", "show", "--year", "2018"]) == 0
    out = capsys.readouterr().out
    assert "收入标准（元/人/年，含本数）                   4492.5（该年贫困标准未经公开文件核实，请以本县文件为准）" in out
    assert "因病支出标准·边缘易致贫户（元）                20000\n" in out


MONITORING_2025 = (
    '没有 河北 2025 年的防返贫监测标准（待填）：请在参数文件 [income.monitoring."河北"] 中填写 '
    "2025 = 金额（元/人/年）。该金额是本省每年公布的防返贫监测范围（监测标准），以省里当年的文件为准。"
)


def test_policy_show_of_a_year_without_threshold_shows_it_unfilled(capsys):
    assert main(["policy", "show", "--year", "2025"]) == 0
    out = capsys.readouterr().out
    assert "收入标准（元/人/年，含本数）                   待填\n" in out
    assert out.endswith(f"注意：{MONITORING_2025}\n")
    assert main(["policy", "show", "--year", "2025", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["income.threshold"] is None


def test_policy_show_marks_a_shipped_example_until_the_county_sets_it(tmp_path, capsys):
    assert main(["policy", "show", "--year", "2020"]) == 0
    assert "服务费率                                       0.05（示例，以本县文件为准）\n" in capsys.readouterr().out
    path = tmp_path / "p.toml"
    path.write_text("year = 2020\n[fund]\nservice_fee_rate = 0.05\n", encoding="utf-8")
    assert main(["policy", "show", "--policy", str(path)]) == 0
    assert "服务费率                                       0.05\n" in capsys.readouterr().out


def test_a_clerk_in_2026_creates_fills_and_uses_the_2025_file(tmp_path, capsys):
    target = tmp_path / "参数2025.toml"
    assert main(["policy", "init", str(target), "--year", "2025", "--county", "馆陶县"]) == 0
    assert capsys.readouterr().out == f"已写出参数文件：{target}\n"
    text = target.read_text(encoding="utf-8")
    assert (
        '[income.monitoring."河北"]\n'
        '# 2025 年的防返贫监测标准待填：把 "待填" 改为金额（元/人/年）。'
        "该金额是本省每年公布的防返贫监测范围（监测标准），以省里当年的文件为准。\n"
        '2025 = "待填"\n'
    ) in text
    assert main(["policy", "show", "--policy", str(target)]) == 0
    out = capsys.readouterr().out
    assert "参数年度                                       2025\n" in out
    assert "收入标准（元/人/年，含本数）                   待填\n" in out
    out_dir = tmp_path / "乡镇"
    for command in (["template", str(out_dir), "--township", "东代固乡"], ["demo", str(out_dir)],
                    ["validate", str(tmp_path)]):
        assert main([*command, "--policy", str(target)]) == 2
        assert capsys.readouterr().err == f"错误：{MONITORING_2025}\n"
    assert not out_dir.exists()
    target.write_text(text.replace('2025 = "待填"', "2025 = 7000"), encoding="utf-8")
    assert main(["policy", "show", "--policy", str(target)]) == 0
    assert "收入标准（元/人/年，含本数）                   7000\n" in capsys.readouterr().out
    assert main(["template", str(out_dir), "--township", "东代固乡", "--policy", str(target)]) == 0
    assert [p.name for p in out_dir.iterdir()] == ["馆陶县东代固乡2025年防贫工作簿.xlsx"]
    capsys.readouterr()
    # The workbook is judged by its own 2025 参数 sheet, and by the county file; merged under 2025.
    workbook = out_dir / "馆陶县东代固乡2025年防贫工作簿.xlsx"
    assert main(["validate", str(workbook)]) == 0
    assert main(["validate", str(workbook), "--policy", str(target)]) == 0
    assert capsys.readouterr().out.endswith("共 1 个文件：错误 0 个，提醒 0 个\n")
    county = tmp_path / "全县.xlsx"
    assert main(["merge", str(out_dir), "-o", str(county), "--quiet"]) == 0
    assert "馆陶县 2025 年" in capsys.readouterr().out
    import openpyxl

    assert openpyxl.load_workbook(county, read_only=True)["汇总"]["A1"].value.startswith(
        "馆陶县 2025 年精准防贫监测全县汇总")


def test_policy_show_reads_a_gbk_file(tmp_path, capsys):
    path = tmp_path / "参数.toml"
    path.write_bytes('county = "馆陶县"\nyear = 2020\n'.encode("gbk"))
    assert main(["policy", "show", "--policy", str(path)]) == 0
    assert capsys.readouterr().out.startswith("县（市、区）                                   馆陶县\n")


def test_policy_show_explains_a_toml_syntax_error(tmp_path, capsys):
    path = tmp_path / "参数.toml"
    path.write_text('county = "馆陶县"\nyear = 二〇二〇\n', encoding="utf-8")
    assert main(["policy", "show", "--policy", str(path)]) == 2
    assert capsys.readouterr().err == (
        f"错误：{path} 不是有效的 TOML 格式：第 2 行第 8 列有错误，值的写法不对：文字要加英文双引号，"
        "数字和日期不加引号，列表用方括号。（技术信息：Invalid value (at line 2, column 8)）\n"
    )


def test_usage_error_is_chinese_exit_2(capsys):
    assert main(["policy", "show", "--yaer", "3"]) == 2
    err = capsys.readouterr().err
    assert "错误：没有选项 '--yaer'。" in err
    assert "Traceback" not in err


def test_policy_init_writes_a_loadable_commented_file(tmp_path, capsys):
    target = tmp_path / "参数.toml"
    assert main(["policy", "init", str(target), "--county", "馆陶县", "--year", "2020"]) == 0
    assert capsys.readouterr().out.strip() == f"已写出参数文件：{target}"
    text = target.read_text(encoding="utf-8")
    assert text.startswith("# 精准防贫参数文件")
    assert "示例，以本县文件为准" in text
    assert load_policy(target).county == "馆陶县"
    assert main(["policy", "init", str(target), "--county", "馆陶县", "--year", "2020"]) == 2
    assert "已存在" in capsys.readouterr().err
    assert main(["policy", "show", "--policy", str(target), "--json"]) == 0


def test_nothing_defaults_to_a_county_or_a_year(tmp_path, capsys):
    target = tmp_path / "参数.toml"
    assert main(["policy", "init", str(target)]) == 2
    assert capsys.readouterr().err == (
        "错误：无法确定参数年度：请用 --year 指定（如 --year 2025），或在参数文件中填写 year = 2025；"
        "县（市、区）名称：请用 --county 指定（如 --county 魏县），或在参数文件中填写 county = \"魏县\"。\n")
    assert not target.exists()
    assert main(["policy", "show"]) == 2
    assert "请用 --policy 指定本县参数文件，或用 --year 指定年度（查看内置默认参数）。" in capsys.readouterr().err
    assert main(["policy", "show", "--year", "2020"]) == 0
    assert capsys.readouterr().out.startswith("县（市、区）                                   （未设置：用 --policy 指定本县参数文件）\n")
    no_year = tmp_path / "无年度.toml"
    no_year.write_text('county = "馆陶县"\n', encoding="utf-8")
    for command in (["policy", "show"], ["template", str(tmp_path / "乡镇"), "--township", "东代固乡"]):
        assert main([*command, "--policy", str(no_year)]) == 2
        assert capsys.readouterr().err.startswith("错误：无法确定参数年度：请用 --year 指定")
    assert main(["template", str(tmp_path / "乡镇"), "--township", "东代固乡", "--year", "2020"]) == 2
    assert capsys.readouterr().err == (
        "错误：无法确定县（市、区）名称：请用 --county 指定（如 --county 魏县），或在参数文件中填写 "
        "county = \"魏县\"，或在县级名单中提供“参数”表或“县”列。\n")
    assert not (tmp_path / "乡镇").exists()


def test_help_shows_chinese_metavars(capsys):
    assert main(["policy", "init", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--year 年份" in out and "INTEGER" not in out and "TEXT" not in out
    assert main(["policy", "show", "--year", "二〇二五"]) == 2
    assert "错误：'--year' 的值无效：'二〇二五' 不是有效的整数。" in capsys.readouterr().err
    assert main(["demo", "x", "--townships", "多"]) == 2
    assert "'多' 不是有效的整数。" in capsys.readouterr().err
