"""Rate limits per source address and per agency: 429 with Retry-After, fleet-wide."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from axis.registry import allowances
from axis.runtime import open_runtime
from endpoints.application import build_application
from tests.support.envelopes import Api, open_api
from tests.support.vxp_client import VxpService

SENDER = "000.00.00.G22"
BUSY = "000.00.00.H41"
XML = {"Content-Type": "application/xml"}
STRANGER = {**XML, "Authorization": "Bearer made-up"}


@pytest.fixture
async def api(database_url: str) -> AsyncIterator[Api]:
    async with open_api(
        database_url,
        SENDER,
        BUSY,
        rate_limit_source_per_minute=5,
        rate_limit_agency_per_minute=3,
    ) as opened:
        yield opened


async def test_a_stranger_is_stopped_at_its_allowance_with_retry_after(api: Api) -> None:
    # An agency behind the same address proved itself before the flood.
    async with api.client.get("/api/v1/inbox", headers=api.agency(SENDER).headers) as inbox:
        assert inbox.status == 200
    for _ in range(5):
        async with api.client.post("/api/v1/messages", data=b"<x/>", headers=STRANGER) as answer:
            assert answer.status == 401
    async with api.client.post("/api/v1/messages", data=b"<x/>", headers=STRANGER) as answer:
        assert answer.status == 429
        assert 1 <= int(answer.headers["Retry-After"]) <= 60
        problem = await answer.json()
        assert answer.content_type == "application/problem+json"
        assert problem["code"] == "rate.limited" and problem["status"] == 429
    # Probes are never limited; a proven agency is held to its own allowance, not the address's.
    async with api.client.get("/healthz") as health:
        assert health.status == 200
    async with api.client.get("/api/v1/inbox", headers=api.agency(SENDER).headers) as inbox:
        assert inbox.status == 200
    # The sixth refusal cost nothing: the five before it were counted, not the 429.
    await api.broker.runtime.intake.door.flush()
    assert await api.broker.pool.fetchval("SELECT count(*) FROM door_refusals") == 5


async def test_an_agency_has_its_allowance_and_a_busy_ministry_a_bigger_one(api: Api) -> None:
    await allowances.set_allowance(api.broker.pool, BUSY, 10)
    sender = api.agency(SENDER).headers
    busy = api.agency(BUSY).headers
    statuses = []
    for _ in range(4):
        async with api.client.get("/api/v1/inbox", headers=sender) as answer:
            statuses.append(answer.status)
    assert statuses == [200, 200, 200, 429]
    for _ in range(10):
        async with api.client.get("/api/v1/inbox", headers=busy) as answer:
            assert answer.status == 200
    async with api.client.get("/api/v1/inbox", headers=busy) as answer:
        assert answer.status == 429
        assert "Retry-After" in answer.headers


async def test_the_allowance_is_the_fleets_not_each_nodes(api: Api) -> None:
    """A second node on the same database sees what the first admitted."""
    first = api.client
    runtime = api.broker.runtime
    for _ in range(3):
        async with first.post("/api/v1/messages", data=b"<x/>", headers=STRANGER) as answer:
            assert answer.status == 401
    await runtime.rate_counts.flush()
    other = open_runtime(runtime.settings, runtime.pool)
    second: TestClient = TestClient(TestServer(build_application(other)))  # type: ignore[type-arg]
    await second.start_server()
    try:
        statuses = []
        for _ in range(3):
            async with second.post("/api/v1/messages", data=b"<x/>", headers=STRANGER) as answer:
                statuses.append(answer.status)
            await other.rate_counts.flush()
        assert statuses == [401, 401, 429]
    finally:
        await second.close()
        await other.close()


async def test_vxp_answers_its_own_fail_shape_when_over(api: Api) -> None:
    for _ in range(5):
        async with api.client.post("/vxp/sendEdoc", data=b"") as answer:
            assert answer.status == 200
            assert (await answer.json())["ErrorCode"] == "401"
    async with api.client.post("/vxp/sendEdoc", data=b"") as answer:
        assert answer.status == 200
        body = await answer.json()
        assert body["status"] == "FAIL" and body["ErrorCode"] == "429"
        assert "Retry-After" in answer.headers


async def test_a_flood_of_made_up_tokens_keeps_few_misses(database_url: str) -> None:
    async with open_api(database_url, SENDER, rate_limit_source_per_minute=10_000) as api:
        cache = api.broker.runtime.agencies_by_secret
        for number in range(400):
            headers = {**XML, "Authorization": f"Bearer made-up-{number}"}
            async with api.client.get("/api/v1/inbox", headers=headers) as answer:
                assert answer.status == 401
        async with api.client.get("/api/v1/inbox", headers=api.agency(SENDER).headers) as answer:
            assert answer.status == 200
        assert cache.misses_kept <= 256
        assert len(cache) <= 257


async def test_an_agency_over_its_allowance_on_vxp_gets_fail_429(api: Api) -> None:
    """The per-agency allowance holds on VXP too, counted after the HMAC names the agency."""
    agency = api.agency(SENDER)
    sdk = VxpService(str(api.client.make_url("/vxp")), agency.organ_id, agency.secret)
    answers = [
        await asyncio.to_thread(sdk.get_received_edoc_list, {"messagetype": "edoc"})
        for _ in range(4)
    ]
    assert [answer.json()["status"] for answer in answers] == ["OK", "OK", "OK", "FAIL"]
    assert answers[-1].json()["ErrorCode"] == "429"
    assert "Retry-After" in answers[-1].headers
