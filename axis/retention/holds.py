"""Legal holds: what an operator says must not be purged, with who and why.

A hold is placed on a document and covers what is linked to it (see the
``retention_held_messages`` block): the documents acting on it or that it
acts on, and their statuses, including ones that arrive after the hold.
Placing and lifting are audited with the reason in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from axis.audit.chain import AuditEntry, append
from axis.errors import AxisError
from axis.storage import sql
from axis.storage.database import Connection, Pool
from axis.vocabulary import AuditAction, MessageKind


class HoldRefused(AxisError):
    """The hold cannot be placed or lifted."""

    code = "retention.hold_refused"


class UnknownDocument(HoldRefused):
    code = "retention.unknown_document"


@dataclass(frozen=True, slots=True)
class Hold:
    message_id: str
    sender_id: str
    document_id: str
    reason: str
    placed_by: str
    placed_at: datetime


def _reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise HoldRefused("A hold is placed and lifted with a reason; give one.")
    return text


async def place(pool: Pool, message_id: str, reason: str, actor: str, now: datetime) -> bool:
    """Holds a document; False if it was already held (nothing changes then)."""
    text = _reason(reason)
    async with pool.acquire() as connection, connection.transaction():
        target = await connection.fetchrow(sql.query("retention_hold_target"), message_id)
        if target is None:
            raise UnknownDocument(f"No message {message_id!r} is on record: nothing to hold.")
        if target["kind"] != MessageKind.DOCUMENT:
            raise HoldRefused(
                f"Message {message_id!r} is a status: hold the document it answers, "
                "which holds its statuses too."
            )
        placed = await connection.fetchval(
            sql.query("retention_place_hold"), message_id, text, actor, now
        )
        if placed is None:
            return False
        await append(
            connection,
            AuditEntry(actor, AuditAction.RETENTION_HOLD, message_id, {"reason": text}),
        )
    return True


async def lift(pool: Pool, message_id: str, reason: str, actor: str, now: datetime) -> None:
    text = _reason(reason)
    async with pool.acquire() as connection, connection.transaction():
        lifted = await connection.fetchval(
            sql.query("retention_lift_hold"), message_id, actor, now, text
        )
        if lifted is None:
            raise HoldRefused(f"Message {message_id!r} has no hold to lift.")
        await append(
            connection,
            AuditEntry(actor, AuditAction.RETENTION_HOLD_LIFT, message_id, {"reason": text}),
        )


async def active(pool: Pool) -> list[Hold]:
    rows = await pool.fetch(sql.query("retention_active_holds"))
    return [
        Hold(r["message_id"], r["sender_id"], r["document_id"], r["reason"], r["placed_by"],
             r["placed_at"])
        for r in rows
    ]  # fmt: skip


async def held_messages(connection: Connection) -> frozenset[str]:
    """Every message the active holds cover now."""
    rows = await connection.fetch(sql.query("retention_held_messages"))
    return frozenset(row["id"] for row in rows)
