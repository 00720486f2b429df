"""Fleet leases: one holder at a time across the fleet, for a task that must not run twice.

A lease is a session advisory lock under the task's own key, taken on a
pooled connection and held while the task works on it. A node that dies
drops its connection and the lease with it; TCP keepalives on that
connection bound how long a vanished host (no FIN, no RST) keeps it, to
about 5 + 3 x 2 seconds. The audit sealer, the retention run and the peer
directory sync each hold one (:func:`holding`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import asyncpg

from axis.errors import DatabaseUnavailable
from axis.storage import sql
from axis.storage.database import Connection, Pool

logger = logging.getLogger(__name__)

# What a task under a lease survives (and retries) when the database goes
# away: a dead socket, the server's errors, the driver's own (a backend
# killed mid-query can surface as InternalClientError), or our pool's word
# that the database is unreachable. Anything else is a bug and ends the task.
CONNECTION_LOST = (
    OSError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    DatabaseUnavailable,
)


@contextlib.asynccontextmanager
async def holding(pool: Pool, key: int) -> AsyncIterator[Connection | None]:
    """The connection holding lease ``key`` while the block runs; None if another holds it."""
    async with pool.acquire() as connection:
        if not await connection.fetchval(sql.query("fleet_try_lease"), key):
            yield None
            return
        try:
            await connection.execute(sql.query("fleet_keepalives"))
            yield connection
        finally:
            await _release(connection, key)


async def _release(connection: Connection, key: int) -> None:
    """Leaves no lease on the pooled connection, and never hides why the block ended.

    Closing the connection frees the lease with it (the pool opens
    another); an error doing so is not raised over the exception that
    ended the block, a stop's cancellation above all, which would otherwise
    be lost and the stop wait forever.
    """
    try:
        await connection.execute(sql.query("fleet_reset_keepalives"))
        await connection.fetchval(sql.query("fleet_release_lease"), key)
    except asyncio.CancelledError:
        _terminate(connection)
        raise
    except Exception as error:  # best effort: closing the connection frees the lease too
        # A connection whose backend died mid-query can fail in more ways
        # than a lost socket (asyncpg's InternalClientError, measured under load).
        logger.info("lease connection closed", extra={"error": type(error).__name__})
        _terminate(connection)


def _terminate(connection: Connection) -> None:
    with contextlib.suppress(Exception):
        connection.terminate()
