"""Transport events across hops: reported back to the peer a message came from, and applied.

When a delivery of a message that came in by a hop becomes ``delivered``,
``acked`` or ``dead``, a trigger (migration 0032) writes a ``relay_events``
row in the same transaction, whatever road changed it, so no event is lost.
:class:`EventReporter` sends those rows to the peer they are owed to
(``POST {peer url}/api/v1/relay/events``, the hop's bearer scheme), in
batches, retrying with the push road's backoff until the peer takes them.

:func:`apply` is the receiving side: a peer's events move this axis's relay
deliveries through it forward (never back), which, for a message that came
in by a hop itself, owes the event on towards the origin in turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp
import asyncpg

from axis.audit import chain as audit
from axis.delivery import trail
from axis.delivery.push.backoff import Backoff
from axis.delivery.relay.native import EVENTS_PATH
from axis.delivery.relay.road import RelayRoad
from axis.registry.peers import Peer
from axis.storage import notifications, sql
from axis.storage.channels import Channel
from axis.storage.database import Pool
from axis.vocabulary import DeliveryMode, TransportState

logger = logging.getLogger(__name__)

_DATABASE_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)
REPORTED_STATES = (TransportState.DELIVERED, TransportState.ACKED, TransportState.DEAD)


@dataclass(frozen=True, slots=True)
class TransportEvent:
    """One recipient's transport state, named by the message's origin key."""

    origin: str
    origin_message_id: str
    recipient: str
    state: TransportState
    at: datetime
    # For dead: the far end's code and detail.
    detail: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "origin_message_id": self.origin_message_id,
            "recipient": self.recipient,
            "state": str(self.state),
            "at": self.at.isoformat(),
            "detail": self.detail,
        }


async def apply(pool: Pool, peer_name: str, own_name: str, events: Sequence[TransportEvent]) -> int:
    """Applies ``peer_name``'s events to the relay deliveries through it; how many moved."""
    if not events:
        return 0
    async with pool.acquire() as connection, connection.transaction():
        rows = await connection.fetch(
            sql.query("relay_apply_events"),
            peer_name,
            own_name,
            [event.origin for event in events],
            [event.origin_message_id for event in events],
            [event.recipient for event in events],
            [str(event.state) for event in events],
            [event.at for event in events],
            [event.detail for event in events],
        )
        await audit.append_many(connection, [_trail_entry(row, peer_name) for row in rows])
    return len(rows)


def _trail_entry(row: asyncpg.Record, peer_name: str) -> audit.AuditEntry:
    state = row["transport_state"]
    if state == TransportState.DEAD:
        return trail.dead(
            row["message_id"], row["recipient_id"], delivery_id=row["id"],
            attempts=row["attempts"], last_error=row["last_error"], via=DeliveryMode.RELAY,
        )  # fmt: skip
    if state == TransportState.ACKED:
        return trail.acked(row["message_id"], row["recipient_id"], result="done", reason=None)
    return trail.delivered(
        row["message_id"], row["recipient_id"], via=DeliveryMode.RELAY,
        delivery_id=row["id"], attempts=row["attempts"], last_error=None,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class ReporterOptions:
    batch_size: int = 200
    lease_seconds: float = 60.0
    poll_interval: float = 2.0
    backoff_base: float = 1.0
    backoff_cap: float = 300.0


class EventReporter:
    """Sends the events owed to peers until each peer has taken them."""

    def __init__(
        self, pool: Pool, road: RelayRoad, owner: str, options: ReporterOptions | None = None
    ) -> None:
        self._pool = pool
        self._road = road
        self._owner = owner
        self._options = options or ReporterOptions()
        self._backoff = Backoff(self._options.backoff_base, self._options.backoff_cap)
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._loop(), name="relay-events"),
            asyncio.create_task(
                notifications.listen(self._pool, Channel.RELAY_EVENTS, lambda _: self._wake.set()),
                name="relay-events-listen",
            ),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _loop(self) -> None:
        while True:
            self._wake.clear()
            wait = self._options.poll_interval
            try:
                if await self.report_once() >= self._options.batch_size:
                    continue
                due_in = await self._pool.fetchval(sql.query("relay_events_next_due_in"))
                if due_in is not None:
                    wait = max(0.0, min(wait, float(due_in)))
            except _DATABASE_ERRORS as error:
                logger.warning("reporting relay events failed", extra={"error": str(error)})
            except Exception:
                logger.exception("relay event loop failed; continuing")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

    async def report_once(self) -> int:
        """Claims due events, sends them per peer; how many were claimed."""
        rows = await self._pool.fetch(
            sql.query("relay_events_claim"),
            self._owner,
            self._options.lease_seconds,
            self._options.batch_size,
        )
        by_peer: dict[str, list[asyncpg.Record]] = {}
        for row in rows:
            by_peer.setdefault(row["peer_name"], []).append(row)
        await asyncio.gather(*(self._report(name, group) for name, group in by_peer.items()))
        return len(rows)

    async def _report(self, peer_name: str, rows: list[asyncpg.Record]) -> None:
        ids = [row["id"] for row in rows]
        peer = await self._road.peer(peer_name)
        error = await self._send(peer, rows) if peer is not None else "peer unknown"
        if error is None:
            await self._pool.execute(sql.query("relay_events_done"), ids, self._owner)
            return
        attempts = max(row["attempts"] for row in rows)
        logger.info("relay events not taken", extra={"peer": peer_name, "error": error})
        await self._pool.execute(
            sql.query("relay_events_retry"), ids, self._owner, self._backoff.delay(attempts), error
        )

    async def _send(self, peer: Peer, rows: list[asyncpg.Record]) -> str | None:
        """Posts the events; None when the peer took them, else what went wrong."""
        if peer.outbound_secret is None:
            return "no secret set for this peer"
        items = [
            TransportEvent(
                row["origin"], row["origin_message_id"], row["recipient_id"],
                TransportState(row["state"]), row["happened_at"], row["detail"],
            ).as_json()
            for row in rows
        ]  # fmt: skip
        try:
            async with self._road.session.post(
                peer.url + EVENTS_PATH,
                json={"items": items},
                headers={"Authorization": f"Bearer {peer.outbound_secret}"},
                timeout=aiohttp.ClientTimeout(total=30),
            ) as answer:
                text = await answer.text(errors="replace")
                if 200 <= answer.status < 300:
                    return None
                return f"HTTP {answer.status} {text[:200]}"
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            return f"{type(error).__name__}: {error}"
