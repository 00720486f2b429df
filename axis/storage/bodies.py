"""Message bodies in bounded pieces: the one place that writes and reads them (issue #17).

A body lives in ``message_bodies``: part 0 for a small body (the 20 KB hot path
costs one ``INSERT ... FROM unnest`` per group-commit batch, whatever its
size), pieces of :data:`PART_BYTES` for a large one, copied from its spool file
one piece at a time, and read back the same way, so neither direction ever
holds a whole 150 MB body. Messages stored before migration 0021 keep their
body in ``messages.body``; a reader takes that when a message has no part 0.

Pieces are immutable once committed, so a reader fetches them one query at a
time outside any transaction and holds no connection while the caller sends
a piece on to a slow network.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO

from axis.storage import sql
from axis.storage.database import Connection, Pool

__all__ = [
    "PART_BYTES",
    "BodyMissing",
    "SpooledBody",
    "StoredBody",
    "pieces",
    "read_whole",
    "write_small",
    "write_spooled",
]

# A piece is what the axis and a backend hold of a body at a time. Measured
# (python -m benchmarks.body_pieces, 100 MB, load 4 on 2 cores): write/read
# 0.77/0.21 s by 256 KiB, 0.68/0.17 s by 1 MiB, 1.01/0.27 s by 4 MiB,
# 0.87/0.28 s by 16 MiB; a large object by 1 MiB lo_put/lo_get 1.15/0.22 s.
PART_BYTES = 1 << 20


class BodyMissing(Exception):
    """A stored message whose pieces do not add up to its size (purged meanwhile)."""


@dataclass(frozen=True, slots=True)
class SpooledBody:
    """A body received into a temporary file (nameless: see :mod:`axis.storage.spool`),
    its size and SHA-256. The file is the spool's; readers use :meth:`read_at`."""

    file: BinaryIO
    size: int
    sha256: bytes

    def read_at(self, offset: int, count: int) -> bytes:
        """``count`` bytes from ``offset`` (fewer at the end); no shared file position."""
        return os.pread(self.file.fileno(), count, offset)

    def __len__(self) -> int:
        return self.size


@dataclass(frozen=True, slots=True)
class StoredBody:
    """What the first read of a stored body gives: its size and its first piece.

    For every body up to :data:`PART_BYTES` (all of the hot path) ``first`` is
    the whole body and no further query is made.
    """

    message_id: str
    size: int
    first: bytes

    @property
    def whole(self) -> bool:
        return len(self.first) == self.size


async def write_small(
    connection: Connection, message_ids: Sequence[str], contents: Sequence[bytes]
) -> None:
    """Stores bodies held in memory, each as part 0, in one statement."""
    if message_ids:
        await connection.execute(
            sql.query("bodies_insert_small"), list(message_ids), list(contents)
        )


async def _file_pieces(message_id: str, body: SpooledBody) -> AsyncIterator[tuple[str, int, bytes]]:
    for part, offset in enumerate(range(0, body.size, PART_BYTES)):
        piece = await asyncio.to_thread(body.read_at, offset, PART_BYTES)
        yield (message_id, part, piece)


async def write_spooled(connection: Connection, message_id: str, body: SpooledBody) -> None:
    """Copies a spooled body into its pieces, one piece in memory at a time."""
    await connection.copy_records_to_table(
        "message_bodies",
        records=_file_pieces(message_id, body),
        columns=("message_id", "part", "content"),
    )


async def pieces(pool: Pool, stored: StoredBody) -> AsyncIterator[bytes]:
    """The body piece by piece: ``stored.first``, then one query per further piece."""
    yield stored.first
    sent, part = len(stored.first), 1
    while sent < stored.size:
        piece = await pool.fetchval(sql.query("bodies_piece"), stored.message_id, part)
        if piece is None:
            raise BodyMissing(f"message {stored.message_id} has no part {part} of its body")
        sent += len(piece)
        part += 1
        yield bytes(piece)
    if sent != stored.size:
        raise BodyMissing(f"message {stored.message_id}: {sent} bytes stored, not {stored.size}")


async def read_whole(pool: Pool, stored: StoredBody) -> bytes:
    """The whole body in memory, for callers that need it whole (bounded by the size limit)."""
    if stored.whole:
        return stored.first
    return b"".join([piece async for piece in pieces(pool, stored)])
