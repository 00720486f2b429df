"""Deliveries for operators: list them, send a dead one back, or discard it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from axis.audit import chain as audit
from axis.delivery import trail
from axis.errors import AxisError
from axis.storage import sql
from axis.storage.database import Pool
from axis.vocabulary import AuditAction, TransportState

# The order operators read them in: waiting, in flight, settled, failed.
STATES: tuple[str, ...] = tuple(
    state.value
    for state in (
        TransportState.QUEUED,
        TransportState.RETRYING,
        TransportState.DELIVERED,
        TransportState.ACKED,
        TransportState.DEAD,
        TransportState.DISCARDED,
    )
)


class DeliveryNotFound(AxisError):
    """No delivery has this id."""

    code = "delivery.not_found"


class DeliveryNotDead(AxisError):
    """Only a dead delivery can be retried or discarded."""

    code = "delivery.not_dead"


class DeliveryBodyPurged(AxisError):
    """The message's body was purged after its retention period: there is nothing to resend."""

    code = "delivery.body_purged"


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
    pool: Pool, state: str | None = TransportState.DEAD, after_id: int = 0, limit: int = 100
) -> list[DeliveryRow]:
    rows = await pool.fetch(sql.query("delivery_list"), state, after_id, limit)
    return [_row(row) for row in rows]


_SENT_BACK = AuditAction.DELIVERY_RETRY
_ENDED = AuditAction.DELIVERY_DISCARD


async def _change(pool: Pool, delivery_id: int, actor: str, action: AuditAction) -> None:
    async with pool.acquire() as connection, connection.transaction():
        row = await connection.fetchrow(sql.query("delivery_lock"), delivery_id)
        if row is None:
            raise DeliveryNotFound(f"No delivery has id {delivery_id}.")
        if row["transport_state"] != TransportState.DEAD:
            raise DeliveryNotDead(
                f"Delivery {delivery_id} is {row['transport_state']}, not dead: "
                "only a dead delivery can be retried or discarded."
            )
        if action is _SENT_BACK and not row["has_body"]:
            raise DeliveryBodyPurged(
                f"Delivery {delivery_id} cannot be retried: the body of message "
                f"{row['message_id']} was purged after its retention period (it can still "
                "be discarded, or restored from its archive bundle with axis archive restore)."
            )
        if action is _SENT_BACK:
            await connection.execute(sql.query("delivery_requeue"), delivery_id)
        else:
            await connection.execute(sql.query("delivery_discard"), delivery_id)
        await audit.append(
            connection,
            trail.operator_action(
                action,
                actor,
                row["message_id"],
                delivery_id=delivery_id,
                recipient_id=row["recipient_id"],
                attempts=row["attempts"],
            ),
        )


async def retry(pool: Pool, delivery_id: int, *, actor: str = "operator") -> None:
    """Back to ``queued``, due now, attempts kept, with a fresh retry budget."""
    await _change(pool, delivery_id, actor, _SENT_BACK)


async def discard(pool: Pool, delivery_id: int, *, actor: str = "operator") -> None:
    """Ends a dead delivery for good (``discarded``); it is never pushed again."""
    await _change(pool, delivery_id, actor, _ENDED)
