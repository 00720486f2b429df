"""What a running axis process holds: settings, database pool and services.

The HTTP surfaces receive this object and call into the broker through it;
they keep no state of their own. ``open_runtime`` builds the services in
dependency order; ``close`` stops what they started.
"""

from __future__ import annotations

from dataclasses import dataclass

from axis.delivery.pull.service import PullDelivery
from axis.expiring_cache import ExpiringCache
from axis.intake.service import Intake
from axis.registry import allowances
from axis.registry.agencies import Agency, Registry
from axis.registry.peer_cache import PeerCache
from axis.registry.peers import Peers
from axis.registry.secret_box import SecretBox, secret_box_for
from axis.registry.trust_cache import TrustCache
from axis.settings import Settings
from axis.storage.database import Pool
from axis.storage.rate_windows import FleetCounters

AUTHENTICATION_TTL = 2.0
# Misses are made-up tokens as often as typos: keep only a few recent ones,
# so a flood of random tokens costs no memory (issue #15).
AUTHENTICATION_MISSES = 256
ALLOWANCES_TTL = 10.0


@dataclass(frozen=True, slots=True)
class Runtime:
    settings: Settings
    pool: Pool
    secret_box: SecretBox
    registry: Registry
    trust: TrustCache
    intake: Intake
    # Bearer secret -> agency, for a couple of seconds: authentication would
    # otherwise be one database round trip per request.
    agencies_by_secret: ExpiringCache[str, Agency | None]
    pull: PullDelivery
    # Requests per source address and per agency, counted fleet-wide.
    rate_counts: FleetCounters
    # "all" -> OrganId -> requests per minute of the agencies with their own.
    allowances: ExpiringCache[str, dict[str, int]]
    # Peer axes (issue 16): the registry, and the per-process snapshot of
    # peers and routes that intake and the relay endpoint ask.
    peers: Peers
    peer_cache: PeerCache
    worker_index: int = 0

    async def close(self) -> None:
        await self.intake.close()
        await self.pull.close()
        await self.rate_counts.close()


def open_runtime(settings: Settings, pool: Pool, worker_index: int = 0) -> Runtime:
    secret_box = secret_box_for(settings)
    registry = Registry(pool, secret_box)
    trust = TrustCache(pool)
    peers = Peers(pool, secret_box)
    peer_cache = PeerCache(peers)
    intake = Intake(settings, pool, registry, trust, peer_cache)
    return Runtime(
        settings=settings,
        pool=pool,
        secret_box=secret_box,
        registry=registry,
        trust=trust,
        intake=intake,
        agencies_by_secret=ExpiringCache(
            registry.by_bearer_secret, ttl=AUTHENTICATION_TTL, max_misses=AUTHENTICATION_MISSES
        ),
        pull=PullDelivery(pool),
        rate_counts=FleetCounters(pool),
        allowances=ExpiringCache(lambda _: allowances.all_allowances(pool), ttl=ALLOWANCES_TTL),
        peers=peers,
        peer_cache=peer_cache,
        worker_index=worker_index,
    )
