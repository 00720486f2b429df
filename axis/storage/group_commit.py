"""Group commit: many callers' writes in one transaction.

Callers :meth:`~GroupCommitter.submit` an item and await its own result.
One task drains whatever is waiting (up to ``batch_size``), writes it in one
transaction with ``write_batch`` and resolves each caller. When idle, an
item is written at once: batching only happens under load, so latency stays
low. If the batch transaction fails, every item is retried alone, so one bad
item fails only its own caller.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from axis import metrics
from axis.storage.database import Connection, Pool

logger = logging.getLogger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")

BatchWriter = Callable[[Connection, Sequence[Item]], Awaitable[Sequence[Result]]]
# (rank, arrival, item, its caller's future): ordered by rank, then arrival.
_Waiting = tuple[int, int, Item, "asyncio.Future[Result]"]


class GroupCommitter(Generic[Item, Result]):
    def __init__(
        self,
        pool: Pool,
        write_batch: BatchWriter[Item, Result],
        *,
        batch_size: int = 100,
        writers: int = 2,
        name: str = "intake",
        urgency: Callable[[Item], int] | None = None,
    ) -> None:
        self._name = name
        self._pool = pool
        self._write_batch = write_batch
        self._batch_size = batch_size
        # Under a backlog the most urgent items go into the next batch first;
        # the sequence number keeps arrival order within one urgency.
        self._urgency = urgency
        self._sequence = itertools.count()
        self._queue: asyncio.PriorityQueue[_Waiting[Item, Result]] = asyncio.PriorityQueue()
        self._writers_wanted = writers
        self._writers: list[asyncio.Task[None]] = []
        self._closed = False

    async def submit(self, item: Item) -> Result:
        if self._closed:
            raise RuntimeError("the group committer is closed")
        if not self._writers:
            # Started lazily: the running loop exists only once a request arrives.
            self._writers = [
                asyncio.create_task(self._run(), name=f"group-commit-{index}")
                for index in range(self._writers_wanted)
            ]
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        rank = -self._urgency(item) if self._urgency is not None else 0
        await self._queue.put((rank, next(self._sequence), item, future))
        return await future

    def backlog(self) -> int:
        """Items submitted and not yet taken into a batch."""
        return self._queue.qsize()

    async def close(self, drain_timeout: float = 10.0) -> None:
        """Stops taking items; what was already submitted is written first (bounded)."""
        self._closed = True
        if self._writers:
            try:
                await asyncio.wait_for(self._queue.join(), drain_timeout)
            except TimeoutError:
                logger.warning("group commit: %d items not written at close", self._queue.qsize())
        for task in self._writers:
            task.cancel()
        for task in self._writers:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._writers = []
        while not self._queue.empty():
            *_, future = self._queue.get_nowait()
            if not future.done():
                future.set_exception(RuntimeError("the axis is shutting down"))

    async def _run(self) -> None:
        while True:
            _, _, item, future = await self._queue.get()
            batch = [(item, future)]
            while len(batch) < self._batch_size and not self._queue.empty():
                _, _, item, future = self._queue.get_nowait()
                batch.append((item, future))
            try:
                await self._write(batch)
            except asyncio.CancelledError:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(RuntimeError("the axis is shutting down"))
                raise
            finally:
                for _ in batch:
                    self._queue.task_done()

    async def _write(self, batch: list[tuple[Item, asyncio.Future[Result]]]) -> None:
        metrics.observe_group_commit(self._name, len(batch))
        items = [item for item, _ in batch]
        try:
            async with self._pool.acquire() as connection, connection.transaction():
                results = await self._write_batch(connection, items)
        except Exception as error:
            if len(batch) == 1:
                _settle(batch[0][1], error=error)
                return
            logger.info("batch of %d failed (%s); writing items alone", len(batch), error)
            for item, future in batch:
                try:
                    async with self._pool.acquire() as connection, connection.transaction():
                        (result,) = await self._write_batch(connection, [item])
                except Exception as item_error:
                    _settle(future, error=item_error)
                else:
                    _settle(future, result=result)
            return
        for (_, future), result in zip(batch, results, strict=True):
            _settle(future, result=result)


def _settle(
    future: asyncio.Future[Result],
    *,
    result: Result | None = None,
    error: BaseException | None = None,
) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)  # type: ignore[arg-type]
