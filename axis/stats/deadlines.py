"""Deadlines of a delivered document, and the lists of overdue ones.

Two deadlines per delivery (one recipient of one document):

* Receipt: the recipient's first status (01, or any later code, or 02) is
  due ``AXIS_RECEIPT_DEADLINE_WORKING_DAYS`` working days (default 1) after
  the document was delivered to it (fetched or pushed), counted as in
  :mod:`axis.working_days`. A document not delivered yet has no receipt
  deadline: the recipient cannot answer what it does not have.
* DueDate: when the sender set ``DueDate``, the recipient must reach 06
  (handling finished) by the end of that day in Vietnam (24:00
  Asia/Ho_Chi_Minh). A 02 (rejected) or a 15 (recall agreed) also closes the
  document: nothing more is owed on it.

Deadlines are met by the time the axis *received* the status, never by the
``Timestamp`` written in the status (the recipient could backdate it). A
delivery the operators discarded owes nothing.

A delivery is overdue while a deadline has passed and it is still open;
the lists show those, earliest deadline first, from ``delivery_facts``
(refreshed every ``AXIS_STATS_REFRESH_SECONDS``; each page says when). The
statistics (:mod:`axis.stats.figures`) also count deliveries answered late.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

from axis.stats import figures as stats
from axis.stats.figures import StatsError
from axis.storage import cursors, sql
from axis.storage.database import Pool

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


class InvalidCursor(StatsError):
    """The cursor is not one this axis handed out."""

    code = "query.invalid_cursor"


@dataclass(frozen=True, slots=True)
class OverdueItem:
    delivery_id: int
    message_id: str
    document_id: str
    code_number: str
    code_notation: str
    subject: str
    sender_id: str
    sender_name: str
    recipient_id: str
    recipient_name: str
    sent_at: datetime
    delivered_at: datetime | None
    due_date: date | None
    due_deadline: datetime | None
    receipt_deadline: datetime | None
    answered_at: datetime | None
    accepted_at: datetime | None
    overdue_since: datetime
    receipt_overdue: bool
    due_date_overdue: bool

    def as_json(self) -> dict[str, Any]:
        def iso(value: datetime | date | None) -> str | None:
            return None if value is None else value.isoformat()

        return {
            "delivery_id": self.delivery_id,
            "message_id": self.message_id,
            "document_id": self.document_id,
            "code_number": self.code_number,
            "code_notation": self.code_notation,
            "subject": self.subject,
            "sender_id": self.sender_id,
            "sender_name": self.sender_name,
            "recipient_id": self.recipient_id,
            "recipient_name": self.recipient_name,
            "sent_at": iso(self.sent_at),
            "delivered_at": iso(self.delivered_at),
            "due_date": iso(self.due_date),
            "due_deadline": iso(self.due_deadline),
            "receipt_deadline": iso(self.receipt_deadline),
            "answered_at": iso(self.answered_at),
            "accepted_at": iso(self.accepted_at),
            "overdue_since": iso(self.overdue_since),
            "receipt_overdue": self.receipt_overdue,
            "due_date_overdue": self.due_date_overdue,
        }


@dataclass(frozen=True, slots=True)
class OverduePage:
    items: list[OverdueItem]
    next_cursor: str | None
    total: int
    receipt: int
    due_date: int


def _item(row: Any) -> OverdueItem:
    return OverdueItem(
        delivery_id=row["delivery_id"], message_id=row["message_id"],
        document_id=row["document_id"], code_number=row["code_number"],
        code_notation=row["code_notation"], subject=row["subject"],
        sender_id=row["sender_id"], sender_name=row["sender_name"],
        recipient_id=row["recipient_id"], recipient_name=row["recipient_name"],
        sent_at=row["sent_at"], delivered_at=row["delivered_at"], due_date=row["due_date"],
        due_deadline=row["due_deadline"], receipt_deadline=row["receipt_deadline"],
        answered_at=row["answered_at"], accepted_at=row["accepted_at"],
        overdue_since=row["next_deadline"], receipt_overdue=row["receipt_overdue"],
        due_date_overdue=row["due_date_overdue"],
    )  # fmt: skip


def _encode(item: OverdueItem) -> str:
    return cursors.encode(item.overdue_since, item.delivery_id)


def _decode(cursor: str) -> tuple[datetime, int]:
    try:
        moment, delivery_id = cursors.decode(cursor, datetime, int)
    except ValueError:
        raise InvalidCursor(f"The cursor {cursor!r} is not one this axis handed out.") from None
    return moment, delivery_id


async def scope(
    pool: Pool,
    viewer: str | None,
    *,
    side: Literal["sent", "received"] = "sent",
    sender: str | None = None,
    recipient: str | None = None,
) -> tuple[list[str] | None, list[str] | None]:
    """Whose overdue deliveries a caller may list: (senders, recipients); None is any.

    An operator (``viewer`` None) sees all, narrowed by ``sender``/``recipient``. An
    agency sees its subtree's ``side``: it may narrow that side to one of its units
    (:class:`axis.stats.figures.OutsideSubtree` otherwise), never widen it, and filter the
    other side freely.
    """
    if viewer is None:
        return ([sender] if sender else None), ([recipient] if recipient else None)
    mine = await stats.subtree(pool, viewer)
    named = sender if side == "sent" else recipient
    if named is not None:
        await stats.require_visible(pool, named, viewer)
    if side == "sent":
        return ([sender] if sender else mine), ([recipient] if recipient else None)
    return ([sender] if sender else None), ([recipient] if recipient else mine)


async def overdue(
    pool: Pool,
    *,
    senders: Collection[str] | None,
    recipients: Collection[str] | None,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
    now: datetime | None = None,
) -> OverduePage:
    """Overdue deliveries whose sender is in ``senders`` and recipient in ``recipients``.

    ``None`` means any. Keyset-paginated on (earliest open deadline, delivery).
    """
    after_at, after_id = _decode(cursor) if cursor else (None, None)
    moment = now or datetime.now(UTC)
    senders_list = None if senders is None else list(senders)
    recipients_list = None if recipients is None else list(recipients)
    async with pool.acquire() as connection:
        rows = await connection.fetch(
            sql.query("stats_overdue"), moment, senders_list, recipients_list, after_at,
            after_id, limit + 1,
        )  # fmt: skip
        counts = await connection.fetchrow(
            sql.query("stats_overdue_count"), moment, senders_list, recipients_list
        )
    assert counts is not None
    items = [_item(row) for row in rows[:limit]]
    next_cursor = _encode(items[-1]) if len(rows) > limit else None
    return OverduePage(
        items, next_cursor, int(counts["total"]), int(counts["receipt"]), int(counts["due_date"])
    )
