"""The document operations: send, list, read, acknowledge, track, count.

Every operation works on the same messages and deliveries as the native
API: a VXP ``docId`` is the axis message id, for the sender and for every
recipient alike, so either door can read what the other accepted.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import asyncpg

from axis.boundary import MESSAGE_ID, ORGAN_ID, InputRefused, read_json
from axis.delivery.pull.inbox import MessageNotFound
from axis.delivery.pull.service import MessagePurged, PullDelivery
from axis.intake.refusals import MalformedMessage, Refusal
from axis.intake.service import Intake
from axis.storage import sql
from axis.storage.bodies import StoredBody
from axis.storage.database import Pool
from axis.storage.spool import Body
from axis.vocabulary import MessageKind, ReceivedVia
from axis.vxp import wire
from axis.vxp.authentication import Caller
from envelope import EnvelopeError, FileBytes, parse

logger = logging.getLogger(__name__)

MESSAGE_TYPES: tuple[str, ...] = tuple(MessageKind)
# The SDK reads the whole list in one answer; a bounded page keeps one call
# cheap, and what is not listed now comes once earlier items are finished.
LIST_LIMIT = 1000
SERVICE_TYPE = "eDoc"
# updateStatus values onto what the native ack records; processing only
# says the recipient has the message.
FINAL_RESULTS: dict[str, Literal["done", "fail"]] = {"done": "done", "fail": "fail"}
# Where a large file goes in getEdoc's JSON: a text neither JSON nor base64 can hold.
_FILE_SLOT = "@axis-file@"


def vxp_time(moment: datetime | None) -> str:
    """Times in list items (format UNCERTAIN in the SDK): UTC, ISO 8601, seconds."""
    if moment is None:
        return ""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def message_type(caller: Caller) -> str | None:
    value = (
        caller.parameter("messagetype", MessageKind.DOCUMENT).strip().lower()
        or MessageKind.DOCUMENT
    )
    return value if value in MESSAGE_TYPES else None


def _bad_message_type(caller: Caller, **extra: Any) -> wire.Answer:
    return wire.failure(
        wire.BAD_REQUEST,
        f"messagetype must be 'edoc' or 'status', not {caller.parameter('messagetype')!r}.",
        **extra,
    )


def _document_id(caller: Caller) -> str:
    return MESSAGE_ID.named("docId").check(caller.parameter("docid").strip())


def parse_to(text: str) -> set[str] | None:
    """The ``to`` header: JSON text of a string or an array of codes (or a bare code)."""
    text = text.strip()
    if not text:
        return None
    field = ORGAN_ID.named("to")
    try:
        # A string or an array of codes: two levels are all the SDK ever sends.
        value = read_json(text, field, max_bytes=len(text), max_depth=2, check_strings=False)
    except InputRefused as refused:
        if refused.rule != "not_json":
            raise
        value = text
    if isinstance(value, str):
        return {field.check(value)} if value else None
    if isinstance(value, list):
        return {field.check(str(item)) for item in value if item not in (None, "")} or None
    return {field.check(str(value))}


def _routed_to(body: Body) -> tuple[str, set[str]] | None:
    """The envelope's kind and where it goes, when it can be read at all."""
    try:
        if isinstance(body, bytes):
            envelope: Any = parse(body)
        else:  # a spooled file: read in place, its attachments left out of the tree
            with FileBytes.of(body.file) as source:
                envelope = parse(source)
    except EnvelopeError:
        return None
    if envelope.kind == MessageKind.STATUS:
        return MessageKind.STATUS, {envelope.response_for.organ_id}
    return MessageKind.DOCUMENT, {recipient.organ_id for recipient in envelope.recipients}


async def _refused(
    intake: Intake, caller: Caller, code: str, detail: str, body: Body
) -> wire.Answer:
    """A refusal decided here is recorded like intake's own, then answered."""
    refusal = MalformedMessage(detail, code=code)
    await intake.refuse(refusal, caller.agency.organ_id, body, received_via=ReceivedVia.VXP)
    return wire.failure(wire.BAD_REQUEST, detail, DocId="")


async def send(
    intake: Intake, caller: Caller, body: Body, status_of: Callable[[Refusal], int]
) -> wire.Answer:
    """sendEdoc through the same intake as the native API; a resend gets the same DocId.

    An intake refusal is answered with the status the native API gives it
    (``status_of``, the HTTP surface's table), so both doors say the same.
    """
    expected_hash = caller.parameter("hash-file").strip().lower()
    if not expected_hash:
        return await _refused(
            intake, caller, "vxp.hash_file_missing", "The signed headers carry no hash-file.", body
        )
    if wire.lossy_hex_sha256(body) != expected_hash:
        return await _refused(
            intake, caller, "vxp.hash_file_mismatch", "hash-file does not match the file.", body
        )
    kind = message_type(caller)
    if kind is None:
        return _bad_message_type(caller, DocId="")
    routed = _routed_to(body)
    if routed is not None:
        if routed[0] != kind:
            detail = f"messagetype says {kind!r} but the file is a {routed[0]!r} package."
            return await _refused(intake, caller, "vxp.messagetype_mismatch", detail, body)
        wanted = parse_to(caller.parameter("to"))
        if wanted is not None and wanted != routed[1]:
            detail = (
                f"The 'to' header names {', '.join(sorted(wanted))} but the file is "
                f"addressed to {', '.join(sorted(routed[1]))}."
            )
            return await _refused(intake, caller, "vxp.to_mismatch", detail, body)
    try:
        accepted = await intake.submit(caller.agency, body, received_via=ReceivedVia.VXP)
    except Refusal as refusal:
        answer = f"{refusal.code}: {refusal.detail}"
        return wire.failure(str(status_of(refusal)), answer, DocId="")
    return wire.success("Success", DocId=accepted.id)


async def received_list(pool: Pool, caller: Caller) -> wire.Answer:
    kind = message_type(caller)
    if kind is None:
        return _bad_message_type(caller, data=[])
    rows = await pool.fetch(
        sql.query("vxp_received_list"), caller.agency.organ_id, kind, LIST_LIMIT
    )
    items = [
        {
            "docId": row["message_id"],
            "serviceType": SERVICE_TYPE,
            "messageType": row["kind"],
            "created_time": vxp_time(row["created_at"]),
            "updated_time": vxp_time(row["updated_at"]),
            "from": row["sender_id"],
            "to": row["recipient_id"],
            "status": row["transport_state"],
            "status_desc": row["business_status"] or row["status_code"] or "",
        }
        for row in rows
    ]
    return wire.success(data=items)


async def count_received(pool: Pool, caller: Caller, kind: str) -> wire.Answer:
    """countReceiveEdoc/countReceiveStatus: the operation fixes the kind, so the count
    always equals the length of the matching getReceivedEdocList (up to its page)."""
    count = await pool.fetchval(sql.query("vxp_received_count"), caller.agency.organ_id, kind)
    return wire.success(count=int(count))


@dataclass(frozen=True, slots=True)
class FileAnswer:
    """A large stored file to answer with piece by piece (issue #17): as it is
    (downloadEdoc), or as base64 between ``before`` and ``after`` (getEdoc's JSON)."""

    stored: StoredBody
    before: bytes = b""
    after: bytes = b""
    base64: bool = False


async def read(pull: PullDelivery, caller: Caller) -> StoredBody | None:
    """The exact bytes for the sender or a recipient (the native fetch: it marks delivery)."""
    try:
        return await read_or_purged(pull, caller)
    except MessagePurged:
        # downloadEdoc can say only "nothing" (an empty body); getEdoc says why.
        return None


async def read_or_purged(pull: PullDelivery, caller: Caller) -> StoredBody | None:
    """As :func:`read`, but a purged body raises :class:`MessagePurged`."""
    message_id = _document_id(caller)
    if not message_id:
        return None
    try:
        return await pull.open(message_id, caller.agency.organ_id)
    except MessageNotFound:
        return None


async def download(pull: PullDelivery, caller: Caller) -> bytes | FileAnswer:
    """downloadEdoc: the file itself; nothing when there is no such document."""
    stored = await read(pull, caller)
    if stored is None:
        return b""
    return stored.first if stored.whole else FileAnswer(stored)


async def get(pull: PullDelivery, caller: Caller) -> wire.Answer | FileAnswer:
    """getEdoc: the file as base64 in ``data``; a large one is streamed into that field."""
    try:
        stored = await read_or_purged(pull, caller)
    except MessagePurged as purged:
        # The native 410 message.purged, in the SDK's FAIL shape.
        return wire.failure(wire.GONE, purged.message, data="")
    if stored is None:
        return wire.failure(wire.NOT_FOUND, "No such document for this agency.", data="")
    if stored.whole:
        return wire.success(data=base64.b64encode(stored.first).decode("ascii"))
    before, after = wire.success(data=_FILE_SLOT).encode().split(_FILE_SLOT.encode())
    return FileAnswer(stored, before, after, base64=True)


async def update_status(pull: PullDelivery, caller: Caller) -> wire.Answer:
    """done and fail are the native ack (result done/fail): the delivery is finished and
    leaves the received list; processing only confirms that the recipient has it."""
    message_id = _document_id(caller)
    organ_id = caller.agency.organ_id
    status = caller.parameter("status").strip().lower()
    if status != "processing" and status not in FINAL_RESULTS:
        return wire.failure(
            wire.BAD_REQUEST, f"status must be processing, done or fail, not {status!r}."
        )
    try:
        if status == "processing":
            await pull.confirm(message_id, organ_id)
        else:
            await pull.acknowledge(
                message_id, organ_id, result=FINAL_RESULTS[status], reason="vxp updateStatus"
            )
    except MessageNotFound:
        return wire.failure(wire.NOT_FOUND, "No such document was delivered to this agency.")
    return wire.success()


def _sent_item(row: asyncpg.Record) -> dict[str, str]:
    return {
        "serviceType": SERVICE_TYPE,
        "messageType": row["kind"],
        "senderDocId": row["id"],
        "receiverDocId": row["id"],
        "fromCode": row["sender_id"],
        "toCode": row["recipient_id"],
        "sendStatus": row["transport_state"],
        "sendStatusDesc": row["last_error"] or "",
        "receiveStatus": row["business_status"] or "",
        "receiveStatusDesc": row["status_description"] or "",
        "sentTime": vxp_time(row["accepted_at"]),
        "receivedTime": vxp_time(row["acked_at"] or row["delivered_at"]),
        "title": row["subject"],
        "notation": row["code_notation"],
    }


async def sent_list(pool: Pool, caller: Caller) -> wire.Answer:
    message_id = _document_id(caller)
    if message_id:
        rows = await pool.fetch(sql.query("vxp_sent_rows"), message_id, caller.agency.organ_id)
    else:
        kind = message_type(caller)
        if kind is None:
            return _bad_message_type(caller, data=[])
        rows = await pool.fetch(
            sql.query("vxp_recent_sent_rows"), caller.agency.organ_id, kind, LIST_LIMIT
        )
    return wire.success(data=[_sent_item(row) for row in rows])
