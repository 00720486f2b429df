"""What still answers once a body is purged, and what refuses to act without it."""

from __future__ import annotations

import pytest

from axis.delivery import dead_letters
from axis.delivery.pull.service import MessagePurged
from axis.storage.database import Pool
from axis.tracking import clerk_views
from tests.support.retention_data import RECIPIENT, SENDER, add_agencies, add_message, utc


async def _purged_dead_delivery(pool: Pool) -> tuple[str, int]:
    async with pool.acquire() as connection:
        await add_agencies(connection)
        message_id = await add_message(connection, utc(2026, 1, 5), recipients={RECIPIENT: "dead"})
        delivery_id = await connection.fetchval(
            "SELECT id FROM deliveries WHERE message_id = $1", message_id
        )
        # What a purge leaves of a legacy row: the record, no bytes.
        await connection.execute("UPDATE messages SET body = NULL WHERE id = $1", message_id)
    return message_id, delivery_id


async def test_a_dead_delivery_of_a_purged_body_cannot_be_retried_but_can_be_discarded(
    pool: Pool,
) -> None:
    _, delivery_id = await _purged_dead_delivery(pool)
    with pytest.raises(dead_letters.DeliveryBodyPurged, match="axis archive restore"):
        await dead_letters.retry(pool, delivery_id)
    await dead_letters.discard(pool, delivery_id)
    [row] = await dead_letters.list_deliveries(pool, "discarded")
    assert row.id == delivery_id


async def test_a_dead_delivery_with_its_body_is_retried(pool: Pool) -> None:
    async with pool.acquire() as connection:
        await add_agencies(connection)
        message_id = await add_message(connection, utc(2026, 1, 5), recipients={RECIPIENT: "dead"})
    [row] = await dead_letters.list_deliveries(pool, "dead")
    await dead_letters.retry(pool, row.id)
    [queued] = await dead_letters.list_deliveries(pool, "queued")
    assert queued.message_id == message_id


async def test_the_clerks_download_of_a_purged_body_says_it_was_purged(pool: Pool) -> None:
    message_id, _ = await _purged_dead_delivery(pool)
    for organ_id in (SENDER, RECIPIENT):
        with pytest.raises(MessagePurged, match="purged"):
            await clerk_views.document_body(pool, organ_id, message_id)
    assert await clerk_views.document_body(pool, "000.00.00.X99", message_id) is None
