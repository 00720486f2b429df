"""The accountability statistics over one million tracked deliveries.

Run: ``python -m benchmarks.stats [--deliveries N] [--rounds R] [--database-url URL]``.

Without ``--database-url`` an embedded PostgreSQL is started in a fresh
folder under /tmp (removed afterwards). A national-sized agency tree (63
provinces and 30 ministries, each with 20 departments of 5 units: 11,253
agencies) exchanges a year of documents until N edoc deliveries exist, each
with its statuses (and their status messages and deliveries), written with
COPY. Then it times: the first full refresh of ``delivery_facts``, an
incremental refresh after one more day of traffic, an idle refresh, and
each statistics query R times (first call and median), for a 30-day period
and for the whole year.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

import asyncpg

from axis.stats import deadlines
from axis.stats import figures as stats
from axis.stats.refresh import refresh
from axis.storage import database, migrator
from axis.storage.database import Pool
from axis.working_days import WorkingCalendar
from benchmarks.scratch_database import run_benchmark
from tests.support import histories
from tests.support.histories import AgencyRecord

START = histories.utc(2025, 1, 1)
DAYS = 365
DOCUMENTS_PER_DELIVERY = 0.5  # one to three recipients each, two on average
PROVINCE = "000.00.00.H07"
DEPARTMENT = "000.00.03.H07"


def agency_tree() -> list[AgencyRecord]:
    agencies = []
    roots = [f"H{n:02d}" for n in range(1, 64)] + [f"G{n:02d}" for n in range(1, 31)]
    for suffix in roots:
        root = f"000.00.00.{suffix}"
        agencies.append(AgencyRecord(root, f"Cơ quan {suffix}", None))
        for department in range(1, 21):
            department_id = f"000.00.{department:02d}.{suffix}"
            agencies.append(AgencyRecord(department_id, f"Sở {department} {suffix}", root))
            for unit in range(1, 6):
                unit_id = f"000.{unit:02d}.{department:02d}.{suffix}"
                agencies.append(AgencyRecord(unit_id, f"Phòng {unit}", department_id))
    return agencies


async def _fill(url: str, deliveries: int) -> dict[str, Any]:
    connection = await asyncpg.connect(url)
    started = time.perf_counter()
    try:
        await migrator.migrate(connection)
        agencies = agency_tree()
        await histories.insert_agencies(connection, agencies)
        rng = random.Random(2025)
        silent = frozenset(rng.sample([a.organ_id for a in agencies], len(agencies) // 100))
        per_day = round(deliveries * DOCUMENTS_PER_DELIVERY / DAYS)
        written = 0
        day = 0
        while written < deliveries:
            batch = list(
                histories.documents(
                    rng, agencies, per_day, start=START + timedelta(days=day), days=1,
                    silent=silent, prefix=f"d{day:04d}-",
                )
            )  # fmt: skip
            await histories.insert_documents(connection, batch)
            written += sum(len(document.deliveries) for document in batch)
            day += 1
        await connection.execute("VACUUM ANALYZE")
        counts = await connection.fetchrow(
            "SELECT (SELECT count(*) FROM deliveries WHERE kind = 'edoc') AS edoc_deliveries, "
            "(SELECT count(*) FROM deliveries) AS deliveries, "
            "(SELECT count(*) FROM status_events) AS status_events, "
            "(SELECT count(*) FROM messages) AS messages"
        )
        assert counts is not None
    finally:
        await connection.close()
    return {
        "agencies": len(agencies),
        "days": day,
        **{key: int(value) for key, value in counts.items()},
        "fill_seconds": round(time.perf_counter() - started, 1),
        "per_day": per_day,
        "silent": silent,
    }


async def _timed(call: Callable[[], Awaitable[Any]], rounds: int) -> dict[str, Any]:
    timings = []
    size = 0
    for _ in range(rounds):
        began = time.perf_counter()
        outcome = await call()
        timings.append(time.perf_counter() - began)
        size = len(outcome.items) if hasattr(outcome, "items") else len(outcome)
    return {
        "first_ms": round(timings[0] * 1000, 1),
        "median_ms": round(statistics.median(timings) * 1000, 1),
        "rows": size,
    }


async def _run(url: str, deliveries: int, rounds: int) -> dict[str, Any]:
    filled = await _fill(url, deliveries)
    silent = filled.pop("silent")
    pool = await database.create_pool(url, 4)
    report: dict[str, Any] = {"data": filled}
    try:
        calendar = WorkingCalendar()
        full = await refresh(pool, calendar, 1, rescan=0)
        assert full is not None
        # One more day of traffic, then the refresh a running server would do.
        async with pool.acquire() as connection:
            rng = random.Random(7)
            more = list(
                histories.documents(
                    rng, agency_tree(), filled["per_day"],
                    start=START + timedelta(days=filled["days"]), days=1,
                    silent=silent, prefix="next-",
                )
            )  # fmt: skip
            await histories.insert_documents(connection, more)
        incremental = await refresh(pool, calendar, 1, rescan=0)
        idle = await refresh(pool, calendar, 1, rescan=0)
        assert incremental is not None and idle is not None
        report["refresh"] = {
            "full_seconds": round(full.seconds, 2),
            "full_rows": full.facts_written,
            "one_day_seconds": round(incremental.seconds, 3),
            "one_day_rows": incremental.facts_written,
            "idle_seconds": round(idle.seconds, 3),
        }
        year = stats.Period(date(2025, 1, 1), date(2025, 12, 31))
        month = stats.Period(date(2025, 6, 1), date(2025, 6, 30))
        now = histories.utc(2026, 1, 15)
        queries: dict[str, Callable[[], Awaitable[Any]]] = {}
        for label, period in (("30 days", month), ("year", year)):
            queries.update({
                f"roots rolled up, {label}": partial(
                    stats.agency_rows, pool, period, viewer=None, now=now),
                f"province's departments, {label}": partial(
                    stats.agency_rows, pool, period, viewer=None, parent=PROVINCE, now=now),
                f"every agency flat, {label}": partial(
                    stats.agency_rows, pool, period, viewer=None, flat=True, now=now),
                f"a province as itself, {label}": partial(
                    stats.agency_rows, pool, period, viewer=PROVINCE, now=now),
                f"one department's detail + days, {label}": partial(_detail, pool, period, now),
                f"per day, whole axis, {label}": partial(stats.daily, pool, period, None),
                f"silent agencies, {label}": partial(
                    stats.silent_agencies, pool, period, viewer=None),
            })  # fmt: skip
        queries["overdue, first page of all"] = partial(
            deadlines.overdue, pool, senders=None, recipients=None, now=now)  # fmt: skip
        queries["overdue, one sender"] = partial(
            deadlines.overdue, pool, senders=[DEPARTMENT], recipients=None, now=now)  # fmt: skip
        queries["overdue, a province's received"] = partial(_province_overdue, pool, now)
        report["queries"] = {name: await _timed(call, rounds) for name, call in queries.items()}
    finally:
        await pool.close()
    return report


async def _detail(pool: Pool, period: stats.Period, now: datetime) -> list[Any]:
    detail = await stats.agency_detail(pool, period, DEPARTMENT, viewer=None, now=now)
    return detail.days


async def _province_overdue(pool: Pool, now: datetime) -> deadlines.OverduePage:
    members = await stats.subtree(pool, PROVINCE)
    return await deadlines.overdue(pool, senders=None, recipients=members, now=now)


def _describe(report: dict[str, Any]) -> str:
    data, fresh = report["data"], report["refresh"]
    lines = [
        f"{data['edoc_deliveries']:,} tracked deliveries ({data['deliveries']:,} deliveries, "
        f"{data['status_events']:,} status events, {data['messages']:,} messages) among "
        f"{data['agencies']:,} agencies over {data['days']} days; written in "
        f"{data['fill_seconds']} s",
        f"refresh: full {fresh['full_seconds']} s ({fresh['full_rows']:,} facts), one more day "
        f"{fresh['one_day_seconds']} s ({fresh['one_day_rows']:,} facts), idle "
        f"{fresh['idle_seconds']} s",
    ]
    lines.extend(
        f"{name:<42} first {timing['first_ms']:>8} ms   median {timing['median_ms']:>8} ms"
        f"   ({timing['rows']} rows)"
        for name, timing in report["queries"].items()
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    run_benchmark(
        parser, "stats",
        lambda url, arguments: _run(url, arguments.deliveries, arguments.rounds),
        _describe,
    )  # fmt: skip


if __name__ == "__main__":
    main()
