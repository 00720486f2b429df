"""The test harness: one PostgreSQL per test session, a fresh database per test.

The server is the embedded one (``pgserver``) unless ``AXIS_TEST_DATABASE_URL``
names another. A template database is migrated once; each test that asks for
``database_url`` gets its own database cloned from it, which takes a few
milliseconds and leaves nothing behind.
"""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from axis.storage import database, migrator
from axis.storage.database import Pool
from signing.seal import SealKey
from tests.support.databases import TEMPLATE_DATABASE, with_database
from tests.support.runtimes import RuntimeFactory, runtime_factory

REPOSITORY_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of the PostgreSQL server for this test session (its ``postgres`` database)."""
    external = os.environ.get("AXIS_TEST_DATABASE_URL")
    if external:
        yield external
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

        # A short path: PostgreSQL's socket path must stay under ~100 bytes.
        directory = Path("/tmp") / f"axis-test-pg-{os.getpid()}"
        server: Any = pgserver.get_server(directory, cleanup_mode="delete")
    try:
        yield str(server.get_uri())
    finally:
        server.cleanup()


@pytest.fixture(scope="session")
async def template_database(server_url: str) -> str:
    connection = await asyncpg.connect(server_url)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE_DATABASE}"')
        await connection.execute(f'CREATE DATABASE "{TEMPLATE_DATABASE}"')
    finally:
        await connection.close()
    template = await asyncpg.connect(with_database(server_url, TEMPLATE_DATABASE))
    try:
        await migrator.migrate(template)
    finally:
        await template.close()
    return TEMPLATE_DATABASE


async def _create_database(server_url: str, template: str | None) -> str:
    name = f"axis_test_{uuid.uuid4().hex[:12]}"
    connection = await asyncpg.connect(server_url)
    try:
        if template is None:
            await connection.execute(f'CREATE DATABASE "{name}"')
        else:
            await connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        await connection.close()
    return name


async def _drop_database(server_url: str, name: str) -> None:
    connection = await asyncpg.connect(server_url)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


@pytest.fixture
async def database_url(server_url: str, template_database: str) -> AsyncIterator[str]:
    """A freshly migrated database of this test's own."""
    name = await _create_database(server_url, template_database)
    try:
        yield with_database(server_url, name)
    finally:
        await _drop_database(server_url, name)


@pytest.fixture
async def empty_database_url(server_url: str) -> AsyncIterator[str]:
    """A database with no schema at all, for migration tests."""
    name = await _create_database(server_url, None)
    try:
        yield with_database(server_url, name)
    finally:
        await _drop_database(server_url, name)


@pytest.fixture
async def connection(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(database_url)
    try:
        yield conn
    finally:
        await conn.close()


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[Pool]:
    """A pool on the test's own database (a test module may define its own)."""
    created = await database.create_pool(database_url, 8)
    try:
        yield created
    finally:
        await created.close()


@pytest.fixture
def make_runtime(pool: Pool) -> RuntimeFactory:
    """Runtimes on ``pool`` with the short test settings, each overridable."""
    return runtime_factory(pool)


@pytest.fixture
def seal_key(tmp_path: Path) -> SealKey:
    """The axis's sealing key for a test, written to ``tmp_path / "seal.key"``."""
    key = SealKey.generate()
    (tmp_path / "seal.key").write_bytes(key.private_pem())
    return key
