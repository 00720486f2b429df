"""Urgent pushes overtake a routine backlog at a slow endpoint; routine keeps a share.

Real parts throughout: the intake's writer stores the backlog, the real
intake accepts the urgent document (signed, verified), the delivery worker
pushes over HTTP to a slow aiohttp endpoint on loopback.

Why the bound holds (``LIMIT`` = the endpoint's concurrency limit): when the
urgent document is accepted at most LIMIT routine pushes are in flight, and
the endpoint answers them first. A slot that frees up then goes to the
urgent document at the next urgent-first claim; the worker counts only
claims that took something towards routine's turn, so at most one
oldest-first claim (at most LIMIT routine pushes, the slots free at that
moment) comes before it. The urgent push may share its claim with up to
LIMIT - 1 routine pushes that reach the endpoint a moment earlier. So at
most 3 * LIMIT - 1 routine answers come between acceptance and the urgent
answer, however deep the backlog.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import pytest

from axis.delivery.push import claims
from axis.delivery.push.worker import DeliveryWorker, WorkerOptions
from axis.storage.database import Pool
from tests.support.backlog import overtaking, queue_documents
from tests.support.envelopes import Broker, document, open_broker
from tests.support.push_endpoint import Answer, PushEndpoint

SENDER = "000.00.00.G22"
SLOW = "000.00.00.H41"
LIMIT = 4
PUSH_DELAY = 0.03
BOUND = 3 * LIMIT - 1


@pytest.fixture
async def endpoint() -> AsyncIterator[PushEndpoint]:
    started = await PushEndpoint(default=Answer(delay=PUSH_DELAY)).start()
    try:
        yield started
    finally:
        await started.stop()


@pytest.fixture
async def broker(database_url: str, endpoint: PushEndpoint) -> AsyncIterator[Broker]:
    async with open_broker(
        database_url, push_concurrency_per_endpoint=LIMIT, push_timeout=5.0
    ) as opened:
        await opened.add(SENDER)
        endpoint.secret = (await opened.add(SLOW, endpoint_url=endpoint.url)).secret
        yield opened


@contextlib.asynccontextmanager
async def running_worker(
    broker: Broker, options: WorkerOptions | None = None
) -> AsyncIterator[DeliveryWorker]:
    runtime = broker.runtime
    worker = DeliveryWorker(
        runtime.settings, runtime.pool, runtime.registry, options or WorkerOptions()
    )
    await worker.start()
    try:
        yield worker
    finally:
        await worker.stop(grace=2.0)


async def submit_urgent(broker: Broker, priority: int = 4) -> tuple[str, float]:
    """Through the real intake; the message id and when the caller heard it was accepted."""
    data = broker.agencies[SENDER].sign(document(SENDER, [SLOW], priority=priority))
    agency = await broker.runtime.registry.require(SENDER)
    accepted = await broker.runtime.intake.submit(agency, data)
    return accepted.id, time.monotonic()


def answered(endpoint: PushEndpoint, message_id: str) -> bool:
    return any(answered_id == message_id for _, answered_id in endpoint.answered)


async def test_hoa_toc_overtakes_5000_routine_documents(
    broker: Broker, endpoint: PushEndpoint
) -> None:
    routine = set(await queue_documents(broker.pool, SENDER, SLOW, 5000))
    async with running_worker(broker):
        # Steady state: the endpoint's slots are full of routine pushes.
        await endpoint.wait_for(lambda: len(endpoint.answered) >= 5 * LIMIT, within=30)
        urgent, accepted_at = await submit_urgent(broker)
        await endpoint.wait_for(lambda: answered(endpoint, urgent), within=30)
    result = overtaking(endpoint.answered, accepted_at, urgent)
    done = sum(1 for _, message_id in endpoint.answered if message_id in routine)
    print(
        f"\nhỏa tốc behind {len(routine)} routine documents: overtaken by {result.overtaken} "
        f"(bound {BOUND}), latency {result.latency * 1000:.0f} ms; "
        f"{done} routine pushes done meanwhile"
    )
    assert result.overtaken <= BOUND
    # Most of the backlog was still waiting: the urgent one really jumped the queue.
    assert done < len(routine) // 2
    state = await broker.pool.fetchrow(
        "SELECT transport_state, attempts FROM deliveries WHERE message_id = $1", urgent
    )
    assert state is not None and (state["transport_state"], state["attempts"]) == ("delivered", 1)
    assert [push.signature_valid for push in endpoint.received if push.message_id == urgent] == [
        True
    ]


async def test_an_urgent_retry_overtakes_the_backlog_once_due(
    broker: Broker, endpoint: PushEndpoint
) -> None:
    endpoint.answers = [Answer(503, retry_after="1")]
    async with running_worker(broker):
        urgent, _ = await submit_urgent(broker, priority=3)
        await endpoint.wait_for(lambda: answered(endpoint, urgent), within=15)
        # While it waits out its Retry-After, a routine backlog builds up ahead of it.
        await queue_documents(broker.pool, SENDER, SLOW, 1500)
        due_in = await broker.pool.fetchval(
            "SELECT extract(epoch FROM next_attempt_at - now())::float8 "
            "FROM deliveries WHERE message_id = $1 AND transport_state = 'retrying'",
            urgent,
        )
        assert due_in is not None
        due_at = time.monotonic() + due_in
        await endpoint.wait_for(
            lambda: sum(1 for _, message_id in endpoint.answered if message_id == urgent) == 2,
            within=30,
        )
    result = overtaking(endpoint.answered, due_at, urgent)
    # The same reasoning as for a fresh urgent document, from the moment it is due.
    assert result.overtaken <= BOUND
    state = await broker.pool.fetchrow(
        "SELECT transport_state, attempts FROM deliveries WHERE message_id = $1", urgent
    )
    assert state is not None and (state["transport_state"], state["attempts"]) == ("delivered", 2)


async def test_routine_keeps_its_share_while_urgent_work_keeps_arriving(
    broker: Broker, endpoint: PushEndpoint
) -> None:
    routine = set(await queue_documents(broker.pool, SENDER, SLOW, 400))
    urgent: set[str] = set()

    async def keep_sending_urgent() -> None:
        # Faster than the endpoint can take them: urgent work never runs out.
        while True:
            urgent.update(await queue_documents(broker.pool, SENDER, SLOW, 12, priority=4))
            # Pacing, the behaviour under test: a steady stream, not one burst.
            await asyncio.sleep(0.05)

    async with running_worker(broker):
        sender = asyncio.create_task(keep_sending_urgent())
        try:
            await endpoint.wait_for(lambda: len(endpoint.answered) >= 240, within=45)
        finally:
            sender.cancel()
            await asyncio.gather(sender, return_exceptions=True)
        waiting = await broker.pool.fetchval(
            "SELECT count(*) FROM deliveries WHERE priority = 4 AND transport_state = 'queued'"
        )
    pushed = [message_id for _, message_id in endpoint.answered]
    routine_done = sum(1 for message_id in pushed if message_id in routine)
    urgent_done = sum(1 for message_id in pushed if message_id in urgent)
    assert routine_done + urgent_done == len(pushed)
    print(f"\nwhile urgent work kept arriving: {routine_done} routine, {urgent_done} urgent pushes")
    # Urgent work still wins, but every 4th claim that takes anything takes
    # the oldest (routine) work: about a quarter. Half of that is the floor.
    assert urgent_done > routine_done
    assert routine_done >= len(pushed) // (2 * WorkerOptions().routine_every)
    # Urgent work was still waiting at the end: it never ran out.
    assert waiting > 0


async def test_urgent_goes_first_when_an_open_circuit_closes(
    broker: Broker, endpoint: PushEndpoint
) -> None:
    options = WorkerOptions(breaker_threshold=5, breaker_cool_down=1.0)
    endpoint.answers = [Answer(503) for _ in range(options.breaker_threshold)]
    await queue_documents(broker.pool, SENDER, SLOW, 1000)
    async with running_worker(broker, options) as worker:
        await endpoint.wait_for(lambda: worker.circuit_states().get(endpoint.url) == "open")
        # Accepted while the endpoint's work waits for the circuit's probe.
        urgent, accepted_at = await submit_urgent(broker)
        await endpoint.wait_for(lambda: answered(endpoint, urgent), within=30)
    result = overtaking(endpoint.answered, accepted_at, urgent)
    print(f"\nurgent behind an open circuit: overtaken by {result.overtaken} (bound {BOUND})")
    # Nothing is pushed while the circuit is open; once it lets pushes through,
    # the same reasoning as above holds.
    assert result.overtaken <= BOUND


async def test_due_retries_are_claimed_by_priority(broker: Broker) -> None:
    pool: Pool = broker.pool
    [old_routine] = await queue_documents(pool, SENDER, SLOW, 1)
    [urgent] = await queue_documents(pool, SENDER, SLOW, 1, priority=4)
    [fresh_routine] = await queue_documents(pool, SENDER, SLOW, 1)
    # Two failed once and are due again; the fresh one was never tried.
    await pool.execute(
        "UPDATE deliveries SET transport_state = 'retrying', attempts = 1, "
        "next_attempt_at = now() - make_interval(secs => CASE WHEN message_id = $1 "
        "THEN 60 ELSE 30 END) WHERE message_id = ANY($2::text[])",
        old_routine,
        [old_routine, urgent],
    )

    def request(owner: str, oldest_first: bool) -> claims.ClaimRequest:
        return claims.ClaimRequest(
            owner=owner,
            lease_seconds=30.0,
            limit=1,
            oldest_first=oldest_first,
            endpoint_limit=LIMIT,
        )

    [first] = await claims.claim(pool, request("a", oldest_first=False))
    [second] = await claims.claim(pool, request("b", oldest_first=True))
    [third] = await claims.claim(pool, request("c", oldest_first=False))
    assert [first.push.message_id, second.push.message_id, third.push.message_id] == [
        urgent,
        old_routine,
        fresh_routine,
    ]


async def test_a_claim_hands_out_the_urgent_push_first(broker: Broker) -> None:
    # Pushes started together race to the endpoint: the worker starts them in
    # the order the claim returns, which must not be the table's order.
    routine = await queue_documents(broker.pool, SENDER, SLOW, LIMIT - 1)
    [urgent] = await queue_documents(broker.pool, SENDER, SLOW, 1, priority=4)
    got = await claims.claim(
        broker.pool,
        claims.ClaimRequest(
            owner="w",
            lease_seconds=30.0,
            limit=10,
            oldest_first=False,
            endpoint_limit=LIMIT,
        ),
    )
    assert [claim.push.message_id for claim in got] == [urgent, *routine]
