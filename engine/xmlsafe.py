"""Safe XML parsing for uploaded BPMN/DMN files.

BPMN never needs a DTD, so any ``<!DOCTYPE ...>`` is refused — with or without an internal
subset, with or without an external DTD reference. This closes XXE (external entities reading
local files or URLs), entity-expansion bombs ("billion laughs") and DTD fetches.

Two layers:

1. A prolog scan *before* lxml sees the document: it skips the XML declaration, comments,
   processing instructions and whitespace and refuses a DOCTYPE there. The DTD is therefore
   never parsed at all, so no entity is declared, expanded or fetched.
2. The lxml parser itself is locked down (no entity resolution, no network, no DTD loading,
   no huge trees) and the parsed document is checked again for any doctype, in case the scan
   was fooled by an unusual encoding.

Errors: :class:`~engine.errors.UnsafeXmlError` (code ``bpmn_unsafe_xml``) and
:class:`~engine.errors.BpmnSyntaxError` (code ``bpmn_syntax``), both naming the file and line.
"""

from __future__ import annotations

import codecs
import re

from lxml import etree

from engine.errors import BpmnSyntaxError, UnsafeXmlError

__all__ = ["parse_xml", "make_parser"]


def make_parser() -> etree.XMLParser:
    """A fresh locked-down parser (lxml parsers are not thread-safe, so one per call)."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
        remove_pis=False,
    )


_XML_DECL_ENCODING = re.compile(r"^(\s*<\?xml[^>]*?\sencoding\s*=\s*)([\"'])[^\"']*\2", re.IGNORECASE)


def _prolog_text(data: bytes | str) -> str:
    """A str view of the document good enough to scan its ASCII markup."""
    if isinstance(data, str):
        return data
    for bom, enc in (
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if data.startswith(bom):
            return data[len(bom) :].decode(enc, errors="replace")
    # UTF-8, GBK, GB18030 ... are ASCII-compatible for the markup characters we look for.
    return data.decode("latin-1")


def _find_doctype(text: str) -> int | None:
    """Offset of a ``<!DOCTYPE`` in the prolog, or None. Stops at the first element."""
    i, n = 0, len(text)
    if text.startswith("\ufeff"):
        i = 1
    while i < n:
        ch = text[i]
        if ch in " \t\r\n":
            i += 1
            continue
        if text.startswith("<?", i):
            end = text.find("?>", i + 2)
            if end < 0:
                return None  # malformed; lxml will report it
            i = end + 2
            continue
        if text.startswith("<!--", i):
            end = text.find("-->", i + 4)
            if end < 0:
                return None
            i = end + 3
            continue
        if text.startswith("<!", i) and text[i + 2 : i + 9].upper() == "DOCTYPE":
            return i
        return None  # root element, text or garbage: no (well-formed) doctype can follow
    return None


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _unsafe(filename: str, line: int | None, what: str) -> UnsafeXmlError:
    where = f"{filename}, line {line}" if line else filename
    return UnsafeXmlError(
        f"{where}: {what} 不允许出现 DOCTYPE/DTD/实体声明 "
        f"(DOCTYPE declarations, DTDs and entity declarations are not allowed in BPMN files)",
        line=line,
    )


def parse_xml(data: bytes | str, filename: str) -> etree._ElementTree:
    """Parse ``data`` (the content of ``filename``) safely and return the element tree.

    Raises :class:`UnsafeXmlError` for any DOCTYPE and :class:`BpmnSyntaxError` for malformed XML.
    Never reads files or the network referenced by the document.
    """
    text = _prolog_text(data)
    pos = _find_doctype(text)
    if pos is not None:
        snippet = text[pos : pos + 200]
        what = "DOCTYPE with entity declarations" if "<!ENTITY" in snippet.upper() else "DOCTYPE declaration"
        raise _unsafe(filename, _line_of(text, pos), what + ";")

    if isinstance(data, str):
        # lxml refuses str input that carries an encoding declaration; the text is already
        # decoded, so re-encode as UTF-8 and say so.
        raw = _XML_DECL_ENCODING.sub(lambda m: f"{m.group(1)}{m.group(2)}UTF-8{m.group(2)}", data, count=1)
        raw_bytes = raw.encode("utf-8")
    else:
        raw_bytes = data

    try:
        root = etree.fromstring(raw_bytes, make_parser(), base_url=filename)  # noqa: S320 - locked-down parser
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (exc.lineno, None)
        msg = exc.msg or str(exc)
        # Strip lxml's own ", line X, column Y" suffix so the message does not repeat it.
        msg = re.sub(r",\s*line \d+, column \d+$", "", msg.strip())
        if "entit" in msg.lower() and "amplification" in msg.lower():
            raise _unsafe(filename, line, "entity expansion;") from None
        col = f", column {column}" if column else ""
        raise BpmnSyntaxError(
            f"{filename}, line {line}{col}: XML 格式错误 (malformed XML): {msg}", line=line
        ) from None
    except ValueError as exc:  # e.g. empty document / bad str input
        raise BpmnSyntaxError(f"{filename}: XML 格式错误 (malformed XML): {exc}", line=None) from None

    tree = root.getroottree()
    info = tree.docinfo
    if info.doctype or info.internalDTD is not None or info.system_url or info.public_id:
        raise _unsafe(filename, None, "DOCTYPE declaration;")
    return tree
