"""Writes a batch of checked submissions and refusals in one transaction.

Runs inside :class:`axis.group_commit.GroupCommitter`. Repeats and
conflicts are found with one query for the whole batch; statuses are judged
here, under a per-document advisory lock, against the history as committed,
so two concurrent statuses cannot both move the same recipient. Rows go in
with COPY; the audit chain is appended once per batch.
"""

from __future__ import annotations

from collections.abc import Sequence

from axis import audit, sql, status_rules
from axis.database import Connection
from axis.intake_records import Accepted, Checked
from axis.refusals import Refusal, RefusalRecord

Item = Checked | RefusalRecord
Outcome = Accepted | Refusal | None

_MESSAGE_COLUMNS = (
    "id", "kind", "sender_id", "document_id", "body", "sha256", "size", "subject",
    "code_number", "code_notation", "priority", "business_type", "acts_on_message_id",
    "status_code", "description", "status_at", "answers_message_id", "due_date",
    "signer_fingerprint", "signature_algorithm", "received_via",
)  # fmt: skip
_DELIVERY_COLUMNS = ("message_id", "recipient_id", "kind", "mode", "priority")


class _Batch:
    def __init__(self) -> None:
        self.messages: list[tuple[object, ...]] = []
        self.deliveries: list[tuple[object, ...]] = []
        self.events: list[tuple[object, ...]] = []
        self.business: list[tuple[str, str, str]] = []
        self.refusals: list[RefusalRecord] = []
        self.audit: list[audit.AuditEntry] = []
        self.by_sha: dict[tuple[str, bytes], Accepted] = {}
        self.by_document: dict[tuple[str, str], str] = {}


def _refuse(batch: _Batch, item: Checked, refusal: Refusal) -> Refusal:
    batch.refusals.append(
        RefusalRecord(
            item.sender_id,
            refusal.code,
            refusal.status,
            refusal.detail,
            item.sha256,
            item.received_via,
        )
    )
    return refusal


async def _route_status(
    connection: Connection, batch: _Batch, item: Checked
) -> tuple[str, tuple[tuple[str, str], ...]] | Refusal:
    """The answered document's message id and where the status goes, or a refusal."""
    assert item.status_code is not None and item.response_for_organ_id is not None
    document = await connection.fetchval(
        sql.query("intake_find_document"), item.response_for_organ_id, item.document_id
    )
    if document is None:
        return Refusal(
            422,
            "status.unknown_document",
            f"No document {item.document_id!r} from {item.response_for_organ_id} is known "
            "to the axis, so this status answers nothing.",
        )
    await connection.execute(sql.query("intake_lock_document"), document)
    recipients = [
        row["recipient_id"]
        for row in await connection.fetch(sql.query("intake_document_recipients"), document)
    ]
    history = [
        status_rules.StatusEvent(row["from_id"], row["status_code"])
        for row in await connection.fetch(sql.query("intake_status_history"), document)
    ]
    try:
        verdict = status_rules.judge(
            item.status_code.value,
            item.sender_id,
            item.response_for_organ_id,
            recipients,
            history,
        )
    except Refusal as refusal:
        return refusal
    rows = await connection.fetch(sql.query("intake_delivery_modes"), list(verdict.routed_to))
    modes = {row["organ_id"]: "push" if row["push"] else "pull" for row in rows}
    return document, tuple(
        (organ_id, modes.get(organ_id, "pull")) for organ_id in verdict.routed_to
    )


async def _acts_on(connection: Connection, item: Checked) -> str | Refusal | None:
    if item.acts_on_document_id is None:
        return None
    target = await connection.fetchval(
        sql.query("intake_find_document"), item.sender_id, item.acts_on_document_id
    )
    if target is None:
        return Refusal(
            422,
            "business.unknown_document",
            f"The document {item.acts_on_document_id!r} this one revokes, updates or replaces "
            f"(Bussiness/DocumentId) was never sent by {item.sender_id} through the axis.",
        )
    return str(target)


async def _place(
    connection: Connection,
    batch: _Batch,
    item: Checked,
    existing: dict[tuple[str, bytes], Accepted],
    conflicts: set[tuple[str, str]],
) -> Outcome:
    key = (item.sender_id, item.sha256)
    repeat = batch.by_sha.get(key) or existing.get(key)
    if repeat is not None:
        return Accepted(repeat.id, repeat.kind, repeat.document_id, repeat.sender_id,
                        repeat.recipients, created=False)  # fmt: skip
    if item.kind == "edoc" and (
        (item.sender_id, item.document_id) in conflicts
        or (item.sender_id, item.document_id) in batch.by_document
    ):
        return _refuse(
            batch,
            item,
            Refusal(
                409,
                "message.conflict",
                f"{item.sender_id} already sent a different document with DocumentId "
                f"{item.document_id!r}.",
            ),
        )
    answers: str | None = None
    routes = item.routes
    if item.kind == "status":
        routed = await _route_status(connection, batch, item)
        if isinstance(routed, Refusal):
            return _refuse(batch, item, routed)
        answers, routes = routed
        assert item.status_code is not None
        batch.events.append((answers, item.message_id, item.sender_id, item.status_code.value,
                             item.description, item.status_at))  # fmt: skip
        if item.sender_id != item.response_for_organ_id:
            batch.business.append((answers, item.sender_id, item.status_code.value))
    acts_on = await _acts_on(connection, item)
    if isinstance(acts_on, Refusal):
        return _refuse(batch, item, acts_on)
    batch.messages.append((
        item.message_id, item.kind, item.sender_id, item.document_id, item.body, item.sha256,
        len(item.body), item.subject, item.code_number, item.code_notation, item.priority,
        item.business_type, acts_on, item.status_code.value if item.status_code else None,
        item.description, item.status_at, answers, item.due_date, item.signer_fingerprint,
        item.signature_algorithm, item.received_via,
    ))  # fmt: skip
    for recipient, mode in routes:
        batch.deliveries.append((item.message_id, recipient, item.kind, mode, item.priority))
    recipients = tuple(recipient for recipient, _ in routes)
    accepted = Accepted(item.message_id, item.kind, item.document_id, item.sender_id,
                        recipients, created=True)  # fmt: skip
    batch.by_sha[key] = accepted
    if item.kind == "edoc":
        batch.by_document[(item.sender_id, item.document_id)] = item.message_id
    detail = {"kind": item.kind, "document_id": item.document_id, "recipients": list(recipients),
              "sha256": item.sha256.hex()}  # fmt: skip
    if item.status_code is not None:
        detail["status_code"] = item.status_code.value
    batch.audit.append(audit.AuditEntry(item.sender_id, "message.accept", item.message_id, detail))
    return accepted


async def _existing(
    connection: Connection, checked: Sequence[Checked]
) -> tuple[dict[tuple[str, bytes], Accepted], set[tuple[str, str]]]:
    if not checked:
        return {}, set()
    rows = await connection.fetch(
        sql.query("intake_existing"),
        [item.sender_id for item in checked],
        [item.sha256 for item in checked],
        [item.document_id for item in checked],
    )
    by_sha: dict[tuple[str, bytes], Accepted] = {}
    documents: set[tuple[str, str]] = set()
    for row in rows:
        sha = bytes(row["sha256"])
        by_sha[(row["sender_id"], sha)] = Accepted(row["id"], row["kind"], row["document_id"],
            row["sender_id"], tuple(row["recipients"]), created=False)  # fmt: skip
        if row["kind"] == "edoc":
            documents.add((row["sender_id"], row["document_id"]))
    return by_sha, documents


async def write_batch(connection: Connection, items: Sequence[Item]) -> list[Outcome]:
    batch = _Batch()
    existing, conflicts = await _existing(connection, [i for i in items if isinstance(i, Checked)])
    outcomes: list[Outcome] = []
    for item in items:
        if isinstance(item, RefusalRecord):
            batch.refusals.append(item)
            outcomes.append(None)
        else:
            outcomes.append(await _place(connection, batch, item, existing, conflicts))
    if batch.messages:
        await connection.copy_records_to_table(
            "messages", records=batch.messages, columns=_MESSAGE_COLUMNS
        )
    if batch.deliveries:
        await connection.copy_records_to_table(
            "deliveries", records=batch.deliveries, columns=_DELIVERY_COLUMNS
        )
    if batch.events:
        await connection.executemany(sql.query("intake_insert_status_event"), batch.events)
    if batch.business:
        await connection.executemany(sql.query("intake_set_business_status"), batch.business)
    if batch.refusals:
        await connection.executemany(
            sql.query("intake_insert_refusal"),
            [(r.organ_id, r.code, r.http_status, r.detail, r.sha256, r.received_via)
             for r in batch.refusals],
        )  # fmt: skip
        batch.audit.extend(
            audit.AuditEntry(r.organ_id or "anonymous", "message.refuse", r.code,
                             {"status": r.http_status, "detail": r.detail[:500],
                              "sha256": r.sha256.hex() if r.sha256 else None})
            for r in batch.refusals
        )  # fmt: skip
    await audit.append_many(connection, batch.audit)
    if batch.messages:
        await connection.execute(sql.query("intake_notify"), [m[0] for m in batch.messages])
    return outcomes
