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
    result = run("policy", "show", "--json")
    assert result.exit_code == 0
    expected = {key: value for key, _, value in policy_rows(load_policy())}
    assert json.loads(result.output) == expected


def test_policy_show_text_flags_unconfirmed_line(capsys):
    assert main(["policy", "show", "--year", "2018"]) == 0
    out = capsys.readouterr().out
    assert "收入标准（元/人/年，含本数）            4492.5（该年贫困标准未经公开文件核实，请以本县文件为准）" in out
    assert "因病支出标准·边缘易致贫户（元）         20000" in out


def test_policy_show_unknown_year_is_exit_2(capsys):
    assert main(["policy", "show", "--year", "2025"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("错误：没有 河北 2025 年的防返贫监测标准")


def test_usage_error_is_chinese_exit_2(capsys):
    assert main(["policy", "show", "--yaer", "3"]) == 2
    err = capsys.readouterr().err
    assert "错误：没有选项 '--yaer'。" in err
    assert "Traceback" not in err


def test_policy_init_writes_a_loadable_commented_file(tmp_path, capsys):
    target = tmp_path / "参数.toml"
    assert main(["policy", "init", str(target), "--county", "馆陶县"]) == 0
    assert capsys.readouterr().out.strip() == f"已写出参数文件：{target}"
    text = target.read_text(encoding="utf-8")
    assert text.startswith("# 精准防贫参数文件")
    assert "示例，以本县文件为准" in text
    assert load_policy(target).county == "馆陶县"
    assert main(["policy", "init", str(target)]) == 2
    assert "已存在" in capsys.readouterr().err
    assert main(["policy", "show", "--policy", str(target), "--json"]) == 0
