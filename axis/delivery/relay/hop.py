"""One hop: a message carried to a peer axis for the recipients that peer serves.

The push worker claims a peer's relay deliveries through the push road's
claims, leases, backoff, circuit breaker and retry budget, groups those of
one message into one :class:`Hop`, and hands it to the peer's
:class:`HopTransport` (native: ``POST {url}/api/v1/relay``; a VXP peer's is
plugged in by the composition root). The :class:`HopOutcome` says what the
push road does next: relayed, dead with the peer's code, or retried.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from axis.delivery.push.client import PushOutcome, PushResult
from axis.registry.peers import Peer

_DETAIL_CHARACTERS = 300


@dataclass(frozen=True, slots=True)
class Hop:
    peer: Peer
    message_id: str
    # The axis where the message entered the federation, and its id there.
    origin: str
    origin_message_id: str
    recipients: tuple[str, ...]
    # The axes it has crossed, origin first, this one last.
    path: tuple[str, ...]
    body: bytes


@dataclass(frozen=True, slots=True)
class HopOutcome:
    """What the peer did with a hop."""

    accepted: bool
    # A permanent refusal: the peer's problem code and detail.
    code: str | None = None
    detail: str | None = None
    # Worth retrying: what went wrong, and when the peer asked to be called again.
    error: str | None = None
    retry_after: float | None = None
    # The peer itself misbehaved (5xx, network, timeout): counts against its circuit.
    peer_failed: bool = False

    @classmethod
    def relayed(cls) -> HopOutcome:
        return cls(accepted=True)

    @classmethod
    def refused(cls, code: str, detail: str) -> HopOutcome:
        return cls(accepted=False, code=code, detail=detail)

    @classmethod
    def retry(
        cls, error: str, *, retry_after: float | None = None, peer_failed: bool = True
    ) -> HopOutcome:
        return cls(accepted=False, error=error, retry_after=retry_after, peer_failed=peer_failed)

    @property
    def permanent(self) -> bool:
        return self.code is not None

    def as_push_outcome(self) -> PushOutcome:
        """The push road's view: relayed counts as delivered to the peer."""
        if self.accepted:
            return PushOutcome(PushResult.DELIVERED)
        if self.code is not None:
            error = f"{self.code}: {self.detail or ''}".strip()[:_DETAIL_CHARACTERS]
            return PushOutcome(PushResult.DEAD, error)
        return PushOutcome(
            PushResult.RETRY, self.error, retry_after=self.retry_after,
            endpoint_failed=self.peer_failed,
        )  # fmt: skip


class HopTransport(Protocol):
    async def send(self, hop: Hop) -> HopOutcome: ...
