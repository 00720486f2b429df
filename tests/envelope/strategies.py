"""Hypothesis strategies for edXML values: Vietnamese text, odd Unicode, legal XML only."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, TypeVar

from hypothesis import strategies as st

from envelope import (
    Attachment,
    Business,
    BusinessDocType,
    BusinessDocumentInfo,
    Code,
    Document,
    DocumentType,
    Organization,
    OtherInfo,
    Priority,
    PromulgationInfo,
    Receiver,
    Reference,
    ReplacementInfo,
    ResponseFor,
    SignerInfo,
    StaffInfo,
    Status,
    StatusCode,
    TraceHeader,
)
from envelope.dates import VIETNAM

T = TypeVar("T")
_XML_SPACE = " \t\r\n"

VIETNAMESE = [
    "Ủy ban nhân dân tỉnh Nghệ An",
    "V/v báo cáo tình hình cung cấp dịch vụ công trực tuyến",
    "Hỏa tốc",
    "Đề nghị các địa phương báo cáo trước ngày 30/11/2026.",
    "KT. BỘ TRƯỞNG, CHỦ NHIỆM",
    "Nơi nhận: Như trên; Lưu: VT, KSTT (3b).",
    "Tiếng Việt có dấu: ă â đ ê ô ơ ư Ă Â Đ Ê Ô Ơ Ư ạ ả ã ấ ầ ẩ ẫ ậ",
]

# Every character XML 1.0 allows (no C0 controls but tab, LF, CR; no surrogates; no FFFE/FFFF).
_xml_char = st.one_of(
    st.characters(min_codepoint=0x20, max_codepoint=0xD7FF),
    st.characters(min_codepoint=0xE000, max_codepoint=0xFFFD),
    st.characters(min_codepoint=0x10000, max_codepoint=0x10FFFF),
    st.sampled_from("\t\n\r<>&'\"]]>"),
)


def _clean(text: str) -> str | None:
    # The reader drops whitespace around values, so generated values never have any.
    stripped = text.strip(_XML_SPACE)
    return stripped or None


texts = st.one_of(st.sampled_from(VIETNAMESE), st.text(_xml_char, max_size=40)).map(_clean)
optional_texts = st.one_of(st.none(), texts)
present_texts = texts.filter(lambda value: value is not None).map(str)

organ_ids = st.one_of(
    st.from_regex(r"\d{3}\.\d{2}\.\d{2}\.[A-Z]{1,2}\d{2}", fullmatch=True),
    st.from_regex(r"[A-Za-z0-9._-]{1,64}", fullmatch=True),
)
dates = st.dates(min_value=date(1000, 1, 1), max_value=date(9999, 12, 31))
zones = st.sampled_from([VIETNAM, UTC, timezone(timedelta(hours=-5, minutes=-30))])
timestamps = st.datetimes(
    min_value=datetime(1000, 1, 2), max_value=datetime(9999, 12, 30), timezones=zones
)


def _filled(strategy: st.SearchStrategy[T]) -> st.SearchStrategy[T]:
    """Blocks with nothing in them are written empty, and empty elements read as absent."""

    def has_content(value: Any) -> bool:
        return any(
            getattr(value, field.name) not in (None, ()) for field in dataclasses.fields(value)
        )

    return strategy.filter(has_content)


def _maybe(strategy: st.SearchStrategy[T]) -> st.SearchStrategy[T | None]:
    return st.one_of(st.none(), strategy)


def _tuples(strategy: st.SearchStrategy[T], max_size: int = 3) -> st.SearchStrategy[tuple[T, ...]]:
    return st.lists(strategy, max_size=max_size).map(tuple)


organizations = st.builds(
    Organization,
    organ_id=organ_ids,
    organization_in_charge=optional_texts,
    organ_name=optional_texts,
    organ_add=optional_texts,
    email=optional_texts,
    telephone=optional_texts,
    fax=optional_texts,
    website=optional_texts,
)
response_fors = st.builds(
    ResponseFor,
    organ_id=organ_ids,
    document_id=optional_texts,
    code=optional_texts,
    promulgation_date=_maybe(dates),
)
staff = _filled(
    st.builds(StaffInfo, optional_texts, optional_texts, optional_texts, optional_texts)
)
business = st.builds(
    Business,
    doc_type=st.sampled_from(BusinessDocType),
    reason=optional_texts,
    document_id=optional_texts,
    paper=_maybe(st.booleans()),
    document_info=_maybe(
        _filled(
            st.builds(
                BusinessDocumentInfo,
                optional_texts,
                optional_texts,
                _tuples(st.builds(Receiver, organ_ids, optional_texts)),
            )
        )
    ),
    replacements=_tuples(_filled(st.builds(ReplacementInfo, optional_texts, _tuples(organ_ids)))),
    staff=_maybe(staff),
)


@st.composite
def attachments(draw: st.DrawFn) -> tuple[tuple[Reference, ...], tuple[Attachment, ...]]:
    count = draw(st.integers(0, 3))
    references, files = [], []
    for index in range(count):
        content_id = f"cid:{index}-{draw(st.uuids())}"
        name = draw(optional_texts)
        content_type = draw(st.sampled_from([None, "application/pdf", "application/zip"]))
        data = draw(st.binary(max_size=300))
        references.append(Reference(content_id, content_type, name, draw(optional_texts)))
        files.append(
            Attachment.of_bytes(content_id, name, content_type, data, draw(optional_texts))
        )
    return tuple(references), tuple(files)


@st.composite
def documents(draw: st.DrawFn) -> Document:
    references, files = draw(attachments())
    return Document(
        sender=draw(_maybe(organizations)),
        recipients=draw(_tuples(organizations)),
        document_id=draw(optional_texts),
        code=draw(_maybe(_filled(st.builds(Code, optional_texts, optional_texts)))),
        promulgation=draw(
            _maybe(_filled(st.builds(PromulgationInfo, optional_texts, _maybe(dates))))
        ),
        document_type=draw(
            _maybe(_filled(st.builds(DocumentType, optional_texts, optional_texts, optional_texts)))
        ),
        subject=draw(optional_texts),
        content=draw(optional_texts),
        signer=draw(
            _maybe(_filled(st.builds(SignerInfo, optional_texts, optional_texts, optional_texts)))
        ),
        due_date=draw(_maybe(dates)),
        other_info=draw(
            _maybe(
                _filled(
                    st.builds(
                        OtherInfo,
                        priority=_maybe(st.sampled_from(Priority)),
                        sphere_of_promulgation=optional_texts,
                        typer_notation=optional_texts,
                        promulgation_amount=optional_texts,
                        page_amount=optional_texts,
                        direction=optional_texts,
                        appendixes=_tuples(present_texts),
                    )
                )
            )
        ),
        response_for=draw(_tuples(response_fors)),
        steering_type=draw(_maybe(st.integers(0, 1))),
        to_places=draw(_tuples(present_texts)),
        traces=draw(_tuples(st.builds(TraceHeader, organ_ids, _maybe(timestamps)))),
        business=draw(_maybe(business)),
        references=references,
        attachments=files,
    )


statuses = st.builds(
    Status,
    sender=_maybe(organizations),
    response_for=_maybe(response_fors),
    staff=_maybe(staff),
    status_code=st.sampled_from(StatusCode),
    description=optional_texts,
    timestamp=_maybe(timestamps),
)
