"""What the hardened parser tolerates, and that it leaves the tree as written."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from envelope.safe_xml import HostileXml, MalformedXml, parse_xml

SAMPLES = Path(__file__).parents[1] / "samples"


def test_the_tree_keeps_comments_blank_text_and_processing_instructions() -> None:
    data = b'<?xml version="1.0"?>\n<r>\n  <!-- kept -->\n  <?pi kept?>\n  <a> x </a>\n</r>'
    root = parse_xml(data)
    assert etree.tostring(root) == data.split(b"\n", 1)[1]


def test_canonical_form_is_unchanged_by_parsing() -> None:
    data = (SAMPLES / "document-new-unsigned.edxml").read_bytes()
    root = parse_xml(data)
    assert etree.tostring(root, method="c14n") == etree.tostring(
        etree.fromstring(data), method="c14n"
    )


def test_an_unbound_xlink_prefix_from_the_vendor_sdk_is_tolerated() -> None:
    data = b'<r><Reference xlink:href="cid:1" xlink:type="simple">x</Reference></r>'
    root = parse_xml(data)
    assert root[0].get("xlink:href") == "cid:1"


def test_tolerating_unbound_prefixes_does_not_hide_other_errors() -> None:
    with pytest.raises(MalformedXml) as caught:
        parse_xml(b'<r><a xlink:href="x"></b></r>')
    assert caught.value.reason == "xml.malformed"


def test_whitespace_before_the_declaration_is_tolerated() -> None:
    root = parse_xml(b' \r\n<?xml version="1.0" encoding="UTF-8"?><r/>')
    assert root.tag == "r"


def test_a_byte_order_mark_is_accepted() -> None:
    assert parse_xml(b'\xef\xbb\xbf<?xml version="1.0"?><r/>').tag == "r"


def test_hostile_xml_is_a_value_error_with_reason_and_message() -> None:
    with pytest.raises(ValueError) as caught:
        parse_xml(b"<!DOCTYPE r [<!ENTITY e 'x'>]><r>&e;</r>")
    error = caught.value
    assert isinstance(error, HostileXml)
    assert error.reason == "xml.entity_forbidden"
    assert error.message.endswith(".")


def test_a_doctype_string_inside_cdata_is_content_not_a_dtd() -> None:
    root = parse_xml(b"<r><![CDATA[<!DOCTYPE x [<!ENTITY a 'b'>]>]]></r>")
    assert root.text == "<!DOCTYPE x [<!ENTITY a 'b'>]>"


def test_xinclude_hidden_behind_character_references_is_still_found() -> None:
    data = b'<r xmlns:xi="http://www.w3.org/2001/X&#73;nclude"><xi:include href="/etc/passwd"/></r>'
    with pytest.raises(HostileXml) as caught:
        parse_xml(data)
    assert caught.value.reason == "xml.xinclude_forbidden"


def test_network_and_files_are_never_touched(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    data = f'<!DOCTYPE r [<!ENTITY s SYSTEM "{secret.as_uri()}">]><r>&s;</r>'.encode()
    with pytest.raises(HostileXml) as caught:
        parse_xml(data)
    assert caught.value.reason == "xml.external_entity_forbidden"
    assert "top secret" not in caught.value.message
