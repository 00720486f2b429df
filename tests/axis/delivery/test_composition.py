"""The web application runs this process's push worker from start to cleanup."""

from __future__ import annotations

import asyncpg
from aiohttp import web

from axis.process.composition import DELIVERY_WORKER, create_web_application
from tests.axis.delivery.conftest import RuntimeFactory
from tests.support.deliveries import add_agency, add_delivery, delivery_state
from tests.support.push_endpoint import Answer, PushEndpoint
from tests.support.waiting import eventually


async def test_worker_starts_with_the_app_and_releases_claims_on_cleanup(
    make_runtime: RuntimeFactory, connection: asyncpg.Connection
) -> None:
    runtime = make_runtime(shutdown_timeout=0.5, push_timeout=30.0)
    fast = await PushEndpoint().start()
    hanging = await PushEndpoint(default=Answer(200, delay=30)).start()
    try:
        await add_agency(runtime.registry, "sender.gov")
        await add_agency(runtime.registry, "fast.gov", fast.url)
        await add_agency(runtime.registry, "hanging.gov", hanging.url)
        runner = web.AppRunner(create_web_application(runtime))
        await runner.setup()
        try:
            message_id, delivered = await add_delivery(connection, "sender.gov", "fast.gov")
            _, stuck = await add_delivery(connection, "sender.gov", "hanging.gov")
            await connection.execute("SELECT pg_notify('axis_deliveries', $1)", message_id)
            await fast.wait_for(lambda: len(fast.received) == 1)
            await hanging.wait_for(lambda: len(hanging.received) == 1)
            worker = runner.app[DELIVERY_WORKER]
            assert worker.in_flight() == {hanging.url: 1}
            assert (await delivery_state(connection, stuck))["lease_owner"] == worker.owner
        finally:
            await runner.cleanup()

        async def is_delivered() -> bool:
            row = await delivery_state(connection, delivered)
            return bool(row["transport_state"] == "delivered")

        await eventually(is_delivered, timeout=2.5, what="the fast delivery recorded")
        assert (await delivery_state(connection, delivered))["transport_state"] == "delivered"
        row = await delivery_state(connection, stuck)
        assert row["transport_state"] == "queued" and row["lease_owner"] is None
    finally:
        await fast.stop()
        await hanging.stop()
