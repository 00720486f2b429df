"""Hops to a VXP peer: ``sendEdoc`` with the original bytes, the answer as a hop outcome.

A VXP platform has no relay call: the hop is the SDK's sendEdoc of the
signed envelope, byte for byte, with ``messagetype`` from the envelope's
kind, ``from`` its From/OrganId and ``to`` the recipients this hop carries.
What the answer means for the deliveries:

* ``OK`` is accepted (the platform's DocId names it there);
* ``FAIL`` with an ErrorCode of 408, 429 or 5xx, and no VXP answer at all
  (network error, timeout, a proxy's page) are retried by the push road;
* any other ``FAIL`` is permanent: the deliveries go dead with the code. The
  axis's own VXP surface writes intake refusals as ``"<code>: <detail>"``
  (``signature.untrusted: …``), so that code is kept; otherwise the code is
  ``vxp.<ErrorCode>``.

A sendEdoc whose answer was lost is sent again; the axis's VXP surface
answers a resend with the same DocId (whether the national platform
deduplicates is UNCERTAIN in the SDK's description).
"""

from __future__ import annotations

import logging
import re
from typing import Any, Protocol

import aiohttp

from axis.delivery.relay.hop import Hop, HopOutcome
from axis.vocabulary import MessageKind
from axis.vxp.peer.client import Reply, VxpClient, VxpUnreachable
from envelope import EnvelopeError, parse

logger = logging.getLogger(__name__)

_REFUSAL_CODE = re.compile(r"^([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+): (.*)$", re.DOTALL)
_RETRIED_CODES = frozenset({"408", "429"})


class VxpAddress(Protocol):
    """What reaching a VXP peer takes (the registry's peers, and the relay road's, have it)."""

    @property
    def name(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def system_id(self) -> str | None: ...
    @property
    def outbound_secret(self) -> str | None: ...


def client_for(
    session: aiohttp.ClientSession, peer: VxpAddress, timeout: float
) -> VxpClient | None:
    """The peer's client, or None while its system id or secret is not set."""
    if not peer.system_id or not peer.outbound_secret:
        return None
    return VxpClient(session, peer.url, peer.system_id, peer.outbound_secret, timeout=timeout)


def retried(error_code: str) -> bool:
    return error_code in _RETRIED_CODES or (len(error_code) == 3 and error_code.startswith("5"))


def outcome_of(reply: Reply) -> HopOutcome:
    answer = reply.answer
    if answer.ok:
        return HopOutcome.relayed()
    if retried(answer.error_code):
        # 429 is the peer pacing us, not failing: it does not count against its circuit.
        return HopOutcome.retry(
            f"VXP {answer.error_code}: {answer.description}",
            retry_after=reply.retry_after,
            peer_failed=answer.error_code != "429",
        )
    found = _REFUSAL_CODE.match(answer.description)
    if found is not None:
        return HopOutcome.refused(found.group(1), found.group(2))
    return HopOutcome.refused(f"vxp.{answer.error_code}", answer.description)


def _addressing(body: bytes) -> tuple[str, str] | None:
    """(messagetype, sender) of the envelope; intake already read it, so it parses."""
    try:
        message: Any = parse(body)
    except EnvelopeError:
        return None
    kind = MessageKind.STATUS if message.kind == MessageKind.STATUS else MessageKind.DOCUMENT
    sender = message.sender.organ_id if message.sender is not None else ""
    return kind, sender


class VxpHopTransport:
    """The ``HopTransport`` of ``protocol = 'vxp'`` peers."""

    def __init__(self, session: aiohttp.ClientSession, time_limit: float) -> None:
        # The relay road's session and time limit (its ``TransportFactory``).
        self._session = session
        self._time_limit = time_limit

    async def send(self, hop: Hop) -> HopOutcome:
        client = client_for(self._session, hop.peer, self._time_limit)
        if client is None:
            return HopOutcome.retry(
                f"peer {hop.peer.name} has no VXP system id or secret yet", peer_failed=False
            )
        addressing = _addressing(hop.body)
        if addressing is None:
            return HopOutcome.refused("vxp.unreadable", "The envelope could not be read.")
        message_type, sender = addressing
        try:
            reply = await client.send_edoc(
                hop.body, sender=sender, message_type=message_type, to=hop.recipients
            )
        except VxpUnreachable as error:
            logger.info("vxp peer unreachable", extra={"peer": hop.peer.name, "error": str(error)})
            return HopOutcome.retry(str(error), retry_after=error.retry_after)
        outcome = outcome_of(reply)
        logger.info(
            "vxp hop sent",
            extra={
                "peer": hop.peer.name,
                "message_id": hop.message_id,
                "accepted": outcome.accepted,
                "code": outcome.code,
                "doc_id": reply.answer.extra.get("DocId", ""),
            },
        )
        return outcome
