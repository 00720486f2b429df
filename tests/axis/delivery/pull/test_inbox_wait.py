"""Long polling the inbox: an empty inbox answers when a message for the caller commits."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from axis.delivery.pull.inbox import InboxPage
from tests.support.envelopes import Broker, document, open_broker
from tests.support.waiting import eventually, inbox_waiting

SENDER = "000.00.00.G22"
RECIPIENT = "000.00.00.H41"
OTHER = "000.00.00.H53"
# Far longer than any wake-up takes, so "answered before the wait ran out" means woken.
LONG_WAIT = 20.0


@pytest.fixture
async def broker(database_url: str) -> AsyncIterator[Broker]:
    async with open_broker(database_url) as opened:
        for organ_id in (SENDER, RECIPIENT, OTHER):
            await opened.add(organ_id)
        yield opened


async def _send(broker: Broker, recipient: str) -> str:
    data = broker.agencies[SENDER].sign(document(SENDER, [recipient]))
    agency = await broker.runtime.registry.require(SENDER)
    return (await broker.runtime.intake.submit(agency, data)).id


async def _waiting_page(broker: Broker, organ_id: str, wait: float) -> tuple[InboxPage, float]:
    started = time.monotonic()
    page = await broker.runtime.pull.page(organ_id, wait=wait)
    return page, time.monotonic() - started


async def test_a_waiting_inbox_answers_when_its_message_commits(broker: Broker) -> None:
    waiting = asyncio.create_task(_waiting_page(broker, RECIPIENT, LONG_WAIT))
    await eventually(inbox_waiting(broker.runtime.pull.waiters, RECIPIENT), what="the wait")
    assert not waiting.done()
    message_id = await _send(broker, RECIPIENT)
    page, waited = await asyncio.wait_for(waiting, LONG_WAIT)
    assert [item.id for item in page.items] == [message_id]
    assert waited < LONG_WAIT / 2


async def test_a_message_for_someone_else_does_not_end_the_wait(broker: Broker) -> None:
    waiting = asyncio.create_task(_waiting_page(broker, RECIPIENT, 1.0))
    await eventually(inbox_waiting(broker.runtime.pull.waiters, RECIPIENT), what="the wait")
    await _send(broker, OTHER)
    page, waited = await waiting
    assert page.items == ()
    assert waited >= 1.0


async def test_what_is_already_there_is_answered_without_waiting(broker: Broker) -> None:
    message_id = await _send(broker, RECIPIENT)
    page, waited = await _waiting_page(broker, RECIPIENT, LONG_WAIT)
    assert [item.id for item in page.items] == [message_id]
    assert waited < LONG_WAIT / 2


async def test_every_waiter_of_one_agency_is_woken(broker: Broker) -> None:
    waiting = [asyncio.create_task(_waiting_page(broker, RECIPIENT, LONG_WAIT)) for _ in range(3)]
    await eventually(inbox_waiting(broker.runtime.pull.waiters, RECIPIENT, 3), what="3 waits")
    message_id = await _send(broker, RECIPIENT)
    for page, _ in await asyncio.wait_for(asyncio.gather(*waiting), LONG_WAIT):
        assert [item.id for item in page.items] == [message_id]
