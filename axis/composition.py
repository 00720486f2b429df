"""The composition root: the one place where the broker meets its HTTP surfaces.

The web application also carries this process's push worker (one claim loop
per process): it starts with the application and, on cleanup, stops
claiming, lets pushes in flight finish (bounded by the shutdown timeout)
and releases the leases it could not finish.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from axis.delivery.worker import DeliveryWorker
from axis.runtime import Runtime
from endpoints.application import build_application

DELIVERY_WORKER = web.AppKey("delivery_worker", DeliveryWorker)


def create_web_application(runtime: Runtime) -> web.Application:
    app = build_application(runtime)
    app[DELIVERY_WORKER] = DeliveryWorker(runtime.settings, runtime.pool, runtime.registry)
    app.cleanup_ctx.append(_run_delivery_worker)
    return app


async def _run_delivery_worker(app: web.Application) -> AsyncIterator[None]:
    worker = app[DELIVERY_WORKER]
    await worker.start()
    yield
    await worker.stop()
