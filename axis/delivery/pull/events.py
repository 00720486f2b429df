"""The pull road's two transitions, written in batches: deliver and ack.

``deliver`` marks a delivery ``delivered``: a pull recipient fetched the
bytes, or (``confirmed``) the recipient said it has them (VXP ``updateStatus
processing``), which settles even a push that is waiting to be retried. ``ack``
ends the delivery. Both are audited through :mod:`axis.delivery.trail` in the
transaction that changes the row. At thousands of messages a second one
transaction (and one turn on the audit chain's lock) per fetch and per ack
would be the bottleneck, so they travel through group committers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from axis.audit import chain as audit
from axis.delivery import trail
from axis.storage import sql
from axis.storage.database import Connection
from axis.vocabulary import DeliveryMode


class Transition(StrEnum):
    DELIVER = "deliver"
    ACK = "ack"


@dataclass(frozen=True, slots=True)
class DeliveryEvent:
    transition: Transition
    message_id: str
    organ_id: str
    # deliver: the recipient said it has the message (not merely read it).
    confirmed: bool = False
    # ack:
    result: str = "done"
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Delivered:
    """After a deliver: whether the recipient has a delivery of the message at all."""

    found: bool


@dataclass(frozen=True, slots=True)
class AckState:
    """The delivery after an ack; ``acked_at`` None: no such delivery."""

    acked_at: datetime | None
    result: str | None


EventOutcome = Delivered | AckState


async def _deliver(
    connection: Connection, events: Sequence[DeliveryEvent], entries: list[audit.AuditEntry]
) -> set[tuple[str, str]]:
    """Applies the deliver events; returns the (message, recipient) pairs that have a delivery."""
    if not events:
        return set()
    # One row per delivery, so a repeat within the batch is one transition, audited once.
    confirmed: dict[tuple[str, str], bool] = {}
    for e in events:
        key = (e.message_id, e.organ_id)
        confirmed[key] = confirmed.get(key, False) or e.confirmed
    rows = await connection.fetch(
        sql.query("deliveries_deliver"),
        [key[0] for key in confirmed],
        [key[1] for key in confirmed],
        list(confirmed.values()),
    )
    entries.extend(
        trail.delivered(
            row["message_id"],
            row["recipient_id"],
            via=DeliveryMode(row["mode"]),
            delivery_id=row["id"],
            attempts=row["attempts"],
            last_error=row["last_error"],
        )
        for row in rows
        if row["changed"]
    )
    return {(row["message_id"], row["recipient_id"]) for row in rows}


async def _ack(
    connection: Connection, events: Sequence[DeliveryEvent], entries: list[audit.AuditEntry]
) -> dict[tuple[str, str], AckState]:
    if not events:
        return {}
    first: dict[tuple[str, str], DeliveryEvent] = {}
    for e in events:
        first.setdefault((e.message_id, e.organ_id), e)
    rows = await connection.fetch(
        sql.query("deliveries_ack"),
        [e.message_id for e in first.values()],
        [e.organ_id for e in first.values()],
        [e.result for e in first.values()],
        [e.reason for e in first.values()],
    )
    states: dict[tuple[str, str], AckState] = {}
    for row in rows:
        key = (row["message_id"], row["recipient_id"])
        states[key] = AckState(row["acked_at"], row["ack_result"])
        if row["changed"]:
            entries.append(
                trail.acked(key[0], key[1], result=row["ack_result"], reason=row["ack_reason"])
            )
    return states


async def write_events(
    connection: Connection, events: Sequence[DeliveryEvent]
) -> list[EventOutcome]:
    """Applies a batch of events in the caller's transaction, audited; one outcome each."""
    entries: list[audit.AuditEntry] = []
    found = await _deliver(
        connection, [e for e in events if e.transition is Transition.DELIVER], entries
    )
    states = await _ack(connection, [e for e in events if e.transition is Transition.ACK], entries)
    await audit.append_many(connection, entries)
    return [
        Delivered((e.message_id, e.organ_id) in found)
        if e.transition is Transition.DELIVER
        else states.get((e.message_id, e.organ_id), AckState(None, None))
        for e in events
    ]


async def write_events_unflushed(
    connection: Connection, events: Sequence[DeliveryEvent]
) -> list[EventOutcome]:
    """:func:`write_events` in a transaction whose commit does not wait for the disk.

    Only for fetch marks: one lost in a crash means the message is listed
    again until acked, which the recipient must do anyway; a flush per batch
    would hold the audit chain's lock 1-7 ms instead of ~0.2 ms.
    """
    await connection.execute(sql.query("commit_without_flush"))
    return await write_events(connection, events)
