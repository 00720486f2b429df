"""Planning a batch: what each checked submission will be, before anything is inserted.

For every item of a group-commit batch, in the batch's transaction: a repeat
of stored bytes is answered as such; a status is judged against the answered
document's history under that document's advisory lock (taken before the
repeat check, so concurrent identical statuses all see the first); a
revocation, update or replacement finds the documents it acts on and their
sender. What survives is a :class:`Planned` message for ``axis.intake.writer``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

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
    RelayLoop,
)
from axis.registry.agencies import Agency
from axis.registry.routes import PeerPattern, PeerRoute, RouteTable
from axis.storage import sql
from axis.storage.database import Connection
from axis.vocabulary import DeliveryMode, MessageKind
from envelope import BusinessDocType, StatusCode

Outcome = Accepted | Refusal | None


@dataclass(slots=True)
class Planned:
    """A message about to be inserted, with what depends on its insertion."""

    index: int
    item: Checked
    routes: tuple[tuple[str, DeliveryMode], ...]
    # Recipient -> the peer it is relayed through.
    relays: dict[str, str] = field(default_factory=dict)
    answers: str | None = None
    # (target message id, whose copies) for each document a revocation, update or
    # replacement acts on.
    actions: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)


@dataclass(slots=True)
class Batch:
    outcomes: list[Outcome]
    planned: list[Planned] = field(default_factory=list)
    refusals: list[RefusalRecord] = field(default_factory=list)
    by_sha: dict[tuple[str, bytes], int] = field(default_factory=dict)
    by_document: dict[tuple[str, str], int] = field(default_factory=dict)
    # Statuses planned earlier in this batch, per document: not yet in the table,
    # but the rules must see them (two quick 03s from one recipient, one batch).
    planned_events: dict[str, list[status_rules.StatusEvent]] = field(default_factory=dict)
    # Copies revoked by revocations planned earlier in this batch, per target document.
    planned_revocations: dict[str, set[str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DocumentRoutes:
    """Where each recipient of a document goes: its delivery mode, and the peer of a relay."""

    routes: tuple[tuple[str, DeliveryMode], ...]
    relays: tuple[tuple[str, str], ...]


def route_document(
    wanted: Sequence[str],
    known: Mapping[str, Agency],
    table: RouteTable,
    known_remotely: Callable[[str, str], bool],
    *,
    crossed: Collection[str] = (),
) -> DocumentRoutes:
    """Routes a document's recipients: local agencies first, then the most specific peer.

    Raises ``recipient.unknown`` for a recipient no route serves (or that a
    synced directory lacks), ``recipient.suspended`` for a suspended local one,
    and ``relay.loop`` for one whose peer is among the axes ``crossed`` already.
    """
    routing = table.route(wanted, is_local=known.__contains__, known_remotely=known_remotely)
    if routing.unknown:
        raise InvalidMessage(
            f"Unknown recipient(s): {', '.join(routing.unknown)}.", code="recipient.unknown"
        )
    suspended = [organ_id for organ_id in routing.local if not known[organ_id].active]
    if suspended:
        raise InvalidMessage(
            f"Suspended recipient(s): {', '.join(suspended)}.", code="recipient.suspended"
        )
    back = sorted(name for name in routing.by_peer if name in crossed)
    if back:
        raise RelayLoop(
            f"The recipients {', '.join(routing.by_peer[back[0]])} are served through "
            f"{back[0]}, which this message has already crossed.",
        )
    relays = tuple(
        (organ_id, peer_name) for peer_name, group in routing.by_peer.items() for organ_id in group
    )
    via = dict(relays)
    return DocumentRoutes(
        routes=tuple(
            (organ_id, DeliveryMode.RELAY if organ_id in via else known[organ_id].delivery_mode)
            for organ_id in wanted
        ),
        relays=relays,
    )


async def _route_table(connection: Connection) -> RouteTable:
    """The peers' routes as this transaction sees them (only for statuses to remote parties)."""
    rows = await connection.fetch(sql.query("relay_route_table"))
    by_peer: dict[str, list[PeerPattern]] = {}
    for row in rows:
        by_peer.setdefault(row["peer_name"], []).append(PeerPattern.parse(row["pattern"]))
    return RouteTable(PeerRoute(name, tuple(patterns)) for name, patterns in by_peer.items())


def record_refusal(batch: Batch, item: Checked, refusal: Refusal) -> Refusal:
    batch.refusals.append(RefusalRecord.of(refusal, item.sender_id, item.sha256, item.received_via))
    return refusal


def conflict(item: CheckedDocument) -> Refusal:
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


async def _status_routes(
    connection: Connection, routed_to: Sequence[str]
) -> tuple[tuple[tuple[str, DeliveryMode], ...], dict[str, str]]:
    """How a status reaches each party: a local agency as it receives, a remote one
    through the peer that serves it (statuses relay back by ``ResponseFor/OrganId``)."""
    rows = await connection.fetch(sql.query("intake_delivery_modes"), list(routed_to))
    modes = {
        row["organ_id"]: DeliveryMode.PUSH if row["push"] else DeliveryMode.PULL for row in rows
    }
    relays: dict[str, str] = {}
    remote = [organ_id for organ_id in routed_to if organ_id not in modes]
    if remote:
        table = await _route_table(connection)
        for organ_id in remote:
            peer_name = table.peer_for(organ_id)
            if peer_name is not None:
                relays[organ_id] = peer_name
                modes[organ_id] = DeliveryMode.RELAY
    return tuple(
        (organ_id, modes.get(organ_id, DeliveryMode.PULL)) for organ_id in routed_to
    ), relays


async def _route_status(
    connection: Connection, batch: Batch, item: CheckedStatus, document: str
) -> tuple[str, tuple[tuple[str, DeliveryMode], ...], dict[str, str]] | Refusal:
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
    routes, relays = await _status_routes(connection, verdict.routed_to)
    return document, routes, relays


async def existing(
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


def repeat_of(accepted: Accepted) -> Accepted:
    return Accepted(accepted.id, accepted.kind, accepted.document_id, accepted.sender_id,
                    accepted.recipients, created=False)  # fmt: skip


async def _plan_status(connection: Connection, batch: Batch, planned: Planned) -> bool:
    """Judges and routes a status; False when it was settled here (a repeat or a refusal)."""
    item = planned.item
    assert isinstance(item, CheckedStatus)
    document = await _locked_document(connection, item)
    if isinstance(document, Refusal):
        batch.outcomes[planned.index] = record_refusal(batch, item, document)
        return False
    # Under the lock, so a twin committed meanwhile by another transaction is seen:
    # a repeated status is answered as a repeat, never judged by the rules again.
    repeats, _ = await existing(connection, [item])
    key = (item.sender_id, item.sha256)
    if key in repeats:
        batch.outcomes[planned.index] = repeat_of(repeats[key])
        return False
    routed = await _route_status(connection, batch, item, document)
    if isinstance(routed, Refusal):
        batch.outcomes[planned.index] = record_refusal(batch, item, routed)
        return False
    planned.answers, planned.routes, planned.relays = routed
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
    connection: Connection, batch: Batch, target: str, copies: tuple[str, ...]
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


async def _plan_acting(connection: Connection, batch: Batch, planned: Planned) -> bool:
    """Finds what a revocation, update or replacement acts on; False if it was refused."""
    item = planned.item
    assert isinstance(item, CheckedDocument) and item.acts_on
    # The same bytes again are answered as a repeat before the rules see them again
    # (a revocation resent is not a revocation of a revoked document).
    repeats, _ = await existing(connection, [item])
    if (item.sender_id, item.sha256) in repeats:
        batch.outcomes[planned.index] = repeat_of(repeats[(item.sender_id, item.sha256)])
        return False
    rows = await connection.fetch(
        sql.query("intake_find_acted_on"), [target.document_id for target in item.acts_on]
    )
    owners = _owners(item, rows)
    if isinstance(owners, Refusal):
        batch.outcomes[planned.index] = record_refusal(batch, item, owners)
        return False
    planned.actions = [(owners[t.document_id], t.recipients) for t in item.acts_on]
    if item.business_type == BusinessDocType.REVOCATION:
        for target, copies in planned.actions:
            if await _already_revoked(connection, batch, target, copies):
                named = item.acts_on[0].document_id
                batch.outcomes[planned.index] = record_refusal(batch, item, ConflictingMessage(
                    f"{item.sender_id} already revoked the document {named!r}.",
                    code="business.already_revoked",
                ))  # fmt: skip
                return False
        for target, copies in planned.actions:
            batch.planned_revocations.setdefault(target, set()).update(copies)
    return True


def document_key(item: Checked) -> tuple[str, str] | None:
    """The (sender, DocumentId) a message holds; none for statuses, and none for an acting
    document that repeats the DocumentId of the one it acts on (the original holds it)."""
    if not isinstance(item, CheckedDocument) or item.repeats_acted_on:
        return None
    return (item.sender_id, item.document_id)


async def plan(connection: Connection, batch: Batch, index: int, item: Checked) -> None:
    key = (item.sender_id, item.sha256)
    taken = document_key(item)
    if key in batch.by_sha or taken in batch.by_document:
        return  # settled after the insert, against the earlier item of this batch
    if isinstance(item, CheckedStatus):
        planned = Planned(index, item, ())
        if not await _plan_status(connection, batch, planned):
            return
    else:
        planned = Planned(index, item, item.routes, dict(item.relays))
        if item.acts_on and not await _plan_acting(connection, batch, planned):
            return
    batch.planned.append(planned)
    batch.by_sha[key] = index
    if taken is not None:
        batch.by_document[taken] = index
