"""The daily run: it purges ripe months into bundles, records its figures, runs once a day."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from axis.retention import bundle
from axis.retention.policy import Policy
from axis.retention.task import Archiving, RetentionTask, run_once
from axis.storage import sql
from axis.storage.database import Pool
from signing.seal import SealKey
from tests.support.retention_data import add_agencies, add_message, body_of, utc
from tests.support.waiting import eventually


async def test_a_run_purges_ripe_months_and_says_when_the_next_is(
    pool: Pool, tmp_path: Path, seal_key: SealKey
) -> None:
    async with pool.acquire() as connection:
        await add_agencies(connection)
        january = await add_message(connection, utc(2026, 1, 5))
        # February's last body settles late, so the month is not ripe on 2026-06-01.
        february = await add_message(connection, utc(2026, 2, 5))
        await add_message(connection, utc(2026, 2, 6), settled_after=timedelta(days=100))
        june = await add_message(connection, utc(2026, 6, 1))
    now = utc(2026, 6, 1, 13)
    archiving = Archiving(tmp_path / "archive", lambda: seal_key)
    report = await run_once(pool, Policy(), archiving, now=now, holder="node-a")
    assert [p.month for p in report.purged] == ["2026-01"]
    assert report.next_purge_month == "2026-02"
    assert report.next_purge_at == utc(2026, 2, 6) + timedelta(days=190)
    assert bundle.verify(tmp_path / "archive" / "axis-archive-2026-01.tar").bodies == 1
    async with pool.acquire() as connection:
        assert await body_of(connection, january) is None
        assert await body_of(connection, february) is not None
        assert await body_of(connection, june) is not None
        state = await connection.fetchrow(sql.query("retention_figures"))
    assert state is not None
    assert state["next_purge_month"] == "2026-02" and state["body_bytes_held"] > 0


async def test_without_an_archive_folder_nothing_is_purged(pool: Pool) -> None:
    async with pool.acquire() as connection:
        await add_agencies(connection)
        january = await add_message(connection, utc(2026, 1, 5))
    report = await run_once(pool, Policy(), None, now=utc(2026, 6, 1), holder="node-a")
    assert report.purged == () and report.next_purge_month == "2026-01"
    async with pool.acquire() as connection:
        assert await body_of(connection, january) is not None


async def test_the_task_runs_on_one_node_once_a_day(pool: Pool) -> None:
    clock = [utc(2026, 6, 1)]
    first = RetentionTask(pool, Policy(), None, "node-a", clock=lambda: clock[0])
    await first.start()
    try:

        async def ran() -> bool:
            return bool(await pool.fetchval("SELECT holder FROM retention_state") == "node-a")

        await eventually(ran, what="the first node's run")
    finally:
        await first.stop()
    # Another node takes the lease within the day: it does not run again.
    second = RetentionTask(pool, Policy(), None, "node-b", clock=lambda: clock[0])
    async with pool.acquire() as connection:
        await second._run_while_held(connection)
        assert await connection.fetchval("SELECT holder FROM retention_state") == "node-a"
        clock[0] += timedelta(days=1)
        await second._run_while_held(connection)
        assert await connection.fetchval("SELECT holder FROM retention_state") == "node-b"
