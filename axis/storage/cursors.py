"""Keyset cursors: the one codec of every "next page" token the axis hands out.

A cursor is the position after which the next page starts: the sort key of
the last row listed, as dot-separated fields. Whole numbers are written as
ASCII digits (so the inbox's ``4.1234`` reads as priority 4, delivery 1234),
text and times as unpadded URL-safe base64 of their UTF-8 (so an OrganId with
dots, or a time with colons, cannot be mistaken for a separator). Decoding is
strict: ASCII digits only (``str.isdigit`` would take ``²``), bounded sizes,
valid UTF-8, no NUL. A cursor is opaque to callers; only the room that made
it reads it back, with the same field types.
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import datetime
from typing import Any

# Longer than any cursor we hand out: an OrganId, a time, a bigint.
MAX_CURSOR_LENGTH = 512
_WHOLE = re.compile(r"[0-9]{1,18}")
_TEXT = re.compile(r"[A-Za-z0-9_-]*")

Field = type[int] | type[str] | type[datetime]


def _text(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def encode(*values: int | str | datetime) -> str:
    fields = []
    for value in values:
        if isinstance(value, bool):
            raise TypeError("a cursor field is a whole number, a text or a time")
        if isinstance(value, int):
            if value < 0:
                raise ValueError("cursor numbers are not negative")
            fields.append(str(value))
        elif isinstance(value, datetime):
            fields.append(_text(value.isoformat()))
        else:
            fields.append(_text(value))
    return ".".join(fields)


def _decode_text(field: str) -> str:
    if not _TEXT.fullmatch(field):
        raise ValueError("not URL-safe base64")
    try:
        text = base64.urlsafe_b64decode(field + "=" * (-len(field) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise ValueError("not base64 of UTF-8") from None
    if "\x00" in text:
        raise ValueError("a NUL character")
    return text


def _decode_field(field: str, kind: Field) -> Any:
    if kind is int:
        if not _WHOLE.fullmatch(field):
            raise ValueError("not a whole number")
        return int(field)
    text = _decode_text(field)
    return datetime.fromisoformat(text) if kind is datetime else text


def decode(cursor: str, *kinds: Field) -> tuple[Any, ...]:
    """The fields of ``cursor``, typed as ``kinds``; ValueError if it is not such a cursor."""
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise ValueError("too long")
    fields = cursor.split(".")
    if len(fields) != len(kinds):
        raise ValueError(f"{len(fields)} fields, not {len(kinds)}")
    return tuple(_decode_field(field, kind) for field, kind in zip(fields, kinds, strict=True))
