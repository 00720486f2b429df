"""The peer registry: other axes this one relays to, the OrganIds each serves.

A peer holds two secrets, kept like an agency's (AES-GCM at rest, under the
same :class:`SecretBox`): the *inbound* one, issued here by ``axis peer
add`` and shown once, which the peer presents when it calls this axis
(found from a bearer by its HMAC lookup digest, never by decrypting every
row); and the *outbound* one, given by ``axis peer set-secret``, which this
axis presents when it calls the peer. Every change is audited and moves
``peer_generation``, which :class:`axis.registry.peer_cache.PeerCache`
watches so every process of the fleet sees it within a second.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import asyncpg

from axis.audit import chain as audit
from axis.errors import AxisError
from axis.registry.agencies import check_endpoint, prefix_end
from axis.registry.routes import (
    PeerPattern,
    PeerRoute,
    RouteTable,
    check_peer_name,
    parse_patterns,
)
from axis.registry.secret_box import SecretBox
from axis.storage import sql
from axis.storage.database import Connection, Pool
from axis.vocabulary import AuditAction
from envelope import organ_id as organ_ids

logger = logging.getLogger(__name__)


class PeerProtocol(StrEnum):
    """How a peer is reached (mirrors the CHECK on ``peers.protocol``)."""

    NATIVE = "native"  # this axis's own API: POST /api/v1/relay
    VXP = "vxp"  # a platform that speaks only the VXP protocol


class PeerExists(AxisError):
    """A peer with this name is already registered."""

    code = "peer.exists"


class PeerNotFound(AxisError):
    """No peer is registered under this name."""

    code = "peer.unknown"


class PeerBusy(AxisError):
    """The peer still has relay deliveries on their way through it."""

    code = "peer.busy"


class InvalidPeer(AxisError):
    """The peer's details are not acceptable."""

    code = "peer.invalid"


@dataclass(frozen=True, slots=True)
class Peer:
    name: str
    url: str
    protocol: PeerProtocol
    system_id: str | None
    patterns: tuple[PeerPattern, ...]
    # What this axis presents when it calls the peer (decrypted); None until
    # `axis peer set-secret`: nothing is relayed to the peer before.
    outbound_secret: str | None
    directory_synced_at: datetime | None
    # How many remote agencies its synced directory holds.
    directory_size: int = 0

    @property
    def route(self) -> PeerRoute:
        return PeerRoute(self.name, self.patterns)

    @property
    def serves_everything(self) -> bool:
        return any(pattern.matches_everything for pattern in self.patterns)

    def serves(self, organ_id: str) -> bool:
        """Whether ``organ_id`` is one this peer's patterns cover (a sender it may relay)."""
        return self.route.serves(organ_id)

    def as_json(self) -> dict[str, Any]:
        """What operators see of a peer (never a secret)."""
        synced = self.directory_synced_at
        return {
            "name": self.name,
            "url": self.url,
            "protocol": str(self.protocol),
            "system_id": self.system_id,
            "serves": [pattern.text for pattern in self.patterns],
            "outbound_secret_set": self.outbound_secret is not None,
            "directory_synced_at": None if synced is None else synced.isoformat(),
            "directory_size": self.directory_size,
        }


@dataclass(frozen=True, slots=True)
class PeerCredentials:
    """Shown once, by ``axis peer add``: what the peer must present when it calls here."""

    name: str
    secret: str


@dataclass(frozen=True, slots=True)
class DirectoryEntry:
    """One remote agency of a peer's directory, as this axis keeps it."""

    organ_id: str
    name: str
    parent_id: str | None
    # The axis that serves it: the peer itself, or one behind it.
    served_by: str


@dataclass(frozen=True, slots=True)
class RemoteAgency:
    """A remote agency as the directory shows it: which axis serves it, through which peer."""

    organ_id: str
    name: str
    parent_id: str | None
    served_by: str
    peer_name: str


@dataclass(frozen=True, slots=True)
class StoredPeer:
    """A peer with the lookup digest of its inbound secret, for the per-process cache."""

    peer: Peer
    inbound_lookup: bytes


def _check_protocol(protocol: str, system_id: str | None) -> PeerProtocol:
    try:
        chosen = PeerProtocol(protocol)
    except ValueError:
        raise InvalidPeer(f"The protocol {protocol!r} is not 'native' or 'vxp'.") from None
    if chosen is PeerProtocol.VXP and not system_id:
        raise InvalidPeer("A VXP peer needs --system-id: the systemId this axis presents to it.")
    if system_id is not None and not organ_ids.is_acceptable(system_id):
        raise InvalidPeer(f"The system id {system_id!r} is not acceptable.")
    return chosen


class Peers:
    """The peer registry on the database."""

    def __init__(self, pool: Pool, secret_box: SecretBox) -> None:
        self._pool = pool
        self._secret_box = secret_box

    @property
    def pool(self) -> Pool:
        return self._pool

    async def add_peer(
        self,
        name: str,
        url: str,
        patterns: Sequence[str],
        *,
        protocol: str = PeerProtocol.NATIVE,
        system_id: str | None = None,
        actor: str = "operator",
    ) -> tuple[Peer, str]:
        """Registers a peer; returns it and the secret it must present here (shown once)."""
        check_peer_name(name)
        # Paths are joined to it (/api/v1/relay), and the push road keys its
        # circuit breaker on it: one spelling, without a trailing slash.
        url = check_endpoint(url).rstrip("/")
        parsed = parse_patterns(patterns)
        chosen = _check_protocol(protocol, system_id)
        issued = self._secret_box.issue()
        async with self._pool.acquire() as connection, connection.transaction():
            try:
                await connection.execute(
                    sql.query("insert_peer"),
                    name,
                    url,
                    str(chosen),
                    system_id,
                    issued.ciphertext,
                    issued.lookup,
                )
            except asyncpg.UniqueViolationError:
                raise PeerExists(f"A peer named {name!r} is already registered.") from None
            await connection.execute(
                sql.query("insert_peer_routes"),
                name,
                [pattern.text for pattern in parsed],
                [pattern.wildcards for pattern in parsed],
            )
            await connection.execute(sql.query("bump_peer_generation"))
            detail = {
                "url": url,
                "protocol": str(chosen),
                "system_id": system_id,
                "serves": [pattern.text for pattern in parsed],
            }
            await audit.append(
                connection, audit.AuditEntry(actor, AuditAction.PEER_ADD, name, detail)
            )
        logger.info("peer registered", extra={"peer": name, "url": url, "actor": actor})
        peer = Peer(name, url, chosen, system_id, parsed, None, None)
        return peer, issued.secret

    async def set_outbound_secret(self, name: str, secret: str, *, actor: str = "operator") -> None:
        """The secret this axis presents when it calls ``name`` (the one ``name`` issued)."""
        if not secret.strip():
            raise InvalidPeer("The secret is empty.")
        async with self._pool.acquire() as connection, connection.transaction():
            updated = await connection.fetchval(
                sql.query("set_peer_outbound_secret"),
                name,
                self._secret_box.encrypt(secret.strip()),
            )
            if updated is None:
                raise _not_found(name)
            await connection.execute(sql.query("bump_peer_generation"))
            await audit.append(
                connection, audit.AuditEntry(actor, AuditAction.PEER_SET_SECRET, name)
            )
        logger.info("peer secret set", extra={"peer": name, "actor": actor})

    async def remove_peer(self, name: str, *, actor: str = "operator") -> None:
        """Forgets a peer, its routes and directory; refused while relays through it are open."""
        async with self._pool.acquire() as connection, connection.transaction():
            if await connection.fetchval(sql.query("lock_peer"), name) is None:
                raise _not_found(name)
            open_deliveries = await connection.fetchval(sql.query("peer_open_deliveries"), name)
            if open_deliveries:
                raise PeerBusy(
                    f"Peer {name!r} still has {open_deliveries} relay deliveries on their way "
                    "through it; let them finish or discard them first."
                )
            await connection.fetchval(sql.query("delete_peer"), name)
            await connection.execute(sql.query("bump_peer_generation"))
            await audit.append(connection, audit.AuditEntry(actor, AuditAction.PEER_REMOVE, name))
        logger.info("peer removed", extra={"peer": name, "actor": actor})

    async def stored_peers(self) -> list[StoredPeer]:
        rows = await self._pool.fetch(sql.query("list_peers"))
        return [StoredPeer(self._peer(row), bytes(row["inbound_secret_lookup"])) for row in rows]

    async def list_peers(self) -> list[Peer]:
        return [stored.peer for stored in await self.stored_peers()]

    async def get(self, name: str) -> Peer | None:
        return next((peer for peer in await self.list_peers() if peer.name == name), None)

    async def require(self, name: str) -> Peer:
        peer = await self.get(name)
        if peer is None:
            raise _not_found(name)
        return peer

    def lookup_digest(self, secret: str) -> bytes:
        return self._secret_box.lookup_digest(secret)

    async def peer_by_bearer(self, secret: str) -> Peer | None:
        """The peer whose inbound secret this is, or None (uncached: see PeerCache)."""
        digest = self._secret_box.lookup_digest(secret)
        stored = await self.stored_peers()
        return next((s.peer for s in stored if s.inbound_lookup == digest), None)

    async def load_route_table(self) -> RouteTable:
        return RouteTable(peer.route for peer in await self.list_peers())

    async def directory_knows(self, peer_name: str, organ_id: str) -> bool:
        """Whether a recipient routed to ``peer_name`` may go there.

        True when the peer's directory was never synced (the far end decides),
        else whether the synced directory lists ``organ_id``.
        """
        peer = await self.get(peer_name)
        if peer is None:
            return False
        if peer.directory_synced_at is None:
            return True
        return bool(await self.known_pairs([(peer_name, organ_id)]))

    async def known_pairs(self, pairs: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
        """Of these (peer, OrganId) pairs, those the peers' synced directories list."""
        wanted = list(pairs)
        if not wanted:
            return set()
        rows = await self._pool.fetch(
            sql.query("peer_directory_pairs"),
            [peer_name for peer_name, _ in wanted],
            [organ_id for _, organ_id in wanted],
        )
        return {(row["peer_name"], row["organ_id"]) for row in rows}

    async def replace_directory(
        self,
        peer_name: str,
        entries: Iterable[DirectoryEntry],
        *,
        own_name: str,
        actor: str = "directory-sync",
    ) -> int:
        """Replaces a peer's synced directory in one transaction; how many entries it kept.

        Left out: OrganIds this axis serves itself (registered here, or
        served by an axis of this name), so a directory that comes back
        through the national axis does not echo this province's own agencies.
        """
        listed = list(entries)
        async with self._pool.acquire() as connection, connection.transaction():
            if await connection.fetchval(sql.query("lock_peer"), peer_name) is None:
                raise _not_found(peer_name)
            kept = await _foreign_entries(connection, listed, own_name)
            await connection.execute(sql.query("clear_peer_directory"), peer_name)
            await connection.execute(
                sql.query("insert_peer_directory"),
                peer_name,
                [entry.organ_id for entry in kept],
                [entry.name for entry in kept],
                [entry.parent_id for entry in kept],
                [entry.served_by for entry in kept],
            )
            await connection.fetchval(sql.query("mark_peer_synced"), peer_name)
            await connection.execute(sql.query("bump_peer_generation"))
            detail = {"entries": len(kept), "left_out": len(listed) - len(kept)}
            await audit.append(
                connection, audit.AuditEntry(actor, AuditAction.PEER_SYNC, peer_name, detail)
            )
        logger.info(
            "peer directory synced",
            extra={"peer": peer_name, "entries": len(kept), "left_out": len(listed) - len(kept)},
        )
        return len(kept)

    async def remote_directory(
        self, *, q: str = "", parent_id: str | None = None, after: str = "", limit: int = 100
    ) -> list[RemoteAgency]:
        """Up to ``limit`` remote agencies after OrganId ``after``, in OrganId order.

        The same filters as the registry's directory (``q``: an OrganId prefix
        or a name prefix in any case; ``parent_id``), over the synced copies.
        """
        q = q.strip()
        arguments: list[object] = [after, limit]
        if q:
            arguments += [q, prefix_end(q)]
        if parent_id is not None:
            arguments.append(parent_id)
        query = _remote_query(searching=bool(q), under_parent=parent_id is not None)
        rows = await self._pool.fetch(query, *arguments)
        return [_remote(row) for row in rows]

    async def remote_agency(self, organ_id: str) -> RemoteAgency | None:
        row = await self._pool.fetchrow(sql.query("remote_agency"), organ_id)
        return None if row is None else _remote(row)

    def _peer(self, row: asyncpg.Record) -> Peer:
        ciphertext = row["outbound_secret_ciphertext"]
        return Peer(
            name=row["name"],
            url=row["url"],
            protocol=PeerProtocol(row["protocol"]),
            system_id=row["system_id"],
            patterns=tuple(PeerPattern.parse(text) for text in row["patterns"]),
            outbound_secret=None if ciphertext is None else self._secret_box.decrypt(ciphertext),
            directory_synced_at=row["directory_synced_at"],
            directory_size=int(row["directory_size"]),
        )


async def _foreign_entries(
    connection: Connection, entries: list[DirectoryEntry], own_name: str
) -> list[DirectoryEntry]:
    """The entries not served by this axis, one per OrganId (the first listed)."""
    local = {
        row["organ_id"]
        for row in await connection.fetch(
            sql.query("local_organ_ids"), [entry.organ_id for entry in entries]
        )
    }
    kept: dict[str, DirectoryEntry] = {}
    for entry in entries:
        if entry.served_by == own_name or entry.organ_id in local:
            continue
        kept.setdefault(entry.organ_id, entry)
    return list(kept.values())


def _remote_query(*, searching: bool, under_parent: bool) -> str:
    """The block for this filter (literal names, so each block is findable)."""
    if searching:
        if under_parent:
            return sql.query("remote_directory_search_parent")
        return sql.query("remote_directory_search")
    if under_parent:
        return sql.query("remote_directory_parent")
    return sql.query("remote_directory")


def _remote(row: asyncpg.Record) -> RemoteAgency:
    return RemoteAgency(
        row["organ_id"], row["name"], row["parent_id"], row["served_by"], row["peer_name"]
    )


def _not_found(name: str) -> PeerNotFound:
    return PeerNotFound(f"No peer is registered under the name {name!r}.")
