"""The composition root: the one place where the broker meets its HTTP surfaces.

The web application also carries this process's push worker (one claim loop
per process): it starts with the application and, on cleanup, stops
claiming, lets pushes in flight finish (bounded by the shutdown timeout)
and releases the leases it could not finish. It also carries the statistics
refresher (``axis.stats.refresh``), which keeps ``delivery_facts`` current.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from axis.delivery.push.worker import DeliveryWorker
from axis.runtime import Runtime
from axis.stats.refresh import StatsRefresher
from endpoints.application import build_application

DELIVERY_WORKER = web.AppKey("delivery_worker", DeliveryWorker)
STATS_REFRESHER = web.AppKey("stats_refresher", StatsRefresher)


def create_web_application(runtime: Runtime) -> web.Application:
    app = build_application(runtime)
    app[DELIVERY_WORKER] = DeliveryWorker(runtime.settings, runtime.pool, runtime.registry)
    app.cleanup_ctx.append(_run_delivery_worker)
    app[STATS_REFRESHER] = StatsRefresher(runtime.pool, runtime.settings)
    app.cleanup_ctx.append(_run_stats_refresher)
    return app


async def _run_delivery_worker(app: web.Application) -> AsyncIterator[None]:
    worker = app[DELIVERY_WORKER]
    await worker.start()
    yield
    await worker.stop()


async def _run_stats_refresher(app: web.Application) -> AsyncIterator[None]:
    refresher = app[STATS_REFRESHER]
    await refresher.start()
    yield
    await refresher.stop()
