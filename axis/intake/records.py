"""What intake hands to the database: checked submissions and refusals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from axis.vocabulary import DeliveryMode, MessageKind, ReceivedVia
from envelope import StatusCode


@dataclass(frozen=True, slots=True)
class Checked:
    """A submission whose bytes, signature, sender and recipients were checked.

    ``routes`` lists (recipient, mode) for documents; statuses are routed
    inside the write transaction, where the document's history is locked.
    """

    message_id: str
    kind: MessageKind
    sender_id: str
    document_id: str
    body: bytes
    sha256: bytes
    subject: str
    code_number: str
    code_notation: str
    priority: int
    business_type: int | None
    acts_on_document_id: str | None
    status_code: StatusCode | None
    response_for_organ_id: str | None
    description: str
    status_at: datetime | None
    due_date: date | None
    signer_fingerprint: str
    signature_algorithm: str
    received_via: ReceivedVia
    routes: tuple[tuple[str, DeliveryMode], ...]


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
