"""Intake against a real database: acceptance, repeats, conflicts and refusals."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from axis.intake.service import Accepted, Intake, Refusal
from axis.vocabulary import RefusalKind
from tests.support.envelopes import Broker, document, document_id_of, open_broker, status
from tests.support.waiting import eventually

SENDER = "000.00.00.G22"
NGHE_AN = "000.00.00.H41"
TAY_NINH = "000.00.00.H53"


@pytest.fixture
async def broker(database_url: str) -> AsyncIterator[Broker]:
    async with open_broker(database_url) as opened:
        await opened.add(SENDER)
        await opened.add(NGHE_AN)
        await opened.add(TAY_NINH, endpoint_url="http://127.0.0.1:9/inbox")
        yield opened


async def _submit(broker: Broker, organ_id: str, data: bytes) -> Accepted:
    agency = await broker.runtime.registry.require(organ_id)
    return await broker.runtime.intake.submit(agency, data)


async def test_a_document_is_stored_with_one_delivery_per_recipient(broker: Broker) -> None:
    data = broker.agencies[SENDER].sign(document(SENDER, [NGHE_AN, TAY_NINH]))
    accepted = await _submit(broker, SENDER, data)
    assert accepted.created
    assert accepted.recipients == (NGHE_AN, TAY_NINH)
    row = await broker.pool.fetchrow(
        # The body in its pieces (message_bodies, issue #17), joined.
        "SELECT (SELECT string_agg(content, ''::bytea ORDER BY part) FROM message_bodies b"
        " WHERE b.message_id = messages.id) AS body, kind, sender_id FROM messages WHERE id=$1",
        accepted.id,
    )
    assert row is not None and bytes(row["body"]) == data and row["kind"] == "edoc"
    deliveries = await broker.pool.fetch(
        "SELECT recipient_id, mode, transport_state FROM deliveries"
        " WHERE message_id=$1 ORDER BY id",
        accepted.id,
    )
    assert [(d["recipient_id"], d["mode"], d["transport_state"]) for d in deliveries] == [
        (NGHE_AN, "pull", "queued"),
        (TAY_NINH, "push", "queued"),
    ]
    actions = await broker.pool.fetch("SELECT action, subject FROM audit_log ORDER BY id")
    assert ("message.accept", accepted.id) in [(a["action"], a["subject"]) for a in actions]


async def test_identical_bytes_again_return_the_first_message(broker: Broker) -> None:
    data = broker.agencies[SENDER].sign(document(SENDER, [NGHE_AN]))
    first = await _submit(broker, SENDER, data)
    again = await _submit(broker, SENDER, data)
    assert not again.created
    assert again.body() == first.body()
    assert await broker.pool.fetchval("SELECT count(*) FROM messages") == 1


async def test_concurrent_identical_submissions_store_one_message(broker: Broker) -> None:
    data = broker.agencies[SENDER].sign(document(SENDER, [NGHE_AN]))
    results = await asyncio.gather(*(_submit(broker, SENDER, data) for _ in range(10)))
    assert len({result.id for result in results}) == 1
    assert sum(result.created for result in results) == 1
    assert await broker.pool.fetchval("SELECT count(*) FROM messages") == 1


async def test_same_document_id_with_other_bytes_is_a_conflict(broker: Broker) -> None:
    unsigned = document(SENDER, [NGHE_AN])
    await _submit(broker, SENDER, broker.agencies[SENDER].sign(unsigned))
    changed = document(SENDER, [NGHE_AN], document_id=document_id_of(unsigned), subject="khác")
    with pytest.raises(Refusal) as refused:
        await _submit(broker, SENDER, broker.agencies[SENDER].sign(changed))
    assert (refused.value.kind, refused.value.code) == (RefusalKind.CONFLICT, "message.conflict")
    assert await broker.pool.fetchval("SELECT code FROM refusals") == "message.conflict"


async def test_a_batch_with_one_bad_item_accepts_the_others(broker: Broker) -> None:
    sender = broker.agencies[SENDER]
    unsigned = document(SENDER, [NGHE_AN])
    await _submit(broker, SENDER, sender.sign(unsigned))
    good = [sender.sign(document(SENDER, [NGHE_AN])) for _ in range(20)]
    conflicting = sender.sign(
        document(SENDER, [NGHE_AN], document_id=document_id_of(unsigned), subject="x")
    )
    outcomes = await asyncio.gather(
        *(_submit(broker, SENDER, data) for data in [*good[:10], conflicting, *good[10:]]),
        return_exceptions=True,
    )
    refusals = [o for o in outcomes if isinstance(o, Refusal)]
    assert [r.code for r in refusals] == ["message.conflict"]
    assert await broker.pool.fetchval("SELECT count(*) FROM messages") == 21


async def test_every_refusal_is_recorded_and_audited(broker: Broker) -> None:
    with pytest.raises(Refusal) as refused:
        await _submit(broker, SENDER, b"<a><b></a>")
    assert (refused.value.kind, refused.value.code) == (RefusalKind.MALFORMED, "envelope.malformed")
    row = await broker.pool.fetchrow("SELECT organ_id, code, kind FROM refusals")
    assert row is not None and tuple(row) == (SENDER, "envelope.malformed", "malformed")
    audited = await broker.pool.fetchval(
        "SELECT count(*) FROM audit_log WHERE action = 'message.refuse' AND subject = $1",
        "envelope.malformed",
    )
    assert audited == 1


async def test_a_status_for_an_unknown_document_is_refused(broker: Broker) -> None:
    data = broker.agencies[NGHE_AN].sign(status(NGHE_AN, SENDER, "no-such-document", "03"))
    with pytest.raises(Refusal) as refused:
        await _submit(broker, NGHE_AN, data)
    assert (refused.value.kind, refused.value.code) == (
        RefusalKind.INVALID,
        "status.unknown_document",
    )


async def test_a_status_is_routed_to_the_original_sender(broker: Broker) -> None:
    unsigned = document(SENDER, [NGHE_AN, TAY_NINH])
    sent = await _submit(broker, SENDER, broker.agencies[SENDER].sign(unsigned))
    receipt = broker.agencies[NGHE_AN].sign(
        status(NGHE_AN, SENDER, document_id_of(unsigned), "03", description="Đã vào sổ")
    )
    accepted = await _submit(broker, NGHE_AN, receipt)
    assert accepted.kind == "status" and accepted.recipients == (SENDER,)
    business = await broker.pool.fetchval(
        "SELECT business_status FROM deliveries WHERE message_id=$1 AND recipient_id=$2",
        sent.id,
        NGHE_AN,
    )
    assert business == "03"
    answers = await broker.pool.fetchval(
        "SELECT answers_message_id FROM messages WHERE id=$1", accepted.id
    )
    assert answers == sent.id


async def test_two_processes_racing_with_the_same_bytes_store_one_message(broker: Broker) -> None:
    runtime = broker.runtime
    other = Intake(
        runtime.settings, runtime.pool, runtime.registry, runtime.trust, runtime.peer_cache
    )
    try:
        agency = await runtime.registry.require(SENDER)
        sender = broker.agencies[SENDER]
        unsigned = [document(SENDER, [NGHE_AN]) for _ in range(5)]
        signed = [sender.sign(data) for data in unsigned]
        conflicting = [
            sender.sign(document(SENDER, [TAY_NINH], document_id=document_id_of(data)))
            for data in unsigned
        ]
        outcomes = await asyncio.gather(
            *(runtime.intake.submit(agency, data) for data in signed),
            *(other.submit(agency, data) for data in signed),
            *(other.submit(agency, data) for data in conflicting),
            return_exceptions=True,
        )
    finally:
        await other.close()
    accepted = [o for o in outcomes if isinstance(o, Accepted)]
    refused = [o for o in outcomes if isinstance(o, Refusal)]
    assert len(accepted) + len(refused) == 15, outcomes
    assert {r.code for r in refused} <= {"message.conflict"}
    # per DocumentId exactly one version was stored, and every caller agrees which
    stored = await broker.pool.fetch("SELECT id, document_id FROM messages")
    assert len(stored) == 5
    ids = {row["id"] for row in stored}
    assert {a.id for a in accepted} <= ids
    assert sum(a.created for a in accepted) == 5


async def test_push_deliveries_wake_the_workers_on_commit(broker: Broker) -> None:
    heard: list[str] = []
    listener = await asyncpg.connect(broker.runtime.settings.database_url)
    try:
        await listener.add_listener("axis_deliveries", lambda *args: heard.append(args[3]))
        pulled = await _submit(
            broker, SENDER, broker.agencies[SENDER].sign(document(SENDER, [NGHE_AN]))
        )
        pushed = await _submit(
            broker, SENDER, broker.agencies[SENDER].sign(document(SENDER, [NGHE_AN, TAY_NINH]))
        )
        await eventually(lambda: bool(heard), what="the push notice")
        # Absence needs a window: a second notice (for the pulled message, or a
        # repeat) would arrive within milliseconds of the first.
        await asyncio.sleep(0.05)
    finally:
        await listener.close()
    assert heard == [pushed.id]
    assert pulled.id not in heard


async def test_concurrent_equal_statuses_from_one_recipient_move_it_once(broker: Broker) -> None:
    unsigned = document(SENDER, [NGHE_AN])
    await _submit(broker, SENDER, broker.agencies[SENDER].sign(unsigned))
    document_id = document_id_of(unsigned)
    receipts = [
        broker.agencies[NGHE_AN].sign(
            status(NGHE_AN, SENDER, document_id, "03", description=f"lần {n}")
        )
        for n in range(6)
    ]
    outcomes = await asyncio.gather(
        *(_submit(broker, NGHE_AN, data) for data in receipts), return_exceptions=True
    )
    assert sum(isinstance(o, Accepted) for o in outcomes) == 1
    refused = [o for o in outcomes if isinstance(o, Refusal)]
    assert [r.code for r in refused] == ["status.not_allowed"] * 5
    assert await broker.pool.fetchval("SELECT count(*) FROM status_events") == 1
