"""Group commit: concurrent items share transactions; one bad item fails alone."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

import pytest

from axis.storage.database import Connection, Pool, create_pool
from axis.storage.group_commit import GroupCommitter
from tests.support.waiting import eventually


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[Pool]:
    opened = await create_pool(database_url, 4)
    await opened.execute("CREATE TABLE items (value integer PRIMARY KEY)")
    try:
        yield opened
    finally:
        await opened.close()


async def test_items_are_written_in_batches_and_each_caller_gets_its_result(pool: Pool) -> None:
    batches: list[int] = []

    async def write(connection: Connection, items: Sequence[int]) -> list[int]:
        batches.append(len(items))
        await connection.executemany("INSERT INTO items VALUES ($1)", [(i,) for i in items])
        return [item * 10 for item in items]

    committer: GroupCommitter[int, int] = GroupCommitter(pool, write, batch_size=50, writers=1)
    try:
        results = await asyncio.gather(*(committer.submit(n) for n in range(200)))
    finally:
        await committer.close()
    assert results == [n * 10 for n in range(200)]
    assert await pool.fetchval("SELECT count(*) FROM items") == 200
    assert max(batches) > 1 and all(size <= 50 for size in batches)


async def test_a_failing_item_fails_only_its_caller(pool: Pool) -> None:
    async def write(connection: Connection, items: Sequence[int]) -> list[int]:
        await connection.executemany("INSERT INTO items VALUES ($1)", [(i,) for i in items])
        if 13 in items:
            raise ValueError("thirteen")
        return list(items)

    committer: GroupCommitter[int, int] = GroupCommitter(pool, write, batch_size=100, writers=1)
    try:
        outcomes = await asyncio.gather(
            *(committer.submit(n) for n in range(30)), return_exceptions=True
        )
    finally:
        await committer.close()
    failed = [n for n, outcome in enumerate(outcomes) if isinstance(outcome, ValueError)]
    assert failed == [13]
    stored = {row["value"] for row in await pool.fetch("SELECT value FROM items")}
    assert stored == set(range(30)) - {13}


async def test_a_closed_committer_refuses_new_items(pool: Pool) -> None:
    async def write(connection: Connection, items: Sequence[int]) -> list[int]:
        return list(items)

    committer: GroupCommitter[int, int] = GroupCommitter(pool, write)
    assert await committer.submit(1) == 1
    await committer.close()
    with pytest.raises(RuntimeError):
        await committer.submit(2)


async def test_close_writes_what_was_already_submitted(pool: Pool) -> None:
    async def write(connection: Connection, items: Sequence[int]) -> list[int]:
        await asyncio.sleep(0.05)  # a slow write, so that items wait behind it: the case tested
        await connection.executemany("INSERT INTO items VALUES ($1)", [(i,) for i in items])
        return list(items)

    committer: GroupCommitter[int, int] = GroupCommitter(pool, write, batch_size=5, writers=1)
    pending = [asyncio.ensure_future(committer.submit(n)) for n in range(20)]
    await asyncio.sleep(0)  # every item is queued
    await committer.close()
    assert [await future for future in pending] == list(range(20))
    assert await pool.fetchval("SELECT count(*) FROM items") == 20


async def test_urgent_items_waiting_behind_a_batch_go_first(pool: Pool) -> None:
    # While the first batch is being written, routine items (urgency 0) and then
    # urgent ones (3, 4) queue up; the next batches take the urgent ones first,
    # and keep arrival order within one urgency.
    release = asyncio.Event()
    holding = asyncio.Event()
    written: list[list[int]] = []

    async def write(connection: Connection, items: Sequence[int]) -> list[int]:
        if not written:
            holding.set()
            await release.wait()
        written.append(list(items))
        return list(items)

    def urgency(item: int) -> int:
        return item // 100

    committer: GroupCommitter[int, int] = GroupCommitter(
        pool, write, batch_size=4, writers=1, urgency=urgency
    )
    try:
        first = asyncio.create_task(committer.submit(1))
        await holding.wait()  # the writer holds item 1 and waits
        waiting = [asyncio.create_task(committer.submit(n)) for n in (2, 3, 4, 5, 301, 402, 6)]
        await eventually(lambda: committer.backlog() == 7, what="seven items queued")
        release.set()
        await asyncio.gather(first, *waiting)
    finally:
        await committer.close()
    assert written == [[1], [402, 301, 2, 3], [4, 5, 6]]
