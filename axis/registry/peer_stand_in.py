"""A stand-in for fed-peers' ``axis/registry/peers.py``, with the interface fed.md fixes.

fed-road needs peers before the peer registry lands; this module offers the
few calls the relay road makes (``Peer``, ``add_peer``, ``set_outbound_secret``,
``list_peers``, ``peer_by_bearer``, ``load_route_table``, ``directory_knows``)
so that switching to the real registry is an import change. Deleted at merge.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from axis.registry.routes import PeerPattern, PeerRoute, RouteTable, check_peer_name, parse_patterns
from axis.registry.secret_box import SecretBox, new_agency_secret
from axis.storage import sql
from axis.storage.database import Pool


@dataclass(frozen=True, slots=True)
class Peer:
    name: str
    url: str
    protocol: str
    system_id: str | None
    patterns: tuple[PeerPattern, ...]
    outbound_secret: str | None
    directory_synced_at: datetime | None

    def serves(self, organ_id: str) -> bool:
        return any(pattern.matches(organ_id) for pattern in self.patterns)


async def add_peer(
    pool: Pool,
    box: SecretBox,
    name: str,
    url: str,
    serves: Sequence[str],
    *,
    protocol: str = "native",
    system_id: str | None = None,
) -> tuple[Peer, str]:
    check_peer_name(name)
    patterns = parse_patterns(serves)
    secret = new_agency_secret()
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute(
            sql.query("stand_in_insert_peer"), name, url.rstrip("/"), protocol, system_id,
            box.encrypt(secret), box.lookup_digest(secret),
        )  # fmt: skip
        for pattern in patterns:
            await connection.execute(
                sql.query("stand_in_insert_route"), name, pattern.text, pattern.wildcards
            )
        await connection.execute(sql.query("stand_in_peer_endpoint"), url.rstrip("/"))
    peer = Peer(name, url.rstrip("/"), protocol, system_id, patterns, None, None)
    return peer, secret


async def set_outbound_secret(pool: Pool, box: SecretBox, name: str, secret: str) -> None:
    found = await pool.fetchval(
        sql.query("stand_in_set_outbound_secret"), name, box.encrypt(secret)
    )
    if found is None:
        raise LookupError(f"no peer {name!r}")


async def list_peers(pool: Pool, box: SecretBox) -> list[Peer]:
    return [
        Peer(
            name=row["name"],
            url=row["url"],
            protocol=row["protocol"],
            system_id=row["system_id"],
            patterns=tuple(PeerPattern.parse(text) for text in row["patterns"]),
            outbound_secret=None
            if row["outbound_secret_ciphertext"] is None
            else box.decrypt(bytes(row["outbound_secret_ciphertext"])),
            directory_synced_at=row["directory_synced_at"],
        )
        for row in await pool.fetch(sql.query("stand_in_peers"))
    ]


async def peer_by_bearer(pool: Pool, box: SecretBox, secret: str) -> Peer | None:
    name = await pool.fetchval(sql.query("stand_in_peer_by_lookup"), box.lookup_digest(secret))
    if name is None:
        return None
    return next((peer for peer in await list_peers(pool, box) if peer.name == name), None)


async def load_route_table(pool: Pool) -> RouteTable:
    rows = await pool.fetch(sql.query("stand_in_peers"))
    return RouteTable(
        PeerRoute(row["name"], tuple(PeerPattern.parse(text) for text in row["patterns"]))
        for row in rows
    )


def directory_knows(peer_name: str, organ_id: str) -> bool:
    """Never synced (the stand-in syncs nothing): the far end decides."""
    return True
