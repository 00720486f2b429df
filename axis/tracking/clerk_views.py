"""Read models of the clerks' pages: what an agency sent and received.

Every query is scoped to the clerk's agency; lists use keyset pagination
(a cursor from the last row shown), so page 1,000 costs what page 1 costs.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from axis.delivery.pull.inbox import CopyState, copy_state, copy_states
from axis.delivery.pull.service import purged
from axis.storage import sql
from axis.storage.database import Pool
from axis.tracking.report import story

# How a clerk reads what a later document did to a copy, and each step of its story.
COPY_NAMES = {
    "revoked_by": "Đã thu hồi",
    "replaced_by": "Đã được thay thế",
    "updated_by": "Đã được cập nhật",
}
EVENT_NAMES = {"revocation": "Thu hồi", "update": "Cập nhật", "replacement": "Thay thế"}

PAGE_SIZE = 50
TRANSPORT_STATES = ("queued", "delivered", "acked", "retrying", "dead", "discarded")
TRANSPORT_STATE_NAMES = {
    "queued": "Đang chờ gửi",
    "delivered": "Đã chuyển",
    "acked": "Đã nhận",
    "retrying": "Đang gửi lại",
    "dead": "Gửi không thành công",
    "discarded": "Đã huỷ gửi",
}


def status_name(code: str | None) -> str:
    """The Vietnamese name of a status code, from the envelope's StatusCode."""
    if code is None:
        return ""
    from envelope import StatusCode  # noqa: PLC0415 - keeps the page import light

    try:
        return StatusCode(code).vietnamese_name
    except ValueError:
        return f"Mã {code}"


def status_codes() -> list[tuple[str, str]]:
    from envelope import StatusCode  # noqa: PLC0415

    return [(code.value, code.vietnamese_name) for code in StatusCode]


@dataclass(frozen=True, slots=True)
class SentFilters:
    date_from: datetime | None = None
    date_to: datetime | None = None
    recipient_id: str | None = None
    transport_state: str | None = None
    status_code: str | None = None
    search: str | None = None


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[dict[str, Any]]
    next_cursor: str | None


def _encode_cursor(*parts: str) -> str:
    return base64.urlsafe_b64encode("\x1f".join(parts).encode()).decode()


def _decode_cursor(cursor: str | None) -> list[str] | None:
    if not cursor:
        return None
    try:
        return base64.urlsafe_b64decode(cursor.encode()).decode().split("\x1f")
    except ValueError:
        return None


async def sent_documents(
    pool: Pool, organ_id: str, filters: SentFilters, cursor: str | None = None,
    limit: int = PAGE_SIZE,
) -> Page:  # fmt: skip
    after_at: datetime | None = None
    after_id: str | None = None
    decoded = _decode_cursor(cursor)
    if decoded is not None and len(decoded) == 2:
        try:
            after_at, after_id = datetime.fromisoformat(decoded[0]), decoded[1]
        except ValueError:
            after_at = None
    async with pool.acquire() as connection:
        records = await connection.fetch(
            sql.query("ui_sent_documents"), organ_id, after_at, after_id,
            filters.date_from, filters.date_to, filters.search or None,
            filters.recipient_id or None, filters.transport_state or None,
            filters.status_code or None, limit + 1,
        )  # fmt: skip
    rows = [dict(record) for record in records[:limit]]
    for row in rows:
        row["recipients"] = [
            {**r, "status_name": status_name(r["business_status"])} for r in row["recipients"] or []
        ]
    next_cursor = None
    if len(records) > limit:
        last = rows[-1]
        next_cursor = _encode_cursor(last["accepted_at"].isoformat(), last["id"])
    return Page(rows, next_cursor)


async def received_documents(
    pool: Pool, organ_id: str, search: str | None = None, cursor: str | None = None,
    limit: int = PAGE_SIZE,
) -> Page:  # fmt: skip
    decoded = _decode_cursor(cursor)
    after_id = int(decoded[0]) if decoded and decoded[0].isdigit() else None
    async with pool.acquire() as connection:
        records = await connection.fetch(
            sql.query("ui_received_documents"), organ_id, after_id, search or None, limit + 1
        )
    copies = await copy_states(pool, organ_id, [record["id"] for record in records[:limit]])
    rows = [
        {
            **dict(record),
            "status_name": status_name(record["business_status"]),
            "acted": _copy(copies.get(record["id"], CopyState())),
        }
        for record in records[:limit]
    ]
    next_cursor = _encode_cursor(str(rows[-1]["delivery_id"])) if len(records) > limit else None
    return Page(rows, next_cursor)


async def document(pool: Pool, organ_id: str, message_id: str) -> dict[str, Any] | None:
    """The document with its per-recipient rows and timelines; None if not this agency's."""
    async with pool.acquire() as connection:
        head = await connection.fetchrow(sql.query("ui_document"), message_id, organ_id)
        if head is None:
            return None
        # A recipient sees only its own row and statuses; the sender sees all.
        only = None if head["sent_by_me"] else organ_id
        deliveries = await connection.fetch(sql.query("ui_document_deliveries"), message_id, only)
        statuses = await connection.fetch(
            sql.query("ui_document_statuses"), message_id, only, head["sender_id"]
        )
        recall = await connection.fetch(sql.query("tracking_statuses"), message_id)
        acting = await connection.fetch(sql.query("tracking_acting_documents"), message_id)
        acted_on = await connection.fetch(sql.query("tracking_acted_on"), message_id)
    timeline: dict[str, list[dict[str, Any]]] = {}
    everyone: list[dict[str, Any]] = []
    for status in statuses:
        # A recall (13) comes from the sender and concerns every recipient.
        from_sender = status["from_id"] == head["sender_id"]
        target = everyone if from_sender else timeline.setdefault(status["from_id"], [])
        target.append(
            {
                "id": status["id"],
                "status_code": status["status_code"],
                "status_name": status_name(status["status_code"]),
                "description": status["description"],
                "status_at": _iso(status["status_at"]),
                "received_at": _iso(status["received_at"]),
            }
        )
    actions = [(row["business_type"], row["id"], row["recipients"]) for row in acting]
    recipients = [
        {
            "recipient_id": d["recipient_id"],
            "recipient_name": d["recipient_name"],
            "transport_state": d["transport_state"],
            "transport_state_name": TRANSPORT_STATE_NAMES.get(d["transport_state"], ""),
            "business_status": d["business_status"],
            "status_name": status_name(d["business_status"]),
            "last_error": d["last_error"],
            "timeline": sorted(
                [*timeline.get(d["recipient_id"], []), *everyone], key=lambda s: s["id"]
            ),
            "acted": _copy(copy_state(actions, d["recipient_id"])),
        }
        for d in deliveries
    ]
    return {
        **dict(head),
        "recipients": recipients,
        "acted": None if only is None else _copy(copy_state(actions, organ_id)),
        "acts_on": [{"id": row["id"], "document_id": row["document_id"]} for row in acted_on],
        "story": _story(story(recall, acting), only, head["sender_id"]),
    }


def _copy(state: CopyState) -> dict[str, Any]:
    """A copy's state as the pages show it: each mark with the document that made it."""
    marks = [
        {"name": name, "message_id": message_id}
        for field_name, name in COPY_NAMES.items()
        if (message_id := getattr(state, field_name)) is not None
    ]
    return {**state.body(), "marks": marks}


def _story(events: list[dict[str, Any]], only: str | None, sender_id: str) -> list[dict[str, Any]]:
    """The story as a clerk sees it; a recipient sees its own part and the sender's."""
    shown = []
    for event in events:
        if only is not None:
            if event["event"] == "status" and event["from"] not in (only, sender_id):
                continue
            if event["event"] != "status" and only not in event["recipients"]:
                continue
        name = status_name(event["code"]) if event["event"] == "status" else ""
        shown.append({**event, "name": name or EVENT_NAMES.get(event["event"], "")})
    return shown


async def document_body(pool: Pool, organ_id: str, message_id: str) -> tuple[bytes, str] | None:
    """The envelope for the clerk's download; a purged body raises MessagePurged."""
    async with pool.acquire() as connection:
        row = await connection.fetchrow(sql.query("ui_document_body"), message_id, organ_id)
    if row is None:
        return None
    if row["body"] is None:
        raise await purged(pool, message_id)
    return bytes(row["body"]), row["document_id"]


async def agency_names(pool: Pool) -> dict[str, str]:
    async with pool.acquire() as connection:
        rows = await connection.fetch(sql.query("ui_agency_names"))
    return {row["organ_id"]: row["name"] for row in rows}


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()
