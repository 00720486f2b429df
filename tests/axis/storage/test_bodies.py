"""Bodies in pieces: written by intake, read piece by piece, legacy rows still read."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest

from axis.storage import bodies
from tests.support.envelopes import Broker, document, open_broker

SENDER = "000.00.00.G22"
RECIPIENT = "000.00.00.H41"


@pytest.fixture
async def broker(database_url: str) -> AsyncIterator[Broker]:
    async with open_broker(database_url) as opened:
        await opened.add(SENDER)
        await opened.add(RECIPIENT)
        yield opened


async def _send(broker: Broker, payload: bytes = b"hello") -> tuple[str, bytes]:
    data = broker.agencies[SENDER].sign(document(SENDER, [RECIPIENT], payload=payload))
    agency = await broker.runtime.registry.require(SENDER)
    return (await broker.runtime.intake.submit(agency, data)).id, data


async def test_a_small_body_is_one_piece_read_in_one_query(broker: Broker) -> None:
    message_id, data = await _send(broker)
    parts = await broker.pool.fetch(
        "SELECT part, content FROM message_bodies WHERE message_id = $1", message_id
    )
    assert [(row["part"], bytes(row["content"])) for row in parts] == [(0, data)]
    stored = await broker.runtime.pull.open(message_id, RECIPIENT)
    assert stored.whole and stored.first == data


async def test_a_large_body_is_pieces_read_back_exactly(broker: Broker) -> None:
    # In memory (intake.submit with bytes) a large body is still one piece; through
    # the spool it is pieces. Both read back the same bytes.
    message_id, data = await _send(broker, os.urandom(3 * bodies.PART_BYTES))
    stored = await broker.runtime.pull.open(message_id, RECIPIENT)
    assert b"".join([piece async for piece in bodies.pieces(broker.pool, stored)]) == data


async def test_a_message_stored_before_the_pieces_is_read_from_its_row(broker: Broker) -> None:
    """Rows written before migration 0021 keep messages.body and have no piece."""
    message_id, data = await _send(broker)
    async with broker.pool.acquire() as connection, connection.transaction():
        await connection.execute("UPDATE messages SET body = $2 WHERE id = $1", message_id, data)
        await connection.execute("DELETE FROM message_bodies WHERE message_id = $1", message_id)
    assert await broker.runtime.pull.fetch(message_id, RECIPIENT) == data
    claimed = await broker.pool.fetchval(
        "SELECT coalesce((SELECT b.content FROM message_bodies b WHERE b.message_id = m.id"
        " AND b.part = 0), m.body) FROM messages m WHERE m.id = $1",
        message_id,
    )
    assert bytes(claimed) == data
