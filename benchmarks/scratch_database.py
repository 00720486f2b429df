"""A database for one benchmark run, and the arguments every database benchmark takes.

``--database-url`` runs against a database you give (migrated as needed);
without it, an embedded PostgreSQL starts in a temporary folder under /tmp
(outside pytest's private folders, which the embedded server's user cannot
enter) and a freshly created database on it is used, then all is removed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import asyncpg

from axis.settings import Settings
from axis.storage import database
from tests.support.databases import with_database

Report = TypeVar("Report")


def run_benchmark(
    parser: argparse.ArgumentParser,
    name: str,
    measure: Callable[[str, argparse.Namespace], Awaitable[Report]],
    describe: Callable[[Report], str],
) -> None:
    """Adds the database options, measures on a scratch database, prints text or JSON."""
    parser.add_argument("--database-url", help="an existing database instead of an embedded one")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    arguments = parser.parse_args()

    async def measured() -> Report:
        async with scratch_database(arguments.database_url, name) as url:
            return await measure(url, arguments)

    report = asyncio.run(measured())
    print(json.dumps(report, ensure_ascii=False) if arguments.json else describe(report))


@contextlib.asynccontextmanager
async def scratch_database(database_url: str | None, name: str) -> AsyncIterator[str]:
    """Yields ``database_url`` itself, or the URL of a new database called ``name_<random>``."""
    if database_url:
        yield database_url
        return
    folder = Path(tempfile.mkdtemp(prefix=f"axis-bench-{name}-", dir="/tmp"))
    try:
        async with database.database_url(Settings(data_dir=folder)) as server_url:
            created = f"{name}_bench_{uuid.uuid4().hex[:8]}"
            # An identifier cannot be a query parameter; this one is ours, and checked.
            assert re.fullmatch(r"[a-z0-9_]+", created), created
            admin = await asyncpg.connect(server_url)
            try:
                await admin.execute('CREATE DATABASE "' + created + '"')
            finally:
                await admin.close()
            yield with_database(server_url, created)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
