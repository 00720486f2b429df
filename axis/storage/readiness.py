"""Whether this process can do real work: database reachable, schema current."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from axis.errors import MigrationError
from axis.storage import database, migrator
from axis.storage.database import Pool


@dataclass(frozen=True, slots=True)
class Readiness:
    ready: bool
    reason: str
    # Set when the database is away: the code a load balancer or operator
    # can match, the same as the 503 problems the API answers meanwhile.
    code: str | None = None


async def check(pool: Pool) -> Readiness:
    try:
        async with pool.acquire() as connection:
            pending = await migrator.pending_migrations(connection)
    except MigrationError as error:
        return Readiness(False, error.message)
    except (
        OSError,
        asyncpg.PostgresError,
        asyncpg.InterfaceError,
        asyncpg.exceptions.TargetServerAttributeNotMatched,
    ) as error:
        away = database.away(error)
        code = None if away is None else away.code
        return Readiness(False, f"the database cannot be reached: {error}", code)
    if pending:
        names = ", ".join(migration.file_name for migration in pending)
        return Readiness(False, f"migrations not yet applied: {names}")
    return Readiness(True, "database reachable, migrations current")
