"""The blocks of a message header: who, what, when, and how urgent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from envelope.codes import Priority

__all__ = [
    "Code",
    "DocumentType",
    "Organization",
    "OtherInfo",
    "PromulgationInfo",
    "ResponseFor",
    "SignatureInfo",
    "SignerInfo",
    "StaffInfo",
]

XMLDSIG_NS = "http://www.w3.org/2000/09/xmldsig#"


@dataclass(frozen=True, slots=True)
class Organization:
    """An organisation block (``From`` or ``To``); ``organ_id`` is empty when not written."""

    organ_id: str
    organization_in_charge: str | None = None
    organ_name: str | None = None
    organ_add: str | None = None
    email: str | None = None
    telephone: str | None = None
    fax: str | None = None
    website: str | None = None


@dataclass(frozen=True, slots=True)
class Code:
    """A document's number and notation (số, ký hiệu), e.g. ``1234`` and ``VPCP-KSTT``."""

    number: str | None = None
    notation: str | None = None

    def __str__(self) -> str:
        return "/".join(part for part in (self.number, self.notation) if part)


@dataclass(frozen=True, slots=True)
class PromulgationInfo:
    place: str | None = None
    promulgation_date: date | None = None


@dataclass(frozen=True, slots=True)
class DocumentType:
    type: str | None = None
    type_detail: str | None = None
    type_name: str | None = None


@dataclass(frozen=True, slots=True)
class SignerInfo:
    competence: str | None = None
    position: str | None = None
    full_name: str | None = None


@dataclass(frozen=True, slots=True)
class OtherInfo:
    """``OtherInfo``; ``priority`` is None when not written (read as normal) or unreadable."""

    priority: Priority | None = None
    sphere_of_promulgation: str | None = None
    typer_notation: str | None = None
    promulgation_amount: str | None = None
    page_amount: str | None = None
    direction: str | None = None
    appendixes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ResponseFor:
    """The document a message answers: in a document header, or the subject of a status."""

    organ_id: str
    document_id: str | None = None
    code: str | None = None
    promulgation_date: date | None = None


@dataclass(frozen=True, slots=True)
class StaffInfo:
    department: str | None = None
    staff: str | None = None
    email: str | None = None
    mobile: str | None = None


@dataclass(frozen=True, slots=True)
class SignatureInfo:
    """What the envelope says about its signature; nothing here is verified."""

    algorithm: str | None
    namespace: str

    @property
    def in_signature_namespace(self) -> bool:
        """False for the ``Signature`` some senders put in the edXML namespace (malformed)."""
        return self.namespace == XMLDSIG_NS
