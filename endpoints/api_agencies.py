"""The agency directory: ``GET /api/v1/agencies`` and ``GET /api/v1/agencies/{organ_id}``.

Readable by any active agency (bearer secret), by operators (operator
token) and by peer axes (the bearer this axis issued them: a peer copies
this directory, see :mod:`axis.registry.directory_sync`). Agencies and peers
see only active agencies; operators also see suspended ones. The directory
holds this axis's agencies and the remote ones of its peers' synced
directories, each marked with the axis that serves it (``served_by``, null
for an agency registered here), so a national axis's directory is the
union of its provinces'. Pages are keyset-paginated in OrganId order over
both; ``next_cursor`` is opaque and ``null`` on the last page.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from axis.boundary import CURSOR, ORGAN_ID, SEARCH
from axis.registry import agencies as registry
from axis.registry.agencies import Agency
from axis.registry.peers import RemoteAgency
from axis.vocabulary import DeliveryMode
from endpoints import rate_limits
from endpoints.authentication import authenticated_agency, is_operator
from endpoints.boundary import path_value, query_value
from endpoints.keys import RUNTIME
from endpoints.problems import Problem, whole_number


def json_response(body: Any, status: int = 200) -> web.Response:
    return web.Response(
        status=status,
        body=json.dumps(body, ensure_ascii=False).encode(),
        content_type="application/json",
        charset="utf-8",
    )


def page_arguments(request: web.Request) -> dict[str, Any]:
    """``q``, ``parent``, ``limit`` and ``cursor`` from the query string (400 when malformed)."""
    limit = whole_number(
        request, "limit", registry.DEFAULT_PAGE_SIZE, 1, registry.MAX_PAGE_SIZE,
        "query.invalid_limit",
    )  # fmt: skip
    return {
        "q": query_value(request, "q", SEARCH) or "",
        "parent_id": query_value(request, "parent", ORGAN_ID),
        "limit": limit,
        "cursor": query_value(request, "cursor", CURSOR),
    }


def directory_entry(agency: Agency) -> dict[str, Any]:
    return {
        "organ_id": agency.organ_id,
        "name": agency.name,
        "parent_id": agency.parent_id,
        "delivery_mode": agency.delivery_mode,
        "served_by": None,
    }


def remote_entry(agency: RemoteAgency) -> dict[str, Any]:
    return {
        "organ_id": agency.organ_id,
        "name": agency.name,
        "parent_id": agency.parent_id,
        "delivery_mode": DeliveryMode.RELAY,
        "served_by": agency.served_by,
    }


def _bearer(request: web.Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def _reader_is_operator(request: web.Request) -> bool:
    """Whether an operator reads; else a peer or an agency must (401 otherwise)."""
    if is_operator(request):
        return True
    token = _bearer(request)
    # Peers are few and held in memory: asked first, they cost no round trip.
    if token is not None and await request.app[RUNTIME].peer_cache.peer_by_bearer(token):
        rate_limits.identified(request)
        rate_limits.proved(token)
        return False
    await authenticated_agency(request)
    return False


async def list_agencies(request: web.Request) -> web.Response:
    operator = await _reader_is_operator(request)
    arguments = page_arguments(request)
    runtime = request.app[RUNTIME]
    page = await runtime.registry.directory(**arguments, include_suspended=operator)
    limit = arguments["limit"]
    after = registry.decode_cursor(arguments["cursor"]) if arguments["cursor"] else ""
    remote = await runtime.peers.remote_directory(
        q=arguments["q"], parent_id=arguments["parent_id"], after=after, limit=limit + 1
    )
    # Both lists are in OrganId order after the same cursor: merged, the first
    # `limit` are this page, and there is a next page if either had more.
    merged = sorted(
        [(agency.organ_id, directory_entry(agency)) for agency in page.items]
        + [(agency.organ_id, remote_entry(agency)) for agency in remote],
        key=lambda pair: pair[0],
    )
    items = [entry for _, entry in merged[:limit]]
    more = len(merged) > limit or page.next_cursor is not None
    next_cursor = registry.encode_cursor(items[-1]["organ_id"]) if more and items else None
    return json_response({"items": items, "next_cursor": next_cursor})


async def get_agency(request: web.Request) -> web.Response:
    operator = await _reader_is_operator(request)
    organ_id = path_value(request, "organ_id", ORGAN_ID)
    runtime = request.app[RUNTIME]
    agency = await runtime.registry.get(organ_id)
    if agency is not None and (agency.active or operator):
        return json_response({**directory_entry(agency), "active": agency.active})
    remote = None if agency is not None else await runtime.peers.remote_agency(organ_id)
    if remote is None:
        raise Problem(404, "agency.unknown", f"No agency is registered under OrganId {organ_id}.")
    return json_response({**remote_entry(remote), "active": True})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/agencies", list_agencies)
    app.router.add_get("/api/v1/agencies/{organ_id}", get_agency)
