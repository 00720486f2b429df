"""Operator API for the fleet: the nodes on this database, live first."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from axis.fleet import nodes
from endpoints.authentication import require_operator
from endpoints.keys import RUNTIME


def node_json(view: nodes.NodeView) -> dict[str, Any]:
    return {
        "node_id": view.node_id,
        "host": view.host,
        "pid": view.pid,
        "role": view.role,
        "status": view.status,
        "started_at": view.started_at.isoformat(),
        "last_beat_at": view.last_beat_at.isoformat(),
        "stopped_at": None if view.stopped_at is None else view.stopped_at.isoformat(),
        "seen_seconds_ago": round(view.seen_seconds_ago, 3),
        "leases": view.leases,
        "endpoints": view.endpoints,
        "roles_held": None if view.roles_held is None else list(view.roles_held),
    }


async def list_nodes(request: web.Request) -> web.Response:
    require_operator(request)
    views = await nodes.list_nodes(request.app[RUNTIME].pool)
    return web.json_response(
        {
            "items": [node_json(view) for view in views],
            "beat_seconds": nodes.BEAT_SECONDS,
            "dead_after_seconds": nodes.DEAD_AFTER_SECONDS,
        }
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/admin/nodes", list_nodes)
