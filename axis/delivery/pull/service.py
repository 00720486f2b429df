"""The pull road as one service: list, long-poll, fetch, confirm and acknowledge.

The native API (``/api/v1/inbox``, ``GET /api/v1/messages/{id}``, ``.../ack``,
and the batch road ``POST /api/v1/inbox/fetch`` and ``/api/v1/inbox/ack``)
and the VXP surface (``getReceivedEdocList``, ``getEdoc``, ``updateStatus``)
both call this, so a message fetched through one door is delivered for the
other, and every fetch and ack is written the same way: through a group
committer, audited by :mod:`axis.delivery.trail`.

Fetching the bytes is what "delivered" means for a pull recipient; the
sender may read its own message too, which changes nothing. A confirmation
(VXP ``processing``) says the recipient has the message whichever road it
was meant to take. An ack ends the delivery; acking again changes nothing
and answers the first ack.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import asyncpg

from axis.delivery.pull import inbox
from axis.delivery.pull.events import (
    AckState,
    Delivered,
    DeliveryEvent,
    EventOutcome,
    Transition,
    write_events,
    write_events_unflushed,
)
from axis.delivery.pull.inbox import InboxPage, MessageNotFound
from axis.delivery.pull.waiters import InboxWaiters
from axis.errors import AxisError
from axis.retention.months import Month
from axis.storage import bodies, sql
from axis.storage.database import Pool
from axis.storage.group_commit import GroupCommitter
from axis.vocabulary import DeliveryMode, MessageKind, TransportState

AckResult = Literal["done", "fail"]

# Messages per batch fetch or ack: one group-commit batch's worth.
MAX_BATCH = 100
# Bytes of bodies per batch fetch answer; the messages past it are fetched alone.
MAX_BATCH_BYTES = 32 * 2**20


@dataclass(frozen=True, slots=True)
class BatchItem:
    """One message of a batch fetch: its exact bytes, or why not. ``missing``: no
    message the caller may read; neither body nor missing: past the batch's byte
    budget (nothing marked), to be fetched alone."""

    message_id: str
    body: bytes | None = None
    missing: bool = False


@dataclass(frozen=True, slots=True)
class AckOrder:
    """One ack of a batch, as the single ack's body says it."""

    message_id: str
    result: AckResult = "done"
    reason: str | None = None


def _may_read(row: asyncpg.Record | None, organ_id: str) -> bool:
    """The sender and the recipients may read a message; nobody else learns it exists."""
    return (
        row is not None
        and row["sender_id"] is not None
        and (row["delivery_id"] is not None or row["sender_id"] == organ_id)
    )


def _marks_delivered(row: asyncpg.Record) -> bool:
    """Reading the bytes delivers a queued pull delivery; anything else it leaves alone."""
    return (
        row["delivery_id"] is not None
        and row["mode"] == DeliveryMode.PULL
        and row["transport_state"] == TransportState.QUEUED
    )


async def purged(pool: Pool, message_id: str) -> MessagePurged:
    """The error for a body gone by retention (axis.retention.purge), naming its bundle."""
    purge = await pool.fetchrow(
        sql.query("retention_purge_for_message"), str(Month.of_message(message_id))
    )
    if purge is None:
        return MessagePurged(message_id, None, None, None)
    return MessagePurged(message_id, purge["purged_at"], purge["archived_at"], purge["bundle"])


class MessagePurged(AxisError):
    """The message's body was purged after its retention period; its record stays."""

    code = "message.purged"

    def __init__(
        self,
        message_id: str,
        purged_at: datetime | None,
        archived_at: datetime | None,
        bundle: str | None,
    ) -> None:
        when = "" if purged_at is None else f" on {purged_at.isoformat()}"
        if bundle is None:
            where = "it was purged without an archive bundle"
        else:
            archived = "" if archived_at is None else f" on {archived_at.isoformat()}"
            where = f"it was archived{archived} in the bundle {bundle}"
        super().__init__(
            f"The body of message {message_id} was purged{when} after its retention period; "
            f"{where}. Its tracking and statuses are still on record."
        )
        self.problem_fields: dict[str, Any] = {
            "purged_at": None if purged_at is None else purged_at.isoformat(),
            "archived_at": None if archived_at is None else archived_at.isoformat(),
            "bundle": bundle,
        }


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    message_id: str
    organ_id: str
    acked_at: datetime
    result: str

    def body(self) -> dict[str, Any]:
        return {
            "id": self.message_id,
            "organ_id": self.organ_id,
            "transport_state": TransportState.ACKED.value,
            "acked_at": self.acked_at.isoformat(),
            "result": self.result,
        }


class PullDelivery:
    def __init__(self, pool: Pool, *, batch_size: int = 100) -> None:
        self._pool = pool
        self.waiters = InboxWaiters(pool)
        # A fetch mark lost in a crash only lists the message again until it is
        # acked, so fetches commit without waiting for the disk (see events).
        self._fetches: GroupCommitter[DeliveryEvent, EventOutcome] = GroupCommitter(
            pool, write_events_unflushed, batch_size=batch_size, writers=1, name="fetch"
        )
        self._durable: GroupCommitter[DeliveryEvent, EventOutcome] = GroupCommitter(
            pool, write_events, batch_size=batch_size, name="pull"
        )

    async def close(self) -> None:
        await self._fetches.close()
        await self._durable.close()
        await self.waiters.close()

    async def page(
        self,
        organ_id: str,
        kind: MessageKind | None = None,
        *,
        limit: int = 100,
        cursor: str | None = None,
        wait: float = 0.0,
    ) -> InboxPage:
        """A page of the inbox; when empty and ``wait`` > 0, waits that long for an arrival."""
        return await inbox.page_or_wait(
            self._pool, self.waiters, organ_id, kind, limit=limit, cursor=cursor, wait=wait
        )

    async def fetch(self, message_id: str, organ_id: str) -> bytes:
        """The exact bytes, whole in memory: :meth:`open`, for callers that need them so."""
        return await bodies.read_whole(self._pool, await self.open(message_id, organ_id))

    async def open(self, message_id: str, organ_id: str) -> bodies.StoredBody:
        """The exact bytes, for the sender or a recipient; a pull fetch marks it delivered.

        What comes back is the body's first piece (all of a small one) and its size;
        :func:`axis.storage.bodies.pieces` reads the rest, one piece at a time. No
        connection is held while the fetch mark waits for its batch.
        """
        row = await self._pool.fetchrow(sql.query("message_access"), message_id, organ_id)
        if row is None or not _may_read(row, organ_id):
            raise MessageNotFound(f"No message {message_id!r} that {organ_id} may read.")
        if _marks_delivered(row):
            await self._fetches.submit(DeliveryEvent(Transition.DELIVER, message_id, organ_id))
        if row["first"] is None:
            raise await purged(self._pool, message_id)
        return bodies.StoredBody(message_id, row["size"], bytes(row["first"]))

    async def fetch_many(
        self, message_ids: Sequence[str], organ_id: str, *, max_bytes: int = MAX_BATCH_BYTES
    ) -> list[BatchItem]:
        """:meth:`fetch` of many messages in one query, each id once, in the order asked.

        The fetch marks go to the same group committer as single fetches, all
        at once, so a batch costs about one commit, and the answer waits for them
        as a single fetch does.
        """
        asked = list(dict.fromkeys(message_ids))
        rows = await self._pool.fetch(sql.query("message_access_batch"), asked, organ_id, max_bytes)
        items: list[BatchItem] = []
        marks: list[DeliveryEvent] = []
        for row in rows:
            message_id = row["message_id"]
            if not _may_read(row, organ_id):
                items.append(BatchItem(message_id, missing=True))
            elif row["body"] is None:
                items.append(BatchItem(message_id))
            else:
                if _marks_delivered(row):
                    marks.append(DeliveryEvent(Transition.DELIVER, message_id, organ_id))
                items.append(BatchItem(message_id, bytes(row["body"])))
        await asyncio.gather(*(self._fetches.submit(mark) for mark in marks))
        return items

    async def confirm(self, message_id: str, organ_id: str) -> None:
        """The recipient says it has the message (not finished with it): delivered, any road."""
        outcome = await self._durable.submit(
            DeliveryEvent(Transition.DELIVER, message_id, organ_id, confirmed=True)
        )
        assert isinstance(outcome, Delivered)
        if not outcome.found:
            raise MessageNotFound(f"No message {message_id!r} was delivered to {organ_id}.")

    async def acknowledge(
        self,
        message_id: str,
        organ_id: str,
        *,
        result: AckResult = "done",
        reason: str | None = None,
    ) -> Acknowledgement:
        """Ends the caller's delivery of the message; acking again changes nothing."""
        state = await self._durable.submit(
            DeliveryEvent(Transition.ACK, message_id, organ_id, result=result, reason=reason)
        )
        acknowledgement = self._acknowledged(state, message_id, organ_id, result)
        if acknowledgement is None:
            raise MessageNotFound(f"No message {message_id!r} addressed to {organ_id}.")
        return acknowledgement

    async def acknowledge_many(
        self, orders: Sequence[AckOrder], organ_id: str
    ) -> list[Acknowledgement | None]:
        """:meth:`acknowledge` of many messages, through one group commit when they fit;
        None for a message not addressed to the caller."""
        states = await asyncio.gather(
            *(
                self._durable.submit(
                    DeliveryEvent(
                        Transition.ACK, order.message_id, organ_id,
                        result=order.result, reason=order.reason,
                    )
                )
                for order in orders
            )
        )  # fmt: skip
        return [
            self._acknowledged(state, order.message_id, organ_id, order.result)
            for order, state in zip(orders, states, strict=True)
        ]

    @staticmethod
    def _acknowledged(
        state: EventOutcome, message_id: str, organ_id: str, result: AckResult
    ) -> Acknowledgement | None:
        assert isinstance(state, AckState)
        if state.acked_at is None:
            return None
        return Acknowledgement(message_id, organ_id, state.acked_at, state.result or result)
