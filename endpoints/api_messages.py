"""The native messages API: submit, inbox, fetch, ack and tracking.

Thin: authentication and request parsing here, every decision in
``axis.intake.service``, ``axis.delivery.pull.service`` and ``axis.tracking.report``.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from aiohttp import web

from axis.boundary import CURSOR, MESSAGE_ID
from axis.delivery.pull import inbox
from axis.delivery.pull.waiters import MAX_WAIT_SECONDS
from axis.intake.refusals import MessageTooLarge, Refusal
from axis.tracking import report as tracking
from axis.vocabulary import MessageKind
from endpoints.authentication import AgencySuspended, authenticated_agency
from endpoints.bodies import receive_body, send_body
from endpoints.boundary import json_body, path_value, query_value
from endpoints.keys import RUNTIME
from endpoints.problems import Problem, whole_number

XML = "application/xml"


def _json(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.Response(
        status=status,
        body=json.dumps(body, ensure_ascii=False).encode(),
        content_type="application/json",
        charset="utf-8",
    )


async def submit(request: web.Request) -> web.Response:
    """Intake decides and records every refusal; those at the door are counted (issue #15)."""
    intake = request.app[RUNTIME].intake
    try:
        agency = await authenticated_agency(request)
    except Refusal as refusal:
        organ_id = refusal.organ_id if isinstance(refusal, AgencySuspended) else None
        await intake.refuse(refusal, organ_id, source=request.remote or "")
        raise
    limit = intake.max_message_bytes
    if request.content_length is not None and request.content_length > limit:
        raise await intake.refuse(
            MessageTooLarge(
                f"The message has {request.content_length} bytes; the limit is {limit}."
            ),
            agency.organ_id,
        )
    async with receive_body(request, intake, agency.organ_id) as data:
        accepted = await intake.submit(agency, data)
    return _json(accepted.body(), 202 if accepted.created else 200)


def _kind(request: web.Request) -> MessageKind | None:
    kind = request.query.get("kind")
    if kind in (None, ""):
        return None
    if kind in tuple(MessageKind):
        return MessageKind(kind)
    raise Problem(400, "request.invalid", f"kind must be 'edoc' or 'status', not {kind!r}.")


def _limit(request: web.Request) -> int:
    return whole_number(request, "limit", 100, 1, inbox.MAX_PAGE, "request.invalid")


def _wait(request: web.Request) -> float:
    text = request.query.get("wait", "0")
    try:
        wait = float(text)
    except ValueError:
        wait = -1.0
    if not 0 <= wait <= MAX_WAIT_SECONDS:
        raise Problem(
            400,
            "request.invalid",
            f"wait must be a number of seconds from 0 to {MAX_WAIT_SECONDS:g}.",
        )
    return wait


async def list_inbox(request: web.Request) -> web.Response:
    agency = await authenticated_agency(request)
    runtime = request.app[RUNTIME]
    page = await runtime.pull.page(
        agency.organ_id,
        kind=_kind(request),
        limit=_limit(request),
        cursor=query_value(request, "cursor", CURSOR),
        wait=_wait(request),
    )
    return _json(page.body())


async def get_message(request: web.Request) -> web.StreamResponse:
    agency = await authenticated_agency(request)
    message_id = path_value(request, "id", MESSAGE_ID)
    runtime = request.app[RUNTIME]
    stored = await runtime.pull.open(message_id, agency.organ_id)
    return await send_body(request, runtime.pool, stored, XML)


async def _ack_body(request: web.Request) -> tuple[Literal["done", "fail"], str | None]:
    if not request.can_read_body:
        return "done", None
    body = await json_body(request, "ack body")
    if body is None:
        return "done", None
    if not isinstance(body, dict):
        raise Problem(400, "request.invalid", "The ack body must be a JSON object.")
    return ack_fields(body)


def ack_fields(body: dict[str, Any]) -> tuple[Literal["done", "fail"], str | None]:
    """An ack's result and reason, as the single and the batch ack take them."""
    result = body.get("result", "done")
    reason = body.get("reason")
    if result not in ("done", "fail"):
        raise Problem(400, "request.invalid", "result must be 'done' or 'fail'.")
    if reason is not None and not isinstance(reason, str):
        raise Problem(400, "request.invalid", "reason must be a string.")
    return ("done" if result == "done" else "fail"), reason


async def ack_message(request: web.Request) -> web.Response:
    agency = await authenticated_agency(request)
    result, reason = await _ack_body(request)
    acknowledgement = await request.app[RUNTIME].pull.acknowledge(
        path_value(request, "id", MESSAGE_ID), agency.organ_id, result=result, reason=reason
    )
    return _json(acknowledgement.body())


async def get_tracking(request: web.Request) -> web.Response:
    agency = await authenticated_agency(request)
    body = await tracking.tracking(
        request.app[RUNTIME].pool, path_value(request, "id", MESSAGE_ID), agency.organ_id
    )
    return _json(body)


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/v1/messages", submit)
    app.router.add_get("/api/v1/inbox", list_inbox)
    app.router.add_get("/api/v1/messages/{id}", get_message)
    app.router.add_post("/api/v1/messages/{id}/ack", ack_message)
    app.router.add_get("/api/v1/messages/{id}/tracking", get_tracking)
