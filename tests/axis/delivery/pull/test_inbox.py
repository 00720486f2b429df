"""The pull road's one service: list, fetch, ack, confirm, as both doors use it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from axis.delivery.pull import inbox
from axis.delivery.pull.inbox import MessageNotFound
from axis.vocabulary import MessageKind
from tests.support.envelopes import Broker, document, open_broker

SENDER = "000.00.00.G22"
RECIPIENT = "000.00.00.H41"


@pytest.fixture
async def broker(database_url: str) -> AsyncIterator[Broker]:
    async with open_broker(database_url) as opened:
        await opened.add(SENDER)
        await opened.add(RECIPIENT)
        yield opened


async def _send(broker: Broker) -> tuple[str, bytes]:
    data = broker.agencies[SENDER].sign(document(SENDER, [RECIPIENT]))
    agency = await broker.runtime.registry.require(SENDER)
    return (await broker.runtime.intake.submit(agency, data)).id, data


async def _actions(broker: Broker, message_id: str) -> list[str]:
    rows = await broker.pool.fetch(
        "SELECT action FROM audit_log WHERE subject = $1 ORDER BY id", message_id
    )
    return [row["action"] for row in rows]


async def test_fetch_then_ack(broker: Broker) -> None:
    pull = broker.runtime.pull
    message_id, data = await _send(broker)
    page = await inbox.page(broker.pool, RECIPIENT, MessageKind.DOCUMENT)
    assert [item.id for item in page.items] == [message_id]
    assert await pull.fetch(message_id, RECIPIENT) == data
    assert await pull.fetch(message_id, RECIPIENT) == data
    state = await broker.pool.fetchval("SELECT transport_state FROM deliveries")
    assert state == "delivered"
    first = await pull.acknowledge(message_id, RECIPIENT, result="fail", reason="hỏng")
    second = await pull.acknowledge(message_id, RECIPIENT)
    assert first.acked_at == second.acked_at and second.result == "fail"
    assert (await inbox.page(broker.pool, RECIPIENT)).items == ()
    assert await _actions(broker, message_id) == [
        "message.accept",
        "message.deliver",
        "message.ack",
    ]
    with pytest.raises(MessageNotFound):
        await pull.acknowledge(message_id, SENDER)
    with pytest.raises(MessageNotFound):
        await pull.fetch("missing", RECIPIENT)


async def test_the_sender_reads_its_own_message_without_delivering_it(broker: Broker) -> None:
    message_id, data = await _send(broker)
    assert await broker.runtime.pull.fetch(message_id, SENDER) == data
    assert await broker.pool.fetchval("SELECT transport_state FROM deliveries") == "queued"
    assert await _actions(broker, message_id) == ["message.accept"]


async def test_repeats_in_one_batch_are_one_transition_audited_once(broker: Broker) -> None:
    pull = broker.runtime.pull
    message_id, data = await _send(broker)
    fetched = await asyncio.gather(*(pull.fetch(message_id, RECIPIENT) for _ in range(20)))
    assert set(fetched) == {data}
    acks = await asyncio.gather(*(pull.acknowledge(message_id, RECIPIENT) for _ in range(20)))
    assert len({ack.acked_at for ack in acks}) == 1
    assert await _actions(broker, message_id) == [
        "message.accept",
        "message.deliver",
        "message.ack",
    ]


async def test_a_confirmation_settles_a_push_waiting_for_its_retry(broker: Broker) -> None:
    """VXP ``processing``: the recipient says it has the message, whatever its road."""
    pushed = "000.00.00.H42"
    await broker.add(pushed, endpoint_url="http://127.0.0.1:9/never")
    data = broker.agencies[SENDER].sign(document(SENDER, [pushed]))
    agency = await broker.runtime.registry.require(SENDER)
    message_id = (await broker.runtime.intake.submit(agency, data)).id
    await broker.pool.execute(
        "UPDATE deliveries SET transport_state = 'retrying', lease_owner = 'gone', "
        "lease_expires_at = now() + interval '1 hour'"
    )
    # Merely reading the bytes leaves a push to its worker.
    assert await broker.runtime.pull.fetch(message_id, pushed) == data
    assert await broker.pool.fetchval("SELECT transport_state FROM deliveries") == "retrying"
    await broker.runtime.pull.confirm(message_id, pushed)
    row = await broker.pool.fetchrow("SELECT transport_state, lease_owner FROM deliveries")
    assert row is not None and (row["transport_state"], row["lease_owner"]) == ("delivered", None)
    detail = await broker.pool.fetchval(
        "SELECT detail FROM audit_log WHERE action = 'message.deliver' AND subject = $1",
        message_id,
    )
    assert (detail["via"], detail["recipient"]) == ("push", pushed)
    with pytest.raises(MessageNotFound):
        await broker.runtime.pull.confirm(message_id, SENDER)
