"""Copying each peer's directory: on demand (``axis peer sync``) and hourly, one node at a time.

A peer's directory is read from a :class:`DirectorySource` (for a native
peer, its ``GET /api/v1/agencies``, every page, with the bearer this axis
presents to it; a VXP peer's source is its ``getAgenciesList``) and replaces
the previous copy in one transaction (:meth:`Peers.replace_directory`),
without the OrganIds this axis serves itself. An entry the peer itself
relays carries the far axis in ``served_by``, so the national axis's
directory, the union of its peers', tells each province which province
serves what.

The background task syncs on one node of the fleet at a time, holding a
fleet lease (:mod:`axis.fleet.leases`) as the audit sealer does:
the others stand by for it; a node that dies drops its connection and the
lease with it. A peer is due when its last sync is older than the period,
so a restart does not resync every peer at once; a new peer is due at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

import aiohttp

from axis.errors import AxisError
from axis.fleet import leases
from axis.registry.peers import DirectoryEntry, Peer, PeerProtocol, Peers
from axis.settings import Settings
from axis.storage.database import Pool
from axis.tasks import cancel_and_wait
from envelope import organ_id as organ_ids

logger = logging.getLogger(__name__)

LEASE_KEY = 0x61786973_70656572  # "axispeer"
STANDBY_SECONDS = 5.0
# How often the holder looks for a due peer (a new one is synced this soon).
CHECK_SECONDS = 30.0
PAGE_SIZE = 1000
# A directory larger than this is refused rather than held in memory.
MAX_ENTRIES = 1_000_000

_LOST = leases.CONNECTION_LOST


class DirectorySyncFailed(AxisError):
    """The peer's directory could not be read."""

    code = "peer.sync_failed"


class DirectorySource(Protocol):
    """Where a peer's directory is read from (one per protocol)."""

    async def entries(self, peer: Peer) -> list[DirectoryEntry]: ...


class NativeDirectory:
    """A native peer's ``GET /api/v1/agencies``, all pages, with the bearer it issued us."""

    def __init__(self, *, timeout: float = 30.0, page_size: int = PAGE_SIZE) -> None:
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._page_size = page_size

    async def entries(self, peer: Peer) -> list[DirectoryEntry]:
        if peer.outbound_secret is None:
            raise DirectorySyncFailed(
                f"No secret is set for peer {peer.name!r} yet (axis peer set-secret)."
            )
        headers = {"Authorization": f"Bearer {peer.outbound_secret}"}
        url = peer.url.rstrip("/") + "/api/v1/agencies"
        found: list[DirectoryEntry] = []
        cursor: str | None = None
        async with aiohttp.ClientSession(timeout=self._timeout, headers=headers) as session:
            while True:
                page = await _page(session, url, peer.name, cursor, self._page_size)
                found.extend(_entries(page, peer.name))
                cursor = page.get("next_cursor")
                if not cursor:
                    return found
                if len(found) > MAX_ENTRIES:
                    raise DirectorySyncFailed(
                        f"Peer {peer.name!r} lists more than {MAX_ENTRIES} agencies."
                    )


async def _page(
    session: aiohttp.ClientSession, url: str, peer_name: str, cursor: str | None, size: int
) -> dict[str, Any]:
    params = {"limit": str(size)} | ({"cursor": cursor} if cursor else {})
    try:
        async with session.get(url, params=params) as response:
            if response.status != 200:
                text = (await response.text())[:200]
                raise DirectorySyncFailed(
                    f"Peer {peer_name!r} answered {response.status} to its directory: {text}"
                )
            page = await response.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError) as error:
        raise DirectorySyncFailed(
            f"Peer {peer_name!r}'s directory cannot be read: {type(error).__name__}: {error}"
        ) from None
    if not isinstance(page, dict) or not isinstance(page.get("items"), list):
        raise DirectorySyncFailed(f"Peer {peer_name!r}'s directory is not a page of items.")
    return page


def _entries(page: dict[str, Any], peer_name: str) -> list[DirectoryEntry]:
    """The acceptable entries of one page; ``served_by`` null means the peer itself."""
    entries = []
    for item in page["items"]:
        if not isinstance(item, dict):
            continue
        organ_id, name = item.get("organ_id"), item.get("name")
        parent_id, served_by = item.get("parent_id"), item.get("served_by") or peer_name
        if not (isinstance(organ_id, str) and organ_ids.is_acceptable(organ_id)):
            continue
        if not isinstance(name, str) or not isinstance(served_by, str):
            continue
        if parent_id is not None and not isinstance(parent_id, str):
            parent_id = None
        entries.append(DirectoryEntry(organ_id, name, parent_id, served_by))
    return entries


def default_sources(settings: Settings) -> dict[PeerProtocol, DirectorySource]:
    """The sources this package provides; the composition root adds VXP's."""
    return {PeerProtocol.NATIVE: NativeDirectory(timeout=settings.push_timeout)}


async def sync_peer(
    peers: Peers,
    peer: Peer,
    sources: Mapping[PeerProtocol, DirectorySource],
    *,
    own_name: str,
    actor: str = "directory-sync",
) -> int:
    """Copies one peer's directory; how many remote agencies it now lists."""
    source = sources.get(peer.protocol)
    if source is None:
        raise DirectorySyncFailed(
            f"This axis cannot read the directory of a {peer.protocol} peer ({peer.name!r})."
        )
    entries = await source.entries(peer)
    return await peers.replace_directory(peer.name, entries, own_name=own_name, actor=actor)


def is_due(peer: Peer, period: float, now: datetime) -> bool:
    if peer.outbound_secret is None:
        return False  # nothing to present yet: set-secret first
    synced = peer.directory_synced_at
    return synced is None or (now - synced).total_seconds() >= period


class DirectorySyncer:
    """The background sync of one node: waits for the fleet lease, then syncs due peers."""

    def __init__(
        self,
        pool: Pool,
        peers: Peers,
        settings: Settings,
        sources: Mapping[PeerProtocol, DirectorySource],
    ) -> None:
        self._pool = pool
        self._peers = peers
        self._settings = settings
        self._sources = dict(sources)
        self._task: asyncio.Task[None] | None = None
        self.holds_lease = False
        # Peer name -> when a failed sync may be tried again (monotonic).
        self._failed_until: dict[str, float] = {}

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="peer-directory-sync")

    async def stop(self) -> None:
        task, self._task = self._task, None
        await cancel_and_wait(task)

    async def sync_due(self) -> int:
        """Syncs every peer that is due; how many it synced. A failure is logged, not raised."""
        period = self._settings.peer_sync_seconds
        now = datetime.now(UTC)
        loop_time = asyncio.get_running_loop().time()
        synced = 0
        for peer in await self._peers.list_peers():
            if not is_due(peer, period, now) or self._failed_until.get(peer.name, 0) > loop_time:
                continue
            try:
                await sync_peer(self._peers, peer, self._sources, own_name=self._settings.name)
            except (DirectorySyncFailed, *_LOST) as error:
                # Tried again after a check interval, not in a tight loop; the
                # copy synced before stays in force meanwhile.
                self._failed_until[peer.name] = loop_time + min(period, CHECK_SECONDS)
                logger.warning(
                    "peer directory sync failed",
                    extra={"peer": peer.name, "error": str(getattr(error, "message", error))},
                )
            else:
                self._failed_until.pop(peer.name, None)
                synced += 1
        return synced

    async def _run(self) -> None:
        while True:
            try:
                async with leases.holding(self._pool, LEASE_KEY) as connection:
                    if connection is not None:
                        await self._sync_while_held()
            except _LOST as error:
                logger.warning(
                    "directory sync lost its connection",
                    extra={"error": f"{type(error).__name__}: {error}"},
                )
            await asyncio.sleep(STANDBY_SECONDS)

    async def _sync_while_held(self) -> None:
        self.holds_lease = True
        try:
            while True:
                await self.sync_due()
                await asyncio.sleep(min(CHECK_SECONDS, self._settings.peer_sync_seconds))
        finally:
            self.holds_lease = False
