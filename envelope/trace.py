"""The trace headers and the business block (``TraceHeaderList``) of a document."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from envelope.codes import BusinessDocType
from envelope.header import StaffInfo

__all__ = [
    "ActedOn",
    "Business",
    "BusinessDocumentInfo",
    "Receiver",
    "ReplacementInfo",
    "TraceHeader",
]


@dataclass(frozen=True, slots=True)
class TraceHeader:
    """One hop: which agency handled the document and when."""

    organ_id: str
    timestamp: datetime | None = None


@dataclass(frozen=True, slots=True)
class Receiver:
    organ_id: str
    receiver_type: str | None = None


@dataclass(frozen=True, slots=True)
class BusinessDocumentInfo:
    """For updates: what changed and who receives the update."""

    document_info: str | None = None
    document_receiver: str | None = None
    receivers: tuple[Receiver, ...] = ()


@dataclass(frozen=True, slots=True)
class ReplacementInfo:
    """For replacements: the document replaced and the agencies that hold it."""

    document_id: str | None = None
    organ_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ActedOn:
    """A document a revocation, update or replacement acts on, as its sender named it.

    ``named_in`` says where: ``Bussiness/DocumentId``, the message's own
    ``MessageHeader/DocumentId`` (a revocation or update that repeats the original's), or
    ``ReplacementInfo/DocumentId``. ``organ_ids``: who should get the replacement of this
    document (``ReplacementInfo/OrganIdList``); empty when not given.
    """

    document_id: str
    named_in: str
    organ_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Business:
    """The ``Bussiness`` block (the standard's spelling). ``doc_type`` None: absent or unknown."""

    doc_type: BusinessDocType | None = BusinessDocType.NEW
    reason: str | None = None
    document_id: str | None = None
    paper: bool | None = None
    document_info: BusinessDocumentInfo | None = None
    replacements: tuple[ReplacementInfo, ...] = ()
    staff: StaffInfo | None = None
