"""Keeps ``delivery_facts`` up to date: the materialised side of the statistics.

What is materialised: one row per edoc delivery with everything the
statistics and the overdue lists need (sender, recipient, local day sent,
delivery time, DueDate and receipt deadlines, the first status reaching each
stage, seconds to each stage, and the earliest deadline still open). The
pages then read one narrow table with indexes shaped for them, instead of
joining messages, deliveries and status_events on every request.

How it stays fresh: a refresher task in every server process wakes every
``AXIS_STATS_REFRESH_SECONDS`` (default 60) and, if no other process is
refreshing (an advisory lock), recomputes in one transaction the facts of
the deliveries that may have changed: those above the last ids it saw in
``deliveries`` and ``status_events``, and those not delivered yet (their
delivery time and transport state change in place). Figures are therefore
at most about one interval old; every answer carries ``refreshed_at``.
Intake is untouched: no trigger, no extra write on the hot path.

Why re-read a window: ids are taken when a row is inserted, but rows become
visible when their transaction commits, so a refresh can see id 101 before
id 100. Each refresh therefore starts from the ids it had seen at a mark at
least :func:`rescan_seconds` old (five minutes, or three intervals), which
is correct for every transaction shorter than that window minus one
interval; re-reading a row is harmless (unchanged rows are not rewritten).

Configuration changes (holidays, the working days allowed for the first
status) change the calendar key, and the next refresh rebuilds the calendar
and recomputes every row; so does a new :data:`FACTS_VERSION` (bumped when
the way facts are computed changes).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from axis.settings import Settings
from axis.storage import sql
from axis.storage.database import Pool
from axis.tasks import cancel_and_wait
from axis.working_days import WorkingCalendar

logger = logging.getLogger(__name__)

RESCAN_SECONDS = 300.0
FACTS_VERSION = 1


def rescan_seconds(interval: float) -> float:
    return max(RESCAN_SECONDS, 3 * interval)


@dataclass(frozen=True, slots=True)
class RefreshResult:
    facts_written: int
    calendar_rebuilt: bool
    deliveries_from: int
    statuses_from: int
    seconds: float


async def refresh(
    pool: Pool,
    calendar: WorkingCalendar,
    receipt_days: int,
    *,
    rescan: float = RESCAN_SECONDS,
    wait: bool = True,
) -> RefreshResult | None:
    """One refresh; ``None`` when ``wait`` is false and another process is refreshing."""
    started = time.perf_counter()
    async with pool.acquire() as connection, connection.transaction():
        if wait:
            await connection.execute(sql.query("stats_lock"))
        elif not await connection.fetchval(sql.query("stats_try_lock")):
            return None
        state = await connection.fetchrow(sql.query("stats_state"))
        assert state is not None
        key = f"{FACTS_VERSION}:{calendar.key(receipt_days)}"
        rebuild = state["calendar_key"] != key
        if rebuild:
            await connection.execute(sql.query("stats_clear_calendar"))
            await connection.execute(sql.query("stats_fill_calendar"), *calendar.rows())
            deliveries_from, statuses_from = 0, 0
        else:
            low = await connection.fetchrow(sql.query("stats_low_mark"), rescan)
            deliveries_from = 0 if low is None else int(low["deliveries_max"])
            statuses_from = 0 if low is None else int(low["statuses_max"])
        current = await connection.fetchrow(sql.query("stats_current_max"))
        assert current is not None
        outcome = await connection.execute(
            sql.query("stats_refresh_facts"), deliveries_from, statuses_from, receipt_days
        )
        await connection.execute(
            sql.query("stats_insert_mark"), current["deliveries_max"], current["statuses_max"]
        )
        await connection.execute(sql.query("stats_prune_marks"), rescan)
        await connection.execute(sql.query("stats_set_state"), key)
    result = RefreshResult(
        facts_written=int(outcome.split()[-1]),
        calendar_rebuilt=rebuild,
        deliveries_from=deliveries_from,
        statuses_from=statuses_from,
        seconds=time.perf_counter() - started,
    )
    logger.info(
        "statistics refreshed",
        extra={
            "facts_written": result.facts_written,
            "calendar_rebuilt": rebuild,
            "seconds": round(result.seconds, 3),
        },
    )
    return result


async def refresh_with(
    pool: Pool, settings: Settings, *, wait: bool = True
) -> RefreshResult | None:
    """A refresh with the configured holidays, receipt deadline and rescan window."""
    return await refresh(
        pool,
        WorkingCalendar(settings.public_holidays),
        settings.receipt_deadline_working_days,
        rescan=rescan_seconds(settings.stats_refresh_seconds),
        wait=wait,
    )


class StatsRefresher:
    """The background refresh loop of one server process.

    The first refresh waits one interval, so starting a server (or a test
    server) costs nothing; the facts persist in the database across restarts.
    """

    def __init__(self, pool: Pool, settings: Settings) -> None:
        self._pool = pool
        self._settings = settings
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="stats-refresher")

    async def stop(self) -> None:
        task, self._task = self._task, None
        await cancel_and_wait(task)

    async def _run(self) -> None:
        interval = self._settings.stats_refresh_seconds
        while True:
            await asyncio.sleep(interval)
            try:
                await refresh_with(self._pool, self._settings, wait=False)
            except Exception:
                # A failed refresh leaves the previous facts in place; the next one retries.
                logger.exception("statistics refresh failed")
