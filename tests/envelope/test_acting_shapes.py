"""Revocations, updates and replacements in every shape agencies' systems send (issue #14)."""

from __future__ import annotations

from pathlib import Path

import pytest

from envelope import BusinessDocType, Document, parse_valid

SAMPLES = Path(__file__).parents[1] / "samples"
ORIGINAL = "000.00.00.G22,2026/11/20,1234/VPCP-KSTT"
SECOND = "000.00.00.G22,2026/11/20,1235/VPCP-KSTT"
BOTH = ("000.00.00.H41", "000.00.00.H53")
MH = "/edXML/edXMLEnvelope/edXMLHeader/MessageHeader"
BUSINESS = "/edXML/edXMLEnvelope/edXMLHeader/TraceHeaderList/Bussiness"


def _read(name: str) -> Document:
    message = parse_valid((SAMPLES / name).read_bytes())
    assert isinstance(message, Document)
    return message


@pytest.mark.parametrize(
    ("name", "doc_type", "acted", "named_in", "repeats"),
    [
        ("document-revocation-unsigned.edxml", BusinessDocType.REVOCATION,
         [(ORIGINAL, ())], f"{MH}/DocumentId", True),
        ("document-revocation-named-unsigned.edxml", BusinessDocType.REVOCATION,
         [(ORIGINAL, ())], f"{BUSINESS}/DocumentId", False),
        ("document-update-unsigned.edxml", BusinessDocType.UPDATE,
         [(ORIGINAL, ())], f"{BUSINESS}/DocumentId", False),
        ("document-update-repeating-unsigned.edxml", BusinessDocType.UPDATE,
         [(ORIGINAL, ())], f"{MH}/DocumentId", True),
        ("document-replacement-unsigned.edxml", BusinessDocType.REPLACEMENT,
         [(ORIGINAL, BOTH)], f"{BUSINESS}/ReplacementInfoList/ReplacementInfo/DocumentId", False),
        ("document-replacement-two-unsigned.edxml", BusinessDocType.REPLACEMENT,
         [(ORIGINAL, BOTH), (SECOND, ("000.00.00.H41",))],
         f"{BUSINESS}/ReplacementInfoList/ReplacementInfo/DocumentId", False),
    ],
)  # fmt: skip
def test_every_shape_names_what_it_acts_on(
    name: str,
    doc_type: BusinessDocType,
    acted: list[tuple[str, tuple[str, ...]]],
    named_in: str,
    repeats: bool,
) -> None:
    document = _read(name)
    assert document.business_type is doc_type
    assert [(a.document_id, a.organ_ids) for a in document.acts_on] == acted
    assert {a.named_in for a in document.acts_on} == {named_in}
    assert document.repeats_acted_on is repeats


def test_a_new_document_acts_on_nothing() -> None:
    document = _read("document-new-unsigned.edxml")
    assert document.acts_on == ()
    assert not document.repeats_acted_on


def test_an_update_carries_what_changed_and_for_whom() -> None:
    business = _read("document-update-unsigned.edxml").business
    assert business is not None and business.document_info is not None
    assert business.document_info.document_info == "DueDate"
    assert [r.organ_id for r in business.document_info.receivers] == list(BOTH)


def test_bussiness_document_id_wins_over_the_replacement_list() -> None:
    data = (SAMPLES / "document-replacement-unsigned.edxml").read_bytes()
    named = data.replace(
        b"<edXML:Paper>", f"<edXML:DocumentId>{ORIGINAL}</edXML:DocumentId><edXML:Paper>".encode()
    )
    document = parse_valid(named)
    assert isinstance(document, Document)
    assert [(a.document_id, a.organ_ids) for a in document.acts_on] == [(ORIGINAL, BOTH)]
    assert document.acts_on[0].named_in == f"{BUSINESS}/DocumentId"


def test_shapes_do_not_depend_on_the_prefix() -> None:
    data = (SAMPLES / "document-replacement-two-unsigned.edxml").read_bytes()
    unprefixed = data.replace(b"<edXML:", b"<").replace(b"</edXML:", b"</")
    unprefixed = unprefixed.replace(b' xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016"', b"")
    document = parse_valid(unprefixed)
    assert isinstance(document, Document)
    assert [a.document_id for a in document.acts_on] == [ORIGINAL, SECOND]
