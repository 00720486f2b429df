"""Documents and statuses in from VXP peers: polled, committed here, then confirmed there.

A VXP platform does not call anyone: its systems poll. For each VXP peer, a
round lists the received documents, then the received statuses
(``getReceivedEdocList``), fetches each (``getEdoc``) and hands it to the
relay road's ``accept_hop`` as a hop from that peer (origin the peer's
name, origin message id the VXP docId, recipients the envelope's To or a
status's ResponseFor, path the peer alone): the same checks as any hop, and
idempotent on (peer, origin, docId).

Only after that commit does ``updateStatus done`` tell the platform it may
forget the document, so a crash between the two loses nothing: the next
round lists it again and ``accept_hop`` answers a repeat. A document this
axis refuses (an untrusted signature, a sender the peer does not serve) is
confirmed ``fail``, so the platform stops offering it and its sender can
learn why; a fault here (the database away) confirms nothing, and the
document comes again.

One node of a fleet polls at a time: the node that holds the audit
sealer's lease (``leading``). Correctness does not rest on it: two pollers
at once fetch a document twice and commit it once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

import aiohttp

from axis.errors import AxisError, DatabaseUnavailable
from axis.intake.relay import CallingPeer, IncomingHop
from axis.intake.service import Intake
from axis.registry.peers import Peer, PeerProtocol
from axis.tasks import cancel_and_wait
from axis.vocabulary import MessageKind
from axis.vxp.documents import routed_to
from axis.vxp.peer.client import VxpClient, VxpFailed, VxpUnreachable
from axis.vxp.peer.transport import client_for

logger = logging.getLogger(__name__)

POLL_SECONDS = 2.0
# updateStatus values of the SDK's example: committed here, or refused here.
DONE, FAIL = "done", "fail"


class AcceptHop(Protocol):
    """The relay road's ``accept_hop``: commits the hop and returns once it is durable."""

    def __call__(
        self,
        peer: Peer,
        origin: str,
        origin_message_id: str,
        recipients: tuple[str, ...],
        path: tuple[str, ...],
        body: bytes,
    ) -> Awaitable[object]: ...


def accept_through(intake: Intake) -> AcceptHop:
    """The relay road's ``Intake.accept_hop``, for a hop from ``peer`` (the composition root's)."""

    async def accept(
        peer: Peer,
        origin: str,
        origin_message_id: str,
        recipients: tuple[str, ...],
        path: tuple[str, ...],
        body: bytes,
    ) -> object:
        calling = CallingPeer(peer.name, peer.patterns)
        return await intake.accept_hop(
            IncomingHop(calling, origin, origin_message_id, recipients, path, body)
        )

    return accept


def recipients_of(body: bytes) -> tuple[str, ...]:
    """A document's To, a status's ResponseFor; nothing if unreadable (accept_hop refuses)."""
    routed = routed_to(body)
    return tuple(sorted(routed[1])) if routed is not None else ()


class VxpPoller:
    """Polls every VXP peer in turn, every ``interval`` seconds while ``leading()``."""

    def __init__(
        self,
        peers: Callable[[], Awaitable[Sequence[Peer]]],
        accept: AcceptHop,
        *,
        leading: Callable[[], bool] = lambda: True,
        interval: float = POLL_SECONDS,
        timeout: float = 30.0,
    ) -> None:
        self._peers = peers
        self._accept = accept
        self._leading = leading
        self._interval = interval
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession()
        self._task = asyncio.create_task(self._run(), name="vxp-poller")

    async def stop(self) -> None:
        task, self._task = self._task, None
        await cancel_and_wait(task)
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def _run(self) -> None:
        while True:
            taken = 0
            if self._leading():
                try:
                    taken = await self.poll_once()
                except Exception as error:
                    # The peer list needs the database; away, the next round tries again.
                    logger.warning("vxp poll round failed", extra={"error": repr(error)})
            # A round that brought something in is followed at once: a backlog drains.
            if not taken:
                await asyncio.sleep(self._interval)

    async def poll_once(self) -> int:
        """One round over every VXP peer; how many documents and statuses it committed."""
        if self._session is None:
            self._session = aiohttp.ClientSession()
        taken = 0
        for peer in await self._peers():
            if peer.protocol is not PeerProtocol.VXP:
                continue
            client = client_for(self._session, peer, self._timeout)
            if client is None:
                continue
            try:
                for message_type in (MessageKind.DOCUMENT, MessageKind.STATUS):
                    taken += await self._take(peer, client, message_type)
            except (VxpUnreachable, VxpFailed, DatabaseUnavailable) as error:
                # One peer down does not hold up the others; nothing unconfirmed is lost.
                logger.warning(
                    "vxp peer poll failed", extra={"peer": peer.name, "error": str(error)}
                )
        return taken

    async def _take(self, peer: Peer, client: VxpClient, message_type: str) -> int:
        taken = 0
        for item in await client.received(message_type):
            try:
                body = await client.get_edoc(item.doc_id)
            except VxpFailed as error:
                # Listed but not readable (gone meanwhile): the others still come in.
                logger.warning(
                    "vxp document not readable",
                    extra={"peer": peer.name, "doc_id": item.doc_id, "error": str(error)},
                )
                continue
            taken += await self._commit_then_confirm(peer, client, item.doc_id, body)
        return taken

    async def _commit_then_confirm(
        self, peer: Peer, client: VxpClient, doc_id: str, body: bytes
    ) -> int:
        try:
            await self._accept(peer, peer.name, doc_id, recipients_of(body), (peer.name,), body)
        except DatabaseUnavailable:
            raise
        except AxisError as refusal:
            logger.warning(
                "vxp document refused",
                extra={"peer": peer.name, "doc_id": doc_id, "error": str(refusal)},
            )
            await client.update_status(doc_id, FAIL)
            return 0
        await client.update_status(doc_id, DONE)
        return 1
