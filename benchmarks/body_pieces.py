"""Bodies in PostgreSQL: bytea pieces of several sizes against large objects (issue #17).

Run: ``python -m benchmarks.body_pieces [--mb 100]``.

A fresh embedded database; one body of ``--mb`` random megabytes written in one
transaction and read back, three times each way, best time kept: as rows of
``message_bodies``-shaped pieces by COPY (256 KiB, 1 MiB, 4 MiB, 16 MiB) and
read one query per piece, and as a large object written ``lo_put`` by 1 MiB
and read ``lo_get`` by 1 MiB. The piece size is what the axis and a backend
hold at a time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import tempfile
import time
from pathlib import Path

from axis.settings import Settings
from axis.storage import database

MB = 1_000_000
KIB = 1024


async def _pieces(connection: database.Connection, body: bytes, size: int) -> tuple[float, float]:
    await connection.execute("TRUNCATE bench_bodies")
    started = time.perf_counter()
    async with connection.transaction():
        await connection.copy_records_to_table(
            "bench_bodies",
            records=[("m", part, body[at : at + size])
                     for part, at in enumerate(range(0, len(body), size))],
        )  # fmt: skip
    written = time.perf_counter() - started
    started = time.perf_counter()
    part, total = 0, 0
    while total < len(body):
        piece = await connection.fetchval(
            "SELECT content FROM bench_bodies WHERE message_id = 'm' AND part = $1", part
        )
        total += len(piece)
        part += 1
    return written, time.perf_counter() - started


async def _large_object(connection: database.Connection, body: bytes) -> tuple[float, float]:
    started = time.perf_counter()
    async with connection.transaction():
        oid = await connection.fetchval("SELECT lo_create(0)")
        for at in range(0, len(body), 1024 * KIB):
            await connection.execute(
                "SELECT lo_put($1, $2, $3)", oid, at, body[at : at + 1024 * KIB]
            )
    written = time.perf_counter() - started
    started = time.perf_counter()
    for at in range(0, len(body), 1024 * KIB):
        await connection.fetchval("SELECT lo_get($1, $2, $3)", oid, at, 1024 * KIB)
    read = time.perf_counter() - started
    await connection.execute("SELECT lo_unlink($1)", oid)
    return written, read


async def _run(megabytes: int, folder: Path) -> None:
    body = os.urandom(megabytes * MB)
    async with database.database_url(Settings(data_dir=folder / "data")) as url:
        connection = await database.connect(url)
        await connection.execute(
            "CREATE TABLE bench_bodies (message_id text, part int, content bytea,"
            " PRIMARY KEY (message_id, part));"
            "ALTER TABLE bench_bodies ALTER COLUMN content SET STORAGE EXTERNAL"
        )
        print(f"load {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; {megabytes} MB body")
        print("| road | write s | read s |\n|---|---|---|")
        for size in (256 * KIB, 1024 * KIB, 4096 * KIB, 16384 * KIB):
            runs = [await _pieces(connection, body, size) for _ in range(3)]
            write, read = min(w for w, _ in runs), min(r for _, r in runs)
            print(f"| bytea pieces of {size // KIB} KiB | {write:.2f} | {read:.2f} |")
        runs = [await _large_object(connection, body) for _ in range(3)]
        write, read = min(w for w, _ in runs), min(r for _, r in runs)
        print(f"| large object, 1 MiB lo_put/lo_get | {write:.2f} | {read:.2f} |")
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=100)
    folder = Path(tempfile.mkdtemp(prefix="axis-pieces-", dir="/tmp"))
    try:
        asyncio.run(_run(parser.parse_args().mb, folder))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
