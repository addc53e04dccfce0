"""Safe XML parsing: DTDs/entities are refused before they are processed, syntax errors are precise."""

import time
from pathlib import Path

import pytest

from engine.errors import BpmnSyntaxError, EngineError, UnsafeXmlError
from engine.xmlsafe import parse_xml

BENCH_BPMN = Path("/work/shared/bench/approval.bpmn")
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"


def xxe_doc(target: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE definitions [
  <!ENTITY xxe SYSTEM "{target}">
]>
<bpmn:definitions xmlns:bpmn="{BPMN_NS}" id="d">
  <bpmn:process id="p"><bpmn:documentation>&xxe;</bpmn:documentation></bpmn:process>
</bpmn:definitions>
""".encode()


def test_clean_bpmn_parses():
    tree = parse_xml(BENCH_BPMN.read_bytes(), "approval.bpmn")
    root = tree.getroot()
    assert root.tag == f"{{{BPMN_NS}}}definitions"
    assert root.find(f"{{{BPMN_NS}}}process").get("id") == "Process_approval"
    assert tree.docinfo.URL == "approval.bpmn"


def test_clean_bpmn_parses_from_str_with_encoding_declaration():
    text = BENCH_BPMN.read_text(encoding="utf-8")
    assert 'encoding="UTF-8"' in text
    tree = parse_xml(text, "approval.bpmn")
    assert tree.getroot().find(f"{{{BPMN_NS}}}process") is not None


def test_chinese_names_survive_str_input():
    tree = parse_xml(f'<?xml version="1.0" encoding="GBK"?>\n<a xmlns="{BPMN_NS}" name="受理"/>', "zh.bpmn")
    assert tree.getroot().get("name") == "受理"


def test_xxe_file_entity_is_refused_with_file_and_line(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    with pytest.raises(UnsafeXmlError) as info:
        parse_xml(xxe_doc(secret.as_uri()), "evil.bpmn")
    err = info.value
    assert err.code == "bpmn_unsafe_xml"
    assert err.line == 2
    assert "evil.bpmn" in str(err) and "line 2" in str(err)
    assert "entity" in str(err).lower()
    assert "TOP-SECRET" not in str(err)


def test_xxe_etc_passwd_is_refused():
    with pytest.raises(UnsafeXmlError):
        parse_xml(xxe_doc("file:///etc/passwd"), "evil.bpmn")


def test_xxe_never_reads_the_referenced_file(tmp_path):
    # A FIFO blocks any reader until a writer appears: if the parser tried to read it, this test
    # would hang instead of failing fast.
    import os

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    start = time.perf_counter()
    with pytest.raises(UnsafeXmlError):
        parse_xml(xxe_doc(fifo.as_uri()), "evil.bpmn")
    assert time.perf_counter() - start < 1


def test_external_dtd_reference_is_refused():
    doc = b"""<?xml version="1.0"?>
<!-- a comment before the doctype -->
<!DOCTYPE definitions SYSTEM "http://attacker.invalid/evil.dtd">
<definitions/>"""
    with pytest.raises(UnsafeXmlError) as info:
        parse_xml(doc, "ext.bpmn")
    assert info.value.line == 3
    assert "ext.bpmn" in str(info.value)


def test_public_doctype_without_entities_is_refused():
    doc = b'<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "x.dtd"><html/>'
    with pytest.raises(UnsafeXmlError):
        parse_xml(doc, "pub.bpmn")


def test_billion_laughs_is_refused_fast():
    entities = ['<!ENTITY lol "lol">']
    for i in range(1, 10):
        prev = "lol" if i == 1 else f"lol{i - 1}"
        entities.append(f'<!ENTITY lol{i} "{("&" + prev + ";") * 10}">')
    doc = (
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n' + "\n".join(entities) + "\n]>\n<lolz>&lol9;</lolz>"
    ).encode()
    start = time.perf_counter()
    with pytest.raises(UnsafeXmlError):
        parse_xml(doc, "bomb.bpmn")
    assert time.perf_counter() - start < 0.1


def test_utf16_doctype_is_refused():
    doc = '<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE d [<!ENTITY e "x">]>\n<d>&e;</d>'.encode(
        "utf-16"
    )
    with pytest.raises(UnsafeXmlError):
        parse_xml(doc, "u16.bpmn")


def test_doctype_text_inside_a_comment_is_not_a_doctype():
    tree = parse_xml(b"<a><!-- <!DOCTYPE x> is just text here --></a>", "c.bpmn")
    assert tree.getroot().tag == "a"


def test_malformed_xml_reports_file_line_and_column():
    doc = b"""<?xml version="1.0"?>
<definitions>
  <process id="p">
    <task id="t">
  </process>
</definitions>"""
    with pytest.raises(BpmnSyntaxError) as info:
        parse_xml(doc, "broken.bpmn")
    err = info.value
    assert err.code == "bpmn_syntax"
    assert err.line == 5
    assert "broken.bpmn" in str(err) and "line 5" in str(err) and "column" in str(err)
    assert isinstance(err, EngineError)


def test_empty_document_is_a_syntax_error():
    with pytest.raises(BpmnSyntaxError):
        parse_xml(b"", "empty.bpmn")


def test_syntax_error_is_not_an_lxml_exception():
    from lxml import etree

    with pytest.raises(BpmnSyntaxError) as info:
        parse_xml("<a>", "x.bpmn")
    assert not isinstance(info.value, etree.XMLSyntaxError)
