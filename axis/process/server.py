"""Running the axis: one process of a role, or a supervisor of several.

A node serves the APIs and does the background work (``axis serve``), only
serves (``axis serve --no-work``) or only works (``axis work``, listening for
health and metrics alone); see ``axis.process.composition.Role``.

Start-up order: database (embedded or external), migrations, background
work, then HTTP; shutdown runs it backwards.
Several processes share one port through ``SO_REUSEPORT`` and one database
through PostgreSQL itself, so the same code serves ``--workers N`` on one
machine and many machines behind a load balancer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import tempfile
from collections.abc import AsyncIterator, Callable, Iterable

from aiohttp import web

from axis.demo import traffic as demo
from axis.process import tls
from axis.process.composition import Role, background_work, web_application
from axis.registry.secret_box import local_secret_key
from axis.runtime import Runtime, open_runtime
from axis.settings import Settings
from axis.storage import database, migrator

logger = logging.getLogger(__name__)

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _stop_event() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for stop_signal in _STOP_SIGNALS:
        loop.add_signal_handler(stop_signal, stop.set)
    return stop


def announce(settings: Settings, role: Role, say: Callable[[str], None]) -> None:
    base = settings.base_url
    if role.serves_api:
        say(f"axis is serving on {base}")
        say(f"  clerk and operator pages: {base}/ui/")
        description = f"{base}/api/v1/openapi.json"
        say(f"  native API:               {base}/api/v1/  (description: {description})")
        say(f"  VXP-compatible endpoint:  {base}{settings.vxp_prefix}")
    else:
        say("axis is working: pushing deliveries and refreshing statistics (no API here)")
    say(f"  health: {base}/healthz   readiness: {base}/readyz   metrics: {base}/metrics")
    if not role.does_work:
        say("  no background work here: run `axis work` on this database to push and refresh")
    say("Press Ctrl-C to stop.")


def _print(line: str) -> None:
    print(line, flush=True)


async def run(
    settings: Settings, role: Role = Role.ALL, *, worker_index: int | None = None
) -> None:
    """Runs until SIGINT or SIGTERM. ``worker_index`` marks a supervised child."""
    tls.server_context(settings)  # a bad certificate stops the node before anything starts
    stop = _stop_event()
    async with database.database_url(settings) as url:
        connection = await database.connect(url)
        try:
            applied = await migrator.migrate(connection)
        finally:
            await connection.close()
        if applied:
            logger.info("migrations applied", extra={"count": len(applied)})
        if settings.workers > 1 and worker_index is None:
            await _supervise(settings, role, url, stop)
        else:
            await _run_one(
                settings, role, url, stop, worker_index or 0, print_urls=worker_index is None
            )


async def _run_one(
    settings: Settings,
    role: Role,
    url: str,
    stop: asyncio.Event,
    worker_index: int,
    *,
    print_urls: bool,
) -> None:
    pool = await database.create_pool(url, settings.pool_size)
    runtime = open_runtime(settings, pool, worker_index)
    try:
        # Entered in start-up order, left in reverse: on stop the listener
        # closes first (finishing requests in flight), then the background
        # work drains (pushes in flight finish, leases are released).
        async with contextlib.AsyncExitStack() as process:
            if role.does_work:
                await process.enter_async_context(background_work(runtime))
            await process.enter_async_context(_listening(settings, runtime, role))
            logger.info(
                "serving" if role.serves_api else "working",
                extra={
                    "address": settings.base_url,
                    "role": str(role),
                    "worker": worker_index,
                    "pid": os.getpid(),
                },
            )
            if print_urls:
                announce(settings, role, _print)
            if settings.demo and role.serves_api and worker_index == 0:
                await process.enter_async_context(demo.running(runtime))
            await stop.wait()
            logger.info("stopping: no new connections, finishing work in flight")
    finally:
        await runtime.close()
        await asyncio.wait_for(pool.close(), settings.shutdown_timeout)
    logger.info("stopped", extra={"worker": worker_index})


@contextlib.asynccontextmanager
async def _listening(settings: Settings, runtime: Runtime, role: Role) -> AsyncIterator[None]:
    runner = web.AppRunner(
        web_application(runtime, role),
        handle_signals=False,
        shutdown_timeout=settings.shutdown_timeout,
        access_log=None,
    )
    await runner.setup()
    try:
        site = web.TCPSite(
            runner,
            settings.host,
            settings.port,
            reuse_port=True,
            backlog=1024,
            ssl_context=tls.server_context(settings),
        )
        await site.start()
        yield
    finally:
        # cleanup() closes the listening socket first, then waits (bounded by
        # shutdown_timeout) for requests in flight.
        await runner.cleanup()


async def _supervise(settings: Settings, role: Role, url: str, stop: asyncio.Event) -> None:
    """Runs ``settings.workers`` processes of ``role`` and restarts any that crash."""
    environment = dict(
        os.environ,
        AXIS_DATABASE_URL=url,
        AXIS_WORKERS="1",
        AXIS_DEMO=str(settings.demo).lower(),
        AXIS_DATA_DIR=str(settings.data_dir),
    )
    if settings.secret_key is None:
        # Children use the external-database path, so hand them the key the
        # embedded installation keeps in its data folder.
        environment["AXIS_SECRET_KEY"] = local_secret_key(settings)
    # Workers count metrics in files of one folder that /metrics merges.
    environment.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="axis-metrics-"))

    async def start(index: int) -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "axis", *role.command, "--worker-index", str(index),
            "--host", settings.host, "--port", str(settings.port),
            env=environment,
        )  # fmt: skip

    children = {index: await start(index) for index in range(settings.workers)}
    announced = False
    while not stop.is_set():
        if not announced and await _ready(settings):
            announce(settings, role, _print)
            announced = True
        for index, child in list(children.items()):
            if child.returncode is not None:
                logger.error(
                    "worker exited; restarting it",
                    extra={"worker": index, "exit_code": child.returncode},
                )
                children[index] = await start(index)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)
    await _stop_children(children.values(), settings.shutdown_timeout + 5)


async def _stop_children(children: Iterable[asyncio.subprocess.Process], deadline: float) -> None:
    """SIGTERM to every child still running; SIGKILL for any not gone by ``deadline`` s."""
    children = list(children)
    for child in children:
        if child.returncode is None:
            child.send_signal(signal.SIGTERM)
    for child in children:
        try:
            await asyncio.wait_for(child.wait(), deadline)
        except TimeoutError:
            child.kill()
            await child.wait()


async def _ready(settings: Settings) -> bool:
    try:
        reader, writer = await asyncio.open_connection(
            "127.0.0.1" if settings.host in ("0.0.0.0", "") else settings.host,  # noqa: S104
            settings.port,
            ssl=tls.probe_context(settings),
        )
    except OSError:  # ssl.SSLError included: a child still starting
        return False
    writer.write(b"GET /readyz HTTP/1.1\r\nHost: axis\r\nConnection: close\r\n\r\n")
    status_line = await reader.readline()
    writer.close()
    return b" 200 " in status_line
