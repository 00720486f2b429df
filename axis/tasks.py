"""Background tasks of one process: stopping one, and a flush deferred to batch writes.

Several rooms run a loop in a task (the sealer, the statistics refresher, the
inbox listener) or collect in memory and write once a second (door refusals,
rate counts); these are the two pieces they share.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable


async def cancel_and_wait(task: asyncio.Task[None] | None) -> None:
    """Cancels ``task`` (if any) and waits until it has stopped."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


class DeferredFlush:
    """Runs ``flush`` once, ``delay`` seconds after the first :meth:`soon` since the last run.

    What arrives meanwhile is written by that one run: one statement per
    interval whatever the traffic. :meth:`close` cancels the wait and flushes
    what is left at once.
    """

    def __init__(self, flush: Callable[[], Awaitable[None]], delay: float) -> None:
        self._flush = flush
        self._delay = delay
        self._waiting: asyncio.Task[None] | None = None
        self._closed = False

    def soon(self) -> None:
        if self._waiting is None and not self._closed:
            self._waiting = asyncio.get_running_loop().create_task(self._later())

    async def _later(self) -> None:
        try:
            await asyncio.sleep(self._delay)
        finally:
            self._waiting = None
        await self._flush()

    async def close(self) -> None:
        self._closed = True
        waiting, self._waiting = self._waiting, None
        if waiting is not None:
            waiting.cancel()
        await self._flush()
