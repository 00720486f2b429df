"""GET /api/v1/admin/nodes: the fleet as the operators see it, over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from axis.fleet import nodes
from axis.runtime import Runtime
from endpoints import admin_nodes
from endpoints.keys import RUNTIME
from endpoints.problems import problem_middleware
from tests.support.deliveries import add_agency, add_delivery

OPERATOR = {"Authorization": "Bearer operator-token"}


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    app = web.Application(middlewares=[problem_middleware])
    app[RUNTIME] = runtime
    admin_nodes.add_routes(app)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


async def test_operator_token_is_required(
    client: TestClient[web.Request, web.Application],
) -> None:
    answer = await client.get("/api/v1/admin/nodes", headers={"Authorization": "Bearer wrong"})
    assert answer.status == 401
    assert (await answer.json())["code"] == "auth.invalid"


async def test_live_node_first_with_its_leases_then_the_dead_one(
    client: TestClient[web.Request, web.Application],
    runtime: Runtime,
    connection: asyncpg.Connection,
) -> None:
    await add_agency(runtime.registry, "sender.gov")
    await add_agency(runtime.registry, "receiver.gov", "http://127.0.0.1:9/in")
    await connection.execute(
        "INSERT INTO nodes (node_id, host, pid, role, last_beat_at)"
        " VALUES ('gone:7:x', 'elsewhere', 7, 'work', now() - interval '60 seconds')"
    )
    async with nodes.present(runtime.pool, nodes.Part.WORK) as node:
        for _ in range(2):
            await add_delivery(
                connection, "sender.gov", "receiver.gov", lease_owner=node.node_id,
                lease_seconds=60,
            )  # fmt: skip
        answer = await client.get("/api/v1/admin/nodes", headers=OPERATOR)
        assert answer.status == 200
        body = await answer.json()
    live, dead = body["items"]
    assert (live["node_id"], live["status"], live["role"]) == (node.node_id, "live", "work")
    assert (live["leases"], live["endpoints"], live["roles_held"]) == (2, 1, None)
    assert live["pid"] == node.pid and live["seen_seconds_ago"] < nodes.DEAD_AFTER_SECONDS
    assert (dead["node_id"], dead["status"], dead["leases"]) == ("gone:7:x", "dead", 0)
    assert dead["seen_seconds_ago"] >= 60
    assert body["dead_after_seconds"] == nodes.DEAD_AFTER_SECONDS


async def test_the_node_sealing_the_audit_chain_holds_the_sealer_role(
    client: TestClient[web.Request, web.Application],
    runtime: Runtime,
    connection: asyncpg.Connection,
) -> None:
    async with nodes.present(runtime.pool, nodes.Part.WORK) as node:
        await connection.execute(
            "UPDATE audit_sealer SET holder = $1, sealed_at = now()", node.node_id
        )
        answer = await client.get("/api/v1/admin/nodes", headers=OPERATOR)
        [sealing] = (await answer.json())["items"]
        assert sealing["roles_held"] == ["audit-sealer"]
        # A sealer that stopped sealing longer ago than a node counts as dead holds nothing.
        await connection.execute("UPDATE audit_sealer SET sealed_at = now() - interval '1 hour'")
        answer = await client.get("/api/v1/admin/nodes", headers=OPERATOR)
        [idle] = (await answer.json())["items"]
        assert idle["roles_held"] is None
