"""The directory with remote agencies: merged pages, search, one remote agency, peers reading."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from axis.registry.peers import DirectoryEntry
from axis.runtime import Runtime
from endpoints import api_agencies
from endpoints.keys import RUNTIME
from endpoints.problems import problem_middleware
from tests.endpoints.conftest import OPERATOR
from tests.support.agencies import register_agency

Client = TestClient[web.Request, web.Application]


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[Client]:
    app = web.Application(middlewares=[problem_middleware])
    app[RUNTIME] = runtime
    api_agencies.add_routes(app)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


@pytest.fixture
async def peer_secret(runtime: Runtime) -> str:
    """Local agencies 000.00.0{1,3}.H40; Tây Ninh's 000.00.0{2,4}.H53 through the nation."""
    await register_agency(runtime, "000.00.01.H40", name="Sở Nội vụ Nghệ An")
    await register_agency(runtime, "000.00.03.H40", name="Sở Tư pháp Nghệ An")
    _, secret = await runtime.peers.add_peer("nation", "https://nation.example", ["*"])
    await runtime.peers.replace_directory(
        "nation",
        [
            DirectoryEntry("000.00.02.H53", "Sở Nội vụ Tây Ninh", "000.00.00.H53", "tay-ninh"),
            DirectoryEntry("000.00.04.H53", "Sở Tư pháp Tây Ninh", "000.00.00.H53", "tay-ninh"),
            DirectoryEntry("000.00.00.G22", "Bộ Nội vụ", None, "nation"),
        ],
        own_name="nghe-an",
    )
    runtime.peer_cache.invalidate()
    return secret


async def _json(response: Any, status: int) -> Any:
    body = await response.json(content_type=None)
    assert response.status == status, body
    return body


async def test_pages_merge_local_and_remote_in_organ_id_order(
    client: Client, peer_secret: str
) -> None:
    seen: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query = {"limit": "2"} | ({"cursor": cursor} if cursor else {})
        page = await _json(
            await client.get("/api/v1/agencies", params=query, headers=OPERATOR), 200
        )
        assert len(page["items"]) <= 2
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [(item["organ_id"], item["served_by"]) for item in seen] == [
        ("000.00.00.G22", "nation"),
        ("000.00.01.H40", None),
        ("000.00.02.H53", "tay-ninh"),
        ("000.00.03.H40", None),
        ("000.00.04.H53", "tay-ninh"),
    ]
    assert {item["delivery_mode"] for item in seen if item["served_by"]} == {"relay"}


async def test_search_by_name_finds_remote_agencies(client: Client, peer_secret: str) -> None:
    page = await _json(
        await client.get("/api/v1/agencies", params={"q": "sở tư"}, headers=OPERATOR), 200
    )
    assert [(i["organ_id"], i["served_by"]) for i in page["items"]] == [
        ("000.00.03.H40", None),
        ("000.00.04.H53", "tay-ninh"),
    ]
    page = await _json(
        await client.get("/api/v1/agencies", params={"parent": "000.00.00.H53"}, headers=OPERATOR),
        200,
    )
    assert [i["organ_id"] for i in page["items"]] == ["000.00.02.H53", "000.00.04.H53"]


async def test_one_remote_agency_and_a_peer_reading(client: Client, peer_secret: str) -> None:
    as_peer = {"Authorization": f"Bearer {peer_secret}"}
    body = await _json(await client.get("/api/v1/agencies/000.00.02.H53", headers=as_peer), 200)
    assert body == {
        "organ_id": "000.00.02.H53",
        "name": "Sở Nội vụ Tây Ninh",
        "parent_id": "000.00.00.H53",
        "delivery_mode": "relay",
        "served_by": "tay-ninh",
        "active": True,
    }
    body = await _json(await client.get("/api/v1/agencies/000.00.01.H40", headers=as_peer), 200)
    assert body["served_by"] is None
    page = await _json(await client.get("/api/v1/agencies", headers=as_peer), 200)
    assert len(page["items"]) == 5
    problem = await _json(
        await client.get("/api/v1/agencies", headers={"Authorization": "Bearer wrong"}), 401
    )
    assert problem["code"] == "auth.invalid"
