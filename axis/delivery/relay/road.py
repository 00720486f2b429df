"""The outbound relay road: turns a claimed group of relay deliveries into a hop and sends it.

The push worker owns claiming, leases, backoff, circuits and the retry
budget; this object knows the peers (their URL, protocol and the secret this
axis presents, read from the process's peer snapshot,
:class:`axis.registry.peer_cache.PeerCache`) and which :class:`HopTransport`
speaks each protocol. The composition root gives it the transports, so a
VXP peer's transport plugs in beside the native one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

import aiohttp

from axis.delivery.push.claims import RelayClaim
from axis.delivery.relay.hop import Hop, HopOutcome, HopTransport
from axis.delivery.relay.native import NativeTransport
from axis.registry.peer_cache import PeerCache
from axis.registry.peers import Peer
from axis.settings import Settings

logger = logging.getLogger(__name__)

# A transport for one protocol, built on the road's HTTP session and time limit.
TransportFactory = Callable[[aiohttp.ClientSession, float], HopTransport]
NATIVE_TRANSPORTS: Mapping[str, TransportFactory] = {"native": NativeTransport}


class RelayRoad:
    def __init__(
        self,
        settings: Settings,
        peers: PeerCache,
        transports: Mapping[str, TransportFactory] = NATIVE_TRANSPORTS,
    ) -> None:
        self._settings = settings
        self._factories = dict(transports)
        self._transports: dict[str, HopTransport] = {}
        self._session: aiohttp.ClientSession | None = None
        self._peers = peers

    @property
    def session(self) -> aiohttp.ClientSession:
        assert self._session is not None, "the relay road is not started"
        return self._session

    async def peer(self, name: str) -> Peer | None:
        return await self._peers.peer(name)

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(auto_decompress=False)
        self._transports = {
            protocol: factory(self._session, self._settings.push_timeout)
            for protocol, factory in self._factories.items()
        }

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    def hop(self, claim: RelayClaim, peer: Peer) -> Hop:
        """The hop for ``claim``: the origin's key kept, this axis added to the path."""
        own = self._settings.name
        return Hop(
            peer=peer,
            message_id=claim.message_id,
            origin=claim.origin or own,
            origin_message_id=claim.origin_message_id or claim.message_id,
            recipients=claim.recipients,
            path=(*claim.path, own) if claim.origin else (own,),
            body=claim.body,
        )

    async def send(self, claim: RelayClaim) -> HopOutcome:
        """Sends one hop; never raises for what the peer does (the database may)."""
        peer = await self.peer(claim.peer_name)
        if peer is None:
            return HopOutcome.refused(
                "relay.peer_removed", f"{claim.peer_name} is no longer a peer."
            )
        transport = self._transports.get(peer.protocol)
        if transport is None:
            return HopOutcome.retry(
                f"no transport for protocol '{peer.protocol}' here", peer_failed=False
            )
        return await transport.send(self.hop(claim, peer))
