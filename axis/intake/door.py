"""Refusals at the door: a caller that proved no agency costs a counter, not a write.

Before issue #15 every unauthenticated submission wrote a ``refusals`` row
and an audit-chain entry, so anyone could make the axis do durable work
for nothing. Such a refusal is now counted (``axis_door_refusals_total`` by
code), logged at most once per code every ``LOG_EVERY_SECONDS`` with the
number seen meanwhile, and sampled into ``door_refusals``: at most
``BATCH`` of them per second, written in one statement into a fixed number
of slots overwritten in turn, so a flood can neither grow the table nor
keep the database busy. What an operator needs (who knocks, how often,
with what) is there; what an agency did stays in the audit chain.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from axis import metrics
from axis.intake.refusals import Refusal
from axis.storage import sql
from axis.storage.database import Pool
from axis.tasks import DeferredFlush
from axis.vocabulary import ReceivedVia

logger = logging.getLogger(__name__)

LOG_EVERY_SECONDS = 10.0
FLUSH_SECONDS = 1.0
BATCH = 100
_DETAIL_CHARACTERS = 200
_SOURCE_CHARACTERS = 64


@dataclass(frozen=True, slots=True)
class DoorRefusal:
    refused_at: datetime
    code: str
    received_via: str
    source: str
    detail: str


class DoorRefusals:
    def __init__(
        self,
        pool: Pool,
        *,
        flush_every: float = FLUSH_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._pool = pool
        self._clock = clock
        self._pending: list[DoorRefusal] = []
        self._unsampled = 0
        self._last_logged: dict[str, tuple[float, int]] = {}
        self._deferred = DeferredFlush(self.flush, flush_every)

    def note(self, refusal: Refusal, received_via: ReceivedVia, source: str = "") -> None:
        """Counts ``refusal``; never waits for the database."""
        metrics.record_door_refusal(refusal.code)
        self._log(refusal.code, source)
        if len(self._pending) >= BATCH:
            self._unsampled += 1
            return
        self._pending.append(
            DoorRefusal(
                datetime.now(UTC),
                refusal.code,
                str(received_via),
                source[:_SOURCE_CHARACTERS],
                refusal.detail[:_DETAIL_CHARACTERS],
            )
        )
        self._deferred.soon()

    def _log(self, code: str, source: str) -> None:
        now = self._clock()
        logged_at, seen = self._last_logged.get(code, (-LOG_EVERY_SECONDS - 1.0, 0))
        if now - logged_at < LOG_EVERY_SECONDS:
            self._last_logged[code] = (logged_at, seen + 1)
            return
        self._last_logged[code] = (now, 0)
        logger.info(
            "refused at the door",
            extra={"code": code, "source": source, "also_since_last_line": seen},
        )

    async def flush(self) -> None:
        pending, self._pending = self._pending, []
        if not pending:
            return
        try:
            await self._pool.execute(
                sql.query("door_refusals_write"),
                [item.refused_at for item in pending],
                [item.code for item in pending],
                [item.received_via for item in pending],
                [item.source for item in pending],
                [item.detail for item in pending],
            )
        except Exception:  # a sample lost is fine; the counter has them all
            logger.warning("door refusals not written", exc_info=True)

    async def close(self) -> None:
        await self._deferred.close()


async def recent(pool: Pool, limit: int = 50) -> list[DoorRefusal]:
    """The most recent door refusals kept, newest first."""
    rows = await pool.fetch(sql.query("door_refusals_recent"), limit)
    fields = ("refused_at", "code", "received_via", "source", "detail")
    return [DoorRefusal(*(row[name] for name in fields)) for row in rows]
