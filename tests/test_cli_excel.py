"""fangpin-xl excel: settings, the VBA module of the buttons, the self-test."""

import locale
import re
import sys
from pathlib import Path

import pytest

from fangpin_xl.cli import main
from fangpin_xl.excel import scripts
from fangpin_xl.excel.install import BUTTONS, UDF_MODULE, bas_text, read_conf

REPO = Path(__file__).resolve().parents[1]


def test_info_self_test_passes(capsys):
    assert main(["excel", "info"]) == 0
    out = capsys.readouterr().out
    assert f"函数模块（xlwings 设置 UDF Modules）：{UDF_MODULE}" in out
    assert "  通过  资格判定：FP_STATUS(边缘易致贫户, “5,000元”, 20000) = 符合" in out
    assert out.rstrip().endswith("自检全部通过。")


def test_install_sets_two_keys_and_keeps_the_others(tmp_path, capsys):
    conf = tmp_path / ".xlwings" / "xlwings.conf"
    conf.parent.mkdir()
    conf.write_text('"LICENSE_KEY","noncommercial"\n"UDF MODULES","my_udfs"\n', encoding="utf-8")
    assert main(["excel", "install", "--config", str(conf)]) == 0
    assert "已更新" in capsys.readouterr().out
    values = read_conf(conf)
    assert values["LICENSE_KEY"] == "noncommercial" and values["UDF MODULES"] == UDF_MODULE
    assert values["INTERPRETER_WIN"]
    assert main(["excel", "install", "--config", str(conf)]) == 0
    assert "已是所需设置，无需更改" in capsys.readouterr().out


def test_a_broken_settings_file_is_a_chinese_error(tmp_path, capsys):
    conf = tmp_path / "xlwings.conf"
    conf.write_text("不是设置\n", encoding="utf-8")
    assert main(["excel", "install", "--config", str(conf)]) == 2
    assert "第 1 行格式不对" in capsys.readouterr().err


def test_macros_written_and_the_repository_copy_is_the_same(tmp_path, capsys):
    assert main(["excel", "macros", str(tmp_path)]) == 0
    assert (tmp_path / "fangpin.bas").read_bytes() == bas_text() == (REPO / "macros" / "fangpin.bas").read_bytes()
    assert read_conf(tmp_path / "xlwings.conf")["UDF MODULES"] == UDF_MODULE
    assert "FangpinCheck（校验本工作簿）" in capsys.readouterr().out


def test_the_vba_module_is_ascii_crlf_and_calls_each_script():
    text = bas_text()
    assert text.isascii() and b"\r\n" in text and b"\n" not in text.replace(b"\r\n", b"")
    calls = dict(re.findall(r"Sub (\w+)\(\)\r\n    RunPython \"import fangpin_xl.excel.scripts as s; "
                            r"s.run\('(\w+)'\)\"", text.decode()))
    assert set(calls) == set(BUTTONS)
    assert set(calls.values()) == set(scripts._SCRIPTS)


def test_an_unreadable_settings_file_is_a_chinese_error(tmp_path, capsys):
    from fangpin_xl.errors import InputError

    folder = tmp_path / "xlwings.conf"
    folder.mkdir()
    with pytest.raises(InputError) as err:
        read_conf(folder)
    assert str(err.value) == f"无法读取 xlwings 设置文件 {folder}：这是一个文件夹，不是文件。"
    conf = tmp_path / "gbk.conf"
    conf.write_bytes('"UDF MODULES","函数"\n'.encode("gbk"))
    assert main(["excel", "install", "--config", str(conf)]) == 2
    assert capsys.readouterr().err == (f"错误：无法读取 xlwings 设置文件 {conf}：不是 UTF-8 编码的文本，"
                                       "请用记事本打开后另存为 UTF-8 编码。\n")


def test_settings_file_is_in_the_encoding_xlwings_reads_on_windows(tmp_path, monkeypatch):
    # The add-in reads xlwings.conf with VBA's Open … For Input, in the ANSI code page (GBK on
    # Chinese Windows), as xlwings' Python does: a UTF-8 file garbled a Python path under a
    # Chinese user name, and a file xlwings itself wrote with Chinese in it was refused.
    from fangpin_xl.errors import InputError
    from fangpin_xl.excel import install

    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(locale, "getencoding", lambda: "cp936")
    conf = tmp_path / "xlwings.conf"
    conf.write_bytes('"PYTHONPATH","D:\\\\防贫\\\\模块"\n'.encode("gbk"))
    python = "C:\\Users\\防贫办\\python.exe"
    install.install_conf(conf, interpreter=python)
    assert conf.read_bytes().decode("gbk") == (
        f'"PYTHONPATH","D:\\\\防贫\\\\模块"\n"INTERPRETER_WIN","{python}"\n"UDF MODULES","{UDF_MODULE}"\n')
    assert read_conf(conf)["INTERPRETER_WIN"] == python
    with pytest.raises(InputError, match="无法按本机编码（cp936）保存"):
        install.install_conf(conf, interpreter="C:\\Users\\Jürgen😀\\python.exe")
