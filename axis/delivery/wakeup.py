"""Wakes the push worker on ``NOTIFY axis_deliveries``.

The intake notifies in the transaction that stores a message, so a worker
hears about new work the moment it commits; polling is only the fallback.
The LISTEN connection is held for as long as the worker runs; when it drops
the listener reconnects, and wakes the worker in case a notice was missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import asyncpg

from axis import sql
from axis.database import Pool

logger = logging.getLogger(__name__)

CHANNEL = "axis_deliveries"
CHECK_INTERVAL = 5.0
RECONNECT_DELAY = 1.0


async def listen(pool: Pool, wake: Callable[[], None]) -> None:
    """Runs until cancelled."""

    def notified(connection: object, pid: int, channel: str, payload: object) -> None:
        wake()

    while True:
        try:
            async with pool.acquire() as connection:
                await connection.add_listener(CHANNEL, notified)
                wake()
                try:
                    while True:
                        await asyncio.sleep(CHECK_INTERVAL)
                        await connection.fetchval(sql.query("ping"))
                finally:
                    with contextlib.suppress(Exception):
                        await connection.remove_listener(CHANNEL, notified)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            logger.warning(
                "delivery listener lost its connection; reconnecting",
                extra={"error": f"{type(error).__name__}: {error}"},
            )
            await asyncio.sleep(RECONNECT_DELAY)
