"""Reading what real senders send: prefixes, order, whitespace, empty elements, quirks."""

from __future__ import annotations

import base64
from datetime import date, datetime
from pathlib import Path

import pytest

from envelope import (
    BusinessDocType,
    Document,
    Priority,
    Status,
    StatusCode,
    parse,
    validate,
)
from envelope.dates import VIETNAM
from envelope.header import XMLDSIG_NS

SAMPLES = Path(__file__).parents[1] / "samples"
NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
DOCUMENT = (SAMPLES / "document-new-unsigned.edxml").read_bytes()
STATUS = (SAMPLES / "status-03-unsigned.edxml").read_bytes()


def _document(data: bytes) -> Document:
    message = parse(data)
    assert isinstance(message, Document)
    return message


def _status(data: bytes) -> Status:
    message = parse(data)
    assert isinstance(message, Status)
    return message


def test_the_sample_document() -> None:
    document = _document(DOCUMENT)
    assert document.kind == "edoc"
    assert document.raw is DOCUMENT
    assert document.sender is not None
    assert document.sender.organ_id == "000.00.00.G22"
    assert document.sender.fax is None  # <Fax></Fax> is absent
    assert [r.organ_id for r in document.recipients] == ["000.00.00.H41", "000.00.00.H53"]
    assert document.document_id == "000.00.00.G22,2026/11/20,1234/VPCP-KSTT"
    assert document.code is not None
    assert (document.code.number, document.code.notation) == ("1234", "VPCP-KSTT")
    assert str(document.code) == "1234/VPCP-KSTT"
    assert document.promulgation is not None
    assert document.promulgation.promulgation_date == date(2026, 11, 20)
    assert document.document_type is not None
    assert document.document_type.type_name == "Công văn"
    assert document.subject is not None and document.subject.startswith("V/v báo cáo")
    assert document.signer is not None and document.signer.full_name == "Nguyễn Văn A"
    assert document.due_date == date(2026, 11, 30)
    assert document.priority is Priority.URGENT
    assert document.other_info is not None and document.other_info.appendixes == ()
    assert document.steering_type == 0
    assert document.to_places == ("Như trên", "Lưu: VT")
    assert document.traces[0].organ_id == "000.00.00.G22"
    assert document.traces[0].timestamp == datetime(2026, 11, 20, 9, 15, tzinfo=VIETNAM)
    assert document.business is not None
    assert document.business.doc_type is BusinessDocType.NEW
    assert document.business.paper is False
    assert document.business.staff is not None and document.business.staff.staff == "Trần Thị B"
    assert document.response_for == ()
    assert [a.name for a in document.attachments] == ["1234-VPCP-KSTT.txt"]
    assert document.references[0].content_id == document.attachments[0].content_id
    assert document.signature is None
    assert validate(document) == ()


def test_the_sample_status() -> None:
    status = _status(STATUS)
    assert status.kind == "status"
    assert status.sender is not None and status.sender.organ_id == "000.00.00.H41"
    assert status.response_for is not None
    assert status.response_for.organ_id == "000.00.00.G22"
    assert status.response_for.code == "1234/VPCP-KSTT"
    assert status.response_for.promulgation_date == date(2026, 11, 20)
    assert status.status_code is StatusCode.ACCEPTED
    assert status.description == "Đã tiếp nhận, vào sổ văn bản đến"
    assert status.timestamp == datetime(2026, 11, 20, 10, 2, 31, tzinfo=VIETNAM)
    assert status.staff is not None and status.staff.mobile == "0911111111"
    assert validate(status) == ()


def test_prefixes_do_not_matter() -> None:
    renamed = DOCUMENT.replace(b"edXML:", b"x:").replace(b"xmlns:edXML=", b"xmlns:x=")
    assert renamed != DOCUMENT
    assert _document(renamed) == _document(DOCUMENT)


def test_child_order_does_not_matter() -> None:
    subject = DOCUMENT[
        DOCUMENT.index(b"        <edXML:Subject>") : DOCUMENT.index(b"        <edXML:Content>")
    ]
    moved = DOCUMENT.replace(subject, b"").replace(
        b"        <edXML:From>", subject + b"        <edXML:From>"
    )
    assert moved != DOCUMENT
    assert _document(moved) == _document(DOCUMENT)


def test_stray_whitespace_around_values_is_ignored() -> None:
    spaced = DOCUMENT.replace(
        b"<edXML:OrganId>000.00.00.H41</edXML:OrganId>",
        b"<edXML:OrganId>\n   000.00.00.H41\t </edXML:OrganId>",
    ).replace(b"<edXML:Priority>1<", b"<edXML:Priority> 1 <")
    document = _document(spaced)
    assert document.recipients[0].organ_id == "000.00.00.H41"
    assert document.priority is Priority.URGENT


def test_empty_elements_are_absent() -> None:
    extra_empty = STATUS.replace(
        b"<edXML:StaffInfo>",
        b"<edXML:ResponseFor/><edXML:Description>\n </edXML:Description><edXML:StaffInfo>",
    )
    status = _status(extra_empty)
    assert status == _status(STATUS)
    assert validate(status) == ()
    start = STATUS.index(b"<edXML:ResponseFor>")
    end = STATUS.index(b"</edXML:ResponseFor>") + len(b"</edXML:ResponseFor>")
    only_empty = STATUS[:start] + b"<edXML:ResponseFor/>" + STATUS[end:]
    assert _status(only_empty).response_for is None
    assert [p.code for p in validate(_status(only_empty))] == ["status.missing_response_for"]
    document_data = DOCUMENT.replace(
        b"<edXML:SteeringType>",
        b"<edXML:ResponseFor/><edXML:ResponseFor>\n</edXML:ResponseFor><edXML:SteeringType>",
    )
    assert _document(document_data).response_for == ()


def test_a_second_filled_singleton_is_a_problem() -> None:
    data = DOCUMENT.replace(
        b"<edXML:Subject>", b"<edXML:Subject>Another</edXML:Subject><edXML:Subject>"
    )
    document = _document(data)
    assert document.subject == "Another"
    problems = validate(document)
    assert [(p.code, p.path) for p in problems] == [
        ("envelope.repeated_element", "/edXML/edXMLEnvelope/edXMLHeader/MessageHeader/Subject")
    ]
    assert problems[0].line == 50


def test_iso_dates_are_read() -> None:
    data = STATUS.replace(b"2026/11/20 10:02:31", b"2026-11-20T03:02:31Z").replace(
        b"<edXML:PromulgationDate>2026/11/20", b"<edXML:PromulgationDate>2026-11-20"
    )
    status = _status(data)
    assert status.timestamp == datetime(2026, 11, 20, 10, 2, 31, tzinfo=VIETNAM)
    assert status.response_for is not None
    assert status.response_for.promulgation_date == date(2026, 11, 20)


def test_legacy_organ_ids_are_read_and_valid() -> None:
    data = DOCUMENT.replace(b"000.00.00.H53", b"28.22.H17")
    document = _document(data)
    assert document.recipients[1].organ_id == "28.22.H17"
    assert validate(document) == ()


def test_signature_in_the_signature_namespace() -> None:
    signature = (
        f'<Signature xmlns="{XMLDSIG_NS}"><SignedInfo><SignatureMethod Algorithm='
        '"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/></SignedInfo></Signature>'
    ).encode()
    data = DOCUMENT.replace(b"</edXML:edXMLHeader>", signature + b"</edXML:edXMLHeader>")
    document = _document(data)
    assert document.signature is not None
    assert document.signature_algorithm == "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
    assert document.signature.in_signature_namespace


def test_signature_in_the_edxml_namespace_is_read_but_marked() -> None:
    signature = (
        b"<edXML:Signature><edXML:SignedInfo><edXML:SignatureMethod Algorithm="
        b'"http://www.w3.org/2000/09/xmldsig#rsa-sha1"/></edXML:SignedInfo></edXML:Signature>'
    )
    data = STATUS.replace(b"</edXML:edXMLHeader>", signature + b"</edXML:edXMLHeader>")
    status = _status(data)
    assert status.signature is not None
    assert status.signature_algorithm == "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
    assert not status.signature.in_signature_namespace


def test_status_code_without_leading_zero_is_read() -> None:
    assert _status(STATUS.replace(b">03<", b">3<")).status_code is StatusCode.ACCEPTED


def test_kind_is_told_apart_by_content_not_by_name() -> None:
    assert parse(DOCUMENT).kind == "edoc"
    assert parse(STATUS).kind == "status"


def test_unreadable_values_become_problems_not_exceptions() -> None:
    data = DOCUMENT.replace(b"<edXML:DueDate>2026/11/30", b"<edXML:DueDate>soon").replace(
        b"<edXML:BussinessDocType>0", b"<edXML:BussinessDocType>9"
    )
    document = _document(data)
    assert document.due_date is None
    assert document.business is not None and document.business.doc_type is None
    assert {p.code for p in document.parse_problems} == {
        "envelope.invalid_date",
        "business.unknown_doc_type",
    }


@pytest.mark.parametrize("content", [b"<![CDATA[UEsDBBQ]]>", b"UEsD&#66;BQ"])
def test_unusual_attachment_text_is_read_through_the_tree(content: bytes) -> None:
    start = DOCUMENT.index(b">UEsDB") + 1
    end = DOCUMENT.index(b"</edXML:ContentTransferEncoded>")
    data = DOCUMENT[:start] + content + DOCUMENT[end:]
    assert _document(data).attachments[0].payload.text() == "UEsDBBQ"


def test_the_sdk_unbound_xlink_prefix_is_tolerated() -> None:
    data = DOCUMENT.replace(
        b"<edXML:Reference>", b'<edXML:Reference xlink:href="cid:3f2b9c1e" xlink:type="simple">'
    )
    document = _document(data)
    assert document == _document(DOCUMENT)
    assert validate(document) == ()


def test_wrapped_base64_in_a_large_envelope_is_read_in_place() -> None:
    block = bytes(range(256)) * 8192  # 2 MB, decodes to itself
    wrapped = base64.encodebytes(block).replace(b"\n", b"\r\n      ")
    start = DOCUMENT.index(b">UEsDB") + 1
    end = DOCUMENT.index(b"</edXML:ContentTransferEncoded>")
    document = _document(DOCUMENT[:start] + wrapped + DOCUMENT[end:])
    attachment = document.attachments[0]
    # Read in place: the span is the raw text, CR and trailing indentation included (the
    # parsed text would have neither).
    assert attachment.payload.encoded_length == len(wrapped)
    assert attachment.size == len(block)
    assert not attachment.is_zip
    assert attachment.decode() == block
    assert validate(document) == ()
