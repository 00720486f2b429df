"""Clerks' pages: Văn bản đi, Văn bản đến, a document, its live status, its file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from axis.boundary import MESSAGE_ID, SEARCH
from axis.delivery.pull.service import MessagePurged
from axis.tracking import clerk_views
from endpoints.boundary import path_value, query_value
from endpoints.keys import RUNTIME
from endpoints.ui import session as ui_session


def _day(text: str | None, *, end: bool = False) -> datetime | None:
    if not text:
        return None
    try:
        day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return None
    return day + timedelta(days=1) if end else day


def _query(request: web.Request, name: str) -> str | None:
    return (query_value(request, name, SEARCH) or "").strip() or None


async def sent(request: web.Request) -> web.Response:
    current = await ui_session.require(request, "clerk")
    organ_id = current.user.organ_id
    assert organ_id is not None
    state = _query(request, "state")
    filters = clerk_views.SentFilters(
        date_from=_day(_query(request, "from")),
        date_to=_day(_query(request, "to"), end=True),
        recipient_id=_query(request, "recipient"),
        transport_state=state if state in clerk_views.TRANSPORT_STATES else None,
        status_code=_query(request, "status"),
        search=_query(request, "q"),
    )
    pool = request.app[RUNTIME].pool
    page = await clerk_views.sent_documents(pool, organ_id, filters, _query(request, "after"))
    context: dict[str, Any] = {
        "user": current.user,
        "csrf": current.csrf_token,
        "page": page,
        "query": dict(request.query),
        "agencies": await clerk_views.agency_names(pool),
        "states": clerk_views.TRANSPORT_STATE_NAMES,
        "status_codes": clerk_views.status_codes(),
    }
    html: web.Response = aiohttp_jinja2.render_template("sent.html", request, context)
    return html


async def received(request: web.Request) -> web.Response:
    current = await ui_session.require(request, "clerk")
    assert current.user.organ_id is not None
    page = await clerk_views.received_documents(
        request.app[RUNTIME].pool, current.user.organ_id, _query(request, "q"),
        _query(request, "after"),
    )  # fmt: skip
    context = {
        "user": current.user,
        "csrf": current.csrf_token,
        "page": page,
        "query": dict(request.query),
        "states": clerk_views.TRANSPORT_STATE_NAMES,
    }
    html: web.Response = aiohttp_jinja2.render_template("received.html", request, context)
    return html


async def _document(request: web.Request) -> tuple[Any, dict[str, Any]]:
    current = await ui_session.require(request, "clerk")
    assert current.user.organ_id is not None
    found = await clerk_views.document(
        request.app[RUNTIME].pool,
        current.user.organ_id,
        path_value(request, "message_id", MESSAGE_ID),
    )
    if found is None:
        raise web.HTTPNotFound(text="Không tìm thấy văn bản.")
    return current, found


async def document(request: web.Request) -> web.Response:
    current, found = await _document(request)
    context = {"user": current.user, "csrf": current.csrf_token, "doc": found}
    html: web.Response = aiohttp_jinja2.render_template("document.html", request, context)
    return html


async def document_status(request: web.Request) -> web.Response:
    """What the open document page polls: its recipients' states and timelines."""
    _, found = await _document(request)
    return web.json_response(
        {"recipients": found["recipients"]}, headers={"Cache-Control": "no-store"}
    )


async def download(request: web.Request) -> web.Response:
    current = await ui_session.require(request, "clerk")
    assert current.user.organ_id is not None
    try:
        found = await clerk_views.document_body(
            request.app[RUNTIME].pool,
            current.user.organ_id,
            path_value(request, "message_id", MESSAGE_ID),
        )
    except MessagePurged as gone:
        # The record stays (tracking, statuses); the bytes are in an archive bundle.
        bundle = gone.problem_fields["bundle"] or "không có gói lưu trữ"
        raise web.HTTPGone(
            text=f"Nội dung văn bản đã được xoá sau thời hạn lưu giữ; gói lưu trữ: {bundle}."
        ) from None
    if found is None:
        raise web.HTTPNotFound(text="Không tìm thấy văn bản.")
    body, document_id = found
    safe_name = "".join(c if c.isalnum() or c in "-._" else "_" for c in document_id)
    return web.Response(
        body=body,
        content_type="application/xml",
        headers={"Content-Disposition": f'attachment; filename="{safe_name}.edxml"'},
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get("/ui/sent", sent)
    app.router.add_get("/ui/received", received)
    app.router.add_get("/ui/documents/{message_id}", document)
    app.router.add_get("/ui/documents/{message_id}/status.json", document_status)
    app.router.add_get("/ui/documents/{message_id}/file", download)
