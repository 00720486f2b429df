"""Connections to PostgreSQL, with failures turned into one clear sentence."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import TypeAlias
from urllib.parse import parse_qs, urlsplit

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


class DatabaseAway(DatabaseUnavailable):
    """The database cannot be reached right now; try again shortly."""

    # Distinct from the generic refusal code: clients retry on this one.
    code = "database.unavailable"


def describe(url: str) -> str:
    """The URL without its password, for messages and logs.

    Reads the host list itself: ``urlsplit(url).port`` raises on the libpq
    multi-host form (``h1:5432,h2:5432``), the form a failover cluster uses.
    """
    parts = urlsplit(url)
    userinfo, _, hostlist = parts.netloc.rpartition("@")
    user = userinfo.partition(":")[0]
    hosts = [host for host in hostlist.split(",") if host]
    hosts += [host for value in parse_qs(parts.query).get("host", []) for host in value.split(",")]
    where = ",".join(hosts) or "local socket"
    return f"{parts.scheme}://{user}@{where}{parts.path}"


def _unavailable(url: str, error: BaseException) -> DatabaseAway:
    reason = str(error).strip() or type(error).__name__
    return DatabaseAway(f"The database at {describe(url)} cannot be reached: {reason}.")


_CONNECT_ERRORS = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.TargetServerAttributeNotMatched,
)

# What a query or a connection attempt raises while the database is away:
# refused or reset connections, a server shutting down or starting up
# (57P01-57P03), a connection that died under the query, no host of a
# multi-host URL accepting writes yet, or a standby reached before promotion.
_AWAY_ERRORS = (
    OSError,
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.ReadOnlySQLTransactionError,
    # Includes TargetServerAttributeNotMatched, and the "cannot switch to
    # state" protocol error asyncpg raises on a connection cut mid-query.
    asyncpg.exceptions.InternalClientError,
)


def away(error: BaseException) -> DatabaseAway | None:
    """``error`` as :class:`DatabaseAway` if it means the database is away, else None.

    Follows the chain of causes: asyncpg reports a connection cut under a
    transaction as an ``InterfaceError`` raised while handling the real one.
    """
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, DatabaseAway):
            return cause
        if isinstance(cause, DatabaseUnavailable):
            return DatabaseAway(cause.message)
        if isinstance(cause, _AWAY_ERRORS):
            reason = str(cause).strip() or type(cause).__name__
            return DatabaseAway(f"The database cannot be reached: {reason}.")
        context = None if cause.__suppress_context__ else cause.__context__
        cause = cause.__cause__ or context
    return None


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


class _AwayInOneLine(logging.Filter):
    """asyncpg's pool logs a traceback each time it fails to reconnect; while the
    database is away that is expected, so it becomes one line with the reason."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is not None and away(error) is not None:
            record.msg = f"{record.getMessage()} (the database is away: {error})"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True


logging.getLogger("asyncpg.pool").addFilter(_AwayInOneLine())

# Waits between attempts while the database is away at start: quick at first
# (a restart takes about a second), then no more often than every 10 s.
FIRST_RETRY = 0.5
LONGEST_RETRY = 10.0


async def connect_patiently(url: str) -> asyncpg.Connection[asyncpg.Record]:
    """Connects, waiting as long as it takes while the database is away.

    Says so once, with the reason, then retries quietly with backoff; a node
    started before its database (or during a failover) comes up when it does.
    """
    started = time.monotonic()
    delay = FIRST_RETRY
    waiting = False
    while True:
        try:
            connection = await connect(url)
        except DatabaseUnavailable as error:
            # A wrong password or database name will not mend by waiting.
            if away(error.__cause__ or error) is None or error.__cause__ is None:
                raise
            if not waiting:
                logger.warning(
                    "waiting for the database: %s Retrying with backoff (up to every %.0f s).",
                    error.message,
                    LONGEST_RETRY,
                    extra={"database": describe(url)},
                )
                waiting = True
            await asyncio.sleep(delay)
            delay = min(delay * 2, LONGEST_RETRY)
            continue
        if waiting:
            logger.info(
                "the database is reachable after %.1f s",
                time.monotonic() - started,
                extra={"database": describe(url)},
            )
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
