"""The circuit breaker's state lives in PostgreSQL: one node trips it, every node obeys.

The scenario of the former in-process breaker, now on the shared row: it
opens after the threshold, then lets one probe through fleet-wide, a failed
probe opens it again for a whole cool-down, a success closes it.
"""

from __future__ import annotations

import asyncpg
import pytest

from axis.delivery.push import circuit_breaker, claims
from axis.delivery.push.circuit_breaker import CircuitState, Judgement
from axis.storage.database import Pool
from tests.support.deliveries import add_agency, add_delivery
from tests.support.runtimes import RuntimeFactory

ENDPOINT = "http://127.0.0.1:9/in"
THRESHOLD = 3
COOL_DOWN = 10.0


def request(owner: str, limit: int = 10) -> claims.ClaimRequest:
    return claims.ClaimRequest(
        owner=owner, lease_seconds=30.0, limit=limit, oldest_first=False, endpoint_limit=4
    )


async def judge(pool: Pool, *judgements: Judgement) -> circuit_breaker.Circuit:
    batch = [(ENDPOINT, judgement) for judgement in judgements]
    rules = circuit_breaker.BreakerRules(THRESHOLD, COOL_DOWN)
    circuits = await claims.record(pool, "judge", [], 3600.0, batch, rules)
    return circuits[ENDPOINT]


FAILED, ANSWERED = Judgement.FAILED, Judgement.ANSWERED


async def cool_down_passes(connection: asyncpg.Connection) -> None:
    await connection.execute(
        "UPDATE push_endpoints SET opened_until = now() - interval '1 second'"
        " WHERE endpoint_url = $1",
        ENDPOINT,
    )


@pytest.fixture
async def backlog(make_runtime: RuntimeFactory, connection: asyncpg.Connection) -> list[int]:
    runtime = make_runtime()
    await add_agency(runtime.registry, "sender.gov")
    await add_agency(runtime.registry, "receiver.gov", ENDPOINT)
    return [(await add_delivery(connection, "sender.gov", "receiver.gov"))[1] for _ in range(20)]


async def test_circuit_opens_after_threshold_then_probes_once_fleet_wide(
    pool: Pool, connection: asyncpg.Connection, backlog: list[int]
) -> None:
    closed = await judge(pool, FAILED, FAILED)
    assert (closed.state, closed.opened) == (CircuitState.CLOSED, False)
    opened = await judge(pool, FAILED, ANSWERED)
    assert (opened.state, opened.opened) == (CircuitState.OPEN, True)
    assert opened.reopens_in == pytest.approx(COOL_DOWN, abs=1.0)
    # Every node: nothing is claimed, and the endpoint's work was postponed.
    assert await claims.claim(pool, request("node-a")) == []
    assert await claims.claim(pool, request("node-b")) == []
    postponed = await connection.fetchval(
        "SELECT count(*) FROM deliveries WHERE next_attempt_at > now() + interval '5 seconds'"
    )
    assert postponed == len(backlog)

    await connection.execute("UPDATE deliveries SET next_attempt_at = now()")
    await cool_down_passes(connection)
    [probe] = await claims.claim(pool, request("node-a"))
    # One probe at a time, whichever node asks.
    assert await claims.claim(pool, request("node-b")) == []
    await claims.release(pool, "node-a")
    assert probe.delivery_id in backlog
    reopened = await judge(pool, FAILED)
    assert (reopened.state, reopened.opened) == (CircuitState.OPEN, True)
    assert reopened.reopens_in == pytest.approx(COOL_DOWN, abs=1.0)
    # Pushes that started before it opened answer late: nothing changes.
    late = await judge(pool, FAILED, ANSWERED)
    assert (late.state, late.opened) == (CircuitState.OPEN, False)

    await connection.execute("UPDATE deliveries SET next_attempt_at = now()")
    await cool_down_passes(connection)
    assert (await judge(pool, ANSWERED)).state is CircuitState.CLOSED
    assert len(await claims.claim(pool, request("node-b"))) == 4
