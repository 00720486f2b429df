"""Heartbeats: a silent node's push leases go back at once; a live node's never."""

from __future__ import annotations

import asyncpg
import pytest

from axis.fleet import nodes
from axis.fleet.nodes import Heartbeat, Node, Part
from axis.runtime import open_runtime
from axis.settings import Settings
from axis.storage.database import Pool
from tests.support.deliveries import add_agency, add_delivery


async def silent_node(connection: asyncpg.Connection, node_id: str, seconds: float) -> None:
    await connection.execute(
        "INSERT INTO nodes (node_id, host, pid, role, last_beat_at)"
        " VALUES ($1, 'elsewhere', 1, 'work', now() - make_interval(secs => $2))",
        node_id,
        seconds,
    )


async def leased(connection: asyncpg.Connection, owner: str) -> int:
    count = await connection.fetchval(
        "SELECT count(*) FROM deliveries WHERE lease_owner = $1", owner
    )
    return int(count)


@pytest.fixture
async def backlog(pool: Pool, connection: asyncpg.Connection) -> None:
    runtime = open_runtime(Settings(secret_key="fleet-test-key"), pool)
    await add_agency(runtime.registry, "sender.gov")
    await add_agency(runtime.registry, "receiver.gov", "http://127.0.0.1:9/in")


async def test_a_live_node_gives_back_a_dead_nodes_leases_and_keeps_the_live_ones(
    pool: Pool, connection: asyncpg.Connection, backlog: None
) -> None:
    live = Heartbeat(pool, Node("live:1:a", "here", 1), "work")
    await live.start()
    try:
        await silent_node(connection, "dead:2:b", seconds=10)
        await silent_node(connection, "slow:3:c", seconds=1)  # one late beat: alive
        for owner in ("dead:2:b", "slow:3:c", "live:1:a"):
            for _ in range(3):
                await add_delivery(
                    connection, "sender.gov", "receiver.gov", lease_owner=owner, lease_seconds=60
                )
        assert await live.take_over() == 3
        assert await leased(connection, "dead:2:b") == 0
        assert await leased(connection, "slow:3:c") == 3
        assert await leased(connection, "live:1:a") == 3
        [view] = [view for view in await nodes.list_nodes(pool) if view.node_id == "live:1:a"]
        assert (view.status, view.leases, view.endpoints, view.roles_held) == ("live", 3, 1, None)
        statuses = {view.node_id: view.status for view in await nodes.list_nodes(pool)}
        assert statuses == {"live:1:a": "live", "slow:3:c": "live", "dead:2:b": "dead"}
    finally:
        await live.stop()
    statuses = {view.node_id: view.status for view in await nodes.list_nodes(pool)}
    assert statuses["live:1:a"] == "stopped"


async def test_a_node_back_from_silence_judges_no_one_until_on_time_for_the_bound(
    pool: Pool, connection: asyncpg.Connection, backlog: None
) -> None:
    # The database was away: every node's last beat is old, this one's too.
    heartbeat = Heartbeat(pool, Node("back:1:a", "here", 1), "work")
    await heartbeat.start()
    try:
        await silent_node(connection, "other:2:b", seconds=10)
        await add_delivery(
            connection, "sender.gov", "receiver.gov", lease_owner="other:2:b", lease_seconds=60
        )
        await connection.execute(
            "UPDATE nodes SET last_beat_at = now() - interval '10 seconds'"
            " WHERE node_id = 'back:1:a'"
        )
        await heartbeat.beat()
        assert await leased(connection, "other:2:b") == 1
    finally:
        await heartbeat.stop()


async def test_the_parts_of_a_process_are_one_node(pool: Pool) -> None:
    async with nodes.present(pool, Part.WORK) as worker_node:
        async with nodes.present(pool, Part.API) as api_node:
            assert api_node == worker_node
            [view] = await nodes.list_nodes(pool)
            assert (view.role, view.status, view.pid) == ("all", "live", worker_node.pid)
        [view] = await nodes.list_nodes(pool)
        assert view.role == "work"
    [view] = await nodes.list_nodes(pool)
    assert view.status == "stopped"
