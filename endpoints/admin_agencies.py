"""Operator API for the registry and trust, under ``/api/v1/admin/`` (operator token).

- ``POST /api/v1/admin/agencies`` ``{organ_id, name, parent_id?, endpoint_url?,
  legacy_sha1?, system_id?, certificates?: [PEM]}`` -> ``201 {organ_id, system_id, secret}``
- ``GET /api/v1/admin/agencies?q=&parent=&limit=&cursor=``, ``GET .../agencies/{organ_id}``
- ``POST .../agencies/{organ_id}/suspend`` and ``.../resume``
- ``POST .../agencies/{organ_id}/certificates`` ``{pem}`` -> ``201 {fingerprint}``
- ``GET /api/v1/admin/trust``; ``POST /api/v1/admin/trust`` ``{pem, intermediate?}``
- ``POST /api/v1/admin/crls``: the CRL itself as the body (PEM or DER)

Every change is audited with actor ``operator``.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from axis.boundary import ORGAN_ID
from axis.registry import trust as trust_admin
from endpoints.api_agencies import json_response, page_arguments
from endpoints.authentication import require_operator
from endpoints.boundary import json_body, path_value
from endpoints.keys import RUNTIME
from endpoints.problems import Problem


async def _body(request: web.Request) -> dict[str, Any]:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise Problem(400, "request.invalid_json", "The body is not a JSON object.")
    return body


def _field(body: dict[str, Any], name: str, kind: type, required: bool = False) -> Any:
    value = body.get(name)
    if value is None:
        if required:
            raise Problem(422, "request.missing_field", f"The field {name!r} is required.")
        return None
    if not isinstance(value, kind):
        raise Problem(
            422, "request.invalid_field", f"The field {name!r} must be a {kind.__name__}."
        )
    return value


async def create_agency(request: web.Request) -> web.Response:
    require_operator(request)
    body = await _body(request)
    certificates = _field(body, "certificates", list) or []
    if not all(isinstance(pem, str) for pem in certificates):
        raise Problem(422, "request.invalid_field", "'certificates' must be a list of PEM texts.")
    credentials = await request.app[RUNTIME].registry.add(
        _field(body, "organ_id", str, required=True),
        _field(body, "name", str, required=True),
        parent_id=_field(body, "parent_id", str),
        endpoint_url=_field(body, "endpoint_url", str),
        legacy_sha1=bool(_field(body, "legacy_sha1", bool)),
        system_id=_field(body, "system_id", str),
        email=_field(body, "email", str) or "",
        certificates=[pem.encode() for pem in certificates],
    )
    if certificates:
        request.app[RUNTIME].trust.invalidate()
    return json_response(
        {
            "organ_id": credentials.organ_id,
            "system_id": credentials.system_id,
            "secret": credentials.secret,
        },
        status=201,
    )


async def list_agencies(request: web.Request) -> web.Response:
    require_operator(request)
    page = await request.app[RUNTIME].registry.directory(
        **page_arguments(request), include_suspended=True
    )
    items = [agency.as_json() for agency in page.items]
    return json_response({"items": items, "next_cursor": page.next_cursor})


async def get_agency(request: web.Request) -> web.Response:
    require_operator(request)
    registry = request.app[RUNTIME].registry
    organ_id = path_value(request, "organ_id", ORGAN_ID)
    agency = await registry.require(organ_id)
    certificates = [
        {
            "fingerprint": c.fingerprint,
            "subject": c.subject,
            "not_before": c.not_before.isoformat(),
            "not_after": c.not_after.isoformat(),
        }
        for c in await registry.certificates(organ_id)
    ]
    return json_response({**agency.as_json(), "certificates": certificates})


async def _set_active(request: web.Request, active: bool) -> web.Response:
    require_operator(request)
    registry = request.app[RUNTIME].registry
    organ_id = path_value(request, "organ_id", ORGAN_ID)
    await registry.set_active(organ_id, active)
    agency = await registry.require(organ_id)
    return json_response(agency.as_json())


async def suspend_agency(request: web.Request) -> web.Response:
    return await _set_active(request, False)


async def resume_agency(request: web.Request) -> web.Response:
    return await _set_active(request, True)


async def add_certificate(request: web.Request) -> web.Response:
    require_operator(request)
    pem = _field(await _body(request), "pem", str, required=True)
    organ_id = path_value(request, "organ_id", ORGAN_ID)
    fingerprint = await request.app[RUNTIME].registry.add_certificate(organ_id, pem.encode())
    request.app[RUNTIME].trust.invalidate()
    return json_response({"organ_id": organ_id, "fingerprint": fingerprint}, status=201)


async def list_trust(request: web.Request) -> web.Response:
    require_operator(request)
    pool = request.app[RUNTIME].pool
    certificates = await trust_admin.list_trust_certificates(pool)
    crls = await trust_admin.list_crls(pool)
    return json_response(
        {
            "certificates": [trust_admin.certificate_json(c) for c in certificates],
            "crls": [trust_admin.crl_json(c) for c in crls],
        }
    )


async def add_trust(request: web.Request) -> web.Response:
    require_operator(request)
    body = await _body(request)
    pem = _field(body, "pem", str, required=True)
    added = await trust_admin.add_trust_certificate(
        request.app[RUNTIME].pool,
        pem.encode(),
        intermediate=bool(_field(body, "intermediate", bool)),
    )
    request.app[RUNTIME].trust.invalidate()
    return json_response(trust_admin.certificate_json(added), status=201)


async def add_crl(request: web.Request) -> web.Response:
    require_operator(request)
    stored = await trust_admin.add_crl(request.app[RUNTIME].pool, await request.read())
    request.app[RUNTIME].trust.invalidate()
    return json_response(trust_admin.crl_json(stored), status=201)


def add_routes(app: web.Application) -> None:
    base = "/api/v1/admin"
    app.router.add_post(f"{base}/agencies", create_agency)
    app.router.add_get(f"{base}/agencies", list_agencies)
    app.router.add_get(f"{base}/agencies/{{organ_id}}", get_agency)
    app.router.add_post(f"{base}/agencies/{{organ_id}}/suspend", suspend_agency)
    app.router.add_post(f"{base}/agencies/{{organ_id}}/resume", resume_agency)
    app.router.add_post(f"{base}/agencies/{{organ_id}}/certificates", add_certificate)
    app.router.add_get(f"{base}/trust", list_trust)
    app.router.add_post(f"{base}/trust", add_trust)
    app.router.add_post(f"{base}/crls", add_crl)
