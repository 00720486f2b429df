"""Rows for delivery tests: agencies, a stored message and its delivery.

Writes the rows directly (the intake is tested elsewhere) so the push
worker and the operator tools can be tested on their own.
"""

from __future__ import annotations

import hashlib
import secrets

import asyncpg

from axis.registry.agencies import Registry

_INSERT_MESSAGE = """
INSERT INTO messages (id, kind, sender_id, document_id, body, sha256, size, priority,
                      signer_fingerprint, signature_algorithm)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'test', 'rsa-sha256')
"""

_INSERT_DELIVERY = """
INSERT INTO deliveries (message_id, recipient_id, kind, mode, priority, transport_state,
                        lease_owner, lease_expires_at, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, now() + make_interval(secs => $8),
        now() - make_interval(secs => $9))
RETURNING id
"""


async def add_agency(registry: Registry, organ_id: str, endpoint_url: str | None = None) -> str:
    """Registers an agency; returns its secret."""
    credentials = await registry.add(organ_id, f"Agency {organ_id}", endpoint_url=endpoint_url)
    return credentials.secret


async def add_delivery(
    connection: asyncpg.Connection,
    sender_id: str,
    recipient_id: str,
    *,
    body: bytes | None = None,
    priority: int = 0,
    mode: str = "push",
    state: str = "queued",
    lease_owner: str | None = None,
    lease_seconds: float = 0.0,
    age_seconds: float = 0.0,
) -> tuple[str, int]:
    """A message and its one delivery to ``recipient_id``: (message id, delivery id)."""
    message_id = "m-" + secrets.token_hex(8)
    data = body if body is not None else f"<edXML id='{message_id}'/>".encode()
    await connection.execute(
        _INSERT_MESSAGE,
        message_id,
        "edoc",
        sender_id,
        "doc-" + message_id,
        data,
        hashlib.sha256(data).digest(),
        len(data),
        priority,
    )
    delivery_id = await connection.fetchval(
        _INSERT_DELIVERY,
        message_id,
        recipient_id,
        "edoc",
        mode,
        priority,
        state,
        lease_owner,
        lease_seconds if lease_owner is not None else None,
        age_seconds,
    )
    return message_id, int(delivery_id)


async def delivery_state(connection: asyncpg.Connection, delivery_id: int) -> asyncpg.Record:
    row = await connection.fetchrow(
        "SELECT transport_state, attempts, last_error, lease_owner, next_attempt_at,"
        " delivered_at FROM deliveries WHERE id = $1",
        delivery_id,
    )
    assert row is not None
    return row


async def audit_count(connection: asyncpg.Connection, action: str, subject: str) -> int:
    """How many audit rows record ``action`` on ``subject``."""
    count = await connection.fetchval(
        "SELECT count(*) FROM audit_log WHERE action = $1 AND subject = $2", action, subject
    )
    return int(count)
