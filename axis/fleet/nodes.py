"""Node identity, heartbeats, and the takeover of a dead node's push leases.

Every axis process is a node with a row in ``nodes`` (id, host, pid, role,
started, last beat). It beats every :data:`BEAT_SECONDS`; a node whose last
beat is older than :data:`DEAD_AFTER_SECONDS` is dead, and on its next beat
any live node gives the dead node's push leases back, so its work moves
within about ``DEAD_AFTER_SECONDS + BEAT_SECONDS`` (4 s) instead of the
lease (push timeout plus a margin: 40 s by default).

Why three beats of one second: one late beat is normal on a loaded machine
(a long garbage collection, a burst of signature checks, a database round
trip queued behind others), two in a row are rare; three seconds of silence
is a stalled or dead process. A shorter bound risks taking a live node's
leases, which would push its deliveries twice; a longer one only delays
takeover. Times are the database's (``now()``), so node clocks do not matter.

A node judges others only after it has itself beaten on time for the whole
bound: when the database comes back after an outage every node's last beat
is old, and the first node back must not take the leases of live nodes that
have not reconnected yet. A node that learns its own silence exceeded the
bound logs it: its leases may have been given to others meanwhile (its late
outcomes are then ignored, as any late answer is).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

import asyncpg

from axis.storage import sql
from axis.storage.channels import Channel
from axis.storage.database import Pool

logger = logging.getLogger(__name__)

BEAT_SECONDS = 1.0
DEAD_AFTER_SECONDS = 3.0
# How long a dead or stopped node stays in the operators' list.
RECENT_SECONDS = 3600.0

_DATABASE_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)


class Part(StrEnum):
    """What part of a node's work a component runs."""

    API = "api"
    WORK = "work"


@dataclass(frozen=True, slots=True)
class Node:
    node_id: str
    host: str
    pid: int


def new_node() -> Node:
    host = socket.gethostname()
    pid = os.getpid()
    return Node(f"{host}:{pid}:{secrets.token_hex(4)}", host, pid)


def role_of(parts: set[Part]) -> str:
    return "all" if parts == {Part.API, Part.WORK} else str(next(iter(parts)))


@dataclass(frozen=True, slots=True)
class NodeView:
    """One node as the operators see it."""

    node_id: str
    host: str
    pid: int
    role: str
    status: str  # live, dead or stopped
    started_at: datetime
    last_beat_at: datetime
    stopped_at: datetime | None
    seen_seconds_ago: float
    leases: int
    endpoints: int
    # Fleet-wide duties held (e.g. the audit sealer), or None.
    roles_held: tuple[str, ...] | None


async def list_nodes(pool: Pool, recent_seconds: float = RECENT_SECONDS) -> list[NodeView]:
    """Live nodes, then the recently dead or stopped, with what each holds."""
    rows = await pool.fetch(sql.query("fleet_nodes"), DEAD_AFTER_SECONDS, recent_seconds)
    return [
        NodeView(
            node_id=row["node_id"],
            host=row["host"],
            pid=row["pid"],
            role=row["role"],
            status=row["status"],
            started_at=row["started_at"],
            last_beat_at=row["last_beat_at"],
            stopped_at=row["stopped_at"],
            seen_seconds_ago=max(0.0, row["seen_seconds_ago"]),
            leases=row["leases"],
            endpoints=row["endpoints"],
            roles_held=None if row["roles_held"] is None else tuple(row["roles_held"]),
        )
        for row in rows
    ]


@dataclass
class Heartbeat:
    """Keeps one node's row beating and takes over the leases of dead nodes."""

    pool: Pool
    node: Node
    role: str
    beat_seconds: float = BEAT_SECONDS
    dead_after: float = DEAD_AFTER_SECONDS
    _task: asyncio.Task[None] | None = None
    # Monotonic time since which this node has beaten on time (None: not yet).
    _on_time_since: float | None = None
    _taken_over: dict[str, int] = field(default_factory=dict)

    async def start(self) -> None:
        await self.join(self.role)
        with contextlib.suppress(*_DATABASE_ERRORS):
            await self.pool.execute(sql.query("fleet_forget"))
        self._on_time_since = time.monotonic()
        self._task = asyncio.create_task(self._beating(), name="fleet-heartbeat")
        logger.info("node joined the fleet", extra={"node": self.node.node_id, "role": self.role})

    async def join(self, role: str) -> None:
        self.role = role
        node = self.node
        await self.pool.execute(sql.query("fleet_join"), node.node_id, node.host, node.pid, role)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        try:
            await self.pool.execute(sql.query("fleet_leave"), self.node.node_id)
        except _DATABASE_ERRORS as error:
            logger.warning("node could not record its stop", extra={"error": str(error)})
        logger.info("node left the fleet", extra={"node": self.node.node_id})

    async def beat(self) -> None:
        """One beat: this node's row, then (if on time long enough) the takeover."""
        silent_for = await self.pool.fetchval(sql.query("fleet_beat"), self.node.node_id)
        now = time.monotonic()
        if silent_for is None or silent_for > self.dead_after:
            # Gone from the list, or silent too long: the fleet presumed us dead.
            logger.warning(
                "this node was silent past the bound; its leases may have moved",
                extra={"node": self.node.node_id, "seconds": silent_for},
            )
            if silent_for is None:
                await self.join(self.role)
            self._on_time_since = now
            return
        if self._on_time_since is not None and now - self._on_time_since >= self.dead_after:
            await self.take_over()

    async def take_over(self) -> int:
        """Gives back the leases of nodes silent past the bound; how many."""
        rows = await self.pool.fetch(sql.query("fleet_take_over"), self.dead_after)
        released = sum(int(row["leases"]) for row in rows)
        for row in rows:
            logger.warning(
                "took over a silent node's pushes",
                extra={"node": row["node_id"], "leases": row["leases"], "by": self.node.node_id},
            )
        if released:
            await self.pool.execute(sql.query("fleet_wake_workers"), str(Channel.DELIVERIES))
        return released

    async def _beating(self) -> None:
        while True:
            await asyncio.sleep(self.beat_seconds)
            try:
                await self.beat()
            except _DATABASE_ERRORS as error:
                logger.warning("heartbeat failed", extra={"error": str(error)})
                self._on_time_since = None
            except Exception:
                logger.exception("heartbeat failed; beating on")
                self._on_time_since = None


@dataclass
class _Presence:
    heartbeat: Heartbeat
    parts: list[Part]


# One node per process and database: the parts of a process (the push work,
# the APIs) join the same node, which beats while any of them runs.
_present: dict[int, _Presence] = {}


@contextlib.asynccontextmanager
async def present(pool: Pool, part: Part) -> AsyncIterator[Node]:
    """This process, as a node of the fleet on ``pool``'s database, while the block runs."""
    presence = _present.get(id(pool))
    if presence is None:
        presence = _Presence(Heartbeat(pool, new_node(), str(part)), [part])
        await presence.heartbeat.start()
        _present[id(pool)] = presence
    else:
        presence.parts.append(part)
        await presence.heartbeat.join(role_of(set(presence.parts)))
    try:
        yield presence.heartbeat.node
    finally:
        presence.parts.remove(part)
        if presence.parts:
            await presence.heartbeat.join(role_of(set(presence.parts)))
        else:
            del _present[id(pool)]
            await presence.heartbeat.stop()
