"""PROVISIONAL: the outbound hop interface of ``axis.delivery.relay.hop`` (fed-road's).

Mirrors fed-road's names so that reconciling is replacing this module's
imports with ``axis.delivery.relay.hop``; deleted at that merge.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from axis.registry.peers import Peer


@dataclass(frozen=True, slots=True)
class Hop:
    peer: Peer
    message_id: str
    origin: str
    origin_message_id: str
    recipients: tuple[str, ...]
    path: tuple[str, ...]
    body: bytes


@dataclass(frozen=True, slots=True)
class HopOutcome:
    accepted: bool
    code: str | None = None
    detail: str | None = None
    error: str | None = None
    retry_after: float | None = None
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


class HopTransport(Protocol):
    async def send(self, hop: Hop) -> HopOutcome: ...
