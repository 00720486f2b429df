"""The federation surface: hops from peer axes, and the transport events they report.

``POST /api/v1/relay`` takes the original envelope's bytes with the
federation headers (federation.md, "The hop") from a peer that proves itself
with the bearer secret this axis issued it; intake checks and stores it as
it does a submission (:meth:`axis.intake.service.Intake.accept_hop`).
``POST /api/v1/relay/events`` takes ``{"items": [...]}`` of transport events
for recipients this axis relayed to that peer (:mod:`axis.delivery.relay.events`).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from aiohttp import web

from axis.boundary import MESSAGE_ID, ORGAN_ID
from axis.delivery.relay import events
from axis.intake.refusals import MessageTooLarge, Unauthenticated
from axis.intake.relay import MAX_PATH, CallingPeer, IncomingHop
from axis.registry.peers import Peer
from axis.registry.routes import InvalidPeerName, check_peer_name
from axis.vocabulary import ReceivedVia, TransportState
from endpoints import rate_limits
from endpoints.boundary import json_body
from endpoints.keys import RUNTIME
from endpoints.problems import Problem

_MAX_EVENTS = 1000
_MAX_RECIPIENTS = 1000


def _json(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.Response(
        status=status,
        body=json.dumps(body, ensure_ascii=False).encode(),
        content_type="application/json",
        charset="utf-8",
    )


def _bearer(request: web.Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


async def _calling_peer(request: web.Request) -> Peer:
    """The peer whose secret the request carries; 401 (counted at the door) otherwise."""
    runtime = request.app[RUNTIME]
    token = _bearer(request)
    if token is None:
        refusal = Unauthenticated(
            "The request carries no 'Authorization: Bearer <secret>' header.", code="auth.missing"
        )
        raise await runtime.intake.refuse(
            refusal, None, received_via=ReceivedVia.RELAY, source=request.remote or ""
        )
    # The process's peer snapshot holds every peer's lookup digest: no round
    # trip per hop, and a made-up token costs a comparison, never a cache entry.
    peer = await runtime.peer_cache.peer_by_bearer(token)
    if peer is None:
        refusal = Unauthenticated("The bearer secret does not belong to any peer axis.")
        raise await runtime.intake.refuse(
            refusal, None, received_via=ReceivedVia.RELAY, source=request.remote or ""
        )
    # A proven peer is no stranger: its hops do not count against its address's
    # allowance (a whole province's traffic comes from that one address).
    rate_limits.identified(request)
    rate_limits.proved(token)
    return peer


def _header(request: web.Request, name: str) -> str:
    value = request.headers.get(name, "").strip()
    if not value:
        raise Problem(400, "relay.header_missing", f"The hop carries no {name} header.")
    return value


def _names(request: web.Request, name: str, limit: int) -> tuple[str, ...]:
    values = tuple(part.strip() for part in _header(request, name).split(","))
    if len(values) > limit or any(not value for value in values):
        raise Problem(
            400, "relay.header_invalid", f"{name} is not a list of names (at most {limit})."
        )
    return values


def _hop(request: web.Request, peer: Peer, body: bytes) -> IncomingHop:
    path = _names(request, "X-Axis-Path", 64)
    try:
        origin = check_peer_name(_header(request, "X-Axis-Origin"))
        for name in path:
            check_peer_name(name)
    except InvalidPeerName as error:
        raise Problem(400, "relay.header_invalid", error.message) from None
    return IncomingHop(
        peer=CallingPeer(peer.name, peer.patterns),
        origin=origin,
        origin_message_id=MESSAGE_ID.named("X-Axis-Origin-Message-Id").check(
            _header(request, "X-Axis-Origin-Message-Id")
        ),
        recipients=tuple(
            ORGAN_ID.named("X-Axis-Recipients").check(organ_id)
            for organ_id in _names(request, "X-Axis-Recipients", _MAX_RECIPIENTS)
        ),
        path=path,
        body=body,
    )


async def relay(request: web.Request) -> web.Response:
    """A hop: ``202`` with this axis's message, ``200`` with the same body for a repeat."""
    peer = await _calling_peer(request)
    intake = request.app[RUNTIME].intake
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise await intake.refuse(
            MessageTooLarge(f"The message is over {intake.max_message_bytes} bytes."),
            peer.name,
            received_via=ReceivedVia.RELAY,
        ) from None
    accepted = await intake.accept_hop(_hop(request, peer, body))
    return _json(accepted.body(), 202 if accepted.created else 200)


def _event(item: Any) -> events.TransportEvent:
    if not isinstance(item, dict):
        raise Problem(400, "relay.event_invalid", "Each item is an object.")
    try:
        state = TransportState(str(item.get("state")))
        if state not in events.REPORTED_STATES:
            raise ValueError(state)
        detail = item.get("detail")
        return events.TransportEvent(
            origin=check_peer_name(str(item["origin"])),
            origin_message_id=MESSAGE_ID.check(str(item["origin_message_id"])),
            recipient=ORGAN_ID.check(str(item["recipient"])),
            state=state,
            at=datetime.fromisoformat(str(item["at"])),
            detail=None if detail is None else str(detail)[:500],
        )
    except (KeyError, ValueError, InvalidPeerName) as error:
        raise Problem(
            400,
            "relay.event_invalid",
            "Each item needs origin, origin_message_id, recipient, state (delivered, acked "
            f"or dead) and at (ISO 8601): {error}.",
        ) from None


async def relay_events(request: web.Request) -> web.Response:
    """Transport events for recipients this axis relayed to the calling peer."""
    peer = await _calling_peer(request)
    body = await json_body(request)
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list) or len(items) > _MAX_EVENTS:
        raise Problem(
            400, "relay.event_invalid", f'The body is {{"items": [...]}}, at most {_MAX_EVENTS}.'
        )
    runtime = request.app[RUNTIME]
    applied = await events.apply(
        runtime.pool, peer.name, runtime.settings.name, [_event(item) for item in items]
    )
    return _json({"received": len(items), "applied": applied})


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/v1/relay", relay)
    app.router.add_post("/api/v1/relay/events", relay_events)


__all__ = ["MAX_PATH", "add_routes"]
