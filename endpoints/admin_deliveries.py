"""Operator API for deliveries: list (dead by default), retry, discard."""

from __future__ import annotations

from aiohttp import web

from axis.delivery import dead_letters
from endpoints.authentication import require_operator
from endpoints.keys import RUNTIME
from endpoints.problems import Problem, whole_number

_MAX_LIMIT = 500


async def list_deliveries(request: web.Request) -> web.Response:
    require_operator(request)
    state = request.query.get("state", "dead")
    if state not in (*dead_letters.STATES, "all"):
        raise Problem(
            400,
            "query.invalid",
            f"'state' must be one of {', '.join(dead_letters.STATES)} or all, not {state!r}.",
        )
    limit = whole_number(request, "limit", 100, 1, _MAX_LIMIT, "query.invalid")
    cursor = whole_number(request, "cursor", 0, 0, 2**62, "query.invalid")
    rows = await dead_letters.list_deliveries(
        request.app[RUNTIME].pool, None if state == "all" else state, cursor, limit
    )
    next_cursor = str(rows[-1].id) if len(rows) == limit else None
    return web.json_response({"items": [row.as_json() for row in rows], "next_cursor": next_cursor})


def _delivery_id(request: web.Request) -> int:
    text = request.match_info["delivery_id"]
    # isascii: str.isdigit accepts digits int() refuses (²); 18 digits fit a bigint.
    if not (text.isascii() and text.isdigit() and len(text) <= 18):
        raise Problem(404, "delivery.not_found", f"No delivery has id {text!r}.")
    return int(text)


async def _change(request: web.Request, action: str) -> web.Response:
    require_operator(request)
    delivery_id = _delivery_id(request)
    pool = request.app[RUNTIME].pool
    if action == "retry":
        await dead_letters.retry(pool, delivery_id)
    else:
        await dead_letters.discard(pool, delivery_id)
    state = "queued" if action == "retry" else "discarded"
    return web.json_response({"id": delivery_id, "transport_state": state})


async def retry_delivery(request: web.Request) -> web.Response:
    return await _change(request, "retry")


async def discard_delivery(request: web.Request) -> web.Response:
    return await _change(request, "discard")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/admin/deliveries", list_deliveries)
    app.router.add_post("/api/v1/admin/deliveries/{delivery_id}/retry", retry_delivery)
    app.router.add_post("/api/v1/admin/deliveries/{delivery_id}/discard", discard_delivery)
