"""An envelope in a file, read as if it were bytes: a read-only memory map.

The reader, the payload locator and the hardened parser's cheap checks look
at an envelope through a handful of ``bytes`` methods (``find``, ``count``,
slicing, regular expressions); a memory map has most of them and this class
adds the rest, so a 150 MB envelope received into a file is checked without
ever being copied into the process's heap. The map is file-backed: the kernel
pages it in and drops it as it likes. :meth:`release` hands the pages read so
far back at once, so what stays resident is the parse tree, not the file too.
"""

from __future__ import annotations

import mmap
from typing import BinaryIO

__all__ = ["FileBytes"]

_CHUNK = 1 << 20


class FileBytes(mmap.mmap):
    """A read-only map of an open file, with the ``bytes`` methods the envelope uses.

    ``file`` stays the caller's; the parser reads it from the start for the tree.
    """

    file: BinaryIO

    @classmethod
    def of(cls, file: BinaryIO) -> FileBytes:
        mapped = cls(file.fileno(), 0, access=mmap.ACCESS_READ)
        mapped.file = file
        return mapped

    def count(self, sub: bytes, start: int = 0, end: int | None = None) -> int:
        """Occurrences of ``sub`` (one byte, as every caller counts) in ``[start, end)``."""
        if len(sub) != 1:
            raise ValueError("FileBytes.count counts single bytes")
        stop = len(self) if end is None else min(end, len(self))
        return sum(
            self[offset : min(offset + _CHUNK, stop)].count(sub)
            for offset in range(start, stop, _CHUNK)
        )

    def startswith(self, prefix: bytes, start: int = 0) -> bool:
        return self[start : start + len(prefix)] == prefix

    def release(self) -> None:
        """Drops the pages read so far from this process (the file keeps them cached)."""
        self.madvise(mmap.MADV_DONTNEED)
