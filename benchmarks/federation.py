"""Documents per second and latency province A -> the nation -> province B.

Run: ``python -m benchmarks.federation [--messages N] [--concurrency C]
[--size BYTES] [--json]``.

One embedded PostgreSQL in a temporary folder holds three databases; three
real ``axis serve`` processes (province A, the nation, province B) are wired
as peers (tests/support/federation.py). N signed documents from an agency of
A to a pull reader of B are submitted at A with C in flight, while the
reader long-polls B's inbox and acknowledges what arrives. Latency is from
the submission at A to the document's first sight in B's inbox; documents
per second are N over the time from the first submission to the last
arrival. In the same run, ``axis bench`` measures one axis alone (same
message count and size, one worker) so the two figures read side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg

from axis.client.agency_client import AgencyClient
from axis.settings import Settings
from axis.storage import database, migrator
from signing import sign
from tests.support.agencies import credential_for
from tests.support.databases import with_database
from tests.support.envelopes import document
from tests.support.federation import Federation, federation

SENDER = "000.00.01.H40"
READER = "000.00.01.H53"
TEMPLATE = "axis_fed_bench_template"


def _percentile_ms(values: list[float], percent: int) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, round(percent / 100 * (len(ordered) - 1)))
    return round(ordered[index] * 1000, 1)


async def _receive(
    fed: Federation, secret: str, expected: int, seen: dict[str, float], done: asyncio.Event
) -> None:
    async with AgencyClient(fed.b.base_url, secret) as reader:
        while len(seen) < expected:
            page = await reader.inbox(limit=500, wait=5)
            now = time.perf_counter()
            for item in page["items"]:
                seen.setdefault(item["document_id"], now)
            await asyncio.gather(*(reader.ack(item["id"]) for item in page["items"]))
    done.set()


async def _measure(fed: Federation, messages: int, concurrency: int, size: int) -> dict[str, Any]:
    sender = await fed.a.register(SENDER)
    reader = await fed.b.register(READER)
    credential = credential_for(SENDER)
    payload = b"x" * max(0, size - 3000)
    bodies = [
        sign(
            document(SENDER, [READER], document_id=f"{SENDER},2026/12/01,{n}/FED", payload=payload),
            credential.private_key,
            credential.certificate,
        )
        for n in range(messages)
    ]
    submitted: dict[str, float] = {}
    seen: dict[str, float] = {}
    done = asyncio.Event()
    receiving = asyncio.create_task(_receive(fed, reader.secret, messages, seen, done))
    queue: asyncio.Queue[tuple[int, bytes]] = asyncio.Queue()
    for numbered in enumerate(bodies):
        queue.put_nowait(numbered)
    started = time.perf_counter()

    async def submit(client: AgencyClient) -> None:
        while not queue.empty():
            number, body = queue.get_nowait()
            submitted[f"{SENDER},2026/12/01,{number}/FED"] = time.perf_counter()
            await client.send(body)

    async with AgencyClient(fed.a.base_url, sender.secret) as client:
        await asyncio.gather(*(submit(client) for _ in range(concurrency)))
    accepted = time.perf_counter() - started
    await asyncio.wait_for(receiving, timeout=900)
    delivered = max(seen.values()) - started
    latencies = [seen[key] - submitted[key] for key in submitted]
    return {
        "messages": messages,
        "size": size,
        "concurrency": concurrency,
        "accepted_per_s": round(messages / accepted, 1),
        "delivered_per_s": round(messages / delivered, 1),
        "latency_p50_ms": _percentile_ms(latencies, 50),
        "latency_p99_ms": _percentile_ms(latencies, 99),
        "latency_mean_ms": round(statistics.fmean(latencies) * 1000, 1),
    }


def _single_axis(messages: int, concurrency: int, size: int) -> dict[str, Any]:
    """``axis bench`` in this run, on this machine: one axis, one worker."""
    done = subprocess.run(
        [sys.executable, "-m", "axis", "bench", "--messages", str(messages),
         "--concurrency", str(concurrency), "--size", str(size), "--workers", "1", "--json"],
        capture_output=True, text=True, check=True, timeout=1800,
    )  # fmt: skip
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


async def run(messages: int, concurrency: int, size: int) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="axis-bench-federation-", dir="/tmp"))
    try:
        async with database.database_url(Settings(data_dir=folder / "data")) as server_url:
            admin = await asyncpg.connect(server_url)
            try:
                await admin.execute(f'CREATE DATABASE "{TEMPLATE}"')
            finally:
                await admin.close()
            template = await asyncpg.connect(with_database(server_url, TEMPLATE))
            try:
                await migrator.migrate(template)
            finally:
                await template.close()
            logs = folder / "logs"
            logs.mkdir()
            async with federation(server_url, TEMPLATE, logs) as fed:
                relayed = await _measure(fed, messages, concurrency, size)
        single = await asyncio.to_thread(_single_axis, messages, concurrency, size)
        return {
            "federation": relayed,
            "single_axis": {
                key: single[key]
                for key in ("accepted_per_s", "delivered_per_s", "latency_p50_ms", "latency_p99_ms")
                if key in single
            },
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--size", type=int, default=20_000)
    parser.add_argument("--json", action="store_true")
    arguments = parser.parse_args()
    report = asyncio.run(run(arguments.messages, arguments.concurrency, arguments.size))
    if arguments.json:
        print(json.dumps(report))
        return
    for part, figures in report.items():
        print(part)
        for key, value in figures.items():
            print(f"  {key:>18}: {value}")


if __name__ == "__main__":
    main()
