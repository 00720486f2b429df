"""Tracking: what became of a message, per recipient, for its sender.

One row per recipient: its transport state (queued, relayed, delivered,
acked, retrying, dead), for a recipient beyond a peer axis the peer it is
relayed through (``via``), the business statuses it sent back, and what later
documents did to its copy (revoked, replaced, updated). A recall (13) from
the sender is listed under every recipient, so each timeline reads whole.
``acts_on`` names the (first) document this one revokes, updates or
replaces, ``acts_on_documents`` all of them (a replacement may replace
several); ``acted_on_by`` the later documents that act on this one.
``story`` is the document's life after sending as one timeline: the recall
dialogue (13, then 15 or 16 from each recipient) and the revocations,
updates and replacements, in the order they happened.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from axis.delivery.pull.inbox import MessageNotFound, copy_state, signature_field
from axis.storage import sql
from axis.storage.database import Pool
from envelope import StatusCode

BUSINESS_NAMES = {1: "revocation", 2: "update", 3: "replacement"}
# The recall dialogue: the sender asks (13), each recipient agrees (15) or refuses (16).
RECALL_CODES = frozenset({"13", "15", "16"})


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _description(code: str, text: str) -> str:
    if text:
        return text
    try:
        return StatusCode(code).vietnamese_name
    except ValueError:
        return ""


def story(
    statuses: Sequence[asyncpg.Record], acting: Sequence[asyncpg.Record]
) -> list[dict[str, Any]]:
    """The recall dialogue and the acting documents of one document, oldest first."""
    events: list[tuple[datetime, dict[str, Any]]] = [
        (
            status["received_at"],
            {
                "event": "status",
                "code": status["status_code"],
                "description": _description(status["status_code"], status["description"]),
                "from": status["from_id"],
                "message_id": status["status_message_id"],
                "at": _iso(status["received_at"]),
            },
        )
        for status in statuses
        if status["status_code"] in RECALL_CODES
    ]
    events.extend(
        (
            row["accepted_at"],
            {
                "event": BUSINESS_NAMES.get(row["business_type"], "update"),
                "code": None,
                "description": "",
                "from": None,
                "message_id": row["id"],
                "document_id": row["document_id"],
                "recipients": list(row["recipients"]),
                "at": _iso(row["accepted_at"]),
            },
        )
        for row in acting
    )
    events.sort(key=lambda event: event[0])
    return [event for _, event in events]


def _recipient(
    delivery: asyncpg.Record,
    statuses: Sequence[asyncpg.Record],
    acting: Sequence[asyncpg.Record],
    sender: str,
) -> dict[str, Any]:
    recipient = delivery["recipient_id"]
    timeline = [
        {
            "code": status["status_code"],
            "description": _description(status["status_code"], status["description"]),
            "at": _iso(status["status_at"] or status["received_at"]),
            "received_at": _iso(status["received_at"]),
            "from": status["from_id"],
            "message_id": status["status_message_id"],
        }
        for status in statuses
        if status["from_id"] == recipient
        or (status["from_id"] == sender and status["status_code"] == "13")
    ]
    actions = [(row["business_type"], row["id"], row["recipients"]) for row in acting]
    return {
        "organ_id": recipient,
        "transport_state": delivery["transport_state"],
        # The peer axis a recipient beyond this one is relayed through (None when local).
        "via": delivery["via"],
        "attempts": delivery["attempts"],
        "last_error": delivery["last_error"],
        "delivered_at": _iso(delivery["delivered_at"]),
        "acked_at": _iso(delivery["acked_at"]),
        "business_status": delivery["business_status"],
        "statuses": timeline,
        **copy_state(actions, recipient).body(),
    }


def _link(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "id": row["id"],
        "document_id": row["document_id"],
        "business_type": BUSINESS_NAMES.get(row["business_type"] or 0),
        "recipients": list(row["recipients"]),
    }


async def tracking(pool: Pool, message_id: str, organ_id: str) -> dict[str, Any]:
    """The tracking document of ``message_id``; only its sender may see it."""
    async with pool.acquire() as connection:
        message = await connection.fetchrow(sql.query("tracking_message"), message_id)
        if message is None or message["sender_id"] != organ_id:
            raise MessageNotFound(f"No message {message_id!r} sent by {organ_id}.")
        deliveries = await connection.fetch(sql.query("tracking_deliveries"), message_id)
        statuses = await connection.fetch(sql.query("tracking_statuses"), message_id)
        acting = await connection.fetch(sql.query("tracking_acting_documents"), message_id)
        acted_on = await connection.fetch(sql.query("tracking_acted_on"), message_id)
        seal = await connection.fetchval(sql.query("tracking_seal"), message_id)
    first = next((row for row in acted_on if row["id"] == message["acts_on_message_id"]), None)
    return {
        "id": message["id"],
        "kind": message["kind"],
        "document_id": message["document_id"],
        "accepted_at": _iso(message["accepted_at"]),
        "business_type": BUSINESS_NAMES.get(message["business_type"] or 0, "new")
        if message["kind"] == "edoc"
        else None,
        "signature": signature_field(seal),
        "recipients": [_recipient(d, statuses, acting, organ_id) for d in deliveries],
        "acts_on": None
        if first is None
        else {
            "id": first["id"],
            "document_id": first["document_id"],
            "business_type": BUSINESS_NAMES.get(message["business_type"] or 0),
        },
        "acts_on_documents": [_link(row) for row in acted_on],
        "acted_on_by": [{**_link(row), "accepted_at": _iso(row["accepted_at"])} for row in acting],
        "story": story(statuses, acting),
    }
