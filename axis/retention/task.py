"""The daily retention run, one node at a time across the fleet.

The lease is a fleet lease (:mod:`axis.fleet.leases`), as the audit
sealer's: a session advisory lock on a connection of the node's own, under
a key of the retention task's; a node that dies drops its connection and
with it the lease. Every node tries every :data:`CHECK_SECONDS`; the one holding
the lease runs when the last run (``retention_state.last_run_at``, on the
database, so a takeover does not run twice) is a day old.

A run makes the body partitions of the coming months, then, for each
month that is over and still holds bodies, oldest first: when every body
of the month that is settled and not held is due, it exports the month's
bundle to ``AXIS_ARCHIVE_DIR``, verifies it and purges with it (one bundle
per month, not one a day). Without an archive folder nothing is purged:
the run only works out the figures. It records the bytes held and the
next purge for ``/metrics`` and the dashboard.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from axis.errors import AxisError
from axis.fleet import leases
from axis.retention import partitions
from axis.retention.export import export_month
from axis.retention.months import Month
from axis.retention.policy import Policy
from axis.retention.purge import Plan, Purged, plan_month, purge_month
from axis.storage import sql
from axis.storage.database import Connection, Pool
from axis.tasks import cancel_and_wait
from signing.seal import SealKey

logger = logging.getLogger(__name__)

LEASE_KEY = 0x61786973_72657461  # "axisreta"
CHECK_SECONDS = 600.0
EVERY = timedelta(days=1)

_LOST = leases.CONNECTION_LOST


@dataclass(frozen=True, slots=True)
class RunReport:
    partitions_created: tuple[str, ...]
    purged: tuple[Purged, ...]
    body_bytes_held: int
    next_purge_at: datetime | None
    next_purge_month: str | None


@dataclass(frozen=True, slots=True)
class Archiving:
    """Where bundles go and the key that signs them; None: the run never purges."""

    folder: Path
    key: Callable[[], SealKey]


def _months_to_check(oldest_id: str | None, now: datetime) -> list[Month]:
    first = None if oldest_id is None else Month.of_message(oldest_id)
    if first is None:
        return []
    months, month, current = [], first, Month.of(now)
    while month < current:
        months.append(month)
        month = month.next()
    return months


def _ripe(plan: Plan) -> bool:
    return bool(plan.purge) and not plan.not_due


async def _purge_ripe(
    pool: Pool, plan: Plan, policy: Policy, archiving: Archiving, now: datetime, holder: str
) -> Purged:
    exported = await export_month(
        pool, plan.month, archiving.folder, archiving.key(), now=now, actor=holder
    )
    return await purge_month(
        pool, plan.month, policy, now=now, actor=holder, bundle_path=exported.path
    )


async def run_once(
    pool: Pool, policy: Policy, archiving: Archiving | None, *, now: datetime, holder: str
) -> RunReport:
    created = await partitions.ensure_partitions(pool, now)
    oldest = await pool.fetchval(sql.query("retention_oldest_body"))
    purged: list[Purged] = []
    next_at: datetime | None = None
    next_month: str | None = None
    for month in _months_to_check(oldest, now):
        plan = await plan_month(pool, month, policy, now)
        if _ripe(plan) and archiving is not None:
            purged.append(await _purge_ripe(pool, plan, policy, archiving, now, holder))
            continue
        due = now if _ripe(plan) else plan.ripe_at
        if due is not None and (next_at is None or due < next_at):
            next_at, next_month = due, str(month)
    held = int(await pool.fetchval(sql.query("retention_bytes_held")))
    await pool.execute(sql.query("retention_record_run"), now, holder, held, next_at, next_month)
    return RunReport(tuple(str(m) for m in created), tuple(purged), held, next_at, next_month)


class RetentionTask:
    """Applies the policy daily on whichever node holds the lease."""

    def __init__(
        self,
        pool: Pool,
        policy: Policy,
        archiving: Archiving | None,
        holder: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._pool = pool
        self._policy = policy
        self._archiving = archiving
        self._holder = holder
        self._clock = clock
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="retention")

    async def stop(self) -> None:
        task, self._task = self._task, None
        await cancel_and_wait(task)

    async def _run(self) -> None:
        while True:
            try:
                async with leases.holding(self._pool, LEASE_KEY) as connection:
                    if connection is not None:
                        await self._run_while_held(connection)
            except _LOST as error:
                logger.warning(
                    "retention run failed; the next check tries again",
                    extra={"error": f"{type(error).__name__}: {error}"},
                )
            except AxisError as error:
                # A refusal (say, a body that no longer matches its hash) stops the
                # run, not the task: operators see it, nothing was purged unchecked.
                logger.error("retention run refused", extra={"error": error.message})
            await asyncio.sleep(CHECK_SECONDS)

    async def _run_while_held(self, connection: Connection) -> None:
        last = await connection.fetchval(sql.query("retention_lease_state"))
        now = self._clock()
        if last is None or now - last >= EVERY:
            report = await run_once(
                self._pool, self._policy, self._archiving, now=now, holder=self._holder
            )
            logger.info(
                "retention run",
                extra={
                    "purged": [p.month for p in report.purged],
                    "next_purge_at": report.next_purge_at,
                    "body_bytes_held": report.body_bytes_held,
                },
            )
