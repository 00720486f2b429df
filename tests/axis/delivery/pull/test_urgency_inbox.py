"""The pull inbox lists urgent messages first, oldest first within a priority.

Messages go through the real intake (signed envelopes carrying Priority), so
the order tested is the one an agency sees.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator

import pytest

from axis.delivery.pull import inbox
from axis.delivery.pull.inbox import BadCursor, InboxItem
from axis.vocabulary import MessageKind
from tests.support.envelopes import Broker, document, document_id_of, open_broker, status

SENDER = "000.00.00.G22"
RECIPIENT = "000.00.00.H41"


@pytest.fixture
async def broker(database_url: str) -> AsyncIterator[Broker]:
    async with open_broker(database_url) as opened:
        await opened.add(SENDER)
        await opened.add(RECIPIENT)
        yield opened


async def send(broker: Broker, priority: int, *, sender: str = SENDER) -> str:
    to = RECIPIENT if sender == SENDER else SENDER
    data = broker.agencies[sender].sign(document(sender, [to], priority=priority))
    agency = await broker.runtime.registry.require(sender)
    return (await broker.runtime.intake.submit(agency, data)).id


async def send_status(broker: Broker) -> str:
    """A status to RECIPIENT about a document it sent (statuses carry no priority)."""
    unsigned = document(RECIPIENT, [SENDER])
    data = broker.agencies[RECIPIENT].sign(unsigned)
    recipient = await broker.runtime.registry.require(RECIPIENT)
    await broker.runtime.intake.submit(recipient, data)
    answer = broker.agencies[SENDER].sign(status(SENDER, RECIPIENT, document_id_of(unsigned), "03"))
    sender = await broker.runtime.registry.require(SENDER)
    return (await broker.runtime.intake.submit(sender, answer)).id


async def one_pass(
    broker: Broker, limit: int, kind: str | None = None, cursor: str | None = None
) -> list[InboxItem]:
    """Every page from ``cursor`` to the last one."""
    items: list[InboxItem] = []
    while True:
        page = await inbox.page(broker.pool, RECIPIENT, kind, limit=limit, cursor=cursor)  # type: ignore[arg-type]
        items.extend(page.items)
        if page.next_cursor is None:
            return items
        cursor = page.next_cursor


def expected_order(sent: list[tuple[str, int]]) -> list[str]:
    """Urgent first; within a priority, in the order they were accepted."""
    ranked = sorted(enumerate(sent), key=lambda entry: (-entry[1][1], entry[0]))
    return [message_id for _, (message_id, _) in ranked]


async def test_urgent_first_then_oldest_and_kinds_merge(broker: Broker) -> None:
    sent: list[tuple[str, int]] = []
    for priority in (0, 3, 1, 4, 0, 2, 4, 1, 3):
        sent.append((await send(broker, priority), priority))
    status_id = await send_status(broker)
    sent.append((status_id, 0))

    everything = (await inbox.page(broker.pool, RECIPIENT)).items
    assert [item.id for item in everything] == expected_order(sent)
    assert [item.priority for item in everything] == [4, 4, 3, 3, 2, 1, 1, 0, 0, 0]
    assert everything[-1].kind == "status"
    documents = (await inbox.page(broker.pool, RECIPIENT, MessageKind.DOCUMENT)).items
    assert [item.id for item in documents] == expected_order(sent[:-1])
    statuses = (await inbox.page(broker.pool, RECIPIENT, MessageKind.STATUS)).items
    assert [item.id for item in statuses] == [status_id]


@pytest.mark.parametrize("limit", [1, 3, 4, 7])
async def test_pages_list_every_message_once_in_order(broker: Broker, limit: int) -> None:
    rng = random.Random(limit)
    sent = []
    for _ in range(17):
        priority = rng.choice((0, 0, 0, 1, 2, 3, 4))
        sent.append((await send(broker, priority), priority))

    listed = [item.id for item in await one_pass(broker, limit)]
    assert listed == expected_order(sent)
    assert len(set(listed)) == len(sent)


async def test_arrivals_between_pages_are_never_lost(broker: Broker) -> None:
    routine = [await send(broker, 0) for _ in range(4)]
    secret = [await send(broker, 2) for _ in range(2)]
    first = await inbox.page(broker.pool, RECIPIENT, limit=3)
    assert [item.id for item in first.items] == [*secret, routine[0]]
    assert first.next_cursor is not None

    # Arrivals after page 1: the urgent one ranks before the cursor, the
    # routine one after it.
    urgent = await send(broker, 4)
    late_routine = await send(broker, 0)
    rest = [item.id for item in await one_pass(broker, 2, cursor=first.next_cursor)]
    assert rest == [*routine[1:], late_routine]
    listed = [item.id for item in first.items] + rest
    assert len(set(listed)) == len(listed)
    # The urgent message was not in that pass, and is not lost: the next pass,
    # from the start, lists it first.
    assert urgent not in listed
    again = [item.id for item in await one_pass(broker, 2)]
    assert again == [urgent, *secret, *routine, late_routine]


async def test_acknowledged_messages_leave_without_disturbing_the_cursor(broker: Broker) -> None:
    sent = [(await send(broker, priority), priority) for priority in (1, 4, 0, 4, 1, 0)]
    order = expected_order(sent)
    first = await inbox.page(broker.pool, RECIPIENT, limit=2)
    assert [item.id for item in first.items] == order[:2]
    # Ack one already listed and one not yet listed: the rest of the pass goes on.
    await broker.runtime.pull.acknowledge(order[0], RECIPIENT)
    await broker.runtime.pull.acknowledge(order[3], RECIPIENT)
    rest = [item.id for item in await one_pass(broker, 2, cursor=first.next_cursor)]
    assert rest == [order[2], *order[4:]]


async def test_a_cursor_from_the_oldest_first_inbox_loses_nothing(broker: Broker) -> None:
    sent = [(await send(broker, priority), priority) for priority in (0, 4, 1, 0)]
    first_delivery = await broker.pool.fetchval(
        "SELECT id FROM deliveries WHERE message_id = $1", sent[0][0]
    )
    # The old cursor was the last delivery id listed, oldest first.
    rest = [item.id for item in await one_pass(broker, 2, cursor=str(first_delivery))]
    remaining = {message_id for message_id, _ in sent[1:]}
    assert remaining <= set(rest)


@pytest.mark.parametrize(
    "cursor", ["abc", "5.1", "1.", ".1", "12.3", "1.x", "-1.2", "1.2.3", "1.9999999999999999999"]
)
async def test_cursors_it_did_not_hand_out_are_refused(broker: Broker, cursor: str) -> None:
    with pytest.raises(BadCursor):
        await inbox.page(broker.pool, RECIPIENT, cursor=cursor)
