"""getAgenciesList over the VXP surface with a large directory.

Run: ``python -m benchmarks.vxp_agencies [--agencies N] [--rounds R] [--database-url URL]``.

Without ``--database-url`` an embedded PostgreSQL is started in a temporary
folder. The agencies are bulk-inserted with COPY into a fresh database, then
the SDK's getAgenciesList request (signed exactly as the Java SDK signs it)
is sent R times to an in-process server; the report gives the time per call
(client view, HTTP included) and the response size.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time

import asyncpg
from aiohttp import web

from axis.runtime import open_runtime
from axis.settings import Settings
from axis.storage import database, migrator
from benchmarks.scratch_database import run_benchmark
from endpoints.application import build_application
from tests.support.processes import free_port
from tests.support.vxp_client import VxpService

CALLER = "000.00.00.G22"


async def _fill(url: str, count: int) -> None:
    connection = await asyncpg.connect(url)
    try:
        await migrator.migrate(connection)
        records = [
            (
                f"{index // 10000:03d}.{index // 100 % 100:02d}.{index % 100:02d}.B01",
                f"Ủy ban nhân dân đơn vị {index}",
                f"system-{index}",
                os.urandom(40),
                os.urandom(32),
                f"unit{index}@example.gov.vn",
            )
            for index in range(count)
        ]
        await connection.copy_records_to_table(
            "agencies",
            records=records,
            columns=[
                "organ_id",
                "name",
                "system_id",
                "secret_ciphertext",
                "secret_lookup",
                "email",
            ],
        )
    finally:
        await connection.close()


async def _run(url: str, count: int, rounds: int) -> dict[str, object]:
    started = time.perf_counter()
    await _fill(url, count)
    fill_seconds = time.perf_counter() - started
    settings = Settings(database_url=url, secret_key="benchmark-key")
    pool = await database.create_pool(url, 4)
    runtime = open_runtime(settings, pool)
    credentials = await runtime.registry.add(CALLER, "Văn phòng Chính phủ", actor="benchmark")
    runner = web.AppRunner(build_application(runtime))
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        client = VxpService(f"http://127.0.0.1:{port}/vxp", CALLER, credentials.secret)
        timings, size, items = [], 0, 0
        for _ in range(rounds):
            begin = time.perf_counter()
            answer = await asyncio.to_thread(client.get_agencies_list)
            timings.append(time.perf_counter() - begin)
            size = len(answer.body)
            body = json.loads(answer.body)
            assert body["ErrorCode"] == "0", body
            items = len(body["data"])
    finally:
        await runner.cleanup()
        await runtime.close()
        await pool.close()
    return {
        "agencies": items,
        "copy_seconds": round(fill_seconds, 2),
        "rounds": rounds,
        "first_seconds": round(timings[0], 3),
        "median_seconds": round(statistics.median(timings), 3),
        "best_seconds": round(min(timings), 3),
        "response_bytes": size,
    }


def _describe(report: dict[str, object]) -> str:
    return (
        f"getAgenciesList, {report['agencies']} agencies: first (uncached) call "
        f"{report['first_seconds']} s, median {report['median_seconds']} s, "
        f"best {report['best_seconds']} s over {report['rounds']} calls; "
        f"response {report['response_bytes']} bytes; COPY took {report['copy_seconds']} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agencies", type=int, default=120_000)
    parser.add_argument("--rounds", type=int, default=5)
    run_benchmark(
        parser, "vxp", lambda url, arguments: _run(url, arguments.agencies, arguments.rounds),
        _describe,
    )  # fmt: skip


if __name__ == "__main__":
    main()
