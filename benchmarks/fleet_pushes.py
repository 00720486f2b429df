"""Two push nodes on one database: the most pushes in flight at one endpoint, and takeover.

Real processes: two ``axis work`` nodes on one PostgreSQL push a backlog to
one loopback endpoint whose limit is 4 (``AXIS_PUSH_CONCURRENCY_PER_ENDPOINT``)
and which holds each push ``--hold`` seconds. Once the first node holds
leases it is killed with SIGKILL (by its pid). Measured in one run: the most
pushes in flight at the endpoint (before the kill, and after it not counting
the dead node's abandoned connections), the seconds until the dead node's
leases were given back and until its work reached the endpoint again,
documents lost, and repeats (pushes of a delivery the endpoint had already
received: allowed only for those the dead node had in flight).

The push timeout is 30 s (the default), so a lease lasts 40 s: work that
moves sooner moved by takeover, not by expiry.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
from aiohttp import web

from axis.runtime import open_runtime
from axis.settings import Settings
from axis.storage import database, migrator
from benchmarks.scratch_database import run_benchmark, scratch_database
from tests.support.agencies import register_agency
from tests.support.backlog import queue_documents
from tests.support.processes import TEST_SECRET_KEY, ServerProcess, start_worker
from tests.support.push_endpoint import Answer, PushEndpoint

SENDER = "000.00.00.G61"
PUSHED = "000.00.00.H61"
LIMIT = 4


@dataclass
class CountingEndpoint(PushEndpoint):
    """Counts pushes in flight; after ``abandon`` the dead node's do not count."""

    in_flight: dict[int, str] = field(default_factory=dict)
    abandoned: set[int] = field(default_factory=set)
    peak: int = 0
    peak_after_kill: int = 0
    killed: bool = False
    arrivals: list[tuple[float, str]] = field(default_factory=list)

    async def _receive(self, request: web.Request) -> web.Response:
        key = id(request)
        self.in_flight[key] = request.headers.get("X-Axis-Message-Id", "")
        self.arrivals.append((time.monotonic(), self.in_flight[key]))
        live = len(set(self.in_flight) - self.abandoned)
        if self.killed:
            self.peak_after_kill = max(self.peak_after_kill, live)
        else:
            self.peak = max(self.peak, live)
        try:
            return await super()._receive(request)
        finally:
            del self.in_flight[key]
            self.abandoned.discard(key)

    def abandon(self, message_ids: set[str]) -> None:
        self.killed = True
        self.abandoned = {key for key, value in self.in_flight.items() if value in message_ids}


async def _leases_of(pool: asyncpg.Pool, node_id: str) -> set[str]:
    rows = await pool.fetch(
        "SELECT message_id FROM deliveries WHERE lease_owner = $1 AND transport_state = 'queued'",
        node_id,
    )
    return {row["message_id"] for row in rows}


async def _node_id(pool: asyncpg.Pool, node: ServerProcess) -> str:
    for _ in range(200):
        found = await pool.fetchval("SELECT node_id FROM nodes WHERE pid = $1", node.process.pid)
        if found is not None:
            return str(found)
        await asyncio.sleep(0.05)
    raise AssertionError("the node never joined the fleet")


async def _until(condition: object, within: float, what: str) -> float:
    """Waits for an async condition (polling); the monotonic time it first held."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await condition():  # type: ignore[operator]
            return time.monotonic()
        await asyncio.sleep(0.05)
    raise AssertionError(f"{what} within {within} s")


async def rehearse(url: str, documents: int, hold: float, logs: Path) -> dict[str, object]:
    """Runs the rehearsal on a migrated database; the figures and the facts to check."""
    settings = Settings(database_url=url, secret_key=TEST_SECRET_KEY)
    endpoint = CountingEndpoint(default=Answer(delay=hold))
    await endpoint.start()
    pool = await database.create_pool(url, 4)
    nodes: list[ServerProcess] = []
    try:
        runtime = open_runtime(settings, pool)
        await register_agency(runtime, SENDER)
        endpoint.secret = (await register_agency(runtime, PUSHED, endpoint_url=endpoint.url)).secret
        message_ids = set(await queue_documents(pool, SENDER, PUSHED, documents))
        environment = {
            "AXIS_LOG_LEVEL": "WARNING",
            "AXIS_PUSH_CONCURRENCY_PER_ENDPOINT": str(LIMIT),
        }
        # The node to be killed starts first and is pushing before the other is
        # up: a node whose claims keep every slot full would otherwise starve
        # the other of leases, and the kill would find nothing to take over.
        for name in ("first", "second"):
            node = start_worker(["--database-url", url], logs / f"{name}.log", environment)
            nodes.append(node)
            await asyncio.to_thread(node.wait_ready)
        victim, survivor = nodes
        victim_id = await _node_id(pool, victim)
        survivor_id = await _node_id(pool, survivor)

        async def victim_holds_leases() -> bool:
            return len(endpoint.received) >= 2 * LIMIT and bool(await _leases_of(pool, victim_id))

        await _until(victim_holds_leases, 60, "the first node held no leases")
        victim.process.send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        victim.process.wait()
        abandoned = await _leases_of(pool, victim_id)
        expiry = await pool.fetchval(
            "SELECT min(lease_expires_at) FROM deliveries WHERE lease_owner = $1", victim_id
        )
        in_flight_on_survivor = await _leases_of(pool, survivor_id)
        endpoint.abandon(abandoned)
        pushed_before = Counter(endpoint.pushes_per_message())

        async def released() -> bool:
            return not await _leases_of(pool, victim_id)

        released_at = await _until(released, 60, "the dead node's leases were not given back")
        before_expiry = await pool.fetchval("SELECT now() < $1::timestamptz", expiry)

        def moved() -> bool:
            return all(endpoint.pushes_per_message()[m] > pushed_before[m] for m in abandoned)

        await endpoint.wait_for(moved, within=60)
        moved_at = max(when for when, message_id in endpoint.arrivals if message_id in abandoned)

        async def all_delivered() -> bool:
            done = await pool.fetchval(
                "SELECT count(*) FROM deliveries WHERE transport_state = 'delivered'"
            )
            return bool(done == documents)

        await _until(all_delivered, 30 + documents * hold, "not everything was delivered")
        delivered = await pool.fetchval(
            "SELECT count(*) FROM deliveries WHERE transport_state = 'delivered'"
        )
    finally:
        for node in nodes:
            await asyncio.to_thread(node.stop, signal.SIGTERM)
        await pool.close()
        await endpoint.stop()
    pushes = endpoint.pushes_per_message()
    repeated = {message_id for message_id, count in pushes.items() if count > 1}
    return {
        "documents": documents,
        "hold_seconds": hold,
        "limit": LIMIT,
        "peak_in_flight": endpoint.peak,
        "peak_in_flight_after_kill": endpoint.peak_after_kill,
        "leases_of_killed_node": len(abandoned),
        "leases_given_back_seconds": round(released_at - killed_at, 2),
        "given_back_before_lease_expiry": bool(before_expiry),
        "work_moved_seconds": round(moved_at - killed_at, 2),
        "delivered": int(delivered),
        "lost": documents - int(delivered),
        "never_pushed": len(message_ids - set(pushes)),
        "repeats": len(repeated),
        "repeats_of_live_node_in_flight": len(repeated & in_flight_on_survivor),
        "repeats_not_abandoned": len(repeated - abandoned),
    }


async def _measure(url: str, arguments: argparse.Namespace) -> dict[str, object]:
    connection = await asyncpg.connect(url)
    try:
        await migrator.migrate(connection)
    finally:
        await connection.close()
    with tempfile.TemporaryDirectory(prefix="axis-fleet-") as logs:
        return await rehearse(url, arguments.documents, arguments.hold, Path(logs))


def _describe(report: dict[str, object]) -> str:
    return (
        f"two `axis work` nodes, one endpoint (limit {report['limit']}, "
        f"{report['hold_seconds']} s per push), {report['documents']} documents\n"
        f"most pushes in flight at the endpoint: {report['peak_in_flight']} "
        f"(after the kill, live connections: {report['peak_in_flight_after_kill']})\n"
        f"kill -9 of a node holding {report['leases_of_killed_node']} leases: given back in "
        f"{report['leases_given_back_seconds']} s, its work at the endpoint again in "
        f"{report['work_moved_seconds']} s\n"
        f"delivered {report['delivered']}, lost {report['lost']}, repeats {report['repeats']} "
        f"(of deliveries the live node had in flight: "
        f"{report['repeats_of_live_node_in_flight']}; not the dead node's: "
        f"{report['repeats_not_abandoned']})"
    )


async def run() -> dict[str, object]:
    """For ``benchmarks.fleet``: a scratch embedded database, the default sizes."""
    arguments = argparse.Namespace(documents=120, hold=0.5)
    async with scratch_database(None, "fleet") as url:
        return await _measure(url, arguments)


def rows(report: dict[str, object]) -> list[tuple[str, str]]:
    return [
        (
            f"pushes in flight at one endpoint whose limit is {report['limit']}, two nodes",
            f"**{report['peak_in_flight']}**",
        ),
        (
            "a node killed with kill -9 while holding push leases",
            f"{report['delivered']}/{report['documents']} delivered, {report['lost']} lost, "
            f"{report['repeats']} repeats ({report['repeats_of_live_node_in_flight']} of the "
            f"live node's), **{report['work_moved_seconds']} s** until its work moved",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=120)
    parser.add_argument("--hold", type=float, default=0.5, help="seconds the endpoint holds a push")
    run_benchmark(parser, "fleet", _measure, _describe)


if __name__ == "__main__":
    main()
