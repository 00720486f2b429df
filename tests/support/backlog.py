"""A large backlog of routine documents, stored through the intake's writer.

Signing and verifying thousands of envelopes would take most of a test's
time, so the backlog skips the checks and hands already-"checked"
submissions to :func:`axis.intake.writer.write_batch`, the code path intake
itself stores with: the same messages, deliveries, audit entries and
``NOTIFY`` as real submissions.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from axis.intake.message_ids import new_message_id
from axis.intake.records import CheckedDocument
from axis.intake.writer import write_batch
from axis.storage.database import Pool
from axis.vocabulary import DeliveryMode, ReceivedVia
from tests.support.envelopes import document, document_id_of

CHUNK = 1000


def routine(sender_id: str, recipient_id: str, mode: str, priority: int = 0) -> CheckedDocument:
    body = document(sender_id, [recipient_id], priority=priority)
    return CheckedDocument(
        message_id=new_message_id(),
        sender_id=sender_id,
        document_id=document_id_of(body),
        body=body,
        sha256=hashlib.sha256(body).digest(),
        subject="V/v công việc thường ngày",
        code_number="",
        code_notation="TEST",
        priority=priority,
        business_type=0,
        due_date=None,
        signer_fingerprint="backlog",
        signature_algorithm="rsa-sha256",
        received_via=ReceivedVia.API,
        routes=((recipient_id, DeliveryMode(mode)),),
    )


async def queue_documents(
    pool: Pool,
    sender_id: str,
    recipient_id: str,
    count: int,
    *,
    mode: str = "push",
    priority: int = 0,
) -> list[str]:
    """Stores ``count`` documents for ``recipient_id``; their message ids, oldest first."""
    ids: list[str] = []
    while len(ids) < count:
        items = [
            routine(sender_id, recipient_id, mode, priority)
            for _ in range(min(CHUNK, count - len(ids)))
        ]
        async with pool.acquire() as connection, connection.transaction():
            outcomes = await write_batch(connection, items)
        assert all(outcome is not None for outcome in outcomes)
        ids.extend(item.message_id for item in items)
    return ids


@dataclass(frozen=True, slots=True)
class Overtaking:
    """How an urgent message fared against a backlog at one push endpoint."""

    # Other pushes the endpoint answered after the urgent message was
    # accepted and before it answered the urgent one.
    overtaken: int
    # From acceptance to the endpoint's answer for it.
    latency: float


def overtaking(
    answered: list[tuple[float, str]], accepted_at: float, message_id: str
) -> Overtaking:
    """Reads an endpoint's answer log (monotonic time, message id)."""
    delivered_at = next(moment for moment, answered_id in answered if answered_id == message_id)
    overtaken = sum(
        1
        for moment, answered_id in answered
        if accepted_at <= moment <= delivered_at and answered_id != message_id
    )
    return Overtaking(overtaken, delivered_at - accepted_at)
