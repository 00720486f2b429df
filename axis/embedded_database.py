"""The embedded PostgreSQL used when no database URL is configured.

It lives in ``<data dir>/postgres`` and survives restarts. ``pgserver``
counts the processes holding it, so an ``axis`` command run beside a serving
axis on the same folder shares the running server, and the server stops
only when the last holder lets go.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from axis.errors import DatabaseUnavailable

logger = logging.getLogger(__name__)


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
            try:
                self._server = pgserver.get_server(self.directory.resolve(), cleanup_mode="stop")
            except Exception as error:
                raise DatabaseUnavailable(
                    f"The embedded PostgreSQL in {self.directory} could not start: {error}."
                ) from error

    async def stop(self) -> None:
        """Lets go of the server; it stops when no other process holds it."""
        server, self._server = self._server, None
        if server is not None:
            await asyncio.to_thread(server.cleanup)
            logger.info("embedded PostgreSQL released", extra={"directory": str(self.directory)})
