"""A rolling restart under continuous submission loses nothing.

Two real ``axis serve`` nodes on one database; an agency submits signed
documents without pause, each to the next node in turn, retrying on the
other when a node refuses the connection. Each node in turn gets SIGTERM
(it stops taking connections, finishes the requests and the group commit
in flight, releases its leases, exits 0) and is started again on its port.
Every document accepted (202/200) is stored exactly once afterwards.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import asyncpg

from axis.registry.agencies import AgencyCredentials
from axis.runtime import open_runtime
from axis.settings import Settings
from axis.storage import database
from signing import sign
from tests.support.agencies import credential_for, register_agency
from tests.support.envelopes import document
from tests.support.processes import (
    TEST_SECRET_KEY,
    ContinuousSubmission,
    ServerProcess,
    free_port,
    start_server,
)
from tests.support.waiting import eventually

SENDER = "000.00.00.G71"
RECIPIENT = "000.00.00.H71"
# Documents accepted between two steps of the rolling restart.
STEADY = 15


async def _agencies(database_url: str) -> AgencyCredentials:
    pool = await database.create_pool(database_url, 2)
    try:
        settings = Settings(database_url=database_url, secret_key=TEST_SECRET_KEY)
        runtime = open_runtime(settings, pool)
        sender = await register_agency(runtime, SENDER)
        await register_agency(runtime, RECIPIENT)
        await runtime.close()
    finally:
        await pool.close()
    return sender


def _signed(number: int) -> bytes:
    body = document(SENDER, [RECIPIENT], document_id=f"{SENDER},2026/12/02,{number}/DRAIN")
    credential = credential_for(SENDER)
    return sign(body, credential.private_key, credential.certificate)


async def test_a_rolling_restart_under_submission_loses_nothing(
    database_url: str, connection: asyncpg.Connection, tmp_path: Path
) -> None:
    sender = await _agencies(database_url)
    ports = [free_port(), free_port()]

    async def start(index: int, generation: int) -> ServerProcess:
        node = start_server(
            ["--database-url", database_url],
            tmp_path / f"node{index}-{generation}.log",
            {"AXIS_LOG_LEVEL": "INFO"},
            port=ports[index],
        )
        await asyncio.to_thread(node.wait_ready)
        return node

    nodes = [await start(0, 0), await start(1, 0)]
    submission = ContinuousSubmission([n.base_url for n in nodes], sender.secret, _signed).start()
    stopped: list[ServerProcess] = []

    async def steady() -> None:
        target = len(submission.outcomes.accepted) + STEADY
        await eventually(lambda: len(submission.outcomes.accepted) >= target, timeout=60)

    try:
        for index in (0, 1):
            await steady()
            old = nodes[index]
            assert await asyncio.to_thread(old.stop, signal.SIGTERM) == 0
            stopped.append(old)
            nodes[index] = await start(index, 1)
        await steady()
    finally:
        outcomes = await submission.stop()
        for node in nodes:
            await asyncio.to_thread(node.stop)
    assert outcomes.failures == []
    rows = await connection.fetch(
        "SELECT document_id, count(*) AS copies FROM messages WHERE sender_id = $1"
        " GROUP BY document_id",
        SENDER,
    )
    stored = {row["document_id"]: row["copies"] for row in rows}
    assert set(outcomes.accepted) <= set(stored), "an accepted document was lost"
    assert {key: copies for key, copies in stored.items() if copies != 1} == {}
    for old in stopped:
        assert "Traceback" not in old.log()
        assert "stopped worker=0" in old.log()
