"""LISTEN on one PostgreSQL channel for as long as a task runs.

Writers NOTIFY in the transaction that makes the change, so a listener hears
of it the moment it commits. The connection is held while listening; when it
drops, the listener reconnects and reports ``None`` (a notice may have been
missed), so whoever waits re-checks rather than sleeping through new work.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import asyncpg

from axis.storage import sql
from axis.storage.database import Pool

logger = logging.getLogger(__name__)

CHECK_INTERVAL = 5.0
RECONNECT_DELAY = 1.0

# Called with each notice's payload, and with None after (re)connecting.
Notice = Callable[[str | None], None]


async def listen(pool: Pool, channel: str, notice: Notice) -> None:
    """Runs until cancelled."""

    def notified(connection: object, pid: int, channel: str, payload: object) -> None:
        notice(str(payload))

    while True:
        try:
            async with pool.acquire() as connection:
                await connection.add_listener(channel, notified)
                notice(None)
                try:
                    while True:
                        await asyncio.sleep(CHECK_INTERVAL)
                        await connection.fetchval(sql.query("ping"))
                finally:
                    with contextlib.suppress(Exception):
                        await connection.remove_listener(channel, notified)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            logger.warning(
                "listener lost its connection; reconnecting",
                extra={"channel": channel, "error": f"{type(error).__name__}: {error}"},
            )
            await asyncio.sleep(RECONNECT_DELAY)
