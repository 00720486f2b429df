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

from axis.errors import AxisError
from axis.registry import agencies as registry
from axis.registry import trust as trust_admin
from axis.registry.agencies import Agency
from endpoints import problems
from endpoints.authentication import authenticated_agency, is_operator
from endpoints.keys import RUNTIME
from endpoints.problems import Problem, whole_number

# Refusals of the registry and trust administration, as HTTP problems.
_PROBLEMS: dict[type[AxisError], tuple[int, str]] = {
    registry.AgencyExists: (409, "agency.exists"),
    registry.AgencyNotFound: (404, "agency.unknown"),
    registry.InvalidOrganId: (422, "agency.invalid_organ_id"),
    registry.InvalidEndpoint: (422, "agency.invalid_endpoint"),
    registry.InvalidAgency: (422, "agency.invalid"),
    registry.InvalidCertificate: (422, "certificate.invalid"),
    registry.UntrustedCertificate: (422, "certificate.untrusted"),
    registry.CertificateExists: (409, "certificate.exists"),
    registry.InvalidCursor: (400, "query.invalid_cursor"),
    trust_admin.InvalidTrustCertificate: (422, "trust.invalid_certificate"),
    trust_admin.TrustCertificateExists: (409, "trust.exists"),
    trust_admin.InvalidCrl: (422, "crl.invalid"),
    trust_admin.CrlNotTrusted: (422, "crl.untrusted"),
    trust_admin.CrlNotNewer: (409, "crl.not_newer"),
}


def problem_for(error: AxisError) -> Problem:
    return problems.problem_for(error, _PROBLEMS)


def json_response(body: Any, status: int = 200) -> web.Response:
    return web.Response(
        status=status,
        body=json.dumps(body, ensure_ascii=False).encode(),
        content_type="application/json",
        charset="utf-8",
    )


def page_arguments(request: web.Request) -> dict[str, Any]:
    """``q``, ``parent``, ``limit`` and ``cursor`` from the query string (400 when malformed)."""
    query = request.query
    limit = whole_number(
        request, "limit", registry.DEFAULT_PAGE_SIZE, 1, registry.MAX_PAGE_SIZE,
        "query.invalid_limit",
    )  # fmt: skip
    return {
        "q": query.get("q", ""),
        "parent_id": query.get("parent") or None,
        "limit": limit,
        "cursor": query.get("cursor") or None,
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
    try:
        page = await request.app[RUNTIME].registry.directory(
            **arguments, include_suspended=operator
        )
    except AxisError as error:
        raise problem_for(error) from None
    items = [directory_entry(agency) for agency in page.items]
    return json_response({"items": items, "next_cursor": page.next_cursor})


async def get_agency(request: web.Request) -> web.Response:
    operator = await _reader_is_operator(request)
    organ_id = request.match_info["organ_id"]
    agency = await request.app[RUNTIME].registry.get(organ_id)
    if agency is None or not (agency.active or operator):
        raise Problem(404, "agency.unknown", f"No agency is registered under OrganId {organ_id}.")
    return json_response({**directory_entry(agency), "active": agency.active})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/agencies", list_agencies)
    app.router.add_get("/api/v1/agencies/{organ_id}", get_agency)
