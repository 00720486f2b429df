"""Fleet-wide request counts per key and minute, at one statement per second per node.

A rate limit that each node kept alone would let ``n`` nodes admit ``n``
times the allowance, and one kept in PostgreSQL row by row would cost a
write per request, which is what a flood must not buy. So each node counts
in memory and, once a second, adds its counts of the current window to
``rate_windows`` in one batched upsert that answers the fleet's totals for
the same keys. A key is refused when the fleet's total as last read plus
this node's unflushed count reaches its allowance.

The price of the batching: between two flushes every node may admit up to
its share of one second's traffic past the allowance, and windows are fixed
(a burst across a boundary may see close to twice the allowance within a
minute). Both are bounded and far cheaper than a shared token bucket read
per request. When the database cannot be reached the counts of that second
are dropped and requests are admitted on local counts (fail open: the axis
stays usable; the source limit still holds per node).
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

from axis.storage import sql
from axis.storage.database import Pool
from axis.tasks import DeferredFlush

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60.0
FLUSH_SECONDS = 1.0
# Keys counted locally before a flush is forced early (memory bound under a
# flood from many addresses).
MAX_LOCAL_KEYS = 50_000
MAX_FLEET_KEYS = 200_000


class FleetCounters:
    def __init__(
        self,
        pool: Pool,
        *,
        window: float = WINDOW_SECONDS,
        flush_every: float = FLUSH_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._pool = pool
        self._window = window
        self._clock = clock
        self._window_start = self._start_of(clock())
        self._local: Counter[str] = Counter()
        self._fleet: dict[str, int] = {}
        self._deferred = DeferredFlush(self.flush, flush_every)

    def _start_of(self, now: float) -> float:
        return math.floor(now / self._window) * self._window

    def _roll(self) -> float:
        now = self._clock()
        start = self._start_of(now)
        if start != self._window_start:
            # Counts of a finished window are no use to anyone: drop them.
            self._window_start = start
            self._local.clear()
            self._fleet.clear()
        return now

    def wait_for(self, key: str, allowance: int) -> float | None:
        """Seconds until ``key`` may be admitted again, or None if it may be now."""
        now = self._roll()
        if self._fleet.get(key, 0) + self._local[key] < allowance:
            return None
        return max(self._window_start + self._window - now, 1.0)

    def count(self, key: str) -> None:
        """One more request of ``key`` in this window, flushed within a second."""
        self._roll()
        if key not in self._local and len(self._local) >= MAX_LOCAL_KEYS:
            # A flood from more addresses than this in one second is not
            # stopped per address anyway; memory stays bounded.
            return
        self._local[key] += 1
        self._deferred.soon()

    def admit(self, key: str, allowance: int) -> float | None:
        """Counts the request and answers None, or the seconds to wait when over."""
        wait = self.wait_for(key, allowance)
        if wait is None:
            self.count(key)
        return wait

    async def flush(self) -> None:
        """Adds the local counts to the fleet's and reads the fleet's totals back."""
        if not self._local:
            return
        start, counts = self._window_start, self._local
        self._local = Counter()
        first_of_window = not self._fleet
        # Until the fleet's totals come back, this node's own counts stand in
        # for them: nothing is admitted twice while the statement runs.
        for key, count in counts.items():
            self._fleet[key] = self._fleet.get(key, 0) + count
        window_start = datetime.fromtimestamp(start, UTC)
        try:
            async with self._pool.acquire() as connection:
                rows = await connection.fetch(
                    sql.query("rate_windows_add"),
                    window_start,
                    list(counts),
                    list(counts.values()),
                )
                if first_of_window:
                    # First flush of a window: the finished ones can go.
                    await connection.execute(sql.query("rate_windows_prune"), window_start)
        except Exception as error:  # fail open, see the module's note
            logger.warning("rate counts not shared", extra={"error": repr(error)})
            return
        if start == self._window_start:
            if len(self._fleet) > MAX_FLEET_KEYS:
                self._fleet.clear()
            self._fleet.update({row["key"]: int(row["count"]) for row in rows})

    async def close(self) -> None:
        await self._deferred.close()
