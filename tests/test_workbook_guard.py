"""The file guard: what a file really is, and zip bombs stopped before any reader."""

from __future__ import annotations

import shutil
import struct
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from fangpin_xl.errors import InputError
from fangpin_xl.workbook.guard import (
    DEFAULT_LIMITS,
    ENCRYPTED_MESSAGE,
    GiB,
    Limits,
    MiB,
    check_file,
    human_size,
    ole_stream_names,
)
from fangpin_xl.workbook.read import read_workbook

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
END, FREE, FATSECT, NOSTREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF


def write_cfb(path: Path, streams: list[str]) -> Path:
    """A minimal valid compound file (512-byte sectors) holding empty streams.

    Excel saves an encrypted .xlsx as such a container with the streams
    EncryptionInfo and EncryptedPackage; a .xls holds a Workbook stream.
    """
    entries = ["Root Entry", *streams]
    dir_sectors = (len(entries) + 3) // 4
    header = bytearray(512)
    header[0:8] = OLE_MAGIC
    struct.pack_into("<HHH", header, 0x18, 0x003E, 0x0003, 0xFFFE)
    struct.pack_into("<HH", header, 0x1E, 9, 6)
    struct.pack_into("<I", header, 0x2C, 1)  # one FAT sector
    struct.pack_into("<I", header, 0x30, 1)  # the directory starts at sector 1
    struct.pack_into("<I", header, 0x38, 4096)
    struct.pack_into("<II", header, 0x3C, END, 0)
    struct.pack_into("<II", header, 0x44, END, 0)
    struct.pack_into("<109I", header, 0x4C, 0, *([FREE] * 108))
    fat = [FATSECT] + [s + 1 for s in range(1, dir_sectors)] + [END]
    fat += [FREE] * (128 - len(fat))
    directory = bytearray(512 * dir_sectors)
    for i, name in enumerate(entries):
        raw = name.encode("utf-16-le") + b"\x00\x00"
        off = i * 128
        directory[off:off + len(raw)] = raw
        struct.pack_into("<HBB", directory, off + 0x40, len(raw), 5 if i == 0 else 2, 1)
        struct.pack_into("<III", directory, off + 0x44, NOSTREAM, NOSTREAM,
                         1 if i == 0 and len(entries) > 1 else NOSTREAM)
        struct.pack_into("<I", directory, off + 0x74, END)
    path.write_bytes(bytes(header) + struct.pack("<128I", *fat) + bytes(directory))
    return path


def make_xlsx(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "监测户"
    ws.append(["户编号", "乡镇", "村"])
    ws.append(["H001", "城关镇", "东村"])
    wb.save(path)
    return path


def make_bomb(path: Path, part_bytes: int, *, part: str = "xl/worksheets/sheet1.xml") -> Path:
    """A real workbook whose ``part`` is replaced by ``part_bytes`` of zeros (compressed)."""
    source = make_xlsx(path.with_name("source.xlsx"))
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename == part:
                with zout.open(part, "w", force_zip64=True) as fh:
                    chunk = b"0" * MiB
                    for _ in range(part_bytes // MiB):
                        fh.write(chunk)
            else:
                zout.writestr(info, zin.read(info))
    return path


def message(path, limits=None) -> str:
    with pytest.raises(InputError) as info:
        check_file(path, limits)
    return str(info.value)


# --- formats that are accepted ---------------------------------------------


def test_xlsx_and_xlsm(tmp_path):
    xlsx = make_xlsx(tmp_path / "乡镇.xlsx")
    assert check_file(xlsx) == "xlsx"
    xlsm = tmp_path / "乡镇.xlsm"
    shutil.copy(xlsx, xlsm)
    assert check_file(xlsm) == "xlsm"
    upper = tmp_path / "乡镇.XLSX"
    shutil.copy(xlsx, upper)
    assert check_file(upper) == "xlsx"


def test_ole_with_workbook_stream_is_xls_whatever_its_name(tmp_path):
    xls = write_cfb(tmp_path / "旧格式.xls", ["Workbook", "\x05SummaryInformation"])
    assert check_file(xls) == "xls"
    renamed = tmp_path / "改了扩展名.xlsx"
    shutil.copy(xls, renamed)
    assert check_file(renamed) == "xls"


def test_real_xls_from_libreoffice(tmp_path, soffice):
    xls = soffice(make_xlsx(tmp_path / "real.xlsx"), to="xls")
    assert check_file(xls) == "xls"
    assert "Workbook" in ole_stream_names(xls)


# --- what the file really is ----------------------------------------------


def test_not_found(tmp_path):
    assert message(tmp_path / "没有.xlsx") == "没有.xlsx：找不到文件"


def test_directory(tmp_path):
    folder = tmp_path / "文件夹.xlsx"
    folder.mkdir()
    assert message(folder) == "文件夹.xlsx：是文件夹，不是 Excel 工作簿"


def test_empty_file(tmp_path):
    empty = tmp_path / "空.xlsx"
    empty.write_bytes(b"")
    assert message(empty) == "空.xlsx：文件为空（0 字节），请重新保存或重新复制该工作簿"


@pytest.mark.parametrize("name, shown", [("数据.csv", "“.csv”"), ("数据.xlsb", "“.xlsb”"),
                                         ("数据", "（没有扩展名）")])
def test_unknown_extension(tmp_path, name, shown):
    path = tmp_path / name
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    assert message(path) == f"{name}：不支持的文件类型{shown}，请提交 .xlsx、.xlsm 或 .xls 工作簿"


CSV_MESSAGE = "不是 Excel 工作簿，看起来是文本（CSV）文件，请用 Excel 或 WPS 打开后另存为 .xlsx 工作簿再提交"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
def test_csv_renamed_to_xlsx(tmp_path, encoding):
    path = tmp_path / "导出.xlsx"
    path.write_text("户编号,乡镇,村\nH001,城关镇,东村\n", encoding=encoding)
    assert message(path) == f"导出.xlsx：{CSV_MESSAGE}"


def test_html_saved_as_xls(tmp_path):
    path = tmp_path / "系统导出.xls"
    path.write_text("<html><body><table><tr><td>户编号</td></tr></table></body></html>",
                    encoding="utf-8")
    assert message(path) == (
        "系统导出.xls：不是 Excel 工作簿，看起来是网页（HTML）或 XML 文件（有些系统导出的“Excel”其实是网页），"
        "请用 Excel 或 WPS 打开后另存为 .xlsx 工作簿再提交"
    )


def test_binary_junk(tmp_path):
    path = tmp_path / "乱码.xlsx"
    path.write_bytes(bytes(range(256)) * 4)
    assert message(path) == "乱码.xlsx：无法识别的文件内容，不是 Excel 工作簿"


def test_truncated_workbook(tmp_path):
    whole = make_xlsx(tmp_path / "whole.xlsx").read_bytes()
    cut = tmp_path / "没下载完.xlsx"
    cut.write_bytes(whole[: len(whole) // 2])
    assert message(cut) == "没下载完.xlsx：文件已损坏或不完整（可能没有下载或复制完整），请重新获取该工作簿"


def test_zip_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "压缩包.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "hello")
    assert message(path) == "压缩包.xlsx：不是 Excel 工作簿（是 ZIP 压缩包，但其中没有工作簿内容）"


def test_opendocument_renamed(tmp_path):
    path = tmp_path / "表格.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", "<x/>")
    assert message(path) == (
        "表格.xlsx：是 OpenDocument 表格（.ods 等），不是 Excel 工作簿，请用 Excel 或 WPS 打开后另存为 .xlsx 工作簿再提交"
    )


def test_lock_file(tmp_path):
    path = tmp_path / "~$乡镇.xlsx"
    path.write_bytes(b"\x06zhang  " + b"\x00" * 150)
    assert message(path) == (
        "~$乡镇.xlsx：是 Excel 或 WPS 打开工作簿时生成的临时锁定文件（~$ 开头），不是工作簿，请忽略或删除"
    )


# --- encrypted workbooks ----------------------------------------------------


def test_encrypted_ooxml(tmp_path):
    path = write_cfb(tmp_path / "加密.xlsx",
                     ["EncryptionInfo", "EncryptedPackage", "\x06DataSpaces", "Other"])
    assert ole_stream_names(path) == [
        "Root Entry", "EncryptionInfo", "EncryptedPackage", "\x06DataSpaces", "Other",
    ]
    assert message(path) == f"加密.xlsx：{ENCRYPTED_MESSAGE}"
    assert ENCRYPTED_MESSAGE == "文件已设置打开密码（加密），请另存为不加密的工作簿后再提交"


def test_encrypted_ooxml_named_xls(tmp_path):
    path = write_cfb(tmp_path / "加密.xls", ["EncryptionInfo", "EncryptedPackage"])
    assert message(path) == f"加密.xls：{ENCRYPTED_MESSAGE}"


def test_unreadable_ole_named_xlsx_counts_as_encrypted(tmp_path):
    path = tmp_path / "看不懂.xlsx"
    path.write_bytes(OLE_MAGIC + b"\x00" * 600)
    assert ole_stream_names(path) is None
    assert message(path) == f"看不懂.xlsx：{ENCRYPTED_MESSAGE}"


def test_word_document_named_xls(tmp_path):
    path = write_cfb(tmp_path / "通知.xls", ["WordDocument", "1Table"])
    assert message(path) == "通知.xls：是 Word 文档，不是 Excel 工作簿"


# --- size limits and zip bombs ----------------------------------------------


def test_default_limits():
    assert DEFAULT_LIMITS == Limits(
        max_file_bytes=512 * MiB, max_part_bytes=1 * GiB, max_total_bytes=2 * GiB,
        max_ratio=200.0, ratio_min_bytes=16 * MiB, max_members=20_000,
    )
    assert human_size(512 * MiB) == "512.0 MB"
    assert human_size(3 * GiB) == "3.0 GB"
    assert human_size(2048) == "2.0 KB"
    assert human_size(10) == "10 字节"


def test_file_too_large(tmp_path):
    path = make_xlsx(tmp_path / "大.xlsx")
    size = path.stat().st_size
    assert message(path, Limits(max_file_bytes=1024)) == (
        f"大.xlsx：文件过大（{human_size(size)}），超过上限 1.0 KB，已拒绝读取"
    )


def test_zip_bomb_part_declared_too_large(tmp_path):
    bomb = make_bomb(tmp_path / "炸弹.xlsx", 24 * MiB)
    assert bomb.stat().st_size < 1 * MiB  # 24 MB of zeros compress to a few dozen KB
    limits = Limits(max_part_bytes=16 * MiB)
    expected = (
        "炸弹.xlsx：工作簿中的部件“xl/worksheets/sheet1.xml”解压后声明为 24.0 MB，超过上限 16.0 MB，"
        "可能是恶意构造的压缩炸弹，已拒绝读取"
    )
    assert message(bomb, limits) == expected
    # The reader runs the guard before calamine ever opens the file.
    with pytest.raises(InputError) as info:
        read_workbook(bomb, limits=limits)
    assert str(info.value) == expected


def test_zip_bomb_compression_ratio(tmp_path):
    bomb = make_bomb(tmp_path / "炸弹.xlsx", 24 * MiB)
    ratio = zipfile.ZipFile(bomb).getinfo("xl/worksheets/sheet1.xml")
    shown = f"{ratio.file_size / ratio.compress_size:.0f}"
    assert message(bomb, Limits(ratio_min_bytes=8 * MiB)) == (
        f"炸弹.xlsx：工作簿中的部件“xl/worksheets/sheet1.xml”压缩比异常（{shown} 倍，上限 200 倍），"
        "可能是恶意构造的压缩炸弹，已拒绝读取"
    )


def test_zip_total_declared_too_large(tmp_path):
    bomb = make_bomb(tmp_path / "大包.xlsx", 8 * MiB)
    total = sum(i.file_size for i in zipfile.ZipFile(bomb).infolist())
    assert message(bomb, Limits(max_total_bytes=4 * MiB)) == (
        f"大包.xlsx：工作簿解压后总大小声明为 {human_size(total)}，超过上限 4.0 MB，已拒绝读取"
    )


def test_too_many_members(tmp_path):
    path = make_xlsx(tmp_path / "多.xlsx")
    count = len(zipfile.ZipFile(path).infolist())
    assert message(path, Limits(max_members=3)) == (
        f"多.xlsx：压缩包中的部件过多（{count} 个，上限 3），已拒绝读取"
    )


def test_ordinary_workbooks_pass_default_limits(tmp_path):
    bomb = make_bomb(tmp_path / "正常.xlsx", 8 * MiB)  # below ratio_min_bytes: not judged by ratio
    assert check_file(bomb) == "xlsx"


@pytest.mark.parametrize(("cell", "refused"), [("XFD1048576", True), ("ZZ100000", True), ("A1048576", False)])
def test_a_value_typed_far_away_is_refused_before_calamine_sizes_its_grid(tmp_path, cell, refused):
    path = tmp_path / "远处.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("监测户")
    ws.write_row(0, 0, ["户编号", "乡镇"])
    ws.write(cell, "x")
    wb.close()
    if refused:
        with pytest.raises(InputError) as err:
            check_file(path)
        assert str(err.value).startswith(f"远处.xlsx：某个工作表的使用区域从 A1 一直到 {cell}（约 ")
        assert f"多半是在很远的单元格（如 {cell}）误输入了内容或设置了格式" in str(err.value)
    else:
        assert check_file(path) == "xlsx"


def test_a_lying_dimension_does_not_hide_a_far_cell(tmp_path):
    source = tmp_path / "源.xlsx"
    wb = xlsxwriter.Workbook(str(source))
    ws = wb.add_worksheet("监测户")
    ws.write("A1", "户编号")
    ws.write("XFD1048576", "x")
    wb.close()
    target = tmp_path / "假尺寸.xlsx"
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b'<dimension ref="A1:XFD1048576"/>', b'<dimension ref="A1"/>')
            zout.writestr(info, data)
    with pytest.raises(InputError, match="一直到 XFD1048576"):
        check_file(target)


def test_an_os_error_is_explained_in_chinese(tmp_path):
    # A name longer than the file system allows: the system's error, never its English text.
    assert message(tmp_path / ("长" * 100 + ".xlsx")) == (
        f"{'长' * 100}.xlsx：无法打开文件，文件名或路径太长，请把文件移到短一些的文件夹中")
