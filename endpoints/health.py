"""``/healthz`` (the process answers) and ``/readyz`` (it can do real work)."""

from __future__ import annotations

import asyncio

from aiohttp import web

from axis.storage import readiness
from endpoints.keys import RUNTIME
from endpoints.problems import RETRY_AFTER_DATABASE

READINESS_TIMEOUT = 5.0


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "alive"})


async def readyz(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    try:
        report = await asyncio.wait_for(readiness.check(runtime.pool), READINESS_TIMEOUT)
    except TimeoutError:
        report = readiness.Readiness(
            False, "the database did not answer in time", "database.unavailable"
        )
    body: dict[str, str] = {
        "status": "ready" if report.ready else "not ready",
        "reason": report.reason,
    }
    headers: dict[str, str] = {}
    if report.code is not None:
        body["code"] = report.code
        headers["Retry-After"] = str(RETRY_AFTER_DATABASE)
    return web.json_response(body, status=200 if report.ready else 503, headers=headers)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
