"""The operator API for deliveries, over HTTP on a real runtime and database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from axis.runtime import Runtime
from endpoints import admin_deliveries
from endpoints.keys import RUNTIME
from endpoints.problems import problem_middleware
from tests.support.deliveries import add_agency, add_delivery, delivery_state

OPERATOR = {"Authorization": "Bearer operator-token"}


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    app = web.Application(middlewares=[problem_middleware])
    app[RUNTIME] = runtime
    admin_deliveries.add_routes(app)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


@pytest.fixture
async def dead(runtime: Runtime, connection: asyncpg.Connection) -> list[int]:
    await add_agency(runtime.registry, "sender.gov")
    await add_agency(runtime.registry, "receiver.gov", "http://127.0.0.1:9/in")
    ids = [
        (await add_delivery(connection, "sender.gov", "receiver.gov", state="dead"))[1]
        for _ in range(3)
    ]
    await add_delivery(connection, "sender.gov", "receiver.gov", state="delivered")
    return ids


async def test_operator_token_is_required(
    client: TestClient[web.Request, web.Application], dead: list[int]
) -> None:
    for method, path in (
        ("GET", "/api/v1/admin/deliveries"),
        ("POST", f"/api/v1/admin/deliveries/{dead[0]}/retry"),
        ("POST", f"/api/v1/admin/deliveries/{dead[0]}/discard"),
    ):
        answer = await client.request(method, path, headers={"Authorization": "Bearer wrong"})
        assert answer.status == 401
        assert (await answer.json())["code"] == "auth.invalid"


async def test_list_dead_with_cursor(
    client: TestClient[web.Request, web.Application], dead: list[int]
) -> None:
    first = await client.get("/api/v1/admin/deliveries?limit=2", headers=OPERATOR)
    assert first.status == 200
    page = await first.json()
    assert [item["id"] for item in page["items"]] == dead[:2]
    assert page["items"][0]["transport_state"] == "dead"
    assert page["items"][0]["recipient"] == "receiver.gov"
    second = await client.get(
        f"/api/v1/admin/deliveries?limit=2&cursor={page['next_cursor']}", headers=OPERATOR
    )
    rest = await second.json()
    assert [item["id"] for item in rest["items"]] == dead[2:]
    assert rest["next_cursor"] is None
    everything = await client.get("/api/v1/admin/deliveries?state=all", headers=OPERATOR)
    assert len((await everything.json())["items"]) == 4
    bad = await client.get("/api/v1/admin/deliveries?state=lost", headers=OPERATOR)
    assert bad.status == 400 and (await bad.json())["code"] == "query.invalid"


async def test_retry_and_discard(
    client: TestClient[web.Request, web.Application],
    connection: asyncpg.Connection,
    dead: list[int],
) -> None:
    retried = await client.post(f"/api/v1/admin/deliveries/{dead[0]}/retry", headers=OPERATOR)
    assert retried.status == 200
    assert await retried.json() == {"id": dead[0], "transport_state": "queued"}
    assert (await delivery_state(connection, dead[0]))["transport_state"] == "queued"

    again = await client.post(f"/api/v1/admin/deliveries/{dead[0]}/discard", headers=OPERATOR)
    assert again.status == 409 and (await again.json())["code"] == "delivery.not_dead"

    discarded = await client.post(f"/api/v1/admin/deliveries/{dead[1]}/discard", headers=OPERATOR)
    assert discarded.status == 200
    assert (await delivery_state(connection, dead[1]))["transport_state"] == "discarded"

    missing = await client.post("/api/v1/admin/deliveries/424242/retry", headers=OPERATOR)
    assert missing.status == 404 and (await missing.json())["code"] == "delivery.not_found"

    actions = await connection.fetch(
        "SELECT action FROM audit_log WHERE action LIKE 'delivery.%' ORDER BY id"
    )
    assert [row["action"] for row in actions] == ["delivery.retry", "delivery.discard"]
