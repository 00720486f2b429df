"""Assembles the aiohttp applications from the surfaces.

``build_application`` is a serving node's: the APIs and pages.
``build_operations_application`` is a worker node's (``axis work``): only
what operators need to see it alive, ``/healthz``, ``/readyz`` and ``/metrics``.
"""

from __future__ import annotations

from aiohttp import web

from axis.runtime import Runtime
from endpoints import (
    admin_agencies,
    admin_deliveries,
    admin_nodes,
    api_agencies,
    api_batch,
    api_messages,
    api_relay,
    api_stats,
    client_certificates,
    health,
    metrics,
    openapi,
    ui,
    vxp,
)
from endpoints.boundary import boundary_middleware
from endpoints.keys import RUNTIME
from endpoints.problems import problem_middleware
from endpoints.rate_limits import rate_limit_middleware


def build_application(runtime: Runtime) -> web.Application:
    app = web.Application(
        client_max_size=runtime.settings.max_message_bytes,
        middlewares=[problem_middleware, rate_limit_middleware, boundary_middleware],
    )
    app[RUNTIME] = runtime
    client_certificates.install(app)
    health.add_routes(app)
    api_agencies.add_routes(app)
    admin_agencies.add_routes(app)
    admin_deliveries.add_routes(app)
    admin_nodes.add_routes(app)
    vxp.add_routes(app)
    api_messages.add_routes(app)
    api_relay.add_routes(app)
    api_batch.add_routes(app)
    api_stats.add_routes(app)
    openapi.add_routes(app)
    metrics.add_routes(app)
    ui.add_routes(app)
    return app


def build_operations_application(runtime: Runtime) -> web.Application:
    app = web.Application(middlewares=[problem_middleware, boundary_middleware])
    app[RUNTIME] = runtime
    health.add_routes(app)
    metrics.add_routes(app)
    return app
