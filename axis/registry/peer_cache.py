"""The peers and their route table, per process, reread when ``peer_generation`` moves.

Intake routes every recipient it does not serve, and the relay endpoint
authenticates every hop, so both ask a snapshot rather than the database.
Peers are few (an axis per province at most), so the snapshot holds them
all with their patterns and inbound lookup digests; a process looks at the
generation counter at most once per ``recheck_interval`` seconds, so a new
peer, route, secret or synced directory takes effect fleet-wide within that
interval, as trust does (:mod:`axis.registry.trust_cache`). Synced
directories stay in the database: routing asks only for the pairs it needs.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from axis.registry.peers import Peer, Peers
from axis.registry.routes import RouteTable, Routing
from axis.storage import sql

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PeerSnapshot:
    peers: dict[str, Peer]
    table: RouteTable
    # Inbound lookup digest -> peer name.
    by_lookup: dict[bytes, str] = field(repr=False)


class PeerCache:
    def __init__(self, peers: Peers, *, recheck_interval: float = 1.0) -> None:
        self._peers = peers
        self._recheck_interval = recheck_interval
        self._snapshot: PeerSnapshot | None = None
        self._generation: int | None = None
        self._checked_at = 0.0
        self._lock = asyncio.Lock()

    @property
    def registry(self) -> Peers:
        return self._peers

    async def snapshot(self) -> PeerSnapshot:
        if self._fresh():
            assert self._snapshot is not None
            return self._snapshot
        async with self._lock:
            if self._fresh():
                assert self._snapshot is not None
                return self._snapshot
            generation = await self._peers.pool.fetchval(sql.query("peer_generation"))
            if self._snapshot is None or generation != self._generation:
                self._snapshot = await self._load()
                self._generation = generation
                logger.info(
                    "peers loaded",
                    extra={"generation": generation, "peers": len(self._snapshot.peers)},
                )
            self._checked_at = time.monotonic()
            return self._snapshot

    def invalidate(self) -> None:
        """Forces a reload on the next call (used right after this process changed peers)."""
        self._checked_at = 0.0
        self._generation = None

    async def route_table(self) -> RouteTable:
        return (await self.snapshot()).table

    async def peer(self, name: str) -> Peer | None:
        return (await self.snapshot()).peers.get(name)

    async def peers(self) -> list[Peer]:
        return list((await self.snapshot()).peers.values())

    async def peer_by_bearer(self, secret: str) -> Peer | None:
        """The peer whose inbound secret this is, or None, without a database round trip."""
        snapshot = await self.snapshot()
        digest = self._peers.lookup_digest(secret)
        for lookup, name in snapshot.by_lookup.items():
            if hmac.compare_digest(lookup, digest):
                return snapshot.peers[name]
        return None

    async def route(self, recipients: Iterable[str], *, is_local: Callable[[str], bool]) -> Routing:
        """Routes recipients, refusing those absent from a synced peer's directory."""
        wanted = list(recipients)
        table = await self.route_table()
        known_remotely = await self.directory_check(wanted, is_local=is_local)
        return table.route(wanted, is_local=is_local, known_remotely=known_remotely)

    async def directory_check(
        self, recipients: Iterable[str], *, is_local: Callable[[str], bool]
    ) -> Callable[[str, str], bool]:
        """``known_remotely`` for :meth:`RouteTable.route` of these recipients.

        A peer never synced knows everyone (the far end decides), so only the
        recipients routed to synced peers cost one query, for just those pairs;
        the answer is a plain predicate, so routing itself stays pure.
        """
        snapshot = await self.snapshot()
        first = snapshot.table.route(recipients, is_local=is_local)
        pairs = [
            (peer_name, organ_id)
            for peer_name, group in first.by_peer.items()
            if snapshot.peers[peer_name].directory_synced_at is not None
            for organ_id in group
        ]
        known = await self._peers.known_pairs(pairs) if pairs else set()

        def known_remotely(peer_name: str, organ_id: str) -> bool:
            peer = snapshot.peers.get(peer_name)
            if peer is None:
                return False
            return peer.directory_synced_at is None or (peer_name, organ_id) in known

        return known_remotely

    def _fresh(self) -> bool:
        return (
            self._snapshot is not None
            and time.monotonic() - self._checked_at < self._recheck_interval
        )

    async def _load(self) -> PeerSnapshot:
        stored = await self._peers.stored_peers()
        peers = {s.peer.name: s.peer for s in stored}
        return PeerSnapshot(
            peers=peers,
            table=RouteTable(peer.route for peer in peers.values()),
            by_lookup={s.inbound_lookup: s.peer.name for s in stored},
        )
