"""The operators' dashboard at /ui/ops, with dead-letter retry and discard."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web

from axis.stats import dashboard
from endpoints.keys import RUNTIME
from endpoints.ui import session as ui_session

CHART_WIDTH = 600
CHART_HEIGHT = 120


def chart_points(values: list[int], top: int) -> str:
    """An SVG polyline's points for per-minute counts (left = oldest)."""
    step = CHART_WIDTH / max(len(values) - 1, 1)
    scale = CHART_HEIGHT / max(top, 1)
    return " ".join(
        f"{index * step:.1f},{CHART_HEIGHT - value * scale:.1f}"
        for index, value in enumerate(values)
    )


async def ops(request: web.Request) -> web.Response:
    current = await ui_session.require(request, "operator")
    board = await dashboard.load(request.app[RUNTIME].pool)
    top = max([*board.documents_in, *board.documents_out, 1])
    context: dict[str, Any] = {
        "user": current.user,
        "csrf": current.csrf_token,
        "board": board,
        "chart": {
            "width": CHART_WIDTH,
            "height": CHART_HEIGHT,
            "top": top,
            "in": chart_points(board.documents_in, top),
            "out": chart_points(board.documents_out, top),
        },
        "notice": request.query.get("notice"),
    }
    html: web.Response = aiohttp_jinja2.render_template("ops.html", request, context)
    return html


async def _dead_letter(request: web.Request, action: str) -> web.Response:
    current, form = await ui_session.require_form(request, "operator")
    try:
        delivery_id = int(form.get("delivery_id", ""))
    except ValueError:
        raise web.HTTPBadRequest(text="Thiếu mã lần gửi.") from None
    pool = request.app[RUNTIME].pool
    actor = f"operator:{current.user.username}"
    if action == "retry":
        done = await dashboard.retry_dead(pool, delivery_id, actor)
        notice = "retried" if done else "unchanged"
    else:
        done = await dashboard.discard_dead(pool, delivery_id, actor)
        notice = "discarded" if done else "unchanged"
    raise web.HTTPSeeOther(f"/ui/ops?notice={notice}")


async def retry(request: web.Request) -> web.Response:
    return await _dead_letter(request, "retry")


async def discard(request: web.Request) -> web.Response:
    return await _dead_letter(request, "discard")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/ui/ops", ops)
    app.router.add_post("/ui/ops/dead/retry", retry)
    app.router.add_post("/ui/ops/dead/discard", discard)
