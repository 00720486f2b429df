"""Deliveries for operators: list them, send a dead one back, or discard it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from axis.audit import chain as audit
from axis.errors import AxisError
from axis.storage import sql
from axis.storage.database import Pool

STATES = ("queued", "retrying", "delivered", "acked", "dead", "discarded")


class DeliveryNotFound(AxisError):
    """No delivery has this id."""


class DeliveryNotDead(AxisError):
    """Only a dead delivery can be retried or discarded."""


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    id: int
    message_id: str
    recipient_id: str
    kind: str
    mode: str
    transport_state: str
    priority: int
    attempts: int
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime
    delivered_at: datetime | None
    endpoint_url: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "message_id": self.message_id,
            "recipient": self.recipient_id,
            "kind": self.kind,
            "mode": self.mode,
            "transport_state": self.transport_state,
            "priority": self.priority,
            "attempts": self.attempts,
            "last_error": self.last_error,
            "created_at": self.created_at.isoformat(),
            "next_attempt_at": self.next_attempt_at.isoformat(),
            "delivered_at": None if self.delivered_at is None else self.delivered_at.isoformat(),
            "endpoint_url": self.endpoint_url,
        }


def _row(record: asyncpg.Record) -> DeliveryRow:
    return DeliveryRow(**{name: record[name] for name in DeliveryRow.__slots__})


async def list_deliveries(
    pool: Pool, state: str | None = "dead", after_id: int = 0, limit: int = 100
) -> list[DeliveryRow]:
    rows = await pool.fetch(sql.query("delivery_list"), state, after_id, limit)
    return [_row(row) for row in rows]


async def _change(pool: Pool, delivery_id: int, actor: str, action: str, query: str) -> None:
    async with pool.acquire() as connection, connection.transaction():
        row = await connection.fetchrow(sql.query("delivery_lock"), delivery_id)
        if row is None:
            raise DeliveryNotFound(f"No delivery has id {delivery_id}.")
        if row["transport_state"] != "dead":
            raise DeliveryNotDead(
                f"Delivery {delivery_id} is {row['transport_state']}, not dead: "
                "only a dead delivery can be retried or discarded."
            )
        await connection.execute(sql.query(query), delivery_id)
        await audit.append(
            connection,
            audit.AuditEntry(
                actor,
                action,
                row["message_id"],
                {
                    "delivery_id": delivery_id,
                    "recipient": row["recipient_id"],
                    "attempts": row["attempts"],
                },
            ),
        )


async def retry(pool: Pool, delivery_id: int, *, actor: str = "operator") -> None:
    """Back to ``queued``, due now, attempts kept, with a fresh retry budget."""
    await _change(pool, delivery_id, actor, "delivery.retry", "delivery_requeue")


async def discard(pool: Pool, delivery_id: int, *, actor: str = "operator") -> None:
    await _change(pool, delivery_id, actor, "delivery.discard", "delivery_discard")
