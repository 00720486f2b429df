"""Rate limits per source address and per agency, answered ``429`` with ``Retry-After``.

Two allowances, both per minute and fleet-wide (``axis.storage.rate_windows``):

- a **source address** may make ``AXIS_RATE_LIMIT_SOURCE_PER_MINUTE``
  requests that prove no one: no agency secret, no operator token, no
  signed-in session. Those are what a stranger can send, so a flood of them
  stops at the door (before authentication's database look-up). An agency
  behind a flooded address keeps working if its token proved it lately
  (a bounded set of token digests); a VXP caller there does not (its HMAC
  is checked inside the VXP service);
- an **agency** may make ``AXIS_RATE_LIMIT_AGENCY_PER_MINUTE`` requests, or
  its own allowance (``axis agency set --requests-per-minute``), checked
  when its credentials are (``endpoints.authentication``).

The native API answers a problem body (``rate.limited``); the VXP surface
keeps its convention (HTTP 200, the SDK reads the body) with ``status:
FAIL`` and ``ErrorCode: 429``; pages get a short text. ``/healthz``,
``/readyz`` and ``/metrics`` are never limited: probes must see the truth.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from aiohttp import web

from axis import metrics
from axis.runtime import Runtime
from axis.vxp import wire
from endpoints.keys import RUNTIME
from endpoints.problems import Problem

# Set on a request once it proved who sent it (agency, operator, session).
IDENTIFIED = web.RequestKey("axis_identified", bool)
_UNLIMITED = ("/healthz", "/readyz", "/metrics")


# Digests of bearer tokens that proved an agency lately: an agency behind an
# address a stranger floods keeps working without costing a look-up per try.
_RECENT_TOKENS_KEPT = 10_000
_recent_tokens: OrderedDict[bytes, None] = OrderedDict()


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).digest()


def proved(token: str) -> None:
    """Remembers that ``token`` proved an agency (called by authentication)."""
    digest = _digest(token)
    _recent_tokens[digest] = None
    _recent_tokens.move_to_end(digest)
    while len(_recent_tokens) > _RECENT_TOKENS_KEPT:
        _recent_tokens.popitem(last=False)


def _carries_a_proven_token(request: web.Request) -> bool:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and _digest(token.strip()) in _recent_tokens


class RateLimited(Exception):
    """Over an allowance; ``retry_after`` is in seconds."""

    def __init__(self, limit: str, retry_after: float) -> None:
        super().__init__(f"over the {limit} allowance")
        self.limit = limit
        self.retry_after = max(1, math.ceil(retry_after))


def source_of(request: web.Request) -> str:
    """The caller's address; a trusted proxy's X-Forwarded-For names the one before it."""
    remote = request.remote or ""
    if remote in request.app[RUNTIME].settings.trusted_proxies:
        forwarded = request.headers.get("X-Forwarded-For", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-1][:64]
    return remote


def identified(request: web.Request) -> None:
    """Marks the request as sent by someone known: it no longer counts against its address."""
    request[IDENTIFIED] = True


async def check_agency(request: web.Request, organ_id: str) -> None:
    """Counts one request of ``organ_id``; raises :class:`RateLimited` when over."""
    await admit_agency(request.app[RUNTIME], organ_id)


async def admit_agency(runtime: Runtime, organ_id: str) -> None:
    """:func:`check_agency` without a request (the VXP service calls it after the HMAC)."""
    own = await runtime.allowances.get("all")
    allowance = own.get(organ_id, runtime.settings.rate_limit_agency_per_minute)
    wait = runtime.rate_counts.admit("agency:" + organ_id, allowance)
    if wait is not None:
        raise RateLimited("agency", wait)


def _vxp_prefix(request: web.Request) -> str:
    return "/" + request.app[RUNTIME].settings.vxp_prefix.strip("/")


def too_many(request: web.Request, refusal: RateLimited) -> web.Response:
    metrics.record_rate_limited(refusal.limit)
    headers = {"Retry-After": str(refusal.retry_after)}
    detail = f"Too many requests for this {refusal.limit}; try again in {refusal.retry_after} s."
    if request.path.startswith(_vxp_prefix(request)):
        answer = wire.failure("429", detail)
        return web.Response(
            status=200, body=answer.encode(), content_type="application/json", headers=headers
        )
    if request.path.startswith("/ui"):
        return web.Response(
            status=429,
            text=f"Quá nhiều yêu cầu; vui lòng thử lại sau {refusal.retry_after} giây.",
            headers=headers,
        )
    response = Problem(429, "rate.limited", detail).response()
    response.headers.update(headers)
    return response


# How ``axis.vxp.wire`` encodes an authentication failure: compact JSON,
# "status" then "ErrorCode" first. Read from the start of the body, never
# parsed: a getEdoc answer can be large.
_VXP_UNAUTHENTICATED = json.dumps(
    {"status": "FAIL", "ErrorCode": wire.UNAUTHORISED}, separators=(",", ":")
).encode()[:-1]


def _unauthenticated_vxp(response: web.StreamResponse) -> bool:
    # The VXP surface answers HTTP 200 either way: its FAIL 401 says the
    # signature did not prove an agency (downloadEdoc answers empty instead).
    if not isinstance(response, web.Response) or not isinstance(response.body, bytes):
        return False
    if response.content_type == "application/octet-stream":
        return not response.body
    return response.body.startswith(_VXP_UNAUTHENTICATED)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def rate_limit_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path in _UNLIMITED:
        return await handler(request)
    runtime = request.app[RUNTIME]
    key = "source:" + source_of(request)
    wait = runtime.rate_counts.wait_for(key, runtime.settings.rate_limit_source_per_minute)
    if wait is not None and not _carries_a_proven_token(request):
        return too_many(request, RateLimited("source", wait))
    response: web.StreamResponse | None = None
    try:
        response = await handler(request)
    except RateLimited as refusal:
        return too_many(request, refusal)
    finally:
        anonymous = not request.get(IDENTIFIED, False)
        if anonymous and request.path.startswith(_vxp_prefix(request)) and response is not None:
            anonymous = _unauthenticated_vxp(response)
        if anonymous:
            runtime.rate_counts.count(key)
    return response
