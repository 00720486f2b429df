"""The embedded PostgreSQL used when no database URL is configured.

It lives in ``<data dir>/postgres`` and survives restarts. ``pgserver``
counts the processes holding it, so an ``axis`` command run beside a serving
axis on the same folder shares the running server, and the server stops
only when the last holder lets go.
"""

from __future__ import annotations

import asyncio
import logging
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from axis.errors import DatabaseUnavailable

logger = logging.getLogger(__name__)

_START_ATTEMPTS = 4


def _clear_stale_lock(directory: Path) -> None:
    """Removes the lock files left by a server that was killed.

    A postmaster killed with SIGKILL leaves ``postmaster.pid`` and its socket
    lock behind, and in a container whose first process does not reap
    orphans it lingers as a zombie, which still counts as "running" to
    pgserver and to PostgreSQL's own check. Only locks whose process is gone
    or a zombie are removed; PostgreSQL then recovers from its write-ahead
    log as after any crash.
    """
    for lock in (directory / "postmaster.pid", *directory.glob(".s.PGSQL.*.lock")):
        try:
            pid = int(lock.read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            continue
        try:
            alive = psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            alive = False
        if not alive:
            logger.warning(
                "removing a lock of a PostgreSQL that was killed",
                extra={"lock": lock.name, "pid": pid},
            )
            lock.unlink(missing_ok=True)


@dataclass(slots=True)
class EmbeddedDatabase:
    directory: Path
    _server: Any = field(default=None, init=False, repr=False)

    @property
    def url(self) -> str:
        if self._server is None:
            raise DatabaseUnavailable("The embedded database is not running.")
        return str(self._server.get_uri())

    async def start(self) -> str:
        """Starts (or joins) the embedded server; returns its connection URL."""
        await asyncio.to_thread(self._start_blocking)
        return self.url

    def _start_blocking(self) -> None:
        with warnings.catch_warnings():
            # platformdirs warns about XDG_RUNTIME_DIR on headless machines.
            warnings.simplefilter("ignore")
            import pgserver  # noqa: PLC0415  (slow import, only needed here)

            self.directory.mkdir(parents=True, exist_ok=True)
            logger.info("starting embedded PostgreSQL", extra={"directory": str(self.directory)})
            # After a crash the killed server's backends take a moment to notice
            # and exit; until they do, PostgreSQL refuses to start on their
            # shared memory. So a failed start is retried for a few seconds.
            for attempt in range(1, _START_ATTEMPTS + 1):
                _clear_stale_lock(self.directory)
                try:
                    self._server = pgserver.get_server(
                        self.directory.resolve(), cleanup_mode="stop"
                    )
                    return
                except Exception as error:
                    if attempt == _START_ATTEMPTS:
                        raise DatabaseUnavailable(
                            f"The embedded PostgreSQL in {self.directory} could not start: "
                            f"{error}; its log is {self.directory / 'log'}."
                        ) from error
                    logger.warning("embedded PostgreSQL did not start; retrying")
                    time.sleep(attempt)

    async def stop(self) -> None:
        """Lets go of the server; it stops when no other process holds it."""
        server, self._server = self._server, None
        if server is not None:
            await asyncio.to_thread(server.cleanup)
            logger.info("embedded PostgreSQL released", extra={"directory": str(self.directory)})
