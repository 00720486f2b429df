"""The two kinds of edXML message: a document (with its attachments) and a status receipt."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import ClassVar

from envelope.attachments import Attachment, Reference
from envelope.codes import BusinessDocType, Priority, StatusCode
from envelope.errors import Problem
from envelope.file_bytes import FileBytes
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
from envelope.paths import BUSINESS, MESSAGE_HEADER, REPLACEMENTS
from envelope.trace import ActedOn, Business, TraceHeader

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
    raw: bytes | FileBytes = field(default=b"", compare=False, repr=False)
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

    @property
    def acts_on(self) -> tuple[ActedOn, ...]:
        """The documents a revocation, update or replacement acts on; empty for a new one.

        Agencies' systems name them three ways (docs/edxml-profile.md): ``Bussiness/DocumentId``
        when present; else, for a revocation or an update, the message's own DocumentId,
        which then repeats the original's; else, for a replacement, every
        ``ReplacementInfo/DocumentId``. A replacement that names none acts on nothing
        (the validator reports it).
        """
        business = self.business
        doc_type = None if business is None else business.doc_type
        if business is None or doc_type is None or not doc_type.acts_on_earlier_document:
            return ()
        listed = {r.document_id: r.organ_ids for r in business.replacements if r.document_id}
        if business.document_id:
            named = business.document_id
            return (ActedOn(named, f"{BUSINESS}/DocumentId", listed.get(named, ())),)
        if doc_type is BusinessDocType.REPLACEMENT:
            return tuple(
                ActedOn(document_id, f"{REPLACEMENTS}/ReplacementInfo/DocumentId", organ_ids)
                for document_id, organ_ids in listed.items()
            )
        if self.document_id:
            return (ActedOn(self.document_id, f"{MESSAGE_HEADER}/DocumentId"),)
        return ()

    @property
    def repeats_acted_on(self) -> bool:
        """True when this acting document's own DocumentId is that of a document it acts on."""
        return any(acted.document_id == self.document_id for acted in self.acts_on)

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
    raw: bytes | FileBytes = field(default=b"", compare=False, repr=False)
    source_lines: Mapping[str, int] = field(default_factory=_no_lines, compare=False, repr=False)
    parse_problems: tuple[Problem, ...] = field(default=(), compare=False, repr=False)

    @property
    def signature_algorithm(self) -> str | None:
        return None if self.signature is None else self.signature.algorithm


Message = Document | Status
