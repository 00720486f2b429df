"""What goes back on the wire: JSON the SDK can read, and the lossy hash-file.

The SDK parses every answer with Gson and reads ``status``, ``ErrorCode`` and
``ErrorDesc`` unconditionally, so every answer carries them; it chokes on JSON
``null`` and sendEdoc decodes answers as US-ASCII, so answers are ASCII-escaped
and never contain null.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from axis.storage.bodies import SpooledBody

OK = "0"
BAD_REQUEST = "400"
UNAUTHORISED = "401"
FORBIDDEN = "403"
NOT_FOUND = "404"
CONFLICT = "409"
GONE = "410"
TOO_LARGE = "413"
REFUSED = "422"
INTERNAL = "500"


@dataclass(frozen=True, slots=True)
class Answer:
    """One JSON answer: the three mandatory fields plus operation extras."""

    error_code: str
    description: str
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error_code == OK

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "status": "OK" if self.ok else "FAIL",
            "ErrorCode": self.error_code,
            "ErrorDesc": self.description,
        }
        body.update(self.extra)
        cleaned: dict[str, Any] = without_nulls(body)
        return cleaned

    def encode(self) -> bytes:
        return json.dumps(self.as_json(), ensure_ascii=True, separators=(",", ":")).encode("ascii")


def success(description: str = "Success", **extra: Any) -> Answer:
    return Answer(OK, description, extra)


def failure(error_code: str, description: str, **extra: Any) -> Answer:
    return Answer(error_code, description, extra)


def without_nulls(value: Any) -> Any:
    """The value with every None replaced by ``""``: the SDK throws on JSON null."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return {key: without_nulls(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [without_nulls(item) for item in value]
    return value


def lossy_hex_sha256(data: bytes | SpooledBody) -> str:
    """The SDK's hash-file: each digest byte as ``format(b, "x")``, no zero padding.

    A spooled body was hashed as it arrived (issue #17)."""
    digest = data.sha256 if isinstance(data, SpooledBody) else hashlib.sha256(data).digest()
    return "".join(format(byte, "x") for byte in digest)
