"""The inbox without a batch recorder (as the VXP surface uses it) and with one."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from axis.delivery.pull import inbox
from axis.delivery.pull.inbox import MessageNotFound
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


@pytest.mark.parametrize("batched", [False, True])
async def test_fetch_then_ack(broker: Broker, batched: bool) -> None:
    recorder = broker.runtime.intake if batched else None
    message_id, data = await _send(broker)
    page = await inbox.page(broker.pool, RECIPIENT, "edoc")
    assert [item.id for item in page.items] == [message_id]
    assert await inbox.fetch(broker.pool, message_id, RECIPIENT, recorder) == data
    assert await inbox.fetch(broker.pool, message_id, RECIPIENT, recorder) == data
    state = await broker.pool.fetchval("SELECT transport_state FROM deliveries")
    assert state == "delivered"
    first = await inbox.acknowledge(
        broker.pool, message_id, RECIPIENT, result="fail", reason="hỏng", recorder=recorder
    )
    second = await inbox.acknowledge(broker.pool, message_id, RECIPIENT, recorder=recorder)
    assert first.acked_at == second.acked_at and second.result == "fail"
    assert (await inbox.page(broker.pool, RECIPIENT)).items == ()
    assert await _actions(broker, message_id) == [
        "message.accept",
        "message.deliver",
        "message.ack",
    ]
    with pytest.raises(MessageNotFound):
        await inbox.acknowledge(broker.pool, message_id, SENDER, recorder=recorder)
    with pytest.raises(MessageNotFound):
        await inbox.fetch(broker.pool, "missing", RECIPIENT, recorder)
