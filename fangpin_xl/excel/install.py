"""What a county needs to put fangpin-xl into Excel: the settings, the VBA module, a self-test.

``fangpin-xl excel`` is the face of this module. Nothing here imports xlwings
until the self-test runs, so the CLI stays quick.

The xlwings settings file (``~/.xlwings/xlwings.conf``, read by the xlwings
add-in) has one setting per line, ``"KEY","VALUE"``. Installing changes only
the two keys fangpin-xl needs and keeps every other line.
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
import locale
import sys
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError, os_reason
from ..files import atomic_output

UDF_MODULE = "fangpin_xl.excel.udfs"
SCRIPT_MODULE = "fangpin_xl.excel.scripts"
BAS_NAME = "fangpin.bas"
CONF_NAME = "xlwings.conf"
#: The buttons of macros/fangpin.bas: macro name → button caption.
BUTTONS = {"FangpinCheck": "校验本工作簿", "FangpinNotice": "生成公示名单", "FangpinRefresh": "刷新计算列"}


def user_conf_path() -> Path:
    return Path.home() / ".xlwings" / CONF_NAME


def settings(interpreter: str | None = None) -> dict[str, str]:
    """The xlwings settings fangpin-xl needs: this Python, and the functions module."""
    return {"INTERPRETER_WIN": interpreter or sys.executable, "UDF MODULES": UDF_MODULE}


def conf_text(values: dict[str, str]) -> str:
    return "".join(f'"{key}","{value}"\n' for key, value in values.items())


def conf_encoding() -> str:
    """The encoding xlwings reads its settings file in: on Windows the ANSI code page (GBK on
    Chinese Windows), as the add-in's VBA (``Open … For Input``) and xlwings' own Python
    (``open`` without an encoding) read it; a UTF-8 file turns a Chinese folder in the Python
    path into garbage there (xlwings issue #1620). UTF-8 elsewhere."""
    return locale.getencoding() if sys.platform == "win32" else "utf-8"


def write_conf(path: Path, values: dict[str, str]) -> Path:
    encoding = conf_encoding()
    try:
        data = conf_text(values).encode(encoding)
    except UnicodeEncodeError as exc:
        raise InputError(f"xlwings 设置中的“{exc.object[exc.start:exc.end]}”无法按本机编码（{encoding}）"
                         "保存，xlwings 读不了：请把 Python 装在路径只含英文字母、数字的文件夹中。") from None
    with atomic_output(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def read_conf(path: Path) -> dict[str, str]:
    """The settings of an xlwings.conf file ({} when there is none)."""
    if not path.exists():
        return {}
    encoding = conf_encoding()
    try:
        text = path.read_text(encoding="utf-8-sig" if encoding == "utf-8" else encoding)
    except OSError as exc:
        raise InputError(f"无法读取 xlwings 设置文件 {path}：{os_reason(exc)}。") from None
    except UnicodeDecodeError:
        name = "UTF-8" if encoding == "utf-8" else "ANSI"
        raise InputError(f"无法读取 xlwings 设置文件 {path}：不是 {name} 编码的文本，"
                         f"请用记事本打开后另存为 {name} 编码。") from None
    out = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        parts = [p.strip().strip('"') for p in line.split('","', 1)]
        if len(parts) != 2:
            raise InputError(f"xlwings 设置文件 {path} 第 {number} 行格式不对（应为 \"键\",\"值\"）：{line}")
        out[parts[0].upper()] = parts[1]
    return out


def install_conf(path: Path | None = None, *, interpreter: str | None = None) -> tuple[Path, dict[str, str]]:
    """Set fangpin-xl's keys in the xlwings settings file; return it and what changed (old → new)."""
    path = path or user_conf_path()
    current = read_conf(path)
    wanted = settings(interpreter)
    changed = {key: value for key, value in wanted.items() if current.get(key) != value}
    if changed:
        write_conf(path, {**current, **wanted})
    return path, changed


def bas_text() -> bytes:
    """The VBA module of the buttons (ASCII, CRLF, as the VBA editor imports it)."""
    return importlib.resources.files("fangpin_xl").joinpath("data", BAS_NAME).read_bytes()


def write_macros(out_dir: Path) -> list[Path]:
    """The VBA module and an example settings file, for importing by hand."""
    out_dir = Path(out_dir)
    bas = out_dir / BAS_NAME
    with atomic_output(bas) as tmp:
        tmp.write_bytes(bas_text())
    conf = write_conf(out_dir / CONF_NAME, settings())
    return [bas, conf]


@dataclass(frozen=True)
class Step:
    name: str
    ok: bool
    detail: str


def self_test() -> list[Step]:
    """Import the functions and scripts as Excel would, and run a few through the core."""
    steps: list[Step] = []

    def step(name: str, action) -> None:
        try:
            steps.append(Step(name, True, str(action())))
        except Exception as exc:  # noqa: BLE001 - every failure is reported, in Chinese
            steps.append(Step(name, False, f"{type(exc).__name__}: {exc}"))

    def functions() -> str:
        import importlib

        udfs = importlib.import_module(UDF_MODULE)
        names = sorted(n for n in dir(udfs) if n.startswith("FP_"))
        return f"{len(names)} 个函数（{'、'.join(names[:4])} 等）"

    def status() -> str:
        import importlib

        udfs = importlib.import_module(UDF_MODULE)
        result = udfs.FP_STATUS("边缘易致贫户", "5,000元", 20000, None, None, None, 2020)
        if result != "符合":
            raise AssertionError(f"FP_STATUS 应为“符合”，得到 {result!r}")
        return "FP_STATUS(边缘易致贫户, “5,000元”, 20000) = 符合"

    def deadline() -> str:
        import importlib

        udfs = importlib.import_module(UDF_MODULE)
        result = udfs.FP_DEADLINE(dt.datetime(2020, 4, 29), None, None)
        if result != dt.date(2020, 5, 22):
            raise AssertionError(f"FP_DEADLINE 应为 2020-05-22，得到 {result!r}")
        return "FP_DEADLINE(2020-04-29) = 2020-05-22"

    def scripts() -> str:
        import importlib

        module = importlib.import_module(SCRIPT_MODULE)
        return "、".join(sorted(module._SCRIPTS))

    step("导入 Excel 函数模块 " + UDF_MODULE, functions)
    step("资格判定", status)
    step("办结时限（工作日）", deadline)
    step("导入按钮脚本模块 " + SCRIPT_MODULE, scripts)
    return steps
