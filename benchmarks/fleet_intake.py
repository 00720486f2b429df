"""Intake of one node against two, on one PostgreSQL: do nodes add up?

``python -m benchmarks.fleet_intake [--code DIR] [--messages N] [--json]``

One embedded PostgreSQL (fsync on) in a temporary folder; the schema,
trust anchor and agencies set up through the ``axis`` command line of the
code under test (``--code``: a checkout, default this one, so the same run
can measure main); N signed envelopes per phase, each sent once by ``wrk``
(a Lua script posts prepared files with their sender's bearer secret).
Phase one: one ``axis serve``, one ``wrk`` with 2 threads. Phase two: two
``axis serve`` on two ports, one ``wrk`` with 1 thread at each, the same
128 connections in all. Intake per second is counted from the database
(accepted messages over the span of their ``accepted_at``), so it does not
depend on how ``wrk`` times itself. During each phase PostgreSQL's wait
events are sampled: backends waiting on an advisory lock (the old audit
chain's), on the notification queue's lock (``Lock:object``, taken at
commit by a transaction that did NOTIFY) or on the WAL flush.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import shutil
import signal
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import psutil

from axis.settings import Settings
from axis.storage import database
from benchmarks.intake_rig import (
    CONNECTIONS,
    POST_LUA,
    Fleet,
    database_now,
    free_port,
    intake_rate,
    prepare,
    set_up,
    until_answered,
    wait_ready,
)
from tests.support.databases import with_database

REPOSITORY = Path(__file__).resolve().parents[1]


def _split(manifest: Path, parts: int) -> tuple[list[Path], int]:
    """The manifest in ``parts`` interleaved shares, and how many envelopes in all."""
    lines = manifest.read_text().splitlines()
    paths = []
    for part in range(parts):
        path = manifest.with_name(f"manifest.{part}")
        path.write_text("\n".join(lines[part::parts]) + "\n")
        paths.append(path)
    return paths, len(lines)


async def _sample_waits(url: str, stop: asyncio.Event) -> collections.Counter[str]:
    """How often backends of the benchmark database were seen waiting, by wait event."""
    seen: collections.Counter[str] = collections.Counter()
    connection = await asyncpg.connect(url)
    try:
        while not stop.is_set():
            rows = await connection.fetch(
                "SELECT wait_event_type, wait_event, state FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            seen["samples"] += 1
            for row in rows:
                if row["state"] == "active":
                    seen["active"] += 1
                    if row["wait_event_type"] is not None:
                        seen[f"{row['wait_event_type']}:{row['wait_event']}"] += 1
            await asyncio.sleep(0.01)
    finally:
        await connection.close()
    return seen


async def _phase(fleet: Fleet, manifest: Path, nodes: int) -> dict[str, Any]:
    ports = [free_port() for _ in range(nodes)]
    servers = [fleet.serve(port) for port in ports]
    lua = fleet.folder / "post.lua"
    lua.write_text(POST_LUA)
    try:
        await asyncio.gather(*(wait_ready(port) for port in ports))
        threads = 2 // nodes
        manifests, expected = _split(manifest, nodes)
        stop = asyncio.Event()
        sampling = asyncio.create_task(_sample_waits(fleet.url, stop))
        psutil.cpu_percent()
        load_before = os.getloadavg()[0]
        since = await database_now(fleet.url)
        started = time.perf_counter()
        runs = [
            await asyncio.create_subprocess_exec(
                "wrk", "-t", str(threads), "-c", str(CONNECTIONS // nodes), "-d", "600s",
                "--timeout", "30s", "-s", str(lua), f"http://127.0.0.1:{port}",
                "--", str(part), str(threads),
                stdout=asyncio.subprocess.PIPE,
            )
            for port, part in zip(ports, manifests, strict=True)
        ]  # fmt: skip
        # wrk runs for its duration whatever its threads do: stop it (SIGINT makes it
        # report) once every envelope is answered, or nothing moves for 30 s.
        await until_answered(fleet.url, since, expected)
        for run in runs:
            run.send_signal(signal.SIGINT)
        outputs = [(await run.communicate())[0].decode() for run in runs]
        elapsed = time.perf_counter() - started
        cpu_busy = psutil.cpu_percent()
        stop.set()
        waits = await sampling
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait()
    statuses = [line for out in outputs for line in out.splitlines() if line.startswith("FLEET")]
    accepted, span = await intake_rate(fleet.url, since)
    samples = max(1, waits.pop("samples"))
    return {
        "nodes": nodes,
        "accepted": accepted,
        "accepted_per_s": round(accepted / span, 1) if span else None,
        "wall_s": round(elapsed, 2),
        "wrk": statuses,
        "cpu_busy_percent": cpu_busy,
        "load_average_before": round(load_before, 2),
        # Backends seen per sample, by what they waited on.
        "waiting_per_sample": {
            name: round(count / samples, 3) for name, count in waits.most_common(8)
        },
    }


async def measure(code: Path, messages: int, size: int) -> dict[str, Any]:
    if shutil.which("wrk") is None:
        raise SystemExit(
            "benchmarks.fleet_intake needs wrk, a C load generator: apt-get install wrk"
        )
    folder = Path(tempfile.mkdtemp(prefix="axis-fleet-", dir="/tmp"))
    try:
        async with database.database_url(Settings(data_dir=folder / "pg")) as server_url:
            name = f"fleet_{uuid.uuid4().hex[:8]}"
            admin = await asyncpg.connect(server_url)
            try:
                await admin.execute('CREATE DATABASE "' + name + '"')
                fsync = await admin.fetchval("SHOW fsync")
            finally:
                await admin.close()
            fleet = Fleet(code, with_database(server_url, name), folder)
            credentials, recipients, secrets = await asyncio.to_thread(set_up, fleet)
            one = await asyncio.to_thread(
                prepare, fleet, "one", 0, messages, size, credentials, recipients, secrets
            )
            two = await asyncio.to_thread(
                prepare, fleet, "two", messages, messages, size, credentials, recipients, secrets
            )
            single = await _phase(fleet, one, 1)
            double = await _phase(fleet, two, 2)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    ratio = None
    if single["accepted_per_s"] and double["accepted_per_s"]:
        ratio = round(double["accepted_per_s"] / single["accepted_per_s"], 2)
    return {
        "code": str(code),
        "fsync": fsync,
        "messages_per_phase": messages,
        "size": size,
        "cores": os.cpu_count(),
        "one_node": single,
        "two_nodes": double,
        "ratio": ratio,
    }


def _describe(report: dict[str, Any]) -> str:
    one, two = report["one_node"], report["two_nodes"]
    return "\n".join(
        [
            f"code {report['code']}, fsync {report['fsync']}, {report['cores']} cores, "
            f"{report['messages_per_phase']} x {report['size']} B per phase",
            f"one node:  {one['accepted_per_s']}/s ({one['accepted']} accepted, "
            f"CPU {one['cpu_busy_percent']}%, load {one['load_average_before']})",
            f"two nodes: {two['accepted_per_s']}/s ({two['accepted']} accepted, "
            f"CPU {two['cpu_busy_percent']}%, load {two['load_average_before']})",
            f"ratio two/one: {report['ratio']}",
            f"waits, one node:  {one['waiting_per_sample']}",
            f"waits, two nodes: {two['waiting_per_sample']}",
        ]
    )


async def run() -> dict[str, Any]:
    """For ``benchmarks.fleet``: this checkout, the default sizes."""
    return await measure(REPOSITORY, 6000, 20_000)


def rows(report: dict[str, Any]) -> list[tuple[str, str]]:
    one, two = report["one_node"], report["two_nodes"]
    return [
        (
            "intake, two nodes against one (wrk, 20 KB signed)",
            f"**{report['ratio']}x** ({two['accepted_per_s']}/s vs {one['accepted_per_s']}/s; "
            f"CPU {two['cpu_busy_percent']}% vs {one['cpu_busy_percent']}%)",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code", type=Path, default=REPOSITORY, help="checkout to run")
    parser.add_argument("--messages", type=int, default=6000, help="envelopes per phase")
    parser.add_argument("--size", type=int, default=20_000, help="bytes per envelope")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    arguments = parser.parse_args()
    report = asyncio.run(measure(arguments.code.resolve(), arguments.messages, arguments.size))
    print(json.dumps(report) if arguments.json else _describe(report))


if __name__ == "__main__":
    main()
