"""The sealer: chains committed audit entries, one sealer at a time across the fleet.

Why a horizon rather than a safety window: entries take their ids when they
are inserted but become visible when their transaction commits, so id 101
can be seen before id 100. The statistics refresher re-reads a time window
for the same reason, which is right only for transactions shorter than the
window; a chain cannot re-read (a seal is final). So each entry records the
transaction that wrote it, and a round seals only entries of transactions
below ``pg_snapshot_xmin(pg_current_snapshot())``, the oldest transaction
still running: every such transaction is over, its entries are all visible,
and no entry can ever appear behind them. The chain's order is therefore
(transaction id, entry id), and a round continues from a cursor in that
order: nothing is sealed twice, nothing is skipped, however commits
interleave. A long transaction delays sealing (it shows as lag), never
breaks it.

One sealer at a time: a node seals while it holds a session advisory lock
(the lease) on a connection of its own; the others try for it every
:data:`STANDBY_SECONDS`. A node that dies drops its connection and with it
the lease (a vanished host within the keepalive bound), so another takes
over within seconds. Correctness does not rest on the lease: every sealing
transaction locks the ``audit_sealer`` row and continues from its cursor,
so even two sealers at once would take turns, not fork the chain.
``audit_sealer.holder`` and ``sealed_at`` name the sealing node and when it
last sealed (:func:`status`), for whoever lists the fleet.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from dataclasses import dataclass
from datetime import datetime

from axis.audit.chain import entry_hash
from axis.fleet import leases
from axis.storage import sql
from axis.storage.database import Connection, Pool
from axis.tasks import cancel_and_wait

logger = logging.getLogger(__name__)

LEASE_KEY = 0x61786973_7365616C  # "axisseal"
SEAL_SECONDS = 0.25
STANDBY_SECONDS = 1.0
BATCH = 5000

_LOST = leases.CONNECTION_LOST


def node_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True, slots=True)
class SealerStatus:
    holder: str | None
    sealed_at: datetime | None
    waiting: int
    oldest_waiting_at: datetime | None


async def seal_batch(connection: Connection, holder: str, limit: int = BATCH) -> int:
    """Seals up to ``limit`` entries in one transaction; how many it sealed."""
    horizon = await connection.fetchval(sql.query("seal_horizon"))
    async with connection.transaction():
        state = await connection.fetchrow(sql.query("sealer_state_for_update"))
        assert state is not None
        rows = await connection.fetch(
            sql.query("audit_entries_to_seal"), state["last_xact"], state["last_id"], horizon, limit
        )
        if not rows:
            return 0
        previous, position = bytes(state["hash"]), state["position"]
        positions, ids, previous_hashes, hashes = [], [], [], []
        for row in rows:
            digest = entry_hash(previous, {**dict(row), "legacy": False})
            position += 1
            positions.append(position)
            ids.append(row["id"])
            previous_hashes.append(previous)
            hashes.append(digest)
            previous = digest
        await connection.execute(
            sql.query("insert_audit_seals"), positions, ids, previous_hashes, hashes
        )
        last = rows[-1]
        await connection.execute(
            sql.query("advance_sealer"), position, previous, last["xact"], last["id"], holder
        )
    return len(rows)


async def seal_pending(
    connection: Connection, holder: str | None = None, batch: int = BATCH
) -> int:
    """Seals everything sealable now; how many entries it sealed."""
    holder = holder or node_name()
    total = 0
    while (sealed := await seal_batch(connection, holder, batch)) > 0:
        total += sealed
    return total


async def status(connection: Connection) -> SealerStatus:
    row = await connection.fetchrow(sql.query("sealer_lag"))
    assert row is not None
    return SealerStatus(row["holder"], row["sealed_at"], row["waiting"], row["oldest_waiting_at"])


class AuditSealer:
    """The sealing loop of one node: waits for the lease, then seals until stopped."""

    def __init__(self, pool: Pool, holder: str | None = None, batch: int = BATCH) -> None:
        self._pool = pool
        self._holder = holder or node_name()
        self._batch = batch
        self._task: asyncio.Task[None] | None = None
        self.holds_lease = False

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="audit-sealer")

    async def stop(self) -> None:
        task, self._task = self._task, None
        await cancel_and_wait(task)

    async def _run(self) -> None:
        while True:
            try:
                async with leases.holding(self._pool, LEASE_KEY) as connection:
                    if connection is not None:
                        await self._seal_while_held(connection)
            except _LOST as error:
                logger.warning(
                    "audit sealer lost its connection",
                    extra={"error": f"{type(error).__name__}: {error}"},
                )
            await asyncio.sleep(STANDBY_SECONDS)

    async def _seal_while_held(self, connection: Connection) -> None:
        self.holds_lease = True
        logger.info("sealing the audit chain", extra={"holder": self._holder})
        try:
            while True:
                await seal_pending(connection, self._holder, self._batch)
                await asyncio.sleep(SEAL_SECONDS)
        finally:
            self.holds_lease = False
