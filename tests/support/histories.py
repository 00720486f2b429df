"""Generated tracking histories with known timings, written straight into the tables.

A history is a tree of agencies and documents between them; each delivery
has a transport outcome and a sequence of statuses with exact times on the
axis's clock (``received_at``) and a different, forgeable ``status_at``, so
a figure computed from the wrong clock comes out wrong. Rows go in with
COPY, so thousands of documents (or, for the benchmark, a million
deliveries) are written in seconds, without signing anything.

The statistics tests compute every expected figure from these records in
Python; the benchmark streams documents in chunks (:func:`documents`).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from axis.storage.database import Connection

# A province with departments and their units, a ministry, and a unit whose
# parent was never registered (legacy data): three levels of rollup.
ROOTS = ("000.00.00.H53", "000.00.00.G01")
UNREGISTERED_PARENT = "000.00.00.H99"

STATUS_PATHS: tuple[tuple[str, ...], ...] = (
    (),
    ("01",),
    ("01", "03"),
    ("01", "03", "04", "05", "06"),
    ("03", "06"),
    ("02",),
    ("01", "02"),
    ("01", "03", "06"),
    ("01", "03", "04"),
)
UNDELIVERED_STATES = ("queued", "retrying", "dead", "discarded")


@dataclass(frozen=True, slots=True)
class AgencyRecord:
    organ_id: str
    name: str
    parent_id: str | None


@dataclass(frozen=True, slots=True)
class StatusRecord:
    code: str
    from_id: str
    received_at: datetime  # the axis's clock
    status_at: datetime  # what the sender wrote (forgeable)


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    recipient_id: str
    transport_state: str
    delivered_at: datetime | None
    statuses: tuple[StatusRecord, ...]


@dataclass(frozen=True, slots=True)
class DocumentRecord:
    message_id: str
    sender_id: str
    accepted_at: datetime
    due_date: date | None
    deliveries: tuple[DeliveryRecord, ...]
    recall: StatusRecord | None  # a 13 from the sender


def agency_tree(departments: int = 4, units: int = 3) -> list[AgencyRecord]:
    """Roots, their departments, the departments' units, and one orphan branch."""
    agencies: list[AgencyRecord] = []
    for root in ROOTS:
        suffix = root.split(".")[-1]
        agencies.append(AgencyRecord(root, f"Cơ quan {suffix}", None))
        for department in range(1, departments + 1):
            department_id = f"000.00.{department:02d}.{suffix}"
            agencies.append(AgencyRecord(department_id, f"Sở {department} {suffix}", root))
            for unit in range(1, units + 1):
                agencies.append(
                    AgencyRecord(
                        f"000.{unit:02d}.{department:02d}.{suffix}",
                        f"Phòng {unit} của sở {department} {suffix}",
                        department_id,
                    )
                )
    agencies.append(AgencyRecord("000.00.01.H99", "Đơn vị cũ", UNREGISTERED_PARENT))
    agencies.append(AgencyRecord("000.01.01.H99", "Đơn vị con của đơn vị cũ", "000.00.01.H99"))
    return agencies


def _statuses(
    rng: random.Random, recipient: str, delivered_at: datetime, path: Sequence[str]
) -> list[StatusRecord]:
    statuses = []
    moment = delivered_at
    for index, code in enumerate(path):
        if index == 0 and rng.random() < 0.05:
            gap = -rng.randint(1, 30)  # recorded before the delivery: counts as zero
        else:
            # Minutes to several days, so deadlines fall on both sides.
            gap = rng.choice((rng.randint(0, 3600), rng.randint(3600, 86400 * 4)))
        moment = moment + timedelta(seconds=gap)
        forged = moment - timedelta(seconds=rng.randint(0, 86400 * 10))
        statuses.append(StatusRecord(code, recipient, moment, forged))
    return statuses


def documents(
    rng: random.Random,
    agencies: Sequence[AgencyRecord],
    count: int,
    *,
    start: datetime,
    days: int,
    silent: frozenset[str] = frozenset(),
    prefix: str = "m",
) -> Iterator[DocumentRecord]:
    """``count`` documents sent over ``days`` days from ``start`` (UTC), in time order."""
    organ_ids = [agency.organ_id for agency in agencies]
    span = days * 86400
    offsets = sorted(rng.randrange(span) for _ in range(count))
    for number, offset in enumerate(offsets):
        sender = rng.choice(organ_ids)
        accepted_at = start + timedelta(seconds=offset, microseconds=rng.randrange(1_000_000))
        due_date = None
        if rng.random() < 0.6:
            local_day = (accepted_at + timedelta(hours=7)).date()
            due_date = local_day + timedelta(days=rng.randint(0, 10))
        others = [o for o in organ_ids if o != sender]
        recipients = rng.sample(others, rng.randint(1, min(3, len(others))))
        deliveries = []
        for recipient in recipients:
            if rng.random() < 0.1:
                state = rng.choice(UNDELIVERED_STATES)
                deliveries.append(DeliveryRecord(recipient, state, None, ()))
                continue
            delivered_at = accepted_at + timedelta(seconds=rng.randint(0, 86400 * 2))
            path = () if recipient in silent else rng.choice(STATUS_PATHS)
            deliveries.append(
                DeliveryRecord(
                    recipient,
                    rng.choice(("delivered", "acked")),
                    delivered_at,
                    tuple(_statuses(rng, recipient, delivered_at, path)),
                )
            )
        recall = None
        if rng.random() < 0.03:
            moment = accepted_at + timedelta(seconds=rng.randint(60, 86400))
            recall = StatusRecord("13", sender, moment, moment)
            answered = []
            for delivery in deliveries:
                if delivery.delivered_at is None or delivery.recipient_id in silent:
                    answered.append(delivery)
                    continue
                last = max([moment, *(s.received_at for s in delivery.statuses)])
                answer = rng.choice(("15", "16"))
                reply = last + timedelta(seconds=rng.randint(1, 86400))
                answered.append(
                    DeliveryRecord(
                        delivery.recipient_id,
                        delivery.transport_state,
                        delivery.delivered_at,
                        (*delivery.statuses, StatusRecord(answer, delivery.recipient_id, reply,
                                                          reply)),
                    )
                )  # fmt: skip
            deliveries = answered
        yield DocumentRecord(
            f"{prefix}{number:08d}", sender, accepted_at, due_date, tuple(deliveries), recall
        )


async def insert_agencies(connection: Connection, agencies: Iterable[AgencyRecord]) -> None:
    records = [
        (a.organ_id, a.name, a.parent_id, f"sys-{a.organ_id}", b"x",
         hashlib.sha256(a.organ_id.encode()).digest())
        for a in agencies
    ]  # fmt: skip
    await connection.copy_records_to_table(
        "agencies",
        records=records,
        columns=["organ_id", "name", "parent_id", "system_id", "secret_ciphertext",
                 "secret_lookup"],
    )  # fmt: skip


_MESSAGE_COLUMNS = [
    "id", "kind", "sender_id", "document_id", "body", "sha256", "size", "subject",
    "code_number", "code_notation", "status_code", "due_date", "signer_fingerprint",
    "signature_algorithm", "accepted_at", "answers_message_id",
]  # fmt: skip
_DELIVERY_COLUMNS = [
    "message_id", "recipient_id", "kind", "mode", "transport_state", "business_status",
    "created_at", "delivered_at",
]  # fmt: skip
_EVENT_COLUMNS = [
    "document_message_id", "status_message_id", "from_id", "status_code", "status_at",
    "received_at",
]  # fmt: skip


def _status_rows(
    document: DocumentRecord,
    status: StatusRecord,
    status_id: str,
    messages: list[tuple[object, ...]],
    deliveries: list[tuple[object, ...]],
    events: list[tuple[object, ...]],
) -> None:
    messages.append(
        (status_id, "status", status.from_id, f"doc-{document.message_id}", b"",
         hashlib.sha256(status_id.encode()).digest(), 0, "", "", "", status.code, None,
         "test", "rsa-sha256", status.received_at, document.message_id)
    )  # fmt: skip
    events.append(
        (document.message_id, status_id, status.from_id, status.code, status.status_at,
         status.received_at)
    )  # fmt: skip
    to = document.sender_id if status.code != "13" else document.deliveries[0].recipient_id
    deliveries.append(
        (status_id, to, "status", "pull", "acked", None, status.received_at, status.received_at)
    )


async def insert_statuses(
    connection: Connection, statuses: Sequence[tuple[DocumentRecord, StatusRecord]]
) -> None:
    """Statuses arriving later for documents already written."""
    messages: list[tuple[object, ...]] = []
    deliveries: list[tuple[object, ...]] = []
    events: list[tuple[object, ...]] = []
    for index, (document, status) in enumerate(statuses):
        _status_rows(document, status, f"{document.message_id}-late{index}",
                     messages, deliveries, events)  # fmt: skip
    await connection.copy_records_to_table("messages", records=messages, columns=_MESSAGE_COLUMNS)
    await connection.copy_records_to_table(
        "deliveries", records=deliveries, columns=_DELIVERY_COLUMNS
    )
    await connection.copy_records_to_table("status_events", records=events, columns=_EVENT_COLUMNS)


async def insert_documents(connection: Connection, batch: Sequence[DocumentRecord]) -> None:
    """Messages (documents and their statuses), deliveries and status events, by COPY."""
    messages: list[tuple[object, ...]] = []
    deliveries: list[tuple[object, ...]] = []
    events: list[tuple[object, ...]] = []
    for document in batch:
        digest = hashlib.sha256(document.message_id.encode()).digest()
        messages.append(
            (document.message_id, "edoc", document.sender_id, f"doc-{document.message_id}",
             b"", digest, 0, f"Trích yếu {document.message_id}", document.message_id[-5:],
             "UBND", None, document.due_date, "test", "rsa-sha256", document.accepted_at, None)
        )  # fmt: skip
        statuses = [s for d in document.deliveries for s in d.statuses]
        if document.recall is not None:
            statuses.append(document.recall)
        ordered = sorted(statuses, key=lambda s: s.received_at)
        for index, status in enumerate(ordered):
            _status_rows(document, status, f"{document.message_id}-s{index}",
                         messages, deliveries, events)  # fmt: skip
        for delivery in document.deliveries:
            latest = delivery.statuses[-1].code if delivery.statuses else None
            deliveries.append(
                (document.message_id, delivery.recipient_id, "edoc", "pull",
                 delivery.transport_state, latest, document.accepted_at, delivery.delivered_at)
            )  # fmt: skip
    await connection.copy_records_to_table("messages", records=messages, columns=_MESSAGE_COLUMNS)
    await connection.copy_records_to_table(
        "deliveries", records=deliveries, columns=_DELIVERY_COLUMNS
    )
    await connection.copy_records_to_table("status_events", records=events, columns=_EVENT_COLUMNS)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)
