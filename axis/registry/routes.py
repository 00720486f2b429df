"""Routes to peer axes: which axis serves an OrganId this axis does not.

A peer serves OrganIds described by patterns: an OrganId with ``*`` for any
one segment (``*.*.*.H53``), or a lone ``*`` for every OrganId. A recipient in
the local registry is always delivered here; any other goes to the peer of
the most specific matching pattern (fewest ``*``; a tie goes to the peer whose
name sorts first, so every node of a fleet routes alike); none matching, it is
unknown. Pure values and functions: the registry loads the peers, intake and
the relay endpoint ask.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field

from axis.errors import AxisError

_SEGMENT = re.compile(r"^(\*|[A-Za-z0-9_-]+)$")
_PEER_NAME = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# OrganIds are at most 64 characters, so at most 32 segments.
_EVERYTHING = 64


class InvalidPattern(AxisError):
    """A peer pattern is `*` or dot-separated segments, each `*` or letters, digits, `_`, `-`."""

    code = "peer.invalid_pattern"


class InvalidPeerName(AxisError):
    """A peer name is 1 to 64 letters, digits, '.', '_' or '-' (that axis's AXIS_NAME)."""

    code = "peer.invalid_name"


def check_peer_name(name: str) -> str:
    if not _PEER_NAME.match(name):
        raise InvalidPeerName(
            f"Peer name {name!r} is not 1 to 64 letters, digits, '.', '_' or '-'."
        )
    return name


@dataclass(frozen=True, slots=True)
class PeerPattern:
    """One pattern of OrganIds a peer serves, e.g. ``*.*.*.H53`` or ``*``."""

    text: str
    segments: tuple[str, ...] = field(repr=False)

    @classmethod
    def parse(cls, text: str) -> PeerPattern:
        segments = tuple(text.split("."))
        if not text or not all(_SEGMENT.match(segment) for segment in segments):
            raise InvalidPattern(
                f"Pattern {text!r} is not `*` or dot-separated segments, each `*` or "
                "letters, digits, `_` or `-` (e.g. `*.*.*.H53`, `000.00.00.G22`)."
            )
        return cls(text, segments)

    @property
    def matches_everything(self) -> bool:
        return self.segments == ("*",)

    @property
    def wildcards(self) -> int:
        """How many segments are ``*``: the fewer, the more specific.

        A lone ``*`` matches OrganIds of any length, so it counts as more
        wildcards than any OrganId has segments: it is always the last resort.
        """
        if self.matches_everything:
            return _EVERYTHING
        return sum(1 for segment in self.segments if segment == "*")

    def matches(self, organ_id: str) -> bool:
        if self.matches_everything:
            return True
        parts = organ_id.split(".")
        if len(parts) != len(self.segments):
            return False
        return all(
            segment in ("*", part) for segment, part in zip(self.segments, parts, strict=True)
        )


@dataclass(frozen=True, slots=True)
class PeerRoute:
    """What routing needs of a peer: its name and the patterns it serves."""

    peer_name: str
    patterns: tuple[PeerPattern, ...]

    def serves(self, organ_id: str) -> bool:
        return any(pattern.matches(organ_id) for pattern in self.patterns)


@dataclass(frozen=True, slots=True)
class Routing:
    """Where each recipient of one message goes."""

    local: tuple[str, ...]
    # Peer name -> the recipients that hop carries, in the message's order.
    by_peer: Mapping[str, tuple[str, ...]]
    unknown: tuple[str, ...]


class RouteTable:
    """Every peer's patterns, ordered once so each look-up is a short scan."""

    def __init__(self, routes: Iterable[PeerRoute]) -> None:
        self._routes = tuple(routes)
        ordered = [
            (pattern.wildcards, route.peer_name, pattern)
            for route in self._routes
            for pattern in route.patterns
        ]
        ordered.sort(key=lambda entry: (entry[0], entry[1]))
        self._ordered = tuple((peer_name, pattern) for _, peer_name, pattern in ordered)

    @property
    def routes(self) -> tuple[PeerRoute, ...]:
        return self._routes

    def peer_for(self, organ_id: str) -> str | None:
        """The peer that serves ``organ_id`` by the most specific pattern, or None."""
        for peer_name, pattern in self._ordered:
            if pattern.matches(organ_id):
                return peer_name
        return None

    def route(
        self,
        recipients: Iterable[str],
        *,
        is_local: Callable[[str], bool],
        known_remotely: Callable[[str, str], bool] | None = None,
    ) -> Routing:
        """Sorts recipients into local, one group per peer, and unknown.

        ``known_remotely(peer_name, organ_id)`` answers from a synced
        directory: False sends the recipient to ``unknown``. It should answer
        True for a peer whose directory was never synced, so the far end decides.
        """
        local: list[str] = []
        by_peer: dict[str, list[str]] = {}
        unknown: list[str] = []
        for organ_id in recipients:
            if is_local(organ_id):
                local.append(organ_id)
                continue
            peer_name = self.peer_for(organ_id)
            if peer_name is None or (
                known_remotely is not None and not known_remotely(peer_name, organ_id)
            ):
                unknown.append(organ_id)
            else:
                by_peer.setdefault(peer_name, []).append(organ_id)
        return Routing(
            local=tuple(local),
            by_peer={name: tuple(group) for name, group in by_peer.items()},
            unknown=tuple(unknown),
        )


def parse_patterns(texts: Collection[str]) -> tuple[PeerPattern, ...]:
    """Parses a peer's ``--serves`` patterns, refusing none and duplicates."""
    if not texts:
        raise InvalidPattern("A peer serves at least one pattern (--serves PATTERN).")
    patterns = tuple(PeerPattern.parse(text) for text in texts)
    seen: set[str] = set()
    for pattern in patterns:
        if pattern.text in seen:
            raise InvalidPattern(f"Pattern {pattern.text!r} is given twice.")
        seen.add(pattern.text)
    return patterns
