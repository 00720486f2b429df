"""The batch pull road: many messages' bytes in one request, many acks in one (issue #19).

An extension of api.md for document-management systems, which otherwise pay
two requests per message (fetch, ack) on top of listing the inbox. Both are
:class:`axis.delivery.pull.service.PullDelivery`'s road, so a batch fetch or
ack is recorded, audited and answered exactly as the single ones are.

The fetch answer is ``multipart/mixed`` (RFC 2046): each part carries one
message's bytes untouched, binary, with its ``Content-ID`` and
``Content-Length``, so a client slices exact bytes without decoding anything
(base64 in JSON would grow 20 KB documents by a third and cost an encode and
a decode each side, for bytes whose signature covers every one of them), and
any MIME library reads it. A message the caller may not read, or one past
the answer's byte budget, is a ``application/problem+json`` part instead.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from typing import Any

from aiohttp import web

from axis.boundary import MESSAGE_ID
from axis.delivery.pull.service import (
    MAX_BATCH,
    MAX_BATCH_BYTES,
    AckOrder,
    BatchItem,
)
from endpoints.api_messages import XML, ack_fields
from endpoints.authentication import authenticated_agency
from endpoints.boundary import json_body
from endpoints.keys import RUNTIME
from endpoints.problems import PROBLEM_CONTENT_TYPE, PROBLEM_TYPE_BASE, Problem

MULTIPART = "multipart/mixed"


def _list_of(body: Any, key: str) -> list[Any]:
    items = body.get(key) if isinstance(body, dict) else None
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_BATCH:
        raise Problem(
            400, "request.invalid", f"The body must be {{{key!r}: [...]}} of 1 to {MAX_BATCH}."
        )
    return items


def _message_id(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise Problem(400, "request.invalid", "Every id must be a non-empty string.")
    return MESSAGE_ID.check(value)


def _problem(status: int, code: str, detail: str) -> dict[str, Any]:
    return {
        "type": PROBLEM_TYPE_BASE + code,
        "title": "Not Found" if status == 404 else "Content Too Large",
        "status": status,
        "detail": detail,
        "code": code,
    }


def _part(item: BatchItem, organ_id: str) -> tuple[bytes, bytes]:
    """(headers, content) of one message's part."""
    if item.body is not None:
        content, content_type = item.body, XML
    else:
        if item.missing:
            detail = f"No message {item.message_id!r} that {organ_id} may read."
            problem = _problem(404, "message.not_found", detail)
        else:
            problem = _problem(
                413, "batch.too_large",
                f"{item.message_id!r} does not fit this answer (at most {MAX_BATCH_BYTES} "
                "bytes of messages, each whole in one stored piece); fetch it alone "
                "(it is not marked delivered).",
            )  # fmt: skip
        content, content_type = json.dumps(problem).encode(), PROBLEM_CONTENT_TYPE
    headers = (
        f"Content-Type: {content_type}\r\nContent-ID: <{item.message_id}>\r\n"
        f"Content-Length: {len(content)}\r\n\r\n"
    ).encode("ascii")
    return headers, content


def multipart(items: Sequence[BatchItem], organ_id: str) -> tuple[str, bytes]:
    """(boundary, body) of the fetch answer; the boundary occurs in no part."""
    parts = [_part(item, organ_id) for item in items]
    while True:
        boundary = secrets.token_hex(16)
        delimiter = f"--{boundary}".encode("ascii")
        if not any(delimiter in content for _, content in parts):
            break
    chunks: list[bytes] = []
    for headers, content in parts:
        chunks += [delimiter, b"\r\n", headers, content, b"\r\n"]
    chunks += [delimiter, b"--\r\n"]
    return boundary, b"".join(chunks)


async def fetch_batch(request: web.Request) -> web.Response:
    agency = await authenticated_agency(request)
    ids = [_message_id(value) for value in _list_of(await json_body(request, "fetch body"), "ids")]
    items = await request.app[RUNTIME].pull.fetch_many(ids, agency.organ_id)
    boundary, body = multipart(items, agency.organ_id)
    return web.Response(body=body, headers={"Content-Type": f'{MULTIPART}; boundary="{boundary}"'})


def _order(value: Any) -> AckOrder:
    if not isinstance(value, dict):
        raise Problem(400, "request.invalid", "Every ack must be a JSON object with an id.")
    result, reason = ack_fields(value)
    return AckOrder(_message_id(value.get("id")), result, reason)


async def ack_batch(request: web.Request) -> web.Response:
    agency = await authenticated_agency(request)
    orders = [_order(value) for value in _list_of(await json_body(request, "ack body"), "acks")]
    answers = await request.app[RUNTIME].pull.acknowledge_many(orders, agency.organ_id)
    items = [
        answer.body()
        if answer is not None
        else {
            "id": order.message_id,
            "problem": _problem(
                404,
                "message.not_found",
                f"No message {order.message_id!r} addressed to {agency.organ_id}.",
            ),
        }
        for order, answer in zip(orders, answers, strict=True)
    ]
    return web.json_response({"items": items})


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/v1/inbox/fetch", fetch_batch)
    app.router.add_post("/api/v1/inbox/ack", ack_batch)
