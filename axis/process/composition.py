"""The composition root: what one axis process runs, and where the broker meets HTTP.

A process has a :class:`Role`. Its background work (this process's push
worker, one claim loop, the statistics refresher that keeps
``delivery_facts`` current, and the audit sealer, which seals on one node
of the fleet at a time) is started and stopped by the process through
:func:`background_work`, never by a web application's cleanup context, so a
node can run it without serving the APIs (``axis work``) or serve the APIs
without it (``axis serve --no-work``).

Every process is a node of the fleet (:mod:`axis.fleet`): the background
work and the APIs each join it while they run, so a node beats whatever its
role, and its push worker leases under the node's id, which lets any live
node give a dead node's leases back at once.

The web applications themselves are built in ``endpoints.application``;
this module is the only one of ``axis`` that imports ``endpoints``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from enum import StrEnum

from aiohttp import web

from axis.audit.sealer import AuditSealer
from axis.delivery.push.worker import DeliveryWorker
from axis.delivery.relay.events import EventReporter
from axis.delivery.relay.road import NATIVE_TRANSPORTS, RelayRoad, TransportFactory
from axis.fleet import nodes
from axis.intake.sealing import seal_key_for
from axis.registry.directory_sync import DirectorySource, DirectorySyncer, default_sources
from axis.registry.peers import PeerProtocol
from axis.retention.policy import Policy
from axis.retention.task import Archiving, RetentionTask
from axis.runtime import Runtime
from axis.settings import Settings
from axis.stats.refresh import StatsRefresher
from axis.vxp.peer.directory import VxpDirectorySource
from axis.vxp.peer.poller import VxpPoller, accept_through
from axis.vxp.peer.transport import VxpHopTransport
from endpoints.application import build_application, build_operations_application


class Role(StrEnum):
    """What a node does: the command that starts it chooses."""

    ALL = "all"  # axis serve: the APIs and pages, and the background work
    API = "api"  # axis serve --no-work: the APIs and pages only
    WORK = "work"  # axis work: the background work, with health and metrics only

    @property
    def serves_api(self) -> bool:
        return self is not Role.WORK

    @property
    def does_work(self) -> bool:
        return self is not Role.API

    @property
    def command(self) -> tuple[str, ...]:
        """The ``axis`` arguments that start a process of this role (for a supervisor)."""
        return {
            Role.ALL: ("serve",),
            Role.API: ("serve", "--no-work"),
            Role.WORK: ("work",),
        }[self]


@dataclass(frozen=True, slots=True)
class BackgroundWork:
    delivery_worker: DeliveryWorker
    stats_refresher: StatsRefresher
    audit_sealer: AuditSealer
    retention: RetentionTask
    directory_syncer: DirectorySyncer
    vxp_poller: VxpPoller


def relay_transports() -> dict[str, TransportFactory]:
    """How the relay road reaches each kind of peer: natively, or as the VXP SDK does."""
    return {**NATIVE_TRANSPORTS, str(PeerProtocol.VXP): VxpHopTransport}


def directory_sources(settings: Settings) -> dict[PeerProtocol, DirectorySource]:
    """Where each kind of peer's directory is read from (the VXP surface adds its own)."""
    return {
        **default_sources(settings),
        PeerProtocol.VXP: VxpDirectorySource(timeout=settings.push_timeout),
    }


@contextlib.asynccontextmanager
async def background_work(runtime: Runtime) -> AsyncIterator[BackgroundWork]:
    """Runs the push worker, statistics refresher, audit sealer, retention task,
    directory sync and VXP poller while the block runs.

    On exit the sealer gives up its lease (another node takes it over), the
    refresher stops, then the worker stops claiming, lets pushes
    in flight finish (bounded by the shutdown timeout) and releases the
    leases it could not finish, so another node picks them up at once.
    """
    async with contextlib.AsyncExitStack() as running:
        node = await running.enter_async_context(nodes.present(runtime.pool, nodes.Part.WORK))
        # Hops to peer axes ride the push worker; each peer protocol has its
        # transport here (a VXP peer's joins NATIVE_TRANSPORTS).
        relay = RelayRoad(runtime.settings, runtime.peer_cache, relay_transports())
        worker = DeliveryWorker(
            runtime.settings, runtime.pool, runtime.registry, owner=node.node_id, relay=relay
        )
        await worker.start()
        running.push_async_callback(worker.stop)
        # Transport events owed to the peers messages came from; on the road's session.
        reporter = EventReporter(runtime.pool, relay, owner=node.node_id)
        await reporter.start()
        running.push_async_callback(reporter.stop)
        refresher = StatsRefresher(runtime.pool, runtime.settings)
        await refresher.start()
        running.push_async_callback(refresher.stop)
        # One node of the fleet seals at a time; the others stand by for its lease.
        # audit_sealer.holder is this node's id, so the fleet's views can name it.
        sealer = AuditSealer(runtime.pool, holder=node.node_id)
        await sealer.start()
        running.push_async_callback(sealer.stop)
        # The daily retention run, under a lease of the same kind as the sealer's.
        retention = RetentionTask(
            runtime.pool,
            Policy.from_settings(runtime.settings),
            _archiving(runtime.settings),
            holder=node.node_id,
        )
        await retention.start()
        running.push_async_callback(retention.stop)
        # Peers' directories are copied by one node of the fleet at a time, too.
        syncer = DirectorySyncer(
            runtime.pool, runtime.peers, runtime.settings, directory_sources(runtime.settings)
        )
        await syncer.start()
        running.push_async_callback(syncer.stop)
        # VXP peers do not call: one node polls them, the one holding the sealer's lease.
        poller = VxpPoller(
            runtime.peer_cache.peers,
            accept_through(runtime.intake),
            leading=lambda: sealer.holds_lease,
        )
        await poller.start()
        running.push_async_callback(poller.stop)
        yield BackgroundWork(worker, refresher, sealer, retention, syncer, poller)


def _archiving(settings: Settings) -> Archiving | None:
    """Bundles go to AXIS_ARCHIVE_DIR, signed with the seal key; unset: never purged."""
    if settings.archive_dir is None:
        return None
    return Archiving(settings.archive_dir, lambda: seal_key_for(settings))


def web_application(runtime: Runtime, role: Role) -> web.Application:
    """The HTTP application a node of ``role`` listens with.

    A node serving the APIs is in the fleet while its application runs
    (with ``--no-work`` that is its only part); the process, not the
    application, runs the background work.
    """
    if not role.serves_api:
        return build_operations_application(runtime)
    app = build_application(runtime)

    async def in_the_fleet(_app: web.Application) -> AsyncIterator[None]:
        async with nodes.present(runtime.pool, nodes.Part.API):
            yield

    app.cleanup_ctx.append(in_the_fleet)
    return app
