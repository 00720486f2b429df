"""Applies the numbered SQL files in ``migrations/``, each once.

Each migration runs in its own transaction and is recorded with the SHA-256
of its text. All of it happens under a PostgreSQL advisory lock, so several
processes starting at the same moment migrate once: the first applies, the
others wait, then find nothing left to do.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
from dataclasses import dataclass
from importlib import resources

import asyncpg

from axis.errors import MigrationError
from axis.storage import sql
from axis.storage.database import Connection

logger = logging.getLogger(__name__)

_FILE_NAME = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql$")
# Any constant works; it only has to be the same in every axis process.
_ADVISORY_LOCK_KEY = 0x61786973_6D696772  # "axismigr"


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    text: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()

    @property
    def file_name(self) -> str:
        return f"{self.version:04d}_{self.name}.sql"


@dataclass(frozen=True, slots=True)
class AppliedMigration:
    version: int
    name: str
    checksum: str


@functools.cache
def packaged_migrations() -> tuple[Migration, ...]:
    """The migrations shipped in the ``migrations`` package, in order."""
    found: list[Migration] = []
    for entry in resources.files("migrations").iterdir():
        match = _FILE_NAME.match(entry.name)
        if match is None:
            continue
        found.append(
            Migration(int(match["version"]), match["name"], entry.read_text(encoding="utf-8"))
        )
    found.sort(key=lambda migration: migration.version)
    versions = [migration.version for migration in found]
    if len(set(versions)) != len(versions):
        raise MigrationError("Two migration files share one version number.")
    return tuple(found)


async def applied_migrations(connection: Connection) -> dict[int, AppliedMigration]:
    exists = await connection.fetchval(sql.query("migration_table_exists"))
    if not exists:
        return {}
    rows = await connection.fetch(sql.query("applied_migrations"))
    return {
        row["version"]: AppliedMigration(row["version"], row["name"], row["checksum"])
        for row in rows
    }


def _check_history(
    migrations: tuple[Migration, ...], applied: dict[int, AppliedMigration]
) -> list[Migration]:
    """Returns the pending migrations, refusing a history this code cannot trust."""
    known = {migration.version: migration for migration in migrations}
    for version, record in sorted(applied.items()):
        migration = known.get(version)
        if migration is None:
            raise MigrationError(
                f"The database has migration {version:04d}_{record.name}, which this axis "
                "does not know: the database is newer than the code."
            )
        if migration.checksum != record.checksum:
            raise MigrationError(
                f"Migration {migration.file_name} was changed after it was applied "
                f"(recorded checksum {record.checksum[:12]}, file {migration.checksum[:12]}); "
                "write a new migration instead of editing an applied one."
            )
    return [migration for migration in migrations if migration.version not in applied]


async def pending_migrations(
    connection: Connection, migrations: tuple[Migration, ...] | None = None
) -> list[Migration]:
    migrations = packaged_migrations() if migrations is None else migrations
    return _check_history(migrations, await applied_migrations(connection))


async def migrate(
    connection: Connection, migrations: tuple[Migration, ...] | None = None
) -> list[Migration]:
    """Applies every pending migration; returns those it applied."""
    migrations = packaged_migrations() if migrations is None else migrations
    await connection.execute(sql.query("lock_migrations"), _ADVISORY_LOCK_KEY)
    try:
        await connection.execute(sql.query("create_migration_table"))
        pending = _check_history(migrations, await applied_migrations(connection))
        for migration in pending:
            logger.info(
                "applying migration",
                extra={"migration": migration.file_name, "version": migration.version},
            )
            async with connection.transaction():
                try:
                    await connection.execute(migration.text)
                except asyncpg.PostgresError as error:
                    raise MigrationError(
                        f"Migration {migration.file_name} failed: {error}."
                    ) from error
                await connection.execute(
                    sql.query("record_migration"),
                    migration.version,
                    migration.name,
                    migration.checksum,
                )
        return pending
    finally:
        await connection.execute(sql.query("unlock_migrations"), _ADVISORY_LOCK_KEY)
