"""What intake hands to the database: checked submissions and refusals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, ClassVar

from axis.storage.bodies import SpooledBody
from axis.vocabulary import DeliveryMode, MessageKind, ReceivedVia
from envelope import StatusCode


class VouchedBy(StrEnum):
    """Who vouches for a message: its sender's XML signature, or the axis's seal."""

    SIGNATURE = "signed"
    # No XML signature: an agency in transition, authenticated by its channel
    # credentials alone; the axis attests the bytes, never that they are signed.
    SEAL = "sealed"


@dataclass(frozen=True, slots=True)
class Seal:
    """The axis's seal over a message (a JWS, see :mod:`signing.seal`) and when it was made."""

    jws: str
    sealed_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Signed:
    """Bytes whose envelope, signature (or seal) and sender were checked: what every message has."""

    message_id: str
    sender_id: str
    # In memory up to the spool's threshold, else in its temporary file (issue #17).
    body: bytes | SpooledBody
    sha256: bytes
    signer_fingerprint: str
    signature_algorithm: str
    received_via: ReceivedVia
    vouched_by: VouchedBy = VouchedBy.SIGNATURE
    # Only for VouchedBy.SEAL: stored beside the message in the same transaction.
    seal: Seal | None = None


@dataclass(frozen=True, slots=True)
class ActingTarget:
    """A document a revocation, update or replacement acts on, by its DocumentId, and the
    recipients whose copies it acts on."""

    document_id: str
    recipients: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckedDocument(Signed):
    """A document whose recipients exist and are active; ``routes`` says how each gets it."""

    kind: ClassVar[MessageKind] = MessageKind.DOCUMENT
    document_id: str
    subject: str
    code_number: str
    code_notation: str
    priority: int
    business_type: int | None
    due_date: date | None
    routes: tuple[tuple[str, DeliveryMode], ...]
    # What a revocation, update or replacement acts on; empty for a new document.
    acts_on: tuple[ActingTarget, ...] = ()
    # Its own DocumentId is that of a document it acts on (so it is no conflict).
    repeats_acted_on: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckedStatus(Signed):
    """A status (receipt) about a document; it is judged and routed inside the write
    transaction, where the document's history is locked."""

    kind: ClassVar[MessageKind] = MessageKind.STATUS
    # ResponseFor: the document answered, by its sender and DocumentId.
    response_for_organ_id: str
    answers_document_id: str
    status_code: StatusCode
    description: str
    status_at: datetime | None


Checked = CheckedDocument | CheckedStatus


def stored_document_id(item: Checked) -> str:
    """The DocumentId a message is stored and looked up under: a document's own, or the
    answered document's for a status."""
    return item.document_id if isinstance(item, CheckedDocument) else item.answers_document_id


@dataclass(frozen=True, slots=True)
class Accepted:
    """A stored message; ``created`` is False for an identical resubmission."""

    id: str
    kind: MessageKind
    document_id: str
    sender_id: str
    recipients: tuple[str, ...]
    created: bool

    def body(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "document_id": self.document_id,
            "from": self.sender_id,
            "recipients": list(self.recipients),
        }
