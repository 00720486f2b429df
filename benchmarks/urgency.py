"""An urgent document against a routine backlog at one slow push endpoint.

Run: ``python -m benchmarks.urgency [--backlog N] [--rounds R] [--delay S]
[--concurrency C] [--database-url URL] [--json]``.

Without ``--database-url`` an embedded PostgreSQL is started in a temporary
folder. N routine documents are stored through the intake's writer for an
agency whose push endpoint (aiohttp on loopback) takes S seconds per push;
the delivery worker runs with C pushes at a time per endpoint (the tables
are analyzed first, as autovacuum would after such a load). Once it is
busy, R hỏa tốc (priority 4) documents are submitted one after another
through the real intake (signed and verified), each once the previous one
was delivered. For each: how many other pushes the endpoint answered between
its acceptance and its delivery (deliveries overtaken), and its latency.
Routine throughput is routine pushes answered per second over the whole run.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from functools import partial

import asyncpg

from axis.delivery.push.worker import DeliveryWorker, WorkerOptions
from axis.storage import migrator
from benchmarks.scratch_database import run_benchmark
from tests.support.backlog import overtaking, queue_documents
from tests.support.envelopes import document, open_broker
from tests.support.push_endpoint import Answer, PushEndpoint

SENDER = "000.00.00.G22"
SLOW = "000.00.00.H41"


def _answered(endpoint: PushEndpoint, message_id: str) -> bool:
    return any(answered_id == message_id for _, answered_id in endpoint.answered)


async def _run(url: str, arguments: argparse.Namespace) -> dict[str, object]:
    connection = await asyncpg.connect(url)
    try:
        await migrator.migrate(connection)
    finally:
        await connection.close()
    endpoint = await PushEndpoint(default=Answer(delay=arguments.delay)).start()
    try:
        async with open_broker(
            url, push_concurrency_per_endpoint=arguments.concurrency, push_timeout=30.0
        ) as broker:
            await broker.add(SENDER)
            endpoint.secret = (await broker.add(SLOW, endpoint_url=endpoint.url)).secret
            began = time.perf_counter()
            routine = set(await queue_documents(broker.pool, SENDER, SLOW, arguments.backlog))
            queue_seconds = time.perf_counter() - began
            # What autovacuum does to a table that grew this much: without it
            # the planner still believes the queue is empty.
            await broker.pool.execute("ANALYZE deliveries, messages")
            runtime = broker.runtime
            worker = DeliveryWorker(
                runtime.settings, runtime.pool, runtime.registry, WorkerOptions()
            )
            agency = await runtime.registry.require(SENDER)
            rounds: list[dict[str, float]] = []
            started = time.monotonic()
            await worker.start()
            try:
                await endpoint.wait_for(
                    lambda: len(endpoint.answered) >= 5 * arguments.concurrency, within=60
                )
                for _ in range(arguments.rounds):
                    data = broker.agencies[SENDER].sign(
                        document(SENDER, [SLOW], priority=4, subject="Hỏa tốc")
                    )
                    accepted = await runtime.intake.submit(agency, data)
                    accepted_at = time.monotonic()
                    await endpoint.wait_for(partial(_answered, endpoint, accepted.id), within=60)
                    result = overtaking(endpoint.answered, accepted_at, accepted.id)
                    waiting = await broker.pool.fetchval(
                        "SELECT count(*) FROM deliveries WHERE transport_state = 'queued'"
                    )
                    rounds.append(
                        {
                            "overtaken": result.overtaken,
                            "latency_ms": result.latency * 1000,
                            "routine_waiting": int(waiting),
                        }
                    )
                    await asyncio.sleep(arguments.pause)
            finally:
                elapsed = time.monotonic() - started
                await worker.stop(grace=5.0)
    finally:
        await endpoint.stop()
    routine_done = sum(1 for _, message_id in endpoint.answered if message_id in routine)
    overtaken = [entry["overtaken"] for entry in rounds]
    latencies = [entry["latency_ms"] for entry in rounds]
    return {
        "backlog": arguments.backlog,
        "push_delay_ms": round(arguments.delay * 1000, 1),
        "concurrency": arguments.concurrency,
        "queue_seconds": round(queue_seconds, 2),
        "rounds": len(rounds),
        "overtaken": overtaken,
        "overtaken_max": max(overtaken),
        "latency_ms": [round(value, 1) for value in latencies],
        "latency_median_ms": round(statistics.median(latencies), 1),
        "latency_max_ms": round(max(latencies), 1),
        "routine_waiting_at_last": rounds[-1]["routine_waiting"],
        "routine_pushed": routine_done,
        "run_seconds": round(elapsed, 2),
        "routine_per_second": round(routine_done / elapsed, 1),
        "endpoint_capacity_per_second": round(arguments.concurrency / arguments.delay, 1),
    }


def _describe(report: dict[str, object]) -> str:
    return (
        f"routine backlog {report['backlog']} documents at one endpoint "
        f"({report['push_delay_ms']} ms per push, {report['concurrency']} at a time; "
        f"stored in {report['queue_seconds']} s)\n"
        f"hỏa tốc documents: {report['rounds']}, each overtaken by {report['overtaken']} "
        f"deliveries (max {report['overtaken_max']})\n"
        f"urgent latency: median {report['latency_median_ms']} ms, "
        f"max {report['latency_max_ms']} ms ({report['latency_ms']})\n"
        f"routine throughput: {report['routine_pushed']} pushes in {report['run_seconds']} s = "
        f"{report['routine_per_second']}/s (endpoint capacity "
        f"{report['endpoint_capacity_per_second']}/s); "
        f"{report['routine_waiting_at_last']} still queued after the last urgent one"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backlog", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--delay", type=float, default=0.03, help="seconds per push")
    parser.add_argument("--concurrency", type=int, default=4, help="pushes per endpoint")
    parser.add_argument("--pause", type=float, default=0.2, help="seconds between rounds")
    run_benchmark(parser, "urgency", _run, _describe)


if __name__ == "__main__":
    main()
