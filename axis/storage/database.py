"""Connections to PostgreSQL, with failures turned into one clear sentence."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import TypeAlias
from urllib.parse import urlsplit

import asyncpg

from axis.errors import DatabaseUnavailable
from axis.settings import Settings
from axis.storage.embedded_database import EmbeddedDatabase

logger = logging.getLogger(__name__)

# What queries run on: a plain connection or one borrowed from a pool.
Connection: TypeAlias = (
    "asyncpg.Connection[asyncpg.Record] | asyncpg.pool.PoolConnectionProxy[asyncpg.Record]"
)
Pool: TypeAlias = "asyncpg.Pool[asyncpg.Record]"

CONNECT_TIMEOUT = 10.0


def describe(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    host = parts.hostname or "local socket"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.username or ''}@{host}{port}{parts.path}"


def _unavailable(url: str, error: BaseException) -> DatabaseUnavailable:
    reason = str(error).strip() or type(error).__name__
    return DatabaseUnavailable(f"The database at {describe(url)} cannot be reached: {reason}.")


_CONNECT_ERRORS = (OSError, asyncio.TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)


async def configure_connection(connection: Connection) -> None:
    """JSON columns arrive as Python values, not text."""
    for type_name in ("json", "jsonb"):
        await connection.set_type_codec(
            type_name, encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )


async def _keep_session(connection: Connection) -> None:
    """Returns a connection to the pool without asyncpg's reset query.

    The default reset (unlock all, CLOSE ALL, UNLISTEN *, RESET ALL) is one more
    round trip per request, ~14% of a fetch's CPU in a profile. Our code leaves no
    session state on pooled connections: advisory locks are transaction-scoped,
    settings are SET LOCAL, the one LISTEN removes its own listener, and the
    migrations' session lock uses a connection of its own. asyncpg still rolls
    back a transaction left open before calling this.
    """


async def connect(url: str) -> asyncpg.Connection[asyncpg.Record]:
    try:
        connection = await asyncpg.connect(url, timeout=CONNECT_TIMEOUT)
    except _CONNECT_ERRORS as error:
        raise _unavailable(url, error) from error
    await configure_connection(connection)
    return connection


async def create_pool(url: str, size: int) -> Pool:
    try:
        pool = await asyncpg.create_pool(
            url,
            min_size=min(2, size),
            max_size=size,
            timeout=CONNECT_TIMEOUT,
            init=configure_connection,
            reset=_keep_session,
        )
    except _CONNECT_ERRORS as error:
        raise _unavailable(url, error) from error
    assert pool is not None
    return pool


@contextlib.asynccontextmanager
async def database_url(settings: Settings) -> AsyncIterator[str]:
    """Yields the URL to use, starting (or joining) the embedded server if needed."""
    if settings.database_url is not None:
        yield settings.database_url
        return
    embedded = EmbeddedDatabase(settings.embedded_database_dir)
    try:
        yield await embedded.start()
    finally:
        await embedded.stop()
