"""The pull inbox: the listing of what an agency has not acknowledged yet.

Pages list urgent messages first (Priority 4 hỏa tốc hẹn giờ down to 0
thường), oldest first within a priority. They are keyset-paginated on
(priority, delivery id), so a page costs one index range scan however deep
the inbox is, and a pass over the pages lists every message that was there
when it started exactly once. A message that arrives during a pass is listed
later in the same pass when it ranks after the cursor; when it ranks before
(an urgent message arriving after routine pages were read) it is not lost:
it stays in the inbox until acknowledged, so the next pass, which starts
again from the first page, lists it first. Fetching and acking are
:class:`axis.delivery.pull.service.PullDelivery`'s.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from axis.delivery.pull.waiters import MAX_WAIT_SECONDS, InboxWaiters
from axis.errors import AxisError
from axis.storage import cursors, sql
from axis.storage.database import Pool
from axis.vocabulary import MessageKind

MAX_PAGE = 500


class MessageNotFound(AxisError):
    """No such message, or not one the caller may see."""

    code = "message.not_found"


class BadCursor(AxisError):
    """The cursor is not one this inbox handed out."""

    code = "request.invalid_cursor"


@dataclass(frozen=True, slots=True)
class CopyState:
    """What later documents did to one recipient's copy of a document (issue #14): the
    message ids of the revocation, the latest replacement and the latest update."""

    revoked_by: str | None = None
    replaced_by: str | None = None
    updated_by: str | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_by is not None

    def body(self) -> dict[str, Any]:
        return {
            "revoked": self.revoked,
            "revoked_by": self.revoked_by,
            "replaced_by": self.replaced_by,
            "updated_by": self.updated_by,
        }


_ACTION_FIELDS = {1: "revoked_by", 2: "updated_by", 3: "replaced_by"}


Action = tuple[int, str, Sequence[str]]
"""One ``document_actions`` row: business type, acting message id, whose copies."""


def copy_state(actions: Iterable[Action], recipient_id: str) -> CopyState:
    """``recipient_id``'s copy after ``actions`` on one document, oldest first. The first
    revocation counts; a later replacement or update supersedes an earlier one."""
    found: dict[str, str] = {}
    for business_type, acting_message_id, recipients in actions:
        name = _ACTION_FIELDS.get(business_type)
        if name is None or recipient_id not in recipients:
            continue
        if name != "revoked_by" or name not in found:
            found[name] = acting_message_id
    return CopyState(**found)


@dataclass(frozen=True, slots=True)
class InboxItem:
    id: str
    kind: str
    sender_id: str
    document_id: str
    subject: str
    status_code: str | None
    priority: int
    received_at: datetime
    size: int
    sha256: str
    copy: CopyState = CopyState()

    def body(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "from": self.sender_id,
            "document_id": self.document_id,
            "subject": self.subject,
            "status_code": self.status_code,
            "priority": self.priority,
            "received_at": self.received_at.isoformat(),
            "size": self.size,
            "sha256": self.sha256,
            **self.copy.body(),
        }


@dataclass(frozen=True, slots=True)
class InboxPage:
    items: tuple[InboxItem, ...]
    next_cursor: str | None

    def body(self) -> dict[str, Any]:
        return {"items": [item.body() for item in self.items], "next_cursor": self.next_cursor}


MAX_PRIORITY = 4
KINDS: tuple[MessageKind, ...] = tuple(MessageKind)
# Before the first item: every rank (-priority) is above it.
_START = (-MAX_PRIORITY - 1, 0)


def _cursor(priority: int, delivery_id: int) -> str:
    return cursors.encode(priority, delivery_id)


def _cursor_value(cursor: str | None) -> tuple[int, int]:
    """The keyset position (-priority, delivery id) after which the page starts."""
    if not cursor:
        return _START
    # A cursor from the oldest-first inbox is a bare delivery id: going on from
    # the top priority after it repeats some messages but loses none.
    fields = cursor if "." in cursor else f"{MAX_PRIORITY}.{cursor}"
    try:
        priority, delivery_id = cursors.decode(fields, int, int)
    except ValueError:
        priority = -1
    if not 0 <= priority <= MAX_PRIORITY:
        raise BadCursor(f"The cursor {cursor!r} is not one this inbox handed out.")
    return -int(priority), int(delivery_id)


async def page(
    pool: Pool,
    organ_id: str,
    kind: MessageKind | None = None,
    *,
    limit: int = 100,
    cursor: str | None = None,
) -> InboxPage:
    limit = max(1, min(limit, MAX_PAGE))
    rank, after = _cursor_value(cursor)
    kinds = list(KINDS) if kind is None else [kind]
    rows = await pool.fetch(sql.query("inbox_page"), organ_id, kinds, rank, after, limit)
    copies = await copy_states(pool, organ_id, [row["id"] for row in rows if row["kind"] == "edoc"])
    items = tuple(
        InboxItem(
            id=row["id"],
            kind=row["kind"],
            sender_id=row["sender_id"],
            document_id=row["document_id"],
            subject=row["subject"],
            status_code=row["status_code"],
            priority=row["priority"],
            received_at=row["accepted_at"],
            size=row["size"],
            sha256=bytes(row["sha256"]).hex(),
            copy=copies.get(row["id"], CopyState()),
        )
        for row in rows
    )
    next_cursor = (
        _cursor(-rows[-1]["rank"], rows[-1]["delivery_id"]) if len(rows) == limit else None
    )
    return InboxPage(items, next_cursor)


async def copy_states(pool: Pool, organ_id: str, message_ids: list[str]) -> dict[str, CopyState]:
    """Of ``message_ids``, the documents whose copy for ``organ_id`` later documents
    revoked, replaced or updated (absent: untouched)."""
    if not message_ids:
        return {}
    rows = await pool.fetch(sql.query("inbox_acted_on"), message_ids, organ_id)
    by_target: dict[str, list[Action]] = {}
    for row in rows:
        action = (row["business_type"], row["acting_message_id"], row["recipients"])
        by_target.setdefault(row["target_message_id"], []).append(action)
    return {target: copy_state(actions, organ_id) for target, actions in by_target.items()}


async def page_or_wait(
    pool: Pool,
    waiters: InboxWaiters,
    organ_id: str,
    kind: MessageKind | None = None,
    *,
    limit: int = 100,
    cursor: str | None = None,
    wait: float = 0.0,
) -> InboxPage:
    """:func:`page`; when it is empty, first waits up to ``wait`` seconds for an arrival.

    Meant for the first page of a pass: a message that arrives while a later page
    waits is listed by the next pass (see :func:`page` on the order).
    """
    if wait <= 0:
        return await page(pool, organ_id, kind, limit=limit, cursor=cursor)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + min(wait, MAX_WAIT_SECONDS)
    with waiters.watch(organ_id) as arrived:
        while True:
            # Cleared before reading, so a commit during the read still counts.
            arrived.clear()
            found = await page(pool, organ_id, kind, limit=limit, cursor=cursor)
            remaining = deadline - loop.time()
            if found.items or remaining <= 0:
                return found
            try:
                await asyncio.wait_for(arrived.wait(), remaining)
            except TimeoutError:
                return found
