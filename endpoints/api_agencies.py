"""The agency directory: ``GET /api/v1/agencies`` and ``GET /api/v1/agencies/{organ_id}``.

Readable by any active agency (bearer secret) and by operators (operator
token). Agencies see only active agencies; operators also see suspended
ones. Pages are keyset-paginated in OrganId order; ``next_cursor`` is
opaque and ``null`` on the last page.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from axis.boundary import CURSOR, ORGAN_ID, SEARCH
from axis.registry import agencies as registry
from axis.registry.agencies import Agency
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
    }


async def _reader_is_operator(request: web.Request) -> bool:
    if is_operator(request):
        return True
    await authenticated_agency(request)
    return False


async def list_agencies(request: web.Request) -> web.Response:
    operator = await _reader_is_operator(request)
    arguments = page_arguments(request)
    page = await request.app[RUNTIME].registry.directory(**arguments, include_suspended=operator)
    items = [directory_entry(agency) for agency in page.items]
    return json_response({"items": items, "next_cursor": page.next_cursor})


async def get_agency(request: web.Request) -> web.Response:
    operator = await _reader_is_operator(request)
    organ_id = path_value(request, "organ_id", ORGAN_ID)
    agency = await request.app[RUNTIME].registry.get(organ_id)
    if agency is None or not (agency.active or operator):
        raise Problem(404, "agency.unknown", f"No agency is registered under OrganId {organ_id}.")
    return json_response({**directory_entry(agency), "active": agency.active})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/agencies", list_agencies)
    app.router.add_get("/api/v1/agencies/{organ_id}", get_agency)
