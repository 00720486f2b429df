"""The two kinds of edXML message: a document (with its attachments) and a status receipt."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import ClassVar

from envelope.attachments import Attachment, Reference
from envelope.codes import BusinessDocType, Priority, StatusCode
from envelope.errors import Problem
from envelope.header import (
    Code,
    DocumentType,
    Organization,
    OtherInfo,
    PromulgationInfo,
    ResponseFor,
    SignatureInfo,
    SignerInfo,
    StaffInfo,
)
from envelope.trace import Business, TraceHeader

__all__ = ["Document", "Message", "Status"]


def _no_lines() -> Mapping[str, int]:
    return {}


@dataclass(frozen=True, slots=True, kw_only=True)
class Document:
    """A document message. ``raw`` (the bytes parsed), ``source_lines`` (element path to
    line) and ``parse_problems`` (what could not be read) take no part in equality."""

    kind: ClassVar[str] = "edoc"

    sender: Organization | None
    recipients: tuple[Organization, ...] = ()
    document_id: str | None = None
    code: Code | None = None
    promulgation: PromulgationInfo | None = None
    document_type: DocumentType | None = None
    subject: str | None = None
    content: str | None = None
    signer: SignerInfo | None = None
    due_date: date | None = None
    other_info: OtherInfo | None = None
    response_for: tuple[ResponseFor, ...] = ()
    steering_type: int | None = None
    to_places: tuple[str, ...] = ()
    traces: tuple[TraceHeader, ...] = ()
    business: Business | None = None
    references: tuple[Reference, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    signature: SignatureInfo | None = None
    raw: bytes = field(default=b"", compare=False, repr=False)
    source_lines: Mapping[str, int] = field(default_factory=_no_lines, compare=False, repr=False)
    parse_problems: tuple[Problem, ...] = field(default=(), compare=False, repr=False)

    @property
    def priority(self) -> Priority:
        """The urgency; a document that states none is normal (thường)."""
        if self.other_info is None or self.other_info.priority is None:
            return Priority.NORMAL
        return self.other_info.priority

    @property
    def business_type(self) -> BusinessDocType | None:
        return None if self.business is None else self.business.doc_type

    @property
    def signature_algorithm(self) -> str | None:
        return None if self.signature is None else self.signature.algorithm

    def attachment(self, content_id: str) -> Attachment | None:
        return next((a for a in self.attachments if a.content_id == content_id), None)


@dataclass(frozen=True, slots=True, kw_only=True)
class Status:
    """A status receipt about one document; routed to ``response_for.organ_id``."""

    kind: ClassVar[str] = "status"

    sender: Organization | None
    response_for: ResponseFor | None = None
    staff: StaffInfo | None = None
    status_code: StatusCode | None = None
    description: str | None = None
    timestamp: datetime | None = None
    signature: SignatureInfo | None = None
    raw: bytes = field(default=b"", compare=False, repr=False)
    source_lines: Mapping[str, int] = field(default_factory=_no_lines, compare=False, repr=False)
    parse_problems: tuple[Problem, ...] = field(default=(), compare=False, repr=False)

    @property
    def signature_algorithm(self) -> str | None:
        return None if self.signature is None else self.signature.algorithm


Message = Document | Status
