"""The ``fangpin-xl`` command: a thin face over the library.

Each command parses its options, calls one library function and renders the
result. This is the only module that imports click.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from . import __version__
from .errors import FangpinError

EXIT_CODES_HELP = (
    "\b\n退出码：\n"
    "  0  成功（校验时可能有提醒，但没有错误）\n"
    "  1  数据有错误（validate），或命令执行失败\n"
    "  2  用法错误，或输入文件无法读取"
)

# click prints its own messages through gettext; county staff read Chinese.
_CLICK_ZH = {
    "Usage:": "用法：",
    "Options": "选项",
    "Commands": "命令",
    "Positional arguments": "参数",
    "Show this message and exit.": "显示本帮助并退出。",
    "Show the version and exit.": "显示版本号并退出。",
    "Error: {message}": "错误：{message}",
    "Try '{command} {option}' for help.": "可运行 '{command} {option}' 查看帮助。",
    "No such option {name!r}.": "没有选项 {name!r}。",
    "No such command {name!r}.": "没有命令 {name!r}。",
    "Missing command.": "缺少命令。",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing parameter: {param_name}": "缺少参数：{param_name}",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的值无效：{message}",
    "Invalid value: {message}": "值无效：{message}",
    "Option {name!r} does not take a value.": "选项 {name!r} 不需要值。",
    "{value!r} is not a valid {number_type}.": "{value!r} 不是有效的{number_type}。",
    "{value} is not in the range {range}.": "{value} 不在范围 {range} 内。",
    "{name} {filename!r} does not exist.": "{name} {filename!r} 不存在。",
    "{name} {filename!r} is a file.": "{name} {filename!r} 是文件，应为文件夹。",
    "{name} {filename!r} is a directory.": "{name} {filename!r} 是文件夹，应为文件。",
    "{name} {filename!r} is not readable.": "{name} {filename!r} 无法读取。",
    "{name} {filename!r} is not writable.": "{name} {filename!r} 无法写入。",
    "file": "文件",
    "directory": "文件夹",
    "path": "路径",
    "default: {default}": "默认：{default}",
    "Aborted!": "已中止。",
    "%(prog)s, version %(version)s": "%(prog)s 版本 %(version)s",
    "Got unexpected extra argument ({args})": "多余的参数（{args}）",
    "Got unexpected extra arguments ({args})": "多余的参数（{args}）",
    "Option {name!r} requires an argument.": "选项 {name!r} 需要一个值。",
    "Option {name!r} requires {nargs} arguments.": "选项 {name!r} 需要 {nargs} 个值。",
    "{value!r} is not {choice}.": "{value!r} 不是 {choice}。",
    "{value!r} is not one of {choices}.": "{value!r} 不是可选值 {choices} 之一。",
    "Did you mean {possibility}?": "是否想输入 {possibility}？",
    "(Did you mean one of: {possibilities}?)": "（是否想输入以下之一：{possibilities}？）",
}


def _gettext_zh(message: str) -> str:
    return _CLICK_ZH.get(message, message)


def _ngettext_zh(singular: str, plural: str, n: int) -> str:
    return _CLICK_ZH.get(singular if n == 1 else plural, singular if n == 1 else plural)


def _install_click_chinese() -> None:
    import click.core
    import click.decorators
    import click.exceptions
    import click.formatting
    import click.parser
    import click.types

    for module in (click.core, click.decorators, click.exceptions, click.formatting, click.parser, click.types):
        if hasattr(module, "_"):
            module._ = _gettext_zh
        if hasattr(module, "ngettext"):
            module.ngettext = _ngettext_zh


_install_click_chinese()

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class _Command(click.Command):
    """A command whose help is Chinese and ends with the exit codes."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("context_settings", CONTEXT)
        kwargs.setdefault("epilog", EXIT_CODES_HELP)
        kwargs.setdefault("options_metavar", "[选项]")
        super().__init__(*args, **kwargs)


class _Group(_Command, click.Group):
    command_class = _Command

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("subcommand_metavar", "命令 [参数]...")
        super().__init__(*args, **kwargs)


_Group.group_class = _Group


@click.group(cls=_Group)
@click.version_option(__version__, "-V", "--version", prog_name="fangpin-xl")
def cli():
    """精准防贫 Excel 工具：资格核查、救助案件、帮扶回访与乡镇工作簿汇总。"""


# -- policy ---------------------------------------------------------------

@cli.group()
def policy():
    """查看或生成本县年度参数（收入标准、支出标准、时限、基金、救助分档）。"""


@policy.command("show")
@click.option("--policy", "policy_file", type=click.Path(dir_okay=False, path_type=Path),
              help="本县参数文件（TOML）；不指定时用内置默认参数。")
@click.option("--year", type=int, help="参数年度（默认取参数文件中的 year）。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
def policy_show(policy_file, year, as_json):
    """显示某一年度生效的参数。"""
    from .policy import load_policy, policy_rows

    loaded = load_policy(policy_file, year=year)
    rows = policy_rows(loaded)
    if as_json:
        click.echo(json.dumps({key: value for key, _, value in rows}, ensure_ascii=False, indent=2))
        return
    width = max(_display_width(label) for _, label, _ in rows)
    for key, label, value in rows:
        pad = " " * (width - _display_width(label))
        shown = "（不设）" if value is None else _format_value(value)
        if key == "income.threshold" and not loaded.income_threshold_confirmed():
            shown += "（该年贫困标准未经公开文件核实，请以本县文件为准）"
        click.echo(f"{label}{pad}  {shown}")


@policy.command("init")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--year", type=int, help="参数年度。")
@click.option("--county", help="县（市、区）名称。")
@click.option("--force", is_flag=True, help="文件已存在时覆盖。")
def policy_init(file, year, county, force):
    """写出一份带中文注释的参数文件（TOML），供本县修改。"""
    from .policy import write_policy_file

    written = write_policy_file(file, year=year, county=county, overwrite=force)
    click.echo(f"已写出参数文件：{written}")


def _format_value(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _display_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


# -- entry point -------------------------------------------------------------

def main(argv=None) -> int:
    """Run the CLI; every failure becomes a Chinese message and an exit code."""
    try:
        result = cli.main(args=argv, prog_name="fangpin-xl", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo(_gettext_zh("Aborted!"), err=True)
        return 1
    except click.ClickException as exc:
        exc.show()
        return 2 if isinstance(exc, click.UsageError) else exc.exit_code
    except FangpinError as exc:
        click.echo(f"错误：{exc}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("已中止。", err=True)
        return 1
    except Exception as exc:  # noqa: BLE001 - a traceback must never reach a user
        click.echo(
            f"内部错误：{type(exc).__name__}: {exc}\n请把这条信息和所用文件发给技术支持。",
            err=True,
        )
        return 1
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
