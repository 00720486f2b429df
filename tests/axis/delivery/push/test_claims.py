"""Claims: urgent first, routine guaranteed a share, leases respected."""

from __future__ import annotations

import asyncpg

from axis.delivery.push import claims
from axis.storage.database import Pool
from tests.support.deliveries import add_agency, add_delivery
from tests.support.runtimes import RuntimeFactory


def request(owner: str, *, oldest_first: bool, limit: int = 1) -> claims.ClaimRequest:
    return claims.ClaimRequest(
        owner=owner,
        lease_seconds=30.0,
        limit=limit,
        oldest_first=oldest_first,
        endpoint_limit=4,
    )


async def test_urgent_first_but_routine_batches_take_the_oldest(
    make_runtime: RuntimeFactory, pool: Pool, connection: asyncpg.Connection
) -> None:
    runtime = make_runtime()
    await add_agency(runtime.registry, "sender.gov")
    await add_agency(runtime.registry, "receiver.gov", "http://127.0.0.1:9/in")
    _, routine = await add_delivery(connection, "sender.gov", "receiver.gov", age_seconds=60)
    await connection.execute(
        "UPDATE deliveries SET next_attempt_at = now() - interval '60 seconds' WHERE id = $1",
        routine,
    )
    _, urgent = await add_delivery(connection, "sender.gov", "receiver.gov", priority=4)

    [first] = await claims.claim(pool, request("w1", oldest_first=False))
    assert first.delivery_id == urgent
    await claims.release(pool, "w1")
    [oldest] = await claims.claim(pool, request("w1", oldest_first=True))
    assert oldest.delivery_id == routine
    # Leased: nobody else gets it, and the owner is recorded.
    remaining = await claims.claim(pool, request("w2", oldest_first=True, limit=10))
    assert [claim.delivery_id for claim in remaining] == [urgent]
    rows = await connection.fetch("SELECT id, lease_owner FROM deliveries")
    owners = {row["id"]: row["lease_owner"] for row in rows}
    assert owners == {routine: "w1", urgent: "w2"}


async def test_claims_respect_free_slots_per_endpoint(
    make_runtime: RuntimeFactory, pool: Pool, connection: asyncpg.Connection
) -> None:
    runtime = make_runtime()
    await add_agency(runtime.registry, "sender.gov")
    await add_agency(runtime.registry, "a.gov", "http://127.0.0.1:9/a")
    await add_agency(runtime.registry, "b.gov", "http://127.0.0.1:9/b")
    for _ in range(5):
        await add_delivery(connection, "sender.gov", "a.gov")
        await add_delivery(connection, "sender.gov", "b.gov")
    # Another node holds both of a's slots: its leases count here too.
    for _ in range(2):
        await add_delivery(
            connection, "sender.gov", "a.gov", lease_owner="other-node", lease_seconds=30
        )
    got = await claims.claim(
        pool,
        claims.ClaimRequest(
            owner="w",
            lease_seconds=30.0,
            limit=50,
            oldest_first=False,
            endpoint_limit=2,
        ),
    )
    assert sorted(claim.recipient_id for claim in got) == ["b.gov", "b.gov"]
