"""Signed envelopes of tens of megabytes, made once into a folder (issue #17).

An envelope is built and signed in the test process (which may use what
memory it likes) and written to a file; the axis under test gets it streamed
from the file, so only the axis's memory is measured or limited.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from signing import IssuedCredential, sign
from tests.support.envelopes import document

# What the envelope around the attachment takes: header, manifest and signature.
_OVERHEAD = 6000
_READ = 1 << 20


@dataclass(frozen=True, slots=True)
class LargeEnvelope:
    path: Path
    size: int
    sha256: str


def write_large_envelope(
    folder: Path, credential: IssuedCredential, recipient: str, size: int, *, name: str = ""
) -> LargeEnvelope:
    """A signed document of about ``size`` bytes, its attachment random, in ``folder``."""
    payload = os.urandom(max(size - _OVERHEAD, 3) * 3 // 4)
    data = document(credential.organ_id, [recipient], payload=payload)
    del payload
    signed = sign(data, credential.private_key, credential.certificate)
    del data
    path = folder / f"{name or credential.organ_id}-{size}.xml"
    path.write_bytes(signed)
    return LargeEnvelope(path, len(signed), hashlib.sha256(signed).hexdigest())


async def file_chunks(path: Path, *, limit: int | None = None) -> AsyncIterator[bytes]:
    """The file in pieces (an upload without Content-Length), up to ``limit`` bytes."""
    sent = 0
    with path.open("rb") as file:
        while limit is None or sent < limit:
            piece = file.read(_READ if limit is None else min(_READ, limit - sent))
            if not piece:
                return
            sent += len(piece)
            yield piece
