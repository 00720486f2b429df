"""A hop relayed in by a peer axis: what it claims, and the peer rules it must pass.

The envelope itself goes through intake's own checks (hardened parse,
signature against this axis's trust anchors, the recipients routed), in
:meth:`axis.intake.service.Intake.accept_hop`, the same code as a
submission; this module adds what only a hop has: the calling peer serves
the sender, the hop's recipients are the envelope's, and the path has no
loop (federation.md, "The hop").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from axis.intake.records import HopReceived
from axis.intake.refusals import InvalidMessage, RelayLoop, SenderNotServed
from axis.registry.routes import PeerPattern

# A path of more than this many axes is a loop too.
MAX_PATH = 8


@dataclass(frozen=True, slots=True)
class CallingPeer:
    """What intake needs of the peer that called: its name and the OrganIds it serves."""

    name: str
    patterns: tuple[PeerPattern, ...]

    def serves(self, organ_id: str) -> bool:
        return any(pattern.matches(organ_id) for pattern in self.patterns)


@dataclass(frozen=True, slots=True)
class IncomingHop:
    """``POST /api/v1/relay``: the envelope's bytes and the federation headers."""

    peer: CallingPeer
    origin: str
    origin_message_id: str
    recipients: tuple[str, ...]
    path: tuple[str, ...]
    body: bytes

    @property
    def received(self) -> HopReceived:
        return HopReceived(self.peer.name, self.origin, self.origin_message_id, self.path)


def check_path(hop: IncomingHop, own_name: str) -> None:
    """``508 relay.loop`` when this axis is on the path already or the path is too long."""
    if own_name in hop.path:
        raise RelayLoop(
            f"This axis ({own_name}) is already on the message's path "
            f"({', '.join(hop.path)}): relaying it again would loop."
        )
    if len(hop.path) > MAX_PATH:
        raise RelayLoop(
            f"The message has crossed {len(hop.path)} axes ({', '.join(hop.path)}); "
            f"at most {MAX_PATH} are allowed."
        )


def check_sender(hop: IncomingHop, sender_id: str, *, is_local: bool) -> None:
    """The envelope's sender must be one the calling peer serves, and not one of ours."""
    if is_local or not hop.peer.serves(sender_id):
        raise SenderNotServed(
            f"The envelope's From/OrganId is {sender_id!r}, which {hop.peer.name} does not "
            "serve, so it may not relay it here.",
        )


def hop_recipients(hop: IncomingHop, envelope_recipients: Sequence[str]) -> list[str]:
    """The recipients this hop carries the document for: named by the hop, each one of
    the envelope's own (a peer cannot add recipients the sender did not sign for)."""
    stray = [organ_id for organ_id in hop.recipients if organ_id not in envelope_recipients]
    if stray or not hop.recipients:
        raise InvalidMessage(
            f"X-Axis-Recipients names {', '.join(stray) or 'nobody'}, not among the "
            "envelope's recipients.",
            code="relay.recipients_invalid",
        )
    return list(dict.fromkeys(hop.recipients))
