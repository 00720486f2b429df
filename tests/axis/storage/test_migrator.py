from __future__ import annotations

import asyncio

import asyncpg
import pytest

from axis.errors import MigrationError
from axis.storage import migrator
from axis.storage.migrator import Migration


async def _tables(connection: asyncpg.Connection) -> set[str]:
    rows = await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return {row["tablename"] for row in rows}


async def test_fresh_database_gets_every_packaged_migration(empty_database_url: str) -> None:
    connection = await asyncpg.connect(empty_database_url)
    try:
        applied = await migrator.migrate(connection)
        assert [m.version for m in applied] == [m.version for m in migrator.packaged_migrations()]
        assert {"axis_schema_migrations", "axis_instance"} <= await _tables(connection)
        recorded = await migrator.applied_migrations(connection)
        for migration in applied:
            assert recorded[migration.version].checksum == migration.checksum
        assert await migrator.pending_migrations(connection) == []
    finally:
        await connection.close()


async def test_second_run_applies_nothing(empty_database_url: str) -> None:
    connection = await asyncpg.connect(empty_database_url)
    try:
        first = await migrator.migrate(connection)
        assert first
        assert await migrator.migrate(connection) == []
    finally:
        await connection.close()


async def test_edited_migration_is_refused(empty_database_url: str) -> None:
    original = (Migration(1, "things", "CREATE TABLE things (id int)"),)
    edited = (Migration(1, "things", "CREATE TABLE things (id bigint)"),)
    connection = await asyncpg.connect(empty_database_url)
    try:
        await migrator.migrate(connection, original)
        with pytest.raises(MigrationError, match=r"0001_things\.sql was changed"):
            await migrator.migrate(connection, edited)
        with pytest.raises(MigrationError, match="was changed"):
            await migrator.pending_migrations(connection, edited)
    finally:
        await connection.close()


async def test_unknown_applied_migration_means_the_database_is_newer(
    empty_database_url: str,
) -> None:
    newer = (Migration(1, "a", "SELECT 1"), Migration(2, "b", "SELECT 2"))
    connection = await asyncpg.connect(empty_database_url)
    try:
        await migrator.migrate(connection, newer)
        with pytest.raises(MigrationError, match="newer than the code"):
            await migrator.migrate(connection, newer[:1])
    finally:
        await connection.close()


async def test_failed_migration_rolls_back_alone(empty_database_url: str) -> None:
    migrations = (
        Migration(1, "good", "CREATE TABLE good (id int)"),
        Migration(2, "bad", "CREATE TABLE half (id int); SELECT * FROM missing_table"),
    )
    connection = await asyncpg.connect(empty_database_url)
    try:
        with pytest.raises(MigrationError, match=r"0002_bad\.sql failed"):
            await migrator.migrate(connection, migrations)
        tables = await _tables(connection)
        assert "good" in tables
        assert "half" not in tables
        assert set(await migrator.applied_migrations(connection)) == {1}
    finally:
        await connection.close()


async def test_concurrent_starts_migrate_once(empty_database_url: str) -> None:
    # A slow migration that would fail if it ran twice (CREATE TABLE without
    # IF NOT EXISTS), started from eight connections at the same moment.
    migrations = (Migration(1, "slow", "SELECT pg_sleep(0.3); CREATE TABLE once_only (id int)"),)
    connections = [await asyncpg.connect(empty_database_url) for _ in range(8)]
    try:
        results = await asyncio.gather(*(migrator.migrate(c, migrations) for c in connections))
        assert sorted(len(applied) for applied in results) == [0] * 7 + [1]
        count = await connections[0].fetchval("SELECT count(*) FROM axis_schema_migrations")
        assert count == 1
    finally:
        for connection in connections:
            await connection.close()


def test_packaged_migrations_are_numbered_in_order() -> None:
    versions = [migration.version for migration in migrator.packaged_migrations()]
    assert versions[0] == 1
    assert versions == sorted(set(versions))
