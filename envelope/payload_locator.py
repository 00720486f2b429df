"""Finds each attachment's base64 text inside the original bytes instead of copying it.

For a large envelope, taking ``element.text`` would copy a 100 MB attachment into a Python
string on top of the raw bytes and libxml2's own copy. Instead the start tags of the
``ContentTransferEncoded`` elements are found in the raw bytes and matched one to one, by
line, with the elements the parser saw; the text runs to the next ``<``, which must open the
element's end tag. Anything unusual (CDATA, character references, a comment inside, a
mismatch of any kind) falls back to the parsed text, which is always right.
"""

from __future__ import annotations

import re

from envelope.file_bytes import FileBytes
from envelope.node import Node
from envelope.payload import Base64Payload

__all__ = ["IN_PLACE_THRESHOLD", "locate_payloads"]

IN_PLACE_THRESHOLD = 1 << 20
_START_TAG = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?ContentTransferEncoded(?=[\s/>])[^>]*>")


def locate_payloads(raw: bytes | FileBytes, nodes: list[Node | None]) -> list[Base64Payload]:
    # In a file, attachment texts are not in the tree at all: they are read in place.
    in_place = isinstance(raw, FileBytes) or len(raw) >= IN_PLACE_THRESHOLD
    spans = _spans(raw, nodes) if in_place else None
    if spans is not None:
        return [Base64Payload(raw, start, end) for start, end in spans]
    return [Base64Payload.from_text((node.text() if node else None) or "") for node in nodes]


def _spans(raw: bytes | FileBytes, nodes: list[Node | None]) -> list[tuple[int, int]] | None:
    if any(node is None for node in nodes):
        return None
    matches = list(_START_TAG.finditer(raw))
    if len(matches) != len(nodes):
        return None
    spans: list[tuple[int, int]] = []
    line, counted = 1, 0
    for match, node in zip(matches, nodes, strict=True):
        assert node is not None
        line += raw.count(b"\n", counted, match.start())
        counted = match.start()
        seen_at: int | None = getattr(node.element, "sourceline", None)
        if seen_at != line or len(node.element) or match.group().endswith(b"/>"):
            return None
        start = match.end()
        end = raw.find(b"<", start)
        if end == -1 or not raw.startswith(b"</", end):
            return None
        if any(raw.find(char, start, end) != -1 for char in (b"&", b'"', b"'")):
            return None
        spans.append((start, end))
    return spans
