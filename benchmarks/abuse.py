"""What an unauthenticated flood costs the axis, before and after issue #15.

Run: ``python -m benchmarks.abuse [--requests N] [--concurrency C] [--database-url URL]``.

An in-process server on a scratch database receives N ``POST
/api/v1/messages`` with a fresh made-up bearer token each (C at a time, over
real HTTP on loopback) in three set-ups:

- **before**: the old door (every refusal a ``refusals`` row and an
  audit-chain entry through the group committer; misses cached up to 100,000
  entries), the rate limits off;
- **after, no limit**: refusals counted and sampled, a few misses kept, the
  rate limits off (the cost of a refusal itself);
- **after, default limit**: the defaults (600 per address and minute): past
  the allowance the flood is answered 429 before any look-up.

For each: requests per second, the answers by status, what was written
(refusal rows, audit entries, door samples) and the credential cache's size
and memory (tracemalloc) after the flood.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import secrets
import time
import tracemalloc
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

from axis.expiring_cache import ExpiringCache
from axis.intake.refusals import Refusal
from axis.intake.service import Intake
from axis.runtime import AUTHENTICATION_TTL, open_runtime
from axis.settings import Settings
from axis.storage import database, migrator
from axis.vocabulary import ReceivedVia
from benchmarks.scratch_database import run_benchmark
from endpoints.application import build_application
from tests.support.processes import free_port

UNLIMITED = 10_000_000


@dataclass(frozen=True)
class Run:
    name: str
    requests: int
    seconds: float
    statuses: dict[int, int]
    refusal_rows: int
    audit_entries: int
    door_samples: int
    cache_entries: int
    cache_bytes: int

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


async def _old_refuse(
    self: Intake,
    refusal: Refusal,
    organ_id: str | None,
    data: bytes | None = None,
    *,
    received_via: ReceivedVia = ReceivedVia.API,
    source: str = "",
) -> Refusal:
    """The door before issue #15: every refusal written and audited."""
    await self._record(organ_id, refusal, data, received_via)
    return refusal


@contextlib.asynccontextmanager
async def _server(url: str, *, before: bool, limited: bool) -> AsyncIterator[tuple[Any, str]]:
    allowance = {} if limited else {"rate_limit_source_per_minute": UNLIMITED}
    settings = Settings(database_url=url, secret_key="benchmark-key", **allowance)  # type: ignore[arg-type]
    pool = await database.create_pool(url, 8)
    runtime = open_runtime(settings, pool)
    if before:
        object.__setattr__(
            runtime,
            "agencies_by_secret",
            ExpiringCache(
                runtime.registry.by_bearer_secret, ttl=AUTHENTICATION_TTL, max_misses=100_000
            ),
        )
        runtime.intake.refuse = _old_refuse.__get__(runtime.intake)  # type: ignore[method-assign]
    runner = web.AppRunner(build_application(runtime))
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield runtime, f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()
        await runtime.close()
        await pool.close()


async def _flood(base_url: str, requests: int, concurrency: int) -> tuple[float, Counter[int]]:
    statuses: Counter[int] = Counter()
    queue = iter(range(requests))
    async with aiohttp.ClientSession() as http:

        async def one_client() -> None:
            for _ in queue:
                headers = {
                    "Authorization": "Bearer " + secrets.token_urlsafe(32),
                    "Content-Type": "application/xml",
                }
                async with http.post(base_url + "/api/v1/messages", data=b"<x/>",
                                     headers=headers) as answer:  # fmt: skip
                    await answer.read()
                    statuses[answer.status] += 1

        started = time.perf_counter()
        await asyncio.gather(*(one_client() for _ in range(concurrency)))
        return time.perf_counter() - started, statuses


async def _count(url: str, query: str) -> int:
    connection = await database.connect(url)
    try:
        return int(await connection.fetchval(query))
    finally:
        await connection.close()


async def _one(url: str, name: str, arguments: argparse.Namespace, **kinds: bool) -> Run:
    before = (
        await _count(url, "SELECT count(*) FROM refusals"),
        await _count(url, "SELECT count(*) FROM audit_log"),
    )
    tracemalloc.start()
    async with _server(url, **kinds) as (runtime, base_url):
        seconds, statuses = await _flood(base_url, arguments.requests, arguments.concurrency)
        await runtime.intake.door.flush()
        cache = runtime.agencies_by_secret
        snapshot = tracemalloc.take_snapshot()
        cache_bytes = sum(
            stat.size
            for stat in snapshot.statistics("filename")
            if stat.traceback[0].filename.endswith("expiring_cache.py")
        )
        entries = len(cache)
    tracemalloc.stop()
    run = Run(
        name,
        arguments.requests,
        seconds,
        dict(sorted(statuses.items())),
        await _count(url, "SELECT count(*) FROM refusals") - before[0],
        await _count(url, "SELECT count(*) FROM audit_log") - before[1],
        await _count(url, "SELECT count(*) FROM door_refusals"),
        entries,
        cache_bytes,
    )
    connection = await database.connect(url)
    try:
        await connection.execute("DELETE FROM door_refusals; DELETE FROM rate_windows")
    finally:
        await connection.close()
    return run


async def measure(url: str, arguments: argparse.Namespace) -> dict[str, Any]:
    connection = await database.connect(url)
    try:
        await migrator.migrate(connection)
    finally:
        await connection.close()
    runs = [
        await _one(url, "before", arguments, before=True, limited=False),
        await _one(url, "after, no limit", arguments, before=False, limited=False),
        await _one(url, "after, default limit", arguments, before=False, limited=True),
    ]
    return {
        "requests": arguments.requests,
        "concurrency": arguments.concurrency,
        "runs": [{**run.__dict__, "per_second": round(run.per_second, 1)} for run in runs],
    }


def describe(report: dict[str, Any]) -> str:
    lines = [
        f"{report['requests']} unauthenticated POST /api/v1/messages, a new random token each, "
        f"{report['concurrency']} at a time",
        f"{'set-up':<22}{'req/s':>8}  {'answers':<22}{'refusal rows':>13}{'audit':>7}"
        f"{'samples':>9}{'cache entries':>15}{'cache KiB':>11}",
    ]
    for run in report["runs"]:
        answers = ", ".join(f"{status}: {count}" for status, count in run["statuses"].items())
        lines.append(
            f"{run['name']:<22}{run['per_second']:>8}  {answers:<22}{run['refusal_rows']:>13}"
            f"{run['audit_entries']:>7}{run['door_samples']:>9}{run['cache_entries']:>15}"
            f"{run['cache_bytes'] / 1024:>11.0f}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=32)
    run_benchmark(parser, "abuse", measure, describe)


if __name__ == "__main__":
    main()
