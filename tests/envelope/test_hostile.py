"""Hostile and broken input is refused early, each with its own stable reason."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from envelope import EnvelopeError, HostileXml, MalformedEnvelope, NotEdxml, XmlLimits, parse
from envelope.safe_xml import parse_xml

HOSTILE = Path(__file__).parent / "hostile"
SAMPLES = Path(__file__).parents[1] / "samples"
NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"

CORPUS = {
    "billion_laughs.xml": "xml.entity_expansion_forbidden",
    "external_entity_file.xml": "xml.external_entity_forbidden",
    "external_entity_http.xml": "xml.external_entity_forbidden",
    "parameter_entity.xml": "xml.parameter_entity_forbidden",
    "external_dtd.xml": "xml.external_dtd_forbidden",
    "internal_dtd.xml": "xml.dtd_forbidden",
    "xinclude.xml": "xml.xinclude_forbidden",
    "garbage_before_declaration.xml": "xml.garbage_before_declaration",
    "not_edxml.xml": "envelope.not_edxml",
    "wrong_namespace.xml": "envelope.not_edxml",
}


def _refusal(data: bytes, limits: XmlLimits | None = None) -> EnvelopeError:
    with pytest.raises(EnvelopeError) as caught:
        parse(data) if limits is None else parse(data, limits)
    error = caught.value
    assert error.message and "\n" not in error.message
    return error


def test_the_corpus_on_disk_is_complete() -> None:
    assert sorted(path.name for path in HOSTILE.glob("*.xml")) == sorted(CORPUS)


@pytest.mark.parametrize(("name", "code"), sorted(CORPUS.items()))
def test_each_corpus_file_is_refused_with_its_reason(name: str, code: str) -> None:
    error = _refusal((HOSTILE / name).read_bytes())
    assert error.code == code


@pytest.mark.parametrize("name", [name for name, code in CORPUS.items() if code.startswith("xml.")])
def test_safe_xml_refuses_them_too_with_reason_and_message(name: str) -> None:
    with pytest.raises(HostileXml) as caught:
        parse_xml((HOSTILE / name).read_bytes())
    assert caught.value.reason == CORPUS[name]
    assert caught.value.message


def _quadratic_blowup(size: int = 50_000, uses: int = 50_000) -> bytes:
    entity = "A" * size
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE edXML [<!ENTITY a "{entity}">]>\n'
        f'<edXML xmlns="{NS}"><Subject>{"&a;" * uses}</Subject></edXML>'
    ).encode()


def test_quadratic_blowup_is_refused_without_a_memory_spike() -> None:
    data = _quadratic_blowup()
    tracemalloc.start()
    try:
        error = _refusal(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert error.code == "xml.entity_forbidden"
    # Expanded, this is 2.5 GB; refused on the bytes, it costs no more than a small window.
    assert peak < 1_000_000


def test_deep_nesting_is_refused() -> None:
    depth = 100_000
    data = f'<edXML xmlns="{NS}">'.encode() + b"<a>" * depth + b"</a>" * depth + b"</edXML>"
    assert _refusal(data).code == "xml.too_deep"


def test_nesting_just_over_our_own_limit_is_refused() -> None:
    limits = XmlLimits(max_depth=10)
    data = f'<edXML xmlns="{NS}">'.encode() + b"<a>" * 10 + b"</a>" * 10 + b"</edXML>"
    assert _refusal(data, limits).code == "xml.too_deep"
    shallow = f'<edXML xmlns="{NS}">'.encode() + b"<a>" * 9 + b"</a>" * 9 + b"</edXML>"
    assert parse_xml(shallow, limits) is not None


def test_document_over_the_size_limit_is_refused_before_parsing() -> None:
    data = (SAMPLES / "document-new-unsigned.edxml").read_bytes()
    assert _refusal(data, XmlLimits(max_document_bytes=1000)).code == "xml.too_large"


def test_text_over_the_text_limit_is_refused() -> None:
    big = b"A" * 5000
    data = f'<edXML xmlns="{NS}"><x>'.encode() + big + b"</x></edXML>"
    limits = XmlLimits(max_text_bytes=4000)
    assert _refusal(data, limits).code == "xml.text_too_large"
    assert parse_xml(data, XmlLimits(max_text_bytes=6000)) is not None


@pytest.mark.parametrize("cut", [10, 200, 1000, 2500, 4000, -30, -9, -1])
def test_truncated_files_are_refused_as_truncated(cut: int) -> None:
    data = (SAMPLES / "document-new-unsigned.edxml").read_bytes().rstrip()
    error = _refusal(data[:cut])
    assert isinstance(error, MalformedEnvelope)
    assert error.code == "envelope.truncated"


def test_empty_input_is_refused() -> None:
    assert _refusal(b"").code == "envelope.empty"
    assert _refusal(b"  \n ").code == "envelope.empty"


def test_broken_markup_is_malformed_and_names_the_line() -> None:
    data = f'<?xml version="1.0"?>\n<edXML xmlns="{NS}">\n<a><b></a>\n</edXML>'.encode()
    error = _refusal(data)
    assert error.code == "envelope.malformed"
    assert "line 3" in error.message


def test_undefined_entity_is_malformed() -> None:
    data = f'<edXML xmlns="{NS}"><a>&nope;</a></edXML>'.encode()
    assert _refusal(data).code == "envelope.malformed"


def test_utf16_is_refused() -> None:
    data = f'<?xml version="1.0" encoding="UTF-16"?><edXML xmlns="{NS}"/>'.encode("utf-16")
    assert _refusal(data).code == "xml.encoding_unsupported"


def test_non_edxml_xml_names_its_root() -> None:
    error = _refusal((HOSTILE / "not_edxml.xml").read_bytes())
    assert isinstance(error, NotEdxml)
    assert "Envelope" in error.message


def test_edxml_root_without_header_is_not_edxml() -> None:
    error = _refusal(f'<edXML xmlns="{NS}"><edXMLEnvelope/></edXML>'.encode())
    assert error.code == "envelope.not_edxml"
    assert "edXMLHeader" in error.message
