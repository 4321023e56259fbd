"""Checks a file before any reader touches it.

python-calamine aborts the whole Python process (a Rust allocation failure,
not an exception) when a zip member declares a huge uncompressed size, so the
zip central directory is checked here first; this is the only protection.
The same pass recognises what the file really is — CSV or web pages saved
as .xls/.xlsx, encrypted workbooks (an OLE container, whatever the name),
truncated downloads, Excel's ~$ lock files — and says so in Chinese.
"""

from __future__ import annotations

import codecs
import re
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from zlib import error as zlib_error

from ..errors import InputError, os_reason
from ..text import shown_path

MiB = 1024 * 1024
GiB = 1024 * MiB

#: Extension → the format a reader should expect.
EXTENSIONS = {".xlsx": "xlsx", ".xlsm": "xlsm", ".xls": "xls"}

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

ENCRYPTED_MESSAGE = "文件已设置打开密码（加密），请另存为不加密的工作簿后再提交"
CORRUPT_MESSAGE = "文件已损坏或不完整（可能没有下载或复制完整），请重新获取该工作簿"
RESAVE_HINT = "请用 Excel 或 WPS 打开后另存为 .xlsx 工作簿再提交"


@dataclass(frozen=True)
class Limits:
    """Size limits for one input file (county settings; the defaults suit real workbooks)."""

    #: The file itself.
    max_file_bytes: int = 512 * MiB
    #: One zip member, uncompressed, as the zip directory declares it.
    max_part_bytes: int = 1 * GiB
    #: All zip members together, uncompressed.
    max_total_bytes: int = 2 * GiB
    #: Largest compression ratio allowed for a member of at least ``ratio_min_bytes``.
    #: Real worksheets compress 5–20 times; zip bombs a thousand times.
    max_ratio: float = 200.0
    ratio_min_bytes: int = 16 * MiB
    #: Number of zip members.
    max_members: int = 20_000
    #: Cells in one sheet's used range (first to last filled row × column). calamine
    #: allocates the whole range: one value typed at XFD1048576 would ask for 17 billion.
    max_sheet_cells: int = 60_000_000
    #: Sheets up to this size (uncompressed XML) are scanned cell by cell for their
    #: extent; larger ones are judged by their <dimension> (every real writer sets it).
    scan_sheet_bytes: int = 16 * MiB


DEFAULT_LIMITS = Limits()


def fail(path: Path | str, reason: str) -> InputError:
    """An InputError whose message names the file: ``名称.xlsx：reason``."""
    return InputError(f"{shown_path(Path(path).name)}：{reason}")


def human_size(n: int) -> str:
    if n >= GiB:
        return f"{n / GiB:.1f} GB"
    if n >= MiB:
        return f"{n / MiB:.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n} 字节"


def check_file(path, limits: Limits | None = None) -> str:
    """Check ``path`` and return its real format: "xlsx", "xlsm" or "xls".

    The format follows the content, not the name: a real .xls renamed to
    .xlsx is "xls" (and readable). Raises InputError with a Chinese message
    naming the file for anything no reader should be given.
    """
    limits = limits or DEFAULT_LIMITS
    path = Path(path)
    name = path.name
    if name.startswith("~$"):
        raise fail(path, "是 Excel 或 WPS 打开工作簿时生成的临时锁定文件（~$ 开头），不是工作簿，请忽略或删除")
    try:
        if not path.exists():
            raise fail(path, "找不到文件")
        if path.is_dir():
            raise fail(path, "是文件夹，不是 Excel 工作簿")
        ext = path.suffix.lower()
        if ext not in EXTENSIONS:
            shown = f"“{path.suffix}”" if path.suffix else "（没有扩展名）"
            raise fail(path, f"不支持的文件类型{shown}，请提交 .xlsx、.xlsm 或 .xls 工作簿")
        size = path.stat().st_size
        if size == 0:
            raise fail(path, "文件为空（0 字节），请重新保存或重新复制该工作簿")
        if size > limits.max_file_bytes:
            raise fail(
                path,
                f"文件过大（{human_size(size)}），超过上限 {human_size(limits.max_file_bytes)}，已拒绝读取",
            )
        with open(path, "rb") as fh:
            head = fh.read(8192)
    except PermissionError:
        raise fail(path, "没有读取权限（文件可能正被其他程序占用），请关闭 Excel/WPS 后重试") from None
    except OSError as exc:
        raise fail(path, f"无法打开文件，{os_reason(exc)}") from None

    if head.startswith(_ZIP_MAGIC):
        _check_zip(path, limits)
        return "xlsm" if ext == ".xlsm" else "xlsx"
    if head.startswith(_OLE_MAGIC):
        return _check_ole(path, ext)
    raise fail(path, _describe_other(head))


# --- zip (xlsx / xlsm) ------------------------------------------------------


def _check_zip(path: Path, limits: Limits) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError,
            NotImplementedError, struct.error):
        raise fail(path, CORRUPT_MESSAGE) from None
    if len(infos) > limits.max_members:
        raise fail(path, f"压缩包中的部件过多（{len(infos)} 个，上限 {limits.max_members}），已拒绝读取")
    total = 0
    for info in infos:
        part = info.filename
        if info.file_size > limits.max_part_bytes:
            raise fail(
                path,
                f"工作簿中的部件“{part}”解压后声明为 {human_size(info.file_size)}，"
                f"超过上限 {human_size(limits.max_part_bytes)}，可能是恶意构造的压缩炸弹，已拒绝读取",
            )
        if info.file_size >= limits.ratio_min_bytes:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_ratio:
                raise fail(
                    path,
                    f"工作簿中的部件“{part}”压缩比异常（{ratio:.0f} 倍，上限 {limits.max_ratio:.0f} 倍），"
                    "可能是恶意构造的压缩炸弹，已拒绝读取",
                )
        total += info.file_size
    if total > limits.max_total_bytes:
        raise fail(
            path,
            f"工作簿解压后总大小声明为 {human_size(total)}，超过上限 {human_size(limits.max_total_bytes)}，已拒绝读取",
        )
    names = {i.filename.replace("\\", "/").lstrip("/").lower() for i in infos}
    if "[content_types].xml" not in names:
        if "mimetype" in names:
            raise fail(path, f"是 OpenDocument 表格（.ods 等），不是 Excel 工作簿，{RESAVE_HINT}")
        raise fail(path, "不是 Excel 工作簿（是 ZIP 压缩包，但其中没有工作簿内容）")
    _check_extent(path, infos, limits)


_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]{1,3})([0-9]{1,7})(?::([A-Z]{1,3})([0-9]{1,7}))?"')
_ROW_REF = re.compile(rb'\sr="[A-Z]{0,3}([0-9]{1,7})"')
_COLUMN_REF = re.compile(rb'\sr="([A-Z]{1,3})[0-9]{1,7}"')


def _check_extent(path: Path, infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    """Refuse a sheet whose used range is absurdly large, before calamine allocates it."""
    sheets = [i for i in infos if "worksheets/" in i.filename.replace("\\", "/").lower()
              and i.filename.lower().endswith(".xml")]
    if not sheets:
        return
    try:
        with zipfile.ZipFile(path) as zf:
            for info in sheets:
                extent = _extent(zf, info, info.file_size <= limits.scan_sheet_bytes)
                if extent is None:
                    continue
                (top, left), (bottom, right) = extent
                cells = (bottom - top + 1) * (right - left + 1)
                if cells > limits.max_sheet_cells:
                    last = f"{_letters(right)}{bottom}"
                    raise fail(path, (
                        f"某个工作表的使用区域从 {_letters(left)}{top} 一直到 {last}（约 {cells:,} 个单元格），"
                        f"远超正常工作表，已拒绝读取：多半是在很远的单元格（如 {last}）误输入了内容或设置了格式。"
                        "请在 Excel 或 WPS 中删除多余的行和列后保存，再重新提交"
                    ))
    except (zipfile.BadZipFile, OSError, EOFError, zlib_error, NotImplementedError):
        raise fail(path, CORRUPT_MESSAGE) from None


def _extent(zf: zipfile.ZipFile, info: zipfile.ZipInfo, scan: bool) -> tuple | None:
    """((first row, first column), (last row, last column)), 1-based; None if unknown."""
    top = left = 1 << 30
    bottom = right = 0
    with zf.open(info) as fh:
        data = fh.read(64 * 1024)
        if not scan:
            match = _DIMENSION.search(data)
            if match is not None:
                a, r1, b, r2 = match.groups()
                b, r2 = (b, r2) if b else (a, r1)
                return ((int(r1), _column(a)), (int(r2), _column(b)))
        while data:
            more = fh.read(1024 * 1024)
            # Scan up to the last tag start: a reference cut in two is scanned with the next chunk.
            cut = data.rfind(b"<") if more else len(data)
            cut = cut if cut > 0 else len(data)
            # Rows as numbers in one C-level pass (min and max of them); columns by their
            # distinct letters (a sheet has a few dozen), not a Python step per cell.
            rows = list(map(int, _ROW_REF.findall(data, 0, cut)))
            if rows:
                top, bottom = min(top, min(rows)), max(bottom, max(rows))
            columns = [_column(letters) for letters in set(_COLUMN_REF.findall(data, 0, cut))]
            if columns:
                left, right = min(left, min(columns)), max(right, max(columns))
            data = data[cut:] + more
    if not bottom:
        return None
    if not right:
        left = right = 1
    return ((top, left), (bottom, right))


def _column(letters: bytes) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + ch - 64
    return number


def _letters(number: int) -> str:
    out = ""
    while number:
        number, rem = divmod(number - 1, 26)
        out = chr(65 + rem) + out
    return out


# --- OLE / CFB (xls, encrypted OOXML) -------------------------------------


def _check_ole(path: Path, ext: str) -> str:
    names = ole_stream_names(path)
    if names is None:
        # The directory could not be read. An OLE file named .xlsx is almost
        # always an encrypted workbook (Excel wraps those in OLE).
        if ext in (".xlsx", ".xlsm"):
            raise fail(path, ENCRYPTED_MESSAGE)
        return "xls"
    lower = {n.lower() for n in names}
    if "encryptioninfo" in lower or "encryptedpackage" in lower:
        raise fail(path, ENCRYPTED_MESSAGE)
    if "workbook" in lower or "book" in lower:
        return "xls"
    if "worddocument" in lower:
        raise fail(path, "是 Word 文档，不是 Excel 工作簿")
    if "powerpoint document" in lower:
        raise fail(path, "是 PowerPoint 演示文稿，不是 Excel 工作簿")
    if ext in (".xlsx", ".xlsm"):
        raise fail(path, ENCRYPTED_MESSAGE)
    raise fail(path, "不是 Excel 工作簿（是其他 Office 旧格式文件）")


_FREE, _END = 0xFFFFFFFF, 0xFFFFFFFE
_MAX_REGULAR = 0xFFFFFFFA


def ole_stream_names(path) -> list[str] | None:
    """Names of the entries in an OLE compound file's directory, or None if unreadable.

    A minimal reader of the compound file format (MS-CFB): only what is
    needed to find the directory sectors. It never trusts a count it has
    not bounded by the file size.
    """
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    if len(data) < 512 or not data.startswith(_OLE_MAGIC):
        return None
    try:
        shift = struct.unpack_from("<H", data, 0x1E)[0]
        if shift not in (9, 12):
            return None
        size = 1 << shift
        n_sectors = (len(data) - 512 + size - 1) // size
        first_dir, = struct.unpack_from("<I", data, 0x30)
        first_difat, n_difat = struct.unpack_from("<II", data, 0x44)
        difat = list(struct.unpack_from("<109I", data, 0x4C))

        def sector(i: int) -> bytes:
            if i > _MAX_REGULAR or i >= n_sectors:
                raise ValueError("sector out of range")
            start = (i + 1) * size
            return data[start:start + size]

        per = size // 4
        next_difat = first_difat
        for _ in range(min(n_difat, n_sectors)):
            if next_difat > _MAX_REGULAR:
                break
            entries = struct.unpack(f"<{per}I", sector(next_difat).ljust(size, b"\xff"))
            difat.extend(entries[:-1])
            next_difat = entries[-1]
        fat: list[int] = []
        for s in difat:
            if s > _MAX_REGULAR:
                continue
            fat.extend(struct.unpack(f"<{per}I", sector(s).ljust(size, b"\xff")))
        names = []
        current, seen = first_dir, set[int]()
        while current <= _MAX_REGULAR and current not in seen and len(seen) < n_sectors:
            seen.add(current)
            block = sector(current)
            for off in range(0, len(block) - 127, 128):
                length, kind = struct.unpack_from("<HB", block, off + 0x40)
                if kind in (1, 2, 5) and 2 <= length <= 64:
                    names.append(block[off:off + length - 2].decode("utf-16-le", "replace"))
            current = fat[current] if current < len(fat) else _END
        return names or None
    except (struct.error, ValueError):
        return None


# --- anything else --------------------------------------------------------


def _describe_other(head: bytes) -> str:
    text = _as_text(head)
    if text is None:
        return "无法识别的文件内容，不是 Excel 工作簿"
    if text.lstrip().startswith("<"):
        return f"不是 Excel 工作簿，看起来是网页（HTML）或 XML 文件（有些系统导出的“Excel”其实是网页），{RESAVE_HINT}"
    return f"不是 Excel 工作簿，看起来是文本（CSV）文件，{RESAVE_HINT}"


def _as_text(head: bytes) -> str | None:
    """The start of the file as text, if it is text in a usual encoding."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                          (codecs.BOM_UTF16_BE, "utf-16-be")):
        if head.startswith(bom):
            return codecs.getincrementaldecoder(encoding)("replace").decode(head[len(bom):])
    if b"\x00" in head:
        return None
    for encoding in ("utf-8", "gb18030"):
        try:
            text = codecs.getincrementaldecoder(encoding)("strict").decode(head, final=False)
        except UnicodeDecodeError:
            continue
        if all(ch.isprintable() or ch in "\r\n\t" for ch in text):
            return text
    return None
