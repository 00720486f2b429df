"""A VXP peer's directory: ``getAgenciesList`` as rows of ``peer_directory``.

The platform lists every agency it serves (``code``, ``name``, ``pid``); each
becomes a remote agency served by the peer itself (a VXP platform says
nothing of axes behind it). Items without a code, or whose code is not an
OrganId this axis could route, are left out rather than failing the sync.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp

from axis.registry.directory_sync import DirectorySyncFailed
from axis.registry.peers import DirectoryEntry, Peer
from axis.vxp.peer.client import VxpFailed, VxpUnreachable
from axis.vxp.peer.transport import client_for
from envelope import organ_id as organ_ids

logger = logging.getLogger(__name__)


def directory_entries(peer_name: str, items: list[dict[str, Any]]) -> list[DirectoryEntry]:
    agencies: dict[str, DirectoryEntry] = {}
    for item in items:
        code = str(item.get("code") or item.get("id") or "").strip()
        if not organ_ids.is_acceptable(code):
            continue
        parent = str(item.get("pid") or "").strip() or None
        agencies[code] = DirectoryEntry(code, str(item.get("name") or code), parent, peer_name)
    return list(agencies.values())


class VxpDirectorySource:
    """The ``DirectorySource`` of ``protocol = 'vxp'`` peers."""

    def __init__(self, *, timeout: float = 60.0) -> None:
        self._timeout = timeout

    async def entries(self, peer: Peer) -> list[DirectoryEntry]:
        async with aiohttp.ClientSession() as session:
            client = client_for(session, peer, self._timeout)
            if client is None:
                raise DirectorySyncFailed(
                    f"No VXP secret is set for peer {peer.name!r} yet (axis peer set-secret)."
                )
            try:
                items = await client.agencies()
            except (VxpUnreachable, VxpFailed) as error:
                raise DirectorySyncFailed(
                    f"Peer {peer.name!r}'s getAgenciesList cannot be read: {error}"
                ) from None
        entries = directory_entries(peer.name, items)
        logger.info("vxp directory read", extra={"peer": peer.name, "agencies": len(entries)})
        return entries
