"""Messages of chosen months written straight into the tables, for the retention tests.

Ids are made as intake makes them (time-ordered) at the chosen moment, so a
message lands in the month under test; bodies are real bytes with their
real sha256, as intake records them.
"""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime, timedelta
from typing import Any

from axis.audit.sealer import seal_pending
from axis.retention.months import message_id_at
from axis.storage import sql
from axis.storage.database import Connection

SENDER = "000.00.00.G22"
RECIPIENT = "000.00.00.H41"
OTHER = "000.00.00.H53"
AGENCIES = (SENDER, RECIPIENT, OTHER)


def utc(year: int, month: int, day: int, hour: int = 12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


async def add_agencies(connection: Connection, *organ_ids: str) -> None:
    await connection.copy_records_to_table(
        "agencies",
        records=[
            (o, f"Cơ quan {o}", f"sys-{o}", b"x", hashlib.sha256(o.encode()).digest())
            for o in (organ_ids or AGENCIES)
        ],
        columns=["organ_id", "name", "system_id", "secret_ciphertext", "secret_lookup"],
    )


async def add_message(
    connection: Connection,
    at: datetime,
    *,
    sender: str = SENDER,
    recipients: dict[str, str] | None = None,
    kind: str = "edoc",
    body: bytes | None = None,
    settled_after: timedelta = timedelta(hours=1),
    answers: str | None = None,
    acts_on: str | None = None,
) -> str:
    """One message and its deliveries (recipient -> transport state); returns its id."""
    message_id = message_id_at(at, os.urandom(10).hex())
    data = body if body is not None else f"<edXML id='{message_id}'/>".encode()
    await connection.execute(
        "INSERT INTO messages (id, kind, sender_id, document_id, body, sha256, size,"
        " signer_fingerprint, signature_algorithm, accepted_at, answers_message_id,"
        " acts_on_message_id, business_type, status_code)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, 'test', 'rsa-sha256', $8, $9, $10, $11, $12)",
        message_id, kind, sender, f"doc-{message_id[-8:]}", data,
        hashlib.sha256(data).digest(), len(data), at, answers, acts_on,
        None if acts_on is None else 1, "01" if kind == "status" else None,
    )  # fmt: skip
    if acts_on is not None:
        await connection.execute(
            "INSERT INTO document_actions (acting_message_id, target_message_id, business_type,"
            " recipients, acted_at) VALUES ($1, $2, 1, $3, $4)",
            message_id, acts_on, list(recipients or {RECIPIENT: "acked"}), at,
        )  # fmt: skip
    for recipient, state in (recipients or {RECIPIENT: "acked"}).items():
        ended = at + settled_after
        await connection.execute(
            "INSERT INTO deliveries (message_id, recipient_id, kind, mode, transport_state,"
            " created_at, next_attempt_at, delivered_at, acked_at)"
            " VALUES ($1, $2, $3, 'pull', $4, $5, $5, $6, $7)",
            message_id, recipient, kind, state, at,
            ended if state in ("delivered", "acked") else None,
            ended if state == "acked" else None,
        )  # fmt: skip
    if kind == "status" and answers is not None:
        await connection.execute(
            "INSERT INTO status_events (document_message_id, status_message_id, from_id,"
            " status_code, status_at, received_at) VALUES ($1, $2, $3, '01', $4, $4)",
            answers, message_id, sender, at,
        )  # fmt: skip
    return message_id


async def audit_at(connection: Connection, at: datetime, subject: str, **detail: Any) -> None:
    """An audit entry written at ``at`` (the chain segment of a past month), then sealed."""
    await connection.execute(
        sql.query("insert_audit_entries"), at, ["test"], ["message.accept"], [subject], [detail]
    )
    await seal_pending(connection, "test")


async def body_of(connection: Connection, message_id: str) -> bytes | None:
    value = await connection.fetchval(
        "SELECT coalesce((SELECT string_agg(content, ''::bytea ORDER BY part)"
        " FROM message_bodies WHERE message_id = $1), body) FROM messages WHERE id = $1",
        message_id,
    )
    return None if value is None else bytes(value)
