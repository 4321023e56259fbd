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
from .errors import EXIT_CODES_TEXT, FangpinError

EXIT_CODES_HELP = "\b\n" + EXIT_CODES_TEXT

# click prints its own messages through gettext; county staff read Chinese. A test checks that
# every message translated here still exists in the installed click (tests/test_cli_policy.py).
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
    "required": "必填",
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
            setattr(module, "_", _gettext_zh)  # noqa: B010 - the module's gettext alias
        if hasattr(module, "ngettext"):
            setattr(module, "ngettext", _ngettext_zh)  # noqa: B010


_install_click_chinese()


class _Integer(click.types.IntParamType):
    """click's integer type, named in Chinese in its messages ("'abc' 不是有效的整数。")."""

    name = "整数"


class _IntegerRange(click.IntRange):
    name = "整数"


INTEGER = _Integer()


def integer_range(low: int, high: int) -> click.IntRange:
    return _IntegerRange(low, high)

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
@click.option("--policy", "policy_file", type=click.Path(dir_okay=False, path_type=Path), metavar="文件",
              help="本县参数文件（TOML）；不指定时用内置默认参数（须用 --year 指定年度）。")
@click.option("--year", type=INTEGER, metavar="年份", help="参数年度（默认取参数文件中的 year）。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
def policy_show(policy_file, year, as_json):
    """显示某一年度生效的参数。"""
    from .policy import PAYOUT_EXAMPLE_LABEL, UNFILLED, load_policy, policy_rows
    from .text import cell_text, display_width

    if policy_file is None and year is None:
        raise click.UsageError("请用 --policy 指定本县参数文件，或用 --year 指定年度（查看内置默认参数）。")
    loaded = load_policy(policy_file, year=year)
    loaded.require("year")
    rows = policy_rows(loaded)
    if as_json:
        click.echo(json.dumps({key: value for key, _, value in rows}, ensure_ascii=False, indent=2))
        return
    width = max(display_width(label) for _, label, _ in rows)
    examples = loaded.unset_examples()
    missing = loaded.missing_income_threshold()
    for key, label, value in rows:
        pad = " " * (width - display_width(label))
        if key == "county" and not loaded.given("county"):
            shown = "（未设置：用 --policy 指定本县参数文件）"
        elif key == "income.threshold":
            shown = UNFILLED if missing else cell_text(value)
            if not missing and not loaded.income_threshold_confirmed():
                shown += "（该年贫困标准未经公开文件核实，请以本县文件为准）"
        else:
            shown = "（不设）" if value is None else cell_text(value)
        if key in examples:
            shown += f"（{PAYOUT_EXAMPLE_LABEL}）"
        click.echo(f"{label}{pad}  {shown}")
    if missing:
        click.echo(f"注意：{missing}")


@policy.command("init")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path), metavar="文件")
@click.option("--year", type=INTEGER, metavar="年份", help="参数年度（必填）。")
@click.option("--county", metavar="县名", help="县（市、区）名称（必填）。")
@click.option("--force", is_flag=True, help="文件已存在时覆盖。")
def policy_init(file, year, county, force):
    """写出一份带中文注释的参数文件（TOML），供本县修改。"""
    from .policy import write_policy_file

    written = write_policy_file(file, year=year, county=county, overwrite=force)
    click.echo(f"已写出参数文件：{written}")


_POLICY_OPTION = click.option(
    "--policy", "policy_file", type=click.Path(dir_okay=False, path_type=Path), metavar="文件",
    help="本县参数文件（TOML）；不指定时用内置默认参数。",
)
_YEAR_OPTION = click.option("--year", type=INTEGER, metavar="年份", help="参数年度（默认取参数文件中的 year）。")


# -- template ---------------------------------------------------------------

@cli.command()
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path), metavar="输出文件夹")
@click.option("--county", metavar="县名", help="县（市、区）名称（默认取参数文件）。")
@click.option("--township", "townships", multiple=True, metavar="乡镇",
              help="乡镇名称，可重复；有 --roster 时默认取名单中的全部乡镇。")
@_YEAR_OPTION
@_POLICY_OPTION
@click.option("--roster", type=click.Path(dir_okay=False, path_type=Path), metavar="文件",
              help="县级监测户名单（工作簿），按乡镇分别预填。")
@click.option("--force", is_flag=True, help="输出文件夹中已有同名工作簿时覆盖（原有数据将丢失）。")
def template(out_dir, county, townships, year, policy_file, roster, force):
    """生成乡镇工作簿（含参数表、下拉选项、自动计算列），可按县级名单预填。

    \b
    县名和年度取自 --county、--year、参数文件或名单（其“参数”表或“县”列），缺少时报错。
    输出文件夹中已有同名工作簿时不覆盖，除非加 --force。
    名单的每一行都写入某个乡镇工作簿，或列出行号和未写入的原因（名单 N 行 = 写入 + 未写入）；
    有乡镇为空、重复、找不到所在户等未写入的行时退出码为 1。
    只因不属于 --township 所指乡镇而未写入的行不算错误。
    """
    from .policy import load_policy
    from .roster import identify, render_roster_use
    from .templates import build_templates

    policy = identify(load_policy(policy_file, year=year, county=county), roster)
    policy.require("county", "year", where="或在县级名单中提供“参数”表或“县”列")
    result = build_templates(out_dir, policy=policy, townships=townships, roster=roster, overwrite=force)
    for path in result.paths:
        click.echo(f"已生成：{path}")
    click.echo(f"共 {len(result.paths)} 个乡镇工作簿。")
    if roster is not None:
        from .roster import roster_columns

        columns = roster_columns(roster)
        click.echo("名单中用到的列：" + ("、".join(f"{a}→{b}" for a, b in columns.used) or "（无）"))
        click.echo("名单中未用的列：" + ("、".join(columns.ignored) or "（无）"))
        click.echo("名单中没有、需各乡镇自行填写的必填列：" + ("、".join(columns.unfilled) or "（无）"))
    if result.roster is not None:
        click.echo("\n".join(render_roster_use(result.roster)))
    raise click.exceptions.Exit(result.exit_code)


# -- demo ---------------------------------------------------------------------

@cli.command()
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path), metavar="输出文件夹")
@click.option("--townships", default=4, show_default=True, type=integer_range(1, 500), metavar="个数",
              help="乡镇个数。")
@click.option("--households", default=60, show_default=True, type=integer_range(10, 100_000),
              metavar="户数", help="每个乡镇的监测户数。")
@click.option("--seed", default=0, show_default=True, type=INTEGER, metavar="种子", help="随机种子（相同种子生成相同数据）。")
@_YEAR_OPTION
@_POLICY_OPTION
def demo(out_dir, townships, households, seed, year, policy_file):
    """生成一个样例县（含若干常见填报错误及其清单 manifest.json），用于试用和培训。"""
    from .demo import write_sample_county
    from .policy import load_policy

    policy = load_policy(policy_file, year=year)
    result = write_sample_county(out_dir, townships=townships, households=households, seed=seed,
                                 policy=policy)
    click.echo(
        f"已在 {result.out_dir} 生成样例县：{len(result.workbooks)} 个乡镇工作簿，"
        f"监测户 {result.households} 户，家庭成员 {result.members} 人；"
        f"预置错误 {result.mistakes} 处（{len(result.codes)} 类），见 {result.manifest.name}。"
    )


# -- validate -------------------------------------------------------------------

@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="工作簿或文件夹...")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出全部问题记录。")
@click.option("--annotate", "annotate_dir", type=click.Path(file_okay=False, path_type=Path),
              metavar="文件夹", help="把标注了问题单元格的副本写到该文件夹（原文件不改动）。")
@_POLICY_OPTION
@_YEAR_OPTION
def validate(paths, as_json, annotate_dir, policy_file, year):
    """校验乡镇工作簿：必填、类型、身份证号、重复、程序顺序与时限、资格判定、参数一致性。

    \b
    给出文件夹时，读取其中及各子文件夹中的 .xlsx、.xlsm、.xls 工作簿（与 merge 相同）；
    跳过 ~$ 开头的临时锁定文件、隐藏文件、--annotate 指定的文件夹，以及文件夹中本工具写出的文件
    （汇总、台账、问题清单等；标注副本在原工作簿也在时跳过），并列出跳过的文件和原因。
    """
    from .policy import load_policy
    from .validate import render_text, validate_paths

    policy = load_policy(policy_file, year=year) if (policy_file or year) else None
    if policy is not None:
        policy.require("year")
    result = validate_paths(paths, policy=policy, annotate_dir=annotate_dir)
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2, default=str))
    else:
        click.echo(render_text(result), nl=False)
    raise click.exceptions.Exit(result.exit_code)


# -- merge --------------------------------------------------------------------------

@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="工作簿或文件夹...")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              metavar="县级工作簿", help="汇总结果（.xlsx）。")
@_YEAR_OPTION
@_POLICY_OPTION
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出汇总摘要。")
@click.option("--jobs", type=integer_range(1, 64), metavar="进程数", help="并行读取的进程数（默认为 CPU 核数）。")
@click.option("--sqlite", type=click.Path(dir_okay=False, path_type=Path), metavar="文件",
              help="同时写入 SQLite 历史库（按年度追加，不影响以前年度）。")
@click.option("--on-duplicate", type=click.Choice(["report", "error"]), default="report", show_default=True,
              help="重复身份证号或案件编号：report 列入“重复”表；error 视为错误并停止。")
@click.option("--strict", is_flag=True, help="任一文件无法读取即停止，不生成汇总。")
@click.option("--quiet", is_flag=True, help="不显示进度条。")
def merge(paths, output, year, policy_file, as_json, jobs, sqlite, on_duplicate, strict, quiet):
    """把各乡镇工作簿汇总为一个县级工作簿（汇总、各表、问题、重复、来源、未入库）。

    \b
    给出文件夹时，读取其中及各子文件夹中的 .xlsx、.xlsm、.xls 工作簿（与 validate 相同）；
    跳过 ~$ 开头的临时锁定文件、隐藏文件和上次汇总的输出，以及文件夹中本工具写出的其他文件
    （台账、问题清单等；标注副本在原工作簿也在时跳过），并列出跳过的文件和原因。
    输出文件已存在且不是县级汇总工作簿时，拒绝覆盖。
    """
    from .merge import merge_workbooks, render_summary

    policy = policy_file if policy_file else None
    progress = None if (quiet or as_json or not sys.stderr.isatty()) else _progress_bar()
    result = merge_workbooks(
        paths, output, policy=policy, year=year, jobs=jobs, on_duplicate=on_duplicate,
        strict=strict, sqlite=sqlite, progress=progress,
    )
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2, default=str))
    else:
        click.echo(render_summary(result).rstrip("\n"))
    raise click.exceptions.Exit(result.exit_code)


# -- excel ----------------------------------------------------------------------------

@cli.group()
def excel():
    """把 fangpin-xl 装进 Excel：函数（FP_…）、按钮（校验本工作簿、生成公示名单、刷新计算列）。

    \b
    三种用法（详见 macros/README.md）：
      桌面版 Excel + 本机 Python：fangpin-xl excel install，再按说明导入按钮模块
      县里的 xlwings Server：各乡镇 Excel 连接县里的服务器
      xlwings Lite：在 Excel 加载项中运行，不需要安装 Python
    """


@excel.command("info")
def excel_info():
    """显示 Excel 需要的设置，并自检函数和按钮脚本能否运行。"""
    from .excel.install import SCRIPT_MODULE, UDF_MODULE, self_test, settings, user_conf_path

    click.echo(f"Python：{sys.executable}")
    click.echo(f"函数模块（xlwings 设置 UDF Modules）：{UDF_MODULE}")
    click.echo(f"按钮脚本模块：{SCRIPT_MODULE}")
    click.echo(f"xlwings 设置文件：{user_conf_path()}")
    for key, value in settings().items():
        click.echo(f'  "{key}","{value}"')
    click.echo("自检：")
    steps = self_test()
    for step in steps:
        click.echo(f"  {'通过' if step.ok else '失败'}  {step.name}：{step.detail}")
    failed = [s for s in steps if not s.ok]
    click.echo("自检全部通过。" if not failed else f"自检有 {len(failed)} 项失败，请把以上信息发给技术支持。")
    raise click.exceptions.Exit(1 if failed else 0)


@excel.command("install")
@click.option("--config", type=click.Path(dir_okay=False, path_type=Path), metavar="文件",
              help="xlwings 设置文件（默认：用户目录下的 .xlwings/xlwings.conf）。")
def excel_install(config):
    """在 xlwings 设置文件中写入本机 Python 和函数模块（其他设置保持不变）。"""
    from .excel.install import install_conf

    path, changed = install_conf(config)
    if changed:
        click.echo(f"已更新 {path}：")
        for key, value in changed.items():
            click.echo(f'  "{key}","{value}"')
    else:
        click.echo(f"{path} 已是所需设置，无需更改。")
    click.echo("下一步：在 Excel 的 xlwings 选项卡中点“Import Functions”（导入函数），即可使用 FP_… 函数。")


@excel.command("macros")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path), metavar="输出文件夹")
def excel_macros(out_dir):
    """写出按钮用的 VBA 模块（fangpin.bas）和示例设置文件，供在 Excel 中导入。"""
    from .excel.install import BUTTONS, write_macros

    for path in write_macros(out_dir):
        click.echo(f"已写出：{path}")
    click.echo("在 Excel 中按 Alt+F11 打开 VBA 编辑器 → 文件 → 导入文件 → 选 fangpin.bas；"
               "再插入按钮并分别指定宏：" + "、".join(f"{m}（{c}）" for m, c in BUTTONS.items()) + "。")


# -- screen ----------------------------------------------------------------------------------

def _department_option(key: str, label: str, what: str):
    return click.option(f"--{key}", f"{key}_files", multiple=True, metavar="文件",
                        type=click.Path(dir_okay=False, path_type=Path),
                        help=f"{label}部门数据（{what}；.xlsx、.xls 或 .csv），可重复。")


def _as_of_date(_ctx, _param, value):
    if value is None:
        return None
    from .workbook.coerce import coerce_column

    parsed = coerce_column([value], "date")
    if parsed.failed.iloc[0] or parsed.empty.iloc[0]:
        raise click.BadParameter(f"“{value}”不是日期（例如 2020-12-31）")
    return parsed.values.iloc[0].date()


@cli.command()
@click.option("--households", "households_file", required=True, metavar="工作簿",
              type=click.Path(dir_okay=False, path_type=Path),
              help="乡镇工作簿，或 merge 生成的县级汇总工作簿（用其中的监测户和家庭成员）。")
@_department_option("medical", "医保", "个人自付，或医疗总费用和统筹支付")
@_department_option("education", "教育", "学费、住宿费、教材费")
@_department_option("traffic", "交警", "损失金额、保险赔付、救助金额")
@_department_option("fire", "消防", "损失金额、保险赔付、救助金额")
@_department_option("civil", "民政", "损失金额、保险赔付、救助金额")
@_department_option("industry", "产业", "损失金额、保险赔付、救助金额")
@click.option("--as-of", "as_of", callback=_as_of_date, metavar="日期",
              help="筛查基准日，统计该日及之前 12 个月的记录（默认：户信息工作簿的核查基准日）。")
@_POLICY_OPTION
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              metavar="结果工作簿", help="筛查结果（.xlsx）。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出核对数字。")
def screen(households_file, medical_files, education_files, traffic_files, fire_files, civil_files,
           industry_files, as_of, policy_file, output, as_json):
    """自上而下筛查：按身份证号把部门数据对应到监测户家庭成员，找出疑似防贫对象。"""
    from .screen import render_screen, screen_files

    files = {"medical": medical_files, "education": education_files, "traffic": traffic_files,
             "fire": fire_files, "civil": civil_files, "industry": industry_files}
    departments = [(key, path) for key, paths in files.items() for path in paths]
    if not departments:
        raise click.UsageError(
            "至少指定一个部门数据文件：--medical、--education、--traffic、--fire、--civil 或 --industry。")
    result = screen_files(households_file, departments, output, policy=policy_file, as_of=as_of)
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(render_screen(result), nl=False)
    raise click.exceptions.Exit(result.exit_code)


# -- fund ----------------------------------------------------------------------------------------

def _number_option(kind: str, what: str, example: str):
    """A click callback reading a number as a township cell is read ("125,000.50元", full-width digits)."""

    def parse(_ctx, _param, value):
        if value is None:
            return None
        from .workbook.coerce import coerce_column

        parsed = coerce_column([value], kind)
        if parsed.failed.iloc[0] or parsed.empty.iloc[0]:
            raise click.BadParameter(f"“{value}”不是{what}（例如 {example}）")
        number = parsed.values.iloc[0]
        return float(number) if kind == "money" else int(number)

    return parse


@cli.command()
@click.argument("county_file", type=click.Path(dir_okay=False, path_type=Path), metavar="县级工作簿")
@click.option("--previous", "previous_file", type=click.Path(dir_okay=False, path_type=Path), metavar="上年基金台账",
              help="上年用本命令生成的基金台账，从其“基金”表读取期末结余（和农村人口）。")
@click.option("--opening", callback=_number_option("money", "金额（元）", "125000.50"), metavar="金额",
              help="直接填写上年结余（元）；资金池第一年填 0。与 --previous 二选一。")
@click.option("--rural-population", "rural_population", metavar="人数",
              callback=_number_option("integer", "人数（整数）", "800000"),
              help="本年农村人口（人）；不填时沿用上年基金台账中的人数。")
@_POLICY_OPTION
@click.option("--year", type=int, metavar="年份",
              help="台账年度（默认：上年基金台账的年度加 1；没有 --previous 时取参数文件中的 year）。")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), metavar="基金台账",
              help="输出工作簿（.xlsx；默认：县级工作簿旁的“<县><年>年基金台账.xlsx”）。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出台账数字。")
def fund(county_file, previous_file, opening, rural_population, policy_file, year, output, as_json):
    """防贫救助资金池年度台账：保费、救助支出、服务费、县级补足、结余结转。

    \b
    保费 = 农村人口 × 投保比例（四舍五入到整人）× 每人保费，于 1 月 1 日计入；
    救助支出 = 县级工作簿“救助”表中支付日期在本年的救助金额之和；
    服务费 = 救助支出 × 服务费率（四舍五入到分）；余额不足时由县级财政补足到 0；
    期末结余结转下年（下一年用 --previous 读取）。金额按分精确计算。
    """
    from .fund_ledger import fund_ledger_file, render_fund

    result = fund_ledger_file(county_file, output, previous=previous_file, opening=opening,
                              rural_population=rural_population, policy=policy_file, year=year)
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(render_fund(result), nl=False)
    raise click.exceptions.Exit(result.exit_code)


# -- the ledgers: followup, notice, report ------------------------------------------------------

_WORKBOOK_ARGUMENT = click.argument("file", type=click.Path(dir_okay=False, path_type=Path), metavar="工作簿")


@cli.command()
@_WORKBOOK_ARGUMENT
@click.option("--as-of", "as_of", callback=_as_of_date, metavar="日期",
              help="统计基准日：统计该日所在年度中到该日为止的各季度（默认：工作簿的核查基准日）。")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), metavar="结果工作簿",
              help="回访登记（.xlsx；默认在工作簿旁，名为“<工作簿名>-回访登记.xlsx”）。")
@_POLICY_OPTION
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出统计数字。")
def followup(file, as_of, output, policy_file, as_json):
    """帮扶回访登记：按日历季度统计回访覆盖、本季度未回访、往季漏访、未解决问题和帮扶人负担。

    \b
    可用于乡镇工作簿，或 merge 生成的县级汇总工作簿（按乡镇、村、帮扶联系人分别统计）。
    每户每个季度至少回访一次：1 月 5 日的回访管第一季度，下次应不晚于 6 月 30 日。
    """
    from .ledgers.register import followup_file, render_followup

    result = followup_file(file, output, policy=policy_file, as_of=as_of)
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(render_followup(result), nl=False)
    raise click.exceptions.Exit(result.exit_code)


@cli.command()
@_WORKBOOK_ARGUMENT
@click.option("--township", metavar="乡镇", help="只生成该乡镇的公示名单。")
@click.option("--village", metavar="村", help="只生成该村的公示名单。")
@click.option("--start", callback=_as_of_date, metavar="日期",
              help="公示开始日期（默认：案件登记的公示开始日期，各案件不同时为今天）。")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), metavar="结果工作簿",
              help="公示名单（.xlsx；默认在工作簿旁，名为“<工作簿名>-公示名单.xlsx”）。")
@click.option("--pdf", is_flag=True, help="同时用 LibreOffice 打印为 PDF（未安装时提示，仍生成 .xlsx）。")
@_POLICY_OPTION
def notice(file, township, village, start, output, pdf, policy_file):
    """村级公示名单：每村一张可直接打印的公示表（A4），不含身份证号、电话、银行账号和健康信息。

    \b
    列出状态为“已查勘”或“公示中”、尚未备案的救助案件：户主姓名、村、救助类别、拟救助金额；
    公示期按参数表的公示天数（首尾两天都算），并写明异议受理单位、联系人、盖章和日期。
    """
    from .ledgers.notices import notice_file, render_notice

    result = notice_file(file, output, township=township, village=village, start=start,
                         policy=policy_file, pdf=pdf)
    click.echo(render_notice(result), nl=False)
    raise click.exceptions.Exit(result.exit_code)


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path), metavar="县级工作簿")
@click.option("--history", type=click.Path(dir_okay=False, path_type=Path), metavar="文件",
              help="本县历年数据（.xlsx 或 .csv）：年度、返贫户数、返贫人数、致贫户数、致贫人数。")
@click.option("--sqlite", type=click.Path(dir_okay=False, path_type=Path), metavar="文件",
              help="merge --sqlite 写出的历史数据库：补充各年度的监测户、已救助户和救助金额。")
@click.option("--fund", "fund_file", type=click.Path(dir_okay=False, path_type=Path), metavar="基金台账",
              help="fangpin-xl fund 生成的本年基金台账：列出基金期末结余。")
@click.option("--base-year", type=click.IntRange(1949, 2100), metavar="年份",
              help="计算减少比例的基年（默认：历年数据的第一年）。")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), metavar="结果工作簿",
              help="工作报告（.xlsx；默认在工作簿旁，名为“<工作簿名>-工作报告.xlsx”）。")
@_POLICY_OPTION
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出各项数字。")
def report(file, history, sqlite, fund_file, base_year, output, policy_file, as_json):
    """全县工作报告：一页 A4 的全县概况、分乡镇数字、历年返贫致贫与减少比例，含图表。

    \b
    读取 merge 生成的县级汇总工作簿（也可用于单个乡镇工作簿）。减少比例 = (基年 − 本年) ÷ 基年，
    保留两位小数；缺少年度或基年为 0 时在“说明”工作表列出，不计算该比例。
    """
    from .ledgers.report import render_report, report_file

    result = report_file(file, output, history=history, sqlite=sqlite, fund=fund_file, base_year=base_year,
                         policy=policy_file)
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(render_report(result), nl=False)
    raise click.exceptions.Exit(result.exit_code)


def _progress_bar():
    """A callback drawing ``读取 12/30 东代固乡.xlsx`` on stderr."""

    def progress(done: int, total: int, name: str) -> None:
        width = 30
        filled = width * done // max(total, 1)
        click.echo(f"\r读取 [{'#' * filled}{'.' * (width - filled)}] {done}/{total} {name[:30]:<30}",
                   err=True, nl=done == total)

    return progress


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
