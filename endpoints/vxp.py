"""The VXP-compatible surface: a thin adapter onto ``axis.vxp.VxpService``.

Routes everything under ``settings.vxp_prefix`` on the last path segment
(the SDK glues ``endpoint + "/" + operation`` together, so ``//sendEdoc``
happens), hands over the raw header bytes (the HMAC covers them exactly) and
always answers HTTP 200. A refusal inside a VXP answer carries the status
the native API would give it: ``endpoints.problems`` is the one table. Its
inputs are checked by ``axis.vxp``, which answers a bad one in the SDK's FAIL
shape, so the HTTP boundary (``endpoints.boundary``) leaves it alone.
"""

from __future__ import annotations

from aiohttp import web

from axis.vxp import Request, VxpService
from axis.vxp.service import operation_of
from endpoints import client_certificates, problems, rate_limits
from endpoints.boundary import own_boundary
from endpoints.keys import RUNTIME

SERVICE = web.AppKey("vxp_service", VxpService)


def _prefix(app: web.Application) -> str:
    prefix = "/" + app[RUNTIME].settings.vxp_prefix.strip("/")
    return "" if prefix == "/" else prefix


@own_boundary
async def handle(request: web.Request) -> web.StreamResponse:
    prefix = _prefix(request.app)
    merged = "/" + "/".join(segment for segment in request.path.split("/") if segment)
    if prefix and not (merged == prefix or merged.startswith(prefix + "/")):
        raise web.HTTPNotFound()
    operation = operation_of(merged[len(prefix) :]) or merged.rsplit("/", 1)[-1]
    too_large = False
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        body, too_large = b"", True
    answer = await request.app[SERVICE].handle(
        Request(
            operation,
            request.raw_headers,
            body,
            too_large,
            client_certificate=client_certificates.client_certificate(request),
        )
    )
    return web.Response(status=200, body=answer.body, content_type=answer.content_type)


def add_routes(app: web.Application) -> None:
    runtime = app[RUNTIME]

    async def admit(organ_id: str) -> None:
        await rate_limits.admit_agency(runtime, organ_id)

    app[SERVICE] = VxpService(runtime, status_of=problems.status_of, admit=admit)
    prefix = _prefix(app)
    app.router.add_route("*", prefix + "/{tail:.*}", handle)
