"""Whether this process can do real work: database reachable, schema current."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from axis.errors import MigrationError
from axis.storage import migrator
from axis.storage.database import Pool


@dataclass(frozen=True, slots=True)
class Readiness:
    ready: bool
    reason: str


async def check(pool: Pool) -> Readiness:
    try:
        async with pool.acquire() as connection:
            pending = await migrator.pending_migrations(connection)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        return Readiness(False, f"the database cannot be reached: {error}")
    except MigrationError as error:
        return Readiness(False, error.message)
    if pending:
        names = ", ".join(migration.file_name for migration in pending)
        return Readiness(False, f"migrations not yet applied: {names}")
    return Readiness(True, "database reachable, migrations current")
