"""``GET /metrics`` (Prometheus text format) and the request-latency middleware."""

from __future__ import annotations

import time

from aiohttp import web
from aiohttp.typedefs import Handler

from axis import metrics
from axis.stats import dashboard
from endpoints.keys import RUNTIME


@web.middleware
async def request_latency_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except Exception as error:
        # HTTP exceptions and problem+json errors carry their status.
        status = int(getattr(error, "status", 500))
        raise
    finally:
        # The route pattern, not the path: ids in paths would explode the label set.
        resource = request.match_info.route.resource
        route = resource.canonical if resource is not None else "unmatched"
        metrics.observe_request(request.method, route, status, time.perf_counter() - started)


async def scrape(request: web.Request) -> web.Response:
    pool = request.app[RUNTIME].pool
    backlog = await dashboard.backlog(pool)
    transitions = await dashboard.transition_figures(pool)
    retention = await dashboard.retention_figure(pool)
    return web.Response(
        body=metrics.exposition(backlog, transitions, retention),
        headers={"Content-Type": metrics.CONTENT_TYPE},
    )


def add_routes(app: web.Application) -> None:
    # Outermost, so it sees the status the problem middleware answered with.
    app.middlewares.insert(0, request_latency_middleware)
    app.router.add_get("/metrics", scrape)
