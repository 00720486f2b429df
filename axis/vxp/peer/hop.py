"""PROVISIONAL: the outbound hop interface of fed.md, until ``axis.delivery.relay`` lands.

fed-road owns the real one; this file is replaced by an import of it at merge.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol


@dataclass(frozen=True, slots=True)
class Hop:
    peer: Any
    message_id: str
    origin: str
    origin_message_id: str
    recipients: tuple[str, ...]
    path: tuple[str, ...]
    body: bytes


@dataclass(frozen=True, slots=True)
class HopOutcome:
    kind: Literal["accepted", "permanent", "retryable"]
    code: str = ""
    detail: str = ""
    retry_after: float | None = None

    @classmethod
    def accepted(cls) -> HopOutcome:
        return cls("accepted")

    @classmethod
    def permanent(cls, code: str, detail: str) -> HopOutcome:
        return cls("permanent", code, detail)

    @classmethod
    def retryable(cls, detail: str, retry_after: float | None = None) -> HopOutcome:
        return cls("retryable", "", detail, retry_after)


class HopTransport(Protocol):
    async def send(self, hop: Hop) -> HopOutcome: ...
