"""Tracking: what became of a message, per recipient, for its sender.

One row per recipient: its transport state (queued, delivered, acked,
retrying, dead) and the business statuses it sent back. A recall (13) from
the sender is listed under every recipient, so each timeline reads whole.
``acts_on`` names the document this one revokes, updates or replaces;
``acted_on_by`` the later documents that act on this one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from axis.delivery.pull.inbox import MessageNotFound, signature_field
from axis.storage import sql
from axis.storage.database import Pool
from envelope import StatusCode

_BUSINESS_NAMES = {1: "revocation", 2: "update", 3: "replacement"}


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _description(code: str, text: str) -> str:
    if text:
        return text
    try:
        return StatusCode(code).vietnamese_name
    except ValueError:
        return ""


async def tracking(pool: Pool, message_id: str, organ_id: str) -> dict[str, Any]:
    """The tracking document of ``message_id``; only its sender may see it."""
    async with pool.acquire() as connection:
        message = await connection.fetchrow(sql.query("tracking_message"), message_id)
        if message is None or message["sender_id"] != organ_id:
            raise MessageNotFound(f"No message {message_id!r} sent by {organ_id}.")
        deliveries = await connection.fetch(sql.query("tracking_deliveries"), message_id)
        statuses = await connection.fetch(sql.query("tracking_statuses"), message_id)
        acting = await connection.fetch(sql.query("tracking_acting_documents"), message_id)
        seal = await connection.fetchval(sql.query("tracking_seal"), message_id)
        acts_on = None
        if message["acts_on_message_id"] is not None:
            target = await connection.fetchrow(
                sql.query("tracking_message"), message["acts_on_message_id"]
            )
            if target is not None:
                acts_on = {
                    "id": target["id"],
                    "document_id": target["document_id"],
                    "business_type": _BUSINESS_NAMES.get(message["business_type"] or 0),
                }
    recipients = []
    for delivery in deliveries:
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
            or (status["from_id"] == organ_id and status["status_code"] == "13")
        ]
        recipients.append(
            {
                "organ_id": recipient,
                "transport_state": delivery["transport_state"],
                "attempts": delivery["attempts"],
                "last_error": delivery["last_error"],
                "delivered_at": _iso(delivery["delivered_at"]),
                "acked_at": _iso(delivery["acked_at"]),
                "business_status": delivery["business_status"],
                "statuses": timeline,
            }
        )
    return {
        "id": message["id"],
        "kind": message["kind"],
        "document_id": message["document_id"],
        "accepted_at": _iso(message["accepted_at"]),
        "business_type": _BUSINESS_NAMES.get(message["business_type"] or 0, "new")
        if message["kind"] == "edoc"
        else None,
        "signature": signature_field(seal),
        "recipients": recipients,
        "acts_on": acts_on,
        "acted_on_by": [
            {
                "id": row["id"],
                "document_id": row["document_id"],
                "business_type": _BUSINESS_NAMES.get(row["business_type"] or 0),
                "accepted_at": _iso(row["accepted_at"]),
            }
            for row in acting
        ],
    }
