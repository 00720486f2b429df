"""Bodies by month: the migration onto an existing table, partitions ahead, a month dropped."""

from __future__ import annotations

import asyncpg
import pytest

from axis.retention import partitions
from axis.retention.months import Month
from axis.retention.policy import Policy
from axis.retention.purge import purge_month
from axis.storage import database, migrator
from axis.storage.database import Connection, Pool
from tests.support.retention_data import add_agencies, add_message, body_of, utc


async def _in_pieces(connection: Connection, message_id: str, *pieces: bytes) -> None:
    """Moves a body into message_bodies, in pieces (as large bodies are stored)."""
    await connection.execute("UPDATE messages SET body = NULL WHERE id = $1", message_id)
    await connection.executemany(
        "INSERT INTO message_bodies (message_id, part, content) VALUES ($1, $2, $3)",
        [(message_id, part, piece) for part, piece in enumerate(pieces)],
    )


async def _partition_of(connection: Connection, message_id: str) -> str:
    return str(
        await connection.fetchval(
            "SELECT tableoid::regclass::text FROM message_bodies WHERE message_id = $1 LIMIT 1",
            message_id,
        )
    )


async def test_months_get_their_own_partitions_and_a_month_is_dropped(pool: Pool) -> None:
    created = await partitions.ensure_partitions(pool, utc(2026, 1, 15))
    # The month after next onwards: at least a month between the bound and its first id.
    assert [str(m) for m in created] == ["2026-03", "2026-04"]
    assert await partitions.ensure_partitions(pool, utc(2026, 1, 20)) == []
    assert [str(m) for m in await partitions.ensure_partitions(pool, utc(2026, 2, 1))] == [
        "2026-05"
    ]
    async with pool.acquire() as connection:
        await add_agencies(connection)
        february = await add_message(connection, utc(2026, 2, 10))
        march = [await add_message(connection, utc(2026, 3, day)) for day in (1, 31)]
        await _in_pieces(connection, february, b"<a>", b"</a>")
        for message_id in march:
            await _in_pieces(connection, message_id, b"<m>", b"</m>")
        assert await _partition_of(connection, february) == "message_bodies_before_partitions"
        assert await _partition_of(connection, march[0]) == "message_bodies_y2026m03"
        assert await body_of(connection, february) == b"<a></a>"
        # Past the partitions made so far, a body has nowhere to go: the bound holds.
        june = await add_message(connection, utc(2026, 6, 2))
        with pytest.raises(asyncpg.CheckViolationError):
            await _in_pieces(connection, june, b"x")

    later = utc(2026, 9, 1)
    purged = await purge_month(
        pool, Month(2026, 3), Policy(), now=later, actor="op", bundle_path=None,
        without_archive=True,
    )  # fmt: skip
    assert purged.dropped_partition and purged.bodies == 2 and purged.body_bytes == 14
    assert Month(2026, 3) not in await partitions.monthly_partitions(pool)
    legacy = await purge_month(
        pool, Month(2026, 2), Policy(), now=later, actor="op", bundle_path=None,
        without_archive=True,
    )  # fmt: skip
    assert not legacy.dropped_partition and legacy.bodies == 1 and legacy.body_bytes == 7
    async with pool.acquire() as connection:
        assert await body_of(connection, february) is None
        assert await connection.fetchval("SELECT count(*) FROM messages") == 4


async def test_the_migration_keeps_an_existing_bodies_table_as_the_default(
    empty_database_url: str,
) -> None:
    """A database where message_bodies was a plain table with rows (as before 0022)."""
    # Up to 0021, which makes message_bodies a plain table.
    earlier = tuple(m for m in migrator.packaged_migrations() if m.version < 22)
    connection = await asyncpg.connect(empty_database_url)
    try:
        await migrator.migrate(connection, earlier)
        await add_agencies(connection)
        message_id = await add_message(connection, utc(2026, 1, 10))
        await _in_pieces(connection, message_id, b"<x>", b"</x>")
        applied = await migrator.migrate(connection)
        assert applied and all(m.version >= 22 for m in applied)
        kind = await connection.fetchval(
            "SELECT relkind FROM pg_class WHERE relname = 'message_bodies'"
        )
        assert kind in (b"p", "p")
        assert await body_of(connection, message_id) == b"<x></x>"
    finally:
        await connection.close()
    pool = await database.create_pool(empty_database_url, 2)
    try:
        assert [str(m) for m in await partitions.ensure_partitions(pool, utc(2026, 1, 15))] == [
            "2026-03", "2026-04",
        ]  # fmt: skip
    finally:
        await pool.close()
