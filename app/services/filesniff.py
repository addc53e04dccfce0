"""Content sniffing of uploads: the bytes must really be the declared format (PDF, JPEG, PNG, OFD,
DOCX), end where that format ends, and carry nothing a browser would run as a page.

A leading magic number is not enough: an HTML/PDF polyglot starts with ``%PDF`` and is a web page
too. So each format is walked as far as is cheap (PNG chunks with their CRCs up to IEND and nothing
after it, JPEG from SOI to a final EOI, a PDF header with a trailer, an OFD/DOCX zip with its main
part), and any file whose bytes contain HTML or script markers is refused.
"""

from __future__ import annotations

import mmap
import re
import struct
import zipfile
import zlib
from pathlib import Path

# What makes a file a web page or a script to a browser, wherever it is in the file. Only markers of
# six bytes or more: shorter ones turn up by chance in compressed image data (a 20 MB JPEG has about
# one random "<svg" in it; a random "<script" is a 1-in-10^9 event).
ACTIVE_CONTENT = re.compile(
    rb"<(?:!doctype\s+html|html|head|body|script|iframe|object|embed|svg|meta|style)[\s>/]"
    rb"|javascript:|vbscript:",
    re.IGNORECASE,
)
# PDF actions that run code or other programs when the document is opened (long names only, as above).
PDF_ACTIONS = re.compile(rb"/(?:JavaScript|Launch|EmbeddedFile|RichMedia)\b")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png(data: mmap.mmap) -> str | None:
    if data[:8] != PNG_SIGNATURE:
        return "不是 PNG 文件"
    pos, first = 8, True
    while pos + 12 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if end > len(data):
            return "PNG 数据块被截断"
        if first and kind != b"IHDR":
            return "PNG 缺少文件头数据块"
        first = False
        (crc,) = struct.unpack(">I", data[end - 4 : end])
        if zlib.crc32(data[pos + 4 : pos + 8 + length]) != crc:
            return "PNG 数据块校验失败"
        pos = end
        if kind == b"IEND":
            return None if pos == len(data) else "PNG 结束后还有其他内容"
    return "PNG 缺少结束数据块"


def _jpeg(data: mmap.mmap) -> str | None:
    if data[:3] != b"\xff\xd8\xff":
        return "不是 JPEG 文件"
    if data[-2:] != b"\xff\xd9":
        return "JPEG 结束标记后还有其他内容，或文件不完整"
    return None


def _pdf(data: mmap.mmap) -> str | None:
    if re.match(rb"%PDF-[12]\.\d", data[:8]) is None:
        return "不是 PDF 文件"
    tail = data[-2048:]
    if b"%%EOF" not in tail or b"startxref" not in data[-4096:]:
        return "PDF 文件不完整（缺少文件尾）"
    if PDF_ACTIONS.search(data):
        return "PDF 含有脚本、启动程序或嵌入文件等动作，不予接收"
    return None


def _zip(path: Path, required: str, what: str) -> str | None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return f"不是有效的 {what} 文件"
    return None if required in names else f"不是有效的 {what} 文件（缺少 {required}）"


def sniff(path: Path, ext: str) -> str | None:
    """Why the file at PATH is not a safe file of format EXT (a Chinese message), or None."""
    size = path.stat().st_size
    if size == 0:
        return "文件为空"
    if ext in ("ofd", "docx"):
        required = "OFD.xml" if ext == "ofd" else "word/document.xml"
        return _zip(path, required, ext.upper())
    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        if ext == "png":
            problem = _png(data)
        elif ext in ("jpg", "jpeg"):
            problem = _jpeg(data)
        elif ext == "pdf":
            problem = _pdf(data)
        else:
            problem = f"不支持的格式 {ext}"
        if problem is None and ACTIVE_CONTENT.search(data):
            problem = "文件中含有网页或脚本内容，不予接收"
    return problem
