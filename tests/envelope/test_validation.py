"""Validation reports every problem at once, each with its path and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from envelope import EnvelopeInvalid, Problem, parse, parse_valid, validate

SAMPLES = Path(__file__).parents[1] / "samples"
DOCUMENT = (SAMPLES / "document-new-unsigned.edxml").read_bytes()
STATUS = (SAMPLES / "status-03-unsigned.edxml").read_bytes()
MH = "/edXML/edXMLEnvelope/edXMLHeader/MessageHeader"


def _cut(data: bytes, start: bytes, end: bytes) -> bytes:
    """Removes from the first ``start`` to the end of the following ``end``."""
    begin = data.index(start)
    stop = data.index(end, begin) + len(end)
    return data[:begin] + data[stop:]


def _problems(data: bytes) -> list[Problem]:
    return list(validate(parse(data)))


def _line(data: bytes, needle: bytes, occurrence: int = 1) -> int:
    position = -1
    for _ in range(occurrence):
        position = data.index(needle, position + 1)
    return data.count(b"\n", 0, position) + 1


def test_valid_samples_have_no_problems() -> None:
    assert parse_valid(DOCUMENT).kind == "edoc"
    assert parse_valid(STATUS).kind == "status"


def test_every_problem_is_collected_with_path_and_line() -> None:
    data = _cut(DOCUMENT, b"<edXML:From>", b"</edXML:From>")
    data = _cut(data, b"<edXML:DocumentId>", b"</edXML:DocumentId>")
    data = data.replace(b"<edXML:Priority>1<", b"<edXML:Priority>7<")
    data = data.replace(b"000.00.00.H53", b"000.00.00.H41")
    problems = _problems(data)
    assert [(p.code, p.path) for p in problems] == [
        ("envelope.priority_out_of_range", f"{MH}/OtherInfo/Priority"),
        ("envelope.missing_from", f"{MH}/From"),
        ("envelope.duplicate_recipient", f"{MH}/To[2]/OrganId"),
        ("envelope.missing_document_id", f"{MH}/DocumentId"),
    ]
    lines = [p.line for p in problems]
    assert lines[0] == _line(data, b"<edXML:Priority>")
    assert lines[1] == _line(data, b"<edXML:MessageHeader>")  # missing: its parent's line
    assert lines[2] == _line(data, b"<edXML:OrganId>000.00.00.H41", occurrence=2)
    assert lines[3] == _line(data, b"<edXML:MessageHeader>")


def test_parse_valid_raises_one_error_listing_all_problems() -> None:
    data = _cut(DOCUMENT, b"<edXML:To>", b"</edXML:To>")
    data = _cut(data, b"<edXML:To>", b"</edXML:To>")
    data = data.replace(b"<edXML:OrganId>000.00.00.G22</edXML:OrganId>", b"", 1)
    with pytest.raises(EnvelopeInvalid) as caught:
        parse_valid(data)
    error = caught.value
    assert error.code == "envelope.invalid"
    assert [p.code for p in error.problems] == [
        "envelope.missing_organ_id",
        "envelope.missing_to",
    ]
    assert error.message.startswith("The envelope has 2 problems: ")
    assert "/From/OrganId" in error.message and "/To" in error.message


def test_organ_id_syntax_is_checked_where_it_routes() -> None:
    data = DOCUMENT.replace(b">000.00.00.H53<", b">UBND Tay Ninh<")
    problems = _problems(data)
    assert [(p.code, p.path) for p in problems] == [
        ("envelope.invalid_organ_id", f"{MH}/To[2]/OrganId")
    ]


def test_reference_without_attachment_and_attachment_without_reference() -> None:
    data = DOCUMENT.replace(b"<edXML:ContentId>cid:3f2b9c1e", b"<edXML:ContentId>cid:00000000", 1)
    problems = _problems(data)
    assert [(p.code, p.path) for p in problems] == [
        (
            "attachment.missing",
            "/edXML/edXMLEnvelope/edXMLBody/edXMLManifest/Reference[1]/ContentId",
        ),
        ("attachment.unreferenced", "/edXML/AttachmentEncoded/Attachment[1]/ContentId"),
    ]
    assert problems[0].line == _line(data, b"cid:00000000")
    assert problems[1].line == _line(data, b"<ContentId>cid:3f2b9c1e")


def test_content_ids_match_with_or_without_the_cid_scheme() -> None:
    data = DOCUMENT.replace(b"<ContentId>cid:3f2b", b"<ContentId>3f2b")
    assert _problems(data) == []


def test_invalid_base64_is_reported() -> None:
    data = DOCUMENT.replace(b">UEsDBBQAAAAI", b">UEsDBBQ*AAAI")
    problems = _problems(data)
    assert [p.code for p in problems] == ["attachment.invalid_base64"]
    assert problems[0].path.endswith("/Attachment[1]/ContentTransferEncoded")
    assert "'*'" in problems[0].message


def test_a_revocation_or_update_names_the_document_by_its_own_document_id() -> None:
    # Agencies' systems write them so (issue #14): no Bussiness/DocumentId, the message
    # repeats the original's DocumentId.
    for business_type in (b"1", b"2"):
        data = DOCUMENT.replace(
            b"<edXML:BussinessDocType>0", b"<edXML:BussinessDocType>" + business_type
        )
        assert _problems(data) == []
        acted = parse(data).acts_on  # type: ignore[union-attr]
        assert [a.document_id for a in acted] == ["000.00.00.G22,2026/11/20,1234/VPCP-KSTT"]
        assert acted[0].named_in == f"{MH}/DocumentId"


def test_a_replacement_must_name_what_it_replaces() -> None:
    data = DOCUMENT.replace(b"<edXML:BussinessDocType>0", b"<edXML:BussinessDocType>3")
    problems = _problems(data)
    assert [p.code for p in problems] == ["business.missing_document_id"]
    assert "ReplacementInfo" in problems[0].message
    named = data.replace(
        b"<edXML:Paper>",
        b"<edXML:DocumentId>000.00.00.G22,2026/11/01,1/X</edXML:DocumentId><edXML:Paper>",
    )
    assert _problems(named) == []


def test_a_replacement_info_without_document_id_is_reported_where_it_is() -> None:
    data = (SAMPLES / "document-replacement-two-unsigned.edxml").read_bytes()
    broken = data.replace(
        b"<edXML:DocumentId>000.00.00.G22,2026/11/20,1235/VPCP-KSTT</edXML:DocumentId>", b""
    )
    problems = _problems(broken)
    assert [p.code for p in problems] == ["business.missing_document_id"]
    assert problems[0].path.endswith("/ReplacementInfoList/ReplacementInfo[2]/DocumentId")
    assert problems[0].line is not None
    bad_organ = data.replace(
        b"<edXML:OrganId>000.00.00.H41</edXML:OrganId>\n              </",
        b"<edXML:OrganId>bad id!</edXML:OrganId></",
    )
    assert [p.code for p in _problems(bad_organ)] == ["envelope.invalid_organ_id"]


def test_unknown_status_code() -> None:
    problems = _problems(STATUS.replace(b">03<", b">07<"))
    assert [(p.code, p.path) for p in problems] == [("status.unknown_code", f"{MH}/StatusCode")]
    assert problems[0].line == _line(STATUS, b"<edXML:StatusCode>")


def test_status_without_code_or_response_for() -> None:
    data = _cut(STATUS, b"<edXML:StatusCode>", b"</edXML:StatusCode>")
    data = _cut(data, b"<edXML:ResponseFor>", b"</edXML:ResponseFor>")
    assert [p.code for p in _problems(data)] == [
        "status.missing_response_for",
        "status.missing_code",
    ]


def test_status_without_from() -> None:
    data = _cut(STATUS, b"<edXML:From>", b"</edXML:From>")
    assert [p.code for p in _problems(data)] == ["envelope.missing_from"]


def test_problem_text_names_the_place() -> None:
    problem = Problem("x.y", "/edXML/a", 3, "Something is wrong")
    assert str(problem) == "Something is wrong at /edXML/a (line 3)"
    assert str(Problem("x.y", "/edXML/a", None, "Wrong")) == "Wrong at /edXML/a"
