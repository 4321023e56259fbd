"""Reading a CSV export (departments hand these over as often as workbooks).

The text is UTF-8 (with or without a byte-order mark), UTF-16 with its mark,
or GB18030 (what Excel and WPS on Chinese Windows save as "CSV"): UTF-8 is
tried first because a GB18030 reading of UTF-8 text rarely fails while the
reverse fails at once. The delimiter is a comma unless the first lines show
tabs or semicolons instead. Rows come back as lists of strings, exactly as the
cells of a sheet would be handed over, so the same header matching and
coercion apply ("5,000元", "2020.8.25").
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

from ..errors import os_reason
from .guard import DEFAULT_LIMITS, Limits, fail, human_size

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def decode_csv(data: bytes) -> tuple[str, str]:
    """(text, encoding name) of CSV bytes; ValueError when no supported encoding reads them."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(encoding), "UTF-8" if encoding == "utf-8-sig" else "UTF-16"
    for encoding, name in (("utf-8", "UTF-8"), ("gb18030", "GB18030")):
        try:
            return data.decode(encoding), name
        except UnicodeDecodeError:
            continue
    raise ValueError("unknown encoding")


def read_csv_rows(path, limits: Limits | None = None) -> list[list[str]]:
    """The rows of a CSV file, each a list of cell strings.

    Raises InputError (message naming the file) for a missing, empty,
    oversized, binary or undecodable file.
    """
    limits = limits or DEFAULT_LIMITS
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > limits.max_file_bytes:
            raise fail(path, f"文件过大（{human_size(size)}），超过上限 {human_size(limits.max_file_bytes)}，已拒绝读取")
        data = path.read_bytes()
    except FileNotFoundError:
        raise fail(path, "找不到文件") from None
    except IsADirectoryError:
        raise fail(path, "是文件夹，不是 CSV 文件") from None
    except PermissionError:
        raise fail(path, "没有读取权限（文件可能正被其他程序占用），请关闭 Excel/WPS 后重试") from None
    except OSError as exc:
        raise fail(path, f"无法打开文件，{os_reason(exc)}") from None
    if not data.strip():
        raise fail(path, "文件为空，没有表头和数据")
    if data.startswith(_ZIP_MAGIC) or data.startswith(_OLE_MAGIC):
        raise fail(path, "扩展名是 .csv，但内容是 Excel 工作簿：请把扩展名改为 .xlsx（或 .xls）后重试")
    if b"\x00" in data[:8192] and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise fail(path, "不是文本（CSV）文件，无法读取")
    try:
        text, _encoding = decode_csv(data)
    except ValueError:
        raise fail(path, "无法识别文件编码（应为 UTF-8 或 GB18030/GBK），请用 Excel 或 WPS 另存为 CSV UTF-8 后重试") from None
    sample = text[:8192]
    delimiter = ","
    if sample.count(",") == 0:
        for candidate in ("\t", ";"):
            if sample.count(candidate):
                delimiter = candidate
                break
    try:
        return [list(row) for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as exc:
        raise fail(path, f"CSV 格式有误，无法读取（{exc}）") from None
