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

from axis.storage.spool import Body, BodyTooLarge
from axis.vxp import Request, VxpService
from axis.vxp.service import operation_of
from endpoints import bodies, client_certificates, problems, rate_limits
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
    if operation == "sendEdoc":  # the file: through the intake spool, as the native API
        return await _send_edoc(request, operation)
    too_large = False
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        body, too_large = b"", True
    return await _answer(request, operation, body, too_large)


async def _send_edoc(request: web.Request, operation: str) -> web.StreamResponse:
    runtime = request.app[RUNTIME]
    spool = runtime.intake.spool
    try:
        async with spool.receive(
            bodies.chunks(request), runtime.settings.max_message_bytes, trailer=b"\r\n"
        ) as body:
            return await _answer(request, operation, body, False)
    except BodyTooLarge:
        return await _answer(request, operation, b"", True)
    except bodies.BodyIncomplete:  # the caller went away: nobody reads an answer
        return web.Response(status=400)


async def _answer(
    request: web.Request, operation: str, body: Body, too_large: bool
) -> web.StreamResponse:
    answer = await request.app[SERVICE].handle(
        Request(
            operation,
            request.raw_headers,
            body,
            too_large,
            client_certificate=client_certificates.client_certificate(request),
        )
    )
    if answer.file is not None:
        return await bodies.send_file(request, request.app[RUNTIME].pool, answer.file,
                                      answer.content_type)  # fmt: skip
    return web.Response(status=200, body=answer.body, content_type=answer.content_type)


def add_routes(app: web.Application) -> None:
    runtime = app[RUNTIME]

    async def admit(organ_id: str) -> None:
        await rate_limits.admit_agency(runtime, organ_id)

    app[SERVICE] = VxpService(runtime, status_of=problems.status_of, admit=admit)
    prefix = _prefix(app)
    app.router.add_route("*", prefix + "/{tail:.*}", handle)
