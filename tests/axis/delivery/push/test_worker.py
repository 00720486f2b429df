"""The push worker against a real PostgreSQL and real HTTP endpoints on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import pytest
from prometheus_client import REGISTRY

from axis.delivery.push.worker import DeliveryWorker, WorkerOptions
from axis.runtime import Runtime
from axis.storage.database import Pool
from tests.support.deliveries import add_agency, add_delivery, audit_count, delivery_state
from tests.support.push_endpoint import Answer, PushEndpoint
from tests.support.runtimes import RuntimeFactory
from tests.support.waiting import eventually

FAST = WorkerOptions(backoff_base=0.05, backoff_cap=0.2, poll_interval=0.2, flush_interval=0.01)


class Workers:
    def __init__(self) -> None:
        self.running: list[DeliveryWorker] = []

    async def start(
        self, runtime: Runtime, options: WorkerOptions = FAST, owner: str | None = None
    ) -> DeliveryWorker:
        worker = DeliveryWorker(runtime.settings, runtime.pool, runtime.registry, options, owner)
        await worker.start()
        self.running.append(worker)
        return worker

    async def stop_all(self) -> None:
        while self.running:
            await self.running.pop().stop()


@pytest.fixture
async def workers() -> AsyncIterator[Workers]:
    group = Workers()
    try:
        yield group
    finally:
        await group.stop_all()


async def wait_until(check: Callable[[], Awaitable[bool]], within: float = 15.0) -> None:
    await eventually(check, timeout=within)


async def listening(connection: asyncpg.Connection) -> bool:
    """One session of this database is listening (its last statement was LISTEN)."""
    count = await connection.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN%'"
        " AND datname = current_database()"
    )
    return bool(count == 1)


def delivered_count() -> float:
    value = REGISTRY.get_sample_value("axis_deliveries_total", {"outcome": "delivered"})
    return value or 0.0


async def settled(connection: asyncpg.Connection, delivery_id: int, state: str) -> bool:
    return bool((await delivery_state(connection, delivery_id))["transport_state"] == state)


async def test_push_carries_exact_bytes_and_a_valid_signature(
    make_runtime: RuntimeFactory,
    push_endpoints: Any,
    connection: asyncpg.Connection,
    workers: Workers,
) -> None:
    runtime = make_runtime()
    endpoint: PushEndpoint = await push_endpoints()
    await add_agency(runtime.registry, "sender.gov")
    endpoint.secret = await add_agency(runtime.registry, "receiver.gov", endpoint.url)
    body = "<edXML>văn bản ✓</edXML>".encode()
    message_id, delivery_id = await add_delivery(
        connection, "sender.gov", "receiver.gov", body=body
    )

    delivered_before = delivered_count()
    await workers.start(runtime)
    await wait_until(lambda: settled(connection, delivery_id, "delivered"))

    assert delivered_count() == delivered_before + 1
    [push] = endpoint.received
    assert push.body == body
    assert push.signature_valid
    assert push.headers["X-Axis-Message-Id"] == message_id
    assert push.headers["X-Axis-Kind"] == "edoc"
    assert push.headers["X-Axis-From"] == "sender.gov"
    assert push.headers["Content-Type"].startswith("application/xml")
    row = await delivery_state(connection, delivery_id)
    assert row["attempts"] == 1 and row["delivered_at"] is not None and row["lease_owner"] is None
    audited = await audit_count(connection, "message.deliver", message_id)
    assert audited == 1


async def test_a_wrong_secret_does_not_verify(
    make_runtime: RuntimeFactory,
    push_endpoints: Any,
    connection: asyncpg.Connection,
    workers: Workers,
) -> None:
    runtime = make_runtime()
    endpoint: PushEndpoint = await push_endpoints(secret="not-the-agency-secret")
    await add_agency(runtime.registry, "sender.gov")
    await add_agency(runtime.registry, "receiver.gov", endpoint.url)
    _, delivery_id = await add_delivery(connection, "sender.gov", "receiver.gov")
    await workers.start(runtime)
    await wait_until(lambda: settled(connection, delivery_id, "delivered"))
    assert [push.signature_valid for push in endpoint.received] == [False]


async def test_500_is_retried_then_delivered(
    make_runtime: RuntimeFactory,
    push_endpoints: Any,
    connection: asyncpg.Connection,
    workers: Workers,
) -> None:
    runtime = make_runtime()
    endpoint: PushEndpoint = await push_endpoints(answers=[Answer(500), Answer(503)])
    await add_agency(runtime.registry, "sender.gov")
    await add_agency(runtime.registry, "receiver.gov", endpoint.url)
    _, delivery_id = await add_delivery(connection, "sender.gov", "receiver.gov")
    await workers.start(runtime)
    await wait_until(lambda: settled(connection, delivery_id, "delivered"))
    row = await delivery_state(connection, delivery_id)
    assert row["attempts"] == 3
    assert row["last_error"].startswith("HTTP 503")
    assert len(endpoint.received) == 3


async def test_429_honours_retry_after(
    make_runtime: RuntimeFactory,
    push_endpoints: Any,
    connection: asyncpg.Connection,
    workers: Workers,
) -> None:
    runtime = make_runtime()
    endpoint: PushEndpoint = await push_endpoints(answers=[Answer(429, retry_after="120")])
    await add_agency(runtime.registry, "sender.gov")
    await add_agency(runtime.registry, "receiver.gov", endpoint.url)
    _, delivery_id = await add_delivery(connection, "sender.gov", "receiver.gov")
    await workers.start(runtime)
    await wait_until(lambda: settled(connection, delivery_id, "retrying"))
    wait = await connection.fetchval(
        "SELECT extract(epoch FROM next_attempt_at - now()) FROM deliveries WHERE id = $1",
        delivery_id,
    )
    # The backoff cap here is 0.2 s: only Retry-After explains two minutes.
    assert 100 < wait <= 120
    assert (await delivery_state(connection, delivery_id))["last_error"].startswith("HTTP 429")


async def test_400_is_dead_at_once(
    make_runtime: RuntimeFactory,
    push_endpoints: Any,
    connection: asyncpg.Connection,
    workers: Workers,
) -> None:
    runtime = make_runtime()
    endpoint: PushEndpoint = await push_endpoints(default=Answer(400))
    await add_agency(runtime.registry, "sender.gov")
    await add_agency(runtime.registry, "receiver.gov", endpoint.url)
    message_id, delivery_id = await add_delivery(connection, "sender.gov", "receiver.gov")
    await workers.start(runtime)
    await wait_until(lambda: settled(connection, delivery_id, "dead"))
    row = await delivery_state(connection, delivery_id)
    assert row["attempts"] == 1 and row["last_error"].startswith("HTTP 400")
    assert len(endpoint.received) == 1
    dead_audits = await audit_count(connection, "delivery.dead", message_id)
    assert dead_audits == 1


async def test_exhausted_budget_makes_it_dead(
    make_runtime: RuntimeFactory,
    push_endpoints: Any,
    connection: asyncpg.Connection,
    workers: Workers,
) -> None:
    runtime = make_runtime(retry_budget_seconds=1.0)
    endpoint: PushEndpoint = await push_endpoints(default=Answer(500))
    await add_agency(runtime.registry, "sender.gov")
    await add_agency(runtime.registry, "receiver.gov", endpoint.url)
    _, delivery_id = await add_delivery(connection, "sender.gov", "receiver.gov")
    # A breaker that never opens: this test is about the budget alone.
    options = WorkerOptions(
        backoff_base=0.05, backoff_cap=0.2, poll_interval=0.2, breaker_threshold=10_000
    )
    await workers.start(runtime, options)
    await wait_until(lambda: settled(connection, delivery_id, "dead"))
    row = await delivery_state(connection, delivery_id)
    assert row["attempts"] >= 2
    assert row["last_error"].startswith("HTTP 500")


async def test_an_expired_lease_is_claimed_again_a_live_one_is_not(
    make_runtime: RuntimeFactory,
    push_endpoints: Any,
    connection: asyncpg.Connection,
    workers: Workers,
) -> None:
    runtime = make_runtime()
    endpoint: PushEndpoint = await push_endpoints()
    await add_agency(runtime.registry, "sender.gov")
    await add_agency(runtime.registry, "receiver.gov", endpoint.url)
    _, crashed = await add_delivery(
        connection, "sender.gov", "receiver.gov", lease_owner="crashed", lease_seconds=-1
    )
    live_message, live = await add_delivery(
        connection, "sender.gov", "receiver.gov", lease_owner="busy", lease_seconds=600
    )
    await workers.start(runtime)
    await wait_until(lambda: settled(connection, crashed, "delivered"))
    # A window for something that must not happen (the live lease taken over):
    # there is no event to wait for, so the worker gets a few claim passes.
    await asyncio.sleep(0.5)
    row = await delivery_state(connection, live)
    assert row["transport_state"] == "queued" and row["lease_owner"] == "busy"
    assert live_message not in endpoint.pushes_per_message()


async def test_two_workers_never_push_the_same_delivery(
    make_runtime: RuntimeFactory,
    push_endpoints: Any,
    connection: asyncpg.Connection,
    workers: Workers,
) -> None:
    runtime = make_runtime(push_concurrency_per_endpoint=8)
    endpoint: PushEndpoint = await push_endpoints(default=Answer(200, delay=0.01))
    await add_agency(runtime.registry, "sender.gov")
    await add_agency(runtime.registry, "receiver.gov", endpoint.url)
    ids = [(await add_delivery(connection, "sender.gov", "receiver.gov"))[0] for _ in range(120)]
    options = WorkerOptions(batch_size=7, poll_interval=0.05, flush_interval=0.01)
    await workers.start(runtime, options)
    await workers.start(runtime, options)

    async def all_delivered() -> bool:
        count = await connection.fetchval(
            "SELECT count(*) FROM deliveries WHERE transport_state = 'delivered'"
        )
        return bool(count == len(ids))

    await wait_until(all_delivered, within=30)
    counts = endpoint.pushes_per_message()
    assert sorted(counts) == sorted(ids)
    assert set(counts.values()) == {1}


async def test_a_hanging_endpoint_does_not_delay_the_others(
    make_runtime: RuntimeFactory,
    push_endpoints: Any,
    connection: asyncpg.Connection,
    workers: Workers,
) -> None:
    runtime = make_runtime(push_timeout=30.0, push_concurrency_per_endpoint=2)
    slow: PushEndpoint = await push_endpoints(default=Answer(200, delay=60))
    fast: PushEndpoint = await push_endpoints()
    await add_agency(runtime.registry, "sender.gov")
    await add_agency(runtime.registry, "slow.gov", slow.url)
    await add_agency(runtime.registry, "fast.gov", fast.url)
    # The slow agency's work is older and more urgent: it would come first.
    slow_ids = [
        (await add_delivery(connection, "sender.gov", "slow.gov", priority=4, age_seconds=60))[1]
        for _ in range(30)
    ]
    fast_ids = [(await add_delivery(connection, "sender.gov", "fast.gov"))[1] for _ in range(40)]
    worker = await workers.start(runtime, WorkerOptions(batch_size=10, poll_interval=0.2))

    async def fast_done() -> bool:
        count = await connection.fetchval(
            "SELECT count(*) FROM deliveries WHERE id = ANY($1) AND transport_state = 'delivered'",
            fast_ids,
        )
        return bool(count == len(fast_ids))

    await wait_until(fast_done, within=10)
    assert len(slow.received) == 2  # only its own two slots, stuck
    assert worker.in_flight() == {slow.url: 2}
    stuck = await connection.fetchval(
        "SELECT count(*) FROM deliveries WHERE id = ANY($1) AND transport_state = 'queued'",
        slow_ids,
    )
    assert stuck == len(slow_ids)
    # Shutting down gives the hanging claims back instead of waiting for them.
    await workers.stop_all()
    leased = await connection.fetchval(
        "SELECT count(*) FROM deliveries WHERE lease_owner IS NOT NULL"
    )
    assert leased == 0


async def test_failing_endpoint_opens_its_circuit_and_postpones_its_work(
    make_runtime: RuntimeFactory,
    push_endpoints: Any,
    connection: asyncpg.Connection,
    workers: Workers,
) -> None:
    runtime = make_runtime(push_concurrency_per_endpoint=1)
    broken: PushEndpoint = await push_endpoints(default=Answer(503))
    healthy: PushEndpoint = await push_endpoints()
    await add_agency(runtime.registry, "sender.gov")
    await add_agency(runtime.registry, "broken.gov", broken.url)
    await add_agency(runtime.registry, "healthy.gov", healthy.url)
    for _ in range(5):
        await add_delivery(connection, "sender.gov", "broken.gov")
    healthy_ids = [
        (await add_delivery(connection, "sender.gov", "healthy.gov"))[1] for _ in range(5)
    ]
    options = WorkerOptions(
        backoff_base=0.01, backoff_cap=0.02, poll_interval=0.1,
        breaker_threshold=3, breaker_cool_down=60.0,
    )  # fmt: skip
    worker = await workers.start(runtime, options)

    async def circuit_open() -> bool:
        return worker.circuit_states().get(broken.url) == "open"

    async def healthy_done() -> bool:
        count = await connection.fetchval(
            "SELECT count(*) FROM deliveries WHERE id = ANY($1) AND transport_state = 'delivered'",
            healthy_ids,
        )
        return bool(count == len(healthy_ids))

    await wait_until(circuit_open)
    await wait_until(healthy_done)
    pushes_when_opened = len(broken.received)
    # A window for something that must not happen (a push through the open
    # circuit): five poll intervals of 0.1 s in which the worker could try.
    await asyncio.sleep(0.5)
    assert len(broken.received) == pushes_when_opened == 3
    postponed = await connection.fetchval(
        "SELECT count(*) FROM deliveries d JOIN agencies a ON a.organ_id = d.recipient_id"
        " WHERE a.organ_id = 'broken.gov' AND d.transport_state IN ('queued', 'retrying')"
        " AND d.next_attempt_at > now() + interval '30 seconds'"
    )
    assert postponed == 5
    assert worker.circuit_states()[healthy.url] == "closed"


async def test_notify_wakes_an_idle_worker(
    make_runtime: RuntimeFactory,
    push_endpoints: Any,
    connection: asyncpg.Connection,
    workers: Workers,
    pool: Pool,
) -> None:
    runtime = make_runtime()
    endpoint: PushEndpoint = await push_endpoints()
    await add_agency(runtime.registry, "sender.gov")
    await add_agency(runtime.registry, "receiver.gov", endpoint.url)
    # Polling every minute: only the notification can explain a prompt push.
    await workers.start(runtime, WorkerOptions(poll_interval=60.0))
    # A notification sent before the worker listens would be lost.
    await wait_until(lambda: listening(connection))
    message_id, delivery_id = await add_delivery(connection, "sender.gov", "receiver.gov")
    await connection.execute("SELECT pg_notify('axis_deliveries', $1)", message_id)
    await wait_until(lambda: settled(connection, delivery_id, "delivered"), within=10)


async def test_listener_reconnects_after_its_connection_is_killed(
    make_runtime: RuntimeFactory,
    push_endpoints: Any,
    connection: asyncpg.Connection,
    workers: Workers,
) -> None:
    runtime = make_runtime()
    endpoint: PushEndpoint = await push_endpoints()
    await add_agency(runtime.registry, "sender.gov")
    await add_agency(runtime.registry, "receiver.gov", endpoint.url)
    await workers.start(runtime, WorkerOptions(poll_interval=60.0))
    await wait_until(lambda: listening(connection))
    killed = await connection.fetchval(
        "SELECT array_agg(pid) FROM pg_stat_activity"
        " WHERE query LIKE 'LISTEN%' AND datname = current_database()"
    )
    await connection.execute("SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) pid", killed)

    async def killed_gone() -> bool:
        # Until then the killed session still counts as listening.
        left = await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY($1::int[])", killed
        )
        return bool(left == 0)

    await wait_until(killed_gone)
    await wait_until(lambda: listening(connection), within=20)
    message_id, delivery_id = await add_delivery(connection, "sender.gov", "receiver.gov")
    await connection.execute("SELECT pg_notify('axis_deliveries', $1)", message_id)
    await wait_until(lambda: settled(connection, delivery_id, "delivered"), within=10)
