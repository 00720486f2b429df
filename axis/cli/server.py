"""``axis serve``, ``axis work`` and ``axis migrate``."""

from __future__ import annotations

import argparse
import contextlib

from axis.cli.options import add_database_options, run_event_loop, settings_from
from axis.process import server
from axis.process.composition import Role
from axis.storage import database, migrator


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = subparsers.add_parser("serve", help="apply migrations, then serve the APIs and pages")
    add_database_options(serve)
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", help="port to listen on (default 8080)")
    serve.add_argument("--workers", help="processes sharing the port (default 1)")
    serve.add_argument(
        "--demo", action="store_const", const=True, help="demo agencies and live traffic"
    )
    serve.add_argument(
        "--no-work",
        action="store_true",
        help="serve the APIs and pages only; `axis work` nodes push and refresh statistics",
    )
    serve.add_argument("--worker-index", type=int, help=argparse.SUPPRESS)
    serve.set_defaults(handler=_serve)

    work = subparsers.add_parser(
        "work",
        help="apply migrations, then push deliveries and refresh statistics, without the APIs",
    )
    add_database_options(work)
    work.add_argument("--host", help="address for health and metrics (default 127.0.0.1)")
    work.add_argument("--port", help="port for /healthz, /readyz and /metrics (default 8080)")
    work.add_argument("--workers", help="worker processes (default 1)")
    work.add_argument("--worker-index", type=int, help=argparse.SUPPRESS)
    work.set_defaults(handler=_work)

    migrate = subparsers.add_parser("migrate", help="apply pending migrations and exit")
    add_database_options(migrate)
    migrate.set_defaults(handler=_migrate)


def _serve(args: argparse.Namespace) -> int:
    settings = settings_from(args, "host", "port", "workers", "demo")
    role = Role.API if args.no_work else Role.ALL
    with contextlib.suppress(KeyboardInterrupt):
        run_event_loop(server.run(settings, role, worker_index=args.worker_index))
    return 0


def _work(args: argparse.Namespace) -> int:
    settings = settings_from(args, "host", "port", "workers")
    with contextlib.suppress(KeyboardInterrupt):
        run_event_loop(server.run(settings, Role.WORK, worker_index=args.worker_index))
    return 0


async def _migrate(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    async with database.database_url(settings) as url:
        connection = await database.connect(url)
        try:
            applied = await migrator.migrate(connection)
        finally:
            await connection.close()
    if applied:
        for migration in applied:
            print(f"applied {migration.file_name}")
    else:
        print("the database is up to date")
    return 0
