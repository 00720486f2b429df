"""Pull deliveries and acks, written in batches beside intake's.

A pull recipient's fetch marks its delivery ``delivered``; an ack ends it.
Both are audited. At thousands of messages a second, one transaction (and
one turn on the audit chain's lock) per fetch and per ack would be the
bottleneck, so they travel through intake's group committer and share its
transactions and its one audit append per batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from axis.audit import chain as audit
from axis.storage import sql
from axis.storage.database import Connection


@dataclass(frozen=True, slots=True)
class DeliveryEvent:
    action: Literal["deliver", "ack"]
    message_id: str
    organ_id: str
    result: str = "done"
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class AckState:
    """The delivery after an ack; ``acked_at`` None: no such delivery."""

    acked_at: datetime | None
    result: str | None


async def write_delivery_events(
    connection: Connection, events: Sequence[DeliveryEvent]
) -> tuple[list[AckState | None], list[audit.AuditEntry]]:
    """Applies the events; an ack's outcome is its :class:`AckState`, a fetch's None."""
    entries: list[audit.AuditEntry] = []
    fetches = [e for e in events if e.action == "deliver"]
    acks = [e for e in events if e.action == "ack"]
    if fetches:
        rows = await connection.fetch(
            sql.query("deliveries_mark_fetched_many"),
            [e.message_id for e in fetches],
            [e.organ_id for e in fetches],
        )
        entries.extend(
            audit.AuditEntry(row["recipient_id"], "message.deliver", row["message_id"])
            for row in rows
        )
    states: dict[tuple[str, str], AckState] = {}
    if acks:
        rows = await connection.fetch(
            sql.query("deliveries_ack_many"),
            [e.message_id for e in acks],
            [e.organ_id for e in acks],
            [e.result for e in acks],
            [e.reason for e in acks],
        )
        for row in rows:
            key = (row["message_id"], row["recipient_id"])
            states[key] = AckState(row["acked_at"], row["ack_result"])
            entries.append(
                audit.AuditEntry(
                    key[1],
                    "message.ack",
                    key[0],
                    {"result": row["ack_result"], "reason": row["ack_reason"]},
                )
            )
        missing = [e for e in acks if (e.message_id, e.organ_id) not in states]
        if missing:
            rows = await connection.fetch(
                sql.query("deliveries_of_recipients"),
                [e.message_id for e in missing],
                [e.organ_id for e in missing],
            )
            for row in rows:
                key = (row["message_id"], row["recipient_id"])
                states[key] = AckState(row["acked_at"], row["ack_result"])
    outcomes: list[AckState | None] = [
        states.get((e.message_id, e.organ_id), AckState(None, None)) if e.action == "ack" else None
        for e in events
    ]
    return outcomes, entries
