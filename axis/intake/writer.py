"""Writes a batch of checked submissions and refusals in one transaction.

Runs inside :class:`axis.storage.group_commit.GroupCommitter`. Messages go in with
one ``INSERT ... ON CONFLICT DO NOTHING``: the common case (new messages)
costs no look-up at all, and only the rows the unique indexes turned away
are looked up afterwards, to answer "same bytes again" (the first message)
or "same DocumentId, other bytes" (409). Statuses are judged here, under a
per-document advisory lock, against the history as committed, so two
concurrent statuses cannot both move the same recipient. The audit chain
is appended once per batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

from axis.audit import chain as audit
from axis.intake import status_rules
from axis.intake.records import (
    Accepted,
    Checked,
    CheckedDocument,
    CheckedStatus,
    stored_document_id,
)
from axis.intake.refusals import (
    ConflictingMessage,
    Forbidden,
    InvalidMessage,
    Refusal,
    RefusalRecord,
)
from axis.storage import sql
from axis.storage.channels import Channel
from axis.storage.database import Connection
from axis.vocabulary import AuditAction, DeliveryMode, MessageKind, ReceivedVia
from envelope import BusinessDocType, StatusCode

Item = Checked | RefusalRecord
Outcome = Accepted | Refusal | None


@dataclass(slots=True)
class _Planned:
    """A message about to be inserted, with what depends on its insertion."""

    index: int
    item: Checked
    routes: tuple[tuple[str, DeliveryMode], ...]
    answers: str | None = None
    # (target message id, whose copies) for each document a revocation, update or
    # replacement acts on.
    actions: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)


@dataclass(slots=True)
class _Batch:
    outcomes: list[Outcome]
    planned: list[_Planned] = field(default_factory=list)
    refusals: list[RefusalRecord] = field(default_factory=list)
    by_sha: dict[tuple[str, bytes], int] = field(default_factory=dict)
    by_document: dict[tuple[str, str], int] = field(default_factory=dict)
    # Statuses planned earlier in this batch, per document: not yet in the table,
    # but the rules must see them (two quick 03s from one recipient, one batch).
    planned_events: dict[str, list[status_rules.StatusEvent]] = field(default_factory=dict)
    # Copies revoked by revocations planned earlier in this batch, per target document.
    planned_revocations: dict[str, set[str]] = field(default_factory=dict)


def _record(batch: _Batch, item: Checked, refusal: Refusal) -> Refusal:
    batch.refusals.append(RefusalRecord.of(refusal, item.sender_id, item.sha256, item.received_via))
    return refusal


def _conflict(item: CheckedDocument) -> Refusal:
    return ConflictingMessage(
        f"{item.sender_id} already sent a different document with DocumentId {item.document_id!r}.",
    )


async def _locked_document(connection: Connection, item: CheckedStatus) -> str | Refusal:
    """The answered document's message id, locked for this transaction, or a refusal.

    Everything judged about the status happens after the lock: a concurrent
    transaction holding it may be storing this very status, and only once it
    has committed does a look-up see it (READ COMMITTED: each statement its own snapshot).
    """
    document = await connection.fetchval(
        sql.query("intake_find_document"), item.response_for_organ_id, item.answers_document_id
    )
    if document is None:
        return InvalidMessage(
            f"No document {item.answers_document_id!r} from {item.response_for_organ_id} is known "
            "to the axis, so this status answers nothing.",
            code="status.unknown_document",
        )
    await connection.execute(sql.query("intake_lock_document"), document)
    return str(document)


async def _route_status(
    connection: Connection, batch: _Batch, item: CheckedStatus, document: str
) -> tuple[str, tuple[tuple[str, DeliveryMode], ...]] | Refusal:
    """Where a status about the locked ``document`` goes, or a refusal."""
    recipients = [
        row["recipient_id"]
        for row in await connection.fetch(sql.query("intake_document_recipients"), document)
    ]
    history = [
        status_rules.StatusEvent(row["from_id"], StatusCode(row["status_code"]))
        for row in await connection.fetch(sql.query("intake_status_history"), document)
    ]
    history.extend(batch.planned_events.get(document, ()))
    try:
        verdict = status_rules.judge(
            item.status_code, item.sender_id, item.response_for_organ_id, recipients, history
        )
    except Refusal as refusal:
        return refusal
    batch.planned_events.setdefault(document, []).append(
        status_rules.StatusEvent(item.sender_id, item.status_code)
    )
    rows = await connection.fetch(sql.query("intake_delivery_modes"), list(verdict.routed_to))
    modes = {
        row["organ_id"]: DeliveryMode.PUSH if row["push"] else DeliveryMode.PULL for row in rows
    }
    return document, tuple(
        (organ_id, modes.get(organ_id, DeliveryMode.PULL)) for organ_id in verdict.routed_to
    )


async def _existing(
    connection: Connection, items: Sequence[Checked]
) -> tuple[dict[tuple[str, bytes], Accepted], set[tuple[str, str]]]:
    """Stored messages with the same bytes, and (sender, DocumentId) pairs already taken."""
    if not items:
        return {}, set()
    rows = await connection.fetch(
        sql.query("intake_existing"),
        [item.sender_id for item in items],
        [item.sha256 for item in items],
        [stored_document_id(item) for item in items],
    )
    by_sha: dict[tuple[str, bytes], Accepted] = {}
    documents: set[tuple[str, str]] = set()
    for row in rows:
        by_sha[(row["sender_id"], bytes(row["sha256"]))] = Accepted(
            row["id"], MessageKind(row["kind"]), row["document_id"], row["sender_id"],
            tuple(row["recipients"]), created=False,
        )  # fmt: skip
        if row["kind"] == MessageKind.DOCUMENT:
            documents.add((row["sender_id"], row["document_id"]))
    return by_sha, documents


def _repeat_of(accepted: Accepted) -> Accepted:
    return Accepted(accepted.id, accepted.kind, accepted.document_id, accepted.sender_id,
                    accepted.recipients, created=False)  # fmt: skip


async def _plan_status(connection: Connection, batch: _Batch, planned: _Planned) -> bool:
    """Judges and routes a status; False when it was settled here (a repeat or a refusal)."""
    item = planned.item
    assert isinstance(item, CheckedStatus)
    document = await _locked_document(connection, item)
    if isinstance(document, Refusal):
        batch.outcomes[planned.index] = _record(batch, item, document)
        return False
    # Under the lock, so a twin committed meanwhile by another transaction is seen:
    # a repeated status is answered as a repeat, never judged by the rules again.
    repeats, _ = await _existing(connection, [item])
    key = (item.sender_id, item.sha256)
    if key in repeats:
        batch.outcomes[planned.index] = _repeat_of(repeats[key])
        return False
    routed = await _route_status(connection, batch, item, document)
    if isinstance(routed, Refusal):
        batch.outcomes[planned.index] = _record(batch, item, routed)
        return False
    planned.answers, planned.routes = routed
    return True


def _owners(item: CheckedDocument, rows: Sequence[Any]) -> dict[str, str] | Refusal:
    """The stored message id of each DocumentId acted on, when its sender sent them all.

    A DocumentId is looked up among every sender's documents, so that acting on someone
    else's document is told apart from acting on one the axis never saw.
    """
    found: dict[str, dict[str, str]] = {}
    for row in rows:
        found.setdefault(row["document_id"], {})[row["sender_id"]] = row["id"]
    unknown = [t.document_id for t in item.acts_on if t.document_id not in found]
    if unknown:
        return InvalidMessage(
            f"The document {unknown[0]!r} this one revokes, updates or replaces was never "
            f"sent through the axis (by {item.sender_id} or anyone else).",
            code="business.unknown_document",
        )
    senders = {
        item.sender_id if item.sender_id in owners else min(owners) for owners in found.values()
    }
    if len(senders) > 1:
        return InvalidMessage(
            "The documents this one acts on were sent by different agencies "
            f"({', '.join(sorted(senders))}); one message acts only on its sender's documents.",
            code="business.mixed_senders",
        )
    if item.sender_id not in senders:
        return Forbidden(
            f"Only {senders.pop()}, which sent the document, may revoke, update or replace "
            f"it; {item.sender_id} may not.",
            code="business.not_original_sender",
        )
    return {document_id: owners[item.sender_id] for document_id, owners in found.items()}


async def _already_revoked(
    connection: Connection, batch: _Batch, target: str, copies: tuple[str, ...]
) -> bool:
    """True when every copy a revocation would revoke is revoked already."""
    await connection.execute(sql.query("intake_lock_document"), target)
    held = {
        row["recipient_id"]
        for row in await connection.fetch(sql.query("intake_document_recipients"), target)
    }
    revoked = set(batch.planned_revocations.get(target, ()))
    for row in await connection.fetch(sql.query("intake_revoked_copies"), target):
        revoked.update(row["recipients"])
    wanted = held & set(copies)
    return bool(revoked) and wanted <= revoked


async def _plan_acting(connection: Connection, batch: _Batch, planned: _Planned) -> bool:
    """Finds what a revocation, update or replacement acts on; False if it was refused."""
    item = planned.item
    assert isinstance(item, CheckedDocument) and item.acts_on
    # The same bytes again are answered as a repeat before the rules see them again
    # (a revocation resent is not a revocation of a revoked document).
    repeats, _ = await _existing(connection, [item])
    if (item.sender_id, item.sha256) in repeats:
        batch.outcomes[planned.index] = _repeat_of(repeats[(item.sender_id, item.sha256)])
        return False
    rows = await connection.fetch(
        sql.query("intake_find_acted_on"), [target.document_id for target in item.acts_on]
    )
    owners = _owners(item, rows)
    if isinstance(owners, Refusal):
        batch.outcomes[planned.index] = _record(batch, item, owners)
        return False
    planned.actions = [(owners[t.document_id], t.recipients) for t in item.acts_on]
    if item.business_type == BusinessDocType.REVOCATION:
        for target, copies in planned.actions:
            if await _already_revoked(connection, batch, target, copies):
                named = item.acts_on[0].document_id
                batch.outcomes[planned.index] = _record(batch, item, ConflictingMessage(
                    f"{item.sender_id} already revoked the document {named!r}.",
                    code="business.already_revoked",
                ))  # fmt: skip
                return False
        for target, copies in planned.actions:
            batch.planned_revocations.setdefault(target, set()).update(copies)
    return True


def _document_key(item: Checked) -> tuple[str, str] | None:
    """The (sender, DocumentId) a message holds; none for statuses, and none for an acting
    document that repeats the DocumentId of the one it acts on (the original holds it)."""
    if not isinstance(item, CheckedDocument) or item.repeats_acted_on:
        return None
    return (item.sender_id, item.document_id)


async def _plan(connection: Connection, batch: _Batch, index: int, item: Checked) -> None:
    key = (item.sender_id, item.sha256)
    document_key = _document_key(item)
    if key in batch.by_sha or document_key in batch.by_document:
        return  # settled after the insert, against the earlier item of this batch
    if isinstance(item, CheckedStatus):
        planned = _Planned(index, item, ())
        if not await _plan_status(connection, batch, planned):
            return
    else:
        planned = _Planned(index, item, item.routes)
        if item.acts_on and not await _plan_acting(connection, batch, planned):
            return
    batch.planned.append(planned)
    batch.by_sha[key] = index
    if document_key is not None:
        batch.by_document[document_key] = index


class MessageRow(NamedTuple):
    """One row of ``intake_insert_messages``: its columns, in the INSERT's order.

    ``tests/axis/intake/test_writer_rows.py`` keeps the fields equal to the
    INSERT's column list, so the ``$1..$21`` arrays cannot drift from it.
    """

    id: str
    kind: MessageKind
    sender_id: str
    document_id: str
    body: bytes
    sha256: bytes
    size: int
    subject: str
    code_number: str
    code_notation: str
    priority: int
    business_type: int | None
    acts_on_message_id: str | None
    repeats_acted_on: bool
    status_code: str | None
    description: str
    status_at: datetime | None
    answers_message_id: str | None
    due_date: date | None
    signer_fingerprint: str
    signature_algorithm: str
    received_via: ReceivedVia

    @classmethod
    def of(cls, planned: _Planned) -> MessageRow:
        item = planned.item
        signed: dict[str, Any] = {
            "id": item.message_id,
            "kind": item.kind,
            "sender_id": item.sender_id,
            "body": item.body,
            "sha256": item.sha256,
            "size": len(item.body),
            "signer_fingerprint": item.signer_fingerprint,
            "signature_algorithm": item.signature_algorithm,
            "received_via": item.received_via,
        }
        if isinstance(item, CheckedStatus):
            return cls(
                document_id=item.answers_document_id,
                subject="", code_number="", code_notation="", priority=0,
                business_type=None, acts_on_message_id=None, repeats_acted_on=False,
                status_code=item.status_code.value, description=item.description,
                status_at=item.status_at, answers_message_id=planned.answers, due_date=None,
                **signed,
            )  # fmt: skip
        return cls(
            document_id=item.document_id,
            subject=item.subject, code_number=item.code_number,
            code_notation=item.code_notation, priority=item.priority,
            business_type=item.business_type,
            # The first document acted on, as before replacements could name several.
            acts_on_message_id=planned.actions[0][0] if planned.actions else None,
            repeats_acted_on=item.repeats_acted_on,
            status_code=None, description="", status_at=None, answers_message_id=None,
            due_date=item.due_date,
            **signed,
        )  # fmt: skip


def _columns(planned: Sequence[_Planned]) -> list[list[object]]:
    """The rows as one array per column, the shape ``unnest`` reads."""
    rows = [MessageRow.of(p) for p in planned]
    if not rows:
        return [[] for _ in MessageRow._fields]
    return [list(column) for column in zip(*rows, strict=True)]


async def _insert_messages(connection: Connection, planned: Sequence[_Planned]) -> set[str]:
    """Inserts what it can; returns the ids stored.

    One INSERT from arrays, skipping rows that collide with a stored one (a
    resubmission, or a race with another process). Measured against COPY in a
    savepoint with a row-wise fallback: at the batch sizes intake sees (~10),
    23 against 32 us of client CPU per 20 KB row and half the wall time; COPY
    wins only from ~50 rows a batch.
    """
    if not planned:
        return set()
    rows = await connection.fetch(sql.query("intake_insert_messages"), *_columns(planned))
    return {row["id"] for row in rows}


@dataclass(slots=True)
class _Effects:
    """What the stored messages of a batch write beside themselves."""

    deliveries: list[tuple[object, ...]] = field(default_factory=list)
    status_events: list[tuple[object, ...]] = field(default_factory=list)
    business_statuses: list[tuple[str, str, str]] = field(default_factory=list)
    actions: list[tuple[str, str, int, list[str]]] = field(default_factory=list)
    entries: list[audit.AuditEntry] = field(default_factory=list)


async def _plan_all(connection: Connection, batch: _Batch, items: Sequence[Item]) -> None:
    for index, item in enumerate(items):
        if isinstance(item, RefusalRecord):
            batch.refusals.append(item)
        else:
            await _plan(connection, batch, index, item)


def _accept(batch: _Batch, stored: Sequence[_Planned]) -> _Effects:
    """The outcome of each stored message, and the rows and audit entries that go with it."""
    effects = _Effects()
    for planned in stored:
        item = planned.item
        recipients = tuple(recipient for recipient, _ in planned.routes)
        document_id = stored_document_id(item)
        batch.outcomes[planned.index] = Accepted(
            item.message_id, item.kind, document_id, item.sender_id, recipients, True
        )
        priority = item.priority if isinstance(item, CheckedDocument) else 0
        effects.deliveries.extend(
            (item.message_id, recipient, item.kind, mode, priority)
            for recipient, mode in planned.routes
        )
        detail: dict[str, object] = {
            "kind": item.kind,
            "document_id": document_id,
            "recipients": list(recipients),
            "sha256": item.sha256.hex(),
        }
        if isinstance(item, CheckedStatus):
            detail["status_code"] = item.status_code.value
            effects.status_events.append((planned.answers, item.message_id, item.sender_id,
                           item.status_code.value, item.description, item.status_at))  # fmt: skip
            if item.sender_id != item.response_for_organ_id:
                assert planned.answers is not None
                effects.business_statuses.append(
                    (planned.answers, item.sender_id, item.status_code.value)
                )
        if isinstance(item, CheckedDocument) and planned.actions:
            assert item.business_type is not None
            detail["acts_on"] = [target for target, _ in planned.actions]
            effects.actions.extend(
                (item.message_id, target, item.business_type, list(copies))
                for target, copies in planned.actions
            )
        effects.entries.append(
            audit.AuditEntry(item.sender_id, AuditAction.MESSAGE_ACCEPT, item.message_id, detail)
        )
    return effects


async def _settle_late(
    connection: Connection, batch: _Batch, items: Sequence[Item], stored: Sequence[_Planned]
) -> None:
    """Items that repeat or collide with an earlier item of this batch, or with a stored row."""
    late = [
        (index, item)
        for index, item in enumerate(items)
        if isinstance(item, Checked) and batch.outcomes[index] is None
    ]
    if not late:
        return
    accepted_in_batch = {(p.item.sender_id, p.item.sha256): p for p in stored}
    stored_repeats, taken = await _existing(connection, [item for _, item in late])
    for index, item in late:
        key = (item.sender_id, item.sha256)
        twin = accepted_in_batch.get(key)
        earlier = batch.outcomes[twin.index] if twin is not None else stored_repeats.get(key)
        if isinstance(earlier, Accepted):
            batch.outcomes[index] = _repeat_of(earlier)
        elif isinstance(item, CheckedDocument) and (
            (item.sender_id, item.document_id) in taken
            or (item.sender_id, item.document_id) in batch.by_document
        ):
            batch.outcomes[index] = _record(batch, item, _conflict(item))
        else:
            raise RuntimeError(f"message {item.message_id} was neither stored nor a repeat")


async def _write_effects(connection: Connection, effects: _Effects) -> None:
    if effects.deliveries:
        # From arrays, as the messages: cheaper than COPY at intake's batch sizes.
        await connection.execute(
            sql.query("intake_insert_deliveries"),
            *[list(column) for column in zip(*effects.deliveries, strict=True)],
        )
    if effects.status_events:
        await connection.executemany(sql.query("intake_insert_status_event"), effects.status_events)
    if effects.business_statuses:
        await connection.executemany(
            sql.query("intake_set_business_status"), effects.business_statuses
        )
    if effects.actions:
        await connection.executemany(sql.query("intake_insert_document_action"), effects.actions)


async def _write_refusals(
    connection: Connection, refusals: Sequence[RefusalRecord]
) -> list[audit.AuditEntry]:
    if not refusals:
        return []
    await connection.executemany(
        sql.query("intake_insert_refusal"),
        [(r.organ_id, r.code, r.kind, r.detail, r.sha256, r.received_via) for r in refusals],
    )
    return [
        audit.AuditEntry(r.organ_id or "anonymous", AuditAction.MESSAGE_REFUSE, r.code,
                         {"kind": r.kind, "detail": r.detail[:500],
                          "sha256": r.sha256.hex() if r.sha256 else None})
        for r in refusals
    ]  # fmt: skip


async def _notify(connection: Connection, stored: Sequence[_Planned]) -> None:
    """Push workers hear of messages to push, inbox long-polls of their recipients."""
    notices = sorted(
        {
            (Channel.DELIVERIES, p.item.message_id)
            if mode is DeliveryMode.PUSH
            else (Channel.INBOX, to)
            for p in stored
            for to, mode in p.routes
        }
    )
    if notices:
        channels, payloads = zip(*notices, strict=True)
        await connection.execute(sql.query("intake_notify"), list(channels), list(payloads))


async def write_batch(connection: Connection, items: Sequence[Item]) -> list[Outcome]:
    """Stores a batch in the caller's transaction; one outcome per item, in order."""
    batch = _Batch(outcomes=[None] * len(items))
    await _plan_all(connection, batch, items)
    inserted = await _insert_messages(connection, batch.planned)
    stored = [p for p in batch.planned if p.item.message_id in inserted]
    effects = _accept(batch, stored)
    await _settle_late(connection, batch, items, stored)
    await _write_effects(connection, effects)
    # After settling: a conflict found there is a refusal to record too.
    effects.entries.extend(await _write_refusals(connection, batch.refusals))
    await audit.append_many(connection, effects.entries)
    await _notify(connection, stored)
    return batch.outcomes
