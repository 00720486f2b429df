"""Large request bodies go to a temporary file as they arrive (issue #17).

A body up to ``threshold`` bytes stays in memory, as before: the hot path
does not touch the disk. Past it, what came so far and everything after is
written to a temporary file under ``<data dir>/spool``, hashed on the way,
and the size limit is enforced on the bytes actually received, so neither a
lying nor a missing Content-Length gets past it.

The files are nameless (``tempfile.TemporaryFile``: O_TMPFILE, or unlinked
the moment it is made): closing one frees it, and when a process dies, even
by ``kill -9``, the kernel frees its files, so no refused or half-received
body outlives its request on disk. :meth:`Spool.sweep` still removes named
leftovers at start-up, in case a file system or an older build left any.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import tempfile
import time
from collections.abc import AsyncIterable, AsyncIterator
from pathlib import Path
from typing import BinaryIO, cast

from axis.storage.bodies import SpooledBody

logger = logging.getLogger(__name__)

THRESHOLD_BYTES = 1 << 20
# A named leftover younger than this may be a file another process is just
# making (TemporaryFile's fallback unlinks it right after creating it).
_SWEEP_AGE_SECONDS = 60.0

Body = bytes | SpooledBody


class BodyTooLarge(Exception):
    """More bytes arrived than the limit allows; ``received`` counts them so far."""

    def __init__(self, received: int, limit: int) -> None:
        super().__init__(f"over {limit} bytes received")
        self.received = received
        self.limit = limit


class Spool:
    def __init__(self, folder: Path, *, threshold: int = THRESHOLD_BYTES) -> None:
        self.folder = folder
        self.threshold = threshold

    def sweep(self) -> int:
        """Removes named leftovers of earlier runs; returns how many."""
        if not self.folder.is_dir():
            return 0
        removed = 0
        now = time.time()
        for entry in self.folder.iterdir():
            with contextlib.suppress(FileNotFoundError):
                if entry.is_file() and now - entry.stat().st_mtime > _SWEEP_AGE_SECONDS:
                    entry.unlink()
                    removed += 1
        if removed:
            logger.warning("removed spool leftovers", extra={"files": removed})
        return removed

    @contextlib.asynccontextmanager
    async def receive(
        self, chunks: AsyncIterable[bytes], limit: int, *, trailer: bytes = b""
    ) -> AsyncIterator[Body]:
        """The body ``chunks`` make: bytes up to the threshold, else a spooled file.

        Raises :class:`BodyTooLarge` as soon as more than ``limit`` bytes came;
        whatever the outcome, the file is gone when the block ends. A body ending
        in ``trailer`` (VXP's sendEdoc adds a CRLF after the file) goes without it:
        the last ``len(trailer)`` bytes are held back from the hash and the file.
        """
        head = bytearray()
        held = b""
        received = 0
        file = None
        digest = hashlib.sha256()
        try:
            async for chunk in chunks:
                received += len(chunk)
                if received > limit:
                    raise BodyTooLarge(received, limit)
                if file is None and received <= self.threshold:
                    head += chunk
                    continue
                data = held + chunk
                if file is None:
                    file = self._open()
                    data, head = bytes(head) + data, bytearray()
                cut = max(len(data) - len(trailer), 0)
                data, held = data[:cut], data[cut:]
                digest.update(data)
                file.write(data)
            if file is None:
                body = bytes(head)
                yield body[: -len(trailer)] if trailer and body.endswith(trailer) else body
                return
            if held != trailer:
                digest.update(held)
                file.write(held)
            file.flush()
            size = file.tell()
            yield SpooledBody(file, size, digest.digest())
        finally:
            if file is not None:
                file.close()

    def _open(self) -> BinaryIO:
        self.folder.mkdir(parents=True, exist_ok=True)
        return cast(BinaryIO, tempfile.TemporaryFile(dir=self.folder, prefix="body-"))
