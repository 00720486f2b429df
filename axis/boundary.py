"""The rules every text from outside must keep before it reaches a parser or the database.

One place for all surfaces (native API, VXP, pages, admin, CLI): a value is
UTF-8, carries no control character (PostgreSQL refuses NUL in text; the
others have no business in an identifier), and is no longer than its field
allows; JSON is read with a size and a nesting limit (a few thousand ``[``
make ``json.loads`` recurse until it fails). A value that breaks a rule is an
:class:`InputRefused` naming the field and the rule, with a stable code
``input.<rule>``; each surface answers it in its own shape.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from axis.errors import AxisError

# Rules, each the last part of a stable code ``input.<rule>``.
NOT_UTF8 = "not_utf8"
CONTROL_CHARACTER = "control_character"
TOO_LONG = "too_long"
MALFORMED = "malformed"
NOT_JSON = "not_json"
TOO_DEEP = "too_deep"

# C0 controls and DEL; tab, line feed and carriage return only where free text allows them.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f]")
_CONTROLS_BUT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class InputRefused(AxisError):
    """A value sent to the axis breaks a rule of the boundary."""

    code = "input.invalid"

    def __init__(self, field: str, rule: str, detail: str) -> None:
        super().__init__(f"{field}: {detail}")
        self.field = field
        self.rule = rule
        self.code = f"input.{rule}"


@dataclass(frozen=True, slots=True)
class Field:
    """What one kind of value may be: how long, and (for identifiers) which characters."""

    name: str
    max_length: int
    pattern: re.Pattern[str] | None = None
    shape: str = ""
    lines: bool = False

    def named(self, name: str) -> Field:
        """The same rules for a value called ``name`` where it is sent."""
        return Field(name, self.max_length, self.pattern, self.shape, self.lines)

    def check(self, value: str) -> str:
        """``value`` when it keeps every rule of this field; :class:`InputRefused` if not."""
        controls = _CONTROLS_BUT_LINES if self.lines else _CONTROLS
        found = controls.search(value)
        if found is not None:
            raise InputRefused(
                self.name,
                CONTROL_CHARACTER,
                f"holds the control character U+{ord(found.group()):04X}, which is not allowed.",
            )
        if len(value) > self.max_length:
            raise InputRefused(
                self.name,
                TOO_LONG,
                f"is {len(value)} characters long; at most {self.max_length} are allowed.",
            )
        if self.pattern is not None and value and self.pattern.fullmatch(value) is None:
            raise InputRefused(self.name, MALFORMED, f"must be {self.shape}, not {value[:80]!r}.")
        return value

    def decode(self, raw: bytes) -> str:
        """``raw`` as text of this field: strict UTF-8, then :meth:`check`."""
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InputRefused(self.name, NOT_UTF8, "is not valid UTF-8.") from None
        return self.check(text)


_IDENTIFIER = re.compile(r"[A-Za-z0-9._-]+")
# Printable ASCII without space: opaque tokens (message ids, cursors) chosen by the axis.
_TOKEN = re.compile(r"[\x21-\x7e]+")

# edxml.md: any code of 1 to 64 characters from [A-Za-z0-9._-].
ORGAN_ID = Field("OrganId", 64, _IDENTIFIER, "1 to 64 of A-Z a-z 0-9 . _ -")
# VXP system ids are codes of the same form (vxp.saas.03).
SYSTEM_ID = Field("systemId", 64, _IDENTIFIER, "1 to 64 of A-Z a-z 0-9 . _ -")
# A DocumentId is `<OrganId>,<yyyy/MM/dd>,<number>/<notation>` (or a UUID): well
# under 100 characters. 512 characters are at most 2,048 UTF-8 bytes, which with
# the 64-character sender keeps the (sender_id, document_id) row of the unique
# btree index under PostgreSQL's limit of 2,704 bytes per index row.
DOCUMENT_ID = Field("DocumentId", 512)
MESSAGE_ID = Field("message id", 128, _TOKEN, "printable ASCII without spaces")
CURSOR = Field("cursor", 512, _TOKEN, "printable ASCII without spaces")
SEARCH = Field("q", 200)
# Any other query value, path parameter or form field: text, bounded.
QUERY_VALUE = Field("query value", 1024)
PATH_VALUE = Field("path", 2048)
FORM_VALUE = Field("form field", 10_000, lines=True)
# aiohttp's own limit on one header line is 8,190 bytes.
HEADER = Field("header", 8190)

# Deep enough for every JSON the axis reads (the deepest, the ack and
# agency bodies, are two levels), shallow enough that no parser recursion nears its limit.
MAX_JSON_DEPTH = 32
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_OPENERS = re.compile(r"[\[{]")
_CLOSERS = re.compile(r"[\]}]")


def _depth(text: str) -> int:
    """The deepest nesting of arrays and objects in ``text`` (strings skipped)."""
    bare = _STRING.sub("", text)
    if _OPENERS.search(bare) is None:
        return 0
    depth = deepest = 0
    for character in bare:
        if character in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif character in "]}":
            depth -= 1
    return deepest


def _check_strings(field: Field, value: Any) -> None:
    if isinstance(value, str):
        field.check(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            field.check(key)
            _check_strings(field, item)
    elif isinstance(value, list):
        for item in value:
            _check_strings(field, item)


def read_json(
    raw: bytes | str,
    field: Field,
    *,
    max_bytes: int,
    max_depth: int = MAX_JSON_DEPTH,
    strict: bool = True,
    check_strings: bool = True,
) -> Any:
    """``raw`` parsed as JSON within the limits; every string in it checked as ``field``
    unless ``check_strings`` is False (the caller checks each value by its own field)."""
    if len(raw) > max_bytes:
        raise InputRefused(
            field.name, TOO_LONG, f"is {len(raw)} bytes long; at most {max_bytes} are allowed."
        )
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InputRefused(field.name, NOT_UTF8, "is not valid UTF-8.") from None
    if _depth(raw) > max_depth:
        raise InputRefused(
            field.name, TOO_DEEP, f"nests arrays or objects deeper than {max_depth} levels."
        )
    try:
        value = json.loads(raw, strict=strict)
    except (ValueError, RecursionError):
        raise InputRefused(field.name, NOT_JSON, "is not JSON.") from None
    if check_strings:
        _check_strings(field, value)
    return value
