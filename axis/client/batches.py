"""The batch pull road's answers as a client reads them (``POST /api/v1/inbox/fetch``).

The fetch answer is ``multipart/mixed``: each part has ``Content-ID: <id>``
and ``Content-Length``, so a part's bytes are sliced by length, exactly, not
searched for; the boundary is checked where each part ends.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from axis.errors import AxisError


class BadBatchAnswer(AxisError):
    """The batch answer is not the multipart the axis sends."""


@dataclass(frozen=True, slots=True)
class FetchedBatch:
    # message id -> the exact bytes, in the order asked
    messages: dict[str, bytes] = field(default_factory=dict)
    # message id -> the problem (``code``: message.not_found, batch.too_large)
    problems: dict[str, dict[str, Any]] = field(default_factory=dict)


_BOUNDARY = re.compile(r'boundary="?([^";]+)"?')


def _headers(block: bytes) -> dict[str, str]:
    headers = {}
    for line in block.decode("ascii").split("\r\n"):
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return headers


def read_batch(content_type: str, body: bytes) -> FetchedBatch:
    found = _BOUNDARY.search(content_type)
    if not content_type.startswith("multipart/mixed") or found is None:
        raise BadBatchAnswer(f"Expected multipart/mixed with a boundary, got {content_type!r}.")
    delimiter = b"--" + found.group(1).encode("ascii")
    batch = FetchedBatch()
    position = 0
    while True:
        if not body.startswith(delimiter, position):
            raise BadBatchAnswer(f"No boundary at byte {position} of the batch answer.")
        position += len(delimiter)
        if body.startswith(b"--", position):
            return batch
        end = body.find(b"\r\n\r\n", position)
        if end < 0:
            raise BadBatchAnswer("A part of the batch answer has no end of headers.")
        headers = _headers(body[position + 2 : end])
        start = end + 4
        position = start + int(headers["content-length"])
        content = body[start:position]
        message_id = headers["content-id"].strip("<>")
        if headers["content-type"] == "application/xml":
            batch.messages[message_id] = content
        else:
            batch.problems[message_id] = json.loads(content)
        if not body.startswith(b"\r\n", position):
            raise BadBatchAnswer(f"Part {message_id!r} does not end where its length says.")
        position += 2
