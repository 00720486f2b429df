"""The process starts its background work and stops it, not the web application."""

from __future__ import annotations

import asyncio

import asyncpg
from aiohttp.test_utils import TestClient, TestServer

from axis.process.composition import Role, background_work, web_application
from tests.support.deliveries import add_agency, add_delivery, delivery_state
from tests.support.push_endpoint import Answer, PushEndpoint
from tests.support.runtimes import RuntimeFactory
from tests.support.waiting import eventually


async def test_worker_runs_with_the_background_work_and_releases_claims_on_exit(
    make_runtime: RuntimeFactory, connection: asyncpg.Connection
) -> None:
    runtime = make_runtime(shutdown_timeout=0.5, push_timeout=30.0)
    fast = await PushEndpoint().start()
    hanging = await PushEndpoint(default=Answer(200, delay=30)).start()
    try:
        await add_agency(runtime.registry, "sender.gov")
        await add_agency(runtime.registry, "fast.gov", fast.url)
        await add_agency(runtime.registry, "hanging.gov", hanging.url)
        async with background_work(runtime) as work:
            message_id, delivered = await add_delivery(connection, "sender.gov", "fast.gov")
            _, stuck = await add_delivery(connection, "sender.gov", "hanging.gov")
            await connection.execute("SELECT pg_notify('axis_deliveries', $1)", message_id)
            await fast.wait_for(lambda: len(fast.received) == 1)
            await hanging.wait_for(lambda: len(hanging.received) == 1)
            worker = work.delivery_worker
            assert worker.in_flight() == {hanging.url: 1}
            assert (await delivery_state(connection, stuck))["lease_owner"] == worker.owner

        async def pushed() -> bool:
            return bool(
                (await delivery_state(connection, delivered))["transport_state"] == "delivered"
            )

        await eventually(pushed, what="the fast push recorded")
        row = await delivery_state(connection, stuck)
        assert row["transport_state"] == "queued" and row["lease_owner"] is None
    finally:
        await fast.stop()
        await hanging.stop()


async def test_the_web_application_alone_pushes_nothing(
    make_runtime: RuntimeFactory, connection: asyncpg.Connection
) -> None:
    runtime = make_runtime()
    endpoint = await PushEndpoint().start()
    try:
        await add_agency(runtime.registry, "sender.gov")
        await add_agency(runtime.registry, "pushed.gov", endpoint.url)
        async with TestClient(TestServer(web_application(runtime, Role.API))) as client:
            async with client.get("/healthz") as health:
                assert health.status == 200
            message_id, delivery = await add_delivery(connection, "sender.gov", "pushed.gov")
            await connection.execute("SELECT pg_notify('axis_deliveries', $1)", message_id)
            # Absence needs a window; a running worker would push within milliseconds.
            await asyncio.sleep(0.5)
        assert endpoint.received == []
        row = await delivery_state(connection, delivery)
        assert row["transport_state"] == "queued" and row["lease_owner"] is None
    finally:
        await endpoint.stop()


async def test_a_worker_node_listens_for_health_and_metrics_only(
    make_runtime: RuntimeFactory,
) -> None:
    runtime = make_runtime()
    async with TestClient(TestServer(web_application(runtime, Role.WORK))) as client:
        for path in ("/healthz", "/readyz", "/metrics"):
            async with client.get(path) as answer:
                assert answer.status == 200, path
        for path in ("/api/v1/messages", "/ui/", runtime.settings.vxp_prefix):
            async with client.get(path) as answer:
                assert answer.status == 404, path
