"""A sealer killed with ``kill -9`` mid-run is taken over within seconds; nothing is lost."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable

from axis.audit import chain as audit
from axis.audit import sealer
from axis.storage.database import Pool, create_pool
from tests.axis.audit.chains import chain_ids
from tests.support.processes import REPOSITORY_ROOT
from tests.support.waiting import eventually


def _start(database_url: str, name: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.axis.audit.sealing_node", database_url, name],
        cwd=REPOSITORY_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )


async def _write_until(pool: Pool, stop: asyncio.Event) -> None:
    n = 0
    while not stop.is_set():
        async with pool.acquire() as connection, connection.transaction():
            await audit.append(connection, audit.AuditEntry("tester", "user.add", f"e{n}"))
        n += 1
        await asyncio.sleep(0.002)


async def test_a_killed_sealer_is_taken_over_and_nothing_is_sealed_twice_or_skipped(
    database_url: str,
) -> None:
    pool = await create_pool(database_url, 4)
    first, second = _start(database_url, "first"), None
    stop = asyncio.Event()
    writing = asyncio.create_task(_write_until(pool, stop))

    async def holder() -> str | None:
        async with pool.acquire() as connection:
            return (await sealer.status(connection)).holder

    async def sealed() -> int:
        return int(await pool.fetchval("SELECT count(*) FROM audit_seals"))

    try:
        await eventually(lambda: _is(holder, "first"), what="the first node sealing")
        second = _start(database_url, "second")
        assert second.stdout is not None and second.stdout.readline().strip() == "started"
        await eventually(lambda: _more_than(sealed, 30), what="some entries sealed")
        assert await holder() == "first"  # the second only stands by
        first.send_signal(signal.SIGKILL)
        first.wait()
        killed_at = time.monotonic()
        await eventually(lambda: _is(holder, "second"), what="the second node taking over")
        takeover = time.monotonic() - killed_at
        stop.set()
        await writing
        async with pool.acquire() as connection:
            written = await connection.fetchval("SELECT count(*) FROM audit_log")

            async def all_sealed() -> bool:
                return bool(
                    await connection.fetchval("SELECT count(*) FROM audit_seals") == written
                )

            await eventually(all_sealed, what="every entry sealed")
            ids = await chain_ids(connection)
            assert len(ids) == len(set(ids)) == written
            report = await audit.verify_chain(connection)
            assert report.intact and report.rows_checked == written and report.unsealed == 0
        print(f"takeover after kill -9: {takeover:.2f} s")
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await writing
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()
        await pool.close()


async def _is(read: Callable[[], Awaitable[str | None]], expected: str) -> bool:
    return await read() == expected


async def _more_than(read: Callable[[], Awaitable[int]], count: int) -> bool:
    return await read() > count
