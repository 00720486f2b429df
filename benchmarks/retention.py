"""Retention on a year of traffic: the migration, monthly export, verify, purge.

Run: ``python -m benchmarks.retention [--messages N] [--database-url URL] [--json]``.

A database as it stands before migration 0022 (bodies in ``messages.body``)
gets N messages (default one million) spread over January to November 2025,
small bodies, one acked delivery and one sealed audit entry each, written
with COPY. Then, with a writer committing one message (row, delivery, audit
entry) after another the whole time, migration 0022 is applied: the
writer's longest commit while it ran is how long writes were blocked. The
retention run then makes the monthly body partitions (December 2025
onwards) and December's messages are written with their bodies in
``message_bodies``, as bodies are stored once the large-envelope work is in.
On 2026-06-01 (a clock passed in): every month is exported (time and size),
one bundle verified (time), January purged from the rows written before
partitioning (batched updates) and December by dropping its partition;
table and index sizes before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from axis.audit.sealer import seal_pending
from axis.retention import bundle, partitions
from axis.retention.export import export_month
from axis.retention.months import Month, message_id_at
from axis.retention.policy import Policy
from axis.retention.purge import purge_month
from axis.storage import database, migrator
from axis.storage.database import Pool
from benchmarks.scratch_database import run_benchmark
from signing.seal import SealKey

START = datetime(2025, 1, 1, tzinfo=UTC)
END = datetime(2025, 12, 1, tzinfo=UTC)  # January to November before the migration
DECEMBER = Month(2025, 12)
NOW = datetime(2026, 6, 1, tzinfo=UTC)
AGENCIES = [f"000.00.{n // 10:02d}.H{n % 10:02d}" for n in range(100)]
CHUNK = 50_000
_MESSAGE_COLUMNS = ["id", "kind", "sender_id", "document_id", "body", "sha256", "size",
                    "signer_fingerprint", "signature_algorithm", "accepted_at"]  # fmt: skip
_DELIVERY_COLUMNS = ["message_id", "recipient_id", "kind", "mode", "transport_state",
                     "created_at", "next_attempt_at", "delivered_at", "acked_at"]  # fmt: skip


def _body(message_id: str) -> bytes:
    return (f"<edXMLEnvelope><Id>{message_id}</Id>" + "x" * 160 + "</edXMLEnvelope>").encode()


def _rows(moments: list[datetime], with_body: bool) -> tuple[list[Any], list[Any], list[Any]]:
    messages, deliveries, audits = [], [], []
    for index, moment in enumerate(moments):
        message_id = message_id_at(moment, os.urandom(10).hex())
        body = _body(message_id)
        sender = AGENCIES[index % len(AGENCIES)]
        messages.append((message_id, "edoc", sender, message_id, body if with_body else None,
                         hashlib.sha256(body).digest(), len(body), "bench", "rsa-sha256",
                         moment))  # fmt: skip
        acked = moment + timedelta(hours=2)
        deliveries.append((message_id, AGENCIES[(index + 1) % len(AGENCIES)], "edoc", "pull",
                           "acked", moment, moment, acked, acked))  # fmt: skip
        audits.append((moment, "bench", "message.accept", message_id, "{}"))
    return messages, deliveries, audits


async def _copy(connection: asyncpg.Connection, moments: list[datetime], with_body: bool) -> None:
    messages, deliveries, audits = _rows(moments, with_body)
    async with connection.transaction():
        await connection.copy_records_to_table(
            "messages", records=messages, columns=_MESSAGE_COLUMNS
        )
        await connection.copy_records_to_table(
            "deliveries", records=deliveries, columns=_DELIVERY_COLUMNS
        )
        await connection.copy_records_to_table(
            "audit_log", records=audits, columns=["at", "actor", "action", "subject", "detail"]
        )
    if not with_body:
        # Bodies stored as in message_bodies, once partitions exist.
        pieces = [(m[0], 0, _body(m[0])) for m in messages]
        await connection.copy_records_to_table(
            "message_bodies", records=pieces, columns=["message_id", "part", "content"]
        )


def _moments(count: int, start: datetime, end: datetime) -> list[datetime]:
    span = (end - start).total_seconds()
    return [start + timedelta(seconds=span * (i + 0.5) / count) for i in range(count)]


async def _fill(connection: asyncpg.Connection, moments: list[datetime], with_body: bool) -> None:
    for start in range(0, len(moments), CHUNK):
        await _copy(connection, moments[start : start + CHUNK], with_body)


async def _seal(url: str) -> None:
    """Sealed on a pool's connection, as the sealer does: details hash as JSON values."""
    pool = await database.create_pool(url, 1)
    try:
        async with pool.acquire() as connection:
            await seal_pending(connection, "bench")
    finally:
        await pool.close()


async def _writer(url: str, stop: asyncio.Event, latencies: list[float]) -> None:
    """One message, delivery and audit entry per commit, as intake writes them."""
    connection = await asyncpg.connect(url)
    try:
        while not stop.is_set():
            started = time.perf_counter()
            moment = datetime(2025, 11, 30, tzinfo=UTC)
            await _copy(connection, [moment], with_body=True)
            latencies.append(time.perf_counter() - started)
    finally:
        await connection.close()


async def _migrate_under_writes(url: str) -> dict[str, float]:
    latencies: list[float] = []
    stop = asyncio.Event()
    writer = asyncio.create_task(_writer(url, stop, latencies))
    await asyncio.sleep(2.0)  # the writer's pace before the migration
    before = list(latencies)
    connection = await asyncpg.connect(url)
    try:
        started = time.perf_counter()
        mark = len(latencies)
        await migrator.migrate(connection)
        took = time.perf_counter() - started
    finally:
        await connection.close()
    await asyncio.sleep(1.0)  # and the commits the migration held up
    stop.set()
    await writer
    during = latencies[mark - 1 :]
    return {
        "migration_seconds": took,
        "writer_commit_median_ms": statistics.median(before) * 1000,
        "writer_longest_commit_during_ms": max(during) * 1000,
    }


async def _sizes(pool: Pool) -> dict[str, dict[str, int]]:
    rows = await pool.fetch(
        "SELECT c.relname, pg_table_size(c.oid) AS table_bytes,"
        " pg_indexes_size(c.oid) AS index_bytes FROM pg_class c"
        " WHERE c.relkind = 'r' AND (c.relname IN ('messages', 'deliveries', 'audit_log',"
        " 'audit_seals', 'status_events') OR c.relname LIKE 'message_bodies%')"
        " ORDER BY c.relname"
    )
    return {r["relname"]: {"table": r["table_bytes"], "indexes": r["index_bytes"]} for r in rows}


async def _exports(pool: Pool, out: Path, key: SealKey) -> list[dict[str, Any]]:
    results = []
    month = Month(2025, 1)
    while month <= DECEMBER:
        started = time.perf_counter()
        exported = await export_month(pool, month, out, key, now=NOW, actor="bench")
        results.append({
            "month": str(month), "seconds": time.perf_counter() - started,
            "messages": exported.messages, "bundle_bytes": exported.path.stat().st_size,
        })  # fmt: skip
        month = month.next()
    return results


async def _measure(url: str, arguments: argparse.Namespace) -> dict[str, Any]:
    count: int = arguments.messages
    report: dict[str, Any] = {"messages": count, "load_before": os.getloadavg()}
    connection = await asyncpg.connect(url)
    try:
        await migrator.migrate(
            connection, tuple(m for m in migrator.packaged_migrations() if m.version < 22)
        )
        await connection.copy_records_to_table(
            "agencies",
            records=[
                (a, a, f"sys-{a}", b"x", hashlib.sha256(a.encode()).digest()) for a in AGENCIES
            ],
            columns=["organ_id", "name", "system_id", "secret_ciphertext", "secret_lookup"],
        )
        started = time.perf_counter()
        december = count // 12
        await _fill(connection, _moments(count - december, START, END), with_body=True)
        await _seal(url)
        report["generate_seconds"] = time.perf_counter() - started
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()
    report["migration"] = await _migrate_under_writes(url)
    pool = await database.create_pool(url, 4)
    try:
        created = await partitions.ensure_partitions(pool, datetime(2025, 10, 15, tzinfo=UTC))
        report["partitions_created"] = [str(m) for m in created]
        # A plain connection: COPY needs the binary jsonb codec the pool's replaces.
        plain = await asyncpg.connect(url)
        try:
            await _fill(plain, _moments(december, DECEMBER.starts_at, DECEMBER.ends_at),
                        with_body=False)  # fmt: skip
        finally:
            await plain.close()
        await _seal(url)
        report["sizes_before"] = await _sizes(pool)
        key = SealKey.generate()
        with tempfile.TemporaryDirectory(prefix="axis-bench-bundles-") as folder:
            out = Path(folder)
            report["exports"] = await _exports(pool, out, key)
            started = time.perf_counter()
            verified = bundle.verify(out / bundle.bundle_name("2025-01"))
            report["verify"] = {"month": verified.month, "bodies": verified.bodies,
                                "seconds": time.perf_counter() - started}  # fmt: skip
            report["purges"] = []
            for month in (Month(2025, 1), DECEMBER):
                started = time.perf_counter()
                purged = await purge_month(
                    pool, month, Policy(), now=NOW, actor="bench",
                    bundle_path=out / bundle.bundle_name(str(month)),
                )  # fmt: skip
                report["purges"].append({
                    "month": str(month), "seconds": time.perf_counter() - started,
                    "bodies": purged.bodies, "dropped_partition": purged.dropped_partition,
                })  # fmt: skip
        report["sizes_after"] = await _sizes(pool)
        await pool.execute("VACUUM messages")
        report["sizes_after_vacuum"] = await _sizes(pool)
    finally:
        await pool.close()
    report["load_after"] = os.getloadavg()
    return report


def _size(value: int) -> str:
    return f"{value / 1024 / 1024:,.1f} MiB"


def _describe(report: dict[str, Any]) -> str:
    migration = report["migration"]
    lines = [
        f"{report['messages']:,} messages over 2025 (generated in "
        f"{report['generate_seconds']:.0f} s); load {report['load_before'][0]:.1f} before, "
        f"{report['load_after'][0]:.1f} after",
        f"migration 0022: {migration['migration_seconds'] * 1000:.0f} ms; a concurrent writer's "
        f"longest commit during it {migration['writer_longest_commit_during_ms']:.0f} ms "
        f"(median before {migration['writer_commit_median_ms']:.1f} ms)",
        f"partitions created: {', '.join(report['partitions_created'])}",
        "export per month:",
    ]
    lines += [
        f"  {e['month']}: {e['messages']:,} messages, {_size(e['bundle_bytes'])}, "
        f"{e['seconds']:.1f} s"
        for e in report["exports"]
    ]
    verify = report["verify"]
    lines.append(
        f"verify {verify['month']}: {verify['bodies']:,} bodies in {verify['seconds']:.1f} s"
    )
    lines += [
        f"purge {p['month']}: {p['bodies']:,} bodies in {p['seconds']:.1f} s "
        f"({'dropped its partition' if p['dropped_partition'] else 'batched updates'})"
        for p in report["purges"]
    ]
    lines.append("sizes (table + indexes): before / after purge / after VACUUM")
    for name, before in report["sizes_before"].items():
        after = report["sizes_after"].get(name)
        vacuumed = report["sizes_after_vacuum"].get(name)
        lines.append(
            f"  {name}: {_size(before['table'])} + {_size(before['indexes'])} / "
            + (
                "dropped"
                if after is None
                else f"{_size(after['table'])} + {_size(after['indexes'])}"
            )
            + ("" if vacuumed is None else f" / {_size(vacuumed['table'])}")
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=1_000_000)
    run_benchmark(parser, "retention", _measure, _describe)


if __name__ == "__main__":
    main()
