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
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

__all__ = ["Elision", "FileBytes", "attachment_spans"]

_CHUNK = 1 << 20
# Spans shorter than this are left in the tree: eliding them would save nothing.
ELIDE_MIN_BYTES = 64 * 1024
_TEXT_START = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?ContentTransferEncoded(?=[\s/>])[^>]*>")
# A span that holds any of these is not plain base64 text the same in the file, the
# tree and canonical XML (references, escapes, CR normalisation): it stays in the tree.
_NOT_PLAIN = (b"&", b">", b"\r", b'"', b"'")


def attachment_spans(
    data: bytes | mmap.mmap, minimum: int = ELIDE_MIN_BYTES, *, plain: bool = True
) -> Iterator[tuple[int, int]]:
    """Where the text of each ``ContentTransferEncoded`` element runs, from its start
    tag to the next ``</``; shorter runs than ``minimum`` are skipped. ``plain``: only
    those without a reference, escape or CR inside, so the bytes between the tags are
    both the element's exact text and its exact canonical form."""
    for match in _TEXT_START.finditer(data):
        if match.group().endswith(b"/>"):
            continue
        start = match.end()
        end = data.find(b"<", start)
        if end == -1 or end - start < minimum or data[end : end + 2] != b"</":
            continue
        if plain and any(data.find(char, start, end) != -1 for char in _NOT_PLAIN):
            continue
        yield start, end


@dataclass(frozen=True, slots=True)
class Elision:
    """An attachment's text the parser does not see: between ``start`` and ``end`` of the
    file it reads ``marker`` and as many newlines as the text had (lines stay right)."""

    start: int
    end: int
    marker: bytes
    newlines: int


class FileBytes(mmap.mmap):
    """A read-only map of an open file, with the ``bytes`` methods the envelope uses.

    ``file`` stays the caller's; the parser reads it from the start for the tree.
    """

    file: BinaryIO
    elisions: tuple[Elision, ...]

    @classmethod
    def of(cls, file: BinaryIO) -> FileBytes:
        mapped = cls(file.fileno(), 0, access=mmap.ACCESS_READ)
        mapped.file = file
        mapped.elisions = ()
        return mapped

    def elide_attachments(self) -> None:
        """Marks every large plain attachment text to be left out of the parse tree.

        The marker holds a token drawn for this file, so no sender can write one.
        """
        token = b"!axis-elided-" + secrets.token_hex(12).encode("ascii") + b"-"
        self.elisions = tuple(
            Elision(
                start, end, token + str(index).encode("ascii") + b"!", self.count(b"\n", start, end)
            )
            for index, (start, end) in enumerate(attachment_spans(self))
        )

    def reader(self, start: int = 0) -> _ElidingReader:
        """A file-like view from ``start`` with the elided texts replaced by their markers."""
        return _ElidingReader(self, start)

    def pieces(self, start: int, end: int) -> Iterator[bytes]:
        """``[start, end)`` in pieces of a megabyte, each page dropped once read."""
        for offset in range(start, end, _CHUNK):
            stop = min(offset + _CHUNK, end)
            yield self[offset:stop]
            self.drop(offset, stop)

    def drop(self, start: int, end: int) -> None:
        """Hands the pages of ``[start, end)`` back (the file keeps them cached)."""
        first = start - start % mmap.PAGESIZE
        if end > first:
            self.madvise(mmap.MADV_DONTNEED, first, end - first)

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
        if len(self):
            self.madvise(mmap.MADV_DONTNEED)


class _ElidingReader:
    """What libxml2 reads for a :class:`FileBytes`: the file, each elided text replaced."""

    def __init__(self, source: FileBytes, start: int) -> None:
        self._parts: list[tuple[int, int] | bytes] = []
        position = start
        for elision in source.elisions:
            if elision.start < start:
                continue
            self._parts += [(position, elision.start), elision.marker + b"\n" * elision.newlines]
            position = elision.end
        self._parts.append((position, len(source)))
        self._parts.reverse()
        self._source = source

    def read(self, size: int = -1) -> bytes:
        size = _CHUNK if size is None or size < 0 else size
        while self._parts:
            part = self._parts[-1]
            if isinstance(part, bytes):
                piece = part[:size]
                if len(part) > size:
                    self._parts[-1] = part[size:]
                else:
                    self._parts.pop()
            else:
                begin, end = part
                piece = self._source[begin : min(begin + size, end)]
                if begin + len(piece) < end:
                    self._parts[-1] = (begin + len(piece), end)
                else:
                    self._parts.pop()
            if piece:
                return piece
        return b""
